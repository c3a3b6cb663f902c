//! Bybit v5's error codes, named once, and what each means for a trader.
//!
//! From "Error Codes" (`docs/v5/error.mdx`, bybit-exchange.github.io/docs/v5/error): the HTTP
//! codes (403 "IP rate limit breached", 429 "System level frequency protection") and the UTA
//! `retCode`s. A `retCode` of 0 is success; everything else keeps its code and message next to
//! Rampart's sentence.

use rampart_core::Venue as VenueId;

use crate::venue::{Error, ErrorKind, RefusalCause};

/// "Server Timeout": the venue did not finish; for an order the outcome is unknown.
pub const SERVER_TIMEOUT: i64 = 10000;
/// "Request parameter error".
pub const PARAMETER_ERROR: i64 = 10001;
/// "The request time exceeds the time window range."
pub const TIMESTAMP_OUT_OF_WINDOW: i64 = 10002;
/// "API key is invalid. Check whether the key and domain are matched".
pub const INVALID_API_KEY: i64 = 10003;
/// "Error sign, please check your signature generation algorithm."
pub const INVALID_SIGNATURE: i64 = 10004;
/// "Permission denied, please check your API key permissions."
pub const PERMISSION_DENIED: i64 = 10005;
/// "Too many visits. Exceeded the API Rate Limit."
pub const TOO_MANY_VISITS: i64 = 10006;
/// "User authentication failed."
pub const AUTHENTICATION_FAILED: i64 = 10007;
/// "Service Restricted: Access is currently unavailable for your region."
pub const REGION_RESTRICTED: i64 = 10009;
/// "Unmatched IP, please check your API key's bound IP addresses."
pub const UNMATCHED_IP: i64 = 10010;
/// "Server error."
pub const SERVER_ERROR: i64 = 10016;
/// "Route not found."
pub const ROUTE_NOT_FOUND: i64 = 10017;
/// "Transactions are banned."
pub const TRADING_BANNED: i64 = 10027;
/// "The API can only be accessed by unified account users."
pub const UNIFIED_ONLY: i64 = 10028;
/// "(Derivatives) Your api key has expired".
pub const KEY_EXPIRED: i64 = 33004;
/// "(Spot) Your api key has expired".
pub const SPOT_KEY_EXPIRED: i64 = -2015;
/// "Order does not exist".
pub const ORDER_NOT_FOUND: i64 = 110001;
/// "Order price exceeds the allowable range."
pub const PRICE_OUT_OF_RANGE: i64 = 110003;
/// "Wallet balance is insufficient".
pub const WALLET_INSUFFICIENT: i64 = 110004;
/// "Available balance is insufficient".
pub const AVAILABLE_INSUFFICIENT: i64 = 110007;
/// "The order has been completed or cancelled."
pub const ORDER_FINISHED: i64 = 110008;
/// "The order has been cancelled".
pub const ORDER_CANCELLED: i64 = 110010;
/// "Insufficient available balance."
pub const INSUFFICIENT_AVAILABLE: i64 = 110012;
/// "orderQty will be truncated to zero".
pub const QTY_TRUNCATED_TO_ZERO: i64 = 110017;
/// "Not allowed to have more than 500 active orders."
pub const TOO_MANY_ACTIVE_ORDERS: i64 = 110020;
/// "Position mode has not been modified."
pub const POSITION_MODE_NOT_MODIFIED: i64 = 110025;
/// "Cross/isolated margin mode has not been modified."
pub const MARGIN_MODE_NOT_MODIFIED: i64 = 110026;
/// "Set leverage has not been modified."
pub const LEVERAGE_NOT_MODIFIED: i64 = 110043;
/// "Available margin is insufficient."
pub const MARGIN_INSUFFICIENT: i64 = 110044;
/// "Wallet balance is insufficient."
pub const WALLET_BALANCE_INSUFFICIENT: i64 = 110045;
/// "OrderLinkedID is duplicate".
pub const DUPLICATE_CLIENT_ID: i64 = 110072;
/// "Set margin mode failed".
pub const SET_MARGIN_MODE_FAILED: i64 = 110073;
/// "The order is processing and can not be operated, please try again later".
pub const ORDER_PROCESSING: i64 = 110079;
/// "expect Rising, but trigger_price[…] <= current[…]".
pub const TRIGGER_EXPECT_RISING: i64 = 110092;
/// "expect Falling, but trigger_price[…] >= current[…]".
pub const TRIGGER_EXPECT_FALLING: i64 = 110093;
/// "Order notional value below the lower limit".
pub const NOTIONAL_TOO_LOW: i64 = 110094;

/// The sentence the app shows when Bybit refuses its disconnect cancel-all (DCP).
pub const DCP_INSTITUTIONAL_ONLY: &str =
    "Bybit offers its disconnect cancel-all only to institutional accounts";

/// What a refusal with `code` says about the key or the clock (the guard's watch).
pub fn refusal_cause(code: i64) -> RefusalCause {
    match code {
        INVALID_API_KEY
        | INVALID_SIGNATURE
        | PERMISSION_DENIED
        | AUTHENTICATION_FAILED
        | UNMATCHED_IP
        | KEY_EXPIRED
        | SPOT_KEY_EXPIRED => RefusalCause::Authentication,
        TIMESTAMP_OUT_OF_WINDOW => RefusalCause::Timestamp,
        _ => RefusalCause::Other,
    }
}

/// The neutral kind of a `retCode`.
pub fn kind_of(code: i64) -> ErrorKind {
    match code {
        TOO_MANY_VISITS => ErrorKind::RateLimited,
        SERVER_TIMEOUT | SERVER_ERROR => ErrorKind::VenueFailure,
        _ => ErrorKind::Rejected,
    }
}

/// Whether a `retCode` leaves an order's outcome unknown (the venue may have taken it).
pub fn outcome_unknown_code(code: i64) -> bool {
    matches!(code, SERVER_TIMEOUT | SERVER_ERROR)
}

/// The sentence a trader can act on for `code`; `msg` is Bybit's own message.
pub fn trader_message(code: i64, msg: &str) -> String {
    let text = match code {
        TIMESTAMP_OUT_OF_WINDOW => {
            "Your computer's clock and Bybit's disagree, so the request was refused. Rampart \
             measures the clock again; if this keeps happening, turn on automatic time sync in \
             your system settings."
        }
        INVALID_API_KEY => {
            "Bybit does not know this API key here: check that the key belongs to this \
             environment (mainnet, testnet or demo trading) and has not been deleted."
        }
        INVALID_SIGNATURE => {
            "Bybit did not accept the request signature: the API secret does not belong to this \
             API key. Enter the key pair again."
        }
        PERMISSION_DENIED => {
            "The API key lacks the permission for this: in Bybit's API management, allow \
             Contract (Orders and Positions) trading for the key."
        }
        AUTHENTICATION_FAILED => {
            "Bybit could not authenticate this API key. Enter the key pair again."
        }
        UNMATCHED_IP => {
            "Bybit refused the request: this computer's IP address is not among the key's \
             allowed IP addresses. Add it in Bybit's API management."
        }
        KEY_EXPIRED | SPOT_KEY_EXPIRED => {
            "The Bybit API key has expired. Create a new key (bind it to your IP address to \
             keep it from expiring) and enter it again."
        }
        TOO_MANY_VISITS => {
            "Bybit's request limit for this endpoint was reached; Rampart waits before sending \
             again."
        }
        REGION_RESTRICTED => "Bybit does not serve this region.",
        TRADING_BANNED => "Bybit has banned trading on this account. Contact Bybit support.",
        UNIFIED_ONLY => {
            "This needs a Bybit Unified Trading Account: upgrade the account on Bybit first."
        }
        SERVER_TIMEOUT | SERVER_ERROR => {
            "Bybit failed to process the request. For an order, Rampart checks by its client \
             id whether it arrived before anything is sent again."
        }
        ORDER_NOT_FOUND => "Bybit has no such open order: it may already be filled or cancelled.",
        ORDER_FINISHED | ORDER_CANCELLED => "The order is already filled or cancelled.",
        PRICE_OUT_OF_RANGE => {
            "The price is outside the range Bybit allows around the current price: bring it \
             closer to the market."
        }
        WALLET_INSUFFICIENT
        | AVAILABLE_INSUFFICIENT
        | INSUFFICIENT_AVAILABLE
        | MARGIN_INSUFFICIENT
        | WALLET_BALANCE_INSUFFICIENT => {
            "Not enough available balance for this order: reduce the size or the leverage, or \
             add funds."
        }
        QTY_TRUNCATED_TO_ZERO => "The quantity is below the instrument's step size: increase it.",
        TOO_MANY_ACTIVE_ORDERS => "Bybit allows at most 500 open orders: cancel some first.",
        NOTIONAL_TOO_LOW => {
            "The order's value is below Bybit's minimum for this instrument: increase the size."
        }
        DUPLICATE_CLIENT_ID => {
            "Bybit already has an order with this client id: the order was sent before. Check \
             the open orders before placing it again."
        }
        ORDER_PROCESSING => "Bybit is still processing this order: wait a moment and try again.",
        TRIGGER_EXPECT_RISING | TRIGGER_EXPECT_FALLING => {
            "The trigger price is on the wrong side of the current price for this order type."
        }
        SET_MARGIN_MODE_FAILED => {
            "Bybit could not change the margin mode: close positions and cancel open orders \
             first, then try again."
        }
        PARAMETER_ERROR => return format!("Bybit refused the request's parameters: {msg}"),
        ROUTE_NOT_FOUND => {
            "Bybit does not offer this request here (demo trading serves only part of the API)."
        }
        _ => return format!("Bybit refused the request ({code}): {msg}"),
    };
    text.to_owned()
}

/// A neutral error for a `retCode` other than 0.
pub fn rejected(code: i64, msg: &str) -> Error {
    Error {
        venue: VenueId::Bybit,
        kind: kind_of(code),
        venue_code: Some(code.to_string()),
        venue_message: Some(msg.to_owned()),
        message: trader_message(code, msg),
        outcome_unknown: false,
        not_sent: false,
        retry_at_ms: None,
    }
}

/// A neutral error of `kind` with Rampart's own sentence (no venue code).
pub fn local(kind: ErrorKind, message: impl Into<String>) -> Error {
    Error {
        venue: VenueId::Bybit,
        kind,
        venue_code: None,
        venue_message: None,
        message: message.into(),
        outcome_unknown: false,
        not_sent: false,
        retry_at_ms: None,
    }
}

/// Refused before sending: breaks the instrument's rules or is inconsistent.
pub fn validation(message: impl Into<String>) -> Error {
    Error {
        not_sent: true,
        ..local(ErrorKind::Validation, message)
    }
}

/// The answer was not in the documented shape.
pub fn malformed(what: &str, detail: impl std::fmt::Display) -> Error {
    local(
        ErrorKind::Malformed,
        format!(
            "Bybit's answer to {what} was not in the documented shape ({detail}); nothing was \
             changed from it. If this persists, Bybit may have changed its API."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_and_clock_refusals_are_told_apart() {
        assert_eq!(
            refusal_cause(INVALID_SIGNATURE),
            RefusalCause::Authentication
        );
        assert_eq!(refusal_cause(INVALID_API_KEY), RefusalCause::Authentication);
        assert_eq!(refusal_cause(UNMATCHED_IP), RefusalCause::Authentication);
        assert_eq!(refusal_cause(KEY_EXPIRED), RefusalCause::Authentication);
        assert_eq!(
            refusal_cause(TIMESTAMP_OUT_OF_WINDOW),
            RefusalCause::Timestamp
        );
        assert_eq!(refusal_cause(AVAILABLE_INSUFFICIENT), RefusalCause::Other);
    }

    #[test]
    fn a_refusal_keeps_bybits_code_and_message_next_to_the_sentence() {
        let e = rejected(AVAILABLE_INSUFFICIENT, "Available balance is insufficient");
        assert_eq!(e.kind, ErrorKind::Rejected);
        assert_eq!(e.venue_code.as_deref(), Some("110007"));
        assert_eq!(
            e.venue_message.as_deref(),
            Some("Available balance is insufficient")
        );
        assert!(
            e.message.contains("Not enough available balance"),
            "{}",
            e.message
        );
        assert_eq!(e.refusal_cause(), RefusalCause::Other);
        let rate = rejected(TOO_MANY_VISITS, "Too many visits!");
        assert_eq!(rate.kind, ErrorKind::RateLimited);
        let timeout = rejected(SERVER_TIMEOUT, "Server Timeout");
        assert_eq!(timeout.kind, ErrorKind::VenueFailure);
        assert!(outcome_unknown_code(SERVER_TIMEOUT));
        let unknown = rejected(123456, "something new");
        assert!(unknown.message.contains("123456") && unknown.message.contains("something new"));
    }

    #[test]
    fn the_neutral_error_routes_bybit_codes_to_this_table() {
        let e = rejected(
            TIMESTAMP_OUT_OF_WINDOW,
            "The request time exceeds the time window range.",
        );
        assert_eq!(e.refusal_cause(), RefusalCause::Timestamp);
        let e = rejected(INVALID_SIGNATURE, "Error sign");
        assert_eq!(e.refusal_cause(), RefusalCause::Authentication);
    }
}
