//! One WebSocket connection: its requests, its subscriptions, its heartbeat and its
//! cancel-on-disconnect.
//!
//! Cancel-on-disconnect (`private/enable_cancel_on_disconnect`, the API reference): once on,
//! the orders this connection placed are cancelled when it closes, when the server ends it
//! (a missed heartbeat, 10 minutes without a message) or when the network drops it; "it does
//! not affect orders created by other connections". Scope `account` turns it on for every
//! connection the account opens from then on (and for this one). `private/logout` closes the
//! connection without cancelling anything.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use serde_json::{Map, Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::super::auth::{Access, Area, Caller};
use super::super::errors::DeribitError;
use super::super::http::{OrderFault, envelope, order_fault};
use super::super::json::{quote_fractions, render};
use super::super::rpc::{self, Ctx, Transport};
use super::super::{Inner, Shared, lock, views};
use super::channels::{self, BookState, Channel};
use crate::core::{CancelFilter, Event, OrderRef};

/// A send that takes longer than this ends the connection (a client that stopped reading).
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// The shortest heartbeat interval `public/set_heartbeat` takes (seconds).
const MIN_HEARTBEAT_SECONDS: i64 = 10;
/// A connection with no message from its client for this long (seconds) is closed.
const INACTIVITY_SECONDS: u32 = 600;

/// One subscription.
struct Sub {
    name: String,
    channel: Channel,
    book: BookState,
}

/// How a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Closed by the client or the network, or by the server (a missed heartbeat, a fault).
    Dropped,
    /// `private/logout`.
    LoggedOut,
}

/// What answering one frame produced.
#[derive(Default)]
struct Outcome {
    messages: Vec<String>,
    end: Option<End>,
    /// `Some(Some(d))`: beat every `d`; `Some(None)`: stop beating.
    heartbeat: Option<Option<Duration>>,
}

impl Outcome {
    fn send(messages: Vec<String>) -> Outcome {
        Outcome {
            messages,
            ..Outcome::default()
        }
    }
}

struct Conn {
    /// The access token `public/auth` granted on this connection.
    token: Option<String>,
    /// The account the connection authenticated as (kept for cancel-on-disconnect after
    /// its token expires).
    account: Option<usize>,
    subs: Vec<Sub>,
    /// A `test_request` went out and no `public/test` came back yet.
    awaiting_test: bool,
    /// Cancel-on-disconnect is on for this connection.
    cod: bool,
    /// The core numbers of the orders this connection placed.
    placed: HashSet<String>,
}

fn notification(channel: &str, data: Value) -> String {
    render(&json!({
        "jsonrpc": "2.0",
        "method": "subscription",
        "params": { "channel": channel, "data": data },
    }))
}

/// Waits for the next beat, or for ever when there is no heartbeat.
async fn next_beat(beat: &mut Option<tokio::time::Interval>) {
    match beat {
        Some(b) => {
            b.tick().await;
        }
        None => std::future::pending::<()>().await,
    }
}

pub(super) async fn run(inner: Shared, mut socket: WebSocket) {
    let mut events = inner.exchange.lock().subscribe();
    inner.connections.fetch_add(1, Ordering::Relaxed);
    let mut generation = inner.ws_generation.subscribe();
    let mut conn = Conn {
        token: None,
        account: None,
        subs: Vec::new(),
        awaiting_test: false,
        cod: false,
        placed: HashSet::new(),
    };
    let mut beat: Option<tokio::time::Interval> = None;
    // "the connection is closed due to 10 minutes of inactivity" (600 of the configured
    // seconds).
    let inactivity = inner
        .config
        .heartbeat_second
        .saturating_mul(INACTIVITY_SECONDS);
    let mut quiet_until = tokio::time::Instant::now() + inactivity;
    let end = loop {
        let outcome = tokio::select! {
            _ = generation.changed() => break End::Dropped,
            () = tokio::time::sleep_until(quiet_until) => break End::Dropped,
            incoming = socket.recv() => {
                quiet_until = tokio::time::Instant::now() + inactivity;
                match incoming {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break End::Dropped,
                    Some(Ok(Message::Text(t))) => conn.request(&inner, t.as_str()),
                    Some(Ok(_)) => Outcome::default(),
                }
            },
            event = events.recv() => match event {
                Ok(e) => Outcome::send(conn.on_event(&inner, e)),
                Err(RecvError::Lagged(_)) => Outcome::default(),
                Err(RecvError::Closed) => break End::Dropped,
            },
            () = next_beat(&mut beat) => conn.heartbeat(),
        };
        let mut failed = false;
        for text in outcome.messages {
            match tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::text(text))).await {
                Ok(Ok(())) => {}
                _ => {
                    failed = true;
                    break;
                }
            }
        }
        if failed {
            break End::Dropped;
        }
        if let Some(end) = outcome.end {
            break end;
        }
        match outcome.heartbeat {
            Some(Some(every)) => {
                let mut b = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
                b.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                beat = Some(b);
                conn.awaiting_test = false;
            }
            Some(None) => beat = None,
            None => {}
        }
    };
    if end == End::Dropped {
        conn.cancel_on_disconnect(&inner);
    }
    let _ = socket.send(Message::Close(None)).await;
}

impl Conn {
    /// The caller: the request's `access_token`, else the connection's token.
    fn caller(
        &self,
        inner: &Inner,
        params: &Map<String, Value>,
        now: i64,
    ) -> Result<Option<Caller>, DeribitError> {
        let token = params
            .get("access_token")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| self.token.clone());
        match token {
            Some(t) => lock(&inner.tokens).check(&t, now).map(Some),
            None => Ok(None),
        }
    }

    /// Answers one text frame.
    fn request(&mut self, inner: &Inner, text: &str) -> Outcome {
        let now = inner.now_ms();
        let us_in = now.saturating_mul(1000);
        let answer = |id: &Value, r: Result<Value, DeribitError>| {
            render(&envelope(
                id,
                &r,
                us_in,
                inner.now_ms().saturating_mul(1000),
            ))
        };
        let Ok(Value::Object(mut req)) = serde_json::from_str::<Value>(&quote_fractions(text))
        else {
            let e = DeribitError::new(super::super::errors::INVALID_REQUEST, "Invalid Request");
            return Outcome::send(vec![answer(&Value::Null, Err(e))]);
        };
        let id = req.remove("id").unwrap_or(Value::Null);
        let method = req
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let params = match req.remove("params") {
            Some(Value::Object(p)) => p,
            _ => Map::new(),
        };
        let auth = self.caller(inner, &params, now);
        let caller = match (&auth, method.starts_with("private/")) {
            (Err(e), true) => {
                lock(&inner.tokens).note_refused();
                return Outcome::send(vec![answer(&id, Err(e.clone()))]);
            }
            (Ok(c), _) => *c,
            (Err(_), false) => None,
        };
        let ctx = Ctx {
            inner,
            caller,
            now,
            transport: Transport::Ws,
            peer: format!("ws-{}", self.account.map_or(0, |a| a + 1)),
        };
        let p = rpc::Params(&params);
        match method.as_str() {
            "public/set_heartbeat" => {
                let interval = match p.int("interval") {
                    Ok(Some(i)) if i >= MIN_HEARTBEAT_SECONDS => i,
                    Ok(_) => {
                        let e =
                            DeribitError::invalid_params("interval", "must be at least 10 seconds");
                        return Outcome::send(vec![answer(&id, Err(e))]);
                    }
                    Err(e) => return Outcome::send(vec![answer(&id, Err(e))]),
                };
                let second = inner.config.heartbeat_second;
                let every = second.saturating_mul(u32::try_from(interval).unwrap_or(u32::MAX));
                Outcome {
                    messages: vec![answer(&id, Ok(json!("ok")))],
                    heartbeat: Some(Some(every)),
                    end: None,
                }
            }
            "public/disable_heartbeat" => Outcome {
                messages: vec![answer(&id, Ok(json!("ok")))],
                heartbeat: Some(None),
                end: None,
            },
            "public/subscribe" | "private/subscribe" => {
                self.subscribe(inner, &ctx, &id, &method, &params, &answer)
            }
            "public/unsubscribe" | "private/unsubscribe" => {
                let names = channel_names(&params);
                let mut gone = Vec::new();
                self.subs.retain(|s| {
                    let keep = !names.contains(&s.name);
                    if !keep {
                        gone.push(json!(s.name));
                    }
                    keep
                });
                Outcome::send(vec![answer(&id, Ok(Value::Array(gone)))])
            }
            "public/unsubscribe_all" | "private/unsubscribe_all" => {
                self.subs.clear();
                Outcome::send(vec![answer(&id, Ok(json!("ok")))])
            }
            "private/enable_cancel_on_disconnect" | "private/disable_cancel_on_disconnect" => {
                let enable = method == "private/enable_cancel_on_disconnect";
                let r = ctx
                    .require(Area::Account, Access::ReadWrite)
                    .and_then(|()| rpc::cod_scope(&p));
                match r {
                    Ok(scope) => {
                        if scope == rpc::CodScope::Account
                            && let Some(c) = caller
                        {
                            rpc::set_account_cod(inner, c.account, enable);
                        }
                        self.cod = enable;
                        Outcome::send(vec![answer(&id, Ok(json!("ok")))])
                    }
                    Err(e) => Outcome::send(vec![answer(&id, Err(e))]),
                }
            }
            "private/get_cancel_on_disconnect" => {
                let r = ctx
                    .require(Area::Account, Access::Read)
                    .and_then(|()| rpc::cod_scope(&p));
                match (r, caller) {
                    (Ok(rpc::CodScope::Account), Some(c)) => {
                        let v = rpc::account_cod(inner, c.account);
                        Outcome::send(vec![answer(&id, Ok(v))])
                    }
                    (Ok(_), _) => {
                        let v = json!({ "scope": "connection", "enabled": self.cod });
                        Outcome::send(vec![answer(&id, Ok(v))])
                    }
                    (Err(e), _) => Outcome::send(vec![answer(&id, Err(e))]),
                }
            }
            "private/logout" => {
                if caller.is_none() {
                    return Outcome::send(vec![answer(
                        &id,
                        Err(DeribitError::unauthorized("authorization required")),
                    )]);
                }
                if p.bool("invalidate_token").ok().flatten().unwrap_or(true)
                    && let Some(t) = &self.token
                {
                    lock(&inner.tokens).revoke(t);
                }
                Outcome {
                    end: Some(End::LoggedOut),
                    ..Outcome::default()
                }
            }
            _ => {
                if method == "public/test" {
                    self.awaiting_test = false;
                }
                let fault = order_fault(inner, &method);
                if fault == Some(OrderFault::NotTaken503) {
                    return Outcome::send(vec![answer(
                        &id,
                        Err(DeribitError::temporarily_unavailable()),
                    )]);
                }
                let outcome = rpc::dispatch(&ctx, &method, &params);
                if let Ok(result) = &outcome {
                    if method == "public/auth"
                        && let Some(token) = result.get("access_token").and_then(Value::as_str)
                    {
                        self.account = lock(&inner.tokens)
                            .check(token, now)
                            .ok()
                            .map(|c| c.account);
                        // An account whose cancel-on-disconnect is on (scope `account`) has it
                        // on for every connection it opens.
                        if self
                            .account
                            .is_some_and(|a| lock(&inner.cod_accounts).contains(&a))
                        {
                            self.cod = true;
                        }
                        self.token = Some(token.to_owned());
                    }
                    if let Some(order_id) =
                        result.pointer("/order/order_id").and_then(Value::as_str)
                        && (method == "private/buy" || method == "private/sell")
                    {
                        self.placed.insert(views::order_number(order_id).to_owned());
                    }
                }
                match fault {
                    Some(OrderFault::TakenThenDropped) => Outcome {
                        end: Some(End::Dropped),
                        ..Outcome::default()
                    },
                    Some(OrderFault::TakenThen503) => Outcome::send(vec![answer(
                        &id,
                        Err(DeribitError::temporarily_unavailable()),
                    )]),
                    _ => Outcome::send(vec![answer(&id, outcome)]),
                }
            }
        }
    }

    /// `public/subscribe` and `private/subscribe`: the channels subscribed, then a first book
    /// snapshot, ticker and portfolio for each new book, ticker and portfolio channel. User channels need
    /// `private/subscribe` on an authorised connection; others are left out of the answer.
    fn subscribe(
        &mut self,
        inner: &Inner,
        ctx: &Ctx<'_>,
        id: &Value,
        method: &str,
        params: &Map<String, Value>,
        answer: &dyn Fn(&Value, Result<Value, DeribitError>) -> String,
    ) -> Outcome {
        let private = method == "private/subscribe";
        if private && ctx.caller.is_none() {
            return Outcome::send(vec![answer(
                id,
                Err(DeribitError::unauthorized("authorization required")),
            )]);
        }
        let names = channel_names(params);
        if names.is_empty() {
            return Outcome::send(vec![answer(
                id,
                Err(DeribitError::invalid_params("channels", "value required")),
            )]);
        }
        let known = |s: &str| inner.listing(s).is_some();
        let mut accepted = Vec::new();
        let mut fresh = Vec::new();
        for name in names {
            let Some(channel) = channels::parse(&name, &known) else {
                continue;
            };
            let raw_needs_auth = name.ends_with(".raw") && ctx.caller.is_none();
            if (channel.private() && !private) || raw_needs_auth {
                continue;
            }
            accepted.push(json!(name));
            if !self.subs.iter().any(|s| s.name == name) {
                fresh.push(self.subs.len());
                self.subs.push(Sub {
                    name,
                    channel,
                    book: BookState::default(),
                });
            }
        }
        let mut messages = vec![answer(id, Ok(Value::Array(accepted)))];
        let mut ex = inner.exchange.lock();
        for i in fresh {
            let sub = &mut self.subs[i];
            match &sub.channel {
                Channel::Book(symbol) => {
                    if let Some(book) = ex.book(symbol, crate::core::PUBLISHED_BOOK_DEPTH, ctx.now)
                    {
                        messages.push(notification(&sub.name, sub.book.snapshot(&book)));
                    }
                }
                Channel::Ticker(symbol) => {
                    if let Some(listing) = inner.listing(symbol)
                        && let Ok(v) = rpc::ticker_of(&mut ex, listing, ctx.now)
                    {
                        messages.push(notification(&sub.name, v));
                    }
                }
                // The portfolio as it stands, as Deribit sends it on subscription (later ones
                // follow each change of the wallet).
                Channel::Portfolio(currency) => {
                    if let Some(caller) = ctx.caller {
                        let v = rpc::summary_of(inner, &ex, caller.account, currency);
                        messages.push(notification(&sub.name, v));
                    }
                }
                _ => {}
            }
        }
        Outcome::send(messages)
    }

    /// The pushes one exchange event makes on this connection's subscriptions.
    fn on_event(&mut self, inner: &Inner, event: Event) -> Vec<String> {
        if self.subs.is_empty() {
            return Vec::new();
        }
        let client_id = self
            .account
            .and_then(|i| inner.account(i))
            .map(|a| a.client_id.clone());
        let mine = |account: &str| client_id.as_deref() == Some(account);
        let mut out = Vec::new();
        match event {
            Event::Book(book) => {
                for sub in &mut self.subs {
                    if sub.channel == Channel::Book(book.symbol.clone())
                        && let Some(v) = sub.book.change(&book)
                    {
                        out.push(notification(&sub.name, v));
                    }
                }
            }
            Event::Ticker(t) => {
                let subs: Vec<&Sub> = self
                    .subs
                    .iter()
                    .filter(|s| s.channel == Channel::Ticker(t.symbol.clone()))
                    .collect();
                if subs.is_empty() {
                    return out;
                }
                let Some(listing) = inner.listing(&t.symbol) else {
                    return out;
                };
                let ex = inner.exchange.lock();
                let quote = ex.option_quote(&t.symbol);
                let ivs = rpc::book_ivs(&ex, listing, t.time_ms);
                drop(ex);
                let v = views::ticker(&t, listing, quote.as_ref(), ivs);
                for sub in subs {
                    out.push(notification(&sub.name, v.clone()));
                }
            }
            Event::Trade(trade) => {
                let Some(listing) = inner.listing(&trade.symbol) else {
                    return out;
                };
                let mut covering = self.subs.iter().filter(|s| match &s.channel {
                    Channel::Trades(target) => target.covers(listing),
                    _ => false,
                });
                if covering.clone().next().is_none() {
                    return out;
                }
                let (mark, index) = {
                    let mut ex = inner.exchange.lock();
                    let mark = ex.mark(&trade.symbol).unwrap_or_default();
                    (mark, rpc::index_of(&mut ex, listing, trade.time_ms))
                };
                let v = json!([views::public_trade(&trade, listing, mark, index)]);
                for sub in covering.by_ref() {
                    out.push(notification(&sub.name, v.clone()));
                }
            }
            Event::Order(order) if mine(&order.account) => {
                let Some(listing) = inner.listing(&order.symbol) else {
                    return out;
                };
                let v = rpc::order_view(inner, &order);
                for sub in &self.subs {
                    match &sub.channel {
                        Channel::UserOrders { target, raw } if target.covers(listing) => {
                            let data = if *raw { v.clone() } else { json!([v.clone()]) };
                            out.push(notification(&sub.name, data));
                        }
                        Channel::UserChanges(target) if target.covers(listing) => {
                            let data = json!({
                                "instrument_name": listing.inst.symbol,
                                "orders": [v.clone()],
                                "trades": [],
                                "positions": [],
                            });
                            out.push(notification(&sub.name, data));
                        }
                        _ => {}
                    }
                }
            }
            Event::Execution(e) if mine(&e.account) => {
                let Some(listing) = inner.listing(&e.symbol) else {
                    return out;
                };
                let covers = |c: &Channel| match c {
                    Channel::UserTrades(t) | Channel::UserChanges(t) => t.covers(listing),
                    _ => false,
                };
                if !self.subs.iter().any(|s| covers(&s.channel)) {
                    return out;
                }
                let (v, position) = {
                    let mut ex = inner.exchange.lock();
                    let position =
                        rpc::position_of(inner, &mut ex, &e.account, &e.symbol, e.time_ms);
                    let index = rpc::index_of(&mut ex, listing, e.time_ms);
                    let quote = ex.option_quote(&e.symbol);
                    let order = ex.order(&e.account, OrderRef::Id(&e.order_id)).cloned();
                    let meta = lock(&inner.meta)
                        .get(&e.order_id)
                        .cloned()
                        .unwrap_or_default();
                    let v = views::trade(&e, listing, order.as_ref(), &meta, index, quote.as_ref());
                    (v, position)
                };
                for sub in &self.subs {
                    match &sub.channel {
                        Channel::UserTrades(t) if t.covers(listing) => {
                            out.push(notification(&sub.name, json!([v.clone()])));
                        }
                        // The fill and the position it leaves, in one change.
                        Channel::UserChanges(t) if t.covers(listing) => {
                            let data = json!({
                                "instrument_name": listing.inst.symbol,
                                "orders": [],
                                "trades": [v.clone()],
                                "positions": position.iter().cloned().collect::<Vec<_>>(),
                            });
                            out.push(notification(&sub.name, data));
                        }
                        _ => {}
                    }
                }
            }
            Event::Wallet(w) if mine(&w.account) => {
                let Some(index) = self.account else {
                    return out;
                };
                if !self
                    .subs
                    .iter()
                    .any(|s| s.channel == Channel::Portfolio(w.coin.clone()))
                {
                    return out;
                }
                let v = {
                    let ex = inner.exchange.lock();
                    rpc::summary_of(inner, &ex, index, &w.coin)
                };
                for sub in &self.subs {
                    if sub.channel == Channel::Portfolio(w.coin.clone()) {
                        out.push(notification(&sub.name, v.clone()));
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// One heartbeat: a `test_request`, or the end of the connection when the last one went
    /// unanswered.
    fn heartbeat(&mut self) -> Outcome {
        if self.awaiting_test {
            return Outcome {
                end: Some(End::Dropped),
                ..Outcome::default()
            };
        }
        self.awaiting_test = true;
        Outcome::send(vec![render(&json!({
            "jsonrpc": "2.0",
            "method": "heartbeat",
            "params": { "type": "test_request" },
        }))])
    }

    /// Cancels the orders this connection placed, if cancel-on-disconnect is on ("does not
    /// affect orders created by other connections").
    fn cancel_on_disconnect(&self, inner: &Inner) {
        let Some(index) = self.account.filter(|_| self.cod) else {
            return;
        };
        let Some(account) = inner.account(index) else {
            return;
        };
        let now = inner.now_ms();
        let mut ex = inner.exchange.lock();
        let targets: Vec<String> = ex
            .open_orders(&account.client_id, &CancelFilter::default())
            .into_iter()
            .filter(|o| self.placed.contains(&o.id))
            .map(|o| o.id)
            .collect();
        {
            let mut meta = lock(&inner.meta);
            for id in &targets {
                meta.entry(id.clone()).or_default().cancelled_on_disconnect = true;
            }
        }
        for id in targets {
            let _ = ex.cancel(&account.client_id, OrderRef::Id(&id), now);
        }
    }
}

/// The `channels` parameter: a list of names.
fn channel_names(params: &Map<String, Value>) -> Vec<String> {
    params
        .get("channels")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
