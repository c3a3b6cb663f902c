//! REST: market data, order entry, positions, refusals with OKX's codes, limits, countdown.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::{Client, Creds, DEMO_KEY, config, start};

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

#[tokio::test]
async fn public_data_lists_okx_contracts_with_their_rules() {
    let server = start(config()).await;
    let c = Client::new(&server);
    let time = c.public("/api/v5/public/time").await;
    assert_eq!(time["code"], "0");
    assert!(s(&time["data"][0]["ts"]).parse::<i64>().is_ok());

    let swaps = c.public("/api/v5/public/instruments?instType=SWAP").await;
    let btc = swaps["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["instId"] == "BTC-USDT-SWAP")
        .unwrap();
    assert_eq!(btc["ctVal"], "0.01");
    assert_eq!(btc["ctValCcy"], "BTC");
    assert_eq!(btc["tickSz"], "0.1");
    assert_eq!(btc["lotSz"], "0.01");
    assert_eq!(btc["ctType"], "linear");
    let inverse = c
        .public("/api/v5/public/instruments?instType=SWAP&instId=BTC-USD-SWAP")
        .await;
    assert_eq!(inverse["data"][0]["ctType"], "inverse");
    assert_eq!(inverse["data"][0]["settleCcy"], "BTC");
    let futures = c
        .public("/api/v5/public/instruments?instType=FUTURES")
        .await;
    assert_eq!(futures["data"].as_array().unwrap().len(), 2);
    assert!(s(&futures["data"][0]["instId"]).starts_with("BTC-USDT-"));
    let missing = c.public("/api/v5/public/instruments").await;
    assert_eq!(missing["code"], "50014");

    let book = c
        .public("/api/v5/market/books?instId=BTC-USDT-SWAP&sz=5")
        .await;
    assert_eq!(book["data"][0]["bids"].as_array().unwrap().len(), 5);
    assert_eq!(book["data"][0]["asks"][0][0], "60000.1");
    assert_eq!(book["data"][0]["bids"][0][0], "60000");
    let ticker = c.public("/api/v5/market/ticker?instId=BTC-USDT-SWAP").await;
    assert_eq!(ticker["data"][0]["last"], "60000");
    let unknown = c
        .public("/api/v5/market/ticker?instId=DOGE-USDT-SWAP")
        .await;
    assert_eq!(unknown["code"], "51001");
    let candles = c
        .public("/api/v5/market/candles?instId=BTC-USDT-SWAP&bar=1m&limit=3")
        .await;
    let rows = candles["data"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert!(s(&rows[0][0]).parse::<i64>().unwrap() > s(&rows[1][0]).parse::<i64>().unwrap());
    let mark = c
        .public("/api/v5/public/mark-price?instType=SWAP&instId=ETH-USDT-SWAP")
        .await;
    assert_eq!(mark["data"][0]["markPx"], "3000");
    // The index of a family, by its own name (no basis in the simulator).
    let index = c
        .public("/api/v5/market/index-tickers?instId=ETH-USDT")
        .await;
    assert_eq!(index["data"][0]["instId"], "ETH-USDT", "{index}");
    assert_eq!(index["data"][0]["idxPx"], "3000");
    let usdt = c.public("/api/v5/market/index-tickers?quoteCcy=USDT").await;
    assert_eq!(usdt["data"].as_array().unwrap().len(), 3, "{usdt}");
}

#[tokio::test]
async fn an_order_rests_fills_makes_a_position_and_cancels() {
    let server = start(config()).await;
    let c = Client::new(&server);
    // A resting buy far under the market.
    let (status, placed) = c
        .post(
            "/api/v5/trade/order",
            json!({"instId": "BTC-USDT-SWAP", "tdMode": "cross", "side": "buy", "ordType": "limit",
                   "px": "50000", "sz": "1", "clOrdId": "rest1", "tag": "rampart"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(placed["code"], "0", "{placed}");
    assert_eq!(placed["data"][0]["sCode"], "0");
    assert_eq!(placed["data"][0]["sMsg"], "Order placed");
    assert_eq!(placed["data"][0]["clOrdId"], "rest1");
    let ord_id = s(&placed["data"][0]["ordId"]).to_owned();
    assert_eq!(ord_id.len(), 18);

    let (_, by_cl) = c
        .get("/api/v5/trade/order?instId=BTC-USDT-SWAP&clOrdId=rest1")
        .await;
    assert_eq!(by_cl["data"][0]["ordId"], ord_id.as_str());
    assert_eq!(by_cl["data"][0]["state"], "live");
    assert_eq!(by_cl["data"][0]["tag"], "rampart");
    assert_eq!(by_cl["data"][0]["tdMode"], "cross");
    let (_, pending) = c.get("/api/v5/trade/orders-pending?instType=SWAP").await;
    assert_eq!(pending["data"].as_array().unwrap().len(), 1);

    let (_, cancelled) = c
        .post(
            "/api/v5/trade/cancel-order",
            json!({"instId": "BTC-USDT-SWAP", "ordId": ord_id}),
        )
        .await;
    assert_eq!(cancelled["code"], "0", "{cancelled}");
    let (_, by_id) = c
        .get(&format!(
            "/api/v5/trade/order?instId=BTC-USDT-SWAP&ordId={ord_id}"
        ))
        .await;
    assert_eq!(by_id["data"][0]["state"], "canceled");
    assert_eq!(by_id["data"][0]["cancelSource"], "1");
    // Cancelling again: the order is finished.
    let (_, again) = c
        .post(
            "/api/v5/trade/cancel-order",
            json!({"instId": "BTC-USDT-SWAP", "ordId": ord_id}),
        )
        .await;
    assert_eq!(again["code"], "1");
    assert_eq!(again["data"][0]["sCode"], "51400");
    // Unknown order.
    let (_, none) = c
        .get("/api/v5/trade/order?instId=BTC-USDT-SWAP&ordId=1")
        .await;
    assert_eq!(none["code"], "51603");
    assert_eq!(none["msg"], "Order does not exist");

    // A market buy takes the ask: a long position of 2 contracts.
    let (_, market) = c
        .post(
            "/api/v5/trade/order",
            json!({"instId": "BTC-USDT-SWAP", "tdMode": "isolated", "side": "buy", "ordType": "market", "sz": "2"}),
        )
        .await;
    assert_eq!(market["code"], "0", "{market}");
    let id = s(&market["data"][0]["ordId"]).to_owned();
    let (_, filled) = c
        .get(&format!(
            "/api/v5/trade/order?instId=BTC-USDT-SWAP&ordId={id}"
        ))
        .await;
    assert_eq!(filled["data"][0]["state"], "filled");
    assert_eq!(filled["data"][0]["avgPx"], "60000.1");
    assert_eq!(filled["data"][0]["accFillSz"], "2");
    let (_, positions) = c.get("/api/v5/account/positions?instType=SWAP").await;
    let p = &positions["data"][0];
    assert_eq!(p["instId"], "BTC-USDT-SWAP");
    assert_eq!(p["pos"], "2");
    assert_eq!(p["mgnMode"], "isolated");
    assert_eq!(p["posSide"], "net");
    assert_eq!(p["avgPx"], "60000.1");
    let (_, history) = c.get("/api/v5/trade/orders-history?instType=SWAP").await;
    assert_eq!(history["data"].as_array().unwrap().len(), 2);

    // Fee: 2 contracts × 0.01 BTC × 60000.1 × 0.05% = 0.600001 USDT off the cash balance.
    let (_, balance) = c.get("/api/v5/account/balance?ccy=USDT").await;
    assert_eq!(balance["data"][0]["details"][0]["ccy"], "USDT");
    assert_eq!(balance["data"][0]["details"][0]["cashBal"], "99999.399999");
    // All coins: totalEq values BTC at the BTC-USDT-SWAP mark (1 BTC, 60000), plus the USDT
    // equity (cash and the long's unrealised PnL at the mark, 60000: 2 × 0.01 × −0.1).
    let (_, all) = c.get("/api/v5/account/balance").await;
    assert_eq!(all["data"][0]["totalEq"], "159999.397999");
}

#[tokio::test]
async fn cancel_batch_cancels_each_and_reports_each() {
    let server = start(config()).await;
    let c = Client::new(&server);
    let mut ids = Vec::new();
    for px in ["50000", "50000.1"] {
        let (_, placed) = c
            .post(
                "/api/v5/trade/order",
                json!({"instId": "BTC-USDT-SWAP", "tdMode": "cross", "side": "buy", "ordType": "limit", "px": px, "sz": "0.5"}),
            )
            .await;
        ids.push(s(&placed["data"][0]["ordId"]).to_owned());
    }
    let body = json!([
        {"instId": "BTC-USDT-SWAP", "ordId": ids[0]},
        {"instId": "BTC-USDT-SWAP", "ordId": ids[1]},
        {"instId": "BTC-USDT-SWAP", "ordId": "123"},
    ]);
    let (_, res) = c.post("/api/v5/trade/cancel-batch-orders", body).await;
    assert_eq!(res["code"], "2", "{res}");
    assert_eq!(res["msg"], "Bulk operation partially succeeded");
    assert_eq!(res["data"][0]["sCode"], "0");
    assert_eq!(res["data"][1]["sCode"], "0");
    assert_eq!(res["data"][2]["sCode"], "51603");
    let (_, pending) = c.get("/api/v5/trade/orders-pending").await;
    assert_eq!(pending["data"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn refusals_carry_okx_codes_and_messages() {
    let server = start(config()).await;
    let path = "/api/v5/account/balance";
    let cases: Vec<(Creds, u16, &str, &str)> = vec![
        (
            Creds {
                secret: "wrong".into(),
                ..Creds::default()
            },
            401,
            "50113",
            "Invalid Sign",
        ),
        (
            Creds {
                passphrase: "wrong".into(),
                ..Creds::default()
            },
            401,
            "50105",
            "Request header \"OK-ACCESS-PASSPHRASE\" incorrect.",
        ),
        (
            Creds {
                ts_offset_ms: -31_000,
                ..Creds::default()
            },
            401,
            "50102",
            "Timestamp request expired",
        ),
        (
            Creds {
                timestamp: Some("1607418537715".into()),
                ..Creds::default()
            },
            401,
            "50112",
            "Invalid OK-ACCESS-TIMESTAMP",
        ),
        (
            Creds {
                key: "nobody".into(),
                ..Creds::default()
            },
            401,
            "50111",
            "Invalid OK-ACCESS-KEY",
        ),
        // A live key with the demo header, a demo key without it.
        (
            Creds {
                simulated: true,
                ..Creds::default()
            },
            401,
            "50101",
            "APIKey does not match current environment.",
        ),
        (
            Creds {
                key: DEMO_KEY.into(),
                ..Creds::default()
            },
            401,
            "50101",
            "APIKey does not match current environment.",
        ),
    ];
    for (creds, status, code, msg) in cases {
        let c = Client::with(&server, creds);
        let (got_status, body) = c.get(path).await;
        assert_eq!(
            (got_status, s(&body["code"]), s(&body["msg"])),
            (status, code, msg)
        );
        assert_eq!(body["data"], json!([]));
    }
    // The demo key with the header is served.
    let demo = Client::with(
        &server,
        Creds {
            key: DEMO_KEY.into(),
            simulated: true,
            ..Creds::default()
        },
    );
    assert_eq!(demo.get(path).await.1["code"], "0");

    let c = Client::new(&server);
    let order = |px: &str, sz: &str| json!({"instId": "BTC-USDT-SWAP", "tdMode": "cross", "side": "buy", "ordType": "limit", "px": px, "sz": sz});
    // Off the 0.1 tick.
    let (status, off_tick) = c.post("/api/v5/trade/order", order("50000.05", "1")).await;
    assert_eq!(status, 200);
    assert_eq!(off_tick["code"], "1");
    assert_eq!(off_tick["msg"], "All operations failed");
    assert_eq!(off_tick["data"][0]["sCode"], "51000");
    assert_eq!(off_tick["data"][0]["sMsg"], "Parameter px error");
    // Off the 0.01 lot.
    let (_, off_lot) = c.post("/api/v5/trade/order", order("50000", "1.005")).await;
    assert_eq!(off_lot["data"][0]["sCode"], "51121");
    // More than the balance: 100000 contracts × 0.01 × 50000 / 10x far exceeds 100000 USDT.
    let (_, broke) = c.post("/api/v5/trade/order", order("50000", "90000")).await;
    assert_eq!(broke["data"][0]["sCode"], "51008");
    assert_eq!(
        broke["data"][0]["sMsg"],
        "Order failed. Insufficient USDT balance in account."
    );
    // A clOrdId with a dash is not alphanumeric.
    let mut bad = order("50000", "1");
    bad["clOrdId"] = json!("a-b");
    let (_, bad) = c.post("/api/v5/trade/order", bad).await;
    assert_eq!(bad["data"][0]["sMsg"], "Parameter clOrdId error");
    // Nothing was placed.
    assert_eq!(server.exchange().lock().order_count(), 0);
}

#[tokio::test]
async fn a_cl_ord_id_is_unique_among_pending_orders_only() {
    let server = start(config()).await;
    let c = Client::new(&server);
    let order = json!({"instId": "ETH-USDT-SWAP", "tdMode": "cross", "side": "sell", "ordType": "limit",
                       "px": "3500", "sz": "1", "clOrdId": "dup1"});
    let (_, first) = c.post("/api/v5/trade/order", order.clone()).await;
    assert_eq!(first["code"], "0");
    let (_, second) = c.post("/api/v5/trade/order", order.clone()).await;
    assert_eq!(second["code"], "1");
    assert_eq!(second["data"][0]["sCode"], "51016");
    assert_eq!(second["data"][0]["sMsg"], "Duplicated clOrdId");
    let (_, _) = c
        .post(
            "/api/v5/trade/cancel-order",
            json!({"instId": "ETH-USDT-SWAP", "clOrdId": "dup1"}),
        )
        .await;
    let (_, third) = c.post("/api/v5/trade/order", order).await;
    assert_eq!(third["code"], "0", "{third}");
}

#[tokio::test]
async fn placing_more_than_60_orders_in_2_seconds_on_one_instrument_is_refused() {
    let server = start(config()).await;
    let c = Client::new(&server);
    let order = json!({"instId": "SOL-USDT-SWAP", "tdMode": "cross", "side": "buy", "ordType": "limit", "px": "100", "sz": "0.01"});
    // 121 requests span at most two 2-second windows: one of them is refused.
    let mut refused = None;
    for i in 0..121 {
        let (status, body) = c.post("/api/v5/trade/order", order.clone()).await;
        if status == 429 {
            refused = Some((i, body));
            break;
        }
        assert_eq!(body["code"], "0", "{body}");
    }
    let (i, body) = refused.expect("no order was refused");
    assert!(i >= 1);
    assert_eq!(body["code"], "50011");
    assert_eq!(
        body["msg"],
        "Rate limit reached. Please refer to API documentation and throttle requests accordingly"
    );
    // Another instrument has its own count.
    let mut eth = order.clone();
    eth["instId"] = json!("ETH-USDT-SWAP");
    eth["px"] = json!("2000");
    let (status, _) = c.post("/api/v5/trade/order", eth).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn cancel_all_after_cancels_every_pending_order_when_it_runs_out() {
    let server = start(config()).await;
    let c = Client::new(&server);
    let (_, placed) = c
        .post(
            "/api/v5/trade/order",
            json!({"instId": "BTC-USDT-SWAP", "tdMode": "cross", "side": "buy", "ordType": "limit", "px": "50000", "sz": "1"}),
        )
        .await;
    let id = s(&placed["data"][0]["ordId"]).to_owned();
    let (_, short) = c
        .post("/api/v5/trade/cancel-all-after", json!({"timeOut": "5"}))
        .await;
    assert_eq!(short["code"], "51000");
    assert_eq!(short["msg"], "Parameter timeOut error");
    // One request per second: wait out the window the refused request used.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let (_, armed) = c
        .post("/api/v5/trade/cancel-all-after", json!({"timeOut": "10"}))
        .await;
    assert_eq!(armed["code"], "0", "{armed}");
    let trigger: i64 = s(&armed["data"][0]["triggerTime"]).parse().unwrap();
    let ts: i64 = s(&armed["data"][0]["ts"]).parse().unwrap();
    assert_eq!(trigger - ts, 10_000);
    // Still live before the deadline; the exchange's housekeeping at the deadline fires it.
    server.exchange().lock().housekeep(trigger - 1);
    let (_, live) = c
        .get(&format!(
            "/api/v5/trade/order?instId=BTC-USDT-SWAP&ordId={id}"
        ))
        .await;
    assert_eq!(live["data"][0]["state"], "live");
    server.exchange().lock().housekeep(trigger);
    let (_, gone) = c
        .get(&format!(
            "/api/v5/trade/order?instId=BTC-USDT-SWAP&ordId={id}"
        ))
        .await;
    assert_eq!(gone["data"][0]["state"], "canceled");
    assert_eq!(gone["data"][0]["cancelSource"], "13");
}

#[tokio::test]
async fn leverage_and_config_read_back() {
    let server = start(config()).await;
    let c = Client::new(&server);
    let (_, set) = c
        .post(
            "/api/v5/account/set-leverage",
            json!({"instId": "BTC-USDT-SWAP", "lever": "20", "mgnMode": "cross"}),
        )
        .await;
    assert_eq!(set["code"], "0", "{set}");
    let (_, info) = c
        .get("/api/v5/account/leverage-info?instId=BTC-USDT-SWAP&mgnMode=cross")
        .await;
    assert_eq!(info["data"][0]["lever"], "20");
    let (_, too_high) = c
        .post(
            "/api/v5/account/set-leverage",
            json!({"instId": "SOL-USDT-SWAP", "lever": "75", "mgnMode": "cross"}),
        )
        .await;
    assert_eq!(too_high["code"], "59102");
    let (_, config) = c.get("/api/v5/account/config").await;
    assert_eq!(config["data"][0]["perm"], "read_only,trade");
    assert_eq!(config["data"][0]["posMode"], "net_mode");
    assert_eq!(config["data"][0]["ip"], "");
    let (_, fee) = c.get("/api/v5/account/trade-fee?instType=SWAP").await;
    assert_eq!(fee["data"][0]["takerU"], "-0.0005");
}

#[tokio::test]
async fn amend_changes_price_and_size_of_a_pending_order() {
    let server = start(config()).await;
    let c = Client::new(&server);
    let (_, placed) = c
        .post(
            "/api/v5/trade/order",
            json!({"instId": "ETH-USDT-SWAP", "tdMode": "cross", "side": "buy", "ordType": "limit", "px": "2500", "sz": "2", "clOrdId": "am1"}),
        )
        .await;
    assert_eq!(placed["code"], "0");
    let (_, amended) = c
        .post(
            "/api/v5/trade/amend-order",
            json!({"instId": "ETH-USDT-SWAP", "clOrdId": "am1", "newPx": "2600.5", "newSz": "3", "reqId": "r1"}),
        )
        .await;
    assert_eq!(amended["code"], "0", "{amended}");
    assert_eq!(amended["data"][0]["reqId"], "r1");
    let (_, o) = c
        .get("/api/v5/trade/order?instId=ETH-USDT-SWAP&clOrdId=am1")
        .await;
    assert_eq!(o["data"][0]["px"], "2600.5");
    assert_eq!(o["data"][0]["sz"], "3");
    // Off the 0.01 tick.
    let (_, off) = c
        .post(
            "/api/v5/trade/amend-order",
            json!({"instId": "ETH-USDT-SWAP", "clOrdId": "am1", "newPx": "2600.505"}),
        )
        .await;
    assert_eq!(off["data"][0]["sCode"], "51000");
    assert_eq!(off["data"][0]["sMsg"], "Parameter newPx error");
}

#[tokio::test]
async fn a_read_only_key_reads_but_may_not_trade() {
    let mut cfg = config();
    cfg.accounts[0].permissions = rampart_sim::okx::SimPermissions {
        trade: false,
        withdraw: false,
        ip_bound: true,
    };
    let server = start(cfg).await;
    let c = Client::new(&server);
    let (_, config) = c.get("/api/v5/account/config").await;
    assert_eq!(config["data"][0]["perm"], "read_only");
    // A key bound to this machine says so.
    assert_eq!(config["data"][0]["ip"], "127.0.0.1");
    let (_, refused) = c
        .post(
            "/api/v5/trade/order",
            json!({"instId": "BTC-USDT-SWAP", "tdMode": "cross", "side": "buy", "ordType": "limit", "px": "50000", "sz": "1"}),
        )
        .await;
    assert_eq!(refused["code"], "50030");
    assert_eq!(refused["msg"], "No permission to use this API");
    assert_eq!(server.exchange().lock().order_count(), 0);
}

#[tokio::test]
async fn order_faults_drop_the_answer_answer_503_or_refuse() {
    use rampart_sim::okx::Faults;
    let server = start(config()).await;
    let c = Client::new(&server);
    server.set_faults(Faults {
        every: 1,
        ..Faults::default()
    });
    let order = |cl: &str| json!({"instId": "BTC-USDT-SWAP", "tdMode": "cross", "side": "buy", "ordType": "limit", "px": "50000", "sz": "1", "clOrdId": cl});
    // 1st: accepted, connection dropped before the answer.
    let body = order("f1").to_string();
    let ts = crate::support::iso_now(0);
    let sig = crate::support::sign(
        crate::support::SECRET,
        &format!("{ts}POST/api/v5/trade/order{body}"),
    );
    let dropped = c
        .http
        .post(format!("{}/api/v5/trade/order", c.base))
        .header("Content-Type", "application/json")
        .header("OK-ACCESS-KEY", crate::support::KEY)
        .header("OK-ACCESS-SIGN", sig)
        .header("OK-ACCESS-TIMESTAMP", ts)
        .header("OK-ACCESS-PASSPHRASE", crate::support::PASS)
        .body(body)
        .send()
        .await;
    let failed = match dropped {
        Err(_) => true,
        Ok(res) => res.bytes().await.is_err(),
    };
    assert!(failed, "the answer reached the client");
    // 2nd: accepted, 503.
    let (status, body) = c.post("/api/v5/trade/order", order("f2")).await;
    assert_eq!((status, s(&body["code"])), (503, "50001"));
    // 3rd: 503, not taken.
    let (status, _) = c.post("/api/v5/trade/order", order("f3")).await;
    assert_eq!(status, 503);
    server.set_faults(Faults::default());
    for (cl, kept) in [("f1", true), ("f2", true), ("f3", false)] {
        let (_, o) = c
            .get(&format!(
                "/api/v5/trade/order?instId=BTC-USDT-SWAP&clOrdId={cl}"
            ))
            .await;
        assert_eq!(o["code"] == "0", kept, "{cl}: {o}");
    }
}

#[tokio::test]
async fn cancel_all_after_fires_on_the_servers_own_clock() {
    let server = start(config()).await;
    let c = Client::new(&server);
    let (_, placed) = c
        .post(
            "/api/v5/trade/order",
            json!({"instId": "SOL-USDT-SWAP", "tdMode": "cross", "side": "sell", "ordType": "limit", "px": "200", "sz": "1"}),
        )
        .await;
    let id = s(&placed["data"][0]["ordId"]).to_owned();
    let (_, armed) = c
        .post("/api/v5/trade/cancel-all-after", json!({"timeOut": "10"}))
        .await;
    assert_eq!(armed["code"], "0", "{armed}");
    let started = std::time::Instant::now();
    let url = format!("/api/v5/trade/order?instId=SOL-USDT-SWAP&ordId={id}");
    // Bounded: the countdown is 10 s; give it 3 s more.
    let state = loop {
        let (_, o) = c.get(&url).await;
        let state = s(&o["data"][0]["state"]).to_owned();
        if state != "live" || started.elapsed() > std::time::Duration::from_secs(13) {
            break state;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };
    assert_eq!(state, "canceled");
    assert!(started.elapsed() >= std::time::Duration::from_millis(9_500));
}

#[tokio::test]
async fn account_config_allows_5_requests_per_2_seconds() {
    let server = start(config()).await;
    let c = Client::new(&server);
    // 11 requests span at most two 2-second windows: one is refused.
    let mut refused = None;
    for i in 0..11 {
        let (status, body) = c.get("/api/v5/account/config").await;
        if status == 429 {
            refused = Some((i, body));
            break;
        }
        assert_eq!(body["code"], "0");
    }
    let (_, body) = refused.expect("no request was refused");
    assert_eq!(body["code"], "50011");
    // Another endpoint has its own count.
    assert_eq!(c.get("/api/v5/account/balance").await.1["code"], "0");
}

/// A stop-loss is an algo order: it waits apart from the regular orders (its own id, client
/// id and list), then the mark reaching it places a market order that closes the position,
/// and both sides name each other.
#[tokio::test]
async fn a_stop_loss_waits_as_an_algo_order_then_places_its_order_when_reached() {
    let server = start(config()).await;
    let c = Client::new(&server);
    assert!(server.set_mark_price("BTC-USDT-SWAP", Decimal::from(60_000)));
    let (_, bought) = c
        .post(
            "/api/v5/trade/order",
            json!({"instId": "BTC-USDT-SWAP", "tdMode": "cross", "side": "buy", "ordType": "market", "sz": "2"}),
        )
        .await;
    assert_eq!(bought["code"], "0", "{bought}");
    let (_, placed) = c
        .post(
            "/api/v5/trade/order-algo",
            json!({"instId": "BTC-USDT-SWAP", "tdMode": "cross", "side": "sell", "ordType": "conditional",
                   "sz": "2", "reduceOnly": true, "algoClOrdId": "stop1",
                   "slTriggerPx": "59000", "slOrdPx": "-1", "slTriggerPxType": "mark"}),
        )
        .await;
    assert_eq!(placed["code"], "0", "{placed}");
    let row = &placed["data"][0];
    assert_eq!(
        (row["sCode"].as_str(), row["algoClOrdId"].as_str()),
        (Some("0"), Some("stop1"))
    );
    let algo_id = row["algoId"].as_str().unwrap().to_owned();
    assert_eq!(algo_id.len(), 18, "{placed}");

    // Not a regular order.
    let (_, regular) = c.get("/api/v5/trade/orders-pending?instType=SWAP").await;
    assert_eq!(regular["data"], json!([]), "{regular}");
    let (_, pending) = c
        .get("/api/v5/trade/orders-algo-pending?ordType=conditional&instId=BTC-USDT-SWAP")
        .await;
    let waiting = &pending["data"][0];
    assert_eq!(pending["data"].as_array().unwrap().len(), 1, "{pending}");
    assert_eq!(waiting["algoId"], algo_id.as_str());
    assert_eq!(waiting["state"], "live");
    assert_eq!(waiting["slTriggerPx"], "59000");
    assert_eq!(waiting["slOrdPx"], "-1");
    assert_eq!(waiting["slTriggerPxType"], "mark");
    assert_eq!(waiting["tpTriggerPx"], "");
    assert_eq!(waiting["reduceOnly"], "true");
    assert_eq!(waiting["ordId"], "");
    let (_, other_type) = c
        .get("/api/v5/trade/orders-algo-pending?ordType=trigger")
        .await;
    assert_eq!(other_type["data"], json!([]));

    // Above the trigger nothing happens; at it, the order is placed and fills.
    assert!(server.set_mark_price("BTC-USDT-SWAP", Decimal::from(59_500)));
    let (_, still) = c.get("/api/v5/trade/order-algo?algoClOrdId=stop1").await;
    assert_eq!(still["data"][0]["state"], "live", "{still}");
    assert!(server.set_mark_price("BTC-USDT-SWAP", Decimal::from(58_900)));
    let (_, fired) = c
        .get(&format!("/api/v5/trade/order-algo?algoId={algo_id}"))
        .await;
    let fired = &fired["data"][0];
    assert_eq!(fired["state"], "effective", "{fired}");
    assert_eq!(fired["actualSz"], "2");
    assert_eq!(fired["actualSide"], "sl");
    let ord_id = fired["ordId"].as_str().unwrap().to_owned();
    assert!(!ord_id.is_empty(), "{fired}");
    assert_eq!(fired["ordIdList"], json!([ord_id]));

    let (_, child) = c
        .get(&format!(
            "/api/v5/trade/order?instId=BTC-USDT-SWAP&ordId={ord_id}"
        ))
        .await;
    let child = &child["data"][0];
    assert_eq!(child["state"], "filled", "{child}");
    assert_eq!(child["ordType"], "market");
    assert_eq!(child["accFillSz"], "2");
    assert_eq!(child["algoId"], algo_id.as_str());
    assert_eq!(child["algoClOrdId"], "stop1");
    assert_eq!(child["clOrdId"], "");
    let (_, positions) = c
        .get("/api/v5/account/positions?instId=BTC-USDT-SWAP")
        .await;
    let open: Vec<&Value> = positions["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["pos"] != "0" && p["pos"] != "")
        .collect();
    assert!(open.is_empty(), "the stop closed the position: {positions}");

    let (_, pending) = c
        .get("/api/v5/trade/orders-algo-pending?ordType=conditional")
        .await;
    assert_eq!(pending["data"], json!([]));
    let (_, history) = c
        .get("/api/v5/trade/orders-algo-history?ordType=conditional&state=effective")
        .await;
    assert_eq!(history["data"][0]["algoId"], algo_id.as_str(), "{history}");
    let (_, needs_state) = c
        .get("/api/v5/trade/orders-algo-history?ordType=conditional")
        .await;
    assert_eq!(needs_state["code"], "50014", "{needs_state}");
}

/// Algo orders are checked as OKX checks them: a trigger on the wrong side of the price is
/// refused with its own code, types the simulator does not take are a parameter error, a
/// client id names one waiting order; cancel-algos cancels by id or client id, once.
#[tokio::test]
async fn algo_orders_are_checked_and_cancelled_as_okx_does() {
    let server = start(config()).await;
    let c = Client::new(&server);
    assert!(server.set_mark_price("BTC-USDT-SWAP", Decimal::from(60_000)));
    let algo = |extra: Value| {
        let mut body = json!({"instId": "BTC-USDT-SWAP", "tdMode": "cross", "sz": "1"});
        if let (Some(b), Value::Object(e)) = (body.as_object_mut(), extra) {
            b.extend(e);
        }
        body
    };
    let refusals = [
        (
            json!({"side": "sell", "ordType": "conditional", "slTriggerPx": "61000", "slOrdPx": "-1"}),
            "51280",
        ),
        (
            json!({"side": "buy", "ordType": "conditional", "slTriggerPx": "59000", "slOrdPx": "-1"}),
            "51278",
        ),
        (
            json!({"side": "sell", "ordType": "conditional", "tpTriggerPx": "59000", "tpOrdPx": "-1"}),
            "51279",
        ),
        (
            json!({"side": "buy", "ordType": "conditional", "tpTriggerPx": "61000", "tpOrdPx": "-1"}),
            "51277",
        ),
        (
            json!({"side": "sell", "ordType": "conditional", "slTriggerPx": "59000.05", "slOrdPx": "-1"}),
            "51000",
        ),
        (
            json!({"side": "sell", "ordType": "conditional", "slTriggerPx": "59000", "slOrdPx": "-1",
                "tpTriggerPx": "61000", "tpOrdPx": "-1"}),
            "51000",
        ),
        (
            json!({"side": "sell", "ordType": "oco", "slTriggerPx": "59000", "slOrdPx": "-1",
                "tpTriggerPx": "61000", "tpOrdPx": "-1"}),
            "51000",
        ),
        (
            json!({"side": "sell", "ordType": "conditional", "slTriggerPx": "59000"}),
            "50014",
        ),
    ];
    for (extra, code) in refusals {
        let (status, answer) = c
            .post("/api/v5/trade/order-algo", algo(extra.clone()))
            .await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["code"], "1", "{extra}: {answer}");
        assert_eq!(answer["data"][0]["sCode"], code, "{extra}: {answer}");
    }
    let (_, none) = c
        .get("/api/v5/trade/orders-algo-pending?ordType=conditional,trigger")
        .await;
    assert_eq!(none["data"], json!([]), "refusals leave nothing: {none}");

    // A trigger order buying at a limit once the last price rises to 61000.
    let (_, placed) = c
        .post(
            "/api/v5/trade/order-algo",
            algo(json!({"side": "buy", "ordType": "trigger", "triggerPx": "61000", "orderPx": "61500",
                        "algoClOrdId": "entry1"})),
        )
        .await;
    assert_eq!(placed["code"], "0", "{placed}");
    let (_, again) = c
        .post(
            "/api/v5/trade/order-algo",
            algo(
                json!({"side": "buy", "ordType": "trigger", "triggerPx": "61000", "orderPx": "-1",
                        "algoClOrdId": "entry1"}),
            ),
        )
        .await;
    assert_eq!(again["data"][0]["sCode"], "51016", "{again}");
    let (_, shown) = c.get("/api/v5/trade/order-algo?algoClOrdId=entry1").await;
    let shown = &shown["data"][0];
    assert_eq!(
        (
            shown["triggerPx"].as_str(),
            shown["ordPx"].as_str(),
            shown["triggerPxType"].as_str()
        ),
        (Some("61000"), Some("61500"), Some("last")),
        "{shown}"
    );
    assert_eq!(shown["slTriggerPx"], "");

    // Cancelled by client id, then again: the second is refused alone.
    let (_, cancelled) = c
        .post(
            "/api/v5/trade/cancel-algos",
            json!([{"instId": "BTC-USDT-SWAP", "algoClOrdId": "entry1"}]),
        )
        .await;
    assert_eq!(cancelled["code"], "0", "{cancelled}");
    assert_eq!(cancelled["data"][0]["algoId"], shown["algoId"]);
    let (_, twice) = c
        .post(
            "/api/v5/trade/cancel-algos",
            json!([{"instId": "BTC-USDT-SWAP", "algoId": shown["algoId"]},
                   {"instId": "BTC-USDT-SWAP", "algoId": "800000000000009999"}]),
        )
        .await;
    assert_eq!(twice["code"], "1", "{twice}");
    assert_eq!(twice["data"][0]["sCode"], "51400");
    assert_eq!(twice["data"][1]["sCode"], "51603");
    let eleven: Vec<Value> = (0..11)
        .map(|_| json!({"instId": "BTC-USDT-SWAP", "algoId": "1"}))
        .collect();
    let (_, too_many) = c
        .post("/api/v5/trade/cancel-algos", Value::Array(eleven))
        .await;
    assert_eq!(too_many["code"], "51000", "{too_many}");
    let (_, history) = c
        .get("/api/v5/trade/orders-algo-history?ordType=trigger&state=canceled")
        .await;
    assert_eq!(history["data"][0]["state"], "canceled", "{history}");
    // The client id is free again.
    let (_, reused) = c
        .post(
            "/api/v5/trade/order-algo",
            algo(
                json!({"side": "buy", "ordType": "trigger", "triggerPx": "61000", "orderPx": "-1",
                        "algoClOrdId": "entry1"}),
            ),
        )
        .await;
    assert_eq!(reused["code"], "0", "{reused}");
    // Nothing moved the market: no position, no regular order.
    let (_, regular) = c.get("/api/v5/trade/orders-history?instType=SWAP").await;
    assert_eq!(regular["data"], json!([]), "{regular}");
    let (_, missing) = c
        .get("/api/v5/trade/orders-algo-pending?instType=SWAP")
        .await;
    assert_eq!(missing["code"], "50014", "ordType is required: {missing}");
}
