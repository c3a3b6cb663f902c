//! The session anomaly detectors: each a small function of the facts, the history and the
//! session, with its thresholds in [`crate::Thresholds`] and its own tests. `None` is silence.

mod activity;
mod keys;
mod size;
mod unlock;
mod venue;

pub use activity::{burst, churn, new_instrument, new_venue, unusual_hour};
pub use keys::key_permissions;
pub use size::unusual_size;
pub use unlock::{new_seat, unlock_failures, unlock_hour};
pub use venue::{clock_offset, foreign_activity, is_ours, rejections};

use rust_decimal::Decimal;

/// `value` with at most `dp` decimal places and no trailing zeros, for a sentence.
pub(crate) fn shown(value: Decimal, dp: u32) -> Decimal {
    value.round_dp(dp).normalize()
}
