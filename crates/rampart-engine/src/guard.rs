//! The guard as the app shows it: the session's warnings (listed, acknowledged), the circuit
//! breaker's trips and resuming with a TOTP code.

use rampart_core::ApiError;
use rampart_guard::{Severity, Warning};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use std::sync::Arc;

use crate::Desk;
use crate::live::LiveDesk;
use crate::orders::OrderEngine;

/// Every order and fill the accounts' streams and reads report goes past the engine's guard,
/// which raises those this terminal did not place (by the client order id's prefix).
pub fn watch_activity(live: &LiveDesk, engine: &Arc<OrderEngine>) {
    let watcher = Arc::downgrade(engine);
    live.on_activity(Arc::new(move |account, activity| {
        if let Some(engine) = watcher.upgrade() {
            engine
                .guard()
                .observe_activity(account, activity, crate::orders::guard_now());
        }
    }));
}

/// One warning of the session, as the warnings panel lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct GuardWarningView {
    #[ts(type = "number")]
    pub id: u64,
    /// When it was raised (ms since the Unix epoch).
    #[ts(type = "number")]
    pub at_ms: i64,
    pub warning: Warning,
    pub acknowledged: bool,
}

/// New orders halted by the circuit breaker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct HaltView {
    /// The account halted, or `None` when every account is.
    pub account_id: Option<String>,
    pub reason: String,
    #[ts(type = "number")]
    pub at_ms: i64,
}

/// The guard's state for the workspace: the warnings panel, the status bar's count, the
/// breaker's banner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct GuardStatus {
    /// Oldest first.
    pub warnings: Vec<GuardWarningView>,
    pub unacknowledged: u32,
    pub halts: Vec<HaltView>,
}

/// The warnings an OS notification tells of: those raised after the warning `after` (by id),
/// not yet acknowledged, of warning severity or above (info is only listed), oldest first.
pub fn to_notify(status: &GuardStatus, after: u64) -> Vec<&GuardWarningView> {
    status
        .warnings
        .iter()
        .filter(|w| w.id > after && !w.acknowledged && w.warning.severity >= Severity::Warning)
        .collect()
}

/// A notification's title for a warning: what it asks of the user.
pub fn notification_title(warning: &Warning) -> &'static str {
    match warning.severity {
        Severity::Critical => "Rampart: trading halted",
        Severity::High => "Rampart: a code is needed",
        Severity::Warning => "Rampart: warning",
        Severity::Info => "Rampart",
    }
}

pub(crate) fn status_of(engine: &OrderEngine) -> GuardStatus {
    let guard = engine.guard();
    GuardStatus {
        warnings: guard
            .warnings()
            .map(|l| GuardWarningView {
                id: l.id,
                at_ms: l.at.unix_ms,
                warning: l.warning.clone(),
                acknowledged: l.acknowledged,
            })
            .collect(),
        unacknowledged: u32::try_from(guard.unacknowledged()).unwrap_or(u32::MAX),
        halts: guard
            .trips()
            .into_iter()
            .map(|(account, trip)| HaltView {
                account_id: account.map(str::to_owned),
                reason: trip.reason.clone(),
                at_ms: trip.at.unix_ms,
            })
            .collect(),
    }
}

impl Desk {
    /// The session's warnings and the breaker's trips.
    pub fn guard_status(&self) -> Result<GuardStatus, ApiError> {
        let engine = self.unlocked_engine()?;
        Ok(status_of(&engine))
    }

    /// Marks one warning as read; unknown ids are ignored (the list keeps the latest 1,000).
    pub fn acknowledge_warning(&self, id: u64) -> Result<GuardStatus, ApiError> {
        let engine = self.unlocked_engine()?;
        engine.guard().acknowledge(id);
        Ok(status_of(&engine))
    }

    /// Lifts the breaker's halt on an account, with a fresh TOTP code.
    pub fn resume_trading(&self, account_id: &str, code: &str) -> Result<GuardStatus, ApiError> {
        let engine = self.unlocked_engine()?;
        self.step_up(code)?;
        if engine.guard().resume(account_id) {
            tracing::warn!(account = %account_id, "trading resumed after the circuit breaker");
        }
        Ok(status_of(&engine))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_guard::WarningKind;

    fn view(id: u64, severity: Severity, acknowledged: bool) -> GuardWarningView {
        GuardWarningView {
            id,
            at_ms: 0,
            warning: Warning {
                kind: WarningKind::Burst,
                severity,
                account: None,
                symbol: None,
                seen: format!("seen {id}"),
                advice: "advice".into(),
            },
            acknowledged,
        }
    }

    #[test]
    fn notifications_tell_of_new_unread_warnings_of_warning_severity_and_above() {
        let status = GuardStatus {
            warnings: vec![
                view(1, Severity::Critical, false),
                view(2, Severity::Info, false),
                view(3, Severity::High, true),
                view(4, Severity::Warning, false),
                view(5, Severity::Critical, false),
            ],
            unacknowledged: 4,
            halts: Vec::new(),
        };
        let ids: Vec<u64> = to_notify(&status, 1).iter().map(|w| w.id).collect();
        assert_eq!(ids, [4, 5]);
        assert!(to_notify(&status, 5).is_empty());
        assert_eq!(
            notification_title(&status.warnings[0].warning),
            "Rampart: trading halted"
        );
    }
}
