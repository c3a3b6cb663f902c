//! JSON files in the data directory, written atomically; sealed under the data key (see
//! `rampart_vault::sealed`) so that they can be neither read nor changed unnoticed without it.

use std::fs;
use std::io::Write;
use std::path::Path;

use rampart_core::{ApiError, ErrorCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

fn data_error(path: &Path, what: &str, err: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        ErrorCode::DataDirUnavailable,
        format!(
            "Rampart could not {what} {}: {err}. Check the data directory on the System status page.",
            path.display()
        ),
    )
}

/// Writes to a temporary file beside `path`, syncs it, then renames it over `path`: a crash
/// leaves either the old file or the new one, never half of one.
fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), ApiError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| data_error(dir, "create", e))?;
    let tmp = path.with_extension("json.tmp");
    let written = fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(data_error(&tmp, "write", e));
    }
    fs::rename(&tmp, path).map_err(|e| data_error(path, "replace", e))
}

/// What to do with a file that is not sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plain {
    /// Read it: a file from before sealing (sealed again at once by the caller).
    Migrate,
    /// Refuse it: files are sealed, so a plain one was put there by something else.
    Refuse,
}

fn tampered(path: &Path, why: impl std::fmt::Display) -> ApiError {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    ApiError::new(
        ErrorCode::FileTampered,
        format!(
            "{name} in the data directory does not match its seal: {why}. Rampart will not use \
             it. Restore it from a backup, or remove it to start that part afresh ({}).",
            path.display()
        ),
    )
}

/// A sealed file's contents (`None` if it does not exist yet), and whether it was a plain file
/// read under [`Plain::Migrate`].
pub fn read_sealed_json<T: DeserializeOwned>(
    path: &Path,
    key: &rampart_vault::DataKey,
    plain: Plain,
) -> Result<Option<(T, bool)>, ApiError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(data_error(path, "read", e)),
    };
    let purpose = purpose(path);
    if !rampart_vault::sealed::is_sealed(&bytes) {
        return match plain {
            Plain::Migrate => serde_json::from_slice(&bytes)
                .map(|v| Some((v, true)))
                .map_err(|e| data_error(path, "read", format!("the file is damaged ({e})"))),
            Plain::Refuse => Err(tampered(path, "it is not sealed")),
        };
    }
    let text = rampart_vault::sealed::open(key, &purpose, &bytes).map_err(|e| tampered(path, e))?;
    serde_json::from_slice(&text)
        .map(|v| Some((v, false)))
        .map_err(|e| {
            tampered(
                path,
                format!("its contents are not what Rampart writes ({e})"),
            )
        })
}

/// Seals `value` under `key` and writes it atomically (see `write_bytes`).
pub fn write_sealed_json<T: Serialize>(
    path: &Path,
    key: &rampart_vault::DataKey,
    value: &T,
) -> Result<(), ApiError> {
    let text = zeroize::Zeroizing::new(
        serde_json::to_vec(value).map_err(|e| data_error(path, "encode", e))?,
    );
    let sealed = rampart_vault::sealed::seal(key, &purpose(path), &text);
    write_bytes(path, &sealed)
}

/// The name a file is sealed under: its file name, so one file cannot stand in for another.
fn purpose(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
