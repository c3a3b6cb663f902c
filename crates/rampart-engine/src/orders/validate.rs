//! Venue-neutral checks of a new order against its instrument's rules, before anything is
//! journaled or sent. Nothing is rounded silently: an off-tick price or an off-step quantity is
//! refused with the nearest valid values named, so the trader chooses.

use rampart_core::trading::{InstrumentRules, VenueCapabilities};
use rampart_core::{OrderType, TimeInForce};
use rust_decimal::Decimal;

use super::OrderTicket;

/// Why an order cannot be sent, in words a trader can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

fn invalid<T>(message: String) -> Result<T, Invalid> {
    Err(Invalid(message))
}

/// `value` as a multiple of `step` counted from `base`: `None` when it is one, else the two
/// nearest valid values (below, above). `None` also when the step is 0 (no rule).
fn off_grid(value: Decimal, base: Decimal, step: Decimal) -> Option<(Decimal, Decimal)> {
    if step <= Decimal::ZERO {
        return None;
    }
    let offset = value.checked_sub(base)?;
    let steps = offset.checked_div(step)?;
    if steps.fract().is_zero() {
        return None;
    }
    let below = base.checked_add(steps.floor().checked_mul(step)?)?;
    let above = below.checked_add(step)?;
    Some((below.normalize(), above.normalize()))
}

fn check_bounds(what: &str, value: Decimal, min: Decimal, max: Decimal) -> Result<(), Invalid> {
    if !min.is_zero() && value < min {
        return invalid(format!(
            "The {what} {value} is below the minimum of {}.",
            min.normalize()
        ));
    }
    if !max.is_zero() && value > max {
        return invalid(format!(
            "The {what} {value} is above the maximum of {}.",
            max.normalize()
        ));
    }
    Ok(())
}

fn check_price(what: &str, price: Decimal, rules: &InstrumentRules) -> Result<(), Invalid> {
    check_bounds(what, price, rules.min_price, rules.max_price)?;
    let tick = rules.tick_at(price);
    // Ticks count from the minimum price where the venue has one (Binance's PRICE_FILTER).
    let base = if rules.tick_steps.is_empty() {
        rules.min_price
    } else {
        Decimal::ZERO
    };
    if let Some((below, above)) = off_grid(price, base, tick) {
        return invalid(format!(
            "The {what} {price} is not a multiple of the tick {}: use {below} or {above}.",
            tick.normalize()
        ));
    }
    Ok(())
}

/// Checks the order's shape and its values against `rules`; `mark` is the latest mark price,
/// when known, for the minimum order value of orders without a limit price.
pub fn check(
    ticket: &OrderTicket,
    rules: &InstrumentRules,
    capabilities: &VenueCapabilities,
    mark: Option<Decimal>,
) -> Result<(), Invalid> {
    let kind = ticket.order_type;
    if !rules.trading {
        return invalid(format!(
            "{} is not trading now: the venue accepts no new orders on it.",
            rules.symbol
        ));
    }
    match (kind.has_limit_price(), ticket.price) {
        (true, None) => return invalid("Enter a limit price.".into()),
        (false, Some(_)) => {
            return invalid("A market-type order takes no limit price: clear the price.".into());
        }
        _ => {}
    }
    match (kind.has_trigger_price(), ticket.trigger_price) {
        (true, None) => return invalid("Enter a trigger price.".into()),
        (false, Some(_)) => {
            return invalid(
                "Only stop and take-profit orders take a trigger price: clear it.".into(),
            );
        }
        _ => {}
    }
    if ticket.time_in_force.is_some() && !kind.has_limit_price() {
        return invalid("Time in force applies to limit prices only: clear it.".into());
    }
    if ticket.trigger_by.is_some() && !kind.has_trigger_price() {
        return invalid("Only stop and take-profit orders have a trigger: clear it.".into());
    }
    if capabilities.margin_mode_per_order && ticket.margin_mode.is_none() {
        return invalid(
            "This venue needs the margin mode (cross or isolated) on every order.".into(),
        );
    }
    if ticket.position_side != Default::default() && !capabilities.hedge_mode {
        return invalid("This venue has no hedge mode: leave the position side as net.".into());
    }
    if let Some(price) = ticket.price {
        check_price("price", price.get(), rules)?;
    }
    if let Some(trigger) = ticket.trigger_price {
        check_price("trigger price", trigger.get(), rules)?;
    }
    let qty = ticket.qty.get();
    let max_qty = if kind.has_limit_price() {
        rules.max_qty
    } else {
        rules.max_market_qty
    };
    check_bounds("quantity", qty, rules.min_qty, max_qty)?;
    if let Some((below, above)) = off_grid(qty, rules.min_qty, rules.step_size) {
        let below = if below < rules.min_qty { above } else { below };
        return invalid(format!(
            "The quantity {qty} is not a multiple of the step {}: use {below} or {above}.",
            rules.step_size.normalize()
        ));
    }
    if !ticket.reduce_only && !rules.min_notional.is_zero() {
        let reference = ticket
            .price
            .map(|p| p.get())
            .or(mark)
            .or(ticket.trigger_price.map(|p| p.get()));
        if let Some(reference) = reference {
            let size = rules.contract_size.unwrap_or(Decimal::ONE);
            let value = reference
                .checked_mul(qty)
                .and_then(|v| v.checked_mul(size))
                .ok_or_else(|| Invalid("The order's value is too large to compute.".into()))?;
            if value < rules.min_notional {
                return invalid(format!(
                    "The order's value {} {} is below the minimum of {}: raise the quantity, or \
                     mark it reduce-only to close a position.",
                    value.round_dp(2).normalize(),
                    rules.quote_asset,
                    rules.min_notional.normalize()
                ));
            }
        }
    }
    if ticket.time_in_force == Some(TimeInForce::PostOnly) && kind != OrderType::Limit {
        return invalid("Post-only applies to plain limit orders.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::Side;
    use rampart_core::trading::{ContractKind, PositionSide, ProductCategory};
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn btc() -> InstrumentRules {
        InstrumentRules {
            symbol: "BTCUSDT".into(),
            category: ProductCategory::Linear,
            kind: ContractKind::Perpetual,
            base_asset: "BTC".into(),
            quote_asset: "USDT".into(),
            settle_asset: "USDT".into(),
            trading: true,
            tick_size: d("0.1"),
            tick_steps: vec![],
            min_price: d("261.1"),
            max_price: d("809484"),
            step_size: d("0.001"),
            min_qty: d("0.001"),
            max_qty: d("1000"),
            max_market_qty: d("120"),
            min_notional: d("100"),
            contract_size: None,
            expiry_ms: None,
            option: None,
            max_leverage: None,
        }
    }

    fn caps() -> VenueCapabilities {
        VenueCapabilities {
            categories: vec![ProductCategory::Linear],
            dead_mans_switch: None,
            split_leverage: false,
            hedge_mode: false,
            margin_mode_per_order: false,
            unique_client_ids: true,
        }
    }

    fn limit(qty: &str, price: &str) -> OrderTicket {
        OrderTicket {
            symbol: "BTCUSDT".into(),
            side: Side::Buy,
            order_type: OrderType::Limit,
            qty: qty.parse().unwrap(),
            price: Some(price.parse().unwrap()),
            trigger_price: None,
            time_in_force: None,
            reduce_only: false,
            trigger_by: None,
            margin_mode: None,
            position_side: PositionSide::Net,
        }
    }

    #[test]
    fn off_tick_and_off_step_name_the_nearest_valid_values() {
        let err = check(&limit("0.01", "61234.55"), &btc(), &caps(), None).unwrap_err();
        assert!(err.0.contains("use 61234.5 or 61234.6"), "{err}");
        let err = check(&limit("0.0105", "61234.5"), &btc(), &caps(), None).unwrap_err();
        assert!(err.0.contains("use 0.01 or 0.011"), "{err}");
        assert_eq!(
            check(&limit("0.01", "61234.5"), &btc(), &caps(), None),
            Ok(())
        );
    }

    #[test]
    fn bounds_notional_and_shape_are_checked() {
        let err = check(&limit("0.001", "60000"), &btc(), &caps(), None).unwrap_err();
        assert!(err.0.contains("below the minimum of 100"), "{err}");
        let mut reduce = limit("0.001", "60000");
        reduce.reduce_only = true;
        assert_eq!(check(&reduce, &btc(), &caps(), None), Ok(()));
        let err = check(&limit("2000", "60000"), &btc(), &caps(), None).unwrap_err();
        assert!(err.0.contains("above the maximum of 1000"), "{err}");
        let mut market = limit("200", "60000");
        market.order_type = OrderType::Market;
        market.price = None;
        let err = check(&market, &btc(), &caps(), Some(d("60000"))).unwrap_err();
        assert!(err.0.contains("above the maximum of 120"), "{err}");
        let mut no_price = limit("0.01", "60000");
        no_price.price = None;
        assert!(check(&no_price, &btc(), &caps(), None).is_err());
        let mut hedge = limit("0.01", "60000");
        hedge.position_side = PositionSide::Long;
        assert!(check(&hedge, &btc(), &caps(), None).is_err());
        let mut stopped = btc();
        stopped.trading = false;
        assert!(check(&limit("0.01", "60000"), &stopped, &caps(), None).is_err());
    }

    #[test]
    fn price_dependent_ticks_apply_above_their_threshold() {
        let mut rules = btc();
        rules.min_price = Decimal::ZERO;
        rules.tick_size = d("0.0001");
        rules.tick_steps = vec![rampart_core::trading::TickStep {
            from_price: d("0.005"),
            tick: d("0.0005"),
        }];
        rules.min_notional = Decimal::ZERO;
        assert_eq!(check(&limit("1", "0.0043"), &rules, &caps(), None), Ok(()));
        let err = check(&limit("1", "0.0063"), &rules, &caps(), None).unwrap_err();
        assert!(err.0.contains("use 0.006 or 0.0065"), "{err}");
    }
}
