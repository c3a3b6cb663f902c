//! Binance USDⓈ-M futures (`/fapi`) as a loopback server: server time, exchangeInfo and signed
//! order entry with Binance's authentication, timestamp and filter checks, error codes and
//! messages, and the used-weight header.

mod auth;
mod errors;
mod market;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rust_decimal::Decimal;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use errors::BinanceError;

/// One funded account the simulator accepts.
#[derive(Debug, Clone)]
pub struct SimAccount {
    pub api_key: String,
    pub api_secret: String,
}

/// What the simulator serves and how it misbehaves.
#[derive(Debug, Clone, Default)]
pub struct SimConfig {
    pub accounts: Vec<SimAccount>,
    /// Added to the simulator's clock (ms): tests of clock-offset handling.
    pub clock_offset_ms: i64,
    pub faults: Faults,
}

/// Fault knobs for new orders: every `every`-th order request (counting from 1) gets the next
/// fault in turn: the order is accepted and the connection dropped before the answer; the order
/// is accepted and a 503 "Unknown error" answered; a 503 is answered and the order is not taken.
/// `every == 0` turns faults off.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    pub every: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    AcceptThenDrop,
    AcceptThenUnknown,
    Refuse503,
}

struct Order {
    order_id: u64,
    response: serde_json::Value,
}

struct Inner {
    config: SimConfig,
    orders: Mutex<HashMap<OrderKey, Order>>,
    next_order_id: AtomicU64,
    /// (minute start ms, weight used in it) per API key's IP; one IP on loopback.
    weight: Mutex<(i64, u32)>,
    order_requests: AtomicU64,
}

type Shared = Arc<Inner>;

impl Inner {
    fn now_ms(&self) -> i64 {
        let local = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        local + self.config.clock_offset_ms
    }

    /// Adds `weight` to this minute's count and returns the count, for X-MBX-USED-WEIGHT-1M.
    fn spend_weight(&self, weight: u32) -> u32 {
        let now = self.now_ms();
        let minute = now - now.rem_euclid(60_000);
        let mut w = self.weight.lock().unwrap_or_else(|p| p.into_inner());
        if w.0 != minute {
            *w = (minute, 0);
        }
        w.1 += weight;
        w.1
    }
}

fn with_weight(inner: &Inner, weight: u32, response: impl IntoResponse) -> Response {
    let used = inner.spend_weight(weight);
    let mut response = response.into_response();
    response
        .headers_mut()
        .insert("X-MBX-USED-WEIGHT-1M", HeaderValue::from(used));
    response
}

async fn time(State(inner): State<Shared>) -> Response {
    let body = axum::Json(json!({ "serverTime": inner.now_ms() }));
    with_weight(&inner, 1, body)
}

async fn exchange_info(State(inner): State<Shared>) -> Response {
    let body = axum::Json(market::exchange_info(inner.now_ms()));
    with_weight(&inner, 1, body)
}

fn next_fault(inner: &Inner) -> Option<Fault> {
    let every = u64::from(inner.config.faults.every);
    let n = inner.order_requests.fetch_add(1, Ordering::Relaxed) + 1;
    if every == 0 || !n.is_multiple_of(every) {
        return None;
    }
    Some(match (n / every) % 3 {
        1 => Fault::AcceptThenDrop,
        2 => Fault::AcceptThenUnknown,
        _ => Fault::Refuse503,
    })
}

/// Binance's 503 whose outcome is unknown: "the API successfully sent the request but not get a
/// response within the timeout period … the execution status is UNKNOWN".
fn unknown_503() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(json!({ "code": -1000, "msg": "Unknown error, please check your request or try again later." })),
    )
        .into_response()
}

async fn new_order(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    let fault = next_fault(&inner);
    if fault == Some(Fault::Refuse503) {
        let failed = (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "code": -1001, "msg": "Service Unavailable." })),
        );
        return with_weight(&inner, 1, failed);
    }
    let result = place(&inner, query.as_deref().unwrap_or(""), &headers, &body);
    let response = match (result, fault) {
        (Ok(_), Some(Fault::AcceptThenDrop)) => {
            // Headers go out, then the body stream fails: hyper aborts the connection.
            let broken = futures_util::stream::once(async {
                Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other(
                    "fault: connection dropped",
                ))
            });
            axum::body::Body::from_stream(broken).into_response()
        }
        (Ok(_), Some(Fault::AcceptThenUnknown)) => unknown_503(),
        (Ok(order), _) => (StatusCode::OK, axum::Json(order)).into_response(),
        (Err(err), _) => err.into_response(),
    };
    with_weight(&inner, 1, response)
}

/// `GET /fapi/v1/order`: by `orderId` or `origClientOrderId` (-2013 when there is none).
async fn query_order(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed_endpoint(&inner, query, &headers, &body, |request| {
        let orders = inner.orders.lock().unwrap_or_else(|e| e.into_inner());
        let key = named_order(&orders, &request.api_key, &request.params)?
            .ok_or(BinanceError::NoSuchOrder)?;
        Ok(orders[&key].response.clone())
    })
}

type OrderKey = (String, String, String);

/// The key of the order a request names by `orderId` or `origClientOrderId`.
fn named_order(
    orders: &HashMap<OrderKey, Order>,
    api_key: &str,
    p: &HashMap<String, String>,
) -> Result<Option<OrderKey>, BinanceError> {
    let symbol = auth::required(p, "symbol")?;
    if let Some(client_id) = p.get("origClientOrderId") {
        let key = (api_key.to_owned(), symbol.to_owned(), client_id.clone());
        return Ok(orders.contains_key(&key).then_some(key));
    }
    let id: u64 = auth::required(p, "orderId")?
        .parse()
        .map_err(|_| BinanceError::Mandatory("orderId".into()))?;
    Ok(orders
        .iter()
        .find(|((key, sym, _), o)| key == api_key && sym == symbol && o.order_id == id)
        .map(|(key, _)| key.clone()))
}

fn is_open(order: &Order) -> bool {
    matches!(
        order.response["status"].as_str(),
        Some("NEW" | "PARTIALLY_FILLED")
    )
}

fn mark_canceled(order: &mut Order, now: i64) {
    order.response["status"] = "CANCELED".into();
    order.response["updateTime"] = now.into();
}

/// Runs a SIGNED endpoint: verifies the request, then `handle`s it; answers with its JSON or
/// the Binance error, and the weight header.
fn signed_endpoint(
    inner: &Inner,
    query: Option<String>,
    headers: &HeaderMap,
    body: &str,
    handle: impl FnOnce(auth::Verified) -> Result<serde_json::Value, BinanceError>,
) -> Response {
    let query = query.unwrap_or_default();
    let result = auth::verify(
        &inner.config.accounts,
        &query,
        headers,
        body,
        inner.now_ms(),
    )
    .and_then(handle);
    respond(inner, result)
}

fn respond(inner: &Inner, result: Result<serde_json::Value, BinanceError>) -> Response {
    let response = match result {
        Ok(value) => (StatusCode::OK, axum::Json(value)).into_response(),
        Err(err) => err.into_response(),
    };
    with_weight(inner, 1, response)
}

/// `DELETE /fapi/v1/order`: cancels an open order (-2011 "Unknown order sent." otherwise).
async fn cancel_order(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed_endpoint(&inner, query, &headers, &body, |request| {
        let mut orders = inner.orders.lock().unwrap_or_else(|e| e.into_inner());
        let key = named_order(&orders, &request.api_key, &request.params)?
            .ok_or(BinanceError::UnknownOrder)?;
        let order = orders.get_mut(&key).ok_or(BinanceError::UnknownOrder)?;
        if !is_open(order) {
            return Err(BinanceError::UnknownOrder);
        }
        mark_canceled(order, inner.now_ms());
        Ok(order.response.clone())
    })
}

/// `GET /fapi/v1/openOrders?symbol=`: the account's open orders on that symbol.
async fn open_orders(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed_endpoint(&inner, query, &headers, &body, |request| {
        let symbol = auth::required(&request.params, "symbol")?;
        let orders = inner.orders.lock().unwrap_or_else(|e| e.into_inner());
        let mut open: Vec<&Order> = orders
            .iter()
            .filter(|((key, sym, _), o)| *key == request.api_key && sym == symbol && is_open(o))
            .map(|(_, o)| o)
            .collect();
        open.sort_by_key(|o| o.order_id);
        Ok(serde_json::Value::Array(
            open.iter().map(|o| o.response.clone()).collect(),
        ))
    })
}

/// `DELETE /fapi/v1/allOpenOrders?symbol=`: cancels every open order on the symbol.
async fn cancel_all(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed_endpoint(&inner, query, &headers, &body, |request| {
        let symbol = auth::required(&request.params, "symbol")?;
        let now = inner.now_ms();
        let mut orders = inner.orders.lock().unwrap_or_else(|e| e.into_inner());
        for ((key, sym, _), order) in orders.iter_mut() {
            if *key == request.api_key && sym == symbol && is_open(order) {
                mark_canceled(order, now);
            }
        }
        Ok(json!({ "code": 200, "msg": "The operation of cancel all open order is done." }))
    })
}

fn place(
    inner: &Inner,
    query: &str,
    headers: &HeaderMap,
    body: &str,
) -> Result<serde_json::Value, BinanceError> {
    let request = auth::verify(&inner.config.accounts, query, headers, body, inner.now_ms())?;
    let p = &request.params;
    let symbol = auth::required(p, "symbol")?;
    let side = auth::required(p, "side")?;
    let order_type = auth::required(p, "type")?;
    let rules = market::rules(symbol).ok_or(BinanceError::InvalidSymbol)?;
    if side != "BUY" && side != "SELL" {
        return Err(BinanceError::InvalidSide);
    }
    let qty = auth::decimal(p, "quantity")?;
    let price = match order_type {
        "LIMIT" => Some(auth::decimal(p, "price")?),
        "MARKET" => None,
        _ => return Err(BinanceError::InvalidOrderType),
    };
    if order_type == "LIMIT" {
        auth::required(p, "timeInForce")?;
    }
    rules.check(price, qty, market::mark_price(symbol))?;

    let client_id = match p.get("newClientOrderId") {
        Some(id) => {
            auth::check_client_order_id(id)?;
            id.clone()
        }
        None => format!("sim{}", inner.next_order_id.load(Ordering::Relaxed) + 1),
    };
    let key = (
        request.api_key.clone(),
        symbol.to_owned(),
        client_id.clone(),
    );
    let mut orders = inner.orders.lock().unwrap_or_else(|e| e.into_inner());
    if orders.contains_key(&key) {
        return Err(BinanceError::DuplicateClientOrderId);
    }
    let order_id = inner.next_order_id.fetch_add(1, Ordering::Relaxed) + 1;
    let now = inner.now_ms();
    let response = json!({
        "orderId": order_id,
        "symbol": symbol,
        "status": "NEW",
        "clientOrderId": client_id,
        "price": price.unwrap_or(Decimal::ZERO).to_string(),
        "avgPrice": "0.00",
        "origQty": qty.to_string(),
        "executedQty": "0",
        "cumQty": "0",
        "cumQuote": "0",
        "timeInForce": p.get("timeInForce").map_or("GTC", String::as_str),
        "type": order_type,
        "reduceOnly": p.get("reduceOnly").is_some_and(|v| v == "true"),
        "closePosition": false,
        "side": side,
        "positionSide": "BOTH",
        "stopPrice": "0",
        "workingType": "CONTRACT_PRICE",
        "priceProtect": false,
        "origType": order_type,
        "updateTime": now,
    });
    orders.insert(
        key,
        Order {
            order_id,
            response: response.clone(),
        },
    );
    Ok(response)
}

/// A running simulator.
pub struct SimServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    inner: Shared,
}

impl SimServer {
    /// Serves on `listener` (bind it to loopback) until dropped or [`SimServer::stop`]ped.
    pub fn start(listener: TcpListener, config: SimConfig) -> std::io::Result<SimServer> {
        let addr = listener.local_addr()?;
        let inner = Arc::new(Inner {
            config,
            orders: Mutex::default(),
            next_order_id: AtomicU64::new(0),
            weight: Mutex::new((0, 0)),
            order_requests: AtomicU64::new(0),
        });
        let app = Router::new()
            .route("/fapi/v1/time", get(time))
            .route("/fapi/v1/exchangeInfo", get(exchange_info))
            .route(
                "/fapi/v1/order",
                post(new_order).get(query_order).delete(cancel_order),
            )
            .route("/fapi/v1/openOrders", get(open_orders))
            .route("/fapi/v1/allOpenOrders", axum::routing::delete(cancel_all))
            .with_state(inner.clone());
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(err) = served {
                tracing::error!(%err, "simulator stopped");
            }
        });
        Ok(SimServer {
            addr,
            shutdown: Some(tx),
            task,
            inner,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every accepted order's client order id (all accounts), for duplicate checks.
    pub fn client_order_ids(&self) -> Vec<String> {
        self.inner.orders.lock().map_or_else(
            |_| Vec::new(),
            |o| o.keys().map(|(_, _, id)| id.clone()).collect(),
        )
    }

    /// How many orders the simulator has accepted (all accounts).
    pub fn order_count(&self) -> usize {
        self.inner.orders.lock().map_or(0, |o| o.len())
    }

    /// The accepted order with this client id, if any.
    pub fn order_by_client_id(
        &self,
        api_key: &str,
        symbol: &str,
        client_id: &str,
    ) -> Option<(u64, serde_json::Value)> {
        let orders = self.inner.orders.lock().ok()?;
        orders
            .get(&(api_key.to_owned(), symbol.to_owned(), client_id.to_owned()))
            .map(|o| (o.order_id, o.response.clone()))
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
