//! Subscription channels (the API reference, "Subscriptions"): their names, and what each
//! sends.
//! - `book.{instrument_name}.{interval}`: a `snapshot` first, then `change`s with `change_id`
//!   and `prev_change_id`; levels `["new" | "change" | "delete", price, amount]`.
//! - `ticker.{instrument_name}.{interval}`: `public/ticker`'s object.
//! - `trades.{instrument_name}.{interval}`, `trades.{kind}.{currency}.{interval}`: trades.
//! - `user.orders.{instrument_name}.{interval}`, `user.orders.{kind}.{currency}.{interval}`:
//!   the account's orders (`raw`: one object per message, else a list).
//! - `user.trades.{instrument_name}.{interval}`, `user.trades.{kind}.{currency}.{interval}`.
//! - `user.portfolio.{currency}`: `private/get_account_summary`'s object.
//! - `user.changes.{instrument_name}.{interval}`, `user.changes.{kind}.{currency}.{interval}`:
//!   "User change stream (orders, trades, and related updates)", one object of
//!   `instrument_name`, `orders`, `trades` and `positions` per change.
//!
//! Intervals: `raw`, `100ms`, `agg2` (`raw` book and user channels need an authorised
//! connection). Every change goes out as it happens, whatever the interval.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::super::instruments::{InstrumentKind, Listing};
use super::super::json::num;
use crate::core::{Book, Level};

/// Which instruments a `kind.currency` channel covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    Instrument(String),
    Group {
        kind: Option<InstrumentKind>,
        currency: Option<String>,
    },
}

impl Target {
    pub fn covers(&self, listing: &Listing) -> bool {
        match self {
            Target::Instrument(name) => listing.inst.symbol == *name,
            Target::Group { kind, currency } => {
                kind.is_none_or(|k| listing.kind == k)
                    && currency.as_deref().is_none_or(|c| listing.currency() == c)
            }
        }
    }
}

/// A parsed channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Channel {
    Book(String),
    Ticker(String),
    Trades(Target),
    UserOrders { target: Target, raw: bool },
    UserTrades(Target),
    UserChanges(Target),
    Portfolio(String),
}

impl Channel {
    /// Whether the channel carries the account's own data.
    pub fn private(&self) -> bool {
        matches!(
            self,
            Channel::UserOrders { .. }
                | Channel::UserTrades(_)
                | Channel::UserChanges(_)
                | Channel::Portfolio(_)
        )
    }
}

fn interval_ok(i: &str) -> bool {
    matches!(i, "raw" | "100ms" | "agg2")
}

fn group(kind: &str, currency: &str) -> Option<Target> {
    let kind = match kind {
        "any" => None,
        k => Some(InstrumentKind::parse(k)?),
    };
    let currency = match currency.to_ascii_uppercase().as_str() {
        "ANY" => None,
        c @ ("BTC" | "ETH") => Some(c.to_owned()),
        _ => return None,
    };
    Some(Target::Group { kind, currency })
}

/// Parses a channel name; `None` for one the simulator does not serve. `known` says whether
/// an instrument is listed.
pub(super) fn parse(name: &str, known: &dyn Fn(&str) -> bool) -> Option<Channel> {
    let parts: Vec<&str> = name.split('.').collect();
    let instrument = |s: &str| known(s).then(|| s.to_owned());
    match parts.as_slice() {
        ["book", inst, interval] if interval_ok(interval) => Some(Channel::Book(instrument(inst)?)),
        ["ticker", inst, interval] if interval_ok(interval) => {
            Some(Channel::Ticker(instrument(inst)?))
        }
        ["trades", inst, interval] if interval_ok(interval) => {
            Some(Channel::Trades(Target::Instrument(instrument(inst)?)))
        }
        ["trades", kind, currency, interval] if interval_ok(interval) => {
            Some(Channel::Trades(group(kind, currency)?))
        }
        ["user", "orders", inst, interval] if interval_ok(interval) => Some(Channel::UserOrders {
            target: Target::Instrument(instrument(inst)?),
            raw: *interval == "raw",
        }),
        ["user", "orders", kind, currency, interval] if interval_ok(interval) => {
            Some(Channel::UserOrders {
                target: group(kind, currency)?,
                raw: *interval == "raw",
            })
        }
        ["user", "trades", inst, interval] if interval_ok(interval) => {
            Some(Channel::UserTrades(Target::Instrument(instrument(inst)?)))
        }
        ["user", "trades", kind, currency, interval] if interval_ok(interval) => {
            Some(Channel::UserTrades(group(kind, currency)?))
        }
        ["user", "changes", inst, interval] if interval_ok(interval) => {
            Some(Channel::UserChanges(Target::Instrument(instrument(inst)?)))
        }
        ["user", "changes", kind, currency, interval] if interval_ok(interval) => {
            Some(Channel::UserChanges(group(kind, currency)?))
        }
        ["user", "portfolio", currency] => {
            let c = currency.to_ascii_uppercase();
            (c == "BTC" || c == "ETH").then_some(Channel::Portfolio(c))
        }
        _ => None,
    }
}

/// What a book subscriber holds: each side's levels and the last `change_id` sent.
#[derive(Debug, Clone, Default)]
pub(super) struct BookState {
    bids: BTreeMap<Decimal, Decimal>,
    asks: BTreeMap<Decimal, Decimal>,
    change_id: u64,
}

fn side_map(levels: &[Level]) -> BTreeMap<Decimal, Decimal> {
    levels.iter().map(|l| (l.price, l.qty)).collect()
}

/// The changes from `old` to `new`: `new`, `change` and `delete` entries, best first.
fn diff(
    old: &BTreeMap<Decimal, Decimal>,
    new: &BTreeMap<Decimal, Decimal>,
    bids: bool,
) -> Vec<Value> {
    let mut out: Vec<(Decimal, Value)> = Vec::new();
    for (p, q) in new {
        match old.get(p) {
            None => out.push((*p, json!(["new", num(*p), num(*q)]))),
            Some(o) if o != q => out.push((*p, json!(["change", num(*p), num(*q)]))),
            Some(_) => {}
        }
    }
    for p in old.keys().filter(|p| !new.contains_key(*p)) {
        out.push((*p, json!(["delete", num(*p), 0])));
    }
    out.sort_by(|a, b| if bids { b.0.cmp(&a.0) } else { a.0.cmp(&b.0) });
    out.into_iter().map(|(_, v)| v).collect()
}

impl BookState {
    /// The first message: every level as `new`.
    pub fn snapshot(&mut self, book: &Book) -> Value {
        let empty = BTreeMap::new();
        self.bids = side_map(&book.bids);
        self.asks = side_map(&book.asks);
        self.change_id = book.seq;
        json!({
            "type": "snapshot",
            "timestamp": book.time_ms,
            "instrument_name": book.symbol,
            "change_id": book.seq,
            "bids": diff(&empty, &self.bids, true),
            "asks": diff(&empty, &self.asks, false),
        })
    }

    /// A `change` from what was sent to `book`; `None` when nothing changed.
    pub fn change(&mut self, book: &Book) -> Option<Value> {
        if book.seq <= self.change_id {
            return None;
        }
        let bids = side_map(&book.bids);
        let asks = side_map(&book.asks);
        let v = json!({
            "type": "change",
            "timestamp": book.time_ms,
            "instrument_name": book.symbol,
            "change_id": book.seq,
            "prev_change_id": self.change_id,
            "bids": diff(&self.bids, &bids, true),
            "asks": diff(&self.asks, &asks, false),
        });
        self.bids = bids;
        self.asks = asks;
        self.change_id = book.seq;
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn channel_names_parse_as_the_reference_writes_them() {
        let known = |s: &str| s == "BTC-PERPETUAL";
        assert_eq!(
            parse("book.BTC-PERPETUAL.100ms", &known),
            Some(Channel::Book("BTC-PERPETUAL".into()))
        );
        assert_eq!(parse("book.ETH-PERPETUAL.100ms", &known), None);
        assert_eq!(
            parse("user.orders.future.BTC.raw", &known),
            Some(Channel::UserOrders {
                target: Target::Group {
                    kind: Some(InstrumentKind::Future),
                    currency: Some("BTC".into())
                },
                raw: true
            })
        );
        assert_eq!(
            parse("user.portfolio.btc", &known),
            Some(Channel::Portfolio("BTC".into()))
        );
        assert_eq!(parse("ticker.BTC-PERPETUAL.1s", &known), None);
        // docs.deribit.com/subscriptions/user/userchangeskindcurrencyinterval
        let any = Channel::UserChanges(Target::Group {
            kind: None,
            currency: None,
        });
        assert_eq!(parse("user.changes.any.any.raw", &known), Some(any.clone()));
        assert!(any.private());
        assert_eq!(
            parse("user.changes.BTC-PERPETUAL.100ms", &known),
            Some(Channel::UserChanges(Target::Instrument(
                "BTC-PERPETUAL".into()
            )))
        );
    }

    #[test]
    fn a_book_change_names_what_moved_since_the_last_message() {
        let lv = |p: &str, q: &str| Level {
            price: d(p),
            qty: d(q),
        };
        let mut s = BookState::default();
        let b1 = Book {
            symbol: "X".into(),
            bids: vec![lv("10", "1"), lv("9", "2")],
            asks: vec![lv("11", "1")],
            seq: 5,
            time_ms: 1,
        };
        let snap = s.snapshot(&b1);
        assert_eq!(snap["change_id"], json!(5));
        let b2 = Book {
            symbol: "X".into(),
            bids: vec![lv("10", "3")],
            asks: vec![lv("11", "1"), lv("12", "1")],
            seq: 6,
            time_ms: 2,
        };
        let c = s.change(&b2).unwrap();
        assert_eq!(c["prev_change_id"], json!(5));
        assert_eq!(c["change_id"], json!(6));
        assert_eq!(c["bids"].as_array().map(Vec::len), Some(2));
        assert_eq!(c["bids"][0][0], json!("change"));
        assert_eq!(c["bids"][1][0], json!("delete"));
        assert_eq!(c["asks"][0][0], json!("new"));
        assert!(s.change(&b2).is_none());
    }
}
