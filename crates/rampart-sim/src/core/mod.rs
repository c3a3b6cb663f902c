//! A venue-neutral simulated exchange: the matching, accounts and market data that each venue's
//! simulator speaks its own protocol over.
//!
//! Nothing here knows a venue: no JSON, no wire strings, only Rust types and `rust_decimal`.
//! A protocol layer owns one [`Exchange`] (usually behind [`SharedExchange`], one mutex around
//! all state so that events go out in the order things happened), translates its venue's
//! requests into calls here, maps [`CoreError`]s to its venue's codes, and turns the
//! [`Event`]s of [`Exchange::subscribe`] into its venue's stream messages.
//!
//! # What it models
//! - **Instruments** ([`Instrument`]): linear or inverse perpetuals and dated futures with
//!   tick (price-dependent steps too), lot, min/max qty, contract value, max leverage, fees and
//!   a starting mark; and options ([`OptionSpec`]) on a listed underlying, marked by Black-76
//!   from a volatility surface ([`VolSurface`]) with greeks ([`Greeks`]). Premiums are paid
//!   and received in the settle coin. Expired instruments stop trading and settle at the
//!   underlying's index ([`Exchange::housekeep`]).
//! - **Prices**: a seeded ChaCha8 random walk of each mark in whole ticks ([`Exchange::step`]),
//!   or set by tests ([`Exchange::set_mark`]); 1-minute candles with a seeded history.
//! - **A book** of synthetic levels around the mark: best bid = the mark on the tick, best ask
//!   one tick above; each level holds 1 to 5 × [`Instrument::book_unit`], set by its price.
//! - **Orders** ([`OrderRequest`]): market, limit; GTC, IOC, FOK, post-only; reduce-only;
//!   conditional (trigger by mark or last, rising or falling). Takers fill at book levels;
//!   resting limits fill at their price when the book crosses them. Amend, cancel one, cancel
//!   all ([`CancelFilter`]); lookups by venue id or client id, finished orders included.
//! - **Accounts** keyed by an opaque [`AccountId`]: wallets per coin, one-way positions with
//!   average entry, realised PnL and fees into the wallet (linear and inverse math), unrealised
//!   PnL at the mark, leverage and margin mode per symbol, a liquidation price estimate.
//! - **A dead man's countdown** per (account, scope) that cancels the account's orders when it
//!   expires ([`Exchange::arm_dead_man`], fired by [`Exchange::housekeep`]).
//!
//! Time is always passed in (`now`, ms since the epoch), so everything runs in process in
//! tests without a clock; [`SharedExchange::spawn_clock`] drives prices and countdowns in a
//! server.

mod accounts;
mod error;
mod events;
mod market;
mod options;
mod store;
mod trading;
mod types;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_options;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use tokio::sync::broadcast;

pub use error::CoreError;
pub use events::Event;
pub use options::{
    Greeks, OptionKind, OptionQuote, OptionSpec, VolSurface, black76, coin_price, implied_vol,
    settlement_value, years_to,
};
pub use trading::{Amend, OrderRef};
pub use types::{
    AccountId, Book, CancelFilter, CancelReason, Candle, ContractKind, Execution, Instrument,
    Level, MarginMode, Order, OrderKind, OrderRequest, OrderStatus, Position, PublicTrade, Side,
    TickStep, Ticker, TimeInForce, Trigger, TriggerBy, TriggerDirection, Wallet,
};

use accounts::AccountState;
use market::Market;
use store::OrderStore;

/// How many levels each side a [`Event::Book`] carries.
pub const PUBLISHED_BOOK_DEPTH: usize = 200;

/// The deepest level a taker order walks.
pub const MAX_BOOK_LEVELS: usize = 1_000;

/// Which orders a client id must differ from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientIdScope {
    /// Every order the account ever placed (an id that must be unique for ever).
    AllOrders,
    /// The account's open orders only (an id reusable once its order has ended).
    OpenOrders,
    /// None: a label several orders may share (lookups by client id find the latest).
    NotUnique,
}

/// How the exchange is set up.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    pub instruments: Vec<Instrument>,
    /// Seeds the price process and the candle history: a seed gives the same prices.
    pub seed: u64,
    pub client_id_scope: ClientIdScope,
    /// Makes the venue order id of the `seq`-th accepted order (1, 2, …).
    pub order_id: fn(u64) -> String,
    /// Leverage of a symbol the account never set.
    pub default_leverage: Decimal,
    /// How many 1-minute candles exist before start.
    pub history_minutes: usize,
    /// Capacity of the event channel (a receiver that lags further loses events).
    pub event_capacity: usize,
    /// The volatility surface of each underlying (by the underlying's symbol); an underlying
    /// not named here gets [`VolSurface::default`].
    pub vol_surfaces: Vec<(String, VolSurface)>,
}

impl Default for CoreConfig {
    fn default() -> Self {
        CoreConfig {
            instruments: Vec::new(),
            seed: 0,
            client_id_scope: ClientIdScope::AllOrders,
            order_id: |seq| seq.to_string(),
            default_leverage: Decimal::TEN,
            history_minutes: 1_500,
            event_capacity: 8_192,
            vol_surfaces: Vec::new(),
        }
    }
}

/// A dead man's countdown: when it runs out, the orders `filter` covers are cancelled.
#[derive(Debug, Clone)]
struct DeadMan {
    deadline_ms: i64,
    filter: CancelFilter,
}

/// The whole exchange. Every method takes `now` (ms) rather than reading a clock.
pub struct Exchange {
    config: CoreConfig,
    markets: Vec<Market>,
    accounts: HashMap<AccountId, AccountState>,
    orders: OrderStore,
    rng: ChaCha8Rng,
    next_trade_id: u64,
    dead_men: BTreeMap<(AccountId, String), DeadMan>,
    events: broadcast::Sender<Event>,
}

impl Exchange {
    /// An exchange listing `config.instruments`, with no accounts yet.
    pub fn new(config: CoreConfig, now: i64) -> Exchange {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let markets = config
            .instruments
            .iter()
            .map(|inst| Market::new(inst.clone(), &mut rng, config.history_minutes, now))
            .collect();
        let (events, _) = broadcast::channel(config.event_capacity.max(16));
        let mut exchange = Exchange {
            config,
            markets,
            accounts: HashMap::new(),
            orders: OrderStore::default(),
            rng,
            next_trade_id: 0,
            dead_men: BTreeMap::new(),
            events,
        };
        exchange.start_options(now);
        exchange
    }

    /// Sets each option's mark (and its candles) from the surface at its underlying's
    /// starting mark.
    fn start_options(&mut self, now: i64) {
        for i in 0..self.markets.len() {
            let Some(spec) = self.markets[i].inst.option.clone() else {
                continue;
            };
            let Some(forward) = self.market(&spec.underlying).map(|u| u.index) else {
                continue;
            };
            let Some(quote) = self.model_quote(&self.markets[i].inst, forward, now) else {
                continue;
            };
            let m = &mut self.markets[i];
            let start = quote.mark.max(m.inst.tick_size);
            m.mark = start;
            m.last = start;
            m.index = forward;
            for c in &mut m.candles {
                *c = Candle::flat(c.open_ms, start);
            }
            m.quote = Some(quote);
        }
    }

    /// A receiver of every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Whether anyone receives events (events are built only then).
    fn listening(&self) -> bool {
        self.events.receiver_count() > 0
    }

    fn publish(&self, event: Event) {
        // No receiver is fine: nobody listens yet.
        let _ = self.events.send(event);
    }

    /// Opens an account (or tops it up) with these wallet balances per coin.
    pub fn add_account(&mut self, account: &str, balances: &[(&str, Decimal)]) {
        let state = self.accounts.entry(account.to_owned()).or_default();
        for (coin, amount) in balances {
            *state.wallets.entry((*coin).to_owned()).or_default() += *amount;
        }
    }

    /// Whether the account exists.
    pub fn has_account(&self, account: &str) -> bool {
        self.accounts.contains_key(account)
    }

    /// Every listed instrument, in listing order.
    pub fn instruments(&self) -> impl Iterator<Item = &Instrument> {
        self.markets.iter().map(|m| &m.inst)
    }

    pub fn instrument(&self, symbol: &str) -> Option<&Instrument> {
        self.market(symbol).map(|m| &m.inst)
    }

    fn market(&self, symbol: &str) -> Option<&Market> {
        self.markets.iter().find(|m| m.inst.symbol == symbol)
    }

    fn market_index(&self, symbol: &str) -> Option<usize> {
        self.markets.iter().position(|m| m.inst.symbol == symbol)
    }

    /// Arms (or re-arms) the countdown `scope` of `account`: at `deadline_ms` the orders that
    /// `filter` covers are cancelled (reason [`CancelReason::DeadMan`]). Scopes are the
    /// protocol layer's names (a product, a tag); each runs on its own.
    pub fn arm_dead_man(
        &mut self,
        account: &str,
        scope: &str,
        deadline_ms: i64,
        filter: CancelFilter,
    ) {
        self.dead_men.insert(
            (account.to_owned(), scope.to_owned()),
            DeadMan {
                deadline_ms,
                filter,
            },
        );
    }

    /// Stops a countdown; true when one was running.
    pub fn disarm_dead_man(&mut self, account: &str, scope: &str) -> bool {
        self.dead_men
            .remove(&(account.to_owned(), scope.to_owned()))
            .is_some()
    }

    /// When a countdown runs out (server ms), if one runs.
    pub fn dead_man_deadline(&self, account: &str, scope: &str) -> Option<i64> {
        self.dead_men
            .get(&(account.to_owned(), scope.to_owned()))
            .map(|d| d.deadline_ms)
    }

    /// Settles the instruments that expired (see [`Exchange::settle_expired`]), then fires the
    /// countdowns whose deadline has passed. Returns the orders the countdowns cancelled.
    pub fn housekeep(&mut self, now: i64) -> Vec<Order> {
        self.settle_expired(now);
        let due: Vec<((AccountId, String), DeadMan)> = self
            .dead_men
            .iter()
            .filter(|(_, d)| d.deadline_ms <= now)
            .map(|(k, d)| (k.clone(), d.clone()))
            .collect();
        let mut cancelled = Vec::new();
        for ((account, scope), dead_man) in due {
            self.dead_men.remove(&(account.clone(), scope.clone()));
            cancelled.extend(self.cancel_matching(
                &account,
                &dead_man.filter,
                CancelReason::DeadMan,
                now,
            ));
            if self.listening() {
                self.publish(Event::DeadManFired { account, scope });
            }
        }
        cancelled
    }
}

/// Milliseconds since the Unix epoch by the wall clock.
pub fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// An [`Exchange`] behind one mutex, shared by a server's handlers and its clock.
#[derive(Clone)]
pub struct SharedExchange(Arc<Mutex<Exchange>>);

impl SharedExchange {
    pub fn new(exchange: Exchange) -> SharedExchange {
        SharedExchange(Arc::new(Mutex::new(exchange)))
    }

    /// The exchange, locked. A panic while it was held leaves the state as it was then; it is
    /// used as is rather than poisoning every later request.
    pub fn lock(&self) -> MutexGuard<'_, Exchange> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drives the exchange: a price step every `step_every` (never when zero), and
    /// [`Exchange::housekeep`] every 10 ms, at the wall clock plus `clock_offset_ms`. Abort the
    /// handle to stop it.
    pub fn spawn_clock(
        &self,
        step_every: Duration,
        clock_offset_ms: i64,
    ) -> tokio::task::JoinHandle<()> {
        let shared = self.clone();
        tokio::spawn(async move {
            let mut beat = tokio::time::interval(Duration::from_millis(10));
            beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let mut next_step = tokio::time::Instant::now() + step_every;
            loop {
                beat.tick().await;
                let now = wall_ms() + clock_offset_ms;
                let mut ex = shared.lock();
                if !step_every.is_zero() && tokio::time::Instant::now() >= next_step {
                    ex.step(now);
                    next_step = tokio::time::Instant::now() + step_every;
                }
                ex.housekeep(now);
            }
        })
    }
}
