//! The REST endpoints and what stands in front of them: Binance's request-weight and order-count
//! limits (X-MBX-USED-WEIGHT-1M, X-MBX-ORDER-COUNT-1M, 429 then 418 with Retry-After) and the
//! latency / 5xx fault knobs.
//!
//! One file per endpoint group: `market_data`, `orders`, `algo_orders`, `account`,
//! `user_stream` (listen keys), `wallet` (the SPOT host's Get API Key Permission, served on the
//! same address); `limits` is the gate every request passes. This file holds the routes and the
//! helpers the groups share (signed requests, the `symbol` parameter, answers).

mod account;
mod algo_orders;
mod limits;
mod market_data;
mod orders;
mod user_stream;
mod wallet;

use std::collections::HashMap;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::{BinanceError, Inner, Shared, auth, exchange::Exchange};

use account::{
    account_v2, account_v3, balance, commission_rate, leverage, leverage_bracket, position_risk_v2,
    position_risk_v3,
};
use algo_orders::{
    all_algo_orders, cancel_algo_order, cancel_all_algo, new_algo_order, open_algo_orders,
    query_algo_order,
};
use limits::gate;
use market_data::{depth, exchange_info, klines, premium_index, time};
use orders::{
    cancel_all, cancel_order, countdown_cancel_all, new_order, open_orders, query_order,
    user_trades,
};
use user_stream::{listen_key_close, listen_key_keepalive, listen_key_new};
use wallet::api_restrictions;

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
        .route("/fapi/v1/commissionRate", get(commission_rate))
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
        .route("/sapi/v1/account/apiRestrictions", get(api_restrictions))
        .route_layer(middleware::from_fn_with_state(inner, gate))
}

fn respond(result: Result<Value, BinanceError>) -> Response {
    match result {
        Ok(value) => (StatusCode::OK, axum::Json(value)).into_response(),
        Err(err) => err.into_response(),
    }
}

/// How a signed request is checked: [`Inner::verify_signed`] (USER_DATA) or
/// [`Inner::verify_trade`] (futures TRADE: the key must also have futures permission).
type Verify = fn(&Inner, &str, &HeaderMap, &str, i64) -> Result<auth::Verified, BinanceError>;

/// Runs a SIGNED USER_DATA endpoint: verifies the request, then `handle`s it under the exchange
/// lock.
fn signed(
    inner: &Shared,
    query: Option<String>,
    headers: &HeaderMap,
    body: &str,
    handle: impl FnOnce(&mut Exchange, &auth::Verified, i64) -> Result<Value, BinanceError>,
) -> Response {
    verified_then(inner, Inner::verify_signed, query, headers, body, handle)
}

/// Runs a SIGNED futures TRADE endpoint: as [`signed`], and refused (-2015 "Invalid API-key,
/// IP, or permissions for action.") when the key lacks futures permission.
fn signed_trade(
    inner: &Shared,
    query: Option<String>,
    headers: &HeaderMap,
    body: &str,
    handle: impl FnOnce(&mut Exchange, &auth::Verified, i64) -> Result<Value, BinanceError>,
) -> Response {
    verified_then(inner, Inner::verify_trade, query, headers, body, handle)
}

/// Checks a signed request with `verify`, then `handle`s it under the exchange lock.
fn verified_then(
    inner: &Shared,
    verify: Verify,
    query: Option<String>,
    headers: &HeaderMap,
    body: &str,
    handle: impl FnOnce(&mut Exchange, &auth::Verified, i64) -> Result<Value, BinanceError>,
) -> Response {
    let now = inner.now_ms();
    let query = query.unwrap_or_default();
    let result = verify(inner, &query, headers, body, now)
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

/// The two cancel-all endpoints (regular and algo orders, TRADE): `cancel(exchange, api_key,
/// symbol, now)` cancels the account's open orders on the listed `symbol`, answered with code
/// 200.
fn cancel_all_on_symbol(
    inner: &Shared,
    query: Option<String>,
    headers: &HeaderMap,
    body: &str,
    cancel: fn(&mut Exchange, &str, &str, i64),
) -> Response {
    signed_trade(inner, query, headers, body, |ex, request, now| {
        let symbol = listed_symbol(ex, &request.params)?;
        cancel(ex, &request.api_key, symbol, now);
        Ok(json!({ "code": 200, "msg": "The operation of cancel all open order is done." }))
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
