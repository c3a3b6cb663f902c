//! The order path: one way for every account and venue to place, find, cancel and list orders,
//! through the [`Venue`](rampart_venues::venue::Venue) trait only.
//!
//! An order's identity is its client order id, generated here and journaled (on disk, synced)
//! before the first byte is sent. A lost answer makes the order Unknown, never Rejected or
//! NotPlaced: a resolver asks the venue about that client order id until it answers, and new
//! orders on the same account and symbol wait ("checking with the exchange") until then. The
//! journal is read back when the engine opens, so orders in flight at a crash are resolved
//! before anything new is sent on their account.

mod engine;
mod guarded;
pub mod journal;
mod resolve;
pub mod validate;

pub use engine::{AccountStatus, ConnectionState, OrderEngine, PendingOrderView};
pub use guarded::{AccountFacts, Consent, NoAccountFacts, PlaceOutcome};
pub(crate) use guarded::{now as guard_now, whole_leverage};
pub use journal::{DiskTime, Intent, JournalError, OrderJournal, Outcome, rekey_file};
pub use resolve::ResolvePolicy;

use rampart_core::trading::{MarginMode, OrderAck, PositionSide, TriggerBy};
use rampart_core::{ApiError, ErrorCode, OrderType, Price, Qty, Side, TimeInForce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Every client order id Rampart generates starts with this, so that its own orders can be told
/// from orders placed by other tools on the same key.
pub const CLIENT_ID_PREFIX: &str = "rmp";

/// Letters and digits after the prefix: 24 of 62 symbols, about 143 bits.
const CLIENT_ID_RANDOM_CHARS: usize = 24;

/// A new client order id: `rmp` and 24 letters or digits (27 characters), which every venue
/// accepts (OKX's `clOrdId`: letters and digits, at most 32; Binance's and Bybit's rules are
/// wider).
pub fn new_client_order_id() -> String {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    /// 4 × 62: a random byte below it picks a symbol uniformly (its remainder by 62); a byte at
    /// or above it is drawn again.
    const UNIFORM_BELOW: u8 = 248;
    let mut rng = rand::rng();
    let mut id = String::with_capacity(CLIENT_ID_PREFIX.len() + CLIENT_ID_RANDOM_CHARS);
    id.push_str(CLIENT_ID_PREFIX);
    let mut random = [0u8; 32];
    let mut left = CLIENT_ID_RANDOM_CHARS;
    while left > 0 {
        // One draw of 32 bytes from the thread's CSPRNG (no system call) covers the 24 symbols
        // unless 9 or more of them are redrawn (about one id in 2.6 million).
        rng.fill_bytes(&mut random);
        for &b in random.iter().filter(|&&b| b < UNIFORM_BELOW).take(left) {
            id.push(char::from(ALPHABET[usize::from(b % 62)]));
            left -= 1;
        }
    }
    id
}

/// A new order as the order ticket sends it: everything but the client order id, which the
/// engine generates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct OrderTicket {
    pub symbol: String,
    pub side: Side,
    pub order_type: OrderType,
    pub qty: Qty,
    #[serde(default)]
    pub price: Option<Price>,
    #[serde(default)]
    pub trigger_price: Option<Price>,
    #[serde(default)]
    pub time_in_force: Option<TimeInForce>,
    #[serde(default)]
    pub reduce_only: bool,
    #[serde(default)]
    pub trigger_by: Option<TriggerBy>,
    #[serde(default)]
    pub margin_mode: Option<MarginMode>,
    #[serde(default)]
    pub position_side: PositionSide,
}

/// Where a placed order stands when the place call returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum PlacedStatus {
    /// The venue acknowledged it.
    Accepted,
    /// The answer was lost: Rampart is checking with the exchange by its client order id.
    CheckingWithExchange,
}

/// The answer to a place call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct PlacedOrder {
    pub account_id: String,
    pub client_order_id: String,
    pub status: PlacedStatus,
    /// The venue's acknowledgement, when it came.
    pub ack: Option<OrderAck>,
    /// What happened, for the trader.
    pub message: String,
    /// When the order was handed to the venue's connector (µs since the Unix epoch, this
    /// machine's clock); its bytes leave within microseconds.
    #[ts(type = "number")]
    pub sent_at_us: i64,
    /// From that hand-over to the venue's answer (or to the loss of it), µs.
    #[ts(type = "number")]
    pub round_trip_us: u64,
    /// The guard's warnings the order went with (info ones, or those the user confirmed).
    pub warnings: Vec<rampart_guard::Warning>,
}

/// Why an order (or a cancel) did not go through.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// No such account is connected.
    #[error("no connected account {0}")]
    UnknownAccount(String),
    /// The account's venue is not connected (still connecting, or it failed to).
    #[error("{0}")]
    Unavailable(String),
    /// The order breaks its instrument's rules; nothing was journaled or sent.
    #[error("{0}")]
    Invalid(String),
    /// The guard's pre-trade checks refused it; nothing was sent.
    #[error("{0}")]
    Refused(String),
    /// The circuit breaker halts new orders on the account; nothing was sent.
    #[error("{0}")]
    Halted(String),
    /// An earlier order on this account and symbol is still being checked with the exchange.
    #[error("{0}")]
    CheckingWithExchange(String),
    /// The venue refused the request with its own code.
    #[error("{}", .0.message)]
    Rejected(rampart_venues::venue::Error),
    /// Nothing left this machine (rate budget, clock, set-up).
    #[error("{}", .0.message)]
    NotSent(rampart_venues::venue::Error),
    /// Any other failure talking to the venue (for a cancel or a query: try again).
    #[error("{}", .0.message)]
    Venue(rampart_venues::venue::Error),
    /// The journal could not be written: nothing was sent.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// No order with that client order id.
    #[error("{0}")]
    NotFound(String),
}

impl From<OrderError> for ApiError {
    fn from(e: OrderError) -> Self {
        let code = match &e {
            OrderError::UnknownAccount(_) => ErrorCode::AccountNotFound,
            OrderError::Unavailable(_) => ErrorCode::VenueUnavailable,
            OrderError::Invalid(_) => ErrorCode::InvalidOrder,
            OrderError::Refused(_) => ErrorCode::RefusedByGuard,
            OrderError::Halted(_) => ErrorCode::TradingHalted,
            OrderError::CheckingWithExchange(_) => ErrorCode::CheckingWithExchange,
            OrderError::Rejected(_) => ErrorCode::OrderRejected,
            OrderError::NotSent(_) => ErrorCode::NotSent,
            OrderError::Venue(_) => ErrorCode::VenueUnavailable,
            OrderError::Journal(_) => ErrorCode::DataDirUnavailable,
            OrderError::NotFound(_) => ErrorCode::OrderNotFound,
        };
        let message = match &e {
            OrderError::Journal(j) => format!(
                "Nothing was sent: the order journal could not be written ({j}). Check the data \
                 directory on the System status page."
            ),
            OrderError::UnknownAccount(_) => {
                "That account is not connected. Refresh the account list.".to_owned()
            }
            OrderError::Refused(why) => format!("Not sent: {why}."),
            OrderError::Halted(why) => format!("Not sent: {why}."),
            other => other.to_string(),
        };
        ApiError::new(code, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::trading::is_portable_client_order_id;

    #[test]
    fn client_order_ids_fit_every_venue_and_do_not_repeat() {
        let ids: std::collections::HashSet<String> =
            (0..10_000).map(|_| new_client_order_id()).collect();
        assert_eq!(ids.len(), 10_000);
        for id in ids.iter().take(200) {
            assert!(is_portable_client_order_id(id), "{id}");
            assert!(id.starts_with(CLIENT_ID_PREFIX) && id.len() == 27, "{id}");
            assert!(
                rampart_venues::binance_usdm::order::valid_client_order_id(id),
                "{id}"
            );
        }
        // Every symbol of the alphabet turns up, about equally often: 240,000 symbols, about
        // 3,871 of each; a bias of one symbol in 62 (what `% 62` of a whole byte would give)
        // would put some near 4,900.
        let mut counts = std::collections::HashMap::new();
        for id in &ids {
            for c in id[CLIENT_ID_PREFIX.len()..].chars() {
                *counts.entry(c).or_insert(0u32) += 1;
            }
        }
        assert_eq!(counts.len(), 62, "{counts:?}");
        assert!(
            counts.values().all(|&n| (3_500..4_250).contains(&n)),
            "{counts:?}"
        );
    }
}
