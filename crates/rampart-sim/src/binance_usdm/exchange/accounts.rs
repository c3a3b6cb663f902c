//! Accounts and margin: one-way cross-margin positions, wallets with realised PnL, leverage,
//! margin figures and the liquidation price.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{Exchange, Order, Side};
use crate::binance_usdm::market::{self};
use crate::binance_usdm::{BinanceError, SimEvent};

/// A one-way (positionSide BOTH) cross-margin position.
#[derive(Debug, Clone, Default)]
pub(in crate::binance_usdm) struct Position {
    pub(in crate::binance_usdm) amt: Decimal,
    pub(in crate::binance_usdm) entry: Decimal,
    /// Accumulated realised PnL (`cr` in ACCOUNT_UPDATE).
    pub(in crate::binance_usdm) realized: Decimal,
    pub(in crate::binance_usdm) update_time: i64,
}

/// One account's wallet, leverage settings and positions.
pub(in crate::binance_usdm) struct Account {
    pub(in crate::binance_usdm) wallet: Decimal,
    pub(in crate::binance_usdm) leverage: HashMap<String, u32>,
    pub(in crate::binance_usdm) positions: HashMap<String, Position>,
    pub(in crate::binance_usdm) update_time: i64,
    /// Every execution of the account's orders, oldest first (`GET /fapi/v1/userTrades`).
    pub(in crate::binance_usdm) trades: Vec<AccountTrade>,
}

/// One execution of an account's order, as Account Trade List shows it.
#[derive(Debug, Clone)]
pub(in crate::binance_usdm) struct AccountTrade {
    pub(in crate::binance_usdm) id: u64,
    pub(in crate::binance_usdm) order_id: u64,
    pub(in crate::binance_usdm) symbol: String,
    pub(super) side: Side,
    pub(super) price: Decimal,
    pub(super) qty: Decimal,
    pub(super) realized_pnl: Decimal,
    pub(super) maker: bool,
    pub(in crate::binance_usdm) time: i64,
}

pub(super) const DEFAULT_LEVERAGE: u32 = 20;

impl Account {
    pub(in crate::binance_usdm) fn leverage(&self, symbol: &str) -> u32 {
        self.leverage
            .get(symbol)
            .copied()
            .unwrap_or(DEFAULT_LEVERAGE)
    }

    pub(in crate::binance_usdm) fn position(&self, symbol: &str) -> Position {
        self.positions.get(symbol).cloned().unwrap_or_default()
    }
}

/// One account's margin figures, all at the mark price.
#[derive(Debug, Clone, Copy, Default)]
pub(in crate::binance_usdm) struct Margins {
    pub(in crate::binance_usdm) wallet: Decimal,
    pub(in crate::binance_usdm) unrealized_pnl: Decimal,
    /// Initial margin of the positions.
    pub(in crate::binance_usdm) position_initial: Decimal,
    /// Initial margin held by open orders.
    pub(in crate::binance_usdm) open_order_initial: Decimal,
    pub(in crate::binance_usdm) maintenance: Decimal,
}

impl Margins {
    /// availableBalance: wallet + unrealised PnL − position and open-order initial margin.
    pub(in crate::binance_usdm) fn available(&self) -> Decimal {
        self.wallet + self.unrealized_pnl - self.position_initial - self.open_order_initial
    }
}

impl Exchange {
    /// The account's margin figures at the mark price (all zero for an unknown account). The
    /// open-order part reads only the account's open orders, one symbol at a time.
    pub(in crate::binance_usdm) fn margins(&self, api_key: &str) -> Margins {
        let Some(account) = self.accounts.get(api_key) else {
            return Margins::default();
        };
        let mut margins = Margins {
            wallet: account.wallet,
            ..Margins::default()
        };
        for m in &self.markets {
            let pos = account.position(m.symbol);
            let lev = Decimal::from(account.leverage(m.symbol));
            margins.unrealized_pnl += pos.amt * (m.mark - pos.entry);
            margins.position_initial += pos.amt.abs() * m.mark / lev;
            margins.maintenance += pos.amt.abs() * m.mark * market::maint_margin_rate(m.symbol);
            margins.open_order_initial += self.open_order_margin(api_key, m.symbol, m.mark, lev);
        }
        margins
    }

    pub(super) fn open_order_margin(
        &self,
        api_key: &str,
        symbol: &str,
        mark: Decimal,
        lev: Decimal,
    ) -> Decimal {
        self.orders
            .open_on(api_key, symbol)
            .map(|o| o.margin_at(mark) / lev)
            .sum()
    }

    /// availableBalance: wallet + unrealised PnL − position and open-order initial margin.
    pub(in crate::binance_usdm) fn available(&self, api_key: &str) -> Decimal {
        self.margins(api_key).available()
    }

    /// Sets an account's wallet balance and reports it (ACCOUNT_UPDATE, reason DEPOSIT).
    pub(in crate::binance_usdm) fn set_wallet(
        &mut self,
        api_key: &str,
        balance: Decimal,
        now: i64,
    ) -> bool {
        let Some(account) = self.accounts.get_mut(api_key) else {
            return false;
        };
        let change = balance - account.wallet;
        account.wallet = balance;
        account.update_time = now;
        self.publish(SimEvent::user(
            api_key.to_owned(),
            json!({
                "e": "ACCOUNT_UPDATE",
                "E": now,
                "T": now,
                "a": {
                    "m": "DEPOSIT",
                    "B": [{
                        "a": "USDT",
                        "wb": balance.to_string(),
                        "cw": balance.to_string(),
                        "bc": change.to_string()
                    }],
                    "P": []
                }
            }),
        ));
        true
    }

    /// Sets the leverage of `symbol`; `POST /fapi/v1/leverage`'s answer.
    pub(in crate::binance_usdm) fn set_leverage(
        &mut self,
        api_key: &str,
        symbol: &str,
        leverage: u32,
    ) -> Result<Value, BinanceError> {
        if self.market(symbol).is_none() {
            return Err(BinanceError::InvalidSymbol);
        }
        if !(1..=125).contains(&leverage) {
            return Err(BinanceError::InvalidLeverage(leverage.to_string()));
        }
        let account = self
            .accounts
            .get_mut(api_key)
            .ok_or(BinanceError::RejectedKey)?;
        account.leverage.insert(symbol.to_owned(), leverage);
        Ok(json!({
            "leverage": leverage,
            "maxNotionalValue": market::max_notional(leverage).to_string(),
            "symbol": symbol,
        }))
    }

    /// Cross-margin liquidation price of `symbol`'s position, in the shape of Binance's
    /// documented one-way formula
    /// `LP = (WB − TMM1 + UPNL1 + cumB − Side × |Position| × EP) / (|Position| × MMR − Side × |Position|)`
    /// where WB is the cross wallet balance and TMM1 / UPNL1 the maintenance margin and
    /// unrealised PnL of every *other* position. Simplified: one maintenance bracket per
    /// symbol, so the maintenance amount `cumB` is 0; no hedge-mode legs. "0" when the
    /// position is empty or the formula gives a non-positive price.
    pub(in crate::binance_usdm) fn liquidation_price(
        &self,
        api_key: &str,
        symbol: &str,
    ) -> Decimal {
        let Some(account) = self.accounts.get(api_key) else {
            return Decimal::ZERO;
        };
        let pos = account.position(symbol);
        if pos.amt.is_zero() {
            return Decimal::ZERO;
        }
        let (mut tmm_others, mut upnl_others) = (Decimal::ZERO, Decimal::ZERO);
        for m in self.markets.iter().filter(|m| m.symbol != symbol) {
            let other = account.position(m.symbol);
            tmm_others += other.amt.abs() * m.mark * market::maint_margin_rate(m.symbol);
            upnl_others += other.amt * (m.mark - other.entry);
        }
        let side = if pos.amt > Decimal::ZERO {
            Decimal::ONE
        } else {
            Decimal::NEGATIVE_ONE
        };
        let size = pos.amt.abs();
        let mmr = market::maint_margin_rate(symbol);
        let numerator = account.wallet - tmm_others + upnl_others - side * size * pos.entry;
        let denominator = size * mmr - side * size;
        if denominator.is_zero() {
            return Decimal::ZERO;
        }
        let lp = numerator
            .checked_div(denominator)
            .unwrap_or(Decimal::ZERO)
            .round_dp(8);
        lp.max(Decimal::ZERO)
    }
}

/// The price an open order's margin is reckoned at.
pub(super) fn order_price(order: &Order, mark: Decimal) -> Decimal {
    if !order.price.is_zero() {
        order.price
    } else {
        mark
    }
}

/// Applies a fill of signed quantity `q` at `price` to the position: the entry price is
/// volume-weighted on increase and kept on reduce; the realised PnL of the reduced part goes
/// into the wallet; on a flip the remainder opens at `price`. Returns the realised PnL.
pub(super) fn apply_fill(
    account: &mut Account,
    symbol: &str,
    q: Decimal,
    price: Decimal,
    now: i64,
) -> Decimal {
    let pos = account.positions.entry(symbol.to_owned()).or_default();
    let mut realized = Decimal::ZERO;
    if pos.amt.is_zero() || pos.amt.is_sign_positive() == q.is_sign_positive() {
        let size = pos.amt.abs() + q.abs();
        pos.entry = ((pos.amt.abs() * pos.entry + q.abs() * price) / size)
            .round_dp(8)
            .normalize();
        pos.amt += q;
    } else {
        let closing = q.abs().min(pos.amt.abs());
        let direction = if pos.amt > Decimal::ZERO {
            Decimal::ONE
        } else {
            Decimal::NEGATIVE_ONE
        };
        realized = closing * (price - pos.entry) * direction;
        pos.amt += q;
        if pos.amt.is_zero() {
            pos.entry = Decimal::ZERO;
        } else if pos.amt.is_sign_positive() == q.is_sign_positive() {
            pos.entry = price;
        }
    }
    pos.realized += realized;
    pos.update_time = now;
    account.wallet += realized;
    account.update_time = now;
    realized
}
