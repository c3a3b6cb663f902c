//! The REST endpoints and what stands in front of them: the latency and 5xx fault knobs, the
//! `{code, msg, data}` envelope, and the signed-request gate of the private endpoints.
//!
//! `public`: time, instruments, mark price, tickers, books, candles, funding rate. `trade`:
//! order entry and queries, cancel-all-after. `account`: balance, positions, leverage, config,
//! trade fee.

mod account;
mod public;
mod trade;

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::errors::OkxError;
use super::{Inner, Shared, auth};

pub(super) fn routes(inner: Shared) -> Router<Shared> {
    Router::new()
        .route("/api/v5/public/time", get(public::time))
        .route("/api/v5/public/instruments", get(public::instruments))
        .route("/api/v5/public/mark-price", get(public::mark_price))
        .route("/api/v5/public/funding-rate", get(public::funding_rate))
        .route("/api/v5/market/ticker", get(public::ticker))
        .route("/api/v5/market/index-tickers", get(public::index_tickers))
        .route("/api/v5/market/tickers", get(public::tickers))
        .route("/api/v5/market/books", get(public::books))
        .route("/api/v5/market/candles", get(public::candles))
        .route("/api/v5/market/history-candles", get(public::candles))
        .route("/api/v5/trade/order", post(trade::place).get(trade::query))
        .route("/api/v5/trade/batch-orders", post(trade::place_batch))
        .route("/api/v5/trade/cancel-order", post(trade::cancel))
        .route(
            "/api/v5/trade/cancel-batch-orders",
            post(trade::cancel_batch),
        )
        .route("/api/v5/trade/amend-order", post(trade::amend))
        .route("/api/v5/trade/orders-pending", get(trade::pending))
        .route(
            "/api/v5/trade/orders-algo-pending",
            get(trade::algo_pending),
        )
        .route(
            "/api/v5/trade/order-algo",
            get(trade::algo_query).post(trade::place_algo),
        )
        .route("/api/v5/trade/cancel-algos", post(trade::cancel_algos))
        .route(
            "/api/v5/trade/orders-algo-history",
            get(trade::algo_history),
        )
        .route("/api/v5/trade/orders-history", get(trade::history))
        .route(
            "/api/v5/trade/cancel-all-after",
            post(trade::cancel_all_after),
        )
        .route("/api/v5/account/balance", get(account::balance))
        .route("/api/v5/account/positions", get(account::positions))
        .route("/api/v5/account/set-leverage", post(account::set_leverage))
        .route("/api/v5/account/leverage-info", get(account::leverage_info))
        .route("/api/v5/account/config", get(account::config))
        .route("/api/v5/account/trade-fee", get(account::trade_fee))
        .route("/api/v5/asset/currencies", get(account::currencies))
        .route_layer(middleware::from_fn_with_state(inner, gate))
}

/// Each endpoint's "Rate Limit: N requests per 2 seconds" (okx.com/docs-v5, the endpoint's
/// own section), and whether it counts per IP (public data) or per User ID. The trade
/// endpoints' per-instrument limits are counted by their handlers.
fn endpoint_limit(method: &Method, path: &str) -> Option<(&'static str, u32, bool)> {
    Some(match path {
        "/api/v5/public/time" => ("time", 10, true),
        "/api/v5/public/instruments" => ("instruments", 20, true),
        "/api/v5/public/mark-price" => ("mark-price", 10, true),
        "/api/v5/public/funding-rate" => ("funding-rate", 20, true),
        "/api/v5/market/ticker" => ("ticker", 20, true),
        "/api/v5/market/index-tickers" => ("index-tickers", 20, true),
        "/api/v5/market/tickers" => ("tickers", 20, true),
        "/api/v5/market/books" => ("books", 40, true),
        "/api/v5/market/candles" => ("candles", 40, true),
        "/api/v5/market/history-candles" => ("history-candles", 20, true),
        "/api/v5/account/balance" => ("balance", 10, false),
        "/api/v5/account/positions" => ("positions", 10, false),
        "/api/v5/account/set-leverage" => ("set-leverage", 20, false),
        "/api/v5/account/leverage-info" => ("leverage-info", 20, false),
        "/api/v5/account/config" => ("config", 5, false),
        "/api/v5/account/trade-fee" => ("trade-fee", 5, false),
        "/api/v5/asset/currencies" => ("currencies", 6, false),
        "/api/v5/trade/orders-pending" => ("orders-pending", 60, false),
        "/api/v5/trade/orders-history" => ("orders-history", 40, false),
        "/api/v5/trade/orders-algo-pending" => ("orders-algo-pending", 20, false),
        // Place algo order and Get algo order details: 20 each.
        "/api/v5/trade/order-algo" if method == Method::POST => ("place-algo", 20, false),
        "/api/v5/trade/order-algo" => ("order-algo", 20, false),
        "/api/v5/trade/cancel-algos" => ("cancel-algos", 20, false),
        "/api/v5/trade/orders-algo-history" => ("orders-algo-history", 20, false),
        _ => return None,
    })
}

/// What every REST request passes: the latency and 5xx fault knobs, then the endpoint's rate
/// limit (50011, HTTP 429), counted per peer IP for public data and per API key (one key, one
/// User ID here) for private endpoints.
async fn gate(State(inner): State<Shared>, request: Request, next: Next) -> Response {
    let faults = inner.faults();
    if faults.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(faults.latency_ms)).await;
    }
    let n = inner.requests.fetch_add(1, Ordering::Relaxed) + 1;
    if faults.fail_5xx_every > 0 && n.is_multiple_of(u64::from(faults.fail_5xx_every)) {
        return service_unavailable();
    }
    if let Some((name, per_2s, by_ip)) = endpoint_limit(request.method(), request.uri().path()) {
        let who = if by_ip {
            request
                .extensions()
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string())
                .unwrap_or_default()
        } else {
            request
                .headers()
                .get("OK-ACCESS-KEY")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        if !inner.allow(&who, name, "", per_2s, 2_000, inner.now_ms()) {
            return OkxError::RateLimited.into_response();
        }
    }
    next.run(request).await
}

/// OKX's 503: 50001 "Service temporarily unavailable. Please try again later".
fn service_unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(json!({
            "code": "50001",
            "msg": "Service temporarily unavailable. Please try again later",
            "data": [],
        })),
    )
        .into_response()
}

/// An answer whose headers go out and whose body then fails: the client sees the connection
/// dropped before the answer.
fn dropped_connection() -> Response {
    let broken = futures_util::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other("fault: connection dropped"))
    });
    axum::body::Body::from_stream(broken).into_response()
}

/// A successful answer: `{"code": "0", "msg": "", "data": data}`.
fn ok(data: Value) -> Response {
    (
        StatusCode::OK,
        axum::Json(json!({ "code": "0", "msg": "", "data": data })),
    )
        .into_response()
}

fn respond(result: Result<Value, OkxError>) -> Response {
    match result {
        Ok(data) => ok(data),
        Err(err) => err.into_response(),
    }
}

/// The query parameters of a request (later ones win).
fn query_params(uri: &Uri) -> HashMap<String, String> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// A verified private request.
struct Private<'a> {
    inner: &'a Inner,
    /// The account's id in the core (its API key).
    account: String,
    /// The account's position in the configuration (its UID is derived from it).
    index: usize,
    now: i64,
}

impl Private<'_> {
    /// Trade endpoints need the key's `trade` permission.
    fn require_trade(&self) -> Result<(), OkxError> {
        // `self.index` was found in this same list by the signature check.
        if self.inner.config.accounts[self.index].permissions.trade {
            Ok(())
        } else {
            Err(OkxError::NoPermission)
        }
    }
}

/// Verifies a private request (OK-ACCESS-* headers, passphrase, environment, signature).
fn verify<'a>(
    inner: &'a Inner,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &str,
) -> Result<Private<'a>, OkxError> {
    let now = inner.now_ms();
    let target = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let index = auth::verify_rest(
        &inner.config.accounts,
        headers,
        method.as_str(),
        &target,
        body,
        now,
    )?;
    Ok(Private {
        inner,
        // `verify_rest` found `index` in this same list.
        account: inner.config.accounts[index].api_key.clone(),
        index,
        now,
    })
}

/// Answers a signed read: verifies the request, then hands `read` the account and the query
/// parameters; its value is the answer's `data`, its error OKX's refusal.
fn private_read(
    inner: &Inner,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    read: impl FnOnce(&Private<'_>, &HashMap<String, String>) -> Result<Value, OkxError>,
) -> Response {
    let result = verify(inner, method, uri, headers, "").and_then(|p| read(&p, &query_params(uri)));
    respond(result)
}

/// A verified request of a trade endpoint with its body object: the signature, then the key's
/// trade permission, then the JSON.
fn trade_body<'a>(
    inner: &'a Inner,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &str,
) -> Result<(Private<'a>, serde_json::Map<String, Value>), OkxError> {
    let p = verify(inner, method, uri, headers, body)?;
    p.require_trade()?;
    Ok((p, body_object(body)?))
}

/// Like [`trade_body`], for the batch endpoints: a JSON array of 1 to `most` objects.
fn trade_list<'a>(
    inner: &'a Inner,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &str,
    most: usize,
) -> Result<(Private<'a>, Vec<serde_json::Map<String, Value>>), OkxError> {
    let p = verify(inner, method, uri, headers, body)?;
    p.require_trade()?;
    let list: Vec<serde_json::Map<String, Value>> = match serde_json::from_str::<Value>(body) {
        Ok(Value::Array(items)) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::Object(m) => Some(m),
                _ => None,
            })
            .collect(),
        _ => return Err(OkxError::Other("50002", "Json data format error".into())),
    };
    if list.is_empty() || list.len() > most {
        return Err(OkxError::Param("body".into()));
    }
    Ok((p, list))
}

/// A request's JSON body as an object (51000 "Parameter body error" otherwise; an empty
/// body is an empty object).
fn body_object(body: &str) -> Result<serde_json::Map<String, Value>, OkxError> {
    if body.trim().is_empty() {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(OkxError::Other("50002", "Json data format error".into())),
    }
}

/// A body field as a string: strings as they are, numbers and booleans as written.
fn field(map: &serde_json::Map<String, Value>, name: &str) -> Option<String> {
    match map.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

fn required(map: &serde_json::Map<String, Value>, name: &str) -> Result<String, OkxError> {
    field(map, name).ok_or_else(|| OkxError::Empty(name.to_owned()))
}

fn required_q(p: &HashMap<String, String>, name: &str) -> Result<String, OkxError> {
    p.get(name)
        .filter(|s| !s.is_empty())
        .cloned()
        .ok_or_else(|| OkxError::Empty(name.to_owned()))
}
