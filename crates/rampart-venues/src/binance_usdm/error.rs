//! What can go wrong talking to Binance USDⓈ-M, split by cause, and a sentence a trader can act on
//! for each cause and for the venue codes a trader meets most (codes and their meaning from the
//! USDⓈ-M "Error Codes" page).

use super::filters::FilterViolation;
use super::signer::SignerError;

/// Why a request was held back by Rampart's own rate budget (nothing was sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldReason {
    /// This minute's request weight is spent (less our margin).
    Weight,
    /// The venue answered 429/418 earlier and its Retry-After has not passed.
    RetryAfter,
    /// The account's order-count limit (per 10 s or per minute) would be exceeded.
    Orders,
}

/// What went wrong, split by cause.
#[derive(Debug, thiserror::Error)]
pub enum VenueError {
    /// The URL is not https, or http to a host other than loopback.
    #[error(
        "refusing {0}: Rampart talks to venues over https only (plain http only to this machine)"
    )]
    InsecureUrl(String),
    /// The client could not be set up (a bad extra root certificate, a TLS backend failure).
    #[error("the connection could not be set up: {0}")]
    Config(String),
    /// The secret cannot sign (empty, or a PEM that is not an Ed25519 key).
    #[error("the API secret cannot sign: {0}")]
    Signer(#[from] SignerError),
    /// No answer: connection refused, DNS, TLS, timeout. For an order, its fate is unknown.
    #[error("could not reach the venue: {0}")]
    Connectivity(String),
    /// The venue answered with an error code.
    #[error("the venue rejected the request ({code}): {msg}")]
    Rejected { http: u16, code: i64, msg: String },
    /// The order breaks the symbol's exchangeInfo rules; nothing was sent.
    #[error("not sent: {0}")]
    Validation(#[from] FilterViolation),
    /// The request is inconsistent in itself (a LIMIT order without a price, an unsupported
    /// depth limit, a client order id Binance would refuse); nothing was sent.
    #[error("not sent: {0}")]
    InvalidRequest(String),
    /// 429: the venue asked us to wait; nothing is sent until then.
    #[error(
        "the venue is rate limiting this IP; waiting {retry_after_secs} s before sending again"
    )]
    RateLimited { retry_after_secs: u32 },
    /// 418: the venue banned this IP for a while (after 429s were not honoured, possibly by
    /// another tool on the same IP); nothing is sent until then.
    #[error("the venue has banned this IP for {retry_after_secs} s")]
    Banned { retry_after_secs: u32 },
    /// Our own budget says the request would exceed the venue's limit; nothing was sent.
    #[error("holding the request to stay inside the venue's rate limit (until {until} ms)")]
    Held {
        /// Venue time (ms) when sending becomes possible again.
        until: i64,
        /// How long that is from when the request was held.
        wait_ms: i64,
        reason: HoldReason,
    },
    /// A 5xx: the venue's side; for an order, its fate is unknown.
    #[error("the venue had an internal error (HTTP {http}): {body}")]
    VenueFailure { http: u16, body: String },
    /// The answer is not what the venue documents.
    #[error("the venue's answer was not understood: {0}")]
    Malformed(String),
    /// The venue (or something in between) answered with a redirect, which Rampart does not
    /// follow: the key and a signed request go to the venue's address and nowhere else. For an
    /// order, its fate is unknown (looked up by its client order id).
    #[error("the venue answered with a redirect (HTTP {http}) to {location}, not followed")]
    Redirected { http: u16, location: String },
    /// The clock offset has not been measured yet.
    #[error("the venue's clock has not been measured yet")]
    ClockUnknown,
}

/// Venue codes whose documented meaning is "execution status unknown" (-1006 UNEXPECTED_RESP,
/// -1007 TIMEOUT): the request may have been executed.
const STATUS_UNKNOWN_CODES: [i64; 2] = [-1006, -1007];

/// -2011 "Unknown order sent.": no open order with that id to cancel.
pub(crate) const UNKNOWN_ORDER: i64 = -2011;
/// -2013 "Order does not exist.". Query Algo Order documents no code of its own for an unknown
/// `clientAlgoId`, so the same code means "none" there.
pub(crate) const NO_SUCH_ORDER: i64 = -2013;
/// -4046 "No need to change margin type.": the symbol already has that margin type.
pub(crate) const NO_NEED_TO_CHANGE_MARGIN_TYPE: i64 = -4046;

impl VenueError {
    /// Whether an order sent with this error may or may not have reached the venue.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            VenueError::Connectivity(_)
            | VenueError::VenueFailure { .. }
            | VenueError::Redirected { .. } => true,
            VenueError::Rejected { code, .. } => STATUS_UNKNOWN_CODES.contains(code),
            _ => false,
        }
    }

    /// Whether nothing left this machine (validation, budget, clock, configuration).
    pub fn not_sent(&self) -> bool {
        matches!(
            self,
            VenueError::InsecureUrl(_)
                | VenueError::Config(_)
                | VenueError::Signer(_)
                | VenueError::Validation(_)
                | VenueError::InvalidRequest(_)
                | VenueError::Held { .. }
                | VenueError::ClockUnknown
        )
    }

    /// The venue's own error code, when it answered with one.
    pub fn venue_code(&self) -> Option<i64> {
        match self {
            VenueError::Rejected { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// A sentence a trader can act on: what happened and what to do next.
    pub fn trader_message(&self) -> String {
        match self {
            VenueError::InsecureUrl(url) => format!(
                "Rampart refused to connect to {url}: venues are reached over https only. Use the \
                 venue's https address."
            ),
            VenueError::Config(detail) => format!(
                "The connection to Binance could not be set up ({detail}). Check the account's \
                 connection settings."
            ),
            VenueError::Signer(e) => format!(
                "The API secret cannot sign requests ({e}). Paste the API secret (or the Ed25519 \
                 private key) for this account again."
            ),
            VenueError::Connectivity(_) => "Binance could not be reached. Check your internet \
                connection; an order whose answer was lost is looked up by its client order id \
                before anything is sent again."
                .to_owned(),
            VenueError::Rejected { code, msg, .. } => rejected_message(*code, msg),
            VenueError::Validation(v) => format!("Not sent: {v}."),
            VenueError::InvalidRequest(why) => format!("Not sent: {why}."),
            VenueError::Banned { retry_after_secs } => format!(
                "Binance has blocked this IP address for {retry_after_secs} s for sending too many \
                 requests. Rampart sends nothing until then; close other tools using the same \
                 connection."
            ),
            VenueError::RateLimited { retry_after_secs } => format!(
                "Binance is limiting requests from this IP address. Rampart waits \
                 {retry_after_secs} s before sending again; nothing is lost."
            ),
            VenueError::Held {
                wait_ms, reason, ..
            } => {
                let secs = ((*wait_ms).max(0) + 999) / 1000;
                let what = match reason {
                    HoldReason::Weight => "Binance's request limit for this IP address",
                    HoldReason::RetryAfter => "the pause Binance asked for",
                    HoldReason::Orders => "Binance's limit on new orders for this account",
                };
                format!(
                    "Not sent: it would exceed {what}. Try again in {secs} s; nothing was sent."
                )
            }
            VenueError::VenueFailure { http, .. } => format!(
                "Binance had an internal error (HTTP {http}). If this was an order, its fate is \
                 unknown until Rampart has looked it up by its client order id; do not send it \
                 again by hand."
            ),
            VenueError::Malformed(_) => "Binance's answer was not in the documented shape, so \
                Rampart assumed nothing from it. Try again; if it keeps happening, report it."
                .to_owned(),
            VenueError::Redirected { http, location } => format!(
                "The venue's address answered with a redirect (HTTP {http}) to {location}. \
                 Rampart does not follow redirects, so neither the key nor the request went \
                 there. If this was an order, Rampart looks it up by its client order id. Check \
                 the network (a proxy or a captive portal can do this)."
            ),
            VenueError::ClockUnknown => "Binance's clock has not been measured yet. Reconnect the \
                account; Rampart measures the clock when it connects."
                .to_owned(),
        }
    }
}

/// Binance's codes (its "Error Codes" page) that say the key or the clock is at fault:
/// -1021 INVALID_TIMESTAMP ("Timestamp for this request is outside of the recvWindow", or
/// "was 1000ms ahead of the server's time"); -1022 INVALID_SIGNATURE ("Signature for this
/// request is not valid"); -2014 BAD_API_KEY_FMT ("API-key format invalid"); -2015
/// REJECTED_MBX_KEY ("Invalid API-key, IP, or permissions for action").
pub const INVALID_TIMESTAMP: i64 = -1021;
pub const INVALID_SIGNATURE: i64 = -1022;
pub const BAD_API_KEY_FMT: i64 = -2014;
pub const REJECTED_MBX_KEY: i64 = -2015;

/// What a refusal with Binance's `code` says about the key or the clock.
pub fn refusal_cause(code: i64) -> crate::venue::RefusalCause {
    use crate::venue::RefusalCause;
    match code {
        INVALID_SIGNATURE | BAD_API_KEY_FMT | REJECTED_MBX_KEY => RefusalCause::Authentication,
        INVALID_TIMESTAMP => RefusalCause::Timestamp,
        _ => RefusalCause::Other,
    }
}

/// The trader's sentence for a venue error code; `msg` is Binance's own message.
fn rejected_message(code: i64, msg: &str) -> String {
    match code {
        INVALID_TIMESTAMP => {
            "Your computer's clock and Binance's disagree, so the request was refused. \
                  Rampart has measured the clock again; send it again, and if this keeps \
                  happening, turn on automatic time sync in your system settings."
                .to_owned()
        }
        INVALID_SIGNATURE => {
            "Binance did not accept the request signature: the API secret does not belong \
                  to this API key. Enter the key pair again."
                .to_owned()
        }
        BAD_API_KEY_FMT | REJECTED_MBX_KEY => {
            "Binance refused the API key: check that the key is correct, that this \
                          computer's IP address is on the key's allow list, and that the key may \
                          trade futures."
                .to_owned()
        }
        -2018 | -2019 => "Not enough margin for this order. Reduce the size, lower the \
                          leverage, close other positions or add funds."
            .to_owned(),
        -2021 => "The stop price would trigger immediately. Move the stop price to the other \
                  side of the current price."
            .to_owned(),
        -2022 => "The reduce-only order was refused: it would not reduce your position, or it \
                  conflicts with other open orders. Check the position's side and size, or \
                  cancel the conflicting order first."
            .to_owned(),
        -4164 => format!(
            "The order is too small: its value is below the symbol's minimum ({msg}). Raise the \
             quantity, or mark it reduce-only to close a position."
        ),
        -5022 => "The post-only order would have filled at once as a taker, so Binance cancelled \
                  it. Move the price away from the other side of the book, or use GTC."
            .to_owned(),
        -1003 => "Too many requests from this IP address. Rampart waits before sending again; \
                  close other tools using the same connection."
            .to_owned(),
        -1015 => "Too many new orders for this account right now. Wait a few seconds, then send \
                  again."
            .to_owned(),
        -4116 => "An order with this client order id already exists, so it was not placed twice. \
                  Rampart looks up that order instead of sending it again."
            .to_owned(),
        -2011 => "Binance has no open order with that id to cancel: it may already be filled, \
                  cancelled or expired. Refresh the open orders."
            .to_owned(),
        -2013 => "Binance has no such order: it was never placed, or it is older than Binance \
                  keeps. Refresh the orders."
            .to_owned(),
        // Since 2025-12-09 the conditional types go to the Algo Service (New Algo Order);
        // Rampart routes them there, so this means an order reached the old endpoint anyway.
        -4120 => "Binance no longer takes stop and take-profit orders this way, and refused \
                  this one; nothing was placed. Update Rampart (it sends them to Binance's \
                  conditional-order service), then place the order again."
            .to_owned(),
        // MAX_STOP_ORDER_EXCEEDED: at most 200 conditional orders across all symbols (change
        // log 2025-12-29).
        -4045 => "Too many open stop and take-profit orders on this account (Binance allows 200 \
                  across all symbols). Cancel some you no longer need, then place it again."
            .to_owned(),
        // STOP_ORDER_TRIGGERING: the conditional order is being forwarded to the book.
        -4117 => "The stop or take-profit order is triggering right now, so it could not be \
                  changed or cancelled. Refresh the orders in a moment and cancel the order it \
                  placed if you still want to."
            .to_owned(),
        // STRATEGY_INVALID_TRIGGER_PRICE.
        -4142 => "The take-profit or stop order would trigger immediately. Move its trigger \
                  price to the other side of the current price."
            .to_owned(),
        -1006 | -1007 => "Binance did not confirm the request in time; its outcome is unknown \
                          until Rampart has looked it up by its client order id. Do not send it \
                          again by hand."
            .to_owned(),
        _ => format!("Binance refused the request (code {code}): {msg}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn rejected(code: i64, msg: &str) -> VenueError {
        VenueError::Rejected {
            http: 400,
            code,
            msg: msg.into(),
        }
    }

    /// Each common code gets its own sentence, naming what to do.
    #[test]
    fn common_venue_codes_have_actionable_messages() {
        let cases: &[(i64, &str, &str)] = &[
            (
                -1021,
                "Timestamp for this request is outside of the recvWindow.",
                "clock",
            ),
            (
                -1022,
                "Signature for this request is not valid.",
                "API secret",
            ),
            (
                -2015,
                "Invalid API-key, IP, or permissions for action.",
                "allow list",
            ),
            (-2019, "Margin is insufficient.", "margin"),
            (-2021, "Order would immediately trigger.", "stop price"),
            (-2022, "ReduceOnly Order is rejected.", "reduce-only"),
            (
                -4164,
                "Order's notional must be no smaller than 5.0 (unless you choose reduce only)",
                "no smaller than 5.0",
            ),
            (
                -5022,
                "Due to the order could not be executed as maker",
                "post-only",
            ),
            (
                -1003,
                "Too many requests; current limit is 2400",
                "Too many requests",
            ),
            (-4116, "clientOrderId is duplicated", "client order id"),
            (-2011, "Unknown order sent.", "cancel"),
            (-2013, "Order does not exist.", "no such order"),
            (
                -4120,
                "Order type not supported for this endpoint. Please use the Algo Order API \
                 endpoints instead.",
                "stop and take-profit",
            ),
            (-4045, "Reach max stop order limit.", "200"),
            (-4117, "stop order is triggering", "triggering"),
            (
                -4142,
                "REJECT: take profit or stop order will be triggered immediately",
                "trigger price",
            ),
        ];
        for (code, msg, needle) in cases {
            let text = rejected(*code, msg).trader_message();
            assert!(text.contains(needle), "{code}: {text}");
            assert!(
                !text.contains("code"),
                "{code} has its own sentence: {text}"
            );
        }
        assert_eq!(
            rejected(-4028, "Leverage 200 is not valid").trader_message(),
            "Binance refused the request (code -4028): Leverage 200 is not valid"
        );
    }

    #[test]
    fn each_cause_has_a_message_and_unknown_outcomes_are_flagged() {
        let violation = FilterViolation::BelowMin {
            field: "quantity",
            value: Decimal::new(1, 4),
            min: Decimal::new(1, 3),
        };
        let all = [
            VenueError::InsecureUrl("http://x".into()),
            VenueError::Config("bad pem".into()),
            VenueError::Signer(SignerError::Empty),
            VenueError::Connectivity("timed out".into()),
            rejected(-1007, "Timeout waiting for response from backend server."),
            VenueError::Validation(violation),
            VenueError::InvalidRequest("a LIMIT order needs a price".into()),
            VenueError::RateLimited {
                retry_after_secs: 7,
            },
            VenueError::Banned {
                retry_after_secs: 120,
            },
            VenueError::Held {
                until: 0,
                wait_ms: 2_500,
                reason: HoldReason::Orders,
            },
            VenueError::VenueFailure {
                http: 503,
                body: "Unknown error".into(),
            },
            VenueError::Malformed("expected a string".into()),
            VenueError::ClockUnknown,
        ];
        for e in &all {
            let text = e.trader_message();
            assert!(text.len() > 30 && text.ends_with('.'), "{e:?}: {text}");
        }
        assert_eq!(
            all[5].trader_message(),
            "Not sent: quantity 0.0001 is below the minimum of 0.001."
        );
        assert_eq!(
            all[9].trader_message(),
            "Not sent: it would exceed Binance's limit on new orders for this account. Try again \
             in 3 s; nothing was sent."
        );
        assert!(
            all[8]
                .trader_message()
                .contains("blocked this IP address for 120 s")
        );
        let unknown: Vec<bool> = all.iter().map(VenueError::outcome_unknown).collect();
        assert_eq!(
            unknown,
            [
                false, false, false, true, true, false, false, false, false, false, true, false,
                false
            ]
        );
        assert!(all[5].not_sent() && all[9].not_sent() && !all[3].not_sent());
        assert_eq!(all[4].venue_code(), Some(-1007));
    }
}
