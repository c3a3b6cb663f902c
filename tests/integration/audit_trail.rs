//! Issue 12 in the real window: the audit viewer lists what this session did (the order's
//! intent, its signed request and the venue's answer among it), filters by kind, opens a
//! record, exports after a code; a journal changed while Rampart was closed is shown broken,
//! with a red banner in the workspace, and set aside.

use rampart_tests::{App, Launch, enrol, unlock};
use serde_json::Value;

const APP_IDENTIFIER: &str = "app.rampart.desk";

async fn rows(app: &App) -> Vec<(u64, String)> {
    let rows = app
        .eval(
            "return Array.from(document.querySelectorAll('[data-testid=audit-row]'))
               .map((r) => [Number(r.dataset.seq), r.dataset.kind]);",
        )
        .await;
    serde_json::from_value(rows).unwrap()
}

#[tokio::test]
async fn the_viewer_shows_filters_and_exports_the_sessions_records_and_a_changed_journal_is_shown()
{
    let app = App::start(Launch {
        dbus_session: true,
        ..Launch::default()
    })
    .await;
    let mut phone = enrol(&app).await;
    app.wait_for("[data-testid=workspace]").await;
    // One market order on the Demo venue, from the page.
    let placed = app
        .invoke(
            "const [demo] = await invoke('list_accounts', {});
             for (let i = 0; i < 40; i++) {
               const s = (await invoke('trading_status', {})).find((s) => s.account.id === demo.id);
               if (s && s.status.connection.state === 'ready') break;
               await new Promise((r) => setTimeout(r, 250));
             }
             const out = await invoke('place_order', { accountId: demo.id, confirmed: true,
               ticket: { symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: '0.013',
                 price: null, triggerPrice: null, timeInForce: null, reduceOnly: false,
                 triggerBy: null, marginMode: null, positionSide: 'net' } });
             return [out.kind, out.order?.clientOrderId ?? null];",
        )
        .await;
    assert_eq!(placed[0], "placed", "{placed}");
    let client_id = placed[1].as_str().unwrap().to_owned();

    app.click("[data-testid=nav-audit]").await;
    app.wait_text("[data-testid=audit-state]", |t| t == "Intact")
        .await;
    let summary = app.text("[data-testid=audit-summary]").await;
    assert!(
        summary.ends_with("chained and anchored, none changed."),
        "{summary}"
    );
    app.wait_for("[data-testid=audit-row]").await;
    let all = rows(&app).await;
    let kinds: Vec<&str> = all.iter().map(|(_, k)| k.as_str()).collect();
    for kind in ["mfa", "order_intent", "request", "answer"] {
        assert!(kinds.contains(&kind), "{kind} not listed: {kinds:?}");
    }
    assert!(
        all.windows(2).all(|w| w[0].0 > w[1].0),
        "newest first: {all:?}"
    );

    // Only the order's kinds.
    for kind in ["order_intent", "request", "answer"] {
        app.click(&format!("[data-testid=audit-kind-{kind}]")).await;
    }
    let mut filtered = Vec::new();
    for _ in 0..50 {
        filtered = rows(&app).await;
        if !filtered.is_empty()
            && filtered
                .iter()
                .all(|(_, k)| ["order_intent", "request", "answer"].contains(&k.as_str()))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        filtered
            .iter()
            .all(|(_, k)| ["order_intent", "request", "answer"].contains(&k.as_str())),
        "{filtered:?}"
    );
    // The order's request, opened: its parameters, a hash of the signature, no signature.
    let request = app
        .invoke(
            "const rows = Array.from(document.querySelectorAll('[data-testid=audit-row][data-kind=request]'));
             const row = rows.find((r) => r.textContent.includes('POST /fapi/v1/order'));
             row.click();
             for (let i = 0; i < 50; i++) {
               const d = document.querySelector('[data-testid=audit-detail]');
               if (d) return d.textContent;
               await new Promise((r) => setTimeout(r, 50));
             }
             return null;",
        )
        .await;
    let detail: Value = serde_json::from_str(request.as_str().expect("the detail shown")).unwrap();
    assert_eq!(detail["params"]["newClientOrderId"], client_id.as_str());
    assert_eq!(detail["params"]["quantity"], "0.013");
    assert!(detail["params"].get("signature").is_none());
    assert_eq!(detail["signatureSha256"].as_str().unwrap().len(), 64);
    app.screenshot("audit-viewer").await;

    // Export what is shown, as CSV, with a code.
    app.choose("audit-export-format", "csv").await;
    app.type_into("[data-testid=audit-export-code]", &phone.fresh_code().await)
        .await;
    app.click("[data-testid=audit-export]").await;
    let result = app
        .wait_text("[data-testid=audit-export-result]", |t| {
            t.starts_with("Exported")
        })
        .await;
    let path = result.split(" to ").nth(1).unwrap().trim().to_owned();
    assert!(
        path.starts_with(&app.root().join("home").display().to_string()),
        "{path}"
    );
    let csv = std::fs::read_to_string(&path).unwrap();
    assert!(csv.starts_with("seq,time_utc_ms,kind,account,summary,detail\r\n"));
    assert!(csv.contains(&client_id));
    assert!(!csv.contains("\"mfa\""), "only the filtered kinds");

    // Closed, the journal is changed (one byte of its last record); at the next unlock the
    // workspace says so in red, and the Audit page shows where and why.
    // The account shows its key's age (made today: no reminder).
    app.click("[data-testid=nav-accounts]").await;
    app.wait_text("[data-testid=key-age]", |t| t.starts_with("0 days"))
        .await;
    assert_eq!(
        app.eval("return document.querySelector('[data-testid=key-rotate]') === null;")
            .await,
        Value::Bool(true)
    );

    // The data key rotated from Security, with a code: everything still opens, and the
    // journal, read again, is intact with the rotation in it.
    app.click("[data-testid=nav-settings]").await;
    app.type_into("[data-testid=rotate-code]", &phone.fresh_code().await)
        .await;
    app.click("[data-testid=rotate-submit]").await;
    app.wait_text("[data-testid=rotate-message]", |t| {
        t.starts_with("Every file is now sealed")
    })
    .await;
    app.click("[data-testid=nav-audit]").await;
    app.wait_text("[data-testid=audit-state]", |t| t == "Intact")
        .await;
    let rotated = app
        .invoke(
            "const page = await invoke('audit_records', { query: { kinds: ['audit'] } });
             return page.records.map((r) => r.summary);",
        )
        .await;
    assert!(
        rotated[0].as_str().unwrap().starts_with("Data key rotated"),
        "{rotated}"
    );

    let account_id = app
        .invoke("return (await invoke('list_accounts', {}))[0].id;")
        .await;
    let account_id = account_id.as_str().unwrap().to_owned();
    // Asked to stop (a logout, a shutdown): Rampart locks, then exits.
    let (pid, _) = app.app_processes()[0].clone();
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    for _ in 0..100 {
        if !std::path::Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|s| s.contains(") Z "))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let root = app.quit_keeping_root().await;
    let data = root.path().join("data").join(APP_IDENTIFIER);

    // After the session, nothing in the data directory is readable: no order parameter (the
    // client id, the symbol, the size), no account, position or balance figure.
    let mut files = Vec::new();
    let mut dirs = vec![data.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in ["audit.journal", "accounts.json", "orders.journal"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        for needle in [
            client_id.as_str(),
            account_id.as_str(),
            "BTCUSDT",
            "0.013",
            "Demo",
            "USDT",
            "positionAmt",
            "balance",
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} readable in {}",
                file.display()
            );
        }
    }
    // The stop locked first: the next unlock finds the lock recorded.
    let app = App::start_in(
        Launch {
            dbus_session: true,
            ..Launch::default()
        },
        root,
    )
    .await;
    unlock(&app, &mut phone).await;
    let locks = app
        .invoke(
            "const page = await invoke('audit_records', { query: { kinds: ['lock', 'unlock'] } });
             return page.records.map((r) => r.summary);",
        )
        .await;
    assert_eq!(
        locks,
        serde_json::json!(["Unlocked", "Locked: Rampart was closed"]),
        "{locks}"
    );
    let root = app.quit_keeping_root().await;
    let journal = data.join("audit.journal");
    let mut bytes = std::fs::read(&journal).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(&journal, &bytes).unwrap();
    let app = App::start_in(
        Launch {
            dbus_session: true,
            ..Launch::default()
        },
        root,
    )
    .await;
    unlock(&app, &mut phone).await;
    let banner = app
        .wait_text("[data-testid=audit-banner]", |t| !t.is_empty())
        .await;
    assert!(
        banner.contains("Audit journal failed verification: Record"),
        "{banner}"
    );
    app.screenshot("audit-banner").await;
    app.click("[data-testid=audit-banner-open]").await;
    app.wait_text("[data-testid=audit-state]", |t| t == "Broken")
        .await;
    let broken = app.text("[data-testid=audit-broken-banner]").await;
    assert!(broken.contains("does not open"), "{broken}");
    assert!(broken.contains("audit.journal.broken-"), "{broken}");
    app.screenshot("audit-broken").await;
    app.quit().await;
}
