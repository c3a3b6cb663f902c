//! Conditional orders through Binance USDⓈ-M's Algo Service.
//!
//! Since 2025-12-09 (derivatives change log, entry of 2025-11-06) `POST /fapi/v1/order` and
//! `POST /fapi/v1/batchOrders` refuse the conditional types (`STOP`, `STOP_MARKET`,
//! `TAKE_PROFIT`, `TAKE_PROFIT_MARKET`, `TRAILING_STOP_MARKET`) with -4120 ("Order type not
//! supported for this endpoint. Please use the Algo Order API endpoints instead."). They go to
//! the Algo Service instead (USDⓈ-M Futures → Trade → REST API):
//!
//! | what | request | weight |
//! |---|---|---|
//! | New Algo Order | `POST /fapi/v1/algoOrder` | 0 (counts on the order limits) |
//! | Query Algo Order | `GET /fapi/v1/algoOrder` (`algoId` or `clientAlgoId`) | 1 |
//! | Cancel Algo Order | `DELETE /fapi/v1/algoOrder` (`algoid` or `clientalgoid`) | 1 |
//! | Current All Algo Open Orders | `GET /fapi/v1/openAlgoOrders` | 1 for a symbol, 40 without |
//! | Cancel All Algo Open Orders | `DELETE /fapi/v1/algoOpenOrders` (`symbol`) | 1 |
//!
//! An algo order has its own ids (`algoId`, `clientAlgoId`) and its own status (`algoStatus`):
//! `NEW` (in the Algo Service, not triggered), `CANCELED`, `TRIGGERING` (condition met, being
//! forwarded to the matching engine), `TRIGGERED` (placed in the matching engine; its order
//! there is `actualOrderId`), `FINISHED` (that order filled or was cancelled in the matching
//! engine), `REJECTED` (refused by the matching engine, e.g. a failed margin check) and
//! `EXPIRED` (cancelled by the system). Changes are pushed as `ALGO_UPDATE` on the user data
//! stream. At most 200 conditional orders may be open across all symbols (change log
//! 2025-12-29); beyond that the venue answers -4045.

use rampart_core::Side;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

use super::models::{self, Order, PositionSide, WireOrderType, WireTimeInForce, WorkingType, dec};

/// `algoStatus` (the same values in REST answers and in `ALGO_UPDATE`'s `X`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlgoStatus {
    /// In the Algo Service, waiting for its trigger.
    New,
    /// Cancelled (by the trader, or a cancel-all).
    Canceled,
    /// The trigger condition was met; being forwarded to the matching engine.
    Triggering,
    /// Placed in the matching engine (`actualOrderId`).
    Triggered,
    /// The order it placed filled or was cancelled in the matching engine.
    Finished,
    /// The matching engine refused the order it placed (e.g. a failed margin check).
    Rejected,
    /// Cancelled by the system.
    Expired,
}

impl AlgoStatus {
    /// Whether the conditional order can still trigger or fill.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            AlgoStatus::New | AlgoStatus::Triggering | AlgoStatus::Triggered
        )
    }

    /// Whether it has not reached the matching engine yet (nothing can have filled).
    pub fn is_untriggered(self) -> bool {
        matches!(self, AlgoStatus::New | AlgoStatus::Triggering)
    }
}

/// `algoType`: only `CONDITIONAL` is offered today; another value is kept, not refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlgoType {
    Conditional,
    #[serde(other)]
    Other,
}

/// An id Binance may send as a number or a numeric string; `""`, `null` and a missing field
/// are `None` (`actualOrderId` is `""` until the order is triggered; `ALGO_UPDATE`'s `ai`
/// likewise).
pub(super) fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Num(u64),
        Str(String),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Num(n)) => Ok(Some(n)),
        Some(Raw::Str(s)) if s.trim().is_empty() => Ok(None),
        Some(Raw::Str(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("'{s}' is not an order id"))),
    }
}

/// A time in ms where 0 means "not yet" (`triggerTime`, `goodTillDate`).
fn opt_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(Option::<i64>::deserialize(d)?.filter(|t| *t != 0))
}

/// A conditional order as New Algo Order, Query Algo Order and Current All Algo Open Orders
/// return it (the documented example of Query Algo Order is in this module's tests).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlgoOrder {
    /// Self-increment for each symbol.
    pub algo_id: u64,
    /// Rampart's client order id for a conditional order.
    pub client_algo_id: String,
    pub algo_type: AlgoType,
    /// `STOP_MARKET`, `STOP`, `TAKE_PROFIT`, `TAKE_PROFIT_MARKET`, `TRAILING_STOP_MARKET`.
    pub order_type: WireOrderType,
    pub symbol: String,
    #[serde(deserialize_with = "models::side")]
    pub side: Side,
    #[serde(default)]
    pub position_side: Option<PositionSide>,
    #[serde(default)]
    pub time_in_force: Option<WireTimeInForce>,
    #[serde(deserialize_with = "dec::string")]
    pub quantity: Decimal,
    pub algo_status: AlgoStatus,
    /// The order in the matching engine once triggered; `None` before.
    #[serde(default, deserialize_with = "opt_id")]
    pub actual_order_id: Option<u64>,
    /// `"0.00000"` until triggered.
    #[serde(default, deserialize_with = "dec::opt_string")]
    pub actual_price: Option<Decimal>,
    #[serde(deserialize_with = "dec::string")]
    pub trigger_price: Decimal,
    /// The limit price; `"0"`-like for the market types.
    #[serde(default, deserialize_with = "dec::opt_string")]
    pub price: Option<Decimal>,
    #[serde(default)]
    pub working_type: Option<WorkingType>,
    #[serde(default)]
    pub close_position: Option<bool>,
    #[serde(default)]
    pub price_protect: Option<bool>,
    pub reduce_only: bool,
    /// Not in the documented examples; read when the venue sends it.
    #[serde(default, deserialize_with = "dec::opt_string")]
    pub executed_qty: Option<Decimal>,
    #[serde(default, deserialize_with = "dec::opt_string")]
    pub avg_price: Option<Decimal>,
    pub create_time: i64,
    pub update_time: i64,
    #[serde(default, deserialize_with = "opt_time")]
    pub trigger_time: Option<i64>,
    #[serde(default, deserialize_with = "opt_time")]
    pub good_till_date: Option<i64>,
}

/// Cancel Algo Order's answer: `{"algoId", "clientAlgoId", "code": "200", "msg": "success"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlgoCancel {
    pub algo_id: u64,
    pub client_algo_id: String,
    #[serde(deserialize_with = "models::code")]
    pub code: i64,
    pub msg: String,
}

/// Where `place_order` sent an order, with the venue's typed answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// A regular order (`POST /fapi/v1/order`).
    Order(Order),
    /// A conditional order (`POST /fapi/v1/algoOrder`).
    Algo(AlgoOrder),
}

/// What `RestClient::place_order` answers: the order's identity (the client order id the caller
/// journaled, sent as `newClientOrderId` or `clientAlgoId`) and the venue's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub client_order_id: String,
    pub placement: Placement,
}

impl Placed {
    pub fn order(order: Order) -> Self {
        Placed {
            client_order_id: order.client_order_id.clone(),
            placement: Placement::Order(order),
        }
    }

    pub fn algo(algo: AlgoOrder) -> Self {
        Placed {
            client_order_id: algo.client_algo_id.clone(),
            placement: Placement::Algo(algo),
        }
    }

    /// Whether it went to the Algo Service.
    pub fn is_algo(&self) -> bool {
        matches!(self.placement, Placement::Algo(_))
    }

    /// The venue's id: `orderId` for a regular order, `algoId` for a conditional one.
    pub fn venue_id(&self) -> u64 {
        match &self.placement {
            Placement::Order(o) => o.order_id,
            Placement::Algo(a) => a.algo_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// Query Algo Order (documented example).
    const QUERY_ALGO: &str = r#"{
        "algoId": 2146760, "clientAlgoId": "6B2I9XVcJpCjqPAJ4YoFX7", "algoType": "CONDITIONAL",
        "orderType": "TAKE_PROFIT", "symbol": "BNBUSDT", "side": "SELL", "positionSide": "BOTH",
        "timeInForce": "GTC", "quantity": "0.01", "algoStatus": "CANCELED", "actualOrderId": "",
        "actualPrice": "0.00000", "triggerPrice": "750.000", "price": "750.000",
        "icebergQuantity": null, "tpTriggerPrice": "0.000", "tpPrice": "0.000",
        "slTriggerPrice": "0.000", "slPrice": "0.000", "tpOrderType": "",
        "selfTradePreventionMode": "EXPIRE_MAKER", "workingType": "CONTRACT_PRICE",
        "priceMatch": "NONE", "closePosition": false, "priceProtect": false,
        "reduceOnly": false, "createTime": 1750485492076, "updateTime": 1750514545091,
        "triggerTime": 0, "goodTillDate": 0
    }"#;

    #[test]
    fn parses_the_documented_algo_order() {
        let a: AlgoOrder = serde_json::from_str(QUERY_ALGO).unwrap();
        assert_eq!(a.algo_id, 2146760);
        assert_eq!(a.client_algo_id, "6B2I9XVcJpCjqPAJ4YoFX7");
        assert_eq!(a.algo_type, AlgoType::Conditional);
        assert_eq!(a.order_type, WireOrderType::TakeProfit);
        assert_eq!(a.side, Side::Sell);
        assert_eq!(a.position_side, Some(PositionSide::Both));
        assert_eq!(a.time_in_force, Some(WireTimeInForce::Gtc));
        assert_eq!(a.quantity, d("0.01"));
        assert_eq!(a.algo_status, AlgoStatus::Canceled);
        assert_eq!(a.actual_order_id, None);
        assert_eq!(a.trigger_price, d("750.000"));
        assert_eq!(a.price, Some(d("750.000")));
        assert_eq!(a.working_type, Some(WorkingType::ContractPrice));
        assert!(!a.reduce_only);
        assert_eq!(
            (a.create_time, a.update_time),
            (1750485492076, 1750514545091)
        );
        assert_eq!((a.trigger_time, a.good_till_date), (None, None));
        assert!(!a.algo_status.is_open());
        // Current All Algo Open Orders answers a list of the same shape (its example: NEW).
        let open = QUERY_ALGO.replace("\"CANCELED\"", "\"NEW\"");
        let list: Vec<AlgoOrder> = serde_json::from_str(&format!("[{open}]")).unwrap();
        assert!(list[0].algo_status.is_open() && list[0].algo_status.is_untriggered());
        // Triggered: the order in the matching engine, as a string or a number.
        let triggered = QUERY_ALGO
            .replace("\"CANCELED\"", "\"TRIGGERED\"")
            .replace("\"actualOrderId\": \"\"", "\"actualOrderId\": \"8886774\"")
            .replace("\"triggerTime\": 0", "\"triggerTime\": 1750514545000");
        let t: AlgoOrder = serde_json::from_str(&triggered).unwrap();
        assert_eq!(t.actual_order_id, Some(8886774));
        assert_eq!(t.trigger_time, Some(1750514545000));
        assert!(t.algo_status.is_open() && !t.algo_status.is_untriggered());
        let numeric = triggered.replace("\"8886774\"", "8886774");
        let n: AlgoOrder = serde_json::from_str(&numeric).unwrap();
        assert_eq!(n.actual_order_id, Some(8886774));
    }

    #[test]
    fn every_documented_algo_status_parses_and_an_unknown_one_is_refused() {
        for (wire, status) in [
            ("NEW", AlgoStatus::New),
            ("CANCELED", AlgoStatus::Canceled),
            ("TRIGGERING", AlgoStatus::Triggering),
            ("TRIGGERED", AlgoStatus::Triggered),
            ("FINISHED", AlgoStatus::Finished),
            ("REJECTED", AlgoStatus::Rejected),
            ("EXPIRED", AlgoStatus::Expired),
        ] {
            let json = QUERY_ALGO.replace("\"CANCELED\"", &format!("\"{wire}\""));
            let a: AlgoOrder = serde_json::from_str(&json).unwrap();
            assert_eq!(a.algo_status, status);
        }
        let json = QUERY_ALGO.replace("\"CANCELED\"", "\"WORKING\"");
        assert!(serde_json::from_str::<AlgoOrder>(&json).is_err());
    }

    #[test]
    fn malformed_algo_orders_are_refused() {
        for bad in [
            // A number where a decimal string is documented.
            QUERY_ALGO.replace("\"quantity\": \"0.01\"", "\"quantity\": 0.01"),
            QUERY_ALGO.replace("\"750.000\", \"price\"", "\"lots\", \"price\""),
            // Missing identity or status.
            QUERY_ALGO.replace("\"algoId\": 2146760,", ""),
            QUERY_ALGO.replace("\"clientAlgoId\": \"6B2I9XVcJpCjqPAJ4YoFX7\",", ""),
            QUERY_ALGO.replace("\"algoStatus\": \"CANCELED\",", ""),
            QUERY_ALGO.replace("\"SELL\"", "\"SIDEWAYS\""),
            QUERY_ALGO.replace("\"actualOrderId\": \"\"", "\"actualOrderId\": \"x1\""),
            "[]".to_owned(),
            "not json".to_owned(),
        ] {
            assert!(serde_json::from_str::<AlgoOrder>(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_the_cancel_answers() {
        // Cancel Algo Order (documented example: the code is a string).
        let c: AlgoCancel = serde_json::from_str(
            r#"{"algoId": 2146760, "clientAlgoId": "6B2I9XVcJpCjqPAJ4YoFX7",
                "code": "200", "msg": "success"}"#,
        )
        .unwrap();
        assert_eq!((c.algo_id, c.code), (2146760, 200));
        assert!(
            serde_json::from_str::<AlgoCancel>(
                r#"{"algoId": 1, "clientAlgoId": "a", "code": "ok", "msg": "x"}"#
            )
            .is_err()
        );
        let all: models::CodeMsg = serde_json::from_str(
            r#"{"code": 200, "msg": "The operation of cancel all open order is done."}"#,
        )
        .unwrap();
        assert_eq!(all.code, 200);
    }

    #[test]
    fn placed_names_the_client_id_either_way() {
        let a: AlgoOrder = serde_json::from_str(QUERY_ALGO).unwrap();
        let placed = Placed::algo(a);
        assert!(placed.is_algo());
        assert_eq!(placed.client_order_id, "6B2I9XVcJpCjqPAJ4YoFX7");
        assert_eq!(placed.venue_id(), 2146760);
    }
}
