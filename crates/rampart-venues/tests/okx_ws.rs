//! The OKX private stream against a tiny WebSocket peer on 127.0.0.1: the documented login
//! frame, OKX's `ping`/`pong` heartbeat, reconnection with a fresh login and `Connected`, and
//! a refused passphrase stopping the stream.

use std::time::Duration;

use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use hmac::{Hmac, KeyInit, Mac};
use rampart_venues::okx::{Okx, RestClient};
use rampart_venues::venue::{AccountUpdate, FeedEvent, FeedStatus, OrderStatus, Venue};
use sha2::Sha256;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

const KEY: &str = "985d5b66-57ce-40fb-b714-afc0b9787083";
const SECRET: &str = "22582BD0CFF14C41EDBF1AB98506286D";
const PASSPHRASE: &str = "Rampart1!";
const STEP: Duration = Duration::from_secs(5);

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Answers `GET /api/v5/public/time` as plain HTTP; hands anything else back as a socket
/// for the WebSocket handshake.
async fn time_or_ws(mut sock: TcpStream) -> Option<TcpStream> {
    let mut peek = [0u8; 64];
    let n = sock.peek(&mut peek).await.ok()?;
    if !peek[..n].starts_with(b"GET /api/v5/public/time") {
        return Some(sock);
    }
    let mut junk = vec![0u8; 4096];
    let _ = tokio::io::AsyncReadExt::read(&mut sock, &mut junk).await;
    let body = format!(
        r#"{{"code":"0","msg":"","data":[{{"ts":"{}"}}]}}"#,
        now_ms()
    );
    let reply = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = sock.write_all(reply.as_bytes()).await;
    None
}

type Server = tokio_tungstenite::WebSocketStream<TcpStream>;

/// Accepts every connection: answers the time, hands `/ws/v5/private` sessions to `private`,
/// and serves `/ws/v5/business` itself (login accepted, subscription read, pings answered),
/// reporting on `business_ready` once it is subscribed.
// The handshake callback's error type is tungstenite's own.
#[allow(clippy::result_large_err)]
async fn serve(
    listener: TcpListener,
    private: tokio::sync::mpsc::Sender<Server>,
    business_ready: tokio::sync::mpsc::Sender<()>,
) {
    loop {
        let Ok((sock, _)) = listener.accept().await else {
            return;
        };
        let Some(sock) = time_or_ws(sock).await else {
            continue;
        };
        let mut path = String::new();
        let accepted =
            tokio_tungstenite::accept_hdr_async(sock, |req: &Request, resp: Response| {
                path = req.uri().path().to_owned();
                Ok(resp)
            })
            .await;
        let Ok(mut ws) = accepted else { continue };
        match path.as_str() {
            "/ws/v5/private" => {
                let _ = private.send(ws).await;
            }
            "/ws/v5/business" => {
                let ready = business_ready.clone();
                tokio::spawn(async move {
                    check_login(&text(&mut ws).await.unwrap());
                    let ok = r#"{"event":"login","code":"0","msg":"","connId":"z"}"#;
                    ws.send(Message::text(ok)).await.unwrap();
                    let sub = text(&mut ws).await.unwrap();
                    assert!(sub.contains("orders-algo"), "{sub}");
                    let _ = ready.send(()).await;
                    while let Some(t) = text(&mut ws).await {
                        if t == "ping" && ws.send(Message::text("pong")).await.is_err() {
                            return;
                        }
                    }
                });
            }
            other => panic!("unexpected stream path {other}"),
        }
    }
}

async fn text(ws: &mut tokio_tungstenite::WebSocketStream<TcpStream>) -> Option<String> {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .ok()??
        {
            Ok(Message::Text(t)) => return Some(t.to_string()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

fn check_login(frame: &str) {
    let v: serde_json::Value = serde_json::from_str(frame).unwrap();
    assert_eq!(v["op"], "login");
    let a = &v["args"][0];
    assert_eq!(a["apiKey"], KEY);
    assert_eq!(a["passphrase"], PASSPHRASE);
    let ts = a["timestamp"].as_str().unwrap();
    let secs: i64 = ts.parse().expect("seconds");
    assert!(
        (secs - now_ms() / 1000).abs() <= 5,
        "timestamp in seconds: {ts}"
    );
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{ts}GET/users/self/verify").as_bytes());
    let sign = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(a["sign"], sign.as_str());
}

async fn event<T: std::fmt::Debug>(feed: &mut rampart_venues::venue::Feed<T>) -> FeedEvent<T> {
    tokio::time::timeout(STEP, feed.next())
        .await
        .expect("an event in time")
        .expect("the feed is running")
}

#[tokio::test]
async fn login_heartbeat_reconnect_and_a_refused_passphrase() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let client = RestClient::new(&base, KEY, SECRET, PASSPHRASE)
        .unwrap()
        .with_ws_heartbeat(Duration::from_millis(300));
    let okx = Okx::new(client);
    let (private_tx, mut private_rx) = tokio::sync::mpsc::channel::<Server>(4);
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(4);
    let accept = tokio::spawn(serve(listener, private_tx, ready_tx));
    let server = tokio::spawn(async move {
        // 1: login (answered once the business stream is subscribed), subscribe, answer a
        // ping, push an order, close.
        let mut ws = tokio::time::timeout(STEP, private_rx.recv())
            .await
            .unwrap()
            .unwrap();
        check_login(&text(&mut ws).await.unwrap());
        tokio::time::timeout(STEP, ready_rx.recv())
            .await
            .unwrap()
            .unwrap();
        ws.send(Message::text(
            r#"{"event":"login","code":"0","msg":"","connId":"a4d3ae55"}"#,
        ))
        .await
        .unwrap();
        let sub: serde_json::Value = serde_json::from_str(&text(&mut ws).await.unwrap()).unwrap();
        assert_eq!(sub["op"], "subscribe");
        let channels: Vec<&str> = sub["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["channel"].as_str().unwrap())
            .collect();
        assert_eq!(channels, ["orders", "positions", "account"]);
        assert_eq!(
            text(&mut ws).await.as_deref(),
            Some("ping"),
            "heartbeat after silence"
        );
        ws.send(Message::text("pong")).await.unwrap();
        ws.send(Message::text(r#"{"arg":{"channel":"orders","instType":"SWAP","uid":"1"},"data":[{"instId":"BTC-USDT-SWAP","ordId":"9","clOrdId":"rmpA","px":"30000","sz":"2","ordType":"limit","side":"buy","posSide":"net","accFillSz":"0","avgPx":"","state":"live","reduceOnly":"false","uTime":"10","cTime":"10"}]}"#)).await.unwrap();
        ws.close(None).await.unwrap();
        drop(ws);
        // 2: a new login; then silence, with no pong: the client gives up on it.
        let mut ws = tokio::time::timeout(STEP, private_rx.recv())
            .await
            .unwrap()
            .unwrap();
        check_login(&text(&mut ws).await.unwrap());
        ws.send(Message::text(
            r#"{"event":"login","code":"0","msg":"","connId":"b"}"#,
        ))
        .await
        .unwrap();
        let _subscribe = text(&mut ws).await.unwrap();
        assert_eq!(text(&mut ws).await.as_deref(), Some("ping"));
        // No pong: wait for the client to drop the connection.
        while text(&mut ws).await.is_some() {}
        // 3: the passphrase is refused.
        let mut ws = tokio::time::timeout(STEP, private_rx.recv())
            .await
            .unwrap()
            .unwrap();
        let _login = text(&mut ws).await.unwrap();
        ws.send(Message::text(
            r#"{"event":"error","code":"60024","msg":"Wrong passphrase","connId":"c"}"#,
        ))
        .await
        .unwrap();
        let _ = text(&mut ws).await;
    });
    okx.sync_clock().await.unwrap();
    let mut feed = okx.account_feed().await.unwrap();
    // The business stream's Connected (conditional orders) and the private stream's, then
    // the order; the two streams' events may interleave.
    let mut connected = 0;
    let mut order = None;
    for _ in 0..3 {
        match event(&mut feed).await {
            FeedEvent::Status(FeedStatus::Connected) => connected += 1,
            FeedEvent::Update(AccountUpdate::Order(o)) => order = Some(o),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(connected, 2);
    let order = order.expect("the pushed order");
    assert_eq!(order.client_order_id, "rmpA");
    assert_eq!(order.status, OrderStatus::Open);
    assert!(matches!(
        event(&mut feed).await,
        FeedEvent::Status(FeedStatus::Lost(_))
    ));
    assert_eq!(
        event(&mut feed).await,
        FeedEvent::Status(FeedStatus::Connected),
        "after a reconnect"
    );
    match event(&mut feed).await {
        FeedEvent::Status(FeedStatus::Lost(why)) => assert!(why.contains("pong"), "{why}"),
        other => panic!("expected Lost, got {other:?}"),
    }
    match event(&mut feed).await {
        FeedEvent::Status(FeedStatus::Stopped(why)) => assert!(why.contains("passphrase"), "{why}"),
        other => panic!("expected Stopped, got {other:?}"),
    }
    assert!(feed.messages() >= 1, "the pushed order was counted");
    tokio::time::timeout(STEP, server).await.unwrap().unwrap();
    accept.abort();
}
