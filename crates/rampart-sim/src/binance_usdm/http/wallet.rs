//! The SPOT host's one wallet endpoint the simulator serves, on its own address: Get API Key
//! Permission (see [`super::super::key_permissions`]).

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::super::{BinanceError, Shared};
use super::respond;

/// `GET /sapi/v1/account/apiRestrictions` (USER_DATA, weight 1): the key's permissions, every
/// documented field. Verified like every signed endpoint (-1022 for a bad signature, -1021
/// outside recvWindow, -2015 for an unknown or revoked key), and answered whatever the key may
/// do: it is how a client learns that.
pub(super) async fn api_restrictions(
    State(inner): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    let now = inner.now_ms();
    let result = inner
        .verify_signed(query.as_deref().unwrap_or(""), &headers, &body, now)
        .and_then(|request| {
            inner
                .permissions_of(&request.api_key)
                .map(|p| p.to_json(inner.started_ms))
                .ok_or(BinanceError::RejectedKey)
        });
    respond(result)
}
