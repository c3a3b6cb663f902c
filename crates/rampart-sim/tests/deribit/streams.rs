//! The WebSocket API: authentication on the connection, book snapshots and changes with
//! `change_id` / `prev_change_id`, tickers, the user channels, an expired token, heartbeats,
//! and cancel-on-disconnect (fired by a drop or a missed heartbeat, not by a logout).

use std::time::Duration;

use rampart_sim::core::OrderRef;
use rampart_sim::deribit::SimConfig;
use rust_decimal::Decimal;
use serde_json::json;

use crate::support::{ID, call, config, connect, dec, next, notification, start, ws_auth};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[tokio::test]
async fn a_book_subscription_sends_a_snapshot_then_chained_changes() {
    let server = start(config()).await;
    let mut ws = connect(&server).await;
    let mut seen = Vec::new();
    let r = call(&mut ws, 1, "public/subscribe", json!({ "channels": ["book.BTC-PERPETUAL.100ms", "ticker.BTC-PERPETUAL.100ms", "book.NOPE.100ms", "user.orders.any.any.raw"] }), &mut seen).await;
    // Unknown instruments and user channels on public/subscribe are left out.
    assert_eq!(
        r["result"],
        json!(["book.BTC-PERPETUAL.100ms", "ticker.BTC-PERPETUAL.100ms"])
    );
    let snap = notification(&mut ws, "book.BTC-PERPETUAL.100ms", &mut seen).await;
    assert_eq!(snap["type"], json!("snapshot"));
    assert_eq!(snap["bids"][0][0], json!("new"));
    assert_eq!(dec(&snap["bids"][0][1]), d("60000"));
    let first_id = snap["change_id"].as_u64().unwrap();
    let t = notification(&mut ws, "ticker.BTC-PERPETUAL.100ms", &mut seen).await;
    assert_eq!(dec(&t["mark_price"]), d("60000"));

    server.set_mark_price("BTC-PERPETUAL", d("60010"));
    let change = notification(&mut ws, "book.BTC-PERPETUAL.100ms", &mut seen).await;
    assert_eq!(change["type"], json!("change"));
    assert_eq!(change["prev_change_id"].as_u64(), Some(first_id));
    let second_id = change["change_id"].as_u64().unwrap();
    assert!(second_id > first_id);
    assert!(
        change["bids"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l[0] == json!("new") && dec(&l[1]) == d("60010"))
    );
    server.set_mark_price("BTC-PERPETUAL", d("60005"));
    let next_change = notification(&mut ws, "book.BTC-PERPETUAL.100ms", &mut seen).await;
    assert_eq!(next_change["prev_change_id"].as_u64(), Some(second_id));
    server.stop().await;
}

#[tokio::test]
async fn user_channels_follow_orders_fills_and_the_portfolio() {
    let server = start(config()).await;
    let mut ws = connect(&server).await;
    let mut seen = Vec::new();
    let r = call(
        &mut ws,
        2,
        "private/subscribe",
        json!({ "channels": ["user.orders.any.any.raw"] }),
        &mut seen,
    )
    .await;
    assert_eq!(
        r["error"]["code"],
        json!(13009),
        "private/subscribe needs an authorised connection"
    );
    ws_auth(&mut ws).await;
    let r = call(&mut ws, 3, "private/subscribe", json!({ "channels": ["user.orders.future.BTC.raw", "user.trades.BTC-PERPETUAL.100ms", "user.portfolio.btc"] }), &mut seen).await;
    assert_eq!(r["result"].as_array().unwrap().len(), 3);
    // The portfolio as it stands comes first.
    let p = notification(&mut ws, "user.portfolio.btc", &mut seen).await;
    assert_eq!(dec(&p["balance"]), d("10"));
    let r = call(&mut ws, 4, "private/buy", json!({ "instrument_name": "BTC-PERPETUAL", "amount": 100, "type": "market", "label": "ws-1" }), &mut seen).await;
    assert_eq!(r["result"]["order"]["order_state"], json!("filled"), "{r}");
    let o = notification(&mut ws, "user.orders.future.BTC.raw", &mut seen).await;
    assert_eq!(o["label"], json!("ws-1"));
    let trades = notification(&mut ws, "user.trades.BTC-PERPETUAL.100ms", &mut seen).await;
    assert_eq!(trades[0]["instrument_name"], json!("BTC-PERPETUAL"));
    assert_eq!(trades[0]["direction"], json!("buy"));
    let p = notification(&mut ws, "user.portfolio.btc", &mut seen).await;
    assert_eq!(p["currency"], json!("BTC"));
    assert!(dec(&p["balance"]) < d("10"));
    server.stop().await;
}

/// docs.deribit.com/subscriptions/user/userchangeskindcurrencyinterval: one stream of
/// `instrument_name`, `orders`, `trades` and `positions`.
#[tokio::test]
async fn user_changes_carry_the_order_the_fill_and_the_position() {
    let server = start(config()).await;
    let mut ws = connect(&server).await;
    let mut seen = Vec::new();
    ws_auth(&mut ws).await;
    let r = call(
        &mut ws,
        3,
        "private/subscribe",
        json!({ "channels": ["user.changes.any.any.raw", "user.changes.BTC-PERPETUAL.100ms"] }),
        &mut seen,
    )
    .await;
    assert_eq!(r["result"].as_array().unwrap().len(), 2, "{r}");
    let r = call(&mut ws, 4, "private/buy", json!({ "instrument_name": "BTC-PERPETUAL", "amount": 100, "type": "market", "label": "chg-1" }), &mut seen).await;
    assert_eq!(r["result"]["order"]["order_state"], json!("filled"), "{r}");
    let mut position = None;
    let mut order_seen = false;
    for _ in 0..6 {
        let c = notification(&mut ws, "user.changes.any.any.raw", &mut seen).await;
        assert_eq!(c["instrument_name"], json!("BTC-PERPETUAL"), "{c}");
        for key in ["orders", "trades", "positions"] {
            assert!(c[key].is_array(), "{key} in {c}");
        }
        order_seen |= c["orders"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["label"] == json!("chg-1") && o["order_state"] == json!("filled"));
        if let Some(p) = c["positions"].as_array().unwrap().first() {
            assert_eq!(c["trades"][0]["direction"], json!("buy"), "{c}");
            position = Some(p.clone());
        }
        if order_seen && position.is_some() {
            break;
        }
    }
    assert!(order_seen, "the filled order on user.changes");
    let p = position.expect("the position on user.changes");
    assert_eq!(dec(&p["size"]), d("100"), "{p}");
    assert_eq!(p["direction"], json!("buy"));
    let by_name = notification(&mut ws, "user.changes.BTC-PERPETUAL.100ms", &mut seen).await;
    assert_eq!(by_name["instrument_name"], json!("BTC-PERPETUAL"));
    server.stop().await;
}

#[tokio::test]
async fn an_expired_token_is_refused_over_the_websocket_too() {
    let server = start(SimConfig {
        token_lifetime: Duration::from_millis(1_000),
        ..config()
    })
    .await;
    let mut ws = connect(&server).await;
    let mut seen = Vec::new();
    ws_auth(&mut ws).await;
    let r = call(
        &mut ws,
        5,
        "private/get_positions",
        json!({ "currency": "BTC" }),
        &mut seen,
    )
    .await;
    assert!(r["result"].is_array(), "{r}");
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let r = call(
        &mut ws,
        6,
        "private/get_positions",
        json!({ "currency": "BTC" }),
        &mut seen,
    )
    .await;
    assert_eq!(r["error"]["code"], json!(13009));
    // Public methods still answer.
    let r = call(&mut ws, 7, "public/get_time", json!({}), &mut seen).await;
    assert!(r["result"].is_i64());
    server.stop().await;
}

/// Places a resting order over the connection; its core number.
async fn rest_order(ws: &mut crate::support::Ws, id: i64, price: &str) -> String {
    let mut seen = Vec::new();
    let r = call(ws, id, "private/buy", json!({ "instrument_name": "BTC-PERPETUAL", "amount": 10, "type": "limit", "price": price.parse::<i64>().unwrap() }), &mut seen).await;
    let order_id = r["result"]["order"]["order_id"]
        .as_str()
        .unwrap()
        .to_owned();
    order_id.rsplit_once('-').unwrap().1.to_owned()
}

async fn open_after(
    server: &rampart_sim::deribit::SimServer,
    number: &str,
    wait: Duration,
) -> bool {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let open = server
            .exchange()
            .lock()
            .order(ID, OrderRef::Id(number))
            .is_some_and(|o| o.is_open());
        if !open || tokio::time::Instant::now() >= deadline {
            return open;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn cancel_on_disconnect_fires_on_a_drop_and_not_on_logout() {
    let server = start(config()).await;
    let mut seen = Vec::new();
    // Enabled, then the connection drops: its order is cancelled.
    let mut ws = connect(&server).await;
    ws_auth(&mut ws).await;
    let r = call(
        &mut ws,
        2,
        "private/enable_cancel_on_disconnect",
        json!({ "scope": "connection" }),
        &mut seen,
    )
    .await;
    assert_eq!(r["result"], json!("ok"));
    let r = call(
        &mut ws,
        3,
        "private/get_cancel_on_disconnect",
        json!({}),
        &mut seen,
    )
    .await;
    assert_eq!(
        r["result"],
        json!({ "scope": "connection", "enabled": true })
    );
    let dropped = rest_order(&mut ws, 4, "50000").await;
    drop(ws);
    assert!(
        !open_after(&server, &dropped, Duration::from_secs(3)).await,
        "cancelled on disconnect"
    );
    let state = server
        .exchange()
        .lock()
        .order(ID, OrderRef::Id(&dropped))
        .cloned()
        .unwrap();
    assert_eq!(
        state.cancel_reason,
        Some(rampart_sim::core::CancelReason::ByClient)
    );

    // Enabled, then private/logout: the order stays.
    let mut ws = connect(&server).await;
    ws_auth(&mut ws).await;
    call(
        &mut ws,
        2,
        "private/enable_cancel_on_disconnect",
        json!({}),
        &mut seen,
    )
    .await;
    let kept = rest_order(&mut ws, 3, "50000").await;
    use futures_util::SinkExt;
    ws.send(tokio_tungstenite::tungstenite::Message::text(
        json!({ "jsonrpc": "2.0", "id": 9, "method": "private/logout", "params": {} }).to_string(),
    ))
    .await
    .unwrap();
    assert!(
        next(&mut ws).await.is_none(),
        "logout closes the connection"
    );
    assert!(
        open_after(&server, &kept, Duration::from_millis(300)).await,
        "logout does not cancel"
    );

    // Not enabled: a drop leaves orders alone.
    let mut ws = connect(&server).await;
    ws_auth(&mut ws).await;
    let r = call(
        &mut ws,
        2,
        "private/get_cancel_on_disconnect",
        json!({}),
        &mut seen,
    )
    .await;
    assert_eq!(r["result"]["enabled"], json!(false));
    let alone = rest_order(&mut ws, 3, "50000").await;
    drop(ws);
    assert!(open_after(&server, &alone, Duration::from_millis(300)).await);
    server.stop().await;
}

#[tokio::test]
async fn account_scope_turns_cancel_on_disconnect_on_for_new_connections() {
    let server = start(config()).await;
    let c = crate::support::Client::new(&server);
    let signed = crate::support::Auth::signed();
    // Over HTTP only the account scope is served.
    let (_, v) = c
        .get("private/enable_cancel_on_disconnect", &[], &signed)
        .await;
    assert_eq!(v["error"]["code"], json!(10030));
    let (_, v) = c
        .get(
            "private/enable_cancel_on_disconnect",
            &[("scope", "account")],
            &signed,
        )
        .await;
    assert_eq!(v["result"], json!("ok"));
    let (_, v) = c
        .get(
            "private/get_cancel_on_disconnect",
            &[("scope", "account")],
            &signed,
        )
        .await;
    assert_eq!(v["result"], json!({ "scope": "account", "enabled": true }));

    // A new connection starts with it on: its own orders go when it drops; another
    // connection's orders stay.
    let mut other = connect(&server).await;
    ws_auth(&mut other).await;
    let mut seen = Vec::new();
    call(
        &mut other,
        2,
        "private/disable_cancel_on_disconnect",
        json!({}),
        &mut seen,
    )
    .await;
    let others = rest_order(&mut other, 3, "50000").await;
    let mut ws = connect(&server).await;
    ws_auth(&mut ws).await;
    let r = call(
        &mut ws,
        2,
        "private/get_cancel_on_disconnect",
        json!({}),
        &mut seen,
    )
    .await;
    assert_eq!(
        r["result"],
        json!({ "scope": "connection", "enabled": true })
    );
    let mine = rest_order(&mut ws, 3, "50000").await;
    drop(ws);
    assert!(!open_after(&server, &mine, Duration::from_secs(3)).await);
    assert!(open_after(&server, &others, Duration::from_millis(200)).await);

    let (_, v) = c
        .get(
            "private/disable_cancel_on_disconnect",
            &[("scope", "account")],
            &signed,
        )
        .await;
    assert_eq!(v["result"], json!("ok"));
    let mut ws = connect(&server).await;
    ws_auth(&mut ws).await;
    let r = call(
        &mut ws,
        2,
        "private/get_cancel_on_disconnect",
        json!({}),
        &mut seen,
    )
    .await;
    assert_eq!(r["result"]["enabled"], json!(false));
    server.stop().await;
}

#[tokio::test]
async fn a_missed_heartbeat_ends_the_connection_and_fires_cancel_on_disconnect() {
    let server = start(SimConfig {
        heartbeat_second: Duration::from_millis(20),
        ..config()
    })
    .await;
    let mut ws = connect(&server).await;
    let mut seen = Vec::new();
    let r = call(
        &mut ws,
        1,
        "public/set_heartbeat",
        json!({ "interval": 5 }),
        &mut seen,
    )
    .await;
    assert_eq!(r["error"]["code"], json!(-32602), "at least 10 seconds");
    ws_auth(&mut ws).await;
    call(
        &mut ws,
        2,
        "private/enable_cancel_on_disconnect",
        json!({ "scope": "account" }),
        &mut seen,
    )
    .await;
    let number = rest_order(&mut ws, 3, "50000").await;
    let r = call(
        &mut ws,
        4,
        "public/set_heartbeat",
        json!({ "interval": 10 }),
        &mut seen,
    )
    .await;
    assert_eq!(r["result"], json!("ok"));
    // Answered test requests keep the connection up.
    for k in 0..2 {
        let beat = next(&mut ws).await.expect("a test_request");
        assert_eq!(beat["method"], json!("heartbeat"));
        assert_eq!(beat["params"]["type"], json!("test_request"));
        let r = call(&mut ws, 10 + k, "public/test", json!({}), &mut seen).await;
        assert!(r["result"]["version"].is_string());
    }
    assert!(open_after(&server, &number, Duration::from_millis(50)).await);
    // An unanswered one ends it, and cancel-on-disconnect fires.
    let beat = next(&mut ws).await.expect("a test_request");
    assert_eq!(beat["params"]["type"], json!("test_request"));
    assert!(
        next(&mut ws).await.is_none(),
        "the server closed the connection"
    );
    assert!(!open_after(&server, &number, Duration::from_secs(2)).await);
    server.stop().await;
}
