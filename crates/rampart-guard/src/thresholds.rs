//! Every detector's thresholds, in one place. The defaults are the guard's; tests and settings
//! may pass others.

use rust_decimal::Decimal;

/// The session detectors' thresholds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds {
    /// Unusual size: orders of history on the instrument before the detector speaks.
    pub size_min_history: usize,
    /// Unusual size: the robust score (0.6745 × (size − median) / MAD) for a warning, and the
    /// least multiple of the median that must also be reached.
    pub size_warn_score: Decimal,
    pub size_warn_ratio: Decimal,
    /// Unusual size: the score and multiple for a step-up.
    pub size_high_score: Decimal,
    pub size_high_ratio: Decimal,
    /// Burst: the window orders are counted in (ms).
    pub burst_window_ms: i64,
    /// Burst: orders in the window for a warning, at least, and at least this many times the
    /// user's usual orders per active minute (scaled to the window).
    pub burst_warn_floor: u32,
    pub burst_warn_factor: Decimal,
    /// Burst: the same for a step-up.
    pub burst_high_floor: u32,
    pub burst_high_factor: Decimal,
    /// Burst: settled active minutes of history before the usual rate counts (until then the
    /// floors alone apply, so a first burst cannot make itself usual).
    pub burst_min_minutes: u64,
    /// Unusual hour: orders in the history before an hour with none counts as unusual.
    pub hour_min_history: u64,
    /// Churn: the window, the cancels in it and the share of orders cancelled for a warning.
    pub churn_window_ms: i64,
    pub churn_min_cancels: u32,
    pub churn_min_share_pct: Decimal,
    /// Rejections in a row: authentication refusals for a critical warning (the breaker);
    /// timestamp refusals for a step-up; any refusals for a warning.
    pub auth_rejections_critical: u32,
    pub timestamp_rejections_high: u32,
    pub rejections_warn: u32,
    /// Clock offset from the venue (ms, either way) for a warning and for a step-up.
    pub clock_warn_ms: i64,
    pub clock_high_ms: i64,
    /// Wrong codes before a right one at unlock for a warning.
    pub unlock_failures_warn: u32,
    /// Unlocks in the history before an hour with none counts as unusual.
    pub unlock_hour_min_history: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            size_min_history: 20,
            // 3.5 is the usual cut for a robust z-score (Iglewicz and Hoaglin).
            size_warn_score: Decimal::new(35, 1),
            size_warn_ratio: Decimal::new(3, 0),
            size_high_score: Decimal::new(10, 0),
            size_high_ratio: Decimal::new(10, 0),
            burst_window_ms: 60_000,
            burst_warn_floor: 10,
            burst_warn_factor: Decimal::new(5, 0),
            burst_high_floor: 30,
            burst_high_factor: Decimal::new(15, 0),
            burst_min_minutes: 30,
            hour_min_history: 100,
            churn_window_ms: 60_000,
            churn_min_cancels: 20,
            churn_min_share_pct: Decimal::new(90, 0),
            auth_rejections_critical: 3,
            timestamp_rejections_high: 3,
            rejections_warn: 5,
            // Binance refuses a request more than recvWindow (5,000 ms by default) old, or
            // more than 1,000 ms ahead of its clock.
            clock_warn_ms: 1_000,
            clock_high_ms: 5_000,
            unlock_failures_warn: 3,
            unlock_hour_min_history: 30,
        }
    }
}
