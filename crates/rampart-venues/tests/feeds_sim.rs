//! The neutral feeds of the `Venue` trait against the simulator over real loopback sockets: the
//! account feed reports an order, its fill, the position and the balance after a market order,
//! and a cancelled limit; the market feed reports the mark, the local book, trades and candles;
//! candles come over REST too.

use std::str::FromStr;
use std::time::Duration;

use rampart_core::feed::{AccountUpdate, CandleInterval, FeedEvent, FeedStatus, MarketUpdate};
use rampart_core::trading::{OrderRequest, OrderStatus, PositionSide};
use rampart_core::{OrderType, Price, Qty, Side};
use rampart_sim::binance_usdm::{SimAccount, SimConfig, SimServer};
use rampart_venues::binance_usdm::{BinanceUsdm, RestClient};
use rampart_venues::venue::{Feed, MarketSubscription, Venue};
use rust_decimal::Decimal;
use tokio::net::TcpListener;

const KEY: &str = "venuefeedkey0000000000000000000000000000000000000000000000000000";
const SECRET: &str = "venuefeedsecret000000000000000000000000000000000000000000000000";
const WAIT: Duration = Duration::from_secs(20);

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

async fn sim(tick_interval_ms: u64) -> SimServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = SimConfig {
        accounts: vec![SimAccount {
            api_key: KEY.into(),
            api_secret: SECRET.into(),
            ..SimAccount::default()
        }],
        tick_interval_ms,
        ..SimConfig::default()
    };
    SimServer::start(listener, config).unwrap()
}

async fn venue(sim: &SimServer) -> BinanceUsdm {
    let venue = BinanceUsdm::new(RestClient::new(&sim.base_url(), KEY, SECRET).unwrap());
    Venue::sync_clock(&venue).await.unwrap();
    Venue::instruments(&venue, false).await.unwrap();
    venue
}

/// The first event that `pick` accepts, within [`WAIT`].
async fn next_where<T: std::fmt::Debug, R>(
    feed: &mut Feed<T>,
    what: &str,
    mut pick: impl FnMut(&FeedEvent<T>) -> Option<R>,
) -> R {
    let found = tokio::time::timeout(WAIT, async {
        while let Some(event) = feed.next().await {
            if let Some(found) = pick(&event) {
                return Some(found);
            }
        }
        None
    })
    .await;
    match found {
        Ok(Some(found)) => found,
        Ok(None) => panic!("the feed ended before {what}"),
        Err(_) => panic!("no {what} within {WAIT:?}"),
    }
}

fn order(
    cid: &str,
    side: Side,
    order_type: OrderType,
    qty: &str,
    price: Option<&str>,
) -> OrderRequest {
    OrderRequest {
        symbol: "BTCUSDT".into(),
        client_order_id: cid.into(),
        side,
        order_type,
        qty: Qty::from_str(qty).unwrap(),
        price: price.map(|p| Price::from_str(p).unwrap()),
        trigger_price: None,
        time_in_force: price.map(|_| rampart_core::TimeInForce::Gtc),
        reduce_only: false,
        trigger_by: None,
        margin_mode: None,
        position_side: PositionSide::Net,
        reference_price: None,
    }
}

#[tokio::test]
async fn the_account_feed_reports_orders_fills_positions_and_balances() {
    let sim = sim(0).await;
    let venue = venue(&sim).await;
    let mut feed = Venue::account_feed(&venue).await.unwrap();
    next_where(&mut feed, "the connection", |e| {
        matches!(e, FeedEvent::Status(FeedStatus::Connected)).then_some(())
    })
    .await;

    let cid = "rmpFeedMarket0000000000000001";
    Venue::place_order(
        &venue,
        &order(cid, Side::Buy, OrderType::Market, "0.002", None),
    )
    .await
    .unwrap();
    let filled = next_where(&mut feed, "the filled order", |e| match e {
        FeedEvent::Update(AccountUpdate::Order(o))
            if o.client_order_id == cid && o.status == OrderStatus::Filled =>
        {
            Some(o.clone())
        }
        _ => None,
    })
    .await;
    assert_eq!((filled.qty, filled.filled_qty), (d("0.002"), d("0.002")));
    assert_eq!(filled.side, Side::Buy);
    let fill = next_where(&mut feed, "the fill", |e| match e {
        FeedEvent::Update(AccountUpdate::Fill(f)) if f.client_order_id == cid => Some(f.clone()),
        _ => None,
    })
    .await;
    assert_eq!(fill.qty, d("0.002"));
    assert_eq!(fill.venue_order_id, filled.venue_order_id);
    assert!(fill.price > Decimal::ZERO);
    let position = next_where(&mut feed, "the position", |e| match e {
        FeedEvent::Update(AccountUpdate::Positions(p)) => {
            p.iter().find(|p| p.symbol == "BTCUSDT").cloned()
        }
        _ => None,
    })
    .await;
    assert_eq!(position.qty, d("0.002"));
    assert_eq!(position.entry_price, fill.price);

    // A limit far below the market rests, then is cancelled.
    let below = (sim.mark_price("BTCUSDT").unwrap() * d("0.95")).round_dp(1);
    let cid = "rmpFeedLimit00000000000000001";
    Venue::place_order(
        &venue,
        &order(
            cid,
            Side::Buy,
            OrderType::Limit,
            "0.002",
            Some(&below.to_string()),
        ),
    )
    .await
    .unwrap();
    let open = next_where(&mut feed, "the resting limit", |e| match e {
        FeedEvent::Update(AccountUpdate::Order(o)) if o.client_order_id == cid => Some(o.clone()),
        _ => None,
    })
    .await;
    assert_eq!(open.status, OrderStatus::Open);
    assert_eq!(open.price, Some(below));
    Venue::cancel_by_client_id(&venue, "BTCUSDT", cid)
        .await
        .unwrap();
    next_where(&mut feed, "the cancellation", |e| match e {
        FeedEvent::Update(AccountUpdate::Order(o))
            if o.client_order_id == cid && o.status == OrderStatus::Cancelled =>
        {
            Some(())
        }
        _ => None,
    })
    .await;

    // An order from elsewhere (another tool with the same key) shows up too.
    sim.place_order_in_process(
        KEY,
        &[
            ("symbol", "BTCUSDT"),
            ("side", "SELL"),
            ("type", "MARKET"),
            ("quantity", "0.002"),
            ("newClientOrderId", "otherTool1"),
        ],
    )
    .expect("the simulator takes the order");
    next_where(&mut feed, "the outside order", |e| match e {
        FeedEvent::Update(AccountUpdate::Order(o)) if o.client_order_id == "otherTool1" => Some(()),
        _ => None,
    })
    .await;
    let flat = next_where(&mut feed, "the flat position", |e| match e {
        FeedEvent::Update(AccountUpdate::Positions(p)) => {
            p.iter().find(|p| p.symbol == "BTCUSDT").cloned()
        }
        _ => None,
    })
    .await;
    assert_eq!(flat.qty, Decimal::ZERO);
}

#[tokio::test]
async fn the_market_feed_reports_mark_book_trades_and_candles() {
    let sim = sim(50).await;
    let venue = venue(&sim).await;
    let subscription = MarketSubscription {
        book_depth: 5,
        trades: true,
        candles: Some(CandleInterval::M1),
    };
    let mut feed = Venue::market_feed(&venue, "BTCUSDT", subscription)
        .await
        .unwrap();
    let mark = next_where(&mut feed, "a mark price", |e| match e {
        FeedEvent::Update(MarketUpdate::Mark(m)) => Some(m.clone()),
        _ => None,
    })
    .await;
    assert_eq!(mark.symbol, "BTCUSDT");
    assert!(mark.mark > Decimal::ZERO);
    let book = next_where(&mut feed, "the book", |e| match e {
        FeedEvent::Update(MarketUpdate::Book(b)) => Some(b.clone()),
        _ => None,
    })
    .await;
    assert_eq!((book.bids.len(), book.asks.len()), (5, 5));
    assert!(book.bids[0].price < book.asks[0].price);
    assert!(book.bids.windows(2).all(|w| w[0].price > w[1].price));
    assert!(book.asks.windows(2).all(|w| w[0].price < w[1].price));
    let candle = next_where(&mut feed, "a candle", |e| match e {
        FeedEvent::Update(MarketUpdate::Candle { interval, candle }) => Some((*interval, *candle)),
        _ => None,
    })
    .await;
    assert_eq!(candle.0, CandleInterval::M1);
    assert!(candle.1.low <= candle.1.high);

    Venue::place_order(
        &venue,
        &order(
            "rmpFeedTrade0000000000000001",
            Side::Sell,
            OrderType::Market,
            "0.3",
            None,
        ),
    )
    .await
    .unwrap();
    let trade = next_where(&mut feed, "the trade", |e| match e {
        FeedEvent::Update(MarketUpdate::Trade(t)) => Some(*t),
        _ => None,
    })
    .await;
    assert_eq!(trade.taker_side, Side::Sell);
    assert!(trade.qty > Decimal::ZERO);

    // Over REST: the latest candles, oldest first, the last one still open.
    let candles = Venue::candles(&venue, "BTCUSDT", CandleInterval::M1, 10)
        .await
        .unwrap();
    assert!(!candles.is_empty() && candles.len() <= 10);
    assert!(
        candles
            .windows(2)
            .all(|w| w[0].open_time_ms < w[1].open_time_ms)
    );
    assert!(!candles.last().unwrap().closed);
}
