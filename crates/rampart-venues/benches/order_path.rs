//! Validate + sign + encode one Binance USDⓈ-M order, in process: the work Rampart does on the
//! order path before the first byte goes out. Prints percentiles over batches.
//!
//! `cargo bench -p rampart-venues --bench order_path`

use std::hint::black_box;
use std::str::FromStr;
use std::time::Instant;

use rampart_core::Side;
use rampart_venues::binance_usdm::signer::{append_signature, encode_params};
use rampart_venues::binance_usdm::{Signer, SymbolFilters};
use rust_decimal::Decimal;

const EXCHANGE_INFO: &str = r#"{"symbols":[{"symbol":"BTCUSDT","status":"TRADING","filters":[
  {"filterType":"PRICE_FILTER","minPrice":"261.10","maxPrice":"809484","tickSize":"0.10"},
  {"filterType":"LOT_SIZE","minQty":"0.001","maxQty":"1000","stepSize":"0.001"},
  {"filterType":"MARKET_LOT_SIZE","minQty":"0.001","maxQty":"120","stepSize":"0.001"},
  {"filterType":"MIN_NOTIONAL","notional":"100"},
  {"filterType":"PERCENT_PRICE","multiplierUp":"1.0500","multiplierDown":"0.9500","multiplierDecimal":"4"}]}]}"#;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn main() {
    let filters = SymbolFilters::parse_exchange_info(EXCHANGE_INFO.as_bytes())
        .unwrap()
        .remove(0);
    let hmac =
        Signer::from_secret("2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9")
            .unwrap();
    let price = Decimal::from_str("59000.0").unwrap();
    let qty = Decimal::from_str("0.002").unwrap();
    let mark = Decimal::from_str("60000").unwrap();

    let one = |timestamp: u64| {
        filters
            .check_order(Side::Buy, Some(price), qty, mark)
            .unwrap();
        let ts = timestamp.to_string();
        let price_text = price.to_string();
        let qty_text = qty.to_string();
        let body = encode_params([
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("timeInForce", "GTC"),
            ("quantity", qty_text.as_str()),
            ("price", price_text.as_str()),
            ("newClientOrderId", "rmp-AbCdEfGhIjKlMnOpQrSt"),
            ("recvWindow", "5000"),
            ("timestamp", ts.as_str()),
        ]);
        let signature = hmac.sign("", &body);
        append_signature(&body, &signature)
    };

    // Warm up, then 200 batches of 1,000 orders; per-order time of each batch.
    for i in 0..20_000 {
        black_box(one(1_700_000_000_000 + i));
    }
    let mut per_order_ns = Vec::with_capacity(200);
    for batch in 0..200_u64 {
        let start = Instant::now();
        for i in 0..1_000 {
            black_box(one(1_700_000_000_000 + batch * 1_000 + i));
        }
        per_order_ns.push(start.elapsed().as_nanos() as f64 / 1_000.0);
    }
    per_order_ns.sort_by(f64::total_cmp);
    println!(
        "validate+sign(HMAC)+encode one order: p50 {:.2} µs, p99 {:.2} µs (200 batches × 1,000 orders)",
        percentile(&per_order_ns, 0.50) / 1_000.0,
        percentile(&per_order_ns, 0.99) / 1_000.0
    );
}
