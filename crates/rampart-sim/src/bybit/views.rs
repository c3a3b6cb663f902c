//! The documented JSON of Bybit's answers and stream data, built from the exchange's plain
//! types: orders (`/v5/order/realtime` and the `order` topic), executions, positions, the
//! unified wallet, tickers, books and candles.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::instruments::{category, contract_type};
use crate::core::{
    Book, CancelReason, Candle, Execution, Instrument, MarginMode, Order, OrderKind, OrderStatus,
    Position, Side, Ticker, TimeInForce, TriggerBy, TriggerDirection, Wallet,
};

/// `d` with exactly `scale` decimals.
pub(super) fn fixed(d: Decimal, scale: u32) -> String {
    let mut d = d;
    d.rescale(scale);
    d.to_string()
}

/// A price at the instrument's tick precision.
pub(super) fn px(inst: &Instrument, d: Decimal) -> String {
    fixed(d, inst.tick_size.scale())
}

/// A quantity at the instrument's step precision.
pub(super) fn qty(inst: &Instrument, d: Decimal) -> String {
    fixed(d, inst.lot_size.scale())
}

/// An amount with trailing zeros dropped.
pub(super) fn amount(d: Decimal) -> String {
    d.round_dp(8).normalize().to_string()
}

pub(super) fn side(s: Side) -> &'static str {
    match s {
        Side::Buy => "Buy",
        Side::Sell => "Sell",
    }
}

pub(super) fn trigger_by(t: TriggerBy) -> &'static str {
    match t {
        TriggerBy::Mark => "MarkPrice",
        TriggerBy::Last => "LastPrice",
    }
}

fn status(o: &Order) -> &'static str {
    match o.status {
        OrderStatus::Untriggered => "Untriggered",
        OrderStatus::New => "New",
        OrderStatus::PartiallyFilled => "PartiallyFilled",
        OrderStatus::Filled => "Filled",
        // "Deactivated": conditional orders cancelled before they are triggered.
        OrderStatus::Cancelled if o.trigger.is_some() && !o.triggered => "Deactivated",
        // In derivatives a Cancelled order may have an executed qty.
        OrderStatus::Cancelled => "Cancelled",
    }
}

fn cancel_type(o: &Order) -> &'static str {
    match o.cancel_reason {
        Some(CancelReason::ByClient) => "CancelByUser",
        Some(CancelReason::ReduceOnlyNothingToReduce) => "CancelByReduceOnly",
        Some(CancelReason::DeadMan) => "CancelByDCP",
        _ => "UNKNOWN",
    }
}

fn reject_reason(o: &Order) -> &'static str {
    match o.cancel_reason {
        Some(CancelReason::PostOnlyWouldTake) => "EC_PostOnlyWillTakeLiquidity",
        Some(CancelReason::FokUnfillable) => "EC_CancelForNoFullFill",
        Some(CancelReason::Remainder) if o.filled_qty.is_zero() => "EC_NoImmediateQtyToFill",
        _ => "EC_NoError",
    }
}

fn time_in_force(o: &Order) -> &'static str {
    match o.time_in_force {
        TimeInForce::Gtc => "GTC",
        TimeInForce::Ioc => "IOC",
        TimeInForce::Fok => "FOK",
        TimeInForce::PostOnly => "PostOnly",
    }
}

/// One order as `GET /v5/order/realtime` lists it (and the `order` topic pushes it, with
/// `category` added).
pub(super) fn order(o: &Order, inst: &Instrument) -> Value {
    let (trigger_price, direction, trig_by) = match o.trigger {
        Some(t) => (
            px(inst, t.price),
            match t.direction {
                TriggerDirection::Rise => 1,
                TriggerDirection::Fall => 2,
            },
            trigger_by(t.by),
        ),
        None => (px(inst, Decimal::ZERO), 0, "UNKNOWN"),
    };
    let leaves = if o.is_open() {
        o.remaining()
    } else {
        Decimal::ZERO
    };
    let price = o.price.unwrap_or(Decimal::ZERO);
    json!({
        "orderId": o.id,
        "orderLinkId": o.client_id.clone().unwrap_or_default(),
        "blockTradeId": "",
        "symbol": inst.symbol,
        "price": px(inst, price),
        "qty": qty(inst, o.qty),
        "side": side(o.side),
        "isLeverage": "",
        "positionIdx": 0,
        "orderStatus": status(o),
        "cancelType": cancel_type(o),
        "rejectReason": reject_reason(o),
        "avgPrice": o.avg_price().map_or_else(|| "0".to_owned(), amount),
        "leavesQty": qty(inst, leaves),
        "leavesValue": amount(inst.notional(leaves, if price.is_zero() { Decimal::ZERO } else { price })),
        "cumExecQty": qty(inst, o.filled_qty),
        "cumExecValue": amount(match inst.kind {
            crate::core::ContractKind::Linear => o.filled_value,
            crate::core::ContractKind::Inverse => o
                .avg_price()
                .map_or(Decimal::ZERO, |p| inst.notional(o.filled_qty, p)),
        }),
        "cumExecFee": amount(o.fees),
        "timeInForce": time_in_force(o),
        "orderType": match o.kind { OrderKind::Market => "Market", OrderKind::Limit => "Limit" },
        "stopOrderType": if o.trigger.is_some() { "Stop" } else { "UNKNOWN" },
        "orderIv": "",
        "triggerPrice": trigger_price,
        "takeProfit": "0.00",
        "stopLoss": "0.00",
        "tpTriggerBy": "UNKNOWN",
        "slTriggerBy": "UNKNOWN",
        "triggerDirection": direction,
        "triggerBy": trig_by,
        "lastPriceOnCreated": "",
        "reduceOnly": o.reduce_only,
        "closeOnTrigger": false,
        "smpType": "None",
        "smpGroup": 0,
        "smpOrderId": "",
        "tpslMode": "",
        "tpLimitPrice": "",
        "slLimitPrice": "",
        "placeType": "",
        "createdTime": o.created_ms.to_string(),
        "updatedTime": o.updated_ms.to_string(),
    })
}

/// The `order` topic's item: the REST shape with `category`, `closedPnl` and `feeCurrency`.
pub(super) fn order_push(o: &Order, inst: &Instrument) -> Value {
    let mut v = order(o, inst);
    if let Value::Object(m) = &mut v {
        m.insert("category".into(), json!(category(inst.kind)));
        m.insert("closedPnl".into(), json!("0"));
        m.insert("feeCurrency".into(), json!(""));
    }
    v
}

/// One execution as `GET /v5/execution/list` lists it and the `execution` topic pushes it.
pub(super) fn execution(e: &Execution, inst: &Instrument, order: Option<&Order>) -> Value {
    json!({
        "category": category(inst.kind),
        "symbol": inst.symbol,
        "orderId": e.order_id,
        "orderLinkId": e.client_id.clone().unwrap_or_default(),
        "side": side(e.side),
        "orderPrice": order.and_then(|o| o.price).map_or_else(|| px(inst, e.price), |p| px(inst, p)),
        "orderQty": order.map_or_else(|| qty(inst, e.qty), |o| qty(inst, o.qty)),
        "leavesQty": qty(inst, e.leaves_qty),
        "createType": "CreateByUser",
        "orderType": order.map_or("Limit", |o| match o.kind { OrderKind::Market => "Market", OrderKind::Limit => "Limit" }),
        "stopOrderType": "UNKNOWN",
        "execFee": amount(e.fee),
        "execId": format!("{:08x}-0000-4000-8000-{:012x}", e.trade_id >> 32, e.trade_id),
        "execPrice": px(inst, e.price),
        "execQty": qty(inst, e.qty),
        "execPnl": amount(e.realized_pnl),
        "execType": "Trade",
        "execValue": amount(e.value),
        "execTime": e.time_ms.to_string(),
        "isMaker": e.maker,
        "feeRate": amount(e.fee_rate),
        "tradeIv": "",
        "markIv": "",
        "markPrice": px(inst, e.mark_price),
        "indexPrice": "",
        "underlyingPrice": "",
        "blockTradeId": "",
        "closedSize": "0",
        "seq": e.trade_id,
        "feeCurrency": inst.settle,
    })
}

/// One position as `GET /v5/position/list` lists it (the entry price as `avgPrice`); the
/// `position` topic pushes it with `category`, the entry price as `entryPrice`.
pub(super) fn position(p: &Position, inst: &Instrument) -> Value {
    let side = if p.size > Decimal::ZERO {
        "Buy"
    } else if p.size < Decimal::ZERO {
        "Sell"
    } else {
        ""
    };
    json!({
        "positionIdx": 0,
        "riskId": 1,
        "riskLimitValue": "2000000",
        "symbol": inst.symbol,
        "side": side,
        "size": qty(inst, p.size.abs()),
        "avgPrice": amount(p.entry_price),
        "positionValue": amount(p.value),
        "tradeMode": match p.margin_mode { MarginMode::Cross => 0, MarginMode::Isolated => 1 },
        "positionStatus": "Normal",
        "autoAddMargin": 0,
        "adlRankIndicator": if p.size.is_zero() { 0 } else { 2 },
        "leverage": amount(p.leverage),
        "positionBalance": amount(p.initial_margin),
        "markPrice": px(inst, p.mark_price),
        "liqPrice": if p.liquidation_price.is_zero() { String::new() } else { px(inst, p.liquidation_price) },
        "bustPrice": "",
        "positionMM": amount(p.maintenance_margin),
        "positionMMByMp": amount(p.maintenance_margin),
        "positionIM": amount(p.initial_margin),
        "positionIMByMp": amount(p.initial_margin),
        "tpslMode": "Full",
        "takeProfit": "0.00",
        "stopLoss": "0.00",
        "trailingStop": "0.00",
        "unrealisedPnl": amount(p.unrealized_pnl),
        "curRealisedPnl": amount(p.realized_pnl),
        "cumRealisedPnl": amount(p.realized_pnl),
        "sessionAvgPrice": "",
        "breakEvenPrice": "",
        "seq": p.updated_ms,
        "isReduceOnly": false,
        "mmrSysUpdatedTime": "",
        "leverageSysUpdatedTime": "",
        "createdTime": p.updated_ms.to_string(),
        "updatedTime": p.updated_ms.to_string(),
    })
}

/// `position` topic item.
pub(super) fn position_push(p: &Position, inst: &Instrument) -> Value {
    let mut v = position(p, inst);
    if let Value::Object(m) = &mut v {
        m.insert("category".into(), json!(category(inst.kind)));
        if let Some(entry) = m.remove("avgPrice") {
            m.insert("entryPrice".into(), entry);
        }
    }
    v
}

/// One coin of the unified wallet. The simulator values every coin at 1 USD per unit of its
/// own (stablecoins) or at `usd_price` (the base coins of inverse contracts).
pub(super) fn wallet_coin(w: &Wallet, usd_price: Decimal) -> Value {
    json!({
        "coin": w.coin,
        "equity": amount(w.equity),
        "usdValue": amount(w.equity * usd_price),
        "walletBalance": amount(w.balance),
        "free": "",
        "locked": "0",
        "spotHedgingQty": "0",
        "borrowAmount": "0",
        "availableToWithdraw": "",
        "availableToBorrow": "",
        "accruedInterest": "0",
        "totalOrderIM": amount(w.order_margin),
        "totalPositionIM": amount(w.position_margin),
        "totalPositionMM": amount(w.maintenance_margin),
        "unrealisedPnl": amount(w.unrealized_pnl),
        "cumRealisedPnl": amount(w.balance),
        "bonus": "0",
        "marginCollateral": true,
        "collateralSwitch": true,
        "spotBorrow": "0",
    })
}

/// One coin of the wallet with the USD price the account totals value it at.
pub(super) struct PricedWallet {
    pub(super) wallet: Wallet,
    pub(super) usd_price: Decimal,
}

/// The unified account's wallet (`GET /v5/account/wallet-balance`'s list item and the
/// `wallet` topic's data item): totals in USD over `coins`.
pub(super) fn wallet_account(coins: &[PricedWallet]) -> Value {
    let sum = |f: &dyn Fn(&Wallet) -> Decimal| -> Decimal {
        coins
            .iter()
            .map(|c| f(&c.wallet) * c.usd_price)
            .sum::<Decimal>()
    };
    let equity = sum(&|w| w.equity);
    let wallet = sum(&|w| w.balance);
    let im = sum(&|w| w.position_margin + w.order_margin);
    let mm = sum(&|w| w.maintenance_margin);
    let available = sum(&|w| w.available);
    let upl = sum(&|w| w.unrealized_pnl);
    let rate = |x: Decimal| {
        if equity.is_zero() {
            "0".to_owned()
        } else {
            amount((x / equity).round_dp(4))
        }
    };
    json!({
        "accountType": "UNIFIED",
        "accountIMRate": rate(im),
        "accountIMRateByMp": rate(im),
        "accountMMRate": rate(mm),
        "accountMMRateByMp": rate(mm),
        "accountLTV": "0",
        "totalEquity": amount(equity),
        "totalWalletBalance": amount(wallet),
        "totalMarginBalance": amount(wallet + upl),
        "totalAvailableBalance": amount(available),
        "totalPerpUPL": amount(upl),
        "totalInitialMargin": amount(im),
        "totalInitialMarginByMp": amount(im),
        "totalMaintenanceMargin": amount(mm),
        "totalMaintenanceMarginByMp": amount(mm),
        "coin": coins.iter().map(|c| wallet_coin(&c.wallet, c.usd_price)).collect::<Vec<_>>(),
    })
}

/// A ticker as `GET /v5/market/tickers` lists it for linear / inverse contracts.
pub(super) fn ticker(t: &Ticker, inst: &Instrument) -> Value {
    let pcnt = if t.prev_price_24h.is_zero() {
        Decimal::ZERO
    } else {
        ((t.last - t.prev_price_24h) / t.prev_price_24h).round_dp(6)
    };
    json!({
        "symbol": inst.symbol,
        "lastPrice": px(inst, t.last),
        "indexPrice": px(inst, t.index),
        "markPrice": px(inst, t.mark),
        "prevPrice24h": px(inst, t.prev_price_24h),
        "price24hPcnt": amount(pcnt),
        "highPrice24h": px(inst, t.high_24h),
        "lowPrice24h": px(inst, t.low_24h),
        "prevPrice1h": px(inst, t.prev_price_24h),
        "openInterest": qty(inst, t.open_interest),
        "openInterestValue": amount(inst.notional(t.open_interest, t.mark)),
        "turnover24h": amount(match inst.kind {
            crate::core::ContractKind::Linear => t.turnover_24h,
            crate::core::ContractKind::Inverse => inst.notional(t.volume_24h, t.last),
        }),
        "volume24h": qty(inst, t.volume_24h),
        "fundingRate": amount(t.funding_rate),
        "nextFundingTime": t.next_funding_ms.to_string(),
        "predictedDeliveryPrice": "",
        "basisRate": "",
        "deliveryFeeRate": "",
        "deliveryTime": "0",
        "ask1Size": qty(inst, t.ask.qty),
        "bid1Price": px(inst, t.bid.price),
        "ask1Price": px(inst, t.ask.price),
        "bid1Size": qty(inst, t.bid.qty),
        "basis": "",
        "preOpenPrice": "",
        "preQty": "",
        "curPreListingPhase": "",
        "fundingIntervalHour": "8",
        "basisRateYear": "",
        "fundingCap": "0.005",
    })
}

/// Book levels as `[price, size]` string pairs.
pub(super) fn levels(inst: &Instrument, levels: &[crate::core::Level]) -> Value {
    Value::Array(
        levels
            .iter()
            .map(|l| json!([px(inst, l.price), qty(inst, l.qty)]))
            .collect(),
    )
}

/// `GET /v5/market/orderbook`'s result.
pub(super) fn book(b: &Book, inst: &Instrument) -> Value {
    json!({
        "s": inst.symbol,
        "b": levels(inst, &b.bids),
        "a": levels(inst, &b.asks),
        "ts": b.time_ms,
        "u": b.seq,
        "seq": b.seq,
        "cts": b.time_ms,
    })
}

/// A kline row: `[startTime, open, high, low, close, volume, turnover]` (mark-price klines
/// stop after close).
pub(super) fn kline_row(c: &Candle, inst: &Instrument, with_volume: bool) -> Value {
    let mut row = vec![
        json!(c.open_ms.to_string()),
        json!(px(inst, c.open)),
        json!(px(inst, c.high)),
        json!(px(inst, c.low)),
        json!(px(inst, c.close)),
    ];
    if with_volume {
        row.push(json!(qty(inst, c.volume)));
        row.push(json!(amount(c.turnover)));
    }
    Value::Array(row)
}

/// The instruments-info item of a contract.
pub(super) fn instrument(inst: &Instrument, launch_ms: i64) -> Value {
    json!({
        "symbol": inst.symbol,
        "contractType": contract_type(inst.kind),
        "status": "Trading",
        "baseCoin": inst.base,
        "quoteCoin": inst.quote,
        "launchTime": launch_ms.to_string(),
        "deliveryTime": "0",
        "deliveryFeeRate": "",
        "priceScale": inst.tick_size.scale().to_string(),
        "leverageFilter": {
            "minLeverage": "1",
            "maxLeverage": fixed(inst.max_leverage, 2),
            "leverageStep": "0.01",
        },
        "priceFilter": {
            "minPrice": px(inst, inst.tick_size),
            "maxPrice": px(inst, Decimal::from(1_999_999)),
            "tickSize": px(inst, inst.tick_size),
        },
        "lotSizeFilter": {
            "maxOrderQty": qty(inst, inst.max_qty),
            "minOrderQty": qty(inst, inst.min_qty),
            "qtyStep": qty(inst, inst.lot_size),
            "postOnlyMaxOrderQty": qty(inst, inst.max_qty),
            "maxMktOrderQty": qty(inst, inst.max_qty),
            "minNotionalValue": match inst.kind {
                crate::core::ContractKind::Linear => {
                    super::instruments::LINEAR_MIN_NOTIONAL.to_string()
                }
                crate::core::ContractKind::Inverse => "0".to_owned(),
            },
        },
        "unifiedMarginTrade": true,
        "fundingInterval": 480,
        "settleCoin": inst.settle,
        "copyTrading": "both",
        "upperFundingRate": "0.00375",
        "lowerFundingRate": "-0.00375",
        "isPreListing": false,
        "preListingInfo": null,
        "riskParameters": { "priceLimitRatioX": "0.01", "priceLimitRatioY": "0.02" },
        "symbolType": "",
    })
}
