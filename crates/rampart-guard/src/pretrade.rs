//! The pre-trade checks: limits an order must keep, per account. A breach of a hard limit
//! refuses the order; a soft one (the warning band, a duplicate) asks for a confirmation.

use rampart_core::OrderType;
use rust_decimal::Decimal;

use crate::detectors::shown;
use crate::facts::{ContractValue, OrderFacts};
use crate::limits::Limits;
use crate::session::AccountSession;
use crate::verdict::Refusal;
use crate::warning::{Severity, Warning, WarningKind};

/// The warnings an order raises against `limits`, or why it is refused.
pub fn check(
    limits: &Limits,
    session: Option<&AccountSession>,
    order: &OrderFacts,
) -> Result<Vec<Warning>, Refusal> {
    let mut warnings = Vec::new();
    let reduces = order.only_reduces();
    if order.reduce_only {
        let same_side =
            order.position_qty.is_sign_positive() == order.signed_qty().is_sign_positive();
        if order.position_qty.is_zero() || same_side {
            return Err(Refusal::ReduceOnly {
                position: order.position_qty,
            });
        }
    }
    if let Some(w) = price_band(limits, order)? {
        warnings.push(w);
    }
    if !reduces {
        let price = order.value_price().ok_or(Refusal::NoMark)?;
        let notional = order
            .value
            .notional(order.qty, price)
            .ok_or(Refusal::Unchecked)?;
        if notional > limits.max_order_notional {
            return Err(Refusal::OrderNotional {
                notional: shown(notional, 2),
                cap: limits.max_order_notional,
            });
        }
        let after = order
            .position_qty
            .checked_add(order.signed_qty())
            .ok_or(Refusal::Unchecked)?;
        let at = order.mark.unwrap_or(price);
        let position = order.value.notional(after, at).ok_or(Refusal::Unchecked)?;
        if position > limits.max_position_notional {
            return Err(Refusal::PositionNotional {
                notional: shown(position, 2),
                cap: limits.max_position_notional,
            });
        }
        if let Some(leverage) = order.leverage
            && leverage > limits.max_leverage
        {
            return Err(Refusal::Leverage {
                leverage,
                cap: limits.max_leverage,
            });
        }
    }
    // A market order does not rest, so it never adds to the open orders.
    if order.order_type != OrderType::Market && order.open_orders >= limits.max_open_orders {
        return Err(Refusal::OpenOrders {
            open: order.open_orders,
            cap: limits.max_open_orders,
        });
    }
    if let Some(w) = duplicate(limits, session, order) {
        warnings.push(w);
    }
    Ok(warnings)
}

/// A limit price through the mark: a buy above it or a sell below it, in % of the mark.
///
/// An option's premium is quoted with a spread that is routinely several percent of it (a
/// tenth of a cent over a cent is 10 %), so for options the band's refusal level is only a
/// warning: nothing is refused on the band, and a premium further through the mark than that
/// level asks for a confirmation.
fn price_band(limits: &Limits, order: &OrderFacts) -> Result<Option<Warning>, Refusal> {
    let (Some(price), Some(mark)) = (order.price, order.mark) else {
        return Ok(None);
    };
    if mark <= Decimal::ZERO {
        return Ok(None);
    }
    let through = match order.side {
        rampart_core::Side::Buy => price - mark,
        rampart_core::Side::Sell => mark - price,
    };
    if through <= Decimal::ZERO {
        return Ok(None);
    }
    let pct = through
        .checked_mul(Decimal::ONE_HUNDRED)
        .and_then(|x| x.checked_div(mark))
        .ok_or(Refusal::Unchecked)?;
    let band = limits.band_for(order.symbol);
    let warning = |seen: String, advice: &str| {
        Some(
            Warning::new(WarningKind::PriceBand, Severity::Warning, seen, advice)
                .on(order.account, Some(order.symbol)),
        )
    };
    if matches!(order.value, ContractValue::OptionPremium { .. }) {
        if pct <= band.block_pct {
            return Ok(None);
        }
        let seen = format!(
            "the premium {price} is {}% through the option's mark {mark} (the band's refusal level is {}%)",
            shown(pct, 2),
            band.block_pct
        );
        return Ok(warning(
            seen,
            "An option's spread is wide in percent, but this is far through the mark: check the premium before you confirm",
        ));
    }
    if pct > band.block_pct {
        return Err(Refusal::PriceBand {
            price,
            mark,
            distance_pct: shown(pct, 2),
            band_pct: band.block_pct,
        });
    }
    if pct > band.warn_pct {
        let seen = format!(
            "the price {price} is {}% through the mark {mark} (the band is {}%)",
            shown(pct, 2),
            band.warn_pct
        );
        return Ok(warning(
            seen,
            "A price through the mark fills at once at up to that price: confirm only if you mean it",
        ));
    }
    Ok(None)
}

/// The same order (instrument, side, type, size, price) as one sent within the window.
fn duplicate(
    limits: &Limits,
    session: Option<&AccountSession>,
    order: &OrderFacts,
) -> Option<Warning> {
    let since = order.at.unix_ms - limits.duplicate_window_ms;
    let same = session?.recent.iter().rev().find(|r| {
        r.at_ms >= since
            && r.symbol == order.symbol
            && r.side == order.side
            && r.order_type == order.order_type
            && r.qty == order.qty
            && r.price == order.price
    })?;
    let ago_ms = order.at.unix_ms - same.at_ms;
    let ago = if ago_ms < 1000 {
        format!("{ago_ms} ms")
    } else {
        format!("{} s", shown(Decimal::new(ago_ms, 3), 1))
    };
    let seen = format!(
        "the same order as one sent {ago} ago ({} {})",
        order.qty, order.symbol
    );
    Some(
        Warning::new(
            WarningKind::DuplicateOrder,
            Severity::Warning,
            seen,
            "Confirm to send it a second time",
        )
        .on(order.account, Some(order.symbol)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::RecentOrder;
    use crate::testing::{d, order};
    use rampart_core::Side;

    fn limit(side: Side, price: &str) -> OrderFacts<'static> {
        OrderFacts {
            side,
            order_type: OrderType::Limit,
            price: Some(d(price)),
            ..order("0.01")
        }
    }

    #[test]
    fn an_options_premium_is_never_refused_on_the_band_and_asks_past_its_refusal_level() {
        let l = Limits::default();
        let option = |side: Side, price: &str| OrderFacts {
            symbol: "BTC-25DEC26-60000-C",
            mark: Some(d("0.0210")),
            value: ContractValue::OptionPremium {
                multiplier: Decimal::ONE,
            },
            ..limit(side, price)
        };
        // At the ask, 2.4 % over the mark: an ordinary option spread.
        assert!(
            check(&l, None, &option(Side::Buy, "0.0215"))
                .unwrap()
                .is_empty()
        );
        // 9.5 % under the mark on a sell: still within the refusal level, no warning.
        assert!(
            check(&l, None, &option(Side::Sell, "0.0190"))
                .unwrap()
                .is_empty()
        );
        // 50 % over: a warning to confirm, not a refusal.
        let w = check(&l, None, &option(Side::Buy, "0.0315")).unwrap();
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].kind, WarningKind::PriceBand);
        assert_eq!(
            w[0].seen,
            "the premium 0.0315 is 50% through the option's mark 0.0210 (the band's refusal level is 10%)"
        );
        // The same distance on a future is refused.
        assert!(check(&l, None, &limit(Side::Buy, "90000")).is_err());
    }

    #[test]
    fn the_band_warns_past_two_percent_through_the_mark_and_refuses_past_ten() {
        let l = Limits::default();
        // The mark is 60,000.
        assert!(
            check(&l, None, &limit(Side::Buy, "61200"))
                .unwrap()
                .is_empty(),
            "2% exactly"
        );
        let w = check(&l, None, &limit(Side::Buy, "61500")).unwrap();
        assert_eq!(w[0].kind, WarningKind::PriceBand);
        assert_eq!(
            w[0].seen,
            "the price 61500 is 2.5% through the mark 60000 (the band is 2%)"
        );
        assert!(
            !check(&l, None, &limit(Side::Buy, "61201"))
                .unwrap()
                .is_empty(),
            "2.002%"
        );
        assert!(
            check(&l, None, &limit(Side::Buy, "30000"))
                .unwrap()
                .is_empty(),
            "far below: it rests"
        );
        assert!(
            !check(&l, None, &limit(Side::Sell, "58000"))
                .unwrap()
                .is_empty()
        );
        let refused = check(&l, None, &limit(Side::Sell, "53000")).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "the price 53000 is 11.67% through the mark 60000, beyond the 10% limit; move the price closer to the market"
        );
        // A per-instrument band.
        let mut wide = Limits::default();
        wide.band_overrides.insert(
            "BTCUSDT".into(),
            crate::limits::Band {
                warn_pct: d("5"),
                block_pct: d("10"),
            },
        );
        assert!(
            check(&wide, None, &limit(Side::Buy, "62400"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn value_caps_apply_to_orders_that_grow_the_position_not_to_closes() {
        let l = Limits {
            max_order_notional: d("10000"),
            max_position_notional: d("20000"),
            ..Limits::default()
        };
        assert!(check(&l, None, &order("0.16")).is_ok());
        assert!(matches!(
            check(&l, None, &order("0.17")),
            Err(Refusal::OrderNotional { .. })
        ));
        let long = OrderFacts {
            position_qty: d("0.3"),
            ..order("0.1")
        };
        assert!(matches!(
            check(&l, None, &long),
            Err(Refusal::PositionNotional { .. })
        ));
        let close = OrderFacts {
            side: Side::Sell,
            position_qty: d("0.5"),
            ..order("0.5")
        };
        assert!(check(&l, None, &close).is_ok(), "a close is never capped");
    }

    #[test]
    fn leverage_open_orders_and_reduce_only_refuse_with_the_figures() {
        let l = Limits {
            max_leverage: 5,
            max_open_orders: 3,
            ..Limits::default()
        };
        let e = check(&l, None, &order("0.01")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the leverage on this instrument is 10×, over this account's cap of 5×; lower the leverage first"
        );
        let l = Limits {
            max_open_orders: 3,
            ..Limits::default()
        };
        let resting = OrderFacts {
            open_orders: 3,
            ..limit(Side::Buy, "59000")
        };
        assert!(matches!(
            check(&l, None, &resting),
            Err(Refusal::OpenOrders { open: 3, cap: 3 })
        ));
        let market = OrderFacts {
            open_orders: 3,
            ..order("0.01")
        };
        assert!(
            check(&l, None, &market).is_ok(),
            "a market order does not rest"
        );
        let nothing_to_reduce = OrderFacts {
            reduce_only: true,
            ..order("0.01")
        };
        assert!(matches!(
            check(&l, None, &nothing_to_reduce),
            Err(Refusal::ReduceOnly { .. })
        ));
        let adds_to_long = OrderFacts {
            reduce_only: true,
            position_qty: d("1"),
            ..order("0.01")
        };
        assert!(matches!(
            check(&l, None, &adds_to_long),
            Err(Refusal::ReduceOnly { .. })
        ));
        let reduces_short = OrderFacts {
            reduce_only: true,
            position_qty: d("-1"),
            ..order("0.01")
        };
        assert!(check(&l, None, &reduces_short).is_ok());
    }

    #[test]
    fn a_market_order_with_no_mark_cannot_be_checked() {
        let blind = OrderFacts {
            mark: None,
            ..order("0.01")
        };
        assert_eq!(
            check(&Limits::default(), None, &blind),
            Err(Refusal::NoMark)
        );
        let huge = OrderFacts {
            qty: Decimal::MAX,
            ..order("1")
        };
        assert_eq!(
            check(&Limits::default(), None, &huge),
            Err(Refusal::Unchecked)
        );
    }

    #[test]
    fn the_same_order_within_two_seconds_asks_to_confirm() {
        let l = Limits::default();
        let o = limit(Side::Buy, "59000");
        let mut s = AccountSession::default();
        s.recent.push_back(RecentOrder {
            symbol: "BTCUSDT".into(),
            side: Side::Buy,
            order_type: OrderType::Limit,
            qty: d("0.01"),
            price: Some(d("59000")),
            at_ms: o.at.unix_ms - 800,
        });
        let w = check(&l, Some(&s), &o).unwrap();
        assert_eq!(
            w[0].seen,
            "the same order as one sent 800 ms ago (0.01 BTCUSDT)"
        );
        let other_price = limit(Side::Buy, "59000.5");
        assert!(check(&l, Some(&s), &other_price).unwrap().is_empty());
        let later = OrderFacts {
            at: o.at.plus_ms(1300),
            ..o.clone()
        };
        assert!(
            check(&l, Some(&s), &later).unwrap().is_empty(),
            "2.1 s after"
        );
    }
}
