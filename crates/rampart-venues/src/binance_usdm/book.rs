//! A local order book kept in step with Binance USDⓈ-M by the diff depth stream and a REST
//! snapshot, as Binance's "How to manage a local order book correctly" (USDⓈ-M futures) lays it
//! out:
//! 1. open `<symbol>@depth` (here `@depth@100ms`, on the Public route) and buffer its events;
//! 2. get a snapshot from `GET /fapi/v1/depth?symbol=<SYMBOL>&limit=1000`;
//! 3. "Drop any event where u is < lastUpdateId in the snapshot";
//! 4. "The first processed event should have U <= lastUpdateId AND u >= lastUpdateId";
//! 5. "each new event's pu should be equal to the previous event's u, otherwise initialize the
//!    process from step 3";
//! 6. "The data in each event is the absolute quantity for a price level"; "If the quantity is
//!    0, remove the price level"; removing a level that is not in the book "can happen and is
//!    normal".
//!
//! One more first event is accepted: one whose `pu` equals the snapshot's `lastUpdateId` follows
//! the snapshot directly (nothing between them), which is what a quiet market gives when the
//! snapshot was taken just after the last event.
//!
//! [`BookSync`] is that procedure as a state machine (no I/O); [`OrderBookStream`] runs it
//! over a [`MarketStream`] and a [`DepthSnapshots`] source, resynchronising after a gap or a
//! reconnect, and publishes [`BookView`]s: best levels first, decimals.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use rust_decimal::Decimal;
use tokio::sync::{mpsc, watch};

use super::VenueError;
use super::models::Depth;
use super::rest::RestClient;
use super::ws::connection::{StreamError, StreamOptions, StreamTask};
use super::ws::market_stream::{MarketStream, diff_depth_stream};
use super::ws::parse::{DepthLevel, DepthUpdate, MarketEvent};

/// Where REST snapshots come from. [`RestClient`] implements it (`limit=1000`).
pub trait DepthSnapshots: Send + Sync + 'static {
    fn snapshot(&self, symbol: &str) -> impl Future<Output = Result<Depth, VenueError>> + Send;
}

impl DepthSnapshots for RestClient {
    async fn snapshot(&self, symbol: &str) -> Result<Depth, VenueError> {
        self.order_book(symbol, 1000).await
    }
}

impl DepthSnapshots for std::sync::Arc<RestClient> {
    async fn snapshot(&self, symbol: &str) -> Result<Depth, VenueError> {
        self.order_book(symbol, 1000).await
    }
}

/// One side of the book: price → quantity.
type Side = BTreeMap<Decimal, Decimal>;

/// The book as the procedure has built it.
#[derive(Debug, Clone, Default)]
struct Book {
    bids: Side,
    asks: Side,
    /// The `u` of the last event applied (or the snapshot's `lastUpdateId`).
    last_update_id: u64,
}

impl Book {
    fn from_snapshot(depth: &Depth) -> Book {
        Book {
            bids: depth.bids.iter().map(|l| (l.price, l.qty)).collect(),
            asks: depth.asks.iter().map(|l| (l.price, l.qty)).collect(),
            last_update_id: depth.last_update_id,
        }
    }

    fn apply(&mut self, event: &DepthUpdate) {
        for (side, levels) in [(&mut self.bids, &event.bids), (&mut self.asks, &event.asks)] {
            for DepthLevel(price, qty) in levels {
                if qty.is_zero() {
                    side.remove(price);
                } else {
                    side.insert(*price, *qty);
                }
            }
        }
        self.last_update_id = event.final_update_id;
    }
}

/// The state of the procedure.
#[derive(Debug)]
enum State {
    /// Waiting for a snapshot; events are kept (steps 1–2).
    Buffering(Vec<DepthUpdate>),
    /// A snapshot is in; `first` until the first event has been checked against it.
    Live { book: Book, first: bool },
}

/// What an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Kept for when the snapshot arrives.
    Buffered,
    /// Older than the book: dropped (step 3).
    Dropped,
    /// Applied; the book is at `u`.
    Applied,
    /// The event does not follow the book: a new snapshot is needed (the book is dropped and
    /// this event buffered).
    Gap { expected_pu: u64, got_pu: u64 },
}

/// Binance's procedure, fed events and snapshots.
#[derive(Debug)]
pub struct BookSync {
    state: State,
}

impl Default for BookSync {
    fn default() -> Self {
        Self {
            state: State::Buffering(Vec::new()),
        }
    }
}

impl BookSync {
    /// Back to step 1 (after a reconnect): the book is dropped.
    pub fn reset(&mut self) {
        self.state = State::Buffering(Vec::new());
    }

    /// Whether a snapshot is needed now (the book is not live and events are buffered).
    pub fn needs_snapshot(&self) -> bool {
        matches!(&self.state, State::Buffering(events) if !events.is_empty())
    }

    pub fn is_live(&self) -> bool {
        matches!(self.state, State::Live { .. })
    }

    /// One diff depth event.
    pub fn on_event(&mut self, event: DepthUpdate) -> Applied {
        match &mut self.state {
            State::Buffering(events) => {
                events.push(event);
                Applied::Buffered
            }
            State::Live { book, first } => {
                let id = book.last_update_id;
                if *first {
                    if event.final_update_id < id {
                        return Applied::Dropped;
                    }
                    let straddles = event.first_update_id <= id && id <= event.final_update_id;
                    if !straddles && event.previous_final_update_id != id {
                        let gap = Applied::Gap {
                            expected_pu: id,
                            got_pu: event.previous_final_update_id,
                        };
                        self.state = State::Buffering(vec![event]);
                        return gap;
                    }
                    *first = false;
                } else if event.previous_final_update_id != id {
                    let gap = Applied::Gap {
                        expected_pu: id,
                        got_pu: event.previous_final_update_id,
                    };
                    self.state = State::Buffering(vec![event]);
                    return gap;
                }
                book.apply(&event);
                Applied::Applied
            }
        }
    }

    /// A REST snapshot: replays the buffered events over it (steps 3–5). A gap among them
    /// leaves the procedure buffering again (another snapshot is needed), returned as `Gap`.
    pub fn on_snapshot(&mut self, depth: &Depth) -> Applied {
        let buffered = match std::mem::replace(&mut self.state, State::Buffering(Vec::new())) {
            State::Buffering(events) => events,
            State::Live { .. } => Vec::new(),
        };
        self.state = State::Live {
            book: Book::from_snapshot(depth),
            first: true,
        };
        let mut outcome = Applied::Applied;
        let mut events = buffered.into_iter();
        while let Some(event) = events.next() {
            if let gap @ Applied::Gap { .. } = self.on_event(event) {
                if let State::Buffering(kept) = &mut self.state {
                    kept.extend(events);
                }
                return gap;
            }
            outcome = Applied::Applied;
        }
        outcome
    }

    /// The best `depth` levels a side, best first; `None` until the book is live.
    pub fn view(&self, symbol: &str, depth: usize) -> Option<BookView> {
        let State::Live { book, .. } = &self.state else {
            return None;
        };
        let level = |(price, qty): (&Decimal, &Decimal)| BookLevel {
            price: *price,
            qty: *qty,
        };
        Some(BookView {
            symbol: symbol.to_owned(),
            last_update_id: book.last_update_id,
            bids: book.bids.iter().rev().take(depth).map(level).collect(),
            asks: book.asks.iter().take(depth).map(level).collect(),
        })
    }
}

/// One price level of a [`BookView`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookLevel {
    pub price: Decimal,
    pub qty: Decimal,
}

/// The local book's best levels: bids highest first, asks lowest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookView {
    pub symbol: String,
    /// The `u` of the last event applied: the book equals the venue's book at this id.
    pub last_update_id: u64,
    pub bids: Vec<BookLevel>,
    pub asks: Vec<BookLevel>,
}

/// What an [`OrderBookStream`] shows its owner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookStatus {
    /// The book when it is in step with the venue; `None` while (re)synchronising.
    pub book: Option<BookView>,
    /// How many times the book was rebuilt from a new snapshot after a gap or a reconnect.
    pub resyncs: u64,
    /// Why the last resync happened, for the log and the UI.
    pub last_resync_reason: Option<String>,
}

/// How an [`OrderBookStream`] behaves.
#[derive(Debug, Clone)]
pub struct BookOptions {
    /// Levels a side in each [`BookView`].
    pub depth: usize,
    /// The stream connection's behaviour.
    pub stream: StreamOptions,
    /// Wait before asking for another snapshot after a failed one.
    pub snapshot_retry: Duration,
}

impl Default for BookOptions {
    fn default() -> Self {
        Self {
            depth: 20,
            stream: StreamOptions::default(),
            snapshot_retry: Duration::from_secs(1),
        }
    }
}

/// A symbol's local order book, kept in the background; read it with
/// [`status`](Self::status) or wait on [`watch`](Self::watch). Dropping it (or
/// [`close`](Self::close)) ends the task and its connection.
#[derive(Debug)]
pub struct OrderBookStream {
    task: StreamTask,
    status: watch::Receiver<BookStatus>,
}

impl OrderBookStream {
    /// Keeps `symbol`'s book from `<public_base>/stream?streams=<symbol>@depth@100ms`
    /// (`public_base`: [`Environment::ws_public_base`](super::Environment::ws_public_base), or
    /// the simulator's `ws://127.0.0.1:<port>/public`) and `snapshots`. Must be called inside a
    /// tokio runtime.
    pub fn start<S: DepthSnapshots>(
        public_base: &str,
        symbol: &str,
        snapshots: S,
        options: BookOptions,
    ) -> Result<Self, StreamError> {
        let (stream, events) = MarketStream::start(
            public_base,
            &[diff_depth_stream(symbol)],
            options.stream.clone(),
        )?;
        let (tx, status) = watch::channel(BookStatus::default());
        let symbol = symbol.to_ascii_uppercase();
        let task = StreamTask::spawn(move |stop| {
            run_book(stream, events, symbol, snapshots, options, tx, stop)
        });
        Ok(Self { task, status })
    }

    /// The book now.
    pub fn status(&self) -> BookStatus {
        self.status.borrow().clone()
    }

    /// A receiver that sees every change of [`BookStatus`].
    pub fn watch(&self) -> watch::Receiver<BookStatus> {
        self.status.clone()
    }

    pub async fn close(self) {
        self.task.close().await;
    }
}

async fn run_book<S: DepthSnapshots>(
    stream: MarketStream,
    mut events: mpsc::Receiver<MarketEvent>,
    symbol: String,
    snapshots: S,
    options: BookOptions,
    tx: watch::Sender<BookStatus>,
    mut stop: watch::Receiver<bool>,
) {
    let mut sync = BookSync::default();
    let mut resync_reason: Option<String> = None;
    loop {
        let event = tokio::select! {
            _ = stop.changed() => break,
            event = events.recv() => event,
        };
        let Some(event) = event else { break };
        match event {
            MarketEvent::Depth(update) if update.symbol == symbol => {
                if let Applied::Gap {
                    expected_pu,
                    got_pu,
                } = sync.on_event(update)
                {
                    resync_reason = Some(format!(
                        "gap in the depth stream: pu {got_pu} where {expected_pu} was expected"
                    ));
                }
            }
            MarketEvent::Disconnected { reason } => {
                sync.reset();
                resync_reason = Some(format!("connection lost: {reason}"));
                tx.send_modify(|s| s.book = None);
            }
            MarketEvent::Reconnected => sync.reset(),
            _ => {}
        }
        while sync.needs_snapshot() {
            let was_resync = resync_reason.is_some();
            tx.send_modify(|s| s.book = None);
            let snapshot = tokio::select! {
                _ = stop.changed() => return stream.close().await,
                snapshot = snapshots.snapshot(&symbol) => snapshot,
            };
            match snapshot {
                Ok(depth) => {
                    if let Applied::Gap {
                        expected_pu,
                        got_pu,
                    } = sync.on_snapshot(&depth)
                    {
                        resync_reason = Some(format!(
                            "gap after the snapshot: pu {got_pu} where {expected_pu} was expected"
                        ));
                        continue;
                    }
                    let reason = resync_reason.take();
                    tx.send_modify(|s| {
                        if was_resync {
                            s.resyncs += 1;
                            s.last_resync_reason = reason;
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, %symbol, "order book snapshot failed; retrying");
                    tokio::select! {
                        _ = stop.changed() => return stream.close().await,
                        _ = tokio::time::sleep(options.snapshot_retry) => {}
                    }
                    // Events that came meanwhile are read first; the buffer still needs a
                    // snapshot, so the loop asks again.
                    break;
                }
            }
        }
        if let Some(view) = sync.view(&symbol, options.depth) {
            tx.send_modify(|s| s.book = Some(view));
        }
    }
    stream.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn event(first: u64, last: u64, pu: u64, bids: &[(&str, &str)]) -> DepthUpdate {
        DepthUpdate {
            event_time: 1,
            transaction_time: None,
            symbol: "BTCUSDT".into(),
            first_update_id: first,
            final_update_id: last,
            previous_final_update_id: pu,
            bids: bids.iter().map(|(p, q)| DepthLevel(d(p), d(q))).collect(),
            asks: vec![DepthLevel(d("101"), d("1"))],
        }
    }

    fn snapshot(id: u64) -> Depth {
        serde_json::from_value(serde_json::json!({
            "lastUpdateId": id, "E": 1, "T": 1,
            "bids": [["100", "1"], ["99", "2"]],
            "asks": [["101", "1"]],
        }))
        .unwrap()
    }

    #[test]
    fn the_documented_procedure() {
        let mut sync = BookSync::default();
        assert_eq!(sync.on_event(event(1, 5, 0, &[])), Applied::Buffered);
        assert_eq!(
            sync.on_event(event(6, 9, 5, &[("100", "3")])),
            Applied::Buffered
        );
        assert_eq!(
            sync.on_event(event(10, 12, 9, &[("99", "0")])),
            Applied::Buffered
        );
        assert!(sync.needs_snapshot());
        // Snapshot at 8: the first event (u 5) is dropped, the second straddles 8.
        assert_eq!(sync.on_snapshot(&snapshot(8)), Applied::Applied);
        let view = sync.view("BTCUSDT", 10).unwrap();
        assert_eq!(view.last_update_id, 12);
        assert_eq!(
            view.bids,
            vec![BookLevel {
                price: d("100"),
                qty: d("3")
            }],
            "99 removed by a 0 quantity"
        );
        // A missing event: pu 14 where 12 was expected.
        assert_eq!(
            sync.on_event(event(15, 16, 14, &[])),
            Applied::Gap {
                expected_pu: 12,
                got_pu: 14
            }
        );
        assert!(sync.view("BTCUSDT", 10).is_none() && sync.needs_snapshot());
    }

    #[test]
    fn a_first_event_that_does_not_reach_the_snapshot_asks_for_another() {
        let mut sync = BookSync::default();
        sync.on_event(event(20, 25, 19, &[]));
        // The snapshot is older than the event's start and the event does not follow it.
        assert!(matches!(
            sync.on_snapshot(&snapshot(10)),
            Applied::Gap { .. }
        ));
        assert!(sync.needs_snapshot());
        // A snapshot the event follows directly (pu = lastUpdateId) is accepted.
        assert_eq!(sync.on_snapshot(&snapshot(19)), Applied::Applied);
        assert_eq!(sync.view("BTCUSDT", 5).unwrap().last_update_id, 25);
    }
}
