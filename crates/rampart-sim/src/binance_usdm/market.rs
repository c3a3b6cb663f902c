//! The simulator's instruments: BTCUSDT, ETHUSDT, SOLUSDT perpetuals with Binance-shaped rules.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::BinanceError;

pub(super) struct Rules {
    pub(super) min_price: Decimal,
    pub(super) max_price: Decimal,
    pub(super) tick: Decimal,
    pub(super) min_qty: Decimal,
    pub(super) max_qty: Decimal,
    pub(super) step: Decimal,
    pub(super) market_max_qty: Decimal,
    pub(super) min_notional: Decimal,
    pub(super) up: Decimal,
    pub(super) down: Decimal,
}

fn d(units: i64, scale: u32) -> Decimal {
    Decimal::new(units, scale)
}

/// The rules of a listed symbol: each of [`SYMBOLS`] its own, any other SOLUSDT's.
pub(super) fn rules(symbol: &str) -> Rules {
    let (min_price, max_price, tick, min_qty, max_qty, step, market_max_qty, min_notional) =
        match symbol {
            "BTCUSDT" => (
                d(26110, 2),
                d(809_484, 0),
                d(10, 2),
                d(1, 3),
                d(1000, 0),
                d(1, 3),
                d(120, 0),
                d(100, 0),
            ),
            "ETHUSDT" => (
                d(3961, 2),
                d(306_177, 0),
                d(1, 2),
                d(1, 3),
                d(10_000, 0),
                d(1, 3),
                d(2000, 0),
                d(20, 0),
            ),
            _ => (
                d(4200, 4),
                d(6857, 0),
                d(10, 3),
                d(1, 2),
                d(1_000_000, 0),
                d(1, 2),
                d(5000, 0),
                d(5, 0),
            ),
        };
    Rules {
        min_price,
        max_price,
        tick,
        min_qty,
        max_qty,
        step,
        market_max_qty,
        min_notional,
        up: d(10500, 4),
        down: d(9500, 4),
    }
}

/// The simulated symbols, in the order the price process draws for them.
pub(super) const SYMBOLS: [&str; 3] = ["BTCUSDT", "ETHUSDT", "SOLUSDT"];

/// Maintenance margin rate of the first notional bracket (Binance's brackets, simplified to
/// one per symbol).
pub(super) fn maint_margin_rate(symbol: &str) -> Decimal {
    match symbol {
        "BTCUSDT" => d(4, 3),
        "ETHUSDT" => d(5, 3),
        _ => d(10, 3),
    }
}

/// The resting size unit of the simulated book (at the starting mark, level `i` holds
/// `(i + 1)` times it; see `book_streams::size_at`).
pub(super) fn level_size(symbol: &str) -> Decimal {
    match symbol {
        "BTCUSDT" => d(5, 1),
        "ETHUSDT" => d(5, 0),
        _ => d(100, 0),
    }
}

/// The largest notional a position may reach at `leverage` (a simplified bracket table in the
/// shape of Binance's leverageBracket: higher leverage, smaller cap).
pub(super) fn max_notional(leverage: u32) -> Decimal {
    match leverage {
        101.. => d(50_000, 0),
        51..=100 => d(600_000, 0),
        21..=50 => d(3_000_000, 0),
        11..=20 => d(12_000_000, 0),
        6..=10 => d(70_000_000, 0),
        _ => d(300_000_000, 0),
    }
}

/// The brackets behind [`max_notional`], in leverageBracket's shape: bracket number, the
/// leverage allowed, the notional floor and cap, the maintenance margin ratio and the
/// maintenance amount (`cum`, 0: one maintenance rate per symbol, as [`maint_margin_rate`]).
/// Numbers are JSON numbers, as Binance sends them.
pub(super) fn leverage_brackets(symbol: &str) -> Value {
    const TABLE: [(u32, u64, u64); 6] = [
        (125, 0, 50_000),
        (100, 50_000, 600_000),
        (50, 600_000, 3_000_000),
        (20, 3_000_000, 12_000_000),
        (10, 12_000_000, 70_000_000),
        (5, 70_000_000, 300_000_000),
    ];
    let ratio = maint_margin_rate(symbol).to_string();
    let ratio = ratio
        .parse::<serde_json::Number>()
        .map_or(Value::String(ratio), Value::Number);
    let brackets: Vec<Value> = TABLE
        .iter()
        .enumerate()
        .map(|(i, (leverage, floor, cap))| {
            json!({
                "bracket": i + 1,
                "initialLeverage": leverage,
                "notionalCap": cap,
                "notionalFloor": floor,
                "maintMarginRatio": ratio,
                "cum": 0,
            })
        })
        .collect();
    json!({ "symbol": symbol, "notionalCoef": 1, "brackets": brackets })
}

/// The simulator's starting mark price for `symbol`.
pub(super) fn mark_price(symbol: &str) -> Decimal {
    match symbol {
        "BTCUSDT" => d(60_000, 0),
        "ETHUSDT" => d(3_000, 0),
        _ => d(150, 0),
    }
}

impl Rules {
    /// PRICE_FILTER alone (min, max, tick), as a stop price is checked.
    pub(super) fn check_price(&self, price: Decimal) -> Result<(), BinanceError> {
        if price < self.min_price {
            return Err(BinanceError::PriceBelowMin);
        }
        if price > self.max_price {
            return Err(BinanceError::PriceAboveMax);
        }
        if !((price - self.min_price) % self.tick).is_zero() {
            return Err(BinanceError::OffTick);
        }
        Ok(())
    }

    /// Binance's filters for a new order. `reduce_only` orders are exempt from MIN_NOTIONAL
    /// ("unless you choose reduce only").
    pub(super) fn check(
        &self,
        price: Option<Decimal>,
        qty: Decimal,
        mark: Decimal,
        reduce_only: bool,
    ) -> Result<(), BinanceError> {
        if let Some(price) = price {
            self.check_price(price)?;
        }
        if qty <= Decimal::ZERO {
            return Err(BinanceError::QtyNotPositive);
        }
        if qty < self.min_qty {
            return Err(BinanceError::QtyBelowMin);
        }
        let max = if price.is_none() {
            self.market_max_qty
        } else {
            self.max_qty
        };
        if qty > max {
            return Err(BinanceError::QtyAboveMax);
        }
        if !((qty - self.min_qty) % self.step).is_zero() {
            return Err(BinanceError::OffStep);
        }
        let notional = price
            .unwrap_or(mark)
            .checked_mul(qty)
            .ok_or(BinanceError::QtyAboveMax)?;
        if notional < self.min_notional && !reduce_only {
            return Err(BinanceError::MinNotional(self.min_notional));
        }
        if let Some(price) = price {
            if price > mark * self.up {
                return Err(BinanceError::AboveMultiplierUp);
            }
            if price < mark * self.down {
                return Err(BinanceError::BelowMultiplierDown);
            }
        }
        Ok(())
    }
}

/// The rate limits exchangeInfo publishes: the ones this simulator enforces.
pub(super) struct PublishedLimits {
    pub weight_per_minute: u32,
    pub orders_per_minute: u32,
    pub orders_per_10s: u32,
}

/// exchangeInfo for the listed `symbols`.
pub(super) fn exchange_info(server_time: i64, limits: PublishedLimits, symbols: &[&str]) -> Value {
    let symbols: Vec<Value> = symbols
        .iter()
        .map(|s| (s, rules(s)))
        .map(|(symbol, r)| {
            let base = symbol.trim_end_matches("USDT");
            json!({
                "symbol": symbol, "pair": symbol, "contractType": "PERPETUAL", "status": "TRADING",
                "baseAsset": base, "quoteAsset": "USDT", "marginAsset": "USDT",
                "pricePrecision": r.tick.scale(), "quantityPrecision": r.step.scale(),
                "filters": [
                    {"filterType": "PRICE_FILTER", "minPrice": r.min_price.to_string(), "maxPrice": r.max_price.to_string(), "tickSize": r.tick.to_string()},
                    {"filterType": "LOT_SIZE", "minQty": r.min_qty.to_string(), "maxQty": r.max_qty.to_string(), "stepSize": r.step.to_string()},
                    {"filterType": "MARKET_LOT_SIZE", "minQty": r.min_qty.to_string(), "maxQty": r.market_max_qty.to_string(), "stepSize": r.step.to_string()},
                    {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                    {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
                    {"filterType": "MIN_NOTIONAL", "notional": r.min_notional.to_string()},
                    {"filterType": "PERCENT_PRICE", "multiplierUp": r.up.to_string(), "multiplierDown": r.down.to_string(), "multiplierDecimal": "4"}
                ],
                "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"],
                "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"]
            })
        })
        .collect();
    json!({
        "timezone": "UTC",
        "serverTime": server_time,
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": limits.weight_per_minute},
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": limits.orders_per_minute},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": limits.orders_per_10s}
        ],
        "exchangeFilters": [],
        "assets": [{"asset": "USDT", "marginAvailable": true, "autoAssetExchange": "-10000"}],
        "symbols": symbols
    })
}
