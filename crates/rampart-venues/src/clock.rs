//! The offset between a venue's clock and ours, measured NTP-style from a server-time request:
//! the server's timestamp is taken to be from the middle of the round trip. The sample with the
//! shortest round trip among the recent ones wins (its midpoint guess is the tightest).
//! Nothing signs with the raw local clock: requests carry `local + offset`.

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
        Ok(())
    }

    /// Forgets every sample, e.g. after the venue answered "timestamp outside recvWindow".
    pub fn reset(&mut self) {
        self.samples.clear();
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
    }
}
