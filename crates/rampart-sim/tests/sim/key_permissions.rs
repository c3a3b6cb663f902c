//! API key permissions in the simulator, over real loopback sockets with reqwest as a third-party
//! client: the SPOT host's `GET /sapi/v1/account/apiRestrictions` (every documented field,
//! signed and refused like every signed endpoint), permissions given at start and changed at
//! runtime, and a key without futures permission refused on the TRADE endpoints (-2015) while
//! its reads still answer.

use super::support::{
    Answer, KEY, account, algo_order, answer, assert_error, market, now_ms, quiet_config, sign,
    signed, sim_with,
};
use rampart_sim::binance_usdm::{SimAccount, SimConfig, SimKeyPermissions, SimServer};

const PATH: &str = "/sapi/v1/account/apiRestrictions";
const REFUSED: &str = "Invalid API-key, IP, or permissions for action.";

/// The response example's fields (Get API Key Permission), in order.
const DOCUMENTED_FIELDS: [&str; 13] = [
    "ipRestrict",
    "createTime",
    "enableReading",
    "enableWithdrawals",
    "enableInternalTransfer",
    "enableMargin",
    "enableFutures",
    "permitsUniversalTransfer",
    "enableVanillaOptions",
    "enableFixApiTrade",
    "enableFixReadOnly",
    "enableSpotAndMarginTrading",
    "enablePortfolioMarginTrading",
];

/// A TRADE endpoint's method, path and parameters.
type TradeRequest = (
    reqwest::Method,
    &'static str,
    &'static [(&'static str, &'static str)],
);

async fn sim() -> SimServer {
    sim_with(quiet_config(5)).await
}

/// `GET /sapi/v1/account/apiRestrictions?<query>&signature=<signature>` sent with `api_key`.
async fn restrictions_raw(sim: &SimServer, api_key: &str, query: &str, signature: &str) -> Answer {
    let url = format!("{}{PATH}?{query}&signature={signature}", sim.base_url());
    let response = reqwest::Client::new()
        .get(url)
        .header("X-MBX-APIKEY", api_key)
        .send()
        .await
        .unwrap();
    answer(response).await
}

/// The test account's permissions, signed as documented.
async fn restrictions(sim: &SimServer) -> Answer {
    signed(sim, reqwest::Method::GET, PATH, &[]).await
}

#[tokio::test]
async fn api_restrictions_answers_every_documented_field_for_a_fresh_key() {
    let before = now_ms();
    let sim = sim().await;
    let a = restrictions(&sim).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let fields = a.body.as_object().unwrap();
    assert_eq!(fields.len(), DOCUMENTED_FIELDS.len(), "{}", a.body);
    for name in DOCUMENTED_FIELDS {
        assert!(fields.contains_key(name), "{name} missing: {}", a.body);
    }
    assert_eq!(a.body["enableReading"], true);
    assert_eq!(a.body["enableFutures"], true);
    for off in [
        "ipRestrict",
        "enableWithdrawals",
        "enableInternalTransfer",
        "permitsUniversalTransfer",
        "enableMargin",
        "enableSpotAndMarginTrading",
    ] {
        assert_eq!(a.body[off], false, "{off}");
    }
    // No creation time given: the key dates from the simulator's start.
    let created = a.body["createTime"].as_i64().unwrap();
    assert!((before..=now_ms()).contains(&created), "{created}");
    // Weight 1, reported the way `/sapi` answers report it.
    assert_eq!(a.header_number("X-SAPI-USED-IP-WEIGHT-1M"), Some(1));
    assert_eq!(a.header("X-MBX-USED-WEIGHT-1M"), None);
    assert_eq!(sim.key_permissions(KEY), Some(SimKeyPermissions::default()));
    sim.stop().await;
}

#[tokio::test]
async fn api_restrictions_is_refused_like_every_signed_endpoint() {
    let sim = sim().await;
    let query = format!("recvWindow=5000&timestamp={}", now_ms());
    let ok = restrictions_raw(&sim, KEY, &query, &sign(&query)).await;
    assert_eq!(ok.status, 200, "{}", ok.body);

    let wrong = restrictions_raw(&sim, KEY, &query, &sign("recvWindow=5000&timestamp=1")).await;
    assert_error(
        &wrong,
        400,
        -1022,
        "Signature for this request is not valid.",
    );

    let stale = format!("recvWindow=5000&timestamp={}", now_ms() - 10_000);
    let late = restrictions_raw(&sim, KEY, &stale, &sign(&stale)).await;
    assert_error(
        &late,
        400,
        -1021,
        "Timestamp for this request is outside of the recvWindow.",
    );

    let stranger = restrictions_raw(&sim, "nobody", &query, &sign(&query)).await;
    assert_error(&stranger, 401, -2015, REFUSED);

    sim.revoke_api_key(KEY);
    let revoked = restrictions_raw(&sim, KEY, &query, &sign(&query)).await;
    assert_error(&revoked, 401, -2015, REFUSED);
    sim.reinstate_api_key(KEY);
    assert_eq!(restrictions(&sim).await.status, 200);

    let unsigned = reqwest::Client::new()
        .get(format!("{}{PATH}?{query}", sim.base_url()))
        .header("X-MBX-APIKEY", KEY)
        .send()
        .await
        .unwrap();
    assert_error(
        &answer(unsigned).await,
        400,
        -1102,
        "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
    );
    sim.stop().await;
}

#[tokio::test]
async fn permissions_given_at_start_and_changed_at_runtime_are_reported() {
    let at_start = SimKeyPermissions {
        withdrawals: true,
        ip_restrict: true,
        create_time_ms: Some(1_698_645_219_000),
        ..SimKeyPermissions::default()
    };
    let sim = sim_with(SimConfig {
        accounts: vec![SimAccount {
            permissions: at_start,
            ..account()
        }],
        ..quiet_config(5)
    })
    .await;
    let a = restrictions(&sim).await;
    assert_eq!(a.body["enableWithdrawals"], true, "{}", a.body);
    assert_eq!(a.body["ipRestrict"], true);
    assert_eq!(a.body["createTime"], 1_698_645_219_000_i64);
    assert!(a.body.get("tradingAuthorityExpirationTime").is_none());

    let changed = SimKeyPermissions {
        futures: false,
        internal_transfer: true,
        universal_transfer: true,
        spot_and_margin_trading: true,
        trading_authority_expiration_ms: Some(1_700_000_000_000),
        ..at_start
    };
    assert!(sim.set_key_permissions(KEY, changed));
    assert!(!sim.set_key_permissions("nobody", changed));
    assert_eq!(sim.key_permissions(KEY), Some(changed));
    assert_eq!(sim.key_permissions("nobody"), None);
    let a = restrictions(&sim).await;
    assert_eq!(a.body["enableFutures"], false, "{}", a.body);
    assert_eq!(a.body["enableInternalTransfer"], true);
    assert_eq!(a.body["permitsUniversalTransfer"], true);
    assert_eq!(a.body["enableSpotAndMarginTrading"], true);
    assert_eq!(
        a.body["tradingAuthorityExpirationTime"],
        1_700_000_000_000_i64
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_key_without_futures_permission_reads_but_does_not_trade() {
    let sim = sim().await;
    // An open order to try cancelling, placed while the key may still trade.
    let resting = signed(
        &sim,
        reqwest::Method::POST,
        "/fapi/v1/order",
        &[
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("timeInForce", "GTC"),
            ("quantity", "0.010"),
            ("price", "59000"),
            ("newClientOrderId", "resting"),
        ],
    )
    .await;
    assert_eq!(resting.status, 200, "{}", resting.body);
    assert!(sim.set_key_permissions(
        KEY,
        SimKeyPermissions {
            futures: false,
            ..SimKeyPermissions::default()
        }
    ));

    let placed = market(&sim, "BUY", "0.010").await;
    assert_error(&placed, 401, -2015, REFUSED);
    let conditional = algo_order(
        &sim,
        &[
            ("symbol", "BTCUSDT"),
            ("side", "SELL"),
            ("type", "STOP_MARKET"),
            ("quantity", "0.010"),
            ("triggerPrice", "40000"),
        ],
    )
    .await;
    assert_error(&conditional, 401, -2015, REFUSED);
    let trade_requests: [TradeRequest; 6] = [
        (
            reqwest::Method::DELETE,
            "/fapi/v1/order",
            &[("symbol", "BTCUSDT"), ("origClientOrderId", "resting")],
        ),
        (
            reqwest::Method::DELETE,
            "/fapi/v1/allOpenOrders",
            &[("symbol", "BTCUSDT")],
        ),
        (
            reqwest::Method::DELETE,
            "/fapi/v1/algoOrder",
            &[("clientAlgoId", "none")],
        ),
        (
            reqwest::Method::DELETE,
            "/fapi/v1/algoOpenOrders",
            &[("symbol", "BTCUSDT")],
        ),
        (
            reqwest::Method::POST,
            "/fapi/v1/leverage",
            &[("symbol", "BTCUSDT"), ("leverage", "5")],
        ),
        (
            reqwest::Method::POST,
            "/fapi/v1/countdownCancelAll",
            &[("symbol", "BTCUSDT"), ("countdownTime", "60000")],
        ),
    ];
    for (method, path, params) in trade_requests {
        let a = signed(&sim, method.clone(), path, params).await;
        assert_error(&a, 401, -2015, REFUSED);
    }
    assert_eq!(sim.order_count(), 1, "nothing new was placed");
    assert_eq!(sim.countdown_deadline(KEY, "BTCUSDT"), None);
    let still_open = sim.order_by_client_id(KEY, "BTCUSDT", "resting").unwrap();
    assert_eq!(still_open.1["status"], "NEW");

    // Reads, listen keys and the permissions themselves still answer.
    for (path, params) in [
        ("/fapi/v3/balance", &[][..]),
        ("/fapi/v3/account", &[][..]),
        ("/fapi/v3/positionRisk", &[][..]),
        ("/fapi/v1/openOrders", &[("symbol", "BTCUSDT")][..]),
        (
            "/fapi/v1/order",
            &[("symbol", "BTCUSDT"), ("origClientOrderId", "resting")][..],
        ),
        (PATH, &[][..]),
    ] {
        let a = signed(&sim, reqwest::Method::GET, path, params).await;
        assert_eq!(a.status, 200, "{path}: {}", a.body);
    }
    let listen_key = reqwest::Client::new()
        .post(format!("{}/fapi/v1/listenKey", sim.base_url()))
        .header("X-MBX-APIKEY", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(answer(listen_key).await.status, 200);

    // Futures permission back: the key trades again.
    assert!(sim.set_key_permissions(KEY, SimKeyPermissions::default()));
    let placed = market(&sim, "BUY", "0.010").await;
    assert_eq!(placed.status, 200, "{}", placed.body);
    sim.stop().await;
}
