//! Place-order round trip from the Binance USDⓈ-M connector to the simulator over loopback with
//! TLS 1.3 and a warm connection: validate against the symbol's filters, sign, send, the
//! simulator verifies the signature, matches the order and answers, the connector parses the
//! typed answer. Prints percentiles of single-order latencies.
//!
//! `cargo bench -p rampart-tests --bench sim_round_trip`

use std::str::FromStr;
use std::time::{Duration, Instant};

use rampart_core::{OrderType, Qty, Side};
use rampart_sim::binance_usdm::{SimAccount, SimConfig, SimServer};
use rampart_venues::binance_usdm::{ClientOptions, OrderRequest, RestClient};

const KEY: &str = "bench-key-0000000000000000000000000000000000000000000000000000000000";
const SECRET: &str = "bench-secret-000000000000000000000000000000000000000000000000000000";
const WARM_UP: usize = 200;
const SAMPLES: usize = 5_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let last = sorted.len().saturating_sub(1);
    // Percentile index over at most a few thousand samples: exact enough in f64.
    let idx = ((last as f64) * p).round() as usize;
    sorted[idx.min(last)]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(run());
}

async fn run() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    // Limits high enough that the bench measures latency, not the venue's order-rate limits
    // (the simulator publishes them in exchangeInfo and the connector adopts them).
    let config = SimConfig {
        accounts: vec![SimAccount {
            api_key: KEY.into(),
            api_secret: SECRET.into(),
            ..SimAccount::default()
        }],
        request_weight_limit: 1_000_000,
        order_limit_per_minute: 1_000_000,
        order_limit_per_10s: 1_000_000,
        ..Default::default()
    };
    let sim = SimServer::start_tls(listener, config).expect("the simulator");
    let options = ClientOptions {
        extra_root_pem: sim.cert_pem(),
        ..Default::default()
    };
    let client = RestClient::with_options(&sim.base_url(), KEY, SECRET, &options)
        .expect("a client for the simulator");
    client.sync_clock().await.expect("the simulator's clock");
    let filters = client
        .exchange_info()
        .await
        .expect("exchangeInfo")
        .into_iter()
        .find(|f| f.symbol == "BTCUSDT")
        .expect("BTCUSDT");

    let qty = Qty::from_str("0.002").expect("a quantity");
    let mut latencies = Vec::with_capacity(SAMPLES);
    for i in 0..WARM_UP + SAMPLES {
        // Alternate sides so the position stays flat and margin never runs out.
        let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
        let request = OrderRequest {
            symbol: "BTCUSDT".into(),
            side,
            order_type: OrderType::Market,
            quantity: qty,
            price: None,
            stop_price: None,
            time_in_force: None,
            reduce_only: false,
            working_type: None,
            position_side: rampart_core::trading::PositionSide::Net,
            client_order_id: format!("bench-{i}"),
        };
        let started = Instant::now();
        let order = client
            .place_order(&request, &filters, None)
            .await
            .expect("the simulator fills the order");
        let took = started.elapsed();
        assert_eq!(order.client_order_id, request.client_order_id);
        if i >= WARM_UP {
            latencies.push(took);
        }
    }
    latencies.sort();
    println!(
        "place-order round trip, TLS 1.3, warm connection, {SAMPLES} orders: p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.90),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
    );
    sim.stop().await;
}
