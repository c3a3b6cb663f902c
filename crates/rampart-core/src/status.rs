//! What the app checks at start-up and shows on its first screen.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::ErrorCode;

/// Debug builds and release builds keep their secrets apart (see [`BuildKind::keychain_namespace`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum BuildKind {
    Dev,
    Release,
}

impl BuildKind {
    /// The kind of the binary this code was compiled into.
    pub const fn current() -> BuildKind {
        if cfg!(debug_assertions) {
            BuildKind::Dev
        } else {
            BuildKind::Release
        }
    }

    /// The keychain service-name prefix for this build kind: a dev build never reads or writes
    /// the secrets of a release build, and the other way round.
    pub const fn keychain_namespace(self) -> &'static str {
        match self {
            BuildKind::Dev => "rampart-dev",
            BuildKind::Release => "rampart",
        }
    }
}

/// The outcome of one start-up check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "status", rename_all = "snake_case")]
#[ts(tag = "status", rename_all = "snake_case")]
pub enum Check {
    /// The check passed; `summary` says what was verified.
    Ok { summary: String },
    /// The check failed: what is wrong and the steps that fix it.
    Problem {
        code: ErrorCode,
        message: String,
        fix: Vec<String>,
    },
}

impl Check {
    pub const fn is_ok(&self) -> bool {
        matches!(self, Check::Ok { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub build: BuildKind,
    /// Operating system and architecture, e.g. `linux x86_64`.
    pub platform: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct KeychainStatus {
    /// The platform store, e.g. "Secret Service (D-Bus)".
    pub backend: String,
    /// The service-name prefix this build uses in that store.
    pub namespace: String,
    pub check: Check,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct DataDirStatus {
    /// Where the app keeps its non-secret data (account labels, settings, the audit journal).
    pub path: String,
    pub check: Check,
}

/// Everything the first screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct Preflight {
    pub app: AppInfo,
    pub keychain: KeychainStatus,
    pub data_dir: DataDirStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_differ_by_build_kind() {
        assert_ne!(
            BuildKind::Dev.keychain_namespace(),
            BuildKind::Release.keychain_namespace()
        );
        assert_eq!(BuildKind::current(), BuildKind::Dev); // tests are debug builds
    }

    #[test]
    fn check_is_tagged_by_status() {
        let ok = Check::Ok {
            summary: "stored and deleted a probe entry".into(),
        };
        assert_eq!(
            serde_json::to_string(&ok).unwrap(),
            r#"{"status":"ok","summary":"stored and deleted a probe entry"}"#
        );
        let problem = Check::Problem {
            code: ErrorCode::KeychainUnavailable,
            message: "m".into(),
            fix: vec!["a".into()],
        };
        assert_eq!(
            serde_json::to_string(&problem).unwrap(),
            r#"{"status":"problem","code":"keychain_unavailable","message":"m","fix":["a"]}"#
        );
    }
}
