//! The audit trail as the UI sees it: its verification, its records, filters and export.
//!
//! Times (ms since the Unix epoch), sequence numbers and counts cross as JSON numbers: they
//! stay far below 2^53.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The kind of event a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum AuditKind {
    /// The app unlocked (with the wrong codes tried since the last unlock).
    Unlock,
    /// The app locked (by the user, the idle timer, or at quit).
    Lock,
    /// A code refused while unlocked (a step-up).
    CodeRefused,
    /// The authenticator set up or moved, a recovery code spent.
    Mfa,
    /// An account added or removed, its key's permissions read.
    Account,
    /// An order the user asked for, before anything is sent.
    OrderIntent,
    /// A signed request sent to a venue: method, path and parameters; of the signature only a
    /// hash, never the key.
    Request,
    /// A venue's answer: status, the venue's code, the order id.
    Answer,
    /// A warning the guard raised.
    Warning,
    /// The circuit breaker tripped or lifted.
    Breaker,
    /// The kill switch pressed, and its report.
    KillSwitch,
    /// A setting changed (idle lock, guard limits, dead man's switch).
    Settings,
    /// The journal itself: started, found broken, exported.
    Audit,
}

impl AuditKind {
    pub const ALL: [AuditKind; 13] = [
        AuditKind::Unlock,
        AuditKind::Lock,
        AuditKind::CodeRefused,
        AuditKind::Mfa,
        AuditKind::Account,
        AuditKind::OrderIntent,
        AuditKind::Request,
        AuditKind::Answer,
        AuditKind::Warning,
        AuditKind::Breaker,
        AuditKind::KillSwitch,
        AuditKind::Settings,
        AuditKind::Audit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::Unlock => "unlock",
            AuditKind::Lock => "lock",
            AuditKind::CodeRefused => "code_refused",
            AuditKind::Mfa => "mfa",
            AuditKind::Account => "account",
            AuditKind::OrderIntent => "order_intent",
            AuditKind::Request => "request",
            AuditKind::Answer => "answer",
            AuditKind::Warning => "warning",
            AuditKind::Breaker => "breaker",
            AuditKind::KillSwitch => "kill_switch",
            AuditKind::Settings => "settings",
            AuditKind::Audit => "audit",
        }
    }
}

/// Whether the journal verified at unlock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum AuditState {
    /// Every record opened, chained and reached the keychain's anchor.
    Intact,
    /// Verification failed: the journal was set aside and a new one started.
    Broken,
    /// The journal could not be opened (the data directory or the keychain failed).
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct AuditStatus {
    pub state: AuditState,
    /// One sentence: how many records verified, or where the chain ends and why.
    pub summary: String,
    /// Records in the journal now.
    #[ts(type = "number")]
    pub records: u64,
    /// When the journal was verified (ms since the Unix epoch).
    #[ts(type = "number")]
    pub verified_at_ms: i64,
    /// The first record that could not be trusted, when broken.
    #[ts(type = "number | null")]
    pub broken_at_record: Option<u64>,
    /// Where the broken journal was kept, when broken.
    pub kept_as: Option<String>,
}

/// Which records to show: all of them by default, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(rename_all = "camelCase")]
pub struct AuditQuery {
    /// From this time (ms since the Unix epoch), inclusive.
    #[ts(optional, type = "number")]
    pub from_ms: Option<i64>,
    /// Up to this time, exclusive.
    #[ts(optional, type = "number")]
    pub to_ms: Option<i64>,
    /// Only this account's records.
    #[ts(optional)]
    pub account: Option<String>,
    /// Only these kinds (all when empty).
    pub kinds: Vec<AuditKind>,
    /// Only records older than this sequence number (the next page).
    #[ts(optional, type = "number")]
    pub before_seq: Option<u64>,
    /// At most this many (default 200, at most 1000); an export takes every match.
    #[ts(optional)]
    pub limit: Option<u32>,
}

/// One record as the viewer shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct AuditRecordView {
    #[ts(type = "number")]
    pub seq: u64,
    #[ts(type = "number")]
    pub ts_ms: i64,
    pub kind: AuditKind,
    pub account: Option<String>,
    pub summary: String,
    /// The particulars (parameters, codes, figures).
    #[ts(type = "Record<string, unknown> | null")]
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct AuditPage {
    /// Newest first.
    pub records: Vec<AuditRecordView>,
    /// How many records match the filters in all.
    #[ts(type = "number")]
    pub matching: u64,
    pub status: AuditStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum AuditFormat {
    Csv,
    Json,
}

/// Where an export was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct AuditExported {
    pub path: String,
    #[ts(type = "number")]
    pub records: u64,
}
