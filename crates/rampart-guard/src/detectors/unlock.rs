//! Unlock anomalies: wrong codes before the right one, an hour the user never unlocks at, a
//! different machine or OS user than at enrolment.

use crate::facts::{Seat, UnlockFacts};
use crate::history::History;
use crate::thresholds::Thresholds;
use crate::warning::{Severity, Warning, WarningKind};

pub fn unlock_failures(t: &Thresholds, unlock: &UnlockFacts) -> Option<Warning> {
    if unlock.failures_before < t.unlock_failures_warn {
        return None;
    }
    let seen = format!("{} wrong codes before this unlock", unlock.failures_before);
    Some(Warning::new(
        WarningKind::UnlockFailures,
        Severity::Warning,
        seen,
        "If those were not your attempts, someone has tried to get in: check who has this computer",
    ))
}

pub fn unlock_hour(t: &Thresholds, history: &History, unlock: &UnlockFacts) -> Option<Warning> {
    let hour = unlock.at.local_hour();
    if history.unlocks < t.unlock_hour_min_history || history.unlock_hours[hour] > 0 {
        return None;
    }
    let seen = format!(
        "an unlock at {hour:02}:00–{:02}:00 local time; none of your {} earlier unlocks was in that hour",
        (hour + 1) % 24,
        history.unlocks
    );
    Some(Warning::new(
        WarningKind::UnlockHour,
        Severity::Info,
        seen,
        "If this was not you, lock the app and reset the authenticator",
    ))
}

/// A different machine or OS user than at enrolment: the data and the keychain travelled.
pub fn new_seat(enrolled: Option<&Seat>, unlock: &UnlockFacts) -> Option<Warning> {
    let enrolled = enrolled?;
    let mut changed = Vec::new();
    if enrolled.machine != unlock.seat.machine {
        changed.push("on another machine than at enrolment".to_owned());
    }
    if enrolled.os_user != unlock.seat.os_user {
        changed.push(format!(
            "as the OS user {} (enrolled as {})",
            unlock.seat.os_user, enrolled.os_user
        ));
    }
    if changed.is_empty() {
        return None;
    }
    let seen = format!("this unlock is {}", changed.join(" and "));
    Some(Warning::new(
        WarningKind::NewSeat,
        Severity::High,
        seen,
        "If you did not move Rampart, its data and keychain were copied: revoke the exchange keys",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Moment;
    use crate::testing::T0;

    fn seat(machine: &str, user: &str) -> Seat {
        Seat {
            machine: machine.into(),
            os_user: user.into(),
        }
    }

    fn unlock(failures: u32, at: Moment, seat: Seat) -> UnlockFacts {
        UnlockFacts {
            failures_before: failures,
            seat,
            at,
        }
    }

    #[test]
    fn three_wrong_codes_before_the_right_one_warn() {
        let t = Thresholds::default();
        assert!(unlock_failures(&t, &unlock(2, T0, seat("m", "u"))).is_none());
        let w = unlock_failures(&t, &unlock(3, T0, seat("m", "u"))).unwrap();
        assert_eq!(
            (w.severity, w.seen.as_str()),
            (Severity::Warning, "3 wrong codes before this unlock")
        );
    }

    #[test]
    fn an_unlock_hour_never_seen_is_noted_after_thirty_unlocks() {
        let t = Thresholds::default();
        let mut h = History::default();
        let morning = T0.plus_ms(-4 * 3_600_000);
        for day in 0..29 {
            h.record_unlock(morning.plus_ms(-day * 86_400_000));
        }
        let noon = unlock(0, T0, seat("m", "u"));
        assert!(unlock_hour(&t, &h, &noon).is_none(), "29 unlocks");
        h.record_unlock(morning);
        assert_eq!(unlock_hour(&t, &h, &noon).unwrap().severity, Severity::Info);
        assert!(unlock_hour(&t, &h, &unlock(0, morning, seat("m", "u"))).is_none());
    }

    #[test]
    fn another_machine_or_user_than_at_enrolment_asks_for_a_code() {
        let enrolled = seat("m1", "alice");
        assert!(new_seat(None, &unlock(0, T0, seat("m2", "bob"))).is_none());
        assert!(new_seat(Some(&enrolled), &unlock(0, T0, seat("m1", "alice"))).is_none());
        let w = new_seat(Some(&enrolled), &unlock(0, T0, seat("m2", "alice"))).unwrap();
        assert_eq!(
            w.seen,
            "this unlock is on another machine than at enrolment"
        );
        let w = new_seat(Some(&enrolled), &unlock(0, T0, seat("m2", "bob"))).unwrap();
        assert_eq!(w.severity, Severity::High);
        assert_eq!(
            w.seen,
            "this unlock is on another machine than at enrolment and as the OS user bob (enrolled as alice)"
        );
    }
}
