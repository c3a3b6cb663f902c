//! A process for the crash tests (tests/integration/order_engine.rs): it connects one account to
//! a simulator through the engine's real order path, places one order, and kills itself with
//! SIGKILL at a chosen point — after the intent is on disk but before the first byte is sent, or
//! after the venue has taken the order but before its answer is journaled.
//!
//! Usage: `order-crash-child BASE_URL API_KEY API_SECRET JOURNAL before-send|after-send`

use std::sync::Arc;
use std::time::Duration;

use rampart_core::trading::{
    Balance, ClientIdLookup, DeadMansScope, InstrumentRules, Leverage, LeverageRequest, MarginMode,
    MarkPrice, OrderAck, OrderBook, OrderRequest, OrderState, Position, VenueCapabilities,
};
use rampart_core::{OrderType, Side, Venue as VenueId};
use rampart_engine::orders::{
    ConnectionState, NoPreTradeChecks, OrderEngine, OrderJournal, OrderTicket, ResolvePolicy,
};
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

/// The real Binance connector, dying at the crash point inside `place_order`.
struct Crashing {
    inner: BinanceUsdm,
    point: CrashPoint,
}

impl DynVenue for Crashing {
    fn venue(&self) -> VenueId {
        Venue::venue(&self.inner)
    }
    fn capabilities(&self) -> VenueCapabilities {
        Venue::capabilities(&self.inner)
    }
    fn venue_time_ms(&self) -> Option<i64> {
        Venue::venue_time_ms(&self.inner)
    }
    fn request_validity(&self) -> Duration {
        Venue::request_validity(&self.inner)
    }
    fn sync_clock(&self) -> BoxFuture<'_, Result<i64>> {
        Box::pin(Venue::sync_clock(&self.inner))
    }
    fn instruments(&self, refresh: bool) -> BoxFuture<'_, Result<Vec<InstrumentRules>>> {
        Box::pin(Venue::instruments(&self.inner, refresh))
    }
    fn place_order<'a>(&'a self, order: &'a OrderRequest) -> BoxFuture<'a, Result<OrderAck>> {
        Box::pin(async move {
            if self.point == CrashPoint::BeforeSend {
                kill_self();
            }
            let answer = Venue::place_order(&self.inner, order).await;
            eprintln!("venue answered: {:?}", answer.as_ref().map(|a| &a.status));
            kill_self()
        })
    }
    fn order_by_client_id<'a>(
        &'a self,
        symbol: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<ClientIdLookup>> {
        Box::pin(Venue::order_by_client_id(&self.inner, symbol, id))
    }
    fn cancel_by_client_id<'a>(
        &'a self,
        symbol: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<OrderState>> {
        Box::pin(Venue::cancel_by_client_id(&self.inner, symbol, id))
    }
    fn cancel_all<'a>(&'a self, symbol: Option<&'a str>) -> BoxFuture<'a, Result<()>> {
        Box::pin(Venue::cancel_all(&self.inner, symbol))
    }
    fn open_orders<'a>(
        &'a self,
        symbol: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<OrderState>>> {
        Box::pin(Venue::open_orders(&self.inner, symbol))
    }
    fn balances(&self) -> BoxFuture<'_, Result<Vec<Balance>>> {
        Box::pin(Venue::balances(&self.inner))
    }
    fn positions<'a>(&'a self, symbol: Option<&'a str>) -> BoxFuture<'a, Result<Vec<Position>>> {
        Box::pin(Venue::positions(&self.inner, symbol))
    }
    fn mark_price<'a>(&'a self, symbol: &'a str) -> BoxFuture<'a, Result<MarkPrice>> {
        Box::pin(Venue::mark_price(&self.inner, symbol))
    }
    fn order_book<'a>(&'a self, symbol: &'a str, depth: u32) -> BoxFuture<'a, Result<OrderBook>> {
        Box::pin(Venue::order_book(&self.inner, symbol, depth))
    }
    fn set_leverage<'a>(&'a self, request: &'a LeverageRequest) -> BoxFuture<'a, Result<Leverage>> {
        Box::pin(Venue::set_leverage(&self.inner, request))
    }
    fn set_margin_mode<'a>(
        &'a self,
        symbol: &'a str,
        mode: MarginMode,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(Venue::set_margin_mode(&self.inner, symbol, mode))
    }
    fn dead_mans_switch<'a>(
        &'a self,
        scope: &'a DeadMansScope,
        countdown: Duration,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(Venue::dead_mans_switch(&self.inner, scope, countdown))
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
    let venue: Arc<dyn DynVenue> = Arc::new(Crashing {
        inner: BinanceUsdm::new(client),
        point,
    });
    let (journal, _) = OrderJournal::open(std::path::Path::new(journal)).expect("journal");
    let engine = OrderEngine::new(
        journal,
        Vec::new(),
        Box::new(NoPreTradeChecks),
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
    let placed = engine.place("acc", &ticket).await;
    // Reaching here means the crash point was not hit.
    eprintln!("placed without crashing: {placed:?}");
    std::process::exit(3);
}
