//! One account's connection to Deribit: JSON-RPC over one WebSocket when it is up (preferred:
//! Deribit's own advice, and the only way to cancel-on-disconnect), over HTTP
//! (`POST /api/v2/{method}` with the JSON-RPC request as the body) when it is not; the access
//! tokens ([`super::auth`]), the clock offset from `public/get_time`, the credit buckets
//! ([`super::limits`]) and Deribit's error object ([`super::error`]).
//!
//! A request is sent once. A matching-engine request (an order, an edit, a cancel) whose answer
//! did not come (lost connection, timeout, 5xx) has an unknown outcome: the engine resolves it
//! by label. A read whose socket dropped is sent again over HTTP. A token Deribit refuses
//! (13009, 10000) is renewed once; a read is then sent again, an order never.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::auth::{AuthResult, AuthStep, Credentials, Grant, TokenHolder};
use super::environment::{Environment, HTTP_PREFIX, LIVE_REST, rest_base, ws_url_for};
use super::error::{self, code_of, config, held, malformed};
use super::json::{from_value, numbers_as_text};
use super::limits::{Credits, Pool, pool_of};
use super::models::RpcError;
use super::socket::{self, Socket, SocketFailure};
use crate::binance_usdm::ClientOptions;
use crate::clock::{ClockOffset, Sample};
use crate::http::{describe, local_ms, lock};
use crate::venue::{Error, ErrorKind, Result};

/// "public/set_heartbeat … interval … not less than 10" seconds.
pub const MIN_HEARTBEAT: Duration = Duration::from_secs(10);
/// The heartbeat Rampart asks for.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(15);
/// How long after a failed attempt the socket is tried again (ms); HTTP meanwhile.
pub const SOCKET_RETRY_MS: i64 = 30_000;
/// The longest a request waits for credits before it is held back instead.
pub const MAX_CREDIT_WAIT: Duration = Duration::from_secs(2);

/// Whether `method` changes orders (never re-sent after a failure).
pub fn is_matching(method: &str) -> bool {
    pool_of(method) == Pool::MatchingEngine
}

/// One account's connection to Deribit.
pub struct RpcClient {
    http: reqwest::Client,
    base: String,
    ws_url: String,
    tls: Option<Arc<rustls::ClientConfig>>,
    connect_timeout: Duration,
    request_timeout: Duration,
    credentials: Credentials,
    grant: Grant,
    /// The token of HTTP requests (`Authorization: Bearer`).
    http_tokens: TokenHolder,
    /// The socket and its own (connection-scoped) token, when connected.
    socket: tokio::sync::Mutex<Option<(Arc<Socket>, Arc<TokenHolder>)>>,
    /// Held while the socket is being opened.
    opening: tokio::sync::Mutex<()>,
    clock: Mutex<ClockOffset>,
    clock_max_age_ms: i64,
    credits: Mutex<Credits>,
    margin_percent: u32,
    heartbeat: Duration,
    ids: AtomicU64,
    wire: Option<Arc<dyn crate::wire::WireLog>>,
    /// Whether requests go over the socket when it can be opened (Deribit's preference).
    prefer_socket: bool,
    /// Local time (ms) of the last attempt to open the socket.
    socket_tried_ms: Mutex<Option<i64>>,
}

impl std::fmt::Debug for RpcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// An order's JSON-RPC request (`private/buy`, `private/sell`) ready to write: its credits
/// taken from the matching-engine bucket, the access token of the transport it goes on (the
/// socket when it is up, else HTTP), its request id and its text. Written once by
/// [`RpcClient::send_order`]. The token is valid for minutes, so `Debug` shows neither it nor
/// the text.
pub struct PreparedOrder {
    method: &'static str,
    params: Value,
    id: u64,
    text: String,
    token: Zeroizing<String>,
    route: Route,
}

/// Where a prepared request is written.
enum Route {
    /// The socket up when the request was prepared, and its token holder: the token is in the
    /// request's params.
    Socket(Arc<Socket>, Arc<TokenHolder>),
    /// `POST /api/v2/{method}`, the token as `Authorization: Bearer`.
    Http,
}

impl PreparedOrder {
    /// `private/buy` or `private/sell`.
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// The params as the audit records them (without the access token).
    pub fn params(&self) -> &Value {
        &self.params
    }

    /// The JSON-RPC request id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The request as written: the socket's frame (its params carry the access token) or
    /// HTTP's body.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The access token it carries (in the frame, or as HTTP's `Authorization: Bearer`).
    pub fn access_token(&self) -> &str {
        &self.token
    }

    /// Whether it goes over the socket (else over HTTP).
    pub fn over_socket(&self) -> bool {
        matches!(self.route, Route::Socket(..))
    }
}

impl std::fmt::Debug for PreparedOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedOrder")
            .field("method", &self.method)
            .field("id", &self.id)
            .field("over_socket", &self.over_socket())
            .field("text_len", &self.text.len())
            .finish_non_exhaustive()
    }
}

/// `params` with `access_token` added (a private request over the socket).
fn with_token(params: &Value, token: &str) -> Value {
    let mut p = params.clone();
    if let Value::Object(m) = &mut p {
        m.insert("access_token".into(), Value::String(token.to_owned()));
    }
    p
}

/// Deribit's answer object: its `result`, or its `error` as an [`Error`].
pub fn result_of(answer: Value) -> Result<Value> {
    if let Some(e) = answer.get("error") {
        let e: RpcError = from_value(e.clone())?;
        let code = e.code.int("error code")?;
        let mut err = error::rejected(code, &e.message);
        if let Some(data) = e
            .data
            .as_ref()
            .and_then(|d| d.get("reason"))
            .and_then(Value::as_str)
        {
            err.venue_message = Some(format!("{}: {data}", e.message));
        }
        return Err(err);
    }
    answer
        .get("result")
        .cloned()
        .ok_or_else(|| malformed("an answer with neither result nor error"))
}

impl RpcClient {
    /// A client of one of Deribit's environments (production, test network).
    pub fn for_environment(
        env: Environment,
        client_id: &str,
        client_secret: &str,
        options: &ClientOptions,
    ) -> Result<Self> {
        let base = match (env, rest_base(env)) {
            (_, Some(base)) => base,
            (Environment::Demo, None) => {
                return Err(config(
                    "Deribit has no demo trading: use its test network (Testnet, \
                     test.deribit.com) with a key made there.",
                ));
            }
            _ => {
                return Err(config(
                    "Rampart's Deribit simulator is reached at the address it listens on, not \
                     a Deribit host.",
                ));
            }
        };
        Self::with_options(base, client_id, client_secret, options)
    }

    /// A client of `base_url` (https anywhere, http only to this machine); its socket is
    /// `ws(s)://same-address/ws/api/v2`.
    pub fn with_options(
        base_url: &str,
        client_id: &str,
        client_secret: &str,
        options: &ClientOptions,
    ) -> Result<Self> {
        let base = crate::http::secure_base(base_url).ok_or_else(|| {
            config(format!(
                "{base_url} is not a secure address: Deribit is reached over https (plain http \
                 only to this machine)"
            ))
        })?;
        let ws_url =
            ws_url_for(&base).ok_or_else(|| config(format!("no socket address for {base}")))?;
        let credentials = Credentials::new(client_id, client_secret)?;
        let on_this_machine = reqwest::Url::parse(&base).is_ok_and(|u| crate::tls::is_loopback(&u));
        if options.extra_root_pem.is_some() && !on_this_machine {
            return Err(config(format!(
                "an extra trusted certificate is accepted only for a venue on this machine (the \
                 simulator), not for {base}"
            )));
        }
        let mut builder = reqwest::Client::builder()
            .tls_backend_rustls()
            .tls_version_min(reqwest::tls::Version::TLS_1_3)
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            // A redirect could carry the token and a signed order elsewhere: none is followed.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy();
        if let Some(pem) = &options.extra_root_pem {
            let roots = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| config(format!("extra root certificate: {e}")))?;
            builder = builder.tls_certs_merge(roots);
        }
        let http = builder.build().map_err(|e| config(describe(e)))?;
        let tls = if ws_url.starts_with("wss://") {
            Some(
                crate::tls::client_config(options.extra_root_pem.as_deref())
                    .map_err(|e| config(e.to_string()))?,
            )
        } else {
            None
        };
        let grant = Grant::default();
        Ok(Self {
            http,
            base,
            ws_url,
            tls,
            connect_timeout: options.connect_timeout,
            request_timeout: options.request_timeout,
            http_tokens: TokenHolder::new(credentials.clone(), grant),
            credentials,
            grant,
            socket: tokio::sync::Mutex::new(None),
            opening: tokio::sync::Mutex::new(()),
            clock: Mutex::new(ClockOffset::default()),
            clock_max_age_ms: i64::try_from(options.clock_max_age.as_millis()).unwrap_or(i64::MAX),
            credits: Mutex::new(Credits::new(options.margin_percent)),
            margin_percent: options.margin_percent,
            heartbeat: DEFAULT_HEARTBEAT,
            ids: AtomicU64::new(1),
            wire: None,
            prefer_socket: true,
            socket_tried_ms: Mutex::new(None),
        })
    }

    /// Authenticates with the client secret itself instead of a signature (both are
    /// documented; the signature keeps the secret on this machine and is the default).
    pub fn with_grant(mut self, grant: Grant) -> Self {
        self.grant = grant;
        self.http_tokens = TokenHolder::new(self.credentials.clone(), grant);
        self
    }

    /// Reports every private request (method, params) and its answer to `log`: never the
    /// access token (it travels in a header, or is added to the socket's frame after this
    /// report) nor the secret.
    pub fn with_wire_log(mut self, log: Arc<dyn crate::wire::WireLog>) -> Self {
        self.wire = Some(log);
        self
    }

    /// Sends everything over HTTP unless something needs the socket (cancel-on-disconnect);
    /// by default requests go over the socket whenever it is up.
    pub fn with_socket(mut self, prefer: bool) -> Self {
        self.prefer_socket = prefer;
        self
    }

    /// Opens the socket if requests should use it, it is down and the last attempt was long
    /// enough ago; a failure leaves requests on HTTP.
    pub async fn try_socket(&self) {
        if !self.prefer_socket || self.socket_up().await {
            return;
        }
        // Someone is opening it already: this request goes over HTTP meanwhile.
        let Ok(opening) = self.opening.try_lock() else {
            return;
        };
        let now = local_ms();
        {
            let mut tried = lock(&self.socket_tried_ms);
            if tried.is_some_and(|t| now - t < SOCKET_RETRY_MS) {
                return;
            }
            *tried = Some(now);
        }
        if let Err(e) = self.open_under(opening).await {
            tracing::debug!(error = %e.message, "Deribit's WebSocket could not be opened; using HTTP");
        }
    }

    /// Asks Deribit for a heartbeat every `interval` (at least 10 s).
    pub fn with_heartbeat(mut self, interval: Duration) -> Self {
        self.heartbeat = interval.max(MIN_HEARTBEAT);
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn ws_url(&self) -> &str {
        &self.ws_url
    }

    pub fn is_live(&self) -> bool {
        self.base == LIVE_REST
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    pub(crate) fn connect_timeout(&self) -> Duration {
        self.connect_timeout.max(Duration::from_secs(5))
    }

    pub(crate) fn heartbeat(&self) -> Duration {
        self.heartbeat
    }

    /// How many `public/auth` calls the HTTP token holder has made.
    pub fn http_auth_calls(&self) -> u64 {
        self.http_tokens.auth_calls()
    }

    /// Venue time now, if measured.
    pub fn venue_now(&self) -> Option<i64> {
        lock(&self.clock).venue_time(local_ms())
    }

    pub fn clock_offset_ms(&self) -> Option<i64> {
        lock(&self.clock).offset_ms()
    }

    /// Venue time for a signature: measured again first if the offset has aged.
    async fn signing_time(&self) -> Result<i64> {
        let now = local_ms();
        let fresh = {
            let clock = lock(&self.clock);
            if !clock.measured_once() || clock.needs_measure(now, self.clock_max_age_ms) {
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
                    .ok_or_else(|| config("Deribit's clock could not be measured."))
            }
        }
    }

    /// Measures the clock from `public/get_time` over HTTP; returns venue − local (ms).
    pub async fn sync_clock(&self) -> Result<i64> {
        let sent = local_ms();
        let answer = self
            .http_call("public/get_time", json!({}), None, false)
            .await?;
        let received = local_ms();
        let server: super::json::Num = from_value(result_of(answer)?)?;
        let server = server.int("get_time")?;
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
            .ok_or_else(|| config("Deribit's clock could not be measured."))
    }

    /// Takes a request's credits, waiting for the refill when it is quick.
    async fn take_credits(&self, method: &str) -> Result<()> {
        let pool = pool_of(method);
        loop {
            let now = self.venue_now().unwrap_or_else(local_ms);
            let at = match lock(&self.credits).bucket(pool).take(now) {
                Ok(()) => return Ok(()),
                Err(at) => at,
            };
            let wait = Duration::from_millis(u64::try_from(at - now).unwrap_or(0));
            if wait > MAX_CREDIT_WAIT {
                return Err(held(
                    at,
                    if pool == Pool::MatchingEngine {
                        "orders"
                    } else {
                        "requests"
                    },
                ));
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Sizes the credit buckets to the `limits` of an account summary.
    pub fn apply_limits(&self, limits: &Value) -> bool {
        lock(&self.credits).apply_limits(limits, self.margin_percent)
    }

    fn note_refusal(&self, method: &str, e: &Error) {
        if code_of(e) == Some(error::TOO_MANY_REQUESTS) {
            let now = self.venue_now().unwrap_or_else(local_ms);
            let mut credits = lock(&self.credits);
            let bucket = credits.bucket(pool_of(method));
            let until = now + bucket.one_request_ms();
            bucket.exhausted(now, until);
        }
    }

    /// Calls `method` and reads its `result` as `T`.
    pub async fn call<T: DeserializeOwned>(&self, method: &str, params: Value) -> Result<T> {
        from_value(self.call_value(method, params).await?)
    }

    /// Calls `method` with `params` and returns its `result` (numbers as text): over the socket
    /// if it is up, else over HTTP. Private methods carry the access token.
    pub async fn call_value(&self, method: &str, params: Value) -> Result<Value> {
        self.take_credits(method).await?;
        let logged = method.starts_with("private/") && self.wire.is_some();
        if logged && let Some(wire) = &self.wire {
            wire.sent(&crate::wire::WireRequest {
                method: "POST",
                path: method,
                params: &super::json::to_text(&params),
                signature: None,
            });
        }
        let answer = self.route(method, params).await;
        if logged && let Some(wire) = &self.wire {
            wire.answered(&wire_answer(method, &answer));
        }
        answer
    }

    /// [`Self::call_value`] after the credits: the socket if up, else HTTP.
    async fn route(&self, method: &str, params: Value) -> Result<Value> {
        // An order is never held up by a reconnection: it goes on whatever is up.
        if !is_matching(method) {
            self.try_socket().await;
        }
        let connected = self.socket.lock().await.clone();
        if let Some((sock, tokens)) = connected.filter(|(s, _)| s.is_alive()) {
            match self
                .socket_call(&sock, &tokens, method, params.clone())
                .await
            {
                Ok(v) => return Ok(v),
                Err(SocketOutcome::Refused(e)) => {
                    self.note_refusal(method, &e);
                    return Err(e);
                }
                Err(SocketOutcome::Failed(SocketFailure::Lost(why))) if is_matching(method) => {
                    return Err(lost(method, &why));
                }
                // Not sent, or a read that can be asked again: over HTTP.
                Err(SocketOutcome::Failed(_)) => {}
            }
        }
        self.http_with_token(method, params).await
    }

    /// Everything an order's [`Self::call`] does before the first byte is written: its
    /// credits from the matching-engine bucket (waiting for the refill when it is quick, else
    /// held back), the access token of the transport it goes on (the socket when it is up,
    /// else HTTP; renewed first when due), its request id and its JSON-RPC text.
    pub async fn prepare_order(
        &self,
        method: &'static str,
        params: Value,
    ) -> Result<PreparedOrder> {
        self.take_credits(method).await?;
        let connected = self.socket.lock().await.clone();
        if let Some((sock, tokens)) = connected.filter(|(s, _)| s.is_alive()) {
            let now = local_ms();
            let token = match self.signing_time().await {
                Ok(venue) => {
                    tokens
                        .access_token(now, venue, |step, p| {
                            socket_auth(&sock, self.request_timeout, step, p)
                        })
                        .await
                }
                Err(e) => Err(e),
            };
            let token = token.inspect_err(|e| self.note_refusal(method, e))?;
            let id = sock.next_id();
            let text = socket::request_text(id, method, with_token(&params, &token));
            return Ok(PreparedOrder {
                method,
                params,
                id,
                text,
                token,
                route: Route::Socket(sock, tokens),
            });
        }
        let token = self.http_token().await?;
        let id = self.ids.fetch_add(1, Ordering::Relaxed);
        let text = socket::request_text(id, method, params.clone());
        Ok(PreparedOrder {
            method,
            params,
            id,
            text,
            token,
            route: Route::Http,
        })
    }

    /// Writes an order [`Self::prepare_order`] prepared, once, and returns its `result`. A
    /// refused token is renewed for the next request; the order is never sent again. A socket
    /// that ended before the order was written sends it over HTTP instead.
    pub async fn send_order(&self, prepared: PreparedOrder) -> Result<Value> {
        let method = prepared.method;
        if let Some(wire) = &self.wire {
            wire.sent(&crate::wire::WireRequest {
                method: "POST",
                path: method,
                params: &super::json::to_text(&prepared.params),
                signature: None,
            });
        }
        let answer = self.write_order(prepared).await;
        if let Some(wire) = &self.wire {
            wire.answered(&wire_answer(method, &answer));
        }
        answer
    }

    /// [`Self::send_order`] after the audit's record.
    async fn write_order(&self, prepared: PreparedOrder) -> Result<Value> {
        let PreparedOrder {
            method,
            params,
            id,
            text,
            token,
            route,
        } = prepared;
        let token_refused = |e: &Error| code_of(e).is_some_and(error::is_token_refusal);
        match route {
            Route::Socket(sock, tokens) => {
                let answer = match sock.send_frame(id, text, self.request_timeout).await {
                    Ok(answer) => result_of(answer),
                    Err(SocketFailure::Lost(why)) => return Err(lost(method, &why)),
                    // Nothing written: over HTTP, as any request whose socket had ended.
                    Err(SocketFailure::NotSent(_)) => {
                        return self.http_with_token(method, params).await;
                    }
                };
                let answer = match answer {
                    Err(e) if token_refused(&e) => {
                        let now = local_ms();
                        match self.signing_time().await {
                            Ok(venue) => tokens
                                .after_refusal(&token, now, venue, |step, p| {
                                    socket_auth(&sock, self.request_timeout, step, p)
                                })
                                .await
                                .and(Err(e)),
                            Err(refused) => Err(refused),
                        }
                    }
                    answer => answer,
                };
                answer.inspect_err(|e| self.note_refusal(method, e))
            }
            Route::Http => {
                let answer = self
                    .http_post(method, text, Some(token.as_str()), true)
                    .await
                    .and_then(result_of);
                match answer {
                    Err(e) if token_refused(&e) => {
                        let now = local_ms();
                        let venue = self.signing_time().await?;
                        self.http_tokens
                            .after_refusal(&token, now, venue, |step, p| self.http_auth(step, p))
                            .await?;
                        Err(e)
                    }
                    Err(e) => {
                        self.note_refusal(method, &e);
                        Err(e)
                    }
                    ok => ok,
                }
            }
        }
    }

    /// Over HTTP, with the HTTP token for private methods; a refused token is renewed once.
    async fn http_with_token(&self, method: &str, params: Value) -> Result<Value> {
        let private = method.starts_with("private/");
        let token = if private {
            Some(self.http_token().await?)
        } else {
            None
        };
        let first = self
            .http_call(
                method,
                params.clone(),
                token.as_deref().map(String::as_str),
                is_matching(method),
            )
            .await
            .and_then(result_of);
        match (first, token) {
            (Err(e), Some(token)) if code_of(&e).is_some_and(error::is_token_refusal) => {
                let now = local_ms();
                let venue = self.signing_time().await?;
                let fresh = self
                    .http_tokens
                    .after_refusal(&token, now, venue, |step, p| self.http_auth(step, p))
                    .await?;
                if is_matching(method) {
                    return Err(e);
                }
                self.http_call(method, params, Some(fresh.as_str()), false)
                    .await
                    .and_then(result_of)
            }
            (Err(e), _) => {
                self.note_refusal(method, &e);
                Err(e)
            }
            (ok, _) => ok,
        }
    }

    async fn http_token(&self) -> Result<Zeroizing<String>> {
        let now = local_ms();
        let venue = self.signing_time().await?;
        self.http_tokens
            .access_token(now, venue, |step, p| self.http_auth(step, p))
            .await
    }

    /// `public/auth` over HTTP.
    async fn http_auth(&self, _step: AuthStep, params: Value) -> Result<AuthResult> {
        let answer = self.http_call("public/auth", params, None, false).await?;
        from_value(result_of(answer)?)
    }

    /// The scope Deribit granted the HTTP token (authenticating first if needed).
    pub async fn scope(&self) -> Result<String> {
        self.http_token().await?;
        self.http_tokens
            .scope()
            .await
            .ok_or_else(|| malformed("a token without a scope"))
    }

    /// One HTTP request: `POST /api/v2/{method}` with the JSON-RPC request as its body.
    /// Returns the whole answer object.
    async fn http_call(
        &self,
        method: &str,
        params: Value,
        token: Option<&str>,
        matching: bool,
    ) -> Result<Value> {
        let id = self.ids.fetch_add(1, Ordering::Relaxed);
        let body = socket::request_text(id, method, params);
        self.http_post(method, body, token, matching).await
    }

    /// `POST /api/v2/{method}` with `body`, a JSON-RPC request as text. Returns the whole
    /// answer object.
    async fn http_post(
        &self,
        method: &str,
        body: String,
        token: Option<&str>,
        matching: bool,
    ) -> Result<Value> {
        let url = format!("{}{HTTP_PREFIX}{method}", self.base);
        let mut request = self
            .http
            .post(url)
            .header("Content-Type", "application/json")
            .body(body);
        if let Some(t) = token {
            request = request.header("Authorization", format!("Bearer {t}"));
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                let not_sent = e.is_connect();
                let text = describe(e);
                return Err(if matching && !not_sent {
                    lost(method, &text)
                } else {
                    Error {
                        not_sent,
                        ..error::local(
                            ErrorKind::Connectivity,
                            format!("No answer from Deribit ({text}). Check the connection."),
                        )
                    }
                });
            }
        };
        let status = response.status();
        let text = match response.text().await {
            Ok(t) => t,
            Err(e) => {
                let text = describe(e);
                return Err(if matching {
                    lost(method, &text)
                } else {
                    error::local(
                        ErrorKind::Connectivity,
                        format!("Deribit's answer was cut off ({text})."),
                    )
                });
            }
        };
        let parsed: Option<Value> = serde_json::from_str(&numbers_as_text(&text)).ok();
        match parsed {
            Some(v) if v.get("result").is_some() || v.get("error").is_some() => Ok(v),
            _ if status == StatusCode::TOO_MANY_REQUESTS => Err(error::rejected(
                error::TOO_MANY_REQUESTS,
                "too_many_requests",
            )),
            _ if status.is_server_error() => Err(Error {
                outcome_unknown: matching,
                ..error::local(
                    ErrorKind::VenueFailure,
                    format!(
                        "Deribit failed to answer (HTTP {}){}.",
                        status.as_u16(),
                        if matching {
                            "; the order may or may not have been changed: Rampart checks it by \
                             its label"
                        } else {
                            ""
                        }
                    ),
                )
            }),
            _ => Err(malformed(format_args!(
                "HTTP {} with a body that is not a JSON-RPC answer",
                status.as_u16()
            ))),
        }
    }

    /// The socket, connected and authenticated (connecting now if it is not).
    pub async fn ensure_socket(&self) -> Result<Arc<Socket>> {
        let opening = self.opening.lock().await;
        self.open_under(opening).await
    }

    /// Opens the socket unless it is up, while holding `_opening` (one opening at a time;
    /// requests meanwhile go on reading the slot, over HTTP).
    async fn open_under(&self, _opening: tokio::sync::MutexGuard<'_, ()>) -> Result<Arc<Socket>> {
        if let Some((s, _)) = self.socket.lock().await.as_ref()
            && s.is_alive()
        {
            return Ok(s.clone());
        }
        let (sock, tokens) = self.open_socket(None).await?;
        let sock = Arc::new(sock);
        *self.socket.lock().await = Some((sock.clone(), Arc::new(tokens)));
        Ok(sock)
    }

    /// Whether the socket is up.
    pub async fn socket_up(&self) -> bool {
        self.socket
            .lock()
            .await
            .as_ref()
            .is_some_and(|(s, _)| s.is_alive())
    }

    /// Closes the socket (requests go over HTTP until [`Self::ensure_socket`]).
    pub async fn close_socket(&self) {
        *self.socket.lock().await = None;
    }

    /// Opens a new authenticated socket with Deribit's heartbeat on; its notifications go to
    /// `notifications`. Used by the feeds too (each runs its own connection).
    pub(crate) async fn open_socket(
        &self,
        notifications: Option<tokio::sync::mpsc::Sender<Value>>,
    ) -> Result<(Socket, TokenHolder)> {
        let ws = socket::connect(&self.ws_url, self.tls.clone(), self.connect_timeout())
            .await
            .map_err(|why| Error {
                not_sent: true,
                ..error::local(
                    ErrorKind::Connectivity,
                    format!("Could not open Deribit's WebSocket ({why})."),
                )
            })?;
        let sock = Socket::start(ws, notifications, self.heartbeat * 3);
        let tokens = TokenHolder::new(self.credentials.clone(), self.grant);
        let now = local_ms();
        let venue = self.signing_time().await?;
        tokens
            .access_token(now, venue, |step, p| {
                socket_auth(&sock, self.request_timeout, step, p)
            })
            .await?;
        let secs = self.heartbeat.as_secs().max(MIN_HEARTBEAT.as_secs());
        let answer = sock
            .call(
                "public/set_heartbeat",
                json!({"interval": secs}),
                self.request_timeout,
            )
            .await
            .map_err(|f| socket_error("public/set_heartbeat", f))?;
        result_of(answer)?;
        Ok((sock, tokens))
    }

    /// One call over `sock`, with its token for private methods (renewed when due, and once
    /// after a refusal for a read).
    pub(crate) async fn socket_call(
        &self,
        sock: &Socket,
        tokens: &TokenHolder,
        method: &str,
        params: Value,
    ) -> std::result::Result<Value, SocketOutcome> {
        let private = method.starts_with("private/");
        let token = if private {
            let now = local_ms();
            let venue = self.signing_time().await.map_err(SocketOutcome::Refused)?;
            Some(
                tokens
                    .access_token(now, venue, |step, p| {
                        socket_auth(sock, self.request_timeout, step, p)
                    })
                    .await
                    .map_err(SocketOutcome::Refused)?,
            )
        } else {
            None
        };
        let sent = match &token {
            Some(t) => with_token(&params, t),
            None => params.clone(),
        };
        let answer = sock
            .call(method, sent, self.request_timeout)
            .await
            .map_err(SocketOutcome::Failed)?;
        match (result_of(answer), token) {
            (Err(e), Some(t)) if code_of(&e).is_some_and(error::is_token_refusal) => {
                let now = local_ms();
                let venue = self.signing_time().await.map_err(SocketOutcome::Refused)?;
                let fresh = tokens
                    .after_refusal(&t, now, venue, |step, p| {
                        socket_auth(sock, self.request_timeout, step, p)
                    })
                    .await
                    .map_err(SocketOutcome::Refused)?;
                if is_matching(method) {
                    return Err(SocketOutcome::Refused(e));
                }
                let answer = sock
                    .call(method, with_token(&params, &fresh), self.request_timeout)
                    .await
                    .map_err(SocketOutcome::Failed)?;
                result_of(answer).map_err(SocketOutcome::Refused)
            }
            (r, _) => r.map_err(SocketOutcome::Refused),
        }
    }

    /// Renews `sock`'s token if it is due (80 % of its life, or a minute left): a feed's
    /// connection keeps its authentication for as long as it lives.
    pub(crate) async fn keep_token(&self, sock: &Socket, tokens: &TokenHolder) -> Result<()> {
        let now = local_ms();
        let venue = self.signing_time().await?;
        tokens
            .access_token(now, venue, |step, p| {
                socket_auth(sock, self.request_timeout, step, p)
            })
            .await
            .map(|_| ())
    }

    /// Asks Deribit for a heartbeat every `interval` on the socket (connecting it first), and
    /// waits that much longer before taking silence for a dead line.
    pub async fn set_socket_heartbeat(&self, interval: Duration) -> Result<()> {
        let secs = interval.as_secs().max(MIN_HEARTBEAT.as_secs());
        self.socket_only("public/set_heartbeat", json!({"interval": secs}))
            .await?;
        if let Some((sock, _)) = self.socket.lock().await.as_ref() {
            sock.set_silence(Duration::from_secs(secs * 3));
        }
        Ok(())
    }

    /// Calls `method` over the socket only (connecting it first): for what Deribit takes only
    /// over WebSocket, as cancel-on-disconnect.
    pub async fn socket_only(&self, method: &str, params: Value) -> Result<Value> {
        self.take_credits(method).await?;
        self.ensure_socket().await?;
        let connected = self.socket.lock().await.clone();
        let Some((sock, tokens)) = connected else {
            return Err(error::local(
                ErrorKind::Connectivity,
                "Deribit's WebSocket is not connected.",
            ));
        };
        match self.socket_call(&sock, &tokens, method, params).await {
            Ok(v) => Ok(v),
            Err(SocketOutcome::Refused(e)) => Err(e),
            Err(SocketOutcome::Failed(f)) => Err(socket_error(method, f)),
        }
    }
}

/// What the audit keeps of an answer: the order's id, label and state, or the refusal.
fn wire_answer<'a>(method: &'a str, answer: &Result<Value>) -> crate::wire::WireAnswer<'a> {
    let mut reported = crate::wire::WireAnswer {
        method: "POST",
        path: method,
        status: 200,
        venue_code: None,
        message: None,
        order_id: None,
        client_order_id: None,
        order_status: None,
    };
    match answer {
        Ok(v) => {
            let order = v.get("order").unwrap_or(v);
            let text = |k: &str| order.get(k).and_then(Value::as_str).map(str::to_owned);
            reported.order_id = text("order_id");
            reported.client_order_id = text("label").filter(|l| !l.is_empty());
            reported.order_status = text("order_state");
        }
        Err(e) => {
            reported.status = if e.venue_code.is_some() { 400 } else { 0 };
            reported.venue_code = code_of(e);
            reported.message = Some(e.venue_message.clone().unwrap_or(e.message.clone()));
        }
    }
    reported
}

/// How a socket call went wrong.
#[derive(Debug)]
pub(crate) enum SocketOutcome {
    /// Deribit answered with an error (or Rampart refused before sending).
    Refused(Error),
    /// No answer.
    Failed(SocketFailure),
}

/// `public/auth` over `sock`.
pub(crate) async fn socket_auth(
    sock: &Socket,
    timeout: Duration,
    _step: AuthStep,
    params: Value,
) -> Result<AuthResult> {
    let answer = sock
        .call("public/auth", params, timeout)
        .await
        .map_err(|f| socket_error("public/auth", f))?;
    from_value(result_of(answer)?)
}

fn socket_error(method: &str, f: SocketFailure) -> Error {
    match f {
        SocketFailure::NotSent(why) => Error {
            not_sent: true,
            ..error::local(
                ErrorKind::Connectivity,
                format!("Deribit's WebSocket is down ({why}); {method} was not sent."),
            )
        },
        SocketFailure::Lost(why) if is_matching(method) => lost(method, &why),
        SocketFailure::Lost(why) => error::local(
            ErrorKind::Connectivity,
            format!("No answer from Deribit to {method} ({why}). Check the connection."),
        ),
    }
}

/// A matching-engine request that may or may not have been carried out.
fn lost(method: &str, why: &str) -> Error {
    Error {
        outcome_unknown: true,
        ..error::local(
            ErrorKind::Connectivity,
            format!(
                "No answer from Deribit to {method} ({why}); it may or may not have been carried \
                 out. Rampart checks the order by its label before anything is sent again."
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments_choose_hosts_and_demo_and_simulator_are_refused() {
        let o = ClientOptions::default();
        let live =
            RpcClient::for_environment(Environment::Live, "AMANDA", "AMANDASECRECT", &o).unwrap();
        assert_eq!(live.base_url(), "https://www.deribit.com");
        assert_eq!(live.ws_url(), "wss://www.deribit.com/ws/api/v2");
        assert!(live.is_live());
        let test = RpcClient::for_environment(Environment::Testnet, "AMANDA", "AMANDASECRECT", &o)
            .unwrap();
        assert_eq!(test.ws_url(), "wss://test.deribit.com/ws/api/v2");
        let e = RpcClient::for_environment(Environment::Demo, "AMANDA", "AMANDASECRECT", &o)
            .unwrap_err();
        assert!(e.message.contains("test network"), "{}", e.message);
        let e = RpcClient::for_environment(Environment::Simulator, "AMANDA", "AMANDASECRECT", &o)
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Config);
        assert!(RpcClient::with_options("http://example.com", "AMANDA", "S3CRET00", &o).is_err());
        let sim =
            RpcClient::with_options("http://127.0.0.1:9000", "AMANDA", "S3CRET00", &o).unwrap();
        assert_eq!(sim.ws_url(), "ws://127.0.0.1:9000/ws/api/v2");
    }

    #[test]
    fn the_client_never_prints_its_secret() {
        let c = RpcClient::with_options(
            "http://127.0.0.1:9000",
            "AMANDA",
            "AMANDASECRECT",
            &ClientOptions::default(),
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("AMANDASECRECT"));
    }

    #[test]
    fn an_error_object_keeps_its_code_and_reason() {
        let v: Value = serde_json::from_str(&numbers_as_text(
            r#"{"jsonrpc":"2.0","id":8,"error":{"message":"Invalid params","data":{"reason":"must be a multiple of 10","param":"amount"},"code":-32602},"usIn":1,"usOut":2,"usDiff":1,"testnet":false}"#,
        ))
        .unwrap();
        let e = result_of(v).unwrap_err();
        assert_eq!(e.venue_code.as_deref(), Some("-32602"));
        assert!(e.venue_message.unwrap().contains("multiple of 10"));
        let v: Value = serde_json::from_str(&numbers_as_text(
            r#"{"jsonrpc":"2.0","id":1,"result":"ok"}"#,
        ))
        .unwrap();
        assert_eq!(result_of(v).unwrap(), "ok");
        let v: Value = serde_json::from_str(r#"{"jsonrpc":"2.0","id":1}"#).unwrap();
        assert_eq!(result_of(v).unwrap_err().kind, ErrorKind::Malformed);
    }
}
