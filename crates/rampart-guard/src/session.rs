//! What the guard remembers of the running session only: recent orders and cancels, refusals
//! in a row, the clock offset, activity this terminal did not make.

use std::collections::VecDeque;

use rampart_core::{OrderType, Side};
use rust_decimal::Decimal;

/// An order sent moments ago, for the duplicate check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecentOrder {
    pub symbol: String,
    pub side: Side,
    pub order_type: OrderType,
    pub qty: Decimal,
    pub price: Option<Decimal>,
    pub at_ms: i64,
}

/// One account's session.
#[derive(Debug, Clone, Default)]
pub(crate) struct AccountSession {
    /// Times of orders sent, oldest first, within the longest window any detector looks at.
    pub order_times: VecDeque<i64>,
    /// Times of cancels, the same way.
    pub cancel_times: VecDeque<i64>,
    /// Orders within the duplicate window.
    pub recent: VecDeque<RecentOrder>,
    pub auth_rejections: u32,
    pub timestamp_rejections: u32,
    pub rejections: u32,
    pub clock_offset_ms: Option<i64>,
    /// Activity this terminal did not make, not yet acknowledged: what was seen.
    pub foreign: Option<String>,
    /// What the account's API key may do, once the venue has said.
    pub key: Option<rampart_core::trading::KeyPermissions>,
    /// The user gave a code to go on using a key that can withdraw, this session.
    pub key_risk_accepted: bool,
}

/// How many of `times` (ascending) are at or after `since`.
pub(crate) fn count_since(times: &VecDeque<i64>, since: i64) -> u32 {
    let first = times.partition_point(|t| *t < since);
    u32::try_from(times.len() - first).unwrap_or(u32::MAX)
}

/// Drops the entries of `times` before `since`.
pub(crate) fn prune(times: &mut VecDeque<i64>, since: i64) {
    while times.front().is_some_and(|t| *t < since) {
        times.pop_front();
    }
}
