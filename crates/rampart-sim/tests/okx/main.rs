//! The OKX v5 simulator driven as a third-party client would drive it: reqwest, hand-written
//! OK-ACCESS-* signing, tokio-tungstenite for the streams. Loopback only.

mod rest;
mod streams;
mod support;
