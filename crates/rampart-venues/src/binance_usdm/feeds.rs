//! Binance USDⓈ-M's stream messages in neutral terms ([`rampart_core::feed`]): the user data
//! stream's ORDER_TRADE_UPDATE, ALGO_UPDATE and ACCOUNT_UPDATE as orders, fills, position and
//! balance changes; the market streams' mark price, aggregate trades and klines, and the local
//! book, as market updates. Pure conversions; the streams themselves are in [`super::ws`] and
//! [`super::book`].

use rampart_core::feed::{
    AccountUpdate, BalanceChange, Candle, CandleInterval, Fill, MarketUpdate, PositionChange,
    PublicTrade,
};
use rampart_core::trading::{
    BookLevel as NeutralLevel, MarginMode, MarkPrice as NeutralMark, OrderBook, OrderState,
    OrderStatus, PositionSide,
};
use rampart_core::{OrderType, Side};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use rampart_core::feed::{FeedEvent, FeedStatus};
use rust_decimal::Decimal;
use tokio::sync::mpsc;

use super::book::{BookOptions, BookView, OrderBookStream};
use super::convert::algo_status;
use super::models::KlineInterval;
use super::rest::{RestClient, local_ms};
use super::ws::connection::{StreamError, StreamOptions};
use super::ws::market_stream::{MarketStream, agg_trade_stream, kline_stream, mark_price_stream};
use super::ws::parse::MarketEvent;
use super::ws::parse::{AggTrade, Kline, MarkPrice};
use super::ws::user_events::UserEvent;
use super::ws::user_events::{AccountUpdate as WireAccount, AlgoUpdate, OrderUpdate};
use super::ws::user_stream::{UserStream, UserStreamOptions};
use crate::venue::{AbortOnDrop, Feed, MarketSubscription};

/// A stream message whose content is not what Binance documents (an unknown status, side or
/// interval); the message is skipped and the reason logged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unreadable(pub String);

/// The venue's name of a candle interval.
pub fn kline_interval(interval: CandleInterval) -> KlineInterval {
    match interval {
        CandleInterval::M1 => KlineInterval::M1,
        CandleInterval::M5 => KlineInterval::M5,
        CandleInterval::M15 => KlineInterval::M15,
        CandleInterval::H1 => KlineInterval::H1,
        CandleInterval::H4 => KlineInterval::H4,
        CandleInterval::D1 => KlineInterval::D1,
    }
}

/// The neutral interval of a stream kline's `i` (`1m`, `5m`, …), for the ones Rampart shows.
pub fn candle_interval(wire: &str) -> Option<CandleInterval> {
    CandleInterval::ALL
        .into_iter()
        .find(|i| kline_interval(*i).wire() == wire)
}

fn order_status(wire: &str) -> Result<OrderStatus, Unreadable> {
    Ok(match wire {
        "NEW" => OrderStatus::Open,
        "PARTIALLY_FILLED" => OrderStatus::PartiallyFilled,
        "FILLED" => OrderStatus::Filled,
        "CANCELED" => OrderStatus::Cancelled,
        "EXPIRED" | "EXPIRED_IN_MATCH" => OrderStatus::Expired,
        other => return Err(Unreadable(format!("unknown order status '{other}'"))),
    })
}

/// The neutral type of a wire order type; `None` for the ones Rampart does not place
/// (`TRAILING_STOP_MARKET`, `LIQUIDATION`, …).
fn order_type(wire: &str) -> Option<OrderType> {
    Some(match wire {
        "MARKET" => OrderType::Market,
        "LIMIT" => OrderType::Limit,
        "STOP" => OrderType::StopLimit,
        "STOP_MARKET" => OrderType::StopMarket,
        "TAKE_PROFIT" => OrderType::TakeProfitLimit,
        "TAKE_PROFIT_MARKET" => OrderType::TakeProfitMarket,
        _ => return None,
    })
}

fn position_side(wire: Option<&str>) -> Result<PositionSide, Unreadable> {
    Ok(match wire {
        None | Some("BOTH") => PositionSide::Net,
        Some("LONG") => PositionSide::Long,
        Some("SHORT") => PositionSide::Short,
        Some(other) => return Err(Unreadable(format!("unknown position side '{other}'"))),
    })
}

fn margin_mode(wire: &str) -> Option<MarginMode> {
    match wire.to_ascii_lowercase().as_str() {
        "cross" | "crossed" => Some(MarginMode::Cross),
        "isolated" => Some(MarginMode::Isolated),
        _ => None,
    }
}

/// `"0"` means "none" in Binance's order messages.
fn non_zero(d: Decimal) -> Option<Decimal> {
    (!d.is_zero()).then_some(d)
}

/// ORDER_TRADE_UPDATE: the order as it is now, and the fill when the execution type is `TRADE`.
pub fn order_update(u: &OrderUpdate) -> Result<Vec<AccountUpdate>, Unreadable> {
    let order = OrderState {
        symbol: u.symbol.clone(),
        venue_order_id: u.order_id.to_string(),
        client_order_id: u.client_order_id.clone(),
        side: u.side,
        order_type: order_type(&u.order_type),
        status: order_status(&u.order_status)?,
        qty: u.orig_qty,
        filled_qty: u.cumulative_filled_qty,
        price: non_zero(u.price),
        trigger_price: u.stop_price.and_then(non_zero),
        avg_fill_price: non_zero(u.avg_price),
        reduce_only: u.reduce_only,
        position_side: position_side(u.position_side.as_deref())?,
        updated_ms: u.transaction_time,
    };
    let mut out = Vec::with_capacity(2);
    if u.execution_type == "TRADE" && !u.last_filled_qty.is_zero() {
        out.push(AccountUpdate::Fill(Fill {
            symbol: u.symbol.clone(),
            venue_order_id: order.venue_order_id.clone(),
            client_order_id: u.client_order_id.clone(),
            trade_id: u.trade_id.to_string(),
            side: u.side,
            qty: u.last_filled_qty,
            price: u.last_filled_price,
            fee: u.commission.unwrap_or_default(),
            fee_asset: u.commission_asset.clone(),
            maker: u.is_maker,
            realized_pnl: u.realized_profit,
            time_ms: u.trade_time,
        }));
    }
    out.insert(0, AccountUpdate::Order(order));
    Ok(out)
}

/// ALGO_UPDATE: a conditional order under its client id (`caid`) and `algoId`, its fills those
/// of the order it placed once triggered.
pub fn algo_update(u: &AlgoUpdate) -> Result<AccountUpdate, Unreadable> {
    let filled = u.actual_filled_qty.unwrap_or_default();
    Ok(AccountUpdate::Order(OrderState {
        symbol: u.symbol.clone(),
        venue_order_id: u.algo_id.to_string(),
        client_order_id: u.client_algo_id.clone(),
        side: u.side,
        order_type: order_type(&u.order_type),
        status: algo_status(u.status, filled, u.quantity),
        qty: u.quantity,
        filled_qty: filled,
        price: u.price.and_then(non_zero),
        trigger_price: non_zero(u.trigger_price),
        avg_fill_price: u.actual_avg_price.and_then(non_zero),
        reduce_only: u.reduce_only,
        position_side: position_side(u.position_side.as_deref())?,
        updated_ms: u.transaction_time,
    }))
}

/// ACCOUNT_UPDATE: the changed positions and wallet balances (either may be empty: a funding
/// fee on a cross position changes balances only).
pub fn account_update(u: &WireAccount) -> Result<Vec<AccountUpdate>, Unreadable> {
    let mut out = Vec::with_capacity(2);
    if !u.positions.is_empty() {
        let positions = u
            .positions
            .iter()
            .map(|p| {
                Ok(PositionChange {
                    symbol: p.symbol.clone(),
                    position_side: position_side(Some(&p.position_side))?,
                    margin_mode: margin_mode(&p.margin_type),
                    qty: p.position_amount,
                    entry_price: p.entry_price,
                    unrealized_pnl: p.unrealized_pnl,
                })
            })
            .collect::<Result<Vec<_>, Unreadable>>()?;
        out.push(AccountUpdate::Positions(positions));
    }
    if !u.balances.is_empty() {
        out.push(AccountUpdate::Balances(
            u.balances
                .iter()
                .map(|b| BalanceChange {
                    asset: b.asset.clone(),
                    wallet: b.wallet_balance,
                })
                .collect(),
        ));
    }
    Ok(out)
}

/// `<symbol>@markPrice`.
pub fn mark(m: &MarkPrice) -> MarketUpdate {
    MarketUpdate::Mark(NeutralMark {
        symbol: m.symbol.clone(),
        mark: m.mark_price,
        index: Some(m.index_price),
        funding_rate: m.funding_rate,
        next_funding_ms: m.next_funding_time,
        mark_iv: None,
        time_ms: m.event_time,
    })
}

/// `<symbol>@aggTrade`: `m` ("is the buyer the market maker?") true means the taker sold.
pub fn trade(t: &AggTrade) -> MarketUpdate {
    MarketUpdate::Trade(PublicTrade {
        price: t.price,
        qty: t.qty,
        taker_side: if t.buyer_is_maker {
            Side::Sell
        } else {
            Side::Buy
        },
        time_ms: t.trade_time,
    })
}

/// `<symbol>@kline_<interval>`; an interval Rampart does not show is unreadable here.
pub fn candle(k: &Kline) -> Result<MarketUpdate, Unreadable> {
    let interval = candle_interval(&k.interval)
        .ok_or_else(|| Unreadable(format!("unexpected kline interval '{}'", k.interval)))?;
    Ok(MarketUpdate::Candle {
        interval,
        candle: Candle {
            open_time_ms: k.open_time,
            open: k.open,
            high: k.high,
            low: k.low,
            close: k.close,
            volume: k.volume,
            closed: k.closed,
        },
    })
}

/// A REST kline (`GET /fapi/v1/klines`): final once its close time has passed at `now_ms`.
pub fn rest_candle(k: &super::models::Kline, now_ms: i64) -> Candle {
    Candle {
        open_time_ms: k.open_time,
        open: k.open,
        high: k.high,
        low: k.low,
        close: k.close,
        volume: k.volume,
        closed: k.close_time < now_ms,
    }
}

/// The local book's best levels.
pub fn book(view: &BookView, time_ms: i64) -> MarketUpdate {
    let levels = |side: &[super::book::BookLevel]| {
        side.iter()
            .map(|l| NeutralLevel {
                price: l.price,
                qty: l.qty,
            })
            .collect()
    };
    MarketUpdate::Book(OrderBook {
        symbol: view.symbol.clone(),
        bids: levels(&view.bids),
        asks: levels(&view.asks),
        update_id: view.last_update_id,
        time_ms,
    })
}

// ---------------------------------------------------------------------------------------------
// The feeds: Binance's streams started, their messages converted and forwarded

/// Where an account's streams connect: Binance routes them by kind (see
/// [`super::environment`]); the simulator serves the same routes on its own address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamBases {
    /// Depth and book tickers.
    pub public: String,
    /// Mark price, klines, aggregate trades.
    pub market: String,
    /// User data.
    pub user: String,
}

impl StreamBases {
    /// The stream bases that go with a REST base: Binance's own for its environments, and
    /// `ws(s)://<same host and port>/{public,market,private}` for any other (the simulator).
    pub fn for_rest_base(rest_base: &str) -> Option<Self> {
        use super::environment::{BinanceEndpoints, Environment};
        let rest_base = rest_base.trim_end_matches('/');
        for env in [Environment::Live, Environment::Testnet, Environment::Demo] {
            if env.rest_base() == Some(rest_base) {
                return Some(Self {
                    public: env.ws_public_base()?.into(),
                    market: env.ws_market_base()?.into(),
                    user: env.ws_user_base()?.into(),
                });
            }
        }
        let url = url::Url::parse(rest_base).ok()?;
        let scheme = match url.scheme() {
            "https" => "wss",
            "http" => "ws",
            _ => return None,
        };
        let root = format!(
            "{scheme}://{}",
            &url[url::Position::BeforeHost..url::Position::AfterPort]
        );
        Some(Self {
            public: format!("{root}/public"),
            market: format!("{root}/market"),
            user: format!("{root}/private"),
        })
    }
}

fn stream_options(client: &RestClient, messages: &Arc<AtomicU64>) -> StreamOptions {
    StreamOptions {
        tls: client.tls_config(),
        messages: Some(Arc::clone(messages)),
        ..StreamOptions::default()
    }
}

/// The account's user data stream as a [`Feed`] of neutral updates.
pub(super) fn account_feed(
    client: &Arc<RestClient>,
    bases: &StreamBases,
) -> Result<Feed<AccountUpdate>, StreamError> {
    let messages = Arc::new(AtomicU64::new(0));
    let options = UserStreamOptions {
        stream: stream_options(client, &messages),
        ..UserStreamOptions::default()
    };
    let (stream, mut events) = UserStream::start(Arc::clone(client), &bases.user, options)?;
    let (tx, rx) = mpsc::channel(FEED_CAPACITY);
    let task = tokio::spawn(async move {
        // The stream ends when this task does (the feed was dropped).
        let _stream = stream;
        while let Some(event) = events.recv().await {
            let converted: Vec<FeedEvent<AccountUpdate>> = match event {
                UserEvent::Resync => vec![FeedEvent::Status(FeedStatus::Connected)],
                UserEvent::Disconnected { reason } => {
                    vec![FeedEvent::Status(FeedStatus::Lost(reason))]
                }
                UserEvent::Stopped { reason } => {
                    vec![FeedEvent::Status(FeedStatus::Stopped(reason))]
                }
                UserEvent::OrderUpdate(u) => updates(order_update(&u)),
                UserEvent::AlgoUpdate(u) => updates(algo_update(&u).map(|u| vec![u])),
                UserEvent::AccountUpdate(u) => updates(account_update(&u)),
                UserEvent::Malformed(e) => {
                    tracing::warn!(error = %e, "a user stream message could not be read");
                    Vec::new()
                }
                UserEvent::KeepaliveFailed { reason } => {
                    tracing::info!(%reason, "listen key keep-alive failed; retried on schedule");
                    Vec::new()
                }
                UserEvent::ListenKeyExpired { .. } | UserEvent::Other { .. } => Vec::new(),
            };
            for event in converted {
                if tx.send(event).await.is_err() {
                    return;
                }
            }
        }
    });
    Ok(Feed::new(rx, AbortOnDrop(task)).counting(messages))
}

fn updates<T>(converted: Result<Vec<T>, Unreadable>) -> Vec<FeedEvent<T>> {
    match converted {
        Ok(updates) => updates.into_iter().map(FeedEvent::Update).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "a stream message was skipped");
            Vec::new()
        }
    }
}

/// `symbol`'s market streams as one [`Feed`]: mark price (every second), aggregate trades and
/// klines from the Market route, the local book from the Public route's diff depth and REST
/// snapshots.
pub(super) fn market_feed(
    client: &Arc<RestClient>,
    bases: &StreamBases,
    symbol: &str,
    subscription: MarketSubscription,
) -> Result<Feed<MarketUpdate>, StreamError> {
    let mut streams = vec![mark_price_stream(symbol, true)];
    if subscription.trades {
        streams.push(agg_trade_stream(symbol));
    }
    if let Some(interval) = subscription.candles {
        streams.push(kline_stream(symbol, kline_interval(interval).wire()));
    }
    let messages = Arc::new(AtomicU64::new(0));
    let (stream, mut events) =
        MarketStream::start(&bases.market, &streams, stream_options(client, &messages))?;
    let book = match subscription.book_depth {
        0 => None,
        depth => Some(OrderBookStream::start(
            &bases.public,
            symbol,
            Arc::clone(client),
            BookOptions {
                depth,
                stream: stream_options(client, &messages),
                ..BookOptions::default()
            },
        )?),
    };
    let (tx, rx) = mpsc::channel(FEED_CAPACITY);
    let symbol = symbol.to_ascii_uppercase();
    let market_tx = tx.clone();
    let market = tokio::spawn(async move {
        let _stream = stream;
        while let Some(event) = events.recv().await {
            let converted = match event {
                MarketEvent::Connected | MarketEvent::Reconnected => {
                    FeedEvent::Status(FeedStatus::Connected)
                }
                MarketEvent::Disconnected { reason } => FeedEvent::Status(FeedStatus::Lost(reason)),
                MarketEvent::MarkPrice(m) if m.symbol == symbol => FeedEvent::Update(mark(&m)),
                MarketEvent::AggTrade(t) if t.symbol == symbol => FeedEvent::Update(trade(&t)),
                MarketEvent::Kline(k) if k.symbol == symbol => match candle(&k) {
                    Ok(update) => FeedEvent::Update(update),
                    Err(e) => {
                        tracing::warn!(error = %e, "a kline was skipped");
                        continue;
                    }
                },
                MarketEvent::Malformed(e) => {
                    tracing::warn!(error = %e, "a market stream message could not be read");
                    continue;
                }
                _ => continue,
            };
            if market_tx.send(converted).await.is_err() {
                return;
            }
        }
    });
    let book = book.map(|book| {
        let mut watch = book.watch();
        AbortOnDrop(tokio::spawn(async move {
            let _book = book;
            while watch.changed().await.is_ok() {
                let view = watch.borrow_and_update().book.clone();
                if let Some(view) = view
                    && tx
                        .send(FeedEvent::Update(super::feeds::book(&view, local_ms())))
                        .await
                        .is_err()
                {
                    return;
                }
            }
        }))
    });
    Ok(Feed::new(rx, (AbortOnDrop(market), book)).counting(messages))
}

/// Events a slow reader may fall behind by before the streams wait for it.
const FEED_CAPACITY: usize = 1024;

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::binance_usdm::ws::parse::{MarketEvent, parse_market};
    use crate::binance_usdm::ws::user_events::{UserEvent, parse_user};

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// A MARKET buy filled in one trade, as the simulator and Binance send it (Binance's
    /// documented field set).
    const FILLED: &str = r#"{"e":"ORDER_TRADE_UPDATE","E":1568879465651,"T":1568879465650,
        "o":{"s":"BTCUSDT","c":"rmpAbc123","S":"BUY","o":"MARKET","f":"GTC","q":"0.002",
        "p":"0","ap":"60000.1","sp":"0","x":"TRADE","X":"FILLED","i":8886774,"l":"0.002",
        "z":"0.002","L":"60000.1","N":"USDT","n":"0.04800008","T":1568879465650,"t":991,
        "b":"0","a":"0","m":false,"R":false,"wt":"CONTRACT_PRICE","ot":"MARKET","ps":"BOTH",
        "cp":false,"rp":"-1.5","pP":false,"si":0,"ss":0,"V":"EXPIRE_MAKER","pm":"NONE",
        "gtd":0}}"#;

    fn order_of(text: &str) -> OrderUpdate {
        match parse_user(text).unwrap() {
            Some(UserEvent::OrderUpdate(o)) => *o,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_trade_is_the_order_then_its_fill() {
        let updates = order_update(&order_of(FILLED)).unwrap();
        let [AccountUpdate::Order(order), AccountUpdate::Fill(fill)] = updates.as_slice() else {
            panic!("{updates:?}");
        };
        assert_eq!(order.status, OrderStatus::Filled);
        assert_eq!(order.order_type, Some(OrderType::Market));
        assert_eq!((order.qty, order.filled_qty), (d("0.002"), d("0.002")));
        assert_eq!(order.price, None);
        assert_eq!(order.avg_fill_price, Some(d("60000.1")));
        assert_eq!(order.venue_order_id, "8886774");
        assert_eq!(order.position_side, PositionSide::Net);
        assert_eq!(fill.trade_id, "991");
        assert_eq!((fill.qty, fill.price), (d("0.002"), d("60000.1")));
        assert_eq!(fill.fee, d("0.04800008"));
        assert_eq!(fill.fee_asset.as_deref(), Some("USDT"));
        assert_eq!(fill.realized_pnl, d("-1.5"));
        assert!(!fill.maker);
        assert_eq!(fill.client_order_id, "rmpAbc123");
    }

    #[test]
    fn a_new_or_cancelled_order_has_no_fill_and_an_unknown_status_is_unreadable() {
        let new = FILLED
            .replace(r#""x":"TRADE","X":"FILLED""#, r#""x":"NEW","X":"NEW""#)
            .replace(r#""l":"0.002""#, r#""l":"0""#)
            .replace(r#""z":"0.002""#, r#""z":"0""#);
        let updates = order_update(&order_of(&new)).unwrap();
        assert!(
            matches!(updates.as_slice(), [AccountUpdate::Order(o)] if o.status == OrderStatus::Open),
            "{updates:?}"
        );
        let cancelled = new.replace(r#""x":"NEW","X":"NEW""#, r#""x":"CANCELED","X":"CANCELED""#);
        let updates = order_update(&order_of(&cancelled)).unwrap();
        assert!(
            matches!(updates.as_slice(), [AccountUpdate::Order(o)] if o.status == OrderStatus::Cancelled)
        );
        let odd = new.replace(r#""X":"NEW""#, r#""X":"HALF_DONE""#);
        assert!(order_update(&order_of(&odd)).is_err());
        let liquidation = FILLED.replace(r#""o":"MARKET""#, r#""o":"LIQUIDATION""#);
        let updates = order_update(&order_of(&liquidation)).unwrap();
        assert!(matches!(&updates[0], AccountUpdate::Order(o) if o.order_type.is_none()));
    }

    #[test]
    fn account_updates_are_position_and_balance_changes() {
        let text = r#"{"e":"ACCOUNT_UPDATE","E":1564745798939,"T":1564745798938,"a":{"m":"ORDER",
            "B":[{"a":"USDT","wb":"122624.12345678","cw":"100.12345678","bc":"50.12345678"}],
            "P":[{"s":"BTCUSDT","pa":"-0.002","ep":"60000.5","bep":"0","cr":"200","up":"-0.3",
                  "mt":"isolated","iw":"0.00000000","ps":"BOTH"}]}}"#;
        let Some(UserEvent::AccountUpdate(u)) = parse_user(text).unwrap() else {
            panic!()
        };
        let updates = account_update(&u).unwrap();
        assert_eq!(
            updates,
            vec![
                AccountUpdate::Positions(vec![PositionChange {
                    symbol: "BTCUSDT".into(),
                    position_side: PositionSide::Net,
                    margin_mode: Some(MarginMode::Isolated),
                    qty: d("-0.002"),
                    entry_price: d("60000.5"),
                    unrealized_pnl: d("-0.3"),
                }]),
                AccountUpdate::Balances(vec![BalanceChange {
                    asset: "USDT".into(),
                    wallet: d("122624.12345678"),
                }]),
            ]
        );
    }

    #[test]
    fn a_conditional_order_reads_as_an_order_under_its_client_algo_id() {
        let text = r#"{"e":"ALGO_UPDATE","T":1750515742297,"E":1750515742303,"o":{"caid":"rmpX1",
            "aid":2148719,"at":"CONDITIONAL","o":"TAKE_PROFIT","s":"BNBUSDT","S":"SELL","ps":"BOTH",
            "f":"GTC","q":"0.01","X":"CANCELED","ai":"","ap":"0.00000","aq":"0.00000","act":"0",
            "tp":"750","p":"750","V":"EXPIRE_MAKER","wt":"CONTRACT_PRICE","pm":"NONE","cp":false,
            "pP":false,"R":false,"tt":0,"gtd":0,"rm":"Reduce Only reject"}}"#;
        let Some(UserEvent::AlgoUpdate(u)) = parse_user(text).unwrap() else {
            panic!()
        };
        let AccountUpdate::Order(o) = algo_update(&u).unwrap() else {
            panic!()
        };
        assert_eq!(o.client_order_id, "rmpX1");
        assert_eq!(o.venue_order_id, "2148719");
        assert_eq!(o.status, OrderStatus::Cancelled);
        assert_eq!(o.order_type, Some(OrderType::TakeProfitLimit));
        assert_eq!((o.price, o.trigger_price), (Some(d("750")), Some(d("750"))));
    }

    #[test]
    fn market_messages_read_as_neutral_updates() {
        let events = parse_market(
            r#"{"e":"aggTrade","E":123456789,"s":"BTCUSDT","a":5933014,"p":"0.001","q":"100",
                "f":100,"l":105,"T":123456785,"m":true}"#,
        )
        .unwrap();
        let [MarketEvent::AggTrade(t)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(
            trade(t),
            MarketUpdate::Trade(PublicTrade {
                price: d("0.001"),
                qty: d("100"),
                taker_side: Side::Sell,
                time_ms: 123456785,
            })
        );
        let events = parse_market(
            r#"{"e":"kline","E":1638747660000,"s":"BTCUSDT","k":{"t":1638747660000,
                "T":1638747719999,"s":"BTCUSDT","i":"1m","f":100,"L":200,"o":"0.0010",
                "c":"0.0020","h":"0.0025","l":"0.0015","v":"1000","n":100,"x":false,
                "q":"1.0000","V":"500","Q":"0.500","B":"123456"}}"#,
        )
        .unwrap();
        let [MarketEvent::Kline(k)] = events.as_slice() else {
            panic!("{events:?}")
        };
        let MarketUpdate::Candle { interval, candle } = candle(k).unwrap() else {
            panic!()
        };
        assert_eq!(interval, CandleInterval::M1);
        assert_eq!(
            (candle.open, candle.high, candle.low, candle.close),
            (d("0.0010"), d("0.0025"), d("0.0015"), d("0.0020"))
        );
        assert!(!candle.closed);
        let mut odd = k.clone();
        odd.interval = "3m".into();
        assert!(candle_interval("3m").is_none() && super::candle(&odd).is_err());
        for i in CandleInterval::ALL {
            assert_eq!(candle_interval(kline_interval(i).wire()), Some(i));
        }
    }
}
