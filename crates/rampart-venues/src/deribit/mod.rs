//! Deribit v2: BTC and ETH futures (the perpetuals included) and options, over JSON-RPC
//! (WebSocket preferred, HTTP when the socket is down), with OAuth 2.0 access tokens.

pub mod auth;
pub mod convert;
pub mod environment;
pub mod error;
pub mod json;
pub mod limits;
pub mod models;
pub mod rpc;
pub mod rules;
pub mod signer;
pub mod socket;
pub mod venue;
pub mod ws;

pub use environment::Environment;
pub use rpc::RpcClient;
pub use signer::{Signer, check_key_format};
pub use venue::Deribit;
