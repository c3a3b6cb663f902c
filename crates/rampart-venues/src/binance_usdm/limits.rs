//! Request-weight budgeting for Binance USDⓈ-M futures.
//!
//! From Binance's USDⓈ-M "General Info → Limits": every request has a weight; the IP's used
//! weight per minute comes back in the `X-MBX-USED-WEIGHT-1M` header; the limit is the
//! `REQUEST_WEIGHT` entry of exchangeInfo's `rateLimits` (2400 per minute); over it the venue
//! answers 429 with `Retry-After`, and an IP that keeps sending after a 429 is banned (418).
//! So: count what we send, believe the header when it says more, keep a margin, and after a 429
//! send nothing until Retry-After has passed.
//!
//! Orders have limits of their own, counted per account ("Order Rate Limits"): exchangeInfo's
//! `ORDERS` entries (300 per 10 seconds and 1200 per minute for USDⓈ-M), reported back on order
//! responses in `X-MBX-ORDER-COUNT-10S` and `X-MBX-ORDER-COUNT-1M`. [`OrderBudget`] holds an order
//! that would exceed either window instead of sending it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use serde::Deserialize;

/// Milliseconds in the venue's weight window (one minute, aligned to the minute).
const WINDOW_MS: i64 = 60_000;

/// USDⓈ-M's documented limits, used until exchangeInfo says otherwise.
pub const DEFAULT_WEIGHT_PER_MINUTE: u32 = 2400;
pub const DEFAULT_ORDERS_PER_10S: u32 = 300;
pub const DEFAULT_ORDERS_PER_MINUTE: u32 = 1200;

/// Why a request must wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// The minute's budget is spent; retry at this venue time (ms).
    BudgetSpent { until: i64 },
    /// The venue said 429; nothing may be sent before this venue time (ms).
    RetryAfter { until: i64 },
    /// An order would exceed the account's order-count limit; hold it until this venue time (ms).
    OrderLimit { until: i64 },
}

impl Hold {
    pub fn until(self) -> i64 {
        match self {
            Hold::BudgetSpent { until }
            | Hold::RetryAfter { until }
            | Hold::OrderLimit { until } => until,
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
        Self {
            allowance: allowance(limit, margin_percent),
            window_start: 0,
            used: 0,
            blocked_until: None,
        }
    }

    /// Applies a limit read from exchangeInfo's `rateLimits` (same margin as before).
    pub fn set_limit(&mut self, limit: u32, margin_percent: u32) {
        self.allowance = allowance(limit, margin_percent);
    }

    /// What we allow ourselves per minute.
    pub fn allowance(&self) -> u32 {
        self.allowance
    }

    /// Venue time (ms) until which a 429/418 forbids sending anything, if any.
    pub fn blocked_until(&self) -> Option<i64> {
        self.blocked_until
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
        // A weight-0 request (a new order counts on the order limits, not on IP weight) is held
        // only by a 429/418 pause.
        if weight > 0 && self.used.saturating_add(weight) > self.allowance {
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

/// A weight budget shared by every client of one host.
pub type SharedWeightBudget = Arc<Mutex<WeightBudget>>;

/// The weight budgets in use, by host (scheme, host, port). Weak: a budget lives as long as a
/// client of its host does.
fn registry() -> &'static Mutex<HashMap<String, Weak<Mutex<WeightBudget>>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<String, Weak<Mutex<WeightBudget>>>>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

/// The weight budget (and 429/418 pause) of the host `origin` names, shared by every client of
/// that host in this process: Binance counts request weight per IP, not per API key ("The
/// limits on the API are based on the IPs, not the API keys"; "Every request will contain
/// X-MBX-USED-WEIGHT-(intervalNum)(intervalLetter) in the response headers which has the
/// current used weight for the IP"), and bans the IP, every account on it, with 418 when it
/// keeps sending after a 429. Two accounts on one desk therefore spend one budget and stop
/// together after a 429. Order counts stay per account ([`OrderBudget`]).
///
/// `origin` is the scheme, host and port (`https://fapi.binance.com:443`); a new budget starts
/// at Binance's default limit less `margin_percent`.
pub fn weight_budget_for(origin: &str, margin_percent: u32) -> SharedWeightBudget {
    // A panic while holding the registry lock leaves at worst a stale weak entry.
    let mut budgets = registry().lock().unwrap_or_else(|p| p.into_inner());
    budgets.retain(|_, budget| budget.strong_count() > 0);
    if let Some(budget) = budgets.get(origin).and_then(Weak::upgrade) {
        return budget;
    }
    let budget = Arc::new(Mutex::new(WeightBudget::new(
        DEFAULT_WEIGHT_PER_MINUTE,
        margin_percent,
    )));
    budgets.insert(origin.to_owned(), Arc::downgrade(&budget));
    budget
}

/// `limit` less `margin_percent` of it (at least 1 when the limit is not 0).
fn allowance(limit: u32, margin_percent: u32) -> u32 {
    let kept = limit.saturating_sub(limit.saturating_mul(margin_percent.min(100)) / 100);
    if limit > 0 { kept.max(1) } else { 0 }
}

/// One fixed window of an order-count limit (aligned to its length, as the venue counts).
#[derive(Debug, Clone)]
struct OrderWindow {
    length_ms: i64,
    allowance: u32,
    start: i64,
    used: u32,
}

impl OrderWindow {
    fn new(length_ms: i64, limit: u32, margin_percent: u32) -> Self {
        Self {
            length_ms,
            allowance: allowance(limit, margin_percent),
            start: i64::MIN,
            used: 0,
        }
    }

    fn roll(&mut self, now: i64) {
        let start = now - now.rem_euclid(self.length_ms);
        if start > self.start {
            self.start = start;
            self.used = 0;
        }
    }

    /// Whether one more order fits; if not, when this window ends.
    fn check(&mut self, now: i64) -> Result<(), i64> {
        self.roll(now);
        if self.used.saturating_add(1) > self.allowance {
            Err(self.start + self.length_ms)
        } else {
            Ok(())
        }
    }
}

/// The account's order-count limits: per 10 seconds and per minute, each less a margin. An order
/// that would exceed either is held (never sent) until the window that is full ends.
#[derive(Debug, Clone)]
pub struct OrderBudget {
    margin_percent: u32,
    ten_seconds: OrderWindow,
    minute: OrderWindow,
    /// After the venue refused an order for the order limit (429 without Retry-After): no new
    /// order before this venue time (ms).
    blocked_until: Option<i64>,
}

impl OrderBudget {
    pub fn new(per_10s: u32, per_minute: u32, margin_percent: u32) -> Self {
        Self {
            margin_percent,
            ten_seconds: OrderWindow::new(10_000, per_10s, margin_percent),
            minute: OrderWindow::new(WINDOW_MS, per_minute, margin_percent),
            blocked_until: None,
        }
    }

    /// The venue answered 429 for the order limit (no Retry-After): another session of the
    /// account is placing orders too. No new order until the current minute window ends;
    /// returns that venue time (ms).
    pub fn on_too_many_orders(&mut self, now: i64) -> i64 {
        let until = now - now.rem_euclid(WINDOW_MS) + WINDOW_MS;
        self.blocked_until = Some(self.blocked_until.map_or(until, |u| u.max(until)));
        until
    }

    /// Applies limits read from exchangeInfo's `rateLimits`.
    pub fn set_limits(&mut self, per_10s: Option<u32>, per_minute: Option<u32>) {
        if let Some(limit) = per_10s {
            self.ten_seconds.allowance = allowance(limit, self.margin_percent);
        }
        if let Some(limit) = per_minute {
            self.minute.allowance = allowance(limit, self.margin_percent);
        }
    }

    /// Takes one order from both windows, or says until when to hold it (venue time, ms).
    pub fn reserve(&mut self, now: i64) -> Result<(), Hold> {
        if let Some(until) = self.blocked_until {
            if now < until {
                return Err(Hold::OrderLimit { until });
            }
            self.blocked_until = None;
        }
        let ten = self.ten_seconds.check(now);
        let minute = self.minute.check(now);
        match (ten, minute) {
            (Ok(()), Ok(())) => {
                self.ten_seconds.used += 1;
                self.minute.used += 1;
                Ok(())
            }
            (Err(a), Err(b)) => Err(Hold::OrderLimit { until: a.max(b) }),
            (Err(until), Ok(())) | (Ok(()), Err(until)) => Err(Hold::OrderLimit { until }),
        }
    }

    /// Folds in the venue's own counts from `X-MBX-ORDER-COUNT-10S` / `-1M` (orders placed by
    /// other sessions of the same account count too).
    pub fn observe_counts(&mut self, count_10s: Option<u32>, count_1m: Option<u32>, now: i64) {
        if let Some(count) = count_10s {
            self.ten_seconds.roll(now);
            self.ten_seconds.used = self.ten_seconds.used.max(count);
        }
        if let Some(count) = count_1m {
            self.minute.roll(now);
            self.minute.used = self.minute.used.max(count);
        }
    }

    /// (orders used in the current 10 s window, in the current minute).
    pub fn used(&self) -> (u32, u32) {
        (self.ten_seconds.used, self.minute.used)
    }

    /// (allowance per 10 s, per minute).
    pub fn allowances(&self) -> (u32, u32) {
        (self.ten_seconds.allowance, self.minute.allowance)
    }
}

fn header<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>, name: &str) -> Option<u32> {
    headers
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .and_then(|(_, value)| value.trim().parse().ok())
}

/// Reads `X-MBX-USED-WEIGHT-1M` (header names are case-insensitive).
pub fn used_weight_header<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<u32> {
    header(headers, "x-mbx-used-weight-1m")
}

/// Reads `X-SAPI-USED-IP-WEIGHT-1M`, the IP's used weight on an IP-limited `/sapi` endpoint (the
/// SPOT host's wallet endpoints report their weight in it, not in `X-MBX-USED-WEIGHT-1M`).
pub fn sapi_used_ip_weight_header<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<u32> {
    header(headers, "x-sapi-used-ip-weight-1m")
}

/// Reads `X-MBX-ORDER-COUNT-10S` and `X-MBX-ORDER-COUNT-1M` (either may be missing: rejected
/// orders are not guaranteed to carry them).
pub fn order_count_headers<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
) -> (Option<u32>, Option<u32>) {
    (
        header(headers.clone(), "x-mbx-order-count-10s"),
        header(headers, "x-mbx-order-count-1m"),
    )
}

/// The limits exchangeInfo publishes in `rateLimits`, as far as Rampart uses them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimits {
    /// `REQUEST_WEIGHT` per 1 `MINUTE`.
    pub weight_per_minute: Option<u32>,
    /// `ORDERS` per 10 `SECOND`.
    pub orders_per_10s: Option<u32>,
    /// `ORDERS` per 1 `MINUTE`.
    pub orders_per_minute: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRateLimit {
    rate_limit_type: String,
    interval: String,
    interval_num: u32,
    limit: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRateLimits {
    #[serde(default)]
    rate_limits: Vec<RawRateLimit>,
}

impl RateLimits {
    /// Reads `rateLimits` from an exchangeInfo body; entries Rampart does not use are ignored,
    /// a missing array gives all `None`.
    pub fn parse_exchange_info(json: &[u8]) -> Result<RateLimits, serde_json::Error> {
        let raw: RawRateLimits = serde_json::from_slice(json)?;
        let mut limits = RateLimits::default();
        for entry in raw.rate_limits {
            match (
                entry.rate_limit_type.as_str(),
                entry.interval.as_str(),
                entry.interval_num,
            ) {
                ("REQUEST_WEIGHT", "MINUTE", 1) => limits.weight_per_minute = Some(entry.limit),
                ("ORDERS", "SECOND", 10) => limits.orders_per_10s = Some(entry.limit),
                ("ORDERS", "MINUTE", 1) => limits.orders_per_minute = Some(entry.limit),
                _ => {}
            }
        }
        Ok(limits)
    }
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
    fn clients_of_one_host_share_one_budget_and_other_hosts_do_not() {
        let a = weight_budget_for("http://127.0.0.1:1", 10);
        let b = weight_budget_for("http://127.0.0.1:1", 10);
        let other = weight_budget_for("http://127.0.0.1:2", 10);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &other));
        a.lock().unwrap().on_too_many_requests(30, T);
        assert_eq!(
            b.lock().unwrap().reserve(1, T + 1),
            Err(Hold::RetryAfter { until: T + 30_000 })
        );
        assert!(other.lock().unwrap().reserve(1, T + 1).is_ok());
        // Once every client of a host is gone, its budget goes too.
        drop((a, b));
        let fresh = weight_budget_for("http://127.0.0.1:1", 10);
        assert!(fresh.lock().unwrap().reserve(1, T + 1).is_ok());
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
        assert_eq!(
            sapi_used_ip_weight_header([("X-SAPI-USED-IP-WEIGHT-1M", "7")]),
            Some(7)
        );
        assert_eq!(sapi_used_ip_weight_header(headers), None);
        let headers = [
            ("X-MBX-ORDER-COUNT-10S", "12"),
            ("x-mbx-order-count-1m", "40"),
        ];
        assert_eq!(order_count_headers(headers), (Some(12), Some(40)));
        assert_eq!(order_count_headers([("a", "b")]), (None, None));
    }

    /// A venue that counts weight per aligned minute and answers 429 over its limit.
    struct VenueCounter {
        limit: u32,
        minute: i64,
        used: u32,
        too_many: u32,
    }

    impl VenueCounter {
        fn request(&mut self, weight: u32, now: i64) -> u32 {
            let minute = now - now.rem_euclid(60_000);
            if minute != self.minute {
                self.minute = minute;
                self.used = 0;
            }
            self.used += weight;
            if self.used > self.limit {
                self.too_many += 1;
            }
            self.used
        }
    }

    #[test]
    fn a_burst_of_500_requests_draws_no_429_from_a_2400_per_minute_venue() {
        let mut venue = VenueCounter {
            limit: 2400,
            minute: 0,
            used: 0,
            too_many: 0,
        };
        let mut b = WeightBudget::new(DEFAULT_WEIGHT_PER_MINUTE, 10);
        // Weights as the endpoints publish them: mostly 1 and 5, some 10 and 20.
        let weights = [1, 5, 5, 10, 1, 20, 5, 2, 1, 5];
        let mut now = T;
        let (mut sent, mut held) = (0, 0);
        for i in 0..500 {
            let weight = weights[i % weights.len()];
            loop {
                match b.reserve(weight, now) {
                    Ok(()) => {
                        let used = venue.request(weight, now);
                        b.observe_used(used, now);
                        sent += 1;
                        break;
                    }
                    Err(hold) => {
                        held += 1;
                        now = hold.until(); // wait out the hold, then try again
                    }
                }
            }
            now += 7;
        }
        assert_eq!(sent, 500);
        assert!(held > 0, "the burst was held at least once");
        assert_eq!(venue.too_many, 0);
    }

    #[test]
    fn the_weight_limit_follows_exchange_info() {
        let json = br#"{"rateLimits":[
            {"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":1200},
            {"rateLimitType":"ORDERS","interval":"MINUTE","intervalNum":1,"limit":600},
            {"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":100}]}"#;
        let limits = RateLimits::parse_exchange_info(json).unwrap();
        assert_eq!(
            limits,
            RateLimits {
                weight_per_minute: Some(1200),
                orders_per_10s: Some(100),
                orders_per_minute: Some(600),
            }
        );
        let mut b = WeightBudget::new(2400, 10);
        b.set_limit(1200, 10);
        assert_eq!(b.allowance(), 1080);
        assert_eq!(
            RateLimits::parse_exchange_info(b"{}").unwrap(),
            RateLimits::default()
        );
        assert!(RateLimits::parse_exchange_info(br#"{"rateLimits":[{"limit":"x"}]}"#).is_err());
    }

    #[test]
    fn orders_are_held_at_the_ten_second_and_the_minute_allowance() {
        let mut b = OrderBudget::new(DEFAULT_ORDERS_PER_10S, DEFAULT_ORDERS_PER_MINUTE, 10);
        assert_eq!(b.allowances(), (270, 1080));
        // 40 s into a minute and at the start of a 10 s window.
        let mut placed = 0;
        let hold = loop {
            match b.reserve(T) {
                Ok(()) => placed += 1,
                Err(h) => break h,
            }
        };
        assert_eq!(placed, 270);
        assert_eq!(hold, Hold::OrderLimit { until: T + 10_000 });
        // The next 10 s window has room again; the minute keeps counting.
        assert!(b.reserve(T + 10_000).is_ok());
        assert_eq!(b.used(), (1, 271));
        // The venue's count wins when higher (another session of the account).
        b.observe_counts(Some(5), Some(1079), T + 10_001);
        assert_eq!(b.used(), (5, 1079));
        assert!(b.reserve(T + 10_002).is_ok());
        assert_eq!(
            b.reserve(T + 10_003),
            Err(Hold::OrderLimit {
                until: 1_700_000_100_000
            }),
            "the minute is full: held until it ends"
        );
        b.set_limits(Some(10), None);
        assert_eq!(b.allowances(), (9, 1080));
        // A 429 for orders (another session filled the account's limit): held to the minute's end.
        let mut b = OrderBudget::new(DEFAULT_ORDERS_PER_10S, DEFAULT_ORDERS_PER_MINUTE, 10);
        assert_eq!(b.on_too_many_orders(T + 1), 1_700_000_100_000);
        assert_eq!(
            b.reserve(T + 59_999),
            Err(Hold::OrderLimit {
                until: 1_700_000_100_000
            })
        );
        assert!(b.reserve(1_700_000_100_000).is_ok());
    }
}
