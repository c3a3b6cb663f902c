//! Order entry and order reads: `private/buy`, `sell`, `edit`, `edit_by_label`, `cancel`,
//! `cancel_by_label`, `cancel_all` (and `_by_currency`, `_by_instrument`), open orders, order
//! state (by id and by label) and order history.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::super::auth::{Access, Area};
use super::super::errors::DeribitError;
use super::super::instruments::Listing;
use super::super::views::{self, OrderMeta};
use super::super::{Inner, lock};
use super::public::{currency, kind, listing};
use super::{Ctx, Params};
use crate::core::{
    Amend, CancelFilter, Exchange, Order, OrderKind, OrderRef, OrderRequest, Side, TimeInForce,
    Trigger, TriggerBy, TriggerDirection,
};

/// Which orders a cancel-all or a read covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in super::super) enum Scope {
    All,
    Currency,
    Instrument,
}

/// 11054: "Request rejected due to `reject_post_only` flag."
const POST_ONLY_REJECT: i64 = 11054;
/// The longest label Deribit takes ("maximum 64 characters").
const MAX_LABEL: usize = 64;

/// The perpetual's index of a listing's currency (the options' underlying too).
pub(in super::super) fn index_of(ex: &mut Exchange, listing: &Listing, now: i64) -> Decimal {
    ex.ticker(&format!("{}-PERPETUAL", listing.currency()), now)
        .map_or(Decimal::ZERO, |t| t.index)
}

/// An order in Deribit's shape.
pub(in super::super) fn order_view(inner: &Inner, o: &Order) -> Value {
    let Some(listing) = inner.listing(&o.symbol) else {
        return Value::Null;
    };
    let meta = lock(&inner.meta).get(&o.id).cloned().unwrap_or_default();
    views::order(o, listing, &meta)
}

/// The fills of order `number` after the first `skip` of the account's fills.
fn fills_of(
    inner: &Inner,
    ex: &mut Exchange,
    account: &str,
    number: &str,
    skip: usize,
    now: i64,
) -> Vec<Value> {
    let execs: Vec<_> = ex
        .executions(account)
        .iter()
        .skip(skip)
        .filter(|e| e.order_id == number)
        .cloned()
        .collect();
    let mut out = Vec::new();
    for e in execs {
        let Some(listing) = inner.listing(&e.symbol) else {
            continue;
        };
        let index = index_of(ex, listing, now);
        let quote = ex.option_quote(&e.symbol);
        let order = ex.order(account, OrderRef::Id(&e.order_id)).cloned();
        let meta = lock(&inner.meta)
            .get(&e.order_id)
            .cloned()
            .unwrap_or_default();
        out.push(views::trade(
            &e,
            listing,
            order.as_ref(),
            &meta,
            index,
            quote.as_ref(),
        ));
    }
    out
}

/// The label parameter: at most 64 characters, none of them a control character.
fn label(p: &Params<'_>) -> Result<Option<String>, DeribitError> {
    match p.text("label") {
        Some(l) if l.chars().count() > MAX_LABEL => Err(DeribitError::invalid_params(
            "label",
            "must be at most 64 characters",
        )),
        Some(l) if l.chars().any(char::is_control) => Err(DeribitError::invalid_params(
            "label",
            "must not contain control characters",
        )),
        other => Ok(other),
    }
}

/// `private/buy` and `private/sell`.
pub(super) fn place(ctx: &Ctx<'_>, p: &Params<'_>, side: Side) -> Result<Value, DeribitError> {
    let (_, account) = ctx.authorised(Area::Trade, Access::ReadWrite)?;
    let listing = listing(ctx.inner, p)?;
    let inst = &listing.inst;
    let amount = match (p.decimal("amount")?, p.decimal("contracts")?) {
        (Some(a), Some(c)) if a != c * listing.contract_size => {
            return Err(DeribitError::invalid_params(
                "contracts",
                "amount and contracts disagree",
            ));
        }
        (Some(a), _) => a,
        (None, Some(c)) => c * listing.contract_size,
        (None, None) => return Err(DeribitError::invalid_params("amount", "value required")),
    };
    let order_type = p.text("type").unwrap_or_else(|| "limit".into());
    let trigger_price = p.decimal("trigger_price")?;
    let (kind, conditional) = match order_type.as_str() {
        "limit" => (OrderKind::Limit, None),
        "market" => (OrderKind::Market, None),
        "stop_limit" => (OrderKind::Limit, Some(true)),
        "stop_market" => (OrderKind::Market, Some(true)),
        "take_limit" => (OrderKind::Limit, Some(false)),
        "take_market" => (OrderKind::Market, Some(false)),
        _ => {
            return Err(DeribitError::invalid_params(
                "type",
                "must be limit, market, stop_limit, stop_market, take_limit or take_market",
            ));
        }
    };
    let trigger = match conditional {
        None => None,
        Some(stop) => {
            let price = trigger_price
                .ok_or_else(|| DeribitError::invalid_params("trigger_price", "value required"))?;
            if !inst.on_tick(price) {
                return Err(DeribitError::new(
                    super::super::errors::TRIGGER_PRICE_WRONG_TICK,
                    "trigger_price_wrong_tick",
                ));
            }
            let by = match p.text("trigger").as_deref() {
                Some("last_price") => TriggerBy::Last,
                Some("mark_price") | Some("index_price") => TriggerBy::Mark,
                _ => {
                    return Err(DeribitError::invalid_params(
                        "trigger",
                        "must be index_price, mark_price or last_price",
                    ));
                }
            };
            // A stop buys as the price rises and sells as it falls; a take-profit the other way.
            let direction = match (stop, side) {
                (true, Side::Buy) | (false, Side::Sell) => TriggerDirection::Rise,
                _ => TriggerDirection::Fall,
            };
            Some(Trigger {
                price,
                by,
                direction,
            })
        }
    };
    let mut price = match kind {
        OrderKind::Limit => p.decimal("price")?,
        OrderKind::Market => None,
    };
    let mut time_in_force = match p.text("time_in_force").as_deref() {
        None | Some("good_til_cancelled") | Some("good_til_day") => TimeInForce::Gtc,
        Some("fill_or_kill") => TimeInForce::Fok,
        Some("immediate_or_cancel") => TimeInForce::Ioc,
        Some(_) => {
            return Err(DeribitError::invalid_params(
                "time_in_force",
                "must be good_til_cancelled, good_til_day, fill_or_kill or immediate_or_cancel",
            ));
        }
    };
    let post_only = p.bool("post_only")?.unwrap_or(false);
    let reject_post_only = p.bool("reject_post_only")?.unwrap_or(false);
    let reduce_only = p.bool("reduce_only")?.unwrap_or(false);
    let label = label(p)?;
    let mut ex = ctx.inner.exchange.lock();
    // Post-only (the API reference, `post_only`): "If true, the order is considered post-only.
    // If the new price would cause the order to be filled immediately (as taker), the price
    // will be changed to be just below or above the spread"; with `reject_post_only` the order
    // is rejected instead.
    if post_only && kind == OrderKind::Limit && trigger.is_none() {
        if let (Some(limit), Some(book)) = (price, ex.book(&inst.symbol, 1, ctx.now)) {
            let crossing = match side {
                Side::Buy => book
                    .asks
                    .first()
                    .filter(|a| limit >= a.price)
                    .map(|a| inst.tick_down(a.price)),
                Side::Sell => book
                    .bids
                    .first()
                    .filter(|b| limit <= b.price)
                    .map(|b| inst.tick_up(b.price)),
            };
            if let Some(passive) = crossing {
                if reject_post_only {
                    return Err(DeribitError::new(POST_ONLY_REJECT, "post_only_reject"));
                }
                price = Some(passive);
            }
        }
        time_in_force = TimeInForce::PostOnly;
    }
    let skip = ex.executions(&account.client_id).len();
    let order = ex
        .place(
            &account.client_id,
            OrderRequest {
                symbol: inst.symbol.clone(),
                side,
                kind,
                qty: amount,
                price,
                time_in_force,
                reduce_only,
                client_id: label,
                trigger,
            },
            ctx.now,
        )
        .map_err(|e| DeribitError::from_core(&e))?;
    lock(&ctx.inner.meta).insert(
        order.id.clone(),
        OrderMeta {
            order_type,
            post_only,
            reject_post_only,
            good_til_day: p.text("time_in_force").as_deref() == Some("good_til_day"),
            trigger: if trigger.is_some() {
                p.text("trigger").unwrap_or_default()
            } else {
                String::new()
            },
            ..OrderMeta::default()
        },
    );
    let trades = fills_of(
        ctx.inner,
        &mut ex,
        &account.client_id,
        &order.id,
        skip,
        ctx.now,
    );
    let order = ex
        .order(&account.client_id, OrderRef::Id(&order.id))
        .cloned()
        .unwrap_or(order);
    Ok(json!({ "order": order_view(ctx.inner, &order), "trades": trades }))
}

/// Changes an open order's amount and price; its new fills come back with it.
fn amend(
    ctx: &Ctx<'_>,
    account: &str,
    number: &str,
    p: &Params<'_>,
) -> Result<Value, DeribitError> {
    let amount = match (p.decimal("amount")?, p.decimal("contracts")?) {
        (Some(a), _) => Some(a),
        (None, Some(c)) => {
            let ex = ctx.inner.exchange.lock();
            let symbol = ex
                .order(account, OrderRef::Id(number))
                .map(|o| o.symbol.clone())
                .ok_or_else(DeribitError::order_not_found)?;
            let size = ctx
                .inner
                .listing(&symbol)
                .map_or(Decimal::ONE, |l| l.contract_size);
            Some(c * size)
        }
        (None, None) => None,
    };
    let price = p.decimal("price")?;
    let trigger_price = p.decimal("trigger_price")?;
    let mut ex = ctx.inner.exchange.lock();
    let skip = ex.executions(account).len();
    let order = ex
        .amend(
            account,
            OrderRef::Id(number),
            Amend {
                qty: amount,
                price,
                trigger_price,
            },
            ctx.now,
        )
        .map_err(|e| DeribitError::from_core(&e))?;
    if let Some(m) = lock(&ctx.inner.meta).get_mut(&order.id) {
        m.replaced = true;
    }
    let trades = fills_of(ctx.inner, &mut ex, account, &order.id, skip, ctx.now);
    let order = ex
        .order(account, OrderRef::Id(&order.id))
        .cloned()
        .unwrap_or(order);
    Ok(json!({ "order": order_view(ctx.inner, &order), "trades": trades }))
}

/// `private/edit` (`order_id`, `amount`, `price`).
pub(super) fn edit(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<Value, DeribitError> {
    let (_, account) = ctx.authorised(Area::Trade, Access::ReadWrite)?;
    let id = p.required("order_id")?;
    amend(ctx, &account.client_id, views::order_number(&id), p)
}

/// The open orders of `account` with `label` (on `instrument` when named).
fn open_with_label(
    ex: &Exchange,
    account: &str,
    label: &str,
    instrument: Option<&str>,
) -> Vec<Order> {
    ex.open_orders(account, &CancelFilter::default())
        .into_iter()
        .filter(|o| o.client_id.as_deref() == Some(label))
        .filter(|o| instrument.is_none_or(|i| o.symbol == i))
        .collect()
}

/// `private/edit_by_label` (`label`, `instrument_name`, `amount`, `price`): exactly one open
/// order may carry the label, else 13032 `non_unique_order_label`.
pub(super) fn edit_by_label(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<Value, DeribitError> {
    let (_, account) = ctx.authorised(Area::Trade, Access::ReadWrite)?;
    let label = p.required("label")?;
    let instrument = listing(ctx.inner, p)?.inst.symbol.clone();
    let matches = {
        let ex = ctx.inner.exchange.lock();
        open_with_label(&ex, &account.client_id, &label, Some(&instrument))
    };
    match matches.as_slice() {
        [] => Err(DeribitError::order_not_found()),
        [one] => amend(ctx, &account.client_id, &one.id.clone(), p),
        _ => Err(DeribitError::non_unique_label()),
    }
}

/// `private/cancel` (`order_id`).
pub(super) fn cancel(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<Value, DeribitError> {
    let (_, account) = ctx.authorised(Area::Trade, Access::ReadWrite)?;
    let id = p.required("order_id")?;
    let mut ex = ctx.inner.exchange.lock();
    let order = ex
        .cancel(
            &account.client_id,
            OrderRef::Id(views::order_number(&id)),
            ctx.now,
        )
        .map_err(|e| DeribitError::from_core(&e))?;
    Ok(order_view(ctx.inner, &order))
}

/// `private/cancel_by_label` (`label`, optional `currency`): how many orders it cancelled.
pub(super) fn cancel_by_label(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<Value, DeribitError> {
    let (_, account) = ctx.authorised(Area::Trade, Access::ReadWrite)?;
    let label = p.required("label")?;
    let currency = currency(p, false)?;
    let mut ex = ctx.inner.exchange.lock();
    let targets: Vec<String> = open_with_label(&ex, &account.client_id, &label, None)
        .into_iter()
        .filter(|o| {
            currency.as_deref().is_none_or(|c| {
                ctx.inner
                    .listing(&o.symbol)
                    .is_some_and(|l| l.currency() == c)
            })
        })
        .map(|o| o.id)
        .collect();
    let mut n = 0;
    for id in targets {
        if ex
            .cancel(&account.client_id, OrderRef::Id(&id), ctx.now)
            .is_ok()
        {
            n += 1;
        }
    }
    Ok(json!(n))
}

/// The filter of a `currency` / `kind` / `type` / `instrument_name` request.
fn filter(ctx: &Ctx<'_>, p: &Params<'_>, scope: Scope) -> Result<CancelFilter, DeribitError> {
    let mut f = CancelFilter::default();
    match scope {
        Scope::All => {}
        Scope::Currency => {
            f.settle = currency(p, true)?;
            f.option = kind(p)?.map(|k| k == super::super::instruments::InstrumentKind::Option);
        }
        Scope::Instrument => f.symbol = Some(listing(ctx.inner, p)?.inst.symbol.clone()),
    }
    if scope == Scope::All {
        f.option = kind(p)?.map(|k| k == super::super::instruments::InstrumentKind::Option);
    }
    f.conditional = match p.text("type").as_deref() {
        None | Some("all") => None,
        Some("limit") | Some("market") => Some(false),
        Some("trigger_all") | Some("stop_all") | Some("take_all") | Some("stop_limit")
        | Some("stop_market") | Some("take_limit") | Some("take_market") => Some(true),
        Some(_) => return Err(DeribitError::invalid_params("type", "unknown order type")),
    };
    Ok(f)
}

/// `private/cancel_all`, `_by_currency`, `_by_instrument`: how many orders were cancelled.
pub(super) fn cancel_all(
    ctx: &Ctx<'_>,
    p: &Params<'_>,
    scope: Scope,
) -> Result<Value, DeribitError> {
    let (_, account) = ctx.authorised(Area::Trade, Access::ReadWrite)?;
    let f = filter(ctx, p, scope)?;
    let mut ex = ctx.inner.exchange.lock();
    let cancelled = ex.cancel_all(&account.client_id, &f, ctx.now);
    Ok(json!(cancelled.len()))
}

/// `private/get_open_orders`, `_by_currency`, `_by_instrument`.
pub(super) fn open_orders(
    ctx: &Ctx<'_>,
    p: &Params<'_>,
    scope: Scope,
) -> Result<Value, DeribitError> {
    let (_, account) = ctx.authorised(Area::Trade, Access::Read)?;
    let f = filter(ctx, p, scope)?;
    let ex = ctx.inner.exchange.lock();
    let list = ex
        .open_orders(&account.client_id, &f)
        .iter()
        .map(|o| order_view(ctx.inner, o))
        .collect();
    Ok(Value::Array(list))
}

/// `private/get_order_state` (`order_id`): open or finished.
pub(super) fn order_state(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<Value, DeribitError> {
    let (_, account) = ctx.authorised(Area::Trade, Access::Read)?;
    let id = p.required("order_id")?;
    let ex = ctx.inner.exchange.lock();
    let order = ex
        .order(&account.client_id, OrderRef::Id(views::order_number(&id)))
        .ok_or_else(DeribitError::order_not_found)?;
    Ok(order_view(ctx.inner, order))
}

/// `private/get_order_state_by_label` (`currency`, `label`): every order with the label.
pub(super) fn order_state_by_label(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<Value, DeribitError> {
    let (_, account) = ctx.authorised(Area::Trade, Access::Read)?;
    let currency = currency(p, true)?;
    let label = p.required("label")?;
    let ex = ctx.inner.exchange.lock();
    let list = ex
        .orders(&account.client_id)
        .iter()
        .filter(|o| o.client_id.as_deref() == Some(label.as_str()))
        .filter(|o| {
            currency.as_deref().is_none_or(|c| {
                ctx.inner
                    .listing(&o.symbol)
                    .is_some_and(|l| l.currency() == c)
            })
        })
        .map(|o| order_view(ctx.inner, o))
        .collect();
    Ok(Value::Array(list))
}

/// `private/get_order_history_by_currency` and `_by_instrument`: finished orders, newest
/// first (`count` default 20, `offset`).
pub(super) fn history(ctx: &Ctx<'_>, p: &Params<'_>, scope: Scope) -> Result<Value, DeribitError> {
    let (_, account) = ctx.authorised(Area::Trade, Access::Read)?;
    let f = filter(ctx, p, scope)?;
    let count = usize::try_from(p.int("count")?.unwrap_or(20).clamp(1, 10_000)).unwrap_or(20);
    let offset = usize::try_from(p.int("offset")?.unwrap_or(0).max(0)).unwrap_or(0);
    let ex = ctx.inner.exchange.lock();
    let list = ex
        .orders(&account.client_id)
        .iter()
        .filter(|o| !o.is_open())
        .filter(|o| {
            let inst = ex.instrument(&o.symbol);
            f.symbol.as_ref().is_none_or(|s| *s == o.symbol)
                && f.settle
                    .as_ref()
                    .is_none_or(|c| inst.is_some_and(|i| i.settle == *c))
                && f.option
                    .is_none_or(|opt| inst.is_some_and(|i| i.is_option() == opt))
        })
        .skip(offset)
        .take(count)
        .map(|o| order_view(ctx.inner, o))
        .collect();
    Ok(Value::Array(list))
}
