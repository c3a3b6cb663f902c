//! Where Deribit v2 lives, from its API documentation ("Overview": "Deribit features a testing
//! environment, test.deribit.com … To reach the production environment it should be changed to
//! www.deribit.com"; the two need separate accounts and keys):
//! - production: JSON-RPC over HTTP at `https://www.deribit.com/api/v2/{method}`, over WebSocket
//!   at `wss://www.deribit.com/ws/api/v2`;
//! - test network: the same paths on `test.deribit.com`;
//! - Deribit has no separate demo trading: its test network is where play money lives.
//!
//! Any other base URL (Rampart's simulator on loopback) serves both on its own address:
//! `http://host:port` gives `ws://host:port/ws/api/v2`, `https` gives `wss`.

pub use rampart_core::trading::Environment;

pub const LIVE_REST: &str = "https://www.deribit.com";
pub const TESTNET_REST: &str = "https://test.deribit.com";

/// The HTTP path prefix of every method (`/api/v2/public/get_time`).
pub const HTTP_PREFIX: &str = "/api/v2/";
/// The WebSocket path.
pub const WS_PATH: &str = "/ws/api/v2";

/// The base URL of one of Deribit's environments; `None` for the ones it does not have.
pub fn rest_base(env: Environment) -> Option<&'static str> {
    match env {
        Environment::Live => Some(LIVE_REST),
        Environment::Testnet => Some(TESTNET_REST),
        Environment::Demo | Environment::Simulator => None,
    }
}

/// The WebSocket URL of a checked base URL: the same address with ws/wss and [`WS_PATH`].
pub fn ws_url_for(rest_base: &str) -> Option<String> {
    let base = rest_base.trim_end_matches('/');
    if let Some(rest) = base.strip_prefix("https://") {
        Some(format!("wss://{rest}{WS_PATH}"))
    } else {
        base.strip_prefix("http://")
            .map(|rest| format!("ws://{rest}{WS_PATH}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_environment_has_its_host_and_the_socket_lives_beside_it() {
        assert_eq!(
            rest_base(Environment::Live),
            Some("https://www.deribit.com")
        );
        assert_eq!(
            rest_base(Environment::Testnet),
            Some("https://test.deribit.com")
        );
        assert_eq!(rest_base(Environment::Demo), None);
        assert_eq!(rest_base(Environment::Simulator), None);
        assert_eq!(
            ws_url_for(LIVE_REST).as_deref(),
            Some("wss://www.deribit.com/ws/api/v2")
        );
        assert_eq!(
            ws_url_for("http://127.0.0.1:9000/").as_deref(),
            Some("ws://127.0.0.1:9000/ws/api/v2")
        );
        assert_eq!(ws_url_for("ftp://x"), None);
    }
}
