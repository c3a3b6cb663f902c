//! OKX's wire shapes ([`super::models`]) into Rampart's venue-neutral types. Every amount is
//! parsed from OKX's strings into `Decimal`; a field that is missing or not a number gives a
//! Malformed error naming it, never a guess and never a partial result.

use rust_decimal::Decimal;

use super::error::malformed;
use super::models;
use crate::venue::{
    Balance, BookLevel, Candle, Error, FeeRates, MarginMode, OrderBook, OrderState, OrderStatus,
    Position, PositionSide,
};
use rampart_core::feed::{BalanceChange, Fill, PositionChange, PublicTrade};
use rampart_core::{OrderType, Side};

type Result<T> = std::result::Result<T, Error>;

/// A required decimal.
pub fn dec(field: &str, text: &str) -> Result<Decimal> {
    text.trim()
        .parse::<Decimal>()
        .map_err(|_| malformed(format_args!("{field} is {text:?}, not a number")))
}

/// An optional decimal: OKX sends `""` for "not set".
pub fn opt_dec(field: &str, text: &str) -> Result<Option<Decimal>> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        dec(field, text).map(Some)
    }
}

/// A decimal that is zero when not set.
pub fn dec_or_zero(field: &str, text: &str) -> Result<Decimal> {
    opt_dec(field, text).map(Option::unwrap_or_default)
}

/// Milliseconds since the epoch, as OKX sends them (a string).
pub fn ms(field: &str, text: &str) -> Result<i64> {
    text.trim()
        .parse::<i64>()
        .map_err(|_| malformed(format_args!("{field} is {text:?}, not a time in ms")))
}

/// Optional milliseconds (`""` is none, so 0).
pub fn ms_or_zero(field: &str, text: &str) -> Result<i64> {
    if text.trim().is_empty() {
        Ok(0)
    } else {
        ms(field, text)
    }
}

pub fn side(text: &str) -> Result<Side> {
    match text {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        other => Err(malformed(format_args!("side {other:?}"))),
    }
}

pub fn side_text(side: Side) -> &'static str {
    match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

pub fn position_side(text: &str) -> Result<PositionSide> {
    match text {
        "" | "net" => Ok(PositionSide::Net),
        "long" => Ok(PositionSide::Long),
        "short" => Ok(PositionSide::Short),
        other => Err(malformed(format_args!("posSide {other:?}"))),
    }
}

pub fn position_side_text(side: PositionSide) -> &'static str {
    match side {
        PositionSide::Net => "net",
        PositionSide::Long => "long",
        PositionSide::Short => "short",
    }
}

pub fn margin_mode(text: &str) -> Option<MarginMode> {
    match text {
        "cross" => Some(MarginMode::Cross),
        "isolated" => Some(MarginMode::Isolated),
        _ => None,
    }
}

pub fn margin_mode_text(mode: MarginMode) -> &'static str {
    match mode {
        MarginMode::Cross => "cross",
        MarginMode::Isolated => "isolated",
    }
}

fn flag(text: &str) -> bool {
    text == "true"
}

/// An order's state (`live`, `partially_filled`, `filled`, `canceled`, `mmp_canceled`).
pub fn order_status(state: &str) -> Result<OrderStatus> {
    match state {
        "live" => Ok(OrderStatus::Open),
        "partially_filled" => Ok(OrderStatus::PartiallyFilled),
        "filled" => Ok(OrderStatus::Filled),
        "canceled" | "mmp_canceled" => Ok(OrderStatus::Cancelled),
        other => Err(malformed(format_args!("order state {other:?}"))),
    }
}

/// The neutral type of an OKX `ordType` (`None` for the ones Rampart does not place:
/// `optimal_limit_ioc`, `mmp`, …). IOC, FOK and post-only are limit orders with a time in
/// force.
pub fn order_type(ord_type: &str) -> Option<OrderType> {
    match ord_type {
        "market" => Some(OrderType::Market),
        "limit" | "post_only" | "fok" | "ioc" => Some(OrderType::Limit),
        _ => None,
    }
}

/// The client id an order answers to: its own `clOrdId`, or for an order a conditional order
/// placed when it triggered (which carries no `clOrdId` of its own), that conditional order's
/// `algoClOrdId`, the id Rampart journaled.
pub fn client_id(o: &models::Order) -> &str {
    if o.cl_ord_id.is_empty() {
        &o.algo_cl_ord_id
    } else {
        &o.cl_ord_id
    }
}

/// Whether an algo order has triggered and placed its order (`ordId`), which from then on
/// reports the state and fills.
pub fn algo_placed(a: &models::AlgoOrder) -> bool {
    matches!(a.state.as_str(), "effective" | "partially_effective") && !a.ord_id.is_empty()
}

pub fn order(o: &models::Order) -> Result<OrderState> {
    let status = order_status(&o.state)?;
    let updated = if o.u_time.is_empty() {
        &o.c_time
    } else {
        &o.u_time
    };
    Ok(OrderState {
        symbol: o.inst_id.clone(),
        venue_order_id: o.ord_id.clone(),
        client_order_id: client_id(o).to_owned(),
        side: side(&o.side)?,
        order_type: order_type(&o.ord_type),
        status,
        qty: dec("sz", &o.sz)?,
        filled_qty: dec_or_zero("accFillSz", &o.acc_fill_sz)?,
        price: opt_dec("px", &o.px)?.filter(|p| !p.is_zero() || o.ord_type != "market"),
        trigger_price: None,
        avg_fill_price: opt_dec("avgPx", &o.avg_px)?.filter(|p| !p.is_zero()),
        reduce_only: flag(&o.reduce_only),
        position_side: position_side(&o.pos_side)?,
        updated_ms: ms_or_zero("uTime", updated)?,
    })
}

/// An algo order's state: waiting (`live`, `pause`) is Open; `effective` means it triggered
/// and its order was placed (reported Filled: the placed order carries the rest);
/// `order_failed` is Rejected.
pub fn algo_status(state: &str) -> Result<OrderStatus> {
    match state {
        "live" | "pause" => Ok(OrderStatus::Open),
        "partially_effective" => Ok(OrderStatus::PartiallyFilled),
        "effective" => Ok(OrderStatus::Filled),
        "canceled" => Ok(OrderStatus::Cancelled),
        "order_failed" | "partially_failed" => Ok(OrderStatus::Rejected),
        other => Err(malformed(format_args!("algo order state {other:?}"))),
    }
}

pub fn algo_order(o: &models::AlgoOrder) -> Result<OrderState> {
    let stop = !o.sl_trigger_px.is_empty();
    let (trigger, limit) = if stop {
        (&o.sl_trigger_px, &o.sl_ord_px)
    } else {
        (&o.tp_trigger_px, &o.tp_ord_px)
    };
    // OKX's order price "-1" means "at market" when triggered.
    let limit_price = match limit.trim() {
        "" | "-1" => None,
        text => Some(dec("ordPx", text)?),
    };
    let order_type = match (o.ord_type.as_str(), stop, limit_price.is_some()) {
        ("conditional", true, false) => Some(OrderType::StopMarket),
        ("conditional", true, true) => Some(OrderType::StopLimit),
        ("conditional", false, false) => Some(OrderType::TakeProfitMarket),
        ("conditional", false, true) => Some(OrderType::TakeProfitLimit),
        _ => None,
    };
    let status = algo_status(&o.state)?;
    let updated = if o.u_time.is_empty() {
        &o.c_time
    } else {
        &o.u_time
    };
    Ok(OrderState {
        symbol: o.inst_id.clone(),
        venue_order_id: o.algo_id.clone(),
        client_order_id: o.algo_cl_ord_id.clone(),
        side: side(&o.side)?,
        order_type,
        status,
        qty: dec("sz", &o.sz)?,
        filled_qty: if status == OrderStatus::Filled {
            dec_or_zero("actualSz", &o.actual_sz)?
        } else {
            Decimal::ZERO
        },
        price: limit_price,
        trigger_price: opt_dec("triggerPx", trigger)?,
        avg_fill_price: None,
        reduce_only: flag(&o.reduce_only),
        position_side: position_side(&o.pos_side)?,
        updated_ms: ms_or_zero("uTime", updated)?,
    })
}

/// A fill reported with an order on the `orders` channel (`tradeId` set).
pub fn fill(o: &models::Order) -> Result<Option<Fill>> {
    if o.trade_id.is_empty() || o.fill_sz.is_empty() {
        return Ok(None);
    }
    let qty = dec("fillSz", &o.fill_sz)?;
    if qty.is_zero() {
        return Ok(None);
    }
    Ok(Some(Fill {
        symbol: o.inst_id.clone(),
        venue_order_id: o.ord_id.clone(),
        client_order_id: client_id(o).to_owned(),
        trade_id: o.trade_id.clone(),
        side: side(&o.side)?,
        qty,
        price: dec("fillPx", &o.fill_px)?,
        // OKX: "fee charged is negative, rebate positive"; Rampart: charged is positive.
        fee: -dec_or_zero("fillFee", &o.fill_fee)?,
        fee_asset: (!o.fill_fee_ccy.is_empty()).then(|| o.fill_fee_ccy.clone()),
        maker: o.exec_type == "M",
        realized_pnl: dec_or_zero("fillPnl", &o.fill_pnl)?,
        time_ms: ms_or_zero("fillTime", &o.fill_time)?,
    }))
}

/// A position. In net mode `pos` is signed; in hedge mode it is the size of the long or
/// short side, made signed here.
pub fn position(p: &models::Position) -> Result<Position> {
    let position_side = position_side(&p.pos_side)?;
    let raw = dec("pos", &p.pos)?;
    let qty = match position_side {
        PositionSide::Short => -raw.abs(),
        PositionSide::Long => raw.abs(),
        PositionSide::Net => raw,
    };
    Ok(Position {
        symbol: p.inst_id.clone(),
        position_side,
        margin_mode: margin_mode(&p.mgn_mode),
        qty,
        entry_price: dec_or_zero("avgPx", &p.avg_px)?,
        mark_price: dec_or_zero("markPx", &p.mark_px)?,
        unrealized_pnl: dec_or_zero("upl", &p.upl)?,
        leverage: opt_dec("lever", &p.lever)?,
        liquidation_price: opt_dec("liqPx", &p.liq_px)?.filter(|p| !p.is_zero()),
        greeks: None,
    })
}

pub fn position_change(p: &models::Position) -> Result<PositionChange> {
    let full = position(p)?;
    Ok(PositionChange {
        symbol: full.symbol,
        position_side: full.position_side,
        margin_mode: full.margin_mode,
        qty: full.qty,
        entry_price: full.entry_price,
        unrealized_pnl: full.unrealized_pnl,
    })
}

pub fn balances(rows: &[models::AccountBalance]) -> Result<Vec<Balance>> {
    let mut out = Vec::new();
    for row in rows {
        for d in &row.details {
            let wallet = match opt_dec("cashBal", &d.cash_bal)? {
                Some(v) => v,
                None => dec_or_zero("eq", &d.eq)?,
            };
            let available = match opt_dec("availBal", &d.avail_bal)? {
                Some(v) => v,
                None => dec_or_zero("availEq", &d.avail_eq)?,
            };
            out.push(Balance {
                asset: d.ccy.clone(),
                wallet,
                available,
                unrealized_pnl: dec_or_zero("upl", &d.upl)?,
            });
        }
    }
    Ok(out)
}

pub fn balance_changes(rows: &[models::AccountBalance]) -> Result<Vec<BalanceChange>> {
    Ok(balances(rows)?
        .into_iter()
        .map(|b| BalanceChange {
            asset: b.asset,
            wallet: b.wallet,
        })
        .collect())
}

fn levels(side: &str, rows: &[Vec<String>]) -> Result<Vec<BookLevel>> {
    rows.iter()
        .map(|row| match row.as_slice() {
            [price, qty, ..] => Ok(BookLevel {
                price: dec(side, price)?,
                qty: dec(side, qty)?,
            }),
            _ => Err(malformed(format_args!(
                "a {side} level with {} fields",
                row.len()
            ))),
        })
        .collect()
}

pub fn book(symbol: &str, b: &models::Book) -> Result<OrderBook> {
    Ok(OrderBook {
        symbol: symbol.to_owned(),
        bids: levels("bids", &b.bids)?,
        asks: levels("asks", &b.asks)?,
        update_id: b
            .seq_id
            .and_then(|s| u64::try_from(s).ok())
            .unwrap_or_default(),
        time_ms: ms("ts", &b.ts)?,
    })
}

/// One candle row `[ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm]`; `confirm` "1" is a
/// closed candle.
pub fn candle(row: &[String]) -> Result<Candle> {
    match row {
        [ts, o, h, l, c, vol, rest @ ..] => Ok(Candle {
            open_time_ms: ms("candle ts", ts)?,
            open: dec("open", o)?,
            high: dec("high", h)?,
            low: dec("low", l)?,
            close: dec("close", c)?,
            volume: dec("vol", vol)?,
            closed: rest.get(2).is_some_and(|confirm| confirm == "1"),
        }),
        _ => Err(malformed(format_args!(
            "a candle with {} fields",
            row.len()
        ))),
    }
}

/// Candles newest first (as OKX sends them) into oldest first.
pub fn candles(rows: &[Vec<String>]) -> Result<Vec<Candle>> {
    let mut out = rows.iter().map(|r| candle(r)).collect::<Result<Vec<_>>>()?;
    out.sort_by_key(|c| c.open_time_ms);
    Ok(out)
}

pub fn trade(t: &models::Trade) -> Result<PublicTrade> {
    Ok(PublicTrade {
        price: dec("px", &t.px)?,
        qty: dec("sz", &t.sz)?,
        taker_side: side(&t.side)?,
        time_ms: ms("ts", &t.ts)?,
    })
}

/// Fee rates in Rampart's convention (a fee charged is positive): OKX's are negated. The
/// pair is chosen by the instrument's settle currency.
pub fn fee_rates(symbol: &str, settle: &str, f: &models::TradeFee) -> Result<FeeRates> {
    let (maker, taker) = match settle {
        "USDT" if !f.maker_u.is_empty() => (&f.maker_u, &f.taker_u),
        "USDC" if !f.maker_usdc.is_empty() => (&f.maker_usdc, &f.taker_usdc),
        _ => (&f.maker, &f.taker),
    };
    Ok(FeeRates {
        symbol: symbol.to_owned(),
        maker: -dec("maker", maker)?,
        taker: -dec("taker", taker)?,
    })
}

/// Parses an envelope; `code` "0" is success, anything else OKX's refusal.
pub fn envelope<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<models::Envelope<T>> {
    serde_json::from_slice(body).map_err(|e| malformed(format_args!("{e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venue::ErrorKind;

    // Payloads from the v5 documentation's response examples.
    const ORDER: &str = r#"{"code":"0","msg":"","data":[{"instType":"SWAP","instId":"BTC-USDT-SWAP","tgtCcy":"","ccy":"","ordId":"680800019749904384","clOrdId":"rmpAbc123","tag":"","px":"25000.1","pxUsd":"","pxVol":"","pxType":"","sz":"3","pnl":"0","ordType":"limit","side":"buy","posSide":"net","tdMode":"cross","accFillSz":"1","fillPx":"","tradeId":"","fillSz":"0","fillTime":"","avgPx":"25000","state":"partially_filled","lever":"10","attachAlgoClOrdId":"","tpTriggerPx":"","tpTriggerPxType":"","tpOrdPx":"","slTriggerPx":"","slTriggerPxType":"","slOrdPx":"","feeCcy":"USDT","fee":"-0.01","rebateCcy":"USDT","source":"","rebate":"0","category":"normal","reduceOnly":"false","cancelSource":"","cancelSourceReason":"","quickMgnType":"","stpId":"","stpMode":"cancel_maker","uTime":"1708587373361","cTime":"1708587373361"}]}"#;

    #[test]
    fn an_order_from_the_docs_becomes_an_order_state() {
        let env: models::Envelope<models::Order> = envelope(ORDER.as_bytes()).unwrap();
        let o = order(&env.data[0]).unwrap();
        assert_eq!(o.symbol, "BTC-USDT-SWAP");
        assert_eq!(o.client_order_id, "rmpAbc123");
        assert_eq!(o.status, OrderStatus::PartiallyFilled);
        assert_eq!(o.order_type, Some(OrderType::Limit));
        assert_eq!(o.qty, Decimal::from(3));
        assert_eq!(o.filled_qty, Decimal::ONE);
        assert_eq!(o.price, Some("25000.1".parse().unwrap()));
        assert_eq!(o.avg_fill_price, Some(Decimal::from(25000)));
        assert_eq!(o.updated_ms, 1_708_587_373_361);
        assert!(!o.reduce_only);
        assert_eq!(fill(&env.data[0]).unwrap(), None, "no tradeId: no fill");
    }

    #[test]
    fn a_malformed_order_is_a_malformed_error_not_a_panic() {
        let bad = ORDER.replace(r#""sz":"3""#, r#""sz":"three""#);
        let env: models::Envelope<models::Order> = envelope(bad.as_bytes()).unwrap();
        let e = order(&env.data[0]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Malformed);
        assert!(e.message.contains("sz"));
        let bad = ORDER.replace("partially_filled", "sleeping");
        let env: models::Envelope<models::Order> = envelope(bad.as_bytes()).unwrap();
        assert_eq!(order(&env.data[0]).unwrap_err().kind, ErrorKind::Malformed);
        let e = envelope::<models::Order>(b"{\"code\":0").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Malformed);
    }

    #[test]
    fn an_orders_channel_fill_is_a_fill_with_rampart_fee_sign() {
        let raw = r#"{"instId":"BTC-USDT-SWAP","ordId":"1","clOrdId":"rmpX","px":"","sz":"2","ordType":"market","side":"sell","posSide":"net","accFillSz":"2","avgPx":"30000","state":"filled","reduceOnly":"true","uTime":"1","cTime":"1","tradeId":"55","fillSz":"2","fillPx":"30000","fillTime":"1700000000000","fillFee":"-0.03","fillFeeCcy":"USDT","fillPnl":"1.5","execType":"T"}"#;
        let o: models::Order = serde_json::from_str(raw).unwrap();
        let f = fill(&o).unwrap().unwrap();
        assert_eq!(f.fee, "0.03".parse().unwrap());
        assert!(!f.maker);
        assert_eq!(f.realized_pnl, "1.5".parse().unwrap());
        let s = order(&o).unwrap();
        assert_eq!(s.price, None, "a market order has no price");
        assert!(s.reduce_only);
    }

    #[test]
    fn positions_in_hedge_mode_are_signed_by_side() {
        let raw = r#"{"code":"0","msg":"","data":[{"instId":"BTC-USD-SWAP","mgnMode":"isolated","posSide":"short","pos":"5","avgPx":"40000","markPx":"39000","upl":"0.0003","lever":"10","liqPx":"60000"},{"instId":"ETH-USDT-SWAP","mgnMode":"cross","posSide":"net","pos":"-2","avgPx":"2000","markPx":"2100","upl":"-20","lever":"5","liqPx":""}]}"#;
        let env: models::Envelope<models::Position> = envelope(raw.as_bytes()).unwrap();
        let a = position(&env.data[0]).unwrap();
        assert_eq!(a.qty, Decimal::from(-5));
        assert_eq!(a.margin_mode, Some(MarginMode::Isolated));
        let b = position(&env.data[1]).unwrap();
        assert_eq!(b.qty, Decimal::from(-2));
        assert_eq!(b.liquidation_price, None);
    }

    #[test]
    fn balances_books_and_candles_parse_from_doc_shapes() {
        let raw = r#"{"code":"0","msg":"","data":[{"totalEq":"100","details":[{"ccy":"USDT","eq":"100.5","cashBal":"100","availBal":"90","availEq":"90","upl":"0.5"}]}]}"#;
        let env: models::Envelope<models::AccountBalance> = envelope(raw.as_bytes()).unwrap();
        let b = balances(&env.data).unwrap();
        assert_eq!(b[0].wallet, Decimal::from(100));
        assert_eq!(b[0].available, Decimal::from(90));

        let raw = r#"{"code":"0","msg":"","data":[{"asks":[["41006.8","0.60038921","0","1"]],"bids":[["41006.3","0.30178218","0","2"]],"ts":"1629966436396"}]}"#;
        let env: models::Envelope<models::Book> = envelope(raw.as_bytes()).unwrap();
        let ob = book("BTC-USDT", &env.data[0]).unwrap();
        assert_eq!(ob.asks[0].price, "41006.8".parse().unwrap());
        assert_eq!(ob.time_ms, 1_629_966_436_396);

        let raw = r#"{"code":"0","msg":"","data":[["1597026383085","3.811","3.811","3.811","3.811","98","8","8","0"],["1597026323085","3.721","3.743","3.677","3.708","8422410","22698348.04828491","12698348.04828491","1"]]}"#;
        let env: models::Envelope<Vec<String>> = envelope(raw.as_bytes()).unwrap();
        let c = candles(&env.data).unwrap();
        assert_eq!(c[0].open_time_ms, 1_597_026_323_085, "oldest first");
        assert!(c[0].closed);
        assert!(!c[1].closed, "the newest is unfinished");
        let short = vec![vec!["1".to_string(), "2".to_string()]];
        assert_eq!(candles(&short).unwrap_err().kind, ErrorKind::Malformed);
    }

    #[test]
    fn fee_rates_take_the_settle_currencys_pair_and_rampart_sign() {
        let raw = r#"{"category":"1","delivery":"","exercise":"","instType":"SWAP","level":"Lv1","maker":"-0.0002","makerU":"-0.0002","makerUSDC":"-0.0002","taker":"-0.0005","takerU":"-0.0005","takerUSDC":"-0.0004","ts":"1763979985847"}"#;
        let f: models::TradeFee = serde_json::from_str(raw).unwrap();
        let r = fee_rates("BTC-USDC-SWAP", "USDC", &f).unwrap();
        assert_eq!(r.maker, "0.0002".parse().unwrap());
        assert_eq!(r.taker, "0.0004".parse().unwrap());
    }

    #[test]
    fn an_order_a_stop_placed_answers_to_the_stops_client_id() {
        let raw = r#"{"instId":"BTC-USDT-SWAP","ordId":"9","clOrdId":"","algoId":"7","algoClOrdId":"rmpS1","px":"","sz":"1","ordType":"market","side":"sell","posSide":"net","accFillSz":"1","avgPx":"38990","state":"filled","reduceOnly":"true","tradeId":"3","fillSz":"1","fillPx":"38990","fillTime":"6","fillFee":"-0.2","fillFeeCcy":"USDT","fillPnl":"0","execType":"T","cTime":"5","uTime":"6"}"#;
        let o: models::Order = serde_json::from_str(raw).unwrap();
        let s = order(&o).unwrap();
        assert_eq!(
            (s.client_order_id.as_str(), s.venue_order_id.as_str()),
            ("rmpS1", "9")
        );
        assert_eq!(s.status, OrderStatus::Filled);
        assert_eq!(fill(&o).unwrap().unwrap().client_order_id, "rmpS1");
        // An order's own clOrdId wins.
        let own: models::Order =
            serde_json::from_str(&raw.replace(r#""clOrdId":"""#, r#""clOrdId":"rmpOwn""#)).unwrap();
        assert_eq!(order(&own).unwrap().client_order_id, "rmpOwn");
        let waiting = r#"{"instId":"BTC-USDT-SWAP","algoId":"7","algoClOrdId":"rmpS1","ordId":"","ordType":"conditional","side":"sell","sz":"1","state":"live"}"#;
        let fired = waiting
            .replace(r#""ordId":"""#, r#""ordId":"9""#)
            .replace("live", "effective");
        let waiting: models::AlgoOrder = serde_json::from_str(waiting).unwrap();
        let fired: models::AlgoOrder = serde_json::from_str(&fired).unwrap();
        assert!(!algo_placed(&waiting));
        assert!(algo_placed(&fired));
    }

    #[test]
    fn a_stop_algo_order_is_a_stop_market_waiting_for_its_trigger() {
        let raw = r#"{"instId":"BTC-USDT-SWAP","algoId":"7","algoClOrdId":"rmpS1","ordType":"conditional","side":"sell","posSide":"net","sz":"1","state":"live","slTriggerPx":"39000","slOrdPx":"-1","tpTriggerPx":"","tpOrdPx":"","reduceOnly":"true","cTime":"5","uTime":""}"#;
        let a: models::AlgoOrder = serde_json::from_str(raw).unwrap();
        let s = algo_order(&a).unwrap();
        assert_eq!(s.order_type, Some(OrderType::StopMarket));
        assert_eq!(s.status, OrderStatus::Open);
        assert_eq!(s.trigger_price, Some(Decimal::from(39000)));
        assert_eq!(s.price, None);
        assert_eq!(s.client_order_id, "rmpS1");
        assert_eq!(s.updated_ms, 5);
    }
}
