//! Binance USDⓈ-M market streams over WebSocket: mark price, book ticker, klines, diff and partial
//! depth and aggregate trades, as typed events with decimal fields, on one combined-stream
//! connection that answers pings, takes live `SUBSCRIBE`/`UNSUBSCRIBE` ([`MarketStream::subscribe`])
//! and comes back by itself after any drop, with every stream subscribed at the time.
//!
//! Live requests ("Live Subscribing/Unsubscribing to streams"): `{"method": "SUBSCRIBE",
//! "params": ["btcusdt@aggTrade", …], "id": 1}` is answered `{"result": null, "id": 1}`; an
//! error as `{"error": {"code": n, "msg": "…"}, "id": 1}`.
//!
//! What Binance documents (Websocket Market Streams → Connect; "Important WebSocket Change
//! Notice", 2026-03; the per-stream pages) and this module relies on:
//! - mainnet is routed by traffic kind: `wss://fstream.binance.com/public` (high-frequency data:
//!   `@bookTicker`, `@depth`) and `wss://fstream.binance.com/market` (regular data: `@markPrice`,
//!   `@kline_<interval>`, `@aggTrade`, …); a stream opened on the wrong route stays silent;
//! - under a base, a raw stream is `/ws/<stream>` and a combined stream is
//!   `/stream?streams=<a>/<b>/…`, whose every message is wrapped as `{"stream": …, "data": …}`;
//! - stream names use lowercase symbols; at most 1024 streams per connection (some pages say
//!   200: stay under that);
//! - the server pings every 3 minutes and drops a connection that has not answered with a pong
//!   for 10 minutes; every connection is closed at the 24-hour mark.
//!
//! A drop is never silent here: the owner gets `Disconnected`, then `Reconnected` once the
//! connection (and with it every subscription, as they live in the URL) is back, and should treat
//! the time between the two as a gap.

use futures_util::SinkExt;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::super::environment::{BinanceEndpoints, Environment};
use super::connection::{
    Backoff, Endpoint, Next, StreamError, StreamOptions, StreamTask, close_quietly, next_text,
    stop_requested,
};
use super::parse::{MarketEvent, parse_market};

/// The most streams one connection may carry (Binance's lower documented figure).
pub const MAX_STREAMS: usize = 200;

/// The base a stream belongs on in `env`: on Live, `@bookTicker` and `@depth…` go to the Public
/// route and everything else to the Market route; the testnet and demo hosts take every stream
/// at their root. `None` for the simulator, which has no fixed address.
pub fn base_for(env: Environment, stream: &str) -> Option<&'static str> {
    let kind = stream.split('@').nth(1).unwrap_or("");
    if kind == "bookTicker" || kind.starts_with("depth") {
        env.ws_public_base()
    } else {
        env.ws_market_base()
    }
}

/// `<symbol>@markPrice` (every 3 s) or `<symbol>@markPrice@1s`.
pub fn mark_price_stream(symbol: &str, every_second: bool) -> String {
    let symbol = symbol.to_ascii_lowercase();
    if every_second {
        format!("{symbol}@markPrice@1s")
    } else {
        format!("{symbol}@markPrice")
    }
}

/// `<symbol>@bookTicker` (real time).
pub fn book_ticker_stream(symbol: &str) -> String {
    format!("{}@bookTicker", symbol.to_ascii_lowercase())
}

/// `<symbol>@depth@100ms`: the diff depth stream at its fastest ("Update Speed: 250ms, 500ms,
/// 100ms").
pub fn diff_depth_stream(symbol: &str) -> String {
    format!("{}@depth@100ms", symbol.to_ascii_lowercase())
}

/// `<symbol>@aggTrade` ("Update Speed: 100ms").
pub fn agg_trade_stream(symbol: &str) -> String {
    format!("{}@aggTrade", symbol.to_ascii_lowercase())
}

/// `<symbol>@kline_<interval>`, e.g. `btcusdt@kline_1m` (updates every 250 ms).
pub fn kline_stream(symbol: &str, interval: &str) -> String {
    format!("{}@kline_{interval}", symbol.to_ascii_lowercase())
}

// ---------------------------------------------------------------------------------------------
// Typed events

/// A running combined-stream connection. Events arrive on the receiver returned by
/// [`MarketStream::start`]; dropping this handle (or calling [`close`](Self::close)) ends the
/// background task.
#[derive(Debug)]
pub struct MarketStream {
    task: StreamTask,
    changes: mpsc::Sender<Change>,
}

/// A live subscription change for the stream's task, and where to say how it went.
struct Change {
    subscribe: bool,
    streams: Vec<String>,
    done: tokio::sync::oneshot::Sender<Result<(), StreamError>>,
}

impl MarketStream {
    /// Connects to `<base>/stream?streams=<s1>/<s2>/…` (`base` from [`base_for`], e.g.
    /// `wss://fstream.binance.com/market` for `btcusdt@markPrice@1s`, or the simulator's
    /// `ws://127.0.0.1:<port>/market`). Must be called inside a tokio runtime. The first event
    /// is `Connected` (or `Disconnected` if it could not).
    pub fn start(
        base: &str,
        streams: &[String],
        options: StreamOptions,
    ) -> Result<(Self, mpsc::Receiver<MarketEvent>), StreamError> {
        check_stream_names(streams)?;
        let endpoint = Endpoint::new(base, options.tls.clone())?;
        let (tx, rx) = mpsc::channel(options.channel_capacity.max(1));
        let (changes, changes_rx) = mpsc::channel(16);
        let streams = streams.to_vec();
        let task =
            StreamTask::spawn(|stop| run_market(endpoint, streams, options, tx, changes_rx, stop));
        Ok((Self { task, changes }, rx))
    }

    /// Adds streams to the open connection with a live `SUBSCRIBE` (no new connection); returns
    /// once the venue has acknowledged it. While the connection is down the streams are noted
    /// and come with the next one.
    pub async fn subscribe(&self, streams: &[String]) -> Result<(), StreamError> {
        self.change(true, streams).await
    }

    /// Removes streams with a live `UNSUBSCRIBE`; returns once the venue has acknowledged it.
    pub async fn unsubscribe(&self, streams: &[String]) -> Result<(), StreamError> {
        self.change(false, streams).await
    }

    async fn change(&self, subscribe: bool, streams: &[String]) -> Result<(), StreamError> {
        check_stream_names(streams)?;
        let (done, answer) = tokio::sync::oneshot::channel();
        let change = Change {
            subscribe,
            streams: streams.to_vec(),
            done,
        };
        self.changes
            .send(change)
            .await
            .map_err(|_| StreamError::Ended)?;
        answer.await.map_err(|_| StreamError::Ended)?
    }

    /// Closes the connection and waits for the background task to end.
    pub async fn close(self) {
        self.task.close().await;
    }
}

/// The streams a connection subscribes to and the live requests waiting for their answer.
struct Subscriptions {
    streams: Vec<String>,
    next_id: u64,
    waiting: Vec<(u64, tokio::sync::oneshot::Sender<Result<(), StreamError>>)>,
}

impl Subscriptions {
    /// The URL path for a new connection: every current stream in the URL.
    fn path(&self) -> String {
        if self.streams.is_empty() {
            "/ws".to_owned()
        } else {
            format!("/stream?streams={}", self.streams.join("/"))
        }
    }

    /// Applies `change` to the list; the request to send when connected.
    fn apply(&mut self, change: &Change) -> Result<String, StreamError> {
        if change.subscribe {
            let new: Vec<&String> = change
                .streams
                .iter()
                .filter(|s| !self.streams.contains(s))
                .collect();
            if self.streams.len() + new.len() > MAX_STREAMS {
                return Err(StreamError::BadStreams(format!(
                    "{} streams; at most {MAX_STREAMS} per connection",
                    self.streams.len() + new.len()
                )));
            }
            let new: Vec<String> = new.into_iter().cloned().collect();
            self.streams.extend(new);
        } else {
            self.streams.retain(|s| !change.streams.contains(s));
        }
        self.next_id += 1;
        let method = if change.subscribe {
            "SUBSCRIBE"
        } else {
            "UNSUBSCRIBE"
        };
        Ok(
            serde_json::json!({ "method": method, "params": change.streams, "id": self.next_id })
                .to_string(),
        )
    }

    /// Settles the request a `{"result"…,"id"}` or `{"error"…,"id"}` answer is for.
    fn answered(&mut self, text: &str) {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
            return;
        };
        let Some(id) = value.get("id").and_then(serde_json::Value::as_u64) else {
            return;
        };
        if value.get("e").is_some() {
            return;
        }
        let Some(at) = self.waiting.iter().position(|(n, _)| *n == id) else {
            return;
        };
        let (_, done) = self.waiting.swap_remove(at);
        let outcome = match value.get("error") {
            None => Ok(()),
            Some(error) => Err(StreamError::Refused {
                code: error
                    .get("code")
                    .and_then(serde_json::Value::as_i64)
                    .unwrap_or(0),
                msg: error
                    .get("msg")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("no message")
                    .to_owned(),
            }),
        };
        let _ = done.send(outcome);
    }

    /// The connection went down: a request sent on it will not be answered, but the list
    /// already holds its change and the next connection's URL carries it.
    fn connection_lost(&mut self) {
        for (_, done) in self.waiting.drain(..) {
            let _ = done.send(Ok(()));
        }
    }
}

fn check_stream_names(streams: &[String]) -> Result<(), StreamError> {
    if streams.len() > MAX_STREAMS {
        return Err(StreamError::BadStreams(format!(
            "{} streams; at most {MAX_STREAMS} per connection",
            streams.len()
        )));
    }
    for name in streams {
        let ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '@' | '_' | '!' | '-' | '.'));
        if !ok {
            return Err(StreamError::BadStreams(format!(
                "'{name}' is not a stream name"
            )));
        }
    }
    Ok(())
}

async fn run_market(
    endpoint: Endpoint,
    streams: Vec<String>,
    options: StreamOptions,
    tx: mpsc::Sender<MarketEvent>,
    mut changes: mpsc::Receiver<Change>,
    mut stop: watch::Receiver<bool>,
) {
    let mut backoff = Backoff::new(options.backoff_initial, options.backoff_max);
    let mut was_connected = false;
    let mut subs = Subscriptions {
        streams,
        next_id: 0,
        waiting: Vec::new(),
    };
    loop {
        let path = subs.path();
        let attempt = tokio::select! {
            _ = stop_requested(&mut stop, &tx) => return,
            attempt = endpoint.connect(&path, options.connect_timeout) => attempt,
        };
        let lost = match attempt {
            Ok(mut ws) => {
                let hello = if was_connected {
                    MarketEvent::Reconnected
                } else {
                    MarketEvent::Connected
                };
                was_connected = true;
                if tx.send(hello).await.is_err() {
                    return close_quietly(ws).await;
                }
                let since = Instant::now();
                let reason = loop {
                    let next = tokio::select! {
                        next = next_text(&mut ws, &mut stop, &tx, &options) => next,
                        Some(change) = changes.recv() => {
                            match subs.apply(&change) {
                                Err(e) => {
                                    let _ = change.done.send(Err(e));
                                }
                                Ok(request) => {
                                    if let Err(e) = ws.send(Message::text(request)).await {
                                        subs.waiting.push((subs.next_id, change.done));
                                        break format!("could not send a subscription: {e}");
                                    }
                                    subs.waiting.push((subs.next_id, change.done));
                                }
                            }
                            continue;
                        }
                    };
                    match next {
                        Next::Stop => return close_quietly(ws).await,
                        Next::Lost(reason) => break reason,
                        Next::Text(text) => {
                            subs.answered(&text);
                            let events = parse_market(&text).unwrap_or_else(|e| {
                                tracing::warn!(error = %e, "skipping a market-stream message");
                                vec![MarketEvent::Malformed(e)]
                            });
                            for event in events {
                                if tx.send(event).await.is_err() {
                                    return close_quietly(ws).await;
                                }
                            }
                        }
                    }
                };
                subs.connection_lost();
                if since.elapsed() >= options.stable_after {
                    backoff.reset();
                }
                reason
            }
            Err(reason) => reason,
        };
        tracing::info!(reason = %lost, "market stream down; reconnecting");
        if tx
            .send(MarketEvent::Disconnected { reason: lost })
            .await
            .is_err()
        {
            return;
        }
        let delay = backoff.next_delay();
        let until = Instant::now() + delay;
        loop {
            tokio::select! {
                _ = stop_requested(&mut stop, &tx) => return,
                _ = tokio::time::sleep_until(until) => break,
                // While down, changes only edit the list the next connection opens with.
                Some(change) = changes.recv() => {
                    let outcome = subs.apply(&change).map(|_| ());
                    let _ = change.done.send(outcome);
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use futures_util::StreamExt;

    use super::super::parse::tests::MARK;
    use super::*;
    use crate::tls::TlsError;

    /// The first `n` events of a stream, all within 10 s.
    pub(crate) async fn first_events<T>(events: &mut mpsc::Receiver<T>, n: usize) -> Vec<T> {
        let mut seen = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), async {
            while seen.len() < n {
                seen.push(events.recv().await.expect("stream ended"));
            }
        })
        .await
        .expect("events within 10 s");
        seen
    }

    // Binance's documented examples (USDⓈ-M Websocket Market Streams pages), reformatted.
    #[test]
    fn stream_names_and_routes() {
        assert_eq!(mark_price_stream("BTCUSDT", true), "btcusdt@markPrice@1s");
        assert_eq!(book_ticker_stream("BTCUSDT"), "btcusdt@bookTicker");
        assert_eq!(kline_stream("ETHUSDT", "1m"), "ethusdt@kline_1m");
        let live = Environment::Live;
        let public = "wss://fstream.binance.com/public";
        let market = "wss://fstream.binance.com/market";
        assert_eq!(base_for(live, "btcusdt@bookTicker"), Some(public));
        assert_eq!(base_for(live, "btcusdt@depth@100ms"), Some(public));
        assert_eq!(base_for(live, "btcusdt@markPrice@1s"), Some(market));
        assert_eq!(base_for(live, "btcusdt@kline_1m"), Some(market));
        for env in [Environment::Testnet, Environment::Demo] {
            assert_eq!(
                base_for(env, "btcusdt@bookTicker"),
                Some("wss://fstream.binancefuture.com")
            );
        }
        assert!(check_stream_names(&["btcusdt@kline_1m".into()]).is_ok());
        assert!(
            check_stream_names(&[]).is_ok(),
            "a connection may start empty"
        );
        assert!(check_stream_names(&["a b".into()]).is_err());
        assert!(check_stream_names(&["a&listenKey=x".into()]).is_err());
        assert!(check_stream_names(&vec!["a@kline_1m".to_string(); MAX_STREAMS + 1]).is_err());
    }

    #[test]
    fn plain_ws_to_a_venue_is_refused() {
        let err = MarketStream::start(
            "ws://fstream.binance.com/market",
            &["btcusdt@markPrice".into()],
            StreamOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(err, StreamError::Tls(TlsError::InsecureUrl(_))));
    }

    // Dropping the handle ends the task: the server sees the close frame and the event channel
    // ends.
    #[tokio::test]
    async fn dropping_the_handle_ends_the_task() {
        use tokio::net::TcpListener;

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let mut ws = tokio_tungstenite::accept_async(socket).await.unwrap();
            let mut closed = false;
            while let Some(Ok(msg)) = ws.next().await {
                if matches!(msg, Message::Close(_)) {
                    closed = true;
                    break;
                }
            }
            closed
        });
        let (stream, mut events) = MarketStream::start(
            &format!("ws://127.0.0.1:{port}"),
            &[book_ticker_stream("BTCUSDT")],
            StreamOptions::default(),
        )
        .unwrap();
        let first = tokio::time::timeout(Duration::from_secs(5), events.recv()).await;
        assert_eq!(first.unwrap(), Some(MarketEvent::Connected));
        drop(stream);
        let end = tokio::time::timeout(Duration::from_secs(5), events.recv()).await;
        assert_eq!(end.unwrap(), None);
        let closed = tokio::time::timeout(Duration::from_secs(5), server).await;
        assert!(closed.unwrap().unwrap(), "the server saw a close frame");
    }

    // wss end to end: a TLS 1.3 WebSocket server on 127.0.0.1 with a self-signed certificate
    // (as the simulator will have), trusted as the extra root.
    #[tokio::test]
    async fn wss_with_the_simulators_certificate() {
        use crate::tls::tests::{TEST_CERT, test_server_config};

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let config = test_server_config(&rustls::version::TLS13);
        let server = std::thread::spawn(move || {
            let (socket, _) = listener.accept().unwrap();
            socket
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
            let tls = rustls::StreamOwned::new(conn, socket);
            let mut ws = tokio_tungstenite::tungstenite::accept(tls).unwrap();
            ws.send(Message::Text(MARK.into())).unwrap();
            // Until the client closes.
            while let Ok(msg) = ws.read() {
                if msg.is_close() {
                    break;
                }
            }
        });

        let options = StreamOptions {
            tls: Some(crate::tls::client_config(Some(TEST_CERT)).unwrap()),
            ..StreamOptions::default()
        };
        let (stream, mut events) = MarketStream::start(
            &format!("wss://localhost:{port}"),
            &[mark_price_stream("BTCUSDT", false)],
            options,
        )
        .unwrap();
        let got = tokio::time::timeout(Duration::from_secs(10), async {
            vec![events.recv().await, events.recv().await]
        })
        .await
        .unwrap();
        assert_eq!(got[0], Some(MarketEvent::Connected));
        assert!(matches!(got[1], Some(MarketEvent::MarkPrice(_))), "{got:?}");
        stream.close().await;
        tokio::task::spawn_blocking(move || server.join().unwrap())
            .await
            .unwrap();
    }

    // A real socket: a tiny tokio-tungstenite server on 127.0.0.1 that sends events, pings,
    // drops the first connection, and serves the second.
    #[tokio::test]
    // The handshake callback's error type is tungstenite's, large by design.
    #[allow(clippy::result_large_err)]
    async fn reconnects_after_a_drop_and_says_so() {
        use tokio::net::TcpListener;

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (paths_tx, mut paths) = mpsc::unbounded_channel::<String>();
        let (pong_tx, mut pongs) = mpsc::unbounded_channel::<Vec<u8>>();
        let server = tokio::spawn(async move {
            for connection in 0..2u32 {
                let (socket, _) = listener.accept().await.unwrap();
                let paths_tx = paths_tx.clone();
                let mut ws = tokio_tungstenite::accept_hdr_async(
                    socket,
                    move |req: &tokio_tungstenite::tungstenite::handshake::server::Request,
                          resp| {
                        let _ = paths_tx.send(req.uri().to_string());
                        Ok(resp)
                    },
                )
                .await
                .unwrap();
                ws.send(Message::Ping(b"hb".to_vec().into())).await.unwrap();
                for _ in 0..3 {
                    let wrapped = format!(r#"{{"stream":"btcusdt@markPrice@1s","data":{MARK}}}"#);
                    ws.send(Message::Text(wrapped.into())).await.unwrap();
                }
                ws.send(Message::Text("garbage".into())).await.unwrap();
                // Read until the pong arrives.
                while let Some(Ok(msg)) = ws.next().await {
                    if let Message::Pong(payload) = msg {
                        let _ = pong_tx.send(payload.to_vec());
                        break;
                    }
                }
                if connection == 0 {
                    // Drop without a close frame: the client must notice and come back.
                    drop(ws);
                } else {
                    // Hold the second connection until the client closes it.
                    while let Some(Ok(msg)) = ws.next().await {
                        if matches!(msg, Message::Close(_)) {
                            break;
                        }
                    }
                    return;
                }
            }
        });

        let options = StreamOptions {
            backoff_initial: Duration::from_millis(20),
            backoff_max: Duration::from_millis(200),
            ..StreamOptions::default()
        };
        let (stream, mut events) = MarketStream::start(
            &format!("ws://127.0.0.1:{port}"),
            &[mark_price_stream("BTCUSDT", true)],
            options,
        )
        .unwrap();

        // Connected, 3 marks, 1 malformed, Disconnected, Reconnected, 3 marks, 1 malformed.
        let seen = first_events(&mut events, 11).await;

        let kinds: Vec<&str> = seen
            .iter()
            .map(|e| match e {
                MarketEvent::Connected => "connected",
                MarketEvent::MarkPrice(_) => "mark",
                MarketEvent::Malformed(_) => "malformed",
                MarketEvent::Disconnected { .. } => "disconnected",
                MarketEvent::Reconnected => "reconnected",
                _ => "other",
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "connected",
                "mark",
                "mark",
                "mark",
                "malformed",
                "disconnected",
                "reconnected",
                "mark",
                "mark",
                "mark",
                "malformed",
            ]
        );
        assert_eq!(
            paths.recv().await.unwrap(),
            "/stream?streams=btcusdt@markPrice@1s"
        );
        assert_eq!(
            paths.recv().await.unwrap(),
            "/stream?streams=btcusdt@markPrice@1s"
        );
        assert_eq!(pongs.recv().await.unwrap(), b"hb");
        assert_eq!(pongs.recv().await.unwrap(), b"hb");

        tokio::time::timeout(Duration::from_secs(5), stream.close())
            .await
            .expect("close within 5 s");
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("server saw the close")
            .unwrap();
        // The task is gone, so the sender is dropped: the channel ends.
        let rest = tokio::time::timeout(Duration::from_secs(1), async {
            let mut n = 0;
            while events.recv().await.is_some() {
                n += 1;
            }
            n
        })
        .await
        .expect("channel closed");
        assert!(rest <= 1, "{rest} events after close");
    }
}
