//! [`Deribit`]: the [`Venue`] the engine drives, over [`RpcClient`] and the streams in
//! [`super::ws`]. Methods from Deribit's API reference ("Trading", "Account management",
//! "Market data", "Session management").

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rampart_core::trading::{Greeks, ProductCategory};
use rampart_core::{TimeInForce, Venue as VenueId};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::convert::{self, ContractSizes, order_type_text};
use super::error::{self, code_of, malformed, unsupported, validation};
use super::json::{num, opt_dec};
use super::models;
use super::rpc::{PreparedOrder, RpcClient};
use super::rules::{check_client_id, check_order, check_size, check_tick, rules};
use crate::http::lock;
use crate::venue::{
    AccountUpdate, Balance, Candle, CandleInterval, ClientIdLookup, DeadMansScope,
    DeadMansSwitchInfo, FeeRates, Feed, InstrumentRules, KeyPermissions, Leverage, LeverageRequest,
    MarginMode, MarkPrice, MarketSubscription, MarketUpdate, OptionQuote, OrderAck, OrderAmend,
    OrderBook, OrderRequest, OrderState, Position, Result, TriggerBy, Venue, VenueCapabilities,
};

/// The currencies whose instruments Rampart trades on Deribit (inverse futures and options).
pub const CURRENCIES: [&str; 2] = ["BTC", "ETH"];

/// The shortest time between two fetches of the instruments (Deribit: "1 request per 10
/// seconds, with a burst of 5" for `public/get_instruments`, two requests a fetch).
pub const INSTRUMENTS_EVERY_MS: i64 = 10_000;

/// "Timestamp … valid for 60 seconds"; orders carry `valid_until` that far ahead, so an order
/// Deribit has not taken by then never will be.
pub const REQUEST_VALIDITY: Duration = Duration::from_secs(60);

/// Cancel-on-disconnect's countdown, as Rampart maps it: the heartbeat interval Deribit checks
/// (`public/set_heartbeat`, at least 10 s), up to Deribit's own 10 minutes of inactivity.
pub const DMS_MIN: Duration = Duration::from_secs(10);
pub const DMS_MAX: Duration = Duration::from_secs(600);

/// What Deribit's dead man's switch does, for the UI.
pub const DMS_NOTE: &str = "Deribit cancels the orders this connection placed (or, with scope \
    account, every order of the account) when the WebSocket drops: closed, a heartbeat missed, \
    or 10 minutes without a message. It does not fire on a clean logout.";

/// Deribit's `resolution` for an interval; 4 hours has none (1, 3, 5, 10, 15, 30, 60, 120, 180,
/// 360, 720 minutes and 1D are offered), so it is built from hours.
pub fn resolution(interval: CandleInterval) -> (&'static str, i64) {
    match interval {
        CandleInterval::M1 => ("1", 1),
        CandleInterval::M5 => ("5", 1),
        CandleInterval::M15 => ("15", 1),
        CandleInterval::H1 => ("60", 1),
        CandleInterval::H4 => ("60", 4),
        CandleInterval::D1 => ("1D", 1),
    }
}

/// Candles of `span` ms built from shorter ones (oldest first), aligned to multiples of `span`
/// since the epoch (UTC). The last is closed only if its last part is.
pub fn merge_candles(parts: &[Candle], span: i64) -> Vec<Candle> {
    let mut out: Vec<Candle> = Vec::new();
    for c in parts {
        let start = c.open_time_ms - c.open_time_ms.rem_euclid(span);
        match out.last_mut() {
            Some(m) if m.open_time_ms == start => {
                m.high = m.high.max(c.high);
                m.low = m.low.min(c.low);
                m.close = c.close;
                m.volume += c.volume;
                m.closed = c.closed;
            }
            _ => out.push(Candle {
                open_time_ms: start,
                ..*c
            }),
        }
    }
    out
}

/// Deribit's `time_in_force`, and whether the order is post-only (refused rather than
/// repriced: `reject_post_only`).
pub fn time_in_force(tif: Option<TimeInForce>) -> (Option<&'static str>, bool) {
    match tif {
        None => (None, false),
        Some(TimeInForce::Gtc) => (Some("good_til_cancelled"), false),
        Some(TimeInForce::Ioc) => (Some("immediate_or_cancel"), false),
        Some(TimeInForce::Fok) => (Some("fill_or_kill"), false),
        Some(TimeInForce::PostOnly) => (Some("good_til_cancelled"), true),
    }
}

/// The method and params of `private/buy` / `private/sell` for `order` (sizes in contracts,
/// Rampart's client order id as the label); `valid_until` in venue ms when the clock is known.
pub fn order_params(order: &OrderRequest, valid_until: Option<i64>) -> (&'static str, Value) {
    let method = match order.side {
        rampart_core::Side::Buy => "private/buy",
        rampart_core::Side::Sell => "private/sell",
    };
    let mut p = serde_json::Map::new();
    p.insert("instrument_name".into(), order.symbol.clone().into());
    p.insert("contracts".into(), num(order.qty.get()));
    p.insert("type".into(), order_type_text(order.order_type).into());
    p.insert("label".into(), order.client_order_id.clone().into());
    if let Some(price) = order.price.filter(|_| order.order_type.has_limit_price()) {
        p.insert("price".into(), num(price.get()));
    }
    let (tif, post_only) = time_in_force(order.time_in_force);
    if let Some(tif) = tif {
        p.insert("time_in_force".into(), tif.into());
    }
    if post_only {
        p.insert("post_only".into(), true.into());
        p.insert("reject_post_only".into(), true.into());
    }
    if order.reduce_only {
        p.insert("reduce_only".into(), true.into());
    }
    if let Some(trigger) = order
        .trigger_price
        .filter(|_| order.order_type.has_trigger_price())
    {
        p.insert("trigger_price".into(), num(trigger.get()));
        let by = match order.trigger_by {
            Some(TriggerBy::Mark) => "mark_price",
            Some(TriggerBy::Index) => "index_price",
            None | Some(TriggerBy::Last) => "last_price",
        };
        p.insert("trigger".into(), by.into());
    }
    if let Some(v) = valid_until {
        p.insert("valid_until".into(), v.into());
    }
    (method, Value::Object(p))
}

/// The nearest book depth Deribit offers at or above `depth` ("1 5 10 20 50 100 1000 10000").
pub fn book_depth(depth: u32) -> u32 {
    [1, 5, 10, 20, 50, 100, 1000, 10000]
        .into_iter()
        .find(|d| *d >= depth)
        .unwrap_or(10000)
}

/// A Deribit account.
pub struct Deribit {
    client: Arc<RpcClient>,
    instruments: Mutex<HashMap<String, InstrumentRules>>,
    /// Maker and taker commissions per instrument, from `public/get_instruments`.
    fees: Mutex<HashMap<String, (Decimal, Decimal)>>,
    /// Local time (ms) the instruments were last fetched.
    fetched_ms: Mutex<Option<i64>>,
}

impl std::fmt::Debug for Deribit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deribit")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl Deribit {
    pub fn new(client: RpcClient) -> Self {
        Self {
            client: Arc::new(client),
            instruments: Mutex::new(HashMap::new()),
            fees: Mutex::new(HashMap::new()),
            fetched_ms: Mutex::new(None),
        }
    }

    pub fn client(&self) -> &RpcClient {
        &self.client
    }

    /// The contract sizes known so far (documented defaults for the rest).
    pub fn contract_sizes(&self) -> ContractSizes {
        ContractSizes(
            lock(&self.instruments)
                .iter()
                .filter_map(|(k, r)| r.contract_size.map(|c| (k.clone(), c)))
                .collect(),
        )
    }

    async fn fetch_instruments(&self) -> Result<Vec<InstrumentRules>> {
        // `public/get_instruments` has its own limit ("1 request per 10 seconds, with a burst
        // of 5"): within 10 s of the last fetch the cache answers.
        let now = crate::http::local_ms();
        if lock(&self.fetched_ms).is_some_and(|t| now - t < INSTRUMENTS_EVERY_MS) {
            return Ok(lock(&self.instruments).values().cloned().collect());
        }
        let mut all = Vec::new();
        let mut fees = HashMap::new();
        for currency in CURRENCIES {
            let rows: Vec<models::Instrument> = self
                .client
                .call(
                    "public/get_instruments",
                    json!({"currency": currency, "expired": false}),
                )
                .await?;
            for row in &rows {
                if let Some(r) = rules(row)? {
                    if let (Some(m), Some(t)) = (
                        opt_dec("maker_commission", &row.maker_commission)?,
                        opt_dec("taker_commission", &row.taker_commission)?,
                    ) {
                        fees.insert(r.symbol.clone(), (m, t));
                    }
                    all.push(r);
                }
            }
        }
        let mut cache = lock(&self.instruments);
        cache.clear();
        for r in &all {
            cache.insert(r.symbol.clone(), r.clone());
        }
        *lock(&self.fees) = fees;
        *lock(&self.fetched_ms) = Some(now);
        Ok(all)
    }

    async fn rules_of(&self, symbol: &str) -> Result<InstrumentRules> {
        if let Some(r) = lock(&self.instruments).get(symbol) {
            return Ok(r.clone());
        }
        self.fetch_instruments().await?;
        lock(&self.instruments).get(symbol).cloned().ok_or_else(|| {
            validation(format!(
                "Deribit lists no BTC or ETH future or option {symbol}; nothing was sent."
            ))
        })
    }

    /// The currency Deribit files `symbol`'s orders and positions under.
    async fn currency_of(&self, symbol: &str) -> Result<String> {
        Ok(self.rules_of(symbol).await?.settle_asset)
    }

    /// Whether cancel-on-disconnect is on for `scope` (`private/get_cancel_on_disconnect`,
    /// over the socket: with scope connection it is the socket's own setting).
    pub async fn cancel_on_disconnect(
        &self,
        scope: &DeadMansScope,
    ) -> Result<models::CancelOnDisconnect> {
        let scope = match scope {
            DeadMansScope::Connection => "connection",
            DeadMansScope::Account => "account",
            DeadMansScope::Symbol(_) => {
                return Err(validation(
                    "Deribit's cancel-on-disconnect is per connection or per account.",
                ));
            }
        };
        let v = self
            .client
            .socket_only("private/get_cancel_on_disconnect", json!({"scope": scope}))
            .await?;
        super::json::from_value(v)
    }

    /// `symbol`'s ticker: its mark (with an option's mark IV) and, for an option, its greeks
    /// (`public/ticker`).
    pub async fn ticker(&self, symbol: &str) -> Result<(MarkPrice, Option<Greeks>)> {
        let t: models::Ticker = self
            .client
            .call("public/ticker", json!({"instrument_name": symbol}))
            .await?;
        Ok((convert::mark(&t)?, convert::ticker_greeks(&t)?))
    }

    /// Every order carrying `label` on `symbol` (`private/get_order_state_by_label`).
    pub async fn orders_by_label(&self, symbol: &str, label: &str) -> Result<Vec<OrderState>> {
        let currency = self.currency_of(symbol).await?;
        let rows: Vec<models::Order> = self
            .client
            .call(
                "private/get_order_state_by_label",
                json!({"currency": currency, "label": label}),
            )
            .await?;
        let sizes = self.contract_sizes();
        rows.iter()
            .filter(|o| o.instrument_name == symbol)
            .map(|o| convert::order(o, &sizes))
            .collect()
    }
}

impl Venue for Deribit {
    fn venue(&self) -> VenueId {
        VenueId::Deribit
    }

    fn capabilities(&self) -> VenueCapabilities {
        VenueCapabilities {
            categories: vec![ProductCategory::Inverse, ProductCategory::Option],
            dead_mans_switch: Some(DeadMansSwitchInfo {
                scope: DeadMansScope::Connection,
                min_countdown_ms: u64::try_from(DMS_MIN.as_millis()).unwrap_or(u64::MAX),
                max_countdown_ms: u64::try_from(DMS_MAX.as_millis()).unwrap_or(u64::MAX),
                note: Some(DMS_NOTE.into()),
            }),
            split_leverage: false,
            hedge_mode: false,
            margin_mode_per_order: false,
            unique_client_ids: false,
        }
    }

    fn venue_time_ms(&self) -> Option<i64> {
        self.client.venue_now()
    }

    fn request_validity(&self) -> Duration {
        REQUEST_VALIDITY
    }

    async fn sync_clock(&self) -> Result<i64> {
        let offset = self.client.sync_clock().await?;
        // Deribit's preferred transport, opened when the account connects.
        self.client.try_socket().await;
        Ok(offset)
    }

    async fn instruments(&self, refresh: bool) -> Result<Vec<InstrumentRules>> {
        if !refresh {
            let cache = lock(&self.instruments);
            if !cache.is_empty() {
                return Ok(cache.values().cloned().collect());
            }
        }
        self.fetch_instruments().await
    }

    /// [`Deribit::prepare_order`], then the prepared request written once
    /// ([`RpcClient::send_order`]).
    async fn place_order(&self, order: &OrderRequest) -> Result<OrderAck> {
        let prepared = self.prepare_order(order).await?;
        let r: models::OrderResult =
            super::json::from_value(self.client.send_order(prepared).await?)?;
        let state = convert::order(&r.order, &self.contract_sizes())?;
        Ok(OrderAck::from(&state))
    }

    async fn order_by_client_id(
        &self,
        symbol: &str,
        client_order_id: &str,
    ) -> Result<ClientIdLookup> {
        let mut found = self.orders_by_label(symbol, client_order_id).await?;
        Ok(match found.len() {
            0 => ClientIdLookup::NotFound,
            1 => ClientIdLookup::Found(found.remove(0)),
            _ => ClientIdLookup::Several(found),
        })
    }

    async fn cancel_by_client_id(&self, symbol: &str, client_order_id: &str) -> Result<OrderState> {
        let currency = self.currency_of(symbol).await?;
        let cancelled: super::json::Num = self
            .client
            .call(
                "private/cancel_by_label",
                json!({"label": client_order_id, "currency": currency}),
            )
            .await?;
        let cancelled = cancelled.int("cancelled orders")?;
        let found = self.orders_by_label(symbol, client_order_id).await?;
        // Several orders may carry the label (labels are not unique on Deribit): all were
        // cancelled; the newest stands for them.
        match found.into_iter().max_by_key(|o| o.updated_ms) {
            Some(o) => Ok(o),
            None if cancelled == 0 => {
                Err(error::rejected(error::ORDER_NOT_FOUND, "order_not_found"))
            }
            None => Err(malformed(format_args!(
                "{cancelled} order(s) cancelled by label but none found afterwards"
            ))),
        }
    }

    async fn amend_order(
        &self,
        symbol: &str,
        client_order_id: &str,
        amend: &OrderAmend,
    ) -> Result<OrderState> {
        let rules = self.rules_of(symbol).await?;
        // `edit_by_label` needs the size every time: keep the order's own when not changed.
        let qty = match amend.qty {
            Some(q) => q,
            None => match self.order_by_client_id(symbol, client_order_id).await? {
                ClientIdLookup::Found(o) => o.qty,
                ClientIdLookup::NotFound => {
                    return Err(error::rejected(error::ORDER_NOT_FOUND, "order_not_found"));
                }
                ClientIdLookup::Several(_) => {
                    return Err(error::rejected(
                        error::NON_UNIQUE_ORDER_LABEL,
                        "non_unique_order_label",
                    ));
                }
            },
        };
        check_size(&rules, qty)?;
        let mut p = serde_json::Map::new();
        p.insert("label".into(), client_order_id.into());
        p.insert("instrument_name".into(), symbol.into());
        p.insert("contracts".into(), num(qty));
        if let Some(price) = amend.price {
            check_tick(&rules, "price", price)?;
            p.insert("price".into(), num(price));
        }
        if let Some(trigger) = amend.trigger_price {
            check_tick(&rules, "trigger price", trigger)?;
            p.insert("trigger_price".into(), num(trigger));
        }
        let r: models::OrderResult = self
            .client
            .call("private/edit_by_label", Value::Object(p))
            .await?;
        convert::order(&r.order, &self.contract_sizes())
    }

    async fn cancel_all(&self, symbol: Option<&str>) -> Result<()> {
        match symbol {
            Some(s) => {
                self.client
                    .call::<Value>(
                        "private/cancel_all_by_instrument",
                        json!({"instrument_name": s, "type": "all"}),
                    )
                    .await?;
            }
            None => {
                self.client
                    .call::<Value>("private/cancel_all", json!({}))
                    .await?;
            }
        }
        Ok(())
    }

    async fn open_orders(&self, symbol: Option<&str>) -> Result<Vec<OrderState>> {
        let mut rows: Vec<models::Order> = Vec::new();
        match symbol {
            Some(s) => {
                rows = self
                    .client
                    .call(
                        "private/get_open_orders_by_instrument",
                        json!({"instrument_name": s, "type": "all"}),
                    )
                    .await?;
            }
            None => {
                for currency in CURRENCIES {
                    let mut some: Vec<models::Order> = self
                        .client
                        .call(
                            "private/get_open_orders_by_currency",
                            json!({"currency": currency, "type": "all"}),
                        )
                        .await?;
                    rows.append(&mut some);
                }
            }
        }
        let sizes = self.contract_sizes();
        rows.iter().map(|o| convert::order(o, &sizes)).collect()
    }

    async fn balances(&self) -> Result<Vec<Balance>> {
        let mut out = Vec::new();
        for currency in CURRENCIES {
            let s: models::AccountSummary = self
                .client
                .call("private/get_account_summary", json!({"currency": currency}))
                .await?;
            if let Some(limits) = &s.limits {
                self.client.apply_limits(limits);
            }
            out.push(convert::balance(&s)?);
        }
        Ok(out)
    }

    async fn positions(&self, symbol: Option<&str>) -> Result<Vec<Position>> {
        let currencies: Vec<String> = match symbol {
            Some(s) => vec![self.currency_of(s).await?],
            None => CURRENCIES.iter().map(|c| (*c).to_owned()).collect(),
        };
        let sizes = self.contract_sizes();
        let mut out = Vec::new();
        for currency in currencies {
            let rows: Vec<models::Position> = self
                .client
                .call("private/get_positions", json!({"currency": currency}))
                .await?;
            for p in rows
                .iter()
                .filter(|p| matches!(p.kind.as_str(), "future" | "option" | ""))
                .filter(|p| symbol.is_none_or(|s| p.instrument_name == s))
            {
                let pos = convert::position(p, &sizes)?;
                if !pos.qty.is_zero() {
                    out.push(pos);
                }
            }
        }
        Ok(out)
    }

    async fn mark_price(&self, symbol: &str) -> Result<MarkPrice> {
        Ok(self.ticker(symbol).await?.0)
    }

    async fn fee_rates(&self, symbol: &str) -> Result<FeeRates> {
        self.rules_of(symbol).await?;
        let fees = lock(&self.fees).get(symbol).copied();
        let (maker, taker) =
            fees.ok_or_else(|| malformed(format_args!("no commissions listed for {symbol}")))?;
        Ok(FeeRates {
            symbol: symbol.to_owned(),
            maker,
            taker,
        })
    }

    /// `public/get_book_summary_by_currency` with `kind=option`: every live option of the
    /// currency with its best bid and ask, mark, mark IV and underlying price, in one request.
    async fn option_quotes(&self, underlying: &str) -> Result<Vec<OptionQuote>> {
        let currency = underlying.trim().to_ascii_uppercase();
        if !CURRENCIES.contains(&currency.as_str()) {
            return Err(validation(format!(
                "Rampart trades Deribit's BTC and ETH options, not {underlying:?}; nothing was sent."
            )));
        }
        if lock(&self.instruments).is_empty() {
            self.fetch_instruments().await?;
        }
        let rows: Vec<models::BookSummary> = self
            .client
            .call(
                "public/get_book_summary_by_currency",
                json!({"currency": currency, "kind": "option"}),
            )
            .await?;
        let sizes = self.contract_sizes();
        rows.iter()
            .map(|r| convert::option_quote(r, &sizes))
            .collect()
    }

    async fn order_book(&self, symbol: &str, depth: u32) -> Result<OrderBook> {
        let b: models::OrderBook = self
            .client
            .call(
                "public/get_order_book",
                json!({"instrument_name": symbol, "depth": book_depth(depth)}),
            )
            .await?;
        convert::book(&b, &self.contract_sizes())
    }

    async fn set_leverage(&self, _request: &LeverageRequest) -> Result<Leverage> {
        Err(unsupported(
            "Deribit has no leverage setting per instrument: the whole (sub-)account is \
             margined together, and a position's leverage follows from its size and the \
             account's equity. Nothing was sent.",
        ))
    }

    async fn set_margin_mode(&self, _symbol: &str, mode: MarginMode) -> Result<()> {
        match mode {
            // Deribit margins every position of the account together: that is cross margin.
            MarginMode::Cross => Ok(()),
            MarginMode::Isolated => Err(unsupported(
                "Deribit has no isolated margin per instrument: the account's margin model \
                 (set on Deribit's website) covers every position. Nothing was sent.",
            )),
        }
    }

    async fn dead_mans_switch(&self, scope: &DeadMansScope, countdown: Duration) -> Result<()> {
        let scope_text = match scope {
            DeadMansScope::Connection => "connection",
            DeadMansScope::Account => "account",
            DeadMansScope::Symbol(_) => {
                return Err(validation(
                    "Deribit's cancel-on-disconnect covers this connection's orders or the \
                     whole account's, not one instrument's.",
                ));
            }
        };
        if countdown.is_zero() {
            self.client
                .socket_only(
                    "private/disable_cancel_on_disconnect",
                    json!({"scope": scope_text}),
                )
                .await?;
            return Ok(());
        }
        if countdown < DMS_MIN || countdown > DMS_MAX || countdown.subsec_nanos() != 0 {
            return Err(validation(format!(
                "Deribit's cancel-on-disconnect is checked by a heartbeat of 10 to 600 whole \
                 seconds, not {:.3} s.",
                countdown.as_secs_f64()
            )));
        }
        // The heartbeat decides how soon a silent Rampart counts as disconnected.
        self.client.set_socket_heartbeat(countdown).await?;
        self.client
            .socket_only(
                "private/enable_cancel_on_disconnect",
                json!({"scope": scope_text}),
            )
            .await?;
        Ok(())
    }

    async fn key_permissions(&self) -> Result<Option<KeyPermissions>> {
        let scope = self.client.scope().await?;
        Ok(Some(super::auth::key_permissions(&scope)))
    }

    async fn candles(
        &self,
        symbol: &str,
        interval: CandleInterval,
        limit: u32,
    ) -> Result<Vec<Candle>> {
        let (res, parts) = resolution(interval);
        let span = interval.millis();
        let end = self
            .client
            .venue_now()
            .unwrap_or_else(crate::http::local_ms);
        let start = end - span * i64::from(limit.clamp(1, 5000));
        let c: models::ChartData = self
            .client
            .call(
                "public/get_tradingview_chart_data",
                json!({"instrument_name": symbol, "start_timestamp": start,
                       "end_timestamp": end, "resolution": res}),
            )
            .await?;
        let candles = convert::candles(&c)?;
        let mut out = if parts > 1 {
            merge_candles(&candles, span)
        } else {
            candles
        };
        let keep = usize::try_from(limit).unwrap_or(usize::MAX);
        if out.len() > keep {
            out.drain(..out.len() - keep);
        }
        Ok(out)
    }

    async fn account_feed(&self) -> Result<Feed<AccountUpdate>> {
        if lock(&self.instruments).is_empty() {
            self.fetch_instruments().await?;
        }
        super::ws::account_feed(self.client.clone(), self.contract_sizes())
    }

    async fn market_feed(
        &self,
        symbol: &str,
        subscription: MarketSubscription,
    ) -> Result<Feed<MarketUpdate>> {
        let sizes = self.contract_sizes();
        super::ws::market_feed(self.client.clone(), symbol, subscription, sizes)
    }
}

/// Whether `e` is Deribit's "no such order".
pub fn is_not_found(e: &crate::venue::Error) -> bool {
    code_of(e) == Some(error::ORDER_NOT_FOUND)
}

/// A new order in two steps: [`Deribit::prepare_order`] builds the request, `place_order`
/// writes it.
impl Deribit {
    /// Everything `place_order` does before the first byte is written: the label's form, the
    /// instrument's cached rules (fetched when the symbol is not cached), the checks,
    /// `private/buy` or `private/sell` and its params (`valid_until` a minute ahead in venue
    /// time), then [`RpcClient::prepare_order`]: the credits, the access token, the request id
    /// and the JSON-RPC text.
    pub async fn prepare_order(&self, order: &OrderRequest) -> Result<PreparedOrder> {
        check_client_id(&order.client_order_id)?;
        let rules = self.rules_of(&order.symbol).await?;
        check_order(order, &rules)?;
        let valid_until = self
            .client
            .venue_now()
            .map(|now| now + i64::try_from(REQUEST_VALIDITY.as_millis()).unwrap_or(60_000));
        let (method, params) = order_params(order, valid_until);
        self.client.prepare_order(method, params).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venue::PositionSide;
    use rampart_core::{OrderType, Side};

    fn req(order_type: OrderType) -> OrderRequest {
        OrderRequest {
            symbol: "BTC-PERPETUAL".into(),
            client_order_id: "rmpAbc".into(),
            side: Side::Sell,
            order_type,
            qty: "3".parse().unwrap(),
            price: None,
            trigger_price: None,
            time_in_force: None,
            reduce_only: true,
            trigger_by: Some(TriggerBy::Mark),
            margin_mode: None,
            position_side: PositionSide::Net,
            reference_price: None,
        }
    }

    #[test]
    fn a_post_only_limit_sell_is_labelled_sized_in_contracts_and_refused_rather_than_repriced() {
        let mut o = req(OrderType::Limit);
        o.price = Some("30000.5".parse().unwrap());
        o.time_in_force = Some(TimeInForce::PostOnly);
        let (method, p) = order_params(&o, Some(1_700_000_060_000));
        assert_eq!(method, "private/sell");
        // Compared as JSON (key order follows serde_json's features), numbers as sent.
        let as_sent = |t: &str| -> Value {
            serde_json::from_str(&super::super::json::numbers_as_text(t)).unwrap()
        };
        assert_eq!(
            as_sent(&super::super::json::to_text(&p)),
            as_sent(
                r#"{"instrument_name":"BTC-PERPETUAL","contracts":3,"type":"limit","label":"rmpAbc","price":30000.5,"time_in_force":"good_til_cancelled","post_only":true,"reject_post_only":true,"reduce_only":true,"valid_until":1700000060000}"#
            )
        );
    }

    #[test]
    fn a_stop_market_names_its_trigger() {
        let mut o = req(OrderType::StopMarket);
        o.trigger_price = Some("29000".parse().unwrap());
        let (_, p) = order_params(&o, None);
        assert_eq!(p["type"], "stop_market");
        assert_eq!(p["trigger"], "mark_price");
        assert!(p.get("price").is_none());
        assert!(p.get("valid_until").is_none());
    }

    #[test]
    fn four_hour_candles_are_built_from_hours_on_utc_boundaries() {
        let h = 3_600_000;
        let c = |i: i64, closed: bool| Candle {
            open_time_ms: i * h,
            open: Decimal::from(i),
            high: Decimal::from(10 + i),
            low: Decimal::from(i),
            close: Decimal::from(i + 1),
            volume: Decimal::ONE,
            closed,
        };
        let parts: Vec<Candle> = (3..10).map(|i| c(i, i < 9)).collect();
        let m = merge_candles(&parts, 4 * h);
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].open_time_ms, 0);
        assert_eq!(m[1].open_time_ms, 4 * h);
        assert_eq!(m[1].open, Decimal::from(4));
        assert_eq!(m[1].high, Decimal::from(17));
        assert_eq!(m[1].close, Decimal::from(8));
        assert_eq!(m[1].volume, Decimal::from(4));
        assert!(m[1].closed && !m[2].closed);
        assert_eq!(resolution(CandleInterval::H4), ("60", 4));
    }

    #[test]
    fn book_depths_round_up_to_what_deribit_offers() {
        assert_eq!(book_depth(0), 1);
        assert_eq!(book_depth(7), 10);
        assert_eq!(book_depth(200), 1000);
        assert_eq!(book_depth(50_000), 10000);
    }
}
