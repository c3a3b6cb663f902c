//! Issue 11, item 5, in the real window: the data directory's files are sealed under the data
//! key. One changed or replaced while Rampart was closed keeps it locked, with a message naming
//! the file and what to do; removed or restored, the app opens, ignoring what was planted.

use rampart_tests::{App, Authenticator, Launch, enrol};
use serde_json::Value;

const APP_IDENTIFIER: &str = "app.rampart.desk";

/// Types a fresh code at the lock screen and waits for the answer: the workspace, or the
/// unlock error (returned).
async fn try_unlock(app: &App, phone: &mut Authenticator) -> Option<String> {
    app.wait_for("[data-testid=unlock]").await;
    app.type_into("[data-testid=unlock-code]", &phone.fresh_code().await)
        .await;
    app.click("[data-testid=unlock-submit]").await;
    let answer = app
        .invoke(
            "for (let i = 0; i < 200; i++) {
               if (document.querySelector('[data-testid=workspace]')) return null;
               const e = document.querySelector('[data-testid=unlock-error]');
               if (e && e.textContent.trim() !== '') return e.textContent.trim();
               await new Promise((r) => setTimeout(r, 50));
             }
             return 'no answer in 10 s';",
        )
        .await;
    answer.as_str().map(str::to_owned)
}

#[tokio::test]
async fn a_changed_settings_or_accounts_file_keeps_the_app_locked_with_a_clear_message() {
    let app = App::start(Launch {
        dbus_session: true,
        ..Launch::default()
    })
    .await;
    let mut phone = enrol(&app).await;
    let root = app.quit_keeping_root().await;
    let data = root.path().join("data").join(APP_IDENTIFIER);
    let accounts = data.join("accounts.json");
    let sealed = std::fs::read(&accounts).expect("the Demo account is saved");
    assert!(sealed.starts_with(b"RMPS1"), "accounts.json is sealed");
    assert!(
        !sealed.windows(4).any(|w| w == b"Demo"),
        "no account label in the file"
    );

    // While Rampart is closed: a plain settings file planted (the idle lock at its longest),
    // and one byte of the accounts file changed.
    std::fs::write(data.join("settings.json"), r#"{"idleLockMinutes": 60}"#).unwrap();
    let mut flipped = sealed.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x20;
    std::fs::write(&accounts, &flipped).unwrap();

    let app = App::start_in(
        Launch {
            dbus_session: true,
            ..Launch::default()
        },
        root,
    )
    .await;
    let refused = try_unlock(&app, &mut phone).await.expect("refused");
    assert!(
        refused.starts_with(
            "settings.json in the data directory does not match its seal: it is not sealed. \
             Rampart will not use it. Restore it from a backup, or remove it"
        ),
        "{refused}"
    );
    assert!(refused.contains(&data.join("settings.json").display().to_string()));
    app.screenshot("file-tampered").await;
    // Still locked: the page can read nothing.
    let listed = app
        .invoke("try { await invoke('list_accounts', {}); return 'listed'; } catch (e) { return e.code; }")
        .await;
    assert_eq!(listed, Value::from("locked"));

    // The planted file removed, as the message says: next, the changed accounts file.
    std::fs::remove_file(data.join("settings.json")).unwrap();
    let refused = try_unlock(&app, &mut phone).await.expect("refused");
    assert!(
        refused.starts_with("accounts.json in the data directory does not match its seal"),
        "{refused}"
    );

    // The sealed file restored: Rampart opens, with its own settings and the Demo account.
    std::fs::write(&accounts, &sealed).unwrap();
    assert_eq!(try_unlock(&app, &mut phone).await, None);
    let status = app
        .invoke("return await invoke('session_status', {});")
        .await;
    assert_eq!(status["phase"], "unlocked");
    assert_eq!(status["idleLockMinutes"], 10, "the planted 60 is not used");
    let labels = app
        .invoke("return (await invoke('list_accounts', {})).map((a) => a.label);")
        .await;
    assert_eq!(labels, serde_json::json!(["Demo"]));
    app.quit().await;
}
