//! Binance USDⓈ-M futures (`/fapi`).

pub mod signer;

pub use signer::{Signer, SignerError};
