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

fn this_test_binary() -> std::path::PathBuf {
    std::env::current_exe().unwrap()
}

/// Runs `test` again through `child` (this test binary, or a wrapper around it) so that its
/// environment changes cannot leak into other tests, and checks that it passed there.
fn run_in_child(mut child: Command, test: &str) {
    child
        .args(["--exact", test, "--nocapture"])
        .env("RAMPART_VAULT_CHILD", "1");
    let out = child.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "child failed:\n{text}");
    assert!(text.contains("1 passed"), "child ran no test:\n{text}");
}

fn in_child() -> bool {
    std::env::var_os("RAMPART_VAULT_CHILD").is_some()
}

/// With no session bus reachable, the probe fails with the "no D-Bus session" explanation: no
/// panic, no hang.
#[test]
fn without_a_session_bus_the_probe_explains_what_is_missing() {
    if in_child() {
        let err = Keychain::with_namespace("rampart-test-vault")
            .probe()
            .expect_err("no bus, yet the probe passed");
        assert_eq!(err.code(), ErrorCode::KeychainUnavailable, "{err}");
        assert!(err.to_string().contains("No D-Bus session"), "{err}");
        assert!(err.fix().iter().any(|s| s.contains("dbus-run-session")));
        return;
    }
    let runtime = tempfile::tempdir().unwrap();
    let mut child = Command::new(this_test_binary());
    child
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("XDG_RUNTIME_DIR", runtime.path());
    run_in_child(
        child,
        "without_a_session_bus_the_probe_explains_what_is_missing",
    );
}

/// A session bus whose Secret Service (gnome-keyring, started on demand by D-Bus activation) has
/// no unlocked login keyring: the probe says the keychain is locked and how to unlock it.
#[test]
fn a_keyring_that_was_never_unlocked_is_reported_as_locked() {
    if in_child() {
        let err = Keychain::with_namespace("rampart-test-vault")
            .probe()
            .expect_err("locked keyring, yet the probe passed");
        assert_eq!(err.code(), ErrorCode::KeychainAccessDenied, "{err}");
        assert!(
            err.to_string().contains("locked or refused access"),
            "{err}"
        );
        assert!(
            err.fix()
                .iter()
                .any(|s| s.contains("Unlock your login keyring"))
        );
        return;
    }
    // A new bus with nothing running on it, and no keyring files.
    let keyrings = tempfile::tempdir().unwrap();
    let mut child = Command::new("dbus-run-session");
    child
        .arg("--")
        .arg(this_test_binary())
        .env("XDG_DATA_HOME", keyrings.path());
    run_in_child(
        child,
        "a_keyring_that_was_never_unlocked_is_reported_as_locked",
    );
}
