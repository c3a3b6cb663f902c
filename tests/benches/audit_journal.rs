//! The audit journal's own path (`rampart_audit::Journal::append`, `verify_file`), as the app
//! calls it:
//! 1. appending one record (seal with AES-256-GCM, SHA-256 of the frame, write, fdatasync) on
//!    the real disk (the target directory) and on tmpfs (/dev/shm, where fdatasync costs
//!    nothing): the durable append the product pays, and the rest of the work apart;
//! 2. verifying a journal of one million records (read, decrypt, chain and anchor checks),
//!    target under 2 s.
//!
//! The keychain anchor is written by the journal's background thread and is not in the
//! append's latency; here it goes to an in-memory store, so the thread's D-Bus round trips do
//! not compete for the two cores.
//!
//! `cargo bench -p rampart-tests --bench audit_journal`

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rampart_audit::{AnchorStore, AuditKey, Entry, Journal, KeychainAnchor, Kind, verify_file};
use rampart_vault::{DataKey, MemoryStore};

fn key() -> AuditKey {
    AuditKey::derive(&DataKey::from_bytes([3; 32]))
}

fn entry(i: u64) -> Entry {
    // What an order's request record holds: method, path, parameters, a hash of the signature.
    Entry::new(Kind::Request, "POST /fapi/v1/order")
        .account("5f0c2a9e-demo")
        .detail(serde_json::json!({
            "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
            "quantity": "0.010", "price": "64210.50",
            "newClientOrderId": format!("rmp-{i:012}"),
            "signatureSha256": "9c1185a5c5e9fc54612808977ee8f548b2258d31",
        }))
}

fn anchor() -> Arc<dyn AnchorStore> {
    Arc::new(KeychainAnchor::new(MemoryStore::default(), "bench.vault"))
}

fn quantiles(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let at = |q: usize| samples[(samples.len() - 1) * q / 100].as_secs_f64() * 1e6;
    format!(
        "p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        at(50),
        at(99),
        at(100)
    )
}

fn appends(dir: &Path, n: u64) -> Vec<Duration> {
    let path = dir.join("audit.journal");
    let _ = std::fs::remove_file(&path);
    let opened = Journal::open(&path, key(), anchor(), 0).expect("journal");
    let mut samples = Vec::with_capacity(n as usize);
    for i in 0..n {
        let e = entry(i);
        let t = Instant::now();
        opened.journal.append(i as i64, &e).expect("append");
        samples.push(t.elapsed());
    }
    drop(opened);
    let _ = std::fs::remove_file(&path);
    samples
}

fn main() {
    println!("1. append one record (seal, hash, write, fdatasync)");
    let disk = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("target dir");
    println!(
        "   real disk ({}): {}",
        disk.path().display(),
        quantiles(appends(disk.path(), 2_000))
    );
    let shm = Path::new("/dev/shm");
    let tmpfs = if shm.is_dir() {
        tempfile::tempdir_in(shm).expect("tmpfs")
    } else {
        tempfile::tempdir().expect("temp dir")
    };
    println!(
        "   tmpfs ({}): {}",
        tmpfs.path().display(),
        quantiles(appends(tmpfs.path(), 20_000))
    );

    println!("2. verify a journal of 1,000,000 records");
    let path = tmpfs.path().join("million.journal");
    let anchor = anchor();
    let opened = Journal::open(&path, key(), anchor.clone(), 0).expect("journal");
    let t = Instant::now();
    for i in 0..1_000_000u64 {
        opened.journal.append(i as i64, &entry(i)).expect("append");
    }
    println!("   written in {:.1} s", t.elapsed().as_secs_f64());
    opened
        .journal
        .flush_anchor(Duration::from_secs(10))
        .expect("anchored");
    drop(opened);
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    let head = anchor.load().expect("anchor").expect("head");
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let v = verify_file(&path, &key(), Some(&head));
        times.push(t.elapsed());
        assert!(v.is_intact() && v.records == 1_000_000, "{}", v.summary());
    }
    times.sort();
    println!(
        "   {:.1} MB, verified in {:.2} s (best of 3; worst {:.2} s), target under 2 s",
        size as f64 / 1e6,
        times[0].as_secs_f64(),
        times[2].as_secs_f64()
    );
}
