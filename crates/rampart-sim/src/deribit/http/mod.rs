//! JSON-RPC over HTTP (/articles/json-rpc-overview): `GET /api/v2/{method}?params` or `POST
//! /api/v2/{method}` with a JSON-RPC body (`POST /api/v2` with the method in the body too),
//! answered `{"jsonrpc": "2.0", "id": …, "result": …}` or `{"…", "error": {code, message,
//! data}}` with `usIn`, `usOut`, `usDiff` and `testnet`. Refusals go out with HTTP 400, an
//! unauthorised request (13009) with 401 as Deribit answers it.
//! In front: the latency and 5xx fault knobs, and the order faults of [`super::Faults`].

mod authorization;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Map, Value, json};

use super::errors::DeribitError;
use super::json::{quote_fractions, render};
use super::rpc::{self, Ctx, Transport};
use super::{Inner, Shared};

pub(super) fn routes(_inner: Shared) -> Router<Shared> {
    Router::new()
        .route("/api/v2", any(handle))
        .route("/api/v2/{*method}", any(handle))
}

/// What a buy or sell request gets from [`super::Faults::every`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OrderFault {
    /// The order is taken and the connection dropped before the answer.
    TakenThenDropped,
    /// The order is taken and 503 answered.
    TakenThen503,
    /// 503 answered and the order not taken.
    NotTaken503,
}

/// The fault, if any, the next buy or sell request gets.
pub(super) fn order_fault(inner: &Inner, method: &str) -> Option<OrderFault> {
    if method != "private/buy" && method != "private/sell" {
        return None;
    }
    let every = u64::from(inner.faults().every);
    let n = inner.order_requests.fetch_add(1, Ordering::Relaxed) + 1;
    if every == 0 || !n.is_multiple_of(every) {
        return None;
    }
    Some(match (n / every - 1) % 3 {
        0 => OrderFault::TakenThenDropped,
        1 => OrderFault::TakenThen503,
        _ => OrderFault::NotTaken503,
    })
}

/// Microseconds since the epoch.
fn micros(ms: i64) -> i64 {
    ms.saturating_mul(1000)
}

/// A JSON-RPC answer with Deribit's timing fields.
pub(super) fn envelope(
    id: &Value,
    outcome: &Result<Value, DeribitError>,
    us_in: i64,
    us_out: i64,
) -> Value {
    let mut v = json!({
        "jsonrpc": "2.0",
        "usIn": us_in,
        "usOut": us_out,
        "usDiff": us_out - us_in,
        "testnet": false,
    });
    if !id.is_null() {
        v["id"] = id.clone();
    }
    match outcome {
        Ok(result) => v["result"] = result.clone(),
        Err(e) => v["error"] = e.to_json(),
    }
    v
}

/// The HTTP status of a refusal: 401 for 13009 `unauthorized`, else 400.
fn refusal_status(e: &DeribitError) -> StatusCode {
    if e.code == super::errors::UNAUTHORIZED {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::BAD_REQUEST
    }
}

fn json_response(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        render(v),
    )
        .into_response()
}

fn service_unavailable() -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response()
}

/// An answer whose headers go out and whose body then fails.
fn dropped_connection() -> Response {
    let broken = futures_util::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other("fault: connection dropped"))
    });
    Body::from_stream(broken).into_response()
}

async fn handle(State(inner): State<Shared>, request: Request) -> Response {
    let faults = inner.faults();
    if faults.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(faults.latency_ms)).await;
    }
    let n = inner.requests.fetch_add(1, Ordering::Relaxed) + 1;
    if faults.fail_5xx_every > 0 && n.is_multiple_of(u64::from(faults.fail_5xx_every)) {
        return service_unavailable();
    }
    let now = inner.now_ms();
    let us_in = micros(now);
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        let e = DeribitError::new(super::errors::INVALID_REQUEST, "Invalid Request");
        return json_response(
            StatusCode::BAD_REQUEST,
            &envelope(&Value::Null, &Err(e), us_in, micros(inner.now_ms())),
        );
    };
    let body = String::from_utf8_lossy(&bytes).into_owned();
    let uri = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let path_method = parts
        .uri
        .path()
        .strip_prefix("/api/v2")
        .unwrap_or("")
        .trim_start_matches('/')
        .to_owned();

    // The parameters: the JSON-RPC body's, else the query's (all text).
    let mut id = Value::Null;
    let mut body_method = None;
    let mut params: Map<String, Value> =
        form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
    if !body.trim().is_empty() {
        match serde_json::from_str::<Value>(&quote_fractions(&body)) {
            Ok(Value::Object(mut req)) => {
                id = req.remove("id").unwrap_or(Value::Null);
                body_method = req.get("method").and_then(Value::as_str).map(str::to_owned);
                if let Some(Value::Object(p)) = req.remove("params") {
                    params = p;
                }
            }
            _ => {
                let e = DeribitError::new(super::errors::INVALID_REQUEST, "Invalid Request");
                return json_response(
                    StatusCode::BAD_REQUEST,
                    &envelope(&Value::Null, &Err(e), us_in, micros(inner.now_ms())),
                );
            }
        }
    }
    let method = if path_method.is_empty() {
        body_method.unwrap_or_default()
    } else {
        path_method
    };

    let caller = match authorization::caller(
        &inner,
        &parts.headers,
        parts.method.as_str(),
        &uri,
        &body,
        now,
    ) {
        Ok(c) => c,
        Err(e) => {
            return json_response(
                refusal_status(&e),
                &envelope(&id, &Err(e), us_in, micros(inner.now_ms())),
            );
        }
    };
    let fault = order_fault(&inner, &method);
    if fault == Some(OrderFault::NotTaken503) {
        return service_unavailable();
    }
    let ctx = Ctx {
        inner: &inner,
        caller,
        now,
        transport: Transport::Http,
        peer,
    };
    let outcome = rpc::dispatch(&ctx, &method, &params);
    match fault {
        Some(OrderFault::TakenThenDropped) => return dropped_connection(),
        Some(OrderFault::TakenThen503) => return service_unavailable(),
        _ => {}
    }
    let status = match &outcome {
        Ok(_) => StatusCode::OK,
        Err(e) => refusal_status(e),
    };
    json_response(
        status,
        &envelope(&id, &outcome, us_in, micros(inner.now_ms())),
    )
}
