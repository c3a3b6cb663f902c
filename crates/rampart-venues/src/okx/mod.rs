//! OKX v5: perpetual (SWAP) and dated (FUTURES) contracts, linear and inverse.

pub mod convert;
pub mod error;
pub mod models;
pub mod rules;
pub mod signer;

pub use signer::{Signer, check_key_format};
