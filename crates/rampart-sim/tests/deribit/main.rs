//! The Deribit v2 simulator driven as a third-party client would drive it: reqwest with a
//! hand-written `deri-hmac-sha256` signer, `public/auth` grants, tokio-tungstenite for the
//! WebSocket API. Loopback only.

mod options;
mod rest;
mod streams;
mod support;
