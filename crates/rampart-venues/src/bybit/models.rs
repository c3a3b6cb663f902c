//! Bybit v5's wire shapes, as its pages document them (each type names its page). Amounts stay
//! the venue's strings here; [`super::convert`] parses them into decimals, so a malformed amount
//! is a typed error with the field's name, never a panic and never a float.

use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Every REST answer: "Integration Guidance → Common response parameters".
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T> {
    pub ret_code: i64,
    #[serde(default)]
    pub ret_msg: String,
    #[serde(default = "Option::default")]
    pub result: Option<T>,
    /// The venue's time of the answer (ms).
    #[serde(default)]
    pub time: Option<i64>,
}

/// `GET /v5/market/time` ("Get Bybit Server Time").
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerTime {
    pub time_second: String,
    pub time_nano: String,
}

/// `GET /v5/market/instruments-info` ("Get Instruments Info"), linear and inverse.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstrumentsPage {
    #[serde(default)]
    pub category: String,
    pub list: Vec<Instrument>,
    #[serde(default)]
    pub next_page_cursor: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Instrument {
    pub symbol: String,
    /// `LinearPerpetual`, `LinearFutures`, `InversePerpetual`, `InverseFutures`.
    pub contract_type: String,
    /// `PreLaunch`, `Trading`, `Delivering`, `Closed`.
    pub status: String,
    pub base_coin: String,
    pub quote_coin: String,
    #[serde(default)]
    pub settle_coin: String,
    /// ms as a string; "0" for perpetuals.
    #[serde(default)]
    pub delivery_time: String,
    pub leverage_filter: LeverageFilter,
    pub price_filter: PriceFilter,
    pub lot_size_filter: LotSizeFilter,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeverageFilter {
    #[serde(default)]
    pub max_leverage: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceFilter {
    pub min_price: String,
    pub max_price: String,
    pub tick_size: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LotSizeFilter {
    pub max_order_qty: String,
    pub min_order_qty: String,
    pub qty_step: String,
    #[serde(default)]
    pub max_mkt_order_qty: String,
    #[serde(default)]
    pub min_notional_value: String,
}

/// `POST /v5/order/create` and `/v5/order/cancel` ("Place Order", "Cancel Order").
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderIds {
    pub order_id: String,
    #[serde(default)]
    pub order_link_id: String,
}

/// `GET /v5/order/realtime` and `/v5/order/history` ("Get Open & Closed Orders", "Get Order
/// History"); also the `order` topic of the private stream.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderList {
    pub list: Vec<Order>,
    #[serde(default)]
    pub next_page_cursor: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_id: String,
    #[serde(default)]
    pub order_link_id: String,
    pub symbol: String,
    #[serde(default)]
    pub price: String,
    pub qty: String,
    /// `Buy`, `Sell`.
    pub side: String,
    #[serde(default)]
    pub position_idx: i64,
    /// `New`, `PartiallyFilled`, `Untriggered`, `Rejected`, `PartiallyFilledCanceled`,
    /// `Filled`, `Cancelled`, `Triggered`, `Deactivated`.
    pub order_status: String,
    #[serde(default)]
    pub avg_price: String,
    #[serde(default)]
    pub cum_exec_qty: String,
    #[serde(default)]
    pub time_in_force: String,
    /// `Market`, `Limit`.
    pub order_type: String,
    /// `""`/`UNKNOWN` for a plain order, `Stop` for a conditional one, `TakeProfit`, …
    #[serde(default)]
    pub stop_order_type: String,
    #[serde(default)]
    pub trigger_price: String,
    /// 1: triggered when the price rises to `trigger_price`; 2: when it falls.
    #[serde(default)]
    pub trigger_direction: i64,
    #[serde(default)]
    pub reduce_only: bool,
    #[serde(default)]
    pub updated_time: String,
    #[serde(default)]
    pub category: String,
}

/// `GET /v5/position/list` ("Get Position Info"); also the `position` topic.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionList {
    pub list: Vec<PositionInfo>,
    #[serde(default)]
    pub next_page_cursor: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionInfo {
    pub symbol: String,
    /// 0: one-way mode; 1: hedge-mode buy side; 2: hedge-mode sell side.
    #[serde(default)]
    pub position_idx: i64,
    /// 0: cross margin; 1: isolated margin.
    #[serde(default)]
    pub trade_mode: i64,
    /// `Buy`, `Sell`, or `""` when empty.
    #[serde(default)]
    pub side: String,
    pub size: String,
    /// The REST page's entry price (`avgPrice`).
    #[serde(default)]
    pub avg_price: String,
    /// The stream's name for the entry price (`entryPrice`); a message may carry both.
    #[serde(default)]
    pub entry_price: String,
    #[serde(default)]
    pub mark_price: String,
    #[serde(default)]
    pub unrealised_pnl: String,
    #[serde(default)]
    pub leverage: String,
    #[serde(default)]
    pub liq_price: String,
    #[serde(default)]
    pub category: String,
}

/// `GET /v5/account/wallet-balance` ("Get Wallet Balance"); also the `wallet` topic.
#[derive(Debug, Deserialize)]
pub struct WalletList {
    pub list: Vec<Wallet>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Wallet {
    #[serde(default)]
    pub account_type: String,
    pub coin: Vec<WalletCoin>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletCoin {
    pub coin: String,
    pub wallet_balance: String,
    #[serde(default)]
    pub unrealised_pnl: String,
    /// Deprecated for unified accounts (sent as `""`).
    #[serde(default)]
    pub available_to_withdraw: String,
    #[serde(default, rename = "totalOrderIM")]
    pub total_order_im: String,
    #[serde(default, rename = "totalPositionIM")]
    pub total_position_im: String,
    #[serde(default)]
    pub locked: String,
}

/// `GET /v5/market/tickers` ("Get Tickers"), linear and inverse; also the `tickers.{symbol}`
/// topic (whose deltas carry only the fields that changed).
#[derive(Debug, Deserialize)]
pub struct Tickers {
    pub list: Vec<Ticker>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticker {
    pub symbol: String,
    #[serde(default)]
    pub mark_price: Option<String>,
    #[serde(default)]
    pub index_price: Option<String>,
    #[serde(default)]
    pub funding_rate: Option<String>,
    #[serde(default)]
    pub next_funding_time: Option<String>,
}

/// `GET /v5/market/orderbook` ("Get Orderbook"); also the `orderbook.{depth}.{symbol}` topic.
#[derive(Debug, Clone, Deserialize)]
pub struct Book {
    pub s: String,
    pub b: Vec<[String; 2]>,
    pub a: Vec<[String; 2]>,
    #[serde(default)]
    pub ts: Option<i64>,
    pub u: u64,
    #[serde(default)]
    pub seq: Option<u64>,
}

/// `GET /v5/market/kline` ("Get Kline"): `[startTime, open, high, low, close, volume,
/// turnover]`, newest first.
#[derive(Debug, Deserialize)]
pub struct Klines {
    #[serde(default)]
    pub symbol: String,
    pub list: Vec<[String; 7]>,
}

/// `GET /v5/account/fee-rate` ("Get Fee Rate").
#[derive(Debug, Deserialize)]
pub struct FeeRateList {
    pub list: Vec<FeeRate>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeeRate {
    pub symbol: String,
    pub taker_fee_rate: String,
    pub maker_fee_rate: String,
}

/// `GET /v5/user/query-api` ("Get API Key Information").
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyInfo {
    /// 0: read and write; 1: read only.
    pub read_only: i64,
    pub permissions: ApiPermissions,
    #[serde(default)]
    pub ips: Vec<String>,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub expired_at: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApiPermissions {
    #[serde(default)]
    pub contract_trade: Vec<String>,
    #[serde(default)]
    pub derivatives: Vec<String>,
    #[serde(default)]
    pub wallet: Vec<String>,
}

/// A message of the public or private stream: data under a topic, or an answer to an `op`.
#[derive(Debug, Deserialize)]
pub struct StreamMessage {
    #[serde(default)]
    pub topic: Option<String>,
    /// `snapshot` or `delta` on public topics.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub data: Option<serde_json::Value>,
    /// A number, though the docs also show it as a string.
    #[serde(default)]
    pub ts: Option<serde_json::Value>,
    #[serde(default)]
    pub op: Option<String>,
    #[serde(default)]
    pub req_id: Option<String>,
    #[serde(default)]
    pub success: Option<bool>,
    #[serde(default)]
    pub ret_msg: Option<String>,
}

/// A stream's `data` as `T` (a list for the private topics).
pub fn data_as<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, serde_json::Error> {
    T::deserialize(value)
}

impl StreamMessage {
    /// `ts` as ms, whether Bybit sent it as a number or a string.
    pub fn ts_ms(&self) -> Option<i64> {
        match self.ts.as_ref()? {
            serde_json::Value::Number(n) => n.as_i64(),
            serde_json::Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }
}
