//! Deribit's wire shapes, as its API reference documents each method's `result` (numbers kept
//! as text: see [`super::json`]). Only the fields Rampart reads are named; the rest are ignored.

use serde::Deserialize;

use super::json::Num;

/// A string field that may be absent or `null` (read as empty).
fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// A JSON-RPC error object: `{"code": 10009, "message": "not_enough_funds", "data": …}`.
#[derive(Debug, Clone, Deserialize)]
pub struct RpcError {
    pub code: Num,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub data: Option<serde_json::Value>,
}

/// `tick_size_steps[]` of an instrument.
#[derive(Debug, Clone, Deserialize)]
pub struct TickSizeStep {
    pub above_price: Num,
    pub tick_size: Num,
}

/// One row of `public/get_instruments`.
#[derive(Debug, Clone, Deserialize)]
pub struct Instrument {
    pub instrument_name: String,
    /// "future", "option", "spot", "future_combo", "option_combo".
    pub kind: String,
    pub base_currency: String,
    #[serde(default, deserialize_with = "text")]
    pub counter_currency: String,
    pub quote_currency: String,
    #[serde(default)]
    pub settlement_currency: Option<String>,
    /// "perpetual", "week", "month", … (absent for spot).
    #[serde(default)]
    pub settlement_period: Option<String>,
    /// "linear" or "reversed".
    #[serde(default)]
    pub instrument_type: Option<String>,
    pub is_active: bool,
    pub tick_size: Num,
    #[serde(default)]
    pub tick_size_steps: Vec<TickSizeStep>,
    pub contract_size: Num,
    pub min_trade_amount: Num,
    #[serde(default)]
    pub expiration_timestamp: Option<Num>,
    #[serde(default)]
    pub strike: Option<Num>,
    /// "call" or "put", options only.
    #[serde(default)]
    pub option_type: Option<String>,
    #[serde(default)]
    pub price_index: Option<String>,
    #[serde(default)]
    pub max_leverage: Option<Num>,
    #[serde(default)]
    pub maker_commission: Option<Num>,
    #[serde(default)]
    pub taker_commission: Option<Num>,
}

/// An order, as `private/buy`, `private/get_order_state_by_label`, `user.orders.*` give it.
#[derive(Debug, Clone, Deserialize)]
pub struct Order {
    pub order_id: String,
    pub instrument_name: String,
    /// "open", "filled", "rejected", "cancelled", "untriggered".
    pub order_state: String,
    /// "buy" or "sell".
    pub direction: String,
    /// "limit", "market", "stop_limit", "stop_market", "take_limit", "take_market", …
    pub order_type: String,
    #[serde(default, deserialize_with = "text")]
    pub label: String,
    pub amount: Num,
    #[serde(default)]
    pub contracts: Option<Num>,
    #[serde(default)]
    pub filled_amount: Option<Num>,
    /// A number, or "market_price" for an untriggered market order.
    #[serde(default)]
    pub price: Option<Num>,
    #[serde(default)]
    pub average_price: Option<Num>,
    #[serde(default)]
    pub trigger_price: Option<Num>,
    #[serde(default)]
    pub reduce_only: bool,
    #[serde(default)]
    pub post_only: bool,
    #[serde(default, deserialize_with = "text")]
    pub time_in_force: String,
    #[serde(default)]
    pub cancel_reason: Option<String>,
    pub last_update_timestamp: Num,
    #[serde(default)]
    pub creation_timestamp: Option<Num>,
}

/// A trade of the account (`private/buy`'s `trades[]`, `user.trades.*`).
#[derive(Debug, Clone, Deserialize)]
pub struct UserTrade {
    pub trade_id: String,
    pub order_id: String,
    pub instrument_name: String,
    pub direction: String,
    pub amount: Num,
    #[serde(default)]
    pub contracts: Option<Num>,
    pub price: Num,
    #[serde(default)]
    pub fee: Option<Num>,
    #[serde(default)]
    pub fee_currency: Option<String>,
    /// "M" maker, "T" taker.
    #[serde(default, deserialize_with = "text")]
    pub liquidity: String,
    #[serde(default, deserialize_with = "text")]
    pub label: String,
    #[serde(default)]
    pub profit_loss: Option<Num>,
    pub timestamp: Num,
}

/// `private/buy`, `private/sell`, `private/edit*`: `{"order": …, "trades": […]}`.
#[derive(Debug, Clone, Deserialize)]
pub struct OrderResult {
    pub order: Order,
    #[serde(default)]
    pub trades: Vec<UserTrade>,
}

/// One row of `private/get_positions` (and `user.changes`' `positions`).
#[derive(Debug, Clone, Deserialize)]
pub struct Position {
    pub instrument_name: String,
    /// "future", "option", …
    #[serde(default, deserialize_with = "text")]
    pub kind: String,
    /// "buy", "sell" or "zero".
    pub direction: String,
    /// Futures: USD; options: the coin. Signed (negative short).
    pub size: Num,
    #[serde(default)]
    pub average_price: Option<Num>,
    #[serde(default)]
    pub mark_price: Option<Num>,
    #[serde(default)]
    pub floating_profit_loss: Option<Num>,
    #[serde(default)]
    pub estimated_liquidation_price: Option<Num>,
    #[serde(default)]
    pub leverage: Option<Num>,
    #[serde(default)]
    pub delta: Option<Num>,
    #[serde(default)]
    pub gamma: Option<Num>,
    #[serde(default)]
    pub vega: Option<Num>,
    #[serde(default)]
    pub theta: Option<Num>,
}

/// `private/get_account_summary` (and the `user.portfolio.{currency}` push).
#[derive(Debug, Clone, Deserialize)]
pub struct AccountSummary {
    pub currency: String,
    pub balance: Num,
    #[serde(default)]
    pub equity: Option<Num>,
    pub available_funds: Num,
    #[serde(default)]
    pub session_upl: Option<Num>,
    #[serde(default)]
    pub futures_session_upl: Option<Num>,
    #[serde(default)]
    pub options_session_upl: Option<Num>,
    /// The sub-account's rate limits ("described in separate document").
    #[serde(default)]
    pub limits: Option<serde_json::Value>,
}

/// An option's greeks in a ticker.
#[derive(Debug, Clone, Deserialize)]
pub struct TickerGreeks {
    pub delta: Num,
    pub gamma: Num,
    pub vega: Num,
    pub theta: Num,
    #[serde(default)]
    pub rho: Option<Num>,
}

/// `public/ticker` (and the `ticker.{instrument}.{interval}` push).
#[derive(Debug, Clone, Deserialize)]
pub struct Ticker {
    pub instrument_name: String,
    pub mark_price: Num,
    #[serde(default)]
    pub index_price: Option<Num>,
    #[serde(default)]
    pub mark_iv: Option<Num>,
    #[serde(default)]
    pub current_funding: Option<Num>,
    #[serde(default)]
    pub funding_8h: Option<Num>,
    #[serde(default)]
    pub greeks: Option<TickerGreeks>,
    #[serde(default)]
    pub best_bid_price: Option<Num>,
    #[serde(default)]
    pub best_ask_price: Option<Num>,
    pub timestamp: Num,
}

/// One row of `public/get_book_summary_by_currency`: "summary information such as open
/// interest, 24-hour volume, best bid/ask prices" for every instrument of a currency. The best
/// prices are `null` on an empty side; `mark_iv` and `underlying_price` come with options only.
#[derive(Debug, Clone, Deserialize)]
pub struct BookSummary {
    pub instrument_name: String,
    #[serde(default)]
    pub bid_price: Option<Num>,
    #[serde(default)]
    pub ask_price: Option<Num>,
    #[serde(default)]
    pub mark_price: Option<Num>,
    #[serde(default)]
    pub mark_iv: Option<Num>,
    #[serde(default)]
    pub underlying_price: Option<Num>,
    /// Options: in the base coin.
    #[serde(default)]
    pub open_interest: Option<Num>,
    /// 24 h, in the base coin.
    #[serde(default)]
    pub volume: Option<Num>,
}

/// `public/get_order_book`: levels as `[price, amount]`.
#[derive(Debug, Clone, Deserialize)]
pub struct OrderBook {
    pub instrument_name: String,
    pub bids: Vec<(Num, Num)>,
    pub asks: Vec<(Num, Num)>,
    #[serde(default)]
    pub change_id: Option<Num>,
    pub timestamp: Num,
}

/// The `book.{instrument}.{interval}` push: levels as `[action, price, amount]`, `action`
/// "new", "change" or "delete"; `prev_change_id` on every push but the first.
#[derive(Debug, Clone, Deserialize)]
pub struct BookChange {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    pub instrument_name: String,
    pub change_id: Num,
    #[serde(default)]
    pub prev_change_id: Option<Num>,
    pub bids: Vec<(String, Num, Num)>,
    pub asks: Vec<(String, Num, Num)>,
    pub timestamp: Num,
}

/// A public trade (`trades.{instrument}.{interval}`).
#[derive(Debug, Clone, Deserialize)]
pub struct PublicTrade {
    pub trade_id: String,
    pub instrument_name: String,
    pub price: Num,
    pub amount: Num,
    #[serde(default)]
    pub contracts: Option<Num>,
    pub direction: String,
    pub timestamp: Num,
}

/// `public/get_tradingview_chart_data`: columns of equal length.
#[derive(Debug, Clone, Deserialize)]
pub struct ChartData {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub ticks: Vec<Num>,
    #[serde(default)]
    pub open: Vec<Num>,
    #[serde(default)]
    pub high: Vec<Num>,
    #[serde(default)]
    pub low: Vec<Num>,
    #[serde(default)]
    pub close: Vec<Num>,
    #[serde(default)]
    pub volume: Vec<Num>,
}

/// `private/get_cancel_on_disconnect`.
#[derive(Debug, Clone, Deserialize)]
pub struct CancelOnDisconnect {
    pub scope: String,
    pub enabled: bool,
}
