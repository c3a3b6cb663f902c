//! Bybit v5 (Unified Trading Account): linear and inverse contracts.

pub mod convert;
pub mod environment;
pub mod error;
pub mod limits;
pub mod models;
pub mod rules;
pub mod signer;

pub use environment::Environment;
pub use signer::{Signer, SignerError, check_key_format};
