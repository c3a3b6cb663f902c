//! The simulator's integration tests, one binary: a third-party client (reqwest, tungstenite and
//! the tests' own signing code) against a simulator on a loopback port.

mod algo;
mod exchange;
mod key_permissions;
mod streams;
mod support;
mod tls;
