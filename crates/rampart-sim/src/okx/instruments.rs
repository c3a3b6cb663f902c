//! What the simulator lists, with OKX's contract rules (okx.com/docs-v5/en/#public-data-rest-api-get-instruments):
//! USDT-margined perpetuals BTC-USDT-SWAP (ctVal 0.01 BTC, tickSz 0.1), ETH-USDT-SWAP (ctVal
//! 0.1 ETH, tickSz 0.01), SOL-USDT-SWAP (ctVal 1 SOL, tickSz 0.01), each with lotSz and minSz
//! 0.01 contracts; the coin-margined BTC-USD-SWAP (ctVal 100 USD, tickSz 0.1, lotSz and minSz
//! 1); and two quarterly USDT-margined BTC futures (BTC-USDT-yymmdd, the rules of
//! BTC-USDT-SWAP), delivered at 08:00 UTC on the last Friday of the quarter's last month.
//! Sizes are in contracts throughout, as on OKX.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::auth::{civil_from_days, days_from_civil};
use crate::core::{ContractKind, Instrument};

/// OKX's instrument types the simulator lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstType {
    Swap,
    Futures,
}

impl InstType {
    pub fn wire(self) -> &'static str {
        match self {
            InstType::Swap => "SWAP",
            InstType::Futures => "FUTURES",
        }
    }

    pub fn parse(s: &str) -> Option<InstType> {
        match s {
            "SWAP" => Some(InstType::Swap),
            "FUTURES" => Some(InstType::Futures),
            _ => None,
        }
    }
}

/// One listed contract: the core's rules plus what OKX shows of it.
#[derive(Debug, Clone)]
pub struct Listing {
    pub inst: Instrument,
    pub inst_type: InstType,
    /// `ctValCcy`: the coin (or USD) one contract is worth `ctVal` of.
    pub ct_val_ccy: String,
    /// Delivery time (ms) of a future.
    pub exp_ms: Option<i64>,
    /// `alias` of a future: `quarter`, `next_quarter`.
    pub alias: &'static str,
    /// `listTime` (ms).
    pub list_ms: i64,
}

impl Listing {
    /// `instFamily` / `uly`: `BTC-USDT`, `BTC-USD`.
    pub fn family(&self) -> String {
        format!("{}-{}", self.inst.base, self.inst.quote)
    }

    pub fn ct_type(&self) -> &'static str {
        match self.inst.kind {
            ContractKind::Linear => "linear",
            ContractKind::Inverse => "inverse",
        }
    }

    /// The instrument as `GET /api/v5/public/instruments` shows it.
    pub fn to_json(&self) -> Value {
        let i = &self.inst;
        json!({
            "alias": self.alias,
            "auctionEndTime": "",
            "baseCcy": "",
            "category": "1",
            "ctMult": "1",
            "ctType": self.ct_type(),
            "ctVal": i.contract_value.normalize().to_string(),
            "ctValCcy": self.ct_val_ccy,
            "expTime": self.exp_ms.map(|t| t.to_string()).unwrap_or_default(),
            "instFamily": self.family(),
            "instId": i.symbol,
            "instType": self.inst_type.wire(),
            "lever": i.max_leverage.normalize().to_string(),
            "listTime": self.list_ms.to_string(),
            "lotSz": i.lot_size.normalize().to_string(),
            "maxIcebergSz": i.max_qty.normalize().to_string(),
            "maxLmtAmt": "20000000",
            "maxLmtSz": i.max_qty.normalize().to_string(),
            "maxMktAmt": "",
            "maxMktSz": (i.max_qty / Decimal::TEN).normalize().to_string(),
            "maxStopSz": (i.max_qty / Decimal::TEN).normalize().to_string(),
            "maxTriggerSz": i.max_qty.normalize().to_string(),
            "maxTwapSz": i.max_qty.normalize().to_string(),
            "minSz": i.min_qty.normalize().to_string(),
            "optType": "",
            "quoteCcy": "",
            "ruleType": "normal",
            "settleCcy": i.settle,
            "state": "live",
            "stk": "",
            "tickSz": i.tick_size.normalize().to_string(),
            "uly": self.family(),
        })
    }
}

fn d(s: &str) -> Decimal {
    // The literals below are all valid decimals; a typo shows as zero and fails the tests.
    s.parse().unwrap_or_default()
}

#[allow(clippy::too_many_arguments)]
fn contract(
    symbol: &str,
    base: &str,
    quote: &str,
    kind: ContractKind,
    tick: &str,
    lot: &str,
    ct_val: &str,
    lever: &str,
    mark: &str,
    book_unit: &str,
) -> Instrument {
    let settle = match kind {
        ContractKind::Linear => quote,
        ContractKind::Inverse => base,
    };
    Instrument {
        symbol: symbol.to_owned(),
        base: base.to_owned(),
        quote: quote.to_owned(),
        settle: settle.to_owned(),
        kind,
        tick_size: d(tick),
        lot_size: d(lot),
        min_qty: d(lot),
        max_qty: d("100000"),
        contract_value: d(ct_val),
        max_leverage: d(lever),
        start_mark: d(mark),
        // OKX's regular-user (Lv1) rates for perpetuals and futures: 0.02% maker, 0.05% taker.
        maker_fee: d("0.0002"),
        taker_fee: d("0.0005"),
        maintenance_rate: d("0.004"),
        book_unit: d(book_unit),
        expiry_ms: None,
        option: None,
        tick_steps: Vec::new(),
    }
}

/// The last Friday of `month` in `year`, as a day count.
fn last_friday(year: i64, month: i64) -> i64 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let last = days_from_civil(ny, nm, 1) - 1;
    // 1970-01-01 was a Thursday: weekday 0 = Thursday, 1 = Friday.
    let weekday = (last.rem_euclid(7) + 7) % 7;
    let back = (weekday - 1).rem_euclid(7);
    last - back
}

/// The next two quarterly delivery times (ms) at least a week after `now`.
fn quarterly_deliveries(now_ms: i64) -> [i64; 2] {
    let today = now_ms.div_euclid(86_400_000);
    let (mut y, m, _) = civil_from_days(today);
    let mut q = (m + 2) / 3 * 3;
    let mut out = Vec::with_capacity(2);
    while out.len() < 2 {
        let day = last_friday(y, q);
        let at = day * 86_400_000 + 8 * 3_600_000;
        if at - now_ms >= 7 * 86_400_000 {
            out.push(at);
        }
        q += 3;
        if q > 12 {
            q -= 12;
            y += 1;
        }
    }
    [out[0], out[1]]
}

/// `yymmdd` of a delivery time.
fn yymmdd(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(86_400_000));
    format!("{:02}{m:02}{d:02}", y % 100)
}

/// Everything listed at `now_ms`.
pub fn listings(now_ms: i64) -> Vec<Listing> {
    use ContractKind::{Inverse, Linear};
    let list_ms = now_ms - now_ms.rem_euclid(86_400_000) - 30 * 86_400_000;
    let swap = |inst: Instrument, ct_val_ccy: &str| Listing {
        inst,
        inst_type: InstType::Swap,
        ct_val_ccy: ct_val_ccy.to_owned(),
        exp_ms: None,
        alias: "",
        list_ms,
    };
    let mut out = vec![
        swap(
            contract(
                "BTC-USDT-SWAP",
                "BTC",
                "USDT",
                Linear,
                "0.1",
                "0.01",
                "0.01",
                "100",
                "60000",
                "20",
            ),
            "BTC",
        ),
        swap(
            contract(
                "ETH-USDT-SWAP",
                "ETH",
                "USDT",
                Linear,
                "0.01",
                "0.01",
                "0.1",
                "100",
                "3000",
                "40",
            ),
            "ETH",
        ),
        swap(
            contract(
                "SOL-USDT-SWAP",
                "SOL",
                "USDT",
                Linear,
                "0.01",
                "0.01",
                "1",
                "50",
                "150",
                "50",
            ),
            "SOL",
        ),
        swap(
            contract(
                "BTC-USD-SWAP",
                "BTC",
                "USD",
                Inverse,
                "0.1",
                "1",
                "100",
                "100",
                "60000",
                "200",
            ),
            "USD",
        ),
    ];
    for (exp_ms, alias) in quarterly_deliveries(now_ms)
        .into_iter()
        .zip(["quarter", "next_quarter"])
    {
        let symbol = format!("BTC-USDT-{}", yymmdd(exp_ms));
        out.push(Listing {
            inst: contract(
                &symbol, "BTC", "USDT", Linear, "0.1", "0.01", "0.01", "100", "60000", "20",
            ),
            inst_type: InstType::Futures,
            ct_val_ccy: "BTC".into(),
            exp_ms: Some(exp_ms),
            alias,
            list_ms,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::okx::auth::parse_iso_ms;

    #[test]
    fn futures_deliver_on_the_last_friday_of_the_quarter_at_eight_utc() {
        let now = parse_iso_ms("2026-12-07T14:00:00.000Z").unwrap_or_default();
        let [a, b] = quarterly_deliveries(now);
        assert_eq!(
            crate::okx::auth::format_iso_ms(a),
            "2026-12-25T08:00:00.000Z"
        );
        assert_eq!(
            crate::okx::auth::format_iso_ms(b),
            "2027-03-26T08:00:00.000Z"
        );
        assert_eq!(yymmdd(a), "261225");
        // Within a week of the quarter's delivery, the next two are listed.
        let late = parse_iso_ms("2026-12-20T00:00:00.000Z").unwrap_or_default();
        assert_eq!(yymmdd(quarterly_deliveries(late)[0]), "270326");
    }
}
