//! Start-up checks: the keychain probe and the data directory.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rampart_core::ErrorCode;
use rampart_core::status::{AppInfo, BuildKind, Check, DataDirStatus, KeychainStatus, Preflight};
use rampart_vault::Keychain;
use rand::distr::{Alphanumeric, SampleString};

/// How long the keychain may take to answer the probe. A Secret Service that never replies (a
/// hung daemon, an unanswered unlock prompt) is reported rather than waited on forever.
pub const KEYCHAIN_PROBE_TIMEOUT: Duration = Duration::from_secs(20);

/// Prefix of the scratch file the data-directory check writes and removes.
pub const DATA_DIR_WRITE_TEST: &str = ".rampart-write-test-";

pub(crate) async fn run(keychain: &Keychain, data_dir: &Path) -> Preflight {
    let kc = keychain.clone();
    let probe = tokio::task::spawn_blocking(move || kc.status());
    let dir = data_dir.to_path_buf();
    let data = tokio::task::spawn_blocking(move || data_dir_status(&dir));

    let keychain_status = match tokio::time::timeout(KEYCHAIN_PROBE_TIMEOUT, probe).await {
        Ok(Ok(status)) => status,
        Ok(Err(join)) => keychain_problem(
            keychain,
            ErrorCode::Internal,
            format!("The keychain check crashed ({join}). This is a bug in Rampart."),
            vec!["Restart Rampart; if it happens again, report it with the log file.".into()],
        ),
        Err(_) => keychain_problem(
            keychain,
            ErrorCode::KeychainUnavailable,
            format!(
                "The {} did not answer within {} seconds.",
                Keychain::backend_name(),
                KEYCHAIN_PROBE_TIMEOUT.as_secs()
            ),
            vec![
                "If the system is showing a keychain unlock prompt, answer it.".into(),
                "Otherwise restart the keychain service (or log out and in again), then press Check again.".into(),
            ],
        ),
    };
    let data_dir_status = data.await.unwrap_or_else(|join| DataDirStatus {
        path: data_dir.display().to_string(),
        check: Check::Problem {
            code: ErrorCode::Internal,
            message: format!(
                "The data directory check crashed ({join}). This is a bug in Rampart."
            ),
            fix: vec!["Restart Rampart; if it happens again, report it with the log file.".into()],
        },
    });

    Preflight {
        app: AppInfo {
            version: env!("CARGO_PKG_VERSION").into(),
            build: BuildKind::current(),
            platform: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        },
        keychain: keychain_status,
        data_dir: data_dir_status,
    }
}

fn keychain_problem(
    keychain: &Keychain,
    code: ErrorCode,
    message: String,
    fix: Vec<String>,
) -> KeychainStatus {
    tracing::warn!(%code, %message, "keychain check failed");
    KeychainStatus {
        backend: Keychain::backend_name().into(),
        namespace: keychain.namespace().into(),
        check: Check::Problem { code, message, fix },
    }
}

/// Creates the data directory if needed (owner-only on Unix) and proves it is writable by
/// writing, syncing and removing a scratch file.
fn data_dir_status(dir: &Path) -> DataDirStatus {
    let check = match write_test(dir) {
        Ok(()) => Check::Ok {
            summary: "Writable. It holds settings and account labels, never a secret.".into(),
        },
        Err((step, err)) => {
            tracing::warn!(path = %dir.display(), %err, step, "data directory check failed");
            Check::Problem {
                code: ErrorCode::DataDirUnavailable,
                message: format!("Rampart could not {step} its data directory: {err}."),
                fix: vec![
                    format!(
                        "Check that {} (or its parent) belongs to your user and is writable.",
                        dir.display()
                    ),
                    "Check that the disk is not full or mounted read-only.".into(),
                    "Then press Check again.".into(),
                ],
            }
        }
    };
    DataDirStatus {
        path: dir.display().to_string(),
        check,
    }
}

fn write_test(dir: &Path) -> Result<(), (&'static str, std::io::Error)> {
    create_private_dir(dir).map_err(|e| ("create", e))?;
    let scratch: PathBuf = dir.join(format!(
        "{DATA_DIR_WRITE_TEST}{}",
        Alphanumeric.sample_string(&mut rand::rng(), 8)
    ));
    let written = fs::File::create_new(&scratch).and_then(|mut f| {
        f.write_all(b"rampart")?;
        f.sync_all()
    });
    let removed = fs::remove_file(&scratch);
    written.map_err(|e| ("write to", e))?;
    removed.map_err(|e| ("remove a file from", e))
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_a_private_data_dir_and_leaves_no_scratch_file() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b/rampart");
        let status = data_dir_status(&dir);
        assert!(status.check.is_ok(), "{status:?}");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700);
        }
    }

    #[test]
    fn a_file_in_the_way_is_a_clear_problem() {
        let root = tempfile::tempdir().unwrap();
        let blocker = root.path().join("rampart");
        fs::write(&blocker, b"not a directory").unwrap();
        let status = data_dir_status(&blocker.join("data"));
        match status.check {
            Check::Problem { code, message, fix } => {
                assert_eq!(code, ErrorCode::DataDirUnavailable);
                assert!(
                    message.starts_with("Rampart could not create its data directory"),
                    "{message}"
                );
                assert!(fix[0].contains(&blocker.join("data").display().to_string()));
            }
            ok => panic!("expected a problem, got {ok:?}"),
        }
    }
}
