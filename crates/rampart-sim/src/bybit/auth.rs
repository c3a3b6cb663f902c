//! Bybit's request authentication, checked as Bybit checks it.
//!
//! Bybit v5 guide, "Authentication" (<https://bybit-exchange.github.io/docs/v5/guide>):
//! the headers `X-BAPI-API-KEY`, `X-BAPI-TIMESTAMP` (UTC ms), `X-BAPI-SIGN` and optionally
//! `X-BAPI-RECV-WINDOW` ("unit in millisecond and default value is 5,000"); the timestamp rule
//! "server_time - recv_window <= timestamp < server_time + 1000"; and the string to sign:
//!
//! > For GET requests: timestamp + API key + recv_window + queryString
//! > For POST requests: timestamp + API key + recv_window + jsonBodyString
//!
//! signed with HMAC_SHA256 and encoded as lowercase hex. The query string is taken as sent
//! (Bybit does not sort it), the body as its raw bytes.
//!
//! The private WebSocket's `auth` op (<https://bybit-exchange.github.io/docs/v5/ws/connect>)
//! signs `"GET/realtime" + expires` with the same HMAC, `expires` in ms "greater than your
//! current timestamp".

use axum::http::HeaderMap;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::SimAccount;
use super::errors::BybitError;

/// `X-BAPI-RECV-WINDOW` when the request sends none.
pub(super) const DEFAULT_RECV_WINDOW: i64 = 5_000;

/// The REST string to sign.
pub(super) fn payload(timestamp: &str, api_key: &str, recv_window: &str, params: &str) -> String {
    format!("{timestamp}{api_key}{recv_window}{params}")
}

/// Whether `signature` (hex) is the HMAC-SHA256 of `payload` under `secret`, compared in
/// constant time.
pub(super) fn signature_matches(secret: &str, payload: &str, signature: &str) -> bool {
    let Ok(given) = hex::decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(payload.as_bytes());
    mac.verify_slice(&given).is_ok()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The account a signed request comes from, after the checks in Bybit's order: a known key
/// (10003), a timestamp inside the window (10002), then the signature (10004). `params` is the
/// raw query string for GET, the raw body for POST.
pub(super) fn verify<'a>(
    accounts: &'a [SimAccount],
    headers: &HeaderMap,
    params: &str,
    now: i64,
) -> Result<&'a SimAccount, BybitError> {
    let api_key = header(headers, "x-bapi-api-key").ok_or_else(BybitError::invalid_key)?;
    let account = accounts
        .iter()
        .find(|a| a.api_key == api_key)
        .ok_or_else(BybitError::invalid_key)?;
    let ts_text = header(headers, "x-bapi-timestamp")
        .ok_or_else(|| BybitError::params("X-BAPI-TIMESTAMP is missing"))?;
    let timestamp: i64 = ts_text
        .trim()
        .parse()
        .map_err(|_| BybitError::timestamp())?;
    let recv_text = header(headers, "x-bapi-recv-window");
    let recv_window = match recv_text {
        Some(r) => r
            .trim()
            .parse::<i64>()
            .map_err(|_| BybitError::params("X-BAPI-RECV-WINDOW invalid"))?,
        None => DEFAULT_RECV_WINDOW,
    };
    if !(now - recv_window <= timestamp && timestamp < now + 1000) {
        return Err(BybitError::timestamp());
    }
    let sign = header(headers, "x-bapi-sign").ok_or_else(BybitError::bad_sign)?;
    let signed = payload(ts_text, api_key, recv_text.unwrap_or(""), params);
    if !signature_matches(&account.api_secret, &signed, sign) {
        return Err(BybitError::bad_sign());
    }
    Ok(account)
}

/// The string the private WebSocket's `auth` op signs.
pub(super) fn ws_payload(expires: i64) -> String {
    format!("GET/realtime{expires}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hmac_hex(secret: &str, payload: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(payload.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The guide's two strings to sign (its sample secret is not published, so only the
    /// strings are checked): GET "1658384314791XXXXXXXXXX5000category=option&symbol=BTC-29JUL22-25000-C",
    /// POST "1658385579423XXXXXXXXXX5000{\"category\": \"option\"}".
    #[test]
    fn the_guides_strings_to_sign() {
        assert_eq!(
            payload(
                "1658384314791",
                "XXXXXXXXXX",
                "5000",
                "category=option&symbol=BTC-29JUL22-25000-C"
            ),
            "1658384314791XXXXXXXXXX5000category=option&symbol=BTC-29JUL22-25000-C"
        );
        assert_eq!(
            payload(
                "1658385579423",
                "XXXXXXXXXX",
                "5000",
                "{\"category\": \"option\"}"
            ),
            "1658385579423XXXXXXXXXX5000{\"category\": \"option\"}"
        );
        assert_eq!(ws_payload(1662350400000), "GET/realtime1662350400000");
    }

    #[test]
    fn a_signature_matches_only_its_own_payload_and_secret() {
        let sig = hmac_hex("secret", "1X5000a=1");
        assert!(signature_matches("secret", "1X5000a=1", &sig));
        assert!(signature_matches(
            "secret",
            "1X5000a=1",
            &sig.to_uppercase()
        ));
        assert!(!signature_matches("secret", "1X5000a=2", &sig));
        assert!(!signature_matches("other", "1X5000a=1", &sig));
        assert!(!signature_matches("secret", "1X5000a=1", "zz"));
    }

    #[test]
    fn the_timestamp_window_is_half_open() {
        let accounts = vec![SimAccount {
            api_key: "k".into(),
            api_secret: "s".into(),
            ..SimAccount::default()
        }];
        let now = 1_000_000;
        let check = |ts: i64| {
            let mut h = HeaderMap::new();
            h.insert("x-bapi-api-key", "k".parse().unwrap());
            h.insert("x-bapi-timestamp", ts.to_string().parse().unwrap());
            h.insert("x-bapi-recv-window", "5000".parse().unwrap());
            let sig = hmac_hex("s", &format!("{ts}k5000q=1"));
            h.insert("x-bapi-sign", sig.parse().unwrap());
            verify(&accounts, &h, "q=1", now)
                .map(|_| ())
                .map_err(|e| e.ret_code)
        };
        assert_eq!(check(now - 5000), Ok(()));
        assert_eq!(check(now - 5001), Err(10002));
        assert_eq!(check(now + 999), Ok(()));
        assert_eq!(check(now + 1000), Err(10002));
    }
}
