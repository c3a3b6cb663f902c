//! Issue 13: each venue gets a Demo account type backed by Rampart's simulator of it. An account
//! added in the `simulator` environment gets keys made in its venue's format (kept in the real OS
//! keychain), its own simulator on loopback speaking the venue's protocol, and trades through the
//! same engine, guard and journal as any account: a market order opens a position, which the
//! account's positions show.

mod common;

use common::*;

use rampart_core::session::{AccountView, Environment};
use rampart_core::{OrderType, Side, Venue};
use rampart_engine::orders::{OrderTicket, PlaceOutcome, PlacedStatus};
use rampart_engine::{AddAccountRequest, Desk};
use rampart_vault::{Credentials, SecretString};
use rust_decimal::Decimal;

/// What the add form sends for a Demo account: no keys.
fn typed_nothing() -> Credentials {
    Credentials {
        api_key: SecretString::new(String::new()),
        api_secret: SecretString::new(String::new()),
        passphrase: None,
    }
}

async fn add_demo(
    desk: &std::sync::Arc<Desk>,
    venue: Venue,
    label: &str,
    code: String,
) -> AccountView {
    desk.add_account(AddAccountRequest {
        venue,
        label: label.into(),
        environment: Environment::Simulator,
        credentials: typed_nothing(),
        code,
    })
    .await
    .unwrap_or_else(|e| panic!("{venue:?}: {e:?}"))
}

/// A market buy of `qty` on `symbol`, and the position it leaves.
async fn buy_and_hold(desk: &Desk, account: &AccountView, symbol: &str, qty: &str) {
    until_ready(desk, &account.id).await;
    let instruments = desk.list_instruments(&account.id).await.unwrap();
    assert!(
        instruments.iter().any(|r| r.symbol == symbol),
        "{:?} lists {symbol}",
        account.venue
    );
    let mark = desk
        .mark_price(&account.id, symbol)
        .await
        .unwrap_or_else(|e| panic!("{:?}: no mark for {symbol}: {e:?}", account.venue));
    assert!(mark.mark > Decimal::ZERO, "{mark:?}");
    let ticket = OrderTicket {
        symbol: symbol.into(),
        side: Side::Buy,
        order_type: OrderType::Market,
        qty: qty.parse().unwrap(),
        price: None,
        trigger_price: None,
        time_in_force: None,
        reduce_only: false,
        trigger_by: None,
        margin_mode: None,
        position_side: Default::default(),
    };
    let mut outcome = desk
        .place_order(&account.id, &ticket, false, None)
        .await
        .unwrap();
    // The guard asks once before the first order on a venue the trader has not used yet.
    if let PlaceOutcome::NeedsConfirmation { warnings } = &outcome {
        assert!(
            warnings.iter().all(|w| w.seen.contains("first order on")),
            "{warnings:?}"
        );
        outcome = desk
            .place_order(&account.id, &ticket, true, None)
            .await
            .unwrap();
    }
    let PlaceOutcome::Placed { order } = outcome else {
        panic!("{:?}: the order asked for more: {outcome:?}", account.venue);
    };
    assert!(order.status == PlacedStatus::Accepted, "{order:?}");
    let positions = desk.positions(&account.id).await.unwrap();
    let held = positions
        .iter()
        .find(|p| p.symbol == symbol)
        .unwrap_or_else(|| panic!("{:?}: no {symbol} position in {positions:?}", account.venue));
    assert_eq!(held.qty, qty.parse::<Decimal>().unwrap(), "{held:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_account_of_each_venue_trades_on_its_own_simulator() {
    let Enrolled {
        clock, desk, seed, ..
    } = enrolled("simulators").await;

    let binance = add_demo(
        &desk,
        Venue::BinanceUsdm,
        "Binance demo",
        fresh_code(&clock, &seed),
    )
    .await;
    assert_eq!(binance.environment, Environment::Simulator);
    // Keys made in Binance's format: a 64-character key, shown masked.
    assert!(binance.masked_key.contains('…'), "{}", binance.masked_key);
    buy_and_hold(&desk, &binance, "BTCUSDT", "0.01").await;

    let bybit = add_demo(&desk, Venue::Bybit, "Bybit demo", fresh_code(&clock, &seed)).await;
    buy_and_hold(&desk, &bybit, "BTCUSDT", "0.01").await;
    let okx = add_demo(&desk, Venue::Okx, "OKX demo", fresh_code(&clock, &seed)).await;
    // OKX counts contracts (0.01 BTC each on BTC-USDT-SWAP).
    buy_and_hold(&desk, &okx, "BTC-USDT-SWAP", "2").await;
    let deribit = add_demo(
        &desk,
        Venue::Deribit,
        "Deribit demo",
        fresh_code(&clock, &seed),
    )
    .await;
    // Deribit's BTC-PERPETUAL counts contracts of 10 USD.
    buy_and_hold(&desk, &deribit, "BTC-PERPETUAL", "10").await;

    // A second Demo account of the same venue has a simulator of its own: no position there.
    let other = add_demo(
        &desk,
        Venue::BinanceUsdm,
        "Binance demo 2",
        fresh_code(&clock, &seed),
    )
    .await;
    assert_ne!(other.fingerprint, binance.fingerprint);
    until_ready(&desk, &other.id).await;
    assert!(desk.positions(&other.id).await.unwrap().is_empty());
}
