//! Issue 11, items 2 and 3, in the real window: a lost phone is replaced with a recovery code
//! at the lock screen (a new authenticator, the accounts intact, the old phone and codes done);
//! moving to a new authenticator from Security needs a code of the current one.

use rampart_tests::{
    App, Authenticator, Launch, enrol_keeping_codes, saved_recovery_codes, shown_secret,
};
use serde_json::Value;

async fn labels(app: &App) -> Value {
    app.invoke("return (await invoke('list_accounts', {})).map((a) => a.label);")
        .await
}

async fn lock(app: &App) {
    app.click("[data-testid=lock]").await;
    app.wait_for("[data-testid=unlock]").await;
}

#[tokio::test]
async fn a_lost_phone_is_replaced_with_a_recovery_code_and_the_accounts_stay() {
    let app = App::start(Launch {
        dbus_session: true,
        ..Launch::default()
    })
    .await;
    let (mut old_phone, codes) = enrol_keeping_codes(&app).await;
    assert_eq!(codes.len(), 10);
    assert_eq!(labels(&app).await, serde_json::json!(["Demo"]));

    // Moving from Security without a code of the current authenticator: refused.
    app.click("[data-testid=nav-settings]").await;
    app.type_into("[data-testid=reset-code]", &old_phone.wrong_code())
        .await;
    app.click("[data-testid=reset-submit]").await;
    app.wait_text("[data-testid=reset-error]", |t| !t.is_empty())
        .await;
    assert!(
        app.eval("return document.querySelector('[data-testid=enrol]') === null;")
            .await
            == Value::Bool(true),
        "no new authenticator was offered"
    );

    // The phone is lost: at the lock screen, a recovery code sets up a new one.
    lock(&app).await;
    app.click("[data-testid=lost-phone]").await;
    app.type_into("[data-testid=lost-recovery]", "AAAA-AAAA-AAAA-AAAA")
        .await;
    app.click("[data-testid=lost-submit]").await;
    app.wait_text("[data-testid=lost-error]", |t| !t.is_empty())
        .await;
    app.type_into("[data-testid=lost-recovery]", &codes[0])
        .await;
    app.click("[data-testid=lost-submit]").await;
    app.wait_for("[data-testid=enrol][data-mode=swap]").await;
    let mut new_phone = Authenticator::new(&shown_secret(&app).await);
    app.screenshot("new-authenticator").await;
    app.type_into("[data-testid=enrol-code]", &new_phone.fresh_code().await)
        .await;
    app.click("[data-testid=enrol-activate]").await;
    let fresh = saved_recovery_codes(&app).await;
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|c| !codes.contains(c)));
    app.wait_for("[data-testid=workspace]").await;
    assert_eq!(labels(&app).await, serde_json::json!(["Demo"]));

    // Locked again: the old phone and the old codes are refused, the new phone opens.
    lock(&app).await;
    for (what, code) in [
        ("the old phone", old_phone.fresh_code().await),
        ("an old recovery code", codes[1].clone()),
    ] {
        app.type_into("[data-testid=unlock-code]", &code).await;
        app.click("[data-testid=unlock-submit]").await;
        // The attempt is over when the field is emptied (after the answer came).
        let answered = app
            .invoke(
                "for (let i = 0; i < 100; i++) {
                   if (document.querySelector('[data-testid=unlock-code]').value === '') return true;
                   await new Promise((r) => setTimeout(r, 100));
                 }
                 return false;",
            )
            .await;
        assert_eq!(answered, Value::Bool(true), "{what}: no answer");
        let why = app.text("[data-testid=unlock-error]").await;
        assert!(why.contains("not valid"), "{what}: {why}");
    }
    rampart_tests::unlock(&app, &mut new_phone).await;
    assert_eq!(labels(&app).await, serde_json::json!(["Demo"]));
    app.quit().await;
}
