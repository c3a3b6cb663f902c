//! A minimal Deribit client: signs as docs.deribit.com/articles/authentication documents it
//! (hex HMAC-SHA256 of `ts\nnonce\nMETHOD\nURI\nbody\n` for HTTP, of `ts\nnonce\ndata` for
//! `client_signature`), written here apart from the simulator's own check. Answers are read
//! with fractional numbers kept as text, so decimals are compared exactly.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use hmac::{Hmac, KeyInit, Mac};
use rampart_sim::deribit::{SimAccount, SimConfig, SimScope, SimServer};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio_tungstenite::tungstenite::Message;

pub const ID: &str = "deribit-test-client";
pub const SECRET: &str = "deribit-test-secret";
pub const READER: &str = "deribit-reader";

pub async fn start(config: SimConfig) -> SimServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    SimServer::start(listener, config).unwrap()
}

pub fn config() -> SimConfig {
    SimConfig {
        accounts: vec![
            SimAccount {
                client_id: ID.into(),
                client_secret: SECRET.into(),
                scope: SimScope::default(),
            },
            SimAccount {
                client_id: READER.into(),
                client_secret: SECRET.into(),
                scope: SimScope::read_only(),
            },
        ],
        tick_interval_ms: 0,
        ..SimConfig::default()
    }
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

pub fn hmac_hex(secret: &str, data: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// JSON text with every fractional number turned into a string, so it parses without f64.
pub fn parse(text: &str) -> Value {
    let mut out = String::new();
    let chars: Vec<char> = text.chars().collect();
    let (mut i, mut in_str) = (0, false);
    while i < chars.len() {
        let c = chars[i];
        if in_str {
            out.push(c);
            if c == '\\' {
                out.push(chars[i + 1]);
                i += 1;
            } else if c == '"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        if c == '"' {
            in_str = true;
            out.push(c);
            i += 1;
            continue;
        }
        if c == '-' || c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || "-+.eE".contains(chars[i])) {
                i += 1;
            }
            let token: String = chars[start..i].iter().collect();
            if token.contains(['.', 'e', 'E']) {
                out.push('"');
                out.push_str(&token);
                out.push('"');
            } else {
                out.push_str(&token);
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A decimal from an answer's number (kept as text by [`parse`]) or string.
pub fn dec(v: &Value) -> Decimal {
    match v {
        Value::String(s) => s
            .parse()
            .or_else(|_| Decimal::from_scientific(s))
            .unwrap_or_else(|_| panic!("not a decimal: {s}")),
        Value::Number(n) => n.to_string().parse().unwrap(),
        other => panic!("not a number: {other}"),
    }
}

/// How an HTTP request is authorised.
#[derive(Clone)]
pub enum Auth {
    None,
    /// `deri-hmac-sha256` with this id and secret, the timestamp shifted by `ts_offset_ms`.
    Signed {
        id: String,
        secret: String,
        ts_offset_ms: i64,
    },
    Bearer(String),
    Basic(String, String),
}

impl Auth {
    pub fn signed() -> Auth {
        Auth::Signed {
            id: ID.into(),
            secret: SECRET.into(),
            ts_offset_ms: 0,
        }
    }
}

pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

impl Client {
    pub fn new(server: &SimServer) -> Client {
        Client {
            base: server.base_url(),
            http: reqwest::Client::new(),
        }
    }

    /// `GET /api/v2/{method}?{query}`; (HTTP status, body).
    pub async fn get(&self, method: &str, query: &[(&str, &str)], auth: &Auth) -> (u16, Value) {
        let q: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        let uri = if q.is_empty() {
            format!("/api/v2/{method}")
        } else {
            format!("/api/v2/{method}?{q}")
        };
        self.send("GET", &uri, String::new(), auth).await
    }

    /// `POST /api/v2/{method}` with a JSON-RPC body.
    pub async fn post(&self, method: &str, params: Value, auth: &Auth) -> (u16, Value) {
        let body = json!({ "jsonrpc": "2.0", "id": 42, "method": method, "params": params });
        self.send("POST", &format!("/api/v2/{method}"), body.to_string(), auth)
            .await
    }

    pub async fn send(&self, method: &str, uri: &str, body: String, auth: &Auth) -> (u16, Value) {
        let url = format!("{}{uri}", self.base);
        let mut req = if method == "GET" {
            self.http.get(url)
        } else {
            self.http
                .post(url)
                .header("Content-Type", "application/json")
                .body(body.clone())
        };
        match auth {
            Auth::None => {}
            Auth::Signed {
                id,
                secret,
                ts_offset_ms,
            } => {
                let ts = (now_ms() + ts_offset_ms).to_string();
                let nonce = format!("n{}", now_ms() % 1_000_000);
                let data = format!("{ts}\n{nonce}\n{method}\n{uri}\n{body}\n");
                let sig = hmac_hex(secret, &data);
                req = req.header(
                    "Authorization",
                    format!("deri-hmac-sha256 id={id},ts={ts},sig={sig},nonce={nonce}"),
                );
            }
            Auth::Bearer(t) => req = req.header("Authorization", format!("Bearer {t}")),
            Auth::Basic(id, secret) => {
                use base64::Engine;
                let b = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
                req = req.header("Authorization", format!("Basic {b}"));
            }
        }
        let res = tokio::time::timeout(Duration::from_secs(10), req.send())
            .await
            .unwrap()
            .unwrap();
        let status = res.status().as_u16();
        (status, parse(&res.text().await.unwrap()))
    }

    /// A signed GET that must succeed; its `result`.
    pub async fn ok(&self, method: &str, query: &[(&str, &str)]) -> Value {
        let (status, v) = self.get(method, query, &Auth::signed()).await;
        assert_eq!(status, 200, "{method}: {v}");
        v["result"].clone()
    }

    /// A signed GET that must fail; its `error`.
    pub async fn err(&self, method: &str, query: &[(&str, &str)]) -> Value {
        let (status, v) = self.get(method, query, &Auth::signed()).await;
        assert_eq!(status, 400, "{method}: {v}");
        v["error"].clone()
    }

    /// A `client_credentials` grant's result.
    pub async fn grant(&self, id: &str, secret: &str) -> Value {
        let (status, v) = self
            .get(
                "public/auth",
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", id),
                    ("client_secret", secret),
                ],
                &Auth::None,
            )
            .await;
        assert_eq!(status, 200, "{v}");
        v["result"].clone()
    }
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect(server: &SimServer) -> Ws {
    tokio_tungstenite::connect_async(server.ws_url())
        .await
        .unwrap()
        .0
}

/// The next JSON frame (5 s at most); `None` when the server closed the connection.
pub async fn next(ws: &mut Ws) -> Option<Value> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("no frame within 5 s");
        match msg {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return None,
            Some(Ok(Message::Text(t))) => return Some(parse(t.as_str())),
            Some(Ok(_)) => {}
        }
    }
}

/// Sends a request and returns its answer (notifications in between are kept in `skipped`).
pub async fn call(
    ws: &mut Ws,
    id: i64,
    method: &str,
    params: Value,
    skipped: &mut Vec<Value>,
) -> Value {
    let req = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
    ws.send(Message::text(req.to_string())).await.unwrap();
    loop {
        let v = next(ws).await.expect("connection closed before the answer");
        if v["id"] == json!(id) {
            return v;
        }
        skipped.push(v);
    }
}

/// The next notification on `channel` (looking through at most 200 frames).
pub async fn notification(ws: &mut Ws, channel: &str, seen: &mut Vec<Value>) -> Value {
    if let Some(i) = seen
        .iter()
        .position(|v| v["params"]["channel"] == json!(channel))
    {
        return seen.remove(i)["params"]["data"].clone();
    }
    for _ in 0..200 {
        let v = next(ws).await.expect("connection closed");
        if v["params"]["channel"] == json!(channel) {
            return v["params"]["data"].clone();
        }
        seen.push(v);
    }
    panic!("no notification on {channel}");
}

/// Authenticates a connection (`client_credentials`); the grant's result.
pub async fn ws_auth(ws: &mut Ws) -> Value {
    let mut skipped = Vec::new();
    let v = call(
        ws,
        1,
        "public/auth",
        json!({ "grant_type": "client_credentials", "client_id": ID, "client_secret": SECRET }),
        &mut skipped,
    )
    .await;
    assert!(v["result"]["access_token"].is_string(), "{v}");
    v["result"].clone()
}
