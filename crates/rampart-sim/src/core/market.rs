//! Market data: the seeded price process, 1-minute candles, the synthetic book around the mark,
//! tickers, and the market events of a price move.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

use super::options::{self, OptionQuote};
use super::types::{Book, Candle, Instrument, Level, PublicTrade, Side, Ticker};
use super::{Event, Exchange};

pub(super) const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;
/// Funding every 8 hours (00:00, 08:00, 16:00 UTC).
const FUNDING_INTERVAL: i64 = 8 * 60 * MINUTE;
/// How many 1-minute candles are kept.
const MAX_CANDLES: usize = 20_000;
/// How many trades of the public tape are kept per market.
const MAX_TAPE: usize = 1_000;

/// One instrument's market state.
pub(super) struct Market {
    pub(super) inst: Instrument,
    pub(super) mark: Decimal,
    pub(super) index: Decimal,
    pub(super) last: Decimal,
    pub(super) funding_rate: Decimal,
    /// 1-minute candles of the last price, oldest first.
    pub(super) candles: Vec<Candle>,
    /// Bumped on every book change.
    pub(super) book_seq: u64,
    /// An option's model figures at its last repricing.
    pub(super) quote: Option<OptionQuote>,
    /// Set once an expired instrument has settled: it no longer moves or trades.
    pub(super) settled: bool,
    /// The latest trades on the public tape, oldest first (at most [`MAX_TAPE`]).
    pub(super) tape: std::collections::VecDeque<PublicTrade>,
}

impl Market {
    /// A market at the instrument's starting mark, with `history` minutes of candles drawn
    /// backwards from it in whole ticks (the last close is the starting mark).
    pub(super) fn new(inst: Instrument, rng: &mut ChaCha8Rng, history: usize, now: i64) -> Market {
        let tick = inst.tick_size;
        // Options may be worth a tick; everything else stays at least 100 ticks.
        let floor = if inst.is_option() {
            tick
        } else {
            tick * Decimal::from(100)
        };
        let minute = now - now.rem_euclid(MINUTE);
        let mark = inst.floor_tick(inst.start_mark).max(floor);
        let mut close = mark;
        let mut candles = Vec::with_capacity(history + 1);
        for k in 1..=history as i64 {
            let open = (close + tick * Decimal::from(rng.random_range(-20i64..=20))).max(floor);
            let high = open.max(close) + tick * Decimal::from(rng.random_range(0i64..=10));
            let low =
                (open.min(close) - tick * Decimal::from(rng.random_range(0i64..=10))).max(floor);
            let volume = inst.min_qty * Decimal::from(rng.random_range(10i64..=500));
            candles.push(Candle {
                open_ms: minute - k * MINUTE,
                open,
                high,
                low,
                close,
                volume,
                turnover: (volume * (high + low) / Decimal::TWO).round_dp(8),
            });
            close = open;
        }
        candles.reverse();
        candles.push(Candle::flat(minute, mark));
        Market {
            inst,
            mark,
            index: mark,
            last: mark,
            funding_rate: Decimal::new(1, 4),
            candles,
            book_seq: 1,
            quote: None,
            settled: false,
            tape: std::collections::VecDeque::new(),
        }
    }

    pub(super) fn best_bid(&self) -> Decimal {
        self.inst.floor_tick(self.mark)
    }

    pub(super) fn best_ask(&self) -> Decimal {
        self.inst.tick_up(self.best_bid())
    }

    /// A level's size, set by its price: 1 to 5 book units.
    fn size_at(&self, price: Decimal) -> Decimal {
        let ticks = (price / self.inst.tick_size).trunc();
        let k = (ticks % Decimal::from(5)).abs() + Decimal::ONE;
        self.inst.book_unit * k
    }

    /// Level `i` (0 = best) of the bids (`buy_side`) or asks; `None` past a zero price.
    pub(super) fn level(&self, buy_side: bool, i: usize) -> Option<Level> {
        if !self.inst.tick_steps.is_empty() {
            return self.levels(buy_side).nth(i);
        }
        let n = Decimal::from(i as u64);
        let price = if buy_side {
            self.best_bid() - self.inst.tick_size * n
        } else {
            self.best_ask() + self.inst.tick_size * n
        };
        (price > Decimal::ZERO).then(|| Level {
            price,
            qty: self.size_at(price),
        })
    }

    /// The levels of the bids (`buy_side`) or asks, best first, each on the tick that applies
    /// at its price.
    pub(super) fn levels(&self, buy_side: bool) -> impl Iterator<Item = Level> + '_ {
        let first = if buy_side {
            self.best_bid()
        } else {
            self.best_ask()
        };
        std::iter::successors(Some(first), move |p| {
            Some(if buy_side {
                self.inst.tick_down(*p)
            } else {
                self.inst.tick_up(*p)
            })
        })
        .take_while(|p| *p > Decimal::ZERO)
        .map(|price| Level {
            price,
            qty: self.size_at(price),
        })
    }

    pub(super) fn book(&self, depth: usize, now: i64) -> Book {
        let side = |buy: bool| self.levels(buy).take(depth).collect();
        Book {
            symbol: self.inst.symbol.clone(),
            bids: side(true),
            asks: side(false),
            seq: self.book_seq,
            time_ms: now,
        }
    }

    /// The current candle, opening new ones (flat at the last close) for minutes that passed.
    pub(super) fn current_candle(&mut self, now: i64) -> &mut Candle {
        let minute = now - now.rem_euclid(MINUTE);
        let last_open = self.candles.last().map_or(minute - MINUTE, |c| c.open_ms);
        if last_open < minute {
            let close = self.candles.last().map_or(self.last, |c| c.close);
            // At most a day of flat candles fills a gap.
            let mut t = (last_open + MINUTE).max(minute - 1440 * MINUTE);
            while t <= minute {
                self.candles.push(Candle::flat(t, close));
                t += MINUTE;
            }
            if self.candles.len() > MAX_CANDLES {
                let excess = self.candles.len() - MAX_CANDLES;
                self.candles.drain(..excess);
            }
        }
        // Never empty here: with no candle, `last_open` is the previous minute and the loop
        // above pushed at least the current one.
        let i = self.candles.len().saturating_sub(1);
        &mut self.candles[i]
    }

    pub(super) fn ticker(&self, open_interest: Decimal, now: i64) -> Ticker {
        let from = now - DAY;
        let window: Vec<&Candle> = self.candles.iter().filter(|c| c.open_ms >= from).collect();
        let prev = window.first().map_or(self.last, |c| c.open);
        let high = window.iter().map(|c| c.high).max().unwrap_or(self.last);
        let low = window.iter().map(|c| c.low).min().unwrap_or(self.last);
        let volume = window.iter().map(|c| c.volume).sum();
        let turnover = window
            .iter()
            .map(|c| c.turnover)
            .sum::<Decimal>()
            .round_dp(8);
        let level = |buy| {
            self.level(buy, 0).unwrap_or(Level {
                price: Decimal::ZERO,
                qty: Decimal::ZERO,
            })
        };
        Ticker {
            symbol: self.inst.symbol.clone(),
            last: self.last,
            mark: self.mark,
            index: self.index,
            bid: level(true),
            ask: level(false),
            prev_price_24h: prev,
            high_24h: high,
            low_24h: low,
            volume_24h: volume,
            turnover_24h: turnover,
            funding_rate: self.funding_rate,
            next_funding_ms: now - now.rem_euclid(FUNDING_INTERVAL) + FUNDING_INTERVAL,
            open_interest,
            time_ms: now,
        }
    }
}

impl Exchange {
    /// One step of the price process for every market: the mark moves −3 ..= 3 ticks (never
    /// below 100 ticks), the index sits within two ticks of it, the funding rate wanders around
    /// 0.01%, and a trade of 1 ..= 20 minimum quantities prints at the new price. Then resting
    /// orders and triggers the move reached are run.
    pub fn step(&mut self, now: i64) {
        for i in 0..self.markets.len() {
            // Options follow their underlying (below); settled instruments no longer move.
            if self.markets[i].inst.is_option() || self.markets[i].settled {
                continue;
            }
            let ticks = self.rng.random_range(-3i64..=3);
            let index_ticks = self.rng.random_range(-2i64..=2);
            let funding_steps = self.rng.random_range(-5i64..=5);
            let lots = self.rng.random_range(1i64..=20);
            let m = &mut self.markets[i];
            let tick = m.inst.tick_size;
            let mark = (m.mark + tick * Decimal::from(ticks)).max(tick * Decimal::from(100));
            m.index = mark + tick * Decimal::from(index_ticks);
            m.funding_rate = Decimal::new(1, 4) + Decimal::new(funding_steps, 6);
            let qty = m.inst.min_qty * Decimal::from(lots);
            let side = if ticks >= 0 { Side::Buy } else { Side::Sell };
            self.move_mark(i, mark, now);
            self.print_trade(i, side, mark, qty, now);
            self.publish_ticker(i, now);
        }
        self.reprice_options(None, now);
    }

    /// Reprices the live options on `underlying` (every underlying when `None`) from the
    /// volatility surface at the underlying's index (see [`super::options`]): the mark is the
    /// model price on the nearest tick; resting orders and triggers it reaches run.
    pub(super) fn reprice_options(&mut self, underlying: Option<&str>, now: i64) {
        for i in 0..self.markets.len() {
            let m = &self.markets[i];
            let Some(spec) = m.inst.option.clone() else {
                continue;
            };
            if m.settled || underlying.is_some_and(|u| u != spec.underlying) {
                continue;
            }
            let Some(forward) = self.market(&spec.underlying).map(|u| u.index) else {
                continue;
            };
            let Some(quote) = self.model_quote(&self.markets[i].inst, forward, now) else {
                continue;
            };
            let mark = quote.mark;
            self.markets[i].index = forward;
            self.markets[i].quote = Some(quote);
            if self.markets[i].mark != mark {
                self.move_mark(i, mark, now);
            }
            self.publish_ticker(i, now);
        }
    }

    /// An option's model figures at `forward` and `now`; `None` for a non-option or a
    /// non-positive forward.
    pub(super) fn model_quote(
        &self,
        inst: &Instrument,
        forward: Decimal,
        now: i64,
    ) -> Option<OptionQuote> {
        let spec = inst.option.as_ref()?;
        if forward <= Decimal::ZERO {
            return None;
        }
        let years = options::years_to(inst.expiry_ms.unwrap_or(now), now);
        let surface = self.surface(&spec.underlying);
        let vol = surface.vol(spec.strike, forward, years);
        let (usd, greeks) = options::black76(spec.kind, forward, spec.strike, vol, years);
        let theoretical = options::coin_price(usd, forward).round_dp(8);
        // The nearest tick (a worthless option marks at 0).
        let half = inst.tick_at(theoretical) / Decimal::TWO;
        let mark = inst.floor_tick(theoretical + half).max(Decimal::ZERO);
        Some(OptionQuote {
            mark,
            theoretical,
            mark_iv: vol,
            underlying_price: forward,
            greeks,
            time_ms: now,
        })
    }

    /// The volatility surface of an underlying (the default one unless configured).
    pub(super) fn surface(&self, underlying: &str) -> options::VolSurface {
        self.config
            .vol_surfaces
            .iter()
            .find(|(u, _)| u == underlying)
            .map(|(_, s)| *s)
            .unwrap_or_default()
    }

    /// An option's model figures at its last repricing (mark, volatility, forward, greeks).
    pub fn option_quote(&self, symbol: &str) -> Option<OptionQuote> {
        self.market(symbol).and_then(|m| m.quote.clone())
    }

    /// Sets `symbol`'s mark, index and last price to `price`, then runs the resting orders and
    /// triggers it reached. False for an unknown symbol or a non-positive price.
    pub fn set_mark(&mut self, symbol: &str, price: Decimal, now: i64) -> bool {
        let Some(i) = self.market_index(symbol) else {
            return false;
        };
        if price <= Decimal::ZERO {
            return false;
        }
        self.markets[i].index = price;
        self.move_mark(i, price, now);
        self.markets[i].current_candle(now).touch(price);
        self.publish_ticker(i, now);
        self.reprice_options(Some(symbol), now);
        true
    }

    /// `symbol`'s mark price.
    pub fn mark(&self, symbol: &str) -> Option<Decimal> {
        self.market(symbol).map(|m| m.mark)
    }

    /// Moves the mark (and last price), publishes the book, fills crossed resting orders and
    /// fires reached triggers.
    fn move_mark(&mut self, i: usize, mark: Decimal, now: i64) {
        let m = &mut self.markets[i];
        let moved = m.mark != mark;
        m.mark = mark;
        m.last = mark;
        if moved {
            m.book_seq += 1;
            if self.listening() {
                let book = self.markets[i].book(super::PUBLISHED_BOOK_DEPTH, now);
                self.publish(Event::Book(book));
            }
        }
        let symbol = self.markets[i].inst.symbol.clone();
        self.fill_crossed(&symbol, now);
        self.run_triggers(&symbol, now);
    }

    /// Prints a trade on the tape: last price, candle, events.
    pub(super) fn print_trade(
        &mut self,
        i: usize,
        taker_side: Side,
        price: Decimal,
        qty: Decimal,
        now: i64,
    ) -> u64 {
        self.next_trade_id += 1;
        let trade_id = self.next_trade_id;
        let m = &mut self.markets[i];
        m.last = price;
        let candle = *{
            let c = m.current_candle(now);
            c.trade(price, qty);
            c
        };
        let trade = PublicTrade {
            trade_id,
            symbol: self.markets[i].inst.symbol.clone(),
            taker_side,
            price,
            qty,
            time_ms: now,
        };
        let tape = &mut self.markets[i].tape;
        if tape.len() >= MAX_TAPE {
            tape.pop_front();
        }
        tape.push_back(trade.clone());
        if self.listening() {
            let symbol = trade.symbol.clone();
            self.publish(Event::Trade(trade));
            self.publish(Event::Candle { symbol, candle });
        }
        trade_id
    }

    fn publish_ticker(&self, i: usize, now: i64) {
        if self.listening() {
            let m = &self.markets[i];
            self.publish(Event::Ticker(
                m.ticker(self.open_interest(&m.inst.symbol), now),
            ));
        }
    }

    fn open_interest(&self, symbol: &str) -> Decimal {
        self.accounts
            .values()
            .filter_map(|a| a.positions.get(symbol))
            .map(|p| p.size.abs())
            .sum()
    }

    /// `symbol`'s ticker now.
    pub fn ticker(&mut self, symbol: &str, now: i64) -> Option<Ticker> {
        let i = self.market_index(symbol)?;
        self.markets[i].current_candle(now);
        let oi = self.open_interest(symbol);
        Some(self.markets[i].ticker(oi, now))
    }

    /// The latest `count` trades of `symbol`'s public tape (the last 1,000 are kept), newest
    /// first.
    pub fn recent_trades(&self, symbol: &str, count: usize) -> Option<Vec<PublicTrade>> {
        self.market(symbol)
            .map(|m| m.tape.iter().rev().take(count).cloned().collect())
    }

    /// The top `depth` levels of each side of `symbol`'s book.
    pub fn book(&self, symbol: &str, depth: usize, now: i64) -> Option<Book> {
        self.market(symbol).map(|m| m.book(depth, now))
    }

    /// Candles of `interval_minutes` (1, 3, 5, 15, 60, 240, 1440, …; aggregated from 1-minute
    /// candles, aligned to the epoch) whose open time lies in `start ..= end`, newest first, at
    /// most `limit`.
    pub fn candles(
        &mut self,
        symbol: &str,
        interval_minutes: u32,
        start: Option<i64>,
        end: Option<i64>,
        limit: usize,
        now: i64,
    ) -> Option<Vec<Candle>> {
        let i = self.market_index(symbol)?;
        let m = &mut self.markets[i];
        m.current_candle(now);
        let span = MINUTE * i64::from(interval_minutes.max(1));
        let mut out: Vec<Candle> = Vec::new();
        for c in m.candles.iter().rev() {
            let open = c.open_ms - c.open_ms.rem_euclid(span);
            if end.is_some_and(|e| open > e) {
                continue;
            }
            match out.last_mut() {
                Some(agg) if agg.open_ms == open => {
                    // Walking backwards: this candle is earlier.
                    agg.open = c.open;
                    agg.high = agg.high.max(c.high);
                    agg.low = agg.low.min(c.low);
                    agg.volume += c.volume;
                    agg.turnover += c.turnover;
                }
                _ => {
                    if start.is_some_and(|s| open < s) || out.len() >= limit {
                        break;
                    }
                    let mut agg = *c;
                    agg.open_ms = open;
                    out.push(agg);
                }
            }
        }
        Some(out)
    }
}
