//! Bybit v5 (Unified Trading Account): linear and inverse contracts.

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
