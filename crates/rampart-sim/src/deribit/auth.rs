//! Deribit's authentication, checked as docs.deribit.com/articles/authentication documents it.
//!
//! `public/auth` grants (`grant_type`):
//! - `client_credentials`: `client_id` and `client_secret`.
//! - `client_signature`: `client_id`, `timestamp` (ms), `nonce`, `signature`, optional
//!   `data`. "Signature = HEX_STRING( HMAC-SHA256( ClientSecret, StringToSign ) )" with
//!   "StringToSign = Timestamp + "\n" + Nonce + "\n" + Data"; the timestamp is valid for 60
//!   seconds.
//! - `refresh_token`: a new access token and refresh token; the old pair stops working.
//!
//! HTTP `Authorization` ("Deribit Signature Credentials (HTTP REST)"):
//! `deri-hmac-sha256 id=ClientId,ts=Timestamp,sig=Signature,nonce=Nonce` where "RequestData =
//! UPPERCASE(HTTP_METHOD()) + "\n" + URI() + "\n" + RequestBody + "\n"" and "StringToSign =
//! Timestamp + "\n" + Nonce + "\n" + RequestData"; also `Bearer <access_token>` and `Basic
//! base64(client_id:client_secret)`.
//!
//! Scopes (/articles/access-scope): `account`, `trade`, `wallet`, each `read` or
//! `read_write`; a token carries its key's maximum scope.

use std::collections::HashMap;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::SimAccount;
use super::errors::DeribitError;

/// How long a signed timestamp stays valid (ms): "valid for 60 seconds".
pub const TIMESTAMP_WINDOW_MS: i64 = 60_000;

/// What a scope allows in one area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    None,
    Read,
    ReadWrite,
}

/// A key's (and its tokens') scope: `account`, `trade` and `wallet` access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimScope {
    pub account: Access,
    pub trade: Access,
    pub wallet: Access,
}

impl Default for SimScope {
    /// A trading key: reads and trades, reads the wallet, cannot withdraw.
    fn default() -> Self {
        SimScope {
            account: Access::ReadWrite,
            trade: Access::ReadWrite,
            wallet: Access::Read,
        }
    }
}

/// An area of the API a scope governs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Account,
    Trade,
    Wallet,
}

impl SimScope {
    /// A key that may only read.
    pub fn read_only() -> SimScope {
        SimScope {
            account: Access::Read,
            trade: Access::Read,
            wallet: Access::Read,
        }
    }

    /// Everything, withdrawals included (`wallet:read_write`).
    pub fn full() -> SimScope {
        SimScope {
            account: Access::ReadWrite,
            trade: Access::ReadWrite,
            wallet: Access::ReadWrite,
        }
    }

    /// The scope as `public/auth` returns it: `account:read_write trade:read wallet:none`.
    pub fn wire(&self) -> String {
        let part = |name: &str, a: Access| {
            format!(
                "{name}:{}",
                match a {
                    Access::None => "none",
                    Access::Read => "read",
                    Access::ReadWrite => "read_write",
                }
            )
        };
        [
            part("account", self.account),
            part("trade", self.trade),
            part("wallet", self.wallet),
        ]
        .join(" ")
    }

    /// Whether the scope covers `area` at `needed`; 13021 `forbidden` otherwise.
    pub fn require(&self, area: Area, needed: Access) -> Result<(), DeribitError> {
        let (have, name) = match area {
            Area::Account => (self.account, "account"),
            Area::Trade => (self.trade, "trade"),
            Area::Wallet => (self.wallet, "wallet"),
        };
        if have >= needed {
            Ok(())
        } else {
            let level = if needed == Access::ReadWrite {
                "read_write"
            } else {
                "read"
            };
            Err(DeribitError::forbidden(&format!("{name}:{level}")))
        }
    }
}

/// Lowercase hex HMAC-SHA256 of `data` under `secret`.
pub fn sign_hex(secret: &str, data: &str) -> String {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(data.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `sig_hex` is the HMAC-SHA256 of `data` under `secret` (compared in constant time).
pub fn signature_matches(secret: &str, data: &str, sig_hex: &str) -> bool {
    let Ok(sig) = hex::decode(sig_hex.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(data.as_bytes());
    mac.verify_slice(&sig).is_ok()
}

/// `client_signature`'s string to sign: `Timestamp + "\n" + Nonce + "\n" + Data`.
pub fn grant_string(timestamp: &str, nonce: &str, data: &str) -> String {
    format!("{timestamp}\n{nonce}\n{data}")
}

/// The HTTP string to sign: `Timestamp\nNonce\nMETHOD\nURI\nBody\n` (the URI with its query).
pub fn request_string(timestamp: &str, nonce: &str, method: &str, uri: &str, body: &str) -> String {
    format!(
        "{timestamp}\n{nonce}\n{}\n{uri}\n{body}\n",
        method.to_ascii_uppercase()
    )
}

/// The fields of a `deri-hmac-sha256` authorization, in any order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeader {
    pub id: String,
    pub ts: String,
    pub sig: String,
    pub nonce: String,
}

/// Parses the value after `deri-hmac-sha256 `.
pub fn parse_signed_header(fields: &str) -> Result<SignedHeader, DeribitError> {
    let mut map: HashMap<&str, &str> = HashMap::new();
    for part in fields.split(',') {
        if let Some((k, v)) = part.trim().split_once('=') {
            map.insert(k.trim(), v.trim());
        }
    }
    let get = |k: &str| {
        map.get(k)
            .filter(|v| !v.is_empty())
            .map(|v| (*v).to_owned())
            .ok_or_else(|| DeribitError::unauthorized(&format!("{k} missing in Authorization")))
    };
    Ok(SignedHeader {
        id: get("id")?,
        ts: get("ts")?,
        sig: get("sig")?,
        nonce: get("nonce")?,
    })
}

/// Checks a signature made at `timestamp` (ms text): within 60 s of `now`, over `data`, by
/// the key `client_id`. Returns the key's index.
pub fn verify_signature(
    accounts: &[SimAccount],
    client_id: &str,
    timestamp: &str,
    data: &str,
    sig: &str,
    now: i64,
) -> Result<usize, DeribitError> {
    let index = accounts
        .iter()
        .position(|a| a.client_id == client_id)
        .ok_or_else(DeribitError::invalid_credentials)?;
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| DeribitError::invalid_params("timestamp", "not a number of milliseconds"))?;
    if (now - ts).abs() > TIMESTAMP_WINDOW_MS {
        return Err(DeribitError::unauthorized(
            "timestamp is more than 60 seconds from the server's time",
        ));
    }
    // `index` was found in `accounts` above.
    if !signature_matches(&accounts[index].client_secret, data, sig) {
        return Err(DeribitError::unauthorized("bad signature"));
    }
    Ok(index)
}

/// Checks a client id and secret; returns the key's index.
pub fn verify_secret(
    accounts: &[SimAccount],
    client_id: &str,
    client_secret: &str,
) -> Result<usize, DeribitError> {
    let index = accounts
        .iter()
        .position(|a| a.client_id == client_id)
        .ok_or_else(DeribitError::invalid_credentials)?;
    // Compared as MACs of the same text, so that the comparison takes the same time.
    let expected = &accounts[index].client_secret;
    if sign_hex(expected, "secret") == sign_hex(client_secret, "secret") {
        Ok(index)
    } else {
        Err(DeribitError::invalid_credentials())
    }
}

/// A token the simulator granted.
#[derive(Debug, Clone)]
struct Token {
    account: usize,
    scope: SimScope,
    expires_ms: i64,
    /// The access token a refresh token was granted with (ended when it is used).
    pair: String,
}

/// What a grant hands out.
#[derive(Debug, Clone)]
pub struct Grant {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds.
    pub expires_in: i64,
    pub scope: SimScope,
}

/// Who a verified request acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub account: usize,
    pub scope: SimScope,
}

/// Access and refresh tokens granted so far.
#[derive(Default)]
pub struct Tokens {
    access: HashMap<String, Token>,
    refresh: HashMap<String, Token>,
    issued: u64,
    /// Access tokens refused as unknown or expired (13009) so far.
    refused: std::sync::atomic::AtomicU64,
}

impl Tokens {
    fn token_text(&mut self, now: i64) -> String {
        self.issued += 1;
        let noise: u128 = rand::random();
        format!("{now}.{}.{noise:032x}", self.issued)
    }

    /// Grants a new pair to `account`.
    pub fn grant(
        &mut self,
        account: usize,
        scope: SimScope,
        now: i64,
        lifetime_ms: i64,
        refresh_lifetime_ms: i64,
    ) -> Grant {
        let access_token = self.token_text(now);
        let refresh_token = self.token_text(now);
        self.access.insert(
            access_token.clone(),
            Token {
                account,
                scope,
                expires_ms: now + lifetime_ms,
                pair: String::new(),
            },
        );
        self.refresh.insert(
            refresh_token.clone(),
            Token {
                account,
                scope,
                expires_ms: now + refresh_lifetime_ms,
                pair: access_token.clone(),
            },
        );
        Grant {
            access_token,
            refresh_token,
            expires_in: lifetime_ms / 1000,
            scope,
        }
    }

    /// The caller an access token stands for; 13009 when it is unknown or expired.
    pub fn check(&self, access_token: &str, now: i64) -> Result<Caller, DeribitError> {
        let t = self
            .access
            .get(access_token)
            .ok_or_else(|| DeribitError::unauthorized("invalid token"))?;
        if t.expires_ms <= now {
            return Err(DeribitError::unauthorized("token expired"));
        }
        Ok(Caller {
            account: t.account,
            scope: t.scope,
        })
    }

    /// Uses a refresh token: a new pair, and the old refresh token and its access token end.
    pub fn refresh(
        &mut self,
        refresh_token: &str,
        now: i64,
        lifetime_ms: i64,
        refresh_lifetime_ms: i64,
    ) -> Result<Grant, DeribitError> {
        let t = self
            .refresh
            .remove(refresh_token)
            .ok_or_else(|| DeribitError::unauthorized("invalid refresh token"))?;
        if t.expires_ms <= now {
            return Err(DeribitError::unauthorized("refresh token expired"));
        }
        self.access.remove(&t.pair);
        Ok(self.grant(t.account, t.scope, now, lifetime_ms, refresh_lifetime_ms))
    }

    /// Counts one request answered 13009 for its access token.
    pub fn note_refused(&self) {
        self.refused
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many requests were answered 13009 for their access token so far.
    pub fn refused(&self) -> u64 {
        self.refused.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Makes every access token granted so far expire at `now` (as if its lifetime had run
    /// out); refresh tokens stay valid.
    pub fn expire_all(&mut self, now: i64) {
        for t in self.access.values_mut() {
            t.expires_ms = t.expires_ms.min(now);
        }
    }

    /// Ends an access token (`private/logout`) and the refresh tokens granted with it.
    pub fn revoke(&mut self, access_token: &str) {
        self.access.remove(access_token);
        self.refresh.retain(|_, t| t.pair != access_token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// /articles/authentication, "Example" of `client_signature`: ClientId=AMANDA,
    /// ClientSecret=AMANDASECRECT, Timestamp=1576074319000, Nonce=1iqt2wls, Data="".
    #[test]
    fn the_documented_grant_signature_reproduces() {
        let s = grant_string("1576074319000", "1iqt2wls", "");
        assert_eq!(
            sign_hex("AMANDASECRECT", &s),
            "56590594f97921b09b18f166befe0d1319b198bbcdad7ca73382de2f88fe9aa1"
        );
    }

    /// The same page's HTTP example: GET /api/v2/private/get_account_summary?currency=BTC with
    /// an empty body, at the same timestamp and nonce.
    #[test]
    fn the_documented_request_signature_reproduces() {
        let s = request_string(
            "1576074319000",
            "1iqt2wls",
            "get",
            "/api/v2/private/get_account_summary?currency=BTC",
            "",
        );
        assert_eq!(
            s,
            "1576074319000\n1iqt2wls\nGET\n/api/v2/private/get_account_summary?currency=BTC\n\n"
        );
        assert_eq!(
            sign_hex("AMANDASECRECT", &s),
            "9bfbc51a2bc372d72cc396cf1a213dc78d42eb74cb7dc272351833ad0de276ab"
        );
        let accounts = [SimAccount {
            client_id: "AMANDA".into(),
            client_secret: "AMANDASECRECT".into(),
            scope: SimScope::default(),
        }];
        let sig = sign_hex("AMANDASECRECT", &s);
        assert_eq!(
            verify_signature(
                &accounts,
                "AMANDA",
                "1576074319000",
                &s,
                &sig,
                1576074319000 + 59_000
            ),
            Ok(0)
        );
        let late = verify_signature(
            &accounts,
            "AMANDA",
            "1576074319000",
            &s,
            &sig,
            1576074319000 + 61_000,
        );
        assert_eq!(late.unwrap_err().code, super::super::errors::UNAUTHORIZED);
        let wrong = verify_signature(
            &accounts,
            "AMANDA",
            "1576074319000",
            &s,
            &"0".repeat(64),
            1576074319000,
        );
        assert_eq!(wrong.unwrap_err().code, super::super::errors::UNAUTHORIZED);
        let unknown = verify_signature(&accounts, "BOB", "1576074319000", &s, &sig, 1576074319000);
        assert_eq!(
            unknown.unwrap_err().code,
            super::super::errors::INVALID_CREDENTIALS
        );
    }

    #[test]
    fn the_header_fields_come_in_any_order() {
        let h = parse_signed_header("id=AMANDA,ts=1,nonce=abc,sig=ff").unwrap();
        assert_eq!(
            (
                h.id.as_str(),
                h.ts.as_str(),
                h.sig.as_str(),
                h.nonce.as_str()
            ),
            ("AMANDA", "1", "ff", "abc")
        );
        assert!(parse_signed_header("id=AMANDA,ts=1").is_err());
    }

    #[test]
    fn tokens_expire_and_a_refresh_ends_the_old_pair() {
        let mut t = Tokens::default();
        let g = t.grant(0, SimScope::default(), 1_000, 5_000, 60_000);
        assert_eq!(g.expires_in, 5);
        assert!(t.check(&g.access_token, 5_999).is_ok());
        assert!(t.check(&g.access_token, 6_000).is_err());
        let g2 = t.refresh(&g.refresh_token, 2_000, 5_000, 60_000).unwrap();
        assert!(t.check(&g.access_token, 2_000).is_err());
        assert!(t.check(&g2.access_token, 2_000).is_ok());
        assert!(t.refresh(&g.refresh_token, 2_000, 5_000, 60_000).is_err());
        t.revoke(&g2.access_token);
        assert!(t.check(&g2.access_token, 2_000).is_err());
        let g3 = t.grant(0, SimScope::default(), 3_000, 5_000, 60_000);
        let before = t.refused();
        t.expire_all(4_000);
        assert!(t.check(&g3.access_token, 4_000).is_err());
        t.note_refused();
        assert_eq!(t.refused(), before + 1);
        assert!(t.refresh(&g2.refresh_token, 2_000, 5_000, 60_000).is_err());
    }

    #[test]
    fn scopes_compare_read_below_read_write() {
        let s = SimScope::read_only();
        assert!(s.require(Area::Trade, Access::Read).is_ok());
        assert_eq!(
            s.require(Area::Trade, Access::ReadWrite).unwrap_err().code,
            13021
        );
        assert_eq!(
            SimScope::default().wire(),
            "account:read_write trade:read_write wallet:read"
        );
    }
}
