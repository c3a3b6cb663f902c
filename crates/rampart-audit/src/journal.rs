//! Appending to the journal: one writer, each record durable before the call returns, the
//! keychain anchor following in the background.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use rand::RngCore;

use crate::AuditError;
use crate::anchor::{AnchorStore, Head};
use crate::entry::{Entry, Kind};
use crate::format::{self, AuditKey, Hash, ID_LEN};
use crate::verify::{Verification, verify_file};

fn io(path: &Path, what: &'static str) -> impl FnOnce(std::io::Error) -> AuditError {
    let path = path.display().to_string();
    move |source| AuditError::Io { path, what, source }
}

struct Inner {
    file: File,
    path: PathBuf,
    key: AuditKey,
    id: [u8; ID_LEN],
    records: u64,
    prev: Hash,
    len: u64,
    /// Records written since the last fdatasync.
    unsynced: bool,
}

/// The open journal. Appends are serialised; share it behind an `Arc`.
pub struct Journal {
    inner: Mutex<Inner>,
    anchor: Arc<AnchorState>,
    worker: Option<JoinHandle<()>>,
}

/// What [`Journal::open`] found.
pub struct Opened {
    pub journal: Journal,
    /// The journal as found (before anything was appended).
    pub verification: Verification,
    /// Where a journal that failed verification was moved (a new one was started).
    pub set_aside: Option<PathBuf>,
}

#[derive(Default)]
struct AnchorShared {
    pending: Option<Head>,
    anchored: u64,
    failed: Option<String>,
    stop: bool,
}

struct AnchorState {
    shared: Mutex<AnchorShared>,
    changed: Condvar,
}

impl AnchorState {
    fn lock(&self) -> MutexGuard<'_, AnchorShared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Journal {
    /// Opens (or starts) the journal at `path`, verifying it against the anchor first. An
    /// incomplete last record (a crash while writing) is cut off. A journal that fails
    /// verification is moved aside, never written to again, and a new one is started whose
    /// first record says why; the returned verification reports the failure.
    pub fn open(
        path: &Path,
        key: AuditKey,
        anchor: Arc<dyn AnchorStore>,
        now_ms: i64,
    ) -> Result<Opened, AuditError> {
        let found = anchor.load()?;
        let verification = verify_file(path, &key, found.as_ref());
        let mut set_aside = None;
        let inner = if let Some(problem) = &verification.problem {
            if path.exists() {
                let aside = path.with_file_name(format!(
                    "{}.broken-{now_ms}",
                    path.file_name()
                        .map_or("audit.journal".into(), |n| n.to_string_lossy())
                ));
                std::fs::rename(path, &aside).map_err(io(path, "moved aside"))?;
                set_aside = Some(aside);
            }
            tracing::error!(%problem, "the audit journal failed verification; a new one is started");
            Self::create(path, key)?
        } else if verification.journal.is_none() {
            Self::create(path, key)?
        } else {
            Self::reopen(path, key, &verification)?
        };
        let head = Head {
            journal: hex::encode(inner.id),
            records: inner.records,
            hash: hex::encode(inner.prev),
            previous_hash: None,
        };
        // Anchored at once when the head moved (a new journal, a torn record cut off), before
        // anything is appended to it.
        if found.as_ref() != Some(&head) {
            anchor.store(&head)?;
        }
        let state = Arc::new(AnchorState {
            shared: Mutex::new(AnchorShared {
                anchored: head.records,
                ..AnchorShared::default()
            }),
            changed: Condvar::new(),
        });
        let worker = {
            let state = state.clone();
            std::thread::Builder::new()
                .name("audit-anchor".into())
                .spawn(move || anchor_loop(&state, &*anchor))
                .map_err(io(path, "given its anchor thread"))?
        };
        let journal = Journal {
            inner: Mutex::new(inner),
            anchor: state,
            worker: Some(worker),
        };
        if let Some(problem) = &verification.problem {
            let kept = set_aside
                .as_ref()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned());
            journal.append(
                now_ms,
                &Entry::new(
                    Kind::Audit,
                    format!("The previous audit journal failed verification: {problem}"),
                )
                .detail(serde_json::json!({
                    "previousJournal": verification.journal,
                    "intactRecords": verification.records,
                    "keptAs": kept,
                })),
            )?;
        }
        Ok(Opened {
            journal,
            verification,
            set_aside,
        })
    }

    fn create(path: &Path, key: AuditKey) -> Result<Inner, AuditError> {
        let mut id = [0u8; ID_LEN];
        rand::rng().fill_bytes(&mut id);
        let header = format::header(&id);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir, "created"))?;
        }
        // Written beside, then renamed: the journal exists whole with its header, or not at all.
        let tmp = path.with_extension("journal-new");
        {
            let mut f = File::create(&tmp).map_err(io(&tmp, "created"))?;
            f.write_all(&header).map_err(io(&tmp, "written"))?;
            f.sync_all().map_err(io(&tmp, "synced"))?;
        }
        std::fs::rename(&tmp, path).map_err(io(path, "created"))?;
        sync_dir(path);
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(io(path, "opened"))?;
        Ok(Inner {
            file,
            path: path.to_path_buf(),
            key,
            id,
            records: 0,
            prev: format::sha256(&header),
            len: header.len() as u64,
            unsynced: false,
        })
    }

    fn reopen(path: &Path, key: AuditKey, v: &Verification) -> Result<Inner, AuditError> {
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(io(path, "opened"))?;
        if let Some(bytes) = v.torn_tail {
            tracing::warn!(
                bytes,
                "an incomplete last audit record (a write cut short) is cut off"
            );
            file.set_len(v.intact_len)
                .map_err(io(path, "cut to its last whole record"))?;
            file.sync_all().map_err(io(path, "synced"))?;
        }
        let mut id = [0u8; ID_LEN];
        let hex_id = v.journal.as_deref().unwrap_or_default();
        hex::decode_to_slice(hex_id, &mut id).map_err(|e| AuditError::Io {
            path: path.display().to_string(),
            what: "read",
            source: std::io::Error::other(e),
        })?;
        Ok(Inner {
            file,
            path: path.to_path_buf(),
            key,
            id,
            records: v.records,
            prev: v.head_hash.unwrap_or_default(),
            len: v.intact_len,
            unsynced: false,
        })
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends `entry` at `ts_ms`; returns its sequence number once it is on disk
    /// (written and `fdatasync`ed). The anchor follows in the background.
    pub fn append(&self, ts_ms: i64, entry: &Entry) -> Result<u64, AuditError> {
        self.append_with(ts_ms, entry, true)
    }

    /// Appends `entry` to the file without waiting for the disk: written (a crash of the
    /// process loses nothing), made durable by the next [`Journal::append`] or at close. For a
    /// record that precedes, on the same path, one that is synced anyway (a request is
    /// followed by its answer).
    pub fn append_written(&self, ts_ms: i64, entry: &Entry) -> Result<u64, AuditError> {
        self.append_with(ts_ms, entry, false)
    }

    fn append_with(&self, ts_ms: i64, entry: &Entry, sync: bool) -> Result<u64, AuditError> {
        let mut inner = self.inner();
        let seq = inner.records;
        let frame = format::seal_frame(&inner.key, &inner.id, seq, ts_ms, &inner.prev, entry);
        let path = inner.path.clone();
        let written = inner
            .file
            .write_all(&frame)
            .and_then(|()| if sync { inner.file.sync_data() } else { Ok(()) });
        inner.unsynced = !sync;
        if let Err(e) = written {
            // Never leave half a record for the next one to follow.
            let _ = inner.file.set_len(inner.len);
            return Err(io(&path, "appended to")(e));
        }
        inner.prev = format::sha256(&frame);
        inner.records += 1;
        inner.len += frame.len() as u64;
        let head = Head {
            journal: hex::encode(inner.id),
            records: inner.records,
            hash: hex::encode(inner.prev),
            previous_hash: None,
        };
        drop(inner);
        let mut shared = self.anchor.lock();
        shared.pending = Some(head);
        self.anchor.changed.notify_all();
        Ok(seq)
    }

    /// How many records the journal holds.
    pub fn records(&self) -> u64 {
        self.inner().records
    }

    pub fn path(&self) -> PathBuf {
        self.inner().path.clone()
    }

    /// Waits (at most `timeout`) until the keychain anchor has caught up with every append;
    /// `Err` with the reason if it could not be written.
    pub fn flush_anchor(&self, timeout: Duration) -> Result<(), AuditError> {
        let want = self.records();
        let deadline = std::time::Instant::now() + timeout;
        let mut shared = self.anchor.lock();
        while shared.anchored < want {
            if let Some(detail) = shared.failed.take() {
                return Err(AuditError::Anchor {
                    what: "written",
                    detail,
                });
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(AuditError::Anchor {
                    what: "written",
                    detail: "the keychain did not answer in time".into(),
                });
            }
            shared = self
                .anchor
                .changed
                .wait_timeout(shared, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        Ok(())
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        {
            let inner = self.inner();
            if inner.unsynced
                && let Err(e) = inner.file.sync_data()
            {
                tracing::warn!(error = %e, "the audit journal could not be synced at close");
            }
        }
        if let Err(e) = self.flush_anchor(Duration::from_secs(5)) {
            tracing::warn!(error = %e, "the audit anchor is behind the journal at close");
        }
        self.anchor.lock().stop = true;
        self.anchor.changed.notify_all();
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// Writes the newest head to the keychain whenever one is waiting: under a burst of appends
/// only the latest is written.
fn anchor_loop(state: &AnchorState, anchor: &dyn AnchorStore) {
    let mut shared = state.lock();
    loop {
        if let Some(head) = shared.pending.take() {
            drop(shared);
            let result = anchor.store(&head);
            shared = state.lock();
            match result {
                Ok(()) => {
                    shared.anchored = shared.anchored.max(head.records);
                    shared.failed = None;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the audit anchor could not be written");
                    shared.failed = Some(e.to_string());
                    // Tried again with the next append (or this head, if none comes).
                    shared.pending.get_or_insert(head);
                    state.changed.notify_all();
                    if shared.stop {
                        return;
                    }
                    drop(shared);
                    std::thread::sleep(Duration::from_millis(500));
                    shared = state.lock();
                }
            }
            state.changed.notify_all();
            continue;
        }
        if shared.stop {
            return;
        }
        shared = state
            .changed
            .wait(shared)
            .unwrap_or_else(PoisonError::into_inner);
    }
}

/// Seals the journal at `path` again under `new` (a data key rotation), so that a crash at
/// any point leaves a journal that verifies under one key or the other, and calling it again
/// finishes the work: the records (their sequence numbers, times and entries) are written
/// under `new` into a file beside it with the chain made anew; the anchor takes the new head
/// while keeping the old one's hash; the new file replaces the old; then the old hash goes.
/// A journal that does not verify under either key is set aside (as at unlock) and a new one
/// started under `new`.
pub fn rekey_file(
    path: &Path,
    old: &AuditKey,
    new: &AuditKey,
    anchor: &dyn AnchorStore,
    now_ms: i64,
) -> Result<(), AuditError> {
    let head = anchor.load()?;
    if !path.exists() {
        return Ok(());
    }
    // Already under the new key (a rekey cut short after the rename): drop the old hash.
    let done = verify_file(path, new, head.as_ref());
    if done.is_intact() {
        if let Some(h) = head.filter(|h| h.previous_hash.is_some()) {
            anchor.store(&Head {
                previous_hash: None,
                ..h
            })?;
        }
        return Ok(());
    }
    let mut records = Vec::new();
    let found = crate::verify::walk(path, old, head.as_ref(), |c| {
        if let Some(entry) = c.entry() {
            records.push((c.seq, c.ts_ms, entry));
        }
    });
    let (Some(id_hex), true) = (found.journal.clone(), found.is_intact()) else {
        // Neither key opens it whole: kept aside as found, and a new journal begins.
        let aside = path.with_file_name(format!(
            "{}.broken-{now_ms}",
            path.file_name()
                .map_or("audit.journal".into(), |n| n.to_string_lossy())
        ));
        std::fs::rename(path, &aside).map_err(io(path, "moved aside"))?;
        tracing::error!(summary = %found.summary(), "the audit journal did not verify at the key rotation; set aside");
        let started = Journal::create(path, new.clone())?;
        anchor.store(&Head {
            journal: hex::encode(started.id),
            records: 0,
            hash: hex::encode(started.prev),
            previous_hash: None,
        })?;
        return Ok(());
    };
    let mut id = [0u8; ID_LEN];
    hex::decode_to_slice(&id_hex, &mut id).map_err(|e| AuditError::Io {
        path: path.display().to_string(),
        what: "read",
        source: std::io::Error::other(e),
    })?;
    let header = format::header(&id);
    let mut bytes = Vec::with_capacity(header.len() + records.len() * 256);
    bytes.extend_from_slice(&header);
    let mut prev = format::sha256(&header);
    for (seq, ts_ms, entry) in &records {
        let frame = format::seal_frame(new, &id, *seq, *ts_ms, &prev, entry);
        prev = format::sha256(&frame);
        bytes.extend_from_slice(&frame);
    }
    let tmp = path.with_extension("journal-rekey");
    {
        let mut f = File::create(&tmp).map_err(io(&tmp, "created"))?;
        f.write_all(&bytes).map_err(io(&tmp, "written"))?;
        f.sync_all().map_err(io(&tmp, "synced"))?;
    }
    let old_hash = found.head_hash.map(hex::encode);
    anchor.store(&Head {
        journal: id_hex.clone(),
        records: records.len() as u64,
        hash: hex::encode(prev),
        previous_hash: old_hash,
    })?;
    std::fs::rename(&tmp, path).map_err(io(path, "replaced"))?;
    sync_dir(path);
    anchor.store(&Head {
        journal: id_hex,
        records: records.len() as u64,
        hash: hex::encode(prev),
        previous_hash: None,
    })
}

/// Makes a rename durable (Unix: fsync the directory); best effort elsewhere.
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent()
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = path;
}
