//! OKX's refusals: the `{code, msg, data}` envelope with OKX's own codes, messages and HTTP
//! statuses (okx.com/docs-v5/en/#error-code: "REST API" tables, "Public" 50000-50999 and
//! "Trade" 51000-54999), and the per-order `sCode`/`sMsg` the trade endpoints put inside `data`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Why a request (or one order of it) is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OkxError {
    /// 50011, HTTP 429.
    RateLimited,
    /// 50014, HTTP 400: a required parameter is missing.
    Empty(String),
    /// 51000: a parameter is malformed or out of range.
    Param(String),
    /// 50101, HTTP 401: a demo key without `x-simulated-trading: 1`, or a live key with it.
    WrongEnvironment,
    /// 50102, HTTP 401: the timestamp is more than 30 s from the server's clock.
    TimestampExpired,
    /// 50103..50107, HTTP 401: a required header is absent.
    MissingHeader(&'static str),
    /// 50105, HTTP 401.
    WrongPassphrase,
    /// 50111, HTTP 401.
    InvalidKey,
    /// 50112, HTTP 401: not an ISO-8601 UTC time with milliseconds.
    InvalidTimestamp,
    /// 50113, HTTP 401.
    InvalidSign,
    /// 50030: the key lacks the permission the endpoint needs (a read-only key trading).
    NoPermission,
    /// 51001: the instrument is not listed.
    UnknownInstrument,
    /// 51008: not enough available balance of this coin.
    InsufficientBalance(String),
    /// 51016.
    DuplicateClOrdId,
    /// 51020: below the minimum order size.
    BelowMinSize,
    /// 51121: not a whole number of lots.
    NotOnLot,
    /// 51202: above the maximum order size (answered with the market-order text for limit
    /// orders too).
    AboveMaxSize,
    /// 51169: a reduce-only order with no position to reduce (or that would grow it).
    ReduceOnlyNoPosition,
    /// 51603.
    OrderNotFound,
    /// 51400: the order cannot be cancelled (already filled or cancelled).
    CancelFinished,
    /// 51503: the order cannot be amended (already filled or cancelled).
    AmendFinished,
    /// 59102: leverage above the instrument's maximum.
    LeverageTooHigh,
    /// 59000: the margin mode cannot change with a position or open orders.
    SettingsLocked,
    /// Any other OKX code, with its message.
    Other(&'static str, String),
}

impl OkxError {
    pub fn code(&self) -> &'static str {
        match self {
            OkxError::RateLimited => "50011",
            OkxError::Empty(_) => "50014",
            OkxError::Param(_) => "51000",
            OkxError::WrongEnvironment => "50101",
            OkxError::TimestampExpired => "50102",
            OkxError::MissingHeader("OK-ACCESS-KEY") => "50103",
            OkxError::MissingHeader("OK-ACCESS-PASSPHRASE") => "50104",
            OkxError::MissingHeader("OK-ACCESS-SIGN") => "50106",
            OkxError::MissingHeader(_) => "50107",
            OkxError::WrongPassphrase => "50105",
            OkxError::InvalidKey => "50111",
            OkxError::InvalidTimestamp => "50112",
            OkxError::InvalidSign => "50113",
            OkxError::NoPermission => "50030",
            OkxError::UnknownInstrument => "51001",
            OkxError::InsufficientBalance(_) => "51008",
            OkxError::DuplicateClOrdId => "51016",
            OkxError::BelowMinSize => "51020",
            OkxError::NotOnLot => "51121",
            OkxError::AboveMaxSize => "51202",
            OkxError::ReduceOnlyNoPosition => "51169",
            OkxError::OrderNotFound => "51603",
            OkxError::CancelFinished => "51400",
            OkxError::AmendFinished => "51503",
            OkxError::LeverageTooHigh => "59102",
            OkxError::SettingsLocked => "59000",
            OkxError::Other(code, _) => code,
        }
    }

    pub fn message(&self) -> String {
        match self {
            OkxError::RateLimited => {
                "Rate limit reached. Please refer to API documentation and throttle requests accordingly".into()
            }
            OkxError::Empty(p) => format!("Parameter {p} can not be empty."),
            OkxError::Param(p) => format!("Parameter {p} error"),
            OkxError::WrongEnvironment => "APIKey does not match current environment.".into(),
            OkxError::TimestampExpired => "Timestamp request expired".into(),
            OkxError::MissingHeader(h) => format!("Request header \"{h}\" cannot be empty."),
            OkxError::WrongPassphrase => {
                "Request header \"OK-ACCESS-PASSPHRASE\" incorrect.".into()
            }
            OkxError::InvalidKey => "Invalid OK-ACCESS-KEY".into(),
            OkxError::InvalidTimestamp => "Invalid OK-ACCESS-TIMESTAMP".into(),
            OkxError::InvalidSign => "Invalid Sign".into(),
            OkxError::NoPermission => "No permission to use this API".into(),
            OkxError::UnknownInstrument => "Instrument ID does not exist".into(),
            OkxError::InsufficientBalance(ccy) => {
                format!("Order failed. Insufficient {ccy} balance in account.")
            }
            OkxError::DuplicateClOrdId => "Duplicated clOrdId".into(),
            OkxError::BelowMinSize => {
                "Your order should meet or exceed the minimum order amount.".into()
            }
            OkxError::NotOnLot => "Order quantity must be a multiple of the lot size.".into(),
            OkxError::AboveMaxSize => "Market order amount exceeds the maximum amount.".into(),
            OkxError::ReduceOnlyNoPosition => {
                "Order failed because you don't have any positions in this direction for this contract to reduce or close.".into()
            }
            OkxError::OrderNotFound => "Order does not exist".into(),
            OkxError::CancelFinished => {
                "Order cancellation failed as the order has been filled, canceled or does not exist.".into()
            }
            OkxError::AmendFinished => {
                "Order modification failed as the order has been filled, canceled or does not exist.".into()
            }
            OkxError::LeverageTooHigh => {
                "Leverage exceeds the maximum leverage. Please adjust the leverage.".into()
            }
            OkxError::SettingsLocked => {
                "Your settings failed as you have positions or open orders.".into()
            }
            OkxError::Other(_, text) => text.clone(),
        }
    }

    /// The HTTP status OKX answers this refusal with when it is the request's own (not one
    /// order's inside `data`).
    pub fn status(&self) -> StatusCode {
        match self {
            OkxError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            OkxError::Empty(_) => StatusCode::BAD_REQUEST,
            OkxError::WrongEnvironment
            | OkxError::TimestampExpired
            | OkxError::MissingHeader(_)
            | OkxError::WrongPassphrase
            | OkxError::InvalidKey
            | OkxError::InvalidTimestamp
            | OkxError::InvalidSign => StatusCode::UNAUTHORIZED,
            _ => StatusCode::OK,
        }
    }

    /// The envelope of a refused request: `{"code": "...", "msg": "...", "data": []}`.
    pub fn envelope(&self) -> Value {
        json!({ "code": self.code(), "msg": self.message(), "data": [] })
    }
}

impl std::fmt::Display for OkxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code(), self.message())
    }
}

impl std::error::Error for OkxError {}

impl IntoResponse for OkxError {
    fn into_response(self) -> Response {
        (self.status(), axum::Json(self.envelope())).into_response()
    }
}

/// Maps the core's refusal to OKX's code for it (`ccy`: the settle coin, for 51008).
pub fn from_core(err: &crate::core::CoreError, ccy: &str) -> OkxError {
    use crate::core::CoreError as C;
    match err {
        C::UnknownSymbol(_) => OkxError::UnknownInstrument,
        C::UnknownAccount => OkxError::InvalidKey,
        C::QtyNotOnLot => OkxError::NotOnLot,
        C::QtyBelowMin(_) => OkxError::BelowMinSize,
        C::QtyAboveMax(_) => OkxError::AboveMaxSize,
        C::PriceMissing => OkxError::Param("px".into()),
        // OKX documents no tick-size code for derivatives; an off-tick px is answered as a
        // malformed px.
        C::PriceNotOnTick => OkxError::Param("px".into()),
        C::InvalidTrigger => OkxError::Param("triggerPx".into()),
        C::InsufficientBalance => OkxError::InsufficientBalance(ccy.to_owned()),
        C::ReduceOnlyWouldIncrease => OkxError::ReduceOnlyNoPosition,
        C::DuplicateClientId => OkxError::DuplicateClOrdId,
        C::OrderNotFound => OkxError::OrderNotFound,
        C::OrderFinished => OkxError::CancelFinished,
        C::AmendInvalid => OkxError::Param("newSz".into()),
        C::InvalidLeverage => OkxError::LeverageTooHigh,
        C::Unchanged => OkxError::Param("lever".into()),
        C::PositionOrOrdersOpen => OkxError::SettingsLocked,
        // The simulator lists no OKX instrument that expires.
        C::Expired => OkxError::UnknownInstrument,
    }
}
