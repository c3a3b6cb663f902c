//! Instrument rules from `public/get_instruments` and the checks an order passes before it is
//! sent. From the API reference of `public/get_instruments` and `private/buy`:
//! - `tick_size` is the smallest price step; `tick_size_steps[]` (`above_price`, `tick_size`)
//!   make it coarser above given prices ("Tick size to be used above the price");
//! - `contract_size`: "Contract size for instrument" (10 USD for BTC futures and the perpetual,
//!   1 USD for ETH's, 1 coin for an option);
//! - `min_trade_amount`: "For perpetual and inverse futures the amount is in USD units. For
//!   options and linear futures … the underlying base currency coin";
//! - `label`: "user defined label for the order (maximum 64 characters)".
//!
//! Rampart counts Deribit sizes in contracts (`private/buy` takes `contracts` "instead of
//! amount"): a BTC perpetual order of 3 is 30 USD. So `step_size` is `min_trade_amount /
//! contract_size` and an amount is "a multiple of min_trade_amount" exactly when the size is a
//! multiple of the step.

use rampart_core::trading::{
    ContractKind, OptionRight, OptionSpec, ProductCategory, TickStep, is_portable_client_order_id,
};
use rampart_core::{OrderType, TimeInForce};
use rust_decimal::Decimal;

use super::error::{malformed, validation};
use super::json::opt_dec;
use super::models::Instrument;
use crate::venue::{Error, InstrumentRules, MarginMode, OrderRequest, PositionSide};

type Result<T> = std::result::Result<T, Error>;

/// The most characters Deribit accepts in `label`.
pub const LABEL_MAX: usize = 64;

/// One instrument's rules; `None` for kinds Rampart does not trade (spot, combos).
pub fn rules(i: &Instrument) -> Result<Option<InstrumentRules>> {
    let name = &i.instrument_name;
    let category = match (i.kind.as_str(), i.instrument_type.as_deref()) {
        ("option", _) => ProductCategory::Option,
        ("future", Some("reversed")) => ProductCategory::Inverse,
        ("future", Some("linear")) => ProductCategory::Linear,
        ("future", t) => {
            return Err(malformed(format_args!(
                "future {name} of instrument_type {t:?}"
            )));
        }
        _ => return Ok(None),
    };
    let perpetual = i.settlement_period.as_deref() == Some("perpetual");
    let tick = i.tick_size.dec("tick_size")?;
    let contract = i.contract_size.dec("contract_size")?;
    let min_amount = i.min_trade_amount.dec("min_trade_amount")?;
    if tick <= Decimal::ZERO || contract <= Decimal::ZERO || min_amount <= Decimal::ZERO {
        return Err(malformed(format_args!(
            "{name}: tick_size {}, contract_size {}, min_trade_amount {}",
            tick, contract, min_amount
        )));
    }
    let mut steps = Vec::with_capacity(i.tick_size_steps.len());
    for s in &i.tick_size_steps {
        steps.push(TickStep {
            from_price: s.above_price.dec("tick_size_steps.above_price")?,
            tick: s.tick_size.dec("tick_size_steps.tick_size")?,
        });
    }
    steps.sort_by_key(|s| s.from_price);
    let step = (min_amount / contract).normalize();
    let option = if category == ProductCategory::Option {
        let strike = opt_dec("strike", &i.strike)?
            .ok_or_else(|| malformed(format_args!("option {name} without a strike")))?;
        let right = match i.option_type.as_deref() {
            Some("call") => OptionRight::Call,
            Some("put") => OptionRight::Put,
            t => return Err(malformed(format_args!("option {name} of type {t:?}"))),
        };
        Some(OptionSpec {
            underlying: i.base_currency.clone(),
            strike,
            right,
            premium_currency: i.quote_currency.clone(),
        })
    } else {
        None
    };
    let expiry_ms = match (&i.expiration_timestamp, perpetual) {
        (Some(t), false) => Some(t.int("expiration_timestamp")?),
        _ => None,
    };
    Ok(Some(InstrumentRules {
        symbol: name.clone(),
        category,
        kind: if perpetual {
            ContractKind::Perpetual
        } else {
            ContractKind::Dated
        },
        base_asset: i.base_currency.clone(),
        quote_asset: i.quote_currency.clone(),
        settle_asset: i
            .settlement_currency
            .clone()
            .unwrap_or_else(|| i.base_currency.clone()),
        trading: i.is_active,
        tick_size: tick,
        tick_steps: steps,
        min_price: Decimal::ZERO,
        max_price: Decimal::ZERO,
        step_size: step,
        min_qty: step,
        max_qty: Decimal::ZERO,
        max_market_qty: Decimal::ZERO,
        min_notional: Decimal::ZERO,
        contract_size: Some(contract),
        expiry_ms,
        option,
        max_leverage: opt_dec("max_leverage", &i.max_leverage)?,
    }))
}

/// Whether `id` can be Rampart's label on Deribit: a portable client order id (letters and
/// digits, at most 32), well within Deribit's 64.
pub fn check_client_id(id: &str) -> Result<()> {
    if is_portable_client_order_id(id) && id.len() <= LABEL_MAX {
        Ok(())
    } else {
        Err(validation(format!(
            "{id:?} cannot be an order label: Rampart labels Deribit orders with 1 to 32 \
             letters and digits. The order was not sent."
        )))
    }
}

fn on_grid(value: Decimal, step: Decimal) -> bool {
    step.is_zero() || (value % step).is_zero()
}

/// The tick in force at `price` and whether `price` is on it.
pub fn check_tick(rules: &InstrumentRules, what: &str, price: Decimal) -> Result<()> {
    let sym = &rules.symbol;
    if price <= Decimal::ZERO {
        return Err(validation(format!(
            "The {what} must be more than zero; the order was not sent."
        )));
    }
    let tick = rules.tick_at(price);
    if !on_grid(price, tick) {
        return Err(validation(format!(
            "The {what} {price} is not on {sym}'s tick of {tick} at that price; the order was \
             not sent."
        )));
    }
    Ok(())
}

/// Checks a size (contracts) against the instrument.
pub fn check_size(rules: &InstrumentRules, qty: Decimal) -> Result<()> {
    let sym = &rules.symbol;
    let step = rules.step_size;
    if qty <= Decimal::ZERO {
        return Err(validation("The order size must be more than zero."));
    }
    if !on_grid(qty, step) {
        return Err(validation(format!(
            "The size {qty} is not a multiple of {sym}'s minimum of {step} contract(s) (Deribit's \
             min_trade_amount); the order was not sent."
        )));
    }
    Ok(())
}

/// Checks `order` against `rules` (and Deribit's own order rules) before anything is sent.
pub fn check_order(order: &OrderRequest, rules: &InstrumentRules) -> Result<()> {
    check_client_id(&order.client_order_id)?;
    let sym = &order.symbol;
    if !rules.trading {
        return Err(validation(format!(
            "{sym} is not trading on Deribit right now; the order was not sent."
        )));
    }
    if order.position_side != PositionSide::Net {
        return Err(validation(
            "Deribit keeps one position per instrument (no hedge mode): the order cannot name \
             a long or short position. The order was not sent.",
        ));
    }
    if order.margin_mode == Some(MarginMode::Isolated) {
        return Err(validation(
            "Deribit margins the whole (sub-)account together: there is no isolated margin per \
             instrument. The order was not sent.",
        ));
    }
    check_size(rules, order.qty.get())?;
    match (order.order_type.has_limit_price(), order.price) {
        (true, Some(p)) => check_tick(rules, "price", p.get())?,
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
    if order.order_type.has_trigger_price() && rules.category == ProductCategory::Option {
        return Err(validation(
            "Deribit takes stop and take-profit orders on futures only, not on options. The \
             order was not sent.",
        ));
    }
    match (order.order_type.has_trigger_price(), order.trigger_price) {
        (true, Some(p)) => check_tick(rules, "trigger price", p.get())?,
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
    // "post_only … Only valid in combination with time_in_force=good_til_cancelled".
    if order.time_in_force == Some(TimeInForce::PostOnly) && !order.order_type.has_limit_price() {
        return Err(validation(
            "Only limit orders can be post-only; the order was not sent.",
        ));
    }
    if order.order_type == OrderType::Market
        && matches!(order.time_in_force, Some(TimeInForce::Gtc))
    {
        return Err(validation(
            "A market order cannot rest: give it no time in force, IOC or FOK. The order was \
             not sent.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deribit::json::parse;
    use rampart_core::Side;

    /// A BTC option row as `public/get_instruments` documents it (tick 0.0001, 0.0005 above
    /// 0.005; contract size 1; minimum 0.1).
    pub(crate) const OPTION: &str = r#"{"tick_size":0.0001,"tick_size_steps":[{"above_price":0.005,"tick_size":0.0005}],"taker_commission":0.0003,"strike":100000,"settlement_period":"month","settlement_currency":"BTC","quote_currency":"BTC","price_index":"btc_usd","option_type":"call","min_trade_amount":0.1,"maker_commission":0.0003,"kind":"option","is_active":true,"instrument_name":"BTC-25DEC26-100000-C","instrument_id":1,"instrument_type":"reversed","expiration_timestamp":1798185600000,"creation_timestamp":1,"counter_currency":"USD","contract_size":1.0,"block_trade_tick_size":0.0001,"block_trade_min_trade_amount":25,"block_trade_commission":0.0003,"base_currency":"BTC"}"#;
    /// The BTC perpetual (tick 0.5, contract 10 USD, minimum 10 USD).
    pub(crate) const PERPETUAL: &str = r#"{"tick_size":0.5,"tick_size_steps":[],"taker_commission":0.0005,"settlement_period":"perpetual","settlement_currency":"BTC","quote_currency":"USD","price_index":"btc_usd","min_trade_amount":10,"max_liquidation_commission":0.0075,"max_leverage":50,"maker_commission":0.0,"kind":"future","is_active":true,"instrument_name":"BTC-PERPETUAL","instrument_id":210838,"instrument_type":"reversed","future_type":"reversed","expiration_timestamp":32503708800000,"creation_timestamp":1534242287000,"counter_currency":"USD","contract_size":10.0,"block_trade_tick_size":0.01,"block_trade_min_trade_amount":200000,"block_trade_commission":0.00025,"base_currency":"BTC"}"#;

    fn parsed(row: &str) -> InstrumentRules {
        rules(&parse::<Instrument>(row).unwrap()).unwrap().unwrap()
    }

    fn order(symbol: &str, qty: &str, price: Option<&str>) -> OrderRequest {
        OrderRequest {
            symbol: symbol.into(),
            client_order_id: "rmpA1".into(),
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
    fn an_option_row_becomes_rules_with_price_dependent_ticks() {
        let r = parsed(OPTION);
        assert_eq!(r.category, ProductCategory::Option);
        assert_eq!(r.kind, ContractKind::Dated);
        assert_eq!(r.expiry_ms, Some(1_798_185_600_000));
        assert_eq!(r.tick_size, Decimal::new(1, 4));
        assert_eq!(r.tick_at(Decimal::new(4, 3)), Decimal::new(1, 4));
        assert_eq!(r.tick_at(Decimal::new(5, 3)), Decimal::new(5, 4));
        assert_eq!(r.step_size, Decimal::new(1, 1));
        assert_eq!(r.contract_size, Some(Decimal::ONE));
        let o = r.option.unwrap();
        assert_eq!(o.strike, Decimal::from(100_000));
        assert_eq!(o.right, OptionRight::Call);
        assert_eq!(o.underlying, "BTC");
        assert_eq!(o.premium_currency, "BTC");
    }

    #[test]
    fn the_perpetual_is_inverse_in_10_usd_contracts_without_expiry() {
        let r = parsed(PERPETUAL);
        assert_eq!(r.category, ProductCategory::Inverse);
        assert_eq!(r.kind, ContractKind::Perpetual);
        assert_eq!(r.expiry_ms, None);
        assert_eq!(r.contract_size, Some(Decimal::from(10)));
        assert_eq!(r.step_size, Decimal::ONE);
        assert_eq!(r.max_leverage, Some(Decimal::from(50)));
        assert_eq!(r.settle_asset, "BTC");
        assert_eq!(r.quote_asset, "USD");
    }

    #[test]
    fn spot_and_combos_are_left_out() {
        let spot = PERPETUAL.replace(r#""kind":"future""#, r#""kind":"spot""#);
        assert!(
            rules(&parse::<Instrument>(&spot).unwrap())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn prices_must_sit_on_the_tick_in_force_at_that_price() {
        let r = parsed(OPTION);
        let sym = "BTC-25DEC26-100000-C";
        assert!(check_order(&order(sym, "0.1", Some("0.0043")), &r).is_ok());
        // Above 0.005 the tick is 0.0005: 0.0052 is off it, 0.0055 on it.
        let e = check_order(&order(sym, "0.1", Some("0.0052")), &r).unwrap_err();
        assert!(e.message.contains("tick of 0.0005"), "{}", e.message);
        assert!(e.not_sent);
        assert!(check_order(&order(sym, "0.1", Some("0.0055")), &r).is_ok());
    }

    #[test]
    fn sizes_must_be_multiples_of_the_minimum_trade_amount() {
        let r = parsed(OPTION);
        let sym = "BTC-25DEC26-100000-C";
        let e = check_order(&order(sym, "0.15", Some("0.001")), &r).unwrap_err();
        assert!(e.message.contains("multiple"), "{}", e.message);
        let p = parsed(PERPETUAL);
        assert!(check_order(&order("BTC-PERPETUAL", "3", None), &p).is_ok());
        assert!(check_order(&order("BTC-PERPETUAL", "2.5", None), &p).is_err());
    }

    #[test]
    fn what_deribit_does_not_have_is_refused_before_sending() {
        let p = parsed(PERPETUAL);
        let mut o = order("BTC-PERPETUAL", "1", Some("30000.5"));
        o.position_side = PositionSide::Long;
        assert!(check_order(&o, &p).unwrap_err().message.contains("hedge"));
        let mut o = order("BTC-PERPETUAL", "1", Some("30000.5"));
        o.margin_mode = Some(MarginMode::Isolated);
        assert!(
            check_order(&o, &p)
                .unwrap_err()
                .message
                .contains("isolated")
        );
        let mut o = order("BTC-25DEC26-100000-C", "0.1", None);
        o.order_type = OrderType::StopMarket;
        o.trigger_price = Some("0.01".parse().unwrap());
        assert!(
            check_order(&o, &parsed(OPTION))
                .unwrap_err()
                .message
                .contains("futures only")
        );
        let mut o = order("BTC-PERPETUAL", "1", None);
        o.client_order_id = "has-dash".into();
        assert!(check_order(&o, &p).unwrap_err().message.contains("label"));
    }
}
