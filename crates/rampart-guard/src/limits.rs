//! The pre-trade limits of one account: defaults the user can tighten in settings, never loosen.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How far through the mark a limit price may go, in % of the mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct Band {
    /// Beyond this the order needs a confirmation.
    #[ts(type = "string")]
    pub warn_pct: Decimal,
    /// Beyond this the order is refused.
    #[ts(type = "string")]
    pub block_pct: Decimal,
}

impl Band {
    pub const DEFAULT: Band = Band {
        warn_pct: Decimal::from_parts(2, 0, 0, false, 0),
        block_pct: Decimal::from_parts(10, 0, 0, false, 0),
    };
}

/// One account's pre-trade limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct Limits {
    pub band: Band,
    /// Per-instrument bands (a volatile instrument may get a wider warning band, within the
    /// default blocking band).
    pub band_overrides: BTreeMap<String, Band>,
    /// The most one order may be worth, in the quote currency.
    #[ts(type = "string")]
    pub max_order_notional: Decimal,
    /// The most a position may be worth after an order that grows it.
    #[ts(type = "string")]
    pub max_position_notional: Decimal,
    pub max_leverage: u32,
    pub max_open_orders: u32,
    /// An identical order within this many ms of the last asks for a confirmation.
    #[ts(type = "number")]
    pub duplicate_window_ms: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            band: Band::DEFAULT,
            band_overrides: BTreeMap::new(),
            max_order_notional: Decimal::new(1_000_000, 0),
            max_position_notional: Decimal::new(5_000_000, 0),
            max_leverage: 20,
            max_open_orders: 100,
            duplicate_window_ms: 2_000,
        }
    }
}

/// Why a proposed set of limits was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitsError {
    #[error("{0} can be tightened, not loosened: at most {1}")]
    Looser(&'static str, String),
    #[error("{0} must be greater than zero")]
    NotPositive(&'static str),
    #[error("the warning band ({warn}%) must not be wider than the blocking band ({block}%)")]
    WarnBeyondBlock { warn: Decimal, block: Decimal },
}

fn band_ok(name: &'static str, band: &Band) -> Result<(), LimitsError> {
    if band.warn_pct <= Decimal::ZERO || band.block_pct <= Decimal::ZERO {
        return Err(LimitsError::NotPositive(name));
    }
    if band.block_pct > Band::DEFAULT.block_pct {
        return Err(LimitsError::Looser(
            name,
            format!("{}%", Band::DEFAULT.block_pct),
        ));
    }
    if band.warn_pct > band.block_pct {
        return Err(LimitsError::WarnBeyondBlock {
            warn: band.warn_pct,
            block: band.block_pct,
        });
    }
    Ok(())
}

impl Limits {
    /// The band for `symbol`.
    pub fn band_for(&self, symbol: &str) -> Band {
        self.band_overrides
            .get(symbol)
            .copied()
            .unwrap_or(self.band)
    }

    /// Checks limits the user proposes: each at most the default, each positive.
    pub fn checked(self) -> Result<Limits, LimitsError> {
        let d = Limits::default();
        band_ok("the price band", &self.band)?;
        for band in self.band_overrides.values() {
            band_ok("an instrument's price band", band)?;
        }
        let decimals = [
            (
                "the order value cap",
                self.max_order_notional,
                d.max_order_notional,
            ),
            (
                "the position value cap",
                self.max_position_notional,
                d.max_position_notional,
            ),
        ];
        for (name, value, default) in decimals {
            if value <= Decimal::ZERO {
                return Err(LimitsError::NotPositive(name));
            }
            if value > default {
                return Err(LimitsError::Looser(name, default.to_string()));
            }
        }
        let counts = [
            ("the leverage cap", self.max_leverage, d.max_leverage),
            (
                "the open orders cap",
                self.max_open_orders,
                d.max_open_orders,
            ),
        ];
        for (name, value, default) in counts {
            if value == 0 {
                return Err(LimitsError::NotPositive(name));
            }
            if value > default {
                return Err(LimitsError::Looser(name, default.to_string()));
            }
        }
        // A longer duplicate window is tighter; a shorter one is looser.
        if self.duplicate_window_ms < d.duplicate_window_ms {
            return Err(LimitsError::Looser(
                "the duplicate order window",
                format!("at least {} ms", d.duplicate_window_ms),
            ));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_can_be_tightened_but_not_loosened() {
        let tighter = Limits {
            max_order_notional: Decimal::new(50_000, 0),
            max_leverage: 5,
            band: Band {
                warn_pct: Decimal::ONE,
                block_pct: Decimal::new(5, 0),
            },
            ..Limits::default()
        };
        assert!(tighter.checked().is_ok());
        let looser = Limits {
            max_leverage: 50,
            ..Limits::default()
        };
        assert!(matches!(looser.checked(), Err(LimitsError::Looser(..))));
        let wide = Limits {
            band: Band {
                warn_pct: Decimal::new(2, 0),
                block_pct: Decimal::new(20, 0),
            },
            ..Limits::default()
        };
        assert!(matches!(wide.checked(), Err(LimitsError::Looser(..))));
        let inverted = Limits {
            band: Band {
                warn_pct: Decimal::new(8, 0),
                block_pct: Decimal::new(4, 0),
            },
            ..Limits::default()
        };
        assert!(matches!(
            inverted.checked(),
            Err(LimitsError::WarnBeyondBlock { .. })
        ));
        let zero = Limits {
            max_open_orders: 0,
            ..Limits::default()
        };
        assert!(matches!(zero.checked(), Err(LimitsError::NotPositive(_))));
        let short = Limits {
            duplicate_window_ms: 500,
            ..Limits::default()
        };
        assert!(matches!(short.checked(), Err(LimitsError::Looser(..))));
    }
}
