//! OKX's error codes, each named once, mapped to an [`ErrorKind`] and to a sentence a trader
//! can act on. Codes and meanings from the v5 documentation, "Error Code"
//! (okx.com/docs-v5/en/#error-code): REST "Public" 50000-50044, "API Class" 50100-50120,
//! "Trade Class" 51000-51999, and WebSocket "Public" 60000-64999.
//!
//! OKX answers HTTP 200 with `"code": "0"` on success. A refused request carries its code in
//! `code` (HTTP 4xx/5xx or 200); an order request refused by the matching engine answers
//! `"code": "1"` ("Operation failed") and puts the real reason in `data[0].sCode`/`sMsg`.

use rampart_core::Venue as VenueId;

use crate::venue::{Error, ErrorKind, RefusalCause};

pub const OPERATION_FAILED: i64 = 1;
pub const BATCH_PARTIAL: i64 = 2;
pub const BODY_EMPTY: i64 = 50000;
pub const SERVICE_UNAVAILABLE: i64 = 50001;
pub const JSON_SYNTAX: i64 = 50002;
/// "Endpoint request timeout (does not mean that the request was successful or failed, please
/// check the request result)".
pub const ENDPOINT_TIMEOUT: i64 = 50004;
pub const API_OFFLINE: i64 = 50005;
pub const RATE_LIMITED: i64 = 50011;
pub const SYSTEM_BUSY: i64 = 50013;
pub const PARAM_REQUIRED: i64 = 50014;
pub const SYSTEM_ERROR: i64 = 50026;
pub const SUB_ACCOUNT_ORDER_LIMIT: i64 = 50061;
pub const API_FROZEN: i64 = 50100;
/// "APIKey does not match current environment" (a live key on demo trading, or the reverse).
pub const WRONG_ENVIRONMENT: i64 = 50101;
/// "Timestamp request expired".
pub const TIMESTAMP_EXPIRED: i64 = 50102;
pub const KEY_HEADER_MISSING: i64 = 50103;
pub const PASSPHRASE_MISSING: i64 = 50104;
pub const PASSPHRASE_WRONG: i64 = 50105;
pub const SIGN_MISSING: i64 = 50106;
pub const TIMESTAMP_MISSING: i64 = 50107;
pub const IP_NOT_ALLOWED: i64 = 50110;
pub const INVALID_KEY: i64 = 50111;
/// "Invalid OK-ACCESS-TIMESTAMP" (not an ISO timestamp).
pub const INVALID_TIMESTAMP: i64 = 50112;
pub const INVALID_SIGN: i64 = 50113;
pub const INVALID_AUTHORIZATION: i64 = 50114;
pub const KEY_DOES_NOT_EXIST: i64 = 50119;
pub const NO_PERMISSION: i64 = 50120;
/// "No permission to use this API": e.g. a read-only key placing an order.
pub const NO_API_PERMISSION: i64 = 50030;
pub const PARAM_ERROR: i64 = 51000;
pub const INSTRUMENT_UNKNOWN: i64 = 51001;
pub const PRICE_OUT_OF_LIMIT: i64 = 51006;
pub const INSUFFICIENT_BALANCE: i64 = 51008;
pub const ORDERS_BLOCKED: i64 = 51009;
pub const DUPLICATE_CLIENT_ID: i64 = 51016;
pub const BELOW_MIN_SIZE: i64 = 51020;
pub const ACCOUNT_BLOCKED: i64 = 51024;
pub const INSUFFICIENT_MARGIN: i64 = 51131;
pub const NOT_LOT_MULTIPLE: i64 = 51121;
pub const NO_POSITION_TO_REDUCE: i64 = 51169;
pub const CANCEL_NOT_FOUND: i64 = 51400;
pub const CANCEL_ALREADY_CANCELLED: i64 = 51401;
pub const CANCEL_ALREADY_DONE: i64 = 51402;
pub const ORDER_NOT_FOUND: i64 = 51603;
pub const TOO_MANY_TAG_CAA: i64 = 51071;
pub const WS_INVALID_TIMESTAMP: i64 = 60004;
pub const WS_INVALID_KEY: i64 = 60005;
pub const WS_TIMESTAMP_EXPIRED: i64 = 60006;
pub const WS_INVALID_SIGN: i64 = 60007;
pub const WS_LOGIN_FAILED: i64 = 60009;
pub const WS_WRONG_PASSPHRASE: i64 = 60024;

/// What a refusal with OKX's `code` says about the key or the clock.
pub fn refusal_cause(code: i64) -> RefusalCause {
    match code {
        WRONG_ENVIRONMENT
        | KEY_HEADER_MISSING
        | PASSPHRASE_MISSING
        | PASSPHRASE_WRONG
        | SIGN_MISSING
        | IP_NOT_ALLOWED
        | INVALID_KEY
        | INVALID_SIGN
        | INVALID_AUTHORIZATION
        | KEY_DOES_NOT_EXIST
        | API_FROZEN
        | WS_INVALID_KEY
        | WS_INVALID_SIGN
        | WS_LOGIN_FAILED
        | WS_WRONG_PASSPHRASE => RefusalCause::Authentication,
        TIMESTAMP_EXPIRED | INVALID_TIMESTAMP | TIMESTAMP_MISSING | WS_INVALID_TIMESTAMP
        | WS_TIMESTAMP_EXPIRED => RefusalCause::Timestamp,
        _ => RefusalCause::Other,
    }
}

/// Whether OKX's `code` says the clock offset is wrong (measure again).
pub fn is_timestamp_refusal(code: i64) -> bool {
    matches!(code, TIMESTAMP_EXPIRED | WS_TIMESTAMP_EXPIRED)
}

/// The kind of a refusal with OKX's `code`.
pub fn kind_of(code: i64) -> ErrorKind {
    match code {
        RATE_LIMITED | SUB_ACCOUNT_ORDER_LIMIT => ErrorKind::RateLimited,
        SERVICE_UNAVAILABLE | ENDPOINT_TIMEOUT | API_OFFLINE | SYSTEM_BUSY | SYSTEM_ERROR => {
            ErrorKind::VenueFailure
        }
        _ => ErrorKind::Rejected,
    }
}

/// Whether the venue may have acted on a request it answered with `code` (OKX: "does not
/// mean that the request was successful or failed").
pub fn outcome_unknown(code: i64) -> bool {
    matches!(code, ENDPOINT_TIMEOUT | SYSTEM_BUSY | SYSTEM_ERROR)
}

/// The trader's sentence for OKX's `code`; `msg` is OKX's own message.
pub fn trader_message(code: i64, msg: &str) -> String {
    let text = match code {
        TIMESTAMP_EXPIRED | INVALID_TIMESTAMP | TIMESTAMP_MISSING | WS_INVALID_TIMESTAMP
        | WS_TIMESTAMP_EXPIRED => {
            "Your computer's clock and OKX's disagree, so the request was refused. Rampart has \
             measured the clock again; send it again, and turn on automatic time sync if this \
             keeps happening."
        }
        INVALID_SIGN | WS_INVALID_SIGN | SIGN_MISSING => {
            "OKX did not accept the request signature: the secret key does not belong to this \
             API key. Enter the key, secret and passphrase again."
        }
        PASSPHRASE_WRONG | PASSPHRASE_MISSING | WS_WRONG_PASSPHRASE => {
            "OKX refused the passphrase: enter the passphrase you chose when you created this \
             API key."
        }
        INVALID_KEY
        | KEY_DOES_NOT_EXIST
        | KEY_HEADER_MISSING
        | WS_INVALID_KEY
        | INVALID_AUTHORIZATION
        | WS_LOGIN_FAILED => {
            "OKX does not know this API key (deleted, expired or mistyped). Check the key on \
             OKX's API page and enter it again."
        }
        WRONG_ENVIRONMENT => {
            "This API key belongs to the other OKX environment: demo-trading keys work only \
             on demo trading, live keys only on live trading. Use a key made for this one."
        }
        IP_NOT_ALLOWED => {
            "OKX refused the request because this computer's IP address is not on the API \
             key's allow list. Add it on OKX's API page."
        }
        API_FROZEN => "OKX has frozen this API key. Contact OKX support or make a new key.",
        NO_PERMISSION | NO_API_PERMISSION => {
            "This API key may not do this: give it the Trade permission on OKX's API page, \
             or use another key."
        }
        RATE_LIMITED | SUB_ACCOUNT_ORDER_LIMIT => {
            "OKX's request limit was reached. Wait a moment before sending more."
        }
        ENDPOINT_TIMEOUT => {
            "OKX did not finish the request in time; it may or may not have been carried out. \
             Rampart checks the order's state before anything is sent again."
        }
        SERVICE_UNAVAILABLE | API_OFFLINE | SYSTEM_BUSY | SYSTEM_ERROR => {
            "OKX is busy or unavailable right now. Try again in a moment."
        }
        INSTRUMENT_UNKNOWN => "OKX does not list this instrument (or it has expired).",
        PRICE_OUT_OF_LIMIT => {
            "The price is outside OKX's current price limits for this instrument. Move it \
             closer to the market."
        }
        INSUFFICIENT_BALANCE | INSUFFICIENT_MARGIN => {
            "Not enough margin for this order. Reduce the size, lower the leverage, close \
             other positions or add funds."
        }
        ORDERS_BLOCKED | ACCOUNT_BLOCKED => {
            "OKX is not accepting orders from this account or on this instrument right now."
        }
        DUPLICATE_CLIENT_ID => {
            "An open order already carries this client order id; the order was not placed \
             twice."
        }
        BELOW_MIN_SIZE => "The order is smaller than OKX's minimum size for this instrument.",
        NOT_LOT_MULTIPLE => "The size is not a multiple of the instrument's lot size.",
        NO_POSITION_TO_REDUCE => {
            "Reduce-only order refused: there is no position in this direction to reduce."
        }
        CANCEL_NOT_FOUND | ORDER_NOT_FOUND => "OKX has no such order.",
        CANCEL_ALREADY_CANCELLED => "The order was already cancelled.",
        CANCEL_ALREADY_DONE => "The order has already been filled or ended.",
        TOO_MANY_TAG_CAA => "OKX's dead man's switch is already set for too many tags.",
        PARAM_ERROR | PARAM_REQUIRED | JSON_SYNTAX | BODY_EMPTY => {
            return format!("OKX refused a parameter of the request: {msg}");
        }
        _ => return format!("OKX refused the request ({code}): {msg}"),
    };
    text.to_owned()
}

/// A refusal by OKX with its `code` and `msg`.
pub fn rejected(code: i64, msg: &str) -> Error {
    Error {
        venue: VenueId::Okx,
        kind: kind_of(code),
        venue_code: Some(code.to_string()),
        venue_message: Some(msg.to_owned()),
        message: trader_message(code, msg),
        outcome_unknown: outcome_unknown(code),
        not_sent: false,
        retry_at_ms: None,
    }
}

/// A Rampart-side error of `kind` (no venue code).
pub fn local(kind: ErrorKind, message: impl Into<String>) -> Error {
    Error {
        venue: VenueId::Okx,
        kind,
        venue_code: None,
        venue_message: None,
        message: message.into(),
        outcome_unknown: false,
        not_sent: false,
        retry_at_ms: None,
    }
}

/// Refused before sending: breaks the instrument's rules or the venue's.
pub fn validation(message: impl Into<String>) -> Error {
    Error {
        not_sent: true,
        ..local(ErrorKind::Validation, message)
    }
}

/// A set-up problem (nothing sent).
pub fn config(message: impl Into<String>) -> Error {
    Error {
        not_sent: true,
        ..local(ErrorKind::Config, message)
    }
}

/// An answer not in the documented shape.
pub fn malformed(what: impl std::fmt::Display) -> Error {
    local(
        ErrorKind::Malformed,
        format!(
            "OKX's answer was not in the documented shape ({what}); nothing was changed from \
             it. Check the order's state before acting again."
        ),
    )
}

/// Held by our own budget until venue time `retry_at_ms` (nothing sent).
pub fn held(retry_at_ms: i64, what: &str) -> Error {
    Error {
        not_sent: true,
        retry_at_ms: Some(retry_at_ms),
        ..local(
            ErrorKind::RateLimited,
            format!(
                "Held back before OKX's rate limit for {what} would be reached; it can be sent \
                 again in a moment."
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_without_the_trade_permission_is_told_to_add_it() {
        // OKX answers a read-only key's order with 50030 "No permission to use this API".
        let e = rejected(NO_API_PERMISSION, "No permission to use this API");
        assert_eq!(e.venue_code.as_deref(), Some("50030"));
        assert!(e.message.contains("Trade permission"), "{}", e.message);
        let e = rejected(NO_PERMISSION, "API key doesn't have permission");
        assert!(e.message.contains("Trade permission"), "{}", e.message);
    }

    #[test]
    fn key_and_clock_refusals_are_told_apart() {
        assert_eq!(refusal_cause(INVALID_SIGN), RefusalCause::Authentication);
        assert_eq!(
            refusal_cause(PASSPHRASE_WRONG),
            RefusalCause::Authentication
        );
        assert_eq!(
            refusal_cause(WRONG_ENVIRONMENT),
            RefusalCause::Authentication
        );
        assert_eq!(refusal_cause(TIMESTAMP_EXPIRED), RefusalCause::Timestamp);
        assert_eq!(refusal_cause(WS_TIMESTAMP_EXPIRED), RefusalCause::Timestamp);
        assert_eq!(refusal_cause(INSUFFICIENT_BALANCE), RefusalCause::Other);
    }

    #[test]
    fn refusals_keep_the_venue_code_and_message_and_say_what_to_do() {
        let e = rejected(INSUFFICIENT_BALANCE, "Insufficient balance");
        assert_eq!(e.kind, ErrorKind::Rejected);
        assert_eq!(e.venue_code.as_deref(), Some("51008"));
        assert_eq!(e.venue_message.as_deref(), Some("Insufficient balance"));
        assert!(e.message.contains("Not enough margin"));
        assert!(!e.outcome_unknown);
        assert_eq!(e.refusal_cause(), RefusalCause::Other);

        let e = rejected(RATE_LIMITED, "Too Many Requests");
        assert_eq!(e.kind, ErrorKind::RateLimited);

        let e = rejected(ENDPOINT_TIMEOUT, "Endpoint request timeout");
        assert_eq!(e.kind, ErrorKind::VenueFailure);
        assert!(e.outcome_unknown, "50004 does not say whether it was done");

        let e = rejected(99999, "Something new");
        assert!(e.message.contains("99999") && e.message.contains("Something new"));
    }

    #[test]
    fn the_venue_neutral_error_finds_okx_causes() {
        let e = rejected(INVALID_SIGN, "Invalid Sign");
        assert_eq!(e.refusal_cause(), RefusalCause::Authentication);
        let e = rejected(TIMESTAMP_EXPIRED, "Timestamp request expired");
        assert_eq!(e.refusal_cause(), RefusalCause::Timestamp);
    }

    #[test]
    fn local_refusals_say_nothing_was_sent() {
        let e = validation("off tick");
        assert_eq!(e.kind, ErrorKind::Validation);
        assert!(e.not_sent);
        let e = held(1_000, "orders");
        assert_eq!(e.kind, ErrorKind::RateLimited);
        assert_eq!(e.retry_at_ms, Some(1_000));
        assert!(e.not_sent);
    }
}
