//! The Bybit v5 REST client: reqwest on rustls with TLS 1.3 as the minimum; plain HTTP only to
//! loopback (the simulator). Private requests are signed with venue time (local clock plus the
//! offset measured from `GET /v5/market/time`, measured again when it ages or Bybit answers
//! 10002) and held by [`RateLimiter`] before Bybit would refuse them. Nothing is retried: a
//! timeout, a 5xx, a dropped connection or Bybit's own "Server Timeout" on an order is reported
//! with `outcome_unknown`, for the caller to resolve by client order id.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use super::environment::{self, Environment};
use super::error::{
    DCP_INSTITUTIONAL_ONLY, PERMISSION_DENIED, TIMESTAMP_OUT_OF_WINDOW, TOO_MANY_VISITS, local,
    malformed, outcome_unknown_code, refusal_cause, rejected,
};
use super::limits::{
    HEADER_LIMIT, HEADER_LIMIT_RESET, HEADER_LIMIT_STATUS, Held, RateLimiter, ip_budget_for,
};
use super::models::{
    ApiKeyInfo, Book, Envelope, FeeRateList, InstrumentsPage, Klines, OrderIds, OrderList,
    PositionList, ServerTime, Tickers, WalletList,
};
use super::rules::CreateOrder;
use super::signer::{HEADER_API_KEY, HEADER_RECV_WINDOW, HEADER_SIGN, HEADER_TIMESTAMP, Signer};
use crate::binance_usdm::ClientOptions;
use crate::binance_usdm::signer::push_param;
use crate::clock::{ClockOffset, Sample};
pub(crate) use crate::http::local_ms;
use crate::http::{describe, lock};
use crate::venue::{Error, ErrorKind, RefusalCause, Result};

/// Accepts https anywhere and http only to loopback.
fn check_base_url(base: &str) -> Result<String> {
    crate::http::secure_base(base).ok_or_else(|| {
        local(
            ErrorKind::Config,
            format!(
                "'{base}' is not an https address (plain http is allowed only on this machine)"
            ),
        )
    })
}

/// How a request is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Public,
    Signed,
    /// Signed, and it places an order: never resent, and any doubt is `outcome_unknown`.
    SignedOrder,
}

/// Bybit v5 over REST, for one API key.
pub struct RestClient {
    http: reqwest::Client,
    base: String,
    tls: Option<Arc<rustls::ClientConfig>>,
    api_key: Zeroizing<String>,
    signer: Signer,
    recv_window: String,
    recv_window_ms: u64,
    clock_max_age_ms: i64,
    clock: Mutex<ClockOffset>,
    limits: Mutex<RateLimiter>,
    wire: Option<Arc<dyn crate::wire::WireLog>>,
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
    pub fn new(base_url: &str, api_key: &str, api_secret: &str) -> Result<Self> {
        Self::with_options(base_url, api_key, api_secret, &ClientOptions::default())
    }

    /// A client for one of Bybit's environments. Rampart's simulator has no fixed address: its
    /// client is made with [`RestClient::new`] and the address it listens on.
    pub fn for_environment(
        env: Environment,
        api_key: &str,
        api_secret: &str,
        options: &ClientOptions,
    ) -> Result<Self> {
        let base = environment::rest_base(env).ok_or_else(|| {
            crate::bybit::error::local(
                crate::venue::ErrorKind::Config,
                "Rampart's Bybit simulator is reached at the address it listens on, not a Bybit host.",
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
    ) -> Result<Self> {
        let base = check_base_url(base_url)?;
        let on_this_machine = reqwest::Url::parse(&base).is_ok_and(|u| crate::tls::is_loopback(&u));
        if options.extra_root_pem.is_some() && !on_this_machine {
            return Err(local(
                ErrorKind::Config,
                format!(
                    "an extra trusted certificate is accepted only for a venue on this machine \
                     (the simulator), not for {base}"
                ),
            ));
        }
        let mut builder = reqwest::Client::builder()
            .tls_backend_rustls()
            .tls_version_min(reqwest::tls::Version::TLS_1_3)
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            // A redirect could carry the key and a signed order elsewhere: none is followed.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy();
        if let Some(pem) = &options.extra_root_pem {
            let roots = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| local(ErrorKind::Config, format!("extra root certificate: {e}")))?;
            if roots.is_empty() {
                return Err(local(
                    ErrorKind::Config,
                    "extra root certificate: no CERTIFICATE block found",
                ));
            }
            builder = builder.tls_certs_merge(roots);
        }
        let http = builder
            .build()
            .map_err(|e| local(ErrorKind::Config, describe(e)))?;
        let tls = if base.starts_with("https://") {
            Some(
                crate::tls::client_config(options.extra_root_pem.as_deref())
                    .map_err(|e| local(ErrorKind::Config, e.to_string()))?,
            )
        } else {
            None
        };
        // Bybit counts the IP budget per host: shared with every client of this one.
        let origin = reqwest::Url::parse(&base).map_or_else(
            |_| base.clone(),
            |u| {
                format!(
                    "{}://{}:{}",
                    u.scheme(),
                    u.host_str().unwrap_or_default(),
                    u.port_or_known_default().unwrap_or(0)
                )
            },
        );
        let signer =
            Signer::new(api_secret).map_err(|e| local(ErrorKind::Config, e.to_string()))?;
        if api_key.trim().is_empty() {
            return Err(local(ErrorKind::Config, "the Bybit API key is empty"));
        }
        Ok(Self {
            http,
            base,
            tls,
            api_key: Zeroizing::new(api_key.trim().to_owned()),
            signer,
            recv_window: options.recv_window_ms.to_string(),
            recv_window_ms: u64::from(options.recv_window_ms),
            clock_max_age_ms: i64::try_from(options.clock_max_age.as_millis()).unwrap_or(i64::MAX),
            clock: Mutex::new(ClockOffset::default()),
            limits: Mutex::new(RateLimiter::sharing(
                ip_budget_for(&origin, options.margin_percent),
                options.margin_percent,
            )),
            wire: None,
        })
    }

    /// Reports every signed request (method, path, signed parameters, signature) and its answer
    /// to `log`; never the key, which travels in a header.
    pub fn with_wire_log(mut self, log: Arc<dyn crate::wire::WireLog>) -> Self {
        self.wire = Some(log);
        self
    }

    /// The REST base URL this client talks to.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The TLS configuration for the streams of an https venue.
    pub fn tls_config(&self) -> Option<Arc<rustls::ClientConfig>> {
        self.tls.clone()
    }

    pub fn recv_window_ms(&self) -> u64 {
        self.recv_window_ms
    }

    pub(crate) fn api_key(&self) -> &str {
        &self.api_key
    }

    pub(crate) fn signer(&self) -> &Signer {
        &self.signer
    }

    /// venue − local (ms), once measured.
    pub fn clock_offset_ms(&self) -> Option<i64> {
        lock(&self.clock).offset_ms()
    }

    /// The venue's time now, once measured.
    pub fn venue_time_ms(&self) -> Option<i64> {
        lock(&self.clock).venue_time(local_ms())
    }

    /// Measures the venue's clock with `GET /v5/market/time` ("Get Bybit Server Time");
    /// returns venue − local in ms.
    pub async fn sync_clock(&self) -> Result<i64> {
        let sent = local_ms();
        let time: ServerTime = self
            .send_at(
                Method::GET,
                "/v5/market/time",
                "",
                None,
                Access::Public,
                sent,
            )
            .await?;
        let received = local_ms();
        let server = match time.time_nano.trim().parse::<i128>() {
            Ok(nanos) => i64::try_from(nanos / 1_000_000)
                .map_err(|_| malformed("the server time", "timeNano out of range"))?,
            Err(_) => {
                time.time_second
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| malformed("the server time", "timeSecond is not a number"))?
                    * 1000
            }
        };
        let mut clock = lock(&self.clock);
        clock
            .record(Sample {
                sent,
                server,
                received,
            })
            .map_err(|e| local(ErrorKind::Config, e.to_string()))?;
        clock
            .offset_ms()
            .ok_or_else(|| local(ErrorKind::Config, "the clock could not be measured"))
    }

    /// Venue time for signing: measured first if never measured, aged or invalidated.
    async fn signing_time(&self) -> Result<i64> {
        let needs = {
            let clock = lock(&self.clock);
            !clock.measured_once() || clock.needs_measure(local_ms(), self.clock_max_age_ms)
        };
        if needs {
            self.sync_clock().await?;
        }
        self.venue_time_ms()
            .ok_or_else(|| local(ErrorKind::Config, "Bybit's clock has not been measured"))
    }

    fn hold(&self, path: &str, now: i64) -> Result<()> {
        lock(&self.limits).try_acquire(path, now).map_err(|held| {
            let message = match held {
                Held::IpBanned { .. } => {
                    "Bybit has paused this IP address for sending too many requests; Rampart \
                     waits until the pause ends (nothing was sent)."
                }
                Held::IpBudget { .. } => {
                    "Rampart is holding requests to stay within Bybit's 600 requests per 5 \
                     seconds for this IP address (nothing was sent)."
                }
                Held::Endpoint { .. } => {
                    "Rampart is holding requests to stay within Bybit's per-second limit for \
                     this request (nothing was sent); try again in a moment."
                }
            };
            Error {
                not_sent: true,
                retry_at_ms: Some(held.until()),
                ..local(ErrorKind::RateLimited, message)
            }
        })
    }

    fn log_sent(&self, method: &str, path: &str, params: &str, signature: Option<&str>) {
        if let Some(wire) = &self.wire {
            wire.sent(&crate::wire::WireRequest {
                method,
                path,
                params,
                signature,
            });
        }
    }

    /// Reports the answer to a signed request (public ones carry nothing of the account).
    fn log_answer(
        &self,
        access: Access,
        method: &str,
        path: &str,
        status: u16,
        body: &[u8],
        err: Option<&Error>,
    ) {
        let Some(wire) = &self.wire else { return };
        if access == Access::Public {
            return;
        }
        let mut answer = crate::wire::WireAnswer {
            method,
            path,
            status,
            venue_code: None,
            message: None,
            order_id: None,
            client_order_id: None,
            order_status: None,
        };
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
            answer.venue_code = v
                .get("retCode")
                .and_then(serde_json::Value::as_i64)
                .filter(|c| *c != 0);
            answer.message = v
                .get("retMsg")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned);
            let result = v.get("result");
            let first = result
                .and_then(|r| r.get("list"))
                .and_then(|l| l.get(0))
                .or(result);
            let text = |k: &str| {
                first
                    .and_then(|r| r.get(k))
                    .and_then(serde_json::Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
            };
            answer.order_id = text("orderId");
            answer.client_order_id = text("orderLinkId");
            answer.order_status = text("orderStatus");
        }
        if let Some(e) = err
            && answer.message.is_none()
        {
            answer.message = Some(e.message.clone());
        }
        wire.answered(&answer);
    }

    /// Sends one request and reads Bybit's envelope. `query` is the form-encoded query string
    /// (GET), `body` the JSON body (POST).
    async fn request<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &str,
        body: Option<String>,
        access: Access,
    ) -> Result<T> {
        let now = match access {
            Access::Public => self.venue_time_ms().unwrap_or_else(local_ms),
            Access::Signed | Access::SignedOrder => {
                self.signing_time().await.map_err(|e| Error {
                    not_sent: true,
                    ..e
                })?
            }
        };
        self.send_at(method, path, query, body, access, now).await
    }

    /// [`Self::request`] with the venue time `now` already known.
    async fn send_at<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &str,
        body: Option<String>,
        access: Access,
        now: i64,
    ) -> Result<T> {
        self.hold(path, now)?;
        let url = if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{query}", self.base)
        };
        let mut req = self.http.request(method.clone(), &url);
        let payload = body.as_deref().unwrap_or(query);
        if access != Access::Public {
            let timestamp = now.to_string();
            let signature = self
                .signer
                .sign(&timestamp, &self.api_key, &self.recv_window, payload);
            self.log_sent(method.as_str(), path, payload, Some(&signature));
            req = req
                .header(HEADER_API_KEY, self.api_key.as_str())
                .header(HEADER_TIMESTAMP, timestamp)
                .header(HEADER_SIGN, signature)
                .header(HEADER_RECV_WINDOW, self.recv_window.as_str());
        }
        if let Some(body) = body {
            req = req.header("Content-Type", "application/json").body(body);
        }
        self.exchange(req, &method, path, access).await
    }

    /// Sends a built request once and reads Bybit's envelope, its rate-limit headers and its
    /// status (everything after the request's bytes are ready).
    async fn exchange<T: DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
        method: &Method,
        path: &str,
        access: Access,
    ) -> Result<T> {
        let order = access == Access::SignedOrder;
        let answer = req.send().await;
        let response = match answer {
            Ok(r) => r,
            Err(e) => {
                let never_connected = e.is_connect();
                let text = describe(e);
                let err = Error {
                    not_sent: never_connected,
                    outcome_unknown: order && !never_connected,
                    ..local(
                        ErrorKind::Connectivity,
                        if order && !never_connected {
                            format!(
                                "No answer from Bybit ({text}); the order may or may not have \
                                 arrived. Rampart checks by its client id before anything else."
                            )
                        } else {
                            format!("Bybit could not be reached ({text}).")
                        },
                    )
                };
                self.log_answer(access, method.as_str(), path, 0, b"", Some(&err));
                return Err(err);
            }
        };
        let status = response.status();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let limit = header(HEADER_LIMIT).and_then(|v| v.parse::<u32>().ok());
        let remaining = header(HEADER_LIMIT_STATUS).and_then(|v| v.parse::<u32>().ok());
        let reset = header(HEADER_LIMIT_RESET).and_then(|v| v.parse::<i64>().ok());
        let now_after = self.venue_time_ms().unwrap_or_else(local_ms);
        lock(&self.limits).observe_headers(path, limit, remaining, reset, now_after);
        let bytes = match response.bytes().await {
            Ok(b) => b,
            Err(e) => {
                let err = Error {
                    outcome_unknown: order,
                    ..local(
                        ErrorKind::Connectivity,
                        format!("Bybit's answer was cut off ({}).", describe(e)),
                    )
                };
                self.log_answer(
                    access,
                    method.as_str(),
                    path,
                    status.as_u16(),
                    b"",
                    Some(&err),
                );
                return Err(err);
            }
        };
        let result = self.read_answer(status, path, &bytes, order, reset, now_after);
        self.log_answer(
            access,
            method.as_str(),
            path,
            status.as_u16(),
            &bytes,
            result.as_ref().err(),
        );
        result
    }

    fn read_answer<T: DeserializeOwned>(
        &self,
        status: StatusCode,
        path: &str,
        bytes: &[u8],
        order: bool,
        reset: Option<i64>,
        now: i64,
    ) -> Result<T> {
        if status == StatusCode::FORBIDDEN {
            let until = lock(&self.limits).observe_ip_ban(now);
            return Err(Error {
                retry_at_ms: Some(until),
                ..local(
                    ErrorKind::RateLimited,
                    "Bybit refused this IP address (403: too many requests, or a region Bybit \
                     does not serve); Rampart waits 10 minutes before sending again.",
                )
            });
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(Error {
                retry_at_ms: Some(now + 1000),
                ..local(
                    ErrorKind::RateLimited,
                    "Bybit is under high load and asked to wait (429); nothing was done.",
                )
            });
        }
        if status.is_server_error() {
            return Err(Error {
                outcome_unknown: order,
                ..local(
                    ErrorKind::VenueFailure,
                    format!(
                        "Bybit failed to answer ({status}).{}",
                        if order {
                            " The order may or may not have arrived; Rampart checks by its \
                             client id."
                        } else {
                            ""
                        }
                    ),
                )
            });
        }
        if status == StatusCode::UNAUTHORIZED {
            return Err(local(
                ErrorKind::Rejected,
                "Bybit refused the API key (401): check that it belongs to this environment.",
            ));
        }
        let envelope: Envelope<serde_json::Value> = serde_json::from_slice(bytes).map_err(|e| {
            let mut err = malformed(path, e);
            err.outcome_unknown = order;
            if !status.is_success() {
                err.message = format!("Bybit answered {status} to {path}.");
                err.kind = ErrorKind::Rejected;
            }
            err
        })?;
        if envelope.ret_code != 0 {
            let code = envelope.ret_code;
            let mut err = rejected(code, &envelope.ret_msg);
            if code == TIMESTAMP_OUT_OF_WINDOW {
                lock(&self.clock).invalidate();
            }
            if code == TOO_MANY_VISITS {
                err.retry_at_ms = Some(lock(&self.limits).observe_too_many(path, reset, now));
            }
            // Bybit refuses DCP to accounts without it; a refusal that is about the key, the
            // clock, the rate or Bybit itself keeps its own sentence.
            let about_dcp = err.kind == ErrorKind::Rejected
                && (code == PERMISSION_DENIED || refusal_cause(code) == RefusalCause::Other);
            if path == DCP_PATH && about_dcp {
                err.message = format!("{DCP_INSTITUTIONAL_ONLY} (Bybit: {}).", envelope.ret_msg);
            }
            err.outcome_unknown = order && outcome_unknown_code(code);
            return Err(err);
        }
        let value = envelope.result.unwrap_or(serde_json::Value::Null);
        T::deserialize(value).map_err(|e| {
            let mut err = malformed(path, e);
            // Bybit took the order (retCode 0) but its ids could not be read.
            err.outcome_unknown = order;
            err
        })
    }

    async fn public_get<T: DeserializeOwned>(&self, path: &str, query: &str) -> Result<T> {
        self.request(Method::GET, path, query, None, Access::Public)
            .await
    }

    async fn signed_get<T: DeserializeOwned>(&self, path: &str, query: &str) -> Result<T> {
        self.request(Method::GET, path, query, None, Access::Signed)
            .await
    }

    async fn signed_post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<T> {
        let body = serde_json::to_string(body)
            .map_err(|e| local(ErrorKind::Config, format!("request body: {e}")))?;
        self.request(Method::POST, path, "", Some(body), Access::Signed)
            .await
    }
}

/// The path of "Trade → Place Order".
pub const ORDER_PATH: &str = "/v5/order/create";

/// A new order encoded, signed with venue time and counted on the rate budgets: the request
/// [`RestClient::send_order`] writes (`POST` [`ORDER_PATH`], the JSON [`Self::body`], the
/// [`Self::headers`]). Its signature is valid for recv_window, so `Debug` shows neither the
/// body nor the headers.
pub struct PreparedOrder<'a> {
    body: String,
    timestamp: String,
    signature: String,
    api_key: &'a str,
    recv_window: &'a str,
}

impl PreparedOrder<'_> {
    pub fn method(&self) -> Method {
        Method::POST
    }

    pub fn path(&self) -> &'static str {
        ORDER_PATH
    }

    /// The JSON body, as signed.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The four signing headers as sent: API key, timestamp, signature, recv_window.
    pub fn headers(&self) -> [(&'static str, &str); 4] {
        [
            (HEADER_API_KEY, self.api_key),
            (HEADER_TIMESTAMP, &self.timestamp),
            (HEADER_SIGN, &self.signature),
            (HEADER_RECV_WINDOW, self.recv_window),
        ]
    }
}

impl std::fmt::Debug for PreparedOrder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedOrder")
            .field("path", &ORDER_PATH)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// The path of Bybit's disconnect cancel-all (DCP).
pub const DCP_PATH: &str = "/v5/order/disconnected-cancel-all";

/// A form-encoded query string of `(name, value)` pairs, in the order given (signed as sent).
pub fn query(params: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (name, value) in params {
        push_param(&mut out, name, value);
    }
    out
}

/// Which orders or positions a list covers: one symbol, or all settled in one coin.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    Symbol(&'a str),
    SettleCoin(&'a str),
    /// No filter (inverse contracts take none).
    All,
}

impl Scope<'_> {
    fn push(&self, params: &mut Vec<(&'static str, String)>) {
        match self {
            Scope::Symbol(s) => params.push(("symbol", (*s).to_owned())),
            Scope::SettleCoin(c) => params.push(("settleCoin", (*c).to_owned())),
            Scope::All => {}
        }
    }
}

fn owned_query(params: &[(&'static str, String)]) -> String {
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    query(&pairs)
}

/// The endpoints Rampart uses, each named after its page in Bybit's v5 docs.
impl RestClient {
    /// "Market → Get Instruments Info", every page of one category.
    pub async fn instruments(&self, category: &str) -> Result<Vec<super::models::Instrument>> {
        let mut out = Vec::new();
        let mut cursor = String::new();
        // Bounded: Bybit lists a few hundred contracts, 1000 a page.
        for _ in 0..20 {
            let mut params = vec![
                ("category", category.to_owned()),
                ("limit", "1000".to_owned()),
            ];
            if !cursor.is_empty() {
                params.push(("cursor", cursor.clone()));
            }
            let page: InstrumentsPage = self
                .public_get("/v5/market/instruments-info", &owned_query(&params))
                .await?;
            out.extend(page.list);
            if page.next_page_cursor.is_empty() {
                return Ok(out);
            }
            cursor = page.next_page_cursor;
        }
        Ok(out)
    }

    /// "Trade → Place Order": [`RestClient::prepare_order`], then [`RestClient::send_order`].
    /// The order's identity is its `orderLinkId`; on any doubt the error says
    /// `outcome_unknown`.
    pub async fn place_order(&self, order: &CreateOrder) -> Result<OrderIds> {
        let prepared = self.prepare_order(order).await?;
        self.send_order(prepared).await
    }

    /// Everything [`RestClient::place_order`] does before the first byte is written: the JSON
    /// body, the venue-time timestamp (the clock measured again first when its offset has aged
    /// or been invalidated), one place on the IP budget and on `/v5/order/create`'s own, and
    /// the signature over timestamp + key + recv_window + body. Nothing goes on the wire
    /// unless the clock had to be measured again.
    pub async fn prepare_order(&self, order: &CreateOrder) -> Result<PreparedOrder<'_>> {
        let body = serde_json::to_string(order).map_err(|e| {
            super::error::validation(format!("the order could not be encoded: {e}"))
        })?;
        let now = self.signing_time().await.map_err(|e| Error {
            not_sent: true,
            ..e
        })?;
        self.hold(ORDER_PATH, now)?;
        let timestamp = now.to_string();
        let signature = self
            .signer
            .sign(&timestamp, &self.api_key, &self.recv_window, &body);
        Ok(PreparedOrder {
            body,
            timestamp,
            signature,
            api_key: &self.api_key,
            recv_window: &self.recv_window,
        })
    }

    /// Sends an order [`RestClient::prepare_order`] prepared, once, and reads the ids Bybit
    /// gave it.
    pub async fn send_order(&self, prepared: PreparedOrder<'_>) -> Result<OrderIds> {
        self.log_sent(
            "POST",
            ORDER_PATH,
            &prepared.body,
            Some(&prepared.signature),
        );
        let url = format!("{}{ORDER_PATH}", self.base);
        let req = self
            .http
            .request(Method::POST, &url)
            .header(HEADER_API_KEY, prepared.api_key)
            .header(HEADER_TIMESTAMP, prepared.timestamp)
            .header(HEADER_SIGN, prepared.signature)
            .header(HEADER_RECV_WINDOW, prepared.recv_window)
            .header("Content-Type", "application/json")
            .body(prepared.body);
        self.exchange(req, &Method::POST, ORDER_PATH, Access::SignedOrder)
            .await
    }

    /// "Trade → Get Open & Closed Orders" by `orderLinkId` (`openOnly` is ignored then, so
    /// recent closed orders are found too), then "Trade → Get Order History".
    pub async fn order_by_link_id(
        &self,
        category: &str,
        symbol: &str,
        order_link_id: &str,
    ) -> Result<Option<super::models::Order>> {
        let q = query(&[
            ("category", category),
            ("symbol", symbol),
            ("orderLinkId", order_link_id),
        ]);
        let live: OrderList = self.signed_get("/v5/order/realtime", &q).await?;
        if let Some(o) = live
            .list
            .into_iter()
            .find(|o| o.order_link_id == order_link_id)
        {
            return Ok(Some(o));
        }
        let past: OrderList = self.signed_get("/v5/order/history", &q).await?;
        Ok(past
            .list
            .into_iter()
            .find(|o| o.order_link_id == order_link_id))
    }

    /// "Trade → Cancel Order" by `orderLinkId`.
    pub async fn cancel_order(
        &self,
        category: &str,
        symbol: &str,
        order_link_id: &str,
    ) -> Result<OrderIds> {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Cancel<'a> {
            category: &'a str,
            symbol: &'a str,
            order_link_id: &'a str,
        }
        self.signed_post(
            "/v5/order/cancel",
            &Cancel {
                category,
                symbol,
                order_link_id,
            },
        )
        .await
    }

    /// "Trade → Cancel All Orders" (every kind, conditional ones included, when `orderFilter`
    /// is not given).
    pub async fn cancel_all(&self, category: &str, scope: Scope<'_>) -> Result<()> {
        let mut body = serde_json::Map::new();
        body.insert("category".into(), category.into());
        match scope {
            Scope::Symbol(s) => {
                body.insert("symbol".into(), s.into());
            }
            Scope::SettleCoin(c) => {
                body.insert("settleCoin".into(), c.into());
            }
            Scope::All => {}
        }
        let _: serde_json::Value = self.signed_post("/v5/order/cancel-all", &body).await?;
        Ok(())
    }

    /// "Trade → Get Open & Closed Orders", open ones, every page.
    pub async fn open_orders(
        &self,
        category: &str,
        scope: Scope<'_>,
    ) -> Result<Vec<super::models::Order>> {
        let mut out = Vec::new();
        let mut cursor = String::new();
        for _ in 0..50 {
            let mut params = vec![("category", category.to_owned())];
            scope.push(&mut params);
            params.push(("openOnly", "0".to_owned()));
            params.push(("limit", "50".to_owned()));
            if !cursor.is_empty() {
                params.push(("cursor", cursor.clone()));
            }
            let page: OrderList = self
                .signed_get("/v5/order/realtime", &owned_query(&params))
                .await?;
            out.extend(page.list);
            if page.next_page_cursor.is_empty() {
                break;
            }
            cursor = page.next_page_cursor;
        }
        Ok(out)
    }

    /// "Position → Get Position Info", every page.
    pub async fn positions(
        &self,
        category: &str,
        scope: Scope<'_>,
    ) -> Result<Vec<super::models::PositionInfo>> {
        let mut out = Vec::new();
        let mut cursor = String::new();
        for _ in 0..50 {
            let mut params = vec![("category", category.to_owned())];
            scope.push(&mut params);
            params.push(("limit", "200".to_owned()));
            if !cursor.is_empty() {
                params.push(("cursor", cursor.clone()));
            }
            let page: PositionList = self
                .signed_get("/v5/position/list", &owned_query(&params))
                .await?;
            out.extend(page.list);
            if page.next_page_cursor.is_empty() {
                break;
            }
            cursor = page.next_page_cursor;
        }
        Ok(out)
    }

    /// "Account → Get Wallet Balance" of the unified account.
    pub async fn wallet_balance(&self) -> Result<WalletList> {
        self.signed_get("/v5/account/wallet-balance", "accountType=UNIFIED")
            .await
    }

    /// "Market → Get Tickers" of one symbol.
    pub async fn ticker(
        &self,
        category: &str,
        symbol: &str,
    ) -> Result<(super::models::Ticker, i64)> {
        let t: Tickers = self
            .public_get(
                "/v5/market/tickers",
                &query(&[("category", category), ("symbol", symbol)]),
            )
            .await?;
        let now = self.venue_time_ms().unwrap_or_else(local_ms);
        t.list
            .into_iter()
            .find(|t| t.symbol == symbol)
            .map(|t| (t, now))
            .ok_or_else(|| malformed("the ticker", format_args!("{symbol} is not in it")))
    }

    /// "Market → Get Orderbook" (1 to 1000 levels a side for linear and inverse).
    pub async fn order_book(&self, category: &str, symbol: &str, depth: u32) -> Result<Book> {
        let limit = depth.clamp(1, 1000).to_string();
        self.public_get(
            "/v5/market/orderbook",
            &query(&[
                ("category", category),
                ("symbol", symbol),
                ("limit", &limit),
            ]),
        )
        .await
    }

    /// "Market → Get Kline" (at most 1000).
    pub async fn klines(
        &self,
        category: &str,
        symbol: &str,
        interval: &str,
        limit: u32,
    ) -> Result<Klines> {
        let limit = limit.clamp(1, 1000).to_string();
        self.public_get(
            "/v5/market/kline",
            &query(&[
                ("category", category),
                ("symbol", symbol),
                ("interval", interval),
                ("limit", &limit),
            ]),
        )
        .await
    }

    /// "Account → Get Fee Rate" of one symbol.
    pub async fn fee_rate(&self, category: &str, symbol: &str) -> Result<FeeRateList> {
        self.signed_get(
            "/v5/account/fee-rate",
            &query(&[("category", category), ("symbol", symbol)]),
        )
        .await
    }

    /// "Position → Set Leverage".
    pub async fn set_leverage(
        &self,
        category: &str,
        symbol: &str,
        buy: &str,
        sell: &str,
    ) -> Result<()> {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct SetLeverage<'a> {
            category: &'a str,
            symbol: &'a str,
            buy_leverage: &'a str,
            sell_leverage: &'a str,
        }
        let _: serde_json::Value = self
            .signed_post(
                "/v5/position/set-leverage",
                &SetLeverage {
                    category,
                    symbol,
                    buy_leverage: buy,
                    sell_leverage: sell,
                },
            )
            .await?;
        Ok(())
    }

    /// "Account → Set Margin Mode": `ISOLATED_MARGIN` or `REGULAR_MARGIN` (cross), for the whole
    /// unified account. Bybit answers retCode 0 with a list of `reasons` when it did not switch.
    pub async fn set_margin_mode(&self, mode: &str) -> Result<()> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Reason {
            #[serde(default)]
            reason_code: String,
            #[serde(default)]
            reason_msg: String,
        }
        #[derive(serde::Deserialize)]
        struct Answer {
            #[serde(default)]
            reasons: Vec<Reason>,
        }
        let body = serde_json::json!({ "setMarginMode": mode });
        let answer: Answer = self
            .signed_post("/v5/account/set-margin-mode", &body)
            .await?;
        match answer.reasons.first() {
            None => Ok(()),
            Some(r) => Err(Error {
                venue_code: Some(r.reason_code.clone()),
                venue_message: Some(r.reason_msg.clone()),
                ..local(
                    ErrorKind::Rejected,
                    format!("Bybit did not change the margin mode: {}", r.reason_msg),
                )
            }),
        }
    }

    /// "Trade → Set Disconnect Cancel All": `timeWindow` 3 to 300 s for `product`
    /// (`DERIVATIVES` for futures).
    pub async fn set_dcp(&self, product: &str, time_window_s: u64) -> Result<()> {
        let body = serde_json::json!({ "product": product, "timeWindow": time_window_s });
        let _: serde_json::Value = self.signed_post(DCP_PATH, &body).await?;
        Ok(())
    }

    /// "User → Get API Key Information".
    pub async fn api_key_info(&self) -> Result<ApiKeyInfo> {
        self.signed_get("/v5/user/query-api", "").await
    }
}
