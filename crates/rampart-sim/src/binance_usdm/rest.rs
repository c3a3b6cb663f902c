//! The REST endpoints and what stands in front of them: Binance's request-weight and order-count
//! limits (X-MBX-USED-WEIGHT-1M, X-MBX-ORDER-COUNT-1M, 429 then 418 with Retry-After) and the
//! latency / 5xx fault knobs.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use super::{BinanceError, ListenKey, Shared, auth, exchange::Exchange, lock, market, views};

/// Every REST route, behind the limits and fault knobs.
pub(super) fn routes(inner: Shared) -> Router<Shared> {
    Router::new()
        .route("/fapi/v1/time", get(time))
        .route("/fapi/v1/exchangeInfo", get(exchange_info))
        .route(
            "/fapi/v1/order",
            post(new_order).get(query_order).delete(cancel_order),
        )
        .route(
            "/fapi/v1/algoOrder",
            post(new_algo_order)
                .get(query_algo_order)
                .delete(cancel_algo_order),
        )
        .route("/fapi/v1/openAlgoOrders", get(open_algo_orders))
        .route(
            "/fapi/v1/algoOpenOrders",
            axum::routing::delete(cancel_all_algo),
        )
        .route("/fapi/v1/allAlgoOrders", get(all_algo_orders))
        .route("/fapi/v1/openOrders", get(open_orders))
        .route("/fapi/v1/userTrades", get(user_trades))
        .route("/fapi/v1/allOpenOrders", axum::routing::delete(cancel_all))
        .route("/fapi/v1/countdownCancelAll", post(countdown_cancel_all))
        .route("/fapi/v1/leverage", post(leverage))
        .route("/fapi/v1/leverageBracket", get(leverage_bracket))
        .route("/fapi/v2/account", get(account_v2))
        .route("/fapi/v3/account", get(account_v3))
        .route("/fapi/v2/balance", get(balance))
        .route("/fapi/v3/balance", get(balance))
        .route("/fapi/v2/positionRisk", get(position_risk_v2))
        .route("/fapi/v3/positionRisk", get(position_risk_v3))
        .route("/fapi/v1/premiumIndex", get(premium_index))
        .route("/fapi/v1/depth", get(depth))
        .route("/fapi/v1/klines", get(klines))
        .route(
            "/fapi/v1/listenKey",
            post(listen_key_new)
                .put(listen_key_keepalive)
                .delete(listen_key_close),
        )
        .route_layer(middleware::from_fn_with_state(inner, gate))
}

/// Binance's documented request weight of each endpoint, and whether it counts as an order.
fn weight_of(method: &Method, path: &str, query: &str) -> (u32, bool) {
    let params = auth::query_params(query);
    let limit = |default: u32| {
        params
            .get("limit")
            .and_then(|l| l.parse::<u32>().ok())
            .unwrap_or(default)
    };
    match path {
        // New Order: "1 on 10s order rate limit(X-MBX-ORDER-COUNT-10S); 1 on 1min order rate
        // limit(X-MBX-ORDER-COUNT-1M); 0 on IP rate limit(x-mbx-used-weight-1m)".
        "/fapi/v1/order" if method == Method::POST => (0, true),
        // New Algo Order: 1 on both order counts, 0 on the IP weight.
        "/fapi/v1/algoOrder" if method == Method::POST => (0, true),
        "/fapi/v1/openOrders" | "/fapi/v1/openAlgoOrders" if !params.contains_key("symbol") => {
            (40, false)
        }
        // Account Trade List: "Request Weight 5".
        "/fapi/v1/allAlgoOrders" | "/fapi/v1/userTrades" => (5, false),
        "/fapi/v2/account"
        | "/fapi/v3/account"
        | "/fapi/v2/balance"
        | "/fapi/v3/balance"
        | "/fapi/v2/positionRisk"
        | "/fapi/v3/positionRisk" => (5, false),
        "/fapi/v1/countdownCancelAll" => (10, false),
        "/fapi/v1/depth" => (
            match limit(500) {
                0..=50 => 2,
                51..=100 => 5,
                101..=500 => 10,
                _ => 20,
            },
            false,
        ),
        "/fapi/v1/klines" => (
            match limit(500) {
                0..=99 => 1,
                100..=499 => 2,
                500..=1000 => 5,
                _ => 10,
            },
            false,
        ),
        _ => (1, false),
    }
}

fn retry_after(mut response: Response, seconds: i64) -> Response {
    response
        .headers_mut()
        .insert("Retry-After", HeaderValue::from(seconds.max(1)));
    response
}

fn too_many(status: StatusCode, code: i32, msg: String, seconds: i64) -> Response {
    retry_after(
        (status, axum::Json(json!({ "code": code, "msg": msg }))).into_response(),
        seconds,
    )
}

/// The IP a request came from (the peer address; loopback when the server was started without
/// connection info).
fn peer_ip(request: &Request) -> std::net::IpAddr {
    request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), |c| {
            c.0.ip()
        })
}

/// "Way too many requests; IP(…) banned until …" (HTTP 418, -1003).
fn banned(ip: std::net::IpAddr, until: i64, now: i64) -> Response {
    too_many(
        StatusCode::IM_A_TEAPOT,
        TOO_MANY_REQUESTS,
        format!(
            "Way too many requests; IP({ip}) banned until {until}. Please use the websocket for live updates to avoid bans."
        ),
        (until - now + 999) / 1000,
    )
}

/// -1003 TOO_MANY_REQUESTS (429 over the weight limit, 418 when banned).
const TOO_MANY_REQUESTS: i32 = -1003;
/// -1015 TOO_MANY_ORDERS.
const TOO_MANY_ORDERS: i32 = -1015;

/// "Too many new orders; current limit is %s orders per %s." (HTTP 429, -1015) without a
/// Retry-After header: Binance's limits page says an order-count 429 comes "without the
/// Retry-After header".
fn too_many_orders(limit: u32, per: &str) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(json!({
            "code": TOO_MANY_ORDERS,
            "msg": format!("Too many new orders; current limit is {limit} orders per {per}."),
        })),
    )
        .into_response()
}

/// What a request used: the IP's weight this minute and, for an order, the account's order
/// counts (minute, 10 seconds).
struct Usage {
    weight: u32,
    orders: Option<(u32, u32)>,
}

/// Counts and enforces the limits: weight and bans per peer IP (shared by every account on it),
/// order counts per account (the `X-MBX-APIKEY` the request carries).
/// A refusal is the whole answer (boxed: a `Response` is large next to [`Usage`]).
fn count(inner: &Shared, request: &Request, now: i64) -> Result<Usage, Box<Response>> {
    let (weight, is_order) = weight_of(
        request.method(),
        request.uri().path(),
        request.uri().query().unwrap_or(""),
    );
    let ip = peer_ip(request);
    let mut limits = lock(&inner.limits);
    let minute = now - now.rem_euclid(60_000);
    let to_next_minute = (minute + 60_000 - now + 999) / 1000;
    let by_ip = limits.by_ip.entry(ip).or_default();
    if by_ip.minute != minute {
        by_ip.minute = minute;
        by_ip.weight = 0;
        by_ip.warned = false;
    }
    if now < by_ip.banned_until {
        return Err(Box::new(banned(ip, by_ip.banned_until, now)));
    }
    let limit = inner.config.request_weight_limit;
    if by_ip.weight + weight > limit {
        if by_ip.warned {
            // Kept sending while limited: banned, from 2 minutes (Binance's shortest ban).
            by_ip.banned_until = now + 120_000;
            return Err(Box::new(banned(ip, by_ip.banned_until, now)));
        }
        by_ip.warned = true;
        return Err(Box::new(too_many(
            StatusCode::TOO_MANY_REQUESTS,
            TOO_MANY_REQUESTS,
            format!(
                "Too many requests; current limit of IP({ip}) is {limit} requests per minute. Please use the websocket for live updates to avoid polling the API."
            ),
            to_next_minute,
        )));
    }
    by_ip.weight += weight;
    let used = by_ip.weight;
    if !is_order {
        return Ok(Usage {
            weight: used,
            orders: None,
        });
    }
    let account = request
        .headers()
        .get("X-MBX-APIKEY")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let counts = limits.by_account.entry(account).or_default();
    if counts.minute != minute {
        counts.minute = minute;
        counts.orders = 0;
    }
    let ten_seconds = now - now.rem_euclid(10_000);
    if counts.ten_seconds != ten_seconds {
        counts.ten_seconds = ten_seconds;
        counts.orders_10s = 0;
    }
    if counts.orders >= inner.config.order_limit_per_minute {
        return Err(Box::new(too_many_orders(
            inner.config.order_limit_per_minute,
            "MINUTE",
        )));
    }
    if counts.orders_10s >= inner.config.order_limit_per_10s {
        return Err(Box::new(too_many_orders(
            inner.config.order_limit_per_10s,
            "TEN_SECONDS",
        )));
    }
    counts.orders += 1;
    counts.orders_10s += 1;
    Ok(Usage {
        weight: used,
        orders: Some((counts.orders, counts.orders_10s)),
    })
}

/// Counts and enforces the limits, applies the fault knobs, and sets the usage headers.
async fn gate(State(inner): State<Shared>, request: Request, next: Next) -> Response {
    let faults = inner.faults();
    if faults.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(faults.latency_ms)).await;
    }
    let n = inner.requests.fetch_add(1, Ordering::Relaxed) + 1;
    if faults.fail_5xx_every > 0 && n.is_multiple_of(u64::from(faults.fail_5xx_every)) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "code": -1001, "msg": "Internal error; unable to process your request. Please try again." })),
        )
            .into_response();
    }
    let usage = match count(&inner, &request, inner.now_ms()) {
        Ok(usage) => usage,
        Err(refused) => return *refused,
    };
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert("X-MBX-USED-WEIGHT-1M", HeaderValue::from(usage.weight));
    if let Some((orders, orders_10s)) = usage.orders {
        headers.insert("X-MBX-ORDER-COUNT-1M", HeaderValue::from(orders));
        headers.insert("X-MBX-ORDER-COUNT-10S", HeaderValue::from(orders_10s));
    }
    response
}

fn respond(result: Result<Value, BinanceError>) -> Response {
    match result {
        Ok(value) => (StatusCode::OK, axum::Json(value)).into_response(),
        Err(err) => err.into_response(),
    }
}

/// Runs a SIGNED endpoint: verifies the request, then `handle`s it under the exchange lock.
fn signed(
    inner: &Shared,
    query: Option<String>,
    headers: &HeaderMap,
    body: &str,
    handle: impl FnOnce(&mut Exchange, &auth::Verified, i64) -> Result<Value, BinanceError>,
) -> Response {
    let now = inner.now_ms();
    let query = query.unwrap_or_default();
    let result = auth::verify(&inner.config.accounts, &query, headers, body, now)
        .and_then(|request| handle(&mut inner.exchange(), &request, now));
    respond(result)
}

/// The `symbol` parameter, which must be a listed market.
fn listed_symbol<'p>(
    ex: &Exchange,
    p: &'p HashMap<String, String>,
) -> Result<&'p str, BinanceError> {
    let symbol = auth::required(p, "symbol")?;
    ex.market(symbol).ok_or(BinanceError::InvalidSymbol)?;
    Ok(symbol)
}

/// The optional `symbol` parameter, which must be a listed market when given.
fn optional_listed_symbol<'p>(
    ex: &Exchange,
    p: &'p HashMap<String, String>,
) -> Result<Option<&'p str>, BinanceError> {
    let symbol = p.get("symbol").map(String::as_str);
    if let Some(symbol) = symbol {
        ex.market(symbol).ok_or(BinanceError::InvalidSymbol)?;
    }
    Ok(symbol)
}

/// The two cancel-all endpoints (regular and algo orders): `cancel(exchange, api_key, symbol,
/// now)` cancels the account's open orders on the listed `symbol`, answered with code 200.
fn cancel_all_on_symbol(
    inner: &Shared,
    query: Option<String>,
    headers: &HeaderMap,
    body: &str,
    cancel: fn(&mut Exchange, &str, &str, i64),
) -> Response {
    signed(inner, query, headers, body, |ex, request, now| {
        let symbol = listed_symbol(ex, &request.params)?;
        cancel(ex, &request.api_key, symbol, now);
        Ok(json!({ "code": 200, "msg": "The operation of cancel all open order is done." }))
    })
}

async fn time(State(inner): State<Shared>) -> Response {
    axum::Json(json!({ "serverTime": inner.now_ms() })).into_response()
}

async fn exchange_info(State(inner): State<Shared>) -> Response {
    let c = &inner.config;
    let limits = market::PublishedLimits {
        weight_per_minute: c.request_weight_limit,
        orders_per_minute: c.order_limit_per_minute,
        orders_per_10s: c.order_limit_per_10s,
    };
    axum::Json(market::exchange_info(inner.now_ms(), limits)).into_response()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    AcceptThenDrop,
    AcceptThenUnknown,
    Refuse503,
}

/// The faults of one new-order request: one of [`Fault`] in turn every `Faults::every`-th
/// request, and whether its answer is held back (`Faults::slow_answer_every`).
fn next_fault(inner: &Shared) -> (Option<Fault>, Option<std::time::Duration>) {
    let faults = inner.faults();
    let every = u64::from(faults.every);
    let slow_every = u64::from(faults.slow_answer_every);
    let n = inner.order_requests.fetch_add(1, Ordering::Relaxed) + 1;
    let slow = (slow_every > 0 && n.is_multiple_of(slow_every))
        .then(|| std::time::Duration::from_millis(faults.slow_answer_ms));
    if every == 0 || !n.is_multiple_of(every) {
        return (None, slow);
    }
    let fault = match (n / every) % 3 {
        1 => Fault::AcceptThenDrop,
        2 => Fault::AcceptThenUnknown,
        _ => Fault::Refuse503,
    };
    (Some(fault), slow)
}

/// An answer whose headers go out and whose body then fails: hyper aborts the connection, so
/// the client sees it dropped before the answer.
fn dropped_connection() -> Response {
    let broken = futures_util::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other("fault: connection dropped"))
    });
    axum::body::Body::from_stream(broken).into_response()
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

/// A new-order endpoint behind the fault knob `Faults::every`: the request is refused with a
/// 503, or `place`d and its answer lost (connection dropped) or replaced by Binance's 503
/// "Unknown error".
async fn with_order_faults(
    inner: &Shared,
    query: Option<String>,
    headers: &HeaderMap,
    body: &str,
    place: impl FnOnce(&mut Exchange, &auth::Verified, i64) -> Result<Value, BinanceError>,
) -> Response {
    let (fault, slow) = next_fault(inner);
    if fault == Some(Fault::Refuse503) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "code": -1001, "msg": "Service Unavailable." })),
        )
            .into_response();
    }
    let now = inner.now_ms();
    let result = auth::verify(
        &inner.config.accounts,
        query.as_deref().unwrap_or(""),
        headers,
        body,
        now,
    )
    .and_then(|request| place(&mut inner.exchange(), &request, now));
    if let Some(delay) = slow {
        // The order is taken (or refused) now; its answer leaves only after the delay.
        tokio::time::sleep(delay).await;
    }
    match (result, fault) {
        (Ok(_), Some(Fault::AcceptThenDrop)) => dropped_connection(),
        (Ok(_), Some(Fault::AcceptThenUnknown)) => unknown_503(),
        (result, _) => respond(result),
    }
}

/// `POST /fapi/v1/order`.
async fn new_order(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    with_order_faults(&inner, query, &headers, &body, |ex, request, now| {
        ex.place(&request.api_key, &request.params, now)
    })
    .await
}

/// `POST /fapi/v1/algoOrder` (TRADE): a new conditional order, behind the same fault knob.
async fn new_algo_order(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    with_order_faults(&inner, query, &headers, &body, |ex, request, now| {
        ex.place_algo(&request.api_key, &request.params, now)
    })
    .await
}

/// `GET /fapi/v1/algoOrder` (USER_DATA): by `algoId` or `clientAlgoId`; -2013 when there is
/// none.
async fn query_algo_order(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed(&inner, query, &headers, &body, |ex, request, _| {
        let id = ex
            .named_algo(&request.api_key, &request.params)?
            .ok_or(BinanceError::NoSuchOrder)?;
        ex.algo_json(id).ok_or(BinanceError::NoSuchOrder)
    })
}

/// `DELETE /fapi/v1/algoOrder` (TRADE): cancels an open algo order by `algoId` or
/// `clientAlgoId`; -2011 "Unknown order sent." when it is not open or not there.
async fn cancel_algo_order(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed(&inner, query, &headers, &body, |ex, request, now| {
        let id = ex
            .named_algo(&request.api_key, &request.params)?
            .ok_or(BinanceError::UnknownOrder)?;
        if !ex.cancel_algo(id, now) {
            return Err(BinanceError::UnknownOrder);
        }
        let a = ex.algos.get(&id).ok_or(BinanceError::UnknownOrder)?;
        Ok(json!({
            "algoId": a.algo_id,
            "clientAlgoId": a.client_algo_id,
            "code": "200",
            "msg": "success",
        }))
    })
}

/// `GET /fapi/v1/openAlgoOrders` (USER_DATA): open algo orders, optionally of one `symbol`,
/// `algoType` or `algoId`.
async fn open_algo_orders(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed(&inner, query, &headers, &body, |ex, request, _| {
        let p = &request.params;
        let symbol = optional_listed_symbol(ex, p)?;
        if p.get("algoType").is_some_and(|t| t != "CONDITIONAL") {
            return Err(BinanceError::InvalidParam("algoType".into()));
        }
        let algo_id = optional_number(p, "algoId")?;
        Ok(Value::Array(ex.algos_where(&request.api_key, |a| {
            a.is_open()
                && symbol.is_none_or(|s| a.symbol == s)
                && algo_id.is_none_or(|id| a.algo_id == id)
        })))
    })
}

/// `DELETE /fapi/v1/algoOpenOrders?symbol=` (TRADE): cancels every open algo order on the
/// symbol.
async fn cancel_all_algo(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    cancel_all_on_symbol(&inner, query, &headers, &body, Exchange::cancel_algo_symbol)
}

/// `GET /fapi/v1/allAlgoOrders` (USER_DATA): the symbol's algo orders of any status; from
/// `algoId` on when given (else the most recent), within `startTime` / `endTime` (creation
/// time), at most `limit` (default 500, max 1000).
async fn all_algo_orders(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed(&inner, query, &headers, &body, |ex, request, _| {
        let p = &request.params;
        let symbol = listed_symbol(ex, p)?;
        let from_id = optional_number(p, "algoId")?;
        let start = optional_number(p, "startTime")?;
        let end = optional_number(p, "endTime")?;
        let limit = match optional_number(p, "limit")? {
            None => 500,
            Some(n @ 1..=1000) => usize::try_from(n).unwrap_or(1000),
            Some(_) => return Err(BinanceError::InvalidParam("limit".into())),
        };
        let time_ok = |t: i64| {
            let t = u64::try_from(t).unwrap_or(0);
            start.is_none_or(|s| t >= s) && end.is_none_or(|e| t <= e)
        };
        let all = ex.algos_where(&request.api_key, |a| {
            a.symbol == symbol && from_id.is_none_or(|id| a.algo_id >= id) && time_ok(a.create_time)
        });
        let chosen: Vec<Value> = if from_id.is_some() {
            all.into_iter().take(limit).collect()
        } else {
            let skip = all.len().saturating_sub(limit);
            all.into_iter().skip(skip).collect()
        };
        Ok(Value::Array(chosen))
    })
}

/// An optional non-negative integer parameter (-1102 when malformed).
fn optional_number(p: &HashMap<String, String>, name: &str) -> Result<Option<u64>, BinanceError> {
    p.get(name)
        .map(|v| {
            v.parse::<u64>()
                .map_err(|_| BinanceError::Mandatory(name.into()))
        })
        .transpose()
}

/// The `orderId` of the order a request names by `orderId` or `origClientOrderId` (the latest
/// order with that client id, as an id may be used again once its order is closed).
fn named_order(
    ex: &Exchange,
    api_key: &str,
    p: &HashMap<String, String>,
) -> Result<Option<u64>, BinanceError> {
    let symbol = auth::required(p, "symbol")?;
    if let Some(client_id) = p.get("origClientOrderId") {
        return Ok(ex.orders.latest_by_client_id(api_key, symbol, client_id));
    }
    let id: u64 = auth::required(p, "orderId")?
        .parse()
        .map_err(|_| BinanceError::Mandatory("orderId".into()))?;
    Ok(ex.orders.owned(api_key, symbol, id))
}

/// `GET /fapi/v1/order`: by `orderId` or `origClientOrderId` (-2013 when there is none), behind
/// the fault knobs `Faults::query_fault_every` (a 503 or a dropped connection in turn) and
/// `Faults::invisible_for_ms` (a young order is not found yet).
async fn query_order(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    let faults = inner.faults();
    let every = u64::from(faults.query_fault_every);
    let n = inner.order_queries.fetch_add(1, Ordering::Relaxed) + 1;
    if every > 0 && n.is_multiple_of(every) {
        return if (n / every) % 2 == 1 {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({ "code": -1001, "msg": "Internal error; unable to process your request. Please try again." })),
            )
                .into_response()
        } else {
            dropped_connection()
        };
    }
    let invisible_ms = i64::try_from(faults.invisible_for_ms).unwrap_or(i64::MAX);
    signed(&inner, query, &headers, &body, |ex, request, now| {
        let id =
            named_order(ex, &request.api_key, &request.params)?.ok_or(BinanceError::NoSuchOrder)?;
        ex.orders
            .get(id)
            .filter(|o| now >= o.time.saturating_add(invisible_ms))
            .map(|o| o.to_json())
            .ok_or(BinanceError::NoSuchOrder)
    })
}

/// `DELETE /fapi/v1/order`: cancels an open order (-2011 "Unknown order sent." otherwise).
async fn cancel_order(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed(&inner, query, &headers, &body, |ex, request, now| {
        let id = named_order(ex, &request.api_key, &request.params)?
            .ok_or(BinanceError::UnknownOrder)?;
        if !ex.orders.get(id).is_some_and(|o| o.is_open()) {
            return Err(BinanceError::UnknownOrder);
        }
        ex.finish(id, "CANCELED", now);
        ex.orders
            .get(id)
            .map(|o| o.to_json())
            .ok_or(BinanceError::UnknownOrder)
    })
}

/// `GET /fapi/v1/openOrders`: open orders on `symbol`, or on every symbol without it.
async fn open_orders(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed(&inner, query, &headers, &body, |ex, request, _| {
        let symbol = optional_listed_symbol(ex, &request.params)?;
        let open: Vec<Value> = match symbol {
            Some(s) => ex
                .orders
                .open_on(&request.api_key, s)
                .map(|o| o.to_json())
                .collect(),
            None => ex
                .orders
                .open_of(&request.api_key)
                .into_iter()
                .map(|o| o.to_json())
                .collect(),
        };
        Ok(Value::Array(open))
    })
}

/// Seven days in ms: Account Trade List's longest window.
const SEVEN_DAYS_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// `GET /fapi/v1/userTrades` (Account Trade List, USER_DATA, weight 5): the account's trades on
/// `symbol`, oldest first. As documented: `orderId` narrows to one order; `fromId` gives the
/// trades from that id on and "cannot be sent with startTime or endTime" (-1128); "If startTime
/// and endTime are both not sent, then the last 7 days' data will be returned"; "The time
/// between startTime and endTime cannot be longer than 7 days" (-1127; -1023 when start is
/// after end); `limit` "Default 500; max 1000". With only one of startTime / endTime the window
/// is the 7 days from / up to it (Binance does not say; this is the simulator's choice). Without
/// `fromId`, the latest `limit` trades of the window.
async fn user_trades(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed(&inner, query, &headers, &body, |ex, request, now| {
        let p = &request.params;
        let symbol = listed_symbol(ex, p)?;
        let order_id = optional_number(p, "orderId")?;
        let from_id = optional_number(p, "fromId")?;
        let time = |name: &str| -> Result<Option<i64>, BinanceError> {
            optional_number(p, name)?
                .map(|t| i64::try_from(t).map_err(|_| BinanceError::Mandatory(name.into())))
                .transpose()
        };
        let (start, end) = (time("startTime")?, time("endTime")?);
        let limit = match p.get("limit") {
            None => 500,
            Some(l) => match l.parse::<usize>() {
                Ok(n @ 1..=1000) => n,
                _ => return Err(BinanceError::InvalidParam("limit".into())),
            },
        };
        if from_id.is_some() && (start.is_some() || end.is_some()) {
            return Err(BinanceError::ParamCombination);
        }
        let window = match (start, end) {
            (Some(s), Some(e)) if s > e => return Err(BinanceError::StartAfterEnd),
            (Some(s), Some(e)) if e - s > SEVEN_DAYS_MS => {
                return Err(BinanceError::IntervalTooBig(168));
            }
            (Some(s), Some(e)) => Some((s, e)),
            (Some(s), None) => Some((s, s.saturating_add(SEVEN_DAYS_MS))),
            (None, Some(e)) => Some((e.saturating_sub(SEVEN_DAYS_MS), e)),
            (None, None) if from_id.is_none() => Some((now - SEVEN_DAYS_MS, now)),
            (None, None) => None,
        };
        let Some(account) = ex.accounts.get(&request.api_key) else {
            return Err(BinanceError::RejectedKey);
        };
        let matching = account.trades.iter().filter(|t| {
            t.symbol == symbol
                && order_id.is_none_or(|id| t.order_id == id)
                && from_id.is_none_or(|id| t.id >= id)
                && window.is_none_or(|(s, e)| t.time >= s && t.time <= e)
        });
        let rows: Vec<Value> = if from_id.is_some() {
            matching.take(limit).map(|t| t.to_json()).collect()
        } else {
            let all: Vec<&super::exchange::AccountTrade> = matching.collect();
            let skip = all.len().saturating_sub(limit);
            all[skip..].iter().map(|t| t.to_json()).collect()
        };
        Ok(Value::Array(rows))
    })
}

/// `DELETE /fapi/v1/allOpenOrders?symbol=`: cancels every open order on the symbol.
async fn cancel_all(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    cancel_all_on_symbol(&inner, query, &headers, &body, Exchange::cancel_symbol)
}

/// `POST /fapi/v1/countdownCancelAll`: cancels all open orders of `symbol` when
/// `countdownTime` ms pass without another call; 0 stops the countdown.
async fn countdown_cancel_all(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed(&inner, query, &headers, &body, |ex, request, now| {
        let symbol = auth::required(&request.params, "symbol")?.to_owned();
        let countdown: i64 = auth::required(&request.params, "countdownTime")?
            .parse()
            .map_err(|_| BinanceError::Mandatory("countdownTime".into()))?;
        if countdown < 0 {
            return Err(BinanceError::InvalidParam("countdownTime".into()));
        }
        ex.market(&symbol).ok_or(BinanceError::InvalidSymbol)?;
        let key = (request.api_key.clone(), symbol.clone());
        if countdown == 0 {
            ex.countdowns.remove(&key);
        } else {
            ex.countdowns.insert(key, now.saturating_add(countdown));
        }
        Ok(json!({ "symbol": symbol, "countdownTime": countdown.to_string() }))
    })
}

/// `GET /fapi/v1/leverageBracket` (USER_DATA, weight 1): the notional and leverage brackets,
/// a list of `{symbol, notionalCoef, brackets}`, or that one object when `symbol` is sent.
async fn leverage_bracket(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed(
        &inner,
        query,
        &headers,
        &body,
        |ex, request, _| match optional_listed_symbol(ex, &request.params)? {
            Some(symbol) => Ok(market::leverage_brackets(symbol)),
            None => Ok(Value::Array(
                market::SYMBOLS
                    .iter()
                    .map(|s| market::leverage_brackets(s))
                    .collect(),
            )),
        },
    )
}

/// `POST /fapi/v1/leverage`.
async fn leverage(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed(&inner, query, &headers, &body, |ex, request, _| {
        let symbol = auth::required(&request.params, "symbol")?.to_owned();
        let raw = auth::required(&request.params, "leverage")?;
        let leverage: u32 = raw
            .parse()
            .map_err(|_| BinanceError::InvalidLeverage(raw.to_owned()))?;
        ex.set_leverage(&request.api_key, &symbol, leverage)
    })
}

async fn account_v2(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed(&inner, query, &headers, &body, |ex, request, _| {
        Ok(views::account(ex, &request.api_key, false))
    })
}

async fn account_v3(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed(&inner, query, &headers, &body, |ex, request, _| {
        Ok(views::account(ex, &request.api_key, true))
    })
}

async fn balance(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed(&inner, query, &headers, &body, |ex, request, _| {
        Ok(views::balance(ex, &request.api_key))
    })
}

fn position_risk(
    inner: &Shared,
    query: Option<String>,
    headers: &HeaderMap,
    body: &str,
    v3: bool,
) -> Response {
    signed(inner, query, headers, body, |ex, request, _| {
        let symbol = optional_listed_symbol(ex, &request.params)?;
        Ok(views::position_risk(ex, &request.api_key, symbol, v3))
    })
}

async fn position_risk_v2(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    position_risk(&inner, query, &headers, &body, false)
}

async fn position_risk_v3(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    position_risk(&inner, query, &headers, &body, true)
}

/// `GET /fapi/v1/premiumIndex` (public): one symbol's object, or an array of all.
async fn premium_index(State(inner): State<Shared>, RawQuery(query): RawQuery) -> Response {
    let p = auth::query_params(query.as_deref().unwrap_or(""));
    let now = inner.now_ms();
    let ex = inner.exchange();
    let result = match p.get("symbol") {
        Some(symbol) => ex
            .market(symbol)
            .map(|m| m.premium_index(now))
            .ok_or(BinanceError::InvalidSymbol),
        None => Ok(Value::Array(
            ex.markets.iter().map(|m| m.premium_index(now)).collect(),
        )),
    };
    respond(result)
}

/// `GET /fapi/v1/depth` (public): `limit` 5, 10, 20, 50, 100, 500 (default) or 1000.
async fn depth(State(inner): State<Shared>, RawQuery(query): RawQuery) -> Response {
    let p = auth::query_params(query.as_deref().unwrap_or(""));
    let now = inner.now_ms();
    let result = (|| {
        let symbol = auth::required(&p, "symbol")?;
        let limit = match p.get("limit").map(String::as_str) {
            None => 500,
            Some(l @ ("5" | "10" | "20" | "50" | "100" | "500" | "1000")) => l
                .parse()
                .map_err(|_| BinanceError::InvalidParam("limit".into()))?,
            Some(_) => return Err(BinanceError::InvalidParam("limit".into())),
        };
        let ex = inner.exchange();
        let m = ex.market(symbol).ok_or(BinanceError::InvalidSymbol)?;
        Ok(m.depth(limit, now))
    })();
    respond(result)
}

/// The length of a kline interval in ms (`1M` is not simulated).
fn interval_ms(interval: &str) -> Option<i64> {
    const M: i64 = 60_000;
    Some(match interval {
        "1m" => M,
        "3m" => 3 * M,
        "5m" => 5 * M,
        "15m" => 15 * M,
        "30m" => 30 * M,
        "1h" => 60 * M,
        "2h" => 120 * M,
        "4h" => 240 * M,
        "6h" => 360 * M,
        "8h" => 480 * M,
        "12h" => 720 * M,
        "1d" => 1440 * M,
        "3d" => 3 * 1440 * M,
        "1w" => 7 * 1440 * M,
        _ => return None,
    })
}

/// `GET /fapi/v1/klines` (public): `symbol`, `interval`, optional `startTime`, `endTime`,
/// `limit` (default 500, max 1500).
async fn klines(State(inner): State<Shared>, RawQuery(query): RawQuery) -> Response {
    let p = auth::query_params(query.as_deref().unwrap_or(""));
    let result = (|| {
        let symbol = auth::required(&p, "symbol")?;
        let interval =
            interval_ms(auth::required(&p, "interval")?).ok_or(BinanceError::InvalidInterval)?;
        let time = |name: &str| -> Result<Option<i64>, BinanceError> {
            p.get(name)
                .map(|v| {
                    v.parse::<i64>()
                        .map_err(|_| BinanceError::Mandatory(name.into()))
                })
                .transpose()
        };
        let (start, end) = (time("startTime")?, time("endTime")?);
        let limit = match p.get("limit") {
            None => 500,
            Some(l) => match l.parse::<usize>() {
                Ok(n @ 1..=1500) => n,
                _ => return Err(BinanceError::InvalidParam("limit".into())),
            },
        };
        let ex = inner.exchange();
        let m = ex.market(symbol).ok_or(BinanceError::InvalidSymbol)?;
        Ok(m.klines(interval, start, end, limit))
    })();
    respond(result)
}

/// A new 64-character listen key.
fn draw_listen_key(inner: &Shared) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let n = inner.key_counter.fetch_add(1, Ordering::Relaxed);
    let mut rng = ChaCha8Rng::seed_from_u64(
        inner.config.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ inner.now_ms().unsigned_abs(),
    );
    (0..64)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// `POST /fapi/v1/listenKey` (USER_STREAM: API key, no signature): the account's valid key,
/// extended by the validity, or a new one.
async fn listen_key_new(State(inner): State<Shared>, headers: HeaderMap) -> Response {
    let result = auth::api_key_only(&inner.config.accounts, &headers).map(|api_key| {
        let now = inner.now_ms();
        let expires_at = now + inner.config.listen_key_validity_ms;
        let mut keys = lock(&inner.listen_keys);
        let existing = keys
            .iter_mut()
            .find(|(_, k)| k.api_key == api_key && k.expires_at > now);
        let key = match existing {
            Some((key, k)) => {
                k.expires_at = expires_at;
                key.clone()
            }
            None => {
                let key = draw_listen_key(&inner);
                keys.insert(
                    key.clone(),
                    ListenKey {
                        api_key,
                        expires_at,
                    },
                );
                key
            }
        };
        json!({ "listenKey": key })
    });
    respond(result)
}

/// The account's valid listen key (or the one named by `listenKey`), if any.
fn find_key(inner: &Shared, api_key: &str, query: Option<&str>, body: &str) -> Option<String> {
    let now = inner.now_ms();
    let mut named = auth::query_params(body);
    named.extend(auth::query_params(query.unwrap_or("")));
    let keys = lock(&inner.listen_keys);
    keys.iter()
        .filter(|(_, k)| k.api_key == api_key && k.expires_at > now)
        .find(|(key, _)| named.get("listenKey").is_none_or(|n| n == *key))
        .map(|(key, _)| key.clone())
}

/// `PUT /fapi/v1/listenKey`: extends the key's validity; -1125 when there is none.
async fn listen_key_keepalive(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    let result = auth::api_key_only(&inner.config.accounts, &headers).and_then(|api_key| {
        let key = find_key(&inner, &api_key, query.as_deref(), &body)
            .ok_or(BinanceError::ListenKeyMissing)?;
        let expires_at = inner.now_ms() + inner.config.listen_key_validity_ms;
        if let Some(k) = lock(&inner.listen_keys).get_mut(&key) {
            k.expires_at = expires_at;
        }
        Ok(json!({ "listenKey": key }))
    });
    respond(result)
}

/// `DELETE /fapi/v1/listenKey`: closes the stream; its connections get `listenKeyExpired`.
async fn listen_key_close(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    let result = auth::api_key_only(&inner.config.accounts, &headers).and_then(|api_key| {
        let key = find_key(&inner, &api_key, query.as_deref(), &body)
            .ok_or(BinanceError::ListenKeyMissing)?;
        lock(&inner.listen_keys).remove(&key);
        inner.publish_key_expired(&key, &api_key, inner.now_ms());
        Ok(json!({}))
    });
    respond(result)
}
