//! The start-up checks against the real OS keychain (run through `make test`, which provides a
//! D-Bus session with an unlocked gnome-keyring).

use rampart_core::status::{BuildKind, Check};
use rampart_engine::Desk;
use rampart_vault::Keychain;

#[tokio::test]
async fn preflight_passes_with_a_working_keychain_and_a_fresh_data_dir() {
    let root = tempfile::tempdir().unwrap();
    let data_dir = root.path().join("share/rampart");
    let desk = Desk::with_keychain(
        data_dir.clone(),
        Keychain::with_namespace("rampart-test-engine"),
    );
    let report = desk.preflight().await;

    assert_eq!(report.app.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(report.app.build, BuildKind::Dev);
    assert_eq!(report.keychain.namespace, "rampart-test-engine");
    assert!(
        matches!(report.keychain.check, Check::Ok { .. }),
        "keychain: {:?} (run through `make test`)",
        report.keychain
    );
    assert_eq!(report.data_dir.path, data_dir.display().to_string());
    assert!(report.data_dir.check.is_ok(), "{:?}", report.data_dir);
    assert!(data_dir.is_dir());
}
