//! Order entry and queries (okx.com/docs-v5 "Order Book Trading > Trade"): place, cancel,
//! batch cancel, amend, order details, pending orders, order history, cancel-all-after.
//! Trade endpoints answer each order with `sCode`/`sMsg` inside `data`; the envelope's code is
//! "0" when all succeeded, "1" ("All operations failed") or "2" ("Bulk operation partially
//! succeeded") otherwise.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::super::errors::{OkxError, from_core};
use super::super::views::{self, OrderMeta};
use super::super::{Shared, lock, order_id};
use super::{
    Private, body_object, dropped_connection, field, query_params, required, required_q, respond,
    service_unavailable, verify,
};
use crate::core::{
    Amend, CancelFilter, Exchange, MarginMode, Order, OrderKind, OrderRef, OrderRequest, Side,
    TimeInForce,
};

/// How long the cancel-all-after countdown may be (s): 0 (off) or 10 to 120.
const CAA_RANGE: std::ops::RangeInclusive<u64> = 10..=120;

/// One order's result inside `data`.
fn item(
    cl_ord_id: &str,
    ord_id: &str,
    tag: &str,
    now: i64,
    err: Option<&OkxError>,
    ok_msg: &str,
) -> Value {
    let (code, msg) = match err {
        None => ("0".to_owned(), ok_msg.to_owned()),
        Some(e) => (e.code().to_owned(), e.message()),
    };
    json!({
        "clOrdId": cl_ord_id,
        "ordId": ord_id,
        "tag": tag,
        "ts": now.to_string(),
        "sCode": code,
        "sMsg": msg,
    })
}

/// The envelope of a trade endpoint: code 0/1/2 by how many items failed.
fn trade_answer(items: Vec<Value>, now: i64) -> Response {
    let failed = items.iter().filter(|i| i["sCode"] != "0").count();
    let (code, msg) = if failed == 0 {
        ("0", "")
    } else if failed == items.len() {
        ("1", "All operations failed")
    } else {
        ("2", "Bulk operation partially succeeded")
    };
    (
        StatusCode::OK,
        axum::Json(json!({
            "code": code,
            "msg": msg,
            "data": items,
            "inTime": (now * 1000).to_string(),
            "outTime": (now * 1000).to_string(),
        })),
    )
        .into_response()
}

/// `clOrdId`: "A combination of case-sensitive alphanumerics, all numbers, or all letters of
/// up to 32 characters."
fn valid_cl_ord_id(s: &str) -> bool {
    (1..=32).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_alphanumeric())
}

/// `tag`: "A combination of case-sensitive alphanumerics ... of up to 16 characters."
fn valid_tag(s: &str) -> bool {
    (1..=16).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_alphanumeric())
}

fn decimal(s: &str, name: &str) -> Result<Decimal, OkxError> {
    Decimal::from_str(s.trim()).map_err(|_| OkxError::Param(name.to_owned()))
}

/// Which fault a place-order request gets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fault {
    AcceptThenDrop,
    AcceptThen503,
    Refuse503,
}

/// Checks and places one order from its fields (a body object); the order as it stands.
fn place_one(p: &Private<'_>, map: &Map<String, Value>) -> Result<Order, OkxError> {
    let inst_id = required(map, "instId")?;
    let listing = p
        .inner
        .listing(&inst_id)
        .ok_or(OkxError::UnknownInstrument)?;
    let td_mode = required(map, "tdMode")?;
    let mode = match td_mode.as_str() {
        "cross" => MarginMode::Cross,
        "isolated" => MarginMode::Isolated,
        _ => return Err(OkxError::Param("tdMode".into())),
    };
    let side = match required(map, "side")?.as_str() {
        "buy" => Side::Buy,
        "sell" => Side::Sell,
        _ => return Err(OkxError::Param("side".into())),
    };
    let (kind, tif) = match required(map, "ordType")?.as_str() {
        "market" | "optimal_limit_ioc" => (OrderKind::Market, TimeInForce::Ioc),
        "limit" => (OrderKind::Limit, TimeInForce::Gtc),
        "post_only" => (OrderKind::Limit, TimeInForce::PostOnly),
        "fok" => (OrderKind::Limit, TimeInForce::Fok),
        "ioc" => (OrderKind::Limit, TimeInForce::Ioc),
        _ => return Err(OkxError::Param("ordType".into())),
    };
    let sz = decimal(&required(map, "sz")?, "sz")?;
    let px = match kind {
        OrderKind::Limit => Some(decimal(
            &field(map, "px").ok_or_else(|| OkxError::Param("px".into()))?,
            "px",
        )?),
        OrderKind::Market => None,
    };
    // The simulator's accounts are in net (one-way) mode: posSide is net or absent.
    if let Some(pos_side) = field(map, "posSide")
        && pos_side != "net"
    {
        return Err(OkxError::Param("posSide".into()));
    }
    let reduce_only = match field(map, "reduceOnly").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(OkxError::Param("reduceOnly".into())),
    };
    let cl_ord_id = field(map, "clOrdId");
    if cl_ord_id.as_deref().is_some_and(|c| !valid_cl_ord_id(c)) {
        return Err(OkxError::Param("clOrdId".into()));
    }
    let tag = field(map, "tag").unwrap_or_default();
    if !tag.is_empty() && !valid_tag(&tag) {
        return Err(OkxError::Param("tag".into()));
    }
    let mut ex = p.inner.exchange.lock();
    let current = ex
        .position(&p.account, &inst_id)
        .map(|pos| pos.margin_mode)
        .unwrap_or_default();
    if current != mode {
        match ex.set_margin_mode(&p.account, &inst_id, mode, p.now) {
            Ok(()) | Err(crate::core::CoreError::Unchanged) => {}
            Err(_) => return Err(OkxError::Param("tdMode".into())),
        }
    }
    let req = OrderRequest {
        symbol: inst_id.clone(),
        side,
        kind,
        qty: sz,
        price: px,
        time_in_force: tif,
        reduce_only,
        client_id: cl_ord_id,
        trigger: None,
    };
    // The order's id is known before it is placed (the next in sequence), so its trade mode
    // and tag are on record before any stream sees the order.
    let next_id = order_id(ex.order_count() as u64 + 1);
    lock(&p.inner.meta).insert(next_id.clone(), OrderMeta { td_mode, tag });
    match ex.place(&p.account, req, p.now) {
        Ok(order) => Ok(order),
        Err(err) => {
            lock(&p.inner.meta).remove(&next_id);
            Err(from_core(&err, &listing.inst.settle))
        }
    }
}

/// The fault (if any) the next place request gets; see [`super::super::Faults::every`].
fn next_fault(inner: &Shared) -> Option<Fault> {
    let faults = inner.faults();
    let n = inner.order_requests.fetch_add(1, Ordering::Relaxed) + 1;
    (faults.every > 0 && n.is_multiple_of(u64::from(faults.every))).then(|| {
        match (n / u64::from(faults.every)) % 3 {
            1 => Fault::AcceptThenDrop,
            2 => Fault::AcceptThen503,
            _ => Fault::Refuse503,
        }
    })
}

/// Places each order of a request (each counted against the `endpoint`'s limit of its
/// instrument, `per_2s` per User ID + Instrument ID, when given) and answers them together, through the fault knob.
fn place_all(
    inner: &Shared,
    p: &Private<'_>,
    orders: &[Map<String, Value>],
    limit: Option<(&'static str, u32)>,
) -> Response {
    let fault = next_fault(inner);
    if fault == Some(Fault::Refuse503) {
        return service_unavailable();
    }
    let items = orders
        .iter()
        .map(|map| {
            let tag = field(map, "tag").unwrap_or_default();
            let cl = field(map, "clOrdId").unwrap_or_default();
            let inst_id = field(map, "instId").unwrap_or_default();
            if let Some((endpoint, per_2s)) = limit
                && !inner.allow(&p.account, endpoint, &inst_id, per_2s, 2_000, p.now)
            {
                return item(&cl, "", &tag, p.now, Some(&OkxError::RateLimited), "");
            }
            match place_one(p, map) {
                Ok(o) => item(&cl, &o.id, &tag, p.now, None, "Order placed"),
                Err(e) => item(&cl, "", &tag, p.now, Some(&e), ""),
            }
        })
        .collect();
    match fault {
        Some(Fault::AcceptThenDrop) => dropped_connection(),
        Some(Fault::AcceptThen503) => service_unavailable(),
        _ => trade_answer(items, p.now),
    }
}

/// Place order: one order; over the limit (60 per 2 s per instrument) the request itself is
/// refused with 50011 and HTTP 429.
pub(super) async fn place(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let p = match verify(&inner, &method, &uri, &headers, &body) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = p.require_trade() {
        return e.into_response();
    }
    let map = match body_object(&body) {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let inst_id = field(&map, "instId").unwrap_or_default();
    let limit = inner.config.rate_limits.place_per_2s;
    if !inner.allow(&p.account, "place", &inst_id, limit, 2_000, p.now) {
        return OkxError::RateLimited.into_response();
    }
    place_all(&inner, &p, std::slice::from_ref(&map), None)
}

/// Place multiple orders: "Place orders in batches. Maximum 20 orders can be placed per
/// request"; counted per order, 300 orders per 2 s per instrument (an order over it is
/// refused alone, with 50011 in its sCode).
pub(super) async fn place_batch(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let p = match verify(&inner, &method, &uri, &headers, &body) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = p.require_trade() {
        return e.into_response();
    }
    let list = match body_list(&body) {
        Ok(l) => l,
        Err(e) => return e.into_response(),
    };
    let limit = inner.config.rate_limits.place_per_2s * 5;
    place_all(&inner, &p, &list, Some(("place-batch", limit)))
}

/// A batch request's body: a JSON array of 1 to 20 objects.
fn body_list(body: &str) -> Result<Vec<Map<String, Value>>, OkxError> {
    let list: Vec<Map<String, Value>> = match serde_json::from_str::<Value>(body) {
        Ok(Value::Array(items)) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::Object(m) => Some(m),
                _ => None,
            })
            .collect(),
        _ => return Err(OkxError::Other("50002", "Json data format error".into())),
    };
    if list.is_empty() || list.len() > 20 {
        return Err(OkxError::Param("body".into()));
    }
    Ok(list)
}

/// The order `ordId` or `clOrdId` names (`ordId` wins), on `instId`.
fn find<'e>(
    ex: &'e Exchange,
    account: &str,
    inst_id: &str,
    ord_id: Option<&str>,
    cl_ord_id: Option<&str>,
) -> Result<&'e Order, OkxError> {
    let r = match (ord_id, cl_ord_id) {
        (Some(id), _) => OrderRef::Id(id),
        (None, Some(cl)) => OrderRef::ClientId(cl),
        (None, None) => return Err(OkxError::Empty("ordId".into())),
    };
    ex.order(account, r)
        .filter(|o| o.symbol == inst_id)
        .ok_or(OkxError::OrderNotFound)
}

/// An order as Get order details shows it.
fn order_view(p: &Private<'_>, ex: &Exchange, o: &Order) -> Value {
    let listing = p.inner.listing(&o.symbol);
    let lever = ex
        .position(&p.account, &o.symbol)
        .map_or(Decimal::ONE, |pos| pos.leverage);
    let meta = lock(&p.inner.meta).get(&o.id).cloned();
    views::order_json(o, listing, meta.as_ref(), lever, None)
}

pub(super) async fn query(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let result = verify(&inner, &method, &uri, &headers, "").and_then(|p| {
        let q = query_params(&uri);
        let inst_id = required_q(&q, "instId")?;
        let ex = p.inner.exchange.lock();
        let o = find(
            &ex,
            &p.account,
            &inst_id,
            q.get("ordId").map(String::as_str).filter(|s| !s.is_empty()),
            q.get("clOrdId")
                .map(String::as_str)
                .filter(|s| !s.is_empty()),
        )?;
        Ok(json!([order_view(&p, &ex, o)]))
    });
    respond(result)
}

/// Cancels one order from its fields; the order's (clOrdId, ordId).
fn cancel_one(p: &Private<'_>, map: &Map<String, Value>) -> Result<(String, String), OkxError> {
    let inst_id = required(map, "instId")?;
    p.inner
        .listing(&inst_id)
        .ok_or(OkxError::UnknownInstrument)?;
    let ord_id = field(map, "ordId");
    let cl = field(map, "clOrdId");
    let mut ex = p.inner.exchange.lock();
    let o = find(&ex, &p.account, &inst_id, ord_id.as_deref(), cl.as_deref())?;
    if !o.is_open() {
        return Err(OkxError::CancelFinished);
    }
    let id = o.id.clone();
    let o = ex
        .cancel(&p.account, OrderRef::Id(&id), p.now)
        .map_err(|e| match e {
            crate::core::CoreError::OrderFinished => OkxError::CancelFinished,
            other => from_core(&other, ""),
        })?;
    Ok((o.client_id.unwrap_or_default(), o.id))
}

fn cancel_item(p: &Private<'_>, map: &Map<String, Value>) -> Value {
    let cl = field(map, "clOrdId").unwrap_or_default();
    let ord_id = field(map, "ordId").unwrap_or_default();
    match cancel_one(p, map) {
        Ok((cl, id)) => {
            json!({"clOrdId": cl, "ordId": id, "ts": p.now.to_string(), "sCode": "0", "sMsg": ""})
        }
        Err(e) => {
            json!({"clOrdId": cl, "ordId": ord_id, "ts": p.now.to_string(), "sCode": e.code(), "sMsg": e.message()})
        }
    }
}

pub(super) async fn cancel(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let p = match verify(&inner, &method, &uri, &headers, &body) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = p.require_trade() {
        return e.into_response();
    }
    let map = match body_object(&body) {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let inst_id = field(&map, "instId").unwrap_or_default();
    let limit = inner.config.rate_limits.cancel_per_2s;
    if !inner.allow(&p.account, "cancel", &inst_id, limit, 2_000, p.now) {
        return OkxError::RateLimited.into_response();
    }
    trade_answer(vec![cancel_item(&p, &map)], p.now)
}

/// Cancel multiple orders: "Maximum 20 orders can be canceled per request"; counted per
/// order (300 orders per 2 s per instrument).
pub(super) async fn cancel_batch(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let p = match verify(&inner, &method, &uri, &headers, &body) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = p.require_trade() {
        return e.into_response();
    }
    let list = match body_list(&body) {
        Ok(l) => l,
        Err(e) => return e.into_response(),
    };
    let limit = inner.config.rate_limits.cancel_per_2s * 5;
    let items = list
        .iter()
        .map(|m| {
            let inst_id = field(m, "instId").unwrap_or_default();
            if inner.allow(&p.account, "cancel-batch", &inst_id, limit, 2_000, p.now) {
                cancel_item(&p, m)
            } else {
                let e = OkxError::RateLimited;
                json!({"clOrdId": field(m, "clOrdId").unwrap_or_default(), "ordId": field(m, "ordId").unwrap_or_default(), "ts": p.now.to_string(), "sCode": e.code(), "sMsg": e.message()})
            }
        })
        .collect();
    trade_answer(items, p.now)
}

fn amend_one(p: &Private<'_>, map: &Map<String, Value>) -> Result<(String, String), OkxError> {
    let inst_id = required(map, "instId")?;
    let listing = p
        .inner
        .listing(&inst_id)
        .ok_or(OkxError::UnknownInstrument)?;
    let qty = field(map, "newSz")
        .map(|s| decimal(&s, "newSz"))
        .transpose()?;
    let price = field(map, "newPx")
        .map(|s| decimal(&s, "newPx"))
        .transpose()?;
    if qty.is_none() && price.is_none() {
        return Err(OkxError::Other(
            "51000",
            "Parameter newSz or newPx error".into(),
        ));
    }
    let ord_id = field(map, "ordId");
    let cl = field(map, "clOrdId");
    let mut ex = p.inner.exchange.lock();
    let id = find(&ex, &p.account, &inst_id, ord_id.as_deref(), cl.as_deref())?
        .id
        .clone();
    let amend = Amend {
        qty,
        price,
        trigger_price: None,
    };
    let o = ex
        .amend(&p.account, OrderRef::Id(&id), amend, p.now)
        .map_err(|e| match e {
            crate::core::CoreError::OrderFinished => OkxError::AmendFinished,
            crate::core::CoreError::PriceNotOnTick => OkxError::Param("newPx".into()),
            other => from_core(&other, &listing.inst.settle),
        })?;
    Ok((o.client_id.unwrap_or_default(), o.id))
}

pub(super) async fn amend(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let p = match verify(&inner, &method, &uri, &headers, &body) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = p.require_trade() {
        return e.into_response();
    }
    let map = match body_object(&body) {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let inst_id = field(&map, "instId").unwrap_or_default();
    let limit = inner.config.rate_limits.amend_per_2s;
    if !inner.allow(&p.account, "amend", &inst_id, limit, 2_000, p.now) {
        return OkxError::RateLimited.into_response();
    }
    let req_id = field(&map, "reqId").unwrap_or_default();
    let item = match amend_one(&p, &map) {
        Ok((cl, id)) => {
            json!({"clOrdId": cl, "ordId": id, "reqId": req_id, "ts": p.now.to_string(), "sCode": "0", "sMsg": ""})
        }
        Err(e) => {
            json!({"clOrdId": field(&map, "clOrdId").unwrap_or_default(), "ordId": field(&map, "ordId").unwrap_or_default(), "reqId": req_id, "ts": p.now.to_string(), "sCode": e.code(), "sMsg": e.message()})
        }
    };
    trade_answer(vec![item], p.now)
}

/// Whether an order passes the optional `instType`, `instId`, `ordType` and `state` filters.
fn passes(p: &Private<'_>, q: &HashMap<String, String>, o: &Order) -> bool {
    let want = |name: &str, value: &str| {
        q.get(name)
            .is_none_or(|w| w.is_empty() || w.split(',').any(|w| w == value))
    };
    let inst_type = p
        .inner
        .listing(&o.symbol)
        .map_or("", |l| l.inst_type.wire());
    want("instType", inst_type)
        && want("instId", &o.symbol)
        && want("ordType", views::ord_type(o))
        && want("state", views::state(o))
}

fn limit(q: &HashMap<String, String>) -> Result<usize, OkxError> {
    match q.get("limit").filter(|s| !s.is_empty()) {
        None => Ok(100),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| OkxError::Param("limit".into())),
    }
}

/// Get order list: the account's pending orders, newest first.
pub(super) async fn pending(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let result = verify(&inner, &method, &uri, &headers, "").and_then(|p| {
        let q = query_params(&uri);
        let n = limit(&q)?;
        let ex = p.inner.exchange.lock();
        let mut open = ex.open_orders(&p.account, &CancelFilter::default());
        open.reverse();
        Ok(Value::Array(
            open.iter()
                .filter(|o| passes(&p, &q, o))
                .take(n)
                .map(|o| order_view(&p, &ex, o))
                .collect(),
        ))
    });
    respond(result)
}

/// Get algo order list (`GET /api/v5/trade/orders-algo-pending`, `ordType` required): the
/// simulator takes no algo orders (see [`place_algo`]), so the list is always empty; clients that
/// read regular and algo orders together get OKX's answer shape for both.
pub(super) async fn algo_pending(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let result = verify(&inner, &method, &uri, &headers, "").and_then(|_| {
        let q = query_params(&uri);
        required_q(&q, "ordType")?;
        limit(&q)?;
        Ok(Value::Array(Vec::new()))
    });
    respond(result)
}

/// Place algo order (`POST /api/v5/trade/order-algo`): not simulated. Conditional, trigger and
/// trailing orders are refused after the signature check with OKX's parameter error on
/// `ordType`, so a client learns it at once instead of waiting on an order that never triggers.
pub(super) async fn place_algo(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let result = verify(&inner, &method, &uri, &headers, &body)
        .and_then(|_| Err::<Value, _>(OkxError::Param("ordType".into())));
    respond(result)
}

/// Get algo order details by `algoId` or `algoClOrdId`: with no algo orders taken, every
/// lookup is OKX's "Order does not exist" (51603).
pub(super) async fn algo_query(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let result = verify(&inner, &method, &uri, &headers, "").and_then(|_| {
        let q = query_params(&uri);
        let named = |k: &str| q.get(k).is_some_and(|v| !v.is_empty());
        if !named("algoId") && !named("algoClOrdId") {
            return Err(OkxError::Param("algoId".into()));
        }
        Err(OkxError::OrderNotFound)
    });
    respond(result)
}

/// Get order history (last 7 days): finished orders of `instType` (required), newest first.
pub(super) async fn history(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let result = verify(&inner, &method, &uri, &headers, "").and_then(|p| {
        let q = query_params(&uri);
        required_q(&q, "instType")?;
        let n = limit(&q)?;
        let ex = p.inner.exchange.lock();
        let week_ago = p.now - 7 * 86_400_000;
        Ok(Value::Array(
            ex.orders(&p.account)
                .iter()
                .filter(|o| !o.is_open() && o.updated_ms >= week_ago)
                .filter(|o| passes(&p, &q, o))
                .take(n)
                .map(|o| order_view(&p, &ex, o))
                .collect(),
        ))
    });
    respond(result)
}

/// The countdown's scope in the core.
const CAA_SCOPE: &str = "cancel-all-after";

/// Cancel All After: `timeOut` 0 stops the countdown; 10 to 120 (s) (re)arms it, and every
/// pending order of the account is cancelled when it runs out. 1 request per second.
pub(super) async fn cancel_all_after(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let result = verify(&inner, &method, &uri, &headers, &body).and_then(|p| {
        p.require_trade()?;
        let map = body_object(&body)?;
        if !p.inner.allow(&p.account, "caa", "", 1, 1_000, p.now) {
            return Err(OkxError::RateLimited);
        }
        let secs: u64 = required(&map, "timeOut")?
            .parse()
            .map_err(|_| OkxError::Param("timeOut".into()))?;
        // A countdown per tag is not modelled: the simulator's covers every pending order.
        if field(&map, "tag").is_some() {
            return Err(OkxError::Param("tag".into()));
        }
        let mut ex = p.inner.exchange.lock();
        let trigger = if secs == 0 {
            ex.disarm_dead_man(&p.account, CAA_SCOPE);
            0
        } else if CAA_RANGE.contains(&secs) {
            let deadline = p.now + i64::try_from(secs * 1000).unwrap_or(120_000);
            ex.arm_dead_man(&p.account, CAA_SCOPE, deadline, CancelFilter::default());
            deadline
        } else {
            return Err(OkxError::Param("timeOut".into()));
        };
        Ok(json!([{ "triggerTime": trigger.to_string(), "tag": "", "ts": p.now.to_string() }]))
    });
    respond(result)
}
