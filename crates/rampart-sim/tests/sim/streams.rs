//! The simulator's WebSocket streams as a third-party Binance USDⓈ-M client sees them, over real
//! loopback sockets: market streams raw and combined as the price moves, live subscriptions, the
//! user data stream after a signed order, listen keys ending and dropped connections.
//!
//! Requests are signed with the tests' own HMAC code (`support::sign`), from Binance's documented rule:
//! `signature` = HMAC-SHA256 (hex) keyed with the API secret, over `totalParams`, the query
//! string concatenated with the request body.

use super::support;
use super::support::{
    Client, KEY, WAIT, account, closes, connect, next_json, now_ms, sign, sim_with,
};
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

// ---------------------------------------------------------------------------------------------
// Routed paths, book streams and trades (issue 8: "Streams as Binance serves them now").

/// Sends a `LIST_SUBSCRIPTIONS` and returns its answer, skipping any event before it. Once
/// answered, the connection's task is running: it hears every event published after this.
async fn list(client: &mut Client, id: u64) -> Value {
    client
        .send(Message::text(format!(
            r#"{{"method":"LIST_SUBSCRIPTIONS","id":{id}}}"#
        )))
        .await
        .unwrap();
    for _ in 0..200 {
        let frame = next_json(client).await;
        if frame.get("id").is_some() {
            return frame;
        }
    }
    panic!("no answer to LIST_SUBSCRIPTIONS in 200 frames");
}

async fn quiet_sim() -> SimServer {
    sim_with(support::quiet_config(3)).await
}

/// `GET /fapi/v1/depth?symbol=BTCUSDT&limit=1000`.
async fn rest_depth(server: &SimServer) -> Value {
    let url = format!(
        "{}/fapi/v1/depth?symbol=BTCUSDT&limit=1000",
        server.base_url()
    );
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// `[["price","qty"], …]` as decimals.
fn levels(list: &Value) -> Levels {
    list.as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                support::dec(l[0].as_str().unwrap()),
                support::dec(l[1].as_str().unwrap()),
            )
        })
        .collect()
}

/// Price levels, `(price, qty)`, best first.
type Levels = Vec<(Decimal, Decimal)>;

/// A book kept by Binance's "How to manage a local order book correctly".
struct LocalBook {
    last_u: u64,
    bids: std::collections::BTreeMap<Decimal, Decimal>,
    asks: std::collections::BTreeMap<Decimal, Decimal>,
}

impl LocalBook {
    fn from_snapshot(snapshot: &Value) -> LocalBook {
        LocalBook {
            last_u: snapshot["lastUpdateId"].as_u64().unwrap(),
            bids: levels(&snapshot["bids"]).into_iter().collect(),
            asks: levels(&snapshot["asks"]).into_iter().collect(),
        }
    }

    fn apply(&mut self, event: &Value) {
        for (side, book) in [("b", &mut self.bids), ("a", &mut self.asks)] {
            for (price, qty) in levels(&event[side]) {
                if qty.is_zero() {
                    book.remove(&price);
                } else {
                    book.insert(price, qty);
                }
            }
        }
        self.last_u = event["u"].as_u64().unwrap();
    }

    /// Bids best first, asks best first.
    fn sides(&self) -> (Levels, Levels) {
        let bids = self.bids.iter().rev().map(|(p, q)| (*p, *q)).collect();
        let asks = self.asks.iter().map(|(p, q)| (*p, *q)).collect();
        (bids, asks)
    }
}

#[tokio::test]
async fn the_documented_local_order_book_procedure_tracks_the_rest_book() {
    let server = quiet_sim().await;
    let ws = server.ws_base_url();
    // The price moves first while another symbol's stream is the only one open: no BTCUSDT
    // event is built then, and the depth ids must still join up with the snapshot below.
    let mut other = connect(format!("{ws}/ws/ethusdt@depth")).await;
    server.step_prices(20);
    let _ = next_json(&mut other).await;
    // 1. Open the stream; 2. buffer its events.
    let mut stream = connect(format!("{ws}/public/stream?streams=btcusdt@depth@100ms")).await;
    assert_eq!(
        list(&mut stream, 1).await["result"],
        json!(["btcusdt@depth@100ms"])
    );
    server.step_prices(5);
    // 3. The snapshot, while events keep coming.
    let snapshot = rest_depth(&server).await;
    let last_update_id = snapshot["lastUpdateId"].as_u64().unwrap();
    server.step_prices(5);
    // A move that surely changes the book, then the book it must end at.
    let mark = server.mark_price("BTCUSDT").unwrap();
    server.set_mark_price("BTCUSDT", mark + Decimal::new(25, 1));
    let end = rest_depth(&server).await;
    let end_id = end["lastUpdateId"].as_u64().unwrap();

    let mut book = LocalBook::from_snapshot(&snapshot);
    let mut first = true;
    let mut previous_u = 0;
    for _ in 0..100 {
        let frame = next_json(&mut stream).await;
        assert_eq!(frame["stream"], "btcusdt@depth@100ms", "{frame}");
        let event = &frame["data"];
        assert_eq!(event["e"], "depthUpdate");
        let (big_u, u, pu) = (
            event["U"].as_u64().unwrap(),
            event["u"].as_u64().unwrap(),
            event["pu"].as_u64().unwrap(),
        );
        assert!(big_u <= u, "{event}");
        if !first || previous_u != 0 {
            assert_eq!(pu, previous_u, "pu is the previous event's u: {event}");
        }
        previous_u = u;
        // 4. Drop events older than the snapshot.
        if u < last_update_id {
            continue;
        }
        // 5. The first one applied straddles the snapshot.
        if first {
            assert!(big_u <= last_update_id && last_update_id <= u, "{event}");
            first = false;
        }
        book.apply(event);
        if u >= end_id {
            break;
        }
    }
    assert_eq!(book.last_u, end_id, "the stream reached the final book");
    let (bids, asks) = book.sides();
    assert_eq!(bids, levels(&end["bids"]), "bids match GET /fapi/v1/depth");
    assert_eq!(asks, levels(&end["asks"]), "asks match GET /fapi/v1/depth");
    assert!(bids[0].0 < asks[0].0);
    server.stop().await;
}

#[tokio::test]
async fn partial_depth_carries_the_best_levels() {
    let server = quiet_sim().await;
    let ws = server.ws_base_url();
    let mut client = connect(format!("{ws}/public/ws/btcusdt@depth5@100ms")).await;
    list(&mut client, 1).await;
    server.set_mark_price("BTCUSDT", support::dec("60100"));
    let event = next_json(&mut client).await;
    assert_eq!(event["e"], "depthUpdate", "{event}");
    let rest = rest_depth(&server).await;
    assert_eq!(levels(&event["b"]), levels(&rest["bids"])[..5].to_vec());
    assert_eq!(levels(&event["a"]), levels(&rest["asks"])[..5].to_vec());
    assert_eq!(event["u"], rest["lastUpdateId"]);
    server.stop().await;
}

#[tokio::test]
async fn routes_carry_only_their_kind_of_stream() {
    let server = quiet_sim().await;
    let ws = server.ws_base_url();
    // Book data on /market stays silent; mark prices arrive.
    let mut market = connect(format!(
        "{ws}/market/stream?streams=btcusdt@depth/btcusdt@markPrice"
    ))
    .await;
    let mut public = connect(format!("{ws}/public/ws/btcusdt@depth")).await;
    list(&mut market, 1).await;
    list(&mut public, 1).await;
    server.set_mark_price("BTCUSDT", support::dec("60010"));
    server.set_mark_price("BTCUSDT", support::dec("60020"));
    let first = next_json(&mut market).await;
    assert_eq!(first["stream"], "btcusdt@markPrice", "{first}");
    let second = next_json(&mut market).await;
    assert_eq!(
        second["stream"], "btcusdt@markPrice",
        "no depth between two mark prices on /market: {second}"
    );
    // /public carries the depth of both moves.
    for _ in 0..2 {
        assert_eq!(next_json(&mut public).await["e"], "depthUpdate");
    }
    // Market streams on /public stay silent too: only the subscription answer comes back.
    public
        .send(Message::text(
            r#"{"method":"SUBSCRIBE","params":["btcusdt@markPrice"],"id":2}"#,
        ))
        .await
        .unwrap();
    assert_eq!(
        next_json(&mut public).await,
        json!({ "result": null, "id": 2 })
    );
    server.set_mark_price("BTCUSDT", support::dec("60030"));
    assert_eq!(next_json(&mut public).await["e"], "depthUpdate");
    server.stop().await;
}

#[tokio::test]
async fn agg_trades_follow_a_fill() {
    let server = quiet_sim().await;
    let ws = server.ws_base_url();
    let mut trades = connect(format!("{ws}/market/ws/btcusdt@aggTrade")).await;
    list(&mut trades, 1).await;
    // Best ask 60000.1 holds 0.5, the next level 1.0: a buy of 0.7 takes two levels.
    let placed = support::market(&server, "BUY", "0.7").await;
    assert_eq!(placed.status, 200, "{}", placed.body);
    let one = next_json(&mut trades).await;
    let two = next_json(&mut trades).await;
    for (event, price, qty) in [(&one, "60000.10", "0.500"), (&two, "60000.20", "0.200")] {
        assert_eq!(event["e"], "aggTrade", "{event}");
        assert_eq!(event["s"], "BTCUSDT");
        assert_eq!(event["p"], price);
        assert_eq!(event["q"], qty);
        assert_eq!(event["m"], false, "a taker buy: the buyer is not the maker");
        assert_eq!(event["f"], event["l"]);
    }
    assert!(two["a"].as_u64().unwrap() > one["a"].as_u64().unwrap());
    server.stop().await;
}

#[tokio::test]
async fn private_route_takes_the_listen_key_in_the_query_and_filters_events() {
    let server = quiet_sim().await;
    let http = reqwest::Client::builder().timeout(WAIT).build().unwrap();
    let key = new_listen_key(&http, &server.base_url()).await;
    let ws = server.ws_base_url();
    let mut orders = connect(format!(
        "{ws}/private/ws?listenKey={key}&events=ORDER_TRADE_UPDATE"
    ))
    .await;
    let mut everything = connect(format!("{ws}/private/ws/{key}")).await;
    list(&mut orders, 1).await;
    list(&mut everything, 1).await;
    let placed = support::market(&server, "BUY", "0.7").await;
    assert_eq!(placed.status, 200, "{}", placed.body);
    // Two fills: TRADE, ACCOUNT_UPDATE, TRADE (FILLED), ACCOUNT_UPDATE.
    let mut seen = Vec::new();
    for _ in 0..20 {
        let event = next_json(&mut orders).await;
        assert_eq!(
            event["e"], "ORDER_TRADE_UPDATE",
            "only the events asked for: {event}"
        );
        seen.push(event["o"]["X"].as_str().unwrap().to_owned());
        if event["o"]["X"] == "FILLED" {
            break;
        }
    }
    assert_eq!(seen.last().map(String::as_str), Some("FILLED"), "{seen:?}");
    let mut account_updates = 0;
    for _ in 0..20 {
        let event = next_json(&mut everything).await;
        if event["e"] == "ACCOUNT_UPDATE" {
            account_updates += 1;
            if account_updates == 2 {
                break;
            }
        }
    }
    assert_eq!(
        account_updates, 2,
        "without events=, every event type arrives"
    );
    // A market stream on /private stays silent; an unknown key is refused at the handshake.
    let refused =
        tokio_tungstenite::connect_async(format!("{ws}/private/ws?listenKey=nosuchkey")).await;
    assert!(refused.is_err(), "an unknown listen key is refused");
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// The 24hr rolling window ticker (`<symbol>@ticker`, "Individual Symbol Ticker Streams").

/// A field of a ticker payload that Binance sends as a decimal string.
fn decimal_field(event: &Value, field: &str) -> Decimal {
    let text = event[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is a string in {event}"));
    support::dec(text)
}

/// The next frame on `client` that is a BTCUSDT `24hrTicker` satisfying `wanted`; tickers come
/// every 2 s, so at most 5 of them are read.
async fn next_ticker(client: &mut Client, wanted: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..5 {
        let event = next_json(client).await;
        assert_eq!(event["e"], "24hrTicker", "{event}");
        assert_eq!(event["s"], "BTCUSDT", "{event}");
        if wanted(&event) {
            return event;
        }
    }
    panic!("no wanted ticker in 5");
}

#[tokio::test]
async fn the_24hr_ticker_sums_the_last_day_of_candles_and_names_the_last_trades() {
    let server = quiet_sim().await;
    let ws = server.ws_base_url();
    let mut market = connect(format!("{ws}/market/ws/btcusdt@ticker")).await;
    let mut legacy = connect(format!("{ws}/stream?streams=btcusdt@ticker")).await;
    let mut public = connect(format!("{ws}/public/ws/btcusdt@ticker")).await;
    let mut trades = connect(format!("{ws}/market/ws/btcusdt@aggTrade")).await;
    let mut mini = connect(format!("{ws}/market/ws/btcusdt@miniTicker")).await;
    for client in [
        &mut market,
        &mut legacy,
        &mut public,
        &mut trades,
        &mut mini,
    ] {
        list(client, 1).await;
    }

    // Two fills (two book levels), then the first ticker that counts them.
    let placed = support::market(&server, "BUY", "0.7").await;
    assert_eq!(placed.status, 200, "{}", placed.body);
    let first = next_json(&mut trades).await;
    let second = next_json(&mut trades).await;
    assert_eq!(
        (first["e"].as_str(), second["e"].as_str()),
        (Some("aggTrade"), Some("aggTrade"))
    );
    let last_id = second["a"].as_i64().unwrap();
    let ticker = next_ticker(&mut market, |t| t["L"].as_i64() == Some(last_id)).await;

    // Every documented field, numbers as numbers and prices and quantities as strings.
    for field in ["E", "O", "C", "F", "L", "n"] {
        assert!(ticker[field].is_i64(), "{field} is a number in {ticker}");
    }
    for field in ["p", "P", "w", "c", "Q", "o", "h", "l", "v", "q"] {
        decimal_field(&ticker, field);
    }
    assert_eq!(ticker["F"], first["a"], "first trade id: {ticker}");
    assert_eq!(
        decimal_field(&ticker, "Q"),
        support::dec(second["q"].as_str().unwrap()),
        "last quantity"
    );
    assert_eq!(
        decimal_field(&ticker, "c"),
        support::dec(second["p"].as_str().unwrap()),
        "last price"
    );

    // The window: the 1440 one-minute candles up to the event (nothing moves in a quiet
    // simulator, so GET /fapi/v1/klines shows the same candles).
    let (open_time, event_time) = (ticker["O"].as_i64().unwrap(), ticker["E"].as_i64().unwrap());
    assert_eq!(ticker["C"], ticker["E"]);
    assert_eq!(open_time, event_time - event_time % 60_000 - 1439 * 60_000);
    let url = format!(
        "{}/fapi/v1/klines?symbol=BTCUSDT&interval=1m&startTime={open_time}&endTime={event_time}&limit=1500",
        server.base_url()
    );
    let candles: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    let candles = candles.as_array().unwrap();
    assert_eq!(candles.len(), 1440, "one candle a minute for 24 hours");
    let column = |i: usize| -> Vec<Decimal> {
        candles
            .iter()
            .map(|c| support::dec(c[i].as_str().unwrap()))
            .collect()
    };
    let (opens, highs, lows, closes) = (column(1), column(2), column(3), column(4));
    let volume: Decimal = column(5).iter().sum();
    let quote: Decimal = column(7).iter().sum();
    let count: u64 = candles.iter().map(|c| c[8].as_u64().unwrap()).sum();
    let open = opens[0];
    let close = *closes.last().unwrap();
    assert_eq!(decimal_field(&ticker, "o"), open);
    assert_eq!(decimal_field(&ticker, "c"), close);
    assert_eq!(
        decimal_field(&ticker, "h"),
        highs.iter().copied().max().unwrap()
    );
    assert_eq!(
        decimal_field(&ticker, "l"),
        lows.iter().copied().min().unwrap()
    );
    assert_eq!(decimal_field(&ticker, "v"), volume);
    assert_eq!(decimal_field(&ticker, "q"), quote);
    assert_eq!(ticker["n"].as_u64(), Some(count));
    assert_eq!(decimal_field(&ticker, "p"), close - open);
    assert_eq!(
        decimal_field(&ticker, "P"),
        ((close - open) / open * Decimal::ONE_HUNDRED).round_dp(3)
    );
    // The weighted average at the price precision (BTCUSDT's prices carry 2 decimals).
    assert_eq!(decimal_field(&ticker, "w"), (quote / volume).round_dp(2));

    // The mini ticker of the same moment: the same window, fewer fields.
    let mut same = Value::Null;
    for _ in 0..5 {
        same = next_json(&mut mini).await;
        if same["E"] == ticker["E"] {
            break;
        }
    }
    assert_eq!(same["e"], "24hrMiniTicker", "{same}");
    let mut keys: Vec<&str> = same
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["E", "c", "e", "h", "l", "o", "q", "s", "v"],
        "{same}"
    );
    for field in ["E", "s", "c", "o", "h", "l", "v", "q"] {
        assert_eq!(same[field], ticker[field], "{field}: {same} vs {ticker}");
    }

    // The legacy combined path carries it too; the Public route (book data) does not.
    let wrapped = next_json(&mut legacy).await;
    assert_eq!(wrapped["stream"], "btcusdt@ticker", "{wrapped}");
    assert_eq!(wrapped["data"]["e"], "24hrTicker", "{wrapped}");
    let silent = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        futures_util::StreamExt::next(&mut public),
    )
    .await;
    assert!(silent.is_err(), "no ticker on /public: {silent:?}");

    // Pushed every 2 seconds ("Update Speed: 2000ms").
    let next = next_ticker(&mut market, |_| true).await;
    let gap = next["E"].as_i64().unwrap() - event_time;
    assert!((1_500..=3_000).contains(&gap), "{gap} ms between tickers");
    server.stop().await;
}
