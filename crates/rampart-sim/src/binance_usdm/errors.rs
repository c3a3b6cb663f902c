//! Binance USDⓈ-M error codes and messages, as the venue's "Error Codes" page lists them, with
//! the HTTP status the venue answers with.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde_json::json;

/// -1000 UNKNOWN: the answer of an order whose outcome the venue does not know (HTTP 503).
pub(super) const UNKNOWN: i32 = -1000;
/// -1001 DISCONNECTED: an internal error; the request was not acted on (HTTP 503).
pub(super) const DISCONNECTED: i32 = -1001;
/// -1001's message.
pub(super) const INTERNAL_ERROR_MSG: &str =
    "Internal error; unable to process your request. Please try again.";

/// A 503 with Binance's `{"code", "msg"}` body, as the fault knobs answer.
pub(super) fn service_unavailable(code: i32, msg: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(json!({ "code": code, "msg": msg })),
    )
        .into_response()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BinanceError {
    /// -1021 INVALID_TIMESTAMP
    Timestamp,
    /// -1023 START_TIME_GREATER_THAN_END_TIME
    StartAfterEnd,
    /// -1127 LOOKUP_INTERVAL_TOO_BIG: more than this many hours between startTime and endTime
    IntervalTooBig(u32),
    /// -1128 OPTIONAL_PARAMS_BAD_COMBO: e.g. `fromId` with `startTime` or `endTime`
    ParamCombination,
    /// -1022 INVALID_SIGNATURE
    Signature,
    /// -1102 MANDATORY_PARAM_EMPTY_OR_MALFORMED
    Mandatory(String),
    /// -1106 PARAM_NOT_REQUIRED: a parameter sent that this order type must not have
    NotRequired(String),
    /// -1115 INVALID_TIMEINFORCE
    InvalidTimeInForce,
    /// -1120 BAD_INTERVAL
    InvalidInterval,
    /// -1125 INVALID_LISTEN_KEY
    ListenKeyMissing,
    /// -1130 INVALID_PARAMETER: a value outside what the parameter allows
    InvalidParam(String),
    /// -1116 INVALID_ORDER_TYPE
    InvalidOrderType,
    /// -1117 INVALID_SIDE
    InvalidSide,
    /// -1121 BAD_SYMBOL
    InvalidSymbol,
    /// -1131 BAD_RECV_WINDOW
    RecvWindow,
    /// -2011 CANCEL_REJECTED (an order that is not open, or not there)
    UnknownOrder,
    /// -2019 MARGIN_NOT_SUFFICIEN
    MarginInsufficient,
    /// -2021 ORDER_WOULD_IMMEDIATELY_TRIGGER
    WouldTrigger,
    /// -2022 REDUCE_ONLY_REJECT
    ReduceOnlyRejected,
    /// -2013 NO_SUCH_ORDER
    NoSuchOrder,
    /// -2014 BAD_API_KEY_FMT
    ApiKeyFormat,
    /// -2015 REJECTED_MBX_KEY
    RejectedKey,
    /// -4002 PRICE_GREATER_THAN_MAX_PRICE
    PriceAboveMax,
    /// -4003 QTY_LESS_THAN_ZERO
    QtyNotPositive,
    /// -4004 QTY_LESS_THAN_MIN_QTY
    QtyBelowMin,
    /// -4005 QTY_GREATER_THAN_MAX_QTY
    QtyAboveMax,
    /// -4013 PRICE_LESS_THAN_MIN_PRICE
    PriceBelowMin,
    /// -4014 PRICE_NOT_INCREASED_BY_TICK_SIZE
    OffTick,
    /// -4015 INVALID_CL_ORD_ID_LEN
    ClientOrderId,
    /// -4016 PRICE_HIGHTER_THAN_MULTIPLIER_UP
    AboveMultiplierUp,
    /// -4023 QTY_NOT_INCREASED_BY_STEP_SIZE
    OffStep,
    /// -4024 PRICE_LOWER_THAN_MULTIPLIER_DOWN
    BelowMultiplierDown,
    /// -4028 INVALID_LEVERAGE
    InvalidLeverage(String),
    /// -5021 FOK_ORDER_REJECT
    FokRejected,
    /// -5022 GTX_ORDER_REJECT
    GtxRejected,
    /// -4116 DUPLICATED_CLIENT_ORDER_ID (also a `clientAlgoId` already used by an algo order
    /// that is not finished)
    DuplicateClientOrderId,
    /// -4061 POSITION_SIDE_NOT_MATCH: `positionSide` LONG/SHORT in One-way Mode
    PositionSideMismatch,
    /// -4120: a conditional type sent to `POST /fapi/v1/order` since the Algo Service migration
    /// (2025-12-09)
    AlgoOrderOnly,
    /// -4164 MIN_NOTIONAL
    MinNotional(Decimal),
}

impl BinanceError {
    pub fn code(&self) -> i32 {
        match self {
            Self::Timestamp => -1021,
            Self::StartAfterEnd => -1023,
            Self::IntervalTooBig(_) => -1127,
            Self::ParamCombination => -1128,
            Self::Signature => -1022,
            Self::Mandatory(_) => -1102,
            Self::NotRequired(_) => -1106,
            Self::InvalidTimeInForce => -1115,
            Self::InvalidInterval => -1120,
            Self::ListenKeyMissing => -1125,
            Self::InvalidParam(_) => -1130,
            Self::MarginInsufficient => -2019,
            Self::WouldTrigger => -2021,
            Self::ReduceOnlyRejected => -2022,
            Self::InvalidLeverage(_) => -4028,
            Self::FokRejected => -5021,
            Self::GtxRejected => -5022,
            Self::InvalidOrderType => -1116,
            Self::InvalidSide => -1117,
            Self::InvalidSymbol => -1121,
            Self::RecvWindow => -1131,
            Self::UnknownOrder => -2011,
            Self::NoSuchOrder => -2013,
            Self::ApiKeyFormat => -2014,
            Self::RejectedKey => -2015,
            Self::PriceAboveMax => -4002,
            Self::QtyNotPositive => -4003,
            Self::QtyBelowMin => -4004,
            Self::QtyAboveMax => -4005,
            Self::PriceBelowMin => -4013,
            Self::OffTick => -4014,
            Self::ClientOrderId => -4015,
            Self::AboveMultiplierUp => -4016,
            Self::OffStep => -4023,
            Self::BelowMultiplierDown => -4024,
            Self::DuplicateClientOrderId => -4116,
            Self::PositionSideMismatch => -4061,
            Self::AlgoOrderOnly => -4120,
            Self::MinNotional(_) => -4164,
        }
    }

    pub fn msg(&self) -> String {
        match self {
            Self::Timestamp => "Timestamp for this request is outside of the recvWindow.".into(),
            Self::Signature => "Signature for this request is not valid.".into(),
            Self::StartAfterEnd => "Start time is greater than end time.".into(),
            Self::IntervalTooBig(hours) => {
                format!("More than {hours} hours between startTime and endTime.")
            }
            Self::ParamCombination => "Combination of optional parameters invalid.".into(),
            Self::Mandatory(p) => {
                format!("Mandatory parameter '{p}' was not sent, was empty/null, or malformed.")
            }
            Self::NotRequired(p) => format!("Parameter '{p}' sent when not required."),
            Self::InvalidTimeInForce => "Invalid timeInForce.".into(),
            Self::InvalidInterval => "Invalid interval.".into(),
            Self::ListenKeyMissing => "This listenKey does not exist.".into(),
            Self::InvalidParam(p) => format!("Data sent for parameter '{p}' is not valid."),
            Self::MarginInsufficient => "Margin is insufficient.".into(),
            Self::WouldTrigger => "Order would immediately trigger.".into(),
            Self::ReduceOnlyRejected => "ReduceOnly Order is rejected.".into(),
            Self::InvalidLeverage(l) => format!("Leverage {l} is not valid"),
            Self::FokRejected => "Due to the order could not be filled immediately, the FOK order has been rejected. The order will not be recorded in the order history".into(),
            Self::GtxRejected => "Due to the order could not be executed as maker, the Post Only order will be rejected. The order will not be recorded in the order history".into(),
            Self::InvalidOrderType => "Invalid orderType.".into(),
            Self::InvalidSide => "Invalid side.".into(),
            Self::InvalidSymbol => "Invalid symbol.".into(),
            Self::RecvWindow => "recvWindow must be less than 60000".into(),
            Self::UnknownOrder => "Unknown order sent.".into(),
            Self::NoSuchOrder => "Order does not exist.".into(),
            Self::ApiKeyFormat => "API-key format invalid.".into(),
            Self::RejectedKey => "Invalid API-key, IP, or permissions for action.".into(),
            Self::PriceAboveMax => "Price greater than max price.".into(),
            Self::QtyNotPositive => "Quantity less than zero.".into(),
            Self::QtyBelowMin => "Quantity less than min quantity.".into(),
            Self::QtyAboveMax => "Quantity greater than max quantity.".into(),
            Self::PriceBelowMin => "Price less than min price.".into(),
            Self::OffTick => "Price not increased by tick size.".into(),
            Self::ClientOrderId => "Client order id is not valid.".into(),
            Self::AboveMultiplierUp => "Price is higher than mark price multiplier cap.".into(),
            Self::OffStep => "Qty not increased by step size.".into(),
            Self::BelowMultiplierDown => "Price is lower than mark price multiplier floor.".into(),
            Self::DuplicateClientOrderId => "clientOrderId is duplicated".into(),
            Self::PositionSideMismatch => {
                "Order's position side does not match user's setting.".into()
            }
            Self::AlgoOrderOnly => "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.".into(),
            Self::MinNotional(min) => {
                format!(
                    "Order's notional must be no smaller than {min} (unless you choose reduce only)"
                )
            }
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::RejectedKey | Self::ApiKeyFormat => StatusCode::UNAUTHORIZED,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for BinanceError {
    fn into_response(self) -> Response {
        (
            self.status(),
            axum::Json(json!({ "code": self.code(), "msg": self.msg() })),
        )
            .into_response()
    }
}
