//! Public market data (no signature): okx.com/docs-v5 "Public Data" and "Order Book Trading
//! > Market Data".

use std::collections::HashMap;

use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use serde_json::{Value, json};

use super::super::errors::OkxError;
use super::super::instruments::{InstType, Listing};
use super::super::views;
use super::super::{Inner, Shared};
use super::{query_params, required_q, respond};

pub(super) async fn time(State(inner): State<Shared>) -> Response {
    respond(Ok(json!([{ "ts": inner.now_ms().to_string() }])))
}

/// `instType` (required): SWAP or FUTURES list contracts; SPOT, MARGIN and OPTION list none.
fn inst_type(p: &HashMap<String, String>) -> Result<Option<InstType>, OkxError> {
    let t = required_q(p, "instType")?;
    match t.as_str() {
        "SPOT" | "MARGIN" | "OPTION" => Ok(None),
        other => InstType::parse(other)
            .map(Some)
            .ok_or_else(|| OkxError::Param("instType".into())),
    }
}

/// The listings `instType` (and the optional `instId`, `uly`, `instFamily`) select.
fn selected<'a>(
    inner: &'a Inner,
    p: &HashMap<String, String>,
) -> Result<Vec<&'a Listing>, OkxError> {
    let Some(t) = inst_type(p)? else {
        return Ok(Vec::new());
    };
    let family = p
        .get("instFamily")
        .or_else(|| p.get("uly"))
        .filter(|s| !s.is_empty());
    Ok(inner
        .listings
        .iter()
        .filter(|l| l.inst_type == t)
        .filter(|l| {
            p.get("instId")
                .is_none_or(|id| id.is_empty() || *id == l.inst.symbol)
        })
        .filter(|l| family.is_none_or(|f| *f == l.family()))
        .collect())
}

pub(super) async fn instruments(State(inner): State<Shared>, uri: Uri) -> Response {
    let p = query_params(&uri);
    respond(selected(&inner, &p).map(|ls| Value::Array(ls.iter().map(|l| l.to_json()).collect())))
}

/// The one listing `instId` names (51001 when none).
fn one<'a>(inner: &'a Inner, p: &HashMap<String, String>) -> Result<&'a Listing, OkxError> {
    let id = required_q(p, "instId")?;
    inner.listing(&id).ok_or(OkxError::UnknownInstrument)
}

pub(super) async fn mark_price(State(inner): State<Shared>, uri: Uri) -> Response {
    let p = query_params(&uri);
    let now = inner.now_ms();
    let result = selected(&inner, &p).map(|ls| {
        let ex = inner.exchange.lock();
        Value::Array(
            ls.iter()
                .filter_map(|l| {
                    let mark = ex.mark(&l.inst.symbol)?;
                    Some(json!({
                        "instId": l.inst.symbol,
                        "instType": l.inst_type.wire(),
                        "markPx": views::num(mark),
                        "ts": now.to_string(),
                    }))
                })
                .collect(),
        )
    });
    respond(result)
}

/// `GET /api/v5/market/index-tickers` (okx.com/docs-v5 "Market Data > Get index tickers"):
/// `instId` is an index (`BTC-USDT`, `BTC-USD`), or `quoteCcy` lists every index quoted in it.
/// The simulator's index of a family is its perpetual's mark (no basis).
pub(super) async fn index_tickers(State(inner): State<Shared>, uri: Uri) -> Response {
    let p = query_params(&uri);
    let now = inner.now_ms();
    let id = p.get("instId").filter(|s| !s.is_empty());
    let quote = p.get("quoteCcy").filter(|s| !s.is_empty());
    if id.is_none() && quote.is_none() {
        return respond(Err(OkxError::Param("instId".into())));
    }
    let ex = inner.exchange.lock();
    let mut seen = Vec::new();
    let rows = inner
        .listings
        .iter()
        .filter(|l| l.inst_type == InstType::Swap)
        .filter(|l| id.is_none_or(|i| *i == l.family()))
        .filter(|l| quote.is_none_or(|q| l.family().ends_with(&format!("-{q}"))))
        .filter_map(|l| {
            let family = l.family();
            if seen.contains(&family) {
                return None;
            }
            let index = ex.mark(&l.inst.symbol)?;
            seen.push(family.clone());
            let px = views::num(index);
            Some(json!({
                "instId": family,
                "idxPx": px,
                "high24h": px,
                "low24h": px,
                "open24h": px,
                "sodUtc0": px,
                "sodUtc8": px,
                "ts": now.to_string(),
            }))
        })
        .collect();
    respond(Ok(Value::Array(rows)))
}

pub(super) async fn funding_rate(State(inner): State<Shared>, uri: Uri) -> Response {
    let p = query_params(&uri);
    let now = inner.now_ms();
    let result = one(&inner, &p).and_then(|l| {
        if l.inst_type != InstType::Swap {
            return Err(OkxError::UnknownInstrument);
        }
        let t = inner
            .exchange
            .lock()
            .ticker(&l.inst.symbol, now)
            .ok_or(OkxError::UnknownInstrument)?;
        Ok(json!([{
            "fundingRate": views::num(t.funding_rate),
            "fundingTime": t.next_funding_ms.to_string(),
            "instId": l.inst.symbol,
            "instType": "SWAP",
            "interestRate": "0.0001",
            "maxFundingRate": "0.00375",
            "method": "current_period",
            "minFundingRate": "-0.00375",
            "nextFundingRate": "",
            "nextFundingTime": (t.next_funding_ms + 8 * 3_600_000).to_string(),
            "premium": "0",
            "settFundingRate": views::num(t.funding_rate),
            "settState": "settled",
            "ts": now.to_string(),
        }]))
    });
    respond(result)
}

pub(super) async fn ticker(State(inner): State<Shared>, uri: Uri) -> Response {
    let p = query_params(&uri);
    let now = inner.now_ms();
    let result = one(&inner, &p).and_then(|l| {
        let t = inner
            .exchange
            .lock()
            .ticker(&l.inst.symbol, now)
            .ok_or(OkxError::UnknownInstrument)?;
        Ok(json!([views::ticker_json(&t, l)]))
    });
    respond(result)
}

pub(super) async fn tickers(State(inner): State<Shared>, uri: Uri) -> Response {
    let p = query_params(&uri);
    let now = inner.now_ms();
    let result = selected(&inner, &p).map(|ls| {
        let mut ex = inner.exchange.lock();
        Value::Array(
            ls.iter()
                .filter_map(|l| Some(views::ticker_json(&ex.ticker(&l.inst.symbol, now)?, l)))
                .collect(),
        )
    });
    respond(result)
}

pub(super) async fn books(State(inner): State<Shared>, uri: Uri) -> Response {
    let p = query_params(&uri);
    let now = inner.now_ms();
    let result = one(&inner, &p).and_then(|l| {
        // sz: "Order book depth per side. Maximum 400, e.g. 400 bids + 400 asks. Default
        // returns to 1 depth data."
        let sz = match p.get("sz").filter(|s| !s.is_empty()) {
            None => 1,
            Some(s) => s
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=400).contains(n))
                .ok_or_else(|| OkxError::Param("sz".into()))?,
        };
        let book = inner
            .exchange
            .lock()
            .book(&l.inst.symbol, sz, now)
            .ok_or(OkxError::UnknownInstrument)?;
        Ok(json!([views::book_json(&book)]))
    });
    respond(result)
}

pub(super) async fn candles(State(inner): State<Shared>, uri: Uri) -> Response {
    let p = query_params(&uri);
    let now = inner.now_ms();
    let result = one(&inner, &p).and_then(|l| {
        let bar = p.get("bar").map_or("1m", String::as_str);
        let minutes = views::bar_minutes(bar).ok_or_else(|| OkxError::Param("bar".into()))?;
        let ts = |name: &str| -> Result<Option<i64>, OkxError> {
            p.get(name)
                .filter(|s| !s.is_empty())
                .map(|s| s.parse::<i64>().map_err(|_| OkxError::Param(name.into())))
                .transpose()
        };
        // after: records earlier than this ts; before: newer than this ts.
        let end = ts("after")?.map(|t| t - 1);
        let start = ts("before")?.map(|t| t + 1);
        let limit = match p.get("limit").filter(|s| !s.is_empty()) {
            None => 100,
            Some(s) => s
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| OkxError::Param("limit".into()))?
                .min(300),
        };
        let list = inner
            .exchange
            .lock()
            .candles(&l.inst.symbol, minutes, start, end, limit, now)
            .ok_or(OkxError::UnknownInstrument)?;
        let span = i64::from(minutes) * 60_000;
        Ok(Value::Array(
            list.iter()
                .map(|c| views::candle_json(c, l, c.open_ms + span <= now))
                .collect(),
        ))
    });
    respond(result)
}
