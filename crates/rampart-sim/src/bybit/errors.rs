//! Bybit's refusals: each a `retCode` with the `retMsg` of Bybit's error page
//! (<https://bybit-exchange.github.io/docs/v5/error>), in Bybit's envelope
//! `{retCode, retMsg, result, retExtInfo, time}`.

use axum::http::StatusCode;

use crate::core::CoreError;

/// "Request parameter error".
pub(super) const PARAMS_ERROR: i64 = 10001;
/// "The request time exceeds the time window range."
pub(super) const TIMESTAMP: i64 = 10002;
/// "API key is invalid. …"
pub(super) const INVALID_KEY: i64 = 10003;
/// "Error sign, please check your signature generation algorithm."
pub(super) const BAD_SIGN: i64 = 10004;
/// "Permission denied, please check your API key permissions."
pub(super) const PERMISSION_DENIED: i64 = 10005;
/// "Too many visits. Exceeded the API Rate Limit."
pub(super) const RATE_LIMIT: i64 = 10006;
/// "Server error."
pub(super) const SERVER_ERROR: i64 = 10016;
/// "Route not found."
pub(super) const ROUTE_NOT_FOUND: i64 = 10017;
/// "Order does not exist"
pub(super) const ORDER_NOT_FOUND: i64 = 110001;
/// "Available balance is insufficient"
pub(super) const INSUFFICIENT_AVAILABLE: i64 = 110007;
/// "The order has been completed or cancelled."
pub(super) const ORDER_FINISHED: i64 = 110008;
/// "orderQty will be truncated to zero" (what a reduce-only order with nothing to reduce gets).
pub(super) const REDUCE_ONLY_ZERO: i64 = 110017;
/// "Cross/isolated margin mode has not been modified."
pub(super) const MARGIN_MODE_UNCHANGED: i64 = 110026;
/// "Set leverage has not been modified."
pub(super) const LEVERAGE_UNCHANGED: i64 = 110043;
/// "OrderLinkedID is duplicate"
pub(super) const DUPLICATE_LINK_ID: i64 = 110072;
/// "Set margin mode failed"
pub(super) const SET_MARGIN_MODE_FAILED: i64 = 110073;
/// "expect Rising, but trigger_price[…] <= current[…]"
pub(super) const EXPECT_RISING: i64 = 110092;
/// "expect Falling, but trigger_price[…] >= current[…]"
pub(super) const EXPECT_FALLING: i64 = 110093;
/// "The modified contract quantity cannot be less than or equal to the filled quantity."
pub(super) const AMEND_QTY: i64 = 110064;
/// "Order notional value below the lower limit" (docs/v5/error.mdx).
pub(super) const NOTIONAL_TOO_LOW: i64 = 110094;

/// A refusal: Bybit's code and message, and the HTTP status it travels with (200 for every
/// business refusal, as Bybit answers them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BybitError {
    pub ret_code: i64,
    pub ret_msg: String,
    pub(super) status: StatusCode,
}

impl BybitError {
    pub(super) fn new(ret_code: i64, ret_msg: impl Into<String>) -> BybitError {
        BybitError {
            ret_code,
            ret_msg: ret_msg.into(),
            status: StatusCode::OK,
        }
    }

    /// 10001 with a sentence naming the parameter.
    pub(super) fn params(detail: impl std::fmt::Display) -> BybitError {
        BybitError::new(PARAMS_ERROR, format!("params error: {detail}"))
    }

    pub(super) fn timestamp() -> BybitError {
        BybitError::new(TIMESTAMP, "The request time exceeds the time window range.")
    }

    pub(super) fn invalid_key() -> BybitError {
        BybitError::new(
            INVALID_KEY,
            "API key is invalid. Check whether the key and domain are matched, there are 4 env: mainnet, testnet, mainnet-demo, testnet-demo",
        )
    }

    pub(super) fn bad_sign() -> BybitError {
        BybitError::new(
            BAD_SIGN,
            "Error sign, please check your signature generation algorithm.",
        )
    }

    pub(super) fn permission_denied() -> BybitError {
        BybitError::new(
            PERMISSION_DENIED,
            "Permission denied, please check your API key permissions.",
        )
    }

    pub(super) fn rate_limited() -> BybitError {
        BybitError::new(RATE_LIMIT, "Too many visits. Exceeded the API Rate Limit.")
    }

    pub(super) fn server_error() -> BybitError {
        BybitError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            ..BybitError::new(SERVER_ERROR, "Server error.")
        }
    }

    pub(super) fn route_not_found() -> BybitError {
        BybitError {
            status: StatusCode::NOT_FOUND,
            ..BybitError::new(ROUTE_NOT_FOUND, "Route not found.")
        }
    }

    pub(super) fn order_not_found() -> BybitError {
        BybitError::new(ORDER_NOT_FOUND, "Order does not exist")
    }

    /// The exchange's refusal as Bybit words it.
    pub(super) fn from_core(err: &CoreError) -> BybitError {
        match err {
            CoreError::UnknownSymbol(_) => BybitError::params("symbol invalid"),
            CoreError::UnknownAccount => BybitError::invalid_key(),
            // Bybit's error page lists no code of its own for a derivatives quantity or price
            // off the step or tick: they are parameter errors (10001), worded here to name
            // the rule broken.
            CoreError::QtyNotOnLot => {
                BybitError::params("Qty invalid: qty must be a multiple of qtyStep")
            }
            CoreError::QtyBelowMin(m) => {
                BybitError::params(format!("Qty invalid: qty is below minOrderQty {m}"))
            }
            CoreError::QtyAboveMax(m) => {
                BybitError::params(format!("Qty invalid: qty is above maxOrderQty {m}"))
            }
            CoreError::PriceMissing => BybitError::params("price is required for a Limit order"),
            CoreError::PriceNotOnTick => {
                BybitError::params("Price invalid: price must be a multiple of tickSize")
            }
            CoreError::InvalidTrigger => BybitError::params("triggerPrice invalid"),
            CoreError::InsufficientBalance => {
                BybitError::new(INSUFFICIENT_AVAILABLE, "Available balance is insufficient")
            }
            CoreError::ReduceOnlyWouldIncrease => {
                BybitError::new(REDUCE_ONLY_ZERO, "orderQty will be truncated to zero")
            }
            CoreError::DuplicateClientId => {
                BybitError::new(DUPLICATE_LINK_ID, "OrderLinkedID is duplicate")
            }
            CoreError::OrderNotFound => BybitError::order_not_found(),
            CoreError::OrderFinished => {
                BybitError::new(ORDER_FINISHED, "The order has been completed or cancelled.")
            }
            CoreError::AmendInvalid => BybitError::new(
                AMEND_QTY,
                "The modified contract quantity cannot be less than or equal to the filled quantity.",
            ),
            CoreError::InvalidLeverage => BybitError::params("leverage invalid"),
            CoreError::Unchanged => {
                BybitError::new(LEVERAGE_UNCHANGED, "Set leverage has not been modified.")
            }
            CoreError::PositionOrOrdersOpen => {
                BybitError::new(SET_MARGIN_MODE_FAILED, "Set margin mode failed")
            }
            // The simulator lists no Bybit instrument that expires.
            CoreError::Expired => BybitError::params("symbol invalid"),
        }
    }
}

impl std::fmt::Display for BybitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.ret_code, self.ret_msg)
    }
}

impl std::error::Error for BybitError {}
