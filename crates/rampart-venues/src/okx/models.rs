//! OKX v5's JSON shapes as it sends them: every number is a string (parsed into `Decimal` in
//! [`super::convert`]). Field names from the v5 documentation's response tables; fields Rampart
//! does not read are left out (serde ignores them). An empty string is OKX's "not set".

use serde::Deserialize;

/// Every REST answer: `{"code":"0","msg":"","data":[…]}`.
#[derive(Debug, Deserialize)]
pub struct Envelope<T> {
    pub code: String,
    #[serde(default)]
    pub msg: String,
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
}

/// `GET /api/v5/public/time`.
#[derive(Debug, Deserialize)]
pub struct ServerTime {
    pub ts: String,
}

/// `GET /api/v5/public/instruments`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Instrument {
    pub inst_type: String,
    pub inst_id: String,
    #[serde(default)]
    pub uly: String,
    #[serde(default)]
    pub inst_family: String,
    #[serde(default)]
    pub settle_ccy: String,
    #[serde(default)]
    pub ct_val: String,
    #[serde(default)]
    pub ct_mult: String,
    #[serde(default)]
    pub ct_val_ccy: String,
    /// `linear` or `inverse`.
    #[serde(default)]
    pub ct_type: String,
    pub tick_sz: String,
    pub lot_sz: String,
    pub min_sz: String,
    #[serde(default)]
    pub max_lmt_sz: String,
    #[serde(default)]
    pub max_mkt_sz: String,
    #[serde(default)]
    pub lever: String,
    #[serde(default)]
    pub exp_time: String,
    /// `live`, `suspend`, `preopen`, `test`.
    pub state: String,
}

/// One row of a trade answer (place, cancel): the per-order result.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderResult {
    #[serde(default)]
    pub ord_id: String,
    #[serde(default)]
    pub cl_ord_id: String,
    #[serde(default)]
    pub algo_id: String,
    #[serde(default)]
    pub algo_cl_ord_id: String,
    #[serde(default)]
    pub s_code: String,
    #[serde(default)]
    pub s_msg: String,
}

/// An order: `GET /api/v5/trade/order`, `orders-pending`, and the `orders` channel (which adds
/// the fill fields).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub inst_id: String,
    pub ord_id: String,
    #[serde(default)]
    pub cl_ord_id: String,
    /// Set on an order an algo order placed when it triggered: that algo order's ids.
    #[serde(default)]
    pub algo_id: String,
    #[serde(default)]
    pub algo_cl_ord_id: String,
    #[serde(default)]
    pub px: String,
    pub sz: String,
    pub ord_type: String,
    pub side: String,
    #[serde(default)]
    pub pos_side: String,
    #[serde(default)]
    pub acc_fill_sz: String,
    #[serde(default)]
    pub avg_px: String,
    /// `live`, `partially_filled`, `filled`, `canceled`, `mmp_canceled`.
    pub state: String,
    #[serde(default)]
    pub reduce_only: String,
    #[serde(default)]
    pub u_time: String,
    #[serde(default)]
    pub c_time: String,
    // The `orders` channel's fill fields.
    #[serde(default)]
    pub trade_id: String,
    #[serde(default)]
    pub fill_sz: String,
    #[serde(default)]
    pub fill_px: String,
    #[serde(default)]
    pub fill_time: String,
    #[serde(default)]
    pub fill_fee: String,
    #[serde(default)]
    pub fill_fee_ccy: String,
    #[serde(default)]
    pub fill_pnl: String,
    /// `T` taker, `M` maker.
    #[serde(default)]
    pub exec_type: String,
}

/// An algo order: `GET /api/v5/trade/order-algo`, `orders-algo-pending`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlgoOrder {
    pub inst_id: String,
    pub algo_id: String,
    #[serde(default)]
    pub algo_cl_ord_id: String,
    /// The order it placed once triggered ("" before).
    #[serde(default)]
    pub ord_id: String,
    pub ord_type: String,
    pub side: String,
    #[serde(default)]
    pub pos_side: String,
    pub sz: String,
    /// `live`, `pause`, `partially_effective`, `effective`, `canceled`, `order_failed`.
    pub state: String,
    #[serde(default)]
    pub sl_trigger_px: String,
    #[serde(default)]
    pub sl_ord_px: String,
    #[serde(default)]
    pub tp_trigger_px: String,
    #[serde(default)]
    pub tp_ord_px: String,
    #[serde(default)]
    pub actual_sz: String,
    #[serde(default)]
    pub actual_px: String,
    #[serde(default)]
    pub reduce_only: String,
    #[serde(default)]
    pub u_time: String,
    #[serde(default)]
    pub c_time: String,
}

/// `GET /api/v5/account/positions` and the `positions` channel.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Position {
    /// `MARGIN`, `SWAP`, `FUTURES`, `OPTION`.
    #[serde(default)]
    pub inst_type: String,
    pub inst_id: String,
    #[serde(default)]
    pub mgn_mode: String,
    #[serde(default)]
    pub pos_side: String,
    pub pos: String,
    #[serde(default)]
    pub avg_px: String,
    #[serde(default)]
    pub mark_px: String,
    #[serde(default)]
    pub upl: String,
    #[serde(default)]
    pub lever: String,
    #[serde(default)]
    pub liq_px: String,
}

/// `GET /api/v5/account/balance` and the `account` channel: one row per account.
#[derive(Debug, Deserialize)]
pub struct AccountBalance {
    #[serde(default)]
    pub details: Vec<BalanceDetail>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceDetail {
    pub ccy: String,
    #[serde(default)]
    pub eq: String,
    #[serde(default)]
    pub cash_bal: String,
    #[serde(default)]
    pub avail_bal: String,
    #[serde(default)]
    pub avail_eq: String,
    #[serde(default)]
    pub upl: String,
}

/// `GET /api/v5/public/mark-price` and the `mark-price` channel.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarkPx {
    pub inst_id: String,
    pub mark_px: String,
    pub ts: String,
}

/// `GET /api/v5/market/index-tickers`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexTicker {
    pub idx_px: String,
}

/// `GET /api/v5/public/funding-rate`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FundingRate {
    #[serde(default)]
    pub funding_rate: String,
    #[serde(default)]
    pub next_funding_time: String,
    #[serde(default)]
    pub funding_time: String,
}

/// `GET /api/v5/account/trade-fee`. OKX's sign convention: a fee charged is negative, a
/// rebate positive. USDT-margined contracts use `makerU`/`takerU`, USDC-margined
/// `makerUSDC`/`takerUSDC`, coin-margined `maker`/`taker`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TradeFee {
    #[serde(default)]
    pub maker: String,
    #[serde(default)]
    pub taker: String,
    #[serde(default)]
    pub maker_u: String,
    #[serde(default)]
    pub taker_u: String,
    #[serde(default, rename = "makerUSDC")]
    pub maker_usdc: String,
    #[serde(default, rename = "takerUSDC")]
    pub taker_usdc: String,
}

/// `GET /api/v5/market/books` and the `books`/`books5` channels: levels are
/// `[price, size, "0" (deprecated), number of orders]`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Book {
    pub asks: Vec<Vec<String>>,
    pub bids: Vec<Vec<String>>,
    pub ts: String,
    #[serde(default)]
    pub seq_id: Option<i64>,
    #[serde(default)]
    pub prev_seq_id: Option<i64>,
    /// The `books` channel's CRC32 of the top 25 levels after this push (signed).
    #[serde(default)]
    pub checksum: Option<i64>,
}

/// `POST /api/v5/account/set-leverage`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetLeverage {
    pub lever: String,
}

/// `GET /api/v5/account/config`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountConfig {
    /// Comma-separated: `read_only`, `trade`, `withdraw`.
    #[serde(default)]
    pub perm: String,
    /// The IP addresses the key is bound to, comma-separated; `""` when none.
    #[serde(default)]
    pub ip: String,
    /// `long_short_mode` (hedge) or `net_mode`.
    #[serde(default)]
    pub pos_mode: String,
}

/// `POST /api/v5/trade/cancel-all-after`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelAllAfter {
    #[serde(default)]
    pub trigger_time: String,
}

/// One public trade (`trades` channel).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trade {
    pub px: String,
    pub sz: String,
    pub side: String,
    pub ts: String,
}
