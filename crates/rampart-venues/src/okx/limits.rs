//! OKX's rate limits as it counts them, from the v5 documentation's "Rate Limits" overview
//! (okx.com/docs-v5/en/#overview-rate-limits) and each endpoint's "Rate Limit" / "Rate limit
//! rule" lines:
//! - public endpoints are limited per IP, private ones per User ID (sub-accounts apart);
//! - trading endpoints per User ID + Instrument ID, e.g. "Place order: 60 requests per 2
//!   seconds", with place, amend and cancel counted separately;
//! - a sub-account may place and amend at most 1,000 orders per 2 s across instruments
//!   (error 50061);
//! - a breach answers HTTP 429 with code 50011. OKX documents no rate-limit response headers
//!   for REST; a `Retry-After` header, if one comes, is honoured.
//!
//! Every request takes its place in a sliding window before it is sent; a full window refuses
//! it here (ErrorKind::RateLimited, `retry_at_ms` when a place frees up), so OKX never has to.
//! A margin (ClientOptions::margin_percent) of each limit is left for other tools.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

/// Who OKX counts a limit against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Per IP: shared by every client of the host in this process.
    Ip,
    /// Per User ID: this account's own.
    Uid,
    /// Per User ID + Instrument ID.
    UidInstrument,
}

/// One endpoint's documented limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// The endpoint's name, the key of its window.
    pub name: &'static str,
    pub requests: u32,
    pub per_ms: i64,
    pub scope: Scope,
}

const fn per_2s(name: &'static str, requests: u32, scope: Scope) -> Limit {
    Limit {
        name,
        requests,
        per_ms: 2_000,
        scope,
    }
}

pub const SERVER_TIME: Limit = per_2s("public/time", 10, Scope::Ip);
pub const INSTRUMENTS: Limit = per_2s("public/instruments", 20, Scope::Ip);
pub const MARK_PRICE: Limit = per_2s("public/mark-price", 10, Scope::Ip);
pub const INDEX_TICKERS: Limit = per_2s("market/index-tickers", 20, Scope::Ip);
pub const FUNDING_RATE: Limit = per_2s("public/funding-rate", 10, Scope::Ip);
pub const BOOKS: Limit = per_2s("market/books", 40, Scope::Ip);
pub const CANDLES: Limit = per_2s("market/candles", 40, Scope::Ip);
pub const PLACE_ORDER: Limit = per_2s("trade/order", 60, Scope::UidInstrument);
pub const GET_ORDER: Limit = per_2s("trade/order GET", 60, Scope::UidInstrument);
pub const CANCEL_ORDER: Limit = per_2s("trade/cancel-order", 60, Scope::UidInstrument);
/// "300 orders per 2 seconds": a batch takes one place per order in it.
pub const CANCEL_BATCH: Limit = per_2s("trade/cancel-batch-orders", 300, Scope::UidInstrument);
pub const PENDING_ORDERS: Limit = per_2s("trade/orders-pending", 60, Scope::Uid);
pub const PLACE_ALGO: Limit = per_2s("trade/order-algo", 20, Scope::Uid);
pub const GET_ALGO: Limit = per_2s("trade/order-algo GET", 20, Scope::Uid);
pub const CANCEL_ALGOS: Limit = per_2s("trade/cancel-algos", 20, Scope::Uid);
pub const PENDING_ALGOS: Limit = per_2s("trade/orders-algo-pending", 20, Scope::Uid);
pub const POSITIONS: Limit = per_2s("account/positions", 10, Scope::Uid);
pub const BALANCE: Limit = per_2s("account/balance", 10, Scope::Uid);
pub const SET_LEVERAGE: Limit = per_2s("account/set-leverage", 20, Scope::Uid);
pub const TRADE_FEE: Limit = per_2s("account/trade-fee", 5, Scope::Uid);
pub const ACCOUNT_CONFIG: Limit = per_2s("account/config", 5, Scope::Uid);
/// "1 request per second" per User ID (+ tag).
pub const CANCEL_ALL_AFTER: Limit = Limit {
    name: "trade/cancel-all-after",
    requests: 1,
    per_ms: 1_000,
    scope: Scope::Uid,
};
/// New and amended orders of a sub-account across instruments (50061).
pub const SUB_ACCOUNT_ORDERS: Limit = per_2s("sub-account orders", 1_000, Scope::Uid);

/// A sliding window of send times.
#[derive(Debug, Default)]
struct Window {
    sent: VecDeque<i64>,
    /// Nothing before this (venue time, ms): OKX said 429.
    paused_until: i64,
}

/// Windows by key. Refuses with the venue time when a place frees up.
#[derive(Debug, Default)]
pub struct Windows {
    windows: HashMap<String, Window>,
}

/// `requests` less the margin, at least 1.
pub fn allowance(requests: u32, margin_percent: u32) -> usize {
    let kept = u64::from(requests) * u64::from(100u32.saturating_sub(margin_percent.min(90)));
    usize::try_from((kept / 100).max(1)).unwrap_or(1)
}

impl Windows {
    /// Takes `cost` places in the window `key` of `limit` at venue time `now`, or says when
    /// there will be room (ms).
    pub fn reserve(
        &mut self,
        key: &str,
        limit: &Limit,
        cost: usize,
        margin_percent: u32,
        now: i64,
    ) -> Result<(), i64> {
        let allowed = allowance(limit.requests, margin_percent);
        let w = self.windows.entry(key.to_owned()).or_default();
        if now < w.paused_until {
            return Err(w.paused_until);
        }
        while w.sent.front().is_some_and(|t| now - t >= limit.per_ms) {
            w.sent.pop_front();
        }
        let cost = cost.max(1);
        if cost > allowed {
            // Never fits whole: the caller splits; wait for an empty window.
            return match w.sent.back() {
                Some(last) => Err(last + limit.per_ms),
                None => Ok(()),
            };
        }
        if w.sent.len() + cost > allowed {
            let idx = w.sent.len() + cost - allowed - 1;
            let frees = w.sent.get(idx).copied().unwrap_or(now);
            return Err(frees + limit.per_ms);
        }
        w.sent.extend(std::iter::repeat_n(now, cost));
        Ok(())
    }

    /// OKX answered 429/50011: nothing more in `key` until `until`.
    pub fn pause(&mut self, key: &str, until: i64) {
        let w = self.windows.entry(key.to_owned()).or_default();
        w.paused_until = w.paused_until.max(until);
    }
}

pub type IpWindows = Arc<Mutex<Windows>>;

/// The per-IP windows of `origin`, shared by every client of that host in this process.
pub fn ip_windows(origin: &str) -> IpWindows {
    static BY_ORIGIN: OnceLock<Mutex<HashMap<String, IpWindows>>> = OnceLock::new();
    let map = BY_ORIGIN.get_or_init(Default::default);
    let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
    map.entry(origin.to_owned()).or_default().clone()
}

/// The window key of `limit` for `instrument`.
pub fn key(limit: &Limit, instrument: Option<&str>) -> String {
    match (limit.scope, instrument) {
        (Scope::UidInstrument, Some(inst)) => format!("{} {inst}", limit.name),
        _ => limit.name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_window_refuses_until_its_oldest_request_ages_out() {
        let mut w = Windows::default();
        let limit = per_2s("x", 10, Scope::Uid);
        // 10 % margin: 9 of 10.
        for i in 0..9 {
            assert_eq!(w.reserve("x", &limit, 1, 10, 1_000 + i), Ok(()));
        }
        assert_eq!(w.reserve("x", &limit, 1, 10, 1_500), Err(3_000));
        assert_eq!(w.reserve("x", &limit, 1, 10, 3_000), Ok(()));
    }

    #[test]
    fn keys_are_per_instrument_where_okx_counts_per_instrument() {
        let mut w = Windows::default();
        let a = key(&PLACE_ORDER, Some("BTC-USDT-SWAP"));
        let b = key(&PLACE_ORDER, Some("ETH-USDT-SWAP"));
        for _ in 0..allowance(60, 10) {
            w.reserve(&a, &PLACE_ORDER, 1, 10, 0).unwrap();
        }
        assert!(w.reserve(&a, &PLACE_ORDER, 1, 10, 1).is_err());
        assert_eq!(w.reserve(&b, &PLACE_ORDER, 1, 10, 1), Ok(()));
        assert_eq!(key(&POSITIONS, Some("BTC-USDT-SWAP")), "account/positions");
    }

    #[test]
    fn a_429_pauses_the_window_and_batches_count_per_order() {
        let mut w = Windows::default();
        w.pause("k", 5_000);
        assert_eq!(w.reserve("k", &CANCEL_BATCH, 1, 0, 4_000), Err(5_000));
        assert_eq!(w.reserve("k", &CANCEL_BATCH, 20, 0, 5_000), Ok(()));
        assert_eq!(w.reserve("k", &CANCEL_BATCH, 280, 0, 5_001), Ok(()));
        assert_eq!(w.reserve("k", &CANCEL_BATCH, 1, 0, 5_002), Err(7_000));
    }

    #[test]
    fn the_ip_windows_of_one_host_are_shared() {
        let a = ip_windows("https://www.okx.com:443");
        let b = ip_windows("https://www.okx.com:443");
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &ip_windows("http://127.0.0.1:9")));
    }
}
