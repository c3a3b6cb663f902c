//! Binance USDⓈ-M's Algo Service (since 2025-12-09): conditional orders (`algoType=CONDITIONAL`:
//! STOP_MARKET, STOP, TAKE_PROFIT, TAKE_PROFIT_MARKET, TRAILING_STOP_MARKET) live outside the
//! matching engine until their `triggerPrice` is reached (for a trailing stop: the price comes
//! back `callbackRate` % from its best since `activatePrice`), then place a regular MARKET (or
//! LIMIT) order whose `orderId` becomes the algo order's `actualOrderId`.
//!
//! Statuses, as documented: NEW (waiting), TRIGGERING (condition met, being forwarded),
//! TRIGGERED (placed in the matching engine), FINISHED (that order is done), CANCELED,
//! REJECTED (the order could not be placed; `rm` says why), EXPIRED.
//!
//! This module holds the algo order itself and its documented JSON: the REST answer (New /
//! Query / Current All Open / Query All Algo Orders) and the `ALGO_UPDATE` user data event.
//! Placing, triggering and cancelling run in [`super::exchange::Exchange`].

use rust_decimal::Decimal;
use serde_json::{Value, json};

/// The order types the Algo Service takes for `algoType=CONDITIONAL`.
pub(super) const CONDITIONAL_TYPES: [&str; 5] = [
    "STOP_MARKET",
    "STOP",
    "TAKE_PROFIT",
    "TAKE_PROFIT_MARKET",
    "TRAILING_STOP_MARKET",
];

/// `d` with exactly `scale` decimals, as Binance prints prices and quantities.
fn fixed(d: Decimal, scale: u32) -> String {
    let mut d = d;
    d.rescale(scale);
    d.to_string()
}

/// What the order an algo order placed has done so far (for `actualPrice`, `actualQty`,
/// `actualType`, and the event's `ap`, `aq`, `act`).
#[derive(Debug, Clone, Default)]
pub(super) struct Actual {
    pub(super) avg_price: Decimal,
    pub(super) qty: Decimal,
    pub(super) kind: &'static str,
}

/// A trailing stop's state.
#[derive(Debug, Clone)]
pub(super) struct Trailing {
    pub(super) activate_price: Decimal,
    pub(super) callback_rate: Decimal,
    pub(super) activated: bool,
    pub(super) extreme: Decimal,
}

impl Trailing {
    /// The price moved to `price`: activation (SELL at or above `activatePrice`, BUY at or
    /// below), then the best price since.
    fn observe(&mut self, buy: bool, price: Decimal) {
        if !self.activated {
            self.activated = if buy {
                price <= self.activate_price
            } else {
                price >= self.activate_price
            };
            self.extreme = price;
            return;
        }
        self.extreme = if buy {
            self.extreme.min(price)
        } else {
            self.extreme.max(price)
        };
    }

    /// Activated, and `price` came back `callbackRate` % from the best price.
    fn reached(&self, buy: bool, price: Decimal) -> bool {
        let rate = self.callback_rate / Decimal::ONE_HUNDRED;
        self.activated
            && if buy {
                price >= self.extreme * (Decimal::ONE + rate)
            } else {
                price <= self.extreme * (Decimal::ONE - rate)
            }
    }
}

/// One algo (conditional) order.
#[derive(Debug, Clone)]
pub(super) struct AlgoOrder {
    pub(super) algo_id: u64,
    pub(super) api_key: String,
    pub(super) client_algo_id: String,
    pub(super) symbol: String,
    /// BUY or SELL.
    pub(super) side: &'static str,
    /// STOP_MARKET, STOP, TAKE_PROFIT, TAKE_PROFIT_MARKET or TRAILING_STOP_MARKET.
    pub(super) order_type: String,
    pub(super) time_in_force: String,
    /// Zero for `closePosition=true`.
    pub(super) qty: Decimal,
    /// The limit price of STOP / TAKE_PROFIT; `None` for the MARKET kinds.
    pub(super) price: Option<Decimal>,
    /// Zero for TRAILING_STOP_MARKET.
    pub(super) trigger_price: Decimal,
    /// TRAILING_STOP_MARKET only: `activatePrice`, `callbackRate` (percent), whether the
    /// activation price was reached, and the best price since (highest for a SELL, lowest for a
    /// BUY).
    pub(super) trailing: Option<Trailing>,
    /// MARK_PRICE or CONTRACT_PRICE.
    pub(super) working_type: &'static str,
    pub(super) reduce_only: bool,
    pub(super) close_position: bool,
    pub(super) price_protect: bool,
    pub(super) good_till_date: i64,
    pub(super) status: &'static str,
    /// The regular order placed on trigger (its orderId).
    pub(super) actual_order_id: Option<u64>,
    /// Why the order was rejected on trigger (`rm` in ALGO_UPDATE), empty otherwise.
    pub(super) reject_reason: String,
    pub(super) create_time: i64,
    pub(super) update_time: i64,
    pub(super) trigger_time: i64,
}

impl AlgoOrder {
    /// Waiting for its trigger (and cancellable): listed by `GET /fapi/v1/openAlgoOrders`.
    pub(super) fn is_open(&self) -> bool {
        matches!(self.status, "NEW" | "TRIGGERING")
    }

    /// Not yet at a final status: its `clientAlgoId` may not be reused.
    pub(super) fn is_live(&self) -> bool {
        matches!(self.status, "NEW" | "TRIGGERING" | "TRIGGERED")
    }

    /// What the triggered order will be: MARKET, or LIMIT for STOP / TAKE_PROFIT.
    pub(super) fn working_kind(&self) -> &'static str {
        match self.order_type.as_str() {
            "STOP" | "TAKE_PROFIT" => "LIMIT",
            _ => "MARKET",
        }
    }

    /// Whether the trigger condition holds at `price`: STOP / STOP_MARKET buy at or above the
    /// trigger price, sell at or below; TAKE_PROFIT / TAKE_PROFIT_MARKET the other way.
    pub(super) fn reached(&self, price: Decimal) -> bool {
        match &self.trailing {
            Some(t) => t.reached(self.side == "BUY", price),
            None => trigger_reached(&self.order_type, self.side, self.trigger_price, price),
        }
    }

    /// A trailing stop follows the price (nothing for the other kinds).
    pub(super) fn observe(&mut self, price: Decimal) {
        let buy = self.side == "BUY";
        if let Some(t) = self.trailing.as_mut() {
            t.observe(buy, price);
        }
    }

    fn actual_id(&self) -> String {
        self.actual_order_id
            .map(|id| id.to_string())
            .unwrap_or_default()
    }

    /// The algo order as the REST endpoints answer it; `px` and `qx` are the symbol's price
    /// and quantity precisions.
    pub(super) fn to_json(&self, px: u32, qx: u32, actual: &Actual) -> Value {
        json!({
            "algoId": self.algo_id,
            "clientAlgoId": self.client_algo_id,
            "algoType": "CONDITIONAL",
            "orderType": self.order_type,
            "symbol": self.symbol,
            "side": self.side,
            "positionSide": "BOTH",
            "timeInForce": self.time_in_force,
            "quantity": fixed(self.qty, qx),
            "algoStatus": self.status,
            "actualOrderId": self.actual_id(),
            "actualPrice": fixed(actual.avg_price, px.max(5)),
            "actualType": actual.kind,
            "actualQty": fixed(actual.qty, qx),
            "triggerPrice": fixed(self.trigger_price, px),
            "price": fixed(self.price.unwrap_or(Decimal::ZERO), px),
            "icebergQuantity": Value::Null,
            "tpTriggerPrice": fixed(Decimal::ZERO, px),
            "tpPrice": fixed(Decimal::ZERO, px),
            "slTriggerPrice": fixed(Decimal::ZERO, px),
            "slPrice": fixed(Decimal::ZERO, px),
            "tpOrderType": "",
            "selfTradePreventionMode": "EXPIRE_MAKER",
            "workingType": self.working_type,
            "priceMatch": "NONE",
            "closePosition": self.close_position,
            "priceProtect": self.price_protect,
            "reduceOnly": self.reduce_only,
            "activatePrice": self
                .trailing
                .as_ref()
                .map_or(String::new(), |t| fixed(t.activate_price, px)),
            "callbackRate": self
                .trailing
                .as_ref()
                .map_or(String::new(), |t| t.callback_rate.normalize().to_string()),
            "createTime": self.create_time,
            "updateTime": self.update_time,
            "triggerTime": self.trigger_time,
            "goodTillDate": self.good_till_date,
        })
    }

    /// The documented `ALGO_UPDATE` user data event for the algo order's current status.
    pub(super) fn event(&self, px: u32, qx: u32, actual: &Actual, now: i64) -> Value {
        json!({
            "e": "ALGO_UPDATE",
            "T": now,
            "E": now,
            "o": {
                "caid": self.client_algo_id,
                "aid": self.algo_id,
                "at": "CONDITIONAL",
                "o": self.order_type,
                "s": self.symbol,
                "S": self.side,
                "ps": "BOTH",
                "f": self.time_in_force,
                "q": fixed(self.qty, qx),
                "X": self.status,
                "ai": self.actual_id(),
                "ap": fixed(actual.avg_price, px.max(5)),
                "aq": fixed(actual.qty, qx),
                "act": if actual.kind.is_empty() { "0" } else { actual.kind },
                "tp": fixed(self.trigger_price, px),
                "p": fixed(self.price.unwrap_or(Decimal::ZERO), px),
                "V": "EXPIRE_MAKER",
                "wt": self.working_type,
                "pm": "NONE",
                "cp": self.close_position,
                "pP": self.price_protect,
                "R": self.reduce_only,
                "tt": self.trigger_time,
                "gtd": self.good_till_date,
                "rm": self.reject_reason,
            }
        })
    }
}

/// The trigger rule of a conditional `order_type` on `side` with `trigger` at `price`.
pub(super) fn trigger_reached(
    order_type: &str,
    side: &str,
    trigger: Decimal,
    price: Decimal,
) -> bool {
    let stop = matches!(order_type, "STOP" | "STOP_MARKET");
    match (stop, side == "BUY") {
        (true, true) | (false, false) => price >= trigger,
        (true, false) | (false, true) => price <= trigger,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn a_trailing_stop_activates_then_fires_on_the_callback() {
        let mut t = Trailing {
            activate_price: d("110"),
            callback_rate: d("1"),
            activated: false,
            extreme: Decimal::ZERO,
        };
        t.observe(false, d("105"));
        assert!(!t.activated && !t.reached(false, d("90")));
        t.observe(false, d("110"));
        t.observe(false, d("120"));
        assert!(!t.reached(false, d("118.81")));
        assert!(t.reached(false, d("118.8")));
    }

    #[test]
    fn stops_trigger_through_the_price_take_profits_before_it() {
        assert!(trigger_reached("STOP_MARKET", "SELL", d("100"), d("100")));
        assert!(!trigger_reached(
            "STOP_MARKET",
            "SELL",
            d("100"),
            d("100.1")
        ));
        assert!(trigger_reached("STOP", "BUY", d("100"), d("100.1")));
        assert!(!trigger_reached("STOP", "BUY", d("100"), d("99.9")));
        assert!(trigger_reached(
            "TAKE_PROFIT_MARKET",
            "SELL",
            d("100"),
            d("100")
        ));
        assert!(!trigger_reached(
            "TAKE_PROFIT_MARKET",
            "SELL",
            d("100"),
            d("99")
        ));
        assert!(trigger_reached("TAKE_PROFIT", "BUY", d("100"), d("99")));
    }
}
