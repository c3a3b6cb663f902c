//! The kill switch: one action, never behind a code, that cancels every open order on every
//! connected account and, once the user has confirmed it, closes every position with
//! reduce-only market orders. Each account is worked on by its own task, which reads the venue
//! again after each attempt and tries again, backing off, until the venue shows nothing left
//! (or it gives up after [`MAX_ATTEMPTS`] and says why). New orders halt on every account (the
//! guard's breaker) until the user resumes with a code; cancel and close still go.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rampart_core::ApiError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Desk;
use crate::clock::local_ms;
use crate::orders::{ConnectionState, OrderEngine, OrderError, PlaceOutcome};
use rampart_venues::venue::AbortOnDrop;

/// Attempts per account and step before the kill switch stops and reports what is left.
pub const MAX_ATTEMPTS: u32 = 20;

/// The wait before attempt `n + 1`: 250 ms, doubling, at most 5 s (about 80 s over every
/// attempt).
fn backoff(n: u32) -> Duration {
    Duration::from_millis(250u64.saturating_mul(1 << n.min(5)).min(5_000))
}

/// How long the kill switch's command waits for every account's first attempt before it
/// answers (the rest is reported by [`Desk::kill_switch_status`]).
const FIRST_ANSWER_WAIT: Duration = Duration::from_secs(3);

/// Where one step of the kill switch stands on one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum KillState {
    /// Being worked on (or waiting to try again).
    Working,
    /// The venue shows nothing left.
    Done,
    /// Given up: the message says what is left and why.
    Failed,
}

/// One step (cancel the orders, or close the positions) on one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct KillStep {
    pub state: KillState,
    pub attempts: u32,
    /// Orders seen cancelled, or positions seen closed.
    pub cleared: u32,
    /// Still open at the last read (`None` before the first read).
    pub remaining: Option<u32>,
    /// The last failure, in the venue's or the engine's words.
    pub error: Option<String>,
}

impl KillStep {
    fn working() -> KillStep {
        KillStep {
            state: KillState::Working,
            attempts: 0,
            cleared: 0,
            remaining: None,
            error: None,
        }
    }
}

/// The kill switch on one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct AccountKill {
    pub account_id: String,
    pub label: String,
    pub orders: KillStep,
    /// `None` unless positions are being closed.
    pub positions: Option<KillStep>,
}

/// The last use of the kill switch, account by account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct KillSwitchReport {
    #[ts(type = "number")]
    pub started_at_ms: i64,
    /// Whether positions are closed too (the user confirmed).
    pub close_positions: bool,
    /// Every account's steps are done or given up.
    pub finished: bool,
    pub accounts: Vec<AccountKill>,
}

/// A use of the kill switch: its report, and the tasks working on it (dropped, they stop).
pub(crate) struct KillRun {
    report: Arc<Mutex<KillSwitchReport>>,
    _tasks: Vec<AbortOnDrop>,
}

impl KillRun {
    pub(crate) fn report(&self) -> Arc<Mutex<KillSwitchReport>> {
        Arc::clone(&self.report)
    }
}

fn lock(report: &Mutex<KillSwitchReport>) -> std::sync::MutexGuard<'_, KillSwitchReport> {
    // Every write replaces whole fields: a panic elsewhere cannot leave it half-written.
    report.lock().unwrap_or_else(|p| p.into_inner())
}

fn snapshot(report: &Mutex<KillSwitchReport>) -> KillSwitchReport {
    let mut r = lock(report).clone();
    r.finished = r.accounts.iter().all(|a| {
        a.orders.state != KillState::Working
            && a.positions
                .as_ref()
                .is_none_or(|p| p.state != KillState::Working)
    });
    r
}

/// Updates one account's step in the report.
fn update(
    report: &Mutex<KillSwitchReport>,
    account: &str,
    positions: bool,
    f: impl FnOnce(&mut KillStep),
) {
    let mut r = lock(report);
    if let Some(a) = r.accounts.iter_mut().find(|a| a.account_id == account) {
        let step = if positions {
            a.positions.get_or_insert_with(KillStep::working)
        } else {
            &mut a.orders
        };
        f(step);
    }
}

/// The failure in words a trader can act on.
fn failure(e: &OrderError) -> String {
    match e {
        OrderError::UnknownAccount(_) => {
            "the account is no longer connected (the app was locked or the account removed)"
                .to_owned()
        }
        other => other.to_string(),
    }
}

/// Whether to stop trying: the account is gone from the engine.
fn gone(e: &OrderError) -> bool {
    matches!(e, OrderError::UnknownAccount(_))
}

/// Records one attempt of a step: what the venue showed left and the attempt's failure.
fn attempted(
    report: &Mutex<KillSwitchReport>,
    account: &str,
    positions: bool,
    attempt: u32,
    before: Option<u32>,
    remaining: Option<u32>,
    error: Option<&OrderError>,
) -> bool {
    // The venue's own listing decides: nothing left is done, whatever an attempt answered.
    let done = remaining == Some(0);
    let stop = done || error.is_some_and(gone) || attempt == MAX_ATTEMPTS;
    update(report, account, positions, |s| {
        s.attempts = attempt;
        if remaining.is_some() {
            s.remaining = remaining;
        }
        if let (Some(before), Some(left)) = (before, s.remaining) {
            s.cleared = before.saturating_sub(left);
        }
        s.error = if done { None } else { error.map(failure) };
        s.state = if done {
            KillState::Done
        } else if stop {
            KillState::Failed
        } else {
            KillState::Working
        };
    });
    stop
}

fn count<T>(items: &[T]) -> u32 {
    u32::try_from(items.len()).unwrap_or(u32::MAX)
}

/// Cancels every open order of the account until the venue lists none. `carried`: orders the
/// previous use of the switch already cancelled (the confirmation to close starts a new run).
async fn cancel_orders(
    engine: &OrderEngine,
    account: &str,
    carried: u32,
    report: &Mutex<KillSwitchReport>,
) {
    let before = engine
        .open_orders(account, None)
        .await
        .ok()
        .map(|o| count(&o).saturating_add(carried));
    for attempt in 1..=MAX_ATTEMPTS {
        let cancelled = engine.cancel_all(account, None).await;
        let (remaining, read_error) = match engine.open_orders(account, None).await {
            Ok(left) => (Some(count(&left)), None),
            Err(e) => (None, Some(e)),
        };
        let error = cancelled.err().or(read_error);
        if attempted(
            report,
            account,
            false,
            attempt,
            before,
            remaining,
            error.as_ref(),
        ) {
            return;
        }
        tokio::time::sleep(backoff(attempt)).await;
    }
}

/// Closes every position of the account until the venue lists none.
async fn close_positions(
    engine: &Arc<OrderEngine>,
    account: &str,
    report: &Mutex<KillSwitchReport>,
) {
    let mut before = None;
    for attempt in 1..=MAX_ATTEMPTS {
        let mut error = None;
        match engine.positions(account).await {
            Ok(positions) => {
                before.get_or_insert(count(&positions));
                for position in positions.iter().filter(|p| !p.qty.is_zero()) {
                    match engine.close_position(account, position).await {
                        Ok(PlaceOutcome::Placed { .. }) => {}
                        Ok(_) => {
                            error = Some(OrderError::Refused(format!(
                                "the guard held the close of {} for a confirmation",
                                position.symbol
                            )));
                        }
                        Err(e) => error = Some(e),
                    }
                }
            }
            Err(e) => error = Some(e),
        }
        let (remaining, read_error) = match engine.positions(account).await {
            Ok(left) => (
                Some(
                    u32::try_from(left.iter().filter(|p| !p.qty.is_zero()).count())
                        .unwrap_or(u32::MAX),
                ),
                None,
            ),
            Err(e) => (None, Some(e)),
        };
        let error = error.or(read_error);
        if attempted(
            report,
            account,
            true,
            attempt,
            before,
            remaining,
            error.as_ref(),
        ) {
            return;
        }
        tokio::time::sleep(backoff(attempt)).await;
    }
}

/// One account's work: its orders, then (when asked) its positions.
async fn work(
    engine: Arc<OrderEngine>,
    account: String,
    close: bool,
    carried: u32,
    report: Arc<Mutex<KillSwitchReport>>,
    audit: Arc<crate::audit::AuditSink>,
) {
    cancel_orders(&engine, &account, carried, &report).await;
    if close {
        close_positions(&engine, &account, &report).await;
    }
    // How it ended on this account, as the report shows it.
    let r = snapshot(&report);
    if let Some(a) = r.accounts.iter().find(|a| a.account_id == account) {
        audit.record(
            rampart_audit::Entry::new(
                rampart_audit::Kind::KillSwitch,
                format!(
                    "Kill switch on \"{}\": orders {:?}{}",
                    a.label,
                    a.orders.state,
                    match &a.positions {
                        Some(p) => format!(", positions {:?}", p.state),
                        None => String::new(),
                    }
                ),
            )
            .account(&account)
            .detail(serde_json::to_value(a).unwrap_or_default()),
        );
    }
}

impl Desk {
    /// The kill switch. Needs no code: the app must only be unlocked (locked, no account is
    /// connected). Halts new orders on every account, then cancels every open order and, with
    /// `close_positions` (after the user's one confirmation), closes every position. A second
    /// use replaces the first (its tasks stop; the new one starts from what the venues show).
    /// Answers once every account has had a first attempt, or after a few seconds.
    pub async fn kill_switch(
        self: &Arc<Self>,
        close_positions: bool,
    ) -> Result<KillSwitchReport, ApiError> {
        let engine = self.unlocked_engine()?;
        engine.guard().kill_switch(crate::orders::guard_now());
        tracing::warn!(close_positions, "kill switch used");
        self.audit.record(
            rampart_audit::Entry::new(
                rampart_audit::Kind::KillSwitch,
                if close_positions {
                    "Kill switch: cancel every order and close every position"
                } else {
                    "Kill switch: halt trading and cancel every order"
                },
            )
            .detail(serde_json::json!({ "closePositions": close_positions })),
        );
        // Confirming the close follows a use that cancelled orders: those still count in this
        // report. Any other use starts from zero.
        let previous = self
            .kill_run_report()
            .map(|r| snapshot(&r))
            .filter(|p| close_positions && !p.close_positions);
        let carried = |id: &str| {
            previous
                .as_ref()
                .and_then(|p| p.accounts.iter().find(|a| a.account_id == id))
                .map_or(0, |a| a.orders.cleared)
        };
        // Every account, in the order the app lists them; one Rampart cannot reach (its
        // connector could not be made, or its connection failed) is reported as such.
        let accounts = self.trading_status().await?;
        let report = Arc::new(Mutex::new(KillSwitchReport {
            started_at_ms: local_ms(),
            close_positions,
            finished: false,
            accounts: accounts
                .iter()
                .map(|a| AccountKill {
                    account_id: a.account.id.clone(),
                    label: a.account.label.clone(),
                    orders: KillStep::working(),
                    positions: close_positions.then(KillStep::working),
                })
                .collect(),
        }));
        let mut tasks = Vec::new();
        for s in accounts.iter().map(|a| &a.status) {
            if let ConnectionState::Failed(why) = &s.connection {
                // Nothing can reach this account's orders: say so rather than try.
                update(&report, &s.account_id, false, |step| {
                    step.state = KillState::Failed;
                    step.error = Some(format!("not connected: {why}"));
                });
                if close_positions {
                    update(&report, &s.account_id, true, |step| {
                        step.state = KillState::Failed;
                        step.error = Some(format!("not connected: {why}"));
                    });
                }
                continue;
            }
            tasks.push(AbortOnDrop(tokio::spawn(work(
                Arc::clone(&engine),
                s.account_id.clone(),
                close_positions,
                carried(&s.account_id),
                Arc::clone(&report),
                self.audit_sink(),
            ))));
        }
        self.set_kill_run(KillRun {
            report: Arc::clone(&report),
            _tasks: tasks,
        });
        let deadline = tokio::time::Instant::now() + FIRST_ANSWER_WAIT;
        while tokio::time::Instant::now() < deadline {
            let r = snapshot(&report);
            let tried = r
                .accounts
                .iter()
                .all(|a| a.orders.attempts > 0 || a.orders.state != KillState::Working);
            if tried {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(snapshot(&report))
    }

    /// The last use of the kill switch as it stands, if it was used since the app started.
    pub fn kill_switch_status(&self) -> Result<Option<KillSwitchReport>, ApiError> {
        self.require_unlocked()?;
        Ok(self.kill_run_report().map(|r| snapshot(&r)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_to_five_seconds_and_every_attempt_takes_under_two_minutes() {
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(4), Duration::from_millis(4_000));
        assert_eq!(backoff(5), Duration::from_millis(5_000));
        assert_eq!(backoff(40), Duration::from_millis(5_000));
        let total: Duration = (1..MAX_ATTEMPTS).map(backoff).sum();
        assert!(total < Duration::from_secs(120), "{total:?}");
    }

    #[test]
    fn a_step_is_done_when_the_venue_shows_nothing_left_and_failed_after_the_last_attempt() {
        let report = Mutex::new(KillSwitchReport {
            started_at_ms: 0,
            close_positions: false,
            finished: false,
            accounts: vec![AccountKill {
                account_id: "a".into(),
                label: "A".into(),
                orders: KillStep::working(),
                positions: None,
            }],
        });
        let refused = OrderError::Unavailable("the venue did not answer".into());
        assert!(!attempted(
            &report,
            "a",
            false,
            1,
            Some(5),
            Some(2),
            Some(&refused)
        ));
        let r = snapshot(&report);
        assert!(!r.finished);
        assert_eq!(r.accounts[0].orders.cleared, 3);
        assert_eq!(
            r.accounts[0].orders.error.as_deref(),
            Some("the venue did not answer")
        );
        assert!(attempted(&report, "a", false, 2, Some(5), Some(0), None));
        let r = snapshot(&report);
        assert!(r.finished);
        assert_eq!(r.accounts[0].orders.state, KillState::Done);
        assert_eq!(r.accounts[0].orders.cleared, 5);
        assert_eq!(r.accounts[0].orders.error, None);
        // An account that keeps failing is given up on at the last attempt, with the reason.
        assert!(attempted(
            &report,
            "a",
            true,
            MAX_ATTEMPTS,
            Some(1),
            Some(1),
            Some(&refused)
        ));
        let p = snapshot(&report).accounts[0].positions.clone().unwrap();
        assert_eq!(p.state, KillState::Failed);
        assert_eq!(p.remaining, Some(1));
    }
}
