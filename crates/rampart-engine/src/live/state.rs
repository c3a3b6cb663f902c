//! One account's live state: what the workspace's tables show (open orders, positions, balances,
//! recent fills, the stream's health), built from the account feed's updates and from the REST
//! reads that follow each (re)connect. No I/O here: [`AccountLive::apply`] and
//! [`AccountLive::resynced`] are the whole of how the state changes.

use rampart_core::feed::{
    AccountUpdate, BalanceChange, Candle, CandleInterval, Fill, MarketUpdate, PositionChange,
    PublicTrade,
};
use rampart_core::trading::{Balance, MarkPrice, OrderBook, OrderState, Position};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Fills kept per account, newest first.
pub const MAX_FILLS: usize = 200;

/// The account stream's health, as the status bar shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "state", content = "message")]
#[ts(rename_all = "camelCase", tag = "state", content = "message")]
pub enum StreamState {
    Connecting,
    /// Connected; the tables are current.
    Live,
    /// The connection dropped (the reason); reconnecting. The tables show the last known state.
    Lost(String),
    /// The venue refused the stream (the reason); no live updates until the account reconnects.
    Stopped(String),
}

/// What the workspace shows for one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct AccountLive {
    pub account_id: String,
    pub stream: StreamState,
    /// When the tables were last read again over REST after a (re)connect (local ms).
    #[ts(type = "number | null")]
    pub resynced_ms: Option<i64>,
    /// Why the last REST read failed, until one succeeds.
    pub resync_error: Option<String>,
    /// Open orders, the most recently changed first.
    pub open_orders: Vec<OrderState>,
    pub positions: Vec<Position>,
    pub balances: Vec<Balance>,
    /// The latest fills, newest first (at most [`MAX_FILLS`]).
    pub fills: Vec<Fill>,
    /// Grows with every change, so a reader can tell whether anything moved.
    #[ts(type = "number")]
    pub version: u64,
}

/// What an update changed that the stream message cannot fill in: a position's mark and
/// liquidation price, a balance's available amount. The owner reads them again over REST.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NeedsRead {
    pub positions: bool,
    pub balances: bool,
    /// Everything, open orders included (a resync that failed).
    pub orders: bool,
}

impl NeedsRead {
    pub const fn all() -> Self {
        Self {
            positions: true,
            balances: true,
            orders: true,
        }
    }
}

impl AccountLive {
    pub fn new(account_id: &str) -> Self {
        Self {
            account_id: account_id.to_owned(),
            stream: StreamState::Connecting,
            resynced_ms: None,
            resync_error: None,
            open_orders: Vec::new(),
            positions: Vec::new(),
            balances: Vec::new(),
            fills: Vec::new(),
            version: 0,
        }
    }

    pub fn set_stream(&mut self, stream: StreamState) {
        if self.stream != stream {
            self.stream = stream;
            self.version += 1;
        }
    }

    /// Applies one update from the account feed.
    pub fn apply(&mut self, update: AccountUpdate) -> NeedsRead {
        self.version += 1;
        match update {
            AccountUpdate::Order(order) => {
                self.upsert_order(order);
                NeedsRead::default()
            }
            AccountUpdate::Fill(fill) => {
                let seen = self.fills.iter().any(|f| {
                    f.trade_id == fill.trade_id
                        && f.venue_order_id == fill.venue_order_id
                        && f.symbol == fill.symbol
                });
                if !seen {
                    self.fills.insert(0, fill);
                    self.fills.truncate(MAX_FILLS);
                }
                NeedsRead::default()
            }
            AccountUpdate::Positions(changes) => {
                let mut needs = NeedsRead {
                    positions: true,
                    ..NeedsRead::default()
                };
                for change in changes {
                    needs.positions &= self.change_position(change);
                }
                // A changed position changes what the balance has available.
                needs.balances = true;
                needs
            }
            AccountUpdate::Balances(changes) => {
                for change in changes {
                    self.change_balance(change);
                }
                NeedsRead {
                    balances: true,
                    ..NeedsRead::default()
                }
            }
        }
    }

    /// The tables as the venue's REST endpoints gave them after a (re)connect; fills stay (the
    /// venue's stream is their only source here).
    pub fn resynced(
        &mut self,
        open_orders: Vec<OrderState>,
        positions: Vec<Position>,
        balances: Vec<Balance>,
        now_ms: i64,
    ) {
        let mut open_orders: Vec<OrderState> = open_orders
            .into_iter()
            .filter(|o| o.status.is_open())
            .collect();
        open_orders.sort_by_key(|o| std::cmp::Reverse(o.updated_ms));
        self.open_orders = open_orders;
        self.positions = positions.into_iter().filter(|p| !p.qty.is_zero()).collect();
        self.balances = balances;
        self.resynced_ms = Some(now_ms);
        self.resync_error = None;
        self.version += 1;
    }

    /// Positions as the venue's REST endpoint gave them (mark, liquidation and leverage
    /// included).
    pub fn positions_read(&mut self, positions: Vec<Position>) {
        self.positions = positions.into_iter().filter(|p| !p.qty.is_zero()).collect();
        self.version += 1;
    }

    pub fn balances_read(&mut self, balances: Vec<Balance>) {
        self.balances = balances;
        self.version += 1;
    }

    pub fn resync_failed(&mut self, why: String) {
        self.resync_error = Some(why);
        self.version += 1;
    }

    fn upsert_order(&mut self, order: OrderState) {
        let existing = self.open_orders.iter().position(|o| {
            o.symbol == order.symbol
                && (o.venue_order_id == order.venue_order_id
                    || o.client_order_id == order.client_order_id)
        });
        if let Some(i) = existing {
            // An older message than what is shown (streams and REST reads can cross): keep the
            // newer one.
            if self.open_orders[i].updated_ms > order.updated_ms {
                return;
            }
            self.open_orders.remove(i);
        }
        if order.status.is_open() {
            self.open_orders.insert(0, order);
        }
    }

    /// Applies a position change; returns whether the position still needs its REST fields
    /// (mark, liquidation) read.
    fn change_position(&mut self, change: PositionChange) -> bool {
        let i = self
            .positions
            .iter()
            .position(|p| p.symbol == change.symbol && p.position_side == change.position_side);
        match (i, change.qty.is_zero()) {
            (Some(i), true) => {
                self.positions.remove(i);
                false
            }
            (None, true) => false,
            (Some(i), false) => {
                let p = &mut self.positions[i];
                p.qty = change.qty;
                p.entry_price = change.entry_price;
                p.unrealized_pnl = change.unrealized_pnl;
                if change.margin_mode.is_some() {
                    p.margin_mode = change.margin_mode;
                }
                true
            }
            (None, false) => {
                // Mark unknown until the REST read: the entry stands in for it, PnL as sent.
                self.positions.push(Position {
                    symbol: change.symbol,
                    position_side: change.position_side,
                    margin_mode: change.margin_mode,
                    qty: change.qty,
                    entry_price: change.entry_price,
                    mark_price: change.entry_price,
                    unrealized_pnl: change.unrealized_pnl,
                    leverage: None,
                    liquidation_price: None,
                    greeks: None,
                });
                true
            }
        }
    }

    fn change_balance(&mut self, change: BalanceChange) {
        match self.balances.iter_mut().find(|b| b.asset == change.asset) {
            Some(b) => b.wallet = change.wallet,
            None => self.balances.push(Balance {
                asset: change.asset,
                wallet: change.wallet,
                // Until the REST read says what orders may use.
                available: rust_decimal::Decimal::ZERO,
                unrealized_pnl: rust_decimal::Decimal::ZERO,
            }),
        }
    }
}

/// Public trades kept for the watched instrument, newest first.
pub const MAX_TRADES: usize = 50;

/// What the workspace shows of the instrument it watches: mark, book, the latest trades and
/// the current candle (with the one that closed before it, so a candle's final state is never
/// skipped between two hand-overs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct MarketLive {
    pub account_id: String,
    pub symbol: String,
    pub interval: CandleInterval,
    pub stream: StreamState,
    pub mark: Option<MarkPrice>,
    pub book: Option<OrderBook>,
    /// Newest first, at most [`MAX_TRADES`].
    pub trades: Vec<PublicTrade>,
    pub candle: Option<Candle>,
    pub previous_candle: Option<Candle>,
    /// Messages the venue sent for this instrument over the last second (every stream behind
    /// the feed: mark, trades, candles, book).
    pub messages_per_s: u32,
    #[ts(type = "number")]
    pub version: u64,
}

impl MarketLive {
    pub fn new(account_id: &str, symbol: &str, interval: CandleInterval) -> Self {
        Self {
            account_id: account_id.to_owned(),
            symbol: symbol.to_owned(),
            interval,
            stream: StreamState::Connecting,
            mark: None,
            book: None,
            trades: Vec::new(),
            candle: None,
            previous_candle: None,
            messages_per_s: 0,
            version: 0,
        }
    }

    pub fn set_stream(&mut self, stream: StreamState) {
        if self.stream != stream {
            self.stream = stream;
            self.version += 1;
        }
    }

    pub fn set_message_rate(&mut self, per_s: u32) {
        if self.messages_per_s != per_s {
            self.messages_per_s = per_s;
            self.version += 1;
        }
    }

    pub fn apply(&mut self, update: MarketUpdate) {
        self.version += 1;
        match update {
            MarketUpdate::Mark(mark) => self.mark = Some(mark),
            MarketUpdate::Book(book) => self.book = Some(book),
            MarketUpdate::Trade(trade) => {
                self.trades.insert(0, trade);
                self.trades.truncate(MAX_TRADES);
            }
            MarketUpdate::Candle { interval, candle } if interval == self.interval => {
                match &self.candle {
                    Some(current) if current.open_time_ms < candle.open_time_ms => {
                        self.previous_candle = Some(Candle {
                            closed: true,
                            ..*current
                        });
                        self.candle = Some(candle);
                    }
                    // A late message about a candle already behind us.
                    Some(current) if current.open_time_ms > candle.open_time_ms => {}
                    _ => self.candle = Some(candle),
                }
            }
            MarketUpdate::Candle { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use rampart_core::Side;
    use rampart_core::trading::{OrderStatus, PositionSide};
    use rust_decimal::Decimal;

    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn order(cid: &str, status: OrderStatus, updated_ms: i64) -> OrderState {
        OrderState {
            symbol: "BTCUSDT".into(),
            venue_order_id: format!("v-{cid}"),
            client_order_id: cid.into(),
            side: Side::Buy,
            order_type: Some(rampart_core::OrderType::Limit),
            status,
            qty: d("1"),
            filled_qty: Decimal::ZERO,
            price: Some(d("100")),
            trigger_price: None,
            avg_fill_price: None,
            reduce_only: false,
            position_side: PositionSide::Net,
            updated_ms,
        }
    }

    fn fill(trade: &str) -> Fill {
        Fill {
            symbol: "BTCUSDT".into(),
            venue_order_id: "v-a".into(),
            client_order_id: "a".into(),
            trade_id: trade.into(),
            side: Side::Buy,
            qty: d("0.5"),
            price: d("100"),
            fee: Decimal::ZERO,
            fee_asset: None,
            maker: false,
            realized_pnl: Decimal::ZERO,
            time_ms: 1,
        }
    }

    fn change(qty: &str, entry: &str) -> PositionChange {
        PositionChange {
            symbol: "BTCUSDT".into(),
            position_side: PositionSide::Net,
            margin_mode: None,
            qty: d(qty),
            entry_price: d(entry),
            unrealized_pnl: Decimal::ZERO,
        }
    }

    #[test]
    fn open_orders_come_and_go_with_their_status_and_the_newest_change_wins() {
        let mut live = AccountLive::new("acc");
        live.apply(AccountUpdate::Order(order("a", OrderStatus::Open, 10)));
        live.apply(AccountUpdate::Order(order("b", OrderStatus::Open, 11)));
        assert_eq!(
            live.open_orders
                .iter()
                .map(|o| o.client_order_id.as_str())
                .collect::<Vec<_>>(),
            ["b", "a"]
        );
        live.apply(AccountUpdate::Order(order(
            "a",
            OrderStatus::PartiallyFilled,
            12,
        )));
        assert_eq!(live.open_orders[0].status, OrderStatus::PartiallyFilled);
        assert_eq!(live.open_orders.len(), 2);
        // A late, older message does not bring back an older state.
        live.apply(AccountUpdate::Order(order("a", OrderStatus::Open, 9)));
        assert_eq!(live.open_orders[0].status, OrderStatus::PartiallyFilled);
        live.apply(AccountUpdate::Order(order("a", OrderStatus::Filled, 13)));
        live.apply(AccountUpdate::Order(order("b", OrderStatus::Cancelled, 14)));
        assert!(live.open_orders.is_empty());
    }

    #[test]
    fn fills_are_newest_first_kept_once_and_capped() {
        let mut live = AccountLive::new("acc");
        live.apply(AccountUpdate::Fill(fill("1")));
        live.apply(AccountUpdate::Fill(fill("2")));
        live.apply(AccountUpdate::Fill(fill("2")));
        assert_eq!(
            live.fills
                .iter()
                .map(|f| f.trade_id.as_str())
                .collect::<Vec<_>>(),
            ["2", "1"]
        );
        for i in 3..(MAX_FILLS + 10) {
            live.apply(AccountUpdate::Fill(fill(&i.to_string())));
        }
        assert_eq!(live.fills.len(), MAX_FILLS);
        assert_eq!(live.fills[0].trade_id, (MAX_FILLS + 9).to_string());
    }

    #[test]
    fn positions_open_change_and_close_and_ask_for_their_rest_fields() {
        let mut live = AccountLive::new("acc");
        let needs = live.apply(AccountUpdate::Positions(vec![change("0.002", "60000")]));
        assert_eq!(
            needs,
            NeedsRead {
                positions: true,
                balances: true,
                orders: false
            }
        );
        assert_eq!(live.positions[0].qty, d("0.002"));
        // Known only after the REST read.
        assert_eq!(live.positions[0].liquidation_price, None);
        let mut read = live.positions[0].clone();
        read.mark_price = d("60010");
        read.liquidation_price = Some(d("30000"));
        live.positions_read(vec![read]);
        live.apply(AccountUpdate::Positions(vec![change("0.004", "60005")]));
        let p = &live.positions[0];
        assert_eq!((p.qty, p.entry_price), (d("0.004"), d("60005")));
        assert_eq!(p.liquidation_price, Some(d("30000")));
        let needs = live.apply(AccountUpdate::Positions(vec![change("0", "0")]));
        assert!(live.positions.is_empty());
        assert!(!needs.positions && needs.balances);
    }

    #[test]
    fn balances_change_their_wallet_and_a_resync_replaces_the_tables_but_not_the_fills() {
        let mut live = AccountLive::new("acc");
        let needs = live.apply(AccountUpdate::Balances(vec![BalanceChange {
            asset: "USDT".into(),
            wallet: d("1000"),
        }]));
        assert!(needs.balances && !needs.positions);
        assert_eq!(live.balances[0].wallet, d("1000"));
        live.apply(AccountUpdate::Fill(fill("1")));
        live.apply(AccountUpdate::Order(order("gone", OrderStatus::Open, 1)));
        let before = live.version;
        live.resynced(
            vec![
                order("x", OrderStatus::Open, 5),
                order("y", OrderStatus::Open, 7),
                order("z", OrderStatus::Filled, 8),
            ],
            Vec::new(),
            vec![Balance {
                asset: "USDT".into(),
                wallet: d("990"),
                available: d("900"),
                unrealized_pnl: Decimal::ZERO,
            }],
            42,
        );
        assert!(live.version > before);
        assert_eq!(
            live.open_orders
                .iter()
                .map(|o| o.client_order_id.as_str())
                .collect::<Vec<_>>(),
            ["y", "x"]
        );
        assert_eq!(live.balances[0].available, d("900"));
        assert_eq!(live.fills.len(), 1);
        assert_eq!(live.resynced_ms, Some(42));
    }

    fn candle(open_time_ms: i64, close: &str) -> Candle {
        Candle {
            open_time_ms,
            open: d("1"),
            high: d("2"),
            low: d("1"),
            close: d(close),
            volume: d("1"),
            closed: false,
        }
    }

    #[test]
    fn the_watched_market_keeps_its_latest_trades_and_the_candle_that_just_closed() {
        let mut m = MarketLive::new("acc", "BTCUSDT", CandleInterval::M1);
        for i in 0..(MAX_TRADES + 5) {
            m.apply(MarketUpdate::Trade(PublicTrade {
                price: Decimal::from(i),
                qty: d("1"),
                taker_side: Side::Buy,
                time_ms: i64::try_from(i).unwrap(),
            }));
        }
        assert_eq!(m.trades.len(), MAX_TRADES);
        assert_eq!(m.trades[0].price, Decimal::from(MAX_TRADES + 4));
        let one = |c| MarketUpdate::Candle {
            interval: CandleInterval::M1,
            candle: c,
        };
        m.apply(one(candle(60_000, "1.5")));
        m.apply(one(candle(60_000, "1.7")));
        m.apply(one(candle(120_000, "1.8")));
        assert_eq!(m.candle.unwrap().open_time_ms, 120_000);
        let prev = m.previous_candle.unwrap();
        assert_eq!(
            (prev.open_time_ms, prev.close, prev.closed),
            (60_000, d("1.7"), true)
        );
        // A late message for an older candle, or another interval's, changes nothing shown.
        m.apply(one(candle(60_000, "9")));
        m.apply(MarketUpdate::Candle {
            interval: CandleInterval::H1,
            candle: candle(0, "9"),
        });
        assert_eq!(m.candle.unwrap().close, d("1.8"));
        assert_eq!(m.previous_candle.unwrap().close, d("1.7"));
    }
}
