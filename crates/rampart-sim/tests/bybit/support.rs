//! A third-party-style Bybit client for the tests: reqwest, a hand-written HMAC-SHA256 of
//! `timestamp + api key + recv window + (query | body)` as Bybit's v5 guide describes it, and
//! a simulator on 127.0.0.1 with prices moved only by the tests.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use rampart_sim::bybit::{SimAccount, SimConfig, SimKeyPermissions, SimServer};
use serde_json::Value;
use sha2::Sha256;

pub const KEY: &str = "test-key";
pub const SECRET: &str = "test-secret";
pub const READ_ONLY_KEY: &str = "read-only-key";
pub const INS_KEY: &str = "ins-key";

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap()
}

pub fn hmac_hex(secret: &str, payload: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(payload.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub fn config() -> SimConfig {
    let account = |key: &str, read_only: bool, institutional: bool| SimAccount {
        api_key: key.into(),
        api_secret: SECRET.into(),
        permissions: SimKeyPermissions {
            read_only,
            ..SimKeyPermissions::default()
        },
        institutional,
    };
    SimConfig {
        accounts: vec![
            account(KEY, false, false),
            account(READ_ONLY_KEY, true, false),
            account(INS_KEY, false, true),
        ],
        tick_interval_ms: 0,
        seed: 1,
        ..SimConfig::default()
    }
}

pub async fn start() -> SimServer {
    start_with(config()).await
}

pub async fn start_with(config: SimConfig) -> SimServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    SimServer::start(listener, config).unwrap()
}

/// A signed-request client for one key.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub key: String,
    pub secret: String,
    /// Added to the timestamp sent (ms).
    pub skew_ms: i64,
}

/// An answer: HTTP status, headers and the JSON body.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> i64 {
        self.body["retCode"].as_i64().unwrap()
    }

    pub fn msg(&self) -> &str {
        self.body["retMsg"].as_str().unwrap()
    }

    pub fn result(&self) -> &Value {
        &self.body["result"]
    }
}

impl Client {
    pub fn new(server: &SimServer, key: &str) -> Client {
        Client {
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap(),
            base: server.base_url(),
            key: key.into(),
            secret: SECRET.into(),
            skew_ms: 0,
        }
    }

    fn signed_headers(&self, params: &str) -> Vec<(&'static str, String)> {
        let ts = (now_ms() + self.skew_ms).to_string();
        let sign = hmac_hex(&self.secret, &format!("{ts}{}5000{params}", self.key));
        vec![
            ("X-BAPI-API-KEY", self.key.clone()),
            ("X-BAPI-TIMESTAMP", ts),
            ("X-BAPI-RECV-WINDOW", "5000".into()),
            ("X-BAPI-SIGN", sign),
        ]
    }

    async fn answer(r: reqwest::Response) -> Answer {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn public(&self, path: &str, query: &str) -> Answer {
        let r = self
            .http
            .get(format!("{}{path}?{query}", self.base))
            .send()
            .await
            .unwrap();
        Self::answer(r).await
    }

    pub async fn get(&self, path: &str, query: &str) -> Answer {
        let mut req = self.http.get(format!("{}{path}?{query}", self.base));
        for (k, v) in self.signed_headers(query) {
            req = req.header(k, v);
        }
        Self::answer(req.send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        let body = body.to_string();
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/json")
            .body(body.clone());
        for (k, v) in self.signed_headers(&body) {
            req = req.header(k, v);
        }
        Self::answer(req.send().await.unwrap()).await
    }
}
