//! What the exchange publishes, in the order things happened, for a protocol layer's streams.

use super::types::{
    AccountId, Book, Candle, Execution, Order, Position, PublicTrade, Ticker, Wallet,
};

/// One change, as published on the exchange's broadcast channel. Events are built only while
/// someone holds a receiver (see [`super::Exchange::subscribe`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// An order was accepted, triggered, filled in part or whole, amended or ended.
    Order(Order),
    /// One fill of an account's order (published before the order's own update).
    Execution(Execution),
    /// An account's position changed (a fill, a leverage or margin-mode change).
    Position(Position),
    /// An account's wallet in one coin changed (a fill, a fee, a deposit).
    Wallet(Wallet),
    /// A market's prices moved.
    Ticker(Ticker),
    /// A market's book changed; the top [`super::PUBLISHED_BOOK_DEPTH`] levels each side.
    Book(Book),
    /// A trade printed on the public tape.
    Trade(PublicTrade),
    /// A market's current 1-minute candle changed.
    Candle { symbol: String, candle: Candle },
    /// An account's dead man's countdown fired and cancelled its orders.
    DeadManFired { account: AccountId, scope: String },
}
