//! Brute-force and replay protection for unlock and step-up codes.
//!
//! The state lives in the OS keychain (not in a file), so deleting the app's data cannot reset
//! it, and it survives restarts. All times are Unix seconds from the caller's clock.

use serde::{Deserialize, Serialize};

/// Consecutive failures allowed before the first delay.
pub const FREE_ATTEMPTS: u32 = 5;
/// The first delay; it doubles with each further consecutive failure.
pub const FIRST_DELAY_SECONDS: u64 = 30;
pub const MAX_DELAY_SECONDS: u64 = 3600;
/// Never more than this many failures in any hour.
pub const MAX_FAILURES_PER_HOUR: usize = 100;
const HOUR: u64 = 3600;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardState {
    /// Failures since the last success.
    pub consecutive_failures: u32,
    /// No code is checked before this time.
    pub blocked_until: Option<u64>,
    /// When each failure of the last hour happened.
    pub recent_failures: Vec<u64>,
    /// The newest TOTP time step accepted; that step and older ones are never accepted again.
    pub last_used_step: Option<u64>,
    /// How many replayed codes were refused, ever.
    pub replays_rejected: u64,
    /// The latest time any check saw (Unix seconds): the guard's own clock never runs back
    /// behind it, so setting the computer's clock back cannot shorten the hourly window or
    /// reset a wait.
    #[serde(default)]
    pub latest_seen: u64,
}

/// The most doublings of the first delay: 30 s × 2⁷ is past the hour cap already, and a shift
/// of 59 or more would lose the delay's bits (30 << 63 is 0: a free try).
const MAX_DOUBLINGS: u32 = 7;

impl GuardState {
    /// `now`, never behind the latest time this guard has seen.
    pub fn clock(&self, now: u64) -> u64 {
        now.max(self.latest_seen)
    }

    /// Notes `now` as seen; returns the guard's time (see [`GuardState::clock`]).
    pub fn observe(&mut self, now: u64) -> u64 {
        self.latest_seen = self.clock(now);
        self.latest_seen
    }

    /// Seconds to wait before another code may be tried, if any.
    pub fn wait_seconds(&self, now: u64) -> Option<u64> {
        let now = self.clock(now);
        self.blocked_until
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    /// Whether a TOTP step may still be used.
    pub fn step_is_fresh(&self, step: u64) -> bool {
        self.last_used_step.is_none_or(|last| step > last)
    }

    /// Records a wrong (or replayed) code and sets the delay it earns.
    pub fn record_failure(&mut self, now: u64) {
        let now = self.observe(now);
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        self.recent_failures
            .retain(|t| now.saturating_sub(*t) < HOUR && *t <= now);
        self.recent_failures.push(now);

        let mut until = self.blocked_until.unwrap_or(0);
        if self.consecutive_failures >= FREE_ATTEMPTS {
            let doublings = (self.consecutive_failures - FREE_ATTEMPTS).min(MAX_DOUBLINGS);
            let delay = (FIRST_DELAY_SECONDS << doublings).min(MAX_DELAY_SECONDS);
            until = until.max(now + delay);
        }
        if self.recent_failures.len() >= MAX_FAILURES_PER_HOUR {
            // The oldest failure in the window must age out before another try.
            let oldest = self.recent_failures.iter().copied().min().unwrap_or(now);
            until = until.max(oldest + HOUR);
        }
        self.blocked_until = (until > now).then_some(until);
    }

    /// Records a replayed TOTP code: refused, counted, and treated as a failure.
    pub fn record_replay(&mut self, now: u64) {
        self.replays_rejected = self.replays_rejected.saturating_add(1);
        self.record_failure(now);
    }

    /// Records an accepted code. `step` is the TOTP step it matched (None for a recovery code).
    pub fn record_success(&mut self, step: Option<u64>) {
        self.consecutive_failures = 0;
        self.blocked_until = None;
        if let Some(step) = step {
            self.last_used_step = Some(self.last_used_step.map_or(step, |last| last.max(step)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_800_000_000;

    #[test]
    fn five_failures_then_exponential_delay_capped_at_an_hour() {
        let mut g = GuardState::default();
        let mut now = T0;
        for _ in 0..4 {
            g.record_failure(now);
            assert_eq!(g.wait_seconds(now), None);
        }
        let mut expected = 30;
        for _ in 0..12 {
            g.record_failure(now);
            assert_eq!(g.wait_seconds(now), Some(expected));
            now += expected; // wait it out exactly
            assert_eq!(g.wait_seconds(now), None);
            expected = (expected * 2).min(3600);
        }
        assert_eq!(expected, 3600);
    }

    #[test]
    fn the_delay_stays_at_the_cap_however_many_failures_come() {
        let mut g = GuardState::default();
        let mut now = T0;
        for n in 1..=200u32 {
            if let Some(wait) = g.wait_seconds(now) {
                now += wait;
            }
            g.record_failure(now);
            if n > 12 {
                // Past the hourly ceiling too; either way never less than the cap.
                assert!(
                    g.wait_seconds(now).is_some_and(|w| w >= 3600),
                    "failure {n}: {:?}",
                    g.wait_seconds(now)
                );
            }
        }
        // The 68th failure once shifted 30 by 63 bits to 0.
        let mut g = GuardState {
            consecutive_failures: 67,
            ..GuardState::default()
        };
        g.record_failure(T0);
        assert_eq!(g.wait_seconds(T0), Some(3600));
    }

    #[test]
    fn setting_the_clock_back_neither_ends_nor_shortens_a_wait() {
        let mut g = GuardState::default();
        for _ in 0..5 {
            g.record_failure(T0);
        }
        assert_eq!(g.wait_seconds(T0), Some(30));
        // The clock set a day back: the wait is measured from the latest time seen.
        assert_eq!(g.wait_seconds(T0 - 86_400), Some(30));
        g.record_failure(T0 - 86_400);
        assert_eq!(g.wait_seconds(T0 - 86_400), Some(60));
        // The hourly window is not restarted by the earlier time either.
        assert!(g.recent_failures.iter().all(|t| *t >= T0));
        assert_eq!(g.recent_failures.len(), 6);
    }

    #[test]
    fn success_resets_the_delay_but_not_the_hourly_count() {
        let mut g = GuardState::default();
        for _ in 0..5 {
            g.record_failure(T0);
        }
        assert_eq!(g.wait_seconds(T0 + 10), Some(20));
        g.record_success(Some(T0 / 30));
        assert_eq!(g.wait_seconds(T0 + 10), None);
        assert_eq!(g.consecutive_failures, 0);
        assert_eq!(g.recent_failures.len(), 5);
    }

    #[test]
    fn never_more_than_100_failures_in_an_hour() {
        let mut g = GuardState::default();
        // An attacker who pauses after every fourth failure never trips the doubling delay
        // (a success never comes), but still hits the hourly ceiling.
        let mut now = T0;
        let mut tried = 0;
        while tried < 100 {
            if let Some(wait) = g.wait_seconds(now) {
                now += wait;
            }
            g.record_failure(now);
            tried += 1;
            now += 1;
        }
        let wait = g.wait_seconds(now).expect("blocked after 100 failures");
        let oldest = *g.recent_failures.iter().min().unwrap();
        assert_eq!(now + wait, oldest + 3600);
        let in_window = g
            .recent_failures
            .iter()
            .filter(|t| now - **t < 3600)
            .count();
        assert!(in_window <= 100);
    }

    #[test]
    fn a_step_is_accepted_once() {
        let mut g = GuardState::default();
        assert!(g.step_is_fresh(100));
        g.record_success(Some(100));
        assert!(!g.step_is_fresh(100));
        assert!(!g.step_is_fresh(99));
        assert!(g.step_is_fresh(101));
        g.record_replay(T0);
        assert_eq!(g.replays_rejected, 1);
        assert_eq!(g.consecutive_failures, 1);
        // A recovery code does not move the step.
        g.record_success(None);
        assert_eq!(g.last_used_step, Some(100));
    }

    #[test]
    fn survives_a_round_trip_through_json() {
        let mut g = GuardState::default();
        for _ in 0..6 {
            g.record_failure(T0);
        }
        let back: GuardState = serde_json::from_str(&serde_json::to_string(&g).unwrap()).unwrap();
        assert_eq!(back, g);
        assert_eq!(back.wait_seconds(T0), Some(60));
    }
}
