//! `rampart audit verify` as a user runs it, against the real keychain: a code on standard
//! input opens the vault, the journal is checked against the keychain's anchor, the exit
//! status says whether it is intact, and a changed record is named.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

use rampart_audit::{AuditKey, Entry, Journal, KeychainAnchor, Kind};
use rampart_engine::Clock as _;
use rampart_vault::totp::TotpSeed;
use rampart_vault::{Keychain, Vault};

fn verify(dir: &std::path::Path, ns: &str, code: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["audit", "verify", "--data-dir"])
        .arg(dir)
        .args(["--namespace", ns])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{code}").unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn verify_reads_the_code_from_standard_input_and_reports_the_journal() {
    let ns = format!("rampart-test-cli-audit-{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let keychain = Keychain::with_namespace(ns.as_str());
    let vault = Vault::new(keychain.clone(), keychain.namespace());
    let enrolment = Vault::<Keychain>::begin_enrolment("trader");
    let seed = TotpSeed::from_base32(&enrolment.secret_base32).unwrap();
    let now = rampart_engine::SystemClock.moment();
    let (codes, data_key) = vault
        .complete_enrolment(&enrolment, &seed.code_at(now.wall), None, &now)
        .unwrap();

    // Twenty records, anchored in the keychain, as the app writes them.
    let path = dir.path().join("audit.journal");
    let opened = Journal::open(
        &path,
        AuditKey::derive(&data_key),
        Arc::new(KeychainAnchor::new(keychain.clone(), vault.vault_service())),
        0,
    )
    .unwrap();
    for i in 0..20 {
        opened
            .journal
            .append(i, &Entry::new(Kind::Settings, format!("change {i}")))
            .unwrap();
    }
    drop(opened);

    let (status, out, err) = verify(dir.path(), &ns, codes[0].expose());
    assert_eq!(status, 0, "{out}{err}");
    assert!(
        out.contains("audit.journal: 20 records, chained and anchored, none changed."),
        "{out}"
    );

    // One byte of record 5 changed: exit 1, and where.
    let mut bytes = std::fs::read(&path).unwrap();
    let mut at = 21;
    for _ in 0..5 {
        at += 4 + u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    }
    bytes[at + 20] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let (status, out, err) = verify(dir.path(), &ns, codes[1].expose());
    assert_eq!(status, 1, "{out}{err}");
    assert!(
        out.contains(&format!("Record 5 (byte {at}) does not open")),
        "{out}"
    );

    // A wrong code opens nothing: exit 2, with the vault's reason.
    let (status, out, err) = verify(dir.path(), &ns, "AAAA-AAAA-AAAA-AAAA");
    assert_eq!(status, 2, "{out}{err}");
    assert!(err.starts_with("rampart audit verify: "), "{err}");
    assert!(out.is_empty(), "nothing verified: {out}");
    vault.erase().unwrap();
}
