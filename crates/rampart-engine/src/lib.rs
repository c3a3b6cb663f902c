//! The desk: what the app does, independent of any window. The Tauri commands in src-tauri are
//! one-line calls into [`Desk`].
//!
//! Lock discipline: every method that is not about unlocking starts with
//! [`Desk::require_unlocked`], so a locked app refuses in Rust, whatever the UI shows.

pub mod audit;
mod clock;
pub mod demo;
mod files;
pub mod guard;
pub mod guard_settings;
pub mod kill;
pub mod live;
pub mod orders;
mod preflight;
mod rotate;
mod seat;
mod session;
mod trading;

pub use clock::{Clock, SystemClock};
pub use preflight::{DATA_DIR_WRITE_TEST, KEYCHAIN_PROBE_TIMEOUT};
pub use session::{AddAccountRequest, IDLE_CHECK_INTERVAL};
pub use trading::{OrderRef, TradingStatus};

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use rampart_core::status::Preflight;
use rampart_vault::{DataKey, Enrolment, Keychain, Vault};

/// The application's state behind the IPC boundary.
/// The JSON files of the data directory sealed under the data key, opened at every unlock (the
/// order journal and the audit journal are sealed record by record, and opened by their own).
const SEALED_FILES: [&str; 4] = [
    session::SETTINGS_FILE,
    session::ACCOUNTS_FILE,
    trading::GUARD_HISTORY_FILE,
    guard_settings::GUARD_SETTINGS_FILE,
];

pub struct Desk {
    keychain: Keychain,
    vault: Vault<Keychain>,
    data_dir: PathBuf,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    trading: Mutex<trading::Trading>,
    /// The connected accounts' live tables, for the workspace.
    live: Arc<live::LiveDesk>,
    dead_mans: Mutex<guard_settings::DeadMans>,
    /// The audit journal, open while unlocked.
    audit: Arc<audit::AuditSink>,
    /// Held while a file of the data directory is read or written under the session's key,
    /// and through a data key rotation, so that none is written under a key being retired.
    files: Mutex<()>,
}

/// What lives only in memory.
#[derive(Default)]
struct State {
    /// A seed shown on the enrolment screen, not yet activated.
    enrolment: Option<Enrolment>,
    /// A new authenticator to move to, after a code of the current one (or a recovery code);
    /// not active until a code from it.
    swap: Option<Enrolment>,
    /// Present while unlocked. Dropping it zeroizes the data key.
    session: Option<Session>,
    /// Security settings, once read from the data directory.
    settings: Option<rampart_core::session::SecuritySettings>,
    /// Known to be sealed (the vault's note, read once): plain files are refused.
    files_sealed: bool,
    /// How the audit journal verified at this unlock.
    audit: Option<rampart_core::audit::AuditStatus>,
}

struct Session {
    data_key: DataKey,
    /// Clock seconds of the last user activity.
    last_activity: u64,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk")
            .field("namespace", &self.keychain.namespace())
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl Desk {
    /// A desk that keeps its data in `data_dir` and its secrets in the current build's keychain
    /// namespace.
    pub fn new(data_dir: PathBuf) -> Self {
        Self::with_keychain(data_dir, Keychain::for_current_build())
    }

    pub fn with_keychain(data_dir: PathBuf, keychain: Keychain) -> Self {
        Self::with_parts(data_dir, keychain, Arc::new(SystemClock))
    }

    pub fn with_parts(data_dir: PathBuf, keychain: Keychain, clock: Arc<dyn Clock>) -> Self {
        let vault = Vault::new(keychain.clone(), keychain.namespace());
        Self {
            keychain,
            vault,
            data_dir,
            clock: Arc::clone(&clock),
            state: Mutex::default(),
            trading: Mutex::default(),
            live: live::LiveDesk::new(),
            dead_mans: Mutex::default(),
            audit: audit::AuditSink::new(Arc::clone(&clock)),
            files: Mutex::new(()),
        }
    }

    /// The connected accounts' live tables (orders, positions, balances, fills), for the
    /// workspace; publish them with [`live::LiveDesk::publish`].
    pub fn live(&self) -> Arc<live::LiveDesk> {
        Arc::clone(&self.live)
    }

    /// Checks what the app needs before it can hold exchange keys: a working OS keychain and a
    /// writable data directory. Never fails: each problem is reported with its fix.
    pub async fn preflight(&self) -> Preflight {
        preflight::run(&self.keychain, &self.data_dir).await
    }

    /// Runs a blocking desk operation (keychain and file I/O) off the async runtime's threads.
    pub async fn run<T, F>(self: &Arc<Self>, op: F) -> Result<T, rampart_core::ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Desk) -> Result<T, rampart_core::ApiError> + Send + 'static,
    {
        let desk = Arc::clone(self);
        tokio::task::spawn_blocking(move || op(&desk))
            .await
            .unwrap_or_else(|join| {
                Err(rampart_core::ApiError::new(
                    rampart_core::ErrorCode::Internal,
                    format!(
                        "An operation crashed ({join}). This is a bug in Rampart; please report it."
                    ),
                ))
            })
    }

    /// See [`Desk::files`]. Guards no data (a poisoned lock is taken as it is).
    fn files_lock(&self) -> MutexGuard<'_, ()> {
        self.files.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every update to State is a single assignment, so a panic elsewhere cannot leave it
        // half-written: recovering from poisoning is safe.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Desk {
    /// Locks an idle session on time even when the UI sends nothing. Runs until the app exits.
    pub async fn watch_idle(self: Arc<Self>) {
        let mut tick = tokio::time::interval(IDLE_CHECK_INTERVAL);
        loop {
            tick.tick().await;
            let _ = self
                .run(|desk| {
                    desk.expire_idle();
                    Ok(())
                })
                .await;
        }
    }
}
