//! Reading the journal back: the chain checked record by record against the keychain's anchor,
//! saying exactly where it ends and why.

use std::fs::File;
use std::io::{BufReader, ErrorKind, Read};
use std::path::Path;

use crate::anchor::Head;
use crate::entry::Record;
use crate::format::{self, AuditKey, FrameContent, HEADER_LEN, Hash, ID_LEN, MAX_BODY, MIN_BODY};

/// Where the chain stops being trustworthy, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The first record that cannot be trusted (0-based sequence number).
    pub record: u64,
    /// Its byte offset in the file.
    pub offset: u64,
    pub kind: ProblemKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// No journal file, while the anchor says it had records.
    Missing { anchored: u64 },
    /// The file does not start with a journal header.
    HeaderDamaged,
    /// The record does not open: changed, or taken from another journal or key.
    Changed,
    /// The record opens but carries another place in the chain (moved, or one before it
    /// deleted).
    OutOfOrder { found: u64 },
    /// The record opens but does not follow the one before it.
    ChainBroken,
    /// The file ends before the record the anchor names: records were removed, or the file
    /// was replaced with an older copy.
    EndsBeforeAnchor { anchored: u64 },
    /// The file is another journal, or another history of this one, than the anchor's.
    Replaced,
    /// The file could not be read.
    Unreadable(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (n, at) = (self.record, self.offset);
        match &self.kind {
            ProblemKind::Missing { anchored } => write!(
                f,
                "The audit journal is missing, but the keychain's anchor says it held {anchored} records."
            ),
            ProblemKind::HeaderDamaged => {
                write!(
                    f,
                    "The audit journal's header is damaged: it is not a Rampart journal."
                )
            }
            ProblemKind::Changed => write!(
                f,
                "Record {n} (byte {at}) does not open: it was changed, or taken from another journal."
            ),
            ProblemKind::OutOfOrder { found } => write!(
                f,
                "Record {n} (byte {at}) is record {found}: records were moved or deleted."
            ),
            ProblemKind::ChainBroken => write!(
                f,
                "Record {n} (byte {at}) does not follow record {}: records were replaced.",
                n.saturating_sub(1)
            ),
            ProblemKind::EndsBeforeAnchor { anchored } => write!(
                f,
                "The journal ends at record {n} (byte {at}), but the keychain's anchor says it held \
                 {anchored} records: records were removed, or the file was replaced with an older copy."
            ),
            ProblemKind::Replaced => write!(
                f,
                "The journal is not the one the keychain's anchor names: the file was replaced."
            ),
            ProblemKind::Unreadable(why) => {
                write!(f, "The journal could not be read at byte {at}: {why}.")
            }
        }
    }
}

/// The result of reading the journal through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The journal's id (hex), if its header could be read.
    pub journal: Option<String>,
    /// Records intact from the first.
    pub records: u64,
    /// The hash of the last intact record (the header's when none).
    pub head_hash: Option<Hash>,
    pub first_ts_ms: Option<i64>,
    pub last_ts_ms: Option<i64>,
    /// Bytes up to the end of the last intact record.
    pub intact_len: u64,
    /// Bytes after it that are an incomplete last record (a write cut short), if any.
    pub torn_tail: Option<u64>,
    pub problem: Option<Problem>,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.problem.is_none()
    }

    /// The head to anchor (or compare with the anchor).
    pub fn head(&self) -> Option<Head> {
        Some(Head {
            journal: self.journal.clone()?,
            records: self.records,
            hash: hex::encode(self.head_hash?),
            previous_hash: None,
        })
    }

    /// One sentence for the user.
    pub fn summary(&self) -> String {
        match &self.problem {
            Some(p) => p.to_string(),
            None => {
                let torn = match self.torn_tail {
                    Some(bytes) => format!(
                        " An incomplete last record ({bytes} bytes, a write cut short) was left out."
                    ),
                    None => String::new(),
                };
                format!(
                    "{} records, chained and anchored, none changed.{torn}",
                    self.records
                )
            }
        }
    }
}

/// Reads the journal at `path` through, checking every record against `key`, the chain, and
/// `anchor` (the keychain's head, if any). Calls `each` with every intact record in order.
pub fn walk(
    path: &Path,
    key: &AuditKey,
    anchor: Option<&Head>,
    mut each: impl FnMut(&FrameContent),
) -> Verification {
    let mut v = Verification {
        journal: None,
        records: 0,
        head_hash: None,
        first_ts_ms: None,
        last_ts_ms: None,
        intact_len: 0,
        torn_tail: None,
        problem: None,
    };
    let problem = |record, offset, kind| {
        Some(Problem {
            record,
            offset,
            kind,
        })
    };
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            if let Some(a) = anchor.filter(|a| a.records > 0) {
                v.problem = problem(
                    0,
                    0,
                    ProblemKind::Missing {
                        anchored: a.records,
                    },
                );
            }
            return v;
        }
        Err(e) => {
            v.problem = problem(0, 0, ProblemKind::Unreadable(e.to_string()));
            return v;
        }
    };
    let file_len = file.metadata().map_or(0, |m| m.len());
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut header = [0u8; HEADER_LEN];
    if read_full(&mut reader, &mut header).ok() != Some(HEADER_LEN)
        || !header.starts_with(format::MAGIC)
    {
        v.problem = problem(0, 0, ProblemKind::HeaderDamaged);
        return v;
    }
    let mut id = [0u8; ID_LEN];
    id.copy_from_slice(&header[format::MAGIC.len()..]);
    v.journal = Some(hex::encode(id));
    let mut prev = format::sha256(&header);
    v.head_hash = Some(prev);
    let mut offset = HEADER_LEN as u64;
    v.intact_len = offset;
    let mut hash_at_anchor = anchor.filter(|a| a.records == 0).map(|_| prev);
    let mut frame = Vec::with_capacity(4096);
    loop {
        let mut len_bytes = [0u8; 4];
        match read_full(&mut reader, &mut len_bytes) {
            Ok(0) => break,
            Ok(4) => {}
            Ok(_) => {
                v.torn_tail = Some(file_len - offset);
                break;
            }
            Err(e) => {
                v.problem = problem(v.records, offset, ProblemKind::Unreadable(e.to_string()));
                break;
            }
        }
        let body_len = u32::from_le_bytes(len_bytes) as usize;
        let frame_end = offset + 4 + body_len as u64;
        if !(MIN_BODY..=MAX_BODY).contains(&body_len) || frame_end > file_len {
            // No record fits here: the end of the file is a record cut short (or damage, which
            // the anchor tells apart below).
            v.torn_tail = Some(file_len - offset);
            break;
        }
        frame.clear();
        frame.extend_from_slice(&len_bytes);
        frame.resize(4 + body_len, 0);
        if let Err(e) = reader.read_exact(&mut frame[4..]) {
            v.problem = problem(v.records, offset, ProblemKind::Unreadable(e.to_string()));
            break;
        }
        let Some(content) = format::open_body(key, &id, &frame[4..]) else {
            if frame_end == file_len {
                v.torn_tail = Some(file_len - offset);
            } else {
                v.problem = problem(v.records, offset, ProblemKind::Changed);
            }
            break;
        };
        if content.seq != v.records {
            v.problem = problem(
                v.records,
                offset,
                ProblemKind::OutOfOrder { found: content.seq },
            );
            break;
        }
        if content.prev != prev {
            v.problem = problem(v.records, offset, ProblemKind::ChainBroken);
            break;
        }
        each(&content);
        prev = format::sha256(&frame);
        v.records += 1;
        v.head_hash = Some(prev);
        v.first_ts_ms.get_or_insert(content.ts_ms);
        v.last_ts_ms = Some(content.ts_ms);
        offset = frame_end;
        v.intact_len = offset;
        if anchor.is_some_and(|a| a.records == v.records) {
            hash_at_anchor = Some(prev);
        }
    }
    if v.problem.is_none()
        && let Some(a) = anchor
    {
        if v.journal.as_deref() != Some(a.journal.as_str()) {
            v.problem = problem(0, 0, ProblemKind::Replaced);
        } else if v.records < a.records {
            v.problem = problem(
                v.records,
                v.intact_len,
                ProblemKind::EndsBeforeAnchor {
                    anchored: a.records,
                },
            );
        } else if !hash_at_anchor
            .map(hex::encode)
            .is_some_and(|h| h == a.hash || a.previous_hash.as_deref() == Some(h.as_str()))
        {
            v.problem = problem(0, 0, ProblemKind::Replaced);
        }
    }
    v
}

/// [`walk`] without looking at the records.
pub fn verify_file(path: &Path, key: &AuditKey, anchor: Option<&Head>) -> Verification {
    walk(path, key, anchor, |_| {})
}

/// The intact records, in order, and the verification.
pub fn read_records(
    path: &Path,
    key: &AuditKey,
    anchor: Option<&Head>,
) -> (Vec<Record>, Verification) {
    let mut records = Vec::new();
    let v = walk(path, key, anchor, |c| {
        if let Some(entry) = c.entry() {
            records.push(Record {
                seq: c.seq,
                ts_ms: c.ts_ms,
                entry,
            });
        }
    });
    (records, v)
}

/// Reads until `buf` is full or the file ends; how many bytes were read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
