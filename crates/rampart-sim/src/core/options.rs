//! Options: what an option instrument is, the volatility surface its mark comes from, and
//! Black-76 prices and greeks, all in `rust_decimal` (its `maths` feature: `exp`, `ln`, `sqrt`,
//! `norm_cdf`, `norm_pdf`).
//!
//! The model: the forward is the underlying's index (no rates, no carry), the time to expiry
//! is counted in years of 365 days, and the volatility of a strike comes from
//! [`VolSurface::vol`]. An option's price is quoted in the underlying coin, as on Deribit's
//! inverse options: the USD value divided by the forward.

use rust_decimal::{Decimal, MathematicalOps};

/// Milliseconds in a year of 365 days.
const YEAR_MS: i64 = 365 * 24 * 3_600_000;

/// The lowest volatility the surface hands out.
const MIN_VOL: Decimal = Decimal::from_parts(5, 0, 0, false, 2);

/// Call or put.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OptionKind {
    Call,
    Put,
}

/// What an option is written on: the instrument whose index is its forward, the strike (in
/// the underlying's quote currency, USD) and call or put. The expiry is the instrument's
/// [`super::Instrument::expiry_ms`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionSpec {
    /// The symbol of the listed instrument whose index prices the option (a perpetual).
    pub underlying: String,
    pub strike: Decimal,
    pub kind: OptionKind,
}

/// A volatility surface per underlying: an at-the-money level with a term structure, a skew
/// and a smile in log-moneyness `k = ln(strike / forward)`:
///
/// `vol(k, T) = atm + term_slope × (T − 0.25) + skew × k + smile × k²`, never below 5%.
///
/// All figures are annual fractions (0.55 = 55%).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VolSurface {
    pub atm: Decimal,
    /// Change of the ATM level per year of maturity, measured from three months.
    pub term_slope: Decimal,
    /// Negative: puts dearer than calls.
    pub skew: Decimal,
    pub smile: Decimal,
}

impl Default for VolSurface {
    fn default() -> Self {
        VolSurface {
            atm: Decimal::new(55, 2),
            term_slope: Decimal::new(5, 2),
            skew: Decimal::new(-10, 2),
            smile: Decimal::new(40, 2),
        }
    }
}

impl VolSurface {
    /// The volatility of `strike` at `years` to expiry for a `forward`.
    pub fn vol(&self, strike: Decimal, forward: Decimal, years: Decimal) -> Decimal {
        let k = log_moneyness(strike, forward);
        let v = self.atm
            + self.term_slope * (years - Decimal::new(25, 2))
            + self.skew * k
            + self.smile * k * k;
        v.max(MIN_VOL).round_dp(6)
    }
}

fn log_moneyness(strike: Decimal, forward: Decimal) -> Decimal {
    strike
        .checked_div(forward)
        .and_then(|r| r.checked_ln())
        .unwrap_or_default()
}

/// An option's sensitivities per unit of underlying (one coin of notional), in Deribit's
/// units: delta in coins, gamma per USD move, vega in USD per volatility point, theta in USD
/// per day.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Greeks {
    pub delta: Decimal,
    pub gamma: Decimal,
    pub vega: Decimal,
    pub theta: Decimal,
}

impl Greeks {
    /// The greeks of `units` (signed: negative short) of this option.
    pub fn scaled(&self, units: Decimal) -> Greeks {
        Greeks {
            delta: (self.delta * units).round_dp(5),
            gamma: (self.gamma * units).round_dp(5),
            vega: (self.vega * units).round_dp(5),
            theta: (self.theta * units).round_dp(5),
        }
    }
}

/// An option's model figures at one moment: see [`super::Exchange::option_quote`].
#[derive(Debug, Clone, PartialEq)]
pub struct OptionQuote {
    /// The mark in the underlying coin, on the tick.
    pub mark: Decimal,
    /// The model price before rounding to the tick (coin).
    pub theoretical: Decimal,
    /// The surface's volatility for this strike and expiry (fraction).
    pub mark_iv: Decimal,
    /// The forward the option was priced on (the underlying's index, USD).
    pub underlying_price: Decimal,
    pub greeks: Greeks,
    pub time_ms: i64,
}

/// Years from `now` to `expiry_ms` (0 once expired).
pub fn years_to(expiry_ms: i64, now: i64) -> Decimal {
    let left = (expiry_ms - now).max(0);
    Decimal::from(left)
        .checked_div(Decimal::from(YEAR_MS))
        .unwrap_or_default()
}

/// Black-76 with no discounting: the USD value of one option on one coin, and its greeks.
/// At or past expiry (or with no volatility) the value is the intrinsic value and delta is
/// 1, 0 or −1.
pub fn black76(
    kind: OptionKind,
    forward: Decimal,
    strike: Decimal,
    vol: Decimal,
    years: Decimal,
) -> (Decimal, Greeks) {
    let intrinsic = match kind {
        OptionKind::Call => (forward - strike).max(Decimal::ZERO),
        OptionKind::Put => (strike - forward).max(Decimal::ZERO),
    };
    let sqrt_t = years.sqrt().unwrap_or_default();
    let sd = vol * sqrt_t;
    if forward <= Decimal::ZERO || strike <= Decimal::ZERO || sd <= Decimal::new(1, 6) {
        let delta = if intrinsic > Decimal::ZERO {
            match kind {
                OptionKind::Call => Decimal::ONE,
                OptionKind::Put => Decimal::NEGATIVE_ONE,
            }
        } else {
            Decimal::ZERO
        };
        return (
            intrinsic,
            Greeks {
                delta,
                ..Greeks::default()
            },
        );
    }
    let k = log_moneyness(forward, strike);
    // d1 = (ln(F/K) + σ²T/2) / (σ√T); d2 = d1 − σ√T. Kept within ±10: beyond it N() is 0 or 1
    // to the precision kept, and the bound keeps every step inside Decimal's range.
    let bound = Decimal::TEN;
    let d1 = ((k + sd * sd / Decimal::TWO) / sd).clamp(-bound, bound);
    let d2 = d1 - sd;
    let n = |x: Decimal| x.norm_cdf();
    let pdf_d1 = d1.norm_pdf();
    let value = match kind {
        OptionKind::Call => forward * n(d1) - strike * n(d2),
        OptionKind::Put => strike * n(-d2) - forward * n(-d1),
    }
    .max(Decimal::ZERO);
    let delta = match kind {
        OptionKind::Call => n(d1),
        OptionKind::Put => n(d1) - Decimal::ONE,
    };
    let gamma = pdf_d1.checked_div(forward * sd).unwrap_or_default();
    // Per volatility point (1%): F·φ(d1)·√T / 100.
    let vega = forward * pdf_d1 * sqrt_t / Decimal::ONE_HUNDRED;
    // Per day: −F·φ(d1)·σ / (2√T) / 365.
    let theta = -(forward * pdf_d1 * vol)
        .checked_div(Decimal::TWO * sqrt_t * Decimal::from(365))
        .unwrap_or_default();
    (
        value,
        Greeks {
            delta: delta.round_dp(5),
            gamma: gamma.round_dp(8),
            vega: vega.round_dp(5),
            theta: theta.round_dp(5),
        },
    )
}

/// The option's price in the coin: its USD value over the forward.
pub fn coin_price(usd_value: Decimal, forward: Decimal) -> Decimal {
    usd_value.checked_div(forward).unwrap_or_default()
}

/// The volatility at which Black-76 gives `coin_price` (bisection between 1% and 500%);
/// `None` when no volatility in that range does (a price below intrinsic or above the forward).
pub fn implied_vol(
    kind: OptionKind,
    forward: Decimal,
    strike: Decimal,
    years: Decimal,
    price_coin: Decimal,
) -> Option<Decimal> {
    if years <= Decimal::ZERO || forward <= Decimal::ZERO || price_coin <= Decimal::ZERO {
        return None;
    }
    let target = price_coin * forward;
    let value_at = |v: Decimal| black76(kind, forward, strike, v, years).0;
    let (mut lo, mut hi) = (Decimal::new(1, 2), Decimal::from(5));
    if value_at(lo) > target || value_at(hi) < target {
        return None;
    }
    for _ in 0..40 {
        let mid = (lo + hi) / Decimal::TWO;
        if value_at(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(((lo + hi) / Decimal::TWO).round_dp(4))
}

/// The value at expiry of one option in the coin: the intrinsic value over the settlement
/// price.
pub fn settlement_value(kind: OptionKind, strike: Decimal, settlement: Decimal) -> Decimal {
    let usd = match kind {
        OptionKind::Call => (settlement - strike).max(Decimal::ZERO),
        OptionKind::Put => (strike - settlement).max(Decimal::ZERO),
    };
    coin_price(usd, settlement).round_dp(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn put_call_parity_holds_without_rates() {
        let (f, k, v, t) = (d("60000"), d("65000"), d("0.6"), d("0.25"));
        let (c, _) = black76(OptionKind::Call, f, k, v, t);
        let (p, _) = black76(OptionKind::Put, f, k, v, t);
        // C − P = F − K (no discounting).
        assert!(((c - p) - (f - k)).abs() < d("0.01"), "C {c} P {p}");
    }

    #[test]
    fn an_at_the_money_call_has_a_delta_near_one_half_and_the_right_signs() {
        let (f, v, t) = (d("60000"), d("0.5"), d("0.1"));
        let (c, g) = black76(OptionKind::Call, f, f, v, t);
        assert!(g.delta > d("0.5") && g.delta < d("0.55"), "{g:?}");
        assert!(g.gamma > Decimal::ZERO && g.vega > Decimal::ZERO && g.theta < Decimal::ZERO);
        // ATM ≈ 0.4·F·σ·√T.
        let approx = d("0.4") * f * v * t.sqrt().unwrap_or_default();
        assert!((c - approx).abs() / approx < d("0.01"), "{c} vs {approx}");
        let (_, gp) = black76(OptionKind::Put, f, f, v, t);
        assert!(gp.delta < Decimal::ZERO && gp.delta > d("-0.5"));
        assert_eq!(gp.gamma, g.gamma);
    }

    #[test]
    fn the_implied_vol_of_a_model_price_is_the_model_vol() {
        let (f, k, t) = (d("3000"), d("3250"), d("0.08"));
        let (usd, _) = black76(OptionKind::Call, f, k, d("0.7"), t);
        let iv = implied_vol(OptionKind::Call, f, k, t, coin_price(usd, f));
        assert!(
            iv.is_some_and(|v| (v - d("0.7")).abs() < d("0.001")),
            "{iv:?}"
        );
    }

    #[test]
    fn the_surface_smiles_and_skews() {
        let s = VolSurface::default();
        let (f, t) = (d("60000"), d("0.25"));
        let atm = s.vol(f, f, t);
        assert_eq!(atm, d("0.55"));
        assert!(s.vol(d("50000"), f, t) > atm);
        assert!(s.vol(d("50000"), f, t) > s.vol(d("72000"), f, t));
        assert!(s.vol(f, f, d("1")) > atm);
    }

    #[test]
    fn expiry_pays_the_intrinsic_value_in_the_coin() {
        assert_eq!(
            settlement_value(OptionKind::Call, d("50000"), d("60000")),
            d("0.16666667")
        );
        assert_eq!(
            settlement_value(OptionKind::Put, d("50000"), d("60000")),
            Decimal::ZERO
        );
    }
}
