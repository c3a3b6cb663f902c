//! Bybit v5, Unified Trading Account: linear (USDT and USDC) and inverse contracts, perpetual
//! and dated. Options and spot are not traded through this connector.
//!
//! Built from Bybit's own v5 documentation (the bybit-exchange/docs repository behind
//! bybit-exchange.github.io/docs/v5); each module quotes the page it follows:
//! - [`signer`]: the string to sign and the WebSocket login, with the guide's examples as tests;
//! - [`environment`]: mainnet, testnet and demo trading hosts, and stream addresses;
//! - [`models`] (wire shapes) and [`convert`] (to Rampart's types), [`rules`] (checks before
//!   sending, the create-order body), [`error`] (Bybit's codes, named once), [`limits`] (per IP
//!   and per endpoint, following `X-Bapi-Limit*`);
//! - [`rest`] (the client) and [`venue`] (the [`crate::venue::Venue`] implementation), [`ws`]
//!   (private and public streams).

pub mod convert;
pub mod environment;
pub mod error;
pub mod limits;
pub mod models;
pub mod rest;
pub mod rules;
pub mod signer;
pub mod venue;
pub mod ws;

pub use environment::Environment;
pub use rest::RestClient;
pub use signer::{Signer, SignerError, check_key_format};
pub use venue::Bybit;
