//! Why the exchange refuses a request. A protocol layer maps each to its venue's code and
//! message.

use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoreError {
    /// No instrument with this symbol is listed.
    UnknownSymbol(String),
    /// No account with this id exists.
    UnknownAccount,
    /// The quantity is zero, negative or not a whole number of lots.
    QtyNotOnLot,
    /// The quantity is below the instrument's minimum.
    QtyBelowMin(Decimal),
    /// The quantity is above the instrument's maximum.
    QtyAboveMax(Decimal),
    /// A limit order without a price.
    PriceMissing,
    /// The price is zero, negative or not a whole number of ticks.
    PriceNotOnTick,
    /// The trigger price is zero, negative, off the tick, or already reached.
    InvalidTrigger,
    /// The order's initial margin exceeds the available balance.
    InsufficientBalance,
    /// A reduce-only order that would open or grow a position.
    ReduceOnlyWouldIncrease,
    /// The client id is already used (see [`super::ClientIdScope`]).
    DuplicateClientId,
    /// No order with this id or client id (of this account).
    OrderNotFound,
    /// The order exists but is finished (filled or cancelled).
    OrderFinished,
    /// An amend that changes nothing, or a quantity below what already filled.
    AmendInvalid,
    /// Leverage outside 1 ..= the instrument's maximum.
    InvalidLeverage,
    /// The leverage or margin mode asked for is the one already set.
    Unchanged,
    /// The margin mode cannot change while a position or open order exists on the symbol.
    PositionOrOrdersOpen,
    /// The instrument has expired: it no longer trades.
    Expired,
}

impl std::fmt::Display for CoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            CoreError::UnknownSymbol(s) => return write!(f, "symbol {s} is not listed"),
            CoreError::UnknownAccount => "unknown account",
            CoreError::QtyNotOnLot => "quantity is not a whole number of lots",
            CoreError::QtyBelowMin(m) => return write!(f, "quantity is below the minimum {m}"),
            CoreError::QtyAboveMax(m) => return write!(f, "quantity is above the maximum {m}"),
            CoreError::PriceMissing => "a limit order needs a price",
            CoreError::PriceNotOnTick => "price is not a whole number of ticks",
            CoreError::InvalidTrigger => "invalid trigger price",
            CoreError::InsufficientBalance => "insufficient available balance",
            CoreError::ReduceOnlyWouldIncrease => "a reduce-only order would increase the position",
            CoreError::DuplicateClientId => "client order id already used",
            CoreError::OrderNotFound => "order not found",
            CoreError::OrderFinished => "order is already filled or cancelled",
            CoreError::AmendInvalid => "the amendment changes nothing or is invalid",
            CoreError::InvalidLeverage => "leverage out of range",
            CoreError::Unchanged => "nothing to change",
            CoreError::PositionOrOrdersOpen => "a position or open orders exist on the symbol",
            CoreError::Expired => "the instrument has expired",
        };
        f.write_str(text)
    }
}

impl std::error::Error for CoreError {}
