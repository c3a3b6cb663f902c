//! The public market data endpoints: server time, exchangeInfo, premiumIndex, depth and klines.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::super::{BinanceError, Shared, auth, market};
use super::respond;

pub(super) async fn time(State(inner): State<Shared>) -> Response {
    axum::Json(json!({ "serverTime": inner.now_ms() })).into_response()
}

pub(super) async fn exchange_info(State(inner): State<Shared>) -> Response {
    let c = &inner.config;
    let limits = market::PublishedLimits {
        weight_per_minute: c.request_weight_limit,
        orders_per_minute: c.order_limit_per_minute,
        orders_per_10s: c.order_limit_per_10s,
    };
    let symbols = inner.exchange().symbols();
    axum::Json(market::exchange_info(inner.now_ms(), limits, &symbols)).into_response()
}

/// `GET /fapi/v1/premiumIndex` (public): one symbol's object, or an array of all.
pub(super) async fn premium_index(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
) -> Response {
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
pub(super) async fn depth(State(inner): State<Shared>, RawQuery(query): RawQuery) -> Response {
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
pub(super) fn interval_ms(interval: &str) -> Option<i64> {
    pub(super) const M: i64 = 60_000;
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
pub(super) async fn klines(State(inner): State<Shared>, RawQuery(query): RawQuery) -> Response {
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
