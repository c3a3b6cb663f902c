//! The Binance USDⓈ-M connector's signing against the simulator over real loopback sockets: the
//! two were written apart (rampart-sim shares no code with rampart-venues), so agreement here
//! means both follow Binance's documented rule.

use rampart_sim::binance_usdm::{Faults, SimAccount, SimConfig, SimServer};
use rampart_venues::binance_usdm::signer::{append_signature, encode_params};
use rampart_venues::binance_usdm::{Signer, SymbolFilters};
use serde_json::Value;

const KEY: &str = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83";
const SECRET: &str = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";

async fn sim() -> SimServer {
    sim_with(Faults::default()).await
}

async fn sim_with(faults: Faults) -> SimServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    SimServer::start(
        listener,
        SimConfig {
            accounts: vec![SimAccount {
                api_key: KEY.into(),
                api_secret: SECRET.into(),
            }],
            faults,
            // The venue's published order limits are Binance's; the fault run raises them (in
            // exchangeInfo too, which the connector adopts) so it measures faults, not pacing.
            order_limit_per_10s: 10_000,
            order_limit_per_minute: 10_000,
            ..Default::default()
        },
    )
    .unwrap()
}

async fn server_time(client: &reqwest::Client, base: &str) -> i64 {
    let v: Value = client
        .get(format!("{base}/fapi/v1/time"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["serverTime"].as_i64().unwrap()
}

/// POSTs an order with `params` (+ timestamp) in the body, signed with `secret`; the status,
/// body and used weight. Also `binance_connector`'s way past the connector.
pub(super) async fn post_order(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    secret: &str,
    params: &[(&str, &str)],
    timestamp: i64,
) -> (u16, Value, Option<u32>) {
    let ts = timestamp.to_string();
    let mut all: Vec<(&str, &str)> = params.to_vec();
    all.push(("timestamp", &ts));
    let body = encode_params(all);
    let signature = Signer::from_secret(secret).unwrap().sign("", &body);
    let response = client
        .post(format!("{base}/fapi/v1/order"))
        .header("X-MBX-APIKEY", key)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(append_signature(&body, &signature))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let weight = response
        .headers()
        .get("X-MBX-USED-WEIGHT-1M")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (status, response.json().await.unwrap(), weight)
}

type RejectCase<'a> = (
    &'a str,
    Vec<(&'a str, &'a str)>,
    &'a str,
    &'a str,
    i64,
    i64,
    u16,
);

const LIMIT_BUY: &[(&str, &str)] = &[
    ("symbol", "BTCUSDT"),
    ("side", "BUY"),
    ("type", "LIMIT"),
    ("timeInForce", "GTC"),
    ("quantity", "0.002"),
    ("price", "59000.0"),
];

#[tokio::test]
async fn signed_orders_are_accepted_and_each_rule_is_enforced_with_binances_codes() {
    let sim = sim().await;
    let base = sim.base_url();
    let client = reqwest::Client::new();
    let now = server_time(&client, &base).await;

    // exchangeInfo from the simulator parses into the connector's filters.
    let info = client
        .get(format!("{base}/fapi/v1/exchangeInfo"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let filters = SymbolFilters::parse_exchange_info(&info).unwrap();
    assert_eq!(
        filters
            .iter()
            .map(|f| f.symbol.as_str())
            .collect::<Vec<_>>(),
        ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    );

    // Accepted, with a client order id, and the weight header set.
    let mut params = LIMIT_BUY.to_vec();
    params.push(("newClientOrderId", "rampart-test-1"));
    let (status, order, weight) = post_order(&client, &base, KEY, SECRET, &params, now).await;
    assert_eq!(status, 200, "{order}");
    assert_eq!(order["status"], "NEW");
    assert_eq!(order["clientOrderId"], "rampart-test-1");
    assert!(weight.unwrap() >= 1);
    assert!(
        sim.order_by_client_id(KEY, "BTCUSDT", "rampart-test-1")
            .is_some()
    );

    // (what, params, api key, secret, clock skew ms, expected code, expected HTTP status)
    let cases: Vec<RejectCase> = vec![
        (
            "duplicate client id",
            params.clone(),
            KEY,
            SECRET,
            0,
            -4116,
            400,
        ),
        (
            "wrong secret",
            LIMIT_BUY.to_vec(),
            KEY,
            "not-the-secret",
            0,
            -1022,
            400,
        ),
        (
            "unknown key",
            LIMIT_BUY.to_vec(),
            "unknown-key",
            SECRET,
            0,
            -2015,
            401,
        ),
        (
            "stale timestamp",
            LIMIT_BUY.to_vec(),
            KEY,
            SECRET,
            -10_000,
            -1021,
            400,
        ),
        (
            "from the future",
            LIMIT_BUY.to_vec(),
            KEY,
            SECRET,
            5_000,
            -1021,
            400,
        ),
        (
            "off tick",
            with(LIMIT_BUY, "price", "59000.05"),
            KEY,
            SECRET,
            0,
            -4014,
            400,
        ),
        (
            "off step",
            with(LIMIT_BUY, "quantity", "0.0025"),
            KEY,
            SECRET,
            0,
            -4023,
            400,
        ),
        (
            "below min qty",
            with(LIMIT_BUY, "quantity", "0.0001"),
            KEY,
            SECRET,
            0,
            -4004,
            400,
        ),
        (
            "min notional",
            with(LIMIT_BUY, "quantity", "0.001"),
            KEY,
            SECRET,
            0,
            -4164,
            400,
        ),
        (
            "bad symbol",
            with(LIMIT_BUY, "symbol", "NOPEUSDT"),
            KEY,
            SECRET,
            0,
            -1121,
            400,
        ),
        (
            "above band",
            with(LIMIT_BUY, "price", "70000.0"),
            KEY,
            SECRET,
            0,
            -4016,
            400,
        ),
        (
            "missing quantity",
            without(LIMIT_BUY, "quantity"),
            KEY,
            SECRET,
            0,
            -1102,
            400,
        ),
    ];
    for (name, params, key, secret, skew, code, http) in cases {
        let (status, body, _) = post_order(&client, &base, key, secret, &params, now + skew).await;
        assert_eq!(
            (status, body["code"].as_i64()),
            (http, Some(code)),
            "{name}: {body}"
        );
        assert!(
            body["msg"].as_str().is_some_and(|m| !m.is_empty()),
            "{name}: {body}"
        );
    }
    assert_eq!(sim.order_count(), 1, "no rejected order was recorded");

    // Binance's published example verifies (signature first), then fails on its 2020 timestamp.
    let doc = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943&signature=3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9";
    let response = client
        .post(format!("{base}/fapi/v1/order"))
        .header("X-MBX-APIKEY", KEY)
        .body(doc)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], -1021, "{body}");
    sim.stop().await;
}

fn with<'a>(base: &[(&'a str, &'a str)], key: &'a str, value: &'a str) -> Vec<(&'a str, &'a str)> {
    base.iter()
        .map(|&(k, v)| if k == key { (k, value) } else { (k, v) })
        .collect()
}

fn without<'a>(base: &[(&'a str, &'a str)], key: &str) -> Vec<(&'a str, &'a str)> {
    base.iter().copied().filter(|(k, _)| *k != key).collect()
}

/// The connector's REST client against the simulator: clock, exchangeInfo, place and query by
/// client order id, and a venue rejection surfaced as a typed error.
#[tokio::test]
async fn the_rest_client_places_and_finds_orders_by_client_id() {
    use rampart_venues::binance_usdm::{RestClient, VenueError};
    use reqwest::Method;

    let sim = sim().await;
    let client = RestClient::new(&sim.base_url(), KEY, SECRET).unwrap();
    assert!(matches!(
        client.signed(Method::GET, "/fapi/v1/order", &[], 1).await,
        Err(VenueError::ClockUnknown)
    ));
    let offset = client.sync_clock().await.unwrap();
    assert!(offset.abs() < 1_000, "loopback offset {offset} ms");
    assert_eq!(client.exchange_info().await.unwrap().len(), 3);

    let mut params = LIMIT_BUY.to_vec();
    params.push(("newClientOrderId", "rampart-rest-1"));
    let ack = client
        .signed(Method::POST, "/fapi/v1/order", &params, 1)
        .await
        .unwrap();
    assert_eq!(ack["clientOrderId"], "rampart-rest-1");
    let found = client
        .signed(
            Method::GET,
            "/fapi/v1/order",
            &[
                ("symbol", "BTCUSDT"),
                ("origClientOrderId", "rampart-rest-1"),
            ],
            1,
        )
        .await
        .unwrap();
    assert_eq!(found["orderId"], ack["orderId"]);

    match client
        .signed(
            Method::GET,
            "/fapi/v1/order",
            &[("symbol", "BTCUSDT"), ("origClientOrderId", "nope")],
            1,
        )
        .await
    {
        Err(VenueError::Rejected {
            code: -2013,
            msg,
            http: 400,
        }) => assert_eq!(msg, "Order does not exist."),
        other => panic!("{other:?}"),
    }
    let duplicate = client
        .signed(Method::POST, "/fapi/v1/order", &params, 1)
        .await
        .unwrap_err();
    assert!(
        matches!(duplicate, VenueError::Rejected { code: -4116, .. }),
        "{duplicate}"
    );
    assert!(!duplicate.outcome_unknown());

    // A stopped venue is a connectivity error whose outcome, for an order, is unknown.
    let base = sim.base_url();
    sim.stop().await;
    let gone = RestClient::new(&base, KEY, SECRET)
        .unwrap()
        .sync_clock()
        .await
        .unwrap_err();
    assert!(
        matches!(gone, VenueError::Connectivity(_)) && gone.outcome_unknown(),
        "{gone}"
    );
    assert!(matches!(
        RestClient::new("http://example.com", KEY, SECRET),
        Err(VenueError::InsecureUrl(_))
    ));
}

/// Issue 4, item 4: 1,000 orders through the engine's lifecycle while the simulator drops the
/// connection after accepting, answers "unknown" 503s after accepting, or fails before accepting.
/// Every order ends Accepted or NotPlaced (never Unknown) and none is placed twice.
#[tokio::test]
async fn a_thousand_orders_with_faults_give_no_duplicates_and_nothing_unknown() {
    use rampart_engine::orders::{OrderJournal, OrderOutcome, OrderRouter};
    use rampart_venues::binance_usdm::RestClient;
    use std::collections::HashSet;

    const ORDERS: u32 = 1_000;
    const EVERY: u32 = 7;
    let sim = sim_with(Faults {
        every: EVERY,
        ..Default::default()
    })
    .await;
    let client = RestClient::new(&sim.base_url(), KEY, SECRET).unwrap();
    client.sync_clock().await.unwrap();
    client.exchange_info().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal_path = dir.path().join("orders.jsonl");
    let journal = OrderJournal::open(&journal_path).unwrap();
    let router = OrderRouter::new(&client, &journal);

    let mut accepted = Vec::new();
    let mut not_placed = 0;
    for i in 0..ORDERS {
        let side = if i % 2 == 0 { "BUY" } else { "SELL" };
        let params = [("side", side), ("type", "MARKET"), ("quantity", "0.002")];
        let (client_id, outcome) = router
            .place("BTCUSDT", &params)
            .await
            .unwrap_or_else(|e| panic!("order {i}: {e}"));
        match outcome {
            OrderOutcome::Accepted { .. } => accepted.push(client_id),
            OrderOutcome::NotPlaced => not_placed += 1,
            OrderOutcome::Rejected { code, message } => {
                panic!("order {i} rejected: {code} {message}")
            }
        }
    }
    let faults = ORDERS / EVERY;
    let failed_before = (1..=faults).filter(|k| k % 3 == 0).count();
    assert_eq!(
        not_placed, failed_before,
        "only orders the venue never took are NotPlaced"
    );
    assert_eq!(accepted.len() + not_placed, ORDERS as usize);

    let on_venue = sim.client_order_ids();
    let unique: HashSet<&String> = on_venue.iter().collect();
    assert_eq!(
        unique.len(),
        on_venue.len(),
        "a client order id twice on the venue"
    );
    assert_eq!(
        on_venue.len(),
        accepted.len(),
        "the venue holds exactly the accepted orders"
    );
    assert!(accepted.iter().all(|id| unique.contains(id)));

    // Each order's intent was journaled before anything else about it.
    let journal_text = std::fs::read_to_string(&journal_path).unwrap();
    let mut seen = HashSet::new();
    let mut unknown = 0;
    for line in journal_text.lines() {
        let event: Value = serde_json::from_str(line).unwrap();
        let id = event["client_order_id"].as_str().unwrap().to_owned();
        match event["event"].as_str().unwrap() {
            "intent" => assert!(seen.insert(id), "two intents for one id"),
            "unknown" => {
                assert!(seen.contains(&id), "unknown before intent");
                unknown += 1;
            }
            _ => assert!(seen.contains(&id), "outcome before intent"),
        }
    }
    assert_eq!(seen.len(), ORDERS as usize);
    assert_eq!(
        unknown, faults as usize,
        "every injected fault made an order Unknown first"
    );
    sim.stop().await;
}

/// Cancel one by client order id, list open orders, cancel all — connector against simulator.
#[tokio::test]
async fn cancel_open_orders_and_cancel_all() {
    use rampart_venues::binance_usdm::{RestClient, VenueError};

    let sim = sim().await;
    let client = RestClient::new(&sim.base_url(), KEY, SECRET).unwrap();
    client.sync_clock().await.unwrap();
    for id in ["c-1", "c-2", "c-3"] {
        let mut params = LIMIT_BUY.to_vec();
        params.push(("newClientOrderId", id));
        client.new_order(&params).await.unwrap();
    }
    assert_eq!(client.open_orders("BTCUSDT").await.unwrap().len(), 3);

    let canceled = client.cancel_by_client_id("BTCUSDT", "c-2").await.unwrap();
    assert_eq!(canceled["status"], "CANCELED");
    let again = client
        .cancel_by_client_id("BTCUSDT", "c-2")
        .await
        .unwrap_err();
    assert!(
        matches!(again, VenueError::Rejected { code: -2011, .. }),
        "{again}"
    );
    let open: Vec<String> = client
        .open_orders("BTCUSDT")
        .await
        .unwrap()
        .iter()
        .map(|o| o["clientOrderId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(open, ["c-1", "c-3"]);

    client.cancel_all_open_orders("BTCUSDT").await.unwrap();
    assert!(client.open_orders("BTCUSDT").await.unwrap().is_empty());
    let c1 = client
        .order_by_client_id("BTCUSDT", "c-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c1["status"], "CANCELED");
    sim.stop().await;
}
