//! Checks an order against its instrument's rules before anything is sent, and writes Bybit's
//! `POST /v5/order/create` body ("Trade → Place Order", `docs/v5/order/create-order.mdx`).
//!
//! Refused here, with [`ErrorKind::Validation`](crate::venue::ErrorKind::Validation) and
//! `not_sent`: a client id Bybit would not take, a size or price with more decimals than the
//! step or tick allows or off the step or tick, a size below the minimum or above the maximum,
//! a price outside the instrument's band, an order worth less than the minimum notional, a
//! type without the price it needs, post-only on a market order.

use rampart_core::trading::{OrderRequest, ProductCategory, TriggerBy};
use rampart_core::{OrderType, TimeInForce};
use rust_decimal::Decimal;
use serde::Serialize;

use super::convert::{position_idx, side_wire};
use super::error::validation;
use crate::venue::{InstrumentRules, Result};

/// The longest `orderLinkId` Bybit takes ("Place Order": "A max of 36 characters.
/// Combinations of numbers, letters (upper and lower cases), dashes, and underscores are
/// supported."; "always unique").
pub const ORDER_LINK_ID_MAX_LEN: usize = 36;

/// Whether Bybit takes `id` as an `orderLinkId`.
pub fn is_valid_order_link_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= ORDER_LINK_ID_MAX_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Bybit's `category` for an instrument.
pub fn category_wire(category: ProductCategory) -> &'static str {
    match category {
        ProductCategory::Linear => "linear",
        ProductCategory::Inverse => "inverse",
        ProductCategory::Option => "option",
    }
}

/// The body of `POST /v5/order/create`, in the order its fields are written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrder {
    pub category: &'static str,
    pub symbol: String,
    pub side: &'static str,
    pub order_type: &'static str,
    pub qty: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    /// 1: triggered when the price rises to `trigger_price`; 2: when it falls to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger_direction: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger_price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger_by: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_in_force: Option<&'static str>,
    pub position_idx: u8,
    pub order_link_id: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reduce_only: bool,
}

fn text(d: Decimal) -> String {
    d.normalize().to_string()
}

/// Whether `value` is a whole number of `step`s (a zero step allows anything).
fn on_step(value: Decimal, step: Decimal) -> bool {
    step.is_zero() || (value % step).is_zero()
}

fn check_price(what: &str, price: Decimal, rules: &InstrumentRules) -> Result<()> {
    if price <= Decimal::ZERO {
        return Err(validation(format!("The {what} must be above zero.")));
    }
    let tick = rules.tick_at(price);
    if price.normalize().scale() > tick.normalize().scale() {
        return Err(validation(format!(
            "The {what} {price} has more decimals than {} allows (tick {tick}).",
            rules.symbol
        )));
    }
    if !on_step(price, tick) {
        return Err(validation(format!(
            "The {what} {price} is not a multiple of {}'s tick size {tick}.",
            rules.symbol
        )));
    }
    if !rules.min_price.is_zero() && price < rules.min_price {
        return Err(validation(format!(
            "The {what} {price} is below {}'s minimum price {}.",
            rules.symbol, rules.min_price
        )));
    }
    if !rules.max_price.is_zero() && price > rules.max_price {
        return Err(validation(format!(
            "The {what} {price} is above {}'s maximum price {}.",
            rules.symbol, rules.max_price
        )));
    }
    Ok(())
}

/// Checks `order` against `rules`; `mark` (the order's reference price, else the venue's mark)
/// values a market order for the minimum notional.
pub fn check_order(
    order: &OrderRequest,
    rules: &InstrumentRules,
    mark: Option<Decimal>,
) -> Result<()> {
    if !is_valid_order_link_id(&order.client_order_id) {
        return Err(validation(format!(
            "The client order id '{}' does not fit Bybit's rule (1 to 36 letters, digits, '-' \
             or '_'); nothing was sent.",
            order.client_order_id
        )));
    }
    if order.symbol != rules.symbol {
        return Err(validation(format!(
            "The order is for {} but the rules are {}'s.",
            order.symbol, rules.symbol
        )));
    }
    if !rules.trading {
        return Err(validation(format!(
            "{} is not trading on Bybit now.",
            rules.symbol
        )));
    }
    let qty = order.qty.get();
    if qty <= Decimal::ZERO {
        return Err(validation("The quantity must be above zero."));
    }
    if qty.normalize().scale() > rules.step_size.normalize().scale() {
        return Err(validation(format!(
            "The quantity {qty} has more decimals than {} allows (step {}).",
            rules.symbol, rules.step_size
        )));
    }
    if !on_step(qty, rules.step_size) {
        return Err(validation(format!(
            "The quantity {qty} is not a multiple of {}'s step {}.",
            rules.symbol, rules.step_size
        )));
    }
    if qty < rules.min_qty {
        return Err(validation(format!(
            "The quantity {qty} is below {}'s minimum {}.",
            rules.symbol, rules.min_qty
        )));
    }
    let market = !order.order_type.has_limit_price();
    let max = if market {
        rules.max_market_qty
    } else {
        rules.max_qty
    };
    if !max.is_zero() && qty > max {
        return Err(validation(format!(
            "The quantity {qty} is above {}'s maximum {max} for this order type.",
            rules.symbol
        )));
    }
    let price = order.price.map(|p| p.get());
    match (order.order_type.has_limit_price(), price) {
        (true, None) => return Err(validation("A limit order needs a price.")),
        (true, Some(p)) => check_price("price", p, rules)?,
        (false, Some(_)) => {
            return Err(validation("A market order takes no price; leave it empty."));
        }
        (false, None) => {}
    }
    let trigger = order.trigger_price.map(|p| p.get());
    match (order.order_type.has_trigger_price(), trigger) {
        (true, None) => {
            return Err(validation(
                "A stop or take-profit order needs a trigger price.",
            ));
        }
        (true, Some(t)) => check_price("trigger price", t, rules)?,
        (false, Some(_)) => {
            return Err(validation(
                "Only stop and take-profit orders take a trigger price.",
            ));
        }
        (false, None) => {}
    }
    if market && order.time_in_force == Some(TimeInForce::PostOnly) {
        return Err(validation("A market order cannot be post-only."));
    }
    // Linear contracts have a minimum order value in the quote coin; inverse ones are sized in
    // USD already.
    if rules.category == ProductCategory::Linear && !rules.min_notional.is_zero() {
        let valued_at = price.or(trigger).or(mark);
        if let Some(at) = valued_at
            && qty * at < rules.min_notional
        {
            return Err(validation(format!(
                "The order is worth {} {}, below {}'s minimum order value {}.",
                (qty * at).normalize(),
                rules.quote_asset,
                rules.symbol,
                rules.min_notional
            )));
        }
    }
    Ok(())
}

/// The `POST /v5/order/create` body for a checked order.
pub fn create_order(order: &OrderRequest, rules: &InstrumentRules) -> CreateOrder {
    let buy = order.side == rampart_core::Side::Buy;
    // A stop buys when the price rises to the trigger and sells when it falls to it; a
    // take-profit the other way round.
    let trigger_direction = match order.order_type {
        OrderType::StopMarket | OrderType::StopLimit => Some(if buy { 1 } else { 2 }),
        OrderType::TakeProfitMarket | OrderType::TakeProfitLimit => Some(if buy { 2 } else { 1 }),
        OrderType::Market | OrderType::Limit => None,
    };
    let limit = order.order_type.has_limit_price();
    CreateOrder {
        category: category_wire(rules.category),
        symbol: order.symbol.clone(),
        side: side_wire(order.side),
        order_type: if limit { "Limit" } else { "Market" },
        qty: text(order.qty.get()),
        price: order.price.map(|p| text(p.get())),
        trigger_direction,
        trigger_price: order.trigger_price.map(|p| text(p.get())),
        trigger_by: trigger_direction.map(|_| match order.trigger_by {
            Some(TriggerBy::Mark) => "MarkPrice",
            Some(TriggerBy::Index) => "IndexPrice",
            Some(TriggerBy::Last) | None => "LastPrice",
        }),
        time_in_force: if limit {
            Some(match order.time_in_force {
                Some(TimeInForce::Gtc) | None => "GTC",
                Some(TimeInForce::Ioc) => "IOC",
                Some(TimeInForce::Fok) => "FOK",
                Some(TimeInForce::PostOnly) => "PostOnly",
            })
        } else {
            match order.time_in_force {
                Some(TimeInForce::Fok) => Some("FOK"),
                Some(TimeInForce::Ioc) => Some("IOC"),
                _ => None,
            }
        },
        position_idx: position_idx(order.position_side),
        order_link_id: order.client_order_id.clone(),
        reduce_only: order.reduce_only,
    }
}
