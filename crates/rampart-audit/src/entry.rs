//! What a record says.

use serde::{Deserialize, Serialize};

/// The kind of event, for filtering (the same type the viewer filters with).
pub use rampart_core::audit::AuditKind as Kind;

/// One event, as the caller gives it. Never a key, a secret or a whole signature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub kind: Kind,
    /// The account it concerns, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// One line a person reads.
    pub summary: String,
    /// The particulars (parameters, codes, figures), as structured data.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub detail: serde_json::Value,
}

impl Entry {
    pub fn new(kind: Kind, summary: impl Into<String>) -> Entry {
        Entry {
            kind,
            account: None,
            summary: summary.into(),
            detail: serde_json::Value::Null,
        }
    }

    pub fn account(mut self, account: impl Into<String>) -> Entry {
        self.account = Some(account.into());
        self
    }

    pub fn detail(mut self, detail: serde_json::Value) -> Entry {
        self.detail = detail;
        self
    }
}

/// A record read back: its place in the chain, when, and the entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub seq: u64,
    pub ts_ms: i64,
    #[serde(flatten)]
    pub entry: Entry,
}
