//! The venue-neutral face of a connector: the [`Venue`] trait the engine drives, and the types it
//! speaks in. Designed for Binance USDⓈ-M, Bybit, OKX and Deribit alike:
//! - symbols are the venue's own instrument names (`BTCUSDT`, `BTC-USDT-SWAP`, `BTC-PERPETUAL`);
//! - sizes are in the venue's unit (base asset, or contracts where the venue counts in contracts;
//!   [`InstrumentRules::contract_size`] says which);
//! - every amount is a `Decimal`, parsed from the venue's strings;
//! - an order's identity is the client order id the engine generated and journaled;
//! - errors keep the venue's own code and message next to a sentence a trader can act on.
//!
//! User-data streams (fills, order and position updates) are the stream modules' business: how a
//! venue authenticates them (Binance's listen key, a signed WebSocket login elsewhere) stays out
//! of this trait.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use rampart_core::{OrderType, Price, Qty, Side, TimeInForce, Venue as VenueId};
use rust_decimal::Decimal;

/// One instrument's trading rules. A zero bound means "no bound" (as Binance sends it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentRules {
    pub symbol: String,
    /// Whether new orders are accepted now.
    pub trading: bool,
    pub tick_size: Decimal,
    pub min_price: Decimal,
    pub max_price: Decimal,
    pub step_size: Decimal,
    pub min_qty: Decimal,
    /// For limit orders.
    pub max_qty: Decimal,
    /// For market orders (where the venue has a separate limit; else `max_qty`).
    pub max_market_qty: Decimal,
    /// Minimum order value in the quote currency (0 when the venue has none).
    pub min_notional: Decimal,
    /// Base units per contract when sizes are in contracts; `None` when sizes are in the base
    /// asset.
    pub contract_size: Option<Decimal>,
}

/// Which price a conditional order watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerBy {
    Mark,
    Last,
}

/// A new order, venue-neutral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    pub symbol: String,
    /// Generated and journaled by the engine before the first byte is sent.
    pub client_order_id: String,
    pub side: Side,
    pub order_type: OrderType,
    pub qty: Qty,
    /// The limit price, for the limit types.
    pub price: Option<Price>,
    /// The trigger price, for the stop and take-profit types.
    pub trigger_price: Option<Price>,
    /// For the limit types; the venue's default (good till cancelled) when `None`.
    pub time_in_force: Option<TimeInForce>,
    pub reduce_only: bool,
    pub trigger_by: Option<TriggerBy>,
    /// The mark price the engine last saw, for the pre-trade checks (price band, market order
    /// value); the connector fetches one when `None`.
    pub reference_price: Option<Price>,
}

/// Where an order is, in words every venue maps onto.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    /// Resting (or waiting for its trigger), nothing filled.
    Open,
    PartiallyFilled,
    Filled,
    /// Cancelled by the trader (or by a cancel-all / dead-man's switch).
    Cancelled,
    /// Ended by the venue without (completely) filling: IOC/FOK leftovers, post-only that would
    /// take, self-trade prevention.
    Expired,
    /// Refused by the venue after acceptance.
    Rejected,
}

impl OrderStatus {
    /// Whether the order can still fill.
    pub fn is_open(self) -> bool {
        matches!(self, OrderStatus::Open | OrderStatus::PartiallyFilled)
    }
}

/// The venue's acknowledgement of a new order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderAck {
    pub venue_order_id: String,
    pub client_order_id: String,
    pub status: OrderStatus,
    pub filled_qty: Decimal,
    pub avg_fill_price: Option<Decimal>,
}

/// An order as the venue knows it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderState {
    pub symbol: String,
    pub venue_order_id: String,
    pub client_order_id: String,
    pub side: Side,
    /// `None` for a type Rampart does not place (an order from another tool).
    pub order_type: Option<OrderType>,
    pub status: OrderStatus,
    pub qty: Decimal,
    pub filled_qty: Decimal,
    pub price: Option<Decimal>,
    pub trigger_price: Option<Decimal>,
    pub avg_fill_price: Option<Decimal>,
    pub reduce_only: bool,
    /// Venue time of the last change (ms since the Unix epoch).
    pub updated_ms: i64,
}

impl From<&OrderState> for OrderAck {
    fn from(o: &OrderState) -> Self {
        OrderAck {
            venue_order_id: o.venue_order_id.clone(),
            client_order_id: o.client_order_id.clone(),
            status: o.status,
            filled_qty: o.filled_qty,
            avg_fill_price: o.avg_fill_price,
        }
    }
}

/// One asset of the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub asset: String,
    /// Wallet balance (deposits, realized PnL, fees).
    pub wallet: Decimal,
    /// What new orders may use.
    pub available: Decimal,
    pub unrealized_pnl: Decimal,
}

/// An open position; `qty` is signed (negative is short).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub symbol: String,
    pub qty: Decimal,
    pub entry_price: Decimal,
    pub mark_price: Decimal,
    pub unrealized_pnl: Decimal,
    pub leverage: Option<Decimal>,
    /// `None` when the venue reports no liquidation price.
    pub liquidation_price: Option<Decimal>,
}

/// One price level of a book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookLevel {
    pub price: Decimal,
    pub qty: Decimal,
}

/// An order-book snapshot, best levels first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBook {
    pub symbol: String,
    pub bids: Vec<BookLevel>,
    pub asks: Vec<BookLevel>,
    /// The venue's sequence number, to join the book to a diff stream.
    pub update_id: u64,
    pub time_ms: i64,
}

/// Mark price and funding of a perpetual.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkPrice {
    pub symbol: String,
    pub mark: Decimal,
    pub index: Option<Decimal>,
    pub funding_rate: Option<Decimal>,
    pub next_funding_ms: Option<i64>,
    pub time_ms: i64,
}

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
}

pub type Result<T> = std::result::Result<T, Error>;

/// A venue connection the engine drives. Implementations keep their own clock offset, rate
/// budgets and instrument cache; every method is one venue operation (no blind retries).
///
/// The futures are `Send` so the engine can drive them from any task. For a collection of
/// different venues behind one type, use [`DynVenue`].
pub trait Venue: Send + Sync {
    /// Which venue this is.
    fn venue(&self) -> VenueId;

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

    /// The order with this client order id, regular or conditional; `None` when the venue has
    /// no such order (it never arrived, or it is older than the venue keeps).
    fn order_by_client_id(
        &self,
        symbol: &str,
        client_order_id: &str,
    ) -> impl Future<Output = Result<Option<OrderState>>> + Send;

    /// Cancels the order with this client order id, regular or conditional; returns its state
    /// after the cancel.
    fn cancel_by_client_id(
        &self,
        symbol: &str,
        client_order_id: &str,
    ) -> impl Future<Output = Result<OrderState>> + Send;

    /// Cancels every open order of `symbol`, conditional orders included.
    fn cancel_all(&self, symbol: &str) -> impl Future<Output = Result<()>> + Send;

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

    /// Mark price and funding of `symbol`.
    fn mark_price(&self, symbol: &str) -> impl Future<Output = Result<MarkPrice>> + Send;

    /// An order-book snapshot with at least `depth` levels a side where the venue allows (the
    /// connector picks the nearest size the venue offers).
    fn order_book(
        &self,
        symbol: &str,
        depth: u32,
    ) -> impl Future<Output = Result<OrderBook>> + Send;

    /// Sets the leverage of `symbol`; returns the leverage now in force.
    fn set_leverage(&self, symbol: &str, leverage: u32)
    -> impl Future<Output = Result<u32>> + Send;

    /// Dead-man's switch: every open order of `symbol` is cancelled unless this is called again
    /// within `countdown`; `Duration::ZERO` turns it off.
    fn dead_mans_switch(
        &self,
        symbol: &str,
        countdown: Duration,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// A boxed, `Send` future: what [`DynVenue`]'s methods return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// [`Venue`] as a trait object (`Box<dyn DynVenue>`), for an engine holding several venues;
/// every [`Venue`] is one.
pub trait DynVenue: Send + Sync {
    fn venue(&self) -> VenueId;
    fn sync_clock(&self) -> BoxFuture<'_, Result<i64>>;
    fn instruments(&self, refresh: bool) -> BoxFuture<'_, Result<Vec<InstrumentRules>>>;
    fn place_order<'a>(&'a self, order: &'a OrderRequest) -> BoxFuture<'a, Result<OrderAck>>;
    fn order_by_client_id<'a>(
        &'a self,
        symbol: &'a str,
        client_order_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<OrderState>>>;
    fn cancel_by_client_id<'a>(
        &'a self,
        symbol: &'a str,
        client_order_id: &'a str,
    ) -> BoxFuture<'a, Result<OrderState>>;
    fn cancel_all<'a>(&'a self, symbol: &'a str) -> BoxFuture<'a, Result<()>>;
    fn open_orders<'a>(&'a self, symbol: Option<&'a str>)
    -> BoxFuture<'a, Result<Vec<OrderState>>>;
    fn balances(&self) -> BoxFuture<'_, Result<Vec<Balance>>>;
    fn positions<'a>(&'a self, symbol: Option<&'a str>) -> BoxFuture<'a, Result<Vec<Position>>>;
    fn mark_price<'a>(&'a self, symbol: &'a str) -> BoxFuture<'a, Result<MarkPrice>>;
    fn order_book<'a>(&'a self, symbol: &'a str, depth: u32) -> BoxFuture<'a, Result<OrderBook>>;
    fn set_leverage<'a>(&'a self, symbol: &'a str, leverage: u32) -> BoxFuture<'a, Result<u32>>;
    fn dead_mans_switch<'a>(
        &'a self,
        symbol: &'a str,
        countdown: Duration,
    ) -> BoxFuture<'a, Result<()>>;
}

impl<T: Venue> DynVenue for T {
    fn venue(&self) -> VenueId {
        Venue::venue(self)
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
    ) -> BoxFuture<'a, Result<Option<OrderState>>> {
        Box::pin(Venue::order_by_client_id(self, symbol, client_order_id))
    }
    fn cancel_by_client_id<'a>(
        &'a self,
        symbol: &'a str,
        client_order_id: &'a str,
    ) -> BoxFuture<'a, Result<OrderState>> {
        Box::pin(Venue::cancel_by_client_id(self, symbol, client_order_id))
    }
    fn cancel_all<'a>(&'a self, symbol: &'a str) -> BoxFuture<'a, Result<()>> {
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
    fn order_book<'a>(&'a self, symbol: &'a str, depth: u32) -> BoxFuture<'a, Result<OrderBook>> {
        Box::pin(Venue::order_book(self, symbol, depth))
    }
    fn set_leverage<'a>(&'a self, symbol: &'a str, leverage: u32) -> BoxFuture<'a, Result<u32>> {
        Box::pin(Venue::set_leverage(self, symbol, leverage))
    }
    fn dead_mans_switch<'a>(
        &'a self,
        symbol: &'a str,
        countdown: Duration,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(Venue::dead_mans_switch(self, symbol, countdown))
    }
}
