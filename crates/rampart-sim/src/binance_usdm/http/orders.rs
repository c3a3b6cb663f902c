//! The regular order endpoints: new (behind the order fault knobs), query, cancel, open orders,
//! the account's trades, cancel-all and countdownCancelAll.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::super::errors::{DISCONNECTED, INTERNAL_ERROR_MSG, UNKNOWN, service_unavailable};
use super::super::{BinanceError, Shared, auth, exchange::Exchange};
use super::{
    cancel_all_on_symbol, listed_symbol, optional_listed_symbol, optional_number, respond, signed,
    signed_trade,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fault {
    AcceptThenDrop,
    AcceptThenUnknown,
    Refuse503,
}

/// The faults of one new-order request: one of [`Fault`] in turn every `Faults::every`-th
/// request, and whether its answer is held back (`Faults::slow_answer_every`).
pub(super) fn next_fault(inner: &Shared) -> (Option<Fault>, Option<std::time::Duration>) {
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
pub(super) fn dropped_connection() -> Response {
    let broken = futures_util::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other("fault: connection dropped"))
    });
    axum::body::Body::from_stream(broken).into_response()
}

/// Binance's 503 whose outcome is unknown: "the API successfully sent the request but not get a
/// response within the timeout period … the execution status is UNKNOWN".
pub(super) fn unknown_503() -> Response {
    service_unavailable(
        UNKNOWN,
        "Unknown error, please check your request or try again later.",
    )
}

/// A new-order endpoint (TRADE: the key needs futures permission) behind the fault knob
/// `Faults::every`: the request is refused with a 503, or `place`d and its answer lost
/// (connection dropped) or replaced by Binance's 503 "Unknown error".
pub(super) async fn with_order_faults(
    inner: &Shared,
    query: Option<String>,
    headers: &HeaderMap,
    body: &str,
    place: impl FnOnce(&mut Exchange, &auth::Verified, i64) -> Result<Value, BinanceError>,
) -> Response {
    let (fault, slow) = next_fault(inner);
    if fault == Some(Fault::Refuse503) {
        return service_unavailable(DISCONNECTED, "Service Unavailable.");
    }
    let now = inner.now_ms();
    let result = inner
        .verify_trade(query.as_deref().unwrap_or(""), headers, body, now)
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
pub(super) async fn new_order(
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

/// The `orderId` of the order a request names by `orderId` or `origClientOrderId` (the latest
/// order with that client id, as an id may be used again once its order is closed).
pub(super) fn named_order(
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
pub(super) async fn query_order(
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
            service_unavailable(DISCONNECTED, INTERNAL_ERROR_MSG)
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

/// `DELETE /fapi/v1/order` (TRADE): cancels an open order (-2011 "Unknown order sent."
/// otherwise).
pub(super) async fn cancel_order(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed_trade(&inner, query, &headers, &body, |ex, request, now| {
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
pub(super) async fn open_orders(
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
pub(super) const SEVEN_DAYS_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// `GET /fapi/v1/userTrades` (Account Trade List, USER_DATA, weight 5): the account's trades on
/// `symbol`, oldest first. As documented: `orderId` narrows to one order; `fromId` gives the
/// trades from that id on and "cannot be sent with startTime or endTime" (-1128); "If startTime
/// and endTime are both not sent, then the last 7 days' data will be returned"; "The time
/// between startTime and endTime cannot be longer than 7 days" (-1127; -1023 when start is
/// after end); `limit` "Default 500; max 1000". With only one of startTime / endTime the window
/// is the 7 days from / up to it (Binance does not say; this is the simulator's choice). Without
/// `fromId`, the latest `limit` trades of the window.
pub(super) async fn user_trades(
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
            let all: Vec<&super::super::exchange::AccountTrade> = matching.collect();
            let skip = all.len().saturating_sub(limit);
            all[skip..].iter().map(|t| t.to_json()).collect()
        };
        Ok(Value::Array(rows))
    })
}

/// `DELETE /fapi/v1/allOpenOrders?symbol=` (TRADE): cancels every open order on the symbol.
pub(super) async fn cancel_all(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    cancel_all_on_symbol(&inner, query, &headers, &body, Exchange::cancel_symbol)
}

/// `POST /fapi/v1/countdownCancelAll` (TRADE): cancels all open orders of `symbol` when
/// `countdownTime` ms pass without another call; 0 stops the countdown.
pub(super) async fn countdown_cancel_all(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed_trade(&inner, query, &headers, &body, |ex, request, now| {
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
