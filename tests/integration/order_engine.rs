//! The engine's order path (issue 8) against the simulator over real loopback sockets: every
//! order goes through the Venue trait, is journaled before it is sent, and an order whose answer
//! was lost is resolved by client order id — after faults, after a crash, never twice.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rampart_core::{OrderType, Side, Venue as VenueId};
use rampart_engine::orders::{OrderError, OrderJournal, OrderTicket, PlacedStatus};
use rampart_sim::binance_usdm::{Faults, SimConfig, SimServer};
use rampart_venues::binance_usdm::{BinanceUsdm, ClientOptions, RestClient};
use rampart_venues::venue::DynVenue;

use super::support::{
    BTC, ENGINE_WAIT, KEY, SECRET, engine_until, market, one_account, open_engine, start,
    until_engine_ready,
};

/// A short request validity, so that "not found" can mean "not placed" within a second or two.
const RECV_WINDOW_MS: u32 = 500;

async fn start_sim(faults: Faults) -> SimServer {
    start(SimConfig {
        accounts: one_account(),
        faults,
        tick_interval_ms: 0,
        order_limit_per_10s: 10_000,
        order_limit_per_minute: 10_000,
        ..SimConfig::default()
    })
    .await
}

fn connector(sim: &SimServer) -> Arc<dyn DynVenue> {
    let options = ClientOptions {
        recv_window_ms: RECV_WINDOW_MS,
        request_timeout: Duration::from_secs(2),
        ..ClientOptions::default()
    };
    let client = RestClient::with_options(&sim.base_url(), KEY, SECRET, &options).unwrap();
    Arc::new(BinanceUsdm::new(client))
}

fn limit(qty: &str, price: &str) -> OrderTicket {
    OrderTicket {
        order_type: OrderType::Limit,
        price: Some(price.parse().unwrap()),
        ..market(Side::Buy, qty)
    }
}

/// Each client order id the venue took, with how many times it took it: the simulator's own
/// acceptance record, which can hold an id twice (a map of orders could not).
fn taken_by_venue(sim: &SimServer) -> HashMap<String, usize> {
    sim.accepted_orders()
        .into_iter()
        .filter(|(order, _)| order.api_key == KEY)
        .map(|(order, n)| (order.client_order_id, n))
        .collect()
}

/// 300 orders while the simulator drops the connection after accepting, answers "unknown" 503s
/// after accepting, or fails before accepting (every 7th order, in turn). Every lost answer is
/// "checking with the exchange" — never Rejected or NotPlaced on the spot — and blocks its
/// symbol until the resolver has the venue's answer; then each order is Accepted (the venue has
/// it, once) or NotPlaced (the venue never took it). None is sent twice.
#[tokio::test]
async fn orders_with_lost_answers_are_resolved_by_client_id_and_none_is_sent_twice() {
    const ORDERS: usize = 300;
    const EVERY: u32 = 7;
    let sim = start_sim(Faults {
        every: EVERY,
        ..Faults::default()
    })
    .await;
    sim.set_mark_price(BTC, "60000".parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("orders.journal");
    let engine = open_engine(&journal);
    engine.attach("acc", VenueId::BinanceUsdm, connector(&sim));
    until_engine_ready(&engine, ENGINE_WAIT).await;

    let mut accepted = Vec::new();
    let mut checking = Vec::new();
    for i in 0..ORDERS {
        let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
        let placed = rampart_tests::placed(
            engine
                .place("acc", &market(side, "0.002"), rampart_tests::CONSENTED)
                .await,
        )
        .unwrap_or_else(|e| panic!("order {i}: {e}"));
        match placed.status {
            PlacedStatus::Accepted => accepted.push(placed.client_order_id),
            PlacedStatus::CheckingWithExchange => {
                // While it is unknown, the symbol takes no new order, and nothing is sent.
                let before = sim.order_count();
                match rampart_tests::placed(
                    engine
                        .place("acc", &market(side, "0.002"), rampart_tests::CONSENTED)
                        .await,
                ) {
                    Err(OrderError::CheckingWithExchange(why)) => {
                        assert!(why.contains("Checking with the exchange"), "{why}")
                    }
                    // It may already be resolved (the venue had it and answered the first query).
                    Ok(p) => {
                        assert_eq!(engine.pending_count(), 0);
                        accepted.push(p.client_order_id);
                    }
                    Err(other) => panic!("order {i}: {other}"),
                }
                if engine.pending_count() > 0 {
                    assert_eq!(sim.order_count(), before, "nothing sent while checking");
                }
                checking.push(placed.client_order_id);
                engine_until(&engine, ENGINE_WAIT, "the unknown order to resolve", |e| {
                    e.pending_count() == 0
                })
                .await;
            }
        }
    }
    let faults = ORDERS / EVERY as usize;
    assert_eq!(checking.len(), faults, "every injected fault is an unknown");

    let taken = taken_by_venue(&sim);
    assert!(
        taken.values().all(|&n| n == 1),
        "a client order id taken twice"
    );
    for id in &accepted {
        assert_eq!(
            taken.get(id),
            Some(&1),
            "{id} accepted but not on the venue"
        );
    }
    // Of the unknowns, exactly the ones the venue took are on it; the others were resolved
    // NotPlaced (the journal has no unresolved intent left).
    let on_venue = checking.iter().filter(|id| taken.contains_key(*id)).count();
    let failed_before_accepting = (1..=faults).filter(|k| k % 3 == 0).count();
    assert_eq!(on_venue, faults - failed_before_accepting);
    assert_eq!(taken.len(), accepted.len() + on_venue);
    drop(engine);
    let (_, unresolved) = OrderJournal::open(&journal, &rampart_tests::journal_key()).unwrap();
    assert!(unresolved.is_empty(), "{unresolved:?}");
    sim.stop().await;
}

/// Runs the crash child until it kills itself at `point`; returns the client order id of the
/// intent it journaled.
async fn crash_child(sim: &SimServer, journal: &Path, point: &str) -> String {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_order-crash-child"))
        .args([
            sim.base_url().as_str(),
            KEY,
            SECRET,
            journal.to_str().unwrap(),
            point,
        ])
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), output)
        .await
        .expect("the child finishes")
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        output.status.signal(),
        Some(9),
        "the child dies by SIGKILL at {point}: {output:?}"
    );
    let records = OrderJournal::read_all(journal, &rampart_tests::journal_key()).unwrap();
    let intents: Vec<&serde_json::Value> =
        records.iter().filter(|r| r["event"] == "intent").collect();
    assert_eq!(intents.len(), 1, "one intent on disk: {records:?}");
    assert!(
        !records.iter().any(|r| r["event"] == "resolved"),
        "no outcome was journaled: {records:?}"
    );
    intents[0]["clientOrderId"].as_str().unwrap().to_owned()
}

/// The process is killed after the intent is on disk and before the order is sent, and again
/// (another run) after the venue took the order but before the answer was journaled. After a
/// restart the engine resolves each from the journal before its account takes a new order: the
/// first is NotPlaced (the venue never saw it, and it can no longer arrive), the second is the
/// venue's order, found by its client order id. Neither is sent twice.
#[tokio::test]
async fn orders_in_flight_at_a_crash_are_resolved_at_restart_and_never_sent_twice() {
    let sim = start_sim(Faults::default()).await;
    for point in ["before-send", "after-send"] {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("orders.journal");
        let cid = crash_child(&sim, &journal, point).await;
        let on_venue_before = taken_by_venue(&sim).get(&cid).copied();
        match point {
            "before-send" => assert_eq!(on_venue_before, None, "nothing was sent"),
            _ => assert_eq!(on_venue_before, Some(1), "the venue took it once"),
        }

        // Restart: the journal's unresolved intent blocks the account until it is resolved.
        let engine = open_engine(&journal);
        assert_eq!(
            engine.pending_count(),
            0,
            "not pending until the account connects"
        );
        engine.attach("acc", VenueId::BinanceUsdm, connector(&sim));
        let before = sim.order_count();
        match rampart_tests::placed(
            engine
                .place("acc", &limit("0.002", "59000"), rampart_tests::CONSENTED)
                .await,
        ) {
            Err(OrderError::CheckingWithExchange(why)) => {
                assert!(why.contains("before Rampart last stopped"), "{why}")
            }
            other => panic!("{point}: a new order before recovery: {other:?}"),
        }
        assert_eq!(sim.order_count(), before, "nothing sent while recovering");
        until_engine_ready(&engine, ENGINE_WAIT).await;
        assert_eq!(engine.pending_count(), 0);
        assert_eq!(
            taken_by_venue(&sim).get(&cid).copied(),
            on_venue_before,
            "{point}: the journaled order was not sent again"
        );
        let (_, unresolved) = OrderJournal::open(&journal, &rampart_tests::journal_key()).unwrap();
        assert!(unresolved.is_empty(), "{point}: {unresolved:?}");
        let text = std::fs::read_to_string(&journal).unwrap();
        assert!(text.is_empty(), "compacted after resolution: {text}");
        // Resolved: the account trades again.
        let placed = rampart_tests::placed(
            engine
                .place("acc", &limit("0.002", "59000"), rampart_tests::CONSENTED)
                .await,
        )
        .unwrap();
        assert_eq!(placed.status, PlacedStatus::Accepted);
        engine.detach_all();
    }
    sim.stop().await;
}

/// A burst of concurrent places on one account: each is journaled and sent once under its own
/// client order id; while an order's answer is lost, a concurrent burst on its symbol is refused
/// whole, and nothing of it reaches the venue.
#[tokio::test]
async fn concurrent_places_are_each_sent_once_and_an_unknown_refuses_a_whole_burst() {
    let sim = start_sim(Faults::default()).await;
    sim.set_mark_price(BTC, "60000".parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let engine = open_engine(&dir.path().join("orders.journal"));
    engine.attach("acc", VenueId::BinanceUsdm, connector(&sim));
    until_engine_ready(&engine, ENGINE_WAIT).await;

    let burst: Vec<_> = (0..32)
        .map(|_| {
            let engine = Arc::clone(&engine);
            tokio::spawn(async move {
                rampart_tests::placed(
                    engine
                        .place("acc", &limit("0.002", "59000"), rampart_tests::CONSENTED)
                        .await,
                )
            })
        })
        .collect();
    let mut ids = Vec::new();
    for task in burst {
        let placed = task.await.unwrap().unwrap();
        assert_eq!(placed.status, PlacedStatus::Accepted);
        ids.push(placed.client_order_id);
    }
    let taken = taken_by_venue(&sim);
    assert_eq!(taken.len(), 32);
    assert!(ids.iter().all(|id| taken.get(id) == Some(&1)));

    // The next order's answer is lost after the venue took it: the simulator's 33rd order
    // request is its first fault, which accepts the order and drops the connection.
    sim.set_faults(Faults {
        every: 33,
        ..Faults::default()
    });
    let lost = rampart_tests::placed(
        engine
            .place("acc", &limit("0.002", "59000"), rampart_tests::CONSENTED)
            .await,
    )
    .unwrap();
    sim.set_faults(Faults::default());
    assert_eq!(lost.status, PlacedStatus::CheckingWithExchange);
    let before = sim.order_count();
    let burst: Vec<_> = (0..16)
        .map(|_| {
            let engine = Arc::clone(&engine);
            tokio::spawn(async move {
                rampart_tests::placed(
                    engine
                        .place("acc", &limit("0.002", "59000"), rampart_tests::CONSENTED)
                        .await,
                )
            })
        })
        .collect();
    let mut refused = 0;
    for task in burst {
        match task.await.unwrap() {
            Err(OrderError::CheckingWithExchange(_)) => refused += 1,
            // Resolved meanwhile: the venue answered the first lookup.
            Ok(_) => {}
            Err(e) => panic!("{e}"),
        }
    }
    if refused == 16 {
        assert_eq!(sim.order_count(), before, "nothing of the burst was sent");
    }
    engine_until(&engine, ENGINE_WAIT, "the lost order to resolve", |e| {
        e.pending_count() == 0
    })
    .await;
    assert_eq!(taken_by_venue(&sim).get(&lost.client_order_id), Some(&1));
    sim.stop().await;
}

/// A failure on the way to sending (here the mark price the checks need cannot be fetched: the
/// venue went away after the account connected) is "not sent", never "checking with the
/// exchange": nothing blocks the symbol and no lookup starts, because the order never left. The
/// guard is what stops it: a market order's value cannot be checked without a mark.
#[tokio::test]
async fn a_failure_before_the_order_leaves_is_not_sent_not_unknown() {
    let sim = start_sim(Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("orders.journal");
    let engine = open_engine(&journal);
    engine.attach("acc", VenueId::BinanceUsdm, connector(&sim));
    until_engine_ready(&engine, ENGINE_WAIT).await;
    sim.stop().await;
    match rampart_tests::placed(
        engine
            .place("acc", &market(Side::Buy, "0.002"), rampart_tests::CONSENTED)
            .await,
    ) {
        Err(OrderError::Refused(why)) => assert!(why.starts_with("no mark price"), "{why}"),
        other => panic!("expected not sent, got {other:?}"),
    }
    assert_eq!(engine.pending_count(), 0);
    assert!(engine.status()[0].checking.is_empty());
    drop(engine);
    let (_, unresolved) = OrderJournal::open(&journal, &rampart_tests::journal_key()).unwrap();
    assert!(
        unresolved.is_empty(),
        "journaled as not sent: {unresolved:?}"
    );
}

/// The mark price the checks need is read once and reused while fresh: a quick run of orders
/// costs one mark request, not one per order (each would be a round trip and request weight).
#[tokio::test]
async fn a_run_of_orders_reads_the_mark_once() {
    let sim = start_sim(Faults::default()).await;
    sim.set_mark_price(BTC, "60000".parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let engine = open_engine(&dir.path().join("orders.journal"));
    engine.attach("acc", VenueId::BinanceUsdm, connector(&sim));
    until_engine_ready(&engine, ENGINE_WAIT).await;
    let before = sim.rest_requests();
    for _ in 0..5 {
        let placed = rampart_tests::placed(
            engine
                .place("acc", &limit("0.002", "59000"), rampart_tests::CONSENTED)
                .await,
        )
        .unwrap();
        assert_eq!(placed.status, PlacedStatus::Accepted);
    }
    assert_eq!(
        sim.rest_requests() - before,
        6,
        "one mark price and five orders"
    );
    sim.stop().await;
}

/// A placed order says when it was handed to the connector and how long its answer took (the
/// page times click-to-wire from it), and the account's status shows the last round trip.
#[tokio::test]
async fn a_placed_order_carries_its_send_time_and_round_trip() {
    let sim = start_sim(Faults {
        latency_ms: 30,
        ..Faults::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let engine = open_engine(&dir.path().join("orders.journal"));
    engine.attach("acc", VenueId::BinanceUsdm, connector(&sim));
    until_engine_ready(&engine, ENGINE_WAIT).await;
    assert_eq!(engine.status()[0].last_round_trip_us, None);
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64;
    let placed = rampart_tests::placed(
        engine
            .place("acc", &market(Side::Buy, "0.002"), rampart_tests::CONSENTED)
            .await,
    )
    .unwrap();
    let after = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64;
    assert!(
        (before..=after).contains(&placed.sent_at_us),
        "sent at {} outside the call ({before}..{after})",
        placed.sent_at_us
    );
    // The simulator holds each answer 30 ms.
    assert!(placed.round_trip_us >= 30_000, "{}", placed.round_trip_us);
    assert!(placed.sent_at_us + placed.round_trip_us as i64 <= after);
    assert_eq!(
        engine.status()[0].last_round_trip_us,
        Some(placed.round_trip_us)
    );
    sim.stop().await;
}

/// Leverage from the ticket: set through the engine, in force on the venue's positions, and a
/// zero refused before anything is sent.
#[tokio::test]
async fn leverage_is_set_through_the_engine_and_zero_is_refused() {
    use super::support::d;
    use rampart_core::trading::{Leverage, LeverageRequest};
    let sim = start_sim(Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = open_engine(&dir.path().join("orders.journal"));
    engine.attach("acc", VenueId::BinanceUsdm, connector(&sim));
    until_engine_ready(&engine, ENGINE_WAIT).await;
    let request = |x: &str| LeverageRequest {
        symbol: BTC.into(),
        leverage: Leverage::both(d(x)),
        margin_mode: None,
    };
    let set = engine.set_leverage("acc", &request("5")).await.unwrap();
    assert_eq!(set, Leverage::both(d("5")));
    rampart_tests::placed(
        engine
            .place("acc", &market(Side::Buy, "0.002"), rampart_tests::CONSENTED)
            .await,
    )
    .unwrap();
    let positions = engine.positions("acc").await.unwrap();
    let btc = positions.iter().find(|p| p.symbol == BTC).unwrap();
    assert_eq!(btc.leverage, Some(d("5")));
    let before = sim.rest_requests();
    let refused = engine.set_leverage("acc", &request("0")).await.unwrap_err();
    assert!(refused.to_string().contains("above zero"), "{refused}");
    assert_eq!(sim.rest_requests(), before, "nothing sent");
    sim.stop().await;
}
