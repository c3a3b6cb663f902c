//! One stream connection and its upkeep: bounded exponential back-off with jitter between
//! attempts, the options, checked endpoints, reading the next text message (answering pings),
//! and the background task with its stop signal that both streams run in.

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::Utf8Bytes;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::tls::{TlsError, check_ws_base, client_config};

/// Bounded exponential backoff with jitter: the n-th delay is drawn from
/// `[base/2, base]` where `base = min(initial · 2ⁿ, max)`, so delays never exceed `max` and
/// never fall below `initial / 2`; many clients dropped at once do not all come back at once.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    base: Duration,
    rng: u64,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Self {
        let initial = initial.max(Duration::from_millis(1));
        let seed = RandomState::new().build_hasher().finish() | 1;
        Self {
            initial,
            max: max.max(initial),
            base: initial,
            rng: seed,
        }
    }

    /// The delay before the next attempt; each call doubles the base up to `max`.
    pub fn next_delay(&mut self) -> Duration {
        // xorshift64: jitter needs spread, not secrecy.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let base_ms = u64::try_from(self.base.as_millis()).unwrap_or(u64::MAX);
        let half = base_ms / 2;
        let delay = Duration::from_millis(half + self.rng % (base_ms - half + 1));
        self.base = self.base.saturating_mul(2).min(self.max);
        delay
    }

    /// Back to the initial delay (after a connection that held).
    pub fn reset(&mut self) {
        self.base = self.initial;
    }
}

// ---------------------------------------------------------------------------------------------
// Connection plumbing shared with the user data stream

/// How a stream connection behaves; the defaults suit Binance.
#[derive(Debug, Clone)]
pub struct StreamOptions {
    /// First reconnect delay (then doubling, jittered).
    pub backoff_initial: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// A connection that lived this long resets the backoff.
    pub stable_after: Duration,
    /// No frame at all (data or ping) for this long means the connection is dead. The venue
    /// pings every 3 minutes.
    pub idle_timeout: Duration,
    /// TCP + TLS + WebSocket handshake limit.
    pub connect_timeout: Duration,
    /// Events buffered for a slow owner before the reader waits.
    pub channel_capacity: usize,
    /// TLS for `wss://` (see [`crate::tls::client_config`]); `None` builds the default one
    /// (OS trust store). Ignored for `ws://` to loopback.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Counts every text message read, whichever connection it came on (a feed's message rate
    /// is read from it); `None` counts nothing.
    pub messages: Option<Arc<AtomicU64>>,
}

impl Default for StreamOptions {
    fn default() -> Self {
        Self {
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            stable_after: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(5 * 60),
            connect_timeout: Duration::from_secs(10),
            channel_capacity: 1024,
            tls: None,
            messages: None,
        }
    }
}

/// What can stop a stream from starting.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// No stream names, too many, or a name that would break the URL.
    #[error("bad stream list: {0}")]
    BadStreams(String),
    /// The venue refused a live `SUBSCRIBE`/`UNSUBSCRIBE` (its code and message).
    #[error("the venue refused the subscription change ({code}): {msg}")]
    Refused { code: i64, msg: String },
    /// The stream's task has ended (the stream was closed or its events dropped).
    #[error("the market stream has ended; start a new one")]
    Ended,
}

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A checked base URL with the connector it needs.
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub base: String,
    connector: Connector,
}

impl Endpoint {
    pub fn new(base: &str, tls: Option<Arc<rustls::ClientConfig>>) -> Result<Self, TlsError> {
        let (base, secure) = check_ws_base(base)?;
        let connector = if secure {
            Connector::Rustls(match tls {
                Some(config) => config,
                None => client_config(None)?,
            })
        } else {
            Connector::Plain
        };
        Ok(Self { base, connector })
    }

    pub async fn connect(&self, path: &str, timeout: Duration) -> Result<Ws, String> {
        let url = format!("{}{path}", self.base);
        let attempt = tokio_tungstenite::connect_async_tls_with_config(
            url,
            None,
            true,
            Some(self.connector.clone()),
        );
        match tokio::time::timeout(timeout, attempt).await {
            Ok(Ok((ws, _response))) => Ok(ws),
            Ok(Err(e)) => Err(format!("could not connect: {e}")),
            Err(_) => Err(format!("no connection within {} s", timeout.as_secs())),
        }
    }
}

/// How waiting for the next message ended.
pub(crate) enum Next {
    Text(Utf8Bytes),
    /// The owner closed the stream or dropped its handle or receiver.
    Stop,
    /// The connection is gone; why.
    Lost(String),
}

/// Resolves when the owner wants the task to end: `close()`, the handle dropped, or the event
/// receiver dropped.
pub(crate) async fn stop_requested<T>(stop: &mut watch::Receiver<bool>, tx: &mpsc::Sender<T>) {
    tokio::select! {
        _ = stop.changed() => {}
        _ = tx.closed() => {}
    }
}

/// The next text message (counted in `options.messages`); answers pings on the way (tungstenite
/// queues the pong with the ping's payload, the flush sends it at once).
pub(crate) async fn next_text<T>(
    ws: &mut Ws,
    stop: &mut watch::Receiver<bool>,
    tx: &mpsc::Sender<T>,
    options: &StreamOptions,
) -> Next {
    let idle = options.idle_timeout;
    loop {
        let frame = tokio::select! {
            _ = stop_requested(stop, tx) => return Next::Stop,
            frame = tokio::time::timeout(idle, ws.next()) => frame,
        };
        match frame {
            Err(_) => return Next::Lost(format!("nothing heard for {} s", idle.as_secs())),
            Ok(None) => return Next::Lost("the connection ended".into()),
            Ok(Some(Err(e))) => return Next::Lost(format!("connection error: {e}")),
            Ok(Some(Ok(Message::Text(text)))) => {
                if let Some(count) = &options.messages {
                    count.fetch_add(1, Ordering::Relaxed);
                }
                return Next::Text(text);
            }
            Ok(Some(Ok(Message::Ping(_)))) => {
                if let Err(e) = ws.flush().await {
                    return Next::Lost(format!("could not answer a ping: {e}"));
                }
            }
            Ok(Some(Ok(Message::Close(frame)))) => {
                return Next::Lost(match frame {
                    Some(f) => format!("closed by the venue ({}): {}", f.code, f.reason),
                    None => "closed by the venue".into(),
                });
            }
            Ok(Some(Ok(Message::Binary(bytes)))) => {
                tracing::warn!(len = bytes.len(), "skipping an unexpected binary frame");
            }
            Ok(Some(Ok(Message::Pong(_) | Message::Frame(_)))) => {}
        }
    }
}

/// A stream's background task and its stop signal, shared by [`MarketStream`] and
/// `UserStream`. Dropping it signals the task to end (it sends a close frame, at most 1 s; a
/// user stream's may also delete its listen key); [`close`](Self::close) also waits for it.
#[derive(Debug)]
pub(crate) struct StreamTask {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl StreamTask {
    /// Spawns `run(stop)`; `stop` turns true when the task should end.
    pub(crate) fn spawn<F>(run: impl FnOnce(watch::Receiver<bool>) -> F) -> Self
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(run(stop_rx));
        Self {
            stop,
            task: Some(task),
        }
    }

    /// Signals the task to end and waits for it.
    pub(crate) async fn close(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for StreamTask {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Sends a close frame, without waiting long for a peer that has gone quiet.
pub(crate) async fn close_quietly(mut ws: Ws) {
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded_doubling_and_jittered() {
        let initial = Duration::from_millis(100);
        let max = Duration::from_secs(5);
        let mut b = Backoff::new(initial, max);
        let first: Vec<Duration> = (0..8).map(|_| b.next_delay()).collect();
        // Each delay sits in [base/2, base] for base = 100 ms · 2ⁿ capped at 5 s.
        for (n, delay) in first.iter().enumerate() {
            let base = (initial * 2u32.pow(n as u32)).min(max);
            assert!(*delay >= base / 2 && *delay <= base, "{n}: {delay:?}");
        }
        for _ in 0..1000 {
            let delay = b.next_delay();
            assert!(delay >= max / 2 && delay <= max, "{delay:?}");
        }
        b.reset();
        let delay = b.next_delay();
        assert!(delay >= initial / 2 && delay <= initial, "{delay:?}");
        // Jitter: two schedules are not lock-step.
        let spread: std::collections::HashSet<Duration> = (0..50)
            .map(|_| {
                let mut b = Backoff::new(max, max);
                b.next_delay()
            })
            .collect();
        assert!(spread.len() > 1);
    }
}
