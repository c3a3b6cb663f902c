//! OKX's WebSocket streams, from the v5 documentation's "Overview → WebSocket":
//! - connect to `/ws/v5/public` (mark price, books, trades), `/ws/v5/business` (candles) or
//!   `/ws/v5/private` (orders, positions, account), then
//! - on the private one, log in: `{"op":"login","args":[{apiKey,passphrase,timestamp,sign}]}`
//!   (see [`super::signer`]); OKX answers `{"event":"login","code":"0",…}`, or an error event
//!   (60009 "Login failed", 60024 "Wrong passphrase", …);
//! - subscribe: `{"op":"subscribe","args":[{"channel":…,"instId":…}]}`; pushes come as
//!   `{"arg":{…},"data":[…]}` (books with `"action":"snapshot"|"update"`, `seqId`,
//!   `prevSeqId`);
//! - heartbeat: "If there's no message within 30 seconds, the connection will be broken":
//!   after N < 30 s without a message, send the string `ping` and expect `pong` within N s,
//!   else reconnect.
//!
//! Each (re)connection logs in and subscribes again and then reports
//! [`FeedStatus::Connected`], so the engine reads its state again over REST; a lost connection
//! is reported as [`FeedStatus::Lost`] and retried with a growing pause (1 s doubling to
//! 30 s). A refused key stops the stream ([`FeedStatus::Stopped`]). A push that is not in the
//! documented shape is not half-applied: the connection is dropped and made again, and the
//! engine resyncs.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use super::convert;
use super::error::{self, malformed};
use super::models;
use super::rest::RestClient;
use super::venue::bar;
use crate::venue::{
    AbortOnDrop, AccountUpdate, BookLevel, Error, Feed, FeedEvent, FeedStatus, MarkPrice,
    MarketSubscription, MarketUpdate, OrderBook, RefusalCause,
};

type Ws = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;
type Result<T> = std::result::Result<T, Error>;

/// Silence after which `ping` is sent (OKX breaks a connection silent for 30 s).
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(20);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
const LOGIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Turns one connection's pushes into updates.
trait Handler<T>: Send + 'static {
    /// Forgets what the last connection built (a local book).
    fn reset(&mut self);
    /// The updates of one push (`{"arg":…,"data":…}`), all or none.
    fn on_push(&mut self, push: &Value) -> Result<Vec<T>>;
}

/// One stream's settings.
struct Stream {
    url: String,
    /// Log in first (the private stream).
    login: bool,
    args: Vec<Value>,
}

/// How one connection ended.
enum End {
    /// Try again after a pause; why.
    Lost(String),
    /// Nothing more: the key was refused, or the feed was dropped.
    Stop(Option<String>),
}

async fn connect(client: &RestClient, url: &str) -> std::result::Result<Ws, String> {
    let connector = match client.tls_config() {
        Some(tls) if url.starts_with("wss://") => Connector::Rustls(tls),
        None if url.starts_with("wss://") => {
            Connector::Rustls(crate::tls::client_config(None).map_err(|e| e.to_string())?)
        }
        _ => Connector::Plain,
    };
    let attempt =
        tokio_tungstenite::connect_async_tls_with_config(url, None, true, Some(connector));
    match tokio::time::timeout(
        client.connect_timeout().max(Duration::from_secs(5)),
        attempt,
    )
    .await
    {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(e)) => Err(format!("could not connect: {e}")),
        Err(_) => Err("no connection in time".into()),
    }
}

/// The next text frame, answering the venue's pings; `None` when the connection ended.
async fn next_text(ws: &mut Ws) -> Option<std::result::Result<String, String>> {
    loop {
        match ws.next().await? {
            Ok(Message::Text(t)) => return Some(Ok(t.to_string())),
            Ok(Message::Ping(p)) => {
                if ws.send(Message::Pong(p)).await.is_err() {
                    return None;
                }
            }
            Ok(Message::Close(_)) => return Some(Err("the venue closed the stream".into())),
            Ok(_) => {}
            Err(e) => return Some(Err(e.to_string())),
        }
    }
}

/// Whether an error event's code refuses the key (stop) rather than the moment (retry).
fn refuses_key(code: i64) -> bool {
    error::refusal_cause(code) == RefusalCause::Authentication
}

async fn login(client: &RestClient, ws: &mut Ws) -> std::result::Result<(), End> {
    if client.venue_now().is_none() {
        // Never measured, or invalidated by a refused timestamp: measure before signing.
        client
            .sync_clock()
            .await
            .map_err(|e| End::Lost(e.message))?;
    }
    let frame = client.ws_login_frame().map_err(|e| End::Lost(e.message))?;
    ws.send(Message::text(frame))
        .await
        .map_err(|e| End::Lost(e.to_string()))?;
    let answer = tokio::time::timeout(LOGIN_TIMEOUT, next_text(ws))
        .await
        .map_err(|_| End::Lost("no answer to the login".into()))?;
    let text = match answer {
        Some(Ok(t)) => t,
        Some(Err(e)) => return Err(End::Lost(e)),
        None => return Err(End::Lost("the stream ended during login".into())),
    };
    let v: Value = serde_json::from_str(&text)
        .map_err(|_| End::Lost("a login answer that is not JSON".into()))?;
    let code = v
        .get("code")
        .and_then(|c| {
            c.as_str()
                .and_then(|s| s.parse::<i64>().ok())
                .or(c.as_i64())
        })
        .unwrap_or(-1);
    let msg = v.get("msg").and_then(Value::as_str).unwrap_or_default();
    match (v.get("event").and_then(Value::as_str), code) {
        (Some("login"), 0) => Ok(()),
        (_, code) if error::is_timestamp_refusal(code) || code == error::WS_INVALID_TIMESTAMP => {
            // The clock is off: measure again before the next attempt.
            let _ = client.sync_clock().await;
            Err(End::Lost(error::trader_message(code, msg)))
        }
        (_, code) if refuses_key(code) => Err(End::Stop(Some(error::trader_message(code, msg)))),
        (_, code) => Err(End::Lost(format!("login refused ({code}): {msg}"))),
    }
}

/// One connection: connect, log in, subscribe, report Connected, forward pushes.
async fn session<T: Send + 'static>(
    client: &RestClient,
    stream: &Stream,
    handler: &mut dyn Handler<T>,
    tx: &mpsc::Sender<FeedEvent<T>>,
    messages: &AtomicU64,
    heartbeat: Duration,
    connected: &mut bool,
) -> End {
    let mut ws = match connect(client, &stream.url).await {
        Ok(ws) => ws,
        Err(e) => return End::Lost(e),
    };
    if stream.login
        && let Err(end) = login(client, &mut ws).await
    {
        return end;
    }
    let subscribe = json!({"op": "subscribe", "args": stream.args}).to_string();
    if let Err(e) = ws.send(Message::text(subscribe)).await {
        return End::Lost(e.to_string());
    }
    handler.reset();
    *connected = true;
    if tx
        .send(FeedEvent::Status(FeedStatus::Connected))
        .await
        .is_err()
    {
        return End::Stop(None);
    }
    let mut pinged = false;
    loop {
        let next = tokio::select! {
            () = tx.closed() => return End::Stop(None),
            n = tokio::time::timeout(heartbeat, next_text(&mut ws)) => n,
        };
        let text = match next {
            Err(_) if pinged => return End::Lost("no pong to the heartbeat".into()),
            Err(_) => {
                if ws.send(Message::text("ping")).await.is_err() {
                    return End::Lost("the heartbeat could not be sent".into());
                }
                pinged = true;
                continue;
            }
            Ok(None) => return End::Lost("the stream ended".into()),
            Ok(Some(Err(e))) => return End::Lost(e),
            Ok(Some(Ok(t))) => t,
        };
        pinged = false;
        if text == "pong" {
            continue;
        }
        messages.fetch_add(1, Ordering::Relaxed);
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            return End::Lost("a stream message that is not JSON".into());
        };
        if let Some(event) = v.get("event").and_then(Value::as_str) {
            if event == "error" {
                let code = v
                    .get("code")
                    .and_then(|c| c.as_str().and_then(|s| s.parse::<i64>().ok()))
                    .unwrap_or(-1);
                let msg = v.get("msg").and_then(Value::as_str).unwrap_or_default();
                if refuses_key(code) {
                    return End::Stop(Some(error::trader_message(code, msg)));
                }
                return End::Lost(format!("the venue refused a subscription ({code}): {msg}"));
            }
            continue;
        }
        if v.get("data").is_none() {
            continue;
        }
        match handler.on_push(&v) {
            Ok(updates) => {
                for u in updates {
                    if tx.send(FeedEvent::Update(u)).await.is_err() {
                        return End::Stop(None);
                    }
                }
            }
            Err(e) => return End::Lost(e.message),
        }
    }
}

/// Runs `stream` until the feed is dropped or the key is refused, reconnecting with back-off.
async fn run<T: Send + 'static>(
    client: Arc<RestClient>,
    stream: Stream,
    mut handler: Box<dyn Handler<T>>,
    tx: mpsc::Sender<FeedEvent<T>>,
    messages: Arc<AtomicU64>,
) {
    let heartbeat = client.ws_heartbeat();
    let mut backoff = Duration::from_secs(1);
    loop {
        let mut connected = false;
        let end = session(
            &client,
            &stream,
            handler.as_mut(),
            &tx,
            &messages,
            heartbeat,
            &mut connected,
        )
        .await;
        if connected {
            backoff = Duration::from_secs(1);
        }
        match end {
            End::Stop(None) => return,
            End::Stop(Some(why)) => {
                let _ = tx.send(FeedEvent::Status(FeedStatus::Stopped(why))).await;
                return;
            }
            End::Lost(why) => {
                if tx
                    .send(FeedEvent::Status(FeedStatus::Lost(why)))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
        tokio::select! {
            () = tx.closed() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

fn channel(push: &Value) -> &str {
    push.get("arg")
        .and_then(|a| a.get("channel"))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn rows<T: serde::de::DeserializeOwned>(push: &Value) -> Result<Vec<T>> {
    let data = push.get("data").cloned().unwrap_or(Value::Null);
    serde_json::from_value(data).map_err(|e| malformed(format_args!("a stream push: {e}")))
}

/// The private stream's orders, fills, positions and balances.
#[derive(Default)]
pub struct AccountHandler;

impl Handler<AccountUpdate> for AccountHandler {
    fn reset(&mut self) {}

    fn on_push(&mut self, push: &Value) -> Result<Vec<AccountUpdate>> {
        account_updates(push)
    }
}

/// The updates of one private push (orders, positions, account).
pub fn account_updates(push: &Value) -> Result<Vec<AccountUpdate>> {
    match channel(push) {
        "orders" => {
            let mut out = Vec::new();
            for o in rows::<models::Order>(push)? {
                out.push(AccountUpdate::Order(convert::order(&o)?));
                if let Some(f) = convert::fill(&o)? {
                    out.push(AccountUpdate::Fill(f));
                }
            }
            Ok(out)
        }
        "positions" => {
            let changes = rows::<models::Position>(push)?
                .iter()
                .map(convert::position_change)
                .collect::<Result<Vec<_>>>()?;
            Ok(if changes.is_empty() {
                Vec::new()
            } else {
                vec![AccountUpdate::Positions(changes)]
            })
        }
        "account" => {
            let changes = convert::balance_changes(&rows::<models::AccountBalance>(push)?)?;
            Ok(if changes.is_empty() {
                Vec::new()
            } else {
                vec![AccountUpdate::Balances(changes)]
            })
        }
        _ => Ok(Vec::new()),
    }
}

/// The business stream's conditional (algo) orders: `orders-algo`.
#[derive(Default)]
pub struct AlgoHandler;

impl Handler<AccountUpdate> for AlgoHandler {
    fn reset(&mut self) {}

    fn on_push(&mut self, push: &Value) -> Result<Vec<AccountUpdate>> {
        algo_updates(push)
    }
}

/// The updates of one `orders-algo` push.
pub fn algo_updates(push: &Value) -> Result<Vec<AccountUpdate>> {
    if channel(push) != "orders-algo" {
        return Ok(Vec::new());
    }
    // Once an algo order has placed its order, that order's pushes on `orders` (under the same
    // client id) carry the state and fills: an `effective` row here would only hide them.
    rows::<models::AlgoOrder>(push)?
        .iter()
        .filter(|a| !convert::algo_placed(a))
        .map(|a| convert::algo_order(a).map(AccountUpdate::Order))
        .collect()
}

/// A local book from OKX's `books` snapshot and updates (or `books5` snapshots).
#[derive(Debug, Default)]
pub struct LocalBook {
    bids: BTreeMap<Decimal, Decimal>,
    asks: BTreeMap<Decimal, Decimal>,
    seq: Option<i64>,
}

impl LocalBook {
    /// Applies one book push; `Err` on a gap in `seqId` or a malformed level (the book is
    /// then unusable: the caller reconnects).
    pub fn apply(&mut self, b: &models::Book, snapshot: bool) -> Result<()> {
        let parse = |rows: &Vec<Vec<String>>| -> Result<Vec<(Decimal, Decimal)>> {
            rows.iter()
                .map(|r| match r.as_slice() {
                    [p, q, ..] => Ok((
                        convert::dec("book price", p)?,
                        convert::dec("book size", q)?,
                    )),
                    _ => Err(malformed("a book level without price and size")),
                })
                .collect()
        };
        let bids = parse(&b.bids)?;
        let asks = parse(&b.asks)?;
        if snapshot {
            self.bids.clear();
            self.asks.clear();
        } else {
            match (self.seq, b.prev_seq_id) {
                (Some(last), Some(prev)) if prev != last => {
                    return Err(malformed(format_args!(
                        "a gap in the book (prevSeqId {prev} after seqId {last})"
                    )));
                }
                (None, _) => return Err(malformed("a book update before its snapshot")),
                _ => {}
            }
        }
        for (side, levels) in [(&mut self.bids, bids), (&mut self.asks, asks)] {
            for (price, qty) in levels {
                if qty.is_zero() {
                    side.remove(&price);
                } else {
                    side.insert(price, qty);
                }
            }
        }
        self.seq = b.seq_id.or(self.seq);
        if let Some(expected) = b.checksum {
            let actual = i64::from(self.checksum());
            if actual != expected {
                return Err(malformed(format_args!(
                    "the local book's checksum {actual} is not OKX's {expected}"
                )));
            }
        }
        Ok(())
    }

    /// OKX's book checksum ("Checksum" under the order book channel): the best 25 bids and
    /// asks interleaved as `bid1price:bid1size:ask1price:ask1size:bid2price:…` (a side with
    /// fewer levels is skipped once it runs out), CRC32 as a signed 32-bit integer. Prices
    /// and sizes are written as OKX sent them (a `Decimal` keeps the text's scale).
    pub fn checksum(&self) -> i32 {
        let bids: Vec<_> = self.bids.iter().rev().take(25).collect();
        let asks: Vec<_> = self.asks.iter().take(25).collect();
        let mut parts: Vec<String> = Vec::with_capacity(100);
        for i in 0..bids.len().max(asks.len()) {
            for side in [&bids, &asks] {
                if let Some((p, q)) = side.get(i) {
                    parts.push(p.to_string());
                    parts.push(q.to_string());
                }
            }
        }
        i32::from_ne_bytes(crc32(parts.join(":").as_bytes()).to_ne_bytes())
    }

    pub fn top(&self, symbol: &str, depth: usize, time_ms: i64) -> OrderBook {
        let level = |(p, q): (&Decimal, &Decimal)| BookLevel { price: *p, qty: *q };
        OrderBook {
            symbol: symbol.to_owned(),
            bids: self.bids.iter().rev().take(depth).map(level).collect(),
            asks: self.asks.iter().take(depth).map(level).collect(),
            update_id: self
                .seq
                .and_then(|s| u64::try_from(s).ok())
                .unwrap_or_default(),
            time_ms,
        }
    }
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zlib computes it.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// The public and business streams of one instrument.
pub struct MarketHandler {
    symbol: String,
    depth: usize,
    book: LocalBook,
}

impl MarketHandler {
    pub fn new(symbol: &str, depth: usize) -> Self {
        Self {
            symbol: symbol.to_owned(),
            depth,
            book: LocalBook::default(),
        }
    }
}

impl Handler<MarketUpdate> for MarketHandler {
    fn reset(&mut self) {
        self.book = LocalBook::default();
    }

    fn on_push(&mut self, push: &Value) -> Result<Vec<MarketUpdate>> {
        self.updates(push)
    }
}

impl MarketHandler {
    /// The updates of one public or business push.
    pub fn updates(&mut self, push: &Value) -> Result<Vec<MarketUpdate>> {
        let ch = channel(push);
        match ch {
            "mark-price" => rows::<models::MarkPx>(push)?
                .iter()
                .map(|m| {
                    Ok(MarketUpdate::Mark(MarkPrice {
                        symbol: m.inst_id.clone(),
                        mark: convert::dec("markPx", &m.mark_px)?,
                        index: None,
                        funding_rate: None,
                        next_funding_ms: None,
                        mark_iv: None,
                        time_ms: convert::ms("ts", &m.ts)?,
                    }))
                })
                .collect(),
            "books" | "books5" => {
                // books5 pushes whole snapshots (no action).
                let snapshot =
                    ch == "books5" || push.get("action").and_then(Value::as_str) != Some("update");
                let mut out = Vec::new();
                for b in rows::<models::Book>(push)? {
                    self.book.apply(&b, snapshot)?;
                    let ts = convert::ms("ts", &b.ts)?;
                    out.push(MarketUpdate::Book(self.book.top(
                        &self.symbol,
                        self.depth,
                        ts,
                    )));
                }
                Ok(out)
            }
            "trades" => rows::<models::Trade>(push)?
                .iter()
                .map(|t| convert::trade(t).map(MarketUpdate::Trade))
                .collect(),
            c if c.starts_with("candle") => {
                let interval = crate::venue::CandleInterval::ALL
                    .into_iter()
                    .find(|i| c == format!("candle{}", bar(*i)))
                    .ok_or_else(|| malformed(format_args!("candle channel {c}")))?;
                rows::<Vec<String>>(push)?
                    .iter()
                    .map(|r| {
                        convert::candle(r).map(|candle| MarketUpdate::Candle { interval, candle })
                    })
                    .collect()
            }
            _ => Ok(Vec::new()),
        }
    }
}

/// The account's private streams: on `/ws/v5/private`, login, then `orders`, `positions` and
/// `account`; on `/ws/v5/business`, login, then `orders-algo` (conditional orders).
pub fn account_feed(client: Arc<RestClient>) -> Result<Feed<AccountUpdate>> {
    let (tx, rx) = mpsc::channel(1024);
    let messages = Arc::new(AtomicU64::new(0));
    let stream = Stream {
        url: client.ws_urls().private.clone(),
        login: true,
        args: vec![
            json!({"channel": "orders", "instType": "ANY"}),
            json!({"channel": "positions", "instType": "ANY"}),
            json!({"channel": "account"}),
        ],
    };
    let algos = Stream {
        url: client.ws_urls().business.clone(),
        login: true,
        args: vec![json!({"channel": "orders-algo", "instType": "ANY"})],
    };
    let tasks = vec![
        AbortOnDrop(tokio::spawn(run(
            client.clone(),
            stream,
            Box::new(AccountHandler),
            tx.clone(),
            messages.clone(),
        ))),
        AbortOnDrop(tokio::spawn(run(
            client,
            algos,
            Box::new(AlgoHandler),
            tx,
            messages.clone(),
        ))),
    ];
    Ok(Feed::new(rx, tasks).counting(messages))
}

/// `symbol`'s market stream: mark price, and book (books5 up to 5 levels, else books), trades
/// on the public stream; candles on the business stream.
pub fn market_feed(
    client: Arc<RestClient>,
    symbol: &str,
    sub: MarketSubscription,
) -> Result<Feed<MarketUpdate>> {
    let (tx, rx) = mpsc::channel(4096);
    let messages = Arc::new(AtomicU64::new(0));
    let mut args = vec![json!({"channel": "mark-price", "instId": symbol})];
    if sub.book_depth > 0 {
        let channel = if sub.book_depth <= 5 {
            "books5"
        } else {
            "books"
        };
        args.push(json!({"channel": channel, "instId": symbol}));
    }
    if sub.trades {
        args.push(json!({"channel": "trades", "instId": symbol}));
    }
    let public = Stream {
        url: client.ws_urls().public.clone(),
        login: false,
        args,
    };
    let mut tasks = vec![AbortOnDrop(tokio::spawn(run(
        client.clone(),
        public,
        Box::new(MarketHandler::new(symbol, sub.book_depth)),
        tx.clone(),
        messages.clone(),
    )))];
    if let Some(interval) = sub.candles {
        let business = Stream {
            url: client.ws_urls().business.clone(),
            login: false,
            args: vec![json!({"channel": format!("candle{}", bar(interval)), "instId": symbol})],
        };
        tasks.push(AbortOnDrop(tokio::spawn(run(
            client,
            business,
            Box::new(MarketHandler::new(symbol, 0)),
            tx,
            messages.clone(),
        ))));
    }
    Ok(Feed::new(rx, tasks).counting(messages))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venue::OrderStatus;

    #[test]
    fn an_algo_push_reports_a_waiting_or_cancelled_order_but_not_its_trigger() {
        let push = |state: &str, ord_id: &str| -> Value {
            json!({"arg": {"channel": "orders-algo", "instType": "ANY", "uid": "1"}, "data": [{
                "instId": "BTC-USDT-SWAP", "algoId": "7", "algoClOrdId": "rmpS1", "ordId": ord_id,
                "ordType": "conditional", "side": "sell", "sz": "1", "state": state,
                "slTriggerPx": "39000", "slOrdPx": "-1", "cTime": "5", "uTime": "6"}]})
        };
        let live = algo_updates(&push("live", "")).unwrap();
        assert!(
            matches!(&live[..], [AccountUpdate::Order(o)] if o.status == OrderStatus::Open && o.client_order_id == "rmpS1"),
            "{live:?}"
        );
        let cancelled = algo_updates(&push("canceled", "")).unwrap();
        assert!(
            matches!(&cancelled[..], [AccountUpdate::Order(o)] if o.status == OrderStatus::Cancelled),
            "{cancelled:?}"
        );
        // Triggered: the order it placed reports on `orders` under the same client id.
        assert!(algo_updates(&push("effective", "9")).unwrap().is_empty());
    }

    #[test]
    fn an_orders_push_gives_the_order_and_its_fill() {
        let push: Value = serde_json::from_str(r#"{"arg":{"channel":"orders","instType":"SWAP","uid":"1"},"data":[{"instId":"BTC-USDT-SWAP","ordId":"9","clOrdId":"rmpA","px":"30000","sz":"2","ordType":"limit","side":"buy","posSide":"net","accFillSz":"1","avgPx":"30000","state":"partially_filled","reduceOnly":"false","uTime":"10","cTime":"5","tradeId":"77","fillSz":"1","fillPx":"30000","fillTime":"10","fillFee":"-0.006","fillFeeCcy":"USDT","fillPnl":"0","execType":"M"}]}"#).unwrap();
        let u = account_updates(&push).unwrap();
        assert_eq!(u.len(), 2);
        match &u[0] {
            AccountUpdate::Order(o) => assert_eq!(o.status, OrderStatus::PartiallyFilled),
            other => panic!("{other:?}"),
        }
        match &u[1] {
            AccountUpdate::Fill(f) => assert!(f.maker && f.trade_id == "77"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_malformed_push_gives_nothing() {
        let push: Value = serde_json::from_str(r#"{"arg":{"channel":"positions"},"data":[{"instId":"X","pos":"1"},{"instId":"Y","pos":"one"}]}"#).unwrap();
        assert!(account_updates(&push).is_err());
    }

    #[test]
    fn the_local_book_applies_updates_and_refuses_gaps() {
        let mut h = MarketHandler::new("BTC-USDT-SWAP", 2);
        let snap: Value = serde_json::from_str(r#"{"arg":{"channel":"books","instId":"BTC-USDT-SWAP"},"action":"snapshot","data":[{"asks":[["101","1","0","1"],["102","2","0","1"]],"bids":[["99","1","0","1"],["98","3","0","1"]],"ts":"1","checksum":-1462836110,"prevSeqId":-1,"seqId":10}]}"#).unwrap();
        let u = h.updates(&snap).unwrap();
        let MarketUpdate::Book(b) = &u[0] else {
            panic!()
        };
        assert_eq!(b.bids[0].price, Decimal::from(99));
        let upd: Value = serde_json::from_str(r#"{"arg":{"channel":"books","instId":"BTC-USDT-SWAP"},"action":"update","data":[{"asks":[["101","0","0","0"]],"bids":[["100","4","0","1"]],"ts":"2","checksum":-1496334063,"prevSeqId":10,"seqId":11}]}"#).unwrap();
        let u = h.updates(&upd).unwrap();
        let MarketUpdate::Book(b) = &u[0] else {
            panic!()
        };
        assert_eq!(b.asks[0].price, Decimal::from(102));
        assert_eq!(b.bids[0].price, Decimal::from(100));
        assert_eq!(b.update_id, 11);
        let gap = upd
            .to_string()
            .replace("\"prevSeqId\":10", "\"prevSeqId\":12");
        assert!(h.updates(&serde_json::from_str(&gap).unwrap()).is_err());
    }

    #[test]
    fn crc32_is_zlibs_and_a_wrong_book_checksum_is_refused() {
        // The CRC-32 check value (zlib.crc32(b"123456789")).
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        let mut h = MarketHandler::new("BTC-USDT-SWAP", 2);
        // Python: zlib.crc32(b"99:1:101:1:98:3:102:2") as signed is -1462836110.
        let bad: Value = serde_json::from_str(r#"{"arg":{"channel":"books","instId":"X"},"action":"snapshot","data":[{"asks":[["101","1","0","1"],["102","2","0","1"]],"bids":[["99","1","0","1"],["98","3","0","1"]],"ts":"1","checksum":-1462836111,"prevSeqId":-1,"seqId":10}]}"#).unwrap();
        let e = h.updates(&bad).unwrap_err();
        assert!(
            e.message.contains("checksum") || e.message.contains("shape"),
            "{e:?}"
        );
    }

    #[test]
    fn mark_trades_and_candles_pushes() {
        let mut h = MarketHandler::new("BTC-USDT-SWAP", 0);
        let mark: Value = serde_json::from_str(r#"{"arg":{"channel":"mark-price","instId":"BTC-USDT-SWAP"},"data":[{"instType":"SWAP","instId":"BTC-USDT-SWAP","markPx":"42310.6","ts":"1630049139746"}]}"#).unwrap();
        assert!(
            matches!(&h.updates(&mark).unwrap()[0], MarketUpdate::Mark(m) if m.mark == "42310.6".parse::<Decimal>().unwrap())
        );
        let trades: Value = serde_json::from_str(r#"{"arg":{"channel":"trades","instId":"BTC-USDT-SWAP"},"data":[{"instId":"BTC-USDT-SWAP","tradeId":"130639474","px":"42219.9","sz":"0.12060306","side":"buy","ts":"1630048897897","count":"3"}]}"#).unwrap();
        assert_eq!(h.updates(&trades).unwrap().len(), 1);
        let candle: Value = serde_json::from_str(r#"{"arg":{"channel":"candle1Dutc","instId":"BTC-USDT-SWAP"},"data":[["1597026383085","8533.02","8553.74","8527.17","8548.26","45247","529.5858061","529.58","0"]]}"#).unwrap();
        match &h.updates(&candle).unwrap()[0] {
            MarketUpdate::Candle { interval, candle } => {
                assert_eq!(*interval, crate::venue::CandleInterval::D1);
                assert!(!candle.closed);
            }
            other => panic!("{other:?}"),
        }
    }
}
