//! The exchange in process: placing, filling, positions and PnL (linear and inverse), refusals,
//! conditional orders, amend, cancels, the dead man's countdown and the order of events.

use rust_decimal::Decimal;

use super::*;

/// A decimal from its text.
fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

const T0: i64 = 1_700_000_000_000;
const ALICE: &str = "alice";

fn btcusdt() -> Instrument {
    Instrument {
        symbol: "BTCUSDT".into(),
        base: "BTC".into(),
        quote: "USDT".into(),
        settle: "USDT".into(),
        kind: ContractKind::Linear,
        tick_size: d("0.1"),
        lot_size: d("0.001"),
        min_qty: d("0.001"),
        max_qty: d("100"),
        contract_value: Decimal::ONE,
        max_leverage: d("100"),
        start_mark: d("50000"),
        maker_fee: d("0.0002"),
        taker_fee: d("0.00055"),
        maintenance_rate: d("0.005"),
        book_unit: d("0.1"),
        expiry_ms: None,
        option: None,
        tick_steps: Vec::new(),
    }
}

fn btcusd() -> Instrument {
    Instrument {
        symbol: "BTCUSD".into(),
        base: "BTC".into(),
        quote: "USD".into(),
        settle: "BTC".into(),
        kind: ContractKind::Inverse,
        tick_size: d("0.5"),
        lot_size: Decimal::ONE,
        min_qty: Decimal::ONE,
        max_qty: d("1000000"),
        contract_value: Decimal::ONE,
        max_leverage: d("100"),
        start_mark: d("50000"),
        maker_fee: Decimal::ZERO,
        taker_fee: Decimal::ZERO,
        maintenance_rate: d("0.005"),
        book_unit: d("1000"),
        expiry_ms: None,
        option: None,
        tick_steps: Vec::new(),
    }
}

fn exchange() -> Exchange {
    let mut ex = Exchange::new(
        CoreConfig {
            instruments: vec![btcusdt(), btcusd()],
            seed: 7,
            order_id: |seq| format!("ord-{seq}"),
            ..CoreConfig::default()
        },
        T0,
    );
    ex.add_account(ALICE, &[("USDT", d("10000")), ("BTC", d("1"))]);
    ex
}

#[test]
fn listing_starts_at_the_mark_with_a_book_one_tick_wide() {
    let ex = exchange();
    assert_eq!(ex.mark("BTCUSDT"), Some(d("50000")));
    let book = ex.book("BTCUSDT", 3, T0).unwrap();
    assert_eq!(book.bids[0].price, d("50000"));
    assert_eq!(book.asks[0].price, d("50000.1"));
    assert_eq!(book.bids[1].price, d("49999.9"));
    assert!(
        book.bids
            .iter()
            .all(|l| l.qty >= d("0.1") && l.qty <= d("0.5"))
    );
}

#[test]
fn the_same_seed_walks_the_same_prices_in_whole_ticks() {
    let (mut a, mut b) = (exchange(), exchange());
    for k in 0..50 {
        a.step(T0 + k);
        b.step(T0 + k);
    }
    let mark = a.mark("BTCUSDT").unwrap();
    assert_eq!(Some(mark), b.mark("BTCUSDT"));
    assert!((mark % d("0.1")).is_zero());
    assert_ne!(mark, d("50000"), "fifty steps moved the price");
}

#[test]
fn a_market_buy_takes_the_asks_and_opens_a_long_with_the_fee_paid() {
    let mut ex = exchange();
    let o = ex
        .place(
            ALICE,
            OrderRequest::market("BTCUSDT", Side::Buy, d("0.01")),
            T0,
        )
        .unwrap();
    assert_eq!(o.status, OrderStatus::Filled);
    assert_eq!(o.avg_price(), Some(d("50000.1")));
    let p = ex.position(ALICE, "BTCUSDT").unwrap();
    assert_eq!(p.size, d("0.01"));
    assert_eq!(p.entry_price, d("50000.1"));
    // Fee: 0.01 × 50000.1 × 0.055% = 0.27500055.
    let w = ex.wallet(ALICE, "USDT").unwrap();
    assert_eq!(w.balance, d("10000") - d("0.27500055"));
}

#[test]
fn a_big_taker_walks_several_levels_at_their_prices() {
    let mut ex = exchange();
    let o = ex
        .place(
            ALICE,
            OrderRequest::market("BTCUSDT", Side::Sell, d("1")),
            T0,
        )
        .unwrap();
    let execs = ex.executions(ALICE);
    assert!(execs.len() > 1, "1 BTC is deeper than the best bid");
    assert_eq!(execs[0].price, d("50000"));
    assert!(execs.windows(2).all(|w| w[1].price < w[0].price));
    assert_eq!(execs.iter().map(|e| e.qty).sum::<Decimal>(), d("1"));
    assert_eq!(o.status, OrderStatus::Filled);
}

#[test]
fn a_resting_limit_fills_at_its_price_when_the_mark_crosses_it_and_pnl_is_realised() {
    let mut ex = exchange();
    let buy = ex
        .place(
            ALICE,
            OrderRequest::limit("BTCUSDT", Side::Buy, d("0.1"), d("49000")),
            T0,
        )
        .unwrap();
    assert_eq!(buy.status, OrderStatus::New);
    assert!(ex.wallet(ALICE, "USDT").unwrap().order_margin > Decimal::ZERO);
    ex.set_mark("BTCUSDT", d("48999.9"), T0 + 1);
    let buy = ex.order(ALICE, OrderRef::Id(&buy.id)).unwrap();
    assert_eq!(buy.status, OrderStatus::Filled);
    assert_eq!(ex.executions(ALICE)[0].price, d("49000"));
    assert!(ex.executions(ALICE)[0].maker);
    ex.set_mark("BTCUSDT", d("50000"), T0 + 2);
    let p = ex.position(ALICE, "BTCUSDT").unwrap();
    assert_eq!(p.unrealized_pnl, d("100"));
    let before = ex.wallet(ALICE, "USDT").unwrap().balance;
    ex.place(
        ALICE,
        OrderRequest::market("BTCUSDT", Side::Sell, d("0.1")),
        T0 + 3,
    )
    .unwrap();
    let after = ex.wallet(ALICE, "USDT").unwrap().balance;
    // Sold at the bid 50000: +100 realised, less 0.1 × 50000 × 0.055% = 2.75 fee.
    assert_eq!(after - before, d("97.25"));
    assert_eq!(ex.position(ALICE, "BTCUSDT").unwrap().size, Decimal::ZERO);
}

#[test]
fn inverse_pnl_is_paid_in_the_base_coin() {
    let mut ex = exchange();
    ex.place(
        ALICE,
        OrderRequest::market("BTCUSD", Side::Buy, d("1000")),
        T0,
    )
    .unwrap();
    let p = ex.position(ALICE, "BTCUSD").unwrap();
    assert_eq!(p.entry_price, d("50000.5"));
    ex.set_mark("BTCUSD", d("60000.5"), T0 + 1);
    ex.place(
        ALICE,
        OrderRequest::market("BTCUSD", Side::Sell, d("1000")),
        T0 + 2,
    )
    .unwrap();
    // 1000 USD × (1/50000.5 − 1/60000.5) BTC.
    let expected = d("1000") * (Decimal::ONE / d("50000.5") - Decimal::ONE / d("60000.5"));
    let got = ex.wallet(ALICE, "BTC").unwrap().balance - Decimal::ONE;
    assert!(
        (got - expected).abs() < d("0.00000001"),
        "{got} vs {expected}"
    );
}

#[test]
fn inverse_entries_average_harmonically() {
    let inst = btcusd();
    let mut pos = accounts::PositionState::default();
    accounts::apply_fill(&inst, &mut pos, d("100"), d("40000"));
    accounts::apply_fill(&inst, &mut pos, d("100"), d("60000"));
    // 200 / (100/40000 + 100/60000) = 48000.
    assert_eq!(pos.entry, d("48000"));
}

#[test]
fn refusals_change_nothing() {
    let mut ex = exchange();
    let off_tick = OrderRequest::limit("BTCUSDT", Side::Buy, d("0.01"), d("49000.05"));
    assert_eq!(
        ex.place(ALICE, off_tick, T0),
        Err(CoreError::PriceNotOnTick)
    );
    let off_lot = OrderRequest::limit("BTCUSDT", Side::Buy, d("0.0015"), d("49000"));
    assert_eq!(ex.place(ALICE, off_lot, T0), Err(CoreError::QtyNotOnLot));
    let too_big = OrderRequest::limit("BTCUSDT", Side::Buy, d("99"), d("49000"));
    assert_eq!(
        ex.place(ALICE, too_big, T0),
        Err(CoreError::InsufficientBalance)
    );
    let mut reduce = OrderRequest::market("BTCUSDT", Side::Sell, d("0.01"));
    reduce.reduce_only = true;
    assert_eq!(
        ex.place(ALICE, reduce, T0),
        Err(CoreError::ReduceOnlyWouldIncrease)
    );
    assert_eq!(
        ex.place(ALICE, OrderRequest::market("NOPE", Side::Buy, d("1")), T0),
        Err(CoreError::UnknownSymbol("NOPE".into()))
    );
    assert_eq!(ex.order_count(), 0);
    assert_eq!(ex.wallet(ALICE, "USDT").unwrap().balance, d("10000"));
}

#[test]
fn client_ids_are_unique_per_account_for_all_orders_or_open_ones() {
    let mut ex = exchange();
    ex.add_account("bob", &[("USDT", d("10000"))]);
    let mut req = OrderRequest::limit("BTCUSDT", Side::Buy, d("0.01"), d("49000"));
    req.client_id = Some("c1".into());
    ex.place(ALICE, req.clone(), T0).unwrap();
    assert_eq!(
        ex.place(ALICE, req.clone(), T0),
        Err(CoreError::DuplicateClientId)
    );
    ex.place("bob", req.clone(), T0).unwrap();
    ex.cancel(ALICE, OrderRef::ClientId("c1"), T0).unwrap();
    assert_eq!(
        ex.place(ALICE, req.clone(), T0),
        Err(CoreError::DuplicateClientId)
    );

    let mut open_scope = Exchange::new(
        CoreConfig {
            instruments: vec![btcusdt()],
            client_id_scope: ClientIdScope::OpenOrders,
            ..CoreConfig::default()
        },
        T0,
    );
    open_scope.add_account(ALICE, &[("USDT", d("10000"))]);
    open_scope.place(ALICE, req.clone(), T0).unwrap();
    assert_eq!(
        open_scope.place(ALICE, req.clone(), T0),
        Err(CoreError::DuplicateClientId)
    );
    open_scope
        .cancel(ALICE, OrderRef::ClientId("c1"), T0)
        .unwrap();
    assert!(open_scope.place(ALICE, req.clone(), T0).is_ok());

    let mut labels = Exchange::new(
        CoreConfig {
            instruments: vec![btcusdt()],
            client_id_scope: ClientIdScope::NotUnique,
            ..CoreConfig::default()
        },
        T0,
    );
    labels.add_account(ALICE, &[("USDT", d("10000"))]);
    let first = labels.place(ALICE, req.clone(), T0).unwrap();
    let second = labels.place(ALICE, req, T0).unwrap();
    let found = labels.order(ALICE, OrderRef::ClientId("c1")).unwrap();
    assert_eq!(found.id, second.id, "the latest order with the label");
    assert_ne!(first.id, second.id);
}

#[test]
fn ioc_fok_and_post_only_end_as_documented() {
    let mut ex = exchange();
    let mut ioc = OrderRequest::limit("BTCUSDT", Side::Buy, d("1"), d("50000.2"));
    ioc.time_in_force = TimeInForce::Ioc;
    let o = ex.place(ALICE, ioc, T0).unwrap();
    assert_eq!(o.status, OrderStatus::Cancelled);
    assert_eq!(o.cancel_reason, Some(CancelReason::Remainder));
    assert!(o.filled_qty > Decimal::ZERO && o.filled_qty < d("1"));

    let mut fok = OrderRequest::limit("BTCUSDT", Side::Buy, d("1"), d("50000.2"));
    fok.time_in_force = TimeInForce::Fok;
    let o = ex.place(ALICE, fok, T0).unwrap();
    assert_eq!(o.cancel_reason, Some(CancelReason::FokUnfillable));
    assert_eq!(o.filled_qty, Decimal::ZERO);

    let mut post = OrderRequest::limit("BTCUSDT", Side::Buy, d("0.01"), d("50010"));
    post.time_in_force = TimeInForce::PostOnly;
    let o = ex.place(ALICE, post, T0).unwrap();
    assert_eq!(o.cancel_reason, Some(CancelReason::PostOnlyWouldTake));
}

#[test]
fn a_stop_waits_untriggered_then_fires_when_the_mark_reaches_it() {
    let mut ex = exchange();
    let mut stop = OrderRequest::market("BTCUSDT", Side::Buy, d("0.01"));
    stop.trigger = Some(Trigger {
        price: d("50100"),
        by: TriggerBy::Mark,
        direction: TriggerDirection::Rise,
    });
    let o = ex.place(ALICE, stop.clone(), T0).unwrap();
    assert_eq!(o.status, OrderStatus::Untriggered);
    ex.set_mark("BTCUSDT", d("50099.9"), T0 + 1);
    assert_eq!(
        ex.order(ALICE, OrderRef::Id(&o.id)).unwrap().status,
        OrderStatus::Untriggered
    );
    ex.set_mark("BTCUSDT", d("50100"), T0 + 2);
    let o = ex.order(ALICE, OrderRef::Id(&o.id)).unwrap();
    assert!(o.triggered);
    assert_eq!(o.status, OrderStatus::Filled);
    // A trigger already reached is refused.
    assert_eq!(
        ex.place(ALICE, stop, T0 + 3),
        Err(CoreError::InvalidTrigger)
    );
}

#[test]
fn amend_moves_a_resting_order_and_a_crossing_price_takes() {
    let mut ex = exchange();
    let o = ex
        .place(
            ALICE,
            OrderRequest::limit("BTCUSDT", Side::Buy, d("0.01"), d("49000")),
            T0,
        )
        .unwrap();
    let amended = ex
        .amend(
            ALICE,
            OrderRef::Id(&o.id),
            Amend {
                qty: Some(d("0.02")),
                ..Amend::default()
            },
            T0,
        )
        .unwrap();
    assert_eq!(amended.qty, d("0.02"));
    let amended = ex
        .amend(
            ALICE,
            OrderRef::Id(&o.id),
            Amend {
                price: Some(d("50001")),
                ..Amend::default()
            },
            T0,
        )
        .unwrap();
    assert_eq!(amended.status, OrderStatus::Filled);
    assert_eq!(
        ex.amend(
            ALICE,
            OrderRef::Id(&o.id),
            Amend {
                qty: Some(d("0.03")),
                ..Amend::default()
            },
            T0
        ),
        Err(CoreError::OrderFinished)
    );
}

#[test]
fn cancel_all_by_symbol_and_lookups_keep_finished_orders() {
    let mut ex = exchange();
    let a = ex
        .place(
            ALICE,
            OrderRequest::limit("BTCUSDT", Side::Buy, d("0.01"), d("49000")),
            T0,
        )
        .unwrap();
    ex.place(
        ALICE,
        OrderRequest::limit("BTCUSD", Side::Buy, d("10"), d("49000")),
        T0,
    )
    .unwrap();
    assert_eq!(
        ex.cancel(ALICE, OrderRef::Id("nope"), T0),
        Err(CoreError::OrderNotFound)
    );
    assert_eq!(
        ex.cancel("bob", OrderRef::Id(&a.id), T0),
        Err(CoreError::OrderNotFound)
    );
    let filter = CancelFilter {
        symbol: Some("BTCUSDT".into()),
        ..CancelFilter::default()
    };
    let cancelled = ex.cancel_all(ALICE, &filter, T0);
    assert_eq!(cancelled.len(), 1);
    assert_eq!(ex.open_orders(ALICE, &CancelFilter::default()).len(), 1);
    let a = ex.order(ALICE, OrderRef::Id(&a.id)).unwrap();
    assert_eq!(a.status, OrderStatus::Cancelled);
    assert_eq!(
        ex.cancel(ALICE, OrderRef::Id(&a.id.clone()), T0),
        Err(CoreError::OrderFinished)
    );
    assert_eq!(ex.orders(ALICE).len(), 2);
}

#[test]
fn the_dead_man_cancels_when_its_countdown_runs_out_unless_rearmed() {
    let mut ex = exchange();
    ex.place(
        ALICE,
        OrderRequest::limit("BTCUSDT", Side::Buy, d("0.01"), d("49000")),
        T0,
    )
    .unwrap();
    ex.arm_dead_man(ALICE, "derivatives", T0 + 100, CancelFilter::default());
    assert!(ex.housekeep(T0 + 99).is_empty());
    ex.arm_dead_man(ALICE, "derivatives", T0 + 200, CancelFilter::default());
    assert!(ex.housekeep(T0 + 150).is_empty());
    let cancelled = ex.housekeep(T0 + 200);
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0].cancel_reason, Some(CancelReason::DeadMan));
    assert_eq!(ex.dead_man_deadline(ALICE, "derivatives"), None);
}

#[test]
fn leverage_and_margin_mode_and_a_liquidation_estimate() {
    let mut ex = exchange();
    assert_eq!(
        ex.set_leverage(ALICE, "BTCUSDT", d("101"), T0),
        Err(CoreError::InvalidLeverage)
    );
    ex.set_leverage(ALICE, "BTCUSDT", d("10"), T0).ok();
    ex.set_margin_mode(ALICE, "BTCUSDT", MarginMode::Isolated, T0)
        .unwrap();
    ex.place(
        ALICE,
        OrderRequest::market("BTCUSDT", Side::Buy, d("0.1")),
        T0,
    )
    .unwrap();
    assert_eq!(
        ex.set_margin_mode(ALICE, "BTCUSDT", MarginMode::Cross, T0),
        Err(CoreError::PositionOrOrdersOpen)
    );
    let p = ex.position(ALICE, "BTCUSDT").unwrap();
    // Isolated long at 10×: about entry × (1 − 1/10) / (1 − 0.005).
    assert!(
        p.liquidation_price > d("45000") && p.liquidation_price < d("45300"),
        "{}",
        p.liquidation_price
    );
    assert_eq!(p.initial_margin, d("500"));
}

#[test]
fn events_go_out_in_order_execution_then_order_position_wallet() {
    let mut ex = exchange();
    let mut rx = ex.subscribe();
    ex.place(
        ALICE,
        OrderRequest::market("BTCUSDT", Side::Buy, d("0.01")),
        T0,
    )
    .unwrap();
    let mut kinds = Vec::new();
    while let Ok(e) = rx.try_recv() {
        kinds.push(match e {
            Event::Order(o) => format!("order:{:?}", o.status),
            Event::Execution(_) => "execution".into(),
            Event::Position(_) => "position".into(),
            Event::Wallet(_) => "wallet".into(),
            Event::Trade(_) => "trade".into(),
            Event::Candle { .. } => "candle".into(),
            other => format!("{other:?}"),
        });
    }
    assert_eq!(
        kinds,
        [
            "order:New",
            "trade",
            "candle",
            "execution",
            "order:Filled",
            "position",
            "wallet"
        ]
    );
}

#[test]
fn candles_aggregate_minutes_newest_first() {
    let mut ex = exchange();
    let five = ex.candles("BTCUSDT", 5, None, None, 10, T0).unwrap();
    assert_eq!(five.len(), 10);
    assert!(
        five.windows(2)
            .all(|w| w[0].open_ms - w[1].open_ms == 5 * 60_000)
    );
    assert!(
        five.iter()
            .all(|c| c.open_ms % (5 * 60_000) == 0 && c.low <= c.high)
    );
}

#[test]
fn cross_liquidation_counts_the_whole_wallet() {
    let mut ex = exchange();
    ex.place(
        ALICE,
        OrderRequest::market("BTCUSDT", Side::Sell, d("0.1")),
        T0,
    )
    .unwrap();
    let p = ex.position(ALICE, "BTCUSDT").unwrap();
    let wallet = ex.wallet(ALICE, "USDT").unwrap().balance;
    // Short: (C + sE) / (s(1 + m)) with C the wallet, s = 0.1, E = 50000, m = 0.5%.
    let expected = (wallet + d("0.1") * d("50000")) / (d("0.1") * d("1.005"));
    assert!(
        (p.liquidation_price - expected).abs() <= d("0.1"),
        "{} vs {expected}",
        p.liquidation_price
    );
    // A long backed by a wallet worth more than the position is never liquidated.
    ex.place(
        ALICE,
        OrderRequest::market("BTCUSDT", Side::Buy, d("0.2")),
        T0,
    )
    .unwrap();
    assert_eq!(
        ex.position(ALICE, "BTCUSDT").unwrap().liquidation_price,
        Decimal::ZERO
    );
}
