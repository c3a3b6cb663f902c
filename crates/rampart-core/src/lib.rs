//! Rampart's domain types.
//!
//! Everything here is plain data: no I/O, no Tauri, no secrets. Types that cross the IPC boundary
//! derive [`ts_rs::TS`]; their TypeScript twins are generated into `ui/src/lib/bindings/` and checked
//! fresh by `tests/bindings.rs`.

pub mod audit;
pub mod error;
pub mod feed;
pub mod market;
pub mod money;
pub mod options;
pub mod session;
pub mod status;
pub mod trading;

pub use error::{ApiError, ErrorCode};
pub use market::{OrderType, Side, TimeInForce, Venue};
pub use money::{AmountError, Price, Qty};
