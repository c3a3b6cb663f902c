//! Instrument rules from `GET /api/v5/public/instruments` (tickSz, lotSz, minSz, maxLmtSz,
//! maxMktSz, ctVal, ctMult, ctType, lever, expTime, state), and the checks an order passes
//! before it is sent. OKX counts SWAP and FUTURES sizes in contracts: `ctVal × ctMult` of
//! `ctValCcy` each (the coin for linear contracts, USD for inverse ones).

use rampart_core::trading::{ContractKind, ProductCategory, is_portable_client_order_id};
use rampart_core::{OrderType, TimeInForce};
use rust_decimal::Decimal;

use super::convert::{dec, dec_or_zero, ms, opt_dec};
use super::error::{malformed, validation};
use super::models::Instrument;
use crate::venue::{Error, InstrumentRules, OrderRequest};

type Result<T> = std::result::Result<T, Error>;

/// The most characters OKX accepts in `clOrdId` ("case-sensitive alphanumerics, 1-32").
pub const CLIENT_ID_MAX: usize = 32;

/// One instrument's rules.
pub fn rules(i: &Instrument) -> Result<InstrumentRules> {
    let category = match (i.inst_type.as_str(), i.ct_type.as_str()) {
        ("SWAP" | "FUTURES", "linear") => ProductCategory::Linear,
        ("SWAP" | "FUTURES", "inverse") => ProductCategory::Inverse,
        ("OPTION", _) => ProductCategory::Option,
        (t, c) => {
            return Err(malformed(format_args!(
                "instrument {} of type {t:?}/{c:?}",
                i.inst_id
            )));
        }
    };
    let kind = match i.inst_type.as_str() {
        "SWAP" => ContractKind::Perpetual,
        _ => ContractKind::Dated,
    };
    let family = if i.inst_family.is_empty() {
        &i.uly
    } else {
        &i.inst_family
    };
    let (base, quote) = family
        .split_once('-')
        .ok_or_else(|| malformed(format_args!("instFamily {family:?} of {}", i.inst_id)))?;
    let ct_val = dec("ctVal", &i.ct_val)?;
    let ct_mult = opt_dec("ctMult", &i.ct_mult)?.unwrap_or(Decimal::ONE);
    let step = dec("lotSz", &i.lot_sz)?;
    let tick = dec("tickSz", &i.tick_sz)?;
    if step <= Decimal::ZERO || tick <= Decimal::ZERO {
        return Err(malformed(format_args!(
            "{}: tickSz {} / lotSz {}",
            i.inst_id, i.tick_sz, i.lot_sz
        )));
    }
    let max_qty = dec_or_zero("maxLmtSz", &i.max_lmt_sz)?;
    let max_market = opt_dec("maxMktSz", &i.max_mkt_sz)?.unwrap_or(max_qty);
    Ok(InstrumentRules {
        symbol: i.inst_id.clone(),
        category,
        kind,
        base_asset: base.to_owned(),
        quote_asset: quote.to_owned(),
        settle_asset: i.settle_ccy.clone(),
        trading: i.state == "live",
        tick_size: tick,
        tick_steps: Vec::new(),
        min_price: Decimal::ZERO,
        max_price: Decimal::ZERO,
        step_size: step,
        min_qty: dec("minSz", &i.min_sz)?,
        max_qty,
        max_market_qty: max_market,
        min_notional: Decimal::ZERO,
        contract_size: Some(ct_val * ct_mult),
        expiry_ms: match i.exp_time.trim() {
            "" => None,
            t => Some(ms("expTime", t)?),
        },
        option: None,
        max_leverage: opt_dec("lever", &i.lever)?,
    })
}

/// Whether `id` fits OKX's `clOrdId`: letters and digits only, 1 to 32.
pub fn check_client_id(id: &str) -> Result<()> {
    if id.len() <= CLIENT_ID_MAX && is_portable_client_order_id(id) {
        Ok(())
    } else {
        Err(validation(format!(
            "OKX takes client order ids of 1 to {CLIENT_ID_MAX} letters and digits only; \
             {id:?} does not fit, so the order was not sent."
        )))
    }
}

fn on_grid(value: Decimal, step: Decimal) -> bool {
    step.is_zero() || (value % step).is_zero()
}

/// The decimals a step allows (0.001 → 3, 5 → 0).
fn decimals(step: Decimal) -> u32 {
    step.normalize().scale()
}

/// Checks `order` against `rules` (and OKX's own order rules) before anything is sent.
pub fn check_order(order: &OrderRequest, rules: &InstrumentRules) -> Result<()> {
    check_client_id(&order.client_order_id)?;
    let sym = &order.symbol;
    if !rules.trading {
        return Err(validation(format!(
            "{sym} is not trading on OKX right now; the order was not sent."
        )));
    }
    let qty = order.qty.get();
    let step = rules.step_size;
    if qty <= Decimal::ZERO {
        return Err(validation("The order size must be more than zero."));
    }
    if qty.normalize().scale() > decimals(step) {
        return Err(validation(format!(
            "The size {qty} has more decimals than {sym} allows (lot size {step}); the order \
             was not sent."
        )));
    }
    if !on_grid(qty, step) {
        return Err(validation(format!(
            "The size {qty} is not a multiple of {sym}'s lot size {step}; the order was not \
             sent."
        )));
    }
    if qty < rules.min_qty {
        return Err(validation(format!(
            "The size {qty} is below {sym}'s minimum of {} contracts; the order was not sent.",
            rules.min_qty
        )));
    }
    let max = if order.order_type.has_limit_price() {
        rules.max_qty
    } else {
        rules.max_market_qty
    };
    if !max.is_zero() && qty > max {
        return Err(validation(format!(
            "The size {qty} is above {sym}'s maximum of {max} contracts for this order type; \
             split it. The order was not sent."
        )));
    }
    let check_price = |what: &str, price: Decimal| -> Result<()> {
        let tick = rules.tick_at(price);
        if price <= Decimal::ZERO {
            return Err(validation(format!("The {what} must be more than zero.")));
        }
        if price.normalize().scale() > decimals(tick) {
            return Err(validation(format!(
                "The {what} {price} has more decimals than {sym} allows (tick {tick}); the \
                 order was not sent."
            )));
        }
        if !on_grid(price, tick) {
            return Err(validation(format!(
                "The {what} {price} is not on {sym}'s tick of {tick}; the order was not sent."
            )));
        }
        Ok(())
    };
    match (order.order_type.has_limit_price(), order.price) {
        (true, Some(p)) => check_price("price", p.get())?,
        (true, None) => {
            return Err(validation(
                "A limit order needs a price; the order was not sent.",
            ));
        }
        (false, Some(_)) => {
            return Err(validation(
                "A market order takes no price; the order was not sent.",
            ));
        }
        (false, None) => {}
    }
    match (order.order_type.has_trigger_price(), order.trigger_price) {
        (true, Some(p)) => check_price("trigger price", p.get())?,
        (true, None) => {
            return Err(validation(
                "A stop or take-profit order needs a trigger price; the order was not sent.",
            ));
        }
        (false, Some(_)) => {
            return Err(validation(
                "Only stop and take-profit orders take a trigger price; the order was not sent.",
            ));
        }
        (false, None) => {}
    }
    match (order.order_type, order.time_in_force) {
        (OrderType::Limit, _) | (_, None) => {}
        (OrderType::Market, Some(TimeInForce::Ioc)) => {}
        (OrderType::StopLimit | OrderType::TakeProfitLimit, Some(TimeInForce::Gtc)) => {}
        (t, Some(tif)) => {
            return Err(validation(format!(
                "OKX takes no {tif:?} time in force on a {t:?} order; the order was not sent."
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venue::{ErrorKind, PositionSide};
    use rampart_core::Side;

    // From the instruments endpoint's response example (SWAP).
    const SWAP: &str = r#"{"alias":"","baseCcy":"","category":"1","ctMult":"1","ctType":"linear","ctVal":"0.01","ctValCcy":"BTC","expTime":"","instFamily":"BTC-USDT","instId":"BTC-USDT-SWAP","instType":"SWAP","lever":"125","listTime":"1606468572000","lotSz":"0.1","maxIcebergSz":"100000000.0000000000000000","maxLmtAmt":"20000000","maxLmtSz":"100000000","maxMktAmt":"","maxMktSz":"12000","maxStopSz":"12000","maxTriggerSz":"100000000.0000000000000000","maxTwapSz":"100000000.0000000000000000","minSz":"0.1","optType":"","quoteCcy":"","settleCcy":"USDT","state":"live","stk":"","tickSz":"0.1","uly":"BTC-USDT"}"#;

    fn swap() -> InstrumentRules {
        rules(&serde_json::from_str(SWAP).unwrap()).unwrap()
    }

    fn order(qty: &str, price: Option<&str>) -> OrderRequest {
        OrderRequest {
            symbol: "BTC-USDT-SWAP".into(),
            client_order_id: "rmpAbc".into(),
            side: Side::Buy,
            order_type: if price.is_some() {
                OrderType::Limit
            } else {
                OrderType::Market
            },
            qty: qty.parse().unwrap(),
            price: price.map(|p| p.parse().unwrap()),
            trigger_price: None,
            time_in_force: None,
            reduce_only: false,
            trigger_by: None,
            margin_mode: None,
            position_side: PositionSide::Net,
            reference_price: None,
        }
    }

    #[test]
    fn a_linear_swap_is_counted_in_contracts_of_its_ct_val() {
        let r = swap();
        assert_eq!(r.category, ProductCategory::Linear);
        assert_eq!(r.kind, ContractKind::Perpetual);
        assert_eq!(r.base_asset, "BTC");
        assert_eq!(r.quote_asset, "USDT");
        assert_eq!(r.settle_asset, "USDT");
        assert_eq!(r.contract_size, Some("0.01".parse().unwrap()));
        assert_eq!(r.tick_size, "0.1".parse().unwrap());
        assert_eq!(r.max_market_qty, Decimal::from(12000));
        assert_eq!(r.max_leverage, Some(Decimal::from(125)));
        assert!(r.trading);
    }

    #[test]
    fn an_inverse_future_has_an_expiry_and_usd_contracts() {
        let raw = SWAP
            .replace("\"SWAP\"", "\"FUTURES\"")
            .replace("BTC-USDT-SWAP", "BTC-USD-261225")
            .replace("\"linear\"", "\"inverse\"")
            .replace("\"BTC-USDT\"", "\"BTC-USD\"")
            .replace("\"0.01\"", "\"100\"")
            .replace("\"expTime\":\"\"", "\"expTime\":\"1798185600000\"")
            .replace("\"settleCcy\":\"USDT\"", "\"settleCcy\":\"BTC\"");
        let r = rules(&serde_json::from_str(&raw).unwrap()).unwrap();
        assert_eq!(r.category, ProductCategory::Inverse);
        assert_eq!(r.kind, ContractKind::Dated);
        assert_eq!(r.expiry_ms, Some(1_798_185_600_000));
        assert_eq!(r.contract_size, Some(Decimal::from(100)));
        assert_eq!(r.settle_asset, "BTC");
    }

    #[test]
    fn a_malformed_instrument_is_refused_whole() {
        let raw = SWAP.replace("\"tickSz\":\"0.1\"", "\"tickSz\":\"x\"");
        let e = rules(&serde_json::from_str(&raw).unwrap()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Malformed);
    }

    #[test]
    fn orders_off_the_grid_or_below_minimum_are_refused_unsent() {
        let r = swap();
        assert_eq!(check_order(&order("1.2", Some("30000.1")), &r), Ok(()));
        assert_eq!(check_order(&order("5", None), &r), Ok(()));
        for bad in [
            order("1.25", Some("30000")), // too many decimals
            order("0.05", Some("30000")), // below minSz
            order("1", Some("30000.15")), // off tick
            order("12001", None),         // above maxMktSz
        ] {
            let e = check_order(&bad, &r).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Validation, "{bad:?}");
            assert!(e.not_sent);
        }
        let mut stop = order("1", None);
        stop.order_type = OrderType::StopMarket;
        assert!(check_order(&stop, &r).is_err(), "no trigger price");
        stop.trigger_price = Some("29000.5".parse().unwrap());
        assert_eq!(check_order(&stop, &r), Ok(()));
    }

    #[test]
    fn client_ids_must_fit_okx_clordid() {
        assert_eq!(check_client_id("rmp0123456789abcdefghijklmnopqrs"), Ok(()));
        for bad in ["", "rmp-1", "rmp_1", &"a".repeat(33)] {
            let e = check_client_id(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Validation);
            assert!(e.not_sent);
        }
    }
}
