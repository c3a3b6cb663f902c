//! The documented JSON of each answer and stream event: the market payloads, an order as the
//! REST endpoints answer it, an account trade row, ORDER_TRADE_UPDATE and ACCOUNT_UPDATE.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::market_data::{Candle, DAY, MINUTE, fixed, id_number};
use super::matching::Execution;
use super::{AccountTrade, Exchange, Market, Order, Side};

impl Market {
    /// The `markPriceUpdate` stream payload.
    pub(super) fn mark_price_event(&self, now: i64) -> Value {
        json!({
            "e": "markPriceUpdate",
            "E": now,
            "s": self.symbol,
            "p": fixed(self.mark, 8),
            "i": fixed(self.index, 8),
            "P": fixed(self.mark, 8),
            "r": fixed(self.funding_rate, 8),
            "T": Market::next_funding_time(now),
        })
    }

    /// The `bookTicker` stream payload.
    pub(super) fn book_ticker_event(&self, now: i64) -> Value {
        let bid = self.level(true, 0);
        let ask = self.level(false, 0);
        json!({
            "e": "bookTicker",
            "u": self.update_id,
            "E": now,
            "T": now,
            "s": self.symbol,
            "b": self.px(bid.price),
            "B": self.qty(bid.size),
            "a": self.px(ask.price),
            "A": self.qty(ask.size),
        })
    }

    /// The `kline` stream payload for the current 1m candle.
    pub(super) fn kline_event(&self, now: i64) -> Option<Value> {
        let c = self.candles.last()?;
        let open_time = c.open_time;
        Some(json!({
            "e": "kline",
            "E": now,
            "s": self.symbol,
            "k": {
                "t": open_time,
                "T": open_time + MINUTE - 1,
                "s": self.symbol,
                "i": "1m",
                "f": 0,
                "L": 0,
                "o": self.px(c.open),
                "c": self.px(c.close),
                "h": self.px(c.high),
                "l": self.px(c.low),
                "v": self.qty(c.volume),
                "n": c.trades,
                "x": false,
                "q": fixed(c.quote_volume, 8),
                "V": self.qty(c.taker_base),
                "Q": fixed(c.taker_quote, 8),
                "B": "0"
            }
        }))
    }

    /// The `24hrTicker` payload of `<symbol>@ticker` ("24hr rolling window ticker statistics
    /// for a single symbol"), from the 1m candles of the last 24 hours: the window opens at the
    /// start of the oldest of the 1440 minutes up to `now` (`O`) and closes now (`C`); `o`, `h`,
    /// `l`, `v`, `q` and `n` are the candles' open, high, low, volumes and trade count, `c` the
    /// last price, `Q` the last trade's quantity, `w` = `q` / `v` (the last price when nothing
    /// traded), `p` = `c` - `o` and `P` = `p` / `o` in percent (3 decimals). The candles count
    /// the price process's volume, which carries no trade ids: `F` and `L` are the ids of the
    /// first and last execution in the window (the ids `aggTrade` and the user stream report),
    /// -1 when there was none. Call [`Market::current_candle`] first so the window is current.
    pub(super) fn ticker_event(&self, now: i64) -> Value {
        let minute = now - now.rem_euclid(MINUTE);
        let start = minute - (DAY - MINUTE);
        let window: Vec<&Candle> = self
            .candles
            .iter()
            .filter(|c| c.open_time >= start)
            .collect();
        let open = window.first().map_or(self.last, |c| c.open);
        let open_time = window.first().map_or(minute, |c| c.open_time);
        let high = window.iter().map(|c| c.high).max().unwrap_or(self.last);
        let low = window.iter().map(|c| c.low).min().unwrap_or(self.last);
        let volume: Decimal = window.iter().map(|c| c.volume).sum();
        let quote: Decimal = window.iter().map(|c| c.quote_volume).sum();
        let trades: u64 = window.iter().map(|c| c.trades).sum();
        let close = self.last;
        let change = close - open;
        let percent = if open.is_zero() {
            Decimal::ZERO
        } else {
            (change / open * Decimal::ONE_HUNDRED).round_dp(3)
        };
        let weighted = if volume.is_zero() {
            close
        } else {
            (quote / volume).round_dp(self.rules.tick.scale())
        };
        // Oldest first: the first in the window, and the newest when it is in the window.
        let in_window = |(t, id): &(i64, u64)| (*t >= open_time).then(|| id_number(*id));
        let first_id = self.trade_ids.iter().find_map(in_window).unwrap_or(-1);
        let last_id = self.trade_ids.back().and_then(in_window).unwrap_or(-1);
        json!({
            "e": "24hrTicker",
            "E": now,
            "s": self.symbol,
            "p": self.px(change),
            "P": fixed(percent, 3),
            "w": self.px(weighted),
            "c": self.px(close),
            "Q": self.qty(self.last_qty),
            "o": self.px(open),
            "h": self.px(high),
            "l": self.px(low),
            "v": self.qty(volume),
            "q": fixed(quote, 8),
            "O": open_time,
            "C": now,
            "F": first_id,
            "L": last_id,
            "n": trades,
        })
    }

    /// `GET /fapi/v1/premiumIndex` for this symbol.
    pub(in crate::binance_usdm) fn premium_index(&self, now: i64) -> Value {
        json!({
            "symbol": self.symbol,
            "markPrice": fixed(self.mark, 8),
            "indexPrice": fixed(self.index, 8),
            "estimatedSettlePrice": fixed(self.mark, 8),
            "lastFundingRate": fixed(self.funding_rate, 8),
            "interestRate": "0.00010000",
            "nextFundingTime": Market::next_funding_time(now),
            "time": now,
        })
    }

    /// `GET /fapi/v1/depth` with `limit` levels each side.
    pub(in crate::binance_usdm) fn depth(&self, limit: usize, now: i64) -> Value {
        let side = |buy: bool| -> Vec<Value> {
            (0..limit)
                .map(|i| self.level(buy, i))
                .filter(|l| l.price > Decimal::ZERO)
                .map(|l| json!([self.px(l.price), self.qty(l.size)]))
                .collect()
        };
        json!({
            "lastUpdateId": self.update_id,
            "E": now,
            "T": now,
            "bids": side(true),
            "asks": side(false),
        })
    }

    /// `GET /fapi/v1/klines`: candles of `interval_ms`, aggregated from the 1m history.
    pub(in crate::binance_usdm) fn klines(
        &self,
        interval_ms: i64,
        start: Option<i64>,
        end: Option<i64>,
        limit: usize,
    ) -> Value {
        let mut out: Vec<Candle> = Vec::new();
        for c in &self.candles {
            let bucket = c.open_time - c.open_time.rem_euclid(interval_ms);
            match out.last_mut() {
                Some(agg) if agg.open_time == bucket => {
                    agg.high = agg.high.max(c.high);
                    agg.low = agg.low.min(c.low);
                    agg.close = c.close;
                    agg.volume += c.volume;
                    agg.quote_volume += c.quote_volume;
                    agg.trades += c.trades;
                    agg.taker_base += c.taker_base;
                    agg.taker_quote += c.taker_quote;
                }
                _ => {
                    let mut agg = c.clone();
                    agg.open_time = bucket;
                    out.push(agg);
                }
            }
        }
        let in_range = out.into_iter().filter(|c| {
            start.is_none_or(|s| c.open_time >= s) && end.is_none_or(|e| c.open_time <= e)
        });
        let chosen: Vec<Candle> = if start.is_some() {
            in_range.take(limit).collect()
        } else {
            let all: Vec<Candle> = in_range.collect();
            let skip = all.len().saturating_sub(limit);
            all.into_iter().skip(skip).collect()
        };
        Value::Array(
            chosen
                .iter()
                .map(|c| {
                    json!([
                        c.open_time,
                        self.px(c.open),
                        self.px(c.high),
                        self.px(c.low),
                        self.px(c.close),
                        self.qty(c.volume),
                        c.open_time + interval_ms - 1,
                        fixed(c.quote_volume, 8),
                        c.trades,
                        self.qty(c.taker_base),
                        fixed(c.taker_quote, 8),
                        "0"
                    ])
                })
                .collect(),
        )
    }
}

impl AccountTrade {
    /// The documented row: commission is 0 in USDT (the simulator charges no fees, as its
    /// ORDER_TRADE_UPDATE events say with `"n": "0"`).
    pub(in crate::binance_usdm) fn to_json(&self) -> Value {
        json!({
            "buyer": self.side == Side::Buy,
            "commission": "0",
            "commissionAsset": "USDT",
            "id": self.id,
            "maker": self.maker,
            "orderId": self.order_id,
            "price": self.price.normalize().to_string(),
            "qty": self.qty.normalize().to_string(),
            "quoteQty": (self.price * self.qty).normalize().to_string(),
            "realizedPnl": self.realized_pnl.round_dp(8).normalize().to_string(),
            "side": self.side.as_str(),
            "positionSide": "BOTH",
            "symbol": self.symbol,
            "time": self.time,
        })
    }
}

impl Order {
    /// The order as `GET /fapi/v1/order` and `POST /fapi/v1/order` answer it.
    pub(in crate::binance_usdm) fn to_json(&self) -> Value {
        let avg = if self.executed.is_zero() {
            "0.00000".to_owned()
        } else {
            self.avg_price().to_string()
        };
        json!({
            "orderId": self.order_id,
            "symbol": self.symbol,
            "status": self.status,
            "clientOrderId": self.client_id,
            "price": self.price.to_string(),
            "avgPrice": avg,
            "origQty": self.qty.to_string(),
            "executedQty": self.executed.to_string(),
            "cumQty": self.executed.to_string(),
            "cumQuote": self.cum_quote.normalize().to_string(),
            "timeInForce": self.time_in_force,
            "type": self.order_type,
            "reduceOnly": self.reduce_only,
            "closePosition": self.close_position,
            "side": self.side.as_str(),
            "positionSide": "BOTH",
            "stopPrice": self.stop_price.to_string(),
            "workingType": self.working_type,
            "priceProtect": self.price_protect,
            "origType": self.order_type,
            "priceMatch": "NONE",
            "selfTradePreventionMode": "EXPIRE_MAKER",
            "goodTillDate": self.good_till_date,
            "time": self.time,
            "updateTime": self.update_time,
        })
    }
}

impl Exchange {
    /// The documented ORDER_TRADE_UPDATE event for `key` with execution type `x`.
    pub(super) fn order_event(
        &self,
        id: u64,
        x: &str,
        exec: Option<&Execution>,
        now: i64,
    ) -> Option<Value> {
        let o = self.orders.get(id)?;
        let shown_type = o.order_type.as_str();
        let (last_qty, last_price, maker, realized, trade_id) = match exec {
            Some(e) => (e.qty, e.price, e.maker, e.realized, e.trade_id),
            None => (Decimal::ZERO, Decimal::ZERO, false, Decimal::ZERO, 0),
        };
        Some(json!({
            "e": "ORDER_TRADE_UPDATE",
            "E": now,
            "T": now,
            "o": {
                "s": o.symbol,
                "c": o.client_id,
                "S": o.side.as_str(),
                "o": shown_type,
                "f": o.time_in_force,
                "q": o.qty.to_string(),
                "p": o.price.to_string(),
                "ap": o.avg_price().to_string(),
                "sp": o.stop_price.to_string(),
                "x": x,
                "X": o.status,
                "i": o.order_id,
                "l": last_qty.to_string(),
                "z": o.executed.to_string(),
                "L": last_price.to_string(),
                "N": "USDT",
                "n": "0",
                "T": now,
                "t": trade_id,
                "b": "0",
                "a": "0",
                "m": maker,
                "R": o.reduce_only,
                "wt": o.working_type,
                "ot": o.order_type,
                "ps": "BOTH",
                "cp": o.close_position,
                "rp": realized.to_string(),
                "pP": o.price_protect,
                "si": 0,
                "ss": 0,
                "V": "EXPIRE_MAKER",
                "pm": "NONE",
                "gtd": o.good_till_date
            }
        }))
    }

    /// The documented ACCOUNT_UPDATE event (reason ORDER) for one changed position.
    pub(super) fn account_update(&self, api_key: &str, symbol: &str, now: i64) -> Option<Value> {
        let account = self.accounts.get(api_key)?;
        let pos = account.position(symbol);
        let mark = self.market(symbol)?.mark;
        Some(json!({
            "e": "ACCOUNT_UPDATE",
            "E": now,
            "T": now,
            "a": {
                "m": "ORDER",
                "B": [{
                    "a": "USDT",
                    "wb": account.wallet.to_string(),
                    "cw": account.wallet.to_string(),
                    "bc": "0"
                }],
                "P": [{
                    "s": symbol,
                    "pa": pos.amt.to_string(),
                    "ep": pos.entry.to_string(),
                    "bep": pos.entry.to_string(),
                    "cr": pos.realized.to_string(),
                    "up": (pos.amt * (mark - pos.entry)).round_dp(8).to_string(),
                    "mt": "cross",
                    "iw": "0",
                    "ps": "BOTH"
                }]
            }
        }))
    }
}
