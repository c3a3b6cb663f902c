//! Deribit's rate limits as it counts them: a bucket of credits per sub-account that refills
//! continuously, from docs.deribit.com/articles/rate-limits ("Credit-Based System") and
//! support.deribit.com "Rate Limits":
//! - non-matching-engine requests: "Cost per Request: 500 credits. Maximum Credits: 50,000
//!   credits. Refill Rate: … 10,000 credits per second" (20 a second, bursts of 100);
//! - matching-engine requests (`private/buy`, `sell`, `edit`, `cancel`, `cancel_all`,
//!   `cancel_all_by_instrument`, `cancel_all_by_currency`, `cancel_by_label`,
//!   `close_position`, …) have their own bucket, sized by the sub-account's 7-day volume tier,
//!   from 5 a second with bursts of 20 (the lowest tier, assumed until told otherwise) to 30 a
//!   second with bursts of 100;
//! - "If a request arrives when no credits remain, we immediately send a too_many_requests
//!   (code 10028) … and terminate the session."
//!
//! Each request takes its credits here first. When the bucket is short, the request waits for
//! the refill if that is quick (a burst is spread out instead of drawing 10028); otherwise it is
//! held back with the time it can go ([`ErrorKind::RateLimited`](crate::venue::ErrorKind)). A
//! margin of each bucket is left for other tools using the same sub-account.

/// Which of Deribit's buckets a method draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// Orders, edits and cancels.
    MatchingEngine,
    /// Everything else.
    NonMatching,
}

/// The methods the documentation lists as matching-engine requests.
pub const MATCHING_ENGINE_METHODS: &[&str] = &[
    "private/buy",
    "private/sell",
    "private/edit",
    "private/edit_by_label",
    "private/cancel",
    "private/cancel_all",
    "private/cancel_all_by_instrument",
    "private/cancel_all_by_currency",
    "private/cancel_all_by_kind_or_type",
    "private/cancel_by_label",
    "private/close_position",
    "private/verify_block_trade",
    "private/execute_block_trade",
];

/// The pool `method` draws from.
pub fn pool_of(method: &str) -> Pool {
    if MATCHING_ENGINE_METHODS.contains(&method) {
        Pool::MatchingEngine
    } else {
        Pool::NonMatching
    }
}

/// A bucket's documented size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketSpec {
    pub max_credits: i64,
    pub refill_per_sec: i64,
    pub cost: i64,
}

/// "Default Settings for Non-Matching Engine Requests".
pub const NON_MATCHING: BucketSpec = BucketSpec {
    max_credits: 50_000,
    refill_per_sec: 10_000,
    cost: 500,
};

/// The lowest matching-engine tier: 5 requests a second, bursts of 20 (counted at 500 credits
/// a request, as the non-matching bucket is).
pub const MATCHING_ENGINE_DEFAULT: BucketSpec = BucketSpec {
    max_credits: 20 * 500,
    refill_per_sec: 5 * 500,
    cost: 500,
};

/// One bucket of credits.
#[derive(Debug, Clone)]
pub struct Bucket {
    spec: BucketSpec,
    /// The credits kept free for other tools.
    reserve: i64,
    credits: i64,
    /// Venue time (ms) of the last refill.
    at_ms: Option<i64>,
    /// Nothing before this (Deribit answered 10028).
    paused_until: i64,
}

impl Bucket {
    /// A full bucket of `spec`, leaving `margin_percent` of it unused.
    pub fn new(spec: BucketSpec, margin_percent: u32) -> Self {
        let margin = i64::from(margin_percent.min(90));
        Self {
            spec,
            reserve: spec.max_credits * margin / 100,
            credits: spec.max_credits,
            at_ms: None,
            paused_until: 0,
        }
    }

    fn refill(&mut self, now_ms: i64) {
        if let Some(at) = self.at_ms {
            let elapsed = (now_ms - at).max(0);
            self.credits = (self.credits + elapsed * self.spec.refill_per_sec / 1000)
                .min(self.spec.max_credits);
        }
        self.at_ms = Some(now_ms);
    }

    /// Takes one request's credits at venue time `now_ms`, or says when there will be enough.
    pub fn take(&mut self, now_ms: i64) -> Result<(), i64> {
        if now_ms < self.paused_until {
            return Err(self.paused_until);
        }
        self.refill(now_ms);
        let need = self.spec.cost + self.reserve;
        if self.credits >= need {
            self.credits -= self.spec.cost;
            return Ok(());
        }
        let missing = need - self.credits;
        let rate = self.spec.refill_per_sec.max(1);
        let wait = (missing * 1000 + rate - 1) / rate;
        Err(now_ms + wait)
    }

    /// Deribit said 10028: the bucket is empty; nothing until `until`.
    pub fn exhausted(&mut self, now_ms: i64, until: i64) {
        self.credits = 0;
        self.at_ms = Some(now_ms);
        self.paused_until = self.paused_until.max(until);
    }

    /// How long an empty bucket takes to hold one request again (ms).
    pub fn one_request_ms(&self) -> i64 {
        (self.spec.cost + self.reserve) * 1000 / self.spec.refill_per_sec.max(1)
    }
}

/// A sub-account's two buckets.
#[derive(Debug, Clone)]
pub struct Credits {
    pub matching: Bucket,
    pub non_matching: Bucket,
}

impl Credits {
    pub fn new(margin_percent: u32) -> Self {
        Self {
            matching: Bucket::new(MATCHING_ENGINE_DEFAULT, margin_percent),
            non_matching: Bucket::new(NON_MATCHING, margin_percent),
        }
    }

    /// Resizes the buckets to the sub-account's own limits, as `private/get_account_summary`
    /// reports them in `limits` ("Returned object is described in separate document"): each
    /// pool's `rate` (requests a second) and `burst`, under `non_matching_engine` and
    /// `matching_engine` (whose `total` is read where it is split by product). The shape is
    /// read as third-party clients read it; anything else leaves the buckets as they are.
    /// Returns whether anything changed.
    pub fn apply_limits(&mut self, limits: &serde_json::Value, margin_percent: u32) -> bool {
        let read = |v: Option<&serde_json::Value>| -> Option<BucketSpec> {
            let v = v?;
            let v = v.get("total").unwrap_or(v);
            let num = |k: &str| -> Option<i64> {
                let x = v.get(k)?;
                x.as_i64()
                    .or_else(|| x.as_str().and_then(|t| t.parse::<i64>().ok()))
                    .filter(|n| *n > 0)
            };
            let (rate, burst) = (num("rate")?, num("burst")?);
            Some(BucketSpec {
                max_credits: burst * 500,
                refill_per_sec: rate * 500,
                cost: 500,
            })
        };
        let mut changed = false;
        if let Some(spec) = read(limits.get("matching_engine")) {
            self.matching = Bucket::new(spec, margin_percent);
            changed = true;
        }
        if let Some(spec) = read(limits.get("non_matching_engine")) {
            self.non_matching = Bucket::new(spec, margin_percent);
            changed = true;
        }
        changed
    }

    pub fn bucket(&mut self, pool: Pool) -> &mut Bucket {
        match pool {
            Pool::MatchingEngine => &mut self.matching,
            Pool::NonMatching => &mut self.non_matching,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_takes_its_burst_then_spaces_requests_at_the_refill_rate() {
        let mut b = Bucket::new(NON_MATCHING, 0);
        for _ in 0..100 {
            assert_eq!(b.take(1_000), Ok(()));
        }
        // Empty: 500 credits at 10,000 a second is 50 ms.
        assert_eq!(b.take(1_000), Err(1_050));
        assert_eq!(b.take(1_050), Ok(()));
        assert_eq!(b.take(1_060), Err(1_100));
    }

    #[test]
    fn the_margin_is_left_for_other_tools() {
        // 10 % of 20 requests' worth is kept: 18 go at once.
        let mut b = Bucket::new(MATCHING_ENGINE_DEFAULT, 10);
        let mut sent = 0;
        while b.take(0).is_ok() {
            sent += 1;
        }
        assert_eq!(sent, 18);
    }

    #[test]
    fn a_10028_empties_the_bucket_and_pauses_it() {
        let mut b = Bucket::new(NON_MATCHING, 0);
        b.exhausted(0, 2_000);
        assert_eq!(b.take(1_000), Err(2_000));
        assert_eq!(b.take(2_000), Ok(()));
    }

    #[test]
    fn the_sub_accounts_own_limits_resize_the_buckets() {
        let mut c = Credits::new(0);
        // Numbers arrive as text (see `json`).
        let limits = serde_json::json!({"limits_per_currency": false,
            "non_matching_engine": {"rate": "20", "burst": "100"},
            "matching_engine": {"total": {"rate": "30", "burst": "100"},
                "perpetuals": {"rate": "30", "burst": "100"}}});
        assert!(c.apply_limits(&limits, 0));
        let mut sent = 0;
        while c.matching.take(0).is_ok() {
            sent += 1;
        }
        assert_eq!(sent, 100, "Tier 1: bursts of 100");
        // 30 a second: one every 34 ms (rounded up).
        assert_eq!(c.matching.take(0), Err(34));
        assert!(!c.apply_limits(&serde_json::json!({"other": 1}), 0));
    }

    #[test]
    fn orders_and_cancels_draw_from_the_matching_engine_bucket() {
        assert_eq!(pool_of("private/buy"), Pool::MatchingEngine);
        assert_eq!(pool_of("private/cancel_by_label"), Pool::MatchingEngine);
        assert_eq!(pool_of("private/edit_by_label"), Pool::MatchingEngine);
        assert_eq!(pool_of("private/get_positions"), Pool::NonMatching);
        assert_eq!(pool_of("public/auth"), Pool::NonMatching);
    }
}
