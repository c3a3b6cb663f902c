//! Issue 10 in the real window, on the Demo venue: an order twenty times the user's usual size
//! stops at the guard's prompt and goes only with a fresh code from the authenticator (a wrong
//! code is refused and asked again); the warnings panel lists what the guard saw, with the
//! figures, and each warning can be acknowledged.

use rampart_tests::{App, Launch, enrol};
use serde_json::Value;

#[tokio::test]
async fn twenty_times_the_usual_size_asks_for_a_code_and_the_panel_lists_why() {
    let app = App::start(Launch {
        dbus_session: true,
        ..Launch::default()
    })
    .await;
    let mut phone = enrol(&app).await;
    app.wait_text("[data-testid=ticket-mark]", |t| t != "—" && !t.is_empty())
        .await;

    // A usual size: twenty market orders of 0.01 BTC, buys and sells in turn (flat after).
    // They come fast, so the guard notes a burst; each is sent confirmed, as a trader would.
    let placed = app.invoke("const [demo] = await invoke('list_accounts', {});
         let n = 0;
         for (let i = 0; i < 20; i++) {
           const ticket = { symbol: 'BTCUSDT', side: i % 2 === 0 ? 'buy' : 'sell', orderType: 'market',
             qty: '0.01', price: null, triggerPrice: null, timeInForce: null, reduceOnly: false,
             triggerBy: null, marginMode: null, positionSide: 'net' };
           const out = await invoke('place_order', { accountId: demo.id, ticket, confirmed: true });
           if (out.kind === 'placed') n++;
         }
         return n;",
    )
    .await;
    assert_eq!(placed, Value::from(20), "{placed}");

    // Twenty times that from the ticket: the guard asks for a code; nothing is sent yet.
    app.choose("ticket-type", "market").await;
    app.type_into("[data-testid=ticket-qty]", "0.2").await;
    app.wait_text("[data-testid=ticket-submit]", |t| {
        t == "Buy / Long 0.200 BTC at market"
    })
    .await;
    app.click("[data-testid=ticket-submit]").await;
    app.click("[data-testid=confirm-send]").await;
    app.wait_for("[data-testid=guard-prompt][data-kind=needs_step_up]")
        .await;
    let size = app
        .text("[data-testid=guard-warning][data-kind=unusual_size]")
        .await;
    assert!(
        size.contains("0.2 BTCUSDT is 20× your usual 0.01"),
        "{size}"
    );
    assert_eq!(
        app.attr(
            "[data-testid=guard-warning][data-kind=unusual_size]",
            "data-severity"
        )
        .await
        .as_deref(),
        Some("high")
    );
    app.screenshot("guard-step-up").await;
    let open_positions = app
        .invoke(
            "const [demo] = await invoke('list_accounts', {});
         return (await invoke('positions', { accountId: demo.id })).length;",
        )
        .await;
    assert_eq!(
        open_positions,
        Value::from(0),
        "nothing went before the code"
    );

    // A wrong code is refused, and the prompt asks again saying so.
    app.type_into("[data-testid=guard-code]", &phone.wrong_code())
        .await;
    app.click("[data-testid=guard-confirm]").await;
    let why = app
        .wait_text("[data-testid=guard-error]", |t| !t.is_empty())
        .await;
    assert!(why.to_lowercase().contains("code"), "{why}");
    // The right one sends it.
    app.type_into("[data-testid=guard-code]", &phone.fresh_code().await)
        .await;
    app.click("[data-testid=guard-confirm]").await;
    let sent = app
        .wait_text(
            "[data-testid=toast]:is([data-kind=accepted], [data-kind=filled])",
            |t| t.contains("0.200 BTC"),
        )
        .await;
    assert!(
        sent.contains("after the click"),
        "timed from the prompt's click: {sent}"
    );
    app.click("[data-testid=tab-positions]").await;
    app.wait_text(
        "[data-testid=position-row][data-symbol=BTCUSDT] [data-testid=position-size]",
        |t| t == "0.200",
    )
    .await;

    // The panel lists the session's warnings with their figures; the count is in the status bar.
    let count: u64 = app
        .attr("[data-testid=status-warnings]", "data-count")
        .await
        .and_then(|c| c.parse().ok())
        .unwrap_or_default();
    assert!(count >= 2, "the burst and the size at least: {count}");
    app.click("[data-testid=status-warnings]").await;
    app.wait_for("[data-testid=warnings-panel]").await;
    let kinds = app
        .eval(
            "return Array.from(document.querySelectorAll('[data-testid=warnings-item]'))
               .map((w) => w.dataset.kind);",
        )
        .await;
    let kinds: Vec<&str> = kinds
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(kinds.contains(&"unusual_size"), "{kinds:?}");
    assert!(kinds.contains(&"burst"), "{kinds:?}");
    app.screenshot("warnings-panel").await;
    // Acknowledged, one by one: the count falls to zero.
    for _ in 0..count {
        app.click("[data-testid=warnings-ack]").await;
    }
    app.wait_text("[data-testid=status-warnings]", |t| {
        t.contains("No new warnings")
    })
    .await;
    app.quit().await;
}
