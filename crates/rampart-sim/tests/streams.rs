//! The simulator's WebSocket streams as a third-party Binance USDⓈ-M client sees them, over real
//! loopback sockets: market streams raw and combined as the price moves, live subscriptions, the
//! user data stream after a signed order, listen keys ending and dropped connections.
//!
//! Requests are signed with the tests' own HMAC code (`common::sign`), from Binance's documented rule:
//! `signature` = HMAC-SHA256 (hex) keyed with the API secret, over `totalParams`, the query
//! string concatenated with the request body.

mod common;

use common::{Client, KEY, WAIT, account, closes, connect, next_json, now_ms, sign, sim_with};
use futures_util::SinkExt;
use rampart_sim::binance_usdm::{SimConfig, SimServer};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

async fn sim() -> SimServer {
    sim_with(SimConfig {
        accounts: vec![account()],
        ..Default::default()
    })
    .await
}

/// Checks one `markPriceUpdate` payload's shape and returns its mark price.
fn mark_price_of(payload: &Value) -> Decimal {
    assert_eq!(payload["e"], "markPriceUpdate", "{payload}");
    assert_eq!(payload["s"], "BTCUSDT", "{payload}");
    assert!(
        payload["E"].as_i64().unwrap() > 1_700_000_000_000,
        "{payload}"
    );
    for field in ["p", "i", "r"] {
        let text = payload[field]
            .as_str()
            .unwrap_or_else(|| panic!("{field} in {payload}"));
        text.parse::<Decimal>()
            .unwrap_or_else(|_| panic!("{field} is a decimal string in {payload}"));
    }
    payload["p"].as_str().unwrap().parse().unwrap()
}

/// The next BTCUSDT mark price on `client`; `unwrap` takes the payload out of a frame, or
/// `None` for a frame of another stream.
async fn next_btc_mark(client: &mut Client, unwrap: &impl Fn(&Value) -> Option<Value>) -> Decimal {
    for _ in 0..200 {
        if let Some(payload) = unwrap(&next_json(client).await) {
            return mark_price_of(&payload);
        }
    }
    panic!("no BTCUSDT mark price in 200 frames");
}

/// Reads BTCUSDT mark prices until two differ; bounded by `WAIT` a frame and 200 frames.
async fn sees_the_price_move(client: &mut Client, unwrap: impl Fn(&Value) -> Option<Value>) {
    let first = next_btc_mark(client, &unwrap).await;
    for _ in 0..200 {
        if next_btc_mark(client, &unwrap).await != first {
            return;
        }
    }
    panic!("the mark price never moved from {first}");
}

#[tokio::test]
async fn mark_price_raw_and_combined_as_the_price_moves() {
    let server = sim().await;
    let ws = server.ws_base_url();
    let mut raw = connect(format!("{ws}/ws/btcusdt@markPrice")).await;
    let mut combined = connect(format!(
        "{ws}/stream?streams=btcusdt@markPrice/ethusdt@markPrice"
    ))
    .await;

    sees_the_price_move(&mut raw, |v| {
        assert!(
            v.get("stream").is_none(),
            "raw payloads are not wrapped: {v}"
        );
        Some(v.clone())
    })
    .await;
    let mut saw_eth = false;
    sees_the_price_move(&mut combined, |v| {
        let stream = v["stream"].as_str().expect("combined payloads are wrapped");
        match stream {
            "btcusdt@markPrice" => Some(v["data"].clone()),
            "ethusdt@markPrice" => {
                assert_eq!(v["data"]["s"], "ETHUSDT", "{v}");
                None
            }
            other => panic!("a stream not subscribed to: {other}"),
        }
    })
    .await;
    // Both subscribed streams arrive on the one connection.
    for _ in 0..50 {
        if next_json(&mut combined).await["stream"] == "ethusdt@markPrice" {
            saw_eth = true;
            break;
        }
    }
    assert!(
        saw_eth,
        "ethusdt@markPrice arrived on the combined connection"
    );
    server.stop().await;
}

#[tokio::test]
async fn live_subscribe_adds_a_stream() {
    let server = sim().await;
    let mut client = connect(format!("{}/ws", server.ws_base_url())).await;
    client
        .send(Message::text(
            r#"{"method":"SUBSCRIBE","params":["btcusdt@markPrice"],"id":1}"#,
        ))
        .await
        .unwrap();
    // The answer comes first; events only after it.
    assert_eq!(
        next_json(&mut client).await,
        json!({ "result": null, "id": 1 })
    );
    mark_price_of(&next_json(&mut client).await);
    client
        .send(Message::text(r#"{"method":"LIST_SUBSCRIPTIONS","id":2}"#))
        .await
        .unwrap();
    loop {
        let frame = next_json(&mut client).await;
        if frame.get("id").is_some() {
            assert_eq!(frame, json!({ "result": ["btcusdt@markPrice"], "id": 2 }));
            break;
        }
        mark_price_of(&frame);
    }
    server.stop().await;
}

async fn new_listen_key(http: &reqwest::Client, base: &str) -> String {
    let answer: Value = http
        .post(format!("{base}/fapi/v1/listenKey"))
        .header("X-MBX-APIKEY", KEY)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["listenKey"]
        .as_str()
        .expect("a listenKey")
        .to_owned()
}

#[tokio::test]
async fn user_data_stream_reports_a_signed_order() {
    let server = sim().await;
    let base = server.base_url();
    let http = reqwest::Client::builder().timeout(WAIT).build().unwrap();
    let key = new_listen_key(&http, &base).await;
    let mut user = connect(format!("{}/ws/{key}", server.ws_base_url())).await;

    // A resting buy 2% under the current mark price, on BTCUSDT's 0.10 tick.
    let mut market = connect(format!("{}/ws/btcusdt@markPrice", server.ws_base_url())).await;
    let mark = mark_price_of(&next_json(&mut market).await);
    let price = (mark * Decimal::new(98, 2) / Decimal::new(1, 1)).floor() * Decimal::new(1, 1);
    let body = format!(
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.002&price={price}\
         &newClientOrderId=stream-test-1&recvWindow=5000&timestamp={}",
        now_ms()
    );
    let signed = format!("{body}&signature={}", sign(&body));
    let placed = http
        .post(format!("{base}/fapi/v1/order"))
        .header("X-MBX-APIKEY", KEY)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(signed)
        .send()
        .await
        .unwrap();
    assert_eq!(placed.status(), 200, "{}", placed.text().await.unwrap());

    for _ in 0..20 {
        let event = next_json(&mut user).await;
        if event["e"] == "ORDER_TRADE_UPDATE" {
            let order = &event["o"];
            assert_eq!(order["s"], "BTCUSDT", "{event}");
            assert_eq!(order["c"], "stream-test-1", "{event}");
            assert_eq!(order["S"], "BUY", "{event}");
            assert_eq!(order["o"], "LIMIT", "{event}");
            assert!(event["E"].as_i64().unwrap() > 1_700_000_000_000);
            server.stop().await;
            return;
        }
    }
    panic!("no ORDER_TRADE_UPDATE for the order");
}

#[tokio::test]
async fn a_deleted_listen_key_ends_its_stream_with_listen_key_expired() {
    let server = sim().await;
    let base = server.base_url();
    let http = reqwest::Client::builder().timeout(WAIT).build().unwrap();
    let key = new_listen_key(&http, &base).await;
    let mut user = connect(format!("{}/ws/{key}", server.ws_base_url())).await;
    let deleted = http
        .delete(format!("{base}/fapi/v1/listenKey"))
        .header("X-MBX-APIKEY", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    let mut expired = false;
    for _ in 0..20 {
        let event = next_json(&mut user).await;
        if event["e"] == "listenKeyExpired" {
            expired = true;
            break;
        }
    }
    assert!(expired, "listenKeyExpired arrived");
    assert!(closes(&mut user).await, "then the stream closed");

    // The key is gone: a new connection with it is refused at the handshake.
    let refused =
        tokio_tungstenite::connect_async(format!("{}/ws/{key}", server.ws_base_url())).await;
    assert!(
        refused.is_err(),
        "a deleted listen key no longer opens a stream"
    );
    server.stop().await;
}

#[tokio::test]
async fn drop_stream_connections_closes_open_sockets() {
    let server = sim().await;
    let ws = server.ws_base_url();
    let mut raw = connect(format!("{ws}/ws/btcusdt@markPrice")).await;
    let mut combined = connect(format!("{ws}/stream?streams=btcusdt@bookTicker")).await;
    // Wait for the raw connection to be live (a first event), then drop everything.
    mark_price_of(&next_json(&mut raw).await);
    server.drop_stream_connections();
    assert!(closes(&mut raw).await, "the raw stream closed");
    assert!(closes(&mut combined).await, "the combined stream closed");
    // New connections are served again.
    let mut again = connect(format!("{ws}/ws/btcusdt@markPrice")).await;
    mark_price_of(&next_json(&mut again).await);
    server.stop().await;
}

#[tokio::test]
async fn stop_ends_stream_connections_too() {
    let server = sim().await;
    let mut raw = connect(format!("{}/ws/btcusdt@markPrice", server.ws_base_url())).await;
    mark_price_of(&next_json(&mut raw).await);
    tokio::time::timeout(WAIT, server.stop())
        .await
        .expect("stop returns in time");
    assert!(closes(&mut raw).await);
}
