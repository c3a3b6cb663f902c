//! The account endpoints: leverage and its brackets, commission rates, account information, balance and positions.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;

use super::super::{BinanceError, Shared, auth, market, views};
use super::{listed_symbol, optional_listed_symbol, signed, signed_trade};

/// `GET /fapi/v1/leverageBracket` (USER_DATA, weight 1): the notional and leverage brackets,
/// a list of `{symbol, notionalCoef, brackets}`, or that one object when `symbol` is sent.
pub(super) async fn leverage_bracket(
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
                ex.symbols()
                    .iter()
                    .map(|s| market::leverage_brackets(s))
                    .collect(),
            )),
        },
    )
}

/// `GET /fapi/v1/commissionRate` (User Commission Rate, USER_DATA): the account's rates on a
/// listed symbol. The simulator charges no fees (its fills carry commission 0), so it reports
/// both rates as 0.
pub(super) async fn commission_rate(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed(&inner, query, &headers, &body, |ex, request, _| {
        let symbol = listed_symbol(ex, &request.params)?;
        Ok(serde_json::json!({
            "symbol": symbol,
            "makerCommissionRate": "0",
            "takerCommissionRate": "0",
        }))
    })
}

/// `POST /fapi/v1/leverage` (TRADE).
pub(super) async fn leverage(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed_trade(&inner, query, &headers, &body, |ex, request, _| {
        let symbol = auth::required(&request.params, "symbol")?.to_owned();
        let raw = auth::required(&request.params, "leverage")?;
        let leverage: u32 = raw
            .parse()
            .map_err(|_| BinanceError::InvalidLeverage(raw.to_owned()))?;
        ex.set_leverage(&request.api_key, &symbol, leverage)
    })
}

pub(super) async fn account_v2(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed(&inner, query, &headers, &body, |ex, request, _| {
        Ok(views::account(ex, &request.api_key, false))
    })
}

pub(super) async fn account_v3(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed(&inner, query, &headers, &body, |ex, request, _| {
        Ok(views::account(ex, &request.api_key, true))
    })
}

pub(super) async fn balance(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    signed(&inner, query, &headers, &body, |ex, request, _| {
        Ok(views::balance(ex, &request.api_key))
    })
}

pub(super) fn position_risk(
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

pub(super) async fn position_risk_v2(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    position_risk(&inner, query, &headers, &body, false)
}

pub(super) async fn position_risk_v3(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    position_risk(&inner, query, &headers, &body, true)
}
