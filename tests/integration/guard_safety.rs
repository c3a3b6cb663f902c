//! Issue 10 in the real window, on the Demo venue: an order placed on a Demo account by another
//! client (not Rampart) is raised as an order this terminal did not place; the kill switch
//! (its keys, no code) cancels every open order on three Demo accounts and, after the one
//! confirmation, closes every position, with a report per account, and halts new orders until
//! a code resumes them; a key with withdrawal permission shows the red warning and asks for a
//! code before the account's first order.

use rampart_core::trading::{OrderRequest, PositionSide};
use rampart_core::{OrderType, Side};
use rampart_tests::{App, Launch, add_demo_account, enrol, free_ports};
use rampart_venues::binance_usdm::{BinanceUsdm, RestClient};
use rampart_venues::venue::Venue;
use rust_decimal::Decimal;
use serde_json::Value;

const KEY_2: &str = "DemoTwoKey0000000000000000000000000000000000000000000000000000001";
const SECRET_2: &str = "DemoTwoSecret00000000000000000000000000000000000000000000000000002";
const KEY_3: &str = "DemoThreeKey00000000000000000000000000000000000000000000000000003";
const SECRET_3: &str = "DemoThreeSecret0000000000000000000000000000000000000000000000004";

/// Every account's id, in the app's order.
async fn account_ids(app: &App) -> Vec<String> {
    let ids = app
        .invoke("return (await invoke('list_accounts', {})).map((a) => a.id);")
        .await;
    serde_json::from_value(ids).unwrap()
}

/// Open orders and positions of every account, as the venues list them.
async fn open_everywhere(app: &App) -> Value {
    app.invoke(
        "const out = [];
         for (const a of await invoke('list_accounts', {})) {
           out.push([a.label, (await invoke('open_orders', { accountId: a.id })).length,
                     (await invoke('positions', { accountId: a.id })).length]);
         }
         return out;",
    )
    .await
}

#[tokio::test]
async fn an_order_from_another_client_is_raised_and_the_kill_switch_clears_three_demo_accounts() {
    let ports = free_ports::<3>();
    let app = App::start(Launch {
        dbus_session: true,
        demo_ports: Some(ports),
        ..Launch::default()
    })
    .await;
    let mut phone = enrol(&app).await;
    add_demo_account(&app, &mut phone, "Demo 2", KEY_2, SECRET_2).await;
    add_demo_account(&app, &mut phone, "Demo 3", KEY_3, SECRET_3).await;
    app.click("[data-testid=nav-workspace]").await;
    app.wait_for("[data-testid=workspace]").await;
    let ids = account_ids(&app).await;
    assert_eq!(ids.len(), 3);

    // On each account: a position (a market buy) and a bid resting 3 % under the mark.
    for id in &ids {
        let out = app
            .invoke(&format!(
                "const id = '{id}';
                 for (let i = 0; i < 40; i++) {{
                   const s = (await invoke('trading_status', {{}})).find((s) => s.account.id === id);
                   if (s && s.status.connection.state === 'ready') break;
                   await new Promise((r) => setTimeout(r, 250));
                 }}
                 const mark = Number((await invoke('mark_price', {{ accountId: id, symbol: 'BTCUSDT' }})).mark);
                 const base = {{ symbol: 'BTCUSDT', side: 'buy', qty: '0.01', triggerPrice: null,
                   timeInForce: null, reduceOnly: false, triggerBy: null, marginMode: null, positionSide: 'net' }};
                 const a = await invoke('place_order', {{ accountId: id, confirmed: true,
                   ticket: {{ ...base, orderType: 'market', price: null }} }});
                 const b = await invoke('place_order', {{ accountId: id, confirmed: true,
                   ticket: {{ ...base, orderType: 'limit', price: String(Math.floor(mark * 0.97)) }} }});
                 return [a.kind, b.kind];"
            ))
            .await;
        assert_eq!(out, serde_json::json!(["placed", "placed"]), "{id}");
    }

    // Another client on Demo 2's key (a phone app, a script) rests an order of its own.
    let other = BinanceUsdm::new(
        RestClient::new(&format!("http://127.0.0.1:{}", ports[1]), KEY_2, SECRET_2).unwrap(),
    );
    other.sync_clock().await.unwrap();
    let mark = other.mark_price("BTCUSDT").await.unwrap().mark;
    other
        .place_order(&OrderRequest {
            symbol: "BTCUSDT".into(),
            client_order_id: "phone7731".into(),
            side: Side::Buy,
            order_type: OrderType::Limit,
            qty: "0.01".parse().unwrap(),
            price: Some(
                (mark * Decimal::new(96, 2))
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
            position_side: PositionSide::Net,
            reference_price: None,
        })
        .await
        .unwrap();
    // The guard raises it from the account's stream: the status bar counts it, the panel says
    // what was seen.
    app.wait_text("[data-testid=status-warnings]", |t| t.contains("warning"))
        .await;
    app.click("[data-testid=status-warnings]").await;
    let seen = app
        .wait_text(
            "[data-testid=warnings-item][data-kind=foreign_activity]",
            |t| !t.is_empty(),
        )
        .await;
    assert!(
        seen.contains("an order this terminal did not place (client id phone7731)"),
        "{seen}"
    );
    app.click("[data-testid=status-warnings]").await;

    // The kill switch's keys, from a text field: no code is asked; every order goes.
    app.element("[data-testid=ticket-qty]")
        .await
        .click()
        .await
        .unwrap();
    app.driver()
        .action_chain()
        .key_down(thirtyfour::Key::Control)
        .key_down(thirtyfour::Key::Shift)
        .send_keys("k")
        .key_up(thirtyfour::Key::Shift)
        .key_up(thirtyfour::Key::Control)
        .perform()
        .await
        .expect("press Ctrl+Shift+K");
    app.wait_for("[data-testid=kill-report][data-finished=true]")
        .await;
    let rows = app
        .eval(
            "return Array.from(document.querySelectorAll('[data-testid=kill-account]'))
               .map((r) => [r.dataset.orders, r.dataset.positions, r.innerText]);",
        )
        .await;
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    for row in rows {
        assert_eq!(
            (&row[0], &row[1]),
            (&Value::from("done"), &Value::from("kept")),
            "{row}"
        );
    }
    assert!(
        rows[1][2]
            .as_str()
            .unwrap()
            .contains("2 orders cancelled, none left"),
        "Demo 2's own bid and the other client's: {rows:?}"
    );
    assert_eq!(
        open_everywhere(&app).await,
        serde_json::json!([["Demo", 0, 1], ["Demo 2", 0, 1], ["Demo 3", 0, 1]])
    );

    // The one confirmation: every position is closed, account by account.
    app.click("[data-testid=kill-close-positions]").await;
    app.wait_for("[data-testid=kill-report][data-close=true][data-finished=true]")
        .await;
    let states = app
        .eval(
            "return Array.from(document.querySelectorAll('[data-testid=kill-account]'))
               .map((r) => r.dataset.orders + '/' + r.dataset.positions);",
        )
        .await;
    assert_eq!(
        states,
        serde_json::json!(["done/done", "done/done", "done/done"])
    );
    assert!(
        app.text("[data-testid=kill-report] h3")
            .await
            .contains("orders cancelled and positions closed on every account")
    );
    app.screenshot("kill-switch-report").await;
    assert_eq!(
        open_everywhere(&app).await,
        serde_json::json!([["Demo", 0, 0], ["Demo 2", 0, 0], ["Demo 3", 0, 0]])
    );

    // New orders are halted on every account until a code resumes them.
    app.click("[data-testid=kill-dismiss]").await;
    app.wait_for("[data-testid=breaker-banner]").await;
    let refused = app
        .invoke(&format!(
            "try {{ await invoke('place_order', {{ accountId: '{}', confirmed: true, ticket: {{
               symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: '0.01', price: null,
               triggerPrice: null, timeInForce: null, reduceOnly: false, triggerBy: null,
               marginMode: null, positionSide: 'net' }} }}); return 'sent'; }}
             catch (e) {{ return e.code; }}",
            ids[2]
        ))
        .await;
    assert_eq!(refused, Value::from("trading_halted"));
    app.type_into("[data-testid=resume-code]", &phone.fresh_code().await)
        .await;
    app.click("[data-testid=resume-trading]").await;
    app.wait_text("[data-testid=status-warnings]", |t| !t.is_empty())
        .await;
    let start = std::time::Instant::now();
    while app
        .eval("return document.querySelector('[data-testid=breaker-banner]') !== null;")
        .await
        == Value::Bool(true)
    {
        assert!(
            start.elapsed().as_secs() < 20,
            "the halt stayed after the code"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    app.quit().await;
}

#[tokio::test]
async fn a_key_with_withdrawal_permission_shows_the_red_warning_and_asks_for_a_code() {
    let app = App::start(Launch {
        dbus_session: true,
        demo_key_permissions: "withdrawals,no-ip-restriction",
        ..Launch::default()
    })
    .await;
    let mut phone = enrol(&app).await;
    let badge = app
        .wait_text("[data-testid=key-badge][data-kind=withdraw]", |t| {
            !t.is_empty()
        })
        .await;
    assert_eq!(badge, "Key can withdraw");
    let class = app
        .attr("[data-testid=key-badge][data-kind=withdraw]", "class")
        .await
        .unwrap_or_default();
    assert!(
        class.split_whitespace().any(|c| c == "danger"),
        "the badge is red: {class}"
    );
    assert_eq!(
        app.text("[data-testid=key-badge][data-kind=no-ip]").await,
        "No IP restriction"
    );
    // The banner shows it first (it asks for a code), with the other one waiting.
    let banner = app
        .wait_text(
            "[data-testid=warning-banner][data-kind=key_can_withdraw]",
            |t| !t.is_empty(),
        )
        .await;
    assert!(banner.contains("withdrawal permission"), "{banner}");
    assert_eq!(
        app.text("[data-testid=warning-banner-more]").await,
        "1 more"
    );
    app.screenshot("warning-banner").await;
    // The warnings panel lists it, in red (high), with what to do.
    app.click("[data-testid=status-warnings]").await;
    let item = "[data-testid=warnings-item][data-kind=key_can_withdraw]";
    let seen = app.wait_text(item, |t| !t.is_empty()).await;
    assert!(seen.contains("withdrawal permission"), "{seen}");
    assert_eq!(
        app.attr(item, "data-severity").await.as_deref(),
        Some("high")
    );
    app.screenshot("key-can-withdraw").await;
    app.click("[data-testid=status-warnings]").await;

    // The account's first order asks for a code; with one it goes, and the next does not ask.
    let ticket = "{ symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: '0.01', price: null,
        triggerPrice: null, timeInForce: null, reduceOnly: false, triggerBy: null, marginMode: null,
        positionSide: 'net' }";
    let first = app
        .invoke(&format!(
            "const [demo] = await invoke('list_accounts', {{}});
             const out = await invoke('place_order', {{ accountId: demo.id, ticket: {ticket}, confirmed: true }});
             return [out.kind, (out.warnings ?? []).map((w) => w.kind)];"
        ))
        .await;
    assert_eq!(
        first,
        serde_json::json!(["needs_step_up", ["key_can_withdraw"]])
    );
    let code = phone.fresh_code().await;
    let kinds = app
        .invoke(&format!(
            "const [demo] = await invoke('list_accounts', {{}});
             const a = await invoke('place_order', {{ accountId: demo.id, ticket: {ticket}, confirmed: true, stepUpCode: '{code}' }});
             const b = await invoke('place_order', {{ accountId: demo.id, ticket: {{ ...{ticket}, qty: '0.02' }}, confirmed: true }});
             return [a.kind, b.kind];"
        ))
        .await;
    assert_eq!(kinds, serde_json::json!(["placed", "placed"]));
    app.quit().await;
}

/// Places a market buy of `qty` on `account`; the outcome's kind, or the error's code and
/// message.
async fn market_buy(app: &App, account: &str, qty: &str) -> Value {
    app.invoke(&format!(
        "try {{ const out = await invoke('place_order', {{ accountId: '{account}', confirmed: true,
             ticket: {{ symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: '{qty}', price: null,
               triggerPrice: null, timeInForce: null, reduceOnly: false, triggerBy: null,
               marginMode: null, positionSide: 'net' }} }});
           return [out.kind, ''];
         }} catch (e) {{ return [e.code, e.message]; }}"
    ))
    .await
}

/// Rests a bid of 0.01 BTCUSDT 3 % under the mark on `account`; the outcome's kind.
async fn rest_bid(app: &App, account: &str) -> Value {
    app.invoke(&format!(
        "const mark = Number((await invoke('mark_price', {{ accountId: '{account}', symbol: 'BTCUSDT' }})).mark);
         const out = await invoke('place_order', {{ accountId: '{account}', confirmed: true, ticket: {{
           symbol: 'BTCUSDT', side: 'buy', orderType: 'limit', qty: '0.01', price: String(Math.floor(mark * 0.97)),
           triggerPrice: null, timeInForce: null, reduceOnly: false, triggerBy: null, marginMode: null,
           positionSide: 'net' }} }});
         return out.kind;"
    ))
    .await
}

/// Waits until every account is connected again.
async fn all_ready(app: &App) {
    let ready = app
        .invoke(
            "for (let i = 0; i < 80; i++) {
               const all = await invoke('trading_status', {});
               if (all.every((s) => s.status.connection.state === 'ready')) return true;
               await new Promise((r) => setTimeout(r, 250));
             }
             return false;",
        )
        .await;
    assert_eq!(ready, Value::Bool(true));
}

async fn lock_and_unlock(app: &App, phone: &mut rampart_tests::Authenticator) {
    app.click("[data-testid=lock]").await;
    app.wait_for("[data-testid=unlock-code]").await;
    rampart_tests::unlock(app, phone).await;
    all_ready(app).await;
}

#[tokio::test]
async fn signature_refusals_trip_the_breaker_until_a_code_resumes_and_cancel_still_works() {
    let app = App::start(Launch {
        dbus_session: true,
        ..Launch::default()
    })
    .await;
    let mut phone = enrol(&app).await;
    add_demo_account(&app, &mut phone, "Demo 2", KEY_2, SECRET_2).await;
    app.click("[data-testid=nav-workspace]").await;
    all_ready(&app).await;
    let ids = account_ids(&app).await;
    let demo2 = ids[1].clone();
    // A bid resting 3 % under the mark on Demo 2, to cancel while halted.
    assert_eq!(rest_bid(&app, &demo2).await, Value::from("placed"));

    // Someone changes the secret Rampart signs with (in the keychain, as another program on
    // this machine could); after the next unlock every signed request is refused.
    let service = format!("rampart-dev.account.{demo2}");
    let wrong = format!(
        r#"{{"apiKey":"{KEY_2}","apiSecret":"{}","passphrase":null}}"#,
        "W".repeat(64)
    );
    app.secret_tool_replace(&service, "credentials", &wrong);
    lock_and_unlock(&app, &mut phone).await;
    for qty in ["0.002", "0.003", "0.004"] {
        let refused = market_buy(&app, &demo2, qty).await;
        assert_eq!(refused[0], Value::from("order_rejected"), "{refused}");
        assert!(
            refused[1]
                .as_str()
                .unwrap()
                .contains("did not accept the request signature"),
            "{refused}"
        );
    }
    // The third refusal in a row tripped the breaker: nothing new leaves Demo 2, whatever its
    // key does now; the other account trades on.
    let right = format!(r#"{{"apiKey":"{KEY_2}","apiSecret":"{SECRET_2}","passphrase":null}}"#);
    app.secret_tool_replace(&service, "credentials", &right);
    lock_and_unlock(&app, &mut phone).await;
    let halted = market_buy(&app, &demo2, "0.005").await;
    assert_eq!(halted[0], Value::from("trading_halted"), "{halted}");
    assert!(
        halted[1]
            .as_str()
            .unwrap()
            .contains("3 requests in a row refused for the API key or its signature"),
        "{halted}"
    );
    assert_eq!(
        market_buy(&app, &ids[0], "0.005").await[0],
        Value::from("placed")
    );
    // Cancel still goes on the halted account.
    let left = app
        .invoke(&format!(
            "await invoke('cancel_all_orders', {{ accountId: '{demo2}', symbol: null }});
             return (await invoke('open_orders', {{ accountId: '{demo2}' }})).length;"
        ))
        .await;
    assert_eq!(left, Value::from(0));

    // The banner says which account halted and why, and takes a code to resume.
    let banner = format!("[data-testid=breaker-banner][data-account='{demo2}']");
    let text = app.wait_text(&banner, |t| !t.is_empty()).await;
    assert!(text.contains("3 requests in a row refused"), "{text}");
    app.screenshot("breaker-tripped").await;
    app.type_into(
        &format!("{banner} [data-testid=resume-code]"),
        &phone.fresh_code().await,
    )
    .await;
    app.click(&format!("{banner} [data-testid=resume-trading]"))
        .await;
    let start = std::time::Instant::now();
    while app
        .eval(&format!(
            "return document.querySelector(\"{banner}\") !== null;"
        ))
        .await
        == Value::Bool(true)
    {
        assert!(
            start.elapsed().as_secs() < 20,
            "the halt stayed after the code"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(
        market_buy(&app, &demo2, "0.006").await[0],
        Value::from("placed")
    );
    app.quit().await;
}

#[tokio::test]
async fn limits_tightened_in_settings_refuse_the_next_order_and_the_dead_mans_switch_is_armed() {
    let app = App::start(Launch {
        dbus_session: true,
        ..Launch::default()
    })
    .await;
    let mut phone = enrol(&app).await;
    all_ready(&app).await;
    let demo = account_ids(&app).await.remove(0);
    app.click("[data-testid=nav-settings]").await;
    let row = format!("[data-testid=guard-limits][data-account='{demo}']");
    app.wait_for(&row).await;
    // Looser than the default: refused with the figure, nothing saved.
    app.type_into(&format!("{row} [data-testid=limit-leverage]"), "50")
        .await;
    app.type_into(
        "[data-testid=guard-settings-code]",
        &phone.fresh_code().await,
    )
    .await;
    app.click("[data-testid=guard-settings-save]").await;
    let why = app
        .wait_text("[data-testid=guard-settings-error]", |t| !t.is_empty())
        .await;
    assert_eq!(
        why,
        "The leverage cap can be tightened, not loosened: at most 20."
    );
    // Tighter: an order value cap of 1,000 and a 30 s dead man's switch.
    app.type_into(&format!("{row} [data-testid=limit-leverage]"), "10")
        .await;
    app.type_into(&format!("{row} [data-testid=limit-order-notional]"), "1000")
        .await;
    app.type_into(&format!("{row} [data-testid=dead-mans-secs]"), "30")
        .await;
    app.type_into(&format!("{row} [data-testid=limit-bands]"), "solusdt 1/4")
        .await;
    app.click("[data-testid=breaker-scope-all]").await;
    app.type_into(
        "[data-testid=guard-settings-code]",
        &phone.fresh_code().await,
    )
    .await;
    app.click("[data-testid=guard-settings-save]").await;
    app.wait_text("[data-testid=guard-settings-message]", |t| {
        t.starts_with("Saved")
    })
    .await;
    let saved = app
        .invoke("const v = await invoke('guard_settings', {}); return [v.settings.breakerScope, v.settings.accounts[0].limits.maxOrderNotional, v.settings.accounts[0].limits.maxLeverage, v.settings.accounts[0].deadMansSwitchSecs, v.settings.accounts[0].limits.bandOverrides];")
        .await;
    assert_eq!(
        saved,
        serde_json::json!([
            "all_accounts",
            "1000",
            10,
            30,
            { "SOLUSDT": { "warnPct": "1", "blockPct": "4" } }
        ])
    );

    // About 3,000 USDT: refused by the guard with the cap; a bid of about 580 rests.
    let refused = market_buy(&app, &demo, "0.05").await;
    assert_eq!(refused[0], Value::from("refused_by_guard"), "{refused}");
    assert!(
        refused[1].as_str().unwrap().contains("cap of 1000"),
        "{refused}"
    );
    assert_eq!(rest_bid(&app, &demo).await, Value::from("placed"));
    // Within a round (a third of the countdown) the switch is armed on BTCUSDT; the page says so.
    let armed = app
        .invoke(
            "for (let i = 0; i < 120; i++) {
               const v = await invoke('guard_settings', {});
               const s = v.deadMans[0];
               if (s && s.armedAtMs !== null && s.symbols.includes('BTCUSDT')) return [s.countdownSecs, s.error];
               await new Promise((r) => setTimeout(r, 250));
             }
             return null;",
        )
        .await;
    assert_eq!(armed, serde_json::json!([30, null]));
    app.click("[data-testid=nav-workspace]").await;
    app.click("[data-testid=nav-settings]").await;
    app.wait_text("[data-testid=dead-mans-status]", |t| {
        t.starts_with("Armed on BTCUSDT")
    })
    .await;
    app.screenshot("guard-settings").await;
    app.quit().await;
}
