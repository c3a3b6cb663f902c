//! The OKX v5 connector against the OKX v5 simulator over real loopback sockets (one test over
//! TLS): orders in contracts on linear, inverse and dated contracts, stops and take-profits as
//! algo orders (waiting, firing, cancelled), the private and public
//! streams with a dropped connection, local refusals, the rate-limit budget, the engine's fault
//! plan (lost answers resolved by client id, none sent twice), the venue's clock, key
//! permissions, a wrong passphrase and the cancel-all-after dead man's switch.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rampart_core::{OrderType, Side, Venue as VenueId};
use rampart_engine::orders::{OrderError, OrderJournal, OrderTicket, PlacedStatus};
use rampart_sim::okx::{Faults, SimAccount, SimConfig, SimPermissions, SimServer};
use rampart_venues::binance_usdm::ClientOptions;
use rampart_venues::okx::{Okx, RestClient};
use rampart_venues::venue::{
    AccountUpdate, ClientIdLookup, DeadMansScope, ErrorKind, FeedEvent, FeedStatus, MarginMode,
    MarketSubscription, MarketUpdate, OrderRequest, OrderStatus, Venue,
};
use rust_decimal::Decimal;

use super::support::{
    d, engine_until, limit_order as limit, listener, market_order as market, next_event,
    open_engine, order_request, until_engine_ready, until_stream_subscriptions,
};

const KEY: &str = "5f1c2a9e-4b7d-4e21-9c3a-8d6b0f2e7a11";
const SECRET: &str = "B7E3C19A4F2D8E6B5A0C9D1E7F3A2B4C";
const PASSPHRASE: &str = "Rampart-okx-1";
/// A key that may only read.
const READ_KEY: &str = "0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d";
const READ_SECRET: &str = "0F1E2D3C4B5A69788796A5B4C3D2E1F0";
const SWAP: &str = "BTC-USDT-SWAP";
const INVERSE: &str = "BTC-USD-SWAP";

fn okx_account(api_key: &str, secret: &str, trade: bool) -> SimAccount {
    SimAccount {
        api_key: api_key.into(),
        api_secret: secret.into(),
        passphrase: PASSPHRASE.into(),
        permissions: SimPermissions {
            trade,
            ..SimPermissions::default()
        },
        demo: false,
    }
}

fn config() -> SimConfig {
    SimConfig {
        accounts: vec![
            okx_account(KEY, SECRET, true),
            okx_account(READ_KEY, READ_SECRET, false),
        ],
        tick_interval_ms: 0,
        ..SimConfig::default()
    }
}

async fn start(config: SimConfig) -> SimServer {
    let sim = SimServer::start(listener().await, config).unwrap();
    for inst in sim.inst_ids() {
        let mark = if inst.starts_with("ETH") {
            "3000"
        } else if inst.starts_with("SOL") {
            "150"
        } else {
            "60000"
        };
        assert!(sim.set_mark_price(&inst, d(mark)), "{inst}");
    }
    sim
}

fn options(sim: &SimServer) -> ClientOptions {
    ClientOptions {
        request_timeout: Duration::from_secs(3),
        extra_root_pem: sim.cert_pem(),
        ..ClientOptions::default()
    }
}

/// The connector for `api_key`, its clock measured.
async fn connect_as(sim: &SimServer, api_key: &str, secret: &str, passphrase: &str) -> Okx {
    let client =
        RestClient::with_options(&sim.base_url(), api_key, secret, passphrase, &options(sim))
            .unwrap();
    client.sync_clock().await.unwrap();
    Okx::new(client)
}

async fn connect(sim: &SimServer) -> Okx {
    connect_as(sim, KEY, SECRET, PASSPHRASE).await
}

/// The simulator's open orders of `KEY`.
fn sim_open(sim: &SimServer) -> usize {
    sim.exchange()
        .lock()
        .orders(KEY)
        .iter()
        .filter(|o| o.status.is_open())
        .count()
}

/// Every order of `KEY` the simulator took, counted by client order id.
fn taken_by_venue(sim: &SimServer) -> HashMap<String, usize> {
    let mut taken = HashMap::new();
    for o in sim.exchange().lock().orders(KEY) {
        if let Some(id) = o.client_id {
            *taken.entry(id).or_insert(0) += 1;
        }
    }
    taken
}

async fn wallet(okx: &Okx, asset: &str) -> Decimal {
    okx.balances()
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.asset == asset)
        .unwrap_or_else(|| panic!("no {asset} balance"))
        .wallet
}

/// Reads events (at most 10 s) until `wanted` picks one.
async fn until_event<T: std::fmt::Debug, R>(
    feed: &mut rampart_venues::venue::Feed<T>,
    what: &str,
    mut wanted: impl FnMut(&FeedEvent<T>) -> Option<R>,
) -> R {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < until, "no {what} within 10 s");
        let event = next_event(feed, what).await;
        if let Some(r) = wanted(&event) {
            return r;
        }
    }
}

/// A market buy over TLS fills from the book: the position shows its contracts and entry, the
/// USDT balance pays the taker fee on the contracts' value (ctVal 0.01 BTC a contract).
#[tokio::test]
async fn okx_market_buy_over_tls_fills_and_shows_its_position_and_fee() {
    let sim = SimServer::start_tls(listener().await, config()).unwrap();
    assert!(sim.base_url().starts_with("https://"));
    sim.set_mark_price(SWAP, d("60000"));
    let okx = connect(&sim).await;
    let before = wallet(&okx, "USDT").await;
    assert_eq!(before, d("100000"));

    let ack = okx
        .place_order(&market(SWAP, "mkt1", Side::Buy, "2"))
        .await
        .unwrap();
    assert_eq!(ack.client_order_id, "mkt1");
    // OKX's place answer says the order was taken, not how it filled: that is read back.
    let found = match okx.order_by_client_id(SWAP, "mkt1").await.unwrap() {
        ClientIdLookup::Found(o) => o,
        other => panic!("{other:?}"),
    };
    assert_eq!(found.status, OrderStatus::Filled);
    assert_eq!(found.filled_qty, d("2"));
    let avg = found.avg_fill_price.unwrap();
    assert!(avg > d("59000") && avg < d("61000"), "{avg}");

    let positions = okx.positions(Some(SWAP)).await.unwrap();
    assert_eq!(positions.len(), 1, "{positions:?}");
    assert_eq!(positions[0].qty, d("2"), "two contracts");
    assert_eq!(positions[0].entry_price, avg);
    assert_eq!(positions[0].margin_mode, Some(MarginMode::Cross));

    // Taker fee 0.05% of 2 × 0.01 BTC × the fill price, in USDT.
    let fee = d("2") * d("0.01") * avg * d("0.0005");
    let after = wallet(&okx, "USDT").await;
    println!("filled 2 contracts at {avg}: USDT {before} -> {after} (fee {fee})");
    assert!(
        (before - after - fee).abs() < d("0.01"),
        "{before} - {after} should be the fee {fee}"
    );
    sim.stop().await;
}

/// A limit rests, is listed and found by client id, is cancelled by client id; cancel-all for
/// one symbol leaves the other symbol's orders, for the account leaves nothing; a client id is
/// taken again once its order was cancelled.
#[tokio::test]
async fn okx_limits_rest_are_found_and_cancelled_by_client_id_and_cancel_all_clears() {
    let sim = start(config()).await;
    let okx = connect(&sim).await;

    let ack = okx
        .place_order(&limit(SWAP, "rest1", Side::Buy, "1", "59000"))
        .await
        .unwrap();
    assert_eq!(ack.status, OrderStatus::Open);
    let open = okx.open_orders(Some(SWAP)).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].client_order_id, "rest1");
    assert_eq!(open[0].price, Some(d("59000")));
    assert_eq!(open[0].qty, d("1"));
    match okx.order_by_client_id(SWAP, "rest1").await.unwrap() {
        ClientIdLookup::Found(o) => assert_eq!(o.venue_order_id, ack.venue_order_id),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        okx.order_by_client_id(SWAP, "never1").await.unwrap(),
        ClientIdLookup::NotFound
    );
    let cancelled = okx.cancel_by_client_id(SWAP, "rest1").await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert!(okx.open_orders(None).await.unwrap().is_empty());
    assert_eq!(sim_open(&sim), 0);

    // The id is free again after its order was cancelled.
    let again = okx
        .place_order(&limit(SWAP, "rest1", Side::Buy, "1", "58900"))
        .await
        .unwrap();
    assert_ne!(again.venue_order_id, ack.venue_order_id);
    match okx.order_by_client_id(SWAP, "rest1").await.unwrap() {
        ClientIdLookup::Found(o) => {
            assert_eq!(o.venue_order_id, again.venue_order_id);
            assert_eq!(o.status, OrderStatus::Open);
        }
        other => panic!("{other:?}"),
    }

    // A second open order on SWAP, two on ETH.
    okx.place_order(&limit(SWAP, "rest2", Side::Sell, "1", "61000"))
        .await
        .unwrap();
    okx.place_order(&limit("ETH-USDT-SWAP", "eth1", Side::Buy, "1", "2900"))
        .await
        .unwrap();
    okx.place_order(&limit("ETH-USDT-SWAP", "eth2", Side::Sell, "1", "3100"))
        .await
        .unwrap();
    assert_eq!(okx.open_orders(None).await.unwrap().len(), 4);
    okx.cancel_all(Some(SWAP)).await.unwrap();
    assert!(okx.open_orders(Some(SWAP)).await.unwrap().is_empty());
    let left = okx.open_orders(None).await.unwrap();
    assert_eq!(left.len(), 2, "the ETH orders stay: {left:?}");
    assert!(left.iter().all(|o| o.symbol == "ETH-USDT-SWAP"));
    okx.cancel_all(None).await.unwrap();
    assert!(okx.open_orders(None).await.unwrap().is_empty());
    assert_eq!(sim_open(&sim), 0, "nothing open at the simulator");
    sim.stop().await;
}

/// Off-tick and too-small orders never leave the machine; an order the venue refuses for
/// margin carries OKX's code and a sentence a trader can act on.
#[tokio::test]
async fn okx_bad_orders_are_refused_locally_and_a_margin_refusal_says_why() {
    let sim = start(config()).await;
    let okx = connect(&sim).await;
    // Instruments and the account's position mode are read once.
    okx.instruments(true).await.unwrap();
    okx.place_order(&limit(SWAP, "warm1", Side::Buy, "1", "59000"))
        .await
        .unwrap();
    let requests = sim.rest_requests();
    let orders = sim.exchange().lock().order_count();

    for (bad, why) in [
        (limit(SWAP, "tick1", Side::Buy, "1", "59000.05"), "tick"),
        (limit(SWAP, "lot1", Side::Buy, "0.005", "59000"), "size"),
        (limit(SWAP, "lot2", Side::Buy, "1.005", "59000"), "lot"),
    ] {
        let e = okx.place_order(&bad).await.unwrap_err();
        println!("{why}: {}", e.message);
        assert_eq!(e.kind, ErrorKind::Validation, "{e:?}");
        assert!(e.not_sent, "{e:?}");
        assert!(!e.message.is_empty());
    }
    assert_eq!(
        sim.rest_requests(),
        requests,
        "nothing reached the simulator"
    );
    assert_eq!(sim.exchange().lock().order_count(), orders);

    // 90000 contracts × 0.01 BTC × 59000 USDT is far beyond 100000 USDT of margin.
    let e = okx
        .place_order(&limit(SWAP, "big1", Side::Buy, "90000", "59000"))
        .await
        .unwrap_err();
    println!("insufficient margin: {} ({:?})", e.message, e.venue_code);
    assert_eq!(e.kind, ErrorKind::Rejected, "{e:?}");
    assert_eq!(e.venue_code.as_deref(), Some("51008"), "{e:?}");
    assert!(e.message.contains("margin"), "{}", e.message);
    assert!(!e.outcome_unknown);
    assert_eq!(sim.exchange().lock().order_count(), orders, "not taken");
    sim.stop().await;
}

/// The private stream reports the order, the fill and the position of a market order placed
/// over REST; when the simulator drops the stream it reports Lost, then Connected again, and
/// a REST read shows what changed in between.
#[tokio::test]
async fn okx_account_feed_reports_orders_fills_positions_and_reconnects_after_a_drop() {
    let sim = start(config()).await;
    let okx = connect(&sim).await;
    let mut feed = okx.account_feed().await.unwrap();
    assert_eq!(
        next_event(&mut feed, "the first status").await,
        FeedEvent::Status(FeedStatus::Connected)
    );
    until_stream_subscriptions(1, || sim.stream_subscriptions()).await;

    okx.place_order(&market(SWAP, "feed1", Side::Buy, "3"))
        .await
        .unwrap();
    let mut order_seen = false;
    let mut fill_seen = false;
    let mut position_seen = false;
    let until = Instant::now() + Duration::from_secs(10);
    while !(order_seen && fill_seen && position_seen) {
        assert!(
            Instant::now() < until,
            "order {order_seen} fill {fill_seen} position {position_seen}"
        );
        match next_event(&mut feed, "account updates").await {
            FeedEvent::Update(AccountUpdate::Order(o))
                if o.client_order_id == "feed1" && o.status == OrderStatus::Filled =>
            {
                assert_eq!(o.filled_qty, d("3"));
                order_seen = true;
            }
            FeedEvent::Update(AccountUpdate::Fill(f)) if f.client_order_id == "feed1" => {
                assert_eq!(f.symbol, SWAP);
                assert_eq!(f.side, Side::Buy);
                assert!(f.qty > Decimal::ZERO && f.qty <= d("3"));
                fill_seen = true;
            }
            FeedEvent::Update(AccountUpdate::Positions(ps))
                if ps.iter().any(|p| p.symbol == SWAP && p.qty == d("3")) =>
            {
                position_seen = true;
            }
            // Each of the feed's connections (orders and algo orders) reports itself.
            FeedEvent::Status(FeedStatus::Connected) => {}
            FeedEvent::Status(s) => panic!("unexpected status {s:?}"),
            _ => {}
        }
    }

    sim.drop_stream_connections();
    let lost = until_event(&mut feed, "Lost", |e| match e {
        FeedEvent::Status(FeedStatus::Lost(why)) => Some(why.clone()),
        _ => None,
    })
    .await;
    println!("stream lost: {lost}");
    // While the stream is down, an order rests.
    okx.place_order(&limit(SWAP, "gap1", Side::Buy, "1", "59000"))
        .await
        .unwrap();
    until_event(&mut feed, "Connected again", |e| {
        matches!(e, FeedEvent::Status(FeedStatus::Connected)).then_some(())
    })
    .await;
    // The resync over REST shows it.
    let open = okx.open_orders(Some(SWAP)).await.unwrap();
    assert!(open.iter().any(|o| o.client_order_id == "gap1"), "{open:?}");
    let positions = okx.positions(Some(SWAP)).await.unwrap();
    assert_eq!(positions[0].qty, d("3"));

    // And the stream works again.
    until_stream_subscriptions(2, || sim.stream_subscriptions()).await;
    okx.cancel_by_client_id(SWAP, "gap1").await.unwrap();
    until_event(&mut feed, "gap1's cancel", |e| match e {
        FeedEvent::Update(AccountUpdate::Order(o))
            if o.client_order_id == "gap1" && o.status == OrderStatus::Cancelled =>
        {
            Some(())
        }
        _ => None,
    })
    .await;
    drop(feed);
    sim.stop().await;
}

/// A conditional order of `qty` on SWAP with its trigger (by mark) and, for a limit one, its
/// price.
fn conditional(
    id: &str,
    side: Side,
    order_type: OrderType,
    qty: &str,
    trigger: &str,
    price: Option<&str>,
) -> OrderRequest {
    OrderRequest {
        trigger_price: Some(rampart_core::Price::from_str(trigger).unwrap()),
        trigger_by: Some(rampart_venues::venue::TriggerBy::Mark),
        ..order_request(SWAP, id, side, order_type, qty, price)
    }
}

/// Stops and take-profits are OKX algo orders: they wait under their own id, show in the open
/// orders and on the stream with their trigger, and once the mark reaches them the order they
/// place answers to the same client id (lookups, stream, fills, cancel), so nothing is
/// reported as an order this terminal did not place.
#[tokio::test]
async fn okx_conditional_orders_wait_fire_and_stay_under_their_client_id() {
    let sim = start(config()).await;
    let okx = connect(&sim).await;
    let mut feed = okx.account_feed().await.unwrap();
    for _ in 0..2 {
        until_event(&mut feed, "both connections", |e| {
            matches!(e, FeedEvent::Status(FeedStatus::Connected)).then_some(())
        })
        .await;
    }
    until_stream_subscriptions(2, || sim.stream_subscriptions()).await;
    // The subscribe frames went out before Connected; let the simulator read them.
    tokio::time::sleep(Duration::from_millis(200)).await;

    okx.place_order(&market(SWAP, "long1", Side::Buy, "2"))
        .await
        .unwrap();
    let mut stop = conditional(
        "stop1",
        Side::Sell,
        OrderType::StopMarket,
        "2",
        "59000",
        None,
    );
    stop.reduce_only = true;
    let ack = okx.place_order(&stop).await.unwrap();
    assert_eq!(ack.status, OrderStatus::Open);
    let algo_id = ack.venue_order_id.clone();
    let ClientIdLookup::Found(waiting) = okx.order_by_client_id(SWAP, "stop1").await.unwrap()
    else {
        panic!("stop1 not found");
    };
    assert_eq!(
        (
            waiting.status,
            waiting.order_type,
            waiting.venue_order_id.as_str()
        ),
        (
            OrderStatus::Open,
            Some(OrderType::StopMarket),
            algo_id.as_str()
        )
    );
    assert_eq!(waiting.trigger_price, Some(d("59000")));
    assert!(waiting.reduce_only);
    let open = okx.open_orders(Some(SWAP)).await.unwrap();
    assert!(
        open.iter()
            .any(|o| o.client_order_id == "stop1" && o.order_type == Some(OrderType::StopMarket)),
        "{open:?}"
    );
    until_event(&mut feed, "stop1 waiting on the stream", |e| match e {
        FeedEvent::Update(AccountUpdate::Order(o)) if o.client_order_id == "stop1" => {
            assert_eq!(o.status, OrderStatus::Open);
            Some(())
        }
        _ => None,
    })
    .await;

    // The mark falls through the trigger: a market sell closes the position.
    assert!(sim.set_mark_price(SWAP, d("58900")));
    let mut filled = false;
    let mut fill_seen = false;
    let until = Instant::now() + Duration::from_secs(10);
    while !(filled && fill_seen) {
        assert!(Instant::now() < until, "filled {filled} fill {fill_seen}");
        match next_event(&mut feed, "stop1's order").await {
            FeedEvent::Update(AccountUpdate::Order(o)) => {
                assert!(
                    !o.client_order_id.is_empty(),
                    "an order without a client id: {o:?}"
                );
                if o.client_order_id == "stop1" && o.status == OrderStatus::Filled {
                    assert_eq!(o.filled_qty, d("2"));
                    filled = true;
                }
            }
            FeedEvent::Update(AccountUpdate::Fill(f)) => {
                assert!(
                    !f.client_order_id.is_empty(),
                    "a fill without a client id: {f:?}"
                );
                fill_seen |= f.client_order_id == "stop1";
            }
            _ => {}
        }
    }
    let ClientIdLookup::Found(done) = okx.order_by_client_id(SWAP, "stop1").await.unwrap() else {
        panic!("stop1 not found after it fired");
    };
    assert_eq!(
        (done.status, done.filled_qty),
        (OrderStatus::Filled, d("2"))
    );
    assert!(done.avg_fill_price.is_some(), "{done:?}");
    let positions = okx.positions(Some(SWAP)).await.unwrap();
    assert!(positions.iter().all(|p| p.qty.is_zero()), "{positions:?}");

    // A waiting stop-limit is cancelled by client id; another goes with cancel-all.
    let stop2 = conditional(
        "stop2",
        Side::Buy,
        OrderType::StopLimit,
        "1",
        "61000",
        Some("61100"),
    );
    okx.place_order(&stop2).await.unwrap();
    let cancelled = okx.cancel_by_client_id(SWAP, "stop2").await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled, "{cancelled:?}");
    let tp = conditional(
        "tp3",
        Side::Buy,
        OrderType::TakeProfitMarket,
        "1",
        "50000",
        None,
    );
    okx.place_order(&tp).await.unwrap();
    okx.cancel_all(Some(SWAP)).await.unwrap();
    assert!(okx.open_orders(Some(SWAP)).await.unwrap().is_empty());
    assert_eq!(sim_open(&sim), 0);

    // A stop-limit that fired and rests: found, listed and cancelled as its resting order.
    let stop4 = conditional(
        "stop4",
        Side::Buy,
        OrderType::StopLimit,
        "1",
        "61000",
        Some("60000"),
    );
    let ack = okx.place_order(&stop4).await.unwrap();
    assert!(sim.set_mark_price(SWAP, d("61000")));
    let ClientIdLookup::Found(resting) = okx.order_by_client_id(SWAP, "stop4").await.unwrap()
    else {
        panic!("stop4 not found after it fired");
    };
    assert_eq!(
        (resting.status, resting.order_type, resting.price),
        (OrderStatus::Open, Some(OrderType::Limit), Some(d("60000")))
    );
    assert_ne!(
        resting.venue_order_id, ack.venue_order_id,
        "the placed order's own id"
    );
    let open = okx.open_orders(Some(SWAP)).await.unwrap();
    assert_eq!(
        open.iter()
            .map(|o| o.client_order_id.as_str())
            .collect::<Vec<_>>(),
        vec!["stop4"]
    );
    let cancelled = okx.cancel_by_client_id(SWAP, "stop4").await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled, "{cancelled:?}");
    assert_eq!(sim_open(&sim), 0);
    drop(feed);
    sim.stop().await;
}

/// The public stream delivers the mark, book levels in decimals and trades.
#[tokio::test]
async fn okx_market_feed_delivers_mark_book_and_trades() {
    let sim = start(config()).await;
    let okx = connect(&sim).await;
    let mut feed = okx
        .market_feed(
            SWAP,
            MarketSubscription {
                book_depth: 5,
                trades: true,
                candles: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        next_event(&mut feed, "the first status").await,
        FeedEvent::Status(FeedStatus::Connected)
    );
    sim.set_mark_price(SWAP, d("60100.5"));
    let mark = until_event(&mut feed, "a mark", |e| match e {
        FeedEvent::Update(MarketUpdate::Mark(m)) if m.mark == d("60100.5") => Some(m.clone()),
        _ => None,
    })
    .await;
    assert_eq!(mark.symbol, SWAP);
    let book = until_event(&mut feed, "a book", |e| match e {
        FeedEvent::Update(MarketUpdate::Book(b)) if !b.bids.is_empty() && !b.asks.is_empty() => {
            Some(b.clone())
        }
        _ => None,
    })
    .await;
    assert!(book.bids.len() <= 5 && book.asks.len() <= 5);
    assert!(book.bids[0].price < book.asks[0].price, "{book:?}");
    assert!(book.bids.windows(2).all(|w| w[0].price > w[1].price));
    // A trade: our own market order takes from the book.
    okx.place_order(&market(SWAP, "tape1", Side::Sell, "1"))
        .await
        .unwrap();
    let trade = until_event(&mut feed, "a trade", |e| match e {
        FeedEvent::Update(MarketUpdate::Trade(t)) => Some(*t),
        _ => None,
    })
    .await;
    println!(
        "mark {} book {:?}/{:?} trade {trade:?}",
        mark.mark, book.bids[0], book.asks[0]
    );
    drop(feed);
    sim.stop().await;
}

/// A burst of orders beyond OKX's 60 per 2 s per instrument is held by the connector's own
/// budget: never OKX's 50011, and every held order says when to retry and that nothing was sent.
#[tokio::test]
async fn okx_an_order_burst_beyond_the_limit_is_held_locally_never_drawing_50011() {
    let sim = start(config()).await;
    let okx = connect(&sim).await;
    okx.instruments(true).await.unwrap();
    let mut placed = 0;
    let mut held = 0;
    for i in 0..90 {
        match okx
            .place_order(&limit(
                SWAP,
                &format!("burst{i}"),
                Side::Buy,
                "0.01",
                "59000",
            ))
            .await
        {
            Ok(_) => placed += 1,
            Err(e) => {
                assert_eq!(e.kind, ErrorKind::RateLimited, "{e:?}");
                assert_ne!(e.venue_code.as_deref(), Some("50011"), "drew OKX's limit");
                assert!(e.not_sent, "{e:?}");
                let at = e.retry_at_ms.expect("a retry time");
                assert!(at > okx.venue_time_ms().unwrap() - 100, "{at}");
                held += 1;
            }
        }
    }
    println!("burst of 90: {placed} placed, {held} held locally");
    assert!(held > 0, "the burst was held");
    assert!((30..=60).contains(&placed), "{placed}");
    assert_eq!(sim_open(&sim), placed, "every placed order rests, no other");
    sim.stop().await;
}

fn ticket(side: Side, qty: &str) -> OrderTicket {
    OrderTicket {
        symbol: SWAP.into(),
        side,
        order_type: OrderType::Market,
        qty: qty.parse().unwrap(),
        price: None,
        trigger_price: None,
        time_in_force: None,
        reduce_only: false,
        trigger_by: None,
        margin_mode: None,
        position_side: Default::default(),
    }
}

/// 30 orders through the engine while every 5th meets a fault (accepted then the connection
/// dropped; accepted then 503; 503 and not taken), with 20 ms of latency on every answer: every
/// lost answer is resolved by client id, none is taken twice, nothing is left unresolved.
#[tokio::test]
async fn okx_engine_resolves_lost_answers_by_client_id_and_sends_none_twice() {
    const ORDERS: usize = 30;
    const EVERY: u32 = 5;
    let sim = start(SimConfig {
        faults: Faults {
            every: EVERY,
            latency_ms: 20,
            fail_5xx_every: 0,
        },
        ..config()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("orders.journal");
    let engine = open_engine(&journal);
    let client =
        RestClient::with_options(&sim.base_url(), KEY, SECRET, PASSPHRASE, &options(&sim)).unwrap();
    let venue: Arc<dyn rampart_venues::venue::DynVenue> = Arc::new(Okx::new(client));
    engine.attach("acc", VenueId::Okx, venue);
    until_engine_ready(&engine, Duration::from_secs(90)).await;

    let mut accepted = Vec::new();
    let mut checking = Vec::new();
    for i in 0..ORDERS {
        let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
        let placed = rampart_tests::placed(
            engine
                .place("acc", &ticket(side, "1"), rampart_tests::CONSENTED)
                .await,
        )
        .unwrap_or_else(|e| panic!("order {i}: {e}"));
        match placed.status {
            PlacedStatus::Accepted => accepted.push(placed.client_order_id),
            PlacedStatus::CheckingWithExchange => {
                let before = sim.exchange().lock().order_count();
                match rampart_tests::placed(
                    engine
                        .place("acc", &ticket(side, "1"), rampart_tests::CONSENTED)
                        .await,
                ) {
                    Err(OrderError::CheckingWithExchange(_)) => {
                        assert_eq!(
                            sim.exchange().lock().order_count(),
                            before,
                            "nothing sent while checking"
                        );
                    }
                    Ok(p) => accepted.push(p.client_order_id),
                    Err(other) => panic!("order {i}: {other}"),
                }
                checking.push(placed.client_order_id);
                engine_until(
                    &engine,
                    Duration::from_secs(90),
                    "the unknown order to resolve",
                    |e| e.pending_count() == 0,
                )
                .await;
            }
        }
    }
    let faults = ORDERS / EVERY as usize;
    assert_eq!(checking.len(), faults, "every injected fault is an unknown");
    let taken = taken_by_venue(&sim);
    assert!(taken.values().all(|&n| n == 1), "a client id taken twice");
    for id in &accepted {
        assert_eq!(
            taken.get(id),
            Some(&1),
            "{id} accepted but not on the venue"
        );
    }
    let on_venue = checking.iter().filter(|id| taken.contains_key(*id)).count();
    let failed_before_accepting = (1..=faults).filter(|k| k % 3 == 0).count();
    assert_eq!(on_venue, faults - failed_before_accepting);
    assert_eq!(taken.len(), accepted.len() + on_venue);
    println!(
        "{ORDERS} orders: {} accepted, {} unknown, {on_venue} of them on the venue",
        accepted.len(),
        checking.len()
    );
    drop(engine);
    let (_, unresolved) = OrderJournal::open(&journal, &rampart_tests::journal_key()).unwrap();
    assert!(unresolved.is_empty(), "{unresolved:?}");
    sim.stop().await;
}

/// With the simulator's clock 45 s ahead (beyond OKX's 30 s window), the connector measures
/// the offset and its signed requests pass.
#[tokio::test]
async fn okx_the_venue_clock_offset_is_measured_and_signed_requests_pass() {
    let sim = start(SimConfig {
        clock_offset_ms: 45_000,
        ..config()
    })
    .await;
    let client =
        RestClient::with_options(&sim.base_url(), KEY, SECRET, PASSPHRASE, &options(&sim)).unwrap();
    let offset = client.sync_clock().await.unwrap();
    println!("measured offset {offset} ms");
    assert!((offset - 45_000).abs() < 1_000, "{offset}");
    let okx = Okx::new(client);
    let ack = okx
        .place_order(&limit(SWAP, "clock1", Side::Buy, "1", "59000"))
        .await
        .unwrap();
    assert_eq!(ack.status, OrderStatus::Open);
    assert!(!okx.balances().await.unwrap().is_empty());
    sim.stop().await;
}

/// Key permissions as OKX reports them; a read-only key's order is refused with OKX's code; a
/// wrong passphrase gives the connector's clear sentence (50105).
#[tokio::test]
async fn okx_key_permissions_read_only_keys_and_a_wrong_passphrase() {
    let sim = start(config()).await;
    let okx = connect(&sim).await;
    let perms = okx.key_permissions().await.unwrap().unwrap();
    assert!(
        perms.can_read && perms.can_trade && !perms.can_withdraw,
        "{perms:?}"
    );

    let reader = connect_as(&sim, READ_KEY, READ_SECRET, PASSPHRASE).await;
    let perms = reader.key_permissions().await.unwrap().unwrap();
    assert!(perms.can_read && !perms.can_trade, "{perms:?}");
    let e = reader
        .place_order(&limit(SWAP, "ro1", Side::Buy, "1", "59000"))
        .await
        .unwrap_err();
    println!("read-only key: {} ({:?})", e.message, e.venue_code);
    assert_eq!(e.venue_code.as_deref(), Some("50030"), "{e:?}");
    assert!(e.message.contains("Trade permission"), "{}", e.message);
    assert_eq!(sim_open(&sim), 0);

    let wrong = connect_as(&sim, KEY, SECRET, "not-the-passphrase").await;
    let e = wrong.balances().await.unwrap_err();
    println!("wrong passphrase: {} ({:?})", e.message, e.venue_code);
    assert_eq!(e.venue_code.as_deref(), Some("50105"), "{e:?}");
    assert!(e.message.contains("passphrase"), "{}", e.message);
    assert!(
        !e.message.contains("not-the-passphrase"),
        "the secret leaked"
    );
    sim.stop().await;
}

/// Cancel-all-after: a countdown outside 10-120 s is refused before sending; renewed, it keeps
/// the orders; not renewed, it cancels every pending order of the account (all instruments).
#[tokio::test]
async fn okx_cancel_all_after_cancels_every_pending_order_when_not_renewed() {
    let sim = start(config()).await;
    let okx = connect(&sim).await;
    let e = okx
        .dead_mans_switch(&DeadMansScope::Account, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
    let e = okx
        .dead_mans_switch(&DeadMansScope::Symbol(SWAP.into()), Duration::from_secs(10))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);

    okx.place_order(&limit(SWAP, "dms1", Side::Buy, "1", "59000"))
        .await
        .unwrap();
    okx.place_order(&limit("ETH-USDT-SWAP", "dms2", Side::Buy, "1", "2900"))
        .await
        .unwrap();
    let armed = Instant::now();
    okx.dead_mans_switch(&DeadMansScope::Account, Duration::from_secs(10))
        .await
        .unwrap();
    // Renewed after 6 s: still open at 11 s.
    tokio::time::sleep(Duration::from_secs(6)).await;
    okx.dead_mans_switch(&DeadMansScope::Account, Duration::from_secs(10))
        .await
        .unwrap();
    let renewed = Instant::now();
    tokio::time::sleep(Duration::from_secs(11).saturating_sub(armed.elapsed())).await;
    assert_eq!(
        okx.open_orders(None).await.unwrap().len(),
        2,
        "renewed: kept"
    );
    // Not renewed: gone within a few seconds after 10 s.
    let until = renewed + Duration::from_secs(15);
    loop {
        let open = okx.open_orders(None).await.unwrap();
        if open.is_empty() {
            break;
        }
        assert!(Instant::now() < until, "not cancelled: {open:?}");
        // Within the connector's own budget for the pending-order lists.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        renewed.elapsed() >= Duration::from_secs(10),
        "not before the countdown"
    );
    for id in ["dms1", "dms2"] {
        let symbol = if id == "dms1" { SWAP } else { "ETH-USDT-SWAP" };
        match okx.order_by_client_id(symbol, id).await.unwrap() {
            ClientIdLookup::Found(o) => assert_eq!(o.status, OrderStatus::Cancelled),
            other => panic!("{other:?}"),
        }
    }
    sim.stop().await;
}

/// Sizes in contracts on a coin-margined perpetual (100 USD a contract, fees in BTC) and on a
/// dated future; an isolated order opens an isolated position.
#[tokio::test]
async fn okx_inverse_swap_dated_future_and_isolated_margin() {
    let sim = start(config()).await;
    let okx = connect(&sim).await;
    let rules = okx.instruments(true).await.unwrap();
    let future = sim
        .inst_ids()
        .into_iter()
        .find(|i| i.starts_with("BTC-USDT-") && !i.ends_with("SWAP"))
        .unwrap();
    assert!(rules.iter().any(|r| r.symbol == future), "{future} listed");
    assert!(rules.iter().any(|r| r.symbol == INVERSE));

    // Inverse: sell 2 contracts (200 USD); the fee is paid in BTC.
    let btc_before = wallet(&okx, "BTC").await;
    let ack = okx
        .place_order(&market(INVERSE, "inv1", Side::Sell, "2"))
        .await
        .unwrap();
    let avg = match okx.order_by_client_id(INVERSE, "inv1").await.unwrap() {
        ClientIdLookup::Found(o) => {
            assert_eq!(o.status, OrderStatus::Filled, "{o:?}");
            assert_eq!(o.venue_order_id, ack.venue_order_id);
            o.avg_fill_price.unwrap()
        }
        other => panic!("{other:?}"),
    };
    let p = okx.positions(Some(INVERSE)).await.unwrap();
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].qty, d("-2"), "short two contracts: {p:?}");
    let fee = (d("200") / avg * d("0.0005")).round_dp(8);
    let btc_after = wallet(&okx, "BTC").await;
    println!("inverse: BTC {btc_before} -> {btc_after} (fee ~{fee})");
    assert!(btc_after < btc_before);
    assert!((btc_before - btc_after - fee).abs() < d("0.0000001"));

    // Dated future: a limit rests and is cancelled by client id.
    okx.place_order(&limit(&future, "fut1", Side::Buy, "1", "59000"))
        .await
        .unwrap();
    let open = okx.open_orders(Some(&future)).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].symbol, future);
    okx.cancel_by_client_id(&future, "fut1").await.unwrap();
    // And a market buy there opens a position in contracts.
    okx.place_order(&market(&future, "fut2", Side::Buy, "1"))
        .await
        .unwrap();
    let p = okx.positions(Some(&future)).await.unwrap();
    assert_eq!(p[0].qty, d("1"), "{p:?}");

    // Isolated per order (tdMode isolated).
    let mut iso = market("ETH-USDT-SWAP", "iso1", Side::Buy, "1");
    iso.margin_mode = Some(MarginMode::Isolated);
    okx.place_order(&iso).await.unwrap();
    let p = okx.positions(Some("ETH-USDT-SWAP")).await.unwrap();
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].margin_mode, Some(MarginMode::Isolated), "{p:?}");
    assert_eq!(p[0].qty, d("1"));
    // Cross is the default.
    let p = okx.positions(Some(SWAP)).await.unwrap();
    assert!(p.is_empty());
    okx.place_order(&market(SWAP, "cross1", Side::Buy, "1"))
        .await
        .unwrap();
    let p = okx.positions(Some(SWAP)).await.unwrap();
    assert_eq!(p[0].margin_mode, Some(MarginMode::Cross), "{p:?}");
    sim.stop().await;
}

/// When OKX answers 503 without acting: a read is a venue failure, an order's outcome is
/// unknown (never "rejected"), and once the venue answers again the lookup by client id shows
/// it was not placed; with latency on every answer, orders still go through.
#[tokio::test]
async fn okx_5xx_makes_an_order_unknown_and_the_client_id_lookup_settles_it() {
    let sim = start(config()).await;
    let okx = connect(&sim).await;
    // Instruments and the position mode are cached by a first order.
    okx.place_order(&limit(SWAP, "warm5", Side::Buy, "1", "59000"))
        .await
        .unwrap();
    sim.set_faults(Faults {
        fail_5xx_every: 1,
        ..Faults::default()
    });
    let orders = sim.exchange().lock().order_count();
    let e = okx
        .place_order(&limit(SWAP, "fivexx1", Side::Buy, "1", "59000"))
        .await
        .unwrap_err();
    println!(
        "503 on an order: {} (unknown: {})",
        e.message, e.outcome_unknown
    );
    assert!(e.outcome_unknown, "{e:?}");
    assert_ne!(e.kind, ErrorKind::Rejected, "{e:?}");
    let e = okx.balances().await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::VenueFailure, "{e:?}");

    sim.set_faults(Faults {
        latency_ms: 150,
        ..Faults::default()
    });
    assert_eq!(
        okx.order_by_client_id(SWAP, "fivexx1").await.unwrap(),
        ClientIdLookup::NotFound
    );
    assert_eq!(sim.exchange().lock().order_count(), orders, "not taken");
    let started = Instant::now();
    okx.place_order(&limit(SWAP, "slow1", Side::Buy, "1", "59000"))
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(okx.open_orders(Some(SWAP)).await.unwrap().len(), 2);
    sim.stop().await;
}
