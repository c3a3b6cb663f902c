//! The simulated exchange over real loopback sockets, with reqwest as a third-party client and
//! the test's own HMAC-SHA256 / Ed25519 signing: matching, positions, margin, leverage,
//! conditional orders through the Algo Service (more in `algo.rs`), countdownCancelAll, limits,
//! listen keys, market data and the events behind the streams.

use std::time::Duration;

use super::support;
use super::support::{
    Answer, KEY, algo_order, answer, assert_error, dec, market, now_ms, order, quiet_config,
    signed, sim_with,
};
use rampart_sim::binance_usdm::{Faults, SimAccount, SimConfig, SimEvent, SimPosition, SimServer};
use rust_decimal::Decimal;

fn config() -> SimConfig {
    quiet_config(7)
}

/// A simulator whose prices move only when the test moves them.
async fn sim() -> SimServer {
    sim_with(config()).await
}

async fn public(sim: &SimServer, path_and_query: &str) -> Answer {
    let response = reqwest::get(format!("{}{path_and_query}", sim.base_url()))
        .await
        .unwrap();
    answer(response).await
}

async fn user_key(sim: &SimServer, method: reqwest::Method) -> Answer {
    let response = reqwest::Client::new()
        .request(method, format!("{}/fapi/v1/listenKey", sim.base_url()))
        .header("X-MBX-APIKEY", KEY)
        .send()
        .await
        .unwrap();
    answer(response).await
}

#[tokio::test]
async fn a_market_order_walks_the_book_and_the_position_follows_the_mark() {
    let sim = sim_with(SimConfig {
        usdt_balance: Decimal::from(10_000),
        ..config()
    })
    .await;
    assert!(sim.set_mark_price("BTCUSDT", dec("60000")));

    // Best ask 60000.1 holds 0.5, the next level (60000.2) 1.0.
    let a = market(&sim, "BUY", "0.8").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["status"], "FILLED");
    assert_eq!(a.body["executedQty"], "0.8");
    assert_eq!(a.body["cumQuote"], "48000.11");
    assert_eq!(a.body["avgPrice"], "60000.1375");
    assert_eq!(a.body["type"], "MARKET");
    assert_eq!(a.body["origType"], "MARKET");
    assert_eq!(a.body["positionSide"], "BOTH");
    assert_eq!(a.header("X-MBX-ORDER-COUNT-1M").as_deref(), Some("1"));

    sim.set_mark_price("BTCUSDT", dec("61000"));
    let risk = signed(
        &sim,
        reqwest::Method::GET,
        "/fapi/v3/positionRisk",
        &[("symbol", "BTCUSDT")],
    )
    .await;
    assert_eq!(risk.status, 200, "{}", risk.body);
    // The order cost no IP weight (only order counts); positionRisk v3 costs 5.
    assert_eq!(risk.header("X-MBX-USED-WEIGHT-1M").as_deref(), Some("5"));
    let p = &risk.body[0];
    assert_eq!(p["symbol"], "BTCUSDT");
    assert_eq!(p["positionAmt"], "0.8");
    assert_eq!(p["entryPrice"], "60000.1375");
    assert_eq!(p["markPrice"], "61000");
    assert_eq!(p["unRealizedProfit"], "799.89");
    assert_eq!(p["notional"], "48800");
    // (10000 − 0.8 × 60000.1375) / (0.8 × 0.004 − 0.8)
    assert_eq!(p["liquidationPrice"], "47690.90110442");
    assert_eq!(p["initialMargin"], "2440");
    assert_eq!(p["maintMargin"], "195.2");
    assert_eq!(p["positionSide"], "BOTH");
    assert!(p.get("leverage").is_none(), "v3 has no leverage: {p}");

    let v2 = signed(&sim, reqwest::Method::GET, "/fapi/v2/positionRisk", &[]).await;
    assert_eq!(
        v2.body.as_array().unwrap().len(),
        3,
        "v2 lists every symbol"
    );
    assert_eq!(v2.body[0]["leverage"], "20");
    assert_eq!(v2.body[0]["marginType"], "cross");

    let account = signed(&sim, reqwest::Method::GET, "/fapi/v3/account", &[]).await;
    assert_eq!(account.body["totalWalletBalance"], "10000");
    assert_eq!(account.body["totalUnrealizedProfit"], "799.89");
    assert_eq!(account.body["availableBalance"], "8359.89");
    assert_eq!(account.body["positions"].as_array().unwrap().len(), 1);
    let balance = signed(&sim, reqwest::Method::GET, "/fapi/v2/balance", &[]).await;
    assert_eq!(balance.body[0]["asset"], "USDT");
    assert_eq!(balance.body[0]["balance"], "10000");
    assert_eq!(balance.body[0]["crossUnPnl"], "799.89");

    // Closing at the bid: 0.5 @ 61000 and 0.3 @ 60999.9 realise 799.86 into the wallet.
    let a = market(&sim, "SELL", "0.8").await;
    assert_eq!(a.body["status"], "FILLED", "{}", a.body);
    assert_eq!(
        sim.position(KEY, "BTCUSDT"),
        Some(SimPosition {
            amt: Decimal::ZERO,
            entry: Decimal::ZERO,
        })
    );
    assert_eq!(sim.wallet_balance(KEY), Some(dec("10799.86")));
    sim.stop().await;
}

#[tokio::test]
async fn a_resting_limit_fills_when_the_price_moves_through_it_and_the_events_say_so() {
    let sim = sim().await;
    let mut events = sim.subscribe();
    let a = order(
        &sim,
        &[
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("timeInForce", "GTC"),
            ("quantity", "0.01"),
            ("price", "59000"),
            ("newClientOrderId", "rest-1"),
        ],
    )
    .await;
    assert_eq!(a.body["status"], "NEW", "{}", a.body);

    sim.set_mark_price("BTCUSDT", dec("59500"));
    let q = signed(
        &sim,
        reqwest::Method::GET,
        "/fapi/v1/order",
        &[("symbol", "BTCUSDT"), ("origClientOrderId", "rest-1")],
    )
    .await;
    assert_eq!(q.body["status"], "NEW");

    // The best ask reaches 59000.0: the order fills as maker at its price.
    sim.set_mark_price("BTCUSDT", dec("58999.9"));
    let q = signed(
        &sim,
        reqwest::Method::GET,
        "/fapi/v1/order",
        &[("symbol", "BTCUSDT"), ("origClientOrderId", "rest-1")],
    )
    .await;
    assert_eq!(q.body["status"], "FILLED", "{}", q.body);
    assert_eq!(q.body["avgPrice"], "59000");
    assert_eq!(q.body["executedQty"], "0.01");
    assert_eq!(
        sim.position(KEY, "BTCUSDT"),
        Some(SimPosition {
            amt: dec("0.01"),
            entry: dec("59000"),
        })
    );

    let mut user = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let SimEvent::User { api_key, data } = event {
            assert_eq!(api_key, KEY);
            user.push(data);
        }
    }
    let kinds: Vec<(String, String)> = user
        .iter()
        .map(|d| {
            let kind = d["e"].as_str().unwrap().to_owned();
            let x = d["o"]["x"].as_str().unwrap_or("").to_owned();
            (kind, x)
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("ORDER_TRADE_UPDATE".to_owned(), "NEW".to_owned()),
            ("ORDER_TRADE_UPDATE".to_owned(), "TRADE".to_owned()),
            ("ACCOUNT_UPDATE".to_owned(), String::new()),
        ]
    );
    let trade = &user[1]["o"];
    assert_eq!(trade["c"], "rest-1");
    assert_eq!(trade["X"], "FILLED");
    assert_eq!(trade["L"], "59000");
    assert_eq!(trade["l"], "0.01");
    assert_eq!(trade["m"], true);
    let account = &user[2]["a"];
    assert_eq!(account["m"], "ORDER");
    assert_eq!(account["B"][0]["wb"], "100000");
    assert_eq!(account["P"][0]["pa"], "0.01");
    assert_eq!(account["P"][0]["ep"], "59000");
    assert_eq!(account["P"][0]["ps"], "BOTH");
    sim.stop().await;
}

#[tokio::test]
async fn stop_market_triggers_on_the_mark_and_take_profit_closes() {
    let sim = sim().await;
    sim.set_mark_price("BTCUSDT", dec("60000"));
    let stop = [
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("type", "STOP_MARKET"),
        ("quantity", "0.01"),
        ("workingType", "MARK_PRICE"),
    ];

    // Conditional orders left the order endpoint for the Algo Service.
    let mut old_path = stop.to_vec();
    old_path.push(("stopPrice", "61000"));
    assert_error(
        &order(&sim, &old_path).await,
        400,
        -4120,
        "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.",
    );

    let mut below = stop.to_vec();
    below.push(("triggerPrice", "59000"));
    assert_error(
        &algo_order(&sim, &below).await,
        400,
        -2021,
        "Order would immediately trigger.",
    );

    let mut above = stop.to_vec();
    above.push(("triggerPrice", "61000"));
    above.push(("clientAlgoId", "stop-1"));
    let a = algo_order(&sim, &above).await;
    assert_eq!(a.body["algoStatus"], "NEW", "{}", a.body);
    assert_eq!(a.body["triggerPrice"], "61000.00");
    assert_eq!(a.body["workingType"], "MARK_PRICE");

    sim.set_mark_price("BTCUSDT", dec("60999.9"));
    let o = sim.algo_order_by_client_id(KEY, None, "stop-1").unwrap();
    assert_eq!(o["algoStatus"], "NEW");
    sim.set_mark_price("BTCUSDT", dec("61000"));
    let o = sim.algo_order_by_client_id(KEY, None, "stop-1").unwrap();
    assert_eq!(o["algoStatus"], "FINISHED", "{o}");
    let order_id = o["actualOrderId"].as_str().unwrap().to_owned();
    let placed = signed(
        &sim,
        reqwest::Method::GET,
        "/fapi/v1/order",
        &[("symbol", "BTCUSDT"), ("orderId", &order_id)],
    )
    .await;
    assert_eq!(placed.body["status"], "FILLED", "{}", placed.body);
    assert_eq!(placed.body["avgPrice"], "61000.1");
    assert_eq!(placed.body["type"], "MARKET");

    let tp = algo_order(
        &sim,
        &[
            ("symbol", "BTCUSDT"),
            ("side", "SELL"),
            ("type", "TAKE_PROFIT_MARKET"),
            ("triggerPrice", "62000"),
            ("closePosition", "true"),
            ("clientAlgoId", "tp-1"),
        ],
    )
    .await;
    assert_eq!(tp.body["algoStatus"], "NEW", "{}", tp.body);
    assert_eq!(tp.body["closePosition"], true);
    sim.set_mark_price("BTCUSDT", dec("62000"));
    let o = sim
        .algo_order_by_client_id(KEY, Some("BTCUSDT"), "tp-1")
        .unwrap();
    assert_eq!(o["algoStatus"], "FINISHED", "{o}");
    assert_eq!(o["actualPrice"], "62000.00000");
    assert_eq!(
        sim.position(KEY, "BTCUSDT"),
        Some(SimPosition {
            amt: Decimal::ZERO,
            entry: Decimal::ZERO,
        })
    );
    // 0.01 × (62000 − 61000.1)
    assert_eq!(sim.wallet_balance(KEY), Some(dec("100009.999")));
    sim.stop().await;
}

#[tokio::test]
async fn reduce_only_post_only_fok_ioc_and_margin_are_enforced() {
    let sim = sim().await;
    sim.set_mark_price("BTCUSDT", dec("60000"));
    let a = order(
        &sim,
        &[
            ("symbol", "BTCUSDT"),
            ("side", "SELL"),
            ("type", "MARKET"),
            ("quantity", "0.01"),
            ("reduceOnly", "true"),
        ],
    )
    .await;
    assert_error(&a, 400, -2022, "ReduceOnly Order is rejected.");

    let long = market(&sim, "BUY", "0.01").await;
    assert_eq!(long.body["status"], "FILLED", "{}", long.body);
    let too_big = order(
        &sim,
        &[
            ("symbol", "BTCUSDT"),
            ("side", "SELL"),
            ("type", "MARKET"),
            ("quantity", "0.02"),
            ("reduceOnly", "true"),
        ],
    )
    .await;
    assert_error(&too_big, 400, -2022, "ReduceOnly Order is rejected.");
    let same_way = order(
        &sim,
        &[
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("type", "MARKET"),
            ("quantity", "0.01"),
            ("reduceOnly", "true"),
        ],
    )
    .await;
    assert_error(&same_way, 400, -2022, "ReduceOnly Order is rejected.");
    let close = order(
        &sim,
        &[
            ("symbol", "BTCUSDT"),
            ("side", "SELL"),
            ("type", "MARKET"),
            ("quantity", "0.01"),
            ("reduceOnly", "true"),
        ],
    )
    .await;
    assert_eq!(close.body["status"], "FILLED", "{}", close.body);
    assert_eq!(close.body["reduceOnly"], true);
    // Bought at 60000.1, sold at 60000: 0.01 × −0.1.
    assert_eq!(sim.wallet_balance(KEY), Some(dec("99999.999")));

    let gtx = [
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("type", "LIMIT"),
        ("timeInForce", "GTX"),
        ("quantity", "0.01"),
    ];
    let mut taking = gtx.to_vec();
    taking.push(("price", "60000.1"));
    assert_error(
        &order(&sim, &taking).await,
        400,
        -5022,
        "Due to the order could not be executed as maker, the Post Only order will be rejected. The order will not be recorded in the order history",
    );
    let mut making = gtx.to_vec();
    making.push(("price", "60000"));
    assert_eq!(order(&sim, &making).await.body["status"], "NEW");

    let fok = order(
        &sim,
        &[
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("timeInForce", "FOK"),
            ("quantity", "1"),
            ("price", "60000.1"),
        ],
    )
    .await;
    assert_eq!(fok.body["code"], -5021, "{}", fok.body);

    let ioc = order(
        &sim,
        &[
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("timeInForce", "IOC"),
            ("quantity", "1"),
            ("price", "60000.1"),
        ],
    )
    .await;
    assert_eq!(ioc.body["status"], "EXPIRED", "{}", ioc.body);
    assert_eq!(ioc.body["executedQty"], "0.5");

    let lev = signed(
        &sim,
        reqwest::Method::POST,
        "/fapi/v1/leverage",
        &[("symbol", "ETHUSDT"), ("leverage", "1")],
    )
    .await;
    assert_eq!(lev.status, 200, "{}", lev.body);
    // 40 ETH at 3000.01 and 1x needs 120000.4 USDT of the 100000.
    let a = order(
        &sim,
        &[
            ("symbol", "ETHUSDT"),
            ("side", "BUY"),
            ("type", "MARKET"),
            ("quantity", "40"),
        ],
    )
    .await;
    assert_error(&a, 400, -2019, "Margin is insufficient.");
    assert_eq!(
        sim.order_count(),
        4,
        "the two market orders, the resting GTX and the IOC; no rejected order"
    );
    sim.stop().await;
}

#[tokio::test]
async fn leverage_is_set_per_symbol_within_1_to_125() {
    let sim = sim().await;
    let a = signed(
        &sim,
        reqwest::Method::POST,
        "/fapi/v1/leverage",
        &[("symbol", "BTCUSDT"), ("leverage", "50")],
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body,
        serde_json::json!({"leverage": 50, "maxNotionalValue": "3000000", "symbol": "BTCUSDT"})
    );
    let bad = signed(
        &sim,
        reqwest::Method::POST,
        "/fapi/v1/leverage",
        &[("symbol", "BTCUSDT"), ("leverage", "126")],
    )
    .await;
    assert_error(&bad, 400, -4028, "Leverage 126 is not valid");
    let risk = signed(
        &sim,
        reqwest::Method::GET,
        "/fapi/v2/positionRisk",
        &[("symbol", "BTCUSDT")],
    )
    .await;
    assert_eq!(risk.body[0]["leverage"], "50");
    let eth = signed(
        &sim,
        reqwest::Method::GET,
        "/fapi/v2/positionRisk",
        &[("symbol", "ETHUSDT")],
    )
    .await;
    assert_eq!(eth.body[0]["leverage"], "20");
    sim.stop().await;
}

#[tokio::test]
async fn count_down_cancel_all_fires_and_zero_stops_it() {
    let sim = sim().await;
    let limit = |id: &'static str, symbol: &'static str, price: &'static str| {
        vec![
            ("symbol", symbol),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("timeInForce", "GTC"),
            ("quantity", "1"),
            ("price", price),
            ("newClientOrderId", id),
        ]
    };
    assert_eq!(
        order(&sim, &limit("cd-btc", "BTCUSDT", "59000")).await.body["status"],
        "NEW"
    );
    assert_eq!(
        order(&sim, &limit("cd-eth", "ETHUSDT", "2990")).await.body["status"],
        "NEW"
    );

    let a = signed(
        &sim,
        reqwest::Method::POST,
        "/fapi/v1/countdownCancelAll",
        &[("symbol", "BTCUSDT"), ("countdownTime", "100")],
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body,
        serde_json::json!({"symbol": "BTCUSDT", "countdownTime": "100"})
    );
    assert_eq!(
        a.header("X-MBX-USED-WEIGHT-1M").as_deref(),
        Some("10"),
        "two orders (0 IP weight each) + countdownCancelAll (10)"
    );
    signed(
        &sim,
        reqwest::Method::POST,
        "/fapi/v1/countdownCancelAll",
        &[("symbol", "ETHUSDT"), ("countdownTime", "100")],
    )
    .await;
    signed(
        &sim,
        reqwest::Method::POST,
        "/fapi/v1/countdownCancelAll",
        &[("symbol", "ETHUSDT"), ("countdownTime", "0")],
    )
    .await;

    // ETHUSDT's countdown is stopped at once; BTCUSDT's fires after its 100 ms.
    assert_eq!(sim.countdown_deadline(KEY, "ETHUSDT"), None);
    let status = |symbol: &str, id: &str| {
        sim.order_by_client_id(KEY, symbol, id).unwrap().1["status"].clone()
    };
    support::eventually("BTCUSDT's countdown cancels its order", || {
        status("BTCUSDT", "cd-btc") == "CANCELED"
    })
    .await;
    assert_eq!(sim.countdown_deadline(KEY, "BTCUSDT"), None);
    // Past the deadline the stopped countdown had (set after BTCUSDT's), ETHUSDT's order stays.
    support::holds_for(
        Duration::from_millis(150),
        "the stopped countdown cancelled",
        || status("ETHUSDT", "cd-eth") == "NEW",
    )
    .await;

    let open = signed(&sim, reqwest::Method::GET, "/fapi/v1/openOrders", &[]).await;
    assert_eq!(open.body.as_array().unwrap().len(), 1);
    assert_eq!(open.body[0]["clientOrderId"], "cd-eth");
    sim.stop().await;
}

#[tokio::test]
async fn over_the_weight_limit_answers_429_then_418_with_retry_after() {
    let sim = sim_with(SimConfig {
        request_weight_limit: 10,
        ..config()
    })
    .await;
    for i in 1..=10 {
        let a = public(&sim, "/fapi/v1/time").await;
        assert_eq!(a.status, 200);
        assert_eq!(a.header("X-MBX-USED-WEIGHT-1M"), Some(i.to_string()));
    }
    let limited = public(&sim, "/fapi/v1/time").await;
    // A minute boundary in between would reset the count: accept a fresh 200 then.
    if limited.status == 200 {
        return;
    }
    assert_error(
        &limited,
        429,
        -1003,
        "Too many requests; current limit of IP(127.0.0.1) is 10 requests per minute. Please use the websocket for live updates to avoid polling the API.",
    );
    let retry: i64 = limited.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let banned = public(&sim, "/fapi/v1/time").await;
    assert_eq!(banned.status, 418, "{}", banned.body);
    assert_eq!(banned.body["code"], -1003);
    assert_eq!(banned.header("Retry-After").as_deref(), Some("120"));
    sim.stop().await;
}

#[tokio::test]
async fn listen_keys_are_created_kept_alive_deleted_and_expire() {
    let sim = sim().await;
    let created = user_key(&sim, reqwest::Method::POST).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let key = created.body["listenKey"].as_str().unwrap().to_owned();
    assert_eq!(key.len(), 64);
    let again = user_key(&sim, reqwest::Method::POST).await;
    assert_eq!(
        again.body["listenKey"],
        key.as_str(),
        "POST returns the valid key"
    );
    let kept = user_key(&sim, reqwest::Method::PUT).await;
    assert_eq!(kept.status, 200, "{}", kept.body);
    assert_eq!(kept.body["listenKey"], key.as_str());
    let deleted = user_key(&sim, reqwest::Method::DELETE).await;
    assert_eq!(
        (deleted.status, deleted.body.clone()),
        (200, serde_json::json!({}))
    );
    let gone = user_key(&sim, reqwest::Method::PUT).await;
    assert_error(&gone, 400, -1125, "This listenKey does not exist.");
    let unsigned_unknown = reqwest::Client::new()
        .post(format!("{}/fapi/v1/listenKey", sim.base_url()))
        .header("X-MBX-APIKEY", "nobody")
        .send()
        .await
        .unwrap();
    assert_eq!(answer(unsigned_unknown).await.body["code"], -2015);
    sim.stop().await;

    // A key that is not kept alive lapses and is announced.
    let sim = sim_with(SimConfig {
        listen_key_validity_ms: 100,
        ..config()
    })
    .await;
    let mut events = sim.subscribe();
    let key = user_key(&sim, reqwest::Method::POST).await.body["listenKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let expired = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            if let Ok(SimEvent::User { api_key, data }) = events.recv().await
                && data["e"] == "listenKeyExpired"
            {
                return (api_key, data);
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(expired.0, KEY);
    assert_eq!(expired.1["listenKey"], key.as_str());
    assert_error(
        &user_key(&sim, reqwest::Method::PUT).await,
        400,
        -1125,
        "This listenKey does not exist.",
    );
    sim.stop().await;
}

#[tokio::test]
async fn depth_klines_and_premium_index_have_binances_shapes_and_weights() {
    let sim = sim().await;
    let depth = public(&sim, "/fapi/v1/depth?symbol=BTCUSDT&limit=5").await;
    assert_eq!(depth.status, 200, "{}", depth.body);
    assert_eq!(depth.header("X-MBX-USED-WEIGHT-1M").as_deref(), Some("2"));
    assert_eq!(depth.body["bids"].as_array().unwrap().len(), 5);
    assert_eq!(depth.body["asks"].as_array().unwrap().len(), 5);
    assert_eq!(
        depth.body["bids"][0],
        serde_json::json!(["60000.00", "0.500"])
    );
    assert_eq!(
        depth.body["bids"][1],
        serde_json::json!(["59999.90", "1.000"])
    );
    assert_eq!(
        depth.body["asks"][0],
        serde_json::json!(["60000.10", "0.500"])
    );
    assert!(depth.body["lastUpdateId"].is_u64());
    let big = public(&sim, "/fapi/v1/depth?symbol=ETHUSDT&limit=1000").await;
    assert_eq!(big.body["asks"].as_array().unwrap().len(), 1000);
    assert_eq!(big.header("X-MBX-USED-WEIGHT-1M").as_deref(), Some("22"));
    assert_eq!(
        public(&sim, "/fapi/v1/depth?symbol=BTCUSDT&limit=7")
            .await
            .body["code"],
        -1130
    );

    let klines = public(&sim, "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=3").await;
    assert_eq!(klines.status, 200, "{}", klines.body);
    let rows = klines.body.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for row in rows {
        let row = row.as_array().unwrap();
        assert_eq!(row.len(), 12);
        assert!(row[0].is_i64() && row[6].is_i64() && row[8].is_u64());
        assert_eq!(row[6].as_i64().unwrap(), row[0].as_i64().unwrap() + 59_999);
        for i in [1, 2, 3, 4, 5, 7, 9, 10, 11] {
            assert!(row[i].is_string(), "{row:?}");
        }
        assert!(dec(row[2].as_str().unwrap()) >= dec(row[3].as_str().unwrap()));
    }
    assert_eq!(rows[2][4], "60000.00", "the open candle closes at the mark");
    assert_eq!(
        rows[1][0].as_i64().unwrap() + 60_000,
        rows[2][0].as_i64().unwrap()
    );
    let start = rows[0][0].as_i64().unwrap();
    let ranged = public(
        &sim,
        &format!("/fapi/v1/klines?symbol=BTCUSDT&interval=1m&startTime={start}&limit=2"),
    )
    .await;
    assert_eq!(ranged.body[0][0], start);
    assert_eq!(ranged.body.as_array().unwrap().len(), 2);
    let hours = public(&sim, "/fapi/v1/klines?symbol=BTCUSDT&interval=1h&limit=2").await;
    assert_eq!(hours.body[0][0].as_i64().unwrap() % 3_600_000, 0);
    assert_error(
        &public(&sim, "/fapi/v1/klines?symbol=BTCUSDT&interval=7m").await,
        400,
        -1120,
        "Invalid interval.",
    );

    let one = public(&sim, "/fapi/v1/premiumIndex?symbol=ETHUSDT").await;
    assert_eq!(one.body["symbol"], "ETHUSDT");
    assert_eq!(one.body["markPrice"], "3000.00000000");
    assert_eq!(one.body["indexPrice"], "3000.00000000");
    assert_eq!(one.body["lastFundingRate"], "0.00010000");
    assert_eq!(
        one.body["nextFundingTime"].as_i64().unwrap() % (8 * 3_600_000),
        0
    );
    let all = public(&sim, "/fapi/v1/premiumIndex").await;
    assert_eq!(all.body.as_array().unwrap().len(), 3);
    sim.stop().await;
}

#[tokio::test]
async fn the_price_process_is_reproducible_from_its_seed_and_publishes_market_events() {
    let a = sim().await;
    let b = sim().await;
    let c = sim_with(SimConfig {
        seed: 8,
        ..config()
    })
    .await;
    let mut events = a.subscribe();
    for s in [&a, &b, &c] {
        s.step_prices(40);
    }
    let marks = |s: &SimServer| ["BTCUSDT", "ETHUSDT", "SOLUSDT"].map(|m| s.mark_price(m).unwrap());
    assert_eq!(marks(&a), marks(&b));
    assert_ne!(marks(&a), marks(&c));
    // Whole ticks only.
    assert!((marks(&a)[0] % dec("0.1")).is_zero());

    let mut streams = Vec::new();
    let mut depth = 0;
    while let Ok(SimEvent::Market { stream, data }) = events.try_recv() {
        // The 24hr tickers run on their own 2-second clock, not with the steps.
        if stream.ends_with("@ticker") || stream.ends_with("@miniTicker") {
            continue;
        }
        // Depth events come only with a move that changed the book (not every step moves).
        if stream.contains("@depth") {
            depth += 1;
            continue;
        }
        streams.push((stream, data));
    }
    assert_eq!(streams.len(), 40 * 3 * 3);
    assert!(
        depth > 0 && depth % 2 == 0,
        "diff and partial depth in pairs: {depth}"
    );
    assert_eq!(streams[0].0, "btcusdt@markPrice");
    assert_eq!(streams[0].1["e"], "markPriceUpdate");
    assert_eq!(streams[1].0, "btcusdt@bookTicker");
    assert_eq!(streams[1].1["e"], "bookTicker");
    assert_eq!(streams[2].0, "btcusdt@kline_1m");
    assert_eq!(streams[2].1["k"]["i"], "1m");
    let last_mark = streams
        .iter()
        .rev()
        .find(|(s, _)| s == "btcusdt@markPrice")
        .unwrap();
    let mut expected = marks(&a)[0];
    expected.rescale(8);
    assert_eq!(last_mark.1["p"], expected.to_string());
    for s in [a, b, c] {
        s.stop().await;
    }

    // With the clock running, prices move on their own.
    let live = sim_with(SimConfig {
        tick_interval_ms: 20,
        ..config()
    })
    .await;
    let mut events = live.subscribe();
    let got = tokio::time::timeout(Duration::from_secs(2), events.recv()).await;
    assert!(matches!(got, Ok(Ok(SimEvent::Market { .. }))));
    live.stop().await;
}

#[tokio::test]
async fn ed25519_keys_sign_the_same_payload() {
    use base64::Engine as _;
    use ed25519_dalek::Signer as _;
    use ed25519_dalek::pkcs8::EncodePublicKey as _;

    let signing = ed25519_dalek::SigningKey::from_bytes(&[42u8; 32]);
    let pem = signing
        .verifying_key()
        .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .unwrap();
    let sim = sim_with(SimConfig {
        accounts: vec![SimAccount {
            api_key: "edkey".into(),
            api_secret: pem,
            ..SimAccount::default()
        }],
        ..config()
    })
    .await;
    let call = |payload: String, signature: String| {
        let url = format!(
            "{}/fapi/v3/balance?{payload}&signature={signature}",
            sim.base_url()
        );
        async move {
            let response = reqwest::Client::new()
                .get(url)
                .header("X-MBX-APIKEY", "edkey")
                .send()
                .await
                .unwrap();
            answer(response).await
        }
    };
    let payload = format!("recvWindow=5000&timestamp={}", now_ms());
    let raw = signing.sign(payload.as_bytes()).to_bytes();
    let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
    let encoded: String = b64
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let ok = call(payload.clone(), encoded).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body[0]["balance"], "100000");

    let other = ed25519_dalek::SigningKey::from_bytes(&[43u8; 32]);
    let wrong =
        base64::engine::general_purpose::STANDARD.encode(other.sign(payload.as_bytes()).to_bytes());
    let bad = call(
        payload,
        wrong
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D"),
    )
    .await;
    assert_error(&bad, 400, -1022, "Signature for this request is not valid.");
    sim.stop().await;
}

#[tokio::test]
async fn fault_knobs_change_at_runtime() {
    let sim = sim().await;
    assert_eq!(public(&sim, "/fapi/v1/time").await.status, 200);
    sim.set_faults(Faults {
        fail_5xx_every: 2,
        latency_ms: 50,
        ..Faults::default()
    });
    let started = std::time::Instant::now();
    let failed = public(&sim, "/fapi/v1/time").await;
    assert_eq!(failed.status, 503, "the second request fails");
    assert!(started.elapsed() >= Duration::from_millis(50));
    assert_eq!(public(&sim, "/fapi/v1/time").await.status, 200);
    sim.set_faults(Faults::default());
    assert_eq!(public(&sim, "/fapi/v1/time").await.status, 200);
    assert_eq!(sim.faults().fail_5xx_every, 0);
    sim.stop().await;
}

#[tokio::test]
async fn the_order_count_limit_answers_429_with_1015() {
    let sim = sim_with(SimConfig {
        order_limit_per_minute: 2,
        ..config()
    })
    .await;
    let limit = [
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("type", "LIMIT"),
        ("timeInForce", "GTC"),
        ("quantity", "0.01"),
        ("price", "59000"),
    ];
    let mut counts = Vec::new();
    for _ in 0..2 {
        let a = order(&sim, &limit).await;
        counts.push(a.header("X-MBX-ORDER-COUNT-1M"));
    }
    let third = order(&sim, &limit).await;
    // A minute boundary in between would reset the count.
    if counts == [Some("1".to_owned()), Some("2".to_owned())] && third.status != 200 {
        assert_error(
            &third,
            429,
            -1015,
            "Too many new orders; current limit is 2 orders per MINUTE.",
        );
        // "If you have exceeded this, you will receive a 429 error without the Retry-After
        // header" (Binance, limits).
        assert!(third.header("Retry-After").is_none());
    }
    assert_eq!(counts[0].as_deref(), Some("1"));
    sim.stop().await;
}

/// A price step under the clock's 10 ms beat (for load): every step due runs, several per beat,
/// each moving the mark once.
#[tokio::test]
async fn a_step_in_microseconds_moves_prices_many_times_per_beat() {
    let sim = sim_with(SimConfig {
        tick_interval_ms: 250,
        tick_interval_us: Some(2_000),
        ..config()
    })
    .await;
    let mut events = sim.subscribe();
    let window = Duration::from_secs(1);
    let until = tokio::time::Instant::now() + window;
    let mut marks = 0;
    while let Ok(received) = tokio::time::timeout_at(until, events.recv()).await {
        match received {
            Ok(SimEvent::Market { stream, .. }) if stream == "btcusdt@markPrice" => marks += 1,
            Ok(_) => {}
            Err(e) => panic!("the test's receiver fell behind the simulator: {e}"),
        }
    }
    // 500 steps a second; the 250 ms step would give 4. Half allows for a loaded machine.
    assert!(marks >= 250, "{marks} BTCUSDT marks in {window:?}");
    assert!(marks <= 550, "{marks} BTCUSDT marks in {window:?}");
    sim.stop().await;
}

#[tokio::test]
async fn dropping_the_server_stops_its_price_process() {
    let sim = sim_with(SimConfig {
        tick_interval_ms: 5,
        ..config()
    })
    .await;
    let mut events = sim.subscribe();
    assert!(matches!(
        tokio::time::timeout(Duration::from_secs(2), events.recv()).await,
        Ok(Ok(SimEvent::Market { .. }))
    ));
    drop(sim);
    // Once the clock task is gone nothing holds the sender: the channel closes.
    let closed = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            match events.recv().await {
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                _ => continue,
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the price process outlived its server");
}

/// "newClientOrderId: A unique id among open orders" (Binance, New Order): refused with -4116
/// while the first order with the id rests, accepted again once it is canceled; the venue's
/// own record then counts two acceptances, and a query by the id finds the latest order.
#[tokio::test]
async fn a_client_order_id_is_unique_among_open_orders_only_and_every_acceptance_is_recorded() {
    let sim = sim().await;
    let resting = [
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("type", "LIMIT"),
        ("timeInForce", "GTC"),
        ("quantity", "0.01"),
        ("price", "59000"),
        ("newClientOrderId", "again-1"),
    ];
    let first = order(&sim, &resting).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let duplicate = order(&sim, &resting).await;
    assert_error(&duplicate, 400, -4116, "clientOrderId is duplicated");
    assert_eq!(sim.accepted_count(KEY, "again-1"), 1);

    let cancel = signed(
        &sim,
        reqwest::Method::DELETE,
        "/fapi/v1/order",
        &[("symbol", "BTCUSDT"), ("origClientOrderId", "again-1")],
    )
    .await;
    assert_eq!(cancel.body["status"], "CANCELED", "{}", cancel.body);
    let second = order(&sim, &resting).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_ne!(second.body["orderId"], first.body["orderId"]);
    assert_eq!(sim.accepted_count(KEY, "again-1"), 2);
    assert_eq!(sim.accepted_count(KEY, "never-sent"), 0);
    let record = sim.accepted_orders();
    assert_eq!(record.len(), 1);
    assert_eq!(record[0].0.client_order_id, "again-1");
    assert_eq!(record[0].1, 2);
    assert_eq!(sim.order_count(), 2);

    let found = signed(
        &sim,
        reqwest::Method::GET,
        "/fapi/v1/order",
        &[("symbol", "BTCUSDT"), ("origClientOrderId", "again-1")],
    )
    .await;
    assert_eq!(found.body["orderId"], second.body["orderId"]);
    assert_eq!(found.body["status"], "NEW");
    let open = signed(&sim, reqwest::Method::GET, "/fapi/v1/openOrders", &[]).await;
    assert_eq!(open.body.as_array().map(Vec::len), Some(1), "{}", open.body);
    sim.stop().await;
}

/// Binance counts request weight per IP, shared by every account on it ("The limits on the API
/// are based on the IPs, not the API keys"), and new orders per account ("the default order
/// limit per account/sub-account is 1,200/min"): two accounts on one loopback IP share the
/// weight, each has its own order count.
#[tokio::test]
async fn weight_is_counted_per_ip_and_orders_per_account() {
    const OTHER: &str = "simtestother00000000000000000000000000000000000000000000000000000";
    let mut config = SimConfig {
        order_limit_per_minute: 1,
        ..config()
    };
    config.accounts.push(SimAccount {
        api_key: OTHER.into(),
        api_secret: support::SECRET.into(),
        ..SimAccount::default()
    });
    let sim = sim_with(config).await;
    let resting = [
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("type", "LIMIT"),
        ("timeInForce", "GTC"),
        ("quantity", "0.01"),
        ("price", "59000"),
    ];
    let post = |key: &'static str| {
        let sim = &sim;
        async move {
            support::try_signed_as(sim, key, reqwest::Method::POST, "/fapi/v1/order", &resting)
                .await
                .unwrap()
        }
    };
    let first = post(KEY).await;
    let other_first = post(OTHER).await;
    let second = post(KEY).await;
    // A minute boundary in between would reset the counts.
    if first.header("X-MBX-ORDER-COUNT-1M").as_deref() == Some("1") && second.status != 200 {
        assert_eq!(other_first.status, 200, "{}", other_first.body);
        assert_eq!(
            other_first.header("X-MBX-ORDER-COUNT-1M").as_deref(),
            Some("1")
        );
        assert_error(
            &second,
            429,
            -1015,
            "Too many new orders; current limit is 1 orders per MINUTE.",
        );
    }

    // Weight: each account's reads add to the one count of the IP.
    let read = |key: &'static str| {
        let sim = &sim;
        async move {
            support::try_signed_as(sim, key, reqwest::Method::GET, "/fapi/v3/balance", &[])
                .await
                .unwrap()
        }
    };
    let a = read(KEY)
        .await
        .header_number("X-MBX-USED-WEIGHT-1M")
        .unwrap();
    let b = read(OTHER)
        .await
        .header_number("X-MBX-USED-WEIGHT-1M")
        .unwrap();
    let c = read(KEY)
        .await
        .header_number("X-MBX-USED-WEIGHT-1M")
        .unwrap();
    if a < b {
        assert_eq!(b, a + 5, "the other account's read counts on the same IP");
        assert_eq!(c, b + 5);
    }
    sim.stop().await;
}

/// The query-side fault knobs: a young order is invisible to Query Order (-2013) until
/// `invisible_for_ms` has passed; every `query_fault_every`-th query fails (503, then a dropped
/// connection); a slow answer arrives after `slow_answer_ms`, with the order already taken.
#[tokio::test]
async fn query_faults_invisible_orders_and_slow_answers() {
    let sim = sim().await;
    sim.set_faults(Faults {
        invisible_for_ms: 300,
        ..Faults::default()
    });
    let resting = [
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("type", "LIMIT"),
        ("timeInForce", "GTC"),
        ("quantity", "0.01"),
        ("price", "59000"),
        ("newClientOrderId", "young-1"),
    ];
    let accepted_at = std::time::Instant::now();
    assert_eq!(order(&sim, &resting).await.status, 200);
    let by_client_id = [("symbol", "BTCUSDT"), ("origClientOrderId", "young-1")];
    let query = || signed(&sim, reqwest::Method::GET, "/fapi/v1/order", &by_client_id);
    assert_error(&query().await, 400, -2013, "Order does not exist.");
    // Visible once the window has passed (bounded poll).
    let mut found = None;
    for _ in 0..200 {
        let a = query().await;
        if a.status == 200 {
            found = Some(a);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let found = found.expect("visible after the window");
    assert!(accepted_at.elapsed() >= Duration::from_millis(300));
    assert_eq!(found.body["clientOrderId"], "young-1");

    sim.set_faults(Faults {
        query_fault_every: 2,
        ..Faults::default()
    });
    let mut failures = 0;
    let mut dropped = 0;
    for _ in 0..4 {
        match support::try_signed(&sim, reqwest::Method::GET, "/fapi/v1/order", &by_client_id).await
        {
            Ok(a) if a.status == 200 => {}
            Ok(a) => {
                assert_eq!(a.status, 503, "{}", a.body);
                failures += 1;
            }
            Err(_) => dropped += 1,
        }
    }
    assert_eq!(
        (failures, dropped),
        (1, 1),
        "every 2nd query: a 503, then a drop"
    );

    sim.set_faults(Faults {
        slow_answer_every: 1,
        slow_answer_ms: 400,
        ..Faults::default()
    });
    let started = std::time::Instant::now();
    // The order is on the book while its answer is still held back.
    let taken_after = async {
        for _ in 0..200 {
            if sim.accepted_count(KEY, "slow-1") == 1 {
                return Some(started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        None
    };
    let answer = order(
        &sim,
        &[
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("timeInForce", "GTC"),
            ("quantity", "0.01"),
            ("price", "59000"),
            ("newClientOrderId", "slow-1"),
        ],
    );
    let (slow, taken_after) = tokio::join!(answer, taken_after);
    assert_eq!(slow.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(400));
    let taken_after = taken_after.expect("taken");
    assert!(
        taken_after < Duration::from_millis(400),
        "taken at once: {taken_after:?}"
    );
    assert_eq!(sim.accepted_count(KEY, "slow-1"), 1);
    sim.stop().await;
}

/// A configured extra symbol is listed as given (markup and all), quoted and tradable like the
/// others: a client must show venue text as text.
#[tokio::test]
async fn an_extra_symbol_is_listed_as_given_and_trades() {
    const ODD: &str = "<img src=x onerror=alert(1)>";
    let sim = sim_with(SimConfig {
        extra_symbols: vec![ODD.into()],
        ..config()
    })
    .await;
    let info = public(&sim, "/fapi/v1/exchangeInfo").await;
    let symbols: Vec<&str> = info.body["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(symbols, ["BTCUSDT", "ETHUSDT", "SOLUSDT", ODD]);
    let encoded: String = form_urlencoded::byte_serialize(ODD.as_bytes()).collect();
    let mark = public(&sim, &format!("/fapi/v1/premiumIndex?symbol={encoded}")).await;
    assert_eq!(mark.status, 200, "{}", mark.body);
    assert_eq!(mark.body["symbol"], ODD);
    let placed = order(
        &sim,
        &[
            ("symbol", encoded.as_str()),
            ("side", "BUY"),
            ("type", "MARKET"),
            ("quantity", "1"),
        ],
    )
    .await;
    assert_eq!(placed.status, 200, "{}", placed.body);
    assert_eq!(placed.body["symbol"], ODD);
    assert_eq!(placed.body["status"], "FILLED");
}
