//! Bybit v5 behind the venue-neutral [`Venue`] trait: a [`RestClient`] plus the instruments'
//! rules (linear and inverse), cached and fetched again when a symbol is not in the cache.
//!
//! What the trait's words mean here:
//! - an order's category (`linear` or `inverse`) comes from its instrument;
//! - conditional orders (stop, take-profit) are regular `/v5/order/create` orders with a
//!   `triggerPrice` and `triggerDirection`; lists and lookups by `orderLinkId` include them;
//! - "the account" is every linear contract settled in USDT or USDC, and every inverse one;
//! - margin mode is the unified account's (`/v5/account/set-margin-mode`), not one symbol's:
//!   switching it for one symbol switches it for all;
//! - the dead man's switch is Bybit's disconnect cancel-all (DCP): institutional accounts only,
//!   and only while a private stream is subscribed to the `dcp` topic.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rampart_core::Venue as VenueId;
use rampart_core::trading::ProductCategory;
use rust_decimal::Decimal;

use super::convert;
use super::environment::StreamBases;
use super::error::{
    DCP_INSTITUTIONAL_ONLY, LEVERAGE_NOT_MODIFIED, MARGIN_MODE_NOT_MODIFIED, ORDER_CANCELLED,
    ORDER_FINISHED, ORDER_NOT_FOUND, local, malformed, validation,
};
use super::rest::{PreparedOrder, RestClient, Scope};
use super::rules::{category_wire, check_order, create_order};
use super::ws;
use crate::venue::{
    AccountUpdate, Balance, Candle, CandleInterval, ClientIdLookup, DeadMansScope,
    DeadMansSwitchInfo, ErrorKind, FeeRates, Feed, InstrumentRules, KeyPermissions, Leverage,
    LeverageRequest, MarginMode, MarkPrice, MarketSubscription, MarketUpdate, OrderAck, OrderBook,
    OrderRequest, OrderState, OrderStatus, Position, Result, Venue, VenueCapabilities,
};

/// The coins Bybit settles linear contracts in.
const LINEAR_SETTLE_COINS: [&str; 2] = ["USDT", "USDC"];

/// DCP's bounds: "timeWindow … [3, 300], unit: second".
pub const DCP_MIN: Duration = Duration::from_secs(3);
pub const DCP_MAX: Duration = Duration::from_secs(300);

/// One Bybit account, venue-neutral.
#[derive(Debug)]
pub struct Bybit {
    client: Arc<RestClient>,
    instruments: RwLock<HashMap<String, Arc<InstrumentRules>>>,
    streams: Option<StreamBases>,
}

fn before_sending(e: crate::venue::Error) -> crate::venue::Error {
    crate::venue::Error {
        not_sent: true,
        outcome_unknown: false,
        ..e
    }
}

impl Bybit {
    /// The account behind `client`; its streams where Bybit serves them for the client's
    /// environment (or on the simulator's own address).
    pub fn new(client: RestClient) -> Self {
        let streams = StreamBases::for_rest_base(client.base_url());
        Self {
            client: Arc::new(client),
            instruments: RwLock::new(HashMap::new()),
            streams,
        }
    }

    /// The Bybit-specific client, for what the neutral trait does not cover.
    pub fn client(&self) -> &RestClient {
        &self.client
    }

    fn cached(&self, symbol: &str) -> Option<Arc<InstrumentRules>> {
        self.instruments
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(symbol)
            .cloned()
    }

    /// Everything `place_order` does before the first byte is written: the instrument's
    /// cached rules (fetched when the symbol is not cached), the mark price when a linear
    /// market order's minimum notional needs one (the order's `reference_price`, else the
    /// ticker), the checks, the order as Bybit's JSON body, then
    /// [`RestClient::prepare_order`]: venue-time timestamp, rate budgets, signature.
    pub async fn prepare_order(&self, order: &OrderRequest) -> Result<PreparedOrder<'_>> {
        let rules = self
            .rules_for(&order.symbol)
            .await
            .map_err(before_sending)?;
        let needs_mark = rules.category == ProductCategory::Linear
            && !order.order_type.has_limit_price()
            && !order.order_type.has_trigger_price()
            && !rules.min_notional.is_zero();
        let mark = match (order.reference_price, needs_mark) {
            (Some(p), _) => Some(p.get()),
            (None, true) => {
                let (t, now) = self
                    .client
                    .ticker(category_wire(rules.category), &order.symbol)
                    .await
                    .map_err(before_sending)?;
                Some(convert::mark_price(&t, now).map_err(before_sending)?.mark)
            }
            (None, false) => None,
        };
        check_order(order, &rules, mark)?;
        self.client
            .prepare_order(&create_order(order, &rules))
            .await
    }

    async fn refresh_instruments(&self) -> Result<Vec<InstrumentRules>> {
        let mut all = Vec::new();
        for category in ["linear", "inverse"] {
            for i in self.client.instruments(category).await? {
                all.push(convert::instrument_rules(&i)?);
            }
        }
        let mut map = self.instruments.write().unwrap_or_else(|p| p.into_inner());
        map.clear();
        for r in &all {
            map.insert(r.symbol.clone(), Arc::new(r.clone()));
        }
        Ok(all)
    }

    /// The rules of `symbol`, fetched when not cached.
    pub async fn rules_for(&self, symbol: &str) -> Result<Arc<InstrumentRules>> {
        if let Some(r) = self.cached(symbol) {
            return Ok(r);
        }
        self.refresh_instruments().await?;
        self.cached(symbol).ok_or_else(|| {
            validation(format!(
                "Bybit lists no linear or inverse contract named {symbol}."
            ))
        })
    }

    async fn category_of(&self, symbol: &str) -> Result<&'static str> {
        Ok(category_wire(self.rules_for(symbol).await?.category))
    }

    /// Every (category, scope) pair that together covers the account.
    fn account_scopes() -> [(&'static str, Scope<'static>); 3] {
        [
            ("linear", Scope::SettleCoin(LINEAR_SETTLE_COINS[0])),
            ("linear", Scope::SettleCoin(LINEAR_SETTLE_COINS[1])),
            ("inverse", Scope::All),
        ]
    }

    fn streams(&self) -> Result<&StreamBases> {
        self.streams.as_ref().ok_or_else(|| {
            local(
                ErrorKind::Config,
                format!("no stream address is known for {}", self.client.base_url()),
            )
        })
    }
}

impl Venue for Bybit {
    fn venue(&self) -> VenueId {
        VenueId::Bybit
    }

    fn capabilities(&self) -> VenueCapabilities {
        VenueCapabilities {
            categories: vec![ProductCategory::Linear, ProductCategory::Inverse],
            dead_mans_switch: Some(DeadMansSwitchInfo {
                scope: DeadMansScope::Connection,
                min_countdown_ms: DCP_MIN.as_millis() as u64,
                max_countdown_ms: DCP_MAX.as_millis() as u64,
                note: Some(format!(
                    "{DCP_INSTITUTIONAL_ONLY} (enabled by the account manager), and it fires \
                     only while a private stream is subscribed to the dcp topic."
                )),
            }),
            split_leverage: true,
            hedge_mode: true,
            margin_mode_per_order: false,
            unique_client_ids: true,
        }
    }

    fn venue_time_ms(&self) -> Option<i64> {
        self.client.venue_time_ms()
    }

    fn request_validity(&self) -> Duration {
        // Bybit takes a request while server_time - recv_window <= timestamp.
        Duration::from_millis(self.client.recv_window_ms())
    }

    async fn sync_clock(&self) -> Result<i64> {
        self.client.sync_clock().await
    }

    async fn instruments(&self, refresh: bool) -> Result<Vec<InstrumentRules>> {
        if !refresh {
            let map = self.instruments.read().unwrap_or_else(|p| p.into_inner());
            if !map.is_empty() {
                let mut all: Vec<InstrumentRules> = map.values().map(|r| (**r).clone()).collect();
                all.sort_by(|a, b| a.symbol.cmp(&b.symbol));
                return Ok(all);
            }
        }
        self.refresh_instruments().await
    }

    /// [`Bybit::prepare_order`], then the prepared request sent once
    /// ([`RestClient::send_order`]).
    async fn place_order(&self, order: &OrderRequest) -> Result<OrderAck> {
        let prepared = self.prepare_order(order).await?;
        let ids = self.client.send_order(prepared).await?;
        if !ids.order_link_id.is_empty() && ids.order_link_id != order.client_order_id {
            return Err(crate::venue::Error {
                outcome_unknown: true,
                ..malformed(
                    "the new order",
                    format_args!(
                        "it came back with client id {} instead of {}",
                        ids.order_link_id, order.client_order_id
                    ),
                )
            });
        }
        // Bybit acknowledges the request; the order's progress comes from the stream or a
        // lookup by client id.
        Ok(OrderAck {
            venue_order_id: ids.order_id,
            client_order_id: order.client_order_id.clone(),
            status: OrderStatus::Open,
            filled_qty: Decimal::ZERO,
            avg_fill_price: None,
        })
    }

    async fn order_by_client_id(
        &self,
        symbol: &str,
        client_order_id: &str,
    ) -> Result<ClientIdLookup> {
        let category = self.category_of(symbol).await?;
        match self
            .client
            .order_by_link_id(category, symbol, client_order_id)
            .await?
        {
            Some(o) => Ok(ClientIdLookup::Found(convert::order_state(&o)?)),
            None => Ok(ClientIdLookup::NotFound),
        }
    }

    async fn cancel_by_client_id(&self, symbol: &str, client_order_id: &str) -> Result<OrderState> {
        let category = self.category_of(symbol).await?;
        let cancelled = self
            .client
            .cancel_order(category, symbol, client_order_id)
            .await;
        if let Err(e) = &cancelled {
            let gone = e.venue_code.as_deref().and_then(|c| c.parse::<i64>().ok());
            if !matches!(
                gone,
                Some(ORDER_NOT_FOUND | ORDER_FINISHED | ORDER_CANCELLED)
            ) {
                return Err(e.clone());
            }
        }
        // The cancel answers with the ids only (and is asynchronous): read the order back.
        match self
            .client
            .order_by_link_id(category, symbol, client_order_id)
            .await?
        {
            Some(o) => convert::order_state(&o),
            None => match cancelled {
                Err(e) => Err(e),
                Ok(_) => Err(malformed(
                    "the cancel",
                    format_args!("the order {client_order_id} was cancelled but cannot be found"),
                )),
            },
        }
    }

    async fn cancel_all(&self, symbol: Option<&str>) -> Result<()> {
        if let Some(symbol) = symbol {
            let category = self.category_of(symbol).await?;
            return self
                .client
                .cancel_all(category, Scope::Symbol(symbol))
                .await;
        }
        for coin in LINEAR_SETTLE_COINS {
            self.client
                .cancel_all("linear", Scope::SettleCoin(coin))
                .await?;
        }
        // Inverse cancel-all needs a symbol, a base coin or a settle coin: one per symbol
        // with open orders.
        let open = self.client.open_orders("inverse", Scope::All).await?;
        let symbols: BTreeSet<String> = open.into_iter().map(|o| o.symbol).collect();
        for s in &symbols {
            self.client.cancel_all("inverse", Scope::Symbol(s)).await?;
        }
        Ok(())
    }

    async fn open_orders(&self, symbol: Option<&str>) -> Result<Vec<OrderState>> {
        let mut wire = Vec::new();
        if let Some(symbol) = symbol {
            let category = self.category_of(symbol).await?;
            wire = self
                .client
                .open_orders(category, Scope::Symbol(symbol))
                .await?;
        } else {
            for (category, scope) in Self::account_scopes() {
                wire.extend(self.client.open_orders(category, scope).await?);
            }
        }
        wire.iter().map(convert::order_state).collect()
    }

    async fn balances(&self) -> Result<Vec<Balance>> {
        convert::balances(&self.client.wallet_balance().await?)
    }

    async fn positions(&self, symbol: Option<&str>) -> Result<Vec<Position>> {
        let mut wire = Vec::new();
        if let Some(symbol) = symbol {
            let category = self.category_of(symbol).await?;
            wire = self
                .client
                .positions(category, Scope::Symbol(symbol))
                .await?;
        } else {
            for (category, scope) in Self::account_scopes() {
                wire.extend(self.client.positions(category, scope).await?);
            }
        }
        let mut out = Vec::new();
        for p in &wire {
            if let Some(p) = convert::position(p)? {
                out.push(p);
            }
        }
        Ok(out)
    }

    async fn mark_price(&self, symbol: &str) -> Result<MarkPrice> {
        let category = self.category_of(symbol).await?;
        let (t, now) = self.client.ticker(category, symbol).await?;
        convert::mark_price(&t, now)
    }

    async fn fee_rates(&self, symbol: &str) -> Result<FeeRates> {
        let category = self.category_of(symbol).await?;
        let list = self.client.fee_rate(category, symbol).await?;
        let rate = list
            .list
            .iter()
            .find(|f| f.symbol == symbol)
            .ok_or_else(|| malformed("the fee rates", format_args!("{symbol} is not in them")))?;
        convert::fee_rates(rate)
    }

    async fn order_book(&self, symbol: &str, depth: u32) -> Result<OrderBook> {
        let category = self.category_of(symbol).await?;
        let book = self.client.order_book(category, symbol, depth).await?;
        convert::order_book(&book, self.client.venue_time_ms().unwrap_or(0))
    }

    async fn set_leverage(&self, request: &LeverageRequest) -> Result<Leverage> {
        let rules = self.rules_for(&request.symbol).await?;
        let Leverage { buy, sell } = request.leverage;
        for l in [buy, sell] {
            if l < Decimal::ONE || rules.max_leverage.is_some_and(|m| l > m) {
                return Err(validation(format!(
                    "Leverage {l} is outside 1 to {} for {}.",
                    rules.max_leverage.unwrap_or(Decimal::ONE),
                    request.symbol
                )));
            }
        }
        let (b, s) = (buy.normalize().to_string(), sell.normalize().to_string());
        match self
            .client
            .set_leverage(category_wire(rules.category), &request.symbol, &b, &s)
            .await
        {
            Ok(()) => Ok(request.leverage),
            Err(e) if e.venue_code.as_deref() == Some(&LEVERAGE_NOT_MODIFIED.to_string()) => {
                Ok(request.leverage)
            }
            Err(e) => Err(e),
        }
    }

    async fn set_margin_mode(&self, _symbol: &str, mode: MarginMode) -> Result<()> {
        let wire = match mode {
            MarginMode::Cross => "REGULAR_MARGIN",
            MarginMode::Isolated => "ISOLATED_MARGIN",
        };
        match self.client.set_margin_mode(wire).await {
            Err(e) if e.venue_code.as_deref() == Some(&MARGIN_MODE_NOT_MODIFIED.to_string()) => {
                Ok(())
            }
            other => other,
        }
    }

    async fn dead_mans_switch(&self, scope: &DeadMansScope, countdown: Duration) -> Result<()> {
        if *scope != DeadMansScope::Connection {
            return Err(validation(
                "Bybit's disconnect cancel-all covers the connection's orders only (scope \
                 'connection').",
            ));
        }
        if countdown.is_zero() {
            return Err(validation(
                "Bybit's disconnect cancel-all is switched off by Bybit (the account manager), \
                 not over the API.",
            ));
        }
        if countdown < DCP_MIN || countdown > DCP_MAX {
            return Err(validation(format!(
                "Bybit's disconnect cancel-all takes a window of 3 to 300 seconds, not {} s.",
                countdown.as_secs_f64()
            )));
        }
        self.client
            .set_dcp("DERIVATIVES", countdown.as_secs())
            .await
    }

    async fn key_permissions(&self) -> Result<Option<KeyPermissions>> {
        let info = self.client.api_key_info().await?;
        convert::key_permissions(&info).map(Some)
    }

    async fn candles(
        &self,
        symbol: &str,
        interval: CandleInterval,
        limit: u32,
    ) -> Result<Vec<Candle>> {
        let category = self.category_of(symbol).await?;
        let k = self
            .client
            .klines(category, symbol, convert::interval_wire(interval), limit)
            .await?;
        convert::candles(&k)
    }

    async fn account_feed(&self) -> Result<Feed<AccountUpdate>> {
        let streams = self.streams()?;
        Ok(ws::account_feed(self.client.clone(), &streams.private))
    }

    async fn market_feed(
        &self,
        symbol: &str,
        subscription: MarketSubscription,
    ) -> Result<Feed<MarketUpdate>> {
        let streams = self.streams()?;
        let rules = self.rules_for(symbol).await?;
        let path = match rules.category {
            ProductCategory::Inverse => super::environment::WS_PUBLIC_INVERSE,
            _ => super::environment::WS_PUBLIC_LINEAR,
        };
        Ok(ws::market_feed(
            self.client.tls_config(),
            &format!("{}{path}", streams.public),
            symbol,
            subscription,
        ))
    }
}
