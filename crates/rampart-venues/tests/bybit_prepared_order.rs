//! Bybit's `prepare_order` against the Bybit simulator on 127.0.0.1: preparing an order sends
//! nothing, and the prepared request is what `send_order` writes (the simulator checks its
//! signature and takes the order).

use std::str::FromStr;

use rampart_core::trading::OrderRequest;
use rampart_core::{OrderType, Qty, Side};
use rampart_sim::bybit::{SimAccount, SimConfig, SimServer};
use rampart_venues::bybit::{Bybit, RestClient};
use rampart_venues::venue::{ClientIdLookup, PositionSide, Venue};

const KEY: &str = "RampartPrepKey0001";
const SECRET: &str = "RampartPrepSecret0123456789abcdefghij";

#[tokio::test]
async fn a_prepared_order_is_sent_only_by_send_order_and_the_venue_takes_it() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = SimServer::start(
        listener,
        SimConfig {
            accounts: vec![SimAccount {
                api_key: KEY.into(),
                api_secret: SECRET.into(),
                ..SimAccount::default()
            }],
            tick_interval_ms: 0,
            ..SimConfig::default()
        },
    )
    .unwrap();
    let bybit = Bybit::new(RestClient::new(&sim.base_url(), KEY, SECRET).unwrap());
    bybit.sync_clock().await.unwrap();
    bybit.instruments(true).await.unwrap();
    let order = OrderRequest {
        symbol: "BTCUSDT".into(),
        client_order_id: "rmpPrepared0001".into(),
        side: Side::Buy,
        order_type: OrderType::Market,
        qty: Qty::from_str("0.002").unwrap(),
        price: None,
        trigger_price: None,
        time_in_force: None,
        reduce_only: false,
        trigger_by: None,
        margin_mode: None,
        position_side: PositionSide::Net,
        reference_price: None,
    };
    let before = sim.rest_requests();
    let prepared = bybit.prepare_order(&order).await.unwrap();
    // The ticker read for the notional check is the only request; the order is not sent.
    assert!(sim.rest_requests() <= before + 1);
    assert_eq!(prepared.path(), "/v5/order/create");
    let body: serde_json::Value = serde_json::from_str(prepared.body()).unwrap();
    assert_eq!(body["orderLinkId"], "rmpPrepared0001");
    assert_eq!(body["category"], "linear");
    assert_eq!(body["qty"], "0.002");
    let debug = format!("{prepared:?}");
    assert!(!debug.contains("rmpPrepared0001") && !debug.contains(KEY));
    assert!(matches!(
        bybit
            .order_by_client_id("BTCUSDT", "rmpPrepared0001")
            .await
            .unwrap(),
        ClientIdLookup::NotFound
    ));
    let ids = bybit.client().send_order(prepared).await.unwrap();
    assert_eq!(ids.order_link_id, "rmpPrepared0001");
    assert!(matches!(
        bybit
            .order_by_client_id("BTCUSDT", "rmpPrepared0001")
            .await
            .unwrap(),
        ClientIdLookup::Found(_)
    ));
    sim.stop().await;
}
