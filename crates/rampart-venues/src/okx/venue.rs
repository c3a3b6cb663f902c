//! [`Okx`]: the [`Venue`] the engine drives, over [`RestClient`] and the streams in
//! [`super::ws`]. Endpoints from the v5 documentation ("Trade", "Account", "Public Data",
//! "Market Data").

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rampart_core::Venue as VenueId;
use rampart_core::trading::{ContractKind, ProductCategory};
use rampart_core::{OrderType, TimeInForce};
use reqwest::Method;
use serde_json::{Value, json};

use super::convert::{self, margin_mode_text, position_side_text, side_text};
use super::error::{self, malformed, validation};
use super::limits;
use super::models;
use super::rest::{Call, PreparedOrder, RestClient};
use super::rules::{check_client_id, check_order, rules};
use crate::venue::{
    AccountUpdate, Balance, Candle, CandleInterval, ClientIdLookup, DeadMansScope,
    DeadMansSwitchInfo, Error, ErrorKind, FeeRates, Feed, InstrumentRules, KeyPermissions,
    Leverage, LeverageRequest, MarginMode, MarkPrice, MarketSubscription, MarketUpdate, OrderAck,
    OrderBook, OrderRequest, OrderState, OrderStatus, Position, PositionSide, Result, TriggerBy,
    Venue, VenueCapabilities,
};

/// The dead man's switch's documented range ("timeOut: 0 or 10-120 s").
pub const DMS_MIN: Duration = Duration::from_secs(10);
pub const DMS_MAX: Duration = Duration::from_secs(120);

/// OKX's request expiry: "the request will expire 30 seconds after the timestamp".
pub const REQUEST_VALIDITY: Duration = Duration::from_secs(30);

use crate::http::lock;

/// An OKX account.
pub struct Okx {
    client: Arc<RestClient>,
    instruments: Mutex<HashMap<String, Arc<InstrumentRules>>>,
    /// The margin mode set per symbol (OKX takes `tdMode` per order).
    margin_modes: Mutex<HashMap<String, MarginMode>>,
    /// The account's position mode from `GET /api/v5/account/config` (`posMode`): whether
    /// orders name `long`/`short` (hedge) or not (net). Read once, before the first order.
    hedge_mode: Mutex<Option<bool>>,
}

impl std::fmt::Debug for Okx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Okx")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

/// OKX's `bar` for an interval. 4H and shorter are aligned to UTC already; the day uses
/// `1Dutc` (plain `1D` opens at Hong Kong midnight).
pub fn bar(interval: CandleInterval) -> &'static str {
    match interval {
        CandleInterval::M1 => "1m",
        CandleInterval::M5 => "5m",
        CandleInterval::M15 => "15m",
        CandleInterval::H1 => "1H",
        CandleInterval::H4 => "4H",
        CandleInterval::D1 => "1Dutc",
    }
}

fn trigger_type(by: Option<TriggerBy>) -> &'static str {
    match by {
        None | Some(TriggerBy::Last) => "last",
        Some(TriggerBy::Mark) => "mark",
        Some(TriggerBy::Index) => "index",
    }
}

/// A price or size as the text OKX takes, written straight into the body.
fn text<T: std::fmt::Display, S: serde::Serializer>(
    value: &T,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// One order's body, typed: serialised once, field by field, into the request's text.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderBody<'a, P: std::fmt::Display, Q: std::fmt::Display> {
    inst_id: &'a str,
    td_mode: &'static str,
    side: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pos_side: Option<&'static str>,
    #[serde(serialize_with = "text")]
    sz: &'a Q,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    reduce_only: bool,
    ord_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    px: Option<Px<'a, P>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cl_ord_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sl_trigger_px: Option<Px<'a, P>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sl_ord_px: Option<Px<'a, P>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sl_trigger_px_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tp_trigger_px: Option<Px<'a, P>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tp_ord_px: Option<Px<'a, P>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tp_trigger_px_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    algo_cl_ord_id: Option<&'a str>,
}

/// A price field: a price, or OKX's "-1" (at market, for an algo order's order price).
enum Px<'a, P> {
    At(&'a P),
    Market,
}

impl<P: std::fmt::Display> serde::Serialize for Px<'_, P> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Px::At(p) => s.collect_str(p),
            Px::Market => s.serialize_str("-1"),
        }
    }
}

/// The body of `POST /api/v5/trade/order` (regular) or `/api/v5/trade/order-algo`
/// (stop and take-profit: `ordType` `conditional` with `slTriggerPx`/`tpTriggerPx`, order
/// price `-1` for market), as the JSON text sent.
pub fn order_body(order: &OrderRequest, mode: MarginMode) -> (&'static str, String) {
    let limit = order.price.as_ref().map(Px::At);
    let mut body = OrderBody {
        inst_id: &order.symbol,
        td_mode: margin_mode_text(mode),
        side: side_text(order.side),
        pos_side: (order.position_side != PositionSide::Net)
            .then(|| position_side_text(order.position_side)),
        sz: &order.qty,
        reduce_only: order.reduce_only,
        ord_type: "",
        px: None,
        cl_ord_id: None,
        sl_trigger_px: None,
        sl_ord_px: None,
        sl_trigger_px_type: None,
        tp_trigger_px: None,
        tp_ord_px: None,
        tp_trigger_px_type: None,
        algo_cl_ord_id: None,
    };
    let path = match order.order_type {
        OrderType::Market | OrderType::Limit => {
            body.ord_type = match (order.order_type, order.time_in_force) {
                (OrderType::Market, _) => "market",
                (_, None | Some(TimeInForce::Gtc)) => "limit",
                (_, Some(TimeInForce::Ioc)) => "ioc",
                (_, Some(TimeInForce::Fok)) => "fok",
                (_, Some(TimeInForce::PostOnly)) => "post_only",
            };
            body.px = limit;
            body.cl_ord_id = Some(&order.client_order_id);
            "/api/v5/trade/order"
        }
        OrderType::StopMarket
        | OrderType::StopLimit
        | OrderType::TakeProfitMarket
        | OrderType::TakeProfitLimit => {
            body.ord_type = "conditional";
            let trigger = order.trigger_price.as_ref().map(Px::At);
            let ord_px = Some(limit.unwrap_or(Px::Market));
            let px_type = Some(trigger_type(order.trigger_by));
            if matches!(
                order.order_type,
                OrderType::StopMarket | OrderType::StopLimit
            ) {
                (body.sl_trigger_px, body.sl_ord_px, body.sl_trigger_px_type) =
                    (trigger, ord_px, px_type);
            } else {
                (body.tp_trigger_px, body.tp_ord_px, body.tp_trigger_px_type) =
                    (trigger, ord_px, px_type);
            }
            body.algo_cl_ord_id = Some(&order.client_order_id);
            "/api/v5/trade/order-algo"
        }
    };
    // Serialising strings, `Display` text and booleans into a String cannot fail.
    let text = serde_json::to_string(&body).unwrap_or_default();
    (path, text)
}

fn is_code(e: &Error, codes: &[i64]) -> bool {
    e.venue_code
        .as_deref()
        .and_then(|c| c.parse::<i64>().ok())
        .is_some_and(|c| codes.contains(&c))
}

impl Okx {
    pub fn new(client: RestClient) -> Self {
        Self {
            client: Arc::new(client),
            instruments: Mutex::new(HashMap::new()),
            margin_modes: Mutex::new(HashMap::new()),
            hedge_mode: Mutex::new(None),
        }
    }

    /// `GET /api/v5/account/config`, remembering the position mode.
    async fn account_config(&self) -> Result<models::AccountConfig> {
        let mut rows: Vec<models::AccountConfig> = self
            .client
            .data(
                Call::private(
                    &Method::GET,
                    "/api/v5/account/config",
                    &limits::ACCOUNT_CONFIG,
                ),
                &[],
                None,
            )
            .await?;
        if rows.is_empty() {
            return Err(malformed("an account configuration answer without data"));
        }
        let config = rows.swap_remove(0);
        let hedge = match config.pos_mode.as_str() {
            "long_short_mode" => Some(true),
            "net_mode" => Some(false),
            _ => None,
        };
        if hedge.is_some() {
            *lock(&self.hedge_mode) = hedge;
        }
        Ok(config)
    }

    /// Refuses an order whose position side does not fit the account's position mode
    /// (OKX: `posSide` is required in long/short mode and only `net` in net mode).
    async fn check_position_mode(&self, order: &OrderRequest) -> Result<()> {
        let known = *lock(&self.hedge_mode);
        let hedge = match known {
            Some(h) => h,
            None => match self.account_config().await {
                Ok(_) => lock(&self.hedge_mode).unwrap_or(false),
                // Unknown: OKX itself refuses a mismatch.
                Err(e) if e.kind == ErrorKind::RateLimited => return Ok(()),
                Err(e) => return Err(e),
            },
        };
        match (hedge, order.position_side) {
            (true, PositionSide::Net) => Err(validation(
                "This OKX account is in long/short (hedge) mode: the order must say whether it                  opens or closes the long or the short position. Nothing was sent.",
            )),
            (false, PositionSide::Long | PositionSide::Short) => Err(validation(
                "This OKX account is in net mode, with one position per instrument: the order                  cannot name a long or short position. Nothing was sent.",
            )),
            _ => Ok(()),
        }
    }

    /// Everything `place_order` does before the first byte is written: the client id's
    /// form, the instrument's cached rules (fetched when the symbol is not cached), the
    /// checks, the account's position mode (read once), the order as OKX's JSON body (regular
    /// or algo), then [`RestClient::prepare_order`]: rate windows, venue-time timestamp,
    /// signature.
    pub async fn prepare_order<'a>(&'a self, order: &'a OrderRequest) -> Result<PreparedOrder<'a>> {
        check_client_id(&order.client_order_id)?;
        let rules = self.rules_of(&order.symbol).await?;
        check_order(order, &rules)?;
        self.check_position_mode(order).await?;
        let (path, body) = order_body(order, self.margin_mode_of(order));
        let mut call = if path == "/api/v5/trade/order" {
            Call::private(&Method::POST, path, &limits::PLACE_ORDER).on(&order.symbol)
        } else {
            Call::private(&Method::POST, path, &limits::PLACE_ALGO)
        };
        call.order = true;
        self.client.prepare_order(call, body).await
    }

    pub fn client(&self) -> &RestClient {
        &self.client
    }

    /// `GET /api/v5/public/instruments` for SWAP and FUTURES.
    async fn fetch_instruments(&self) -> Result<Vec<InstrumentRules>> {
        let mut all = Vec::new();
        for inst_type in ["SWAP", "FUTURES"] {
            let rows: Vec<models::Instrument> = self
                .client
                .data(
                    Call::public("/api/v5/public/instruments", &limits::INSTRUMENTS),
                    &[("instType", inst_type)],
                    None,
                )
                .await?;
            for row in &rows {
                all.push(rules(row)?);
            }
        }
        let mut cache = lock(&self.instruments);
        cache.clear();
        for r in &all {
            cache.insert(r.symbol.clone(), Arc::new(r.clone()));
        }
        Ok(all)
    }

    async fn rules_of(&self, symbol: &str) -> Result<Arc<InstrumentRules>> {
        if let Some(r) = lock(&self.instruments).get(symbol) {
            return Ok(r.clone());
        }
        self.fetch_instruments().await?;
        lock(&self.instruments).get(symbol).cloned().ok_or_else(|| {
            validation(format!(
                "OKX lists no SWAP or FUTURES instrument {symbol}; nothing was sent."
            ))
        })
    }

    fn margin_mode_of(&self, order: &OrderRequest) -> MarginMode {
        order
            .margin_mode
            .or_else(|| lock(&self.margin_modes).get(&order.symbol).copied())
            .unwrap_or(MarginMode::Cross)
    }

    /// The regular order `key` (`clOrdId` or `ordId`) names on `symbol`.
    async fn regular(&self, symbol: &str, key: &str, value: &str) -> Result<Option<OrderState>> {
        let call =
            Call::private(&Method::GET, "/api/v5/trade/order", &limits::GET_ORDER).on(symbol);
        match self
            .client
            .data::<models::Order>(call, &[("instId", symbol), (key, value)], None)
            .await
        {
            Ok(rows) => rows.first().map(convert::order).transpose(),
            Err(e) if is_code(&e, &[error::ORDER_NOT_FOUND]) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The conditional order `id` (its `algoClOrdId`) as it stands: while it waits, the algo
    /// order; once it has triggered, the order it placed, under the same client id (that
    /// order carries the fills and the state from then on). With the algo order's id.
    async fn conditional(&self, id: &str) -> Result<Option<(String, OrderState)>> {
        let call = Call::private(&Method::GET, "/api/v5/trade/order-algo", &limits::GET_ALGO);
        let rows = match self
            .client
            .data::<models::AlgoOrder>(call, &[("algoClOrdId", id)], None)
            .await
        {
            Ok(rows) => rows,
            Err(e) if is_code(&e, &[error::ORDER_NOT_FOUND]) => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(a) = rows.first() else {
            return Ok(None);
        };
        if convert::algo_placed(a)
            && let Some(mut placed) = self.regular(&a.inst_id, "ordId", &a.ord_id).await?
        {
            placed.client_order_id = a.algo_cl_ord_id.clone();
            return Ok(Some((a.algo_id.clone(), placed)));
        }
        Ok(Some((a.algo_id.clone(), convert::algo_order(a)?)))
    }

    /// Cancels the regular order `key` names; one already cancelled or done is no error.
    async fn cancel_regular(&self, symbol: &str, key: &str, value: &str) -> Result<()> {
        let call = Call::private(
            &Method::POST,
            "/api/v5/trade/cancel-order",
            &limits::CANCEL_ORDER,
        )
        .on(symbol);
        let body = json!({"instId": symbol, key: value});
        match self
            .client
            .data::<models::OrderResult>(call, &[], Some(&body))
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if is_code(
                    &e,
                    &[error::CANCEL_ALREADY_CANCELLED, error::CANCEL_ALREADY_DONE],
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    async fn cancel_algos(&self, orders: &[(String, String)]) -> Result<()> {
        // "Cancel algo order": at most 10 orders per request.
        for chunk in orders.chunks(10) {
            let body: Vec<Value> = chunk
                .iter()
                .map(|(inst, id)| json!({"instId": inst, "algoId": id}))
                .collect();
            let call = Call::private(
                &Method::POST,
                "/api/v5/trade/cancel-algos",
                &limits::CANCEL_ALGOS,
            );
            self.client
                .data::<models::OrderResult>(call, &[], Some(&Value::Array(body)))
                .await?;
        }
        Ok(())
    }

    /// Pages through `path` (newest first, 100 a page) with `after` = the last id.
    async fn pending<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        limit: &limits::Limit,
        base: &[(&str, &str)],
        id_of: impl Fn(&T) -> String,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        let mut after = String::new();
        // Bounded: 50 pages of 100.
        for _ in 0..50 {
            let mut query: Vec<(&str, &str)> = base.to_vec();
            query.push(("limit", "100"));
            if !after.is_empty() {
                query.push(("after", &after));
            }
            let call = Call::private(&Method::GET, path, limit);
            let page: Vec<T> = self.client.data(call, &query, None).await?;
            let full = page.len() == 100;
            let last = page.last().map(&id_of);
            out.extend(page);
            match last {
                Some(id) if full => after = id,
                _ => break,
            }
        }
        Ok(out)
    }
}

impl Venue for Okx {
    fn venue(&self) -> VenueId {
        VenueId::Okx
    }

    fn capabilities(&self) -> VenueCapabilities {
        VenueCapabilities {
            categories: vec![ProductCategory::Linear, ProductCategory::Inverse],
            dead_mans_switch: Some(DeadMansSwitchInfo {
                scope: DeadMansScope::Account,
                min_countdown_ms: 10_000,
                max_countdown_ms: 120_000,
                note: None,
            }),
            split_leverage: false,
            hedge_mode: true,
            margin_mode_per_order: true,
            unique_client_ids: true,
        }
    }

    fn venue_time_ms(&self) -> Option<i64> {
        self.client.venue_now()
    }

    fn request_validity(&self) -> Duration {
        REQUEST_VALIDITY
    }

    async fn sync_clock(&self) -> Result<i64> {
        self.client.sync_clock().await
    }

    async fn instruments(&self, refresh: bool) -> Result<Vec<InstrumentRules>> {
        if !refresh {
            let cache = lock(&self.instruments);
            if !cache.is_empty() {
                return Ok(cache.values().map(|r| InstrumentRules::clone(r)).collect());
            }
        }
        self.fetch_instruments().await
    }

    /// [`Okx::prepare_order`], then the prepared request sent once
    /// ([`RestClient::send_order`]).
    async fn place_order(&self, order: &OrderRequest) -> Result<OrderAck> {
        let prepared = self.prepare_order(order).await?;
        let regular = prepared.path() == "/api/v5/trade/order";
        let answer = self.client.send_order(prepared).await?;
        let rows: Vec<models::OrderResult> = convert::envelope(&answer)?.data;
        let row = rows
            .first()
            .ok_or_else(|| malformed("an order answer without data"))?;
        let venue_order_id = if regular { &row.ord_id } else { &row.algo_id };
        if venue_order_id.is_empty() {
            return Err(Error {
                outcome_unknown: true,
                ..malformed("an order answer without an order id")
            });
        }
        Ok(OrderAck {
            venue_order_id: venue_order_id.clone(),
            client_order_id: order.client_order_id.clone(),
            status: OrderStatus::Open,
            filled_qty: rust_decimal::Decimal::ZERO,
            avg_fill_price: None,
        })
    }

    async fn order_by_client_id(&self, symbol: &str, id: &str) -> Result<ClientIdLookup> {
        check_client_id(id)?;
        if let Some(o) = self.regular(symbol, "clOrdId", id).await? {
            return Ok(ClientIdLookup::Found(o));
        }
        Ok(match self.conditional(id).await? {
            Some((_, o)) => ClientIdLookup::Found(o),
            None => ClientIdLookup::NotFound,
        })
    }

    async fn cancel_by_client_id(&self, symbol: &str, id: &str) -> Result<OrderState> {
        check_client_id(id)?;
        match self.cancel_regular(symbol, "clOrdId", id).await {
            Ok(()) => {
                return self
                    .regular(symbol, "clOrdId", id)
                    .await?
                    .ok_or_else(|| malformed("the cancelled order could not be read back"));
            }
            Err(e) if is_code(&e, &[error::CANCEL_NOT_FOUND, error::ORDER_NOT_FOUND]) => {
                // Not a regular order: a conditional one, waiting or triggered?
                let Some((algo_id, state)) = self.conditional(id).await? else {
                    return Err(e);
                };
                if !state.status.is_open() {
                    return Ok(state);
                }
                if state.venue_order_id == algo_id {
                    self.cancel_algos(&[(symbol.to_owned(), algo_id)]).await?;
                } else {
                    self.cancel_regular(symbol, "ordId", &state.venue_order_id)
                        .await?;
                }
                Ok(self
                    .conditional(id)
                    .await?
                    .map_or(state, |(_, after)| after))
            }
            Err(e) => Err(e),
        }
    }

    async fn cancel_all(&self, symbol: Option<&str>) -> Result<()> {
        let open = self.open_orders(symbol).await?;
        let mut algos = Vec::new();
        let mut by_inst: HashMap<String, Vec<String>> = HashMap::new();
        for o in open {
            let trigger = o.order_type.is_some_and(|t| t.has_trigger_price());
            if trigger {
                algos.push((o.symbol, o.venue_order_id));
            } else {
                by_inst.entry(o.symbol).or_default().push(o.venue_order_id);
            }
        }
        let mut failed = Vec::new();
        for (inst, ids) in by_inst {
            // "Cancel multiple orders": at most 20 per request.
            for chunk in ids.chunks(20) {
                let body: Vec<Value> = chunk
                    .iter()
                    .map(|id| json!({"instId": inst, "ordId": id}))
                    .collect();
                let mut call = Call::private(
                    &Method::POST,
                    "/api/v5/trade/cancel-batch-orders",
                    &limits::CANCEL_BATCH,
                )
                .on(&inst);
                call.cost = chunk.len();
                match self
                    .client
                    .data::<models::OrderResult>(call, &[], Some(&Value::Array(body)))
                    .await
                {
                    Ok(rows) => failed.extend(rows.into_iter().filter(|r| {
                        // Already cancelled or completed: nothing left to cancel.
                        let code = r.s_code.parse::<i64>().unwrap_or(0);
                        !matches!(
                            code,
                            0 | error::CANCEL_ALREADY_CANCELLED | error::CANCEL_ALREADY_DONE
                        )
                    })),
                    Err(e) => return Err(e),
                }
            }
        }
        self.cancel_algos(&algos).await?;
        match failed.first() {
            None => Ok(()),
            Some(r) => {
                let code = r.s_code.parse().unwrap_or(error::OPERATION_FAILED);
                Err(Error {
                    message: format!(
                        "{} order(s) could not be cancelled; the first: {}",
                        failed.len(),
                        error::trader_message(code, &r.s_msg)
                    ),
                    ..error::rejected(code, &r.s_msg)
                })
            }
        }
    }

    async fn open_orders(&self, symbol: Option<&str>) -> Result<Vec<OrderState>> {
        // One symbol, or every SWAP and FUTURES order (never the account's spot or margin
        // orders, which Rampart does not trade).
        let scopes: Vec<(&str, &str)> = match symbol {
            Some(s) => vec![("instId", s)],
            None => vec![("instType", "SWAP"), ("instType", "FUTURES")],
        };
        let mut out = Vec::new();
        for scope in scopes {
            let regular: Vec<models::Order> = self
                .pending(
                    "/api/v5/trade/orders-pending",
                    &limits::PENDING_ORDERS,
                    &[scope],
                    |o: &models::Order| o.ord_id.clone(),
                )
                .await?;
            let algos: Vec<models::AlgoOrder> = self
                .pending(
                    "/api/v5/trade/orders-algo-pending",
                    &limits::PENDING_ALGOS,
                    &[scope, ("ordType", "conditional")],
                    |o: &models::AlgoOrder| o.algo_id.clone(),
                )
                .await?;
            for o in &regular {
                out.push(convert::order(o)?);
            }
            for a in &algos {
                out.push(convert::algo_order(a)?);
            }
        }
        Ok(out)
    }

    async fn balances(&self) -> Result<Vec<Balance>> {
        let rows: Vec<models::AccountBalance> = self
            .client
            .data(
                Call::private(&Method::GET, "/api/v5/account/balance", &limits::BALANCE),
                &[],
                None,
            )
            .await?;
        convert::balances(&rows)
    }

    async fn positions(&self, symbol: Option<&str>) -> Result<Vec<Position>> {
        let mut query = Vec::new();
        if let Some(s) = symbol {
            query.push(("instId", s));
        }
        let rows: Vec<models::Position> = self
            .client
            .data(
                Call::private(
                    &Method::GET,
                    "/api/v5/account/positions",
                    &limits::POSITIONS,
                ),
                &query,
                None,
            )
            .await?;
        let all = rows
            .iter()
            .filter(|p| matches!(p.inst_type.as_str(), "" | "SWAP" | "FUTURES"))
            .map(convert::position)
            .collect::<Result<Vec<_>>>()?;
        Ok(all.into_iter().filter(|p| !p.qty.is_zero()).collect())
    }

    async fn mark_price(&self, symbol: &str) -> Result<MarkPrice> {
        let rules = self.rules_of(symbol).await?;
        let inst_type = match rules.kind {
            ContractKind::Perpetual => "SWAP",
            ContractKind::Dated => "FUTURES",
        };
        let rows: Vec<models::MarkPx> = self
            .client
            .data(
                Call::public("/api/v5/public/mark-price", &limits::MARK_PRICE),
                &[("instType", inst_type), ("instId", symbol)],
                None,
            )
            .await?;
        let row = rows
            .first()
            .ok_or_else(|| malformed("a mark price answer without data"))?;
        let (funding_rate, next_funding_ms) = if rules.kind == ContractKind::Perpetual {
            let f: Vec<models::FundingRate> = self
                .client
                .data(
                    Call::public("/api/v5/public/funding-rate", &limits::FUNDING_RATE),
                    &[("instId", symbol)],
                    None,
                )
                .await?;
            match f.first() {
                Some(f) => (
                    convert::opt_dec("fundingRate", &f.funding_rate)?,
                    match f.funding_time.trim() {
                        "" => None,
                        t => Some(convert::ms("fundingTime", t)?),
                    },
                ),
                None => (None, None),
            }
        } else {
            (None, None)
        };
        // The index of the instrument's family (`BTC-USDT`, `BTC-USD`).
        let family = format!("{}-{}", rules.base_asset, rules.quote_asset);
        let index: Vec<models::IndexTicker> = self
            .client
            .data(
                Call::public("/api/v5/market/index-tickers", &limits::INDEX_TICKERS),
                &[("instId", &family)],
                None,
            )
            .await?;
        let index = match index.first() {
            Some(i) => convert::opt_dec("idxPx", &i.idx_px)?,
            None => None,
        };
        Ok(MarkPrice {
            symbol: row.inst_id.clone(),
            mark: convert::dec("markPx", &row.mark_px)?,
            index,
            funding_rate,
            next_funding_ms,
            mark_iv: None,
            time_ms: convert::ms("ts", &row.ts)?,
        })
    }

    async fn fee_rates(&self, symbol: &str) -> Result<FeeRates> {
        let rules = self.rules_of(symbol).await?;
        let inst_type = match rules.kind {
            ContractKind::Perpetual => "SWAP",
            ContractKind::Dated => "FUTURES",
        };
        let family = format!("{}-{}", rules.base_asset, rules.quote_asset);
        let rows: Vec<models::TradeFee> = self
            .client
            .data(
                Call::private(
                    &Method::GET,
                    "/api/v5/account/trade-fee",
                    &limits::TRADE_FEE,
                ),
                &[("instType", inst_type), ("instFamily", &family)],
                None,
            )
            .await?;
        let row = rows
            .first()
            .ok_or_else(|| malformed("a fee answer without data"))?;
        convert::fee_rates(symbol, &rules.settle_asset, row)
    }

    async fn order_book(&self, symbol: &str, depth: u32) -> Result<OrderBook> {
        // "sz: Order book depth per side. Maximum 400".
        let sz = depth.clamp(1, 400).to_string();
        let rows: Vec<models::Book> = self
            .client
            .data(
                Call::public("/api/v5/market/books", &limits::BOOKS),
                &[("instId", symbol), ("sz", &sz)],
                None,
            )
            .await?;
        let row = rows
            .first()
            .ok_or_else(|| malformed("an order book answer without data"))?;
        convert::book(symbol, row)
    }

    async fn set_leverage(&self, request: &LeverageRequest) -> Result<Leverage> {
        if request.leverage.buy != request.leverage.sell {
            return Err(validation(
                "OKX keeps one leverage per symbol and margin mode: give the same value for \
                 buying and selling.",
            ));
        }
        let mode = request
            .margin_mode
            .or_else(|| lock(&self.margin_modes).get(&request.symbol).copied())
            .unwrap_or(MarginMode::Cross);
        let body = json!({
            "instId": request.symbol,
            "lever": request.leverage.buy.normalize().to_string(),
            "mgnMode": margin_mode_text(mode),
        });
        let rows: Vec<models::SetLeverage> = self
            .client
            .data(
                Call::private(
                    &Method::POST,
                    "/api/v5/account/set-leverage",
                    &limits::SET_LEVERAGE,
                ),
                &[],
                Some(&body),
            )
            .await?;
        let row = rows
            .first()
            .ok_or_else(|| malformed("a leverage answer without data"))?;
        Ok(Leverage::both(convert::dec("lever", &row.lever)?))
    }

    async fn set_margin_mode(&self, symbol: &str, mode: MarginMode) -> Result<()> {
        // OKX takes the margin mode with every order (`tdMode`): record it for this symbol.
        lock(&self.margin_modes).insert(symbol.to_owned(), mode);
        Ok(())
    }

    async fn dead_mans_switch(&self, scope: &DeadMansScope, countdown: Duration) -> Result<()> {
        if *scope != DeadMansScope::Account {
            return Err(validation(
                "OKX's dead man's switch covers every open order of the account (or \
                 sub-account), not one symbol or one connection.",
            ));
        }
        let secs = countdown.as_secs();
        let whole = countdown.subsec_nanos() == 0;
        if !countdown.is_zero() && (!whole || countdown < DMS_MIN || countdown > DMS_MAX) {
            return Err(validation(format!(
                "OKX's dead man's switch takes a countdown of 10 to 120 whole seconds (or 0 to \
                 turn it off), not {:.3} s.",
                countdown.as_secs_f64()
            )));
        }
        let body = json!({"timeOut": secs.to_string()});
        let rows: Vec<models::CancelAllAfter> = self
            .client
            .data(
                Call::private(
                    &Method::POST,
                    "/api/v5/trade/cancel-all-after",
                    &limits::CANCEL_ALL_AFTER,
                ),
                &[],
                Some(&body),
            )
            .await?;
        if rows.is_empty() {
            return Err(malformed("a cancel-all-after answer without data"));
        }
        Ok(())
    }

    async fn key_permissions(&self) -> Result<Option<KeyPermissions>> {
        let config = self.account_config().await?;
        Ok(Some(key_permissions(&config)))
    }

    async fn candles(
        &self,
        symbol: &str,
        interval: CandleInterval,
        limit: u32,
    ) -> Result<Vec<Candle>> {
        // "limit: The maximum is 300".
        let limit = limit.clamp(1, 300).to_string();
        let rows: Vec<Vec<String>> = self
            .client
            .data(
                Call::public("/api/v5/market/candles", &limits::CANDLES),
                &[
                    ("instId", symbol),
                    ("bar", bar(interval)),
                    ("limit", &limit),
                ],
                None,
            )
            .await?;
        convert::candles(&rows)
    }

    async fn account_feed(&self) -> Result<Feed<AccountUpdate>> {
        super::ws::account_feed(self.client.clone())
    }

    async fn market_feed(
        &self,
        symbol: &str,
        subscription: MarketSubscription,
    ) -> Result<Feed<MarketUpdate>> {
        super::ws::market_feed(self.client.clone(), symbol, subscription)
    }
}

/// `perm` ("read_only", "trade", "withdraw", comma-separated) and `ip` ("" when none is
/// bound) of `GET /api/v5/account/config`. OKX reports no transfer right apart from these:
/// moving funds between one's own accounts needs the Trade permission
/// (`POST /api/v5/asset/transfer`), so it follows `trade`.
pub fn key_permissions(c: &models::AccountConfig) -> KeyPermissions {
    let perms: Vec<&str> = c.perm.split(',').map(str::trim).collect();
    let trade = perms.contains(&"trade");
    KeyPermissions {
        can_read: true,
        can_trade: trade,
        can_withdraw: perms.contains(&"withdraw"),
        can_transfer: trade,
        ip_restricted: !c.ip.trim().is_empty(),
        created_ms: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::Side;

    fn req(order_type: OrderType) -> OrderRequest {
        OrderRequest {
            symbol: "BTC-USDT-SWAP".into(),
            client_order_id: "rmpAbc".into(),
            side: Side::Sell,
            order_type,
            qty: "2".parse().unwrap(),
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
    fn a_post_only_limit_order_body() {
        let mut o = req(OrderType::Limit);
        o.price = Some("30000.5".parse().unwrap());
        o.time_in_force = Some(TimeInForce::PostOnly);
        o.position_side = PositionSide::Short;
        let (path, body) = order_body(&o, MarginMode::Isolated);
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(path, "/api/v5/trade/order");
        assert_eq!(
            body,
            json!({"instId":"BTC-USDT-SWAP","tdMode":"isolated","side":"sell","posSide":"short",
                   "sz":"2","reduceOnly":true,"ordType":"post_only","px":"30000.5",
                   "clOrdId":"rmpAbc"})
        );
    }

    #[test]
    fn a_stop_market_goes_to_the_algo_endpoint_at_market() {
        let mut o = req(OrderType::StopMarket);
        o.trigger_price = Some("29000".parse().unwrap());
        let (path, body) = order_body(&o, MarginMode::Cross);
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(path, "/api/v5/trade/order-algo");
        assert_eq!(body["ordType"], "conditional");
        assert_eq!(body["slTriggerPx"], "29000");
        assert_eq!(body["slOrdPx"], "-1");
        assert_eq!(body["slTriggerPxType"], "mark");
        assert_eq!(body["algoClOrdId"], "rmpAbc");
        assert!(body.get("clOrdId").is_none());
        assert!(body.get("posSide").is_none(), "net mode sends no posSide");
    }

    #[test]
    fn key_permissions_from_account_config() {
        let c: models::AccountConfig = serde_json::from_str(
            r#"{"acctLv":"2","perm":"read_only,withdraw,trade","ip":"1.2.3.4","label":"rampart","posMode":"net_mode","uid":"44705892343619584"}"#,
        )
        .unwrap();
        let k = key_permissions(&c);
        assert!(k.can_trade && k.can_withdraw && k.ip_restricted);
        let c: models::AccountConfig =
            serde_json::from_str(r#"{"perm":"read_only","ip":""}"#).unwrap();
        let k = key_permissions(&c);
        assert!(k.can_read && !k.can_trade && !k.can_withdraw && !k.ip_restricted);
    }

    #[test]
    fn candle_bars_are_utc_aligned() {
        assert_eq!(bar(CandleInterval::D1), "1Dutc");
        assert_eq!(bar(CandleInterval::H1), "1H");
    }
}
