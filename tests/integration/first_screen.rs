//! The first screen in the real app: start-up checks, with and without a keychain.

use rampart_tests::{App, Launch};

/// The namespace a debug build writes under (BuildKind::Dev).
const DEV_NAMESPACE: &str = "rampart-dev";
const APP_IDENTIFIER: &str = "app.rampart.desk";

#[tokio::test]
async fn shows_a_working_keychain_and_round_trips_ipc() {
    let app = App::start(Launch {
        dbus_session: true,
        ..Launch::default()
    })
    .await;

    // With a working keychain the first screen is the authenticator set-up, with the keychain's
    // state underneath; the full checks are one click away.
    app.wait_for("[data-testid=enrol-secret]").await;
    let strip = app.text("[data-testid=keychain-strip]").await;
    assert!(
        strip.contains("Secret Service (D-Bus)") && strip.contains("Available"),
        "{strip}"
    );
    app.click("[data-testid=nav-status]").await;

    let overall = app
        .wait_text("[data-testid=overall]", |t| !t.is_empty())
        .await;
    let status = app.text("[data-testid=keychain-status]").await;
    if status != "Available" {
        let message = app.text("[data-testid=keychain-message]").await;
        app.screenshot("first-screen-unexpected").await;
        panic!("keychain not available in the app's session: {status}: {message}");
    }
    assert!(overall.starts_with("Ready"), "{overall}");
    assert_eq!(
        app.text("[data-testid=keychain-backend]").await,
        "Secret Service (D-Bus)"
    );
    assert_eq!(
        app.text("[data-testid=keychain-namespace]").await,
        DEV_NAMESPACE
    );
    assert_eq!(
        app.text("[data-testid=keychain-message]").await,
        "Stored, read back and deleted a test entry."
    );
    assert_eq!(app.text("[data-testid=datadir-status]").await, "Writable");
    let data_dir = app.root().join("data").join(APP_IDENTIFIER);
    assert_eq!(
        app.text("[data-testid=datadir-path]").await,
        data_dir.display().to_string()
    );
    assert!(
        data_dir.is_dir(),
        "the app did not create {}",
        data_dir.display()
    );
    assert_eq!(
        app.text("[data-testid=app-version]").await,
        format!("v{}", env!("CARGO_PKG_VERSION"))
    );
    assert!(
        app.text("[data-testid=app-build]")
            .await
            .contains("development build")
    );

    // An explicit IPC round trip: each press runs the Rust checks again and renders the answer.
    assert_eq!(
        app.attr("[data-testid=check-count]", "data-count")
            .await
            .as_deref(),
        Some("1")
    );
    app.click("[data-testid=recheck]").await;
    app.wait_text("[data-testid=check-count]", |t| t.contains("(check 2)"))
        .await;
    assert_eq!(app.text("[data-testid=keychain-status]").await, "Available");
    assert!(
        app.driver()
            .find(thirtyfour::By::Css("[data-testid=ipc-error]"))
            .await
            .is_err()
    );

    // The probe cleaned up after itself in the real Secret Service.
    let probe_service = format!("{DEV_NAMESPACE}.probe");
    let left = app.secret_tool(&["search", "--all", "service", &probe_service]);
    assert!(
        !left.contains("probe-"),
        "probe entries left in the keychain:\n{left}"
    );

    let shot = app.screenshot("system-status").await;
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "screenshot looks empty"
    );
    app.quit().await;
}

#[tokio::test]
async fn explains_a_missing_dbus_session_without_crashing() {
    let app = App::start(Launch {
        dbus_session: false,
        ..Launch::default()
    })
    .await;

    let status = app
        .wait_text("[data-testid=keychain-status]", |t| !t.is_empty())
        .await;
    assert_eq!(status, "Unavailable");
    assert_eq!(
        app.text("[data-testid=keychain-code]").await,
        "keychain_unavailable"
    );
    let message = app.text("[data-testid=keychain-message]").await;
    assert!(
        message.starts_with("No D-Bus session was found"),
        "{message}"
    );
    let fix = app.text("[data-testid=keychain-fix]").await;
    assert!(fix.contains("dbus-run-session"), "{fix}");
    assert!(fix.contains("gnome-keyring"), "{fix}");
    let overall = app.text("[data-testid=overall]").await;
    assert!(
        overall.starts_with("Rampart cannot keep exchange keys safely yet"),
        "{overall}"
    );
    assert_eq!(
        app.attr("[data-testid=overall]", "data-tone")
            .await
            .as_deref(),
        Some("problem")
    );
    // The rest of the screen still works.
    assert_eq!(app.text("[data-testid=datadir-status]").await, "Writable");

    // Still alive and answering: checking again gives the same clear answer.
    app.click("[data-testid=recheck]").await;
    app.wait_text("[data-testid=check-count]", |t| t.contains("(check 2)"))
        .await;
    assert_eq!(
        app.text("[data-testid=keychain-status]").await,
        "Unavailable"
    );

    app.screenshot("first-screen-no-keychain").await;
    app.quit().await;
}
