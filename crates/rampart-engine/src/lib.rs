//! The desk: what the app does, independent of any window. The Tauri commands in src-tauri are
//! one-line calls into [`Desk`].

mod preflight;

pub use preflight::{DATA_DIR_WRITE_TEST, KEYCHAIN_PROBE_TIMEOUT};

use std::path::PathBuf;

use rampart_core::status::Preflight;
use rampart_vault::Keychain;

/// The application's state behind the IPC boundary.
#[derive(Debug)]
pub struct Desk {
    keychain: Keychain,
    data_dir: PathBuf,
}

impl Desk {
    /// A desk that keeps its data in `data_dir` and its secrets in the current build's keychain
    /// namespace.
    pub fn new(data_dir: PathBuf) -> Self {
        Self::with_keychain(data_dir, Keychain::for_current_build())
    }

    pub fn with_keychain(data_dir: PathBuf, keychain: Keychain) -> Self {
        Self { keychain, data_dir }
    }

    /// Checks what the app needs before it can hold exchange keys: a working OS keychain and a
    /// writable data directory. Never fails: each problem is reported with its fix.
    pub async fn preflight(&self) -> Preflight {
        preflight::run(&self.keychain, &self.data_dir).await
    }
}
