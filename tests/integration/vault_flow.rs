//! The vault end to end in the real window: enrol an authenticator, lock, get locked out by
//! wrong codes, unlock after the wait, add two accounts, restart, remove one, and check that no
//! secret leaked into files, IPC responses or the page.

use std::time::{Duration, Instant};

use rampart_tests::{App, Authenticator, Launch, files_under, submit_demo_account};

const SECRET_A: &str = "CanaryAAe2e0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";
const SECRET_B: &str = "CanaryBBe2e0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";
const KEY_A: &str = "KeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA001";
const KEY_B: &str = "KeyBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB002";

/// Calls every command that returns data, over the same IPC bridge the UI uses, and returns
/// each response (or error) as JSON text.
async fn ipc_responses(app: &App) -> Vec<String> {
    let value = app
        .driver()
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const calls = [
               ['preflight', {}], ['session_status', {}], ['list_accounts', {}],
               ['security_settings', {}], ['touch', {}],
               ['rename_account', { id: 'no-such-id', label: 'x' }],
               ['remove_account', { id: 'no-such-id', code: '000000' }],
               ['trading_status', {}],
               ['open_orders', { accountId: 'no-such-id' }],
             ];
             Promise.all(calls.map(([cmd, args]) =>
               window.__TAURI_INTERNALS__.invoke(cmd, args).then(
                 (r) => cmd + ' -> ' + JSON.stringify(r),
                 (e) => cmd + ' !> ' + JSON.stringify(e))))
               .then(done, (e) => done(['failed: ' + e]));",
            Vec::new(),
        )
        .await
        .expect("call the IPC commands")
        .json()
        .clone();
    serde_json::from_value(value).unwrap()
}

async fn add_account(
    app: &App,
    phone: &mut Authenticator,
    label: &str,
    key: &str,
    secret: &str,
    expect: &str,
) {
    // The built-in simulator's venue: at the next unlock every account connects, and a test
    // reaches nothing but loopback.
    submit_demo_account(app, phone, label, key, secret).await;
    app.wait_text("[data-testid=account-count]", |t| t == expect)
        .await;
}

/// Issue 8: from a fresh install, the Demo account places a resting limit order and cancels it,
/// through the same IPC bridge the UI uses.
async fn demo_places_and_cancels_through_the_page(app: &App) {
    let value = app
        .driver()
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const invoke = window.__TAURI_INTERNALS__.invoke;
             (async () => {
               const [demo] = await invoke('list_accounts', {});
               const rules = (await invoke('list_instruments', { accountId: demo.id }))
                 .find((r) => r.symbol === 'BTCUSDT');
               const mark = Number((await invoke('mark_price',
                 { accountId: demo.id, symbol: 'BTCUSDT' })).mark);
               const tick = Number(rules.tickSize);
               const price = (Math.floor(mark * 0.98 / tick) * tick).toFixed(1);
               const outcome = await invoke('place_order', { accountId: demo.id, ticket: {
                 symbol: 'BTCUSDT', side: 'buy', orderType: 'limit', qty: '0.01', price } });
               if (outcome.kind !== 'placed') { return { error: JSON.stringify(outcome) }; }
               const placed = outcome.order;
               const open = await invoke('open_orders', { accountId: demo.id });
               const cancelled = await invoke('cancel_order', { order: {
                 accountId: demo.id, symbol: 'BTCUSDT', clientOrderId: placed.clientOrderId } });
               const after = await invoke('open_orders', { accountId: demo.id });
               return { venue: demo.venue, status: placed.status, id: placed.clientOrderId,
                        open: open.map((o) => o.clientOrderId), cancelled: cancelled.status,
                        after: after.length };
             })().then(done, (e) => done({ error: JSON.stringify(e) }));",
            Vec::new(),
        )
        .await
        .expect("trade on the Demo account over IPC")
        .json()
        .clone();
    assert_eq!(value["venue"], "demo", "{value}");
    assert_eq!(value["status"], "accepted", "{value}");
    let id = value["id"].as_str().unwrap_or_default();
    assert!(id.starts_with("rmp") && id.len() == 27, "{value}");
    assert_eq!(value["open"], serde_json::json!([id]), "{value}");
    assert_eq!(value["cancelled"], "cancelled", "{value}");
    assert_eq!(value["after"], 0, "{value}");
}

fn assert_no_canary(what: &str, text: &str) {
    for canary in [SECRET_A, SECRET_B, "CanaryAA", "CanaryBB"] {
        assert!(!text.contains(canary), "{what} contains an account secret");
    }
}

#[tokio::test]
async fn enrol_lockout_accounts_restart_remove_and_no_secret_leaks() {
    let app = App::start(Launch {
        dbus_session: true,
        ..Launch::default()
    })
    .await;

    // Enrolment: read the secret from the screen, as a trader would type it into a phone.
    let base32 = rampart_tests::shown_secret(&app).await;
    assert_eq!(
        app.attr("[data-testid=enrol-secret]", "data-secret").await,
        None,
        "the secret is in the page's text only, in no attribute"
    );
    assert_eq!(base32.len(), 32, "a 160-bit secret in base32");
    assert!(
        app.driver()
            .find(thirtyfour::By::Css("[data-testid=enrol-qr] path"))
            .await
            .is_ok()
    );
    app.screenshot("enrolment").await;
    let mut phone = Authenticator::new(&base32);
    app.type_into("[data-testid=enrol-code]", &phone.wrong_code())
        .await;
    app.click("[data-testid=enrol-activate]").await;
    app.wait_text("[data-testid=enrol-error]", |t| t.contains("not valid"))
        .await;
    app.type_into("[data-testid=enrol-code]", &phone.fresh_code().await)
        .await;
    app.click("[data-testid=enrol-activate]").await;

    // Ten recovery codes, shown once.
    app.wait_for("[data-testid=recovery-codes]").await;
    let codes = app
        .eval("return Array.from(document.querySelectorAll('[data-testid=recovery-codes] code')).map((c) => c.textContent);")
        .await;
    let codes: Vec<String> = serde_json::from_value(codes).unwrap();
    assert_eq!(codes.len(), 10, "{codes:?}");
    assert!(
        codes
            .iter()
            .all(|c| c.len() == 19 && [4, 9, 14].iter().all(|&i| c.as_bytes()[i] == b'-')),
        "{codes:?}"
    );
    app.screenshot("recovery-codes").await;
    app.click("[data-testid=recovery-saved]").await;
    app.click("[data-testid=recovery-done]").await;
    // Unlocked: the workspace comes first; the accounts are one click away.
    app.wait_for("[data-testid=workspace]").await;
    app.click("[data-testid=nav-accounts]").await;
    app.wait_for("[data-testid=add-account]").await;

    // First unlock: the Demo account is there, marked as such, and connects with no network.
    app.wait_text("[data-testid=account-count]", |t| t == "1 account")
        .await;
    app.wait_for("[data-testid=account-row][data-label='Demo'] [data-testid=demo-badge]")
        .await;
    app.wait_text(
        "[data-testid=account-row][data-label='Demo'] [data-testid=connection]",
        |t| t.starts_with("Connected"),
    )
    .await;
    demo_places_and_cancels_through_the_page(&app).await;

    // Lock, then five wrong codes: the wait is shown and enforced.
    app.click("[data-testid=lock]").await;
    app.wait_for("[data-testid=unlock]").await;
    let mut last_error = String::new();
    for _ in 0..5 {
        app.type_into("[data-testid=unlock-code]", &phone.wrong_code())
            .await;
        app.click("[data-testid=unlock-submit]").await;
        let seen = last_error.clone();
        last_error = app
            .wait_text("[data-testid=unlock-error]", |t| !t.is_empty() && t != seen)
            .await;
    }
    assert!(last_error.contains("wait 30 seconds"), "{last_error}");
    let wait = app
        .wait_text("[data-testid=unlock-wait]", |t| t.contains("try again in"))
        .await;
    assert!(wait.contains(" s"), "{wait}");
    app.screenshot("lockout").await;

    // After the wait a correct code unlocks.
    let deadline = Instant::now() + Duration::from_secs(45);
    while app
        .driver()
        .find(thirtyfour::By::Css("[data-testid=unlock-wait]"))
        .await
        .is_ok()
    {
        assert!(Instant::now() < deadline, "the wait did not end");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    app.type_into("[data-testid=unlock-code]", &phone.fresh_code().await)
        .await;
    app.click("[data-testid=unlock-submit]").await;
    app.wait_for("[data-testid=workspace]").await;
    app.click("[data-testid=nav-accounts]").await;
    app.wait_for("[data-testid=add-account]").await;

    // A refused add (a wrong code) leaves the secret in no field of the page.
    app.eval(
        "for (const [id, v] of [['add-venue', 'demo'], ['add-environment', 'demo']]) { \
           const s = document.querySelector(`[data-testid=${id}]`); s.value = v; \
           s.dispatchEvent(new Event('change')); } return true;",
    )
    .await;
    app.type_into("[data-testid=add-label]", "Refused").await;
    app.type_into("[data-testid=add-key]", KEY_A).await;
    app.type_into("[data-testid=add-secret]", SECRET_A).await;
    app.type_into("[data-testid=add-code]", &phone.wrong_code())
        .await;
    app.click("[data-testid=add-submit]").await;
    app.wait_text("[data-testid=add-error]", |t| !t.is_empty())
        .await;
    assert_eq!(
        app.eval("return document.querySelector('[data-testid=add-secret]').value;")
            .await,
        serde_json::Value::from(""),
        "the secret is cleared after a refusal"
    );

    // Two accounts on the same venue, each after a fresh code.
    add_account(&app, &mut phone, "Sim main", KEY_A, SECRET_A, "2 accounts").await;
    add_account(&app, &mut phone, "Sim alt", KEY_B, SECRET_B, "3 accounts").await;
    let masked = app
        .text("[data-testid=account-row][data-label='Sim main'] [data-testid=masked-key]")
        .await;
    assert_eq!(masked, "KeyA…A001");
    app.screenshot("accounts").await;
    let before_restart = ipc_responses(&app).await;

    // Restart in the same home: locked again; unlock; both accounts are listed.
    let root = app.quit_keeping_root().await;
    let app = App::start_in(
        Launch {
            dbus_session: true,
            ..Launch::default()
        },
        root,
    )
    .await;
    app.wait_for("[data-testid=unlock]").await;
    app.type_into("[data-testid=unlock-code]", &phone.fresh_code().await)
        .await;
    app.click("[data-testid=unlock-submit]").await;
    app.wait_for("[data-testid=workspace]").await;
    app.click("[data-testid=nav-accounts]").await;
    app.wait_text("[data-testid=account-count]", |t| t == "3 accounts")
        .await;
    let id_a = app
        .attr(
            "[data-testid=account-row][data-label='Sim main']",
            "data-id",
        )
        .await
        .unwrap();
    let id_b = app
        .attr("[data-testid=account-row][data-label='Sim alt']", "data-id")
        .await
        .unwrap();

    // The secrets are in the Secret Service, under the dev namespace.
    let service_a = format!("rampart-dev.account.{id_a}");
    let service_b = format!("rampart-dev.account.{id_b}");
    assert!(
        app.secret_tool(&["search", "--all", "--unlock", "service", &service_a])
            .contains(SECRET_A)
    );
    assert!(
        app.secret_tool(&["search", "--all", "--unlock", "service", &service_b])
            .contains(SECRET_B)
    );

    // Remove one: its keychain entry goes with it.
    app.click("[data-testid=account-row][data-label='Sim main'] [data-testid=remove]")
        .await;
    app.type_into("[data-testid=remove-code]", &phone.fresh_code().await)
        .await;
    app.click("[data-testid=remove-confirm]").await;
    app.wait_text("[data-testid=account-count]", |t| t == "2 accounts")
        .await;
    assert!(
        !app.secret_tool(&["search", "--all", "--unlock", "service", &service_a])
            .contains(SECRET_A)
    );
    assert!(
        app.secret_tool(&["search", "--all", "--unlock", "service", &service_b])
            .contains(SECRET_B)
    );

    // Canary: the secrets are nowhere else.
    let mut responses = before_restart;
    responses.extend(ipc_responses(&app).await);
    assert!(
        responses.iter().any(|r| r.starts_with("list_accounts ->")),
        "{responses:?}"
    );
    for response in &responses {
        assert_no_canary("an IPC response", response);
    }
    assert_no_canary("the page HTML", &app.driver().source().await.unwrap());
    let values = app
        .eval("return Array.from(document.querySelectorAll('input')).map((i) => i.value).join('\\n');")
        .await;
    assert_no_canary("an input field", values.as_str().unwrap_or_default());
    let log = app.log();
    assert!(
        log.contains("account removed"),
        "the app log is captured:\n{log}"
    );
    let root = app.quit_keeping_root().await;
    let files = files_under(root.path());
    assert!(
        files.iter().any(|f| f.ends_with("accounts.json")),
        "{files:?}"
    );
    for file in files {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert_no_canary(
            &file.display().to_string(),
            &String::from_utf8_lossy(&bytes),
        );
    }
}
