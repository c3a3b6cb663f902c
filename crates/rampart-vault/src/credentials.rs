//! Exchange API credentials: validated per venue, kept only in the keychain.

use rampart_core::Venue;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::SecretString;

/// An account's credentials as the add-account form sends them (once, inward).
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct Credentials {
    pub api_key: SecretString,
    pub api_secret: SecretString,
    /// OKX's API passphrase; unused elsewhere.
    #[serde(default)]
    #[ts(optional)]
    pub passphrase: Option<SecretString>,
}

/// Which field is wrong and why, in words a trader can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct CredentialError {
    pub field: &'static str,
    pub reason: String,
}

fn err(field: &'static str, reason: impl Into<String>) -> CredentialError {
    CredentialError {
        field,
        reason: reason.into(),
    }
}

fn check_token(
    field: &'static str,
    value: &str,
    lengths: std::ops::RangeInclusive<usize>,
    allowed: impl Fn(char) -> bool,
    alphabet: &str,
) -> Result<(), CredentialError> {
    if value.is_empty() {
        return Err(err(field, "is empty"));
    }
    if value.trim() != value || value.chars().any(char::is_whitespace) {
        return Err(err(
            field,
            "contains spaces or line breaks; paste it again without them",
        ));
    }
    // What was typed is never echoed (not its length, not a character of it): the message may
    // be shown, logged or screenshotted, and the field can hold a secret.
    if !lengths.contains(&value.chars().count()) {
        let want = if lengths.start() == lengths.end() {
            format!("{}", lengths.start())
        } else {
            format!("{} to {}", lengths.start(), lengths.end())
        };
        return Err(err(
            field,
            format!("is not as long as this venue's are ({want} characters); paste it again whole"),
        ));
    }
    if value.chars().any(|c| !allowed(c)) {
        return Err(err(
            field,
            format!("has a character this venue's do not use ({alphabet}); paste it again"),
        ));
    }
    Ok(())
}

const LETTERS_DIGITS: &str = "only letters and digits";

impl Credentials {
    /// Checks the shape of each field against the venue's key format.
    pub fn validate(&self, venue: Venue) -> Result<(), CredentialError> {
        let key = self.api_key.expose();
        let secret = self.api_secret.expose();
        let alnum = |c: char| c.is_ascii_alphanumeric();
        match venue {
            Venue::BinanceUsdm => {
                check_token("API key", key, 64..=64, alnum, LETTERS_DIGITS)?;
                // An HMAC secret (64 letters and digits) or an Ed25519 private key in PEM form.
                if secret
                    .trim_start()
                    .starts_with("-----BEGIN PRIVATE KEY-----")
                {
                    if !secret.trim_end().ends_with("-----END PRIVATE KEY-----") {
                        return Err(err("API secret", "the PEM private key is incomplete"));
                    }
                } else {
                    check_token("API secret", secret, 64..=64, alnum, LETTERS_DIGITS)?;
                }
            }
            Venue::Bybit => {
                check_token("API key", key, 16..=24, alnum, LETTERS_DIGITS)?;
                check_token("API secret", secret, 32..=48, alnum, LETTERS_DIGITS)?;
            }
            Venue::Okx => {
                let uuid_shape = key.len() == 36
                    && key.char_indices().all(|(i, c)| match i {
                        8 | 13 | 18 | 23 => c == '-',
                        _ => c.is_ascii_hexdigit(),
                    });
                if key.is_empty() {
                    return Err(err("API key", "is empty"));
                }
                if !uuid_shape {
                    return Err(err(
                        "API key",
                        "OKX keys look like 8-4-4-4-12 hexadecimal groups (a UUID)",
                    ));
                }
                check_token(
                    "API secret",
                    secret,
                    32..=32,
                    |c| c.is_ascii_hexdigit(),
                    "hexadecimal digits",
                )?;
                let passphrase = self
                    .passphrase
                    .as_ref()
                    .map(SecretString::expose)
                    .unwrap_or("");
                if passphrase.is_empty() {
                    return Err(err(
                        "Passphrase",
                        "OKX requires the passphrase you set when creating the key",
                    ));
                }
                if !(8..=32).contains(&passphrase.chars().count()) {
                    return Err(err(
                        "Passphrase",
                        "is not as long as OKX passphrases are (8 to 32 characters)",
                    ));
                }
            }
            Venue::Deribit => {
                let id_chars = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
                check_token(
                    "Client ID",
                    key,
                    6..=16,
                    id_chars,
                    "letters, digits, '_' and '-'",
                )?;
                check_token(
                    "Client secret",
                    secret,
                    20..=64,
                    id_chars,
                    "letters, digits, '_' and '-'",
                )?;
            }
            Venue::Demo => {
                check_token("API key", key, 8..=128, alnum, LETTERS_DIGITS)?;
                check_token("API secret", secret, 8..=128, alnum, LETTERS_DIGITS)?;
            }
        }
        if venue != Venue::Okx && self.passphrase.as_ref().is_some_and(|p| !p.is_empty()) {
            return Err(err(
                "Passphrase",
                "this venue has no passphrase; leave it empty",
            ));
        }
        Ok(())
    }

    /// The first four and last four characters of the key, for lists.
    pub fn masked_key(&self) -> String {
        let chars: Vec<char> = self.api_key.expose().chars().collect();
        if chars.len() <= 8 {
            return "••••".into();
        }
        let head: String = chars[..4].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    }

    /// A short, stable fingerprint of the key (first 8 bytes of its SHA-256, in hex groups).
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.api_key.expose().as_bytes());
        let hex = hex::encode(&digest[..8]);
        hex.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(":")
    }

    /// The JSON kept in the keychain entry.
    /// Written straight into one zeroized buffer, sized so that it never grows (a grown
    /// buffer would leave the old one's copy behind): no intermediate JSON value holds a copy.
    pub(crate) fn to_keychain_json(&self) -> Zeroizing<String> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Entry<'a> {
            api_key: &'a str,
            api_secret: &'a str,
            passphrase: Option<&'a str>,
        }
        let entry = Entry {
            api_key: self.api_key.expose(),
            api_secret: self.api_secret.expose(),
            passphrase: self.passphrase.as_ref().map(SecretString::expose),
        };
        let secrets =
            entry.api_key.len() + entry.api_secret.len() + entry.passphrase.map_or(0, str::len);
        // JSON escapes a byte into at most six (\u00XX); the rest is the field names.
        let mut buffer = Zeroizing::new(Vec::with_capacity(secrets * 6 + 64));
        let capacity = buffer.capacity();
        if serde_json::to_writer(&mut *buffer, &entry).is_err() {
            // Writing borrowed strings to a Vec cannot fail; an empty entry reads as corrupt.
            return Zeroizing::new(String::new());
        }
        debug_assert_eq!(buffer.capacity(), capacity, "the buffer grew");
        // serde_json writes UTF-8 only; the bytes move into the String without a copy.
        match String::from_utf8(std::mem::take(&mut *buffer)) {
            Ok(text) => Zeroizing::new(text),
            Err(e) => {
                let _ = Zeroizing::new(e.into_bytes());
                Zeroizing::new(String::new())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(key: &str, secret: &str, passphrase: Option<&str>) -> Credentials {
        Credentials {
            api_key: SecretString::new(key),
            api_secret: SecretString::new(secret),
            passphrase: passphrase.map(SecretString::new),
        }
    }

    const B64: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";

    #[test]
    fn the_keychain_entry_round_trips_and_escapes_what_json_must() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIHv\"\u{1}\n-----END PRIVATE KEY-----";
        for (secret, passphrase) in [(B64, None), (pem, Some("pass \"phrase\"\t"))] {
            let c = creds(B64, secret, passphrase);
            let json = c.to_keychain_json();
            let back: Credentials = serde_json::from_str(&json).unwrap();
            assert_eq!(back.api_key.expose(), B64);
            assert_eq!(back.api_secret.expose(), secret);
            assert_eq!(
                back.passphrase.as_ref().map(SecretString::expose),
                passphrase
            );
        }
        assert_eq!(
            *creds(B64, B64, None).to_keychain_json(),
            format!(r#"{{"apiKey":"{B64}","apiSecret":"{B64}","passphrase":null}}"#)
        );
    }

    #[test]
    fn binance_keys_are_64_letters_and_digits() {
        assert!(creds(B64, B64, None).validate(Venue::BinanceUsdm).is_ok());
        let e = creds(&B64[..63], B64, None)
            .validate(Venue::BinanceUsdm)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "API key: is not as long as this venue's are (64 characters); paste it again whole"
        );
        let e = creds(B64, &format!("{}!", &B64[..63]), None)
            .validate(Venue::BinanceUsdm)
            .unwrap_err();
        assert_eq!(e.field, "API secret");
        assert_eq!(
            e.reason,
            "has a character this venue's do not use (only letters and digits); paste it again"
        );
        // Nothing typed comes back: not a character, not the length.
        let typed = format!("{}\u{e9}", &B64[..20]);
        let e = creds(B64, &typed, None)
            .validate(Venue::BinanceUsdm)
            .unwrap_err();
        assert!(
            !e.reason.contains('\u{e9}') && !e.reason.contains("21"),
            "{e}"
        );
        let e = creds(&format!(" {}", &B64[1..]), B64, None)
            .validate(Venue::BinanceUsdm)
            .unwrap_err();
        assert!(e.reason.contains("spaces"));
        assert_eq!(
            creds("", B64, None)
                .validate(Venue::BinanceUsdm)
                .unwrap_err()
                .reason,
            "is empty"
        );
        let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIHv\n-----END PRIVATE KEY-----";
        assert!(creds(B64, pem, None).validate(Venue::BinanceUsdm).is_ok());
        assert!(
            creds(B64, B64, Some("x"))
                .validate(Venue::BinanceUsdm)
                .is_err()
        );
    }

    #[test]
    fn okx_needs_a_uuid_key_hex_secret_and_passphrase() {
        let key = "3b2f5a1c-9d8e-4f7a-b6c5-1234567890ab";
        let secret = "0123456789ABCDEF0123456789ABCDEF";
        assert!(
            creds(key, secret, Some("Passphrase1"))
                .validate(Venue::Okx)
                .is_ok()
        );
        assert_eq!(
            creds(key, secret, None)
                .validate(Venue::Okx)
                .unwrap_err()
                .field,
            "Passphrase"
        );
        assert_eq!(
            creds("abc", secret, Some("Passphrase1"))
                .validate(Venue::Okx)
                .unwrap_err()
                .field,
            "API key"
        );
        assert!(
            creds(key, secret, Some("short"))
                .validate(Venue::Okx)
                .is_err()
        );
    }

    #[test]
    fn masked_key_and_fingerprint_hide_the_middle() {
        let c = creds(B64, B64, None);
        assert_eq!(c.masked_key(), "vmPU…Eh8A");
        let fp = c.fingerprint();
        assert_eq!(fp.len(), 19);
        assert!(!fp.contains(&B64[4..60]));
        assert_eq!(format!("{c:?}").matches("<redacted>").count(), 2);
        assert!(!format!("{c:?}").contains(B64));
    }
}
