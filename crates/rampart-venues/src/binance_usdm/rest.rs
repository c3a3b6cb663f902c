//! The Binance USDⓈ-M REST client: reqwest on rustls with TLS 1.3 as the minimum and connection
//! reuse; plain HTTP only to loopback (the simulator). Requests are signed with venue time (local
//! clock + measured offset) and budgeted by request weight. Nothing is ever retried blindly: a
//! timeout or a dropped connection on an order is reported as `Unknown`, for the caller to
//! resolve by client order id.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::filters::SymbolFilters;
use super::limits::{Hold, WeightBudget, used_weight_header};
use super::signer::{Signer, SignerError, append_signature, encode_params};
use crate::clock::{ClockOffset, Sample};

/// Binance's documented USDⓈ-M REST base URLs.
pub const MAINNET: &str = "https://fapi.binance.com";
pub const TESTNET: &str = "https://testnet.binancefuture.com";

const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The REQUEST_WEIGHT limit exchangeInfo reports for USDⓈ-M (per minute), and our margin.
const WEIGHT_LIMIT: u32 = 2400;
const WEIGHT_MARGIN_PERCENT: u32 = 10;
const RECV_WINDOW_MS: &str = "5000";

/// What went wrong, split by cause.
#[derive(Debug, thiserror::Error)]
pub enum VenueError {
    /// The URL is not https, or http to a host other than loopback.
    #[error(
        "refusing {0}: Rampart talks to venues over https only (plain http only to this machine)"
    )]
    InsecureUrl(String),
    #[error("the API secret cannot sign: {0}")]
    Signer(#[from] SignerError),
    /// No answer: connection refused, DNS, TLS, timeout. For an order, its fate is unknown.
    #[error("could not reach the venue: {0}")]
    Connectivity(String),
    /// The venue answered with an error code.
    #[error("the venue rejected the request ({code}): {msg}")]
    Rejected { http: u16, code: i64, msg: String },
    /// 429: the venue asked us to wait.
    #[error(
        "the venue is rate limiting this IP; waiting {retry_after_secs} s before sending again"
    )]
    RateLimited { retry_after_secs: u32 },
    /// Our own budget says the request would exceed the venue's limit.
    #[error("holding the request to stay inside the venue's rate limit (until {until} ms)")]
    Held { until: i64 },
    /// A 5xx: the venue's side; for an order, its fate is unknown.
    #[error("the venue had an internal error (HTTP {http}): {body}")]
    VenueFailure { http: u16, body: String },
    /// The answer is not what the venue documents.
    #[error("the venue's answer was not understood: {0}")]
    Malformed(String),
    /// The clock offset has not been measured yet.
    #[error("the venue's clock has not been measured yet")]
    ClockUnknown,
}

impl VenueError {
    /// Whether an order sent with this error may or may not have reached the venue.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            VenueError::Connectivity(_) | VenueError::VenueFailure { .. }
        )
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

fn local_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Accepts https anywhere and http only to loopback.
fn check_base_url(base: &str) -> Result<String, VenueError> {
    let url = reqwest::Url::parse(base).map_err(|_| VenueError::InsecureUrl(base.into()))?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" => Ok(base.trim_end_matches('/').to_owned()),
        "http" if loopback => Ok(base.trim_end_matches('/').to_owned()),
        _ => Err(VenueError::InsecureUrl(base.into())),
    }
}

/// One account's connection to Binance USDⓈ-M.
pub struct RestClient {
    http: reqwest::Client,
    base: String,
    api_key: Zeroizing<String>,
    signer: Signer,
    clock: Mutex<ClockOffset>,
    weight: Mutex<WeightBudget>,
}

impl std::fmt::Debug for RestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl RestClient {
    pub fn new(base_url: &str, api_key: &str, api_secret: &str) -> Result<Self, VenueError> {
        let base = check_base_url(base_url)?;
        let http = reqwest::Client::builder()
            .tls_backend_rustls()
            .tls_version_min(reqwest::tls::Version::TLS_1_3)
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .pool_idle_timeout(Duration::from_secs(60))
            .no_proxy()
            .build()
            .map_err(|e| VenueError::Connectivity(e.to_string()))?;
        Ok(Self {
            http,
            base,
            api_key: Zeroizing::new(api_key.to_owned()),
            signer: Signer::from_secret(api_secret)?,
            clock: Mutex::new(ClockOffset::default()),
            weight: Mutex::new(WeightBudget::new(WEIGHT_LIMIT, WEIGHT_MARGIN_PERCENT)),
        })
    }

    fn venue_now(&self) -> Option<i64> {
        self.clock.lock().ok()?.venue_time(local_ms())
    }

    fn reserve(&self, weight: u32) -> Result<(), VenueError> {
        let now = self.venue_now().unwrap_or_else(local_ms);
        let mut budget = self.weight.lock().unwrap_or_else(|p| p.into_inner());
        budget.reserve(weight, now).map_err(|hold| match hold {
            Hold::BudgetSpent { until } | Hold::RetryAfter { until } => VenueError::Held { until },
        })
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        weight: u32,
    ) -> Result<bytes::Bytes, VenueError> {
        self.reserve(weight)?;
        let response = request
            .send()
            .await
            .map_err(|e| VenueError::Connectivity(e.to_string()))?;
        let status = response.status();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter_map(|(k, v)| {
                v.to_str()
                    .ok()
                    .map(|v| (k.as_str().to_owned(), v.to_owned()))
            })
            .collect();
        let now = self.venue_now().unwrap_or_else(local_ms);
        if let Some(used) =
            used_weight_header(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        {
            let mut budget = self.weight.lock().unwrap_or_else(|p| p.into_inner());
            budget.observe_used(used, now);
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| VenueError::Connectivity(e.to_string()))?;
        if status == StatusCode::TOO_MANY_REQUESTS || status.as_u16() == 418 {
            let retry_after_secs = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
                .and_then(|(_, v)| v.trim().parse().ok())
                .unwrap_or(60);
            self.weight
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .on_too_many_requests(retry_after_secs, now);
            return Err(VenueError::RateLimited { retry_after_secs });
        }
        if status.is_server_error() {
            return Err(VenueError::VenueFailure {
                http: status.as_u16(),
                body: String::from_utf8_lossy(&body).chars().take(200).collect(),
            });
        }
        if !status.is_success() {
            return Err(match serde_json::from_slice::<ErrorBody>(&body) {
                Ok(e) => {
                    if e.code == -1021 {
                        // Timestamp outside recvWindow: our offset is stale; measure again.
                        self.clock.lock().unwrap_or_else(|p| p.into_inner()).reset();
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

    /// Measures the venue clock offset from `GET /fapi/v1/time`; returns venue − local in ms.
    pub async fn sync_clock(&self) -> Result<i64, VenueError> {
        let sent = local_ms();
        let body = self
            .send(self.http.get(format!("{}/fapi/v1/time", self.base)), 1)
            .await?;
        let received = local_ms();
        let time: ServerTime = parse_json(&body)?;
        let mut clock = self.clock.lock().unwrap_or_else(|p| p.into_inner());
        clock
            .record(Sample {
                sent,
                server: time.server_time,
                received,
            })
            .map_err(|e| VenueError::Malformed(e.to_string()))?;
        clock.offset_ms().ok_or(VenueError::ClockUnknown)
    }

    /// `GET /fapi/v1/exchangeInfo`, parsed into each symbol's filters.
    pub async fn exchange_info(&self) -> Result<Vec<SymbolFilters>, VenueError> {
        let body = self
            .send(
                self.http.get(format!("{}/fapi/v1/exchangeInfo", self.base)),
                1,
            )
            .await?;
        SymbolFilters::parse_exchange_info(&body).map_err(|e| VenueError::Malformed(e.to_string()))
    }

    /// A SIGNED request: `params` in order, then recvWindow and timestamp (venue time), signed;
    /// in the query string for GET/DELETE, in a form body for POST/PUT.
    pub async fn signed(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
        weight: u32,
    ) -> Result<serde_json::Value, VenueError> {
        let timestamp = self
            .venue_now()
            .ok_or(VenueError::ClockUnknown)?
            .to_string();
        let mut all = params.to_vec();
        all.push(("recvWindow", RECV_WINDOW_MS));
        all.push(("timestamp", &timestamp));
        let total = encode_params(all);
        let url = format!("{}{path}", self.base);
        let request = if method == Method::GET || method == Method::DELETE {
            let signature = self.signer.sign(&total, "");
            self.http.request(
                method,
                format!("{url}?{}", append_signature(&total, &signature)),
            )
        } else {
            let signature = self.signer.sign("", &total);
            self.http
                .request(method, url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(append_signature(&total, &signature))
        };
        let request = request.header("X-MBX-APIKEY", self.api_key.as_str());
        parse_json(&self.send(request, weight).await?)
    }
}

impl RestClient {
    /// `POST /fapi/v1/order` (weight 1). `params` must include `newClientOrderId`.
    pub async fn new_order(
        &self,
        params: &[(&str, &str)],
    ) -> Result<serde_json::Value, VenueError> {
        self.signed(Method::POST, "/fapi/v1/order", params, 1).await
    }

    /// `GET /fapi/v1/order` by client order id (weight 1); `Ok(None)` when the venue has no such
    /// order (-2013).
    pub async fn order_by_client_id(
        &self,
        symbol: &str,
        client_order_id: &str,
    ) -> Result<Option<serde_json::Value>, VenueError> {
        let params = [("symbol", symbol), ("origClientOrderId", client_order_id)];
        match self.signed(Method::GET, "/fapi/v1/order", &params, 1).await {
            Ok(order) => Ok(Some(order)),
            Err(VenueError::Rejected { code: -2013, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl RestClient {
    /// `DELETE /fapi/v1/order` by client order id (weight 1).
    pub async fn cancel_by_client_id(
        &self,
        symbol: &str,
        client_order_id: &str,
    ) -> Result<serde_json::Value, VenueError> {
        let params = [("symbol", symbol), ("origClientOrderId", client_order_id)];
        self.signed(Method::DELETE, "/fapi/v1/order", &params, 1)
            .await
    }

    /// `GET /fapi/v1/openOrders` for one symbol (weight 1).
    pub async fn open_orders(&self, symbol: &str) -> Result<Vec<serde_json::Value>, VenueError> {
        let list = self
            .signed(Method::GET, "/fapi/v1/openOrders", &[("symbol", symbol)], 1)
            .await?;
        serde_json::from_value(list).map_err(|e| VenueError::Malformed(e.to_string()))
    }

    /// `DELETE /fapi/v1/allOpenOrders` for one symbol (weight 1).
    pub async fn cancel_all_open_orders(&self, symbol: &str) -> Result<(), VenueError> {
        let done = self
            .signed(
                Method::DELETE,
                "/fapi/v1/allOpenOrders",
                &[("symbol", symbol)],
                1,
            )
            .await?;
        match done["code"].as_i64() {
            Some(200) => Ok(()),
            _ => Err(VenueError::Malformed(format!(
                "unexpected cancel-all answer: {done}"
            ))),
        }
    }
}

/// A successful body as the documented JSON shape, or a typed error (never a panic).
fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, VenueError> {
    serde_json::from_slice(body).map_err(|e| VenueError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
