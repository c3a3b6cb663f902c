//! The shape of the user's trading: bursts, the hours they trade, new instruments and venues,
//! cancel churn.

use rust_decimal::Decimal;

use super::shown;
use crate::facts::{Moment, OrderFacts};
use crate::history::{AccountHistory, History};
use crate::session::{AccountSession, count_since};
use crate::thresholds::Thresholds;
use crate::warning::{Severity, Warning, WarningKind};

/// Orders far faster than usual: this one and those sent in the window, against at least a
/// floor and a multiple of the user's usual orders per active minute.
pub fn burst(
    t: &Thresholds,
    history: Option<&AccountHistory>,
    session: Option<&AccountSession>,
    order: &OrderFacts,
) -> Option<Warning> {
    let since = order.at.unix_ms - t.burst_window_ms;
    let count = session.map_or(0, |s| count_since(&s.order_times, since)) + 1;
    // The usual rate scaled to the window; none yet means the floors alone apply.
    let known = history
        .and_then(|h| h.usual_per_minute(t.burst_min_minutes))
        .and_then(|per_minute| {
            per_minute
                .checked_mul(Decimal::from(t.burst_window_ms))?
                .checked_div(Decimal::from(60_000))
        });
    let usual = known.unwrap_or(Decimal::ZERO);
    let at_least = |floor: u32, factor: Decimal| {
        let relative = usual.checked_mul(factor).unwrap_or(Decimal::MAX).ceil();
        Decimal::from(floor).max(relative)
    };
    let count_d = Decimal::from(count);
    let (severity, limit) = if count_d >= at_least(t.burst_high_floor, t.burst_high_factor) {
        (
            Severity::High,
            at_least(t.burst_high_floor, t.burst_high_factor),
        )
    } else if count_d >= at_least(t.burst_warn_floor, t.burst_warn_factor) {
        (
            Severity::Warning,
            at_least(t.burst_warn_floor, t.burst_warn_factor),
        )
    } else {
        return None;
    };
    let usual_text = match known {
        Some(u) => format!("your usual is {} in that time", shown(u, 1)),
        None => "too little history yet for a usual rate".to_owned(),
    };
    let seen = format!(
        "{count} orders in the last {} s on this account ({usual_text}; the limit for this warning is {limit})",
        t.burst_window_ms / 1000,
    );
    let advice = "If these are not all yours, use the kill switch and revoke the API key";
    Some(Warning::new(WarningKind::Burst, severity, seen, advice).on(order.account, None))
}

fn hour_range(hour: usize) -> String {
    format!("{hour:02}:00–{:02}:00", (hour + 1) % 24)
}

/// Trading at an hour of the day the user has never traded at, once the history is long
/// enough to say so.
pub fn unusual_hour(
    t: &Thresholds,
    history: Option<&AccountHistory>,
    order: &OrderFacts,
) -> Option<Warning> {
    let h = history?;
    let hour = order.at.local_hour();
    if h.orders < t.hour_min_history || h.hours[hour] > 0 {
        return None;
    }
    let seen = format!(
        "an order at {} local time; none of your {} earlier orders on this account was placed in that hour",
        hour_range(hour),
        h.orders
    );
    Some(
        Warning::new(
            WarningKind::UnusualHour,
            Severity::Warning,
            seen,
            "If you did not mean to trade now, cancel",
        )
        .on(order.account, None),
    )
}

/// The first order on an instrument, on an account that has traded before.
pub fn new_instrument(history: Option<&AccountHistory>, order: &OrderFacts) -> Option<Warning> {
    let h = history?;
    if h.orders == 0
        || h.instruments
            .get(order.symbol)
            .is_some_and(|i| i.orders > 0)
    {
        return None;
    }
    let seen = format!("the first order on {} from this account", order.symbol);
    Some(
        Warning::new(
            WarningKind::NewInstrument,
            Severity::Info,
            seen,
            "Check the instrument's contract size and tick before sizing",
        )
        .on(order.account, Some(order.symbol)),
    )
}

/// The first order on a venue, for a user who has traded elsewhere.
pub fn new_venue(history: &History, order: &OrderFacts) -> Option<Warning> {
    if history.orders() == 0 || history.traded_on(order.venue) {
        return None;
    }
    let seen = format!(
        "the first order on {} (you have traded only on other venues)",
        order.venue.display_name()
    );
    Some(
        Warning::new(
            WarningKind::NewVenue,
            Severity::Warning,
            seen,
            "Check the account and the venue's units before you confirm",
        )
        .on(order.account, Some(order.symbol)),
    )
}

/// Many cancels in a short time with nearly every order cancelled: a stuck script, or someone
/// else working the account.
pub fn churn(
    t: &Thresholds,
    session: Option<&AccountSession>,
    account: &str,
    at: Moment,
) -> Option<Warning> {
    let s = session?;
    let since = at.unix_ms - t.churn_window_ms;
    let cancels = count_since(&s.cancel_times, since);
    if cancels < t.churn_min_cancels {
        return None;
    }
    let orders = count_since(&s.order_times, since).max(1);
    let share = Decimal::from(cancels)
        .checked_mul(Decimal::ONE_HUNDRED)?
        .checked_div(Decimal::from(orders))?;
    if share < t.churn_min_share_pct {
        return None;
    }
    let seen = format!(
        "{cancels} cancels against {orders} orders in the last {} s ({}% cancelled)",
        t.churn_window_ms / 1000,
        shown(share.min(Decimal::ONE_HUNDRED), 0)
    );
    Some(
        Warning::new(
            WarningKind::Churn,
            Severity::Warning,
            seen,
            "If this is not you, use the kill switch and revoke the API key",
        )
        .on(account, None),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::History;
    use crate::testing::{T0, d, order};
    use rampart_core::Venue;

    fn session_with_orders(times: impl IntoIterator<Item = i64>) -> AccountSession {
        let mut s = AccountSession::default();
        s.order_times.extend(times);
        s
    }

    #[test]
    fn a_burst_fires_over_the_floor_with_no_history_and_stays_silent_below() {
        let t = Thresholds::default();
        let o = order("1");
        let now = o.at.unix_ms;
        let s = session_with_orders((0..8).map(|i| now - 50_000 + i * 1000));
        assert!(burst(&t, None, Some(&s), &o).is_none(), "9 in a minute");
        let s = session_with_orders((0..9).map(|i| now - 50_000 + i * 1000));
        let w = burst(&t, None, Some(&s), &o).unwrap();
        assert_eq!(w.severity, Severity::Warning);
        assert!(
            w.seen.starts_with("10 orders in the last 60 s"),
            "{}",
            w.seen
        );
        let s = session_with_orders((0..29).map(|i| now - 59_000 + i * 1000));
        assert_eq!(
            burst(&t, None, Some(&s), &o).unwrap().severity,
            Severity::High
        );
        // Orders older than the window do not count.
        let s = session_with_orders((0..40).map(|i| now - 200_000 + i * 1000));
        assert!(burst(&t, None, Some(&s), &o).is_none());
    }

    #[test]
    fn a_first_burst_does_not_make_itself_usual() {
        // No history before: twenty orders in twenty seconds, each recorded as it goes. The
        // tenth already warns, however many the minute under way has.
        let t = Thresholds::default();
        let mut h = History::default();
        let mut s = AccountSession::default();
        let mut fired = None;
        for i in 0..20 {
            let mut o = order("1");
            o.at = T0.plus_ms(i * 1000);
            if fired.is_none() && burst(&t, h.account("acct"), Some(&s), &o).is_some() {
                fired = Some(i + 1);
            }
            h.record_order("acct", Venue::Demo, "BTCUSDT", d("1"), o.at);
            s.order_times.push_back(o.at.unix_ms);
        }
        assert_eq!(fired, Some(10));
    }

    #[test]
    fn a_fast_trader_s_usual_rate_raises_the_bar() {
        let t = Thresholds::default();
        // A history of 6 orders a minute: a warning needs 30 in a minute, a step-up 90.
        let mut h = History::default();
        for i in 0..600 {
            h.record_order(
                "acct",
                Venue::Demo,
                "BTCUSDT",
                d("1"),
                T0.plus_ms(-86_400_000 + i * 10_000),
            );
        }
        let o = order("1");
        let now = o.at.unix_ms;
        let s = session_with_orders((0..25).map(|i| now - 30_000 + i * 1000));
        assert!(
            burst(&t, h.account("acct"), Some(&s), &o).is_none(),
            "26 orders"
        );
        let s = session_with_orders((0..29).map(|i| now - 30_000 + i * 1000));
        let w = burst(&t, h.account("acct"), Some(&s), &o).unwrap();
        assert_eq!(w.severity, Severity::Warning, "{}", w.seen);
        assert!(
            w.seen.contains("your usual is 6 in that time"),
            "{}",
            w.seen
        );
    }

    #[test]
    fn an_hour_never_traded_speaks_only_with_a_long_enough_history() {
        let t = Thresholds::default();
        let mut h = History::default();
        // 99 orders, all between 09:00 and 10:00 UTC.
        let nine = T0.plus_ms(-3 * 3_600_000);
        for i in 0..99 {
            h.record_order(
                "acct",
                Venue::Demo,
                "BTCUSDT",
                d("1"),
                nine.plus_ms(i * 1000),
            );
        }
        let at_noon = order("1");
        assert!(
            unusual_hour(&t, h.account("acct"), &at_noon).is_none(),
            "99 orders"
        );
        h.record_order("acct", Venue::Demo, "BTCUSDT", d("1"), nine);
        let w = unusual_hour(&t, h.account("acct"), &at_noon).unwrap();
        assert_eq!(w.severity, Severity::Warning);
        assert!(w.seen.contains("12:00–13:00"), "{}", w.seen);
        let mut at_nine = order("1");
        at_nine.at = nine.plus_ms(600_000);
        assert!(unusual_hour(&t, h.account("acct"), &at_nine).is_none());
    }

    #[test]
    fn new_instruments_and_venues_are_noted_for_users_who_traded_before() {
        let mut h = History::default();
        let o = order("1");
        assert!(
            new_instrument(h.account("acct"), &o).is_none(),
            "nothing traded yet"
        );
        assert!(new_venue(&h, &o).is_none(), "nothing traded yet");
        h.record_order("acct", Venue::Demo, "ETHUSDT", d("1"), T0);
        assert_eq!(
            new_instrument(h.account("acct"), &o).unwrap().severity,
            Severity::Info
        );
        assert!(new_venue(&h, &o).is_none(), "Demo was traded on");
        let mut on_binance = order("1");
        on_binance.venue = Venue::BinanceUsdm;
        on_binance.account = "live";
        let w = new_venue(&h, &on_binance).unwrap();
        assert_eq!(w.severity, Severity::Warning);
        assert!(w.seen.contains("Binance USDⓈ-M Futures"), "{}", w.seen);
        h.record_order("acct", Venue::Demo, "BTCUSDT", d("1"), T0);
        assert!(new_instrument(h.account("acct"), &o).is_none());
    }

    #[test]
    fn churn_needs_many_cancels_and_nearly_all_orders_cancelled() {
        let t = Thresholds::default();
        let now = T0.unix_ms;
        let mut s = session_with_orders((0..21).map(|i| now - 40_000 + i * 1000));
        s.cancel_times
            .extend((0..19).map(|i| now - 39_000 + i * 1000));
        assert!(churn(&t, Some(&s), "acct", T0).is_none(), "19 cancels");
        s.cancel_times.push_back(now - 1000);
        let w = churn(&t, Some(&s), "acct", T0).unwrap();
        assert!(
            w.seen.starts_with("20 cancels against 21 orders"),
            "{}",
            w.seen
        );
        // Forty orders with twenty cancelled is a trader at work, not churn.
        s.order_times
            .extend((0..19).map(|i| now - 20_000 + i * 500));
        assert!(churn(&t, Some(&s), "acct", T0).is_none());
    }
}
