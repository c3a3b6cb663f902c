//! Matching: orders as the simulator keeps them, placing LIMIT and MARKET orders (market, limit,
//! IOC/FOK/GTX/GTD, reduce-only), taking the book, filling resting orders, cancelling and the
//! countdownCancelAll deadlines.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::binance_usdm::algo::{self};
use crate::binance_usdm::{BinanceError, SimEvent, auth};

use super::accounts::{apply_fill, order_price};
use super::market_data::Level;
use super::market_data::{DAY, MINUTE};
use super::{AccountTrade, BOOK_LEVELS, Exchange, Market};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::binance_usdm) enum Side {
    Buy,
    Sell,
}

impl Side {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }

    pub(super) fn sign(self) -> Decimal {
        match self {
            Side::Buy => Decimal::ONE,
            Side::Sell => Decimal::NEGATIVE_ONE,
        }
    }
}

/// One order, as the simulator keeps it.
#[derive(Debug, Clone)]
pub(in crate::binance_usdm) struct Order {
    pub(in crate::binance_usdm) order_id: u64,
    pub(in crate::binance_usdm) api_key: String,
    pub(in crate::binance_usdm) symbol: String,
    pub(in crate::binance_usdm) client_id: String,
    pub(super) side: Side,
    /// LIMIT or MARKET (conditional types go through the Algo Service).
    pub(super) order_type: String,
    pub(super) time_in_force: String,
    pub(super) qty: Decimal,
    pub(super) price: Decimal,
    pub(super) stop_price: Decimal,
    pub(super) working_type: String,
    pub(super) reduce_only: bool,
    pub(super) close_position: bool,
    pub(super) price_protect: bool,
    pub(super) good_till_date: i64,
    pub(in crate::binance_usdm) status: String,
    pub(super) executed: Decimal,
    pub(super) cum_quote: Decimal,
    pub(in crate::binance_usdm) time: i64,
    pub(super) update_time: i64,
    /// The algo order whose trigger placed this order, if any.
    pub(super) parent_algo: Option<u64>,
}

impl Order {
    pub(in crate::binance_usdm) fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "NEW" | "PARTIALLY_FILLED")
    }

    pub(super) fn is_market(&self) -> bool {
        self.order_type == "MARKET"
    }

    /// Filled, canceled or expired: nothing more will happen to it.
    pub(super) fn is_done(&self) -> bool {
        !self.is_open()
    }

    /// The notional an open order holds initial margin for (none for reduce-only orders).
    pub(in crate::binance_usdm) fn margin_at(&self, mark: Decimal) -> Decimal {
        if self.reduce_only || self.close_position {
            Decimal::ZERO
        } else {
            self.remaining() * order_price(self, mark)
        }
    }

    pub(super) fn remaining(&self) -> Decimal {
        self.qty - self.executed
    }

    pub(super) fn avg_price(&self) -> Decimal {
        if self.executed.is_zero() {
            Decimal::ZERO
        } else {
            (self.cum_quote / self.executed).round_dp(8).normalize()
        }
    }
}

/// One execution to report: (quantity, price, maker?, realised PnL, trade id).
pub(super) struct Execution {
    pub(super) qty: Decimal,
    pub(super) price: Decimal,
    pub(super) maker: bool,
    pub(super) realized: Decimal,
    pub(super) trade_id: u64,
}

impl Exchange {
    /// Fills the resting limits of `symbol` that the best bid / ask crossed, oldest first.
    pub(super) fn fill_crossed(&mut self, symbol: &str, bid: Decimal, ask: Decimal, now: i64) {
        for id in self.orders.open_ids_on_symbol(symbol) {
            let Some(order) = self.orders.get(id) else {
                continue;
            };
            // A resting limit fills at its price once the opposite best crosses it.
            let crossed = match order.side {
                Side::Buy => ask <= order.price,
                Side::Sell => bid >= order.price,
            };
            if crossed {
                let (qty, price) = (order.remaining(), order.price);
                self.fill_resting(id, qty, price, now);
            }
        }
    }

    /// Fills part or all of a resting (maker) order at `price`.
    pub(super) fn fill_resting(&mut self, id: u64, qty: Decimal, price: Decimal, now: i64) {
        let Some(qty) = self.allowed_qty(id, qty) else {
            self.finish(id, "EXPIRED", now);
            return;
        };
        self.execute(id, qty, price, true, now);
    }

    /// For a reduce-only or close-position order: the part of `qty` that still reduces the
    /// position (`None` when nothing does).
    pub(super) fn allowed_qty(&self, id: u64, qty: Decimal) -> Option<Decimal> {
        let order = self.orders.get(id)?;
        if !order.reduce_only && !order.close_position {
            return Some(qty);
        }
        let pos = self
            .accounts
            .get(&order.api_key)?
            .position(&order.symbol)
            .amt;
        let reducible = if pos * order.side.sign() < Decimal::ZERO {
            pos.abs()
        } else {
            Decimal::ZERO
        };
        let allowed = qty.min(reducible);
        (allowed > Decimal::ZERO).then_some(allowed)
    }

    /// Runs an order as a taker against the book: a MARKET walks levels until filled; a LIMIT
    /// takes the levels at or better than its price, then rests (GTC/GTD/GTX) or expires
    /// (IOC/FOK).
    pub(super) fn take(&mut self, id: u64, now: i64) {
        let Some(order) = self.orders.get(id) else {
            return;
        };
        let Some(m) = self.market(&order.symbol) else {
            return;
        };
        let mut wanted = if order.close_position {
            self.accounts
                .get(&order.api_key)
                .map_or(Decimal::ZERO, |a| a.position(&order.symbol).amt.abs())
        } else {
            order.remaining()
        };
        if order.reduce_only || order.close_position {
            wanted = self.allowed_qty(id, wanted).unwrap_or(Decimal::ZERO);
        }
        let market_like = order.is_market();
        let buy = order.side == Side::Buy;
        let limit = order.price;
        let mut fills = Vec::new();
        let mut left = wanted;
        for i in 0..BOOK_LEVELS {
            if left <= Decimal::ZERO {
                break;
            }
            let Level { price, size } = m.level(!buy, i);
            if price <= Decimal::ZERO {
                break;
            }
            if !market_like && ((buy && price > limit) || (!buy && price < limit)) {
                break;
            }
            let q = left.min(size);
            fills.push((q, price));
            left -= q;
        }
        if wanted.is_zero() {
            self.finish(id, "EXPIRED", now);
            return;
        }
        if order.close_position {
            self.orders.update(id, |o| o.qty = wanted);
        }
        for (q, price) in fills {
            self.execute(id, q, price, false, now);
        }
        let Some(order) = self.orders.get(id) else {
            return;
        };
        if order.is_open() && (market_like || matches!(order.time_in_force.as_str(), "IOC" | "FOK"))
        {
            self.finish(id, "EXPIRED", now);
        }
    }

    /// Ends an open order with `status` (CANCELED or EXPIRED) and reports it.
    pub(in crate::binance_usdm) fn finish(&mut self, id: u64, status: &str, now: i64) {
        let ended = self.orders.update(id, |order| {
            if !order.is_open() {
                return false;
            }
            order.status = status.to_owned();
            order.update_time = now;
            true
        });
        if ended != Some(true) {
            return;
        }
        self.publish_user(id, |ex| ex.order_event(id, status, None, now));
        self.settle_algo(id, now);
    }

    /// Publishes what `build` makes to the user stream of the account that owns order `id`;
    /// nothing is built while no stream is connected.
    pub(super) fn publish_user(&self, id: u64, build: impl FnOnce(&Self) -> Option<Value>) {
        if !self.listening() {
            return;
        }
        let (Some(data), Some(order)) = (build(self), self.orders.get(id)) else {
            return;
        };
        self.publish(SimEvent::user(order.api_key.clone(), data));
    }

    /// One execution of `qty` at `price`: updates the order, the position and the wallet, and
    /// reports ORDER_TRADE_UPDATE (TRADE) and ACCOUNT_UPDATE.
    pub(super) fn execute(&mut self, id: u64, qty: Decimal, price: Decimal, maker: bool, now: i64) {
        let Some((side, symbol, api_key)) = self.orders.update(id, |order| {
            order.executed += qty;
            order.cum_quote += qty * price;
            order.update_time = now;
            order.status = if order.executed >= order.qty {
                "FILLED".to_owned()
            } else {
                "PARTIALLY_FILLED".to_owned()
            };
            (order.side, order.symbol.clone(), order.api_key.clone())
        }) else {
            return;
        };
        self.next_trade_id += 1;
        let trade_id = self.next_trade_id;
        let watched = self.watched(&symbol);
        if let Some(i) = self.market_index(&symbol) {
            let m = &mut self.markets[i];
            m.last = price;
            m.last_qty = qty;
            m.update_id += 1;
            m.trade_ids.push_back((now, trade_id));
            while m
                .trade_ids
                .front()
                .is_some_and(|(t, _)| *t < now - DAY - MINUTE)
            {
                m.trade_ids.pop_front();
            }
            if let Some(c) = m.current_candle(now) {
                c.trade(price, qty, side == Side::Buy);
            }
            let buyer_is_maker = (side == Side::Buy) == maker;
            let trade = crate::binance_usdm::ws::Trade {
                id: trade_id,
                price,
                qty,
                buyer_is_maker,
            };
            if watched {
                let event = crate::binance_usdm::ws::agg_trade_event(m, &trade, now);
                self.publish(event);
            }
        }
        let realized = match self.accounts.get_mut(&api_key) {
            Some(account) => {
                let realized = apply_fill(account, &symbol, side.sign() * qty, price, now);
                account.trades.push(AccountTrade {
                    id: trade_id,
                    order_id: id,
                    symbol: symbol.clone(),
                    side,
                    price,
                    qty,
                    realized_pnl: realized,
                    maker,
                    time: now,
                });
                realized
            }
            None => Decimal::ZERO,
        };
        let execution = Execution {
            qty,
            price,
            maker,
            realized,
            trade_id,
        };
        self.publish_user(id, |ex| ex.order_event(id, "TRADE", Some(&execution), now));
        self.publish_user(id, |ex| ex.account_update(&api_key, &symbol, now));
        if self.orders.get(id).is_some_and(Order::is_done) {
            self.settle_algo(id, now);
        }
    }

    /// `POST /fapi/v1/order`: LIMIT and MARKET. The conditional types answer -4120 since the
    /// Algo Service migration (see [`Exchange::place_algo`]).
    pub(in crate::binance_usdm) fn place(
        &mut self,
        api_key: &str,
        p: &HashMap<String, String>,
        now: i64,
    ) -> Result<Value, BinanceError> {
        let symbol = auth::required(p, "symbol")?;
        let side = side(p)?;
        let order_type = auth::required(p, "type")?;
        let needs_price = match order_type {
            "LIMIT" => true,
            "MARKET" => false,
            t if algo::CONDITIONAL_TYPES.contains(&t) => return Err(BinanceError::AlgoOrderOnly),
            _ => return Err(BinanceError::InvalidOrderType),
        };
        let m = self.market(symbol).ok_or(BinanceError::InvalidSymbol)?;
        let flag = |name: &str| flag(p, name);
        // Close-All belongs to STOP_MARKET / TAKE_PROFIT_MARKET, now algo orders.
        if flag("closePosition")? {
            return Err(BinanceError::InvalidParam("closePosition".into()));
        }
        let reduce_only = flag("reduceOnly")?;
        let price_protect = flag("priceProtect")?;
        let qty = auth::decimal(p, "quantity")?;
        let price = price(p, needs_price)?;
        let time_in_force = match (needs_price, p.get("timeInForce").map(String::as_str)) {
            (true, None) => return Err(BinanceError::Mandatory("timeInForce".into())),
            (_, Some(t @ ("GTC" | "IOC" | "FOK" | "GTX" | "GTD"))) => t,
            (_, Some(_)) => return Err(BinanceError::InvalidTimeInForce),
            (false, None) => "GTC",
        };
        let good_till_date = good_till_date(p, time_in_force)?;
        let working_type = working_type(p)?;
        m.rules.check(price, qty, m.mark, reduce_only)?;

        let client_id = match p.get("newClientOrderId") {
            Some(id) => {
                auth::check_client_order_id(id)?;
                id.clone()
            }
            None => format!("sim{}", self.next_order_id + 1),
        };
        // "A unique id among open orders": refused only while an order with this id is open.
        if self.orders.is_open_client_id(api_key, symbol, &client_id) {
            return Err(BinanceError::DuplicateClientOrderId);
        }
        let account = self
            .accounts
            .get(api_key)
            .ok_or(BinanceError::RejectedKey)?;
        let pos = account.position(symbol).amt;
        // Reduce-only: only against an open position on the other side, and no larger than it
        // (Binance's "Summary of Failed Orders": same direction, or more than the position).
        if reduce_only && (pos * side.sign() >= Decimal::ZERO || qty > pos.abs()) {
            return Err(BinanceError::ReduceOnlyRejected);
        }
        let (bid, ask) = (m.best_bid(), m.best_ask());
        if let Some(limit) = price {
            let crosses = match side {
                Side::Buy => limit >= ask,
                Side::Sell => limit <= bid,
            };
            if crosses && time_in_force == "GTX" {
                return Err(BinanceError::GtxRejected);
            }
            if time_in_force == "FOK" && !fillable(m, side, limit, qty) {
                return Err(BinanceError::FokRejected);
            }
        }
        // Initial margin for the part of the order that grows the position.
        if !reduce_only {
            let reducing = if pos * side.sign() < Decimal::ZERO {
                pos.abs().min(qty)
            } else {
                Decimal::ZERO
            };
            let reference = match (price, side) {
                (Some(p), _) => p,
                (None, Side::Buy) => ask,
                (None, Side::Sell) => bid,
            };
            let lev = Decimal::from(account.leverage(symbol));
            let needed = (qty - reducing) * reference / lev;
            if needed > self.available(api_key) {
                return Err(BinanceError::MarginInsufficient);
            }
        }

        self.next_order_id += 1;
        let id = self.next_order_id;
        let order = Order {
            order_id: id,
            api_key: api_key.to_owned(),
            symbol: symbol.to_owned(),
            client_id,
            side,
            order_type: order_type.to_owned(),
            time_in_force: time_in_force.to_owned(),
            qty,
            price: price.unwrap_or(Decimal::ZERO),
            stop_price: Decimal::ZERO,
            working_type: working_type.to_owned(),
            reduce_only,
            close_position: false,
            price_protect,
            good_till_date,
            status: "NEW".to_owned(),
            executed: Decimal::ZERO,
            cum_quote: Decimal::ZERO,
            time: now,
            update_time: now,
            parent_algo: None,
        };
        self.orders.insert(order);
        self.publish_user(id, |ex| ex.order_event(id, "NEW", None, now));
        self.take(id, now);
        self.orders
            .get(id)
            .map(Order::to_json)
            .ok_or(BinanceError::NoSuchOrder)
    }

    /// Cancels every open order of `api_key` on `symbol`.
    pub(in crate::binance_usdm) fn cancel_symbol(&mut self, api_key: &str, symbol: &str, now: i64) {
        for id in self.orders.open_ids_on(api_key, symbol) {
            self.finish(id, "CANCELED", now);
        }
    }

    /// Fires countdownCancelAll deadlines that have passed.
    pub(in crate::binance_usdm) fn fire_countdowns(&mut self, now: i64) {
        let due: Vec<(String, String)> = self
            .countdowns
            .iter()
            .filter(|(_, deadline)| **deadline <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for (api_key, symbol) in due {
            self.countdowns.remove(&(api_key.clone(), symbol.clone()));
            self.cancel_symbol(&api_key, &symbol, now);
        }
    }
}

/// A `"true"` / `"false"` parameter (absent: false).
pub(super) fn flag(p: &HashMap<String, String>, name: &str) -> Result<bool, BinanceError> {
    match p.get(name).map(String::as_str) {
        None | Some("false" | "FALSE") => Ok(false),
        Some("true" | "TRUE") => Ok(true),
        Some(_) => Err(BinanceError::InvalidParam(name.into())),
    }
}

/// `side`: BUY or SELL.
pub(super) fn side(p: &HashMap<String, String>) -> Result<Side, BinanceError> {
    match auth::required(p, "side")? {
        "BUY" => Ok(Side::Buy),
        "SELL" => Ok(Side::Sell),
        _ => Err(BinanceError::InvalidSide),
    }
}

/// `price`: mandatory for the order types that `need` one, refused for the others.
pub(super) fn price(
    p: &HashMap<String, String>,
    need: bool,
) -> Result<Option<Decimal>, BinanceError> {
    if need {
        Ok(Some(auth::decimal(p, "price")?))
    } else if p.contains_key("price") {
        Err(BinanceError::NotRequired("price".into()))
    } else {
        Ok(None)
    }
}

/// `goodTillDate`, mandatory with timeInForce GTD (0 otherwise).
pub(super) fn good_till_date(
    p: &HashMap<String, String>,
    time_in_force: &str,
) -> Result<i64, BinanceError> {
    if time_in_force != "GTD" {
        return Ok(0);
    }
    auth::required(p, "goodTillDate")?
        .parse::<i64>()
        .map_err(|_| BinanceError::Mandatory("goodTillDate".into()))
}

/// `workingType`: CONTRACT_PRICE (default) or MARK_PRICE.
pub(super) fn working_type(p: &HashMap<String, String>) -> Result<&'static str, BinanceError> {
    match p.get("workingType").map(String::as_str) {
        None | Some("CONTRACT_PRICE") => Ok("CONTRACT_PRICE"),
        Some("MARK_PRICE") => Ok("MARK_PRICE"),
        Some(_) => Err(BinanceError::InvalidParam("workingType".into())),
    }
}

/// Whether `qty` can fill at once at `limit` or better (FOK).
pub(super) fn fillable(m: &Market, side: Side, limit: Decimal, qty: Decimal) -> bool {
    let mut available = Decimal::ZERO;
    for i in 0..BOOK_LEVELS {
        let Level { price, size } = m.level(side == Side::Sell, i);
        let ok = match side {
            Side::Buy => price <= limit,
            Side::Sell => price >= limit && price > Decimal::ZERO,
        };
        if !ok {
            break;
        }
        available += size;
        if available >= qty {
            return true;
        }
    }
    false
}
