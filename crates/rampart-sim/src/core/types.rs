//! The plain types of the venue-neutral exchange: instruments, order requests, orders,
//! executions, positions and wallets. No wire strings: a protocol layer maps these to its
//! venue's names.

use rust_decimal::Decimal;

use super::options::{Greeks, OptionSpec};

/// An account's opaque id: whatever the protocol layer keys accounts by (an API key, a UID).
pub type AccountId = String;

/// How a contract settles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContractKind {
    /// Margined and settled in the quote coin (or a stablecoin); notional = qty × value × price.
    Linear,
    /// Margined and settled in the base coin; notional = qty × value / price.
    Inverse,
}

/// A coarser tick that applies from a price up (Deribit's `tick_size_steps`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TickStep {
    /// The price above which `tick_size` applies.
    pub above_price: Decimal,
    pub tick_size: Decimal,
}

/// One listed contract (a perpetual, a dated future or an option) and its trading rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Instrument {
    pub symbol: String,
    pub base: String,
    pub quote: String,
    /// The coin margin and PnL are in (the quote coin for linear, the base coin for inverse).
    pub settle: String,
    pub kind: ContractKind,
    /// Prices are whole multiples of this.
    pub tick_size: Decimal,
    /// Quantities (in contracts) are whole multiples of this.
    pub lot_size: Decimal,
    pub min_qty: Decimal,
    pub max_qty: Decimal,
    /// What one contract is worth: 1 (base coin) for base-sized linear contracts, e.g. 1 (USD)
    /// for USD-sized inverse contracts, or a venue's contract face value (0.01 BTC, 10 USD, …).
    pub contract_value: Decimal,
    pub max_leverage: Decimal,
    /// The mark price at start.
    pub start_mark: Decimal,
    /// Fee rates as fractions of notional (0.0002 = 0.02%); negative is a rebate.
    pub maker_fee: Decimal,
    pub taker_fee: Decimal,
    /// Maintenance margin as a fraction of notional (one tier).
    pub maintenance_rate: Decimal,
    /// The size (in contracts) of a book level; each level holds 1 to 5 of these, set by its
    /// price, so a level keeps its size while the mark moves.
    pub book_unit: Decimal,
    /// When the instrument expires and settles (ms); `None` for a perpetual. Past it, orders
    /// are refused and [`super::Exchange::housekeep`] settles its positions.
    pub expiry_ms: Option<i64>,
    /// Set for an option: its mark comes from the volatility surface, buying it pays the
    /// premium (qty × value × price) from the wallet and selling it receives the premium and
    /// holds margin (see [`super::Exchange::position`]). Options are priced and settled
    /// linearly in the settle coin (`kind` Linear, `contract_value` in the coin).
    pub option: Option<OptionSpec>,
    /// Coarser ticks above some prices, ascending; empty: `tick_size` everywhere.
    pub tick_steps: Vec<TickStep>,
}

impl Instrument {
    /// The tick that applies at `price`: the last step whose `above_price` it exceeds, else
    /// `tick_size`.
    pub fn tick_at(&self, price: Decimal) -> Decimal {
        self.tick_steps
            .iter()
            .rev()
            .find(|s| price > s.above_price)
            .map_or(self.tick_size, |s| s.tick_size)
    }

    /// Whether `price` is a positive whole number of the ticks that apply at it.
    pub fn on_tick(&self, price: Decimal) -> bool {
        let tick = self.tick_at(price);
        price > Decimal::ZERO && !tick.is_zero() && (price % tick).is_zero()
    }

    pub fn is_option(&self) -> bool {
        self.option.is_some()
    }

    /// Whether the instrument has expired at `now`.
    pub fn expired(&self, now: i64) -> bool {
        self.expiry_ms.is_some_and(|e| e <= now)
    }

    /// The fee, in the settle coin, of a fill of `qty` at `price` at `rate`: `rate` × notional;
    /// for an option `rate` × the underlying amount, capped at 12.5% of the premium (Deribit's
    /// option fee rule, /articles/fees).
    pub fn fee(&self, qty: Decimal, price: Decimal, rate: Decimal) -> Decimal {
        if self.is_option() {
            let amount = qty * self.contract_value;
            let cap = amount * price * Decimal::new(125, 3);
            if rate >= Decimal::ZERO {
                (amount * rate).min(cap).round_dp(8)
            } else {
                (amount * rate).max(-cap).round_dp(8)
            }
        } else {
            (self.notional(qty, price) * rate).round_dp(8)
        }
    }

    /// Whether `qty` is a positive whole number of lots.
    pub fn on_lot(&self, qty: Decimal) -> bool {
        qty > Decimal::ZERO && (qty % self.lot_size).is_zero()
    }

    /// The notional of `qty` contracts at `price`, in the settle coin (0 at a non-positive
    /// price for inverse contracts).
    pub fn notional(&self, qty: Decimal, price: Decimal) -> Decimal {
        match self.kind {
            ContractKind::Linear => qty * self.contract_value * price,
            ContractKind::Inverse => {
                if price <= Decimal::ZERO {
                    Decimal::ZERO
                } else {
                    (qty * self.contract_value)
                        .checked_div(price)
                        .unwrap_or_default()
                        .round_dp(10)
                }
            }
        }
    }

    /// The PnL, in the settle coin, of `signed_qty` contracts (positive long) held from
    /// `entry` to `exit`. Linear: `q × value × (exit − entry)`; inverse:
    /// `q × value × (1/entry − 1/exit)`.
    pub fn pnl(&self, signed_qty: Decimal, entry: Decimal, exit: Decimal) -> Decimal {
        match self.kind {
            ContractKind::Linear => signed_qty * self.contract_value * (exit - entry),
            ContractKind::Inverse => {
                if entry <= Decimal::ZERO || exit <= Decimal::ZERO {
                    return Decimal::ZERO;
                }
                let inv = |p: Decimal| Decimal::ONE.checked_div(p).unwrap_or_default();
                (signed_qty * self.contract_value * (inv(entry) - inv(exit))).round_dp(10)
            }
        }
    }

    /// `price` rounded down to the tick that applies at it.
    pub fn floor_tick(&self, price: Decimal) -> Decimal {
        let tick = self.tick_at(price);
        if tick.is_zero() {
            return price;
        }
        (price / tick).floor() * tick
    }

    /// The next price on the tick above `price` (which is on the tick).
    pub fn tick_up(&self, price: Decimal) -> Decimal {
        let next = price + self.tick_at(price);
        // Crossing into a coarser step: the first price on the coarser tick.
        let tick = self.tick_at(next);
        if tick.is_zero() {
            return next;
        }
        (next / tick).ceil() * tick
    }

    /// The next price on the tick below `price` (which is on the tick); may be 0 or less.
    pub fn tick_down(&self, price: Decimal) -> Decimal {
        let below = price - self.tick_size;
        let tick = self.tick_at(below);
        if tick == self.tick_size {
            below
        } else {
            price - tick
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    /// +1 for buy, −1 for sell.
    pub fn sign(self) -> Decimal {
        match self {
            Side::Buy => Decimal::ONE,
            Side::Sell => Decimal::NEGATIVE_ONE,
        }
    }

    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderKind {
    Market,
    Limit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeInForce {
    /// Rests until filled or cancelled.
    Gtc,
    /// Takes what it can at once; the rest is cancelled.
    Ioc,
    /// Fills whole at once or is cancelled whole.
    Fok,
    /// Rests only: cancelled if it would take liquidity when placed.
    PostOnly,
}

/// Which price a conditional order watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerBy {
    Mark,
    Last,
}

/// When a conditional order fires: the watched price reaching `price` from below (`Rise`) or
/// from above (`Fall`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerDirection {
    Rise,
    Fall,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trigger {
    pub price: Decimal,
    pub by: TriggerBy,
    pub direction: TriggerDirection,
}

/// What a client asks for; checked by [`super::Exchange::place`].
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRequest {
    pub symbol: String,
    pub side: Side,
    pub kind: OrderKind,
    /// In contracts (lots).
    pub qty: Decimal,
    /// Required for limit orders, ignored for market orders.
    pub price: Option<Decimal>,
    pub time_in_force: TimeInForce,
    pub reduce_only: bool,
    /// The client's id; see [`super::ClientIdScope`] for its uniqueness.
    pub client_id: Option<String>,
    /// Makes the order conditional: it waits (untriggered) until the trigger fires, then is
    /// placed as `kind` at `price`.
    pub trigger: Option<Trigger>,
}

impl OrderRequest {
    /// A GTC limit order with no options.
    pub fn limit(symbol: &str, side: Side, qty: Decimal, price: Decimal) -> OrderRequest {
        OrderRequest {
            symbol: symbol.to_owned(),
            side,
            kind: OrderKind::Limit,
            qty,
            price: Some(price),
            time_in_force: TimeInForce::Gtc,
            reduce_only: false,
            client_id: None,
            trigger: None,
        }
    }

    /// A market order with no options.
    pub fn market(symbol: &str, side: Side, qty: Decimal) -> OrderRequest {
        OrderRequest {
            symbol: symbol.to_owned(),
            side,
            kind: OrderKind::Market,
            qty,
            price: None,
            time_in_force: TimeInForce::Ioc,
            reduce_only: false,
            client_id: None,
            trigger: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    /// A conditional order waiting for its trigger.
    Untriggered,
    /// Open, nothing filled.
    New,
    PartiallyFilled,
    Filled,
    /// Ended before filling whole (some may have filled: see `filled_qty`); `cancel_reason`
    /// says why.
    Cancelled,
}

impl OrderStatus {
    /// Open or waiting: something can still happen to it.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            OrderStatus::Untriggered | OrderStatus::New | OrderStatus::PartiallyFilled
        )
    }
}

/// Why an order ended without filling whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelReason {
    /// The client cancelled it (one, or all).
    ByClient,
    /// The rest of an IOC or market order that found no more liquidity.
    Remainder,
    /// A FOK order that could not fill whole.
    FokUnfillable,
    /// A post-only order that would have taken liquidity.
    PostOnlyWouldTake,
    /// A reduce-only order with no position left to reduce.
    ReduceOnlyNothingToReduce,
    /// The dead man's countdown expired.
    DeadMan,
    /// The instrument expired.
    Expired,
}

/// One order as the exchange keeps it (open or finished).
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// The venue's order id (made by [`super::CoreConfig::order_id`]).
    pub id: String,
    /// Acceptance order across the exchange (1, 2, …).
    pub seq: u64,
    pub account: AccountId,
    pub symbol: String,
    pub client_id: Option<String>,
    pub side: Side,
    pub kind: OrderKind,
    pub time_in_force: TimeInForce,
    pub qty: Decimal,
    pub price: Option<Decimal>,
    pub reduce_only: bool,
    pub trigger: Option<Trigger>,
    /// Set once a conditional order's trigger fired.
    pub triggered: bool,
    pub status: OrderStatus,
    pub cancel_reason: Option<CancelReason>,
    pub filled_qty: Decimal,
    /// Σ qty × price of the fills (for the average price).
    pub filled_value: Decimal,
    /// Σ fees paid, in the settle coin.
    pub fees: Decimal,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl Order {
    pub fn remaining(&self) -> Decimal {
        self.qty - self.filled_qty
    }

    /// The average fill price (`None` before any fill).
    pub fn avg_price(&self) -> Option<Decimal> {
        if self.filled_qty.is_zero() {
            None
        } else {
            self.filled_value
                .checked_div(self.filled_qty)
                .map(|p| p.round_dp(8).normalize())
        }
    }

    pub fn is_open(&self) -> bool {
        self.status.is_open()
    }
}

/// One fill of an account's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    /// Exchange-wide trade id (1, 2, …); the public trade shares it.
    pub trade_id: u64,
    pub account: AccountId,
    pub order_id: String,
    pub client_id: Option<String>,
    pub symbol: String,
    pub side: Side,
    pub qty: Decimal,
    pub price: Decimal,
    /// Whether the order was resting (maker) rather than taking.
    pub maker: bool,
    /// Fee paid in the settle coin (negative: a rebate).
    pub fee: Decimal,
    pub fee_rate: Decimal,
    /// The notional of the fill in the settle coin.
    pub value: Decimal,
    /// Realised PnL of the fill (before fees).
    pub realized_pnl: Decimal,
    /// The order's remaining quantity after this fill.
    pub leaves_qty: Decimal,
    pub mark_price: Decimal,
    pub time_ms: i64,
}

/// How a symbol's position is margined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MarginMode {
    #[default]
    Cross,
    Isolated,
}

/// An account's one-way position on one symbol, valued at the mark.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    pub account: AccountId,
    pub symbol: String,
    /// Contracts, signed: positive long, negative short, 0 flat.
    pub size: Decimal,
    /// Average entry (0 when flat): arithmetic for linear, harmonic for inverse.
    pub entry_price: Decimal,
    pub mark_price: Decimal,
    pub leverage: Decimal,
    pub margin_mode: MarginMode,
    /// Notional at the mark, in the settle coin.
    pub value: Decimal,
    pub unrealized_pnl: Decimal,
    /// Realised PnL accumulated on this symbol (fees included).
    pub realized_pnl: Decimal,
    /// Initial margin at the mark: value / leverage.
    pub initial_margin: Decimal,
    pub maintenance_margin: Decimal,
    /// An estimate (0 when flat or none applies); see [`super::Exchange::position`].
    pub liquidation_price: Decimal,
    /// An option position's greeks (the option's, times its signed size in coins), at the
    /// option's last mark; `None` for futures.
    pub greeks: Option<Greeks>,
    pub updated_ms: i64,
}

/// One coin of an account's wallet, with its margin figures at the mark.
#[derive(Debug, Clone, PartialEq)]
pub struct Wallet {
    pub account: AccountId,
    pub coin: String,
    /// Deposits + realised PnL − fees.
    pub balance: Decimal,
    pub unrealized_pnl: Decimal,
    /// Σ signed size × value × mark of the coin's option positions (what they are worth).
    pub options_value: Decimal,
    /// balance + unrealised PnL of futures + options value.
    pub equity: Decimal,
    pub position_margin: Decimal,
    pub order_margin: Decimal,
    pub maintenance_margin: Decimal,
    /// equity − position margin − order margin (not below 0).
    pub available: Decimal,
}

/// One price level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    pub price: Decimal,
    pub qty: Decimal,
}

/// The top of a symbol's book.
#[derive(Debug, Clone, PartialEq)]
pub struct Book {
    pub symbol: String,
    /// Best first.
    pub bids: Vec<Level>,
    /// Best first.
    pub asks: Vec<Level>,
    /// Bumped on every change of the book.
    pub seq: u64,
    pub time_ms: i64,
}

/// A market's prices and rolling 24-hour figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticker {
    pub symbol: String,
    pub last: Decimal,
    pub mark: Decimal,
    pub index: Decimal,
    pub bid: Level,
    pub ask: Level,
    /// The price 24 hours ago (the open of the oldest candle in the window).
    pub prev_price_24h: Decimal,
    pub high_24h: Decimal,
    pub low_24h: Decimal,
    /// Contracts traded in 24 hours.
    pub volume_24h: Decimal,
    /// Σ qty × price over 24 hours.
    pub turnover_24h: Decimal,
    pub funding_rate: Decimal,
    pub next_funding_ms: i64,
    /// Σ |size| of every account's position.
    pub open_interest: Decimal,
    pub time_ms: i64,
}

/// One candle (of last prices unless stated).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candle {
    pub open_ms: i64,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
    /// Contracts.
    pub volume: Decimal,
    /// Σ qty × price.
    pub turnover: Decimal,
}

impl Candle {
    pub(super) fn flat(open_ms: i64, price: Decimal) -> Candle {
        Candle {
            open_ms,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: Decimal::ZERO,
            turnover: Decimal::ZERO,
        }
    }

    pub(super) fn touch(&mut self, price: Decimal) {
        self.high = self.high.max(price);
        self.low = self.low.min(price);
        self.close = price;
    }

    pub(super) fn trade(&mut self, price: Decimal, qty: Decimal) {
        self.touch(price);
        self.volume += qty;
        self.turnover += qty * price;
    }
}

/// A trade on the public tape.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicTrade {
    pub trade_id: u64,
    pub symbol: String,
    /// The taker's side.
    pub taker_side: Side,
    pub price: Decimal,
    pub qty: Decimal,
    pub time_ms: i64,
}

/// Which open orders a cancel-all or a dead man's countdown covers; `None` fields match all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CancelFilter {
    pub symbol: Option<String>,
    pub settle: Option<String>,
    pub kind: Option<ContractKind>,
    /// `Some(true)`: conditional orders only; `Some(false)`: regular orders only.
    pub conditional: Option<bool>,
    /// `Some(true)`: options only; `Some(false)`: futures only.
    pub option: Option<bool>,
}
