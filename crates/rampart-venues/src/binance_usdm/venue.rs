//! Binance USDⓈ-M behind the venue-neutral [`Venue`] trait: a [`RestClient`] plus the symbols'
//! exchangeInfo rules, cached and refreshed on demand (and when a symbol is not in the cache).

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use rampart_core::{OrderType, Venue as VenueId};
use rust_decimal::Decimal;

use super::error::VenueError;
use super::filters::SymbolFilters;
use super::order::OrderRequest as BinanceOrder;
use super::rest::RestClient;
use super::types::{self, Order, PositionRiskV2, PremiumIndex, WireOrderType, WorkingType};
use crate::venue::{
    Balance, BookLevel, Error, ErrorKind, InstrumentRules, MarkPrice, OrderAck, OrderBook,
    OrderRequest, OrderState, OrderStatus, Position, Result, TriggerBy, Venue,
};

/// The order-book sizes `GET /fapi/v1/depth` accepts.
const DEPTH_LIMITS: [u32; 7] = [5, 10, 20, 50, 100, 500, 1000];

/// One Binance USDⓈ-M account, venue-neutral.
#[derive(Debug)]
pub struct BinanceUsdm {
    client: RestClient,
    instruments: RwLock<HashMap<String, SymbolFilters>>,
}

impl BinanceUsdm {
    pub fn new(client: RestClient) -> Self {
        Self {
            client,
            instruments: RwLock::new(HashMap::new()),
        }
    }

    /// The Binance-specific client, for what the neutral trait does not cover.
    pub fn client(&self) -> &RestClient {
        &self.client
    }

    /// Fetches exchangeInfo and replaces the cache.
    async fn refresh(&self) -> std::result::Result<Vec<SymbolFilters>, VenueError> {
        let all = self.client.exchange_info().await?;
        let mut cache = self.instruments.write().unwrap_or_else(|p| p.into_inner());
        *cache = all.iter().map(|f| (f.symbol.clone(), f.clone())).collect();
        Ok(all)
    }

    /// The rules of `symbol`, fetching exchangeInfo when it is not cached.
    async fn filters_for(&self, symbol: &str) -> std::result::Result<SymbolFilters, VenueError> {
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

/// A Binance error in neutral terms, keeping Binance's code and message.
pub fn neutral_error(e: VenueError) -> Error {
    let kind = match &e {
        VenueError::Connectivity(_) => ErrorKind::Connectivity,
        VenueError::Rejected { .. } => ErrorKind::Rejected,
        VenueError::Validation(_) | VenueError::InvalidRequest(_) => ErrorKind::Validation,
        VenueError::RateLimited { .. } | VenueError::Banned { .. } | VenueError::Held { .. } => {
            ErrorKind::RateLimited
        }
        VenueError::VenueFailure { .. } => ErrorKind::VenueFailure,
        VenueError::Malformed(_) => ErrorKind::Malformed,
        VenueError::InsecureUrl(_)
        | VenueError::Config(_)
        | VenueError::Signer(_)
        | VenueError::ClockUnknown => ErrorKind::Config,
    };
    let (venue_code, venue_message) = match &e {
        VenueError::Rejected { code, msg, .. } => (Some(code.to_string()), Some(msg.clone())),
        VenueError::VenueFailure { body, .. } => (None, Some(body.clone())),
        _ => (None, None),
    };
    Error {
        venue: VenueId::BinanceUsdm,
        kind,
        venue_code,
        venue_message,
        message: e.trader_message(),
        outcome_unknown: e.outcome_unknown(),
        not_sent: e.not_sent(),
    }
}

fn status(s: types::OrderStatus) -> OrderStatus {
    match s {
        types::OrderStatus::New => OrderStatus::Open,
        types::OrderStatus::PartiallyFilled => OrderStatus::PartiallyFilled,
        types::OrderStatus::Filled => OrderStatus::Filled,
        types::OrderStatus::Canceled => OrderStatus::Cancelled,
        types::OrderStatus::Expired | types::OrderStatus::ExpiredInMatch => OrderStatus::Expired,
    }
}

fn order_type(t: WireOrderType) -> Option<OrderType> {
    match t {
        WireOrderType::Market => Some(OrderType::Market),
        WireOrderType::Limit => Some(OrderType::Limit),
        WireOrderType::Stop => Some(OrderType::StopLimit),
        WireOrderType::StopMarket => Some(OrderType::StopMarket),
        WireOrderType::TakeProfit => Some(OrderType::TakeProfitLimit),
        WireOrderType::TakeProfitMarket => Some(OrderType::TakeProfitMarket),
        WireOrderType::TrailingStopMarket | WireOrderType::Other => None,
    }
}

/// `"0"` means "none" in Binance's order answers.
fn non_zero(d: Option<Decimal>) -> Option<Decimal> {
    d.filter(|d| !d.is_zero())
}

/// A Binance order answer in neutral terms.
pub fn order_state(o: Order) -> OrderState {
    OrderState {
        venue_order_id: o.order_id.to_string(),
        order_type: order_type(o.orig_type.unwrap_or(o.order_type)),
        status: status(o.status),
        qty: o.orig_qty,
        filled_qty: o.executed_qty,
        price: non_zero(Some(o.price)),
        trigger_price: non_zero(o.stop_price),
        avg_fill_price: non_zero(o.avg_price),
        reduce_only: o.reduce_only,
        updated_ms: o.update_time,
        side: o.side,
        symbol: o.symbol,
        client_order_id: o.client_order_id,
    }
}

/// A symbol's exchangeInfo filters in neutral terms (sizes are in the base asset).
pub fn instrument_rules(f: &SymbolFilters) -> InstrumentRules {
    InstrumentRules {
        symbol: f.symbol.clone(),
        trading: f.trading,
        tick_size: f.price.step,
        min_price: f.price.min,
        max_price: f.price.max,
        step_size: f.lot.step,
        min_qty: f.lot.min,
        max_qty: f.lot.max,
        max_market_qty: f.market_lot.max,
        min_notional: f.min_notional,
        contract_size: None,
    }
}

/// A Position Information V2 row in neutral terms; `None` when flat.
pub fn position(p: PositionRiskV2) -> Option<Position> {
    if p.position_amt.is_zero() {
        return None;
    }
    Some(Position {
        qty: p.position_amt,
        entry_price: p.entry_price,
        mark_price: p.mark_price,
        unrealized_pnl: p.un_realized_profit,
        leverage: Some(p.leverage),
        liquidation_price: non_zero(Some(p.liquidation_price)),
        symbol: p.symbol,
    })
}

/// A premiumIndex answer in neutral terms.
pub fn mark_price(p: PremiumIndex) -> MarkPrice {
    MarkPrice {
        mark: p.mark_price,
        index: Some(p.index_price),
        funding_rate: p.last_funding_rate,
        next_funding_ms: (p.next_funding_time > 0).then_some(p.next_funding_time),
        time_ms: p.time,
        symbol: p.symbol,
    }
}

/// A neutral order as Binance's typed request.
pub fn binance_order(o: &OrderRequest) -> BinanceOrder {
    BinanceOrder {
        symbol: o.symbol.clone(),
        side: o.side,
        order_type: o.order_type,
        quantity: o.qty,
        price: o.price,
        stop_price: o.trigger_price,
        time_in_force: o.time_in_force,
        reduce_only: o.reduce_only,
        working_type: o.trigger_by.map(|t| match t {
            TriggerBy::Mark => WorkingType::MarkPrice,
            TriggerBy::Last => WorkingType::ContractPrice,
        }),
        client_order_id: o.client_order_id.clone(),
    }
}

/// The smallest depth Binance serves that holds `depth` levels (1000 at most).
fn depth_limit(depth: u32) -> u32 {
    DEPTH_LIMITS
        .into_iter()
        .find(|&l| l >= depth)
        .unwrap_or(1000)
}

impl Venue for BinanceUsdm {
    fn venue(&self) -> VenueId {
        VenueId::BinanceUsdm
    }

    async fn sync_clock(&self) -> Result<i64> {
        self.client.sync_clock().await.map_err(neutral_error)
    }

    async fn instruments(&self, refresh: bool) -> Result<Vec<InstrumentRules>> {
        let cached: Vec<SymbolFilters> = self
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
        let mut rules: Vec<InstrumentRules> = all.iter().map(instrument_rules).collect();
        rules.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        Ok(rules)
    }

    async fn place_order(&self, order: &OrderRequest) -> Result<OrderAck> {
        let request = binance_order(order);
        request.check_shape().map_err(neutral_error)?;
        let filters = self
            .filters_for(&order.symbol)
            .await
            .map_err(neutral_error)?;
        let mark = match order.reference_price {
            Some(p) => Some(p.get()),
            None => Some(
                self.client
                    .mark_price(&order.symbol)
                    .await
                    .map_err(neutral_error)?
                    .mark_price,
            ),
        };
        let answer = self
            .client
            .place_order(&request, &filters, mark)
            .await
            .map_err(neutral_error)?;
        Ok(OrderAck::from(&order_state(answer)))
    }

    async fn order_by_client_id(
        &self,
        symbol: &str,
        client_order_id: &str,
    ) -> Result<Option<OrderState>> {
        Ok(self
            .client
            .query_order(symbol, client_order_id)
            .await
            .map_err(neutral_error)?
            .map(order_state))
    }

    async fn cancel_by_client_id(&self, symbol: &str, client_order_id: &str) -> Result<OrderState> {
        self.client
            .cancel_order(symbol, client_order_id)
            .await
            .map(order_state)
            .map_err(neutral_error)
    }

    async fn cancel_all(&self, symbol: &str) -> Result<()> {
        self.client
            .cancel_all_open_orders(symbol)
            .await
            .map_err(neutral_error)
    }

    async fn open_orders(&self, symbol: Option<&str>) -> Result<Vec<OrderState>> {
        Ok(self
            .client
            .list_open_orders(symbol)
            .await
            .map_err(neutral_error)?
            .into_iter()
            .map(order_state)
            .collect())
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

    async fn order_book(&self, symbol: &str, depth: u32) -> Result<OrderBook> {
        let book = self
            .client
            .order_book(symbol, depth_limit(depth))
            .await
            .map_err(neutral_error)?;
        let level = |l: &types::Level| BookLevel {
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

    async fn set_leverage(&self, symbol: &str, leverage: u32) -> Result<u32> {
        self.client
            .set_leverage(symbol, leverage)
            .await
            .map(|l| l.leverage)
            .map_err(neutral_error)
    }

    async fn dead_mans_switch(&self, symbol: &str, countdown: Duration) -> Result<()> {
        let ms = u64::try_from(countdown.as_millis()).unwrap_or(u64::MAX);
        self.client
            .countdown_cancel_all(symbol, ms)
            .await
            .map(|_| ())
            .map_err(neutral_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venue::DynVenue;
    use rampart_core::{Price, Side};
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn binance_orders_map_to_neutral_states() {
        // Query Order answer (documented shape) for a stop-limit that partly filled.
        let json = r#"{"avgPrice": "60010.5", "clientOrderId": "rmp-1", "cumQuote": "600.105",
            "executedQty": "0.010", "orderId": 1917641, "origQty": "0.040", "origType": "STOP",
            "price": "60020", "reduceOnly": true, "side": "SELL", "positionSide": "BOTH",
            "status": "PARTIALLY_FILLED", "stopPrice": "60000", "closePosition": false,
            "symbol": "BTCUSDT", "time": 1579276756075, "timeInForce": "GTC", "type": "LIMIT",
            "updateTime": 1579276756080, "workingType": "MARK_PRICE", "priceProtect": false}"#;
        let state = order_state(serde_json::from_str(json).unwrap());
        assert_eq!(state.venue_order_id, "1917641");
        assert_eq!(
            state.order_type,
            Some(OrderType::StopLimit),
            "origType wins"
        );
        assert_eq!(state.status, OrderStatus::PartiallyFilled);
        assert_eq!(state.side, Side::Sell);
        assert_eq!((state.qty, state.filled_qty), (d("0.040"), d("0.010")));
        assert_eq!(state.price, Some(d("60020")));
        assert_eq!(state.trigger_price, Some(d("60000")));
        assert_eq!(state.avg_fill_price, Some(d("60010.5")));
        let ack = OrderAck::from(&state);
        assert_eq!(ack.client_order_id, "rmp-1");
        for (wire, neutral) in [
            (types::OrderStatus::New, OrderStatus::Open),
            (types::OrderStatus::Filled, OrderStatus::Filled),
            (types::OrderStatus::Canceled, OrderStatus::Cancelled),
            (types::OrderStatus::Expired, OrderStatus::Expired),
            (types::OrderStatus::ExpiredInMatch, OrderStatus::Expired),
        ] {
            assert_eq!(status(wire), neutral);
        }
        // A market order that has not filled: "0" prices are "none".
        let json = json
            .replace("\"60010.5\"", "\"0.00000\"")
            .replace("\"60020\"", "\"0\"")
            .replace("\"60000\"", "\"0\"");
        let state = order_state(serde_json::from_str(&json).unwrap());
        assert_eq!(
            (state.price, state.trigger_price, state.avg_fill_price),
            (None, None, None)
        );
    }

    #[test]
    fn positions_marks_and_rules_map_to_neutral_types() {
        let rows: Vec<PositionRiskV2> = serde_json::from_str(
            r#"[{"symbol": "BTCUSDT", "positionAmt": "-0.001", "entryPrice": "22185.2",
            "breakEvenPrice": "0.0", "markPrice": "21123.05052574",
            "unRealizedProfit": "1.06214947", "liquidationPrice": "19731.45529116",
            "leverage": "4", "maxNotionalValue": "100000000", "marginType": "cross",
            "isolatedMargin": "0.00000000", "isAutoAddMargin": "false", "positionSide": "BOTH",
            "notional": "-21.12305052", "isolatedWallet": "0", "updateTime": 1655217461579},
            {"symbol": "ETHUSDT", "positionAmt": "0.000", "entryPrice": "0.0",
            "breakEvenPrice": "0.0", "markPrice": "1500", "unRealizedProfit": "0.00000000",
            "liquidationPrice": "0", "leverage": "20", "maxNotionalValue": "100000000",
            "marginType": "cross", "isolatedMargin": "0.00000000", "isAutoAddMargin": "false",
            "positionSide": "BOTH", "notional": "0", "isolatedWallet": "0", "updateTime": 0}]"#,
        )
        .unwrap();
        let open: Vec<Position> = rows.into_iter().filter_map(position).collect();
        assert_eq!(open.len(), 1, "flat rows are dropped");
        assert_eq!(open[0].qty, d("-0.001"));
        assert_eq!(open[0].leverage, Some(d("4")));
        assert_eq!(open[0].liquidation_price, Some(d("19731.45529116")));

        let mark = mark_price(
            serde_json::from_str(
                r#"{"symbol": "BTCUSDT", "markPrice": "11793.63104562",
                "indexPrice": "11781.80495970", "estimatedSettlePrice": "11781.16138815",
                "lastFundingRate": "0.00038246", "nextFundingTime": 1597392000000,
                "interestRate": "0.00010000", "time": 1597370495002}"#,
            )
            .unwrap(),
        );
        assert_eq!(mark.mark, d("11793.63104562"));
        assert_eq!(mark.next_funding_ms, Some(1597392000000));

        let filters = SymbolFilters::parse_exchange_info(
            br#"{"symbols":[{"symbol":"BTCUSDT","status":"TRADING","filters":[
            {"filterType":"PRICE_FILTER","minPrice":"261.10","maxPrice":"809484","tickSize":"0.10"},
            {"filterType":"LOT_SIZE","minQty":"0.001","maxQty":"1000","stepSize":"0.001"},
            {"filterType":"MARKET_LOT_SIZE","minQty":"0.001","maxQty":"120","stepSize":"0.001"},
            {"filterType":"MIN_NOTIONAL","notional":"100"}]}]}"#,
        )
        .unwrap();
        let rules = instrument_rules(&filters[0]);
        assert_eq!(rules.tick_size, d("0.10"));
        assert_eq!((rules.max_qty, rules.max_market_qty), (d("1000"), d("120")));
        assert_eq!(rules.min_notional, d("100"));
        assert_eq!(rules.contract_size, None);
        assert_eq!(
            [1, 5, 6, 50, 51, 999, 5000].map(depth_limit),
            [5, 5, 10, 50, 100, 1000, 1000]
        );
    }

    #[test]
    fn binance_errors_keep_their_code_next_to_the_trader_message() {
        let e = neutral_error(VenueError::Rejected {
            http: 400,
            code: -2019,
            msg: "Margin is insufficient.".into(),
        });
        assert_eq!(e.kind, ErrorKind::Rejected);
        assert_eq!(e.venue_code.as_deref(), Some("-2019"));
        assert_eq!(e.venue_message.as_deref(), Some("Margin is insufficient."));
        assert!(e.message.contains("margin"));
        assert!(!e.outcome_unknown && !e.not_sent);
        let e = neutral_error(VenueError::Connectivity("timed out".into()));
        assert_eq!(e.kind, ErrorKind::Connectivity);
        assert!(e.outcome_unknown);
        let e = neutral_error(VenueError::ClockUnknown);
        assert_eq!((e.kind, e.not_sent), (ErrorKind::Config, true));
        assert_eq!(e.to_string(), e.message);
    }

    #[test]
    fn neutral_orders_become_binance_requests() {
        let neutral = OrderRequest {
            symbol: "BTCUSDT".into(),
            client_order_id: "rmp-2".into(),
            side: Side::Buy,
            order_type: OrderType::StopMarket,
            qty: "0.002".parse().unwrap(),
            price: None,
            trigger_price: Some(Price::from_str("61000").unwrap()),
            time_in_force: None,
            reduce_only: true,
            trigger_by: Some(TriggerBy::Mark),
            reference_price: None,
        };
        let b = binance_order(&neutral);
        assert_eq!(b.working_type, Some(WorkingType::MarkPrice));
        assert_eq!(b.stop_price, neutral.trigger_price);
        assert!(b.reduce_only);
        assert!(b.check_shape().is_ok());
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
