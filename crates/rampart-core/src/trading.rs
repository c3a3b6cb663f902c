//! Venue-neutral trading types: instruments and their rules, orders, positions, balances and
//! books, in words that Binance USDⓈ-M, Bybit v5, OKX v5 and Deribit all map onto. Connectors
//! convert their wire shapes into these; the engine, the guard and the UI speak only these.
//!
//! Shapes chosen from each venue's API documentation:
//! - product category: Bybit's `category` (linear, inverse, option), OKX's `instType` (SWAP,
//!   FUTURES, OPTION, margined in USDT/USDC or in the coin), Deribit's `kind` (future, option;
//!   BTC and ETH contracts are inverse, sized in USD);
//! - margin mode: OKX requires `tdMode` (cross/isolated) on every order; Binance and Bybit set it
//!   per symbol; Deribit per portfolio;
//! - position side: Binance's `positionSide` (BOTH/LONG/SHORT), Bybit's `positionIdx` (0/1/2),
//!   OKX's `posSide` (net/long/short) in hedge mode;
//! - leverage: decimal (Bybit and OKX accept e.g. "12.5"), with separate buy and sell leverage
//!   where Bybit has `buyLeverage`/`sellLeverage`;
//! - tick size: Deribit's `tick_size_steps` make the tick depend on the price;
//! - client order ids: OKX's `clOrdId` allows letters and digits only, at most 32 characters, the
//!   strictest of the four; Deribit's `label` is not unique, so a lookup can find several orders.
//!
//! Amounts are `Decimal` and cross JSON as strings.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{OrderType, Price, Qty, Side, TimeInForce};

/// Which of a venue's servers an account trades on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum Environment {
    /// Real money.
    Live,
    /// The venue's test network.
    Testnet,
    /// The venue's demo trading (for the built-in Demo venue: the simulator in process).
    Demo,
    /// Rampart's built-in simulator of the venue, in process on loopback: the venue's protocol,
    /// play money, no network and no keys from the venue (generated ones, kept in the keychain
    /// like any account's).
    Simulator,
}

impl Environment {
    /// Whether orders here move real money.
    pub const fn is_live(self) -> bool {
        matches!(self, Environment::Live)
    }

    /// Whether the account trades on Rampart's built-in simulator.
    pub const fn is_simulator(self) -> bool {
        matches!(self, Environment::Simulator)
    }
}

/// What kind of contract an instrument is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum ProductCategory {
    /// Margined and settled in the quote currency (USDT, USDC): Binance USDⓈ-M, Bybit linear,
    /// OKX USDT swaps.
    Linear,
    /// Sized in USD, margined and settled in the coin: Bybit inverse, OKX coin swaps, Deribit
    /// BTC/ETH futures.
    Inverse,
    /// An option; see [`OptionSpec`].
    Option,
}

/// Whether an instrument expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum ContractKind {
    Perpetual,
    /// A dated future or an option: see `expiry_ms`.
    Dated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum OptionRight {
    Call,
    Put,
}

/// What makes an option instrument an option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct OptionSpec {
    /// The underlying index (`BTC`, `ETH`, `BTC-USD`).
    pub underlying: String,
    #[ts(type = "string")]
    pub strike: Decimal,
    pub right: OptionRight,
    /// The currency the premium is quoted and paid in (BTC on Deribit's inverse options, USDC on
    /// its linear ones and on Bybit's).
    pub premium_currency: String,
}

/// From `from_price` upward the tick is `tick` (Deribit's `tick_size_steps`: `above_price`,
/// `tick_size`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct TickStep {
    #[ts(type = "string")]
    pub from_price: Decimal,
    #[ts(type = "string")]
    pub tick: Decimal,
}

/// One instrument's trading rules. A zero bound means "no bound" (as Binance sends it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct InstrumentRules {
    /// The venue's own instrument name (`BTCUSDT`, `BTC-USDT-SWAP`, `BTC-PERPETUAL`).
    pub symbol: String,
    pub category: ProductCategory,
    pub kind: ContractKind,
    pub base_asset: String,
    pub quote_asset: String,
    /// The asset margin and PnL are counted in (USDT for linear, the coin for inverse).
    pub settle_asset: String,
    /// Whether new orders are accepted now.
    pub trading: bool,
    /// The tick below the first of `tick_steps` (or everywhere when there are none).
    #[ts(type = "string")]
    pub tick_size: Decimal,
    /// Ticks that change with the price (Deribit); empty elsewhere. Ascending `from_price`.
    pub tick_steps: Vec<TickStep>,
    #[ts(type = "string")]
    pub min_price: Decimal,
    #[ts(type = "string")]
    pub max_price: Decimal,
    /// Order sizes are multiples of this, in the venue's size unit (see `contract_size`).
    #[ts(type = "string")]
    pub step_size: Decimal,
    #[ts(type = "string")]
    pub min_qty: Decimal,
    /// For limit orders.
    #[ts(type = "string")]
    pub max_qty: Decimal,
    /// For market orders (where the venue has a separate limit; else `max_qty`).
    #[ts(type = "string")]
    pub max_market_qty: Decimal,
    /// Minimum order value in the quote currency (0 when the venue has none).
    #[ts(type = "string")]
    pub min_notional: Decimal,
    /// What one unit of size is worth: base units per contract for linear contracts counted in
    /// contracts (OKX `ctVal`), USD per contract for inverse ones (Deribit: 10 USD for BTC);
    /// `None` when sizes are in the base asset itself (Binance USDⓈ-M, Bybit linear).
    #[ts(type = "string | null")]
    pub contract_size: Option<Decimal>,
    /// Expiry of a dated future or an option (ms since the Unix epoch).
    #[ts(type = "number | null")]
    pub expiry_ms: Option<i64>,
    pub option: Option<OptionSpec>,
    /// The highest leverage the venue allows on this instrument, when it says.
    #[ts(type = "string | null")]
    pub max_leverage: Option<Decimal>,
}

impl InstrumentRules {
    /// The tick in force at `price`: the last step whose `from_price` is at or below it.
    pub fn tick_at(&self, price: Decimal) -> Decimal {
        self.tick_steps
            .iter()
            .rev()
            .find(|s| price >= s.from_price)
            .map_or(self.tick_size, |s| s.tick)
    }
}

/// Which price a conditional order watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum TriggerBy {
    Mark,
    Last,
    Index,
}

/// How a position is margined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum MarginMode {
    Cross,
    Isolated,
}

/// Which position an order belongs to. `Net` in one-way mode (one position per symbol);
/// `Long`/`Short` in hedge mode, where a symbol holds both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum PositionSide {
    #[default]
    Net,
    Long,
    Short,
}

/// The longest client order id every venue accepts (OKX's `clOrdId`).
pub const CLIENT_ORDER_ID_MAX_LEN: usize = 32;

/// Whether `id` is a client order id every venue accepts: letters and digits only, 1 to 32.
pub fn is_portable_client_order_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= CLIENT_ORDER_ID_MAX_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A new order, venue-neutral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRequest {
    pub symbol: String,
    /// Generated and journaled by the engine before the first byte is sent; letters and digits,
    /// at most 32 ([`is_portable_client_order_id`]).
    pub client_order_id: String,
    pub side: Side,
    pub order_type: OrderType,
    /// In the instrument's size unit.
    pub qty: Qty,
    /// The limit price, for the limit types.
    pub price: Option<Price>,
    /// The trigger price, for the stop and take-profit types.
    pub trigger_price: Option<Price>,
    /// For the limit types; the venue's default (good till cancelled) when `None`.
    pub time_in_force: Option<TimeInForce>,
    pub reduce_only: bool,
    pub trigger_by: Option<TriggerBy>,
    /// Required by OKX (`tdMode`); elsewhere the symbol's setting applies and this must agree.
    pub margin_mode: Option<MarginMode>,
    pub position_side: PositionSide,
    /// The mark price the engine last saw, for the pre-trade checks (price band, market order
    /// value); the connector fetches one when `None`.
    pub reference_price: Option<Price>,
}

/// Where an order is, in words every venue maps onto.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Resting (or waiting for its trigger), nothing filled.
    Open,
    PartiallyFilled,
    Filled,
    /// Cancelled by the trader (or by a cancel-all / dead-man's switch).
    Cancelled,
    /// Ended by the venue without (completely) filling: IOC/FOK leftovers, post-only that would
    /// take, self-trade prevention.
    Expired,
    /// Refused by the venue after acceptance.
    Rejected,
}

impl OrderStatus {
    /// Whether the order can still fill.
    pub fn is_open(self) -> bool {
        matches!(self, OrderStatus::Open | OrderStatus::PartiallyFilled)
    }
}

/// The venue's acknowledgement of a new order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct OrderAck {
    pub venue_order_id: String,
    pub client_order_id: String,
    pub status: OrderStatus,
    #[ts(type = "string")]
    pub filled_qty: Decimal,
    #[ts(type = "string | null")]
    pub avg_fill_price: Option<Decimal>,
}

/// An order as the venue knows it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct OrderState {
    pub symbol: String,
    pub venue_order_id: String,
    pub client_order_id: String,
    pub side: Side,
    /// `None` for a type Rampart does not place (an order from another tool).
    pub order_type: Option<OrderType>,
    pub status: OrderStatus,
    #[ts(type = "string")]
    pub qty: Decimal,
    #[ts(type = "string")]
    pub filled_qty: Decimal,
    #[ts(type = "string | null")]
    pub price: Option<Decimal>,
    #[ts(type = "string | null")]
    pub trigger_price: Option<Decimal>,
    #[ts(type = "string | null")]
    pub avg_fill_price: Option<Decimal>,
    pub reduce_only: bool,
    pub position_side: PositionSide,
    /// Venue time of the last change (ms since the Unix epoch).
    #[ts(type = "number")]
    pub updated_ms: i64,
}

impl From<&OrderState> for OrderAck {
    fn from(o: &OrderState) -> Self {
        OrderAck {
            venue_order_id: o.venue_order_id.clone(),
            client_order_id: o.client_order_id.clone(),
            status: o.status,
            filled_qty: o.filled_qty,
            avg_fill_price: o.avg_fill_price,
        }
    }
}

/// What a lookup by client order id found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientIdLookup {
    /// Exactly one order carries the id.
    Found(OrderState),
    /// The venue has no order with it (never arrived, or older than the venue keeps).
    NotFound,
    /// Several orders carry it: the venue does not keep client ids unique (Deribit's labels).
    /// The order we placed is one of them.
    Several(Vec<OrderState>),
}

/// One asset of the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct Balance {
    pub asset: String,
    /// Wallet balance (deposits, realized PnL, fees).
    #[ts(type = "string")]
    pub wallet: Decimal,
    /// What new orders may use.
    #[ts(type = "string")]
    pub available: Decimal,
    #[ts(type = "string")]
    pub unrealized_pnl: Decimal,
}

/// An option position's sensitivities, as the venue reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct Greeks {
    #[ts(type = "string")]
    pub delta: Decimal,
    #[ts(type = "string")]
    pub gamma: Decimal,
    #[ts(type = "string")]
    pub vega: Decimal,
    #[ts(type = "string")]
    pub theta: Decimal,
}

/// An open position; `qty` is signed (negative is short), in the instrument's size unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct Position {
    pub symbol: String,
    pub position_side: PositionSide,
    pub margin_mode: Option<MarginMode>,
    #[ts(type = "string")]
    pub qty: Decimal,
    #[ts(type = "string")]
    pub entry_price: Decimal,
    #[ts(type = "string")]
    pub mark_price: Decimal,
    /// In the instrument's settle asset.
    #[ts(type = "string")]
    pub unrealized_pnl: Decimal,
    #[ts(type = "string | null")]
    pub leverage: Option<Decimal>,
    /// `None` when the venue reports no liquidation price.
    #[ts(type = "string | null")]
    pub liquidation_price: Option<Decimal>,
    /// For option positions, where the venue reports them.
    pub greeks: Option<Greeks>,
}

/// One price level of a book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct BookLevel {
    #[ts(type = "string")]
    pub price: Decimal,
    #[ts(type = "string")]
    pub qty: Decimal,
}

/// An order-book snapshot, best levels first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct OrderBook {
    pub symbol: String,
    pub bids: Vec<BookLevel>,
    pub asks: Vec<BookLevel>,
    /// The venue's sequence number, to join the book to a diff stream.
    #[ts(type = "number")]
    pub update_id: u64,
    #[ts(type = "number")]
    pub time_ms: i64,
}

/// Mark price (and funding of a perpetual, and implied volatility of an option).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct MarkPrice {
    pub symbol: String,
    #[ts(type = "string")]
    pub mark: Decimal,
    #[ts(type = "string | null")]
    pub index: Option<Decimal>,
    #[ts(type = "string | null")]
    pub funding_rate: Option<Decimal>,
    #[ts(type = "number | null")]
    pub next_funding_ms: Option<i64>,
    /// An option's mark implied volatility (percent, as Deribit sends `mark_iv`).
    #[ts(type = "string | null")]
    pub mark_iv: Option<Decimal>,
    #[ts(type = "number")]
    pub time_ms: i64,
}

/// The account's trading fee rates on one instrument, as fractions of the notional (0.0005 is
/// 0.05 %): maker for an order that rests and is filled later, taker for one that fills at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct FeeRates {
    pub symbol: String,
    #[ts(type = "string")]
    pub maker: Decimal,
    #[ts(type = "string")]
    pub taker: Decimal,
}

/// Leverage of one symbol. Venues with a single figure report it as both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct Leverage {
    #[ts(type = "string")]
    pub buy: Decimal,
    #[ts(type = "string")]
    pub sell: Decimal,
}

impl Leverage {
    pub const fn both(leverage: Decimal) -> Self {
        Leverage {
            buy: leverage,
            sell: leverage,
        }
    }
}

/// A leverage change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct LeverageRequest {
    pub symbol: String,
    pub leverage: Leverage,
    /// For venues that keep leverage per margin mode (OKX).
    pub margin_mode: Option<MarginMode>,
}

/// What an API key may do, as the venue itself reports it (Binance: the API key's
/// restrictions), for the guard's key permission audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct KeyPermissions {
    /// Whether the key may read the account.
    pub can_read: bool,
    /// Whether the key may trade the products this connection trades (Binance USDⓈ-M: futures).
    pub can_trade: bool,
    /// Whether the key may withdraw funds off the venue.
    pub can_withdraw: bool,
    /// Whether the key may move funds between the user's own accounts (internal or universal
    /// transfer).
    pub can_transfer: bool,
    /// Whether the venue takes the key only from the IP addresses listed with it.
    pub ip_restricted: bool,
    /// When the key was created (ms since the Unix epoch), where the venue says.
    #[ts(type = "number | null")]
    pub created_ms: Option<i64>,
}

/// What a venue's dead man's switch covers when it fires.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case", tag = "scope", content = "symbol")]
#[ts(rename_all = "snake_case", tag = "scope", content = "symbol")]
pub enum DeadMansScope {
    /// One symbol's open orders (Binance's countdownCancelAll).
    Symbol(String),
    /// Every open order of the (sub-)account (OKX's cancel-all-after).
    Account,
    /// The orders of one connection (Bybit's disconnected-cancel-all, Deribit's
    /// cancel-on-disconnect with scope `connection`).
    Connection,
}

/// How a venue's dead man's switch works, for the engine and the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct DeadMansSwitchInfo {
    /// The scope the venue applies (the kind of [`DeadMansScope`] it accepts).
    pub scope: DeadMansScope,
    /// The shortest and longest countdown the venue accepts (ms).
    #[ts(type = "number")]
    pub min_countdown_ms: u64,
    #[ts(type = "number")]
    pub max_countdown_ms: u64,
    /// Why it may be unavailable on this account (Bybit: institutional accounts only).
    pub note: Option<String>,
}

/// What a venue connection can do, so the engine and the UI need not know which venue it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct VenueCapabilities {
    pub categories: Vec<ProductCategory>,
    pub dead_mans_switch: Option<DeadMansSwitchInfo>,
    /// Whether the venue accepts separate buy and sell leverage (Bybit).
    pub split_leverage: bool,
    /// Whether the venue has hedge mode (long and short positions on one symbol).
    pub hedge_mode: bool,
    /// Whether every order must name its margin mode (OKX's `tdMode`).
    pub margin_mode_per_order: bool,
    /// Whether the venue keeps client order ids unique among open orders (not Deribit's labels).
    pub unique_client_ids: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_with_steps() -> InstrumentRules {
        InstrumentRules {
            symbol: "BTC-27DEC26-100000-C".into(),
            category: ProductCategory::Option,
            kind: ContractKind::Dated,
            base_asset: "BTC".into(),
            quote_asset: "BTC".into(),
            settle_asset: "BTC".into(),
            trading: true,
            tick_size: Decimal::new(1, 4),
            tick_steps: vec![TickStep {
                from_price: Decimal::new(5, 3),
                tick: Decimal::new(5, 4),
            }],
            min_price: Decimal::ZERO,
            max_price: Decimal::ZERO,
            step_size: Decimal::new(1, 1),
            min_qty: Decimal::new(1, 1),
            max_qty: Decimal::ZERO,
            max_market_qty: Decimal::ZERO,
            min_notional: Decimal::ZERO,
            contract_size: Some(Decimal::ONE),
            expiry_ms: Some(1_798_358_400_000),
            option: Some(OptionSpec {
                underlying: "BTC".into(),
                strike: Decimal::from(100_000),
                right: OptionRight::Call,
                premium_currency: "BTC".into(),
            }),
            max_leverage: None,
        }
    }

    #[test]
    fn tick_depends_on_price_where_the_venue_has_steps() {
        let rules = rules_with_steps();
        assert_eq!(rules.tick_at(Decimal::new(3, 3)), Decimal::new(1, 4));
        assert_eq!(rules.tick_at(Decimal::new(5, 3)), Decimal::new(5, 4));
        assert_eq!(rules.tick_at(Decimal::new(12, 2)), Decimal::new(5, 4));
    }

    #[test]
    fn portable_client_ids_are_letters_and_digits_up_to_32() {
        assert!(is_portable_client_order_id("rmp0aZ9"));
        assert!(is_portable_client_order_id(&"a".repeat(32)));
        assert!(!is_portable_client_order_id(&"a".repeat(33)));
        assert!(!is_portable_client_order_id(""));
        assert!(!is_portable_client_order_id("rmp-abc"));
        assert!(!is_portable_client_order_id("rmp_abc"));
    }

    #[test]
    fn dead_mans_scope_wire_shape() {
        assert_eq!(
            serde_json::to_string(&DeadMansScope::Symbol("BTCUSDT".into())).unwrap(),
            r#"{"scope":"symbol","symbol":"BTCUSDT"}"#
        );
        assert_eq!(
            serde_json::to_string(&DeadMansScope::Account).unwrap(),
            r#"{"scope":"account"}"#
        );
    }
}
