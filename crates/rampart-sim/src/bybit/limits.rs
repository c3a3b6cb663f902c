//! Bybit's rate limits (<https://bybit-exchange.github.io/docs/v5/rate-limit>): "600 requests
//! within a 5-second window per IP" (above it: HTTP 403 "access too frequent"), and per UID
//! per endpoint "rolling time window per second" limits (above them: retCode 10006), reported
//! on every answer in `X-Bapi-Limit`, `X-Bapi-Limit-Status` and `X-Bapi-Limit-Reset-Timestamp`.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

/// An endpoint's limit per second per UID, from the "API Rate Limit Table" (UTA, linear and
/// inverse); endpoints outside the table get 50/s.
pub(super) fn per_second(path: &str, order_create: u32) -> u32 {
    match path {
        "/v5/order/create" => order_create,
        "/v5/order/amend" | "/v5/order/cancel" | "/v5/order/cancel-all" => 10,
        "/v5/order/disconnected-cancel-all" => 5,
        "/v5/position/set-leverage" | "/v5/position/switch-isolated" => 10,
        _ => 50,
    }
}

/// One UID's use of one endpoint: the request times of the last second.
pub(super) struct Window {
    times: VecDeque<i64>,
}

/// What a request's headers report: the limit, what is left, when it resets.
#[derive(Debug, Clone, Copy)]
pub(super) struct Verdict {
    pub(super) limit: u32,
    pub(super) remaining: u32,
    pub(super) reset_ms: i64,
    pub(super) allowed: bool,
}

#[derive(Default)]
pub(super) struct Limits {
    by_uid: HashMap<(String, &'static str), Window>,
    by_ip: HashMap<IpAddr, VecDeque<i64>>,
}

impl Limits {
    /// Counts a request of `uid` to `endpoint` at `now` against `limit` per second.
    pub(super) fn uid(
        &mut self,
        uid: &str,
        endpoint: &'static str,
        limit: u32,
        now: i64,
    ) -> Verdict {
        let w = self
            .by_uid
            .entry((uid.to_owned(), endpoint))
            .or_insert_with(|| Window {
                times: VecDeque::new(),
            });
        while w.times.front().is_some_and(|t| *t <= now - 1000) {
            w.times.pop_front();
        }
        let used = u32::try_from(w.times.len()).unwrap_or(u32::MAX);
        if used >= limit {
            let reset = w.times.front().map_or(now, |t| t + 1000);
            return Verdict {
                limit,
                remaining: 0,
                reset_ms: reset,
                allowed: false,
            };
        }
        w.times.push_back(now);
        Verdict {
            limit,
            remaining: limit - used - 1,
            reset_ms: now,
            allowed: true,
        }
    }

    /// Counts a request from `ip`; false when it is over `limit` per 5 seconds.
    pub(super) fn ip(&mut self, ip: IpAddr, limit: u32, now: i64) -> bool {
        let times = self.by_ip.entry(ip).or_default();
        while times.front().is_some_and(|t| *t <= now - 5000) {
            times.pop_front();
        }
        if times.len() >= limit as usize {
            return false;
        }
        times.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_a_second_then_refused_until_the_oldest_leaves_the_window() {
        let mut l = Limits::default();
        for i in 0..10 {
            let v = l.uid("u", "/v5/order/create", 10, 1000 + i);
            assert!(v.allowed);
            assert_eq!(v.remaining, 9 - i as u32);
        }
        let v = l.uid("u", "/v5/order/create", 10, 1500);
        assert!(!v.allowed);
        assert_eq!(v.reset_ms, 2000);
        assert!(l.uid("other", "/v5/order/create", 10, 1500).allowed);
        assert!(l.uid("u", "/v5/order/cancel", 10, 1500).allowed);
        assert!(l.uid("u", "/v5/order/create", 10, 2000).allowed);
    }
}
