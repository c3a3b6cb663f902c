//! The user's own history, which the anomaly detectors compare a session with. It is kept
//! between sessions (the engine stores it; serde shape below), per account and instrument, and
//! stays small whatever its age: counters, plus the last [`SIZE_WINDOW`] order sizes per
//! instrument.

use std::collections::{BTreeMap, VecDeque};

use rampart_core::Venue;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::facts::{Moment, Seat};

/// Order sizes kept per instrument: a trader's usual size is what they trade lately.
pub const SIZE_WINDOW: usize = 500;

/// Below this many sizes the statistics are worked out again at every order; above it, every
/// [`REFRESH_EVERY`] orders (two sorts of the window cost several µs, on the order path; the
/// median of hundreds of orders moves little in a few more).
const REFRESH_ALWAYS_BELOW: usize = 100;
const REFRESH_EVERY: u32 = 16;

/// The median and the median absolute deviation of the sizes in the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeStats {
    pub median: Decimal,
    pub mad: Decimal,
    pub count: usize,
}

fn median_of_sorted(sorted: &[Decimal]) -> Option<Decimal> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    if n % 2 == 1 {
        Some(sorted[n / 2])
    } else {
        // Sizes are at most 10^15 (rampart-core's bound), so the sum cannot overflow.
        (sorted[n / 2 - 1] + sorted[n / 2]).checked_div(Decimal::TWO)
    }
}

impl SizeStats {
    pub fn of(sizes: impl Iterator<Item = Decimal>) -> Option<SizeStats> {
        let mut sorted: Vec<Decimal> = sizes.collect();
        sorted.sort_unstable();
        let median = median_of_sorted(&sorted)?.normalize();
        let mut deviations: Vec<Decimal> = sorted.iter().map(|s| (*s - median).abs()).collect();
        deviations.sort_unstable();
        let mad = median_of_sorted(&deviations)?.normalize();
        Some(SizeStats {
            median,
            mad,
            count: sorted.len(),
        })
    }
}

/// One instrument on one account.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstrumentHistory {
    pub orders: u64,
    /// The latest sizes, oldest first.
    sizes: VecDeque<Decimal>,
    #[serde(skip)]
    stats: Option<SizeStats>,
    /// Orders recorded since the statistics were last worked out.
    #[serde(skip)]
    since_refresh: u32,
}

impl InstrumentHistory {
    pub fn stats(&self) -> Option<SizeStats> {
        self.stats
    }

    fn record(&mut self, qty: Decimal) {
        self.orders += 1;
        if self.sizes.len() == SIZE_WINDOW {
            self.sizes.pop_front();
        }
        self.sizes.push_back(qty);
        self.since_refresh += 1;
        if self.sizes.len() < REFRESH_ALWAYS_BELOW || self.since_refresh >= REFRESH_EVERY {
            self.refresh();
        }
    }

    fn refresh(&mut self) {
        self.stats = SizeStats::of(self.sizes.iter().copied());
        self.since_refresh = 0;
    }
}

/// One account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountHistory {
    pub venue: Venue,
    pub orders: u64,
    /// Orders by hour of the user's local day.
    pub hours: [u64; 24],
    /// Minutes with at least one order, before the current one: the usual rate is the orders
    /// of those minutes per minute (the minute under way, maybe a burst, is not yet usual).
    pub active_minutes: u64,
    /// The orders of those minutes.
    #[serde(default)]
    pub settled_orders: u64,
    /// The current minute (Unix minutes) and its orders so far.
    last_minute: Option<i64>,
    #[serde(default)]
    minute_orders: u64,
    pub instruments: BTreeMap<String, InstrumentHistory>,
}

impl AccountHistory {
    fn new(venue: Venue) -> AccountHistory {
        AccountHistory {
            venue,
            orders: 0,
            hours: [0; 24],
            active_minutes: 0,
            settled_orders: 0,
            last_minute: None,
            minute_orders: 0,
            instruments: BTreeMap::new(),
        }
    }

    /// The usual orders per active minute, from the minutes before the current one; `None`
    /// until there are `min_minutes` of them.
    pub fn usual_per_minute(&self, min_minutes: u64) -> Option<Decimal> {
        if self.active_minutes == 0 || self.active_minutes < min_minutes {
            return None;
        }
        Decimal::from(self.settled_orders).checked_div(Decimal::from(self.active_minutes))
    }
}

/// Everything the detectors learn from.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct History {
    pub accounts: BTreeMap<String, AccountHistory>,
    /// Unlocks by hour of the user's local day.
    pub unlock_hours: [u64; 24],
    pub unlocks: u64,
    /// Where the authenticator was enrolled.
    pub seat: Option<Seat>,
}

impl History {
    /// Rebuilds what is derived, not stored (the size statistics): call after loading.
    pub fn prepared(mut self) -> History {
        for account in self.accounts.values_mut() {
            for instrument in account.instruments.values_mut() {
                instrument.refresh();
            }
        }
        self
    }

    pub fn account(&self, account: &str) -> Option<&AccountHistory> {
        self.accounts.get(account)
    }

    pub fn instrument(&self, account: &str, symbol: &str) -> Option<&InstrumentHistory> {
        self.accounts.get(account)?.instruments.get(symbol)
    }

    /// Whether any account has traded on `venue`.
    pub fn traded_on(&self, venue: Venue) -> bool {
        self.accounts
            .values()
            .any(|a| a.venue == venue && a.orders > 0)
    }

    pub fn orders(&self) -> u64 {
        self.accounts.values().map(|a| a.orders).sum()
    }

    /// One order sent.
    pub fn record_order(
        &mut self,
        account: &str,
        venue: Venue,
        symbol: &str,
        qty: Decimal,
        at: Moment,
    ) {
        let a = self
            .accounts
            .entry(account.to_owned())
            .or_insert_with(|| AccountHistory::new(venue));
        a.orders += 1;
        a.hours[at.local_hour()] += 1;
        let minute = at.unix_ms.div_euclid(60_000);
        if a.last_minute != Some(minute) {
            if a.last_minute.is_some() {
                a.active_minutes += 1;
                a.settled_orders += a.minute_orders;
            }
            a.last_minute = Some(minute);
            a.minute_orders = 0;
        }
        a.minute_orders += 1;
        a.instruments
            .entry(symbol.to_owned())
            .or_default()
            .record(qty);
    }

    /// One successful unlock.
    pub fn record_unlock(&mut self, at: Moment) {
        self.unlocks += 1;
        self.unlock_hours[at.local_hour()] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn median_and_mad_of_odd_and_even_windows() {
        let odd = SizeStats::of(["1", "2", "3", "4", "100"].into_iter().map(d)).unwrap();
        assert_eq!((odd.median, odd.mad), (d("3"), d("1")));
        let even = SizeStats::of(["1", "2", "3", "4"].into_iter().map(d)).unwrap();
        assert_eq!((even.median, even.mad), (d("2.5"), d("1")));
        assert!(SizeStats::of(std::iter::empty()).is_none());
    }

    #[test]
    fn the_size_window_keeps_the_latest_and_survives_a_round_trip() {
        let mut h = History::default();
        let at = Moment::utc(0);
        for i in 0..(SIZE_WINDOW + 10) {
            let qty = if i < 10 { d("1000") } else { d("1") };
            h.record_order(
                "a",
                Venue::Demo,
                "BTCUSDT",
                qty,
                at.plus_ms(i as i64 * 1000),
            );
        }
        // Live, the statistics may be a few orders behind (they are worked out every 16th
        // order past 100): 510 orders in, the last refresh (order 496) held none of the ten.
        let live = h.instrument("a", "BTCUSDT").unwrap().stats().unwrap();
        assert_eq!(
            live.median,
            d("1"),
            "the ten old large orders left the window"
        );
        let json = serde_json::to_string(&h).unwrap();
        let back: History = serde_json::from_str::<History>(&json).unwrap().prepared();
        let stats = back.instrument("a", "BTCUSDT").unwrap().stats().unwrap();
        assert_eq!((stats.count, stats.median), (SIZE_WINDOW, d("1")));
        assert_eq!(back.account("a").unwrap().orders, (SIZE_WINDOW + 10) as u64);
    }

    #[test]
    fn active_minutes_count_minutes_with_orders() {
        let mut h = History::default();
        let t0 = Moment::utc(1_795_822_200_000);
        for ms in [0, 1_000, 59_000, 61_000, 3_600_000] {
            h.record_order("a", Venue::Demo, "X", d("1"), t0.plus_ms(ms));
        }
        let a = h.account("a").unwrap();
        // Three minutes had orders; the last is still under way, so two are settled (4 orders).
        assert_eq!((a.orders, a.active_minutes, a.settled_orders), (5, 2, 4));
        assert_eq!(a.usual_per_minute(1), Some(d("2")));
        assert_eq!(
            a.usual_per_minute(3),
            None,
            "too few minutes to call anything usual"
        );
    }
}
