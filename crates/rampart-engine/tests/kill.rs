//! Issue 10, item 4: the kill switch on three Demo accounts (each its own simulator on
//! loopback, credentials in the real OS keychain): without a code it halts new orders and
//! cancels every open order; after the confirmation it closes every position; the report says
//! so account by account; a code resumes trading.

mod common;

use common::*;

use std::sync::Arc;
use std::time::{Duration, Instant};

use rampart_core::session::Environment;
use rampart_core::{ErrorCode, OrderType, Side, Venue};
use rampart_engine::kill::KillState;
use rampart_engine::orders::{ConnectionState, OrderTicket, PlaceOutcome};
use rampart_engine::{AddAccountRequest, Desk};
use rampart_vault::{Credentials, SecretString};
use rust_decimal::Decimal;

async fn until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !done().await {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn ticket(order_type: OrderType, side: Side, qty: &str, price: Option<Decimal>) -> OrderTicket {
    OrderTicket {
        symbol: "BTCUSDT".into(),
        side,
        order_type,
        qty: qty.parse().unwrap(),
        price: price.map(|p| p.normalize().to_string().parse().unwrap()),
        trigger_price: None,
        time_in_force: None,
        reduce_only: false,
        trigger_by: None,
        margin_mode: None,
        position_side: Default::default(),
    }
}

async fn placed(desk: &Desk, account: &str, t: &OrderTicket) {
    let outcome = desk.place_order(account, t, true, None).await.unwrap();
    assert!(
        matches!(outcome, PlaceOutcome::Placed { .. }),
        "{account}: {outcome:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kill_switch_leaves_no_order_and_after_confirming_no_position_on_three_demo_accounts() {
    // The data directory lives as long as `_dir`.
    let Enrolled {
        dir: _dir,
        clock,
        desk,
        seed,
        ..
    } = enrolled("kill").await;
    for label in ["Demo 2", "Demo 3"] {
        let token = |c: char| std::iter::repeat_n(c, 64).collect::<String>();
        desk.add_account(AddAccountRequest {
            venue: Venue::Demo,
            label: label.into(),
            environment: Environment::Demo,
            credentials: Credentials {
                api_key: SecretString::new(token(label.chars().last().unwrap()) + "k"),
                api_secret: SecretString::new(token('s')),
                passphrase: None,
            },
            code: fresh_code(&clock, &seed),
        })
        .await
        .unwrap();
    }
    // A Deribit account in the "demo trading" environment, which Deribit does not have (its
    // test network is Testnet): its connector refuses to start, so no network is reached, and
    // the switch cannot reach it and says so rather than pass it over.
    let unreached = desk
        .add_account(AddAccountRequest {
            venue: Venue::Deribit,
            label: "Deribit".into(),
            environment: Environment::Demo,
            credentials: Credentials {
                api_key: SecretString::new("AbCdEfGh".to_owned()),
                api_secret: SecretString::new("AbCdEfGhIjKlMnOpQrStUvWxYz0123456789".to_owned()),
                passphrase: None,
            },
            code: fresh_code(&clock, &seed),
        })
        .await
        .unwrap();
    let accounts: Vec<_> = desk
        .list_accounts()
        .unwrap()
        .into_iter()
        .filter(|a| a.venue == Venue::Demo)
        .collect();
    assert_eq!(accounts.len(), 3);
    until("three Demo accounts to connect", async || {
        let status = desk.trading_status().await.unwrap();
        status
            .iter()
            .filter(|s| s.account.venue == Venue::Demo)
            .all(|s| s.status.connection == ConnectionState::Ready)
    })
    .await;

    // On each: a position (a market buy) and two resting bids well under the mark.
    for a in &accounts {
        let mark = desk.mark_price(&a.id, "BTCUSDT").await.unwrap().mark;
        placed(
            &desk,
            &a.id,
            &ticket(OrderType::Market, Side::Buy, "0.01", None),
        )
        .await;
        for pct in [97, 98] {
            let price = (mark * Decimal::new(pct, 2)).floor();
            placed(
                &desk,
                &a.id,
                &ticket(OrderType::Limit, Side::Buy, "0.01", Some(price)),
            )
            .await;
        }
        assert_eq!(desk.open_orders(&a.id).await.unwrap().len(), 2);
        assert_eq!(desk.positions(&a.id).await.unwrap().len(), 1);
    }

    // The switch, no code: every order goes, positions stay until confirmed.
    let report = desk.kill_switch(false).await.unwrap();
    assert!(!report.close_positions);
    assert_eq!(report.accounts.len(), 4);
    let unreachable = report.accounts.last().unwrap();
    assert_eq!(unreachable.account_id, unreached.id);
    assert_eq!(unreachable.orders.state, KillState::Failed);
    assert!(
        unreachable
            .orders
            .error
            .as_deref()
            .unwrap()
            .starts_with("not connected: Deribit has no demo trading"),
        "{unreachable:?}"
    );
    until("every account's orders to be cancelled", async || {
        desk.kill_switch_status()
            .unwrap()
            .is_some_and(|r| r.finished)
    })
    .await;
    let report = desk.kill_switch_status().unwrap().unwrap();
    for (a, k) in accounts.iter().zip(&report.accounts) {
        assert_eq!(k.orders.state, KillState::Done, "{k:?}");
        assert_eq!(
            (k.orders.cleared, k.orders.remaining),
            (2, Some(0)),
            "{k:?}"
        );
        assert!(k.positions.is_none());
        assert!(desk.open_orders(&a.id).await.unwrap().is_empty());
        assert_eq!(desk.positions(&a.id).await.unwrap().len(), 1);
    }
    // New orders are halted on every account; the guard's panel lists the switch.
    let err = desk
        .place_order(
            &accounts[1].id,
            &ticket(OrderType::Market, Side::Buy, "0.01", None),
            true,
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::TradingHalted, "{err:?}");
    let guard = desk.guard_status().unwrap();
    assert_eq!(guard.halts.len(), 1);
    assert!(guard.halts[0].account_id.is_none());

    // Confirmed: every position is closed, and the report says so for each account.
    let report = desk.kill_switch(true).await.unwrap();
    assert!(report.close_positions);
    until("every position to be closed", async || {
        desk.kill_switch_status()
            .unwrap()
            .is_some_and(|r| r.finished)
    })
    .await;
    let report = desk.kill_switch_status().unwrap().unwrap();
    for (a, k) in accounts.iter().zip(&report.accounts) {
        assert_eq!(k.label, a.label);
        // The orders the first use cancelled are still counted.
        assert_eq!(
            (k.orders.cleared, k.orders.remaining),
            (2, Some(0)),
            "{k:?}"
        );
        let p = k.positions.as_ref().unwrap();
        assert_eq!(p.state, KillState::Done, "{k:?}");
        assert_eq!(
            (p.cleared, p.remaining, &p.error),
            (1, Some(0), &None),
            "{k:?}"
        );
        assert!(desk.positions(&a.id).await.unwrap().is_empty());
        assert!(desk.open_orders(&a.id).await.unwrap().is_empty());
    }

    // A code resumes trading.
    desk.resume_trading(&accounts[0].id, &fresh_code(&clock, &seed))
        .unwrap();
    assert!(desk.guard_status().unwrap().halts.is_empty());
    let mark = desk
        .mark_price(&accounts[2].id, "BTCUSDT")
        .await
        .unwrap()
        .mark;
    placed(
        &desk,
        &accounts[2].id,
        &ticket(
            OrderType::Limit,
            Side::Buy,
            "0.01",
            Some((mark * Decimal::new(97, 2)).floor()),
        ),
    )
    .await;

    // A burst of the switch at once (a hostile page can call it many times): each use replaces
    // the one before; whatever runs, the position ends closed, never turned short.
    placed(
        &desk,
        &accounts[2].id,
        &ticket(OrderType::Market, Side::Buy, "0.02", None),
    )
    .await;
    let burst = (0..8).map(|_| {
        let desk = Arc::clone(&desk);
        tokio::spawn(async move { desk.kill_switch(true).await })
    });
    for used in futures_util::future::join_all(burst).await {
        used.unwrap().unwrap();
    }
    until("the last use to finish", async || {
        desk.kill_switch_status()
            .unwrap()
            .is_some_and(|r| r.finished)
    })
    .await;
    for a in &accounts {
        assert!(
            desk.positions(&a.id).await.unwrap().is_empty(),
            "{}",
            a.label
        );
        assert!(
            desk.open_orders(&a.id).await.unwrap().is_empty(),
            "{}",
            a.label
        );
    }
    desk.lock().await.unwrap();
    // Locked, the switch has nothing to reach and says so.
    assert_eq!(
        desk.kill_switch(false).await.unwrap_err().code,
        ErrorCode::Locked
    );
}
