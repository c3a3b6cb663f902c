//! The REST API: one handler that counts, delays and limits every request, checks the
//! signature of the private ones, and answers each endpoint in Bybit's envelope
//! `{retCode, retMsg, result, retExtInfo, time}`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::errors::{self, BybitError};
use super::instruments::{self, category};
use super::limits::{self, Verdict};
use super::{Inner, Shared, SimAccount, auth, lock, views};
use crate::core::{
    Amend, CancelFilter, ContractKind, Exchange, Instrument, MarginMode, OrderKind, OrderRef,
    OrderRequest, Side, TimeInForce, Trigger, TriggerBy, TriggerDirection,
};

pub(super) fn routes() -> Router<Shared> {
    Router::new().route("/v5/{*path}", any(handle))
}

/// A request's parameters: the query for GET, the JSON body's fields (as text) for POST.
type Params = HashMap<String, String>;

/// What a handler answers: a result, or a refusal.
type Answer = Result<Value, BybitError>;

fn envelope(ret_code: i64, ret_msg: &str, result: Value, now: i64) -> Value {
    json!({
        "retCode": ret_code,
        "retMsg": ret_msg,
        "result": result,
        "retExtInfo": {},
        "time": now,
    })
}

fn reply(answer: Answer, verdict: Option<Verdict>, now: i64) -> Response {
    let (status, body) = match answer {
        Ok(result) => (StatusCode::OK, envelope(0, "OK", result, now)),
        Err(e) => (e.status, envelope(e.ret_code, &e.ret_msg, json!({}), now)),
    };
    let mut response = (status, axum::Json(body)).into_response();
    if let Some(v) = verdict {
        let h = response.headers_mut();
        let mut put = |name: &'static str, value: String| {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(name, v);
            }
        };
        put("X-Bapi-Limit", v.limit.to_string());
        put("X-Bapi-Limit-Status", v.remaining.to_string());
        put("X-Bapi-Limit-Reset-Timestamp", v.reset_ms.to_string());
    }
    response
}

/// The endpoints that need a signature, with the set that trades (refused to read-only keys).
fn private(path: &str) -> Option<bool> {
    match path {
        "/v5/order/create"
        | "/v5/order/amend"
        | "/v5/order/cancel"
        | "/v5/order/cancel-all"
        | "/v5/order/disconnected-cancel-all"
        | "/v5/position/set-leverage"
        | "/v5/position/switch-isolated"
        | "/v5/account/set-margin-mode" => Some(true),
        "/v5/order/realtime"
        | "/v5/order/history"
        | "/v5/execution/list"
        | "/v5/position/list"
        | "/v5/account/wallet-balance"
        | "/v5/account/fee-rate"
        | "/v5/account/info"
        | "/v5/account/query-dcp-info"
        | "/v5/asset/coin/query-info"
        | "/v5/user/query-api" => Some(false),
        _ => None,
    }
}

/// The fault the `every`-th order request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    AcceptThenDrop,
    AcceptThenUnknown,
    Refuse503,
}

/// An answer whose headers go out and whose body then fails: the client sees the connection
/// dropped before the answer.
fn dropped_connection() -> Response {
    let broken = futures_util::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other("fault: connection dropped"))
    });
    axum::body::Body::from_stream(broken).into_response()
}

async fn handle(
    State(inner): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let n = inner.requests.fetch_add(1, Ordering::Relaxed) + 1;
    let faults = *lock(&inner.faults);
    if faults.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(faults.latency_ms)).await;
    }
    let now = inner.now_ms();
    if !lock(&inner.limits).ip(peer.ip(), inner.config.ip_requests_per_5s, now) {
        return (StatusCode::FORBIDDEN, "403, access too frequent").into_response();
    }
    if faults.fail_5xx_every > 0 && n.is_multiple_of(u64::from(faults.fail_5xx_every)) {
        return reply(Err(BybitError::server_error()), None, now);
    }
    let path = uri.path().to_owned();
    let query = uri.query().unwrap_or("").to_owned();
    let Some(trading) = private(&path) else {
        if method != Method::GET {
            return reply(Err(BybitError::route_not_found()), None, now);
        }
        let params = parse_query(&query);
        return reply(public(&inner, &path, &params, now), None, now);
    };
    // Changes are POSTs, reads GETs: another method finds no route.
    let wanted = if trading { Method::POST } else { Method::GET };
    if method != wanted {
        return reply(Err(BybitError::route_not_found()), None, now);
    }
    let signed = if method == Method::GET { &query } else { &body };
    let account = match auth::verify(&inner.config.accounts, &headers, signed, now) {
        Ok(a) => a,
        Err(e) => return reply(Err(e), None, now),
    };
    let endpoint = endpoint_name(&path);
    let limit = limits::per_second(endpoint, inner.config.order_create_per_second);
    let verdict = lock(&inner.limits).uid(&account.api_key, endpoint, limit, now);
    if !verdict.allowed {
        return reply(Err(BybitError::rate_limited()), Some(verdict), now);
    }
    if trading && account.permissions.read_only {
        return reply(Err(BybitError::permission_denied()), Some(verdict), now);
    }
    let params = if method == Method::GET {
        Ok(parse_query(&query))
    } else {
        parse_body(&body)
    };
    let params = match params {
        Ok(p) => p,
        Err(e) => return reply(Err(e), Some(verdict), now),
    };
    if path == "/v5/order/create" {
        if let Some(id) = params.get("orderLinkId") {
            *lock(&inner.create_requests)
                .entry((account.api_key.clone(), id.clone()))
                .or_default() += 1;
        }
        let k = inner.order_requests.fetch_add(1, Ordering::Relaxed) + 1;
        let fault =
            (faults.every > 0 && k.is_multiple_of(u64::from(faults.every))).then(|| {
                match (k / u64::from(faults.every)) % 3 {
                    1 => Fault::AcceptThenDrop,
                    2 => Fault::AcceptThenUnknown,
                    _ => Fault::Refuse503,
                }
            });
        if fault == Some(Fault::Refuse503) {
            return reply(Err(BybitError::server_error()), Some(verdict), now);
        }
        let answer = create(&inner, account, &params, now);
        return match fault {
            Some(Fault::AcceptThenDrop) => dropped_connection(),
            Some(Fault::AcceptThenUnknown) => {
                reply(Err(BybitError::server_error()), Some(verdict), now)
            }
            _ => reply(answer, Some(verdict), now),
        };
    }
    let answer = signed_endpoint(&inner, account, &path, &params, now);
    reply(answer, Some(verdict), now)
}

/// The endpoint's name as a `'static` key for the limits.
fn endpoint_name(path: &str) -> &'static str {
    const KNOWN: [&str; 18] = [
        "/v5/asset/coin/query-info",
        "/v5/order/create",
        "/v5/order/amend",
        "/v5/order/cancel",
        "/v5/order/cancel-all",
        "/v5/order/disconnected-cancel-all",
        "/v5/position/set-leverage",
        "/v5/position/switch-isolated",
        "/v5/account/set-margin-mode",
        "/v5/order/realtime",
        "/v5/order/history",
        "/v5/execution/list",
        "/v5/position/list",
        "/v5/account/wallet-balance",
        "/v5/account/fee-rate",
        "/v5/account/info",
        "/v5/account/query-dcp-info",
        "/v5/user/query-api",
    ];
    KNOWN
        .iter()
        .find(|k| **k == path)
        .copied()
        .unwrap_or("other")
}

fn parse_query(query: &str) -> Params {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The JSON body's fields as text (numbers and booleans as written).
fn parse_body(body: &str) -> Result<Params, BybitError> {
    if body.trim().is_empty() {
        return Ok(Params::new());
    }
    let value: Value = serde_json::from_str(body)
        .map_err(|_| BybitError::params("the request body is not valid JSON"))?;
    let Value::Object(map) = value else {
        return Err(BybitError::params("the request body is not a JSON object"));
    };
    Ok(map
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, text)
        })
        .collect())
}

fn required<'a>(p: &'a Params, name: &str) -> Result<&'a str, BybitError> {
    p.get(name)
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| BybitError::params(format!("{name} is required")))
}

fn decimal(p: &Params, name: &str) -> Result<Option<Decimal>, BybitError> {
    match p.get(name).map(String::as_str) {
        None | Some("") => Ok(None),
        Some(s) => s
            .parse::<Decimal>()
            .map(Some)
            .map_err(|_| BybitError::params(format!("{name} invalid"))),
    }
}

fn flag(p: &Params, name: &str) -> Result<bool, BybitError> {
    match p.get(name).map(String::as_str) {
        None | Some("" | "false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(_) => Err(BybitError::params(format!("{name} invalid"))),
    }
}

/// `category`: linear or inverse (what the simulator lists).
fn kind(p: &Params) -> Result<ContractKind, BybitError> {
    match required(p, "category")? {
        "linear" => Ok(ContractKind::Linear),
        "inverse" => Ok(ContractKind::Inverse),
        _ => Err(BybitError::params(
            "category invalid: linear and inverse are served",
        )),
    }
}

/// The instrument `symbol` names in `kind`'s category.
fn instrument(ex: &Exchange, kind: ContractKind, symbol: &str) -> Result<Instrument, BybitError> {
    ex.instrument(symbol)
        .filter(|i| i.kind == kind)
        .cloned()
        .ok_or_else(|| BybitError::params("symbol invalid"))
}

fn limit(p: &Params, default: usize, max: usize) -> Result<usize, BybitError> {
    match p.get("limit").map(String::as_str) {
        None | Some("") => Ok(default),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| BybitError::params("limit invalid")),
    }
}

fn public(inner: &Inner, path: &str, p: &Params, now: i64) -> Answer {
    match path {
        "/v5/market/time" => Ok(json!({
            "timeSecond": (now / 1000).to_string(),
            "timeNano": (i128::from(now) * 1_000_000).to_string(),
        })),
        "/v5/market/instruments-info" => {
            let kind = kind(p)?;
            let symbol = p.get("symbol");
            // Every listed contract is "Trading"; asked for another status, none is.
            let trading = p
                .get("status")
                .is_none_or(|s| s.is_empty() || s == "Trading");
            let ex = inner.exchange();
            let list: Vec<Value> = ex
                .instruments()
                .filter(|i| trading && i.kind == kind && symbol.is_none_or(|s| *s == i.symbol))
                .map(|i| views::instrument(i, inner.started_ms - 86_400_000 * 365))
                .collect();
            Ok(json!({ "category": category(kind), "list": list, "nextPageCursor": "" }))
        }
        "/v5/market/tickers" => {
            let kind = kind(p)?;
            let mut ex = inner.exchange();
            let insts: Vec<Instrument> = match p.get("symbol") {
                Some(s) => vec![instrument(&ex, kind, s)?],
                None => ex
                    .instruments()
                    .filter(|i| i.kind == kind)
                    .cloned()
                    .collect(),
            };
            let list: Vec<Value> = insts
                .iter()
                .filter_map(|i| ex.ticker(&i.symbol, now).map(|t| views::ticker(&t, i)))
                .collect();
            Ok(json!({ "category": category(kind), "list": list }))
        }
        "/v5/market/orderbook" => {
            let kind = kind(p)?;
            let ex = inner.exchange();
            let inst = instrument(&ex, kind, required(p, "symbol")?)?;
            // Linear and inverse: [1, 500], default 25.
            let depth = limit(p, 25, 500)?;
            let book = ex
                .book(&inst.symbol, depth, now)
                .ok_or_else(|| BybitError::params("symbol invalid"))?;
            Ok(views::book(&book, &inst))
        }
        "/v5/market/kline" | "/v5/market/mark-price-kline" => {
            let kind = kind(p)?;
            let mut ex = inner.exchange();
            let inst = instrument(&ex, kind, required(p, "symbol")?)?;
            let minutes = interval_minutes(required(p, "interval")?)?;
            let int = |name: &str| -> Result<Option<i64>, BybitError> {
                p.get(name)
                    .map(|s| {
                        s.parse::<i64>()
                            .map_err(|_| BybitError::params(format!("{name} invalid")))
                    })
                    .transpose()
            };
            let (start, end) = (int("start")?, int("end")?);
            let n = limit(p, 200, 1000)?;
            let candles = ex
                .candles(&inst.symbol, minutes, start, end, n, now)
                .unwrap_or_default();
            let with_volume = path == "/v5/market/kline";
            let list: Vec<Value> = candles
                .iter()
                .map(|c| views::kline_row(c, &inst, with_volume))
                .collect();
            Ok(json!({ "category": category(kind), "symbol": inst.symbol, "list": list }))
        }
        _ => Err(BybitError::route_not_found()),
    }
}

/// A kline `interval` in minutes: 1 3 5 15 30 60 120 240 360 720, D (a day), W (a week).
pub(super) fn interval_minutes(interval: &str) -> Result<u32, BybitError> {
    match interval {
        "1" | "3" | "5" | "15" | "30" | "60" | "120" | "240" | "360" | "720" => interval
            .parse()
            .map_err(|_| BybitError::params("interval invalid")),
        "D" => Ok(1440),
        "W" => Ok(7 * 1440),
        _ => Err(BybitError::params("interval invalid")),
    }
}

/// `orderLinkId`: "Max 36 characters. Combinations of numbers, letters (upper and lower
/// cases), dashes, and underscores are supported."
fn order_link_id(p: &Params) -> Result<Option<String>, BybitError> {
    match p.get("orderLinkId").map(String::as_str) {
        None | Some("") => Ok(None),
        Some(id)
            if id.len() <= 36
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            Ok(Some(id.to_owned()))
        }
        Some(_) => Err(BybitError::params("orderLinkId invalid")),
    }
}

/// `POST /v5/order/create`.
fn create(inner: &Inner, account: &SimAccount, p: &Params, now: i64) -> Answer {
    let kind = kind(p)?;
    let mut ex = inner.exchange();
    let inst = instrument(&ex, kind, required(p, "symbol")?)?;
    let side = match required(p, "side")? {
        "Buy" => Side::Buy,
        "Sell" => Side::Sell,
        _ => return Err(BybitError::params("side invalid")),
    };
    let order_kind = match required(p, "orderType")? {
        "Market" => OrderKind::Market,
        "Limit" => OrderKind::Limit,
        _ => return Err(BybitError::params("orderType invalid")),
    };
    let qty = decimal(p, "qty")?.ok_or_else(|| BybitError::params("qty is required"))?;
    let price = match order_kind {
        OrderKind::Limit => Some(
            decimal(p, "price")?
                .ok_or_else(|| BybitError::params("price is required for a Limit order"))?,
        ),
        OrderKind::Market => None,
    };
    let time_in_force = match p.get("timeInForce").map(String::as_str) {
        None | Some("" | "GTC") => TimeInForce::Gtc,
        Some("IOC") => TimeInForce::Ioc,
        Some("FOK") => TimeInForce::Fok,
        Some("PostOnly") => TimeInForce::PostOnly,
        Some(_) => return Err(BybitError::params("timeInForce invalid")),
    };
    if !matches!(
        p.get("positionIdx").map(String::as_str),
        None | Some("" | "0")
    ) {
        return Err(BybitError::params("position idx not match position mode"));
    }
    let trigger = match decimal(p, "triggerPrice")? {
        None => None,
        Some(trigger_price) => {
            let by = match p.get("triggerBy").map(String::as_str) {
                None | Some("" | "LastPrice") => TriggerBy::Last,
                Some("MarkPrice") => TriggerBy::Mark,
                Some(_) => return Err(BybitError::params("triggerBy invalid")),
            };
            let current = match by {
                TriggerBy::Mark => ex.mark(&inst.symbol).unwrap_or_default(),
                TriggerBy::Last => ex
                    .ticker(&inst.symbol, now)
                    .map_or(Decimal::ZERO, |t| t.last),
            };
            let direction = match p.get("triggerDirection").map(String::as_str) {
                Some("1") => TriggerDirection::Rise,
                Some("2") => TriggerDirection::Fall,
                _ => return Err(BybitError::params("triggerDirection invalid")),
            };
            let shown = |d: Decimal| views::px(&inst, d);
            match direction {
                TriggerDirection::Rise if trigger_price <= current => {
                    return Err(BybitError::new(
                        errors::EXPECT_RISING,
                        format!(
                            "expect Rising, but trigger_price[{}] <= current[{}]",
                            shown(trigger_price),
                            shown(current)
                        ),
                    ));
                }
                TriggerDirection::Fall if trigger_price >= current => {
                    return Err(BybitError::new(
                        errors::EXPECT_FALLING,
                        format!(
                            "expect Falling, but trigger_price[{}] >= current[{}]",
                            shown(trigger_price),
                            shown(current)
                        ),
                    ));
                }
                _ => {}
            }
            Some(Trigger {
                price: trigger_price,
                by,
                direction,
            })
        }
    };
    let reduce_only = flag(p, "reduceOnly")? || flag(p, "closeOnTrigger")?;
    // An order that can open a position must be worth the listed minimum: valued at its
    // limit price, else its trigger, else the mark. One that only reduces closes what is there.
    if inst.kind == ContractKind::Linear && !reduce_only {
        let at = price
            .or(trigger.as_ref().map(|t| t.price))
            .or_else(|| ex.mark(&inst.symbol));
        if at.is_some_and(|at| qty * at < instruments::LINEAR_MIN_NOTIONAL) {
            return Err(BybitError::new(
                errors::NOTIONAL_TOO_LOW,
                "Order notional value below the lower limit",
            ));
        }
    }
    let req = OrderRequest {
        symbol: inst.symbol.clone(),
        side,
        kind: order_kind,
        qty,
        price,
        time_in_force,
        reduce_only,
        client_id: order_link_id(p)?,
        trigger,
    };
    let order = ex
        .place(&account.api_key, req, now)
        .map_err(|e| BybitError::from_core(&e))?;
    Ok(json!({
        "orderId": order.id,
        "orderLinkId": order.client_id.unwrap_or_default(),
    }))
}

/// The order `orderId` or `orderLinkId` names (10001 when neither is given).
fn order_ref(p: &Params) -> Result<OrderRef<'_>, BybitError> {
    if let Some(id) = p.get("orderId").filter(|s| !s.is_empty()) {
        return Ok(OrderRef::Id(id));
    }
    if let Some(id) = p.get("orderLinkId").filter(|s| !s.is_empty()) {
        return Ok(OrderRef::ClientId(id));
    }
    Err(BybitError::params("orderId or orderLinkId is required"))
}

fn signed_endpoint(
    inner: &Inner,
    account: &SimAccount,
    path: &str,
    p: &Params,
    now: i64,
) -> Answer {
    let key = account.api_key.as_str();
    match path {
        "/v5/order/amend" => {
            let kind = kind(p)?;
            let mut ex = inner.exchange();
            let inst = instrument(&ex, kind, required(p, "symbol")?)?;
            let order = order_ref(p)?;
            let amend = Amend {
                qty: decimal(p, "qty")?,
                price: decimal(p, "price")?,
                trigger_price: decimal(p, "triggerPrice")?,
            };
            if ex.order(key, order).is_none_or(|o| o.symbol != inst.symbol) {
                return Err(BybitError::order_not_found());
            }
            let o = ex
                .amend(key, order, amend, now)
                .map_err(|e| BybitError::from_core(&e))?;
            Ok(json!({ "orderId": o.id, "orderLinkId": o.client_id.unwrap_or_default() }))
        }
        "/v5/order/cancel" => {
            let kind = kind(p)?;
            let mut ex = inner.exchange();
            let inst = instrument(&ex, kind, required(p, "symbol")?)?;
            let order = order_ref(p)?;
            if ex.order(key, order).is_none_or(|o| o.symbol != inst.symbol) {
                return Err(BybitError::order_not_found());
            }
            let o = ex.cancel(key, order, now).map_err(|e| match e {
                // A finished order cannot be cancelled: Bybit answers "Order does not exist".
                crate::core::CoreError::OrderFinished => BybitError::order_not_found(),
                other => BybitError::from_core(&other),
            })?;
            Ok(json!({ "orderId": o.id, "orderLinkId": o.client_id.unwrap_or_default() }))
        }
        "/v5/order/cancel-all" => {
            let kind = kind(p)?;
            let mut ex = inner.exchange();
            let symbol = match p.get("symbol").filter(|s| !s.is_empty()) {
                Some(s) => Some(instrument(&ex, kind, s)?.symbol),
                None => None,
            };
            let filter = CancelFilter {
                symbol,
                settle: p.get("settleCoin").filter(|s| !s.is_empty()).cloned(),
                kind: Some(kind),
                conditional: match p.get("orderFilter").map(String::as_str) {
                    Some("StopOrder") => Some(true),
                    Some("Order") => Some(false),
                    _ => None,
                },
                option: None,
            };
            let cancelled = ex.cancel_all(key, &filter, now);
            let list: Vec<Value> = cancelled
                .iter()
                .map(|o| json!({ "orderId": o.id, "orderLinkId": o.client_id.clone().unwrap_or_default() }))
                .collect();
            Ok(json!({ "list": list, "success": "1" }))
        }
        "/v5/order/realtime" | "/v5/order/history" => {
            let kind = kind(p)?;
            let ex = inner.exchange();
            let symbol = match p.get("symbol").filter(|s| !s.is_empty()) {
                Some(s) => Some(instrument(&ex, kind, s)?.symbol),
                None => None,
            };
            let settle = p.get("settleCoin").filter(|s| !s.is_empty());
            let n = limit(p, 20, 50)?;
            let by_id = p.get("orderId").filter(|s| !s.is_empty());
            let by_link = p.get("orderLinkId").filter(|s| !s.is_empty());
            let order_status = p
                .get("orderStatus")
                .map(String::as_str)
                .filter(|s| !s.is_empty());
            let order_filter = p
                .get("orderFilter")
                .map(String::as_str)
                .filter(|s| !s.is_empty());
            // Open orders by default; finished ones when named by id, or in the history.
            let open_only = path == "/v5/order/realtime" && by_id.is_none() && by_link.is_none();
            let list: Vec<Value> = ex
                .orders(key)
                .into_iter()
                .filter(|o| !open_only || o.is_open())
                .filter(|o| symbol.as_ref().is_none_or(|s| *s == o.symbol))
                .filter(|o| by_id.is_none_or(|id| *id == o.id))
                .filter(|o| by_link.is_none_or(|id| o.client_id.as_ref() == Some(id)))
                .filter(|o| match order_filter {
                    Some("Order") => o.trigger.is_none(),
                    Some("StopOrder") => o.trigger.is_some(),
                    _ => true,
                })
                .filter_map(|o| {
                    let inst = ex.instrument(&o.symbol)?;
                    let shown = views::order(&o, inst);
                    let status_ok =
                        order_status.is_none_or(|s| shown["orderStatus"].as_str() == Some(s));
                    (inst.kind == kind && settle.is_none_or(|c| *c == inst.settle) && status_ok)
                        .then_some(shown)
                })
                .take(n)
                .collect();
            Ok(json!({ "category": category(kind), "list": list, "nextPageCursor": "" }))
        }
        "/v5/execution/list" => {
            let kind = kind(p)?;
            let ex = inner.exchange();
            let symbol = p.get("symbol").filter(|s| !s.is_empty());
            let order_id = p.get("orderId").filter(|s| !s.is_empty());
            let n = limit(p, 50, 100)?;
            let list: Vec<Value> = ex
                .executions(key)
                .iter()
                .rev()
                .filter(|e| symbol.is_none_or(|s| *s == e.symbol))
                .filter(|e| order_id.is_none_or(|id| *id == e.order_id))
                .filter_map(|e| {
                    let inst = ex.instrument(&e.symbol)?;
                    (inst.kind == kind).then(|| {
                        views::execution(e, inst, ex.order(key, OrderRef::Id(&e.order_id)))
                    })
                })
                .take(n)
                .collect();
            Ok(json!({ "category": category(kind), "list": list, "nextPageCursor": "" }))
        }
        "/v5/position/list" => {
            let kind = kind(p)?;
            let ex = inner.exchange();
            let settle = p.get("settleCoin").filter(|s| !s.is_empty());
            let list: Vec<Value> = match p.get("symbol").filter(|s| !s.is_empty()) {
                Some(s) => {
                    let inst = instrument(&ex, kind, s)?;
                    ex.position(key, &inst.symbol)
                        .map(|pos| views::position(&pos, &inst))
                        .into_iter()
                        .collect()
                }
                None => ex
                    .positions(key)
                    .iter()
                    .filter(|pos| !pos.size.is_zero())
                    .filter_map(|pos| {
                        let inst = ex.instrument(&pos.symbol)?;
                        (inst.kind == kind && settle.is_none_or(|c| *c == inst.settle))
                            .then(|| views::position(pos, inst))
                    })
                    .collect(),
            };
            Ok(json!({ "category": category(kind), "list": list, "nextPageCursor": "" }))
        }
        "/v5/position/set-leverage" => {
            let kind = kind(p)?;
            let mut ex = inner.exchange();
            let inst = instrument(&ex, kind, required(p, "symbol")?)?;
            let buy = decimal(p, "buyLeverage")?
                .ok_or_else(|| BybitError::params("buyLeverage is required"))?;
            let sell = decimal(p, "sellLeverage")?
                .ok_or_else(|| BybitError::params("sellLeverage is required"))?;
            if buy != sell {
                return Err(BybitError::params(
                    "buyLeverage must equal sellLeverage in one-way mode",
                ));
            }
            ex.set_leverage(key, &inst.symbol, buy, now)
                .map_err(|e| BybitError::from_core(&e))?;
            Ok(json!({}))
        }
        "/v5/position/switch-isolated" => {
            let kind = kind(p)?;
            let mut ex = inner.exchange();
            let inst = instrument(&ex, kind, required(p, "symbol")?)?;
            let mode = match required(p, "tradeMode")? {
                "0" => MarginMode::Cross,
                "1" => MarginMode::Isolated,
                _ => return Err(BybitError::params("tradeMode invalid")),
            };
            ex.set_margin_mode(key, &inst.symbol, mode, now)
                .map_err(|e| match e {
                    crate::core::CoreError::Unchanged => BybitError::new(
                        errors::MARGIN_MODE_UNCHANGED,
                        "Cross/isolated margin mode has not been modified.",
                    ),
                    other => BybitError::from_core(&other),
                })?;
            if let Some(lev) = decimal(p, "buyLeverage")? {
                match ex.set_leverage(key, &inst.symbol, lev, now) {
                    Ok(()) | Err(crate::core::CoreError::Unchanged) => {}
                    Err(e) => return Err(BybitError::from_core(&e)),
                }
            }
            Ok(json!({}))
        }
        "/v5/account/set-margin-mode" => {
            let mode = match required(p, "setMarginMode")? {
                "ISOLATED_MARGIN" => MarginMode::Isolated,
                "REGULAR_MARGIN" | "PORTFOLIO_MARGIN" => MarginMode::Cross,
                _ => return Err(BybitError::params("setMarginMode invalid")),
            };
            let mut ex = inner.exchange();
            let symbols: Vec<String> = ex.instruments().map(|i| i.symbol.clone()).collect();
            let mut reasons = Vec::new();
            for s in &symbols {
                match ex.set_margin_mode(key, s, mode, now) {
                    Ok(()) | Err(crate::core::CoreError::Unchanged) => {}
                    Err(_) => reasons.push(json!({
                        "reasonCode": "110073",
                        "reasonMsg": format!("{s} has a position or open orders"),
                    })),
                }
            }
            if reasons.is_empty() {
                Ok(json!({ "reasons": [] }))
            } else {
                Err(BybitError::new(
                    errors::SET_MARGIN_MODE_FAILED,
                    "Set margin mode failed",
                ))
            }
        }
        "/v5/account/wallet-balance" => {
            match required(p, "accountType")? {
                "UNIFIED" => {}
                _ => return Err(BybitError::params("accountType only support UNIFIED")),
            }
            let ex = inner.exchange();
            let wanted: Option<Vec<&str>> = p
                .get("coin")
                .filter(|s| !s.is_empty())
                .map(|c| c.split(',').collect());
            let coins = wallet_coins(&ex, key, wanted.as_deref());
            Ok(json!({ "list": [views::wallet_account(&coins)] }))
        }
        "/v5/account/fee-rate" => {
            let kind = kind(p)?;
            let ex = inner.exchange();
            let symbol = p.get("symbol").filter(|s| !s.is_empty());
            let list: Vec<Value> = ex
                .instruments()
                .filter(|i| i.kind == kind && symbol.is_none_or(|s| *s == i.symbol))
                .map(|i| {
                    json!({
                        "symbol": i.symbol,
                        "baseCoin": "",
                        "takerFeeRate": views::amount(i.taker_fee),
                        "makerFeeRate": views::amount(i.maker_fee),
                    })
                })
                .collect();
            Ok(json!({ "list": list }))
        }
        "/v5/account/info" => Ok(json!({
            "unifiedMarginStatus": 6,
            "marginMode": "REGULAR_MARGIN",
            "isMasterTrader": false,
            "spotHedgingStatus": "OFF",
            "updatedTime": inner.started_ms.to_string(),
            "dcpStatus": if dcp_window(inner, key).is_some() { "ON" } else { "OFF" },
            "timeWindow": dcp_window(inner, key).unwrap_or(10),
            "smpGroup": 0,
        })),
        "/v5/account/query-dcp-info" => {
            let infos: Vec<Value> = dcp_window(inner, key)
                .map(|w| json!({ "product": "DERIVATIVES", "dcpStatus": "ON", "timeWindow": w.to_string() }))
                .into_iter()
                .collect();
            Ok(json!({ "dcpInfos": infos }))
        }
        "/v5/user/query-api" => Ok(query_api(inner, account)),
        "/v5/asset/coin/query-info" => {
            // The coins the simulator's contracts use, with no deposit or withdrawal chains:
            // the simulator moves no funds.
            let ex = inner.exchange();
            let mut coins: Vec<String> = ex
                .instruments()
                .flat_map(|i| [i.base.clone(), i.settle.clone()])
                .collect();
            coins.sort();
            coins.dedup();
            let wanted = p.get("coin").filter(|c| !c.is_empty());
            let rows: Vec<Value> = coins
                .iter()
                .filter(|c| wanted.is_none_or(|w| w == *c))
                .map(|c| json!({ "name": c, "coin": c, "remainAmount": "0", "chains": [] }))
                .collect();
            Ok(json!({ "rows": rows }))
        }
        "/v5/order/disconnected-cancel-all" => {
            // "DCP feature is only available for Ins clients. VIP clients cannot access this
            // feature": other accounts are refused as lacking the permission.
            if !account.institutional {
                return Err(BybitError::permission_denied());
            }
            let window = required(p, "timeWindow")?
                .parse::<i64>()
                .ok()
                .filter(|w| (3..=300).contains(w))
                .ok_or_else(|| BybitError::params("timeWindow must be in [3, 300]"))?;
            match p.get("product").map(String::as_str) {
                None | Some("" | "OPTIONS" | "SPOT") => {}
                Some("DERIVATIVES") => {
                    lock(&inner.dcp).entry(key.to_owned()).or_default().window_s = Some(window);
                }
                Some(_) => return Err(BybitError::params("product invalid")),
            }
            Ok(json!({}))
        }
        _ => Err(BybitError::route_not_found()),
    }
}

fn dcp_window(inner: &Inner, api_key: &str) -> Option<i64> {
    lock(&inner.dcp).get(api_key).and_then(|d| d.window_s)
}

/// The account's coins (all, or the `wanted` ones), each with its USD price: 1 for
/// stablecoins, the mark of the coin's inverse contract for BTC and ETH.
pub(super) fn wallet_coins(
    ex: &Exchange,
    api_key: &str,
    wanted: Option<&[&str]>,
) -> Vec<views::PricedWallet> {
    ex.wallets(api_key)
        .into_iter()
        .filter(|w| wanted.is_none_or(|c| c.contains(&w.coin.as_str())))
        .map(|wallet| {
            let usd_price = ex
                .instruments()
                .find(|i| i.kind == ContractKind::Inverse && i.base == wallet.coin)
                .and_then(|i| ex.mark(&i.symbol))
                .unwrap_or(Decimal::ONE);
            views::PricedWallet { wallet, usd_price }
        })
        .collect()
}

/// `GET /v5/user/query-api`: the key's permissions.
fn query_api(inner: &Inner, account: &SimAccount) -> Value {
    let perms = &account.permissions;
    let mut wallet = vec![json!("AccountTransfer"), json!("SubMemberTransfer")];
    if perms.withdraw {
        wallet.push(json!("Withdraw"));
    }
    let ips: Vec<Value> = if perms.ips.is_empty() {
        vec![json!("*")]
    } else {
        perms.ips.iter().map(|ip| json!(ip)).collect()
    };
    let mut permissions = Map::new();
    permissions.insert("ContractTrade".into(), json!(["Order", "Position"]));
    permissions.insert("Spot".into(), json!(["SpotTrade"]));
    permissions.insert("Wallet".into(), Value::Array(wallet));
    permissions.insert("Options".into(), json!(["OptionsTrade"]));
    permissions.insert("Derivatives".into(), json!(["DerivativesTrade"]));
    permissions.insert("Exchange".into(), json!(["ExchangeHistory"]));
    let started = inner.started_ms / 1000;
    json!({
        "id": "1",
        "note": "rampart-sim",
        "apiKey": account.api_key,
        "readOnly": if perms.read_only { 1 } else { 0 },
        "secret": "",
        "permissions": permissions,
        "ips": ips,
        "type": 1,
        "deadlineDay": -2,
        "expiredAt": "1970-01-01T00:00:00Z",
        "createdAt": format!("{started}"),
        "unified": 0,
        "uta": 1,
        "userID": 1,
        "inviterID": 0,
        "vipLevel": if account.institutional { "PRO-1" } else { "No VIP" },
        "mktMakerLevel": "0",
        "affiliateID": 0,
        "rsaPublicKey": "",
        "isMaster": true,
        "parentUid": "0",
        "kycLevel": "LEVEL_1",
        "kycRegion": "",
    })
}
