//! The Deribit v2 connector against the Deribit simulator over real loopback sockets: the
//! client-signature grant, the instruments (perpetuals, dated futures, the options chain with
//! price-dependent ticks), orders by label (placed, found, edited, cancelled, cancel-all), an
//! option's position with greeks, local and venue refusals, the account feed across a dropped
//! stream, access tokens renewed before and after expiry, the engine's fault plan,
//! cancel-on-disconnect and key scopes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rampart_core::trading::{ContractKind, OptionRight, ProductCategory};
use rampart_core::{OrderType, Side, Venue as VenueId};
use rampart_engine::orders::{OrderError, OrderJournal, OrderTicket, PlacedStatus};
use rampart_sim::deribit::{Faults, InstrumentKind, SimAccount, SimConfig, SimScope, SimServer};
use rampart_venues::binance_usdm::ClientOptions;
use rampart_venues::deribit::{Deribit, RpcClient};
use rampart_venues::venue::{
    AccountUpdate, ClientIdLookup, DeadMansScope, ErrorKind, FeedEvent, FeedStatus,
    MarketSubscription, MarketUpdate, OrderAmend, OrderStatus, Venue,
};
use rust_decimal::Decimal;

use super::support::{
    d, engine_until, limit_order as limit, listener, market_order as market, next_event,
    open_engine, until_engine_ready,
};

const KEY: &str = "RampartDrbt01";
const SECRET: &str = "Q3xv9K2mT7wL5pR8sN4yB6cF1hJ0dG2zA9eU7iO3kM5";
/// A key that may only read.
const READ_KEY: &str = "RampartDrbtRO";
const READ_SECRET: &str = "Z8nB3vC6xM1qW4eR7tY0uI2oP5aS9dF3gH6jK1lL4k";
/// A key that may withdraw.
const FULL_KEY: &str = "RampartDrbtFull";
const FULL_SECRET: &str = "M2nB5vC8xZ1qA4wS7eD0rF3tG6yH9uJ2iK5oL8pQ1w";
const PERP: &str = "BTC-PERPETUAL";

fn config() -> SimConfig {
    SimConfig {
        accounts: vec![
            SimAccount {
                client_id: KEY.into(),
                client_secret: SECRET.into(),
                scope: SimScope::default(),
            },
            SimAccount {
                client_id: READ_KEY.into(),
                client_secret: READ_SECRET.into(),
                scope: SimScope::read_only(),
            },
            SimAccount {
                client_id: FULL_KEY.into(),
                client_secret: FULL_SECRET.into(),
                scope: SimScope::full(),
            },
        ],
        tick_interval_ms: 0,
        ..SimConfig::default()
    }
}

async fn start(config: SimConfig) -> SimServer {
    let sim = SimServer::start(listener().await, config).unwrap();
    assert!(sim.set_mark_price(PERP, d("60000")));
    assert!(sim.set_mark_price("ETH-PERPETUAL", d("3000")));
    sim
}

fn options(sim: &SimServer) -> ClientOptions {
    ClientOptions {
        request_timeout: Duration::from_secs(3),
        extra_root_pem: sim.cert_pem(),
        ..ClientOptions::default()
    }
}

fn client_as(sim: &SimServer, id: &str, secret: &str) -> RpcClient {
    RpcClient::with_options(&sim.base_url(), id, secret, &options(sim)).unwrap()
}

/// The connector for `id`, its clock measured.
async fn connect_as(sim: &SimServer, id: &str, secret: &str) -> Deribit {
    let deribit = Deribit::new(client_as(sim, id, secret));
    deribit.sync_clock().await.unwrap();
    deribit
}

async fn connect(sim: &SimServer) -> Deribit {
    connect_as(sim, KEY, SECRET).await
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

/// Every order of `KEY` the simulator took, counted by label.
fn taken_by_venue(sim: &SimServer) -> HashMap<String, usize> {
    let mut taken = HashMap::new();
    for o in sim.exchange().lock().orders(KEY) {
        if let Some(id) = o.client_id {
            *taken.entry(id).or_insert(0) += 1;
        }
    }
    taken
}

async fn wallet(deribit: &Deribit, asset: &str) -> Decimal {
    deribit
        .balances()
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.asset == asset)
        .unwrap_or_else(|| panic!("no {asset} balance"))
        .wallet
}

/// The BTC option of the quarterly (later) expiry at `strike`, `C` or `P`.
fn btc_option(sim: &SimServer, strike: &str, right: &str) -> String {
    let names = sim.instruments_of(InstrumentKind::Option, "BTC");
    let suffix = format!("-{strike}-{right}");
    names
        .iter()
        .rfind(|n| n.ends_with(&suffix))
        .cloned()
        .unwrap_or_else(|| panic!("no BTC option {suffix} in {names:?}"))
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

/// The signature grant connects; the instruments list perpetuals, dated futures and both sides
/// of the options chain with strike, expiry and the option tick that changes with the price; the
/// mark and an option's ticker greeks are read.
#[tokio::test]
async fn deribit_connects_and_reads_futures_options_marks_and_greeks() {
    let sim = start(config()).await;
    let deribit = connect(&sim).await;
    let rules = deribit.instruments(true).await.unwrap();
    let perp = rules
        .iter()
        .find(|r| r.symbol == PERP)
        .expect("the perpetual");
    assert_eq!(perp.category, ProductCategory::Inverse);
    assert_eq!(perp.kind, ContractKind::Perpetual);
    assert_eq!(perp.tick_size, d("0.5"));
    assert_eq!(perp.contract_size, Some(d("10")));
    assert_eq!(perp.step_size, d("1"), "one contract of 10 USD");
    assert_eq!(perp.settle_asset, "BTC");

    let futures: Vec<_> = rules
        .iter()
        .filter(|r| r.category == ProductCategory::Inverse && r.kind == ContractKind::Dated)
        .collect();
    assert!(!futures.is_empty(), "dated futures listed");
    assert!(futures.iter().all(|f| f.expiry_ms.is_some()));

    let call_name = btc_option(&sim, "60000", "C");
    let call = rules
        .iter()
        .find(|r| r.symbol == call_name)
        .unwrap_or_else(|| panic!("{call_name} listed"));
    let spec = call.option.as_ref().expect("an option spec");
    assert_eq!(call.category, ProductCategory::Option);
    assert_eq!(spec.strike, d("60000"));
    assert_eq!(spec.right, OptionRight::Call);
    assert_eq!(spec.premium_currency, "BTC");
    assert!(call.expiry_ms.unwrap() > rampart_sim::core::wall_ms());
    assert_eq!(call.tick_size, d("0.0001"));
    assert_eq!(call.tick_steps.len(), 1, "{:?}", call.tick_steps);
    assert_eq!(call.tick_steps[0].from_price, d("0.005"));
    assert_eq!(call.tick_steps[0].tick, d("0.0005"));
    assert_eq!(call.step_size, d("0.1"));
    let puts = rules
        .iter()
        .filter(|r| {
            r.option
                .as_ref()
                .is_some_and(|o| o.right == OptionRight::Put)
        })
        .count();
    let calls = rules
        .iter()
        .filter(|r| {
            r.option
                .as_ref()
                .is_some_and(|o| o.right == OptionRight::Call)
        })
        .count();
    assert_eq!(puts, calls);
    assert!(puts >= 10, "{puts} puts");

    let mark = deribit.mark_price(PERP).await.unwrap();
    assert_eq!(mark.mark, d("60000"));
    let (option_mark, greeks) = deribit.ticker(&call_name).await.unwrap();
    let greeks = greeks.expect("an option's ticker has greeks");
    println!(
        "{call_name}: mark {} delta {} gamma {} vega {} theta {}",
        option_mark.mark, greeks.delta, greeks.gamma, greeks.vega, greeks.theta
    );
    assert!(option_mark.mark > Decimal::ZERO);
    assert!(
        greeks.delta > d("0.3") && greeks.delta < d("0.7"),
        "ATM call delta"
    );
    assert!(greeks.gamma > Decimal::ZERO);
    assert!(greeks.vega > Decimal::ZERO);
    assert!(greeks.theta < Decimal::ZERO);
    sim.stop().await;
}

/// One request reads every live BTC option's quote: each listed option has one, with a bid
/// under its ask, a mark and mark IV (the ticker's), and the underlying price; the engine lays
/// them out as the chain (expiries nearest first, strikes ascending, call and put of each), and
/// an underlying Deribit has no options on is refused before anything is sent.
#[tokio::test]
async fn deribit_an_options_chain_is_read_in_one_request_and_laid_out_by_expiry_and_strike() {
    let sim = start(config()).await;
    let deribit = connect(&sim).await;
    let rules = deribit.instruments(true).await.unwrap();
    let listed: Vec<&str> = rules
        .iter()
        .filter(|r| r.option.as_ref().is_some_and(|o| o.underlying == "BTC"))
        .map(|r| r.symbol.as_str())
        .collect();
    let quotes = deribit.option_quotes("btc").await.unwrap();
    let mut quoted: Vec<&str> = quotes.iter().map(|q| q.symbol.as_str()).collect();
    quoted.sort_unstable();
    let mut expected = listed.clone();
    expected.sort_unstable();
    assert_eq!(quoted, expected, "one quote per listed BTC option");
    for q in &quotes {
        let mark = q.mark.unwrap_or_else(|| panic!("{}: a mark", q.symbol));
        // A far out-of-the-money option days from expiry is worth next to nothing.
        assert!(mark >= Decimal::ZERO, "{}: mark {mark}", q.symbol);
        let iv = q
            .mark_iv
            .unwrap_or_else(|| panic!("{}: a mark IV", q.symbol));
        assert!(
            iv > d("5") && iv < d("300"),
            "{}: IV {iv} in percent",
            q.symbol
        );
        let underlying = q.underlying_price.expect("an underlying price");
        assert!(
            underlying > d("50000") && underlying < d("70000"),
            "{underlying}"
        );
        if let (Some(bid), Some(ask)) = (q.bid, q.ask) {
            assert!(bid < ask, "{}: bid {bid} ask {ask}", q.symbol);
        }
    }
    let call_name = btc_option(&sim, "60000", "C");
    let call = quotes.iter().find(|q| q.symbol == call_name).unwrap();
    let (ticker, _) = deribit.ticker(&call_name).await.unwrap();
    assert_eq!(
        call.mark,
        Some(ticker.mark),
        "the summary's mark is the ticker's"
    );
    assert_eq!(call.mark_iv, ticker.mark_iv);
    assert!(
        call.bid.is_some() && call.ask.is_some(),
        "the ATM call is quoted both sides"
    );

    let eth = deribit.option_quotes("ETH").await.unwrap();
    assert!(!eth.is_empty() && eth.iter().all(|q| q.symbol.starts_with("ETH-")));
    let refused = deribit.option_quotes("SOL").await.unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Validation);
    assert!(refused.not_sent, "{refused:?}");

    let dir = tempfile::tempdir().unwrap();
    let engine = open_engine(&dir.path().join("orders.journal"));
    let venue: Arc<dyn rampart_venues::venue::DynVenue> =
        Arc::new(Deribit::new(client_as(&sim, KEY, SECRET)));
    engine.attach("acc", VenueId::Deribit, venue);
    until_engine_ready(&engine, Duration::from_secs(30)).await;
    let chain = engine.option_chain("acc", "BTC").await.unwrap();
    assert_eq!(chain.underlying, "BTC");
    assert_eq!(chain.premium_currency, "BTC");
    assert_eq!(chain.expiries.len(), 2, "the simulator lists two expiries");
    assert!(chain.expiries[0].expiry_ms < chain.expiries[1].expiry_ms);
    for e in &chain.expiries {
        let strikes: Vec<Decimal> = e.rows.iter().map(|r| r.strike).collect();
        let mut sorted = strikes.clone();
        sorted.sort_unstable();
        assert_eq!(strikes, sorted, "strikes ascending");
        assert_eq!(strikes.len(), 5);
        assert!(e.underlying_price.is_some());
        for row in &e.rows {
            let c = row.call.as_ref().expect("a call at every strike");
            let p = row.put.as_ref().expect("a put at every strike");
            assert!(
                c.symbol.ends_with(&format!("-{}-C", row.strike)),
                "{}",
                c.symbol
            );
            assert!(
                p.symbol.ends_with(&format!("-{}-P", row.strike)),
                "{}",
                p.symbol
            );
        }
    }
    let row = chain.expiries[1]
        .rows
        .iter()
        .find(|r| r.strike == d("60000"))
        .unwrap();
    assert_eq!(row.call.as_ref().unwrap().symbol, call_name);
    println!(
        "chain: {} expiries; {call_name} bid {:?} ask {:?} mark {:?} IV {:?}",
        chain.expiries.len(),
        call.bid,
        call.ask,
        call.mark,
        call.mark_iv
    );
    let none = engine.option_chain("acc", "SOL").await.unwrap_err();
    assert!(matches!(none, OrderError::NotSent(_)), "{none:?}");
    sim.stop().await;
}

/// A market buy on the perpetual fills: the position shows its contracts and the BTC balance
/// pays the taker fee on the USD value.
#[tokio::test]
async fn deribit_market_buy_fills_and_shows_position_and_fee() {
    let sim = SimServer::start_tls(listener().await, config()).unwrap();
    assert!(sim.base_url().starts_with("https://"));
    sim.set_mark_price(PERP, d("60000"));
    let deribit = connect(&sim).await;
    let before = wallet(&deribit, "BTC").await;
    assert_eq!(before, d("10"));

    // 100 contracts of 10 USD.
    let ack = deribit
        .place_order(&market(PERP, "mkt1", Side::Buy, "100"))
        .await
        .unwrap();
    assert_eq!(ack.client_order_id, "mkt1");
    let found = match deribit.order_by_client_id(PERP, "mkt1").await.unwrap() {
        ClientIdLookup::Found(o) => o,
        other => panic!("{other:?}"),
    };
    assert_eq!(found.status, OrderStatus::Filled);
    assert_eq!(found.filled_qty, d("100"));
    let avg = found.avg_fill_price.unwrap();
    assert!(avg > d("59000") && avg < d("61000"), "{avg}");

    let positions = deribit.positions(Some(PERP)).await.unwrap();
    assert_eq!(positions.len(), 1, "{positions:?}");
    assert_eq!(positions[0].qty, d("100"), "100 contracts");
    let after = wallet(&deribit, "BTC").await;
    let fee = d("1000") / avg * d("0.0005");
    println!("bought 100 contracts at {avg}: BTC {before} -> {after} (fee ~{fee})");
    assert!(after < before);
    assert!(
        (before - after - fee).abs() < d("0.000001"),
        "{before} - {after} should be the fee {fee}"
    );
    sim.stop().await;
}

/// A limit rests and is found by label, edited in price and size, cancelled by label; cancel-all
/// for one instrument keeps the others, for the account leaves nothing.
#[tokio::test]
async fn deribit_limits_rest_are_found_edited_and_cancelled_by_label() {
    let sim = start(config()).await;
    let deribit = connect(&sim).await;
    let ack = deribit
        .place_order(&limit(PERP, "rest1", Side::Buy, "5", "59000"))
        .await
        .unwrap();
    assert_eq!(ack.status, OrderStatus::Open);
    let open = deribit.open_orders(Some(PERP)).await.unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].client_order_id, "rest1");
    assert_eq!(open[0].price, Some(d("59000")));
    assert_eq!(open[0].qty, d("5"));
    match deribit.order_by_client_id(PERP, "rest1").await.unwrap() {
        ClientIdLookup::Found(o) => assert_eq!(o.venue_order_id, ack.venue_order_id),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        deribit.order_by_client_id(PERP, "never1").await.unwrap(),
        ClientIdLookup::NotFound
    );

    let edited = deribit
        .amend_order(
            PERP,
            "rest1",
            &OrderAmend {
                qty: Some(d("7")),
                price: Some(d("59100.5")),
                trigger_price: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.price, Some(d("59100.5")), "{edited:?}");
    assert_eq!(edited.qty, d("7"), "{edited:?}");
    assert_eq!(edited.venue_order_id, ack.venue_order_id);
    let open = deribit.open_orders(Some(PERP)).await.unwrap();
    assert_eq!((open[0].price, open[0].qty), (Some(d("59100.5")), d("7")));
    {
        let ex = sim.exchange();
        let ex = ex.lock();
        let o = ex.orders(KEY);
        let o = o.iter().find(|o| o.status.is_open()).unwrap();
        assert_eq!(o.price, Some(d("59100.5")));
        assert_eq!(o.qty, d("70"), "70 USD at the simulator");
    }

    let cancelled = deribit.cancel_by_client_id(PERP, "rest1").await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(sim_open(&sim), 0);

    let eth = "ETH-PERPETUAL";
    deribit
        .place_order(&limit(PERP, "rest2", Side::Sell, "1", "61000"))
        .await
        .unwrap();
    deribit
        .place_order(&limit(PERP, "rest3", Side::Buy, "1", "58000"))
        .await
        .unwrap();
    deribit
        .place_order(&limit(eth, "eth1", Side::Buy, "10", "2900"))
        .await
        .unwrap();
    assert_eq!(deribit.open_orders(None).await.unwrap().len(), 3);
    deribit.cancel_all(Some(PERP)).await.unwrap();
    let left = deribit.open_orders(None).await.unwrap();
    assert_eq!(left.len(), 1, "the ETH order stays: {left:?}");
    assert_eq!(left[0].symbol, eth);
    deribit.cancel_all(None).await.unwrap();
    assert!(deribit.open_orders(None).await.unwrap().is_empty());
    assert_eq!(sim_open(&sim), 0, "nothing open at the simulator");
    sim.stop().await;
}

/// An option bought at a price in BTC on its tick: the position carries greeks.
#[tokio::test]
async fn deribit_an_option_bought_shows_a_position_with_greeks() {
    let sim = start(config()).await;
    let deribit = connect(&sim).await;
    let call = btc_option(&sim, "60000", "C");
    let (mark, _) = deribit.ticker(&call).await.unwrap();
    // Well above the mark, on the 0.0005 tick: crosses the book.
    let price = ((mark.mark * d("1.5")) / d("0.0005")).ceil() * d("0.0005");
    deribit
        .place_order(&limit(&call, "opt1", Side::Buy, "0.5", &price.to_string()))
        .await
        .unwrap();
    let ClientIdLookup::Found(o) = deribit.order_by_client_id(&call, "opt1").await.unwrap() else {
        panic!("opt1 not found");
    };
    assert_eq!(o.status, OrderStatus::Filled, "{o:?}");
    let positions = deribit.positions(Some(&call)).await.unwrap();
    assert_eq!(positions.len(), 1, "{positions:?}");
    assert_eq!(positions[0].qty, d("0.5"));
    let g = positions[0].greeks.expect("an option position's greeks");
    println!(
        "{call} 0.5 at {}: delta {} gamma {} vega {} theta {}",
        positions[0].entry_price, g.delta, g.gamma, g.vega, g.theta
    );
    assert!(
        g.delta > d("0.1") && g.delta < d("0.4"),
        "half a call's delta"
    );
    assert!(g.gamma > Decimal::ZERO && g.vega > Decimal::ZERO && g.theta < Decimal::ZERO);
    sim.stop().await;
}

/// Off-tick prices (at each tick step) and sizes off the step never leave the machine; an order
/// the venue refuses for funds carries Deribit's code and a sentence.
#[tokio::test]
async fn deribit_bad_orders_are_refused_locally_and_a_funds_refusal_says_why() {
    let sim = start(config()).await;
    // Over HTTP only, so that the simulator's request count shows what was sent.
    let deribit = Deribit::new(client_as(&sim, KEY, SECRET).with_socket(false));
    deribit.sync_clock().await.unwrap();
    deribit.instruments(true).await.unwrap();
    // The token is granted by a first order.
    deribit
        .place_order(&limit(PERP, "warm1", Side::Buy, "1", "58000"))
        .await
        .unwrap();
    let call = btc_option(&sim, "60000", "C");
    let orders = sim.exchange().lock().order_count();
    let requests = sim.rest_requests();
    for (bad, why) in [
        (
            limit(PERP, "tick1", Side::Buy, "1", "59000.25"),
            "perpetual tick 0.5",
        ),
        (
            limit(&call, "tick2", Side::Buy, "0.1", "0.00015"),
            "option tick 0.0001 below 0.005",
        ),
        (
            limit(&call, "tick3", Side::Buy, "0.1", "0.0102"),
            "option tick 0.0005 above 0.005",
        ),
        (
            limit(PERP, "lot1", Side::Buy, "1.5", "59000"),
            "whole contracts",
        ),
        (
            limit(&call, "lot2", Side::Buy, "0.15", "0.0100"),
            "option step 0.1",
        ),
    ] {
        let e = deribit.place_order(&bad).await.unwrap_err();
        println!("{why}: {}", e.message);
        assert_eq!(e.kind, ErrorKind::Validation, "{why}: {e:?}");
        assert!(e.not_sent, "{e:?}");
        assert_eq!(e.venue_code, None, "{e:?}");
    }
    assert_eq!(
        sim.rest_requests(),
        requests,
        "nothing reached the simulator"
    );
    assert_eq!(sim.exchange().lock().order_count(), orders, "nothing taken");
    // On the step: accepted.
    deribit
        .place_order(&limit(&call, "ok1", Side::Buy, "0.1", "0.0001"))
        .await
        .unwrap();

    // 10,000,000 USD of BTC is far beyond 10 BTC of margin.
    let e = deribit
        .place_order(&limit(PERP, "big1", Side::Buy, "1000000", "59000"))
        .await
        .unwrap_err();
    println!("not enough funds: {} ({:?})", e.message, e.venue_code);
    assert_eq!(e.kind, ErrorKind::Rejected, "{e:?}");
    assert_eq!(e.venue_code.as_deref(), Some("10009"), "{e:?}");
    assert!(e.message.to_lowercase().contains("funds"), "{}", e.message);
    assert!(!e.outcome_unknown);
    sim.stop().await;
}

/// The account feed reports the order, fill and position of a market order; a dropped stream
/// reports Lost, then Connected, and a read shows an order placed while it was down.
#[tokio::test]
async fn deribit_account_feed_reports_orders_fills_positions_and_reconnects() {
    let sim = start(config()).await;
    let deribit = connect(&sim).await;
    let mut feed = deribit.account_feed().await.unwrap();
    until_event(&mut feed, "Connected", |e| {
        matches!(e, FeedEvent::Status(FeedStatus::Connected)).then_some(())
    })
    .await;
    // The subscribe frames went out before Connected; let the simulator read them.
    tokio::time::sleep(Duration::from_millis(300)).await;

    deribit
        .place_order(&market(PERP, "feed1", Side::Buy, "3"))
        .await
        .unwrap();
    let (mut order_seen, mut fill_seen, mut position_seen) = (false, false, false);
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
                assert_eq!(f.symbol, PERP);
                assert_eq!(f.side, Side::Buy);
                assert!(f.qty > Decimal::ZERO && f.qty <= d("3"), "{f:?}");
                fill_seen = true;
            }
            FeedEvent::Update(AccountUpdate::Positions(ps))
                if ps.iter().any(|p| p.symbol == PERP && p.qty == d("3")) =>
            {
                position_seen = true;
            }
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
    deribit
        .place_order(&limit(PERP, "gap1", Side::Buy, "1", "59000"))
        .await
        .unwrap();
    until_event(&mut feed, "Connected again", |e| {
        matches!(e, FeedEvent::Status(FeedStatus::Connected)).then_some(())
    })
    .await;
    let open = deribit.open_orders(Some(PERP)).await.unwrap();
    assert!(open.iter().any(|o| o.client_order_id == "gap1"), "{open:?}");
    let positions = deribit.positions(Some(PERP)).await.unwrap();
    assert_eq!(positions[0].qty, d("3"));

    tokio::time::sleep(Duration::from_millis(300)).await;
    deribit.cancel_by_client_id(PERP, "gap1").await.unwrap();
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

/// With 70 s tokens the connector renews before expiry (after 80 %… or under 60 s left), so
/// the simulator never refuses a token; a token forced to expire is answered with one renewal.
#[tokio::test]
async fn deribit_tokens_are_renewed_before_expiry_and_once_after_a_forced_expiry() {
    let sim = start(SimConfig {
        token_lifetime: Duration::from_secs(70),
        ..config()
    })
    .await;
    // Over HTTP only, so that every grant is counted by the client.
    let deribit = Deribit::new(client_as(&sim, KEY, SECRET).with_socket(false));
    deribit.sync_clock().await.unwrap();
    deribit.balances().await.unwrap();
    let first = deribit.client().http_auth_calls();
    assert_eq!(first, 1);
    // Within the first 10 s the token is kept; after it (under 60 s left) it is renewed.
    deribit.balances().await.unwrap();
    assert_eq!(
        deribit.client().http_auth_calls(),
        first,
        "kept while fresh"
    );
    tokio::time::sleep(Duration::from_millis(10_500)).await;
    deribit.balances().await.unwrap();
    let renewed = deribit.client().http_auth_calls();
    assert_eq!(renewed, first + 1, "renewed before expiry");
    assert_eq!(sim.refused_tokens(), 0, "no 13009 while renewing ahead");

    // Forced expiry: one refusal, one renewal, and the read still succeeds.
    let deribit = connect(&sim).await;
    deribit
        .place_order(&limit(PERP, "tok1", Side::Buy, "1", "59000"))
        .await
        .unwrap();
    let deribit_http = Deribit::new(client_as(&sim, KEY, SECRET).with_socket(false));
    deribit_http.balances().await.unwrap();
    let before = deribit_http.client().http_auth_calls();
    sim.expire_access_tokens();
    let b = deribit_http.balances().await.unwrap();
    assert!(!b.is_empty());
    assert_eq!(
        deribit_http.client().http_auth_calls(),
        before + 1,
        "one renewal"
    );
    assert_eq!(sim.refused_tokens(), 1, "one refusal");
    // The socket connection's token expired too: it renews and goes on.
    let open = deribit.open_orders(Some(PERP)).await.unwrap();
    println!(
        "after a forced expiry: {} refusal(s), open {:?}",
        sim.refused_tokens(),
        open.iter().map(|o| &o.client_order_id).collect::<Vec<_>>()
    );
    assert_eq!(open.len(), 1);
    assert_eq!(sim.refused_tokens(), 2, "one refusal on the socket too");
    sim.stop().await;
}

fn ticket(side: Side, qty: &str) -> OrderTicket {
    OrderTicket {
        symbol: PERP.into(),
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

/// 30 orders through the engine over HTTP while every 5th meets a fault (taken then the
/// connection dropped; taken then 503; 503 and not taken), 20 ms latency on every answer: every
/// lost answer is resolved by label, none is taken twice, nothing is left unresolved.
#[tokio::test]
async fn deribit_engine_resolves_lost_answers_by_label_and_sends_none_twice() {
    engine_fault_plan(false).await;
}

/// The same plan over the WebSocket (Rampart's usual path): the connection dropped after the
/// order was taken; 13028 after it was taken; 13028 and not taken.
#[tokio::test]
async fn deribit_engine_over_the_socket_resolves_lost_answers_and_sends_none_twice() {
    engine_fault_plan(true).await;
}

async fn engine_fault_plan(socket: bool) {
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
    let client = client_as(&sim, KEY, SECRET).with_socket(socket);
    let venue: Arc<dyn rampart_venues::venue::DynVenue> = Arc::new(Deribit::new(client));
    engine.attach("acc", VenueId::Deribit, venue);
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
    assert!(
        taken.values().all(|&n| n == 1),
        "a label taken twice: {taken:?}"
    );
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
        "{} {ORDERS} orders: {} accepted, {} unknown, {on_venue} of them on the venue",
        if socket { "socket" } else { "HTTP" },
        accepted.len(),
        checking.len()
    );
    drop(engine);
    let (_, unresolved) = OrderJournal::open(&journal, &rampart_tests::journal_key()).unwrap();
    assert!(unresolved.is_empty(), "{unresolved:?}");
    sim.stop().await;
}

/// The simulator's open order of `KEY` labelled `label`, if any.
fn sim_open_label(sim: &SimServer, label: &str) -> bool {
    sim.exchange()
        .lock()
        .orders(KEY)
        .iter()
        .any(|o| o.status.is_open() && o.client_id.as_deref() == Some(label))
}

/// Cancel-on-disconnect, enabled on the connector's socket: a clean logout cancels nothing;
/// when the simulator drops the connection the orders that connection placed are cancelled and
/// another connection's order stays; a countdown outside 10-600 s is refused locally.
#[tokio::test]
async fn deribit_cancel_on_disconnect_fires_on_a_drop_not_on_logout() {
    let sim = start(config()).await;
    let deribit = connect(&sim).await;
    let e = deribit
        .dead_mans_switch(&DeadMansScope::Connection, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation, "{e:?}");
    assert_eq!(e.venue_code, None, "refused before sending: {e:?}");

    // Enabled, then a clean logout (`private/logout`): the order stays.
    deribit
        .dead_mans_switch(&DeadMansScope::Connection, Duration::from_secs(10))
        .await
        .unwrap();
    deribit
        .place_order(&limit(PERP, "keep1", Side::Buy, "1", "58000"))
        .await
        .unwrap();
    // Deribit closes the connection without an answer.
    let _ = deribit
        .client()
        .socket_only("private/logout", serde_json::json!({}))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(sim_open_label(&sim, "keep1"), "cancelled by a logout");

    // Enabled on a new connection, then the connection drops: its orders are cancelled.
    deribit
        .dead_mans_switch(&DeadMansScope::Connection, Duration::from_secs(10))
        .await
        .unwrap();
    let state = deribit
        .cancel_on_disconnect(&DeadMansScope::Connection)
        .await
        .unwrap();
    println!("cancel-on-disconnect: {state:?}");
    deribit
        .place_order(&limit(PERP, "cod1", Side::Buy, "1", "59000"))
        .await
        .unwrap();
    deribit
        .place_order(&limit("ETH-PERPETUAL", "cod2", Side::Buy, "1", "2900"))
        .await
        .unwrap();
    assert_eq!(sim_open(&sim), 3);
    sim.drop_stream_connections();
    let until = Instant::now() + Duration::from_secs(5);
    while sim_open_label(&sim, "cod1") || sim_open_label(&sim, "cod2") {
        assert!(Instant::now() < until, "not cancelled on disconnect");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for (symbol, id) in [(PERP, "cod1"), ("ETH-PERPETUAL", "cod2")] {
        match deribit.order_by_client_id(symbol, id).await.unwrap() {
            ClientIdLookup::Found(o) => assert_eq!(o.status, OrderStatus::Cancelled),
            other => panic!("{other:?}"),
        }
    }
    assert!(
        sim_open_label(&sim, "keep1"),
        "another connection's order is not this connection's to cancel"
    );
    println!("logout kept keep1; the drop cancelled cod1 and cod2");
    sim.stop().await;
}

/// Key permissions from the granted scope; a read-only key's order is refused with a clear
/// error and nothing is taken.
#[tokio::test]
async fn deribit_key_scopes_give_permissions_and_a_read_only_key_cannot_trade() {
    let sim = start(config()).await;
    let deribit = connect(&sim).await;
    let p = deribit.key_permissions().await.unwrap().unwrap();
    assert!(p.can_read && p.can_trade && !p.can_withdraw, "{p:?}");
    let full = connect_as(&sim, FULL_KEY, FULL_SECRET).await;
    let p = full.key_permissions().await.unwrap().unwrap();
    assert!(p.can_read && p.can_trade && p.can_withdraw, "{p:?}");

    let reader = connect_as(&sim, READ_KEY, READ_SECRET).await;
    let p = reader.key_permissions().await.unwrap().unwrap();
    assert!(p.can_read && !p.can_trade && !p.can_withdraw, "{p:?}");
    let e = reader
        .place_order(&limit(PERP, "ro1", Side::Buy, "1", "59000"))
        .await
        .unwrap_err();
    println!("read-only key: {} ({:?})", e.message, e.venue_code);
    assert_eq!(e.venue_code.as_deref(), Some("13021"), "{e:?}");
    assert!(!e.message.is_empty());
    assert!(!e.message.contains(READ_SECRET));
    assert_eq!(sim.exchange().lock().order_count(), 0);

    // A wrong secret: Deribit's code and a sentence, never the secret.
    let wrong_secret = "NotTheSecretAtAll0123456789abcdefghijklmnopq";
    let wrong = connect_as(&sim, KEY, wrong_secret).await;
    let e = wrong.balances().await.unwrap_err();
    println!("wrong secret: {} ({:?})", e.message, e.venue_code);
    assert!(
        matches!(e.venue_code.as_deref(), Some("13004") | Some("13009")),
        "{e:?}"
    );
    assert!(!e.message.contains(wrong_secret), "the secret leaked");
    assert!(
        !format!("{e:?}").contains(wrong_secret),
        "the secret leaked"
    );
    sim.stop().await;
}

/// The public stream delivers the perpetual's mark, book levels in contracts and trades.
#[tokio::test]
async fn deribit_market_feed_delivers_mark_book_and_trades() {
    let sim = start(config()).await;
    let deribit = connect(&sim).await;
    deribit.instruments(true).await.unwrap();
    let mut feed = deribit
        .market_feed(
            PERP,
            MarketSubscription {
                book_depth: 5,
                trades: true,
                candles: None,
            },
        )
        .await
        .unwrap();
    until_event(&mut feed, "Connected", |e| {
        matches!(e, FeedEvent::Status(FeedStatus::Connected)).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    sim.set_mark_price(PERP, d("60100.5"));
    // The book moves with the mark; either may come first.
    let (mut mark, mut book) = (None, None);
    let until = Instant::now() + Duration::from_secs(10);
    while mark.is_none() || book.is_none() {
        assert!(Instant::now() < until, "mark {mark:?} book {book:?}");
        match next_event(&mut feed, "the mark and the book").await {
            FeedEvent::Update(MarketUpdate::Mark(m)) if m.mark == d("60100.5") => mark = Some(m),
            FeedEvent::Update(MarketUpdate::Book(b))
                if b.bids.first().is_some_and(|l| l.price > d("60050")) && !b.asks.is_empty() =>
            {
                book = Some(b)
            }
            _ => {}
        }
    }
    let (mark, book) = (mark.unwrap(), book.unwrap());
    assert_eq!(mark.symbol, PERP);
    assert!(book.bids.len() <= 5 && book.asks.len() <= 5);
    assert!(book.bids[0].price < book.asks[0].price, "{book:?}");
    assert!(book.bids.windows(2).all(|w| w[0].price > w[1].price));
    deribit
        .place_order(&market(PERP, "tape1", Side::Sell, "2"))
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
