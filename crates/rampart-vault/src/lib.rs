//! Rampart's vault: the OS keychain, and (as it lands) credentials, TOTP and the at-rest key.
//!
//! Every entry Rampart writes lives under a service name that starts with the build kind's
//! namespace (`rampart` for release builds, `rampart-dev` for debug builds), so a development
//! build can never read or overwrite a release build's secrets.

mod keychain;

pub use keychain::{Keychain, VaultError};
