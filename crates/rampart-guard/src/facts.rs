//! What the engine tells the guard: an order about to be signed, an answer from a venue, a
//! clock reading, an unlock. Plain values; the guard reads no clock and no file itself.

use rampart_core::{OrderType, Side, Venue};
use rust_decimal::Decimal;

const MS_PER_HOUR: i64 = 3_600_000;
const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;

/// A moment: Unix time in ms, with the user's local offset from UTC (for "the hour the user
/// trades", which is an hour of the user's day, not of UTC's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    pub unix_ms: i64,
    pub utc_offset_s: i32,
}

impl Moment {
    pub const fn utc(unix_ms: i64) -> Moment {
        Moment {
            unix_ms,
            utc_offset_s: 0,
        }
    }

    /// The hour of the user's local day, 0–23.
    pub fn local_hour(self) -> usize {
        let local = self.unix_ms + i64::from(self.utc_offset_s) * 1000;
        // rem_euclid keeps it in 0..MS_PER_DAY for any sign, so the hour is 0..24.
        usize::try_from(local.rem_euclid(MS_PER_DAY) / MS_PER_HOUR).unwrap_or(0)
    }

    /// The same moment `ms` later (earlier when negative).
    pub const fn plus_ms(self, ms: i64) -> Moment {
        Moment {
            unix_ms: self.unix_ms.saturating_add(ms),
            utc_offset_s: self.utc_offset_s,
        }
    }
}

/// How an instrument's size turns into value in its quote (settlement) currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractValue {
    /// Linear: one unit of size is `multiplier` of the base asset, worth `multiplier × price`.
    Linear { multiplier: Decimal },
    /// Inverse: one contract is worth `face` of the quote currency (e.g. 100 USD), whatever the
    /// price.
    Inverse { face: Decimal },
    /// An option: one contract on `multiplier` of the underlying costs `multiplier × premium`.
    /// Its price is a premium, whose spread around the mark is wide in percent of it.
    OptionPremium { multiplier: Decimal },
}

impl ContractValue {
    pub const LINEAR: ContractValue = ContractValue::Linear {
        multiplier: Decimal::ONE,
    };

    /// The value of `qty` at `price`; `None` on overflow.
    pub fn notional(self, qty: Decimal, price: Decimal) -> Option<Decimal> {
        match self {
            ContractValue::Linear { multiplier } | ContractValue::OptionPremium { multiplier } => {
                qty.abs().checked_mul(multiplier)?.checked_mul(price)
            }
            ContractValue::Inverse { face } => qty.abs().checked_mul(face),
        }
    }
}

/// One order, as the engine has validated it against the instrument's rules, just before the
/// guard's verdict and the signature.
#[derive(Debug, Clone)]
pub struct OrderFacts<'a> {
    pub account: &'a str,
    pub venue: Venue,
    pub symbol: &'a str,
    pub side: Side,
    pub order_type: OrderType,
    /// In the instrument's size unit (contracts or base asset), strictly positive.
    pub qty: Decimal,
    /// The limit price, for the limit types.
    pub price: Option<Decimal>,
    /// The trigger price, for the stop and take-profit types.
    pub trigger_price: Option<Decimal>,
    /// The latest mark price the engine has for the instrument.
    pub mark: Option<Decimal>,
    pub value: ContractValue,
    pub reduce_only: bool,
    /// The account's leverage on the instrument, when known.
    pub leverage: Option<u32>,
    /// The account's position on the instrument before this order, signed (short < 0).
    pub position_qty: Decimal,
    /// The account's open orders now, on every instrument.
    pub open_orders: u32,
    pub at: Moment,
}

impl OrderFacts<'_> {
    /// The size with the side's sign (buy > 0).
    pub fn signed_qty(&self) -> Decimal {
        match self.side {
            Side::Buy => self.qty,
            Side::Sell => -self.qty,
        }
    }

    /// The price the order's value is reckoned at: its limit price, else its trigger, else the
    /// mark.
    pub fn value_price(&self) -> Option<Decimal> {
        self.price.or(self.trigger_price).or(self.mark)
    }

    /// Whether the order can only make the position smaller: reduce-only, or against a
    /// position at least its size.
    pub fn only_reduces(&self) -> bool {
        let against = !self.position_qty.is_zero()
            && self.position_qty.is_sign_positive() != self.signed_qty().is_sign_positive();
        self.reduce_only
            || (against
                && self
                    .position_qty
                    .checked_add(self.signed_qty())
                    .is_some_and(|after| after.abs() <= self.position_qty.abs()))
    }
}

/// Why a venue refused a request, in the groups the detectors tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectionKind {
    /// The key or the signature was refused (invalid key, bad signature, IP not allowed): the
    /// key may have been revoked, or someone changed it.
    Authentication,
    /// The request's timestamp was outside the venue's window: the clock is off.
    Timestamp,
    /// Anything else (insufficient margin, a price filter, …).
    Other,
}

/// Something that happened on an account, from its streams or a resync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountActivity<'a> {
    /// An order, with its client order id as the venue reports it.
    Order { client_order_id: &'a str },
    /// A fill of an order, with that order's client id.
    Fill { client_order_id: &'a str },
    /// A position changed without a fill of an order this terminal placed.
    PositionChange,
}

/// Where the app was unlocked, as the engine reads it at enrolment and at each unlock.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Seat {
    /// The machine's stable id (e.g. /etc/machine-id), or a hash of it.
    pub machine: String,
    /// The OS user name.
    pub os_user: String,
}

/// One successful unlock.
#[derive(Debug, Clone)]
pub struct UnlockFacts {
    /// Wrong codes entered since the last successful unlock.
    pub failures_before: u32,
    pub seat: Seat,
    pub at: Moment,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_hour_follows_the_users_offset_across_midnight() {
        // 2026-11-27 23:30 UTC.
        let at = Moment::utc(1_795_822_200_000);
        assert_eq!(at.local_hour(), 23);
        let east = Moment {
            utc_offset_s: 3600,
            ..at
        };
        assert_eq!(east.local_hour(), 0);
        let west = Moment {
            utc_offset_s: -5 * 3600,
            ..at
        };
        assert_eq!(west.local_hour(), 18);
        assert_eq!(
            Moment::utc(-1).local_hour(),
            23,
            "before 1970 still lands in 0..24"
        );
    }

    #[test]
    fn notional_is_checked() {
        let q = Decimal::new(2, 0);
        assert_eq!(
            ContractValue::LINEAR.notional(q, Decimal::new(50_000, 0)),
            Some(Decimal::new(100_000, 0))
        );
        let inverse = ContractValue::Inverse {
            face: Decimal::new(100, 0),
        };
        assert_eq!(
            inverse.notional(-q, Decimal::MAX),
            Some(Decimal::new(200, 0))
        );
        assert_eq!(
            ContractValue::LINEAR.notional(Decimal::MAX, Decimal::TWO),
            None
        );
    }
}
