//! The simulated exchange: a seeded price process per symbol, a book around the mark price,
//! matching (market, limit, IOC/FOK/GTX, reduce-only), the Algo Service's conditional orders
//! (stop and take-profit triggers that place a regular order, see [`super::algo`]), one-way
//! cross-margin positions with realised PnL into the wallet, and the documented JSON of each
//! answer and stream event.
//!
//! Everything is `rust_decimal`; the random walk draws whole ticks from a ChaCha8 generator
//! seeded from [`super::SimConfig::seed`], so a seed gives the same prices every run.

use std::collections::{BTreeSet, HashMap, VecDeque};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::algo::{self, Actual, AlgoOrder, Trailing};
use super::market::{self, Rules};
use super::orders::OrderStore;
use super::{BinanceError, SimConfig, SimEvent, auth};

/// One minute in ms.
const MINUTE: i64 = 60_000;
/// Funding every 8 hours (00:00, 08:00, 16:00 UTC).
const FUNDING_INTERVAL: i64 = 8 * 60 * MINUTE;
/// How many 1m candles exist before the simulator starts.
const HISTORY_MINUTES: i64 = 1_500;
/// How many 1m candles are kept.
const MAX_CANDLES: usize = 20_000;
/// The rolling window of the `<symbol>@ticker` statistics: 24 hours.
const DAY: i64 = 24 * 60 * MINUTE;
/// The deepest level a taker order walks (the book is synthetic and this deep on each side).
pub(super) const BOOK_LEVELS: usize = 1_000;

/// One 1-minute candle.
#[derive(Debug, Clone)]
struct Candle {
    open_time: i64,
    open: Decimal,
    high: Decimal,
    low: Decimal,
    close: Decimal,
    volume: Decimal,
    quote_volume: Decimal,
    trades: u64,
    taker_base: Decimal,
    taker_quote: Decimal,
}

impl Candle {
    fn flat(open_time: i64, price: Decimal) -> Candle {
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
    fn touch(&mut self, price: Decimal) {
        self.high = self.high.max(price);
        self.low = self.low.min(price);
        self.close = price;
    }

    fn trade(&mut self, price: Decimal, qty: Decimal, taker_buy: bool) {
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
fn id_number(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

/// `d` with exactly `scale` decimals, as Binance prints prices and quantities.
fn fixed(d: Decimal, scale: u32) -> String {
    let mut d = d;
    d.rescale(scale);
    d.to_string()
}

/// One symbol's market: prices, funding and its candle history.
pub(super) struct Market {
    pub(super) symbol: &'static str,
    pub(super) rules: Rules,
    pub(super) mark: Decimal,
    pub(super) index: Decimal,
    pub(super) last: Decimal,
    pub(super) funding_rate: Decimal,
    /// Book update id, bumped on every price change or trade.
    pub(super) update_id: u64,
    /// The `u` of the last diff depth event published (the next one's `pu`); see
    /// [`super::book_streams`].
    pub(super) depth_u: u64,
    candles: Vec<Candle>,
    /// The quantity of the last trade (an execution or the price process's volume).
    last_qty: Decimal,
    /// (time, trade id) of the executions of the last 24 hours, oldest first: the ticker's
    /// first and last trade ids.
    trade_ids: VecDeque<(i64, u64)>,
}

impl Market {
    /// A price at the symbol's tick precision.
    fn px(&self, d: Decimal) -> String {
        fixed(d, self.rules.tick.scale())
    }

    /// A quantity at the symbol's step precision.
    fn qty(&self, d: Decimal) -> String {
        fixed(d, self.rules.step.scale())
    }

    /// Best bid: the mark price; best ask: one tick above it.
    pub(super) fn best_bid(&self) -> Decimal {
        self.mark
    }

    pub(super) fn best_ask(&self) -> Decimal {
        self.mark + self.rules.tick
    }

    /// Level `i` (0 = best) on one side: (price, size). Bids step down a tick per level, asks
    /// up. A price keeps its size while the mark moves (see [`super::book_streams::size_at`]:
    /// at the starting mark level `i` holds `(i + 1)` times the symbol's level size), so a move
    /// changes only the levels that cross sides or enter and leave the book's depth, as the
    /// diff depth stream reports.
    pub(super) fn level(&self, buy_side: bool, i: usize) -> (Decimal, Decimal) {
        let n = Decimal::from(i as u64);
        let price = if buy_side {
            self.best_bid() - self.rules.tick * n
        } else {
            self.best_ask() + self.rules.tick * n
        };
        (price, super::book_streams::size_at(self, buy_side, price))
    }

    fn next_funding_time(now: i64) -> i64 {
        now - now.rem_euclid(FUNDING_INTERVAL) + FUNDING_INTERVAL
    }

    fn current_candle(&mut self, now: i64) -> Option<&mut Candle> {
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

    /// The `markPriceUpdate` stream payload.
    fn mark_price_event(&self, now: i64) -> Value {
        json!({
            "e": "markPriceUpdate",
            "E": now,
            "s": self.symbol,
            "p": fixed(self.mark, 8),
            "i": fixed(self.index, 8),
            "P": fixed(self.mark, 8),
            "r": fixed(self.funding_rate, 8),
            "T": Market::next_funding_time(now),
        })
    }

    /// The `bookTicker` stream payload.
    fn book_ticker_event(&self, now: i64) -> Value {
        let (bid, bid_qty) = self.level(true, 0);
        let (ask, ask_qty) = self.level(false, 0);
        json!({
            "e": "bookTicker",
            "u": self.update_id,
            "E": now,
            "T": now,
            "s": self.symbol,
            "b": self.px(bid),
            "B": self.qty(bid_qty),
            "a": self.px(ask),
            "A": self.qty(ask_qty),
        })
    }

    /// The `kline` stream payload for the current 1m candle.
    fn kline_event(&self, now: i64) -> Option<Value> {
        let c = self.candles.last()?;
        let open_time = c.open_time;
        Some(json!({
            "e": "kline",
            "E": now,
            "s": self.symbol,
            "k": {
                "t": open_time,
                "T": open_time + MINUTE - 1,
                "s": self.symbol,
                "i": "1m",
                "f": 0,
                "L": 0,
                "o": self.px(c.open),
                "c": self.px(c.close),
                "h": self.px(c.high),
                "l": self.px(c.low),
                "v": self.qty(c.volume),
                "n": c.trades,
                "x": false,
                "q": fixed(c.quote_volume, 8),
                "V": self.qty(c.taker_base),
                "Q": fixed(c.taker_quote, 8),
                "B": "0"
            }
        }))
    }

    /// The `24hrTicker` payload of `<symbol>@ticker` ("24hr rolling window ticker statistics
    /// for a single symbol"), from the 1m candles of the last 24 hours: the window opens at the
    /// start of the oldest of the 1440 minutes up to `now` (`O`) and closes now (`C`); `o`, `h`,
    /// `l`, `v`, `q` and `n` are the candles' open, high, low, volumes and trade count, `c` the
    /// last price, `Q` the last trade's quantity, `w` = `q` / `v` (the last price when nothing
    /// traded), `p` = `c` - `o` and `P` = `p` / `o` in percent (3 decimals). The candles count
    /// the price process's volume, which carries no trade ids: `F` and `L` are the ids of the
    /// first and last execution in the window (the ids `aggTrade` and the user stream report),
    /// -1 when there was none. Call [`Market::current_candle`] first so the window is current.
    fn ticker_event(&self, now: i64) -> Value {
        let minute = now - now.rem_euclid(MINUTE);
        let start = minute - (DAY - MINUTE);
        let window: Vec<&Candle> = self
            .candles
            .iter()
            .filter(|c| c.open_time >= start)
            .collect();
        let open = window.first().map_or(self.last, |c| c.open);
        let open_time = window.first().map_or(minute, |c| c.open_time);
        let high = window.iter().map(|c| c.high).max().unwrap_or(self.last);
        let low = window.iter().map(|c| c.low).min().unwrap_or(self.last);
        let volume: Decimal = window.iter().map(|c| c.volume).sum();
        let quote: Decimal = window.iter().map(|c| c.quote_volume).sum();
        let trades: u64 = window.iter().map(|c| c.trades).sum();
        let close = self.last;
        let change = close - open;
        let percent = if open.is_zero() {
            Decimal::ZERO
        } else {
            (change / open * Decimal::ONE_HUNDRED).round_dp(3)
        };
        let weighted = if volume.is_zero() {
            close
        } else {
            (quote / volume).round_dp(self.rules.tick.scale())
        };
        // Oldest first: the first in the window, and the newest when it is in the window.
        let in_window = |(t, id): &(i64, u64)| (*t >= open_time).then(|| id_number(*id));
        let first_id = self.trade_ids.iter().find_map(in_window).unwrap_or(-1);
        let last_id = self.trade_ids.back().and_then(in_window).unwrap_or(-1);
        json!({
            "e": "24hrTicker",
            "E": now,
            "s": self.symbol,
            "p": self.px(change),
            "P": fixed(percent, 3),
            "w": self.px(weighted),
            "c": self.px(close),
            "Q": self.qty(self.last_qty),
            "o": self.px(open),
            "h": self.px(high),
            "l": self.px(low),
            "v": self.qty(volume),
            "q": fixed(quote, 8),
            "O": open_time,
            "C": now,
            "F": first_id,
            "L": last_id,
            "n": trades,
        })
    }

    /// `GET /fapi/v1/premiumIndex` for this symbol.
    pub(super) fn premium_index(&self, now: i64) -> Value {
        json!({
            "symbol": self.symbol,
            "markPrice": fixed(self.mark, 8),
            "indexPrice": fixed(self.index, 8),
            "estimatedSettlePrice": fixed(self.mark, 8),
            "lastFundingRate": fixed(self.funding_rate, 8),
            "interestRate": "0.00010000",
            "nextFundingTime": Market::next_funding_time(now),
            "time": now,
        })
    }

    /// `GET /fapi/v1/depth` with `limit` levels each side.
    pub(super) fn depth(&self, limit: usize, now: i64) -> Value {
        let side = |buy: bool| -> Vec<Value> {
            (0..limit)
                .map(|i| self.level(buy, i))
                .filter(|(p, _)| *p > Decimal::ZERO)
                .map(|(p, q)| json!([self.px(p), self.qty(q)]))
                .collect()
        };
        json!({
            "lastUpdateId": self.update_id,
            "E": now,
            "T": now,
            "bids": side(true),
            "asks": side(false),
        })
    }

    /// `GET /fapi/v1/klines`: candles of `interval_ms`, aggregated from the 1m history.
    pub(super) fn klines(
        &self,
        interval_ms: i64,
        start: Option<i64>,
        end: Option<i64>,
        limit: usize,
    ) -> Value {
        let mut out: Vec<Candle> = Vec::new();
        for c in &self.candles {
            let bucket = c.open_time - c.open_time.rem_euclid(interval_ms);
            match out.last_mut() {
                Some(agg) if agg.open_time == bucket => {
                    agg.high = agg.high.max(c.high);
                    agg.low = agg.low.min(c.low);
                    agg.close = c.close;
                    agg.volume += c.volume;
                    agg.quote_volume += c.quote_volume;
                    agg.trades += c.trades;
                    agg.taker_base += c.taker_base;
                    agg.taker_quote += c.taker_quote;
                }
                _ => {
                    let mut agg = c.clone();
                    agg.open_time = bucket;
                    out.push(agg);
                }
            }
        }
        let in_range = out.into_iter().filter(|c| {
            start.is_none_or(|s| c.open_time >= s) && end.is_none_or(|e| c.open_time <= e)
        });
        let chosen: Vec<Candle> = if start.is_some() {
            in_range.take(limit).collect()
        } else {
            let all: Vec<Candle> = in_range.collect();
            let skip = all.len().saturating_sub(limit);
            all.into_iter().skip(skip).collect()
        };
        Value::Array(
            chosen
                .iter()
                .map(|c| {
                    json!([
                        c.open_time,
                        self.px(c.open),
                        self.px(c.high),
                        self.px(c.low),
                        self.px(c.close),
                        self.qty(c.volume),
                        c.open_time + interval_ms - 1,
                        fixed(c.quote_volume, 8),
                        c.trades,
                        self.qty(c.taker_base),
                        fixed(c.taker_quote, 8),
                        "0"
                    ])
                })
                .collect(),
        )
    }
}

/// A one-way (positionSide BOTH) cross-margin position.
#[derive(Debug, Clone, Default)]
pub(super) struct Position {
    pub(super) amt: Decimal,
    pub(super) entry: Decimal,
    /// Accumulated realised PnL (`cr` in ACCOUNT_UPDATE).
    pub(super) realized: Decimal,
    pub(super) update_time: i64,
}

/// One account's wallet, leverage settings and positions.
pub(super) struct Account {
    pub(super) wallet: Decimal,
    pub(super) leverage: HashMap<String, u32>,
    pub(super) positions: HashMap<String, Position>,
    pub(super) update_time: i64,
    /// Every execution of the account's orders, oldest first (`GET /fapi/v1/userTrades`).
    pub(super) trades: Vec<AccountTrade>,
}

/// One execution of an account's order, as Account Trade List shows it.
#[derive(Debug, Clone)]
pub(super) struct AccountTrade {
    pub(super) id: u64,
    pub(super) order_id: u64,
    pub(super) symbol: String,
    side: Side,
    price: Decimal,
    qty: Decimal,
    realized_pnl: Decimal,
    maker: bool,
    pub(super) time: i64,
}

impl AccountTrade {
    /// The documented row: commission is 0 in USDT (the simulator charges no fees, as its
    /// ORDER_TRADE_UPDATE events say with `"n": "0"`).
    pub(super) fn to_json(&self) -> Value {
        json!({
            "buyer": self.side == Side::Buy,
            "commission": "0",
            "commissionAsset": "USDT",
            "id": self.id,
            "maker": self.maker,
            "orderId": self.order_id,
            "price": self.price.normalize().to_string(),
            "qty": self.qty.normalize().to_string(),
            "quoteQty": (self.price * self.qty).normalize().to_string(),
            "realizedPnl": self.realized_pnl.round_dp(8).normalize().to_string(),
            "side": self.side.as_str(),
            "positionSide": "BOTH",
            "symbol": self.symbol,
            "time": self.time,
        })
    }
}

const DEFAULT_LEVERAGE: u32 = 20;

impl Account {
    pub(super) fn leverage(&self, symbol: &str) -> u32 {
        self.leverage
            .get(symbol)
            .copied()
            .unwrap_or(DEFAULT_LEVERAGE)
    }

    pub(super) fn position(&self, symbol: &str) -> Position {
        self.positions.get(symbol).cloned().unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Buy,
    Sell,
}

impl Side {
    fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }

    fn sign(self) -> Decimal {
        match self {
            Side::Buy => Decimal::ONE,
            Side::Sell => Decimal::NEGATIVE_ONE,
        }
    }
}

/// One order, as the simulator keeps it.
#[derive(Debug, Clone)]
pub(super) struct Order {
    pub(super) order_id: u64,
    pub(super) api_key: String,
    pub(super) symbol: String,
    pub(super) client_id: String,
    side: Side,
    /// LIMIT or MARKET (conditional types go through the Algo Service).
    order_type: String,
    time_in_force: String,
    qty: Decimal,
    price: Decimal,
    stop_price: Decimal,
    working_type: String,
    reduce_only: bool,
    close_position: bool,
    price_protect: bool,
    good_till_date: i64,
    pub(super) status: String,
    executed: Decimal,
    cum_quote: Decimal,
    pub(super) time: i64,
    update_time: i64,
    /// The algo order whose trigger placed this order, if any.
    parent_algo: Option<u64>,
}

impl Order {
    pub(super) fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "NEW" | "PARTIALLY_FILLED")
    }

    fn is_market(&self) -> bool {
        self.order_type == "MARKET"
    }

    /// Filled, canceled or expired: nothing more will happen to it.
    fn is_done(&self) -> bool {
        !self.is_open()
    }

    /// The notional an open order holds initial margin for (none for reduce-only orders).
    pub(super) fn margin_at(&self, mark: Decimal) -> Decimal {
        if self.reduce_only || self.close_position {
            Decimal::ZERO
        } else {
            self.remaining() * order_price(self, mark)
        }
    }

    fn remaining(&self) -> Decimal {
        self.qty - self.executed
    }

    fn avg_price(&self) -> Decimal {
        if self.executed.is_zero() {
            Decimal::ZERO
        } else {
            (self.cum_quote / self.executed).round_dp(8).normalize()
        }
    }

    /// The order as `GET /fapi/v1/order` and `POST /fapi/v1/order` answer it.
    pub(super) fn to_json(&self) -> Value {
        let avg = if self.executed.is_zero() {
            "0.00000".to_owned()
        } else {
            self.avg_price().to_string()
        };
        json!({
            "orderId": self.order_id,
            "symbol": self.symbol,
            "status": self.status,
            "clientOrderId": self.client_id,
            "price": self.price.to_string(),
            "avgPrice": avg,
            "origQty": self.qty.to_string(),
            "executedQty": self.executed.to_string(),
            "cumQty": self.executed.to_string(),
            "cumQuote": self.cum_quote.normalize().to_string(),
            "timeInForce": self.time_in_force,
            "type": self.order_type,
            "reduceOnly": self.reduce_only,
            "closePosition": self.close_position,
            "side": self.side.as_str(),
            "positionSide": "BOTH",
            "stopPrice": self.stop_price.to_string(),
            "workingType": self.working_type,
            "priceProtect": self.price_protect,
            "origType": self.order_type,
            "priceMatch": "NONE",
            "selfTradePreventionMode": "EXPIRE_MAKER",
            "goodTillDate": self.good_till_date,
            "time": self.time,
            "updateTime": self.update_time,
        })
    }
}

/// One account's margin figures, all at the mark price.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Margins {
    pub(super) wallet: Decimal,
    pub(super) unrealized_pnl: Decimal,
    /// Initial margin of the positions.
    pub(super) position_initial: Decimal,
    /// Initial margin held by open orders.
    pub(super) open_order_initial: Decimal,
    pub(super) maintenance: Decimal,
}

impl Margins {
    /// availableBalance: wallet + unrealised PnL − position and open-order initial margin.
    pub(super) fn available(&self) -> Decimal {
        self.wallet + self.unrealized_pnl - self.position_initial - self.open_order_initial
    }
}

/// One execution to report: (quantity, price, maker?, realised PnL, trade id).
struct Execution {
    qty: Decimal,
    price: Decimal,
    maker: bool,
    realized: Decimal,
    trade_id: u64,
}

/// All trading state, behind one lock so that every event goes out in order.
pub(super) struct Exchange {
    pub(super) markets: Vec<Market>,
    pub(super) accounts: HashMap<String, Account>,
    /// Every accepted regular order, with the indexes of the open ones.
    pub(super) orders: OrderStore,
    /// Algo (conditional) orders by algoId.
    pub(super) algos: HashMap<u64, AlgoOrder>,
    /// The algo orders waiting for their trigger (status NEW), per symbol: what a price move
    /// checks.
    waiting_algos: HashMap<&'static str, BTreeSet<u64>>,
    next_order_id: u64,
    next_algo_id: u64,
    next_trade_id: u64,
    rng: ChaCha8Rng,
    /// countdownCancelAll deadlines: (api key, symbol) → server ms.
    pub(super) countdowns: HashMap<(String, String), i64>,
    events: broadcast::Sender<SimEvent>,
}

fn lower(symbol: &str) -> String {
    symbol.to_ascii_lowercase()
}

impl Exchange {
    pub(super) fn new(
        config: &SimConfig,
        events: broadcast::Sender<SimEvent>,
        now: i64,
    ) -> Exchange {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let markets = market::SYMBOLS
            .iter()
            .filter_map(|s| market::rules(s).map(|r| (*s, r)))
            .map(|(symbol, rules)| {
                let mark = market::mark_price(symbol);
                let candles = history(&mut rng, &rules, mark, now);
                Market {
                    symbol,
                    rules,
                    mark,
                    index: mark,
                    last: mark,
                    funding_rate: Decimal::new(1, 4),
                    update_id: 1,
                    depth_u: 1,
                    candles,
                    last_qty: Decimal::ZERO,
                    trade_ids: VecDeque::new(),
                }
            })
            .collect();
        let accounts = config
            .accounts
            .iter()
            .map(|a| {
                (
                    a.api_key.clone(),
                    Account {
                        wallet: config.usdt_balance,
                        leverage: HashMap::new(),
                        positions: HashMap::new(),
                        // Funded at start: Binance reports 0 only for assets never used, and
                        // clients (ccxt among them) drop such rows from the balance.
                        update_time: now,
                        trades: Vec::new(),
                    },
                )
            })
            .collect();
        Exchange {
            markets,
            accounts,
            orders: OrderStore::default(),
            algos: HashMap::new(),
            waiting_algos: HashMap::new(),
            next_order_id: 0,
            next_algo_id: 0,
            next_trade_id: 0,
            rng,
            countdowns: HashMap::new(),
            events,
        }
    }

    fn publish(&self, event: SimEvent) {
        // No receiver is fine: nobody is listening yet.
        let _ = self.events.send(event);
    }

    pub(super) fn market(&self, symbol: &str) -> Option<&Market> {
        self.markets.iter().find(|m| m.symbol == symbol)
    }

    fn market_index(&self, symbol: &str) -> Option<usize> {
        self.markets.iter().position(|m| m.symbol == symbol)
    }

    /// One step of the random walk for every symbol: the mark moves by -3..=3 ticks, the index
    /// sits within two ticks of it, the funding rate wanders around 0.01%.
    pub(super) fn step(&mut self, now: i64) {
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
    pub(super) fn publish_tickers(&mut self, now: i64) {
        for i in 0..self.markets.len() {
            let m = &mut self.markets[i];
            m.current_candle(now);
            let lower = lower(m.symbol);
            let ticker = m.ticker_event(now);
            let mut mini = serde_json::Map::new();
            mini.insert("e".into(), json!("24hrMiniTicker"));
            for field in ["E", "s", "c", "o", "h", "l", "v", "q"] {
                mini.insert(field.into(), ticker[field].clone());
            }
            self.publish(SimEvent::Market {
                stream: format!("{lower}@ticker"),
                data: ticker,
            });
            self.publish(SimEvent::Market {
                stream: format!("{lower}@miniTicker"),
                data: Value::Object(mini),
            });
        }
    }

    /// Sets `symbol`'s mark (and index and last price) to `price`, then runs triggers and fills.
    pub(super) fn set_mark(&mut self, symbol: &str, price: Decimal, now: i64) -> bool {
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

    fn move_mark(&mut self, i: usize, mark: Decimal, now: i64) {
        let m = &mut self.markets[i];
        let before = m.mark;
        m.mark = mark;
        m.last = mark;
        m.update_id += 1;
        let symbol = m.symbol;
        let lower = lower(symbol);
        let mark_event = m.mark_price_event(now);
        let book_event = m.book_ticker_event(now);
        let kline_event = m.kline_event(now);
        let depth_events = super::book_streams::depth_events(m, before, now);
        self.publish(SimEvent::Market {
            stream: format!("{lower}@markPrice"),
            data: mark_event,
        });
        self.publish(SimEvent::Market {
            stream: format!("{lower}@bookTicker"),
            data: book_event,
        });
        if let Some(data) = kline_event {
            self.publish(SimEvent::Market {
                stream: format!("{lower}@kline_1m"),
                data,
            });
        }
        for event in depth_events {
            self.publish(event);
        }
        self.run_triggers(symbol, now);
    }

    /// Fills resting limits the price moved through, oldest first, then triggers the algo
    /// orders whose trigger price was reached (oldest first), at the prices of this move.
    fn run_triggers(&mut self, symbol: &str, now: i64) {
        let Some(m) = self.market(symbol) else {
            return;
        };
        let (mark, last, bid, ask) = (m.mark, m.last, m.best_bid(), m.best_ask());
        self.fill_crossed(symbol, bid, ask, now);
        let waiting: Vec<u64> = self
            .waiting_algos
            .get(symbol)
            .map(|ids| ids.iter().copied().collect())
            .unwrap_or_default();
        for id in &waiting {
            if let Some(a) = self.algos.get_mut(id) {
                a.observe(if a.working_type == "MARK_PRICE" {
                    mark
                } else {
                    last
                });
            }
        }
        let mut due: Vec<u64> = waiting
            .iter()
            .filter_map(|id| self.algos.get(id))
            .filter(|a| a.status == "NEW")
            .filter(|a| {
                let reference = if a.working_type == "MARK_PRICE" {
                    mark
                } else {
                    last
                };
                a.reached(reference)
            })
            .map(|a| a.algo_id)
            .collect();
        due.sort_unstable();
        for algo_id in due {
            self.trigger_algo(algo_id, now);
        }
    }

    /// Fills the resting limits of `symbol` that the best bid / ask crossed, oldest first.
    fn fill_crossed(&mut self, symbol: &str, bid: Decimal, ask: Decimal, now: i64) {
        for id in self.orders.open_ids_on_symbol(symbol) {
            let Some(order) = self.orders.get(id) else {
                continue;
            };
            // A resting limit fills at its price once the opposite best crosses it.
            let crossed = match order.side {
                Side::Buy => ask <= order.price,
                Side::Sell => bid >= order.price,
            };
            if crossed {
                let (qty, price) = (order.remaining(), order.price);
                self.fill_resting(id, qty, price, now);
            }
        }
    }

    /// Fills part or all of a resting (maker) order at `price`.
    fn fill_resting(&mut self, id: u64, qty: Decimal, price: Decimal, now: i64) {
        let Some(qty) = self.allowed_qty(id, qty) else {
            self.finish(id, "EXPIRED", now);
            return;
        };
        self.execute(id, qty, price, true, now);
    }

    /// For a reduce-only or close-position order: the part of `qty` that still reduces the
    /// position (`None` when nothing does).
    fn allowed_qty(&self, id: u64, qty: Decimal) -> Option<Decimal> {
        let order = self.orders.get(id)?;
        if !order.reduce_only && !order.close_position {
            return Some(qty);
        }
        let pos = self
            .accounts
            .get(&order.api_key)?
            .position(&order.symbol)
            .amt;
        let reducible = if pos * order.side.sign() < Decimal::ZERO {
            pos.abs()
        } else {
            Decimal::ZERO
        };
        let allowed = qty.min(reducible);
        (allowed > Decimal::ZERO).then_some(allowed)
    }

    /// Runs an order as a taker against the book: a MARKET walks levels until filled; a LIMIT
    /// takes the levels at or better than its price, then rests (GTC/GTD/GTX) or expires
    /// (IOC/FOK).
    fn take(&mut self, id: u64, now: i64) {
        let Some(order) = self.orders.get(id) else {
            return;
        };
        let Some(m) = self.market(&order.symbol) else {
            return;
        };
        let mut wanted = if order.close_position {
            self.accounts
                .get(&order.api_key)
                .map_or(Decimal::ZERO, |a| a.position(&order.symbol).amt.abs())
        } else {
            order.remaining()
        };
        if order.reduce_only || order.close_position {
            wanted = self.allowed_qty(id, wanted).unwrap_or(Decimal::ZERO);
        }
        let market_like = order.is_market();
        let buy = order.side == Side::Buy;
        let limit = order.price;
        let mut fills = Vec::new();
        let mut left = wanted;
        for i in 0..BOOK_LEVELS {
            if left <= Decimal::ZERO {
                break;
            }
            let (price, size) = m.level(!buy, i);
            if price <= Decimal::ZERO {
                break;
            }
            if !market_like && ((buy && price > limit) || (!buy && price < limit)) {
                break;
            }
            let q = left.min(size);
            fills.push((q, price));
            left -= q;
        }
        if wanted.is_zero() {
            self.finish(id, "EXPIRED", now);
            return;
        }
        if order.close_position {
            self.orders.update(id, |o| o.qty = wanted);
        }
        for (q, price) in fills {
            self.execute(id, q, price, false, now);
        }
        let Some(order) = self.orders.get(id) else {
            return;
        };
        if order.is_open() && (market_like || matches!(order.time_in_force.as_str(), "IOC" | "FOK"))
        {
            self.finish(id, "EXPIRED", now);
        }
    }

    /// Ends an open order with `status` (CANCELED or EXPIRED) and reports it.
    pub(super) fn finish(&mut self, id: u64, status: &str, now: i64) {
        let ended = self.orders.update(id, |order| {
            if !order.is_open() {
                return false;
            }
            order.status = status.to_owned();
            order.update_time = now;
            true
        });
        if ended != Some(true) {
            return;
        }
        let event = self.order_event(id, status, None, now);
        self.publish_user(id, event);
        self.settle_algo(id, now);
    }

    /// Publishes `data` to the user stream of the account that owns order `id`.
    fn publish_user(&self, id: u64, data: Option<Value>) {
        let (Some(data), Some(order)) = (data, self.orders.get(id)) else {
            return;
        };
        self.publish(SimEvent::User {
            api_key: order.api_key.clone(),
            data,
        });
    }

    /// One execution of `qty` at `price`: updates the order, the position and the wallet, and
    /// reports ORDER_TRADE_UPDATE (TRADE) and ACCOUNT_UPDATE.
    fn execute(&mut self, id: u64, qty: Decimal, price: Decimal, maker: bool, now: i64) {
        let Some((side, symbol, api_key)) = self.orders.update(id, |order| {
            order.executed += qty;
            order.cum_quote += qty * price;
            order.update_time = now;
            order.status = if order.executed >= order.qty {
                "FILLED".to_owned()
            } else {
                "PARTIALLY_FILLED".to_owned()
            };
            (order.side, order.symbol.clone(), order.api_key.clone())
        }) else {
            return;
        };
        self.next_trade_id += 1;
        let trade_id = self.next_trade_id;
        if let Some(i) = self.market_index(&symbol) {
            let m = &mut self.markets[i];
            m.last = price;
            m.last_qty = qty;
            m.update_id += 1;
            m.trade_ids.push_back((now, trade_id));
            while m
                .trade_ids
                .front()
                .is_some_and(|(t, _)| *t < now - DAY - MINUTE)
            {
                m.trade_ids.pop_front();
            }
            if let Some(c) = m.current_candle(now) {
                c.trade(price, qty, side == Side::Buy);
            }
            let buyer_is_maker = (side == Side::Buy) == maker;
            let trade = super::book_streams::Trade {
                id: trade_id,
                price,
                qty,
                buyer_is_maker,
            };
            let event = super::book_streams::agg_trade_event(m, &trade, now);
            self.publish(event);
        }
        let realized = match self.accounts.get_mut(&api_key) {
            Some(account) => {
                let realized = apply_fill(account, &symbol, side.sign() * qty, price, now);
                account.trades.push(AccountTrade {
                    id: trade_id,
                    order_id: id,
                    symbol: symbol.clone(),
                    side,
                    price,
                    qty,
                    realized_pnl: realized,
                    maker,
                    time: now,
                });
                realized
            }
            None => Decimal::ZERO,
        };
        let execution = Execution {
            qty,
            price,
            maker,
            realized,
            trade_id,
        };
        let event = self.order_event(id, "TRADE", Some(&execution), now);
        self.publish_user(id, event);
        let update = self.account_update(&api_key, &symbol, now);
        self.publish_user(id, update);
        if self.orders.get(id).is_some_and(Order::is_done) {
            self.settle_algo(id, now);
        }
    }

    /// The documented ORDER_TRADE_UPDATE event for `key` with execution type `x`.
    fn order_event(&self, id: u64, x: &str, exec: Option<&Execution>, now: i64) -> Option<Value> {
        let o = self.orders.get(id)?;
        let shown_type = o.order_type.as_str();
        let (last_qty, last_price, maker, realized, trade_id) = match exec {
            Some(e) => (e.qty, e.price, e.maker, e.realized, e.trade_id),
            None => (Decimal::ZERO, Decimal::ZERO, false, Decimal::ZERO, 0),
        };
        Some(json!({
            "e": "ORDER_TRADE_UPDATE",
            "E": now,
            "T": now,
            "o": {
                "s": o.symbol,
                "c": o.client_id,
                "S": o.side.as_str(),
                "o": shown_type,
                "f": o.time_in_force,
                "q": o.qty.to_string(),
                "p": o.price.to_string(),
                "ap": o.avg_price().to_string(),
                "sp": o.stop_price.to_string(),
                "x": x,
                "X": o.status,
                "i": o.order_id,
                "l": last_qty.to_string(),
                "z": o.executed.to_string(),
                "L": last_price.to_string(),
                "N": "USDT",
                "n": "0",
                "T": now,
                "t": trade_id,
                "b": "0",
                "a": "0",
                "m": maker,
                "R": o.reduce_only,
                "wt": o.working_type,
                "ot": o.order_type,
                "ps": "BOTH",
                "cp": o.close_position,
                "rp": realized.to_string(),
                "pP": o.price_protect,
                "si": 0,
                "ss": 0,
                "V": "EXPIRE_MAKER",
                "pm": "NONE",
                "gtd": o.good_till_date
            }
        }))
    }

    /// The documented ACCOUNT_UPDATE event (reason ORDER) for one changed position.
    fn account_update(&self, api_key: &str, symbol: &str, now: i64) -> Option<Value> {
        let account = self.accounts.get(api_key)?;
        let pos = account.position(symbol);
        let mark = self.market(symbol)?.mark;
        Some(json!({
            "e": "ACCOUNT_UPDATE",
            "E": now,
            "T": now,
            "a": {
                "m": "ORDER",
                "B": [{
                    "a": "USDT",
                    "wb": account.wallet.to_string(),
                    "cw": account.wallet.to_string(),
                    "bc": "0"
                }],
                "P": [{
                    "s": symbol,
                    "pa": pos.amt.to_string(),
                    "ep": pos.entry.to_string(),
                    "bep": pos.entry.to_string(),
                    "cr": pos.realized.to_string(),
                    "up": (pos.amt * (mark - pos.entry)).round_dp(8).to_string(),
                    "mt": "cross",
                    "iw": "0",
                    "ps": "BOTH"
                }]
            }
        }))
    }

    /// The account's margin figures at the mark price (all zero for an unknown account). The
    /// open-order part reads only the account's open orders, one symbol at a time.
    pub(super) fn margins(&self, api_key: &str) -> Margins {
        let Some(account) = self.accounts.get(api_key) else {
            return Margins::default();
        };
        let mut margins = Margins {
            wallet: account.wallet,
            ..Margins::default()
        };
        for m in &self.markets {
            let pos = account.position(m.symbol);
            let lev = Decimal::from(account.leverage(m.symbol));
            margins.unrealized_pnl += pos.amt * (m.mark - pos.entry);
            margins.position_initial += pos.amt.abs() * m.mark / lev;
            margins.maintenance += pos.amt.abs() * m.mark * market::maint_margin_rate(m.symbol);
            margins.open_order_initial += self.open_order_margin(api_key, m.symbol, m.mark, lev);
        }
        margins
    }

    fn open_order_margin(
        &self,
        api_key: &str,
        symbol: &str,
        mark: Decimal,
        lev: Decimal,
    ) -> Decimal {
        self.orders
            .open_on(api_key, symbol)
            .map(|o| o.margin_at(mark) / lev)
            .sum()
    }

    /// availableBalance: wallet + unrealised PnL − position and open-order initial margin.
    pub(super) fn available(&self, api_key: &str) -> Decimal {
        self.margins(api_key).available()
    }

    /// `POST /fapi/v1/order`: LIMIT and MARKET. The conditional types answer -4120 since the
    /// Algo Service migration (see [`Exchange::place_algo`]).
    pub(super) fn place(
        &mut self,
        api_key: &str,
        p: &HashMap<String, String>,
        now: i64,
    ) -> Result<Value, BinanceError> {
        let symbol = auth::required(p, "symbol")?;
        let side = side(p)?;
        let order_type = auth::required(p, "type")?;
        let needs_price = match order_type {
            "LIMIT" => true,
            "MARKET" => false,
            t if algo::CONDITIONAL_TYPES.contains(&t) => return Err(BinanceError::AlgoOrderOnly),
            _ => return Err(BinanceError::InvalidOrderType),
        };
        let m = self.market(symbol).ok_or(BinanceError::InvalidSymbol)?;
        let flag = |name: &str| flag(p, name);
        // Close-All belongs to STOP_MARKET / TAKE_PROFIT_MARKET, now algo orders.
        if flag("closePosition")? {
            return Err(BinanceError::InvalidParam("closePosition".into()));
        }
        let reduce_only = flag("reduceOnly")?;
        let price_protect = flag("priceProtect")?;
        let qty = auth::decimal(p, "quantity")?;
        let price = price(p, needs_price)?;
        let time_in_force = match (needs_price, p.get("timeInForce").map(String::as_str)) {
            (true, None) => return Err(BinanceError::Mandatory("timeInForce".into())),
            (_, Some(t @ ("GTC" | "IOC" | "FOK" | "GTX" | "GTD"))) => t,
            (_, Some(_)) => return Err(BinanceError::InvalidTimeInForce),
            (false, None) => "GTC",
        };
        let good_till_date = good_till_date(p, time_in_force)?;
        let working_type = working_type(p)?;
        m.rules.check(price, qty, m.mark, reduce_only)?;

        let client_id = match p.get("newClientOrderId") {
            Some(id) => {
                auth::check_client_order_id(id)?;
                id.clone()
            }
            None => format!("sim{}", self.next_order_id + 1),
        };
        // "A unique id among open orders": refused only while an order with this id is open.
        if self.orders.is_open_client_id(api_key, symbol, &client_id) {
            return Err(BinanceError::DuplicateClientOrderId);
        }
        let account = self
            .accounts
            .get(api_key)
            .ok_or(BinanceError::RejectedKey)?;
        let pos = account.position(symbol).amt;
        // Reduce-only: only against an open position on the other side, and no larger than it
        // (Binance's "Summary of Failed Orders": same direction, or more than the position).
        if reduce_only && (pos * side.sign() >= Decimal::ZERO || qty > pos.abs()) {
            return Err(BinanceError::ReduceOnlyRejected);
        }
        let (bid, ask) = (m.best_bid(), m.best_ask());
        if let Some(limit) = price {
            let crosses = match side {
                Side::Buy => limit >= ask,
                Side::Sell => limit <= bid,
            };
            if crosses && time_in_force == "GTX" {
                return Err(BinanceError::GtxRejected);
            }
            if time_in_force == "FOK" && !fillable(m, side, limit, qty) {
                return Err(BinanceError::FokRejected);
            }
        }
        // Initial margin for the part of the order that grows the position.
        if !reduce_only {
            let reducing = if pos * side.sign() < Decimal::ZERO {
                pos.abs().min(qty)
            } else {
                Decimal::ZERO
            };
            let reference = match (price, side) {
                (Some(p), _) => p,
                (None, Side::Buy) => ask,
                (None, Side::Sell) => bid,
            };
            let lev = Decimal::from(account.leverage(symbol));
            let needed = (qty - reducing) * reference / lev;
            if needed > self.available(api_key) {
                return Err(BinanceError::MarginInsufficient);
            }
        }

        self.next_order_id += 1;
        let id = self.next_order_id;
        let order = Order {
            order_id: id,
            api_key: api_key.to_owned(),
            symbol: symbol.to_owned(),
            client_id,
            side,
            order_type: order_type.to_owned(),
            time_in_force: time_in_force.to_owned(),
            qty,
            price: price.unwrap_or(Decimal::ZERO),
            stop_price: Decimal::ZERO,
            working_type: working_type.to_owned(),
            reduce_only,
            close_position: false,
            price_protect,
            good_till_date,
            status: "NEW".to_owned(),
            executed: Decimal::ZERO,
            cum_quote: Decimal::ZERO,
            time: now,
            update_time: now,
            parent_algo: None,
        };
        self.orders.insert(order);
        let event = self.order_event(id, "NEW", None, now);
        self.publish_user(id, event);
        self.take(id, now);
        self.orders
            .get(id)
            .map(Order::to_json)
            .ok_or(BinanceError::NoSuchOrder)
    }

    /// Sets an account's wallet balance and reports it (ACCOUNT_UPDATE, reason DEPOSIT).
    pub(super) fn set_wallet(&mut self, api_key: &str, balance: Decimal, now: i64) -> bool {
        let Some(account) = self.accounts.get_mut(api_key) else {
            return false;
        };
        let change = balance - account.wallet;
        account.wallet = balance;
        account.update_time = now;
        self.publish(SimEvent::User {
            api_key: api_key.to_owned(),
            data: json!({
                "e": "ACCOUNT_UPDATE",
                "E": now,
                "T": now,
                "a": {
                    "m": "DEPOSIT",
                    "B": [{
                        "a": "USDT",
                        "wb": balance.to_string(),
                        "cw": balance.to_string(),
                        "bc": change.to_string()
                    }],
                    "P": []
                }
            }),
        });
        true
    }

    /// Cancels every open order of `api_key` on `symbol`.
    pub(super) fn cancel_symbol(&mut self, api_key: &str, symbol: &str, now: i64) {
        for id in self.orders.open_ids_on(api_key, symbol) {
            self.finish(id, "CANCELED", now);
        }
    }

    /// Fires countdownCancelAll deadlines that have passed.
    pub(super) fn fire_countdowns(&mut self, now: i64) {
        let due: Vec<(String, String)> = self
            .countdowns
            .iter()
            .filter(|(_, deadline)| **deadline <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for (api_key, symbol) in due {
            self.countdowns.remove(&(api_key.clone(), symbol.clone()));
            self.cancel_symbol(&api_key, &symbol, now);
        }
    }

    /// Sets the leverage of `symbol`; `POST /fapi/v1/leverage`'s answer.
    pub(super) fn set_leverage(
        &mut self,
        api_key: &str,
        symbol: &str,
        leverage: u32,
    ) -> Result<Value, BinanceError> {
        if self.market(symbol).is_none() {
            return Err(BinanceError::InvalidSymbol);
        }
        if !(1..=125).contains(&leverage) {
            return Err(BinanceError::InvalidLeverage(leverage.to_string()));
        }
        let account = self
            .accounts
            .get_mut(api_key)
            .ok_or(BinanceError::RejectedKey)?;
        account.leverage.insert(symbol.to_owned(), leverage);
        Ok(json!({
            "leverage": leverage,
            "maxNotionalValue": market::max_notional(leverage).to_string(),
            "symbol": symbol,
        }))
    }

    /// Cross-margin liquidation price of `symbol`'s position, in the shape of Binance's
    /// documented one-way formula
    /// `LP = (WB − TMM1 + UPNL1 + cumB − Side × |Position| × EP) / (|Position| × MMR − Side × |Position|)`
    /// where WB is the cross wallet balance and TMM1 / UPNL1 the maintenance margin and
    /// unrealised PnL of every *other* position. Simplified: one maintenance bracket per
    /// symbol, so the maintenance amount `cumB` is 0; no hedge-mode legs. "0" when the
    /// position is empty or the formula gives a non-positive price.
    pub(super) fn liquidation_price(&self, api_key: &str, symbol: &str) -> Decimal {
        let Some(account) = self.accounts.get(api_key) else {
            return Decimal::ZERO;
        };
        let pos = account.position(symbol);
        if pos.amt.is_zero() {
            return Decimal::ZERO;
        }
        let (mut tmm_others, mut upnl_others) = (Decimal::ZERO, Decimal::ZERO);
        for m in self.markets.iter().filter(|m| m.symbol != symbol) {
            let other = account.position(m.symbol);
            tmm_others += other.amt.abs() * m.mark * market::maint_margin_rate(m.symbol);
            upnl_others += other.amt * (m.mark - other.entry);
        }
        let side = if pos.amt > Decimal::ZERO {
            Decimal::ONE
        } else {
            Decimal::NEGATIVE_ONE
        };
        let size = pos.amt.abs();
        let mmr = market::maint_margin_rate(symbol);
        let numerator = account.wallet - tmm_others + upnl_others - side * size * pos.entry;
        let denominator = size * mmr - side * size;
        if denominator.is_zero() {
            return Decimal::ZERO;
        }
        let lp = numerator
            .checked_div(denominator)
            .unwrap_or(Decimal::ZERO)
            .round_dp(8);
        lp.max(Decimal::ZERO)
    }
}

/// The price an open order's margin is reckoned at.
fn order_price(order: &Order, mark: Decimal) -> Decimal {
    if !order.price.is_zero() {
        order.price
    } else {
        mark
    }
}

/// A `"true"` / `"false"` parameter (absent: false).
fn flag(p: &HashMap<String, String>, name: &str) -> Result<bool, BinanceError> {
    match p.get(name).map(String::as_str) {
        None | Some("false" | "FALSE") => Ok(false),
        Some("true" | "TRUE") => Ok(true),
        Some(_) => Err(BinanceError::InvalidParam(name.into())),
    }
}

/// `side`: BUY or SELL.
fn side(p: &HashMap<String, String>) -> Result<Side, BinanceError> {
    match auth::required(p, "side")? {
        "BUY" => Ok(Side::Buy),
        "SELL" => Ok(Side::Sell),
        _ => Err(BinanceError::InvalidSide),
    }
}

/// `price`: mandatory for the order types that `need` one, refused for the others.
fn price(p: &HashMap<String, String>, need: bool) -> Result<Option<Decimal>, BinanceError> {
    if need {
        Ok(Some(auth::decimal(p, "price")?))
    } else if p.contains_key("price") {
        Err(BinanceError::NotRequired("price".into()))
    } else {
        Ok(None)
    }
}

/// `goodTillDate`, mandatory with timeInForce GTD (0 otherwise).
fn good_till_date(p: &HashMap<String, String>, time_in_force: &str) -> Result<i64, BinanceError> {
    if time_in_force != "GTD" {
        return Ok(0);
    }
    auth::required(p, "goodTillDate")?
        .parse::<i64>()
        .map_err(|_| BinanceError::Mandatory("goodTillDate".into()))
}

/// `workingType`: CONTRACT_PRICE (default) or MARK_PRICE.
fn working_type(p: &HashMap<String, String>) -> Result<&'static str, BinanceError> {
    match p.get("workingType").map(String::as_str) {
        None | Some("CONTRACT_PRICE") => Ok("CONTRACT_PRICE"),
        Some("MARK_PRICE") => Ok("MARK_PRICE"),
        Some(_) => Err(BinanceError::InvalidParam("workingType".into())),
    }
}

/// The Algo Service: conditional orders that wait outside the book, then place a regular order.
impl Exchange {
    /// `POST /fapi/v1/algoOrder` (`algoType=CONDITIONAL`): validated like a new order (symbol,
    /// side, PRICE_FILTER on `price`, `triggerPrice` and `activatePrice`, LOT_SIZE /
    /// MIN_NOTIONAL on `quantity`, reduce-only against the position, `clientAlgoId` format and
    /// uniqueness), refused with -2021 when the trigger condition already holds (a trailing
    /// stop's `activatePrice` on the wrong side of the latest price); rests NEW and reports
    /// `ALGO_UPDATE`. Unlike a resting order it holds no margin until it triggers.
    pub(super) fn place_algo(
        &mut self,
        api_key: &str,
        p: &HashMap<String, String>,
        now: i64,
    ) -> Result<Value, BinanceError> {
        if auth::required(p, "algoType")? != "CONDITIONAL" {
            return Err(BinanceError::InvalidParam("algoType".into()));
        }
        let symbol = auth::required(p, "symbol")?;
        let side = side(p)?;
        let order_type = auth::required(p, "type")?;
        let trailing = order_type == "TRAILING_STOP_MARKET";
        let needs_price = match order_type {
            "STOP" | "TAKE_PROFIT" => true,
            "STOP_MARKET" | "TAKE_PROFIT_MARKET" | "TRAILING_STOP_MARKET" => false,
            _ => return Err(BinanceError::InvalidOrderType),
        };
        let m = self.market(symbol).ok_or(BinanceError::InvalidSymbol)?;
        match p.get("positionSide").map(String::as_str) {
            None | Some("BOTH") => {}
            Some("LONG" | "SHORT") => return Err(BinanceError::PositionSideMismatch),
            Some(_) => return Err(BinanceError::InvalidParam("positionSide".into())),
        }
        let close_position = flag(p, "closePosition")?;
        if close_position && (needs_price || trailing) {
            return Err(BinanceError::InvalidParam("closePosition".into()));
        }
        let reduce_only = flag(p, "reduceOnly")?;
        let price_protect = flag(p, "priceProtect")?;
        if close_position && p.contains_key("quantity") {
            return Err(BinanceError::NotRequired("quantity".into()));
        }
        if close_position && reduce_only {
            return Err(BinanceError::NotRequired("reduceOnly".into()));
        }
        let qty = if close_position {
            Decimal::ZERO
        } else {
            auth::decimal(p, "quantity")?
        };
        let price = price(p, needs_price)?;
        let trigger_price = if !trailing {
            auth::decimal(p, "triggerPrice")?
        } else if p.contains_key("triggerPrice") {
            return Err(BinanceError::NotRequired("triggerPrice".into()));
        } else {
            Decimal::ZERO
        };
        let time_in_force = match p.get("timeInForce").map(String::as_str) {
            None => "GTC",
            Some(t @ ("GTC" | "IOC" | "FOK" | "GTX" | "GTD")) => t,
            Some(_) => return Err(BinanceError::InvalidTimeInForce),
        };
        let good_till_date = good_till_date(p, time_in_force)?;
        let working_type = working_type(p)?;
        if !close_position {
            m.rules.check(price, qty, m.mark, reduce_only)?;
        }
        if !trailing {
            m.rules.check_price(trigger_price)?;
        }
        let reference = if working_type == "MARK_PRICE" {
            m.mark
        } else {
            m.last
        };
        let trailing = if trailing {
            let callback_rate = auth::decimal(p, "callbackRate")?;
            if callback_rate < Decimal::new(1, 1) || callback_rate > Decimal::from(20) {
                return Err(BinanceError::InvalidParam("callbackRate".into()));
            }
            let activate_price = match p.get("activatePrice") {
                None => reference,
                Some(_) => {
                    let a = auth::decimal(p, "activatePrice")?;
                    m.rules.check_price(a)?;
                    // A trailing BUY activates below the latest price, a SELL above it.
                    let waits = match side {
                        Side::Buy => a < reference,
                        Side::Sell => a > reference,
                    };
                    if !waits {
                        return Err(BinanceError::WouldTrigger);
                    }
                    a
                }
            };
            Some(Trailing {
                activate_price,
                callback_rate,
                activated: false,
                extreme: reference,
            })
        } else {
            None
        };
        let client_algo_id = match p.get("clientAlgoId") {
            Some(id) => {
                auth::check_client_order_id(id)?;
                id.clone()
            }
            None => format!("simalgo{}", self.next_algo_id + 1),
        };
        if self
            .algos
            .values()
            .any(|a| a.api_key == api_key && a.client_algo_id == client_algo_id && a.is_live())
        {
            return Err(BinanceError::DuplicateClientOrderId);
        }
        let pos = self
            .accounts
            .get(api_key)
            .ok_or(BinanceError::RejectedKey)?
            .position(symbol)
            .amt;
        // Reduce-only and Close-All: against an open position on the other side only.
        if reduce_only && (pos * side.sign() >= Decimal::ZERO || qty > pos.abs()) {
            return Err(BinanceError::ReduceOnlyRejected);
        }
        if close_position && pos * side.sign() >= Decimal::ZERO {
            return Err(BinanceError::ReduceOnlyRejected);
        }
        if trailing.is_none()
            && algo::trigger_reached(order_type, side.as_str(), trigger_price, reference)
        {
            return Err(BinanceError::WouldTrigger);
        }

        self.next_algo_id += 1;
        let algo_id = self.next_algo_id;
        let mut order = AlgoOrder {
            algo_id,
            api_key: api_key.to_owned(),
            client_algo_id,
            symbol: symbol.to_owned(),
            side: side.as_str(),
            order_type: order_type.to_owned(),
            time_in_force: time_in_force.to_owned(),
            qty,
            price,
            trigger_price,
            trailing,
            working_type,
            reduce_only,
            close_position,
            price_protect,
            good_till_date,
            status: "NEW",
            actual_order_id: None,
            reject_reason: String::new(),
            create_time: now,
            update_time: now,
            trigger_time: 0,
        };
        // A trailing stop without `activatePrice` is active from the latest price on.
        order.observe(reference);
        if let Some(m) = self.market(&order.symbol) {
            let symbol = m.symbol;
            self.waiting_algos
                .entry(symbol)
                .or_default()
                .insert(algo_id);
        }
        self.algos.insert(algo_id, order);
        self.publish_algo(algo_id, now);
        self.algo_json(algo_id).ok_or(BinanceError::NoSuchOrder)
    }

    /// The trigger condition of `algo_id` holds: TRIGGERING, then the regular order goes to
    /// the matching engine (TRIGGERED with its `actualOrderId`, FINISHED once it is done), or
    /// REJECTED with the reason when it cannot be placed.
    fn trigger_algo(&mut self, algo_id: u64, now: i64) {
        let Some(a) = self.algos.get_mut(&algo_id) else {
            return;
        };
        a.status = "TRIGGERING";
        if let Some(ids) = self.waiting_algos.get_mut(a.symbol.as_str()) {
            ids.remove(&algo_id);
        }
        a.trigger_time = now;
        a.update_time = now;
        let a = a.clone();
        self.publish_algo(algo_id, now);
        let placed = self
            .working_order(&a)
            .and_then(|params| self.place(&a.api_key, &params, now));
        let child = placed.and_then(|v| v["orderId"].as_u64().ok_or(BinanceError::NoSuchOrder));
        let Some(stored) = self.algos.get_mut(&algo_id) else {
            return;
        };
        stored.update_time = now;
        match child {
            Ok(order_id) => {
                stored.status = "TRIGGERED";
                stored.actual_order_id = Some(order_id);
                self.orders
                    .update(order_id, |o| o.parent_algo = Some(algo_id));
                self.publish_algo(algo_id, now);
                self.settle_algo(order_id, now);
            }
            Err(err) => {
                stored.status = "REJECTED";
                stored.reject_reason = if err == BinanceError::ReduceOnlyRejected {
                    "Reduce Only reject".to_owned()
                } else {
                    err.msg()
                };
                self.publish_algo(algo_id, now);
            }
        }
    }

    /// The parameters of the regular order a triggered algo order places: MARKET (LIMIT at
    /// `price` for STOP / TAKE_PROFIT); a reduce-only or Close-All order takes what still
    /// reduces the position then, and is rejected when nothing does.
    fn working_order(&self, a: &AlgoOrder) -> Result<HashMap<String, String>, BinanceError> {
        let pos = self
            .accounts
            .get(&a.api_key)
            .map_or(Decimal::ZERO, |acc| acc.position(&a.symbol).amt);
        let sign = if a.side == "BUY" {
            Decimal::ONE
        } else {
            Decimal::NEGATIVE_ONE
        };
        let reducible = if pos * sign < Decimal::ZERO {
            pos.abs()
        } else {
            Decimal::ZERO
        };
        let reduces = a.reduce_only || a.close_position;
        let qty = match (a.close_position, a.reduce_only) {
            (true, _) => reducible,
            (false, true) => a.qty.min(reducible),
            (false, false) => a.qty,
        };
        if reduces && qty.is_zero() {
            return Err(BinanceError::ReduceOnlyRejected);
        }
        let kind = a.working_kind();
        let mut p: HashMap<String, String> = [
            ("symbol", a.symbol.clone()),
            ("side", a.side.to_owned()),
            ("type", kind.to_owned()),
            ("quantity", qty.normalize().to_string()),
            ("reduceOnly", reduces.to_string()),
            ("priceProtect", a.price_protect.to_string()),
            ("workingType", a.working_type.to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        if kind == "LIMIT" {
            let price = a.price.unwrap_or(a.trigger_price);
            p.insert("price".into(), price.to_string());
            p.insert("timeInForce".into(), a.time_in_force.clone());
            if a.time_in_force == "GTD" {
                p.insert("goodTillDate".into(), a.good_till_date.to_string());
            }
        }
        Ok(p)
    }

    /// A triggered algo order whose regular order `order_id` is done becomes FINISHED.
    fn settle_algo(&mut self, order_id: u64, now: i64) {
        let Some(algo_id) = self
            .orders
            .get(order_id)
            .filter(|o| o.is_done())
            .and_then(|o| o.parent_algo)
        else {
            return;
        };
        let Some(a) = self
            .algos
            .get_mut(&algo_id)
            .filter(|a| a.status == "TRIGGERED")
        else {
            return;
        };
        a.status = "FINISHED";
        a.update_time = now;
        let algo_id = a.algo_id;
        self.publish_algo(algo_id, now);
    }

    /// What the algo order's regular order has done so far.
    fn actual(&self, a: &AlgoOrder) -> Actual {
        let Some(o) = a.actual_order_id.and_then(|id| self.orders.get(id)) else {
            return Actual::default();
        };
        Actual {
            avg_price: o.avg_price(),
            qty: o.executed,
            kind: if o.is_market() { "MARKET" } else { "LIMIT" },
        }
    }

    /// The price and quantity precisions of `symbol`.
    fn precisions(&self, symbol: &str) -> (u32, u32) {
        self.market(symbol)
            .map_or((8, 8), |m| (m.rules.tick.scale(), m.rules.step.scale()))
    }

    /// The algo order as the REST endpoints answer it.
    pub(super) fn algo_json(&self, algo_id: u64) -> Option<Value> {
        let a = self.algos.get(&algo_id)?;
        let (px, qx) = self.precisions(&a.symbol);
        Some(a.to_json(px, qx, &self.actual(a)))
    }

    fn publish_algo(&self, algo_id: u64, now: i64) {
        let Some(a) = self.algos.get(&algo_id) else {
            return;
        };
        let (px, qx) = self.precisions(&a.symbol);
        self.publish(SimEvent::User {
            api_key: a.api_key.clone(),
            data: a.event(px, qx, &self.actual(a), now),
        });
    }

    /// The account's algo order with this `clientAlgoId` (the latest, as an id may be reused
    /// once its order is finished), optionally only on `symbol`.
    pub(super) fn algo_by_client_id(
        &self,
        api_key: &str,
        symbol: Option<&str>,
        client_algo_id: &str,
    ) -> Option<u64> {
        self.algos
            .values()
            .filter(|a| {
                a.api_key == api_key
                    && a.client_algo_id == client_algo_id
                    && symbol.is_none_or(|s| a.symbol == s)
            })
            .map(|a| a.algo_id)
            .max()
    }

    /// The algo order a request names by `algoId` or `clientAlgoId` (one of them mandatory).
    pub(super) fn named_algo(
        &self,
        api_key: &str,
        p: &HashMap<String, String>,
    ) -> Result<Option<u64>, BinanceError> {
        if let Some(client_algo_id) = p.get("clientAlgoId").filter(|c| !c.is_empty()) {
            return Ok(self.algo_by_client_id(api_key, None, client_algo_id));
        }
        let id: u64 = auth::required(p, "algoId")?
            .parse()
            .map_err(|_| BinanceError::Mandatory("algoId".into()))?;
        Ok(self
            .algos
            .get(&id)
            .filter(|a| a.api_key == api_key)
            .map(|a| a.algo_id))
    }

    /// Cancels an open algo order and reports it; false when it is not open.
    pub(super) fn cancel_algo(&mut self, algo_id: u64, now: i64) -> bool {
        let Some(a) = self.algos.get_mut(&algo_id).filter(|a| a.is_open()) else {
            return false;
        };
        a.status = "CANCELED";
        a.update_time = now;
        if let Some(ids) = self.waiting_algos.get_mut(a.symbol.as_str()) {
            ids.remove(&algo_id);
        }
        self.publish_algo(algo_id, now);
        true
    }

    /// Cancels every open algo order of `api_key` on `symbol`, oldest first.
    pub(super) fn cancel_algo_symbol(&mut self, api_key: &str, symbol: &str, now: i64) {
        let mut ids: Vec<u64> = self
            .algos
            .values()
            .filter(|a| a.api_key == api_key && a.symbol == symbol && a.is_open())
            .map(|a| a.algo_id)
            .collect();
        ids.sort_unstable();
        for id in ids {
            self.cancel_algo(id, now);
        }
    }

    /// The account's algo orders that pass `keep`, by algoId.
    pub(super) fn algos_where(
        &self,
        api_key: &str,
        keep: impl Fn(&AlgoOrder) -> bool,
    ) -> Vec<Value> {
        let mut ids: Vec<u64> = self
            .algos
            .values()
            .filter(|a| a.api_key == api_key && keep(a))
            .map(|a| a.algo_id)
            .collect();
        ids.sort_unstable();
        ids.into_iter()
            .filter_map(|id| self.algo_json(id))
            .collect()
    }
}

/// Whether `qty` can fill at once at `limit` or better (FOK).
fn fillable(m: &Market, side: Side, limit: Decimal, qty: Decimal) -> bool {
    let mut available = Decimal::ZERO;
    for i in 0..BOOK_LEVELS {
        let (price, size) = m.level(side == Side::Sell, i);
        let ok = match side {
            Side::Buy => price <= limit,
            Side::Sell => price >= limit && price > Decimal::ZERO,
        };
        if !ok {
            break;
        }
        available += size;
        if available >= qty {
            return true;
        }
    }
    false
}

/// Applies a fill of signed quantity `q` at `price` to the position: the entry price is
/// volume-weighted on increase and kept on reduce; the realised PnL of the reduced part goes
/// into the wallet; on a flip the remainder opens at `price`. Returns the realised PnL.
fn apply_fill(
    account: &mut Account,
    symbol: &str,
    q: Decimal,
    price: Decimal,
    now: i64,
) -> Decimal {
    let pos = account.positions.entry(symbol.to_owned()).or_default();
    let mut realized = Decimal::ZERO;
    if pos.amt.is_zero() || pos.amt.is_sign_positive() == q.is_sign_positive() {
        let size = pos.amt.abs() + q.abs();
        pos.entry = ((pos.amt.abs() * pos.entry + q.abs() * price) / size)
            .round_dp(8)
            .normalize();
        pos.amt += q;
    } else {
        let closing = q.abs().min(pos.amt.abs());
        let direction = if pos.amt > Decimal::ZERO {
            Decimal::ONE
        } else {
            Decimal::NEGATIVE_ONE
        };
        realized = closing * (price - pos.entry) * direction;
        pos.amt += q;
        if pos.amt.is_zero() {
            pos.entry = Decimal::ZERO;
        } else if pos.amt.is_sign_positive() == q.is_sign_positive() {
            pos.entry = price;
        }
    }
    pos.realized += realized;
    pos.update_time = now;
    account.wallet += realized;
    account.update_time = now;
    realized
}

/// A past of 1m candles ending at `mark`: a walk drawn backwards in whole ticks, so the last
/// close is exactly the starting mark.
fn history(rng: &mut ChaCha8Rng, rules: &Rules, mark: Decimal, now: i64) -> Vec<Candle> {
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
