//! Binance USDⓈ-M futures (`/fapi`) as a loopback server: server time, exchangeInfo, market data
//! (premiumIndex, depth, klines) from a seeded price process, signed order entry that matches
//! against a book around the mark price, the Algo Service's conditional orders
//! (`/fapi/v1/algoOrder`: stop / take-profit triggers that place a regular order), positions and
//! balances, listen keys, Binance's authentication (HMAC and Ed25519), timestamp and filter
//! checks, error codes and messages, request-weight and order-count limits, and fault knobs.
//! Each API key has permissions ([`SimKeyPermissions`]), served as the SPOT host's
//! `GET /sapi/v1/account/apiRestrictions` on the same address and enforced on the futures TRADE
//! endpoints.
//! Order, fill, position and price changes are published as [`SimEvent`]s for the streams
//! (`ws`), with the diff and partial depth and aggregate trades (`ws::book_streams`).

mod algo;
mod auth;
mod errors;
mod events;
mod exchange;
mod http;
mod key_permissions;
mod market;
mod orders;
mod views;
mod ws;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use rust_decimal::Decimal;
use serde_json::json;
use tokio::net::TcpListener;

use crate::tls::ServerHandle;

pub use errors::BinanceError;
pub use events::SimEvent;
pub use key_permissions::SimKeyPermissions;
pub use orders::AcceptedOrder;

/// One funded account the simulator accepts (its USDT wallet starts at
/// [`SimConfig::usdt_balance`]).
///
/// `api_secret` is the HMAC-SHA256 secret, or, for a Binance Ed25519 API key, the registered
/// Ed25519 public key as PEM (`-----BEGIN PUBLIC KEY-----…`): the account's requests are then
/// verified as Ed25519 signatures (base64, URL-encoded) of the same payload.
#[derive(Debug, Clone, Default)]
pub struct SimAccount {
    pub api_key: String,
    pub api_secret: String,
    /// What the key may do at start (default: read and trade futures, nothing more); changed at
    /// runtime with [`SimServer::set_key_permissions`].
    pub permissions: SimKeyPermissions,
}

impl SimAccount {
    /// Whether the account holds an Ed25519 public key rather than an HMAC secret.
    pub(super) fn ed25519_public_pem(&self) -> Option<&str> {
        self.api_secret
            .trim_start()
            .starts_with("-----BEGIN PUBLIC KEY-----")
            .then_some(self.api_secret.as_str())
    }
}

/// An account's one-way position on a symbol, as Position Information shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimPosition {
    /// `positionAmt`: signed, negative when short.
    pub amt: Decimal,
    /// `entryPrice` (0 when flat).
    pub entry: Decimal,
}

/// What the simulator serves and how it misbehaves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub accounts: Vec<SimAccount>,
    /// Added to the simulator's clock (ms): tests of clock-offset handling.
    pub clock_offset_ms: i64,
    pub faults: Faults,
    /// Every account's USDT wallet balance at start (default 100000).
    pub usdt_balance: Decimal,
    /// Seeds the price process (and the candle history): a seed gives the same prices.
    pub seed: u64,
    /// How often the price process moves (ms, default 250). 0: prices move only when a test
    /// calls [`SimServer::set_mark_price`] or [`SimServer::step_prices`].
    pub tick_interval_ms: u64,
    /// The same in microseconds, when set (it then wins over `tick_interval_ms`): for load,
    /// e.g. 200 makes 5,000 price steps a second, each publishing its mark, book and candle.
    pub tick_interval_us: Option<u64>,
    /// REQUEST_WEIGHT per minute (default 2400): above it, HTTP 429 and then 418.
    pub request_weight_limit: u32,
    /// ORDERS per minute (default 1200): above it, HTTP 429 with -1015.
    pub order_limit_per_minute: u32,
    /// ORDERS per 10 seconds (default 300): above it, HTTP 429 with -1015.
    pub order_limit_per_10s: u32,
    /// How long a listen key lives without a keepalive (ms, default 60 minutes).
    pub listen_key_validity_ms: i64,
    /// More USDT perpetuals to list after BTCUSDT, ETHUSDT and SOLUSDT, with SOLUSDT's rules
    /// and a starting mark of 150. A name is listed as given, whatever it holds: tests use one
    /// with HTML markup to check that a client shows venue text as text.
    pub extra_symbols: Vec<String>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            accounts: Vec::new(),
            clock_offset_ms: 0,
            faults: Faults::default(),
            usdt_balance: Decimal::from(100_000),
            seed: 0,
            tick_interval_ms: 250,
            tick_interval_us: None,
            request_weight_limit: 2400,
            order_limit_per_minute: 1200,
            order_limit_per_10s: 300,
            listen_key_validity_ms: 60 * 60 * 1000,
            extra_symbols: Vec::new(),
        }
    }
}

/// Fault knobs, settable at start ([`SimConfig::faults`]) and at runtime
/// ([`SimServer::set_faults`]).
///
/// `every`: for new orders (`POST /fapi/v1/order` and `POST /fapi/v1/algoOrder`, one count),
/// every `every`-th order request (counting from 1) gets the next fault in turn: the order is
/// accepted and the connection dropped before the answer; the order is accepted and a 503
/// "Unknown error" answered; a 503 is answered and the order is not taken.
/// `every == 0` turns these off.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    pub every: u32,
    /// Added before every REST answer (ms).
    pub latency_ms: u64,
    /// Every `fail_5xx_every`-th REST request (any endpoint, counting from 1) is answered
    /// 503 without acting on it; 0 turns it off.
    pub fail_5xx_every: u32,
    /// Every `query_fault_every`-th Query Order request (`GET /fapi/v1/order`, counting from 1)
    /// fails, alternately: a 503 (-1001 "Internal error; unable to process your request.
    /// Please try again."), then a connection dropped before the answer. 0 turns it off.
    pub query_fault_every: u32,
    /// For this long (ms) after an order is accepted, Query Order does not see it: by
    /// `origClientOrderId` or `orderId` it answers -2013 "Order does not exist." (a venue whose
    /// query side lags its matching engine). 0 turns it off.
    pub invisible_for_ms: u64,
    /// Every `slow_answer_every`-th new-order request (the `every` count) is taken at once and
    /// answered only after [`Faults::slow_answer_ms`]: set that past the client's timeout to
    /// make an order whose answer never reaches the client. 0 turns it off.
    pub slow_answer_every: u32,
    /// The delay (ms) of a slow answer; see [`Faults::slow_answer_every`].
    pub slow_answer_ms: u64,
}

/// A listen key's owner (API key) and when it lapses (server ms).
struct ListenKey {
    api_key: String,
    expires_at: i64,
}

/// One IP's request weight this minute, and any ban. Binance counts weight per IP, shared by
/// every account and tool on it ("The limits on the API are based on the IPs, not the API
/// keys"; a client that keeps sending after a 429 is banned with 418, "from 2 minutes to 3
/// days").
#[derive(Debug, Default)]
struct IpWeight {
    minute: i64,
    weight: u32,
    /// A 429 was answered this minute: the next request over the limit is banned (418).
    warned: bool,
    banned_until: i64,
}

/// One account's new-order counts: per minute and per 10 seconds. Binance counts orders per
/// account ("the default order limit per account/sub-account is 1,200/min", with "an additional
/// 10-second limit, default at 300/10s").
#[derive(Debug, Default)]
struct OrderCounts {
    minute: i64,
    orders: u32,
    /// The start of the current 10-second window (ms) and the orders in it.
    ten_seconds: i64,
    orders_10s: u32,
}

/// The rate-limit state: weight by peer IP, order counts by API key.
#[derive(Debug, Default)]
struct Limits {
    by_ip: HashMap<std::net::IpAddr, IpWeight>,
    by_account: HashMap<String, OrderCounts>,
}

/// The simulator's shared state: what every handler, the stream side and the background
/// tasks see.
pub(super) struct Inner {
    config: SimConfig,
    /// Everything the streams publish; see [`SimEvent`].
    events: tokio::sync::broadcast::Sender<SimEvent>,
    /// Which symbols' market events someone receives.
    pub(super) interest: events::SharedInterest,
    /// Bumped by [`SimServer::drop_stream_connections`]: stream connections close when it
    /// changes.
    pub(super) ws_generation: tokio::sync::watch::Sender<u64>,
    listen_keys: Mutex<HashMap<String, ListenKey>>,
    /// Orders, positions, wallets, prices: everything that trades, under one lock.
    exchange: Mutex<exchange::Exchange>,
    faults: Mutex<Faults>,
    limits: Mutex<Limits>,
    /// New-order requests so far (for `Faults::every` and `Faults::slow_answer_every`).
    order_requests: AtomicU64,
    /// Query Order requests so far (for `Faults::query_fault_every`).
    order_queries: AtomicU64,
    /// REST requests so far (for `Faults::fail_5xx_every`).
    requests: AtomicU64,
    /// Draws listen keys.
    key_counter: AtomicU64,
    /// Stream connections that have subscribed to the events so far (see
    /// [`SimServer::stream_subscriptions`]).
    pub(super) stream_subscriptions: AtomicU64,
    /// API keys revoked since start ([`SimServer::revoke_api_key`]): refused like unknown ones.
    revoked: Mutex<std::collections::HashSet<String>>,
    /// Each account's key permissions, from [`SimAccount::permissions`] and
    /// [`SimServer::set_key_permissions`].
    key_permissions: Mutex<HashMap<String, SimKeyPermissions>>,
    /// Server time at start (ms): a key's `createTime` when its permissions give none.
    started_ms: i64,
}

pub(super) type Shared = Arc<Inner>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Inner {
    pub(super) fn new(config: SimConfig) -> Shared {
        let (events, _) = tokio::sync::broadcast::channel(4096);
        let (ws_generation, _) = tokio::sync::watch::channel(0);
        let now = wall_ms() + config.clock_offset_ms;
        let interest = events::SharedInterest::default();
        let exchange = exchange::Exchange::new(&config, events.clone(), interest.clone(), now);
        let key_permissions = config
            .accounts
            .iter()
            .map(|a| (a.api_key.clone(), a.permissions))
            .collect();
        Arc::new(Inner {
            faults: Mutex::new(config.faults),
            config,
            events,
            interest,
            ws_generation,
            listen_keys: Mutex::default(),
            exchange: Mutex::new(exchange),
            limits: Mutex::default(),
            order_requests: AtomicU64::new(0),
            order_queries: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            key_counter: AtomicU64::new(0),
            stream_subscriptions: AtomicU64::new(0),
            revoked: Mutex::default(),
            key_permissions: Mutex::new(key_permissions),
            started_ms: now,
        })
    }

    /// A receiver of every event published from now on.
    pub(super) fn subscribe(&self) -> tokio::sync::broadcast::Receiver<SimEvent> {
        self.events.subscribe()
    }

    /// A signed request's key and parameters, checked as Binance checks them; a revoked key is
    /// refused as an unknown one (-2015).
    pub(in crate::binance_usdm) fn verify_signed(
        &self,
        query: &str,
        headers: &axum::http::HeaderMap,
        body: &str,
        now: i64,
    ) -> Result<auth::Verified, BinanceError> {
        let verified = auth::verify(&self.config.accounts, query, headers, body, now)?;
        if lock(&self.revoked).contains(&verified.api_key) {
            return Err(BinanceError::RejectedKey);
        }
        Ok(verified)
    }

    /// A signed request to a futures TRADE endpoint: verified as [`Inner::verify_signed`] does,
    /// then refused (-2015) when the key lacks `enableFutures`.
    pub(in crate::binance_usdm) fn verify_trade(
        &self,
        query: &str,
        headers: &axum::http::HeaderMap,
        body: &str,
        now: i64,
    ) -> Result<auth::Verified, BinanceError> {
        let verified = self.verify_signed(query, headers, body, now)?;
        if !self
            .permissions_of(&verified.api_key)
            .is_some_and(|p| p.futures)
        {
            return Err(BinanceError::RejectedKey);
        }
        Ok(verified)
    }

    /// The key's permissions; `None` for a key the simulator does not know.
    pub(in crate::binance_usdm) fn permissions_of(
        &self,
        api_key: &str,
    ) -> Option<SimKeyPermissions> {
        lock(&self.key_permissions).get(api_key).copied()
    }

    /// The API key of a USER_STREAM request, unless it was revoked.
    pub(in crate::binance_usdm) fn api_key_only(
        &self,
        headers: &axum::http::HeaderMap,
    ) -> Result<String, BinanceError> {
        let api_key = auth::api_key_only(&self.config.accounts, headers)?;
        if lock(&self.revoked).contains(&api_key) {
            return Err(BinanceError::RejectedKey);
        }
        Ok(api_key)
    }

    /// The API key that owns `listen_key`, while the key is valid.
    pub(super) fn listen_key_owner(&self, listen_key: &str) -> Option<String> {
        let now = self.now_ms();
        let keys = lock(&self.listen_keys);
        keys.get(listen_key)
            .filter(|k| k.expires_at > now)
            .map(|k| k.api_key.clone())
    }

    fn now_ms(&self) -> i64 {
        wall_ms() + self.config.clock_offset_ms
    }

    fn exchange(&self) -> MutexGuard<'_, exchange::Exchange> {
        lock(&self.exchange)
    }

    fn faults(&self) -> Faults {
        *lock(&self.faults)
    }

    /// One housekeeping pass: countdownCancelAll deadlines, listen-key expiry.
    fn housekeep(&self) {
        let now = self.now_ms();
        self.exchange().fire_countdowns(now);
        let expired: Vec<(String, String)> = {
            let mut keys = lock(&self.listen_keys);
            let gone: Vec<String> = keys
                .iter()
                .filter(|(_, k)| k.expires_at <= now)
                .map(|(key, _)| key.clone())
                .collect();
            gone.into_iter()
                .filter_map(|key| keys.remove(&key).map(|k| (key, k.api_key)))
                .collect()
        };
        for (key, api_key) in expired {
            self.publish_key_expired(&key, &api_key, now);
        }
    }

    fn publish_key_expired(&self, key: &str, api_key: &str, now: i64) {
        let _ = self.events.send(SimEvent::user(
            api_key.to_owned(),
            json!({ "e": "listenKeyExpired", "E": now, "listenKey": key }),
        ));
    }
}

fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// How often `<symbol>@ticker` and `<symbol>@miniTicker` are pushed: "Update Speed: 2000ms"
/// (USDⓈ-M "Individual Symbol Ticker Streams"; the mini ticker's page says 2s).
pub(super) const TICKER_INTERVAL_MS: u64 = 2_000;

/// The most price steps one 10 ms beat of the clock makes (an interval of 20 µs): a clock
/// further behind drops steps instead of catching up.
const MAX_STEPS_PER_BEAT: u32 = 500;

/// The background clock: moves prices every `tick_interval_ms`, publishes each symbol's 24hr
/// tickers (full and mini) every [`TICKER_INTERVAL_MS`] (whether or not the price process runs, as Binance
/// pushes it on its own clock), and checks countdowns and listen keys about every 10 ms
/// (Binance checks countdowns "approximately every 10 milliseconds"). Aborted when the
/// [`SimServer`] stops or is dropped.
async fn run_clock(inner: Shared) {
    use std::time::Duration;
    let interval = match inner.config.tick_interval_us {
        Some(us) => Duration::from_micros(us),
        None => Duration::from_millis(inner.config.tick_interval_ms),
    };
    let mut beat = tokio::time::interval(Duration::from_millis(10));
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let start = tokio::time::Instant::now();
    let mut next_step = start + interval;
    let mut next_ticker = start + Duration::from_millis(TICKER_INTERVAL_MS);
    loop {
        beat.tick().await;
        let instant = tokio::time::Instant::now();
        if !interval.is_zero() && instant >= next_step {
            // Every step due since the last beat (an interval under the beat's 10 ms makes
            // several), under one lock; a process that fell far behind skips rather than bursts.
            let now = inner.now_ms();
            let mut exchange = inner.exchange();
            let mut steps = 0;
            while next_step <= instant && steps < MAX_STEPS_PER_BEAT {
                exchange.step(now);
                next_step += interval;
                steps += 1;
            }
            drop(exchange);
            if next_step <= instant {
                next_step = instant + interval;
            }
        }
        if instant >= next_ticker {
            // Skip missed beats rather than burst: one ticker per interval at most.
            while next_ticker <= instant {
                next_ticker += Duration::from_millis(TICKER_INTERVAL_MS);
            }
            let now = inner.now_ms();
            inner.exchange().publish_tickers(now);
        }
        inner.housekeep();
    }
}

/// Every REST route of the simulator, with its state.
pub(super) fn router(inner: Shared) -> Router {
    http::routes(inner.clone())
        .merge(ws::routes())
        .with_state(inner)
}

/// A running simulator.
pub struct SimServer {
    /// The server, the self-signed certificate when serving TLS, and the price process and
    /// housekeeping ([`run_clock`]), aborted on stop and drop.
    server: ServerHandle,
    inner: Shared,
}

impl SimServer {
    /// Serves on `listener` (bind it to loopback) until dropped or [`SimServer::stop`]ped.
    pub fn start(listener: TcpListener, config: SimConfig) -> std::io::Result<SimServer> {
        Self::launch(listener, config, false)
    }

    /// Like [`SimServer::start`], over TLS 1.3 only (`https://`, `wss://`), with a self-signed
    /// certificate for 127.0.0.1, ::1 and localhost generated now: see [`SimServer::cert_pem`].
    pub fn start_tls(listener: TcpListener, config: SimConfig) -> std::io::Result<SimServer> {
        Self::launch(listener, config, true)
    }

    fn launch(listener: TcpListener, config: SimConfig, tls: bool) -> std::io::Result<SimServer> {
        let inner = Inner::new(config);
        let app = router(inner.clone());
        let clock = tokio::spawn(run_clock(inner.clone()));
        let streams = inner.ws_generation.clone();
        let server = ServerHandle::serve(listener, app, tls, "Binance USDⓈ-M", clock, streams)?;
        Ok(SimServer { server, inner })
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The REST base: `http://127.0.0.1:PORT`, or `https://…` under TLS.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The stream base: `ws://127.0.0.1:PORT`, or `wss://…` under TLS. Binance's routed paths
    /// under it: `/public` (book data: `@depth…`, `@bookTicker`), `/market` (`@markPrice`,
    /// `@kline_…`, `@aggTrade`, `@ticker`, `@miniTicker`, …), each with `/ws/<streamName>` and
    /// `/stream?streams=<a>/<b>`, and `/private/ws?listenKey=<key>&events=<E1>/<E2>` (or
    /// `/private/ws/<listenKey>`) for user data; the unrouted `/ws/…` and `/stream?…` carry
    /// everything.
    pub fn ws_base_url(&self) -> String {
        self.server.ws_base_url()
    }

    /// The self-signed certificate (PEM) a client trusts to reach this simulator over TLS;
    /// `None` without TLS.
    pub fn cert_pem(&self) -> Option<String> {
        self.server.cert_pem()
    }

    /// Every accepted order's client order id (all accounts), oldest first; an id appears once
    /// per acceptance.
    pub fn client_order_ids(&self) -> Vec<String> {
        self.inner
            .exchange()
            .orders
            .all()
            .into_iter()
            .map(|o| o.client_id.clone())
            .collect()
    }

    /// How many times the simulator accepted a regular order with this client order id from
    /// this account (any symbol). Binance lets an id be used again once the earlier order is no
    /// longer open, so this can exceed 1; it is the venue's own record, for counting duplicates.
    pub fn accepted_count(&self, api_key: &str, client_order_id: &str) -> usize {
        self.inner
            .exchange()
            .orders
            .accepted_count(api_key, client_order_id)
    }

    /// The whole acceptance record: each (account, client order id) and how many times it was
    /// accepted, sorted.
    pub fn accepted_orders(&self) -> Vec<(AcceptedOrder, usize)> {
        self.inner.exchange().orders.accepted()
    }

    /// Every accepted algo order's `clientAlgoId` (all accounts), oldest first.
    pub fn client_algo_ids(&self) -> Vec<String> {
        let ex = self.inner.exchange();
        let mut algos: Vec<(u64, String)> = ex
            .algos
            .values()
            .map(|a| (a.algo_id, a.client_algo_id.clone()))
            .collect();
        algos.sort();
        algos.into_iter().map(|(_, id)| id).collect()
    }

    /// The algo order with this `clientAlgoId` (on `symbol`, when given), as
    /// `GET /fapi/v1/algoOrder` shows it.
    pub fn algo_order_by_client_id(
        &self,
        api_key: &str,
        symbol: Option<&str>,
        client_algo_id: &str,
    ) -> Option<serde_json::Value> {
        let ex = self.inner.exchange();
        let id = ex.algo_by_client_id(api_key, symbol, client_algo_id)?;
        ex.algo_json(id)
    }

    /// Places a regular order through the order-entry function `POST /fapi/v1/order` runs
    /// (validation, margin, matching, events), without HTTP, signature or rate limits: for
    /// benchmarks of the exchange itself. `params` are the endpoint's parameters.
    pub fn place_order_in_process(
        &self,
        api_key: &str,
        params: &[(&str, &str)],
    ) -> Result<serde_json::Value, BinanceError> {
        let params: HashMap<String, String> = params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let now = self.inner.now_ms();
        self.inner.exchange().place(api_key, &params, now)
    }

    /// How many orders the simulator has accepted (all accounts).
    pub fn order_count(&self) -> usize {
        self.inner.exchange().orders.len()
    }

    /// The latest accepted order with this client id, if any, as `GET /fapi/v1/order` shows it.
    pub fn order_by_client_id(
        &self,
        api_key: &str,
        symbol: &str,
        client_id: &str,
    ) -> Option<(u64, serde_json::Value)> {
        let ex = self.inner.exchange();
        let id = ex.orders.latest_by_client_id(api_key, symbol, client_id)?;
        ex.orders.get(id).map(|o| (o.order_id, o.to_json()))
    }

    /// The countdownCancelAll deadline of `api_key` on `symbol` (server ms), `None` when no
    /// countdown runs (never set, stopped with `countdownTime=0`, or fired).
    pub fn countdown_deadline(&self, api_key: &str, symbol: &str) -> Option<i64> {
        self.inner
            .exchange()
            .countdowns
            .get(&(api_key.to_owned(), symbol.to_owned()))
            .copied()
    }

    /// How many stream connections have subscribed to the simulator's events so far. A
    /// connection subscribes just after its handshake, so a test that must not lose an event
    /// to that gap waits until this count has grown.
    pub fn stream_subscriptions(&self) -> u64 {
        self.inner
            .stream_subscriptions
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Moves `symbol`'s mark (with index and last price, and the book around it) to `price`
    /// and runs triggers and fills at once. False for an unknown symbol.
    pub fn set_mark_price(&self, symbol: &str, price: Decimal) -> bool {
        let now = self.inner.now_ms();
        self.inner.exchange().set_mark(symbol, price, now)
    }

    /// Runs `n` steps of the seeded price process now (every symbol).
    pub fn step_prices(&self, n: usize) {
        let now = self.inner.now_ms();
        let mut ex = self.inner.exchange();
        for _ in 0..n {
            ex.step(now);
        }
    }

    /// `symbol`'s current mark price.
    pub fn mark_price(&self, symbol: &str) -> Option<Decimal> {
        self.inner.exchange().market(symbol).map(|m| m.mark)
    }

    /// The account's USDT wallet balance (realised PnL included).
    pub fn wallet_balance(&self, api_key: &str) -> Option<Decimal> {
        self.inner
            .exchange()
            .accounts
            .get(api_key)
            .map(|a| a.wallet)
    }

    /// Sets the account's USDT wallet balance (a deposit or withdrawal, for tests).
    pub fn set_wallet_balance(&self, api_key: &str, balance: Decimal) -> bool {
        let now = self.inner.now_ms();
        self.inner.exchange().set_wallet(api_key, balance, now)
    }

    /// The account's position on `symbol`.
    pub fn position(&self, api_key: &str, symbol: &str) -> Option<SimPosition> {
        let ex = self.inner.exchange();
        let p = ex.accounts.get(api_key)?.position(symbol);
        Some(SimPosition {
            amt: p.amt,
            entry: p.entry,
        })
    }

    /// How many REST requests reached the simulator (every endpoint, refused ones included):
    /// lets a test see that a client sent nothing.
    pub fn rest_requests(&self) -> u64 {
        self.inner
            .requests
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The fault knobs in force.
    pub fn faults(&self) -> Faults {
        self.inner.faults()
    }

    /// Changes the fault knobs from now on.
    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.inner.faults) = faults;
    }

    /// Revokes an API key, as a user does on the exchange's site: every signed or API-key
    /// request with it is refused from now on (-2015, "Invalid API-key, IP, or permissions for
    /// action.").
    pub fn revoke_api_key(&self, api_key: &str) {
        lock(&self.inner.revoked).insert(api_key.to_owned());
    }

    /// Takes back a revocation: the key works again.
    pub fn reinstate_api_key(&self, api_key: &str) {
        lock(&self.inner.revoked).remove(api_key);
    }

    /// Changes what an account's API key may do from now on, as a user does on the exchange's
    /// API management page: `GET /sapi/v1/account/apiRestrictions` reports it, and a key without
    /// futures permission is refused on the TRADE endpoints (-2015). False for a key the
    /// simulator does not know.
    pub fn set_key_permissions(&self, api_key: &str, permissions: SimKeyPermissions) -> bool {
        match lock(&self.inner.key_permissions).get_mut(api_key) {
            Some(held) => {
                *held = permissions;
                true
            }
            None => false,
        }
    }

    /// What an account's API key may do now; `None` for a key the simulator does not know.
    pub fn key_permissions(&self, api_key: &str) -> Option<SimKeyPermissions> {
        self.inner.permissions_of(api_key)
    }

    /// A receiver of every stream event (market and user) published from now on. From the
    /// first call on, every symbol's market events are built, subscribed on a stream or not.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<SimEvent> {
        self.inner.interest.everything();
        self.inner.subscribe()
    }

    /// Closes every stream connection (they see the generation change): a knob for testing
    /// reconnects.
    pub fn drop_stream_connections(&self) {
        self.server.drop_stream_connections();
    }

    /// Stops the server, ends the stream connections (upgraded connections outlive the HTTP
    /// server) and the price process; dropping the simulator does the same without waiting.
    pub async fn stop(self) {
        self.server.stop().await;
    }
}
