//! A process for the audit crash test (tests/integration/audit_crash.rs): it opens the audit
//! journal with its anchor in the real keychain and appends records as fast as it can, printing
//! `done N` once record N is durable (what the app would then show as done), until the test
//! kills it with SIGKILL.
//!
//! Usage: `audit-crash-child JOURNAL KEYCHAIN_NAMESPACE`

use std::io::Write;
use std::sync::Arc;

use rampart_audit::{AuditKey, Entry, Journal, KeychainAnchor, Kind};
use rampart_vault::{DataKey, Keychain};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(namespace)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: audit-crash-child JOURNAL KEYCHAIN_NAMESPACE");
        std::process::exit(2);
    };
    let key = AuditKey::derive(&DataKey::from_bytes([42; 32]));
    let anchor = Arc::new(KeychainAnchor::new(
        Keychain::with_namespace(namespace.as_str()),
        format!("{namespace}.vault"),
    ));
    let opened = match Journal::open(std::path::Path::new(path), key, anchor, 0) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("open: {e}");
            std::process::exit(1);
        }
    };
    let mut out = std::io::stdout().lock();
    if let Some(p) = &opened.verification.problem {
        let _ = writeln!(out, "broken {p}");
        std::process::exit(1);
    }
    let _ = writeln!(out, "open {}", opened.verification.records);
    let _ = out.flush();
    let mut i: u64 = 0;
    loop {
        let entry = Entry::new(Kind::Request, format!("POST /fapi/v1/order #{i}"))
            .account("crash")
            .detail(serde_json::json!({"symbol": "BTCUSDT", "quantity": "0.010", "i": i}));
        match opened.journal.append(i64::try_from(i).unwrap_or(0), &entry) {
            Ok(seq) => {
                let _ = writeln!(out, "done {seq}");
                let _ = out.flush();
            }
            Err(e) => {
                eprintln!("append: {e}");
                std::process::exit(1);
            }
        }
        i += 1;
    }
}
