//! SIGNED endpoint checks, in the simulator's own words (nothing shared with rampart-venues):
//! `X-MBX-APIKEY` names a known key; `signature` (last parameter of the query string or body) is
//! HMAC-SHA256(secretKey, totalParams) where totalParams is the query string concatenated with the
//! body, the signature pair itself removed; the timing rule is Binance's:
//! `timestamp < serverTime + 1000 && serverTime - timestamp <= recvWindow` (recvWindow default
//! 5000, below 60000).

use std::collections::HashMap;

use axum::http::HeaderMap;
use hmac::{Hmac, KeyInit, Mac};
use rust_decimal::Decimal;
use sha2::Sha256;

use super::{BinanceError, SimAccount};

pub(super) struct Verified {
    pub api_key: String,
    pub params: HashMap<String, String>,
}

/// Splits `text` into the part before `signature=` and the signature value, if present.
fn split_signature(text: &str) -> (String, Option<String>) {
    let mut kept = Vec::new();
    let mut signature = None;
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        match pair.strip_prefix("signature=") {
            Some(sig) => signature = Some(sig.to_owned()),
            None => kept.push(pair),
        }
    }
    (kept.join("&"), signature)
}

pub(super) fn verify(
    accounts: &[SimAccount],
    query: &str,
    headers: &HeaderMap,
    body: &str,
    now: i64,
) -> Result<Verified, BinanceError> {
    let api_key = headers
        .get("X-MBX-APIKEY")
        .ok_or(BinanceError::RejectedKey)?
        .to_str()
        .map_err(|_| BinanceError::ApiKeyFormat)?;
    let account = accounts
        .iter()
        .find(|a| a.api_key == api_key)
        .ok_or(BinanceError::RejectedKey)?;

    let (query_signed, query_sig) = split_signature(query);
    let (body_signed, body_sig) = split_signature(body);
    let signature = query_sig
        .or(body_sig)
        .ok_or_else(|| BinanceError::Mandatory("signature".into()))?;
    let total_params = format!("{query_signed}{body_signed}");
    match account.ed25519_public_pem() {
        Some(pem) => verify_ed25519(pem, &total_params, &signature)?,
        None => {
            let mut mac = Hmac::<Sha256>::new_from_slice(account.api_secret.as_bytes())
                .map_err(|_| BinanceError::Signature)?;
            mac.update(total_params.as_bytes());
            let expected = hex::encode(mac.finalize().into_bytes());
            // "The signature is not case sensitive."
            if !expected.eq_ignore_ascii_case(&signature) {
                return Err(BinanceError::Signature);
            }
        }
    }

    // Body first, then the query string: "If a parameter sent in both the query string and
    // request body, the query string parameter will be used."
    let mut params: HashMap<String, String> = HashMap::new();
    for (k, v) in form_urlencoded::parse(body_signed.as_bytes()) {
        params.insert(k.into_owned(), v.into_owned());
    }
    for (k, v) in form_urlencoded::parse(query_signed.as_bytes()) {
        params.insert(k.into_owned(), v.into_owned());
    }

    let timestamp: i64 = required(&params, "timestamp")?
        .parse()
        .map_err(|_| BinanceError::Mandatory("timestamp".into()))?;
    let recv_window: i64 = match params.get("recvWindow") {
        Some(w) => w
            .parse()
            .map_err(|_| BinanceError::Mandatory("recvWindow".into()))?,
        None => 5000,
    };
    if !(1..60_000).contains(&recv_window) {
        return Err(BinanceError::RecvWindow);
    }
    if !(timestamp < now + 1000 && now - timestamp <= recv_window) {
        return Err(BinanceError::Timestamp);
    }
    Ok(Verified {
        api_key: account.api_key.clone(),
        params,
    })
}

/// Ed25519 keys: the signature is the base64 of the Ed25519 signature of the same payload,
/// URL-encoded as a parameter value; the account's registered key is a public key PEM.
fn verify_ed25519(pem: &str, payload: &str, signature: &str) -> Result<(), BinanceError> {
    use base64::Engine as _;
    use ed25519_dalek::Verifier as _;
    use ed25519_dalek::pkcs8::DecodePublicKey as _;

    let key = ed25519_dalek::VerifyingKey::from_public_key_pem(pem)
        .map_err(|_| BinanceError::RejectedKey)?;
    // The value is still URL-encoded here ('+', '/', '=' arrive as %2B, %2F, %3D).
    let decoded: String = form_urlencoded::parse(format!("s={signature}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(decoded.trim())
        .map_err(|_| BinanceError::Signature)?;
    let signature =
        ed25519_dalek::Signature::from_slice(&bytes).map_err(|_| BinanceError::Signature)?;
    key.verify(payload.as_bytes(), &signature)
        .map_err(|_| BinanceError::Signature)
}

/// The API key of a USER_STREAM request: `X-MBX-APIKEY` naming a known account, no signature.
pub(super) fn api_key_only(
    accounts: &[SimAccount],
    headers: &HeaderMap,
) -> Result<String, BinanceError> {
    let api_key = headers
        .get("X-MBX-APIKEY")
        .ok_or(BinanceError::RejectedKey)?
        .to_str()
        .map_err(|_| BinanceError::ApiKeyFormat)?;
    accounts
        .iter()
        .find(|a| a.api_key == api_key)
        .map(|a| a.api_key.clone())
        .ok_or(BinanceError::RejectedKey)
}

/// The parameters of a public request's query string.
pub(super) fn query_params(query: &str) -> HashMap<String, String> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub(super) fn required<'a>(
    params: &'a HashMap<String, String>,
    name: &str,
) -> Result<&'a str, BinanceError> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| BinanceError::Mandatory(name.into()))
}

pub(super) fn decimal(
    params: &HashMap<String, String>,
    name: &str,
) -> Result<Decimal, BinanceError> {
    required(params, name)?
        .parse()
        .map_err(|_| BinanceError::Mandatory(name.into()))
}

/// `newClientOrderId`: Binance allows `^[\.A-Z\:/a-z0-9_-]{1,36}$`.
pub(super) fn check_client_order_id(id: &str) -> Result<(), BinanceError> {
    let ok = (1..=36).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'/' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(BinanceError::ClientOrderId)
    }
}
