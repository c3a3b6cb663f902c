//! Where Binance USDⓈ-M lives: the REST base URL and the WebSocket base URLs of each environment.
//!
//! From Binance's USDⓈ-M documentation (developers.binance.com → Derivatives → USDⓈ-M Futures):
//! - General Info: "The base endpoint is: `https://fapi.binance.com`"; "Testnet API Information: The
//!   REST base url for testnet is `https://demo-fapi.binance.com`; the Websocket base url for
//!   testnet is wss://fstream.binancefuture.com". `demo-fapi.binance.com` is the host of Binance's
//!   Demo Trading; the older futures testnet host `https://testnet.binancefuture.com` (the one the
//!   USDⓈ-M WebSocket API testnet `wss://testnet.binancefuture.com/ws-fapi/v1` still uses) is kept
//!   as [`Environment::Testnet`].
//! - Websocket Market Streams / "Important WebSocket Change Notice — Base URL Split & Migration":
//!   production streams are routed by data type — Public (high-frequency public market data:
//!   `<symbol>@depth…`, `@bookTicker`) at `wss://fstream.binance.com/public`, Market (regular market
//!   data: `@markPrice`, `@kline_…`, `@aggTrade`, tickers) at `wss://fstream.binance.com/market`,
//!   Private (user data, `/ws?listenKey=<key>&events=…`) at `wss://fstream.binance.com/private`.
//!   Legacy unrouted URLs are retired (2026-04-23). Each base takes `/ws/<stream>` or
//!   `/stream?streams=<a>/<b>` after it.
//! - The split is documented for production only; the testnet and demo stream hosts are given as
//!   their root (`/ws/<stream>`, `/ws/<listenKey>`), as their documentation shows them.
//! - The one SPOT-host endpoint the connector reads, Wallet → Account → "Get API Key Permission"
//!   (`GET /sapi/v1/account/apiRestrictions`), is served by the SPOT API's base endpoint,
//!   `https://api.binance.com`, not by the futures host. Binance documents no such endpoint for
//!   the futures testnet or Demo Trading: there the key's permissions are not known.

pub use rampart_core::trading::Environment;

/// Production REST base URL.
pub const LIVE_REST: &str = "https://fapi.binance.com";
/// Futures testnet REST base URL.
pub const TESTNET_REST: &str = "https://testnet.binancefuture.com";
/// Demo Trading REST base URL (the General Info page's "REST base url for testnet").
pub const DEMO_REST: &str = "https://demo-fapi.binance.com";

/// Production SPOT REST base URL (the `/sapi` wallet endpoints: the API key's permissions).
pub const LIVE_SPOT_REST: &str = "https://api.binance.com";

/// Production WebSocket, Public route (high-frequency public data: depth, book tickers).
pub const LIVE_WS_PUBLIC: &str = "wss://fstream.binance.com/public";
/// Production WebSocket, Market route (mark price, klines, aggregate trades, tickers).
pub const LIVE_WS_MARKET: &str = "wss://fstream.binance.com/market";
/// Production WebSocket, Private route (user data by listenKey + events).
pub const LIVE_WS_PRIVATE: &str = "wss://fstream.binance.com/private";
/// Testnet WebSocket root (the General Info page's "Websocket base url for testnet"); Demo
/// Trading's streams are documented under the same host.
pub const TESTNET_WS: &str = "wss://fstream.binancefuture.com";

/// Binance USDⓈ-M's addresses for each of Rampart's environments: Live is `fapi.binance.com`,
/// Testnet the futures testnet (`testnet.binancefuture.com`), Demo Binance's Demo Trading
/// (`demo-fapi.binance.com`). Rampart's simulator has no fixed address (it listens on a free
/// loopback port): `None`.
pub trait BinanceEndpoints: Copy {
    /// The REST base URL (no trailing slash).
    fn rest_base(self) -> Option<&'static str>;
    /// The SPOT REST base URL that serves the API key's permissions (no trailing slash);
    /// `None` where Binance serves none for this environment.
    fn spot_rest_base(self) -> Option<&'static str>;
    /// Base URL for high-frequency public streams (`<symbol>@depth…`, `@bookTicker`).
    fn ws_public_base(self) -> Option<&'static str>;
    /// Base URL for regular market streams (`<symbol>@markPrice`, `@kline_<interval>`,
    /// `@aggTrade`, tickers).
    fn ws_market_base(self) -> Option<&'static str>;
    /// Base URL for the user data stream (a listenKey from `POST /fapi/v1/listenKey`).
    fn ws_user_base(self) -> Option<&'static str>;
}

impl BinanceEndpoints for Environment {
    fn rest_base(self) -> Option<&'static str> {
        match self {
            Environment::Live => Some(LIVE_REST),
            Environment::Testnet => Some(TESTNET_REST),
            Environment::Demo => Some(DEMO_REST),
            Environment::Simulator => None,
        }
    }

    fn spot_rest_base(self) -> Option<&'static str> {
        match self {
            Environment::Live => Some(LIVE_SPOT_REST),
            Environment::Testnet | Environment::Demo | Environment::Simulator => None,
        }
    }

    fn ws_public_base(self) -> Option<&'static str> {
        match self {
            Environment::Live => Some(LIVE_WS_PUBLIC),
            Environment::Testnet | Environment::Demo => Some(TESTNET_WS),
            Environment::Simulator => None,
        }
    }

    fn ws_market_base(self) -> Option<&'static str> {
        match self {
            Environment::Live => Some(LIVE_WS_MARKET),
            Environment::Testnet | Environment::Demo => Some(TESTNET_WS),
            Environment::Simulator => None,
        }
    }

    fn ws_user_base(self) -> Option<&'static str> {
        match self {
            Environment::Live => Some(LIVE_WS_PRIVATE),
            Environment::Testnet | Environment::Demo => Some(TESTNET_WS),
            Environment::Simulator => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_environment_is_https_and_wss_on_binance_hosts() {
        for env in [Environment::Live, Environment::Testnet, Environment::Demo] {
            let rest = env.rest_base().unwrap_or_default();
            assert!(rest.starts_with("https://") && !rest.ends_with('/'), "{env:?}");
            for ws in [
                env.ws_public_base(),
                env.ws_market_base(),
                env.ws_user_base(),
            ] {
                let ws = ws.unwrap_or_default();
                assert!(
                    ws.starts_with("wss://") && !ws.ends_with('/'),
                    "{env:?} {ws}"
                );
            }
        }
        assert_eq!(Environment::Live.rest_base(), Some("https://fapi.binance.com"));
        assert_eq!(
            Environment::Live.spot_rest_base(),
            Some("https://api.binance.com")
        );
        assert_eq!(Environment::Testnet.spot_rest_base(), None);
        assert_eq!(Environment::Demo.spot_rest_base(), None);
        assert_eq!(
            Environment::Live.ws_user_base(),
            Some("wss://fstream.binance.com/private")
        );
        assert!(Environment::Live.is_live() && !Environment::Demo.is_live());
        // The simulator listens wherever it was started: no fixed address.
        let sim = Environment::Simulator;
        assert_eq!(sim.rest_base(), None);
        assert_eq!(sim.ws_market_base(), None);
        assert_eq!(sim.spot_rest_base(), None);
    }
}
