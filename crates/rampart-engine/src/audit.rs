//! The desk's audit trail: the journal opened (and verified) at unlock with the data key,
//! closed at lock; what the desk, the order path and the venue connectors record in it; the
//! viewer's reads and the export.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use rampart_audit::{AuditKey, Entry, Journal, KeychainAnchor, Kind, Record, read_records};
use rampart_core::audit::{
    AuditExported, AuditFormat, AuditPage, AuditQuery, AuditRecordView, AuditState, AuditStatus,
};
use rampart_core::{ApiError, ErrorCode};

use crate::Desk;
use crate::clock::Clock;

/// The journal's file in the data directory.
pub const AUDIT_FILE: &str = "audit.journal";
const DEFAULT_PAGE: u32 = 200;
const MAX_PAGE: u32 = 1000;

/// The open journal, shared with whatever records into it (the desk, the venue connectors'
/// wire logs); empty while locked, when there is no key to write with.
pub struct AuditSink {
    journal: RwLock<Option<Arc<Journal>>>,
    clock: Arc<dyn Clock>,
}

impl AuditSink {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Arc<AuditSink> {
        Arc::new(AuditSink {
            journal: RwLock::new(None),
            clock,
        })
    }

    fn journal(&self) -> Option<Arc<Journal>> {
        self.journal
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set(&self, journal: Option<Arc<Journal>>) -> Option<Arc<Journal>> {
        std::mem::replace(
            &mut *self.journal.write().unwrap_or_else(PoisonError::into_inner),
            journal,
        )
    }

    fn now_ms(&self) -> i64 {
        i64::try_from(self.clock.now_millis()).unwrap_or(i64::MAX)
    }

    /// Appends `entry`; `Err` (a message a trader can act on) if it could not be written.
    pub fn try_record(&self, entry: &Entry) -> Result<(), ApiError> {
        self.append(entry, true)
    }

    fn append(&self, entry: &Entry, sync: bool) -> Result<(), ApiError> {
        // Held while appending: a key rotation waits for the append, never the other way.
        let slot = self.journal.read().unwrap_or_else(PoisonError::into_inner);
        let Some(journal) = slot.as_ref() else {
            return Err(ApiError::new(
                ErrorCode::Locked,
                "Rampart is locked: nothing can be recorded in the audit journal.",
            ));
        };
        let appended = if sync {
            journal.append(self.now_ms(), entry)
        } else {
            journal.append_written(self.now_ms(), entry)
        };
        appended.map(drop).map_err(|e| {
            ApiError::new(
                ErrorCode::DataDirUnavailable,
                format!("{e}. Nothing was done: Rampart acts only on what it can record."),
            )
        })
    }

    /// Closes the journal (if open), runs `rewrite` (which seals the file again under another
    /// key), and opens it again with `reopen`; appends wait meanwhile. Should `rewrite` fail,
    /// the journal is opened again with `fallback` (the file is whole under the old key).
    pub(crate) fn rekey(
        &self,
        rewrite: impl FnOnce() -> Result<(), ApiError>,
        reopen: impl Fn(bool) -> Result<Journal, ApiError>,
    ) -> Result<(), ApiError> {
        let mut slot = self.journal.write().unwrap_or_else(PoisonError::into_inner);
        let was_open = slot.take().is_some();
        let rewritten = rewrite();
        if was_open {
            *slot = Some(Arc::new(reopen(rewritten.is_ok())?));
        }
        rewritten
    }

    /// Appends `entry`, logging (not returning) a failure: for what has happened already.
    pub fn record(&self, entry: Entry) {
        self.record_with(entry, true);
    }

    /// [`AuditSink::record`] without waiting for the disk (synced with the next record): for
    /// a request about to be sent, whose intent is on disk already and whose answer is synced.
    pub fn record_written(&self, entry: Entry) {
        self.record_with(entry, false);
    }

    fn record_with(&self, entry: Entry, sync: bool) {
        if self.journal().is_none() {
            return;
        }
        if let Err(e) = self.append(&entry, sync) {
            tracing::warn!(error = %e.message, kind = entry.kind.as_str(), "not recorded in the audit journal");
        }
    }
}

/// Connects a venue connector's requests and answers to the journal, under an account.
pub(crate) struct WireAudit {
    pub(crate) sink: Arc<AuditSink>,
    pub(crate) account: String,
}

impl rampart_venues::wire::WireLog for WireAudit {
    fn sent(&self, request: &rampart_venues::wire::WireRequest<'_>) {
        let params: serde_json::Map<String, serde_json::Value> =
            form_urlencoded::parse(request.params.as_bytes())
                .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
                .collect();
        let signature = request
            .signature
            .map(|s| hex::encode(sha2::Sha256::digest(s.as_bytes())));
        self.sink.record_written(
            Entry::new(
                Kind::Request,
                format!("{} {}", request.method, request.path),
            )
            .account(&self.account)
            .detail(serde_json::json!({
                "method": request.method,
                "path": request.path,
                "params": params,
                "signatureSha256": signature,
            })),
        );
    }

    fn answered(&self, answer: &rampart_venues::wire::WireAnswer<'_>) {
        let summary = match (&answer.venue_code, &answer.order_id) {
            (Some(code), _) => format!(
                "{} {} → {} (venue code {code})",
                answer.method, answer.path, answer.status
            ),
            (None, Some(id)) => format!(
                "{} {} → {} (order {id})",
                answer.method, answer.path, answer.status
            ),
            (None, None) => format!("{} {} → {}", answer.method, answer.path, answer.status),
        };
        self.sink.record(
            Entry::new(Kind::Answer, summary)
                .account(&self.account)
                .detail(serde_json::json!({
                    "method": answer.method,
                    "path": answer.path,
                    "status": answer.status,
                    "venueCode": answer.venue_code,
                    "message": answer.message,
                    "orderId": answer.order_id,
                    "clientOrderId": answer.client_order_id,
                    "orderStatus": answer.order_status,
                })),
        );
    }
}

use sha2::Digest as _;

fn status_of(
    v: &rampart_audit::Verification,
    records: u64,
    now_ms: i64,
    kept: Option<&Path>,
) -> AuditStatus {
    AuditStatus {
        state: if v.is_intact() {
            AuditState::Intact
        } else {
            AuditState::Broken
        },
        summary: v.summary(),
        records,
        verified_at_ms: now_ms,
        broken_at_record: v.problem.as_ref().map(|p| p.record),
        kept_as: kept.map(|p| p.display().to_string()),
    }
}

impl Desk {
    fn audit_path(&self) -> PathBuf {
        self.data_dir.join(AUDIT_FILE)
    }

    fn audit_anchor(&self) -> Arc<KeychainAnchor<rampart_vault::Keychain>> {
        Arc::new(KeychainAnchor::new(
            self.keychain.clone(),
            self.vault.vault_service(),
        ))
    }

    /// Opens the journal with the session's data key, verifying it against the keychain's
    /// anchor; the result is what the viewer and the banner show. A broken journal raises the
    /// guard's warning. Called at unlock.
    pub(crate) fn open_audit(&self, data_key: &rampart_vault::DataKey) {
        let now_ms = self.audit.now_ms();
        let opened = Journal::open(
            &self.audit_path(),
            AuditKey::derive(data_key),
            self.audit_anchor(),
            now_ms,
        );
        let status = match opened {
            Ok(opened) => {
                let mut status = status_of(
                    &opened.verification,
                    opened.journal.records(),
                    now_ms,
                    opened.set_aside.as_deref(),
                );
                if status.state == AuditState::Intact {
                    status.summary = format!("At unlock: {}", status.summary);
                }
                self.audit.set(Some(Arc::new(opened.journal)));
                status
            }
            Err(e) => {
                tracing::error!(error = %e, "the audit journal could not be opened");
                AuditStatus {
                    state: AuditState::Unavailable,
                    summary: format!("{e}."),
                    records: 0,
                    verified_at_ms: now_ms,
                    broken_at_record: None,
                    kept_as: None,
                }
            }
        };
        self.state().audit = Some(status);
    }

    /// Closes the journal (at lock): the anchor catches up, the key goes.
    pub(crate) fn close_audit(&self) {
        drop(self.audit.set(None));
    }

    /// The journal's sink, for the order path and the connectors.
    pub fn audit_sink(&self) -> Arc<AuditSink> {
        Arc::clone(&self.audit)
    }

    /// How the journal verified at this unlock.
    pub fn audit_status(&self) -> Result<AuditStatus, ApiError> {
        self.require_unlocked()?;
        let mut status = self
            .state()
            .audit
            .clone()
            .ok_or_else(crate::session::locked)?;
        if let Some(journal) = self.audit.journal() {
            status.records = journal.records();
        }
        Ok(status)
    }

    /// The records matching `query`, newest first, read back (and checked again) from disk.
    /// The status is the journal's as read now: every record verified again (a journal found
    /// broken at unlock stays reported as such).
    pub fn audit_records(&self, query: &AuditQuery) -> Result<AuditPage, ApiError> {
        let at_unlock = self.audit_status()?;
        let (records, v) = self.read_audit()?;
        let status = if at_unlock.state == AuditState::Intact {
            status_of(&v, v.records, self.audit.now_ms(), None)
        } else {
            AuditStatus {
                records: v.records,
                ..at_unlock
            }
        };
        let limit = query.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize;
        let matching: Vec<&Record> = records.iter().rev().filter(|r| matches(r, query)).collect();
        Ok(AuditPage {
            matching: matching.len() as u64,
            records: matching
                .into_iter()
                .filter(|r| query.before_seq.is_none_or(|b| r.seq < b))
                .take(limit)
                .map(view)
                .collect(),
            status,
        })
    }

    fn read_audit(&self) -> Result<(Vec<Record>, rampart_audit::Verification), ApiError> {
        let key = self.with_data_key(AuditKey::derive)?;
        if let Some(journal) = self.audit.journal() {
            // Everything appended so far is anchored before it is read back.
            let _ = journal.flush_anchor(std::time::Duration::from_secs(2));
        }
        let anchor = rampart_audit::AnchorStore::load(&*self.audit_anchor())
            .map_err(|e| ApiError::new(ErrorCode::KeychainFailure, e.to_string()))?;
        Ok(read_records(&self.audit_path(), &key, anchor.as_ref()))
    }

    /// Writes the records matching `query` (every match, oldest first) to `dir` as CSV or
    /// JSON, after a fresh code; the export itself is recorded.
    pub fn export_audit(
        &self,
        query: &AuditQuery,
        format: AuditFormat,
        code: &str,
        dir: &Path,
    ) -> Result<AuditExported, ApiError> {
        self.step_up(code)?;
        let (records, v) = self.read_audit()?;
        let chosen: Vec<AuditRecordView> = records
            .iter()
            .filter(|r| matches(r, query))
            .map(view)
            .collect();
        let stamp = self.clock.now();
        let (name, text) = match format {
            AuditFormat::Json => (
                format!("rampart-audit-{stamp}.json"),
                serde_json::to_string_pretty(&serde_json::json!({
                    "verification": v.summary(),
                    "intact": v.is_intact(),
                    "records": chosen,
                }))
                .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?,
            ),
            AuditFormat::Csv => (format!("rampart-audit-{stamp}.csv"), to_csv(&chosen)),
        };
        std::fs::create_dir_all(dir).map_err(|e| export_error(dir, &e))?;
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| export_error(&path, &e))?;
        self.audit.record(
            Entry::new(
                Kind::Audit,
                format!("{} records exported to {}", chosen.len(), path.display()),
            )
            .detail(serde_json::json!({
                "format": match format { AuditFormat::Csv => "csv", AuditFormat::Json => "json" },
                "records": chosen.len(),
                "path": path.display().to_string(),
            })),
        );
        Ok(AuditExported {
            path: path.display().to_string(),
            records: chosen.len() as u64,
        })
    }
}

/// "Buy 0.010 BTCUSDT limit 64000.5" from an order ticket's JSON.
pub(crate) fn ticket_summary(ticket: &serde_json::Value) -> String {
    let field = |k: &str| {
        ticket
            .get(k)
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
    };
    let side = match field("side") {
        "buy" => "Buy",
        "sell" => "Sell",
        other => other,
    };
    let mut text = format!(
        "{side} {} {} {}",
        field("qty"),
        field("symbol"),
        field("orderType").replace('_', " ")
    );
    if !field("price").is_empty() {
        text.push_str(&format!(" at {}", field("price")));
    }
    if !field("triggerPrice").is_empty() {
        text.push_str(&format!(", trigger {}", field("triggerPrice")));
    }
    if ticket
        .get("reduceOnly")
        .and_then(serde_json::Value::as_bool)
        == Some(true)
    {
        text.push_str(", reduce-only");
    }
    text
}

/// A record of what the guard did.
pub(crate) fn guard_entry(event: rampart_guard::GuardEvent<'_>) -> Entry {
    use rampart_guard::GuardEvent;
    match event {
        GuardEvent::Warning { warning, .. } => {
            let mut e = Entry::new(Kind::Warning, warning.seen.clone()).detail(serde_json::json!({
                "kind": warning.kind,
                "severity": warning.severity,
                "symbol": warning.symbol,
                "advice": warning.advice,
            }));
            e.account = warning.account.clone();
            e
        }
        GuardEvent::Tripped {
            account, reason, ..
        } => {
            let scope = if account.is_some() {
                "this account"
            } else {
                "every account"
            };
            let mut e = Entry::new(
                Kind::Breaker,
                format!("Trading halted on {scope}: {reason}"),
            )
            .detail(serde_json::json!({ "halted": true, "reason": reason }));
            e.account = account.map(str::to_owned);
            e
        }
        GuardEvent::Resumed { account } => Entry::new(Kind::Breaker, "Trading resumed")
            .account(account)
            .detail(serde_json::json!({ "halted": false })),
    }
}

fn export_error(path: &Path, e: &std::io::Error) -> ApiError {
    ApiError::new(
        ErrorCode::DataDirUnavailable,
        format!(
            "The export could not be written to {}: {e}.",
            path.display()
        ),
    )
}

fn matches(r: &Record, q: &AuditQuery) -> bool {
    q.from_ms.is_none_or(|t| r.ts_ms >= t)
        && q.to_ms.is_none_or(|t| r.ts_ms < t)
        && q.account
            .as_deref()
            .is_none_or(|a| r.entry.account.as_deref() == Some(a))
        && (q.kinds.is_empty() || q.kinds.contains(&r.entry.kind))
}

fn view(r: &Record) -> AuditRecordView {
    AuditRecordView {
        seq: r.seq,
        ts_ms: r.ts_ms,
        kind: r.entry.kind,
        account: r.entry.account.clone(),
        summary: r.entry.summary.clone(),
        detail: r.entry.detail.clone(),
    }
}

/// RFC 4180: every field quoted, quotes doubled; the particulars as one JSON field.
fn to_csv(records: &[AuditRecordView]) -> String {
    fn field(out: &mut String, text: &str) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    }
    let mut out = String::from("seq,time_utc_ms,kind,account,summary,detail\r\n");
    for r in records {
        for (i, text) in [
            r.seq.to_string(),
            r.ts_ms.to_string(),
            r.kind.as_str().to_owned(),
            r.account.clone().unwrap_or_default(),
            r.summary.clone(),
            if r.detail.is_null() {
                String::new()
            } else {
                r.detail.to_string()
            },
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                out.push(',');
            }
            field(&mut out, text);
        }
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_every_field_and_doubles_quotes() {
        let r = AuditRecordView {
            seq: 3,
            ts_ms: 1_900_000_000_123,
            kind: Kind::Settings,
            account: None,
            summary: "Idle lock \"10\" → 5, minutes".into(),
            detail: serde_json::json!({"from": 10, "to": 5}),
        };
        assert_eq!(
            to_csv(&[r]),
            "seq,time_utc_ms,kind,account,summary,detail\r\n\
             \"3\",\"1900000000123\",\"settings\",\"\",\"Idle lock \"\"10\"\" → 5, minutes\",\"{\"\"from\"\":10,\"\"to\"\":5}\"\r\n"
        );
    }
}
