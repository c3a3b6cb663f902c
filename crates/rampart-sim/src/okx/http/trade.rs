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
use super::super::views::{self, AlgoLeg, AlgoMeta, OrderMeta};
use super::super::{Shared, algo_id, lock, order_id};
use super::{
    Private, dropped_connection, field, private_read, required, required_q, respond,
    service_unavailable, trade_body, trade_list,
};
use crate::core::{
    Amend, CancelFilter, Exchange, MarginMode, Order, OrderKind, OrderRef, OrderRequest, Side,
    TimeInForce, Trigger, TriggerBy, TriggerDirection,
};

/// How long the cancel-all-after countdown may be (s): 0 (off) or 10 to 120.
const CAA_RANGE: std::ops::RangeInclusive<u64> = 10..=120;

/// An item's `sCode` and `sMsg`: "0" and `ok_msg`, or the refusal's.
fn outcome(err: Option<&OkxError>, ok_msg: &str) -> (String, String) {
    match err {
        None => ("0".to_owned(), ok_msg.to_owned()),
        Some(e) => (e.code().to_owned(), e.message()),
    }
}

/// One order's result inside `data`.
fn item(
    cl_ord_id: &str,
    ord_id: &str,
    tag: &str,
    now: i64,
    err: Option<&OkxError>,
    ok_msg: &str,
) -> Value {
    let (code, msg) = outcome(err, ok_msg);
    json!({
        "clOrdId": cl_ord_id,
        "ordId": ord_id,
        "tag": tag,
        "ts": now.to_string(),
        "sCode": code,
        "sMsg": msg,
    })
}

/// The envelope's code and message for `items`: 0 when none failed, 1 (`all_failed`) when all
/// did, 2 otherwise.
fn batch_code<'m>(items: &[Value], all_failed: &'m str) -> (&'static str, &'m str) {
    let failed = items.iter().filter(|i| i["sCode"] != "0").count();
    if failed == 0 {
        ("0", "")
    } else if failed == items.len() {
        ("1", all_failed)
    } else {
        ("2", "Bulk operation partially succeeded")
    }
}

/// The envelope of a trade endpoint: code 0/1/2 by how many items failed.
fn trade_answer(items: Vec<Value>, now: i64) -> Response {
    let (code, msg) = batch_code(&items, "All operations failed");
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

/// What every order carries, regular or algo, checked.
struct Common {
    inst_id: String,
    /// The instrument's settle coin (for 51008).
    settle: String,
    td_mode: String,
    mode: MarginMode,
    side: Side,
    sz: Decimal,
    reduce_only: bool,
    tag: String,
}

fn common(p: &Private<'_>, map: &Map<String, Value>) -> Result<Common, OkxError> {
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
    let sz = decimal(&required(map, "sz")?, "sz")?;
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
    let tag = field(map, "tag").unwrap_or_default();
    if !tag.is_empty() && !valid_tag(&tag) {
        return Err(OkxError::Param("tag".into()));
    }
    Ok(Common {
        settle: listing.inst.settle.clone(),
        inst_id,
        td_mode,
        mode,
        side,
        sz,
        reduce_only,
        tag,
    })
}

/// What kind of order goes to the core, beyond [`Common`].
struct Entry {
    kind: OrderKind,
    price: Option<Decimal>,
    tif: TimeInForce,
    client_id: Option<String>,
    /// An algo order: its fields (`algo_id` is filled in here) and its trigger's price source.
    algo: Option<(AlgoMeta, TriggerBy)>,
}

/// Places a checked order in the core under one lock: the margin mode follows `tdMode`, an
/// algo order's trigger is checked against the price it watches, and the order's meta is on
/// record before any stream sees it.
fn submit(p: &Private<'_>, c: Common, entry: Entry) -> Result<Order, OkxError> {
    let mut ex = p.inner.exchange.lock();
    let trigger = match &entry.algo {
        None => None,
        Some((algo, by)) => {
            let watched = match by {
                TriggerBy::Mark => ex.mark(&c.inst_id),
                TriggerBy::Last => ex.ticker(&c.inst_id, p.now).map(|t| t.last),
            }
            .ok_or(OkxError::UnknownInstrument)?;
            Some(Trigger {
                price: algo.trigger_px,
                by: *by,
                direction: trigger_direction(algo.leg, c.side, algo.trigger_px, watched)?,
            })
        }
    };
    let current = ex
        .position(&p.account, &c.inst_id)
        .map(|pos| pos.margin_mode)
        .unwrap_or_default();
    if current != c.mode {
        match ex.set_margin_mode(&p.account, &c.inst_id, c.mode, p.now) {
            Ok(()) | Err(crate::core::CoreError::Unchanged) => {}
            Err(_) => return Err(OkxError::Param("tdMode".into())),
        }
    }
    let req = OrderRequest {
        symbol: c.inst_id.clone(),
        side: c.side,
        kind: entry.kind,
        qty: c.sz,
        price: entry.price,
        time_in_force: entry.tif,
        reduce_only: c.reduce_only,
        client_id: entry.client_id,
        trigger,
    };
    // The order's id is known before it is placed (the next in sequence).
    let seq = ex.order_count() as u64 + 1;
    let next_id = order_id(seq);
    let algo = entry.algo.map(|(a, _)| AlgoMeta {
        algo_id: algo_id(seq),
        ..a
    });
    lock(&p.inner.meta).insert(
        next_id.clone(),
        OrderMeta {
            td_mode: c.td_mode,
            tag: c.tag,
            algo,
        },
    );
    match ex.place(&p.account, req, p.now) {
        Ok(order) => Ok(order),
        Err(err) => {
            lock(&p.inner.meta).remove(&next_id);
            Err(from_core(&err, &c.settle))
        }
    }
}

/// Checks and places one regular order from its fields (a body object); the order as it
/// stands.
fn place_one(p: &Private<'_>, map: &Map<String, Value>) -> Result<Order, OkxError> {
    let c = common(p, map)?;
    let (kind, tif) = match required(map, "ordType")?.as_str() {
        "market" | "optimal_limit_ioc" => (OrderKind::Market, TimeInForce::Ioc),
        "limit" => (OrderKind::Limit, TimeInForce::Gtc),
        "post_only" => (OrderKind::Limit, TimeInForce::PostOnly),
        "fok" => (OrderKind::Limit, TimeInForce::Fok),
        "ioc" => (OrderKind::Limit, TimeInForce::Ioc),
        _ => return Err(OkxError::Param("ordType".into())),
    };
    let price = match kind {
        OrderKind::Limit => Some(decimal(
            &field(map, "px").ok_or_else(|| OkxError::Param("px".into()))?,
            "px",
        )?),
        OrderKind::Market => None,
    };
    let client_id = field(map, "clOrdId");
    if client_id.as_deref().is_some_and(|c| !valid_cl_ord_id(c)) {
        return Err(OkxError::Param("clOrdId".into()));
    }
    let entry = Entry {
        kind,
        price,
        tif,
        client_id,
        algo: None,
    };
    submit(p, c, entry)
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
    let (p, map) = match trade_body(&inner, &method, &uri, &headers, &body) {
        Ok(v) => v,
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
    let (p, list) = match trade_list(&inner, &method, &uri, &headers, &body, 20) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let limit = inner.config.rate_limits.place_per_2s * 5;
    place_all(&inner, &p, &list, Some(("place-batch", limit)))
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
        .filter(|o| o.symbol == inst_id && views::is_regular(o))
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
    private_read(&inner, &method, &uri, &headers, |p, q| {
        let inst_id = required_q(q, "instId")?;
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
        Ok(json!([order_view(p, &ex, o)]))
    })
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
    let (p, map) = match trade_body(&inner, &method, &uri, &headers, &body) {
        Ok(v) => v,
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
    let (p, list) = match trade_list(&inner, &method, &uri, &headers, &body, 20) {
        Ok(v) => v,
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
    let (p, map) = match trade_body(&inner, &method, &uri, &headers, &body) {
        Ok(v) => v,
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

/// Whether a regular order (see [`views::is_regular`]) passes the optional `instType`,
/// `instId`, `ordType` and `state` filters.
fn passes(p: &Private<'_>, q: &HashMap<String, String>, o: &Order) -> bool {
    let want = |name: &str, value: &str| {
        q.get(name)
            .is_none_or(|w| w.is_empty() || w.split(',').any(|w| w == value))
    };
    let inst_type = p
        .inner
        .listing(&o.symbol)
        .map_or("", |l| l.inst_type.wire());
    views::is_regular(o)
        && want("instType", inst_type)
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
    private_read(&inner, &method, &uri, &headers, |p, q| {
        let n = limit(q)?;
        let ex = p.inner.exchange.lock();
        let mut open = ex.open_orders(&p.account, &CancelFilter::default());
        open.reverse();
        Ok(Value::Array(
            open.iter()
                .filter(|o| passes(p, q, o))
                .take(n)
                .map(|o| order_view(p, &ex, o))
                .collect(),
        ))
    })
}

/// When an algo order fires, from its leg, side and the price it watches now; a trigger on the
/// wrong side of that price is refused with OKX's codes for it (51277 to 51280). A stop-loss
/// buy (closing a short) fires when the price rises to it, a stop-loss sell when it falls; a
/// take-profit the other way round; a plain trigger from whichever side the price is on now.
fn trigger_direction(
    leg: AlgoLeg,
    side: Side,
    trigger: Decimal,
    watched: Decimal,
) -> Result<TriggerDirection, OkxError> {
    let refuse = |code: &'static str, text: &str| Err(OkxError::Other(code, text.to_owned()));
    match (leg, side) {
        (AlgoLeg::StopLoss, Side::Buy) if trigger <= watched => refuse(
            "51278",
            "SL trigger price cannot be lower than the last price",
        ),
        (AlgoLeg::StopLoss, Side::Sell) if trigger >= watched => refuse(
            "51280",
            "SL trigger price cannot be higher than the last price",
        ),
        (AlgoLeg::TakeProfit, Side::Buy) if trigger >= watched => refuse(
            "51277",
            "TP trigger price cannot be higher than the last price",
        ),
        (AlgoLeg::TakeProfit, Side::Sell) if trigger <= watched => refuse(
            "51279",
            "TP trigger price cannot be lower than the last price",
        ),
        (AlgoLeg::StopLoss, Side::Buy) | (AlgoLeg::TakeProfit, Side::Sell) => {
            Ok(TriggerDirection::Rise)
        }
        (AlgoLeg::StopLoss, Side::Sell) | (AlgoLeg::TakeProfit, Side::Buy) => {
            Ok(TriggerDirection::Fall)
        }
        (AlgoLeg::Trigger, _) if trigger > watched => Ok(TriggerDirection::Rise),
        (AlgoLeg::Trigger, _) if trigger < watched => Ok(TriggerDirection::Fall),
        (AlgoLeg::Trigger, _) => Err(OkxError::Param("triggerPx".into())),
    }
}

/// An algo order's trigger: its price, the price it watches (`last` by default; the
/// simulator's index stays within two ticks of its mark, so `index` watches the mark) and the
/// order price ("-1": at market).
fn algo_leg(
    map: &Map<String, Value>,
    trigger: &str,
    kind: &str,
    ord_px: &str,
) -> Result<(Decimal, String, TriggerBy, Option<Decimal>, String), OkxError> {
    let px = decimal(&required(map, trigger)?, trigger)?;
    let px_type = field(map, kind).unwrap_or_else(|| "last".into());
    let by = match px_type.as_str() {
        "last" => TriggerBy::Last,
        "mark" | "index" => TriggerBy::Mark,
        _ => return Err(OkxError::Param(kind.to_owned())),
    };
    let ord = required(map, ord_px)?;
    let limit = match ord.trim() {
        "-1" => None,
        text => Some(decimal(text, ord_px)?),
    };
    Ok((px, px_type, by, limit, ord))
}

/// Checks and places one algo order (`conditional` with a take-profit or a stop-loss
/// trigger, or `trigger`); the core holds it as a conditional order until it fires.
fn place_algo_one(
    p: &Private<'_>,
    map: &Map<String, Value>,
) -> Result<(Order, AlgoMeta), OkxError> {
    let ord_type = required(map, "ordType")?;
    let c = common(p, map)?;
    let algo_cl_ord_id = field(map, "algoClOrdId").unwrap_or_default();
    if !algo_cl_ord_id.is_empty() && !valid_cl_ord_id(&algo_cl_ord_id) {
        return Err(OkxError::Param("algoClOrdId".into()));
    }
    if field(map, "closeFraction").is_some() {
        // Closing a whole position without a size is not simulated.
        return Err(OkxError::Param("closeFraction".into()));
    }
    let (ord_type, leg, (px, px_type, by, limit, ord)) = match ord_type.as_str() {
        "conditional" => {
            let tp = field(map, "tpTriggerPx").is_some();
            let sl = field(map, "slTriggerPx").is_some();
            match (tp, sl) {
                (true, false) => (
                    "conditional",
                    AlgoLeg::TakeProfit,
                    algo_leg(map, "tpTriggerPx", "tpTriggerPxType", "tpOrdPx")?,
                ),
                (false, true) => (
                    "conditional",
                    AlgoLeg::StopLoss,
                    algo_leg(map, "slTriggerPx", "slTriggerPxType", "slOrdPx")?,
                ),
                // Both at once is an `oco` order, which the simulator does not take.
                (true, true) => return Err(OkxError::Param("ordType".into())),
                (false, false) => return Err(OkxError::Empty("slTriggerPx".into())),
            }
        }
        "trigger" => (
            "trigger",
            AlgoLeg::Trigger,
            algo_leg(map, "triggerPx", "triggerPxType", "orderPx")?,
        ),
        // oco, move_order_stop, twap, iceberg, chase: not simulated.
        _ => return Err(OkxError::Param("ordType".into())),
    };
    {
        // algoClOrdId names one waiting algo order at a time (the code is the regular
        // orders' one: OKX documents none of its own).
        let ex = p.inner.exchange.lock();
        if !algo_cl_ord_id.is_empty()
            && algo_orders(p, &ex)
                .iter()
                .any(|(o, _, a)| a.algo_cl_ord_id == algo_cl_ord_id && o.is_open())
        {
            return Err(OkxError::DuplicateClOrdId);
        }
    }
    let meta = AlgoMeta {
        algo_id: String::new(),
        algo_cl_ord_id,
        ord_type,
        leg,
        trigger_px: px,
        trigger_px_type: px_type,
        ord_px: ord,
    };
    let entry = Entry {
        kind: if limit.is_some() {
            OrderKind::Limit
        } else {
            OrderKind::Market
        },
        price: limit,
        tif: if limit.is_some() {
            TimeInForce::Gtc
        } else {
            TimeInForce::Ioc
        },
        client_id: None,
        algo: Some((meta, by)),
    };
    let order = submit(p, c, entry)?;
    let algo = lock(&p.inner.meta)
        .get(&order.id)
        .and_then(|m| m.algo.clone())
        .ok_or(OkxError::OrderNotFound)?;
    Ok((order, algo))
}

/// The account's algo orders with their meta, newest first.
fn algo_orders(p: &Private<'_>, ex: &Exchange) -> Vec<(Order, OrderMeta, AlgoMeta)> {
    let meta = lock(&p.inner.meta);
    ex.orders(&p.account)
        .into_iter()
        .filter_map(|o| {
            let m = meta.get(&o.id)?;
            let a = m.algo.clone()?;
            Some((o, m.clone(), a))
        })
        .collect()
}

/// An algo order as the algo endpoints show it.
fn algo_view(
    p: &Private<'_>,
    ex: &mut Exchange,
    o: &Order,
    meta: &OrderMeta,
    a: &AlgoMeta,
) -> Value {
    let lever = ex
        .position(&p.account, &o.symbol)
        .map_or(Decimal::ONE, |pos| pos.leverage);
    let last = ex.ticker(&o.symbol, p.now).map(|t| t.last);
    views::algo_json(o, p.inner.listing(&o.symbol), meta, a, lever, last)
}

/// The algo order `algoId` or `algoClOrdId` names (`algoId` wins; the newest of a reused
/// client id).
fn find_algo(
    p: &Private<'_>,
    ex: &Exchange,
    algo_id: Option<&str>,
    algo_cl_ord_id: Option<&str>,
) -> Result<(Order, OrderMeta, AlgoMeta), OkxError> {
    let want = |a: &AlgoMeta| match (algo_id, algo_cl_ord_id) {
        (Some(id), _) => a.algo_id == id,
        (None, Some(cl)) => a.algo_cl_ord_id == cl,
        (None, None) => false,
    };
    algo_orders(p, ex)
        .into_iter()
        .find(|(_, _, a)| want(a))
        .ok_or(OkxError::OrderNotFound)
}

/// Whether an algo order passes the list filters (`ordType`, comma-separated, is required).
fn algo_passes(p: &Private<'_>, q: &HashMap<String, String>, o: &Order, a: &AlgoMeta) -> bool {
    let want = |name: &str, value: &str| {
        q.get(name)
            .is_none_or(|w| w.is_empty() || w.split(',').any(|w| w == value))
    };
    let inst_type = p
        .inner
        .listing(&o.symbol)
        .map_or("", |l| l.inst_type.wire());
    want("ordType", a.ord_type)
        && want("instType", inst_type)
        && want("instId", &o.symbol)
        && want("algoId", &a.algo_id)
}

/// Lists algo orders of the account that `keep` holds, by the list filters, newest first.
fn algo_list(
    p: &Private<'_>,
    q: &HashMap<String, String>,
    keep: impl Fn(&Order) -> bool,
) -> Result<Value, OkxError> {
    required_q(q, "ordType")?;
    let n = limit(q)?;
    let mut ex = p.inner.exchange.lock();
    let rows = algo_orders(p, &ex);
    Ok(Value::Array(
        rows.iter()
            .filter(|(o, _, a)| keep(o) && algo_passes(p, q, o, a))
            .take(n)
            .map(|(o, m, a)| algo_view(p, &mut ex, o, m, a))
            .collect(),
    ))
}

/// Get algo order list (`GET /api/v5/trade/orders-algo-pending`): the waiting algo orders.
pub(super) async fn algo_pending(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    private_read(&inner, &method, &uri, &headers, |p, q| {
        algo_list(p, q, |o| views::algo_state(o) == "live")
    })
}

/// Get algo order history (`GET /api/v5/trade/orders-algo-history`): algo orders that
/// triggered or were cancelled, by `state` or `algoId` (one of them is required).
pub(super) async fn algo_history(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    private_read(&inner, &method, &uri, &headers, |p, q| {
        let named = |k: &str| q.get(k).is_some_and(|v| !v.is_empty());
        if !named("state") && !named("algoId") {
            return Err(OkxError::Empty("state".into()));
        }
        let state = q.get("state").cloned().unwrap_or_default();
        let week_ago = p.now - 7 * 86_400_000;
        algo_list(p, q, |o| {
            let s = views::algo_state(o);
            s != "live"
                && o.updated_ms >= week_ago
                && (state.is_empty() || state.split(',').any(|w| w == s))
        })
    })
}

/// An algo order's result inside `data`.
fn algo_item(
    algo_id: &str,
    algo_cl_ord_id: &str,
    tag: &str,
    err: Option<&OkxError>,
    ok_msg: &str,
) -> Value {
    let (code, msg) = outcome(err, ok_msg);
    json!({
        "algoClOrdId": algo_cl_ord_id,
        "algoId": algo_id,
        "clOrdId": "",
        "sCode": code,
        "sMsg": msg,
        "tag": tag,
    })
}

/// The envelope of the algo endpoints: like [`trade_answer`], with an empty `msg` when every
/// item failed.
fn algo_answer(items: Vec<Value>) -> Response {
    let (code, msg) = batch_code(&items, "");
    (
        StatusCode::OK,
        axum::Json(json!({ "code": code, "msg": msg, "data": items })),
    )
        .into_response()
}

/// Place algo order (`POST /api/v5/trade/order-algo`), 20 requests per 2 s per User ID:
/// `conditional` (one take-profit or stop-loss trigger) and `trigger` orders, at market
/// (`-1`) or at a limit price once triggered.
pub(super) async fn place_algo(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let (p, map) = match trade_body(&inner, &method, &uri, &headers, &body) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let cl = field(&map, "algoClOrdId").unwrap_or_default();
    let tag = field(&map, "tag").unwrap_or_default();
    let item = match place_algo_one(&p, &map) {
        Ok((_, a)) => algo_item(&a.algo_id, &a.algo_cl_ord_id, &tag, None, "Order placed"),
        Err(e) => algo_item("", &cl, &tag, Some(&e), ""),
    };
    algo_answer(vec![item])
}

/// Get algo order details by `algoId` or `algoClOrdId` (51603 when there is none).
pub(super) async fn algo_query(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    private_read(&inner, &method, &uri, &headers, |p, q| {
        let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
        if get("algoId").is_none() && get("algoClOrdId").is_none() {
            return Err(OkxError::Param("algoId".into()));
        }
        let mut ex = p.inner.exchange.lock();
        let (o, m, a) = find_algo(p, &ex, get("algoId"), get("algoClOrdId"))?;
        Ok(json!([algo_view(p, &mut ex, &o, &m, &a)]))
    })
}

/// Cancels one waiting algo order named by `algoId` or `algoClOrdId` on `instId`.
fn cancel_algo_one(p: &Private<'_>, map: &Map<String, Value>) -> Result<AlgoMeta, OkxError> {
    let inst_id = required(map, "instId")?;
    let algo_id = field(map, "algoId");
    let cl = field(map, "algoClOrdId");
    if algo_id.is_none() && cl.is_none() {
        return Err(OkxError::Empty("algoId".into()));
    }
    let mut ex = p.inner.exchange.lock();
    let (o, _, a) = find_algo(p, &ex, algo_id.as_deref(), cl.as_deref())?;
    if o.symbol != inst_id {
        return Err(OkxError::OrderNotFound);
    }
    if views::algo_state(&o) != "live" {
        return Err(OkxError::CancelFinished);
    }
    ex.cancel(&p.account, OrderRef::Id(&o.id), p.now)
        .map_err(|_| OkxError::CancelFinished)?;
    Ok(a)
}

/// Cancel algo order (`POST /api/v5/trade/cancel-algos`): up to 10 waiting algo orders,
/// each `{instId, algoId}` or `{instId, algoClOrdId}`; one that has triggered or ended is
/// refused alone (51400).
pub(super) async fn cancel_algos(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let (p, list) = match trade_list(&inner, &method, &uri, &headers, &body, 10) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let items = list
        .iter()
        .map(|m| match cancel_algo_one(&p, m) {
            Ok(a) => algo_item(&a.algo_id, &a.algo_cl_ord_id, "", None, ""),
            Err(e) => algo_item(
                &field(m, "algoId").unwrap_or_default(),
                &field(m, "algoClOrdId").unwrap_or_default(),
                "",
                Some(&e),
                "",
            ),
        })
        .collect();
    algo_answer(items)
}

/// Get order history (last 7 days): finished orders of `instType` (required), newest first.
pub(super) async fn history(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    private_read(&inner, &method, &uri, &headers, |p, q| {
        required_q(q, "instType")?;
        let n = limit(q)?;
        let ex = p.inner.exchange.lock();
        let week_ago = p.now - 7 * 86_400_000;
        Ok(Value::Array(
            ex.orders(&p.account)
                .iter()
                .filter(|o| !o.is_open() && o.updated_ms >= week_ago)
                .filter(|o| passes(p, q, o))
                .take(n)
                .map(|o| order_view(p, &ex, o))
                .collect(),
        ))
    })
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
    let result = trade_body(&inner, &method, &uri, &headers, &body).and_then(|(p, map)| {
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
