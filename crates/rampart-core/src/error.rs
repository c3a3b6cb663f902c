//! The one error shape that reaches the UI: `{ "code": "...", "message": "..." }`.
//!
//! `code` is a stable machine string the UI may branch on; `message` is a sentence a trader can act
//! on. Crates keep their own `thiserror` enums split by cause and convert into [`ApiError`] at the
//! boundary, choosing the code there.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Stable error codes. The serialised strings are part of the IPC contract: never rename one,
/// only add.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No OS keychain could be reached (no Secret Service provider or no D-Bus session on Linux).
    KeychainUnavailable,
    /// The keychain answered but refused access (locked collection, denied prompt).
    KeychainAccessDenied,
    /// The keychain answered with a failure that is neither of the above.
    KeychainFailure,
    /// The app's data directory cannot be created or written.
    DataDirUnavailable,
    /// The request from the UI was malformed or out of range.
    InvalidInput,
    /// The app is locked (or MFA is not set up yet); unlock first.
    Locked,
    /// MFA is not set up; the action needs it.
    NotEnrolled,
    /// The typed TOTP or recovery code is wrong.
    WrongCode,
    /// The TOTP code's time step was already used once.
    CodeAlreadyUsed,
    /// Too many wrong codes: no code is checked until the wait is over.
    TooManyAttempts,
    /// No account with that id.
    AccountNotFound,
    /// The order breaks its instrument's rules or is inconsistent; nothing was sent.
    InvalidOrder,
    /// The venue refused the order (or cancel) with its own code; the message says why.
    OrderRejected,
    /// Nothing was sent: the rate budget, the venue's clock or the connection's set-up held it.
    NotSent,
    /// An earlier order's outcome is not known yet: Rampart is checking with the exchange, and
    /// new orders on that account and symbol wait until it knows.
    CheckingWithExchange,
    /// The account's venue cannot be reached or is not connected.
    VenueUnavailable,
    /// No order with that client order id on the account.
    OrderNotFound,
    /// The guard's pre-trade checks refused the order; nothing was sent. The message has the
    /// figures and what to change.
    RefusedByGuard,
    /// The circuit breaker has halted new orders on the account until the user resumes with a
    /// TOTP code; cancels and closes still work.
    TradingHalted,
    /// Rampart holds accounts and keys from an earlier authenticator: setting up a new one
    /// needs one of its recovery codes.
    RecoveryCodeNeeded,
    /// A file in the data directory does not match its seal: it was changed outside Rampart.
    FileTampered,
    /// A bug: something that should not happen did. The message says what to report.
    Internal,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::KeychainUnavailable => "keychain_unavailable",
            Self::KeychainAccessDenied => "keychain_access_denied",
            Self::KeychainFailure => "keychain_failure",
            Self::DataDirUnavailable => "data_dir_unavailable",
            Self::InvalidInput => "invalid_input",
            Self::Locked => "locked",
            Self::NotEnrolled => "not_enrolled",
            Self::WrongCode => "wrong_code",
            Self::CodeAlreadyUsed => "code_already_used",
            Self::TooManyAttempts => "too_many_attempts",
            Self::AccountNotFound => "account_not_found",
            Self::InvalidOrder => "invalid_order",
            Self::OrderRejected => "order_rejected",
            Self::NotSent => "not_sent",
            Self::CheckingWithExchange => "checking_with_exchange",
            Self::VenueUnavailable => "venue_unavailable",
            Self::OrderNotFound => "order_not_found",
            Self::RefusedByGuard => "refused_by_guard",
            Self::TradingHalted => "trading_halted",
            Self::RecoveryCodeNeeded => "recovery_code_needed",
            Self::FileTampered => "file_tampered",
            Self::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error every IPC command returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wire format is a contract with ui/src/lib/ipc.ts: pin it byte for byte.
    #[test]
    fn serialises_as_code_and_message() {
        let err = ApiError::new(
            ErrorCode::KeychainUnavailable,
            "No Secret Service provider is running.",
        );
        assert_eq!(
            serde_json::to_string(&err).unwrap(),
            r#"{"code":"keychain_unavailable","message":"No Secret Service provider is running."}"#
        );
    }

    #[test]
    fn every_code_serialises_to_its_as_str() {
        for code in [
            ErrorCode::KeychainUnavailable,
            ErrorCode::KeychainAccessDenied,
            ErrorCode::KeychainFailure,
            ErrorCode::DataDirUnavailable,
            ErrorCode::InvalidInput,
            ErrorCode::Locked,
            ErrorCode::NotEnrolled,
            ErrorCode::WrongCode,
            ErrorCode::CodeAlreadyUsed,
            ErrorCode::TooManyAttempts,
            ErrorCode::AccountNotFound,
            ErrorCode::InvalidOrder,
            ErrorCode::OrderRejected,
            ErrorCode::NotSent,
            ErrorCode::CheckingWithExchange,
            ErrorCode::VenueUnavailable,
            ErrorCode::OrderNotFound,
            ErrorCode::RefusedByGuard,
            ErrorCode::TradingHalted,
            ErrorCode::RecoveryCodeNeeded,
            ErrorCode::FileTampered,
            ErrorCode::Internal,
        ] {
            assert_eq!(
                serde_json::to_string(&code).unwrap(),
                format!("\"{}\"", code.as_str())
            );
            let back: ErrorCode = serde_json::from_str(&format!("\"{code}\"")).unwrap();
            assert_eq!(back, code);
        }
    }

    #[test]
    fn unknown_code_is_rejected_not_defaulted() {
        let parsed: Result<ApiError, _> =
            serde_json::from_str(r#"{"code":"no_such_code","message":"x"}"#);
        assert!(parsed.is_err());
    }
}
