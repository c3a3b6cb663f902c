//! OKX's WebSocket API (okx.com/docs-v5/en/#overview-websocket): `/ws/v5/public` (tickers,
//! books, books5, trades, mark-price, funding-rate), `/ws/v5/business` (candle channels) and
//! `/ws/v5/private` (login, then orders, positions, account, balance_and_position).
//!
//! Requests are `{"op": "subscribe" | "unsubscribe" | "login", "args": [...]}`; each accepted
//! argument is answered `{"event": "subscribe", "arg": {...}, "connId": "..."}`, a refused
//! one `{"event": "error", "code": "...", "msg": "...", "connId": "..."}`. Pushes are
//! `{"arg": {...}, "data": [...]}` (books: with `action` snapshot / update). The text `ping`
//! is answered with the text `pong`.

mod books;
mod connection;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;
use axum::routing::get;

use super::Shared;

/// Which endpoint a connection came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Endpoint {
    Public,
    Business,
    Private,
}

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/ws/v5/public", get(public))
        .route("/ws/v5/business", get(business))
        .route("/ws/v5/private", get(private))
}

async fn public(State(inner): State<Shared>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| connection::run(inner, socket, Endpoint::Public))
}

async fn business(State(inner): State<Shared>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| connection::run(inner, socket, Endpoint::Business))
}

async fn private(State(inner): State<Shared>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| connection::run(inner, socket, Endpoint::Private))
}
