//! The listed contracts and their rules, as Bybit's `GET /v5/market/instruments-info` shows
//! them: linear BTCUSDT, ETHUSDT, SOLUSDT (qty in the base coin) and inverse BTCUSD, ETHUSD
//! (qty in USD contracts of 1 USD each, settled in the base coin).

use rust_decimal::Decimal;

use crate::core::{ContractKind, Instrument};

/// `category` of a symbol.
/// `lotSizeFilter.minNotionalValue` of every linear contract (USDT): an opening order worth
/// less is refused with 110094. Inverse contracts are sized in USD and list none.
pub(super) const LINEAR_MIN_NOTIONAL: Decimal = Decimal::from_parts(5, 0, 0, false, 0);

pub(super) fn category(kind: ContractKind) -> &'static str {
    match kind {
        ContractKind::Linear => "linear",
        ContractKind::Inverse => "inverse",
    }
}

/// `contractType` of a symbol.
pub(super) fn contract_type(kind: ContractKind) -> &'static str {
    match kind {
        ContractKind::Linear => "LinearPerpetual",
        ContractKind::Inverse => "InversePerpetual",
    }
}

/// Bybit's rules for a contract (tick, qty step, min/max qty, max leverage), a starting mark,
/// and Bybit's base fee rates for derivatives (maker 0.02%, taker 0.055%).
#[allow(clippy::too_many_arguments)]
fn contract(
    symbol: &str,
    base: &str,
    quote: &str,
    kind: ContractKind,
    tick: Decimal,
    step: Decimal,
    max_qty: Decimal,
    max_leverage: i64,
    mark: Decimal,
    book_unit: Decimal,
) -> Instrument {
    Instrument {
        symbol: symbol.to_owned(),
        base: base.to_owned(),
        quote: quote.to_owned(),
        settle: match kind {
            ContractKind::Linear => quote.to_owned(),
            ContractKind::Inverse => base.to_owned(),
        },
        kind,
        tick_size: tick,
        lot_size: step,
        min_qty: step,
        max_qty,
        contract_value: Decimal::ONE,
        max_leverage: Decimal::from(max_leverage),
        start_mark: mark,
        maker_fee: Decimal::new(2, 4),
        taker_fee: Decimal::new(55, 5),
        maintenance_rate: Decimal::new(5, 3),
        book_unit,
        expiry_ms: None,
        option: None,
        tick_steps: Vec::new(),
    }
}

/// The listed contracts, in listing order.
pub(super) fn listed() -> Vec<Instrument> {
    use ContractKind::{Inverse, Linear};
    let dec = Decimal::new;
    vec![
        contract(
            "BTCUSDT",
            "BTC",
            "USDT",
            Linear,
            dec(10, 2),
            dec(1, 3),
            dec(1190, 0),
            100,
            dec(60000, 0),
            dec(5, 1),
        ),
        contract(
            "ETHUSDT",
            "ETH",
            "USDT",
            Linear,
            dec(1, 2),
            dec(1, 2),
            dec(7240, 0),
            100,
            dec(3000, 0),
            dec(5, 0),
        ),
        contract(
            "SOLUSDT",
            "SOL",
            "USDT",
            Linear,
            dec(10, 3),
            dec(1, 1),
            dec(79770, 0),
            100,
            dec(150, 0),
            dec(100, 0),
        ),
        contract(
            "BTCUSD",
            "BTC",
            "USD",
            Inverse,
            dec(50, 2),
            dec(1, 0),
            dec(1_000_000, 0),
            100,
            dec(60000, 0),
            dec(20000, 0),
        ),
        contract(
            "ETHUSD",
            "ETH",
            "USD",
            Inverse,
            dec(5, 2),
            dec(1, 0),
            dec(1_000_000, 0),
            100,
            dec(3000, 0),
            dec(20000, 0),
        ),
    ]
}
