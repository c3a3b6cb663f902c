//! The OKX market feed against a tiny WebSocket peer on 127.0.0.1: no login, the documented
//! subscriptions on `/ws/v5/public` and `/ws/v5/business`, and the pushes made into mark,
//! book (kept from a snapshot and its updates), trade and candle updates.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rampart_venues::okx::{Okx, RestClient};
use rampart_venues::venue::{
    CandleInterval, FeedEvent, FeedStatus, MarketSubscription, MarketUpdate, Venue,
};
use rust_decimal::Decimal;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

const STEP: Duration = Duration::from_secs(5);

// The handshake callback's error type is tungstenite's own.
#[allow(clippy::result_large_err)]
async fn serve(listener: TcpListener) {
    loop {
        let Ok((sock, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(async move {
            let mut path = String::new();
            let accepted =
                tokio_tungstenite::accept_hdr_async(sock, |req: &Request, resp: Response| {
                    path = req.uri().path().to_owned();
                    Ok(resp)
                })
                .await;
            let Ok(mut ws) = accepted else { return };
            let Some(Ok(Message::Text(sub))) = ws.next().await else {
                return;
            };
            let sub: serde_json::Value = serde_json::from_str(&sub).unwrap();
            assert_eq!(sub["op"], "subscribe", "no login on public streams");
            let pushes: Vec<&str> = match path.as_str() {
                "/ws/v5/public" => {
                    assert_eq!(
                        sub["args"],
                        serde_json::json!([
                            {"channel":"mark-price","instId":"BTC-USDT-SWAP"},
                            {"channel":"books","instId":"BTC-USDT-SWAP"},
                            {"channel":"trades","instId":"BTC-USDT-SWAP"}
                        ])
                    );
                    vec![
                        r#"{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT-SWAP"},"connId":"a"}"#,
                        r#"{"arg":{"channel":"books","instId":"BTC-USDT-SWAP"},"action":"snapshot","data":[{"asks":[["8476.98","415","0","13"],["8477","7","0","2"]],"bids":[["8476.97","256","0","12"],["8475.55","101","0","1"]],"ts":"1597026383085","checksum":2123921068,"prevSeqId":-1,"seqId":123456}]}"#,
                        r#"{"arg":{"channel":"books","instId":"BTC-USDT-SWAP"},"action":"update","data":[{"asks":[["8476.98","0","0","0"]],"bids":[],"ts":"1597026383185","checksum":20309439,"prevSeqId":123456,"seqId":123457}]}"#,
                        r#"{"arg":{"channel":"mark-price","instId":"BTC-USDT-SWAP"},"data":[{"instType":"SWAP","instId":"BTC-USDT-SWAP","markPx":"8476.5","ts":"1597026383200"}]}"#,
                        r#"{"arg":{"channel":"trades","instId":"BTC-USDT-SWAP"},"data":[{"instId":"BTC-USDT-SWAP","tradeId":"130639474","px":"8477","sz":"3","side":"sell","ts":"1597026383300","count":"1"}]}"#,
                    ]
                }
                "/ws/v5/business" => {
                    assert_eq!(
                        sub["args"],
                        serde_json::json!([{"channel":"candle1m","instId":"BTC-USDT-SWAP"}])
                    );
                    vec![
                        r#"{"arg":{"channel":"candle1m","instId":"BTC-USDT-SWAP"},"data":[["1597026360000","8533.02","8553.74","8527.17","8548.26","45247","529.5858061","529.58","0"]]}"#,
                    ]
                }
                other => panic!("unexpected path {other}"),
            };
            for p in pushes {
                ws.send(Message::text(p)).await.unwrap();
            }
            while let Some(Ok(m)) = ws.next().await {
                if m == Message::text("ping") && ws.send(Message::text("pong")).await.is_err() {
                    return;
                }
            }
        });
    }
}

#[tokio::test]
async fn the_market_feed_subscribes_as_documented_and_keeps_the_book() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(serve(listener));
    let okx = Okx::new(
        RestClient::new(
            &base,
            "985d5b66-57ce-40fb-b714-afc0b9787083",
            "22582BD0CFF14C41EDBF1AB98506286D",
            "Rampart1!",
        )
        .unwrap(),
    );
    let sub = MarketSubscription {
        book_depth: 10,
        trades: true,
        candles: Some(CandleInterval::M1),
    };
    let mut feed = okx.market_feed("BTC-USDT-SWAP", sub).await.unwrap();
    let (mut connected, mut books, mut mark, mut trade, mut candle) =
        (0, Vec::new(), None, None, None);
    for _ in 0..7 {
        let e = tokio::time::timeout(STEP, feed.next())
            .await
            .expect("an event in time")
            .expect("the feed runs");
        match e {
            FeedEvent::Status(FeedStatus::Connected) => connected += 1,
            FeedEvent::Update(MarketUpdate::Book(b)) => books.push(b),
            FeedEvent::Update(MarketUpdate::Mark(m)) => mark = Some(m),
            FeedEvent::Update(MarketUpdate::Trade(t)) => trade = Some(t),
            FeedEvent::Update(MarketUpdate::Candle {
                interval,
                candle: c,
            }) => {
                assert_eq!(interval, CandleInterval::M1);
                candle = Some(c);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(connected, 2, "public and business streams");
    assert_eq!(books.len(), 2);
    assert_eq!(
        books[0].asks[0].price,
        "8476.98".parse::<Decimal>().unwrap()
    );
    assert_eq!(
        books[1].asks[0].price,
        Decimal::from(8477),
        "the level was removed"
    );
    assert_eq!(books[1].bids.len(), 2);
    assert_eq!(books[1].update_id, 123_457);
    assert_eq!(mark.unwrap().mark, "8476.5".parse::<Decimal>().unwrap());
    assert_eq!(trade.unwrap().qty, Decimal::from(3));
    assert!(!candle.unwrap().closed);
    server.abort();
}
