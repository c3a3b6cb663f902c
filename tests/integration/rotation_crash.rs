//! Issue 12: the data key rotation killed at random points, 40 times, with the real keychain.
//! Right after every kill each file opens whole under the data key or the key the rotation
//! was moving to (the keychain holds both until the end); the next unlock finishes the
//! rotation; nothing is lost.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rampart_audit::{AnchorStore, AuditKey, KeychainAnchor, verify_file};
use rampart_core::Venue;
use rampart_core::session::Environment;
use rampart_engine::orders::OrderJournal;
use rampart_engine::{AddAccountRequest, Desk};
use rampart_tests::StepClock;
use rampart_vault::totp::TotpSeed;
use rampart_vault::{Credentials, DataKey, Keychain, SecretStore, SecretString, Vault};
use rand::Rng;

fn keys(ns: &str) -> (DataKey, Option<DataKey>) {
    let keychain = Keychain::with_namespace(ns);
    let service = Vault::new(keychain.clone(), keychain.namespace()).vault_service();
    let read = |entry: &str| {
        keychain.get(&service, entry).unwrap().map(|text| {
            let mut key = [0u8; 32];
            hex_decode(&text, &mut key);
            DataKey::from_bytes(key)
        })
    };
    (read("data-key").expect("a data key"), read("data-key-next"))
}

fn hex_decode(text: &str, out: &mut [u8; 32]) {
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap();
    }
}

/// Every file opens whole under one of `keys`; returns how many are under the second.
fn all_open(dir: &Path, ns: &str, keys: &[&DataKey]) -> usize {
    let mut under_second = 0;
    for name in ["settings.json", "accounts.json"] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let opens: Vec<bool> = keys
            .iter()
            .map(|k| rampart_vault::sealed::open(k, name, &bytes).is_ok())
            .collect();
        assert!(opens.contains(&true), "{name} opens under neither key");
        under_second += usize::from(opens.get(1) == Some(&true));
    }
    let journal = dir.join("orders.journal");
    let intents: Vec<usize> = keys
        .iter()
        .filter_map(|k| OrderJournal::read_all(&journal, k).ok())
        .map(|r| r.iter().filter(|r| r["event"] == "intent").count())
        .collect();
    assert!(
        intents.contains(&1),
        "the order journal's intent opens: {intents:?}"
    );
    let keychain = Keychain::with_namespace(ns);
    let service = Vault::new(keychain.clone(), keychain.namespace()).vault_service();
    let head = KeychainAnchor::new(keychain, service).load().unwrap();
    let verified: Vec<_> = keys
        .iter()
        .map(|k| {
            verify_file(
                &dir.join("audit.journal"),
                &AuditKey::derive(k),
                head.as_ref(),
            )
        })
        .collect();
    assert!(
        verified.iter().any(|v| v.is_intact()),
        "the audit journal verifies under neither key: {:?}",
        verified.iter().map(|v| v.summary()).collect::<Vec<_>>()
    );
    under_second
}

#[test]
fn a_rotation_killed_at_random_points_leaves_every_file_readable_and_loses_nothing() {
    let ns = format!("rampart-test-rotate-crash-{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let base = 1_900_000_000u64;
    let clock = StepClock::starting_at(base);
    let desk = Desk::with_parts(
        dir.path().to_path_buf(),
        Keychain::with_namespace(ns.as_str()),
        clock.clone(),
    );
    let view = desk.begin_enrolment().unwrap();
    let seed = TotpSeed::from_base32(&view.secret_base32).unwrap();
    let code = || clock.fresh_code(&seed);
    desk.complete_enrolment_blocking(&code(), None).unwrap();
    let account = desk
        .add_account_blocking(AddAccountRequest {
            venue: Venue::Demo,
            label: "Rotated".into(),
            environment: Environment::Demo,
            credentials: Credentials {
                api_key: SecretString::new("k".repeat(64)),
                api_secret: SecretString::new("s".repeat(64)),
                passphrase: None,
            },
            code: code(),
        })
        .unwrap();
    desk.set_idle_lock(7, &code()).unwrap();
    // An order whose outcome is not known: its intent must survive every rotation.
    {
        let (journal, _) =
            OrderJournal::open(&dir.path().join("orders.journal"), &keys(&ns).0).unwrap();
        journal
            .record_intent(&rampart_engine::orders::Intent {
                client_order_id: "rmpRotate1".into(),
                account_id: account.id.clone(),
                venue: Venue::Demo,
                symbol: "BTCUSDT".into(),
                side: rampart_core::Side::Buy,
                order_type: rampart_core::OrderType::Market,
                qty: "0.003".parse().unwrap(),
                price: None,
                trigger_price: None,
                time_in_force: None,
                reduce_only: false,
                trigger_by: None,
                margin_mode: None,
                position_side: Default::default(),
                sent_at_ms: 1,
                recv_window_ms: 5000,
            })
            .unwrap();
    }
    let audit_before = desk
        .audit_records(&Default::default())
        .unwrap()
        .records
        .len();
    desk.lock_blocking().unwrap();
    drop(desk);

    let mut rng = rand::rng();
    let mut rotations = 0;
    let mut mid_rotation = 0;
    let started = Instant::now();
    for run in 0..40u64 {
        let first = base + (run + 1) * 10_000_000;
        let mut child = Command::new(env!("CARGO_BIN_EXE_rotate-crash-child"));
        child
            .arg(dir.path())
            .arg(&ns)
            .arg(view.secret_base32.as_str())
            .arg(first.to_string());
        // One run in four from its start (the unlock finishing a rotation left half-done);
        // the others during the rotations.
        let lines = rampart_tests::run_and_kill(
            child,
            (run % 4 != 0).then_some("open"),
            Duration::from_micros(rng.random_range(0..250_000)),
        );
        rotations += lines.iter().filter(|l| l.starts_with("rotated")).count();
        let (current, next) = keys(&ns);
        let mut candidates = vec![&current];
        if let Some(next) = &next {
            candidates.push(next);
            mid_rotation += 1;
        }
        all_open(dir.path(), &ns, &candidates);
    }

    // The next unlock finishes any rotation left half-done; nothing is lost.
    let desk = Desk::with_parts(
        dir.path().to_path_buf(),
        Keychain::with_namespace(ns.as_str()),
        clock.clone(),
    );
    clock.0.store(base + 50 * 10_000_000, Ordering::SeqCst);
    desk.unlock_blocking(&code()).unwrap();
    let (current, next) = keys(&ns);
    assert!(next.is_none(), "the rotation was finished at unlock");
    assert_eq!(all_open(dir.path(), &ns, &[&current]), 0);
    assert_eq!(desk.list_accounts().unwrap(), vec![account]);
    assert_eq!(desk.security_settings().unwrap().idle_lock_minutes, 7);
    let audit = desk.audit_records(&Default::default()).unwrap();
    assert_eq!(
        audit.status.state,
        rampart_core::audit::AuditState::Intact,
        "{}",
        audit.status.summary
    );
    assert!(audit.records.len() >= audit_before + rotations);
    eprintln!(
        "40 kills in {:.1} s: {rotations} rotations done, {mid_rotation} kills left one half-done",
        started.elapsed().as_secs_f64()
    );
    assert!(
        rotations > 0 && mid_rotation > 0,
        "the kills landed in rotations"
    );
    desk.lock_blocking().unwrap();
    Vault::new(Keychain::with_namespace(ns.as_str()), ns.as_str())
        .erase()
        .unwrap();
}
