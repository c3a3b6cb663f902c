//! One account's REST connection to OKX v5: signing (see [`super::signer`]), the clock offset
//! from `GET /api/v5/public/time`, the rate-limit windows ([`super::limits`]), OKX's answer
//! envelope and its codes ([`super::error`]), and the audit hook.
//!
//! A request is sent once. A timeout, a dropped connection or a 5xx after an order may have
//! left this machine gives `outcome_unknown`: the engine resolves it by client order id. A
//! refused timestamp (50102) measures the clock again; a read is then sent once more, an order
//! never.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use super::environment::{
    DEMO_WS, Environment, LIVE_REST, LIVE_WS, WS_BUSINESS_PATH, WS_PRIVATE_PATH, WS_PUBLIC_PATH,
    ws_base_for,
};
use super::error::{self, config, held, malformed};
use super::limits::{self, IpWindows, Limit, Scope, Windows};
use super::models::{Envelope, ServerTime};
use super::signer::{
    self, KEY_HEADER, PASSPHRASE_HEADER, SIGN_HEADER, SIMULATED_HEADER, Signer, TIMESTAMP_HEADER,
};
use crate::binance_usdm::ClientOptions;
use crate::clock::{ClockOffset, Sample};
pub(crate) use crate::http::local_ms;
use crate::http::{describe, lock};
use crate::venue::{Error, ErrorKind};

type Result<T> = std::result::Result<T, Error>;

/// The WebSocket addresses of a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsUrls {
    pub public: String,
    pub private: String,
    pub business: String,
}

/// How a request is sent and counted.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub limit: &'a Limit,
    /// The instrument the limit is counted on (per User ID + Instrument ID limits).
    pub instrument: Option<&'a str>,
    /// Places in the window (orders in a batch).
    pub cost: usize,
    pub signed: bool,
    /// A new order: also counted on the sub-account's order limit, never re-sent.
    pub order: bool,
}

impl<'a> Call<'a> {
    pub fn public(path: &'a str, limit: &'a Limit) -> Self {
        Call {
            method: &Method::GET,
            path,
            limit,
            instrument: None,
            cost: 1,
            signed: false,
            order: false,
        }
    }

    pub fn private(method: &'a Method, path: &'a str, limit: &'a Limit) -> Self {
        Call {
            signed: true,
            method,
            ..Call::public(path, limit)
        }
    }

    pub fn on(self, instrument: &'a str) -> Self {
        Call {
            instrument: Some(instrument),
            ..self
        }
    }
}

/// The headers of a signed request, as sent (for the preview and the tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub timestamp: String,
    pub sign: String,
}

/// A new order checked, encoded, counted on its rate windows and signed with venue time: the
/// request [`RestClient::send_order`] writes (`POST` [`Self::path`], the JSON [`Self::body`],
/// the [`Self::headers`]). Its signature is valid for 30 seconds, so `Debug` shows neither the
/// body nor the headers.
pub struct PreparedOrder<'a> {
    call: Call<'a>,
    body: String,
    signed: SignedHeaders,
    api_key: &'a str,
    passphrase: &'a str,
}

impl PreparedOrder<'_> {
    pub fn method(&self) -> Method {
        Method::POST
    }

    /// `/api/v5/trade/order` or, for a conditional order, `/api/v5/trade/order-algo`.
    pub fn path(&self) -> &str {
        self.call.path
    }

    /// The JSON body, as signed.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The four signing headers as sent: key, signature, timestamp, passphrase.
    pub fn headers(&self) -> [(&'static str, &str); 4] {
        [
            (KEY_HEADER, self.api_key),
            (SIGN_HEADER, &self.signed.sign),
            (TIMESTAMP_HEADER, &self.signed.timestamp),
            (PASSPHRASE_HEADER, self.passphrase),
        ]
    }
}

impl std::fmt::Debug for PreparedOrder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedOrder")
            .field("path", &self.call.path)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// One account's connection to OKX.
pub struct RestClient {
    http: reqwest::Client,
    base: String,
    ws: WsUrls,
    tls: Option<Arc<rustls::ClientConfig>>,
    api_key: Zeroizing<String>,
    passphrase: Zeroizing<String>,
    signer: Signer,
    /// Demo trading: every request carries `x-simulated-trading: 1`.
    simulated: bool,
    clock: Mutex<ClockOffset>,
    clock_max_age_ms: i64,
    margin_percent: u32,
    connect_timeout: Duration,
    /// Per User ID windows: this account's own.
    uid_windows: Mutex<Windows>,
    /// Silence on a stream after which `ping` is sent.
    ws_heartbeat: Duration,
    /// Per IP windows: shared with every client of this host.
    ip_windows: IpWindows,
    wire: Option<Arc<dyn crate::wire::WireLog>>,
}

impl std::fmt::Debug for RestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestClient")
            .field("base", &self.base)
            .field("simulated", &self.simulated)
            .finish_non_exhaustive()
    }
}

/// Accepts https anywhere and http only to loopback.
fn check_base_url(base: &str) -> Result<String> {
    crate::http::secure_base(base).ok_or_else(|| {
        config(format!(
            "{base} is not a secure address: OKX is reached over https (plain http only to \
             this machine)"
        ))
    })
}

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

/// The `code` of an answer as a number (OKX sends it as a string).
fn code_of(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::String(s) => s.parse().ok(),
        serde_json::Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

/// OKX's refusal in an answer body: the envelope's `code`/`msg`, or for "1"/"2" (an order
/// operation failed) the first row's `sCode`/`sMsg`. `None` when `code` is 0.
pub fn refusal_in(body: &[u8]) -> Result<Option<(i64, String)>> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| malformed("the answer is not JSON"))?;
    let code = v
        .get("code")
        .and_then(code_of)
        .ok_or_else(|| malformed("the answer has no code"))?;
    if code == 0 {
        return Ok(None);
    }
    let msg = v
        .get("msg")
        .and_then(|m| m.as_str())
        .unwrap_or_default()
        .to_owned();
    if code == error::OPERATION_FAILED || code == error::BATCH_PARTIAL {
        let row = v.get("data").and_then(|d| d.get(0));
        if let Some(s_code) = row.and_then(|r| r.get("sCode")).and_then(code_of)
            && s_code != 0
        {
            let s_msg = row
                .and_then(|r| r.get("sMsg"))
                .and_then(|m| m.as_str())
                .unwrap_or_default()
                .to_owned();
            return Ok(Some((s_code, s_msg)));
        }
    }
    Ok(Some((code, msg)))
}

impl RestClient {
    /// A client for `base_url` with the default options.
    pub fn new(base_url: &str, api_key: &str, api_secret: &str, passphrase: &str) -> Result<Self> {
        Self::with_options(
            base_url,
            api_key,
            api_secret,
            passphrase,
            &ClientOptions::default(),
        )
    }

    /// A client for one of OKX's environments: Live (www.okx.com), Demo (OKX's demo trading).
    /// OKX has no testnet.
    pub fn for_environment(
        env: Environment,
        api_key: &str,
        api_secret: &str,
        passphrase: &str,
        options: &ClientOptions,
    ) -> Result<Self> {
        let (simulated, ws) = match env {
            Environment::Live => (false, LIVE_WS),
            Environment::Demo => (true, DEMO_WS),
            Environment::Testnet => {
                return Err(config(
                    "OKX has no testnet: use its demo trading (Demo) with a demo-trading API \
                     key instead.",
                ));
            }
            Environment::Simulator => {
                return Err(config(
                    "Rampart's OKX simulator is reached at the address it listens on, not an \
                     OKX host.",
                ));
            }
        };
        let mut client = Self::build(LIVE_REST, ws, api_key, api_secret, passphrase, options)?;
        client.simulated = simulated;
        Ok(client)
    }

    /// A client for `base_url` (https, or http to loopback) with `options`; its streams are on
    /// the same address (`ws://host:port/ws/v5/…` for `http://host:port`).
    pub fn with_options(
        base_url: &str,
        api_key: &str,
        api_secret: &str,
        passphrase: &str,
        options: &ClientOptions,
    ) -> Result<Self> {
        let base = check_base_url(base_url)?;
        let ws = if base == LIVE_REST {
            LIVE_WS.to_owned()
        } else {
            ws_base_for(&base).ok_or_else(|| config(format!("no stream address for {base}")))?
        };
        Self::build(&base, &ws, api_key, api_secret, passphrase, options)
    }

    fn build(
        base_url: &str,
        ws_base: &str,
        api_key: &str,
        api_secret: &str,
        passphrase: &str,
        options: &ClientOptions,
    ) -> Result<Self> {
        let base = check_base_url(base_url)?;
        if api_key.trim().is_empty() {
            return Err(config("The OKX API key is empty."));
        }
        if passphrase.is_empty() {
            return Err(config(
                "The OKX passphrase is empty: enter the one chosen when the API key was made.",
            ));
        }
        let signer =
            Signer::new(api_secret).ok_or_else(|| config("The OKX secret key is empty."))?;
        let on_this_machine = reqwest::Url::parse(&base).is_ok_and(|u| crate::tls::is_loopback(&u));
        if options.extra_root_pem.is_some() && !on_this_machine {
            return Err(config(format!(
                "an extra trusted certificate is accepted only for a venue on this machine \
                 (the simulator), not for {base}"
            )));
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
                .map_err(|e| config(format!("extra root certificate: {e}")))?;
            builder = builder.tls_certs_merge(roots);
        }
        let http = builder.build().map_err(|e| config(describe(e)))?;
        let tls = if ws_base.starts_with("wss://") {
            Some(
                crate::tls::client_config(options.extra_root_pem.as_deref())
                    .map_err(|e| config(e.to_string()))?,
            )
        } else {
            None
        };
        Ok(Self {
            http,
            ip_windows: limits::ip_windows(&origin(&base)),
            base,
            ws: WsUrls {
                public: format!("{ws_base}{WS_PUBLIC_PATH}"),
                private: format!("{ws_base}{WS_PRIVATE_PATH}"),
                business: format!("{ws_base}{WS_BUSINESS_PATH}"),
            },
            tls,
            api_key: Zeroizing::new(api_key.trim().to_owned()),
            passphrase: Zeroizing::new(passphrase.to_owned()),
            signer,
            simulated: false,
            clock: Mutex::new(ClockOffset::default()),
            clock_max_age_ms: i64::try_from(options.clock_max_age.as_millis()).unwrap_or(i64::MAX),
            margin_percent: options.margin_percent,
            connect_timeout: options.connect_timeout,
            uid_windows: Mutex::new(Windows::default()),
            ws_heartbeat: super::ws::DEFAULT_HEARTBEAT,
            wire: None,
        })
    }

    /// Reports every signed request (method, path, query or body, signature) and its answer
    /// to `log`; never the key or the passphrase (they travel in headers).
    pub fn with_wire_log(mut self, log: Arc<dyn crate::wire::WireLog>) -> Self {
        self.wire = Some(log);
        self
    }

    /// Streams send OKX's `ping` after `silence` without a message (default 20 s; OKX drops
    /// a connection silent for 30 s).
    pub fn with_ws_heartbeat(mut self, silence: Duration) -> Self {
        self.ws_heartbeat = silence;
        self
    }

    pub(crate) fn ws_heartbeat(&self) -> Duration {
        self.ws_heartbeat
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn ws_urls(&self) -> &WsUrls {
        &self.ws
    }

    pub fn is_demo(&self) -> bool {
        self.simulated
    }

    pub(crate) fn tls_config(&self) -> Option<Arc<rustls::ClientConfig>> {
        self.tls.clone()
    }

    pub(crate) fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The WebSocket login frame for venue time now (seconds), as documented:
    /// `{"op":"login","args":[{"apiKey","passphrase","timestamp","sign"}]}`.
    pub(crate) fn ws_login_frame(&self) -> Result<String> {
        let now = self
            .venue_now()
            .ok_or_else(|| config("The OKX clock has not been measured yet."))?;
        Ok(self.ws_login_frame_at(now.div_euclid(1000)))
    }

    pub(crate) fn ws_login_frame_at(&self, secs: i64) -> String {
        let ts = secs.to_string();
        serde_json::json!({
            "op": "login",
            "args": [{
                "apiKey": self.api_key.as_str(),
                "passphrase": self.passphrase.as_str(),
                "timestamp": ts,
                "sign": self.signer.sign_ws_login(&ts),
            }]
        })
        .to_string()
    }

    /// Venue time now, if measured.
    pub fn venue_now(&self) -> Option<i64> {
        lock(&self.clock).venue_time(local_ms())
    }

    pub fn clock_offset_ms(&self) -> Option<i64> {
        lock(&self.clock).offset_ms()
    }

    /// Measures the clock from `GET /api/v5/public/time`; returns venue − local (ms).
    pub async fn sync_clock(&self) -> Result<i64> {
        let sent = local_ms();
        // Sent directly (not through `send`, which signs with the clock this measures).
        let call = Call::public("/api/v5/public/time", &limits::SERVER_TIME);
        self.reserve(&call, self.venue_now().unwrap_or(sent))?;
        let mut request = self.http.get(format!("{}{}", self.base, call.path));
        if self.simulated {
            request = request.header(SIMULATED_HEADER, "1");
        }
        let body = self.transmit(&call, request).await.1?;
        let received = local_ms();
        let env: Envelope<ServerTime> = super::convert::envelope(&body)?;
        let ts = env
            .data
            .first()
            .ok_or_else(|| malformed("server time without data"))?;
        let server = super::convert::ms("ts", &ts.ts)?;
        let mut clock = lock(&self.clock);
        clock
            .record(Sample {
                sent,
                server,
                received,
            })
            .map_err(malformed)?;
        clock
            .offset_ms()
            .ok_or_else(|| config("The OKX clock could not be measured."))
    }

    /// Venue time to sign with: the first measurement is the caller's (`sync_clock`); an aged
    /// or invalidated offset is measured again here.
    async fn signing_time(&self) -> Result<i64> {
        let now = local_ms();
        let fresh = {
            let clock = lock(&self.clock);
            if !clock.measured_once() {
                return Err(config(
                    "OKX's clock has not been measured yet: connect the account first.",
                ));
            }
            if clock.needs_measure(now, self.clock_max_age_ms) {
                None
            } else {
                clock.venue_time(now)
            }
        };
        match fresh {
            Some(t) => Ok(t),
            None => {
                self.sync_clock().await?;
                self.venue_now()
                    .ok_or_else(|| config("The OKX clock could not be measured."))
            }
        }
    }

    /// The OK-ACCESS-TIMESTAMP and OK-ACCESS-SIGN of a request at venue time `ms`.
    pub fn sign_at(&self, ms: i64, method: &str, request_path: &str, body: &str) -> SignedHeaders {
        let timestamp = signer::iso_timestamp(ms);
        let sign = self
            .signer
            .sign_request(&timestamp, method, request_path, body);
        SignedHeaders { timestamp, sign }
    }

    /// Takes the call's places in its windows, or says when to try again.
    fn reserve(&self, call: &Call<'_>, now: i64) -> Result<()> {
        let key = limits::key(call.limit, call.instrument);
        let windows = match call.limit.scope {
            Scope::Ip => &*self.ip_windows,
            Scope::Uid | Scope::UidInstrument => &self.uid_windows,
        };
        lock(windows)
            .reserve(&key, call.limit, call.cost, self.margin_percent, now)
            .map_err(|at| held(at, call.limit.name))?;
        if call.order {
            let mut uid = lock(&self.uid_windows);
            let sub = &limits::SUB_ACCOUNT_ORDERS;
            if let Err(at) = uid.reserve(sub.name, sub, call.cost, self.margin_percent, now) {
                return Err(held(at, sub.name));
            }
        }
        Ok(())
    }

    fn pause(&self, call: &Call<'_>, until: i64) {
        let key = limits::key(call.limit, call.instrument);
        let windows = match call.limit.scope {
            Scope::Ip => &*self.ip_windows,
            Scope::Uid | Scope::UidInstrument => &self.uid_windows,
        };
        lock(windows).pause(&key, until);
    }

    /// A typed answer's `data`.
    pub async fn data<T: DeserializeOwned>(
        &self,
        call: Call<'_>,
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Result<Vec<T>> {
        let body_text = body.map(serde_json::Value::to_string);
        let bytes = self.request(call, query, body_text.as_deref()).await?;
        Ok(super::convert::envelope::<T>(&bytes)?.data)
    }

    /// Sends `call` with the `query` (GET) or JSON `body` (POST), signed if private; with the
    /// timestamp rule (see the module doc).
    pub async fn request(
        &self,
        call: Call<'_>,
        query: &[(&str, &str)],
        body: Option<&str>,
    ) -> Result<bytes::Bytes> {
        let query_text = if query.is_empty() {
            String::new()
        } else {
            format!("?{}", query_string(query.iter().copied()))
        };
        let request_path = format!("{}{query_text}", call.path);
        let first = self.send(call, &request_path, body).await;
        match first {
            Err(e) if is_timestamp_error(&e) => {
                // Our offset is wrong: measure again at once.
                let measured = self.sync_clock().await;
                if call.order || measured.is_err() {
                    return Err(e);
                }
                self.send(call, &request_path, body).await
            }
            other => other,
        }
    }

    /// One attempt. `request_path` is the path with `?query`; empty for public calls built
    /// from `call.path` alone.
    async fn send(
        &self,
        call: Call<'_>,
        request_path: &str,
        body: Option<&str>,
    ) -> Result<bytes::Bytes> {
        let request_path = if request_path.is_empty() {
            call.path
        } else {
            request_path
        };
        let body = body.unwrap_or("");
        let now = self.venue_now().unwrap_or_else(local_ms);
        self.reserve(&call, now)?;
        let url = format!("{}{request_path}", self.base);
        let mut request = self.http.request(call.method.clone(), url);
        let mut signature = None;
        if call.signed {
            let ms = self.signing_time().await?;
            let h = self.sign_at(ms, call.method.as_str(), request_path, body);
            request = request
                .header(KEY_HEADER, self.api_key.as_str())
                .header(SIGN_HEADER, &h.sign)
                .header(TIMESTAMP_HEADER, &h.timestamp)
                .header(PASSPHRASE_HEADER, self.passphrase.as_str());
            signature = Some(h.sign);
        }
        if self.simulated {
            request = request.header(SIMULATED_HEADER, "1");
        }
        if !body.is_empty() {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_owned());
        }
        if call.signed
            && let Some(wire) = &self.wire
        {
            let params = if body.is_empty() {
                request_path.split_once('?').map_or("", |(_, q)| q)
            } else {
                body
            };
            wire.sent(&crate::wire::WireRequest {
                method: call.method.as_str(),
                path: call.path,
                params,
                signature: signature.as_deref(),
            });
        }
        let (status, answer) = self.transmit(&call, request).await;
        if call.signed {
            self.log_answer(&call, status, &answer);
        }
        answer
    }

    /// Everything an order's [`RestClient::request`] does before the first byte is written:
    /// the JSON body as text, one place in `call`'s windows (and the sub-account's order
    /// window), the venue-time timestamp (the clock measured again first when its offset has
    /// aged or been invalidated) and the signature. `call` must be an order (`call.order`).
    pub async fn prepare_order<'a>(
        &'a self,
        call: Call<'a>,
        body: String,
    ) -> Result<PreparedOrder<'a>> {
        let now = self.venue_now().unwrap_or_else(local_ms);
        self.reserve(&call, now)?;
        let ms = self.signing_time().await?;
        let signed = self.sign_at(ms, call.method.as_str(), call.path, &body);
        Ok(PreparedOrder {
            call,
            body,
            signed,
            api_key: self.api_key.as_str(),
            passphrase: self.passphrase.as_str(),
        })
    }

    /// Sends an order [`RestClient::prepare_order`] prepared, once. A refused timestamp
    /// measures the clock again for the next request; the order itself is never re-sent.
    pub async fn send_order(&self, prepared: PreparedOrder<'_>) -> Result<bytes::Bytes> {
        let call = prepared.call;
        let url = format!("{}{}", self.base, call.path);
        let mut request = self
            .http
            .request(call.method.clone(), url)
            .header(KEY_HEADER, prepared.api_key)
            .header(SIGN_HEADER, &prepared.signed.sign)
            .header(TIMESTAMP_HEADER, &prepared.signed.timestamp)
            .header(PASSPHRASE_HEADER, prepared.passphrase);
        if self.simulated {
            request = request.header(SIMULATED_HEADER, "1");
        }
        if let Some(wire) = &self.wire {
            wire.sent(&crate::wire::WireRequest {
                method: call.method.as_str(),
                path: call.path,
                params: &prepared.body,
                signature: Some(&prepared.signed.sign),
            });
        }
        let request = request
            .header("Content-Type", "application/json")
            .body(prepared.body);
        let (status, answer) = self.transmit(&call, request).await;
        self.log_answer(&call, status, &answer);
        if let Err(e) = &answer
            && is_timestamp_error(e)
        {
            let _ = self.sync_clock().await;
        }
        answer
    }

    async fn transmit(
        &self,
        call: &Call<'_>,
        request: reqwest::RequestBuilder,
    ) -> (u16, Result<bytes::Bytes>) {
        let mut status_seen = 0;
        let answer = self.transmit_inner(call, request, &mut status_seen).await;
        (status_seen, answer)
    }

    /// [`RestClient::transmit`]; `status_seen` gets the HTTP status when an answer came.
    async fn transmit_inner(
        &self,
        call: &Call<'_>,
        request: reqwest::RequestBuilder,
        status_seen: &mut u16,
    ) -> Result<bytes::Bytes> {
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return Err(self.transport_error(call, e, false)),
        };
        let status = response.status();
        *status_seen = status.as_u16();
        let retry_after: Option<i64> = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let body = match response.bytes().await {
            Ok(b) => b,
            Err(e) => return Err(self.transport_error(call, e, true)),
        };
        let now = self.venue_now().unwrap_or_else(local_ms);
        let refusal = refusal_in(&body);
        if status == StatusCode::TOO_MANY_REQUESTS
            || matches!(refusal, Ok(Some((error::RATE_LIMITED, _))))
        {
            let until = now + retry_after.map_or(call.limit.per_ms, |s| s.saturating_mul(1000));
            self.pause(call, until);
            let (code, msg) = match refusal {
                Ok(Some(r)) => r,
                _ => (error::RATE_LIMITED, "Too Many Requests".to_owned()),
            };
            return Err(Error {
                retry_at_ms: Some(until),
                ..error::rejected(code, &msg)
            });
        }
        if status.is_server_error() {
            return Err(Error {
                kind: ErrorKind::VenueFailure,
                outcome_unknown: call.order,
                ..error::local(
                    ErrorKind::VenueFailure,
                    format!(
                        "OKX failed to answer (HTTP {}){}.",
                        status.as_u16(),
                        if call.order {
                            "; the order may or may not have been placed: Rampart checks \
                             it by its client order id"
                        } else {
                            ""
                        }
                    ),
                )
            });
        }
        if status.is_redirection() {
            return Err(error::local(
                ErrorKind::Connectivity,
                format!(
                    "OKX answered with a redirect (HTTP {}), which Rampart does not follow.",
                    status.as_u16()
                ),
            ));
        }
        match refusal {
            Ok(None) if status.is_success() => Ok(body),
            Ok(None) => Err(malformed(format_args!(
                "HTTP {} with code 0",
                status.as_u16()
            ))),
            Ok(Some((code, msg))) => {
                if error::is_timestamp_refusal(code) {
                    lock(&self.clock).invalidate();
                }
                let mut e = error::rejected(code, &msg);
                e.outcome_unknown = e.outcome_unknown && call.order;
                Err(e)
            }
            Err(e) => Err(if status.is_success() {
                e
            } else {
                malformed(format_args!(
                    "HTTP {} with a body that is not an OKX answer",
                    status.as_u16()
                ))
            }),
        }
    }

    /// A failed send: nothing left this machine (could not connect), or it may have (timeout,
    /// dropped connection), in which case an order's outcome is unknown.
    fn transport_error(&self, call: &Call<'_>, e: reqwest::Error, reading: bool) -> Error {
        let not_sent = !reading && e.is_connect();
        let text = describe(e);
        let unknown = call.order && !not_sent;
        Error {
            not_sent,
            outcome_unknown: unknown,
            ..error::local(
                ErrorKind::Connectivity,
                if unknown {
                    format!(
                        "No answer from OKX ({text}); the order may or may not have been \
                         placed. Rampart checks it by its client order id before anything is \
                         sent again."
                    )
                } else {
                    format!("No answer from OKX ({text}). Check the connection.")
                },
            )
        }
    }

    fn log_answer(&self, call: &Call<'_>, status: u16, answer: &Result<bytes::Bytes>) {
        let Some(wire) = &self.wire else { return };
        let text = |v: &serde_json::Value, keys: &[&str]| {
            keys.iter().find_map(|k| match v.get(*k)? {
                serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
                _ => None,
            })
        };
        let mut reported = crate::wire::WireAnswer {
            method: call.method.as_str(),
            path: call.path,
            status,
            venue_code: None,
            message: None,
            order_id: None,
            client_order_id: None,
            order_status: None,
        };
        match answer {
            Ok(body) => {
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body)
                    && let Some(row) = v.get("data").and_then(|d| d.get(0))
                {
                    reported.order_id = text(row, &["ordId", "algoId"]);
                    reported.client_order_id = text(row, &["clOrdId", "algoClOrdId"]);
                    reported.order_status = text(row, &["state"]);
                }
            }
            Err(e) => {
                reported.venue_code = e.venue_code.as_deref().and_then(|c| c.parse().ok());
                reported.message = Some(e.venue_message.clone().unwrap_or(e.message.clone()));
            }
        }
        wire.answered(&reported);
    }
}

/// A GET's query string as the client sends and signs it (form-encoded, in the order given).
pub fn query_string<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        s.append_pair(k, v);
    }
    s.finish()
}

fn is_timestamp_error(e: &Error) -> bool {
    e.venue_code
        .as_deref()
        .and_then(|c| c.parse::<i64>().ok())
        .is_some_and(error::is_timestamp_refusal)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "985d5b66-57ce-40fb-b714-afc0b9787083";
    const SECRET: &str = "22582BD0CFF14C41EDBF1AB98506286D";

    #[test]
    fn environments_choose_hosts_and_the_testnet_is_refused() {
        let o = ClientOptions::default();
        let live = RestClient::for_environment(Environment::Live, KEY, SECRET, "p", &o).unwrap();
        assert_eq!(live.base_url(), "https://www.okx.com");
        assert_eq!(
            live.ws_urls().private,
            "wss://ws.okx.com:8443/ws/v5/private"
        );
        assert!(!live.is_demo());
        let demo = RestClient::for_environment(Environment::Demo, KEY, SECRET, "p", &o).unwrap();
        assert_eq!(
            demo.ws_urls().business,
            "wss://wspap.okx.com:8443/ws/v5/business"
        );
        assert!(demo.is_demo());
        let e =
            RestClient::for_environment(Environment::Testnet, KEY, SECRET, "p", &o).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Config);
        assert!(e.message.contains("no testnet"));
        let sim = RestClient::new("http://127.0.0.1:9000", KEY, SECRET, "p").unwrap();
        assert_eq!(sim.ws_urls().public, "ws://127.0.0.1:9000/ws/v5/public");
        assert!(RestClient::new("http://example.com", KEY, SECRET, "p").is_err());
    }

    #[test]
    fn the_client_never_prints_its_secrets() {
        let c = RestClient::new("http://127.0.0.1:9000", KEY, SECRET, "Pass1!").unwrap();
        let text = format!("{c:?}");
        assert!(!text.contains(SECRET) && !text.contains("Pass1!") && !text.contains(KEY));
    }

    #[test]
    fn the_login_frame_is_the_documented_shape() {
        let c = RestClient::new("http://127.0.0.1:9000", KEY, SECRET, "Pass1!").unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&c.ws_login_frame_at(1_538_054_050)).unwrap();
        assert_eq!(v["op"], "login");
        assert_eq!(v["args"][0]["apiKey"], KEY);
        assert_eq!(v["args"][0]["passphrase"], "Pass1!");
        assert_eq!(v["args"][0]["timestamp"], "1538054050");
        assert_eq!(
            v["args"][0]["sign"],
            "+LdIr8lkkvhr5hoA3g9TMC0+uQJ849ftAcocA/ouu4M="
        );
    }

    #[test]
    fn order_refusals_are_read_from_s_code() {
        let body = br#"{"code":"1","msg":"Operation failed","data":[{"clOrdId":"rmpA","ordId":"","sCode":"51008","sMsg":"Order failed. Insufficient USDT balance in account."}]}"#;
        let (code, msg) = refusal_in(body).unwrap().unwrap();
        assert_eq!(code, 51008);
        assert!(msg.contains("Insufficient"));
        let ok = br#"{"code":"0","msg":"","data":[{"clOrdId":"rmpA","ordId":"1","sCode":"0","sMsg":""}]}"#;
        assert_eq!(refusal_in(ok).unwrap(), None);
        let e = refusal_in(b"<html>").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Malformed);
    }
}
