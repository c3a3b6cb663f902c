//! The workspace's live tables against the simulator over loopback sockets: an account followed
//! by the LiveDesk shows its open orders, position, balance and fills as they change, read again
//! over REST after connecting, and a burst of orders reaches the UI's sink coalesced (at most
//! one hand-over per interval), ending in the right state.

use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rampart_core::feed::CandleInterval;
use rampart_core::trading::{OrderRequest, PositionSide};
use rampart_core::{OrderType, Price, Qty, Side, TimeInForce};
use rampart_engine::live::{
    AccountLive, BOOK_DEPTH, LiveChanges, LiveDesk, MarketLive, StreamState,
};
use rampart_sim::binance_usdm::{SimAccount, SimConfig, SimServer};
use rampart_venues::binance_usdm::{BinanceUsdm, RestClient};
use rampart_venues::venue::{DynVenue, Venue};
use rust_decimal::Decimal;
use tokio::net::TcpListener;

const KEY: &str = "livekey00000000000000000000000000000000000000000000000000000000";
const SECRET: &str = "livesecret0000000000000000000000000000000000000000000000000000";
const WAIT: Duration = Duration::from_secs(20);

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

async fn sim_with_ticks(tick_interval_ms: u64) -> SimServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = SimConfig {
        accounts: vec![SimAccount {
            api_key: KEY.into(),
            api_secret: SECRET.into(),
            ..SimAccount::default()
        }],
        tick_interval_ms,
        order_limit_per_10s: 100_000,
        order_limit_per_minute: 100_000,
        ..SimConfig::default()
    };
    SimServer::start(listener, config).unwrap()
}

async fn sim() -> SimServer {
    sim_with_ticks(0).await
}

async fn venue(sim: &SimServer) -> Arc<BinanceUsdm> {
    let venue = BinanceUsdm::new(RestClient::new(&sim.base_url(), KEY, SECRET).unwrap());
    Venue::sync_clock(&venue).await.unwrap();
    Venue::instruments(&venue, false).await.unwrap();
    Arc::new(venue)
}

fn order(n: usize, side: Side, order_type: OrderType, price: Option<Decimal>) -> OrderRequest {
    OrderRequest {
        symbol: "BTCUSDT".into(),
        client_order_id: format!("rmpLive{n:020}"),
        side,
        order_type,
        qty: Qty::from_str("0.002").unwrap(),
        price: price.map(|p| Price::from_str(&p.to_string()).unwrap()),
        trigger_price: None,
        time_in_force: price.map(|_| TimeInForce::Gtc),
        reduce_only: false,
        trigger_by: None,
        margin_mode: None,
        position_side: PositionSide::Net,
        reference_price: None,
    }
}

/// Collects what the desk publishes; `until` waits for a published account state.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<(Instant, LiveChanges)>>>);

impl Sink {
    fn start(&self, desk: &Arc<LiveDesk>, interval: Duration) {
        let seen = Arc::clone(&self.0);
        tokio::spawn(Arc::clone(desk).publish(interval, move |changes| {
            seen.lock().unwrap().push((Instant::now(), changes));
        }));
    }

    fn latest(&self, account: &str) -> Option<AccountLive> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find_map(|(_, c)| c.changed.iter().find(|a| a.account_id == account).cloned())
    }

    async fn until(
        &self,
        account: &str,
        what: &str,
        done: impl Fn(&AccountLive) -> bool,
    ) -> AccountLive {
        let started = Instant::now();
        loop {
            if let Some(a) = self.latest(account).filter(|a| done(a)) {
                return a;
            }
            assert!(
                started.elapsed() < WAIT,
                "no published state with {what} within {WAIT:?}; last: {:?}",
                self.latest(account)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

#[tokio::test]
async fn a_followed_account_shows_orders_positions_balances_and_fills_as_they_change() {
    let sim = sim().await;
    let venue = venue(&sim).await;
    // An order resting before the account is followed: the first REST read finds it.
    let below = (sim.mark_price("BTCUSDT").unwrap() * d("0.95")).round_dp(1);
    Venue::place_order(&*venue, &order(1, Side::Buy, OrderType::Limit, Some(below)))
        .await
        .unwrap();

    let desk = LiveDesk::new();
    let sink = Sink::default();
    sink.start(&desk, Duration::from_millis(33));
    desk.attach("acc", Arc::clone(&venue) as Arc<dyn DynVenue>);
    let live = sink
        .until("acc", "the resting order after the first read", |a| {
            a.stream == StreamState::Live && a.resynced_ms.is_some() && a.open_orders.len() == 1
        })
        .await;
    assert_eq!(live.open_orders[0].price, Some(below));
    assert!(
        live.balances
            .iter()
            .any(|b| b.asset == "USDT" && b.wallet > Decimal::ZERO)
    );
    assert!(live.positions.is_empty());

    Venue::place_order(&*venue, &order(2, Side::Buy, OrderType::Market, None))
        .await
        .unwrap();
    let live = sink
        .until("acc", "the position, its REST fields and the fill", |a| {
            a.positions.len() == 1 && a.positions[0].leverage.is_some() && a.fills.len() == 1
        })
        .await;
    assert_eq!(live.positions[0].qty, d("0.002"));
    assert_eq!(
        live.fills[0].client_order_id,
        order(2, Side::Buy, OrderType::Market, None).client_order_id
    );
    assert_eq!(live.positions[0].entry_price, live.fills[0].price);

    Venue::cancel_by_client_id(
        &*venue,
        "BTCUSDT",
        &order(1, Side::Buy, OrderType::Limit, None).client_order_id,
    )
    .await
    .unwrap();
    Venue::place_order(&*venue, &order(3, Side::Sell, OrderType::Market, None))
        .await
        .unwrap();
    let live = sink
        .until("acc", "no order and no position", |a| {
            a.open_orders.is_empty() && a.positions.is_empty() && a.fills.len() == 2
        })
        .await;
    assert_eq!(live.fills[0].side, Side::Sell);

    desk.detach("acc");
    let gone = Instant::now();
    loop {
        let last = sink
            .0
            .lock()
            .unwrap()
            .last()
            .map(|(_, c)| c.followed.clone());
        if last.is_some_and(|f| f.is_empty()) {
            break;
        }
        assert!(
            gone.elapsed() < WAIT,
            "the detached account is still followed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_burst_of_orders_reaches_the_sink_coalesced_and_ends_in_the_right_state() {
    let sim = sim().await;
    let venue = venue(&sim).await;
    let desk = LiveDesk::new();
    let sink = Sink::default();
    let interval = Duration::from_millis(33);
    sink.start(&desk, interval);
    desk.attach("acc", Arc::clone(&venue) as Arc<dyn DynVenue>);
    sink.until("acc", "the connection", |a| a.resynced_ms.is_some())
        .await;

    let before = sink.0.lock().unwrap().len();
    let started = Instant::now();
    // 300 market buys back to back: each is an order update, a fill and a position and a
    // balance change on the stream (about 1,200 messages).
    let orders = 300;
    for n in 0..orders {
        Venue::place_order(&*venue, &order(100 + n, Side::Buy, OrderType::Market, None))
            .await
            .unwrap();
    }
    let total = d("0.002") * Decimal::from(orders);
    let live = sink
        .until("acc", "the whole position", |a| {
            a.positions.first().is_some_and(|p| p.qty == total) && a.fills.len() == 200
        })
        .await;
    let elapsed = started.elapsed();
    let published: Vec<Instant> = sink.0.lock().unwrap()[before..]
        .iter()
        .map(|(t, _)| *t)
        .collect();
    // Never two hand-overs closer than the interval (a little slack for the timer).
    for pair in published.windows(2) {
        assert!(
            pair[1] - pair[0] >= interval - Duration::from_millis(2),
            "two hand-overs {:?} apart",
            pair[1] - pair[0]
        );
    }
    let most = (elapsed.as_millis() / interval.as_millis()) as usize + 2;
    assert!(
        published.len() <= most,
        "{} hand-overs in {elapsed:?} (at most {most})",
        published.len()
    );
    assert_eq!(live.fills.len(), 200);
}

impl Sink {
    fn latest_market(&self) -> Option<MarketLive> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|(_, c)| c.market_changed)
            .and_then(|(_, c)| c.market.clone())
    }

    async fn until_market(&self, what: &str, done: impl Fn(&MarketLive) -> bool) -> MarketLive {
        let started = Instant::now();
        loop {
            if let Some(m) = self.latest_market().filter(|m| done(m)) {
                return m;
            }
            assert!(
                started.elapsed() < WAIT,
                "no published market with {what} within {WAIT:?}; last: {:?}",
                self.latest_market()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

#[tokio::test]
async fn the_watched_instrument_shows_history_then_mark_book_candle_and_trades() {
    let sim = sim_with_ticks(50).await;
    let venue = venue(&sim).await;
    let desk = LiveDesk::new();
    let sink = Sink::default();
    sink.start(&desk, Duration::from_millis(33));
    assert!(
        desk.watch_market("acc", "BTCUSDT", CandleInterval::M1, 100)
            .await
            .is_err(),
        "an account that is not followed cannot be watched"
    );
    desk.attach("acc", Arc::clone(&venue) as Arc<dyn DynVenue>);
    let marks: Arc<Mutex<Vec<(String, String, Decimal)>>> = Arc::default();
    let seen = Arc::clone(&marks);
    desk.on_mark(Arc::new(move |account, symbol, mark| {
        seen.lock()
            .unwrap()
            .push((account.to_owned(), symbol.to_owned(), mark));
    }));
    let history = desk
        .watch_market("acc", "BTCUSDT", CandleInterval::M1, 100)
        .await
        .unwrap();
    assert!(!history.is_empty() && history.len() <= 100);
    assert!(
        history
            .windows(2)
            .all(|w| w[0].open_time_ms < w[1].open_time_ms)
    );
    let market = sink
        .until_market("mark, a full book and a candle", |m| {
            m.stream == StreamState::Live
                && m.mark.is_some()
                && m.book
                    .as_ref()
                    .is_some_and(|b| b.bids.len() == BOOK_DEPTH && b.asks.len() == BOOK_DEPTH)
                && m.candle.is_some()
        })
        .await;
    assert_eq!(
        (market.symbol.as_str(), market.interval),
        ("BTCUSDT", CandleInterval::M1)
    );
    let book = market.book.unwrap();
    assert!(book.bids[0].price < book.asks[0].price);
    assert!(market.candle.unwrap().open_time_ms >= history.last().unwrap().open_time_ms);

    // 20 price steps a second, each sending at least the book's diff and the candle: the rate
    // the status bar shows counts every message of the feed's streams.
    let market = sink
        .until_market("a message rate", |m| m.messages_per_s >= 40)
        .await;
    assert!(market.messages_per_s < 200, "{}", market.messages_per_s);
    // Each streamed mark also went to the mark sink (the order engine's reference price).
    let streamed = marks.lock().unwrap().clone();
    assert!(!streamed.is_empty());
    assert!(
        streamed
            .iter()
            .all(|(account, symbol, mark)| account == "acc"
                && symbol == "BTCUSDT"
                && *mark > Decimal::ZERO),
        "{streamed:?}"
    );

    Venue::place_order(&*venue, &order(7, Side::Sell, OrderType::Market, None))
        .await
        .unwrap();
    let market = sink.until_market("a trade", |m| !m.trades.is_empty()).await;
    assert_eq!(market.trades[0].taker_side, Side::Sell);

    desk.stop_market();
    sink.until_market_gone().await;
}

impl Sink {
    async fn until_market_gone(&self) {
        let started = Instant::now();
        loop {
            let gone = self
                .0
                .lock()
                .unwrap()
                .last()
                .is_some_and(|(_, c)| c.market_changed && c.market.is_none());
            if gone {
                return;
            }
            assert!(started.elapsed() < WAIT, "the market is still watched");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Followed before anyone measured the venue's clock (the engine does it as the account
/// connects, at the same time): the tables' first read measures it itself rather than failing.
#[tokio::test]
async fn the_first_read_measures_the_clock_when_nobody_has_yet() {
    let sim = sim().await;
    let venue = Arc::new(BinanceUsdm::new(
        RestClient::new(&sim.base_url(), KEY, SECRET).unwrap(),
    ));
    assert!(Venue::venue_time_ms(&*venue).is_none());
    let desk = LiveDesk::new();
    let sink = Sink::default();
    sink.start(&desk, Duration::from_millis(33));
    desk.attach("acc", Arc::clone(&venue) as Arc<dyn DynVenue>);
    let live = sink
        .until("acc", "the first read", |a| {
            a.resynced_ms.is_some() || a.resync_error.is_some()
        })
        .await;
    assert_eq!(live.resync_error, None);
    assert!(live.balances.iter().any(|b| b.asset == "USDT"));
}
