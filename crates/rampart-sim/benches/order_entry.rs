//! Per-order cost of the simulator's order entry as its history grows: 100,000 orders through
//! the function `POST /fapi/v1/order` runs (validation, margin over the open orders, matching,
//! position, events), in process. 100 resting LIMIT orders stay open the whole run; the rest
//! are MARKET orders (sides alternating, so the position stays flat) and IOC LIMIT orders that
//! expire, so the history of filled and expired orders grows to 100,000 while the open set does
//! not. Prints p50/p99 of single-order latencies for the first and the last 1,000 orders.
//!
//! `cargo bench -p rampart-sim --bench order_entry`

use std::time::{Duration, Instant};

use rampart_sim::binance_usdm::{SimAccount, SimConfig, SimServer};

const KEY: &str = "bench-key-0000000000000000000000000000000000000000000000000000000000";
const ORDERS: usize = 100_000;
const WINDOW: usize = 1_000;
const RESTING: usize = 100;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let last = sorted.len().saturating_sub(1);
    // Percentile index over a thousand samples: exact enough in f64.
    let idx = ((last as f64) * p).round() as usize;
    sorted[idx.min(last)]
}

fn summary(name: &str, window: &[Duration]) {
    let mut sorted = window.to_vec();
    sorted.sort();
    println!(
        "{name}: p50 {:?}, p99 {:?}, max {:?}",
        percentile(&sorted, 0.50),
        percentile(&sorted, 0.99),
        percentile(&sorted, 1.0),
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    // The server needs a runtime to start; the orders below go straight to its exchange.
    let sim = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let config = SimConfig {
            accounts: vec![SimAccount {
                api_key: KEY.into(),
                api_secret: "bench-secret".into(),
                ..SimAccount::default()
            }],
            tick_interval_ms: 0,
            ..Default::default()
        };
        SimServer::start(listener, config).expect("the simulator")
    });
    let mark = sim.mark_price("BTCUSDT").expect("BTCUSDT is listed");
    // Far enough below the book not to fill, inside the price band.
    let below = (mark * rust_decimal::Decimal::new(95, 2))
        .round_dp(1)
        .to_string();

    let mut latencies = Vec::with_capacity(ORDERS);
    let started = Instant::now();
    for i in 0..ORDERS {
        let client_id = format!("bench-{i}");
        let mut params = vec![
            ("symbol", "BTCUSDT"),
            ("quantity", "0.002"),
            ("newClientOrderId", client_id.as_str()),
        ];
        if i < RESTING {
            params.extend([
                ("side", "BUY"),
                ("type", "LIMIT"),
                ("timeInForce", "GTC"),
                ("price", below.as_str()),
            ]);
        } else if i % 3 == 0 {
            params.extend([
                ("side", "BUY"),
                ("type", "LIMIT"),
                ("timeInForce", "IOC"),
                ("price", below.as_str()),
            ]);
        } else {
            // MARKET, sides alternating: the position stays near flat.
            let side = if i % 2 == 0 { "BUY" } else { "SELL" };
            params.extend([("side", side), ("type", "MARKET")]);
        }
        let t = Instant::now();
        let placed = sim.place_order_in_process(KEY, &params);
        latencies.push(t.elapsed());
        if let Err(err) = placed {
            panic!("order {i} refused: {err:?}");
        }
    }
    let total = started.elapsed();
    println!(
        "order entry in process, {ORDERS} orders ({RESTING} resting, the rest filled or expired) in {total:?}"
    );
    summary("first 1,000", &latencies[..WINDOW]);
    summary("last 1,000", &latencies[ORDERS - WINDOW..]);
    assert_eq!(sim.order_count(), ORDERS);
    runtime.block_on(sim.stop());
}
