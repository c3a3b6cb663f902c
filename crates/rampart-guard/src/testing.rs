//! Facts for the tests: one order on one account, at a fixed moment.

use rampart_core::{OrderType, Side, Venue};
use rust_decimal::Decimal;

use crate::facts::{ContractValue, Moment, OrderFacts};

/// 2026-11-27 12:00 UTC.
pub const T0: Moment = Moment::utc(1_795_780_800_000);

pub fn d(s: &str) -> Decimal {
    s.parse().expect("a decimal literal")
}

/// A market buy of `qty` BTCUSDT on account "acct" (Demo) at T0, the mark at 60,000.
pub fn order(qty: &str) -> OrderFacts<'static> {
    OrderFacts {
        account: "acct",
        venue: Venue::Demo,
        symbol: "BTCUSDT",
        side: Side::Buy,
        order_type: OrderType::Market,
        qty: d(qty),
        price: None,
        trigger_price: None,
        mark: Some(d("60000")),
        value: ContractValue::LINEAR,
        reduce_only: false,
        leverage: Some(10),
        position_qty: Decimal::ZERO,
        open_orders: 0,
        at: T0,
    }
}
