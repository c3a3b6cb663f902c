//! The HTTP `Authorization` header (/articles/authentication): `deri-hmac-sha256`, `Bearer`
//! and `Basic`.

use axum::http::HeaderMap;
use base64::Engine;

use super::super::Inner;
use super::super::auth::{self, Caller};
use super::super::errors::DeribitError;
use super::super::lock;

/// Who the request acts for: `None` without an `Authorization` header; a refusal (13009,
/// 13004) for one that does not check out.
pub(super) fn caller(
    inner: &Inner,
    headers: &HeaderMap,
    method: &str,
    uri: &str,
    body: &str,
    now: i64,
) -> Result<Option<Caller>, DeribitError> {
    let Some(value) = headers.get("authorization") else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| DeribitError::unauthorized("Authorization is not text"))?
        .trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let accounts = &inner.config.accounts;
    let index = match scheme.to_ascii_lowercase().as_str() {
        "deri-hmac-sha256" => {
            let h = auth::parse_signed_header(rest)?;
            let data = auth::request_string(&h.ts, &h.nonce, method, uri, body);
            auth::verify_signature(accounts, &h.id, &h.ts, &data, &h.sig, now)?
        }
        "bearer" => {
            let tokens = lock(&inner.tokens);
            let checked = tokens.check(rest.trim(), now);
            if checked.is_err() {
                tokens.note_refused();
            }
            return checked.map(Some);
        }
        "basic" => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(rest.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| DeribitError::unauthorized("Basic credentials are not base64"))?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(|| DeribitError::unauthorized("Basic credentials need id:secret"))?;
            auth::verify_secret(accounts, id, secret)?
        }
        _ => return Err(DeribitError::unauthorized("unknown authorization scheme")),
    };
    // `index` was found in `accounts` by the check above.
    Ok(Some(Caller {
        account: index,
        scope: accounts[index].scope,
    }))
}
