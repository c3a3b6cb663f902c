//! Venue connectors. One module per venue; each signs, sends and parses in its venue's own terms,
//! following the venue's published API documentation.

pub mod binance_usdm;
pub mod bybit;
pub mod clock;
pub mod deribit;
mod http;
pub mod okx;
pub mod tls;
pub mod venue;
pub mod wire;
