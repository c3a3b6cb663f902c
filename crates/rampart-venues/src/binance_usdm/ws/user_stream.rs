//! Binance USDⓈ-M user data stream: order and account events for one account, over a WebSocket
//! opened with a listen key.
//!
//! What Binance documents (User Data Streams → Connect, and the event pages) and this module
//! relies on:
//! - `POST /fapi/v1/listenKey` (USER_STREAM: API key header, no signature) gives a listen key
//!   valid for 60 minutes; on an account that already has an active key it returns that key and
//!   extends it. `PUT` extends it by 60 minutes (keep-alive: every 30 minutes here); when `PUT`
//!   answers -1125 ("This listenKey does not exist.") a new one must be made with `POST`.
//!   `DELETE` closes the stream and invalidates the key;
//! - on mainnet's Private route the stream is `<base>/ws?listenKey=<listenKey>&events=<E1>/<E2>`,
//!   base `wss://fstream.binance.com/private` ("Private (listenKey + events)
//!   wss://fstream.binance.com/private/ws?listenKey=<listenKey>&events=ORDER_TRADE_UPDATE"):
//!   [`USER_EVENTS`] are asked for; on the testnet and demo roots it is `<base>/ws/<listenKey>`
//!   ([`Environment::ws_user_base`](super::super::Environment::ws_user_base) for each environment);
//! - `listenKeyExpired` is pushed when the key in use expires; nothing more arrives on that
//!   connection until a valid key is used;
//! - a connection lives at most 24 hours; the server pings every 3 minutes.
//!
//! Events can be lost whenever the connection is down, so after **every** connection (the first
//! one included) the stream emits [`UserEvent::Resync`]: the owner must then re-read open
//! orders, positions and balances over REST before trusting its state again (see [`resync`]).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior};

use super::super::algo::AlgoOrder;
use super::super::error::VenueError;
use super::super::models::{AssetBalance, Order, PositionRiskV3};
use super::super::rest::RestClient;
use super::connection::{
    Backoff, Endpoint, Next, StreamError, StreamOptions, StreamTask, Ws, close_quietly, next_text,
    stop_requested,
};
use super::user_events::{UserEvent, parse_user};

/// Keep-alive cadence Binance recommends for a key valid 60 minutes.
pub const KEEPALIVE_EVERY: Duration = Duration::from_secs(30 * 60);

/// The listen-key calls the stream needs (`/fapi/v1/listenKey`). [`RestClient`] implements it;
/// tests use a fake.
pub trait ListenKeys: Send + Sync + 'static {
    /// `POST`: a new key, or the account's active one (extended).
    fn create(&self) -> impl Future<Output = Result<String, VenueError>> + Send;
    /// `PUT`: extend the active key by 60 minutes and return it; -1125 when it no longer
    /// exists.
    fn keepalive(&self) -> impl Future<Output = Result<String, VenueError>> + Send;
    /// `DELETE`: close the stream and invalidate the key.
    fn close(&self) -> impl Future<Output = Result<(), VenueError>> + Send;
}

impl ListenKeys for RestClient {
    async fn create(&self) -> Result<String, VenueError> {
        let key = self.start_user_stream().await?;
        if key.is_empty() {
            return Err(VenueError::Malformed("an empty listenKey".into()));
        }
        Ok(key)
    }

    async fn keepalive(&self) -> Result<String, VenueError> {
        self.keepalive_user_stream().await
    }

    async fn close(&self) -> Result<(), VenueError> {
        self.close_user_stream().await
    }
}

/// The account as REST tells it, read after a `Resync`: what the stream may have missed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSnapshot {
    /// Every open order, all symbols (`GET /fapi/v1/openOrders`, weight 40).
    pub open_orders: Vec<Order>,
    /// Every open conditional order, all symbols (`GET /fapi/v1/openAlgoOrders`, weight 40).
    pub open_algo_orders: Vec<AlgoOrder>,
    /// Symbols with a position or open orders (`GET /fapi/v3/positionRisk`, weight 5).
    pub positions: Vec<PositionRiskV3>,
    /// Every asset (`GET /fapi/v3/balance`, weight 5).
    pub balances: Vec<AssetBalance>,
}

/// Re-reads open orders (regular and conditional), positions and balances (weight 90 in all)
/// for the owner to replace its state with after [`UserEvent::Resync`]. Keep applying stream
/// events meanwhile, by event time (`E`), on top of the snapshot: the stream is the newer source
/// once connected.
pub async fn resync(rest: &RestClient) -> Result<AccountSnapshot, VenueError> {
    let open_orders = rest.list_open_orders(None).await?;
    let open_algo_orders = rest.open_algo_orders(None).await?;
    let positions = rest.position_risk_v3(None).await?;
    let balances = rest.balances_v3().await?;
    Ok(AccountSnapshot {
        open_orders,
        open_algo_orders,
        positions,
        balances,
    })
}

// ---------------------------------------------------------------------------------------------
// The stream

/// How the user stream behaves; the defaults suit Binance.
#[derive(Debug, Clone)]
pub struct UserStreamOptions {
    /// Reconnects, timeouts, TLS.
    pub stream: StreamOptions,
    /// `PUT /fapi/v1/listenKey` cadence (30 minutes; shorter in tests).
    pub keepalive_every: Duration,
    /// `DELETE /fapi/v1/listenKey` when the stream ends. The key is per account: another
    /// stream of the same account would lose it too (it would then get `listenKeyExpired` or
    /// -1125 and recover).
    pub close_listen_key: bool,
}

impl Default for UserStreamOptions {
    fn default() -> Self {
        Self {
            stream: StreamOptions::default(),
            keepalive_every: KEEPALIVE_EVERY,
            close_listen_key: true,
        }
    }
}

/// A running user data stream. Dropping the handle ends the task too (and, as with
/// [`close`](Self::close), deletes the listen key when so configured, in the background).
#[derive(Debug)]
pub struct UserStream {
    task: StreamTask,
}

impl UserStream {
    /// Starts the stream for the account behind `keys` (normally an `Arc<RestClient>`), on
    /// `ws_base` (`Environment::ws_user_base()`, or the simulator's `ws://127.0.0.1:<port>`). Must be
    /// called inside a tokio runtime. The first event is `Resync` once connected.
    pub fn start<K: ListenKeys>(
        keys: Arc<K>,
        ws_base: &str,
        options: UserStreamOptions,
    ) -> Result<(Self, mpsc::Receiver<UserEvent>), StreamError> {
        let endpoint = Endpoint::new(ws_base, options.stream.tls.clone())?;
        let (tx, rx) = mpsc::channel(options.stream.channel_capacity.max(1));
        let task = StreamTask::spawn(|stop| async move {
            let had_key = run_user(&*keys, endpoint, &options, &tx, stop).await;
            if options.close_listen_key
                && had_key
                && let Err(e) = keys.close().await
            {
                tracing::info!(error = %e, "could not delete the listen key");
            }
        });
        Ok((Self { task }, rx))
    }

    /// Closes the connection, deletes the listen key (when configured) and waits for both.
    pub async fn close(self) {
        self.task.close().await;
    }
}

/// The listen key for logs: enough to tell two apart, not enough to open the stream.
/// The user event types asked for on the Private route: the ones [`parse_user`] reads, with
/// leverage changes and margin calls (passed on as `Other`). `listenKeyExpired` comes whatever
/// is asked.
pub const USER_EVENTS: [&str; 5] = [
    "ORDER_TRADE_UPDATE",
    "ACCOUNT_UPDATE",
    "ALGO_UPDATE",
    "ACCOUNT_CONFIG_UPDATE",
    "MARGIN_CALL",
];

/// The stream path for `key` under `base`: the Private route's query form on a `/private`
/// base, the path form elsewhere.
fn user_path(base: &str, key: &str) -> String {
    if base.trim_end_matches('/').ends_with("/private") {
        format!("/ws?listenKey={key}&events={}", USER_EVENTS.join("/"))
    } else {
        format!("/ws/{key}")
    }
}

fn redact(key: &str) -> String {
    format!("{}…", key.chars().take(4).collect::<String>())
}

/// Why one connection ended.
enum End {
    Stop,
    /// Get a listen key again (`POST`) and reconnect, after the backoff.
    Reconnect(String),
}

/// The stream's life; returns whether a listen key was ever obtained (so there is one to
/// delete).
async fn run_user<K: ListenKeys>(
    keys: &K,
    endpoint: Endpoint,
    options: &UserStreamOptions,
    tx: &mpsc::Sender<UserEvent>,
    mut stop: watch::Receiver<bool>,
) -> bool {
    let mut backoff = Backoff::new(options.stream.backoff_initial, options.stream.backoff_max);
    let mut had_key = false;
    loop {
        let key = tokio::select! {
            _ = stop_requested(&mut stop, tx) => return had_key,
            key = keys.create() => key,
        };
        let mut wait_at_least = Duration::ZERO;
        let reason = match key {
            Err(VenueError::Rejected { code, msg, .. }) => {
                let reason = format!("the venue refused a listen key ({code}): {msg}");
                tracing::warn!(%reason, "user stream stopped");
                let _ = tx.send(UserEvent::Stopped { reason }).await;
                return had_key;
            }
            Err(e) => {
                if let VenueError::RateLimited {
                    retry_after_secs, ..
                } = e
                {
                    wait_at_least = Duration::from_secs(u64::from(retry_after_secs));
                }
                format!("no listen key: {e}")
            }
            Ok(key) if !key.chars().all(|c| c.is_ascii_alphanumeric()) => {
                // It goes into the URL path: nothing but what Binance's keys are made of.
                "the venue's listen key is not alphanumeric".into()
            }
            Ok(key) => {
                had_key = true;
                let path = user_path(&endpoint.base, &key);
                let attempt = tokio::select! {
                    _ = stop_requested(&mut stop, tx) => return had_key,
                    attempt = endpoint.connect(&path, options.stream.connect_timeout) => attempt,
                };
                match attempt {
                    Err(reason) => reason,
                    Ok(ws) => {
                        tracing::info!(listen_key = %redact(&key), "user stream connected");
                        let since = Instant::now();
                        let end = serve(keys, &key, ws, options, tx, &mut stop).await;
                        if since.elapsed() >= options.stream.stable_after {
                            backoff.reset();
                        }
                        match end {
                            End::Stop => return had_key,
                            End::Reconnect(reason) => reason,
                        }
                    }
                }
            }
        };
        tracing::info!(%reason, "user stream down; reconnecting");
        if tx.send(UserEvent::Disconnected { reason }).await.is_err() {
            return had_key;
        }
        let delay = backoff.next_delay().max(wait_at_least);
        tokio::select! {
            _ = stop_requested(&mut stop, tx) => return had_key,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

/// One connection: `Resync`, then events, keep-alives on schedule, until it ends.
async fn serve<K: ListenKeys>(
    keys: &K,
    key: &str,
    mut ws: Ws,
    options: &UserStreamOptions,
    tx: &mpsc::Sender<UserEvent>,
    stop: &mut watch::Receiver<bool>,
) -> End {
    if tx.send(UserEvent::Resync).await.is_err() {
        close_quietly(ws).await;
        return End::Stop;
    }
    let every = options.keepalive_every.max(Duration::from_millis(1));
    let mut keepalive = tokio::time::interval_at(Instant::now() + every, every);
    keepalive.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let next = tokio::select! {
            next = next_text(&mut ws, stop, tx, &options.stream) => next,
            _ = keepalive.tick() => {
                match keys.keepalive().await {
                    Ok(extended) if extended == key => {}
                    Ok(_) => {
                        // The account's active key is another one: this connection's is dead.
                        close_quietly(ws).await;
                        return End::Reconnect("the venue extended another listen key".into());
                    }
                    Err(VenueError::Rejected { code: -1125, .. }) => {
                        close_quietly(ws).await;
                        return End::Reconnect("the listen key no longer exists (-1125)".into());
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "listen key keep-alive failed");
                        let failed = UserEvent::KeepaliveFailed { reason: e.to_string() };
                        if tx.send(failed).await.is_err() {
                            close_quietly(ws).await;
                            return End::Stop;
                        }
                    }
                }
                continue;
            }
        };
        let text = match next {
            Next::Stop => {
                close_quietly(ws).await;
                return End::Stop;
            }
            Next::Lost(reason) => return End::Reconnect(reason),
            Next::Text(text) => text,
        };
        let event = match parse_user(&text) {
            Ok(Some(event)) => event,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "skipping a user-stream message");
                UserEvent::Malformed(e)
            }
        };
        let expired = matches!(event, UserEvent::ListenKeyExpired { .. });
        if tx.send(event).await.is_err() {
            close_quietly(ws).await;
            return End::Stop;
        }
        if expired {
            close_quietly(ws).await;
            return End::Reconnect("the listen key expired".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::super::user_events::tests::{ACCOUNT, EXPIRED, ORDER};

    #[test]
    fn plain_ws_to_a_venue_is_refused() {
        let keys = Arc::new(FakeKeys::default());
        let err = UserStream::start(
            keys,
            "ws://fstream.binance.com/private",
            UserStreamOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            StreamError::Tls(crate::tls::TlsError::InsecureUrl(_))
        ));
    }

    #[test]
    fn listen_keys_are_redacted_in_logs() {
        assert_eq!(redact("pqia91ma19a5s61cv6a81va65sdf19v8a65a1"), "pqia…");
    }

    /// Listen keys `k1`, `k2`, … ; the first keep-alive answers -1125 when told to.
    #[derive(Default)]
    struct FakeKeys {
        created: AtomicU32,
        keepalives: AtomicU32,
        closed: AtomicU32,
        fail_first_keepalive: bool,
        log: Mutex<Vec<String>>,
    }

    impl ListenKeys for FakeKeys {
        async fn create(&self) -> Result<String, VenueError> {
            let n = self.created.fetch_add(1, Ordering::SeqCst) + 1;
            self.log.lock().unwrap().push(format!("POST k{n}"));
            Ok(format!("k{n}"))
        }
        async fn keepalive(&self) -> Result<String, VenueError> {
            let n = self.keepalives.fetch_add(1, Ordering::SeqCst);
            self.log.lock().unwrap().push("PUT".into());
            if n == 0 && self.fail_first_keepalive {
                return Err(VenueError::Rejected {
                    http: 400,
                    code: -1125,
                    msg: "This listenKey does not exist.".into(),
                });
            }
            Ok(format!("k{}", self.created.load(Ordering::SeqCst)))
        }
        async fn close(&self) -> Result<(), VenueError> {
            self.closed.fetch_add(1, Ordering::SeqCst);
            self.log.lock().unwrap().push("DELETE".into());
            Ok(())
        }
    }

    // A real socket: the server sends an order update then `listenKeyExpired` on the first
    // connection, holds the second (keep-alives answer -1125 once → a third connection), and
    // the client reconnects each time with a fresh POST and a Resync.
    #[tokio::test]
    // The handshake callback's error type is tungstenite's, large by design.
    #[allow(clippy::result_large_err)]
    async fn resyncs_after_every_connection_and_renews_the_key() {
        use futures_util::{SinkExt, StreamExt};
        use tokio::net::TcpListener;
        use tokio_tungstenite::tungstenite::Message;

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (paths_tx, mut paths) = mpsc::unbounded_channel::<String>();
        let server = tokio::spawn(async move {
            for connection in 0..3u32 {
                let (socket, _) = listener.accept().await.unwrap();
                let paths_tx = paths_tx.clone();
                let mut ws = tokio_tungstenite::accept_hdr_async(
                    socket,
                    move |req: &tokio_tungstenite::tungstenite::handshake::server::Request,
                          resp| {
                        let _ = paths_tx.send(req.uri().path().to_owned());
                        Ok(resp)
                    },
                )
                .await
                .unwrap();
                if connection == 0 {
                    ws.send(Message::Text(ORDER.into())).await.unwrap();
                    ws.send(Message::Text(EXPIRED.into())).await.unwrap();
                }
                if connection == 1 {
                    ws.send(Message::Text(ACCOUNT.into())).await.unwrap();
                }
                // Hold until the client leaves.
                while let Some(Ok(msg)) = ws.next().await {
                    if matches!(msg, Message::Close(_)) {
                        break;
                    }
                }
            }
        });

        let keys = Arc::new(FakeKeys {
            fail_first_keepalive: true,
            ..FakeKeys::default()
        });
        let options = UserStreamOptions {
            stream: StreamOptions {
                backoff_initial: Duration::from_millis(20),
                backoff_max: Duration::from_millis(200),
                ..StreamOptions::default()
            },
            keepalive_every: Duration::from_millis(300),
            close_listen_key: true,
        };
        let (stream, mut events) =
            UserStream::start(keys.clone(), &format!("ws://127.0.0.1:{port}"), options).unwrap();

        // Resync, order, expired, disconnected, Resync, account, disconnected (-1125), Resync.
        let seen =
            crate::binance_usdm::ws::market_stream::tests::first_events(&mut events, 8).await;
        let kinds: Vec<&str> = seen
            .iter()
            .map(|e| match e {
                UserEvent::Resync => "resync",
                UserEvent::OrderUpdate(_) => "order",
                UserEvent::AccountUpdate(_) => "account",
                UserEvent::ListenKeyExpired { .. } => "expired",
                UserEvent::Disconnected { .. } => "disconnected",
                _ => "other",
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "resync",
                "order",
                "expired",
                "disconnected",
                "resync",
                "account",
                "disconnected",
                "resync"
            ]
        );
        assert_eq!(paths.recv().await.unwrap(), "/ws/k1");
        assert_eq!(paths.recv().await.unwrap(), "/ws/k2");
        assert_eq!(paths.recv().await.unwrap(), "/ws/k3");

        // A keep-alive on the third connection succeeds and changes nothing.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while keys.keepalives.load(Ordering::SeqCst) < 2 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no second keep-alive within 5 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(keys.created.load(Ordering::SeqCst), 3);

        tokio::time::timeout(Duration::from_secs(5), stream.close())
            .await
            .expect("close within 5 s");
        assert_eq!(keys.closed.load(Ordering::SeqCst), 1);
        assert_eq!(keys.log.lock().unwrap().last().unwrap(), "DELETE");
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("server saw the close")
            .unwrap();
    }

    #[tokio::test]
    async fn a_refused_listen_key_stops_the_stream() {
        struct Refusing(AtomicU32);
        impl ListenKeys for Refusing {
            async fn create(&self) -> Result<String, VenueError> {
                Err(VenueError::Rejected {
                    http: 401,
                    code: -2015,
                    msg: "Invalid API-key, IP, or permissions for action".into(),
                })
            }
            async fn keepalive(&self) -> Result<String, VenueError> {
                Ok("k".into())
            }
            async fn close(&self) -> Result<(), VenueError> {
                self.0.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        }
        let keys = Arc::new(Refusing(AtomicU32::new(0)));
        let (stream, mut events) = UserStream::start(
            keys.clone(),
            "ws://127.0.0.1:9",
            UserStreamOptions::default(),
        )
        .unwrap();
        let first = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .unwrap();
        assert!(
            matches!(first, Some(UserEvent::Stopped { .. })),
            "{first:?}"
        );
        let end = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .unwrap();
        assert_eq!(end, None);
        stream.close().await;
        // No key was ever handed out, so there is none to delete.
        assert_eq!(keys.0.load(Ordering::SeqCst), 0);
    }
}
