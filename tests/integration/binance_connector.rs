//! The Binance USDⓈ-M connector (rampart-venues) against the simulator (rampart-sim) over real
//! loopback sockets: REST over TLS 1.3, typed orders and their fills, the user-data and market
//! streams with their reconnects, the rate budget, malformed answers, the venue-neutral trait,
//! clock offsets and Ed25519 keys. The two crates share no code, so agreement here means both
//! follow Binance's documented behaviour.
//!
//! Prices move only when a test says so (`tick_interval_ms: 0` and `set_mark_price`), except in
//! the market-stream test, so fills and PnL are exact. Every wait on a stream is bounded in time
//! and in events.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rampart_core::{OrderType, Price, Side, TimeInForce};
use rampart_sim::binance_usdm::{SimAccount, SimConfig, SimPosition, SimServer};
use rampart_venues::binance_usdm::algo::{AlgoStatus, Placement};
use rampart_venues::binance_usdm::models::{Order, OrderStatus as WireStatus, WorkingType};
use rampart_venues::binance_usdm::ws::connection::StreamOptions;
use rampart_venues::binance_usdm::ws::market_stream::{
    MarketStream, book_ticker_stream, mark_price_stream,
};
use rampart_venues::binance_usdm::ws::parse::MarketEvent;
use rampart_venues::binance_usdm::ws::user_events::UserEvent;
use rampart_venues::binance_usdm::ws::user_stream::{UserStream, UserStreamOptions, resync};
use rampart_venues::binance_usdm::{
    BinanceUsdm, ClientOptions, FilterViolation, HoldReason, OrderRequest, RestClient,
    SymbolFilters, VenueError,
};
use rampart_venues::venue::{self, OrderStatus, TriggerBy, Venue};
use rust_decimal::Decimal;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::time::timeout;

use super::binance_sim::post_order;
use super::support::{
    BTC, KEY, SECRET, btc_filters, d, holds_for, listener, market_order, one_account, order,
    order_request, start, start_tls, until_stream_subscriptions,
};

/// The longest any single wait on the network or a stream may take.
const WAIT: Duration = Duration::from_secs(5);

fn local_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|t| i64::try_from(t.as_millis()).unwrap())
        .unwrap()
}

/// One HMAC account, prices still unless a test moves them, Binance's default limits.
fn config() -> SimConfig {
    SimConfig {
        accounts: one_account(),
        tick_interval_ms: 0,
        seed: 7,
        ..Default::default()
    }
}

/// The options a desk uses for this simulator: trust its certificate when it serves TLS.
fn options_for(sim: &SimServer) -> ClientOptions {
    ClientOptions {
        extra_root_pem: sim.cert_pem(),
        ..ClientOptions::default()
    }
}

/// A client for `sim` with `secret`, its clock measured (as the desk does when an account
/// connects).
async fn connect_with(sim: &SimServer, api_key: &str, secret: &str) -> RestClient {
    let client =
        RestClient::with_options(&sim.base_url(), api_key, secret, &options_for(sim)).unwrap();
    client.sync_clock().await.unwrap();
    client
}

async fn connect(sim: &SimServer) -> RestClient {
    connect_with(sim, KEY, SECRET).await
}

/// A 0.002 BTCUSDT LIMIT buy at 59000: below a 60000 mark, it rests.
fn resting_bid(id: &str) -> OrderRequest {
    order(
        id,
        Side::Buy,
        OrderType::Limit,
        "0.002",
        Some("59000"),
        None,
    )
}

/// Places a MARKET or LIMIT order (checked against `filters` at `mark`) that must go to
/// `POST /fapi/v1/order`, and returns the venue's answer.
async fn place(
    client: &RestClient,
    request: &OrderRequest,
    filters: &SymbolFilters,
    mark: &str,
) -> Order {
    let placed = client
        .place_order(request, filters, Some(d(mark)))
        .await
        .unwrap_or_else(|e| panic!("{}: {e:?}", request.client_order_id));
    assert_eq!(placed.client_order_id, request.client_order_id);
    match placed.placement {
        Placement::Order(order) => order,
        Placement::Algo(algo) => panic!("a regular order went to the Algo Service: {algo:?}"),
    }
}

/// The next event, within [`WAIT`].
async fn recv<T>(rx: &mut mpsc::Receiver<T>, what: &str) -> T {
    timeout(WAIT, rx.recv())
        .await
        .unwrap_or_else(|_| panic!("nothing within {WAIT:?} while waiting for {what}"))
        .unwrap_or_else(|| panic!("the stream ended while waiting for {what}"))
}

/// Skips events until `pick` takes one: at most `max` events, each within [`WAIT`].
async fn until<T: std::fmt::Debug, R>(
    rx: &mut mpsc::Receiver<T>,
    max: usize,
    what: &str,
    mut pick: impl FnMut(&T) -> Option<R>,
) -> R {
    let mut skipped = Vec::new();
    for _ in 0..max {
        let event = recv(rx, what).await;
        if let Some(found) = pick(&event) {
            return found;
        }
        skipped.push(format!("{event:?}"));
    }
    panic!("no {what} in {max} events: {skipped:#?}");
}

/// POSTs a LIMIT order outside the connector, signed with `secret` at `timestamp`.
async fn raw_order(
    base: &str,
    secret: &str,
    id: &str,
    timestamp: i64,
    recv_window: &str,
) -> (u16, Value) {
    let params = [
        ("symbol", BTC),
        ("side", "BUY"),
        ("type", "LIMIT"),
        ("timeInForce", "GTC"),
        ("quantity", "0.002"),
        ("price", "59000"),
        ("newClientOrderId", id),
        ("recvWindow", recv_window),
    ];
    let client = reqwest::Client::new();
    let (status, body, _) = post_order(&client, base, KEY, secret, &params, timestamp).await;
    (status, body)
}

// ---------------------------------------------------------------------------------------------
// 1. A round trip over TLS 1.3

#[tokio::test]
async fn a_market_buy_over_tls_fills_from_the_book_and_its_pnl_lands_in_the_wallet() {
    let sim = start_tls(config()).await;
    assert!(sim.base_url().starts_with("https://127.0.0.1:"));
    assert!(sim.set_mark_price(BTC, d("60000")));

    // A client that does not trust the simulator's self-signed certificate cannot reach it.
    let stranger = RestClient::new(&sim.base_url(), KEY, SECRET).unwrap();
    let refused = stranger.sync_clock().await.unwrap_err();
    assert!(
        matches!(refused, VenueError::Connectivity(_)),
        "{refused:?}"
    );
    assert!(refused.trader_message().contains("could not be reached"));

    let client = connect(&sim).await;
    assert!(client.clock_offset_ms().unwrap().abs() < 200);
    let filters = btc_filters(&client).await;
    assert_eq!(
        (filters.price.step, filters.lot.step),
        (d("0.1"), d("0.001"))
    );
    let wallet = d("100000");

    // MARKET buy 0.010 at mark 60000: the best ask is one tick above the mark.
    let buy = order(
        "tls-open-1",
        Side::Buy,
        OrderType::Market,
        "0.010",
        None,
        None,
    );
    let filled = place(&client, &buy, &filters, "60000").await;
    assert_eq!(filled.status, WireStatus::Filled);
    assert_eq!(filled.client_order_id, "tls-open-1");
    assert_eq!(filled.executed_qty, d("0.010"));
    let entry = filled.avg_price.unwrap();
    assert_eq!(entry, d("60000.1"));
    assert_eq!(filled.cum_quote, d("600.001"));

    let v3 = client.position_risk_v3(Some(BTC)).await.unwrap();
    assert_eq!(v3.len(), 1, "{v3:?}");
    assert_eq!((v3[0].position_amt, v3[0].entry_price), (d("0.010"), entry));
    let v2 = client.position_risk_v2(Some(BTC)).await.unwrap();
    assert_eq!(v2.len(), 1, "{v2:?}");
    assert_eq!((v2[0].position_amt, v2[0].entry_price), (d("0.010"), entry));
    assert_eq!(
        sim.position(KEY, BTC),
        Some(SimPosition {
            amt: d("0.010"),
            entry,
        })
    );

    // The mark rises: unrealised PnL = qty × (mark − entry), exactly.
    assert!(sim.set_mark_price(BTC, d("60500")));
    let upnl = d("0.010") * (d("60500") - entry);
    assert_eq!(upnl, d("4.999"));
    let v3 = client.position_risk_v3(Some(BTC)).await.unwrap();
    assert_eq!(
        (v3[0].mark_price, v3[0].un_realized_profit),
        (d("60500"), upnl)
    );
    let v2 = client.position_risk_v2(Some(BTC)).await.unwrap();
    assert_eq!(v2[0].un_realized_profit, upnl);

    let balances = client.balances_v3().await.unwrap();
    let usdt = balances.iter().find(|b| b.asset == "USDT").unwrap();
    assert_eq!((usdt.balance, usdt.cross_un_pnl), (wallet, upnl));
    let account = client.account_v3().await.unwrap();
    assert_eq!(account.total_wallet_balance, wallet);
    assert_eq!(account.total_unrealized_profit, upnl);
    assert_eq!(account.total_margin_balance, wallet + upnl);
    assert_eq!(account.assets[0].wallet_balance, wallet);
    let pos = account.positions.iter().find(|p| p.symbol == BTC).unwrap();
    assert_eq!(
        (pos.position_amt, pos.unrealized_profit),
        (d("0.010"), upnl)
    );

    // A reduce-only MARKET sell closes it at the best bid (the mark): PnL realised.
    let mut close = order(
        "tls-close-1",
        Side::Sell,
        OrderType::Market,
        "0.010",
        None,
        None,
    );
    close.reduce_only = true;
    let closed = place(&client, &close, &filters, "60500").await;
    assert_eq!(closed.status, WireStatus::Filled);
    assert!(closed.reduce_only);
    assert_eq!(closed.avg_price, Some(d("60500")));
    assert_eq!(sim.wallet_balance(KEY), Some(wallet + upnl));
    let usdt = client.balances_v3().await.unwrap().remove(0);
    assert_eq!((usdt.balance, usdt.cross_un_pnl), (d("100004.999"), d("0")));
    assert!(client.position_risk_v3(Some(BTC)).await.unwrap().is_empty());
    assert_eq!(
        client.position_risk_v2(Some(BTC)).await.unwrap()[0].position_amt,
        d("0")
    );
    sim.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 2. Resting, conditional and refused orders

#[tokio::test]
async fn limits_rest_and_fill_cancels_work_and_bad_orders_are_refused_with_reasons() {
    let sim = start(config()).await;
    assert!(sim.set_mark_price(BTC, d("60000")));
    let client = connect(&sim).await;
    let filters = btc_filters(&client).await;

    // A LIMIT GTC buy below the mark rests.
    let mut bid = resting_bid("rest-1");
    bid.time_in_force = Some(TimeInForce::Gtc);
    let placed = place(&client, &bid, &filters, "60000").await;
    assert_eq!(placed.status, WireStatus::New);
    assert_eq!(placed.price, d("59000"));
    let open = client.list_open_orders(Some(BTC)).await.unwrap();
    assert_eq!(
        open.iter()
            .map(|o| o.client_order_id.as_str())
            .collect::<Vec<_>>(),
        ["rest-1"]
    );

    // With the mark at the bid's price the best ask (mark + 0.1) is still a tick above it.
    sim.set_mark_price(BTC, d("59000"));
    let still = client.query_order(BTC, "rest-1").await.unwrap().unwrap();
    assert_eq!(still.status, WireStatus::New);
    // The ask moves through it: filled at the order's price.
    sim.set_mark_price(BTC, d("58999.9"));
    let done = client.query_order(BTC, "rest-1").await.unwrap().unwrap();
    assert_eq!(done.status, WireStatus::Filled);
    assert_eq!(done.avg_price, Some(d("59000")));
    assert_eq!(
        sim.position(KEY, BTC),
        Some(SimPosition {
            amt: d("0.002"),
            entry: d("59000"),
        })
    );
    assert!(client.list_open_orders(Some(BTC)).await.unwrap().is_empty());
    // (The stop-market sell is the next test: conditional orders go to the Algo Service.)
    sim.set_mark_price(BTC, d("58000"));

    // Cancel by client id.
    let mut rest = order(
        "rest-2",
        Side::Buy,
        OrderType::Limit,
        "0.002",
        Some("57500"),
        None,
    );
    place(&client, &rest, &filters, "58000").await;
    let cancelled = client.cancel_order(BTC, "rest-2").await.unwrap();
    assert_eq!(
        (cancelled.status, cancelled.client_order_id.as_str()),
        (WireStatus::Canceled, "rest-2")
    );
    // Cancel-all empties the book of our orders.
    for (id, price) in [("rest-3", "57500"), ("rest-4", "57400.5")] {
        rest.client_order_id = id.into();
        rest.price = Some(Price::from_str(price).unwrap());
        place(&client, &rest, &filters, "58000").await;
    }
    assert_eq!(client.list_open_orders(Some(BTC)).await.unwrap().len(), 2);
    client.cancel_all_open_orders(BTC).await.unwrap();
    assert!(client.list_open_orders(Some(BTC)).await.unwrap().is_empty());
    assert_eq!(
        sim.order_by_client_id(KEY, BTC, "rest-4").unwrap().1["status"],
        "CANCELED"
    );

    // Post-only at or through the best ask (58000.1) would take: -5022.
    let mut gtx = order(
        "gtx-1",
        Side::Buy,
        OrderType::Limit,
        "0.002",
        Some("58000.1"),
        None,
    );
    gtx.time_in_force = Some(TimeInForce::PostOnly);
    let err = client
        .place_order(&gtx, &filters, Some(d("58000")))
        .await
        .unwrap_err();
    assert_eq!(err.venue_code(), Some(-5022), "{err:?}");
    let told = err.trader_message();
    assert!(
        told.contains("post-only") && told.contains("Move the price"),
        "{told}"
    );
    assert!(!err.outcome_unknown());

    // Reduce-only that would grow the long: -2022.
    let mut grow = order("grow-1", Side::Buy, OrderType::Market, "0.001", None, None);
    grow.reduce_only = true;
    let err = client
        .place_order(&grow, &filters, Some(d("58000")))
        .await
        .unwrap_err();
    assert_eq!(err.venue_code(), Some(-2022), "{err:?}");
    assert!(err.trader_message().contains("reduce-only"));

    // Off tick: refused before sending, naming the nearest valid prices.
    let before = sim.order_count();
    let off = order(
        "off-tick-1",
        Side::Buy,
        OrderType::Limit,
        "0.002",
        Some("57000.05"),
        None,
    );
    let err = client
        .place_order(&off, &filters, Some(d("58000")))
        .await
        .unwrap_err();
    match &err {
        VenueError::Validation(FilterViolation::OffStep { below, above, .. }) => {
            assert_eq!((*below, *above), (d("57000"), d("57000.1")));
        }
        other => panic!("expected an off-tick validation error, got {other:?}"),
    }
    assert!(err.not_sent());
    let told = err.trader_message();
    assert!(
        told.contains("57000.05") && told.contains("57000 ") && told.contains("57000.1"),
        "{told}"
    );
    assert_eq!(sim.order_count(), before);
    assert!(sim.order_by_client_id(KEY, BTC, "off-tick-1").is_none());
    sim.stop().await;
}

#[tokio::test]
async fn a_reduce_only_stop_market_waits_in_the_algo_service_and_closes_when_the_mark_reaches_it() {
    let sim = start(config()).await;
    assert!(sim.set_mark_price(BTC, d("60000")));
    let client = connect(&sim).await;
    let filters = btc_filters(&client).await;
    let buy = order(
        "stop-open-1",
        Side::Buy,
        OrderType::Market,
        "0.002",
        None,
        None,
    );
    let entry = place(&client, &buy, &filters, "60000")
        .await
        .avg_price
        .unwrap();
    assert_eq!(entry, d("60000.1"));

    // A stop-loss: reduce-only STOP_MARKET sell on the mark, 1000 below.
    let mut stop = order(
        "stop-1",
        Side::Sell,
        OrderType::StopMarket,
        "0.002",
        None,
        Some("59000"),
    );
    stop.reduce_only = true;
    stop.working_type = Some(WorkingType::MarkPrice);
    let placed = client
        .place_order(&stop, &filters, Some(d("60000")))
        .await
        .unwrap();
    assert_eq!(placed.client_order_id, "stop-1");
    let Placement::Algo(algo) = placed.placement else {
        panic!("a STOP_MARKET must go to the Algo Service: {placed:?}");
    };
    assert_eq!(algo.algo_status, AlgoStatus::New);
    assert_eq!(algo.trigger_price, d("59000"));
    assert!(algo.reduce_only);
    assert_eq!(algo.working_type, Some(WorkingType::MarkPrice));
    assert_eq!(client.open_algo_orders(Some(BTC)).await.unwrap().len(), 1);

    // One tick above the stop: still waiting.
    sim.set_mark_price(BTC, d("59000.1"));
    let waiting = client.query_algo_order("stop-1").await.unwrap().unwrap();
    assert_eq!(waiting.algo_status, AlgoStatus::New);
    assert_eq!(waiting.actual_order_id, None);
    assert_eq!(
        sim.position(KEY, BTC),
        Some(SimPosition {
            amt: d("0.002"),
            entry,
        })
    );

    // At the stop: it fires a MARKET sell that closes the long at the best bid (the mark).
    sim.set_mark_price(BTC, d("59000"));
    let fired = client.query_algo_order("stop-1").await.unwrap().unwrap();
    assert!(
        matches!(
            fired.algo_status,
            AlgoStatus::Triggered | AlgoStatus::Finished
        ),
        "{fired:?}"
    );
    let actual = fired.actual_order_id.expect("the order the stop placed");
    let closed = client
        .query_order_by_id(BTC, actual)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(closed.status, WireStatus::Filled);
    assert_eq!(closed.side, Side::Sell);
    assert_eq!(
        (closed.executed_qty, closed.avg_price),
        (d("0.002"), Some(d("59000")))
    );
    assert_eq!(
        sim.position(KEY, BTC),
        Some(SimPosition {
            amt: d("0"),
            entry: d("0"),
        })
    );
    // Realised: 0.002 × (59000 − 60000.1).
    assert_eq!(sim.wallet_balance(KEY), Some(d("99997.9998")));
    assert!(client.open_algo_orders(Some(BTC)).await.unwrap().is_empty());
    sim.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 3. The user data stream

#[tokio::test]
async fn the_user_stream_delivers_order_and_account_events_and_resyncs_after_a_drop() {
    let sim = start_tls(config()).await;
    sim.set_mark_price(BTC, d("60000"));
    let client = Arc::new(connect(&sim).await);
    let filters = btc_filters(&client).await;
    let tls = rampart_venues::tls::client_config(sim.cert_pem().as_deref()).unwrap();
    let options = UserStreamOptions {
        stream: StreamOptions {
            backoff_initial: Duration::from_millis(50),
            backoff_max: Duration::from_millis(500),
            tls: Some(tls),
            ..StreamOptions::default()
        },
        ..UserStreamOptions::default()
    };
    assert!(sim.ws_base_url().starts_with("wss://"));
    let (stream, mut events) =
        UserStream::start(client.clone(), &sim.ws_base_url(), options).unwrap();
    let first = recv(&mut events, "the first event").await;
    assert_eq!(first, UserEvent::Resync);
    // The simulator subscribes its side once the upgrade completes, just after the client's
    // handshake returns: wait for that so no event races the subscription.
    until_stream_subscriptions(1, || sim.stream_subscriptions()).await;

    let rest = resting_bid("us-rest-1");
    place(&client, &rest, &filters, "60000").await;
    let new = until(&mut events, 20, "the resting order's NEW", |e| match e {
        UserEvent::OrderUpdate(o) if o.client_order_id == "us-rest-1" => Some(o.clone()),
        _ => None,
    })
    .await;
    assert_eq!(
        (new.execution_type.as_str(), new.order_status.as_str()),
        ("NEW", "NEW")
    );
    assert_eq!((new.price, new.orig_qty), (d("59000"), d("0.002")));

    let buy = order(
        "us-fill-1",
        Side::Buy,
        OrderType::Market,
        "0.002",
        None,
        None,
    );
    place(&client, &buy, &filters, "60000").await;
    let trade = until(&mut events, 20, "the market order's fill", |e| match e {
        UserEvent::OrderUpdate(o)
            if o.client_order_id == "us-fill-1" && o.execution_type == "TRADE" =>
        {
            Some(o.clone())
        }
        _ => None,
    })
    .await;
    assert_eq!(trade.order_status, "FILLED");
    assert_eq!(
        (trade.last_filled_qty, trade.last_filled_price),
        (d("0.002"), d("60000.1"))
    );
    let account = until(
        &mut events,
        20,
        "the ACCOUNT_UPDATE of the fill",
        |e| match e {
            UserEvent::AccountUpdate(a) => Some(a.clone()),
            _ => None,
        },
    )
    .await;
    let pos = account.positions.iter().find(|p| p.symbol == BTC).unwrap();
    assert_eq!(
        (pos.position_amount, pos.entry_price),
        (d("0.002"), d("60000.1"))
    );
    assert_eq!(account.balances[0].wallet_balance, d("100000"));

    // The link drops: the owner is told, and told to resync once it is back.
    sim.drop_stream_connections();
    until(&mut events, 20, "Disconnected", |e| {
        matches!(e, UserEvent::Disconnected { .. }).then_some(())
    })
    .await;
    until(&mut events, 20, "Resync after the reconnect", |e| {
        (*e == UserEvent::Resync).then_some(())
    })
    .await;
    let snapshot = resync(&client).await.unwrap();
    assert_eq!(
        snapshot
            .open_orders
            .iter()
            .map(|o| o.client_order_id.as_str())
            .collect::<Vec<_>>(),
        ["us-rest-1"]
    );
    let pos = snapshot.positions.iter().find(|p| p.symbol == BTC).unwrap();
    assert_eq!(
        (pos.position_amt, pos.entry_price),
        (d("0.002"), d("60000.1"))
    );
    assert_eq!(snapshot.balances[0].balance, d("100000"));

    // Events still arrive on the new connection (once the simulator has subscribed it).
    until_stream_subscriptions(2, || sim.stream_subscriptions()).await;
    client.cancel_order(BTC, "us-rest-1").await.unwrap();
    let cancelled = until(
        &mut events,
        20,
        "the cancel after the reconnect",
        |e| match e {
            UserEvent::OrderUpdate(o) if o.client_order_id == "us-rest-1" => Some(o.clone()),
            _ => None,
        },
    )
    .await;
    assert_eq!(
        (
            cancelled.execution_type.as_str(),
            cancelled.order_status.as_str()
        ),
        ("CANCELED", "CANCELED")
    );
    timeout(WAIT, stream.close()).await.unwrap();
    sim.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 4. The market stream

#[tokio::test]
async fn the_market_stream_delivers_decimal_marks_and_book_tickers_and_reconnects_after_a_drop() {
    let sim = start(SimConfig {
        tick_interval_ms: 20,
        ..config()
    })
    .await;
    let streams = [mark_price_stream(BTC, false), book_ticker_stream(BTC)];
    assert_eq!(streams, ["btcusdt@markPrice", "btcusdt@bookTicker"]);
    let options = StreamOptions {
        backoff_initial: Duration::from_millis(50),
        backoff_max: Duration::from_millis(500),
        ..StreamOptions::default()
    };
    let (stream, mut events) = MarketStream::start(&sim.ws_base_url(), &streams, options).unwrap();
    assert_eq!(recv(&mut events, "Connected").await, MarketEvent::Connected);

    let mark = until(&mut events, 200, "a mark price", |e| match e {
        MarketEvent::MarkPrice(m) => Some(m.clone()),
        _ => None,
    })
    .await;
    assert_eq!(mark.symbol, BTC);
    // Decimal text with Binance's 8 places, on the 0.1 tick, near the start of 60000.
    assert_eq!(mark.mark_price.scale(), 8);
    assert!((mark.mark_price % d("0.1")).is_zero(), "{mark:?}");
    assert!(
        (d("59000")..d("61000")).contains(&mark.mark_price),
        "{mark:?}"
    );
    let ticker = until(&mut events, 200, "a book ticker", |e| match e {
        MarketEvent::BookTicker(t) => Some(t.clone()),
        _ => None,
    })
    .await;
    assert_eq!(ticker.ask_price - ticker.bid_price, d("0.1"));
    // Sizes are whole multiples of BTCUSDT's level size (0.5), whatever the mark has done.
    for qty in [ticker.bid_qty, ticker.ask_qty] {
        assert!(qty > d("0") && (qty % d("0.5")).is_zero(), "{ticker:?}");
    }

    // A mark set by hand arrives exactly, with the book ticker around it right after.
    sim.set_mark_price(BTC, d("61234.5"));
    until(&mut events, 400, "the mark set by hand", |e| match e {
        MarketEvent::MarkPrice(m) if m.mark_price == d("61234.5") => Some(()),
        _ => None,
    })
    .await;
    match recv(&mut events, "the book ticker after it").await {
        MarketEvent::BookTicker(t) => {
            assert_eq!((t.bid_price, t.ask_price), (d("61234.5"), d("61234.6")));
        }
        other => panic!("expected the book ticker, got {other:?}"),
    }

    // The link drops: Disconnected, Reconnected, and marks keep coming.
    let before_drop = mark.event_time;
    sim.drop_stream_connections();
    let reason = until(&mut events, 400, "Disconnected", |e| match e {
        MarketEvent::Disconnected { reason } => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(!reason.is_empty());
    until(&mut events, 400, "Reconnected", |e| {
        (*e == MarketEvent::Reconnected).then_some(())
    })
    .await;
    let after = until(
        &mut events,
        200,
        "a mark after the reconnect",
        |e| match e {
            MarketEvent::MarkPrice(m) => Some(m.clone()),
            _ => None,
        },
    )
    .await;
    assert!(after.event_time > before_drop);
    until(&mut events, 200, "a book ticker after the reconnect", |e| {
        matches!(e, MarketEvent::BookTicker(_)).then_some(())
    })
    .await;
    timeout(WAIT, stream.close()).await.unwrap();
    sim.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 5. The rate budget

#[tokio::test]
async fn a_burst_of_weighty_requests_is_held_by_the_budget_and_never_draws_a_429() {
    // The budget and the simulator count per clock minute: start the burst well inside one.
    let into_minute = local_ms().rem_euclid(60_000);
    if into_minute > 55_000 {
        let wait = u64::try_from(60_000 - into_minute + 200).unwrap();
        tokio::time::sleep(Duration::from_millis(wait)).await;
    }
    let sim = start(config()).await;
    let client = connect(&sim).await; // weight 1
    btc_filters(&client).await; // weight 1; adopts REQUEST_WEIGHT 2400
    assert_eq!(client.weight_allowance(), 2160);

    let (mut sent, mut held) = (0u32, 0u32);
    for _ in 0..500 {
        match client.account_v3().await {
            Ok(_) => sent += 1,
            Err(VenueError::Held {
                reason: HoldReason::Weight,
                wait_ms,
                ..
            }) => {
                assert!((0..=60_000).contains(&wait_ms));
                held += 1;
            }
            Err(other) => panic!("after {sent} sent and {held} held: {other:?}"),
        }
    }
    assert_eq!(sent + held, 500);
    assert!(sent * 5 <= 2160, "{sent} sent");
    assert!(held > 0);
    // Exactly what fits: (2160 − 2) / 5.
    assert_eq!((sent, held), (431, 69));

    // A held request says so in words, and nothing was sent.
    let err = client.position_risk_v2(None).await.unwrap_err();
    assert!(err.not_sent());
    assert!(
        err.trader_message().contains("nothing was sent"),
        "{}",
        err.trader_message()
    );

    // The simulator never had to say 429: its count is under its limit and a plain request
    // still succeeds.
    let response = reqwest::get(format!("{}/fapi/v1/time", sim.base_url()))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let used: u32 = response.headers()["X-MBX-USED-WEIGHT-1M"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(used, 2 + 431 * 5 + 1);
    assert!(used <= 2400);
    assert_eq!(client.mark_price(BTC).await.unwrap().symbol, BTC);
    sim.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 6. Malformed answers

/// A loopback HTTP/1.1 server answering by path: the first `/fapi/v1/time` truncated, later ones
/// well formed; `/fapi/v3/account` `[]`; `/fapi/v1/premiumIndex` and `/fapi/v2/positionRisk`
/// with numbers where Binance documents strings; `/fapi/v3/balance` a 400 that is not a
/// Binance error. Serves at most `max` connections.
async fn malformed_venue(max: usize) -> (String, tokio::task::JoinHandle<()>) {
    let listener = listener().await;
    let base = format!("http://{}", listener.local_addr().unwrap());
    let times = Arc::new(AtomicUsize::new(0));
    let task = tokio::spawn(async move {
        for _ in 0..max {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let times = times.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65_536 {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head);
                let target = text.split_whitespace().nth(1).unwrap_or("");
                let path = target.split('?').next().unwrap_or("");
                let (status, body) = match path {
                    "/fapi/v1/time" if times.fetch_add(1, Ordering::SeqCst) == 0 => {
                        ("200 OK", r#"{"serverTime":"#.to_owned())
                    }
                    "/fapi/v1/time" => ("200 OK", format!(r#"{{"serverTime":{}}}"#, local_ms())),
                    "/fapi/v3/account" => ("200 OK", "[]".to_owned()),
                    "/fapi/v1/premiumIndex" => (
                        "200 OK",
                        r#"{"symbol":"BTCUSDT","markPrice":60000.1,"indexPrice":60000.0,
                            "estimatedSettlePrice":60000.0,"lastFundingRate":0.0001,
                            "interestRate":0.0001,"nextFundingTime":1,"time":1}"#
                            .to_owned(),
                    ),
                    "/fapi/v2/positionRisk" => (
                        "200 OK",
                        r#"[{"entryPrice":60000.1,"breakEvenPrice":60000.1,"marginType":"cross",
                            "isAutoAddMargin":"false","isolatedMargin":0,"leverage":20,
                            "liquidationPrice":0,"markPrice":60000,"maxNotionalValue":1,
                            "positionAmt":0.01,"notional":600,"isolatedWallet":0,
                            "symbol":"BTCUSDT","unRealizedProfit":0,"positionSide":"BOTH",
                            "updateTime":1}]"#
                            .to_owned(),
                    ),
                    "/fapi/v3/balance" => (
                        "400 Bad Request",
                        "<html><body>Bad Request</body></html>".to_owned(),
                    ),
                    _ => ("404 Not Found", String::new()),
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (base, task)
}

fn assert_malformed(result: Result<impl std::fmt::Debug, VenueError>, what: &str) {
    match result {
        Err(e @ VenueError::Malformed(_)) => {
            assert!(
                e.trader_message().contains("not in the documented shape"),
                "{what}: {}",
                e.trader_message()
            );
            assert!(!e.not_sent());
        }
        other => panic!("{what}: expected Malformed, got {other:?}"),
    }
}

#[tokio::test]
async fn answers_not_in_the_documented_shape_are_malformed_errors_not_panics() {
    let (base, server) = malformed_venue(32).await;
    let client = RestClient::new(&base, KEY, SECRET).unwrap();
    assert_malformed(
        timeout(WAIT, client.sync_clock()).await.unwrap(),
        "truncated serverTime",
    );
    assert_eq!(client.clock_offset_ms(), None);
    // Measured on the next, well-formed answer: signed calls can go out.
    timeout(WAIT, client.sync_clock()).await.unwrap().unwrap();

    assert_malformed(
        timeout(WAIT, client.account_v3()).await.unwrap(),
        "[] for account",
    );
    assert_malformed(
        timeout(WAIT, client.mark_price(BTC)).await.unwrap(),
        "numbers for premiumIndex prices",
    );
    assert_malformed(
        timeout(WAIT, client.position_risk_v2(Some(BTC)))
            .await
            .unwrap(),
        "numbers for positionRisk figures",
    );
    let err = timeout(WAIT, client.balances_v3())
        .await
        .unwrap()
        .unwrap_err();
    match &err {
        VenueError::Malformed(why) => assert!(why.contains("HTTP 400"), "{why}"),
        other => panic!("400 with a non-Binance body: expected Malformed, got {other:?}"),
    }
    assert!(!err.trader_message().is_empty());
    server.abort();
}

// ---------------------------------------------------------------------------------------------
// 7. The venue-neutral trait

/// The one order the venue has under `id`.
async fn found(binance: &BinanceUsdm, id: &str) -> venue::OrderState {
    match binance.order_by_client_id(BTC, id).await.unwrap() {
        venue::ClientIdLookup::Found(state) => state,
        other => panic!("{id}: {other:?}"),
    }
}

/// Open orders of BTCUSDT, polled every 50 ms until `done` or 40 polls.
async fn poll_open_orders(
    binance: &BinanceUsdm,
    done: impl Fn(&[venue::OrderState]) -> bool,
) -> Vec<venue::OrderState> {
    let mut open = Vec::new();
    for _ in 0..40 {
        open = binance.open_orders(Some(BTC)).await.unwrap();
        if done(&open) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    open
}

#[tokio::test]
async fn binance_behind_the_venue_trait_trades_reports_and_its_dead_mans_switch_cancels() {
    let sim = start(config()).await;
    sim.set_mark_price(BTC, d("60000"));
    let client =
        RestClient::with_options(&sim.base_url(), KEY, SECRET, &options_for(&sim)).unwrap();
    let binance = BinanceUsdm::new(client);
    assert_eq!(binance.venue(), rampart_core::Venue::BinanceUsdm);
    assert!(binance.sync_clock().await.unwrap().abs() < 200);

    let rules = binance.instruments(false).await.unwrap();
    assert_eq!(
        rules.iter().map(|r| r.symbol.as_str()).collect::<Vec<_>>(),
        ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    );

    // The account's fee rates (the simulator charges none and says so); an unlisted symbol is
    // the venue's -1121.
    let fees = binance.fee_rates(BTC).await.unwrap();
    assert_eq!(
        (fees.symbol.as_str(), fees.maker, fees.taker),
        (BTC, d("0"), d("0"))
    );
    let unlisted = binance.fee_rates("NOPEUSDT").await.unwrap_err();
    assert_eq!(
        unlisted.venue_code.as_deref(),
        Some("-1121"),
        "{unlisted:?}"
    );
    let btc = &rules[0];
    assert_eq!((btc.tick_size, btc.step_size), (d("0.1"), d("0.001")));
    assert_eq!(
        (btc.min_qty, btc.max_market_qty, btc.min_notional),
        (d("0.001"), d("120"), d("100"))
    );
    assert!(btc.trading);

    // A resting limit through the neutral request (the connector fetches the mark itself).
    let mut bid = order_request(BTC, "v-rest-1", Side::Buy, OrderType::Limit, "0.002", None);
    bid.price = Some(Price::from_str("59000").unwrap());
    let ack = binance.place_order(&bid).await.unwrap();
    assert_eq!(
        (ack.status, ack.client_order_id.as_str()),
        (OrderStatus::Open, "v-rest-1")
    );
    let state = found(&binance, "v-rest-1").await;
    assert_eq!(state.order_type, Some(OrderType::Limit));
    assert_eq!(
        (state.qty, state.price, state.filled_qty),
        (d("0.002"), Some(d("59000")), d("0"))
    );
    assert_eq!(state.venue_order_id, ack.venue_order_id);
    assert_eq!(
        binance.order_by_client_id(BTC, "never-sent").await.unwrap(),
        venue::ClientIdLookup::NotFound
    );

    // A market buy fills; the position shows it with the leverage in force.
    let ack = binance
        .place_order(&market_order(BTC, "v-buy-1", Side::Buy, "0.003"))
        .await
        .unwrap();
    assert_eq!(ack.status, OrderStatus::Filled);
    assert_eq!(
        (ack.filled_qty, ack.avg_fill_price),
        (d("0.003"), Some(d("60000.1")))
    );
    let positions = binance.positions(Some(BTC)).await.unwrap();
    assert_eq!(positions.len(), 1, "{positions:?}");
    let p = &positions[0];
    assert_eq!(
        (p.qty, p.entry_price, p.mark_price),
        (d("0.003"), d("60000.1"), d("60000"))
    );
    assert_eq!(p.unrealized_pnl, d("-0.0003"));
    assert_eq!(p.leverage, Some(d("20")));
    assert!(binance.positions(Some("ETHUSDT")).await.unwrap().is_empty());

    let leverage = |l: i64| venue::LeverageRequest {
        symbol: BTC.into(),
        leverage: venue::Leverage::both(Decimal::from(l)),
        margin_mode: None,
    };
    assert_eq!(
        binance.set_leverage(&leverage(10)).await.unwrap(),
        venue::Leverage::both(d("10"))
    );
    assert_eq!(
        binance.positions(Some(BTC)).await.unwrap()[0].leverage,
        Some(d("10"))
    );
    let err = binance.set_leverage(&leverage(126)).await.unwrap_err();
    assert!(err.not_sent, "{err:?}");
    let mut split = leverage(10);
    split.leverage.sell = d("5");
    assert!(binance.set_leverage(&split).await.unwrap_err().not_sent);
    let mut fractional = leverage(10);
    fractional.leverage = venue::Leverage::both(d("12.5"));
    let err = binance.set_leverage(&fractional).await.unwrap_err();
    assert!(err.message.contains("use 12 or 13"), "{err:?}");

    let balances = binance.balances().await.unwrap();
    let usdt = balances.iter().find(|b| b.asset == "USDT").unwrap();
    assert_eq!(
        (usdt.wallet, usdt.unrealized_pnl),
        (d("100000"), d("-0.0003"))
    );

    let mark = binance.mark_price(BTC).await.unwrap();
    assert_eq!(
        (mark.symbol.as_str(), mark.mark, mark.index),
        (BTC, d("60000"), Some(d("60000")))
    );
    assert!(mark.next_funding_ms.is_some());

    let book = binance.order_book(BTC, 3).await.unwrap();
    assert_eq!((book.bids.len(), book.asks.len()), (5, 5));
    assert_eq!(
        (book.bids[0].price, book.bids[0].qty),
        (d("60000"), d("0.5"))
    );
    assert_eq!(
        (book.asks[0].price, book.asks[0].qty),
        (d("60000.1"), d("0.5"))
    );
    assert_eq!(
        (book.bids[1].price, book.bids[1].qty),
        (d("59999.9"), d("1"))
    );

    // The dead-man's switch, turned off in time, leaves orders alone.
    let btc_scope = venue::DeadMansScope::Symbol(BTC.into());
    binance
        .dead_mans_switch(&btc_scope, Duration::from_millis(300))
        .await
        .unwrap();
    binance
        .dead_mans_switch(&btc_scope, Duration::ZERO)
        .await
        .unwrap();
    assert!(
        binance
            .dead_mans_switch(&venue::DeadMansScope::Account, Duration::from_secs(10))
            .await
            .unwrap_err()
            .not_sent,
        "Binance's switch is per symbol"
    );
    // Stopped: the simulator holds no deadline, and the order stays open past the 300 ms the
    // switch was first set to.
    assert_eq!(sim.countdown_deadline(KEY, BTC), None);
    holds_for(
        Duration::from_millis(500),
        "the stopped switch cancelled",
        || {
            sim.order_by_client_id(KEY, BTC, "v-rest-1")
                .is_some_and(|(_, o)| o["status"] == "NEW")
        },
    )
    .await;
    let open = binance.open_orders(Some(BTC)).await.unwrap();
    assert_eq!(open.len(), 1, "{open:?}");

    // Left to run out, it cancels every open order of the symbol.
    binance
        .dead_mans_switch(&btc_scope, Duration::from_millis(200))
        .await
        .unwrap();
    let open = poll_open_orders(&binance, <[_]>::is_empty).await;
    assert!(open.is_empty(), "still open after 2 s: {open:?}");
    let state = found(&binance, "v-rest-1").await;
    assert_eq!(state.status, OrderStatus::Cancelled);
    // The position is untouched: the switch cancels orders, it does not close positions.
    assert_eq!(
        binance.positions(Some(BTC)).await.unwrap()[0].qty,
        d("0.003")
    );

    // A trigger-by choice goes through as Binance's workingType.
    let mut stop = order_request(
        BTC,
        "v-stop-1",
        Side::Sell,
        OrderType::StopMarket,
        "0.003",
        None,
    );
    stop.trigger_price = Some(Price::from_str("59000").unwrap());
    stop.trigger_by = Some(TriggerBy::Mark);
    stop.reduce_only = true;
    assert_eq!(
        binance.place_order(&stop).await.unwrap().status,
        OrderStatus::Open
    );
    let algo = binance
        .client()
        .query_algo_order("v-stop-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(algo.working_type, Some(WorkingType::MarkPrice));
    assert_eq!(algo.trigger_price, d("59000"));
    sim.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 8. The clock

/// A simulator whose clock runs `offset_ms` ahead of the local one; BTCUSDT's mark at 60000.
async fn start_with_clock_off(offset_ms: i64) -> SimServer {
    let sim = start(SimConfig {
        clock_offset_ms: offset_ms,
        ..config()
    })
    .await;
    sim.set_mark_price(BTC, d("60000"));
    sim
}

#[tokio::test]
async fn requests_are_signed_with_venue_time_when_the_venue_clock_is_off() {
    // The venue runs 3 s ahead. With a 2 s recvWindow a request stamped with the local clock
    // is too old; one stamped with venue time is accepted.
    let sim = start_with_clock_off(3000).await;
    let options = ClientOptions {
        recv_window_ms: 2000,
        ..ClientOptions::default()
    };
    let client = RestClient::with_options(&sim.base_url(), KEY, SECRET, &options).unwrap();
    let offset = client.sync_clock().await.unwrap();
    assert!((offset - 3000).abs() <= 200, "measured {offset} ms");
    assert_eq!(client.clock_offset_ms(), Some(offset));
    let filters = btc_filters(&client).await;
    let placed = place(&client, &resting_bid("clock-1"), &filters, "60000").await;
    assert_eq!(placed.status, WireStatus::New);
    client.account_v3().await.unwrap();

    let base = sim.base_url();
    let (status, body) = raw_order(&base, SECRET, "raw-local", local_ms(), "2000").await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (400, Some(-1021)),
        "{body}"
    );
    let (status, body) = raw_order(&base, SECRET, "raw-venue", local_ms() + offset, "2000").await;
    assert_eq!(status, 200, "{body}");
    sim.stop().await;

    // The venue runs 3 s behind: a local timestamp is "from the future" (≥ serverTime + 1000)
    // whatever the recvWindow; the connector's is not.
    let sim = start_with_clock_off(-3000).await;
    let client = connect(&sim).await;
    let offset = client.clock_offset_ms().unwrap();
    assert!((offset + 3000).abs() <= 200, "measured {offset} ms");
    let filters = btc_filters(&client).await;
    let placed = place(&client, &resting_bid("clock-2"), &filters, "60000").await;
    assert_eq!(placed.status, WireStatus::New);
    let (status, body) = raw_order(&sim.base_url(), SECRET, "raw-ahead", local_ms(), "5000").await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (400, Some(-1021)),
        "{body}"
    );
    sim.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 9. Ed25519 keys

#[tokio::test]
async fn an_ed25519_key_signs_orders_the_venue_accepts_and_a_foreign_key_is_refused() {
    use ed25519_dalek::SigningKey;
    use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
    use ed25519_dalek::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _};

    const ED_KEY: &str = "ed25519-test-api-key";
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let private_pem = key.to_pkcs8_pem(LineEnding::LF).unwrap();
    let public_pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let foreign_pem = SigningKey::from_bytes(&[9u8; 32])
        .to_pkcs8_pem(LineEnding::LF)
        .unwrap();

    let sim = start(SimConfig {
        accounts: vec![SimAccount {
            api_key: ED_KEY.into(),
            api_secret: public_pem,
            ..SimAccount::default()
        }],
        ..config()
    })
    .await;
    sim.set_mark_price(BTC, d("60000"));

    let client = connect_with(&sim, ED_KEY, &private_pem).await;
    let filters = btc_filters(&client).await;
    let bid = resting_bid("ed-1");
    let placed = place(&client, &bid, &filters, "60000").await;
    assert_eq!(placed.status, WireStatus::New);
    assert!(sim.order_by_client_id(ED_KEY, BTC, "ed-1").is_some());
    assert_eq!(
        client.account_v3().await.unwrap().total_wallet_balance,
        d("100000")
    );

    // Another key's signature for the same API key: -1022, and no order.
    let before = sim.order_count();
    let impostor = connect_with(&sim, ED_KEY, &foreign_pem).await;
    let mut other = bid.clone();
    other.client_order_id = "ed-2".into();
    let err = impostor
        .place_order(&other, &filters, Some(d("60000")))
        .await
        .unwrap_err();
    assert_eq!(err.venue_code(), Some(-1022), "{err:?}");
    assert!(err.trader_message().contains("signature"));
    assert_eq!(sim.order_count(), before);
    let err = impostor.account_v3().await.unwrap_err();
    assert_eq!(err.venue_code(), Some(-1022), "{err:?}");
    sim.stop().await;
}
