//! Data key rotation: every file Rampart seals is sealed again under a new data key, so that
//! whatever point the process dies at, every file still opens (under the old key or the new
//! one, which the keychain holds side by side until the end), and the next unlock finishes
//! the work before anything is read.
//!
//! Order: the new key is stored beside the current one; each sealed file, the order journal
//! and the audit journal are rewritten under it, each whole (a file beside it, synced, renamed
//! over it); then the new key becomes the data key and the old one is deleted. Every step can
//! be run again: a file already under the new key is left as it is.

use std::path::Path;
use std::sync::Arc;

use rampart_audit::{AuditKey, Entry, KeychainAnchor, Kind};
use rampart_core::{ApiError, ErrorCode};
use rampart_vault::DataKey;

use crate::Desk;
use crate::files::{Plain, read_sealed_json, write_sealed_json};

/// Seals the JSON file at `path` under `new` unless it is already: read with `new`, or else
/// with `old` (or plain, from before sealing), and written whole under `new`.
fn rekey_sealed_file(path: &Path, old: &DataKey, new: &DataKey) -> Result<(), ApiError> {
    if !path.exists() || read_sealed_json::<serde_json::Value>(path, new, Plain::Refuse).is_ok() {
        return Ok(());
    }
    match read_sealed_json::<serde_json::Value>(path, old, Plain::Migrate)? {
        Some((value, _)) => write_sealed_json(path, new, &value),
        None => Ok(()),
    }
}

fn journal_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        ErrorCode::DataDirUnavailable,
        format!(
            "{e}. The rotation stops here; every file still opens, and the next unlock finishes it."
        ),
    )
}

impl Desk {
    /// Seals everything again under a new data key, after a fresh code. Orders and other
    /// writes to the data directory wait meanwhile.
    pub fn rotate_data_key(&self, code: &str) -> Result<(), ApiError> {
        self.step_up(code)?;
        let _files = self.files_lock();
        let old = self.session_key()?;
        let new = self.vault.begin_rotation()?;
        self.rekey_everything(&old, &new)?;
        self.finish_rotation()?;
        self.audit.record(Entry::new(
            Kind::Audit,
            "Data key rotated: every file is sealed under a new key, the old one is deleted",
        ));
        tracing::info!("data key rotated");
        Ok(())
    }

    /// A rotation cut short (the process died) is finished at unlock, before any file is read
    /// with the session's key; returns the key to use.
    pub(crate) fn resume_rotation(&self, current: DataKey) -> Result<DataKey, ApiError> {
        let Some(next) = self.vault.pending_rotation()? else {
            return Ok(current);
        };
        tracing::warn!("a data key rotation was cut short; finishing it");
        let _files = self.files_lock();
        self.rekey_everything(&current, &next)?;
        Ok(self.vault.finish_rotation()?)
    }

    fn finish_rotation(&self) -> Result<(), ApiError> {
        let new = self.vault.finish_rotation()?;
        if let Some(session) = self.state().session.as_mut() {
            session.data_key = new;
        }
        Ok(())
    }

    /// Every sealed file, the order journal and the audit journal under `new`; the open
    /// journals (if any) go on under it.
    fn rekey_everything(&self, old: &DataKey, new: &DataKey) -> Result<(), ApiError> {
        for name in crate::SEALED_FILES {
            rekey_sealed_file(&self.data_dir.join(name), old, new)?;
        }
        let engine = self.trading().engine.clone();
        let journal = self.data_dir.join(crate::trading::JOURNAL_FILE);
        match engine {
            Some(engine) => engine.journal().rekey(old, new).map_err(journal_error)?,
            None => crate::orders::rekey_file(&journal, old, new).map_err(journal_error)?,
        }
        let anchor = Arc::new(KeychainAnchor::new(
            self.keychain.clone(),
            self.vault.vault_service(),
        ));
        let now_ms = i64::try_from(self.clock.now_millis()).unwrap_or(i64::MAX);
        let path = self.data_dir.join(crate::audit::AUDIT_FILE);
        self.audit.rekey(
            || {
                rampart_audit::rekey_file(
                    &path,
                    &AuditKey::derive(old),
                    &AuditKey::derive(new),
                    &*anchor,
                    now_ms,
                )
                .map_err(journal_error)
            },
            |rekeyed| {
                let key = if rekeyed { new } else { old };
                rampart_audit::Journal::open(&path, AuditKey::derive(key), anchor.clone(), now_ms)
                    .map(|o| o.journal)
                    .map_err(journal_error)
            },
        )
    }
}
