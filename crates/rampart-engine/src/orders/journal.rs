//! The order journal: every intent is on disk (fsync) before the first byte of its order is
//! sent, and every outcome after it is known. It is read back when the engine opens, so that an
//! order sent just before a crash, a kill or a power cut is resolved with the venue before
//! anything else is sent on its account and symbol.
//!
//! Format: one line per record, sealed under the data key: `S`, then base64 of a random
//! 96-bit nonce and the record's JSON encrypted with AES-256-GCM (a key derived for the order
//! journal, see `rampart_vault::sealed::Sealer`), so the file shows no order's symbol, side,
//! size or price, and a changed line is refused. A journal written before sealing (plain JSON
//! lines, every one of them) is read once and rewritten sealed at open. An intent is written and synced to disk (write, then fdatasync) before
//! its order is sent. Outcomes and "unknown" notes are not synced on their own: an outcome is
//! queued in memory and written with the next intent, in the same write and the same sync (one
//! write and one fdatasync per order); an "unknown" note is written to the kernel at once, with
//! any outcomes queued before it. Queued outcomes are also written by [`OrderJournal::flush`] (the
//! engine flushes after a resolver's outcome and when an account is detached) and when the
//! journal is dropped. A crash or a power cut can lose the
//! outcomes queued or written since the last sync; a lost outcome leaves its intent unresolved,
//! which costs one lookup by client order id at the next open, never a duplicate. A crash while
//! a line is being written can leave that last line torn; reading ignores a torn last line (the
//! record being written is lost, which for an intent means its order was never sent). Damage
//! anywhere else is an error: the journal is not guessed at.
//!
//! The journal counts the time it spends in its write and fdatasync calls
//! ([`OrderJournal::disk_time`]): how long orders waited for the disk.
//!
//! At open the journal is compacted: the file is rewritten (to a temporary file, synced, renamed
//! over the old one, directory synced) with only the intents that have no outcome yet, so it
//! does not grow with every order ever placed. The permanent record of what happened is the
//! audit trail's business.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine as _;
use rampart_core::trading::{MarginMode, OrderStatus, PositionSide, TriggerBy};
use rampart_core::{OrderType, Side, TimeInForce, Venue};
use rampart_vault::DataKey;
use rampart_vault::sealed::Sealer;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

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
#[derive(Debug, Clone, Copy)]
enum RecordRef<'a> {
    Intent(&'a Intent),
    Unknown {
        client_order_id: &'a str,
        reason: &'a str,
    },
    Resolved {
        client_order_id: &'a str,
        outcome: &'a Outcome,
    },
}

/// `s` as a JSON string, escaped as serde_json escapes it: copied as it is when nothing in it
/// needs escaping (no quote, backslash or control character), else through serde_json.
fn push_json_str(out: &mut Vec<u8>, s: &str) -> serde_json::Result<()> {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        Ok(())
    } else {
        serde_json::to_writer(out, s)
    }
}

/// A value as serde writes it (enums by their serde names, decimals as strings, numbers).
fn push_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> serde_json::Result<()> {
    serde_json::to_writer(out, value)
}

impl RecordRef<'_> {
    /// The record as one JSON object, exactly as serde_json writes [`Record`] (the reader
    /// parses it with serde; a test holds the two to the same bytes), written field by field
    /// into `out` without building any intermediate value.
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        match *self {
            RecordRef::Intent(i) => {
                out.extend_from_slice(br#"{"event":"intent","clientOrderId":"#);
                push_json_str(out, &i.client_order_id)?;
                out.extend_from_slice(br#","accountId":"#);
                push_json_str(out, &i.account_id)?;
                out.extend_from_slice(br#","venue":"#);
                push_json(out, &i.venue)?;
                out.extend_from_slice(br#","symbol":"#);
                push_json_str(out, &i.symbol)?;
                out.extend_from_slice(br#","side":"#);
                push_json(out, &i.side)?;
                out.extend_from_slice(br#","orderType":"#);
                push_json(out, &i.order_type)?;
                out.extend_from_slice(br#","qty":"#);
                push_json(out, &i.qty)?;
                out.extend_from_slice(br#","price":"#);
                push_json(out, &i.price)?;
                out.extend_from_slice(br#","triggerPrice":"#);
                push_json(out, &i.trigger_price)?;
                out.extend_from_slice(br#","timeInForce":"#);
                push_json(out, &i.time_in_force)?;
                out.extend_from_slice(br#","reduceOnly":"#);
                out.extend_from_slice(if i.reduce_only { b"true" } else { b"false" });
                out.extend_from_slice(br#","triggerBy":"#);
                push_json(out, &i.trigger_by)?;
                out.extend_from_slice(br#","marginMode":"#);
                push_json(out, &i.margin_mode)?;
                out.extend_from_slice(br#","positionSide":"#);
                push_json(out, &i.position_side)?;
                out.extend_from_slice(br#","sentAtMs":"#);
                push_json(out, &i.sent_at_ms)?;
                out.extend_from_slice(br#","recvWindowMs":"#);
                push_json(out, &i.recv_window_ms)?;
            }
            RecordRef::Unknown {
                client_order_id,
                reason,
            } => {
                out.extend_from_slice(br#"{"event":"unknown","client_order_id":"#);
                push_json_str(out, client_order_id)?;
                out.extend_from_slice(br#","reason":"#);
                push_json_str(out, reason)?;
            }
            RecordRef::Resolved {
                client_order_id,
                outcome,
            } => {
                out.extend_from_slice(br#"{"event":"resolved","client_order_id":"#);
                push_json_str(out, client_order_id)?;
                match outcome {
                    Outcome::Accepted {
                        venue_order_id,
                        status,
                    } => {
                        out.extend_from_slice(br#","outcome":"accepted","venue_order_id":"#);
                        push_json_str(out, venue_order_id)?;
                        out.extend_from_slice(br#","status":"#);
                        push_json(out, status)?;
                    }
                    Outcome::Rejected {
                        venue_code,
                        message,
                    } => {
                        out.extend_from_slice(br#","outcome":"rejected","venue_code":"#);
                        match venue_code {
                            Some(code) => push_json_str(out, code)?,
                            None => out.extend_from_slice(b"null"),
                        }
                        out.extend_from_slice(br#","message":"#);
                        push_json_str(out, message)?;
                    }
                    Outcome::NotPlaced => {
                        out.extend_from_slice(br#","outcome":"not_placed""#);
                    }
                    Outcome::NotSent { message } => {
                        out.extend_from_slice(br#","outcome":"not_sent","message":"#);
                        push_json_str(out, message)?;
                    }
                }
            }
        }
        out.push(b'}');
        Ok(())
    }
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
    state: Mutex<State>,
    /// Nanoseconds spent in write(2) and in fdatasync(2), for [`OrderJournal::disk_time`].
    write_nanos: AtomicU64,
    sync_nanos: AtomicU64,
}

/// The open file and the records not yet handed to it, under one lock.
#[derive(Debug)]
struct State {
    file: File,
    /// The key the records are sealed under (replaced by a data key rotation).
    sealer: Sealer,
    /// Encoded records not written yet: outcomes queued since the last write, then (while an
    /// intent or a note is being written) that record. Reused, so encoding allocates nothing.
    queued: Vec<u8>,
    /// The file's length as written by this journal: a write that fails partway is cut back to
    /// it, so a torn record never ends up before later ones.
    len: u64,
}

/// Time the journal has spent waiting for its file, since it was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiskTime {
    /// In write(2): records handed to the kernel.
    pub write: Duration,
    /// In fdatasync(2): intents (and what was written before them) made durable.
    pub sync: Duration,
}

impl DiskTime {
    /// Write and fdatasync together.
    pub fn total(&self) -> Duration {
        self.write + self.sync
    }
}

fn nanos_between(before: Instant, after: Instant) -> u64 {
    u64::try_from(after.duration_since(before).as_nanos()).unwrap_or(u64::MAX)
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
    ///
    /// `key`: the data key; the records are sealed under a key derived from it.
    pub fn open(path: &Path, key: &DataKey) -> Result<(Self, Vec<Intent>), JournalError> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io(dir, "created"))?;
        }
        let sealer = Sealer::new(key, SEAL_PURPOSE);
        let unresolved = match File::open(path) {
            Ok(file) => read_unresolved(path, file, &sealer)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io(path, "read")(e)),
        };
        compact(path, &unresolved, &sealer)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io(path, "opened"))?;
        let len = file.metadata().map_err(io(path, "read"))?.len();
        let journal = OrderJournal {
            path: path.to_owned(),
            state: Mutex::new(State {
                file,
                sealer,
                queued: Vec::with_capacity(4096),
                len,
            }),
            write_nanos: AtomicU64::new(0),
            sync_nanos: AtomicU64::new(0),
        };
        Ok((journal, unresolved.into_iter().map(|(i, _)| i).collect()))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Seals the open journal again under `new` (a data key rotation): what is queued is written
    /// first, then the file is rewritten (see [`rekey_file`]) and its records are sealed under
    /// `new` from then on. Orders wait for the lock meanwhile.
    pub fn rekey(&self, old: &DataKey, new: &DataKey) -> Result<(), JournalError> {
        let mut state = self.state();
        let keep_from = state.queued.len();
        self.write_queued(&mut state, keep_from, Durability::Synced)?;
        rekey_file(&self.path, old, new)?;
        state.file = OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(io(&self.path, "opened"))?;
        state.len = state.file.metadata().map_err(io(&self.path, "read"))?.len();
        state.sealer = Sealer::new(new, SEAL_PURPOSE);
        Ok(())
    }

    /// Every record of the journal at `path`, opened with `key`, as JSON (for inspection and
    /// tests; a torn last line is left out).
    pub fn read_all(path: &Path, key: &DataKey) -> Result<Vec<serde_json::Value>, JournalError> {
        let text = fs::read_to_string(path).map_err(io(path, "read"))?;
        let (records, _) = parse_records(path, &text, &Sealer::new(key, SEAL_PURPOSE))?;
        Ok(records
            .iter()
            .map(|r| serde_json::to_value(r).unwrap_or_default())
            .collect())
    }

    /// The time spent in write(2) and fdatasync(2) since the journal was opened: how long
    /// orders waited for the disk.
    pub fn disk_time(&self) -> DiskTime {
        DiskTime {
            write: Duration::from_nanos(self.write_nanos.load(Ordering::Relaxed)),
            sync: Duration::from_nanos(self.sync_nanos.load(Ordering::Relaxed)),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is changed only by whole records (encoded, then written or cut back), so a
        // panic while holding the lock cannot leave half a record in it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Encodes `record` after the queued records, as one sealed line.
    fn encode(&self, state: &mut State, record: &RecordRef<'_>) -> Result<(), JournalError> {
        let mut json = Zeroizing::new(Vec::with_capacity(512));
        if let Err(e) = record.write_json(&mut json) {
            return Err(JournalError::Io {
                path: self.path.clone(),
                action: "encoded",
                source: std::io::Error::other(e),
            });
        }
        let State { sealer, queued, .. } = state;
        seal_line(sealer, &json, queued);
        Ok(())
    }

    /// Writes everything queued in one write(2) (and, for [`Durability::Synced`], syncs it).
    /// When the write fails, the file is cut back to its length before it and the records
    /// queued before `keep_from` stay queued (the record from `keep_from` on is dropped).
    fn write_queued(
        &self,
        state: &mut State,
        keep_from: usize,
        durability: Durability,
    ) -> Result<(), JournalError> {
        // One clock read before the write, one between the write and the sync, one after.
        let mut started = None;
        if !state.queued.is_empty() {
            let before = Instant::now();
            let written = state.file.write_all(&state.queued);
            let after = Instant::now();
            self.write_nanos
                .fetch_add(nanos_between(before, after), Ordering::Relaxed);
            started = Some(after);
            if let Err(e) = written {
                // Best effort: a partial record cut off here cannot sit before later ones. Should
                // the cut fail too, the next open reports the damage rather than guessing.
                let _ = state.file.set_len(state.len);
                state.queued.truncate(keep_from);
                return Err(io(&self.path, "written")(e));
            }
            state.len += state.queued.len() as u64;
            state.queued.clear();
        }
        match durability {
            Durability::Synced => {
                let before = started.unwrap_or_else(Instant::now);
                let synced = state.file.sync_data();
                self.sync_nanos
                    .fetch_add(nanos_between(before, Instant::now()), Ordering::Relaxed);
                synced.map_err(io(&self.path, "synced"))
            }
            Durability::Written => Ok(()),
        }
    }

    /// Appends `record` now, with the outcomes queued before it, in one write.
    fn append(&self, record: &RecordRef<'_>, durability: Durability) -> Result<(), JournalError> {
        let mut state = self.state();
        let keep_from = state.queued.len();
        self.encode(&mut state, record)?;
        self.write_queued(&mut state, keep_from, durability)
    }

    /// Records an intent; returns once it (and every record queued or written before it) is on
    /// disk: one write and one fdatasync.
    pub fn record_intent(&self, intent: &Intent) -> Result<(), JournalError> {
        self.append(&RecordRef::Intent(intent), Durability::Synced)
    }

    /// Records that an order's answer was lost (written now, with the outcomes queued before
    /// it; synced with the next intent).
    pub fn record_unknown(&self, client_order_id: &str, reason: &str) -> Result<(), JournalError> {
        self.append(
            &RecordRef::Unknown {
                client_order_id,
                reason,
            },
            Durability::Written,
        )
    }

    /// Records an order's outcome; its intent is then resolved. Queued: written with the next
    /// intent (or note), at [`OrderJournal::flush`], or when the journal is dropped.
    pub fn record_outcome(
        &self,
        client_order_id: &str,
        outcome: &Outcome,
    ) -> Result<(), JournalError> {
        let mut state = self.state();
        self.encode(
            &mut state,
            &RecordRef::Resolved {
                client_order_id,
                outcome,
            },
        )
    }

    /// Writes the queued outcomes now (to the kernel, which keeps them through a crash of the
    /// process; synced with the next intent).
    pub fn flush(&self) -> Result<(), JournalError> {
        let mut state = self.state();
        let keep_from = state.queued.len();
        self.write_queued(&mut state, keep_from, Durability::Written)
    }

    /// How many bytes of records are queued, not yet written.
    pub fn queued_bytes(&self) -> usize {
        self.state().queued.len()
    }
}

impl Drop for OrderJournal {
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            // The outcomes are lost; their intents are looked up again at the next open.
            tracing::warn!(%e, "could not write the queued order outcomes at close");
        }
    }
}

/// The intents without an outcome, each with the last "unknown" reason seen for it.
/// The journal's records as read from `text`, and whether it was written before sealing
/// (every line plain JSON; a plain line among sealed ones is damage). Every record is written
/// with its newline: a last line without one is the record being written when the process
/// died, and is left out. A whole line that does not open is damage, even the last.
fn parse_records(
    path: &Path,
    text: &str,
    sealer: &Sealer,
) -> Result<(Vec<Record>, bool), JournalError> {
    let torn_possible = !text.is_empty() && !text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let plain = lines
        .iter()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.trim_start().starts_with('{'));
    let last = lines.len().saturating_sub(1);
    let mut records = Vec::with_capacity(lines.len());
    for (index, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed = if plain {
            serde_json::from_str(line).map_err(|e| e.to_string())
        } else {
            open_line(sealer, line)
        };
        match parsed {
            Ok(record) => records.push(record),
            // The record being written when the process died: lost, and nothing was sent for it
            // (an intent is synced before sending).
            Err(e) if index == last && torn_possible => {
                tracing::warn!(path = %path.display(), %e, "ignoring a torn last journal line");
            }
            Err(detail) => {
                return Err(JournalError::Damaged {
                    path: path.to_owned(),
                    line: index + 1,
                    detail,
                });
            }
        }
    }
    Ok((records, plain))
}

fn read_unresolved(
    path: &Path,
    file: File,
    sealer: &Sealer,
) -> Result<Vec<(Intent, Option<String>)>, JournalError> {
    let mut text = String::new();
    BufReader::new(file)
        .read_to_string(&mut text)
        .map_err(io(path, "read"))?;
    let (records, plain) = parse_records(path, &text, sealer)?;
    if plain {
        tracing::info!(path = %path.display(), "an order journal from before sealing: read once, rewritten sealed");
    }
    Ok(unresolved(records))
}

/// The intents without an outcome among `records`, in the order they were written, each with
/// the last "unknown" reason seen for it.
fn unresolved(records: Vec<Record>) -> Vec<(Intent, Option<String>)> {
    let mut order: Vec<String> = Vec::new();
    let mut open: HashMap<String, (Intent, Option<String>)> = HashMap::new();
    for record in records {
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
    order
        .into_iter()
        .filter_map(|id| open.remove(&id))
        .collect()
}

/// Rewrites the journal with only `unresolved`, crash-safely: temporary file, sync, rename,
/// directory sync. A crash at any point leaves the old journal or the new one.
fn compact(
    path: &Path,
    unresolved: &[(Intent, Option<String>)],
    sealer: &Sealer,
) -> Result<(), JournalError> {
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
            let json =
                Zeroizing::new(serde_json::to_vec(&record).map_err(|e| JournalError::Io {
                    path: tmp.clone(),
                    action: "encoded",
                    source: std::io::Error::other(e),
                })?);
            seal_line(sealer, &json, &mut bytes);
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

/// Seals the journal at `path` again under `new`: its open intents, read with `old`, are
/// written sealed under `new` to a file beside it, which replaces it (synced, renamed, the
/// directory synced). At every moment the file opens whole under one key or the other; a file
/// already under `new` (a rotation cut short after this step) is left as it is.
pub fn rekey_file(path: &Path, old: &DataKey, new: &DataKey) -> Result<(), JournalError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(path, "read")(e)),
    };
    let new_sealer = Sealer::new(new, SEAL_PURPOSE);
    if let Ok((_, false)) = parse_records(path, &text, &new_sealer) {
        return Ok(());
    }
    let (records, _) = parse_records(path, &text, &Sealer::new(old, SEAL_PURPOSE))?;
    compact(path, &unresolved(records), &new_sealer)
}

/// The purpose the journal's key is derived for (and bound into every line).
const SEAL_PURPOSE: &str = "orders.journal";

/// `json` sealed as one line: `S`, base64 of nonce and ciphertext, newline.
fn seal_line(sealer: &Sealer, json: &[u8], out: &mut Vec<u8>) {
    let mut sealed = Vec::with_capacity(json.len() + 28);
    sealer.seal_into(json, &mut sealed);
    out.push(b'S');
    let start = out.len();
    out.resize(
        start + base64::encoded_len(sealed.len(), true).unwrap_or(0),
        0,
    );
    let written = base64::engine::general_purpose::STANDARD
        .encode_slice(&sealed, &mut out[start..])
        .unwrap_or(0);
    out.truncate(start + written);
    out.push(b'\n');
}

/// One sealed line opened and parsed; `Err` says why not (changed, torn, not a record).
fn open_line(sealer: &Sealer, line: &str) -> Result<Record, String> {
    let body = line
        .strip_prefix('S')
        .ok_or_else(|| "not a sealed record".to_owned())?;
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(body.trim_end())
        .map_err(|e| format!("not a sealed record ({e})"))?;
    let json = sealer
        .open(&sealed)
        .map_err(|e| format!("the record does not open: {e}"))?;
    serde_json::from_slice(&json).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> DataKey {
        DataKey::from_bytes([9; 32])
    }

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
            let (journal, unresolved) = OrderJournal::open(&path, &key()).unwrap();
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
        let (journal, unresolved) = OrderJournal::open(&path, &key()).unwrap();
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
        let (_, unresolved) = OrderJournal::open(&path, &key()).unwrap();
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
        let (_, unresolved) = OrderJournal::open(&path, &key()).unwrap();
        assert_eq!(unresolved.len(), 1);
        assert_eq!(unresolved[0].client_order_id, "a");
    }

    #[test]
    fn damage_before_the_last_line_is_refused_not_guessed_at() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.journal");
        let good = serde_json::to_string(&Record::Intent(intent("a"))).unwrap();
        fs::write(&path, format!("{{\"event\":\"intent\",\"oops\n{good}\n")).unwrap();
        match OrderJournal::open(&path, &key()) {
            Err(JournalError::Damaged { line: 1, .. }) => {}
            other => panic!("expected damage at line 1, got {other:?}"),
        }
        // Nothing was rewritten: the damaged file is kept for inspection.
        assert!(fs::read_to_string(&path).unwrap().contains("oops"));
    }

    /// The journal's records, each line opened and shown as its JSON.
    #[test]
    fn lines_are_sealed_a_changed_one_is_refused_and_a_plain_journal_is_sealed_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.journal");
        let (journal, _) = OrderJournal::open(&path, &key()).unwrap();
        journal.record_intent(&intent("a")).unwrap();
        journal.record_intent(&intent("b")).unwrap();
        drop(journal);
        let text = fs::read_to_string(&path).unwrap();
        for needle in ["BTCUSDT", "acc1", "60000", "intent"] {
            assert!(!text.contains(needle), "{needle} in {text}");
        }
        assert!(text.lines().all(|l| l.starts_with('S')));

        // A character changed in the first line, or in the last whole one: refused.
        for line in [0, 1] {
            let mut changed: Vec<String> = text.lines().map(str::to_owned).collect();
            let mut chars: Vec<char> = changed[line].chars().collect();
            chars[10] = if chars[10] == 'A' { 'B' } else { 'A' };
            changed[line] = chars.into_iter().collect();
            fs::write(&path, changed.join("\n") + "\n").unwrap();
            match OrderJournal::open(&path, &key()) {
                Err(JournalError::Damaged { line: l, .. }) => assert_eq!(l, line + 1),
                other => panic!("line {line}: expected damage, got {other:?}"),
            }
        }
        // Under another key nothing opens, and nothing is dropped as if torn.
        fs::write(&path, &text).unwrap();
        assert!(matches!(
            OrderJournal::open(&path, &DataKey::from_bytes([1; 32])),
            Err(JournalError::Damaged { line: 1, .. })
        ));
        let (_, unresolved) = OrderJournal::open(&path, &key()).unwrap();
        assert_eq!(unresolved, vec![intent("a"), intent("b")]);

        // A journal from before sealing: read, and rewritten sealed.
        let plain = format!(
            "{}\n",
            serde_json::to_string(&Record::Intent(intent("p"))).unwrap()
        );
        fs::write(&path, plain).unwrap();
        let (_, unresolved) = OrderJournal::open(&path, &key()).unwrap();
        assert_eq!(unresolved, vec![intent("p")]);
        let rewritten = fs::read_to_string(&path).unwrap();
        assert!(rewritten.starts_with('S') && !rewritten.contains("BTCUSDT"));
        // A plain line among sealed ones is not a record.
        fs::write(
            &path,
            format!(
                "{}{}\n",
                rewritten,
                serde_json::to_string(&Record::Intent(intent("x"))).unwrap()
            ),
        )
        .unwrap();
        assert!(matches!(
            OrderJournal::open(&path, &key()),
            Err(JournalError::Damaged { line: 2, .. })
        ));
    }

    fn lines(path: &Path) -> Vec<String> {
        let sealer = Sealer::new(&key(), SEAL_PURPOSE);
        fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|line| serde_json::to_string(&open_line(&sealer, line).unwrap()).unwrap())
            .collect()
    }

    fn accepted(id: &str) -> Outcome {
        Outcome::Accepted {
            venue_order_id: id.into(),
            status: OrderStatus::Filled,
        }
    }

    #[test]
    fn outcomes_ride_with_the_next_intent_and_are_written_at_flush_and_at_close() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.journal");
        let (journal, _) = OrderJournal::open(&path, &key()).unwrap();
        journal.record_intent(&intent("a")).unwrap();
        journal.record_outcome("a", &accepted("1")).unwrap();
        assert_eq!(
            lines(&path).len(),
            1,
            "the outcome waits for the next write"
        );
        assert!(journal.queued_bytes() > 0);
        journal.record_intent(&intent("b")).unwrap();
        let written = lines(&path);
        assert_eq!(written.len(), 3, "one write: a's outcome, then b");
        assert!(written[1].contains("\"resolved\"") && written[1].contains("\"a\""));
        assert!(written[2].contains("\"intent\"") && written[2].contains("\"b\""));
        assert_eq!(journal.queued_bytes(), 0);

        journal.record_outcome("b", &accepted("2")).unwrap();
        journal.flush().unwrap();
        assert_eq!(lines(&path).len(), 4, "flushed");
        journal.flush().unwrap();
        assert_eq!(lines(&path).len(), 4, "nothing queued, nothing written");

        journal.record_intent(&intent("c")).unwrap();
        journal.record_outcome("c", &accepted("3")).unwrap();
        drop(journal);
        assert_eq!(lines(&path).len(), 6, "written at close");
        let (_, unresolved) = OrderJournal::open(&path, &key()).unwrap();
        assert!(unresolved.is_empty(), "{unresolved:?}");
    }

    #[test]
    fn a_note_is_written_at_once_with_the_outcomes_queued_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.journal");
        let (journal, _) = OrderJournal::open(&path, &key()).unwrap();
        journal.record_intent(&intent("a")).unwrap();
        journal.record_intent(&intent("b")).unwrap();
        journal.record_outcome("a", &accepted("1")).unwrap();
        journal.record_unknown("b", "timed out").unwrap();
        let written = lines(&path);
        assert_eq!(written.len(), 4, "{written:?}");
        assert!(written[2].contains("\"resolved\""));
        assert!(written[3].contains("\"unknown\""));
        // A crash now (no close): b is still to be resolved, with its note.
        std::mem::forget(journal);
        let (_, unresolved) = OrderJournal::open(&path, &key()).unwrap();
        assert_eq!(unresolved, vec![intent("b")]);
    }

    /// A crash after the order's intent and before its outcome reached the file (queued, or
    /// never recorded): the intent comes back unresolved, to be looked up with the venue.
    #[test]
    fn a_crash_between_intent_and_outcome_leaves_a_resolvable_intent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.journal");
        let (journal, _) = OrderJournal::open(&path, &key()).unwrap();
        journal.record_intent(&intent("a")).unwrap();
        journal.record_outcome("a", &accepted("1")).unwrap();
        // The process dies: no destructor runs, the queued outcome is lost.
        std::mem::forget(journal);
        let (journal, unresolved) = OrderJournal::open(&path, &key()).unwrap();
        assert_eq!(unresolved, vec![intent("a")]);
        // Once resolved (and written), it is gone at the next open.
        journal.record_outcome("a", &Outcome::NotPlaced).unwrap();
        drop(journal);
        let (_, unresolved) = OrderJournal::open(&path, &key()).unwrap();
        assert!(unresolved.is_empty(), "{unresolved:?}");
    }

    #[test]
    fn the_time_spent_in_write_and_fdatasync_is_counted() {
        let dir = tempfile::tempdir().unwrap();
        let (journal, _) = OrderJournal::open(&dir.path().join("orders.journal"), &key()).unwrap();
        assert_eq!(journal.disk_time(), DiskTime::default());
        journal.record_intent(&intent("a")).unwrap();
        let first = journal.disk_time();
        assert!(
            first.write > Duration::ZERO && first.sync > Duration::ZERO,
            "{first:?}"
        );
        assert_eq!(first.total(), first.write + first.sync);
        journal.record_outcome("a", &accepted("1")).unwrap();
        assert_eq!(journal.disk_time(), first, "queuing touches no file");
        journal.record_intent(&intent("b")).unwrap();
        let second = journal.disk_time();
        assert!(
            second.write > first.write && second.sync > first.sync,
            "{second:?}"
        );
        journal.flush().unwrap();
        assert_eq!(journal.disk_time(), second, "nothing queued, no write");
    }

    /// Every shape of record is written exactly as serde_json writes it (the reader's format),
    /// including text that needs escaping.
    #[test]
    fn records_are_written_exactly_as_serde_writes_them() {
        let odd = "quote \" back \\ tab \t nl \n ctl \u{1} é";
        let mut intents = vec![intent("a")];
        let mut full = intent(odd);
        full.account_id = odd.into();
        full.symbol = "ETH-USDT-SWAP".into();
        full.side = Side::Sell;
        full.order_type = OrderType::StopLimit;
        full.qty = Decimal::new(-12345, 4);
        full.price = Some(Decimal::new(1, 8));
        full.trigger_price = Some(Decimal::new(615, 1));
        full.time_in_force = Some(TimeInForce::PostOnly);
        full.reduce_only = true;
        full.trigger_by = Some(TriggerBy::Mark);
        full.margin_mode = Some(MarginMode::Isolated);
        full.position_side = PositionSide::Short;
        full.sent_at_ms = -1;
        full.recv_window_ms = u64::MAX;
        intents.push(full);
        let mut bare = intent("b");
        bare.price = None;
        bare.time_in_force = None;
        intents.push(bare);
        let outcomes = [
            accepted("1"),
            accepted(odd),
            Outcome::Rejected {
                venue_code: Some("-2010".into()),
                message: odd.into(),
            },
            Outcome::Rejected {
                venue_code: None,
                message: "refused".into(),
            },
            Outcome::NotPlaced,
            Outcome::NotSent {
                message: "held".into(),
            },
        ];
        let check = |written: RecordRef<'_>, owned: Record| {
            let mut out = Vec::new();
            written.write_json(&mut out).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&owned).unwrap()
            );
        };
        for i in &intents {
            check(RecordRef::Intent(i), Record::Intent(i.clone()));
        }
        for o in &outcomes {
            for id in ["c", odd] {
                check(
                    RecordRef::Resolved {
                        client_order_id: id,
                        outcome: o,
                    },
                    Record::Resolved {
                        client_order_id: id.into(),
                        outcome: o.clone(),
                    },
                );
            }
        }
        check(
            RecordRef::Unknown {
                client_order_id: odd,
                reason: odd,
            },
            Record::Unknown {
                client_order_id: odd.into(),
                reason: odd.into(),
            },
        );
    }
}
