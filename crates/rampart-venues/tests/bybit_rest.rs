//! The Bybit connector against a small scripted HTTP server on 127.0.0.1: what goes on the
//! wire (headers, the signature over the exact bytes sent), and what comes back of each kind of
//! answer (refusals, timeouts, 5xx, rate limits, a wrong clock). Each test is bounded by the
//! client's timeouts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{KeyInit, Mac};
use rampart_core::trading::OrderRequest;
use rampart_core::{OrderType, Side};
use rampart_venues::binance_usdm::ClientOptions;
use rampart_venues::bybit::{Bybit, RestClient};
use rampart_venues::venue::{
    ClientIdLookup, DeadMansScope, ErrorKind, OrderStatus, PositionSide, Venue,
};
use rampart_venues::wire::{WireAnswer, WireLog, WireRequest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const KEY: &str = "RampartTestKey0001";
const SECRET: &str = "RampartTestSecret0123456789abcdefghij";

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: String,
    headers: HashMap<String, String>,
    body: String,
}

enum Reply {
    Json(u16, Vec<(&'static str, String)>, String),
    /// Never answer (the client times out).
    Hang,
}

type Script = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

struct Server {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    fn requests(&self, path: &str) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn ok(result: &str) -> Reply {
    Reply::Json(
        200,
        vec![],
        format!(
            r#"{{"retCode":0,"retMsg":"OK","result":{result},"retExtInfo":{{}},"time":{}}}"#,
            now_ms()
        ),
    )
}

fn refuse(code: i64, msg: &str) -> Reply {
    Reply::Json(
        200,
        vec![],
        format!(
            r#"{{"retCode":{code},"retMsg":"{msg}","result":{{}},"retExtInfo":{{}},"time":{}}}"#,
            now_ms()
        ),
    )
}

const INSTRUMENT: &str = r#"{"category":"linear","list":[{"symbol":"BTCUSDT","contractType":"LinearPerpetual","status":"Trading","baseCoin":"BTC","quoteCoin":"USDT","settleCoin":"USDT","deliveryTime":"0","leverageFilter":{"minLeverage":"1","maxLeverage":"100.00","leverageStep":"0.01"},"priceFilter":{"minPrice":"0.10","maxPrice":"1999999.80","tickSize":"0.10"},"lotSizeFilter":{"maxOrderQty":"1190.000","minOrderQty":"0.001","qtyStep":"0.001","maxMktOrderQty":"500.000","minNotionalValue":"5"}}],"nextPageCursor":""}"#;

/// Answers the public endpoints every test needs, then `script`.
fn with_basics(script: impl Fn(&Seen) -> Option<Reply> + Send + Sync + 'static) -> Script {
    Arc::new(move |seen: &Seen| {
        if let Some(reply) = script(seen) {
            return reply;
        }
        match seen.path.as_str() {
            "/v5/market/time" => {
                let now = now_ms();
                ok(&format!(
                    r#"{{"timeSecond":"{}","timeNano":"{}000000"}}"#,
                    now / 1000,
                    now
                ))
            }
            "/v5/market/instruments-info" if seen.query.contains("category=linear") => {
                ok(INSTRUMENT)
            }
            "/v5/market/instruments-info" => {
                ok(r#"{"category":"inverse","list":[],"nextPageCursor":""}"#)
            }
            _ => refuse(10017, "Route not found."),
        }
    })
}

async fn serve(script: Script) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let script = script.clone();
            let record = record.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    // One request: the head, then Content-Length bytes of body.
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
                    let first = lines.next().unwrap_or_default().to_owned();
                    let mut parts = first.split(' ');
                    let method = parts.next().unwrap_or_default().to_owned();
                    let target = parts.next().unwrap_or_default().to_owned();
                    let mut headers = HashMap::new();
                    for line in lines {
                        if let Some((k, v)) = line.split_once(':') {
                            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
                        }
                    }
                    let len: usize = headers
                        .get("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    while buf.len() < head_end + len {
                        let mut chunk = [0u8; 4096];
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let body = String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string();
                    buf.drain(..head_end + len);
                    let (path, query) = match target.split_once('?') {
                        Some((p, q)) => (p.to_owned(), q.to_owned()),
                        None => (target.clone(), String::new()),
                    };
                    let s = Seen {
                        method,
                        path,
                        query,
                        headers,
                        body,
                    };
                    record.lock().unwrap().push(s.clone());
                    match script(&s) {
                        Reply::Hang => {
                            tokio::time::sleep(Duration::from_secs(30)).await;
                            return;
                        }
                        Reply::Json(status, extra, body) => {
                            let mut out = format!(
                                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
                                body.len()
                            );
                            for (k, v) in extra {
                                out.push_str(&format!("{k}: {v}\r\n"));
                            }
                            out.push_str("\r\n");
                            out.push_str(&body);
                            if sock.write_all(out.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    Server { base, seen }
}

fn options() -> ClientOptions {
    ClientOptions {
        request_timeout: Duration::from_millis(800),
        connect_timeout: Duration::from_millis(800),
        margin_percent: 0,
        ..ClientOptions::default()
    }
}

fn venue(server: &Server) -> Bybit {
    Bybit::new(RestClient::with_options(&server.base, KEY, SECRET, &options()).unwrap())
}

fn hmac_hex(text: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(text.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn limit_buy() -> OrderRequest {
    OrderRequest {
        symbol: "BTCUSDT".into(),
        client_order_id: "rmpAbCdEfGhIjKlMnOpQrStUvWx".into(),
        side: Side::Buy,
        order_type: OrderType::Limit,
        qty: "0.010".parse().unwrap(),
        price: Some("60000.1".parse().unwrap()),
        trigger_price: None,
        time_in_force: None,
        reduce_only: false,
        trigger_by: None,
        margin_mode: None,
        position_side: PositionSide::Net,
        reference_price: None,
    }
}

#[tokio::test]
async fn a_signed_get_carries_bybits_headers_and_signs_the_query_as_sent() {
    let server = serve(with_basics(|s| {
        (s.path == "/v5/account/wallet-balance").then(|| {
            ok(r#"{"list":[{"accountType":"UNIFIED","coin":[{"coin":"USDT","walletBalance":"10","availableToWithdraw":"7","unrealisedPnl":"0"}]}]}"#)
        })
    }))
    .await;
    let v = venue(&server);
    let balances = v.balances().await.unwrap();
    assert_eq!(balances[0].asset, "USDT");
    assert_eq!(balances[0].available, "7".parse().unwrap());
    let seen = &server.requests("/v5/account/wallet-balance")[0];
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.query, "accountType=UNIFIED");
    assert_eq!(seen.headers["x-bapi-api-key"], KEY);
    assert_eq!(seen.headers["x-bapi-recv-window"], "5000");
    let ts = &seen.headers["x-bapi-timestamp"];
    let expected = hmac_hex(&format!("{ts}{KEY}5000accountType=UNIFIED"));
    assert_eq!(seen.headers["x-bapi-sign"], expected);
    // The clock was measured before signing.
    assert_eq!(server.requests("/v5/market/time").len(), 1);
}

#[tokio::test]
async fn an_order_is_posted_as_json_signed_byte_for_byte_and_acknowledged() {
    let server = serve(with_basics(|s| {
        (s.path == "/v5/order/create").then(|| {
            ok(r#"{"orderId":"1321003749386327552","orderLinkId":"rmpAbCdEfGhIjKlMnOpQrStUvWx"}"#)
        })
    }))
    .await;
    let v = venue(&server);
    let ack = v.place_order(&limit_buy()).await.unwrap();
    assert_eq!(ack.venue_order_id, "1321003749386327552");
    assert_eq!(ack.client_order_id, "rmpAbCdEfGhIjKlMnOpQrStUvWx");
    assert_eq!(ack.status, OrderStatus::Open);
    let seen = &server.requests("/v5/order/create")[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.headers["content-type"], "application/json");
    assert_eq!(
        seen.body,
        r#"{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.01","price":"60000.1","timeInForce":"GTC","positionIdx":0,"orderLinkId":"rmpAbCdEfGhIjKlMnOpQrStUvWx"}"#
    );
    let ts = &seen.headers["x-bapi-timestamp"];
    assert_eq!(
        seen.headers["x-bapi-sign"],
        hmac_hex(&format!("{ts}{KEY}5000{}", seen.body))
    );
}

#[tokio::test]
async fn an_order_off_tick_is_refused_before_sending() {
    let server = serve(with_basics(|_| None)).await;
    let v = venue(&server);
    let mut order = limit_buy();
    order.price = Some("60000.15".parse().unwrap());
    let e = v.place_order(&order).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
    assert!(e.not_sent && !e.outcome_unknown);
    assert!(server.requests("/v5/order/create").is_empty());
}

#[tokio::test]
async fn a_timeout_on_an_order_is_an_unknown_outcome_and_never_resent() {
    let server = serve(with_basics(|s| {
        (s.path == "/v5/order/create").then_some(Reply::Hang)
    }))
    .await;
    let v = venue(&server);
    let e = v.place_order(&limit_buy()).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connectivity);
    assert!(e.outcome_unknown, "{e:?}");
    assert!(!e.not_sent);
    assert_eq!(
        server.requests("/v5/order/create").len(),
        1,
        "sent once, not retried"
    );
}

#[tokio::test]
async fn a_5xx_or_bybits_server_timeout_on_an_order_is_an_unknown_outcome() {
    let server = serve(with_basics(|s| {
        (s.path == "/v5/order/create").then(|| Reply::Json(502, vec![], "bad gateway".into()))
    }))
    .await;
    let e = venue(&server).place_order(&limit_buy()).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::VenueFailure);
    assert!(e.outcome_unknown);

    let server = serve(with_basics(|s| {
        (s.path == "/v5/order/create").then(|| refuse(10000, "Server Timeout"))
    }))
    .await;
    let e = venue(&server).place_order(&limit_buy()).await.unwrap_err();
    assert_eq!(e.venue_code.as_deref(), Some("10000"));
    assert!(e.outcome_unknown);

    // A plain refusal is not unknown: the order did not arrive.
    let server = serve(with_basics(|s| {
        (s.path == "/v5/order/create").then(|| refuse(110007, "Available balance is insufficient"))
    }))
    .await;
    let e = venue(&server).place_order(&limit_buy()).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Rejected);
    assert!(!e.outcome_unknown);
    assert!(e.message.contains("Not enough available balance"));
}

#[tokio::test]
async fn a_refused_timestamp_makes_the_clock_be_measured_again() {
    let server = serve(with_basics(|s| {
        (s.path == "/v5/position/list")
            .then(|| refuse(10002, "The request time exceeds the time window range."))
    }))
    .await;
    let v = venue(&server);
    let e = v.positions(Some("BTCUSDT")).await.unwrap_err();
    assert_eq!(
        e.refusal_cause(),
        rampart_venues::venue::RefusalCause::Timestamp
    );
    assert_eq!(server.requests("/v5/market/time").len(), 1);
    let _ = v.positions(Some("BTCUSDT")).await;
    assert_eq!(
        server.requests("/v5/market/time").len(),
        2,
        "measured again"
    );
}

#[tokio::test]
async fn too_many_visits_holds_the_endpoint_locally_until_bybits_reset() {
    let reset = now_ms() + 60_000;
    let server = serve(with_basics(move |s| {
        (s.path == "/v5/order/realtime").then(|| {
            Reply::Json(
                200,
                vec![
                    ("X-Bapi-Limit", "50".into()),
                    ("X-Bapi-Limit-Status", "0".into()),
                    ("X-Bapi-Limit-Reset-Timestamp", reset.to_string()),
                ],
                format!(
                    r#"{{"retCode":10006,"retMsg":"Too many visits!","result":{{}},"time":{}}}"#,
                    now_ms()
                ),
            )
        })
    }))
    .await;
    let v = venue(&server);
    let e = v.open_orders(Some("BTCUSDT")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimited);
    assert_eq!(e.retry_at_ms, Some(reset));
    let held = v.open_orders(Some("BTCUSDT")).await.unwrap_err();
    assert_eq!(held.kind, ErrorKind::RateLimited);
    assert!(held.not_sent);
    assert_eq!(held.retry_at_ms, Some(reset));
    assert_eq!(
        server.requests("/v5/order/realtime").len(),
        1,
        "the second was not sent"
    );
}

#[tokio::test]
async fn lookup_and_cancel_by_client_id() {
    let order = r#"{"orderId":"o1","orderLinkId":"rmpX","symbol":"BTCUSDT","price":"60000.1","qty":"0.01","side":"Buy","positionIdx":0,"orderStatus":"Cancelled","avgPrice":"","cumExecQty":"0","timeInForce":"GTC","orderType":"Limit","stopOrderType":"","triggerPrice":"","reduceOnly":false,"updatedTime":"1684738540561"}"#;
    let list = format!(r#"{{"list":[{order}],"nextPageCursor":""}}"#);
    let server = serve(with_basics(move |s| match s.path.as_str() {
        "/v5/order/cancel" => Some(ok(r#"{"orderId":"o1","orderLinkId":"rmpX"}"#)),
        "/v5/order/realtime" if s.query.contains("orderLinkId=rmpX") => Some(ok(&list)),
        "/v5/order/realtime" | "/v5/order/history" => {
            Some(ok(r#"{"list":[],"nextPageCursor":""}"#))
        }
        _ => None,
    }))
    .await;
    let v = venue(&server);
    let state = v.cancel_by_client_id("BTCUSDT", "rmpX").await.unwrap();
    assert_eq!(state.status, OrderStatus::Cancelled);
    let cancel = &server.requests("/v5/order/cancel")[0];
    assert_eq!(
        cancel.body,
        r#"{"category":"linear","symbol":"BTCUSDT","orderLinkId":"rmpX"}"#
    );
    assert!(matches!(
        v.order_by_client_id("BTCUSDT", "rmpX").await.unwrap(),
        ClientIdLookup::Found(_)
    ));
    assert_eq!(
        v.order_by_client_id("BTCUSDT", "rmpNone").await.unwrap(),
        ClientIdLookup::NotFound
    );
    // Not found among live orders: the history was asked too.
    assert!(!server.requests("/v5/order/history").is_empty());
}

#[tokio::test]
async fn bybits_dcp_refusal_tells_the_trader_it_is_for_institutions() {
    let server = serve(with_basics(|s| {
        (s.path == "/v5/order/disconnected-cancel-all").then(|| refuse(10005, "Permission denied"))
    }))
    .await;
    let v = venue(&server);
    let caps = v.capabilities();
    let dms = caps.dead_mans_switch.unwrap();
    assert_eq!(dms.scope, DeadMansScope::Connection);
    assert_eq!(
        (dms.min_countdown_ms, dms.max_countdown_ms),
        (3_000, 300_000)
    );
    assert!(dms.note.unwrap().contains("institutional"));
    let e = v
        .dead_mans_switch(&DeadMansScope::Connection, Duration::from_secs(10))
        .await
        .unwrap_err();
    assert!(
        e.message
            .contains("Bybit offers its disconnect cancel-all only to institutional accounts"),
        "{}",
        e.message
    );
    assert_eq!(e.venue_code.as_deref(), Some("10005"));
    let sent = &server.requests("/v5/order/disconnected-cancel-all")[0];
    assert_eq!(sent.body, r#"{"product":"DERIVATIVES","timeWindow":10}"#);
    // Outside Bybit's window, or another scope: refused unsent.
    for (scope, secs) in [
        (DeadMansScope::Connection, 2),
        (DeadMansScope::Connection, 301),
        (DeadMansScope::Account, 10),
    ] {
        let e = v
            .dead_mans_switch(&scope, Duration::from_secs(secs))
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Validation);
    }
    assert_eq!(
        server.requests("/v5/order/disconnected-cancel-all").len(),
        1
    );
}

#[derive(Debug, Clone)]
struct LoggedRequest {
    method: String,
    path: String,
    params: String,
    signature: Option<String>,
}

#[derive(Debug, Clone)]
struct LoggedAnswer {
    status: u16,
    order_id: Option<String>,
    client_order_id: Option<String>,
}

#[derive(Default)]
struct Log {
    sent: Mutex<Vec<LoggedRequest>>,
    answered: Mutex<Vec<LoggedAnswer>>,
}

impl WireLog for Log {
    fn sent(&self, r: &WireRequest<'_>) {
        self.sent.lock().unwrap().push(LoggedRequest {
            method: r.method.into(),
            path: r.path.into(),
            params: r.params.into(),
            signature: r.signature.map(str::to_owned),
        });
    }
    fn answered(&self, a: &WireAnswer<'_>) {
        self.answered.lock().unwrap().push(LoggedAnswer {
            status: a.status,
            order_id: a.order_id.clone(),
            client_order_id: a.client_order_id.clone(),
        });
    }
}

#[tokio::test]
async fn the_wire_log_sees_each_signed_request_and_answer_but_never_the_key() {
    let server = serve(with_basics(|s| {
        (s.path == "/v5/order/create").then(|| {
            ok(r#"{"orderId":"1321003749386327552","orderLinkId":"rmpAbCdEfGhIjKlMnOpQrStUvWx"}"#)
        })
    }))
    .await;
    let log = Arc::new(Log::default());
    let client = RestClient::with_options(&server.base, KEY, SECRET, &options())
        .unwrap()
        .with_wire_log(log.clone());
    let v = Bybit::new(client);
    v.place_order(&limit_buy()).await.unwrap();
    let sent = log.sent.lock().unwrap().clone();
    let create = sent.iter().find(|s| s.path == "/v5/order/create").unwrap();
    assert_eq!(create.method, "POST");
    assert!(
        create
            .params
            .contains("\"orderLinkId\":\"rmpAbCdEfGhIjKlMnOpQrStUvWx\"")
    );
    let seen = &server.requests("/v5/order/create")[0];
    assert_eq!(
        create.signature.as_deref(),
        Some(seen.headers["x-bapi-sign"].as_str())
    );
    for s in &sent {
        assert!(!s.params.contains(KEY) && !s.params.contains(SECRET));
    }
    let answered = log.answered.lock().unwrap().clone();
    // Public requests (server time, instruments) are not the account's: not reported.
    assert_eq!(answered.len(), sent.len());
    assert!(answered.iter().any(|a| a.status == 200
        && a.order_id.as_deref() == Some("1321003749386327552")
        && a.client_order_id.as_deref() == Some("rmpAbCdEfGhIjKlMnOpQrStUvWx")));
}

#[tokio::test]
async fn key_permissions_are_read_from_query_api() {
    let server = serve(with_basics(|s| {
        (s.path == "/v5/user/query-api").then(|| {
            ok(r#"{"readOnly":0,"permissions":{"ContractTrade":["Order","Position"],"Wallet":["AccountTransfer","Withdraw"]},"ips":["*"],"createdAt":"2025-10-13T03:20:45Z","expiredAt":"2026-01-11T03:20:45Z"}"#)
        })
    }))
    .await;
    let p = venue(&server).key_permissions().await.unwrap().unwrap();
    assert!(p.can_trade && p.can_withdraw && p.can_transfer && !p.ip_restricted);
}

#[test]
fn plain_http_is_refused_off_this_machine() {
    let e = RestClient::new("http://api.bybit.com", KEY, SECRET).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config);
    assert!(RestClient::new("https://api.bybit.com", KEY, SECRET).is_ok());
    let e =
        RestClient::new("https://api.bybit.com", KEY, "-----BEGIN PRIVATE KEY-----x").unwrap_err();
    assert!(e.message.contains("RSA"));
    assert!(
        !format!(
            "{:?}",
            RestClient::new("https://api.bybit.com", KEY, SECRET).unwrap()
        )
        .contains(SECRET)
    );
}

#[tokio::test]
async fn a_margin_mode_switch_refused_with_reasons_is_an_error() {
    let server = serve(with_basics(|s| {
        (s.path == "/v5/account/set-margin-mode").then(|| {
            ok(r#"{"reasons":[{"reasonCode":"3400045","reasonMsg":"Set margin mode failed: open positions"}]}"#)
        })
    }))
    .await;
    let v = venue(&server);
    let e = v
        .set_margin_mode("BTCUSDT", rampart_core::trading::MarginMode::Isolated)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Rejected);
    assert_eq!(e.venue_code.as_deref(), Some("3400045"));
    assert_eq!(
        server.requests("/v5/account/set-margin-mode")[0].body,
        r#"{"setMarginMode":"ISOLATED_MARGIN"}"#
    );
}

#[tokio::test]
async fn leverage_not_modified_is_success() {
    let server = serve(with_basics(|s| {
        (s.path == "/v5/position/set-leverage")
            .then(|| refuse(110043, "Set leverage has not been modified."))
    }))
    .await;
    let v = venue(&server);
    let l = v
        .set_leverage(&rampart_core::trading::LeverageRequest {
            symbol: "BTCUSDT".into(),
            leverage: rampart_core::trading::Leverage::both("10".parse().unwrap()),
            margin_mode: None,
        })
        .await
        .unwrap();
    assert_eq!(l.buy, "10".parse().unwrap());
    assert_eq!(
        server.requests("/v5/position/set-leverage")[0].body,
        r#"{"category":"linear","symbol":"BTCUSDT","buyLeverage":"10","sellLeverage":"10"}"#
    );
    let too_high = v
        .set_leverage(&rampart_core::trading::LeverageRequest {
            symbol: "BTCUSDT".into(),
            leverage: rampart_core::trading::Leverage::both("150".parse().unwrap()),
            margin_mode: None,
        })
        .await
        .unwrap_err();
    assert_eq!(too_high.kind, ErrorKind::Validation);
}

#[tokio::test]
async fn a_dcp_call_refused_for_the_key_keeps_the_keys_sentence() {
    let server = serve(with_basics(|s| {
        (s.path == "/v5/order/disconnected-cancel-all")
            .then(|| refuse(10003, "API key is invalid."))
    }))
    .await;
    let e = venue(&server)
        .dead_mans_switch(&DeadMansScope::Connection, Duration::from_secs(30))
        .await
        .unwrap_err();
    assert!(!e.message.contains("institutional"), "{}", e.message);
    assert_eq!(
        e.refusal_cause(),
        rampart_venues::venue::RefusalCause::Authentication
    );
}

#[tokio::test]
async fn the_whole_account_is_linear_usdt_and_usdc_and_every_inverse_contract() {
    let inverse_order = r#"{"orderId":"o9","orderLinkId":"rmpInv","symbol":"BTCUSD","price":"50000","qty":"100","side":"Sell","positionIdx":0,"orderStatus":"New","avgPrice":"","cumExecQty":"0","timeInForce":"GTC","orderType":"Limit","stopOrderType":"","triggerPrice":"","reduceOnly":false,"updatedTime":"1684738540561"}"#;
    let inverse_list = format!(r#"{{"list":[{inverse_order}],"nextPageCursor":""}}"#);
    let server = serve(with_basics(move |s| match s.path.as_str() {
        "/v5/order/realtime" if s.query.starts_with("category=inverse") => Some(ok(&inverse_list)),
        "/v5/order/realtime" => Some(ok(r#"{"list":[],"nextPageCursor":""}"#)),
        "/v5/order/cancel-all" => Some(ok(r#"{"list":[],"success":"1"}"#)),
        _ => None,
    }))
    .await;
    let v = venue(&server);
    let open = v.open_orders(None).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].client_order_id, "rmpInv");
    let queries: Vec<String> = server
        .requests("/v5/order/realtime")
        .into_iter()
        .map(|s| s.query)
        .collect();
    assert_eq!(
        queries,
        vec![
            "category=linear&settleCoin=USDT&openOnly=0&limit=50",
            "category=linear&settleCoin=USDC&openOnly=0&limit=50",
            "category=inverse&openOnly=0&limit=50",
        ]
    );
    v.cancel_all(None).await.unwrap();
    let bodies: Vec<String> = server
        .requests("/v5/order/cancel-all")
        .into_iter()
        .map(|s| s.body)
        .collect();
    assert_eq!(
        bodies,
        vec![
            r#"{"category":"linear","settleCoin":"USDT"}"#,
            r#"{"category":"linear","settleCoin":"USDC"}"#,
            r#"{"category":"inverse","symbol":"BTCUSD"}"#,
        ]
    );
}
