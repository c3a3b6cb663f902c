//! OKX v5 as a loopback server, on the venue-neutral exchange of [`crate::core`]: public data
//! (time, instruments, mark price, tickers, books, candles, funding rate), signed order entry
//! (place, cancel, batch cancel, amend, query, pending and history), algo orders
//! (`conditional` take-profit or stop-loss and `trigger`: place, details, pending, history,
//! cancel; the `orders-algo` channel), account reads and
//! settings (balance, positions, leverage, config, trade fee), the cancel-all-after
//! countdown, OKX's authentication (OK-ACCESS-* headers, passphrase, demo keys and
//! `x-simulated-trading`), its codes and messages, its per-instrument rate limits, fault knobs
//! and the WebSocket channels (`ws`): `/ws/v5/public`, `/ws/v5/business`, `/ws/v5/private`.
//!
//! Written from okx.com/docs-v5; sizes are in contracts, numbers cross the wire as strings.

mod auth;
mod errors;
mod http;
mod instruments;
mod views;
mod ws;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rust_decimal::Decimal;
use tokio::net::TcpListener;

use crate::core::{ClientIdScope, CoreConfig, Exchange, SharedExchange, wall_ms};
use crate::tls::ServerHandle;

pub use errors::OkxError;
pub use instruments::InstType;

/// What an API key may do, as `GET /api/v5/account/config` reports it in `perm`
/// (`read_only`, `trade`, `withdraw`). Every key may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimPermissions {
    pub trade: bool,
    pub withdraw: bool,
    /// Whether the key is bound to this machine's address (`ip` "127.0.0.1"); otherwise `ip`
    /// is "", as OKX reports a key bound to no IP.
    pub ip_bound: bool,
}

impl Default for SimPermissions {
    fn default() -> Self {
        SimPermissions {
            trade: true,
            withdraw: false,
            ip_bound: false,
        }
    }
}

impl SimPermissions {
    /// `perm` as OKX writes it: `read_only`, `read_only,trade`, `read_only,trade,withdraw`.
    pub fn wire(&self) -> String {
        let mut parts = vec!["read_only"];
        if self.trade {
            parts.push("trade");
        }
        if self.withdraw {
            parts.push("withdraw");
        }
        parts.join(",")
    }
}

/// One funded account (one API key) the simulator accepts.
#[derive(Clone, Default)]
pub struct SimAccount {
    pub api_key: String,
    pub api_secret: String,
    pub passphrase: String,
    pub permissions: SimPermissions,
    /// A demo-trading key: its requests must carry `x-simulated-trading: 1`; a live key's
    /// must not (50101 otherwise).
    pub demo: bool,
}

impl std::fmt::Debug for SimAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimAccount")
            .field("api_key", &"<redacted>")
            .field("api_secret", &"<redacted>")
            .field("passphrase", &"<redacted>")
            .field("permissions", &self.permissions)
            .field("demo", &self.demo)
            .finish()
    }
}

/// Fault knobs, settable at start ([`SimConfig::faults`]) and at runtime
/// ([`SimServer::set_faults`]).
///
/// `every`: every `every`-th place-order request (counting from 1) gets the next fault in
/// turn: the order is accepted and the connection dropped before the answer; the order is
/// accepted and a 503 answered; a 503 is answered and the order is not taken. 0 turns it off.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    pub every: u32,
    /// Added before every REST answer (ms).
    pub latency_ms: u64,
    /// Every `fail_5xx_every`-th REST request (any endpoint) is answered 503 without acting
    /// on it; 0 turns it off.
    pub fail_5xx_every: u32,
}

/// OKX's per-2-second limits for the trade endpoints, counted per User ID + Instrument ID
/// (okx.com/docs-v5/en/#overview-rate-limits; each endpoint's "Rate Limit" line).
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// Place order: 60 requests per 2 s.
    pub place_per_2s: u32,
    /// Cancel order: 60 requests per 2 s.
    pub cancel_per_2s: u32,
    /// Amend order: 60 requests per 2 s.
    pub amend_per_2s: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            place_per_2s: 60,
            cancel_per_2s: 60,
            amend_per_2s: 60,
        }
    }
}

/// What the simulator serves and how it misbehaves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub accounts: Vec<SimAccount>,
    /// Added to the simulator's clock (ms).
    pub clock_offset_ms: i64,
    pub faults: Faults,
    /// Every account's USDT at start (default 100000).
    pub usdt_balance: Decimal,
    /// Every account's BTC at start, the margin of BTC-USD-SWAP (default 1).
    pub btc_balance: Decimal,
    /// Seeds the price process: a seed gives the same prices.
    pub seed: u64,
    /// How often prices move (ms, default 250); 0: only when a test moves them.
    pub tick_interval_ms: u64,
    pub rate_limits: RateLimits,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            accounts: Vec::new(),
            clock_offset_ms: 0,
            faults: Faults::default(),
            usdt_balance: Decimal::from(100_000),
            btc_balance: Decimal::ONE,
            seed: 0,
            tick_interval_ms: 250,
            rate_limits: RateLimits::default(),
        }
    }
}

/// OKX order ids are 18-digit numbers; the `seq`-th accepted order gets this base plus `seq`.
fn order_id(seq: u64) -> String {
    (700_000_000_000_000_000u64 + seq).to_string()
}

/// Algo orders have ids of their own: the algo order that the `seq`-th accepted order stands
/// for gets this base plus `seq`.
fn algo_id(seq: u64) -> String {
    (800_000_000_000_000_000u64 + seq).to_string()
}

/// The UID OKX would show for the `index`-th configured account.
fn uid(index: usize) -> String {
    ((index as u64 + 1) * 1_000_003 + 440_000_000_000_000).to_string()
}

/// One fixed 2-second (or 1-second) window of one counter.
#[derive(Debug, Default, Clone, Copy)]
struct Window {
    start: i64,
    count: u32,
}

/// The simulator's shared state.
pub(crate) struct Inner {
    config: SimConfig,
    listings: Vec<instruments::Listing>,
    exchange: SharedExchange,
    /// What the core does not keep of each order (trade mode, tag), by ordId.
    meta: Mutex<HashMap<String, views::OrderMeta>>,
    faults: Mutex<Faults>,
    /// Rate-limit windows by (account, endpoint, instrument).
    windows: Mutex<HashMap<(String, &'static str, String), Window>>,
    /// Place-order requests so far (for [`Faults::every`]).
    order_requests: AtomicU64,
    /// REST requests so far (for [`Faults::fail_5xx_every`]).
    requests: AtomicU64,
    /// Bumped to close every stream connection.
    ws_generation: tokio::sync::watch::Sender<u64>,
    /// Stream connections that have subscribed to the events so far.
    stream_subscriptions: AtomicU64,
}

pub(crate) type Shared = Arc<Inner>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Inner {
    fn new(config: SimConfig) -> Shared {
        let now = wall_ms() + config.clock_offset_ms;
        let listings = instruments::listings(now);
        let core = CoreConfig {
            instruments: listings.iter().map(|l| l.inst.clone()).collect(),
            seed: config.seed,
            client_id_scope: ClientIdScope::OpenOrders,
            order_id,
            ..CoreConfig::default()
        };
        let mut ex = Exchange::new(core, now);
        for a in &config.accounts {
            ex.add_account(
                &a.api_key,
                &[("USDT", config.usdt_balance), ("BTC", config.btc_balance)],
            );
        }
        let (ws_generation, _) = tokio::sync::watch::channel(0);
        Arc::new(Inner {
            faults: Mutex::new(config.faults),
            config,
            listings,
            exchange: SharedExchange::new(ex),
            meta: Mutex::default(),
            windows: Mutex::default(),
            order_requests: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            ws_generation,
            stream_subscriptions: AtomicU64::new(0),
        })
    }

    fn now_ms(&self) -> i64 {
        wall_ms() + self.config.clock_offset_ms
    }

    fn faults(&self) -> Faults {
        *lock(&self.faults)
    }

    fn listing(&self, inst_id: &str) -> Option<&instruments::Listing> {
        self.listings.iter().find(|l| l.inst.symbol == inst_id)
    }

    /// Counts one request against `limit` per `window_ms` for (account, endpoint, instrument);
    /// false when the window is full.
    fn allow(
        &self,
        account: &str,
        endpoint: &'static str,
        inst_id: &str,
        limit: u32,
        window_ms: i64,
        now: i64,
    ) -> bool {
        let mut windows = lock(&self.windows);
        let w = windows
            .entry((account.to_owned(), endpoint, inst_id.to_owned()))
            .or_default();
        let start = now - now.rem_euclid(window_ms);
        if w.start != start {
            *w = Window { start, count: 0 };
        }
        if w.count >= limit {
            return false;
        }
        w.count += 1;
        true
    }
}

/// A running simulator.
pub struct SimServer {
    server: ServerHandle,
    inner: Shared,
}

impl SimServer {
    /// Serves on `listener` (bind it to loopback) until dropped or [`SimServer::stop`]ped.
    pub fn start(listener: TcpListener, config: SimConfig) -> std::io::Result<SimServer> {
        Self::launch(listener, config, false)
    }

    /// Like [`SimServer::start`], over TLS 1.3 (`https://`, `wss://`) with a self-signed
    /// certificate for 127.0.0.1, ::1 and localhost: see [`SimServer::cert_pem`].
    pub fn start_tls(listener: TcpListener, config: SimConfig) -> std::io::Result<SimServer> {
        Self::launch(listener, config, true)
    }

    fn launch(listener: TcpListener, config: SimConfig, tls: bool) -> std::io::Result<SimServer> {
        let step = Duration::from_millis(config.tick_interval_ms);
        let offset = config.clock_offset_ms;
        let inner = Inner::new(config);
        let app = http::routes(inner.clone())
            .merge(ws::routes())
            .with_state(inner.clone());
        let clock = inner.exchange.spawn_clock(step, offset);
        let streams = inner.ws_generation.clone();
        let server = ServerHandle::serve(listener, app, tls, "OKX", clock, streams)?;
        Ok(SimServer { server, inner })
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://127.0.0.1:PORT`, or `https://…` under TLS.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// `ws://127.0.0.1:PORT`, or `wss://…`; the channels are under `/ws/v5/public`,
    /// `/ws/v5/business` and `/ws/v5/private`.
    pub fn ws_base_url(&self) -> String {
        self.server.ws_base_url()
    }

    /// The self-signed certificate (PEM) under TLS.
    pub fn cert_pem(&self) -> Option<String> {
        self.server.cert_pem()
    }

    /// The exchange itself: tests move prices, read orders and positions through it.
    pub fn exchange(&self) -> SharedExchange {
        self.inner.exchange.clone()
    }

    /// Every listed instrument id, SWAP first then FUTURES.
    pub fn inst_ids(&self) -> Vec<String> {
        self.inner
            .listings
            .iter()
            .map(|l| l.inst.symbol.clone())
            .collect()
    }

    /// Moves `inst_id`'s mark (and last price, and the book) to `price` and runs fills.
    pub fn set_mark_price(&self, inst_id: &str, price: Decimal) -> bool {
        let now = self.inner.now_ms();
        self.inner.exchange.lock().set_mark(inst_id, price, now)
    }

    /// The tag an order was placed with (`None` for an unknown ordId).
    pub fn order_tag(&self, ord_id: &str) -> Option<String> {
        lock(&self.inner.meta).get(ord_id).map(|m| m.tag.clone())
    }

    /// How many REST requests reached the simulator.
    pub fn rest_requests(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// How many stream connections have subscribed to the exchange's events so far.
    pub fn stream_subscriptions(&self) -> u64 {
        self.inner.stream_subscriptions.load(Ordering::Relaxed)
    }

    pub fn faults(&self) -> Faults {
        self.inner.faults()
    }

    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.inner.faults) = faults;
    }

    /// Closes every stream connection.
    pub fn drop_stream_connections(&self) {
        self.server.drop_stream_connections();
    }

    /// Stops the server, ends the stream connections (upgraded connections outlive the HTTP
    /// server) and the price process; dropping the simulator does the same without waiting.
    pub async fn stop(self) {
        self.server.stop().await;
    }
}
