//! The Deribit connector against a scripted JSON-RPC peer on 127.0.0.1 that speaks both of
//! Deribit's transports on one port (HTTP `POST /api/v2/{method}` and WebSocket `/ws/api/v2`):
//! what the connector sends (grant, token, params, labels), which transport it uses, how it
//! renews a refused token, answers the heartbeat, and what it makes of the answers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hmac::{Hmac, KeyInit, Mac};
use rampart_core::{OrderType, Side, TimeInForce};
use rampart_venues::binance_usdm::ClientOptions;
use rampart_venues::deribit::{Deribit, RpcClient};
use rampart_venues::venue::{
    AccountUpdate, ClientIdLookup, DeadMansScope, ErrorKind, FeedEvent, FeedStatus, MarketUpdate,
    OrderAmend, OrderRequest, OrderStatus, PositionSide, Venue,
};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

const CLIENT_ID: &str = "rmpTestId";
const SECRET: &str = "rmpTestSecret0123456789";
const WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
struct Call {
    /// "http" or "ws".
    transport: &'static str,
    method: String,
    params: Value,
    /// The `Authorization` header (HTTP).
    authorization: Option<String>,
    /// The request as written.
    raw: String,
}

/// An answer (`{"result": …}` or `{"error": …}`); `None` leaves it to the defaults.
type Script = Arc<dyn Fn(&Call, usize) -> Option<Value> + Send + Sync>;

struct Peer {
    base: String,
    seen: Arc<Mutex<Vec<Call>>>,
    /// Tells the peer's open sockets to close.
    drop_sockets: tokio::sync::broadcast::Sender<()>,
}

impl Peer {
    fn calls(&self, method: &str) -> Vec<Call> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.method == method)
            .cloned()
            .collect()
    }
    fn count(&self, method: &str) -> usize {
        self.calls(method).len()
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn hex_hmac(text: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(text.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

const PERPETUAL: &str = r#"{"tick_size":0.5,"tick_size_steps":[],"taker_commission":0.0005,"settlement_period":"perpetual","settlement_currency":"BTC","quote_currency":"USD","price_index":"btc_usd","min_trade_amount":10,"max_leverage":50,"maker_commission":0.0,"kind":"future","is_active":true,"instrument_name":"BTC-PERPETUAL","instrument_type":"reversed","expiration_timestamp":32503708800000,"counter_currency":"USD","contract_size":10.0,"base_currency":"BTC"}"#;

fn order_json(id: &str, label: &str, state: &str, amount: u32, ts: i64) -> Value {
    json!({"order_id": id, "instrument_name": "BTC-PERPETUAL", "order_state": state,
           "direction": "sell", "order_type": "limit", "label": label, "amount": amount,
           "filled_amount": 0, "price": 30000.5, "average_price": 0, "reduce_only": false,
           "post_only": true, "time_in_force": "good_til_cancelled",
           "last_update_timestamp": ts, "creation_timestamp": ts})
}

/// What the peer answers when the script does not: the clock, the instruments, the grants
/// (the client signature checked with the secret), the heartbeat and `public/test`.
fn default_answer(call: &Call, tokens_issued: &AtomicUsize) -> Value {
    match call.method.as_str() {
        "public/get_time" => json!({"result": now_ms()}),
        "public/get_instruments" => {
            if call.params["currency"] == "BTC" {
                json!({"result": [serde_json::from_str::<Value>(PERPETUAL).unwrap()]})
            } else {
                json!({"result": []})
            }
        }
        "public/auth" => {
            let p = &call.params;
            let ok = match p["grant_type"].as_str() {
                Some("client_signature") => {
                    let ts = p["timestamp"].as_i64().unwrap();
                    let nonce = p["nonce"].as_str().unwrap();
                    let data = p["data"].as_str().unwrap_or_default();
                    p["client_id"] == CLIENT_ID
                        && (now_ms() - ts).abs() < 60_000
                        && p["signature"] == hex_hmac(&format!("{ts}\n{nonce}\n{data}"))
                }
                Some("refresh_token") => p["refresh_token"].as_str().is_some(),
                _ => false,
            };
            if ok {
                let n = tokens_issued.fetch_add(1, Ordering::SeqCst) + 1;
                json!({"result": {"access_token": format!("tok{n}"), "refresh_token": format!("ref{n}"),
                    "expires_in": 900, "scope": "connection mainaccount account:read trade:read_write wallet:read",
                    "token_type": "bearer"}})
            } else {
                json!({"error": {"code": 13004, "message": "invalid_credentials"}})
            }
        }
        "public/set_heartbeat"
        | "public/test"
        | "private/enable_cancel_on_disconnect"
        | "private/disable_cancel_on_disconnect" => json!({"result": "ok"}),
        "private/subscribe" | "public/subscribe" | "public/unsubscribe" => {
            json!({"result": call.params["channels"]})
        }
        _ => json!({"error": {"code": 11050, "message": "bad_request"}}),
    }
}

fn private_token(call: &Call) -> Option<String> {
    match call.transport {
        "http" => call
            .authorization
            .as_deref()
            .and_then(|a| a.strip_prefix("Bearer "))
            .map(str::to_owned),
        _ => call.params["access_token"].as_str().map(str::to_owned),
    }
}

async fn peer(script: impl Fn(&Call, usize) -> Option<Value> + Send + Sync + 'static) -> Peer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<Call>>> = Arc::default();
    let script: Script = Arc::new(script);
    let issued = Arc::new(AtomicUsize::new(0));
    let (drop_tx, _) = tokio::sync::broadcast::channel(4);
    let state = (seen.clone(), script, issued, drop_tx.clone());
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let (seen, script, issued, drop_tx) = state.clone();
            tokio::spawn(async move {
                let mut peek = [0u8; 16];
                let Ok(n) = sock.peek(&mut peek).await else {
                    return;
                };
                if peek[..n].starts_with(b"GET /ws") {
                    serve_ws(sock, seen, script, issued, drop_tx.subscribe()).await;
                } else {
                    serve_http(sock, seen, script, issued).await;
                }
            });
        }
    });
    Peer {
        base,
        seen,
        drop_sockets: drop_tx,
    }
}

/// Records `call`, then answers it: the script first, then the defaults; a private method
/// without a token the peer issued is refused as Deribit refuses it.
fn answer(call: Call, seen: &Mutex<Vec<Call>>, script: &Script, issued: &AtomicUsize) -> Value {
    let index = {
        let mut s = seen.lock().unwrap();
        s.push(call.clone());
        s.iter().filter(|c| c.method == call.method).count() - 1
    };
    if let Some(v) = script(&call, index) {
        return v;
    }
    if call.method.starts_with("private/") {
        let n = issued.load(Ordering::SeqCst);
        let token = private_token(&call);
        if token.is_none() || token != Some(format!("tok{n}")) {
            return json!({"error": {"code": 13009, "message": "unauthorized"}});
        }
    }
    default_answer(&call, issued)
}

async fn serve_http(
    mut sock: TcpStream,
    seen: Arc<Mutex<Vec<Call>>>,
    script: Script,
    issued: Arc<AtomicUsize>,
) {
    let mut buf = Vec::new();
    loop {
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 4096];
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let target = lines
            .next()
            .unwrap_or_default()
            .split(' ')
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        let mut length = 0;
        let mut authorization = None;
        for line in lines {
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if k.eq_ignore_ascii_case("authorization") {
                    authorization = Some(v.trim().to_owned());
                }
            }
        }
        while buf.len() < head_end + length {
            let mut chunk = [0u8; 4096];
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let raw = String::from_utf8_lossy(&buf[head_end..head_end + length]).to_string();
        buf.drain(..head_end + length);
        let request: Value = serde_json::from_str(&raw).unwrap();
        let method = request["method"].as_str().unwrap().to_owned();
        assert_eq!(
            target,
            format!("/api/v2/{method}"),
            "the path names the method"
        );
        let call = Call {
            transport: "http",
            method,
            params: request["params"].clone(),
            authorization,
            raw,
        };
        let mut v = answer(call, &seen, &script, &issued);
        let status = if v.get("error").is_some() { 400 } else { 200 };
        v["jsonrpc"] = "2.0".into();
        v["id"] = request["id"].clone();
        let body = v.to_string();
        let reply = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if sock.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

async fn serve_ws(
    sock: TcpStream,
    seen: Arc<Mutex<Vec<Call>>>,
    script: Script,
    issued: Arc<AtomicUsize>,
    mut drop_rx: tokio::sync::broadcast::Receiver<()>,
) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(sock).await else {
        return;
    };
    loop {
        let msg = tokio::select! {
            _ = drop_rx.recv() => return,
            m = ws.next() => m,
        };
        let text = match msg {
            Some(Ok(Message::Text(t))) => t.to_string(),
            Some(Ok(_)) => continue,
            _ => return,
        };
        let request: Value = serde_json::from_str(&text).unwrap();
        let method = request["method"].as_str().unwrap().to_owned();
        let call = Call {
            transport: "ws",
            method: method.clone(),
            params: request["params"].clone(),
            authorization: None,
            raw: text,
        };
        let mut v = answer(call, &seen, &script, &issued);
        v["jsonrpc"] = "2.0".into();
        v["id"] = request["id"].clone();
        if ws.send(Message::text(v.to_string())).await.is_err() {
            return;
        }
        if method == "public/set_heartbeat" {
            // Deribit's first check of the heartbeat.
            let hb = json!({"jsonrpc": "2.0", "method": "heartbeat", "params": {"type": "test_request"}});
            let _ = ws.send(Message::text(hb.to_string())).await;
        }
        if method == "public/subscribe" {
            let subscribed = seen
                .lock()
                .unwrap()
                .iter()
                .filter(|c| c.method == method)
                .count();
            let push = |channel: &str, data: Value| {
                json!({"jsonrpc": "2.0", "method": "subscription",
                    "params": {"channel": channel, "data": data}})
                .to_string()
            };
            let book = "book.BTC-PERPETUAL.100ms";
            let mut pushes = Vec::new();
            if subscribed == 1 {
                pushes.push(push(
                    "ticker.BTC-PERPETUAL.100ms",
                    json!({"timestamp": 1,
                    "instrument_name": "BTC-PERPETUAL", "mark_price": 30000.25,
                    "index_price": 30001.5, "current_funding": 0.0001}),
                ));
                pushes.push(push(
                    book,
                    json!({"type": "snapshot", "timestamp": 2,
                    "instrument_name": "BTC-PERPETUAL", "change_id": 10,
                    "bids": [["new", 29999.5, 100]], "asks": [["new", 30000.5, 50]]}),
                ));
                pushes.push(push(
                    book,
                    json!({"type": "change", "timestamp": 3,
                    "instrument_name": "BTC-PERPETUAL", "change_id": 11, "prev_change_id": 10,
                    "bids": [["change", 29999.5, 40]], "asks": []}),
                ));
                // change 12 never arrives.
                pushes.push(push(
                    book,
                    json!({"type": "change", "timestamp": 4,
                    "instrument_name": "BTC-PERPETUAL", "change_id": 13, "prev_change_id": 12,
                    "bids": [["new", 29990, 10]], "asks": []}),
                ));
            } else {
                pushes.push(push(
                    book,
                    json!({"type": "snapshot", "timestamp": 5,
                    "instrument_name": "BTC-PERPETUAL", "change_id": 20,
                    "bids": [["new", 29998, 70]], "asks": [["new", 30001, 30]]}),
                ));
            }
            for push in pushes {
                let _ = ws.send(Message::text(push)).await;
            }
        }
        if method == "private/subscribe" {
            let order = order_json("ETH-1", "rmpPushed", "open", 30, now_ms());
            let push = json!({"jsonrpc": "2.0", "method": "subscription",
                "params": {"channel": "user.orders.any.any.raw", "data": order}});
            let _ = ws.send(Message::text(push.to_string())).await;
        }
    }
}

fn client(peer: &Peer) -> RpcClient {
    RpcClient::with_options(&peer.base, CLIENT_ID, SECRET, &ClientOptions::default()).unwrap()
}

fn sell(id: &str) -> OrderRequest {
    OrderRequest {
        symbol: "BTC-PERPETUAL".into(),
        client_order_id: id.into(),
        side: Side::Sell,
        order_type: OrderType::Limit,
        qty: "3".parse().unwrap(),
        price: Some("30000.5".parse().unwrap()),
        trigger_price: None,
        time_in_force: Some(TimeInForce::PostOnly),
        reduce_only: false,
        trigger_by: None,
        margin_mode: None,
        position_side: PositionSide::Net,
        reference_price: None,
    }
}

#[tokio::test]
async fn over_http_an_order_is_labelled_sized_in_contracts_and_carries_the_token() {
    let p = peer(|call, _| match call.method.as_str() {
        "private/sell" if call.authorization.as_deref() == Some("Bearer tok1") => {
            Some(json!({"result": {
            "order": order_json("ETH-7", "rmpA1", "open", 30, now_ms()), "trades": []}}))
        }
        _ => None,
    })
    .await;
    let d = Deribit::new(client(&p).with_socket(false));
    d.sync_clock().await.unwrap();
    let ack = d.place_order(&sell("rmpA1")).await.unwrap();
    assert_eq!(ack.venue_order_id, "ETH-7");
    assert_eq!(ack.client_order_id, "rmpA1");
    assert_eq!(ack.status, OrderStatus::Open);
    let auth = p.calls("public/auth");
    assert_eq!(auth.len(), 1, "one grant");
    assert_eq!(auth[0].params["grant_type"], "client_signature");
    assert!(
        !auth[0].raw.contains(SECRET),
        "the secret never leaves this machine"
    );
    let order = &p.calls("private/sell")[0];
    assert_eq!(order.transport, "http");
    assert!(order.raw.contains(r#""contracts":3"#), "{}", order.raw);
    assert!(order.raw.contains(r#""price":30000.5"#), "{}", order.raw);
    assert_eq!(order.params["label"], "rmpA1");
    assert_eq!(order.params["reject_post_only"], true);
    let valid_until = order.params["valid_until"].as_i64().unwrap();
    assert!(
        (valid_until - now_ms() - 60_000).abs() < 5_000,
        "valid for 60 s"
    );
}

#[tokio::test]
async fn an_order_off_the_tick_is_refused_before_anything_is_sent() {
    let p = peer(|_, _| None).await;
    let d = Deribit::new(client(&p));
    d.sync_clock().await.unwrap();
    let mut o = sell("rmpA2");
    o.price = Some("30000.3".parse().unwrap());
    let e = d.place_order(&o).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
    assert!(e.not_sent && e.message.contains("tick"), "{}", e.message);
    assert_eq!(p.count("private/sell"), 0, "nothing reached Deribit");
}

#[tokio::test]
async fn a_refused_token_is_renewed_once_then_a_read_is_asked_again_but_an_order_is_not() {
    // The first positions request and the first order are refused as if the token had
    // expired; the defaults accept the renewed token.
    let p = peer(|call, index| match (call.method.as_str(), index) {
        ("private/get_positions", 0) | ("private/sell", 0) => {
            Some(json!({"error": {"code": 13009, "message": "unauthorized"}}))
        }
        ("private/get_positions", _) => Some(json!({"result": [{"size": -100, "kind": "future",
            "instrument_name": "BTC-PERPETUAL", "direction": "sell", "average_price": 30000,
            "mark_price": 30010, "floating_profit_loss": 0.0001}]})),
        _ => None,
    })
    .await;
    let d = Deribit::new(client(&p));
    d.sync_clock().await.unwrap();
    let positions = d.positions(Some("BTC-PERPETUAL")).await.unwrap();
    assert_eq!(positions.len(), 1);
    assert_eq!(positions[0].qty, "-10".parse().unwrap());
    assert_eq!(p.count("private/get_positions"), 2, "asked again once");
    assert_eq!(p.count("public/auth"), 2, "renewed once");
    let e = d.place_order(&sell("rmpA3")).await.unwrap_err();
    assert_eq!(e.venue_code.as_deref(), Some("13009"));
    assert_eq!(p.count("private/sell"), 1, "an order is never sent twice");
    assert_eq!(p.count("public/auth"), 3);
}

#[tokio::test]
async fn several_orders_with_one_label_are_reported_as_several() {
    let p = peer(|call, _| match call.method.as_str() {
        "private/get_order_state_by_label" => {
            assert_eq!(call.params["currency"], "BTC");
            Some(json!({"result": [order_json("1", "dup", "open", 30, 5), order_json("2", "dup", "cancelled", 10, 6)]}))
        }
        _ => None,
    })
    .await;
    let d = Deribit::new(client(&p));
    d.sync_clock().await.unwrap();
    match d.order_by_client_id("BTC-PERPETUAL", "dup").await.unwrap() {
        ClientIdLookup::Several(v) => {
            assert_eq!(v.len(), 2);
            assert_eq!(v[1].status, OrderStatus::Cancelled);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn cancel_on_disconnect_goes_over_the_socket_which_then_carries_the_orders() {
    let p = peer(|call, _| match call.method.as_str() {
        "private/sell" => Some(json!({"result": {
            "order": order_json("ETH-9", "rmpB1", "open", 30, now_ms()), "trades": []}})),
        "private/get_cancel_on_disconnect" => {
            Some(json!({"result": {"scope": call.params["scope"], "enabled": true}}))
        }
        "private/edit_by_label" => Some(json!({"result": {
            "order": order_json("ETH-9", "rmpB1", "open", 50, now_ms()), "trades": []}})),
        _ => None,
    })
    .await;
    let d = Deribit::new(client(&p));
    d.sync_clock().await.unwrap();
    d.dead_mans_switch(&DeadMansScope::Connection, Duration::from_secs(20))
        .await
        .unwrap();
    let enable = p.calls("private/enable_cancel_on_disconnect");
    assert_eq!(enable.len(), 1);
    assert_eq!(
        enable[0].transport, "ws",
        "cancel-on-disconnect is WebSocket only"
    );
    assert_eq!(enable[0].params["scope"], "connection");
    assert_eq!(enable[0].params["access_token"], "tok1");
    let state = d
        .cancel_on_disconnect(&DeadMansScope::Connection)
        .await
        .unwrap();
    assert!(state.enabled && state.scope == "connection");
    assert_eq!(
        p.calls("private/get_cancel_on_disconnect")[0].transport,
        "ws"
    );
    let heartbeats = p.calls("public/set_heartbeat");
    assert!(
        heartbeats.iter().any(|h| h.params["interval"] == 20),
        "{heartbeats:?}"
    );
    // Deribit's test_request is answered with public/test.
    tokio::time::timeout(WAIT, async {
        while p.count("public/test") == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("public/test in answer to the heartbeat");
    let ack = d.place_order(&sell("rmpB1")).await.unwrap();
    assert_eq!(ack.venue_order_id, "ETH-9");
    assert_eq!(p.calls("private/sell")[0].transport, "ws");
    let amended = d
        .amend_order(
            "BTC-PERPETUAL",
            "rmpB1",
            &OrderAmend {
                qty: Some("5".parse().unwrap()),
                price: Some("30001".parse().unwrap()),
                trigger_price: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(amended.qty, "5".parse().unwrap());
    let edit = &p.calls("private/edit_by_label")[0];
    assert!(
        edit.raw.contains(r#""contracts":5"#) && edit.raw.contains(r#""price":30001"#),
        "{}",
        edit.raw
    );
    // The symbol scope is not Deribit's.
    let e = d
        .dead_mans_switch(
            &DeadMansScope::Symbol("BTC-PERPETUAL".into()),
            Duration::from_secs(20),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
    // When the socket drops, reads fall back to HTTP.
    let _ = p.drop_sockets.send(());
    tokio::time::timeout(WAIT, async {
        while d.client().socket_up().await {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the socket is seen down");
    let mark_calls_before = p.count("public/ticker");
    let _ = d.mark_price("BTC-PERPETUAL").await;
    let ticker = p.calls("public/ticker");
    assert_eq!(ticker.len(), mark_calls_before + 1);
    assert_eq!(ticker.last().unwrap().transport, "http");
}

async fn next<T>(feed: &mut rampart_venues::venue::Feed<T>) -> FeedEvent<T> {
    tokio::time::timeout(WAIT, feed.next())
        .await
        .expect("an event in time")
        .expect("the feed goes on")
}

#[tokio::test]
async fn the_account_feed_subscribes_reports_connected_and_comes_back_after_a_drop() {
    let p = peer(|_, _| None).await;
    let d = Deribit::new(client(&p));
    d.sync_clock().await.unwrap();
    let mut feed = d.account_feed().await.unwrap();
    assert_eq!(
        next(&mut feed).await,
        FeedEvent::Status(FeedStatus::Connected)
    );
    match next(&mut feed).await {
        FeedEvent::Update(AccountUpdate::Order(o)) => {
            assert_eq!(o.client_order_id, "rmpPushed");
            assert_eq!(o.qty, "3".parse().unwrap());
        }
        other => panic!("{other:?}"),
    }
    let sub = &p.calls("private/subscribe")[0];
    let channels: Vec<&str> = sub.params["channels"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        channels.contains(&"user.orders.any.any.raw"),
        "{channels:?}"
    );
    assert!(channels.contains(&"user.portfolio.btc"), "{channels:?}");
    let _ = p.drop_sockets.send(());
    assert!(matches!(
        next(&mut feed).await,
        FeedEvent::Status(FeedStatus::Lost(_))
    ));
    assert_eq!(
        next(&mut feed).await,
        FeedEvent::Status(FeedStatus::Connected)
    );
    assert_eq!(
        p.count("private/subscribe"),
        2,
        "subscribed again after reconnecting"
    );
}

#[tokio::test]
async fn a_wrong_secret_stops_the_feed_and_is_told_as_a_key_problem() {
    let p = peer(|_, _| None).await;
    let c = RpcClient::with_options(
        &p.base,
        CLIENT_ID,
        "notTheSecret123",
        &ClientOptions::default(),
    )
    .unwrap();
    let d = Deribit::new(c);
    d.sync_clock().await.unwrap();
    let e = d.balances().await.unwrap_err();
    assert_eq!(e.venue_code.as_deref(), Some("13004"));
    assert!(e.message.contains("client id and secret"), "{}", e.message);
    let mut feed = d.account_feed().await.unwrap();
    match tokio::time::timeout(WAIT, feed.next())
        .await
        .unwrap()
        .unwrap()
    {
        FeedEvent::Status(FeedStatus::Stopped(why)) => assert!(why.contains("client id"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn key_permissions_come_from_the_granted_scope() {
    let p = peer(|_, _| None).await;
    let d = Deribit::new(client(&p));
    d.sync_clock().await.unwrap();
    let k = d.key_permissions().await.unwrap().unwrap();
    assert!(k.can_read && k.can_trade && !k.can_withdraw && !k.can_transfer);
}

#[tokio::test]
async fn the_market_feed_keeps_a_book_by_change_id_and_subscribes_again_after_a_gap() {
    let p = peer(|_, _| None).await;
    let d = Deribit::new(client(&p));
    d.sync_clock().await.unwrap();
    let sub = rampart_venues::venue::MarketSubscription {
        book_depth: 5,
        trades: false,
        candles: None,
    };
    let mut feed = d.market_feed("BTC-PERPETUAL", sub).await.unwrap();
    assert_eq!(
        next(&mut feed).await,
        FeedEvent::Status(FeedStatus::Connected)
    );
    let mut books = Vec::new();
    let mut marks = Vec::new();
    while books.len() < 3 {
        match next(&mut feed).await {
            FeedEvent::Update(MarketUpdate::Book(b)) => books.push(b),
            FeedEvent::Update(MarketUpdate::Mark(m)) => marks.push(m),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(marks[0].mark, "30000.25".parse().unwrap());
    assert_eq!(
        books[0].bids[0].qty,
        "10".parse().unwrap(),
        "100 USD is 10 contracts"
    );
    assert_eq!(books[1].bids[0].qty, "4".parse().unwrap());
    assert_eq!(books[1].update_id, 11);
    // The gapped change was not applied: the next book is the new snapshot.
    assert_eq!(books[2].update_id, 20);
    assert_eq!(books[2].bids[0].price, "29998".parse().unwrap());
    assert_eq!(p.count("public/unsubscribe"), 1);
    let again = p.calls("public/subscribe");
    assert_eq!(again.len(), 2);
    assert_eq!(
        again[1].params["channels"],
        json!(["book.BTC-PERPETUAL.100ms"])
    );
}

#[tokio::test]
async fn a_burst_of_cancels_waits_for_credits_instead_of_drawing_10028() {
    let p = peer(|call, _| match call.method.as_str() {
        "private/cancel_all" => Some(json!({"result": 0})),
        _ => None,
    })
    .await;
    let d = Deribit::new(client(&p));
    d.sync_clock().await.unwrap();
    let started = std::time::Instant::now();
    for _ in 0..20 {
        d.cancel_all(None).await.unwrap();
    }
    // 18 go at once (10 % of the 20-request burst is left for other tools), then one every
    // 200 ms (5 a second).
    assert!(
        started.elapsed() >= Duration::from_millis(350),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(p.count("private/cancel_all"), 20);
}

#[derive(Default)]
struct Wire(Mutex<Vec<String>>);

impl rampart_venues::wire::WireLog for Wire {
    fn sent(&self, r: &rampart_venues::wire::WireRequest<'_>) {
        self.0
            .lock()
            .unwrap()
            .push(format!("sent {} {}", r.path, r.params));
    }
    fn answered(&self, a: &rampart_venues::wire::WireAnswer<'_>) {
        self.0.lock().unwrap().push(format!(
            "answered {} {:?} {:?} {:?} {:?}",
            a.path, a.venue_code, a.order_id, a.client_order_id, a.order_status
        ));
    }
}

#[tokio::test]
async fn the_audit_sees_each_private_request_and_answer_but_never_the_token_or_secret() {
    let p = peer(|call, _| match call.method.as_str() {
        "private/sell" => Some(json!({"result": {
            "order": order_json("ETH-5", "rmpW1", "open", 30, now_ms()), "trades": []}})),
        _ => None,
    })
    .await;
    let wire = Arc::new(Wire::default());
    let d = Deribit::new(client(&p).with_wire_log(wire.clone()));
    d.sync_clock().await.unwrap();
    d.place_order(&sell("rmpW1")).await.unwrap();
    let log = wire.0.lock().unwrap().clone();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(
        log[0].starts_with("sent private/sell ") && log[0].contains(r#""label":"rmpW1""#),
        "{log:?}"
    );
    assert!(
        log[1].contains(r#"Some("ETH-5") Some("rmpW1") Some("open")"#),
        "{log:?}"
    );
    let all = log.join("\n");
    assert!(!all.contains("tok1") && !all.contains(SECRET), "{all}");
}

#[tokio::test]
async fn once_connected_requests_go_over_the_socket_with_its_own_token() {
    let p = peer(|call, _| match call.method.as_str() {
        "private/sell" => Some(json!({"result": {
            "order": order_json("ETH-3", "rmpS1", "open", 30, now_ms()), "trades": []}})),
        _ => None,
    })
    .await;
    let d = Deribit::new(client(&p));
    d.sync_clock().await.unwrap();
    assert!(
        d.client().socket_up().await,
        "the socket opens when the account connects"
    );
    d.place_order(&sell("rmpS1")).await.unwrap();
    let order = &p.calls("private/sell")[0];
    assert_eq!(order.transport, "ws");
    assert_eq!(order.params["access_token"], "tok1");
    assert!(order.authorization.is_none());
    assert_eq!(p.calls("public/auth")[0].transport, "ws");
    assert!(p.calls("private/sell").iter().all(|c| c.transport == "ws"));
    assert_eq!(p.calls("public/get_instruments")[0].transport, "ws");
}

#[tokio::test]
async fn a_silent_line_is_taken_for_dead_and_its_pending_request_for_lost() {
    use rampart_venues::deribit::socket::{self, Socket, SocketFailure};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws/api/v2", listener.local_addr().unwrap());
    // A peer that accepts and then says nothing (no answers, no heartbeat).
    let held = tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let ws = tokio_tungstenite::accept_async(sock).await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(ws);
    });
    let ws = socket::connect(&url, None, WAIT).await.unwrap();
    let s = Socket::start(ws, None, Duration::from_millis(300));
    let started = std::time::Instant::now();
    let answer = s
        .call(
            "private/buy",
            json!({"instrument_name": "BTC-PERPETUAL"}),
            WAIT,
        )
        .await;
    assert!(matches!(answer, Err(SocketFailure::Lost(_))), "{answer:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(!s.is_alive());
    let again = s.call("public/test", json!({}), WAIT).await;
    assert!(matches!(again, Err(SocketFailure::NotSent(_))), "{again:?}");
    held.abort();
}

#[tokio::test]
async fn an_unknown_instrument_does_not_fetch_the_list_again_within_ten_seconds() {
    let p = peer(|_, _| None).await;
    let d = Deribit::new(client(&p).with_socket(false));
    d.sync_clock().await.unwrap();
    for _ in 0..3 {
        let mut o = sell("rmpU1");
        o.symbol = "BTC-NOPE".into();
        let e = d.place_order(&o).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Validation, "{e:?}");
        assert!(e.message.contains("BTC-NOPE"), "{}", e.message);
    }
    // One fetch: BTC and ETH.
    assert_eq!(p.count("public/get_instruments"), 2);
}

#[tokio::test]
async fn concurrent_first_requests_share_one_grant() {
    let p = peer(|call, _| match call.method.as_str() {
        "private/get_positions" => Some(json!({"result": []})),
        _ => None,
    })
    .await;
    let d = Arc::new(Deribit::new(client(&p).with_socket(false)));
    d.sync_clock().await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let d = d.clone();
        tasks.push(tokio::spawn(async move { d.positions(None).await }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(p.count("public/auth"), 1, "one grant for twelve callers");
    assert_eq!(p.count("private/get_positions"), 24, "BTC and ETH for each");
    assert!(
        p.calls("private/get_positions")
            .iter()
            .all(|c| c.authorization.as_deref() == Some("Bearer tok1"))
    );
}

#[tokio::test]
async fn an_options_ticker_gives_its_mark_iv_and_greeks() {
    let p = peer(|call, _| match call.method.as_str() {
        "public/ticker" => Some(json!({"result": {"timestamp": 1700000000000_i64,
            "instrument_name": "BTC-25DEC26-100000-C", "mark_price": 0.0412, "mark_iv": 52.71,
            "index_price": 90010.5, "underlying_price": 90000, "state": "open",
            "greeks": {"delta": 0.3312, "gamma": 0.00002, "vega": 50.1, "theta": -60.2, "rho": 10.1}}})),
        _ => None,
    })
    .await;
    let d = Deribit::new(client(&p).with_socket(false));
    let (mark, greeks) = d.ticker("BTC-25DEC26-100000-C").await.unwrap();
    assert_eq!(mark.mark_iv, Some("52.71".parse().unwrap()));
    assert_eq!(mark.mark, "0.0412".parse().unwrap());
    let g = greeks.unwrap();
    assert_eq!(g.gamma, "0.00002".parse().unwrap());
    assert_eq!(g.theta, "-60.2".parse().unwrap());
}
