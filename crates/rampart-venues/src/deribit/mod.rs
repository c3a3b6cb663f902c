//! Deribit v2: BTC and ETH futures (the perpetuals included) and options, over JSON-RPC
//! (WebSocket preferred, HTTP when the socket is down), with OAuth 2.0 access tokens.

pub mod auth;
pub mod environment;
pub mod error;
pub mod json;
pub mod signer;

pub use environment::Environment;
pub use signer::{Signer, check_key_format};
