//! The price process and market data: a seeded random walk of the mark per symbol, the 1m candle
//! history, the synthetic book around the mark, and the market events a price move publishes.

use std::collections::VecDeque;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{Exchange, lower};
use crate::binance_usdm::SimEvent;
use crate::binance_usdm::market::Rules;

/// One minute in ms.
pub(super) const MINUTE: i64 = 60_000;
/// Funding every 8 hours (00:00, 08:00, 16:00 UTC).
pub(super) const FUNDING_INTERVAL: i64 = 8 * 60 * MINUTE;
/// How many 1m candles exist before the simulator starts.
pub(super) const HISTORY_MINUTES: i64 = 1_500;
/// How many 1m candles are kept.
pub(super) const MAX_CANDLES: usize = 20_000;
/// The rolling window of the `<symbol>@ticker` statistics: 24 hours.
pub(super) const DAY: i64 = 24 * 60 * MINUTE;
/// The deepest level a taker order walks (the book is synthetic and this deep on each side).
pub(in crate::binance_usdm) const BOOK_LEVELS: usize = 1_000;

/// One 1-minute candle.
#[derive(Debug, Clone)]
pub(super) struct Candle {
    pub(super) open_time: i64,
    pub(super) open: Decimal,
    pub(super) high: Decimal,
    pub(super) low: Decimal,
    pub(super) close: Decimal,
    pub(super) volume: Decimal,
    pub(super) quote_volume: Decimal,
    pub(super) trades: u64,
    pub(super) taker_base: Decimal,
    pub(super) taker_quote: Decimal,
}

impl Candle {
    pub(super) fn flat(open_time: i64, price: Decimal) -> Candle {
        Candle {
            open_time,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: Decimal::ZERO,
            quote_volume: Decimal::ZERO,
            trades: 0,
            taker_base: Decimal::ZERO,
            taker_quote: Decimal::ZERO,
        }
    }

    /// The price moved without a trade.
    pub(super) fn touch(&mut self, price: Decimal) {
        self.high = self.high.max(price);
        self.low = self.low.min(price);
        self.close = price;
    }

    pub(super) fn trade(&mut self, price: Decimal, qty: Decimal, taker_buy: bool) {
        self.high = self.high.max(price);
        self.low = self.low.min(price);
        self.close = price;
        self.volume += qty;
        self.quote_volume += qty * price;
        self.trades += 1;
        if taker_buy {
            self.taker_base += qty;
            self.taker_quote += qty * price;
        }
    }
}

/// A trade id as a JSON number (ids stay far below `i64::MAX`).
pub(super) fn id_number(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

/// `d` with exactly `scale` decimals, as Binance prints prices and quantities.
pub(super) fn fixed(d: Decimal, scale: u32) -> String {
    let mut d = d;
    d.rescale(scale);
    d.to_string()
}

/// One price level of the synthetic book.
#[derive(Debug, Clone, Copy)]
pub(in crate::binance_usdm) struct Level {
    pub(in crate::binance_usdm) price: Decimal,
    pub(in crate::binance_usdm) size: Decimal,
}

/// One symbol's market: prices, funding and its candle history.
pub(in crate::binance_usdm) struct Market {
    pub(in crate::binance_usdm) symbol: &'static str,
    pub(in crate::binance_usdm) rules: Rules,
    pub(in crate::binance_usdm) mark: Decimal,
    pub(in crate::binance_usdm) index: Decimal,
    pub(in crate::binance_usdm) last: Decimal,
    pub(in crate::binance_usdm) funding_rate: Decimal,
    /// Book update id, bumped on every price change or trade.
    pub(in crate::binance_usdm) update_id: u64,
    /// The `u` of the last diff depth event published (the next one's `pu`); see
    /// [`crate::binance_usdm::ws::depth_events`].
    pub(in crate::binance_usdm) depth_u: u64,
    pub(super) candles: Vec<Candle>,
    /// The quantity of the last trade (an execution or the price process's volume).
    pub(super) last_qty: Decimal,
    /// (time, trade id) of the executions of the last 24 hours, oldest first: the ticker's
    /// first and last trade ids.
    pub(super) trade_ids: VecDeque<(i64, u64)>,
}

impl Market {
    /// A price at the symbol's tick precision.
    pub(super) fn px(&self, d: Decimal) -> String {
        fixed(d, self.rules.tick.scale())
    }

    /// A quantity at the symbol's step precision.
    pub(super) fn qty(&self, d: Decimal) -> String {
        fixed(d, self.rules.step.scale())
    }

    /// Best bid: the mark price; best ask: one tick above it.
    pub(in crate::binance_usdm) fn best_bid(&self) -> Decimal {
        self.mark
    }

    pub(in crate::binance_usdm) fn best_ask(&self) -> Decimal {
        self.mark + self.rules.tick
    }

    /// Level `i` (0 = best) on one side. Bids step down a tick per level, asks
    /// up. A price keeps its size while the mark moves (see [`crate::binance_usdm::ws::size_at`]:
    /// at the starting mark level `i` holds `(i + 1)` times the symbol's level size), so a move
    /// changes only the levels that cross sides or enter and leave the book's depth, as the
    /// diff depth stream reports.
    pub(in crate::binance_usdm) fn level(&self, buy_side: bool, i: usize) -> Level {
        let n = Decimal::from(i as u64);
        let price = if buy_side {
            self.best_bid() - self.rules.tick * n
        } else {
            self.best_ask() + self.rules.tick * n
        };
        Level {
            price,
            size: crate::binance_usdm::ws::size_at(self, buy_side, price),
        }
    }

    pub(super) fn next_funding_time(now: i64) -> i64 {
        now - now.rem_euclid(FUNDING_INTERVAL) + FUNDING_INTERVAL
    }

    pub(super) fn current_candle(&mut self, now: i64) -> Option<&mut Candle> {
        let minute = now - now.rem_euclid(MINUTE);
        let last_open = self.candles.last().map_or(minute - MINUTE, |c| c.open_time);
        if last_open < minute {
            let close = self.candles.last().map_or(self.last, |c| c.close);
            // Fill a gap with flat candles, as Binance has no holes (at most a day of them).
            let first = (last_open + MINUTE).max(minute - 1440 * MINUTE);
            let mut t = first;
            while t <= minute {
                self.candles.push(Candle::flat(t, close));
                t += MINUTE;
            }
            if self.candles.len() > MAX_CANDLES {
                let excess = self.candles.len() - MAX_CANDLES;
                self.candles.drain(..excess);
            }
        }
        self.candles.last_mut()
    }
}

impl Exchange {
    /// One step of the random walk for every symbol: the mark moves by -3..=3 ticks, the index
    /// sits within two ticks of it, the funding rate wanders around 0.01%.
    pub(in crate::binance_usdm) fn step(&mut self, now: i64) {
        for i in 0..self.markets.len() {
            let ticks = self.rng.random_range(-3i64..=3);
            let index_ticks = self.rng.random_range(-2i64..=2);
            let funding_steps = self.rng.random_range(-5i64..=5);
            let volume_steps = self.rng.random_range(1i64..=20);
            let m = &self.markets[i];
            let tick = m.rules.tick;
            let floor = m.rules.min_price + tick * Decimal::from(100);
            let mark = (m.mark + tick * Decimal::from(ticks)).max(floor);
            let index = mark + tick * Decimal::from(index_ticks);
            let funding = Decimal::new(1, 4) + Decimal::new(funding_steps, 6);
            let volume = m.rules.min_qty * Decimal::from(volume_steps);
            let m = &mut self.markets[i];
            m.index = index;
            m.funding_rate = funding;
            m.last_qty = volume;
            if let Some(c) = m.current_candle(now) {
                c.trade(mark, volume, ticks >= 0);
            }
            self.move_mark(i, mark, now);
        }
    }

    /// Publishes every symbol's `<symbol>@ticker` (24hr rolling window statistics) and
    /// `<symbol>@miniTicker` (the same window's `24hrMiniTicker`: `e`, `E`, `s`, `c`, `o`, `h`,
    /// `l`, `v`, `q`, as "Individual Symbol Mini Ticker Stream" gives it).
    pub(in crate::binance_usdm) fn publish_tickers(&mut self, now: i64) {
        if !self.listening() {
            return;
        }
        for i in 0..self.markets.len() {
            if !self.watched(self.markets[i].symbol) {
                continue;
            }
            let m = &mut self.markets[i];
            m.current_candle(now);
            let lower = lower(m.symbol);
            let ticker = m.ticker_event(now);
            let mut mini = serde_json::Map::new();
            mini.insert("e".into(), json!("24hrMiniTicker"));
            for field in ["E", "s", "c", "o", "h", "l", "v", "q"] {
                mini.insert(field.into(), ticker[field].clone());
            }
            self.publish(SimEvent::market(format!("{lower}@ticker"), ticker));
            self.publish(SimEvent::market(
                format!("{lower}@miniTicker"),
                Value::Object(mini),
            ));
        }
    }

    /// Sets `symbol`'s mark (and index and last price) to `price`, then runs triggers and fills.
    pub(in crate::binance_usdm) fn set_mark(
        &mut self,
        symbol: &str,
        price: Decimal,
        now: i64,
    ) -> bool {
        let Some(i) = self.market_index(symbol) else {
            return false;
        };
        let m = &mut self.markets[i];
        m.index = price;
        if let Some(c) = m.current_candle(now) {
            c.touch(price);
        }
        self.move_mark(i, price, now);
        true
    }

    pub(super) fn move_mark(&mut self, i: usize, mark: Decimal, now: i64) {
        let symbol = self.markets[i].symbol;
        let watched = self.watched(symbol);
        let m = &mut self.markets[i];
        let before = m.mark;
        m.mark = mark;
        m.last = mark;
        m.update_id += 1;
        if !watched {
            // Nobody receives this symbol's streams: no event is built, and the depth ids move
            // on so that the next depth event's range starts where this one would have ended.
            crate::binance_usdm::ws::skip_depth(m);
            self.run_triggers(symbol, now);
            return;
        }
        let depth_events = crate::binance_usdm::ws::depth_events(m, before, now);
        let m = &self.markets[i];
        let lower = lower(symbol);
        let mark_event = m.mark_price_event(now);
        let book_event = m.book_ticker_event(now);
        let kline_event = m.kline_event(now);
        self.publish(SimEvent::market(format!("{lower}@markPrice"), mark_event));
        self.publish(SimEvent::market(format!("{lower}@bookTicker"), book_event));
        if let Some(data) = kline_event {
            self.publish(SimEvent::market(format!("{lower}@kline_1m"), data));
        }
        for event in depth_events {
            self.publish(event);
        }
        self.run_triggers(symbol, now);
    }
}

/// A past of 1m candles ending at `mark`: a walk drawn backwards in whole ticks, so the last
/// close is exactly the starting mark.
pub(super) fn history(rng: &mut ChaCha8Rng, rules: &Rules, mark: Decimal, now: i64) -> Vec<Candle> {
    let minute = now - now.rem_euclid(MINUTE);
    let floor = rules.min_price + rules.tick * Decimal::from(100);
    let mut close = mark;
    let mut candles = Vec::with_capacity(HISTORY_MINUTES as usize + 1);
    for k in 1..=HISTORY_MINUTES {
        let open = (close + rules.tick * Decimal::from(rng.random_range(-20i64..=20))).max(floor);
        let up = rules.tick * Decimal::from(rng.random_range(0i64..=10));
        let down = rules.tick * Decimal::from(rng.random_range(0i64..=10));
        let volume = rules.min_qty * Decimal::from(rng.random_range(10i64..=500));
        let high = open.max(close) + up;
        let low = (open.min(close) - down).max(floor);
        let vwap = (high + low) / Decimal::TWO;
        candles.push(Candle {
            open_time: minute - k * MINUTE,
            open,
            high,
            low,
            close,
            volume,
            quote_volume: (volume * vwap).round_dp(8),
            trades: u64::try_from(rng.random_range(5i64..=200)).unwrap_or(5),
            taker_base: (volume / Decimal::TWO).round_dp(8),
            taker_quote: (volume * vwap / Decimal::TWO).round_dp(8),
        });
        close = open;
    }
    candles.reverse();
    candles.push(Candle::flat(minute, mark));
    candles
}
