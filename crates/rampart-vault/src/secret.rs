//! A string that is secret: wiped from memory on drop, printed as `<redacted>`, never serialised.

use serde::Deserialize;
use ts_rs::TS;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A secret string (an API secret, a passphrase, a recovery code, a TOTP seed in base32).
///
/// It can be deserialised (it arrives once, inward, from the UI) but deliberately does not
/// implement `Serialize` or `Display`: no response, log line or file can carry it by accident.
#[derive(Clone, Default, PartialEq, Eq, Zeroize, ZeroizeOnDrop, Deserialize, TS)]
#[serde(transparent)]
#[ts(type = "string")]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the few places that must use it (keychain write, signing).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = SecretString::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(&s)), "Some(<redacted>)");
        assert_eq!(s.expose(), "hunter2-very-secret");
    }

    #[test]
    fn deserialises_from_a_plain_json_string() {
        let s: SecretString = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(s.expose(), "abc");
    }
}
