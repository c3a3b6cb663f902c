//! Symbol trading rules from `GET /fapi/v1/exchangeInfo`, and the checks an order must pass
//! before anything is sent. Nothing is rounded silently: an off-tick price or off-step quantity is
//! an error naming the nearest valid values.
//!
//! Binance's rules (USDⓈ-M futures "Common Definition → Filters"):
//! - PRICE_FILTER: `price >= minPrice`, `price <= maxPrice`, `(price - minPrice) % tickSize == 0`;
//!   each part disabled when its value is 0;
//! - LOT_SIZE (and MARKET_LOT_SIZE for MARKET orders): `quantity >= minQty`,
//!   `quantity <= maxQty`, `(quantity - minQty) % stepSize == 0`;
//! - MIN_NOTIONAL: `price * quantity >= notional`, with the mark price for MARKET orders;
//! - PERCENT_PRICE: BUY `price <= markPrice * multiplierUp`, SELL
//!   `price >= markPrice * multiplierDown`.

use rampart_core::Side;
use rust_decimal::Decimal;
use serde::Deserialize;

/// The fields LOT_SIZE and MARKET_LOT_SIZE share.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLot {
    min_qty: Decimal,
    max_qty: Decimal,
    step_size: Decimal,
}

impl From<RawLot> for Range {
    fn from(lot: RawLot) -> Self {
        Range {
            min: lot.min_qty,
            max: lot.max_qty,
            step: lot.step_size,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(tag = "filterType")]
#[allow(non_camel_case_types)] // Binance's own names, so serde matches them as they are sent.
enum RawFilter {
    PRICE_FILTER {
        #[serde(rename = "minPrice")]
        min_price: Decimal,
        #[serde(rename = "maxPrice")]
        max_price: Decimal,
        #[serde(rename = "tickSize")]
        tick_size: Decimal,
    },
    LOT_SIZE(RawLot),
    MARKET_LOT_SIZE(RawLot),
    MIN_NOTIONAL {
        notional: Decimal,
    },
    PERCENT_PRICE {
        #[serde(rename = "multiplierUp")]
        multiplier_up: Decimal,
        #[serde(rename = "multiplierDown")]
        multiplier_down: Decimal,
    },
    /// MAX_NUM_ORDERS, MAX_NUM_ALGO_ORDERS and any filter added later.
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSymbol {
    symbol: String,
    status: String,
    filters: Vec<RawFilter>,
    #[serde(default)]
    base_asset: String,
    #[serde(default)]
    quote_asset: String,
    #[serde(default)]
    margin_asset: String,
    /// `PERPETUAL`, `CURRENT_QUARTER`, `NEXT_QUARTER`, … (empty when not sent).
    #[serde(default)]
    contract_type: String,
    /// Delivery time of a dated contract (ms); perpetuals carry a date far in the future.
    #[serde(default)]
    delivery_date: i64,
}

#[derive(Debug, Deserialize)]
struct RawExchangeInfo {
    symbols: Vec<RawSymbol>,
}

/// Why exchangeInfo could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterParseError {
    #[error("exchangeInfo is not in the expected shape: {0}")]
    Malformed(String),
    #[error("{symbol} has no {filter} filter")]
    Missing {
        symbol: String,
        filter: &'static str,
    },
}

/// A min/max/step triple; zero disables a part, as Binance specifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub min: Decimal,
    pub max: Decimal,
    pub step: Decimal,
}

/// One symbol's trading rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolFilters {
    pub symbol: String,
    pub trading: bool,
    pub price: Range,
    pub lot: Range,
    pub market_lot: Range,
    pub min_notional: Decimal,
    /// (multiplierUp, multiplierDown) around the mark price.
    pub percent_price: Option<(Decimal, Decimal)>,
    pub base_asset: String,
    pub quote_asset: String,
    /// The asset margin and PnL are counted in (`marginAsset`).
    pub margin_asset: String,
    /// `None` for a perpetual; the delivery time (ms) of a dated contract.
    pub delivery_ms: Option<i64>,
}

/// An order that breaks a rule, in words a trader can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterViolation {
    #[error("{symbol} is not trading")]
    NotTrading { symbol: String },
    #[error("{field} {value} is below the minimum of {min}")]
    BelowMin {
        field: &'static str,
        value: Decimal,
        min: Decimal,
    },
    #[error("{field} {value} is above the maximum of {max}")]
    AboveMax {
        field: &'static str,
        value: Decimal,
        max: Decimal,
    },
    #[error("{field} {value} is not a multiple of {step}: use {below} or {above}")]
    OffStep {
        field: &'static str,
        value: Decimal,
        step: Decimal,
        below: Decimal,
        above: Decimal,
    },
    #[error("order value {notional} is below the minimum of {min}; raise the quantity")]
    NotionalTooSmall { notional: Decimal, min: Decimal },
    #[error("price {price} is too far from the mark price: {side_word} limit is {limit}")]
    OutsideBand {
        price: Decimal,
        limit: Decimal,
        side_word: &'static str,
    },
    #[error("{field} {value} is out of range")]
    Overflow { field: &'static str, value: Decimal },
}

fn check_range(field: &'static str, value: Decimal, range: &Range) -> Result<(), FilterViolation> {
    if !range.min.is_zero() && value < range.min {
        return Err(FilterViolation::BelowMin {
            field,
            value,
            min: range.min,
        });
    }
    if !range.max.is_zero() && value > range.max {
        return Err(FilterViolation::AboveMax {
            field,
            value,
            max: range.max,
        });
    }
    if !range.step.is_zero() {
        let offset = value
            .checked_sub(range.min)
            .ok_or(FilterViolation::Overflow { field, value })?;
        let remainder = offset
            .checked_rem(range.step)
            .ok_or(FilterViolation::Overflow { field, value })?;
        if !remainder.is_zero() {
            let below = value - remainder;
            let above = below + range.step;
            let scale = range.step.normalize().scale();
            return Err(FilterViolation::OffStep {
                field,
                value,
                step: range.step.normalize(),
                below: below.round_dp(scale).normalize(),
                above: above.round_dp(scale).normalize(),
            });
        }
    }
    Ok(())
}

impl SymbolFilters {
    /// Every symbol in an exchangeInfo response.
    pub fn parse_exchange_info(json: &[u8]) -> Result<Vec<SymbolFilters>, FilterParseError> {
        let raw: RawExchangeInfo =
            serde_json::from_slice(json).map_err(|e| FilterParseError::Malformed(e.to_string()))?;
        raw.symbols.into_iter().map(Self::from_raw).collect()
    }

    fn from_raw(raw: RawSymbol) -> Result<Self, FilterParseError> {
        let mut price = None;
        let mut lot = None;
        let mut market_lot = None;
        let mut min_notional = Decimal::ZERO;
        let mut percent_price = None;
        for filter in raw.filters {
            match filter {
                RawFilter::PRICE_FILTER {
                    min_price,
                    max_price,
                    tick_size,
                } => {
                    price = Some(Range {
                        min: min_price,
                        max: max_price,
                        step: tick_size,
                    });
                }
                RawFilter::LOT_SIZE(raw) => lot = Some(raw.into()),
                RawFilter::MARKET_LOT_SIZE(raw) => market_lot = Some(raw.into()),
                RawFilter::MIN_NOTIONAL { notional } => min_notional = notional,
                RawFilter::PERCENT_PRICE {
                    multiplier_up,
                    multiplier_down,
                } => {
                    percent_price = Some((multiplier_up, multiplier_down));
                }
                RawFilter::Other => {}
            }
        }
        let missing = |filter| FilterParseError::Missing {
            symbol: raw.symbol.clone(),
            filter,
        };
        let price = price.ok_or_else(|| missing("PRICE_FILTER"))?;
        let lot = lot.ok_or_else(|| missing("LOT_SIZE"))?;
        let delivery_ms = (!raw.contract_type.is_empty() && raw.contract_type != "PERPETUAL")
            .then_some(raw.delivery_date);
        Ok(SymbolFilters {
            delivery_ms,
            margin_asset: if raw.margin_asset.is_empty() {
                raw.quote_asset.clone()
            } else {
                raw.margin_asset
            },
            base_asset: raw.base_asset,
            quote_asset: raw.quote_asset,
            trading: raw.status == "TRADING",
            market_lot: market_lot.unwrap_or(lot),
            symbol: raw.symbol,
            price,
            lot,
            min_notional,
            percent_price,
        })
    }

    /// Checks a limit/stop price.
    pub fn check_price(&self, price: Decimal) -> Result<(), FilterViolation> {
        check_range("price", price, &self.price)
    }

    /// Checks a trigger (stop) price: the same PRICE_FILTER rules as a limit price.
    pub fn check_stop_price(&self, price: Decimal) -> Result<(), FilterViolation> {
        check_range("stop price", price, &self.price)
    }

    /// Checks a quantity; MARKET orders use MARKET_LOT_SIZE.
    pub fn check_qty(&self, qty: Decimal, market: bool) -> Result<(), FilterViolation> {
        check_range(
            "quantity",
            qty,
            if market { &self.market_lot } else { &self.lot },
        )
    }

    /// Checks a whole order: `price` is None for MARKET orders, whose notional uses `mark`.
    pub fn check_order(
        &self,
        side: Side,
        price: Option<Decimal>,
        qty: Decimal,
        mark: Decimal,
    ) -> Result<(), FilterViolation> {
        self.check_trading()?;
        if let Some(price) = price {
            self.check_price(price)?;
        }
        self.check_qty(qty, price.is_none())?;
        self.check_notional(price.unwrap_or(mark), qty)?;
        if let Some(price) = price {
            self.check_band(side, price, mark)?;
        }
        Ok(())
    }

    /// The symbol must be TRADING.
    pub fn check_trading(&self) -> Result<(), FilterViolation> {
        if self.trading {
            Ok(())
        } else {
            Err(FilterViolation::NotTrading {
                symbol: self.symbol.clone(),
            })
        }
    }

    /// MIN_NOTIONAL: `reference * qty >= notional` (reference: the limit price, or the mark price
    /// for MARKET orders).
    pub fn check_notional(&self, reference: Decimal, qty: Decimal) -> Result<(), FilterViolation> {
        let notional = reference
            .checked_mul(qty)
            .ok_or(FilterViolation::Overflow {
                field: "order value",
                value: qty,
            })?;
        if notional < self.min_notional {
            return Err(FilterViolation::NotionalTooSmall {
                notional,
                min: self.min_notional,
            });
        }
        Ok(())
    }

    /// PERCENT_PRICE: a BUY no higher than `mark * multiplierUp`, a SELL no lower than
    /// `mark * multiplierDown` (nothing to check when exchangeInfo has no such filter).
    pub fn check_band(
        &self,
        side: Side,
        price: Decimal,
        mark: Decimal,
    ) -> Result<(), FilterViolation> {
        let Some((up, down)) = self.percent_price else {
            return Ok(());
        };
        let overflow = FilterViolation::Overflow {
            field: "mark price",
            value: mark,
        };
        match side {
            Side::Buy => {
                let limit = mark.checked_mul(up).ok_or(overflow)?;
                if price > limit {
                    return Err(FilterViolation::OutsideBand {
                        price,
                        limit,
                        side_word: "the highest buy",
                    });
                }
            }
            Side::Sell => {
                let limit = mark.checked_mul(down).ok_or(overflow)?;
                if price < limit {
                    return Err(FilterViolation::OutsideBand {
                        price,
                        limit,
                        side_word: "the lowest sell",
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    /// A BTCUSDT entry in the shape `GET /fapi/v1/exchangeInfo` returns it (filter values as in
    /// Binance's response for the perpetual; unrelated fields trimmed).
    const EXCHANGE_INFO: &str = r#"{
      "timezone": "UTC", "serverTime": 1565246363776,
      "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400}],
      "symbols": [{
        "symbol": "BTCUSDT", "pair": "BTCUSDT", "contractType": "PERPETUAL", "status": "TRADING",
        "baseAsset": "BTC", "quoteAsset": "USDT", "pricePrecision": 2, "quantityPrecision": 3,
        "filters": [
          {"filterType": "PRICE_FILTER", "minPrice": "261.10", "maxPrice": "809484", "tickSize": "0.10"},
          {"filterType": "LOT_SIZE", "minQty": "0.001", "maxQty": "1000", "stepSize": "0.001"},
          {"filterType": "MARKET_LOT_SIZE", "minQty": "0.001", "maxQty": "120", "stepSize": "0.001"},
          {"filterType": "MAX_NUM_ORDERS", "limit": 200},
          {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
          {"filterType": "MIN_NOTIONAL", "notional": "100"},
          {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500", "multiplierDown": "0.9500", "multiplierDecimal": "4"}
        ],
        "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"],
        "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"]
      }]
    }"#;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn btc() -> SymbolFilters {
        SymbolFilters::parse_exchange_info(EXCHANGE_INFO.as_bytes())
            .unwrap()
            .remove(0)
    }

    #[test]
    fn parses_the_filters_binance_sends() {
        let f = btc();
        assert_eq!(f.symbol, "BTCUSDT");
        assert!(f.trading);
        assert_eq!(
            f.price,
            Range {
                min: d("261.10"),
                max: d("809484"),
                step: d("0.10")
            }
        );
        assert_eq!(f.market_lot.max, d("120"));
        assert_eq!(f.min_notional, d("100"));
        assert_eq!(f.percent_price, Some((d("1.05"), d("0.95"))));
    }

    #[test]
    fn off_tick_and_off_step_name_the_nearest_valid_values() {
        let f = btc();
        let err = f.check_price(d("61234.55")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "price 61234.55 is not a multiple of 0.1: use 61234.5 or 61234.6"
        );
        let err = f.check_qty(d("0.0015"), false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "quantity 0.0015 is not a multiple of 0.001: use 0.001 or 0.002"
        );
        assert!(f.check_price(d("61234.50")).is_ok());
    }

    #[test]
    fn limits_notional_and_band() {
        let f = btc();
        let mark = d("60000");
        assert!(matches!(
            f.check_price(d("200")),
            Err(FilterViolation::BelowMin { .. })
        ));
        assert!(matches!(
            f.check_price(d("900000")),
            Err(FilterViolation::AboveMax { .. })
        ));
        assert!(matches!(
            f.check_qty(d("1001"), false),
            Err(FilterViolation::AboveMax { .. })
        ));
        // MARKET orders use MARKET_LOT_SIZE (max 120) and the mark for the notional.
        assert!(matches!(
            f.check_qty(d("121"), true),
            Err(FilterViolation::AboveMax { .. })
        ));
        assert!(matches!(
            f.check_order(Side::Buy, None, d("0.001"), mark),
            Err(FilterViolation::NotionalTooSmall { .. })
        ));
        assert!(f.check_order(Side::Buy, None, d("0.002"), mark).is_ok());
        let err = f
            .check_order(Side::Buy, Some(d("63000.10")), d("0.01"), mark)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "price 63000.10 is too far from the mark price: the highest buy limit is 63000.0000"
        );
        assert!(
            f.check_order(Side::Sell, Some(d("56999.90")), d("0.01"), mark)
                .is_err()
        );
        assert!(
            f.check_order(Side::Sell, Some(d("57000.00")), d("0.01"), mark)
                .is_ok()
        );
    }

    #[test]
    fn malformed_exchange_info_is_a_typed_error() {
        assert!(matches!(
            SymbolFilters::parse_exchange_info(b"{\"symbols\": 3}"),
            Err(FilterParseError::Malformed(_))
        ));
        assert!(matches!(
            SymbolFilters::parse_exchange_info(b"not json"),
            Err(FilterParseError::Malformed(_))
        ));
        let no_lot = r#"{"symbols":[{"symbol":"X","status":"TRADING","filters":[
            {"filterType":"PRICE_FILTER","minPrice":"0","maxPrice":"0","tickSize":"0.1"}]}]}"#;
        assert_eq!(
            SymbolFilters::parse_exchange_info(no_lot.as_bytes()).unwrap_err(),
            FilterParseError::Missing {
                symbol: "X".into(),
                filter: "LOT_SIZE"
            }
        );
        let bad_number = r#"{"symbols":[{"symbol":"X","status":"TRADING","filters":[
            {"filterType":"PRICE_FILTER","minPrice":"abc","maxPrice":"0","tickSize":"0.1"}]}]}"#;
        assert!(SymbolFilters::parse_exchange_info(bad_number.as_bytes()).is_err());
    }
}
