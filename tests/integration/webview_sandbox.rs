//! The webview is untrusted: in the running app it gets no global Tauri object, a frozen
//! prototype chain, no inline script and no network beyond IPC; and through the IPC that stays
//! reachable (the page's own internals), a locked app answers every gated command `locked`.

use std::net::TcpListener;
use std::time::Duration;

use rampart_tests::{App, Launch, enrol};
use serde_json::Value;

#[tokio::test]
async fn the_webview_cannot_reach_the_network_or_run_inline_script() {
    let app = App::start(Launch {
        dbus_session: true,
        ..Launch::default()
    })
    .await;
    app.wait_for("[data-testid=keychain-strip]").await;

    // withGlobalTauri is off and freezePrototype is on.
    assert_eq!(
        app.eval("return typeof window.__TAURI__;").await,
        "undefined"
    );
    assert_eq!(
        app.eval("return Object.isFrozen(Object.prototype);").await,
        true
    );

    // An injected inline script does not run (script-src 'self' without 'unsafe-inline').
    app.eval(
        "const s = document.createElement('script');
         s.textContent = 'window.__rampartInjected = true;';
         document.body.appendChild(s);
         return null;",
    )
    .await;
    assert_eq!(
        app.eval("return window.__rampartInjected === true;").await,
        false
    );

    // A fetch to a loopback server is refused by connect-src, and the server sees nothing.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!(
        "http://127.0.0.1:{}/steal",
        listener.local_addr().unwrap().port()
    );
    let outcome = app
        .driver()
        .execute_async(
            "const [url, done] = arguments;
             fetch(url).then(() => done('reached'), (e) => done('blocked: ' + e));",
            vec![serde_json::json!(url)],
        )
        .await
        .expect("run the fetch probe")
        .json()
        .clone();
    let outcome = outcome.as_str().unwrap_or_default().to_owned();
    assert!(outcome.starts_with("blocked"), "{outcome}");
    // Nothing connects while the probe's request could still be on its way.
    super::support::holds_for(
        Duration::from_millis(300),
        &format!("the webview opened a connection to {url}"),
        || listener.accept().is_err(),
    )
    .await;

    app.quit().await;
}

/// Commands a locked app must still answer: the start-up checks, the lock itself, and the way
/// back in with a recovery code when the phone is lost.
const UNGATED: [&str; 8] = [
    "preflight",
    "session_status",
    "begin_enrolment",
    "complete_enrolment",
    "unlock",
    "lock",
    "begin_mfa_swap",
    "complete_mfa_swap",
];

/// Arguments each gated command takes, well-formed, so that what answers is the lock and not
/// the arguments' shape. `__CHANNEL__` is replaced by a channel the page makes.
const GATED_CALLS: &[(&str, &str)] = &[
    ("touch", "{}"),
    ("list_accounts", "{}"),
    (
        "add_account",
        r#"{"request": {"venue": "demo", "label": "Probe", "environment": "demo",
            "credentials": {"apiKey": "aaaaaaaaaa", "apiSecret": "bbbbbbbbbb"}, "code": "123456"}}"#,
    ),
    ("rename_account", r#"{"id": "x", "label": "y"}"#),
    ("remove_account", r#"{"id": "x", "code": "123456"}"#),
    ("security_settings", "{}"),
    ("set_idle_lock", r#"{"minutes": 5, "code": "123456"}"#),
    ("trading_status", "{}"),
    ("list_instruments", r#"{"accountId": "x"}"#),
    (
        "place_order",
        r#"{"accountId": "x", "confirmed": true, "ticket": {"symbol": "BTCUSDT", "side": "buy",
            "orderType": "market", "qty": "0.01", "price": null, "triggerPrice": null,
            "timeInForce": null, "reduceOnly": false, "triggerBy": null, "marginMode": null,
            "positionSide": "net"}}"#,
    ),
    (
        "cancel_order",
        r#"{"order": {"accountId": "x", "symbol": "BTCUSDT", "clientOrderId": "c1"}}"#,
    ),
    ("cancel_all_orders", r#"{"accountId": "x", "symbol": null}"#),
    ("open_orders", r#"{"accountId": "x"}"#),
    ("positions", r#"{"accountId": "x"}"#),
    ("mark_price", r#"{"accountId": "x", "symbol": "BTCUSDT"}"#),
    ("balances", r#"{"accountId": "x"}"#),
    ("follow_live", r#"{"onChange": "__CHANNEL__"}"#),
    (
        "watch_market",
        r#"{"accountId": "x", "symbol": "BTCUSDT", "interval": "m1", "history": 10}"#,
    ),
    ("stop_market", "{}"),
    (
        "set_leverage",
        r#"{"accountId": "x", "request": {"symbol": "BTCUSDT", "leverage": {"buy": "5", "sell": "5"}, "marginMode": null}}"#,
    ),
    ("fee_rates", r#"{"accountId": "x", "symbol": "BTCUSDT"}"#),
    ("option_chain", r#"{"accountId": "x", "underlying": "BTC"}"#),
    ("guard_status", "{}"),
    ("acknowledge_warning", r#"{"id": 1}"#),
    ("resume_trading", r#"{"accountId": "x", "code": "123456"}"#),
    ("kill_switch", r#"{"closePositions": true}"#),
    ("kill_switch_status", "{}"),
    ("guard_settings", "{}"),
    (
        "set_guard_settings",
        r#"{"settings": {"breakerScope": "account", "accounts": []}, "code": "123456"}"#,
    ),
    ("audit_status", "{}"),
    ("rotate_data_key", r#"{"code": "123456"}"#),
    ("set_key_age_limit", r#"{"days": 30, "code": "123456"}"#),
    ("audit_records", r#"{"query": {"kinds": ["unlock"]}}"#),
    (
        "export_audit",
        r#"{"query": {"kinds": []}, "format": "csv", "code": "123456"}"#,
    ),
];

#[tokio::test]
async fn a_locked_app_answers_every_gated_command_locked_whoever_calls_it() {
    // Every registered command is either answered while locked or listed here with arguments.
    let registered = super::app_config::manifest_commands();
    let covered: std::collections::BTreeSet<String> = GATED_CALLS
        .iter()
        .map(|(c, _)| (*c).to_owned())
        .chain(UNGATED.iter().map(|c| (*c).to_owned()))
        .collect();
    assert_eq!(covered, registered, "a command with no locked-app check");

    let app = App::start(Launch {
        dbus_session: true,
        ..Launch::default()
    })
    .await;
    enrol(&app).await;
    app.click("[data-testid=lock]").await;
    app.wait_for("[data-testid=unlock-code]").await;
    // The page's own IPC (the internals stay reachable without the global object), as a
    // compromised page would call it.
    let calls: Vec<Value> = GATED_CALLS
        .iter()
        .map(|(command, args)| {
            serde_json::json!([command, serde_json::from_str::<Value>(args).unwrap()])
        })
        .collect();
    let answers = app
        .driver()
        .execute_async(
            "const [calls, done] = arguments;
             const ipc = window.__TAURI_INTERNALS__;
             (async () => {
               const out = [];
               for (const [command, args] of calls) {
                 if (args.onChange === '__CHANNEL__') {
                   args.onChange = '__CHANNEL__:' + ipc.transformCallback(() => {});
                 }
                 try {
                   await ipc.invoke(command, args);
                   out.push([command, 'answered']);
                 } catch (e) {
                   out.push([command, typeof e === 'object' && e !== null ? e.code : String(e)]);
                 }
               }
               return out;
             })().then(done, (e) => done(String(e)));",
            vec![Value::Array(calls)],
        )
        .await
        .expect("run the calls")
        .json()
        .clone();
    let answers = answers.as_array().expect("one answer per call");
    assert_eq!(answers.len(), GATED_CALLS.len());
    for answer in answers {
        assert_eq!(answer[1], Value::from("locked"), "{answer}");
    }
    app.quit().await;
}

#[tokio::test]
async fn eight_wrong_codes_sent_at_once_from_the_page_leave_the_wait_they_should() {
    let app = App::start(Launch {
        dbus_session: true,
        ..Launch::default()
    })
    .await;
    let phone = enrol(&app).await;
    app.click("[data-testid=lock]").await;
    app.wait_for("[data-testid=unlock-code]").await;
    // As a compromised page would: one batch, all at once, through the page's own IPC.
    let wrong = phone.wrong_code();
    let answers = app
        .driver()
        .execute_async(
            "const [code, done] = arguments;
             const ipc = window.__TAURI_INTERNALS__;
             Promise.all(Array.from({ length: 8 }, () =>
               ipc.invoke('unlock', { code }).then(() => 'unlocked', (e) => e.code)))
               .then(async (codes) => done([codes, await ipc.invoke('session_status', {})]));",
            vec![Value::from(wrong)],
        )
        .await
        .expect("run the batch")
        .json()
        .clone();
    let codes = answers[0].as_array().unwrap();
    assert!(
        codes
            .iter()
            .all(|c| c == "wrong_code" || c == "too_many_attempts"),
        "{codes:?}"
    );
    // Each wrong code counted, one at a time: the five free tries are checked and refused,
    // the fifth starts the first wait (30 s), and the three after it are refused unchecked.
    let count = |what: &str| codes.iter().filter(|c| *c == what).count();
    assert_eq!(
        (count("wrong_code"), count("too_many_attempts")),
        (5, 3),
        "{answers}"
    );
    // The wait holds the lock; it counts down from 30 s while the batch is answered.
    let wait = answers[1]["waitSeconds"].as_u64().unwrap_or(0);
    assert!(
        (1..=30).contains(&wait),
        "no wait after eight wrong codes: {answers}"
    );
    app.quit().await;
}
