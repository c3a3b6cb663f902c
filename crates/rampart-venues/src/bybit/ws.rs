//! Bybit v5's WebSocket streams ("WebSocket Stream → Connect", `docs/v5/websocket/...`):
//! - private (`/v5/private`): `{"op":"auth","args":[apiKey, expires, signature]}` first (see
//!   [`super::signer::ws_auth_string`]), then `order`, `execution`, `position`, `wallet`, and
//!   `dcp.future` (which arms Bybit's disconnect cancel-all where the account has it);
//! - public (`/v5/public/linear` or `/inverse`): `tickers.{symbol}` (mark price, funding;
//!   deltas carry only what changed), `orderbook.{depth}.{symbol}` (a snapshot, then deltas
//!   where a size of 0 removes the level; a new snapshot replaces the book),
//!   `publicTrade.{symbol}`, `kline.{interval}.{symbol}`;
//! - heartbeat: `{"op":"ping"}` "every 20 seconds"; a connection silent for longer than three
//!   heartbeats is taken as lost;
//! - after every (re)connect (and, privately, a successful login) the feed reports
//!   [`FeedStatus::Connected`], so the engine reads its state again over REST; a lost connection
//!   is retried with jittered, doubling back-off. A refused login stops the feed for good.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rampart_core::feed::CandleInterval;
use rust_decimal::Decimal;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use super::convert::{self, Execution, WireKline, WireTrade};
use super::environment::WS_PRIVATE;
use super::models::{
    Book, Order, PositionInfo, StreamMessage, Ticker, Wallet, WalletList, data_as,
};
use super::rest::{RestClient, local_ms};
use crate::binance_usdm::ws::connection::Backoff;
use crate::venue::{
    AbortOnDrop, AccountUpdate, BookLevel, Feed, FeedEvent, FeedStatus, MarketSubscription,
    MarketUpdate, OrderBook,
};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How a stream keeps its connection.
#[derive(Debug, Clone)]
pub struct WsOptions {
    /// Bybit recommends a ping every 20 seconds.
    pub ping_every: Duration,
    /// Nothing heard for this long: the connection is lost.
    pub idle_timeout: Duration,
    pub connect_timeout: Duration,
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    /// A connection that lasted this long resets the back-off.
    pub stable_after: Duration,
    /// How long the login frame stays valid (`expires` = venue time + this).
    pub auth_validity: Duration,
}

impl Default for WsOptions {
    fn default() -> Self {
        Self {
            ping_every: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(65),
            connect_timeout: Duration::from_secs(10),
            backoff_initial: Duration::from_millis(200),
            backoff_max: Duration::from_secs(30),
            stable_after: Duration::from_secs(30),
            auth_validity: Duration::from_secs(10),
        }
    }
}

/// What a message meant for the feed.
#[derive(Debug, PartialEq)]
pub enum Handled<T> {
    Updates(Vec<T>),
    /// The login succeeded: the feed is live.
    LoggedIn,
    /// The venue refused the feed for good (login or subscription refused).
    Stop(String),
    /// A message could not be read (not in the documented shape): what it carried is lost, so
    /// the connection is dropped and made again, and the engine reads the state over REST
    /// after the next Connected.
    Resync(String),
    /// Nothing for the feed (pongs, subscription acknowledgements).
    Nothing,
}

/// The ping frame.
pub fn ping_frame() -> String {
    r#"{"op":"ping"}"#.to_owned()
}

/// The login frame of the private stream.
pub fn auth_frame(api_key: &str, expires_ms: i64, signature: &str) -> String {
    serde_json::json!({ "op": "auth", "args": [api_key, expires_ms, signature] }).to_string()
}

/// A subscribe frame; `req_id` lets its answer be told apart.
pub fn subscribe_frame(req_id: &str, topics: &[String]) -> String {
    serde_json::json!({ "req_id": req_id, "op": "subscribe", "args": topics }).to_string()
}

/// The private topics the account feed reads.
pub const PRIVATE_TOPICS: [&str; 4] = ["order", "execution", "position", "wallet"];
/// The topic that arms DCP for futures; refused on accounts without DCP, which is not an error.
pub const DCP_TOPIC: &str = "dcp.future";
const DCP_REQ: &str = "dcp";

async fn connect(
    url: &str,
    tls: Option<Arc<rustls::ClientConfig>>,
    timeout: Duration,
) -> Result<Ws, String> {
    let connector = if url.starts_with("wss://") {
        Connector::Rustls(match tls {
            Some(config) => config,
            None => crate::tls::client_config(None).map_err(|e| e.to_string())?,
        })
    } else {
        Connector::Plain
    };
    let attempt =
        tokio_tungstenite::connect_async_tls_with_config(url, None, true, Some(connector));
    match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(e)) => Err(format!("could not connect: {e}")),
        Err(_) => Err(format!("no connection within {} s", timeout.as_secs())),
    }
}

/// What a connection's end means.
enum Ended {
    /// Reconnect.
    Lost(String),
    /// Stop for good.
    Stop(String),
    /// The feed was dropped.
    Dropped,
}

/// Runs a stream: connects to `url`, sends `setup()`'s frames, reports Connected (at once, or
/// when `handle` says the login succeeded), pings, and hands every text message to `handle`;
/// reconnects with back-off when the connection is lost.
pub fn run<T, S, H>(
    url: String,
    tls: Option<Arc<rustls::ClientConfig>>,
    options: WsOptions,
    needs_login: bool,
    mut setup: S,
    mut handle: H,
) -> Feed<T>
where
    T: Send + 'static,
    S: FnMut() -> Vec<String> + Send + 'static,
    H: FnMut(&str) -> Handled<T> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(1024);
    let messages = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = messages.clone();
    let task = tokio::spawn(async move {
        let mut backoff = Backoff::new(options.backoff_initial, options.backoff_max);
        loop {
            let started = Instant::now();
            let ended = match connect(&url, tls.clone(), options.connect_timeout).await {
                Err(e) => Ended::Lost(e),
                Ok(mut ws) => {
                    one_connection(
                        &mut ws,
                        &tx,
                        &options,
                        needs_login,
                        &mut setup,
                        &mut handle,
                        &counted,
                    )
                    .await
                }
            };
            match ended {
                Ended::Dropped => return,
                Ended::Stop(why) => {
                    let _ = tx.send(FeedEvent::Status(FeedStatus::Stopped(why))).await;
                    return;
                }
                Ended::Lost(why) => {
                    if tx
                        .send(FeedEvent::Status(FeedStatus::Lost(why)))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
            if started.elapsed() >= options.stable_after {
                backoff.reset();
            }
            tokio::time::sleep(backoff.next_delay()).await;
        }
    });
    Feed::new(rx, AbortOnDrop(task)).counting(messages)
}

async fn one_connection<T, S, H>(
    ws: &mut Ws,
    tx: &mpsc::Sender<FeedEvent<T>>,
    options: &WsOptions,
    needs_login: bool,
    setup: &mut S,
    handle: &mut H,
    counted: &std::sync::atomic::AtomicU64,
) -> Ended
where
    S: FnMut() -> Vec<String>,
    H: FnMut(&str) -> Handled<T>,
{
    for frame in setup() {
        if let Err(e) = ws.send(Message::text(frame)).await {
            return Ended::Lost(format!("could not send: {e}"));
        }
    }
    if !needs_login
        && tx
            .send(FeedEvent::Status(FeedStatus::Connected))
            .await
            .is_err()
    {
        return Ended::Dropped;
    }
    let mut ping = tokio::time::interval(options.ping_every);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ping.tick().await;
    let mut last_heard = Instant::now();
    // A login must be answered while its frame is still valid; pongs alone do not make the
    // feed live.
    let connected_at = Instant::now();
    let mut logged_in = !needs_login;
    loop {
        if !logged_in && connected_at.elapsed() >= options.auth_validity {
            return Ended::Lost(format!(
                "no answer to the stream login within {} s",
                options.auth_validity.as_secs()
            ));
        }
        let mut idle_left = options.idle_timeout.saturating_sub(last_heard.elapsed());
        if !logged_in {
            idle_left = idle_left.min(options.auth_validity.saturating_sub(connected_at.elapsed()));
        }
        let frame = tokio::select! {
            _ = tx.closed() => return Ended::Dropped,
            _ = ping.tick() => {
                if let Err(e) = ws.send(Message::text(ping_frame())).await {
                    return Ended::Lost(format!("could not send the heartbeat: {e}"));
                }
                continue;
            }
            _ = tokio::time::sleep(idle_left) => {
                if last_heard.elapsed() < options.idle_timeout {
                    // The login's deadline: checked at the top of the loop.
                    continue;
                }
                return Ended::Lost(format!("nothing heard for {} s", options.idle_timeout.as_secs()));
            }
            frame = ws.next() => frame,
        };
        last_heard = Instant::now();
        let text = match frame {
            None => return Ended::Lost("the connection ended".into()),
            Some(Err(e)) => return Ended::Lost(format!("connection error: {e}")),
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(_))) => {
                return Ended::Lost("Bybit closed the connection".into());
            }
            Some(Ok(_)) => continue,
        };
        counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match handle(text.as_str()) {
            Handled::Nothing => {}
            Handled::LoggedIn => {
                logged_in = true;
                if tx
                    .send(FeedEvent::Status(FeedStatus::Connected))
                    .await
                    .is_err()
                {
                    return Ended::Dropped;
                }
            }
            Handled::Stop(why) => return Ended::Stop(why),
            Handled::Resync(why) => return Ended::Lost(why),
            Handled::Updates(updates) => {
                for u in updates {
                    if tx.send(FeedEvent::Update(u)).await.is_err() {
                        return Ended::Dropped;
                    }
                }
            }
        }
    }
}

/// Reads one private-stream message into account updates.
pub fn handle_private(text: &str) -> Handled<AccountUpdate> {
    let Ok(msg) = serde_json::from_str::<StreamMessage>(text) else {
        return Handled::Nothing;
    };
    match (msg.op.as_deref(), msg.topic.as_deref()) {
        (Some("auth"), _) => {
            if msg.success == Some(true) {
                Handled::LoggedIn
            } else {
                Handled::Stop(format!(
                    "Bybit refused the stream login ({}): check the API key and secret.",
                    msg.ret_msg.unwrap_or_default()
                ))
            }
        }
        (Some("subscribe"), _) => {
            if msg.success == Some(false) && msg.req_id.as_deref() != Some(DCP_REQ) {
                Handled::Stop(format!(
                    "Bybit refused the account stream's subscription: {}",
                    msg.ret_msg.unwrap_or_default()
                ))
            } else {
                Handled::Nothing
            }
        }
        (_, Some(topic)) => {
            let Some(data) = msg.data.as_ref() else {
                return Handled::Nothing;
            };
            match private_updates(topic, data) {
                Ok(updates) => Handled::Updates(updates),
                // Nothing of it is used; the reconnect makes the engine read the account again.
                Err(e) => Handled::Resync(e.message),
            }
        }
        _ => Handled::Nothing,
    }
}

/// The account updates of one private topic's `data`.
pub fn private_updates(
    topic: &str,
    data: &serde_json::Value,
) -> crate::venue::Result<Vec<AccountUpdate>> {
    let bad = |e: serde_json::Error| super::error::malformed(topic, e);
    Ok(match topic {
        "order" => data_as::<Vec<Order>>(data)
            .map_err(bad)?
            .iter()
            .map(|o| convert::order_state(o).map(AccountUpdate::Order))
            .collect::<crate::venue::Result<_>>()?,
        "execution" => {
            let mut out = Vec::new();
            for e in data_as::<Vec<Execution>>(data).map_err(bad)? {
                if let Some(f) = convert::fill(&e)? {
                    out.push(AccountUpdate::Fill(f));
                }
            }
            out
        }
        "position" => {
            let changes = data_as::<Vec<PositionInfo>>(data)
                .map_err(bad)?
                .iter()
                .map(convert::position_change)
                .collect::<crate::venue::Result<Vec<_>>>()?;
            vec![AccountUpdate::Positions(changes)]
        }
        "wallet" => {
            let list = WalletList {
                list: data_as::<Vec<Wallet>>(data).map_err(bad)?,
            };
            vec![AccountUpdate::Balances(convert::balance_changes(&list)?)]
        }
        _ => Vec::new(),
    })
}

/// The account's private stream at `base` + `/v5/private`.
pub fn account_feed(client: Arc<RestClient>, base: &str) -> Feed<AccountUpdate> {
    let url = format!("{base}{WS_PRIVATE}");
    let options = WsOptions::default();
    let validity = i64::try_from(options.auth_validity.as_millis()).unwrap_or(10_000);
    let tls = client.tls_config();
    let setup = move || {
        let now = client.venue_time_ms().unwrap_or_else(local_ms);
        let expires = now + validity;
        let signature = client.signer().ws_auth_signature(expires);
        let topics: Vec<String> = PRIVATE_TOPICS.iter().map(|t| (*t).to_owned()).collect();
        vec![
            auth_frame(client.api_key(), expires, &signature),
            subscribe_frame("account", &topics),
            subscribe_frame(DCP_REQ, &[DCP_TOPIC.to_owned()]),
        ]
    };
    run(url, tls, options, true, setup, handle_private)
}

/// The order-book depth Bybit streams for linear and inverse contracts, at least `wanted`
/// levels where it can (1, 50, 200 or 1000).
pub fn stream_depth(wanted: usize) -> u32 {
    match wanted {
        0 | 1 => 1,
        2..=50 => 50,
        51..=200 => 200,
        _ => 1000,
    }
}

/// A local book kept from Bybit's snapshot and deltas.
#[derive(Debug, Default, Clone)]
pub struct LocalBook {
    bids: BTreeMap<Decimal, Decimal>,
    asks: BTreeMap<Decimal, Decimal>,
    update_id: u64,
    snapshot_seen: bool,
}

impl LocalBook {
    /// Applies a `snapshot` (replaces the book) or a `delta` (a size of 0 removes the level).
    pub fn apply(&mut self, snapshot: bool, book: &Book) -> crate::venue::Result<()> {
        let what = "an order-book update";
        // Both sides are parsed before anything changes: a bad level leaves the book as it was.
        let bids = convert::levels(what, &book.b)?;
        let asks = convert::levels(what, &book.a)?;
        if snapshot {
            self.snapshot_seen = true;
            self.bids.clear();
            self.asks.clear();
        }
        for (side, levels) in [(&mut self.bids, bids), (&mut self.asks, asks)] {
            for BookLevel { price, qty } in levels {
                if qty.is_zero() {
                    side.remove(&price);
                } else {
                    side.insert(price, qty);
                }
            }
        }
        self.update_id = book.u;
        Ok(())
    }

    /// Whether a snapshot has arrived since the book was made.
    pub fn has_snapshot(&self) -> bool {
        self.snapshot_seen
    }

    /// The best `depth` levels a side.
    pub fn top(&self, symbol: &str, depth: usize, time_ms: i64) -> OrderBook {
        let level = |(p, q): (&Decimal, &Decimal)| BookLevel { price: *p, qty: *q };
        OrderBook {
            symbol: symbol.to_owned(),
            bids: self.bids.iter().rev().take(depth).map(level).collect(),
            asks: self.asks.iter().take(depth).map(level).collect(),
            update_id: self.update_id,
            time_ms,
        }
    }
}

/// The state of one market feed between messages.
#[derive(Debug, Default)]
pub struct MarketState {
    pub symbol: String,
    pub depth: usize,
    pub interval: Option<CandleInterval>,
    ticker: Ticker,
    book: LocalBook,
}

impl MarketState {
    pub fn new(symbol: &str, subscription: MarketSubscription) -> Self {
        Self {
            symbol: symbol.to_owned(),
            depth: subscription.book_depth,
            interval: subscription.candles,
            ticker: Ticker {
                symbol: symbol.to_owned(),
                ..Ticker::default()
            },
            book: LocalBook::default(),
        }
    }

    /// The topics to subscribe to.
    pub fn topics(&self, subscription: MarketSubscription) -> Vec<String> {
        let s = &self.symbol;
        let mut topics = vec![format!("tickers.{s}")];
        if subscription.book_depth > 0 {
            topics.push(format!(
                "orderbook.{}.{s}",
                stream_depth(subscription.book_depth)
            ));
        }
        if subscription.trades {
            topics.push(format!("publicTrade.{s}"));
        }
        if let Some(interval) = subscription.candles {
            topics.push(format!("kline.{}.{s}", convert::interval_wire(interval)));
        }
        topics
    }

    /// Reads one public-stream message.
    pub fn handle(&mut self, text: &str) -> Handled<MarketUpdate> {
        let Ok(msg) = serde_json::from_str::<StreamMessage>(text) else {
            return Handled::Nothing;
        };
        if msg.op.as_deref() == Some("subscribe") && msg.success == Some(false) {
            return Handled::Stop(format!(
                "Bybit refused the market stream's subscription: {}",
                msg.ret_msg.unwrap_or_default()
            ));
        }
        let (Some(topic), Some(data)) = (msg.topic.as_deref(), msg.data.as_ref()) else {
            return Handled::Nothing;
        };
        let time = msg.ts_ms().unwrap_or(0);
        match self.public_updates(topic, msg.kind.as_deref() == Some("snapshot"), data, time) {
            Ok(u) => Handled::Updates(u),
            // The local book may now be wrong: start again from a new snapshot.
            Err(e) => Handled::Resync(e.message),
        }
    }

    fn public_updates(
        &mut self,
        topic: &str,
        snapshot: bool,
        data: &serde_json::Value,
        time: i64,
    ) -> crate::venue::Result<Vec<MarketUpdate>> {
        let bad = |e: serde_json::Error| super::error::malformed(topic, e);
        if topic.starts_with("tickers.") {
            let t: Ticker = data_as(data).map_err(bad)?;
            // Deltas carry only the fields that changed.
            if snapshot {
                self.ticker = t;
            } else {
                for (mine, new) in [
                    (&mut self.ticker.mark_price, t.mark_price),
                    (&mut self.ticker.index_price, t.index_price),
                    (&mut self.ticker.funding_rate, t.funding_rate),
                    (&mut self.ticker.next_funding_time, t.next_funding_time),
                ] {
                    if new.is_some() {
                        *mine = new;
                    }
                }
            }
            if self.ticker.mark_price.is_none() {
                return Ok(Vec::new());
            }
            return Ok(vec![MarketUpdate::Mark(convert::mark_price(
                &self.ticker,
                time,
            )?)]);
        }
        if topic.starts_with("orderbook.") {
            let b: Book = data_as(data).map_err(bad)?;
            if !snapshot && !self.book.has_snapshot() {
                // A delta before the first snapshot has nothing to apply to.
                return Ok(Vec::new());
            }
            self.book.apply(snapshot, &b)?;
            return Ok(vec![MarketUpdate::Book(self.book.top(
                &self.symbol,
                self.depth,
                time,
            ))]);
        }
        if topic.starts_with("publicTrade.") {
            let trades: Vec<WireTrade> = data_as(data).map_err(bad)?;
            return trades
                .iter()
                .map(|t| convert::public_trade(t).map(MarketUpdate::Trade))
                .collect();
        }
        if topic.starts_with("kline.")
            && let Some(interval) = self.interval
        {
            let klines: Vec<WireKline> = data_as(data).map_err(bad)?;
            return klines
                .iter()
                .map(|k| {
                    convert::stream_candle(k)
                        .map(|candle| MarketUpdate::Candle { interval, candle })
                })
                .collect();
        }
        Ok(Vec::new())
    }
}

/// `symbol`'s public stream at `url` (`…/v5/public/linear` or `/inverse`).
pub fn market_feed(
    tls: Option<Arc<rustls::ClientConfig>>,
    url: &str,
    symbol: &str,
    subscription: MarketSubscription,
) -> Feed<MarketUpdate> {
    let state = Arc::new(std::sync::Mutex::new(MarketState::new(
        symbol,
        subscription,
    )));
    let for_setup = state.clone();
    let setup = move || {
        let mut s = for_setup.lock().unwrap_or_else(|p| p.into_inner());
        // A new connection starts from a new snapshot.
        s.book = LocalBook::default();
        vec![subscribe_frame("market", &s.topics(subscription))]
    };
    let handle = move |text: &str| state.lock().unwrap_or_else(|p| p.into_inner()).handle(text);
    run(
        url.to_owned(),
        tls,
        WsOptions::default(),
        false,
        setup,
        handle,
    )
}
