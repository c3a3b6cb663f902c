//! The product's order path in process, from the engine's place call to the request's bytes:
//! `OrderEngine::place` (account lookup, block check, the instrument's rules, the pre-trade
//! hook, the intent journaled, the order in flight) → the `DynVenue` trait → the real
//! `BinanceUsdm::prepare_order` (the neutral order as Binance's typed request, the cached
//! exchangeInfo filters, validation, regular/algo endpoint, recvWindow and venue-time
//! timestamp, form encoding, HMAC-SHA256 signature, the order budget) → back through the
//! engine, which records the outcome (queued in the journal, written with the next intent) and
//! settles the order.
//!
//! Only the socket write is replaced: the venue wrapper below calls the same
//! `BinanceUsdm::prepare_order` that `BinanceUsdm::place_order` calls, keeps the prepared
//! request's bytes, and answers with an acknowledgement instead of sending them. The clock
//! offset and the instruments are measured against a loopback simulator once, before timing;
//! the simulator is then stopped, so nothing in the timed loop can touch the network.
//!
//! What is counted per order: the whole `OrderEngine::place` call (Instant before and after),
//! and, inside it, the time the journal itself spent in write(2) and fdatasync(2) — its own
//! counter ([`OrderJournal::disk_time`]), read before and after the call. The figure against
//! the target ("without the journal's fsync") is the place call minus that disk time: encoding
//! the journal records, the lock, the engine's checks and book, the trait, validation, signing
//! and encoding are all in it; only the two system calls that hand the intent (and the outcome
//! queued from the previous order) to the file and make it durable are out, and they are
//! reported on their own lines. The journal is on tmpfs (/dev/shm) here, so even the totals
//! carry no disk latency; the real disk's write and fdatasync are measured in section 2.
//!
//! Sections:
//! 1. per-order latency, journal on tmpfs: without the journal's write+fdatasync (the target's
//!    figure); without its fdatasync only; in total; and the write and the fdatasync alone;
//! 2. `OrderJournal::record_intent` alone on the real disk (the target directory) and on tmpfs:
//!    the durable write the product pays per order, with its write(2) and fdatasync(2) apart;
//! 3. cost as work grows: 100,000 orders through the same path, the first and the last 1,000
//!    compared (the journal is append-only between compactions at open, and settled orders
//!    leave the engine's in-memory book).
//!
//! `cargo bench -p rampart-tests --bench engine_order_path`

use std::hint::black_box;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rampart_core::trading::{MarkPrice, OrderAck, OrderRequest, OrderStatus, PositionSide};
use rampart_core::{OrderType, Price, Qty, Side, Venue as VenueId};
use rampart_engine::orders::{
    ConnectionState, DiskTime, Intent, OrderEngine, OrderJournal, OrderTicket, ResolvePolicy,
};
use rampart_sim::binance_usdm::{SimAccount, SimConfig, SimServer};
use rampart_tests::intercept::{Intercepted, Interception};
use rampart_venues::binance_usdm::{BinanceUsdm, ClientOptions, RestClient};
use rampart_venues::venue::{BoxFuture, Result};

const KEY: &str = "bench-key-0000000000000000000000000000000000000000000000000000000000";
const SECRET: &str = "bench-secret-000000000000000000000000000000000000000000000000000000";
const ACCOUNT: &str = "bench";
const WARM_UP: usize = 2_000;
const SAMPLES: usize = 20_000;
const GROWTH_ORDERS: usize = 100_000;
const GROWTH_WINDOW: usize = 1_000;
const FSYNC_SAMPLES: usize = 300;

/// The socket write replaced: `place_order` prepares the request through
/// `BinanceUsdm::prepare_order` (what `BinanceUsdm::place_order` sends) and answers with an
/// acknowledgement without sending it. Its mark price is the simulator's mark read at set-up (the
/// engine reads the mark at most every 2 s as the orders' reference).
struct NoSocket {
    reference_price: Price,
    next_id: AtomicU64,
}

impl Interception for NoSocket {
    fn place_order<'a>(
        &'a self,
        connector: &'a BinanceUsdm,
        order: &'a OrderRequest,
    ) -> BoxFuture<'a, Result<OrderAck>> {
        Box::pin(async move {
            let prepared = connector.prepare_order(order).await?;
            // The bytes that would be written to the socket.
            black_box(prepared.body());
            Ok(OrderAck {
                venue_order_id: self.next_id.fetch_add(1, Ordering::Relaxed).to_string(),
                client_order_id: order.client_order_id.clone(),
                status: OrderStatus::Filled,
                filled_qty: order.qty.get(),
                avg_fill_price: Some(self.reference_price.get()),
            })
        })
    }

    /// The simulator's mark at set-up, as the venue's answer (no network in the timed loop).
    fn mark_price<'a>(
        &'a self,
        _: &'a BinanceUsdm,
        symbol: &'a str,
    ) -> BoxFuture<'a, Result<MarkPrice>> {
        Box::pin(async move {
            Ok(MarkPrice {
                symbol: symbol.to_owned(),
                mark: self.reference_price.get(),
                index: None,
                funding_rate: None,
                next_funding_ms: None,
                mark_iv: None,
                time_ms: 0,
            })
        })
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let last = sorted.len().saturating_sub(1);
    // Percentile index over at most 100,000 samples: exact enough in f64.
    let idx = ((last as f64) * p).round() as usize;
    sorted[idx.min(last)]
}

fn summary(mut samples: Vec<Duration>) -> String {
    samples.sort();
    format!(
        "p50 {:.2} µs, p99 {:.2} µs, max {:.1} µs",
        percentile(&samples, 0.50).as_secs_f64() * 1e6,
        percentile(&samples, 0.99).as_secs_f64() * 1e6,
        percentile(&samples, 1.0).as_secs_f64() * 1e6,
    )
}

fn ticket(i: usize) -> OrderTicket {
    OrderTicket {
        symbol: "BTCUSDT".into(),
        // Alternating sides, as a trader flattening would.
        side: if i.is_multiple_of(2) {
            Side::Buy
        } else {
            Side::Sell
        },
        order_type: OrderType::Market,
        qty: Qty::from_str("0.002").expect("a quantity"),
        price: None,
        trigger_price: None,
        time_in_force: None,
        reduce_only: false,
        trigger_by: None,
        margin_mode: None,
        position_side: PositionSide::Net,
    }
}

/// An engine over a fresh journal in `dir`, with one Binance account whose clock and
/// instruments were measured against a loopback simulator (stopped before this returns).
async fn engine_in(dir: &Path) -> Arc<OrderEngine> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    // Order limits high enough for 100,000 orders in a minute; published in exchangeInfo and
    // adopted by the connector's order budget.
    let config = SimConfig {
        accounts: vec![SimAccount {
            api_key: KEY.into(),
            api_secret: SECRET.into(),
            ..SimAccount::default()
        }],
        tick_interval_ms: 0,
        request_weight_limit: 10_000_000,
        order_limit_per_minute: 10_000_000,
        order_limit_per_10s: 10_000_000,
        ..Default::default()
    };
    let sim = SimServer::start(listener, config).expect("the simulator");
    let mark = sim.mark_price("BTCUSDT").expect("BTCUSDT's mark");
    let client = RestClient::with_options(&sim.base_url(), KEY, SECRET, &ClientOptions::default())
        .expect("a client for the simulator");
    let venue = Arc::new(Intercepted {
        connector: BinanceUsdm::new(client),
        interception: NoSocket {
            reference_price: Price::try_from(mark).expect("a positive mark"),
            next_id: AtomicU64::new(1),
        },
    });
    let (journal, unresolved) =
        OrderJournal::open(&dir.join("orders.journal"), &rampart_tests::journal_key())
            .expect("the order journal");
    let engine = OrderEngine::new(
        journal,
        unresolved,
        rampart_tests::new_guard(),
        std::sync::Arc::new(rampart_engine::orders::NoAccountFacts),
        ResolvePolicy::default(),
    );
    engine.attach(ACCOUNT, VenueId::BinanceUsdm, venue);
    // Bounded wait for the account to connect (clock measured, instruments read).
    for _ in 0..500 {
        let connection = engine.status().first().map(|s| s.connection.clone());
        match connection {
            Some(ConnectionState::Ready) => break,
            Some(ConnectionState::Failed(why)) => panic!("the account did not connect: {why}"),
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    sim.stop().await;
    engine
}

/// One order: the whole place call, and the part of it the journal spent in write(2) and
/// fdatasync(2) (its own counter, read before and after).
struct Timed {
    total: Duration,
    disk: DiskTime,
}

impl Timed {
    /// The place call without the journal's write and fdatasync.
    fn without_disk(&self) -> Duration {
        self.total.saturating_sub(self.disk.total())
    }
}

async fn place(engine: &Arc<OrderEngine>, i: usize) -> Timed {
    let ticket = ticket(i);
    let disk_before = engine.journal().disk_time();
    let started = Instant::now();
    let placed = rampart_tests::placed(
        engine
            .place(ACCOUNT, &ticket, rampart_tests::CONSENTED)
            .await,
    );
    let total = started.elapsed();
    let disk_after = engine.journal().disk_time();
    match placed {
        Ok(p) => {
            black_box(p);
        }
        Err(e) => panic!("order {i} was not placed: {e}"),
    }
    Timed {
        total,
        disk: DiskTime {
            write: disk_after.write - disk_before.write,
            sync: disk_after.sync - disk_before.sync,
        },
    }
}

/// Where the journal lives "without fsync cost": tmpfs when the machine has one.
fn tmpfs_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        tempfile::tempdir_in(shm).expect("a directory in /dev/shm")
    } else {
        println!("(no /dev/shm: the journal is on the target directory's disk)");
        tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a directory")
    }
}

async fn path_without_fsync() {
    let dir = tmpfs_dir();
    let engine = engine_in(dir.path()).await;
    for i in 0..WARM_UP {
        place(&engine, i).await;
    }
    let mut orders = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES {
        orders.push(place(&engine, WARM_UP + i).await);
    }
    println!(
        "engine place → request bytes without the journal's write+fdatasync, {SAMPLES} MARKET orders: {}",
        summary(orders.iter().map(Timed::without_disk).collect())
    );
    println!(
        "  the same orders without the journal's fdatasync only (its write counted): {}",
        summary(
            orders
                .iter()
                .map(|o| o.total.saturating_sub(o.disk.sync))
                .collect()
        )
    );
    println!(
        "  the same orders in total, journal on tmpfs: {}",
        summary(orders.iter().map(|o| o.total).collect())
    );
    println!(
        "  of which the journal's write(2): {}",
        summary(orders.iter().map(|o| o.disk.write).collect())
    );
    println!(
        "  of which the journal's fdatasync(2) on tmpfs: {}",
        summary(orders.iter().map(|o| o.disk.sync).collect())
    );
    assert_eq!(engine.pending_count(), 0, "every order settled");
}

fn intent(i: usize) -> Intent {
    Intent {
        client_order_id: rampart_engine::orders::new_client_order_id(),
        account_id: ACCOUNT.into(),
        venue: VenueId::BinanceUsdm,
        symbol: "BTCUSDT".into(),
        side: if i.is_multiple_of(2) {
            Side::Buy
        } else {
            Side::Sell
        },
        order_type: OrderType::Market,
        qty: rust_decimal::Decimal::new(2, 3),
        price: None,
        trigger_price: None,
        time_in_force: None,
        reduce_only: false,
        trigger_by: None,
        margin_mode: None,
        position_side: PositionSide::Net,
        sent_at_ms: 1_700_000_000_000,
        recv_window_ms: 5_000,
    }
}

fn record_intent_on(dir: &Path, label: &str) {
    let (journal, _) =
        OrderJournal::open(&dir.join("orders.journal"), &rampart_tests::journal_key())
            .expect("the journal");
    for i in 0..20 {
        journal.record_intent(&intent(i)).expect("written");
    }
    let mut samples = Vec::with_capacity(FSYNC_SAMPLES);
    let mut writes = Vec::with_capacity(FSYNC_SAMPLES);
    let mut syncs = Vec::with_capacity(FSYNC_SAMPLES);
    for i in 0..FSYNC_SAMPLES {
        let intent = intent(i);
        let disk_before = journal.disk_time();
        let started = Instant::now();
        journal.record_intent(&intent).expect("written");
        samples.push(started.elapsed());
        let disk_after = journal.disk_time();
        writes.push(disk_after.write - disk_before.write);
        syncs.push(disk_after.sync - disk_before.sync);
    }
    println!(
        "OrderJournal::record_intent alone (encode + write + fdatasync), {label}, {FSYNC_SAMPLES} records: {}",
        summary(samples)
    );
    println!("  its write(2): {}", summary(writes));
    println!("  its fdatasync(2): {}", summary(syncs));
}

async fn cost_as_work_grows() {
    let dir = tmpfs_dir();
    let engine = engine_in(dir.path()).await;
    let mut first = Vec::with_capacity(GROWTH_WINDOW);
    let mut last = Vec::with_capacity(GROWTH_WINDOW);
    let started = Instant::now();
    for i in 0..GROWTH_ORDERS {
        let took = place(&engine, i).await.without_disk();
        if i < GROWTH_WINDOW {
            first.push(took);
        } else if i >= GROWTH_ORDERS - GROWTH_WINDOW {
            last.push(took);
        }
    }
    let total = started.elapsed();
    let journal_bytes = std::fs::metadata(dir.path().join("orders.journal"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "{GROWTH_ORDERS} orders through the same path in {:.2} s; orders in the engine's book at the end: {}; journal {} MB (compacted to the unresolved intents at the next open)",
        total.as_secs_f64(),
        engine.pending_count(),
        journal_bytes / 1_000_000,
    );
    println!(
        "  first {GROWTH_WINDOW} (without the journal's write+fdatasync): {}",
        summary(first)
    );
    println!("  last {GROWTH_WINDOW}:  {}", summary(last));
    assert_eq!(engine.pending_count(), 0, "settled orders leave the book");
    drop(engine);
    let (_, unresolved) = OrderJournal::open(
        &dir.path().join("orders.journal"),
        &rampart_tests::journal_key(),
    )
    .expect("reopened");
    let compacted = std::fs::metadata(dir.path().join("orders.journal"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "  reopened: {} unresolved intents, journal {compacted} bytes after compaction",
        unresolved.len()
    );
}

fn main() {
    println!(
        "(cargo bench -p rampart-tests --bench engine_order_path; release profile, one thread)"
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(path_without_fsync());
    let disk = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a directory on disk");
    record_intent_on(disk.path(), "on the real disk (the target directory)");
    let shm = tmpfs_dir();
    record_intent_on(shm.path(), "on tmpfs");
    runtime.block_on(cost_as_work_grows());
}
