//! A process for the crash tests (tests/integration/order_engine.rs): it connects one account to
//! a simulator through the engine's real order path, places one order, and kills itself with
//! SIGKILL at a chosen point — after the intent is on disk but before the first byte is sent, or
//! after the venue has taken the order but before its answer is journaled.
//!
//! Usage: `order-crash-child BASE_URL API_KEY API_SECRET JOURNAL before-send|after-send`

use std::sync::Arc;
use std::time::Duration;

use rampart_core::trading::{OrderAck, OrderRequest};
use rampart_core::{OrderType, Side, Venue as VenueId};
use rampart_engine::orders::{
    ConnectionState, OrderEngine, OrderJournal, OrderTicket, ResolvePolicy,
};
use rampart_tests::intercept::{Intercepted, Interception};
use rampart_venues::binance_usdm::{BinanceUsdm, ClientOptions, RestClient};
use rampart_venues::venue::{BoxFuture, DynVenue, Result, Venue};

#[derive(Clone, Copy, PartialEq, Eq)]
enum CrashPoint {
    BeforeSend,
    AfterSend,
}

/// SIGKILL to this process: no destructors, no flushing, as a power cut or `kill -9` would.
fn kill_self() -> ! {
    let pid = std::process::id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status();
    // SIGKILL ends the process before `status` returns; should `kill` be missing, abort.
    std::process::abort()
}

/// Dies at the crash point inside `place_order`.
struct Crash(CrashPoint);

impl Interception for Crash {
    fn place_order<'a>(
        &'a self,
        connector: &'a BinanceUsdm,
        order: &'a OrderRequest,
    ) -> BoxFuture<'a, Result<OrderAck>> {
        Box::pin(async move {
            if self.0 == CrashPoint::BeforeSend {
                kill_self();
            }
            let answer = Venue::place_order(connector, order).await;
            eprintln!("venue answered: {:?}", answer.as_ref().map(|a| &a.status));
            kill_self()
        })
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, key, secret, journal, point] = args.as_slice() else {
        eprintln!("usage: order-crash-child BASE KEY SECRET JOURNAL before-send|after-send");
        std::process::exit(2);
    };
    let point = match point.as_str() {
        "before-send" => CrashPoint::BeforeSend,
        "after-send" => CrashPoint::AfterSend,
        other => {
            eprintln!("unknown crash point {other}");
            std::process::exit(2);
        }
    };
    let options = ClientOptions {
        recv_window_ms: 1_000,
        ..ClientOptions::default()
    };
    let client = RestClient::with_options(base, key, secret, &options).expect("client");
    let venue: Arc<dyn DynVenue> = Arc::new(Intercepted {
        connector: BinanceUsdm::new(client),
        interception: Crash(point),
    });
    let (journal, _) =
        OrderJournal::open(std::path::Path::new(journal), &rampart_tests::journal_key())
            .expect("journal");
    let engine = OrderEngine::new(
        journal,
        Vec::new(),
        rampart_tests::new_guard(),
        std::sync::Arc::new(rampart_engine::orders::NoAccountFacts),
        ResolvePolicy::default(),
    );
    engine.attach("acc", VenueId::BinanceUsdm, venue);
    for _ in 0..200 {
        if engine
            .status()
            .iter()
            .all(|s| s.connection == ConnectionState::Ready)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let ticket = OrderTicket {
        symbol: "BTCUSDT".into(),
        side: Side::Buy,
        order_type: OrderType::Limit,
        qty: "0.002".parse().expect("qty"),
        price: Some("59000".parse().expect("price")),
        trigger_price: None,
        time_in_force: None,
        reduce_only: false,
        trigger_by: None,
        margin_mode: None,
        position_side: Default::default(),
    };
    let placed =
        rampart_tests::placed(engine.place("acc", &ticket, rampart_tests::CONSENTED).await);
    // Reaching here means the crash point was not hit.
    eprintln!("placed without crashing: {placed:?}");
    std::process::exit(3);
}
