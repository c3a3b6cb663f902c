//! Bybit v5 (unified trading account; categories `linear` and `inverse`) as a loopback server,
//! built on the venue-neutral exchange of [`crate::core`].
//!
//! REST (`rest`): market data (`/v5/market/time`, `instruments-info`, `tickers`, `orderbook`,
//! `kline`, `mark-price-kline`), signed order entry and queries (`/v5/order/create`, `amend`,
//! `cancel`, `cancel-all`, `realtime`, `history`, `/v5/execution/list`), positions
//! (`/v5/position/list`, `set-leverage`, `switch-isolated`), the account
//! (`/v5/account/wallet-balance`, `fee-rate`, `info`, `set-margin-mode`), the key
//! (`/v5/user/query-api`) and the disconnection protection (`/v5/order/disconnected-cancel-all`),
//! with Bybit's authentication (`auth`), its retCodes and messages (`errors`) and its rate
//! limits (`limits`).
//! WebSocket (`ws`) on the same address: `/v5/public/linear`, `/v5/public/inverse` and
//! `/v5/private`.

mod auth;
mod errors;
mod instruments;
mod limits;
mod rest;
mod views;
mod ws;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use rust_decimal::Decimal;
use tokio::net::TcpListener;

use crate::core::{self, CoreConfig, Exchange, SharedExchange};
use crate::tls::ServerHandle;

pub use errors::BybitError;

/// What an API key may do, as `GET /v5/user/query-api` reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimKeyPermissions {
    /// `readOnly`: 1 when the key may only read (trading endpoints answer 10005).
    pub read_only: bool,
    /// Whether `permissions.Wallet` holds `Withdraw`.
    pub withdraw: bool,
    /// `ips`: the IPs the key is bound to (empty: `["*"]`, any IP).
    pub ips: Vec<String>,
}

/// One funded account (USDT 100000, BTC 2, ETH 30 at start; see [`SimConfig::balances`]).
#[derive(Clone, Default)]
pub struct SimAccount {
    pub api_key: String,
    /// The HMAC-SHA256 secret; never printed (see the `Debug` impl).
    pub api_secret: String,
    pub permissions: SimKeyPermissions,
    /// An institutional ("Ins") client: only such an account may set the disconnection
    /// protection (`/v5/order/disconnected-cancel-all`).
    pub institutional: bool,
}

impl std::fmt::Debug for SimAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimAccount")
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .field("permissions", &self.permissions)
            .field("institutional", &self.institutional)
            .finish()
    }
}

/// Fault knobs, settable at start and at runtime ([`SimServer::set_faults`]).
///
/// `every`: every `every`-th `/v5/order/create` (counting from 1) gets the next fault in turn:
/// the order is placed and the connection dropped before the answer; the order is placed and
/// a 503 (10016 "Server error.") answered; a 503 is answered and the order is not placed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    pub every: u32,
    /// Added before every REST answer (ms).
    pub latency_ms: u64,
    /// Every `fail_5xx_every`-th REST request (any endpoint) is answered 503 without acting
    /// on it; 0 turns it off.
    pub fail_5xx_every: u32,
}

/// What the simulator serves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub accounts: Vec<SimAccount>,
    /// Every account's wallet at start, per coin.
    pub balances: Vec<(String, Decimal)>,
    /// Added to the simulator's clock (ms).
    pub clock_offset_ms: i64,
    pub faults: Faults,
    /// Seeds the price process: a seed gives the same prices.
    pub seed: u64,
    /// How often prices move (ms, default 250); 0: only when a test moves them.
    pub tick_interval_ms: u64,
    /// `/v5/order/create` per second per UID (Bybit: 10/s for linear and inverse).
    pub order_create_per_second: u32,
    /// HTTP requests per 5 s per IP (Bybit: 600); above it, HTTP 403 "access too frequent".
    pub ip_requests_per_5s: u32,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            accounts: Vec::new(),
            balances: vec![
                ("USDT".into(), Decimal::from(100_000)),
                ("BTC".into(), Decimal::from(2)),
                ("ETH".into(), Decimal::from(30)),
            ],
            clock_offset_ms: 0,
            faults: Faults::default(),
            seed: 0,
            tick_interval_ms: 250,
            order_create_per_second: 10,
            ip_requests_per_5s: 600,
        }
    }
}

/// The disconnection protection of one account: its window, and how many live private
/// connections subscribe to `dcp.future`.
#[derive(Debug, Default, Clone, Copy)]
struct Dcp {
    /// `timeWindow` (s) for DERIVATIVES, once set.
    window_s: Option<i64>,
    live: usize,
}

/// The dead man's scope the derivatives DCP runs under in the exchange.
const DCP_SCOPE: &str = "DERIVATIVES";

/// What every handler and stream connection shares.
pub(super) struct Inner {
    config: SimConfig,
    exchange: SharedExchange,
    faults: Mutex<Faults>,
    limits: Mutex<limits::Limits>,
    dcp: Mutex<HashMap<String, Dcp>>,
    order_requests: AtomicU64,
    /// Every `/v5/order/create` that passed authentication, per (API key, `orderLinkId`),
    /// counted whatever its answer: the record that shows an order sent twice.
    create_requests: Mutex<HashMap<(String, String), usize>>,
    requests: AtomicU64,
    /// Bumped by [`SimServer::drop_stream_connections`]: connections close when it changes.
    ws_generation: tokio::sync::watch::Sender<u64>,
    /// Counts stream connections, for their `conn_id`.
    connections: AtomicU64,
    started_ms: i64,
}

type Shared = Arc<Inner>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Bybit's order ids are UUIDs; the simulator's are drawn from the acceptance sequence so a
/// seed and a request sequence give the same ids.
fn order_id(seq: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (seq.wrapping_mul(0x9E37_79B9) >> 8) & 0xffff_ffff,
        (seq >> 16) & 0xffff,
        seq & 0xfff,
        (seq >> 12) & 0xfff,
        seq
    )
}

impl Inner {
    fn new(config: SimConfig) -> Shared {
        let now = core::wall_ms() + config.clock_offset_ms;
        let mut exchange = Exchange::new(
            CoreConfig {
                instruments: instruments::listed(),
                seed: config.seed,
                client_id_scope: core::ClientIdScope::AllOrders,
                order_id,
                default_leverage: Decimal::TEN,
                ..CoreConfig::default()
            },
            now,
        );
        let balances: Vec<(&str, Decimal)> = config
            .balances
            .iter()
            .map(|(c, a)| (c.as_str(), *a))
            .collect();
        for a in &config.accounts {
            exchange.add_account(&a.api_key, &balances);
        }
        let (ws_generation, _) = tokio::sync::watch::channel(0);
        Arc::new(Inner {
            faults: Mutex::new(config.faults),
            config,
            exchange: SharedExchange::new(exchange),
            limits: Mutex::default(),
            dcp: Mutex::default(),
            order_requests: AtomicU64::new(0),
            create_requests: Mutex::default(),
            requests: AtomicU64::new(0),
            ws_generation,
            connections: AtomicU64::new(0),
            started_ms: now,
        })
    }

    fn now_ms(&self) -> i64 {
        core::wall_ms() + self.config.clock_offset_ms
    }

    fn exchange(&self) -> MutexGuard<'_, Exchange> {
        self.exchange.lock()
    }

    fn account(&self, api_key: &str) -> Option<&SimAccount> {
        self.config.accounts.iter().find(|a| a.api_key == api_key)
    }

    /// A private connection subscribed to `dcp.future`: the countdown stops while it lives.
    fn dcp_connected(&self, api_key: &str) {
        let mut dcp = lock(&self.dcp);
        dcp.entry(api_key.to_owned()).or_default().live += 1;
        self.exchange().disarm_dead_man(api_key, DCP_SCOPE);
    }

    /// A `dcp.future` subscriber left: when it was the last, the countdown starts.
    fn dcp_disconnected(&self, api_key: &str) {
        let mut dcp = lock(&self.dcp);
        let entry = dcp.entry(api_key.to_owned()).or_default();
        entry.live = entry.live.saturating_sub(1);
        if entry.live == 0
            && let Some(window) = entry.window_s
        {
            let deadline = self.now_ms() + window * 1000;
            self.exchange().arm_dead_man(
                api_key,
                DCP_SCOPE,
                deadline,
                core::CancelFilter::default(),
            );
        }
    }
}

fn router(inner: Shared) -> Router {
    rest::routes().merge(ws::routes()).with_state(inner)
}

/// A running simulator.
pub struct SimServer {
    server: ServerHandle,
    inner: Shared,
}

impl SimServer {
    /// Serves on `listener` (bind it to loopback) until dropped or stopped.
    pub fn start(listener: TcpListener, config: SimConfig) -> std::io::Result<SimServer> {
        Self::launch(listener, config, false)
    }

    /// Like [`SimServer::start`] over TLS 1.3 with a self-signed certificate for 127.0.0.1,
    /// ::1 and localhost ([`SimServer::cert_pem`]).
    pub fn start_tls(listener: TcpListener, config: SimConfig) -> std::io::Result<SimServer> {
        Self::launch(listener, config, true)
    }

    fn launch(listener: TcpListener, config: SimConfig, tls: bool) -> std::io::Result<SimServer> {
        let step = Duration::from_millis(config.tick_interval_ms);
        let offset = config.clock_offset_ms;
        let inner = Inner::new(config);
        let clock = inner.exchange.spawn_clock(step, offset);
        let app = router(inner.clone());
        let streams = inner.ws_generation.clone();
        let server = ServerHandle::serve(listener, app, tls, "Bybit", clock, streams)?;
        Ok(SimServer { server, inner })
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://127.0.0.1:PORT` (or `https://…` under TLS).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// `ws://127.0.0.1:PORT` (or `wss://…`): the streams are `/v5/public/linear`,
    /// `/v5/public/inverse` and `/v5/private` under it.
    pub fn ws_base_url(&self) -> String {
        self.server.ws_base_url()
    }

    /// The self-signed certificate (PEM) under TLS.
    pub fn cert_pem(&self) -> Option<String> {
        self.server.cert_pem()
    }

    /// The exchange underneath, for tests: prices, orders, positions, wallets.
    pub fn exchange(&self) -> SharedExchange {
        self.inner.exchange.clone()
    }

    /// Moves `symbol`'s mark to `price` now (fills and triggers run). False for an unknown
    /// symbol.
    pub fn set_mark_price(&self, symbol: &str, price: Decimal) -> bool {
        let now = self.inner.now_ms();
        self.inner.exchange().set_mark(symbol, price, now)
    }

    /// Runs `n` steps of the price process now.
    pub fn step_prices(&self, n: usize) {
        let now = self.inner.now_ms();
        let mut ex = self.inner.exchange();
        for _ in 0..n {
            ex.step(now);
        }
    }

    /// How many REST requests reached the simulator.
    pub fn rest_requests(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// How many `/v5/order/create` requests (authenticated, whatever their answer) carried
    /// each `orderLinkId` of `api_key`, sorted by id: more than 1 means the order was sent
    /// again.
    pub fn create_requests(&self, api_key: &str) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = lock(&self.inner.create_requests)
            .iter()
            .filter(|((key, _), _)| key == api_key)
            .map(|((_, id), n)| (id.clone(), *n))
            .collect();
        out.sort();
        out
    }

    pub fn faults(&self) -> Faults {
        *lock(&self.inner.faults)
    }

    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.inner.faults) = faults;
    }

    /// When the account's DCP countdown runs out (server ms), if it runs.
    pub fn dcp_deadline(&self, api_key: &str) -> Option<i64> {
        self.inner.exchange().dead_man_deadline(api_key, DCP_SCOPE)
    }

    /// Closes every stream connection (as a network failure: no close frame).
    pub fn drop_stream_connections(&self) {
        self.server.drop_stream_connections();
    }

    /// Stops the server, ends the stream connections (upgraded connections outlive the HTTP
    /// server) and the price process; dropping the simulator does the same without waiting.
    pub async fn stop(self) {
        self.server.stop().await;
    }
}
