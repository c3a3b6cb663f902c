//! The guard on the engine's order path against the simulator over loopback sockets (issue 10):
//! refusals of the key in a row halt new orders until the user resumes, while cancels still go;
//! an order placed on the account by another client is raised, and the next order asks for a
//! code until the warning is acknowledged.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rampart_core::trading::{OrderRequest, PositionSide};
use rampart_core::{OrderType, Side, Venue as VenueId};
use rampart_engine::live::{LiveDesk, StreamState};
use rampart_engine::orders::{
    Consent, NoAccountFacts, OrderEngine, OrderError, OrderJournal, OrderTicket, PlaceOutcome,
    ResolvePolicy,
};
use rampart_guard::{Severity, WarningKind};
use rampart_sim::binance_usdm::{SimConfig, SimKeyPermissions, SimServer};
use rampart_venues::binance_usdm::{BinanceUsdm, RestClient};
use rampart_venues::venue::DynVenue;

use super::support::{BTC, KEY, SECRET, market, one_account, start, until_engine_connected};

async fn sim() -> SimServer {
    start(SimConfig {
        accounts: one_account(),
        order_limit_per_10s: 10_000,
        order_limit_per_minute: 10_000,
        ..SimConfig::default()
    })
    .await
}

fn connector(sim: &SimServer) -> Arc<dyn DynVenue> {
    Arc::new(BinanceUsdm::new(
        RestClient::new(&sim.base_url(), KEY, SECRET).unwrap(),
    ))
}

fn engine(dir: &std::path::Path) -> Arc<OrderEngine> {
    let (journal, unresolved) =
        OrderJournal::open(&dir.join("orders.journal"), &rampart_tests::journal_key()).unwrap();
    OrderEngine::new(
        journal,
        unresolved,
        rampart_tests::new_guard(),
        Arc::new(NoAccountFacts),
        ResolvePolicy::default(),
    )
}

/// How long these tests wait for an account to connect or the guard to act.
const WAIT: Duration = Duration::from_secs(20);

/// Waits (at most [`WAIT`]) until `done` holds.
async fn until(what: &str, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < WAIT, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn refusals_of_the_key_in_a_row_halt_new_orders_until_resumed_and_cancels_still_go() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    engine.attach("acc", VenueId::BinanceUsdm, connector(&sim));
    until_engine_connected(&engine, WAIT).await;
    // A bid 3% under the mark: inside Binance's price band, far from a fill.
    let mark = engine.mark_price("acc", BTC).await.unwrap().mark;
    let bid = (mark * rust_decimal::Decimal::new(97, 2)).round_dp(1);
    let resting = OrderTicket {
        order_type: OrderType::Limit,
        price: Some(bid.to_string().parse().unwrap()),
        ..market(Side::Buy, "0.004")
    };
    let placed = engine.place("acc", &resting, Consent::default()).await;
    assert!(
        matches!(placed, Ok(PlaceOutcome::Placed { .. })),
        "{placed:?}"
    );

    // The key is revoked on the exchange: each order is refused with -2015.
    sim.revoke_api_key(KEY);
    // Sizes differ so that none is the same order as the one before.
    for (i, qty) in [(1, "0.002"), (2, "0.003"), (3, "0.004")] {
        match engine
            .place("acc", &market(Side::Buy, qty), Consent::default())
            .await
        {
            Err(OrderError::Rejected(e)) => {
                assert_eq!(e.venue_code.as_deref(), Some("-2015"), "order {i}: {e:?}")
            }
            other => panic!("order {i}: expected the venue's refusal, got {other:?}"),
        }
    }
    // The third trips the breaker: nothing new leaves, whatever the key does now.
    sim.reinstate_api_key(KEY);
    let halted = engine
        .place("acc", &market(Side::Buy, "0.005"), Consent::default())
        .await;
    let Err(OrderError::Halted(why)) = halted else {
        panic!("expected a halt, got {halted:?}");
    };
    assert!(
        why.contains("3 requests in a row refused for the API key or its signature"),
        "{why}"
    );
    let critical: Vec<_> = engine
        .guard()
        .warnings()
        .filter(|l| l.warning.severity == Severity::Critical)
        .map(|l| l.warning.kind)
        .collect();
    assert_eq!(critical, [WarningKind::Rejections]);
    // Cancels are never halted.
    engine.cancel_all("acc", None).await.unwrap();
    assert!(engine.open_orders("acc", None).await.unwrap().is_empty());
    // A code resumes trading (the desk checks it; here the guard is told directly).
    assert!(engine.guard().resume("acc"));
    let again = engine
        .place("acc", &market(Side::Buy, "0.006"), Consent::default())
        .await;
    assert!(
        matches!(again, Ok(PlaceOutcome::Placed { .. })),
        "{again:?}"
    );
    sim.stop().await;
}

#[tokio::test]
async fn an_order_placed_by_another_client_is_raised_and_the_next_order_asks_for_a_code() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    let live = LiveDesk::new();
    rampart_engine::guard::watch_activity(&live, &engine);
    let venue = connector(&sim);
    engine.attach("acc", VenueId::BinanceUsdm, Arc::clone(&venue));
    live.attach("acc", venue);
    until_engine_connected(&engine, WAIT).await;
    until("the account stream", || {
        live.snapshot()
            .iter()
            .any(|a| a.stream == StreamState::Live)
    })
    .await;
    // Rampart's own order raises nothing.
    let ours = engine
        .place("acc", &market(Side::Buy, "0.002"), Consent::default())
        .await;
    assert!(matches!(ours, Ok(PlaceOutcome::Placed { .. })), "{ours:?}");

    // Another client on the same key (a phone app, a script): its own client order id.
    let other = connector(&sim);
    other.sync_clock().await.unwrap();
    let request = OrderRequest {
        symbol: BTC.into(),
        client_order_id: "phone7731".into(),
        side: Side::Sell,
        order_type: OrderType::Market,
        qty: "0.002".parse().unwrap(),
        price: None,
        trigger_price: None,
        time_in_force: None,
        reduce_only: false,
        trigger_by: None,
        margin_mode: None,
        position_side: PositionSide::default(),
        reference_price: None,
    };
    other.place_order(&request).await.unwrap();
    until("the guard to raise the foreign order", || {
        engine
            .guard()
            .warnings()
            .any(|l| l.warning.kind == WarningKind::ForeignActivity)
    })
    .await;
    let raised = engine
        .guard()
        .warnings()
        .find(|l| l.warning.kind == WarningKind::ForeignActivity)
        .cloned()
        .unwrap();
    assert_eq!(
        raised.warning.seen,
        "an order this terminal did not place (client id phone7731)"
    );
    assert_eq!(raised.warning.account.as_deref(), Some("acc"));

    // Until it is acknowledged, the next order asks for a code.
    let next = engine
        .place("acc", &market(Side::Buy, "0.002"), Consent::default())
        .await
        .unwrap();
    let PlaceOutcome::NeedsStepUp { warnings } = next else {
        panic!("expected a step-up, got {next:?}");
    };
    assert!(
        warnings
            .iter()
            .any(|w| w.kind == WarningKind::ForeignActivity)
    );
    assert!(engine.guard().acknowledge(raised.id));
    let after = engine
        .place("acc", &market(Side::Buy, "0.003"), Consent::default())
        .await;
    assert!(
        matches!(after, Ok(PlaceOutcome::Placed { .. })),
        "{after:?}"
    );
    sim.stop().await;
}

/// The engine's account status once the venue has said what the key may do.
async fn key_read(engine: &OrderEngine) -> rampart_core::trading::KeyPermissions {
    until("the key's permissions to be read", || {
        engine.status().iter().all(|s| s.key_permissions.is_some())
    })
    .await;
    engine.status()[0].key_permissions.clone().unwrap()
}

#[tokio::test]
async fn a_key_that_can_withdraw_is_raised_at_connect_and_asks_for_a_code_once() {
    let sim = sim().await;
    sim.set_key_permissions(
        KEY,
        SimKeyPermissions {
            withdrawals: true,
            ..SimKeyPermissions::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    engine.attach("acc", VenueId::BinanceUsdm, connector(&sim));
    until_engine_connected(&engine, WAIT).await;
    let key = key_read(&engine).await;
    assert!(
        key.can_withdraw && key.can_trade && !key.ip_restricted,
        "{key:?}"
    );
    let listed: Vec<_> = engine
        .guard()
        .warnings()
        .map(|l| (l.warning.kind, l.warning.severity))
        .collect();
    assert_eq!(
        listed,
        [
            (WarningKind::KeyCanWithdraw, Severity::High),
            (WarningKind::KeyNotIpRestricted, Severity::Warning)
        ]
    );
    // The first order asks for a code; with one it goes, and the next goes without.
    let asked = engine
        .place("acc", &market(Side::Buy, "0.002"), Consent::default())
        .await;
    let Ok(PlaceOutcome::NeedsStepUp { warnings }) = asked else {
        panic!("expected a step-up, got {asked:?}");
    };
    assert_eq!(warnings[0].kind, WarningKind::KeyCanWithdraw);
    assert_eq!(sim.order_count(), 0, "nothing was sent");
    let stepped = Consent {
        confirmed: false,
        stepped_up: true,
    };
    let placed = engine
        .place("acc", &market(Side::Buy, "0.002"), stepped)
        .await;
    assert!(
        matches!(placed, Ok(PlaceOutcome::Placed { .. })),
        "{placed:?}"
    );
    let next = engine
        .place("acc", &market(Side::Buy, "0.003"), Consent::default())
        .await;
    assert!(matches!(next, Ok(PlaceOutcome::Placed { .. })), "{next:?}");
    sim.stop().await;
}

#[tokio::test]
async fn a_read_only_key_refuses_orders_before_sending_and_still_reads() {
    let sim = sim().await;
    sim.set_key_permissions(
        KEY,
        SimKeyPermissions {
            futures: false,
            ip_restrict: true,
            ..SimKeyPermissions::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    engine.attach("acc", VenueId::BinanceUsdm, connector(&sim));
    until_engine_connected(&engine, WAIT).await;
    assert!(!key_read(&engine).await.can_trade);
    let refused = engine
        .place("acc", &market(Side::Buy, "0.002"), Consent::default())
        .await;
    let Err(OrderError::Refused(why)) = refused else {
        panic!("expected a refusal, got {refused:?}");
    };
    assert!(why.contains("read-only"), "{why}");
    assert_eq!(sim.order_count(), 0);
    assert!(engine.balances("acc").await.is_ok());
    let listed: Vec<_> = engine.guard().warnings().map(|l| l.warning.kind).collect();
    assert_eq!(listed, [WarningKind::KeyReadOnly]);
    sim.stop().await;
}
