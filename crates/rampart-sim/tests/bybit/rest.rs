use rust_decimal::Decimal;
use serde_json::json;

use crate::support::{Client, INS_KEY, KEY, READ_ONLY_KEY, start};

fn dec(v: &serde_json::Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn market_data_lists_the_five_contracts_with_bybits_rules() {
    let server = start().await;
    let c = Client::new(&server, KEY);
    let time = c.public("/v5/market/time", "").await;
    assert_eq!((time.status, time.code()), (200, 0));
    assert!(
        time.result()["timeSecond"]
            .as_str()
            .unwrap()
            .parse::<i64>()
            .is_ok()
    );

    let linear = c
        .public("/v5/market/instruments-info", "category=linear")
        .await;
    let symbols: Vec<&str> = linear.result()["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(symbols, ["BTCUSDT", "ETHUSDT", "SOLUSDT"]);
    let btc = &linear.result()["list"][0];
    assert_eq!(btc["priceFilter"]["tickSize"], "0.10");
    assert_eq!(btc["lotSizeFilter"]["qtyStep"], "0.001");
    assert_eq!(btc["lotSizeFilter"]["minOrderQty"], "0.001");
    assert_eq!(btc["settleCoin"], "USDT");
    let inverse = c
        .public("/v5/market/instruments-info", "category=inverse")
        .await;
    assert_eq!(inverse.result()["list"][0]["symbol"], "BTCUSD");
    assert_eq!(
        inverse.result()["list"][0]["contractType"],
        "InversePerpetual"
    );
    assert_eq!(inverse.result()["list"][0]["settleCoin"], "BTC");

    let ticker = c
        .public("/v5/market/tickers", "category=linear&symbol=BTCUSDT")
        .await;
    let t = &ticker.result()["list"][0];
    assert!(dec(&t["ask1Price"]) > dec(&t["bid1Price"]));

    let book = c
        .public(
            "/v5/market/orderbook",
            "category=linear&symbol=BTCUSDT&limit=5",
        )
        .await;
    assert_eq!(book.result()["b"].as_array().unwrap().len(), 5);
    assert_eq!(book.result()["a"].as_array().unwrap().len(), 5);

    let kline = c
        .public(
            "/v5/market/kline",
            "category=linear&symbol=BTCUSDT&interval=5&limit=3",
        )
        .await;
    let rows = kline.result()["list"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].as_array().unwrap().len(), 7);
    let t0: i64 = rows[0][0].as_str().unwrap().parse().unwrap();
    let t1: i64 = rows[1][0].as_str().unwrap().parse().unwrap();
    assert_eq!(t0 - t1, 300_000, "newest first, 5 minutes apart");

    let wrong = c
        .public("/v5/market/tickers", "category=linear&symbol=BTCUSD")
        .await;
    assert_eq!(wrong.code(), 10001);
}

#[tokio::test]
async fn a_limit_order_rests_is_listed_and_cancelled() {
    let server = start().await;
    let c = Client::new(&server, KEY);
    let placed = c
        .post(
            "/v5/order/create",
            json!({"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit",
                   "qty": "0.01", "price": "50000", "orderLinkId": "my-1"}),
        )
        .await;
    assert_eq!(placed.code(), 0, "{}", placed.body);
    assert_eq!(placed.msg(), "OK");
    assert_eq!(placed.result()["orderLinkId"], "my-1");
    let id = placed.result()["orderId"].as_str().unwrap().to_owned();
    assert_eq!(placed.headers["X-Bapi-Limit"], "10");
    assert_eq!(placed.headers["X-Bapi-Limit-Status"], "9");

    let open = c
        .get("/v5/order/realtime", "category=linear&symbol=BTCUSDT")
        .await;
    let o = &open.result()["list"][0];
    assert_eq!(o["orderId"], id.as_str());
    assert_eq!(o["orderStatus"], "New");
    assert_eq!(o["price"], "50000.00");
    assert_eq!(o["qty"], "0.010");
    assert_eq!(o["timeInForce"], "GTC");

    let dup = c
        .post(
            "/v5/order/create",
            json!({"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit",
                   "qty": "0.01", "price": "50000", "orderLinkId": "my-1"}),
        )
        .await;
    assert_eq!(
        (dup.code(), dup.msg()),
        (110072, "OrderLinkedID is duplicate")
    );

    let cancelled = c
        .post(
            "/v5/order/cancel",
            json!({"category": "linear", "symbol": "BTCUSDT", "orderLinkId": "my-1"}),
        )
        .await;
    assert_eq!(cancelled.code(), 0);
    assert_eq!(cancelled.result()["orderId"], id.as_str());
    let again = c
        .post(
            "/v5/order/cancel",
            json!({"category": "linear", "symbol": "BTCUSDT", "orderId": id}),
        )
        .await;
    assert_eq!(
        (again.code(), again.msg()),
        (110001, "Order does not exist")
    );

    let history = c
        .get(
            "/v5/order/history",
            &format!("category=linear&orderId={id}"),
        )
        .await;
    assert_eq!(history.result()["list"][0]["orderStatus"], "Cancelled");
    assert_eq!(history.result()["list"][0]["cancelType"], "CancelByUser");
    let open = c
        .get("/v5/order/realtime", "category=linear&symbol=BTCUSDT")
        .await;
    assert!(open.result()["list"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_market_order_fills_opens_a_position_and_moves_the_wallet() {
    let server = start().await;
    let c = Client::new(&server, KEY);
    let before = c
        .get(
            "/v5/account/wallet-balance",
            "accountType=UNIFIED&coin=USDT",
        )
        .await;
    let usdt_before = dec(&before.result()["list"][0]["coin"][0]["walletBalance"]);
    let placed = c
        .post(
            "/v5/order/create",
            json!({"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Market", "qty": "0.1"}),
        )
        .await;
    assert_eq!(placed.code(), 0, "{}", placed.body);
    let id = placed.result()["orderId"].as_str().unwrap();
    let o = c
        .get(
            "/v5/order/realtime",
            &format!("category=linear&orderId={id}"),
        )
        .await;
    assert_eq!(o.result()["list"][0]["orderStatus"], "Filled");
    assert_eq!(o.result()["list"][0]["cumExecQty"], "0.100");

    let pos = c
        .get("/v5/position/list", "category=linear&symbol=BTCUSDT")
        .await;
    let p = &pos.result()["list"][0];
    assert_eq!(p["side"], "Buy");
    assert_eq!(p["size"], "0.100");
    assert_eq!(p["positionIdx"], 0);
    assert!(dec(&p["avgPrice"]) > Decimal::ZERO);

    let fills = c
        .get("/v5/execution/list", "category=linear&symbol=BTCUSDT")
        .await;
    let fee: Decimal = fills.result()["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| dec(&e["execFee"]))
        .sum();
    assert!(fee > Decimal::ZERO);
    let after = c
        .get(
            "/v5/account/wallet-balance",
            "accountType=UNIFIED&coin=USDT",
        )
        .await;
    let usdt_after = dec(&after.result()["list"][0]["coin"][0]["walletBalance"]);
    assert_eq!(
        usdt_before - usdt_after,
        fee,
        "the taker fee left the wallet"
    );

    // Closing at a higher mark realises the profit.
    server.set_mark_price("BTCUSDT", Decimal::from(61000));
    let close = c
        .post(
            "/v5/order/create",
            json!({"category": "linear", "symbol": "BTCUSDT", "side": "Sell", "orderType": "Market",
                   "qty": "0.1", "reduceOnly": true}),
        )
        .await;
    assert_eq!(close.code(), 0, "{}", close.body);
    let pos = c
        .get("/v5/position/list", "category=linear&symbol=BTCUSDT")
        .await;
    assert_eq!(pos.result()["list"][0]["size"], "0.000");
    let closed = c
        .get(
            "/v5/account/wallet-balance",
            "accountType=UNIFIED&coin=USDT",
        )
        .await;
    assert!(
        dec(&closed.result()["list"][0]["coin"][0]["walletBalance"])
            > usdt_before + Decimal::from(50)
    );
}

#[tokio::test]
async fn cancel_all_cancels_one_symbol_or_every_one() {
    let server = start().await;
    let c = Client::new(&server, KEY);
    for (symbol, price) in [
        ("BTCUSDT", "50000"),
        ("BTCUSDT", "50001"),
        ("ETHUSDT", "2000"),
    ] {
        let qty = if symbol == "BTCUSDT" { "0.01" } else { "0.1" };
        let r = c
            .post(
                "/v5/order/create",
                json!({"category": "linear", "symbol": symbol, "side": "Buy", "orderType": "Limit", "qty": qty, "price": price}),
            )
            .await;
        assert_eq!(r.code(), 0, "{}", r.body);
    }
    let some = c
        .post(
            "/v5/order/cancel-all",
            json!({"category": "linear", "symbol": "BTCUSDT"}),
        )
        .await;
    assert_eq!(some.result()["list"].as_array().unwrap().len(), 2);
    assert_eq!(some.result()["success"], "1");
    let rest = c
        .post(
            "/v5/order/cancel-all",
            json!({"category": "linear", "settleCoin": "USDT"}),
        )
        .await;
    assert_eq!(rest.result()["list"].as_array().unwrap().len(), 1);
    let open = c
        .get("/v5/order/realtime", "category=linear&settleCoin=USDT")
        .await;
    assert!(open.result()["list"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn refusals_carry_bybits_codes_and_messages() {
    let server = start().await;
    let mut c = Client::new(&server, KEY);
    let order = json!({"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit", "qty": "0.01", "price": "50000.05"});
    let off_tick = c.post("/v5/order/create", order.clone()).await;
    assert_eq!(off_tick.code(), 10001);
    assert!(off_tick.msg().contains("tickSize"), "{}", off_tick.msg());
    let off_step = c
        .post("/v5/order/create", json!({"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit", "qty": "0.0105", "price": "50000"}))
        .await;
    assert_eq!(off_step.code(), 10001);
    assert!(off_step.msg().contains("qtyStep"), "{}", off_step.msg());
    let too_much = c
        .post("/v5/order/create", json!({"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit", "qty": "1000", "price": "50000"}))
        .await;
    assert_eq!(
        (too_much.code(), too_much.msg()),
        (110007, "Available balance is insufficient")
    );

    c.secret = "wrong".into();
    let bad_sign = c
        .get("/v5/position/list", "category=linear&symbol=BTCUSDT")
        .await;
    assert_eq!(
        (bad_sign.code(), bad_sign.msg()),
        (
            10004,
            "Error sign, please check your signature generation algorithm."
        )
    );
    c.secret = crate::support::SECRET.into();
    c.skew_ms = -6000;
    let stale = c
        .get("/v5/position/list", "category=linear&symbol=BTCUSDT")
        .await;
    assert_eq!(
        (stale.code(), stale.msg()),
        (10002, "The request time exceeds the time window range.")
    );
    c.skew_ms = 1500;
    let ahead = c
        .get("/v5/position/list", "category=linear&symbol=BTCUSDT")
        .await;
    assert_eq!(ahead.code(), 10002);
    c.skew_ms = 0;
    c.key = "nobody".into();
    let unknown = c
        .get("/v5/position/list", "category=linear&symbol=BTCUSDT")
        .await;
    assert_eq!(unknown.code(), 10003);

    let ro = Client::new(&server, READ_ONLY_KEY);
    let refused = ro.post("/v5/order/create", order).await;
    assert_eq!(refused.code(), 10005);
    assert_eq!(
        ro.get("/v5/user/query-api", "").await.result()["readOnly"],
        1
    );
    assert_eq!(
        server.exchange().lock().order_count(),
        0,
        "nothing refused was placed"
    );
}

#[tokio::test]
async fn the_eleventh_order_in_a_second_gets_10006() {
    let server = start().await;
    let c = Client::new(&server, KEY);
    let mut codes = Vec::new();
    let started = std::time::Instant::now();
    for i in 0..11 {
        let r = c
            .post(
                "/v5/order/create",
                json!({"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit",
                       "qty": "0.001", "price": format!("{}", 40000 + i)}),
            )
            .await;
        codes.push((
            r.code(),
            r.headers["X-Bapi-Limit-Status"]
                .to_str()
                .unwrap()
                .to_owned(),
        ));
    }
    let elapsed = started.elapsed();
    assert_eq!(codes[0], (0, "9".to_owned()));
    assert_eq!(codes[9], (0, "0".to_owned()));
    // The eleventh inside the same second is refused (on a machine too slow to send eleven
    // requests in a second, the window has moved on and there is nothing to check).
    if elapsed < std::time::Duration::from_millis(900) {
        assert_eq!(codes[10], (10006, "0".to_owned()));
    }
    assert_eq!(
        server.exchange().lock().order_count(),
        if codes[10].0 == 0 { 11 } else { 10 }
    );
}

#[tokio::test]
async fn dcp_is_refused_to_a_key_that_is_not_institutional() {
    let server = start().await;
    let c = Client::new(&server, KEY);
    let refused = c
        .post(
            "/v5/order/disconnected-cancel-all",
            json!({"product": "DERIVATIVES", "timeWindow": 10}),
        )
        .await;
    assert_eq!(refused.code(), 10005);
    let ins = Client::new(&server, INS_KEY);
    let ok = ins
        .post(
            "/v5/order/disconnected-cancel-all",
            json!({"product": "DERIVATIVES", "timeWindow": 10}),
        )
        .await;
    assert_eq!(ok.code(), 0);
    let bad = ins
        .post(
            "/v5/order/disconnected-cancel-all",
            json!({"product": "DERIVATIVES", "timeWindow": 2}),
        )
        .await;
    assert_eq!(bad.code(), 10001);
}

#[tokio::test]
async fn leverage_and_a_stop_order() {
    let server = start().await;
    let c = Client::new(&server, KEY);
    let set = c
        .post("/v5/position/set-leverage", json!({"category": "linear", "symbol": "BTCUSDT", "buyLeverage": "5", "sellLeverage": "5"}))
        .await;
    assert_eq!(set.code(), 0, "{}", set.body);
    let same = c
        .post("/v5/position/set-leverage", json!({"category": "linear", "symbol": "BTCUSDT", "buyLeverage": "5", "sellLeverage": "5"}))
        .await;
    assert_eq!(
        (same.code(), same.msg()),
        (110043, "Set leverage has not been modified.")
    );
    let pos = c
        .get("/v5/position/list", "category=linear&symbol=BTCUSDT")
        .await;
    assert_eq!(pos.result()["list"][0]["leverage"], "5");

    let wrong_way = c
        .post("/v5/order/create", json!({"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Market",
              "qty": "0.01", "triggerPrice": "50000", "triggerDirection": 1, "triggerBy": "MarkPrice"}))
        .await;
    assert_eq!(wrong_way.code(), 110092);
    assert!(
        wrong_way
            .msg()
            .starts_with("expect Rising, but trigger_price[50000.00] <= current[")
    );
    let stop = c
        .post("/v5/order/create", json!({"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Market",
              "qty": "0.01", "triggerPrice": "61000", "triggerDirection": 1, "triggerBy": "MarkPrice"}))
        .await;
    assert_eq!(stop.code(), 0, "{}", stop.body);
    let id = stop.result()["orderId"].as_str().unwrap();
    let o = c
        .get(
            "/v5/order/realtime",
            &format!("category=linear&orderId={id}"),
        )
        .await;
    assert_eq!(o.result()["list"][0]["orderStatus"], "Untriggered");
    server.set_mark_price("BTCUSDT", Decimal::from(61000));
    let o = c
        .get(
            "/v5/order/realtime",
            &format!("category=linear&orderId={id}"),
        )
        .await;
    assert_eq!(o.result()["list"][0]["orderStatus"], "Filled");
}

#[tokio::test]
async fn inverse_contracts_trade_in_usd_and_settle_in_btc() {
    let server = start().await;
    let c = Client::new(&server, KEY);
    let r = c
        .post("/v5/order/create", json!({"category": "inverse", "symbol": "BTCUSD", "side": "Sell", "orderType": "Market", "qty": "1000"}))
        .await;
    assert_eq!(r.code(), 0, "{}", r.body);
    let pos = c
        .get("/v5/position/list", "category=inverse&symbol=BTCUSD")
        .await;
    let p = &pos.result()["list"][0];
    assert_eq!(
        (p["side"].as_str(), p["size"].as_str()),
        (Some("Sell"), Some("1000"))
    );
    // 1000 USD at about 60000: about 0.0167 BTC.
    let value = dec(&p["positionValue"]);
    assert!(
        value > Decimal::new(16, 3) && value < Decimal::new(17, 3),
        "{value}"
    );
    let wrong = c
        .post("/v5/order/create", json!({"category": "linear", "symbol": "BTCUSD", "side": "Sell", "orderType": "Market", "qty": "1"}))
        .await;
    assert_eq!(wrong.code(), 10001);
}

#[tokio::test]
async fn amend_moves_an_order_and_post_only_that_would_take_is_cancelled() {
    let server = start().await;
    let c = Client::new(&server, KEY);
    let placed = c
        .post(
            "/v5/order/create",
            json!({"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit",
                   "qty": "0.01", "price": "50000", "orderLinkId": "am-1"}),
        )
        .await;
    assert_eq!(placed.code(), 0);
    let amended = c
        .post(
            "/v5/order/amend",
            json!({"category": "linear", "symbol": "BTCUSDT", "orderLinkId": "am-1", "qty": "0.02", "price": "50100"}),
        )
        .await;
    assert_eq!(amended.code(), 0, "{}", amended.body);
    let o = c
        .get("/v5/order/realtime", "category=linear&orderLinkId=am-1")
        .await;
    assert_eq!(o.result()["list"][0]["qty"], "0.020");
    assert_eq!(o.result()["list"][0]["price"], "50100.00");
    let off_tick = c
        .post(
            "/v5/order/amend",
            json!({"category": "linear", "symbol": "BTCUSDT", "orderLinkId": "am-1", "price": "50100.01"}),
        )
        .await;
    assert_eq!(off_tick.code(), 10001);

    let post_only = c
        .post(
            "/v5/order/create",
            json!({"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit",
                   "qty": "0.01", "price": "65000", "timeInForce": "PostOnly", "orderLinkId": "po-1"}),
        )
        .await;
    assert_eq!(
        post_only.code(),
        0,
        "accepted, then cancelled by the engine"
    );
    let o = c
        .get("/v5/order/history", "category=linear&orderLinkId=po-1")
        .await;
    let o = &o.result()["list"][0];
    assert_eq!(o["orderStatus"], "Cancelled");
    assert_eq!(o["rejectReason"], "EC_PostOnlyWillTakeLiquidity");
    assert_eq!(o["cumExecQty"], "0.000");
}

#[tokio::test]
async fn fault_knobs_drop_the_answer_after_placing_or_answer_503() {
    let server = start().await;
    server.set_faults(rampart_sim::bybit::Faults {
        every: 1,
        ..Default::default()
    });
    let c = Client::new(&server, KEY);
    let order = |link: &str| {
        json!({"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit",
               "qty": "0.01", "price": "50000", "orderLinkId": link})
    };
    // First order: placed, connection dropped before the answer.
    let url = format!("{}/v5/order/create", server.base_url());
    let body = order("f-1").to_string();
    let ts = crate::support::now_ms().to_string();
    let sign = crate::support::hmac_hex(crate::support::SECRET, &format!("{ts}{KEY}5000{body}"));
    let sent = c
        .http
        .post(url)
        .header("X-BAPI-API-KEY", KEY)
        .header("X-BAPI-TIMESTAMP", ts)
        .header("X-BAPI-RECV-WINDOW", "5000")
        .header("X-BAPI-SIGN", sign)
        .body(body)
        .send()
        .await;
    let lost = match sent {
        Err(_) => true,
        Ok(r) => r.text().await.is_err(),
    };
    assert!(lost, "the answer never arrives whole");
    // Second: placed, answered 503 with 10016; third: 503 and not placed.
    let second = c.post("/v5/order/create", order("f-2")).await;
    assert_eq!((second.status, second.code()), (503, 10016));
    let third = c.post("/v5/order/create", order("f-3")).await;
    assert_eq!((third.status, third.code()), (503, 10016));
    server.set_faults(rampart_sim::bybit::Faults::default());
    for (link, placed) in [("f-1", true), ("f-2", true), ("f-3", false)] {
        let o = c
            .get(
                "/v5/order/realtime",
                &format!("category=linear&orderLinkId={link}"),
            )
            .await;
        assert_eq!(
            !o.result()["list"].as_array().unwrap().is_empty(),
            placed,
            "{link}"
        );
    }
}

#[tokio::test]
async fn over_600_requests_in_5_seconds_from_one_ip_get_403() {
    let server = crate::support::start_with(rampart_sim::bybit::SimConfig {
        ip_requests_per_5s: 5,
        ..crate::support::config()
    })
    .await;
    let c = Client::new(&server, KEY);
    for _ in 0..5 {
        assert_eq!(c.public("/v5/market/time", "").await.status, 200);
    }
    let refused = c.public("/v5/market/time", "").await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.body, "403, access too frequent");
}

#[tokio::test]
async fn account_endpoints_report_the_key_fees_margin_mode_and_mark_klines() {
    let server = start().await;
    let c = Client::new(&server, KEY);
    let key = c.get("/v5/user/query-api", "").await;
    assert_eq!(key.result()["readOnly"], 0);
    assert_eq!(key.result()["ips"], json!(["*"]));
    assert_eq!(key.result()["uta"], 1);
    assert!(
        !key.result()["permissions"]["Wallet"]
            .as_array()
            .unwrap()
            .contains(&json!("Withdraw"))
    );
    let fees = c
        .get("/v5/account/fee-rate", "category=linear&symbol=ETHUSDT")
        .await;
    assert_eq!(fees.result()["list"][0]["takerFeeRate"], "0.00055");
    assert_eq!(fees.result()["list"][0]["makerFeeRate"], "0.0002");
    let info = c.get("/v5/account/info", "").await;
    assert_eq!(info.result()["marginMode"], "REGULAR_MARGIN");

    let isolated = c
        .post("/v5/position/switch-isolated", json!({"category": "linear", "symbol": "SOLUSDT", "tradeMode": 1, "buyLeverage": "3", "sellLeverage": "3"}))
        .await;
    assert_eq!(isolated.code(), 0, "{}", isolated.body);
    let again = c
        .post("/v5/position/switch-isolated", json!({"category": "linear", "symbol": "SOLUSDT", "tradeMode": 1, "buyLeverage": "3", "sellLeverage": "3"}))
        .await;
    assert_eq!(
        (again.code(), again.msg()),
        (110026, "Cross/isolated margin mode has not been modified.")
    );
    let pos = c
        .get("/v5/position/list", "category=linear&symbol=SOLUSDT")
        .await;
    assert_eq!(
        (
            pos.result()["list"][0]["tradeMode"].as_i64(),
            pos.result()["list"][0]["leverage"].as_str()
        ),
        (Some(1), Some("3"))
    );
    let mode = c
        .post(
            "/v5/account/set-margin-mode",
            json!({"setMarginMode": "REGULAR_MARGIN"}),
        )
        .await;
    assert_eq!(mode.code(), 0, "{}", mode.body);
    let pos = c
        .get("/v5/position/list", "category=linear&symbol=SOLUSDT")
        .await;
    assert_eq!(pos.result()["list"][0]["tradeMode"], 0);

    let mark = c
        .public(
            "/v5/market/mark-price-kline",
            "category=inverse&symbol=BTCUSD&interval=1&limit=2",
        )
        .await;
    let rows = mark.result()["list"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0].as_array().unwrap().len(),
        5,
        "start, open, high, low, close"
    );
    let wrong_method = c.get("/v5/order/create", "category=linear").await;
    assert_eq!((wrong_method.status, wrong_method.code()), (404, 10017));
}

#[tokio::test]
async fn every_create_request_is_counted_by_client_id_even_when_refused() {
    let server = start().await;
    let c = Client::new(&server, KEY);
    let order = json!({"category": "linear", "symbol": "BTCUSDT", "side": "Buy",
                       "orderType": "Limit", "qty": "0.001", "price": "55000",
                       "orderLinkId": "twice-1"});
    assert_eq!(c.post("/v5/order/create", order.clone()).await.code(), 0);
    // The same orderLinkId again is refused, and still recorded as sent.
    assert_eq!(c.post("/v5/order/create", order).await.code(), 110072);
    let once = json!({"category": "linear", "symbol": "BTCUSDT", "side": "Buy",
                      "orderType": "Limit", "qty": "0.001", "price": "55000",
                      "orderLinkId": "once-1"});
    assert_eq!(c.post("/v5/order/create", once).await.code(), 0);
    assert_eq!(
        server.create_requests(KEY),
        vec![("once-1".to_owned(), 1), ("twice-1".to_owned(), 2)]
    );
    assert!(server.create_requests("someone-else").is_empty());
}

#[tokio::test]
async fn a_linear_order_worth_less_than_the_listed_minimum_is_refused_with_110094() {
    let server = start().await;
    server.set_mark_price("BTCUSDT", Decimal::from(60000));
    let c = Client::new(&server, KEY);
    let info = c
        .get(
            "/v5/market/instruments-info",
            "category=linear&symbol=BTCUSDT",
        )
        .await;
    assert_eq!(
        info.result()["list"][0]["lotSizeFilter"]["minNotionalValue"],
        "5"
    );
    // 0.001 BTC at 4000 is worth 4 USDT.
    let small = c
        .post(
            "/v5/order/create",
            json!({"category": "linear", "symbol": "BTCUSDT", "side": "Buy",
                                         "orderType": "Limit", "qty": "0.001", "price": "4000"}),
        )
        .await;
    assert_eq!(small.code(), 110094, "{}", small.body);
    // At 5000 it is worth exactly the minimum.
    let enough = c
        .post(
            "/v5/order/create",
            json!({"category": "linear", "symbol": "BTCUSDT", "side": "Buy",
                                         "orderType": "Limit", "qty": "0.001", "price": "5000"}),
        )
        .await;
    assert_eq!(enough.code(), 0, "{}", enough.body);
    // Inverse contracts are sized in USD: one contract is fine.
    let inverse = c
        .post(
            "/v5/order/create",
            json!({"category": "inverse", "symbol": "BTCUSD", "side": "Buy",
                                         "orderType": "Limit", "qty": "1", "price": "50000"}),
        )
        .await;
    assert_eq!(inverse.code(), 0, "{}", inverse.body);
}
