//! Issue 9: the trading workspace in the real window, on the Demo venue: unlock lands on it with
//! Demo selected; an off-tick price is refused with the nearest valid one offered; a limit buy
//! below the market rests (in the open orders and on the chart) and is cancelled from its row; a
//! market buy opens a position of the size asked, sent once however often the button is hit;
//! closing it leaves no position and its fills listed.

use std::str::FromStr;
use std::time::{Duration, Instant};

use rampart_tests::{App, Authenticator, Launch, UI_TIMEOUT, add_demo_account, enrol, unlock};
use rust_decimal::Decimal;
use serde_json::Value;

const QTY: &str = "0.01";
/// A symbol the Demo venue lists (debug builds, RAMPART_DEMO_EXTRA_SYMBOLS): venue text that
/// would run a script if it were taken as HTML.
const HOSTILE: &str = "<img src=x onerror=alert(1)>";

/// Enrols, locks and unlocks again: the workspace is the screen unlock lands on.
async fn enrol_then_unlock(app: &App) -> Authenticator {
    let mut phone = enrol(app).await;
    app.click("[data-testid=lock]").await;
    unlock(app, &mut phone).await;
    phone
}

async fn count(app: &App, css: &str) -> u64 {
    app.eval(&format!(
        "return document.querySelectorAll({css:?}).length;"
    ))
    .await
    .as_u64()
    .unwrap_or_default()
}

/// Waits until the chart's main canvas shows candles: pixels brighter than its dark background
/// (a chart whose paint throws, as it did under a POSIX "C" locale, keeps only its borders).
async fn assert_candles_painted(app: &App) {
    let deadline = Instant::now() + UI_TIMEOUT;
    loop {
        let lit = app
            .eval(
                "const c = document.querySelector('[data-testid=chart] canvas');
                 const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                 let n = 0;
                 for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 120) n++;
                 return n;",
            )
            .await
            .as_u64()
            .unwrap_or_default();
        if lit > 50 {
            return;
        }
        assert!(Instant::now() < deadline, "the chart painted no candles");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn demo_trades_from_the_workspace() {
    let app = App::start(Launch {
        dbus_session: true,
        demo_extra_symbols: HOSTILE,
        ..Launch::default()
    })
    .await;
    let _phone = enrol_then_unlock(&app).await;

    // Demo is selected and named as such on the top bar and on the ticket.
    let demo = app
        .invoke("const [demo] = await invoke('list_accounts', {}); return demo;")
        .await;
    assert_eq!(demo["venue"], "demo", "{demo}");
    let demo_id = demo["id"].as_str().unwrap().to_owned();
    app.wait_text("[data-testid=account-env]", |t| t == "DEMO")
        .await;
    app.wait_text("[data-testid=ticket-env]", |t| t == "DEMO")
        .await;
    let selected = app
        .eval("return document.querySelector('[data-testid=account-select]').value;")
        .await;
    assert_eq!(selected, Value::String(demo_id.clone()));
    app.wait_text("[data-testid=instrument-picker]", |t| t.contains("BTCUSDT"))
        .await;
    // A live mark, a book with its spread and a chart with candles.
    app.wait_text("[data-testid=ticket-mark]", |t| t != "—" && !t.is_empty())
        .await;
    app.wait_text("[data-testid=book-spread]", |t| t.starts_with("Spread"))
        .await;
    app.wait_for("[data-testid=chart] canvas").await;
    app.wait_for("[data-testid=chart]:not([data-bars='0'])")
        .await;
    assert_candles_painted(&app).await;

    // A limit 2 % below the mark, on the tick.
    let facts = app.invoke(&format!(
            "const rules = (await invoke('list_instruments', {{ accountId: '{demo_id}' }}))
               .find((r) => r.symbol === 'BTCUSDT');
             const mark = await invoke('mark_price', {{ accountId: '{demo_id}', symbol: 'BTCUSDT' }});
             return {{ tick: rules.tickSize, mark: mark.mark }};"
        ),
    )
    .await;
    let tick = Decimal::from_str(facts["tick"].as_str().unwrap()).unwrap();
    let mark = Decimal::from_str(facts["mark"].as_str().unwrap()).unwrap();
    let limit = ((mark * Decimal::from_str("0.98").unwrap()) / tick).floor() * tick;
    let limit = limit.normalize().to_string();
    let off_tick = (Decimal::from_str(&limit).unwrap() + tick / Decimal::from(2))
        .normalize()
        .to_string();

    // An off-tick price is refused as it is typed, with the nearest valid prices to click.
    app.choose("ticket-type", "limit").await;
    app.type_into("[data-testid=ticket-qty]", QTY).await;
    app.type_into("[data-testid=ticket-price]", &off_tick).await;
    let error = app
        .wait_text("[data-testid=ticket-error][data-field=price]", |t| {
            t.contains("tick")
        })
        .await;
    assert!(error.contains("nearest"), "{error}");
    assert_eq!(
        app.attr("[data-testid=nearest-below]", "data-value").await,
        Some(limit.clone())
    );
    assert!(
        app.attr("[data-testid=ticket-submit]", "disabled")
            .await
            .is_some(),
        "an invalid ticket cannot be sent"
    );
    app.screenshot("ticket-validation").await;
    app.click("[data-testid=nearest-below]").await;
    let price_now = app
        .eval("return document.querySelector('[data-testid=ticket-price]').value;")
        .await;
    assert_eq!(price_now, Value::String(limit.clone()));
    assert_eq!(count(&app, "[data-testid=ticket-error]").await, 0);

    // The confirmation names the account's kind, the value, the fee and the distance from mark.
    app.wait_text("[data-testid=ticket-submit]", |t| {
        t.starts_with("Buy / Long 0.010 BTC @")
    })
    .await;
    app.click("[data-testid=ticket-submit]").await;
    app.wait_for("[data-testid=confirm-dialog]").await;
    assert_eq!(app.text("[data-testid=confirm-env]").await, "DEMO");
    assert_eq!(app.text("[data-testid=confirm-account]").await, "Demo");
    assert!(
        app.text("[data-testid=confirm-notional]")
            .await
            .ends_with("USDT")
    );
    assert!(app.text("[data-testid=confirm-fee]").await.contains("USDT"));
    // The account's own rate, read from the venue (the Demo venue charges none).
    assert_eq!(
        app.text("[data-testid=confirm-fee-rate]").await,
        "(taker 0.000%)"
    );
    let distance = app.text("[data-testid=confirm-distance]").await;
    assert!(
        distance.starts_with("-2.") || distance.starts_with("-1.9"),
        "{distance}"
    );
    assert!(
        app.text("[data-testid=confirm-position]")
            .await
            .starts_with("0.010 BTC")
    );
    app.screenshot("confirmation").await;
    app.click("[data-testid=confirm-send]").await;

    // It rests: in the open orders and drawn on the chart; then cancelled from its row.
    app.click("[data-testid=tab-orders]").await;
    app.wait_text("[data-testid=order-count]", |t| t == "1")
        .await;
    let row_price = app
        .text("[data-testid=order-row] [data-testid=order-price]")
        .await;
    assert_eq!(
        Decimal::from_str(&row_price.replace(',', "")).unwrap(),
        Decimal::from_str(&limit).unwrap()
    );
    app.wait_text("[data-testid=toast][data-kind=accepted]", |t| {
        t.contains("BTCUSDT")
    })
    .await;
    let lines = app.attr("[data-testid=chart]", "data-lines").await;
    assert_eq!(
        lines.as_deref(),
        Some("1"),
        "the resting order is drawn on the chart"
    );
    app.click("[data-testid=order-row] [data-testid=order-cancel]")
        .await;
    app.wait_text("[data-testid=order-count]", |t| t == "0")
        .await;

    // A market buy below the chosen threshold goes without a confirmation, and a double click
    // sends one order: the position is the size asked, not twice it.
    app.choose("ticket-type", "market").await;
    app.type_into("[data-testid=ticket-qty]", QTY).await;
    app.click(".confirm-settings summary").await;
    app.click("[data-testid=skip-confirm-toggle]").await;
    app.type_into("[data-testid=skip-confirm-under]", "1000000")
        .await;
    app.click("[data-testid=ticket-qty]").await;
    app.wait_text("[data-testid=ticket-submit]", |t| {
        t == "Buy / Long 0.010 BTC at market"
    })
    .await;
    app.eval(
        "const b = document.querySelector('[data-testid=ticket-submit]'); \
         b.click(); b.click(); b.dispatchEvent(new MouseEvent('dblclick', { bubbles: true })); \
         return true;",
    )
    .await;
    let market_toasts = app
        .eval(
            "return Array.from(document.querySelectorAll('[data-testid=toast]'))
               .filter((t) => t.textContent.includes('at market')).length;",
        )
        .await;
    assert_eq!(market_toasts, 1, "one order per submit");
    app.click("[data-testid=tab-positions]").await;
    app.wait_text("[data-testid=position-count]", |t| t == "1")
        .await;
    let size = app
        .text("[data-testid=position-row][data-symbol=BTCUSDT] [data-testid=position-size]")
        .await;
    assert_eq!(size, "0.010");
    app.wait_text(
        "[data-testid=position-row] [data-testid=position-mark]",
        |t| t != "—" && !t.is_empty(),
    )
    .await;
    app.wait_text("[data-testid=toast][data-kind=filled]", |t| {
        t.contains("Filled 0.010")
    })
    .await;
    app.wait_text("[data-testid=ticket-position]", |t| t == "0.010 BTC")
        .await;
    app.screenshot("workspace-position").await;

    // Close it: the confirmation says exactly what is sent; then no position and its fills listed.
    app.click("[data-testid=position-row] [data-testid=position-close]")
        .await;
    let line = app.text("[data-testid=bulk-line]").await;
    assert!(
        line.contains("Sell 0.01 BTCUSDT at market, reduce-only") && line.contains("Demo (DEMO)"),
        "{line}"
    );
    app.click("[data-testid=bulk-confirm]").await;
    app.wait_text("[data-testid=position-count]", |t| t == "0")
        .await;
    app.click("[data-testid=tab-fills]").await;
    app.wait_for("[data-testid=fill-row][data-symbol=BTCUSDT]")
        .await;
    let sides = app
        .eval(
            "return Array.from(document.querySelectorAll('[data-testid=fill-row]'))
               .map((r) => r.children[2].textContent);",
        )
        .await;
    let sides: Vec<String> = serde_json::from_value(sides).unwrap();
    assert!(
        sides.contains(&"Sell".to_owned()) && sides.contains(&"Buy".to_owned()),
        "{sides:?}"
    );

    // The bundled symbols font loads under the app's CSP and covers the Ⓢ of "USDⓈ-M" (the
    // test machine's own fonts lack it).
    let faces = app
        .driver()
        .execute_async(
            "const done = arguments[arguments.length - 1];
             document.fonts.load('15px \"Noto Sans Symbols\"', '\\u24C8')
               .then((faces) => done(faces.length), (e) => done(String(e)));",
            Vec::new(),
        )
        .await
        .expect("load a font in the page")
        .json()
        .clone();
    assert_eq!(faces, 1, "the symbols font for \u{24C8}: {faces}");

    // A venue's text is text: the hostile symbol is listed and shown literally, no element is
    // made from it and no script runs (an alert would also stop every later driver command).
    app.eval(
        "window.__alerted = false; window.alert = () => { window.__alerted = true; }; return true;",
    )
    .await;
    app.click("[data-testid=instrument-picker]").await;
    app.type_into("[data-testid=instrument-search]", "<img")
        .await;
    let listed = app
        .wait_text("[data-testid=instrument-option] span", |t| t == HOSTILE)
        .await;
    assert_eq!(listed, HOSTILE);
    app.click("[data-testid=instrument-option]").await;
    app.wait_text("[data-testid=instrument-picker]", |t| t.contains(HOSTILE))
        .await;
    let injected = app
        .eval(
            "return { imgs: document.querySelectorAll('img[src=\"x\"]').length,
                      alerted: window.__alerted };",
        )
        .await;
    assert_eq!(injected["imgs"], 0, "{injected}");
    assert_eq!(injected["alerted"], false, "{injected}");
    app.click("[data-testid=instrument-picker]").await;
    app.type_into("[data-testid=instrument-search]", "BTC")
        .await;
    app.click("[data-testid=instrument-option][data-symbol=BTCUSDT]")
        .await;
    app.wait_text("[data-testid=instrument-picker]", |t| t.contains("BTCUSDT"))
        .await;

    // Keyboard first: S and B pick the side and put the cursor in the quantity; ? lists the
    // shortcuts and Esc closes the list (pressed outside any text field, as a trader would).
    for (key, side) in [("s", "sell"), ("b", "buy")] {
        press_outside_fields(&app, key).await;
        let after = app
            .eval(
                "return [document.querySelector('[data-testid=ticket-side-buy]').classList.contains('active'),
                         document.querySelector('[data-testid=ticket-side-sell]').classList.contains('active'),
                         document.activeElement?.dataset?.testid ?? null];",
            )
            .await;
        assert_eq!(
            after,
            serde_json::json!([side == "buy", side == "sell", "ticket-qty"]),
            "after {key}"
        );
    }
    press_outside_fields(&app, "?").await;
    app.wait_text("[data-testid=shortcuts-help]", |t| t.contains("Buy"))
        .await;
    press_outside_fields(&app, "\u{E00C}").await;
    assert_eq!(count(&app, "[data-testid=shortcuts-help]").await, 0);

    // All accounts: every account's rows, and no ticket without one destination.
    app.choose("account-select", "all").await;
    app.wait_text("[data-testid=account-env]", |t| t == "ALL")
        .await;
    app.wait_for("[data-testid=ticket-no-account]").await;
    app.wait_for("[data-testid=tab-exposure]").await;

    // ? lists every shortcut; Esc closes the list.
    app.click("[data-testid=shortcuts]").await;
    app.wait_text("[data-testid=shortcuts-help]", |t| {
        t.contains("Enter") && t.contains("Esc")
    })
    .await;
    app.click("[data-testid=shortcuts-close]").await;
    app.quit().await;
}

/// Presses `key` with the focus on no field (the page's body), as real key events.
async fn press_outside_fields(app: &App, key: &str) {
    app.eval("document.activeElement?.blur(); return true;")
        .await;
    app.driver()
        .action_chain()
        .send_keys(key)
        .perform()
        .await
        .expect("press a key");
}

/// A tick-rounded price `factor` times the mark of BTCUSDT on `account_id` (down for a buy, up
/// for a sell, so that a limit rests).
async fn price_from_mark(app: &App, account_id: &str, factor: &str) -> String {
    let facts = app.invoke(
        &format!(
            "const rules = (await invoke('list_instruments', {{ accountId: '{account_id}' }}))
               .find((r) => r.symbol === 'BTCUSDT');
             const mark = await invoke('mark_price', {{ accountId: '{account_id}', symbol: 'BTCUSDT' }});
             return {{ tick: rules.tickSize, mark: mark.mark }};"
        ),
    )
    .await;
    let tick = Decimal::from_str(facts["tick"].as_str().unwrap()).unwrap();
    let mark = Decimal::from_str(facts["mark"].as_str().unwrap()).unwrap();
    let factor = Decimal::from_str(factor).unwrap();
    let ticks = mark * factor / tick;
    let ticks = if factor < Decimal::ONE {
        ticks.floor()
    } else {
        ticks.ceil()
    };
    (ticks * tick).normalize().to_string()
}

/// Leverage set from the ticket; a position closed at a limit; a second Demo account listed in
/// "All accounts", where "Cancel all orders" names both accounts and leaves none open.
#[tokio::test]
async fn leverage_close_at_limit_and_all_accounts() {
    let app = App::start(Launch {
        dbus_session: true,
        ..Launch::default()
    })
    .await;
    let mut phone = enrol_then_unlock(&app).await;
    let demo = app
        .invoke("const [demo] = await invoke('list_accounts', {}); return demo;")
        .await;
    let demo_id = demo["id"].as_str().unwrap().to_owned();
    app.wait_text("[data-testid=ticket-mark]", |t| t != "—" && !t.is_empty())
        .await;

    // Leverage: the venue's default until one is set; an invalid value is refused as typed and
    // cannot be sent; 5 is set on the venue and shown as in force.
    app.wait_text("[data-testid=leverage-now]", |t| t == "venue default")
        .await;
    app.type_into("[data-testid=leverage-input]", "0.5").await;
    app.wait_text("[data-testid=ticket-error][data-field=leverage]", |t| {
        t.contains("at least 1")
    })
    .await;
    assert!(
        app.attr("[data-testid=leverage-apply]", "disabled")
            .await
            .is_some(),
        "an invalid leverage cannot be sent"
    );
    app.type_into("[data-testid=leverage-input]", "5").await;
    app.click("[data-testid=leverage-apply]").await;
    app.wait_text("[data-testid=leverage-now]", |t| t == "5x in force")
        .await;

    // A market buy (confirmed) opens a position at that leverage.
    app.choose("ticket-type", "market").await;
    app.type_into("[data-testid=ticket-qty]", QTY).await;
    app.wait_text("[data-testid=ticket-submit]", |t| {
        t == "Buy / Long 0.010 BTC at market"
    })
    .await;
    app.click("[data-testid=ticket-submit]").await;
    app.wait_for("[data-testid=confirm-dialog]").await;
    app.click("[data-testid=confirm-send]").await;
    app.click("[data-testid=tab-positions]").await;
    app.wait_text("[data-testid=position-count]", |t| t == "1")
        .await;
    app.wait_text("[data-testid=ticket-position]", |t| t == "0.010 BTC")
        .await;
    assert_eq!(app.text("[data-testid=leverage-now]").await, "5x in force");
    app.wait_text("[data-testid=position-row][data-symbol=BTCUSDT]", |t| {
        t.contains("Long 5×")
    })
    .await;
    let positions = app
        .invoke(&format!(
            "return await invoke('positions', {{ accountId: '{demo_id}' }});"
        ))
        .await;
    for p in positions.as_array().unwrap() {
        if let Some(leverage) = p["leverage"].as_str() {
            assert_eq!(
                Decimal::from_str(leverage).unwrap(),
                Decimal::from(5),
                "{p}"
            );
        }
    }

    // Close at a limit: an off-tick price is refused; a valid one is confirmed line by line and
    // rests as a reduce-only sell.
    let close_at = price_from_mark(&app, &demo_id, "1.02").await;
    app.click("[data-testid=position-row] [data-testid=position-close-limit]")
        .await;
    app.type_into("[data-testid=close-limit-price]", "1.23456789")
        .await;
    app.wait_text("[data-testid=close-limit-error]", |t| !t.is_empty())
        .await;
    assert!(
        app.attr("[data-testid=close-limit-review]", "disabled")
            .await
            .is_some(),
        "an invalid close price cannot be sent"
    );
    app.type_into("[data-testid=close-limit-price]", &close_at)
        .await;
    app.click("[data-testid=close-limit-review]").await;
    let line = app.text("[data-testid=bulk-line]").await;
    assert!(
        line.contains("Sell 0.01 BTCUSDT at limit")
            && line.contains("reduce-only")
            && line.contains("Demo (DEMO)"),
        "{line}"
    );
    app.screenshot("close-at-limit").await;
    app.click("[data-testid=bulk-confirm]").await;
    app.click("[data-testid=tab-orders]").await;
    app.wait_text("[data-testid=order-count]", |t| t == "1")
        .await;
    let row = app.text("[data-testid=order-row]").await;
    assert!(row.contains("Sell") && row.contains("Reduce-only"), "{row}");

    // A second Demo account; every account connects at the next unlock.
    add_demo_account(
        &app,
        &mut phone,
        "Demo two",
        "KeyTwoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA002",
        "SecretTwo0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR",
    )
    .await;
    app.wait_text("[data-testid=account-count]", |t| t == "2 accounts")
        .await;
    let second = app
        .attr(
            "[data-testid=account-row][data-label='Demo two']",
            "data-id",
        )
        .await
        .unwrap();
    app.click("[data-testid=lock]").await;
    unlock(&app, &mut phone).await;

    // A resting buy on the second account (through the page's IPC, as the ticket sends it).
    let rest_at = price_from_mark(&app, &second, "0.98").await;
    let placed = app
        .invoke(&format!(
            "return await invoke('place_order', {{ accountId: '{second}', ticket: {{
               symbol: 'BTCUSDT', side: 'buy', orderType: 'limit', qty: '{QTY}', price: '{rest_at}',
               triggerPrice: null, timeInForce: 'gtc', reduceOnly: false, triggerBy: null,
               marginMode: null, positionSide: 'net' }} }});"
        ))
        .await;
    assert_eq!(placed["kind"], "placed", "{placed}");

    // All accounts: both accounts' rows; cancel all names both and leaves no order open.
    app.choose("account-select", "all").await;
    app.wait_text("[data-testid=account-env]", |t| t == "ALL")
        .await;
    app.click("[data-testid=tab-balances]").await;
    app.wait_for(&format!(
        "[data-testid=balance-row][data-account='{second}']"
    ))
    .await;
    app.wait_for(&format!(
        "[data-testid=balance-row][data-account='{demo_id}']"
    ))
    .await;
    app.click("[data-testid=tab-orders]").await;
    app.wait_text("[data-testid=order-count]", |t| t == "2")
        .await;
    app.wait_for(&format!("[data-testid=order-row][data-account='{second}']"))
        .await;
    app.screenshot("all-accounts-orders").await;
    app.click("[data-testid=cancel-all]").await;
    app.wait_for("[data-testid=bulk-dialog]").await;
    let lines = app
        .eval(
            "return Array.from(document.querySelectorAll('[data-testid=bulk-line]'))
               .map((l) => l.textContent);",
        )
        .await;
    let lines: Vec<String> = serde_json::from_value(lines).unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("on Demo (DEMO)"))
            && lines.iter().any(|l| l.contains("on Demo two (DEMO)")),
        "{lines:?}"
    );
    app.click("[data-testid=bulk-confirm]").await;
    app.wait_text("[data-testid=order-count]", |t| t == "0")
        .await;
    for id in [&demo_id, &second] {
        let open = app
            .invoke(&format!(
                "return await invoke('open_orders', {{ accountId: '{id}' }});"
            ))
            .await;
        assert_eq!(open, Value::Array(Vec::new()), "{id}: {open}");
    }
    app.quit().await;
}
