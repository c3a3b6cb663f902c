//! Binance USDⓈ-M futures (`/fapi`).

pub mod algo;
pub mod book;
pub mod convert;
pub mod environment;
pub mod error;
pub mod feeds;
pub mod filters;
pub mod key_permissions;
mod lane;
pub mod limits;
pub mod models;
pub mod order;
pub mod rest;
pub mod signer;
pub mod venue;
pub mod ws;

pub use environment::{BinanceEndpoints, Environment};
pub use error::{HoldReason, VenueError};
pub use filters::{FilterViolation, SymbolFilters};
pub use key_permissions::ApiRestrictions;
pub use order::OrderRequest;
pub use rest::{ClientOptions, OrderEndpoint, PreparedOrder, RestClient};
pub use signer::{Signer, SignerError};
pub use venue::BinanceUsdm;
