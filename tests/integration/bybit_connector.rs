//! The Bybit v5 connector (rampart-venues) against the Bybit v5 simulator (rampart-sim) over real
//! loopback sockets, through the venue-neutral `Venue` trait: market and limit orders and what
//! they do to positions and the wallet, cancels by client id and cancel-all, refusals before and
//! after sending, the private and public streams with a dropped connection, the order-create
//! rate limit, lost answers resolved by the engine, clock offsets, key permissions, Bybit's
//! disconnect cancel-all, and inverse contracts. The two crates share no code, so agreement here
//! means both follow Bybit's documented behaviour.
//!
//! Prices move only when a test says so (`tick_interval_ms: 0` and `set_mark_price`), so fills
//! and PnL are exact. Every wait on a stream is bounded in time and in events.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rampart_core::feed::{AccountUpdate, FeedEvent, FeedStatus, MarketUpdate};
use rampart_core::{OrderType, Price, Side, Venue as VenueId};
use rampart_engine::orders::{OrderJournal, OrderTicket, PlacedStatus};
use rampart_sim::bybit::{Faults, SimAccount, SimConfig, SimKeyPermissions, SimServer};
use rampart_venues::binance_usdm::ClientOptions;
use rampart_venues::bybit::error::DCP_INSTITUTIONAL_ONLY;
use rampart_venues::bybit::{Bybit, RestClient};
use rampart_venues::venue::{
    ClientIdLookup, DeadMansScope, ErrorKind, Feed, MarketSubscription, OrderRequest, OrderStatus,
    PositionSide, Venue,
};
use rust_decimal::Decimal;
use tokio::time::timeout;

use super::support::{
    ENGINE_WAIT, KEY, KEY_2, SECRET, SECRET_2, d, engine_until, limit_order, listener, market,
    market_order, next_event, open_engine, order_request, until_engine_ready,
};

/// The longest any single wait on the network or a stream may take.
const WAIT: Duration = Duration::from_secs(5);
const BTC: &str = "BTCUSDT";
const INVERSE: &str = "BTCUSD";
/// Bybit's taker fee on the simulator's contracts (0.055 %).
const TAKER: &str = "0.00055";

/// An account with the simulator's default permissions (trade, no withdrawal).
fn account(api_key: &str, api_secret: &str) -> SimAccount {
    SimAccount {
        api_key: api_key.into(),
        api_secret: api_secret.into(),
        ..SimAccount::default()
    }
}

/// One account, prices still unless a test moves them, Bybit's default limits.
fn config() -> SimConfig {
    SimConfig {
        accounts: vec![account(KEY, SECRET)],
        tick_interval_ms: 0,
        seed: 11,
        ..SimConfig::default()
    }
}

async fn start(config: SimConfig) -> SimServer {
    SimServer::start(listener().await, config).unwrap()
}

async fn start_tls(config: SimConfig) -> SimServer {
    SimServer::start_tls(listener().await, config).unwrap()
}

fn options_for(sim: &SimServer) -> ClientOptions {
    ClientOptions {
        extra_root_pem: sim.cert_pem(),
        ..ClientOptions::default()
    }
}

/// The connector for `sim` with this key pair, its clock measured (as the desk does when an
/// account connects).
async fn connect_with(sim: &SimServer, api_key: &str, secret: &str) -> Bybit {
    let client =
        RestClient::with_options(&sim.base_url(), api_key, secret, &options_for(sim)).unwrap();
    let venue = Bybit::new(client);
    venue.sync_clock().await.unwrap();
    venue
}

async fn connect(sim: &SimServer) -> Bybit {
    connect_with(sim, KEY, SECRET).await
}

/// The order as the venue has it now, looked up by client id.
async fn by_client_id(venue: &Bybit, symbol: &str, id: &str) -> rampart_venues::venue::OrderState {
    match venue.order_by_client_id(symbol, id).await.unwrap() {
        ClientIdLookup::Found(o) => o,
        other => panic!("{id} not found: {other:?}"),
    }
}

async fn wallet(venue: &Bybit, asset: &str) -> Decimal {
    venue
        .balances()
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.asset == asset)
        .unwrap_or_else(|| panic!("no {asset} balance"))
        .wallet
}

/// (best bid, best ask) of the venue's book now.
async fn top_of_book(venue: &Bybit, symbol: &str) -> (Decimal, Decimal) {
    let book = venue.order_book(symbol, 5).await.unwrap();
    assert_eq!((book.bids.len(), book.asks.len()), (5, 5), "{book:?}");
    (book.bids[0].price, book.asks[0].price)
}

/// Skips events until `pick` takes one: at most `max` events, each within [`WAIT`].
async fn until<T: std::fmt::Debug, R>(
    feed: &mut Feed<T>,
    max: usize,
    what: &str,
    mut pick: impl FnMut(&FeedEvent<T>) -> Option<R>,
) -> R {
    let mut skipped = Vec::new();
    for _ in 0..max {
        let event = next_event(feed, what).await;
        if let Some(found) = pick(&event) {
            return found;
        }
        skipped.push(format!("{event:?}"));
    }
    panic!("no {what} in {max} events: {skipped:#?}");
}

async fn until_connected<T: std::fmt::Debug>(feed: &mut Feed<T>) {
    until(feed, 20, "Connected", |e| {
        matches!(e, FeedEvent::Status(FeedStatus::Connected)).then_some(())
    })
    .await;
    // The stream subscribes right after its login is answered; give the simulator a moment to
    // take the subscription before anything is published.
    tokio::time::sleep(Duration::from_millis(300)).await;
}

// ---------------------------------------------------------------------------------------------
// 1. Market order over TLS 1.3

#[tokio::test]
async fn bybit_market_buy_over_tls_fills_from_the_book_opens_the_position_and_moves_the_wallet() {
    let sim = start_tls(config()).await;
    assert!(sim.base_url().starts_with("https://127.0.0.1:"));
    assert!(sim.set_mark_price(BTC, d("60000")));

    // A client that does not trust the simulator's self-signed certificate cannot reach it.
    let stranger = Bybit::new(RestClient::new(&sim.base_url(), KEY, SECRET).unwrap());
    let refused = stranger.sync_clock().await.unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Connectivity, "{refused:?}");

    let venue = connect(&sim).await;
    let rules = venue.rules_for(BTC).await.unwrap();
    assert_eq!((rules.tick_size, rules.step_size), (d("0.1"), d("0.001")));
    assert_eq!(rules.settle_asset, "USDT");
    assert_eq!(wallet(&venue, "USDT").await, d("100000"));

    let (_, ask) = top_of_book(&venue, BTC).await;
    assert!(ask > d("60000") && ask < d("60100"), "best ask {ask}");
    let ack = venue
        .place_order(&market_order(BTC, "bbtls1", Side::Buy, "0.010"))
        .await
        .unwrap();
    assert_eq!(ack.client_order_id, "bbtls1");
    assert!(!ack.venue_order_id.is_empty());

    let filled = by_client_id(&venue, BTC, "bbtls1").await;
    assert_eq!(filled.status, OrderStatus::Filled);
    assert_eq!(filled.filled_qty, d("0.010"));
    assert_eq!(filled.venue_order_id, ack.venue_order_id);
    // 0.010 BTC is well inside the best ask's size: all of it at the best ask.
    assert_eq!(filled.avg_fill_price, Some(ask));

    let positions = venue.positions(Some(BTC)).await.unwrap();
    assert_eq!(positions.len(), 1, "{positions:?}");
    assert_eq!(positions[0].qty, d("0.010"));
    assert_eq!(positions[0].entry_price, ask);
    assert_eq!(positions[0].position_side, PositionSide::Net);

    // The taker fee left the wallet.
    let open_fee = d("0.010") * ask * d(TAKER);
    assert_eq!(wallet(&venue, "USDT").await, d("100000") - open_fee);
    // The position's initial margin at the default 10x is no longer available for new orders.
    let usdt = venue
        .balances()
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.asset == "USDT")
        .unwrap();
    // (Bybit: walletBalance − totalPositionIM − totalOrderIM; the position's value at the
    // 60000 mark over 10.)
    let margin = d("0.010") * d("60000") / d("10");
    assert!(
        usdt.available <= usdt.wallet - margin,
        "{usdt:?}, margin {margin}"
    );
    assert!(usdt.available > usdt.wallet - d("2") * margin, "{usdt:?}");

    // Closing at a higher mark realises the profit into the wallet.
    assert!(sim.set_mark_price(BTC, d("61000")));
    let (bid, _) = top_of_book(&venue, BTC).await;
    let close = OrderRequest {
        reduce_only: true,
        ..market_order(BTC, "bbtls2", Side::Sell, "0.010")
    };
    venue.place_order(&close).await.unwrap();
    assert_eq!(
        by_client_id(&venue, BTC, "bbtls2").await.status,
        OrderStatus::Filled
    );
    assert!(venue.positions(Some(BTC)).await.unwrap().is_empty());
    let close_fee = d("0.010") * bid * d(TAKER);
    let pnl = (bid - ask) * d("0.010");
    assert!(pnl > d("9"), "{pnl}");
    assert_eq!(
        wallet(&venue, "USDT").await,
        d("100000") - open_fee - close_fee + pnl
    );
    println!("market buy at {ask}, sold at {bid}: PnL {pnl} USDT, fees {open_fee} + {close_fee}");
}

// ---------------------------------------------------------------------------------------------
// 2. Limit orders, cancels by client id, cancel-all

#[tokio::test]
async fn bybit_limit_rests_is_found_and_cancelled_by_client_id_and_cancel_all_leaves_nothing() {
    let sim = start(config()).await;
    let venue = connect(&sim).await;

    venue
        .place_order(&limit_order(BTC, "bblim1", Side::Buy, "0.002", "59000"))
        .await
        .unwrap();
    let resting = by_client_id(&venue, BTC, "bblim1").await;
    assert_eq!(resting.status, OrderStatus::Open);
    assert_eq!((resting.qty, resting.price), (d("0.002"), Some(d("59000"))));
    assert_eq!(resting.filled_qty, Decimal::ZERO);
    let open = venue.open_orders(Some(BTC)).await.unwrap();
    assert_eq!(
        open.iter()
            .map(|o| o.client_order_id.as_str())
            .collect::<Vec<_>>(),
        ["bblim1"]
    );
    assert!(venue.positions(Some(BTC)).await.unwrap().is_empty());
    assert_eq!(
        venue.order_by_client_id(BTC, "bbnever").await.unwrap(),
        ClientIdLookup::NotFound
    );

    // An id the venue never saw: Bybit's 110001 and a sentence, no invented order.
    let unknown = venue.cancel_by_client_id(BTC, "bbnever").await.unwrap_err();
    assert_eq!(unknown.venue_code.as_deref(), Some("110001"), "{unknown:?}");
    assert!(
        unknown.message.contains("no such open order"),
        "{}",
        unknown.message
    );

    let cancelled = venue.cancel_by_client_id(BTC, "bblim1").await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(cancelled.client_order_id, "bblim1");
    assert!(venue.open_orders(Some(BTC)).await.unwrap().is_empty());
    // Cancelling it again is not an error: the order's final state comes back.
    let again = venue.cancel_by_client_id(BTC, "bblim1").await.unwrap();
    assert_eq!(again.status, OrderStatus::Cancelled);

    // Cancel-all for one symbol leaves the others.
    venue
        .place_order(&limit_order(BTC, "bblim2", Side::Buy, "0.002", "59000"))
        .await
        .unwrap();
    venue
        .place_order(&limit_order(BTC, "bblim3", Side::Sell, "0.002", "61000"))
        .await
        .unwrap();
    venue
        .place_order(&limit_order("ETHUSDT", "bblim4", Side::Buy, "0.10", "2900"))
        .await
        .unwrap();
    venue
        .place_order(&limit_order(INVERSE, "bblim5", Side::Buy, "100", "59000"))
        .await
        .unwrap();
    // A stop buy above the market waits for its trigger: it is open, and cancel-all covers it.
    assert!(sim.set_mark_price(BTC, d("60000")));
    let stop = OrderRequest {
        trigger_price: Some(Price::from_str("62000").unwrap()),
        trigger_by: Some(rampart_venues::venue::TriggerBy::Mark),
        ..order_request(
            BTC,
            "bbstop1",
            Side::Buy,
            OrderType::StopMarket,
            "0.002",
            None,
        )
    };
    venue.place_order(&stop).await.unwrap();
    let waiting = by_client_id(&venue, BTC, "bbstop1").await;
    assert_eq!(waiting.status, OrderStatus::Open);
    assert_eq!(waiting.trigger_price, Some(d("62000")));
    assert_eq!(waiting.order_type, Some(OrderType::StopMarket));
    assert_eq!(venue.open_orders(None).await.unwrap().len(), 5);
    venue.cancel_all(Some(BTC)).await.unwrap();
    assert!(venue.open_orders(Some(BTC)).await.unwrap().is_empty());
    assert_eq!(
        by_client_id(&venue, BTC, "bbstop1").await.status,
        OrderStatus::Cancelled
    );
    let left: Vec<String> = venue
        .open_orders(None)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.client_order_id)
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.contains(&"bblim4".into()) && left.contains(&"bblim5".into()));

    // Cancel-all for the account covers linear and inverse alike.
    venue.cancel_all(None).await.unwrap();
    assert!(venue.open_orders(None).await.unwrap().is_empty());
    for (symbol, id) in [("ETHUSDT", "bblim4"), (INVERSE, "bblim5")] {
        assert_eq!(
            by_client_id(&venue, symbol, id).await.status,
            OrderStatus::Cancelled
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Refusals before sending and by the venue

#[tokio::test]
async fn bybit_off_tick_and_too_small_orders_never_leave_and_a_venue_refusal_keeps_its_code() {
    let sim = start(config()).await;
    let venue = connect(&sim).await;
    venue.rules_for(BTC).await.unwrap();

    for (id, order) in [
        (
            "bboff1",
            limit_order(BTC, "bboff1", Side::Buy, "0.002", "59000.05"),
        ),
        (
            "bboff2",
            limit_order(BTC, "bboff2", Side::Buy, "0.0005", "59000"),
        ),
        (
            "bboff3",
            limit_order(BTC, "bboff3", Side::Buy, "0.0025", "59000"),
        ),
        (
            "bboff4",
            limit_order(INVERSE, "bboff4", Side::Buy, "10.5", "59000"),
        ),
        // On tick and step, but worth 4 USDT: below BTCUSDT's 5 USDT minimum order value.
        (
            "bboff5",
            limit_order(BTC, "bboff5", Side::Buy, "0.001", "4000"),
        ),
    ] {
        if order.symbol == INVERSE {
            venue.rules_for(INVERSE).await.unwrap();
        }
        let before_this = sim.rest_requests();
        let refused = venue.place_order(&order).await.unwrap_err();
        assert_eq!(refused.kind, ErrorKind::Validation, "{id}: {refused:?}");
        assert!(refused.not_sent, "{id}");
        assert!(!refused.outcome_unknown, "{id}");
        assert!(refused.venue_code.is_none(), "{id}");
        assert!(refused.message.len() > 20, "{id}: {}", refused.message);
        assert_eq!(sim.rest_requests(), before_this, "{id} reached the venue");
        if id == "bboff5" {
            assert!(
                refused.message.contains("minimum order value"),
                "{}",
                refused.message
            );
        }
        println!("{id}: {}", refused.message);
    }
    assert_eq!(sim.exchange().lock().order_count(), 0);

    // Sent anyway (the raw client, past the connector's checks), the venue refuses the small
    // order with its own code, and the connector names it for the trader.
    let rules = venue.rules_for(BTC).await.unwrap();
    let small = limit_order(BTC, "bboff6", Side::Buy, "0.001", "4000");
    let refused = venue
        .client()
        .place_order(&rampart_venues::bybit::rules::create_order(&small, &rules))
        .await
        .unwrap_err();
    assert_eq!(refused.venue_code.as_deref(), Some("110094"), "{refused:?}");
    assert_eq!(refused.kind, ErrorKind::Rejected);
    assert!(
        refused.message.contains("below Bybit's minimum"),
        "{}",
        refused.message
    );
    assert_eq!(sim.exchange().lock().order_count(), 0);

    // 100 BTC at 59000 needs about 590000 USDT of margin at 10x: the wallet holds 100000.
    let refused = venue
        .place_order(&limit_order(BTC, "bbbig1", Side::Buy, "100", "59000"))
        .await
        .unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Rejected, "{refused:?}");
    let code = refused.venue_code.clone().unwrap();
    assert!(
        ["110004", "110007", "110012", "110044", "110045"].contains(&code.as_str()),
        "{refused:?}"
    );
    assert!(refused.venue_message.is_some());
    assert!(!refused.outcome_unknown);
    assert!(
        refused.message.contains("Not enough available balance"),
        "{}",
        refused.message
    );
    assert_eq!(
        venue.order_by_client_id(BTC, "bbbig1").await.unwrap(),
        ClientIdLookup::NotFound
    );
    println!("{code}: {}", refused.message);
}

// ---------------------------------------------------------------------------------------------
// 4. Streams

#[tokio::test]
async fn bybit_account_feed_reports_order_fill_and_position_and_recovers_from_a_dropped_stream() {
    let sim = start(config()).await;
    assert!(sim.set_mark_price(BTC, d("60000")));
    let venue = connect(&sim).await;
    let mut feed = venue.account_feed().await.unwrap();
    until_connected(&mut feed).await;

    venue
        .place_order(&market_order(BTC, "bbfeed1", Side::Buy, "0.004"))
        .await
        .unwrap();
    let mut order = None;
    let mut fill = None;
    let mut position = None;
    let mut balance = None;
    for _ in 0..60 {
        if order.is_some() && fill.is_some() && position.is_some() && balance.is_some() {
            break;
        }
        match next_event(&mut feed, "the order's updates").await {
            FeedEvent::Update(AccountUpdate::Order(o))
                if o.client_order_id == "bbfeed1" && o.status == OrderStatus::Filled =>
            {
                order = Some(o);
            }
            FeedEvent::Update(AccountUpdate::Fill(f)) if f.client_order_id == "bbfeed1" => {
                fill = Some(f);
            }
            FeedEvent::Update(AccountUpdate::Positions(ps))
                if ps.iter().any(|p| p.symbol == BTC && !p.qty.is_zero()) =>
            {
                position = ps.into_iter().find(|p| p.symbol == BTC);
            }
            FeedEvent::Update(AccountUpdate::Balances(bs))
                if bs.iter().any(|b| b.asset == "USDT") =>
            {
                balance = bs.into_iter().find(|b| b.asset == "USDT");
            }
            FeedEvent::Status(s) => panic!("stream status while trading: {s:?}"),
            _ => {}
        }
    }
    let order = order.expect("no Filled order update");
    let fill = fill.expect("no fill");
    let position = position.expect("no position update");
    let balance = balance.expect("no USDT balance update");
    // What the stream said is what REST says.
    let rest_order = by_client_id(&venue, BTC, "bbfeed1").await;
    assert_eq!(order.venue_order_id, rest_order.venue_order_id);
    assert_eq!(order.filled_qty, d("0.004"));
    assert_eq!(order.avg_fill_price, rest_order.avg_fill_price);
    assert_eq!((fill.symbol.as_str(), fill.side), (BTC, Side::Buy));
    assert_eq!(
        (fill.qty, Some(fill.price)),
        (d("0.004"), rest_order.avg_fill_price)
    );
    assert_eq!(fill.fee, d("0.004") * fill.price * d(TAKER));
    assert_eq!(fill.fee_asset.as_deref(), Some("USDT"));
    assert!(!fill.maker);
    let rest_position = venue.positions(Some(BTC)).await.unwrap().remove(0);
    assert_eq!(
        (position.qty, position.entry_price),
        (rest_position.qty, rest_position.entry_price)
    );
    assert_eq!(position.qty, d("0.004"));
    assert_eq!(balance.wallet, wallet(&venue, "USDT").await);
    assert_eq!(balance.wallet, d("100000") - fill.fee);

    // The simulator drops the stream: Lost, then Connected again.
    sim.drop_stream_connections();
    let lost = until(&mut feed, 50, "Lost", |e| match e {
        FeedEvent::Status(FeedStatus::Lost(why)) => Some(why.clone()),
        _ => None,
    })
    .await;
    // While the stream is down, the position changes.
    venue
        .place_order(&market_order(BTC, "bbfeed2", Side::Buy, "0.003"))
        .await
        .unwrap();
    until(&mut feed, 50, "Connected again", |e| {
        matches!(e, FeedEvent::Status(FeedStatus::Connected)).then_some(())
    })
    .await;
    // Connected means "read the state again": REST has what the stream may have missed.
    let positions = venue.positions(Some(BTC)).await.unwrap();
    assert_eq!(positions[0].qty, d("0.007"));
    assert_eq!(
        by_client_id(&venue, BTC, "bbfeed2").await.status,
        OrderStatus::Filled
    );
    println!("stream lost ({lost}), connected again; position resynced to 0.007");

    // And the new connection carries updates again.
    tokio::time::sleep(Duration::from_millis(300)).await;
    venue
        .place_order(&limit_order(BTC, "bbfeed3", Side::Buy, "0.002", "59000"))
        .await
        .unwrap();
    let status = until(
        &mut feed,
        40,
        "the resting order after reconnecting",
        |e| match e {
            FeedEvent::Update(AccountUpdate::Order(o)) if o.client_order_id == "bbfeed3" => {
                Some(o.status)
            }
            _ => None,
        },
    )
    .await;
    assert_eq!(status, OrderStatus::Open);
}

#[tokio::test]
async fn bybit_market_feed_brings_mark_book_levels_and_trades() {
    let sim = start(config()).await;
    assert!(sim.set_mark_price(BTC, d("60000")));
    let venue = connect(&sim).await;
    let mut feed = venue
        .market_feed(
            BTC,
            MarketSubscription {
                book_depth: 5,
                trades: true,
                candles: None,
            },
        )
        .await
        .unwrap();
    until(&mut feed, 20, "Connected", |e| {
        matches!(e, FeedEvent::Status(FeedStatus::Connected)).then_some(())
    })
    .await;
    let book = until(&mut feed, 40, "a book", |e| match e {
        FeedEvent::Update(MarketUpdate::Book(b)) => Some(b.clone()),
        _ => None,
    })
    .await;
    assert_eq!(book.symbol, BTC);
    assert_eq!((book.bids.len(), book.asks.len()), (5, 5), "{book:?}");
    // Around the 60000 mark.
    assert!(book.bids[0].price <= d("60000") && book.asks[0].price > d("60000"));
    assert!(book.bids.windows(2).all(|w| w[0].price > w[1].price));
    assert!(book.asks.windows(2).all(|w| w[0].price < w[1].price));
    assert!(
        book.bids
            .iter()
            .chain(&book.asks)
            .all(|l| l.qty > Decimal::ZERO)
    );

    // A taker order prints a trade; a new mark is pushed.
    tokio::time::sleep(Duration::from_millis(200)).await;
    venue
        .place_order(&market_order(BTC, "bbmkt1", Side::Buy, "0.005"))
        .await
        .unwrap();
    assert!(sim.set_mark_price(BTC, d("60500")));
    let (mut trade, mut mark) = (None, None);
    for _ in 0..100 {
        if trade.is_some() && mark.is_some() {
            break;
        }
        match next_event(&mut feed, "a trade and the new mark").await {
            FeedEvent::Update(MarketUpdate::Trade(t)) => trade = Some(t),
            FeedEvent::Update(MarketUpdate::Mark(m)) if m.mark == d("60500") => mark = Some(m),
            _ => {}
        }
    }
    let trade = trade.expect("no trade");
    assert_eq!(trade.taker_side, Side::Buy);
    assert!(trade.qty > Decimal::ZERO && trade.price > d("60000"));
    let mark = mark.expect("no mark at 60500");
    assert_eq!(mark.symbol, BTC);

    // The simulator drops the stream: Lost, Connected again, and a fresh book around the new
    // mark (a snapshot, not diffs applied to the old one).
    sim.drop_stream_connections();
    until(&mut feed, 100, "Lost", |e| {
        matches!(e, FeedEvent::Status(FeedStatus::Lost(_))).then_some(())
    })
    .await;
    until(&mut feed, 100, "Connected again", |e| {
        matches!(e, FeedEvent::Status(FeedStatus::Connected)).then_some(())
    })
    .await;
    let fresh = until(&mut feed, 40, "a book after reconnecting", |e| match e {
        FeedEvent::Update(MarketUpdate::Book(b)) => Some(b.clone()),
        _ => None,
    })
    .await;
    assert_eq!((fresh.bids.len(), fresh.asks.len()), (5, 5), "{fresh:?}");
    assert!(
        fresh.bids[0].price <= d("60500") && fresh.asks[0].price > d("60500"),
        "{fresh:?}"
    );
    drop(feed);

    // An inverse contract's feed comes from Bybit's inverse stream, in USD contracts.
    assert!(sim.set_mark_price(INVERSE, d("60000")));
    let mut inverse = venue
        .market_feed(
            INVERSE,
            MarketSubscription {
                book_depth: 3,
                trades: false,
                candles: None,
            },
        )
        .await
        .unwrap();
    let inverse_book = until(&mut inverse, 40, "an inverse book", |e| match e {
        FeedEvent::Update(MarketUpdate::Book(b)) => Some(b.clone()),
        _ => None,
    })
    .await;
    assert_eq!(inverse_book.symbol, INVERSE);
    assert_eq!(inverse_book.bids.len(), 3);
    assert!(
        inverse_book
            .bids
            .iter()
            .chain(&inverse_book.asks)
            .all(|l| l.qty.fract().is_zero() && l.qty > Decimal::ZERO),
        "{inverse_book:?}"
    );
    println!("book {book:?}\ntrade {trade:?}\nmark {mark:?}");
}

// ---------------------------------------------------------------------------------------------
// 5. Rate limit

/// `n` resting limit orders sent at once, round-robin over `venues`; each client id with its
/// venue's index and result, in the order given.
async fn burst(
    venues: &[Arc<Bybit>],
    n: usize,
    prefix: &str,
) -> Vec<(
    String,
    usize,
    rampart_venues::venue::Result<rampart_venues::venue::OrderAck>,
)> {
    let mut tasks = Vec::new();
    for i in 0..n {
        let which = i % venues.len();
        let venue = venues[which].clone();
        let id = format!("{prefix}{i}");
        tasks.push(tokio::spawn(async move {
            let placed = venue
                .place_order(&limit_order(BTC, &id, Side::Buy, "0.001", "55000"))
                .await;
            (id, which, placed)
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(timeout(WAIT, t).await.unwrap().unwrap());
    }
    out
}

#[tokio::test]
async fn bybit_a_burst_beyond_ten_orders_a_second_is_held_locally_never_drawing_10006() {
    let sim = start(config()).await;
    let venue = Arc::new(connect(&sim).await);
    venue.rules_for(BTC).await.unwrap();
    let mut sent = 0usize;
    let mut held = Vec::new();
    for (id, _, placed) in burst(std::slice::from_ref(&venue), 25, "bbburst").await {
        match placed {
            Ok(_) => sent += 1,
            Err(e) => {
                assert_eq!(e.kind, ErrorKind::RateLimited, "{id}: {e:?}");
                assert!(e.venue_code.is_none(), "the venue's 10006 was drawn: {e:?}");
                assert!(e.not_sent, "{e:?}");
                let now = venue.venue_time_ms().unwrap();
                let at = e.retry_at_ms.expect("no retry time");
                assert!(
                    at > now - 50 && at <= now + 1_100,
                    "retry at {at}, now {now}"
                );
                held.push((id, at));
            }
        }
    }
    // Bybit allows 10 creates a second per UID; the connector keeps a margin below it.
    assert!((5..=10).contains(&sent), "{sent} sent at once");
    assert_eq!(sent + held.len(), 25);
    assert_eq!(sim.exchange().lock().order_count(), sent);
    // After the time it gave, an order goes through.
    let (_, at) = held.last().unwrap().clone();
    let wait = at - venue.venue_time_ms().unwrap();
    tokio::time::sleep(Duration::from_millis(
        u64::try_from(wait.max(0)).unwrap() + 20,
    ))
    .await;
    venue
        .place_order(&limit_order(BTC, "bbafter", Side::Buy, "0.001", "55000"))
        .await
        .unwrap();
    println!("{sent} sent, {} held locally", held.len());
}

#[tokio::test]
async fn bybit_two_clients_on_one_key_beyond_the_limit_are_held_or_refused_rate_limited() {
    let sim = start(config()).await;
    // Two desks (or Rampart and another tool) on one key: each keeps its own budget, the venue
    // counts both.
    let venues = [Arc::new(connect(&sim).await), Arc::new(connect(&sim).await)];
    for v in &venues {
        v.rules_for(BTC).await.unwrap();
    }
    let (mut sent, mut held, mut drawn) = (0usize, 0usize, Vec::new());
    for (id, which, placed) in burst(&venues, 24, "bbtwo").await {
        let venue = &venues[which];
        match placed {
            Ok(_) => sent += 1,
            Err(e) => {
                assert_eq!(e.kind, ErrorKind::RateLimited, "{id}: {e:?}");
                assert!(!e.outcome_unknown, "{e:?}");
                let now = venue.venue_time_ms().unwrap();
                let at = e.retry_at_ms.expect("no retry time");
                assert!(
                    at > now - 50 && at <= now + 1_100,
                    "retry at {at}, now {now}"
                );
                match e.venue_code.as_deref() {
                    None => {
                        assert!(e.not_sent, "{e:?}");
                        held += 1;
                    }
                    Some(code) => {
                        assert_eq!(code, "10006", "{e:?}");
                        assert!(e.message.contains("request limit"), "{}", e.message);
                        // Refused: not placed, and the venue said so.
                        assert_eq!(
                            venue.order_by_client_id(BTC, &id).await.unwrap(),
                            ClientIdLookup::NotFound
                        );
                        drawn.push(at);
                    }
                }
            }
        }
    }
    assert_eq!(sent + held + drawn.len(), 24);
    assert_eq!(sim.exchange().lock().order_count(), sent);
    assert!(
        held + drawn.len() >= 4,
        "{sent} sent, nothing held or refused"
    );
    println!(
        "{sent} sent, {held} held locally, {} refused by the venue (10006)",
        drawn.len()
    );
}

/// Bybit's per-IP limit (600 requests in 5 s) answered as a 403: classified RateLimited with
/// Bybit's 10-minute ban as the retry time, and nothing more is sent until then.
#[tokio::test]
async fn bybit_an_ip_refused_with_403_is_rate_limited_for_ten_minutes_and_sends_nothing_more() {
    // A venue stricter than Bybit's documented 600, so that the connector's own IP budget (set
    // for 600) lets the requests through and the venue's answer is drawn.
    let sim = start(SimConfig {
        ip_requests_per_5s: 15,
        ..config()
    })
    .await;
    let venue = connect(&sim).await;
    let mut refused = None;
    for _ in 0..30 {
        if let Err(e) = venue.balances().await {
            refused = Some(e);
            break;
        }
    }
    let refused = refused.expect("the venue's IP limit was never drawn");
    assert_eq!(refused.kind, ErrorKind::RateLimited, "{refused:?}");
    assert!(
        refused.message.contains("10 minutes"),
        "{}",
        refused.message
    );
    let now = venue.venue_time_ms().unwrap();
    let at = refused.retry_at_ms.unwrap();
    assert!(
        (at - now - 600_000).abs() < 2_000,
        "retry at {at}, now {now}"
    );
    // Held from here on: an order is refused on this machine and the venue sees nothing.
    let before = sim.rest_requests();
    let held = venue
        .place_order(&limit_order(BTC, "bbban1", Side::Buy, "0.001", "55000"))
        .await
        .unwrap_err();
    assert_eq!(held.kind, ErrorKind::RateLimited, "{held:?}");
    assert!(held.not_sent && !held.outcome_unknown, "{held:?}");
    assert!(held.retry_at_ms.is_some_and(|t| t >= at - 1), "{held:?}");
    assert_eq!(sim.rest_requests(), before);
    println!("403: {} / held: {}", refused.message, held.message);
    // The connector keeps an origin's ban for the whole process, as it should for one venue
    // host. Here the origin is this simulator's loopback port: keep the port taken until the
    // test process ends, so that no later test's simulator is given it and inherits the ban.
    let addr = sim.addr();
    sim.stop().await;
    let kept = std::net::TcpListener::bind(addr).expect("the stopped simulator's port rebinds");
    std::mem::forget(kept);
}

// ---------------------------------------------------------------------------------------------
// 6. Lost answers through the engine

#[tokio::test]
async fn bybit_orders_with_lost_answers_are_resolved_by_client_id_and_none_is_sent_twice() {
    const ORDERS: usize = 60;
    const EVERY: u32 = 5;
    let sim = start(SimConfig {
        faults: Faults {
            every: EVERY,
            latency_ms: 5,
            fail_5xx_every: 0,
        },
        ..config()
    })
    .await;
    assert!(sim.set_mark_price(BTC, d("60000")));
    let options = ClientOptions {
        recv_window_ms: 500,
        request_timeout: Duration::from_secs(2),
        ..ClientOptions::default()
    };
    let client = RestClient::with_options(&sim.base_url(), KEY, SECRET, &options).unwrap();
    let venue: Arc<dyn rampart_venues::venue::DynVenue> = Arc::new(Bybit::new(client));
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("orders.journal");
    let engine = open_engine(&journal);
    engine.attach("acc", VenueId::Bybit, venue);
    until_engine_ready(&engine, ENGINE_WAIT).await;

    let mut accepted = Vec::new();
    let mut checking = Vec::new();
    for i in 0..ORDERS {
        let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
        let ticket: OrderTicket = market(side, "0.002");
        let placed =
            rampart_tests::placed(engine.place("acc", &ticket, rampart_tests::CONSENTED).await)
                .unwrap_or_else(|e| panic!("order {i}: {e}"));
        match placed.status {
            PlacedStatus::Accepted => accepted.push(placed.client_order_id),
            PlacedStatus::CheckingWithExchange => {
                checking.push(placed.client_order_id);
                engine_until(&engine, ENGINE_WAIT, "the unknown order to resolve", |e| {
                    e.pending_count() == 0
                })
                .await;
            }
        }
        // Below Bybit's 10 creates a second.
        tokio::time::sleep(Duration::from_millis(130)).await;
    }
    let faults = ORDERS / EVERY as usize;
    assert_eq!(checking.len(), faults, "every injected fault is an unknown");

    // None sent twice: the simulator's record of every create request, by client id.
    let sends = sim.create_requests(KEY);
    assert_eq!(sends.len(), ORDERS);
    assert!(
        sends.iter().all(|(_, n)| *n == 1),
        "an order sent twice: {sends:?}"
    );
    let on_venue: Vec<String> = sim
        .exchange()
        .lock()
        .orders(KEY)
        .into_iter()
        .filter_map(|o| o.client_id)
        .collect();
    for id in &accepted {
        assert!(on_venue.contains(id), "{id} accepted but not on the venue");
    }
    // Of the unknowns, exactly the ones the venue took are on it (every third fault is a 503
    // before accepting); the others were resolved as not placed.
    let taken_unknowns = checking.iter().filter(|id| on_venue.contains(id)).count();
    let failed_before_accepting = (1..=faults).filter(|k| k % 3 == 0).count();
    assert_eq!(taken_unknowns, faults - failed_before_accepting);
    assert_eq!(on_venue.len(), accepted.len() + taken_unknowns);
    drop(engine);
    let (_, unresolved) = OrderJournal::open(&journal, &rampart_tests::journal_key()).unwrap();
    assert!(unresolved.is_empty(), "{unresolved:?}");
    println!(
        "{} accepted, {} unknown resolved ({} on the venue), none sent twice",
        accepted.len(),
        checking.len(),
        taken_unknowns
    );
}

/// Every 11th request of any kind (the resolver's lookups too) fails with a 503, on top of the
/// lost answers: still nothing sent twice, and nothing left unknown.
#[tokio::test]
async fn bybit_lost_answers_and_5xx_anywhere_still_leave_every_order_resolved_once() {
    const ORDERS: usize = 40;
    let sim = start(SimConfig {
        faults: Faults {
            every: 6,
            latency_ms: 3,
            fail_5xx_every: 11,
        },
        ..config()
    })
    .await;
    assert!(sim.set_mark_price(BTC, d("60000")));
    let options = ClientOptions {
        recv_window_ms: 500,
        request_timeout: Duration::from_secs(2),
        ..ClientOptions::default()
    };
    let client = RestClient::with_options(&sim.base_url(), KEY, SECRET, &options).unwrap();
    let venue: Arc<dyn rampart_venues::venue::DynVenue> = Arc::new(Bybit::new(client));
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("orders.journal");
    let engine = open_engine(&journal);
    engine.attach("acc", VenueId::Bybit, venue);
    until_engine_ready(&engine, ENGINE_WAIT).await;

    let (mut accepted, mut checking, mut refused) = (Vec::new(), Vec::new(), 0usize);
    for i in 0..ORDERS {
        let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
        match rampart_tests::placed(
            engine
                .place("acc", &market(side, "0.002"), rampart_tests::CONSENTED)
                .await,
        ) {
            Ok(p) if p.status == PlacedStatus::Accepted => accepted.push(p.client_order_id),
            Ok(p) => {
                checking.push(p.client_order_id);
                engine_until(&engine, ENGINE_WAIT, "the unknown order to resolve", |e| {
                    e.pending_count() == 0
                })
                .await;
            }
            // A 503 on a read before sending (the engine's checks) refuses the order outright.
            Err(e) => {
                refused += 1;
                println!("order {i} not placed: {e}");
            }
        }
        tokio::time::sleep(Duration::from_millis(130)).await;
    }
    assert!(checking.len() >= ORDERS / 6, "{} unknowns", checking.len());
    let sends = sim.create_requests(KEY);
    assert!(
        sends.iter().all(|(_, n)| *n == 1),
        "an order sent twice: {sends:?}"
    );
    let on_venue: Vec<String> = sim
        .exchange()
        .lock()
        .orders(KEY)
        .into_iter()
        .filter_map(|o| o.client_id)
        .collect();
    for id in &accepted {
        assert!(on_venue.contains(id), "{id} accepted but not on the venue");
    }
    let taken_unknowns = checking.iter().filter(|id| on_venue.contains(id)).count();
    assert_eq!(on_venue.len(), accepted.len() + taken_unknowns);
    drop(engine);
    let (_, unresolved) = OrderJournal::open(&journal, &rampart_tests::journal_key()).unwrap();
    assert!(unresolved.is_empty(), "{unresolved:?}");
    println!(
        "{} accepted, {} unknown resolved ({taken_unknowns} on the venue), {refused} refused \
         before sending; none sent twice",
        accepted.len(),
        checking.len()
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Clock

#[tokio::test]
async fn bybit_the_simulators_clock_offset_is_measured_and_signed_requests_pass() {
    for offset in [15_000i64, -4_000] {
        let sim = start(SimConfig {
            clock_offset_ms: offset,
            ..config()
        })
        .await;
        let client = RestClient::new(&sim.base_url(), KEY, SECRET).unwrap();
        let venue = Bybit::new(client);
        let measured = venue.sync_clock().await.unwrap();
        assert!(
            (measured - offset).abs() < 250,
            "offset {offset}: measured {measured}"
        );
        assert_eq!(venue.client().clock_offset_ms(), Some(measured));
        // Bybit takes a request while server − recv_window (5 s) ≤ timestamp < server + 1 s:
        // an unmeasured clock 15 s behind or 4 s ahead would be refused (10002); signed with
        // the measured clock, both pass.
        assert_eq!(wallet(&venue, "USDT").await, d("100000"));
        venue
            .place_order(&limit_order(BTC, "bbclock1", Side::Buy, "0.001", "55000"))
            .await
            .unwrap();
        assert_eq!(
            by_client_id(&venue, BTC, "bbclock1").await.status,
            OrderStatus::Open
        );
        // The private stream's login expires 10 s after it is signed, by the venue's clock:
        // 15 s behind, a login timed by the local clock would arrive already expired.
        let mut feed = venue.account_feed().await.unwrap();
        until(&mut feed, 5, "the stream login", |e| match e {
            FeedEvent::Status(FeedStatus::Connected) => Some(()),
            FeedEvent::Status(other) => panic!("offset {offset}: {other:?}"),
            _ => None,
        })
        .await;
        println!("offset {offset} ms measured as {measured} ms");
    }
}

// ---------------------------------------------------------------------------------------------
// 8. Key permissions and the disconnect cancel-all

#[tokio::test]
async fn bybit_key_permissions_and_the_disconnect_cancel_all_for_institutional_accounts_only() {
    const READ_KEY: &str = "bbReadOnlyKey000000000000000000000";
    const INS_KEY: &str = "bbInstitutionalKey00000000000000000";
    const BOUND_KEY: &str = "bbIpBoundWithdrawKey000000000000000";
    let sim = start(SimConfig {
        accounts: vec![
            account(KEY, SECRET),
            SimAccount {
                permissions: SimKeyPermissions {
                    read_only: true,
                    ..SimKeyPermissions::default()
                },
                ..account(READ_KEY, SECRET_2)
            },
            SimAccount {
                institutional: true,
                ..account(INS_KEY, SECRET_2)
            },
            SimAccount {
                permissions: SimKeyPermissions {
                    withdraw: true,
                    ips: vec!["127.0.0.1".into()],
                    ..SimKeyPermissions::default()
                },
                ..account(BOUND_KEY, SECRET_2)
            },
            account(KEY_2, SECRET_2),
        ],
        ..config()
    })
    .await;

    let venue = connect(&sim).await;
    let perms = venue.key_permissions().await.unwrap().unwrap();
    assert!(
        perms.can_read && perms.can_trade && !perms.can_withdraw,
        "{perms:?}"
    );
    assert!(!perms.ip_restricted);

    let reader = connect_with(&sim, READ_KEY, SECRET_2).await;
    let perms = reader.key_permissions().await.unwrap().unwrap();
    assert!(perms.can_read && !perms.can_trade, "{perms:?}");
    let refused = reader
        .place_order(&limit_order(BTC, "bbread1", Side::Buy, "0.001", "55000"))
        .await
        .unwrap_err();
    assert_eq!(refused.venue_code.as_deref(), Some("10005"), "{refused:?}");
    assert!(
        refused.message.contains("lacks the permission"),
        "{}",
        refused.message
    );
    assert_eq!(
        refused.refusal_cause(),
        rampart_venues::venue::RefusalCause::Authentication
    );

    let bound = connect_with(&sim, BOUND_KEY, SECRET_2).await;
    let perms = bound.key_permissions().await.unwrap().unwrap();
    assert!(
        perms.can_trade && perms.can_withdraw && perms.ip_restricted,
        "{perms:?}"
    );

    // A secret that does not belong to the key: Bybit's 10004 and what to do about it.
    let wrong = Bybit::new(RestClient::new(&sim.base_url(), KEY, SECRET_2).unwrap());
    wrong.sync_clock().await.unwrap();
    let refused = wrong.balances().await.unwrap_err();
    assert_eq!(refused.venue_code.as_deref(), Some("10004"), "{refused:?}");
    assert!(refused.message.contains("secret"), "{}", refused.message);
    assert_eq!(
        refused.refusal_cause(),
        rampart_venues::venue::RefusalCause::Authentication
    );

    // The dead man's switch: a non-institutional key gets the connector's sentence.
    let dms = venue.capabilities().dead_mans_switch.unwrap();
    assert_eq!(dms.scope, DeadMansScope::Connection);
    let refused = venue
        .dead_mans_switch(&DeadMansScope::Connection, Duration::from_secs(10))
        .await
        .unwrap_err();
    assert!(
        refused.message.contains(DCP_INSTITUTIONAL_ONLY),
        "{refused:?}"
    );
    // Out-of-range windows never leave.
    let before = sim.rest_requests();
    let short = venue
        .dead_mans_switch(&DeadMansScope::Connection, Duration::from_secs(1))
        .await
        .unwrap_err();
    assert_eq!(short.kind, ErrorKind::Validation);
    assert_eq!(sim.rest_requests(), before);

    // An institutional account with a dcp-subscribed private stream: when the stream goes,
    // the countdown starts, and when it runs out the orders are cancelled.
    let ins = connect_with(&sim, INS_KEY, SECRET_2).await;
    let mut feed = ins.account_feed().await.unwrap();
    until_connected(&mut feed).await;
    ins.dead_mans_switch(&DeadMansScope::Connection, Duration::from_secs(3))
        .await
        .unwrap();
    ins.place_order(&limit_order(BTC, "bbdcp1", Side::Buy, "0.001", "55000"))
        .await
        .unwrap();
    assert_eq!(sim.dcp_deadline(INS_KEY), None, "counting while connected");
    drop(feed);
    let until_armed = Instant::now() + WAIT;
    while sim.dcp_deadline(INS_KEY).is_none() {
        assert!(Instant::now() < until_armed, "the countdown never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        by_client_id(&ins, BTC, "bbdcp1").await.status,
        OrderStatus::Open
    );
    let until_fired = Instant::now() + Duration::from_secs(8);
    loop {
        let status = by_client_id(&ins, BTC, "bbdcp1").await.status;
        if status == OrderStatus::Cancelled {
            break;
        }
        assert!(
            Instant::now() < until_fired,
            "the DCP never fired: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!("non-institutional DCP: {}", refused.message);
}

// ---------------------------------------------------------------------------------------------
// 9. Inverse contracts

#[tokio::test]
async fn bybit_inverse_btcusd_trades_usd_contracts_with_margin_fees_and_pnl_in_btc() {
    let sim = start(config()).await;
    assert!(sim.set_mark_price(INVERSE, d("60000")));
    let venue = connect(&sim).await;
    let rules = venue.rules_for(INVERSE).await.unwrap();
    assert_eq!(rules.settle_asset, "BTC");
    assert_eq!(rules.quote_asset, "USD");
    assert_eq!(rules.step_size, d("1"));
    let btc_before = wallet(&venue, "BTC").await;
    assert_eq!(btc_before, d("2"));
    let mut feed = venue.account_feed().await.unwrap();
    until_connected(&mut feed).await;

    let (bid, _) = top_of_book(&venue, INVERSE).await;
    venue
        .place_order(&market_order(INVERSE, "bbinv1", Side::Sell, "1000"))
        .await
        .unwrap();
    let sold = by_client_id(&venue, INVERSE, "bbinv1").await;
    assert_eq!(
        (sold.status, sold.filled_qty),
        (OrderStatus::Filled, d("1000"))
    );
    assert_eq!(sold.avg_fill_price, Some(bid));
    let position = venue.positions(Some(INVERSE)).await.unwrap().remove(0);
    assert_eq!(position.qty, d("-1000"));
    // The account's positions cover inverse contracts too.
    let all = venue.positions(None).await.unwrap();
    assert_eq!(
        all.iter()
            .map(|p| (p.symbol.as_str(), p.qty))
            .collect::<Vec<_>>(),
        [(INVERSE, d("-1000"))]
    );
    assert_eq!(position.entry_price, bid);

    // The fee is in BTC: 1000 USD at the fill price, 0.055 %.
    let fee = d("1000") / bid * d(TAKER);
    let btc_after = wallet(&venue, "BTC").await;
    assert!(
        (btc_before - btc_after - fee).abs() < d("0.00000002"),
        "fee {} BTC, expected {fee}",
        btc_before - btc_after
    );
    // USDT is untouched.
    assert_eq!(wallet(&venue, "USDT").await, d("100000"));
    // The private stream speaks the same units: contracts, and BTC for fees and the wallet.
    let (mut fill, mut position, mut balance) = (None, None, None);
    for _ in 0..60 {
        if fill.is_some() && position.is_some() && balance.is_some() {
            break;
        }
        match next_event(&mut feed, "the inverse order's updates").await {
            FeedEvent::Update(AccountUpdate::Fill(f)) if f.client_order_id == "bbinv1" => {
                fill = Some(f);
            }
            FeedEvent::Update(AccountUpdate::Positions(ps))
                if ps.iter().any(|p| p.symbol == INVERSE && !p.qty.is_zero()) =>
            {
                position = ps.into_iter().find(|p| p.symbol == INVERSE);
            }
            FeedEvent::Update(AccountUpdate::Balances(bs))
                if bs.iter().any(|b| b.asset == "BTC") =>
            {
                balance = bs.into_iter().find(|b| b.asset == "BTC");
            }
            _ => {}
        }
    }
    let fill = fill.expect("no inverse fill");
    assert_eq!((fill.qty, fill.side), (d("1000"), Side::Sell));
    assert_eq!(fill.fee_asset.as_deref(), Some("BTC"));
    assert!((fill.fee - fee).abs() < d("0.00000002"), "{fill:?}");
    let position = position.expect("no inverse position update");
    assert_eq!((position.qty, position.entry_price), (d("-1000"), bid));
    assert_eq!(balance.expect("no BTC balance update").wallet, btc_after);
    drop(feed);

    // The price falls: the short gains, in BTC: contracts × (1/mark − 1/entry).
    assert!(sim.set_mark_price(INVERSE, d("57000")));
    let position = venue.positions(Some(INVERSE)).await.unwrap().remove(0);
    let expected = d("1000") * (Decimal::ONE / d("57000") - Decimal::ONE / bid);
    assert!(
        expected > d("0.0008") && expected < d("0.0009"),
        "{expected}"
    );
    assert!(
        (position.unrealized_pnl - expected).abs() < d("0.00000002"),
        "unrealized {} BTC, expected {expected}",
        position.unrealized_pnl
    );
    // Margin is held in BTC: the position's initial margin at 10x leaves the available BTC.
    let btc = venue
        .balances()
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.asset == "BTC")
        .unwrap();
    let margin = d("1000") / bid / d("10");
    assert!(
        btc.available <= btc.wallet - margin + d("0.00000002"),
        "{btc:?}, margin {margin}"
    );
    assert!(btc.available > btc.wallet - d("2") * margin, "{btc:?}");
    assert_eq!(wallet(&venue, "USDT").await, d("100000"));

    // Buying the 1000 contracts back at the lower price realises the gain into the BTC wallet.
    let (_, ask) = top_of_book(&venue, INVERSE).await;
    let close = OrderRequest {
        reduce_only: true,
        ..market_order(INVERSE, "bbinv2", Side::Buy, "1000")
    };
    venue.place_order(&close).await.unwrap();
    assert!(venue.positions(Some(INVERSE)).await.unwrap().is_empty());
    let realized = d("1000") * (Decimal::ONE / ask - Decimal::ONE / bid);
    let close_fee = d("1000") / ask * d(TAKER);
    let btc_closed = wallet(&venue, "BTC").await;
    assert!(
        (btc_closed - (btc_before - fee - close_fee + realized)).abs() < d("0.00000004"),
        "wallet {btc_closed} BTC, expected {}",
        btc_before - fee - close_fee + realized
    );
    println!(
        "short 1000 USD at {bid}: fee {fee} BTC, unrealized at 57000 {} BTC, margin {margin} \
         BTC; bought back at {ask}: wallet {btc_closed} BTC",
        position.unrealized_pnl
    );
}
