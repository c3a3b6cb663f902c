//! The book and trade streams the exchange publishes: the diff depth stream (`<symbol>@depth`),
//! partial depth (`<symbol>@depth20`, which the stream host cuts to 5 or 10 levels) and
//! aggregate trades (`<symbol>@aggTrade`), in the shapes Binance's USDⓈ-M "Diff. Book Depth
//! Streams", "Partial Book Depth Streams" and "Aggregate Trade Streams" pages give.
//!
//! Update ids, as "How to manage a local order book correctly" relies on them:
//! - every book change or trade bumps the market's `update_id`; `GET /fapi/v1/depth` reports it
//!   as `lastUpdateId`;
//! - a diff event covers the ids since the previous one: `U` = previous `u` + 1, `u` = the
//!   id after this change, `pu` = the previous event's `u` ("Final update Id in last stream");
//!   trades move no level (the synthetic book is refilled), so their ids fall inside the next
//!   event's range;
//! - an event holds the absolute quantity of each changed level, 0 for a level that left the
//!   book.
//!
//! The book holds [`BOOK_LEVELS`] levels a side around the mark, and a price keeps its size
//! while the mark moves ([`size_at`]), so a move of k ticks changes about 4·k levels: those
//! that crossed sides and those at the far ends.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::super::SimEvent;
use super::super::exchange::{BOOK_LEVELS, Market};
use super::super::market;

/// Levels a partial depth event carries; `@depth5` and `@depth10` are cut from it.
pub(in crate::binance_usdm) const PARTIAL_LEVELS: usize = 20;

/// `d` with `scale` decimals, as Binance prints prices and quantities.
fn fixed(d: Decimal, scale: u32) -> String {
    let mut d = d;
    d.rescale(scale);
    d.to_string()
}

/// A whole number of ticks (prices in the book are on the tick grid).
fn ticks(price: Decimal, tick: Decimal) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    (price / tick).trunc().to_i64().unwrap_or(0)
}

/// The resting size at `price` on one side: `(1 + |k| mod BOOK_LEVELS)` units, where `k` is the
/// price's distance in ticks from the side's best price at the symbol's starting mark. At the
/// starting mark, level `i` holds `(i + 1)` units; afterwards a price keeps its size for as
/// long as it stays on the same side, and prices near the starting mark stay thin whichever
/// way the mark has moved (a price that crossed sides is `|k|` ticks past the old touch).
pub(in crate::binance_usdm) fn size_at(m: &Market, buy_side: bool, price: Decimal) -> Decimal {
    let tick = m.rules.tick;
    let anchor = market::mark_price(m.symbol);
    let k = if buy_side {
        ticks(anchor - price, tick)
    } else {
        ticks(price - anchor - tick, tick)
    };
    let levels = i64::try_from(BOOK_LEVELS).unwrap_or(i64::MAX);
    let units = Decimal::from(1 + (k.unsigned_abs() % levels.unsigned_abs()));
    market::level_size(m.symbol) * units
}

/// One side's prices in ticks, as an inclusive range (`lo..=hi`), for a book whose best bid
/// is `mark` ticks. Bids never reach 0.
fn side_range(mark: i64, buy_side: bool) -> (i64, i64) {
    let depth = i64::try_from(BOOK_LEVELS).unwrap_or(i64::MAX) - 1;
    if buy_side {
        ((mark - depth).max(1), mark)
    } else {
        (mark + 1, mark + 1 + depth)
    }
}

/// The part of `a` outside `b` (inclusive ranges), as up to two ranges.
fn minus(a: (i64, i64), b: (i64, i64)) -> Vec<(i64, i64)> {
    if a.0 > a.1 {
        return Vec::new();
    }
    if b.1 < a.0 || b.0 > a.1 || b.0 > b.1 {
        return vec![a];
    }
    let mut out = Vec::new();
    if a.0 < b.0 {
        out.push((a.0, b.0 - 1));
    }
    if b.1 < a.1 {
        out.push((b.1 + 1, a.1));
    }
    out
}

/// The changed levels of one side when the mark moves from `before` to `m.mark`: levels that
/// left (quantity 0) and levels that came in (their size); best first.
fn side_changes(m: &Market, before: Decimal, buy_side: bool) -> Vec<Value> {
    let tick = m.rules.tick;
    let old = side_range(ticks(before, tick), buy_side);
    let new = side_range(ticks(m.mark, tick), buy_side);
    let mut levels: Vec<(i64, Decimal)> = Vec::new();
    for (lo, hi) in minus(old, new) {
        levels.extend((lo..=hi).map(|t| (t, Decimal::ZERO)));
    }
    for (lo, hi) in minus(new, old) {
        levels.extend((lo..=hi).map(|t| (t, size_at(m, buy_side, tick * Decimal::from(t)))));
    }
    if buy_side {
        levels.sort_by_key(|l| std::cmp::Reverse(l.0));
    } else {
        levels.sort_by_key(|l| l.0);
    }
    let (px, qty) = (m.rules.tick.scale(), m.rules.step.scale());
    levels
        .into_iter()
        .map(|(t, q)| json!([fixed(tick * Decimal::from(t), px), fixed(q, qty)]))
        .collect()
}

/// The best `n` levels of one side, as `[price, qty]` pairs.
fn top(m: &Market, buy_side: bool, n: usize) -> Vec<Value> {
    let (px, qty) = (m.rules.tick.scale(), m.rules.step.scale());
    (0..n)
        .map(|i| m.level(buy_side, i))
        .filter(|l| l.price > Decimal::ZERO)
        .map(|l| json!([fixed(l.price, px), fixed(l.size, qty)]))
        .collect()
}

/// The depth events of one mark move (called after `m.mark` and `m.update_id` changed):
/// `<symbol>@depth` with the changed levels and `<symbol>@depth20` with the best levels. None
/// when no level changed (the ids move on into the next event's range).
pub(in crate::binance_usdm) fn depth_events(
    m: &mut Market,
    before: Decimal,
    now: i64,
) -> Vec<SimEvent> {
    let bids = side_changes(m, before, true);
    let asks = side_changes(m, before, false);
    if bids.is_empty() && asks.is_empty() {
        return Vec::new();
    }
    let (first, last, previous) = (m.depth_u + 1, m.update_id, m.depth_u);
    m.depth_u = m.update_id;
    let lower = m.symbol.to_ascii_lowercase();
    let event = |b: Vec<Value>, a: Vec<Value>| {
        json!({
            "e": "depthUpdate",
            "E": now,
            "T": now,
            "s": m.symbol,
            "U": first,
            "u": last,
            "pu": previous,
            "b": b,
            "a": a,
        })
    };
    vec![
        SimEvent::market(format!("{lower}@depth"), event(bids, asks)),
        SimEvent::market(
            format!("{lower}@depth{PARTIAL_LEVELS}"),
            event(top(m, true, PARTIAL_LEVELS), top(m, false, PARTIAL_LEVELS)),
        ),
    ]
}

/// A mark move nobody's depth stream receives: the next depth event's range starts after it,
/// as if its event had been sent.
pub(in crate::binance_usdm) fn skip_depth(m: &mut Market) {
    m.depth_u = m.update_id;
}

/// One execution, as the trade streams report it.
pub(in crate::binance_usdm) struct Trade {
    pub(in crate::binance_usdm) id: u64,
    pub(in crate::binance_usdm) price: Decimal,
    pub(in crate::binance_usdm) qty: Decimal,
    /// "Is the buyer the market maker?"
    pub(in crate::binance_usdm) buyer_is_maker: bool,
}

/// `<symbol>@aggTrade` for one execution. The simulator matches each order against the book
/// level by level, one trade per level, so an aggregate holds one trade (`f` = `l`) and its
/// id is the trade id.
pub(in crate::binance_usdm) fn agg_trade_event(m: &Market, trade: &Trade, now: i64) -> SimEvent {
    let (px, qty) = (m.rules.tick.scale(), m.rules.step.scale());
    SimEvent::market(
        format!("{}@aggTrade", m.symbol.to_ascii_lowercase()),
        json!({
            "e": "aggTrade",
            "E": now,
            "s": m.symbol,
            "a": trade.id,
            "p": fixed(trade.price, px),
            "q": fixed(trade.qty, qty),
            "f": trade.id,
            "l": trade.id,
            "T": now,
            "m": trade.buyer_is_maker,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_subtract() {
        assert_eq!(minus((1, 10), (5, 20)), vec![(1, 4)]);
        assert_eq!(minus((5, 20), (1, 10)), vec![(11, 20)]);
        assert_eq!(minus((1, 10), (3, 4)), vec![(1, 2), (5, 10)]);
        assert_eq!(minus((1, 10), (1, 10)), vec![]);
        assert_eq!(minus((1, 10), (20, 30)), vec![(1, 10)]);
    }
}
