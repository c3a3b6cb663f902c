//! Streams: public books (snapshot, update, checksum), ping/pong, private login and the
//! orders and positions channels.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{Client, KEY, PASS, SECRET, config, sign, start};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(base: &str, path: &str) -> Ws {
    let url = format!("{}{path}", base.replacen("http", "ws", 1));
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

/// The next text frame (5 s at most).
async fn next_text(ws: &mut Ws) -> String {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("no frame within 5 s")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = msg {
            return t.to_string();
        }
    }
}

async fn next_json(ws: &mut Ws) -> Value {
    serde_json::from_str(&next_text(ws).await).unwrap()
}

/// The next frame on `channel` that `pick` accepts (skipping others), within 40 frames.
async fn next_on(ws: &mut Ws, channel: &str, pick: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..40 {
        let v = next_json(ws).await;
        if v["arg"]["channel"] == channel && v.get("data").is_some() && pick(&v) {
            return v;
        }
    }
    panic!("no {channel} push");
}

/// CRC-32 (IEEE), bit by bit, for the client's own check of OKX's book checksum.
fn crc32(bytes: &[u8]) -> i32 {
    let mut crc: u32 = !0;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    (!crc) as i32
}

/// A client's copy of a book: price → (price text, size text).
#[derive(Default)]
struct LocalBook {
    bids: std::collections::BTreeMap<Decimal, (String, String)>,
    asks: std::collections::BTreeMap<Decimal, (String, String)>,
}

impl LocalBook {
    fn apply(&mut self, data: &Value) {
        for (side, rows) in [
            (&mut self.bids, &data["bids"]),
            (&mut self.asks, &data["asks"]),
        ] {
            for row in rows.as_array().unwrap() {
                let px = row[0].as_str().unwrap().to_owned();
                let sz = row[1].as_str().unwrap().to_owned();
                let key: Decimal = px.parse().unwrap();
                if sz == "0" {
                    side.remove(&key);
                } else {
                    side.insert(key, (px, sz));
                }
            }
        }
    }

    fn checksum(&self) -> i32 {
        let bids: Vec<_> = self.bids.values().rev().collect();
        let asks: Vec<_> = self.asks.values().collect();
        let mut parts = Vec::new();
        for i in 0..25 {
            if let Some((p, s)) = bids.get(i) {
                parts.push(format!("{p}:{s}"));
            }
            if let Some((p, s)) = asks.get(i) {
                parts.push(format!("{p}:{s}"));
            }
        }
        crc32(parts.join(":").as_bytes())
    }
}

#[tokio::test]
async fn books_send_a_snapshot_then_updates_that_keep_the_checksum() {
    let server = start(config()).await;
    let mut ws = connect(&server.base_url(), "/ws/v5/public").await;
    ws.send(Message::text("ping")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "pong");

    let arg = json!({"channel": "books", "instId": "BTC-USDT-SWAP"});
    send(&mut ws, json!({"op": "subscribe", "args": [arg]})).await;
    let answer = next_json(&mut ws).await;
    assert_eq!(answer["event"], "subscribe");
    assert_eq!(answer["arg"], arg);
    let snapshot = next_on(&mut ws, "books", |_| true).await;
    assert_eq!(snapshot["action"], "snapshot");
    let data = &snapshot["data"][0];
    assert_eq!(data["bids"][0][0], "60000");
    assert_eq!(data["asks"][0][0], "60000.1");
    assert_eq!(data["prevSeqId"], -1);
    let mut local = LocalBook::default();
    local.apply(data);
    assert_eq!(local.checksum(), data["checksum"].as_i64().unwrap() as i32);

    // The mark moves up 1 USDT (10 ticks): the update carries the changed levels only.
    assert!(server.set_mark_price("BTC-USDT-SWAP", Decimal::from(60_001)));
    let update = next_on(&mut ws, "books", |v| v["action"] == "update").await;
    let u = &update["data"][0];
    assert_eq!(u["prevSeqId"], data["seqId"]);
    assert!(u["bids"].as_array().unwrap().len() < data["bids"].as_array().unwrap().len());
    local.apply(u);
    assert_eq!(local.checksum(), u["checksum"].as_i64().unwrap() as i32);
    assert_eq!(local.bids.values().next_back().unwrap().0, "60001");
    assert_eq!(local.bids.len(), 200);

    // An unknown instrument is refused with 60018.
    send(
        &mut ws,
        json!({"op": "subscribe", "args": [{"channel": "books", "instId": "XYZ-USDT-SWAP"}]}),
    )
    .await;
    let refused = loop {
        let v = next_json(&mut ws).await;
        if v["event"] == "error" {
            break v;
        }
    };
    assert_eq!(refused["code"], "60018");
}

fn login_frame(secret: &str, passphrase: &str) -> Value {
    let ts = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs())
    .to_string();
    let sig = sign(secret, &format!("{ts}GET/users/self/verify"));
    json!({"op": "login", "args": [{"apiKey": KEY, "passphrase": passphrase, "timestamp": ts, "sign": sig}]})
}

#[tokio::test]
async fn private_channels_need_a_login_and_push_orders_and_positions() {
    let server = start(config()).await;
    let mut ws = connect(&server.base_url(), "/ws/v5/private").await;
    send(
        &mut ws,
        json!({"op": "subscribe", "args": [{"channel": "orders", "instType": "ANY"}]}),
    )
    .await;
    let v = next_json(&mut ws).await;
    assert_eq!(
        (v["event"].as_str(), v["code"].as_str()),
        (Some("error"), Some("60011"))
    );

    send(&mut ws, login_frame("wrong-secret", PASS)).await;
    let v = next_json(&mut ws).await;
    assert_eq!(v["code"], "60009");
    assert_eq!(v["msg"], "Login failed.");
    send(&mut ws, login_frame(SECRET, PASS)).await;
    let v = next_json(&mut ws).await;
    assert_eq!(v["event"], "login");
    assert_eq!(v["code"], "0");

    send(
        &mut ws,
        json!({"op": "subscribe", "args": [{"channel": "orders", "instType": "ANY"}, {"channel": "positions", "instType": "SWAP"}]}),
    )
    .await;
    assert_eq!(next_json(&mut ws).await["event"], "subscribe");
    assert_eq!(next_json(&mut ws).await["event"], "subscribe");
    // The positions channel's first push: no position yet.
    let first = next_on(&mut ws, "positions", |_| true).await;
    assert_eq!(first["data"], json!([]));

    let c = Client::new(&server);
    let (_, placed) = c
        .post(
            "/api/v5/trade/order",
            json!({"instId": "BTC-USDT-SWAP", "tdMode": "cross", "side": "sell", "ordType": "market", "sz": "3", "clOrdId": "ws1"}),
        )
        .await;
    assert_eq!(placed["code"], "0");
    let filled = next_on(&mut ws, "orders", |v| v["data"][0]["state"] == "filled").await;
    let o = &filled["data"][0];
    assert_eq!(o["clOrdId"], "ws1");
    assert_eq!(o["fillSz"], "3");
    assert_eq!(o["fillPx"], "60000");
    assert_eq!(o["execType"], "T");
    assert!(filled["arg"]["uid"].is_string());
    let pos = next_on(&mut ws, "positions", |v| v["data"][0]["pos"] == "-3").await;
    assert_eq!(pos["data"][0]["instId"], "BTC-USDT-SWAP");
    assert_eq!(pos["data"][0]["avgPx"], "60000");
}

#[tokio::test]
async fn candles_are_on_the_business_endpoint_only() {
    let server = start(config()).await;
    let arg = json!({"channel": "candle1m", "instId": "ETH-USDT-SWAP"});
    let mut public = connect(&server.base_url(), "/ws/v5/public").await;
    send(&mut public, json!({"op": "subscribe", "args": [arg]})).await;
    assert_eq!(next_json(&mut public).await["code"], "60018");
    let mut business = connect(&server.base_url(), "/ws/v5/business").await;
    send(&mut business, json!({"op": "subscribe", "args": [arg]})).await;
    assert_eq!(next_json(&mut business).await["event"], "subscribe");
    assert!(server.set_mark_price("ETH-USDT-SWAP", Decimal::from(3_001)));
    // A market order prints a trade: the candle moves.
    let c = Client::new(&server);
    c.post(
        "/api/v5/trade/order",
        json!({"instId": "ETH-USDT-SWAP", "tdMode": "cross", "side": "buy", "ordType": "market", "sz": "1"}),
    )
    .await;
    let candle = next_on(&mut business, "candle1m", |_| true).await;
    assert_eq!(candle["data"][0].as_array().unwrap().len(), 9);
}

#[tokio::test]
async fn algo_orders_push_on_the_business_channel_and_their_order_on_orders() {
    let server = start(config()).await;
    let arg = json!({"channel": "orders-algo", "instType": "ANY"});
    // Not on the private endpoint.
    let mut private = connect(&server.base_url(), "/ws/v5/private").await;
    send(&mut private, login_frame(SECRET, PASS)).await;
    assert_eq!(next_json(&mut private).await["code"], "0");
    send(&mut private, json!({"op": "subscribe", "args": [arg]})).await;
    assert_eq!(next_json(&mut private).await["code"], "60018");
    send(
        &mut private,
        json!({"op": "subscribe", "args": [{"channel": "orders", "instType": "SWAP"}]}),
    )
    .await;
    assert_eq!(next_json(&mut private).await["event"], "subscribe");
    // On the business endpoint, after a login.
    let mut business = connect(&server.base_url(), "/ws/v5/business").await;
    send(&mut business, json!({"op": "subscribe", "args": [arg]})).await;
    assert_eq!(next_json(&mut business).await["code"], "60011");
    send(&mut business, login_frame(SECRET, PASS)).await;
    assert_eq!(next_json(&mut business).await["code"], "0");
    send(&mut business, json!({"op": "subscribe", "args": [arg]})).await;
    assert_eq!(next_json(&mut business).await["event"], "subscribe");

    // A take-profit sell above the last price: pushed live on `orders-algo` only.
    let c = Client::new(&server);
    assert!(server.set_mark_price("BTC-USDT-SWAP", Decimal::from(60_000)));
    let (_, placed) = c
        .post(
            "/api/v5/trade/order-algo",
            json!({"instId": "BTC-USDT-SWAP", "tdMode": "cross", "side": "sell", "ordType": "conditional",
                   "sz": "1", "algoClOrdId": "tp1", "tpTriggerPx": "60500", "tpOrdPx": "60400"}),
        )
        .await;
    assert_eq!(placed["code"], "0", "{placed}");
    let live = next_on(&mut business, "orders-algo", |_| true).await;
    let row = &live["data"][0];
    assert_eq!(
        (row["state"].as_str(), row["algoClOrdId"].as_str()),
        (Some("live"), Some("tp1")),
        "{live}"
    );
    assert_eq!(row["tpTriggerPx"], "60500");
    assert!(live["arg"]["uid"].is_string(), "{live}");

    // Reached: `effective` with the order it placed, which `orders` shows as a limit order
    // naming the algo order.
    assert!(server.set_mark_price("BTC-USDT-SWAP", Decimal::from(60_500)));
    let fired = next_on(&mut business, "orders-algo", |_| true).await;
    let fired = &fired["data"][0];
    assert_eq!(fired["state"], "effective", "{fired}");
    let ord_id = fired["ordId"].as_str().unwrap().to_owned();
    let child = next_on(&mut private, "orders", |_| true).await;
    let child = &child["data"][0];
    assert_eq!(child["ordId"], ord_id.as_str(), "{child}");
    assert_eq!(child["algoClOrdId"], "tp1");
    assert_eq!(child["algoId"], fired["algoId"]);
    assert_eq!(
        (child["ordType"].as_str(), child["px"].as_str()),
        (Some("limit"), Some("60400"))
    );

    // A stop cancelled before it fires is pushed `canceled`; the regular channel never saw it.
    let (_, stop) = c
        .post(
            "/api/v5/trade/order-algo",
            json!({"instId": "BTC-USDT-SWAP", "tdMode": "cross", "side": "sell", "ordType": "conditional",
                   "sz": "1", "algoClOrdId": "sl1", "slTriggerPx": "50000", "slOrdPx": "-1"}),
        )
        .await;
    assert_eq!(stop["code"], "0", "{stop}");
    let (_, cancelled) = c
        .post(
            "/api/v5/trade/cancel-algos",
            json!([{"instId": "BTC-USDT-SWAP", "algoClOrdId": "sl1"}]),
        )
        .await;
    assert_eq!(cancelled["code"], "0", "{cancelled}");
    let gone = next_on(&mut business, "orders-algo", |v| {
        v["data"][0]["state"] == "canceled"
    })
    .await;
    assert_eq!(gone["data"][0]["algoClOrdId"], "sl1");
    // A regular order's push comes next on `orders`, not the stop's.
    c.post(
        "/api/v5/trade/order",
        json!({"instId": "BTC-USDT-SWAP", "tdMode": "cross", "side": "buy", "ordType": "limit",
               "px": "40000", "sz": "1", "clOrdId": "plain1"}),
    )
    .await;
    let next = next_on(&mut private, "orders", |v| {
        v["data"][0]["ordId"] != ord_id.as_str()
    })
    .await;
    assert_eq!(next["data"][0]["clOrdId"], "plain1", "{next}");
}
