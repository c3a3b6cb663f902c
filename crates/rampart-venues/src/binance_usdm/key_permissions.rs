//! What the account's API key may do, as Binance reports it, for the key permission audit.
//!
//! Binance's Wallet API, Account → "Get API Key Permission (USER_DATA)"
//! (<https://developers.binance.com/docs/wallet/account/api-key-permission>):
//!
//! - `GET /sapi/v1/account/apiRestrictions`, request weight (IP) 1; parameters `recvWindow`
//!   (LONG, optional) and `timestamp` (LONG, mandatory); USER_DATA, so signed like every other
//!   USER_DATA call (`X-MBX-APIKEY`, `signature` over the parameters).
//! - On the SPOT host, `https://api.binance.com`, not on `fapi`. IP-limited `/sapi` endpoints
//!   report the IP's used weight in `X-SAPI-USED-IP-WEIGHT-1M`, each counted apart at 12,000 a
//!   minute, and a 429 there is not escalated to a 418 ban (Binance's `/api` versus `/sapi`
//!   limits table, <https://developers.binance.com/zh-CN/docs/products/caas/basics/4.rate-limits>).
//!   Rampart budgets it on its own host's budget from the same default as `/fapi` (2400 a minute
//!   less the margin): lower than Binance's, for a request sent once per audit.
//! - The answer's fields: `ipRestrict`, `createTime` (ms), `enableReading`, `enableWithdrawals`
//!   ("You must apply the IP Access Restriction filter in order to enable withdrawals"),
//!   `enableInternalTransfer` (between the master account and its sub-accounts),
//!   `enableMargin`, `enableFutures` (unusable for a key created before the futures account was
//!   opened, or with portfolio margin on), `permitsUniversalTransfer` (the dedicated universal
//!   transfer API), `enableVanillaOptions`, `enableFixApiTrade`, `enableFixReadOnly`,
//!   `enableSpotAndMarginTrading`, `enablePortfolioMarginTrading`. Older versions of the page
//!   also list `tradingAuthorityExpirationTime` (ms: when the spot and margin trading permission
//!   lapses).
//!
//! Documented response example (comments removed):
//!
//! ```json
//! {"ipRestrict": false, "createTime": 1698645219000, "enableReading": true,
//!  "enableWithdrawals": false, "enableInternalTransfer": false, "enableMargin": false,
//!  "enableFutures": false, "permitsUniversalTransfer": false, "enableVanillaOptions": false,
//!  "enableFixApiTrade": false, "enableFixReadOnly": true, "enableSpotAndMarginTrading": false,
//!  "enablePortfolioMarginTrading": true}
//! ```
//!
//! The flags the audit reads are required: an answer without one of them is malformed, never
//! taken as "off". The others are optional (they came and went between versions of the page).

use serde::Deserialize;

use super::error::VenueError;
use super::rest::RestClient;
use crate::venue::KeyPermissions;

/// Get API Key Permission's path on the SPOT host.
pub const API_RESTRICTIONS_PATH: &str = "/sapi/v1/account/apiRestrictions";
/// Its request weight (IP).
pub const API_RESTRICTIONS_WEIGHT: u32 = 1;

/// The answer of Get API Key Permission (`GET /sapi/v1/account/apiRestrictions`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiRestrictions {
    /// The key works only from the IP addresses listed with it.
    pub ip_restrict: bool,
    /// When the key was created (ms since the epoch).
    #[serde(default)]
    pub create_time: Option<i64>,
    pub enable_reading: bool,
    pub enable_withdrawals: bool,
    /// Transfers between the master account and its sub-accounts.
    pub enable_internal_transfer: bool,
    /// Futures trading (USDⓈ-M included).
    pub enable_futures: bool,
    /// The dedicated universal transfer API.
    pub permits_universal_transfer: bool,
    #[serde(default)]
    pub enable_margin: Option<bool>,
    #[serde(default)]
    pub enable_vanilla_options: Option<bool>,
    #[serde(default)]
    pub enable_fix_api_trade: Option<bool>,
    #[serde(default)]
    pub enable_fix_read_only: Option<bool>,
    #[serde(default)]
    pub enable_spot_and_margin_trading: Option<bool>,
    #[serde(default)]
    pub enable_portfolio_margin_trading: Option<bool>,
    /// When the spot and margin trading permission lapses (ms), on older versions of the answer.
    #[serde(default)]
    pub trading_authority_expiration_time: Option<i64>,
}

impl ApiRestrictions {
    /// The venue-neutral permissions of a USDⓈ-M connection: trading is futures trading, and a
    /// transfer is either kind of transfer the key may make.
    pub fn key_permissions(&self) -> KeyPermissions {
        KeyPermissions {
            can_read: self.enable_reading,
            can_trade: self.enable_futures,
            can_withdraw: self.enable_withdrawals,
            can_transfer: self.enable_internal_transfer || self.permits_universal_transfer,
            ip_restricted: self.ip_restrict,
            created_ms: self.create_time,
        }
    }
}

/// The SPOT host's wallet endpoint.
impl RestClient {
    /// Get API Key Permission: `GET /sapi/v1/account/apiRestrictions` on the SPOT host (weight
    /// 1), signed like every USER_DATA call, on that host's weight budget. `Ok(None)` without
    /// sending anything where Binance serves it on no host of this client's environment (see
    /// [`RestClient::spot_base_url`]).
    pub async fn api_restrictions(&self) -> Result<Option<ApiRestrictions>, VenueError> {
        let Some(spot) = self.spot() else {
            return Ok(None);
        };
        self.signed_get_on(spot, API_RESTRICTIONS_PATH, API_RESTRICTIONS_WEIGHT)
            .await
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented response example (English page), comments removed.
    const DOCUMENTED: &str = r#"{
        "ipRestrict": false, "createTime": 1698645219000, "enableReading": true,
        "enableWithdrawals": false, "enableInternalTransfer": false, "enableMargin": false,
        "enableFutures": false, "permitsUniversalTransfer": false,
        "enableVanillaOptions": false, "enableFixApiTrade": false, "enableFixReadOnly": true,
        "enableSpotAndMarginTrading": false, "enablePortfolioMarginTrading": true
    }"#;

    /// The documented example of the Chinese page (another key), comments removed.
    const DOCUMENTED_ZH: &str = r#"{
        "ipRestrict": false, "createTime": 1623840271000, "enableReading": true,
        "enableWithdrawals": false, "enableInternalTransfer": true, "enableMargin": false,
        "enableFutures": false, "permitsUniversalTransfer": true,
        "enableVanillaOptions": false, "enableFixApiTrade": false, "enableFixReadOnly": true,
        "enableSpotAndMarginTrading": false, "enablePortfolioMarginTrading": true
    }"#;

    /// An older version of the answer: no FIX or portfolio-margin flags, with
    /// `tradingAuthorityExpirationTime`.
    const OLDER: &str = r#"{
        "ipRestrict": true, "createTime": 1623840271000, "enableWithdrawals": true,
        "enableInternalTransfer": false, "permitsUniversalTransfer": false,
        "enableVanillaOptions": false, "enableReading": true, "enableFutures": true,
        "enableMargin": false, "enableSpotAndMarginTrading": true,
        "tradingAuthorityExpirationTime": 1628985600000
    }"#;

    #[test]
    fn the_documented_answer_parses_and_maps() {
        let r: ApiRestrictions = serde_json::from_str(DOCUMENTED).unwrap();
        assert_eq!(r.enable_fix_read_only, Some(true));
        assert_eq!(r.enable_portfolio_margin_trading, Some(true));
        assert_eq!(r.trading_authority_expiration_time, None);
        assert_eq!(
            r.key_permissions(),
            KeyPermissions {
                can_read: true,
                can_trade: false,
                can_withdraw: false,
                can_transfer: false,
                ip_restricted: false,
                created_ms: Some(1_698_645_219_000),
            }
        );
    }

    #[test]
    fn either_transfer_permission_is_a_transfer() {
        let r: ApiRestrictions = serde_json::from_str(DOCUMENTED_ZH).unwrap();
        assert!(r.key_permissions().can_transfer);
        let universal_only = DOCUMENTED_ZH.replace(
            r#""enableInternalTransfer": true"#,
            r#""enableInternalTransfer": false"#,
        );
        let r: ApiRestrictions = serde_json::from_str(&universal_only).unwrap();
        assert!(r.key_permissions().can_transfer);
    }

    #[test]
    fn an_older_answer_parses_too() {
        let r: ApiRestrictions = serde_json::from_str(OLDER).unwrap();
        assert_eq!(r.enable_fix_api_trade, None);
        assert_eq!(r.trading_authority_expiration_time, Some(1_628_985_600_000));
        let p = r.key_permissions();
        assert!(p.can_trade && p.can_withdraw && p.ip_restricted && !p.can_transfer);
    }

    #[test]
    fn a_missing_or_mistyped_flag_is_refused_not_taken_as_off() {
        for flag in [
            "ipRestrict",
            "enableReading",
            "enableWithdrawals",
            "enableInternalTransfer",
            "enableFutures",
            "permitsUniversalTransfer",
        ] {
            let without: serde_json::Value = {
                let mut v: serde_json::Value = serde_json::from_str(DOCUMENTED).unwrap();
                v.as_object_mut().unwrap().remove(flag);
                v
            };
            assert!(
                serde_json::from_value::<ApiRestrictions>(without).is_err(),
                "{flag}"
            );
        }
        let as_string = DOCUMENTED.replace(
            r#""enableWithdrawals": false"#,
            r#""enableWithdrawals": "false""#,
        );
        assert!(serde_json::from_str::<ApiRestrictions>(&as_string).is_err());
        let odd_time = DOCUMENTED.replace("1698645219000", r#""yesterday""#);
        assert!(serde_json::from_str::<ApiRestrictions>(&odd_time).is_err());
        assert!(serde_json::from_str::<ApiRestrictions>("[]").is_err());
    }

    mod client {
        use super::DOCUMENTED;
        use crate::binance_usdm::environment::Environment;
        use crate::binance_usdm::error::VenueError;
        use crate::binance_usdm::rest::tests::{SECRET, scripted, time_answer};
        use crate::binance_usdm::rest::{ClientOptions, DEMO, MAINNET, RestClient, TESTNET};

        #[tokio::test]
        async fn the_spot_host_is_binances_for_live_none_for_testnet_and_demo() {
            let options = ClientOptions::default();
            let live =
                RestClient::for_environment(Environment::Live, "k", SECRET, &options).unwrap();
            assert_eq!(live.spot_base_url(), Some("https://api.binance.com"));
            assert_eq!(
                RestClient::new(MAINNET, "k", SECRET)
                    .unwrap()
                    .spot_base_url(),
                Some("https://api.binance.com")
            );
            for environment in [Environment::Testnet, Environment::Demo] {
                let client =
                    RestClient::for_environment(environment, "k", SECRET, &options).unwrap();
                assert_eq!(client.spot_base_url(), None, "{environment:?}");
                // Nothing is sent: with the clock unmeasured, a request would fail.
                assert_eq!(client.api_restrictions().await.unwrap(), None);
            }
            for base in [TESTNET, DEMO, "https://demo-fapi.binance.com:443/"] {
                let client = RestClient::new(base, "k", SECRET).unwrap();
                assert_eq!(client.spot_base_url(), None, "{base}");
            }
            // Any other host (the simulator) serves both: the same address.
            let sim = RestClient::new("http://127.0.0.1:9/", "k", SECRET).unwrap();
            assert_eq!(sim.spot_base_url(), Some("http://127.0.0.1:9"));
        }

        #[tokio::test]
        async fn it_is_a_signed_get_whose_sapi_weight_is_counted_and_bad_answers_are_typed() {
            let venue = scripted::start(std::sync::Arc::new(|method: &str, path: &str, n| {
                match (method, path) {
                    ("GET", "/fapi/v1/time") => time_answer(),
                    ("GET", "/sapi/v1/account/apiRestrictions") if n == 1 => (
                        200,
                        vec![("X-SAPI-USED-IP-WEIGHT-1M", "700".into())],
                        DOCUMENTED.into(),
                    ),
                    ("GET", "/sapi/v1/account/apiRestrictions") if n == 2 => (
                        400,
                        vec![],
                        r#"{"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."}"#
                            .into(),
                    ),
                    ("GET", "/sapi/v1/account/apiRestrictions") if n == 3 => {
                        (200, vec![], r#"{"ipRestrict": false}"#.into())
                    }
                    _ => (
                        401,
                        vec![],
                        r#"{"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}"#
                            .into(),
                    ),
                }
            }))
            .await;
            let client = RestClient::new(&venue.base, "k", SECRET).unwrap();
            assert!(matches!(
                client.api_restrictions().await,
                Err(VenueError::ClockUnknown)
            ));
            client.sync_clock().await.unwrap();
            let read = client.api_restrictions().await.unwrap().unwrap();
            assert!(read.enable_reading && !read.enable_futures);
            let sent = venue.requests("GET", "/sapi/v1/account/apiRestrictions");
            assert_eq!(sent.len(), 1);
            assert!(sent[0].body.is_empty());
            let names: Vec<&str> = sent[0]
                .query
                .split('&')
                .filter_map(|p| p.split_once('=').map(|(k, _)| k))
                .collect();
            assert_eq!(names, ["recvWindow", "timestamp", "signature"]);
            // The SPOT host's weight header reaches the budget (here the same address).
            assert!(client.weight_used() >= 700, "{}", client.weight_used());

            // -1021: measured again and read once more, as every read is; that answer is
            // malformed (flags missing), a typed error.
            assert!(matches!(
                client.api_restrictions().await,
                Err(VenueError::Malformed(_))
            ));
            assert_eq!(venue.count("GET /sapi/v1/account/apiRestrictions"), 3);
            assert_eq!(venue.count("GET /fapi/v1/time"), 2);
            assert!(matches!(
                client.api_restrictions().await,
                Err(VenueError::Rejected { code: -2015, .. })
            ));
        }
    }
}
