//! A minimal OKX client: signs as OKX documents (base64 HMAC-SHA256 of timestamp + METHOD +
//! requestPath + body), written here apart from the simulator's own check.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use rampart_sim::okx::{SimAccount, SimConfig, SimPermissions, SimServer};
use serde_json::Value;
use sha2::Sha256;

pub const KEY: &str = "okx-test-key";
pub const SECRET: &str = "okx-test-secret";
pub const PASS: &str = "Pass-phrase1";
pub const DEMO_KEY: &str = "okx-demo-key";

pub async fn start(config: SimConfig) -> SimServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    SimServer::start(listener, config).unwrap()
}

pub fn config() -> SimConfig {
    SimConfig {
        accounts: vec![
            SimAccount {
                api_key: KEY.into(),
                api_secret: SECRET.into(),
                passphrase: PASS.into(),
                permissions: SimPermissions::default(),
                demo: false,
            },
            SimAccount {
                api_key: DEMO_KEY.into(),
                api_secret: SECRET.into(),
                passphrase: PASS.into(),
                permissions: SimPermissions::default(),
                demo: true,
            },
        ],
        tick_interval_ms: 0,
        ..SimConfig::default()
    }
}

pub fn sign(secret: &str, prehash: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(prehash.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Now as `YYYY-MM-DDTHH:MM:SS.sssZ`, shifted by `offset_ms`.
pub fn iso_now(offset_ms: i64) -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        + offset_ms;
    let days = ms.div_euclid(86_400_000);
    let rest = ms.rem_euclid(86_400_000);
    // Civil date from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000
    )
}

/// How a request is signed: the knobs the refusal tests turn.
#[derive(Clone)]
pub struct Creds {
    pub key: String,
    pub secret: String,
    pub passphrase: String,
    pub ts_offset_ms: i64,
    pub timestamp: Option<String>,
    pub simulated: bool,
}

impl Default for Creds {
    fn default() -> Self {
        Creds {
            key: KEY.into(),
            secret: SECRET.into(),
            passphrase: PASS.into(),
            ts_offset_ms: 0,
            timestamp: None,
            simulated: false,
        }
    }
}

pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub creds: Creds,
}

impl Client {
    pub fn new(server: &SimServer) -> Client {
        Client {
            base: server.base_url(),
            http: reqwest::Client::new(),
            creds: Creds::default(),
        }
    }

    pub fn with(server: &SimServer, creds: Creds) -> Client {
        Client {
            creds,
            ..Client::new(server)
        }
    }

    /// A signed request; (HTTP status, body).
    pub async fn send(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let ts = self
            .creds
            .timestamp
            .clone()
            .unwrap_or_else(|| iso_now(self.creds.ts_offset_ms));
        let sig = sign(
            &self.creds.secret,
            &format!("{ts}{method}{path_and_query}{body}"),
        );
        let url = format!("{}{path_and_query}", self.base);
        let mut req = match method {
            "GET" => self.http.get(url),
            _ => self
                .http
                .post(url)
                .header("Content-Type", "application/json")
                .body(body),
        };
        req = req
            .header("OK-ACCESS-KEY", &self.creds.key)
            .header("OK-ACCESS-SIGN", sig)
            .header("OK-ACCESS-TIMESTAMP", ts)
            .header("OK-ACCESS-PASSPHRASE", &self.creds.passphrase);
        if self.creds.simulated {
            req = req.header("x-simulated-trading", "1");
        }
        let res = tokio::time::timeout(std::time::Duration::from_secs(10), req.send())
            .await
            .unwrap()
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap())
    }

    pub async fn get(&self, path_and_query: &str) -> (u16, Value) {
        self.send("GET", path_and_query, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send("POST", path, Some(&body)).await
    }

    pub async fn public(&self, path_and_query: &str) -> Value {
        self.http
            .get(format!("{}{path_and_query}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}
