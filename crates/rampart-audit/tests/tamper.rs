//! The journal's guarantees, file against anchor: every edit, deletion, reordering, truncation
//! or replacement is found and located; a write cut short is not mistaken for one.

use std::path::Path;
use std::sync::Arc;

use rampart_audit::{
    AnchorStore, AuditKey, Entry, Head, Journal, KeychainAnchor, Kind, ProblemKind, read_records,
    verify_file,
};
use rampart_vault::{DataKey, MemoryStore};

const T0: i64 = 1_900_000_000_000;

fn key() -> AuditKey {
    AuditKey::derive(&DataKey::from_bytes([7; 32]))
}

fn anchor() -> Arc<dyn AnchorStore> {
    Arc::new(KeychainAnchor::new(
        MemoryStore::default(),
        "rampart-test.vault",
    ))
}

fn entry(i: u64) -> Entry {
    Entry::new(Kind::OrderIntent, format!("Buy {i} BTCUSDT"))
        .account("acct-1")
        .detail(serde_json::json!({"qty": i.to_string(), "price": "64000.5"}))
}

/// A journal of `n` records at `path`, anchored in `anchor`.
fn written(path: &Path, anchor: &Arc<dyn AnchorStore>, n: u64) {
    let opened = Journal::open(path, key(), anchor.clone(), T0).unwrap();
    assert!(opened.verification.is_intact());
    let base = opened.journal.records();
    for i in 0..n {
        let seq = opened.journal.append(T0 + i as i64, &entry(i)).unwrap();
        assert_eq!(seq, base + i);
    }
    opened
        .journal
        .flush_anchor(std::time::Duration::from_secs(5))
        .unwrap();
}

/// (offset, length) of each record's frame.
fn frames(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 21;
    while at + 4 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        out.push((at, 4 + len));
        at += 4 + len;
    }
    out
}

fn head(anchor: &Arc<dyn AnchorStore>) -> Head {
    anchor.load().unwrap().unwrap()
}

#[test]
fn an_untouched_journal_verifies_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.journal");
    let anchor = anchor();
    written(&path, &anchor, 50);
    let (records, v) = read_records(&path, &key(), Some(&head(&anchor)));
    assert!(v.is_intact(), "{}", v.summary());
    assert_eq!(v.records, 50);
    assert_eq!(head(&anchor).records, 50);
    assert_eq!(records.len(), 50);
    assert_eq!(records[17].seq, 17);
    assert_eq!(records[17].ts_ms, T0 + 17);
    assert_eq!(records[17].entry, entry(17));
    assert_eq!(
        v.summary(),
        "50 records, chained and anchored, none changed."
    );
    // Nothing of an entry is readable in the file.
    let bytes = std::fs::read(&path).unwrap();
    for needle in [&b"BTCUSDT"[..], b"acct-1", b"64000.5", b"order_intent"] {
        assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    }
}

#[test]
fn each_kind_of_tampering_is_found_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.journal");
    let anchor = anchor();
    written(&path, &anchor, 50);
    let original = std::fs::read(&path).unwrap();
    let f = frames(&original);
    assert_eq!(f.len(), 50);
    let anchored = head(&anchor);
    let check = |bytes: &[u8], record: u64, kind: ProblemKind| {
        std::fs::write(&path, bytes).unwrap();
        let v = verify_file(&path, &key(), Some(&anchored));
        let p = v
            .problem
            .clone()
            .unwrap_or_else(|| panic!("not found: {kind:?}"));
        assert_eq!((p.record, &p.kind), (record, &kind), "{}", v.summary());
        assert_eq!(v.records, record.min(v.records));
        p
    };

    // One byte flipped inside record 20.
    let mut flipped = original.clone();
    flipped[f[20].0 + 30] ^= 0x01;
    let p = check(&flipped, 20, ProblemKind::Changed);
    assert_eq!(p.offset, f[20].0 as u64);
    assert!(
        p.to_string()
            .starts_with(&format!("Record 20 (byte {}) does not open", f[20].0))
    );

    // Record 20 deleted.
    let mut deleted = original[..f[20].0].to_vec();
    deleted.extend_from_slice(&original[f[21].0..]);
    check(&deleted, 20, ProblemKind::OutOfOrder { found: 21 });

    // Records 20 and 21 swapped.
    let mut swapped = original[..f[20].0].to_vec();
    swapped.extend_from_slice(&original[f[21].0..f[21].0 + f[21].1]);
    swapped.extend_from_slice(&original[f[20].0..f[20].0 + f[20].1]);
    swapped.extend_from_slice(&original[f[22].0..]);
    check(&swapped, 20, ProblemKind::OutOfOrder { found: 21 });

    // Cut after record 29, at a record's boundary and in the middle of one.
    check(
        &original[..f[30].0],
        30,
        ProblemKind::EndsBeforeAnchor { anchored: 50 },
    );
    check(
        &original[..f[30].0 + 40],
        30,
        ProblemKind::EndsBeforeAnchor { anchored: 50 },
    );

    // A length field changed: what follows no longer parses.
    let mut bad_len = original.clone();
    bad_len[f[10].0] ^= 0x04;
    let v = {
        std::fs::write(&path, &bad_len).unwrap();
        verify_file(&path, &key(), Some(&anchored))
    };
    assert_eq!(v.problem.unwrap().record, 10);

    // The last record removed whole: the anchor names 50.
    check(
        &original[..f[49].0],
        49,
        ProblemKind::EndsBeforeAnchor { anchored: 50 },
    );

    // Under another key nothing opens.
    std::fs::write(&path, &original).unwrap();
    let other = AuditKey::derive(&DataKey::from_bytes([8; 32]));
    let v = verify_file(&path, &other, Some(&anchored));
    assert_eq!(v.problem.unwrap().kind, ProblemKind::Changed);
    assert_eq!(v.records, 0);

    // The header's magic changed.
    let mut header = original.clone();
    header[0] = b'X';
    check(&header, 0, ProblemKind::HeaderDamaged);

    // The file deleted.
    std::fs::remove_file(&path).unwrap();
    let v = verify_file(&path, &key(), Some(&anchored));
    assert_eq!(
        v.problem.unwrap().kind,
        ProblemKind::Missing { anchored: 50 }
    );
}

#[test]
fn an_older_copy_or_another_journal_in_its_place_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.journal");
    let anchor = anchor();
    written(&path, &anchor, 30);
    let older = std::fs::read(&path).unwrap();
    written(&path, &anchor, 5);
    assert_eq!(head(&anchor).records, 35);
    std::fs::write(&path, &older).unwrap();
    let v = verify_file(&path, &key(), Some(&head(&anchor)));
    assert_eq!(
        v.problem.unwrap().kind,
        ProblemKind::EndsBeforeAnchor { anchored: 35 }
    );

    // Another journal under the same key (another install, or one started over).
    let elsewhere = dir.path().join("other.journal");
    written(&elsewhere, &self::anchor(), 40);
    let v = verify_file(&elsewhere, &key(), Some(&head(&anchor)));
    assert_eq!(v.problem.unwrap().kind, ProblemKind::Replaced);
}

#[test]
fn a_write_cut_short_is_left_out_and_cut_off_at_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.journal");
    let anchor = anchor();
    written(&path, &anchor, 10);
    let whole = std::fs::read(&path).unwrap();
    let f = frames(&whole);
    // The process died writing record 9, after record 8's anchor.
    let anchor_at_8 = {
        std::fs::write(&path, &whole[..f[9].0]).unwrap();
        verify_file(&path, &key(), None).head().unwrap()
    };
    anchor.store(&anchor_at_8).unwrap();
    for cut in [1, 4, 20, f[9].1 - 1] {
        std::fs::write(&path, &whole[..f[9].0 + cut]).unwrap();
        let v = verify_file(&path, &key(), Some(&anchor_at_8));
        assert!(v.is_intact(), "cut {cut}: {}", v.summary());
        assert_eq!(v.records, 9);
        assert_eq!(v.torn_tail, Some(cut as u64));
    }
    // Zeros where the record should be (a file grown, its data not yet written).
    let mut zeros = whole[..f[9].0].to_vec();
    zeros.extend(std::iter::repeat_n(0, 300));
    std::fs::write(&path, &zeros).unwrap();
    assert!(verify_file(&path, &key(), Some(&anchor_at_8)).is_intact());

    // Opened again: the tail is cut off and the chain goes on from record 8.
    let opened = Journal::open(&path, key(), anchor.clone(), T0).unwrap();
    assert_eq!(opened.verification.torn_tail, Some(300));
    assert_eq!(opened.journal.append(T0, &entry(99)).unwrap(), 9);
    drop(opened);
    let (records, v) = read_records(&path, &key(), Some(&head(&anchor)));
    assert!(v.is_intact(), "{}", v.summary());
    assert_eq!(v.torn_tail, None);
    assert_eq!(records.last().unwrap().entry, entry(99));
}

#[test]
fn a_broken_journal_is_set_aside_and_the_new_one_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.journal");
    let anchor = anchor();
    written(&path, &anchor, 12);
    let mut bytes = std::fs::read(&path).unwrap();
    let f = frames(&bytes);
    bytes[f[5].0 + 50] ^= 0x80;
    std::fs::write(&path, &bytes).unwrap();

    let opened = Journal::open(&path, key(), anchor.clone(), T0 + 5).unwrap();
    let problem = opened.verification.problem.clone().unwrap();
    assert_eq!((problem.record, problem.kind), (5, ProblemKind::Changed));
    let aside = opened.set_aside.clone().unwrap();
    assert_eq!(std::fs::read(&aside).unwrap(), bytes, "kept as found");
    drop(opened);
    let (records, v) = read_records(&path, &key(), Some(&head(&anchor)));
    assert!(v.is_intact());
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].entry.kind, Kind::Audit);
    assert!(
        records[0]
            .entry
            .summary
            .starts_with("The previous audit journal failed verification: Record 5"),
        "{}",
        records[0].entry.summary
    );
}

#[test]
fn concurrent_appends_each_get_their_own_place_in_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.journal");
    let anchor = anchor();
    let opened = Journal::open(&path, key(), anchor.clone(), T0).unwrap();
    let journal = Arc::new(opened.journal);
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            let journal = journal.clone();
            std::thread::spawn(move || {
                (0..40u64)
                    .map(|i| journal.append(T0, &entry(t * 1000 + i)).unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut seqs: Vec<u64> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (0..320).collect::<Vec<_>>());
    journal
        .flush_anchor(std::time::Duration::from_secs(5))
        .unwrap();
    drop(journal);
    let v = verify_file(&path, &key(), Some(&head(&anchor)));
    assert!(v.is_intact(), "{}", v.summary());
    assert_eq!(v.records, 320);
}

#[test]
fn a_record_written_without_a_sync_is_made_durable_by_the_next_and_at_close() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.journal");
    let anchor = anchor();
    let opened = Journal::open(&path, key(), anchor.clone(), T0).unwrap();
    opened.journal.append_written(T0, &entry(1)).unwrap();
    opened.journal.append(T0, &entry(2)).unwrap();
    opened.journal.append_written(T0, &entry(3)).unwrap();
    drop(opened);
    let (records, v) = read_records(&path, &key(), Some(&head(&anchor)));
    assert!(v.is_intact(), "{}", v.summary());
    assert_eq!(
        records.iter().map(|r| r.entry.clone()).collect::<Vec<_>>(),
        vec![entry(1), entry(2), entry(3)]
    );
}
