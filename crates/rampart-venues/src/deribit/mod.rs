//! Deribit v2: BTC and ETH futures (the perpetuals included) and options, over JSON-RPC
//! (WebSocket preferred, HTTP when the socket is down), with OAuth 2.0 access tokens.
//!
//! - [`signer`]: the `deri-hmac-sha256` header and the client-signature grant;
//!   [`auth`]: the access token (granted, refreshed before expiry, renewed once after a
//!   refusal) and the key's scopes as [`KeyPermissions`](crate::venue::KeyPermissions);
//! - [`rpc`]: one account's requests over [`socket`] or HTTP, the clock, the credit buckets of
//!   [`limits`]; [`error`]: Deribit's full code table;
//! - [`models`] (numbers kept as text by [`json`]), [`convert`], [`rules`]: sizes are counted
//!   in contracts (10 USD for a BTC future, 1 USD for an ETH future, 1 coin for an option), an
//!   order's label is Rampart's client order id (not unique on Deribit), ticks depend on price;
//! - [`venue`]: the [`Venue`](crate::venue::Venue) (cancel-on-disconnect as the dead man's
//!   switch, WebSocket only, not fired by a logout); [`ws`]: the account and market feeds.

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
