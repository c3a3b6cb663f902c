//! Deribit's WebSocket API at `/ws/api/v2`: the same JSON-RPC methods as over HTTP, plus the
//! connection's own: `public/auth` binds the connection to the account, subscriptions
//! (`public/subscribe`, `private/subscribe`, `…/unsubscribe`, `…/unsubscribe_all`) with their
//! notifications (`{"jsonrpc": "2.0", "method": "subscription", "params": {channel,
//! data}}`), heartbeats (`public/set_heartbeat`: a `test_request` every interval that the
//! client answers with `public/test`), cancel-on-disconnect
//! (`private/enable_cancel_on_disconnect`, `disable`, `get`) and `private/logout`.

mod channels;
mod connection;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;
use axum::routing::get;

use super::Shared;

pub(super) fn routes() -> Router<Shared> {
    Router::new().route("/ws/api/v2", get(upgrade))
}

async fn upgrade(State(inner): State<Shared>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| connection::run(inner, socket))
}
