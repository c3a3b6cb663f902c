//! The order journal: every intent is on disk (fsync) before the first byte of its order is
//! sent, and every outcome after it is known. It is read back when the engine opens, so that an
//! order sent just before a crash, a kill or a power cut is resolved with the venue before
//! anything else is sent on its account and symbol.
//!
//! Format: JSON lines, appended one record at a time. An intent is synced to disk (fdatasync)
//! before its order is sent. Outcomes and "unknown" notes are written (to the kernel, which keeps
//! them through a crash of the process) but not synced on their own: the next intent's sync
//! carries them to disk. Only a power cut between an outcome and the next intent can lose an
//! outcome, and a lost outcome costs one more lookup by client order id at the next open, never
//! a duplicate. A crash while a line is being written can leave that last line torn; reading ignores a torn last line (the record being
//! written is lost, which for an intent means its order was never sent). Damage anywhere else
//! is an error: the journal is not guessed at.
//!
//! At open the journal is compacted: the file is rewritten (to a temporary file, synced, renamed
//! over the old one, directory synced) with only the intents that have no outcome yet, so it
//! does not grow with every order ever placed. The permanent record of what happened is the
//! audit trail's business.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rampart_core::trading::{MarginMode, OrderStatus, PositionSide, TriggerBy};
use rampart_core::{OrderType, Side, TimeInForce, Venue};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Everything needed to find an order again and to tell whether it can still arrive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Intent {
    pub client_order_id: String,
    pub account_id: String,
    pub venue: Venue,
    pub symbol: String,
    pub side: Side,
    pub order_type: OrderType,
    pub qty: Decimal,
    pub price: Option<Decimal>,
    pub trigger_price: Option<Decimal>,
    pub time_in_force: Option<TimeInForce>,
    pub reduce_only: bool,
    pub trigger_by: Option<TriggerBy>,
    pub margin_mode: Option<MarginMode>,
    pub position_side: PositionSide,
    /// The venue's time (ms) when the intent was written: the order is signed at or after it.
    pub sent_at_ms: i64,
    /// How long after its timestamp the venue accepts the request (recvWindow, ms).
    pub recv_window_ms: u64,
}

/// How an order ended up, as far as the venue is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The venue has the order.
    Accepted {
        venue_order_id: String,
        status: OrderStatus,
    },
    /// The venue refused it with its own code.
    Rejected {
        venue_code: Option<String>,
        message: String,
    },
    /// The venue does not have it and it can no longer arrive.
    NotPlaced,
    /// Nothing left this machine (validation, rate budget, clock, set-up).
    NotSent { message: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Record {
    Intent(Intent),
    /// The answer was lost (timeout, dropped connection, 5xx, malformed answer): the order may
    /// or may not be at the venue.
    Unknown {
        client_order_id: String,
        reason: String,
    },
    Resolved {
        client_order_id: String,
        #[serde(flatten)]
        outcome: Outcome,
    },
}

/// A record as written: the same wire shape as [`Record`], borrowing instead of cloning.
#[derive(Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum RecordRef<'a> {
    Intent(&'a Intent),
    Unknown {
        client_order_id: &'a str,
        reason: &'a str,
    },
    Resolved {
        client_order_id: &'a str,
        #[serde(flatten)]
        outcome: &'a Outcome,
    },
}

/// Whether a write waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durability {
    /// fdatasync before returning: for intents, which must be on disk before sending.
    Synced,
    /// Handed to the kernel (survives a crash of the process); synced by the next intent.
    Written,
}

/// Why the journal cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("the order journal {path} could not be {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    /// A line other than the last is not a record: the file was damaged or edited.
    #[error("the order journal {path} is damaged at line {line}: {detail}")]
    Damaged {
        path: PathBuf,
        line: usize,
        detail: String,
    },
}

/// An append-only, synced journal of order intents and outcomes.
#[derive(Debug)]
pub struct OrderJournal {
    path: PathBuf,
    file: Mutex<File>,
}

fn io(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> JournalError {
    let path = path.to_owned();
    move |source| JournalError::Io {
        path,
        action,
        source,
    }
}

impl OrderJournal {
    /// Opens (or creates) the journal at `path`, reads it back, compacts it to the intents that
    /// have no outcome yet, and returns those intents in the order they were written.
    pub fn open(path: &Path) -> Result<(Self, Vec<Intent>), JournalError> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io(dir, "created"))?;
        }
        let unresolved = match File::open(path) {
            Ok(file) => read_unresolved(path, file)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io(path, "read")(e)),
        };
        compact(path, &unresolved)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io(path, "opened"))?;
        let journal = OrderJournal {
            path: path.to_owned(),
            file: Mutex::new(file),
        };
        Ok((journal, unresolved.into_iter().map(|(i, _)| i).collect()))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn append(&self, record: &RecordRef<'_>, durability: Durability) -> Result<(), JournalError> {
        let mut line = serde_json::to_vec(record).map_err(|e| JournalError::Io {
            path: self.path.clone(),
            action: "encoded",
            source: std::io::Error::other(e),
        })?;
        line.push(b'\n');
        // A panic while holding the lock cannot leave a half-written record in memory: the
        // record is written in one call and the file is append-only.
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(&line).map_err(io(&self.path, "written"))?;
        match durability {
            Durability::Synced => file.sync_data().map_err(io(&self.path, "synced")),
            Durability::Written => Ok(()),
        }
    }

    /// Records an intent; returns once it (and every record written before it) is on disk.
    pub fn record_intent(&self, intent: &Intent) -> Result<(), JournalError> {
        self.append(&RecordRef::Intent(intent), Durability::Synced)
    }

    /// Records that an order's answer was lost (written; synced with the next intent).
    pub fn record_unknown(&self, client_order_id: &str, reason: &str) -> Result<(), JournalError> {
        self.append(
            &RecordRef::Unknown {
                client_order_id,
                reason,
            },
            Durability::Written,
        )
    }

    /// Records an order's outcome; its intent is then resolved (written; synced with the next
    /// intent).
    pub fn record_outcome(
        &self,
        client_order_id: &str,
        outcome: &Outcome,
    ) -> Result<(), JournalError> {
        self.append(
            &RecordRef::Resolved {
                client_order_id,
                outcome,
            },
            Durability::Written,
        )
    }
}

/// The intents without an outcome, each with the last "unknown" reason seen for it.
fn read_unresolved(path: &Path, file: File) -> Result<Vec<(Intent, Option<String>)>, JournalError> {
    let lines: Vec<String> = BufReader::new(file)
        .lines()
        .collect::<Result<_, _>>()
        .map_err(io(path, "read"))?;
    let mut order: Vec<String> = Vec::new();
    let mut open: HashMap<String, (Intent, Option<String>)> = HashMap::new();
    let last = lines.len().saturating_sub(1);
    for (index, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record: Record = match serde_json::from_str(line) {
            Ok(record) => record,
            // The record being written when the process died: lost, and nothing was sent for it
            // (an intent is synced before sending).
            Err(e) if index == last => {
                tracing::warn!(path = %path.display(), %e, "ignoring a torn last journal line");
                continue;
            }
            Err(e) => {
                return Err(JournalError::Damaged {
                    path: path.to_owned(),
                    line: index + 1,
                    detail: e.to_string(),
                });
            }
        };
        match record {
            Record::Intent(intent) => {
                order.push(intent.client_order_id.clone());
                open.insert(intent.client_order_id.clone(), (intent, None));
            }
            Record::Unknown {
                client_order_id,
                reason,
            } => {
                if let Some(entry) = open.get_mut(&client_order_id) {
                    entry.1 = Some(reason);
                }
            }
            Record::Resolved {
                client_order_id, ..
            } => {
                open.remove(&client_order_id);
            }
        }
    }
    Ok(order
        .into_iter()
        .filter_map(|id| open.remove(&id))
        .collect())
}

/// Rewrites the journal with only `unresolved`, crash-safely: temporary file, sync, rename,
/// directory sync. A crash at any point leaves the old journal or the new one.
fn compact(path: &Path, unresolved: &[(Intent, Option<String>)]) -> Result<(), JournalError> {
    let tmp = path.with_extension("compact.tmp");
    let mut bytes = Vec::new();
    for (intent, unknown) in unresolved {
        let mut records = vec![Record::Intent(intent.clone())];
        if let Some(reason) = unknown {
            records.push(Record::Unknown {
                client_order_id: intent.client_order_id.clone(),
                reason: reason.clone(),
            });
        }
        for record in records {
            serde_json::to_writer(&mut bytes, &record).map_err(|e| JournalError::Io {
                path: tmp.clone(),
                action: "encoded",
                source: std::io::Error::other(e),
            })?;
            bytes.push(b'\n');
        }
    }
    let written = File::create(&tmp).and_then(|mut f| {
        f.write_all(&bytes)?;
        f.sync_all()
    });
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io(&tmp, "written")(e));
    }
    fs::rename(&tmp, path).map_err(io(path, "replaced"))?;
    if let Some(dir) = path.parent() {
        // The rename is durable only once the directory is synced.
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir, "synced"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(id: &str) -> Intent {
        Intent {
            client_order_id: id.into(),
            account_id: "acc1".into(),
            venue: Venue::BinanceUsdm,
            symbol: "BTCUSDT".into(),
            side: Side::Buy,
            order_type: OrderType::Limit,
            qty: Decimal::new(1, 3),
            price: Some(Decimal::from(60_000)),
            trigger_price: None,
            time_in_force: Some(TimeInForce::Gtc),
            reduce_only: false,
            trigger_by: None,
            margin_mode: None,
            position_side: PositionSide::Net,
            sent_at_ms: 1_700_000_000_000,
            recv_window_ms: 5_000,
        }
    }

    #[test]
    fn intents_without_an_outcome_come_back_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.journal");
        {
            let (journal, unresolved) = OrderJournal::open(&path).unwrap();
            assert!(unresolved.is_empty());
            for id in ["a", "b", "c", "d"] {
                journal.record_intent(&intent(id)).unwrap();
            }
            journal.record_unknown("b", "timed out").unwrap();
            journal
                .record_outcome(
                    "a",
                    &Outcome::Accepted {
                        venue_order_id: "1".into(),
                        status: OrderStatus::Open,
                    },
                )
                .unwrap();
            journal
                .record_outcome(
                    "c",
                    &Outcome::NotSent {
                        message: "held".into(),
                    },
                )
                .unwrap();
        }
        let (journal, unresolved) = OrderJournal::open(&path).unwrap();
        let ids: Vec<_> = unresolved
            .iter()
            .map(|i| i.client_order_id.as_str())
            .collect();
        assert_eq!(ids, ["b", "d"]);
        assert_eq!(unresolved[0], intent("b"));
        // Compacted: only the two open intents (and b's unknown note) remain on disk.
        let text = fs::read_to_string(journal.path()).unwrap();
        assert_eq!(text.lines().count(), 3, "{text}");
        journal.record_outcome("b", &Outcome::NotPlaced).unwrap();
        drop(journal);
        let (_, unresolved) = OrderJournal::open(&path).unwrap();
        assert_eq!(unresolved.len(), 1);
        assert_eq!(unresolved[0].client_order_id, "d");
    }

    #[test]
    fn a_torn_last_line_is_the_record_being_written_and_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.journal");
        let mut text = serde_json::to_string(&Record::Intent(intent("a"))).unwrap();
        text.push('\n');
        let torn = serde_json::to_string(&Record::Intent(intent("b"))).unwrap();
        text.push_str(&torn[..torn.len() / 2]);
        fs::write(&path, text).unwrap();
        let (_, unresolved) = OrderJournal::open(&path).unwrap();
        assert_eq!(unresolved.len(), 1);
        assert_eq!(unresolved[0].client_order_id, "a");
    }

    #[test]
    fn damage_before_the_last_line_is_refused_not_guessed_at() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.journal");
        let good = serde_json::to_string(&Record::Intent(intent("a"))).unwrap();
        fs::write(&path, format!("{{\"event\":\"intent\",\"oops\n{good}\n")).unwrap();
        match OrderJournal::open(&path) {
            Err(JournalError::Damaged { line: 1, .. }) => {}
            other => panic!("expected damage at line 1, got {other:?}"),
        }
        // Nothing was rewritten: the damaged file is kept for inspection.
        assert!(fs::read_to_string(&path).unwrap().contains("oops"));
    }
}
