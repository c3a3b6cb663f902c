//! The core's orders, fills, positions, wallets, tickers and books in Deribit's shapes, as the
//! API reference's examples show them (`private/buy`'s `order` and `trades`,
//! `private/get_positions`, `private/get_account_summary`, `public/ticker`,
//! `public/get_order_book`).

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};

use super::RateLimits;
use super::instruments::Listing;
use super::json::num;
use crate::core::{
    Book, CancelReason, Execution, Greeks, OptionQuote, Order, OrderKind, OrderStatus, Position,
    PublicTrade, Side, Ticker, TimeInForce, Wallet,
};

/// What Deribit shows of an order that the core does not keep.
#[derive(Debug, Clone, Default)]
pub struct OrderMeta {
    /// `limit` or `market`, as asked.
    pub order_type: String,
    pub post_only: bool,
    pub reject_post_only: bool,
    /// `good_til_day` is kept as GTC by the core.
    pub good_til_day: bool,
    /// Set once the order was edited.
    pub replaced: bool,
    /// Set when cancel-on-disconnect cancelled it.
    pub cancelled_on_disconnect: bool,
    /// A stop or take order's `trigger` as asked: `index_price`, `mark_price`, `last_price`.
    pub trigger: String,
}

/// `buy` / `sell`.
pub fn direction(side: Side) -> &'static str {
    match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

/// `ETH-349249`: the core's number with the currency in front.
pub fn order_id(listing: &Listing, number: &str) -> String {
    format!("{}-{number}", listing.currency())
}

/// The core's number of a Deribit order id (`BTC-30000000001` → `30000000001`); a bare number
/// is taken as it is.
pub fn order_number(order_id: &str) -> &str {
    order_id.rsplit_once('-').map_or(order_id, |(_, n)| n)
}

pub fn order_state(o: &Order) -> &'static str {
    match o.status {
        OrderStatus::Untriggered => "untriggered",
        OrderStatus::New | OrderStatus::PartiallyFilled => "open",
        OrderStatus::Filled => "filled",
        OrderStatus::Cancelled => match o.cancel_reason {
            Some(CancelReason::PostOnlyWouldTake) => "rejected",
            _ => "cancelled",
        },
    }
}

fn time_in_force(o: &Order, meta: &OrderMeta) -> &'static str {
    match o.time_in_force {
        TimeInForce::Ioc if o.kind == OrderKind::Market => "good_til_cancelled",
        TimeInForce::Ioc => "immediate_or_cancel",
        TimeInForce::Fok => "fill_or_kill",
        TimeInForce::Gtc | TimeInForce::PostOnly if meta.good_til_day => "good_til_day",
        TimeInForce::Gtc | TimeInForce::PostOnly => "good_til_cancelled",
    }
}

/// Deribit's `cancel_reason` of a cancelled order.
fn cancel_reason(o: &Order, meta: &OrderMeta) -> Option<&'static str> {
    if meta.cancelled_on_disconnect {
        return Some("cancel_on_disconnect");
    }
    Some(match o.cancel_reason? {
        CancelReason::ByClient => "user_request",
        CancelReason::DeadMan => "cancel_on_disconnect",
        CancelReason::Expired => "settlement",
        CancelReason::Remainder | CancelReason::FokUnfillable => "user_request",
        CancelReason::PostOnlyWouldTake => "post_only_reject",
        CancelReason::ReduceOnlyNothingToReduce => "reduce_only",
    })
}

/// An order as `private/buy` and `private/get_order_state` show it.
pub fn order(o: &Order, listing: &Listing, meta: &OrderMeta) -> Value {
    let price = match (o.kind, o.price) {
        (OrderKind::Limit, Some(p)) => num(p),
        _ => json!("market_price"),
    };
    let contracts = o.qty.checked_div(listing.contract_size).unwrap_or_default();
    let mut v = json!({
        "web": false,
        "mobile": false,
        "api": true,
        "time_in_force": time_in_force(o, meta),
        "replaced": meta.replaced,
        "reduce_only": o.reduce_only,
        "price": price,
        "post_only": meta.post_only,
        "reject_post_only": meta.reject_post_only,
        "order_type": if meta.order_type.is_empty() {
            match o.kind { OrderKind::Limit => "limit", OrderKind::Market => "market" }
        } else {
            meta.order_type.as_str()
        },
        "order_state": order_state(o),
        "order_id": order_id(listing, &o.id),
        "max_show": num(o.qty),
        "last_update_timestamp": o.updated_ms,
        "creation_timestamp": o.created_ms,
        "label": o.client_id.clone().unwrap_or_default(),
        "is_rebalance": false,
        "is_liquidation": false,
        "instrument_name": o.symbol,
        "filled_amount": num(o.filled_qty),
        "direction": direction(o.side),
        "average_price": num(o.avg_price().unwrap_or_default()),
        "amount": num(o.qty),
        "contracts": num(contracts),
        "commission": num(o.fees),
        "risk_reducing": false,
        "mmp": false,
    });
    if let Some(t) = &o.trigger {
        v["trigger"] = json!(if meta.trigger.is_empty() {
            "last_price"
        } else {
            meta.trigger.as_str()
        });
        v["trigger_price"] = num(t.price);
        v["triggered"] = json!(o.triggered);
    }
    if let Some(reason) = cancel_reason(o, meta).filter(|_| o.status == OrderStatus::Cancelled) {
        v["cancel_reason"] = json!(reason);
    }
    v
}

/// A fill as `private/buy`'s `trades` and `private/get_user_trades_*` show it.
pub fn trade(
    e: &Execution,
    listing: &Listing,
    order: Option<&Order>,
    meta: &OrderMeta,
    index_price: Decimal,
    quote: Option<&OptionQuote>,
) -> Value {
    let contracts = e.qty.checked_div(listing.contract_size).unwrap_or_default();
    let mut v = json!({
        "trade_seq": e.trade_id,
        "trade_id": format!("{}-{}", listing.currency(), e.trade_id),
        "timestamp": e.time_ms,
        "tick_direction": 0,
        "state": order.map_or("filled", order_state),
        "reduce_only": order.is_some_and(|o| o.reduce_only),
        "post_only": meta.post_only,
        "price": num(e.price),
        "order_type": if meta.order_type.is_empty() { "limit" } else { meta.order_type.as_str() },
        "order_id": order_id(listing, &e.order_id),
        "matching_id": Value::Null,
        "mark_price": num(e.mark_price),
        "liquidity": if e.maker { "M" } else { "T" },
        "instrument_name": e.symbol,
        "index_price": num(index_price),
        "fee_currency": listing.inst.settle,
        "fee": num(e.fee),
        "direction": direction(e.side),
        "amount": num(e.qty),
        "contracts": num(contracts),
        "profit_loss": num(e.realized_pnl),
        "label": e.client_id.clone().unwrap_or_default(),
        "api": true,
        "self_trade": false,
        "risk_reducing": false,
        "mmp": false,
    });
    if let Some(q) = quote {
        v["iv"] = num((q.mark_iv * Decimal::ONE_HUNDRED).round_dp(2));
        v["underlying_price"] = num(q.underlying_price);
    }
    v
}

/// A trade of the public tape as `public/get_last_trades_by_instrument` and the `trades.*`
/// channels show it.
pub fn public_trade(t: &PublicTrade, listing: &Listing, mark: Decimal, index: Decimal) -> Value {
    let contracts = t.qty.checked_div(listing.contract_size).unwrap_or_default();
    json!({
        "trade_seq": t.trade_id,
        "trade_id": format!("{}-{}", listing.currency(), t.trade_id),
        "timestamp": t.time_ms,
        "tick_direction": 0,
        "price": num(t.price),
        "mark_price": num(mark),
        "index_price": num(index),
        "instrument_name": t.symbol,
        "direction": direction(t.taker_side),
        "amount": num(t.qty),
        "contracts": num(contracts),
    })
}

/// `buy`, `sell` or `zero` of a signed size.
fn position_direction(size: Decimal) -> &'static str {
    if size > Decimal::ZERO {
        "buy"
    } else if size < Decimal::ZERO {
        "sell"
    } else {
        "zero"
    }
}

/// A future's delta in the coin: its value at the mark, signed.
fn future_delta(p: &Position) -> Decimal {
    p.size
        .checked_div(p.mark_price)
        .unwrap_or_default()
        .round_dp(9)
}

/// A position as `private/get_positions` shows it.
pub fn position(
    p: &Position,
    listing: &Listing,
    index_price: Decimal,
    open_orders_margin: Decimal,
) -> Value {
    let mut v = json!({
        "instrument_name": p.symbol,
        "kind": listing.kind.wire(),
        "direction": position_direction(p.size),
        "size": num(p.size),
        "average_price": num(p.entry_price),
        "mark_price": num(p.mark_price),
        "index_price": num(index_price),
        "settlement_price": num(p.mark_price),
        "floating_profit_loss": num(p.unrealized_pnl),
        "realized_profit_loss": num(p.realized_pnl),
        "total_profit_loss": num((p.unrealized_pnl + p.realized_pnl).round_dp(8)),
        "initial_margin": num(p.initial_margin),
        "maintenance_margin": num(p.maintenance_margin),
        "open_orders_margin": num(open_orders_margin),
        "estimated_liquidation_price": if p.liquidation_price.is_zero() { Value::Null } else { num(p.liquidation_price) },
        "interest_value": 0,
        "realized_funding": 0,
    });
    match &p.greeks {
        Some(g) => {
            // "leverage: Current available leverage for future position": none for options.
            v["delta"] = num(g.delta);
            v["gamma"] = num(g.gamma);
            v["vega"] = num(g.vega);
            v["theta"] = num(g.theta);
            v["size_currency"] = num(p.size);
            v["average_price_usd"] = num((p.entry_price * index_price).round_dp(2));
            v["floating_profit_loss_usd"] = num((p.unrealized_pnl * index_price).round_dp(2));
        }
        None => {
            v["leverage"] = json!(p.leverage.to_i64().unwrap_or(1));
            v["delta"] = num(future_delta(p));
            v["size_currency"] = num(future_delta(p));
        }
    }
    v
}

/// What `private/get_account_summary` adds up over a currency's positions.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub options_pl: Decimal,
    pub futures_pl: Decimal,
    pub options: Greeks,
    pub futures_delta: Decimal,
}

impl Totals {
    pub fn of(positions: &[Position]) -> Totals {
        let mut t = Totals::default();
        for p in positions {
            match &p.greeks {
                Some(g) => {
                    t.options_pl += p.unrealized_pnl;
                    t.options.delta += g.delta;
                    t.options.gamma += g.gamma;
                    t.options.vega += g.vega;
                    t.options.theta += g.theta;
                }
                None => {
                    t.futures_pl += p.unrealized_pnl;
                    t.futures_delta += future_delta(p);
                }
            }
        }
        t
    }
}

/// A currency's summary as `private/get_account_summary` shows it.
pub fn summary(
    w: &Wallet,
    positions: &[Position],
    client_id: &str,
    account_id: u64,
    limits: &RateLimits,
) -> Value {
    let t = Totals::of(positions);
    let margin_balance = w.equity;
    json!({
        "currency": w.coin,
        "balance": num(w.balance),
        "equity": num(w.equity),
        "margin_balance": num(margin_balance),
        "available_funds": num(w.available),
        "available_withdrawal_funds": num(w.available.min(w.balance).max(Decimal::ZERO)),
        "initial_margin": num((w.position_margin + w.order_margin).round_dp(8)),
        "maintenance_margin": num(w.maintenance_margin),
        "projected_initial_margin": num((w.position_margin + w.order_margin).round_dp(8)),
        "projected_maintenance_margin": num(w.maintenance_margin),
        "session_upl": num(w.unrealized_pnl),
        "session_rpl": 0,
        "total_pl": num(w.unrealized_pnl),
        "options_value": num(w.options_value),
        "options_pl": num(t.options_pl.round_dp(8)),
        "options_session_upl": num(t.options_pl.round_dp(8)),
        "options_session_rpl": 0,
        "options_delta": num(t.options.delta.round_dp(5)),
        "options_gamma": num(t.options.gamma.round_dp(5)),
        "options_vega": num(t.options.vega.round_dp(5)),
        "options_theta": num(t.options.theta.round_dp(5)),
        "futures_pl": num(t.futures_pl.round_dp(8)),
        "futures_session_upl": num(t.futures_pl.round_dp(8)),
        "futures_session_rpl": 0,
        "delta_total": num((t.options.delta + t.futures_delta).round_dp(5)),
        "projected_delta_total": num((t.options.delta + t.futures_delta).round_dp(5)),
        "fee_balance": 0,
        "spot_reserve": 0,
        "margin_model": "segregated_sm",
        "portfolio_margining_enabled": false,
        "cross_collateral_enabled": false,
        // The credit limits as requests: 10,000 credits a second at 500 a request is 20 a
        // second, a 50,000-credit bucket a burst of 100.
        "limits": {
            "non_matching_engine": {
                "rate": limits.credits_per_second.checked_div(limits.credits_per_request).unwrap_or(0),
                "burst": limits.credits_max.checked_div(limits.credits_per_request).unwrap_or(0),
            },
            "matching_engine": {
                "rate": limits.matching_per_second,
                "burst": limits.matching_burst,
            },
        },
        "username": client_id,
        "id": account_id,
        "type": "main",
        "system_name": client_id,
    })
}

/// The figures `public/ticker` and `public/get_order_book` share.
fn market_fields(t: &Ticker, listing: &Listing, quote: Option<&OptionQuote>) -> Value {
    let level = |l: &crate::core::Level| {
        if l.price.is_zero() {
            (Value::Null, num(Decimal::ZERO))
        } else {
            (num(l.price), num(l.qty))
        }
    };
    let (bid, bid_amount) = level(&t.bid);
    let (ask, ask_amount) = level(&t.ask);
    let change = if t.prev_price_24h.is_zero() {
        Decimal::ZERO
    } else {
        ((t.last - t.prev_price_24h) / t.prev_price_24h * Decimal::ONE_HUNDRED).round_dp(4)
    };
    // Deribit's price band: the mark ± 5% (the band it refuses limit prices outside of).
    let band = (t.mark * Decimal::new(5, 2)).round_dp(4);
    let mut v = json!({
        "timestamp": t.time_ms,
        "state": if listing.inst.expired(t.time_ms) { "closed" } else { "open" },
        "instrument_name": t.symbol,
        "last_price": num(t.last),
        "mark_price": num(t.mark),
        "index_price": num(t.index),
        "settlement_price": num(t.mark),
        "estimated_delivery_price": num(t.index),
        "open_interest": num(t.open_interest),
        "min_price": num(listing.inst.floor_tick((t.mark - band).max(listing.inst.tick_size))),
        "max_price": num(listing.inst.floor_tick(t.mark + band)),
        "best_bid_price": bid,
        "best_bid_amount": bid_amount,
        "best_ask_price": ask,
        "best_ask_amount": ask_amount,
        "stats": {
            "volume": num(t.volume_24h),
            "volume_usd": num(t.turnover_24h.round_dp(2)),
            "price_change": num(change),
            "low": num(t.low_24h),
            "high": num(t.high_24h),
        },
    });
    match quote {
        Some(q) => {
            v["underlying_price"] = num(q.underlying_price);
            v["underlying_index"] = json!(format!("{}-PERPETUAL", listing.currency()));
            v["mark_iv"] = num((q.mark_iv * Decimal::ONE_HUNDRED).round_dp(2));
            v["interest_rate"] = 0.into();
            v["greeks"] = json!({
                "delta": num(q.greeks.delta),
                "gamma": num(q.greeks.gamma),
                "vega": num(q.greeks.vega),
                "theta": num(q.greeks.theta),
                "rho": 0,
            });
            // Filled in by the caller from the book's prices.
            v["bid_iv"] = num(Decimal::ZERO);
            v["ask_iv"] = num(Decimal::ZERO);
            // Deribit's option price band is wider: from 0 to the underlying's worth.
            v["min_price"] = num(listing.inst.tick_size);
        }
        None => {
            v["funding_8h"] = num(t.funding_rate);
            v["current_funding"] = num(if listing.is_perpetual() {
                t.funding_rate
            } else {
                Decimal::ZERO
            });
            v["interest_value"] = 0.into();
        }
    }
    v
}

/// A ticker as `public/ticker` shows it (`bid_iv` / `ask_iv` in percent, when a volatility
/// gives the book's prices).
pub fn ticker(
    t: &Ticker,
    listing: &Listing,
    quote: Option<&OptionQuote>,
    ivs: (Option<Decimal>, Option<Decimal>),
) -> Value {
    let mut v = market_fields(t, listing, quote);
    if quote.is_some() {
        v["bid_iv"] = num(ivs
            .0
            .map_or(Decimal::ZERO, |x| (x * Decimal::ONE_HUNDRED).round_dp(2)));
        v["ask_iv"] = num(ivs
            .1
            .map_or(Decimal::ZERO, |x| (x * Decimal::ONE_HUNDRED).round_dp(2)));
    }
    v
}

/// A book as `public/get_order_book` shows it: the ticker's fields, `change_id` and the
/// levels as `[price, amount]`.
pub fn order_book(
    b: &Book,
    t: &Ticker,
    listing: &Listing,
    quote: Option<&OptionQuote>,
    ivs: (Option<Decimal>, Option<Decimal>),
) -> Value {
    let mut v = ticker(t, listing, quote, ivs);
    let side = |levels: &[crate::core::Level]| {
        levels
            .iter()
            .map(|l| json!([num(l.price), num(l.qty)]))
            .collect::<Vec<_>>()
    };
    v["bids"] = json!(side(&b.bids));
    v["asks"] = json!(side(&b.asks));
    v["change_id"] = json!(b.seq);
    v["timestamp"] = json!(b.time_ms);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_ids_carry_the_currency() {
        assert_eq!(order_number("BTC-30000000001"), "30000000001");
        assert_eq!(order_number("30000000001"), "30000000001");
    }
}
