//! Binance USDⓈ-M futures (`/fapi`).

pub mod filters;
pub mod limits;
pub mod signer;

pub use filters::{FilterViolation, SymbolFilters};
pub use signer::{Signer, SignerError};
