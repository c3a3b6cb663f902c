//! rampart-sim: exchange simulators that speak each venue's real protocol on loopback.
//!
//! Everything here is written from the venues' own API documentation and shares no signing,
//! encoding or parsing code with rampart-venues.

pub mod binance_usdm;
pub mod bybit;
pub mod core;
pub mod deribit;
pub mod okx;
mod tls;
