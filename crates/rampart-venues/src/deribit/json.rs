//! Deribit writes prices, amounts and balances as JSON numbers (`"price": 17391.5`). Read
//! through serde_json they would pass through `f64`; instead every number of an answer is
//! turned into a string holding its exact text before it is parsed, and [`Num`] keeps that text
//! until it becomes a `Decimal` or an integer. No decimal ever touches `f64`.

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::error::malformed;
use crate::venue::Error;

/// A JSON number as Deribit wrote it (or a string where a field can be either, as an order's
/// `price`, which is `"market_price"` for an untriggered market order).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(transparent)]
pub struct Num(pub String);

impl Num {
    /// The number as a decimal; `field` names it in the error.
    pub fn dec(&self, field: &str) -> Result<Decimal, Error> {
        dec_text(field, &self.0)
    }

    /// The number as an integer (timestamps, ids, change ids).
    pub fn int(&self, field: &str) -> Result<i64, Error> {
        self.0
            .parse::<i64>()
            .map_err(|_| malformed(format_args!("{field} {:?} is not a whole number", self.0)))
    }
}

/// `text` as a decimal: plain (`17391.5`) or in exponent form (`1.6e-7`, which Deribit uses for
/// small fees and greeks).
pub fn dec_text(field: &str, text: &str) -> Result<Decimal, Error> {
    let t = text.trim();
    let parsed = if t.contains(['e', 'E']) {
        Decimal::from_scientific(t).ok()
    } else {
        t.parse::<Decimal>().ok()
    };
    parsed.ok_or_else(|| malformed(format_args!("{field} {text:?} is not a number")))
}

/// An optional number as a decimal.
pub fn opt_dec(field: &str, n: &Option<Num>) -> Result<Option<Decimal>, Error> {
    n.as_ref().map(|n| n.dec(field)).transpose()
}

/// `json` with every number (outside strings) written as a string of the same text:
/// `{"a":1.50,"b":[2e-3]}` becomes `{"a":"1.50","b":["2e-3"]}`. Strings, `true`, `false` and
/// `null` are left alone. Text that is not JSON stays not JSON.
pub fn numbers_as_text(json: &str) -> String {
    let bytes = json.as_bytes();
    let mut out = String::with_capacity(json.len() + 64);
    let mut i = 0;
    let mut in_string = false;
    let mut start = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                out.push_str(&json[start..i]);
                let from = i;
                while i < bytes.len()
                    && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                out.push('"');
                out.push_str(&json[from..i]);
                out.push('"');
                start = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&json[start.min(json.len())..]);
    out
}

/// Marks a string [`num`] made, so that [`to_text`] writes it as a bare JSON number.
const NUM_MARK: char = '\u{1}';

/// A decimal as a JSON-RPC parameter: written as a bare number with exactly its digits (never
/// through `f64`) when the request is serialised by [`to_text`].
pub fn num(d: rust_decimal::Decimal) -> serde_json::Value {
    serde_json::Value::String(format!("{NUM_MARK}{}", d.normalize()))
}

/// `v` as JSON text, the decimals [`num`] made written as bare numbers.
pub fn to_text(v: &serde_json::Value) -> String {
    let text = v.to_string();
    // serde_json writes the mark as the escape `\u0001`.
    let marker = "\"\\u0001";
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find(marker) {
        out.push_str(&rest[..at]);
        let after = &rest[at + marker.len()..];
        match after.find('"') {
            Some(end) => {
                out.push_str(&after[..end]);
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[at..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Parses one of Deribit's JSON texts into `T`, numbers kept as text.
pub fn parse<T: DeserializeOwned>(json: &str) -> Result<T, Error> {
    serde_json::from_str(&numbers_as_text(json)).map_err(malformed)
}

/// Parses a JSON value already read with numbers as text into `T`.
pub fn from_value<T: DeserializeOwned>(v: serde_json::Value) -> Result<T, Error> {
    serde_json::from_value(v).map_err(malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_params_are_written_as_exact_bare_numbers() {
        let v = serde_json::json!({"amount": num(Decimal::new(123_456_789_012_345_678, 9)),
            "price": num("30000.50".parse().unwrap()), "label": "a\u{1}b", "n": 7});
        // Key order follows serde_json's features; the numbers' text is what matters.
        let text = to_text(&v);
        for part in [
            r#""amount":123456789.012345678"#,
            r#""price":30000.5"#,
            r#""label":"a\u0001b""#,
            r#""n":7"#,
        ] {
            assert!(text.contains(part), "{part} in {text}");
        }
    }

    #[test]
    fn numbers_become_their_own_text() {
        assert_eq!(
            numbers_as_text(r#"{"a":1.50,"b":[-2e-3, 7],"c":"x1.5\"9","d":true,"e":null}"#),
            r#"{"a":"1.50","b":["-2e-3", "7"],"c":"x1.5\"9","d":true,"e":null}"#
        );
        assert_eq!(numbers_as_text("42"), "\"42\"");
        assert_eq!(numbers_as_text(""), "");
    }

    #[test]
    fn decimals_keep_every_digit_and_read_exponents() {
        #[derive(Deserialize)]
        struct T {
            price: Num,
            fee: Num,
            ts: Num,
        }
        let t: T =
            parse(r#"{"price":12345678.123456789123,"fee":1.6e-7,"ts":1605780344032}"#).unwrap();
        assert_eq!(
            t.price.dec("price").unwrap().to_string(),
            "12345678.123456789123",
            "twenty significant digits, more than f64 holds"
        );
        assert_eq!(t.fee.dec("fee").unwrap(), Decimal::new(16, 8));
        assert_eq!(t.ts.int("ts").unwrap(), 1_605_780_344_032);
        assert!(Num("market_price".into()).dec("price").is_err());
        assert!(Num("1.5".into()).int("id").is_err());
    }
}
