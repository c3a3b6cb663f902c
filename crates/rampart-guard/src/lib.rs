//! The guard: every check Rampart runs on an order before it is signed, and the watch it keeps
//! on the session. It takes facts ([`OrderFacts`], a venue's answer, a clock reading, an
//! unlock) and returns verdicts and [`Warning`]s; it does no I/O and reads no clock, so every
//! rule is tested with an injected moment and history.
//!
//! - Pre-trade checks (`pretrade`): the price band, order and position value caps, leverage,
//!   open orders, duplicates, reduce-only; per account, with [`Limits`] the user can tighten.
//! - Session anomaly detectors (`detectors`), compared with the user's own [`History`].
//! - Severity decides the response: info is listed, a warning needs a confirmation, high a
//!   fresh TOTP code, critical trips the [`Breaker`].
//!
//! The caller (the engine) holds the guard under the same lock as the order state it checks,
//! so a burst of concurrent orders is judged one at a time against up-to-date facts.

pub mod breaker;
mod detectors;
pub mod facts;
pub mod history;
pub mod limits;
mod pretrade;
mod session;
pub mod thresholds;
pub mod verdict;
pub mod warning;

#[cfg(test)]
mod testing;

use std::collections::{HashMap, VecDeque};

pub use breaker::{Breaker, BreakerScope, Trip};
pub use detectors::is_ours;
pub use facts::{
    AccountActivity, ContractValue, Moment, OrderFacts, RejectionKind, Seat, UnlockFacts,
};
pub use history::History;
pub use limits::{Band, Limits, LimitsError};
pub use thresholds::Thresholds;
pub use verdict::{Assessment, Refusal, Verdict};
pub use warning::{Severity, Warning, WarningKind};

use session::{AccountSession, RecentOrder, prune};

/// Warnings kept for the panel; the oldest go first.
const LOGGED_WARNINGS: usize = 1_000;

/// A warning reporting the same as one listed less than this long ago is not listed again
/// (ms; see `same_event`).
const REPEAT_WITHIN_MS: i64 = 60_000;

/// A warning in the session's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub id: u64,
    pub at: Moment,
    pub warning: Warning,
    pub acknowledged: bool,
}

/// Whether two warnings report the same thing: the same rule, severity, account and
/// instrument (the figures move on: "11 orders", "12 orders"). Activity this terminal did not
/// make is one event per order, told apart by what was seen (its client id).
fn same_event(a: &Warning, b: &Warning) -> bool {
    a.kind == b.kind
        && a.severity == b.severity
        && a.account == b.account
        && a.symbol == b.symbol
        && (a.kind != WarningKind::ForeignActivity || a.seen == b.seen)
}

/// What the guard did, for whoever keeps a record of it (the audit trail).
#[derive(Debug, Clone, Copy)]
pub enum GuardEvent<'a> {
    /// A warning was listed (a repeat within the minute is not).
    Warning { warning: &'a Warning, at: Moment },
    /// The breaker halted `account` (all accounts when `None`).
    Tripped {
        account: Option<&'a str>,
        reason: &'a str,
        at: Moment,
    },
    /// Trading resumed on `account`.
    Resumed { account: &'a str },
}

/// Told of every [`GuardEvent`], under the guard's lock.
pub struct Observer(Box<dyn Fn(GuardEvent<'_>) + Send>);

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observer")
    }
}

/// The guard's state: limits, history, the session, the breaker and the warnings list.
#[derive(Debug)]
pub struct Guard {
    observer: Option<Observer>,
    thresholds: Thresholds,
    default_limits: Limits,
    limits: HashMap<String, Limits>,
    history: History,
    sessions: HashMap<String, AccountSession>,
    breaker: Breaker,
    /// The prefix of the client order ids this terminal makes.
    prefix: String,
    log: VecDeque<Logged>,
    next_id: u64,
}

impl Guard {
    pub fn new(thresholds: Thresholds, history: History, client_id_prefix: &str) -> Guard {
        Guard {
            observer: None,
            thresholds,
            default_limits: Limits::default(),
            limits: HashMap::new(),
            history: history.prepared(),
            sessions: HashMap::new(),
            breaker: Breaker::default(),
            prefix: client_id_prefix.to_owned(),
            log: VecDeque::new(),
            next_id: 1,
        }
    }

    pub fn history(&self) -> &History {
        &self.history
    }

    pub fn limits(&self, account: &str) -> &Limits {
        self.limits.get(account).unwrap_or(&self.default_limits)
    }

    /// Sets an account's limits, tighter than the defaults or equal to them.
    pub fn set_limits(&mut self, account: &str, limits: Limits) -> Result<(), LimitsError> {
        self.limits.insert(account.to_owned(), limits.checked()?);
        Ok(())
    }

    pub fn set_breaker_scope(&mut self, scope: BreakerScope) {
        self.breaker.scope = scope;
    }

    pub fn breaker_scope(&self) -> BreakerScope {
        self.breaker.scope
    }

    /// The verdict for one order, with every warning behind it. Pure: nothing is recorded
    /// until [`Guard::commit`] (the warnings shown) and [`Guard::record_sent`] (the order gone).
    pub fn assess(&self, order: &OrderFacts) -> Assessment {
        let reduces = order.only_reduces();
        let session = self.sessions.get(order.account);
        if session
            .and_then(|s| s.key.as_ref())
            .is_some_and(|k| !k.can_trade)
        {
            return Assessment::refused(Refusal::ReadOnlyKey, Vec::new());
        }
        if !reduces && let Some(trip) = self.breaker.tripped(order.account) {
            return Assessment::refused(
                Refusal::BreakerTripped {
                    reason: trip.reason.clone(),
                },
                Vec::new(),
            );
        }
        let mut warnings = match pretrade::check(self.limits(order.account), session, order) {
            Ok(warnings) => warnings,
            Err(refusal) => return Assessment::refused(refusal, Vec::new()),
        };
        let t = &self.thresholds;
        let account = self.history.account(order.account);
        let mut push = |w: Option<Warning>| warnings.extend(w);
        if !reduces {
            // Closing a position is never an anomaly of size or novelty.
            push(detectors::unusual_size(
                t,
                self.history.instrument(order.account, order.symbol),
                order,
            ));
            push(detectors::new_instrument(account, order));
            push(detectors::new_venue(&self.history, order));
        }
        push(detectors::burst(t, account, session, order));
        push(detectors::unusual_hour(t, account, order));
        push(detectors::churn(t, session, order.account, order.at));
        push(detectors::rejections(t, session, order.account));
        push(detectors::clock_offset(t, session, order.account));
        if let Some(seen) = session.and_then(|s| s.foreign.as_ref()) {
            warnings.push(
                Warning::new(
                    WarningKind::ForeignActivity,
                    Severity::High,
                    format!("{seen}, not yet acknowledged"),
                    "Acknowledge it in the warnings panel once you know who it was",
                )
                .on(order.account, None),
            );
        }
        if let Some(s) = session
            && !s.key_risk_accepted
            && let Some(key) = &s.key
            && key.can_withdraw
        {
            // Until the user has given a code this session, every order on an account whose
            // key can withdraw asks for one.
            warnings.extend(
                detectors::key_permissions(order.account, key)
                    .into_iter()
                    .filter(|w| w.kind == WarningKind::KeyCanWithdraw),
            );
        }
        let assessment = Assessment::from_warnings(warnings);
        if reduces {
            // Closing is how a trader gets out of trouble: never halted, never behind a code;
            // the warnings are shown and confirmed.
            return assessment.at_most_confirmation();
        }
        assessment
    }

    /// The warnings of an assessment the user was shown go into the list; a critical one trips
    /// the breaker.
    pub fn commit(&mut self, assessment: &Assessment, at: Moment) {
        for w in &assessment.warnings {
            self.raise(w.clone(), at);
        }
    }

    /// An order handed to the venue: it becomes history and session.
    pub fn record_sent(&mut self, order: &OrderFacts) {
        self.history.record_order(
            order.account,
            order.venue,
            order.symbol,
            order.qty,
            order.at,
        );
        let keep_from = order.at.unix_ms
            - self
                .thresholds
                .burst_window_ms
                .max(self.thresholds.churn_window_ms);
        let duplicate_from = order.at.unix_ms - self.limits(order.account).duplicate_window_ms;
        let s = self.sessions.entry(order.account.to_owned()).or_default();
        prune(&mut s.order_times, keep_from);
        s.order_times.push_back(order.at.unix_ms);
        while s.recent.front().is_some_and(|r| r.at_ms < duplicate_from) {
            s.recent.pop_front();
        }
        s.recent.push_back(RecentOrder {
            symbol: order.symbol.to_owned(),
            side: order.side,
            order_type: order.order_type,
            qty: order.qty,
            price: order.price,
            at_ms: order.at.unix_ms,
        });
    }

    /// A cancel sent; a churn warning when it makes one.
    pub fn record_cancel(&mut self, account: &str, at: Moment) -> Option<Warning> {
        let keep_from = at.unix_ms - self.thresholds.churn_window_ms;
        let s = self.sessions.entry(account.to_owned()).or_default();
        prune(&mut s.cancel_times, keep_from);
        s.cancel_times.push_back(at.unix_ms);
        let w = detectors::churn(&self.thresholds, self.sessions.get(account), account, at)?;
        self.raise(w.clone(), at);
        Some(w)
    }

    /// A venue's answer to an order: accepted (`Ok`) ends any run of refusals.
    pub fn record_answer(
        &mut self,
        account: &str,
        answer: Result<(), RejectionKind>,
        at: Moment,
    ) -> Option<Warning> {
        let s = self.sessions.entry(account.to_owned()).or_default();
        match answer {
            Ok(()) => {
                s.auth_rejections = 0;
                s.timestamp_rejections = 0;
                s.rejections = 0;
                return None;
            }
            Err(kind) => {
                s.rejections += 1;
                match kind {
                    RejectionKind::Authentication => s.auth_rejections += 1,
                    RejectionKind::Timestamp => s.timestamp_rejections += 1,
                    RejectionKind::Other => {}
                }
            }
        }
        let w = detectors::rejections(&self.thresholds, self.sessions.get(account), account)?;
        self.raise(w.clone(), at);
        Some(w)
    }

    /// The connector's clock offset for the account (venue minus local, ms).
    pub fn observe_clock(&mut self, account: &str, offset_ms: i64, at: Moment) -> Option<Warning> {
        let s = self.sessions.entry(account.to_owned()).or_default();
        let before = s.clock_offset_ms.replace(offset_ms);
        let w = detectors::clock_offset(&self.thresholds, self.sessions.get(account), account)?;
        // Listed once per crossing, not at every reading.
        let was = before.is_some_and(|b| {
            let t = &self.thresholds;
            (b.abs() >= t.clock_high_ms) == (offset_ms.abs() >= t.clock_high_ms)
                && b.abs() >= t.clock_warn_ms
        });
        if !was {
            self.raise(w.clone(), at);
        }
        Some(w)
    }

    /// Something on the account's streams; a warning when this terminal did not make it.
    pub fn observe_activity(
        &mut self,
        account: &str,
        activity: AccountActivity,
        at: Moment,
    ) -> Option<Warning> {
        let w = detectors::foreign_activity(activity, &self.prefix, account)?;
        self.sessions.entry(account.to_owned()).or_default().foreign = Some(w.seen.clone());
        self.raise(w.clone(), at);
        Some(w)
    }

    /// What the account's API key may do, as the venue reported it at connect: the warnings
    /// it raises are listed (each connect lists them again, past the repeat window).
    pub fn observe_key(
        &mut self,
        account: &str,
        key: rampart_core::trading::KeyPermissions,
        at: Moment,
    ) -> Vec<Warning> {
        let warnings = detectors::key_permissions(account, &key);
        let s = self.sessions.entry(account.to_owned()).or_default();
        if !key.can_withdraw {
            s.key_risk_accepted = false;
        }
        s.key = Some(key);
        for w in &warnings {
            self.raise(w.clone(), at);
        }
        warnings
    }

    /// What the venue last reported of the account's API key.
    pub fn key(&self, account: &str) -> Option<&rampart_core::trading::KeyPermissions> {
        self.sessions.get(account)?.key.as_ref()
    }

    /// An order went with a fresh code: a key that can withdraw stays usable for the rest of
    /// the session without asking again.
    pub fn stepped_up(&mut self, account: &str) {
        if let Some(s) = self.sessions.get_mut(account)
            && s.key.as_ref().is_some_and(|k| k.can_withdraw)
        {
            s.key_risk_accepted = true;
        }
    }

    /// The kill switch: every account halts for new orders (cancel and close still go) until
    /// the user resumes with a code, and the panel lists it.
    pub fn kill_switch(&mut self, at: Moment) {
        let reason = "the kill switch was used".to_owned();
        self.halt(None, reason.clone(), at);
        self.raise(
            Warning::new(
                WarningKind::KillSwitch,
                Severity::Info,
                reason,
                "Open orders are being cancelled; resume trading with a code from your authenticator when you are ready",
            ),
            at,
        );
    }

    /// The account's API key is `age_days` old, past the `limit_days` the user set.
    pub fn key_too_old(
        &mut self,
        account: &str,
        label: &str,
        age_days: u64,
        limit_days: u32,
        at: Moment,
    ) {
        let mut w = Warning::new(
            WarningKind::KeyOld,
            Severity::Warning,
            format!(
                "The API key of \"{label}\" is {age_days} days old, past your {limit_days}-day limit"
            ),
            "Create a new key at the venue (trading only, restricted to your IP), add the account with it, then remove this one and delete the old key at the venue",
        );
        w.account = Some(account.to_owned());
        self.raise(w, at);
    }

    /// The audit journal failed verification at unlock (`why`: where the chain ends and why).
    pub fn audit_broken(&mut self, why: &str, at: Moment) {
        self.raise(
            Warning::new(
                WarningKind::AuditBroken,
                Severity::Warning,
                format!(
                    "The audit journal failed verification: {}",
                    why.trim_end_matches('.')
                ),
                "A new journal was started and the old one kept as it was found; find out who \
                 could write Rampart's data directory, and check the kept file",
            ),
            at,
        );
    }

    /// The authenticator was enrolled here.
    pub fn enrolled(&mut self, seat: Seat) {
        self.history.seat = Some(seat);
    }

    /// A successful unlock: its warnings, then it joins the history.
    pub fn observe_unlock(&mut self, unlock: &UnlockFacts) -> Vec<Warning> {
        let t = &self.thresholds;
        let warnings: Vec<Warning> = [
            detectors::unlock_failures(t, unlock),
            detectors::unlock_hour(t, &self.history, unlock),
            detectors::new_seat(self.history.seat.as_ref(), unlock),
        ]
        .into_iter()
        .flatten()
        .collect();
        self.history.record_unlock(unlock.at);
        for w in &warnings {
            self.raise(w.clone(), unlock.at);
        }
        warnings
    }

    /// Tells `observer` of every warning listed, every halt and every resume from now on.
    pub fn set_observer(&mut self, observer: impl Fn(GuardEvent<'_>) + Send + 'static) {
        self.observer = Some(Observer(Box::new(observer)));
    }

    fn tell(&self, event: GuardEvent<'_>) {
        if let Some(Observer(observer)) = &self.observer {
            observer(event);
        }
    }

    fn halt(&mut self, account: Option<&str>, reason: String, at: Moment) {
        self.tell(GuardEvent::Tripped {
            account,
            reason: &reason,
            at,
        });
        self.breaker.trip(account, reason, at);
    }

    /// The breaker's trip in force for `account`.
    pub fn tripped(&self, account: &str) -> Option<&Trip> {
        self.breaker.tripped(account)
    }

    /// Every trip in force: per account (`Some(id)`) or for all accounts (`None`).
    pub fn trips(&self) -> Vec<(Option<&str>, &Trip)> {
        self.breaker.trips()
    }

    /// Trading resumes on `account` (the engine has checked a fresh TOTP code). The runs of
    /// refusals start again from zero, so the same old run does not trip it again.
    pub fn resume(&mut self, account: &str) -> bool {
        if let Some(s) = self.sessions.get_mut(account) {
            s.auth_rejections = 0;
            s.timestamp_rejections = 0;
            s.rejections = 0;
        }
        let lifted = self.breaker.resume(account);
        if lifted {
            self.tell(GuardEvent::Resumed { account });
        }
        lifted
    }

    /// Trips the breaker by hand, or for a reason found outside the guard.
    pub fn trip(&mut self, account: Option<&str>, reason: String, at: Moment) {
        self.halt(account, reason, at);
    }

    /// The session's warnings, oldest first.
    pub fn warnings(&self) -> impl Iterator<Item = &Logged> {
        self.log.iter()
    }

    /// Warnings not yet acknowledged.
    pub fn unacknowledged(&self) -> usize {
        self.log.iter().filter(|l| !l.acknowledged).count()
    }

    /// Acknowledges one warning; acknowledging activity this terminal did not make lets the
    /// account's orders go without the step-up it asked for.
    pub fn acknowledge(&mut self, id: u64) -> bool {
        let Some(logged) = self.log.iter_mut().find(|l| l.id == id) else {
            return false;
        };
        logged.acknowledged = true;
        if logged.warning.kind == WarningKind::ForeignActivity
            && let Some(account) = &logged.warning.account
            && let Some(s) = self.sessions.get_mut(account)
        {
            s.foreign = None;
        }
        true
    }

    fn raise(&mut self, warning: Warning, at: Moment) {
        if warning.severity == Severity::Critical {
            self.halt(warning.account.as_deref(), warning.seen.clone(), at);
        }
        // The same warning again within a minute (an order confirmed after its warning was
        // shown, a retry, the next order of a burst) is listed once.
        let repeat = self.log.iter().rev().any(|l| {
            at.unix_ms - l.at.unix_ms < REPEAT_WITHIN_MS && same_event(&l.warning, &warning)
        });
        if repeat {
            return;
        }
        if self.log.len() == LOGGED_WARNINGS {
            self.log.pop_front();
        }
        self.tell(GuardEvent::Warning {
            warning: &warning,
            at,
        });
        self.log.push_back(Logged {
            id: self.next_id,
            at,
            warning,
            acknowledged: false,
        });
        self.next_id += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{T0, d, order};
    use rampart_core::{OrderType, Side, Venue};

    /// A guard with `n` orders of `qty` BTCUSDT sent on "acct", a minute apart, ending an hour
    /// before T0, all at the hours around noon.
    fn guard_with_history(n: i64, qty: &str) -> Guard {
        let mut g = Guard::new(Thresholds::default(), History::default(), "rp");
        for i in 0..n {
            let mut o = order(qty);
            o.at = T0.plus_ms(-3_600_000 - (n - i) * 60_000);
            g.record_sent(&o);
        }
        g
    }

    #[test]
    fn a_usual_order_is_approved_without_a_word() {
        let g = guard_with_history(50, "0.01");
        let a = g.assess(&order("0.01"));
        assert_eq!(
            a,
            Assessment {
                verdict: Verdict::Approved,
                warnings: vec![]
            }
        );
    }

    #[test]
    fn twenty_times_the_usual_size_asks_for_a_code() {
        let g = guard_with_history(50, "0.01");
        let a = g.assess(&order("0.2"));
        assert_eq!(a.verdict, Verdict::NeedsStepUp);
        assert_eq!(a.warnings[0].kind, WarningKind::UnusualSize);
        // Closing a position that size is no anomaly.
        let close = OrderFacts {
            side: Side::Sell,
            position_qty: d("0.2"),
            reduce_only: true,
            ..order("0.2")
        };
        assert_eq!(g.assess(&close).verdict, Verdict::Approved);
    }

    #[test]
    fn signature_refusals_trip_the_breaker_until_a_resume_and_closes_still_go() {
        let mut g = guard_with_history(50, "0.01");
        let at = T0;
        assert!(
            g.record_answer("acct", Err(RejectionKind::Authentication), at)
                .is_none()
        );
        assert!(
            g.record_answer("acct", Err(RejectionKind::Authentication), at)
                .is_none()
        );
        let w = g
            .record_answer("acct", Err(RejectionKind::Authentication), at)
            .unwrap();
        assert_eq!(w.severity, Severity::Critical);
        let refused = g.assess(&order("0.01"));
        let Verdict::Refused(Refusal::BreakerTripped { reason }) = &refused.verdict else {
            panic!("{refused:?}");
        };
        assert_eq!(
            reason,
            "3 requests in a row refused for the API key or its signature"
        );
        assert!(
            g.assess(&OrderFacts {
                account: "other",
                ..order("0.01")
            })
            .verdict
                == Verdict::Approved
        );
        let close = OrderFacts {
            side: Side::Sell,
            position_qty: d("0.01"),
            reduce_only: true,
            ..order("0.01")
        };
        assert_ne!(
            g.assess(&close).verdict,
            Verdict::Refused(Refusal::BreakerTripped {
                reason: reason.clone()
            }),
            "a close is never halted"
        );
        assert!(g.resume("acct"));
        assert_eq!(g.assess(&order("0.01")).verdict, Verdict::Approved);
        assert_eq!(g.unacknowledged(), 1);
    }

    #[test]
    fn a_critical_warning_in_an_assessment_trips_the_breaker_when_committed() {
        let mut g = guard_with_history(50, "0.01");
        let critical = Assessment::from_warnings(vec![
            Warning::new(
                WarningKind::Rejections,
                Severity::Critical,
                "seen".into(),
                "advice",
            )
            .on("acct", None),
        ]);
        assert!(matches!(
            critical.verdict,
            Verdict::Refused(Refusal::BreakerTripped { .. })
        ));
        g.commit(&critical, T0);
        assert!(g.tripped("acct").is_some());
    }

    #[test]
    fn an_order_this_terminal_did_not_place_asks_for_a_code_until_acknowledged() {
        let mut g = guard_with_history(50, "0.01");
        let ours = AccountActivity::Order {
            client_order_id: "rpX1",
        };
        assert!(g.observe_activity("acct", ours, T0).is_none());
        let theirs = AccountActivity::Order {
            client_order_id: "ios_77",
        };
        let w = g.observe_activity("acct", theirs, T0).unwrap();
        assert_eq!(
            w.seen,
            "an order this terminal did not place (client id ios_77)"
        );
        assert_eq!(g.assess(&order("0.01")).verdict, Verdict::NeedsStepUp);
        let id = g.warnings().last().unwrap().id;
        assert!(g.acknowledge(id));
        assert_eq!(g.assess(&order("0.01")).verdict, Verdict::Approved);
        assert_eq!(g.unacknowledged(), 0);
    }

    #[test]
    fn the_same_order_again_within_two_seconds_asks_to_confirm() {
        let mut g = guard_with_history(50, "0.01");
        let first = OrderFacts {
            order_type: OrderType::Limit,
            price: Some(d("59000")),
            ..order("0.01")
        };
        g.record_sent(&first);
        let again = OrderFacts {
            at: T0.plus_ms(1500),
            ..first.clone()
        };
        let a = g.assess(&again);
        assert_eq!(a.verdict, Verdict::NeedsConfirmation);
        assert_eq!(a.warnings[0].kind, WarningKind::DuplicateOrder);
    }

    #[test]
    fn a_clock_offset_is_listed_once_per_crossing_and_asks_with_each_order() {
        let mut g = guard_with_history(50, "0.01");
        assert!(g.observe_clock("acct", 200, T0).is_none());
        assert!(g.observe_clock("acct", 1500, T0).is_some());
        assert!(g.observe_clock("acct", 1600, T0).is_some());
        assert_eq!(g.warnings().count(), 1, "the same crossing is listed once");
        assert!(g.observe_clock("acct", 6000, T0).is_some());
        assert_eq!(g.warnings().count(), 2, "crossing into step-up is listed");
        assert_eq!(g.assess(&order("0.01")).verdict, Verdict::NeedsStepUp);
        g.observe_clock("acct", 10, T0);
        assert_eq!(g.assess(&order("0.01")).verdict, Verdict::Approved);
    }

    #[test]
    fn limits_are_per_account_and_only_tighter() {
        let mut g = guard_with_history(50, "0.01");
        let tight = Limits {
            max_order_notional: d("500"),
            ..Limits::default()
        };
        g.set_limits("acct", tight).unwrap();
        assert!(matches!(
            g.assess(&order("0.01")).verdict,
            Verdict::Refused(Refusal::OrderNotional { .. })
        ));
        assert!(
            g.set_limits(
                "acct",
                Limits {
                    max_leverage: 125,
                    ..Limits::default()
                }
            )
            .is_err()
        );
        let elsewhere = OrderFacts {
            account: "b",
            venue: Venue::Demo,
            ..order("0.01")
        };
        assert_eq!(g.assess(&elsewhere).verdict, Verdict::Approved);
    }

    #[test]
    fn unlock_on_another_seat_and_after_wrong_codes_is_reported() {
        let mut g = Guard::new(Thresholds::default(), History::default(), "rp");
        let home = Seat {
            machine: "m1".into(),
            os_user: "alice".into(),
        };
        g.enrolled(home.clone());
        let fine = UnlockFacts {
            failures_before: 0,
            seat: home,
            at: T0,
        };
        assert!(g.observe_unlock(&fine).is_empty());
        let odd = UnlockFacts {
            failures_before: 4,
            seat: Seat {
                machine: "m2".into(),
                os_user: "alice".into(),
            },
            at: T0,
        };
        let kinds: Vec<WarningKind> = g.observe_unlock(&odd).iter().map(|w| w.kind).collect();
        assert_eq!(kinds, [WarningKind::UnlockFailures, WarningKind::NewSeat]);
        assert_eq!(g.history().unlocks, 2);
    }

    #[test]
    fn the_same_warning_within_a_minute_is_listed_once() {
        let mut g = Guard::new(Thresholds::default(), History::default(), "rp");
        let theirs = AccountActivity::Order {
            client_order_id: "web1",
        };
        g.observe_activity("acct", theirs, T0);
        g.observe_activity("acct", theirs, T0.plus_ms(59_000));
        assert_eq!(g.warnings().count(), 1);
        g.observe_activity("acct", theirs, T0.plus_ms(61_000));
        assert_eq!(g.warnings().count(), 2);
    }

    #[test]
    fn the_warnings_list_keeps_the_latest_thousand() {
        let mut g = Guard::new(Thresholds::default(), History::default(), "rp");
        for i in 0..1_005 {
            let id = format!("x{i}");
            g.observe_activity(
                "acct",
                AccountActivity::Order {
                    client_order_id: &id,
                },
                T0,
            );
        }
        assert_eq!(g.warnings().count(), 1_000);
        assert_eq!(g.warnings().next().unwrap().id, 6);
    }

    fn key(can_trade: bool, can_withdraw: bool) -> rampart_core::trading::KeyPermissions {
        rampart_core::trading::KeyPermissions {
            can_read: true,
            can_trade,
            can_withdraw,
            can_transfer: false,
            ip_restricted: true,
            created_ms: None,
        }
    }

    #[test]
    fn a_key_that_can_withdraw_asks_for_a_code_once_a_session() {
        let mut g = guard_with_history(50, "0.01");
        let listed = g.observe_key("acct", key(true, true), T0);
        assert_eq!(listed[0].kind, WarningKind::KeyCanWithdraw);
        assert_eq!(g.unacknowledged(), 1);
        let a = g.assess(&order("0.01"));
        assert_eq!(a.verdict, Verdict::NeedsStepUp);
        assert_eq!(a.warnings[0].kind, WarningKind::KeyCanWithdraw);
        // Another account is not concerned.
        let other = OrderFacts {
            account: "other",
            ..order("0.01")
        };
        assert_eq!(g.assess(&other).verdict, Verdict::Approved);
        g.stepped_up("acct");
        assert_eq!(g.assess(&order("0.01")).verdict, Verdict::Approved);
        // A new key without the right, then one with it again: asked again.
        g.observe_key("acct", key(true, false), T0);
        g.observe_key("acct", key(true, true), T0);
        assert_eq!(g.assess(&order("0.01")).verdict, Verdict::NeedsStepUp);
    }

    #[test]
    fn a_read_only_key_refuses_every_order_even_a_close() {
        let mut g = guard_with_history(50, "0.01");
        g.observe_key("acct", key(false, false), T0);
        assert_eq!(
            g.assess(&order("0.01")).verdict,
            Verdict::Refused(Refusal::ReadOnlyKey)
        );
        let close = OrderFacts {
            side: Side::Sell,
            position_qty: d("0.01"),
            reduce_only: true,
            ..order("0.01")
        };
        assert_eq!(
            g.assess(&close).verdict,
            Verdict::Refused(Refusal::ReadOnlyKey)
        );
        assert!(g.key("acct").is_some_and(|k| !k.can_trade));
    }

    #[test]
    fn the_kill_switch_halts_every_account_but_closes_go_and_a_code_resumes() {
        let mut g = guard_with_history(50, "0.01");
        g.kill_switch(T0);
        for account in ["acct", "other"] {
            let o = OrderFacts {
                account,
                ..order("0.01")
            };
            assert!(matches!(
                g.assess(&o).verdict,
                Verdict::Refused(Refusal::BreakerTripped { .. })
            ));
        }
        let close = OrderFacts {
            side: Side::Sell,
            position_qty: d("0.01"),
            reduce_only: true,
            ..order("0.01")
        };
        assert!(!matches!(g.assess(&close).verdict, Verdict::Refused(_)));
        assert_eq!(
            g.warnings().last().unwrap().warning.kind,
            WarningKind::KillSwitch
        );
        assert!(g.resume("other"));
        assert_eq!(g.assess(&order("0.01")).verdict, Verdict::Approved);
    }
}
