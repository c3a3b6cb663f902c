//! Request-weight budgeting for Binance USDⓈ-M futures.
//!
//! From Binance's USDⓈ-M "General Info → Limits": every request has a weight; the IP's used
//! weight per minute comes back in the `X-MBX-USED-WEIGHT-1M` header; the limit is the
//! `REQUEST_WEIGHT` entry of exchangeInfo's `rateLimits` (2400 per minute); over it the venue
//! answers 429 with `Retry-After`, and an IP that keeps sending after a 429 is banned (418).
//! So: count what we send, believe the header when it says more, keep a margin, and after a 429
//! send nothing until Retry-After has passed.

/// Milliseconds in the venue's weight window (one minute, aligned to the minute).
const WINDOW_MS: i64 = 60_000;

/// Why a request must wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// The minute's budget is spent; retry at this venue time (ms).
    BudgetSpent { until: i64 },
    /// The venue said 429; nothing may be sent before this venue time (ms).
    RetryAfter { until: i64 },
}

impl Hold {
    pub fn until(self) -> i64 {
        match self {
            Hold::BudgetSpent { until } | Hold::RetryAfter { until } => until,
        }
    }
}

#[derive(Debug, Clone)]
pub struct WeightBudget {
    /// What we allow ourselves per minute: the venue's limit less a safety margin.
    allowance: u32,
    window_start: i64,
    used: u32,
    blocked_until: Option<i64>,
}

impl WeightBudget {
    /// `limit` is exchangeInfo's REQUEST_WEIGHT per minute; `margin_percent` is kept unused, for
    /// other tools sharing the IP and for weights that change without notice.
    pub fn new(limit: u32, margin_percent: u32) -> Self {
        let allowance = limit.saturating_sub(limit.saturating_mul(margin_percent.min(100)) / 100);
        Self {
            allowance,
            window_start: 0,
            used: 0,
            blocked_until: None,
        }
    }

    fn roll(&mut self, now: i64) {
        let start = now - now.rem_euclid(WINDOW_MS);
        if start > self.window_start {
            self.window_start = start;
            self.used = 0;
        }
    }

    /// Takes `weight` from this minute's budget, or says how long to hold the request.
    /// `now` is venue time in milliseconds.
    pub fn reserve(&mut self, weight: u32, now: i64) -> Result<(), Hold> {
        if let Some(until) = self.blocked_until {
            if now < until {
                return Err(Hold::RetryAfter { until });
            }
            self.blocked_until = None;
        }
        self.roll(now);
        if self.used.saturating_add(weight) > self.allowance {
            return Err(Hold::BudgetSpent {
                until: self.window_start + WINDOW_MS,
            });
        }
        self.used += weight;
        Ok(())
    }

    /// Folds in the venue's own count from `X-MBX-USED-WEIGHT-1M` (other tools on the same IP
    /// count too).
    pub fn observe_used(&mut self, used_1m: u32, now: i64) {
        self.roll(now);
        self.used = self.used.max(used_1m);
    }

    /// A 429: nothing is sent until `retry_after_secs` have passed.
    pub fn on_too_many_requests(&mut self, retry_after_secs: u32, now: i64) {
        let until = now + i64::from(retry_after_secs.max(1)) * 1_000;
        self.blocked_until = Some(self.blocked_until.map_or(until, |u| u.max(until)));
    }

    pub fn used(&self) -> u32 {
        self.used
    }
}

/// Reads `X-MBX-USED-WEIGHT-1M` (header names are case-insensitive).
pub fn used_weight_header<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<u32> {
    headers
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("x-mbx-used-weight-1m"))
        .and_then(|(_, value)| value.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_700_000_040_000; // 40 s into a minute

    #[test]
    fn a_burst_stops_at_the_allowance_and_resumes_next_minute() {
        let mut b = WeightBudget::new(2400, 10); // 2160 allowed
        let mut sent = 0;
        let mut hold = None;
        for _ in 0..500 {
            match b.reserve(5, T) {
                Ok(()) => sent += 1,
                Err(h) => {
                    hold = Some(h);
                    break;
                }
            }
        }
        assert_eq!(sent, 432);
        assert_eq!(
            hold,
            Some(Hold::BudgetSpent {
                until: 1_700_000_100_000
            })
        );
        assert!(b.reserve(5, 1_700_000_100_000).is_ok());
        assert_eq!(b.used(), 5);
    }

    #[test]
    fn the_venues_count_wins_when_higher() {
        let mut b = WeightBudget::new(2400, 10);
        b.reserve(10, T).unwrap();
        b.observe_used(2155, T + 1);
        assert_eq!(b.used(), 2155);
        assert!(b.reserve(5, T + 2).is_ok());
        assert!(b.reserve(1, T + 3).is_err());
        b.observe_used(3, T + 4); // lower than ours: ignored
        assert_eq!(b.used(), 2160);
    }

    #[test]
    fn after_429_nothing_is_sent_until_retry_after() {
        let mut b = WeightBudget::new(2400, 10);
        b.on_too_many_requests(7, T);
        assert_eq!(
            b.reserve(1, T + 6_999),
            Err(Hold::RetryAfter { until: T + 7_000 })
        );
        assert!(b.reserve(1, T + 7_000).is_ok());
    }

    #[test]
    fn reads_the_header_in_any_case() {
        let headers = [
            ("content-type", "application/json"),
            ("X-MBX-USED-WEIGHT-1M", " 42 "),
        ];
        assert_eq!(used_weight_header(headers), Some(42));
        assert_eq!(used_weight_header([("x-mbx-used-weight-1m", "lots")]), None);
    }
}
