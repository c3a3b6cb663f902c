//! OKX v5: perpetual (SWAP) and dated (FUTURES) contracts, linear and inverse.

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
pub use signer::{Signer, check_key_format};
pub use venue::Okx;
