//! Issue 8, item 6: a fresh install has a Demo account on its first unlock, backed by the
//! simulator in process on loopback, with its own credentials in the real OS keychain (a private
//! gnome-keyring via `make test`); it places and cancels an order with no exchange keys and no
//! network, and its connection is dropped at lock and made again at unlock.

mod common;

use common::*;

use rampart_core::session::{Environment, LockPhase};
use rampart_core::trading::OrderStatus;
use rampart_core::{ErrorCode, OrderType, Side, Venue};
use rampart_engine::orders::{OrderTicket, PlaceOutcome, PlacedStatus};
use rampart_engine::{Clock, OrderRef};
use rust_decimal::Decimal;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_install_trades_on_the_demo_account_with_no_keys_and_no_network() {
    let Enrolled {
        ns,
        dir,
        clock,
        desk,
        seed,
        ..
    } = enrolled("demo").await;

    // The Demo account exists, labelled as such, with its credentials in the keychain only.
    let accounts = desk.list_accounts().unwrap();
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    let demo = &accounts[0];
    assert_eq!(
        (demo.venue, demo.environment, demo.label.as_str()),
        (Venue::Demo, Environment::Demo, "Demo")
    );
    // On disk sealed under the data key: neither the label nor the key's mask shows.
    let on_disk = std::fs::read(dir.path().join("accounts.json")).unwrap();
    assert!(on_disk.starts_with(b"RMPS1"));
    for plain in [demo.masked_key.as_bytes(), b"Demo", demo.id.as_bytes()] {
        assert!(!on_disk.windows(plain.len()).any(|w| w == plain));
    }
    let opened = open_sealed(&ns, &dir.path().join("accounts.json"));
    assert_eq!(opened[0]["maskedKey"], demo.masked_key.as_str(), "{opened}");
    until_ready(&desk, &demo.id).await;

    let balances = desk.balances(&demo.id).await.unwrap();
    let usdt = balances.iter().find(|b| b.asset == "USDT").unwrap();
    assert_eq!(usdt.wallet, Decimal::from(100_000));
    let instruments = desk.list_instruments(&demo.id).await.unwrap();
    let btc = instruments.iter().find(|r| r.symbol == "BTCUSDT").unwrap();

    // A resting limit buy 2 % under the mark, on the tick; then cancelled.
    let mark = desk.mark_price(&demo.id, "BTCUSDT").await.unwrap().mark;
    let price = (mark * Decimal::new(98, 2) / btc.tick_size).floor() * btc.tick_size;
    let ticket = OrderTicket {
        symbol: "BTCUSDT".into(),
        side: Side::Buy,
        order_type: OrderType::Limit,
        qty: "0.01".parse().unwrap(),
        price: Some(price.normalize().to_string().parse().unwrap()),
        trigger_price: None,
        time_in_force: None,
        reduce_only: false,
        trigger_by: None,
        margin_mode: None,
        position_side: Default::default(),
    };
    let outcome = desk
        .place_order(&demo.id, &ticket, false, None)
        .await
        .unwrap();
    let PlaceOutcome::Placed { order: placed } = outcome else {
        panic!("the first usual order asked for more: {outcome:?}");
    };
    assert!(placed.warnings.is_empty(), "{:?}", placed.warnings);
    assert_eq!(placed.status, PlacedStatus::Accepted, "{placed:?}");
    assert!(placed.client_order_id.starts_with("rmp"));
    let open = desk.open_orders(&demo.id).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].client_order_id, placed.client_order_id);
    let cancelled = desk
        .cancel_order(&OrderRef {
            account_id: demo.id.clone(),
            symbol: "BTCUSDT".into(),
            client_order_id: placed.client_order_id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert!(desk.open_orders(&demo.id).await.unwrap().is_empty());

    // An off-tick price is refused before anything is sent, naming the nearest valid prices.
    let mut off_tick = ticket.clone();
    off_tick.price = Some(
        (price + btc.tick_size / Decimal::from(2))
            .normalize()
            .to_string()
            .parse()
            .unwrap(),
    );
    let err = desk
        .place_order(&demo.id, &off_tick, false, None)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidOrder);
    assert!(err.message.contains(" or "), "{}", err.message);

    // Locked: nothing trades. Unlocked again: the same Demo exchange, reconnected. The guard's
    // history of the session (one order sent) is kept on disk at lock.
    desk.lock().await.unwrap();
    let history = open_sealed(&ns, &dir.path().join("guard-history.json"));
    assert_eq!(history["accounts"][&demo.id]["orders"], 1, "{history}");
    assert_eq!(
        desk.place_order(&demo.id, &ticket, false, None)
            .await
            .unwrap_err()
            .code,
        ErrorCode::Locked
    );
    clock.advance(60);
    let status = desk.unlock(seed.code_at(clock.now())).await.unwrap();
    assert_eq!(status.phase, LockPhase::Unlocked);
    until_ready(&desk, &demo.id).await;
    // The same order as one sent a moment ago: the guard asks first, and sends nothing.
    let outcome = desk
        .place_order(&demo.id, &ticket, false, None)
        .await
        .unwrap();
    let PlaceOutcome::NeedsConfirmation { warnings } = outcome else {
        panic!("a duplicate within 2 s went without a confirmation: {outcome:?}");
    };
    assert_eq!(warnings[0].kind, rampart_guard::WarningKind::DuplicateOrder);
    assert!(desk.open_orders(&demo.id).await.unwrap().is_empty());
    // Confirmed, it goes, with the warning it was confirmed over.
    let outcome = desk
        .place_order(&demo.id, &ticket, true, None)
        .await
        .unwrap();
    let PlaceOutcome::Placed { order: placed } = outcome else {
        panic!("a confirmed order asked again: {outcome:?}");
    };
    assert_eq!(placed.warnings.len(), 1, "{:?}", placed.warnings);
    assert_eq!(placed.status, PlacedStatus::Accepted);
    let listed = desk.guard_status().unwrap();
    assert_eq!(listed.warnings.len(), 1, "listed once: {listed:?}");
    desk.cancel_all_orders(&demo.id, None).await.unwrap();
    assert!(desk.open_orders(&demo.id).await.unwrap().is_empty());
    // Still one Demo account: the second unlock did not add another.
    assert_eq!(desk.list_accounts().unwrap().len(), 1);
    desk.lock().await.unwrap();
}
