//! Deribit's OAuth 2.0 access token: obtained from `public/auth`, kept, refreshed before it
//! expires, and read for the key's scopes.
//!
//! From docs.deribit.com, "public/auth" and /articles/authentication:
//! - grants: `client_credentials` (`client_id`, `client_secret`), `client_signature`
//!   (`client_id`, `timestamp`, `signature`, `nonce`, `data`; see [`super::signer`]) and
//!   `refresh_token` ("Can be used to request a new token (with a new lifetime)");
//! - the answer: `access_token`, `refresh_token`, `expires_in` ("Token lifetime in seconds"),
//!   `scope` ("Type of the access for assigned token"), `token_type` (`bearer`);
//! - /articles/access-scope: "The user shouldn't assume that requested values are blindly
//!   accepted and should verify assigned scopes" — so the scopes come from the answer, never
//!   from what was asked.
//!
//! One [`TokenHolder`] per connection (a connection-scoped token dies with its connection).
//! Every caller asks it for the token; the first to find it missing, due for renewal (at 80 % of
//! its life, or with less than 60 s left) or refused renews it while holding one async lock, and
//! the others wait for that renewal instead of starting their own.

use std::future::Future;

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use zeroize::Zeroizing;

use super::error::{config, malformed};
use super::json::Num;
use super::signer::{Signer, new_nonce};
use crate::venue::{KeyPermissions, Result};

/// Renew when less than this is left (ms).
pub const RENEW_MARGIN_MS: i64 = 60_000;
/// Renew once this share of the token's life (percent) has passed.
pub const RENEW_AT_PERCENT: i64 = 80;

/// How the connection authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Grant {
    /// Sends the client secret itself (over TLS).
    ClientCredentials,
    /// Sends only a signature made with the secret: the secret never leaves this machine.
    #[default]
    ClientSignature,
}

/// A client id and secret. The secret is wiped on drop and never printed.
#[derive(Clone)]
pub struct Credentials {
    client_id: String,
    secret: Zeroizing<String>,
    signer: Signer,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(<redacted>)")
    }
}

impl Credentials {
    pub fn new(client_id: &str, client_secret: &str) -> Result<Self> {
        let client_id = client_id.trim();
        if client_id.is_empty() {
            return Err(config("The Deribit client id is empty."));
        }
        let signer = Signer::new(client_secret)
            .ok_or_else(|| config("The Deribit client secret is empty."))?;
        Ok(Self {
            client_id: client_id.to_owned(),
            secret: Zeroizing::new(client_secret.trim().to_owned()),
            signer,
        })
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The `public/auth` params of `grant` at venue time `timestamp_ms` with `nonce` (the
    /// client-signature grant signs `timestamp\nnonce\n` with no data). They may hold the
    /// secret: never log them.
    pub fn grant_params(&self, grant: Grant, timestamp_ms: i64, nonce: &str) -> Value {
        match grant {
            Grant::ClientCredentials => json!({
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.secret.as_str(),
            }),
            // No `data`: "If Data is omitted, treat it as an empty string".
            Grant::ClientSignature => json!({
                "grant_type": "client_signature",
                "client_id": self.client_id,
                "timestamp": timestamp_ms,
                "signature": self.signer.sign_grant(timestamp_ms, nonce, ""),
                "nonce": nonce,
            }),
        }
    }
}

/// The `public/auth` params that refresh a token.
pub fn refresh_params(refresh_token: &str) -> Value {
    json!({"grant_type": "refresh_token", "refresh_token": refresh_token})
}

/// `public/auth`'s result (numbers as text).
#[derive(Deserialize)]
pub struct AuthResult {
    pub access_token: Zeroizing<String>,
    pub refresh_token: Zeroizing<String>,
    pub expires_in: Num,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub token_type: String,
}

impl std::fmt::Debug for AuthResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthResult")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// A token in force.
struct Tokens {
    access: Zeroizing<String>,
    refresh: Zeroizing<String>,
    /// Local time (ms) it was received and when it expires.
    issued_ms: i64,
    expires_ms: i64,
    scope: String,
}

impl Tokens {
    fn from_result(r: AuthResult, now_ms: i64) -> Result<Self> {
        let secs = r.expires_in.int("expires_in")?;
        if secs <= 0 || r.access_token.is_empty() {
            return Err(malformed("an access token without a lifetime"));
        }
        Ok(Tokens {
            access: r.access_token,
            refresh: r.refresh_token,
            issued_ms: now_ms,
            expires_ms: now_ms.saturating_add(secs.saturating_mul(1000)),
            scope: r.scope,
        })
    }
}

/// Whether a token issued at `issued_ms` and expiring at `expires_ms` should be renewed at
/// `now_ms`: 80 % of its life has passed, or less than 60 s are left.
pub fn renewal_due(issued_ms: i64, expires_ms: i64, now_ms: i64) -> bool {
    let life = expires_ms - issued_ms;
    now_ms >= issued_ms + life * RENEW_AT_PERCENT / 100 || expires_ms - now_ms < RENEW_MARGIN_MS
}

/// What a caller asks of `public/auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStep {
    /// A new token from the credentials.
    Grant,
    /// A new token from the refresh token.
    Refresh,
}

/// One connection's access token (see the module doc).
pub struct TokenHolder {
    credentials: Credentials,
    grant: Grant,
    tokens: Mutex<Option<Tokens>>,
    /// How many times `public/auth` was called (for tests and diagnostics).
    calls: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for TokenHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenHolder")
            .field("grant", &self.grant)
            .finish_non_exhaustive()
    }
}

impl TokenHolder {
    pub fn new(credentials: Credentials, grant: Grant) -> Self {
        Self {
            credentials,
            grant,
            tokens: Mutex::new(None),
            calls: Default::default(),
        }
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// How many `public/auth` calls this holder has made.
    pub fn auth_calls(&self) -> u64 {
        self.calls.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The access token to use at local time `now_ms`, renewed first if missing or due.
    /// `venue_ms` is the venue's time for a signature; `auth` sends `public/auth` with the
    /// params it is given.
    pub async fn access_token<F, Fut>(
        &self,
        now_ms: i64,
        venue_ms: i64,
        auth: F,
    ) -> Result<Zeroizing<String>>
    where
        F: Fn(AuthStep, Value) -> Fut,
        Fut: Future<Output = Result<AuthResult>>,
    {
        let mut tokens = self.tokens.lock().await;
        match tokens.as_ref() {
            Some(t) if !renewal_due(t.issued_ms, t.expires_ms, now_ms) => Ok(t.access.clone()),
            _ => self.renew(&mut tokens, now_ms, venue_ms, &auth).await,
        }
    }

    /// After Deribit refused `refused` as expired or unauthorized: renews it, unless another
    /// caller already has (then the new token is returned without a second renewal).
    pub async fn after_refusal<F, Fut>(
        &self,
        refused: &str,
        now_ms: i64,
        venue_ms: i64,
        auth: F,
    ) -> Result<Zeroizing<String>>
    where
        F: Fn(AuthStep, Value) -> Fut,
        Fut: Future<Output = Result<AuthResult>>,
    {
        let mut tokens = self.tokens.lock().await;
        if let Some(t) = tokens.as_ref()
            && t.access.as_str() != refused
        {
            return Ok(t.access.clone());
        }
        // The refused token cannot be refreshed from itself reliably: start from the grant.
        *tokens = None;
        self.renew(&mut tokens, now_ms, venue_ms, &auth).await
    }

    /// Forgets the token (the connection it belonged to has closed).
    pub async fn forget(&self) {
        *self.tokens.lock().await = None;
    }

    /// The scope of the token in force, as Deribit granted it.
    pub async fn scope(&self) -> Option<String> {
        self.tokens.lock().await.as_ref().map(|t| t.scope.clone())
    }

    async fn renew<F, Fut>(
        &self,
        tokens: &mut Option<Tokens>,
        now_ms: i64,
        venue_ms: i64,
        auth: &F,
    ) -> Result<Zeroizing<String>>
    where
        F: Fn(AuthStep, Value) -> Fut,
        Fut: Future<Output = Result<AuthResult>>,
    {
        use std::sync::atomic::Ordering;
        // A token still alive is refreshed from its refresh token; if that is refused (or the
        // token has expired), the credentials grant a new one.
        if let Some(t) = tokens.as_ref()
            && now_ms < t.expires_ms
        {
            self.calls.fetch_add(1, Ordering::Relaxed);
            if let Ok(r) = auth(AuthStep::Refresh, refresh_params(&t.refresh)).await {
                let fresh = Tokens::from_result(r, now_ms)?;
                let access = fresh.access.clone();
                *tokens = Some(fresh);
                return Ok(access);
            }
        }
        *tokens = None;
        self.calls.fetch_add(1, Ordering::Relaxed);
        let params = self
            .credentials
            .grant_params(self.grant, venue_ms, &new_nonce());
        let fresh = Tokens::from_result(auth(AuthStep::Grant, params).await?, now_ms)?;
        let access = fresh.access.clone();
        *tokens = Some(fresh);
        Ok(access)
    }
}

/// What a token's `scope` allows, for the guard's key permission audit. `trade:read_write`
/// trades; `wallet:read_write` withdraws and moves funds ("Full access to wallet methods -
/// withdraw, generate deposit addresses, etc."; transfers between sub-accounts are wallet
/// methods); `ip:ADDR` other than `*` binds the token to an address.
pub fn key_permissions(scope: &str) -> KeyPermissions {
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    let has = |s: &str| scopes.contains(&s);
    let wallet_write = has("wallet:read_write");
    KeyPermissions {
        can_read: has("account:read")
            || has("account:read_write")
            || has("trade:read")
            || has("trade:read_write"),
        can_trade: has("trade:read_write"),
        can_withdraw: wallet_write,
        can_transfer: wallet_write,
        ip_restricted: scopes.iter().any(|s| {
            s.strip_prefix("ip:")
                .is_some_and(|a| a != "*" && !a.is_empty())
        }),
        created_ms: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    fn creds() -> Credentials {
        Credentials::new("AMANDA", "AMANDASECRECT").unwrap()
    }

    fn result(n: u64, expires_in: i64) -> AuthResult {
        super::super::json::parse(&format!(
            r#"{{"access_token":"acc{n}","refresh_token":"ref{n}","expires_in":{expires_in},"scope":"connection mainaccount trade:read_write","token_type":"bearer"}}"#
        ))
        .unwrap()
    }

    #[test]
    fn renewal_is_due_at_80_percent_or_a_minute_before_expiry() {
        // One hour of life: due after 48 minutes.
        let h = 3_600_000;
        assert!(!renewal_due(0, h, h * 79 / 100));
        assert!(renewal_due(0, h, h * 80 / 100));
        // Two minutes of life: due with less than 60 s left even before 80 %.
        assert!(!renewal_due(0, 120_000, 59_000));
        assert!(renewal_due(0, 120_000, 61_000));
    }

    #[test]
    fn the_signature_grant_carries_no_secret_and_reproduces_the_docs() {
        let p = creds().grant_params(Grant::ClientSignature, 1_576_074_319_000, "1iqt2wls");
        assert_eq!(p["grant_type"], "client_signature");
        assert_eq!(p["timestamp"], 1_576_074_319_000_i64);
        assert_eq!(
            p["signature"],
            "56590594f97921b09b18f166befe0d1319b198bbcdad7ca73382de2f88fe9aa1"
        );
        assert!(p.get("data").is_none(), "empty data is left out");
        assert!(!p.to_string().contains("AMANDASECRECT"));
        let p = creds().grant_params(Grant::ClientCredentials, 0, "n");
        assert_eq!(p["client_secret"], "AMANDASECRECT");
        assert_eq!(format!("{:?}", creds()), "Credentials(<redacted>)");
    }

    #[tokio::test]
    async fn a_burst_of_callers_shares_one_grant_and_one_refresh() {
        let holder = Arc::new(TokenHolder::new(creds(), Grant::ClientSignature));
        let sent = Arc::new(AtomicU64::new(0));
        let auth = |sent: Arc<AtomicU64>| {
            move |step: AuthStep, params: Value| {
                let sent = sent.clone();
                async move {
                    let n = sent.fetch_add(1, Ordering::SeqCst) + 1;
                    match step {
                        AuthStep::Grant => assert_eq!(params["grant_type"], "client_signature"),
                        AuthStep::Refresh => {
                            assert_eq!(params["refresh_token"], format!("ref{}", n - 1));
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Ok(result(n, 900))
                }
            }
        };
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let h = holder.clone();
            let a = auth(sent.clone());
            tasks.push(tokio::spawn(async move {
                h.access_token(0, 0, a).await.map(|t| t.to_string())
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), "acc1");
        }
        assert_eq!(
            sent.load(Ordering::SeqCst),
            1,
            "one grant for sixteen callers"
        );
        // 900 s of life: at 13 minutes (more than 80 %) the next burst refreshes once.
        let later = 13 * 60_000;
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let h = holder.clone();
            let a = auth(sent.clone());
            tasks.push(tokio::spawn(async move {
                h.access_token(later, later, a).await.map(|t| t.to_string())
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), "acc2");
        }
        assert_eq!(
            sent.load(Ordering::SeqCst),
            2,
            "one refresh for sixteen callers"
        );
        assert_eq!(
            holder.scope().await.as_deref(),
            Some("connection mainaccount trade:read_write")
        );
    }

    #[tokio::test]
    async fn a_refused_token_is_renewed_once_however_many_saw_it_refused() {
        let holder = TokenHolder::new(creds(), Grant::ClientSignature);
        let sent = AtomicU64::new(0);
        let auth = |_: AuthStep, _: Value| {
            let n = sent.fetch_add(1, Ordering::SeqCst) + 1;
            async move { Ok(result(n, 3600)) }
        };
        assert_eq!(
            holder.access_token(0, 0, auth).await.unwrap().as_str(),
            "acc1"
        );
        let a = holder.after_refusal("acc1", 10, 10, auth).await.unwrap();
        assert_eq!(a.as_str(), "acc2");
        // A second caller that also held acc1 gets acc2 without another renewal.
        let b = holder.after_refusal("acc1", 11, 11, auth).await.unwrap();
        assert_eq!(b.as_str(), "acc2");
        assert_eq!(sent.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_refused_refresh_falls_back_to_the_grant() {
        let holder = TokenHolder::new(creds(), Grant::ClientCredentials);
        let steps = std::sync::Mutex::new(Vec::new());
        let auth = |step: AuthStep, _: Value| {
            steps.lock().unwrap().push(step);
            let n = steps.lock().unwrap().len() as u64;
            async move {
                if step == AuthStep::Refresh {
                    Err(super::super::error::rejected(13009, "unauthorized"))
                } else {
                    Ok(result(n, 100))
                }
            }
        };
        holder.access_token(0, 0, auth).await.unwrap();
        let t = holder.access_token(90_000, 90_000, auth).await.unwrap();
        assert_eq!(t.as_str(), "acc3");
        assert_eq!(
            *steps.lock().unwrap(),
            vec![AuthStep::Grant, AuthStep::Refresh, AuthStep::Grant]
        );
    }

    #[test]
    fn scopes_become_key_permissions() {
        let k = key_permissions(
            "account:read block_trade:read trade:read_write wallet:read_write connection mainaccount",
        );
        assert!(k.can_read && k.can_trade && k.can_withdraw && k.can_transfer);
        assert!(!k.ip_restricted);
        let k = key_permissions("account:read trade:read wallet:none ip:1.2.3.4 session:x");
        assert!(k.can_read && !k.can_trade && !k.can_withdraw && k.ip_restricted);
        assert!(!key_permissions("trade:read_write ip:*").ip_restricted);
        assert!(!key_permissions("wallet:read").can_withdraw);
    }

    #[test]
    fn tokens_never_print() {
        let r = result(1, 10);
        let text = format!("{r:?}");
        assert!(!text.contains("acc1") && !text.contains("ref1"));
    }
}
