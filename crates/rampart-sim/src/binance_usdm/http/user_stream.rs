//! The listen key endpoints of the user data stream: new, keepalive and close.

use std::sync::atomic::Ordering;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::super::{BinanceError, ListenKey, Shared, auth, lock};
use super::respond;

/// A new 64-character listen key.
pub(super) fn draw_listen_key(inner: &Shared) -> String {
    pub(super) const ALPHABET: &[u8] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let n = inner.key_counter.fetch_add(1, Ordering::Relaxed);
    let mut rng = ChaCha8Rng::seed_from_u64(
        inner.config.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ inner.now_ms().unsigned_abs(),
    );
    (0..64)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// `POST /fapi/v1/listenKey` (USER_STREAM: API key, no signature): the account's valid key,
/// extended by the validity, or a new one.
pub(super) async fn listen_key_new(State(inner): State<Shared>, headers: HeaderMap) -> Response {
    let result = inner.api_key_only(&headers).map(|api_key| {
        let now = inner.now_ms();
        let expires_at = now + inner.config.listen_key_validity_ms;
        let mut keys = lock(&inner.listen_keys);
        let existing = keys
            .iter_mut()
            .find(|(_, k)| k.api_key == api_key && k.expires_at > now);
        let key = match existing {
            Some((key, k)) => {
                k.expires_at = expires_at;
                key.clone()
            }
            None => {
                let key = draw_listen_key(&inner);
                keys.insert(
                    key.clone(),
                    ListenKey {
                        api_key,
                        expires_at,
                    },
                );
                key
            }
        };
        json!({ "listenKey": key })
    });
    respond(result)
}

/// The account's valid listen key (or the one named by `listenKey`), if any.
pub(super) fn find_key(
    inner: &Shared,
    api_key: &str,
    query: Option<&str>,
    body: &str,
) -> Option<String> {
    let now = inner.now_ms();
    let mut named = auth::query_params(body);
    named.extend(auth::query_params(query.unwrap_or("")));
    let keys = lock(&inner.listen_keys);
    keys.iter()
        .filter(|(_, k)| k.api_key == api_key && k.expires_at > now)
        .find(|(key, _)| named.get("listenKey").is_none_or(|n| n == *key))
        .map(|(key, _)| key.clone())
}

/// `PUT /fapi/v1/listenKey`: extends the key's validity; -1125 when there is none.
pub(super) async fn listen_key_keepalive(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    let result = inner.api_key_only(&headers).and_then(|api_key| {
        let key = find_key(&inner, &api_key, query.as_deref(), &body)
            .ok_or(BinanceError::ListenKeyMissing)?;
        let expires_at = inner.now_ms() + inner.config.listen_key_validity_ms;
        if let Some(k) = lock(&inner.listen_keys).get_mut(&key) {
            k.expires_at = expires_at;
        }
        Ok(json!({ "listenKey": key }))
    });
    respond(result)
}

/// `DELETE /fapi/v1/listenKey`: closes the stream; its connections get `listenKeyExpired`.
pub(super) async fn listen_key_close(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    let result = inner.api_key_only(&headers).and_then(|api_key| {
        let key = find_key(&inner, &api_key, query.as_deref(), &body)
            .ok_or(BinanceError::ListenKeyMissing)?;
        lock(&inner.listen_keys).remove(&key);
        inner.publish_key_expired(&key, &api_key, inner.now_ms());
        Ok(json!({}))
    });
    respond(result)
}
