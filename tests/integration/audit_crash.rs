//! Issue 12: the audit journal killed at random points while writing, 200 times, its anchor in
//! the real keychain. After every kill it verifies up to its last complete record, and every
//! record the process had reported durable is there.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rampart_audit::{AnchorStore, AuditKey, KeychainAnchor, read_records};
use rampart_vault::{DataKey, Keychain, SecretStore};
use rand::Rng;

#[test]
fn killed_at_random_points_200_times_it_loses_nothing_reported_done() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.journal");
    let namespace = format!("rampart-test-audit-crash-{}", std::process::id());
    let anchor = Arc::new(KeychainAnchor::new(
        Keychain::with_namespace(namespace.as_str()),
        format!("{namespace}.vault"),
    ));
    let key = AuditKey::derive(&DataKey::from_bytes([42; 32]));
    let mut rng = rand::rng();
    let mut reported: Option<u64> = None;
    let mut torn = 0;
    let started = Instant::now();
    for run in 0..200 {
        let reported_before = reported;
        let mut child = Command::new(env!("CARGO_BIN_EXE_audit-crash-child"));
        child.arg(&path).arg(&namespace);
        // One run in four is killed anywhere from its start (opening, verifying, cutting a
        // torn record off); the others at a random point of their appends.
        let lines = rampart_tests::run_and_kill(
            child,
            (run % 4 != 0).then_some("open "),
            Duration::from_micros(rng.random_range(0..30_000)),
        );
        assert!(
            !lines.iter().any(|l| l.starts_with("broken")),
            "run {run}: the journal was found broken at open: {lines:?}"
        );
        if let Some(last) = lines
            .iter()
            .filter_map(|l| l.strip_prefix("done ")?.parse::<u64>().ok())
            .next_back()
        {
            reported = Some(last);
        }
        if let Some(open) = lines
            .iter()
            .find_map(|l| l.strip_prefix("open ")?.parse::<u64>().ok())
        {
            // Everything reported done by earlier runs was there at this open.
            let want = reported_before.map_or(0, |r| r + 1);
            assert!(
                open >= want,
                "run {run}: opened with {open} records, {want} were done"
            );
        }
        let head = anchor.load().unwrap();
        let (records, v) = read_records(&path, &key, head.as_ref());
        assert!(
            v.is_intact(),
            "run {run}: {} (anchor {head:?})",
            v.summary()
        );
        if v.torn_tail.is_some() {
            torn += 1;
        }
        let want = reported.map_or(0, |r| r + 1);
        assert!(
            v.records >= want,
            "run {run}: {} records, but record {} was reported done",
            v.records,
            want.saturating_sub(1)
        );
        assert!(records.iter().enumerate().all(|(i, r)| r.seq == i as u64));
    }
    eprintln!(
        "200 kills in {:.1} s: {} records reported done, {torn} kills left a record cut short",
        started.elapsed().as_secs_f64(),
        reported.map_or(0, |r| r + 1)
    );
    assert!(reported.is_some_and(|r| r > 200), "the children appended");
    let _ = Keychain::with_namespace(namespace.as_str())
        .delete(&format!("{namespace}.vault"), "audit-head");
}
