//! Issue 10, items 1 and 4 at the desk: the user tightens an account's limits in settings
//! (after a fresh code; never looser than the defaults) and they apply to the next order; the
//! exchange-side dead man's switch, set per account, is armed on the Demo venue's symbols with
//! open orders and kept refreshed.

mod common;

use common::*;

use std::time::{Duration, Instant};

use rampart_core::{ErrorCode, OrderType, Side};
use rampart_engine::guard_settings::{AccountGuardSettings, GuardSettings};
use rampart_engine::orders::{ConnectionState, OrderTicket, PlaceOutcome};
use rampart_guard::{BreakerScope, Limits};
use rust_decimal::Decimal;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tightened_limits_apply_to_the_next_order_and_the_dead_mans_switch_is_armed() {
    let Enrolled {
        dir,
        clock,
        desk,
        seed,
        ..
    } = enrolled("guard-settings").await;
    let demo = desk.list_accounts().unwrap().remove(0);
    let started = Instant::now();
    loop {
        let s = desk.trading_status().await.unwrap();
        if s[0].status.connection == ConnectionState::Ready {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The defaults, nothing saved yet.
    let shown = desk.guard_settings().unwrap();
    assert_eq!(shown.settings, GuardSettings::default());
    assert_eq!(shown.defaults, Limits::default());

    // Looser than the defaults: refused, with the limit named; nothing saved.
    let looser = GuardSettings {
        breaker_scope: BreakerScope::AllAccounts,
        accounts: vec![AccountGuardSettings {
            account_id: demo.id.clone(),
            limits: Limits {
                max_leverage: 125,
                ..Limits::default()
            },
            dead_mans_switch_secs: None,
        }],
    };
    let err = desk
        .set_guard_settings(looser, &fresh_code(&clock, &seed))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert_eq!(
        err.message,
        "The leverage cap can be tightened, not loosened: at most 20."
    );
    assert!(!dir.path().join("guard-settings.json").exists());

    // An order cap of 1,000 USDT and a 30 s dead man's switch, with a wrong code: refused.
    let tighter = GuardSettings {
        breaker_scope: BreakerScope::AllAccounts,
        accounts: vec![AccountGuardSettings {
            account_id: demo.id.clone(),
            limits: Limits {
                max_order_notional: Decimal::from(1_000),
                ..Limits::default()
            },
            dead_mans_switch_secs: Some(30),
        }],
    };
    let right = fresh_code(&clock, &seed);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    assert!(desk.set_guard_settings(tighter.clone(), wrong).is_err());
    let saved = desk.set_guard_settings(tighter.clone(), &right).unwrap();
    assert_eq!(saved.settings, tighter);

    // The next order over the cap is refused with the figures; one under it goes and rests.
    let mark = desk.mark_price(&demo.id, "BTCUSDT").await.unwrap().mark;
    let bid = |qty: &str| OrderTicket {
        symbol: "BTCUSDT".into(),
        side: Side::Buy,
        order_type: OrderType::Limit,
        qty: qty.parse().unwrap(),
        price: Some(
            (mark * Decimal::new(97, 2))
                .floor()
                .to_string()
                .parse()
                .unwrap(),
        ),
        trigger_price: None,
        time_in_force: None,
        reduce_only: false,
        trigger_by: None,
        margin_mode: None,
        position_side: Default::default(),
    };
    let err = desk
        .place_order(&demo.id, &bid("1"), true, None)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::RefusedByGuard, "{err:?}");
    assert!(err.message.contains("cap of 1000"), "{}", err.message);
    let outcome = desk
        .place_order(&demo.id, &bid("0.01"), true, None)
        .await
        .unwrap();
    assert!(
        matches!(outcome, PlaceOutcome::Placed { .. }),
        "{outcome:?}"
    );

    // The dead man's switch is armed on BTCUSDT (the symbol with an open order) within a round.
    let started = Instant::now();
    let status = loop {
        let shown = desk.guard_settings().unwrap();
        if let Some(s) = shown.dead_mans.iter().find(|s| s.account_id == demo.id)
            && s.armed_at_ms.is_some()
            && s.symbols == ["BTCUSDT"]
        {
            break s.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not armed: {shown:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!((status.countdown_secs, status.error), (30, None));

    // The settings survive a lock and an unlock.
    desk.lock().await.unwrap();
    desk.unlock(fresh_code(&clock, &seed)).await.unwrap();
    assert_eq!(desk.guard_settings().unwrap().settings, tighter);
    desk.lock().await.unwrap();
}
