//! Helpers shared by the simulator's integration tests: starting a simulator on a loopback
//! port, signing and sending REST requests as a third-party client (reqwest and the tests' own
//! HMAC-SHA256 code, from Binance's documented rule), and reading WebSocket frames with a
//! timeout.

use std::time::Duration;

use futures_util::StreamExt;
use hmac::{Hmac, KeyInit, Mac};
use rampart_sim::binance_usdm::{SimAccount, SimConfig, SimServer};
use rust_decimal::Decimal;
use serde_json::Value;
use sha2::Sha256;
use tokio_tungstenite::tungstenite::Message;

/// The test account's API key.
pub const KEY: &str = "simtestkey000000000000000000000000000000000000000000000000000000";
/// The test account's API secret.
pub const SECRET: &str = "simtestsecret000000000000000000000000000000000000000000000000000";

/// How long any single expectation on a socket may take.
pub const WAIT: Duration = Duration::from_secs(20);

pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The one account the tests sign with.
pub fn account() -> SimAccount {
    SimAccount {
        api_key: KEY.into(),
        api_secret: SECRET.into(),
        ..SimAccount::default()
    }
}

/// A configuration with the test account whose prices move only when the test moves them.
pub fn quiet_config(seed: u64) -> SimConfig {
    SimConfig {
        accounts: vec![account()],
        tick_interval_ms: 0,
        seed,
        ..Default::default()
    }
}

/// A simulator started with `config` on a free loopback port.
pub async fn sim_with(config: SimConfig) -> SimServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    SimServer::start(listener, config).unwrap()
}

/// `signature`: HMAC-SHA256 (hex) keyed with the API secret, over `total_params` (the query
/// string concatenated with the request body).
pub fn sign(total_params: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(total_params.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A REST answer: status, body (JSON, or the raw text as a JSON string) and headers.
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    /// A header's value as a number.
    pub fn header_number(&self, name: &str) -> Option<u64> {
        self.header(name).map(|v| v.parse().unwrap())
    }
}

/// Reads `response` into an [`Answer`]; `Err` when the connection broke.
pub async fn try_answer(response: reqwest::Response) -> Result<Answer, reqwest::Error> {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await?;
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok(Answer {
        status,
        body,
        headers,
    })
}

pub async fn answer(response: reqwest::Response) -> Answer {
    try_answer(response).await.unwrap()
}

/// A SIGNED request (HMAC-SHA256 of the query string), every parameter in the query string;
/// `Err` when the connection broke.
pub async fn try_signed(
    sim: &SimServer,
    method: reqwest::Method,
    path: &str,
    params: &[(&str, &str)],
) -> Result<Answer, reqwest::Error> {
    try_signed_as(sim, KEY, method, path, params).await
}

/// [`try_signed`] sent with `api_key` in `X-MBX-APIKEY` (an account registered with
/// [`SECRET`]).
pub async fn try_signed_as(
    sim: &SimServer,
    api_key: &str,
    method: reqwest::Method,
    path: &str,
    params: &[(&str, &str)],
) -> Result<Answer, reqwest::Error> {
    let mut query: String = params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(&format!("recvWindow=5000&timestamp={}", now_ms()));
    let signature = sign(&query);
    let url = format!("{}{path}?{query}&signature={signature}", sim.base_url());
    let response = reqwest::Client::new()
        .request(method, url)
        .header("X-MBX-APIKEY", api_key)
        .send()
        .await?;
    try_answer(response).await
}

/// [`try_signed`] where the connection must hold.
pub async fn signed(
    sim: &SimServer,
    method: reqwest::Method,
    path: &str,
    params: &[(&str, &str)],
) -> Answer {
    try_signed(sim, method, path, params).await.unwrap()
}

/// `POST /fapi/v1/order`.
pub async fn order(sim: &SimServer, params: &[(&str, &str)]) -> Answer {
    signed(sim, reqwest::Method::POST, "/fapi/v1/order", params).await
}

/// A BTCUSDT MARKET order of `qty` on `side` (BUY or SELL).
pub async fn market(sim: &SimServer, side: &str, qty: &str) -> Answer {
    order(
        sim,
        &[
            ("symbol", "BTCUSDT"),
            ("side", side),
            ("type", "MARKET"),
            ("quantity", qty),
        ],
    )
    .await
}

/// `POST /fapi/v1/algoOrder` with `algoType=CONDITIONAL` first.
pub async fn algo_order(sim: &SimServer, params: &[(&str, &str)]) -> Answer {
    let mut all = vec![("algoType", "CONDITIONAL")];
    all.extend_from_slice(params);
    signed(sim, reqwest::Method::POST, "/fapi/v1/algoOrder", &all).await
}

/// Asserts a Binance error answer: HTTP status, `code` and `msg`.
pub fn assert_error(a: &Answer, status: u16, code: i64, msg: &str) {
    assert_eq!(a.status, status, "{}", a.body);
    assert_eq!(a.body["code"], code, "{}", a.body);
    assert_eq!(a.body["msg"], msg, "{}", a.body);
}

/// A WebSocket client connection, over TCP or TLS.
pub type Client =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A WebSocket connection to `url`, the handshake bounded by [`WAIT`].
pub async fn connect(url: String) -> Client {
    let (client, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
        .await
        .expect("handshake in time")
        .expect("handshake accepted");
    client
}

/// The next text frame as JSON, skipping pings and pongs; each frame bounded by [`WAIT`].
pub async fn next_json(client: &mut Client) -> Value {
    loop {
        let frame = tokio::time::timeout(WAIT, client.next())
            .await
            .expect("a frame in time")
            .expect("the connection is open")
            .expect("a valid frame");
        match frame {
            Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// True when the server ends the connection (close frame or dropped link) within [`WAIT`].
pub async fn closes(client: &mut Client) -> bool {
    let deadline = tokio::time::Instant::now() + WAIT;
    while let Ok(frame) = tokio::time::timeout_at(deadline, client.next()).await {
        match frame {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
            Some(Ok(_)) => {}
        }
    }
    false
}

/// Waits until `done` holds, checking every 5 ms; panics with `what` after [`WAIT`].
pub async fn eventually(what: &str, done: impl Fn() -> bool) {
    let until = std::time::Instant::now() + WAIT;
    while !done() {
        assert!(
            std::time::Instant::now() < until,
            "not within {WAIT:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Checks `holds` every 5 ms for `within`; panics with `what` the first time it does not hold.
pub async fn holds_for(within: Duration, what: &str, holds: impl Fn() -> bool) {
    let until = std::time::Instant::now() + within;
    loop {
        assert!(holds(), "{what}");
        if std::time::Instant::now() >= until {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
