//! The options chain over HTTP: instruments with price-dependent ticks, tickers with the
//! model's volatility and greeks, put-call parity at the marks, premiums paid and received,
//! greeks in positions, and settlement at expiry.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::{Auth, Client, config, dec, start};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

async fn option_names(c: &Client, currency: &str) -> Vec<Value> {
    let (_, v) = c
        .get(
            "public/get_instruments",
            &[("currency", currency), ("kind", "option")],
            &Auth::None,
        )
        .await;
    v["result"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_chain_lists_calls_and_puts_with_stepped_ticks() {
    let server = start(config()).await;
    let c = Client::new(&server);
    for currency in ["BTC", "ETH"] {
        let chain = option_names(&c, currency).await;
        assert_eq!(
            chain.len(),
            20,
            "{currency}: 2 expiries × 5 strikes × call and put"
        );
        let o = &chain[0];
        assert_eq!(o["kind"], json!("option"));
        assert_eq!(o["settlement_currency"], json!(currency));
        assert_eq!(o["quote_currency"], json!(currency));
        assert_eq!(o["counter_currency"], json!("USD"));
        assert_eq!(dec(&o["tick_size"]), d("0.0001"));
        assert_eq!(dec(&o["tick_size_steps"][0]["above_price"]), d("0.005"));
        assert_eq!(dec(&o["tick_size_steps"][0]["tick_size"]), d("0.0005"));
        assert!(o["strike"].is_number());
        assert!(o["option_type"] == json!("call") || o["option_type"] == json!("put"));
        let expiries: std::collections::BTreeSet<i64> = chain
            .iter()
            .map(|o| o["expiration_timestamp"].as_i64().unwrap())
            .collect();
        assert_eq!(expiries.len(), 2);
        assert!(
            expiries.iter().all(|e| e % 86_400_000 == 8 * 3_600_000),
            "08:00 UTC"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn an_option_ticker_carries_the_models_volatility_and_greeks_and_parity_holds() {
    let server = start(config()).await;
    let c = Client::new(&server);
    let chain = option_names(&c, "BTC").await;
    let far = chain
        .iter()
        .filter(|o| o["settlement_period"] == json!("month"))
        .map(|o| o["instrument_name"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    let call = far.iter().find(|n| n.ends_with("-60000-C")).unwrap();
    let put = far.iter().find(|n| n.ends_with("-60000-P")).unwrap();
    let ticker = |name: String| {
        let c = &c;
        async move {
            c.get("public/ticker", &[("instrument_name", &name)], &Auth::None)
                .await
                .1["result"]
                .clone()
        }
    };
    let tc = ticker(call.clone()).await;
    let tp = ticker(put.clone()).await;
    assert_eq!(dec(&tc["underlying_price"]), d("60000"));
    assert_eq!(tc["underlying_index"], json!("BTC-PERPETUAL"));
    // ATM: 55% plus the term slope; in percent.
    let iv = dec(&tc["mark_iv"]);
    assert!(iv > d("50") && iv < d("60"), "{iv}");
    let delta = dec(&tc["greeks"]["delta"]);
    assert!(
        delta > d("0.5") && delta < d("0.6"),
        "ATM call delta {delta}"
    );
    assert!(dec(&tp["greeks"]["delta"]) < Decimal::ZERO);
    assert!(dec(&tc["greeks"]["gamma"]) > Decimal::ZERO);
    assert!(dec(&tc["greeks"]["vega"]) > Decimal::ZERO);
    assert!(dec(&tc["greeks"]["theta"]) < Decimal::ZERO);
    // C − P = (F − K) / F = 0 at the money, within a tick of rounding each.
    let parity = dec(&tc["mark_price"]) - dec(&tp["mark_price"]);
    assert!(parity.abs() <= d("0.001"), "{parity}");
    // The book's bid and ask imply volatilities around the mark's.
    let (bid_iv, ask_iv) = (dec(&tc["bid_iv"]), dec(&tc["ask_iv"]));
    assert!(
        bid_iv > Decimal::ZERO && bid_iv < ask_iv,
        "{bid_iv} {ask_iv}"
    );
    assert!(
        (bid_iv - iv).abs() < d("3") && (ask_iv - iv).abs() < d("3"),
        "{bid_iv} {iv} {ask_iv}"
    );

    // Away from the money parity holds with the forward: C − P = (F − K) / F.
    let c55 = ticker(
        far.iter()
            .find(|n| n.ends_with("-55000-C"))
            .unwrap()
            .clone(),
    )
    .await;
    let p55 = ticker(
        far.iter()
            .find(|n| n.ends_with("-55000-P"))
            .unwrap()
            .clone(),
    )
    .await;
    let lhs = dec(&c55["mark_price"]) - dec(&p55["mark_price"]);
    let rhs = (d("60000") - d("55000")) / d("60000");
    assert!((lhs - rhs).abs() <= d("0.001"), "{lhs} vs {rhs}");

    let (_, book) = c
        .get(
            "public/get_order_book",
            &[("instrument_name", call)],
            &Auth::None,
        )
        .await;
    assert!(
        book["result"]["greeks"]["delta"].is_string()
            || book["result"]["greeks"]["delta"].is_number()
    );
    server.stop().await;
}

#[tokio::test]
async fn buying_an_option_pays_its_premium_and_the_position_has_greeks() {
    let server = start(config()).await;
    let c = Client::new(&server);
    let chain = option_names(&c, "BTC").await;
    let name = chain
        .iter()
        .map(|o| o["instrument_name"].as_str().unwrap().to_owned())
        .find(|n| {
            n.ends_with("-60000-C")
                && chain.iter().any(|o| {
                    o["instrument_name"] == json!(n) && o["settlement_period"] == json!("month")
                })
        })
        .unwrap();
    let r = c
        .ok(
            "private/buy",
            &[
                ("instrument_name", &name),
                ("amount", "1"),
                ("type", "market"),
            ],
        )
        .await;
    assert_eq!(r["order"]["order_state"], json!("filled"));
    let trades = r["trades"].as_array().unwrap();
    let premium: Decimal = trades
        .iter()
        .map(|t| dec(&t["amount"]) * dec(&t["price"]))
        .sum();
    let fee: Decimal = trades.iter().map(|t| dec(&t["fee"])).sum();
    assert_eq!(fee, d("0.0003"), "0.0003 BTC per BTC of underlying");
    assert!(!trades[0]["iv"].is_null() && !trades[0]["underlying_price"].is_null());
    let s = c
        .ok("private/get_account_summary", &[("currency", "BTC")])
        .await;
    assert_eq!(dec(&s["balance"]), d("10") - premium - fee);
    assert!(dec(&s["options_value"]) > Decimal::ZERO);
    assert!(dec(&s["options_delta"]) > d("0.5"));
    let p = c
        .ok("private/get_position", &[("instrument_name", &name)])
        .await;
    assert_eq!(p["kind"], json!("option"));
    assert_eq!(dec(&p["size"]), d("1"));
    assert_eq!(dec(&p["initial_margin"]), Decimal::ZERO);
    for g in ["delta", "gamma", "vega"] {
        assert!(dec(&p[g]) > Decimal::ZERO, "{g}: {p}");
    }
    assert!(dec(&p["theta"]) < Decimal::ZERO);

    // Selling two (one to close, one to open short) receives premium and holds margin.
    c.ok(
        "private/sell",
        &[
            ("instrument_name", &name),
            ("amount", "2"),
            ("type", "market"),
        ],
    )
    .await;
    let p = c
        .ok("private/get_position", &[("instrument_name", &name)])
        .await;
    assert_eq!(dec(&p["size"]), d("-1"));
    assert_eq!(p["direction"], json!("sell"));
    assert!(dec(&p["initial_margin"]) > d("0.15"));
    assert!(dec(&p["delta"]) < Decimal::ZERO);

    // Prices off the stepped tick are refused: 0.0051 sits above 0.005, where the tick is 0.0005.
    let e = c
        .err(
            "private/buy",
            &[
                ("instrument_name", &name),
                ("amount", "1"),
                ("price", "0.0051"),
            ],
        )
        .await;
    assert_eq!(e["code"], json!(10043));
    let ok = c
        .ok(
            "private/buy",
            &[
                ("instrument_name", &name),
                ("amount", "0.1"),
                ("price", "0.0049"),
            ],
        )
        .await;
    assert_eq!(ok["order"]["order_state"], json!("open"));
    let e = c
        .err(
            "private/buy",
            &[
                ("instrument_name", &name),
                ("amount", "0.05"),
                ("price", "0.0049"),
            ],
        )
        .await;
    assert_eq!(e["code"], json!(10021), "options trade in 0.1 BTC");
    let opts = c
        .ok(
            "private/get_open_orders_by_currency",
            &[("currency", "BTC"), ("kind", "option")],
        )
        .await;
    assert_eq!(opts.as_array().unwrap().len(), 1);
    let futs = c
        .ok(
            "private/get_open_orders_by_currency",
            &[("currency", "BTC"), ("kind", "future")],
        )
        .await;
    assert_eq!(futs, json!([]));
    server.stop().await;
}

#[tokio::test]
async fn a_json_rpc_post_takes_fractional_numbers_exactly() {
    let server = start(config()).await;
    let c = Client::new(&server);
    let chain = option_names(&c, "ETH").await;
    let name = chain[0]["instrument_name"].as_str().unwrap().to_owned();
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":7,"method":"private/buy","params":{{"instrument_name":"{name}","amount":1,"price":0.0001,"type":"limit"}}}}"#
    );
    let (status, v) = c
        .send("POST", "/api/v2/private/buy", body, &Auth::signed())
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["id"], json!(7));
    assert_eq!(dec(&v["result"]["order"]["price"]), d("0.0001"));
    server.stop().await;
}

#[tokio::test]
async fn an_expired_option_settles_at_the_index_and_stops_trading() {
    let server = start(config()).await;
    let c = Client::new(&server);
    let chain = option_names(&c, "BTC").await;
    let weekly = chain
        .iter()
        .find(|o| {
            o["settlement_period"] == json!("week")
                && o["instrument_name"].as_str().unwrap().ends_with("-55000-C")
        })
        .unwrap()
        .clone();
    let name = weekly["instrument_name"].as_str().unwrap().to_owned();
    let expiry = weekly["expiration_timestamp"].as_i64().unwrap();
    c.ok(
        "private/buy",
        &[
            ("instrument_name", &name),
            ("amount", "1"),
            ("type", "market"),
        ],
    )
    .await;
    let before = dec(&c
        .ok("private/get_account_summary", &[("currency", "BTC")])
        .await["balance"]);
    // Expiry comes (the exchange's clock, moved on): the 55000 call pays (60000 − 55000) /
    // 60000 BTC at the index.
    server.exchange().lock().housekeep(expiry);
    let after = dec(&c
        .ok("private/get_account_summary", &[("currency", "BTC")])
        .await["balance"]);
    assert_eq!(after - before, d("0.08333333"));
    let p = c
        .ok("private/get_position", &[("instrument_name", &name)])
        .await;
    assert_eq!(dec(&p["size"]), Decimal::ZERO);
    let e = c
        .err(
            "private/buy",
            &[
                ("instrument_name", &name),
                ("amount", "1"),
                ("type", "market"),
            ],
        )
        .await;
    assert_eq!(e["code"], json!(13019));
    assert_eq!(e["message"], json!("orderbook_closed"));
}
