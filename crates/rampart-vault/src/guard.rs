//! Brute-force and replay protection for unlock and step-up codes.
//!
//! The state lives in the OS keychain (not in a file), so deleting the app's data cannot reset
//! it, and it survives restarts.
//!
//! Waits and the hourly window run on the guard's own clock, not the wall clock (which anyone
//! with the computer's settings can move). It starts at the wall time of the first check, then
//! advances only by the machine's uptime, which cannot be set: moving the wall clock forward
//! ends no wait, moving it back stretches none. Uptime restarts at boot; across a reboot the
//! guard's clock stands still, so time the machine was off does not count towards a wait (a
//! reboot can lengthen a wait, never shorten it).

use serde::{Deserialize, Serialize};

/// Consecutive failures allowed before the first delay.
pub const FREE_ATTEMPTS: u32 = 5;
/// The first delay; it doubles with each further consecutive failure.
pub const FIRST_DELAY_SECONDS: u64 = 30;
pub const MAX_DELAY_SECONDS: u64 = 3600;
/// Never more than this many failures in any hour.
pub const MAX_FAILURES_PER_HOUR: usize = 100;
const HOUR: u64 = 3600;

/// Time since the machine booted (including time asleep), and which boot: a clock the user
/// cannot set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uptime {
    pub boot: String,
    pub ms: u64,
}

/// One reading of both clocks: the wall clock (Unix seconds) matches TOTP codes, which are
/// made from real time; the uptime measures waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moment {
    pub wall: u64,
    pub uptime: Uptime,
}

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
    /// The guard's clock at the latest check (seconds; it began at a Unix time).
    #[serde(default)]
    pub latest_seen: u64,
    /// The uptime reading at which the guard's clock read `latest_seen`.
    #[serde(default)]
    pub uptime_mark: Option<Uptime>,
}

/// The most doublings of the first delay: 30 s × 2⁷ is past the hour cap already, and a shift
/// of 59 or more would lose the delay's bits (30 << 63 is 0: a free try).
const MAX_DOUBLINGS: u32 = 7;

impl GuardState {
    /// The guard's clock at `now`, and the uptime mark it is counted from.
    fn advance(&self, now: &Moment) -> (u64, Uptime) {
        match &self.uptime_mark {
            Some(mark) if mark.boot == now.uptime.boot => {
                // Whole seconds only, the rest stays on the mark: checks made less than a
                // second apart still add up.
                let seconds = now.uptime.ms.saturating_sub(mark.ms) / 1000;
                let mark = Uptime {
                    boot: mark.boot.clone(),
                    ms: mark.ms + seconds * 1000,
                };
                (self.latest_seen.saturating_add(seconds), mark)
            }
            // Another boot: the time in between is not counted.
            Some(_) => (self.latest_seen, now.uptime.clone()),
            // The first check (or a state saved before the guard kept its own clock).
            None => (now.wall.max(self.latest_seen), now.uptime.clone()),
        }
    }

    /// The guard's time at `now` (see the module's notes).
    pub fn clock(&self, now: &Moment) -> u64 {
        self.advance(now).0
    }

    /// Moves the guard's clock to `now`; returns its time.
    pub fn observe(&mut self, now: &Moment) -> u64 {
        let (time, mark) = self.advance(now);
        self.latest_seen = time;
        self.uptime_mark = Some(mark);
        time
    }

    /// Seconds to wait before another code may be tried, if any.
    pub fn wait_seconds(&self, now: &Moment) -> Option<u64> {
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
    pub fn record_failure(&mut self, now: &Moment) {
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
    pub fn record_replay(&mut self, now: &Moment) {
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

    /// A moment with the wall clock and the uptime in step (this boot began at the epoch).
    fn at(wall: u64) -> Moment {
        Moment {
            wall,
            uptime: Uptime {
                boot: "boot-1".into(),
                ms: wall * 1000,
            },
        }
    }

    fn moment(wall: u64, boot: &str, uptime_s: u64) -> Moment {
        Moment {
            wall,
            uptime: Uptime {
                boot: boot.into(),
                ms: uptime_s * 1000,
            },
        }
    }

    #[test]
    fn five_failures_then_exponential_delay_capped_at_an_hour() {
        let mut g = GuardState::default();
        let mut now = T0;
        for _ in 0..4 {
            g.record_failure(&at(now));
            assert_eq!(g.wait_seconds(&at(now)), None);
        }
        let mut expected = 30;
        for _ in 0..12 {
            g.record_failure(&at(now));
            assert_eq!(g.wait_seconds(&at(now)), Some(expected));
            now += expected; // wait it out exactly
            assert_eq!(g.wait_seconds(&at(now)), None);
            expected = (expected * 2).min(3600);
        }
        assert_eq!(expected, 3600);
    }

    #[test]
    fn the_delay_stays_at_the_cap_however_many_failures_come() {
        let mut g = GuardState::default();
        let mut now = T0;
        for n in 1..=200u32 {
            if let Some(wait) = g.wait_seconds(&at(now)) {
                now += wait;
            }
            g.record_failure(&at(now));
            if n > 12 {
                // Past the hourly ceiling too; either way never less than the cap.
                assert!(
                    g.wait_seconds(&at(now)).is_some_and(|w| w >= 3600),
                    "failure {n}: {:?}",
                    g.wait_seconds(&at(now))
                );
            }
        }
        // The 68th failure once shifted 30 by 63 bits to 0.
        let mut g = GuardState {
            consecutive_failures: 67,
            ..GuardState::default()
        };
        g.record_failure(&at(T0));
        assert_eq!(g.wait_seconds(&at(T0)), Some(3600));
    }

    #[test]
    fn setting_the_clock_back_neither_ends_nor_shortens_a_wait() {
        let mut g = GuardState::default();
        for _ in 0..5 {
            g.record_failure(&moment(T0, "boot-1", 500));
        }
        assert_eq!(g.wait_seconds(&moment(T0, "boot-1", 500)), Some(30));
        // The clock set a day back, ten seconds later: only the ten seconds count.
        let back = moment(T0 - 86_400, "boot-1", 510);
        assert_eq!(g.wait_seconds(&back), Some(20));
        g.record_failure(&back);
        assert_eq!(g.wait_seconds(&back), Some(60));
        // The hourly window is not restarted by the earlier time either.
        assert!(g.recent_failures.iter().all(|t| *t >= T0));
        assert_eq!(g.recent_failures.len(), 6);
    }

    #[test]
    fn setting_the_clock_forward_ends_no_wait() {
        let mut g = GuardState::default();
        for _ in 0..5 {
            g.record_failure(&moment(T0, "boot-1", 500));
        }
        // A day ahead on the wall clock, one second of uptime later.
        let ahead = moment(T0 + 86_400, "boot-1", 501);
        assert_eq!(g.wait_seconds(&ahead), Some(29));
        g.record_failure(&ahead);
        assert_eq!(g.wait_seconds(&ahead), Some(60));
        // Only uptime ends it.
        assert_eq!(g.wait_seconds(&moment(T0 + 86_400, "boot-1", 560)), Some(1));
        assert_eq!(g.wait_seconds(&moment(T0, "boot-1", 561)), None);
    }

    #[test]
    fn checks_less_than_a_second_apart_still_move_the_clock() {
        let mut g = GuardState::default();
        for _ in 0..5 {
            g.record_failure(&moment(T0, "boot-1", 100));
        }
        // 40 checks 0.8 s apart: 32 s of uptime, so the 30 s wait is over.
        for i in 1..=40u64 {
            let now = Moment {
                wall: T0,
                uptime: Uptime {
                    boot: "boot-1".into(),
                    ms: 100_000 + i * 800,
                },
            };
            g.observe(&now);
        }
        assert_eq!(g.latest_seen, T0 + 32);
        assert_eq!(g.wait_seconds(&moment(T0, "boot-1", 132)), None);
    }

    #[test]
    fn a_reboot_keeps_what_was_left_of_a_wait() {
        let mut g = GuardState::default();
        for _ in 0..6 {
            g.record_failure(&moment(T0, "boot-1", 9_000));
        }
        // 20 s into the 60 s wait, the machine restarts with the wall clock a week ahead.
        assert_eq!(g.wait_seconds(&moment(T0 + 20, "boot-1", 9_020)), Some(40));
        g.observe(&moment(T0 + 20, "boot-1", 9_020));
        let rebooted = moment(T0 + 7 * 86_400, "boot-2", 5);
        assert_eq!(g.wait_seconds(&rebooted), Some(40));
        g.observe(&rebooted);
        assert_eq!(g.wait_seconds(&moment(T0, "boot-2", 45)), None);
    }

    #[test]
    fn a_state_from_before_the_guard_kept_its_own_clock_starts_from_the_wall() {
        let mut g: GuardState = serde_json::from_str(
            r#"{"consecutive_failures":5,"blocked_until":1800000030,"recent_failures":[],
                "last_used_step":null,"replays_rejected":0,"latest_seen":1800000000}"#,
        )
        .unwrap();
        let now = moment(T0 + 10, "boot-1", 77);
        assert_eq!(g.wait_seconds(&now), Some(20));
        g.observe(&now);
        assert_eq!(g.uptime_mark, Some(now.uptime.clone()));
        // From here the wall clock no longer counts.
        assert_eq!(g.wait_seconds(&moment(T0 + 999, "boot-1", 78)), Some(19));
    }

    #[test]
    fn success_resets_the_delay_but_not_the_hourly_count() {
        let mut g = GuardState::default();
        for _ in 0..5 {
            g.record_failure(&at(T0));
        }
        assert_eq!(g.wait_seconds(&at(T0 + 10)), Some(20));
        g.record_success(Some(T0 / 30));
        assert_eq!(g.wait_seconds(&at(T0 + 10)), None);
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
            if let Some(wait) = g.wait_seconds(&at(now)) {
                now += wait;
            }
            g.record_failure(&at(now));
            tried += 1;
            now += 1;
        }
        let wait = g
            .wait_seconds(&at(now))
            .expect("blocked after 100 failures");
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
        g.record_replay(&at(T0));
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
            g.record_failure(&at(T0));
        }
        let back: GuardState = serde_json::from_str(&serde_json::to_string(&g).unwrap()).unwrap();
        assert_eq!(back, g);
        assert_eq!(back.wait_seconds(&at(T0)), Some(60));
    }
}
