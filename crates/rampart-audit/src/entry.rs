//! What a record says.

use serde::{Deserialize, Serialize};

/// The kind of event, for filtering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The app unlocked (with the wrong codes tried since the last unlock).
    Unlock,
    /// The app locked (by the user, the idle timer, or at quit).
    Lock,
    /// Wrong, replayed or refused codes.
    CodeRefused,
    /// The authenticator set up, moved, or a recovery code spent.
    Mfa,
    /// An account added, removed, or its key's permissions read.
    Account,
    /// An order the user asked for (before anything is sent).
    OrderIntent,
    /// A request sent to a venue: method, path and parameters; of the signature only a hash.
    Request,
    /// A venue's answer: status, the venue's code, the order id.
    Answer,
    /// A warning the guard raised.
    Warning,
    /// The circuit breaker tripped or was lifted.
    Breaker,
    /// The kill switch pressed, and its report.
    KillSwitch,
    /// A setting changed (idle lock, guard limits, dead man's switch).
    Settings,
    /// The journal itself: started, verified, found broken, exported, re-keyed.
    Audit,
}

impl Kind {
    pub const ALL: [Kind; 13] = [
        Kind::Unlock,
        Kind::Lock,
        Kind::CodeRefused,
        Kind::Mfa,
        Kind::Account,
        Kind::OrderIntent,
        Kind::Request,
        Kind::Answer,
        Kind::Warning,
        Kind::Breaker,
        Kind::KillSwitch,
        Kind::Settings,
        Kind::Audit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Unlock => "unlock",
            Kind::Lock => "lock",
            Kind::CodeRefused => "code_refused",
            Kind::Mfa => "mfa",
            Kind::Account => "account",
            Kind::OrderIntent => "order_intent",
            Kind::Request => "request",
            Kind::Answer => "answer",
            Kind::Warning => "warning",
            Kind::Breaker => "breaker",
            Kind::KillSwitch => "kill_switch",
            Kind::Settings => "settings",
            Kind::Audit => "audit",
        }
    }
}

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
