//! The circuit breaker: a critical warning halts trading on its account, or on every account
//! when the user chose so, until the user resumes with a TOTP code (the engine checks the code;
//! the breaker only records the resumption). Cancels and closes are never halted.

use std::collections::BTreeMap;

use crate::facts::Moment;

/// How far a trip reaches.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum BreakerScope {
    /// Only the account the critical warning concerns.
    #[default]
    Account,
    /// Every account.
    AllAccounts,
}

/// Why and when the breaker tripped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trip {
    pub reason: String,
    pub at: Moment,
}

#[derive(Debug, Clone, Default)]
pub struct Breaker {
    pub scope: BreakerScope,
    accounts: BTreeMap<String, Trip>,
    all: Option<Trip>,
}

impl Breaker {
    /// Trips for `account` (or for all accounts, by scope). A trip that is already in force
    /// keeps its first reason.
    pub fn trip(&mut self, account: Option<&str>, reason: String, at: Moment) {
        let trip = Trip { reason, at };
        match (self.scope, account) {
            (BreakerScope::Account, Some(account)) => {
                self.accounts.entry(account.to_owned()).or_insert(trip);
            }
            _ => {
                self.all.get_or_insert(trip);
            }
        }
    }

    /// The trip in force for `account`, if any.
    pub fn tripped(&self, account: &str) -> Option<&Trip> {
        self.all.as_ref().or_else(|| self.accounts.get(account))
    }

    /// Every trip in force: per account, or for all accounts (`None`).
    pub fn trips(&self) -> Vec<(Option<&str>, &Trip)> {
        let mut trips: Vec<(Option<&str>, &Trip)> = self.all.iter().map(|t| (None, t)).collect();
        trips.extend(self.accounts.iter().map(|(a, t)| (Some(a.as_str()), t)));
        trips
    }

    /// Whether any trip is in force.
    pub fn any(&self) -> bool {
        self.all.is_some() || !self.accounts.is_empty()
    }

    /// Resumes `account`; an all-accounts trip is lifted by resuming any account (one code
    /// lifts it, as one critical warning set it).
    pub fn resume(&mut self, account: &str) -> bool {
        let lifted_all = self.all.take().is_some();
        self.accounts.remove(account).is_some() || lifted_all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::T0;

    #[test]
    fn a_trip_halts_its_account_until_resumed() {
        let mut b = Breaker::default();
        b.trip(Some("a"), "three signature refusals".into(), T0);
        assert_eq!(b.tripped("a").unwrap().reason, "three signature refusals");
        assert!(b.tripped("b").is_none());
        b.trip(Some("a"), "later".into(), T0.plus_ms(1));
        assert_eq!(
            b.tripped("a").unwrap().reason,
            "three signature refusals",
            "the first reason stays"
        );
        assert!(!b.resume("b"));
        assert!(b.resume("a"));
        assert!(!b.any());
    }

    #[test]
    fn the_all_accounts_scope_halts_every_account() {
        let mut b = Breaker {
            scope: BreakerScope::AllAccounts,
            ..Breaker::default()
        };
        b.trip(Some("a"), "x".into(), T0);
        assert!(b.tripped("b").is_some());
        assert!(b.resume("b"));
        assert!(b.tripped("a").is_none());
    }
}
