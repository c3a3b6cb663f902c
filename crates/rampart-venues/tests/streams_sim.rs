//! The connector's market streams against the simulator over real loopback sockets: the local
//! order book tracks the simulator's book, a gap in the diff depth stream makes it resync, live
//! subscribe and unsubscribe on one connection, and aggregate trades after a fill.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rampart_sim::binance_usdm::{SimAccount, SimConfig, SimServer};
use rampart_venues::binance_usdm::RestClient;
use rampart_venues::binance_usdm::book::{BookOptions, BookStatus, OrderBookStream};
use rampart_venues::binance_usdm::ws::connection::StreamOptions;
use rampart_venues::binance_usdm::ws::market_stream::{
    MarketStream, agg_trade_stream, mark_price_stream,
};
use rampart_venues::binance_usdm::ws::parse::MarketEvent;
use rust_decimal::Decimal;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;

const KEY: &str = "venuestreamkey00000000000000000000000000000000000000000000000000";
const SECRET: &str = "venuestreamsecret0000000000000000000000000000000000000000000000";
const WAIT: Duration = Duration::from_secs(20);

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A simulator whose prices move only when the test moves them.
async fn quiet_sim() -> SimServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = SimConfig {
        accounts: vec![SimAccount {
            api_key: KEY.into(),
            api_secret: SECRET.into(),
            ..SimAccount::default()
        }],
        tick_interval_ms: 0,
        ..SimConfig::default()
    };
    SimServer::start(listener, config).unwrap()
}

async fn client(sim: &SimServer) -> RestClient {
    let client = RestClient::new(&sim.base_url(), KEY, SECRET).unwrap();
    client.sync_clock().await.unwrap();
    client
}

fn fast_options() -> StreamOptions {
    StreamOptions {
        backoff_initial: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        ..StreamOptions::default()
    }
}

/// Moves BTCUSDT's mark by one tick at a time (alternating up and down) until `done` holds for
/// the book's status; at most 400 moves, each followed by a wait of at most 50 ms for a change.
async fn move_until(
    sim: &SimServer,
    status: &mut watch::Receiver<BookStatus>,
    done: impl Fn(&BookStatus) -> bool,
) -> BookStatus {
    let start = sim.mark_price("BTCUSDT").unwrap();
    for i in 0..400u32 {
        if done(&status.borrow()) {
            return status.borrow().clone();
        }
        let step = if i % 2 == 0 { d("0.1") } else { d("0") };
        sim.set_mark_price("BTCUSDT", start + step);
        let _ = tokio::time::timeout(Duration::from_millis(50), status.changed()).await;
    }
    panic!(
        "the book never reached the expected state: {:?}",
        status.borrow()
    );
}

/// The book shows what `GET /fapi/v1/depth` shows, at the same update id.
async fn assert_matches_rest(rest: &RestClient, status: &mut watch::Receiver<BookStatus>) {
    let depth = rest.order_book("BTCUSDT", 1000).await.unwrap();
    let id = depth.last_update_id;
    let status = tokio::time::timeout(
        WAIT,
        status.wait_for(|s| s.book.as_ref().is_some_and(|b| b.last_update_id >= id)),
    )
    .await
    .expect("the book reached the snapshot's update id")
    .unwrap()
    .clone();
    let book = status.book.unwrap();
    assert_eq!(book.last_update_id, id, "no change since the snapshot");
    let bids: Vec<(Decimal, Decimal)> = book.bids.iter().map(|l| (l.price, l.qty)).collect();
    let asks: Vec<(Decimal, Decimal)> = book.asks.iter().map(|l| (l.price, l.qty)).collect();
    let rest_bids: Vec<(Decimal, Decimal)> = depth
        .bids
        .iter()
        .take(20)
        .map(|l| (l.price, l.qty))
        .collect();
    let rest_asks: Vec<(Decimal, Decimal)> = depth
        .asks
        .iter()
        .take(20)
        .map(|l| (l.price, l.qty))
        .collect();
    assert_eq!(bids, rest_bids, "bids, best first");
    assert_eq!(asks, rest_asks, "asks, best first");
    assert!(bids[0].0 < asks[0].0, "best bid under best ask");
}

#[tokio::test]
async fn the_local_book_tracks_the_simulators_book() {
    let sim = quiet_sim().await;
    let rest = client(&sim).await;
    let book = OrderBookStream::start(
        &format!("{}/public", sim.ws_base_url()),
        "BTCUSDT",
        client(&sim).await,
        BookOptions {
            stream: fast_options(),
            ..BookOptions::default()
        },
    )
    .unwrap();
    let mut status = book.watch();
    move_until(&sim, &mut status, |s| s.book.is_some()).await;
    // Moves of several ticks, then a jump far outside the old book.
    for price in ["60003.5", "59998.2", "61000", "60500.7"] {
        sim.set_mark_price("BTCUSDT", d(price));
        assert_matches_rest(&rest, &mut status).await;
        let best = status.borrow().book.as_ref().unwrap().bids[0].price;
        assert_eq!(best, d(price), "the best bid follows the mark");
    }
    assert_eq!(status.borrow().resyncs, 0, "no gap, no resync");
    book.close().await;
    sim.stop().await;
}

// The handshake callback's error type is tungstenite's, large by design.
#[allow(clippy::result_large_err)]
/// A WebSocket relay on loopback between the connector and the simulator that drops the
/// `drop_nth` depth event (counting from 1) of its first connection, as a lost message would.
async fn lossy_relay(upstream: String, drop_nth: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        for connection in 0..8 {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let (path_tx, path_rx) = tokio::sync::oneshot::channel::<String>();
            let mut path_tx = Some(path_tx);
            let callback =
                move |req: &tokio_tungstenite::tungstenite::handshake::server::Request, resp| {
                    if let Some(tx) = path_tx.take() {
                        let _ = tx.send(req.uri().to_string());
                    }
                    Ok(resp)
                };
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(client) = tokio_tungstenite::accept_hdr_async(socket, callback).await else {
                    return;
                };
                let Ok(path) = path_rx.await else { return };
                let Ok((server, _)) =
                    tokio_tungstenite::connect_async(format!("{upstream}{path}")).await
                else {
                    return;
                };
                let (mut client_tx, mut client_rx) = client.split();
                let (mut server_tx, mut server_rx) = server.split();
                let mut depth_seen = 0;
                loop {
                    tokio::select! {
                        frame = server_rx.next() => {
                            let Some(Ok(frame)) = frame else { return };
                            if let Message::Text(text) = &frame
                                && text.contains("depthUpdate")
                            {
                                depth_seen += 1;
                                if connection == 0 && depth_seen == drop_nth {
                                    continue;
                                }
                            }
                            if client_tx.send(frame).await.is_err() {
                                return;
                            }
                        }
                        frame = client_rx.next() => {
                            let Some(Ok(frame)) = frame else { return };
                            if server_tx.send(frame).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    format!("ws://{addr}")
}

#[tokio::test]
async fn a_gap_in_the_depth_stream_makes_the_book_resync() {
    let sim = quiet_sim().await;
    let rest = client(&sim).await;
    let relay = lossy_relay(sim.ws_base_url(), 6).await;
    let book = OrderBookStream::start(
        &format!("{relay}/public"),
        "BTCUSDT",
        client(&sim).await,
        BookOptions {
            stream: fast_options(),
            ..BookOptions::default()
        },
    )
    .unwrap();
    let mut status = book.watch();
    let after = move_until(&sim, &mut status, |s| s.resyncs >= 1 && s.book.is_some()).await;
    let reason = after.last_resync_reason.unwrap_or_default();
    assert!(reason.contains("gap"), "{reason}");
    // In step again after the resync.
    sim.set_mark_price("BTCUSDT", d("60042.2"));
    assert_matches_rest(&rest, &mut status).await;
    assert_eq!(status.borrow().resyncs, 1, "one dropped event, one resync");
    book.close().await;
    sim.stop().await;
}

/// The next event `pick` accepts, within `WAIT` and 500 events.
async fn next_where<T>(
    events: &mut mpsc::Receiver<MarketEvent>,
    pick: impl Fn(&MarketEvent) -> Option<T>,
) -> T {
    tokio::time::timeout(WAIT, async {
        for _ in 0..500 {
            let event = events.recv().await.expect("the stream is open");
            assert!(
                !matches!(
                    event,
                    MarketEvent::Disconnected { .. } | MarketEvent::Reconnected
                ),
                "the connection stayed up: {event:?}"
            );
            if let Some(got) = pick(&event) {
                return got;
            }
        }
        panic!("not in 500 events");
    })
    .await
    .expect("in time")
}

#[tokio::test]
async fn live_subscribe_and_unsubscribe_on_one_connection() {
    let sim = quiet_sim().await;
    let (stream, mut events) = MarketStream::start(
        &format!("{}/market", sim.ws_base_url()),
        &[mark_price_stream("BTCUSDT", false)],
        fast_options(),
    )
    .unwrap();
    assert_eq!(events.recv().await, Some(MarketEvent::Connected));
    // A new symbol on the open connection.
    stream
        .subscribe(&[mark_price_stream("ETHUSDT", false)])
        .await
        .unwrap();
    sim.set_mark_price("ETHUSDT", d("3001.5"));
    let eth = next_where(&mut events, |e| match e {
        MarketEvent::MarkPrice(m) if m.symbol == "ETHUSDT" => Some(m.mark_price),
        _ => None,
    })
    .await;
    assert_eq!(eth, d("3001.5"));
    // Gone again: an ETH move before a BTC move shows only the BTC one.
    stream
        .unsubscribe(&[mark_price_stream("ETHUSDT", false)])
        .await
        .unwrap();
    sim.set_mark_price("ETHUSDT", d("3002.5"));
    sim.set_mark_price("BTCUSDT", d("60001"));
    let next = next_where(&mut events, |e| match e {
        MarketEvent::MarkPrice(m) => Some(m.clone()),
        _ => None,
    })
    .await;
    assert_eq!(next.symbol, "BTCUSDT", "no ETHUSDT after unsubscribing");
    stream.close().await;
    sim.stop().await;
}

#[tokio::test]
async fn an_agg_trade_arrives_after_a_fill() {
    let sim = quiet_sim().await;
    let rest = client(&sim).await;
    let (stream, mut events) = MarketStream::start(
        &format!("{}/market", sim.ws_base_url()),
        &[],
        fast_options(),
    )
    .unwrap();
    assert_eq!(events.recv().await, Some(MarketEvent::Connected));
    stream
        .subscribe(&[agg_trade_stream("BTCUSDT")])
        .await
        .unwrap();
    let filters = rest
        .exchange_info()
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.symbol == "BTCUSDT")
        .unwrap();
    let order = rampart_venues::binance_usdm::OrderRequest {
        symbol: "BTCUSDT".into(),
        side: rampart_core::Side::Sell,
        order_type: rampart_core::OrderType::Market,
        quantity: "0.3".parse().unwrap(),
        price: None,
        stop_price: None,
        time_in_force: None,
        reduce_only: false,
        working_type: None,
        position_side: rampart_core::trading::PositionSide::Net,
        client_order_id: "agg-trade-1".into(),
    };
    let placed = rest
        .place_order(&order, &filters, Some(d("60000")))
        .await
        .unwrap();
    let rampart_venues::binance_usdm::algo::Placement::Order(placed) = placed.placement else {
        panic!("a market order goes to the regular endpoint")
    };
    assert_eq!(
        placed.status,
        rampart_venues::binance_usdm::models::OrderStatus::Filled
    );
    let trade = next_where(&mut events, |e| match e {
        MarketEvent::AggTrade(t) => Some(t.clone()),
        _ => None,
    })
    .await;
    assert_eq!(trade.symbol, "BTCUSDT");
    assert_eq!(trade.price, d("60000"), "a sell takes the best bid");
    assert_eq!(trade.qty, d("0.3"));
    assert!(trade.buyer_is_maker, "a taker sell: the buyer is the maker");
    stream.close().await;
    sim.stop().await;
}
