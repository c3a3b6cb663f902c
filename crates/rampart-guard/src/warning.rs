//! What the guard saw: a warning with its severity, the figures behind it and what to do.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How serious a warning is, and so what it asks of the user (the guard's response ladder).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum Severity {
    /// Listed in the warnings panel; the order goes.
    Info,
    /// A banner and an OS notification; the order needs an explicit confirmation.
    Warning,
    /// The order needs a fresh TOTP code.
    High,
    /// The circuit breaker trips: trading halts until the user resumes with a TOTP code.
    Critical,
}

/// Which rule raised a warning. Stable names: they cross IPC and are kept in the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum WarningKind {
    /// A limit price through the mark by more than the band.
    PriceBand,
    /// The order's value over the account's cap.
    OrderNotional,
    /// The resulting position's value over the account's cap.
    PositionNotional,
    /// The instrument's leverage over the account's cap.
    Leverage,
    /// Too many open orders on the account.
    OpenOrders,
    /// The same order as one sent moments ago.
    DuplicateOrder,
    /// A reduce-only order that cannot reduce the position.
    ReduceOnly,
    /// An order far larger than the user's usual on the instrument.
    UnusualSize,
    /// Orders far faster than the user's usual rate.
    Burst,
    /// Trading at an hour the user never trades.
    UnusualHour,
    /// The first order on an instrument.
    NewInstrument,
    /// The first order on a venue.
    NewVenue,
    /// Many cancels in a short time, nearly every order cancelled.
    Churn,
    /// Refusals in a row from the venue.
    Rejections,
    /// The local clock is far from the venue's.
    ClockOffset,
    /// Orders, fills or position changes this terminal did not make.
    ForeignActivity,
    /// Wrong codes before the right one at unlock.
    UnlockFailures,
    /// An unlock at an hour the user never unlocks.
    UnlockHour,
    /// An unlock on another machine or as another OS user than at enrolment.
    NewSeat,
    /// The account's API key may withdraw funds.
    KeyCanWithdraw,
    /// The account's API key works from any IP address.
    KeyNotIpRestricted,
    /// The account's API key may not trade.
    KeyReadOnly,
    /// The kill switch was used.
    KillSwitch,
    /// The audit journal failed verification at unlock.
    AuditBroken,
    /// The account's API key is older than the age limit set in Security.
    KeyOld,
}

/// One warning: what was seen, with the figures, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Warning {
    pub kind: WarningKind,
    pub severity: Severity,
    /// The account it concerns, when it concerns one.
    pub account: Option<String>,
    /// The instrument it concerns, when it concerns one.
    pub symbol: Option<String>,
    /// What was seen, with the figures ("0.2 is 20× your usual 0.01 on BTCUSDT …").
    pub seen: String,
    /// What to do ("Check the size; confirm with a code from your authenticator to send it").
    pub advice: String,
}

impl Warning {
    pub(crate) fn new(
        kind: WarningKind,
        severity: Severity,
        seen: String,
        advice: impl Into<String>,
    ) -> Warning {
        Warning {
            kind,
            severity,
            account: None,
            symbol: None,
            seen,
            advice: advice.into(),
        }
    }

    pub(crate) fn on(mut self, account: &str, symbol: Option<&str>) -> Warning {
        self.account = Some(account.to_owned());
        self.symbol = symbol.map(str::to_owned);
        self
    }
}
