//! What the venues' streams report, venue-neutral: market updates for one instrument (mark,
//! book, trades, candles) and account updates (orders, fills, positions, balances), with the
//! state of the stream itself. Each connector turns its venue's stream messages into these; the
//! engine keeps the latest state from them and the workspace shows it.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::market::Side;
use crate::trading::{MarginMode, MarkPrice, OrderBook, OrderState, PositionSide};

/// A candle's length. The venues name them differently (`1m`, `1`, `1m`…); connectors map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum CandleInterval {
    M1,
    M5,
    M15,
    H1,
    H4,
    D1,
}

impl CandleInterval {
    pub const ALL: [CandleInterval; 6] = [
        CandleInterval::M1,
        CandleInterval::M5,
        CandleInterval::M15,
        CandleInterval::H1,
        CandleInterval::H4,
        CandleInterval::D1,
    ];

    /// The interval's length in ms.
    pub fn millis(self) -> i64 {
        const MINUTE: i64 = 60_000;
        match self {
            CandleInterval::M1 => MINUTE,
            CandleInterval::M5 => 5 * MINUTE,
            CandleInterval::M15 => 15 * MINUTE,
            CandleInterval::H1 => 60 * MINUTE,
            CandleInterval::H4 => 240 * MINUTE,
            CandleInterval::D1 => 1440 * MINUTE,
        }
    }
}

/// One candle (kline) of an instrument's last-traded prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct Candle {
    /// Start of the candle (ms since the Unix epoch, venue time).
    #[ts(type = "number")]
    pub open_time_ms: i64,
    #[ts(type = "string")]
    pub open: Decimal,
    #[ts(type = "string")]
    pub high: Decimal,
    #[ts(type = "string")]
    pub low: Decimal,
    #[ts(type = "string")]
    pub close: Decimal,
    /// In the instrument's size unit.
    #[ts(type = "string")]
    pub volume: Decimal,
    /// Whether the candle is final (its interval has ended).
    pub closed: bool,
}

/// One public trade (or one aggregate of trades at a price, where the venue aggregates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct PublicTrade {
    #[ts(type = "string")]
    pub price: Decimal,
    #[ts(type = "string")]
    pub qty: Decimal,
    /// The aggressor's side: `Buy` when a buyer took an ask.
    pub taker_side: Side,
    #[ts(type = "number")]
    pub time_ms: i64,
}

/// One execution of one of the account's orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct Fill {
    pub symbol: String,
    pub venue_order_id: String,
    pub client_order_id: String,
    /// The venue's trade id.
    pub trade_id: String,
    pub side: Side,
    #[ts(type = "string")]
    pub qty: Decimal,
    #[ts(type = "string")]
    pub price: Decimal,
    /// The fee charged (negative for a rebate), in `fee_asset`; zero when the venue reports none.
    #[ts(type = "string")]
    pub fee: Decimal,
    pub fee_asset: Option<String>,
    pub maker: bool,
    /// PnL this fill realised, in the instrument's settle asset.
    #[ts(type = "string")]
    pub realized_pnl: Decimal,
    #[ts(type = "number")]
    pub time_ms: i64,
}

/// A change to one instrument's market data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarketUpdate {
    Mark(MarkPrice),
    /// The book's best levels after the venue's latest change, kept locally from the venue's
    /// snapshot and diffs.
    Book(OrderBook),
    Trade(PublicTrade),
    /// The current candle (its latest state) or one that just closed.
    Candle {
        interval: CandleInterval,
        candle: Candle,
    },
}

/// A position as a private stream reports it when it changes: size, entry and margin mode.
/// Mark, liquidation price and leverage are not in every venue's stream message; the full
/// [`crate::trading::Position`] comes from the venue's position endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct PositionChange {
    pub symbol: String,
    pub position_side: PositionSide,
    pub margin_mode: Option<MarginMode>,
    /// Signed (negative is short); zero when the position was closed.
    #[ts(type = "string")]
    pub qty: Decimal,
    #[ts(type = "string")]
    pub entry_price: Decimal,
    /// As the venue computed it when it sent the change.
    #[ts(type = "string")]
    pub unrealized_pnl: Decimal,
}

/// An asset's wallet balance as a private stream reports it when it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct BalanceChange {
    pub asset: String,
    #[ts(type = "string")]
    pub wallet: Decimal,
}

/// A change to the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountUpdate {
    /// An order was placed, changed, filled, cancelled or expired (by this terminal or not).
    Order(OrderState),
    Fill(Fill),
    /// The positions the venue reported as changed.
    Positions(Vec<PositionChange>),
    /// The balances the venue reported as changed.
    Balances(Vec<BalanceChange>),
}

/// What happened to a stream itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedStatus {
    /// Connected (the first time or again): updates may have been missed before this, so state
    /// kept from the stream must be read again over REST.
    Connected,
    /// The connection ended or could not be made; the connector retries with back-off.
    Lost(String),
    /// The stream has stopped for good (e.g. the venue refused the key); nothing more follows.
    Stopped(String),
}

/// One message from a stream: its data, or news about the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedEvent<T> {
    Update(T),
    Status(FeedStatus),
}
