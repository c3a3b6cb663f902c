//! Deribit v2 as a loopback server, on the venue-neutral exchange of [`crate::core`]: JSON-RPC
//! 2.0 over HTTP (`/api/v2/{method}`, GET with a query or POST with a JSON-RPC body) and over
//! WebSocket (`/ws/api/v2`), with Deribit's OAuth grants (`client_credentials`,
//! `client_signature`, `refresh_token`), its `deri-hmac-sha256`, `Bearer` and `Basic`
//! authorization, tokens that expire, key scopes, the credit rate limit per account, its error
//! codes and messages, order entry on inverse perpetuals, dated futures and a small options
//! chain per currency (BTC, ETH) marked from a volatility surface, positions with greeks,
//! subscriptions with heartbeats, cancel-on-disconnect, and fault knobs.
//!
//! Written from docs.deribit.com (the API reference and /articles: authentication,
//! json-rpc-overview, errors, rate-limits, access-scope). Amounts are in USD for the inverse
//! futures (multiples of the contract size) and in the coin for options; option prices are in
//! the coin. Numbers cross the wire as JSON numbers, written from decimals digit for digit.

mod auth;
mod errors;
mod http;
mod instruments;
mod json;
mod rpc;
mod views;
mod ws;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rust_decimal::Decimal;
use tokio::net::TcpListener;

use crate::core::{ClientIdScope, CoreConfig, Exchange, SharedExchange, VolSurface, wall_ms};
use crate::tls::ServerHandle;

pub use auth::{Access, SimScope};
pub use errors::DeribitError;
pub use instruments::InstrumentKind;

/// One funded account (one API key: a client id and secret) the simulator accepts.
#[derive(Clone)]
pub struct SimAccount {
    pub client_id: String,
    pub client_secret: String,
    /// The key's maximum scope: what a token granted to it may do.
    pub scope: SimScope,
}

impl std::fmt::Debug for SimAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimAccount")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("scope", &self.scope)
            .finish()
    }
}

/// Fault knobs, settable at start ([`SimConfig::faults`]) and at runtime
/// ([`SimServer::set_faults`]).
///
/// `every`: every `every`-th `private/buy` or `private/sell` request (counting from 1) gets
/// the next fault in turn: the order is accepted and the connection dropped before the
/// answer; the order is accepted and a 503 answered; a 503 is answered and the order is not
/// taken. 0 turns it off. The faults apply to HTTP; over WebSocket the first drops the
/// connection after the order is taken, the others answer 13028 `temporarily_unavailable`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    pub every: u32,
    /// Added before every HTTP answer (ms).
    pub latency_ms: u64,
    /// Every `fail_5xx_every`-th HTTP request is answered 503 without acting on it; 0 turns
    /// it off.
    pub fail_5xx_every: u32,
}

/// Deribit's credit-based limits (/articles/rate-limits): each sub-account has a bucket of
/// credits that requests draw from and that refills at a steady rate; an empty bucket
/// answers 10028 `too_many_requests`. Matching-engine requests (buy, sell, edit, cancel) have
/// their own bucket, sized by the account's tier.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// Non-matching requests: the bucket's size (50,000 credits).
    pub credits_max: u32,
    /// Credits refilled per second (10,000).
    pub credits_per_second: u32,
    /// What one non-matching request costs (500).
    pub credits_per_request: u32,
    /// Matching-engine requests: the burst (Tier 4: 20).
    pub matching_burst: u32,
    /// Matching-engine requests refilled per second (Tier 4: 5).
    pub matching_per_second: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            credits_max: 50_000,
            credits_per_second: 10_000,
            credits_per_request: 500,
            matching_burst: 20,
            matching_per_second: 5,
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
    /// Every account's BTC at start (default 10).
    pub btc_balance: Decimal,
    /// Every account's ETH at start (default 100).
    pub eth_balance: Decimal,
    /// Seeds the price process: a seed gives the same prices.
    pub seed: u64,
    /// How often prices move (ms, default 250); 0: only when a test moves them.
    pub tick_interval_ms: u64,
    /// How long an access token lives (`expires_in`, default 900 s).
    pub token_lifetime: Duration,
    /// How long a refresh token lives (default 30 days).
    pub refresh_token_lifetime: Duration,
    pub rate_limits: RateLimits,
    /// How long one second of `public/set_heartbeat`'s interval, and of the 10 minutes of
    /// inactivity after which a connection is closed, lasts here (default 1 s): tests shorten
    /// it to see a missed heartbeat without waiting 20 seconds.
    pub heartbeat_second: Duration,
    /// The volatility surfaces of BTC and ETH options.
    pub btc_surface: VolSurface,
    pub eth_surface: VolSurface,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            accounts: Vec::new(),
            clock_offset_ms: 0,
            faults: Faults::default(),
            btc_balance: Decimal::TEN,
            eth_balance: Decimal::ONE_HUNDRED,
            seed: 0,
            tick_interval_ms: 250,
            token_lifetime: Duration::from_secs(900),
            refresh_token_lifetime: Duration::from_secs(30 * 86_400),
            rate_limits: RateLimits::default(),
            heartbeat_second: Duration::from_secs(1),
            btc_surface: VolSurface::default(),
            eth_surface: VolSurface {
                atm: Decimal::new(65, 2),
                ..VolSurface::default()
            },
        }
    }
}

/// Deribit's order ids are numbers prefixed with the currency (`ETH-349249`); the core keeps
/// the number.
fn order_number(seq: u64) -> String {
    (30_000_000_000u64 + seq).to_string()
}

/// A bucket of credits that refills continuously; credits are kept in thousandths, so that
/// refills at any rate stay whole numbers.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    credits: u64,
    at_ms: i64,
}

/// The simulator's shared state.
pub(crate) struct Inner {
    config: SimConfig,
    listings: Vec<instruments::Listing>,
    exchange: SharedExchange,
    tokens: Mutex<auth::Tokens>,
    /// What the core does not keep of each order (its type as asked, post-only, …), by the
    /// core's order id.
    meta: Mutex<HashMap<String, views::OrderMeta>>,
    faults: Mutex<Faults>,
    /// Credit buckets by (account or peer, matching engine or not).
    buckets: Mutex<HashMap<(String, bool), Bucket>>,
    /// Buy and sell requests so far (for [`Faults::every`]).
    order_requests: AtomicU64,
    /// HTTP requests so far (for [`Faults::fail_5xx_every`]).
    requests: AtomicU64,
    /// Bumped to close every stream connection.
    ws_generation: tokio::sync::watch::Sender<u64>,
    /// Stream connections opened so far (connection ids).
    connections: AtomicU64,
    /// The accounts (by index) whose cancel-on-disconnect is on for every new connection.
    cod_accounts: Mutex<std::collections::HashSet<usize>>,
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
            // Labels are not unique on Deribit (edit_by_label wants exactly one match).
            client_id_scope: ClientIdScope::NotUnique,
            order_id: order_number,
            vol_surfaces: vec![
                ("BTC-PERPETUAL".into(), config.btc_surface),
                ("ETH-PERPETUAL".into(), config.eth_surface),
            ],
            ..CoreConfig::default()
        };
        let mut ex = Exchange::new(core, now);
        for a in &config.accounts {
            ex.add_account(
                &a.client_id,
                &[("BTC", config.btc_balance), ("ETH", config.eth_balance)],
            );
        }
        let (ws_generation, _) = tokio::sync::watch::channel(0);
        Arc::new(Inner {
            faults: Mutex::new(config.faults),
            config,
            listings,
            exchange: SharedExchange::new(ex),
            tokens: Mutex::default(),
            meta: Mutex::default(),
            buckets: Mutex::default(),
            order_requests: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            ws_generation,
            connections: AtomicU64::new(0),
            cod_accounts: Mutex::default(),
        })
    }

    fn now_ms(&self) -> i64 {
        wall_ms() + self.config.clock_offset_ms
    }

    fn faults(&self) -> Faults {
        *lock(&self.faults)
    }

    fn listing(&self, name: &str) -> Option<&instruments::Listing> {
        self.listings.iter().find(|l| l.inst.symbol == name)
    }

    fn account(&self, index: usize) -> Option<&SimAccount> {
        self.config.accounts.get(index)
    }

    /// Draws one request from `who`'s bucket (the matching-engine one when `matching`); false
    /// when it is empty.
    fn allow(&self, who: &str, matching: bool, now: i64) -> bool {
        let limits = self.config.rate_limits;
        // In thousandths of a credit (or of a request).
        let (max, per_second, cost) = if matching {
            (
                u64::from(limits.matching_burst) * 1000,
                u64::from(limits.matching_per_second) * 1000,
                1000,
            )
        } else {
            (
                u64::from(limits.credits_max) * 1000,
                u64::from(limits.credits_per_second) * 1000,
                u64::from(limits.credits_per_request) * 1000,
            )
        };
        let mut buckets = lock(&self.buckets);
        let b = buckets.entry((who.to_owned(), matching)).or_insert(Bucket {
            credits: max,
            at_ms: now,
        });
        let elapsed = u64::try_from(now - b.at_ms).unwrap_or(0);
        b.credits = (b.credits + elapsed * per_second / 1000).min(max);
        b.at_ms = now.max(b.at_ms);
        if b.credits < cost {
            return false;
        }
        b.credits -= cost;
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
        let server = ServerHandle::serve(listener, app, tls, "Deribit", clock, streams)?;
        Ok(SimServer { server, inner })
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://127.0.0.1:PORT`, or `https://…` under TLS; methods are under `/api/v2/`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// `ws://127.0.0.1:PORT/ws/api/v2`, or `wss://…`.
    pub fn ws_url(&self) -> String {
        format!("{}/ws/api/v2", self.server.ws_base_url())
    }

    /// The self-signed certificate (PEM) under TLS.
    pub fn cert_pem(&self) -> Option<String> {
        self.server.cert_pem()
    }

    /// The exchange itself: tests move prices, read orders and positions through it.
    pub fn exchange(&self) -> SharedExchange {
        self.inner.exchange.clone()
    }

    /// Every listed instrument name: perpetuals, dated futures, then options.
    pub fn instrument_names(&self) -> Vec<String> {
        self.inner
            .listings
            .iter()
            .map(|l| l.inst.symbol.clone())
            .collect()
    }

    /// The listed names of one kind and currency (`BTC`, `ETH`).
    pub fn instruments_of(&self, kind: InstrumentKind, currency: &str) -> Vec<String> {
        self.inner
            .listings
            .iter()
            .filter(|l| l.kind == kind && l.inst.base == currency)
            .map(|l| l.inst.symbol.clone())
            .collect()
    }

    /// Moves `instrument`'s mark, index and last price (and the book) to `price` and runs
    /// fills; moving a perpetual reprices the options on its currency.
    pub fn set_mark_price(&self, instrument: &str, price: Decimal) -> bool {
        let now = self.inner.now_ms();
        self.inner.exchange.lock().set_mark(instrument, price, now)
    }

    /// How many HTTP requests reached the simulator.
    pub fn rest_requests(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    pub fn faults(&self) -> Faults {
        self.inner.faults()
    }

    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.inner.faults) = faults;
    }

    /// Makes every access token granted so far expire now (HTTP and WebSocket alike): the
    /// next request with one is refused with 13009 until the client authenticates again.
    pub fn expire_access_tokens(&self) {
        let now = self.inner.now_ms();
        lock(&self.inner.tokens).expire_all(now);
    }

    /// How many requests carried an unknown or expired access token (answered 13009).
    pub fn refused_tokens(&self) -> u64 {
        lock(&self.inner.tokens).refused()
    }

    /// Closes every stream connection (as a network drop would: cancel-on-disconnect fires).
    pub fn drop_stream_connections(&self) {
        self.server.drop_stream_connections();
    }

    /// Stops the server, ends the stream connections (upgraded connections outlive the HTTP
    /// server) and the price process; dropping the simulator does the same without waiting.
    pub async fn stop(self) {
        self.server.stop().await;
    }
}
