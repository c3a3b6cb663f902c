//! Where the vault keeps secrets: the OS keychain in the app, a map in unit tests of pure logic.

use std::collections::HashMap;
use std::sync::Mutex;

use zeroize::Zeroizing;

use crate::VaultError;

/// A keychain-like store of string secrets addressed by (service, user).
pub trait SecretStore: Send + Sync {
    /// The value, or `None` if there is no such entry.
    fn get(&self, service: &str, user: &str) -> Result<Option<Zeroizing<String>>, VaultError>;
    fn set(&self, service: &str, user: &str, value: &str) -> Result<(), VaultError>;
    /// Removes the entry; removing a missing entry succeeds.
    fn delete(&self, service: &str, user: &str) -> Result<(), VaultError>;
}

/// An in-memory store for unit tests of the vault's logic (the keychain itself is tested against
/// the real Secret Service in tests/keychain.rs and end to end).
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<(String, String), Zeroizing<String>>>,
}

impl MemoryStore {
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Zeroizing<String>>> {
        // A poisoned map still holds consistent entries: each operation is a single insert/remove.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, service: &str, user: &str) -> Result<Option<Zeroizing<String>>, VaultError> {
        Ok(self.lock().get(&(service.into(), user.into())).cloned())
    }

    fn set(&self, service: &str, user: &str, value: &str) -> Result<(), VaultError> {
        self.lock()
            .insert((service.into(), user.into()), Zeroizing::new(value.into()));
        Ok(())
    }

    fn delete(&self, service: &str, user: &str) -> Result<(), VaultError> {
        self.lock().remove(&(service.into(), user.into()));
        Ok(())
    }
}
