//! Binance USDⓈ-M WebSocket streams: the connection and its reconnect back-off (`connection`),
//! the market streams (`market_stream`), the user data stream (`user_stream`), and the events
//! they carry (`parse` for the market streams' and the readers both share, `user_events`).

pub mod connection;
pub mod market_stream;
pub mod parse;
pub mod user_events;
pub mod user_stream;
