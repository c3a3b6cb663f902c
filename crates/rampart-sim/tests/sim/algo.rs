//! Binance USDⓈ-M's Algo Service in the simulator, over real loopback sockets with reqwest as a
//! third-party client: conditional types refused on `POST /fapi/v1/order` (-4120), algo orders
//! placed, queried, listed and cancelled, triggers that place a regular order, `ALGO_UPDATE`
//! events, limits and fault knobs.

use super::support::{
    Answer, KEY, algo_order, assert_error, dec, market, order, quiet_config, signed, sim_with,
    try_signed,
};
use rampart_sim::binance_usdm::{Faults, SimEvent, SimPosition, SimServer};
use rust_decimal::Decimal;
use serde_json::Value;
use tokio::sync::broadcast::Receiver;

/// A simulator whose prices move only when the test moves them; BTCUSDT's mark at 60000.
async fn sim() -> SimServer {
    let sim = sim_with(quiet_config(11)).await;
    sim.set_mark_price("BTCUSDT", dec("60000"));
    sim
}

async fn query_algo(sim: &SimServer, params: &[(&str, &str)]) -> Answer {
    signed(sim, reqwest::Method::GET, "/fapi/v1/algoOrder", params).await
}

async fn cancel_algo(sim: &SimServer, params: &[(&str, &str)]) -> Answer {
    signed(sim, reqwest::Method::DELETE, "/fapi/v1/algoOrder", params).await
}

/// Buys `qty` BTCUSDT at market.
async fn go_long(sim: &SimServer, qty: &str) {
    let a = market(sim, "BUY", qty).await;
    assert_eq!(a.body["status"], "FILLED", "{}", a.body);
}

/// Every user data event published so far for the test's account.
fn user_events(rx: &mut Receiver<SimEvent>) -> Vec<Value> {
    let mut out = Vec::new();
    while let Ok(event) = rx.try_recv() {
        if let SimEvent::User { api_key, data } = event
            && api_key == KEY
        {
            out.push(Value::clone(&data));
        }
    }
    out
}

fn algo_statuses(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["e"] == "ALGO_UPDATE")
        .map(|e| e["o"]["X"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn conditional_types_on_the_order_endpoint_answer_4120() {
    let sim = sim().await;
    for kind in [
        "STOP_MARKET",
        "STOP",
        "TAKE_PROFIT",
        "TAKE_PROFIT_MARKET",
        "TRAILING_STOP_MARKET",
    ] {
        let a = order(
            &sim,
            &[
                ("symbol", "BTCUSDT"),
                ("side", "SELL"),
                ("type", kind),
                ("quantity", "0.01"),
                ("price", "59000"),
                ("stopPrice", "59000"),
                ("timeInForce", "GTC"),
            ],
        )
        .await;
        assert_error(
            &a,
            400,
            -4120,
            "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.",
        );
    }
    assert_eq!(sim.order_count(), 0);
    assert!(sim.client_algo_ids().is_empty());
    sim.stop().await;
}

#[tokio::test]
async fn a_stop_market_sell_rests_then_triggers_on_the_mark_and_closes_the_long() {
    let sim = sim().await;
    go_long(&sim, "0.01").await;
    assert_eq!(
        sim.position(KEY, "BTCUSDT"),
        Some(SimPosition {
            amt: dec("0.01"),
            entry: dec("60000.1"),
        })
    );
    let mut rx = sim.subscribe();

    let a = algo_order(
        &sim,
        &[
            ("symbol", "BTCUSDT"),
            ("side", "SELL"),
            ("type", "STOP_MARKET"),
            ("quantity", "0.01"),
            ("triggerPrice", "59000"),
            ("workingType", "MARK_PRICE"),
            ("reduceOnly", "true"),
            ("clientAlgoId", "sl-1"),
        ],
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let b = &a.body;
    assert!(b["algoId"].as_u64().unwrap() > 0);
    assert_eq!(b["clientAlgoId"], "sl-1");
    assert_eq!(b["algoType"], "CONDITIONAL");
    assert_eq!(b["orderType"], "STOP_MARKET");
    assert_eq!(b["symbol"], "BTCUSDT");
    assert_eq!(b["side"], "SELL");
    assert_eq!(b["positionSide"], "BOTH");
    assert_eq!(b["timeInForce"], "GTC");
    assert_eq!(b["quantity"], "0.010");
    assert_eq!(b["algoStatus"], "NEW");
    assert_eq!(b["triggerPrice"], "59000.00");
    assert_eq!(b["price"], "0.00");
    assert_eq!(b["workingType"], "MARK_PRICE");
    assert_eq!(b["reduceOnly"], true);
    assert_eq!(b["closePosition"], false);
    assert_eq!(b["triggerTime"], 0);
    assert!(b["createTime"].as_i64().unwrap() > 0);
    let algo_id = b["algoId"].to_string();

    let q = query_algo(&sim, &[("algoId", &algo_id)]).await;
    assert_eq!(q.body["clientAlgoId"], "sl-1", "{}", q.body);
    assert_eq!(q.body["actualOrderId"], "");

    // The order endpoints do not see it: it is not in the book.
    let open = signed(
        &sim,
        reqwest::Method::GET,
        "/fapi/v1/openOrders",
        &[("symbol", "BTCUSDT")],
    )
    .await;
    assert_eq!(open.body, Value::Array(vec![]));

    sim.set_mark_price("BTCUSDT", dec("59000.1"));
    let o = sim.algo_order_by_client_id(KEY, None, "sl-1").unwrap();
    assert_eq!(o["algoStatus"], "NEW");
    sim.set_mark_price("BTCUSDT", dec("59000"));
    let o = sim
        .algo_order_by_client_id(KEY, Some("BTCUSDT"), "sl-1")
        .unwrap();
    assert_eq!(o["algoStatus"], "FINISHED", "{o}");
    assert!(o["triggerTime"].as_i64().unwrap() > 0);
    assert_eq!(o["actualQty"], "0.010");
    assert_eq!(o["actualType"], "MARKET");
    let actual = o["actualOrderId"].as_str().unwrap().to_owned();
    assert!(!actual.is_empty());

    let placed = signed(
        &sim,
        reqwest::Method::GET,
        "/fapi/v1/order",
        &[("symbol", "BTCUSDT"), ("orderId", &actual)],
    )
    .await;
    assert_eq!(placed.body["status"], "FILLED", "{}", placed.body);
    assert_eq!(placed.body["type"], "MARKET");
    assert_eq!(placed.body["side"], "SELL");
    assert_eq!(placed.body["reduceOnly"], true);
    assert_eq!(placed.body["avgPrice"], "59000");
    assert_eq!(
        sim.position(KEY, "BTCUSDT"),
        Some(SimPosition {
            amt: Decimal::ZERO,
            entry: Decimal::ZERO,
        })
    );
    // Bought at 60000.1, stopped out at 59000: 0.01 × −1000.1.
    assert_eq!(sim.wallet_balance(KEY), Some(dec("99989.999")));

    let events = user_events(&mut rx);
    assert_eq!(
        algo_statuses(&events),
        ["NEW", "TRIGGERING", "TRIGGERED", "FINISHED"]
    );
    let new = events.iter().find(|e| e["e"] == "ALGO_UPDATE").unwrap();
    assert!(new["E"].as_i64().unwrap() > 0 && new["T"].as_i64().unwrap() > 0);
    let o = &new["o"];
    assert_eq!(o["caid"], "sl-1");
    assert_eq!(o["aid"].to_string(), algo_id);
    assert_eq!(o["at"], "CONDITIONAL");
    assert_eq!(o["o"], "STOP_MARKET");
    assert_eq!(o["s"], "BTCUSDT");
    assert_eq!(o["S"], "SELL");
    assert_eq!(o["ps"], "BOTH");
    assert_eq!(o["q"], "0.010");
    assert_eq!(o["tp"], "59000.00");
    assert_eq!(o["wt"], "MARK_PRICE");
    assert_eq!(o["R"], true);
    assert_eq!(o["ai"], "");
    let finished = events.iter().rfind(|e| e["e"] == "ALGO_UPDATE").unwrap();
    assert_eq!(finished["o"]["ai"], actual.as_str());
    assert_eq!(finished["o"]["ap"], "59000.00000");
    assert_eq!(finished["o"]["aq"], "0.010");
    assert_eq!(finished["o"]["act"], "MARKET");
    // The placed order reports as any order does, with its own id.
    let fills: Vec<&Value> = events
        .iter()
        .filter(|e| e["e"] == "ORDER_TRADE_UPDATE" && e["o"]["i"].as_u64() == actual.parse().ok())
        .collect();
    assert_eq!(fills.first().unwrap()["o"]["x"], "NEW");
    assert_eq!(fills.last().unwrap()["o"]["X"], "FILLED");
    assert_eq!(fills.last().unwrap()["o"]["o"], "MARKET");
    // ACCOUNT_UPDATE reports the closed position.
    let account = events.iter().rfind(|e| e["e"] == "ACCOUNT_UPDATE").unwrap();
    assert_eq!(
        dec(account["a"]["P"][0]["pa"].as_str().unwrap()),
        Decimal::ZERO
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_stop_limit_places_a_limit_order_that_finishes_when_filled() {
    let sim = sim().await;
    let a = algo_order(
        &sim,
        &[
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("type", "STOP"),
            ("quantity", "0.01"),
            ("price", "60990"),
            ("triggerPrice", "61000"),
            ("clientAlgoId", "entry-1"),
        ],
    )
    .await;
    assert_eq!(a.body["algoStatus"], "NEW", "{}", a.body);
    assert_eq!(a.body["price"], "60990.00");
    assert_eq!(a.body["workingType"], "CONTRACT_PRICE");

    // CONTRACT_PRICE: the last price reaches 61000; the limit buy at 60990 rests under the ask.
    sim.set_mark_price("BTCUSDT", dec("61000"));
    let o = sim.algo_order_by_client_id(KEY, None, "entry-1").unwrap();
    assert_eq!(o["algoStatus"], "TRIGGERED", "{o}");
    assert_eq!(o["actualType"], "LIMIT");
    let actual = o["actualOrderId"].as_str().unwrap().to_owned();
    let placed = signed(
        &sim,
        reqwest::Method::GET,
        "/fapi/v1/order",
        &[("symbol", "BTCUSDT"), ("orderId", &actual)],
    )
    .await;
    assert_eq!(placed.body["status"], "NEW", "{}", placed.body);
    assert_eq!(placed.body["type"], "LIMIT");
    assert_eq!(placed.body["price"], "60990");
    assert_eq!(placed.body["timeInForce"], "GTC");
    // A triggered algo order is no longer open (nor cancellable) as an algo order.
    let open = signed(&sim, reqwest::Method::GET, "/fapi/v1/openAlgoOrders", &[]).await;
    assert_eq!(open.body, Value::Array(vec![]));
    assert_error(
        &cancel_algo(&sim, &[("clientAlgoId", "entry-1")]).await,
        400,
        -2011,
        "Unknown order sent.",
    );

    // The ask comes down to 60990: the limit fills and the algo order is finished.
    sim.set_mark_price("BTCUSDT", dec("60989.9"));
    let o = sim.algo_order_by_client_id(KEY, None, "entry-1").unwrap();
    assert_eq!(o["algoStatus"], "FINISHED", "{o}");
    assert_eq!(o["actualPrice"], "60990.00000");
    assert_eq!(
        sim.position(KEY, "BTCUSDT"),
        Some(SimPosition {
            amt: dec("0.01"),
            entry: dec("60990"),
        })
    );
    sim.stop().await;
}

#[tokio::test]
async fn cancel_by_client_algo_id_or_algo_id_and_unknown_ids() {
    let sim = sim().await;
    go_long(&sim, "0.02").await;
    let mut rx = sim.subscribe();
    let tp = [
        ("symbol", "BTCUSDT"),
        ("side", "SELL"),
        ("type", "TAKE_PROFIT_MARKET"),
        ("quantity", "0.01"),
        ("triggerPrice", "65000"),
        ("reduceOnly", "true"),
    ];
    let mut first = tp.to_vec();
    first.push(("clientAlgoId", "tp-1"));
    let a = algo_order(&sim, &first).await;
    assert_eq!(a.body["algoStatus"], "NEW", "{}", a.body);
    let mut second = tp.to_vec();
    second.push(("clientAlgoId", "tp-2"));
    let b = algo_order(&sim, &second).await;
    let b_id = b.body["algoId"].to_string();

    let c = cancel_algo(&sim, &[("clientAlgoId", "tp-1")]).await;
    assert_eq!(c.status, 200, "{}", c.body);
    assert_eq!(c.body["algoId"], a.body["algoId"]);
    assert_eq!(c.body["clientAlgoId"], "tp-1");
    assert_eq!(c.body["code"], "200");
    assert_eq!(c.body["msg"], "success");
    let q = query_algo(&sim, &[("clientAlgoId", "tp-1")]).await;
    assert_eq!(q.body["algoStatus"], "CANCELED", "{}", q.body);
    assert_error(
        &cancel_algo(&sim, &[("clientAlgoId", "tp-1")]).await,
        400,
        -2011,
        "Unknown order sent.",
    );

    let c = cancel_algo(&sim, &[("algoId", &b_id)]).await;
    assert_eq!(c.body["clientAlgoId"], "tp-2", "{}", c.body);

    assert_error(
        &query_algo(&sim, &[("clientAlgoId", "nope")]).await,
        400,
        -2013,
        "Order does not exist.",
    );
    assert_error(
        &query_algo(&sim, &[("algoId", "999999")]).await,
        400,
        -2013,
        "Order does not exist.",
    );
    assert_error(
        &cancel_algo(&sim, &[("algoId", "999999")]).await,
        400,
        -2011,
        "Unknown order sent.",
    );
    assert_error(
        &query_algo(&sim, &[]).await,
        400,
        -1102,
        "Mandatory parameter 'algoId' was not sent, was empty/null, or malformed.",
    );
    assert_eq!(
        algo_statuses(&user_events(&mut rx)),
        ["NEW", "NEW", "CANCELED", "CANCELED"]
    );
    // Nothing triggers once cancelled.
    sim.set_mark_price("BTCUSDT", dec("65000"));
    assert_eq!(sim.position(KEY, "BTCUSDT").unwrap().amt, dec("0.02"));
    sim.stop().await;
}

#[tokio::test]
async fn open_algo_orders_cancel_all_and_all_algo_orders() {
    let sim = sim().await;
    sim.set_mark_price("ETHUSDT", dec("3000"));
    for (symbol, id, trigger) in [
        ("BTCUSDT", "b-1", "61000"),
        ("BTCUSDT", "b-2", "62000"),
        ("ETHUSDT", "e-1", "3100"),
    ] {
        let a = algo_order(
            &sim,
            &[
                ("symbol", symbol),
                ("side", "BUY"),
                ("type", "STOP_MARKET"),
                ("quantity", "0.01"),
                ("triggerPrice", trigger),
                ("clientAlgoId", id),
            ],
        )
        .await;
        assert_eq!(a.body["algoStatus"], "NEW", "{}", a.body);
    }
    assert_eq!(sim.client_algo_ids(), ["b-1", "b-2", "e-1"]);

    let btc = signed(
        &sim,
        reqwest::Method::GET,
        "/fapi/v1/openAlgoOrders",
        &[("symbol", "BTCUSDT")],
    )
    .await;
    let ids: Vec<&str> = btc
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["clientAlgoId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["b-1", "b-2"]);
    let before = btc.header_number("X-MBX-USED-WEIGHT-1M").unwrap();
    let all = signed(&sim, reqwest::Method::GET, "/fapi/v1/openAlgoOrders", &[]).await;
    assert_eq!(all.body.as_array().unwrap().len(), 3);
    assert_eq!(
        all.header_number("X-MBX-USED-WEIGHT-1M").unwrap(),
        before + 40
    );

    let c = signed(
        &sim,
        reqwest::Method::DELETE,
        "/fapi/v1/algoOpenOrders",
        &[("symbol", "BTCUSDT")],
    )
    .await;
    assert_eq!(c.status, 200, "{}", c.body);
    assert_eq!(c.body["code"], 200);
    assert_eq!(
        c.body["msg"],
        "The operation of cancel all open order is done."
    );
    let left = signed(&sim, reqwest::Method::GET, "/fapi/v1/openAlgoOrders", &[]).await;
    let left = left.body.as_array().unwrap().clone();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["clientAlgoId"], "e-1");

    let history = signed(
        &sim,
        reqwest::Method::GET,
        "/fapi/v1/allAlgoOrders",
        &[("symbol", "BTCUSDT")],
    )
    .await;
    let statuses: Vec<&str> = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["algoStatus"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["CANCELED", "CANCELED"]);
    let limited = signed(
        &sim,
        reqwest::Method::GET,
        "/fapi/v1/allAlgoOrders",
        &[("symbol", "BTCUSDT"), ("limit", "1")],
    )
    .await;
    assert_eq!(limited.body[0]["clientAlgoId"], "b-2", "{}", limited.body);

    // Regular cancel-all leaves algo orders alone.
    let c = signed(
        &sim,
        reqwest::Method::DELETE,
        "/fapi/v1/allOpenOrders",
        &[("symbol", "ETHUSDT")],
    )
    .await;
    assert_eq!(c.status, 200, "{}", c.body);
    let o = sim.algo_order_by_client_id(KEY, None, "e-1").unwrap();
    assert_eq!(o["algoStatus"], "NEW");
    sim.stop().await;
}

#[tokio::test]
async fn a_client_algo_id_is_unique_among_live_algo_orders_and_well_formed() {
    let sim = sim().await;
    let stop = [
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("type", "STOP_MARKET"),
        ("quantity", "0.01"),
        ("triggerPrice", "61000"),
    ];
    let mut with_id = stop.to_vec();
    with_id.push(("clientAlgoId", "dup-1"));
    let first = algo_order(&sim, &with_id).await;
    assert_eq!(first.body["algoStatus"], "NEW", "{}", first.body);
    assert_error(
        &algo_order(&sim, &with_id).await,
        400,
        -4116,
        "clientOrderId is duplicated",
    );
    let mut bad = stop.to_vec();
    bad.push(("clientAlgoId", "a-very-long-client-algo-id-over-36-chars"));
    assert_error(
        &algo_order(&sim, &bad).await,
        400,
        -4015,
        "Client order id is not valid.",
    );
    // Without one, the simulator draws an id.
    let drawn = algo_order(&sim, &stop).await;
    assert!(
        !drawn.body["clientAlgoId"].as_str().unwrap().is_empty(),
        "{}",
        drawn.body
    );
    // Once the first is cancelled, its id may be used again.
    cancel_algo(&sim, &[("clientAlgoId", "dup-1")]).await;
    let again = algo_order(&sim, &with_id).await;
    assert_eq!(again.body["algoStatus"], "NEW", "{}", again.body);
    assert_ne!(again.body["algoId"], first.body["algoId"]);
    let q = query_algo(&sim, &[("clientAlgoId", "dup-1")]).await;
    assert_eq!(q.body["algoId"], again.body["algoId"]);
    sim.stop().await;
}

#[tokio::test]
async fn a_trigger_already_met_is_refused_and_parameters_are_checked() {
    let sim = sim().await;
    let base = |kind: &'static str, side: &'static str, trigger: &'static str| {
        vec![
            ("symbol", "BTCUSDT"),
            ("side", side),
            ("type", kind),
            ("quantity", "0.01"),
            ("triggerPrice", trigger),
        ]
    };
    for params in [
        base("STOP_MARKET", "BUY", "60000"),
        base("STOP_MARKET", "SELL", "60000.1"),
        base("TAKE_PROFIT_MARKET", "SELL", "59000"),
        base("TAKE_PROFIT_MARKET", "BUY", "61000"),
    ] {
        assert_error(
            &algo_order(&sim, &params).await,
            400,
            -2021,
            "Order would immediately trigger.",
        );
    }

    let no_type = signed(
        &sim,
        reqwest::Method::POST,
        "/fapi/v1/algoOrder",
        &base("STOP_MARKET", "BUY", "61000"),
    )
    .await;
    assert_eq!(no_type.body["code"], -1102, "{}", no_type.body);
    let mut vp = vec![("algoType", "VP")];
    vp.extend(base("STOP_MARKET", "BUY", "61000"));
    let a = signed(&sim, reqwest::Method::POST, "/fapi/v1/algoOrder", &vp).await;
    assert_error(
        &a,
        400,
        -1130,
        "Data sent for parameter 'algoType' is not valid.",
    );
    assert_error(
        &algo_order(&sim, &base("LIMIT", "BUY", "61000")).await,
        400,
        -1116,
        "Invalid orderType.",
    );
    let a = algo_order(&sim, &base("STOP", "BUY", "61000")).await;
    assert_eq!(a.body["code"], -1102, "{}", a.body);
    assert_error(
        &algo_order(&sim, &base("STOP_MARKET", "BUY", "61000.05")).await,
        400,
        -4014,
        "Price not increased by tick size.",
    );
    let mut tiny = base("STOP_MARKET", "BUY", "61000");
    tiny[3] = ("quantity", "0.0001");
    assert_eq!(algo_order(&sim, &tiny).await.body["code"], -4004);
    let mut unknown = base("STOP_MARKET", "BUY", "61000");
    unknown[0] = ("symbol", "DOGEUSDT");
    assert_eq!(algo_order(&sim, &unknown).await.body["code"], -1121);
    let mut reduce = base("STOP_MARKET", "SELL", "59000");
    reduce.push(("reduceOnly", "true"));
    assert_error(
        &algo_order(&sim, &reduce).await,
        400,
        -2022,
        "ReduceOnly Order is rejected.",
    );
    let mut hedge = base("STOP_MARKET", "BUY", "61000");
    hedge.push(("positionSide", "LONG"));
    assert_error(
        &algo_order(&sim, &hedge).await,
        400,
        -4061,
        "Order's position side does not match user's setting.",
    );
    let mut close_with_qty = base("STOP_MARKET", "BUY", "61000");
    close_with_qty.push(("closePosition", "true"));
    assert_eq!(algo_order(&sim, &close_with_qty).await.body["code"], -1106);
    assert!(sim.client_algo_ids().is_empty());
    sim.stop().await;
}

#[tokio::test]
async fn a_reduce_only_stop_with_nothing_to_reduce_is_rejected_on_trigger() {
    let sim = sim().await;
    go_long(&sim, "0.01").await;
    let a = algo_order(
        &sim,
        &[
            ("symbol", "BTCUSDT"),
            ("side", "SELL"),
            ("type", "STOP_MARKET"),
            ("quantity", "0.01"),
            ("triggerPrice", "59000"),
            ("reduceOnly", "true"),
            ("clientAlgoId", "sl-gone"),
        ],
    )
    .await;
    assert_eq!(a.body["algoStatus"], "NEW", "{}", a.body);
    // The position is closed by hand before the stop triggers.
    let close = market(&sim, "SELL", "0.01").await;
    assert_eq!(close.body["status"], "FILLED", "{}", close.body);
    let mut rx = sim.subscribe();
    sim.set_mark_price("BTCUSDT", dec("59000"));
    let o = sim.algo_order_by_client_id(KEY, None, "sl-gone").unwrap();
    assert_eq!(o["algoStatus"], "REJECTED", "{o}");
    assert_eq!(o["actualOrderId"], "");
    let events = user_events(&mut rx);
    assert_eq!(algo_statuses(&events), ["TRIGGERING", "REJECTED"]);
    let rejected = events.iter().rfind(|e| e["e"] == "ALGO_UPDATE").unwrap();
    assert_eq!(rejected["o"]["rm"], "Reduce Only reject");
    assert_eq!(sim.position(KEY, "BTCUSDT").unwrap().amt, Decimal::ZERO);
    sim.stop().await;
}

#[tokio::test]
async fn new_algo_orders_count_as_orders_not_as_weight() {
    let sim = sim().await;
    let mut counts = Vec::new();
    let mut weights = Vec::new();
    for trigger in ["61000", "62000"] {
        let a = algo_order(
            &sim,
            &[
                ("symbol", "BTCUSDT"),
                ("side", "BUY"),
                ("type", "STOP_MARKET"),
                ("quantity", "0.01"),
                ("triggerPrice", trigger),
            ],
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.body);
        counts.push(a.header_number("X-MBX-ORDER-COUNT-1M").unwrap());
        weights.push(a.header_number("X-MBX-USED-WEIGHT-1M").unwrap());
        assert!(a.header("X-MBX-ORDER-COUNT-10S").is_some());
    }
    assert_eq!(counts[1], counts[0] + 1);
    assert_eq!(weights[1], weights[0]);
    sim.stop().await;
}

#[tokio::test]
async fn lost_algo_answers_are_resolved_by_client_algo_id() {
    let sim = sim().await;
    sim.set_faults(Faults {
        every: 1,
        ..Default::default()
    });
    let place = |id: &'static str| {
        let sim = &sim;
        async move {
            try_signed(
                sim,
                reqwest::Method::POST,
                "/fapi/v1/algoOrder",
                &[
                    ("algoType", "CONDITIONAL"),
                    ("symbol", "BTCUSDT"),
                    ("side", "BUY"),
                    ("type", "STOP_MARKET"),
                    ("quantity", "0.01"),
                    ("triggerPrice", "61000"),
                    ("clientAlgoId", id),
                ],
            )
            .await
        }
    };
    // 1st: accepted, the connection dropped before the answer.
    assert!(place("lost-1").await.is_err());
    let found = query_algo(&sim, &[("clientAlgoId", "lost-1")]).await;
    assert_eq!(found.body["algoStatus"], "NEW", "{}", found.body);
    // 2nd: accepted, answered 503 "Unknown error".
    let unknown = place("lost-2").await.unwrap();
    assert_error(
        &unknown,
        503,
        -1000,
        "Unknown error, please check your request or try again later.",
    );
    assert!(sim.algo_order_by_client_id(KEY, None, "lost-2").is_some());
    // 3rd: refused with a 503, not taken.
    let refused = place("lost-3").await.unwrap();
    assert_eq!(refused.status, 503);
    assert_eq!(refused.body["code"], -1001);
    assert!(sim.algo_order_by_client_id(KEY, None, "lost-3").is_none());
    assert_eq!(sim.client_algo_ids(), ["lost-1", "lost-2"]);
    sim.stop().await;
}

#[tokio::test]
async fn a_trailing_stop_activates_then_fires_when_the_price_comes_back_by_the_callback_rate() {
    let sim = sim().await;
    go_long(&sim, "0.01").await;
    let trail = |activate: &'static str, rate: &'static str| {
        vec![
            ("symbol", "BTCUSDT"),
            ("side", "SELL"),
            ("type", "TRAILING_STOP_MARKET"),
            ("quantity", "0.01"),
            ("activatePrice", activate),
            ("callbackRate", rate),
            ("workingType", "MARK_PRICE"),
            ("reduceOnly", "true"),
            ("clientAlgoId", "trail-1"),
        ]
    };
    // A SELL activates above the latest price.
    assert_error(
        &algo_order(&sim, &trail("59000", "1")).await,
        400,
        -2021,
        "Order would immediately trigger.",
    );
    assert_error(
        &algo_order(&sim, &trail("61000", "0.05")).await,
        400,
        -1130,
        "Data sent for parameter 'callbackRate' is not valid.",
    );
    let a = algo_order(&sim, &trail("61000", "1")).await;
    assert_eq!(a.body["algoStatus"], "NEW", "{}", a.body);
    assert_eq!(a.body["orderType"], "TRAILING_STOP_MARKET");
    assert_eq!(a.body["activatePrice"], "61000.00");
    assert_eq!(a.body["callbackRate"], "1");

    // Not yet active: a fall does nothing.
    sim.set_mark_price("BTCUSDT", dec("60500"));
    sim.set_mark_price("BTCUSDT", dec("59000"));
    let status = |sim: &SimServer| {
        sim.algo_order_by_client_id(KEY, None, "trail-1").unwrap()["algoStatus"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(status(&sim), "NEW");
    // Active from 61000, best 62000: fires at 1% below it, 61380.
    sim.set_mark_price("BTCUSDT", dec("62000"));
    sim.set_mark_price("BTCUSDT", dec("61400"));
    assert_eq!(status(&sim), "NEW");
    sim.set_mark_price("BTCUSDT", dec("61380"));
    assert_eq!(status(&sim), "FINISHED");
    let o = sim.algo_order_by_client_id(KEY, None, "trail-1").unwrap();
    assert_eq!(o["actualPrice"], "61380.00000", "{o}");
    assert_eq!(
        sim.position(KEY, "BTCUSDT"),
        Some(SimPosition {
            amt: Decimal::ZERO,
            entry: Decimal::ZERO,
        })
    );
    sim.stop().await;
}
