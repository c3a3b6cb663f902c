//! Deribit's refusals: the code and short message from the complete RPC error table of
//! docs.deribit.com/articles/errors ("Complete RPC Error Codes Reference"), not from the
//! "Common Error Codes" summary above it on the same page, which disagrees with the table
//! (it lists 10001 `invalid_credentials`, 11000 `order_not_found`), and JSON-RPC 2.0's own
//! codes (-32600 .. -32602) for malformed requests.

use serde_json::{Value, json};

use crate::core::CoreError;

/// 10002: "Order quantity is too low."
pub const QTY_TOO_LOW: i64 = 10002;
/// 10004: "Attempt to operate with order that can't be found by specified id or label."
pub const ORDER_NOT_FOUND: i64 = 10004;
/// 10009: "Account has not enough funds for the operation."
pub const NOT_ENOUGH_FUNDS: i64 = 10009;
/// 10010: "Attempt of doing something with closed order."
pub const ALREADY_CLOSED: i64 = 10010;
/// 10021: "Amount is not valid."
pub const INVALID_AMOUNT: i64 = 10021;
/// 10028: "Allowed request rate has been exceeded."
pub const TOO_MANY_REQUESTS: i64 = 10028;
/// 10030: "REST request where Websocket is expected."
pub const MUST_BE_WEBSOCKET: i64 = 10030;
/// 10043: "Price has to be rounded to an instrument tick size."
pub const PRICE_WRONG_TICK: i64 = 10043;
/// 10044: "Trigger Price has to be rounded to an instrument tick size."
pub const TRIGGER_PRICE_WRONG_TICK: i64 = 10044;
/// 11029: "Some invalid input has been detected."
pub const INVALID_ARGUMENTS: i64 = 11029;
/// 11030: "Some rejects which are not considered as very often".
pub const OTHER_REJECT: i64 = 11030;
/// 11036: "Invalid trigger price (too high or too low) in relation to the last trade, index
/// or market price."
pub const INVALID_TRIGGER_PRICE: i64 = 11036;
/// 13004: "Invalid credentials have been used."
pub const INVALID_CREDENTIALS: i64 = 13004;
/// 13009: "Wrong or expired authorization token or bad signature."
pub const UNAUTHORIZED: i64 = 13009;
/// 13019: "Closed, expired order book."
pub const ORDERBOOK_CLOSED: i64 = 13019;
/// 13020: "Instrument is not found, invalid instrument name."
pub const NOT_FOUND: i64 = 13020;
/// 13021: "Not enough permissions to execute the request, forbidden."
pub const FORBIDDEN: i64 = 13021;
/// 13028: "The requested service is not responding or processing the response takes too
/// long."
pub const TEMPORARILY_UNAVAILABLE: i64 = 13028;
/// 13032: "Request allowed only for orders uniquely identified by given label, more than one
/// match was found."
pub const NON_UNIQUE_ORDER_LABEL: i64 = 13032;
/// 13042: "Cancel-on-Disconnect is not enabled for the connection."
pub const COD_NOT_ENABLED: i64 = 13042;
/// JSON-RPC: the method does not exist.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// JSON-RPC: invalid method parameters.
pub const INVALID_PARAMS: i64 = -32602;
/// JSON-RPC: the request is not a valid request object.
pub const INVALID_REQUEST: i64 = -32600;

/// One refusal: `{"code": …, "message": …, "data": …}` in the JSON-RPC `error` member.
#[derive(Debug, Clone, PartialEq)]
pub struct DeribitError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl DeribitError {
    pub fn new(code: i64, message: &str) -> DeribitError {
        DeribitError {
            code,
            message: message.to_owned(),
            data: None,
        }
    }

    fn with_data(mut self, data: Value) -> DeribitError {
        self.data = Some(data);
        self
    }

    /// 13009 `unauthorized`, with why (a bad signature, an expired or unknown token, none).
    pub fn unauthorized(reason: &str) -> DeribitError {
        DeribitError::new(UNAUTHORIZED, "unauthorized").with_data(json!({ "reason": reason }))
    }

    /// 13004 `invalid_credentials`: an unknown client id or a wrong secret.
    pub fn invalid_credentials() -> DeribitError {
        DeribitError::new(INVALID_CREDENTIALS, "invalid_credentials")
    }

    /// -32602 `Invalid params` naming the parameter and why.
    pub fn invalid_params(param: &str, reason: &str) -> DeribitError {
        DeribitError::new(INVALID_PARAMS, "Invalid params")
            .with_data(json!({ "param": param, "reason": reason }))
    }

    pub fn method_not_found() -> DeribitError {
        DeribitError::new(METHOD_NOT_FOUND, "Method not found")
    }

    pub fn too_many_requests() -> DeribitError {
        DeribitError::new(TOO_MANY_REQUESTS, "too_many_requests")
    }

    /// 13021 `forbidden`: the token's scope does not cover the method.
    pub fn forbidden(needed: &str) -> DeribitError {
        DeribitError::new(FORBIDDEN, "forbidden")
            .with_data(json!({ "reason": format!("scope {needed} required") }))
    }

    pub fn instrument_not_found() -> DeribitError {
        DeribitError::new(NOT_FOUND, "not_found")
    }

    pub fn order_not_found() -> DeribitError {
        DeribitError::new(ORDER_NOT_FOUND, "order_not_found")
    }

    pub fn non_unique_label() -> DeribitError {
        DeribitError::new(NON_UNIQUE_ORDER_LABEL, "non_unique_order_label")
    }

    pub fn must_be_websocket() -> DeribitError {
        DeribitError::new(MUST_BE_WEBSOCKET, "must_be_websocket_request")
    }

    pub fn cod_not_enabled() -> DeribitError {
        DeribitError::new(COD_NOT_ENABLED, "cod_not_enabled")
    }

    pub fn temporarily_unavailable() -> DeribitError {
        DeribitError::new(TEMPORARILY_UNAVAILABLE, "temporarily_unavailable")
    }

    /// The `error` member of a JSON-RPC answer.
    pub fn to_json(&self) -> Value {
        let mut e = json!({ "code": self.code, "message": self.message });
        if let Some(data) = &self.data {
            e["data"] = data.clone();
        }
        e
    }

    /// A core refusal as Deribit answers it.
    pub fn from_core(err: &CoreError) -> DeribitError {
        match err {
            CoreError::UnknownSymbol(_) => DeribitError::instrument_not_found(),
            CoreError::UnknownAccount => DeribitError::unauthorized("unknown account"),
            CoreError::QtyNotOnLot => DeribitError::new(INVALID_AMOUNT, "invalid_amount")
                .with_data(json!({
                    "reason": "must be a multiple of the instrument's contract size",
                    "param": "amount",
                })),
            CoreError::QtyBelowMin(min) => DeribitError::new(QTY_TOO_LOW, "qty_too_low")
                .with_data(json!({ "reason": format!("the minimum is {min}"), "param": "amount" })),
            CoreError::QtyAboveMax(_) => DeribitError::new(INVALID_AMOUNT, "invalid_amount"),
            CoreError::PriceMissing => {
                DeribitError::invalid_params("price", "a limit order needs a price")
            }
            CoreError::PriceNotOnTick => DeribitError::new(PRICE_WRONG_TICK, "price_wrong_tick"),
            CoreError::InvalidTrigger => {
                DeribitError::new(INVALID_TRIGGER_PRICE, "invalid_trigger_price")
            }
            CoreError::InsufficientBalance => {
                DeribitError::new(NOT_ENOUGH_FUNDS, "not_enough_funds")
            }
            CoreError::ReduceOnlyWouldIncrease => {
                DeribitError::new(OTHER_REJECT, "other_reject reduce_only")
            }
            CoreError::DuplicateClientId => {
                DeribitError::new(INVALID_ARGUMENTS, "invalid_arguments")
            }
            CoreError::OrderNotFound => DeribitError::order_not_found(),
            CoreError::OrderFinished => DeribitError::new(ALREADY_CLOSED, "already_closed"),
            CoreError::AmendInvalid => DeribitError::new(INVALID_ARGUMENTS, "invalid_arguments"),
            CoreError::InvalidLeverage | CoreError::Unchanged | CoreError::PositionOrOrdersOpen => {
                DeribitError::new(INVALID_ARGUMENTS, "invalid_arguments")
            }
            CoreError::Expired => DeribitError::new(ORDERBOOK_CLOSED, "orderbook_closed"),
        }
    }
}

impl std::fmt::Display for DeribitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.message)
    }
}

impl std::error::Error for DeribitError {}
