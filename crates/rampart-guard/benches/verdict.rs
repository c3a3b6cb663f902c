//! The guard's verdict for one order, with every detector on and a year of the user's history
//! loaded: `Guard::assess`, the call the engine makes on the order path before signing.
//!
//! `cargo bench -p rampart-guard --bench verdict`

use std::hint::black_box;
use std::time::Instant;

use rampart_core::{OrderType, Side, Venue};
use rampart_guard::{ContractValue, Guard, History, Moment, OrderFacts, Thresholds, Verdict};
use rust_decimal::Decimal;

const DAY_MS: i64 = 86_400_000;
/// 2026-11-27 12:00 UTC.
const NOW: i64 = 1_795_780_800_000;
const ACCOUNTS: [&str; 3] = ["demo-1", "demo-2", "binance-main"];
const SYMBOLS: [&str; 4] = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"];
/// Orders a day per account, spread over the trading hours.
const ORDERS_PER_DAY: i64 = 40;

fn facts<'a>(account: &'a str, symbol: &'a str, qty: Decimal, at_ms: i64) -> OrderFacts<'a> {
    OrderFacts {
        account,
        venue: if account.starts_with("demo") {
            Venue::Demo
        } else {
            Venue::BinanceUsdm
        },
        symbol,
        side: Side::Buy,
        order_type: OrderType::Limit,
        qty,
        price: Some(Decimal::new(59_900, 0)),
        trigger_price: None,
        mark: Some(Decimal::new(60_000, 0)),
        value: ContractValue::LINEAR,
        reduce_only: false,
        leverage: Some(10),
        position_qty: Decimal::new(5, 2),
        open_orders: 3,
        at: Moment {
            unix_ms: at_ms,
            utc_offset_s: 3_600,
        },
    }
}

fn percentile(sorted: &[u128], p: f64) -> u128 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn main() {
    // A year of history: every account trades every day from 08:00 to 18:00 UTC, sizes
    // varying around 0.01 so the size detector has a real spread to score against.
    let mut guard = Guard::new(Thresholds::default(), History::default(), "rp");
    let start = Instant::now();
    let mut sent = 0u64;
    for day in (1..=365).rev() {
        let day_start = NOW - NOW.rem_euclid(DAY_MS) - day * DAY_MS + 8 * 3_600_000;
        for i in 0..ORDERS_PER_DAY {
            for (a, account) in ACCOUNTS.iter().enumerate() {
                let symbol = SYMBOLS[(i as usize + a) % SYMBOLS.len()];
                let qty = Decimal::new(8 + (i + day) % 5, 3);
                let at = day_start + i * 15 * 60_000 + a as i64 * 1000;
                guard.record_sent(&facts(account, symbol, qty, at));
                sent += 1;
            }
        }
    }
    // And the last minutes of the session.
    for i in 0..6 {
        guard.record_sent(&facts(
            "demo-1",
            "BTCUSDT",
            Decimal::new(1, 2),
            NOW - 300_000 + i * 30_000,
        ));
    }
    println!(
        "history: {sent} orders over 365 days on {} accounts × {} instruments, loaded in {:.1} s",
        ACCOUNTS.len(),
        SYMBOLS.len(),
        start.elapsed().as_secs_f64()
    );
    // Each account's key as the audit read it at connect (trading, no IP restriction: a key
    // as Binance creates it, which raises a warning at connect): the key check runs on every
    // order too, and must cost no more than a look.
    for account in ACCOUNTS {
        guard.observe_key(
            account,
            rampart_core::trading::KeyPermissions {
                can_read: true,
                can_trade: true,
                can_withdraw: false,
                can_transfer: false,
                ip_restricted: false,
                created_ms: None,
            },
            Moment::utc(NOW - 3_600_000),
        );
    }
    let order = facts("demo-1", "BTCUSDT", Decimal::new(11, 3), NOW);
    let assessment = guard.assess(&order);
    assert_eq!(assessment.verdict, Verdict::Approved, "{assessment:?}");
    let big = facts("demo-1", "BTCUSDT", Decimal::new(2, 1), NOW);
    assert_eq!(
        guard.assess(&big).verdict,
        Verdict::NeedsStepUp,
        "20× the usual size"
    );

    for (name, order) in [
        ("a usual order (approved)", &order),
        ("20× the usual size (step-up, one warning)", &big),
    ] {
        for _ in 0..50_000 {
            black_box(guard.assess(black_box(order)));
        }
        let mut ns = Vec::with_capacity(200_000);
        for _ in 0..200_000 {
            let t = Instant::now();
            black_box(guard.assess(black_box(order)));
            ns.push(t.elapsed().as_nanos());
        }
        ns.sort_unstable();
        println!(
            "Guard::assess, {name}: p50 {} ns, p90 {} ns, p99 {} ns ({} calls, each timed, Instant's own cost included)",
            percentile(&ns, 0.50),
            percentile(&ns, 0.90),
            percentile(&ns, 0.99),
            ns.len()
        );
    }
}
