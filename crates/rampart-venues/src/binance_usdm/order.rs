//! A typed `POST /fapi/v1/order` request: built from rampart-core's vocabulary, checked against
//! the symbol's exchangeInfo filters before anything is sent, encoded as Binance's parameters.
//!
//! Binance's rules used here (USDⓈ-M "New Order (TRADE)"):
//! - `type` and its mandatory parameters: `LIMIT` → timeInForce, quantity, price; `MARKET` →
//!   quantity; `STOP`/`TAKE_PROFIT` (stop-limit, take-profit limit) → quantity, price, stopPrice;
//!   `STOP_MARKET`/`TAKE_PROFIT_MARKET` → stopPrice (and quantity unless closePosition);
//! - `timeInForce` `GTX` is post-only; `reduceOnly` is "true"/"false";
//! - `workingType` (`MARK_PRICE` or `CONTRACT_PRICE`) is used with the conditional types;
//! - `newClientOrderId` follows `^[\.A-Z\:/a-z0-9_-]{1,36}$`;
//! - `newOrderRespType` `RESULT` answers with the order's final state for MARKET/IOC/FOK;
//! - `positionSide`: "Default BOTH for One-way Mode; LONG or SHORT for Hedge Mode. It must be
//!   sent in Hedge Mode"; `reduceOnly` "cannot be sent in Hedge Mode".
//!
//! The conditional types (stop and take-profit, market or limit) no longer go there: since
//! 2025-12-09 that endpoint answers -4120 for them, and they are sent to New Algo Order
//! (`POST /fapi/v1/algoOrder`, see [`super::algo`]) with [`OrderRequest::algo_params`]. Its
//! documented parameter rules, as used there:
//! - `algoType` (mandatory): "Only support CONDITIONAL";
//! - `type` (mandatory): "For CONDITIONAL algoType, STOP_MARKET/TAKE_PROFIT_MARKET/STOP/
//!   TAKE_PROFIT/TRAILING_STOP_MARKET as order type";
//! - `timeInForce`: "IOC or GTC or FOK, default GTC" (so no post-only `GTX`);
//! - `quantity`: "Cannot be sent with closePosition=true(Close-All)";
//! - `triggerPrice` is the trigger (the regular endpoint's `stopPrice`); `price` the limit;
//! - `workingType`: "triggerPrice triggered by: MARK_PRICE, CONTRACT_PRICE. Default
//!   CONTRACT_PRICE";
//! - `reduceOnly`: `"true"` or `"false"` (default `"false"`); "Cannot be sent in Hedge Mode;
//!   cannot be sent with closePosition=true";
//! - `clientAlgoId`: the client order id, under the same rule as `newClientOrderId`
//!   (`^[\.A-Z\:/a-z0-9_-]{1,36}$`).

use rampart_core::trading::PositionSide;
use rampart_core::{OrderType, Price, Qty, Side, TimeInForce};
use rust_decimal::Decimal;

use std::fmt::Write as _;

use super::error::VenueError;
use super::filters::SymbolFilters;
use super::models::WorkingType;
use super::signer::push_form_encoded;

/// A new order for Binance USDⓈ-M.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    pub symbol: String,
    pub side: Side,
    pub order_type: OrderType,
    pub quantity: Qty,
    /// The limit price: required for LIMIT, STOP (stop-limit) and TAKE_PROFIT (limit); refused
    /// for the market types.
    pub price: Option<Price>,
    /// The trigger price: required for the stop and take-profit types; refused otherwise.
    pub stop_price: Option<Price>,
    /// For the limit types (GTC when not given); refused for the market types.
    pub time_in_force: Option<TimeInForce>,
    pub reduce_only: bool,
    /// Which price triggers a conditional order (Binance's default is CONTRACT_PRICE).
    pub working_type: Option<WorkingType>,
    /// `Net` in one-way mode (Binance's BOTH, not sent); `Long`/`Short` in hedge mode.
    pub position_side: PositionSide,
    /// Generated and journaled by the caller before sending; Binance's identity of the order.
    pub client_order_id: String,
}

/// Binance's `type` for rampart-core's order type.
pub const fn wire_type(order_type: OrderType) -> &'static str {
    match order_type {
        OrderType::Market => "MARKET",
        OrderType::Limit => "LIMIT",
        OrderType::StopMarket => "STOP_MARKET",
        OrderType::StopLimit => "STOP",
        OrderType::TakeProfitMarket => "TAKE_PROFIT_MARKET",
        OrderType::TakeProfitLimit => "TAKE_PROFIT",
    }
}

/// Binance's `timeInForce`; post-only is `GTX`.
pub const fn wire_tif(tif: TimeInForce) -> &'static str {
    match tif {
        TimeInForce::Gtc => "GTC",
        TimeInForce::Ioc => "IOC",
        TimeInForce::Fok => "FOK",
        TimeInForce::PostOnly => "GTX",
    }
}

/// Binance's `side`.
pub const fn wire_side(side: Side) -> &'static str {
    match side {
        Side::Buy => "BUY",
        Side::Sell => "SELL",
    }
}

/// Whether `id` is a client order id Binance accepts: `^[\.A-Z\:/a-z0-9_-]{1,36}$`.
pub fn valid_client_order_id(id: &str) -> bool {
    (1..=36).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".:/_-".contains(&b))
}

/// Decimal text as Binance takes it: plain notation, no trailing zeros.
fn text(value: Decimal) -> String {
    value.normalize().to_string()
}

impl OrderRequest {
    /// Whether the order executes as a market order once live (MARKET_LOT_SIZE applies).
    fn is_market_kind(&self) -> bool {
        !self.order_type.has_limit_price()
    }

    /// The request is consistent in itself: the parameters its type requires and no others.
    pub fn check_shape(&self) -> Result<(), VenueError> {
        let invalid = |why: String| Err(VenueError::InvalidRequest(why));
        let kind = wire_type(self.order_type);
        if !valid_client_order_id(&self.client_order_id) {
            return invalid(format!(
                "the client order id '{}' must be 1 to 36 letters, digits or . : / _ -",
                self.client_order_id
            ));
        }
        if self.symbol.is_empty() {
            return invalid("the order has no symbol".into());
        }
        if self.reduce_only && self.position_side != PositionSide::Net {
            return invalid(
                "reduce-only cannot be used in hedge mode: close the long or short position with \
                 an order on its side instead"
                    .into(),
            );
        }
        match (self.order_type.has_limit_price(), self.price) {
            (true, None) => return invalid(format!("a {kind} order needs a limit price")),
            (false, Some(_)) => return invalid(format!("a {kind} order takes no limit price")),
            _ => {}
        }
        match (self.order_type.has_trigger_price(), self.stop_price) {
            (true, None) => return invalid(format!("a {kind} order needs a stop price")),
            (false, Some(_)) => return invalid(format!("a {kind} order takes no stop price")),
            _ => {}
        }
        if self.time_in_force.is_some() && !self.order_type.has_limit_price() {
            return invalid(format!("a {kind} order takes no time in force"));
        }
        if self.working_type.is_some() && !self.order_type.has_trigger_price() {
            return invalid(format!(
                "a {kind} order has no trigger, so no trigger price type"
            ));
        }
        // New Algo Order: timeInForce "IOC or GTC or FOK, default GTC".
        if self.is_conditional() && self.time_in_force == Some(TimeInForce::PostOnly) {
            return invalid(format!(
                "a {kind} order cannot be post-only: Binance's conditional orders take GTC, IOC \
                 or FOK"
            ));
        }
        Ok(())
    }

    /// Whether the order is conditional (stop or take-profit): Binance takes it through the
    /// Algo Service (`POST /fapi/v1/algoOrder`), not `POST /fapi/v1/order`.
    pub fn is_conditional(&self) -> bool {
        self.order_type.has_trigger_price()
    }

    /// Checks the order against the symbol's filters: the shape, TRADING status, price and stop
    /// price on tick and within PRICE_FILTER, quantity on step within LOT_SIZE (MARKET_LOT_SIZE
    /// for the market types), MIN_NOTIONAL (skipped for reduce-only orders, which Binance
    /// exempts) and PERCENT_PRICE. `mark` is the latest mark price when known: without it, the
    /// notional of a MARKET order and the price band cannot be checked here (Binance still
    /// checks them).
    pub fn validate(
        &self,
        filters: &SymbolFilters,
        mark: Option<Decimal>,
    ) -> Result<(), VenueError> {
        self.check_shape()?;
        self.check_against(filters, mark)
    }

    /// [`OrderRequest::validate`] for an order whose shape was checked already
    /// ([`OrderRequest::check_shape`]): the filters and the mark only.
    pub fn check_against(
        &self,
        filters: &SymbolFilters,
        mark: Option<Decimal>,
    ) -> Result<(), VenueError> {
        if filters.symbol != self.symbol {
            return Err(VenueError::InvalidRequest(format!(
                "the rules given are for {}, not {}",
                filters.symbol, self.symbol
            )));
        }
        filters.check_trading()?;
        if let Some(price) = self.price {
            filters.check_price(price.get())?;
        }
        if let Some(stop) = self.stop_price {
            filters.check_stop_price(stop.get())?;
        }
        let qty = self.quantity.get();
        filters.check_qty(qty, self.is_market_kind())?;
        if !self.reduce_only {
            // The value the venue measures: the limit price; for market types the mark, or the
            // trigger price of a stop/take-profit market order when no mark is known.
            let reference = self
                .price
                .map(Price::get)
                .or(mark)
                .or(self.stop_price.map(Price::get));
            if let Some(reference) = reference {
                filters.check_notional(reference, qty)?;
            }
        }
        if let (Some(price), Some(mark)) = (self.price, mark) {
            filters.check_band(self.side, price.get(), mark)?;
        }
        Ok(())
    }

    /// The parameters New Order and New Algo Order share, in this order: `symbol`, `side`,
    /// `type`, `timeInForce` for a type with a limit price (Binance's default GTC is sent
    /// explicitly; algo orders take "IOC or GTC or FOK, default GTC"), `quantity`, `price`.
    fn visit_shared_params(&self, f: &mut impl FnMut(&'static str, Param<'_>)) {
        f("symbol", Param::Text(&self.symbol));
        f("side", Param::Text(wire_side(self.side)));
        f("type", Param::Text(wire_type(self.order_type)));
        if self.order_type.has_limit_price() {
            let tif = self.time_in_force.unwrap_or(TimeInForce::Gtc);
            f("timeInForce", Param::Text(wire_tif(tif)));
        }
        f("quantity", Param::Decimal(self.quantity.get()));
        if let Some(price) = self.price {
            f("price", Param::Decimal(price.get()));
        }
        match self.position_side {
            PositionSide::Net => {}
            PositionSide::Long => f("positionSide", Param::Text("LONG")),
            PositionSide::Short => f("positionSide", Param::Text("SHORT")),
        }
    }

    /// New Order's parameters in Binance's names, in a fixed order.
    fn visit_params(&self, f: &mut impl FnMut(&'static str, Param<'_>)) {
        self.visit_shared_params(f);
        if let Some(stop) = self.stop_price {
            f("stopPrice", Param::Decimal(stop.get()));
        }
        if self.reduce_only {
            f("reduceOnly", Param::Text("true"));
        }
        if let Some(working) = self.working_type {
            f("workingType", Param::Text(working.wire()));
        }
        f("newClientOrderId", Param::Text(&self.client_order_id));
        f("newOrderRespType", Param::Text("RESULT"));
    }

    /// New Algo Order's parameters for a conditional order, in a fixed order:
    /// `algoType=CONDITIONAL`, `stopPrice` becomes `triggerPrice` and `newClientOrderId` becomes
    /// `clientAlgoId`.
    fn visit_algo_params(&self, f: &mut impl FnMut(&'static str, Param<'_>)) {
        f("algoType", Param::Text("CONDITIONAL"));
        self.visit_shared_params(f);
        if let Some(trigger) = self.stop_price {
            f("triggerPrice", Param::Decimal(trigger.get()));
        }
        if let Some(working) = self.working_type {
            f("workingType", Param::Text(working.wire()));
        }
        if self.reduce_only {
            f("reduceOnly", Param::Text("true"));
        }
        f("clientAlgoId", Param::Text(&self.client_order_id));
    }

    /// The parameters in Binance's names, in a fixed order (without recvWindow, timestamp and
    /// signature, which the client adds).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::with_capacity(12);
        self.visit_params(&mut |name, value| p.push((name, value.to_text())));
        p
    }

    /// The parameters of New Algo Order (`POST /fapi/v1/algoOrder`) for a conditional order,
    /// in a fixed order (without recvWindow, timestamp and signature): `algoType=CONDITIONAL`,
    /// `stopPrice` becomes `triggerPrice` and `newClientOrderId` becomes `clientAlgoId`.
    /// `None` for a type that is not conditional (it goes to `POST /fapi/v1/order`).
    pub fn algo_params(&self) -> Option<Vec<(&'static str, String)>> {
        if !self.is_conditional() {
            return None;
        }
        let mut p = Vec::with_capacity(12);
        self.visit_algo_params(&mut |name, value| p.push((name, value.to_text())));
        Some(p)
    }

    /// Appends the parameters of the endpoint the order goes to ([`OrderRequest::params`], or
    /// [`OrderRequest::algo_params`] for a conditional order) to `out`, form-encoded, without
    /// building them first.
    pub fn write_params(&self, out: &mut String) {
        let mut write = |name: &'static str, value: Param<'_>| {
            if !out.is_empty() {
                out.push('&');
            }
            push_form_encoded(out, name);
            out.push('=');
            match value {
                Param::Text(text) => push_form_encoded(out, text),
                // Plain decimal notation: digits, '.', '-', nothing to encode.
                Param::Decimal(value) => {
                    // Writing into a String cannot fail.
                    let _ = write!(out, "{}", value.normalize());
                }
            }
        };
        if self.is_conditional() {
            self.visit_algo_params(&mut write);
        } else {
            self.visit_params(&mut write);
        }
    }
}

/// One parameter's value, as the order holds it.
#[derive(Debug, Clone, Copy)]
enum Param<'a> {
    Text(&'a str),
    /// Sent as Binance takes decimals: plain notation, no trailing zeros.
    Decimal(Decimal),
}

impl Param<'_> {
    fn to_text(self) -> String {
        match self {
            Param::Text(text) => text.to_owned(),
            Param::Decimal(value) => text(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binance_usdm::filters::FilterViolation;
    use std::str::FromStr;

    fn filters() -> SymbolFilters {
        let json = r#"{"symbols":[{"symbol":"BTCUSDT","status":"TRADING","filters":[
          {"filterType":"PRICE_FILTER","minPrice":"261.10","maxPrice":"809484","tickSize":"0.10"},
          {"filterType":"LOT_SIZE","minQty":"0.001","maxQty":"1000","stepSize":"0.001"},
          {"filterType":"MARKET_LOT_SIZE","minQty":"0.001","maxQty":"120","stepSize":"0.001"},
          {"filterType":"MIN_NOTIONAL","notional":"100"},
          {"filterType":"PERCENT_PRICE","multiplierUp":"1.0500","multiplierDown":"0.9500","multiplierDecimal":"4"}]}]}"#;
        SymbolFilters::parse_exchange_info(json.as_bytes())
            .unwrap()
            .remove(0)
    }

    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }

    fn q(s: &str) -> Qty {
        s.parse().unwrap()
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn order(order_type: OrderType) -> OrderRequest {
        OrderRequest {
            symbol: "BTCUSDT".into(),
            side: Side::Buy,
            order_type,
            quantity: q("0.010"),
            price: order_type.has_limit_price().then(|| p("60000.0")),
            stop_price: order_type.has_trigger_price().then(|| p("61000.0")),
            time_in_force: None,
            reduce_only: false,
            working_type: None,
            position_side: PositionSide::Net,
            client_order_id: "rmp-AbCdEfGhIjKlMnOpQrSt".into(),
        }
    }

    fn encoded(o: &OrderRequest) -> String {
        o.params()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }

    #[test]
    fn each_order_type_encodes_to_binance_parameters() {
        let tail = "newClientOrderId=rmp-AbCdEfGhIjKlMnOpQrSt&newOrderRespType=RESULT";
        let cases = [
            (
                OrderType::Market,
                "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01",
            ),
            (
                OrderType::Limit,
                "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=60000",
            ),
            (
                OrderType::StopMarket,
                "symbol=BTCUSDT&side=BUY&type=STOP_MARKET&quantity=0.01&stopPrice=61000",
            ),
            (
                OrderType::StopLimit,
                "symbol=BTCUSDT&side=BUY&type=STOP&timeInForce=GTC&quantity=0.01&price=60000&stopPrice=61000",
            ),
            (
                OrderType::TakeProfitMarket,
                "symbol=BTCUSDT&side=BUY&type=TAKE_PROFIT_MARKET&quantity=0.01&stopPrice=61000",
            ),
            (
                OrderType::TakeProfitLimit,
                "symbol=BTCUSDT&side=BUY&type=TAKE_PROFIT&timeInForce=GTC&quantity=0.01&price=60000&stopPrice=61000",
            ),
        ];
        for (order_type, head) in cases {
            assert_eq!(encoded(&order(order_type)), format!("{head}&{tail}"));
        }
    }

    fn encoded_algo(o: &OrderRequest) -> String {
        o.algo_params()
            .expect("a conditional order")
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The body written in place is the form encoding of the endpoint's parameters, for every
    /// type and option.
    #[test]
    fn parameters_written_in_place_are_the_encoded_parameters() {
        let types = [
            OrderType::Market,
            OrderType::Limit,
            OrderType::StopMarket,
            OrderType::StopLimit,
            OrderType::TakeProfitMarket,
            OrderType::TakeProfitLimit,
        ];
        for order_type in types {
            for variant in 0..4 {
                let mut o = order(order_type);
                match variant {
                    1 => {
                        o.side = Side::Sell;
                        o.reduce_only = true;
                        o.working_type = o.is_conditional().then_some(WorkingType::MarkPrice);
                    }
                    2 => {
                        o.position_side = PositionSide::Short;
                        o.quantity = q("120.5000");
                        o.client_order_id = "a.b:c/d_e-f".into();
                    }
                    3 => {
                        o.time_in_force =
                            o.order_type.has_limit_price().then_some(TimeInForce::Ioc);
                        o.position_side = PositionSide::Long;
                    }
                    _ => {}
                }
                let params = o.algo_params().unwrap_or_else(|| o.params());
                let expected = crate::binance_usdm::signer::encode_params(
                    params.iter().map(|(k, v)| (*k, v.as_str())),
                );
                let mut written = String::new();
                o.write_params(&mut written);
                assert_eq!(written, expected, "{order_type:?} variant {variant}");
            }
        }
    }

    #[test]
    fn each_conditional_type_encodes_to_algo_parameters() {
        let head = "algoType=CONDITIONAL&symbol=BTCUSDT&side=BUY";
        let tail = "clientAlgoId=rmp-AbCdEfGhIjKlMnOpQrSt";
        let cases = [
            (
                OrderType::StopMarket,
                "type=STOP_MARKET&quantity=0.01&triggerPrice=61000",
            ),
            (
                OrderType::StopLimit,
                "type=STOP&timeInForce=GTC&quantity=0.01&price=60000&triggerPrice=61000",
            ),
            (
                OrderType::TakeProfitMarket,
                "type=TAKE_PROFIT_MARKET&quantity=0.01&triggerPrice=61000",
            ),
            (
                OrderType::TakeProfitLimit,
                "type=TAKE_PROFIT&timeInForce=GTC&quantity=0.01&price=60000&triggerPrice=61000",
            ),
        ];
        for (order_type, middle) in cases {
            let o = order(order_type);
            assert!(o.is_conditional());
            assert_eq!(encoded_algo(&o), format!("{head}&{middle}&{tail}"));
            // Never the regular endpoint's names for the same things.
            let text = encoded_algo(&o);
            assert!(
                !text.contains("stopPrice") && !text.contains("newClientOrderId"),
                "{text}"
            );
        }
        for t in [OrderType::Market, OrderType::Limit] {
            assert!(!order(t).is_conditional());
            assert_eq!(order(t).algo_params(), None);
        }
        // Options: working type, reduce-only, IOC, a sell.
        let mut o = order(OrderType::StopLimit);
        o.side = Side::Sell;
        o.time_in_force = Some(TimeInForce::Ioc);
        o.working_type = Some(WorkingType::MarkPrice);
        o.reduce_only = true;
        assert_eq!(
            encoded_algo(&o),
            "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP&timeInForce=IOC&\
             quantity=0.01&price=60000&triggerPrice=61000&workingType=MARK_PRICE&\
             reduceOnly=true&clientAlgoId=rmp-AbCdEfGhIjKlMnOpQrSt"
        );
        // Post-only is not offered for conditional orders (GTC, IOC, FOK).
        o.time_in_force = Some(TimeInForce::PostOnly);
        assert!(
            matches!(o.check_shape(), Err(VenueError::InvalidRequest(m)) if m.contains("post-only"))
        );
        let mut limit = order(OrderType::Limit);
        limit.time_in_force = Some(TimeInForce::PostOnly);
        assert!(limit.check_shape().is_ok());
    }

    #[test]
    fn options_encode_post_only_reduce_only_and_working_type() {
        let mut o = order(OrderType::Limit);
        o.side = Side::Sell;
        o.time_in_force = Some(TimeInForce::PostOnly);
        o.reduce_only = true;
        assert_eq!(
            encoded(&o),
            "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTX&quantity=0.01&price=60000&\
             reduceOnly=true&newClientOrderId=rmp-AbCdEfGhIjKlMnOpQrSt&newOrderRespType=RESULT"
        );
        for (tif, wire) in [
            (TimeInForce::Gtc, "GTC"),
            (TimeInForce::Ioc, "IOC"),
            (TimeInForce::Fok, "FOK"),
            (TimeInForce::PostOnly, "GTX"),
        ] {
            assert_eq!(wire_tif(tif), wire);
        }
        let mut s = order(OrderType::StopMarket);
        s.working_type = Some(WorkingType::MarkPrice);
        assert!(encoded(&s).contains("&stopPrice=61000&workingType=MARK_PRICE&"));
    }

    #[test]
    fn inconsistent_requests_are_refused_before_the_filters() {
        let f = filters();
        let mut o = order(OrderType::Limit);
        o.price = None;
        assert!(
            matches!(o.validate(&f, None), Err(VenueError::InvalidRequest(m)) if m.contains("needs a limit price"))
        );
        let mut o = order(OrderType::Market);
        o.price = Some(p("60000"));
        assert!(matches!(
            o.check_shape(),
            Err(VenueError::InvalidRequest(_))
        ));
        let mut o = order(OrderType::StopLimit);
        o.stop_price = None;
        assert!(
            matches!(o.check_shape(), Err(VenueError::InvalidRequest(m)) if m.contains("STOP order needs a stop price"))
        );
        let mut o = order(OrderType::Market);
        o.time_in_force = Some(TimeInForce::Ioc);
        assert!(o.check_shape().is_err());
        let mut o = order(OrderType::Limit);
        o.working_type = Some(WorkingType::MarkPrice);
        assert!(o.check_shape().is_err());
        for bad in ["", "has space", "x".repeat(37).as_str(), "é"] {
            let mut o = order(OrderType::Limit);
            o.client_order_id = bad.into();
            assert!(o.check_shape().is_err(), "{bad:?}");
        }
        assert!(valid_client_order_id("a.B:c/d_e-1"));
        let mut o = order(OrderType::Limit);
        o.symbol = "ETHUSDT".into();
        assert!(o.validate(&f, None).is_err());
    }

    #[test]
    fn the_filters_are_checked_with_the_nearest_valid_values_named() {
        let f = filters();
        let mark = Some(d("60000"));
        assert!(order(OrderType::Limit).validate(&f, mark).is_ok());
        for t in [
            OrderType::Market,
            OrderType::StopMarket,
            OrderType::StopLimit,
            OrderType::TakeProfitMarket,
            OrderType::TakeProfitLimit,
        ] {
            assert!(order(t).validate(&f, mark).is_ok(), "{t:?}");
        }
        let mut o = order(OrderType::Limit);
        o.price = Some(p("60000.05"));
        let err = o.validate(&f, mark).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not sent: price 60000.05 is not a multiple of 0.1: use 60000 or 60000.1"
        );
        let mut o = order(OrderType::StopMarket);
        o.stop_price = Some(p("61000.01"));
        assert!(matches!(
            o.validate(&f, mark),
            Err(VenueError::Validation(FilterViolation::OffStep {
                field: "stop price",
                ..
            }))
        ));
        let mut o = order(OrderType::Limit);
        o.quantity = q("0.0015");
        assert!(matches!(
            o.validate(&f, mark),
            Err(VenueError::Validation(FilterViolation::OffStep {
                field: "quantity",
                ..
            }))
        ));
        // MARKET uses MARKET_LOT_SIZE (max 120), LIMIT uses LOT_SIZE (max 1000).
        let mut o = order(OrderType::Market);
        o.quantity = q("121");
        assert!(matches!(
            o.validate(&f, mark),
            Err(VenueError::Validation(FilterViolation::AboveMax { .. }))
        ));
        let mut o = order(OrderType::Limit);
        o.quantity = q("121");
        o.price = Some(p("300"));
        assert!(o.validate(&f, None).is_ok());
        // Notional: 0.001 * 60000 = 60 < 100, unless reduce-only.
        let mut o = order(OrderType::Market);
        o.quantity = q("0.001");
        assert!(matches!(
            o.validate(&f, mark),
            Err(VenueError::Validation(
                FilterViolation::NotionalTooSmall { .. }
            ))
        ));
        o.reduce_only = true;
        assert!(o.validate(&f, mark).is_ok());
        // Band: a buy above mark * 1.05.
        let mut o = order(OrderType::Limit);
        o.price = Some(p("63000.1"));
        assert!(matches!(
            o.validate(&f, mark),
            Err(VenueError::Validation(FilterViolation::OutsideBand { .. }))
        ));
        assert!(
            o.validate(&f, None).is_ok(),
            "no mark: the band is the venue's check"
        );
        // A symbol that is not trading.
        let mut halted = f.clone();
        halted.trading = false;
        assert!(matches!(
            order(OrderType::Limit).validate(&halted, mark),
            Err(VenueError::Validation(FilterViolation::NotTrading { .. }))
        ));
    }
}
