//! The Binance USDⓈ-M REST client: reqwest on rustls with TLS 1.3 as the minimum and connection
//! reuse; plain HTTP only to loopback (the simulator). Requests are signed with venue time (local
//! clock + measured offset, measured again when it ages or the venue says it is wrong) and
//! budgeted by request weight and, for new orders, by the account's order-count limits. Nothing is
//! ever retried blindly: a timeout or a dropped connection on an order is reported as such, for
//! the caller to resolve by client order id.
//!
//! Weights are the ones each endpoint's page publishes (USDⓈ-M Futures REST API); they are noted
//! on each method.
//!
//! One request goes to another host: the API key's permissions, read from Binance's SPOT host
//! (see [`super::key_permissions`]), with the same HTTP client (TLS, timeouts), the same signing
//! and the same rules, on that host's own weight budget.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use super::algo::{AlgoCancel, AlgoOrder, Placed};
use super::environment::{self, BinanceEndpoints, Environment};
use super::filters::SymbolFilters;
use super::lane::{LaneResult, OrderLane};
use super::limits::{
    DEFAULT_ORDERS_PER_10S, DEFAULT_ORDERS_PER_MINUTE, Hold, OrderBudget, RateLimits,
    SharedWeightBudget, order_count_headers, sapi_used_ip_weight_header, used_weight_header,
    weight_budget_for,
};
use super::models::{
    AccountInfo, AccountTrade, AssetBalance, CodeMsg, CommissionRate, Countdown, Depth, Kline,
    KlineInterval, LeverageChange, ListenKeyBody, Order, PositionRiskV2, PositionRiskV3,
    PremiumIndex,
};
use super::order::OrderRequest;
use super::signer::{Signer, encode_params, push_param};
use crate::clock::{ClockOffset, Sample};
pub(super) use crate::http::local_ms;
use crate::http::{describe, lock};

pub use super::error::{HoldReason, VenueError};
use super::error::{INVALID_TIMESTAMP, NO_SUCH_ORDER};

/// The header that carries the API key on SIGNED and USER_STREAM requests.
const API_KEY_HEADER: &str = "X-MBX-APIKEY";

/// Where Binance takes a new order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderEndpoint {
    /// New Order, `POST /fapi/v1/order` (MARKET and LIMIT).
    Order,
    /// New Algo Order, `POST /fapi/v1/algoOrder` (the conditional types).
    Algo,
}

impl OrderEndpoint {
    pub const fn path(self) -> &'static str {
        match self {
            OrderEndpoint::Order => "/fapi/v1/order",
            OrderEndpoint::Algo => "/fapi/v1/algoOrder",
        }
    }
}

/// A new order checked, encoded and signed with venue time, and counted on the order budget:
/// the request [`RestClient::send_order`] writes, byte for byte (`POST`, [`Self::path`], the
/// form body [`Self::body`], the API key in `X-MBX-APIKEY`). Its signature is valid for
/// recvWindow, so `Debug` leaves the body out.
pub struct PreparedOrder<'a> {
    endpoint: OrderEndpoint,
    body: String,
    api_key: &'a str,
}

impl PreparedOrder<'_> {
    pub fn method(&self) -> Method {
        Method::POST
    }

    pub fn endpoint(&self) -> OrderEndpoint {
        self.endpoint
    }

    pub fn path(&self) -> &'static str {
        self.endpoint.path()
    }

    /// The form-encoded parameters, `recvWindow`, `timestamp` and `signature` last.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The header name and the API key it carries.
    pub fn api_key_header(&self) -> (&'static str, &str) {
        (API_KEY_HEADER, self.api_key)
    }
}

impl std::fmt::Debug for PreparedOrder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedOrder")
            .field("path", &self.path())
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// Binance's documented USDⓈ-M REST base URLs (see [`Environment`]).
pub const MAINNET: &str = environment::LIVE_REST;
pub const TESTNET: &str = environment::TESTNET_REST;
pub const DEMO: &str = environment::DEMO_REST;

/// How the client connects and budgets. `Default` is what Rampart uses against the real venue.
#[derive(Clone)]
pub struct ClientOptions {
    /// The whole request, from connecting to the last byte of the answer.
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    /// An extra trusted root certificate (PEM), e.g. the simulator's self-signed certificate on
    /// loopback; merged with the platform's roots. `None` for real venues.
    pub extra_root_pem: Option<String>,
    /// `recvWindow` sent with signed requests (Binance recommends 5000 or less).
    pub recv_window_ms: u32,
    /// Measure the clock again before signing when the last measurement is older than this.
    pub clock_max_age: Duration,
    /// Share of each limit (weight and orders) left unused, for other tools and for weights
    /// that change without notice.
    pub margin_percent: u32,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            extra_root_pem: None,
            recv_window_ms: 5000,
            clock_max_age: Duration::from_secs(5 * 60),
            margin_percent: 10,
        }
    }
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("request_timeout", &self.request_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field(
                "extra_root_pem",
                &self.extra_root_pem.as_ref().map(|_| "<pem>"),
            )
            .field("recv_window_ms", &self.recv_window_ms)
            .field("clock_max_age", &self.clock_max_age)
            .field("margin_percent", &self.margin_percent)
            .finish()
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    code: i64,
    msg: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServerTime {
    server_time: i64,
}

/// Accepts https anywhere and http only to loopback.
fn check_base_url(base: &str) -> Result<String, VenueError> {
    crate::http::secure_base(base).ok_or_else(|| VenueError::InsecureUrl(base.into()))
}

/// Where a client of the futures REST base `base` (checked) reads the SPOT host's wallet
/// endpoints: Binance's SPOT host for its production futures host, none for its futures testnet
/// and Demo Trading hosts (Binance serves no such endpoint there), and `base` itself for any
/// other host (the simulator serves both on one address).
fn spot_base_for(base: &str) -> Option<String> {
    let known = [Environment::Live, Environment::Testnet, Environment::Demo]
        .into_iter()
        .find(|env| env.rest_base().map(origin) == Some(origin(base)));
    match known {
        Some(env) => env.spot_rest_base().map(str::to_owned),
        None => Some(base.to_owned()),
    }
}

/// The scheme, host and port of a checked base URL (the port spelled out, so `https://h` and
/// `https://h:443` name the same host): the key of the shared weight budget.
fn origin(base: &str) -> String {
    match reqwest::Url::parse(base) {
        Ok(url) => format!(
            "{}://{}:{}",
            url.scheme(),
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or(0)
        ),
        Err(_) => base.to_owned(),
    }
}

/// Whether a request places (or amends) an order, regular or conditional: it counts on the
/// order-count limits, and it is never retried automatically.
fn is_order_placement(method: &Method, path: &str) -> bool {
    (*method == Method::POST || *method == Method::PUT)
        && matches!(
            path,
            "/fapi/v1/order" | "/fapi/v1/batchOrders" | "/fapi/v1/algoOrder"
        )
}

/// Order Book weight by `limit` ("Adjusted based on the limit": 5, 10, 20, 50 → 2; 100 → 5;
/// 500 → 10; 1000 → 20); `None` for a limit Binance does not accept.
pub fn depth_weight(limit: u32) -> Option<u32> {
    match limit {
        5 | 10 | 20 | 50 => Some(2),
        100 => Some(5),
        500 => Some(10),
        1000 => Some(20),
        _ => None,
    }
}

/// Kline weight by `limit` ([1,100) → 1; [100, 500) → 2; [500, 1000] → 5; > 1000 → 10).
pub fn klines_weight(limit: u32) -> u32 {
    match limit {
        0..100 => 1,
        100..500 => 2,
        500..=1000 => 5,
        _ => 10,
    }
}

/// A successful body as the documented JSON shape, or a typed error (never a panic).
fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, VenueError> {
    serde_json::from_slice(body).map_err(|e| VenueError::Malformed(e.to_string()))
}

fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, VenueError> {
    serde_json::from_value(value).map_err(|e| VenueError::Malformed(e.to_string()))
}

/// Account Trade List's longest window between `startTime` and `endTime`: 7 days.
const TRADE_WINDOW_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// The parameters of Account Trade List (`GET /fapi/v1/userTrades`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TradeQuery {
    pub symbol: String,
    /// Only this order's trades.
    pub order_id: Option<u64>,
    /// Venue time (ms).
    pub start_time: Option<i64>,
    /// Venue time (ms).
    pub end_time: Option<i64>,
    /// Trades from this trade id on; "cannot be sent with startTime or endTime".
    pub from_id: Option<u64>,
    /// "Default 500; max 1000."
    pub limit: Option<u32>,
}

impl TradeQuery {
    /// The latest trades (up to 500 of the last 7 days) on `symbol`.
    pub fn symbol(symbol: &str) -> Self {
        Self {
            symbol: symbol.to_owned(),
            ..Self::default()
        }
    }

    /// Binance's documented constraints: `fromId` "cannot be sent with startTime or endTime";
    /// "The time between startTime and endTime cannot be longer than 7 days"; `limit` "max
    /// 1000". A query that breaks one is refused here, unsent.
    pub fn check(&self) -> Result<(), VenueError> {
        if self.symbol.is_empty() {
            return Err(VenueError::InvalidRequest(
                "a trade list needs a symbol".into(),
            ));
        }
        if self.from_id.is_some() && (self.start_time.is_some() || self.end_time.is_some()) {
            return Err(VenueError::InvalidRequest(
                "fromId cannot be sent with startTime or endTime".into(),
            ));
        }
        if let (Some(start), Some(end)) = (self.start_time, self.end_time) {
            if start > end {
                return Err(VenueError::InvalidRequest(
                    "startTime is after endTime".into(),
                ));
            }
            if end - start > TRADE_WINDOW_MS {
                return Err(VenueError::InvalidRequest(
                    "more than 7 days between startTime and endTime".into(),
                ));
            }
        }
        if self.limit.is_some_and(|l| !(1..=1000).contains(&l)) {
            return Err(VenueError::InvalidRequest(
                "the trade list limit is 1 to 1000".into(),
            ));
        }
        Ok(())
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![("symbol", self.symbol.clone())];
        let optional = [
            ("orderId", self.order_id.map(|v| v.to_string())),
            ("startTime", self.start_time.map(|v| v.to_string())),
            ("endTime", self.end_time.map(|v| v.to_string())),
            ("fromId", self.from_id.map(|v| v.to_string())),
            ("limit", self.limit.map(|v| v.to_string())),
        ];
        params.extend(
            optional
                .into_iter()
                .filter_map(|(name, value)| value.map(|v| (name, v))),
        );
        params
    }
}

/// Binance's SPOT host, for the wallet endpoint the connector reads (the API key's permissions):
/// its base URL and its weight budget, shared with every client of that host (Binance counts
/// `/sapi` weight per IP, apart from `/fapi`'s).
struct SpotHost {
    base: String,
    weight: SharedWeightBudget,
}

/// Where a request goes: a REST base URL and the weight budget of its host.
#[derive(Clone, Copy)]
pub(super) struct Route<'a> {
    base: &'a str,
    weight: &'a SharedWeightBudget,
}

/// One account's connection to Binance USDⓈ-M.
pub struct RestClient {
    http: reqwest::Client,
    base: String,
    /// The SPOT host, where this environment has one (see [`spot_base_for`]).
    spot: Option<SpotHost>,
    /// New Order's and New Algo Order's URLs, parsed once.
    order_url: reqwest::Url,
    algo_url: reqwest::Url,
    /// New orders' own kept-open connection; the pool when it is busy or down.
    lane: Option<OrderLane>,
    /// The TLS configuration of https venues (TLS 1.3, the platform's roots and the extra
    /// root), for the order lane and the streams.
    tls: Option<std::sync::Arc<rustls::ClientConfig>>,
    api_key: Zeroizing<String>,
    signer: Signer,
    recv_window: String,
    recv_window_ms: u64,
    clock_max_age_ms: i64,
    margin_percent: u32,
    clock: Mutex<ClockOffset>,
    /// Request weight and the 429/418 pause: per IP at Binance, so shared with every other
    /// client of the same host in this process.
    weight: SharedWeightBudget,
    /// Order counts: per account at Binance, so this client's own.
    orders: Mutex<OrderBudget>,
    /// Where signed requests and their answers are reported (the audit trail), if anywhere.
    wire: Option<std::sync::Arc<dyn crate::wire::WireLog>>,
}

impl std::fmt::Debug for RestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl RestClient {
    /// A client for `base_url` with the default options.
    pub fn new(base_url: &str, api_key: &str, api_secret: &str) -> Result<Self, VenueError> {
        Self::with_options(base_url, api_key, api_secret, &ClientOptions::default())
    }

    /// A client for one of Binance's environments. Rampart's simulator has no fixed address: its
    /// client is made with [`RestClient::new`] and the address it listens on.
    pub fn for_environment(
        environment: Environment,
        api_key: &str,
        api_secret: &str,
        options: &ClientOptions,
    ) -> Result<Self, VenueError> {
        let base = environment.rest_base().ok_or_else(|| {
            VenueError::Config(
                "Rampart's simulator is reached at the address it listens on, not a Binance host"
                    .into(),
            )
        })?;
        Self::with_options(base, api_key, api_secret, options)
    }

    /// A client for `base_url` (https, or http to loopback) with `options`.
    pub fn with_options(
        base_url: &str,
        api_key: &str,
        api_secret: &str,
        options: &ClientOptions,
    ) -> Result<Self, VenueError> {
        let base = check_base_url(base_url)?;
        // Shared with every other client of this host: Binance counts request weight per IP.
        let weight = weight_budget_for(&origin(&base), options.margin_percent);
        // The simulator's address is both hosts: one budget, as the simulator counts one.
        let spot = spot_base_for(&base).map(|spot_base| SpotHost {
            weight: weight_budget_for(&origin(&spot_base), options.margin_percent),
            base: spot_base,
        });
        let mut builder = reqwest::Client::builder()
            .tls_backend_rustls()
            .tls_version_min(reqwest::tls::Version::TLS_1_3)
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            // A redirect could send the key and a signed order to another host, or over plain
            // HTTP: none is followed (see `read_answer`).
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy();
        let on_this_machine = reqwest::Url::parse(&base).is_ok_and(|u| crate::tls::is_loopback(&u));
        if options.extra_root_pem.is_some() && !on_this_machine {
            // The extra root is the simulator's self-signed certificate: trusting it for a
            // venue on the network would let whoever holds its key pose as the venue.
            return Err(VenueError::Config(format!(
                "an extra trusted certificate is accepted only for a venue on this machine \
                 (the simulator), not for {base}"
            )));
        }
        if let Some(pem) = &options.extra_root_pem {
            let roots = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| VenueError::Config(format!("extra root certificate: {e}")))?;
            if roots.is_empty() {
                return Err(VenueError::Config(
                    "extra root certificate: no CERTIFICATE block found".into(),
                ));
            }
            builder = builder.tls_certs_merge(roots);
        }
        let http = builder
            .build()
            .map_err(|e| VenueError::Config(describe(e)))?;
        let margin = options.margin_percent;
        let endpoint_url = |endpoint: OrderEndpoint| {
            reqwest::Url::parse(&format!("{base}{}", endpoint.path()))
                .map_err(|_| VenueError::InsecureUrl(base_url.into()))
        };
        let order_url = endpoint_url(OrderEndpoint::Order)?;
        let lane_tls = match order_url.scheme() {
            "https" => Some(
                crate::tls::client_config(options.extra_root_pem.as_deref())
                    .map_err(|e| VenueError::Config(e.to_string()))?,
            ),
            _ => None,
        };
        let lane = OrderLane::new(
            &order_url,
            lane_tls.clone(),
            options.connect_timeout,
            options.request_timeout,
        );
        Ok(Self {
            http,
            lane,
            tls: lane_tls,
            order_url,
            algo_url: endpoint_url(OrderEndpoint::Algo)?,
            base,
            spot,
            api_key: Zeroizing::new(api_key.to_owned()),
            signer: Signer::from_secret(api_secret)?,
            recv_window: options.recv_window_ms.to_string(),
            recv_window_ms: u64::from(options.recv_window_ms),
            clock_max_age_ms: i64::try_from(options.clock_max_age.as_millis()).unwrap_or(i64::MAX),
            margin_percent: margin,
            clock: Mutex::new(ClockOffset::default()),
            weight,
            orders: Mutex::new(OrderBudget::new(
                DEFAULT_ORDERS_PER_10S,
                DEFAULT_ORDERS_PER_MINUTE,
                margin,
            )),
            wire: None,
        })
    }

    /// Reports every signed request this client sends, and its answer, to `log`: method,
    /// path and the signed parameters, and the signature (never the key, which travels in a
    /// header).
    pub fn with_wire_log(mut self, log: std::sync::Arc<dyn crate::wire::WireLog>) -> Self {
        self.wire = Some(log);
        self
    }

    /// `signed`: the form-encoded parameters with `&signature=…` last, as sent (empty for a
    /// request that carries only the API key).
    fn log_sent(&self, method: &str, path: &str, signed: &str) {
        let Some(wire) = &self.wire else { return };
        let (params, signature) = match signed.rsplit_once("&signature=") {
            Some((params, signature)) => (params, Some(signature)),
            None => (signed, None),
        };
        wire.sent(&crate::wire::WireRequest {
            method,
            path,
            params,
            signature,
        });
    }

    fn log_answer(&self, method: &str, path: &str, answer: &Result<bytes::Bytes, VenueError>) {
        let Some(wire) = &self.wire else { return };
        let text = |v: &serde_json::Value, keys: &[&str]| {
            keys.iter().find_map(|k| match v.get(*k)? {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        let mut reported = crate::wire::WireAnswer {
            method,
            path,
            status: 200,
            venue_code: None,
            message: None,
            order_id: None,
            client_order_id: None,
            order_status: None,
        };
        match answer {
            Ok(body) => {
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
                    reported.order_id = text(&v, &["orderId", "algoId"]);
                    reported.client_order_id = text(&v, &["clientOrderId", "clientAlgoId"]);
                    reported.order_status = text(&v, &["status", "algoStatus"]);
                }
            }
            Err(VenueError::Rejected { http, code, msg }) => {
                reported.status = *http;
                reported.venue_code = Some(*code);
                reported.message = Some(msg.clone());
            }
            Err(VenueError::VenueFailure { http, .. }) => {
                reported.status = *http;
                reported.message = Some("the venue failed to answer properly".into());
            }
            Err(VenueError::RateLimited { .. }) => reported.status = 429,
            Err(VenueError::Banned { .. }) => reported.status = 418,
            Err(e) => {
                reported.status = 0;
                reported.message = Some(e.to_string());
            }
        }
        wire.answered(&reported);
    }

    /// The REST base URL this client talks to.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The SPOT REST base URL this client reads the API key's permissions from; `None` where
    /// Binance serves them for no host of this environment (futures testnet, Demo Trading).
    pub fn spot_base_url(&self) -> Option<&str> {
        self.spot.as_ref().map(|spot| spot.base.as_str())
    }

    /// The futures host: where every request but the SPOT host's goes.
    fn futures(&self) -> Route<'_> {
        Route {
            base: &self.base,
            weight: &self.weight,
        }
    }

    /// The SPOT host, where this client has one.
    pub(super) fn spot(&self) -> Option<Route<'_>> {
        self.spot.as_ref().map(|spot| Route {
            base: &spot.base,
            weight: &spot.weight,
        })
    }

    /// The TLS configuration this client's own connections use (`None` for plain http to
    /// loopback), for the account's streams.
    pub fn tls_config(&self) -> Option<std::sync::Arc<rustls::ClientConfig>> {
        self.tls.clone()
    }

    fn venue_now(&self) -> Option<i64> {
        lock(&self.clock).venue_time(local_ms())
    }

    fn budget_now(&self) -> i64 {
        self.venue_now().unwrap_or_else(local_ms)
    }

    /// What we allow ourselves per minute of request weight (limit less margin).
    pub fn weight_allowance(&self) -> u32 {
        lock(&self.weight).allowance()
    }

    /// Request weight spent this minute by every client of this host (the budget is shared:
    /// Binance counts weight per IP).
    pub fn weight_used(&self) -> u32 {
        lock(&self.weight).used()
    }

    /// What we allow ourselves in new orders per 10 s and per minute (limits less margin).
    pub fn order_allowances(&self) -> (u32, u32) {
        lock(&self.orders).allowances()
    }

    /// How long after its timestamp Binance accepts a signed request (`recvWindow`, ms).
    pub fn recv_window_ms(&self) -> u64 {
        self.recv_window_ms
    }

    /// The measured offset (venue − local, ms), if measured and not invalidated.
    pub fn clock_offset_ms(&self) -> Option<i64> {
        lock(&self.clock).offset_ms()
    }

    fn held(hold: Hold, now: i64) -> VenueError {
        let reason = match hold {
            Hold::BudgetSpent { .. } => HoldReason::Weight,
            Hold::RetryAfter { .. } => HoldReason::RetryAfter,
            Hold::OrderLimit { .. } => HoldReason::Orders,
        };
        VenueError::Held {
            until: hold.until(),
            wait_ms: hold.until().saturating_sub(now).max(0),
            reason,
        }
    }

    /// Takes the request's weight from `budget` (its host's) and, for a new order, one order
    /// from the account's, or says why it must wait. Nothing is sent while a 429/418 pause
    /// lasts.
    fn reserve(
        &self,
        budget: &SharedWeightBudget,
        weight: u32,
        order: bool,
    ) -> Result<(), VenueError> {
        self.reserve_at(budget, weight, order, self.budget_now())
    }

    /// [`RestClient::reserve`] at venue time `now` (ms), already read by the caller.
    fn reserve_at(
        &self,
        budget: &SharedWeightBudget,
        weight: u32,
        order: bool,
        now: i64,
    ) -> Result<(), VenueError> {
        lock(budget)
            .reserve(weight, now)
            .map_err(|h| Self::held(h, now))?;
        if order {
            lock(&self.orders)
                .reserve(now)
                .map_err(|h| Self::held(h, now))?;
        }
        Ok(())
    }

    /// Sends a request to the futures host.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        weight: u32,
        order: bool,
    ) -> Result<bytes::Bytes, VenueError> {
        self.send_on(&self.weight, request, weight, order).await
    }

    /// Sends a request on `budget`, its host's weight budget.
    async fn send_on(
        &self,
        budget: &SharedWeightBudget,
        request: reqwest::RequestBuilder,
        weight: u32,
        order: bool,
    ) -> Result<bytes::Bytes, VenueError> {
        self.reserve(budget, weight, order)?;
        self.transmit(budget, request, order).await
    }

    /// Sends a request whose weight (and order) the budgets have already taken, and reads the
    /// answer: the budgets learn the venue's counts, a 429/418 pauses them, an error answer
    /// becomes a typed error.
    async fn transmit(
        &self,
        budget: &SharedWeightBudget,
        request: reqwest::RequestBuilder,
        order: bool,
    ) -> Result<bytes::Bytes, VenueError> {
        let response = request
            .send()
            .await
            .map_err(|e| VenueError::Connectivity(describe(e)))?;
        // Split into head and body, so the headers are read in place, not copied.
        let (head, body) = hyper::http::Response::from(response).into_parts();
        let body = http_body_util::BodyExt::collect(body)
            .await
            .map_err(|e| VenueError::Connectivity(describe(e)))?
            .to_bytes();
        self.read_answer(budget, head.status, &head.headers, body, order)
    }

    /// What an answer means: the limit headers observed by the budgets (`budget` is the weight
    /// budget of the host that answered), then the body for a success or the typed error
    /// (429/418 with their pauses, 5xx, Binance's code).
    fn read_answer(
        &self,
        budget: &SharedWeightBudget,
        status: StatusCode,
        headers: &reqwest::header::HeaderMap,
        body: bytes::Bytes,
        order: bool,
    ) -> Result<bytes::Bytes, VenueError> {
        // The few headers the budgets read, looked up in place; each as a (name, value) pair,
        // the shape the limits' readers take.
        let header = |name: &'static str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| (name, v))
        };
        let now = self.budget_now();
        // `/fapi` reports the IP's weight in one header, the SPOT host's `/sapi` in another.
        let used = used_weight_header(header("x-mbx-used-weight-1m"))
            .into_iter()
            .chain(sapi_used_ip_weight_header(header(
                "x-sapi-used-ip-weight-1m",
            )))
            .max();
        if let Some(used) = used {
            lock(budget).observe_used(used, now);
        }
        if order {
            let counts = header("x-mbx-order-count-10s")
                .into_iter()
                .chain(header("x-mbx-order-count-1m"));
            let (ten, minute) = order_count_headers(counts);
            lock(&self.orders).observe_counts(ten, minute, now);
        }
        let retry_after: Option<u32> =
            header("retry-after").and_then(|(_, v)| v.trim().parse().ok());
        if status == StatusCode::TOO_MANY_REQUESTS || status.as_u16() == 418 {
            let code = serde_json::from_slice::<ErrorBody>(&body)
                .ok()
                .map(|e| e.code);
            if status == StatusCode::TOO_MANY_REQUESTS
                && retry_after.is_none()
                && (order || code == Some(-1015))
            {
                // The order limit (Binance sends no Retry-After for it): hold new orders until
                // the window ends, but keep reads and cancels going.
                let until = lock(&self.orders).on_too_many_orders(now);
                let secs = u32::try_from((until - now + 999) / 1000).unwrap_or(60);
                return Err(VenueError::RateLimited {
                    retry_after_secs: secs,
                });
            }
            let retry_after_secs = retry_after.unwrap_or(60);
            lock(budget).on_too_many_requests(retry_after_secs, now);
            return Err(if status.as_u16() == 418 {
                VenueError::Banned { retry_after_secs }
            } else {
                VenueError::RateLimited { retry_after_secs }
            });
        }
        if status.is_server_error() {
            return Err(VenueError::VenueFailure {
                http: status.as_u16(),
                body: String::from_utf8_lossy(&body).chars().take(200).collect(),
            });
        }
        if status.is_redirection() {
            // Never followed (the client has no redirect policy): say where it pointed.
            let location: String = header("location")
                .map_or("nowhere", |(_, v)| v)
                .chars()
                .take(200)
                .collect();
            return Err(VenueError::Redirected {
                http: status.as_u16(),
                location,
            });
        }
        if !status.is_success() {
            return Err(match serde_json::from_slice::<ErrorBody>(&body) {
                Ok(e) => {
                    if e.code == INVALID_TIMESTAMP {
                        // Timestamp outside recvWindow: our offset is wrong. Forget it; the next
                        // signed request measures again first.
                        lock(&self.clock).invalidate();
                    }
                    VenueError::Rejected {
                        http: status.as_u16(),
                        code: e.code,
                        msg: e.msg,
                    }
                }
                Err(_) => VenueError::Malformed(format!(
                    "HTTP {} with a body that is not a Binance error",
                    status.as_u16()
                )),
            });
        }
        Ok(body)
    }

    /// Measures the venue clock offset from `GET /fapi/v1/time` (weight 1); returns venue − local
    /// in ms.
    pub async fn sync_clock(&self) -> Result<i64, VenueError> {
        let sent = local_ms();
        let body = self
            .send(
                self.http.get(format!("{}/fapi/v1/time", self.base)),
                1,
                false,
            )
            .await?;
        let received = local_ms();
        let time: ServerTime = parse_json(&body)?;
        let mut clock = lock(&self.clock);
        clock
            .record(Sample {
                sent,
                server: time.server_time,
                received,
            })
            .map_err(|e| VenueError::Malformed(e.to_string()))?;
        clock.offset_ms().ok_or(VenueError::ClockUnknown)
    }

    /// Venue time for a signature. The first measurement is the caller's (`sync_clock`, done
    /// when the account connects); after that, an aged or invalidated offset is measured again
    /// here, before signing.
    async fn signing_time(&self) -> Result<i64, VenueError> {
        let now = local_ms();
        let fresh = {
            let clock = lock(&self.clock);
            if !clock.measured_once() {
                return Err(VenueError::ClockUnknown);
            }
            if clock.needs_measure(now, self.clock_max_age_ms) {
                None
            } else {
                clock.venue_time(now)
            }
        };
        match fresh {
            Some(venue_now) => Ok(venue_now),
            None => {
                self.sync_clock().await?;
                self.venue_now().ok_or(VenueError::ClockUnknown)
            }
        }
    }

    /// `GET /fapi/v1/exchangeInfo` (weight 1), parsed into each symbol's filters. Its
    /// `rateLimits` (REQUEST_WEIGHT per minute, ORDERS per 10 s and per minute) replace the
    /// budgets' limits.
    pub async fn exchange_info(&self) -> Result<Vec<SymbolFilters>, VenueError> {
        let body = self.public_get("/fapi/v1/exchangeInfo", &[], 1).await?;
        let limits = RateLimits::parse_exchange_info(&body)
            .map_err(|e| VenueError::Malformed(e.to_string()))?;
        self.apply_rate_limits(limits);
        SymbolFilters::parse_exchange_info(&body).map_err(|e| VenueError::Malformed(e.to_string()))
    }

    /// Applies published limits (those present) to the budgets, keeping the margin.
    pub fn apply_rate_limits(&self, limits: RateLimits) {
        if let Some(weight) = limits.weight_per_minute {
            lock(&self.weight).set_limit(weight, self.margin_percent);
        }
        lock(&self.orders).set_limits(limits.orders_per_10s, limits.orders_per_minute);
    }

    /// An unsigned market-data GET with `query`.
    async fn public_get(
        &self,
        path: &str,
        query: &[(&str, &str)],
        weight: u32,
    ) -> Result<bytes::Bytes, VenueError> {
        let url = if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!(
                "{}{path}?{}",
                self.base,
                encode_params(query.iter().copied())
            )
        };
        self.send(self.http.get(url), weight, false).await
    }

    /// One signed attempt on `route`: `params` in order, then recvWindow and timestamp (venue
    /// time), signed; in the query string for GET/DELETE, in a form body for POST/PUT.
    async fn signed_once(
        &self,
        route: Route<'_>,
        method: &Method,
        path: &str,
        params: &[(&str, &str)],
        weight: u32,
        order: bool,
    ) -> Result<bytes::Bytes, VenueError> {
        let timestamp = self.signing_time().await?;
        let url = format!("{}{path}", route.base);
        let signed = self.signed_params(params.iter().copied(), timestamp);
        self.log_sent(method.as_str(), path, &signed);
        let request = if *method == Method::GET || *method == Method::DELETE {
            self.http.request(method.clone(), format!("{url}?{signed}"))
        } else {
            self.http
                .request(method.clone(), url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(signed)
        };
        let request = request.header(API_KEY_HEADER, self.api_key.as_str());
        let answer = self.send_on(route.weight, request, weight, order).await;
        self.log_answer(method.as_str(), path, &answer);
        answer
    }

    /// `params` in order, then `recvWindow` and `timestamp`, form-encoded, with `&signature=`
    /// appended: Binance's totalParams is the query string followed by the body, so the same
    /// text is signed as `query` (for GET/DELETE) or as `body` (for POST/PUT).
    fn signed_params<'p>(
        &self,
        params: impl IntoIterator<Item = (&'p str, &'p str)>,
        timestamp: i64,
    ) -> String {
        let mut total = String::with_capacity(256);
        for (name, value) in params {
            push_param(&mut total, name, value);
        }
        self.sign_total(&mut total, timestamp);
        total
    }

    /// Appends `recvWindow`, `timestamp` and the signature of all of `total` to it.
    fn sign_total(&self, total: &mut String, timestamp: i64) {
        push_param(total, "recvWindow", &self.recv_window);
        if !total.is_empty() {
            total.push('&');
        }
        total.push_str("timestamp=");
        // Writing into a String cannot fail.
        let _ = write!(total, "{timestamp}");
        self.signer.push_signature_of(total);
    }

    /// A SIGNED request, with the -1021 rule: when the venue says the timestamp is outside
    /// recvWindow, the offset is measured again at once and a request that is not an order is
    /// sent once more. An order is never re-sent automatically: the caller journaled it under
    /// its client order id and decides (with a fresh price, through the risk checks) whether to
    /// send it again; Binance refused it, so nothing is lost, and the next signed request uses
    /// the new offset.
    async fn signed_bytes(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
        weight: u32,
    ) -> Result<bytes::Bytes, VenueError> {
        self.signed_bytes_on(self.futures(), method, path, params, weight)
            .await
    }

    /// [`RestClient::signed_bytes`] on `route` (the futures host, or the SPOT host).
    async fn signed_bytes_on(
        &self,
        route: Route<'_>,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
        weight: u32,
    ) -> Result<bytes::Bytes, VenueError> {
        let order = is_order_placement(&method, path);
        match self
            .signed_once(route, &method, path, params, weight, order)
            .await
        {
            Err(VenueError::Rejected {
                code: INVALID_TIMESTAMP,
                ..
            }) if !order => {
                self.sync_clock().await?;
                self.signed_once(route, &method, path, params, weight, order)
                    .await
            }
            Err(
                e @ VenueError::Rejected {
                    code: INVALID_TIMESTAMP,
                    ..
                },
            ) => {
                // An order: measure again now so the trader's next attempt is signed right.
                let _ = self.sync_clock().await;
                Err(e)
            }
            other => other,
        }
    }

    /// Sends a prepared order once: the socket write and the answer, nothing else (the order
    /// was checked, signed and counted on the order budget by [`RestClient::prepare_order`]).
    /// A -1021 answer (timestamp outside recvWindow) measures the clock again for the next
    /// order; the order itself is never re-sent.
    async fn send_prepared(&self, prepared: PreparedOrder<'_>) -> Result<bytes::Bytes, VenueError> {
        let path = prepared.endpoint.path();
        self.log_sent("POST", path, &prepared.body);
        let body = bytes::Bytes::from(prepared.body);
        let answered = match &self.lane {
            Some(lane) => {
                let key = (API_KEY_HEADER, prepared.api_key);
                match lane.send(prepared.endpoint.path(), key, body.clone()).await {
                    LaneResult::Answered(parts, answer) => Some(self.read_answer(
                        &self.weight,
                        parts.status,
                        &parts.headers,
                        answer,
                        true,
                    )),
                    // Handed over, then lost: the venue may have it. Never sent again.
                    LaneResult::Failed(why) => Some(Err(VenueError::Connectivity(why))),
                    // Not a byte written: the pool sends it.
                    LaneResult::NotSent => None,
                }
            }
            None => None,
        };
        let answered = match answered {
            Some(answered) => answered,
            None => {
                let url = match prepared.endpoint {
                    OrderEndpoint::Order => self.order_url.clone(),
                    OrderEndpoint::Algo => self.algo_url.clone(),
                };
                let request = self
                    .http
                    .post(url)
                    .header(API_KEY_HEADER, prepared.api_key)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(body);
                self.transmit(&self.weight, request, true).await
            }
        };
        self.log_answer("POST", path, &answered);
        match answered {
            Err(
                e @ VenueError::Rejected {
                    code: INVALID_TIMESTAMP,
                    ..
                },
            ) => {
                let _ = self.sync_clock().await;
                Err(e)
            }
            other => other,
        }
    }

    async fn signed_typed<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
        weight: u32,
    ) -> Result<T, VenueError> {
        parse_json(&self.signed_bytes(method, path, params, weight).await?)
    }

    /// A typed SIGNED `GET` (no parameters but recvWindow and timestamp) on `route`.
    pub(super) async fn signed_get_on<T: DeserializeOwned>(
        &self,
        route: Route<'_>,
        path: &str,
        weight: u32,
    ) -> Result<T, VenueError> {
        parse_json(
            &self
                .signed_bytes_on(route, Method::GET, path, &[], weight)
                .await?,
        )
    }

    /// A typed SIGNED `GET` of the open orders of one symbol (weight 1) or of every symbol
    /// (`None`, weight 40), as Current All Open Orders and its algo counterpart weigh them.
    async fn open_on<T: DeserializeOwned>(
        &self,
        path: &str,
        symbol: Option<&str>,
    ) -> Result<T, VenueError> {
        match symbol {
            Some(s) => {
                self.signed_typed(Method::GET, path, &[("symbol", s)], 1)
                    .await
            }
            None => self.signed_typed(Method::GET, path, &[], 40).await,
        }
    }
}

/// Checks the `code` 200 that Binance's cancel answers carry; another code is a malformed
/// `what` answer.
fn code_200(what: &str, code: i64, msg: &str) -> Result<(), VenueError> {
    match code {
        200 => Ok(()),
        code => Err(VenueError::Malformed(format!(
            "unexpected {what} answer: code {code}: {msg}"
        ))),
    }
}

impl RestClient {
    /// A USER_STREAM request: the API key in `X-MBX-APIKEY`, no signature (the listen-key
    /// endpoints).
    pub(crate) async fn keyed(
        &self,
        method: Method,
        path: &str,
        weight: u32,
    ) -> Result<serde_json::Value, VenueError> {
        let request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .header(API_KEY_HEADER, self.api_key.as_str());
        self.log_sent(method.as_str(), path, "");
        let answer = self.send(request, weight, false).await;
        self.log_answer(method.as_str(), path, &answer);
        parse_json(&answer?)
    }

    /// Start User Data Stream: `POST /fapi/v1/listenKey` (weight 1). Returns the listenKey (the
    /// open one, with its validity extended, if there is one).
    pub async fn start_user_stream(&self) -> Result<String, VenueError> {
        let body: ListenKeyBody =
            from_value(self.keyed(Method::POST, "/fapi/v1/listenKey", 1).await?)?;
        Ok(body.listen_key)
    }

    /// Keepalive User Data Stream: `PUT /fapi/v1/listenKey` (weight 1), extending the key's
    /// validity by 60 minutes; returns the listenKey.
    pub async fn keepalive_user_stream(&self) -> Result<String, VenueError> {
        let body: ListenKeyBody =
            from_value(self.keyed(Method::PUT, "/fapi/v1/listenKey", 1).await?)?;
        Ok(body.listen_key)
    }

    /// Close User Data Stream: `DELETE /fapi/v1/listenKey` (weight 1).
    pub async fn close_user_stream(&self) -> Result<(), VenueError> {
        self.keyed(Method::DELETE, "/fapi/v1/listenKey", 1)
            .await
            .map(|_| ())
    }
}

/// Orders.
impl RestClient {
    /// Places a typed order: [`RestClient::prepare_order`] (checked against `filters`, and the
    /// PERCENT_PRICE band and market notional when `mark` is given, before anything is sent;
    /// signed with venue time; counted on the order budget), then [`RestClient::send_order`],
    /// once, to where Binance takes its type:
    /// - MARKET and LIMIT: `POST /fapi/v1/order` with `newOrderRespType=RESULT`;
    /// - the conditional types (stop and take-profit, market or limit): `POST
    ///   /fapi/v1/algoOrder` with [`OrderRequest::algo_params`] (the regular endpoint refuses
    ///   them with -4120 since 2025-12-09).
    ///
    /// IP weight 0 either way; 1 on each order limit. The answer carries the client order id
    /// the caller journaled ([`Placed::client_order_id`]) whichever way it went.
    pub async fn place_order(
        &self,
        request: &OrderRequest,
        filters: &SymbolFilters,
        mark: Option<Decimal>,
    ) -> Result<Placed, VenueError> {
        let prepared = self.prepare_order(request, filters, mark).await?;
        self.send_order(prepared).await
    }

    /// Everything [`RestClient::place_order`] does before the first byte is written: checks the
    /// order against `filters` (and `mark`), chooses the endpoint (regular or Algo Service),
    /// adds `recvWindow` and `timestamp` (venue time; the clock is measured again first when
    /// its offset has aged), form-encodes and signs the parameters, and takes one order from
    /// the order budget (so prepare only what is sent). Nothing goes on the wire unless the
    /// clock had to be measured again.
    pub async fn prepare_order(
        &self,
        request: &OrderRequest,
        filters: &SymbolFilters,
        mark: Option<Decimal>,
    ) -> Result<PreparedOrder<'_>, VenueError> {
        request.check_shape()?;
        self.prepare_shaped_order(request, filters, mark).await
    }

    /// [`RestClient::prepare_order`] for an order whose shape the caller has just checked
    /// ([`OrderRequest::check_shape`]): the filters and the mark are checked here, the shape
    /// not again.
    pub(crate) async fn prepare_shaped_order(
        &self,
        request: &OrderRequest,
        filters: &SymbolFilters,
        mark: Option<Decimal>,
    ) -> Result<PreparedOrder<'_>, VenueError> {
        request.check_against(filters, mark)?;
        let endpoint = if request.is_conditional() {
            OrderEndpoint::Algo
        } else {
            OrderEndpoint::Order
        };
        let timestamp = self.signing_time().await?;
        let mut body = String::with_capacity(384);
        request.write_params(&mut body);
        self.sign_total(&mut body, timestamp);
        // The order budget counts at the signature's time (venue time, read once).
        self.reserve_at(&self.weight, 0, true, timestamp)?;
        Ok(PreparedOrder {
            endpoint,
            body,
            api_key: self.api_key.as_str(),
        })
    }

    /// Sends an order [`RestClient::prepare_order`] prepared, once, and reads the typed answer
    /// (the order, or the conditional order the Algo Service took).
    pub async fn send_order(&self, prepared: PreparedOrder<'_>) -> Result<Placed, VenueError> {
        let endpoint = prepared.endpoint;
        let body = self.send_prepared(prepared).await?;
        match endpoint {
            OrderEndpoint::Algo => Ok(Placed::algo(parse_json(&body)?)),
            OrderEndpoint::Order => Ok(Placed::order(parse_json(&body)?)),
        }
    }

    /// Query Order by the venue's `orderId` (weight 1), e.g. the `actualOrderId` a triggered
    /// conditional order placed; `Ok(None)` for -2013.
    pub async fn query_order_by_id(
        &self,
        symbol: &str,
        order_id: u64,
    ) -> Result<Option<Order>, VenueError> {
        let id = order_id.to_string();
        let params = [("symbol", symbol), ("orderId", id.as_str())];
        match self
            .signed_typed(Method::GET, "/fapi/v1/order", &params, 1)
            .await
        {
            Ok(order) => Ok(Some(order)),
            Err(VenueError::Rejected {
                code: NO_SUCH_ORDER,
                ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Cancel Order by the venue's `orderId` (weight 1), e.g. the order a conditional order
    /// placed when it triggered.
    pub async fn cancel_order_by_id(
        &self,
        symbol: &str,
        order_id: u64,
    ) -> Result<Order, VenueError> {
        let id = order_id.to_string();
        let params = [("symbol", symbol), ("orderId", id.as_str())];
        self.signed_typed(Method::DELETE, "/fapi/v1/order", &params, 1)
            .await
    }

    /// Query Order by client order id (`GET /fapi/v1/order`, weight 1); `Ok(None)` when the
    /// venue has no such order (-2013).
    pub async fn query_order(
        &self,
        symbol: &str,
        client_order_id: &str,
    ) -> Result<Option<Order>, VenueError> {
        let params = [("symbol", symbol), ("origClientOrderId", client_order_id)];
        match self
            .signed_typed(Method::GET, "/fapi/v1/order", &params, 1)
            .await
        {
            Ok(order) => Ok(Some(order)),
            Err(VenueError::Rejected {
                code: NO_SUCH_ORDER,
                ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Cancel Order by client order id (`DELETE /fapi/v1/order`, weight 1).
    pub async fn cancel_order(
        &self,
        symbol: &str,
        client_order_id: &str,
    ) -> Result<Order, VenueError> {
        let params = [("symbol", symbol), ("origClientOrderId", client_order_id)];
        self.signed_typed(Method::DELETE, "/fapi/v1/order", &params, 1)
            .await
    }

    /// Current All Open Orders, typed: one symbol (weight 1) or every symbol (`None`, weight 40).
    pub async fn list_open_orders(&self, symbol: Option<&str>) -> Result<Vec<Order>, VenueError> {
        self.open_on("/fapi/v1/openOrders", symbol).await
    }

    /// Account Trade List, `GET /fapi/v1/userTrades` (weight 5): the account's trades on one
    /// symbol, oldest first. The documented rules are checked before anything is sent
    /// ([`TradeQuery::check`]).
    pub async fn account_trades(
        &self,
        query: &TradeQuery,
    ) -> Result<Vec<AccountTrade>, VenueError> {
        query.check()?;
        let params = query.params();
        let borrowed: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.signed_typed(Method::GET, "/fapi/v1/userTrades", &borrowed, 5)
            .await
    }

    /// `DELETE /fapi/v1/allOpenOrders` for one symbol (weight 1).
    pub async fn cancel_all_open_orders(&self, symbol: &str) -> Result<(), VenueError> {
        let done: CodeMsg = self
            .signed_typed(
                Method::DELETE,
                "/fapi/v1/allOpenOrders",
                &[("symbol", symbol)],
                1,
            )
            .await?;
        code_200("cancel-all", done.code, &done.msg)
    }

    /// Auto-Cancel All Open Orders, the dead-man's switch: `POST /fapi/v1/countdownCancelAll`
    /// (weight 10). Every open order of `symbol` is cancelled unless this is called again within
    /// `countdown_ms`; 0 stops the timer.
    pub async fn countdown_cancel_all(
        &self,
        symbol: &str,
        countdown_ms: u64,
    ) -> Result<Countdown, VenueError> {
        let countdown = countdown_ms.to_string();
        self.signed_typed(
            Method::POST,
            "/fapi/v1/countdownCancelAll",
            &[("symbol", symbol), ("countdownTime", &countdown)],
            10,
        )
        .await
    }

    /// Change Initial Leverage: `POST /fapi/v1/leverage` (weight 1); 1 to 125.
    pub async fn set_leverage(
        &self,
        symbol: &str,
        leverage: u32,
    ) -> Result<LeverageChange, VenueError> {
        if !(1..=125).contains(&leverage) {
            return Err(VenueError::InvalidRequest(format!(
                "leverage {leverage} is outside 1 to 125"
            )));
        }
        let leverage = leverage.to_string();
        self.signed_typed(
            Method::POST,
            "/fapi/v1/leverage",
            &[("symbol", symbol), ("leverage", &leverage)],
            1,
        )
        .await
    }

    /// Change Margin Type: `POST /fapi/v1/marginType` (weight 1), `margin_type` `ISOLATED` or
    /// `CROSSED`. Binance answers -4046 when the symbol is already in that mode.
    pub async fn set_margin_type(&self, symbol: &str, margin_type: &str) -> Result<(), VenueError> {
        let done: CodeMsg = self
            .signed_typed(
                Method::POST,
                "/fapi/v1/marginType",
                &[("symbol", symbol), ("marginType", margin_type)],
                1,
            )
            .await?;
        code_200("margin type", done.code, &done.msg)
    }
}

/// Conditional orders (the Algo Service; see [`super::algo`]).
impl RestClient {
    /// Query Algo Order by client algo id: `GET /fapi/v1/algoOrder` with `clientAlgoId`
    /// (weight 1). `Ok(None)` when the venue has no such order (-2013), which includes, as
    /// documented, one CANCELED or EXPIRED without fills and created more than 3 days ago, and
    /// any created more than 90 days ago.
    pub async fn query_algo_order(
        &self,
        client_algo_id: &str,
    ) -> Result<Option<AlgoOrder>, VenueError> {
        // "Either algoId or clientAlgoId must be sent."
        let params = [("clientAlgoId", client_algo_id)];
        match self
            .signed_typed(Method::GET, "/fapi/v1/algoOrder", &params, 1)
            .await
        {
            Ok(algo) => Ok(Some(algo)),
            Err(VenueError::Rejected {
                code: NO_SUCH_ORDER,
                ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Cancel Algo Order by client algo id: `DELETE /fapi/v1/algoOrder` (weight 1). The page
    /// spells the parameters `algoid` / `clientalgoid` ("Either algoid or clientalgoid must be
    /// sent"), and so they are sent. Binance answers with the ids and `code` 200 only; query
    /// the order for its state.
    pub async fn cancel_algo_order(&self, client_algo_id: &str) -> Result<AlgoCancel, VenueError> {
        let params = [("clientalgoid", client_algo_id)];
        let done: AlgoCancel = self
            .signed_typed(Method::DELETE, "/fapi/v1/algoOrder", &params, 1)
            .await?;
        code_200("cancel", done.code, &done.msg)?;
        Ok(done)
    }

    /// Current All Algo Open Orders: `GET /fapi/v1/openAlgoOrders`, one symbol (weight 1) or
    /// every symbol (`None`, weight 40: "Careful when accessing this with no symbol").
    pub async fn open_algo_orders(
        &self,
        symbol: Option<&str>,
    ) -> Result<Vec<AlgoOrder>, VenueError> {
        self.open_on("/fapi/v1/openAlgoOrders", symbol).await
    }

    /// Cancel All Algo Open Orders of one symbol: `DELETE /fapi/v1/algoOpenOrders` (weight 1),
    /// answered like Cancel All Open Orders (`code` 200).
    pub async fn cancel_all_algo_open_orders(&self, symbol: &str) -> Result<(), VenueError> {
        let done: CodeMsg = self
            .signed_typed(
                Method::DELETE,
                "/fapi/v1/algoOpenOrders",
                &[("symbol", symbol)],
                1,
            )
            .await?;
        code_200("algo cancel-all", done.code, &done.msg)
    }
}

/// Account.
impl RestClient {
    /// Account Information V2: `GET /fapi/v2/account` (weight 5).
    pub async fn account_v2(&self) -> Result<AccountInfo, VenueError> {
        self.signed_typed(Method::GET, "/fapi/v2/account", &[], 5)
            .await
    }

    /// Account Information V3: `GET /fapi/v3/account` (weight 5).
    pub async fn account_v3(&self) -> Result<AccountInfo, VenueError> {
        self.signed_typed(Method::GET, "/fapi/v3/account", &[], 5)
            .await
    }

    /// Futures Account Balance V2: `GET /fapi/v2/balance` (weight 5).
    pub async fn balances_v2(&self) -> Result<Vec<AssetBalance>, VenueError> {
        self.signed_typed(Method::GET, "/fapi/v2/balance", &[], 5)
            .await
    }

    /// Futures Account Balance V3: `GET /fapi/v3/balance` (weight 5).
    pub async fn balances_v3(&self) -> Result<Vec<AssetBalance>, VenueError> {
        self.signed_typed(Method::GET, "/fapi/v3/balance", &[], 5)
            .await
    }

    /// Position Information V2: `GET /fapi/v2/positionRisk` (weight 5), one symbol or all.
    pub async fn position_risk_v2(
        &self,
        symbol: Option<&str>,
    ) -> Result<Vec<PositionRiskV2>, VenueError> {
        let params: Vec<(&str, &str)> = symbol.map(|s| ("symbol", s)).into_iter().collect();
        self.signed_typed(Method::GET, "/fapi/v2/positionRisk", &params, 5)
            .await
    }

    /// User Commission Rate: `GET /fapi/v1/commissionRate` (USER_DATA, weight 20), the
    /// account's maker and taker rates on `symbol`.
    pub async fn commission_rate(&self, symbol: &str) -> Result<CommissionRate, VenueError> {
        self.signed_typed(
            Method::GET,
            "/fapi/v1/commissionRate",
            &[("symbol", symbol)],
            20,
        )
        .await
    }

    /// Position Information V3: `GET /fapi/v3/positionRisk` (weight 5), one symbol or all.
    pub async fn position_risk_v3(
        &self,
        symbol: Option<&str>,
    ) -> Result<Vec<PositionRiskV3>, VenueError> {
        let params: Vec<(&str, &str)> = symbol.map(|s| ("symbol", s)).into_iter().collect();
        self.signed_typed(Method::GET, "/fapi/v3/positionRisk", &params, 5)
            .await
    }
}

/// Market data (unsigned).
impl RestClient {
    /// Mark Price and funding for one symbol: `GET /fapi/v1/premiumIndex` (weight 1).
    pub async fn mark_price(&self, symbol: &str) -> Result<PremiumIndex, VenueError> {
        parse_json(
            &self
                .public_get("/fapi/v1/premiumIndex", &[("symbol", symbol)], 1)
                .await?,
        )
    }

    /// Mark Price and funding for every symbol: `GET /fapi/v1/premiumIndex` (weight 1).
    pub async fn mark_prices(&self) -> Result<Vec<PremiumIndex>, VenueError> {
        parse_json(&self.public_get("/fapi/v1/premiumIndex", &[], 1).await?)
    }

    /// Order Book: `GET /fapi/v1/depth` with `limit` 5, 10, 20, 50, 100, 500 or 1000 (weight 2,
    /// 2, 2, 2, 5, 10, 20).
    pub async fn order_book(&self, symbol: &str, limit: u32) -> Result<Depth, VenueError> {
        let weight = depth_weight(limit).ok_or_else(|| {
            VenueError::InvalidRequest(format!(
                "order book depth {limit} is not one of 5, 10, 20, 50, 100, 500, 1000"
            ))
        })?;
        let limit = limit.to_string();
        parse_json(
            &self
                .public_get(
                    "/fapi/v1/depth",
                    &[("symbol", symbol), ("limit", &limit)],
                    weight,
                )
                .await?,
        )
    }

    /// Kline/Candlestick Data: `GET /fapi/v1/klines`, at most 1500 bars (weight 1 below 100,
    /// 2 below 500, 5 up to 1000, 10 above; the venue's default limit is 500).
    pub async fn klines(
        &self,
        symbol: &str,
        interval: KlineInterval,
        limit: Option<u32>,
        start_time: Option<i64>,
        end_time: Option<i64>,
    ) -> Result<Vec<Kline>, VenueError> {
        if let Some(l) = limit
            && !(1..=1500).contains(&l)
        {
            return Err(VenueError::InvalidRequest(format!(
                "{l} candles is outside 1 to 1500"
            )));
        }
        let weight = klines_weight(limit.unwrap_or(500));
        let (limit, start, end) = (
            limit.map(|l| l.to_string()),
            start_time.map(|t| t.to_string()),
            end_time.map(|t| t.to_string()),
        );
        let mut query = vec![("symbol", symbol), ("interval", interval.wire())];
        if let Some(s) = &start {
            query.push(("startTime", s));
        }
        if let Some(e) = &end {
            query.push(("endTime", e));
        }
        if let Some(l) = &limit {
            query.push(("limit", l));
        }
        parse_json(&self.public_get("/fapi/v1/klines", &query, weight).await?)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `POST /fapi/v1/order` with raw parameters, past the typed request's checks: for the
    /// budget and error-path tests, which script the venue's answers.
    async fn raw_order(
        client: &RestClient,
        params: &[(&str, &str)],
    ) -> Result<serde_json::Value, VenueError> {
        client
            .signed_typed(Method::POST, "/fapi/v1/order", params, 0)
            .await
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(check_base_url("https://fapi.binance.com").is_ok());
        assert!(check_base_url("http://127.0.0.1:9000").is_ok());
        assert!(check_base_url("http://[::1]:9000").is_ok());
        assert!(check_base_url("http://localhost:9000/").is_ok());
        for bad in [
            "http://fapi.binance.com",
            "http://10.0.0.1",
            "ftp://x",
            "not a url",
        ] {
            assert!(
                matches!(check_base_url(bad), Err(VenueError::InsecureUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn weights_follow_the_published_tables() {
        let depth: Vec<Option<u32>> = [5, 10, 20, 50, 100, 500, 1000, 7, 0]
            .into_iter()
            .map(depth_weight)
            .collect();
        assert_eq!(
            depth,
            [
                Some(2),
                Some(2),
                Some(2),
                Some(2),
                Some(5),
                Some(10),
                Some(20),
                None,
                None
            ]
        );
        let klines: Vec<u32> = [1, 99, 100, 499, 500, 1000, 1001, 1500]
            .into_iter()
            .map(klines_weight)
            .collect();
        assert_eq!(klines, [1, 1, 2, 2, 5, 5, 10, 10]);
    }

    #[test]
    fn only_order_placement_counts_as_an_order() {
        assert!(is_order_placement(&Method::POST, "/fapi/v1/order"));
        assert!(is_order_placement(&Method::PUT, "/fapi/v1/order"));
        assert!(is_order_placement(&Method::POST, "/fapi/v1/batchOrders"));
        assert!(is_order_placement(&Method::POST, "/fapi/v1/algoOrder"));
        assert!(!is_order_placement(&Method::DELETE, "/fapi/v1/algoOrder"));
        assert!(!is_order_placement(&Method::GET, "/fapi/v1/algoOrder"));
        assert!(!is_order_placement(&Method::DELETE, "/fapi/v1/order"));
        assert!(!is_order_placement(&Method::GET, "/fapi/v1/order"));
        assert!(!is_order_placement(&Method::POST, "/fapi/v1/leverage"));
    }

    #[test]
    fn options_apply_and_secrets_stay_out_of_debug() {
        let secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";
        let client = RestClient::new(MAINNET, "my-api-key", secret).unwrap();
        let shown = format!("{client:?}");
        assert!(
            !shown.contains(secret) && !shown.contains("my-api-key"),
            "{shown}"
        );
        assert_eq!(client.weight_allowance(), 2160);
        assert_eq!(client.order_allowances(), (270, 1080));
        client.apply_rate_limits(RateLimits {
            weight_per_minute: Some(1200),
            orders_per_10s: Some(100),
            orders_per_minute: None,
        });
        assert_eq!(client.weight_allowance(), 1080);
        assert_eq!(client.order_allowances(), (90, 1080));
        let bad_pem = ClientOptions {
            extra_root_pem: Some("not a certificate".into()),
            ..ClientOptions::default()
        };
        assert!(matches!(
            RestClient::with_options("https://127.0.0.1:1", "k", secret, &bad_pem),
            Err(VenueError::Config(_))
        ));
        let c =
            RestClient::for_environment(Environment::Demo, "k", secret, &ClientOptions::default())
                .unwrap();
        assert_eq!(c.base_url(), "https://demo-fapi.binance.com");
        assert!(!format!("{bad_pem:?}").contains("not a certificate"));
        // The simulator's root is trusted for this machine only, never for a venue's address.
        for venue in ["https://fapi.binance.com", "https://10.0.0.1:8443"] {
            let err = RestClient::with_options(venue, "k", secret, &bad_pem).unwrap_err();
            assert!(
                err.to_string().contains("only for a venue on this machine"),
                "{venue}: {err}"
            );
        }
    }

    #[tokio::test]
    async fn nothing_is_signed_before_the_clock_is_measured_and_bad_limits_send_nothing() {
        let secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";
        // A port nothing listens on: any attempt to send would be a Connectivity error.
        let client = RestClient::new("http://127.0.0.1:9", "k", secret).unwrap();
        assert!(matches!(
            client.account_v3().await,
            Err(VenueError::ClockUnknown)
        ));
        assert!(matches!(
            client.order_book("BTCUSDT", 7).await,
            Err(VenueError::InvalidRequest(_))
        ));
        assert!(matches!(
            client
                .klines("BTCUSDT", KlineInterval::M1, Some(1501), None, None)
                .await,
            Err(VenueError::InvalidRequest(_))
        ));
        assert!(matches!(
            client.set_leverage("BTCUSDT", 0).await,
            Err(VenueError::InvalidRequest(_))
        ));
    }

    /// A scripted venue on loopback: plain HTTP/1.1 with keep-alive, answering each request with
    /// what `script(method, path, n)` says (`n` counts requests to that method+path from 1).
    pub(crate) mod scripted {
        use std::collections::HashMap;
        use std::sync::{Arc, Mutex};

        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        pub type Answer = (u16, Vec<(&'static str, String)>, String);
        pub type Script = Arc<dyn Fn(&str, &str, u32) -> Answer + Send + Sync>;

        /// One request as the venue saw it: the query string and the form body, raw.
        #[derive(Debug, Clone)]
        pub struct Seen {
            pub method: String,
            pub path: String,
            pub query: String,
            pub body: String,
        }

        pub struct Venue {
            pub base: String,
            pub counts: Arc<Mutex<HashMap<String, u32>>>,
            pub seen: Arc<Mutex<Vec<Seen>>>,
        }

        impl Venue {
            pub fn count(&self, key: &str) -> u32 {
                *self.counts.lock().unwrap().get(key).unwrap_or(&0)
            }

            /// The requests to `method path`, in order.
            pub fn requests(&self, method: &str, path: &str) -> Vec<Seen> {
                self.seen
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|r| r.method == method && r.path == path)
                    .cloned()
                    .collect()
            }
        }

        pub async fn start(script: Script) -> Venue {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            let counts: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
            let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
            let shared = counts.clone();
            let shared_seen = seen.clone();
            tokio::spawn(async move {
                loop {
                    let Ok((mut socket, _)) = listener.accept().await else {
                        return;
                    };
                    let script = script.clone();
                    let counts = shared.clone();
                    let seen = shared_seen.clone();
                    tokio::spawn(async move {
                        let mut buf = Vec::new();
                        loop {
                            let head_end = loop {
                                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                                    break i + 4;
                                }
                                let mut chunk = [0u8; 4096];
                                match socket.read(&mut chunk).await {
                                    Ok(0) | Err(_) => return,
                                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                                }
                            };
                            let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                            let length: usize = head
                                .lines()
                                .find_map(|l| {
                                    let (k, v) = l.split_once(':')?;
                                    k.eq_ignore_ascii_case("content-length")
                                        .then(|| v.trim().parse().ok())?
                                })
                                .unwrap_or(0);
                            while buf.len() < head_end + length {
                                let mut chunk = [0u8; 4096];
                                match socket.read(&mut chunk).await {
                                    Ok(0) | Err(_) => return,
                                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                                }
                            }
                            let body = String::from_utf8_lossy(&buf[head_end..head_end + length])
                                .to_string();
                            buf.drain(..head_end + length);
                            let mut first = head.lines().next().unwrap_or("").split(' ');
                            let method = first.next().unwrap_or("").to_owned();
                            let target = first.next().unwrap_or("");
                            let path = target.split('?').next().unwrap_or("").to_owned();
                            seen.lock().unwrap().push(Seen {
                                method: method.clone(),
                                path: path.clone(),
                                query: target.split_once('?').map_or("", |(_, q)| q).to_owned(),
                                body,
                            });
                            let n = {
                                let mut c = counts.lock().unwrap();
                                let e = c.entry(format!("{method} {path}")).or_insert(0);
                                *e += 1;
                                *e
                            };
                            let (status, headers, body) = script(&method, &path, n);
                            let mut out = format!(
                                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n\
                                 content-length: {}\r\n",
                                body.len()
                            );
                            for (k, v) in headers {
                                out.push_str(&format!("{k}: {v}\r\n"));
                            }
                            out.push_str("\r\n");
                            out.push_str(&body);
                            if socket.write_all(out.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                    });
                }
            });
            Venue { base, counts, seen }
        }
    }

    pub(crate) fn time_answer() -> scripted::Answer {
        let now = local_ms();
        (200, vec![], format!("{{\"serverTime\": {now}}}"))
    }

    fn stale_timestamp() -> scripted::Answer {
        (
            400,
            vec![],
            r#"{"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."}"#
                .into(),
        )
    }

    pub(crate) const SECRET: &str =
        "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";

    #[tokio::test]
    async fn after_1021_a_read_is_measured_again_and_retried_once_but_an_order_is_not() {
        let venue = scripted::start(std::sync::Arc::new(
            |method: &str, path: &str, n: u32| match (method, path) {
                ("GET", "/fapi/v1/time") => time_answer(),
                ("GET", "/fapi/v2/balance") if n == 1 => stale_timestamp(),
                ("GET", "/fapi/v2/balance") => (200, vec![], "[]".into()),
                ("POST", "/fapi/v1/order") => stale_timestamp(),
                _ => (404, vec![], r#"{"code": -1, "msg": "no"}"#.into()),
            },
        ))
        .await;
        let client = RestClient::new(&venue.base, "k", SECRET).unwrap();
        client.sync_clock().await.unwrap();
        // A read: refused once for its timestamp, measured again, sent once more.
        assert_eq!(client.balances_v2().await.unwrap(), vec![]);
        assert_eq!(venue.count("GET /fapi/v2/balance"), 2);
        assert_eq!(venue.count("GET /fapi/v1/time"), 2);
        // An order: the error comes back, the order is not sent again; the clock is measured.
        let err = raw_order(
            &client,
            &[("symbol", "BTCUSDT"), ("newClientOrderId", "c-1")],
        )
        .await
        .unwrap_err();
        assert!(matches!(err, VenueError::Rejected { code: -1021, .. }));
        assert_eq!(venue.count("POST /fapi/v1/order"), 1);
        assert_eq!(venue.count("GET /fapi/v1/time"), 3);
        assert!(client.clock_offset_ms().is_some());
        // A read that keeps failing is retried once only.
        let venue = scripted::start(std::sync::Arc::new(|method: &str, path: &str, _| {
            match (method, path) {
                ("GET", "/fapi/v1/time") => time_answer(),
                _ => stale_timestamp(),
            }
        }))
        .await;
        let client = RestClient::new(&venue.base, "k", SECRET).unwrap();
        client.sync_clock().await.unwrap();
        assert!(matches!(
            client.balances_v3().await,
            Err(VenueError::Rejected { code: -1021, .. })
        ));
        assert_eq!(venue.count("GET /fapi/v3/balance"), 2);
    }

    #[tokio::test]
    async fn a_redirecting_venue_gets_no_key_and_no_order_sent_elsewhere() {
        // Where a hostile answer points: it must never see a request.
        let elsewhere = scripted::start(std::sync::Arc::new(|_: &str, _: &str, _| {
            (200, vec![], "[]".into())
        }))
        .await;
        let target = format!("{}/fapi/v1/order", elsewhere.base);
        let venue = scripted::start(std::sync::Arc::new(move |method: &str, path: &str, _| {
            match (method, path) {
                ("GET", "/fapi/v1/time") => time_answer(),
                // 307 keeps the method and the body: a follower would resend the signed order.
                ("POST", _) => (307, vec![("location", target.clone())], String::new()),
                _ => (302, vec![("location", target.clone())], String::new()),
            }
        }))
        .await;
        let client = RestClient::new(&venue.base, "k", SECRET).unwrap();
        client.sync_clock().await.unwrap();
        let read = client.balances_v3().await.unwrap_err();
        assert!(
            matches!(&read, VenueError::Redirected { http: 302, location } if location.ends_with("/fapi/v1/order")),
            "{read:?}"
        );
        let order = raw_order(
            &client,
            &[("symbol", "BTCUSDT"), ("newClientOrderId", "c-1")],
        )
        .await
        .unwrap_err();
        assert!(
            matches!(order, VenueError::Redirected { http: 307, .. }),
            "{order:?}"
        );
        // The order's fate is looked up by its client id; the message says what happened.
        assert!(order.outcome_unknown());
        assert!(order.trader_message().contains("does not follow redirects"));
        assert_eq!(venue.count("POST /fapi/v1/order"), 1);
        assert!(
            elsewhere.seen.lock().unwrap().is_empty(),
            "the redirect's target got a request"
        );
    }

    #[tokio::test]
    async fn an_aged_clock_is_measured_again_before_signing() {
        let venue = scripted::start(std::sync::Arc::new(|method: &str, path: &str, _| {
            match (method, path) {
                ("GET", "/fapi/v1/time") => time_answer(),
                _ => (200, vec![], "[]".into()),
            }
        }))
        .await;
        let options = ClientOptions {
            clock_max_age: Duration::ZERO,
            ..ClientOptions::default()
        };
        let client = RestClient::with_options(&venue.base, "k", SECRET, &options).unwrap();
        client.sync_clock().await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        client.balances_v3().await.unwrap();
        assert_eq!(venue.count("GET /fapi/v1/time"), 2);
    }

    #[tokio::test]
    async fn nothing_is_sent_during_a_429_pause_or_past_the_order_limit() {
        let venue = scripted::start(std::sync::Arc::new(|method: &str, path: &str, _| {
            match (method, path) {
                ("GET", "/fapi/v1/time") => time_answer(),
                ("GET", "/fapi/v1/premiumIndex") => (
                    429,
                    vec![("Retry-After", "30".into())],
                    r#"{"code": -1003, "msg": "Too many requests."}"#.into(),
                ),
                ("POST", "/fapi/v1/order") => (
                    400,
                    vec![
                        ("X-MBX-ORDER-COUNT-10S", "3".into()),
                        ("X-MBX-ORDER-COUNT-1M", "1080".into()),
                    ],
                    r#"{"code": -2019, "msg": "Margin is insufficient."}"#.into(),
                ),
                _ => (200, vec![], "[]".into()),
            }
        }))
        .await;
        let client = RestClient::new(&venue.base, "k", SECRET).unwrap();
        client.sync_clock().await.unwrap();
        // The venue's order count (1080 this minute) fills our allowance: the next order is held.
        let first = raw_order(
            &client,
            &[("symbol", "BTCUSDT"), ("newClientOrderId", "c-1")],
        )
        .await;
        assert!(matches!(
            first,
            Err(VenueError::Rejected { code: -2019, .. })
        ));
        let second = raw_order(
            &client,
            &[("symbol", "BTCUSDT"), ("newClientOrderId", "c-2")],
        )
        .await;
        assert!(
            matches!(
                second,
                Err(VenueError::Held {
                    reason: HoldReason::Orders,
                    ..
                })
            ),
            "{second:?}"
        );
        assert_eq!(venue.count("POST /fapi/v1/order"), 1);
        // A read still goes out (reads do not count on the order limit).
        client.balances_v3().await.unwrap();
        // 429 with Retry-After: 30 s of silence, even for other endpoints and for orders.
        assert!(matches!(
            client.mark_price("BTCUSDT").await,
            Err(VenueError::RateLimited {
                retry_after_secs: 30
            })
        ));
        let held = client.balances_v3().await.unwrap_err();
        assert!(
            matches!(
                held,
                VenueError::Held {
                    reason: HoldReason::RetryAfter,
                    wait_ms: 25_000..=30_000,
                    ..
                }
            ),
            "{held:?}"
        );
        assert_eq!(venue.count("GET /fapi/v3/balance"), 1);
        assert_eq!(venue.count("GET /fapi/v1/premiumIndex"), 1);
    }

    #[tokio::test]
    async fn a_429_for_the_order_limit_holds_orders_but_not_reads() {
        let venue = scripted::start(std::sync::Arc::new(|method: &str, path: &str, _| {
            match (method, path) {
                ("GET", "/fapi/v1/time") => time_answer(),
                ("POST", "/fapi/v1/order") => (
                    429,
                    vec![],
                    r#"{"code": -1015, "msg": "Too many new orders; current limit is 1200 orders per MINUTE."}"#
                        .into(),
                ),
                _ => (200, vec![], "[]".into()),
            }
        }))
        .await;
        let client = RestClient::new(&venue.base, "k", SECRET).unwrap();
        client.sync_clock().await.unwrap();
        let first = raw_order(&client, &[("newClientOrderId", "c-1")]).await;
        assert!(
            matches!(first, Err(VenueError::RateLimited { .. })),
            "{first:?}"
        );
        let second = raw_order(&client, &[("newClientOrderId", "c-2")]).await;
        assert!(matches!(
            second,
            Err(VenueError::Held {
                reason: HoldReason::Orders,
                ..
            })
        ));
        assert_eq!(venue.count("POST /fapi/v1/order"), 1);
        client.balances_v3().await.unwrap();
        client.cancel_all_open_orders("BTCUSDT").await.unwrap_err(); // "[]" is not its answer
        assert_eq!(
            venue.count("DELETE /fapi/v1/allOpenOrders"),
            1,
            "cancels still go out"
        );
    }

    /// An algo order answer (Query Algo Order's documented shape), `NEW`, for `client_id`.
    pub(crate) fn algo_answer(client_id: &str, order_type: &str) -> String {
        format!(
            r#"{{"algoId": 2146760, "clientAlgoId": "{client_id}", "algoType": "CONDITIONAL",
            "orderType": "{order_type}", "symbol": "BTCUSDT", "side": "BUY",
            "positionSide": "BOTH", "timeInForce": "GTC", "quantity": "0.010",
            "algoStatus": "NEW", "actualOrderId": "", "actualPrice": "0.00000",
            "triggerPrice": "61000.0", "price": "0.0", "icebergQuantity": null,
            "selfTradePreventionMode": "EXPIRE_MAKER", "workingType": "CONTRACT_PRICE",
            "priceMatch": "NONE", "closePosition": false, "priceProtect": false,
            "reduceOnly": false, "createTime": 1750514941540, "updateTime": 1750514941540,
            "triggerTime": 0, "goodTillDate": 0}}"#
        )
    }

    /// A New Order (RESULT) answer for a resting LIMIT order.
    pub(crate) const LIMIT_ANSWER: &str = r#"{"clientOrderId": "rmp-limit", "cumQty": "0",
        "cumQuote": "0", "executedQty": "0", "orderId": 22542179, "avgPrice": "0.00000",
        "origQty": "0.010", "price": "60000", "reduceOnly": false, "side": "BUY",
        "positionSide": "BOTH", "status": "NEW", "stopPrice": "0", "closePosition": false,
        "symbol": "BTCUSDT", "timeInForce": "GTC", "type": "LIMIT", "origType": "LIMIT",
        "updateTime": 1566818724722, "workingType": "CONTRACT_PRICE", "priceProtect": false}"#;

    fn btc_filters() -> SymbolFilters {
        SymbolFilters::parse_exchange_info(
            br#"{"symbols":[{"symbol":"BTCUSDT","status":"TRADING","filters":[
            {"filterType":"PRICE_FILTER","minPrice":"261.10","maxPrice":"809484","tickSize":"0.10"},
            {"filterType":"LOT_SIZE","minQty":"0.001","maxQty":"1000","stepSize":"0.001"},
            {"filterType":"MARKET_LOT_SIZE","minQty":"0.001","maxQty":"120","stepSize":"0.001"},
            {"filterType":"MIN_NOTIONAL","notional":"100"}]}]}"#,
        )
        .unwrap()
        .remove(0)
    }

    fn typed_order(order_type: rampart_core::OrderType, client_id: &str) -> OrderRequest {
        OrderRequest {
            symbol: "BTCUSDT".into(),
            side: rampart_core::Side::Buy,
            order_type,
            quantity: "0.010".parse().unwrap(),
            price: order_type
                .has_limit_price()
                .then(|| "60000".parse().unwrap()),
            stop_price: order_type
                .has_trigger_price()
                .then(|| "61000".parse().unwrap()),
            time_in_force: None,
            reduce_only: false,
            working_type: None,
            position_side: rampart_core::trading::PositionSide::Net,
            client_order_id: client_id.into(),
        }
    }

    #[tokio::test]
    async fn conditional_orders_go_to_the_algo_service_and_regular_ones_to_the_order_endpoint() {
        use super::super::algo::Placement;
        use rampart_core::OrderType;
        let venue = scripted::start(std::sync::Arc::new(
            |method: &str, path: &str, n: u32| match (method, path) {
                ("GET", "/fapi/v1/time") => time_answer(),
                ("POST", "/fapi/v1/order") => (200, vec![], LIMIT_ANSWER.into()),
                ("POST", "/fapi/v1/algoOrder") => {
                    let kind = ["STOP_MARKET", "STOP", "TAKE_PROFIT_MARKET", "TAKE_PROFIT"]
                        [(n as usize - 1) % 4];
                    (200, vec![], algo_answer(&format!("rmp-c{n}"), kind))
                }
                _ => (404, vec![], r#"{"code": -1, "msg": "no"}"#.into()),
            },
        ))
        .await;
        let client = RestClient::new(&venue.base, "k", SECRET).unwrap();
        client.sync_clock().await.unwrap();
        let filters = btc_filters();

        // A LIMIT order: the order endpoint, as before.
        let placed = client
            .place_order(&typed_order(OrderType::Limit, "rmp-limit"), &filters, None)
            .await
            .unwrap();
        assert_eq!(placed.client_order_id, "rmp-limit");
        assert!(matches!(placed.placement, Placement::Order(ref o) if o.order_id == 22542179));
        let sent = venue.requests("POST", "/fapi/v1/order");
        assert_eq!(sent.len(), 1);
        assert!(
            sent[0]
                .body
                .starts_with("symbol=BTCUSDT&side=BUY&type=LIMIT&")
        );
        assert!(sent[0].body.contains("&newClientOrderId=rmp-limit&"));

        // Each conditional type: the Algo Service, with its parameter names.
        let kinds = [
            (OrderType::StopMarket, "STOP_MARKET"),
            (OrderType::StopLimit, "STOP"),
            (OrderType::TakeProfitMarket, "TAKE_PROFIT_MARKET"),
            (OrderType::TakeProfitLimit, "TAKE_PROFIT"),
        ];
        for (i, (order_type, wire)) in kinds.into_iter().enumerate() {
            let id = format!("rmp-c{}", i + 1);
            let placed = client
                .place_order(&typed_order(order_type, &id), &filters, None)
                .await
                .unwrap();
            assert_eq!(placed.client_order_id, id);
            assert!(placed.is_algo());
            let Placement::Algo(algo) = &placed.placement else {
                panic!()
            };
            assert_eq!(algo.algo_status, super::super::algo::AlgoStatus::New);
            let body = &venue.requests("POST", "/fapi/v1/algoOrder")[i].body;
            assert!(
                body.starts_with(&format!(
                    "algoType=CONDITIONAL&symbol=BTCUSDT&side=BUY&type={wire}&"
                )),
                "{body}"
            );
            assert!(body.contains("&triggerPrice=61000&"), "{body}");
            assert!(body.contains(&format!("&clientAlgoId={id}&")), "{body}");
            assert!(body.contains("&signature="), "{body}");
            assert!(!body.contains("stopPrice") && !body.contains("newClientOrderId"));
        }
        assert_eq!(venue.count("POST /fapi/v1/algoOrder"), 4);
        assert_eq!(
            venue.count("POST /fapi/v1/order"),
            1,
            "no conditional order reached the order endpoint"
        );

        // Validation still comes first: a trigger off the tick sends nothing.
        let mut off_tick = typed_order(OrderType::StopMarket, "rmp-bad");
        off_tick.stop_price = Some("61000.05".parse().unwrap());
        assert!(matches!(
            client.place_order(&off_tick, &filters, None).await,
            Err(VenueError::Validation(_))
        ));
        let mut post_only = typed_order(OrderType::StopLimit, "rmp-bad2");
        post_only.time_in_force = Some(rampart_core::TimeInForce::PostOnly);
        assert!(matches!(
            client.place_order(&post_only, &filters, None).await,
            Err(VenueError::InvalidRequest(_))
        ));
        assert_eq!(venue.count("POST /fapi/v1/algoOrder"), 4);
    }

    #[tokio::test]
    async fn a_conditional_order_refused_for_its_timestamp_is_not_sent_again() {
        let venue = scripted::start(std::sync::Arc::new(|method: &str, path: &str, _| {
            match (method, path) {
                ("GET", "/fapi/v1/time") => time_answer(),
                _ => stale_timestamp(),
            }
        }))
        .await;
        let client = RestClient::new(&venue.base, "k", SECRET).unwrap();
        client.sync_clock().await.unwrap();
        let order = typed_order(rampart_core::OrderType::StopMarket, "rmp-s");
        let err = client
            .place_order(&order, &btc_filters(), None)
            .await
            .unwrap_err();
        assert!(matches!(err, VenueError::Rejected { code: -1021, .. }));
        assert_eq!(venue.count("POST /fapi/v1/algoOrder"), 1);
        assert_eq!(
            venue.count("GET /fapi/v1/time"),
            2,
            "measured again, not re-sent"
        );
    }

    #[tokio::test]
    async fn algo_queries_cancels_and_lists_use_the_documented_requests() {
        let venue = scripted::start(std::sync::Arc::new(
            |method: &str, path: &str, n: u32| match (method, path) {
                ("GET", "/fapi/v1/time") => time_answer(),
                ("GET", "/fapi/v1/algoOrder") if n == 1 => {
                    (200, vec![], algo_answer("rmp-s", "STOP_MARKET"))
                }
                ("GET", "/fapi/v1/algoOrder") if n == 2 => (
                    400,
                    vec![],
                    r#"{"code": -2013, "msg": "Order does not exist."}"#.into(),
                ),
                ("GET", "/fapi/v1/algoOrder") => (200, vec![], "{\"algoId\": 1}".into()),
                ("DELETE", "/fapi/v1/algoOrder") => (
                    200,
                    vec![],
                    r#"{"algoId": 2146760, "clientAlgoId": "rmp-s", "code": "200",
                        "msg": "success"}"#
                        .into(),
                ),
                ("GET", "/fapi/v1/openAlgoOrders") => (
                    200,
                    vec![],
                    format!("[{}]", algo_answer("rmp-s", "STOP_MARKET")),
                ),
                ("DELETE", "/fapi/v1/algoOpenOrders") => (
                    200,
                    vec![],
                    r#"{"code": 200, "msg": "The operation of cancel all open order is done."}"#
                        .into(),
                ),
                _ => (404, vec![], r#"{"code": -1, "msg": "no"}"#.into()),
            },
        ))
        .await;
        let client = RestClient::new(&venue.base, "k", SECRET).unwrap();
        client.sync_clock().await.unwrap();

        let found = client.query_algo_order("rmp-s").await.unwrap().unwrap();
        assert_eq!(found.client_algo_id, "rmp-s");
        assert!(
            venue.requests("GET", "/fapi/v1/algoOrder")[0]
                .query
                .starts_with("clientAlgoId=rmp-s&recvWindow=5000&timestamp=")
        );
        assert_eq!(
            client.query_algo_order("rmp-x").await.unwrap(),
            None,
            "-2013"
        );
        assert!(matches!(
            client.query_algo_order("rmp-y").await,
            Err(VenueError::Malformed(_))
        ));

        let cancelled = client.cancel_algo_order("rmp-s").await.unwrap();
        assert_eq!(cancelled.algo_id, 2146760);
        assert!(
            venue.requests("DELETE", "/fapi/v1/algoOrder")[0]
                .query
                .starts_with("clientalgoid=rmp-s&")
        );

        assert_eq!(
            client
                .open_algo_orders(Some("BTCUSDT"))
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(client.open_algo_orders(None).await.unwrap().len(), 1);
        let lists = venue.requests("GET", "/fapi/v1/openAlgoOrders");
        assert!(lists[0].query.starts_with("symbol=BTCUSDT&"));
        assert!(lists[1].query.starts_with("recvWindow="));

        client.cancel_all_algo_open_orders("BTCUSDT").await.unwrap();
        assert!(
            venue.requests("DELETE", "/fapi/v1/algoOpenOrders")[0]
                .query
                .starts_with("symbol=BTCUSDT&")
        );
    }
}
