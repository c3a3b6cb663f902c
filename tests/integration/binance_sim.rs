//! The Binance USDⓈ-M connector's signing against the simulator over real loopback sockets: the
//! two were written apart (rampart-sim shares no code with rampart-venues), so agreement here
//! means both follow Binance's documented rule.

use rampart_sim::binance_usdm::{Faults, SimConfig, SimServer};
use rampart_venues::binance_usdm::signer::{append_signature, encode_params};
use rampart_venues::binance_usdm::{Signer, SymbolFilters};
use serde_json::Value;

use super::support::{account, btc_filters, order, start};

// Binance's documented example key and secret: its published signature examples verify with them.
const KEY: &str = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83";
const SECRET: &str = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";

async fn sim() -> SimServer {
    sim_with(Faults::default()).await
}

async fn sim_with(faults: Faults) -> SimServer {
    start(SimConfig {
        accounts: vec![account(KEY, SECRET)],
        faults,
        // The venue's published order limits are Binance's; the fault run raises them (in
        // exchangeInfo too, which the connector adopts) so it measures faults, not pacing.
        order_limit_per_10s: 10_000,
        order_limit_per_minute: 10_000,
        ..Default::default()
    })
    .await
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

/// A typed GTC limit buy of 0.002 BTCUSDT at 59000 with client order id `id`.
fn limit_buy(id: &str) -> rampart_venues::binance_usdm::OrderRequest {
    order(
        id,
        rampart_core::Side::Buy,
        rampart_core::OrderType::Limit,
        "0.002",
        Some("59000.0"),
        None,
    )
}

/// The connector's REST client against the simulator: clock, exchangeInfo, place and query by
/// client order id, and a venue rejection surfaced as a typed error.
#[tokio::test]
async fn the_rest_client_places_and_finds_orders_by_client_id() {
    use rampart_venues::binance_usdm::algo::Placement;
    use rampart_venues::binance_usdm::{RestClient, VenueError};

    let sim = sim().await;
    let client = RestClient::new(&sim.base_url(), KEY, SECRET).unwrap();
    assert!(matches!(
        client.query_order("BTCUSDT", "x").await,
        Err(VenueError::ClockUnknown)
    ));
    let offset = client.sync_clock().await.unwrap();
    assert!(offset.abs() < 1_000, "loopback offset {offset} ms");
    assert_eq!(client.exchange_info().await.unwrap().len(), 3);
    let rules = btc_filters(&client).await;

    let placed = client
        .place_order(&limit_buy("rampart-rest-1"), &rules, None)
        .await
        .unwrap();
    assert_eq!(placed.client_order_id, "rampart-rest-1");
    let Placement::Order(ack) = placed.placement else {
        panic!("a limit order goes to the regular endpoint")
    };
    let found = client
        .query_order("BTCUSDT", "rampart-rest-1")
        .await
        .unwrap()
        .expect("the order is on the venue");
    assert_eq!(found.order_id, ack.order_id);
    assert!(
        client
            .query_order("BTCUSDT", "nope")
            .await
            .unwrap()
            .is_none()
    );

    let duplicate = client
        .place_order(&limit_buy("rampart-rest-1"), &rules, None)
        .await
        .unwrap_err();
    assert!(
        matches!(duplicate, VenueError::Rejected { .. }),
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

/// Cancel one by client order id, list open orders, cancel all — connector against simulator.
#[tokio::test]
async fn cancel_open_orders_and_cancel_all() {
    use rampart_venues::binance_usdm::models::OrderStatus;
    use rampart_venues::binance_usdm::{RestClient, VenueError};

    let sim = sim().await;
    let client = RestClient::new(&sim.base_url(), KEY, SECRET).unwrap();
    client.sync_clock().await.unwrap();
    let rules = btc_filters(&client).await;
    for id in ["c-1", "c-2", "c-3"] {
        client
            .place_order(&limit_buy(id), &rules, None)
            .await
            .unwrap();
    }
    let open = |list: Vec<rampart_venues::binance_usdm::models::Order>| -> Vec<String> {
        let mut ids: Vec<String> = list.into_iter().map(|o| o.client_order_id).collect();
        ids.sort();
        ids
    };
    assert_eq!(
        open(client.list_open_orders(Some("BTCUSDT")).await.unwrap()),
        ["c-1", "c-2", "c-3"]
    );

    let canceled = client.cancel_order("BTCUSDT", "c-2").await.unwrap();
    assert_eq!(canceled.status, OrderStatus::Canceled);
    let again = client.cancel_order("BTCUSDT", "c-2").await.unwrap_err();
    assert!(
        matches!(again, VenueError::Rejected { code: -2011, .. }),
        "{again}"
    );
    assert_eq!(
        open(client.list_open_orders(Some("BTCUSDT")).await.unwrap()),
        ["c-1", "c-3"]
    );

    client.cancel_all_open_orders("BTCUSDT").await.unwrap();
    assert!(
        client
            .list_open_orders(Some("BTCUSDT"))
            .await
            .unwrap()
            .is_empty()
    );
    let c1 = client.query_order("BTCUSDT", "c-1").await.unwrap().unwrap();
    assert_eq!(c1.status, OrderStatus::Canceled);
    sim.stop().await;
}
