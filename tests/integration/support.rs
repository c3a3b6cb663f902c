//! What the simulator-backed tests share: the test accounts, starting a [`SimServer`] on a
//! loopback port, a decimal helper, BTCUSDT's filters, typed order builders, an order engine on a
//! short resolve policy, and the bounded waits for an engine, a feed or a stream to be ready.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rampart_core::{OrderType, Price, Qty, Side};
use rampart_engine::orders::{ConnectionState, OrderEngine, OrderJournal, ResolvePolicy};
use rampart_sim::binance_usdm::{SimAccount, SimConfig, SimServer};
use rampart_venues::binance_usdm::{OrderRequest, RestClient, SymbolFilters};
use rampart_venues::venue::{self, Feed, FeedEvent};
use rust_decimal::Decimal;

/// The simulator's account for most tests (HMAC).
pub const KEY: &str = "vmYTEuxrUSrSd3nY6xQ27B4Kj5RgzzqEwcHbRh9e3PnjPzfpJ6KD4nfdBqfMmj6c";
pub const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
/// A second account on the same simulator.
pub const KEY_2: &str = "lim2TEuxrUSrSd3nY6xQ27B4Kj5RgzzqEwcHbRh9e3PnjPzfpJ6KD4nfdBqfMmj6c";
pub const SECRET_2: &str = "lim2PtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
pub const BTC: &str = "BTCUSDT";

pub fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

/// An HMAC account.
pub fn account(api_key: &str, api_secret: &str) -> SimAccount {
    SimAccount {
        api_key: api_key.into(),
        api_secret: api_secret.into(),
        ..SimAccount::default()
    }
}

/// [`KEY`]'s account alone.
pub fn one_account() -> Vec<SimAccount> {
    vec![account(KEY, SECRET)]
}

pub async fn listener() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()
}

/// The simulator over plain HTTP and WS on a free loopback port.
pub async fn start(config: SimConfig) -> SimServer {
    SimServer::start(listener().await, config).unwrap()
}

/// The simulator over TLS (its own certificate, see [`SimServer::cert_pem`]).
pub async fn start_tls(config: SimConfig) -> SimServer {
    SimServer::start_tls(listener().await, config).unwrap()
}

/// BTCUSDT's filters from the client's exchangeInfo.
pub async fn btc_filters(client: &RestClient) -> SymbolFilters {
    client
        .exchange_info()
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.symbol == BTC)
        .unwrap()
}

/// A typed BTCUSDT order; `price`/`stop` as text, `None` when the type takes none.
pub fn order(
    id: &str,
    side: Side,
    order_type: OrderType,
    qty: &str,
    price: Option<&str>,
    stop: Option<&str>,
) -> OrderRequest {
    OrderRequest {
        symbol: BTC.into(),
        side,
        order_type,
        quantity: Qty::from_str(qty).unwrap(),
        price: price.map(|p| Price::from_str(p).unwrap()),
        stop_price: stop.map(|p| Price::from_str(p).unwrap()),
        time_in_force: None,
        reduce_only: false,
        working_type: None,
        position_side: rampart_core::trading::PositionSide::Net,
        client_order_id: id.into(),
    }
}

/// Checks `holds` every 20 ms until `within` has passed; panics with `what` the first time it
/// does not hold. For "this must not happen" assertions that a single late check would miss.
pub async fn holds_for(within: Duration, what: &str, holds: impl Fn() -> bool) {
    let until = Instant::now() + within;
    while Instant::now() < until {
        assert!(holds(), "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(holds(), "{what}");
}

/// Waits (at most 5 s) until `n` stream connections have subscribed to a simulator's events
/// (`subscriptions` reads its count), so that an event published next reaches the newest one.
pub async fn until_stream_subscriptions(n: u64, subscriptions: impl Fn() -> u64) {
    let until = Instant::now() + Duration::from_secs(5);
    while subscriptions() < n {
        assert!(
            Instant::now() < until,
            "{n} stream subscriptions not within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A MARKET order ticket on BTCUSDT, for the engine's place call.
pub fn market(side: rampart_core::Side, qty: &str) -> rampart_engine::orders::OrderTicket {
    rampart_engine::orders::OrderTicket {
        symbol: BTC.into(),
        side,
        order_type: rampart_core::OrderType::Market,
        qty: qty.parse().unwrap(),
        price: None,
        trigger_price: None,
        time_in_force: None,
        reduce_only: false,
        trigger_by: None,
        margin_mode: None,
        position_side: Default::default(),
    }
}

/// A venue-neutral order (what the engine hands a connector); `price` as text, `None` when the
/// type takes none.
pub fn order_request(
    symbol: &str,
    id: &str,
    side: Side,
    order_type: OrderType,
    qty: &str,
    price: Option<&str>,
) -> venue::OrderRequest {
    venue::OrderRequest {
        symbol: symbol.into(),
        client_order_id: id.into(),
        side,
        order_type,
        qty: Qty::from_str(qty).unwrap(),
        price: price.map(|p| Price::from_str(p).unwrap()),
        trigger_price: None,
        time_in_force: None,
        reduce_only: false,
        trigger_by: None,
        margin_mode: None,
        position_side: venue::PositionSide::Net,
        reference_price: None,
    }
}

/// A venue-neutral MARKET order.
pub fn market_order(symbol: &str, id: &str, side: Side, qty: &str) -> venue::OrderRequest {
    order_request(symbol, id, side, OrderType::Market, qty, None)
}

/// A venue-neutral LIMIT order at `price`.
pub fn limit_order(
    symbol: &str,
    id: &str,
    side: Side,
    qty: &str,
    price: &str,
) -> venue::OrderRequest {
    order_request(symbol, id, side, OrderType::Limit, qty, Some(price))
}

/// How long a feed may stay silent before a test gives up on the event it waits for.
pub const FEED_WAIT: Duration = Duration::from_secs(5);

/// The feed's next event, within [`FEED_WAIT`].
pub async fn next_event<T>(feed: &mut Feed<T>, what: &str) -> FeedEvent<T> {
    tokio::time::timeout(FEED_WAIT, feed.next())
        .await
        .unwrap_or_else(|_| panic!("nothing within {FEED_WAIT:?} while waiting for {what}"))
        .unwrap_or_else(|| panic!("the feed ended while waiting for {what}"))
}

/// The resolver on a short leash, so that an order whose answer was lost is settled within a
/// test's patience.
pub fn fast_policy() -> ResolvePolicy {
    ResolvePolicy {
        not_placed_margin: Duration::from_millis(300),
        confirm_after: Duration::from_millis(200),
        first_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(500),
    }
}

/// An order engine journaling to `journal` (opened, or made if absent), with the tests' guard,
/// no account facts and [`fast_policy`].
pub fn open_engine(journal: &Path) -> Arc<OrderEngine> {
    let (journal, unresolved) = OrderJournal::open(journal, &rampart_tests::journal_key()).unwrap();
    OrderEngine::new(
        journal,
        unresolved,
        rampart_tests::new_guard(),
        Arc::new(rampart_engine::orders::NoAccountFacts),
        fast_policy(),
    )
}

/// How long the engine suites wait for an account to connect or an order to resolve.
pub const ENGINE_WAIT: Duration = Duration::from_secs(30);

/// Checks `done` every 10 ms until it holds; panics naming `what`, with the engine's status,
/// once `within` has passed.
pub async fn engine_until(
    engine: &OrderEngine,
    within: Duration,
    what: &str,
    done: impl Fn(&OrderEngine) -> bool,
) {
    let started = Instant::now();
    while !done(engine) {
        assert!(
            started.elapsed() < within,
            "timed out waiting for {what}: {:?}",
            engine.status()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits (at most `within`) until every account on `engine` is connected.
pub async fn until_engine_connected(engine: &OrderEngine, within: Duration) {
    engine_until(engine, within, "the account to connect", |e| {
        e.status()
            .iter()
            .all(|s| s.connection == ConnectionState::Ready)
    })
    .await;
}

/// Waits (at most `within`) until every account on `engine` is connected and none is still
/// recovering (settling orders left unresolved from before).
pub async fn until_engine_ready(engine: &OrderEngine, within: Duration) {
    engine_until(engine, within, "the account to connect", |e| {
        e.status()
            .iter()
            .all(|s| s.connection == ConnectionState::Ready && !s.recovering)
    })
    .await;
}
