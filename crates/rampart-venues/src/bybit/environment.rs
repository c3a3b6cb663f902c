//! Where Bybit v5 lives for each of Rampart's environments.
//!
//! From Bybit's v5 documentation:
//! - "Integration Guidance" (`docs/v5/guide.mdx`): mainnet REST `https://api.bybit.com`, testnet
//!   `https://api-testnet.bybit.com`;
//! - "WebSocket Stream → Connect" (`docs/v5/websocket/wss-authentication.mdx`): public streams at
//!   `wss://stream.bybit.com/v5/public/{linear,inverse,…}`, the private stream at
//!   `wss://stream.bybit.com/v5/private`, and the same paths under `stream-testnet.bybit.com`;
//! - "Demo Trading Service" (`docs/v5/demo.mdx`): REST `https://api-demo.bybit.com`, WebSocket
//!   `wss://stream-demo.bybit.com`, which "only supports the private streams; public data is
//!   identical to that found on mainnet with `wss://stream.bybit.com`".
//!
//! Any other base URL (Rampart's simulator on loopback) serves both on its own address:
//! `http://host:port` gives `ws://host:port/v5/…`, `https` gives `wss`.

pub use rampart_core::trading::Environment;

pub const LIVE_REST: &str = "https://api.bybit.com";
pub const TESTNET_REST: &str = "https://api-testnet.bybit.com";
pub const DEMO_REST: &str = "https://api-demo.bybit.com";

pub const LIVE_WS: &str = "wss://stream.bybit.com";
pub const TESTNET_WS: &str = "wss://stream-testnet.bybit.com";
pub const DEMO_WS: &str = "wss://stream-demo.bybit.com";

/// The public stream path of linear contracts (USDT and USDC perpetuals and futures).
pub const WS_PUBLIC_LINEAR: &str = "/v5/public/linear";
/// The public stream path of inverse contracts.
pub const WS_PUBLIC_INVERSE: &str = "/v5/public/inverse";
/// The private stream path (orders, executions, positions, wallet, dcp).
pub const WS_PRIVATE: &str = "/v5/private";

/// The REST base URL of an environment (no trailing slash); `None` for Rampart's simulator,
/// which listens wherever it was started.
pub fn rest_base(env: Environment) -> Option<&'static str> {
    match env {
        Environment::Live => Some(LIVE_REST),
        Environment::Testnet => Some(TESTNET_REST),
        Environment::Demo => Some(DEMO_REST),
        Environment::Simulator => None,
    }
}

/// Where the streams of a client of `rest_base` connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamBases {
    /// Base of the public streams (`…/v5/public/linear` is appended).
    pub public: String,
    /// Base of the private stream (`/v5/private` is appended).
    pub private: String,
}

impl StreamBases {
    /// The stream bases for a checked REST base URL: Bybit's own hosts for its environments, the
    /// same address with `ws`/`wss` for anything else (the simulator).
    pub fn for_rest_base(rest_base: &str) -> Option<Self> {
        let base = rest_base.trim_end_matches('/');
        let known = match base {
            LIVE_REST => Some((LIVE_WS, LIVE_WS)),
            TESTNET_REST => Some((TESTNET_WS, TESTNET_WS)),
            // Demo trading has private streams only; its public data is mainnet's.
            DEMO_REST => Some((LIVE_WS, DEMO_WS)),
            _ => None,
        };
        if let Some((public, private)) = known {
            return Some(Self {
                public: public.into(),
                private: private.into(),
            });
        }
        let ws = if let Some(rest) = base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            return None;
        };
        Some(Self {
            public: ws.clone(),
            private: ws,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments_use_bybits_documented_hosts() {
        assert_eq!(rest_base(Environment::Live), Some("https://api.bybit.com"));
        assert_eq!(rest_base(Environment::Simulator), None);
        assert_eq!(
            rest_base(Environment::Testnet),
            Some("https://api-testnet.bybit.com")
        );
        assert_eq!(rest_base(Environment::Demo), Some("https://api-demo.bybit.com"));
        let demo = StreamBases::for_rest_base(DEMO_REST).unwrap();
        assert_eq!(demo.private, "wss://stream-demo.bybit.com");
        assert_eq!(
            demo.public, "wss://stream.bybit.com",
            "demo has no public streams"
        );
        let testnet = StreamBases::for_rest_base(TESTNET_REST).unwrap();
        assert_eq!(testnet.public, "wss://stream-testnet.bybit.com");
    }

    #[test]
    fn a_simulator_address_serves_its_streams_itself() {
        let sim = StreamBases::for_rest_base("http://127.0.0.1:8123/").unwrap();
        assert_eq!(sim.public, "ws://127.0.0.1:8123");
        assert_eq!(sim.private, "ws://127.0.0.1:8123");
        let tls = StreamBases::for_rest_base("https://127.0.0.1:8443").unwrap();
        assert_eq!(tls.private, "wss://127.0.0.1:8443");
    }
}
