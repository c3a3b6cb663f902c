//! The WebSocket streams on the REST address, as "Connect"
//! (<https://bybit-exchange.github.io/docs/v5/ws/connect>) and the topic pages describe them.
//!
//! - `/v5/public/linear` and `/v5/public/inverse`: `orderbook.{1|50|200}.{symbol}` (a snapshot
//!   on subscribing, then deltas, levels of size "0" removed; depth 1 sends snapshots only),
//!   `publicTrade.{symbol}`, `tickers.{symbol}`, `kline.{interval}.{symbol}`;
//! - `/v5/private`: `{"op":"auth","args":[apiKey, expires, signature]}` with the hex HMAC of
//!   `"GET/realtime" + expires`, then `order`, `execution`, `position`, `wallet` and
//!   `dcp.future` (`dcp.spot`, `dcp.option` accepted).
//!
//! `{"op":"ping"}` is answered as each kind documents its pong; `subscribe` and `unsubscribe`
//! answer `{"success", "ret_msg", "conn_id", "req_id", "op"}`.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::rest::{interval_minutes, wallet_coins};
use super::{Shared, auth, views};
use crate::core::{Book, ContractKind, Event, Instrument, Level, Side};

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/v5/public/linear", get(public_linear))
        .route("/v5/public/inverse", get(public_inverse))
        .route("/v5/private", get(private))
}

async fn public_linear(ws: WebSocketUpgrade, State(inner): State<Shared>) -> Response {
    ws.on_upgrade(move |socket| run(socket, inner, Kind::Public(ContractKind::Linear)))
}

async fn public_inverse(ws: WebSocketUpgrade, State(inner): State<Shared>) -> Response {
    ws.on_upgrade(move |socket| run(socket, inner, Kind::Public(ContractKind::Inverse)))
}

async fn private(ws: WebSocketUpgrade, State(inner): State<Shared>) -> Response {
    ws.on_upgrade(move |socket| run(socket, inner, Kind::Private))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Public(ContractKind),
    Private,
}

/// A book topic's state: its depth and the levels last sent (for deltas).
struct BookTopic {
    depth: usize,
    sent: Option<(Vec<Level>, Vec<Level>)>,
}

/// One connection's subscriptions and identity.
struct StreamConnection {
    inner: Shared,
    kind: Kind,
    conn_id: String,
    instruments: Vec<Instrument>,
    /// The authenticated API key (private streams).
    api_key: Option<String>,
    books: BTreeMap<String, BookTopic>,
    topics: HashSet<String>,
    dcp: bool,
}

impl StreamConnection {
    fn instrument(&self, symbol: &str) -> Option<&Instrument> {
        self.instruments.iter().find(|i| i.symbol == symbol)
    }

    /// An instrument of this connection's category.
    fn listed(&self, symbol: &str) -> Option<&Instrument> {
        match self.kind {
            Kind::Public(kind) => self.instrument(symbol).filter(|i| i.kind == kind),
            Kind::Private => None,
        }
    }

    fn answer(&self, op: &str, req_id: &Value, success: bool, ret_msg: &str) -> Value {
        match self.kind {
            Kind::Private => json!({
                "success": success,
                "ret_msg": ret_msg,
                "op": op,
                "conn_id": self.conn_id,
                "req_id": req_id,
            }),
            Kind::Public(_) => json!({
                "success": success,
                "ret_msg": ret_msg,
                "conn_id": self.conn_id,
                "req_id": req_id,
                "op": op,
            }),
        }
    }

    /// Handles one client message; returns the frames to send.
    fn request(&mut self, text: &str) -> Vec<Value> {
        let Ok(msg) = serde_json::from_str::<Value>(text) else {
            return vec![
                json!({"success": false, "ret_msg": "error:request must be JSON", "conn_id": self.conn_id}),
            ];
        };
        let req_id = msg.get("req_id").cloned().unwrap_or(json!(""));
        let args: Vec<Value> = msg
            .get("args")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let now = self.inner.now_ms();
        match msg.get("op").and_then(Value::as_str) {
            Some("ping") => vec![match self.kind {
                Kind::Private => json!({
                    "req_id": req_id,
                    "op": "pong",
                    "args": [now.to_string()],
                    "conn_id": self.conn_id,
                }),
                Kind::Public(_) => self.answer("ping", &req_id, true, "pong"),
            }],
            Some("auth") if self.kind == Kind::Private => vec![self.auth(&args, &req_id, now)],
            Some("subscribe") => self.subscribe(&args, &req_id, now),
            Some("unsubscribe") => {
                for topic in args.iter().filter_map(Value::as_str) {
                    self.books.remove(topic);
                    self.topics.remove(topic);
                    if topic.starts_with("dcp") && self.dcp {
                        self.dcp = false;
                        if let Some(key) = &self.api_key {
                            self.inner.dcp_disconnected(key);
                        }
                    }
                }
                vec![self.answer("unsubscribe", &req_id, true, "")]
            }
            Some(other) => vec![self.answer(
                other,
                &req_id,
                false,
                &format!("error:op {other} is not supported"),
            )],
            None => vec![self.answer("", &req_id, false, "error:op is missing")],
        }
    }

    fn auth(&mut self, args: &[Value], req_id: &Value, now: i64) -> Value {
        let key = args.first().and_then(Value::as_str).unwrap_or("");
        let expires = args.get(1).and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        });
        let sign = args.get(2).and_then(Value::as_str).unwrap_or("");
        let Some(account) = self.inner.account(key) else {
            return self.answer("auth", req_id, false, "Invalid apikey");
        };
        let Some(expires) = expires else {
            return self.answer("auth", req_id, false, "Params Error");
        };
        if expires <= now {
            return self.answer("auth", req_id, false, "Request expired");
        }
        if !auth::signature_matches(&account.api_secret, &auth::ws_payload(expires), sign) {
            return self.answer("auth", req_id, false, "Invalid sign");
        }
        self.api_key = Some(account.api_key.clone());
        self.answer("auth", req_id, true, "")
    }

    fn subscribe(&mut self, args: &[Value], req_id: &Value, now: i64) -> Vec<Value> {
        let topics: Vec<String> = args
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        if self.kind == Kind::Private && self.api_key.is_none() {
            return vec![self.answer("subscribe", req_id, false, "Request not authorized")];
        }
        for topic in &topics {
            if let Err(msg) = self.check_topic(topic) {
                return vec![self.answer("subscribe", req_id, false, &msg)];
            }
        }
        let mut out = vec![self.answer("subscribe", req_id, true, "")];
        for topic in topics {
            let parts: Vec<&str> = topic.split('.').collect();
            match parts.as_slice() {
                ["orderbook", depth, _symbol] => {
                    let depth = depth.parse().unwrap_or(1);
                    self.books
                        .insert(topic.clone(), BookTopic { depth, sent: None });
                }
                ["dcp", _] if !self.dcp => {
                    self.dcp = true;
                    if let Some(key) = &self.api_key {
                        self.inner.dcp_connected(key);
                    }
                    self.topics.insert(topic.clone());
                }
                _ => {
                    self.topics.insert(topic.clone());
                }
            }
            out.extend(self.snapshot(&topic, now));
        }
        out
    }

    fn check_topic(&self, topic: &str) -> Result<(), String> {
        let parts: Vec<&str> = topic.split('.').collect();
        let symbol_ok = |s: &str| self.listed(s).is_some();
        let ok = match (self.kind, parts.as_slice()) {
            (Kind::Public(_), ["orderbook", depth, symbol]) => {
                if !matches!(*depth, "1" | "50" | "200") {
                    return Err(format!(
                        "error:topic:{topic} depth not supported (1, 50, 200)"
                    ));
                }
                symbol_ok(symbol)
            }
            (Kind::Public(_), ["publicTrade" | "tickers", symbol]) => symbol_ok(symbol),
            (Kind::Public(_), ["kline", interval, symbol]) => {
                interval_minutes(interval).is_ok() && symbol_ok(symbol)
            }
            (Kind::Private, ["order" | "execution" | "position" | "wallet"]) => true,
            (Kind::Private, ["order" | "execution" | "position", "linear" | "inverse"]) => true,
            (Kind::Private, ["dcp", "future" | "spot" | "option"]) => true,
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(format!("Invalid symbol :[{topic}]"))
        }
    }

    /// What a topic sends on subscribing: the book, the ticker, the current candle.
    fn snapshot(&mut self, topic: &str, now: i64) -> Vec<Value> {
        let parts: Vec<&str> = topic.split('.').collect();
        match parts.as_slice() {
            ["orderbook", _, symbol] => {
                let book =
                    self.inner
                        .exchange()
                        .book(symbol, crate::core::PUBLISHED_BOOK_DEPTH, now);
                book.and_then(|b| self.book_message(topic, &b, now))
                    .into_iter()
                    .collect()
            }
            ["tickers", symbol] => {
                let ticker = self.inner.exchange().ticker(symbol, now);
                let inst = self.instrument(symbol);
                match (ticker, inst) {
                    (Some(t), Some(i)) => vec![json!({
                        "topic": topic,
                        "type": "snapshot",
                        "data": views::ticker(&t, i),
                        "cs": now,
                        "ts": now,
                    })],
                    _ => Vec::new(),
                }
            }
            ["kline", interval, symbol] => self
                .kline(topic, interval, symbol, now)
                .into_iter()
                .collect(),
            _ => Vec::new(),
        }
    }

    fn kline(&self, topic: &str, interval: &str, symbol: &str, now: i64) -> Option<Value> {
        let minutes = interval_minutes(interval).ok()?;
        let inst = self.instrument(symbol)?;
        let candle = *self
            .inner
            .exchange()
            .candles(symbol, minutes, None, None, 1, now)?
            .first()?;
        let span = i64::from(minutes) * 60_000;
        Some(json!({
            "topic": topic,
            "data": [{
                "start": candle.open_ms,
                "end": candle.open_ms + span - 1,
                "interval": interval,
                "open": views::px(inst, candle.open),
                "close": views::px(inst, candle.close),
                "high": views::px(inst, candle.high),
                "low": views::px(inst, candle.low),
                "volume": views::qty(inst, candle.volume),
                "turnover": views::amount(candle.turnover),
                "confirm": false,
                "timestamp": now,
            }],
            "ts": now,
            "type": "snapshot",
        }))
    }

    /// A snapshot (first, or at depth 1) or a delta of the levels that changed since the last
    /// message of `topic`; `None` when nothing in its depth changed.
    fn book_message(&mut self, topic: &str, book: &Book, now: i64) -> Option<Value> {
        let inst = self.instrument(&book.symbol)?.clone();
        let state = self.books.get_mut(topic)?;
        let bids: Vec<Level> = book.bids.iter().take(state.depth).copied().collect();
        let asks: Vec<Level> = book.asks.iter().take(state.depth).copied().collect();
        let (kind, b, a) = match &state.sent {
            Some((old_b, old_a)) if state.depth > 1 => {
                let (db, da) = (diff(old_b, &bids), diff(old_a, &asks));
                if db.is_empty() && da.is_empty() {
                    return None;
                }
                ("delta", db, da)
            }
            _ => ("snapshot", bids.clone(), asks.clone()),
        };
        state.sent = Some((bids, asks));
        Some(json!({
            "topic": topic,
            "type": kind,
            "ts": now,
            "data": {
                "s": book.symbol,
                "b": views::levels(&inst, &b),
                "a": views::levels(&inst, &a),
                "u": book.seq,
                "seq": book.seq,
            },
            "cts": book.time_ms,
        }))
    }

    /// The frames one exchange event makes for this connection.
    fn event(&mut self, event: &Event, now: i64) -> Vec<Value> {
        match (self.kind, event) {
            (Kind::Public(_), Event::Book(book)) => {
                let topics: Vec<String> = self
                    .books
                    .keys()
                    .filter(|t| t.ends_with(&format!(".{}", book.symbol)))
                    .cloned()
                    .collect();
                topics
                    .iter()
                    .filter_map(|t| self.book_message(t, book, now))
                    .collect()
            }
            (Kind::Public(_), Event::Trade(t)) => {
                let topic = format!("publicTrade.{}", t.symbol);
                let Some(inst) = self
                    .instrument(&t.symbol)
                    .filter(|_| self.topics.contains(&topic))
                else {
                    return Vec::new();
                };
                vec![json!({
                    "topic": topic,
                    "type": "snapshot",
                    "ts": now,
                    "data": [{
                        "T": t.time_ms,
                        "s": t.symbol,
                        "S": views::side(t.taker_side),
                        "v": views::qty(inst, t.qty),
                        "p": views::px(inst, t.price),
                        "L": if t.taker_side == Side::Buy { "PlusTick" } else { "MinusTick" },
                        "i": format!("{:08x}-0000-5000-8000-{:012x}", t.trade_id >> 32, t.trade_id),
                        "BT": false,
                        "seq": t.trade_id,
                    }],
                })]
            }
            (Kind::Public(_), Event::Ticker(t)) => {
                // After the snapshot on subscribing, Bybit pushes linear and inverse tickers as
                // deltas; the simulator's deltas carry every field.
                let topic = format!("tickers.{}", t.symbol);
                match self
                    .instrument(&t.symbol)
                    .filter(|_| self.topics.contains(&topic))
                {
                    Some(inst) => vec![json!({
                        "topic": topic,
                        "type": "delta",
                        "data": views::ticker(t, inst),
                        "cs": now,
                        "ts": now,
                    })],
                    None => Vec::new(),
                }
            }
            (Kind::Public(_), Event::Candle { symbol, .. }) => {
                let wanted: Vec<String> = self
                    .topics
                    .iter()
                    .filter(|t| t.starts_with("kline.") && t.ends_with(&format!(".{symbol}")))
                    .cloned()
                    .collect();
                wanted
                    .iter()
                    .filter_map(|topic| {
                        let interval = topic.split('.').nth(1)?;
                        self.kline(topic, interval, symbol, now)
                    })
                    .collect()
            }
            (Kind::Private, e) => self.private_event(e, now),
            _ => Vec::new(),
        }
    }

    /// The topics among `order`, `order.linear`, … this connection takes for `symbol`.
    fn private_topics(&self, base: &str, symbol: &str) -> Vec<String> {
        let category = self
            .instrument(symbol)
            .map_or("", |i| super::instruments::category(i.kind));
        [base.to_owned(), format!("{base}.{category}")]
            .into_iter()
            .filter(|t| self.topics.contains(t))
            .collect()
    }

    fn private_event(&mut self, event: &Event, now: i64) -> Vec<Value> {
        let Some(key) = self.api_key.clone() else {
            return Vec::new();
        };
        let message = |topic: String, data: Value| {
            json!({
                "id": format!("{}-{now}", self.conn_id),
                "topic": topic,
                "creationTime": now,
                "data": [data],
            })
        };
        match event {
            Event::Order(o) if o.account == key => {
                let Some(inst) = self.instrument(&o.symbol) else {
                    return Vec::new();
                };
                self.private_topics("order", &o.symbol)
                    .into_iter()
                    .map(|t| message(t, views::order_push(o, inst)))
                    .collect()
            }
            Event::Execution(e) if e.account == key => {
                let Some(inst) = self.instrument(&e.symbol) else {
                    return Vec::new();
                };
                let order = self
                    .inner
                    .exchange()
                    .order(&key, crate::core::OrderRef::Id(&e.order_id))
                    .cloned();
                self.private_topics("execution", &e.symbol)
                    .into_iter()
                    .map(|t| message(t, views::execution(e, inst, order.as_ref())))
                    .collect()
            }
            Event::Position(p) if p.account == key => {
                let Some(inst) = self.instrument(&p.symbol) else {
                    return Vec::new();
                };
                self.private_topics("position", &p.symbol)
                    .into_iter()
                    .map(|t| message(t, views::position_push(p, inst)))
                    .collect()
            }
            Event::Wallet(w) if w.account == key && self.topics.contains("wallet") => {
                let coins = wallet_coins(&self.inner.exchange(), &key, None);
                vec![message("wallet".into(), views::wallet_account(&coins))]
            }
            _ => Vec::new(),
        }
    }
}

/// The levels of `new` that differ from `old` (size changed or new), and those of `old` gone
/// from `new` with size 0.
fn diff(old: &[Level], new: &[Level]) -> Vec<Level> {
    let mut out: Vec<Level> = new.iter().filter(|l| !old.contains(l)).copied().collect();
    out.extend(
        old.iter()
            .filter(|o| !new.iter().any(|n| n.price == o.price))
            .map(|o| Level {
                price: o.price,
                qty: rust_decimal::Decimal::ZERO,
            }),
    );
    out
}

async fn send(socket: &mut WebSocket, frame: &Value) -> bool {
    matches!(
        tokio::time::timeout(
            std::time::Duration::from_secs(5),
            socket.send(Message::text(frame.to_string()))
        )
        .await,
        Ok(Ok(()))
    )
}

async fn run(mut socket: WebSocket, inner: Shared, kind: Kind) {
    let mut events = inner.exchange.lock().subscribe();
    let mut generation = inner.ws_generation.subscribe();
    generation.borrow_and_update();
    let n = inner.connections.fetch_add(1, Ordering::Relaxed) + 1;
    let instruments = inner.exchange().instruments().cloned().collect();
    let mut conn = StreamConnection {
        inner: inner.clone(),
        kind,
        conn_id: format!("rampart-sim-{n}"),
        instruments,
        api_key: None,
        books: BTreeMap::new(),
        topics: HashSet::new(),
        dcp: false,
    };
    loop {
        let frames = tokio::select! {
            // A dropped link, as a network failure looks: no close frame.
            _ = generation.changed() => break,
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => conn.request(text.as_str()),
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => Vec::new(),
            },
            event = events.recv() => match event {
                Ok(e) => conn.event(&e, inner.now_ms()),
                Err(RecvError::Lagged(_)) => {
                    // Events were lost: each book starts again from a snapshot.
                    for b in conn.books.values_mut() {
                        b.sent = None;
                    }
                    Vec::new()
                }
                Err(RecvError::Closed) => break,
            },
        };
        for frame in &frames {
            if !send(&mut socket, frame).await {
                finish(&conn);
                return;
            }
        }
    }
    finish(&conn);
}

/// A connection ended: a `dcp` subscriber's departure may start the countdown.
fn finish(conn: &StreamConnection) {
    if conn.dcp
        && let Some(key) = &conn.api_key
    {
        conn.inner.dcp_disconnected(key);
    }
}
