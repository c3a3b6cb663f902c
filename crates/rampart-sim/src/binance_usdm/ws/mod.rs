//! Binance USDⓈ-M WebSocket streams, as the futures stream host (`wss://fstream.binance.com`)
//! serves them, written from Binance's "Websocket Market Streams", "Live Subscribing/
//! Unsubscribing to streams" and "User Data Streams" pages:
//!
//! - raw streams at `/ws/<streamName>`: each event is the bare payload;
//! - combined streams at `/stream?streams=<a>/<b>/…`: each event is wrapped as
//!   `{"stream":"<streamName>","data":<rawPayload>}`;
//! - `/ws` and `/stream` with no stream, to subscribe live;
//! - user data at `/ws/<listenKey>` (also as a combined stream or a live subscription): that
//!   account's `ORDER_TRADE_UPDATE`, `ACCOUNT_UPDATE`, …; when the key expires or is deleted the
//!   connection gets `listenKeyExpired` and is closed;
//! - live `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`/`GET_PROPERTY`
//!   (`combined`) requests, answered `{"result":…,"id":n}` or
//!   `{"error":{"code":n,"msg":"…"},"id":n}` with Binance's codes and messages;
//! - a ping frame every 3 minutes; a connection that sends no pong for 10 minutes is dropped
//!   (unsolicited pongs count); pings from the client are answered with pongs;
//! - at most 10 incoming messages a second and 1024 streams per connection; a connection lives
//!   at most 24 hours.
//!
//! The routed paths of Binance's "Base URL Split" (USDⓈ-M, 2026): "Public (high-frequency
//! public market data) wss://fstream.binance.com/public", "Market (regular market data)
//! wss://fstream.binance.com/market", "Private (user data streams)
//! wss://fstream.binance.com/private"; "Both access modes remain supported: ws mode
//! (path-based subscription), stream mode (?streams=; Private uses listenKey + events)", e.g.
//! `/public/ws/btcusdt@depth`, `/market/stream?streams=btcusdt@markPrice`,
//! `/private/ws?listenKey=<listenKey>&events=ORDER_TRADE_UPDATE`. A stream opened on the wrong
//! route is accepted and stays silent, as Binance's does ([`Route::carries`]): book data
//! (`@depth…`, `@bookTicker`) on `/public`, everything else (`@markPrice`, `@kline_…`,
//! `@aggTrade`, tickers) on `/market`, listen keys on `/private`. The unrouted `/ws` and
//! `/stream` still carry everything (Binance has retired them; the simulator keeps them for
//! older clients).
//!
//! Book streams (see `book_streams`): `<symbol>@depth`, `@depth@100ms`, `@depth@500ms` (diff
//! depth, one event per book change whatever the speed asked), `<symbol>@depth<5|10|20>` with
//! the same speed suffixes (partial depth); `<symbol>@aggTrade` for every fill;
//! `<symbol>@ticker` and `<symbol>@miniTicker`, the 24hr rolling window tickers (`24hrTicker`,
//! `24hrMiniTicker`), every 2 seconds (Market route and the unrouted paths).
//!
//! Stream names are matched as given (Binance's are lower-case symbols, e.g.
//! `btcusdt@markPrice`); an unknown market stream is accepted and stays silent, as Binance does.
//! A path segment without `@` is read as a listen key: one that is not (or no longer) valid is
//! refused at the handshake with HTTP 400 and `-1125 This listenKey does not exist.`, so a
//! client with a stale key notices at once instead of listening to silence.

mod book_streams;
mod connection;
mod routing;
mod subscriptions;

use std::time::Duration;

use axum::routing::get;
use axum::{Extension, Router};

use super::Shared;

pub(super) use book_streams::{Trade, agg_trade_event, depth_events, size_at, skip_depth};
use routing::{Route, combined, raw, raw_empty};

/// The stream host's clocks and limits.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timing {
    /// "The websocket server will send a ping frame every 3 minutes."
    pub(super) ping_every: Duration,
    /// "If the websocket server does not receive a pong frame back from the connection within a
    /// 10 minute period, the connection will be disconnected."
    pub(super) pong_within: Duration,
    /// "A single connection … is only valid for 24 hours."
    pub(super) max_age: Duration,
    /// How often a connection checks that its listen keys are still valid.
    pub(super) key_check: Duration,
    /// A client that does not take a frame within this long is dropped (it reconnects), so a
    /// stalled reader cannot stall the connection's task.
    pub(super) send_within: Duration,
}

impl Timing {
    pub(super) const BINANCE: Timing = Timing {
        ping_every: Duration::from_secs(3 * 60),
        pong_within: Duration::from_secs(10 * 60),
        max_age: Duration::from_secs(24 * 60 * 60),
        key_check: Duration::from_secs(1),
        send_within: Duration::from_secs(10),
    };
}

/// "WebSocket connections have a limit of 10 incoming messages per second."
const MESSAGES_PER_SECOND: u32 = 10;
/// "A single connection can listen to a maximum of 1024 streams."
const MAX_STREAMS: usize = 1024;

/// The stream routes with Binance's timing.
pub(super) fn routes() -> Router<Shared> {
    routes_with(Timing::BINANCE)
}

/// The stream routes with other timing (tests shorten the ping interval).
pub(super) fn routes_with(timing: Timing) -> Router<Shared> {
    let mut router = Router::new();
    for route in [
        Route::Unrouted,
        Route::Public,
        Route::Market,
        Route::Private,
    ] {
        let prefix = route.prefix();
        router = router
            .route(
                &format!("{prefix}/ws"),
                get(move |state, timing, query, upgrade| {
                    raw_empty(route, state, timing, query, upgrade)
                }),
            )
            .route(
                &format!("{prefix}/ws/{{stream}}"),
                get(move |state, timing, path, query, upgrade| {
                    raw(route, state, timing, path, query, upgrade)
                }),
            )
            .route(
                &format!("{prefix}/stream"),
                get(move |state, timing, query, upgrade| {
                    combined(route, state, timing, query, upgrade)
                }),
            );
    }
    router.layer(Extension(timing))
}

#[cfg(test)]
mod tests {
    //! The stream host on its own (no price process, no REST), fed events directly: what each
    //! kind of connection receives, the live requests, pings, listen keys and the limits.

    use std::net::SocketAddr;

    use futures_util::{SinkExt, StreamExt};
    use tokio::net::TcpListener;
    use tokio_tungstenite::tungstenite::Message as Frame;

    use serde_json::{Value, json};

    use super::super::{Inner, ListenKey, SimConfig, SimEvent};
    use super::*;

    type Client = tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >;

    const WAIT: Duration = Duration::from_secs(5);

    async fn host(timing: Timing) -> (Shared, SocketAddr) {
        let inner = Inner::new(SimConfig::default());
        let app = routes_with(timing).with_state(inner.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (inner, addr)
    }

    async fn connect(addr: SocketAddr, path: &str) -> Client {
        let url = format!("ws://{addr}{path}");
        let (client, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
            .await
            .expect("handshake in time")
            .expect("handshake accepted");
        client
    }

    /// The next text frame, as JSON (pings and pongs skipped).
    async fn next_json(client: &mut Client) -> Value {
        loop {
            let frame = tokio::time::timeout(WAIT, client.next())
                .await
                .expect("a frame in time")
                .expect("the connection is open")
                .expect("a valid frame");
            match frame {
                Frame::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
                Frame::Ping(_) | Frame::Pong(_) => {}
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    async fn ask(client: &mut Client, request: &str) -> Value {
        client.send(Frame::text(request)).await.unwrap();
        next_json(client).await
    }

    /// Publishes until the connection's task has subscribed (it subscribes after the
    /// handshake), then returns the event that arrived.
    async fn publish_until_received(inner: &Shared, client: &mut Client, event: SimEvent) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let _ = inner.events.send(event.clone());
            if let Ok(Some(Ok(Frame::Text(text)))) =
                tokio::time::timeout(Duration::from_millis(100), client.next()).await
            {
                return serde_json::from_str(text.as_str()).unwrap();
            }
            assert!(tokio::time::Instant::now() < deadline, "no event delivered");
        }
    }

    fn mark_price(price: &str) -> SimEvent {
        SimEvent::market(
            "btcusdt@markPrice".into(),
            json!({ "e": "markPriceUpdate", "E": 1, "s": "BTCUSDT", "p": price }),
        )
    }

    fn add_listen_key(inner: &Shared, key: &str, api_key: &str) {
        inner.listen_keys.lock().unwrap().insert(
            key.into(),
            ListenKey {
                api_key: api_key.into(),
                expires_at: inner.now_ms() + 60 * 60 * 1000,
            },
        );
    }

    /// True when the server ends the connection (a close frame, or the link dropping) in time.
    async fn closes(client: &mut Client) -> bool {
        let deadline = tokio::time::Instant::now() + WAIT;
        while let Ok(frame) = tokio::time::timeout_at(deadline, client.next()).await {
            match frame {
                None | Some(Err(_)) | Some(Ok(Frame::Close(_))) => return true,
                Some(Ok(_)) => {}
            }
        }
        false
    }

    #[tokio::test]
    async fn raw_streams_carry_the_bare_payload_and_combined_ones_wrap_it() {
        let (inner, addr) = host(Timing::BINANCE).await;
        let mut raw = connect(addr, "/ws/btcusdt@markPrice").await;
        let got = publish_until_received(&inner, &mut raw, mark_price("100.5")).await;
        assert_eq!(got["e"], "markPriceUpdate");
        assert_eq!(got["p"], "100.5");

        let mut combined =
            connect(addr, "/stream?streams=btcusdt@markPrice/ethusdt@bookTicker").await;
        let got = publish_until_received(&inner, &mut combined, mark_price("101")).await;
        assert_eq!(got["stream"], "btcusdt@markPrice");
        assert_eq!(got["data"]["p"], "101");

        // The 1-second variant listens to the same prices under its own name.
        let mut fast = connect(addr, "/stream?streams=btcusdt@markPrice@1s").await;
        let got = publish_until_received(&inner, &mut fast, mark_price("102")).await;
        assert_eq!(got["stream"], "btcusdt@markPrice@1s");
    }

    #[tokio::test]
    async fn live_requests_subscribe_unsubscribe_and_list() {
        let (inner, addr) = host(Timing::BINANCE).await;
        let mut client = connect(addr, "/ws").await;
        let answer = ask(
            &mut client,
            r#"{"method":"SUBSCRIBE","params":["btcusdt@markPrice","btcusdt@bookTicker"],"id":1}"#,
        )
        .await;
        assert_eq!(answer, json!({ "result": null, "id": 1 }));
        let answer = ask(&mut client, r#"{"method":"LIST_SUBSCRIPTIONS","id":3}"#).await;
        assert_eq!(
            answer,
            json!({ "result": ["btcusdt@markPrice", "btcusdt@bookTicker"], "id": 3 })
        );
        let got = publish_until_received(&inner, &mut client, mark_price("99")).await;
        assert_eq!(got["p"], "99", "raw connections get bare payloads");

        let answer = ask(
            &mut client,
            r#"{"method":"GET_PROPERTY","params":["combined"],"id":4}"#,
        )
        .await;
        assert_eq!(answer, json!({ "result": false, "id": 4 }));
        let answer = ask(
            &mut client,
            r#"{"method":"SET_PROPERTY","params":["combined",true],"id":5}"#,
        )
        .await;
        assert_eq!(answer, json!({ "result": null, "id": 5 }));
        let got = publish_until_received(&inner, &mut client, mark_price("98")).await;
        assert_eq!(got["stream"], "btcusdt@markPrice");

        let answer = ask(
            &mut client,
            r#"{"method":"UNSUBSCRIBE","params":["btcusdt@markPrice"],"id":312}"#,
        )
        .await;
        assert_eq!(answer, json!({ "result": null, "id": 312 }));
        let answer = ask(&mut client, r#"{"method":"LIST_SUBSCRIPTIONS","id":6}"#).await;
        assert_eq!(answer, json!({ "result": ["btcusdt@bookTicker"], "id": 6 }));
    }

    #[tokio::test]
    async fn bad_requests_get_binances_errors() {
        let (_inner, addr) = host(Timing::BINANCE).await;
        let mut client = connect(addr, "/ws").await;
        let cases = [
            ("{oops", 3, "Invalid JSON: "),
            (
                r#"{"method":"SUBSCRIBE","params":["btcusdt@markPrice"],"id":"a"}"#,
                2,
                "Invalid request: request ID must be an unsigned integer",
            ),
            (
                r#"{"method":"SUBSCRIBE","params":["btcusdt@markPrice"]}"#,
                2,
                "Invalid request: request ID must be an unsigned integer",
            ),
            (
                r#"{"method":"SUBSCRIBEE","params":[],"id":7}"#,
                2,
                "Invalid request: unknown variant `SUBSCRIBEE`, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`",
            ),
            (
                r#"{"params":[],"id":8}"#,
                2,
                "Invalid request: missing field `method`",
            ),
            (
                r#"{"method":"SET_PROPERTY","params":["combined","yes"],"id":9}"#,
                1,
                "Invalid value type: expected Boolean",
            ),
            (
                r#"{"method":"GET_PROPERTY","params":["colour"],"id":10}"#,
                0,
                "Unknown property",
            ),
            (
                r#"{"method":"LIST_SUBSCRIPTIONS","params":["x"],"id":11}"#,
                2,
                "Invalid request: too many parameters",
            ),
        ];
        for (request, code, msg) in cases {
            let answer = ask(&mut client, request).await;
            assert_eq!(answer["error"]["code"], code, "{request} → {answer}");
            let got = answer["error"]["msg"].as_str().unwrap();
            assert!(got.starts_with(msg), "{request} → {got}");
            // Under Binance's limit of 10 messages a second.
            tokio::time::sleep(Duration::from_millis(120)).await;
        }
        let answer = ask(&mut client, r#"{"method":"LIST_SUBSCRIPTIONS","id":12}"#).await;
        assert_eq!(
            answer,
            json!({ "result": [], "id": 12 }),
            "the connection survived"
        );
    }

    #[tokio::test]
    async fn the_server_pings_and_answers_pings() {
        let timing = Timing {
            ping_every: Duration::from_millis(200),
            ..Timing::BINANCE
        };
        let (_inner, addr) = host(timing).await;
        let mut client = connect(addr, "/ws/btcusdt@markPrice").await;
        client
            .send(Frame::Ping(b"hello".to_vec().into()))
            .await
            .unwrap();
        let (mut pinged, mut ponged) = (false, false);
        let deadline = tokio::time::Instant::now() + WAIT;
        while !(pinged && ponged) {
            let frame = tokio::time::timeout_at(deadline, client.next())
                .await
                .expect("a ping and a pong in time")
                .unwrap()
                .unwrap();
            match frame {
                Frame::Ping(_) => pinged = true,
                Frame::Pong(payload) => {
                    assert_eq!(&payload[..], b"hello");
                    ponged = true;
                }
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn a_client_that_never_pongs_is_dropped() {
        let timing = Timing {
            ping_every: Duration::from_millis(100),
            pong_within: Duration::from_millis(300),
            ..Timing::BINANCE
        };
        let (_inner, addr) = host(timing).await;
        // A raw TCP client that completes the handshake and then never reads (so never pongs).
        let url = format!("ws://{addr}/ws/btcusdt@markPrice");
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default();
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut client, _) =
            tokio_tungstenite::client_async_with_config(url, stream, Some(config))
                .await
                .unwrap();
        tokio::time::sleep(Duration::from_millis(800)).await;
        // Reading now answers the queued pings too late: the server has already gone.
        let mut ended = false;
        let deadline = tokio::time::Instant::now() + WAIT;
        while let Ok(frame) = tokio::time::timeout_at(deadline, client.next()).await {
            match frame {
                None | Some(Err(_)) | Some(Ok(Frame::Close(_))) => {
                    ended = true;
                    break;
                }
                Some(Ok(_)) => {}
            }
        }
        assert!(
            ended,
            "the server closed a connection that never answered its pings"
        );
    }

    #[tokio::test]
    async fn user_data_goes_to_the_keys_owner_only_and_ends_when_the_key_lapses() {
        let timing = Timing {
            key_check: Duration::from_millis(50),
            ..Timing::BINANCE
        };
        let (inner, addr) = host(timing).await;

        // An unknown listen key is refused at the handshake.
        let refused = tokio_tungstenite::connect_async(format!("ws://{addr}/ws/nosuchkey")).await;
        match refused {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 400);
            }
            other => panic!("expected HTTP 400, got {other:?}"),
        }

        add_listen_key(&inner, "keyA", "alice");
        add_listen_key(&inner, "keyB", "bob");
        let mut alice = connect(addr, "/ws/keyA").await;
        let mut bob = connect(addr, "/stream?streams=keyB").await;
        let order = |who: &str| {
            SimEvent::user(
                who.into(),
                json!({ "e": "ORDER_TRADE_UPDATE", "o": { "c": who } }),
            )
        };
        let got = publish_until_received(&inner, &mut alice, order("alice")).await;
        assert_eq!(got["o"]["c"], "alice");
        let got = publish_until_received(&inner, &mut bob, order("bob")).await;
        assert_eq!(got["stream"], "keyB");
        assert_eq!(
            got["data"]["o"]["c"], "bob",
            "bob never sees alice's orders"
        );

        // The key lapses: listenKeyExpired, then the connection ends.
        inner.listen_keys.lock().unwrap().remove("keyA");
        let got = next_json(&mut alice).await;
        assert_eq!(got["e"], "listenKeyExpired");
        assert_eq!(got["listenKey"], "keyA");
        assert!(closes(&mut alice).await);
    }

    /// The answer to `request`, skipping the event frames before it.
    async fn answer_to(client: &mut Client, request: &str) -> Value {
        client.send(Frame::text(request)).await.unwrap();
        for _ in 0..1000 {
            let frame = next_json(client).await;
            if frame.get("id").is_some() {
                return frame;
            }
        }
        panic!("no answer to {request} in 1000 frames");
    }

    /// Steps every symbol's price once and returns the market streams of the events built.
    fn step_and_collect(
        inner: &Shared,
        raw: &mut tokio::sync::broadcast::Receiver<SimEvent>,
    ) -> Vec<String> {
        inner.exchange().step(inner.now_ms());
        let mut streams = Vec::new();
        while let Ok(event) = raw.try_recv() {
            if let SimEvent::Market { stream, .. } = event {
                streams.push(stream);
            }
        }
        streams
    }

    #[tokio::test]
    async fn market_events_are_built_only_for_symbols_a_connection_subscribed() {
        let (inner, addr) = host(Timing::BINANCE).await;
        // A receiver inside the simulator sees every event that is built.
        let mut raw = inner.subscribe();
        assert!(
            step_and_collect(&inner, &mut raw).is_empty(),
            "no stream subscribed: no market event is built"
        );

        let mut eth = connect(addr, "/ws/ethusdt@depth20").await;
        let built = step_and_collect(&inner, &mut raw);
        assert!(
            !built.is_empty(),
            "ETHUSDT's events are built for its subscriber"
        );
        assert!(
            built.iter().all(|s| s.starts_with("ethusdt@")),
            "only the subscribed symbol's: {built:?}"
        );

        // A live SUBSCRIBE adds a symbol, an UNSUBSCRIBE takes it away again.
        let answer = answer_to(
            &mut eth,
            r#"{"method":"SUBSCRIBE","params":["btcusdt@aggTrade"],"id":1}"#,
        )
        .await;
        assert_eq!(answer["id"], 1);
        let built = step_and_collect(&inner, &mut raw);
        assert!(built.iter().any(|s| s.starts_with("btcusdt@")), "{built:?}");
        let answer = answer_to(
            &mut eth,
            r#"{"method":"UNSUBSCRIBE","params":["btcusdt@aggTrade"],"id":2}"#,
        )
        .await;
        assert_eq!(answer["id"], 2);
        let built = step_and_collect(&inner, &mut raw);
        assert!(
            !built.iter().any(|s| s.starts_with("btcusdt@")),
            "{built:?}"
        );

        // The connection closes: nothing is built for it any more.
        eth.close(None).await.unwrap();
        let deadline = tokio::time::Instant::now() + WAIT;
        while inner.interest.wants("ETHUSDT") {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the closed connection still holds ETHUSDT"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(step_and_collect(&inner, &mut raw).is_empty());
    }

    #[tokio::test]
    async fn a_generation_change_drops_every_connection() {
        let (inner, addr) = host(Timing::BINANCE).await;
        let mut a = connect(addr, "/ws/btcusdt@markPrice").await;
        let mut b = connect(addr, "/stream?streams=btcusdt@bookTicker").await;
        publish_until_received(&inner, &mut a, mark_price("1")).await;
        inner.ws_generation.send_modify(|g| *g += 1);
        assert!(closes(&mut a).await);
        assert!(closes(&mut b).await);
    }

    #[tokio::test]
    async fn a_consumer_too_slow_for_the_event_channel_is_closed_not_the_server() {
        let (inner, addr) = host(Timing::BINANCE).await;
        let mut slow = connect(addr, "/ws/btcusdt@markPrice").await;
        publish_until_received(&inner, &mut slow, mark_price("1")).await;
        // Far more than the channel holds, published while the client reads nothing: the
        // connection's task falls behind (its socket fills) and is dropped.
        let big = "x".repeat(4096);
        for _ in 0..20_000 {
            let _ = inner.events.send(SimEvent::market(
                "btcusdt@markPrice".into(),
                json!({ "e": "markPriceUpdate", "pad": big }),
            ));
            tokio::task::yield_now().await;
        }
        assert!(closes(&mut slow).await, "the slow connection was closed");
        // The host still serves.
        let mut fresh = connect(addr, "/ws/btcusdt@markPrice").await;
        publish_until_received(&inner, &mut fresh, mark_price("2")).await;
    }
}
