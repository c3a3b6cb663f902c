//! An order far larger than the user's usual on the instrument: a robust score on the median
//! and the median absolute deviation of the user's latest sizes, silent until there is enough
//! history.

use rust_decimal::Decimal;

use super::shown;
use crate::facts::OrderFacts;
use crate::history::InstrumentHistory;
use crate::thresholds::Thresholds;
use crate::warning::{Severity, Warning, WarningKind};

/// The consistency constant that makes the MAD estimate a standard deviation for normal data.
const MAD_SCALE: Decimal = Decimal::from_parts(6745, 0, 0, false, 4);

pub fn unusual_size(
    t: &Thresholds,
    history: Option<&InstrumentHistory>,
    order: &OrderFacts,
) -> Option<Warning> {
    let stats = history?.stats()?;
    if stats.count < t.size_min_history || order.qty <= stats.median {
        return None;
    }
    // `median` is a size, so positive: the division is defined.
    let ratio = order.qty.checked_div(stats.median);
    let score = if stats.mad.is_zero() {
        // Every recent order had the same size: any larger one is off the scale, and the
        // ratio alone decides.
        None
    } else {
        (order.qty - stats.median)
            .checked_mul(MAD_SCALE)
            .and_then(|x| x.checked_div(stats.mad))
    };
    let reaches = |score_at: Decimal, ratio_at: Decimal| {
        ratio.is_none_or(|r| r >= ratio_at) && score.is_none_or(|s| s >= score_at)
    };
    let severity = if reaches(t.size_high_score, t.size_high_ratio) {
        Severity::High
    } else if reaches(t.size_warn_score, t.size_warn_ratio) {
        Severity::Warning
    } else {
        return None;
    };
    let times = ratio.map_or_else(|| "far over".to_owned(), |r| format!("{}×", shown(r, 1)));
    let seen = format!(
        "{} {} is {times} your usual {} (the median of your last {} orders on it)",
        order.qty, order.symbol, stats.median, stats.count
    );
    let advice = match severity {
        Severity::High => "Check the size; a code from your authenticator sends it",
        _ => "Check the size before you confirm",
    };
    Some(
        Warning::new(WarningKind::UnusualSize, severity, seen, advice)
            .on(order.account, Some(order.symbol)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::History;
    use crate::testing::{T0, d, order};
    use rampart_core::Venue;

    fn history_of(sizes: &[&str]) -> History {
        let mut h = History::default();
        for (i, s) in sizes.iter().enumerate() {
            h.record_order(
                "acct",
                Venue::Demo,
                "BTCUSDT",
                d(s),
                T0.plus_ms(i as i64 * 60_000),
            );
        }
        h
    }

    fn check(h: &History, qty: &str) -> Option<Severity> {
        let o = order(qty);
        unusual_size(&Thresholds::default(), h.instrument("acct", "BTCUSDT"), &o)
            .map(|w| w.severity)
    }

    #[test]
    fn silent_until_there_is_enough_history() {
        let h = history_of(&["0.01"; 19]);
        assert_eq!(check(&h, "5"), None);
        let h = history_of(&["0.01"; 20]);
        assert_eq!(check(&h, "5"), Some(Severity::High));
    }

    #[test]
    fn twenty_times_the_usual_asks_for_a_code_and_four_times_for_a_confirmation() {
        let usual: Vec<&str> = ["0.009", "0.01", "0.011", "0.01", "0.012"]
            .into_iter()
            .cycle()
            .take(60)
            .collect();
        let h = history_of(&usual);
        assert_eq!(check(&h, "0.2"), Some(Severity::High));
        assert_eq!(check(&h, "0.04"), Some(Severity::Warning));
        assert_eq!(check(&h, "0.012"), None, "within the usual spread");
        assert_eq!(
            check(&h, "0.005"),
            None,
            "smaller than usual is not an anomaly"
        );
        let w = unusual_size(
            &Thresholds::default(),
            h.instrument("acct", "BTCUSDT"),
            &order("0.2"),
        )
        .unwrap();
        assert_eq!(
            w.seen,
            "0.2 BTCUSDT is 20× your usual 0.01 (the median of your last 60 orders on it)"
        );
    }

    #[test]
    fn a_spread_out_history_needs_both_the_score_and_the_multiple() {
        // Sizes from 1 to 40: the median is 20.5, so twice the median is no anomaly even if
        // it were far in score terms, and 3× with a wide spread scores under 3.5.
        let sizes: Vec<String> = (1..=40).map(|i| i.to_string()).collect();
        let refs: Vec<&str> = sizes.iter().map(String::as_str).collect();
        let h = history_of(&refs);
        assert_eq!(check(&h, "41"), None);
        assert_eq!(check(&h, "70"), None, "3.4× the median, but a score of 3.3");
        assert_eq!(check(&h, "100"), Some(Severity::Warning));
        assert_eq!(check(&h, "400"), Some(Severity::High));
    }
}
