//! The guard on the order path: the facts of an order as the engine knows them, the user's
//! consent so far, and what a place call answers when the guard wants more of the user.

use rampart_core::trading::{InstrumentRules, MarginMode, ProductCategory};
use rampart_guard::{ContractValue, Moment, Warning};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::PlacedOrder;
use crate::clock::local_ms;

/// What the engine reads of an account's live state for the guard (the desk's live tables).
pub trait AccountFacts: Send + Sync {
    /// The signed position on `symbol` (short < 0); zero when flat or not known.
    fn position(&self, account_id: &str, symbol: &str) -> Decimal;
    /// The leverage on `symbol`, when a position reports it.
    fn leverage(&self, account_id: &str, symbol: &str) -> Option<u32>;
    /// The account's open orders, every symbol.
    fn open_orders(&self, account_id: &str) -> u32;
    /// The margin mode of the open position on `symbol`, when there is one and it says.
    fn margin_mode(&self, account_id: &str, symbol: &str) -> Option<MarginMode> {
        let _ = (account_id, symbol);
        None
    }
}

/// No live state: flat, no open orders (an engine without a desk, in tests and benches).
#[derive(Debug, Default)]
pub struct NoAccountFacts;

impl AccountFacts for NoAccountFacts {
    fn position(&self, _: &str, _: &str) -> Decimal {
        Decimal::ZERO
    }
    fn leverage(&self, _: &str, _: &str) -> Option<u32> {
        None
    }
    fn open_orders(&self, _: &str) -> u32 {
        0
    }
}

/// What the user has given for this order so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Consent {
    /// They read the guard's warnings and confirmed.
    pub confirmed: bool,
    /// They entered a fresh TOTP code (checked by the desk before the call).
    pub stepped_up: bool,
}

/// The answer to a place call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(tag = "kind", rename_all = "snake_case")]
pub enum PlaceOutcome {
    /// The order went (or is being checked with the exchange).
    Placed { order: PlacedOrder },
    /// Not sent: the guard's warnings need the user's confirmation first.
    NeedsConfirmation { warnings: Vec<Warning> },
    /// Not sent: the guard's warnings need a fresh TOTP code first.
    NeedsStepUp { warnings: Vec<Warning> },
}

/// How the instrument's size turns into value.
pub(crate) fn contract_value(rules: &InstrumentRules) -> ContractValue {
    let size = rules.contract_size.unwrap_or(Decimal::ONE);
    match rules.category {
        ProductCategory::Inverse => ContractValue::Inverse { face: size },
        ProductCategory::Option => ContractValue::OptionPremium { multiplier: size },
        ProductCategory::Linear => ContractValue::Linear { multiplier: size },
    }
}

/// Now, with the user's local offset from UTC (the system's time zone; UTC when it cannot be
/// read). The offset is looked up once a minute (it changes only at a zone's transitions, which
/// fall on whole minutes): the lookup reads the zone's rules, far more than an order's guard
/// verdict costs.
pub(crate) fn now() -> Moment {
    use std::sync::atomic::{AtomicI64, Ordering};
    /// The minute (Unix minutes) the cached offset is for; `i64::MIN` before the first lookup.
    static MINUTE: AtomicI64 = AtomicI64::new(i64::MIN);
    static OFFSET_S: AtomicI64 = AtomicI64::new(0);
    let unix_ms = local_ms();
    let minute = unix_ms.div_euclid(60_000);
    let utc_offset_s = if MINUTE.load(Ordering::Acquire) == minute {
        OFFSET_S.load(Ordering::Relaxed)
    } else {
        let offset = jiff::tz::TimeZone::try_system()
            .map(|tz| i64::from(tz.to_offset(jiff::Timestamp::now()).seconds()))
            .unwrap_or(0);
        // Two threads may both look it up at a minute's turn; they store the same answer.
        OFFSET_S.store(offset, Ordering::Relaxed);
        MINUTE.store(minute, Ordering::Release);
        offset
    };
    Moment {
        unix_ms,
        utc_offset_s: i32::try_from(utc_offset_s).unwrap_or(0),
    }
}

/// A position's leverage as a whole number of times (venues report whole leverage for futures;
/// a fraction is rounded down).
pub(crate) fn whole_leverage(leverage: Decimal) -> Option<u32> {
    use rust_decimal::prelude::ToPrimitive;
    leverage.trunc().to_u32()
}
