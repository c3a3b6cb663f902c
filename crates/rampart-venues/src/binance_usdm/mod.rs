//! Binance USDⓈ-M futures (`/fapi`).

pub mod filters;
pub mod limits;
pub mod rest;
pub mod signer;

pub use filters::{FilterViolation, SymbolFilters};
pub use rest::{RestClient, VenueError};
pub use signer::{Signer, SignerError};
