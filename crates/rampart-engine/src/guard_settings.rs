//! The guard's settings: each account's pre-trade limits (the defaults, tightened), how far the
//! circuit breaker reaches, and the exchange-side dead man's switch per account, which Rampart
//! keeps refreshing while it runs so that the venue cancels the account's orders if Rampart
//! goes silent (a crash, a lost network, the app locked or closed).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use rampart_core::trading::DeadMansScope;
use rampart_core::{ApiError, ErrorCode};
use rampart_guard::{BreakerScope, Guard, Limits};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Desk;
use crate::clock::local_ms;

use crate::orders::OrderEngine;

pub(crate) const GUARD_SETTINGS_FILE: &str = "guard-settings.json";

/// The shortest and longest countdown Rampart arms (s). Binance takes any countdown in ms;
/// under 15 s a slow refresh could fire it by mistake, and over 10 minutes it protects little.
pub const DEAD_MANS_MIN_SECS: u32 = 15;
pub const DEAD_MANS_MAX_SECS: u32 = 600;

/// One account's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct AccountGuardSettings {
    pub account_id: String,
    pub limits: Limits,
    /// The dead man's switch countdown (s), or `None` when off.
    #[serde(default)]
    pub dead_mans_switch_secs: Option<u32>,
}

/// The guard's settings, as the Settings page edits them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct GuardSettings {
    #[serde(default)]
    pub breaker_scope: BreakerScope,
    /// Accounts with settings of their own; the others have the defaults.
    #[serde(default)]
    pub accounts: Vec<AccountGuardSettings>,
}

/// Where one account's dead man's switch stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct DeadMansStatus {
    pub account_id: String,
    #[ts(type = "number")]
    pub countdown_secs: u32,
    /// When the venue last took the countdown (local ms), `None` until it has.
    #[ts(type = "number | null")]
    pub armed_at_ms: Option<i64>,
    /// The symbols it covers (Binance arms it per symbol: those with open orders).
    pub symbols: Vec<String>,
    /// Whether it covers every open order of the account at once (OKX's cancel-all-after,
    /// Bybit's disconnected cancel-all), not symbol by symbol.
    pub whole_account: bool,
    /// Why the last refresh failed, or why the venue cannot do it.
    pub error: Option<String>,
}

/// The settings with the defaults and the dead man's switch status, for the Settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct GuardSettingsView {
    pub settings: GuardSettings,
    /// The limits every account starts from, and the loosest allowed.
    pub defaults: Limits,
    pub dead_mans: Vec<DeadMansStatus>,
}

fn invalid(message: String) -> ApiError {
    ApiError::new(ErrorCode::InvalidInput, message)
}

/// Checks settings the user proposes: limits no looser than the defaults, countdowns in range.
pub fn checked(settings: GuardSettings) -> Result<GuardSettings, ApiError> {
    let mut seen = std::collections::HashSet::new();
    for a in &settings.accounts {
        if !seen.insert(a.account_id.as_str()) {
            return Err(invalid(format!(
                "The account {} is listed twice.",
                a.account_id
            )));
        }
        a.limits.clone().checked().map_err(|e| {
            let text = e.to_string();
            let mut chars = text.chars();
            let first = chars.next().map(|c| c.to_uppercase().collect::<String>());
            invalid(format!("{}{}.", first.unwrap_or_default(), chars.as_str()))
        })?;
        if let Some(secs) = a.dead_mans_switch_secs
            && !(DEAD_MANS_MIN_SECS..=DEAD_MANS_MAX_SECS).contains(&secs)
        {
            return Err(invalid(format!(
                "The dead man's switch countdown must be between {DEAD_MANS_MIN_SECS} and \
                 {DEAD_MANS_MAX_SECS} seconds."
            )));
        }
    }
    Ok(settings)
}

/// Puts the settings into the guard.
pub(crate) fn apply(guard: &mut Guard, settings: &GuardSettings) {
    guard.set_breaker_scope(settings.breaker_scope);
    for a in &settings.accounts {
        if let Err(e) = guard.set_limits(&a.account_id, a.limits.clone()) {
            // Checked when saved; a file edited by hand falls back to the defaults.
            tracing::warn!(account = %a.account_id, error = %e, "limits not applied");
        }
    }
}

/// The dead man's switch's state per account, while unlocked.
#[derive(Default)]
pub(crate) struct DeadMans {
    pub status: HashMap<String, DeadMansStatus>,
    pub task: Option<rampart_venues::venue::AbortOnDrop>,
    /// The guard's settings as last read or saved.
    pub settings: Option<GuardSettings>,
}

impl Desk {
    /// The saved settings (the defaults when none were saved, or the file cannot be read: the
    /// Settings page shows why, see [`Desk::guard_settings`]). Read from disk once, then kept
    /// (the dead man's switch looks at them every few seconds); saving replaces them.
    pub(crate) fn load_guard_settings(&self) -> GuardSettings {
        if let Some(settings) = self.dead_mans().settings.clone() {
            return settings;
        }
        let settings = match self.read_file::<GuardSettings>(GUARD_SETTINGS_FILE) {
            Ok(settings) => settings.unwrap_or_default(),
            Err(e) => {
                tracing::warn!(error = %e.message, "the guard's settings could not be read; using the defaults");
                return GuardSettings::default();
            }
        };
        self.dead_mans().settings = Some(settings.clone());
        settings
    }

    /// The guard's settings and the dead man's switches as they stand.
    pub fn guard_settings(&self) -> Result<GuardSettingsView, ApiError> {
        self.require_unlocked()?;
        let mut dead_mans: Vec<DeadMansStatus> =
            self.dead_mans().status.values().cloned().collect();
        dead_mans.sort_by(|a, b| a.account_id.cmp(&b.account_id));
        Ok(GuardSettingsView {
            // A changed file is refused here, in words, rather than shown as the defaults.
            settings: self
                .read_file::<GuardSettings>(GUARD_SETTINGS_FILE)?
                .unwrap_or_default(),
            defaults: Limits::default(),
            dead_mans,
        })
    }

    /// Saves new settings after a fresh code, and applies them at once.
    pub fn set_guard_settings(
        &self,
        settings: GuardSettings,
        code: &str,
    ) -> Result<GuardSettingsView, ApiError> {
        let engine = self.unlocked_engine()?;
        let settings = checked(settings)?;
        let known = self.load_accounts()?;
        if let Some(a) = settings
            .accounts
            .iter()
            .find(|a| !known.iter().any(|k| k.id == a.account_id))
        {
            return Err(ApiError::new(
                ErrorCode::AccountNotFound,
                format!("There is no account {}.", a.account_id),
            ));
        }
        self.step_up(code)?;
        let before = self.load_guard_settings();
        self.write_file(GUARD_SETTINGS_FILE, &settings)?;
        self.audit.record(
            rampart_audit::Entry::new(rampart_audit::Kind::Settings, "Guard settings changed")
                .detail(serde_json::json!({
                    "from": serde_json::to_value(&before).unwrap_or_default(),
                    "to": serde_json::to_value(&settings).unwrap_or_default(),
                })),
        );
        self.dead_mans().settings = Some(settings.clone());
        {
            // Accounts no longer listed go back to the defaults.
            let mut guard = engine.guard();
            for a in &known {
                let _ = guard.set_limits(&a.id, Limits::default());
            }
            apply(&mut guard, &settings);
        }
        tracing::info!("guard settings changed");
        self.guard_settings()
    }

    fn dead_mans(&self) -> std::sync::MutexGuard<'_, DeadMans> {
        self.dead_mans.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts refreshing the dead man's switches of the connected accounts (after unlock);
    /// dropped at lock.
    pub(crate) fn start_dead_mans_switch(self: &Arc<Self>) {
        let desk = Arc::downgrade(self);
        let task = tokio::spawn(async move {
            loop {
                let Some(d) = desk.upgrade() else { return };
                let wait = d.refresh_dead_mans_switches().await;
                drop(d);
                tokio::time::sleep(wait).await;
            }
        });
        self.dead_mans().task = Some(rampart_venues::venue::AbortOnDrop(task));
    }

    pub(crate) fn stop_dead_mans_switch(&self) {
        let mut d = self.dead_mans();
        d.task = None;
        d.status.clear();
    }

    /// One round: every account with a countdown set arms it again on each symbol it has open
    /// orders on. Returns how long to wait before the next round (a third of the shortest
    /// countdown, so two refreshes can fail before it fires; 5 s when none is set).
    async fn refresh_dead_mans_switches(&self) -> Duration {
        let Ok(engine) = self.unlocked_engine() else {
            return Duration::from_secs(5);
        };
        let settings = self.load_guard_settings();
        let armed: BTreeMap<String, u32> = settings
            .accounts
            .iter()
            .filter_map(|a| Some((a.account_id.clone(), a.dead_mans_switch_secs?)))
            // A file edited by hand is held to the same range as the Settings page.
            .filter(|(_, secs)| (DEAD_MANS_MIN_SECS..=DEAD_MANS_MAX_SECS).contains(secs))
            .collect();
        let live = self.live.snapshot();
        let mut statuses = Vec::new();
        for (account, secs) in &armed {
            let mut symbols: Vec<String> = live
                .iter()
                .filter(|l| &l.account_id == account)
                .flat_map(|l| l.open_orders.iter().map(|o| o.symbol.clone()))
                .collect();
            symbols.sort();
            symbols.dedup();
            statuses.push(arm(&engine, account, *secs, symbols).await);
        }
        let mut d = self.dead_mans();
        d.status = statuses
            .into_iter()
            .map(|s| (s.account_id.clone(), s))
            .collect();
        // The countdowns as armed (a venue's longest may be shorter than the one set).
        let shortest = d
            .status
            .values()
            .map(|s| s.countdown_secs)
            .chain(armed.values().copied())
            .min()
            .unwrap_or(15);
        Duration::from_secs(u64::from(shortest / 3).max(5))
    }
}

/// Arms one account's switch as its venue takes it: on each of `symbols` where the venue counts
/// per symbol (Binance), once for the whole account where it counts per account or connection
/// (OKX, Bybit). A countdown longer than the venue accepts is armed at the venue's longest (it
/// fires sooner than asked, never later); the status says so.
async fn arm(
    engine: &OrderEngine,
    account: &str,
    secs: u32,
    symbols: Vec<String>,
) -> DeadMansStatus {
    let mut status = DeadMansStatus {
        account_id: account.to_owned(),
        countdown_secs: secs,
        armed_at_ms: None,
        symbols: Vec::new(),
        whole_account: false,
        error: None,
    };
    let info = match engine.capabilities(account).await {
        Ok(capabilities) => capabilities.dead_mans_switch,
        Err(e) => {
            status.error = Some(e.to_string());
            return status;
        }
    };
    let Some(info) = info else {
        status.error = Some("this venue has no dead man's switch Rampart can arm".into());
        return status;
    };
    let longest = u32::try_from(info.max_countdown_ms / 1000).unwrap_or(u32::MAX);
    let shortest = u32::try_from(info.min_countdown_ms.div_ceil(1000)).unwrap_or(u32::MAX);
    if secs < shortest {
        status.error = Some(format!("the venue's shortest countdown is {shortest} s"));
        return status;
    }
    status.countdown_secs = secs.min(longest);
    let countdown = Duration::from_secs(u64::from(status.countdown_secs));
    let scopes: Vec<DeadMansScope> = match info.scope {
        DeadMansScope::Symbol(_) => symbols.into_iter().map(DeadMansScope::Symbol).collect(),
        DeadMansScope::Account | DeadMansScope::Connection => {
            status.whole_account = true;
            vec![info.scope.clone()]
        }
    };
    let mut armed_all = true;
    for scope in scopes {
        match engine.dead_mans_switch(account, &scope, countdown).await {
            Ok(()) => {
                if let DeadMansScope::Symbol(symbol) = scope {
                    status.symbols.push(symbol);
                }
            }
            Err(e) => {
                armed_all = false;
                status.error = Some(e.to_string());
            }
        }
    }
    if armed_all {
        status.armed_at_ms = Some(local_ms());
    }
    status
}
