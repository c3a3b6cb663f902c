//! Issue 10, item 2 (unlock anomalies) at the desk: wrong codes before the right one are listed
//! as a warning once the app is unlocked; the enrolment's machine and OS user are kept in the
//! guard's history, and an unlock as the same user on the same machine raises nothing about it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rampart_engine::{Clock, Desk};
use rampart_guard::WarningKind;
use rampart_vault::Keychain;
use rampart_vault::totp::TotpSeed;

struct TestClock(AtomicU64);

impl Clock for TestClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_codes_before_an_unlock_are_listed_and_the_enrolment_seat_is_kept() {
    let ns = format!("rampart-test-unlock-guard-{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TestClock(AtomicU64::new(1_900_000_000)));
    let desk = Arc::new(Desk::with_parts(
        dir.path().to_path_buf(),
        Keychain::with_namespace(&ns),
        clock.clone(),
    ));
    let view = desk.begin_enrolment().unwrap();
    let seed = TotpSeed::from_base32(&view.secret_base32).unwrap();
    desk.complete_enrolment(seed.code_at(clock.now()), None)
        .await
        .unwrap();
    desk.lock().await.unwrap();
    let history = open_sealed(&ns, &dir.path().join("guard-history.json"));
    let seat = &history["seat"];
    assert_eq!(seat["machine"].as_str().unwrap().len(), 24, "{history}");
    assert!(!seat["os_user"].as_str().unwrap().is_empty(), "{history}");

    // A clean unlock: nothing about the unlock is listed.
    clock.0.fetch_add(30, Ordering::SeqCst);
    desk.unlock(seed.code_at(clock.now())).await.unwrap();
    let listed = desk.guard_status().unwrap();
    assert!(
        !listed.warnings.iter().any(|w| matches!(
            w.warning.kind,
            WarningKind::UnlockFailures | WarningKind::NewSeat
        )),
        "{listed:?}"
    );
    desk.lock().await.unwrap();

    // Three wrong codes, then the right one: listed with the count.
    clock.0.fetch_add(30, Ordering::SeqCst);
    for wrong in ["000000", "111111", "222222"] {
        let right = seed.code_at(clock.now());
        let wrong = if wrong == right { "333333" } else { wrong };
        assert!(desk.unlock(wrong.to_owned()).await.is_err());
    }
    desk.unlock(seed.code_at(clock.now())).await.unwrap();
    let listed = desk.guard_status().unwrap();
    let failures: Vec<_> = listed
        .warnings
        .iter()
        .filter(|w| w.warning.kind == WarningKind::UnlockFailures)
        .collect();
    assert_eq!(failures.len(), 1, "{listed:?}");
    assert_eq!(failures[0].warning.seen, "3 wrong codes before this unlock");
    desk.lock().await.unwrap();
}

/// A sealed file of the data directory, opened with the data key read from the test's own
/// keychain namespace (as only someone who can read the keychain could).
fn open_sealed(ns: &str, path: &std::path::Path) -> serde_json::Value {
    use rampart_vault::SecretStore;
    let keychain = Keychain::with_namespace(ns);
    let vault = rampart_vault::Vault::new(keychain.clone(), keychain.namespace());
    let hex_key = keychain
        .get(&vault.vault_service(), "data-key")
        .unwrap()
        .expect("a data key");
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex_key[2 * i..2 * i + 2], 16).unwrap();
    }
    let bytes = std::fs::read(path).unwrap();
    let name = path.file_name().unwrap().to_str().unwrap();
    let text = rampart_vault::sealed::open(&rampart_vault::DataKey::from_bytes(key), name, &bytes)
        .expect("sealed under the data key");
    serde_json::from_slice(&text).unwrap()
}
