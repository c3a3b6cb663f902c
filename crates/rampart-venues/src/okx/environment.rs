//! Where OKX lives, from the v5 documentation's "Overview → Production Trading Services" and
//! "Demo Trading Services":
//! - live: REST `https://www.okx.com`, WebSocket `wss://ws.okx.com:8443/ws/v5/public`,
//!   `/ws/v5/private`, `/ws/v5/business`;
//! - demo trading: the same REST host with the header `x-simulated-trading: 1`, WebSocket
//!   `wss://wspap.okx.com:8443/ws/v5/public`, `/private`, `/business`;
//! - OKX has no separate testnet.
//!
//! Any other base URL (Rampart's simulator on loopback) serves REST and WebSocket on one
//! address: `http://host:port` streams at `ws://host:port/ws/v5/…`, https at wss.

pub use rampart_core::trading::Environment;

pub const LIVE_REST: &str = "https://www.okx.com";
pub const LIVE_WS: &str = "wss://ws.okx.com:8443";
pub const DEMO_WS: &str = "wss://wspap.okx.com:8443";

pub const WS_PUBLIC_PATH: &str = "/ws/v5/public";
pub const WS_PRIVATE_PATH: &str = "/ws/v5/private";
pub const WS_BUSINESS_PATH: &str = "/ws/v5/business";

/// The WebSocket host of a checked REST base URL that is not one of OKX's: the same address
/// with ws/wss.
pub fn ws_base_for(rest_base: &str) -> Option<String> {
    if let Some(rest) = rest_base.strip_prefix("https://") {
        Some(format!("wss://{rest}"))
    } else {
        rest_base
            .strip_prefix("http://")
            .map(|rest| format!("ws://{rest}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulator_streams_live_on_the_rest_address() {
        assert_eq!(
            ws_base_for("http://127.0.0.1:8080").as_deref(),
            Some("ws://127.0.0.1:8080")
        );
        assert_eq!(
            ws_base_for("https://127.0.0.1:8443").as_deref(),
            Some("wss://127.0.0.1:8443")
        );
        assert_eq!(ws_base_for("ftp://x"), None);
    }
}
