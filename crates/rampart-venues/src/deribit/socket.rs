//! One JSON-RPC 2.0 connection over WebSocket (`/ws/api/v2`), Deribit's preferred transport:
//! requests carry an `id` and their answers are matched to it; notifications (`"method":
//! "subscription"`) go to whoever listens; Deribit's heartbeat is answered.
//!
//! From docs.deribit.com: "public/set_heartbeat … the server will start sending heartbeat
//! messages" `{"method":"heartbeat","params":{"type":"test_request"}}`, to which the client
//! must answer with `public/test`, or the connection is closed (which, with cancel-on-disconnect
//! enabled, cancels the orders). A request frame is
//! `{"jsonrpc":"2.0","id":…,"method":…,"params":{…}}`; an answer has `result` or `error`.
//!
//! The connection is run by one task. A request whose connection ends before it is answered
//! fails as lost (an order's outcome is then unknown); one that could not be written fails as
//! not sent.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use super::json::numbers_as_text;
use crate::venue::AbortOnDrop;

type Ws = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// How a request over the socket failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketFailure {
    /// Nothing was written: the connection had already ended.
    NotSent(String),
    /// Written, but the connection ended (or the time ran out) before the answer.
    Lost(String),
}

struct Outgoing {
    id: String,
    frame: String,
    answer: oneshot::Sender<Value>,
}

/// A running connection. Dropping it closes the connection.
pub struct Socket {
    requests: mpsc::Sender<Outgoing>,
    alive: Arc<AtomicBool>,
    ids: Arc<AtomicU64>,
    /// Messages read, for the feeds' counters.
    pub messages: Arc<AtomicU64>,
    /// Nothing read for this long (ms) ends the connection.
    silence_ms: Arc<AtomicU64>,
    _task: AbortOnDrop,
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("alive", &self.is_alive())
            .finish_non_exhaustive()
    }
}

/// Opens a WebSocket to `url` within `timeout`.
pub async fn connect(
    url: &str,
    tls: Option<Arc<rustls::ClientConfig>>,
    timeout: Duration,
) -> Result<Ws, String> {
    let connector = match tls {
        Some(tls) if url.starts_with("wss://") => Connector::Rustls(tls),
        None if url.starts_with("wss://") => {
            Connector::Rustls(crate::tls::client_config(None).map_err(|e| e.to_string())?)
        }
        _ => Connector::Plain,
    };
    let attempt =
        tokio_tungstenite::connect_async_tls_with_config(url, None, true, Some(connector));
    match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(e)) => Err(format!("could not connect: {e}")),
        Err(_) => Err("no connection in time".into()),
    }
}

/// A JSON-RPC 2.0 request as written, over the socket or as HTTP's body:
/// `{"jsonrpc":"2.0","id":…,"method":…,"params":{…}}` (numbers as [`super::json::to_text`]
/// writes them).
pub fn request_text(id: u64, method: &str, params: Value) -> String {
    super::json::to_text(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
}

/// The `id` of an answer as text (numbers arrive as text, see [`super::json`]).
fn id_text(v: &Value) -> Option<String> {
    match v.get("id")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Socket {
    /// Runs `ws`. Notifications go to `notifications` (dropped when none listens); the channel
    /// closes when the connection ends. Nothing read for `silence` (Deribit's heartbeat
    /// missed) ends it too.
    pub fn start(ws: Ws, notifications: Option<mpsc::Sender<Value>>, silence: Duration) -> Self {
        let (tx, rx) = mpsc::channel::<Outgoing>(256);
        let alive = Arc::new(AtomicBool::new(true));
        let ids = Arc::new(AtomicU64::new(1));
        let messages = Arc::new(AtomicU64::new(0));
        let silence_ms = Arc::new(AtomicU64::new(
            u64::try_from(silence.as_millis()).unwrap_or(u64::MAX),
        ));
        let task = tokio::spawn(run(
            ws,
            rx,
            notifications,
            alive.clone(),
            ids.clone(),
            messages.clone(),
            silence_ms.clone(),
        ));
        Self {
            requests: tx,
            alive,
            ids,
            messages,
            silence_ms,
            _task: AbortOnDrop(task),
        }
    }

    /// Changes how long a silence ends the connection (after the heartbeat interval changed).
    pub fn set_silence(&self, silence: Duration) {
        self.silence_ms.store(
            u64::try_from(silence.as_millis()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::Relaxed) && !self.requests.is_closed()
    }

    /// Sends `method` with `params` and waits up to `timeout` for its answer (the whole
    /// answer object, numbers as text).
    pub async fn call(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, SocketFailure> {
        let id = self.next_id();
        self.send_frame(id, request_text(id, method, params), timeout)
            .await
    }

    /// The id of the next request on this connection.
    pub fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::Relaxed)
    }

    /// Writes `frame`, a request already encoded with `id` ([`request_text`]), and waits up to
    /// `timeout` for its answer (the whole answer object, numbers as text).
    pub async fn send_frame(
        &self,
        id: u64,
        frame: String,
        timeout: Duration,
    ) -> Result<Value, SocketFailure> {
        let (answer, rx) = oneshot::channel();
        if !self.is_alive() {
            return Err(SocketFailure::NotSent("the connection has ended".into()));
        }
        self.requests
            .send(Outgoing {
                id: id.to_string(),
                frame,
                answer,
            })
            .await
            .map_err(|_| SocketFailure::NotSent("the connection has ended".into()))?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(_)) => Err(SocketFailure::Lost(
                "the connection ended before the answer".into(),
            )),
            Err(_) => Err(SocketFailure::Lost("no answer in time".into())),
        }
    }
}

async fn run(
    mut ws: Ws,
    mut requests: mpsc::Receiver<Outgoing>,
    notifications: Option<mpsc::Sender<Value>>,
    alive: Arc<AtomicBool>,
    ids: Arc<AtomicU64>,
    messages: Arc<AtomicU64>,
    silence_ms: Arc<AtomicU64>,
) {
    let mut pending: HashMap<String, oneshot::Sender<Value>> = HashMap::new();
    let mut last_read = tokio::time::Instant::now();
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(
                last_read + Duration::from_millis(silence_ms.load(Ordering::Relaxed))
            ) => break,
            out = requests.recv() => {
                let Some(out) = out else { break };
                if ws.send(Message::text(out.frame)).await.is_err() {
                    // Dropping `out.answer` tells the caller; the write may have gone out.
                    break;
                }
                pending.insert(out.id, out.answer);
            }
            msg = ws.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t.to_string(),
                    Some(Ok(Message::Ping(p))) => {
                        if ws.send(Message::Pong(p)).await.is_err() { break }
                        continue;
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                };
                messages.fetch_add(1, Ordering::Relaxed);
                last_read = tokio::time::Instant::now();
                let Ok(v) = serde_json::from_str::<Value>(&numbers_as_text(&text)) else {
                    continue;
                };
                match v.get("method").and_then(Value::as_str) {
                    Some("heartbeat") => {
                        let kind = v.pointer("/params/type").and_then(Value::as_str);
                        if kind == Some("test_request") {
                            let id = ids.fetch_add(1, Ordering::Relaxed);
                            let frame = json!({"jsonrpc": "2.0", "id": id,
                                "method": "public/test", "params": {}}).to_string();
                            if ws.send(Message::text(frame)).await.is_err() { break }
                        }
                    }
                    Some("subscription") => {
                        if let Some(n) = &notifications
                            && n.send(v).await.is_err()
                        {
                            break;
                        }
                    }
                    _ => {
                        if let Some(id) = id_text(&v)
                            && let Some(answer) = pending.remove(&id)
                        {
                            let _ = answer.send(v);
                        }
                    }
                }
            }
        }
    }
    alive.store(false, Ordering::Relaxed);
    // Pending callers see their answer channel dropped: lost.
    drop(pending);
    let _ = ws.close(None).await;
}
