//! Which routed path a connection came in on, what its URL asks for, and the handshake that
//! checks the requested streams and listen keys before upgrading.

use std::collections::HashMap;

use axum::Extension;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::super::Shared;

use super::connection::run;
use super::subscriptions::{Subscriptions, is_market_stream};
use super::{MAX_STREAMS, Timing};

/// Which of Binance's routed paths a connection came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route {
    /// `/ws`, `/stream`: every market stream and listen key.
    Unrouted,
    /// `/public/…`: high-frequency book data.
    Public,
    /// `/market/…`: regular market data.
    Market,
    /// `/private/…`: user data by listen key.
    Private,
}

impl Route {
    pub(super) fn prefix(self) -> &'static str {
        match self {
            Route::Unrouted => "",
            Route::Public => "/public",
            Route::Market => "/market",
            Route::Private => "/private",
        }
    }

    /// Whether a connection on this route receives `stream` (a market stream name or a listen
    /// key). "Public … for example @depth"; "Market … for example @aggTrade and @markPrice";
    /// book tickers are book data, on Public.
    pub(super) fn carries(self, stream: &str) -> bool {
        if !is_market_stream(stream) {
            return matches!(self, Route::Unrouted | Route::Private);
        }
        let kind = stream.split('@').nth(1).unwrap_or("");
        let book = kind.starts_with("depth") || kind == "bookTicker";
        match self {
            Route::Unrouted => true,
            Route::Public => book,
            Route::Market => !book,
            Route::Private => false,
        }
    }
}

/// The query of any stream URL: `streams=<a>/<b>` (stream mode), and on `/private`
/// `listenKey=<k1>/<k2>` with `events=<E1>/<E2>`.
#[derive(Deserialize, Default)]
pub(super) struct StreamQuery {
    pub(super) streams: Option<String>,
    #[serde(rename = "listenKey")]
    pub(super) listen_key: Option<String>,
    pub(super) events: Option<String>,
}

/// `a/b/c` as names, empty parts dropped.
pub(super) fn split_names(list: Option<&str>) -> Vec<String> {
    list.unwrap_or("")
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What a URL asks for: its streams (and listen keys), and the user event types wanted.
pub(super) fn requested(route: Route, mut streams: Vec<String>, query: &StreamQuery) -> Opening {
    let mut events = None;
    if route == Route::Private {
        streams.extend(split_names(query.listen_key.as_deref()));
        let wanted = split_names(query.events.as_deref());
        if !wanted.is_empty() {
            events = Some(wanted);
        }
    }
    Opening { streams, events }
}

pub(super) struct Opening {
    pub(super) streams: Vec<String>,
    pub(super) events: Option<Vec<String>>,
}

pub(super) async fn raw_empty(
    route: Route,
    State(inner): State<Shared>,
    Extension(timing): Extension<Timing>,
    Query(query): Query<StreamQuery>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let opening = requested(route, Vec::new(), &query);
    open(inner, timing, upgrade, route, opening, false)
}

pub(super) async fn raw(
    route: Route,
    State(inner): State<Shared>,
    Extension(timing): Extension<Timing>,
    Path(stream): Path<String>,
    Query(query): Query<StreamQuery>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let opening = requested(route, vec![stream], &query);
    open(inner, timing, upgrade, route, opening, false)
}

pub(super) async fn combined(
    route: Route,
    State(inner): State<Shared>,
    Extension(timing): Extension<Timing>,
    Query(query): Query<StreamQuery>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let streams = split_names(query.streams.as_deref());
    let opening = requested(route, streams, &query);
    open(inner, timing, upgrade, route, opening, true)
}

/// How much a stream connection reads from its socket at a time. What clients send on a
/// stream is a few small requests a second; the connection's loop polls its socket each time an
/// event goes out, and each poll clears this much of the read buffer, so the library's default
/// (128 KiB) cost 128 KiB of memory writes per event per connection at a busy market.
const READ_BUFFER: usize = 4096;

/// Checks the requested streams, then upgrades.
pub(super) fn open(
    inner: Shared,
    timing: Timing,
    upgrade: WebSocketUpgrade,
    route: Route,
    opening: Opening,
    combined: bool,
) -> Response {
    let streams = opening.streams;
    if streams.len() > MAX_STREAMS {
        let msg = format!("A single connection can listen to a maximum of {MAX_STREAMS} streams.");
        return (StatusCode::BAD_REQUEST, msg).into_response();
    }
    let mut conn = Subscriptions {
        inner,
        route,
        combined,
        streams: Vec::new(),
        owners: HashMap::new(),
        events: opening.events,
    };
    for stream in &streams {
        if !conn.add(stream) {
            let body = json!({ "code": -1125, "msg": "This listenKey does not exist." });
            return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
        }
    }
    upgrade
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| run(socket, conn, timing))
}
