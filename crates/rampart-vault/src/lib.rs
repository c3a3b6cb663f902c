//! Rampart's vault: the OS keychain, local MFA (TOTP, recovery codes, brute-force and replay
//! protection), the at-rest data key and exchange credentials.
//!
//! Every entry Rampart writes lives under a service name that starts with the build kind's
//! namespace (`rampart` for release builds, `rampart-dev` for debug builds), so a development
//! build can never read or overwrite a release build's secrets:
//! `<ns>.vault` holds the TOTP seed, recovery-code hashes, unlock guard and data key;
//! `<ns>.account.<id>` holds one account's credentials; `<ns>.probe` is the start-up probe's.

pub mod credentials;
pub mod guard;
mod keychain;
pub mod recovery;
pub mod sealed;
mod secret;
pub mod store;
pub mod totp;
mod vault;

pub use credentials::{CredentialError, Credentials};
pub use keychain::{Keychain, VaultError};
pub use secret::SecretString;
pub use store::{MemoryStore, SecretStore};
pub use vault::{CodeError, DataKey, Enrolment, Vault};
