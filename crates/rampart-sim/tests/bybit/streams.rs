use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{Client, INS_KEY, KEY, SECRET, hmac_hex, now_ms, start};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(server: &rampart_sim::bybit::SimServer, path: &str) -> Ws {
    let url = format!("{}{path}", server.ws_base_url());
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

/// The next JSON frame within 5 s.
async fn next(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a frame within 5 s")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = msg {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

/// The first frame within 5 s that `pred` accepts (at most 200 frames).
async fn wait_for(ws: &mut Ws, pred: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let v = next(ws).await;
        if pred(&v) {
            return v;
        }
    }
    panic!("no matching frame in 200");
}

async fn auth(ws: &mut Ws, key: &str, secret: &str) -> Value {
    let expires = now_ms() + 5_000;
    let sig = hmac_hex(secret, &format!("GET/realtime{expires}"));
    send(
        ws,
        json!({"req_id": "a1", "op": "auth", "args": [key, expires, sig]}),
    )
    .await;
    next(ws).await
}

#[tokio::test]
async fn the_public_book_sends_a_snapshot_then_deltas() {
    let server = start().await;
    let mut ws = connect(&server, "/v5/public/linear").await;
    send(&mut ws, json!({"req_id": "p", "op": "ping"})).await;
    let pong = next(&mut ws).await;
    assert_eq!(
        (pong["op"].as_str(), pong["ret_msg"].as_str()),
        (Some("ping"), Some("pong"))
    );

    send(
        &mut ws,
        json!({"req_id": "s1", "op": "subscribe", "args": ["orderbook.50.BTCUSDT"]}),
    )
    .await;
    let ack = next(&mut ws).await;
    assert_eq!(ack["success"], true);
    assert_eq!(ack["req_id"], "s1");
    let snap = next(&mut ws).await;
    assert_eq!(snap["topic"], "orderbook.50.BTCUSDT");
    assert_eq!(snap["type"], "snapshot");
    assert_eq!(snap["data"]["b"].as_array().unwrap().len(), 50);
    let best_bid: Decimal = snap["data"]["b"][0][0].as_str().unwrap().parse().unwrap();

    // Three ticks up: the three old best asks become bids, three new asks enter at the top.
    server.set_mark_price("BTCUSDT", best_bid + Decimal::new(3, 1));
    let delta = wait_for(&mut ws, |v| v["topic"] == "orderbook.50.BTCUSDT").await;
    assert_eq!(delta["type"], "delta", "{delta}");
    assert!(delta["data"]["u"].as_u64().unwrap() > snap["data"]["u"].as_u64().unwrap());
    let asks = delta["data"]["a"].as_array().unwrap();
    assert!(
        asks.iter().any(|l| l[1] == "0.000"),
        "levels that left the asks are sent with size 0"
    );

    send(
        &mut ws,
        json!({"op": "subscribe", "args": ["orderbook.50.BTCUSD"]}),
    )
    .await;
    let refused = wait_for(&mut ws, |v| v["op"] == "subscribe").await;
    assert_eq!(
        refused["success"], false,
        "BTCUSD is inverse, not on the linear stream"
    );
}

#[tokio::test]
async fn trades_tickers_and_klines_stream() {
    let server = start().await;
    let mut ws = connect(&server, "/v5/public/linear").await;
    send(&mut ws, json!({"op": "subscribe", "args": ["publicTrade.ETHUSDT", "tickers.ETHUSDT", "kline.1.ETHUSDT"]})).await;
    assert_eq!(next(&mut ws).await["success"], true);
    let ticker = wait_for(&mut ws, |v| v["topic"] == "tickers.ETHUSDT").await;
    assert_eq!(ticker["type"], "snapshot");
    assert!(ticker["data"]["markPrice"].is_string());
    server.step_prices(1);
    // One step prints a trade, updates the candle and moves the ticker (a delta now).
    let (mut trade, mut kline, mut delta) = (None, None, None);
    for _ in 0..50 {
        let v = next(&mut ws).await;
        match v["topic"].as_str() {
            Some("publicTrade.ETHUSDT") => trade = Some(v),
            Some("kline.1.ETHUSDT") => kline = Some(v),
            Some("tickers.ETHUSDT") => delta = Some(v),
            _ => {}
        }
        if trade.is_some() && kline.is_some() && delta.is_some() {
            break;
        }
    }
    let (trade, kline, delta) = (trade.unwrap(), kline.unwrap(), delta.unwrap());
    assert!(trade["data"][0]["p"].is_string());
    assert!(matches!(
        trade["data"][0]["S"].as_str(),
        Some("Buy" | "Sell")
    ));
    assert_eq!(kline["data"][0]["interval"], "1");
    assert_eq!(delta["type"], "delta", "{delta}");
}

#[tokio::test]
async fn private_stream_authenticates_and_pushes_order_execution_position_wallet() {
    let server = start().await;
    let mut ws = connect(&server, "/v5/private").await;
    send(&mut ws, json!({"op": "subscribe", "args": ["order"]})).await;
    assert_eq!(
        next(&mut ws).await["success"],
        false,
        "no topic before auth"
    );
    assert_eq!(auth(&mut ws, KEY, "wrong").await["success"], false);
    let ok = auth(&mut ws, KEY, SECRET).await;
    assert_eq!(
        (ok["op"].as_str(), ok["success"].as_bool()),
        (Some("auth"), Some(true))
    );
    send(&mut ws, json!({"req_id": "s", "op": "subscribe", "args": ["order", "execution", "position", "wallet"]})).await;
    assert_eq!(next(&mut ws).await["success"], true);
    send(&mut ws, json!({"req_id": "hb", "op": "ping"})).await;
    let pong = next(&mut ws).await;
    assert_eq!(pong["op"], "pong");

    let c = Client::new(&server, KEY);
    let placed = c
        .post("/v5/order/create", json!({"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Market", "qty": "0.01", "orderLinkId": "ws-1"}))
        .await;
    assert_eq!(placed.code(), 0);
    // Bybit's order of pushes for a taker fill: the order accepted, the execution, the order
    // filled, the position, the wallet.
    let mut seen = Vec::new();
    let mut frames = Vec::new();
    while seen.last().map(String::as_str) != Some("wallet") {
        let v = next(&mut ws).await;
        let topic = v["topic"].as_str().unwrap().to_owned();
        seen.push(match topic.as_str() {
            "order" => format!("order:{}", v["data"][0]["orderStatus"].as_str().unwrap()),
            _ => topic,
        });
        frames.push(v);
        assert!(seen.len() < 20);
    }
    assert_eq!(
        seen,
        [
            "order:New",
            "execution",
            "order:Filled",
            "position",
            "wallet"
        ]
    );
    assert_eq!(frames[0]["data"][0]["orderLinkId"], "ws-1");
    assert_eq!(frames[0]["data"][0]["category"], "linear");
    let exec = &frames[1]["data"][0];
    assert_eq!(
        (exec["orderLinkId"].as_str(), exec["isMaker"].as_bool()),
        (Some("ws-1"), Some(false))
    );
    assert_eq!(exec["execQty"], "0.010");
    let pos = &frames[3]["data"][0];
    assert_eq!(
        (
            pos["symbol"].as_str(),
            pos["size"].as_str(),
            pos["side"].as_str()
        ),
        (Some("BTCUSDT"), Some("0.010"), Some("Buy"))
    );
    assert_eq!(frames[4]["data"][0]["accountType"], "UNIFIED");
}

#[tokio::test]
async fn dcp_cancels_the_orders_once_the_last_dcp_connection_is_gone() {
    let server = start().await;
    let c = Client::new(&server, INS_KEY);
    let set = c
        .post(
            "/v5/order/disconnected-cancel-all",
            json!({"product": "DERIVATIVES", "timeWindow": 3}),
        )
        .await;
    assert_eq!(set.code(), 0);
    let mut ws = connect(&server, "/v5/private").await;
    assert_eq!(auth(&mut ws, INS_KEY, SECRET).await["success"], true);
    send(&mut ws, json!({"op": "subscribe", "args": ["dcp.future"]})).await;
    assert_eq!(next(&mut ws).await["success"], true);
    let placed = c
        .post("/v5/order/create", json!({"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit", "qty": "0.01", "price": "40000"}))
        .await;
    let id = placed.result()["orderId"].as_str().unwrap().to_owned();
    assert_eq!(
        server.dcp_deadline(INS_KEY),
        None,
        "no countdown while the dcp connection lives"
    );

    drop(ws);
    let mut deadline = None;
    for _ in 0..100 {
        deadline = server.dcp_deadline(INS_KEY);
        if deadline.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let deadline = deadline.expect("the countdown starts when the connection goes");
    assert!(deadline > now_ms() + 2_000);
    let mut status = String::new();
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let o = c
            .get(
                "/v5/order/history",
                &format!("category=linear&orderId={id}"),
            )
            .await;
        status = o.result()["list"][0]["cancelType"]
            .as_str()
            .unwrap()
            .to_owned();
        if status != "UNKNOWN" {
            break;
        }
    }
    assert_eq!(status, "CancelByDCP");
}

#[tokio::test]
async fn the_inverse_stream_serves_inverse_books_and_depth_1_is_snapshots_only() {
    let server = start().await;
    let mut ws = connect(&server, "/v5/public/inverse").await;
    send(
        &mut ws,
        json!({"op": "subscribe", "args": ["orderbook.1.BTCUSD"]}),
    )
    .await;
    assert_eq!(next(&mut ws).await["success"], true);
    let first = next(&mut ws).await;
    assert_eq!(
        (first["type"].as_str(), first["data"]["s"].as_str()),
        (Some("snapshot"), Some("BTCUSD"))
    );
    assert_eq!(first["data"]["b"].as_array().unwrap().len(), 1);
    assert_eq!(first["data"]["b"][0][0], "60000.00");
    server.set_mark_price("BTCUSD", Decimal::from(60100));
    let second = wait_for(&mut ws, |v| v["topic"] == "orderbook.1.BTCUSD").await;
    assert_eq!(second["type"], "snapshot");
    assert_eq!(second["data"]["b"][0][0], "60100.00");
    send(
        &mut ws,
        json!({"op": "subscribe", "args": ["tickers.BTCUSDT"]}),
    )
    .await;
    assert_eq!(
        wait_for(&mut ws, |v| v["op"] == "subscribe").await["success"],
        false
    );
}
