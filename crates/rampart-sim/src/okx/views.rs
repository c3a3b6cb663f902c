//! How OKX shows the core's orders, positions, balances and market data: the field names,
//! string numbers and enums of okx.com/docs-v5 (Get order details, Get positions, Get
//! balance, Get ticker, Get order book, Get candlesticks), shared by REST and the streams.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::instruments::Listing;
use crate::core::{
    Book, CancelReason, Candle, ContractKind, MarginMode, Order, OrderKind, OrderStatus, Position,
    Side, Ticker, TimeInForce, Wallet,
};

/// What OKX keeps of an order that the core does not: the trade mode and tag it was sent with,
/// and for an algo order its own fields.
#[derive(Debug, Clone, Default)]
pub struct OrderMeta {
    pub td_mode: String,
    pub tag: String,
    pub algo: Option<AlgoMeta>,
}

/// Which price of an algo order is its trigger: `conditional` orders carry a take-profit or a
/// stop-loss one (`tp*`, `sl*` fields), `trigger` orders a plain one (`triggerPx`, `orderPx`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlgoLeg {
    TakeProfit,
    StopLoss,
    Trigger,
}

/// An algo order as OKX keeps it apart from regular orders ("Order Book Trading > Algo
/// Trading"): its own id and client id, its type, its trigger and the price of the order it
/// places once triggered. The core holds it as a conditional order; until it triggers, the
/// regular-order endpoints and the `orders` channel do not show it.
#[derive(Debug, Clone)]
pub struct AlgoMeta {
    pub algo_id: String,
    pub algo_cl_ord_id: String,
    /// `conditional` or `trigger`.
    pub ord_type: &'static str,
    pub leg: AlgoLeg,
    pub trigger_px: Decimal,
    /// `last`, `index` or `mark`, as sent.
    pub trigger_px_type: String,
    /// The order price as sent: "-1" is at market.
    pub ord_px: String,
}

/// Whether the regular-order endpoints show `o`: every order but an algo order that has not
/// triggered (waiting, or cancelled while waiting).
pub fn is_regular(o: &Order) -> bool {
    o.trigger.is_none() || o.triggered
}

/// An algo order's `state`: `live` while it waits, `effective` once it triggered and placed
/// its order, `canceled` when cancelled before that.
pub fn algo_state(o: &Order) -> &'static str {
    if o.triggered {
        "effective"
    } else if o.status == OrderStatus::Cancelled {
        "canceled"
    } else {
        "live"
    }
}

/// An algo order as Get algo order details, the algo order lists and the `orders-algo`
/// channel show it (`last`: the instrument's last price now).
pub fn algo_json(
    o: &Order,
    listing: Option<&Listing>,
    meta: &OrderMeta,
    algo: &AlgoMeta,
    lever: Decimal,
    last: Option<Decimal>,
) -> Value {
    let inst_type = listing.map_or("SWAP", |l| l.inst_type.wire());
    let px_type = algo.trigger_px_type.as_str();
    let trigger = num(algo.trigger_px);
    let leg = |want: AlgoLeg| -> (String, String, &str) {
        if algo.leg == want {
            (trigger.clone(), algo.ord_px.clone(), px_type)
        } else {
            (String::new(), String::new(), "")
        }
    };
    let (tp_trigger, tp_ord, tp_type) = leg(AlgoLeg::TakeProfit);
    let (sl_trigger, sl_ord, sl_type) = leg(AlgoLeg::StopLoss);
    let (plain_trigger, plain_ord, plain_type) = leg(AlgoLeg::Trigger);
    let effective = o.triggered;
    let (ord_id, ord_ids) = if effective {
        (o.id.clone(), vec![o.id.clone()])
    } else {
        (String::new(), Vec::new())
    };
    let actual_side = match (effective, algo.leg) {
        (false, _) | (true, AlgoLeg::Trigger) => "",
        (true, AlgoLeg::TakeProfit) => "tp",
        (true, AlgoLeg::StopLoss) => "sl",
    };
    let mut head = json!({
        "activePx": "",
        "actualPx": if effective { o.avg_price().or(o.price).map(num).unwrap_or_default() } else { String::new() },
        "actualSide": actual_side,
        "actualSz": if effective { num(o.qty) } else { String::new() },
        "algoClOrdId": algo.algo_cl_ord_id,
        "algoId": algo.algo_id,
        "amendPxOnTriggerType": "0",
        "attachAlgoOrds": [],
        "cTime": o.created_ms.to_string(),
        "callbackRatio": "",
        "callbackSpread": "",
        "ccy": "",
        "clOrdId": "",
        "closeFraction": "",
        "failCode": "",
        "instId": o.symbol,
        "instType": inst_type,
        "isTradeBorrowMode": "",
        "last": last.map(num).unwrap_or_default(),
        "lever": num(lever),
        "linkedOrd": {"ordId": ""},
        "moveTriggerPx": "",
        "ordId": ord_id,
        "ordIdList": ord_ids,
        "ordPx": plain_ord,
        "ordType": algo.ord_type,
    });
    let tail = json!({
        "posSide": "net",
        "pxLimit": "",
        "pxSpread": "",
        "pxVar": "",
        "quickMgnType": "",
        "reduceOnly": if o.reduce_only { "true" } else { "false" },
        "side": side(o.side),
        "slOrdPx": sl_ord,
        "slTriggerPx": sl_trigger,
        "slTriggerPxType": sl_type,
        "state": algo_state(o),
        "sz": num(o.qty),
        "szLimit": "",
        "tag": meta.tag,
        "tdMode": meta.td_mode,
        "tgtCcy": "",
        "timeInterval": "",
        "tpOrdPx": tp_ord,
        "tpTriggerPx": tp_trigger,
        "tpTriggerPxType": tp_type,
        "triggerPx": plain_trigger,
        "triggerPxType": plain_type,
        "triggerTime": if effective { o.updated_ms.to_string() } else { String::new() },
        "uTime": o.updated_ms.to_string(),
    });
    if let (Some(h), Value::Object(t)) = (head.as_object_mut(), tail) {
        h.extend(t);
    }
    head
}

pub fn num(d: Decimal) -> String {
    d.normalize().to_string()
}

pub fn side(s: Side) -> &'static str {
    match s {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

pub fn mgn_mode(m: MarginMode) -> &'static str {
    match m {
        MarginMode::Cross => "cross",
        MarginMode::Isolated => "isolated",
    }
}

pub fn ord_type(o: &Order) -> &'static str {
    match (o.kind, o.time_in_force) {
        (OrderKind::Market, _) => "market",
        (OrderKind::Limit, TimeInForce::Gtc) => "limit",
        (OrderKind::Limit, TimeInForce::PostOnly) => "post_only",
        (OrderKind::Limit, TimeInForce::Fok) => "fok",
        (OrderKind::Limit, TimeInForce::Ioc) => "ioc",
    }
}

pub fn state(o: &Order) -> &'static str {
    match o.status {
        OrderStatus::Untriggered | OrderStatus::New => "live",
        OrderStatus::PartiallyFilled => "partially_filled",
        OrderStatus::Filled => "filled",
        OrderStatus::Cancelled => "canceled",
    }
}

/// OKX's `cancelSource` codes: 1 cancelled by the user, 13 by the cancel-all-after
/// countdown, 14 an IOC/market remainder, 15 a FOK that could not fill, 31 a post-only that
/// would take, 32 a reduce-only with nothing to reduce.
fn cancel_source(o: &Order) -> &'static str {
    match o.cancel_reason {
        None => "",
        Some(CancelReason::ByClient) => "1",
        Some(CancelReason::DeadMan) => "13",
        Some(CancelReason::Remainder) => "14",
        Some(CancelReason::FokUnfillable) => "15",
        Some(CancelReason::PostOnlyWouldTake) => "31",
        Some(CancelReason::ReduceOnlyNothingToReduce) => "32",
        // OKX's futures deliver rather than cancel; the simulator lists none that expire.
        Some(CancelReason::Expired) => "",
    }
}

/// An order as Get order details (and the `orders` channel) shows it. `fill`: the latest
/// fill's (price, size, trade id, time), for the stream.
pub fn order_json(
    o: &Order,
    listing: Option<&Listing>,
    meta: Option<&OrderMeta>,
    lever: Decimal,
    fill: Option<(Decimal, Decimal, u64, i64)>,
) -> Value {
    let inst_type = listing.map_or("SWAP", |l| l.inst_type.wire());
    let settle = listing.map_or(String::new(), |l| l.inst.settle.clone());
    let (fill_px, fill_sz, trade_id, fill_time) = match fill {
        Some((p, s, id, t)) => (num(p), num(s), id.to_string(), t.to_string()),
        None => (String::new(), "0".into(), String::new(), String::new()),
    };
    // An order an algo order placed when it triggered names that algo order.
    let algo = meta.and_then(|m| m.algo.as_ref());
    let mut head = json!({
        "accFillSz": num(o.filled_qty),
        "algoClOrdId": algo.map(|a| a.algo_cl_ord_id.clone()).unwrap_or_default(),
        "algoId": algo.map(|a| a.algo_id.clone()).unwrap_or_default(),
        "attachAlgoClOrdId": "",
        "attachAlgoOrds": [],
        "avgPx": o.avg_price().map(num).unwrap_or_default(),
        "cTime": o.created_ms.to_string(),
        "cancelSource": cancel_source(o),
        "cancelSourceReason": "",
        "category": "normal",
        "ccy": "",
        "clOrdId": o.client_id.clone().unwrap_or_default(),
        // OKX shows fees as negative amounts charged (positive: a rebate).
        "fee": num(-o.fees),
        "feeCcy": settle,
        "fillPx": fill_px,
        "fillSz": fill_sz,
        "fillTime": fill_time,
    });
    let tail = json!({
        "instId": o.symbol,
        "instType": inst_type,
        "isTpLimit": "false",
        "lever": num(lever),
        "linkedAlgoOrd": {"algoId": ""},
        "ordId": o.id,
        "ordType": ord_type(o),
        "pnl": "0",
        "posSide": "net",
        "px": o.price.map(num).unwrap_or_default(),
        "pxType": "",
        "pxUsd": "",
        "pxVol": "",
        "quickMgnType": "",
        "rebate": "0",
        "rebateCcy": settle,
        "reduceOnly": if o.reduce_only { "true" } else { "false" },
        "side": side(o.side),
        "slOrdPx": "",
        "slTriggerPx": "",
        "slTriggerPxType": "",
        "source": "",
        "state": state(o),
        "stpId": "",
        "stpMode": "cancel_maker",
        "sz": num(o.qty),
        "tag": meta.map(|m| m.tag.clone()).unwrap_or_default(),
        "tdMode": meta.map_or_else(|| "cross".to_owned(), |m| m.td_mode.clone()),
        "tgtCcy": "",
        "tpOrdPx": "",
        "tpTriggerPx": "",
        "tpTriggerPxType": "",
        "tradeId": trade_id,
        "uTime": o.updated_ms.to_string(),
    });
    if let (Some(h), Value::Object(t)) = (head.as_object_mut(), tail) {
        h.extend(t);
    }
    head
}

/// A position as Get positions (and the `positions` channel) shows it.
pub fn position_json(p: &Position, listing: &Listing, pos_id: usize) -> Value {
    let upl_ratio = if p.initial_margin.is_zero() {
        Decimal::ZERO
    } else {
        (p.unrealized_pnl / p.initial_margin).round_dp(8)
    };
    let notional_usd = match listing.inst.kind {
        ContractKind::Linear => p.value,
        ContractKind::Inverse => (p.value * p.mark_price).round_dp(8),
    };
    let mut head = json!({
        "adl": "1",
        "availPos": num(p.size.abs()),
        "avgPx": if p.size.is_zero() { String::new() } else { num(p.entry_price) },
        "baseBal": "",
        "bePx": "",
        "cTime": p.updated_ms.to_string(),
        "ccy": listing.inst.settle,
        "deltaBS": "",
        "deltaPA": "",
        "fee": "0",
        "fundingFee": "0",
        "gammaBS": "",
        "gammaPA": "",
        "idxPx": num(p.mark_price),
        "imr": if p.margin_mode == MarginMode::Cross { num(p.initial_margin) } else { String::new() },
        "instId": p.symbol,
        "instType": listing.inst_type.wire(),
        "interest": "",
        "last": num(p.mark_price),
        "lever": num(p.leverage),
        "liab": "",
        "liabCcy": "",
        "liqPenalty": "0",
    });
    let tail = json!({
        "liqPx": if p.liquidation_price.is_zero() { String::new() } else { num(p.liquidation_price) },
        "margin": if p.margin_mode == MarginMode::Isolated { num(p.initial_margin) } else { String::new() },
        "markPx": num(p.mark_price),
        "mgnMode": mgn_mode(p.margin_mode),
        "mgnRatio": "",
        "mmr": num(p.maintenance_margin),
        "notionalUsd": num(notional_usd),
        "optVal": "",
        "pendingCloseOrdLiabVal": "",
        "pnl": num(p.realized_pnl),
        "pos": num(p.size),
        "posCcy": "",
        "posId": pos_id.to_string(),
        "posSide": "net",
        "quoteBal": "",
        "realizedPnl": num(p.realized_pnl),
        "thetaBS": "",
        "thetaPA": "",
        "tradeId": "",
        "uTime": p.updated_ms.to_string(),
        "upl": num(p.unrealized_pnl),
        "uplLastPx": num(p.unrealized_pnl),
        "uplRatio": num(upl_ratio),
        "usdPx": "",
        "vegaBS": "",
        "vegaPA": "",
    });
    if let (Some(h), Value::Object(t)) = (head.as_object_mut(), tail) {
        h.extend(t);
    }
    head
}

/// The USD value of one unit of `coin`: 1 for USDT (and USD), else the mark of its USDT
/// perpetual (`<coin>-USDT-SWAP`); 0 for a coin with none.
pub fn usd_rate(ex: &crate::core::Exchange, coin: &str) -> Decimal {
    match coin {
        "USDT" | "USD" => Decimal::ONE,
        other => ex.mark(&format!("{other}-USDT-SWAP")).unwrap_or_default(),
    }
}

/// One coin of Get balance's `details`; `rate`: its USD value (see [`usd_rate`]).
pub fn balance_detail(w: &Wallet, rate: Decimal, now: i64) -> Value {
    json!({
        "availBal": num(w.available),
        "availEq": num(w.available),
        "borrowFroz": "",
        "cashBal": num(w.balance),
        "ccy": w.coin,
        "crossLiab": "",
        "disEq": num(w.equity),
        "eq": num(w.equity),
        "eqUsd": num((w.equity * rate).round_dp(8)),
        "fixedBal": "0",
        "frozenBal": num(w.position_margin + w.order_margin),
        "imr": num(w.position_margin),
        "interest": "",
        "isoEq": "0",
        "isoLiab": "",
        "isoUpl": "0",
        "liab": "",
        "maxLoan": "",
        "mgnRatio": "",
        "mmr": num(w.maintenance_margin),
        "notionalLever": "",
        "ordFrozen": num(w.order_margin),
        "rewardBal": "",
        "smtSyncEq": "0",
        "spotInUseAmt": "",
        "stgyEq": "0",
        "twap": "0",
        "uTime": now.to_string(),
        "upl": num(w.unrealized_pnl),
        "uplLiab": "",
    })
}

/// Get balance's one entry: the account totals in USD (each coin at [`usd_rate`]) and
/// `details` per coin.
pub fn balance_json(ex: &crate::core::Exchange, wallets: &[Wallet], now: i64) -> Value {
    let usd = |f: fn(&Wallet) -> Decimal| -> Decimal {
        wallets
            .iter()
            .map(|w| f(w) * usd_rate(ex, &w.coin))
            .sum::<Decimal>()
            .round_dp(8)
    };
    let total = usd(|w| w.equity);
    let imr = usd(|w| w.position_margin + w.order_margin);
    let mmr = usd(|w| w.maintenance_margin);
    let ord = usd(|w| w.order_margin);
    let upl = usd(|w| w.unrealized_pnl);
    json!({
        "adjEq": num(total),
        "borrowFroz": "",
        "details": wallets
            .iter()
            .map(|w| balance_detail(w, usd_rate(ex, &w.coin), now))
            .collect::<Vec<_>>(),
        "imr": num(imr),
        "isoEq": "0",
        "mgnRatio": "",
        "mmr": num(mmr),
        "notionalUsd": "",
        "ordFroz": num(ord),
        "totalEq": num(total),
        "uTime": now.to_string(),
        "upl": num(upl),
    })
}

/// Volume in the coin `ctValCcy` stands for (base coin for linear, base coin for inverse too:
/// contracts × 100 USD / price).
fn vol_ccy(listing: &Listing, contracts: Decimal, price: Decimal) -> Decimal {
    match listing.inst.kind {
        ContractKind::Linear => contracts * listing.inst.contract_value,
        ContractKind::Inverse => listing.inst.notional(contracts, price),
    }
}

/// A ticker as Get ticker (and the `tickers` channel) shows it.
pub fn ticker_json(t: &Ticker, listing: &Listing) -> Value {
    json!({
        "askPx": num(t.ask.price),
        "askSz": num(t.ask.qty),
        "bidPx": num(t.bid.price),
        "bidSz": num(t.bid.qty),
        "high24h": num(t.high_24h),
        "instId": t.symbol,
        "instType": listing.inst_type.wire(),
        "last": num(t.last),
        "lastSz": num(listing.inst.min_qty),
        "low24h": num(t.low_24h),
        "open24h": num(t.prev_price_24h),
        "sodUtc0": num(t.prev_price_24h),
        "sodUtc8": num(t.prev_price_24h),
        "ts": t.time_ms.to_string(),
        "vol24h": num(t.volume_24h),
        "volCcy24h": num(vol_ccy(listing, t.volume_24h, t.last).round_dp(8)),
    })
}

/// A book's levels as OKX shows them: `[px, sz, "0", orderCount]`.
pub fn book_levels(levels: &[crate::core::Level]) -> Vec<Value> {
    levels
        .iter()
        .map(|l| json!([num(l.price), num(l.qty), "0", "1"]))
        .collect()
}

/// Get order book's entry.
pub fn book_json(b: &Book) -> Value {
    json!({
        "asks": book_levels(&b.asks),
        "bids": book_levels(&b.bids),
        "ts": b.time_ms.to_string(),
    })
}

/// A candle as Get candlesticks shows it: `[ts, o, h, l, c, vol, volCcy, volCcyQuote,
/// confirm]`, confirm "0" while the candle is still open.
pub fn candle_json(c: &Candle, listing: &Listing, confirmed: bool) -> Value {
    json!([
        c.open_ms.to_string(),
        num(c.open),
        num(c.high),
        num(c.low),
        num(c.close),
        num(c.volume),
        num(vol_ccy(listing, c.volume, c.close).round_dp(8)),
        num((c.turnover * listing.inst.contract_value).round_dp(8)),
        if confirmed { "1" } else { "0" },
    ])
}

/// The minutes of a `bar`. Hong Kong-aligned bars (6H, 12H, 1D, 1W) are served aligned to
/// UTC like their `utc` forms; monthly and longer bars are not served.
pub fn bar_minutes(bar: &str) -> Option<u32> {
    Some(match bar {
        "1m" => 1,
        "3m" => 3,
        "5m" => 5,
        "15m" => 15,
        "30m" => 30,
        "1H" => 60,
        "2H" => 120,
        "4H" => 240,
        "6H" | "6Hutc" => 360,
        "12H" | "12Hutc" => 720,
        "1D" | "1Dutc" => 1440,
        "1W" | "1Wutc" => 10_080,
        _ => return None,
    })
}
