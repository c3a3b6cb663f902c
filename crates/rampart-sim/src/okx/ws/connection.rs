//! One WebSocket connection: its requests (login, subscribe, unsubscribe, `ping`), and the
//! exchange's events turned into pushes on the channels it subscribed.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::super::auth::{self, LoginError};
use super::super::views;
use super::super::{Inner, Shared, lock, uid};
use super::Endpoint;
use super::books::{self, Sent};
use crate::core::{Event, Execution};

/// A send that takes longer than this ends the connection (a client that stopped reading).
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

static CONN_IDS: AtomicU64 = AtomicU64::new(0);

/// One subscribed channel.
struct Sub {
    /// The argument as the client sent it.
    arg: Value,
    /// The argument pushes carry (private channels add the account's `uid`).
    push_arg: Value,
    channel: String,
    inst_id: Option<String>,
    inst_type: Option<String>,
    /// `books`: what this subscriber holds.
    book: Option<Sent>,
}

struct Conn {
    endpoint: Endpoint,
    conn_id: String,
    /// The logged-in account (its API key) and its index.
    account: Option<(String, usize)>,
    subs: Vec<Sub>,
    /// The latest fill of each order (for `fillPx`, `fillSz`, `tradeId` of the next push).
    fills: HashMap<String, Execution>,
    /// The algo orders whose trigger `orders-algo` has reported (once each).
    algo_effective: HashSet<String>,
}

fn error(code: &str, msg: String, conn_id: &str) -> Value {
    json!({ "event": "error", "code": code, "msg": msg, "connId": conn_id })
}

fn text(map: &Map<String, Value>, name: &str) -> Option<String> {
    map.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

pub(super) async fn run(inner: Shared, mut socket: WebSocket, endpoint: Endpoint) {
    let mut events = inner.exchange.lock().subscribe();
    inner.stream_subscriptions.fetch_add(1, Ordering::Relaxed);
    let mut generation = inner.ws_generation.subscribe();
    let mut conn = Conn {
        endpoint,
        conn_id: format!(
            "{:08x}",
            CONN_IDS.fetch_add(1, Ordering::Relaxed) + 0x5a17_0000
        ),
        account: None,
        subs: Vec::new(),
        fills: HashMap::new(),
        algo_effective: HashSet::new(),
    };
    loop {
        let out: Vec<String> = tokio::select! {
            _ = generation.changed() => return,
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(Message::Text(t))) => conn.request(&inner, t.as_str()),
                Some(Ok(_)) => Vec::new(),
            },
            event = events.recv() => match event {
                Ok(e) => conn.on_event(&inner, e),
                Err(RecvError::Lagged(_)) => Vec::new(),
                Err(RecvError::Closed) => return,
            },
        };
        for text in out {
            match tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::text(text))).await {
                Ok(Ok(())) => {}
                _ => return,
            }
        }
    }
}

impl Conn {
    /// Answers one text frame.
    fn request(&mut self, inner: &Inner, text: &str) -> Vec<String> {
        if text == "ping" {
            return vec!["pong".into()];
        }
        let Ok(Value::Object(req)) = serde_json::from_str::<Value>(text) else {
            return vec![
                error("60012", format!("Illegal request: {text}"), &self.conn_id).to_string(),
            ];
        };
        let args: Vec<Map<String, Value>> = req
            .get("args")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_object().cloned()).collect())
            .unwrap_or_default();
        let id = req.get("id").cloned();
        let mut out: Vec<Value> = match req.get("op").and_then(Value::as_str) {
            Some("login") => vec![self.login(inner, &args)],
            Some("subscribe") => args.iter().flat_map(|a| self.subscribe(inner, a)).collect(),
            Some("unsubscribe") => args.iter().map(|a| self.unsubscribe(a)).collect(),
            _ => vec![error(
                "60012",
                format!("Illegal request: {text}"),
                &self.conn_id,
            )],
        };
        if let Some(id) = id {
            for v in &mut out {
                if v.get("event").is_some()
                    && let Some(m) = v.as_object_mut()
                {
                    m.insert("id".into(), id.clone());
                }
            }
        }
        out.into_iter().map(|v| v.to_string()).collect()
    }

    fn login(&mut self, inner: &Inner, args: &[Map<String, Value>]) -> Value {
        let Some(a) = args.first() else {
            return error("60009", "Login failed.".into(), &self.conn_id);
        };
        let field = |n: &str| text(a, n).unwrap_or_default();
        let result = auth::verify_login(
            &inner.config.accounts,
            &field("apiKey"),
            &field("passphrase"),
            &field("timestamp"),
            &field("sign"),
            inner.now_ms(),
        );
        match result {
            Ok(index) => {
                // `verify_login` found `index` in this same list.
                self.account = Some((inner.config.accounts[index].api_key.clone(), index));
                json!({ "event": "login", "code": "0", "msg": "", "connId": self.conn_id })
            }
            Err(LoginError::WrongPassphrase) => {
                error("60024", "Wrong passphrase".into(), &self.conn_id)
            }
            Err(LoginError::Expired) => {
                error("60006", "Timestamp request expired".into(), &self.conn_id)
            }
            Err(LoginError::Failed) => error("60009", "Login failed.".into(), &self.conn_id),
        }
    }

    fn unknown_channel(&self, channel: &str, inst_id: &str) -> Value {
        error(
            "60018",
            format!(
                "Wrong URL or channel:{channel},instId:{inst_id} doesn't exist. Please use the correct URL, channel and parameters referring to API document."
            ),
            &self.conn_id,
        )
    }

    /// Subscribes one argument: its answer, then any first push.
    fn subscribe(&mut self, inner: &Inner, a: &Map<String, Value>) -> Vec<Value> {
        let channel = text(a, "channel").unwrap_or_default();
        let inst_id = text(a, "instId");
        let inst_type = text(a, "instType");
        let shown_id = inst_id.clone().unwrap_or_default();
        let market = matches!(
            channel.as_str(),
            "tickers" | "books" | "books5" | "bbo-tbt" | "trades" | "mark-price"
        );
        let candle = channel
            .strip_prefix("candle")
            .is_some_and(|bar| views::bar_minutes(bar).is_some());
        // `orders-algo` (algo orders) is private and lives on the business endpoint.
        let algo = channel == "orders-algo";
        let private = algo
            || matches!(
                channel.as_str(),
                "orders" | "positions" | "account" | "balance_and_position"
            );
        let right_endpoint = match self.endpoint {
            Endpoint::Public => market,
            Endpoint::Business => candle || algo,
            Endpoint::Private => private && !algo,
        };
        if !right_endpoint {
            return vec![self.unknown_channel(&channel, &shown_id)];
        }
        if market || candle {
            match inst_id.as_deref().and_then(|id| inner.listing(id)) {
                Some(_) => {}
                None => return vec![self.unknown_channel(&channel, &shown_id)],
            }
        }
        if private {
            if self.account.is_none() {
                return vec![error("60011", "Please log in".into(), &self.conn_id)];
            }
            if matches!(channel.as_str(), "orders" | "positions" | "orders-algo")
                && !inst_type
                    .as_deref()
                    .is_some_and(|t| matches!(t, "ANY" | "SWAP" | "FUTURES"))
            {
                return vec![error(
                    "60018",
                    format!(
                        "Wrong URL or channel:{channel},instType:{} doesn't exist. Please use the correct URL, channel and parameters referring to API document.",
                        inst_type.clone().unwrap_or_default()
                    ),
                    &self.conn_id,
                )];
            }
        }
        let arg = Value::Object(a.clone());
        self.subs.retain(|s| s.arg != arg);
        let mut out = vec![json!({ "event": "subscribe", "arg": arg, "connId": self.conn_id })];
        let mut push_arg = arg.clone();
        if private && let (Some(m), Some((_, index))) = (push_arg.as_object_mut(), &self.account) {
            m.insert("uid".into(), json!(uid(*index)));
        }
        let mut sub = Sub {
            push_arg,
            arg,
            channel,
            inst_id,
            inst_type,
            book: None,
        };
        out.extend(self.first_push(inner, &mut sub));
        self.subs.push(sub);
        out
    }

    fn unsubscribe(&mut self, a: &Map<String, Value>) -> Value {
        let arg = Value::Object(a.clone());
        self.subs.retain(|s| s.arg != arg);
        json!({ "event": "unsubscribe", "arg": arg, "connId": self.conn_id })
    }

    /// What a channel pushes as soon as it is subscribed: the book's snapshot, the ticker,
    /// the mark price, the account and its positions.
    fn first_push(&self, inner: &Inner, sub: &mut Sub) -> Vec<Value> {
        let now = inner.now_ms();
        let id = sub.inst_id.clone().unwrap_or_default();
        let listing = inner.listing(&id);
        let mut ex = inner.exchange.lock();
        match sub.channel.as_str() {
            "books" => ex
                // The depth the exchange's book events carry, so that updates stay in step.
                .book(&id, crate::core::PUBLISHED_BOOK_DEPTH, now)
                .and_then(|b| books::push(&b, &mut sub.book))
                .map(|p| with_arg(&sub.push_arg, p))
                .into_iter()
                .collect(),
            "books5" | "bbo-tbt" => ex
                .book(&id, 5, now)
                .map(|b| push(&sub.push_arg, vec![book5(&b, &sub.channel)]))
                .into_iter()
                .collect(),
            "tickers" => listing
                .and_then(|l| Some(views::ticker_json(&ex.ticker(&id, now)?, l)))
                .map(|t| push(&sub.push_arg, vec![t]))
                .into_iter()
                .collect(),
            "mark-price" => listing
                .and_then(|l| Some(mark_json(l.inst_type.wire(), &id, ex.mark(&id)?, now)))
                .map(|m| push(&sub.push_arg, vec![m]))
                .into_iter()
                .collect(),
            "account" => {
                let Some((account, _)) = &self.account else {
                    return Vec::new();
                };
                let wallets = ex.wallets(account);
                vec![push(
                    &sub.push_arg,
                    vec![views::balance_json(&ex, &wallets, now)],
                )]
            }
            "positions" => {
                let Some((account, index)) = &self.account else {
                    return Vec::new();
                };
                let data: Vec<Value> = inner
                    .listings
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| type_matches(sub.inst_type.as_deref(), l.inst_type.wire()))
                    .filter_map(|(i, l)| {
                        let p = ex.position(account, &l.inst.symbol)?;
                        (!p.size.is_zero())
                            .then(|| views::position_json(&p, l, (index + 1) * 100 + i))
                    })
                    .collect();
                vec![push(&sub.push_arg, data)]
            }
            _ => Vec::new(),
        }
    }

    /// The pushes one exchange event makes on this connection's subscriptions.
    fn on_event(&mut self, inner: &Inner, event: Event) -> Vec<String> {
        let mut out = Vec::new();
        let now = inner.now_ms();
        let me = self.account.clone();
        let mine = |account: &str| me.as_ref().is_some_and(|(a, _)| a == account);
        if let Event::Execution(e) = &event {
            if mine(&e.account) {
                self.fills.insert(e.order_id.clone(), e.clone());
            }
            return out;
        }
        for sub in &mut self.subs {
            let id = sub.inst_id.as_deref().unwrap_or("");
            let pushed = match (&event, sub.channel.as_str()) {
                (Event::Book(b), "books") if b.symbol == id => {
                    books::push(b, &mut sub.book).map(|p| with_arg(&sub.push_arg, p))
                }
                (Event::Book(b), "books5" | "bbo-tbt") if b.symbol == id => {
                    Some(push(&sub.push_arg, vec![book5(b, &sub.channel)]))
                }
                (Event::Ticker(t), "tickers") if t.symbol == id => inner
                    .listing(id)
                    .map(|l| push(&sub.push_arg, vec![views::ticker_json(t, l)])),
                (Event::Ticker(t), "mark-price") if t.symbol == id => inner.listing(id).map(|l| {
                    push(
                        &sub.push_arg,
                        vec![mark_json(l.inst_type.wire(), id, t.mark, t.time_ms)],
                    )
                }),
                (Event::Trade(t), "trades") if t.symbol == id => Some(push(
                    &sub.push_arg,
                    vec![json!({
                        "instId": t.symbol,
                        "tradeId": t.trade_id.to_string(),
                        "px": views::num(t.price),
                        "sz": views::num(t.qty),
                        "side": views::side(t.taker_side),
                        "ts": t.time_ms.to_string(),
                        "count": "1",
                        "source": "0",
                    })],
                )),
                (Event::Candle { symbol, candle }, ch)
                    if symbol == id && ch.starts_with("candle") =>
                {
                    let bar = &ch["candle".len()..];
                    views::bar_minutes(bar).and_then(|minutes| {
                        let listing = inner.listing(id)?;
                        let c = if minutes == 1 {
                            *candle
                        } else {
                            *inner
                                .exchange
                                .lock()
                                .candles(id, minutes, None, None, 1, now)?
                                .first()?
                        };
                        Some(push(
                            &sub.push_arg,
                            vec![views::candle_json(&c, listing, false)],
                        ))
                    })
                }
                (Event::Order(o), "orders-algo") if mine(&o.account) => {
                    let meta = lock(&inner.meta).get(&o.id).cloned();
                    let listing = inner.listing(&o.symbol);
                    let t = listing.map_or("", |l| l.inst_type.wire());
                    match meta.as_ref().and_then(|m| Some((m, m.algo.as_ref()?))) {
                        Some((m, a))
                            if type_matches(sub.inst_type.as_deref(), t)
                                && sub.inst_id.as_deref().is_none_or(|i| i == o.symbol)
                                // Pushed when it is placed, cancelled or triggers: the
                                // order it placed reports its fills on `orders`.
                                && (!o.triggered || self.algo_effective.insert(o.id.clone())) =>
                        {
                            let mut ex = inner.exchange.lock();
                            let lever = ex
                                .position(&o.account, &o.symbol)
                                .map_or(Decimal::ONE, |p| p.leverage);
                            let last = ex.ticker(&o.symbol, now).map(|t| t.last);
                            drop(ex);
                            Some(push(
                                &sub.push_arg,
                                vec![views::algo_json(o, listing, m, a, lever, last)],
                            ))
                        }
                        _ => None,
                    }
                }
                (Event::Order(o), "orders") if mine(&o.account) && views::is_regular(o) => {
                    let listing = inner.listing(&o.symbol);
                    let t = listing.map_or("", |l| l.inst_type.wire());
                    if !type_matches(sub.inst_type.as_deref(), t)
                        || sub.inst_id.as_deref().is_some_and(|i| i != o.symbol)
                    {
                        None
                    } else {
                        let fill = self.fills.remove(&o.id);
                        let meta = lock(&inner.meta).get(&o.id).cloned();
                        let lever = inner
                            .exchange
                            .lock()
                            .position(&o.account, &o.symbol)
                            .map_or(Decimal::ONE, |p| p.leverage);
                        let mut v = views::order_json(
                            o,
                            listing,
                            meta.as_ref(),
                            lever,
                            fill.as_ref()
                                .map(|f| (f.price, f.qty, f.trade_id, f.time_ms)),
                        );
                        if let Some(m) = v.as_object_mut() {
                            m.insert("code".into(), json!("0"));
                            m.insert("msg".into(), json!(""));
                            m.insert("amendResult".into(), json!(""));
                            m.insert("reqId".into(), json!(""));
                            m.insert(
                                "execType".into(),
                                json!(match &fill {
                                    Some(f) if f.maker => "M",
                                    Some(_) => "T",
                                    None => "",
                                }),
                            );
                            m.insert(
                                "fillFee".into(),
                                json!(
                                    fill.as_ref()
                                        .map(|f| views::num(-f.fee))
                                        .unwrap_or_else(|| "0".into())
                                ),
                            );
                            m.insert(
                                "fillFeeCcy".into(),
                                json!(listing.map(|l| l.inst.settle.clone()).unwrap_or_default()),
                            );
                            m.insert(
                                "fillPnl".into(),
                                json!(
                                    fill.as_ref()
                                        .map(|f| views::num(f.realized_pnl))
                                        .unwrap_or_else(|| "0".into())
                                ),
                            );
                            m.insert(
                                "fillNotionalUsd".into(),
                                json!(
                                    fill.as_ref()
                                        .map(|f| views::num(f.value))
                                        .unwrap_or_default()
                                ),
                            );
                        }
                        Some(push(&sub.push_arg, vec![v]))
                    }
                }
                (Event::Position(p), "positions") if mine(&p.account) => inner
                    .listings
                    .iter()
                    .position(|l| l.inst.symbol == p.symbol)
                    .and_then(|i| {
                        // `i` was found in this same list just above.
                        let l = &inner.listings[i];
                        if !type_matches(sub.inst_type.as_deref(), l.inst_type.wire())
                            || sub.inst_id.as_deref().is_some_and(|x| x != p.symbol)
                        {
                            return None;
                        }
                        let index = me.as_ref().map_or(0, |(_, i)| *i);
                        Some(push(
                            &sub.push_arg,
                            vec![views::position_json(p, l, (index + 1) * 100 + i)],
                        ))
                    }),
                (Event::Wallet(w), "account") if mine(&w.account) => {
                    let ex = inner.exchange.lock();
                    let wallets = ex.wallets(&w.account);
                    Some(push(
                        &sub.push_arg,
                        vec![views::balance_json(&ex, &wallets, now)],
                    ))
                }
                (Event::Wallet(w), "balance_and_position") if mine(&w.account) => Some(push(
                    &sub.push_arg,
                    vec![json!({
                        "pTime": now.to_string(),
                        "eventType": "filled",
                        "balData": [{ "ccy": w.coin, "cashBal": views::num(w.balance), "uTime": now.to_string() }],
                        "posData": [],
                        "trades": [],
                    })],
                )),
                (Event::Position(p), "balance_and_position") if mine(&p.account) => {
                    inner.listing(&p.symbol).map(|l| {
                        push(
                            &sub.push_arg,
                            vec![json!({
                                "pTime": now.to_string(),
                                "eventType": "filled",
                                "balData": [],
                                "posData": [{
                                    "posId": "",
                                    "tradeId": "",
                                    "instId": p.symbol,
                                    "instType": l.inst_type.wire(),
                                    "mgnMode": views::mgn_mode(p.margin_mode),
                                    "posSide": "net",
                                    "pos": views::num(p.size),
                                    "ccy": l.inst.settle,
                                    "posCcy": "",
                                    "avgPx": views::num(p.entry_price),
                                    "uTime": p.updated_ms.to_string(),
                                }],
                                "trades": [],
                            })],
                        )
                    })
                }
                _ => None,
            };
            if let Some(v) = pushed {
                out.push(v.to_string());
            }
        }
        out
    }
}

/// Whether an instrument of type `t` passes a private subscription's `instType`.
fn type_matches(want: Option<&str>, t: &str) -> bool {
    want.is_none_or(|w| w == "ANY" || w == t)
}

fn push(arg: &Value, data: Vec<Value>) -> Value {
    json!({ "arg": arg, "data": data })
}

/// A `books` push (`action` + `data`) with its `arg` in front.
fn with_arg(arg: &Value, mut p: Value) -> Value {
    if let Some(m) = p.as_object_mut() {
        m.insert("arg".into(), arg.clone());
    }
    p
}

fn mark_json(inst_type: &str, inst_id: &str, mark: Decimal, ts: i64) -> Value {
    json!({ "instType": inst_type, "instId": inst_id, "markPx": views::num(mark), "ts": ts.to_string() })
}

/// A `books5` (5 levels) or `bbo-tbt` (1 level) snapshot.
fn book5(b: &crate::core::Book, channel: &str) -> Value {
    let n = if channel == "bbo-tbt" { 1 } else { 5 };
    json!({
        "asks": views::book_levels(&b.asks[..b.asks.len().min(n)]),
        "bids": views::book_levels(&b.bids[..b.bids.len().min(n)]),
        "instId": b.symbol,
        "ts": b.time_ms.to_string(),
        "seqId": b.seq,
    })
}
