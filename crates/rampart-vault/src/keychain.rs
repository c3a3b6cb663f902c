//! The OS keychain through keyring-core and the platform's native store.

use std::sync::{Arc, Mutex};

use zeroize::Zeroizing;

use crate::store::SecretStore;

use keyring_core::{CredentialStore, Entry};
use rampart_core::status::{BuildKind, Check, KeychainStatus};
use rampart_core::{ApiError, ErrorCode};
use rand::distr::{Alphanumeric, SampleString};

/// Why the keychain could not be used.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// No keychain service could be reached at all (on Linux: no D-Bus session bus, or no
    /// Secret Service provider on it).
    #[error("{message}")]
    Unavailable {
        message: String,
        fix: Vec<String>,
        detail: String,
    },
    /// The keychain is there but refused access: a locked collection or a dismissed prompt.
    #[error("{message}")]
    AccessDenied {
        message: String,
        fix: Vec<String>,
        detail: String,
    },
    /// The keychain answered with an error that is neither of the above, or did not behave like
    /// a store (a written value read back differently).
    #[error("{message}")]
    Failure {
        message: String,
        fix: Vec<String>,
        detail: String,
    },
}

impl VaultError {
    pub fn code(&self) -> ErrorCode {
        match self {
            VaultError::Unavailable { .. } => ErrorCode::KeychainUnavailable,
            VaultError::AccessDenied { .. } => ErrorCode::KeychainAccessDenied,
            VaultError::Failure { .. } => ErrorCode::KeychainFailure,
        }
    }

    /// The steps that fix it, in order.
    pub fn fix(&self) -> &[String] {
        match self {
            VaultError::Unavailable { fix, .. }
            | VaultError::AccessDenied { fix, .. }
            | VaultError::Failure { fix, .. } => fix,
        }
    }

    /// The platform's own words, for the log (never contains a secret: keyring errors carry
    /// service and user names, and Rampart's are not secret).
    pub fn detail(&self) -> &str {
        match self {
            VaultError::Unavailable { detail, .. }
            | VaultError::AccessDenied { detail, .. }
            | VaultError::Failure { detail, .. } => detail,
        }
    }

    pub fn to_check(&self) -> Check {
        Check::Problem {
            code: self.code(),
            message: self.to_string(),
            fix: self.fix().to_vec(),
        }
    }
}

impl From<VaultError> for ApiError {
    fn from(err: VaultError) -> Self {
        ApiError::new(err.code(), err.to_string())
    }
}

/// A handle on the OS keychain, scoped to one build kind's namespace.
#[derive(Debug, Clone)]
pub struct Keychain {
    namespace: String,
    /// The platform store, opened on first use and dropped after a failure so that the next
    /// call reconnects (a keychain started after Rampart is found without a restart).
    store: Arc<Mutex<Option<Arc<CredentialStore>>>>,
}

impl Keychain {
    /// The keychain namespace of the running build.
    pub fn for_current_build() -> Self {
        Self::with_namespace(BuildKind::current().keychain_namespace())
    }

    /// A keychain scoped to an explicit namespace (tests use their own).
    pub fn with_namespace(namespace: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            store: Arc::default(),
        }
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The platform store's name as a trader would recognise it.
    pub const fn backend_name() -> &'static str {
        platform::BACKEND_NAME
    }

    /// The service name the probe writes under; nothing else ever uses it.
    pub fn probe_service(&self) -> String {
        format!("{}.probe", self.namespace)
    }

    /// Proves the keychain works end to end: stores a random value under the probe service,
    /// reads it back, deletes it and checks that it is gone. Blocking: call it off the UI thread.
    pub fn probe(&self) -> Result<(), VaultError> {
        let store = platform::open_store()?;
        let user = format!("probe-{}", Alphanumeric.sample_string(&mut rand::rng(), 16));
        let value = Alphanumeric.sample_string(&mut rand::rng(), 32);
        let entry = Entry::new_in_store(&store, &self.probe_service(), &user)
            .map_err(|e| classify(&e, "prepare a probe entry"))?;

        entry
            .set_password(&value)
            .map_err(|e| classify(&e, "store a probe entry"))?;
        let read_back = entry.get_password();
        // Delete before judging the read, so a failed read leaves nothing behind.
        let deleted = entry.delete_credential();
        let read_back = read_back.map_err(|e| classify(&e, "read the probe entry back"))?;
        deleted.map_err(|e| classify(&e, "delete the probe entry"))?;
        if read_back != value {
            return Err(VaultError::Failure {
                message: format!(
                    "The {} returned a different value than was stored in it.",
                    platform::BACKEND_NAME
                ),
                fix: vec![
                    "Restart the keychain service, then press Check again.".into(),
                    "If it persists, report it with the log file.".into(),
                ],
                detail: "probe read-back mismatch".into(),
            });
        }
        match entry.get_password() {
            Err(keyring_core::Error::NoEntry) => Ok(()),
            Ok(_) => Err(VaultError::Failure {
                message: format!(
                    "The {} kept an entry that Rampart deleted.",
                    platform::BACKEND_NAME
                ),
                fix: vec![
                    "Rampart will not store keys in a keychain that cannot delete them. Restart the keychain service and press Check again.".into(),
                ],
                detail: "probe entry still present after delete".into(),
            }),
            Err(e) => Err(classify(&e, "confirm the probe entry was deleted")),
        }
    }

    /// The probe's outcome as the first screen shows it.
    pub fn status(&self) -> KeychainStatus {
        let check = match self.probe() {
            Ok(()) => Check::Ok {
                summary: "Stored, read back and deleted a test entry.".into(),
            },
            Err(err) => {
                tracing::warn!(code = %err.code(), detail = err.detail(), "keychain probe failed");
                err.to_check()
            }
        };
        KeychainStatus {
            backend: Self::backend_name().into(),
            namespace: self.namespace.clone(),
            check,
        }
    }
}

impl Keychain {
    fn with_store<T>(
        &self,
        what: &str,
        op: impl FnOnce(&Arc<CredentialStore>) -> keyring_core::Result<T>,
    ) -> Result<T, VaultError> {
        let mut cached = self.store.lock().unwrap_or_else(|p| p.into_inner());
        let store = match cached.as_ref() {
            Some(store) => store.clone(),
            None => {
                let store = platform::open_store()?;
                *cached = Some(store.clone());
                store
            }
        };
        let result = op(&store);
        if let Err(
            keyring_core::Error::PlatformFailure(_) | keyring_core::Error::NoStorageAccess(_),
        ) = &result
        {
            *cached = None;
        }
        result.map_err(|e| classify(&e, what))
    }
}

impl SecretStore for Keychain {
    fn get(&self, service: &str, user: &str) -> Result<Option<Zeroizing<String>>, VaultError> {
        self.with_store("read a secret", |store| {
            match Entry::new_in_store(store, service, user)?.get_password() {
                Ok(value) => Ok(Some(Zeroizing::new(value))),
                Err(keyring_core::Error::NoEntry) => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    fn set(&self, service: &str, user: &str, value: &str) -> Result<(), VaultError> {
        self.with_store("store a secret", |store| {
            Entry::new_in_store(store, service, user)?.set_password(value)
        })
    }

    fn delete(&self, service: &str, user: &str) -> Result<(), VaultError> {
        self.with_store("delete a secret", |store| {
            match Entry::new_in_store(store, service, user)?.delete_credential() {
                Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
                Err(e) => Err(e),
            }
        })
    }
}

/// Maps a keyring error met while doing `what` to a [`VaultError`] a trader can act on.
fn classify(err: &keyring_core::Error, what: &str) -> VaultError {
    use keyring_core::Error as E;
    let detail = format!("could not {what}: {err}");
    match err {
        E::NoStorageAccess(_) => VaultError::AccessDenied {
            message: format!(
                "The {} is locked or refused access, so Rampart could not {what}.",
                platform::BACKEND_NAME
            ),
            fix: platform::unlock_steps(),
            detail,
        },
        E::PlatformFailure(_) | E::NoDefaultStore => platform::unavailable(detail),
        _ => VaultError::Failure {
            message: format!(
                "The {} answered with an error when Rampart tried to {what}: {err}",
                platform::BACKEND_NAME
            ),
            fix: vec![
                "Restart the keychain service, then press Check again.".into(),
                "If it persists, report the message above.".into(),
            ],
            detail,
        },
    }
}

#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
mod platform {
    use super::*;
    use std::path::Path;

    pub const BACKEND_NAME: &str = "Secret Service (D-Bus)";

    pub fn open_store() -> Result<Arc<CredentialStore>, VaultError> {
        let store = zbus_secret_service_keyring_store::Store::new()
            .map_err(|e| classify(&e, "connect to the Secret Service"))?;
        Ok(store)
    }

    /// What the session environment says about the D-Bus session bus.
    #[derive(Debug, PartialEq, Eq)]
    pub(crate) enum SessionBus {
        /// DBUS_SESSION_BUS_ADDRESS names one.
        Addressed,
        /// Not set, but the systemd per-user bus socket exists.
        UserSocket,
        /// Neither: there is no session bus to talk to.
        Missing,
    }

    pub(crate) fn session_bus(address: Option<&str>, runtime_dir: Option<&Path>) -> SessionBus {
        // "disabled:" is how a session says it has no bus (libdbus's convention).
        if address.is_some_and(|a| !a.trim().is_empty() && !a.starts_with("disabled:")) {
            SessionBus::Addressed
        } else if runtime_dir.is_some_and(|d| d.join("bus").exists()) {
            SessionBus::UserSocket
        } else {
            SessionBus::Missing
        }
    }

    pub fn unavailable(detail: String) -> VaultError {
        let address = std::env::var("DBUS_SESSION_BUS_ADDRESS").ok();
        let runtime_dir = std::env::var_os("XDG_RUNTIME_DIR").map(std::path::PathBuf::from);
        unavailable_for(
            session_bus(address.as_deref(), runtime_dir.as_deref()),
            detail,
        )
    }

    pub(crate) fn unavailable_for(bus: SessionBus, detail: String) -> VaultError {
        match bus {
            SessionBus::Missing => VaultError::Unavailable {
                message: "No D-Bus session was found, so Rampart cannot reach the Secret Service \
                          keychain where it keeps exchange keys."
                    .into(),
                fix: vec![
                    "Start Rampart from a desktop session (GNOME, KDE, Xfce…): they provide a D-Bus session bus.".into(),
                    "From a bare terminal, start one for Rampart: dbus-run-session -- rampart-app".into(),
                    "Make sure a Secret Service provider is installed: gnome-keyring (sudo apt install gnome-keyring) or KWallet.".into(),
                ],
                detail,
            },
            SessionBus::Addressed | SessionBus::UserSocket => VaultError::Unavailable {
                message: "A D-Bus session is running, but no Secret Service provider answered on it, \
                          so Rampart has nowhere safe to keep exchange keys."
                    .into(),
                fix: vec![
                    "Install a Secret Service provider: gnome-keyring (sudo apt install gnome-keyring) or KWallet.".into(),
                    "Start it in this session, e.g. gnome-keyring-daemon --start --components=secrets, or log out and in again.".into(),
                    "Then press Check again.".into(),
                ],
                detail,
            },
        }
    }

    pub fn unlock_steps() -> Vec<String> {
        vec![
            "Unlock your login keyring (Seahorse, \"Passwords and Keys\", or log in again), then press Check again.".into(),
            "If a keychain prompt appeared, allow Rampart access.".into(),
        ]
    }
}

#[cfg(target_os = "macos")]
mod platform {
    use super::*;

    pub const BACKEND_NAME: &str = "macOS Keychain";

    pub fn open_store() -> Result<Arc<CredentialStore>, VaultError> {
        let store = apple_native_keyring_store::keychain::Store::new()
            .map_err(|e| classify(&e, "open the login keychain"))?;
        Ok(store)
    }

    pub fn unavailable(detail: String) -> VaultError {
        VaultError::Unavailable {
            message: "The macOS Keychain could not be opened.".into(),
            fix: vec![
                "Open Keychain Access and check that the login keychain exists and is unlocked."
                    .into(),
                "Then press Check again.".into(),
            ],
            detail,
        }
    }

    pub fn unlock_steps() -> Vec<String> {
        vec![
            "Unlock the login keychain in Keychain Access, then press Check again.".into(),
            "If macOS asked whether Rampart may use the keychain, choose Allow.".into(),
        ]
    }
}

#[cfg(target_os = "windows")]
mod platform {
    use super::*;

    pub const BACKEND_NAME: &str = "Windows Credential Manager";

    pub fn open_store() -> Result<Arc<CredentialStore>, VaultError> {
        let store = windows_native_keyring_store::Store::new()
            .map_err(|e| classify(&e, "open the Credential Manager"))?;
        Ok(store)
    }

    pub fn unavailable(detail: String) -> VaultError {
        VaultError::Unavailable {
            message: "Windows Credential Manager could not be opened.".into(),
            fix: vec![
                "Check that the Credential Manager service (VaultSvc) is running.".into(),
                "Then press Check again.".into(),
            ],
            detail,
        }
    }

    pub fn unlock_steps() -> Vec<String> {
        vec!["Sign in to Windows with your own account, then press Check again.".into()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_service_is_inside_the_namespace() {
        let kc = Keychain::with_namespace("rampart-dev");
        assert_eq!(kc.probe_service(), "rampart-dev.probe");
        assert_eq!(
            Keychain::for_current_build().namespace(),
            BuildKind::Dev.keychain_namespace()
        );
    }

    #[test]
    fn errors_map_to_stable_codes() {
        let denied = classify(
            &keyring_core::Error::NoStorageAccess("locked".into()),
            "store a probe entry",
        );
        assert_eq!(denied.code(), ErrorCode::KeychainAccessDenied);
        assert!(denied.to_string().contains("locked or refused access"));
        assert!(!denied.fix().is_empty());

        let odd = classify(&keyring_core::Error::TooLong("user".into(), 8), "x");
        assert_eq!(odd.code(), ErrorCode::KeychainFailure);

        let gone = classify(&keyring_core::Error::NoDefaultStore, "x");
        assert_eq!(gone.code(), ErrorCode::KeychainUnavailable);
        let api: ApiError = gone.into();
        assert_eq!(api.code, ErrorCode::KeychainUnavailable);
    }

    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    ))]
    #[test]
    fn linux_explains_a_missing_session_bus_apart_from_a_missing_provider() {
        use platform::{SessionBus, session_bus, unavailable_for};
        let empty = std::env::temp_dir().join("rampart-no-such-runtime-dir");
        assert_eq!(session_bus(None, Some(&empty)), SessionBus::Missing);
        assert_eq!(session_bus(Some("  "), None), SessionBus::Missing);
        assert_eq!(session_bus(Some("disabled:"), None), SessionBus::Missing);
        assert_eq!(
            session_bus(Some("unix:path=/run/user/1000/bus"), None),
            SessionBus::Addressed
        );

        let no_bus = unavailable_for(SessionBus::Missing, String::new());
        assert!(no_bus.to_string().contains("No D-Bus session"));
        assert!(no_bus.fix().iter().any(|s| s.contains("dbus-run-session")));
        let no_provider = unavailable_for(SessionBus::Addressed, String::new());
        assert!(
            no_provider
                .to_string()
                .contains("no Secret Service provider")
        );
        assert!(
            no_provider
                .fix()
                .iter()
                .any(|s| s.contains("gnome-keyring"))
        );
    }
}
