//! Deribit's wire shapes ([`super::models`]) to Rampart's core types. Sizes become contracts
//! (see [`super::rules`]): Deribit's `amount` is USD for inverse futures and the coin for
//! options, so it is divided by the instrument's contract size, from [`ContractSizes`].

use std::collections::HashMap;

use rampart_core::feed::{BalanceChange, Candle, Fill, PositionChange, PublicTrade};
use rampart_core::options::OptionQuote;
use rampart_core::trading::Greeks;
use rampart_core::{OrderType, Side};
use rust_decimal::Decimal;

use super::error::malformed;
use super::json::{Num, opt_dec};
use super::models;
use crate::venue::{
    Balance, BookLevel, Error, MarkPrice, OrderBook, OrderState, OrderStatus, Position,
    PositionSide,
};

type Result<T> = std::result::Result<T, Error>;

/// Contract sizes by instrument, from `public/get_instruments`; for an instrument not (yet)
/// listed, the documented ones: 10 USD for BTC futures, 1 USD for ETH futures, 1 coin for an
/// option.
#[derive(Debug, Clone, Default)]
pub struct ContractSizes(pub HashMap<String, Decimal>);

impl ContractSizes {
    pub fn of(&self, symbol: &str) -> Result<Decimal> {
        if let Some(s) = self.0.get(symbol) {
            return Ok(*s);
        }
        let option = symbol.ends_with("-C") || symbol.ends_with("-P");
        match (symbol.split('-').next(), option) {
            (_, true) => Ok(Decimal::ONE),
            (Some("BTC"), false) => Ok(Decimal::TEN),
            (Some("ETH"), false) => Ok(Decimal::ONE),
            _ => Err(malformed(format_args!(
                "no contract size known for {symbol}"
            ))),
        }
    }

    /// `amount` of `symbol` in contracts.
    pub fn contracts(&self, symbol: &str, amount: Decimal) -> Result<Decimal> {
        Ok((amount / self.of(symbol)?).normalize())
    }
}

pub fn side(text: &str) -> Result<Side> {
    match text {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        other => Err(malformed(format_args!("direction {other:?}"))),
    }
}

pub fn side_text(side: Side) -> &'static str {
    match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

/// Deribit's `order_state` ("open", "filled", "rejected", "cancelled", "untriggered"), with
/// what has been filled.
pub fn order_status(state: &str, filled: Decimal) -> Result<OrderStatus> {
    Ok(match state {
        "open" if filled > Decimal::ZERO => OrderStatus::PartiallyFilled,
        "open" | "untriggered" => OrderStatus::Open,
        "filled" => OrderStatus::Filled,
        "cancelled" => OrderStatus::Cancelled,
        "rejected" => OrderStatus::Rejected,
        other => return Err(malformed(format_args!("order_state {other:?}"))),
    })
}

/// Deribit's `order_type`, `None` for one Rampart does not place (`market_limit`, trailing).
pub fn order_type(text: &str) -> Option<OrderType> {
    Some(match text {
        "limit" => OrderType::Limit,
        "market" => OrderType::Market,
        "stop_limit" => OrderType::StopLimit,
        "stop_market" => OrderType::StopMarket,
        "take_limit" => OrderType::TakeProfitLimit,
        "take_market" => OrderType::TakeProfitMarket,
        _ => return None,
    })
}

/// Deribit's `type` for Rampart's order type.
pub fn order_type_text(t: OrderType) -> &'static str {
    match t {
        OrderType::Limit => "limit",
        OrderType::Market => "market",
        OrderType::StopLimit => "stop_limit",
        OrderType::StopMarket => "stop_market",
        OrderType::TakeProfitLimit => "take_limit",
        OrderType::TakeProfitMarket => "take_market",
    }
}

/// A price that is a number, `None` for "market_price" (an untriggered market order) or 0
/// (Deribit's "no average yet").
fn price_or_none(field: &str, n: &Option<Num>) -> Result<Option<Decimal>> {
    match n {
        Some(Num(t)) if t == "market_price" => Ok(None),
        Some(n) => {
            let d = n.dec(field)?;
            Ok((!d.is_zero()).then_some(d))
        }
        None => Ok(None),
    }
}

/// An order as Rampart keeps it; the label is its client order id.
pub fn order(o: &models::Order, sizes: &ContractSizes) -> Result<OrderState> {
    let sym = &o.instrument_name;
    let qty = match &o.contracts {
        Some(c) => c.dec("contracts")?,
        None => sizes.contracts(sym, o.amount.dec("amount")?)?,
    };
    let filled = match &o.filled_amount {
        Some(f) => sizes.contracts(sym, f.dec("filled_amount")?)?,
        None => Decimal::ZERO,
    };
    let kind = order_type(&o.order_type);
    let mut status = order_status(&o.order_state, filled)?;
    // Cancelled by Deribit rather than by a request: what was left of an IOC or FOK order, a
    // post-only order an edit would have made take.
    if status == OrderStatus::Cancelled
        && (matches!(
            o.time_in_force.as_str(),
            "immediate_or_cancel" | "fill_or_kill"
        ) || o.cancel_reason.as_deref() == Some("edit_post_only_reject"))
    {
        status = OrderStatus::Expired;
    }
    Ok(OrderState {
        symbol: sym.clone(),
        venue_order_id: o.order_id.clone(),
        client_order_id: o.label.clone(),
        side: side(&o.direction)?,
        order_type: kind,
        status,
        qty,
        filled_qty: filled,
        price: if kind.is_some_and(|k| !k.has_limit_price()) {
            None
        } else {
            price_or_none("price", &o.price)?
        },
        trigger_price: opt_dec("trigger_price", &o.trigger_price)?,
        avg_fill_price: price_or_none("average_price", &o.average_price)?,
        reduce_only: o.reduce_only,
        position_side: PositionSide::Net,
        updated_ms: o.last_update_timestamp.int("last_update_timestamp")?,
    })
}

/// One of the account's trades as a fill.
pub fn fill(t: &models::UserTrade, sizes: &ContractSizes) -> Result<Fill> {
    let qty = match &t.contracts {
        Some(c) => c.dec("contracts")?,
        None => sizes.contracts(&t.instrument_name, t.amount.dec("amount")?)?,
    };
    Ok(Fill {
        symbol: t.instrument_name.clone(),
        venue_order_id: t.order_id.clone(),
        client_order_id: t.label.clone(),
        trade_id: t.trade_id.clone(),
        side: side(&t.direction)?,
        qty,
        price: t.price.dec("price")?,
        fee: opt_dec("fee", &t.fee)?.unwrap_or_default(),
        fee_asset: t.fee_currency.clone(),
        maker: t.liquidity == "M",
        realized_pnl: opt_dec("profit_loss", &t.profit_loss)?.unwrap_or_default(),
        time_ms: t.timestamp.int("timestamp")?,
    })
}

/// A position (its signed `size` in contracts); greeks for an option.
pub fn position(p: &models::Position, sizes: &ContractSizes) -> Result<Position> {
    let sym = &p.instrument_name;
    let size = p.size.dec("size")?;
    let greeks = match (&p.delta, &p.gamma, &p.vega, &p.theta) {
        (Some(d), Some(g), Some(v), Some(t)) if p.kind == "option" => Some(Greeks {
            delta: d.dec("delta")?,
            gamma: g.dec("gamma")?,
            vega: v.dec("vega")?,
            theta: t.dec("theta")?,
        }),
        _ => None,
    };
    Ok(Position {
        symbol: sym.clone(),
        position_side: PositionSide::Net,
        margin_mode: None,
        qty: sizes.contracts(sym, size)?,
        entry_price: opt_dec("average_price", &p.average_price)?.unwrap_or_default(),
        mark_price: opt_dec("mark_price", &p.mark_price)?.unwrap_or_default(),
        unrealized_pnl: opt_dec("floating_profit_loss", &p.floating_profit_loss)?
            .unwrap_or_default(),
        // Deribit: "Current available leverage for future position"; an option has none.
        leverage: if p.kind == "option" {
            None
        } else {
            opt_dec("leverage", &p.leverage)?
        },
        liquidation_price: opt_dec(
            "estimated_liquidation_price",
            &p.estimated_liquidation_price,
        )?
        .filter(|d| *d > Decimal::ZERO),
        greeks,
    })
}

pub fn position_change(p: &models::Position, sizes: &ContractSizes) -> Result<PositionChange> {
    let full = position(p, sizes)?;
    Ok(PositionChange {
        symbol: full.symbol,
        position_side: full.position_side,
        margin_mode: full.margin_mode,
        qty: full.qty,
        entry_price: full.entry_price,
        unrealized_pnl: full.unrealized_pnl,
    })
}

/// One currency's account summary as a balance: `balance` in the wallet, `available_funds` for
/// new orders, `session_upl` unrealized.
pub fn balance(s: &models::AccountSummary) -> Result<Balance> {
    Ok(Balance {
        asset: s.currency.to_ascii_uppercase(),
        wallet: s.balance.dec("balance")?,
        available: s.available_funds.dec("available_funds")?,
        unrealized_pnl: opt_dec("session_upl", &s.session_upl)?.unwrap_or_default(),
    })
}

pub fn balance_change(s: &models::AccountSummary) -> Result<BalanceChange> {
    Ok(BalanceChange {
        asset: s.currency.to_ascii_uppercase(),
        wallet: s.balance.dec("balance")?,
    })
}

/// A ticker's mark: the perpetual's `current_funding`, an option's `mark_iv`.
pub fn mark(t: &models::Ticker) -> Result<MarkPrice> {
    Ok(MarkPrice {
        symbol: t.instrument_name.clone(),
        mark: t.mark_price.dec("mark_price")?,
        index: opt_dec("index_price", &t.index_price)?,
        funding_rate: opt_dec("current_funding", &t.current_funding)?,
        next_funding_ms: None,
        mark_iv: opt_dec("mark_iv", &t.mark_iv)?,
        time_ms: t.timestamp.int("timestamp")?,
    })
}

/// A book summary row as an option's quote: open interest and volume (coins for options) in
/// contracts.
pub fn option_quote(s: &models::BookSummary, sizes: &ContractSizes) -> Result<OptionQuote> {
    let contract = sizes.of(&s.instrument_name)?;
    let contracts = |field: &str, n: &Option<Num>| -> Result<Option<Decimal>> {
        Ok(opt_dec(field, n)?.map(|v| (v / contract).normalize()))
    };
    Ok(OptionQuote {
        symbol: s.instrument_name.clone(),
        bid: opt_dec("bid_price", &s.bid_price)?,
        ask: opt_dec("ask_price", &s.ask_price)?,
        mark: opt_dec("mark_price", &s.mark_price)?,
        mark_iv: opt_dec("mark_iv", &s.mark_iv)?,
        underlying_price: opt_dec("underlying_price", &s.underlying_price)?,
        open_interest: contracts("open_interest", &s.open_interest)?,
        volume: contracts("volume", &s.volume)?,
    })
}

/// An option ticker's greeks.
pub fn ticker_greeks(t: &models::Ticker) -> Result<Option<Greeks>> {
    t.greeks
        .as_ref()
        .map(|g| {
            Ok(Greeks {
                delta: g.delta.dec("delta")?,
                gamma: g.gamma.dec("gamma")?,
                vega: g.vega.dec("vega")?,
                theta: g.theta.dec("theta")?,
            })
        })
        .transpose()
}

fn levels(symbol: &str, rows: &[(Num, Num)], sizes: &ContractSizes) -> Result<Vec<BookLevel>> {
    rows.iter()
        .map(|(p, a)| {
            Ok(BookLevel {
                price: p.dec("book price")?,
                qty: sizes.contracts(symbol, a.dec("book amount")?)?,
            })
        })
        .collect()
}

pub fn book(b: &models::OrderBook, sizes: &ContractSizes) -> Result<OrderBook> {
    let sym = &b.instrument_name;
    Ok(OrderBook {
        symbol: sym.clone(),
        bids: levels(sym, &b.bids, sizes)?,
        asks: levels(sym, &b.asks, sizes)?,
        update_id: match &b.change_id {
            Some(c) => u64::try_from(c.int("change_id")?).unwrap_or_default(),
            None => 0,
        },
        time_ms: b.timestamp.int("timestamp")?,
    })
}

pub fn public_trade(t: &models::PublicTrade) -> Result<PublicTrade> {
    Ok(PublicTrade {
        price: t.price.dec("price")?,
        qty: match &t.contracts {
            Some(c) => c.dec("contracts")?,
            None => t.amount.dec("amount")?,
        },
        taker_side: side(&t.direction)?,
        time_ms: t.timestamp.int("timestamp")?,
    })
}

/// The chart's columns as candles, oldest first; the last one (the current bar) is not closed.
pub fn candles(c: &models::ChartData) -> Result<Vec<Candle>> {
    let n = c.ticks.len();
    if [
        c.open.len(),
        c.high.len(),
        c.low.len(),
        c.close.len(),
        c.volume.len(),
    ]
    .iter()
    .any(|l| *l != n)
    {
        return Err(malformed("chart columns of different lengths"));
    }
    (0..n)
        .map(|i| {
            Ok(Candle {
                open_time_ms: c.ticks[i].int("ticks")?,
                open: c.open[i].dec("open")?,
                high: c.high[i].dec("high")?,
                low: c.low[i].dec("low")?,
                close: c.close[i].dec("close")?,
                volume: c.volume[i].dec("volume")?,
                closed: i + 1 < n,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deribit::json::parse;

    fn sizes() -> ContractSizes {
        ContractSizes::default()
    }

    #[test]
    fn a_book_summary_row_is_an_option_quote_with_exact_numbers_and_empty_sides() {
        // The fields of public/get_book_summary_by_currency for an option whose book has no bid.
        let rows: Vec<models::BookSummary> = parse(r#"[{"volume":3.4,"underlying_price":60123.45,"underlying_index":"BTC-27MAR27","quote_currency":"BTC","price_change":null,"open_interest":12.5,"mid_price":null,"mark_price":0.0815,"mark_iv":52.31,"low":0.08,"last":0.0825,"interest_rate":0.0,"instrument_name":"BTC-27MAR27-60000-C","high":0.083,"estimated_delivery_price":60010.2,"creation_timestamp":1798000000000,"bid_price":null,"base_currency":"BTC","ask_price":0.0835}]"#).unwrap();
        let q = option_quote(&rows[0], &sizes()).unwrap();
        assert_eq!(q.symbol, "BTC-27MAR27-60000-C");
        assert_eq!(q.bid, None, "no bids");
        assert_eq!(q.ask, Some(Decimal::new(835, 4)));
        assert_eq!(q.mark, Some(Decimal::new(815, 4)));
        assert_eq!(q.mark_iv, Some(Decimal::new(5231, 2)));
        assert_eq!(q.underlying_price, Some(Decimal::new(6_012_345, 2)));
        assert_eq!(
            q.open_interest,
            Some(Decimal::new(125, 1)),
            "coins are contracts of 1"
        );
        assert_eq!(q.volume, Some(Decimal::new(34, 1)));
    }

    #[test]
    fn a_buy_result_gives_the_order_and_its_fill_in_contracts() {
        // The shape of private/buy's example answer (a 40 USD market buy of the perpetual).
        let r: models::OrderResult = parse(r#"{"trades":[{"trade_seq":1966056,"trade_id":"ETH-2696083","timestamp":1590483938456,"tick_direction":0,"state":"filled","reduce_only":false,"price":8000.0,"post_only":false,"order_type":"market","order_id":"ETH-584849853","matching_id":null,"mark_price":7999.1,"liquidity":"T","label":"rmpA1","instrument_name":"BTC-PERPETUAL","index_price":8000.2,"fee_currency":"BTC","fee":1.6e-7,"direction":"buy","amount":40.0}],"order":{"web":false,"time_in_force":"good_til_cancelled","replaced":false,"reduce_only":false,"price":8000.5,"post_only":false,"order_type":"market","order_state":"filled","order_id":"ETH-584849853","max_show":40.0,"last_update_timestamp":1590483938456,"label":"rmpA1","is_liquidation":false,"instrument_name":"BTC-PERPETUAL","filled_amount":40.0,"direction":"buy","creation_timestamp":1590483938456,"commission":1.6e-7,"average_price":8000.0,"api":true,"amount":40.0}}"#).unwrap();
        let o = order(&r.order, &sizes()).unwrap();
        assert_eq!(o.client_order_id, "rmpA1");
        assert_eq!(o.status, OrderStatus::Filled);
        assert_eq!(o.qty, Decimal::from(4), "40 USD is 4 contracts of 10 USD");
        assert_eq!(o.filled_qty, Decimal::from(4));
        assert_eq!(o.price, None, "a market order has no limit price");
        assert_eq!(o.avg_fill_price, Some(Decimal::from(8000)));
        let f = fill(&r.trades[0], &sizes()).unwrap();
        assert_eq!(f.qty, Decimal::from(4));
        assert_eq!(f.fee, Decimal::new(16, 8));
        assert!(!f.maker);
    }

    #[test]
    fn open_orders_with_fills_are_partly_filled_and_untriggered_ones_open() {
        let row = |state: &str, filled: &str| {
            parse::<models::Order>(&format!(r#"{{"order_id":"1","instrument_name":"ETH-PERPETUAL","order_state":"{state}","direction":"sell","order_type":"stop_market","label":"x","amount":5,"filled_amount":{filled},"price":"market_price","trigger_price":1900.5,"last_update_timestamp":7}}"#)).unwrap()
        };
        let o = order(&row("untriggered", "0"), &sizes()).unwrap();
        assert_eq!(o.status, OrderStatus::Open);
        assert_eq!(o.price, None);
        assert_eq!(o.trigger_price, Some(Decimal::new(19005, 1)));
        assert_eq!(o.qty, Decimal::from(5), "ETH futures: 1 USD a contract");
        let o = order(&row("open", "2"), &sizes()).unwrap();
        assert_eq!(o.status, OrderStatus::PartiallyFilled);
        assert!(order(&row("archived", "0"), &sizes()).is_err());
    }

    #[test]
    fn an_option_position_carries_its_greeks() {
        let p: models::Position = parse(r#"{"vega":5.8,"theta":-12.2,"total_profit_loss":0.001,"size_currency":-0.2,"size":-0.2,"settlement_price":0.0412,"realized_profit_loss":0,"open_orders_margin":0,"mark_price":0.0412,"maintenance_margin":0.02,"kind":"option","leverage":1,"instrument_name":"BTC-25DEC26-100000-C","initial_margin":0.03,"index_price":90000,"gamma":0.00001,"floating_profit_loss":-0.0006,"direction":"sell","delta":-0.0712,"average_price":0.0382}"#).unwrap();
        let pos = position(&p, &sizes()).unwrap();
        assert_eq!(pos.qty, Decimal::new(-2, 1));
        let g = pos.greeks.unwrap();
        assert_eq!(g.delta, Decimal::new(-712, 4));
        assert_eq!(g.gamma, Decimal::new(1, 5));
        assert_eq!(pos.liquidation_price, None);
        assert_eq!(pos.leverage, None, "an option carries no leverage");
    }

    #[test]
    fn a_future_position_is_counted_in_contracts() {
        let p: models::Position = parse(r#"{"size":-1500,"kind":"future","instrument_name":"BTC-PERPETUAL","direction":"sell","average_price":30000.5,"mark_price":30010,"floating_profit_loss":-0.0000158,"leverage":50,"estimated_liquidation_price":55000.5,"delta":-0.05}"#).unwrap();
        let pos = position(&p, &sizes()).unwrap();
        assert_eq!(pos.qty, Decimal::from(-150));
        assert!(pos.greeks.is_none());
        assert_eq!(pos.liquidation_price, Some(Decimal::new(550005, 1)));
    }

    #[test]
    fn a_ticker_gives_mark_iv_funding_and_greeks() {
        let t: models::Ticker = parse(r#"{"underlying_price":90000,"underlying_index":"index_price","timestamp":1700000000000,"stats":{"volume":1,"low":0.03,"high":0.05},"state":"open","settlement_price":0.04,"open_interest":10,"min_price":0.001,"max_price":0.2,"mark_price":0.0412,"mark_iv":52.71,"last_price":0.041,"interest_rate":0,"instrument_name":"BTC-25DEC26-100000-C","index_price":90010.5,"greeks":{"vega":50.1,"theta":-60.2,"rho":10.1,"gamma":0.00002,"delta":0.3312},"estimated_delivery_price":90010.5,"bid_iv":50,"best_bid_price":0.04,"best_bid_amount":1,"best_ask_price":0.042,"best_ask_amount":2,"ask_iv":55}"#).unwrap();
        let m = mark(&t).unwrap();
        assert_eq!(m.mark_iv, Some(Decimal::new(5271, 2)));
        assert_eq!(m.index, Some(Decimal::new(900105, 1)));
        assert_eq!(
            ticker_greeks(&t).unwrap().unwrap().delta,
            Decimal::new(3312, 4)
        );
    }

    #[test]
    fn chart_columns_become_candles_and_ragged_ones_are_refused() {
        let c: models::ChartData = parse(r#"{"volume":[19.0,20.5],"ticks":[1554373800000,1554375600000],"status":"ok","open":[4963.42,4986.29],"low":[4963.42,4983.04],"high":[4963.42,4986.29],"cost":[0,0],"close":[4963.42,4986.29]}"#).unwrap();
        let v = candles(&c).unwrap();
        assert_eq!(v.len(), 2);
        assert!(v[0].closed && !v[1].closed);
        assert_eq!(v[1].close, Decimal::new(498629, 2));
        let bad: models::ChartData = parse(
            r#"{"volume":[1],"ticks":[1,2],"open":[1,2],"low":[1,2],"high":[1,2],"close":[1,2]}"#,
        )
        .unwrap();
        assert!(candles(&bad).is_err());
    }

    #[test]
    fn what_deribit_cancels_of_an_ioc_order_has_expired() {
        let row = |tif: &str| {
            parse::<models::Order>(&format!(r#"{{"order_id":"1","instrument_name":"BTC-PERPETUAL","order_state":"cancelled","direction":"buy","order_type":"limit","label":"a","amount":30,"filled_amount":10,"price":30000,"time_in_force":"{tif}","cancel_reason":"user_request","last_update_timestamp":1}}"#)).unwrap()
        };
        assert_eq!(
            order(&row("immediate_or_cancel"), &sizes()).unwrap().status,
            OrderStatus::Expired
        );
        assert_eq!(
            order(&row("good_til_cancelled"), &sizes()).unwrap().status,
            OrderStatus::Cancelled
        );
    }

    #[test]
    fn a_null_or_missing_label_reads_as_none() {
        let o: models::Order = parse(r#"{"order_id":"1","instrument_name":"BTC-PERPETUAL","order_state":"open","direction":"buy","order_type":"limit","label":null,"amount":10,"price":30000,"last_update_timestamp":1,"time_in_force":null}"#).unwrap();
        assert_eq!(order(&o, &sizes()).unwrap().client_order_id, "");
    }

    #[test]
    fn unknown_contract_sizes_are_an_error_not_a_guess() {
        assert!(sizes().of("SOL_USDC-PERPETUAL").is_err());
        let mut s = sizes();
        s.0.insert("SOL_USDC-PERPETUAL".into(), Decimal::new(1, 1));
        assert_eq!(
            s.contracts("SOL_USDC-PERPETUAL", Decimal::from(3)).unwrap(),
            Decimal::from(30)
        );
    }
}
