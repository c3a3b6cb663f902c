//! The Bybit v5 simulator through a third-party-style client: REST trading, refusals with
//! Bybit's codes and messages, rate limits, and the streams.

mod rest;
mod streams;
mod support;
