//! Deribit's `prepare_order` against the Deribit simulator on 127.0.0.1: preparing an order
//! writes nothing, the prepared request is `private/buy`/`private/sell` with the order's params
//! and Rampart's client order id as its label, and it is what `send_order` writes, over the
//! socket (the token in its params) or over HTTP (the token as `Authorization: Bearer`).

use std::str::FromStr;

use rampart_core::trading::OrderRequest;
use rampart_core::{OrderType, Qty, Side};
use rampart_sim::deribit::{SimAccount, SimConfig, SimScope, SimServer};
use rampart_venues::binance_usdm::ClientOptions;
use rampart_venues::deribit::{Deribit, RpcClient};
use rampart_venues::venue::{ClientIdLookup, PositionSide, Venue};
use serde_json::Value;

const KEY: &str = "RampartPrepDrbt01";
const SECRET: &str = "P7xv2K9mT4wL1pR6sN3yB8cF5hJ0dG7zA2eU4iO9kM1";
const PERP: &str = "BTC-PERPETUAL";

fn market(side: Side, label: &str) -> OrderRequest {
    OrderRequest {
        symbol: PERP.into(),
        client_order_id: label.into(),
        side,
        order_type: OrderType::Market,
        qty: Qty::from_str("10").unwrap(),
        price: None,
        trigger_price: None,
        time_in_force: None,
        reduce_only: false,
        trigger_by: None,
        margin_mode: None,
        position_side: PositionSide::Net,
        reference_price: None,
    }
}

async fn found(deribit: &Deribit, label: &str) -> bool {
    match deribit.order_by_client_id(PERP, label).await.unwrap() {
        ClientIdLookup::NotFound => false,
        ClientIdLookup::Found(o) => {
            assert_eq!(o.client_order_id, label);
            true
        }
        ClientIdLookup::Several(o) => panic!("{} orders labelled {label}", o.len()),
    }
}

#[tokio::test]
async fn a_prepared_order_is_written_only_by_send_order_over_either_transport() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = SimServer::start(
        listener,
        SimConfig {
            accounts: vec![SimAccount {
                client_id: KEY.into(),
                client_secret: SECRET.into(),
                scope: SimScope::default(),
            }],
            tick_interval_ms: 0,
            ..SimConfig::default()
        },
    )
    .unwrap();
    let client =
        RpcClient::with_options(&sim.base_url(), KEY, SECRET, &ClientOptions::default()).unwrap();
    let deribit = Deribit::new(client);
    // Measures the clock and opens the socket, as an account's connection does.
    deribit.sync_clock().await.unwrap();
    deribit.instruments(true).await.unwrap();
    assert!(deribit.client().socket_up().await);

    // Over the socket.
    let prepared = deribit
        .prepare_order(&market(Side::Buy, "rmpPrepSocket01"))
        .await
        .unwrap();
    assert!(prepared.over_socket());
    assert_eq!(prepared.method(), "private/buy");
    let text: Value = serde_json::from_str(prepared.text()).unwrap();
    assert_eq!(text["jsonrpc"], "2.0");
    assert_eq!(text["id"], prepared.id());
    assert_eq!(text["method"], "private/buy");
    let params = &text["params"];
    assert_eq!(params["instrument_name"], PERP);
    assert_eq!(params["contracts"], 10);
    assert_eq!(params["type"], "market");
    assert_eq!(params["label"], "rmpPrepSocket01");
    assert!(params["valid_until"].is_i64());
    assert_eq!(params["access_token"], prepared.access_token());
    assert!(prepared.params().get("access_token").is_none());
    let debug = format!("{prepared:?}");
    assert!(!debug.contains("rmpPrepSocket01") && !debug.contains(prepared.access_token()));
    assert!(!found(&deribit, "rmpPrepSocket01").await, "nothing written");
    let answer = deribit.client().send_order(prepared).await.unwrap();
    assert_eq!(answer["order"]["label"], "rmpPrepSocket01");
    assert!(found(&deribit, "rmpPrepSocket01").await);

    // Over HTTP once the socket is down (the HTTP token read first, as the key audit does).
    deribit.key_permissions().await.unwrap();
    deribit.client().close_socket().await;
    let requests = sim.rest_requests();
    let prepared = deribit
        .prepare_order(&market(Side::Sell, "rmpPrepHttp01"))
        .await
        .unwrap();
    assert_eq!(sim.rest_requests(), requests, "preparing sends nothing");
    assert!(!prepared.over_socket());
    assert_eq!(prepared.method(), "private/sell");
    let text: Value = serde_json::from_str(prepared.text()).unwrap();
    assert_eq!(text["id"], prepared.id());
    assert_eq!(text["method"], "private/sell");
    assert_eq!(text["params"]["label"], "rmpPrepHttp01");
    assert_eq!(text["params"]["contracts"], 10);
    assert!(text["params"].get("access_token").is_none());
    assert!(!prepared.access_token().is_empty());
    let answer = deribit.client().send_order(prepared).await.unwrap();
    assert_eq!(sim.rest_requests(), requests + 1, "written once");
    assert_eq!(answer["order"]["label"], "rmpPrepHttp01");
    assert_eq!(answer["order"]["direction"], "sell");
    assert!(found(&deribit, "rmpPrepHttp01").await);

    // A label Deribit cannot take is refused before any credit or token is spent.
    let refused = deribit
        .prepare_order(&market(Side::Buy, "not a label!"))
        .await
        .unwrap_err();
    assert!(refused.message.contains("label"), "{}", refused.message);
    sim.stop().await;
}
