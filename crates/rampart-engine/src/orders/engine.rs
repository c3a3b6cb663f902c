//! [`OrderEngine`]: the connected accounts, the order path and the state of orders in flight.
//!
//! Lock discipline: everything about orders in flight (which are pending, which are unknown,
//! which accounts are still recovering) lives in one [`Book`] behind one mutex, and every
//! read-check-write of it (may this order go? mark it in flight) happens in one critical
//! section. The mutex is never held across an await or a disk write.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use rampart_core::options::OptionChain;
use rampart_core::trading::{
    Balance, ClientIdLookup, FeeRates, InstrumentRules, Leverage, LeverageRequest, MarginMode,
    MarkPrice, OrderRequest, OrderState, Position, PositionSide, VenueCapabilities,
};
use rampart_core::{OrderType, Price, Qty, Side, Venue as VenueId};
use rampart_venues::venue::{DynVenue, ErrorKind};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::AbortHandle;
use ts_rs::TS;

use super::guarded::{self, AccountFacts, Consent, PlaceOutcome};
use super::journal::{Intent, OrderJournal, Outcome};
use super::resolve::ResolvePolicy;
use super::{OrderError, OrderTicket, PlacedOrder, PlacedStatus, new_client_order_id, validate};
use crate::clock::{local_ms, wall_us};
use rampart_guard::{Guard, OrderFacts, Refusal, RejectionKind, Verdict as GuardVerdict, Warning};
use rampart_venues::venue::RefusalCause;

/// Where an account's connection stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case", tag = "state", content = "message")]
#[ts(rename_all = "snake_case", tag = "state", content = "message")]
pub enum ConnectionState {
    /// Measuring the venue's clock and reading its instruments.
    Connecting,
    Ready,
    /// The connection failed; the message says why and what to do.
    Failed(String),
}

/// An order whose outcome is not known yet, as the status bar lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct PendingOrderView {
    pub client_order_id: String,
    pub symbol: String,
    /// "Checking with the exchange" and why.
    pub message: String,
}

/// One account's trading state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct AccountStatus {
    pub account_id: String,
    pub venue: VenueId,
    pub connection: ConnectionState,
    /// Venue − local clock (ms), once measured.
    #[ts(type = "number | null")]
    pub clock_offset_ms: Option<i64>,
    /// Orders still being checked with the exchange; new orders on their symbols wait.
    pub checking: Vec<PendingOrderView>,
    /// Whether orders sent before the last restart are still being resolved (no new order on
    /// this account until they are).
    pub recovering: bool,
    /// How long the venue took to answer the last order it answered (µs), for the status bar.
    #[ts(type = "number | null")]
    pub last_round_trip_us: Option<u64>,
    /// What the account's API key may do, as the venue reported it at connect (`None` until
    /// read, or where the venue does not say).
    pub key_permissions: Option<rampart_core::trading::KeyPermissions>,
    /// The venue's dead man's switch (its scope, countdown range and any condition, such as
    /// Bybit's institutional accounts only); `None` where the venue has none.
    pub dead_mans_switch: Option<rampart_core::trading::DeadMansSwitchInfo>,
}

/// When an order was handed to the venue's connector, and how long its answer took.
#[derive(Debug, Clone, Copy)]
struct OrderTiming {
    sent_at_us: i64,
    round_trip_us: u64,
}

/// The guard's answer inside the engine.
enum Judged {
    /// The order goes; the warnings (info, or consented to) go with its answer.
    Go(Vec<Warning>),
    /// The user must confirm or step up first.
    Ask(PlaceOutcome),
    Refused(OrderError),
}

/// A connected account.
pub(super) struct Account {
    pub(super) id: String,
    /// The account's venue as the trader knows it (Demo runs Binance's protocol in process).
    venue_id: VenueId,
    pub(super) venue: Arc<dyn DynVenue>,
    capabilities: VenueCapabilities,
    connection: watch::Sender<ConnectionState>,
    rules: RwLock<HashMap<String, Arc<InstrumentRules>>>,
    /// The last mark price read per symbol, and when: the reference for the pre-trade checks.
    marks: Mutex<HashMap<String, (Price, Instant)>>,
    /// The account's fee rates per symbol, and when they were read.
    fees: Mutex<HashMap<String, (FeeRates, Instant)>>,
    /// How long the venue took to answer the last order it answered (µs; 0 before the first).
    last_round_trip_us: AtomicU64,
}

/// An order between its intent and its outcome.
#[derive(Debug, Clone)]
struct Pending {
    /// Shared with the place call (and a resolver) that holds the order: not copied per order.
    intent: Arc<Intent>,
    /// `Some(reason)` once its answer was lost.
    unknown: Option<String>,
}

/// Orders in flight: one lock for all of it.
#[derive(Default)]
struct Book {
    pending: HashMap<String, Pending>,
    /// Accounts whose journaled orders from before a restart are still being resolved.
    recovering: HashSet<String>,
    /// Journaled intents whose account is not connected (yet): resolved when it connects.
    waiting: Vec<Arc<Intent>>,
    /// Resolver tasks per account, aborted when the account is detached.
    resolvers: HashMap<String, Vec<AbortHandle>>,
}

impl Book {
    /// Why a new order on `account`/`symbol` must wait, if it must.
    fn blocked(&self, account: &str, symbol: &str) -> Option<String> {
        if self.recovering.contains(account) {
            return Some(
                "Checking with the exchange: orders sent before Rampart last stopped are being \
                 looked up. New orders on this account wait until that is done."
                    .to_owned(),
            );
        }
        self.pending
            .values()
            .find(|p| {
                p.unknown.is_some() && p.intent.account_id == account && p.intent.symbol == symbol
            })
            .map(|p| {
                format!(
                    "Checking with the exchange: the answer to order {} on {symbol} was lost, \
                     and new orders on {symbol} wait until the exchange has said whether it has \
                     it.",
                    p.intent.client_order_id
                )
            })
    }
}

/// The order path for every connected account.
pub struct OrderEngine {
    pub(super) journal: OrderJournal,
    accounts: RwLock<HashMap<String, Arc<Account>>>,
    book: Mutex<Book>,
    /// The guard: its verdict and its record of what was sent happen in one critical section
    /// per order, so concurrent orders are judged one at a time against what went before.
    guard: Mutex<Guard>,
    /// The accounts' live state the guard's facts come from.
    facts: Arc<dyn AccountFacts>,
    pub(super) policy: ResolvePolicy,
}

impl std::fmt::Debug for OrderEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderEngine")
            .field("journal", &self.journal.path())
            .finish_non_exhaustive()
    }
}

/// How long a place call waits for a connecting account before saying it is not ready.
const READY_WAIT: Duration = Duration::from_secs(10);

/// How old a mark price may be and still serve as an order's reference price (the price band
/// and the value of an order without a limit price). The venue checks both again itself.
const MARK_FRESH_FOR: Duration = Duration::from_secs(2);

/// How long a read of the account's fee rates is used before it is read again (they change
/// with the account's tier, at most daily).
const FEES_FRESH_FOR: Duration = Duration::from_secs(60 * 60);

impl OrderEngine {
    /// An engine over `journal` (opened by the caller, with the intents it returned passed as
    /// `unresolved`): those are resolved as soon as their accounts are attached, and until then
    /// their accounts take no new orders.
    pub fn new(
        journal: OrderJournal,
        unresolved: Vec<Intent>,
        guard: Guard,
        facts: Arc<dyn AccountFacts>,
        policy: ResolvePolicy,
    ) -> Arc<Self> {
        let book = Book {
            recovering: unresolved.iter().map(|i| i.account_id.clone()).collect(),
            waiting: unresolved.into_iter().map(Arc::new).collect(),
            ..Book::default()
        };
        Arc::new(OrderEngine {
            journal,
            accounts: RwLock::new(HashMap::new()),
            book: Mutex::new(book),
            guard: Mutex::new(guard),
            facts,
            policy,
        })
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        // Every change to the book is a handful of map operations with no await and no I/O in
        // between, so a panic elsewhere cannot leave it half-updated: recovering is safe.
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The guard. Its calls are pure computation on in-memory state (no await, no I/O while
    /// held), so a panic cannot leave it half-updated: recovering is safe.
    pub fn guard(&self) -> MutexGuard<'_, Guard> {
        self.guard.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn account(&self, id: &str) -> Result<Arc<Account>, OrderError> {
        self.accounts
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
            .ok_or_else(|| OrderError::UnknownAccount(id.to_owned()))
    }

    /// Connects an account: measures the clock, reads the instruments, then resolves any
    /// journaled order of it from before a restart. Returns at once; the connection proceeds
    /// in the background ([`OrderEngine::status`] tells where it stands). An account already
    /// attached stays as it is.
    pub fn attach(self: &Arc<Self>, account_id: &str, venue_id: VenueId, venue: Arc<dyn DynVenue>) {
        if self
            .accounts
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(account_id)
        {
            return;
        }
        let (connection, _) = watch::channel(ConnectionState::Connecting);
        let account = Arc::new(Account {
            id: account_id.to_owned(),
            venue_id,
            capabilities: venue.capabilities(),
            venue,
            connection,
            rules: RwLock::new(HashMap::new()),
            marks: Mutex::new(HashMap::new()),
            fees: Mutex::new(HashMap::new()),
            last_round_trip_us: AtomicU64::new(0),
        });
        self.accounts
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(account_id.to_owned(), Arc::clone(&account));
        let engine = Arc::clone(self);
        let task = tokio::spawn(async move { engine.connect(account).await });
        self.book()
            .resolvers
            .entry(account_id.to_owned())
            .or_default()
            .push(task.abort_handle());
    }

    async fn connect(self: Arc<Self>, account: Arc<Account>) {
        let connected = async {
            account.venue.sync_clock().await?;
            let rules = account.venue.instruments(false).await?;
            Ok::<_, rampart_venues::venue::Error>(rules)
        }
        .await;
        if connected.is_ok() {
            self.audit_key(&account).await;
        }
        match connected {
            Ok(rules) => {
                *account.rules.write().unwrap_or_else(|p| p.into_inner()) = rules
                    .into_iter()
                    .map(|r| (r.symbol.clone(), Arc::new(r)))
                    .collect();
                account.connection.send_replace(ConnectionState::Ready);
            }
            Err(e) => {
                tracing::warn!(account = %account.id, error = %e.message, "account did not connect");
                account
                    .connection
                    .send_replace(ConnectionState::Failed(e.message.clone()));
            }
        }
        // Journaled orders of this account from before a restart: resolve them now (the
        // resolver measures the clock again by itself when it is not known).
        let waiting: Vec<Arc<Intent>> = {
            let mut book = self.book();
            let (mine, others) = std::mem::take(&mut book.waiting)
                .into_iter()
                .partition(|i| i.account_id == account.id);
            book.waiting = others;
            for intent in &mine {
                book.pending.insert(
                    intent.client_order_id.clone(),
                    Pending {
                        intent: Arc::clone(intent),
                        unknown: Some("sent before Rampart last stopped".into()),
                    },
                );
            }
            mine
        };
        let recovery = waiting
            .into_iter()
            .map(|intent| Arc::clone(&self).resolve_until_known(Arc::clone(&account), intent));
        futures_util::future::join_all(recovery).await;
        self.book().recovering.remove(&account.id);
    }

    /// Disconnects an account: its resolvers stop (its unresolved orders stay in the journal and
    /// are resolved when it is attached again).
    pub fn detach(&self, account_id: &str) {
        self.accounts
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(account_id);
        let mut book = self.book();
        for handle in book.resolvers.remove(account_id).unwrap_or_default() {
            handle.abort();
        }
        let unresolved: Vec<Arc<Intent>> = book
            .pending
            .values()
            .filter(|p| p.intent.account_id == account_id)
            .map(|p| Arc::clone(&p.intent))
            .collect();
        for intent in &unresolved {
            book.pending.remove(&intent.client_order_id);
        }
        if !unresolved.is_empty() {
            book.recovering.insert(account_id.to_owned());
            book.waiting.extend(unresolved);
        }
        drop(book);
        // The outcomes queued for the next intent are written now: the account may not trade
        // again for a long time.
        if let Err(e) = self.journal.flush() {
            tracing::error!(%e, "could not write the queued order outcomes");
        }
    }

    /// Disconnects every account (at lock: the connectors hold the keys in memory).
    pub fn detach_all(&self) {
        let ids: Vec<String> = self
            .accounts
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        for id in ids {
            self.detach(&id);
        }
    }

    /// Waits (up to [`READY_WAIT`]) for a connecting account.
    async fn ready(&self, account: &Account) -> Result<(), OrderError> {
        if *account.connection.borrow() == ConnectionState::Ready {
            return Ok(());
        }
        let mut rx = account.connection.subscribe();
        let waited = tokio::time::timeout(
            READY_WAIT,
            rx.wait_for(|s| !matches!(s, ConnectionState::Connecting)),
        )
        .await;
        let state = account.connection.borrow().clone();
        match (waited, state) {
            (_, ConnectionState::Ready) => Ok(()),
            (_, ConnectionState::Failed(why)) => Err(OrderError::Unavailable(format!(
                "The account is not connected: {why}"
            ))),
            _ => Err(OrderError::Unavailable(
                "The account is still connecting to the exchange; try again in a moment.".into(),
            )),
        }
    }

    /// The account, once connected (waiting for a connecting one).
    async fn connected(&self, account_id: &str) -> Result<Arc<Account>, OrderError> {
        let account = self.account(account_id)?;
        self.ready(&account).await?;
        Ok(account)
    }

    /// The key permission audit, at each connect: what the venue says the account's key may
    /// do goes to the guard (which lists its warnings, asks for a code on an account whose key
    /// can withdraw, and refuses orders on a read-only key). A venue that does not say, or an
    /// answer that does not come, leaves the account as it was, with a line in the log.
    async fn audit_key(&self, account: &Account) {
        match account.venue.key_permissions().await {
            Ok(Some(key)) => {
                let warnings = self.guard().observe_key(&account.id, key, guarded::now());
                if !warnings.is_empty() {
                    tracing::warn!(account = %account.id, count = warnings.len(), "the API key's permissions raised warnings");
                }
            }
            Ok(None) => {
                tracing::info!(account = %account.id, "the venue does not report this key's permissions");
            }
            Err(e) => {
                tracing::warn!(account = %account.id, error = %e.message, "the API key's permissions could not be read");
            }
        }
    }

    /// The instrument's rules, from the account's cache (read again from the venue once when
    /// the symbol is not in it).
    async fn rules(
        &self,
        account: &Account,
        symbol: &str,
    ) -> Result<Arc<InstrumentRules>, OrderError> {
        let cached = account
            .rules
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(symbol)
            .cloned();
        if let Some(rules) = cached {
            return Ok(rules);
        }
        let all = account
            .venue
            .instruments(true)
            .await
            .map_err(OrderError::Venue)?;
        let mut cache = account.rules.write().unwrap_or_else(|p| p.into_inner());
        *cache = all
            .into_iter()
            .map(|r| (r.symbol.clone(), Arc::new(r)))
            .collect();
        cache.get(symbol).cloned().ok_or_else(|| {
            OrderError::Invalid(format!(
                "{symbol} is not an instrument on this account's venue."
            ))
        })
    }

    /// The mark price to check an order against: the last one read if it is fresh, else read
    /// now (one request, which the connector would otherwise make itself for every order).
    /// `None` when the venue cannot say; the connector then asks again and refuses cleanly.
    async fn reference_price(&self, account: &Account, symbol: &str) -> Option<Price> {
        let cached = lock(&account.marks).get(symbol).copied();
        if let Some((price, at)) = cached
            && at.elapsed() < MARK_FRESH_FOR
        {
            return Some(price);
        }
        let mark = account.venue.mark_price(symbol).await.ok()?;
        remember_mark(account, symbol, mark.mark)
    }

    /// A mark price from the venue's stream (the watched instrument's): orders on it check
    /// against this one instead of reading the mark over REST while it is fresh.
    pub fn note_mark(&self, account_id: &str, symbol: &str, mark: Decimal) {
        if let Ok(account) = self.account(account_id) {
            remember_mark(&account, symbol, mark);
        }
    }

    /// The account's maker and taker fee rates on `symbol` (read from the venue at most hourly).
    pub async fn fee_rates(&self, account_id: &str, symbol: &str) -> Result<FeeRates, OrderError> {
        let account = self.connected(account_id).await?;
        if let Some((rates, at)) = lock(&account.fees).get(symbol)
            && at.elapsed() < FEES_FRESH_FOR
        {
            return Ok(rates.clone());
        }
        let rates = account
            .venue
            .fee_rates(symbol)
            .await
            .map_err(OrderError::Venue)?;
        lock(&account.fees).insert(symbol.to_owned(), (rates.clone(), Instant::now()));
        Ok(rates)
    }

    /// Every instrument of the account.
    pub async fn instruments(&self, account_id: &str) -> Result<Vec<InstrumentRules>, OrderError> {
        let account = self.connected(account_id).await?;
        let mut all: Vec<InstrumentRules> = account
            .rules
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|r| InstrumentRules::clone(r))
            .collect();
        all.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        Ok(all)
    }

    /// Places an order: rules, the guard, intent on disk, sent once. A lost answer is
    /// "checking with the exchange", resolved in the background by client order id. When the
    /// guard wants a confirmation or a code that `consent` does not carry yet, nothing is sent
    /// and the answer says what it wants, with its warnings.
    pub async fn place(
        self: &Arc<Self>,
        account_id: &str,
        ticket: &OrderTicket,
        consent: Consent,
    ) -> Result<PlaceOutcome, OrderError> {
        self.place_with(account_id, ticket, consent, None).await
    }

    /// Closes one position with a reduce-only market order (at most the instrument's largest
    /// market order; what is left is closed by the next call), judged against the position as
    /// just read from the venue rather than the streamed one. The kill switch's close.
    pub async fn close_position(
        self: &Arc<Self>,
        account_id: &str,
        position: &Position,
    ) -> Result<PlaceOutcome, OrderError> {
        let account = self.account(account_id)?;
        let rules = self.rules(&account, &position.symbol).await?;
        let mut qty = position.qty.abs();
        if rules.max_market_qty > Decimal::ZERO {
            qty = qty.min(rules.max_market_qty);
        }
        let qty = Qty::try_from(qty).map_err(|e| {
            OrderError::Invalid(format!(
                "the position on {} cannot be closed by an order of {qty}: {e}",
                position.symbol
            ))
        })?;
        let ticket = OrderTicket {
            symbol: position.symbol.clone(),
            side: if position.qty.is_sign_negative() {
                Side::Buy
            } else {
                Side::Sell
            },
            order_type: OrderType::Market,
            qty,
            price: None,
            trigger_price: None,
            time_in_force: None,
            // Hedge mode closes a side by naming it; one-way mode by reduce-only.
            reduce_only: position.position_side == PositionSide::Net,
            trigger_by: None,
            margin_mode: position.margin_mode,
            position_side: position.position_side,
        };
        let consent = Consent {
            confirmed: true,
            stepped_up: false,
        };
        self.place_with(account_id, &ticket, consent, Some(position.qty))
            .await
    }

    /// [`OrderEngine::place`], with the position the guard judges against when the caller has
    /// just read it from the venue.
    async fn place_with(
        self: &Arc<Self>,
        account_id: &str,
        ticket: &OrderTicket,
        consent: Consent,
        position: Option<Decimal>,
    ) -> Result<PlaceOutcome, OrderError> {
        let account = self.account(account_id)?;
        if let Some(why) = self.book().blocked(account_id, &ticket.symbol) {
            return Err(OrderError::CheckingWithExchange(why));
        }
        self.ready(&account).await?;
        // A venue that takes the margin mode on every order (OKX's tdMode) gets the one the
        // ticket names, else that of the position the order adds to or reduces, else cross.
        let filled;
        let ticket = if account.capabilities.margin_mode_per_order && ticket.margin_mode.is_none() {
            let mut with_mode = ticket.clone();
            with_mode.margin_mode = Some(
                self.facts
                    .margin_mode(&account.id, &ticket.symbol)
                    .unwrap_or(MarginMode::Cross),
            );
            filled = with_mode;
            &filled
        } else {
            ticket
        };
        let rules = self.rules(&account, &ticket.symbol).await?;
        let reference = self.reference_price(&account, &ticket.symbol).await;
        validate::check(
            ticket,
            &rules,
            &account.capabilities,
            reference.map(Price::get),
        )
        .map_err(|e| OrderError::Invalid(e.0))?;
        let info = match self.judge(&account, ticket, &rules, reference, consent, position) {
            Judged::Go(info) => info,
            Judged::Ask(outcome) => return Ok(outcome),
            Judged::Refused(e) => return Err(e),
        };
        let intent = Intent {
            client_order_id: new_client_order_id(),
            account_id: account_id.to_owned(),
            venue: account.venue_id,
            symbol: ticket.symbol.clone(),
            side: ticket.side,
            order_type: ticket.order_type,
            qty: ticket.qty.get(),
            price: ticket.price.map(|p| p.get()),
            trigger_price: ticket.trigger_price.map(|p| p.get()),
            time_in_force: ticket.time_in_force,
            reduce_only: ticket.reduce_only,
            trigger_by: ticket.trigger_by,
            margin_mode: ticket.margin_mode,
            position_side: ticket.position_side,
            sent_at_ms: account.venue.venue_time_ms().unwrap_or_else(local_ms),
            recv_window_ms: u64::try_from(account.venue.request_validity().as_millis())
                .unwrap_or(u64::MAX),
        };
        let intent = Arc::new(intent);
        // One critical section: still not blocked (an unknown may have appeared meanwhile),
        // then in flight.
        {
            let mut book = self.book();
            if let Some(why) = book.blocked(account_id, &ticket.symbol) {
                return Err(OrderError::CheckingWithExchange(why));
            }
            book.pending.insert(
                intent.client_order_id.clone(),
                Pending {
                    intent: Arc::clone(&intent),
                    unknown: None,
                },
            );
        }
        if let Err(e) = self.journal.record_intent(&intent) {
            self.book().pending.remove(&intent.client_order_id);
            return Err(e.into());
        }
        let request = OrderRequest {
            symbol: ticket.symbol.clone(),
            client_order_id: intent.client_order_id.clone(),
            side: ticket.side,
            order_type: ticket.order_type,
            qty: ticket.qty,
            price: ticket.price,
            trigger_price: ticket.trigger_price,
            time_in_force: ticket.time_in_force,
            reduce_only: ticket.reduce_only,
            trigger_by: ticket.trigger_by,
            margin_mode: ticket.margin_mode,
            position_side: ticket.position_side,
            reference_price: reference,
        };
        // Wall-clock times around the hand-over (the connector writes the request's bytes
        // within microseconds of it): when the order left, and how long its answer took.
        let handed_at = wall_us();
        let sent = account.venue.place_order(&request).await;
        let timing = OrderTiming {
            sent_at_us: handed_at,
            round_trip_us: u64::try_from(wall_us().saturating_sub(handed_at)).unwrap_or(0),
        };
        let answered = match &sent {
            Ok(_) => true,
            Err(e) => !e.outcome_unknown && !e.not_sent,
        };
        if answered {
            account
                .last_round_trip_us
                .store(timing.round_trip_us.max(1), Ordering::Relaxed);
        }
        // What the venue's answer says about the key and the clock.
        let answer = match &sent {
            Ok(_) => Some(Ok(())),
            Err(e) if !e.outcome_unknown && !e.not_sent && e.kind == ErrorKind::Rejected => {
                Some(Err(match e.refusal_cause() {
                    RefusalCause::Authentication => RejectionKind::Authentication,
                    RefusalCause::Timestamp => RejectionKind::Timestamp,
                    RefusalCause::Other => RejectionKind::Other,
                }))
            }
            Err(_) => None,
        };
        if let Some(answer) = answer {
            self.guard()
                .record_answer(account_id, answer, guarded::now());
        }
        // The request's copy of the id becomes the answer's.
        let mut placed = self.settle(&account, intent, request.client_order_id, sent, timing)?;
        placed.warnings = info;
        Ok(PlaceOutcome::Placed { order: placed })
    }

    /// The guard's verdict on one order, and, when it goes, its record: one critical section,
    /// so a burst of concurrent orders is judged one at a time (each sees those before it).
    fn judge(
        &self,
        account: &Account,
        ticket: &OrderTicket,
        rules: &InstrumentRules,
        reference: Option<Price>,
        consent: Consent,
        position: Option<Decimal>,
    ) -> Judged {
        let at = guarded::now();
        let facts = OrderFacts {
            account: &account.id,
            venue: account.venue_id,
            symbol: &ticket.symbol,
            side: ticket.side,
            order_type: ticket.order_type,
            qty: ticket.qty.get(),
            price: ticket.price.map(Price::get),
            trigger_price: ticket.trigger_price.map(Price::get),
            mark: reference.map(Price::get),
            value: guarded::contract_value(rules),
            reduce_only: ticket.reduce_only,
            leverage: self.facts.leverage(&account.id, &ticket.symbol),
            position_qty: position
                .unwrap_or_else(|| self.facts.position(&account.id, &ticket.symbol)),
            open_orders: self.facts.open_orders(&account.id),
            at,
        };
        let offset = account.venue.venue_time_ms().map(|t| t - local_ms());
        let mut guard = self.guard();
        if let Some(offset) = offset {
            guard.observe_clock(&account.id, offset, at);
        }
        let assessment = guard.assess(&facts);
        // Listed in the warnings panel whatever happens next (a repeat within a minute is
        // listed once).
        guard.commit(&assessment, at);
        let warnings = assessment.warnings;
        match assessment.verdict {
            GuardVerdict::Refused(why @ Refusal::BreakerTripped { .. }) => {
                return Judged::Refused(OrderError::Halted(why.to_string()));
            }
            GuardVerdict::Refused(why) => {
                return Judged::Refused(OrderError::Refused(why.to_string()));
            }
            GuardVerdict::NeedsStepUp if !consent.stepped_up => {
                return Judged::Ask(PlaceOutcome::NeedsStepUp { warnings });
            }
            GuardVerdict::NeedsConfirmation if !consent.confirmed && !consent.stepped_up => {
                return Judged::Ask(PlaceOutcome::NeedsConfirmation { warnings });
            }
            _ => {}
        }
        // From here the order counts as sent for the guard (bursts, duplicates, the usual
        // size), even if the journal or the venue then stops it: the conservative side.
        if consent.stepped_up {
            guard.stepped_up(&account.id);
        }
        guard.record_sent(&facts);
        Judged::Go(warnings)
    }

    /// Journals what the venue answered and turns it into the place call's answer.
    fn settle(
        self: &Arc<Self>,
        account: &Arc<Account>,
        intent: Arc<Intent>,
        cid: String,
        sent: rampart_venues::venue::Result<rampart_core::trading::OrderAck>,
        timing: OrderTiming,
    ) -> Result<PlacedOrder, OrderError> {
        let finish = |outcome: &Outcome| -> Result<(), OrderError> {
            let written = self.journal.record_outcome(&cid, outcome);
            self.book().pending.remove(&cid);
            written.map_err(OrderError::from)
        };
        match sent {
            Ok(ack) => {
                finish(&Outcome::Accepted {
                    venue_order_id: ack.venue_order_id.clone(),
                    status: ack.status,
                })?;
                Ok(PlacedOrder {
                    account_id: account.id.clone(),
                    client_order_id: cid,
                    status: PlacedStatus::Accepted,
                    message: format!("Order {} accepted ({:?}).", ack.venue_order_id, ack.status),
                    ack: Some(ack),
                    sent_at_us: timing.sent_at_us,
                    round_trip_us: timing.round_trip_us,
                    warnings: Vec::new(),
                })
            }
            Err(e) if e.not_sent => {
                finish(&Outcome::NotSent {
                    message: e.message.clone(),
                })?;
                Err(OrderError::NotSent(e))
            }
            // A definite refusal: the venue answered with its code (a 429 included: Binance
            // documents that a rate-limited request is not processed).
            Err(e)
                if !e.outcome_unknown
                    && matches!(
                        e.kind,
                        ErrorKind::Rejected | ErrorKind::Validation | ErrorKind::RateLimited
                    ) =>
            {
                finish(&Outcome::Rejected {
                    venue_code: e.venue_code.clone(),
                    message: e.message.clone(),
                })?;
                Err(OrderError::Rejected(e))
            }
            // Everything else may or may not have reached the venue: unknown, never "failed".
            Err(e) => {
                let reason = e.message.clone();
                // The order is pending already; an unwritten note only loses the reason, the
                // intent itself is on disk and unresolved either way.
                if let Err(j) = self.journal.record_unknown(&cid, &reason) {
                    tracing::error!(%j, "could not journal an unknown outcome");
                }
                if let Some(p) = self.book().pending.get_mut(&cid) {
                    p.unknown = Some(reason.clone());
                }
                let engine = Arc::clone(self);
                let task_account = Arc::clone(account);
                let task = tokio::spawn(async move {
                    engine.resolve_until_known(task_account, intent).await;
                });
                self.book()
                    .resolvers
                    .entry(account.id.clone())
                    .or_default()
                    .push(task.abort_handle());
                Ok(PlacedOrder {
                    account_id: account.id.clone(),
                    client_order_id: cid,
                    status: PlacedStatus::CheckingWithExchange,
                    ack: None,
                    sent_at_us: timing.sent_at_us,
                    round_trip_us: timing.round_trip_us,
                    message: format!(
                        "Checking with the exchange: the answer was lost ({reason}). Rampart \
                         is asking the exchange about this order by its client order id; do not \
                         send it again."
                    ),
                    warnings: Vec::new(),
                })
            }
        }
    }

    /// Records a resolved outcome and lifts the block it held.
    pub(super) fn resolved(&self, intent: &Intent, outcome: &Outcome) {
        // Written now (a lookup can take long; the next intent may be far off).
        if let Err(e) = self
            .journal
            .record_outcome(&intent.client_order_id, outcome)
            .and_then(|()| self.journal.flush())
        {
            // Still resolved in memory; the journal keeps the intent, so it is looked up again
            // after a restart (a harmless second lookup).
            tracing::error!(%e, "could not journal a resolved outcome");
        }
        self.book().pending.remove(&intent.client_order_id);
        tracing::info!(
            client_order_id = %intent.client_order_id,
            ?outcome,
            "order outcome resolved with the exchange"
        );
    }

    /// Cancels one order by its client order id.
    pub async fn cancel(
        &self,
        account_id: &str,
        symbol: &str,
        client_order_id: &str,
    ) -> Result<OrderState, OrderError> {
        let account = self.connected(account_id).await?;
        self.guard().record_cancel(account_id, guarded::now());
        account
            .venue
            .cancel_by_client_id(symbol, client_order_id)
            .await
            .map_err(classify)
    }

    /// Cancels every open order of the account (of one symbol, or all).
    pub async fn cancel_all(
        &self,
        account_id: &str,
        symbol: Option<&str>,
    ) -> Result<(), OrderError> {
        let account = self.connected(account_id).await?;
        account.venue.cancel_all(symbol).await.map_err(classify)
    }

    /// What the account's venue can do (its dead man's switch among it), once connected.
    pub async fn capabilities(&self, account_id: &str) -> Result<VenueCapabilities, OrderError> {
        Ok(self.connected(account_id).await?.capabilities.clone())
    }

    /// Arms (or, with a zero countdown, disarms) the venue's dead man's switch on the account.
    pub async fn dead_mans_switch(
        &self,
        account_id: &str,
        scope: &rampart_core::trading::DeadMansScope,
        countdown: Duration,
    ) -> Result<(), OrderError> {
        let account = self.connected(account_id).await?;
        if account.capabilities.dead_mans_switch.is_none() {
            return Err(OrderError::Unavailable(
                "this venue has no dead man's switch Rampart can arm".into(),
            ));
        }
        account
            .venue
            .dead_mans_switch(scope, countdown)
            .await
            .map_err(classify)
    }

    /// The order with this client order id, as the venue knows it now.
    pub async fn order(
        &self,
        account_id: &str,
        symbol: &str,
        client_order_id: &str,
    ) -> Result<OrderState, OrderError> {
        let account = self.connected(account_id).await?;
        match account
            .venue
            .order_by_client_id(symbol, client_order_id)
            .await
            .map_err(classify)?
        {
            ClientIdLookup::Found(o) => Ok(o),
            ClientIdLookup::Several(mut all) => {
                all.sort_by_key(|o| std::cmp::Reverse(o.updated_ms));
                all.into_iter()
                    .next()
                    .ok_or_else(|| not_found(client_order_id))
            }
            ClientIdLookup::NotFound => Err(not_found(client_order_id)),
        }
    }

    pub async fn open_orders(
        &self,
        account_id: &str,
        symbol: Option<&str>,
    ) -> Result<Vec<OrderState>, OrderError> {
        let account = self.connected(account_id).await?;
        account.venue.open_orders(symbol).await.map_err(classify)
    }

    pub async fn positions(&self, account_id: &str) -> Result<Vec<Position>, OrderError> {
        let account = self.connected(account_id).await?;
        account.venue.positions(None).await.map_err(classify)
    }

    pub async fn mark_price(
        &self,
        account_id: &str,
        symbol: &str,
    ) -> Result<MarkPrice, OrderError> {
        let account = self.connected(account_id).await?;
        account.venue.mark_price(symbol).await.map_err(classify)
    }

    /// The options chain of `underlying` on the account: the venue's quotes of every live option
    /// (one request), laid out by expiry and strike against the account's instrument rules.
    pub async fn option_chain(
        &self,
        account_id: &str,
        underlying: &str,
    ) -> Result<OptionChain, OrderError> {
        let account = self.connected(account_id).await?;
        let quotes = account
            .venue
            .option_quotes(underlying)
            .await
            .map_err(classify)?;
        let rules = self.instruments(account_id).await?;
        OptionChain::assemble(underlying, &rules, quotes, local_ms()).ok_or_else(|| {
            OrderError::Invalid(format!(
                "This account lists no live {} options.",
                underlying.trim().to_ascii_uppercase()
            ))
        })
    }

    pub async fn balances(&self, account_id: &str) -> Result<Vec<Balance>, OrderError> {
        let account = self.connected(account_id).await?;
        account.venue.balances().await.map_err(classify)
    }

    /// Sets a symbol's leverage; returns the leverage the venue now applies.
    pub async fn set_leverage(
        &self,
        account_id: &str,
        request: &LeverageRequest,
    ) -> Result<Leverage, OrderError> {
        let account = self.connected(account_id).await?;
        if request.leverage.buy <= Decimal::ZERO || request.leverage.sell <= Decimal::ZERO {
            return Err(OrderError::Invalid(format!(
                "Leverage must be above zero (asked {}x / {}x).",
                request.leverage.buy, request.leverage.sell
            )));
        }
        account.venue.set_leverage(request).await.map_err(classify)
    }

    /// Every attached account's connection and the orders still being checked.
    pub fn status(&self) -> Vec<AccountStatus> {
        let accounts: Vec<Arc<Account>> = self
            .accounts
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        // The guard's lock is not held with the book's.
        let keys: HashMap<String, rampart_core::trading::KeyPermissions> = {
            let guard = self.guard();
            accounts
                .iter()
                .filter_map(|a| Some((a.id.clone(), guard.key(&a.id)?.clone())))
                .collect()
        };
        let book = self.book();
        let mut all: Vec<AccountStatus> = accounts
            .iter()
            .map(|a| AccountStatus {
                account_id: a.id.clone(),
                venue: a.venue_id,
                connection: a.connection.borrow().clone(),
                clock_offset_ms: a.venue.venue_time_ms().map(|t| t - local_ms()),
                checking: book
                    .pending
                    .values()
                    .filter(|p| p.intent.account_id == a.id && p.unknown.is_some())
                    .map(|p| PendingOrderView {
                        client_order_id: p.intent.client_order_id.clone(),
                        symbol: p.intent.symbol.clone(),
                        message: format!(
                            "Checking with the exchange ({})",
                            p.unknown.as_deref().unwrap_or("answer lost")
                        ),
                    })
                    .collect(),
                recovering: book.recovering.contains(&a.id),
                last_round_trip_us: match a.last_round_trip_us.load(Ordering::Relaxed) {
                    0 => None,
                    us => Some(us),
                },
                key_permissions: keys.get(&a.id).cloned(),
                dead_mans_switch: a.capabilities.dead_mans_switch.clone(),
            })
            .collect();
        all.sort_by(|a, b| a.account_id.cmp(&b.account_id));
        all
    }

    /// The order journal, e.g. for the time it has spent waiting for the disk.
    pub fn journal(&self) -> &OrderJournal {
        &self.journal
    }

    /// How many orders are between intent and outcome (in flight or unknown).
    pub fn pending_count(&self) -> usize {
        self.book().pending.len()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Plain maps updated in one call each: nothing half-written survives a panic.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Keeps `mark` as the account's reference for `symbol` (a mark of 0 or less is not a price).
fn remember_mark(account: &Account, symbol: &str, mark: Decimal) -> Option<Price> {
    let price = Price::try_from(mark).ok()?;
    lock(&account.marks).insert(symbol.to_owned(), (price, Instant::now()));
    Some(price)
}

fn not_found(client_order_id: &str) -> OrderError {
    OrderError::NotFound(format!(
        "The exchange has no order {client_order_id} on this account."
    ))
}

/// A venue failure for a request that is not a new order (cancel, query, list).
fn classify(e: rampart_venues::venue::Error) -> OrderError {
    if e.not_sent {
        OrderError::NotSent(e)
    } else if e.kind == ErrorKind::Rejected {
        OrderError::Rejected(e)
    } else {
        OrderError::Venue(e)
    }
}
