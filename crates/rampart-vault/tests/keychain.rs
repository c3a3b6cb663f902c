//! The vault against the real OS keychain. `make test` runs these inside a private D-Bus session
//! with an unlocked gnome-keyring (scripts/with-keyring.sh); run alone they need the same.

use std::process::Command;

use rampart_core::ErrorCode;
use rampart_vault::Keychain;

fn secret_tool_search(service: &str) -> String {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "service", service])
        .output()
        .expect("secret-tool is installed by scripts/setup.sh (libsecret-tools)");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn probe_round_trips_through_the_secret_service_and_leaves_nothing() {
    let kc = Keychain::with_namespace("rampart-test-vault");
    if let Err(err) = kc.probe() {
        panic!(
            "the keychain probe failed ({}: {err}; {}). These tests need a D-Bus session with an \
             unlocked Secret Service: run them through `make test`.",
            err.code(),
            err.detail()
        );
    }
    // A second probe works too (fresh random names, no leftover collision).
    kc.probe().unwrap();
    let left = secret_tool_search(&kc.probe_service());
    assert!(
        !left.contains("rampart-test-vault.probe"),
        "probe left an entry behind:\n{left}"
    );
    let status = kc.status();
    assert!(status.check.is_ok(), "{status:?}");
    assert_eq!(status.namespace, "rampart-test-vault");
}

/// Runs in a child process (env changes must not leak into other tests): with no session bus
/// reachable, the probe must fail with the "no D-Bus session" explanation, not panic or hang.
#[test]
fn without_a_session_bus_the_probe_explains_what_is_missing() {
    if std::env::var_os("RAMPART_VAULT_CHILD").is_some() {
        let err = Keychain::with_namespace("rampart-test-vault")
            .probe()
            .expect_err("no bus, yet the probe passed");
        assert_eq!(err.code(), ErrorCode::KeychainUnavailable, "{err}");
        assert!(err.to_string().contains("No D-Bus session"), "{err}");
        assert!(err.fix().iter().any(|s| s.contains("dbus-run-session")));
        return;
    }
    let runtime = tempfile::tempdir().unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "without_a_session_bus_the_probe_explains_what_is_missing",
            "--nocapture",
        ])
        .env("RAMPART_VAULT_CHILD", "1")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("XDG_RUNTIME_DIR", runtime.path())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "child failed:\n{text}");
    assert!(text.contains("1 passed"), "child ran no test:\n{text}");
}
