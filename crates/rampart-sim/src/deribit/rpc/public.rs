//! `public/auth` and the market data methods.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::super::auth;
use super::super::errors::DeribitError;
use super::super::instruments::{InstrumentKind, Listing};
use super::super::json::num;
use super::super::{Inner, lock, views};
use super::{Ctx, Params};
use crate::core::{Exchange, implied_vol, years_to};

/// `public/auth`: the three grants. The token's lifetime is the configured one, or shorter
/// when the requested `scope` names `expires:SECONDS`.
pub(super) fn auth(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<Value, DeribitError> {
    let inner = ctx.inner;
    let accounts = &inner.config.accounts;
    let mut lifetime_ms =
        i64::try_from(inner.config.token_lifetime.as_millis()).unwrap_or(i64::MAX);
    let refresh_ms =
        i64::try_from(inner.config.refresh_token_lifetime.as_millis()).unwrap_or(i64::MAX);
    if let Some(scope) = p.text("scope") {
        for part in scope.split_whitespace() {
            if let Some(secs) = part
                .strip_prefix("expires:")
                .and_then(|s| s.parse::<i64>().ok())
            {
                lifetime_ms = lifetime_ms.min(secs.saturating_mul(1000)).max(1000);
            }
        }
    }
    let grant = match p.required("grant_type")?.as_str() {
        "client_credentials" => {
            let index = auth::verify_secret(
                accounts,
                &p.required("client_id")?,
                &p.required("client_secret")?,
            )?;
            lock(&inner.tokens).grant(
                index,
                accounts[index].scope,
                ctx.now,
                lifetime_ms,
                refresh_ms,
            )
        }
        "client_signature" => {
            let timestamp = p.required("timestamp")?;
            let nonce = p.required("nonce")?;
            let data = p.text("data").unwrap_or_default();
            let index = auth::verify_signature(
                accounts,
                &p.required("client_id")?,
                &timestamp,
                &auth::grant_string(&timestamp, &nonce, &data),
                &p.required("signature")?,
                ctx.now,
            )?;
            lock(&inner.tokens).grant(
                index,
                accounts[index].scope,
                ctx.now,
                lifetime_ms,
                refresh_ms,
            )
        }
        "refresh_token" => lock(&inner.tokens).refresh(
            &p.required("refresh_token")?,
            ctx.now,
            lifetime_ms,
            refresh_ms,
        )?,
        _ => {
            return Err(DeribitError::invalid_params(
                "grant_type",
                "must be client_credentials, client_signature or refresh_token",
            ));
        }
    };
    Ok(json!({
        "access_token": grant.access_token,
        "refresh_token": grant.refresh_token,
        "expires_in": grant.expires_in,
        "scope": format!("mainaccount {}", grant.scope.wire()),
        "token_type": "bearer",
        "enabled_features": [],
    }))
}

/// `public/get_currencies`.
pub(super) fn currencies(_ctx: &Ctx<'_>) -> Result<Value, DeribitError> {
    let one = |code: &str, long: &str, fee: Decimal| {
        json!({
            "currency": code,
            "currency_long": long,
            "coin_type": code.to_owned(),
            "fee_precision": 4,
            "min_confirmations": 1,
            "min_withdrawal_fee": num(fee),
            "withdrawal_fee": num(fee),
            "withdrawal_priorities": [],
            "apr": 0,
        })
    };
    Ok(json!([
        one("BTC", "Bitcoin", Decimal::new(1, 4)),
        one("ETH", "Ethereum", Decimal::new(15, 4)),
    ]))
}

/// The listing of `instrument_name`; 13020 `not_found` for an unknown one.
pub(super) fn listing<'a>(inner: &'a Inner, p: &Params<'_>) -> Result<&'a Listing, DeribitError> {
    let name = p.required("instrument_name")?;
    inner
        .listing(&name)
        .ok_or_else(DeribitError::instrument_not_found)
}

/// A `currency` parameter: `BTC`, `ETH` or `any` (`None`); -32602 otherwise.
pub(super) fn currency(p: &Params<'_>, required: bool) -> Result<Option<String>, DeribitError> {
    match p.text("currency") {
        None if required => Err(DeribitError::invalid_params("currency", "value required")),
        None => Ok(None),
        Some(c) if c.eq_ignore_ascii_case("any") => Ok(None),
        Some(c) if c == "BTC" || c == "ETH" => Ok(Some(c)),
        Some(_) => Err(DeribitError::invalid_params(
            "currency",
            "must be BTC, ETH or any",
        )),
    }
}

/// A `kind` parameter: `future`, `option` or `any` (`None`).
pub(super) fn kind(p: &Params<'_>) -> Result<Option<InstrumentKind>, DeribitError> {
    match p.text("kind") {
        None => Ok(None),
        Some(k) if k == "any" => Ok(None),
        Some(k) => InstrumentKind::parse(&k)
            .map(Some)
            .ok_or_else(|| DeribitError::invalid_params("kind", "must be future, option or any")),
    }
}

/// `public/get_instruments` (`currency`, `kind`, `expired`).
pub(super) fn instruments(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<Value, DeribitError> {
    let currency = currency(p, false)?;
    let kind = kind(p)?;
    let expired = p.bool("expired")?.unwrap_or(false);
    let list: Vec<Value> = ctx
        .inner
        .listings
        .iter()
        .filter(|l| currency.as_deref().is_none_or(|c| l.currency() == c))
        .filter(|l| kind.is_none_or(|k| l.kind == k))
        .filter(|l| l.inst.expired(ctx.now) == expired)
        .map(|l| l.to_json(ctx.now))
        .collect();
    Ok(Value::Array(list))
}

/// `public/get_instrument`.
pub(super) fn instrument(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<Value, DeribitError> {
    Ok(listing(ctx.inner, p)?.to_json(ctx.now))
}

/// `public/get_index_price` (`index_name`: `btc_usd`, `eth_usd`): the perpetual's index.
pub(super) fn index_price(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<Value, DeribitError> {
    let name = p.required("index_name")?;
    let perpetual = match name.as_str() {
        "btc_usd" => "BTC-PERPETUAL",
        "eth_usd" => "ETH-PERPETUAL",
        _ => return Err(DeribitError::invalid_params("index_name", "unknown index")),
    };
    let mut ex = ctx.inner.exchange.lock();
    let t = ex
        .ticker(perpetual, ctx.now)
        .ok_or_else(DeribitError::instrument_not_found)?;
    Ok(json!({
        "index_price": num(t.index),
        "estimated_delivery_price": num(t.index),
    }))
}

/// The volatilities at which the model gives an option's best bid and ask.
pub(in super::super) fn book_ivs(
    ex: &Exchange,
    listing: &Listing,
    now: i64,
) -> (Option<Decimal>, Option<Decimal>) {
    let (Some(spec), Some(q), Some(book)) = (
        listing.inst.option.as_ref(),
        ex.option_quote(&listing.inst.symbol),
        ex.book(&listing.inst.symbol, 1, now),
    ) else {
        return (None, None);
    };
    let years = years_to(listing.inst.expiry_ms.unwrap_or(now), now);
    let iv = |price: Option<Decimal>| {
        price.and_then(|p| implied_vol(spec.kind, q.underlying_price, spec.strike, years, p))
    };
    (
        iv(book.bids.first().map(|l| l.price)),
        iv(book.asks.first().map(|l| l.price)),
    )
}

/// `public/ticker`.
pub(super) fn ticker(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<Value, DeribitError> {
    let listing = listing(ctx.inner, p)?;
    let mut ex = ctx.inner.exchange.lock();
    ticker_of(&mut ex, listing, ctx.now)
}

pub(in super::super) fn ticker_of(
    ex: &mut Exchange,
    listing: &Listing,
    now: i64,
) -> Result<Value, DeribitError> {
    let t = ex
        .ticker(&listing.inst.symbol, now)
        .ok_or_else(DeribitError::instrument_not_found)?;
    let quote = ex.option_quote(&listing.inst.symbol);
    let ivs = book_ivs(ex, listing, now);
    Ok(views::ticker(&t, listing, quote.as_ref(), ivs))
}

/// `public/get_order_book` (`depth`: 1 to 10000, default 20).
pub(super) fn order_book(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<Value, DeribitError> {
    let listing = listing(ctx.inner, p)?;
    let depth = p.int("depth")?.unwrap_or(20);
    if !(1..=10_000).contains(&depth) {
        return Err(DeribitError::invalid_params("depth", "must be 1 to 10000"));
    }
    let mut ex = ctx.inner.exchange.lock();
    let t = ex
        .ticker(&listing.inst.symbol, ctx.now)
        .ok_or_else(DeribitError::instrument_not_found)?;
    let depth = usize::try_from(depth)
        .unwrap_or(20)
        .min(crate::core::PUBLISHED_BOOK_DEPTH * 5);
    let book = ex
        .book(&listing.inst.symbol, depth, ctx.now)
        .ok_or_else(DeribitError::instrument_not_found)?;
    let quote = ex.option_quote(&listing.inst.symbol);
    let ivs = book_ivs(&ex, listing, ctx.now);
    Ok(views::order_book(&book, &t, listing, quote.as_ref(), ivs))
}

/// Minutes of a `resolution`: `1`, `3`, `5`, `10`, `15`, `30`, `60`, `120`, `180`, `360`,
/// `720`, `1D`.
fn resolution_minutes(r: &str) -> Option<u32> {
    match r {
        "1D" => Some(1440),
        "1" | "3" | "5" | "10" | "15" | "30" | "60" | "120" | "180" | "360" | "720" => {
            r.parse().ok()
        }
        _ => None,
    }
}

/// `public/get_tradingview_chart_data`: candles oldest first, as parallel arrays.
pub(super) fn chart(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<Value, DeribitError> {
    let listing = listing(ctx.inner, p)?;
    let start = p
        .int("start_timestamp")?
        .ok_or_else(|| DeribitError::invalid_params("start_timestamp", "value required"))?;
    let end = p
        .int("end_timestamp")?
        .ok_or_else(|| DeribitError::invalid_params("end_timestamp", "value required"))?;
    let minutes = resolution_minutes(&p.required("resolution")?)
        .ok_or_else(|| DeribitError::invalid_params("resolution", "unsupported resolution"))?;
    let mut ex = ctx.inner.exchange.lock();
    let mut candles = ex
        .candles(
            &listing.inst.symbol,
            minutes,
            Some(start),
            Some(end),
            5_000,
            ctx.now,
        )
        .ok_or_else(DeribitError::instrument_not_found)?;
    candles.reverse();
    let col = |f: &dyn Fn(&crate::core::Candle) -> Value| candles.iter().map(f).collect::<Vec<_>>();
    Ok(json!({
        "status": if candles.is_empty() { "no_data" } else { "ok" },
        "ticks": col(&|c| json!(c.open_ms)),
        "open": col(&|c| num(c.open)),
        "high": col(&|c| num(c.high)),
        "low": col(&|c| num(c.low)),
        "close": col(&|c| num(c.close)),
        "volume": col(&|c| num(c.volume)),
        "cost": col(&|c| num(c.turnover.round_dp(8))),
    }))
}

/// `public/get_book_summary_by_currency` (`currency`, `kind`).
pub(super) fn book_summaries(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<Value, DeribitError> {
    let currency = currency(p, true)?;
    let kind = kind(p)?;
    let mut ex = ctx.inner.exchange.lock();
    let mut out = Vec::new();
    for l in ctx.inner.listings.iter().filter(|l| {
        currency.as_deref().is_none_or(|c| l.currency() == c)
            && kind.is_none_or(|k| l.kind == k)
            && !l.inst.expired(ctx.now)
    }) {
        let Some(t) = ex.ticker(&l.inst.symbol, ctx.now) else {
            continue;
        };
        let quote = ex.option_quote(&l.inst.symbol);
        let price = |x: Decimal| if x.is_zero() { Value::Null } else { num(x) };
        let mut v = json!({
            "instrument_name": l.inst.symbol,
            "base_currency": l.currency(),
            "quote_currency": if l.kind == InstrumentKind::Option { l.currency() } else { "USD" },
            "mark_price": num(t.mark),
            "last": num(t.last),
            "bid_price": price(t.bid.price),
            "ask_price": price(t.ask.price),
            "mid_price": num(((t.bid.price + t.ask.price) / Decimal::TWO).round_dp(8)),
            "high": num(t.high_24h),
            "low": num(t.low_24h),
            "volume": num(t.volume_24h),
            "volume_usd": num(t.turnover_24h.round_dp(2)),
            "open_interest": num(t.open_interest),
            "estimated_delivery_price": num(t.index),
            "creation_timestamp": t.time_ms,
            "price_change": Value::Null,
        });
        if let Some(q) = quote {
            v["underlying_price"] = num(q.underlying_price);
            v["underlying_index"] = json!(format!("{}-PERPETUAL", l.currency()));
            v["mark_iv"] = num((q.mark_iv * Decimal::ONE_HUNDRED).round_dp(2));
            v["interest_rate"] = json!(0);
        } else {
            v["funding_8h"] = num(t.funding_rate);
            v["current_funding"] = num(t.funding_rate);
        }
        out.push(v);
    }
    Ok(Value::Array(out))
}

/// `public/get_last_trades_by_instrument` (`count` default 10, at most 1000; `sorting` `asc`
/// or `desc`, the default newest first).
pub(super) fn last_trades(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<Value, DeribitError> {
    let listing = listing(ctx.inner, p)?;
    let count = p.int("count")?.unwrap_or(10);
    if !(1..=1_000).contains(&count) {
        return Err(DeribitError::invalid_params("count", "must be 1 to 1000"));
    }
    let count = usize::try_from(count).unwrap_or(10);
    let mut ex = ctx.inner.exchange.lock();
    let mut trades = ex
        .recent_trades(&listing.inst.symbol, count + 1)
        .ok_or_else(DeribitError::instrument_not_found)?;
    let has_more = trades.len() > count;
    trades.truncate(count);
    if p.text("sorting").as_deref() == Some("asc") {
        trades.reverse();
    }
    let mark = ex.mark(&listing.inst.symbol).unwrap_or_default();
    let index = super::trading::index_of(&mut ex, listing, ctx.now);
    let list: Vec<Value> = trades
        .iter()
        .map(|t| views::public_trade(t, listing, mark, index))
        .collect();
    Ok(json!({ "trades": list, "has_more": has_more }))
}
