//! Venues and the vocabulary of an order.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// An exchange Rampart can connect to. `Demo` is the built-in simulator: no keys, no network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum Venue {
    Demo,
    BinanceUsdm,
    Bybit,
    Okx,
    Deribit,
}

impl Venue {
    pub const ALL: [Venue; 5] = [
        Venue::Demo,
        Venue::BinanceUsdm,
        Venue::Bybit,
        Venue::Okx,
        Venue::Deribit,
    ];

    /// The name a trader knows the venue by.
    pub const fn display_name(self) -> &'static str {
        match self {
            Venue::Demo => "Demo (built-in simulator)",
            Venue::BinanceUsdm => "Binance USDⓈ-M Futures",
            Venue::Bybit => "Bybit",
            Venue::Okx => "OKX",
            Venue::Deribit => "Deribit",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub const fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum OrderType {
    Market,
    Limit,
    StopMarket,
    StopLimit,
    TakeProfitMarket,
    TakeProfitLimit,
}

impl OrderType {
    /// Whether the order carries a limit price.
    pub const fn has_limit_price(self) -> bool {
        matches!(
            self,
            OrderType::Limit | OrderType::StopLimit | OrderType::TakeProfitLimit
        )
    }

    /// Whether the order waits for a trigger (stop) price.
    pub const fn has_trigger_price(self) -> bool {
        matches!(
            self,
            OrderType::StopMarket
                | OrderType::StopLimit
                | OrderType::TakeProfitMarket
                | OrderType::TakeProfitLimit
        )
    }
}

/// How long a limit order rests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum TimeInForce {
    /// Good till cancelled.
    Gtc,
    /// Immediate or cancel: fill what can be filled now, cancel the rest.
    Ioc,
    /// Fill or kill: fill all now or nothing.
    Fok,
    /// Post only: rejected (not filled) if it would take liquidity.
    PostOnly,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn venue_wire_names_are_stable() {
        let names: Vec<String> = Venue::ALL
            .iter()
            .map(|v| serde_json::to_string(v).unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "\"demo\"",
                "\"binance_usdm\"",
                "\"bybit\"",
                "\"okx\"",
                "\"deribit\""
            ]
        );
    }

    #[test]
    fn order_type_price_fields() {
        assert!(!OrderType::Market.has_limit_price());
        assert!(!OrderType::Market.has_trigger_price());
        assert!(OrderType::Limit.has_limit_price());
        assert!(OrderType::StopLimit.has_limit_price() && OrderType::StopLimit.has_trigger_price());
        assert!(!OrderType::StopMarket.has_limit_price());
        assert_eq!(Side::Buy.opposite(), Side::Sell);
    }
}
