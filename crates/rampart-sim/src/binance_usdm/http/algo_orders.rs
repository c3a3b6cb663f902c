//! The Algo Service endpoints: new, query and cancel a conditional order, the open and all algo
//! orders, cancel all on a symbol.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::super::{BinanceError, Shared, exchange::Exchange};

use super::orders::with_order_faults;
use super::{
    cancel_all_on_symbol, listed_symbol, optional_listed_symbol, optional_number, signed,
    signed_trade,
};

/// `POST /fapi/v1/algoOrder` (TRADE): a new conditional order, behind the same fault knob.
pub(super) async fn new_algo_order(
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
pub(super) async fn query_algo_order(
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
pub(super) async fn cancel_algo_order(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed_trade(&inner, query, &headers, &body, |ex, request, now| {
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
pub(super) async fn open_algo_orders(
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
pub(super) async fn cancel_all_algo(
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
pub(super) async fn all_algo_orders(
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
