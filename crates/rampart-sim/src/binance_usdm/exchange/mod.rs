//! The simulated exchange: a seeded price process per symbol, a book around the mark price,
//! matching (market, limit, IOC/FOK/GTX, reduce-only), the Algo Service's conditional orders
//! (stop and take-profit triggers that place a regular order, see [`super::algo`]), one-way
//! cross-margin positions with realised PnL into the wallet, and the documented JSON of each
//! answer and stream event.
//!
//! Everything is `rust_decimal`; the random walk draws whole ticks from a ChaCha8 generator
//! seeded from [`super::SimConfig::seed`], so a seed gives the same prices every run.
//!
//! One file per concern, each adding to [`Exchange`]: `market_data` (the price process, candles,
//! the book and the market events of a move), `matching` (orders, placing, taking, fills,
//! cancels), `accounts` (positions, wallets, margin, leverage, liquidation price), `triggers`
//! (the Algo Service) and `wire` (the documented JSON of answers and events).

mod accounts;
mod market_data;
mod matching;
mod triggers;
mod wire;

use std::collections::{BTreeSet, HashMap, VecDeque};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use tokio::sync::broadcast;

use super::algo::AlgoOrder;
use super::events::SharedInterest;
use super::market;
use super::orders::OrderStore;
use super::{SimConfig, SimEvent};

pub(super) use accounts::{Account, AccountTrade};
use market_data::history;
pub(super) use market_data::{BOOK_LEVELS, Market};
pub(super) use matching::{Order, Side};

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
    interest: SharedInterest,
}

fn lower(symbol: &str) -> String {
    symbol.to_ascii_lowercase()
}

impl Exchange {
    pub(super) fn new(
        config: &SimConfig,
        events: broadcast::Sender<SimEvent>,
        interest: SharedInterest,
        now: i64,
    ) -> Exchange {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        // Listed for the simulator's lifetime; a configured name is kept as a `&'static str`
        // like the built-in ones (a few bytes per configured symbol per simulator started).
        let extra = config
            .extra_symbols
            .iter()
            .map(|s| &*Box::leak(s.clone().into_boxed_str()));
        let markets = market::SYMBOLS
            .iter()
            .copied()
            .chain(extra)
            .map(|s| (s, market::rules(s)))
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
            interest,
        }
    }

    /// Whether any stream is connected: events are built only for someone.
    pub(super) fn listening(&self) -> bool {
        self.events.receiver_count() > 0
    }

    /// Whether anyone receives `symbol`'s market events: a stream connection subscribed to
    /// one of its streams (or a receiver of everything).
    pub(super) fn watched(&self, symbol: &str) -> bool {
        self.listening() && self.interest.wants(symbol)
    }

    fn publish(&self, event: SimEvent) {
        // No receiver is fine: nobody is listening yet.
        let _ = self.events.send(event);
    }

    /// The listed symbols, in listing order.
    pub(in crate::binance_usdm) fn symbols(&self) -> Vec<&'static str> {
        self.markets.iter().map(|m| m.symbol).collect()
    }

    pub(super) fn market(&self, symbol: &str) -> Option<&Market> {
        self.markets.iter().find(|m| m.symbol == symbol)
    }

    fn market_index(&self, symbol: &str) -> Option<usize> {
        self.markets.iter().position(|m| m.symbol == symbol)
    }
}
