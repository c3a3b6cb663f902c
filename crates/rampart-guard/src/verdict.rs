//! The guard's answer for one order.

use rust_decimal::Decimal;

use crate::warning::{Severity, Warning};

/// What happens to the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It goes (info warnings, if any, are listed).
    Approved,
    /// It goes after the user confirms it, having read the warnings.
    NeedsConfirmation,
    /// It goes after a fresh TOTP code.
    NeedsStepUp,
    /// It does not go.
    Refused(Refusal),
}

/// Why an order was refused, with the figures. Each is a sentence a trader can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The circuit breaker is tripped for the account (or for every account).
    #[error(
        "trading is halted on this account by the circuit breaker ({reason}); cancel and close still work, resume with a code from your authenticator"
    )]
    BreakerTripped { reason: String },
    /// A limit price through the mark by more than the blocking band.
    #[error(
        "the price {price} is {distance_pct}% through the mark {mark}, beyond the {band_pct}% limit; move the price closer to the market"
    )]
    PriceBand {
        price: Decimal,
        mark: Decimal,
        distance_pct: Decimal,
        band_pct: Decimal,
    },
    /// The order's value is over the cap.
    #[error(
        "the order is worth {notional}, over this account's cap of {cap} an order; make it smaller or raise the cap in settings"
    )]
    OrderNotional { notional: Decimal, cap: Decimal },
    /// The position after the order would be worth more than the cap.
    #[error(
        "the position would be worth {notional}, over this account's cap of {cap}; reduce the size or raise the cap in settings"
    )]
    PositionNotional { notional: Decimal, cap: Decimal },
    /// The instrument's leverage is over the cap.
    #[error(
        "the leverage on this instrument is {leverage}×, over this account's cap of {cap}×; lower the leverage first"
    )]
    Leverage { leverage: u32, cap: u32 },
    /// The account already has the most open orders allowed.
    #[error(
        "this account already has {open} open orders, the most allowed ({cap}); cancel some first"
    )]
    OpenOrders { open: u32, cap: u32 },
    /// A reduce-only order with no position to reduce on that side.
    #[error(
        "reduce-only cannot reduce here: the position is {position}; untick reduce-only or pick the other side"
    )]
    ReduceOnly { position: Decimal },
    /// The account's API key may not trade.
    #[error(
        "this account's API key is read-only, so the exchange would refuse the order; enable trading for the key on the exchange, or add a key that has it"
    )]
    ReadOnlyKey,
    /// No price to value the order at: a market order with no mark read (the venue did not
    /// answer, or no market data came yet).
    #[error(
        "no mark price could be read for this instrument (the venue did not answer, or no market data has come yet), so the order's value cannot be checked; try again in a moment, or use a limit order"
    )]
    NoMark,
    /// The figures could not be checked (a value too large to compute).
    #[error("the order's value is too large to check; make it smaller")]
    Unchecked,
}

/// The verdict with the warnings behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub verdict: Verdict,
    pub warnings: Vec<Warning>,
}

impl Assessment {
    /// The verdict the warnings call for: the highest severity decides. A critical warning
    /// refuses the order (the breaker trips; the caller records that).
    pub(crate) fn from_warnings(warnings: Vec<Warning>) -> Assessment {
        let worst = warnings.iter().map(|w| w.severity).max();
        let verdict = match worst {
            None | Some(Severity::Info) => Verdict::Approved,
            Some(Severity::Warning) => Verdict::NeedsConfirmation,
            Some(Severity::High) => Verdict::NeedsStepUp,
            Some(Severity::Critical) => Verdict::Refused(Refusal::BreakerTripped {
                reason: warnings
                    .iter()
                    .filter(|w| w.severity == Severity::Critical)
                    .map(|w| w.seen.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            }),
        };
        Assessment { verdict, warnings }
    }

    /// The same warnings with a verdict no stronger than a confirmation (for orders that only
    /// reduce a position).
    pub(crate) fn at_most_confirmation(mut self) -> Assessment {
        if !matches!(self.verdict, Verdict::Approved) {
            self.verdict = Verdict::NeedsConfirmation;
        }
        self
    }

    pub fn refused(refusal: Refusal, warnings: Vec<Warning>) -> Assessment {
        Assessment {
            verdict: Verdict::Refused(refusal),
            warnings,
        }
    }
}
