//! Binance USDⓈ-M WebSocket streams: the connection and its reconnect back-off (`connection`),
//! the market streams (`market_stream`), the user data stream (`user_stream`) and the events
//! they parse (`parse`).

pub mod connection;
pub mod market_stream;
pub mod parse;
pub mod user_stream;
