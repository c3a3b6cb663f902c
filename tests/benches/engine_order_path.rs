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
//! The same path is measured for Bybit v5 (`Bybit::prepare_order`: cached rules, checks, the
//! JSON body, venue-time timestamp, the IP and `/v5/order/create` budgets, HMAC-SHA256 over
//! timestamp + key + recv_window + body), OKX v5 (`Okx::prepare_order`: client id, cached
//! rules, checks, position mode, the JSON body, the order's rate windows, ISO timestamp,
//! HMAC-SHA256 over timestamp + method + path + body, base64) and Deribit v2
//! (`Deribit::prepare_order`: the label's form, cached rules, checks, `private/buy` or
//! `private/sell` and its params with `valid_until` in venue time, the matching-engine credits,
//! the OAuth access token held for the transport, the JSON-RPC request id and text). Each
//! account is connected to its venue's simulator (`rampart_sim::bybit`, `::okx`, `::deribit`)
//! and places one real order through the connector's own `place_order` before the simulator
//! stops. Deribit's account opens its WebSocket when it connects (the set-up order goes over
//! it) and holds an HTTP token from the key audit; the socket ends with the simulator, so its
//! timed orders are prepared for HTTP (the body, the token for `Authorization: Bearer`), the
//! transport the connector uses when the socket is down; over the socket the same steps run
//! with the socket's token written into the frame. Deribit's simulator publishes the highest
//! matching-engine tier (30 orders a second, bursts of 100) in the account summary, which the
//! connector adopts (the set-up reads it, as the app does for the balances). The connectors
//! keep their venues' budgets (Bybit: 600 requests per 5 s per IP; OKX: 60 new orders per 2 s
//! per instrument; Deribit: the matching-engine credit bucket), which the product enforces
//! before a request is signed or given its token: their orders are placed in bursts within
//! those budgets, with a pause between bursts outside the timed calls.
//!
//! Sections:
//! 1. per venue (Binance, Bybit, OKX, Deribit), per-order latency, journal on tmpfs: without the journal's write+fdatasync
//!    (the target's figure); without its fdatasync only; in total; and the write and the
//!    fdatasync alone;
//! 2. `OrderJournal::record_intent` alone on the real disk (the target directory) and on tmpfs:
//!    the durable write the product pays per order, with its write(2) and fdatasync(2) apart;
//! 3. cost as work grows (Binance): 100,000 orders through the same path, the first and the
//!    last 1,000 compared (the journal is append-only between compactions at open, and settled
//!    orders leave the engine's in-memory book).
//!
//! `cargo bench -p rampart-tests --bench engine_order_path [-- --venue binance|bybit|okx|deribit]`
//! (`--venue` repeatable; every venue when none is named; sections 2 and 3 run with Binance).
//! `--paced` runs Binance's section 1 in OKX's bursts too, to compare the venues under the
//! same pacing.

use std::hint::black_box;
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rampart_core::trading::{
    MarginMode, MarkPrice, OrderAck, OrderRequest, OrderStatus, PositionSide,
};
use rampart_core::{OrderType, Price, Qty, Side, Venue as VenueId};
use rampart_engine::orders::{
    ConnectionState, DiskTime, Intent, OrderEngine, OrderJournal, OrderTicket, ResolvePolicy,
};
use rampart_sim::binance_usdm::{SimAccount, SimConfig, SimServer};
use rampart_tests::intercept::{Intercepted, Interception};
use rampart_venues::binance_usdm::{BinanceUsdm, ClientOptions, RestClient};
use rampart_venues::bybit::Bybit;
use rampart_venues::deribit::Deribit;
use rampart_venues::okx::Okx;
use rampart_venues::venue::{BoxFuture, DynVenue, Result, Venue};

const KEY: &str = "bench-key-0000000000000000000000000000000000000000000000000000000000";
const SECRET: &str = "bench-secret-000000000000000000000000000000000000000000000000000000";
const PASSPHRASE: &str = "bench-passphrase";
/// Deribit's client id and secret (letters and digits).
const DERIBIT_ID: &str = "RampartBenchDrbt";
const DERIBIT_SECRET: &str = "B3nchQ7xv2K9mT4wL1pR6sN3yB8cF5hJ0dG7zA2eU4i";
const ACCOUNT: &str = "bench";
const WARM_UP: usize = 2_000;
const SAMPLES: usize = 20_000;
/// Bybit, OKX and Deribit: fewer orders, as their budgets pace them (see [`Pace`]).
const PACED_WARM_UP: usize = 200;
const PACED_SAMPLES: usize = 2_000;
const GROWTH_ORDERS: usize = 100_000;
const GROWTH_WINDOW: usize = 1_000;
const FSYNC_SAMPLES: usize = 300;
/// The mark the Bybit, OKX and Deribit simulators are set to.
const BENCH_MARK: i64 = 60_000;

/// The venues measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Binance,
    Bybit,
    Okx,
    Deribit,
}

impl Which {
    fn name(self) -> &'static str {
        match self {
            Which::Binance => "Binance USDⓈ-M",
            Which::Bybit => "Bybit v5",
            Which::Okx => "OKX v5",
            Which::Deribit => "Deribit v2",
        }
    }
}

/// Orders in a burst, and the pause after it (outside the timed calls), to stay within a
/// venue's fixed budget as the connector enforces it.
#[derive(Debug, Clone, Copy)]
struct Pace {
    burst: usize,
    pause: Duration,
}

/// Each `prepare_order`'s duration, in order.
type PrepareTimes = Arc<Mutex<Vec<Duration>>>;

/// The last `n` of `times`.
fn last_prepare_times(times: &PrepareTimes, n: usize) -> Vec<Duration> {
    let all = times.lock().unwrap_or_else(|p| p.into_inner());
    all[all.len().saturating_sub(n)..].to_vec()
}

/// The socket write replaced: `place_order` prepares the request through the connector's
/// `prepare_order` (what its own `place_order` sends) and answers with an acknowledgement
/// without sending it. Its mark price is the venue's mark read at set-up (the engine reads the
/// mark at most every 2 s as the orders' reference). With `send` set, the connector's own
/// `place_order` runs instead (set-up only).
struct NoSocket {
    reference_price: Price,
    next_id: AtomicU64,
    send: AtomicBool,
    /// How long each `prepare_order` took (the connector's share of the place call).
    prepare: PrepareTimes,
}

impl NoSocket {
    fn new(reference_price: Price, prepare: PrepareTimes) -> Self {
        NoSocket {
            reference_price,
            next_id: AtomicU64::new(1),
            send: AtomicBool::new(false),
            prepare,
        }
    }

    fn record_prepare(&self, took: Duration) {
        self.prepare
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(took);
    }

    fn ack(&self, order: &OrderRequest) -> OrderAck {
        OrderAck {
            venue_order_id: self.next_id.fetch_add(1, Ordering::Relaxed).to_string(),
            client_order_id: order.client_order_id.clone(),
            status: OrderStatus::Filled,
            filled_qty: order.qty.get(),
            avg_fill_price: Some(self.reference_price.get()),
        }
    }

    /// The mark at set-up, as the venue's answer (no network in the timed loop).
    fn mark<'a>(&'a self, symbol: &'a str) -> BoxFuture<'a, Result<MarkPrice>> {
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

impl Interception for NoSocket {
    fn place_order<'a>(
        &'a self,
        connector: &'a BinanceUsdm,
        order: &'a OrderRequest,
    ) -> BoxFuture<'a, Result<OrderAck>> {
        Box::pin(async move {
            let started = Instant::now();
            let prepared = connector.prepare_order(order).await?;
            self.record_prepare(started.elapsed());
            // The bytes that would be written to the socket.
            black_box(prepared.body());
            black_box(prepared.api_key_header());
            Ok(self.ack(order))
        })
    }

    fn mark_price<'a>(
        &'a self,
        _: &'a BinanceUsdm,
        symbol: &'a str,
    ) -> BoxFuture<'a, Result<MarkPrice>> {
        self.mark(symbol)
    }
}

impl Interception<Bybit> for NoSocket {
    fn place_order<'a>(
        &'a self,
        connector: &'a Bybit,
        order: &'a OrderRequest,
    ) -> BoxFuture<'a, Result<OrderAck>> {
        Box::pin(async move {
            if self.send.load(Ordering::Relaxed) {
                return Venue::place_order(connector, order).await;
            }
            let started = Instant::now();
            let prepared = connector.prepare_order(order).await?;
            self.record_prepare(started.elapsed());
            black_box(prepared.body());
            black_box(prepared.headers());
            Ok(self.ack(order))
        })
    }

    fn mark_price<'a>(&'a self, _: &'a Bybit, symbol: &'a str) -> BoxFuture<'a, Result<MarkPrice>> {
        self.mark(symbol)
    }
}

impl Interception<Okx> for NoSocket {
    fn place_order<'a>(
        &'a self,
        connector: &'a Okx,
        order: &'a OrderRequest,
    ) -> BoxFuture<'a, Result<OrderAck>> {
        Box::pin(async move {
            let started = Instant::now();
            let prepared = connector.prepare_order(order).await?;
            self.record_prepare(started.elapsed());
            black_box(prepared.body());
            black_box(prepared.headers());
            Ok(self.ack(order))
        })
    }

    fn mark_price<'a>(&'a self, _: &'a Okx, symbol: &'a str) -> BoxFuture<'a, Result<MarkPrice>> {
        self.mark(symbol)
    }
}

impl Interception<Deribit> for NoSocket {
    fn place_order<'a>(
        &'a self,
        connector: &'a Deribit,
        order: &'a OrderRequest,
    ) -> BoxFuture<'a, Result<OrderAck>> {
        Box::pin(async move {
            if self.send.load(Ordering::Relaxed) {
                return Venue::place_order(connector, order).await;
            }
            let started = Instant::now();
            let prepared = connector.prepare_order(order).await?;
            self.record_prepare(started.elapsed());
            // The JSON-RPC request as written, and the token of its `Authorization` header.
            black_box(prepared.text());
            black_box(prepared.access_token());
            Ok(self.ack(order))
        })
    }

    fn mark_price<'a>(
        &'a self,
        _: &'a Deribit,
        symbol: &'a str,
    ) -> BoxFuture<'a, Result<MarkPrice>> {
        self.mark(symbol)
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

/// What is ordered on a venue: MARKET, 0.002 BTC (OKX counts BTC-USDT-SWAP in contracts of
/// 0.01 BTC: 0.2 of them), or on Deribit 10 BTC-PERPETUAL contracts of 10 USD (100 USD, about
/// 0.0017 BTC at the bench's mark); sides alternating.
struct Instrument {
    symbol: &'static str,
    qty: &'static str,
}

fn instrument(which: Which) -> Instrument {
    match which {
        Which::Binance | Which::Bybit => Instrument {
            symbol: "BTCUSDT",
            qty: "0.002",
        },
        Which::Okx => Instrument {
            symbol: "BTC-USDT-SWAP",
            qty: "0.2",
        },
        Which::Deribit => Instrument {
            symbol: "BTC-PERPETUAL",
            qty: "10",
        },
    }
}

fn ticket(which: Which, i: usize) -> OrderTicket {
    let instrument = instrument(which);
    OrderTicket {
        symbol: instrument.symbol.into(),
        // Alternating sides, as a trader flattening would.
        side: if i.is_multiple_of(2) {
            Side::Buy
        } else {
            Side::Sell
        },
        order_type: OrderType::Market,
        qty: Qty::from_str(instrument.qty).expect("a quantity"),
        price: None,
        trigger_price: None,
        time_in_force: None,
        reduce_only: false,
        trigger_by: None,
        // OKX takes the margin mode (`tdMode`) on every order.
        margin_mode: (which == Which::Okx).then_some(MarginMode::Cross),
        position_side: PositionSide::Net,
    }
}

/// An engine over a fresh journal in `dir` with `venue` attached as the one account, once it is
/// connected (clock measured, instruments read, key audited).
async fn engine_with(dir: &Path, venue_id: VenueId, venue: Arc<dyn DynVenue>) -> Arc<OrderEngine> {
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
    engine.attach(ACCOUNT, venue_id, venue);
    // Bounded wait for the account to connect (clock measured, instruments read).
    for _ in 0..500 {
        let connection = engine.status().first().map(|s| s.connection.clone());
        match connection {
            Some(ConnectionState::Ready) => break,
            Some(ConnectionState::Failed(why)) => panic!("the account did not connect: {why}"),
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    engine
}

fn client_options() -> ClientOptions {
    // The whole of each budget: the bench paces itself to it.
    ClientOptions {
        margin_percent: 0,
        ..ClientOptions::default()
    }
}

/// An engine with one Binance account whose clock and instruments were measured against a
/// loopback simulator (stopped before this returns).
async fn binance_engine(dir: &Path, prepare: PrepareTimes) -> Arc<OrderEngine> {
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
        interception: NoSocket::new(Price::try_from(mark).expect("a positive mark"), prepare),
    });
    let engine = engine_with(dir, VenueId::BinanceUsdm, venue).await;
    sim.stop().await;
    engine
}

/// An engine with one Bybit account connected to `rampart_sim::bybit` on loopback, which has
/// taken one real order from the connector's own `place_order` (its answer carries the
/// simulator's `/v5/order/create` limit, which the connector adopts); the simulator is stopped
/// before this returns.
async fn bybit_engine(dir: &Path, prepare: PrepareTimes) -> (Arc<OrderEngine>, Pace) {
    use rampart_sim::bybit;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let config = bybit::SimConfig {
        accounts: vec![bybit::SimAccount {
            api_key: KEY.into(),
            api_secret: SECRET.into(),
            ..bybit::SimAccount::default()
        }],
        tick_interval_ms: 0,
        order_create_per_second: 10_000_000,
        ip_requests_per_5s: 10_000_000,
        ..Default::default()
    };
    let sim = bybit::SimServer::start(listener, config).expect("the Bybit simulator");
    let mark = rust_decimal::Decimal::from(BENCH_MARK);
    assert!(sim.set_mark_price("BTCUSDT", mark), "BTCUSDT is listed");
    let client = rampart_venues::bybit::RestClient::with_options(
        &sim.base_url(),
        KEY,
        SECRET,
        &client_options(),
    )
    .expect("a client for the Bybit simulator");
    let venue = Arc::new(Intercepted {
        connector: Bybit::new(client),
        interception: NoSocket::new(Price::try_from(mark).expect("a positive mark"), prepare),
    });
    let engine = engine_with(dir, VenueId::Bybit, venue.clone()).await;
    place_one_for_real(&engine, &venue.interception, Which::Bybit).await;
    sim.stop().await;
    // Bybit's IP budget (600 requests per 5 s, fixed) is the tighter one: 550 orders a burst
    // leaves room for the set-up's requests still in the window.
    let pace = Pace {
        burst: 550,
        pause: Duration::from_millis(5_100),
    };
    (engine, pace)
}

/// An engine with one OKX account connected to `rampart_sim::okx` on loopback, which has taken
/// one real order from the connector's own `place_order`; the simulator is stopped before this
/// returns.
async fn okx_engine(dir: &Path, prepare: PrepareTimes) -> (Arc<OrderEngine>, Pace) {
    use rampart_sim::okx;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let config = okx::SimConfig {
        accounts: vec![okx::SimAccount {
            api_key: KEY.into(),
            api_secret: SECRET.into(),
            passphrase: PASSPHRASE.into(),
            ..okx::SimAccount::default()
        }],
        tick_interval_ms: 0,
        ..Default::default()
    };
    let sim = okx::SimServer::start(listener, config).expect("the OKX simulator");
    let mark = rust_decimal::Decimal::from(BENCH_MARK);
    assert!(
        sim.set_mark_price("BTC-USDT-SWAP", mark),
        "BTC-USDT-SWAP is listed"
    );
    let client = rampart_venues::okx::RestClient::with_options(
        &sim.base_url(),
        KEY,
        SECRET,
        PASSPHRASE,
        &client_options(),
    )
    .expect("a client for the OKX simulator");
    let venue = Arc::new(Intercepted {
        connector: Okx::new(client),
        interception: NoSocket::new(Price::try_from(mark).expect("a positive mark"), prepare),
    });
    let engine = engine_with(dir, VenueId::Okx, venue.clone()).await;
    place_one_for_real(&engine, &venue.interception, Which::Okx).await;
    sim.stop().await;
    // OKX: 60 new orders per 2 s per instrument (fixed); the set-up's order is in the window.
    let pace = Pace {
        burst: 59,
        pause: Duration::from_millis(2_050),
    };
    (engine, pace)
}

/// An engine with one Deribit account connected to `rampart_sim::deribit` on loopback (clock
/// measured and WebSocket opened, instruments read, key audited with the HTTP access token,
/// the account summary read: its `limits` size the connector's credit buckets, as they do when
/// the app reads the balances), which has taken one real order from the connector's own
/// `place_order` over the WebSocket; the simulator is stopped, and the socket with it, before
/// this returns, so the orders are prepared for HTTP (the transport when the socket is down).
async fn deribit_engine(dir: &Path, prepare: PrepareTimes) -> (Arc<OrderEngine>, Pace) {
    use rampart_sim::deribit;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let config = deribit::SimConfig {
        accounts: vec![deribit::SimAccount {
            client_id: DERIBIT_ID.into(),
            client_secret: DERIBIT_SECRET.into(),
            scope: deribit::SimScope::default(),
        }],
        tick_interval_ms: 0,
        // Deribit's highest matching-engine tier: 30 orders a second, bursts of 100.
        rate_limits: deribit::RateLimits {
            matching_burst: 100,
            matching_per_second: 30,
            ..deribit::RateLimits::default()
        },
        ..Default::default()
    };
    let sim = deribit::SimServer::start(listener, config).expect("the Deribit simulator");
    let mark = rust_decimal::Decimal::from(BENCH_MARK);
    assert!(
        sim.set_mark_price("BTC-PERPETUAL", mark),
        "BTC-PERPETUAL is listed"
    );
    let client = rampart_venues::deribit::RpcClient::with_options(
        &sim.base_url(),
        DERIBIT_ID,
        DERIBIT_SECRET,
        &client_options(),
    )
    .expect("a client for the Deribit simulator");
    let venue = Arc::new(Intercepted {
        connector: Deribit::new(client),
        interception: NoSocket::new(Price::try_from(mark).expect("a positive mark"), prepare),
    });
    let engine = engine_with(dir, VenueId::Deribit, venue.clone()).await;
    let balances = Venue::balances(&venue.connector)
        .await
        .expect("the Deribit account summary");
    black_box(balances);
    assert!(
        venue.connector.client().socket_up().await,
        "the account's WebSocket is open"
    );
    place_one_for_real(&engine, &venue.interception, Which::Deribit).await;
    sim.stop().await;
    // Bounded wait for the socket to see the simulator close it.
    for _ in 0..200 {
        if !venue.connector.client().socket_up().await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        !venue.connector.client().socket_up().await,
        "the WebSocket ended with the simulator"
    );
    // The matching-engine bucket: 100 orders' credits refilled at 30 a second (3.34 s for a
    // full bucket); the set-up's order is in the first burst's.
    let pace = Pace {
        burst: 99,
        pause: Duration::from_millis(3_400),
    };
    (engine, pace)
}

/// The set-up's one real order: the interception lets the connector write it to the venue's
/// simulator (its own `place_order`), so the budgets and the connection are a live session's.
async fn place_one_for_real(engine: &Arc<OrderEngine>, interception: &NoSocket, which: Which) {
    interception.send.store(true, Ordering::Relaxed);
    let sent = rampart_tests::placed(
        engine
            .place(ACCOUNT, &ticket(which, 0), rampart_tests::CONSENTED)
            .await,
    )
    .unwrap_or_else(|e| panic!("one order placed on the {} simulator: {e:?}", which.name()));
    black_box(sent);
    interception.send.store(false, Ordering::Relaxed);
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

async fn place(engine: &Arc<OrderEngine>, which: Which, i: usize) -> Timed {
    let ticket = ticket(which, i);
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
        Err(e) => panic!("{} order {i} was not placed: {e}", which.name()),
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

async fn path_without_fsync(which: Which) {
    let dir = tmpfs_dir();
    let times = PrepareTimes::default();
    let (engine, pace, warm_up, samples) = match which {
        // `--paced`: in OKX's bursts, to compare like with like.
        Which::Binance if std::env::args().any(|a| a == "--paced") => (
            binance_engine(dir.path(), times.clone()).await,
            Some(Pace {
                burst: 60,
                pause: Duration::from_millis(2_050),
            }),
            PACED_WARM_UP,
            PACED_SAMPLES,
        ),
        Which::Binance => (
            binance_engine(dir.path(), times.clone()).await,
            None,
            WARM_UP,
            SAMPLES,
        ),
        Which::Bybit => {
            let (engine, pace) = bybit_engine(dir.path(), times.clone()).await;
            (engine, Some(pace), PACED_WARM_UP, PACED_SAMPLES)
        }
        Which::Okx => {
            let (engine, pace) = okx_engine(dir.path(), times.clone()).await;
            (engine, Some(pace), PACED_WARM_UP, PACED_SAMPLES)
        }
        Which::Deribit => {
            let (engine, pace) = deribit_engine(dir.path(), times.clone()).await;
            (engine, Some(pace), PACED_WARM_UP, PACED_SAMPLES)
        }
    };
    let pending_before = engine.pending_count();
    let mut orders = Vec::with_capacity(samples);
    let started = Instant::now();
    for i in 0..warm_up + samples {
        if let Some(pace) = pace
            && i > 0
            && i.is_multiple_of(pace.burst)
        {
            tokio::time::sleep(pace.pause).await;
        }
        let timed = place(&engine, which, i + 1).await;
        if i >= warm_up {
            orders.push(timed);
        }
    }
    let wall = started.elapsed();
    println!("{}:", which.name());
    if let Some(pace) = pace {
        println!(
            "  ({} orders in bursts of {} with {} ms between them, within the venue's budget; {:.1} s)",
            warm_up + samples,
            pace.burst,
            pace.pause.as_millis(),
            wall.as_secs_f64()
        );
    }
    println!(
        "  engine place → request bytes without the journal's write+fdatasync, {samples} MARKET orders: {}",
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
    println!(
        "  of which the connector's prepare_order (validation, body, timestamp, budget, signature): {}",
        summary(last_prepare_times(&times, samples))
    );
    assert_eq!(
        engine.pending_count(),
        pending_before,
        "every order settled"
    );
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
    let engine = binance_engine(dir.path(), PrepareTimes::default()).await;
    let mut first = Vec::with_capacity(GROWTH_WINDOW);
    let mut last = Vec::with_capacity(GROWTH_WINDOW);
    let started = Instant::now();
    for i in 0..GROWTH_ORDERS {
        let took = place(&engine, Which::Binance, i).await.without_disk();
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

/// The venues named on the command line (`--venue NAME`, repeatable), or all four.
fn venues() -> Vec<Which> {
    let mut named = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = match arg.strip_prefix("--venue=") {
            Some(v) => v.to_owned(),
            None if arg == "--venue" => args.next().unwrap_or_default(),
            // `cargo bench` adds `--bench`; anything else is not this bench's.
            None => continue,
        };
        named.push(match value.to_ascii_lowercase().as_str() {
            "binance" | "binance_usdm" => Which::Binance,
            "bybit" => Which::Bybit,
            "okx" => Which::Okx,
            "deribit" => Which::Deribit,
            other => panic!("--venue takes binance, bybit, okx or deribit, not {other:?}"),
        });
    }
    if named.is_empty() {
        vec![Which::Binance, Which::Bybit, Which::Okx, Which::Deribit]
    } else {
        named
    }
}

fn main() {
    println!(
        "(cargo bench -p rampart-tests --bench engine_order_path; release profile, one thread)"
    );
    let venues = venues();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    for which in &venues {
        runtime.block_on(path_without_fsync(*which));
    }
    if venues.contains(&Which::Binance) {
        let disk = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a directory on disk");
        record_intent_on(disk.path(), "on the real disk (the target directory)");
        let shm = tmpfs_dir();
        record_intent_on(shm.path(), "on tmpfs");
        runtime.block_on(cost_as_work_grows());
    }
}
