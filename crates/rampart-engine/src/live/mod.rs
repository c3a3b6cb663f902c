//! Live account state for the workspace: each connected account's feed is read in the
//! background into an [`AccountLive`] (open orders, positions, balances, fills, stream health),
//! read again over REST after every (re)connect and, throttled, whenever a stream message leaves
//! fields only REST has (a position's mark and liquidation price, a balance's available amount).
//!
//! Changes are published coalesced: [`LiveDesk::publish`] hands the accounts that changed to a
//! sink at most once per interval, however fast the venues send, so the UI redraws at a steady
//! rate and never falls behind.

pub mod state;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rampart_core::feed::{AccountUpdate, Candle, CandleInterval, FeedEvent, FeedStatus};
use rampart_venues::venue::{AbortOnDrop, DynVenue, MarketSubscription};
use tokio::sync::watch;
use tokio::time::Instant;

pub use state::{AccountLive, MarketLive, NeedsRead, StreamState};

use crate::clock::local_ms;

/// How often the UI hears about changes at most: about 30 times a second.
pub const PUBLISH_INTERVAL: Duration = Duration::from_millis(33);
/// How soon after a stream message the fields only REST has are read again, at most.
pub const REST_READ_INTERVAL: Duration = Duration::from_secs(1);
/// How soon a failed resync is tried again.
const RESYNC_RETRY: Duration = Duration::from_secs(2);
/// Book levels a side the workspace shows.
pub const BOOK_DEPTH: usize = 20;
/// Waits between attempts to open an account's stream.
const RETRY_FIRST: Duration = Duration::from_millis(500);
const RETRY_MAX: Duration = Duration::from_secs(30);

struct LiveAccount {
    state: Arc<Mutex<AccountLive>>,
    venue: Arc<dyn DynVenue>,
    _task: AbortOnDrop,
}

/// The one instrument the workspace watches, and the task reading its market feed.
struct MarketWatch {
    state: Arc<Mutex<MarketLive>>,
    _task: AbortOnDrop,
}

/// Every connected account's live state.
pub struct LiveDesk {
    accounts: Mutex<HashMap<String, LiveAccount>>,
    market: Mutex<Option<MarketWatch>>,
    /// The page's subscription: one publisher; a new subscription (a reloaded page) replaces it.
    subscriber: Mutex<Option<AbortOnDrop>>,
    /// Bumped on every change of any account.
    changes: watch::Sender<u64>,
    /// Told every mark price the watched instrument's stream brings (see [`LiveDesk::on_mark`]).
    mark_sink: Mutex<Option<MarkSink>>,
    /// Told every order and fill the accounts' streams and reads report (see
    /// [`LiveDesk::on_activity`]).
    activity_sink: Mutex<Option<ActivitySink>>,
}

/// Receives (account id, symbol, mark) for each mark price of the watched instrument.
pub type MarkSink = Arc<dyn Fn(&str, &str, rust_decimal::Decimal) + Send + Sync>;

/// Receives (account id, what happened) for each order and fill on an account, whoever placed
/// it: the guard tells this terminal's from others' by the client order id.
pub type ActivitySink = Arc<dyn Fn(&str, rampart_guard::AccountActivity<'_>) + Send + Sync>;

impl std::fmt::Debug for LiveDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveDesk").finish_non_exhaustive()
    }
}

impl Default for LiveDesk {
    fn default() -> Self {
        Self {
            accounts: Mutex::default(),
            market: Mutex::default(),
            subscriber: Mutex::default(),
            changes: watch::Sender::new(0),
            mark_sink: Mutex::default(),
            activity_sink: Mutex::default(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each change to the state is made in one call under the lock; a panic cannot leave a
    // table half-written in a way later updates would not overwrite.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl LiveDesk {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Starts following `account_id` on `venue` (replacing any earlier connection of it). Must
    /// be called inside a tokio runtime.
    pub fn attach(self: &Arc<Self>, account_id: &str, venue: Arc<dyn DynVenue>) {
        let state = Arc::new(Mutex::new(AccountLive::new(account_id)));
        let task = tokio::spawn(follow(
            Arc::downgrade(self),
            Arc::clone(&state),
            Arc::clone(&venue),
        ));
        lock(&self.accounts).insert(
            account_id.to_owned(),
            LiveAccount {
                state,
                venue,
                _task: AbortOnDrop(task),
            },
        );
        self.changed();
    }

    /// Stops following `account_id` (its stream closes, and its market watch if any).
    pub fn detach(&self, account_id: &str) {
        let mut market = lock(&self.market);
        if market
            .as_ref()
            .is_some_and(|m| lock(&m.state).account_id == account_id)
        {
            *market = None;
        }
        drop(market);
        if lock(&self.accounts).remove(account_id).is_some() {
            self.changed();
        }
    }

    pub fn detach_all(&self) {
        *lock(&self.market) = None;
        let gone = std::mem::take(&mut *lock(&self.accounts));
        if !gone.is_empty() {
            self.changed();
        }
    }

    /// Watches `symbol` on `account_id`'s venue (instead of whatever was watched): its mark,
    /// book ([`BOOK_DEPTH`] levels), trades and `interval` candles from now on are published
    /// with the accounts; returns the candle history (the last `history` candles, oldest
    /// first) to draw before them.
    pub async fn watch_market(
        self: &Arc<Self>,
        account_id: &str,
        symbol: &str,
        interval: CandleInterval,
        history: u32,
    ) -> Result<Vec<Candle>, WatchError> {
        let venue = lock(&self.accounts)
            .get(account_id)
            .map(|a| Arc::clone(&a.venue))
            .ok_or(WatchError::NotConnected)?;
        let candles = venue
            .candles(symbol, interval, history)
            .await
            .map_err(WatchError::Venue)?;
        let state = Arc::new(Mutex::new(MarketLive::new(account_id, symbol, interval)));
        let task = tokio::spawn(watch(
            Arc::downgrade(self),
            Arc::clone(&state),
            venue,
            symbol.to_owned(),
            interval,
        ));
        *lock(&self.market) = Some(MarketWatch {
            state,
            _task: AbortOnDrop(task),
        });
        self.changed();
        Ok(candles)
    }

    /// Hands every mark price of the watched instrument to `sink` as it arrives (the order
    /// engine keeps it, so an order on that instrument checks against a streamed mark).
    pub fn on_mark(&self, sink: MarkSink) {
        *lock(&self.mark_sink) = Some(sink);
    }

    /// Hands every order and fill the accounts report to `sink` (the guard watches for those
    /// this terminal did not place).
    pub fn on_activity(&self, sink: ActivitySink) {
        *lock(&self.activity_sink) = Some(sink);
    }

    /// Stops watching the instrument, if one was watched.
    pub fn stop_market(&self) {
        if lock(&self.market).take().is_some() {
            self.changed();
        }
    }

    /// Publishes to `sink` (see [`LiveDesk::publish`]) every [`PUBLISH_INTERVAL`], starting
    /// with everything followed now; replaces the previous subscriber. Must be called inside a
    /// tokio runtime.
    pub fn subscribe(self: &Arc<Self>, sink: impl Fn(LiveChanges) + Send + 'static) {
        let task = tokio::spawn(Arc::clone(self).publish(PUBLISH_INTERVAL, sink));
        *lock(&self.subscriber) = Some(AbortOnDrop(task));
        // Wake the new publisher even if nothing changes meanwhile.
        self.changed();
    }

    /// The watched instrument's state now.
    pub fn market(&self) -> Option<MarketLive> {
        lock(&self.market).as_ref().map(|m| lock(&m.state).clone())
    }

    /// Every followed account's state now, by account id.
    pub fn snapshot(&self) -> Vec<AccountLive> {
        let mut all: Vec<AccountLive> = lock(&self.accounts)
            .values()
            .map(|a| lock(&a.state).clone())
            .collect();
        all.sort_by(|a, b| a.account_id.cmp(&b.account_id));
        all
    }

    fn changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Hands `sink` the accounts that changed (and the ids of the accounts now followed), at
    /// most once per `interval`, until the desk is dropped: a change after a quiet spell goes
    /// out at once, and changes during the interval go out together at its end.
    pub async fn publish(
        self: Arc<Self>,
        interval: Duration,
        sink: impl Fn(LiveChanges) + Send + 'static,
    ) {
        let mut changes = self.changes.subscribe();
        let desk = Arc::downgrade(&self);
        drop(self);
        let mut sent: HashMap<String, u64> = HashMap::new();
        let mut market_sent: Option<(String, String, CandleInterval, u64)> = None;
        loop {
            let Some(desk) = desk.upgrade() else { return };
            let accounts = desk.snapshot();
            let market = desk.market();
            drop(desk);
            let market_key = market.as_ref().map(|m| {
                (
                    m.account_id.clone(),
                    m.symbol.clone(),
                    m.interval,
                    m.version,
                )
            });
            let market_changed = market_key != market_sent;
            let followed: Vec<String> = accounts.iter().map(|a| a.account_id.clone()).collect();
            let changed: Vec<AccountLive> = accounts
                .into_iter()
                .filter(|a| sent.get(&a.account_id) != Some(&a.version))
                .collect();
            let same_accounts =
                sent.len() == followed.len() && followed.iter().all(|id| sent.contains_key(id));
            if !changed.is_empty() || !same_accounts || market_changed {
                // Accounts no longer followed are forgotten; unchanged ones keep the version
                // last sent.
                let mut now_sent: HashMap<String, u64> = followed
                    .iter()
                    .filter_map(|id| sent.get(id).map(|v| (id.clone(), *v)))
                    .collect();
                for a in &changed {
                    now_sent.insert(a.account_id.clone(), a.version);
                }
                sent = now_sent;
                market_sent = market_key;
                sink(LiveChanges {
                    followed,
                    changed,
                    market_changed,
                    market: if market_changed { market } else { None },
                });
            }
            let next = Instant::now() + interval;
            if changes.changed().await.is_err() {
                return;
            }
            tokio::time::sleep_until(next).await;
            changes.borrow_and_update();
        }
    }
}

/// What [`LiveDesk::publish`] hands on each time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct LiveChanges {
    /// The accounts followed now; any other the UI still shows has been disconnected.
    pub followed: Vec<String>,
    /// The accounts that changed since the last time, whole.
    pub changed: Vec<AccountLive>,
    /// Whether the watched instrument changed (or stopped being watched: then `market` is
    /// `None`).
    pub market_changed: bool,
    /// The watched instrument, when it changed.
    pub market: Option<MarketLive>,
}

/// Why an instrument cannot be watched.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("the account is not connected")]
    NotConnected,
    #[error("{}", .0.message)]
    Venue(rampart_venues::venue::Error),
}

/// Tells the desk's publisher that something changed, while the desk exists.
fn notify(desk: &std::sync::Weak<LiveDesk>) {
    if let Some(d) = desk.upgrade() {
        d.changed();
    }
}

/// Tells the activity sink, if any, about the orders and fills in `update`.
fn tell_activity(desk: &std::sync::Weak<LiveDesk>, account_id: &str, update: &AccountUpdate) {
    use rampart_guard::AccountActivity;
    let Some(d) = desk.upgrade() else { return };
    let Some(sink) = lock(&d.activity_sink).clone() else {
        return;
    };
    match update {
        AccountUpdate::Order(o) => sink(
            account_id,
            AccountActivity::Order {
                client_order_id: &o.client_order_id,
            },
        ),
        AccountUpdate::Fill(f) => sink(
            account_id,
            AccountActivity::Fill {
                client_order_id: &f.client_order_id,
            },
        ),
        AccountUpdate::Positions(_) | AccountUpdate::Balances(_) => {}
    }
}

/// Reads one account's feed for as long as the desk follows it.
async fn follow(
    desk: std::sync::Weak<LiveDesk>,
    state: Arc<Mutex<AccountLive>>,
    venue: Arc<dyn DynVenue>,
) {
    let account_id = lock(&state).account_id.clone();
    let mut retry = RETRY_FIRST;
    loop {
        let mut feed = match venue.account_feed().await {
            Ok(feed) => feed,
            Err(e) => {
                lock(&state).set_stream(StreamState::Lost(e.message));
                notify(&desk);
                tokio::time::sleep(retry).await;
                retry = (retry * 2).min(RETRY_MAX);
                continue;
            }
        };
        let mut read_due: Option<(Instant, NeedsRead)> = None;
        loop {
            let event = match read_due {
                Some((at, _)) => tokio::select! {
                    event = feed.next() => event,
                    () = tokio::time::sleep_until(at) => {
                        if let Some((_, needs)) = read_due.take()
                            && !read_rest(&*venue, &state, needs).await
                        {
                            read_due = Some((Instant::now() + RESYNC_RETRY, NeedsRead::all()));
                        }
                        notify(&desk);
                        continue;
                    }
                },
                None => feed.next().await,
            };
            let Some(event) = event else { break };
            match event {
                FeedEvent::Status(FeedStatus::Connected) => {
                    retry = RETRY_FIRST;
                    lock(&state).set_stream(StreamState::Live);
                    notify(&desk);
                    read_due = if resync(&*venue, &state).await {
                        // Orders placed while this terminal was not listening.
                        let open = lock(&state).open_orders.clone();
                        for order in open {
                            tell_activity(&desk, &account_id, &AccountUpdate::Order(order));
                        }
                        None
                    } else {
                        // Read again shortly, whole, until a read succeeds.
                        Some((Instant::now() + RESYNC_RETRY, NeedsRead::all()))
                    };
                }
                FeedEvent::Status(FeedStatus::Lost(why)) => {
                    lock(&state).set_stream(StreamState::Lost(why));
                }
                FeedEvent::Status(FeedStatus::Stopped(why)) => {
                    lock(&state).set_stream(StreamState::Stopped(why));
                }
                FeedEvent::Update(update) => {
                    tell_activity(&desk, &account_id, &update);
                    let needs = lock(&state).apply(update);
                    if needs.positions || needs.balances {
                        let (at, pending) = read_due
                            .unwrap_or((Instant::now() + REST_READ_INTERVAL, NeedsRead::default()));
                        read_due = Some((
                            at,
                            NeedsRead {
                                positions: pending.positions || needs.positions,
                                balances: pending.balances || needs.balances,
                                orders: pending.orders,
                            },
                        ));
                    }
                }
            }
            notify(&desk);
        }
        // The feed ended (stopped for good, or its task died): open a new one after a wait.
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(RETRY_MAX);
    }
}

/// Reads open orders, positions and balances over REST after a (re)connect (measuring the
/// venue's clock first if nobody has yet: the reads are signed); whether it worked.
async fn resync(venue: &dyn DynVenue, state: &Mutex<AccountLive>) -> bool {
    let read = async {
        if venue.venue_time_ms().is_none() {
            venue.sync_clock().await?;
        }
        let orders = venue.open_orders(None).await?;
        let positions = venue.positions(None).await?;
        let balances = venue.balances().await?;
        Ok::<_, rampart_venues::venue::Error>((orders, positions, balances))
    };
    match read.await {
        Ok((orders, positions, balances)) => {
            lock(state).resynced(orders, positions, balances, local_ms());
            true
        }
        Err(e) => {
            tracing::warn!(error = %e, "the account's tables could not be read after connecting");
            lock(state).resync_failed(e.message);
            false
        }
    }
}

/// Reads what stream messages cannot fill in (everything, for a resync that failed); whether
/// it worked.
async fn read_rest(venue: &dyn DynVenue, state: &Mutex<AccountLive>, needs: NeedsRead) -> bool {
    if needs.orders {
        return resync(venue, state).await;
    }
    if needs.positions {
        match venue.positions(None).await {
            Ok(positions) => lock(state).positions_read(positions),
            Err(e) => tracing::info!(error = %e, "positions could not be read"),
        }
    }
    if needs.balances {
        match venue.balances().await {
            Ok(balances) => lock(state).balances_read(balances),
            Err(e) => tracing::info!(error = %e, "balances could not be read"),
        }
    }
    true
}

/// How often the watched instrument's message rate is measured.
const RATE_SAMPLE: Duration = Duration::from_secs(1);

/// `count` messages over `elapsed`, per second (rounded; 0 for no time at all).
fn per_second(count: u64, elapsed: Duration) -> u32 {
    let micros = elapsed.as_micros();
    if micros == 0 {
        return 0;
    }
    u32::try_from((u128::from(count) * 1_000_000 + micros / 2) / micros).unwrap_or(u32::MAX)
}

/// Reads the watched instrument's market feed for as long as it is watched.
async fn watch(
    desk: std::sync::Weak<LiveDesk>,
    state: Arc<Mutex<MarketLive>>,
    venue: Arc<dyn DynVenue>,
    symbol: String,
    interval: CandleInterval,
) {
    let subscription = MarketSubscription {
        book_depth: BOOK_DEPTH,
        trades: true,
        candles: Some(interval),
    };
    let mut retry = RETRY_FIRST;
    loop {
        match venue.market_feed(&symbol, subscription).await {
            Ok(mut feed) => {
                // The message rate, sampled once a second from the feed's count.
                // The first sample a full second in (an interval ticks at once otherwise).
                let mut rate = tokio::time::interval_at(Instant::now() + RATE_SAMPLE, RATE_SAMPLE);
                rate.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let mut sampled = (Instant::now(), feed.messages());
                loop {
                    let event = tokio::select! {
                        event = feed.next() => event,
                        _ = rate.tick() => {
                            let (at, count) = (Instant::now(), feed.messages());
                            let per_s = per_second(count.saturating_sub(sampled.1), at - sampled.0);
                            sampled = (at, count);
                            lock(&state).set_message_rate(per_s);
                            notify(&desk);
                            continue;
                        }
                    };
                    let Some(event) = event else { break };
                    {
                        let mut market = lock(&state);
                        match event {
                            FeedEvent::Status(FeedStatus::Connected) => {
                                retry = RETRY_FIRST;
                                market.set_stream(StreamState::Live);
                            }
                            FeedEvent::Status(FeedStatus::Lost(why)) => {
                                market.set_stream(StreamState::Lost(why));
                            }
                            FeedEvent::Status(FeedStatus::Stopped(why)) => {
                                market.set_stream(StreamState::Stopped(why));
                            }
                            FeedEvent::Update(update) => {
                                if let rampart_core::feed::MarketUpdate::Mark(m) = &update
                                    && let Some(desk) = desk.upgrade()
                                    && let Some(sink) = lock(&desk.mark_sink).clone()
                                {
                                    sink(&market.account_id, &m.symbol, m.mark);
                                }
                                market.apply(update);
                            }
                        }
                    }
                    notify(&desk);
                }
            }
            Err(e) => {
                lock(&state).set_stream(StreamState::Lost(e.message));
                notify(&desk);
            }
        }
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(RETRY_MAX);
    }
}

/// The guard's facts from the live tables: what the account's streams last said.
impl crate::orders::AccountFacts for LiveDesk {
    fn position(&self, account_id: &str, symbol: &str) -> rust_decimal::Decimal {
        self.with_account(account_id, |a| {
            a.positions
                .iter()
                .filter(|p| p.symbol == symbol)
                .map(|p| p.qty)
                .sum()
        })
        .unwrap_or_default()
    }

    fn leverage(&self, account_id: &str, symbol: &str) -> Option<u32> {
        self.with_account(account_id, |a| {
            a.positions
                .iter()
                .find(|p| p.symbol == symbol)
                .and_then(|p| p.leverage)
                .and_then(crate::orders::whole_leverage)
        })
        .flatten()
    }

    fn open_orders(&self, account_id: &str) -> u32 {
        self.with_account(account_id, |a| {
            u32::try_from(a.open_orders.len()).unwrap_or(u32::MAX)
        })
        .unwrap_or(0)
    }

    fn margin_mode(
        &self,
        account_id: &str,
        symbol: &str,
    ) -> Option<rampart_core::trading::MarginMode> {
        self.with_account(account_id, |a| {
            a.positions
                .iter()
                .find(|p| p.symbol == symbol && !p.qty.is_zero())
                .and_then(|p| p.margin_mode)
        })
        .flatten()
    }
}

impl LiveDesk {
    /// `f` of one account's live tables, if the account is followed.
    fn with_account<T>(&self, account_id: &str, f: impl FnOnce(&AccountLive) -> T) -> Option<T> {
        let state = Arc::clone(&lock(&self.accounts).get(account_id)?.state);
        let live = lock(&state);
        Some(f(&live))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_rate_is_per_second_whatever_the_sampling_took() {
        assert_eq!(per_second(5_000, Duration::from_secs(1)), 5_000);
        assert_eq!(per_second(5_000, Duration::from_millis(1_250)), 4_000);
        assert_eq!(per_second(3, Duration::from_millis(2_000)), 2);
        assert_eq!(per_second(0, Duration::from_secs(1)), 0);
        assert_eq!(per_second(7, Duration::ZERO), 0);
        assert_eq!(per_second(u64::MAX, Duration::from_micros(1)), u32::MAX);
    }
}
