//! Request signing for OKX v5 private REST endpoints and the private WebSocket login.
//!
//! OKX's rule, from the v5 API documentation, "Overview → REST Authentication → Signature"
//! (okx.com/docs-v5/en/#overview-rest-authentication-signature):
//!
//! > The OK-ACCESS-SIGN header is generated as follows: create a prehash string of
//! > timestamp + method + requestPath + body (where + represents String concatenation),
//! > prepare the SecretKey, sign the prehash string with the SecretKey using the HMAC SHA256,
//! > encode the signature in the Base64 format.
//! > Example: `sign=CryptoJS.enc.Base64.stringify(CryptoJS.HmacSHA256(timestamp + 'GET' +
//! > '/api/v5/account/balance?ccy=BTC', SecretKey))`
//! > The timestamp value is the same as the OK-ACCESS-TIMESTAMP header with millisecond ISO
//! > format, e.g. `2020-12-08T09:08:57.715Z`. The request method should be in UPPERCASE.
//! > The requestPath is the path of requesting an endpoint (GET query parameters are part of
//! > it). The body refers to the String of the request body. It can be omitted if there is no
//! > request body (frequently the case for GET requests).
//!
//! And "Overview → WebSocket → Login" (okx.com/docs-v5/en/#overview-websocket-login):
//!
//! > sign: Signature string. The sign is calculated as follows: `timestamp + 'GET' +
//! > '/users/self/verify'`, HMAC SHA256 with the SecretKey, Base64. timestamp: Unix Epoch
//! > time, the unit is seconds.
//!
//! OKX publishes a sample SecretKey (`22582BD0CFF14C41EDBF1AB98506286D`) but no signature made
//! with it; its WebSocket login example's `sign` was not made with it either. The tests check
//! the documented prehash bytes, the MAC and Base64 against RFC 4231, and signatures of the
//! documented prehash strings computed independently (`openssl dgst -sha256 -hmac`).

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The OK-ACCESS-* header names.
pub const KEY_HEADER: &str = "OK-ACCESS-KEY";
pub const SIGN_HEADER: &str = "OK-ACCESS-SIGN";
pub const TIMESTAMP_HEADER: &str = "OK-ACCESS-TIMESTAMP";
pub const PASSPHRASE_HEADER: &str = "OK-ACCESS-PASSPHRASE";
/// "Demo Trading Services": requests to the demo environment carry `x-simulated-trading: 1`.
pub const SIMULATED_HEADER: &str = "x-simulated-trading";

/// The WebSocket login's fixed method and path.
pub const WS_LOGIN_PATH: &str = "/users/self/verify";

/// An OKX SecretKey, keyed once (HMAC-SHA256). `hmac`/`sha2` zeroize the keyed state on drop;
/// never printed.
#[derive(Clone)]
pub struct Signer(Hmac<Sha256>);

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(<redacted>)")
    }
}

impl Signer {
    /// A signer for the SecretKey as OKX shows it; `None` for an empty secret.
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

    /// Base64 of HMAC-SHA256 over `prehash`.
    pub fn sign(&self, prehash: &str) -> String {
        let mut mac = self.0.clone();
        mac.update(prehash.as_bytes());
        let digest = mac.finalize().into_bytes();
        base64::engine::general_purpose::STANDARD.encode(digest)
    }

    /// The OK-ACCESS-SIGN of a REST request.
    pub fn sign_request(
        &self,
        timestamp: &str,
        method: &str,
        request_path: &str,
        body: &str,
    ) -> String {
        self.sign(&prehash(timestamp, method, request_path, body))
    }

    /// The `sign` of a WebSocket login at `timestamp_secs` (Unix seconds, as text).
    pub fn sign_ws_login(&self, timestamp_secs: &str) -> String {
        self.sign(&prehash(timestamp_secs, "GET", WS_LOGIN_PATH, ""))
    }
}

/// `timestamp + METHOD + requestPath + body`: requestPath includes `?query` for GET; `body`
/// is the JSON text sent (empty when none).
pub fn prehash(timestamp: &str, method: &str, request_path: &str, body: &str) -> String {
    let mut s =
        String::with_capacity(timestamp.len() + method.len() + request_path.len() + body.len());
    s.push_str(timestamp);
    s.push_str(&method.to_ascii_uppercase());
    s.push_str(request_path);
    s.push_str(body);
    s
}

/// Milliseconds since the Unix epoch as OKX's OK-ACCESS-TIMESTAMP: UTC, ISO 8601 with
/// milliseconds, `2020-12-08T09:08:57.715Z`.
pub fn iso_timestamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        of_day / 3600,
        (of_day % 3600) / 60,
        of_day % 60
    )
}

/// The proleptic Gregorian date of `days` since 1970-01-01 (eras of 400 years).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Checks the shape of OKX credentials before anything is signed: the API key is a UUID
/// (`8-4-4-4-12` hex digits, as OKX issues them), the SecretKey 32 hex digits (as the docs'
/// sample `22582BD0CFF14C41EDBF1AB98506286D`), and the passphrase the one chosen when the key
/// was made (not empty, no spaces or control characters). The sentence names the field.
pub fn check_key_format(api_key: &str, api_secret: &str, passphrase: &str) -> Result<(), String> {
    let key = api_key.trim();
    let groups: Vec<&str> = key.split('-').collect();
    let uuid = groups.len() == 5
        && groups
            .iter()
            .zip([8usize, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
    if !uuid {
        return Err(
            "The OKX API key should look like 1a2b3c4d-… (32 hex digits in five groups \
             separated by dashes). Copy it again from OKX's API page."
                .into(),
        );
    }
    let secret = api_secret.trim();
    if secret.len() != 32 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(
            "The OKX secret key should be 32 letters and digits (0-9, A-F). OKX shows \
             it only once, when the key is created: copy it again or make a new key."
                .into(),
        );
    }
    if passphrase.is_empty() {
        return Err(
            "The OKX passphrase is empty: enter the passphrase you chose when you \
             created this API key."
                .into(),
        );
    }
    if passphrase
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(
            "The OKX passphrase contains spaces or invisible characters: enter the \
             passphrase you chose when you created this API key, exactly."
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC_SECRET: &str = "22582BD0CFF14C41EDBF1AB98506286D";

    #[test]
    fn the_documented_prehash_strings_are_built_byte_for_byte() {
        assert_eq!(
            prehash(
                "2020-12-08T09:08:57.715Z",
                "get",
                "/api/v5/account/balance?ccy=BTC",
                ""
            ),
            "2020-12-08T09:08:57.715ZGET/api/v5/account/balance?ccy=BTC"
        );
        assert_eq!(
            prehash(
                "2020-12-08T09:08:57.715Z",
                "POST",
                "/api/v5/account/set-leverage",
                r#"{"instId":"BTC-USDT","lever":"5","mgnMode":"isolated"}"#
            ),
            r#"2020-12-08T09:08:57.715ZPOST/api/v5/account/set-leverage{"instId":"BTC-USDT","lever":"5","mgnMode":"isolated"}"#
        );
        assert_eq!(
            prehash("1538054050", "GET", WS_LOGIN_PATH, ""),
            "1538054050GET/users/self/verify"
        );
    }

    #[test]
    fn hmac_and_base64_match_rfc_4231_test_case_2() {
        // RFC 4231 §4.3: key "Jefe", data "what do ya want for nothing?", HMAC-SHA256 =
        // 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843.
        let s = Signer::new("Jefe").unwrap();
        let sig = s.sign("what do ya want for nothing?");
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&sig)
            .unwrap();
        assert_eq!(
            hex::encode(raw),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn signatures_with_the_documented_sample_secret_match_openssl() {
        // printf '%s' "<prehash>" | openssl dgst -sha256 -hmac <secret> -binary | base64
        let s = Signer::new(DOC_SECRET).unwrap();
        assert_eq!(
            s.sign_request(
                "2020-12-08T09:08:57.715Z",
                "GET",
                "/api/v5/account/balance?ccy=BTC",
                ""
            ),
            "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY="
        );
        assert_eq!(
            s.sign_request(
                "2020-12-08T09:08:57.715Z",
                "POST",
                "/api/v5/account/set-leverage",
                r#"{"instId":"BTC-USDT","lever":"5","mgnMode":"isolated"}"#
            ),
            "eCnnCgWLjlQ9XnpUkrcny3qNq3WW/81KNrDr/XR6Xv8="
        );
        assert_eq!(
            s.sign_ws_login("1538054050"),
            "+LdIr8lkkvhr5hoA3g9TMC0+uQJ849ftAcocA/ouu4M="
        );
    }

    #[test]
    fn the_ws_login_example_is_not_reproduced_by_the_sample_secret() {
        // The docs' login example (`sign` 7L+zFQ+…) was made with an unpublished secret.
        let s = Signer::new(DOC_SECRET).unwrap();
        assert_ne!(
            s.sign_ws_login("1538054050"),
            "7L+zFQ+CEgGu5rzCj4+BdV2/uUHGqddA9pI6ztsRRPs="
        );
    }

    #[test]
    fn timestamps_are_iso_8601_utc_with_milliseconds() {
        assert_eq!(iso_timestamp(1_607_418_537_715), "2020-12-08T09:08:57.715Z");
        assert_eq!(iso_timestamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_timestamp(951_782_400_001), "2000-02-29T00:00:00.001Z");
        assert_eq!(iso_timestamp(1_798_761_599_999), "2026-12-31T23:59:59.999Z");
    }

    #[test]
    fn the_secret_never_prints_and_empty_secrets_cannot_sign() {
        let s = Signer::new(DOC_SECRET).unwrap();
        assert_eq!(format!("{s:?}"), "Signer(<redacted>)");
        assert!(Signer::new("  ").is_none());
    }

    #[test]
    fn key_formats_are_checked_and_the_field_is_named() {
        let key = "985d5b66-57ce-40fb-b714-afc0b9787083";
        assert_eq!(check_key_format(key, DOC_SECRET, "Passw0rd!"), Ok(()));
        assert!(
            check_key_format("abc", DOC_SECRET, "p")
                .unwrap_err()
                .contains("API key")
        );
        assert!(
            check_key_format(key, "xyz", "p")
                .unwrap_err()
                .contains("secret key")
        );
        assert!(
            check_key_format(key, DOC_SECRET, "")
                .unwrap_err()
                .contains("passphrase")
        );
        assert!(
            check_key_format(key, DOC_SECRET, "pass word")
                .unwrap_err()
                .contains("passphrase")
        );
    }
}
