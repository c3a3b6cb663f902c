//! What the venue's answers and streams say about the key and the clock: refusals in a row,
//! the clock offset, activity this terminal did not make.

use crate::facts::AccountActivity;
use crate::session::AccountSession;
use crate::thresholds::Thresholds;
use crate::warning::{Severity, Warning, WarningKind};

/// Refusals in a row on the account. Authentication refusals suggest a revoked or leaked key
/// (critical: the breaker); timestamp refusals a clock problem (a step-up); any run of refusals
/// is worth a look.
pub fn rejections(
    t: &Thresholds,
    session: Option<&AccountSession>,
    account: &str,
) -> Option<Warning> {
    let s = session?;
    let (severity, seen, advice) = if s.auth_rejections >= t.auth_rejections_critical {
        (
            Severity::Critical,
            format!(
                "{} requests in a row refused for the API key or its signature",
                s.auth_rejections
            ),
            "The key may have been revoked or changed by someone else: check it on the venue, and revoke it if you did not change it",
        )
    } else if s.timestamp_rejections >= t.timestamp_rejections_high {
        (
            Severity::High,
            format!(
                "{} requests in a row refused for their timestamp",
                s.timestamp_rejections
            ),
            "Your clock is out of step with the venue's: turn on automatic time sync",
        )
    } else if s.rejections >= t.rejections_warn {
        (
            Severity::Warning,
            format!("{} orders in a row refused by the venue", s.rejections),
            "Read the refusals before sending more",
        )
    } else {
        return None;
    };
    Some(Warning::new(WarningKind::Rejections, severity, seen, advice).on(account, None))
}

/// The local clock against the venue's.
pub fn clock_offset(
    t: &Thresholds,
    session: Option<&AccountSession>,
    account: &str,
) -> Option<Warning> {
    let offset = session?.clock_offset_ms?;
    let severity = if offset.abs() >= t.clock_high_ms {
        Severity::High
    } else if offset.abs() >= t.clock_warn_ms {
        Severity::Warning
    } else {
        return None;
    };
    let way = if offset > 0 { "behind" } else { "ahead of" };
    let seen = format!(
        "this computer's clock is {} ms {way} the venue's",
        offset.unsigned_abs()
    );
    Some(
        Warning::new(
            WarningKind::ClockOffset,
            severity,
            seen,
            "Turn on automatic time sync; orders signed with a wrong time are refused",
        )
        .on(account, None),
    )
}

/// Whether a client order id is one this terminal makes.
pub fn is_ours(client_order_id: &str, prefix: &str) -> bool {
    !prefix.is_empty() && client_order_id.starts_with(prefix)
}

/// Activity on the account that this terminal did not make: someone else is using the key.
pub fn foreign_activity(activity: AccountActivity, prefix: &str, account: &str) -> Option<Warning> {
    let seen = match activity {
        AccountActivity::Order { client_order_id } if !is_ours(client_order_id, prefix) => {
            format!("an order this terminal did not place (client id {client_order_id})")
        }
        AccountActivity::Fill { client_order_id } if !is_ours(client_order_id, prefix) => {
            format!("a fill of an order this terminal did not place (client id {client_order_id})")
        }
        AccountActivity::PositionChange => {
            "a position change that no order of this terminal made".to_owned()
        }
        _ => return None,
    };
    Some(
        Warning::new(
            WarningKind::ForeignActivity,
            Severity::High,
            seen,
            "Someone else may be using this API key: if it is not you, use the kill switch and revoke the key",
        )
        .on(account, None),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_runs_rank_authentication_over_timestamps_over_the_rest() {
        let t = Thresholds::default();
        let mut s = AccountSession::default();
        assert!(rejections(&t, Some(&s), "a").is_none());
        s.auth_rejections = 2;
        s.rejections = 2;
        assert!(rejections(&t, Some(&s), "a").is_none());
        s.auth_rejections = 3;
        s.rejections = 3;
        assert_eq!(
            rejections(&t, Some(&s), "a").unwrap().severity,
            Severity::Critical
        );
        let mut s = AccountSession {
            timestamp_rejections: 3,
            rejections: 3,
            ..AccountSession::default()
        };
        assert_eq!(
            rejections(&t, Some(&s), "a").unwrap().severity,
            Severity::High
        );
        s.timestamp_rejections = 0;
        s.rejections = 5;
        assert_eq!(
            rejections(&t, Some(&s), "a").unwrap().severity,
            Severity::Warning
        );
    }

    #[test]
    fn the_clock_warns_at_a_second_and_steps_up_at_five() {
        let t = Thresholds::default();
        let at = |ms| AccountSession {
            clock_offset_ms: Some(ms),
            ..AccountSession::default()
        };
        assert!(clock_offset(&t, Some(&at(999)), "a").is_none());
        assert!(clock_offset(&t, None, "a").is_none());
        let w = clock_offset(&t, Some(&at(-1200)), "a").unwrap();
        assert_eq!(w.severity, Severity::Warning);
        assert_eq!(
            w.seen,
            "this computer's clock is 1200 ms ahead of the venue's"
        );
        assert_eq!(
            clock_offset(&t, Some(&at(5000)), "a").unwrap().severity,
            Severity::High
        );
    }

    #[test]
    fn our_client_ids_are_silent_and_others_are_foreign() {
        let ours = AccountActivity::Order {
            client_order_id: "rpA1b2c3",
        };
        assert!(foreign_activity(ours, "rp", "a").is_none());
        let theirs = AccountActivity::Order {
            client_order_id: "web_8812",
        };
        let w = foreign_activity(theirs, "rp", "a").unwrap();
        assert_eq!(w.severity, Severity::High);
        assert!(w.seen.starts_with("an order this terminal did not place"));
        let fill = AccountActivity::Fill {
            client_order_id: "x",
        };
        assert!(foreign_activity(fill, "rp", "a").is_some());
        assert!(foreign_activity(AccountActivity::PositionChange, "rp", "a").is_some());
        assert!(
            !is_ours("anything", ""),
            "an empty prefix recognises nothing"
        );
    }
}
