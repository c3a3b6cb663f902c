//! Binance's request-weight and order-count limits in front of every endpoint (X-MBX-USED-WEIGHT-1M,
//! X-MBX-ORDER-COUNT-1M, 429 then 418 with Retry-After) and the latency / 5xx fault knobs.
//!
//! The SPOT host's `/sapi` endpoint the simulator serves reports its weight as `/sapi` answers
//! do, in `X-SAPI-USED-IP-WEIGHT-1M`. Binance counts each IP-limited `/sapi` endpoint apart
//! (12,000 a minute each, and a 429 there never becomes a 418); the simulator, one address for
//! both hosts, counts it with the rest of the IP's weight.

use std::sync::atomic::Ordering;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::super::errors::{DISCONNECTED, INTERNAL_ERROR_MSG, service_unavailable};
use super::super::{Shared, auth, lock};

/// Binance's documented request weight of each endpoint, and whether it counts as an order.
pub(super) fn weight_of(method: &Method, path: &str, query: &str) -> (u32, bool) {
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
        // User Commission Rate: "Request Weight 20".
        "/fapi/v1/commissionRate" => (20, false),
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

pub(super) fn retry_after(mut response: Response, seconds: i64) -> Response {
    response
        .headers_mut()
        .insert("Retry-After", HeaderValue::from(seconds.max(1)));
    response
}

pub(super) fn too_many(status: StatusCode, code: i32, msg: String, seconds: i64) -> Response {
    retry_after(
        (status, axum::Json(json!({ "code": code, "msg": msg }))).into_response(),
        seconds,
    )
}

/// The IP a request came from (the peer address; loopback when the server was started without
/// connection info).
pub(super) fn peer_ip(request: &Request) -> std::net::IpAddr {
    request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), |c| {
            c.0.ip()
        })
}

/// "Way too many requests; IP(…) banned until …" (HTTP 418, -1003).
pub(super) fn banned(ip: std::net::IpAddr, until: i64, now: i64) -> Response {
    too_many(
        StatusCode::IM_A_TEAPOT,
        TOO_MANY_REQUESTS,
        format!(
            "Way too many requests; IP({ip}) banned until {until}. Please use the websocket for live updates to avoid bans."
        ),
        (until - now + 999) / 1000,
    )
}

/// The used-weight header of `/fapi` answers.
const USED_WEIGHT: &str = "X-MBX-USED-WEIGHT-1M";
/// The used-weight header of IP-limited `/sapi` answers.
const SAPI_USED_IP_WEIGHT: &str = "X-SAPI-USED-IP-WEIGHT-1M";

/// -1003 TOO_MANY_REQUESTS (429 over the weight limit, 418 when banned).
pub(super) const TOO_MANY_REQUESTS: i32 = -1003;
/// -1015 TOO_MANY_ORDERS.
pub(super) const TOO_MANY_ORDERS: i32 = -1015;

/// "Too many new orders; current limit is %s orders per %s." (HTTP 429, -1015) without a
/// Retry-After header: Binance's limits page says an order-count 429 comes "without the
/// Retry-After header".
pub(super) fn too_many_orders(limit: u32, per: &str) -> Response {
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
pub(super) struct Usage {
    pub(super) weight: u32,
    pub(super) orders: Option<(u32, u32)>,
}

/// Counts and enforces the limits: weight and bans per peer IP (shared by every account on it),
/// order counts per account (the `X-MBX-APIKEY` the request carries).
/// A refusal is the whole answer (boxed: a `Response` is large next to [`Usage`]).
pub(super) fn count(inner: &Shared, request: &Request, now: i64) -> Result<Usage, Box<Response>> {
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
pub(super) async fn gate(State(inner): State<Shared>, request: Request, next: Next) -> Response {
    let faults = inner.faults();
    if faults.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(faults.latency_ms)).await;
    }
    let n = inner.requests.fetch_add(1, Ordering::Relaxed) + 1;
    if faults.fail_5xx_every > 0 && n.is_multiple_of(u64::from(faults.fail_5xx_every)) {
        return service_unavailable(DISCONNECTED, INTERNAL_ERROR_MSG);
    }
    let usage = match count(&inner, &request, inner.now_ms()) {
        Ok(usage) => usage,
        Err(refused) => return *refused,
    };
    let weight_header = if request.uri().path().starts_with("/sapi/") {
        SAPI_USED_IP_WEIGHT
    } else {
        USED_WEIGHT
    };
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(weight_header, HeaderValue::from(usage.weight));
    if let Some((orders, orders_10s)) = usage.orders {
        headers.insert("X-MBX-ORDER-COUNT-1M", HeaderValue::from(orders));
        headers.insert("X-MBX-ORDER-COUNT-10S", HeaderValue::from(orders_10s));
    }
    response
}
