//! Options chains. A venue lists every option of an underlying with its quote in one call
//! (Deribit's `public/get_book_summary_by_currency` with `kind=option`); the chain joins those
//! quotes to the instruments' rules and lays them out as traders read a chain: one table per
//! expiry, strikes in the centre, the call of each strike on its left and the put on its right.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::trading::{InstrumentRules, OptionRight};

/// One option's quote, as the venue's summary of its book gives it. Prices are in the option's
/// premium currency (BTC for Deribit's BTC options); `None` where the venue has none (an empty
/// side of the book).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct OptionQuote {
    pub symbol: String,
    #[ts(type = "string | null")]
    pub bid: Option<Decimal>,
    #[ts(type = "string | null")]
    pub ask: Option<Decimal>,
    #[ts(type = "string | null")]
    pub mark: Option<Decimal>,
    /// Mark implied volatility in percent (Deribit's `mark_iv`: 52.4 is 52.4 %).
    #[ts(type = "string | null")]
    pub mark_iv: Option<Decimal>,
    /// The price the option is valued against, in USD (the future or index of its expiry).
    #[ts(type = "string | null")]
    pub underlying_price: Option<Decimal>,
    /// In contracts.
    #[ts(type = "string | null")]
    pub open_interest: Option<Decimal>,
    /// Traded in the last 24 hours, in contracts.
    #[ts(type = "string | null")]
    pub volume: Option<Decimal>,
}

impl OptionQuote {
    /// A quote with nothing known yet: an instrument the venue listed without a summary.
    pub fn empty(symbol: &str) -> Self {
        Self {
            symbol: symbol.to_owned(),
            bid: None,
            ask: None,
            mark: None,
            mark_iv: None,
            underlying_price: None,
            open_interest: None,
            volume: None,
        }
    }
}

/// One strike of one expiry: its call and its put, where the venue lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct ChainRow {
    #[ts(type = "string")]
    pub strike: Decimal,
    pub call: Option<OptionQuote>,
    pub put: Option<OptionQuote>,
}

/// The options of one expiry, strikes ascending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct ChainExpiry {
    #[ts(type = "number")]
    pub expiry_ms: i64,
    /// The underlying price this expiry's options are valued against (USD), from their quotes.
    #[ts(type = "string | null")]
    pub underlying_price: Option<Decimal>,
    pub rows: Vec<ChainRow>,
}

/// Every live option of one underlying on one account, nearest expiry first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct OptionChain {
    /// `BTC`, `ETH`.
    pub underlying: String,
    /// The currency premiums are quoted in (BTC on Deribit's BTC options).
    pub premium_currency: String,
    pub expiries: Vec<ChainExpiry>,
    /// When the venue's quotes were read (ms since the Unix epoch, local clock).
    #[ts(type = "number")]
    pub time_ms: i64,
}

impl OptionChain {
    /// The chain of `underlying` from an account's instruments and the venue's quotes. Options
    /// that have expired by `now_ms` are left out; a listed option without a quote keeps its
    /// place with nothing known; a quote without a listed option is dropped (its strike and
    /// expiry are the rules' to say). `None` when the account lists no option on `underlying`.
    pub fn assemble(
        underlying: &str,
        rules: &[InstrumentRules],
        quotes: Vec<OptionQuote>,
        now_ms: i64,
    ) -> Option<Self> {
        let mut by_symbol: BTreeMap<String, OptionQuote> =
            quotes.into_iter().map(|q| (q.symbol.clone(), q)).collect();
        let mut expiries: BTreeMap<i64, BTreeMap<Decimal, ChainRow>> = BTreeMap::new();
        let mut premium_currency = None;
        for r in rules {
            let (Some(spec), Some(expiry_ms)) = (r.option.as_ref(), r.expiry_ms) else {
                continue;
            };
            if !spec.underlying.eq_ignore_ascii_case(underlying) || expiry_ms <= now_ms {
                continue;
            }
            premium_currency.get_or_insert_with(|| spec.premium_currency.clone());
            let quote = by_symbol
                .remove(&r.symbol)
                .unwrap_or_else(|| OptionQuote::empty(&r.symbol));
            let row = expiries
                .entry(expiry_ms)
                .or_default()
                .entry(spec.strike)
                .or_insert_with(|| ChainRow {
                    strike: spec.strike,
                    call: None,
                    put: None,
                });
            match spec.right {
                OptionRight::Call => row.call = Some(quote),
                OptionRight::Put => row.put = Some(quote),
            }
        }
        let premium_currency = premium_currency?;
        let expiries = expiries
            .into_iter()
            .map(|(expiry_ms, rows)| {
                let rows: Vec<ChainRow> = rows.into_values().collect();
                let underlying_price = rows
                    .iter()
                    .flat_map(|r| [r.call.as_ref(), r.put.as_ref()])
                    .flatten()
                    .find_map(|q| q.underlying_price);
                ChainExpiry {
                    expiry_ms,
                    underlying_price,
                    rows,
                }
            })
            .collect();
        Some(Self {
            underlying: underlying.to_ascii_uppercase(),
            premium_currency,
            expiries,
            time_ms: now_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trading::{ContractKind, OptionSpec, ProductCategory};

    fn option(
        symbol: &str,
        underlying: &str,
        expiry_ms: i64,
        strike: i64,
        right: OptionRight,
    ) -> InstrumentRules {
        InstrumentRules {
            symbol: symbol.into(),
            category: ProductCategory::Option,
            kind: ContractKind::Dated,
            base_asset: underlying.into(),
            quote_asset: underlying.into(),
            settle_asset: underlying.into(),
            trading: true,
            tick_size: Decimal::new(1, 4),
            tick_steps: Vec::new(),
            min_price: Decimal::ZERO,
            max_price: Decimal::ZERO,
            step_size: Decimal::new(1, 1),
            min_qty: Decimal::new(1, 1),
            max_qty: Decimal::ZERO,
            max_market_qty: Decimal::ZERO,
            min_notional: Decimal::ZERO,
            contract_size: Some(Decimal::ONE),
            expiry_ms: Some(expiry_ms),
            option: Some(OptionSpec {
                underlying: underlying.into(),
                strike: Decimal::from(strike),
                right,
                premium_currency: underlying.into(),
            }),
            max_leverage: None,
        }
    }

    fn quote(symbol: &str, bid: &str, ask: &str, underlying: &str) -> OptionQuote {
        OptionQuote {
            bid: Some(bid.parse().unwrap()),
            ask: Some(ask.parse().unwrap()),
            mark: Some(bid.parse().unwrap()),
            mark_iv: Some(Decimal::from(50)),
            underlying_price: Some(underlying.parse().unwrap()),
            ..OptionQuote::empty(symbol)
        }
    }

    #[test]
    fn a_chain_pairs_calls_and_puts_by_strike_under_each_expiry_nearest_first() {
        let mut perpetual = option("BTC-PERPETUAL", "BTC", 0, 0, OptionRight::Call);
        perpetual.option = None;
        perpetual.expiry_ms = None;
        let rules = vec![
            option(
                "BTC-27MAR27-60000-C",
                "BTC",
                2_000,
                60_000,
                OptionRight::Call,
            ),
            option(
                "BTC-25DEC26-65000-P",
                "BTC",
                1_000,
                65_000,
                OptionRight::Put,
            ),
            option(
                "BTC-25DEC26-60000-P",
                "BTC",
                1_000,
                60_000,
                OptionRight::Put,
            ),
            option(
                "BTC-25DEC26-60000-C",
                "BTC",
                1_000,
                60_000,
                OptionRight::Call,
            ),
            option("BTC-1JAN20-60000-C", "BTC", 10, 60_000, OptionRight::Call),
            option("ETH-25DEC26-3000-C", "ETH", 1_000, 3_000, OptionRight::Call),
            perpetual,
        ];
        let quotes = vec![
            quote("BTC-25DEC26-60000-C", "0.045", "0.05", "60100"),
            quote("BTC-25DEC26-60000-P", "0.04", "0.0425", "60100"),
            quote("BTC-27MAR27-60000-C", "0.08", "0.085", "60900"),
            quote("BTC-1JAN20-60000-C", "0.01", "0.02", "60000"),
            quote("BTC-UNLISTED-1-C", "0.01", "0.02", "60000"),
        ];
        let chain = OptionChain::assemble("btc", &rules, quotes, 500).expect("BTC options");
        assert_eq!(chain.underlying, "BTC");
        assert_eq!(chain.premium_currency, "BTC");
        let expiries: Vec<i64> = chain.expiries.iter().map(|e| e.expiry_ms).collect();
        assert_eq!(expiries, [1_000, 2_000], "expired options are left out");
        let december = &chain.expiries[0];
        assert_eq!(december.underlying_price, Some(Decimal::from(60_100)));
        let strikes: Vec<Decimal> = december.rows.iter().map(|r| r.strike).collect();
        assert_eq!(strikes, [Decimal::from(60_000), Decimal::from(65_000)]);
        let atm = &december.rows[0];
        assert_eq!(atm.call.as_ref().unwrap().symbol, "BTC-25DEC26-60000-C");
        assert_eq!(
            atm.call.as_ref().unwrap().ask,
            Some("0.05".parse().unwrap())
        );
        assert_eq!(atm.put.as_ref().unwrap().bid, Some("0.04".parse().unwrap()));
        let wing = &december.rows[1];
        assert!(wing.call.is_none(), "no 65000 call is listed");
        assert_eq!(
            wing.put.as_ref().unwrap(),
            &OptionQuote::empty("BTC-25DEC26-65000-P"),
            "a listed option without a quote keeps its place"
        );
        assert_eq!(
            chain.expiries[1].underlying_price,
            Some(Decimal::from(60_900))
        );
    }

    #[test]
    fn an_underlying_without_options_has_no_chain() {
        let rules = vec![option(
            "ETH-25DEC26-3000-C",
            "ETH",
            1_000,
            3_000,
            OptionRight::Call,
        )];
        assert!(OptionChain::assemble("BTC", &rules, Vec::new(), 0).is_none());
        assert!(
            OptionChain::assemble("ETH", &rules, Vec::new(), 2_000).is_none(),
            "all expired"
        );
    }
}
