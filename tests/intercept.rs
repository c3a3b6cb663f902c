//! A real connector with one step of the order path replaced, for the crash tests and the
//! order-path benchmark: [`Intercepted`] is a [`DynVenue`] that hands `place_order` (and, if
//! asked, `mark_price`) to an [`Interception`] and every other method to the connector itself.
//! The connector is Binance's unless named (`Intercepted<I, Bybit>`, `Intercepted<I, Okx>`,
//! `Intercepted<I, Deribit>`).

use std::time::Duration;

use rampart_core::Venue as VenueId;
use rampart_core::trading::{
    Balance, ClientIdLookup, DeadMansScope, FeeRates, InstrumentRules, KeyPermissions, Leverage,
    LeverageRequest, MarginMode, MarkPrice, OrderAck, OrderBook, OrderRequest, OrderState,
    Position, VenueCapabilities,
};
use rampart_venues::binance_usdm::BinanceUsdm;
use rampart_venues::venue::{
    AccountUpdate, BoxFuture, Candle, CandleInterval, DynVenue, Feed, MarketSubscription,
    MarketUpdate, Result, Venue,
};

/// What replaces the connector's own `place_order` (and optionally `mark_price`).
pub trait Interception<C: Venue = BinanceUsdm>: Send + Sync {
    fn place_order<'a>(
        &'a self,
        connector: &'a C,
        order: &'a OrderRequest,
    ) -> BoxFuture<'a, Result<OrderAck>>;

    /// The connector's own mark price unless overridden.
    fn mark_price<'a>(
        &'a self,
        connector: &'a C,
        symbol: &'a str,
    ) -> BoxFuture<'a, Result<MarkPrice>> {
        Box::pin(Venue::mark_price(connector, symbol))
    }
}

/// A connector whose order placement goes through an [`Interception`].
pub struct Intercepted<I, C = BinanceUsdm> {
    pub connector: C,
    pub interception: I,
}

impl<C: Venue, I: Interception<C>> DynVenue for Intercepted<I, C> {
    fn venue(&self) -> VenueId {
        Venue::venue(&self.connector)
    }
    fn capabilities(&self) -> VenueCapabilities {
        Venue::capabilities(&self.connector)
    }
    fn venue_time_ms(&self) -> Option<i64> {
        Venue::venue_time_ms(&self.connector)
    }
    fn request_validity(&self) -> Duration {
        Venue::request_validity(&self.connector)
    }
    fn sync_clock(&self) -> BoxFuture<'_, Result<i64>> {
        Box::pin(Venue::sync_clock(&self.connector))
    }
    fn instruments(&self, refresh: bool) -> BoxFuture<'_, Result<Vec<InstrumentRules>>> {
        Box::pin(Venue::instruments(&self.connector, refresh))
    }
    fn place_order<'a>(&'a self, order: &'a OrderRequest) -> BoxFuture<'a, Result<OrderAck>> {
        self.interception.place_order(&self.connector, order)
    }
    fn order_by_client_id<'a>(
        &'a self,
        symbol: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<ClientIdLookup>> {
        Box::pin(Venue::order_by_client_id(&self.connector, symbol, id))
    }
    fn cancel_by_client_id<'a>(
        &'a self,
        symbol: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<OrderState>> {
        Box::pin(Venue::cancel_by_client_id(&self.connector, symbol, id))
    }
    fn cancel_all<'a>(&'a self, symbol: Option<&'a str>) -> BoxFuture<'a, Result<()>> {
        Box::pin(Venue::cancel_all(&self.connector, symbol))
    }
    fn open_orders<'a>(
        &'a self,
        symbol: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<OrderState>>> {
        Box::pin(Venue::open_orders(&self.connector, symbol))
    }
    fn balances(&self) -> BoxFuture<'_, Result<Vec<Balance>>> {
        Box::pin(Venue::balances(&self.connector))
    }
    fn positions<'a>(&'a self, symbol: Option<&'a str>) -> BoxFuture<'a, Result<Vec<Position>>> {
        Box::pin(Venue::positions(&self.connector, symbol))
    }
    fn mark_price<'a>(&'a self, symbol: &'a str) -> BoxFuture<'a, Result<MarkPrice>> {
        self.interception.mark_price(&self.connector, symbol)
    }
    fn fee_rates<'a>(&'a self, symbol: &'a str) -> BoxFuture<'a, Result<FeeRates>> {
        Box::pin(Venue::fee_rates(&self.connector, symbol))
    }
    fn order_book<'a>(&'a self, symbol: &'a str, depth: u32) -> BoxFuture<'a, Result<OrderBook>> {
        Box::pin(Venue::order_book(&self.connector, symbol, depth))
    }
    fn set_leverage<'a>(&'a self, request: &'a LeverageRequest) -> BoxFuture<'a, Result<Leverage>> {
        Box::pin(Venue::set_leverage(&self.connector, request))
    }
    fn set_margin_mode<'a>(
        &'a self,
        symbol: &'a str,
        mode: MarginMode,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(Venue::set_margin_mode(&self.connector, symbol, mode))
    }
    fn dead_mans_switch<'a>(
        &'a self,
        scope: &'a DeadMansScope,
        countdown: Duration,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(Venue::dead_mans_switch(&self.connector, scope, countdown))
    }
    fn key_permissions(&self) -> BoxFuture<'_, Result<Option<KeyPermissions>>> {
        Box::pin(Venue::key_permissions(&self.connector))
    }
    fn candles<'a>(
        &'a self,
        symbol: &'a str,
        interval: CandleInterval,
        limit: u32,
    ) -> BoxFuture<'a, Result<Vec<Candle>>> {
        Box::pin(Venue::candles(&self.connector, symbol, interval, limit))
    }
    fn account_feed(&self) -> BoxFuture<'_, Result<Feed<AccountUpdate>>> {
        Box::pin(Venue::account_feed(&self.connector))
    }
    fn market_feed<'a>(
        &'a self,
        symbol: &'a str,
        subscription: MarketSubscription,
    ) -> BoxFuture<'a, Result<Feed<MarketUpdate>>> {
        Box::pin(Venue::market_feed(&self.connector, symbol, subscription))
    }
}
