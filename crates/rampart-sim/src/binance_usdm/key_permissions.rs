//! What an API key may do, as Binance reports it and as the simulator enforces it.
//!
//! Binance's Wallet API, "Get API Key Permission (USER_DATA)"
//! (<https://developers.binance.com/docs/wallet/account/api-key-permission>):
//! `GET /sapi/v1/account/apiRestrictions` on the SPOT host (`https://api.binance.com`), request
//! weight (IP) 1, parameters `recvWindow` (LONG, optional) and `timestamp` (LONG, mandatory),
//! signed like every USER_DATA endpoint. The answer's fields: `ipRestrict`, `createTime` (ms),
//! `enableReading`, `enableWithdrawals` (only with the IP access restriction),
//! `enableInternalTransfer` (master ↔ sub-account transfers), `enableMargin`, `enableFutures` (not
//! for a key created before the futures account was opened, or with portfolio margin on),
//! `permitsUniversalTransfer` (the dedicated universal transfer API), `enableVanillaOptions`,
//! `enableFixApiTrade`, `enableFixReadOnly`, `enableSpotAndMarginTrading`,
//! `enablePortfolioMarginTrading`; older versions of the page also list
//! `tradingAuthorityExpirationTime` (when the spot and margin trading permission of a key without
//! an IP restriction lapses: 30 days after it is turned on, by Binance's announcement of
//! 2021-07-08).
//!
//! Where the simulator enforces them: a key without `enableFutures` is refused on the futures
//! TRADE endpoints (new, cancel and cancel-all of regular and algo orders, leverage,
//! countdownCancelAll) with -2015 REJECTED_MBX_KEY, "Invalid API-key, IP, or permissions for
//! action." (USDⓈ-M Error Codes: the code for a key not permitted the action); USER_DATA reads,
//! listen keys and this endpoint still answer. The other permissions are reported only: the
//! simulator has no withdrawals, transfers, spot or options, and serves loopback only (no IP to
//! restrict).

use serde_json::{Value, json};

/// One API key's permissions. `Default` is a fresh key as Binance creates it for futures
/// trading: reading and futures on, withdrawals and transfers off, no IP restriction, nothing
/// else.
///
/// The simulator takes any combination, including ones Binance's site refuses (withdrawals
/// without an IP restriction), so a test can show a client the worst case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimKeyPermissions {
    /// `enableReading`.
    pub reading: bool,
    /// `enableFutures`: without it, the futures TRADE endpoints answer -2015.
    pub futures: bool,
    /// `enableWithdrawals`.
    pub withdrawals: bool,
    /// `enableInternalTransfer`.
    pub internal_transfer: bool,
    /// `permitsUniversalTransfer`.
    pub universal_transfer: bool,
    /// `ipRestrict`: the key is usable from its listed IP addresses only.
    pub ip_restrict: bool,
    /// `enableMargin`.
    pub margin: bool,
    /// `enableSpotAndMarginTrading`.
    pub spot_and_margin_trading: bool,
    /// `enableVanillaOptions`.
    pub vanilla_options: bool,
    /// `enablePortfolioMarginTrading`.
    pub portfolio_margin_trading: bool,
    /// `enableFixApiTrade`.
    pub fix_api_trade: bool,
    /// `enableFixReadOnly`.
    pub fix_read_only: bool,
    /// `createTime` (ms since the epoch); `None`: when the simulator started.
    pub create_time_ms: Option<i64>,
    /// `tradingAuthorityExpirationTime` (ms since the epoch), sent only when set.
    pub trading_authority_expiration_ms: Option<i64>,
}

impl Default for SimKeyPermissions {
    fn default() -> Self {
        SimKeyPermissions {
            reading: true,
            futures: true,
            withdrawals: false,
            internal_transfer: false,
            universal_transfer: false,
            ip_restrict: false,
            margin: false,
            spot_and_margin_trading: false,
            vanilla_options: false,
            portfolio_margin_trading: false,
            fix_api_trade: false,
            fix_read_only: false,
            create_time_ms: None,
            trading_authority_expiration_ms: None,
        }
    }
}

impl SimKeyPermissions {
    /// The answer of `GET /sapi/v1/account/apiRestrictions`, every documented field;
    /// `started_ms` stands in for an unset creation time.
    pub(super) fn to_json(self, started_ms: i64) -> Value {
        let mut answer = json!({
            "ipRestrict": self.ip_restrict,
            "createTime": self.create_time_ms.unwrap_or(started_ms),
            "enableReading": self.reading,
            "enableWithdrawals": self.withdrawals,
            "enableInternalTransfer": self.internal_transfer,
            "enableMargin": self.margin,
            "enableFutures": self.futures,
            "permitsUniversalTransfer": self.universal_transfer,
            "enableVanillaOptions": self.vanilla_options,
            "enableFixApiTrade": self.fix_api_trade,
            "enableFixReadOnly": self.fix_read_only,
            "enableSpotAndMarginTrading": self.spot_and_margin_trading,
            "enablePortfolioMarginTrading": self.portfolio_margin_trading,
        });
        if let (Some(expires), Some(fields)) =
            (self.trading_authority_expiration_ms, answer.as_object_mut())
        {
            fields.insert("tradingAuthorityExpirationTime".into(), expires.into());
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field of the documented response example, in the documented types.
    const DOCUMENTED_FIELDS: [&str; 13] = [
        "ipRestrict",
        "createTime",
        "enableReading",
        "enableWithdrawals",
        "enableInternalTransfer",
        "enableMargin",
        "enableFutures",
        "permitsUniversalTransfer",
        "enableVanillaOptions",
        "enableFixApiTrade",
        "enableFixReadOnly",
        "enableSpotAndMarginTrading",
        "enablePortfolioMarginTrading",
    ];

    #[test]
    fn a_fresh_key_reads_and_trades_futures_only() {
        let answer = SimKeyPermissions::default().to_json(1_698_645_219_000);
        let fields = answer.as_object().unwrap();
        assert_eq!(fields.len(), DOCUMENTED_FIELDS.len(), "{answer}");
        for name in DOCUMENTED_FIELDS {
            let value = &answer[name];
            if name == "createTime" {
                assert_eq!(value, 1_698_645_219_000_i64);
            } else {
                let on = value.as_bool().unwrap_or_else(|| panic!("{name}: {value}"));
                assert_eq!(
                    on,
                    matches!(name, "enableReading" | "enableFutures"),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn set_fields_go_out_under_their_documented_names() {
        let key = SimKeyPermissions {
            futures: false,
            withdrawals: true,
            internal_transfer: true,
            universal_transfer: true,
            ip_restrict: true,
            spot_and_margin_trading: true,
            create_time_ms: Some(1_623_840_271_000),
            trading_authority_expiration_ms: Some(1_628_985_600_000),
            ..SimKeyPermissions::default()
        };
        let answer = key.to_json(0);
        assert_eq!(answer["enableFutures"], false);
        assert_eq!(answer["enableWithdrawals"], true);
        assert_eq!(answer["enableInternalTransfer"], true);
        assert_eq!(answer["permitsUniversalTransfer"], true);
        assert_eq!(answer["ipRestrict"], true);
        assert_eq!(answer["enableSpotAndMarginTrading"], true);
        assert_eq!(answer["createTime"], 1_623_840_271_000_i64);
        assert_eq!(
            answer["tradingAuthorityExpirationTime"],
            1_628_985_600_000_i64
        );
    }
}
