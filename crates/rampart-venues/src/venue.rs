//! The venue-neutral face of a connector: the [`Venue`] trait the engine drives, and the types it
//! speaks in. Designed for Binance USDⓈ-M, Bybit, OKX and Deribit alike:
//! - symbols are the venue's own instrument names (`BTCUSDT`, `BTC-USDT-SWAP`, `BTC-PERPETUAL`);
//! - sizes are in the venue's unit (base asset, or contracts where the venue counts in contracts;
//!   [`InstrumentRules::contract_size`] says which);
//! - every amount is a `Decimal`, parsed from the venue's strings;
//! - an order's identity is the client order id the engine generated and journaled;
//! - errors keep the venue's own code and message next to a sentence a trader can act on.
//!
//! Streams come out as [`Feed`]s of the neutral updates in [`rampart_core::feed`]: the account's
//! orders, fills, positions and balances, and an instrument's mark, book, trades and candles. How
//! a venue authenticates them (Binance's listen key, a signed WebSocket login elsewhere), routes
//! them and keeps a book from diffs stays in its connector.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rampart_core::Venue as VenueId;
pub use rampart_core::feed::{
    AccountUpdate, Candle, CandleInterval, FeedEvent, FeedStatus, MarketUpdate,
};
pub use rampart_core::options::OptionQuote;
pub use rampart_core::trading::{
    Balance, BookLevel, ClientIdLookup, DeadMansScope, DeadMansSwitchInfo, FeeRates,
    InstrumentRules, KeyPermissions, Leverage, LeverageRequest, MarginMode, MarkPrice, OrderAck,
    OrderBook, OrderRequest, OrderState, OrderStatus, Position, PositionSide, TriggerBy,
    VenueCapabilities,
};
use tokio::sync::mpsc;

/// What kind of failure, venue-neutral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No answer (network, DNS, TLS, timeout).
    Connectivity,
    /// The venue refused the request with its own code.
    Rejected,
    /// Refused before sending: breaks the instrument's rules or is inconsistent.
    Validation,
    /// The venue asked us to wait, or our own budget held the request (nothing sent).
    RateLimited,
    /// The venue's side failed (5xx).
    VenueFailure,
    /// The answer was not in the documented shape.
    Malformed,
    /// Set-up: credentials that cannot sign, an insecure URL, a bad certificate, an unmeasured
    /// clock.
    Config,
}

/// A failure, venue-neutral, still carrying the venue's own code and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub venue: VenueId,
    pub kind: ErrorKind,
    /// The venue's error code as it sends it (`-2019`, `51008`, `10001`, …).
    pub venue_code: Option<String>,
    /// The venue's own message.
    pub venue_message: Option<String>,
    /// A sentence a trader can act on.
    pub message: String,
    /// For an order: it may or may not have reached the venue; resolve by client order id,
    /// never resend blindly.
    pub outcome_unknown: bool,
    /// Whether nothing left this machine.
    pub not_sent: bool,
    /// For [`ErrorKind::RateLimited`]: venue time (ms) before which nothing should be sent again
    /// (the venue's Retry-After or ban, or our own budget's next window).
    pub retry_at_ms: Option<i64>,
}

pub type Result<T> = std::result::Result<T, Error>;

/// What a venue's refusal says about the key or the clock, for the guard's watch on refusals
/// in a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalCause {
    /// The key or its signature was not accepted (or the key may not do this from here).
    Authentication,
    /// The request's timestamp was outside the venue's window.
    Timestamp,
    /// Anything else.
    Other,
}

impl Error {
    /// What this refusal says about the key or the clock, by the venue's own code.
    pub fn refusal_cause(&self) -> RefusalCause {
        let code = self
            .venue_code
            .as_deref()
            .and_then(|c| c.parse::<i64>().ok());
        match (self.venue, code) {
            // The Demo venue speaks Binance USDⓈ-M's protocol.
            (VenueId::BinanceUsdm | VenueId::Demo, Some(code)) => {
                crate::binance_usdm::error::refusal_cause(code)
            }
            (VenueId::Bybit, Some(code)) => crate::bybit::error::refusal_cause(code),
            (VenueId::Okx, Some(code)) => crate::okx::error::refusal_cause(code),
            (VenueId::Deribit, Some(code)) => crate::deribit::error::refusal_cause(code),
            _ => RefusalCause::Other,
        }
    }
}

/// A venue connection the engine drives. Implementations keep their own clock offset, rate
/// budgets and instrument cache; every method is one venue operation (no blind retries).
///
/// The futures are `Send` so the engine can drive them from any task. For a collection of
/// different venues behind one type, use [`DynVenue`].
pub trait Venue: Send + Sync {
    /// Which venue this is.
    fn venue(&self) -> VenueId;

    /// What this venue can do (categories, dead man's switch, leverage, hedge mode, client ids).
    fn capabilities(&self) -> VenueCapabilities;

    /// The venue's time now (ms since the Unix epoch) from the measured clock offset; `None`
    /// until the clock has been measured.
    fn venue_time_ms(&self) -> Option<i64>;

    /// How long after its timestamp a signed request is still accepted (Binance's and Bybit's
    /// recvWindow, OKX's 30 s, Deribit's 60 s). An order the venue has not seen once this has
    /// passed since it was signed can no longer arrive.
    fn request_validity(&self) -> Duration;

    /// Measures the venue's clock (venue − local, ms). Called when the account connects; later
    /// signing re-measures by itself when the offset ages or the venue refuses a timestamp.
    fn sync_clock(&self) -> impl Future<Output = Result<i64>> + Send;

    /// Every instrument's rules, from the connector's cache; `refresh` fetches them again.
    fn instruments(
        &self,
        refresh: bool,
    ) -> impl Future<Output = Result<Vec<InstrumentRules>>> + Send;

    /// Checks the order against the instrument's rules, then sends it once, to wherever the
    /// venue takes its type (conditional types included: Binance USDⓈ-M keeps stop and
    /// take-profit orders in its Algo Service, apart from regular orders). The ack carries the
    /// client order id either way.
    fn place_order(&self, order: &OrderRequest) -> impl Future<Output = Result<OrderAck>> + Send;

    /// The order(s) with this client order id, regular or conditional. Where the venue does not
    /// keep client ids unique (Deribit's labels) the answer can be [`ClientIdLookup::Several`].
    fn order_by_client_id(
        &self,
        symbol: &str,
        client_order_id: &str,
    ) -> impl Future<Output = Result<ClientIdLookup>> + Send;

    /// Changes the open order with this client order id in place: its size (`qty`, in the
    /// instrument's size unit) and/or its limit price, and/or the trigger price of a stop.
    /// Returns its state after the change. Venues without an amend answer with
    /// [`ErrorKind::Validation`] ("not supported"), nothing sent: cancel and place again there.
    fn amend_order(
        &self,
        symbol: &str,
        client_order_id: &str,
        amend: &OrderAmend,
    ) -> impl Future<Output = Result<OrderState>> + Send {
        let _ = (symbol, client_order_id, amend);
        let venue = self.venue();
        async move { Err(amend_not_supported(venue)) }
    }

    /// Cancels the order with this client order id, regular or conditional; returns its state
    /// after the cancel.
    fn cancel_by_client_id(
        &self,
        symbol: &str,
        client_order_id: &str,
    ) -> impl Future<Output = Result<OrderState>> + Send;

    /// Cancels every open order of `symbol`, or of the whole account, conditional orders
    /// included.
    fn cancel_all(&self, symbol: Option<&str>) -> impl Future<Output = Result<()>> + Send;

    /// Open orders of one symbol, or of all, conditional orders included (`Open` while they
    /// wait for their trigger), each once under its client order id.
    fn open_orders(
        &self,
        symbol: Option<&str>,
    ) -> impl Future<Output = Result<Vec<OrderState>>> + Send;

    /// The account's balances.
    fn balances(&self) -> impl Future<Output = Result<Vec<Balance>>> + Send;

    /// Open (non-zero) positions of one symbol, or of all.
    fn positions(&self, symbol: Option<&str>)
    -> impl Future<Output = Result<Vec<Position>>> + Send;

    /// Mark price (and funding, and an option's implied volatility) of `symbol`.
    fn mark_price(&self, symbol: &str) -> impl Future<Output = Result<MarkPrice>> + Send;

    /// The account's maker and taker fee rates on `symbol`.
    fn fee_rates(&self, symbol: &str) -> impl Future<Output = Result<FeeRates>> + Send;

    /// Every live option on `underlying` (`BTC`, `ETH`) with its quote, read in one request:
    /// what an options chain shows. Venues without options answer with
    /// [`ErrorKind::Validation`], nothing sent.
    fn option_quotes(
        &self,
        underlying: &str,
    ) -> impl Future<Output = Result<Vec<OptionQuote>>> + Send {
        let _ = underlying;
        let venue = self.venue();
        async move { Err(options_not_listed(venue)) }
    }

    /// An order-book snapshot with at least `depth` levels a side where the venue allows (the
    /// connector picks the nearest size the venue offers).
    fn order_book(
        &self,
        symbol: &str,
        depth: u32,
    ) -> impl Future<Output = Result<OrderBook>> + Send;

    /// Sets the leverage of a symbol; returns the leverage now in force. A venue with one figure
    /// refuses different buy and sell values.
    fn set_leverage(
        &self,
        request: &LeverageRequest,
    ) -> impl Future<Output = Result<Leverage>> + Send;

    /// Switches a symbol between cross and isolated margin (where the venue keeps the mode per
    /// symbol; OKX takes it per order instead and answers `Ok` when nothing needs changing).
    fn set_margin_mode(
        &self,
        symbol: &str,
        mode: MarginMode,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Dead man's switch: the orders `scope` covers are cancelled unless this is called again
    /// within `countdown`; `Duration::ZERO` turns it off. The venue accepts only the scope its
    /// [`VenueCapabilities::dead_mans_switch`] names.
    fn dead_mans_switch(
        &self,
        scope: &DeadMansScope,
        countdown: Duration,
    ) -> impl Future<Output = Result<()>> + Send;

    /// What the connection's API key may do, as the venue reports it; `None` where the venue (or
    /// this environment of it) does not publish a key's permissions.
    fn key_permissions(&self) -> impl Future<Output = Result<Option<KeyPermissions>>> + Send;

    /// The last `limit` candles of `symbol`, oldest first; the last one is the current,
    /// unfinished candle.
    fn candles(
        &self,
        symbol: &str,
        interval: CandleInterval,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Candle>>> + Send;

    /// The account's private stream: its orders, fills, positions and balances as they change,
    /// from this terminal or any other. After each [`FeedStatus::Connected`] the state kept from
    /// it must be read again over REST: updates may have been missed while it was down.
    /// Must be called inside a tokio runtime.
    fn account_feed(&self) -> impl Future<Output = Result<Feed<AccountUpdate>>> + Send;

    /// `symbol`'s market stream: its mark price, and what `subscription` asks for. Must be
    /// called inside a tokio runtime.
    fn market_feed(
        &self,
        symbol: &str,
        subscription: MarketSubscription,
    ) -> impl Future<Output = Result<Feed<MarketUpdate>>> + Send;
}

/// What an amend changes; `None` keeps the order's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrderAmend {
    pub qty: Option<rust_decimal::Decimal>,
    pub price: Option<rust_decimal::Decimal>,
    pub trigger_price: Option<rust_decimal::Decimal>,
}

/// The answer of a venue that cannot amend an order in place.
pub fn amend_not_supported(venue: VenueId) -> Error {
    Error {
        venue,
        kind: ErrorKind::Validation,
        venue_code: None,
        venue_message: None,
        message: format!(
            "{} cannot change an open order in place: cancel it and place a new one.",
            venue.display_name()
        ),
        outcome_unknown: false,
        not_sent: true,
        retry_at_ms: None,
    }
}

/// The answer of a venue that lists no options.
pub fn options_not_listed(venue: VenueId) -> Error {
    Error {
        venue,
        kind: ErrorKind::Validation,
        venue_code: None,
        venue_message: None,
        message: format!("{} lists no options in Rampart.", venue.display_name()),
        outcome_unknown: false,
        not_sent: true,
        retry_at_ms: None,
    }
}

/// What a market feed carries besides the mark price, which it always carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketSubscription {
    /// Levels a side of the local book to report after each change; 0 for no book.
    pub book_depth: usize,
    /// Public trades.
    pub trades: bool,
    /// Candles of this interval.
    pub candles: Option<CandleInterval>,
}

/// A running stream: its updates and news about the connection, in order. The first event is
/// the connection's status. Dropping the feed stops the stream and closes its connections.
pub struct Feed<T> {
    events: mpsc::Receiver<FeedEvent<T>>,
    /// Whatever keeps the stream running (tasks, connections); dropped with the feed.
    _running: Box<dyn Send + Sync>,
    /// Messages read from the venue for this feed, every connection behind it together.
    messages: Arc<AtomicU64>,
}

impl<T> Feed<T> {
    /// A feed reading `events`, kept running while `running` lives.
    pub fn new(events: mpsc::Receiver<FeedEvent<T>>, running: impl Send + Sync + 'static) -> Self {
        Self {
            events,
            _running: Box::new(running),
            messages: Arc::default(),
        }
    }

    /// The same feed, reporting `messages` (which its connections count) as its message count.
    pub fn counting(mut self, messages: Arc<AtomicU64>) -> Self {
        self.messages = messages;
        self
    }

    /// How many messages the venue has sent for this feed so far (0 when the connector does
    /// not count them).
    pub fn messages(&self) -> u64 {
        self.messages.load(Ordering::Relaxed)
    }

    /// The next event; `None` once the stream has ended for good.
    pub async fn next(&mut self) -> Option<FeedEvent<T>> {
        self.events.recv().await
    }

    /// The next event if one is waiting.
    pub fn try_next(&mut self) -> Option<FeedEvent<T>> {
        self.events.try_recv().ok()
    }
}

impl<T> std::fmt::Debug for Feed<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feed").finish_non_exhaustive()
    }
}

/// A task that is aborted when this is dropped (the feeds' forwarding tasks).
#[derive(Debug)]
pub struct AbortOnDrop(pub tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A boxed, `Send` future: what [`DynVenue`]'s methods return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// [`Venue`] as a trait object (`Arc<dyn DynVenue>`), for an engine holding several venues;
/// every [`Venue`] is one.
pub trait DynVenue: Send + Sync {
    fn venue(&self) -> VenueId;
    fn capabilities(&self) -> VenueCapabilities;
    fn venue_time_ms(&self) -> Option<i64>;
    fn request_validity(&self) -> Duration;
    fn sync_clock(&self) -> BoxFuture<'_, Result<i64>>;
    fn instruments(&self, refresh: bool) -> BoxFuture<'_, Result<Vec<InstrumentRules>>>;
    fn place_order<'a>(&'a self, order: &'a OrderRequest) -> BoxFuture<'a, Result<OrderAck>>;
    fn order_by_client_id<'a>(
        &'a self,
        symbol: &'a str,
        client_order_id: &'a str,
    ) -> BoxFuture<'a, Result<ClientIdLookup>>;
    fn cancel_by_client_id<'a>(
        &'a self,
        symbol: &'a str,
        client_order_id: &'a str,
    ) -> BoxFuture<'a, Result<OrderState>>;
    /// [`Venue::amend_order`]; "not supported" unless the wrapper forwards it.
    fn amend_order<'a>(
        &'a self,
        symbol: &'a str,
        client_order_id: &'a str,
        amend: &'a OrderAmend,
    ) -> BoxFuture<'a, Result<OrderState>> {
        let _ = (symbol, client_order_id, amend);
        let venue = self.venue();
        Box::pin(async move { Err(amend_not_supported(venue)) })
    }

    fn cancel_all<'a>(&'a self, symbol: Option<&'a str>) -> BoxFuture<'a, Result<()>>;
    fn open_orders<'a>(&'a self, symbol: Option<&'a str>)
    -> BoxFuture<'a, Result<Vec<OrderState>>>;
    fn balances(&self) -> BoxFuture<'_, Result<Vec<Balance>>>;
    fn positions<'a>(&'a self, symbol: Option<&'a str>) -> BoxFuture<'a, Result<Vec<Position>>>;
    fn mark_price<'a>(&'a self, symbol: &'a str) -> BoxFuture<'a, Result<MarkPrice>>;
    fn fee_rates<'a>(&'a self, symbol: &'a str) -> BoxFuture<'a, Result<FeeRates>>;
    /// [`Venue::option_quotes`]; "no options" unless the wrapper forwards it.
    fn option_quotes<'a>(&'a self, underlying: &'a str) -> BoxFuture<'a, Result<Vec<OptionQuote>>> {
        let _ = underlying;
        let venue = self.venue();
        Box::pin(async move { Err(options_not_listed(venue)) })
    }
    fn order_book<'a>(&'a self, symbol: &'a str, depth: u32) -> BoxFuture<'a, Result<OrderBook>>;
    fn set_leverage<'a>(&'a self, request: &'a LeverageRequest) -> BoxFuture<'a, Result<Leverage>>;
    fn set_margin_mode<'a>(
        &'a self,
        symbol: &'a str,
        mode: MarginMode,
    ) -> BoxFuture<'a, Result<()>>;
    fn dead_mans_switch<'a>(
        &'a self,
        scope: &'a DeadMansScope,
        countdown: Duration,
    ) -> BoxFuture<'a, Result<()>>;
    fn key_permissions(&self) -> BoxFuture<'_, Result<Option<KeyPermissions>>>;
    fn candles<'a>(
        &'a self,
        symbol: &'a str,
        interval: CandleInterval,
        limit: u32,
    ) -> BoxFuture<'a, Result<Vec<Candle>>>;
    fn account_feed(&self) -> BoxFuture<'_, Result<Feed<AccountUpdate>>>;
    fn market_feed<'a>(
        &'a self,
        symbol: &'a str,
        subscription: MarketSubscription,
    ) -> BoxFuture<'a, Result<Feed<MarketUpdate>>>;
}

impl<T: Venue> DynVenue for T {
    fn venue(&self) -> VenueId {
        Venue::venue(self)
    }
    fn capabilities(&self) -> VenueCapabilities {
        Venue::capabilities(self)
    }
    fn venue_time_ms(&self) -> Option<i64> {
        Venue::venue_time_ms(self)
    }
    fn request_validity(&self) -> Duration {
        Venue::request_validity(self)
    }
    fn sync_clock(&self) -> BoxFuture<'_, Result<i64>> {
        Box::pin(Venue::sync_clock(self))
    }
    fn instruments(&self, refresh: bool) -> BoxFuture<'_, Result<Vec<InstrumentRules>>> {
        Box::pin(Venue::instruments(self, refresh))
    }
    fn place_order<'a>(&'a self, order: &'a OrderRequest) -> BoxFuture<'a, Result<OrderAck>> {
        Box::pin(Venue::place_order(self, order))
    }
    fn order_by_client_id<'a>(
        &'a self,
        symbol: &'a str,
        client_order_id: &'a str,
    ) -> BoxFuture<'a, Result<ClientIdLookup>> {
        Box::pin(Venue::order_by_client_id(self, symbol, client_order_id))
    }
    fn cancel_by_client_id<'a>(
        &'a self,
        symbol: &'a str,
        client_order_id: &'a str,
    ) -> BoxFuture<'a, Result<OrderState>> {
        Box::pin(Venue::cancel_by_client_id(self, symbol, client_order_id))
    }
    fn amend_order<'a>(
        &'a self,
        symbol: &'a str,
        client_order_id: &'a str,
        amend: &'a OrderAmend,
    ) -> BoxFuture<'a, Result<OrderState>> {
        Box::pin(Venue::amend_order(self, symbol, client_order_id, amend))
    }
    fn cancel_all<'a>(&'a self, symbol: Option<&'a str>) -> BoxFuture<'a, Result<()>> {
        Box::pin(Venue::cancel_all(self, symbol))
    }
    fn open_orders<'a>(
        &'a self,
        symbol: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<OrderState>>> {
        Box::pin(Venue::open_orders(self, symbol))
    }
    fn balances(&self) -> BoxFuture<'_, Result<Vec<Balance>>> {
        Box::pin(Venue::balances(self))
    }
    fn positions<'a>(&'a self, symbol: Option<&'a str>) -> BoxFuture<'a, Result<Vec<Position>>> {
        Box::pin(Venue::positions(self, symbol))
    }
    fn mark_price<'a>(&'a self, symbol: &'a str) -> BoxFuture<'a, Result<MarkPrice>> {
        Box::pin(Venue::mark_price(self, symbol))
    }
    fn fee_rates<'a>(&'a self, symbol: &'a str) -> BoxFuture<'a, Result<FeeRates>> {
        Box::pin(Venue::fee_rates(self, symbol))
    }
    fn option_quotes<'a>(&'a self, underlying: &'a str) -> BoxFuture<'a, Result<Vec<OptionQuote>>> {
        Box::pin(Venue::option_quotes(self, underlying))
    }
    fn order_book<'a>(&'a self, symbol: &'a str, depth: u32) -> BoxFuture<'a, Result<OrderBook>> {
        Box::pin(Venue::order_book(self, symbol, depth))
    }
    fn set_leverage<'a>(&'a self, request: &'a LeverageRequest) -> BoxFuture<'a, Result<Leverage>> {
        Box::pin(Venue::set_leverage(self, request))
    }
    fn set_margin_mode<'a>(
        &'a self,
        symbol: &'a str,
        mode: MarginMode,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(Venue::set_margin_mode(self, symbol, mode))
    }
    fn dead_mans_switch<'a>(
        &'a self,
        scope: &'a DeadMansScope,
        countdown: Duration,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(Venue::dead_mans_switch(self, scope, countdown))
    }
    fn key_permissions(&self) -> BoxFuture<'_, Result<Option<KeyPermissions>>> {
        Box::pin(Venue::key_permissions(self))
    }
    fn candles<'a>(
        &'a self,
        symbol: &'a str,
        interval: CandleInterval,
        limit: u32,
    ) -> BoxFuture<'a, Result<Vec<Candle>>> {
        Box::pin(Venue::candles(self, symbol, interval, limit))
    }
    fn account_feed(&self) -> BoxFuture<'_, Result<Feed<AccountUpdate>>> {
        Box::pin(Venue::account_feed(self))
    }
    fn market_feed<'a>(
        &'a self,
        symbol: &'a str,
        subscription: MarketSubscription,
    ) -> BoxFuture<'a, Result<Feed<MarketUpdate>>> {
        Box::pin(Venue::market_feed(self, symbol, subscription))
    }
}
