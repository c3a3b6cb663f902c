//! The offset between a venue's clock and ours, measured NTP-style from a server-time request:
//! the server's timestamp is taken to be from the middle of the round trip. The sample with the
//! shortest round trip among the recent ones wins (its midpoint guess is the tightest).
//! Nothing signs with the raw local clock: requests carry `local + offset`.
//!
//! A measurement ages: [`ClockOffset::needs_measure`] says when to measure again (the newest
//! sample is older than the caller's maximum age, or the venue said our timestamp was wrong and
//! [`ClockOffset::invalidate`] forgot the samples). Only a clock that was never measured at all is
//! "unknown"; one that was measured and then aged or was invalidated is "stale" and is measured
//! again before the next signed request.

use std::collections::VecDeque;

/// How many recent samples are kept.
const KEEP: usize = 8;

/// One server-time round trip, in milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Local time just before the request was sent.
    pub sent: i64,
    /// The venue's `serverTime`.
    pub server: i64,
    /// Local time just after the answer arrived.
    pub received: i64,
}

impl Sample {
    pub fn round_trip(&self) -> i64 {
        self.received - self.sent
    }

    /// venue time − local time, assuming the server stamped the middle of the round trip.
    pub fn offset(&self) -> i64 {
        self.server - (self.sent + self.round_trip() / 2)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error(
        "the reply arrived before the request was sent (local clock jumped back); measure again"
    )]
    NegativeRoundTrip,
}

#[derive(Debug, Default, Clone)]
pub struct ClockOffset {
    samples: VecDeque<Sample>,
    /// Whether any sample was ever recorded (survives [`ClockOffset::invalidate`]).
    measured_once: bool,
}

impl ClockOffset {
    pub fn record(&mut self, sample: Sample) -> Result<(), ClockError> {
        if sample.round_trip() < 0 {
            return Err(ClockError::NegativeRoundTrip);
        }
        if self.samples.len() == KEEP {
            self.samples.pop_front();
        }
        self.samples.push_back(sample);
        self.measured_once = true;
        Ok(())
    }

    /// Forgets everything, as if never measured.
    pub fn reset(&mut self) {
        self.samples.clear();
        self.measured_once = false;
    }

    /// Forgets every sample but remembers that the clock had been measured, e.g. after the venue
    /// answered -1021 "timestamp outside recvWindow": the offset is wrong and must be measured
    /// again before anything else is signed.
    pub fn invalidate(&mut self) {
        self.samples.clear();
    }

    /// Whether the clock was ever measured (even if the samples were invalidated since).
    pub fn measured_once(&self) -> bool {
        self.measured_once
    }

    /// Whether to measure again before signing: measured once, but now without samples
    /// (invalidated) or with a newest sample older than `max_age_ms` at local time `local_now`.
    /// A clock never measured does not "need" measuring here: that is the caller's explicit
    /// first `sync_clock`, and signing without it is an error.
    pub fn needs_measure(&self, local_now: i64, max_age_ms: i64) -> bool {
        if !self.measured_once {
            return false;
        }
        match self.last_measured() {
            None => true,
            Some(at) => local_now.saturating_sub(at) > max_age_ms,
        }
    }

    /// The best sample: shortest round trip, the newest of equals.
    pub fn best(&self) -> Option<&Sample> {
        self.samples.iter().rev().min_by_key(|s| s.round_trip())
    }

    /// venue − local in milliseconds, once measured.
    pub fn offset_ms(&self) -> Option<i64> {
        self.best().map(Sample::offset)
    }

    /// The venue's time now, given our local time now.
    pub fn venue_time(&self, local_ms: i64) -> Option<i64> {
        self.offset_ms().map(|o| local_ms + o)
    }

    /// The newest measurement's local receive time, to decide when to measure again.
    pub fn last_measured(&self) -> Option<i64> {
        self.samples.back().map(|s| s.received)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_is_taken_at_the_middle_of_the_round_trip() {
        // Local clock 1.5 s behind: sent at 1000, server says 2600, back at 1200.
        let s = Sample {
            sent: 1_000,
            server: 2_600,
            received: 1_200,
        };
        assert_eq!(s.round_trip(), 200);
        assert_eq!(s.offset(), 1_500);
        let mut c = ClockOffset::default();
        assert_eq!(c.offset_ms(), None);
        c.record(s).unwrap();
        assert_eq!(c.venue_time(5_000), Some(6_500));
    }

    #[test]
    fn the_tightest_round_trip_wins_and_old_samples_age_out() {
        let mut c = ClockOffset::default();
        c.record(Sample {
            sent: 0,
            server: 900,
            received: 800,
        })
        .unwrap(); // rtt 800, offset 500
        c.record(Sample {
            sent: 1_000,
            server: 1_520,
            received: 1_040,
        })
        .unwrap(); // rtt 40, offset 500
        c.record(Sample {
            sent: 2_000,
            server: 2_700,
            received: 2_400,
        })
        .unwrap(); // rtt 400, offset 500
        assert_eq!(c.best().unwrap().round_trip(), 40);
        for i in 0..KEEP as i64 {
            let t = 10_000 + i * 1_000;
            c.record(Sample {
                sent: t,
                server: t + 150,
                received: t + 100,
            })
            .unwrap();
        }
        assert_eq!(c.offset_ms(), Some(100), "the 40 ms sample has aged out");
        assert_eq!(
            c.last_measured(),
            Some(10_000 + (KEEP as i64 - 1) * 1_000 + 100)
        );
    }

    #[test]
    fn a_clock_jumping_back_is_rejected_and_reset_forgets() {
        let mut c = ClockOffset::default();
        assert_eq!(
            c.record(Sample {
                sent: 10,
                server: 5,
                received: 5
            }),
            Err(ClockError::NegativeRoundTrip)
        );
        c.record(Sample {
            sent: 0,
            server: 10,
            received: 10,
        })
        .unwrap();
        c.reset();
        assert_eq!(c.offset_ms(), None);
        assert!(!c.measured_once());
    }

    #[test]
    fn a_measurement_ages_and_an_invalidated_clock_is_stale_not_unknown() {
        let mut c = ClockOffset::default();
        // Never measured: nothing to refresh (the first measurement is explicit).
        assert!(!c.needs_measure(1_000_000, 60_000));
        c.record(Sample {
            sent: 1_000,
            server: 1_550,
            received: 1_100,
        })
        .unwrap();
        assert!(!c.needs_measure(61_100, 60_000), "exactly the maximum age");
        assert!(
            c.needs_measure(61_101, 60_000),
            "older than the maximum age"
        );
        c.invalidate();
        assert!(c.measured_once());
        assert_eq!(c.offset_ms(), None);
        assert!(
            c.needs_measure(1_200, 60_000),
            "invalidated: measure at once"
        );
    }
}
