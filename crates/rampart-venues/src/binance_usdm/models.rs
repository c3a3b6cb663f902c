//! Typed answers of the USDⓈ-M REST endpoints Rampart uses, with the field names and types Binance
//! documents (developers.binance.com → Derivatives → USDⓈ-M Futures). Money is `Decimal`, parsed
//! from the venue's decimal strings: a number where the venue documents a string, a missing field
//! or an unknown order status is a parse error (→ `VenueError::Malformed`), never a guess.
//!
//! The raw documented example of each answer is in this module's tests.

use rampart_core::Side;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

/// Decimal strings only (`"0.00100"`); a JSON number is refused, as is anything
/// `rust_decimal` cannot hold exactly.
pub(crate) mod dec {
    use super::*;

    const NOT_A_STRING: &str = "expected a decimal string (a JSON string, not a number)";

    fn parse<E: serde::de::Error>(text: &str) -> Result<Decimal, E> {
        Decimal::from_str_exact(text.trim())
            .map_err(|_| E::custom(format!("'{text}' is not a decimal")))
    }

    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let text = Text::deserialize(d).map_err(|_| serde::de::Error::custom(NOT_A_STRING))?;
        parse(&text.0)
    }

    /// As [`string`], but `""` (what Binance sends for "not applicable") and a missing field
    /// are `None`.
    pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        let text: Option<Text> =
            Option::deserialize(d).map_err(|_| serde::de::Error::custom(NOT_A_STRING))?;
        match text.as_ref().map(|t| t.0.trim()) {
            None | Some("") => Ok(None),
            Some(t) => parse(t).map(Some),
        }
    }
}

/// A JSON string, borrowed from the input where it has no escapes (no allocation per field).
pub(crate) struct Text<'de>(pub(crate) std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(std::borrow::Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(Visit)
    }
}

pub(crate) fn side<'de, D: Deserializer<'de>>(d: D) -> Result<Side, D::Error> {
    match Text::deserialize(d)?.0.as_ref() {
        "BUY" => Ok(Side::Buy),
        "SELL" => Ok(Side::Sell),
        other => Err(serde::de::Error::custom(format!("unknown side '{other}'"))),
    }
}

/// A boolean Binance sends as a string (`"isAutoAddMargin": "false"`).
fn bool_string<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match Text::deserialize(d)?.0.as_ref() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(serde::de::Error::custom(format!(
            "'{other}' is not \"true\" or \"false\""
        ))),
    }
}

/// An integer Binance sends as a string (`"countdownTime": "100000"`, `"leverage": "10"`).
fn u64_string<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let text = Text::deserialize(d)?.0;
    text.trim()
        .parse()
        .map_err(|_| serde::de::Error::custom(format!("'{text}' is not a whole number")))
}

/// Order status ("Common Definition → Order status").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    New,
    PartiallyFilled,
    Filled,
    Canceled,
    /// Expired by the venue (IOC/FOK not filled, GTX that would take, …).
    Expired,
    /// Expired by self-trade prevention.
    ExpiredInMatch,
}

impl OrderStatus {
    /// Whether the order can still fill.
    pub fn is_open(self) -> bool {
        matches!(self, OrderStatus::New | OrderStatus::PartiallyFilled)
    }
}

/// Order types as answers carry them (`type`, `origType`). Types Rampart does not place are kept
/// as `Other` rather than refusing the whole answer (an order placed from another tool).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WireOrderType {
    Market,
    Limit,
    /// Stop-limit.
    Stop,
    StopMarket,
    /// Take-profit limit.
    TakeProfit,
    TakeProfitMarket,
    TrailingStopMarket,
    #[serde(other)]
    Other,
}

/// Time in force on the wire; `GTX` is post-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WireTimeInForce {
    Gtc,
    Ioc,
    Fok,
    Gtx,
    Gtd,
}

/// Which price a conditional order watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkingType {
    MarkPrice,
    ContractPrice,
}

impl WorkingType {
    pub const fn wire(self) -> &'static str {
        match self {
            WorkingType::MarkPrice => "MARK_PRICE",
            WorkingType::ContractPrice => "CONTRACT_PRICE",
        }
    }
}

/// `BOTH` in one-way mode; `LONG`/`SHORT` in hedge mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PositionSide {
    Both,
    Long,
    Short,
}

/// An order as New Order (RESULT), Query Order, Cancel Order and Current Open Orders return it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub symbol: String,
    pub order_id: u64,
    pub client_order_id: String,
    #[serde(deserialize_with = "side")]
    pub side: Side,
    #[serde(rename = "type")]
    pub order_type: WireOrderType,
    #[serde(default)]
    pub orig_type: Option<WireOrderType>,
    pub status: OrderStatus,
    pub time_in_force: WireTimeInForce,
    #[serde(deserialize_with = "dec::string")]
    pub orig_qty: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub executed_qty: Decimal,
    /// Only in New Order and Cancel Order answers.
    #[serde(default, deserialize_with = "dec::opt_string")]
    pub cum_qty: Option<Decimal>,
    #[serde(deserialize_with = "dec::string")]
    pub cum_quote: Decimal,
    /// `"0"`/`"0.00000"` until something fills.
    #[serde(default, deserialize_with = "dec::opt_string")]
    pub avg_price: Option<Decimal>,
    /// `"0"` for orders without a limit price.
    #[serde(deserialize_with = "dec::string")]
    pub price: Decimal,
    #[serde(default, deserialize_with = "dec::opt_string")]
    pub stop_price: Option<Decimal>,
    pub reduce_only: bool,
    #[serde(default)]
    pub close_position: Option<bool>,
    #[serde(default)]
    pub position_side: Option<PositionSide>,
    #[serde(default)]
    pub working_type: Option<WorkingType>,
    #[serde(default)]
    pub price_protect: Option<bool>,
    /// Order time (Query Order, Open Orders).
    #[serde(default)]
    pub time: Option<i64>,
    pub update_time: i64,
}

/// One trade of Account Trade List (`GET /fapi/v1/userTrades`), documented as:
///
/// ```json
/// {"buyer": false, "commission": "-0.07819010", "commissionAsset": "USDT", "id": 698759,
///  "maker": false, "orderId": 25851813, "price": "7819.01", "qty": "0.002",
///  "quoteQty": "15.63802", "realizedPnl": "-0.91539999", "side": "SELL",
///  "positionSide": "SHORT", "symbol": "BTCUSDT", "time": 1569514978020}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountTrade {
    /// The trade id (`fromId` pages by it).
    pub id: u64,
    pub order_id: u64,
    pub symbol: String,
    #[serde(deserialize_with = "side")]
    pub side: Side,
    pub position_side: PositionSide,
    pub buyer: bool,
    pub maker: bool,
    #[serde(deserialize_with = "dec::string")]
    pub price: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub qty: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub quote_qty: Decimal,
    /// Signed as Binance sends it (the documented example shows a negative commission).
    #[serde(deserialize_with = "dec::string")]
    pub commission: Decimal,
    pub commission_asset: String,
    #[serde(deserialize_with = "dec::string")]
    pub realized_pnl: Decimal,
    pub time: i64,
}

/// One asset of Futures Account Balance V2 / V3 (`GET /fapi/v2/balance`, `GET /fapi/v3/balance`;
/// the two answer the same shape).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetBalance {
    pub account_alias: String,
    pub asset: String,
    /// Wallet balance.
    #[serde(deserialize_with = "dec::string")]
    pub balance: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub cross_wallet_balance: Decimal,
    /// Unrealized profit of crossed positions.
    #[serde(deserialize_with = "dec::string")]
    pub cross_un_pnl: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub available_balance: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub max_withdraw_amount: Decimal,
    /// Whether the asset can be margin in Multi-Assets mode.
    pub margin_available: bool,
    pub update_time: i64,
}

/// One asset of Account Information V2 / V3.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountAsset {
    pub asset: String,
    #[serde(deserialize_with = "dec::string")]
    pub wallet_balance: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub unrealized_profit: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub margin_balance: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub maint_margin: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub initial_margin: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub position_initial_margin: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub open_order_initial_margin: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub cross_wallet_balance: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub cross_un_pnl: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub available_balance: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub max_withdraw_amount: Decimal,
    /// V2 only.
    #[serde(default)]
    pub margin_available: Option<bool>,
    pub update_time: i64,
}

/// One position of Account Information V2 / V3 (V2 adds leverage, entry price, isolated, …).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountPosition {
    pub symbol: String,
    pub position_side: PositionSide,
    #[serde(deserialize_with = "dec::string")]
    pub position_amt: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub unrealized_profit: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub initial_margin: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub maint_margin: Decimal,
    /// V3 only.
    #[serde(default, deserialize_with = "dec::opt_string")]
    pub notional: Option<Decimal>,
    /// V2 only.
    #[serde(default, deserialize_with = "dec::opt_string")]
    pub entry_price: Option<Decimal>,
    /// V2 only (current initial leverage).
    #[serde(default, deserialize_with = "dec::opt_string")]
    pub leverage: Option<Decimal>,
    /// V2 only.
    #[serde(default)]
    pub isolated: Option<bool>,
    pub update_time: i64,
}

/// Account Information V2 (`GET /fapi/v2/account`) and V3 (`GET /fapi/v3/account`). The totals
/// are in USDT in single-asset mode and in USD in Multi-Assets mode.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountInfo {
    /// V2 only.
    #[serde(default)]
    pub can_trade: Option<bool>,
    /// V2 only.
    #[serde(default)]
    pub multi_assets_margin: Option<bool>,
    #[serde(deserialize_with = "dec::string")]
    pub total_initial_margin: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub total_maint_margin: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub total_wallet_balance: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub total_unrealized_profit: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub total_margin_balance: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub total_position_initial_margin: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub total_open_order_initial_margin: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub total_cross_wallet_balance: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub total_cross_un_pnl: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub available_balance: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub max_withdraw_amount: Decimal,
    pub assets: Vec<AccountAsset>,
    pub positions: Vec<AccountPosition>,
}

/// `"cross"` or `"isolated"` (Position Information V2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MarginType {
    Cross,
    Isolated,
}

/// One row of Position Information V2 (`GET /fapi/v2/positionRisk`): every symbol, also flat
/// ones; carries leverage and margin type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionRiskV2 {
    pub symbol: String,
    pub position_side: PositionSide,
    /// Signed: negative is short (one-way mode).
    #[serde(deserialize_with = "dec::string")]
    pub position_amt: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub entry_price: Decimal,
    #[serde(default, deserialize_with = "dec::opt_string")]
    pub break_even_price: Option<Decimal>,
    #[serde(deserialize_with = "dec::string")]
    pub mark_price: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub un_realized_profit: Decimal,
    /// `"0"` when there is no liquidation price.
    #[serde(deserialize_with = "dec::string")]
    pub liquidation_price: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub leverage: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub max_notional_value: Decimal,
    pub margin_type: MarginType,
    #[serde(deserialize_with = "dec::string")]
    pub isolated_margin: Decimal,
    #[serde(deserialize_with = "bool_string")]
    pub is_auto_add_margin: bool,
    #[serde(deserialize_with = "dec::string")]
    pub notional: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub isolated_wallet: Decimal,
    pub update_time: i64,
}

/// One row of Position Information V3 (`GET /fapi/v3/positionRisk`): only symbols with a
/// position or open orders; carries margins and the ADL quantile, not leverage.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionRiskV3 {
    pub symbol: String,
    pub position_side: PositionSide,
    #[serde(deserialize_with = "dec::string")]
    pub position_amt: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub entry_price: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub break_even_price: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub mark_price: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub un_realized_profit: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub liquidation_price: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub isolated_margin: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub notional: Decimal,
    pub margin_asset: String,
    #[serde(deserialize_with = "dec::string")]
    pub isolated_wallet: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub initial_margin: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub maint_margin: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub position_initial_margin: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub open_order_initial_margin: Decimal,
    /// Auto-deleverage quantile.
    pub adl: u8,
    pub update_time: i64,
}

/// Mark Price and funding (`GET /fapi/v1/premiumIndex`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PremiumIndex {
    pub symbol: String,
    #[serde(deserialize_with = "dec::string")]
    pub mark_price: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub index_price: Decimal,
    /// Only meaningful in the hour before a settlement.
    #[serde(default, deserialize_with = "dec::opt_string")]
    pub estimated_settle_price: Option<Decimal>,
    /// `""` for delivery contracts.
    #[serde(default, deserialize_with = "dec::opt_string")]
    pub last_funding_rate: Option<Decimal>,
    #[serde(default, deserialize_with = "dec::opt_string")]
    pub interest_rate: Option<Decimal>,
    /// 0 for delivery contracts.
    pub next_funding_time: i64,
    pub time: i64,
}

/// One price level: `["price", "qty"]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    pub price: Decimal,
    pub qty: Decimal,
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw(
            #[serde(deserialize_with = "dec::string")] Decimal,
            #[serde(deserialize_with = "dec::string")] Decimal,
        );
        let Raw(price, qty) = Raw::deserialize(d)?;
        Ok(Level { price, qty })
    }
}

/// Order Book (`GET /fapi/v1/depth`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Depth {
    #[serde(rename = "lastUpdateId")]
    pub last_update_id: u64,
    /// Message output time.
    #[serde(rename = "E")]
    pub event_time: i64,
    /// Transaction time.
    #[serde(rename = "T")]
    pub transaction_time: i64,
    pub bids: Vec<Level>,
    pub asks: Vec<Level>,
}

/// One Kline/Candlestick (`GET /fapi/v1/klines`), sent as a 12-element array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kline {
    pub open_time: i64,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
    pub volume: Decimal,
    pub close_time: i64,
    pub quote_volume: Decimal,
    pub trades: u64,
    pub taker_buy_volume: Decimal,
    pub taker_buy_quote_volume: Decimal,
}

impl<'de> Deserialize<'de> for Kline {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw(
            i64,
            #[serde(deserialize_with = "dec::string")] Decimal,
            #[serde(deserialize_with = "dec::string")] Decimal,
            #[serde(deserialize_with = "dec::string")] Decimal,
            #[serde(deserialize_with = "dec::string")] Decimal,
            #[serde(deserialize_with = "dec::string")] Decimal,
            i64,
            #[serde(deserialize_with = "dec::string")] Decimal,
            u64,
            #[serde(deserialize_with = "dec::string")] Decimal,
            #[serde(deserialize_with = "dec::string")] Decimal,
            serde::de::IgnoredAny,
        );
        let Raw(open_time, open, high, low, close, volume, close_time, quote, trades, tb, tbq, _) =
            Raw::deserialize(d)?;
        Ok(Kline {
            open_time,
            open,
            high,
            low,
            close,
            volume,
            close_time,
            quote_volume: quote,
            trades,
            taker_buy_volume: tb,
            taker_buy_quote_volume: tbq,
        })
    }
}

/// Kline intervals Binance accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KlineInterval {
    M1,
    M3,
    M5,
    M15,
    M30,
    H1,
    H2,
    H4,
    H6,
    H8,
    H12,
    D1,
    D3,
    W1,
    Mo1,
}

impl KlineInterval {
    pub const fn wire(self) -> &'static str {
        match self {
            KlineInterval::M1 => "1m",
            KlineInterval::M3 => "3m",
            KlineInterval::M5 => "5m",
            KlineInterval::M15 => "15m",
            KlineInterval::M30 => "30m",
            KlineInterval::H1 => "1h",
            KlineInterval::H2 => "2h",
            KlineInterval::H4 => "4h",
            KlineInterval::H6 => "6h",
            KlineInterval::H8 => "8h",
            KlineInterval::H12 => "12h",
            KlineInterval::D1 => "1d",
            KlineInterval::D3 => "3d",
            KlineInterval::W1 => "1w",
            KlineInterval::Mo1 => "1M",
        }
    }
}

/// Change Initial Leverage (`POST /fapi/v1/leverage`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeverageChange {
    pub leverage: u32,
    #[serde(deserialize_with = "dec::string")]
    pub max_notional_value: Decimal,
    pub symbol: String,
}

/// Auto-Cancel All Open Orders (`POST /fapi/v1/countdownCancelAll`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Countdown {
    pub symbol: String,
    /// Milliseconds; 0 means the timer is off.
    #[serde(deserialize_with = "u64_string")]
    pub countdown_time: u64,
}

/// A `code` Binance documents as a string in one answer (`"code": "200"`, Cancel Algo Order)
/// and as a number in another (`"code": 200`, the cancel-all answers).
pub(crate) fn code<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Num(i64),
        Str(String),
    }
    match Raw::deserialize(d)? {
        Raw::Num(n) => Ok(n),
        Raw::Str(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("'{s}' is not a code"))),
    }
}

/// The cancel-all answers (`DELETE /fapi/v1/allOpenOrders` and `/fapi/v1/algoOpenOrders`):
/// `{"code": 200, "msg": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CodeMsg {
    #[serde(deserialize_with = "code")]
    pub code: i64,
    pub msg: String,
}

/// `{"listenKey": "…"}` (Start / Keepalive User Data Stream).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListenKeyBody {
    pub listen_key: String,
}

#[cfg(test)]
mod account_trade_tests {
    use super::*;

    /// Account Trade List's documented response example.
    const DOCUMENTED: &str = r#"[{"buyer": false, "commission": "-0.07819010",
        "commissionAsset": "USDT", "id": 698759, "maker": false, "orderId": 25851813,
        "price": "7819.01", "qty": "0.002", "quoteQty": "15.63802",
        "realizedPnl": "-0.91539999", "side": "SELL", "positionSide": "SHORT",
        "symbol": "BTCUSDT", "time": 1569514978020}]"#;

    #[test]
    fn the_documented_trade_row_parses_to_decimals() {
        let rows: Vec<AccountTrade> = serde_json::from_str(DOCUMENTED).unwrap();
        let t = &rows[0];
        assert_eq!(t.id, 698759);
        assert_eq!(t.order_id, 25851813);
        assert_eq!(t.side, Side::Sell);
        assert_eq!(t.position_side, PositionSide::Short);
        assert!(!t.buyer && !t.maker);
        assert_eq!(t.price, Decimal::new(781901, 2));
        assert_eq!(t.qty, Decimal::new(2, 3));
        assert_eq!(t.quote_qty, Decimal::new(1563802, 5));
        assert_eq!(t.commission, Decimal::new(-7819010, 8));
        assert_eq!(t.realized_pnl, Decimal::new(-91539999, 8));
        assert_eq!(t.time, 1569514978020);
    }

    #[test]
    fn a_number_where_a_decimal_string_is_documented_is_refused() {
        let bad = DOCUMENTED.replace(r#""price": "7819.01""#, r#""price": 7819.01"#);
        assert!(serde_json::from_str::<Vec<AccountTrade>>(&bad).is_err());
        let no_side = DOCUMENTED.replace(r#""side": "SELL", "#, "");
        assert!(serde_json::from_str::<Vec<AccountTrade>>(&no_side).is_err());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// New Order answer with `newOrderRespType=RESULT` (documented example, as Binance shows it
    /// for a trailing stop; comments removed).
    const NEW_ORDER: &str = r#"{
        "clientOrderId": "testOrder", "cumQty": "0", "cumQuote": "0", "executedQty": "0",
        "orderId": 22542179, "avgPrice": "0.00000", "origQty": "10", "price": "0",
        "reduceOnly": false, "side": "BUY", "positionSide": "SHORT", "status": "NEW",
        "stopPrice": "9300", "closePosition": false, "symbol": "BTCUSDT", "timeInForce": "GTC",
        "type": "TRAILING_STOP_MARKET", "origType": "TRAILING_STOP_MARKET",
        "activatePrice": "9020", "priceRate": "0.3", "updateTime": 1566818724722,
        "workingType": "CONTRACT_PRICE", "priceProtect": false, "priceMatch": "NONE",
        "selfTradePreventionMode": "NONE", "goodTillDate": 1693207680000
    }"#;

    /// Query Order (documented example).
    const QUERY_ORDER: &str = r#"{
        "avgPrice": "0.00000", "clientOrderId": "abc", "cumQuote": "0", "executedQty": "0",
        "orderId": 1917641, "origQty": "0.40", "origType": "TRAILING_STOP_MARKET", "price": "0",
        "reduceOnly": false, "side": "BUY", "positionSide": "SHORT", "status": "NEW",
        "stopPrice": "9300", "closePosition": false, "symbol": "BTCUSDT", "time": 1579276756075,
        "timeInForce": "GTC", "type": "TRAILING_STOP_MARKET", "activatePrice": "9020",
        "priceRate": "0.3", "updateTime": 1579276756075, "workingType": "CONTRACT_PRICE",
        "priceProtect": false, "priceMatch": "NONE", "selfTradePreventionMode": "NONE",
        "goodTillDate": 0
    }"#;

    /// Cancel Order (documented example).
    const CANCEL_ORDER: &str = r#"{
        "clientOrderId": "myOrder1", "cumQty": "0", "cumQuote": "0", "executedQty": "0",
        "orderId": 283194212, "origQty": "11", "origType": "TRAILING_STOP_MARKET", "price": "0",
        "reduceOnly": false, "side": "BUY", "positionSide": "SHORT", "status": "CANCELED",
        "stopPrice": "9300", "closePosition": false, "symbol": "BTCUSDT", "timeInForce": "GTC",
        "type": "TRAILING_STOP_MARKET", "activatePrice": "9020", "priceRate": "0.3",
        "updateTime": 1571110484038, "workingType": "CONTRACT_PRICE", "priceProtect": false,
        "priceMatch": "NONE", "selfTradePreventionMode": "NONE", "goodTillDate": 1693207680000
    }"#;

    #[test]
    fn parses_the_documented_order_answers() {
        let new: Order = serde_json::from_str(NEW_ORDER).unwrap();
        assert_eq!(new.order_id, 22542179);
        assert_eq!(new.client_order_id, "testOrder");
        assert_eq!(new.side, Side::Buy);
        assert_eq!(new.status, OrderStatus::New);
        assert_eq!(new.order_type, WireOrderType::TrailingStopMarket);
        assert_eq!(new.orig_qty, d("10"));
        assert_eq!(new.cum_qty, Some(Decimal::ZERO));
        assert_eq!(new.avg_price, Some(Decimal::ZERO));
        assert_eq!(new.stop_price, Some(d("9300")));
        assert_eq!(new.position_side, Some(PositionSide::Short));
        assert_eq!(new.working_type, Some(WorkingType::ContractPrice));

        let query: Order = serde_json::from_str(QUERY_ORDER).unwrap();
        assert_eq!(query.orig_qty, d("0.40"));
        assert_eq!(query.cum_qty, None, "Query Order has no cumQty");
        assert_eq!(query.time, Some(1579276756075));
        assert!(query.status.is_open());

        let cancel: Order = serde_json::from_str(CANCEL_ORDER).unwrap();
        assert_eq!(cancel.status, OrderStatus::Canceled);
        assert!(!cancel.status.is_open());
        let open: Vec<Order> = serde_json::from_str(&format!("[{QUERY_ORDER}]")).unwrap();
        assert_eq!(open.len(), 1);
    }

    #[test]
    fn every_documented_status_parses_and_an_unknown_one_is_refused() {
        for (wire, status) in [
            ("NEW", OrderStatus::New),
            ("PARTIALLY_FILLED", OrderStatus::PartiallyFilled),
            ("FILLED", OrderStatus::Filled),
            ("CANCELED", OrderStatus::Canceled),
            ("EXPIRED", OrderStatus::Expired),
            ("EXPIRED_IN_MATCH", OrderStatus::ExpiredInMatch),
        ] {
            let json = QUERY_ORDER.replace("\"NEW\"", &format!("\"{wire}\""));
            assert_eq!(serde_json::from_str::<Order>(&json).unwrap().status, status);
        }
        let json = QUERY_ORDER.replace("\"NEW\"", "\"HALF_DONE\"");
        assert!(serde_json::from_str::<Order>(&json).is_err());
    }

    #[test]
    fn numbers_where_strings_are_documented_and_missing_fields_are_refused() {
        // executedQty as a JSON number.
        let json = QUERY_ORDER.replace("\"executedQty\": \"0\"", "\"executedQty\": 0");
        let err = serde_json::from_str::<Order>(&json).unwrap_err();
        assert!(err.to_string().contains("decimal string"), "{err}");
        // origQty missing.
        let json = QUERY_ORDER.replace("\"origQty\": \"0.40\",", "");
        assert!(serde_json::from_str::<Order>(&json).is_err());
        // Not a decimal.
        let json = QUERY_ORDER.replace("\"0.40\"", "\"0.4.0\"");
        assert!(serde_json::from_str::<Order>(&json).is_err());
        assert!(serde_json::from_str::<Order>("not json").is_err());
        assert!(serde_json::from_str::<Order>("[]").is_err());
    }

    #[test]
    fn strings_are_read_in_place_and_escaped_ones_still_parse() {
        // From a byte slice (as answers are read), decimals and the side are read without a
        // copy; a JSON escape makes serde_json unescape into a temporary, which parses too.
        let order: Order = serde_json::from_slice(QUERY_ORDER.as_bytes()).unwrap();
        assert_eq!(order.orig_qty, d("0.40"));
        let json = QUERY_ORDER
            .replace("\"origQty\": \"0.40\"", "\"origQty\": \"0.\\u00340\"")
            .replace("\"side\": \"BUY\"", "\"side\": \"B\\u0055Y\"");
        assert_eq!(json.matches("\\u00").count(), 2, "{json}");
        let order: Order = serde_json::from_slice(json.as_bytes()).unwrap();
        assert_eq!(order.orig_qty, d("0.40"));
        assert_eq!(order.side, Side::Buy);
    }

    /// Futures Account Balance V2 and V3 (the same documented example).
    const BALANCE: &str = r#"[{
        "accountAlias": "SgsR", "asset": "USDT", "balance": "122607.35137903",
        "crossWalletBalance": "23.72469206", "crossUnPnl": "0.00000000",
        "availableBalance": "23.72469206", "maxWithdrawAmount": "23.72469206",
        "marginAvailable": true, "updateTime": 1617939110373
    }]"#;

    #[test]
    fn parses_the_documented_balance() {
        let b: Vec<AssetBalance> = serde_json::from_str(BALANCE).unwrap();
        assert_eq!(b[0].asset, "USDT");
        assert_eq!(b[0].balance, d("122607.35137903"));
        assert_eq!(b[0].available_balance, d("23.72469206"));
        assert!(b[0].margin_available);
        let number = BALANCE.replace("\"122607.35137903\"", "122607.35137903");
        assert!(serde_json::from_str::<Vec<AssetBalance>>(&number).is_err());
    }

    /// Account Information V3, single-asset mode (the documented example; Binance's page lacks
    /// a few commas, which are restored here).
    const ACCOUNT_V3: &str = r#"{
        "totalInitialMargin": "0.00000000", "totalMaintMargin": "0.00000000",
        "totalWalletBalance": "103.12345678", "totalUnrealizedProfit": "0.00000000",
        "totalMarginBalance": "103.12345678", "totalPositionInitialMargin": "0.00000000",
        "totalOpenOrderInitialMargin": "0.00000000", "totalCrossWalletBalance": "103.12345678",
        "totalCrossUnPnl": "0.00000000", "availableBalance": "103.12345678",
        "maxWithdrawAmount": "103.12345678",
        "assets": [
            {"asset": "USDT", "walletBalance": "23.72469206", "unrealizedProfit": "0.00000000",
             "marginBalance": "23.72469206", "maintMargin": "0.00000000",
             "initialMargin": "0.00000000", "positionInitialMargin": "0.00000000",
             "openOrderInitialMargin": "0.00000000", "crossWalletBalance": "23.72469206",
             "crossUnPnl": "0.00000000", "availableBalance": "23.72469206",
             "maxWithdrawAmount": "23.72469206", "updateTime": 1625474304765},
            {"asset": "USDC", "walletBalance": "103.12345678", "unrealizedProfit": "0.00000000",
             "marginBalance": "103.12345678", "maintMargin": "0.00000000",
             "initialMargin": "0.00000000", "positionInitialMargin": "0.00000000",
             "openOrderInitialMargin": "0.00000000", "crossWalletBalance": "103.12345678",
             "crossUnPnl": "0.00000000", "availableBalance": "126.72469206",
             "maxWithdrawAmount": "103.12345678", "updateTime": 1625474304765}
        ],
        "positions": [
            {"symbol": "BTCUSDT", "positionSide": "BOTH", "positionAmt": "1.000",
             "unrealizedProfit": "0.00000000", "isolatedMargin": "0.00000000", "notional": "0",
             "isolatedWallet": "0", "initialMargin": "0", "maintMargin": "0", "updateTime": 0}
        ]
    }"#;

    /// Account Information V2, single-asset mode (documented example, commas restored).
    const ACCOUNT_V2: &str = r#"{
        "feeTier": 0, "feeBurn": true, "canTrade": true, "canDeposit": true,
        "canWithdraw": true, "updateTime": 0, "multiAssetsMargin": false, "tradeGroupId": -1,
        "totalInitialMargin": "0.00000000", "totalMaintMargin": "0.00000000",
        "totalWalletBalance": "23.72469206", "totalUnrealizedProfit": "0.00000000",
        "totalMarginBalance": "23.72469206", "totalPositionInitialMargin": "0.00000000",
        "totalOpenOrderInitialMargin": "0.00000000", "totalCrossWalletBalance": "23.72469206",
        "totalCrossUnPnl": "0.00000000", "availableBalance": "23.72469206",
        "maxWithdrawAmount": "23.72469206",
        "assets": [
            {"asset": "USDT", "walletBalance": "23.72469206", "unrealizedProfit": "0.00000000",
             "marginBalance": "23.72469206", "maintMargin": "0.00000000",
             "initialMargin": "0.00000000", "positionInitialMargin": "0.00000000",
             "openOrderInitialMargin": "0.00000000", "crossWalletBalance": "23.72469206",
             "crossUnPnl": "0.00000000", "availableBalance": "23.72469206",
             "maxWithdrawAmount": "23.72469206", "marginAvailable": true,
             "updateTime": 1625474304765}
        ],
        "positions": [
            {"symbol": "BTCUSDT", "initialMargin": "0", "maintMargin": "0",
             "unrealizedProfit": "0.00000000", "positionInitialMargin": "0",
             "openOrderInitialMargin": "0", "leverage": "100", "isolated": true,
             "entryPrice": "0.00000", "maxNotional": "250000", "bidNotional": "0",
             "askNotional": "0", "positionSide": "BOTH", "positionAmt": "0", "updateTime": 0}
        ]
    }"#;

    #[test]
    fn parses_the_documented_account_information_v2_and_v3() {
        let v3: AccountInfo = serde_json::from_str(ACCOUNT_V3).unwrap();
        assert_eq!(v3.total_wallet_balance, d("103.12345678"));
        assert_eq!(v3.assets.len(), 2);
        assert_eq!(v3.assets[1].available_balance, d("126.72469206"));
        assert_eq!(v3.positions[0].position_amt, d("1.000"));
        assert_eq!(v3.positions[0].leverage, None);
        assert_eq!(v3.can_trade, None);

        let v2: AccountInfo = serde_json::from_str(ACCOUNT_V2).unwrap();
        assert_eq!(v2.can_trade, Some(true));
        assert_eq!(v2.multi_assets_margin, Some(false));
        assert_eq!(v2.positions[0].leverage, Some(d("100")));
        assert_eq!(v2.positions[0].isolated, Some(true));
        assert_eq!(v2.assets[0].margin_available, Some(true));

        let missing = ACCOUNT_V3.replace("\"totalMaintMargin\": \"0.00000000\",", "");
        assert!(serde_json::from_str::<AccountInfo>(&missing).is_err());
    }

    /// Position Information V2, hedge mode (documented example).
    const POSITION_RISK_V2: &str = r#"[
        {"symbol": "BTCUSDT", "positionAmt": "0.001", "entryPrice": "22185.2",
         "breakEvenPrice": "0.0", "markPrice": "21123.05052574", "unRealizedProfit": "-1.06214947",
         "liquidationPrice": "19731.45529116", "leverage": "4", "maxNotionalValue": "100000000",
         "marginType": "cross", "isolatedMargin": "0.00000000", "isAutoAddMargin": "false",
         "positionSide": "LONG", "notional": "21.12305052", "isolatedWallet": "0",
         "updateTime": 1655217461579},
        {"symbol": "BTCUSDT", "positionAmt": "0.000", "entryPrice": "0.0",
         "breakEvenPrice": "0.0", "markPrice": "21123.05052574", "unRealizedProfit": "0.00000000",
         "liquidationPrice": "0", "leverage": "4", "maxNotionalValue": "100000000",
         "marginType": "cross", "isolatedMargin": "0.00000000", "isAutoAddMargin": "false",
         "positionSide": "SHORT", "notional": "0", "isolatedWallet": "0", "updateTime": 0}
    ]"#;

    /// Position Information V2, one-way mode (documented example; the page has a doubled comma
    /// after "notional", removed here).
    const POSITION_RISK_V2_ONE_WAY: &str = r#"[
        {"entryPrice": "0.00000", "breakEvenPrice": "0.0", "marginType": "isolated",
         "isAutoAddMargin": "false", "isolatedMargin": "0.00000000", "leverage": "10",
         "liquidationPrice": "0", "markPrice": "6679.50671178", "maxNotionalValue": "20000000",
         "positionAmt": "0.000", "notional": "0", "isolatedWallet": "0", "symbol": "BTCUSDT",
         "unRealizedProfit": "0.00000000", "positionSide": "BOTH", "updateTime": 0}
    ]"#;

    #[test]
    fn parses_the_documented_position_risk_v2() {
        let rows: Vec<PositionRiskV2> = serde_json::from_str(POSITION_RISK_V2).unwrap();
        assert_eq!(rows[0].position_side, PositionSide::Long);
        assert_eq!(rows[0].position_amt, d("0.001"));
        assert_eq!(rows[0].un_realized_profit, d("-1.06214947"));
        assert_eq!(rows[0].liquidation_price, d("19731.45529116"));
        assert_eq!(rows[0].leverage, d("4"));
        assert_eq!(rows[0].margin_type, MarginType::Cross);
        assert!(!rows[0].is_auto_add_margin);
        let one_way: Vec<PositionRiskV2> = serde_json::from_str(POSITION_RISK_V2_ONE_WAY).unwrap();
        assert_eq!(one_way[0].margin_type, MarginType::Isolated);
        assert_eq!(one_way[0].position_side, PositionSide::Both);
        let bad = POSITION_RISK_V2_ONE_WAY.replace("\"false\"", "false");
        assert!(serde_json::from_str::<Vec<PositionRiskV2>>(&bad).is_err());
    }

    /// Position Information V3, hedge mode (documented example).
    const POSITION_RISK_V3: &str = r#"[
        {"symbol": "ADAUSDT", "positionSide": "LONG", "positionAmt": "30", "entryPrice": "0.385",
         "breakEvenPrice": "0.385077", "markPrice": "0.41047590", "unRealizedProfit": "0.76427700",
         "liquidationPrice": "0", "isolatedMargin": "0", "notional": "12.31427700",
         "marginAsset": "USDT", "isolatedWallet": "0", "initialMargin": "0.61571385",
         "maintMargin": "0.08004280", "positionInitialMargin": "0.61571385",
         "openOrderInitialMargin": "0", "adl": 2, "bidNotional": "0", "askNotional": "0",
         "updateTime": 1720736417660},
        {"symbol": "COMPUSDT", "positionSide": "SHORT", "positionAmt": "-1.000",
         "entryPrice": "70.92841", "breakEvenPrice": "70.900038636", "markPrice": "49.72023376",
         "unRealizedProfit": "21.20817624", "liquidationPrice": "2260.56757210",
         "isolatedMargin": "0", "notional": "-49.72023376", "marginAsset": "USDT",
         "isolatedWallet": "0", "initialMargin": "2.48601168", "maintMargin": "0.49720233",
         "positionInitialMargin": "2.48601168", "openOrderInitialMargin": "0", "adl": 2,
         "bidNotional": "0", "askNotional": "0", "updateTime": 1708943511656}
    ]"#;

    #[test]
    fn parses_the_documented_position_risk_v3() {
        let rows: Vec<PositionRiskV3> = serde_json::from_str(POSITION_RISK_V3).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].position_amt, d("-1.000"));
        assert_eq!(rows[1].break_even_price, d("70.900038636"));
        assert_eq!(rows[1].notional, d("-49.72023376"));
        assert_eq!(rows[0].adl, 2);
        assert_eq!(rows[0].margin_asset, "USDT");
        let no_mark = POSITION_RISK_V3.replace("\"markPrice\": \"0.41047590\",", "");
        assert!(serde_json::from_str::<Vec<PositionRiskV3>>(&no_mark).is_err());
    }

    /// Mark Price, one symbol (documented example).
    const PREMIUM_INDEX: &str = r#"{
        "symbol": "BTCUSDT", "markPrice": "11793.63104562", "indexPrice": "11781.80495970",
        "estimatedSettlePrice": "11781.16138815", "lastFundingRate": "0.00038246",
        "nextFundingTime": 1597392000000, "interestRate": "0.00010000", "time": 1597370495002
    }"#;

    #[test]
    fn parses_the_documented_mark_price_one_and_all() {
        let one: PremiumIndex = serde_json::from_str(PREMIUM_INDEX).unwrap();
        assert_eq!(one.mark_price, d("11793.63104562"));
        assert_eq!(one.last_funding_rate, Some(d("0.00038246")));
        assert_eq!(one.next_funding_time, 1597392000000);
        let all: Vec<PremiumIndex> = serde_json::from_str(&format!("[{PREMIUM_INDEX}]")).unwrap();
        assert_eq!(all[0], one);
        // A delivery contract: no funding rate ("").
        let delivery = PREMIUM_INDEX
            .replace("\"0.00038246\"", "\"\"")
            .replace("\"0.00010000\"", "\"\"");
        let p: PremiumIndex = serde_json::from_str(&delivery).unwrap();
        assert_eq!((p.last_funding_rate, p.interest_rate), (None, None));
        let number = PREMIUM_INDEX.replace("\"11793.63104562\"", "11793.63104562");
        assert!(serde_json::from_str::<PremiumIndex>(&number).is_err());
    }

    /// Order Book (documented example).
    const DEPTH: &str = r#"{
        "lastUpdateId": 1027024, "E": 1589436922972, "T": 1589436922959,
        "bids": [["4.00000000", "431.00000000"]],
        "asks": [["4.00000200", "12.00000000"]]
    }"#;

    #[test]
    fn parses_the_documented_order_book() {
        let depth: Depth = serde_json::from_str(DEPTH).unwrap();
        assert_eq!(depth.last_update_id, 1027024);
        assert_eq!(
            depth.bids,
            vec![Level {
                price: d("4.00000000"),
                qty: d("431.00000000")
            }]
        );
        assert_eq!(depth.asks[0].price, d("4.00000200"));
        let short_level = DEPTH.replace("[\"4.00000000\", \"431.00000000\"]", "[\"4\"]");
        assert!(serde_json::from_str::<Depth>(&short_level).is_err());
        let number = DEPTH.replace("\"12.00000000\"", "12");
        assert!(serde_json::from_str::<Depth>(&number).is_err());
    }

    /// Kline/Candlestick Data (documented example).
    const KLINES: &str = r#"[[
        1499040000000, "0.01634790", "0.80000000", "0.01575800", "0.01577100",
        "148976.11427815", 1499644799999, "2434.19055334", 308, "1756.87402397",
        "28.46694368", "17928899.62484339"
    ]]"#;

    #[test]
    fn parses_the_documented_klines() {
        let k: Vec<Kline> = serde_json::from_str(KLINES).unwrap();
        assert_eq!(k[0].open_time, 1499040000000);
        assert_eq!(k[0].high, d("0.80000000"));
        assert_eq!(k[0].close, d("0.01577100"));
        assert_eq!(k[0].trades, 308);
        assert_eq!(k[0].taker_buy_quote_volume, d("28.46694368"));
        let number = KLINES.replace("\"0.80000000\"", "0.8");
        assert!(serde_json::from_str::<Vec<Kline>>(&number).is_err());
        let short = KLINES.replace(", \"17928899.62484339\"", "");
        assert!(serde_json::from_str::<Vec<Kline>>(&short).is_err());
    }

    #[test]
    fn parses_leverage_countdown_cancel_all_and_listen_key() {
        // Change Initial Leverage (documented example).
        let l: LeverageChange = serde_json::from_str(
            r#"{"leverage": 21, "maxNotionalValue": "1000000", "symbol": "BTCUSDT"}"#,
        )
        .unwrap();
        assert_eq!((l.leverage, l.max_notional_value), (21, d("1000000")));
        // Auto-Cancel All Open Orders (documented example: the time is a string).
        let c: Countdown =
            serde_json::from_str(r#"{"symbol": "BTCUSDT", "countdownTime": "100000"}"#).unwrap();
        assert_eq!(c.countdown_time, 100_000);
        assert!(
            serde_json::from_str::<Countdown>(r#"{"symbol": "BTCUSDT", "countdownTime": "1e5"}"#)
                .is_err()
        );
        // Cancel All Open Orders (documented example).
        let done: CodeMsg = serde_json::from_str(
            r#"{"code": 200, "msg": "The operation of cancel all open order is done."}"#,
        )
        .unwrap();
        assert_eq!(done.code, 200);
        // Start User Data Stream.
        let key: ListenKeyBody = serde_json::from_str(
            r#"{"listenKey": "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"}"#,
        )
        .unwrap();
        assert_eq!(key.listen_key.len(), 64);
        assert!(serde_json::from_str::<ListenKeyBody>(r#"{"listenKey": 5}"#).is_err());
    }
}

/// User Commission Rate (`GET /fapi/v1/commissionRate`): the account's rates on one symbol, as
/// fractions ("0.0002" is 0.02 %).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommissionRate {
    pub symbol: String,
    #[serde(deserialize_with = "dec::string")]
    pub maker_commission_rate: Decimal,
    #[serde(deserialize_with = "dec::string")]
    pub taker_commission_rate: Decimal,
}
