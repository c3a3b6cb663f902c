//! Deribit's subscriptions, each feed on its own WebSocket ([`super::socket`]), from
//! docs.deribit.com "Subscriptions" and /articles/notifications:
//! - a notification is `{"jsonrpc":"2.0","method":"subscription","params":{"channel":…,
//!   "data":…}}`;
//! - the account feed subscribes (`private/subscribe`) to `user.orders.any.any.raw`,
//!   `user.trades.any.any.raw`, `user.changes.any.any.raw` (positions) and
//!   `user.portfolio.{btc,eth}` (balances);
//! - the market feed subscribes (`public/subscribe`) to `ticker.{instrument}.100ms` (mark price,
//!   index, funding, an option's mark IV), `book.{instrument}.100ms`, `trades.{instrument}.100ms`
//!   and `chart.trades.{instrument}.{resolution}`;
//! - book: "The first notification contains a full snapshot … Every message except the first
//!   also contains prev_change_id. If prev_change_id equals the change_id of the previous
//!   message, it indicates that no messages were missed." On a gap the book is dropped and the
//!   channel subscribed again, which starts with a new snapshot.
//!
//! Each (re)connection authenticates, asks for Deribit's heartbeat (answered by the socket),
//! subscribes and reports [`FeedStatus::Connected`], so the engine reads its state again; a
//! lost connection is reported as [`FeedStatus::Lost`] and made again after a growing pause
//! (1 s doubling to 30 s). A refused key stops the feed ([`FeedStatus::Stopped`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::convert::{self, ContractSizes};
use super::error::malformed;
use super::json::{Num, from_value};
use super::models;
use super::rpc::{RpcClient, SocketOutcome};
use crate::venue::{
    AbortOnDrop, AccountUpdate, BookLevel, CandleInterval, Error, Feed, FeedEvent, FeedStatus,
    MarketSubscription, MarketUpdate, OrderBook, RefusalCause,
};

type Result<T> = std::result::Result<T, Error>;

const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What one notification did to a handler's state.
pub enum Handled<T> {
    Updates(Vec<T>),
    /// A gap in a book: subscribe to this channel again.
    Resubscribe(String),
}

/// Turns one connection's notifications into updates.
pub trait Handler<T>: Send + 'static {
    /// Forgets what the last connection built (a local book).
    fn reset(&mut self);
    /// The updates of one notification's `channel` and `data`, all or none.
    fn on_notification(&mut self, channel: &str, data: &Value) -> Result<Handled<T>>;
}

struct Stream {
    /// `public/subscribe` or `private/subscribe`.
    method: &'static str,
    channels: Vec<String>,
}

enum End {
    Lost(String),
    Stop(Option<String>),
}

fn refused_key(e: &Error) -> bool {
    e.refusal_cause() == RefusalCause::Authentication
}

async fn subscribe(
    client: &RpcClient,
    sock: &super::socket::Socket,
    tokens: &super::auth::TokenHolder,
    method: &str,
    channels: &[String],
) -> std::result::Result<(), End> {
    match client
        .socket_call(sock, tokens, method, json!({"channels": channels}))
        .await
    {
        Ok(_) => Ok(()),
        Err(SocketOutcome::Refused(e)) if refused_key(&e) => Err(End::Stop(Some(e.message))),
        Err(SocketOutcome::Refused(e)) => Err(End::Lost(e.message)),
        Err(SocketOutcome::Failed(f)) => Err(End::Lost(format!("{f:?}"))),
    }
}

async fn session<T: Send + 'static>(
    client: &RpcClient,
    stream: &Stream,
    handler: &mut dyn Handler<T>,
    tx: &mpsc::Sender<FeedEvent<T>>,
    messages: &AtomicU64,
    connected: &mut bool,
) -> End {
    let (ntx, mut nrx) = mpsc::channel::<Value>(1024);
    let (sock, tokens) = match client.open_socket(Some(ntx)).await {
        Ok(s) => s,
        Err(e) if refused_key(&e) => return End::Stop(Some(e.message)),
        Err(e) => return End::Lost(e.message),
    };
    if let Err(end) = subscribe(client, &sock, &tokens, stream.method, &stream.channels).await {
        return end;
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
    // Deribit's heartbeat arrives every interval: a check finding nothing read for two of
    // them means the line is dead. Each check also renews the connection's token when due.
    let mut seen = sock.messages.load(Ordering::Relaxed);
    let mut check = tokio::time::interval(client.heartbeat() * 2);
    check.tick().await;
    loop {
        let next = tokio::select! {
            () = tx.closed() => return End::Stop(None),
            _ = check.tick() => {
                let now = sock.messages.load(Ordering::Relaxed);
                if now == seen {
                    return End::Lost("nothing from Deribit, not even its heartbeat".into());
                }
                seen = now;
                match client.keep_token(&sock, &tokens).await {
                    Ok(()) => continue,
                    Err(e) if refused_key(&e) => return End::Stop(Some(e.message)),
                    Err(e) => return End::Lost(e.message),
                }
            }
            n = nrx.recv() => n,
        };
        let Some(v) = next else {
            return End::Lost("the connection ended".into());
        };
        messages.fetch_add(1, Ordering::Relaxed);
        let channel = v
            .pointer("/params/channel")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let data = v.pointer("/params/data").cloned().unwrap_or(Value::Null);
        match handler.on_notification(&channel, &data) {
            Ok(Handled::Updates(updates)) => {
                for u in updates {
                    if tx.send(FeedEvent::Update(u)).await.is_err() {
                        return End::Stop(None);
                    }
                }
            }
            Ok(Handled::Resubscribe(ch)) => {
                let unsubscribe = stream.method.replace("subscribe", "unsubscribe");
                let chans = [ch];
                let _ = client
                    .socket_call(&sock, &tokens, &unsubscribe, json!({"channels": chans}))
                    .await;
                if let Err(end) = subscribe(client, &sock, &tokens, stream.method, &chans).await {
                    return end;
                }
            }
            Err(e) => return End::Lost(e.message),
        }
    }
}

async fn run<T: Send + 'static>(
    client: Arc<RpcClient>,
    stream: Stream,
    mut handler: Box<dyn Handler<T>>,
    tx: mpsc::Sender<FeedEvent<T>>,
    messages: Arc<AtomicU64>,
) {
    let mut backoff = Duration::from_secs(1);
    loop {
        let mut connected = false;
        let end = session(
            &client,
            &stream,
            handler.as_mut(),
            &tx,
            &messages,
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

/// `data` as one row or several.
fn rows<T: serde::de::DeserializeOwned>(data: &Value) -> Result<Vec<T>> {
    match data {
        Value::Array(items) => items.iter().map(|i| from_value(i.clone())).collect(),
        other => Ok(vec![from_value(other.clone())?]),
    }
}

/// The account's orders, fills, positions and balances.
pub struct AccountHandler {
    sizes: ContractSizes,
}

impl AccountHandler {
    pub fn new(sizes: ContractSizes) -> Self {
        Self { sizes }
    }

    /// The updates of one private notification.
    pub fn updates(&self, channel: &str, data: &Value) -> Result<Vec<AccountUpdate>> {
        if channel.starts_with("user.orders.") {
            rows::<models::Order>(data)?
                .iter()
                .map(|o| convert::order(o, &self.sizes).map(AccountUpdate::Order))
                .collect()
        } else if channel.starts_with("user.trades.") {
            rows::<models::UserTrade>(data)?
                .iter()
                .map(|t| convert::fill(t, &self.sizes).map(AccountUpdate::Fill))
                .collect()
        } else if channel.starts_with("user.changes.") {
            let positions: Vec<models::Position> = match data.get("positions") {
                Some(p) => rows(p)?,
                None => Vec::new(),
            };
            let changes = positions
                .iter()
                .map(|p| convert::position_change(p, &self.sizes))
                .collect::<Result<Vec<_>>>()?;
            Ok(if changes.is_empty() {
                Vec::new()
            } else {
                vec![AccountUpdate::Positions(changes)]
            })
        } else if channel.starts_with("user.portfolio.") {
            let s: models::AccountSummary = from_value(data.clone())?;
            Ok(vec![AccountUpdate::Balances(vec![
                convert::balance_change(&s)?,
            ])])
        } else {
            Ok(Vec::new())
        }
    }
}

impl Handler<AccountUpdate> for AccountHandler {
    fn reset(&mut self) {}

    fn on_notification(&mut self, channel: &str, data: &Value) -> Result<Handled<AccountUpdate>> {
        self.updates(channel, data).map(Handled::Updates)
    }
}

/// A local book from `book.{instrument}.{interval}` notifications (amounts in contracts).
#[derive(Debug, Default)]
pub struct LocalBook {
    bids: BTreeMap<Decimal, Decimal>,
    asks: BTreeMap<Decimal, Decimal>,
    change_id: Option<i64>,
}

/// How a book notification went.
#[derive(Debug, PartialEq, Eq)]
pub enum BookStep {
    Applied,
    /// `prev_change_id` is not the last `change_id` (or a change came before any snapshot).
    Gap,
}

impl LocalBook {
    /// Applies one notification; on a gap nothing is applied and the book is cleared.
    pub fn apply(&mut self, b: &models::BookChange, sizes: &ContractSizes) -> Result<BookStep> {
        let snapshot = b.kind.as_deref() == Some("snapshot") || b.prev_change_id.is_none();
        if !snapshot {
            let prev = b
                .prev_change_id
                .as_ref()
                .map(|p| p.int("prev_change_id"))
                .transpose()?;
            if self.change_id.is_none() || prev != self.change_id {
                *self = LocalBook::default();
                return Ok(BookStep::Gap);
            }
        }
        let parse = |rows: &[(String, Num, Num)]| -> Result<Vec<(String, Decimal, Decimal)>> {
            rows.iter()
                .map(|(action, p, a)| {
                    Ok((
                        action.clone(),
                        p.dec("book price")?,
                        sizes.contracts(&b.instrument_name, a.dec("book amount")?)?,
                    ))
                })
                .collect()
        };
        let bids = parse(&b.bids)?;
        let asks = parse(&b.asks)?;
        if snapshot {
            self.bids.clear();
            self.asks.clear();
        }
        for (side, levels) in [(&mut self.bids, bids), (&mut self.asks, asks)] {
            for (action, price, qty) in levels {
                match action.as_str() {
                    "delete" => {
                        side.remove(&price);
                    }
                    "new" | "change" => {
                        side.insert(price, qty);
                    }
                    other => return Err(malformed(format_args!("book action {other:?}"))),
                }
            }
        }
        self.change_id = Some(b.change_id.int("change_id")?);
        Ok(BookStep::Applied)
    }

    pub fn top(&self, symbol: &str, depth: usize, time_ms: i64) -> OrderBook {
        let level = |(p, q): (&Decimal, &Decimal)| BookLevel { price: *p, qty: *q };
        OrderBook {
            symbol: symbol.to_owned(),
            bids: self.bids.iter().rev().take(depth).map(level).collect(),
            asks: self.asks.iter().take(depth).map(level).collect(),
            update_id: self
                .change_id
                .and_then(|c| u64::try_from(c).ok())
                .unwrap_or_default(),
            time_ms,
        }
    }
}

/// Deribit's chart resolution for a streamed candle interval (4 hours has none).
pub fn chart_resolution(interval: CandleInterval) -> Option<&'static str> {
    match interval {
        CandleInterval::M1 => Some("1"),
        CandleInterval::M5 => Some("5"),
        CandleInterval::M15 => Some("15"),
        CandleInterval::H1 => Some("60"),
        CandleInterval::H4 => None,
        CandleInterval::D1 => Some("1D"),
    }
}

/// One instrument's market notifications.
pub struct MarketHandler {
    symbol: String,
    depth: usize,
    book: LocalBook,
    sizes: ContractSizes,
    candles: Option<CandleInterval>,
    /// The last bar reported, still open.
    last_bar: Option<rampart_core::feed::Candle>,
}

impl MarketHandler {
    pub fn new(symbol: &str, depth: usize, sizes: ContractSizes) -> Self {
        Self {
            symbol: symbol.to_owned(),
            depth,
            book: LocalBook::default(),
            sizes,
            candles: None,
            last_bar: None,
        }
    }

    /// The updates of one public notification.
    pub fn updates(&mut self, channel: &str, data: &Value) -> Result<Handled<MarketUpdate>> {
        if channel.starts_with("ticker.") {
            let t: models::Ticker = from_value(data.clone())?;
            return Ok(Handled::Updates(vec![MarketUpdate::Mark(convert::mark(
                &t,
            )?)]));
        }
        if channel.starts_with("book.") {
            let b: models::BookChange = from_value(data.clone())?;
            return Ok(match self.book.apply(&b, &self.sizes)? {
                BookStep::Gap => Handled::Resubscribe(channel.to_owned()),
                BookStep::Applied => Handled::Updates(vec![MarketUpdate::Book(self.book.top(
                    &self.symbol,
                    self.depth,
                    b.timestamp.int("timestamp")?,
                ))]),
            });
        }
        if channel.starts_with("trades.") {
            return rows::<models::PublicTrade>(data)?
                .iter()
                .map(|t| {
                    let mut trade = convert::public_trade(t)?;
                    if t.contracts.is_none() {
                        trade.qty = self.sizes.contracts(&t.instrument_name, trade.qty)?;
                    }
                    Ok(MarketUpdate::Trade(trade))
                })
                .collect::<Result<Vec<_>>>()
                .map(Handled::Updates);
        }
        if channel.starts_with("chart.trades.")
            && let Some(interval) = self.candles
        {
            let c: ChartBar = from_value(data.clone())?;
            let candle = rampart_core::feed::Candle {
                open_time_ms: c.tick.int("tick")?,
                open: c.open.dec("open")?,
                high: c.high.dec("high")?,
                low: c.low.dec("low")?,
                close: c.close.dec("close")?,
                volume: c.volume.dec("volume")?,
                closed: false,
            };
            // A bar of a later tick closes the one before it, which is reported once more,
            // closed.
            let mut out = Vec::new();
            if let Some(last) = self.last_bar.take()
                && last.open_time_ms < candle.open_time_ms
            {
                out.push(MarketUpdate::Candle {
                    interval,
                    candle: rampart_core::feed::Candle {
                        closed: true,
                        ..last
                    },
                });
            }
            self.last_bar = Some(candle);
            out.push(MarketUpdate::Candle { interval, candle });
            return Ok(Handled::Updates(out));
        }
        Ok(Handled::Updates(Vec::new()))
    }
}

/// One bar of `chart.trades.{instrument}.{resolution}`.
#[derive(serde::Deserialize)]
struct ChartBar {
    tick: Num,
    open: Num,
    high: Num,
    low: Num,
    close: Num,
    volume: Num,
}

impl Handler<MarketUpdate> for MarketHandler {
    fn reset(&mut self) {
        self.book = LocalBook::default();
        self.last_bar = None;
    }

    fn on_notification(&mut self, channel: &str, data: &Value) -> Result<Handled<MarketUpdate>> {
        self.updates(channel, data)
    }
}

/// The account's private feed (see the module doc).
pub fn account_feed(client: Arc<RpcClient>, sizes: ContractSizes) -> Result<Feed<AccountUpdate>> {
    let (tx, rx) = mpsc::channel(1024);
    let messages = Arc::new(AtomicU64::new(0));
    let stream = Stream {
        method: "private/subscribe",
        channels: vec![
            "user.orders.any.any.raw".into(),
            "user.trades.any.any.raw".into(),
            "user.changes.any.any.raw".into(),
            "user.portfolio.btc".into(),
            "user.portfolio.eth".into(),
        ],
    };
    let task = AbortOnDrop(tokio::spawn(run(
        client,
        stream,
        Box::new(AccountHandler::new(sizes)),
        tx,
        messages.clone(),
    )));
    Ok(Feed::new(rx, task).counting(messages))
}

/// `symbol`'s market feed (see the module doc).
pub fn market_feed(
    client: Arc<RpcClient>,
    symbol: &str,
    sub: MarketSubscription,
    sizes: ContractSizes,
) -> Result<Feed<MarketUpdate>> {
    let (tx, rx) = mpsc::channel(4096);
    let messages = Arc::new(AtomicU64::new(0));
    let mut channels = vec![format!("ticker.{symbol}.100ms")];
    if sub.book_depth > 0 {
        channels.push(format!("book.{symbol}.100ms"));
    }
    if sub.trades {
        channels.push(format!("trades.{symbol}.100ms"));
    }
    let mut handler = MarketHandler::new(symbol, sub.book_depth, sizes);
    if let Some(interval) = sub.candles
        && let Some(res) = chart_resolution(interval)
    {
        channels.push(format!("chart.trades.{symbol}.{res}"));
        handler.candles = Some(interval);
    }
    let stream = Stream {
        method: "public/subscribe",
        channels,
    };
    let task = AbortOnDrop(tokio::spawn(run(
        client,
        stream,
        Box::new(handler),
        tx,
        messages.clone(),
    )));
    Ok(Feed::new(rx, task).counting(messages))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deribit::json::parse;
    use crate::venue::OrderStatus;

    fn book(text: &str) -> models::BookChange {
        parse(text).unwrap()
    }

    #[test]
    fn the_local_book_follows_change_ids_and_asks_again_on_a_gap() {
        let sizes = ContractSizes::default();
        let mut h = MarketHandler::new("BTC-PERPETUAL", 2, sizes.clone());
        let snap: Value = serde_json::from_str(&crate::deribit::json::numbers_as_text(r#"{"type":"snapshot","timestamp":1554373962454,"instrument_name":"BTC-PERPETUAL","change_id":297217,"bids":[["new",5042.34,30],["new",5041.94,20]],"asks":[["new",5042.64,40],["new",5043.3,40]]}"#)).unwrap();
        let Handled::Updates(u) = h.updates("book.BTC-PERPETUAL.100ms", &snap).unwrap() else {
            panic!("snapshot applies")
        };
        let MarketUpdate::Book(b) = &u[0] else {
            panic!()
        };
        assert_eq!(b.bids[0].qty, Decimal::from(3), "30 USD is 3 contracts");
        assert_eq!(b.update_id, 297_217);
        let change: Value = serde_json::from_str(&crate::deribit::json::numbers_as_text(r#"{"type":"change","timestamp":1554373911330,"prev_change_id":297217,"instrument_name":"BTC-PERPETUAL","change_id":297218,"bids":[["delete",5042.34,0]],"asks":[["change",5042.64,10]]}"#)).unwrap();
        let Handled::Updates(u) = h.updates("book.BTC-PERPETUAL.100ms", &change).unwrap() else {
            panic!("in sequence")
        };
        let MarketUpdate::Book(b) = &u[0] else {
            panic!()
        };
        assert_eq!(b.bids[0].price, Decimal::new(504194, 2));
        assert_eq!(b.asks[0].qty, Decimal::ONE);
        // The same change again: its prev_change_id is no longer the last change_id.
        match h.updates("book.BTC-PERPETUAL.100ms", &change).unwrap() {
            Handled::Resubscribe(ch) => assert_eq!(ch, "book.BTC-PERPETUAL.100ms"),
            Handled::Updates(_) => panic!("a gap must not be applied"),
        }
        // Until the new snapshot, changes are gaps too.
        let mut lb = LocalBook::default();
        let c = book(
            r#"{"type":"change","timestamp":1,"prev_change_id":5,"instrument_name":"BTC-PERPETUAL","change_id":6,"bids":[],"asks":[]}"#,
        );
        assert_eq!(lb.apply(&c, &sizes).unwrap(), BookStep::Gap);
    }

    #[test]
    fn private_notifications_become_orders_fills_positions_and_balances() {
        let h = AccountHandler::new(ContractSizes::default());
        let data = |t: &str| -> Value {
            serde_json::from_str(&crate::deribit::json::numbers_as_text(t)).unwrap()
        };
        let order = data(
            r#"{"time_in_force":"good_til_cancelled","replaced":false,"reduce_only":false,"price":10502.52,"post_only":false,"order_type":"limit","order_state":"open","order_id":"7","max_show":30,"last_update_timestamp":1,"label":"rmpX","is_liquidation":false,"instrument_name":"BTC-PERPETUAL","filled_amount":10,"direction":"buy","creation_timestamp":1,"average_price":10502.5,"api":true,"amount":30}"#,
        );
        let u = h.updates("user.orders.any.any.raw", &order).unwrap();
        assert!(
            matches!(&u[..], [AccountUpdate::Order(o)] if o.status == OrderStatus::PartiallyFilled && o.client_order_id == "rmpX" && o.qty == Decimal::from(3))
        );
        let trades = data(
            r#"[{"trade_seq":1,"trade_id":"48079","timestamp":1590484156350,"tick_direction":0,"state":"filled","reduce_only":false,"price":8954,"post_only":false,"order_type":"limit","order_id":"7","matching_id":null,"mark_price":8952.86,"liquidity":"M","label":"rmpX","instrument_name":"BTC-PERPETUAL","index_price":8956.73,"fee_currency":"BTC","fee":-0.00000028,"direction":"buy","amount":10}]"#,
        );
        let u = h.updates("user.trades.any.any.raw", &trades).unwrap();
        assert!(matches!(&u[..], [AccountUpdate::Fill(f)] if f.maker && f.qty == Decimal::ONE));
        let changes = data(
            r#"{"trades":[],"positions":[{"size":-100,"kind":"future","instrument_name":"BTC-PERPETUAL","direction":"sell","average_price":9000,"floating_profit_loss":0.0001}],"orders":[],"instrument_name":"BTC-PERPETUAL"}"#,
        );
        let u = h.updates("user.changes.any.any.raw", &changes).unwrap();
        assert!(matches!(&u[..], [AccountUpdate::Positions(p)] if p[0].qty == Decimal::from(-10)));
        let portfolio = data(
            r#"{"total_pl":0.0,"session_upl":0.0,"session_rpl":0,"margin_balance":1.5,"maintenance_margin":0.1,"initial_margin":0.2,"equity":1.5,"currency":"BTC","balance":1.50000001,"available_funds":1.3}"#,
        );
        let u = h.updates("user.portfolio.btc", &portfolio).unwrap();
        assert!(
            matches!(&u[..], [AccountUpdate::Balances(b)] if b[0].wallet == Decimal::new(150_000_001, 8))
        );
        // A malformed row gives nothing at all.
        let bad = data(
            r#"[{"trade_id":"1","order_id":"7","instrument_name":"BTC-PERPETUAL","direction":"up","amount":10,"price":1,"timestamp":1}]"#,
        );
        assert!(h.updates("user.trades.any.any.raw", &bad).is_err());
    }

    #[test]
    fn a_bar_of_the_next_minute_closes_the_one_before() {
        let mut h = MarketHandler::new("BTC-PERPETUAL", 0, ContractSizes::default());
        h.candles = Some(CandleInterval::M1);
        let bar = |tick: i64, close: &str| -> Value {
            serde_json::from_str(&crate::deribit::json::numbers_as_text(&format!(
                r#"{{"volume":0.05,"tick":{tick},"open":8869.79,"low":8788.25,"high":8870.31,"cost":460,"close":{close}}}"#
            )))
            .unwrap()
        };
        let ch = "chart.trades.BTC-PERPETUAL.1";
        let updates = |h: &mut MarketHandler, v: &Value| match h.updates(ch, v).unwrap() {
            Handled::Updates(u) => u,
            Handled::Resubscribe(_) => panic!(),
        };
        let u = updates(&mut h, &bar(60_000, "8800"));
        assert!(matches!(&u[..], [MarketUpdate::Candle { candle, .. }] if !candle.closed));
        let u = updates(&mut h, &bar(60_000, "8801"));
        assert_eq!(u.len(), 1);
        let u = updates(&mut h, &bar(120_000, "8802"));
        match &u[..] {
            [
                MarketUpdate::Candle { candle: a, .. },
                MarketUpdate::Candle { candle: b, .. },
            ] => {
                assert!(a.closed && a.open_time_ms == 60_000);
                assert_eq!(a.close, Decimal::from(8801));
                assert!(!b.closed && b.open_time_ms == 120_000);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_ticker_notification_is_the_mark_with_its_iv() {
        let mut h = MarketHandler::new("BTC-25DEC26-100000-C", 0, ContractSizes::default());
        let t: Value = serde_json::from_str(&crate::deribit::json::numbers_as_text(r#"{"timestamp":1,"instrument_name":"BTC-25DEC26-100000-C","mark_price":0.0412,"mark_iv":52.71,"index_price":90000,"greeks":{"delta":0.3,"gamma":0.00002,"vega":50,"theta":-60}}"#)).unwrap();
        let Handled::Updates(u) = h.updates("ticker.BTC-25DEC26-100000-C.100ms", &t).unwrap()
        else {
            panic!()
        };
        assert!(
            matches!(&u[..], [MarketUpdate::Mark(m)] if m.mark_iv == Some(Decimal::new(5271, 2)))
        );
    }
}
