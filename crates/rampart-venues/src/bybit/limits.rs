//! Bybit's request limits, counted as Bybit counts them ("Rate Limit Rules",
//! `docs/v5/rate-limit/rate-limit.mdx`):
//! - per IP: "600 requests within a 5-second window per IP"; past it, "403, access too
//!   frequent" and a ban: "wait for at least 10 minutes";
//! - per UID and endpoint: "rolling time window per second and UID", e.g. `/v5/order/create`
//!   10/s for linear and inverse; every answer carries `X-Bapi-Limit` (the endpoint's limit),
//!   `X-Bapi-Limit-Status` (what is left) and `X-Bapi-Limit-Reset-Timestamp`; past it,
//!   `retCode` 10006.
//!
//! The limiter refuses locally, before Bybit would, with the time the next request may go; it
//! follows the headers when Bybit reports a different limit for the account.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

/// Bybit's per-IP window.
pub const IP_LIMIT: u32 = 600;
pub const IP_WINDOW_MS: i64 = 5_000;
/// How long Bybit bans an IP after a 403 "access too frequent".
pub const IP_BAN_MS: i64 = 10 * 60 * 1000;
/// The per-UID windows are one second long.
pub const UID_WINDOW_MS: i64 = 1_000;

pub const HEADER_LIMIT: &str = "X-Bapi-Limit";
pub const HEADER_LIMIT_STATUS: &str = "X-Bapi-Limit-Status";
pub const HEADER_LIMIT_RESET: &str = "X-Bapi-Limit-Reset-Timestamp";

/// The documented per-UID limit of an endpoint (requests a second), for the endpoints Rampart
/// calls; `None` for the public market endpoints (counted per IP only).
pub fn default_uid_limit(path: &str) -> Option<u32> {
    Some(match path {
        "/v5/order/create" | "/v5/order/amend" | "/v5/order/cancel" | "/v5/order/cancel-all" => 10,
        "/v5/order/disconnected-cancel-all" => 5,
        "/v5/order/realtime" | "/v5/order/history" | "/v5/execution/list" => 50,
        "/v5/position/list" => 50,
        "/v5/position/set-leverage" => 10,
        "/v5/account/wallet-balance" => 50,
        "/v5/account/fee-rate" => 5,
        "/v5/account/set-margin-mode" => 5,
        "/v5/account/query-dcp-info" => 5,
        _ => return None,
    })
}

/// A rolling window: at most `limit` requests in any `span_ms`.
#[derive(Debug, Clone)]
struct Window {
    limit: u32,
    span_ms: i64,
    sent: VecDeque<i64>,
}

impl Window {
    fn new(limit: u32, span_ms: i64) -> Self {
        Self {
            limit: limit.max(1),
            span_ms,
            sent: VecDeque::new(),
        }
    }

    fn expire(&mut self, now: i64) {
        while self.sent.front().is_some_and(|&t| t + self.span_ms <= now) {
            self.sent.pop_front();
        }
    }

    /// When a request may go (`now` if it may go now).
    fn next_free(&mut self, now: i64) -> i64 {
        self.expire(now);
        if (self.sent.len() as u64) < u64::from(self.limit) {
            now
        } else {
            // Full: the oldest one ages out first.
            self.sent.front().map_or(now, |&t| t + self.span_ms)
        }
    }

    fn record(&mut self, now: i64) {
        self.sent.push_back(now);
    }
}

#[derive(Debug, Clone)]
struct Endpoint {
    window: Window,
    /// Nothing to this endpoint before this (Bybit said the limit is used up, or 10006).
    hold_until: Option<i64>,
}

/// Why a request was held, and until when (venue time, ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// This IP's 600-in-5-seconds budget is used up.
    IpBudget { until: i64 },
    /// Bybit banned this IP for going past its limit (403).
    IpBanned { until: i64 },
    /// This endpoint's per-second budget for the account is used up.
    Endpoint { until: i64 },
}

impl Held {
    pub fn until(self) -> i64 {
        match self {
            Held::IpBudget { until } | Held::IpBanned { until } | Held::Endpoint { until } => until,
        }
    }
}

/// The per-IP budget of one Bybit host: 600 requests in 5 s and the 403 ban. Bybit counts it
/// per IP, so every client of the same host in this process shares one (see
/// [`ip_budget_for`]).
#[derive(Debug, Clone)]
pub struct IpBudget {
    window: Window,
    banned_until: Option<i64>,
}

impl IpBudget {
    pub fn new(margin_percent: u32) -> Self {
        Self {
            window: Window::new(apply_margin(IP_LIMIT, margin_percent.min(90)), IP_WINDOW_MS),
            banned_until: None,
        }
    }
}

pub type SharedIpBudget = Arc<Mutex<IpBudget>>;

/// The one IP budget of the host `origin` (scheme, host and port) in this process, made on
/// first use with `margin_percent`.
pub fn ip_budget_for(origin: &str, margin_percent: u32) -> SharedIpBudget {
    static BUDGETS: OnceLock<Mutex<HashMap<String, SharedIpBudget>>> = OnceLock::new();
    let mut all = BUDGETS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    all.entry(origin.to_owned())
        .or_insert_with(|| Arc::new(Mutex::new(IpBudget::new(margin_percent))))
        .clone()
}

fn lock(ip: &SharedIpBudget) -> std::sync::MutexGuard<'_, IpBudget> {
    // A window of timestamps: nothing a panic elsewhere could leave half-written.
    ip.lock().unwrap_or_else(|p| p.into_inner())
}

/// Bybit's limits for one account on one host: the account's per-endpoint budgets, and the
/// host's shared per-IP budget.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    margin_percent: u32,
    ip: SharedIpBudget,
    endpoints: HashMap<String, Endpoint>,
}

impl RateLimiter {
    /// Limits that keep `margin_percent` of each budget unused (for other tools), with an IP
    /// budget of their own (tests; clients share theirs with [`RateLimiter::sharing`]).
    pub fn new(margin_percent: u32) -> Self {
        Self::sharing(
            Arc::new(Mutex::new(IpBudget::new(margin_percent))),
            margin_percent,
        )
    }

    /// Limits counting IP requests in `ip`, shared with every other client of its host.
    pub fn sharing(ip: SharedIpBudget, margin_percent: u32) -> Self {
        Self {
            margin_percent: margin_percent.min(90),
            ip,
            endpoints: HashMap::new(),
        }
    }

    fn endpoint(&mut self, path: &str) -> Option<&mut Endpoint> {
        let margin = self.margin_percent;
        if !self.endpoints.contains_key(path) {
            let limit = default_uid_limit(path)?;
            self.endpoints.insert(
                path.to_owned(),
                Endpoint {
                    window: Window::new(apply_margin(limit, margin), UID_WINDOW_MS),
                    hold_until: None,
                },
            );
        }
        self.endpoints.get_mut(path)
    }

    /// Counts a request to `path` at `now` if every budget allows it; otherwise says which
    /// budget holds it and until when (nothing is counted then).
    pub fn try_acquire(&mut self, path: &str, now: i64) -> Result<(), Held> {
        let ip = self.ip.clone();
        let mut ip = lock(&ip);
        if let Some(until) = ip.banned_until {
            if now < until {
                return Err(Held::IpBanned { until });
            }
            ip.banned_until = None;
        }
        let ip_free = ip.window.next_free(now);
        if ip_free > now {
            return Err(Held::IpBudget { until: ip_free });
        }
        if let Some(endpoint) = self.endpoint(path) {
            if let Some(until) = endpoint.hold_until {
                if now < until {
                    return Err(Held::Endpoint { until });
                }
                endpoint.hold_until = None;
            }
            let free = endpoint.window.next_free(now);
            if free > now {
                return Err(Held::Endpoint { until: free });
            }
            endpoint.window.record(now);
        }
        ip.window.record(now);
        Ok(())
    }

    /// Follows Bybit's `X-Bapi-Limit*` headers of an answer from `path`: the account's own limit
    /// for the endpoint, and a hold until the reset when nothing is left.
    pub fn observe_headers(
        &mut self,
        path: &str,
        limit: Option<u32>,
        remaining: Option<u32>,
        reset_ms: Option<i64>,
        now: i64,
    ) {
        let margin = self.margin_percent;
        let Some(endpoint) = self.endpoint(path) else {
            return;
        };
        if let Some(limit) = limit.filter(|&l| l > 0) {
            endpoint.window.limit = apply_margin(limit, margin);
        }
        if remaining == Some(0) {
            let until = reset_ms.filter(|&r| r > now).unwrap_or(now + UID_WINDOW_MS);
            endpoint.hold_until = Some(until);
        }
    }

    /// Bybit answered 10006 for `path`: hold it until `reset_ms` (or a second).
    pub fn observe_too_many(&mut self, path: &str, reset_ms: Option<i64>, now: i64) -> i64 {
        let until = reset_ms.filter(|&r| r > now).unwrap_or(now + UID_WINDOW_MS);
        if let Some(endpoint) = self.endpoint(path) {
            endpoint.hold_until = Some(until);
        }
        until
    }

    /// Bybit answered 403: the IP is banned for ten minutes.
    pub fn observe_ip_ban(&mut self, now: i64) -> i64 {
        let until = now + IP_BAN_MS;
        lock(&self.ip).banned_until = Some(until);
        until
    }
}

fn apply_margin(limit: u32, margin_percent: u32) -> u32 {
    (u64::from(limit) * u64::from(100 - margin_percent) / 100).max(1) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_creation_is_held_at_ten_a_second_before_bybit_would_refuse() {
        let mut l = RateLimiter::new(0);
        for i in 0..10 {
            assert_eq!(l.try_acquire("/v5/order/create", 1_000 + i), Ok(()), "{i}");
        }
        assert_eq!(
            l.try_acquire("/v5/order/create", 1_050),
            Err(Held::Endpoint { until: 2_000 })
        );
        // Another endpoint has its own budget.
        assert_eq!(l.try_acquire("/v5/order/realtime", 1_050), Ok(()));
        // A second after the first, one more may go.
        assert_eq!(l.try_acquire("/v5/order/create", 2_000), Ok(()));
    }

    #[test]
    fn the_margin_keeps_part_of_each_budget_unused() {
        let mut l = RateLimiter::new(20);
        for i in 0..8 {
            assert_eq!(l.try_acquire("/v5/order/create", i), Ok(()));
        }
        assert!(l.try_acquire("/v5/order/create", 9).is_err());
    }

    #[test]
    fn the_ip_budget_counts_every_endpoint_together() {
        let mut l = RateLimiter::new(0);
        for i in 0..600 {
            assert_eq!(l.try_acquire("/v5/market/tickers", i / 200), Ok(()));
        }
        assert_eq!(
            l.try_acquire("/v5/market/orderbook", 10),
            Err(Held::IpBudget { until: 5_000 })
        );
    }

    #[test]
    fn headers_saying_nothing_is_left_hold_the_endpoint_until_the_reset() {
        let mut l = RateLimiter::new(0);
        l.observe_headers(
            "/v5/order/create",
            Some(10),
            Some(0),
            Some(1_672_738_134_824),
            1_672_738_134_000,
        );
        assert_eq!(
            l.try_acquire("/v5/order/create", 1_672_738_134_100),
            Err(Held::Endpoint {
                until: 1_672_738_134_824
            })
        );
        assert_eq!(l.try_acquire("/v5/order/create", 1_672_738_134_824), Ok(()));
    }

    #[test]
    fn a_higher_limit_reported_by_bybit_is_followed() {
        let mut l = RateLimiter::new(0);
        l.observe_headers("/v5/order/create", Some(20), Some(19), None, 0);
        for i in 0..20 {
            assert_eq!(l.try_acquire("/v5/order/create", 10 + i), Ok(()), "{i}");
        }
        assert!(l.try_acquire("/v5/order/create", 40).is_err());
    }

    #[test]
    fn clients_of_one_host_share_its_ip_budget() {
        let shared = ip_budget_for("https://ip-budget-test.invalid:443", 0);
        let mut a = RateLimiter::sharing(shared.clone(), 0);
        let mut b = RateLimiter::sharing(ip_budget_for("https://ip-budget-test.invalid:443", 0), 0);
        for i in 0..300 {
            assert_eq!(a.try_acquire("/v5/market/tickers", i / 100), Ok(()));
            assert_eq!(b.try_acquire("/v5/market/tickers", i / 100), Ok(()));
        }
        assert!(a.try_acquire("/v5/market/time", 10).is_err());
        assert!(b.try_acquire("/v5/market/time", 10).is_err());
        // A ban seen by one holds the other.
        let mut c = RateLimiter::sharing(shared, 0);
        c.observe_ip_ban(20_000);
        assert!(matches!(
            b.try_acquire("/v5/market/time", 30_000),
            Err(Held::IpBanned { .. })
        ));
    }

    #[test]
    fn a_403_bans_the_ip_for_ten_minutes() {
        let mut l = RateLimiter::new(0);
        let until = l.observe_ip_ban(1_000);
        assert_eq!(until, 601_000);
        assert_eq!(
            l.try_acquire("/v5/market/time", 2_000),
            Err(Held::IpBanned { until: 601_000 })
        );
        assert_eq!(l.try_acquire("/v5/market/time", 601_000), Ok(()));
    }

    #[test]
    fn too_many_visits_holds_the_endpoint() {
        let mut l = RateLimiter::new(0);
        let until = l.observe_too_many("/v5/order/cancel", None, 5_000);
        assert_eq!(until, 6_000);
        assert!(l.try_acquire("/v5/order/cancel", 5_500).is_err());
    }
}
