//! Request signing for Bybit v5 private endpoints, REST and WebSocket.
//!
//! Bybit's rule, from the v5 guide, "Integration Guidance → Authentication for API endpoints →
//! Create A Request" (bybit-exchange/docs `docs/v5/guide.mdx`, bybit-exchange.github.io/docs/v5/guide):
//!
//! > For GET requests: timestamp + API key + recv_window + queryString
//! > For POST requests: timestamp + API key + recv_window + jsonBodyString
//! > Use the HMAC_SHA256 or RSA_SHA256 algorithm to sign the string in step 1, and convert it to
//! > a lowercase HEX string for HMAC_SHA256, or base64 for RSA_SHA256
//!
//! The headers are `X-BAPI-API-KEY`, `X-BAPI-TIMESTAMP` (UTC ms), `X-BAPI-SIGN` and
//! `X-BAPI-RECV-WINDOW` (the guide's step 3 names `X-BAPI-API-KEY` for the signature, but its own
//! HTTP examples send it in `X-BAPI-SIGN`). The query string is signed exactly as sent, in the
//! order sent (the guide's zh-TW text: "queryString(無需排序)"); the JSON body is signed byte for
//! byte as sent.
//!
//! The private WebSocket login ("WebSocket Stream → Connect → Authentication",
//! `docs/v5/websocket/wss-authentication.mdx`) signs `"GET/realtime" + expires` the same way, with
//! `expires` in ms and "greater than your current timestamp".
//!
//! Only HMAC keys are supported: an RSA key (a PEM private key) is refused with a sentence.

use crate::binance_usdm::signer::HmacSha256;

/// The header names of a signed request.
pub const HEADER_API_KEY: &str = "X-BAPI-API-KEY";
pub const HEADER_TIMESTAMP: &str = "X-BAPI-TIMESTAMP";
pub const HEADER_SIGN: &str = "X-BAPI-SIGN";
pub const HEADER_RECV_WINDOW: &str = "X-BAPI-RECV-WINDOW";

/// What the WebSocket login signs before `expires`.
pub const WS_AUTH_PREFIX: &str = "GET/realtime";

/// Why a secret cannot sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignerError {
    /// The secret is empty.
    #[error("the API secret is empty")]
    Empty,
    /// An RSA private key: Bybit's self-generated RSA keys are not supported by Rampart.
    #[error(
        "the API secret is an RSA private key; Rampart signs Bybit requests with \
         system-generated (HMAC) keys only: create an API key with \"System-generated API Keys\""
    )]
    RsaKey,
}

/// A Bybit API secret, ready to sign. The keyed HMAC state is zeroized on drop (`hmac` and
/// `sha2` with their `zeroize` feature) and never printed.
#[derive(Clone)]
pub struct Signer {
    hmac: HmacSha256,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(<redacted>)")
    }
}

/// The string Bybit's guide says to sign for a REST request: `timestamp + api_key +
/// recv_window + payload`, where `payload` is the query string (GET) or the JSON body (POST).
pub fn string_to_sign(timestamp: &str, api_key: &str, recv_window: &str, payload: &str) -> String {
    let mut text =
        String::with_capacity(timestamp.len() + api_key.len() + recv_window.len() + payload.len());
    text.push_str(timestamp);
    text.push_str(api_key);
    text.push_str(recv_window);
    text.push_str(payload);
    text
}

/// The string the WebSocket login signs: `"GET/realtime" + expires`.
pub fn ws_auth_string(expires_ms: i64) -> String {
    format!("{WS_AUTH_PREFIX}{expires_ms}")
}

impl Signer {
    /// A signer for the secret as Bybit shows it when the key is created.
    pub fn new(secret: &str) -> Result<Self, SignerError> {
        let trimmed = secret.trim();
        if trimmed.is_empty() {
            return Err(SignerError::Empty);
        }
        if trimmed.starts_with("-----BEGIN") {
            return Err(SignerError::RsaKey);
        }
        Ok(Self {
            hmac: HmacSha256::new(trimmed.as_bytes()),
        })
    }

    /// Lowercase hex HMAC-SHA256 of `text`.
    pub fn sign_text(&self, text: &str) -> String {
        hex::encode(self.hmac.mac(&[text.as_bytes()]))
    }

    /// The `X-BAPI-SIGN` value for a REST request (see [`string_to_sign`]).
    pub fn sign(&self, timestamp: &str, api_key: &str, recv_window: &str, payload: &str) -> String {
        hex::encode(self.hmac.mac(&[
            timestamp.as_bytes(),
            api_key.as_bytes(),
            recv_window.as_bytes(),
            payload.as_bytes(),
        ]))
    }

    /// The signature of the WebSocket login frame `{"op":"auth","args":[key, expires, sig]}`.
    pub fn ws_auth_signature(&self, expires_ms: i64) -> String {
        self.sign_text(&ws_auth_string(expires_ms))
    }
}

/// Checks the shape of a Bybit API key and secret before anything is stored or sent: both are
/// ASCII letters and digits (the v5 docs' samples show an 18-character key and a 36-character
/// secret). The sentence names the field that is wrong.
pub fn check_key_format(api_key: &str, api_secret: &str) -> Result<(), String> {
    let key = api_key.trim();
    if key.is_empty() {
        return Err("The Bybit API key is empty: paste the API key shown by Bybit.".into());
    }
    if key.len() < 10 || key.len() > 64 || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(
            "The Bybit API key should be letters and digits only (usually 18 characters): \
             check that the API key, not the secret, is in the API key field."
                .into(),
        );
    }
    let secret = api_secret.trim();
    if secret.is_empty() {
        return Err(
            "The Bybit API secret is empty: paste the secret shown by Bybit when the \
                    key was created."
                .into(),
        );
    }
    if secret.starts_with("-----BEGIN") {
        return Err(SignerError::RsaKey.to_string());
    }
    if secret.len() < 10 || secret.len() > 128 || !secret.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(
            "The Bybit API secret should be letters and digits only (usually 36 characters): \
             check that the whole secret was pasted into the API secret field."
                .into(),
        );
    }
    if secret == key {
        return Err(
            "The Bybit API secret is the same as the API key: paste the secret into \
                    the API secret field."
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The guide's GET example ("Create A Request", GET tab).
    const GET_STRING: &str =
        "1658384314791XXXXXXXXXX5000category=option&symbol=BTC-29JUL22-25000-C";
    // The guide's POST example ("Create A Request", POST tab).
    const POST_STRING: &str = "1658385579423XXXXXXXXXX5000{\"category\": \"option\"}";

    #[test]
    fn the_guides_get_string_to_sign_is_built_byte_for_byte() {
        assert_eq!(
            string_to_sign(
                "1658384314791",
                "XXXXXXXXXX",
                "5000",
                "category=option&symbol=BTC-29JUL22-25000-C"
            ),
            GET_STRING
        );
    }

    #[test]
    fn the_guides_post_string_to_sign_is_built_byte_for_byte() {
        assert_eq!(
            string_to_sign(
                "1658385579423",
                "XXXXXXXXXX",
                "5000",
                "{\"category\": \"option\"}"
            ),
            POST_STRING
        );
    }

    #[test]
    fn the_guides_signatures_do_not_come_from_the_sample_secret() {
        // The guide prints 410e0f38… for the GET string; its secret is unpublished, and the
        // sample "XXXXXXXXXX" gives another value (so only the string to sign is asserted).
        let signer = Signer::new("XXXXXXXXXX").unwrap();
        let sig = signer.sign_text(GET_STRING);
        assert_ne!(
            sig,
            "410e0f387bafb7afd0f1722c068515e09945610124fa11774da1da857b72f30b"
        );
        assert_eq!(
            sig,
            "c00720f96c5934ca7057ac28ae65b823f83b8b67a8fe784e7795ca0fa3c148ec"
        );
    }

    #[test]
    fn signing_is_lowercase_hex_hmac_sha256_of_the_string_to_sign() {
        // Vectors from an independent HMAC-SHA256 implementation (Python's hmac module).
        let signer = Signer::new("RampartTestSecret0123456789abcdefghij").unwrap();
        assert_eq!(
            signer.sign(
                "1658384314791",
                "XXXXXXXXXX",
                "5000",
                "category=option&symbol=BTC-29JUL22-25000-C"
            ),
            "57937eab0adf4a4107fd4c4c5910f9ee892f01a88d05a056e77d33dd272e015c"
        );
        assert_eq!(
            signer.sign(
                "1658385579423",
                "XXXXXXXXXX",
                "5000",
                "{\"category\": \"option\"}"
            ),
            "2ceb40c06098252dcc32958051ee8524afa77b570fb738a113cbff3566e0d2fa"
        );
        assert_eq!(
            signer.sign_text(GET_STRING),
            signer.sign(
                "1658384314791",
                "XXXXXXXXXX",
                "5000",
                "category=option&symbol=BTC-29JUL22-25000-C"
            )
        );
    }

    #[test]
    fn the_websocket_login_signs_get_realtime_and_expires() {
        assert_eq!(
            ws_auth_string(1_662_350_400_000),
            "GET/realtime1662350400000"
        );
        let signer = Signer::new("RampartTestSecret0123456789abcdefghij").unwrap();
        assert_eq!(
            signer.ws_auth_signature(1_662_350_400_000),
            "97c2e5bce4ab97ea5cef4bb0d42e15d9fd5bacdcce8e8ed048fa49c58576d1e1"
        );
    }

    #[test]
    fn debug_never_shows_the_secret_and_rsa_keys_are_refused() {
        let signer = Signer::new("RampartTestSecret0123456789abcdefghij").unwrap();
        let text = format!("{signer:?}");
        assert!(!text.contains("RampartTestSecret"), "{text}");
        assert!(text.contains("redacted"));
        assert_eq!(Signer::new("  ").unwrap_err(), SignerError::Empty);
        assert_eq!(
            Signer::new("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----").unwrap_err(),
            SignerError::RsaKey
        );
    }

    #[test]
    fn key_format_names_the_wrong_field() {
        assert!(
            check_key_format("AbCdEf0123456789Gh", "AbCdEf0123456789GhAbCdEf0123456789Gh").is_ok()
        );
        assert!(check_key_format("", "x").unwrap_err().contains("API key"));
        assert!(
            check_key_format("AbCd-f0123456789Gh", "AbCdEf0123456789GhAbCdEf0123456789Gh")
                .unwrap_err()
                .contains("API key")
        );
        assert!(
            check_key_format("AbCdEf0123456789Gh", "short")
                .unwrap_err()
                .contains("API secret")
        );
        assert!(
            check_key_format("AbCdEf0123456789Gh", "")
                .unwrap_err()
                .contains("API secret")
        );
        assert!(
            check_key_format("AbCdEf0123456789Gh", "AbCdEf0123456789Gh")
                .unwrap_err()
                .contains("same as the API key")
        );
    }
}
