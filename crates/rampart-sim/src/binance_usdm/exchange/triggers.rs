//! Triggers: the Algo Service's conditional orders, checked on every price move; placing,
//! triggering, settling and cancelling them.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::binance_usdm::algo::{self, Actual, AlgoOrder, Trailing};
use crate::binance_usdm::{BinanceError, SimEvent, auth};

use super::matching::{flag, good_till_date, price, side, working_type};
use super::{Exchange, Side};

impl Exchange {
    /// Fills resting limits the price moved through, oldest first, then triggers the algo
    /// orders whose trigger price was reached (oldest first), at the prices of this move.
    pub(super) fn run_triggers(&mut self, symbol: &str, now: i64) {
        let Some(m) = self.market(symbol) else {
            return;
        };
        let (mark, last, bid, ask) = (m.mark, m.last, m.best_bid(), m.best_ask());
        self.fill_crossed(symbol, bid, ask, now);
        let waiting: Vec<u64> = self
            .waiting_algos
            .get(symbol)
            .map(|ids| ids.iter().copied().collect())
            .unwrap_or_default();
        for id in &waiting {
            if let Some(a) = self.algos.get_mut(id) {
                a.observe(if a.working_type == "MARK_PRICE" {
                    mark
                } else {
                    last
                });
            }
        }
        let mut due: Vec<u64> = waiting
            .iter()
            .filter_map(|id| self.algos.get(id))
            .filter(|a| a.status == "NEW")
            .filter(|a| {
                let reference = if a.working_type == "MARK_PRICE" {
                    mark
                } else {
                    last
                };
                a.reached(reference)
            })
            .map(|a| a.algo_id)
            .collect();
        due.sort_unstable();
        for algo_id in due {
            self.trigger_algo(algo_id, now);
        }
    }
}

/// The Algo Service: conditional orders that wait outside the book, then place a regular order.
impl Exchange {
    /// `POST /fapi/v1/algoOrder` (`algoType=CONDITIONAL`): validated like a new order (symbol,
    /// side, PRICE_FILTER on `price`, `triggerPrice` and `activatePrice`, LOT_SIZE /
    /// MIN_NOTIONAL on `quantity`, reduce-only against the position, `clientAlgoId` format and
    /// uniqueness), refused with -2021 when the trigger condition already holds (a trailing
    /// stop's `activatePrice` on the wrong side of the latest price); rests NEW and reports
    /// `ALGO_UPDATE`. Unlike a resting order it holds no margin until it triggers.
    pub(in crate::binance_usdm) fn place_algo(
        &mut self,
        api_key: &str,
        p: &HashMap<String, String>,
        now: i64,
    ) -> Result<Value, BinanceError> {
        if auth::required(p, "algoType")? != "CONDITIONAL" {
            return Err(BinanceError::InvalidParam("algoType".into()));
        }
        let symbol = auth::required(p, "symbol")?;
        let side = side(p)?;
        let order_type = auth::required(p, "type")?;
        let trailing = order_type == "TRAILING_STOP_MARKET";
        let needs_price = match order_type {
            "STOP" | "TAKE_PROFIT" => true,
            "STOP_MARKET" | "TAKE_PROFIT_MARKET" | "TRAILING_STOP_MARKET" => false,
            _ => return Err(BinanceError::InvalidOrderType),
        };
        let m = self.market(symbol).ok_or(BinanceError::InvalidSymbol)?;
        match p.get("positionSide").map(String::as_str) {
            None | Some("BOTH") => {}
            Some("LONG" | "SHORT") => return Err(BinanceError::PositionSideMismatch),
            Some(_) => return Err(BinanceError::InvalidParam("positionSide".into())),
        }
        let close_position = flag(p, "closePosition")?;
        if close_position && (needs_price || trailing) {
            return Err(BinanceError::InvalidParam("closePosition".into()));
        }
        let reduce_only = flag(p, "reduceOnly")?;
        let price_protect = flag(p, "priceProtect")?;
        if close_position && p.contains_key("quantity") {
            return Err(BinanceError::NotRequired("quantity".into()));
        }
        if close_position && reduce_only {
            return Err(BinanceError::NotRequired("reduceOnly".into()));
        }
        let qty = if close_position {
            Decimal::ZERO
        } else {
            auth::decimal(p, "quantity")?
        };
        let price = price(p, needs_price)?;
        let trigger_price = if !trailing {
            auth::decimal(p, "triggerPrice")?
        } else if p.contains_key("triggerPrice") {
            return Err(BinanceError::NotRequired("triggerPrice".into()));
        } else {
            Decimal::ZERO
        };
        let time_in_force = match p.get("timeInForce").map(String::as_str) {
            None => "GTC",
            Some(t @ ("GTC" | "IOC" | "FOK" | "GTX" | "GTD")) => t,
            Some(_) => return Err(BinanceError::InvalidTimeInForce),
        };
        let good_till_date = good_till_date(p, time_in_force)?;
        let working_type = working_type(p)?;
        if !close_position {
            m.rules.check(price, qty, m.mark, reduce_only)?;
        }
        if !trailing {
            m.rules.check_price(trigger_price)?;
        }
        let reference = if working_type == "MARK_PRICE" {
            m.mark
        } else {
            m.last
        };
        let trailing = if trailing {
            let callback_rate = auth::decimal(p, "callbackRate")?;
            if callback_rate < Decimal::new(1, 1) || callback_rate > Decimal::from(20) {
                return Err(BinanceError::InvalidParam("callbackRate".into()));
            }
            let activate_price = match p.get("activatePrice") {
                None => reference,
                Some(_) => {
                    let a = auth::decimal(p, "activatePrice")?;
                    m.rules.check_price(a)?;
                    // A trailing BUY activates below the latest price, a SELL above it.
                    let waits = match side {
                        Side::Buy => a < reference,
                        Side::Sell => a > reference,
                    };
                    if !waits {
                        return Err(BinanceError::WouldTrigger);
                    }
                    a
                }
            };
            Some(Trailing {
                activate_price,
                callback_rate,
                activated: false,
                extreme: reference,
            })
        } else {
            None
        };
        let client_algo_id = match p.get("clientAlgoId") {
            Some(id) => {
                auth::check_client_order_id(id)?;
                id.clone()
            }
            None => format!("simalgo{}", self.next_algo_id + 1),
        };
        if self
            .algos
            .values()
            .any(|a| a.api_key == api_key && a.client_algo_id == client_algo_id && a.is_live())
        {
            return Err(BinanceError::DuplicateClientOrderId);
        }
        let pos = self
            .accounts
            .get(api_key)
            .ok_or(BinanceError::RejectedKey)?
            .position(symbol)
            .amt;
        // Reduce-only and Close-All: against an open position on the other side only.
        if reduce_only && (pos * side.sign() >= Decimal::ZERO || qty > pos.abs()) {
            return Err(BinanceError::ReduceOnlyRejected);
        }
        if close_position && pos * side.sign() >= Decimal::ZERO {
            return Err(BinanceError::ReduceOnlyRejected);
        }
        if trailing.is_none()
            && algo::trigger_reached(order_type, side.as_str(), trigger_price, reference)
        {
            return Err(BinanceError::WouldTrigger);
        }

        self.next_algo_id += 1;
        let algo_id = self.next_algo_id;
        let mut order = AlgoOrder {
            algo_id,
            api_key: api_key.to_owned(),
            client_algo_id,
            symbol: symbol.to_owned(),
            side: side.as_str(),
            order_type: order_type.to_owned(),
            time_in_force: time_in_force.to_owned(),
            qty,
            price,
            trigger_price,
            trailing,
            working_type,
            reduce_only,
            close_position,
            price_protect,
            good_till_date,
            status: "NEW",
            actual_order_id: None,
            reject_reason: String::new(),
            create_time: now,
            update_time: now,
            trigger_time: 0,
        };
        // A trailing stop without `activatePrice` is active from the latest price on.
        order.observe(reference);
        if let Some(m) = self.market(&order.symbol) {
            let symbol = m.symbol;
            self.waiting_algos
                .entry(symbol)
                .or_default()
                .insert(algo_id);
        }
        self.algos.insert(algo_id, order);
        self.publish_algo(algo_id, now);
        self.algo_json(algo_id).ok_or(BinanceError::NoSuchOrder)
    }

    /// The trigger condition of `algo_id` holds: TRIGGERING, then the regular order goes to
    /// the matching engine (TRIGGERED with its `actualOrderId`, FINISHED once it is done), or
    /// REJECTED with the reason when it cannot be placed.
    pub(super) fn trigger_algo(&mut self, algo_id: u64, now: i64) {
        let Some(a) = self.algos.get_mut(&algo_id) else {
            return;
        };
        a.status = "TRIGGERING";
        if let Some(ids) = self.waiting_algos.get_mut(a.symbol.as_str()) {
            ids.remove(&algo_id);
        }
        a.trigger_time = now;
        a.update_time = now;
        let a = a.clone();
        self.publish_algo(algo_id, now);
        let placed = self
            .working_order(&a)
            .and_then(|params| self.place(&a.api_key, &params, now));
        let child = placed.and_then(|v| v["orderId"].as_u64().ok_or(BinanceError::NoSuchOrder));
        let Some(stored) = self.algos.get_mut(&algo_id) else {
            return;
        };
        stored.update_time = now;
        match child {
            Ok(order_id) => {
                stored.status = "TRIGGERED";
                stored.actual_order_id = Some(order_id);
                self.orders
                    .update(order_id, |o| o.parent_algo = Some(algo_id));
                self.publish_algo(algo_id, now);
                self.settle_algo(order_id, now);
            }
            Err(err) => {
                stored.status = "REJECTED";
                stored.reject_reason = if err == BinanceError::ReduceOnlyRejected {
                    "Reduce Only reject".to_owned()
                } else {
                    err.msg()
                };
                self.publish_algo(algo_id, now);
            }
        }
    }

    /// The parameters of the regular order a triggered algo order places: MARKET (LIMIT at
    /// `price` for STOP / TAKE_PROFIT); a reduce-only or Close-All order takes what still
    /// reduces the position then, and is rejected when nothing does.
    pub(super) fn working_order(
        &self,
        a: &AlgoOrder,
    ) -> Result<HashMap<String, String>, BinanceError> {
        let pos = self
            .accounts
            .get(&a.api_key)
            .map_or(Decimal::ZERO, |acc| acc.position(&a.symbol).amt);
        let sign = if a.side == "BUY" {
            Decimal::ONE
        } else {
            Decimal::NEGATIVE_ONE
        };
        let reducible = if pos * sign < Decimal::ZERO {
            pos.abs()
        } else {
            Decimal::ZERO
        };
        let reduces = a.reduce_only || a.close_position;
        let qty = match (a.close_position, a.reduce_only) {
            (true, _) => reducible,
            (false, true) => a.qty.min(reducible),
            (false, false) => a.qty,
        };
        if reduces && qty.is_zero() {
            return Err(BinanceError::ReduceOnlyRejected);
        }
        let kind = a.working_kind();
        let mut p: HashMap<String, String> = [
            ("symbol", a.symbol.clone()),
            ("side", a.side.to_owned()),
            ("type", kind.to_owned()),
            ("quantity", qty.normalize().to_string()),
            ("reduceOnly", reduces.to_string()),
            ("priceProtect", a.price_protect.to_string()),
            ("workingType", a.working_type.to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        if kind == "LIMIT" {
            let price = a.price.unwrap_or(a.trigger_price);
            p.insert("price".into(), price.to_string());
            p.insert("timeInForce".into(), a.time_in_force.clone());
            if a.time_in_force == "GTD" {
                p.insert("goodTillDate".into(), a.good_till_date.to_string());
            }
        }
        Ok(p)
    }

    /// A triggered algo order whose regular order `order_id` is done becomes FINISHED.
    pub(super) fn settle_algo(&mut self, order_id: u64, now: i64) {
        let Some(algo_id) = self
            .orders
            .get(order_id)
            .filter(|o| o.is_done())
            .and_then(|o| o.parent_algo)
        else {
            return;
        };
        let Some(a) = self
            .algos
            .get_mut(&algo_id)
            .filter(|a| a.status == "TRIGGERED")
        else {
            return;
        };
        a.status = "FINISHED";
        a.update_time = now;
        let algo_id = a.algo_id;
        self.publish_algo(algo_id, now);
    }

    /// What the algo order's regular order has done so far.
    pub(super) fn actual(&self, a: &AlgoOrder) -> Actual {
        let Some(o) = a.actual_order_id.and_then(|id| self.orders.get(id)) else {
            return Actual::default();
        };
        Actual {
            avg_price: o.avg_price(),
            qty: o.executed,
            kind: if o.is_market() { "MARKET" } else { "LIMIT" },
        }
    }

    /// The price and quantity precisions of `symbol`.
    pub(super) fn precisions(&self, symbol: &str) -> (u32, u32) {
        self.market(symbol)
            .map_or((8, 8), |m| (m.rules.tick.scale(), m.rules.step.scale()))
    }

    /// The algo order as the REST endpoints answer it.
    pub(in crate::binance_usdm) fn algo_json(&self, algo_id: u64) -> Option<Value> {
        let a = self.algos.get(&algo_id)?;
        let (px, qx) = self.precisions(&a.symbol);
        Some(a.to_json(px, qx, &self.actual(a)))
    }

    pub(super) fn publish_algo(&self, algo_id: u64, now: i64) {
        let Some(a) = self.algos.get(&algo_id) else {
            return;
        };
        let (px, qx) = self.precisions(&a.symbol);
        self.publish(SimEvent::user(
            a.api_key.clone(),
            a.event(px, qx, &self.actual(a), now),
        ));
    }

    /// The account's algo order with this `clientAlgoId` (the latest, as an id may be reused
    /// once its order is finished), optionally only on `symbol`.
    pub(in crate::binance_usdm) fn algo_by_client_id(
        &self,
        api_key: &str,
        symbol: Option<&str>,
        client_algo_id: &str,
    ) -> Option<u64> {
        self.algos
            .values()
            .filter(|a| {
                a.api_key == api_key
                    && a.client_algo_id == client_algo_id
                    && symbol.is_none_or(|s| a.symbol == s)
            })
            .map(|a| a.algo_id)
            .max()
    }

    /// The algo order a request names by `algoId` or `clientAlgoId` (one of them mandatory).
    pub(in crate::binance_usdm) fn named_algo(
        &self,
        api_key: &str,
        p: &HashMap<String, String>,
    ) -> Result<Option<u64>, BinanceError> {
        if let Some(client_algo_id) = p.get("clientAlgoId").filter(|c| !c.is_empty()) {
            return Ok(self.algo_by_client_id(api_key, None, client_algo_id));
        }
        let id: u64 = auth::required(p, "algoId")?
            .parse()
            .map_err(|_| BinanceError::Mandatory("algoId".into()))?;
        Ok(self
            .algos
            .get(&id)
            .filter(|a| a.api_key == api_key)
            .map(|a| a.algo_id))
    }

    /// Cancels an open algo order and reports it; false when it is not open.
    pub(in crate::binance_usdm) fn cancel_algo(&mut self, algo_id: u64, now: i64) -> bool {
        let Some(a) = self.algos.get_mut(&algo_id).filter(|a| a.is_open()) else {
            return false;
        };
        a.status = "CANCELED";
        a.update_time = now;
        if let Some(ids) = self.waiting_algos.get_mut(a.symbol.as_str()) {
            ids.remove(&algo_id);
        }
        self.publish_algo(algo_id, now);
        true
    }

    /// Cancels every open algo order of `api_key` on `symbol`, oldest first.
    pub(in crate::binance_usdm) fn cancel_algo_symbol(
        &mut self,
        api_key: &str,
        symbol: &str,
        now: i64,
    ) {
        let mut ids: Vec<u64> = self
            .algos
            .values()
            .filter(|a| a.api_key == api_key && a.symbol == symbol && a.is_open())
            .map(|a| a.algo_id)
            .collect();
        ids.sort_unstable();
        for id in ids {
            self.cancel_algo(id, now);
        }
    }

    /// The account's algo orders that pass `keep`, by algoId.
    pub(in crate::binance_usdm) fn algos_where(
        &self,
        api_key: &str,
        keep: impl Fn(&AlgoOrder) -> bool,
    ) -> Vec<Value> {
        let mut ids: Vec<u64> = self
            .algos
            .values()
            .filter(|a| a.api_key == api_key && keep(a))
            .map(|a| a.algo_id)
            .collect();
        ids.sort_unstable();
        ids.into_iter()
            .filter_map(|id| self.algo_json(id))
            .collect()
    }
}
