//! Bybit's wire shapes ([`super::models`]) to Rampart's neutral types. Every amount is parsed
//! from Bybit's string into a `Decimal`; a field that does not parse gives a Malformed error
//! naming it, and nothing half-converted escapes.

use rampart_core::feed::{
    BalanceChange, Candle, CandleInterval, Fill, PositionChange, PublicTrade,
};
use rampart_core::trading::{ContractKind, ProductCategory};
use rampart_core::{OrderType, Side};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::error::malformed;
use super::models::{
    ApiKeyInfo, Book, FeeRate, Instrument, Klines, Order, PositionInfo, Ticker, WalletList,
};
use crate::venue::{
    Balance, BookLevel, FeeRates, InstrumentRules, KeyPermissions, MarginMode, MarkPrice,
    OrderBook, OrderState, OrderStatus, Position, PositionSide, Result,
};

/// A required decimal field.
pub fn dec(what: &str, field: &str, text: &str) -> Result<Decimal> {
    text.trim()
        .parse::<Decimal>()
        .map_err(|_| malformed(what, format_args!("{field} is '{text}', not a number")))
}

/// An optional decimal field: `""` is absent.
pub fn opt_dec(what: &str, field: &str, text: &str) -> Result<Option<Decimal>> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        dec(what, field, text).map(Some)
    }
}

/// A decimal field where `""` means zero (Bybit leaves some amounts empty when there is none).
pub fn dec_or_zero(what: &str, field: &str, text: &str) -> Result<Decimal> {
    Ok(opt_dec(what, field, text)?.unwrap_or(Decimal::ZERO))
}

/// A millisecond timestamp sent as a string.
pub fn ms(what: &str, field: &str, text: &str) -> Result<i64> {
    text.trim()
        .parse::<i64>()
        .map_err(|_| malformed(what, format_args!("{field} is '{text}', not a time in ms")))
}

pub fn side(what: &str, text: &str) -> Result<Side> {
    match text {
        "Buy" => Ok(Side::Buy),
        "Sell" => Ok(Side::Sell),
        other => Err(malformed(what, format_args!("side is '{other}'"))),
    }
}

pub fn side_wire(side: Side) -> &'static str {
    match side {
        Side::Buy => "Buy",
        Side::Sell => "Sell",
    }
}

/// `positionIdx`: 0 one-way, 1 hedge-mode buy side, 2 hedge-mode sell side.
pub fn position_side(what: &str, idx: i64) -> Result<PositionSide> {
    match idx {
        0 => Ok(PositionSide::Net),
        1 => Ok(PositionSide::Long),
        2 => Ok(PositionSide::Short),
        other => Err(malformed(what, format_args!("positionIdx is {other}"))),
    }
}

pub fn position_idx(side: PositionSide) -> u8 {
    match side {
        PositionSide::Net => 0,
        PositionSide::Long => 1,
        PositionSide::Short => 2,
    }
}

/// Bybit's `orderStatus` ("Enums Definitions → orderStatus").
pub fn order_status(what: &str, text: &str) -> Result<OrderStatus> {
    Ok(match text {
        "Created" | "New" | "Untriggered" | "Triggered" | "Active" => OrderStatus::Open,
        "PartiallyFilled" => OrderStatus::PartiallyFilled,
        "Filled" => OrderStatus::Filled,
        "Cancelled" | "Deactivated" => OrderStatus::Cancelled,
        "PartiallyFilledCanceled" => OrderStatus::Expired,
        "Rejected" => OrderStatus::Rejected,
        other => return Err(malformed(what, format_args!("orderStatus is '{other}'"))),
    })
}

/// The neutral order type of a Bybit order: `orderType` (Market/Limit) with `stopOrderType`
/// and the trigger's direction relative to the side. `None` for types Rampart does not place
/// (TP/SL attached to a position, trailing stops).
fn order_type(o: &Order) -> Option<OrderType> {
    let limit = o.order_type == "Limit";
    match o.stop_order_type.as_str() {
        "" | "UNKNOWN" => Some(if limit {
            OrderType::Limit
        } else {
            OrderType::Market
        }),
        "Stop" => {
            // A stop buys when the price rises to the trigger (direction 1) and sells when it
            // falls (2); the other way round it is a take-profit.
            let stop = match o.side.as_str() {
                "Buy" => o.trigger_direction == 1,
                _ => o.trigger_direction == 2,
            };
            Some(match (stop, limit) {
                (true, false) => OrderType::StopMarket,
                (true, true) => OrderType::StopLimit,
                (false, false) => OrderType::TakeProfitMarket,
                (false, true) => OrderType::TakeProfitLimit,
            })
        }
        _ => None,
    }
}

pub fn order_state(o: &Order) -> Result<OrderState> {
    let what = "an order";
    let filled = dec_or_zero(what, "cumExecQty", &o.cum_exec_qty)?;
    let avg = opt_dec(what, "avgPrice", &o.avg_price)?.filter(|p| !p.is_zero());
    let price = opt_dec(what, "price", &o.price)?.filter(|p| !p.is_zero());
    let trigger = opt_dec(what, "triggerPrice", &o.trigger_price)?.filter(|p| !p.is_zero());
    Ok(OrderState {
        symbol: o.symbol.clone(),
        venue_order_id: o.order_id.clone(),
        client_order_id: o.order_link_id.clone(),
        side: side(what, &o.side)?,
        order_type: order_type(o),
        status: order_status(what, &o.order_status)?,
        qty: dec(what, "qty", &o.qty)?,
        filled_qty: filled,
        price: if o.order_type == "Limit" { price } else { None },
        trigger_price: trigger,
        avg_fill_price: avg,
        reduce_only: o.reduce_only,
        position_side: position_side(what, o.position_idx)?,
        updated_ms: if o.updated_time.is_empty() {
            0
        } else {
            ms(what, "updatedTime", &o.updated_time)?
        },
    })
}

/// The product category of an instrument's `contractType`.
fn category(what: &str, contract_type: &str) -> Result<(ProductCategory, ContractKind)> {
    Ok(match contract_type {
        "LinearPerpetual" => (ProductCategory::Linear, ContractKind::Perpetual),
        "LinearFutures" => (ProductCategory::Linear, ContractKind::Dated),
        "InversePerpetual" => (ProductCategory::Inverse, ContractKind::Perpetual),
        "InverseFutures" => (ProductCategory::Inverse, ContractKind::Dated),
        other => return Err(malformed(what, format_args!("contractType is '{other}'"))),
    })
}

/// One instrument's rules. Linear contracts are sized in the base coin (`contract_size`
/// `None`); inverse ones in USD, one USD a contract.
pub fn instrument_rules(i: &Instrument) -> Result<InstrumentRules> {
    let what = "the instruments";
    let (category, kind) = category(what, &i.contract_type)?;
    let lot = &i.lot_size_filter;
    let max_qty = dec(what, "maxOrderQty", &lot.max_order_qty)?;
    let delivery = opt_dec(what, "deliveryTime", &i.delivery_time)?;
    Ok(InstrumentRules {
        symbol: i.symbol.clone(),
        category,
        kind,
        base_asset: i.base_coin.clone(),
        quote_asset: i.quote_coin.clone(),
        settle_asset: if i.settle_coin.is_empty() {
            match category {
                ProductCategory::Inverse => i.base_coin.clone(),
                _ => i.quote_coin.clone(),
            }
        } else {
            i.settle_coin.clone()
        },
        trading: i.status == "Trading",
        tick_size: dec(what, "tickSize", &i.price_filter.tick_size)?,
        tick_steps: Vec::new(),
        min_price: dec(what, "minPrice", &i.price_filter.min_price)?,
        max_price: dec(what, "maxPrice", &i.price_filter.max_price)?,
        step_size: dec(what, "qtyStep", &lot.qty_step)?,
        min_qty: dec(what, "minOrderQty", &lot.min_order_qty)?,
        max_qty,
        max_market_qty: opt_dec(what, "maxMktOrderQty", &lot.max_mkt_order_qty)?.unwrap_or(max_qty),
        min_notional: dec_or_zero(what, "minNotionalValue", &lot.min_notional_value)?,
        contract_size: match category {
            ProductCategory::Inverse => Some(Decimal::ONE),
            _ => None,
        },
        expiry_ms: delivery
            .filter(|d| !d.is_zero())
            .map(|d| i64::try_from(d).map_err(|_| malformed(what, "deliveryTime out of range")))
            .transpose()?,
        option: None,
        max_leverage: opt_dec(what, "maxLeverage", &i.leverage_filter.max_leverage)?,
    })
}

/// An open position, or `None` when its size is zero.
pub fn position(p: &PositionInfo) -> Result<Option<Position>> {
    let what = "a position";
    let size = dec(what, "size", &p.size)?;
    if size.is_zero() {
        return Ok(None);
    }
    let qty = if p.side == "Sell" { -size } else { size };
    Ok(Some(Position {
        symbol: p.symbol.clone(),
        position_side: position_side(what, p.position_idx)?,
        margin_mode: Some(margin_mode(p.trade_mode)),
        qty,
        entry_price: entry_price(what, p)?,
        mark_price: dec_or_zero(what, "markPrice", &p.mark_price)?,
        unrealized_pnl: dec_or_zero(what, "unrealisedPnl", &p.unrealised_pnl)?,
        leverage: opt_dec(what, "leverage", &p.leverage)?,
        liquidation_price: opt_dec(what, "liqPrice", &p.liq_price)?.filter(|d| !d.is_zero()),
        greeks: None,
    }))
}

/// The entry price under either of its names: `avgPrice` (REST) or `entryPrice` (stream).
fn entry_price(what: &str, p: &PositionInfo) -> Result<Decimal> {
    if p.avg_price.is_empty() {
        dec_or_zero(what, "entryPrice", &p.entry_price)
    } else {
        dec_or_zero(what, "avgPrice", &p.avg_price)
    }
}

/// A position as the private stream reports it (zero size: closed).
pub fn position_change(p: &PositionInfo) -> Result<PositionChange> {
    let what = "a position update";
    let size = dec(what, "size", &p.size)?;
    Ok(PositionChange {
        symbol: p.symbol.clone(),
        position_side: position_side(what, p.position_idx)?,
        margin_mode: Some(margin_mode(p.trade_mode)),
        qty: if p.side == "Sell" { -size } else { size },
        entry_price: entry_price(what, p)?,
        unrealized_pnl: dec_or_zero(what, "unrealisedPnl", &p.unrealised_pnl)?,
    })
}

/// `tradeMode`: 0 cross, 1 isolated.
fn margin_mode(trade_mode: i64) -> MarginMode {
    if trade_mode == 1 {
        MarginMode::Isolated
    } else {
        MarginMode::Cross
    }
}

/// The unified account's coins. `availableToWithdraw` is deprecated for unified accounts (sent
/// empty); then what new orders may use is the wallet balance less the margin held by orders
/// and positions and what is locked.
pub fn balances(w: &WalletList) -> Result<Vec<Balance>> {
    let what = "the wallet balance";
    let mut out = Vec::new();
    for wallet in &w.list {
        for c in &wallet.coin {
            let walletb = dec(what, "walletBalance", &c.wallet_balance)?;
            let available = match opt_dec(what, "availableToWithdraw", &c.available_to_withdraw)? {
                Some(a) => a,
                None => {
                    walletb
                        - dec_or_zero(what, "totalOrderIM", &c.total_order_im)?
                        - dec_or_zero(what, "totalPositionIM", &c.total_position_im)?
                        - dec_or_zero(what, "locked", &c.locked)?
                }
            };
            out.push(Balance {
                asset: c.coin.clone(),
                wallet: walletb,
                available,
                unrealized_pnl: dec_or_zero(what, "unrealisedPnl", &c.unrealised_pnl)?,
            });
        }
    }
    Ok(out)
}

pub fn balance_changes(w: &WalletList) -> Result<Vec<BalanceChange>> {
    let what = "a wallet update";
    let mut out = Vec::new();
    for wallet in &w.list {
        for c in &wallet.coin {
            out.push(BalanceChange {
                asset: c.coin.clone(),
                wallet: dec(what, "walletBalance", &c.wallet_balance)?,
            });
        }
    }
    Ok(out)
}

pub fn mark_price(t: &Ticker, time_ms: i64) -> Result<MarkPrice> {
    let what = "the ticker";
    let mark = t
        .mark_price
        .as_deref()
        .ok_or_else(|| malformed(what, "markPrice is missing"))?;
    let opt = |field: &str, v: &Option<String>| match v {
        Some(text) => opt_dec(what, field, text),
        None => Ok(None),
    };
    Ok(MarkPrice {
        symbol: t.symbol.clone(),
        mark: dec(what, "markPrice", mark)?,
        index: opt("indexPrice", &t.index_price)?,
        funding_rate: opt("fundingRate", &t.funding_rate)?,
        next_funding_ms: match t.next_funding_time.as_deref() {
            Some(text) if !text.is_empty() && text != "0" => {
                Some(ms(what, "nextFundingTime", text)?)
            }
            _ => None,
        },
        mark_iv: None,
        time_ms,
    })
}

pub fn levels(what: &str, side: &[[String; 2]]) -> Result<Vec<BookLevel>> {
    side.iter()
        .map(|[p, q]| {
            Ok(BookLevel {
                price: dec(what, "price", p)?,
                qty: dec(what, "size", q)?,
            })
        })
        .collect()
}

pub fn order_book(b: &Book, time_ms: i64) -> Result<OrderBook> {
    let what = "the order book";
    Ok(OrderBook {
        symbol: b.s.clone(),
        bids: levels(what, &b.b)?,
        asks: levels(what, &b.a)?,
        update_id: b.u,
        time_ms: b.ts.unwrap_or(time_ms),
    })
}

/// Candles oldest first (Bybit sends them newest first); all but the newest are closed.
pub fn candles(k: &Klines) -> Result<Vec<Candle>> {
    let what = "the candles";
    let mut out = k
        .list
        .iter()
        .map(|[start, open, high, low, close, volume, _turnover]| {
            Ok(Candle {
                open_time_ms: ms(what, "startTime", start)?,
                open: dec(what, "openPrice", open)?,
                high: dec(what, "highPrice", high)?,
                low: dec(what, "lowPrice", low)?,
                close: dec(what, "closePrice", close)?,
                volume: dec(what, "volume", volume)?,
                closed: true,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    out.sort_by_key(|c| c.open_time_ms);
    if let Some(last) = out.last_mut() {
        last.closed = false;
    }
    Ok(out)
}

pub fn fee_rates(f: &FeeRate) -> Result<FeeRates> {
    let what = "the fee rates";
    Ok(FeeRates {
        symbol: f.symbol.clone(),
        maker: dec(what, "makerFeeRate", &f.maker_fee_rate)?,
        taker: dec(what, "takerFeeRate", &f.taker_fee_rate)?,
    })
}

/// Bybit's kline `interval` for a neutral one ("Enums Definitions → interval").
pub fn interval_wire(interval: CandleInterval) -> &'static str {
    match interval {
        CandleInterval::M1 => "1",
        CandleInterval::M5 => "5",
        CandleInterval::M15 => "15",
        CandleInterval::H1 => "60",
        CandleInterval::H4 => "240",
        CandleInterval::D1 => "D",
    }
}

/// The API key's permissions ("Get API Key Information"): read-only when `readOnly` is 1,
/// trading when it may trade contracts, withdrawal when `permissions.Wallet` holds `Withdraw`,
/// transfers when it holds `AccountTransfer`; IP-restricted when `ips` lists addresses (Bybit
/// lists `*` for a key bound to none).
pub fn key_permissions(k: &ApiKeyInfo) -> Result<KeyPermissions> {
    let what = "the API key information";
    let read_only = match k.read_only {
        0 => false,
        1 => true,
        other => return Err(malformed(what, format_args!("readOnly is {other}"))),
    };
    let p = &k.permissions;
    let trades_contracts = p.contract_trade.iter().any(|x| x == "Order")
        || p.derivatives.iter().any(|x| x == "DerivativesTrade");
    Ok(KeyPermissions {
        can_read: true,
        can_trade: !read_only && trades_contracts,
        can_withdraw: p.wallet.iter().any(|x| x == "Withdraw"),
        can_transfer: p.wallet.iter().any(|x| x == "AccountTransfer"),
        ip_restricted: k.ips.iter().any(|ip| !ip.is_empty() && ip != "*"),
        created_ms: parse_utc_seconds(&k.created_at).map(|s| s * 1000),
    })
}

/// `YYYY-MM-DDTHH:MM:SSZ` as seconds since the Unix epoch (days from the civil calendar).
pub fn parse_utc_seconds(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// An execution of the `execution` topic ("WebSocket Stream → Private → Execution").
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Execution {
    pub symbol: String,
    #[serde(default)]
    pub exec_fee: String,
    pub exec_id: String,
    pub exec_price: String,
    pub exec_qty: String,
    /// `Trade` for a fill; `Funding`, `BustTrade`, `Settle`, … otherwise.
    #[serde(default)]
    pub exec_type: String,
    pub order_id: String,
    #[serde(default)]
    pub order_link_id: String,
    pub side: String,
    pub exec_time: String,
    #[serde(default)]
    pub is_maker: bool,
    #[serde(default)]
    pub exec_pnl: String,
    #[serde(default)]
    pub fee_currency: String,
}

/// A fill, or `None` for executions that are not trades (funding, settlement).
pub fn fill(e: &Execution) -> Result<Option<Fill>> {
    let what = "an execution";
    if e.exec_type != "Trade" {
        return Ok(None);
    }
    Ok(Some(Fill {
        symbol: e.symbol.clone(),
        venue_order_id: e.order_id.clone(),
        client_order_id: e.order_link_id.clone(),
        trade_id: e.exec_id.clone(),
        side: side(what, &e.side)?,
        qty: dec(what, "execQty", &e.exec_qty)?,
        price: dec(what, "execPrice", &e.exec_price)?,
        fee: dec_or_zero(what, "execFee", &e.exec_fee)?,
        fee_asset: (!e.fee_currency.is_empty()).then(|| e.fee_currency.clone()),
        maker: e.is_maker,
        realized_pnl: dec_or_zero(what, "execPnl", &e.exec_pnl)?,
        time_ms: ms(what, "execTime", &e.exec_time)?,
    }))
}

/// A trade of the `publicTrade.{symbol}` topic.
#[derive(Debug, Clone, Deserialize)]
pub struct WireTrade {
    #[serde(rename = "T")]
    pub time: i64,
    #[serde(rename = "S")]
    pub side: String,
    pub v: String,
    pub p: String,
}

pub fn public_trade(t: &WireTrade) -> Result<PublicTrade> {
    let what = "a public trade";
    Ok(PublicTrade {
        price: dec(what, "p", &t.p)?,
        qty: dec(what, "v", &t.v)?,
        taker_side: side(what, &t.side)?,
        time_ms: t.time,
    })
}

/// A candle of the `kline.{interval}.{symbol}` topic.
#[derive(Debug, Clone, Deserialize)]
pub struct WireKline {
    pub start: i64,
    pub open: String,
    pub close: String,
    pub high: String,
    pub low: String,
    pub volume: String,
    pub confirm: bool,
}

pub fn stream_candle(k: &WireKline) -> Result<Candle> {
    let what = "a candle update";
    Ok(Candle {
        open_time_ms: k.start,
        open: dec(what, "open", &k.open)?,
        high: dec(what, "high", &k.high)?,
        low: dec(what, "low", &k.low)?,
        close: dec(what, "close", &k.close)?,
        volume: dec(what, "volume", &k.volume)?,
        closed: k.confirm,
    })
}
