//! Orders: placing (checks, margin), taking the book, resting fills when the book crosses a
//! limit, conditional triggers, amend, cancel one, cancel all, and lookups.

use rust_decimal::Decimal;

use super::accounts::apply_fill;
use super::types::{
    CancelFilter, CancelReason, Execution, Order, OrderKind, OrderRequest, OrderStatus, Side,
    TimeInForce, TriggerBy, TriggerDirection,
};
use super::{ClientIdScope, CoreError, Event, Exchange, MAX_BOOK_LEVELS};

/// Names one order of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderRef<'a> {
    /// The venue's order id.
    Id(&'a str),
    /// The client's id (its latest order with it).
    ClientId(&'a str),
}

/// What an amend changes; `None` keeps the field.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Amend {
    /// The new total quantity (above what already filled).
    pub qty: Option<Decimal>,
    pub price: Option<Decimal>,
    pub trigger_price: Option<Decimal>,
}

impl Exchange {
    /// Places an order for `account`. Refusals ([`CoreError`]) change nothing. An accepted order
    /// is published, then runs at once: a conditional one waits for its trigger; a post-only
    /// one that would take is cancelled ([`CancelReason::PostOnlyWouldTake`]); a FOK one that
    /// cannot fill whole is cancelled ([`CancelReason::FokUnfillable`]); otherwise it takes the
    /// book up to its price, and the rest of a market or IOC order is cancelled
    /// ([`CancelReason::Remainder`]) while a GTC rest rests. Returns the order as it stands
    /// after that.
    pub fn place(
        &mut self,
        account: &str,
        req: OrderRequest,
        now: i64,
    ) -> Result<Order, CoreError> {
        let m = self
            .market(&req.symbol)
            .ok_or_else(|| CoreError::UnknownSymbol(req.symbol.clone()))?;
        let inst = &m.inst;
        if !self.has_account(account) {
            return Err(CoreError::UnknownAccount);
        }
        if m.settled || inst.expired(now) {
            return Err(CoreError::Expired);
        }
        if !inst.on_lot(req.qty) {
            return Err(CoreError::QtyNotOnLot);
        }
        if req.qty < inst.min_qty {
            return Err(CoreError::QtyBelowMin(inst.min_qty));
        }
        if req.qty > inst.max_qty {
            return Err(CoreError::QtyAboveMax(inst.max_qty));
        }
        let price = match req.kind {
            OrderKind::Limit => {
                let p = req.price.ok_or(CoreError::PriceMissing)?;
                if !inst.on_tick(p) {
                    return Err(CoreError::PriceNotOnTick);
                }
                Some(p)
            }
            OrderKind::Market => None,
        };
        if let Some(t) = req.trigger {
            let watched = match t.by {
                TriggerBy::Mark => m.mark,
                TriggerBy::Last => m.last,
            };
            let pending = match t.direction {
                TriggerDirection::Rise => watched < t.price,
                TriggerDirection::Fall => watched > t.price,
            };
            if !inst.on_tick(t.price) || !pending {
                return Err(CoreError::InvalidTrigger);
            }
        }
        if let Some(client_id) = &req.client_id
            && let Some(seq) = self.orders.seq_by_client(account, client_id)
        {
            let open = self.orders.get(seq).is_some_and(Order::is_open);
            let taken = match self.config.client_id_scope {
                ClientIdScope::AllOrders => true,
                ClientIdScope::OpenOrders => open,
                ClientIdScope::NotUnique => false,
            };
            if taken {
                return Err(CoreError::DuplicateClientId);
            }
        }
        let held = self.position_size(account, &req.symbol);
        if req.reduce_only && req.trigger.is_none() && held * req.side.sign() >= Decimal::ZERO {
            return Err(CoreError::ReduceOnlyWouldIncrease);
        }
        if !req.reduce_only {
            let reference = price.unwrap_or(match req.side {
                Side::Buy => m.best_ask(),
                Side::Sell => m.best_bid(),
            });
            let needed =
                self.margin_needed(account, &req.symbol, req.side.sign() * req.qty, reference);
            let settle = inst.settle.clone();
            let available = self
                .wallet(account, &settle)
                .map_or(Decimal::ZERO, |w| w.available);
            if needed > available {
                return Err(CoreError::InsufficientBalance);
            }
        }

        let seq = self.orders.next_seq();
        let order = Order {
            id: (self.config.order_id)(seq),
            seq,
            account: account.to_owned(),
            symbol: req.symbol.clone(),
            client_id: req.client_id,
            side: req.side,
            kind: req.kind,
            time_in_force: if req.kind == OrderKind::Market {
                TimeInForce::Ioc
            } else {
                req.time_in_force
            },
            qty: req.qty,
            price,
            reduce_only: req.reduce_only,
            trigger: req.trigger,
            triggered: false,
            status: if req.trigger.is_some() {
                OrderStatus::Untriggered
            } else {
                OrderStatus::New
            },
            cancel_reason: None,
            filled_qty: Decimal::ZERO,
            filled_value: Decimal::ZERO,
            fees: Decimal::ZERO,
            created_ms: now,
            updated_ms: now,
        };
        self.orders.insert(order);
        self.publish_order(seq);
        if req.trigger.is_none() {
            self.activate(seq, now);
        }
        self.orders
            .get(seq)
            .cloned()
            .ok_or(CoreError::OrderNotFound)
    }

    fn position_size(&self, account: &str, symbol: &str) -> Decimal {
        self.accounts
            .get(account)
            .and_then(|a| a.positions.get(symbol))
            .map_or(Decimal::ZERO, |p| p.size)
    }

    fn publish_order(&self, seq: u64) {
        if self.listening()
            && let Some(o) = self.orders.get(seq)
        {
            self.publish(Event::Order(o.clone()));
        }
    }

    /// Runs a live (new or just triggered) order against the book.
    fn activate(&mut self, seq: u64, now: i64) {
        let Some(order) = self.orders.get(seq) else {
            return;
        };
        let Some(m) = self.market(&order.symbol) else {
            return;
        };
        if let Some(limit) = order.price {
            let crosses = match order.side {
                Side::Buy => limit >= m.best_ask(),
                Side::Sell => limit <= m.best_bid(),
            };
            if order.time_in_force == TimeInForce::PostOnly && crosses {
                self.finish(seq, CancelReason::PostOnlyWouldTake, now);
                return;
            }
            if order.time_in_force == TimeInForce::Fok
                && self.takeable(&order.symbol, order.side, Some(limit)) < order.remaining()
            {
                self.finish(seq, CancelReason::FokUnfillable, now);
                return;
            }
        } else if order.time_in_force == TimeInForce::Fok
            && self.takeable(&order.symbol, order.side, None) < order.remaining()
        {
            self.finish(seq, CancelReason::FokUnfillable, now);
            return;
        }
        self.take(seq, now);
    }

    /// How much a taker on `side` finds at `limit` or better (the whole walked book without a
    /// limit).
    fn takeable(&self, symbol: &str, side: Side, limit: Option<Decimal>) -> Decimal {
        let Some(m) = self.market(symbol) else {
            return Decimal::ZERO;
        };
        m.levels(side == Side::Sell)
            .take(MAX_BOOK_LEVELS)
            .take_while(|l| match (side, limit) {
                (_, None) => true,
                (Side::Buy, Some(p)) => l.price <= p,
                (Side::Sell, Some(p)) => l.price >= p,
            })
            .map(|l| l.qty)
            .sum()
    }

    /// For a reduce-only order: the part of `qty` that still reduces the position.
    fn allowed_qty(&self, order: &Order, qty: Decimal) -> Decimal {
        if !order.reduce_only {
            return qty;
        }
        let held = self.position_size(&order.account, &order.symbol);
        if held * order.side.sign() < Decimal::ZERO {
            qty.min(held.abs())
        } else {
            Decimal::ZERO
        }
    }

    /// Takes the book: level by level from the best, up to the limit price; then cancels the
    /// rest of a market, IOC or FOK order.
    fn take(&mut self, seq: u64, now: i64) {
        let Some(order) = self.orders.get(seq) else {
            return;
        };
        let Some(m) = self.market(&order.symbol) else {
            return;
        };
        let wanted = self.allowed_qty(order, order.remaining());
        if wanted.is_zero() {
            self.finish(seq, CancelReason::ReduceOnlyNothingToReduce, now);
            return;
        }
        let buy = order.side == Side::Buy;
        let mut fills = Vec::new();
        let mut left = wanted;
        for level in m.levels(!buy).take(MAX_BOOK_LEVELS) {
            if left <= Decimal::ZERO {
                break;
            }
            if let Some(limit) = order.price
                && ((buy && level.price > limit) || (!buy && level.price < limit))
            {
                break;
            }
            let q = left.min(level.qty);
            fills.push((q, level.price));
            left -= q;
        }
        let sweep = order.kind == OrderKind::Market
            || matches!(order.time_in_force, TimeInForce::Ioc | TimeInForce::Fok);
        let reduce_capped = order.reduce_only && wanted < order.remaining();
        for (q, price) in fills {
            self.execute(seq, q, price, false, now);
        }
        if self.orders.get(seq).is_some_and(Order::is_open) && (sweep || reduce_capped) {
            let reason = if reduce_capped && !sweep {
                CancelReason::ReduceOnlyNothingToReduce
            } else {
                CancelReason::Remainder
            };
            self.finish(seq, reason, now);
        }
    }

    /// One fill of `qty` at `price`: the order, the position, realised PnL and the fee into the
    /// wallet, the public trade; publishes the execution, the order, the position and the
    /// wallet, in that order.
    fn execute(&mut self, seq: u64, qty: Decimal, price: Decimal, maker: bool, now: i64) {
        let Some(order) = self.orders.get(seq) else {
            return;
        };
        let Some(i) = self.market_index(&order.symbol) else {
            return;
        };
        let inst = self.markets[i].inst.clone();
        let mark = self.markets[i].mark;
        let (account, side) = (order.account.clone(), order.side);
        let fee_rate = if maker {
            inst.maker_fee
        } else {
            inst.taker_fee
        };
        let value = inst.notional(qty, price);
        let fee = inst.fee(qty, price, fee_rate);
        let Some(leaves) = self.orders.update(seq, |o| {
            o.filled_qty += qty;
            o.filled_value += qty * price;
            o.fees += fee;
            o.updated_ms = now;
            o.status = if o.filled_qty >= o.qty {
                OrderStatus::Filled
            } else {
                OrderStatus::PartiallyFilled
            };
            o.remaining()
        }) else {
            return;
        };
        let taker_side = if maker { side.opposite() } else { side };
        let trade_id = self.print_trade(i, taker_side, price, qty, now);
        let realized = match self.accounts.get_mut(&account) {
            Some(state) => {
                let pos = state.positions.entry(inst.symbol.clone()).or_default();
                let realized = apply_fill(&inst, pos, side.sign() * qty, price);
                pos.realized += realized - fee;
                pos.updated_ms = now;
                // An option's premium changes hands at the fill (its PnL is in the premiums);
                // a future's realised PnL is paid as it closes.
                let cash = if inst.is_option() {
                    -side.sign() * value
                } else {
                    realized
                };
                *state.wallets.entry(inst.settle.clone()).or_default() += cash - fee;
                realized
            }
            None => Decimal::ZERO,
        };
        let Some(order) = self.orders.get(seq) else {
            return;
        };
        let execution = Execution {
            trade_id,
            account: account.clone(),
            order_id: order.id.clone(),
            client_id: order.client_id.clone(),
            symbol: inst.symbol.clone(),
            side,
            qty,
            price,
            maker,
            fee,
            fee_rate,
            value: value.round_dp(8),
            realized_pnl: realized.round_dp(8),
            leaves_qty: leaves,
            mark_price: mark,
            time_ms: now,
        };
        if let Some(state) = self.accounts.get_mut(&account) {
            state.executions.push(execution.clone());
        }
        if self.listening() {
            self.publish(Event::Execution(execution));
            self.publish_order(seq);
            self.publish_position(&account, &inst.symbol, now);
            self.publish_wallet(&account, &inst.settle);
        }
    }

    /// Ends an open order as cancelled for `reason`, and publishes it (with the wallet, whose
    /// order margin it frees).
    fn finish(&mut self, seq: u64, reason: CancelReason, now: i64) -> Option<Order> {
        let done = self.orders.update(seq, |o| {
            if !o.is_open() {
                return None;
            }
            o.status = OrderStatus::Cancelled;
            o.cancel_reason = Some(reason);
            o.updated_ms = now;
            Some(o.clone())
        })??;
        self.publish_order(seq);
        if let Some(settle) = self.instrument(&done.symbol).map(|i| i.settle.clone()) {
            self.publish_wallet(&done.account, &settle);
        }
        Some(done)
    }

    /// Fills the live limit orders of `symbol` that the book crossed, oldest first, at their
    /// price, as makers.
    pub(super) fn fill_crossed(&mut self, symbol: &str, now: i64) {
        let Some(m) = self.market(symbol) else {
            return;
        };
        let (bid, ask) = (m.best_bid(), m.best_ask());
        for seq in self.orders.open_seqs() {
            let Some(o) = self.orders.get(seq) else {
                continue;
            };
            if o.symbol != symbol || o.status == OrderStatus::Untriggered {
                continue;
            }
            let Some(limit) = o.price else {
                continue;
            };
            let crossed = match o.side {
                Side::Buy => ask <= limit,
                Side::Sell => bid >= limit,
            };
            if !crossed {
                continue;
            }
            let qty = self.allowed_qty(o, o.remaining());
            if qty.is_zero() {
                self.finish(seq, CancelReason::ReduceOnlyNothingToReduce, now);
            } else {
                self.execute(seq, qty, limit, true, now);
                if self.orders.get(seq).is_some_and(Order::is_open) {
                    self.finish(seq, CancelReason::ReduceOnlyNothingToReduce, now);
                }
            }
        }
    }

    /// Fires the conditional orders of `symbol` whose trigger the mark or last price reached:
    /// each becomes live ([`Order::triggered`]) and runs against the book.
    pub(super) fn run_triggers(&mut self, symbol: &str, now: i64) {
        let Some(m) = self.market(symbol) else {
            return;
        };
        let (mark, last) = (m.mark, m.last);
        for seq in self.orders.open_seqs() {
            let Some(o) = self.orders.get(seq) else {
                continue;
            };
            if o.symbol != symbol || o.status != OrderStatus::Untriggered {
                continue;
            }
            let Some(t) = o.trigger else {
                continue;
            };
            let watched = match t.by {
                TriggerBy::Mark => mark,
                TriggerBy::Last => last,
            };
            let fired = match t.direction {
                TriggerDirection::Rise => watched >= t.price,
                TriggerDirection::Fall => watched <= t.price,
            };
            if fired {
                self.orders.update(seq, |o| {
                    o.triggered = true;
                    o.status = OrderStatus::New;
                    o.updated_ms = now;
                });
                self.publish_order(seq);
                self.activate(seq, now);
            }
        }
    }

    fn find(&self, account: &str, order: OrderRef<'_>) -> Result<u64, CoreError> {
        let seq = match order {
            OrderRef::Id(id) => self.orders.seq_by_id(id),
            OrderRef::ClientId(c) => self.orders.seq_by_client(account, c),
        }
        .ok_or(CoreError::OrderNotFound)?;
        match self.orders.get(seq) {
            Some(o) if o.account == account => Ok(seq),
            _ => Err(CoreError::OrderNotFound),
        }
    }

    /// An order of `account` (open or finished).
    pub fn order(&self, account: &str, order: OrderRef<'_>) -> Option<&Order> {
        self.find(account, order)
            .ok()
            .and_then(|s| self.orders.get(s))
    }

    /// `account`'s open orders (untriggered conditional ones included) that `filter` covers,
    /// oldest first.
    pub fn open_orders(&self, account: &str, filter: &CancelFilter) -> Vec<Order> {
        self.orders
            .open_orders()
            .filter(|o| o.account == account && self.covers(filter, o))
            .cloned()
            .collect()
    }

    /// Every order of `account`, open or finished, newest first.
    pub fn orders(&self, account: &str) -> Vec<Order> {
        let mut all: Vec<Order> = self.orders.of_account(account).cloned().collect();
        all.reverse();
        all
    }

    /// How many orders the exchange accepted (all accounts).
    pub fn order_count(&self) -> usize {
        self.orders.len()
    }

    fn covers(&self, filter: &CancelFilter, o: &Order) -> bool {
        let inst = self.instrument(&o.symbol);
        filter.symbol.as_ref().is_none_or(|s| *s == o.symbol)
            && filter
                .settle
                .as_ref()
                .is_none_or(|c| inst.is_some_and(|i| i.settle == *c))
            && filter
                .kind
                .is_none_or(|k| inst.is_some_and(|i| i.kind == k))
            && filter.conditional.is_none_or(|c| c == o.trigger.is_some())
            && filter
                .option
                .is_none_or(|opt| inst.is_some_and(|i| i.is_option() == opt))
    }

    /// Cancels one open order of `account`.
    pub fn cancel(
        &mut self,
        account: &str,
        order: OrderRef<'_>,
        now: i64,
    ) -> Result<Order, CoreError> {
        let seq = self.find(account, order)?;
        self.finish(seq, CancelReason::ByClient, now)
            .ok_or(CoreError::OrderFinished)
    }

    /// Cancels every open order of `account` that `filter` covers; returns them, oldest first.
    pub fn cancel_all(&mut self, account: &str, filter: &CancelFilter, now: i64) -> Vec<Order> {
        self.cancel_matching(account, filter, CancelReason::ByClient, now)
    }

    pub(super) fn cancel_matching(
        &mut self,
        account: &str,
        filter: &CancelFilter,
        reason: CancelReason,
        now: i64,
    ) -> Vec<Order> {
        let seqs: Vec<u64> = self
            .orders
            .open_orders()
            .filter(|o| o.account == account && self.covers(filter, o))
            .map(|o| o.seq)
            .collect();
        seqs.into_iter()
            .filter_map(|s| self.finish(s, reason, now))
            .collect()
    }

    /// Changes an open order's quantity, price or trigger price. The new values are checked as
    /// at placement; a limit price that now crosses the book takes it.
    pub fn amend(
        &mut self,
        account: &str,
        order: OrderRef<'_>,
        amend: Amend,
        now: i64,
    ) -> Result<Order, CoreError> {
        let seq = self.find(account, order)?;
        let o = self.orders.get(seq).ok_or(CoreError::OrderNotFound)?;
        if !o.is_open() {
            return Err(CoreError::OrderFinished);
        }
        let inst = self
            .instrument(&o.symbol)
            .ok_or_else(|| CoreError::UnknownSymbol(o.symbol.clone()))?;
        if amend.qty.is_none() && amend.price.is_none() && amend.trigger_price.is_none() {
            return Err(CoreError::AmendInvalid);
        }
        if let Some(q) = amend.qty {
            if !inst.on_lot(q) {
                return Err(CoreError::QtyNotOnLot);
            }
            if q > inst.max_qty {
                return Err(CoreError::QtyAboveMax(inst.max_qty));
            }
            if q <= o.filled_qty {
                return Err(CoreError::AmendInvalid);
            }
        }
        if let Some(p) = amend.price {
            if o.kind != OrderKind::Limit {
                return Err(CoreError::AmendInvalid);
            }
            if !inst.on_tick(p) {
                return Err(CoreError::PriceNotOnTick);
            }
        }
        if let Some(t) = amend.trigger_price
            && (o.trigger.is_none() || o.triggered || !inst.on_tick(t))
        {
            return Err(CoreError::InvalidTrigger);
        }
        let symbol = o.symbol.clone();
        let untriggered = o.status == OrderStatus::Untriggered;
        self.orders.update(seq, |o| {
            if let Some(q) = amend.qty {
                o.qty = q;
            }
            if let Some(p) = amend.price {
                o.price = Some(p);
            }
            if let (Some(t), Some(trigger)) = (amend.trigger_price, o.trigger.as_mut()) {
                trigger.price = t;
            }
            o.updated_ms = now;
        });
        self.publish_order(seq);
        if untriggered {
            self.run_triggers(&symbol, now);
        } else if amend.price.is_some() {
            self.activate(seq, now);
        }
        self.orders
            .get(seq)
            .cloned()
            .ok_or(CoreError::OrderNotFound)
    }
}
