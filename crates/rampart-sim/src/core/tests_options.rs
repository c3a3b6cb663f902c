//! Options and expiry in process: marks from the surface that follow the underlying, the
//! price-dependent tick, premiums paid and received, short-option margin, greeks in positions,
//! and settlement at expiry of options and dated futures.

use rust_decimal::Decimal;

use super::*;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

const T0: i64 = 1_700_000_000_000;
const DAY: i64 = 86_400_000;
const ALICE: &str = "alice";

fn inverse(symbol: &str, expiry_ms: Option<i64>) -> Instrument {
    Instrument {
        symbol: symbol.into(),
        base: "BTC".into(),
        quote: "USD".into(),
        settle: "BTC".into(),
        kind: ContractKind::Inverse,
        tick_size: d("0.5"),
        lot_size: d("10"),
        min_qty: d("10"),
        max_qty: d("1000000"),
        contract_value: Decimal::ONE,
        max_leverage: d("50"),
        start_mark: d("60000"),
        maker_fee: Decimal::ZERO,
        taker_fee: d("0.0005"),
        maintenance_rate: d("0.005"),
        book_unit: d("1000"),
        expiry_ms,
        option: None,
        tick_steps: Vec::new(),
    }
}

fn option(strike: &str, kind: OptionKind, expiry_ms: i64) -> Instrument {
    let letter = if kind == OptionKind::Call { "C" } else { "P" };
    Instrument {
        symbol: format!("BTC-X-{strike}-{letter}"),
        base: "BTC".into(),
        quote: "BTC".into(),
        settle: "BTC".into(),
        kind: ContractKind::Linear,
        tick_size: d("0.0001"),
        lot_size: d("0.1"),
        min_qty: d("0.1"),
        max_qty: d("10000"),
        contract_value: Decimal::ONE,
        max_leverage: Decimal::ONE,
        start_mark: Decimal::ZERO,
        maker_fee: d("0.0003"),
        taker_fee: d("0.0003"),
        maintenance_rate: Decimal::ZERO,
        book_unit: d("5"),
        expiry_ms: Some(expiry_ms),
        option: Some(OptionSpec {
            underlying: "BTC-PERPETUAL".into(),
            strike: d(strike),
            kind,
        }),
        tick_steps: vec![TickStep {
            above_price: d("0.005"),
            tick_size: d("0.0005"),
        }],
    }
}

fn exchange() -> Exchange {
    let expiry = T0 + 30 * DAY;
    let mut ex = Exchange::new(
        CoreConfig {
            instruments: vec![
                inverse("BTC-PERPETUAL", None),
                inverse("BTC-FUT", Some(T0 + 7 * DAY)),
                option("60000", OptionKind::Call, expiry),
                option("60000", OptionKind::Put, expiry),
                option("80000", OptionKind::Call, expiry),
                option("50000", OptionKind::Put, T0 + DAY),
            ],
            seed: 3,
            ..CoreConfig::default()
        },
        T0,
    );
    ex.add_account(ALICE, &[("BTC", d("1"))]);
    ex
}

#[test]
fn options_are_marked_from_the_surface_and_parity_holds_at_the_marks() {
    let ex = exchange();
    let call = ex.option_quote("BTC-X-60000-C").unwrap();
    let put = ex.option_quote("BTC-X-60000-P").unwrap();
    assert_eq!(call.underlying_price, d("60000"));
    assert_eq!(
        call.mark_iv,
        VolSurface::default().vol(d("60000"), d("60000"), years_to(T0 + 30 * DAY, T0))
    );
    // An ATM call on a 55% vol for 30 days is worth about 0.4·σ·√T ≈ 0.063 BTC.
    assert!(call.mark > d("0.05") && call.mark < d("0.075"), "{call:?}");
    assert_eq!(ex.mark("BTC-X-60000-C"), Some(call.mark));
    assert!(
        (call.mark % d("0.0005")).is_zero(),
        "above 0.005 the tick is 0.0005"
    );
    // Put-call parity in the coin: C − P = (F − K) / F = 0, within two ticks of rounding.
    assert!(
        (call.mark - put.mark).abs() <= d("0.001"),
        "{} {}",
        call.mark,
        put.mark
    );
    assert!(call.greeks.delta > d("0.5") && call.greeks.delta < d("0.56"));
    assert!(put.greeks.delta < Decimal::ZERO);
    assert!(call.greeks.gamma > Decimal::ZERO && call.greeks.vega > Decimal::ZERO);
    assert!(call.greeks.theta < Decimal::ZERO);
    // Far out of the money: cheap, on the fine tick.
    let otm = ex.mark("BTC-X-80000-C").unwrap();
    assert!(otm < call.mark && otm > Decimal::ZERO);
}

#[test]
fn an_option_mark_follows_its_underlying() {
    let mut ex = exchange();
    let before = ex.mark("BTC-X-60000-C").unwrap();
    assert!(ex.set_mark("BTC-PERPETUAL", d("66000"), T0 + 1));
    let after = ex.option_quote("BTC-X-60000-C").unwrap();
    assert_eq!(after.underlying_price, d("66000"));
    assert!(after.mark > before, "{before} → {}", after.mark);
    assert!(ex.mark("BTC-X-60000-P").unwrap() < before);
}

#[test]
fn the_tick_depends_on_the_price() {
    let ex = exchange();
    let inst = ex.instrument("BTC-X-60000-C").unwrap();
    assert!(inst.on_tick(d("0.0049")));
    assert!(inst.on_tick(d("0.005")));
    assert!(
        !inst.on_tick(d("0.0051")),
        "above 0.005 prices step by 0.0005"
    );
    assert!(inst.on_tick(d("0.0055")));
    assert_eq!(inst.tick_up(d("0.005")), d("0.0055"));
    assert_eq!(inst.tick_down(d("0.0055")), d("0.005"));
    assert_eq!(inst.tick_down(d("0.005")), d("0.0049"));
    let mut ex = exchange();
    let r = ex.place(
        ALICE,
        OrderRequest::limit("BTC-X-60000-C", Side::Buy, d("0.1"), d("0.0101")),
        T0,
    );
    assert_eq!(r.unwrap_err(), CoreError::PriceNotOnTick);
}

#[test]
fn buying_an_option_pays_the_premium_and_its_value_counts_in_equity() {
    let mut ex = exchange();
    let ask = ex.book("BTC-X-60000-C", 1, T0).unwrap().asks[0].price;
    let o = ex
        .place(
            ALICE,
            OrderRequest::market("BTC-X-60000-C", Side::Buy, d("1")),
            T0,
        )
        .unwrap();
    assert_eq!(o.status, OrderStatus::Filled);
    let avg = o.avg_price().unwrap();
    assert_eq!(avg, ask, "one level holds at least 5 BTC of options");
    // Fee: 0.0003 BTC per BTC of underlying, under 12.5% of the premium.
    let fee = d("0.0003");
    let w = ex.wallet(ALICE, "BTC").unwrap();
    assert_eq!(w.balance, d("1") - avg - fee);
    let p = ex.position(ALICE, "BTC-X-60000-C").unwrap();
    assert_eq!(p.size, d("1"));
    assert_eq!(
        p.initial_margin,
        Decimal::ZERO,
        "a long option's premium is paid"
    );
    assert_eq!(w.options_value, p.mark_price);
    assert_eq!(w.equity, w.balance + p.mark_price);
    let g = p.greeks.unwrap();
    assert!(g.delta > d("0.5") && g.vega > Decimal::ZERO);
    // The underlying rises: the option gains, and so does equity.
    ex.set_mark("BTC-PERPETUAL", d("63000"), T0 + 1);
    let p2 = ex.position(ALICE, "BTC-X-60000-C").unwrap();
    assert!(p2.unrealized_pnl > Decimal::ZERO);
    assert!(ex.wallet(ALICE, "BTC").unwrap().equity > w.equity);
    // More premium than the wallet holds is refused.
    let r = ex.place(
        ALICE,
        OrderRequest::limit("BTC-X-60000-C", Side::Buy, d("100"), d("0.05")),
        T0 + 2,
    );
    assert_eq!(r.unwrap_err(), CoreError::InsufficientBalance);
}

#[test]
fn selling_an_option_receives_the_premium_and_holds_short_margin() {
    let mut ex = exchange();
    let bid = ex.book("BTC-X-60000-P", 1, T0).unwrap().bids[0].price;
    let o = ex
        .place(
            ALICE,
            OrderRequest::market("BTC-X-60000-P", Side::Sell, d("1")),
            T0,
        )
        .unwrap();
    assert_eq!(o.avg_price(), Some(bid));
    let w = ex.wallet(ALICE, "BTC").unwrap();
    assert_eq!(w.balance, d("1") + bid - d("0.0003"));
    let p = ex.position(ALICE, "BTC-X-60000-P").unwrap();
    assert_eq!(p.size, d("-1"));
    // ATM: 0.15 + mark per BTC, and 0.075 + mark to maintain.
    assert_eq!(p.initial_margin, d("0.15") + p.mark_price);
    assert_eq!(p.maintenance_margin, d("0.075") + p.mark_price);
    assert_eq!(w.equity, w.balance - p.mark_price);
    assert_eq!(w.available, w.equity - p.initial_margin);
    assert!(
        p.greeks.unwrap().delta > Decimal::ZERO,
        "short a put is long delta"
    );
    // Selling ten more needs 10 × (0.15 + mark) of margin: more than the account has.
    let r = ex.place(
        ALICE,
        OrderRequest::limit("BTC-X-60000-P", Side::Sell, d("10"), bid),
        T0 + 1,
    );
    assert_eq!(r.unwrap_err(), CoreError::InsufficientBalance);
}

#[test]
fn an_expired_option_settles_at_its_intrinsic_value_and_stops_trading() {
    let mut ex = exchange();
    ex.place(
        ALICE,
        OrderRequest::market("BTC-X-50000-P", Side::Buy, d("1")),
        T0,
    )
    .unwrap();
    let resting = ex
        .place(
            ALICE,
            OrderRequest::limit("BTC-X-50000-P", Side::Buy, d("1"), d("0.0001")),
            T0,
        )
        .unwrap();
    let balance = ex.wallet(ALICE, "BTC").unwrap().balance;
    // At expiry the index is 45000: the 50000 put pays (50000 − 45000) / 45000 BTC.
    ex.set_mark("BTC-PERPETUAL", d("45000"), T0 + DAY - 1);
    ex.housekeep(T0 + DAY);
    let p = ex.position(ALICE, "BTC-X-50000-P").unwrap();
    assert_eq!(p.size, Decimal::ZERO);
    let paid = settlement_value(OptionKind::Put, d("50000"), d("45000"));
    assert_eq!(paid, d("0.11111111"));
    assert_eq!(ex.wallet(ALICE, "BTC").unwrap().balance, balance + paid);
    let o = ex.order(ALICE, OrderRef::Id(&resting.id)).unwrap();
    assert_eq!(o.cancel_reason, Some(CancelReason::Expired));
    let r = ex.place(
        ALICE,
        OrderRequest::market("BTC-X-50000-P", Side::Buy, d("1")),
        T0 + DAY + 1,
    );
    assert_eq!(r.unwrap_err(), CoreError::Expired);
    // Other instruments still trade.
    assert!(
        ex.place(
            ALICE,
            OrderRequest::market("BTC-X-60000-C", Side::Buy, d("0.1")),
            T0 + DAY + 1
        )
        .is_ok()
    );
}

#[test]
fn a_dated_future_settles_its_pnl_at_the_index() {
    let mut ex = exchange();
    ex.place(
        ALICE,
        OrderRequest::market("BTC-FUT", Side::Buy, d("6000")),
        T0,
    )
    .unwrap();
    let entry = ex.position(ALICE, "BTC-FUT").unwrap().entry_price;
    let balance = ex.wallet(ALICE, "BTC").unwrap().balance;
    ex.set_mark("BTC-FUT", d("66000"), T0 + 1);
    ex.housekeep(T0 + 7 * DAY);
    let p = ex.position(ALICE, "BTC-FUT").unwrap();
    assert_eq!(p.size, Decimal::ZERO);
    let pnl = ex
        .instrument("BTC-FUT")
        .unwrap()
        .pnl(d("6000"), entry, d("66000"));
    assert!(pnl > Decimal::ZERO);
    assert_eq!(
        ex.wallet(ALICE, "BTC").unwrap().balance,
        balance + pnl.round_dp(8)
    );
    // Settled instruments no longer move.
    ex.step(T0 + 7 * DAY + 1);
    assert_eq!(ex.mark("BTC-FUT"), Some(d("66000")));
}

#[test]
fn the_option_book_steps_its_ticks() {
    let ex = exchange();
    let book = ex.book("BTC-X-60000-C", 200, T0).unwrap();
    for side in [&book.bids, &book.asks] {
        for l in side.iter() {
            assert!(
                ex.instrument("BTC-X-60000-C").unwrap().on_tick(l.price),
                "{l:?}"
            );
        }
    }
    assert!(book.bids.windows(2).all(|w| w[0].price > w[1].price));
    assert!(book.asks.windows(2).all(|w| w[0].price < w[1].price));
    // The bids reach down to the finest tick.
    assert!(book.bids.iter().any(|l| l.price < d("0.005")));
}

#[test]
fn the_public_tape_keeps_the_latest_trades_newest_first() {
    let mut ex = exchange();
    ex.place(
        ALICE,
        OrderRequest::market("BTC-PERPETUAL", Side::Buy, d("20")),
        T0,
    )
    .unwrap();
    for k in 1..=3 {
        ex.step(T0 + k);
    }
    let tape = ex.recent_trades("BTC-PERPETUAL", 2).unwrap();
    assert_eq!(tape.len(), 2);
    assert!(tape[0].trade_id > tape[1].trade_id);
    assert_eq!(tape[0].time_ms, T0 + 3);
    let all = ex.recent_trades("BTC-PERPETUAL", 100).unwrap();
    assert_eq!(all.last().map(|t| t.taker_side), Some(Side::Buy));
    assert_eq!(all.last().map(|t| t.time_ms), Some(T0));
    assert!(ex.recent_trades("NOPE", 1).is_none());
}
