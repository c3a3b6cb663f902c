//! Prices and quantities: [`rust_decimal::Decimal`] newtypes that are valid by construction.
//!
//! A `Price` or `Qty` is always strictly positive, finite, at most [`MAX_SCALE`] decimal places and
//! at most [`MAX_MAGNITUDE`]. They cross JSON as strings (`"61234.5"`), never as floats.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The most decimal places any venue we support quotes (Binance and OKX use at most 8; Deribit
/// option sizes and Bybit tick sizes stay well inside this).
pub const MAX_SCALE: u32 = 12;

/// The largest price or quantity accepted: far above any real instrument, far below overflow in
/// `price * qty`.
pub const MAX_MAGNITUDE: Decimal = Decimal::from_parts(0xa4c6_8000, 0x0003_8d7e, 0, false, 0); // 10^15

/// Why a string or decimal is not a valid amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Nothing was entered.
    #[error("enter a number")]
    Empty,
    /// The text is not a plain decimal number (letters, NaN, infinity, exponent, separators).
    #[error("'{0}' is not a number; use digits and a dot, e.g. 61234.5")]
    NotANumber(String),
    /// Zero or below.
    #[error("must be greater than zero")]
    NotPositive,
    /// More decimal places than any venue accepts.
    #[error("has {0} decimal places; at most {MAX_SCALE} are allowed")]
    TooPrecise(u32),
    /// Larger than any real instrument.
    #[error("is larger than the maximum of {MAX_MAGNITUDE}")]
    TooLarge,
}

fn validate(value: Decimal) -> Result<Decimal, AmountError> {
    if value <= Decimal::ZERO {
        return Err(AmountError::NotPositive);
    }
    if value > MAX_MAGNITUDE {
        return Err(AmountError::TooLarge);
    }
    // `normalize` drops trailing zeros, so "1.50000000000000" counts as one decimal place.
    let normalized = value.normalize();
    if normalized.scale() > MAX_SCALE {
        return Err(AmountError::TooPrecise(normalized.scale()));
    }
    Ok(value)
}

fn parse(text: &str) -> Result<Decimal, AmountError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(AmountError::Empty);
    }
    // Plain decimal notation only: digits with at most one dot, optional leading sign. This rules
    // out "NaN", "inf", "1e5", "1_000" and "0x10" before the decimal parser sees them.
    let body = trimmed.strip_prefix(['-', '+']).unwrap_or(trimmed);
    let plain = !body.is_empty()
        && body.chars().all(|c| c.is_ascii_digit() || c == '.')
        && body.chars().filter(|&c| c == '.').count() <= 1
        && body.chars().any(|c| c.is_ascii_digit());
    if !plain {
        return Err(AmountError::NotANumber(trimmed.to_owned()));
    }
    // A digit string too long for 96 bits fails here rather than being rounded.
    let value = Decimal::from_str_exact(trimmed).map_err(|_| too_large_or_precise(body))?;
    validate(value)
}

/// Classifies a plain decimal that `rust_decimal` could not hold exactly.
fn too_large_or_precise(body: &str) -> AmountError {
    let integer_digits = body
        .split('.')
        .next()
        .unwrap_or("")
        .trim_start_matches('0')
        .len();
    if integer_digits > 15 {
        AmountError::TooLarge
    } else {
        let decimals = body.split('.').nth(1).map_or(0, str::len);
        AmountError::TooPrecise(u32::try_from(decimals).unwrap_or(u32::MAX))
    }
}

macro_rules! amount {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
        #[serde(try_from = "Decimal", into = "Decimal")]
        #[ts(type = "string")]
        pub struct $name(Decimal);

        impl $name {
            /// The decimal value.
            pub const fn get(self) -> Decimal {
                self.0
            }
        }

        impl TryFrom<Decimal> for $name {
            type Error = AmountError;
            fn try_from(value: Decimal) -> Result<Self, AmountError> {
                validate(value).map(Self)
            }
        }

        impl From<$name> for Decimal {
            fn from(value: $name) -> Decimal {
                value.0
            }
        }

        impl FromStr for $name {
            type Err = AmountError;
            fn from_str(text: &str) -> Result<Self, AmountError> {
                parse(text).map(Self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

amount!(
    /// A limit, stop or mark price in the instrument's quote currency.
    Price
);
amount!(
    /// An order or position size in the instrument's base unit (or contracts, where the venue
    /// counts in contracts).
    Qty
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_magnitude_is_one_quadrillion() {
        assert_eq!(MAX_MAGNITUDE, Decimal::from(1_000_000_000_000_000_u64));
    }

    #[test]
    fn parses_plain_decimals_exactly() {
        let p: Price = "61234.50".parse().unwrap();
        assert_eq!(p.get(), Decimal::new(6_123_450, 2));
        assert_eq!(p.to_string(), "61234.50");
        let q: Qty = " 0.001 ".parse().unwrap();
        assert_eq!(q.get(), Decimal::new(1, 3));
    }

    #[test]
    fn rejects_what_a_trader_might_mistype() {
        let cases: &[(&str, AmountError)] = &[
            ("", AmountError::Empty),
            ("   ", AmountError::Empty),
            ("NaN", AmountError::NotANumber("NaN".into())),
            ("inf", AmountError::NotANumber("inf".into())),
            ("1e5", AmountError::NotANumber("1e5".into())),
            ("1,5", AmountError::NotANumber("1,5".into())),
            ("1.2.3", AmountError::NotANumber("1.2.3".into())),
            ("-", AmountError::NotANumber("-".into())),
            (".", AmountError::NotANumber(".".into())),
            ("0", AmountError::NotPositive),
            ("0.000", AmountError::NotPositive),
            ("-1", AmountError::NotPositive),
            ("0.0000000000001", AmountError::TooPrecise(13)),
            ("1000000000000000.1", AmountError::TooLarge),
            ("99999999999999999999999999999999", AmountError::TooLarge),
            (
                "0.00000000000000000000000000000001",
                AmountError::TooPrecise(32),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(text.parse::<Qty>().unwrap_err(), *want, "input {text:?}");
        }
    }

    #[test]
    fn trailing_zeros_do_not_count_as_precision() {
        assert!("1.500000000000000000".parse::<Price>().is_ok());
    }

    #[test]
    fn crosses_json_as_a_string_and_is_validated_on_the_way_in() {
        let p: Price = "0.1".parse().unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"0.1\"");
        let back: Price = serde_json::from_str("\"0.1\"").unwrap();
        assert_eq!(back, p);
        assert!(serde_json::from_str::<Price>("\"-3\"").is_err());
        assert!(serde_json::from_str::<Price>("\"0\"").is_err());
    }
}
