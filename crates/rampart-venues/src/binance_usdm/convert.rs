//! Binance USDⓈ-M answers in the venue-neutral terms of [`crate::venue`], and neutral requests as
//! Binance's: orders (regular and conditional, merged as the trait lists them), positions, marks,
//! instrument rules, errors and leverage.

use rampart_core::trading::{ContractKind, ProductCategory};
use rampart_core::{OrderType, Venue as VenueId};
use rust_decimal::Decimal;

use super::algo::{AlgoOrder, AlgoStatus, Placed, Placement};
use super::error::VenueError;
use super::filters::SymbolFilters;
use super::models::{
    self, MarginType, Order, PositionRiskV2, PremiumIndex, WireOrderType, WorkingType,
};
use super::order::OrderRequest as BinanceOrder;
use super::rest::local_ms;
use crate::venue::{
    Error, ErrorKind, InstrumentRules, Leverage, MarginMode, MarkPrice, OrderAck, OrderRequest,
    OrderState, OrderStatus, Position, PositionSide, TriggerBy,
};

/// A Binance error in neutral terms, keeping Binance's code and message.
pub fn neutral_error(e: VenueError) -> Error {
    let kind = match &e {
        VenueError::Connectivity(_) => ErrorKind::Connectivity,
        VenueError::Rejected { .. } => ErrorKind::Rejected,
        VenueError::Validation(_) | VenueError::InvalidRequest(_) => ErrorKind::Validation,
        VenueError::RateLimited { .. } | VenueError::Banned { .. } | VenueError::Held { .. } => {
            ErrorKind::RateLimited
        }
        VenueError::VenueFailure { .. } | VenueError::Redirected { .. } => ErrorKind::VenueFailure,
        VenueError::Malformed(_) => ErrorKind::Malformed,
        VenueError::InsecureUrl(_)
        | VenueError::Config(_)
        | VenueError::Signer(_)
        | VenueError::ClockUnknown => ErrorKind::Config,
    };
    let (venue_code, venue_message) = match &e {
        VenueError::Rejected { code, msg, .. } => (Some(code.to_string()), Some(msg.clone())),
        VenueError::VenueFailure { body, .. } => (None, Some(body.clone())),
        _ => (None, None),
    };
    let retry_at_ms = match &e {
        VenueError::Held { until, .. } => Some(*until),
        VenueError::RateLimited { retry_after_secs } | VenueError::Banned { retry_after_secs } => {
            Some(local_ms().saturating_add(i64::from(*retry_after_secs) * 1_000))
        }
        _ => None,
    };
    Error {
        venue: VenueId::BinanceUsdm,
        kind,
        venue_code,
        venue_message,
        message: e.trader_message(),
        outcome_unknown: e.outcome_unknown(),
        not_sent: e.not_sent(),
        retry_at_ms,
    }
}

/// An error on the way to sending an order (its rules, the mark price, the clock, the budget,
/// the signature): the order itself has not left this machine, whatever the failed step was.
pub(super) fn before_sending(e: VenueError) -> Error {
    let mut error = neutral_error(e);
    error.not_sent = true;
    error.outcome_unknown = false;
    error
}

/// An error answering a sent order. A malformed answer says nothing about whether Binance took
/// the order, so the order's outcome is unknown (resolved by its client order id).
pub(super) fn order_error(e: VenueError) -> Error {
    let malformed = matches!(e, VenueError::Malformed(_));
    let mut error = neutral_error(e);
    if malformed {
        error.outcome_unknown = true;
    }
    error
}

/// Binance's `positionSide` in neutral terms (BOTH is one-way mode's single position).
fn position_side(side: Option<models::PositionSide>) -> PositionSide {
    match side {
        None | Some(models::PositionSide::Both) => PositionSide::Net,
        Some(models::PositionSide::Long) => PositionSide::Long,
        Some(models::PositionSide::Short) => PositionSide::Short,
    }
}

fn status(s: models::OrderStatus) -> OrderStatus {
    match s {
        models::OrderStatus::New => OrderStatus::Open,
        models::OrderStatus::PartiallyFilled => OrderStatus::PartiallyFilled,
        models::OrderStatus::Filled => OrderStatus::Filled,
        models::OrderStatus::Canceled => OrderStatus::Cancelled,
        models::OrderStatus::Expired | models::OrderStatus::ExpiredInMatch => OrderStatus::Expired,
    }
}

fn order_type(t: WireOrderType) -> Option<OrderType> {
    match t {
        WireOrderType::Market => Some(OrderType::Market),
        WireOrderType::Limit => Some(OrderType::Limit),
        WireOrderType::Stop => Some(OrderType::StopLimit),
        WireOrderType::StopMarket => Some(OrderType::StopMarket),
        WireOrderType::TakeProfit => Some(OrderType::TakeProfitLimit),
        WireOrderType::TakeProfitMarket => Some(OrderType::TakeProfitMarket),
        WireOrderType::TrailingStopMarket | WireOrderType::Other => None,
    }
}

/// `"0"` means "none" in Binance's order answers.
fn non_zero(d: Option<Decimal>) -> Option<Decimal> {
    d.filter(|d| !d.is_zero())
}

/// A Binance order answer in neutral terms.
pub fn order_state(o: Order) -> OrderState {
    OrderState {
        venue_order_id: o.order_id.to_string(),
        order_type: order_type(o.orig_type.unwrap_or(o.order_type)),
        status: status(o.status),
        qty: o.orig_qty,
        filled_qty: o.executed_qty,
        price: non_zero(Some(o.price)),
        trigger_price: non_zero(o.stop_price),
        avg_fill_price: non_zero(o.avg_price),
        reduce_only: o.reduce_only,
        position_side: position_side(o.position_side),
        updated_ms: o.update_time,
        side: o.side,
        symbol: o.symbol,
        client_order_id: o.client_order_id,
    }
}

/// A conditional order in neutral terms, under its client id (`clientAlgoId`) and `algoId`.
/// `actual` is the order it placed in the matching engine once triggered (`actualOrderId`),
/// when known: its status, fills and average price are the ones that count then.
///
/// Without it: not triggered yet (`NEW`, `TRIGGERING`) or `TRIGGERED` is `Open`; `CANCELED` is
/// `Cancelled`; `REJECTED` is `Rejected`; `EXPIRED` is `Expired`; `FINISHED` ("filled or
/// canceled in the matching engine") is `Filled` when the venue reports the whole quantity
/// executed and `Expired` otherwise.
pub fn algo_state(a: AlgoOrder, actual: Option<Order>) -> OrderState {
    let mut state = OrderState {
        venue_order_id: a.algo_id.to_string(),
        order_type: order_type(a.order_type),
        status: OrderStatus::Open,
        qty: a.quantity,
        filled_qty: a.executed_qty.unwrap_or_default(),
        price: non_zero(a.price),
        trigger_price: non_zero(Some(a.trigger_price)),
        avg_fill_price: non_zero(a.avg_price),
        reduce_only: a.reduce_only,
        position_side: position_side(a.position_side),
        updated_ms: a.update_time,
        side: a.side,
        symbol: a.symbol,
        client_order_id: a.client_algo_id,
    };
    match (a.algo_status, actual) {
        (AlgoStatus::Triggered | AlgoStatus::Finished, Some(o)) => {
            state.status = status(o.status);
            state.filled_qty = o.executed_qty;
            state.avg_fill_price = non_zero(o.avg_price);
            state.updated_ms = state.updated_ms.max(o.update_time);
        }
        (s, _) => state.status = algo_status(s, state.filled_qty, state.qty),
    }
    state
}

/// A conditional order's status in neutral terms from its own status and the quantity filled
/// so far (see [`algo_state`]).
pub(super) fn algo_status(s: AlgoStatus, filled: Decimal, qty: Decimal) -> OrderStatus {
    match s {
        AlgoStatus::New | AlgoStatus::Triggering | AlgoStatus::Triggered => {
            if filled.is_zero() {
                OrderStatus::Open
            } else {
                OrderStatus::PartiallyFilled
            }
        }
        AlgoStatus::Canceled => OrderStatus::Cancelled,
        AlgoStatus::Rejected => OrderStatus::Rejected,
        AlgoStatus::Expired => OrderStatus::Expired,
        AlgoStatus::Finished if !qty.is_zero() && filled >= qty => OrderStatus::Filled,
        AlgoStatus::Finished => OrderStatus::Expired,
    }
}

/// `place_order`'s answer, regular or conditional, as the neutral acknowledgement.
pub fn placed_ack(placed: Placed) -> OrderAck {
    match placed.placement {
        Placement::Order(o) => OrderAck::from(&order_state(o)),
        Placement::Algo(a) => OrderAck::from(&algo_state(a, None)),
    }
}

/// Open regular and conditional orders as one list, each order once: a triggered conditional
/// order and the order it placed in the book (`actualOrderId`) are shown as the conditional
/// order (the client id the engine journaled), with that order's fills.
pub fn merge_open_orders(regular: Vec<Order>, algos: Vec<AlgoOrder>) -> Vec<OrderState> {
    let mut regular: Vec<Option<Order>> = regular.into_iter().map(Some).collect();
    let mut merged = Vec::with_capacity(regular.len() + algos.len());
    for a in algos {
        let actual = a.actual_order_id.and_then(|id| {
            regular
                .iter_mut()
                .find(|o| o.as_ref().is_some_and(|o| o.order_id == id))
                .and_then(Option::take)
        });
        let state = algo_state(a, actual);
        if state.status.is_open() {
            merged.push(state);
        }
    }
    let rest: Vec<OrderState> = regular.into_iter().flatten().map(order_state).collect();
    rest.into_iter().chain(merged).collect()
}

/// A symbol's exchangeInfo filters in neutral terms (sizes are in the base asset; every
/// USDⓈ-M contract is linear, margined in its `marginAsset`).
pub fn instrument_rules(f: &SymbolFilters) -> InstrumentRules {
    InstrumentRules {
        symbol: f.symbol.clone(),
        category: ProductCategory::Linear,
        kind: if f.delivery_ms.is_some() {
            ContractKind::Dated
        } else {
            ContractKind::Perpetual
        },
        base_asset: f.base_asset.clone(),
        quote_asset: f.quote_asset.clone(),
        settle_asset: f.margin_asset.clone(),
        tick_steps: Vec::new(),
        expiry_ms: f.delivery_ms,
        option: None,
        max_leverage: None,
        trading: f.trading,
        tick_size: f.price.step,
        min_price: f.price.min,
        max_price: f.price.max,
        step_size: f.lot.step,
        min_qty: f.lot.min,
        max_qty: f.lot.max,
        max_market_qty: f.market_lot.max,
        min_notional: f.min_notional,
        contract_size: None,
    }
}

/// A Position Information V2 row in neutral terms; `None` when flat.
pub fn position(p: PositionRiskV2) -> Option<Position> {
    if p.position_amt.is_zero() {
        return None;
    }
    Some(Position {
        position_side: position_side(Some(p.position_side)),
        margin_mode: Some(match p.margin_type {
            MarginType::Cross => MarginMode::Cross,
            MarginType::Isolated => MarginMode::Isolated,
        }),
        greeks: None,
        qty: p.position_amt,
        entry_price: p.entry_price,
        mark_price: p.mark_price,
        unrealized_pnl: p.un_realized_profit,
        leverage: Some(p.leverage),
        liquidation_price: non_zero(Some(p.liquidation_price)),
        symbol: p.symbol,
    })
}

/// A premiumIndex answer in neutral terms.
pub fn mark_price(p: PremiumIndex) -> MarkPrice {
    MarkPrice {
        mark: p.mark_price,
        index: Some(p.index_price),
        funding_rate: p.last_funding_rate,
        next_funding_ms: (p.next_funding_time > 0).then_some(p.next_funding_time),
        mark_iv: None,
        time_ms: p.time,
        symbol: p.symbol,
    }
}

/// A neutral order as Binance's typed request.
pub fn binance_order(o: &OrderRequest) -> BinanceOrder {
    BinanceOrder {
        symbol: o.symbol.clone(),
        side: o.side,
        order_type: o.order_type,
        quantity: o.qty,
        price: o.price,
        stop_price: o.trigger_price,
        time_in_force: o.time_in_force,
        reduce_only: o.reduce_only,
        working_type: o.trigger_by.map(|t| match t {
            TriggerBy::Mark => WorkingType::MarkPrice,
            // Binance triggers on the mark or the last (contract) price only: `place_order`
            // refuses `Index` before this is built.
            TriggerBy::Last | TriggerBy::Index => WorkingType::ContractPrice,
        }),
        position_side: o.position_side,
        client_order_id: o.client_order_id.clone(),
    }
}

pub(super) fn validation(message: String) -> Error {
    neutral_error(VenueError::InvalidRequest(message))
}

/// A Binance leverage: one whole number for both sides ("target initial leverage: int from 1
/// to 125").
pub(super) fn whole_leverage(leverage: &Leverage) -> std::result::Result<u32, Error> {
    if leverage.buy != leverage.sell {
        return Err(validation(
            "Binance keeps one leverage per symbol for both sides: choose one figure".into(),
        ));
    }
    let whole = leverage.buy.normalize();
    if whole.scale() != 0 {
        return Err(validation(format!(
            "Binance takes whole-number leverage: use {} or {}",
            whole.floor(),
            whole.ceil()
        )));
    }
    u32::try_from(whole.mantissa())
        .ok()
        .filter(|l| (1..=125).contains(l))
        .ok_or_else(|| validation(format!("leverage {whole} is outside Binance's 1 to 125")))
}

/// The order-book sizes `GET /fapi/v1/depth` accepts.
const DEPTH_LIMITS: [u32; 7] = [5, 10, 20, 50, 100, 500, 1000];

/// The smallest depth Binance serves that holds `depth` levels (1000 at most).
pub(super) fn depth_limit(depth: u32) -> u32 {
    DEPTH_LIMITS
        .into_iter()
        .find(|&l| l >= depth)
        .unwrap_or(1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::{Price, Side};
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn binance_orders_map_to_neutral_states() {
        // Query Order answer (documented shape) for a stop-limit that partly filled.
        let json = r#"{"avgPrice": "60010.5", "clientOrderId": "rmp-1", "cumQuote": "600.105",
            "executedQty": "0.010", "orderId": 1917641, "origQty": "0.040", "origType": "STOP",
            "price": "60020", "reduceOnly": true, "side": "SELL", "positionSide": "BOTH",
            "status": "PARTIALLY_FILLED", "stopPrice": "60000", "closePosition": false,
            "symbol": "BTCUSDT", "time": 1579276756075, "timeInForce": "GTC", "type": "LIMIT",
            "updateTime": 1579276756080, "workingType": "MARK_PRICE", "priceProtect": false}"#;
        let state = order_state(serde_json::from_str(json).unwrap());
        assert_eq!(state.venue_order_id, "1917641");
        assert_eq!(
            state.order_type,
            Some(OrderType::StopLimit),
            "origType wins"
        );
        assert_eq!(state.status, OrderStatus::PartiallyFilled);
        assert_eq!(state.side, Side::Sell);
        assert_eq!((state.qty, state.filled_qty), (d("0.040"), d("0.010")));
        assert_eq!(state.price, Some(d("60020")));
        assert_eq!(state.trigger_price, Some(d("60000")));
        assert_eq!(state.avg_fill_price, Some(d("60010.5")));
        let ack = OrderAck::from(&state);
        assert_eq!(ack.client_order_id, "rmp-1");
        for (wire, neutral) in [
            (models::OrderStatus::New, OrderStatus::Open),
            (models::OrderStatus::Filled, OrderStatus::Filled),
            (models::OrderStatus::Canceled, OrderStatus::Cancelled),
            (models::OrderStatus::Expired, OrderStatus::Expired),
            (models::OrderStatus::ExpiredInMatch, OrderStatus::Expired),
        ] {
            assert_eq!(status(wire), neutral);
        }
        // A market order that has not filled: "0" prices are "none".
        let json = json
            .replace("\"60010.5\"", "\"0.00000\"")
            .replace("\"60020\"", "\"0\"")
            .replace("\"60000\"", "\"0\"");
        let state = order_state(serde_json::from_str(&json).unwrap());
        assert_eq!(
            (state.price, state.trigger_price, state.avg_fill_price),
            (None, None, None)
        );
    }

    #[test]
    fn positions_marks_and_rules_map_to_neutral_types() {
        let rows: Vec<PositionRiskV2> = serde_json::from_str(
            r#"[{"symbol": "BTCUSDT", "positionAmt": "-0.001", "entryPrice": "22185.2",
            "breakEvenPrice": "0.0", "markPrice": "21123.05052574",
            "unRealizedProfit": "1.06214947", "liquidationPrice": "19731.45529116",
            "leverage": "4", "maxNotionalValue": "100000000", "marginType": "cross",
            "isolatedMargin": "0.00000000", "isAutoAddMargin": "false", "positionSide": "BOTH",
            "notional": "-21.12305052", "isolatedWallet": "0", "updateTime": 1655217461579},
            {"symbol": "ETHUSDT", "positionAmt": "0.000", "entryPrice": "0.0",
            "breakEvenPrice": "0.0", "markPrice": "1500", "unRealizedProfit": "0.00000000",
            "liquidationPrice": "0", "leverage": "20", "maxNotionalValue": "100000000",
            "marginType": "cross", "isolatedMargin": "0.00000000", "isAutoAddMargin": "false",
            "positionSide": "BOTH", "notional": "0", "isolatedWallet": "0", "updateTime": 0}]"#,
        )
        .unwrap();
        let open: Vec<Position> = rows.into_iter().filter_map(position).collect();
        assert_eq!(open.len(), 1, "flat rows are dropped");
        assert_eq!(open[0].qty, d("-0.001"));
        assert_eq!(open[0].leverage, Some(d("4")));
        assert_eq!(open[0].liquidation_price, Some(d("19731.45529116")));

        let mark = mark_price(
            serde_json::from_str(
                r#"{"symbol": "BTCUSDT", "markPrice": "11793.63104562",
                "indexPrice": "11781.80495970", "estimatedSettlePrice": "11781.16138815",
                "lastFundingRate": "0.00038246", "nextFundingTime": 1597392000000,
                "interestRate": "0.00010000", "time": 1597370495002}"#,
            )
            .unwrap(),
        );
        assert_eq!(mark.mark, d("11793.63104562"));
        assert_eq!(mark.next_funding_ms, Some(1597392000000));

        let filters = SymbolFilters::parse_exchange_info(
            br#"{"symbols":[{"symbol":"BTCUSDT","status":"TRADING","filters":[
            {"filterType":"PRICE_FILTER","minPrice":"261.10","maxPrice":"809484","tickSize":"0.10"},
            {"filterType":"LOT_SIZE","minQty":"0.001","maxQty":"1000","stepSize":"0.001"},
            {"filterType":"MARKET_LOT_SIZE","minQty":"0.001","maxQty":"120","stepSize":"0.001"},
            {"filterType":"MIN_NOTIONAL","notional":"100"}]}]}"#,
        )
        .unwrap();
        let rules = instrument_rules(&filters[0]);
        assert_eq!(rules.tick_size, d("0.10"));
        assert_eq!((rules.max_qty, rules.max_market_qty), (d("1000"), d("120")));
        assert_eq!(rules.min_notional, d("100"));
        assert_eq!(rules.contract_size, None);
        assert_eq!(
            [1, 5, 6, 50, 51, 999, 5000].map(depth_limit),
            [5, 5, 10, 50, 100, 1000, 1000]
        );
    }

    #[test]
    fn binance_errors_keep_their_code_next_to_the_trader_message() {
        let e = neutral_error(VenueError::Rejected {
            http: 400,
            code: -2019,
            msg: "Margin is insufficient.".into(),
        });
        assert_eq!(e.kind, ErrorKind::Rejected);
        assert_eq!(e.venue_code.as_deref(), Some("-2019"));
        assert_eq!(e.venue_message.as_deref(), Some("Margin is insufficient."));
        assert!(e.message.contains("margin"));
        assert!(!e.outcome_unknown && !e.not_sent);
        let e = neutral_error(VenueError::Connectivity("timed out".into()));
        assert_eq!(e.kind, ErrorKind::Connectivity);
        assert!(e.outcome_unknown);
        let e = neutral_error(VenueError::ClockUnknown);
        assert_eq!((e.kind, e.not_sent), (ErrorKind::Config, true));
        assert_eq!(e.to_string(), e.message);
    }

    #[test]
    fn neutral_orders_become_binance_requests() {
        let neutral = OrderRequest {
            symbol: "BTCUSDT".into(),
            client_order_id: "rmp-2".into(),
            side: Side::Buy,
            order_type: OrderType::StopMarket,
            qty: "0.002".parse().unwrap(),
            price: None,
            trigger_price: Some(Price::from_str("61000").unwrap()),
            time_in_force: None,
            reduce_only: true,
            trigger_by: Some(TriggerBy::Mark),
            margin_mode: None,
            position_side: PositionSide::Net,
            reference_price: None,
        };
        let b = binance_order(&neutral);
        assert_eq!(b.working_type, Some(WorkingType::MarkPrice));
        assert_eq!(b.stop_price, neutral.trigger_price);
        assert!(b.reduce_only);
        assert!(b.check_shape().is_ok());
    }

    fn algo(status: &str, actual: &str, executed: Option<&str>) -> AlgoOrder {
        let mut json = crate::binance_usdm::rest::tests::algo_answer("rmp-stop", "STOP_MARKET")
            .replace("\"NEW\"", &format!("\"{status}\""))
            .replace(
                "\"actualOrderId\": \"\"",
                &format!("\"actualOrderId\": \"{actual}\""),
            );
        if let Some(q) = executed {
            json = json.replace(
                "\"reduceOnly\": false",
                &format!("\"reduceOnly\": false, \"executedQty\": \"{q}\""),
            );
        }
        serde_json::from_str(&json).unwrap()
    }

    /// The regular order a triggered conditional order placed: id 8886774, `status`, 0.004 of
    /// 0.010 filled at 61010.
    fn actual_order(status: &str) -> Order {
        let json = crate::binance_usdm::rest::tests::LIMIT_ANSWER
            .replace("\"rmp-limit\"", "\"x-actual\"")
            .replace("22542179", "8886774")
            .replace("\"NEW\"", &format!("\"{status}\""))
            .replace("\"executedQty\": \"0\"", "\"executedQty\": \"0.004\"")
            .replace("\"avgPrice\": \"0.00000\"", "\"avgPrice\": \"61010\"")
            .replace("\"type\": \"LIMIT\"", "\"type\": \"MARKET\"");
        serde_json::from_str(&json).unwrap()
    }

    #[test]
    fn conditional_orders_map_to_neutral_states() {
        let s = algo_state(algo("NEW", "", None), None);
        assert_eq!(s.client_order_id, "rmp-stop");
        assert_eq!(s.venue_order_id, "2146760");
        assert_eq!(s.order_type, Some(OrderType::StopMarket));
        assert_eq!(s.status, OrderStatus::Open);
        assert_eq!((s.qty, s.filled_qty), (d("0.010"), Decimal::ZERO));
        assert_eq!((s.price, s.trigger_price), (None, Some(d("61000.0"))));
        for (wire, neutral) in [
            ("TRIGGERING", OrderStatus::Open),
            ("TRIGGERED", OrderStatus::Open),
            ("CANCELED", OrderStatus::Cancelled),
            ("REJECTED", OrderStatus::Rejected),
            ("EXPIRED", OrderStatus::Expired),
            ("FINISHED", OrderStatus::Expired),
        ] {
            assert_eq!(
                algo_state(algo(wire, "", None), None).status,
                neutral,
                "{wire}"
            );
        }
        // FINISHED with the whole quantity executed, as the venue reports it.
        let done = algo_state(algo("FINISHED", "8886774", Some("0.010")), None);
        assert_eq!(done.status, OrderStatus::Filled);
        // Triggered, with the order it placed: that order's status and fills count.
        let live = algo_state(
            algo("TRIGGERED", "8886774", None),
            Some(actual_order("PARTIALLY_FILLED")),
        );
        assert_eq!(live.client_order_id, "rmp-stop", "the journaled id stays");
        assert_eq!(live.status, OrderStatus::PartiallyFilled);
        assert_eq!(live.filled_qty, d("0.004"));
        assert_eq!(live.avg_fill_price, Some(d("61010")));
        let ack = placed_ack(Placed::algo(algo("NEW", "", None)));
        assert_eq!(
            (ack.client_order_id.as_str(), ack.venue_order_id.as_str()),
            ("rmp-stop", "2146760")
        );
        assert_eq!(ack.status, OrderStatus::Open);
    }

    #[test]
    fn open_orders_show_each_order_once() {
        let resting: Order =
            serde_json::from_str(crate::binance_usdm::rest::tests::LIMIT_ANSWER).unwrap();
        let mut waiting = algo("NEW", "", None);
        waiting.client_algo_id = "rmp-wait".into();
        let merged = merge_open_orders(
            vec![resting, actual_order("PARTIALLY_FILLED")],
            vec![
                waiting,
                algo("TRIGGERED", "8886774", None),
                algo("CANCELED", "", None),
            ],
        );
        let ids: Vec<(&str, OrderStatus)> = merged
            .iter()
            .map(|s| (s.client_order_id.as_str(), s.status))
            .collect();
        assert_eq!(
            ids,
            [
                ("rmp-limit", OrderStatus::Open),
                ("rmp-wait", OrderStatus::Open),
                ("rmp-stop", OrderStatus::PartiallyFilled),
            ],
            "the triggered order's book order is folded into it; a cancelled one is dropped"
        );
    }
}
