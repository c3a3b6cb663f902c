//! Account reads: positions, account summaries, user trades.

use serde_json::{Value, json};

use super::super::auth::{Access, Area};
use super::super::errors::DeribitError;
use super::super::instruments::InstrumentKind;
use super::super::{Inner, lock, views};
use super::public::{currency, kind, listing};
use super::trading::{Scope, index_of};
use super::{Ctx, Params};
use crate::core::{Exchange, OrderRef, Position};

fn position_view(inner: &Inner, ex: &mut Exchange, p: &Position, now: i64) -> Value {
    let Some(listing) = inner.listing(&p.symbol) else {
        return Value::Null;
    };
    let index = index_of(ex, listing, now);
    views::position(p, listing, index, rust_decimal::Decimal::ZERO)
}

/// `account`'s position on `symbol` as Deribit shows it (flat when never traded).
pub(in super::super) fn position_of(
    inner: &Inner,
    ex: &mut Exchange,
    account: &str,
    symbol: &str,
    now: i64,
) -> Option<Value> {
    let pos = ex.position(account, symbol)?;
    Some(position_view(inner, ex, &pos, now))
}

/// `private/get_positions` (`currency`, `kind`): the positions the account holds or held.
pub(super) fn positions(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<Value, DeribitError> {
    let (_, account) = ctx.authorised(Area::Trade, Access::Read)?;
    let currency = currency(p, false)?;
    let kind = kind(p)?;
    let mut ex = ctx.inner.exchange.lock();
    let list: Vec<Position> = ex
        .positions(&account.client_id)
        .into_iter()
        .filter(|pos| {
            ctx.inner.listing(&pos.symbol).is_some_and(|l| {
                currency.as_deref().is_none_or(|c| l.currency() == c)
                    && kind.is_none_or(|k| l.kind == k)
            })
        })
        .collect();
    let out = list
        .iter()
        .map(|pos| position_view(ctx.inner, &mut ex, pos, ctx.now))
        .collect();
    Ok(Value::Array(out))
}

/// `private/get_position` (`instrument_name`): flat when never traded.
pub(super) fn position(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<Value, DeribitError> {
    let (_, account) = ctx.authorised(Area::Trade, Access::Read)?;
    let listing = listing(ctx.inner, p)?;
    let mut ex = ctx.inner.exchange.lock();
    let pos = ex
        .position(&account.client_id, &listing.inst.symbol)
        .ok_or_else(DeribitError::instrument_not_found)?;
    Ok(position_view(ctx.inner, &mut ex, &pos, ctx.now))
}

/// A summary of one currency for the account at `index`.
pub(in super::super) fn summary_of(
    inner: &Inner,
    ex: &Exchange,
    index: usize,
    currency: &str,
) -> Value {
    let Some(account) = inner.account(index) else {
        return Value::Null;
    };
    let Some(wallet) = ex.wallet(&account.client_id, currency) else {
        return Value::Null;
    };
    let positions: Vec<Position> = ex
        .positions(&account.client_id)
        .into_iter()
        .filter(|p| {
            inner
                .listing(&p.symbol)
                .is_some_and(|l| l.currency() == currency)
        })
        .collect();
    views::summary(
        &wallet,
        &positions,
        &account.client_id,
        account_id(index),
        &inner.config.rate_limits,
    )
}

/// The numeric user id Deribit would show for the `index`-th configured account.
pub(in super::super) fn account_id(index: usize) -> u64 {
    100_000 + index as u64 * 7 + 1
}

/// `private/get_account_summary` (`currency`).
pub(super) fn summary(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<Value, DeribitError> {
    let (caller, _) = ctx.authorised(Area::Account, Access::Read)?;
    let currency = currency(p, true)?.unwrap_or_else(|| "BTC".into());
    let ex = ctx.inner.exchange.lock();
    Ok(summary_of(ctx.inner, &ex, caller.account, &currency))
}

/// `private/get_account_summaries`: every currency's summary.
pub(super) fn summaries(ctx: &Ctx<'_>) -> Result<Value, DeribitError> {
    let (caller, account) = ctx.authorised(Area::Account, Access::Read)?;
    let ex = ctx.inner.exchange.lock();
    let list: Vec<Value> = ["BTC", "ETH"]
        .iter()
        .map(|c| summary_of(ctx.inner, &ex, caller.account, c))
        .collect();
    Ok(json!({
        "id": account_id(caller.account),
        "username": account.client_id,
        "system_name": account.client_id,
        "type": "main",
        "email": format!("{}@sim.invalid", account.client_id),
        "summaries": list,
    }))
}

/// `private/get_user_trades_by_instrument` and `_by_currency` (`count` default 10, `sorting`
/// `asc` / `desc` / `default` = newest first).
pub(super) fn user_trades(
    ctx: &Ctx<'_>,
    p: &Params<'_>,
    scope: Scope,
) -> Result<Value, DeribitError> {
    let (_, account) = ctx.authorised(Area::Trade, Access::Read)?;
    let (symbol, currency, kind) = match scope {
        Scope::Instrument => (Some(listing(ctx.inner, p)?.inst.symbol.clone()), None, None),
        _ => (None, currency(p, true)?, kind(p)?),
    };
    let count = usize::try_from(p.int("count")?.unwrap_or(10).clamp(1, 1_000)).unwrap_or(10);
    let ascending = p.text("sorting").as_deref() == Some("asc");
    let mut ex = ctx.inner.exchange.lock();
    let mut execs: Vec<_> = ex
        .executions(&account.client_id)
        .iter()
        .filter(|e| symbol.as_ref().is_none_or(|s| *s == e.symbol))
        .filter(|e| {
            ctx.inner.listing(&e.symbol).is_some_and(|l| {
                currency.as_deref().is_none_or(|c| l.currency() == c)
                    && kind.is_none_or(|k: InstrumentKind| l.kind == k)
            })
        })
        .cloned()
        .collect();
    if !ascending {
        execs.reverse();
    }
    let has_more = execs.len() > count;
    execs.truncate(count);
    let mut trades = Vec::new();
    for e in &execs {
        let Some(listing) = ctx.inner.listing(&e.symbol) else {
            continue;
        };
        let index = index_of(&mut ex, listing, ctx.now);
        let order = ex
            .order(&account.client_id, OrderRef::Id(&e.order_id))
            .cloned();
        let meta = lock(&ctx.inner.meta)
            .get(&e.order_id)
            .cloned()
            .unwrap_or_default();
        let quote = ex.option_quote(&e.symbol);
        trades.push(views::trade(
            e,
            listing,
            order.as_ref(),
            &meta,
            index,
            quote.as_ref(),
        ));
    }
    Ok(json!({ "trades": trades, "has_more": has_more }))
}

/// `private/get_user_trades_by_order` (`order_id`).
pub(super) fn trades_by_order(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<Value, DeribitError> {
    let (_, account) = ctx.authorised(Area::Trade, Access::Read)?;
    let id = p.required("order_id")?;
    let number = views::order_number(&id).to_owned();
    let mut ex = ctx.inner.exchange.lock();
    if ex
        .order(&account.client_id, OrderRef::Id(&number))
        .is_none()
    {
        return Err(DeribitError::order_not_found());
    }
    let execs: Vec<_> = ex
        .executions(&account.client_id)
        .iter()
        .filter(|e| e.order_id == number)
        .cloned()
        .collect();
    let mut out = Vec::new();
    for e in &execs {
        let Some(listing) = ctx.inner.listing(&e.symbol) else {
            continue;
        };
        let index = index_of(&mut ex, listing, ctx.now);
        let order = ex
            .order(&account.client_id, OrderRef::Id(&e.order_id))
            .cloned();
        let meta = lock(&ctx.inner.meta)
            .get(&e.order_id)
            .cloned()
            .unwrap_or_default();
        let quote = ex.option_quote(&e.symbol);
        out.push(views::trade(
            e,
            listing,
            order.as_ref(),
            &meta,
            index,
            quote.as_ref(),
        ));
    }
    Ok(Value::Array(out))
}
