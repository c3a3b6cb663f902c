//! Signing for Deribit v2: the `deri-hmac-sha256` REST `Authorization` header and the
//! `client_signature` grant of `public/auth`.
//!
//! Deribit's rule, from docs.deribit.com/articles/authentication, "Deribit Signature
//! Credentials (HTTP REST)":
//!
//! > `Authorization: deri-hmac-sha256 id=ClientId,ts=Timestamp,sig=Signature,nonce=Nonce`
//! > …
//! > `RequestData = UPPERCASE(HTTP_METHOD()) + "\n" + URI() + "\n" + RequestBody + "\n";`
//! > `StringToSign = Timestamp + "\n" + Nonce + "\n" + RequestData;`
//! > `Signature = HEX_STRING( HMAC-SHA256( ClientSecret, StringToSign ) );`
//! > (URI includes the query string; "these three newline characters must always be present",
//! > the body being empty for a GET.) The timestamp is in milliseconds and "valid for 60
//! > seconds".
//!
//! and "Signature Credentials (WebSocket API)", for `public/auth` with
//! `grant_type = client_signature`:
//!
//! > `StringToSign = Timestamp + "\n" + Nonce + "\n" + Data;`
//! > `Signature = HEX_STRING( HMAC-SHA256( ClientSecret, StringToSign ) );`
//! > (Data is optional: "If Data is omitted, treat it as an empty string".)
//!
//! The page's two worked examples (client id `AMANDA`, secret `AMANDASECRECT`, timestamp
//! `1576074319000`, nonce `1iqt2wls`) are both reproduced in the tests below.

use std::sync::atomic::{AtomicU64, Ordering};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The scheme word of the signed `Authorization` header.
pub const SCHEME: &str = "deri-hmac-sha256";

/// A Deribit client secret, keyed once (HMAC-SHA256). `hmac`/`sha2` zeroize the keyed state on
/// drop; never printed.
#[derive(Clone)]
pub struct Signer(Hmac<Sha256>);

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(<redacted>)")
    }
}

impl Signer {
    /// A signer for the client secret as Deribit shows it; `None` for an empty secret.
    pub fn new(secret: &str) -> Option<Self> {
        let secret = secret.trim();
        if secret.is_empty() {
            return None;
        }
        // HMAC takes a key of any length (RFC 2104 §2).
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
            .ok()
            .map(Signer)
    }

    /// Lowercase hex of HMAC-SHA256 over `text` (UTF-8).
    pub fn sign(&self, text: &str) -> String {
        let mut mac = self.0.clone();
        mac.update(text.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The signature of a REST request (see [`rest_string_to_sign`]).
    pub fn sign_rest(
        &self,
        timestamp_ms: i64,
        nonce: &str,
        method: &str,
        uri: &str,
        body: &str,
    ) -> String {
        self.sign(&rest_string_to_sign(timestamp_ms, nonce, method, uri, body))
    }

    /// The `signature` of a `client_signature` grant (see [`grant_string_to_sign`]).
    pub fn sign_grant(&self, timestamp_ms: i64, nonce: &str, data: &str) -> String {
        self.sign(&grant_string_to_sign(timestamp_ms, nonce, data))
    }
}

/// `UPPERCASE(method) + "\n" + uri + "\n" + body + "\n"`: `uri` is the path with `?query`.
pub fn request_data(method: &str, uri: &str, body: &str) -> String {
    format!("{}\n{uri}\n{body}\n", method.to_ascii_uppercase())
}

/// `Timestamp + "\n" + Nonce + "\n" + RequestData`.
pub fn rest_string_to_sign(
    timestamp_ms: i64,
    nonce: &str,
    method: &str,
    uri: &str,
    body: &str,
) -> String {
    format!(
        "{timestamp_ms}\n{nonce}\n{}",
        request_data(method, uri, body)
    )
}

/// `Timestamp + "\n" + Nonce + "\n" + Data`.
pub fn grant_string_to_sign(timestamp_ms: i64, nonce: &str, data: &str) -> String {
    format!("{timestamp_ms}\n{nonce}\n{data}")
}

/// The `Authorization` header value of a signed REST request, in the order the documentation's
/// text gives (`id`, `ts`, `sig`, `nonce`).
pub fn authorization(client_id: &str, timestamp_ms: i64, signature: &str, nonce: &str) -> String {
    format!("{SCHEME} id={client_id},ts={timestamp_ms},sig={signature},nonce={nonce}")
}

/// A fresh nonce ("single usage, user generated initialization vector"): this machine's
/// nanoseconds and a process-wide counter, as hex, so two requests never share one.
pub fn new_nonce() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{nanos:08x}{:04x}", n & 0xffff)
}

fn id_chars(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Checks the shape of Deribit credentials before anything is signed: the client id and the
/// client secret as Deribit's API page shows them (letters, digits, `-` and `_`; the id a few
/// characters, the secret longer). The sentence names the field.
pub fn check_key_format(client_id: &str, client_secret: &str) -> Result<(), String> {
    let id = client_id.trim();
    if id.len() < 4 || id.len() > 64 || !id_chars(id) {
        return Err(
            "The Deribit client id should be a short code of letters, digits, - and _ (as \
             shown under Account → API on Deribit). Copy it again."
                .into(),
        );
    }
    let secret = client_secret.trim();
    if secret.len() < 8 || secret.len() > 128 || !id_chars(secret) {
        return Err(
            "The Deribit client secret should be a long code of letters, digits, - and _ \
             (shown once, when the key is created). Copy it again or make a new key."
                .into(),
        );
    }
    if id == secret {
        return Err(
            "The Deribit client secret is the same as the client id: paste the secret, not \
             the id, into the secret field."
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // docs.deribit.com/articles/authentication, "Example".
    const DOC_ID: &str = "AMANDA";
    const DOC_SECRET: &str = "AMANDASECRECT";
    const DOC_TS: i64 = 1_576_074_319_000;
    const DOC_NONCE: &str = "1iqt2wls";

    #[test]
    fn the_documented_client_signature_example_reproduces() {
        let s = Signer::new(DOC_SECRET).unwrap();
        assert_eq!(
            grant_string_to_sign(DOC_TS, DOC_NONCE, ""),
            "1576074319000\n1iqt2wls\n"
        );
        assert_eq!(
            s.sign_grant(DOC_TS, DOC_NONCE, ""),
            "56590594f97921b09b18f166befe0d1319b198bbcdad7ca73382de2f88fe9aa1"
        );
    }

    #[test]
    fn the_documented_rest_example_reproduces_with_the_same_timestamp_and_nonce() {
        // The page prints this value for GET /api/v2/private/get_account_summary?currency=BTC
        // with an empty body ("Exact value depends on current timestamp"); it is the one the
        // WebSocket example's timestamp and nonce give.
        let s = Signer::new(DOC_SECRET).unwrap();
        let uri = "/api/v2/private/get_account_summary?currency=BTC";
        assert_eq!(
            rest_string_to_sign(DOC_TS, DOC_NONCE, "get", uri, ""),
            "1576074319000\n1iqt2wls\nGET\n/api/v2/private/get_account_summary?currency=BTC\n\n"
        );
        let sig = s.sign_rest(DOC_TS, DOC_NONCE, "GET", uri, "");
        assert_eq!(
            sig,
            "9bfbc51a2bc372d72cc396cf1a213dc78d42eb74cb7dc272351833ad0de276ab"
        );
        assert_eq!(
            authorization(DOC_ID, DOC_TS, &sig, DOC_NONCE),
            "deri-hmac-sha256 id=AMANDA,ts=1576074319000,\
             sig=9bfbc51a2bc372d72cc396cf1a213dc78d42eb74cb7dc272351833ad0de276ab,nonce=1iqt2wls"
        );
    }

    #[test]
    fn hmac_is_rfc_4231_test_case_2() {
        let s = Signer::new("Jefe").unwrap();
        assert_eq!(
            s.sign("what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_secret_never_prints_and_empty_secrets_cannot_sign() {
        let s = Signer::new(DOC_SECRET).unwrap();
        assert_eq!(format!("{s:?}"), "Signer(<redacted>)");
        assert!(Signer::new(" ").is_none());
    }

    #[test]
    fn nonces_are_not_reused() {
        let a = new_nonce();
        let b = new_nonce();
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn key_formats_are_checked_and_the_field_is_named() {
        assert_eq!(check_key_format(DOC_ID, DOC_SECRET), Ok(()));
        assert_eq!(
            check_key_format("fo7WAPRm4P", "W0H6FJW4IRPZ1MOQ8FP6KMC5RZDUUKXS"),
            Ok(())
        );
        assert!(
            check_key_format("a b", DOC_SECRET)
                .unwrap_err()
                .contains("client id")
        );
        assert!(
            check_key_format(DOC_ID, "short")
                .unwrap_err()
                .contains("client secret")
        );
        assert!(
            check_key_format("AMANDASECRECT", "AMANDASECRECT")
                .unwrap_err()
                .contains("same as the client id")
        );
    }
}
