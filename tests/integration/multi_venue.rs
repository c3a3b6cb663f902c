//! Issue 13, end to end: a Demo account of Bybit and one of OKX are added from the Accounts page
//! (no keys typed: Rampart makes them), each trading on Rampart's simulator of its venue; with a
//! position on each of the three venues, the All view lists every one with its account, and the
//! exposure per asset adds them up in coins (OKX counts contracts of 0.01 BTC).

use std::str::FromStr;

use rampart_tests::{App, Authenticator, Launch, enrol, unlock};
use rust_decimal::Decimal;
use serde_json::Value;

/// Adds a Demo account of `venue` on the built-in simulator from the Accounts page.
async fn add_simulator_account(app: &App, phone: &mut Authenticator, venue: &str, label: &str) {
    app.click("[data-testid=nav-accounts]").await;
    app.wait_for("[data-testid=add-account]").await;
    app.choose("add-venue", venue).await;
    app.choose("add-environment", "simulator").await;
    // No key fields for a Demo account: Rampart makes the keys.
    app.wait_for("[data-testid=add-simulated]").await;
    assert_eq!(
        app.eval("return document.querySelectorAll('[data-testid=add-key], [data-testid=add-secret]').length;")
            .await,
        Value::from(0)
    );
    app.type_into("[data-testid=add-label]", label).await;
    app.type_into("[data-testid=add-code]", &phone.fresh_code().await)
        .await;
    app.click("[data-testid=add-submit]").await;
    app.wait_for(&format!("[data-testid=account-row][data-label='{label}']"))
        .await;
    app.wait_for(&format!(
        "[data-testid=account-row][data-label='{label}'] [data-testid=demo-badge]"
    ))
    .await;
}

/// The id of the account labelled `label`.
async fn account_id(app: &App, label: &str) -> String {
    let accounts = app
        .invoke("return await invoke('list_accounts', {});")
        .await;
    accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["label"] == label)
        .and_then(|a| a["id"].as_str())
        .unwrap_or_else(|| panic!("no account {label} in {accounts}"))
        .to_owned()
}

/// A market buy of `qty` `symbol` on the account, through the app's own order command (the
/// guard, the journal, the venue's connector), retried while the account is still connecting.
async fn market_buy(app: &App, account: &str, symbol: &str, qty: &str) {
    let script = format!(
        "try {{ return await invoke('place_order', {{ accountId: '{account}', confirmed: true, ticket: {{
           symbol: '{symbol}', side: 'buy', orderType: 'market', qty: '{qty}', price: null,
           triggerPrice: null, timeInForce: null, reduceOnly: false, triggerBy: null,
           marginMode: null, positionSide: 'net' }} }}); }}
         catch (e) {{ return {{ error: e }}; }}"
    );
    let deadline = std::time::Instant::now() + rampart_tests::UI_TIMEOUT;
    loop {
        let placed = app.invoke(&script).await;
        if placed["kind"] == "placed" {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{symbol} on {account}: {placed}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn demo_accounts_on_three_venues_and_the_all_view() {
    let app = App::start(Launch {
        dbus_session: true,
        ..Launch::default()
    })
    .await;
    let mut phone = enrol(&app).await;
    app.click("[data-testid=lock]").await;
    unlock(&app, &mut phone).await;

    add_simulator_account(&app, &mut phone, "bybit", "Bybit demo").await;
    add_simulator_account(&app, &mut phone, "okx", "OKX demo").await;
    app.screenshot("accounts-three-venues").await;

    let binance = account_id(&app, "Demo").await;
    let bybit = account_id(&app, "Bybit demo").await;
    let okx = account_id(&app, "OKX demo").await;
    market_buy(&app, &binance, "BTCUSDT", "0.01").await;
    market_buy(&app, &bybit, "BTCUSDT", "0.02").await;
    // 3 contracts of 0.01 BTC.
    market_buy(&app, &okx, "BTC-USDT-SWAP", "3").await;

    app.click("[data-testid=nav-workspace]").await;
    app.choose("account-select", "all").await;
    app.wait_text("[data-testid=account-env]", |t| t == "ALL")
        .await;
    app.click("[data-testid=tab-positions]").await;
    app.wait_text("[data-testid=position-count]", |t| t == "3")
        .await;
    for (account, symbol) in [
        (&binance, "BTCUSDT"),
        (&bybit, "BTCUSDT"),
        (&okx, "BTC-USDT-SWAP"),
    ] {
        app.wait_for(&format!(
            "[data-testid=position-row][data-account='{account}'][data-symbol='{symbol}']"
        ))
        .await;
    }
    // Every account's stream is live (logged in, subscribed, read again over REST).
    for account in [&binance, &bybit, &okx] {
        app.wait_text(
            &format!(
                "[data-testid=status-account][data-account='{account}'] [data-testid=status-stream]"
            ),
            |t| t.contains("Stream live"),
        )
        .await;
    }
    app.screenshot("all-view-positions").await;

    // Exposure per asset: 0.01 + 0.02 + 3 × 0.01 = 0.06 BTC over three positions.
    app.click("[data-testid=tab-exposure]").await;
    app.wait_text("[data-testid=exposure-row][data-asset=BTC]", |t| {
        t.contains("0.06")
    })
    .await;
    let cells = app
        .eval(
            "return Array.from(document.querySelectorAll('[data-testid=exposure-row][data-asset=BTC] td'))
               .map((c) => c.textContent.trim());",
        )
        .await;
    let cells: Vec<String> = serde_json::from_value(cells).unwrap();
    assert_eq!(
        Decimal::from_str(&cells[1]).unwrap(),
        Decimal::new(6, 2),
        "{cells:?}"
    );
    // With no options, the net delta is the same 0.06 BTC.
    assert_eq!(cells[5], "+0.0600 BTC", "{cells:?}");
    assert_eq!(cells[6], "3", "{cells:?}");
    assert_eq!(
        app.eval("return document.querySelectorAll('[data-testid=exposure-row]').length;")
            .await,
        Value::from(1),
        "one asset: every position is BTC"
    );
    app.screenshot("all-view-exposure").await;

    // The Security page says what each venue's dead man's switch is before one is set: Bybit's
    // only for institutional accounts, OKX's for the whole account up to 120 s.
    app.click("[data-testid=nav-settings]").await;
    for (account, says) in [
        (&bybit, "only to institutional accounts"),
        (&okx, "the whole account, 10–120 s"),
        (&binance, "per symbol with open orders"),
    ] {
        app.wait_text(
            &format!(
                "[data-testid=guard-limits][data-account='{account}'] [data-testid=dead-mans-venue]"
            ),
            |t| t.contains(says),
        )
        .await;
    }
    app.quit().await;
}
