//! Decimals across Deribit's JSON, which carries prices and amounts as JSON numbers, without
//! passing them through `f64`.
//!
//! In: [`quote_fractions`] turns every number with a fraction or an exponent in a request's
//! text into a string before it is parsed, so `0.0525` reaches the handlers as the text
//! `"0.0525"`; whole numbers stay numbers (serde_json keeps them as exact integers).
//! Out: [`num`] marks a decimal inside a [`Value`] and [`render`] writes it as a bare JSON
//! number with the decimal's own digits.

use rust_decimal::Decimal;
use serde_json::Value;

/// Marks a string that [`render`] writes as a bare number.
const MARK: char = '\u{1}';

/// A decimal as a JSON number (see [`render`]).
pub fn num(d: Decimal) -> Value {
    Value::String(format!("{MARK}{}", d.normalize()))
}

/// `v` as JSON text, with the values of [`num`] written as bare numbers.
pub fn render(v: &Value) -> String {
    let text = v.to_string();
    // serde_json writes the mark as the escape \u0001.
    let marker = "\"\\u0001";
    if !text.contains(marker) {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find(marker) {
        out.push_str(&rest[..at]);
        let after = &rest[at + marker.len()..];
        let digits = after.find('"').map(|end| &after[..end]).filter(|d| {
            d.chars().all(|c| c.is_ascii_digit() || "-.".contains(c))
                && d.parse::<Decimal>().is_ok()
        });
        match digits {
            Some(d) => {
                out.push_str(d);
                rest = &after[d.len() + 1..];
            }
            None => {
                out.push_str(marker);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The JSON text with each fractional or exponent number turned into a string of its text.
/// Text that is not JSON comes out unchanged enough for the parser to refuse it.
pub fn quote_fractions(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 16);
    let mut i = 0;
    let mut in_string = false;
    let mut start_plain = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 2,
                b'"' => {
                    in_string = false;
                    i += 1;
                }
                _ => i += 1,
            }
            continue;
        }
        if b == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        if b == b'-' || b.is_ascii_digit() {
            let from = i;
            i += 1;
            while i < bytes.len()
                && (bytes[i].is_ascii_digit()
                    || matches!(bytes[i], b'.' | b'e' | b'E' | b'+' | b'-'))
            {
                i += 1;
            }
            let token = &text[from..i];
            if token.contains(['.', 'e', 'E']) {
                out.push_str(&text[start_plain..from]);
                out.push('"');
                out.push_str(token);
                out.push('"');
                start_plain = i;
            }
            continue;
        }
        i += 1;
    }
    out.push_str(&text[start_plain.min(text.len())..]);
    out
}

/// A decimal from a parameter: a string (`"0.05"`, `"1e-4"`) or a whole JSON number.
pub fn decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => {
            let s = s.trim();
            s.parse::<Decimal>()
                .ok()
                .or_else(|| Decimal::from_scientific(s).ok())
        }
        Value::Number(n) => n
            .as_i64()
            .map(Decimal::from)
            .or_else(|| n.as_u64().map(Decimal::from)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fractions_become_strings_and_integers_stay_numbers() {
        let text =
            r#"{"id":7,"params":{"amount":0.1,"price":6.5e-3,"label":"a 1.5 \"x\" 2.5","n":-3}}"#;
        let v: Value = serde_json::from_str(&quote_fractions(text)).unwrap();
        assert_eq!(v["id"], json!(7));
        assert_eq!(v["params"]["amount"], json!("0.1"));
        assert_eq!(v["params"]["price"], json!("6.5e-3"));
        assert_eq!(v["params"]["label"], json!("a 1.5 \"x\" 2.5"));
        assert_eq!(v["params"]["n"], json!(-3));
        assert_eq!(decimal(&v["params"]["price"]), Some(Decimal::new(65, 4)));
    }

    #[test]
    fn decimals_are_written_as_bare_numbers_digit_for_digit() {
        let v = json!({ "price": num(Decimal::new(525, 4)), "label": "\u{1}x", "n": 3 });
        let text = render(&v);
        assert!(text.contains(r#""price":0.0525"#), "{text}");
        assert!(text.contains(r#""label":"\u0001x""#), "{text}");
        assert!(text.contains(r#""n":3"#), "{text}");
        // A marked string that is not a number stays a string.
        let odd = json!({ "x": "\u{1}-.-" });
        assert!(serde_json::from_str::<Value>(&render(&odd)).is_ok());
    }
}
