//! The lock, enrolment, accounts and settings as the UI sees them. Nothing here is an exchange
//! secret: accounts carry only a masked key and a fingerprint.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Venue;
pub use crate::trading::Environment;

/// The shortest and longest idle time before the app locks itself.
pub const IDLE_LOCK_MINUTES: std::ops::RangeInclusive<u32> = 1..=60;
pub const DEFAULT_IDLE_LOCK_MINUTES: u32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum LockPhase {
    /// First run (or after an MFA reset): an authenticator must be set up before anything else.
    NeedsEnrolment,
    Locked,
    Unlocked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct SessionStatus {
    pub phase: LockPhase,
    /// Seconds before another code may be tried, while too many wrong codes hold the lock.
    pub wait_seconds: Option<u32>,
    pub idle_lock_minutes: u32,
    /// While enrolling: Rampart holds accounts and keys from an earlier authenticator, so the
    /// new one needs one of its recovery codes.
    #[serde(default)]
    pub recovery_required: bool,
}

/// What the enrolment screen shows. The TOTP seed appears here once, so that the trader can add
/// it to an authenticator app; it is not returned again after activation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct EnrolmentView {
    pub issuer: String,
    pub account: String,
    pub secret_base32: String,
    pub otpauth_url: String,
    /// The QR code of `otpauth_url` as an SVG path over a `qr_size`×`qr_size` grid.
    pub qr_size: u32,
    pub qr_path: String,
}

/// The one-time recovery codes, shown once after activation; only their hashes are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct RecoveryCodesView {
    pub codes: Vec<String>,
}

/// An exchange account as listed: no secret, only a masked key and a fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct AccountView {
    pub id: String,
    pub venue: Venue,
    pub label: String,
    pub environment: Environment,
    /// First four and last four characters of the API key.
    pub masked_key: String,
    pub fingerprint: String,
    /// Milliseconds since the Unix epoch.
    #[ts(type = "number")]
    pub created_at: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct SecuritySettings {
    pub idle_lock_minutes: u32,
    /// An exchange API key older than this many days raises a reminder to replace it.
    #[serde(default = "default_key_max_age_days")]
    pub key_max_age_days: u32,
}

fn default_key_max_age_days() -> u32 {
    DEFAULT_KEY_MAX_AGE_DAYS
}

/// The shortest and longest age limit for exchange API keys, in days.
pub const KEY_MAX_AGE_DAYS: std::ops::RangeInclusive<u32> = 7..=365;
pub const DEFAULT_KEY_MAX_AGE_DAYS: u32 = 90;

/// Whole days from `created_at_ms` to `now_ms` (0 for a time in the future).
pub fn key_age_days(created_at_ms: u64, now_ms: u64) -> u64 {
    now_ms.saturating_sub(created_at_ms) / 86_400_000
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            idle_lock_minutes: DEFAULT_IDLE_LOCK_MINUTES,
            key_max_age_days: DEFAULT_KEY_MAX_AGE_DAYS,
        }
    }
}
