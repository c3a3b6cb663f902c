//! The journal's head, anchored outside the file: in the OS keychain, beside the vault's other
//! entries, where someone who can write the data directory cannot reach it.

use rampart_vault::SecretStore;
use serde::{Deserialize, Serialize};

use crate::AuditError;

/// How far the journal reached: its id, how many records, and the hash of the last one (the
/// header's hash when it has none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub journal: String,
    pub records: u64,
    pub hash: String,
    /// While the journal is being sealed again under a new key: the hash the same records had
    /// under the old one (the file is one or the other until the new one is in place).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_hash: Option<String>,
}

/// Where the head is kept.
pub trait AnchorStore: Send + Sync + 'static {
    fn load(&self) -> Result<Option<Head>, AuditError>;
    fn store(&self, head: &Head) -> Result<(), AuditError>;
}

/// The head as an entry of the keychain (`service`, user `audit-head`).
pub struct KeychainAnchor<S> {
    store: S,
    service: String,
}

const USER: &str = "audit-head";

impl<S: SecretStore> KeychainAnchor<S> {
    pub fn new(store: S, service: impl Into<String>) -> Self {
        KeychainAnchor {
            store,
            service: service.into(),
        }
    }
}

impl<S: SecretStore + 'static> AnchorStore for KeychainAnchor<S> {
    fn load(&self) -> Result<Option<Head>, AuditError> {
        let text = self
            .store
            .get(&self.service, USER)
            .map_err(|e| AuditError::Anchor {
                what: "read",
                detail: e.to_string(),
            })?;
        text.map(|t| {
            serde_json::from_str(&t).map_err(|e| AuditError::Anchor {
                what: "read",
                detail: format!("it is damaged ({e})"),
            })
        })
        .transpose()
    }

    fn store(&self, head: &Head) -> Result<(), AuditError> {
        let text = serde_json::to_string(head).map_err(|e| AuditError::Anchor {
            what: "written",
            detail: e.to_string(),
        })?;
        self.store
            .set(&self.service, USER, &text)
            .map_err(|e| AuditError::Anchor {
                what: "written",
                detail: e.to_string(),
            })
    }
}

impl<A: AnchorStore + ?Sized> AnchorStore for std::sync::Arc<A> {
    fn load(&self) -> Result<Option<Head>, AuditError> {
        (**self).load()
    }

    fn store(&self, head: &Head) -> Result<(), AuditError> {
        (**self).store(head)
    }
}
