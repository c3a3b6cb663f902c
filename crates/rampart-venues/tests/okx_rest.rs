//! The OKX connector against a scripted HTTP peer on 127.0.0.1: what it sends (headers,
//! signature, body), what it makes of the answers, and what it refuses to send.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use rampart_core::{OrderType, Side, TimeInForce};
use rampart_venues::binance_usdm::ClientOptions;
use rampart_venues::okx::{Okx, RestClient};
use rampart_venues::venue::{
    ClientIdLookup, DeadMansScope, ErrorKind, OrderRequest, PositionSide, Venue,
};
use rampart_venues::wire::{WireAnswer, WireLog, WireRequest};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const KEY: &str = "985d5b66-57ce-40fb-b714-afc0b9787083";
const SECRET: &str = "22582BD0CFF14C41EDBF1AB98506286D";
const PASSPHRASE: &str = "Rampart1!";

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

struct Reply {
    status: u16,
    body: String,
    delay: Duration,
}

fn ok(body: &str) -> Reply {
    Reply {
        status: 200,
        body: body.into(),
        delay: Duration::ZERO,
    }
}

type Script = Arc<dyn Fn(&Seen, usize) -> Reply + Send + Sync>;

struct Peer {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Peer {
    fn count(&self, path: &str) -> usize {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path() == path)
            .count()
    }
    fn last(&self, path: &str) -> Seen {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|s| s.path() == path)
            .cloned()
            .unwrap()
    }
}

/// Server time ahead of ours by 5 s; everything else by `script`.
async fn peer(script: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Peer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let script: Script = Arc::new(script);
    let counter = Arc::new(AtomicUsize::new(0));
    let seen2 = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let seen = seen2.clone();
            let script = script.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
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
                    let mut first = lines.next().unwrap_or_default().split(' ');
                    let method = first.next().unwrap_or_default().to_owned();
                    let target = first.next().unwrap_or_default().to_owned();
                    let headers: Vec<(String, String)> = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                        .collect();
                    let len: usize = headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, v)| v.parse().ok())
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
                    let req = Seen {
                        method,
                        target,
                        headers,
                        body,
                    };
                    seen.lock().unwrap().push(req.clone());
                    let reply = if req.path() == "/api/v5/public/time" {
                        let now = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_millis() as i64
                            + 5_000;
                        ok(&format!(
                            r#"{{"code":"0","msg":"","data":[{{"ts":"{now}"}}]}}"#
                        ))
                    } else {
                        let n = counter.fetch_add(1, Ordering::SeqCst);
                        script(&req, n)
                    };
                    tokio::time::sleep(reply.delay).await;
                    let text = format!(
                        "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{}",
                        reply.status,
                        reply.body.len(),
                        reply.body
                    );
                    if sock.write_all(text.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Peer { base, seen }
}

const INSTRUMENTS: &str = r#"{"code":"0","msg":"","data":[{"ctMult":"1","ctType":"linear","ctVal":"0.01","ctValCcy":"BTC","expTime":"","instFamily":"BTC-USDT","instId":"BTC-USDT-SWAP","instType":"SWAP","lever":"125","lotSz":"0.1","maxLmtSz":"100000000","maxMktSz":"12000","minSz":"0.1","settleCcy":"USDT","state":"live","tickSz":"0.1","uly":"BTC-USDT"}]}"#;
const EMPTY: &str = r#"{"code":"0","msg":"","data":[]}"#;
const NET_MODE: &str =
    r#"{"code":"0","msg":"","data":[{"perm":"read_only,trade","ip":"","posMode":"net_mode"}]}"#;

fn options(timeout_ms: u64) -> ClientOptions {
    ClientOptions {
        request_timeout: Duration::from_millis(timeout_ms),
        ..ClientOptions::default()
    }
}

async fn connected(peer: &Peer, timeout_ms: u64) -> Okx {
    let client =
        RestClient::with_options(&peer.base, KEY, SECRET, PASSPHRASE, &options(timeout_ms))
            .unwrap();
    let okx = Okx::new(client);
    let offset = okx.sync_clock().await.unwrap();
    assert!((4_000..=6_000).contains(&offset), "offset {offset}");
    okx
}

fn order(price: Option<&str>) -> OrderRequest {
    OrderRequest {
        symbol: "BTC-USDT-SWAP".into(),
        client_order_id: "rmp0aZ9".into(),
        side: Side::Buy,
        order_type: if price.is_some() {
            OrderType::Limit
        } else {
            OrderType::Market
        },
        qty: "1.5".parse().unwrap(),
        price: price.map(|p| p.parse().unwrap()),
        trigger_price: None,
        time_in_force: price.map(|_| TimeInForce::Ioc),
        reduce_only: false,
        trigger_by: None,
        margin_mode: None,
        position_side: PositionSide::Net,
        reference_price: None,
    }
}

/// Base64 HMAC-SHA256, computed here apart from the connector's signer.
fn expected_sign(prehash: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(prehash.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn instruments_then(
    rest: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static,
) -> impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static {
    move |s, n| match s.path() {
        "/api/v5/public/instruments" if s.target.contains("SWAP") => ok(INSTRUMENTS),
        "/api/v5/public/instruments" => ok(EMPTY),
        "/api/v5/account/config" => ok(NET_MODE),
        _ => rest(s, n),
    }
}

#[tokio::test]
async fn signed_requests_carry_the_documented_headers_and_signature() {
    let peer = peer(|_, _| {
        ok(r#"{"code":"0","msg":"","data":[{"details":[{"ccy":"USDT","cashBal":"1000","availBal":"900","upl":"3"}]}]}"#)
    })
    .await;
    let okx = connected(&peer, 2_000).await;
    let b = okx.balances().await.unwrap();
    assert_eq!(b[0].asset, "USDT");
    let s = peer.last("/api/v5/account/balance");
    assert_eq!(s.method, "GET");
    assert_eq!(s.header("OK-ACCESS-KEY"), Some(KEY));
    assert_eq!(s.header("OK-ACCESS-PASSPHRASE"), Some(PASSPHRASE));
    let ts = s.header("OK-ACCESS-TIMESTAMP").unwrap();
    assert!(
        ts.len() == 24 && ts.ends_with('Z') && ts.as_bytes()[10] == b'T',
        "{ts}"
    );
    assert_eq!(
        s.header("OK-ACCESS-SIGN").unwrap(),
        expected_sign(&format!("{ts}GET/api/v5/account/balance"))
    );
    assert_eq!(s.header("x-simulated-trading"), None);
}

/// An answer as reported: status, venue code, order id, client order id.
type Answered = (u16, Option<i64>, Option<String>, Option<String>);

#[derive(Default)]
struct Log {
    sent: Mutex<Vec<(String, String, Option<String>)>>,
    answers: Mutex<Vec<Answered>>,
}

impl WireLog for Log {
    fn sent(&self, r: &WireRequest<'_>) {
        self.sent.lock().unwrap().push((
            r.path.to_owned(),
            r.params.to_owned(),
            r.signature.map(str::to_owned),
        ));
    }
    fn answered(&self, a: &WireAnswer<'_>) {
        self.answers.lock().unwrap().push((
            a.status,
            a.venue_code,
            a.order_id.clone(),
            a.client_order_id.clone(),
        ));
    }
}

#[tokio::test]
async fn an_ioc_order_is_posted_once_as_documented_and_reported_to_the_audit() {
    let peer = peer(instruments_then(|_, _| {
        ok(r#"{"code":"0","msg":"","data":[{"clOrdId":"rmp0aZ9","ordId":"312269865356374016","tag":"","ts":"1695190491421","sCode":"0","sMsg":""}],"inTime":"1","outTime":"2"}"#)
    }))
    .await;
    let client =
        RestClient::with_options(&peer.base, KEY, SECRET, PASSPHRASE, &options(2_000)).unwrap();
    let log = Arc::new(Log::default());
    let okx = Okx::new(client.with_wire_log(log.clone()));
    okx.sync_clock().await.unwrap();
    let ack = okx.place_order(&order(Some("30000.1"))).await.unwrap();
    assert_eq!(ack.venue_order_id, "312269865356374016");
    assert_eq!(ack.client_order_id, "rmp0aZ9");
    let s = peer.last("/api/v5/trade/order");
    assert_eq!(s.method, "POST");
    let body: serde_json::Value = serde_json::from_str(&s.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"instId":"BTC-USDT-SWAP","tdMode":"cross","side":"buy","sz":"1.5",
                           "ordType":"ioc","px":"30000.1","clOrdId":"rmp0aZ9"})
    );
    let ts = s.header("OK-ACCESS-TIMESTAMP").unwrap();
    assert_eq!(
        s.header("OK-ACCESS-SIGN").unwrap(),
        expected_sign(&format!("{ts}POST/api/v5/trade/order{}", s.body))
    );
    let sent = log.sent.lock().unwrap();
    let (path, params, sig) = sent.last().unwrap();
    assert_eq!(path, "/api/v5/trade/order");
    assert_eq!(params, &s.body);
    assert_eq!(sig.as_deref(), s.header("OK-ACCESS-SIGN"));
    let answers = log.answers.lock().unwrap();
    let (status, code, ord, cl) = answers.last().unwrap();
    assert_eq!(*status, 200);
    assert_eq!(*code, None);
    assert_eq!(ord.as_deref(), Some("312269865356374016"));
    assert_eq!(cl.as_deref(), Some("rmp0aZ9"));
}

#[tokio::test]
async fn a_place_without_an_answer_is_outcome_unknown_and_never_resent() {
    let peer = peer(instruments_then(|_, _| Reply {
        delay: Duration::from_millis(1_500),
        ..ok(EMPTY)
    }))
    .await;
    let okx = connected(&peer, 400).await;
    let e = okx.place_order(&order(None)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connectivity);
    assert!(e.outcome_unknown, "{e:?}");
    assert!(!e.not_sent);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(peer.count("/api/v5/trade/order"), 1);
}

#[tokio::test]
async fn a_5xx_on_place_is_outcome_unknown() {
    let peer = peer(instruments_then(|_, _| Reply {
        status: 502,
        ..ok("bad gateway")
    }))
    .await;
    let okx = connected(&peer, 2_000).await;
    let e = okx.place_order(&order(None)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::VenueFailure);
    assert!(e.outcome_unknown);
    assert_eq!(peer.count("/api/v5/trade/order"), 1);
}

#[tokio::test]
async fn a_refused_order_keeps_okx_s_code_and_message() {
    let peer = peer(instruments_then(|_, _| {
        ok(r#"{"code":"1","msg":"Operation failed.","data":[{"clOrdId":"rmp0aZ9","ordId":"","sCode":"51008","sMsg":"Order failed. Insufficient USDT margin in account"}]}"#)
    }))
    .await;
    let client =
        RestClient::with_options(&peer.base, KEY, SECRET, PASSPHRASE, &options(2_000)).unwrap();
    let log = Arc::new(Log::default());
    let okx = Okx::new(client.with_wire_log(log.clone()));
    okx.sync_clock().await.unwrap();
    let e = okx.place_order(&order(None)).await.unwrap_err();
    let answers = log.answers.lock().unwrap();
    let (status, code, _, _) = answers.last().unwrap();
    assert_eq!(
        (*status, *code),
        (200, Some(51008)),
        "the audit has the venue's code"
    );
    drop(answers);
    assert_eq!(e.kind, ErrorKind::Rejected);
    assert_eq!(e.venue_code.as_deref(), Some("51008"));
    assert!(e.venue_message.unwrap().contains("Insufficient"));
    assert!(e.message.contains("Not enough margin"));
    assert!(!e.outcome_unknown);
}

#[tokio::test]
async fn an_expired_timestamp_measures_the_clock_again() {
    let peer = peer(instruments_then(|s, _| {
        let refused = r#"{"code":"50102","msg":"Timestamp request expired","data":[]}"#;
        match s.path() {
            // The first balance read and every order are refused for their timestamp.
            "/api/v5/trade/order" => Reply {
                status: 401,
                ..ok(refused)
            },
            _ if BAL.fetch_add(1, Ordering::SeqCst) == 0 => Reply {
                status: 401,
                ..ok(refused)
            },
            _ => ok(r#"{"code":"0","msg":"","data":[{"details":[]}]}"#),
        }
    }))
    .await;
    static BAL: AtomicUsize = AtomicUsize::new(0);
    let okx = connected(&peer, 2_000).await;
    okx.balances().await.unwrap();
    assert_eq!(
        peer.count("/api/v5/account/balance"),
        2,
        "a read is sent once more"
    );
    assert_eq!(
        peer.count("/api/v5/public/time"),
        2,
        "after measuring again"
    );
    let e = okx.place_order(&order(None)).await.unwrap_err();
    assert_eq!(e.venue_code.as_deref(), Some("50102"));
    assert_eq!(
        e.refusal_cause(),
        rampart_venues::venue::RefusalCause::Timestamp
    );
    assert_eq!(
        peer.count("/api/v5/trade/order"),
        1,
        "an order is never resent"
    );
    assert_eq!(peer.count("/api/v5/public/time"), 3);
}

#[tokio::test]
async fn orders_breaking_the_rules_are_refused_before_sending() {
    let peer = peer(instruments_then(|_, _| ok(EMPTY))).await;
    let okx = connected(&peer, 2_000).await;
    let e = okx.place_order(&order(Some("30000.15"))).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
    assert!(e.not_sent);
    let mut bad_id = order(None);
    bad_id.client_order_id = "rmp-0aZ9".into();
    assert_eq!(
        okx.place_order(&bad_id).await.unwrap_err().kind,
        ErrorKind::Validation
    );
    assert_eq!(peer.count("/api/v5/trade/order"), 0);
}

#[tokio::test]
async fn the_rate_limit_is_kept_here_before_okx_would_refuse() {
    let peer = peer(|_, _| {
        ok(r#"{"code":"0","msg":"","data":[{"perm":"read_only,trade","ip":"","posMode":"net_mode"}]}"#)
    })
    .await;
    let okx = connected(&peer, 2_000).await;
    // account/config: 5 per 2 s, 10 % kept for other tools: 4.
    for _ in 0..4 {
        okx.key_permissions().await.unwrap();
    }
    let e = okx.key_permissions().await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimited);
    assert!(e.not_sent);
    let now = okx.venue_time_ms().unwrap();
    let at = e.retry_at_ms.unwrap();
    assert!(at > now && at <= now + 2_000, "{at} vs {now}");
    assert_eq!(peer.count("/api/v5/account/config"), 4);
}

#[tokio::test]
async fn a_429_holds_the_endpoint() {
    let peer = peer(|_, _| Reply {
        status: 429,
        ..ok(r#"{"code":"50011","msg":"Too Many Requests","data":[]}"#)
    })
    .await;
    let okx = connected(&peer, 2_000).await;
    let e = okx.positions(None).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimited);
    assert!(e.retry_at_ms.is_some());
    let e = okx.positions(None).await.unwrap_err();
    assert!(e.not_sent, "held here until the window ends");
    assert_eq!(peer.count("/api/v5/account/positions"), 1);
}

#[tokio::test]
async fn the_dead_mans_switch_takes_10_to_120_seconds_or_zero() {
    let peer = peer(|_, _| {
        ok(r#"{"code":"0","msg":"","data":[{"triggerTime":"1587971460","tag":"","ts":"1587971400"}]}"#)
    })
    .await;
    let okx = connected(&peer, 2_000).await;
    for bad in [5, 121] {
        let e = okx
            .dead_mans_switch(&DeadMansScope::Account, Duration::from_secs(bad))
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Validation);
        assert!(e.message.contains("10 to 120"));
    }
    let e = okx
        .dead_mans_switch(
            &DeadMansScope::Symbol("BTC-USDT-SWAP".into()),
            Duration::from_secs(60),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
    assert_eq!(peer.count("/api/v5/trade/cancel-all-after"), 0);
    okx.dead_mans_switch(&DeadMansScope::Account, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        peer.last("/api/v5/trade/cancel-all-after").body,
        r#"{"timeOut":"60"}"#
    );
    tokio::time::sleep(Duration::from_millis(1_050)).await;
    okx.dead_mans_switch(&DeadMansScope::Account, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(
        peer.last("/api/v5/trade/cancel-all-after").body,
        r#"{"timeOut":"0"}"#
    );
}

#[tokio::test]
async fn key_permissions_come_from_the_account_configuration() {
    let peer = peer(|_, _| {
        ok(r#"{"code":"0","msg":"","data":[{"acctLv":"2","perm":"read_only,withdraw,trade","ip":"203.0.113.7","label":"r","posMode":"net_mode"}]}"#)
    })
    .await;
    let okx = connected(&peer, 2_000).await;
    let k = okx.key_permissions().await.unwrap().unwrap();
    assert!(k.can_withdraw && k.can_trade && k.ip_restricted);
}

#[tokio::test]
async fn an_unknown_client_id_is_looked_for_among_conditional_orders_too() {
    let peer = peer(|s, _| match s.path() {
        "/api/v5/trade/order" | "/api/v5/trade/order-algo" => Reply {
            status: 200,
            ..ok(r#"{"code":"51603","msg":"Order does not exist","data":[]}"#)
        },
        _ => ok(EMPTY),
    })
    .await;
    let okx = connected(&peer, 2_000).await;
    let found = okx
        .order_by_client_id("BTC-USDT-SWAP", "rmp0aZ9")
        .await
        .unwrap();
    assert_eq!(found, ClientIdLookup::NotFound);
    assert_eq!(
        peer.last("/api/v5/trade/order").target,
        "/api/v5/trade/order?instId=BTC-USDT-SWAP&clOrdId=rmp0aZ9"
    );
    assert_eq!(
        peer.last("/api/v5/trade/order-algo").target,
        "/api/v5/trade/order-algo?algoClOrdId=rmp0aZ9"
    );
}

#[tokio::test]
async fn cancel_all_cancels_derivative_orders_in_batches_and_conditional_ones_by_algo_id() {
    let peer = peer(|s, _| match (s.path(), s.target.contains("SWAP")) {
        ("/api/v5/trade/orders-pending", true) => ok(
            r#"{"code":"0","msg":"","data":[
              {"instId":"BTC-USDT-SWAP","ordId":"11","clOrdId":"rmpA","px":"30000","sz":"1","ordType":"limit","side":"buy","posSide":"net","accFillSz":"0","avgPx":"","state":"live","reduceOnly":"false","uTime":"1","cTime":"1"},
              {"instId":"BTC-USDT-SWAP","ordId":"12","clOrdId":"rmpB","px":"31000","sz":"1","ordType":"post_only","side":"sell","posSide":"net","accFillSz":"0.5","avgPx":"31000","state":"partially_filled","reduceOnly":"false","uTime":"2","cTime":"1"}]}"#,
        ),
        ("/api/v5/trade/orders-algo-pending", true) => ok(
            r#"{"code":"0","msg":"","data":[{"instId":"BTC-USDT-SWAP","algoId":"77","algoClOrdId":"rmpS","ordType":"conditional","side":"sell","posSide":"net","sz":"1","state":"live","slTriggerPx":"29000","slOrdPx":"-1","tpTriggerPx":"","tpOrdPx":"","reduceOnly":"true","uTime":"3","cTime":"3"}]}"#,
        ),
        ("/api/v5/trade/cancel-batch-orders", _) => ok(
            r#"{"code":"0","msg":"","data":[{"clOrdId":"rmpA","ordId":"11","sCode":"0","sMsg":""},{"clOrdId":"rmpB","ordId":"12","sCode":"0","sMsg":""}]}"#,
        ),
        ("/api/v5/trade/cancel-algos", _) => ok(
            r#"{"code":"0","msg":"","data":[{"algoId":"77","sCode":"0","sMsg":""}]}"#,
        ),
        _ => ok(EMPTY),
    })
    .await;
    let okx = connected(&peer, 2_000).await;
    let open = okx.open_orders(None).await.unwrap();
    assert_eq!(open.len(), 3);
    assert!(
        open.iter()
            .any(|o| o.client_order_id == "rmpS" && o.order_type == Some(OrderType::StopMarket))
    );
    okx.cancel_all(None).await.unwrap();
    let batch: serde_json::Value =
        serde_json::from_str(&peer.last("/api/v5/trade/cancel-batch-orders").body).unwrap();
    assert_eq!(
        batch,
        serde_json::json!([{"instId":"BTC-USDT-SWAP","ordId":"11"},{"instId":"BTC-USDT-SWAP","ordId":"12"}])
    );
    // Compared as JSON: the key order of serde_json's maps depends on a feature another crate
    // of the workspace may turn on (`preserve_order`), and OKX reads either order.
    let algos: serde_json::Value =
        serde_json::from_str(&peer.last("/api/v5/trade/cancel-algos").body).unwrap();
    assert_eq!(
        algos,
        serde_json::json!([{"algoId":"77","instId":"BTC-USDT-SWAP"}])
    );
    let targets: Vec<String> = peer
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.path() == "/api/v5/trade/orders-pending")
        .map(|s| s.target.clone())
        .collect();
    assert!(
        targets
            .iter()
            .all(|t| t.contains("instType=SWAP") || t.contains("instType=FUTURES"))
    );
}

#[tokio::test]
async fn the_mark_price_carries_index_and_funding() {
    let peer = peer(instruments_then(|s, _| match s.path() {
        "/api/v5/public/mark-price" => ok(
            r#"{"code":"0","msg":"","data":[{"instType":"SWAP","instId":"BTC-USDT-SWAP","markPx":"42310.6","ts":"1630049139746"}]}"#,
        ),
        "/api/v5/market/index-tickers" => ok(
            r#"{"code":"0","msg":"","data":[{"instId":"BTC-USDT","idxPx":"42300.1","high24h":"1","sodUtc0":"1","open24h":"1","low24h":"1","sodUtc8":"1","ts":"1630049139746"}]}"#,
        ),
        "/api/v5/public/funding-rate" => ok(
            r#"{"code":"0","msg":"","data":[{"fundingRate":"0.0001","fundingTime":"1703088000000","instId":"BTC-USDT-SWAP","instType":"SWAP","nextFundingTime":"1703116800000"}]}"#,
        ),
        _ => ok(EMPTY),
    }))
    .await;
    let okx = connected(&peer, 2_000).await;
    let m = okx.mark_price("BTC-USDT-SWAP").await.unwrap();
    assert_eq!(m.mark, "42310.6".parse().unwrap());
    assert_eq!(m.index, Some("42300.1".parse().unwrap()));
    assert_eq!(m.funding_rate, Some("0.0001".parse().unwrap()));
    assert_eq!(m.next_funding_ms, Some(1_703_088_000_000));
    assert_eq!(
        peer.last("/api/v5/public/mark-price").target,
        "/api/v5/public/mark-price?instType=SWAP&instId=BTC-USDT-SWAP"
    );
    assert_eq!(
        peer.last("/api/v5/market/index-tickers").target,
        "/api/v5/market/index-tickers?instId=BTC-USDT"
    );
}

#[tokio::test]
async fn the_position_side_must_fit_the_accounts_position_mode() {
    let peer = peer(|s, _| match s.path() {
        "/api/v5/public/instruments" if s.target.contains("SWAP") => ok(INSTRUMENTS),
        "/api/v5/account/config" => ok(
            r#"{"code":"0","msg":"","data":[{"perm":"read_only,trade","ip":"","posMode":"long_short_mode"}]}"#,
        ),
        "/api/v5/trade/order" => ok(
            r#"{"code":"0","msg":"","data":[{"clOrdId":"rmp0aZ9","ordId":"5","sCode":"0","sMsg":""}]}"#,
        ),
        _ => ok(EMPTY),
    })
    .await;
    let okx = connected(&peer, 2_000).await;
    let e = okx.place_order(&order(None)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
    assert!(e.not_sent && e.message.contains("hedge"), "{e:?}");
    assert_eq!(peer.count("/api/v5/trade/order"), 0);
    let mut long = order(None);
    long.position_side = PositionSide::Long;
    okx.place_order(&long).await.unwrap();
    let body: serde_json::Value =
        serde_json::from_str(&peer.last("/api/v5/trade/order").body).unwrap();
    assert_eq!(body["posSide"], "long");
    assert_eq!(peer.count("/api/v5/account/config"), 1, "read once");
}

#[tokio::test]
async fn margin_mode_is_recorded_per_symbol_and_used_for_orders_and_leverage() {
    use rampart_venues::venue::{Leverage, LeverageRequest, MarginMode};
    let peer = peer(instruments_then(|s, _| match s.path() {
        "/api/v5/account/set-leverage" => ok(
            r#"{"code":"0","msg":"","data":[{"lever":"12.5","mgnMode":"isolated","instId":"BTC-USDT-SWAP","posSide":""}]}"#,
        ),
        "/api/v5/trade/order" => ok(
            r#"{"code":"0","msg":"","data":[{"clOrdId":"rmp0aZ9","ordId":"5","sCode":"0","sMsg":""}]}"#,
        ),
        _ => ok(EMPTY),
    }))
    .await;
    let okx = connected(&peer, 2_000).await;
    okx.set_margin_mode("BTC-USDT-SWAP", MarginMode::Isolated)
        .await
        .unwrap();
    let split = LeverageRequest {
        symbol: "BTC-USDT-SWAP".into(),
        leverage: Leverage {
            buy: "10".parse().unwrap(),
            sell: "12".parse().unwrap(),
        },
        margin_mode: None,
    };
    let e = okx.set_leverage(&split).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
    let lev = okx
        .set_leverage(&LeverageRequest {
            leverage: Leverage::both("12.50".parse().unwrap()),
            ..split
        })
        .await
        .unwrap();
    assert_eq!(lev, Leverage::both("12.5".parse().unwrap()));
    let body: serde_json::Value =
        serde_json::from_str(&peer.last("/api/v5/account/set-leverage").body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"instId":"BTC-USDT-SWAP","lever":"12.5","mgnMode":"isolated"})
    );
    okx.place_order(&order(None)).await.unwrap();
    let body: serde_json::Value =
        serde_json::from_str(&peer.last("/api/v5/trade/order").body).unwrap();
    assert_eq!(body["tdMode"], "isolated");
    assert_eq!(body["ordType"], "market");
}

#[tokio::test]
async fn fees_books_and_candles_are_asked_for_as_documented() {
    use rampart_venues::venue::CandleInterval;
    let peer = peer(instruments_then(|s, _| match s.path() {
        "/api/v5/account/trade-fee" => ok(
            r#"{"code":"0","msg":"","data":[{"category":"1","delivery":"","exercise":"","instType":"SWAP","level":"Lv1","maker":"-0.0002","makerU":"-0.0002","makerUSDC":"-0.0002","taker":"-0.0005","takerU":"-0.0005","takerUSDC":"-0.0005","ts":"1763979985847"}]}"#,
        ),
        "/api/v5/market/books" => ok(
            r#"{"code":"0","msg":"","data":[{"asks":[["41006.8","0.60038921","0","1"]],"bids":[["41006.3","0.30178218","0","2"]],"ts":"1629966436396"}]}"#,
        ),
        "/api/v5/market/candles" => ok(
            r#"{"code":"0","msg":"","data":[["1597026383085","3.811","3.811","3.811","3.811","98","8","8","0"],["1597026323085","3.721","3.743","3.677","3.708","8422410","22698348.04828491","12698348.04828491","1"]]}"#,
        ),
        _ => ok(EMPTY),
    }))
    .await;
    let okx = connected(&peer, 2_000).await;
    let fees = okx.fee_rates("BTC-USDT-SWAP").await.unwrap();
    assert_eq!(
        fees.maker,
        "0.0002".parse().unwrap(),
        "a fee charged is positive here"
    );
    assert_eq!(fees.taker, "0.0005".parse().unwrap());
    assert_eq!(
        peer.last("/api/v5/account/trade-fee").target,
        "/api/v5/account/trade-fee?instType=SWAP&instFamily=BTC-USDT"
    );
    let book = okx.order_book("BTC-USDT-SWAP", 1_000).await.unwrap();
    assert_eq!(book.bids[0].qty, "0.30178218".parse().unwrap());
    assert_eq!(
        peer.last("/api/v5/market/books").target,
        "/api/v5/market/books?instId=BTC-USDT-SWAP&sz=400",
        "400 is the most OKX serves"
    );
    let candles = okx
        .candles("BTC-USDT-SWAP", CandleInterval::D1, 2)
        .await
        .unwrap();
    assert!(
        candles[0].open_time_ms < candles[1].open_time_ms,
        "oldest first"
    );
    assert_eq!(
        peer.last("/api/v5/market/candles").target,
        "/api/v5/market/candles?instId=BTC-USDT-SWAP&bar=1Dutc&limit=2"
    );
}
