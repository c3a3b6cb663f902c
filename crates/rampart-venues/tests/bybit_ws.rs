//! The Bybit streams against a tiny WebSocket server on 127.0.0.1: the private login frame and
//! its signature, subscriptions, the heartbeat, Connected after every (re)connect, a refused
//! login stopping the feed; and the public topics' payloads from Bybit's docs kept as a book,
//! a mark price, trades and candles. Every wait is bounded.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hmac::{KeyInit, Mac};
use rampart_venues::bybit::ws::{self, Handled, MarketState, WsOptions};
use rampart_venues::bybit::{Bybit, RestClient};
use rampart_venues::venue::{
    AccountUpdate, CandleInterval, FeedEvent, FeedStatus, MarketSubscription, MarketUpdate,
    OrderStatus, Venue,
};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

const KEY: &str = "RampartTestKey0001";
const SECRET: &str = "RampartTestSecret0123456789abcdefghij";
const WAIT: Duration = Duration::from_secs(5);

fn hmac_hex(text: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(text.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

type ServerWs = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// Accepts one WebSocket connection, checking the path it asked for.
async fn accept(listener: &TcpListener, path: &'static str) -> ServerWs {
    let (sock, _) = tokio::time::timeout(WAIT, listener.accept())
        .await
        .unwrap()
        .unwrap();
    #[allow(clippy::result_large_err)]
    let check =
        move |req: &tokio_tungstenite::tungstenite::handshake::server::Request,
              resp: tokio_tungstenite::tungstenite::handshake::server::Response| {
            assert_eq!(req.uri().path(), path);
            Ok(resp)
        };
    tokio_tungstenite::accept_hdr_async(sock, check)
        .await
        .unwrap()
}

async fn next_json(ws: &mut ServerWs) -> serde_json::Value {
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Message::Text(t) = msg {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

async fn next_event<T: std::fmt::Debug>(feed: &mut rampart_venues::venue::Feed<T>) -> FeedEvent<T> {
    tokio::time::timeout(WAIT, feed.next())
        .await
        .unwrap()
        .unwrap()
}

/// Reads the login frame, checks its signature, and answers it.
async fn login(ws: &mut ServerWs, accept_it: bool) {
    let auth = next_json(ws).await;
    assert_eq!(auth["op"], "auth");
    let args = auth["args"].as_array().unwrap();
    assert_eq!(args[0], KEY);
    let expires = args[1].as_i64().unwrap();
    assert!(expires > now_ms(), "expires must be in the future");
    assert_eq!(
        args[2],
        hmac_hex(&format!("GET/realtime{expires}")).as_str()
    );
    let reply = serde_json::json!({"success": accept_it, "ret_msg": if accept_it {""} else {"Request not authorized"}, "op": "auth", "conn_id": "c1"});
    ws.send(Message::text(reply.to_string())).await.unwrap();
}

#[tokio::test]
async fn the_account_feed_logs_in_subscribes_and_reconnects_with_connected_again() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let venue = Bybit::new(RestClient::new(&base, KEY, SECRET).unwrap());
    let mut feed = venue.account_feed().await.unwrap();

    let mut ws = accept(&listener, "/v5/private").await;
    login(&mut ws, true).await;
    let sub = next_json(&mut ws).await;
    assert_eq!(sub["op"], "subscribe");
    assert_eq!(
        sub["args"],
        serde_json::json!(["order", "execution", "position", "wallet"])
    );
    let dcp = next_json(&mut ws).await;
    assert_eq!(dcp["args"], serde_json::json!(["dcp.future"]));
    // An account without DCP: its subscription is refused, the feed carries on.
    ws.send(Message::text(
        r#"{"success":false,"ret_msg":"dcp not enabled","op":"subscribe","req_id":"dcp"}"#,
    ))
    .await
    .unwrap();
    assert_eq!(
        next_event(&mut feed).await,
        FeedEvent::Status(FeedStatus::Connected)
    );
    // "WebSocket Stream → Private → Order" example (with a client id).
    ws.send(Message::text(r#"{"id":"5923240c6880ab-c59f-420b-9adb-3639adc9dd90","topic":"order","creationTime":1672364262474,"data":[{"symbol":"ETH-30DEC22-1400-C","orderId":"5cf98598-39a7-459e-97bf-76ca765ee020","side":"Sell","orderType":"Market","cancelType":"UNKNOWN","price":"72.5","qty":"1","orderIv":"","timeInForce":"IOC","orderStatus":"Filled","orderLinkId":"rmpX","lastPriceOnCreated":"","reduceOnly":false,"leavesQty":"","leavesValue":"","cumExecQty":"1","cumExecValue":"75","avgPrice":"75","blockTradeId":"","positionIdx":0,"cumExecFee":"0.358635","closedPnl":"0","createdTime":"1672364262444","updatedTime":"1672364262457","rejectReason":"EC_NoError","stopOrderType":"","tpslMode":"","triggerPrice":"","takeProfit":"","stopLoss":"","tpTriggerBy":"","slTriggerBy":"","tpLimitPrice":"","slLimitPrice":"","triggerDirection":0,"triggerBy":"","closeOnTrigger":false,"category":"option","placeType":"price","smpType":"None","smpGroup":0,"smpOrderId":"","feeCurrency":""}]}"#)).await.unwrap();
    match next_event(&mut feed).await {
        FeedEvent::Update(AccountUpdate::Order(o)) => {
            assert_eq!(o.client_order_id, "rmpX");
            assert_eq!(o.status, OrderStatus::Filled);
            assert_eq!(o.avg_fill_price, Some("75".parse().unwrap()));
        }
        other => panic!("{other:?}"),
    }
    // "Execution" example.
    ws.send(Message::text(r#"{"topic":"execution","id":"386825804_BTCUSDT_140612148849382","creationTime":1746270400355,"data":[{"category":"linear","symbol":"BTCUSDT","closedSize":"0.5","execFee":"26.3725275","execId":"0ab1bdf7-4219-438b-b30a-32ec863018f7","execPrice":"95900.1","execQty":"0.5","execType":"Trade","execValue":"47950.05","feeRate":"0.00055","markPrice":"95901.48","leavesQty":"0","orderId":"9aac161b-8ed6-450d-9cab-c5cc67c21784","orderLinkId":"","orderPrice":"94942.5","orderQty":"0.5","orderType":"Market","stopOrderType":"UNKNOWN","side":"Sell","execTime":"1746270400353","isMaker":false,"seq":140612148849382,"execPnl":"0.05"}]}"#)).await.unwrap();
    match next_event(&mut feed).await {
        FeedEvent::Update(AccountUpdate::Fill(f)) => {
            assert_eq!(f.qty, "0.5".parse().unwrap());
            assert_eq!(f.fee, "26.3725275".parse().unwrap());
            assert_eq!(f.realized_pnl, "0.05".parse().unwrap());
            assert!(!f.maker);
        }
        other => panic!("{other:?}"),
    }
    // The connection drops: Lost, then a new login and Connected again.
    drop(ws);
    assert!(matches!(
        next_event(&mut feed).await,
        FeedEvent::Status(FeedStatus::Lost(_))
    ));
    let mut ws = accept(&listener, "/v5/private").await;
    login(&mut ws, true).await;
    assert_eq!(
        next_event(&mut feed).await,
        FeedEvent::Status(FeedStatus::Connected)
    );
    assert!(feed.messages() >= 4);
}

#[tokio::test]
async fn a_refused_login_stops_the_account_feed() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let venue = Bybit::new(RestClient::new(&base, KEY, SECRET).unwrap());
    let mut feed = venue.account_feed().await.unwrap();
    let mut ws = accept(&listener, "/v5/private").await;
    login(&mut ws, false).await;
    match next_event(&mut feed).await {
        FeedEvent::Status(FeedStatus::Stopped(why)) => assert!(why.contains("login"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_stream_pings_bybits_way() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/v5/public/linear", listener.local_addr().unwrap());
    let options = WsOptions {
        ping_every: Duration::from_millis(100),
        ..WsOptions::default()
    };
    let mut feed = ws::run::<(), _, _>(url, None, options, false, Vec::new, |_| Handled::Nothing);
    let mut server = accept(&listener, "/v5/public/linear").await;
    assert_eq!(
        next_event(&mut feed).await,
        FeedEvent::Status(FeedStatus::Connected)
    );
    let ping = next_json(&mut server).await;
    assert_eq!(ping, serde_json::json!({"op": "ping"}));
}

#[tokio::test]
async fn a_silent_connection_is_lost_and_the_market_feed_resubscribes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/v5/public/linear", listener.local_addr().unwrap());
    let options = WsOptions {
        idle_timeout: Duration::from_millis(300),
        backoff_initial: Duration::from_millis(10),
        ..WsOptions::default()
    };
    let frames = || {
        vec![ws::subscribe_frame(
            "market",
            &["tickers.BTCUSDT".to_owned()],
        )]
    };
    let mut feed = ws::run::<(), _, _>(url, None, options, false, frames, |_| Handled::Nothing);
    let mut first = accept(&listener, "/v5/public/linear").await;
    assert_eq!(
        next_json(&mut first).await["args"],
        serde_json::json!(["tickers.BTCUSDT"])
    );
    assert_eq!(
        next_event(&mut feed).await,
        FeedEvent::Status(FeedStatus::Connected)
    );
    // Say nothing: the client gives up on this connection and connects again.
    assert!(matches!(
        next_event(&mut feed).await,
        FeedEvent::Status(FeedStatus::Lost(_))
    ));
    let mut second = accept(&listener, "/v5/public/linear").await;
    assert_eq!(next_json(&mut second).await["op"], "subscribe");
    assert_eq!(
        next_event(&mut feed).await,
        FeedEvent::Status(FeedStatus::Connected)
    );
    drop(first);
}

fn updates(h: Handled<MarketUpdate>) -> Vec<MarketUpdate> {
    match h {
        Handled::Updates(u) => u,
        other => panic!("{other:?}"),
    }
}

#[test]
fn public_topics_from_bybits_examples() {
    let sub = MarketSubscription {
        book_depth: 2,
        trades: true,
        candles: Some(CandleInterval::M5),
    };
    let mut state = MarketState::new("BTCUSDT", sub);
    assert_eq!(
        state.topics(sub),
        vec![
            "tickers.BTCUSDT",
            "orderbook.50.BTCUSDT",
            "publicTrade.BTCUSDT",
            "kline.5.BTCUSDT"
        ]
    );
    // "Ticker" snapshot, then a delta carrying only the mark price.
    let u = updates(state.handle(r#"{"topic":"tickers.BTCUSDT","type":"snapshot","data":{"symbol":"BTCUSDT","tickDirection":"MinusTick","lastPrice":"66666.60","markPrice":"66666.60","indexPrice":"115418.19","fundingIntervalHour":"8","nextFundingTime":"1760342400000","fundingRate":"-0.005"},"cs":9532239429,"ts":1760325052630}"#));
    let MarketUpdate::Mark(m) = &u[0] else {
        panic!()
    };
    assert_eq!(m.mark, "66666.60".parse().unwrap());
    assert_eq!(m.funding_rate, Some("-0.005".parse().unwrap()));
    let u = updates(state.handle(r#"{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","markPrice":"66670.10"},"cs":9532239430,"ts":1760325052700}"#));
    let MarketUpdate::Mark(m) = &u[0] else {
        panic!()
    };
    assert_eq!(m.mark, "66670.10".parse().unwrap());
    assert_eq!(
        m.index,
        Some("115418.19".parse().unwrap()),
        "kept from the snapshot"
    );
    assert_eq!(m.time_ms, 1_760_325_052_700);

    // A delta before any snapshot is ignored.
    assert_eq!(
        state.handle(r#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[["1","1"]],"a":[],"u":1}}"#),
        Handled::Updates(Vec::new())
    );
    // "Orderbook" snapshot, then a delta removing one level and adding another.
    let u = updates(state.handle(r#"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1672304484978,"data":{"s":"BTCUSDT","b":[["16493.50","0.006"],["16493.00","0.100"],["16492.00","1"]],"a":[["16611.00","0.029"],["16612.00","0.213"]],"u":18521288,"seq":7961638724},"cts":1672304484976}"#));
    let MarketUpdate::Book(b) = &u[0] else {
        panic!()
    };
    assert_eq!(b.bids.len(), 2, "two levels a side asked");
    assert_eq!(b.bids[0].price, "16493.50".parse().unwrap());
    assert_eq!(b.asks[0].price, "16611.00".parse().unwrap());
    let u = updates(state.handle(r#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1687940967466,"data":{"s":"BTCUSDT","b":[["16493.50","0"],["16493.20","2"]],"a":[["16610.00","1"]],"u":18521289,"seq":7961638725},"cts":1687940967464}"#));
    let MarketUpdate::Book(b) = &u[0] else {
        panic!()
    };
    assert_eq!(b.bids[0].price, "16493.20".parse().unwrap());
    assert_eq!(b.bids[1].price, "16493.00".parse().unwrap());
    assert_eq!(b.asks[0].price, "16610.00".parse().unwrap());
    assert_eq!(b.update_id, 18521289);

    // "Trade".
    let u = updates(state.handle(r#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,"data":[{"T":1672304486865,"s":"BTCUSDT","S":"Buy","v":"0.001","p":"16578.50","L":"PlusTick","i":"20f43950-d8dd-5b31-9112-a178eb6023af","BT":false,"seq":1783284617}]}"#));
    let MarketUpdate::Trade(t) = &u[0] else {
        panic!()
    };
    assert_eq!(t.price, "16578.50".parse().unwrap());
    assert_eq!(t.taker_side, rampart_core::Side::Buy);

    // "Kline".
    let u = updates(state.handle(r#"{"topic":"kline.5.BTCUSDT","data":[{"start":1672324800000,"end":1672325099999,"interval":"5","open":"16649.5","close":"16677","high":"16677","low":"16608","volume":"2.081","turnover":"34666.4005","confirm":false,"timestamp":1672324988882}],"ts":1672324988882,"type":"snapshot"}"#));
    let MarketUpdate::Candle { interval, candle } = &u[0] else {
        panic!()
    };
    assert_eq!(*interval, CandleInterval::M5);
    assert_eq!(candle.close, "16677".parse().unwrap());
    assert!(!candle.closed);

    // A malformed book changes nothing and asks for a resync (a new connection, a new
    // snapshot).
    assert!(matches!(
        state.handle(r#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[["16493.20","0"],["x","1"]],"a":[],"u":5}}"#),
        Handled::Resync(_)
    ));
    let u = updates(state.handle(r#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":2,"data":{"s":"BTCUSDT","b":[],"a":[],"u":18521290}}"#));
    let MarketUpdate::Book(b) = &u[0] else {
        panic!()
    };
    assert_eq!(b.bids[0].price, "16493.20".parse().unwrap());
}

#[test]
fn malformed_private_payloads_are_malformed_errors_and_force_a_resync() {
    assert!(matches!(
        ws::handle_private(r#"{"topic":"order","data":[{"orderId":5}]}"#),
        Handled::Resync(_)
    ));
    let e = ws::private_updates("order", &serde_json::json!([{"orderId": 5}])).unwrap_err();
    assert_eq!(e.kind, rampart_venues::venue::ErrorKind::Malformed);
    let e = ws::private_updates(
        "position",
        &serde_json::json!([{"symbol":"BTCUSDT","size":"lots","positionIdx":0}]),
    )
    .unwrap_err();
    assert!(e.message.contains("size"), "{}", e.message);
}

#[tokio::test]
async fn an_unanswered_login_is_a_lost_connection_not_a_live_feed() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/v5/private", listener.local_addr().unwrap());
    let options = WsOptions {
        auth_validity: Duration::from_millis(300),
        backoff_initial: Duration::from_millis(10),
        ..WsOptions::default()
    };
    let frames = || vec![ws::auth_frame(KEY, now_ms() + 300, "sig")];
    let mut feed =
        ws::run::<AccountUpdate, _, _>(url, None, options, true, frames, ws::handle_private);
    let mut server = accept(&listener, "/v5/private").await;
    assert_eq!(next_json(&mut server).await["op"], "auth");
    // No answer: the feed never says Connected, and gives up on this connection.
    match next_event(&mut feed).await {
        FeedEvent::Status(FeedStatus::Lost(why)) => assert!(why.contains("login"), "{why}"),
        other => panic!("{other:?}"),
    }
    let mut again = accept(&listener, "/v5/private").await;
    assert_eq!(next_json(&mut again).await["op"], "auth");
    drop(server);
}
