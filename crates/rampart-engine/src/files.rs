//! Non-secret JSON files in the data directory, written atomically.

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

/// The file's contents, or `None` if it does not exist yet.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, ApiError> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| data_error(path, "read", format!("the file is damaged ({e})"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(data_error(path, "read", e)),
    }
}

/// Writes to a temporary file beside `path`, syncs it, then renames it over `path`: a crash
/// leaves either the old file or the new one, never half of one.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), ApiError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| data_error(dir, "create", e))?;
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| data_error(path, "encode", e))?;
    let written = fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(&bytes)?;
        f.sync_all()
    });
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(data_error(&tmp, "write", e));
    }
    fs::rename(&tmp, path).map_err(|e| data_error(path, "replace", e))
}
