//! JSON-RPC over HTTP: public data, the three grants and token expiry, the HTTP
//! authorizations, scopes, order entry on futures, refusals with Deribit's codes, the credit
//! limit and the fault knobs.

use std::time::Duration;

use rampart_sim::deribit::{Faults, RateLimits, SimConfig};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::{Auth, Client, ID, READER, SECRET, config, dec, hmac_hex, now_ms, start};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[tokio::test]
async fn public_time_instruments_and_the_envelope() {
    let server = start(config()).await;
    let c = Client::new(&server);
    let (status, v) = c.get("public/get_time", &[], &Auth::None).await;
    assert_eq!(status, 200);
    assert_eq!(v["jsonrpc"], json!("2.0"));
    assert!((v["result"].as_i64().unwrap() - now_ms()).abs() < 5_000);
    assert!(v["usIn"].as_i64().unwrap() <= v["usOut"].as_i64().unwrap());
    assert_eq!(v["testnet"], json!(false));

    let (_, v) = c
        .get(
            "public/get_instruments",
            &[("currency", "BTC"), ("kind", "future")],
            &Auth::None,
        )
        .await;
    let futures = v["result"].as_array().unwrap().clone();
    assert_eq!(futures.len(), 2);
    let perp = futures
        .iter()
        .find(|i| i["instrument_name"] == json!("BTC-PERPETUAL"))
        .unwrap();
    assert_eq!(dec(&perp["contract_size"]), d("10"));
    assert_eq!(dec(&perp["tick_size"]), d("0.5"));
    assert_eq!(dec(&perp["min_trade_amount"]), d("10"));
    assert_eq!(perp["settlement_period"], json!("perpetual"));
    assert_eq!(perp["kind"], json!("future"));
    assert_eq!(perp["is_active"], json!(true));

    // Without a currency every instrument is listed (as ccxt asks).
    let (_, all) = c.get("public/get_instruments", &[], &Auth::None).await;
    assert_eq!(all["result"].as_array().unwrap().len(), 44);

    // A POST with a JSON-RPC body answers with its id.
    let (status, v) = c.post("public/test", json!({}), &Auth::None).await;
    assert_eq!(status, 200);
    assert_eq!(v["id"], json!(42));
    assert!(v["result"]["version"].is_string());

    let (status, v) = c.get("public/no_such_method", &[], &Auth::None).await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["code"], json!(-32601));

    let (_, v) = c
        .get(
            "public/ticker",
            &[("instrument_name", "BTC-NOPE")],
            &Auth::None,
        )
        .await;
    assert_eq!(v["error"]["code"], json!(13020));
    server.stop().await;
}

#[tokio::test]
async fn ticker_book_index_and_candles() {
    let server = start(config()).await;
    let c = Client::new(&server);
    let (_, v) = c
        .get(
            "public/ticker",
            &[("instrument_name", "BTC-PERPETUAL")],
            &Auth::None,
        )
        .await;
    let t = &v["result"];
    assert_eq!(dec(&t["mark_price"]), d("60000"));
    assert_eq!(dec(&t["best_bid_price"]), d("60000"));
    assert_eq!(dec(&t["best_ask_price"]), d("60000.5"));
    assert!(
        t["funding_8h"].is_string(),
        "a fraction, kept as text by the test's parser"
    );
    assert_eq!(t["instrument_name"], json!("BTC-PERPETUAL"));
    assert!(t["stats"]["volume"].is_number() || t["stats"]["volume"].is_string());

    let (_, v) = c
        .get(
            "public/get_order_book",
            &[("instrument_name", "BTC-PERPETUAL"), ("depth", "3")],
            &Auth::None,
        )
        .await;
    let b = &v["result"];
    assert_eq!(b["bids"].as_array().unwrap().len(), 3);
    assert_eq!(dec(&b["bids"][0][0]), d("60000"));
    assert_eq!(dec(&b["asks"][0][0]), d("60000.5"));
    assert!(b["change_id"].is_u64());

    let (_, v) = c
        .get(
            "public/get_index_price",
            &[("index_name", "btc_usd")],
            &Auth::None,
        )
        .await;
    assert_eq!(dec(&v["result"]["index_price"]), d("60000"));

    let end = now_ms();
    let (start_s, end_s) = ((end - 3_600_000).to_string(), end.to_string());
    let (_, v) = c
        .get(
            "public/get_tradingview_chart_data",
            &[
                ("instrument_name", "BTC-PERPETUAL"),
                ("start_timestamp", &start_s),
                ("end_timestamp", &end_s),
                ("resolution", "15"),
            ],
            &Auth::None,
        )
        .await;
    let ch = &v["result"];
    assert_eq!(ch["status"], json!("ok"));
    let ticks = ch["ticks"].as_array().unwrap();
    assert!(ticks.len() >= 4 && ticks.len() <= 5, "{ticks:?}");
    assert!(
        ticks.windows(2).all(|w| w[0].as_i64() < w[1].as_i64()),
        "oldest first"
    );
    assert_eq!(ch["close"].as_array().unwrap().len(), ticks.len());
    server.stop().await;
}

#[tokio::test]
async fn the_three_grants_and_their_refusals() {
    let server = start(config()).await;
    let c = Client::new(&server);
    let g = c.grant(ID, SECRET).await;
    assert_eq!(g["expires_in"], json!(900));
    assert_eq!(g["token_type"], json!("bearer"));
    assert!(g["scope"].as_str().unwrap().contains("trade:read_write"));

    // client_signature: hex HMAC of "ts\nnonce\ndata".
    let ts = now_ms().to_string();
    let sig = hmac_hex(SECRET, &format!("{ts}\nabc123\nsome data"));
    let (status, v) = c
        .get(
            "public/auth",
            &[
                ("grant_type", "client_signature"),
                ("client_id", ID),
                ("timestamp", &ts),
                ("nonce", "abc123"),
                ("data", "some data"),
                ("signature", &sig),
            ],
            &Auth::None,
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let token = v["result"]["access_token"].as_str().unwrap().to_owned();
    let refresh = v["result"]["refresh_token"].as_str().unwrap().to_owned();

    // The signature over other data is refused with 13009.
    let (_, v) = c
        .get(
            "public/auth",
            &[
                ("grant_type", "client_signature"),
                ("client_id", ID),
                ("timestamp", &ts),
                ("nonce", "abc123"),
                ("data", "other"),
                ("signature", &sig),
            ],
            &Auth::None,
        )
        .await;
    assert_eq!(v["error"]["code"], json!(13009));
    assert_eq!(v["error"]["message"], json!("unauthorized"));
    // A timestamp 61 s old too.
    let old = (now_ms() - 61_000).to_string();
    let sig_old = hmac_hex(SECRET, &format!("{old}\nn\n"));
    let (_, v) = c
        .get(
            "public/auth",
            &[
                ("grant_type", "client_signature"),
                ("client_id", ID),
                ("timestamp", &old),
                ("nonce", "n"),
                ("signature", &sig_old),
            ],
            &Auth::None,
        )
        .await;
    assert_eq!(v["error"]["code"], json!(13009));
    // A wrong secret: 13004 invalid_credentials.
    let (_, v) = c
        .get(
            "public/auth",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", ID),
                ("client_secret", "wrong"),
            ],
            &Auth::None,
        )
        .await;
    assert_eq!(v["error"]["code"], json!(13004));
    assert_eq!(v["error"]["message"], json!("invalid_credentials"));

    // The token works as a Bearer; a refresh replaces it.
    let (status, _) = c
        .get(
            "private/get_account_summary",
            &[("currency", "BTC")],
            &Auth::Bearer(token.clone()),
        )
        .await;
    assert_eq!(status, 200);
    let (_, v) = c
        .get(
            "public/auth",
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
            &Auth::None,
        )
        .await;
    let fresh = v["result"]["access_token"].as_str().unwrap().to_owned();
    let (_, v) = c
        .get(
            "private/get_account_summary",
            &[("currency", "BTC")],
            &Auth::Bearer(token),
        )
        .await;
    assert_eq!(
        v["error"]["code"],
        json!(13009),
        "the refreshed pair's access token ended"
    );
    let (status, _) = c
        .get(
            "private/get_account_summary",
            &[("currency", "BTC")],
            &Auth::Bearer(fresh),
        )
        .await;
    assert_eq!(status, 200);
    let (_, v) = c
        .get(
            "public/auth",
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
            &Auth::None,
        )
        .await;
    assert_eq!(
        v["error"]["code"],
        json!(13009),
        "a refresh token works once"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_expired_token_is_refused_with_13009() {
    let server = start(SimConfig {
        token_lifetime: Duration::from_millis(1_000),
        ..config()
    })
    .await;
    let c = Client::new(&server);
    let g = c.grant(ID, SECRET).await;
    assert_eq!(g["expires_in"], json!(1));
    let bearer = Auth::Bearer(g["access_token"].as_str().unwrap().to_owned());
    let (status, _) = c
        .get("private/get_positions", &[("currency", "BTC")], &bearer)
        .await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let (status, v) = c
        .get("private/get_positions", &[("currency", "BTC")], &bearer)
        .await;
    assert_eq!(status, 401, "Deribit answers 13009 with HTTP 401");
    assert_eq!(v["error"]["code"], json!(13009));
    assert_eq!(v["error"]["data"]["reason"], json!("token expired"));
    // A grant asking for a shorter life gets it.
    let (_, v) = c
        .get(
            "public/auth",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", ID),
                ("client_secret", SECRET),
                ("scope", "expires:1"),
            ],
            &Auth::None,
        )
        .await;
    assert_eq!(v["result"]["expires_in"], json!(1));
    server.stop().await;
}

#[tokio::test]
async fn http_authorizations_signed_basic_and_none() {
    let server = start(config()).await;
    let c = Client::new(&server);
    let r = c
        .ok("private/get_account_summary", &[("currency", "BTC")])
        .await;
    assert_eq!(r["currency"], json!("BTC"));
    assert_eq!(dec(&r["balance"]), d("10"));
    assert_eq!(dec(&r["equity"]), d("10"));
    assert_eq!(dec(&r["available_funds"]), d("10"));

    let wrong = Auth::Signed {
        id: ID.into(),
        secret: "not-the-secret".into(),
        ts_offset_ms: 0,
    };
    let (_, v) = c
        .get(
            "private/get_account_summary",
            &[("currency", "BTC")],
            &wrong,
        )
        .await;
    assert_eq!(v["error"]["code"], json!(13009));
    assert_eq!(v["error"]["data"]["reason"], json!("bad signature"));
    let unknown = Auth::Signed {
        id: "nobody".into(),
        secret: SECRET.into(),
        ts_offset_ms: 0,
    };
    let (_, v) = c
        .get(
            "private/get_account_summary",
            &[("currency", "BTC")],
            &unknown,
        )
        .await;
    assert_eq!(v["error"]["code"], json!(13004));
    let late = Auth::Signed {
        id: ID.into(),
        secret: SECRET.into(),
        ts_offset_ms: -70_000,
    };
    let (_, v) = c
        .get("private/get_account_summary", &[("currency", "BTC")], &late)
        .await;
    assert_eq!(v["error"]["code"], json!(13009));

    let (status, _) = c
        .get(
            "private/get_account_summary",
            &[("currency", "ETH")],
            &Auth::Basic(ID.into(), SECRET.into()),
        )
        .await;
    assert_eq!(status, 200);
    let (_, v) = c
        .get(
            "private/get_account_summary",
            &[("currency", "BTC")],
            &Auth::None,
        )
        .await;
    assert_eq!(v["error"]["code"], json!(13009));

    // A signed POST covers its body.
    let (status, v) = c
        .post(
            "private/get_account_summary",
            json!({ "currency": "ETH" }),
            &Auth::signed(),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(dec(&v["result"]["balance"]), d("100"));
    // WebSocket-only methods are refused over HTTP.
    let (_, v) = c
        .get("private/enable_cancel_on_disconnect", &[], &Auth::signed())
        .await;
    assert_eq!(v["error"]["code"], json!(10030));
    server.stop().await;
}

#[tokio::test]
async fn a_read_only_key_reads_and_cannot_trade() {
    let server = start(config()).await;
    let c = Client::new(&server);
    let reader = Auth::Signed {
        id: READER.into(),
        secret: SECRET.into(),
        ts_offset_ms: 0,
    };
    let (status, _) = c
        .get("private/get_positions", &[("currency", "BTC")], &reader)
        .await;
    assert_eq!(status, 200);
    let (_, v) = c
        .get(
            "private/buy",
            &[
                ("instrument_name", "BTC-PERPETUAL"),
                ("amount", "10"),
                ("type", "market"),
            ],
            &reader,
        )
        .await;
    assert_eq!(v["error"]["code"], json!(13021));
    let g = c.grant(READER, SECRET).await;
    assert!(g["scope"].as_str().unwrap().contains("trade:read "), "{g}");
    server.stop().await;
}

#[tokio::test]
async fn a_future_order_rests_is_edited_and_cancelled_in_deribits_shape() {
    let server = start(config()).await;
    let c = Client::new(&server);
    let r = c
        .ok(
            "private/buy",
            &[
                ("instrument_name", "BTC-PERPETUAL"),
                ("amount", "100"),
                ("type", "limit"),
                ("price", "59000"),
                ("label", "first"),
            ],
        )
        .await;
    let o = &r["order"];
    let id = o["order_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("BTC-"), "{id}");
    assert_eq!(o["order_state"], json!("open"));
    assert_eq!(o["direction"], json!("buy"));
    assert_eq!(o["order_type"], json!("limit"));
    assert_eq!(o["time_in_force"], json!("good_til_cancelled"));
    assert_eq!(o["label"], json!("first"));
    assert_eq!(dec(&o["amount"]), d("100"));
    assert_eq!(dec(&o["contracts"]), d("10"));
    assert_eq!(dec(&o["filled_amount"]), Decimal::ZERO);
    assert_eq!(dec(&o["average_price"]), Decimal::ZERO);
    assert_eq!(dec(&o["price"]), d("59000"));
    assert_eq!(o["replaced"], json!(false));
    assert_eq!(r["trades"], json!([]));

    let open = c
        .ok(
            "private/get_open_orders_by_currency",
            &[("currency", "BTC")],
        )
        .await;
    assert_eq!(open.as_array().unwrap().len(), 1);
    let open = c
        .ok(
            "private/get_open_orders_by_instrument",
            &[("instrument_name", "ETH-PERPETUAL")],
        )
        .await;
    assert_eq!(open, json!([]));

    let e = c
        .ok(
            "private/edit",
            &[("order_id", &id), ("amount", "200"), ("price", "59500")],
        )
        .await;
    assert_eq!(dec(&e["order"]["price"]), d("59500"));
    assert_eq!(dec(&e["order"]["amount"]), d("200"));
    assert_eq!(e["order"]["replaced"], json!(true));
    let s = c.ok("private/get_order_state", &[("order_id", &id)]).await;
    assert_eq!(dec(&s["price"]), d("59500"));

    let x = c.ok("private/cancel", &[("order_id", &id)]).await;
    assert_eq!(x["order_state"], json!("cancelled"));
    assert_eq!(x["cancel_reason"], json!("user_request"));
    let err = c.err("private/cancel", &[("order_id", &id)]).await;
    assert_eq!(err["code"], json!(10010));
    let err = c
        .err("private/get_order_state", &[("order_id", "BTC-1")])
        .await;
    assert_eq!(err["code"], json!(10004));
    assert_eq!(err["message"], json!("order_not_found"));
    server.stop().await;
}

#[tokio::test]
async fn a_market_order_fills_pays_the_fee_and_opens_a_position() {
    let server = start(config()).await;
    let c = Client::new(&server);
    let r = c
        .ok(
            "private/buy",
            &[
                ("instrument_name", "BTC-PERPETUAL"),
                ("amount", "1000"),
                ("type", "market"),
            ],
        )
        .await;
    assert_eq!(r["order"]["order_state"], json!("filled"));
    assert_eq!(r["order"]["price"], json!("market_price"));
    let trades = r["trades"].as_array().unwrap();
    assert!(!trades.is_empty());
    let t = &trades[0];
    assert_eq!(t["liquidity"], json!("T"));
    assert_eq!(t["fee_currency"], json!("BTC"));
    assert_eq!(dec(&t["price"]), d("60000.5"));
    // Taker 0.05% of 1000 USD at 60000.5, in BTC.
    let fee: Decimal = trades.iter().map(|t| dec(&t["fee"])).sum();
    assert!(fee > Decimal::ZERO && fee < d("0.00001"), "{fee}");

    let p = c
        .ok(
            "private/get_position",
            &[("instrument_name", "BTC-PERPETUAL")],
        )
        .await;
    assert_eq!(dec(&p["size"]), d("1000"));
    assert_eq!(p["direction"], json!("buy"));
    assert_eq!(p["kind"], json!("future"));
    assert!(dec(&p["delta"]) > d("0.0166") && dec(&p["delta"]) < d("0.0167"));
    let ps = c
        .ok(
            "private/get_positions",
            &[("currency", "BTC"), ("kind", "future")],
        )
        .await;
    assert_eq!(ps.as_array().unwrap().len(), 1);
    let ts = c
        .ok(
            "private/get_user_trades_by_instrument",
            &[("instrument_name", "BTC-PERPETUAL")],
        )
        .await;
    assert_eq!(ts["trades"].as_array().unwrap().len(), trades.len());
    let ts = c
        .ok(
            "private/get_user_trades_by_currency",
            &[("currency", "BTC")],
        )
        .await;
    assert_eq!(ts["trades"].as_array().unwrap().len(), trades.len());
    let s = c
        .ok("private/get_account_summary", &[("currency", "BTC")])
        .await;
    assert_eq!(dec(&s["balance"]), d("10") - fee);
    // The public tape shows the fills, newest first.
    let (_, v) = c
        .get(
            "public/get_last_trades_by_instrument",
            &[("instrument_name", "BTC-PERPETUAL"), ("count", "1")],
            &Auth::None,
        )
        .await;
    let tape = v["result"]["trades"].as_array().unwrap().clone();
    assert_eq!(tape.len(), 1);
    assert_eq!(tape[0]["direction"], json!("buy"));
    assert_eq!(tape[0]["trade_id"], trades.last().unwrap()["trade_id"]);
    assert_eq!(v["result"]["has_more"], json!(trades.len() > 1));
    let h = c
        .ok(
            "private/get_order_history_by_currency",
            &[("currency", "BTC")],
        )
        .await;
    assert_eq!(h.as_array().unwrap().len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn refusals_carry_deribits_codes() {
    let server = start(config()).await;
    let c = Client::new(&server);
    let buy = |amount: &'static str, price: &'static str| {
        [
            ("instrument_name", "BTC-PERPETUAL"),
            ("amount", amount),
            ("type", "limit"),
            ("price", price),
        ]
    };
    let e = c.err("private/buy", &buy("100", "59000.3")).await;
    assert_eq!(
        (e["code"].clone(), e["message"].clone()),
        (json!(10043), json!("price_wrong_tick"))
    );
    let e = c.err("private/buy", &buy("15", "59000")).await;
    assert_eq!(e["code"], json!(10021));
    let e = c.err("private/buy", &buy("100000000", "59000")).await;
    assert_eq!(e["code"], json!(10021));
    let e = c.err("private/buy", &buy("9000000", "59000")).await;
    assert_eq!(
        (e["code"].clone(), e["message"].clone()),
        (json!(10009), json!("not_enough_funds"))
    );
    let e = c
        .err(
            "private/buy",
            &[("instrument_name", "BTC-PERPETUAL"), ("amount", "10")],
        )
        .await;
    assert_eq!(e["code"], json!(-32602));
    let long = "x".repeat(65);
    for label in [long.as_str(), "tab\there"] {
        let e = c
            .err(
                "private/buy",
                &[
                    ("instrument_name", "BTC-PERPETUAL"),
                    ("amount", "10"),
                    ("type", "market"),
                    ("label", label),
                ],
            )
            .await;
        assert_eq!(e["code"], json!(-32602), "label {label:?}");
        assert_eq!(e["data"]["param"], json!("label"));
    }

    // Two open orders share a label: edit_by_label is ambiguous, cancel_by_label takes both.
    for price in ["58000", "58500"] {
        c.ok(
            "private/buy",
            &[
                ("instrument_name", "BTC-PERPETUAL"),
                ("amount", "10"),
                ("type", "limit"),
                ("price", price),
                ("label", "twin"),
            ],
        )
        .await;
    }
    let e = c
        .err(
            "private/edit_by_label",
            &[
                ("label", "twin"),
                ("instrument_name", "BTC-PERPETUAL"),
                ("amount", "20"),
                ("price", "58000"),
            ],
        )
        .await;
    assert_eq!(
        (e["code"].clone(), e["message"].clone()),
        (json!(13032), json!("non_unique_order_label"))
    );
    let by_label = c
        .ok(
            "private/get_order_state_by_label",
            &[("currency", "BTC"), ("label", "twin")],
        )
        .await;
    assert_eq!(by_label.as_array().unwrap().len(), 2);
    assert_eq!(
        c.ok("private/cancel_by_label", &[("label", "twin")]).await,
        json!(2)
    );
    c.ok(
        "private/buy",
        &[
            ("instrument_name", "BTC-PERPETUAL"),
            ("amount", "10"),
            ("type", "limit"),
            ("price", "58000"),
            ("label", "solo"),
        ],
    )
    .await;
    let e = c
        .ok(
            "private/edit_by_label",
            &[
                ("label", "solo"),
                ("instrument_name", "BTC-PERPETUAL"),
                ("amount", "20"),
                ("price", "58100"),
            ],
        )
        .await;
    assert_eq!(dec(&e["order"]["price"]), d("58100"));
    let e = c
        .err(
            "private/edit_by_label",
            &[
                ("label", "nobody"),
                ("instrument_name", "BTC-PERPETUAL"),
                ("amount", "20"),
                ("price", "58100"),
            ],
        )
        .await;
    assert_eq!(e["code"], json!(10004));

    // Post-only: rejected with reject_post_only, else moved just inside the spread.
    let e = c
        .err(
            "private/buy",
            &[
                ("instrument_name", "BTC-PERPETUAL"),
                ("amount", "10"),
                ("price", "61000"),
                ("post_only", "true"),
                ("reject_post_only", "true"),
            ],
        )
        .await;
    assert_eq!(e["code"], json!(11054));
    let o = c
        .ok(
            "private/buy",
            &[
                ("instrument_name", "BTC-PERPETUAL"),
                ("amount", "10"),
                ("price", "61000"),
                ("post_only", "true"),
            ],
        )
        .await;
    assert_eq!(dec(&o["order"]["price"]), d("60000"));
    assert_eq!(o["order"]["order_state"], json!("open"));

    // cancel_all_by_currency and cancel_all count what they cancel.
    c.ok(
        "private/sell",
        &[
            ("instrument_name", "ETH-PERPETUAL"),
            ("amount", "5"),
            ("price", "3100"),
        ],
    )
    .await;
    assert_eq!(
        c.ok("private/cancel_all_by_currency", &[("currency", "ETH")])
            .await,
        json!(1)
    );
    assert_eq!(
        c.ok(
            "private/cancel_all_by_instrument",
            &[("instrument_name", "BTC-PERPETUAL")]
        )
        .await,
        json!(2)
    );
    assert_eq!(c.ok("private/cancel_all", &[]).await, json!(0));
    server.stop().await;
}

#[tokio::test]
async fn the_matching_engine_limit_answers_10028() {
    let server = start(SimConfig {
        rate_limits: RateLimits {
            matching_burst: 3,
            matching_per_second: 1,
            ..RateLimits::default()
        },
        ..config()
    })
    .await;
    let c = Client::new(&server);
    let mut codes: Vec<Value> = Vec::new();
    for _ in 0..5 {
        let (_, v) = c
            .get(
                "private/buy",
                &[
                    ("instrument_name", "BTC-PERPETUAL"),
                    ("amount", "10"),
                    ("price", "50000"),
                ],
                &Auth::signed(),
            )
            .await;
        codes.push(v["error"]["code"].clone());
    }
    assert_eq!(codes[..3], [Value::Null, Value::Null, Value::Null]);
    assert_eq!(codes[3], json!(10028));
    // Reads draw from the other bucket.
    c.ok(
        "private/get_open_orders_by_currency",
        &[("currency", "BTC")],
    )
    .await;
    server.stop().await;
}

#[tokio::test]
async fn order_faults_take_or_drop_as_configured() {
    let server = start(SimConfig {
        faults: Faults {
            every: 1,
            ..Faults::default()
        },
        ..config()
    })
    .await;
    let c = Client::new(&server);
    let q = [
        ("instrument_name", "BTC-PERPETUAL"),
        ("amount", "10"),
        ("price", "50000"),
        ("label", "f"),
    ];
    // 1st: taken, the connection dropped; 2nd: taken, 503; 3rd: 503, not taken.
    let url = format!("{}/api/v2/private/buy", server.base_url());
    let first = c
        .http
        .get(&url)
        .query(&q)
        .basic_auth(ID, Some(SECRET))
        .send()
        .await;
    assert!(first.is_err() || first.unwrap().text().await.is_err());
    let second = c
        .http
        .get(&url)
        .query(&q)
        .basic_auth(ID, Some(SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(second.status().as_u16(), 503);
    let third = c
        .http
        .get(&url)
        .query(&q)
        .basic_auth(ID, Some(SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(third.status().as_u16(), 503);
    server.set_faults(Faults::default());
    let open = c
        .ok(
            "private/get_open_orders_by_currency",
            &[("currency", "BTC")],
        )
        .await;
    assert_eq!(open.as_array().unwrap().len(), 2);
    server.stop().await;
}

#[tokio::test]
async fn a_stop_market_order_waits_untriggered_then_fills() {
    let server = start(config()).await;
    let c = Client::new(&server);
    c.ok(
        "private/buy",
        &[
            ("instrument_name", "BTC-PERPETUAL"),
            ("amount", "100"),
            ("type", "market"),
        ],
    )
    .await;
    let r = c
        .ok(
            "private/sell",
            &[
                ("instrument_name", "BTC-PERPETUAL"),
                ("amount", "100"),
                ("type", "stop_market"),
                ("trigger", "mark_price"),
                ("trigger_price", "59000"),
                ("reduce_only", "true"),
            ],
        )
        .await;
    let o = &r["order"];
    assert_eq!(o["order_state"], json!("untriggered"));
    assert_eq!(o["order_type"], json!("stop_market"));
    assert_eq!(o["trigger"], json!("mark_price"));
    assert_eq!(dec(&o["trigger_price"]), d("59000"));
    assert_eq!(o["triggered"], json!(false));
    let id = o["order_id"].as_str().unwrap().to_owned();
    let e = c
        .err(
            "private/sell",
            &[
                ("instrument_name", "BTC-PERPETUAL"),
                ("amount", "100"),
                ("type", "stop_market"),
                ("trigger", "mark_price"),
                ("trigger_price", "59000.2"),
            ],
        )
        .await;
    assert_eq!(e["code"], json!(10044));

    server.set_mark_price("BTC-PERPETUAL", d("58900"));
    let s = c.ok("private/get_order_state", &[("order_id", &id)]).await;
    assert_eq!(s["order_state"], json!("filled"));
    assert_eq!(s["triggered"], json!(true));
    let p = c
        .ok(
            "private/get_position",
            &[("instrument_name", "BTC-PERPETUAL")],
        )
        .await;
    assert_eq!(dec(&p["size"]), Decimal::ZERO);
    assert_eq!(p["direction"], json!("zero"));
    server.stop().await;
}
