//! What the simulator lists, with Deribit's contract rules (`public/get_instruments`, and the
//! contract specifications on deribit.com):
//! - inverse perpetuals `BTC-PERPETUAL` (contract size 10 USD, tick 0.5, minimum 10 USD) and
//!   `ETH-PERPETUAL` (contract size 1 USD, tick 0.05, minimum 1 USD), amounts in USD;
//! - one quarterly inverse future per currency (`BTC-27MAR26`: the last Friday of the quarter
//!   at 08:00 UTC, at least a week away), on the perpetual's rules;
//! - options per currency (`BTC-13DEC26-60000-C`), European, cash-settled in the coin at 08:00
//!   UTC, on two expiries (the next Friday at least a day away, and the quarterly), five
//!   strikes around the starting price, calls and puts; 1 coin per contract, minimum 0.1 BTC
//!   or 1 ETH, prices in the coin on a tick of 0.0001 up to 0.005 and 0.0005 above it
//!   (`tick_size_steps`: "if price <= 0.005 then the tick size is 0.0001, if price > 0.005
//!   then the tick size is 0.0005", Deribit's tick-size change of 6 July 2023), fees 0.0003 of
//!   the underlying capped at 12.5% of the premium.
//!
//! Amounts are the core's quantities: USD for futures (contract value 1 USD), coins for
//! options.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};

use super::json::num;
use crate::core::{ContractKind, Instrument, OptionKind, OptionSpec, TickStep};

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
/// Deribit writes a perpetual's expiration as the year 3000.
const PERPETUAL_EXPIRY_MS: i64 = 32_503_708_800_000;

/// `kind` of an instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstrumentKind {
    Future,
    Option,
}

impl InstrumentKind {
    pub fn wire(self) -> &'static str {
        match self {
            InstrumentKind::Future => "future",
            InstrumentKind::Option => "option",
        }
    }

    pub fn parse(s: &str) -> Option<InstrumentKind> {
        match s {
            "future" => Some(InstrumentKind::Future),
            "option" => Some(InstrumentKind::Option),
            _ => None,
        }
    }
}

/// One listed instrument: the core's rules plus what Deribit shows of it.
#[derive(Debug, Clone)]
pub struct Listing {
    pub inst: Instrument,
    pub kind: InstrumentKind,
    /// `perpetual`, `week` or `month`.
    pub settlement_period: &'static str,
    pub instrument_id: u64,
    pub creation_ms: i64,
    /// What Deribit calls the contract size: 10 (USD) for BTC futures, 1 otherwise.
    pub contract_size: Decimal,
}

impl Listing {
    /// The currency (`BTC`, `ETH`).
    pub fn currency(&self) -> &str {
        &self.inst.base
    }

    /// `btc_usd`, `eth_usd`.
    pub fn index_name(&self) -> String {
        format!("{}_usd", self.inst.base.to_ascii_lowercase())
    }

    pub fn is_perpetual(&self) -> bool {
        self.settlement_period == "perpetual"
    }

    /// The instrument as `public/get_instruments` shows it.
    pub fn to_json(&self, now: i64) -> Value {
        let i = &self.inst;
        let mut v = json!({
            "tick_size": num(i.tick_size),
            "tick_size_steps": i.tick_steps.iter().map(|s| json!({
                "above_price": num(s.above_price),
                "tick_size": num(s.tick_size),
            })).collect::<Vec<_>>(),
            "taker_commission": num(i.taker_fee),
            "maker_commission": num(i.maker_fee),
            "settlement_period": self.settlement_period,
            "settlement_currency": i.settle,
            "quote_currency": if self.kind == InstrumentKind::Option { i.base.as_str() } else { "USD" },
            "counter_currency": "USD",
            "base_currency": i.base,
            "price_index": self.index_name(),
            "min_trade_amount": num(i.min_qty),
            "kind": self.kind.wire(),
            "is_active": !i.expired(now),
            "state": if i.expired(now) { "closed" } else { "open" },
            "instrument_name": i.symbol,
            "instrument_id": self.instrument_id,
            "expiration_timestamp": i.expiry_ms.unwrap_or(PERPETUAL_EXPIRY_MS),
            "creation_timestamp": self.creation_ms,
            "contract_size": num(self.contract_size),
            // Every listed instrument is inverse: margined and settled in the coin.
            "instrument_type": "reversed",
            "block_trade_commission": num(i.taker_fee / Decimal::TWO),
            "block_trade_min_trade_amount": num(i.min_qty * Decimal::from(25)),
            "block_trade_tick_size": num(i.tick_size),
            "rfq": false,
        });
        match &i.option {
            Some(spec) => {
                v["strike"] = num(spec.strike);
                v["option_type"] = json!(match spec.kind {
                    OptionKind::Call => "call",
                    OptionKind::Put => "put",
                });
            }
            None => {
                v["max_leverage"] = json!(i.max_leverage.to_i64().unwrap_or(50));
                v["max_liquidation_commission"] = num(Decimal::new(75, 4));
                v["future_type"] = json!("reversed");
            }
        }
        v
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day count.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Day of the week of a day count: 0 Monday … 6 Sunday (1970-01-01 was a Thursday).
fn weekday(days: i64) -> i64 {
    (days + 3).rem_euclid(7)
}

/// The last Friday of a month, as a day count.
fn last_friday(year: i64, month: i64) -> i64 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let last = days_from_civil(ny, nm, 1) - 1;
    last - (weekday(last) - 4).rem_euclid(7)
}

/// The quarterly expiry (ms): the last Friday of March, June, September or December at 08:00
/// UTC, the first at least a week after `now`.
fn quarterly(now: i64) -> i64 {
    let (mut y, m, _) = civil_from_days(now.div_euclid(DAY_MS));
    let mut q = (m + 2) / 3 * 3;
    loop {
        let at = last_friday(y, q) * DAY_MS + 8 * HOUR_MS;
        if at - now >= 7 * DAY_MS {
            return at;
        }
        q += 3;
        if q > 12 {
            q -= 12;
            y += 1;
        }
    }
}

/// The next Friday 08:00 UTC at least a day after `now`.
fn weekly(now: i64) -> i64 {
    let mut day = now.div_euclid(DAY_MS);
    loop {
        let at = day * DAY_MS + 8 * HOUR_MS;
        if weekday(day) == 4 && at - now >= DAY_MS {
            return at;
        }
        day += 1;
    }
}

/// `13DEC26`: day without a leading zero, month, two-digit year.
pub fn expiry_code(ms: i64) -> String {
    const MONTHS: [&str; 12] = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    let (y, m, d) = civil_from_days(ms.div_euclid(DAY_MS));
    let month = MONTHS
        .get(usize::try_from(m - 1).unwrap_or(0))
        .copied()
        .unwrap_or("JAN");
    format!("{d}{month}{:02}", y.rem_euclid(100))
}

fn d(s: &str) -> Decimal {
    // The literals below are all valid decimals; a typo shows as zero and fails the tests.
    s.parse().unwrap_or_default()
}

/// An inverse future on `currency`.
fn future(symbol: &str, currency: &str, expiry_ms: Option<i64>, start: &str) -> Instrument {
    let (tick, step, unit) = match currency {
        "BTC" => ("0.5", "10", "2000"),
        _ => ("0.05", "1", "500"),
    };
    Instrument {
        symbol: symbol.to_owned(),
        base: currency.to_owned(),
        quote: "USD".into(),
        settle: currency.to_owned(),
        kind: ContractKind::Inverse,
        tick_size: d(tick),
        lot_size: d(step),
        min_qty: d(step),
        max_qty: d("10000000"),
        contract_value: Decimal::ONE,
        max_leverage: d("50"),
        start_mark: d(start),
        // Deribit's futures fees: maker 0%, taker 0.05%.
        maker_fee: Decimal::ZERO,
        taker_fee: d("0.0005"),
        maintenance_rate: d("0.01"),
        book_unit: d(unit),
        expiry_ms,
        option: None,
        tick_steps: Vec::new(),
    }
}

fn option(currency: &str, expiry_ms: i64, strike: i64, kind: OptionKind) -> Instrument {
    let letter = match kind {
        OptionKind::Call => "C",
        OptionKind::Put => "P",
    };
    let (min, unit) = match currency {
        "BTC" => ("0.1", "2"),
        _ => ("1", "20"),
    };
    Instrument {
        symbol: format!("{currency}-{}-{strike}-{letter}", expiry_code(expiry_ms)),
        base: currency.to_owned(),
        quote: currency.to_owned(),
        settle: currency.to_owned(),
        kind: ContractKind::Linear,
        tick_size: d("0.0001"),
        lot_size: d(min),
        min_qty: d(min),
        max_qty: d("100000"),
        contract_value: Decimal::ONE,
        max_leverage: Decimal::ONE,
        start_mark: Decimal::ZERO,
        maker_fee: d("0.0003"),
        taker_fee: d("0.0003"),
        maintenance_rate: Decimal::ZERO,
        book_unit: d(unit),
        expiry_ms: Some(expiry_ms),
        option: Some(OptionSpec {
            underlying: format!("{currency}-PERPETUAL"),
            strike: Decimal::from(strike),
            kind,
        }),
        tick_steps: vec![TickStep {
            above_price: d("0.005"),
            tick_size: d("0.0005"),
        }],
    }
}

/// Everything listed at `now`.
pub fn listings(now: i64) -> Vec<Listing> {
    let creation_ms = now - now.rem_euclid(DAY_MS) - 30 * DAY_MS;
    let (week, quarter) = (weekly(now), quarterly(now));
    let mut out = Vec::new();
    let mut id = 210_000u64;
    let mut push = |inst: Instrument, kind, period, contract_size: &str| {
        id += 1;
        out.push(Listing {
            inst,
            kind,
            settlement_period: period,
            instrument_id: id,
            creation_ms,
            contract_size: d(contract_size),
        });
    };
    for (currency, start, size) in [("BTC", "60000", "10"), ("ETH", "3000", "1")] {
        push(
            future(&format!("{currency}-PERPETUAL"), currency, None, start),
            InstrumentKind::Future,
            "perpetual",
            size,
        );
        push(
            future(
                &format!("{currency}-{}", expiry_code(quarter)),
                currency,
                Some(quarter),
                start,
            ),
            InstrumentKind::Future,
            "month",
            size,
        );
    }
    for (currency, strikes) in [
        ("BTC", [50_000i64, 55_000, 60_000, 65_000, 70_000]),
        ("ETH", [2_500, 2_750, 3_000, 3_250, 3_500]),
    ] {
        for (expiry, period) in [(week, "week"), (quarter, "month")] {
            for strike in strikes {
                for kind in [OptionKind::Call, OptionKind::Put] {
                    push(
                        option(currency, expiry, strike, kind),
                        InstrumentKind::Option,
                        period,
                        "1",
                    );
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-07T14:00:00Z, a Monday.
    const NOW: i64 = 1_796_652_000_000;

    #[test]
    fn expiries_fall_on_fridays_at_eight() {
        assert_eq!(civil_from_days(NOW / DAY_MS), (2026, 12, 7));
        assert_eq!(expiry_code(weekly(NOW)), "11DEC26");
        assert_eq!(expiry_code(quarterly(NOW)), "25DEC26");
        assert_eq!(weekly(NOW).rem_euclid(DAY_MS), 8 * HOUR_MS);
        // On a Friday after 08:00 the next week's Friday.
        let friday = days_from_civil(2026, 12, 11) * DAY_MS + 9 * HOUR_MS;
        assert_eq!(expiry_code(weekly(friday)), "18DEC26");
        assert_eq!(expiry_code(quarterly(friday + 14 * DAY_MS)), "26MAR27");
        assert_eq!(expiry_code(days_from_civil(2027, 1, 1) * DAY_MS), "1JAN27");
    }

    #[test]
    fn the_chain_has_futures_and_options_per_currency() {
        let l = listings(NOW);
        let names: Vec<&str> = l.iter().map(|l| l.inst.symbol.as_str()).collect();
        assert!(names.contains(&"BTC-PERPETUAL") && names.contains(&"ETH-PERPETUAL"));
        assert!(names.contains(&"BTC-25DEC26"));
        assert!(names.contains(&"BTC-11DEC26-60000-C") && names.contains(&"ETH-25DEC26-2500-P"));
        assert_eq!(
            l.iter()
                .filter(|l| l.kind == InstrumentKind::Option)
                .count(),
            40
        );
        let perp = &l[0];
        assert_eq!(perp.to_json(NOW)["contract_size"], num(d("10")));
    }
}
