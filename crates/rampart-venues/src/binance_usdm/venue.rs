//! Binance USDⓈ-M behind the venue-neutral [`Venue`] trait: a [`RestClient`] plus the symbols'
//! exchangeInfo rules, cached and refreshed on demand (and when a symbol is not in the cache).
//!
//! Binance keeps conditional orders (stop and take-profit) in its Algo Service, apart from the
//! regular orders (see [`super::algo`]). The trait hides the split, by client order id:
//! - `place_order` sends each type where Binance takes it;
//! - `order_by_client_id` asks the regular endpoint, then the Algo Service;
//! - `cancel_by_client_id` cancels a regular order, else the conditional one (and, when that has
//!   already triggered, the order it placed in the book);
//! - `cancel_all` cancels the conditional orders first (so none triggers meanwhile), then the
//!   regular ones;
//! - `open_orders` lists both; a conditional order not triggered yet is `Open` with nothing
//!   filled, and a triggered one is shown once, under its client id, with the fills of the order
//!   it placed.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rampart_core::Venue as VenueId;
use rampart_core::trading::ProductCategory;
use rust_decimal::Decimal;

use super::algo::{AlgoOrder, AlgoStatus};
use super::convert::{
    algo_state, before_sending, binance_order, depth_limit, instrument_rules, mark_price,
    merge_open_orders, neutral_error, order_error, order_state, placed_ack, position, validation,
    whole_leverage,
};
use super::error::{NO_NEED_TO_CHANGE_MARGIN_TYPE, NO_SUCH_ORDER, UNKNOWN_ORDER, VenueError};
use super::feeds::{StreamBases, account_feed, kline_interval, market_feed, rest_candle};
use super::filters::SymbolFilters;
use super::key_permissions::ApiRestrictions;
use super::models;
use super::rest::{PreparedOrder, RestClient, local_ms};
use crate::venue::{AccountUpdate, Candle, CandleInterval, Feed, MarketSubscription, MarketUpdate};
use crate::venue::{
    Balance, BookLevel, ClientIdLookup, DeadMansScope, DeadMansSwitchInfo, FeeRates,
    InstrumentRules, KeyPermissions, Leverage, LeverageRequest, MarginMode, MarkPrice, OrderAck,
    OrderBook, OrderRequest, OrderState, Position, Result, TriggerBy, Venue, VenueCapabilities,
};

/// One Binance USDⓈ-M account, venue-neutral.
#[derive(Debug)]
pub struct BinanceUsdm {
    /// Shared with the account's stream tasks (listen keys, book snapshots).
    client: Arc<RestClient>,
    /// Shared, so an order takes its symbol's filters without copying them.
    instruments: RwLock<HashMap<String, Arc<SymbolFilters>>>,
    /// Where the account's streams connect; `None` when the REST base has no known streams.
    streams: Option<StreamBases>,
}

impl BinanceUsdm {
    /// The account behind `client`, its streams where Binance routes them for the client's
    /// environment (or on the simulator's own address).
    pub fn new(client: RestClient) -> Self {
        let streams = StreamBases::for_rest_base(client.base_url());
        Self {
            client: Arc::new(client),
            instruments: RwLock::new(HashMap::new()),
            streams,
        }
    }

    fn stream_bases(&self) -> Result<&StreamBases> {
        self.streams.as_ref().ok_or_else(|| {
            neutral_error(VenueError::Config(format!(
                "no stream address is known for {}",
                self.client.base_url()
            )))
        })
    }

    /// The Binance-specific client, for what the neutral trait does not cover.
    pub fn client(&self) -> &RestClient {
        &self.client
    }

    /// A conditional order's state, with the order it placed in the book when it has triggered.
    async fn algo_state_now(&self, a: AlgoOrder) -> std::result::Result<OrderState, VenueError> {
        let actual = match a.actual_order_id {
            Some(id) => self.client.query_order_by_id(&a.symbol, id).await?,
            None => None,
        };
        Ok(algo_state(a, actual))
    }

    /// Cancels the conditional order `client_algo_id`; when it has already triggered, cancels
    /// the order it placed in the book instead. Returns its state after the cancel.
    async fn cancel_algo(
        &self,
        symbol: &str,
        client_algo_id: &str,
    ) -> std::result::Result<OrderState, VenueError> {
        if let Err(e) = self.client.cancel_algo_order(client_algo_id).await {
            if let Ok(Some(a)) = self.client.query_algo_order(client_algo_id).await
                && a.algo_status == AlgoStatus::Triggered
                && let Some(id) = a.actual_order_id
            {
                let order = self.client.cancel_order_by_id(symbol, id).await?;
                return Ok(algo_state(a, Some(order)));
            }
            return Err(e);
        }
        // The cancel answers with the ids only: read the order back for its state.
        match self.client.query_algo_order(client_algo_id).await? {
            Some(a) => self.algo_state_now(a).await,
            None => Err(VenueError::Malformed(format!(
                "the conditional order {client_algo_id} was cancelled but cannot be found"
            ))),
        }
    }

    /// Everything `place_order` does before the first byte is written: the neutral order as
    /// Binance's typed request, its shape, the symbol's cached filters (exchangeInfo fetched
    /// when the symbol is not cached), the mark price (the order's `reference_price`, else
    /// fetched from the venue), then [`RestClient::prepare_order`]: checked, encoded, signed
    /// with venue time, counted on the order budget.
    pub async fn prepare_order(&self, order: &OrderRequest) -> Result<PreparedOrder<'_>> {
        if order.trigger_by == Some(TriggerBy::Index) {
            return Err(validation(
                "Binance triggers conditional orders on the mark or the last price, not the index"
                    .into(),
            ));
        }
        let request = binance_order(order);
        request.check_shape().map_err(before_sending)?;
        let filters = self
            .filters_for(&order.symbol)
            .await
            .map_err(before_sending)?;
        let mark = match order.reference_price {
            Some(p) => Some(p.get()),
            None => Some(
                self.client
                    .mark_price(&order.symbol)
                    .await
                    .map_err(before_sending)?
                    .mark_price,
            ),
        };
        // The shape was checked above, before the filters and the mark were fetched.
        self.client
            .prepare_shaped_order(&request, &filters, mark)
            .await
            .map_err(before_sending)
    }

    /// Fetches exchangeInfo and replaces the cache.
    async fn refresh(&self) -> std::result::Result<Vec<Arc<SymbolFilters>>, VenueError> {
        let all: Vec<Arc<SymbolFilters>> = self
            .client
            .exchange_info()
            .await?
            .into_iter()
            .map(Arc::new)
            .collect();
        let mut cache = self.instruments.write().unwrap_or_else(|p| p.into_inner());
        *cache = all
            .iter()
            .map(|f| (f.symbol.clone(), Arc::clone(f)))
            .collect();
        Ok(all)
    }

    /// The rules of `symbol`, fetching exchangeInfo when it is not cached.
    async fn filters_for(
        &self,
        symbol: &str,
    ) -> std::result::Result<Arc<SymbolFilters>, VenueError> {
        let cached = self
            .instruments
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(symbol)
            .cloned();
        if let Some(f) = cached {
            return Ok(f);
        }
        self.refresh()
            .await?
            .into_iter()
            .find(|f| f.symbol == symbol)
            .ok_or_else(|| VenueError::InvalidRequest(format!("{symbol} is not a symbol here")))
    }
}

/// Binance's countdown cancel-all: "The endpoint should be called repeatedly as heartbeats";
/// `countdownTime` in milliseconds, 0 cancels the countdown; the system checks "approximately
/// every 10 milliseconds". Per symbol.
const COUNTDOWN_MAX_MS: u64 = 24 * 60 * 60 * 1000;

impl BinanceUsdm {
    /// Every symbol with an open order, regular or conditional.
    async fn symbols_with_open_orders(&self) -> Result<Vec<String>> {
        let mut symbols: Vec<String> = Venue::open_orders(self, None)
            .await?
            .into_iter()
            .map(|o| o.symbol)
            .collect();
        symbols.sort();
        symbols.dedup();
        Ok(symbols)
    }
}

impl Venue for BinanceUsdm {
    fn venue(&self) -> VenueId {
        VenueId::BinanceUsdm
    }

    fn capabilities(&self) -> VenueCapabilities {
        VenueCapabilities {
            categories: vec![ProductCategory::Linear],
            dead_mans_switch: Some(DeadMansSwitchInfo {
                scope: DeadMansScope::Symbol(String::new()),
                min_countdown_ms: 1,
                max_countdown_ms: COUNTDOWN_MAX_MS,
                note: Some(
                    "Per symbol; cancels regular orders, not conditional (algo) orders".into(),
                ),
            }),
            split_leverage: false,
            hedge_mode: true,
            margin_mode_per_order: false,
            unique_client_ids: true,
        }
    }

    fn venue_time_ms(&self) -> Option<i64> {
        self.client
            .clock_offset_ms()
            .map(|offset| local_ms().saturating_add(offset))
    }

    fn request_validity(&self) -> Duration {
        Duration::from_millis(self.client.recv_window_ms())
    }

    async fn sync_clock(&self) -> Result<i64> {
        self.client.sync_clock().await.map_err(neutral_error)
    }

    async fn instruments(&self, refresh: bool) -> Result<Vec<InstrumentRules>> {
        let cached: Vec<Arc<SymbolFilters>> = self
            .instruments
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        let all = if refresh || cached.is_empty() {
            self.refresh().await.map_err(neutral_error)?
        } else {
            cached
        };
        let mut rules: Vec<InstrumentRules> = all.iter().map(|f| instrument_rules(f)).collect();
        rules.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        Ok(rules)
    }

    /// [`BinanceUsdm::prepare_order`], then the prepared request sent once
    /// ([`RestClient::send_order`]).
    async fn place_order(&self, order: &OrderRequest) -> Result<OrderAck> {
        let prepared = self.prepare_order(order).await?;
        let placed = self
            .client
            .send_order(prepared)
            .await
            .map_err(order_error)?;
        Ok(placed_ack(placed))
    }

    /// The regular endpoint first (weight 1), then the Algo Service (weight 1, and 1 more for
    /// the order a triggered conditional order placed). Binance keeps client ids unique among
    /// open orders, so a lookup finds one order at most.
    async fn order_by_client_id(
        &self,
        symbol: &str,
        client_order_id: &str,
    ) -> Result<ClientIdLookup> {
        if let Some(order) = self
            .client
            .query_order(symbol, client_order_id)
            .await
            .map_err(neutral_error)?
        {
            return Ok(ClientIdLookup::Found(order_state(order)));
        }
        match self
            .client
            .query_algo_order(client_order_id)
            .await
            .map_err(neutral_error)?
        {
            Some(a) => self
                .algo_state_now(a)
                .await
                .map(ClientIdLookup::Found)
                .map_err(neutral_error),
            None => Ok(ClientIdLookup::NotFound),
        }
    }

    /// A regular order first; when Binance has no such open order (-2011, -2013), the
    /// conditional order with that client id.
    async fn cancel_by_client_id(&self, symbol: &str, client_order_id: &str) -> Result<OrderState> {
        match self.client.cancel_order(symbol, client_order_id).await {
            Ok(order) => Ok(order_state(order)),
            Err(VenueError::Rejected {
                code: UNKNOWN_ORDER | NO_SUCH_ORDER,
                ..
            }) => self
                .cancel_algo(symbol, client_order_id)
                .await
                .map_err(neutral_error),
            Err(e) => Err(neutral_error(e)),
        }
    }

    /// Conditional orders first (so none triggers into a new order meanwhile), then regular
    /// ones; both are attempted, and the first failure is reported. Binance cancels per symbol:
    /// for the whole account, every symbol with an open order is cancelled in turn.
    async fn cancel_all(&self, symbol: Option<&str>) -> Result<()> {
        let symbols = match symbol {
            Some(s) => vec![s.to_owned()],
            None => self.symbols_with_open_orders().await?,
        };
        let mut first_failure = None;
        for symbol in &symbols {
            let algo = self.client.cancel_all_algo_open_orders(symbol).await;
            let regular = self.client.cancel_all_open_orders(symbol).await;
            if let Err(e) = algo.and(regular) {
                first_failure.get_or_insert(neutral_error(e));
            }
        }
        first_failure.map_or(Ok(()), Err)
    }

    /// Regular and conditional open orders, merged (weight 1 + 1 for a symbol, 40 + 40 for all).
    async fn open_orders(&self, symbol: Option<&str>) -> Result<Vec<OrderState>> {
        let regular = self
            .client
            .list_open_orders(symbol)
            .await
            .map_err(neutral_error)?;
        let algos = self
            .client
            .open_algo_orders(symbol)
            .await
            .map_err(neutral_error)?;
        Ok(merge_open_orders(regular, algos))
    }

    async fn balances(&self) -> Result<Vec<Balance>> {
        Ok(self
            .client
            .balances_v3()
            .await
            .map_err(neutral_error)?
            .into_iter()
            .map(|b| Balance {
                asset: b.asset,
                wallet: b.balance,
                available: b.available_balance,
                unrealized_pnl: b.cross_un_pnl,
            })
            .collect())
    }

    async fn positions(&self, symbol: Option<&str>) -> Result<Vec<Position>> {
        // V2 carries leverage (V3 does not); flat rows are dropped.
        Ok(self
            .client
            .position_risk_v2(symbol)
            .await
            .map_err(neutral_error)?
            .into_iter()
            .filter_map(position)
            .collect())
    }

    async fn mark_price(&self, symbol: &str) -> Result<MarkPrice> {
        self.client
            .mark_price(symbol)
            .await
            .map(mark_price)
            .map_err(neutral_error)
    }

    async fn fee_rates(&self, symbol: &str) -> Result<FeeRates> {
        let rate = self
            .client
            .commission_rate(symbol)
            .await
            .map_err(neutral_error)?;
        Ok(FeeRates {
            symbol: rate.symbol,
            maker: rate.maker_commission_rate,
            taker: rate.taker_commission_rate,
        })
    }

    async fn order_book(&self, symbol: &str, depth: u32) -> Result<OrderBook> {
        let book = self
            .client
            .order_book(symbol, depth_limit(depth))
            .await
            .map_err(neutral_error)?;
        let level = |l: &models::Level| BookLevel {
            price: l.price,
            qty: l.qty,
        };
        Ok(OrderBook {
            symbol: symbol.to_owned(),
            bids: book.bids.iter().map(level).collect(),
            asks: book.asks.iter().map(level).collect(),
            update_id: book.last_update_id,
            time_ms: book.transaction_time,
        })
    }

    async fn set_leverage(&self, request: &LeverageRequest) -> Result<Leverage> {
        let leverage = whole_leverage(&request.leverage)?;
        self.client
            .set_leverage(&request.symbol, leverage)
            .await
            .map(|l| Leverage::both(Decimal::from(l.leverage)))
            .map_err(neutral_error)
    }

    /// `POST /fapi/v1/marginType` (`marginType`: ISOLATED or CROSSED). Binance answers -4046
    /// "No need to change margin type." when the symbol is already in that mode: that is
    /// success here.
    async fn set_margin_mode(&self, symbol: &str, mode: MarginMode) -> Result<()> {
        let wire = match mode {
            MarginMode::Cross => "CROSSED",
            MarginMode::Isolated => "ISOLATED",
        };
        match self.client.set_margin_type(symbol, wire).await {
            Ok(())
            | Err(VenueError::Rejected {
                code: NO_NEED_TO_CHANGE_MARGIN_TYPE,
                ..
            }) => Ok(()),
            Err(e) => Err(neutral_error(e)),
        }
    }

    async fn dead_mans_switch(&self, scope: &DeadMansScope, countdown: Duration) -> Result<()> {
        let DeadMansScope::Symbol(symbol) = scope else {
            return Err(validation(
                "Binance's dead man's switch (countdown cancel-all) works per symbol: name one"
                    .into(),
            ));
        };
        let ms = u64::try_from(countdown.as_millis()).unwrap_or(u64::MAX);
        if ms > COUNTDOWN_MAX_MS {
            return Err(validation(format!(
                "a countdown of {ms} ms is longer than Rampart sends ({COUNTDOWN_MAX_MS} ms)"
            )));
        }
        self.client
            .countdown_cancel_all(symbol, ms)
            .await
            .map(|_| ())
            .map_err(neutral_error)
    }

    /// Get API Key Permission on Binance's SPOT host (see [`super::key_permissions`]); `None`
    /// without a request for the futures testnet and Demo Trading, where Binance serves it on
    /// no host.
    async fn key_permissions(&self) -> Result<Option<KeyPermissions>> {
        self.client
            .api_restrictions()
            .await
            .map(|r| r.as_ref().map(ApiRestrictions::key_permissions))
            .map_err(neutral_error)
    }

    async fn candles(
        &self,
        symbol: &str,
        interval: CandleInterval,
        limit: u32,
    ) -> Result<Vec<Candle>> {
        let klines = self
            .client
            .klines(symbol, kline_interval(interval), Some(limit), None, None)
            .await
            .map_err(neutral_error)?;
        let now = Venue::venue_time_ms(self).unwrap_or_else(local_ms);
        Ok(klines.iter().map(|k| rest_candle(k, now)).collect())
    }

    async fn account_feed(&self) -> Result<Feed<AccountUpdate>> {
        account_feed(&self.client, self.stream_bases()?).map_err(stream_error)
    }

    async fn market_feed(
        &self,
        symbol: &str,
        subscription: MarketSubscription,
    ) -> Result<Feed<MarketUpdate>> {
        market_feed(&self.client, self.stream_bases()?, symbol, subscription).map_err(stream_error)
    }
}

/// A stream that could not start: its address or TLS set-up (nothing was sent).
fn stream_error(e: super::ws::connection::StreamError) -> crate::venue::Error {
    before_sending(VenueError::Config(format!(
        "the stream could not start: {e}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venue::DynVenue;
    use crate::venue::{ErrorKind, OrderStatus, PositionSide};
    use rampart_core::OrderType;
    use rampart_core::{Price, Side};
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// The trait over a scripted venue: a stop order goes to the Algo Service, and lookups,
    /// cancels and lists fall through to it.
    #[tokio::test]
    async fn the_trait_covers_conditional_orders() {
        use crate::binance_usdm::rest::tests::{
            LIMIT_ANSWER, SECRET, algo_answer, scripted, time_answer,
        };
        const INFO: &str = r#"{"rateLimits": [], "symbols":[{"symbol":"BTCUSDT",
            "status":"TRADING","filters":[
            {"filterType":"PRICE_FILTER","minPrice":"261.10","maxPrice":"809484","tickSize":"0.10"},
            {"filterType":"LOT_SIZE","minQty":"0.001","maxQty":"1000","stepSize":"0.001"},
            {"filterType":"MARKET_LOT_SIZE","minQty":"0.001","maxQty":"120","stepSize":"0.001"},
            {"filterType":"MIN_NOTIONAL","notional":"100"}]}]}"#;
        let unknown = |code: i64, msg: &str| {
            (
                400,
                vec![],
                format!(r#"{{"code": {code}, "msg": "{msg}"}}"#),
            )
        };
        let venue = scripted::start(std::sync::Arc::new(move |method: &str, path: &str, n| {
            let stop = algo_answer("rmp-stop", "STOP_MARKET");
            match (method, path) {
                ("GET", "/fapi/v1/time") => time_answer(),
                ("GET", "/fapi/v1/exchangeInfo") => (200, vec![], INFO.into()),
                ("POST", "/fapi/v1/algoOrder") => (200, vec![], stop),
                ("GET", "/fapi/v1/order") => unknown(-2013, "Order does not exist."),
                ("DELETE", "/fapi/v1/order") => unknown(-2011, "Unknown order sent."),
                ("GET", "/fapi/v1/algoOrder") if n <= 1 => (200, vec![], stop),
                ("GET", "/fapi/v1/algoOrder") => {
                    (200, vec![], stop.replace("\"NEW\"", "\"CANCELED\""))
                }
                ("DELETE", "/fapi/v1/algoOrder") => (
                    200,
                    vec![],
                    r#"{"algoId": 2146760, "clientAlgoId": "rmp-stop", "code": "200",
                        "msg": "success"}"#
                        .into(),
                ),
                ("GET", "/fapi/v1/openOrders") => (200, vec![], format!("[{LIMIT_ANSWER}]")),
                ("GET", "/fapi/v1/openAlgoOrders") => (200, vec![], format!("[{stop}]")),
                ("DELETE", "/fapi/v1/allOpenOrders" | "/fapi/v1/algoOpenOrders") => (
                    200,
                    vec![],
                    r#"{"code": 200, "msg": "The operation of cancel all open order is done."}"#
                        .into(),
                ),
                _ => unknown(-1, "not scripted"),
            }
        }))
        .await;
        let client = RestClient::new(&venue.base, "k", SECRET).unwrap();
        let binance = BinanceUsdm::new(client);
        Venue::sync_clock(&binance).await.unwrap();

        let order = OrderRequest {
            symbol: "BTCUSDT".into(),
            client_order_id: "rmp-stop".into(),
            side: Side::Buy,
            order_type: OrderType::StopMarket,
            qty: "0.010".parse().unwrap(),
            price: None,
            trigger_price: Some(Price::from_str("61000").unwrap()),
            time_in_force: None,
            reduce_only: false,
            trigger_by: Some(TriggerBy::Mark),
            margin_mode: None,
            position_side: PositionSide::Net,
            reference_price: Some(Price::from_str("60000").unwrap()),
        };
        let ack = Venue::place_order(&binance, &order).await.unwrap();
        assert_eq!(ack.client_order_id, "rmp-stop");
        assert_eq!(ack.venue_order_id, "2146760");
        assert_eq!(ack.status, OrderStatus::Open);
        assert_eq!(venue.count("POST /fapi/v1/algoOrder"), 1);
        assert_eq!(venue.count("POST /fapi/v1/order"), 0);
        let body = &venue.requests("POST", "/fapi/v1/algoOrder")[0].body;
        assert!(body.contains("&workingType=MARK_PRICE&"), "{body}");

        // Not a regular order (-2013): found in the Algo Service.
        let ClientIdLookup::Found(found) =
            Venue::order_by_client_id(&binance, "BTCUSDT", "rmp-stop")
                .await
                .unwrap()
        else {
            panic!("found")
        };
        assert_eq!(
            (found.status, found.venue_order_id.as_str()),
            (OrderStatus::Open, "2146760")
        );
        assert_eq!(venue.count("GET /fapi/v1/order"), 1);

        // Not a regular order (-2011): cancelled in the Algo Service, then read back.
        let cancelled = Venue::cancel_by_client_id(&binance, "BTCUSDT", "rmp-stop")
            .await
            .unwrap();
        assert_eq!(cancelled.status, OrderStatus::Cancelled);
        assert_eq!(venue.count("DELETE /fapi/v1/algoOrder"), 1);

        Venue::cancel_all(&binance, Some("BTCUSDT")).await.unwrap();
        assert_eq!(venue.count("DELETE /fapi/v1/algoOpenOrders"), 1);
        assert_eq!(venue.count("DELETE /fapi/v1/allOpenOrders"), 1);

        let open = Venue::open_orders(&binance, Some("BTCUSDT")).await.unwrap();
        let ids: Vec<&str> = open.iter().map(|o| o.client_order_id.as_str()).collect();
        assert_eq!(ids, ["rmp-limit", "rmp-stop"]);
    }

    /// A conditional order that has triggered: its state comes with the fills of the order it
    /// placed in the book, and cancelling it cancels that order.
    #[tokio::test]
    async fn a_triggered_conditional_order_is_read_and_cancelled_through_its_book_order() {
        use crate::binance_usdm::rest::tests::{
            LIMIT_ANSWER, SECRET, algo_answer, scripted, time_answer,
        };
        let book_order = |status: &str| {
            LIMIT_ANSWER
                .replace("\"rmp-limit\"", "\"x-actual\"")
                .replace("22542179", "8886774")
                .replace("\"NEW\"", &format!("\"{status}\""))
                .replace("\"executedQty\": \"0\"", "\"executedQty\": \"0.004\"")
        };
        let venue = scripted::start(std::sync::Arc::new(move |method: &str, path: &str, _| {
            let triggered = algo_answer("rmp-stop", "STOP")
                .replace("\"NEW\"", "\"TRIGGERED\"")
                .replace("\"actualOrderId\": \"\"", "\"actualOrderId\": \"8886774\"");
            let refused = |code: i64, msg: &str| {
                (
                    400,
                    vec![],
                    format!(r#"{{"code": {code}, "msg": "{msg}"}}"#),
                )
            };
            match (method, path) {
                ("GET", "/fapi/v1/time") => time_answer(),
                ("GET", "/fapi/v1/algoOrder") => (200, vec![], triggered),
                ("DELETE", "/fapi/v1/algoOrder") => refused(-2011, "Unknown order sent."),
                ("GET", "/fapi/v1/order") => (200, vec![], book_order("PARTIALLY_FILLED")),
                ("DELETE", "/fapi/v1/order") => (200, vec![], book_order("CANCELED")),
                _ => refused(-1, "not scripted"),
            }
        }))
        .await;
        let client = RestClient::new(&venue.base, "k", SECRET).unwrap();
        client.sync_clock().await.unwrap();
        let binance = BinanceUsdm::new(client);

        // Looked up by orderId (not by the client id, which the book order does not carry).
        let algo = binance
            .client()
            .query_algo_order("rmp-stop")
            .await
            .unwrap()
            .unwrap();
        let state = binance.algo_state_now(algo).await.unwrap();
        assert_eq!(state.client_order_id, "rmp-stop");
        assert_eq!(state.status, OrderStatus::PartiallyFilled);
        assert_eq!(state.filled_qty, d("0.004"));
        let lookup = &venue.requests("GET", "/fapi/v1/order")[0].query;
        assert!(
            lookup.starts_with("symbol=BTCUSDT&orderId=8886774&"),
            "{lookup}"
        );

        // The Algo Service no longer cancels it: the order in the book is cancelled instead.
        let cancelled = binance.cancel_algo("BTCUSDT", "rmp-stop").await.unwrap();
        assert_eq!(cancelled.client_order_id, "rmp-stop");
        assert_eq!(cancelled.status, OrderStatus::Cancelled);
        assert_eq!(cancelled.filled_qty, d("0.004"));
        let cancel = &venue.requests("DELETE", "/fapi/v1/order")[0].query;
        assert!(
            cancel.starts_with("symbol=BTCUSDT&orderId=8886774&"),
            "{cancel}"
        );
    }

    /// The trait is usable as an object, and a venue with nothing cached and nothing reachable
    /// answers with a neutral error rather than a panic.
    #[tokio::test]
    async fn binance_is_a_dyn_venue() {
        let secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";
        let client = RestClient::new("http://127.0.0.1:9", "k", secret).unwrap();
        let venue: Box<dyn DynVenue> = Box::new(BinanceUsdm::new(client));
        assert_eq!(venue.venue(), VenueId::BinanceUsdm);
        let err = venue.balances().await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Config, "the clock was never measured");
        let err = venue.instruments(false).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Connectivity);
    }
}
