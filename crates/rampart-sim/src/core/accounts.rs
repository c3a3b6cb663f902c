//! Accounts: wallets per coin, one-way positions (average entry, realised PnL with linear and
//! inverse math), leverage and margin mode per symbol, margin figures and a liquidation price
//! estimate.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;

use super::market::Market;
use super::types::{
    CancelFilter, CancelReason, ContractKind, Instrument, MarginMode, Position, Wallet,
};
use super::{CoreError, Event, Exchange, OptionKind};

/// A short option's initial margin per coin of underlying, before its mark: Deribit's
/// standard-margin rule for BTC options (/articles/margin-calculations, "Options"): the larger
/// of 0.15 less the out-of-the-money amount over the underlying price, and 0.10; the option's
/// mark is added on top.
const SHORT_OPTION_IM: Decimal = Decimal::from_parts(15, 0, 0, false, 2);
const SHORT_OPTION_IM_FLOOR: Decimal = Decimal::from_parts(10, 0, 0, false, 2);
/// A short option's maintenance margin per coin, before its mark.
const SHORT_OPTION_MM: Decimal = Decimal::from_parts(75, 0, 0, false, 3);

/// A symbol's settings for one account.
#[derive(Debug, Clone, Copy)]
pub(super) struct SymbolSettings {
    pub(super) leverage: Decimal,
    pub(super) margin_mode: MarginMode,
}

/// A one-way position as kept.
#[derive(Debug, Clone, Default)]
pub(super) struct PositionState {
    pub(super) size: Decimal,
    pub(super) entry: Decimal,
    pub(super) realized: Decimal,
    pub(super) updated_ms: i64,
}

#[derive(Default)]
pub(super) struct AccountState {
    pub(super) wallets: BTreeMap<String, Decimal>,
    pub(super) settings: HashMap<String, SymbolSettings>,
    pub(super) positions: HashMap<String, PositionState>,
    pub(super) executions: Vec<super::Execution>,
}

/// Applies a fill of signed `q` contracts at `price` to a position: the entry is averaged on an
/// increase (arithmetically for linear, harmonically for inverse), kept on a reduce, and reset
/// to `price` for the remainder of a flip. Returns the realised PnL (before fees).
pub(super) fn apply_fill(
    inst: &Instrument,
    pos: &mut PositionState,
    q: Decimal,
    price: Decimal,
) -> Decimal {
    let mut realized = Decimal::ZERO;
    if pos.size.is_zero() || pos.size.is_sign_positive() == q.is_sign_positive() {
        let (held, add) = (pos.size.abs(), q.abs());
        pos.entry = match inst.kind {
            ContractKind::Linear => (held * pos.entry + add * price)
                .checked_div(held + add)
                .unwrap_or(price),
            ContractKind::Inverse => {
                let weight = |qty: Decimal, p: Decimal| qty.checked_div(p).unwrap_or_default();
                (held + add)
                    .checked_div(weight(held, pos.entry) + weight(add, price))
                    .unwrap_or(price)
            }
        }
        .round_dp(8)
        .normalize();
        pos.size += q;
    } else {
        let closing = q.abs().min(pos.size.abs());
        let closed = if pos.size > Decimal::ZERO {
            closing
        } else {
            -closing
        };
        realized = inst.pnl(closed, pos.entry, price);
        pos.size += q;
        if pos.size.is_zero() {
            pos.entry = Decimal::ZERO;
        } else if pos.size.is_sign_positive() == q.is_sign_positive() {
            pos.entry = price;
        }
    }
    realized
}

impl Exchange {
    fn settings(&self, account: &AccountState, symbol: &str) -> SymbolSettings {
        account
            .settings
            .get(symbol)
            .copied()
            .unwrap_or(SymbolSettings {
                leverage: self.config.default_leverage,
                margin_mode: MarginMode::Cross,
            })
    }

    /// Sets the leverage of `symbol` for `account` (1 ..= the instrument's maximum); publishes
    /// the position.
    pub fn set_leverage(
        &mut self,
        account: &str,
        symbol: &str,
        leverage: Decimal,
        now: i64,
    ) -> Result<(), CoreError> {
        let inst = self
            .instrument(symbol)
            .ok_or_else(|| CoreError::UnknownSymbol(symbol.to_owned()))?;
        if leverage < Decimal::ONE || leverage > inst.max_leverage {
            return Err(CoreError::InvalidLeverage);
        }
        let state = self
            .accounts
            .get(account)
            .ok_or(CoreError::UnknownAccount)?;
        let mut settings = self.settings(state, symbol);
        if settings.leverage == leverage {
            return Err(CoreError::Unchanged);
        }
        settings.leverage = leverage;
        if let Some(state) = self.accounts.get_mut(account) {
            state.settings.insert(symbol.to_owned(), settings);
        }
        self.publish_position(account, symbol, now);
        Ok(())
    }

    /// Sets how `symbol` is margined for `account`; refused while a position or open order
    /// exists on it.
    pub fn set_margin_mode(
        &mut self,
        account: &str,
        symbol: &str,
        mode: MarginMode,
        now: i64,
    ) -> Result<(), CoreError> {
        if self.instrument(symbol).is_none() {
            return Err(CoreError::UnknownSymbol(symbol.to_owned()));
        }
        let state = self
            .accounts
            .get(account)
            .ok_or(CoreError::UnknownAccount)?;
        let mut settings = self.settings(state, symbol);
        if settings.margin_mode == mode {
            return Err(CoreError::Unchanged);
        }
        let has_position = state
            .positions
            .get(symbol)
            .is_some_and(|p| !p.size.is_zero());
        let has_orders = self
            .orders
            .open_orders()
            .any(|o| o.account == account && o.symbol == symbol);
        if has_position || has_orders {
            return Err(CoreError::PositionOrOrdersOpen);
        }
        settings.margin_mode = mode;
        if let Some(state) = self.accounts.get_mut(account) {
            state.settings.insert(symbol.to_owned(), settings);
        }
        self.publish_position(account, symbol, now);
        Ok(())
    }

    /// Adds `amount` (negative: takes it away) to `account`'s `coin` wallet; publishes it.
    pub fn deposit(
        &mut self,
        account: &str,
        coin: &str,
        amount: Decimal,
        now: i64,
    ) -> Result<(), CoreError> {
        let state = self
            .accounts
            .get_mut(account)
            .ok_or(CoreError::UnknownAccount)?;
        *state.wallets.entry(coin.to_owned()).or_default() += amount;
        let _ = now;
        self.publish_wallet(account, coin);
        Ok(())
    }

    /// `account`'s position on `symbol` at the mark (flat when it never traded it); `None` for
    /// an unknown account or symbol.
    ///
    /// The liquidation price is an estimate with one maintenance tier. Isolated: the price at
    /// which the position's initial margin (value at entry / leverage) less its loss meets the
    /// maintenance margin. Cross: the same with the coin's wallet balance, plus the other
    /// positions' unrealised PnL less their maintenance margin, in place of the initial margin.
    pub fn position(&self, account: &str, symbol: &str) -> Option<Position> {
        let state = self.accounts.get(account)?;
        let m = self.market(symbol)?;
        let inst = &m.inst;
        let settings = self.settings(state, symbol);
        let pos = state.positions.get(symbol).cloned().unwrap_or_default();
        if inst.is_option() {
            return Some(self.option_position(account, m, &pos, settings));
        }
        let value = inst.notional(pos.size.abs(), m.mark);
        let unrealized = inst.pnl(pos.size, pos.entry, m.mark);
        let initial = (value / settings.leverage).round_dp(8);
        let maintenance = (value * inst.maintenance_rate).round_dp(8);
        let liquidation = if pos.size.is_zero() {
            Decimal::ZERO
        } else {
            let cushion = match settings.margin_mode {
                MarginMode::Isolated => {
                    inst.notional(pos.size.abs(), pos.entry) / settings.leverage
                }
                MarginMode::Cross => {
                    let others = self.other_positions(state, symbol, &inst.settle);
                    state.wallets.get(&inst.settle).copied().unwrap_or_default() + others
                }
            };
            liquidation_price(inst, pos.size, pos.entry, cushion)
        };
        Some(Position {
            account: account.to_owned(),
            symbol: symbol.to_owned(),
            size: pos.size,
            entry_price: pos.entry,
            mark_price: m.mark,
            leverage: settings.leverage,
            margin_mode: settings.margin_mode,
            value: value.round_dp(8),
            unrealized_pnl: unrealized.round_dp(8),
            realized_pnl: pos.realized.round_dp(8),
            initial_margin: initial,
            maintenance_margin: maintenance,
            liquidation_price: liquidation,
            greeks: None,
            updated_ms: pos.updated_ms,
        })
    }

    /// An option position: valued at the option's mark (|size| × value × mark); its
    /// unrealised PnL is size × value × (mark − entry); a long holds no margin (its premium is
    /// paid), a short holds [`Exchange::short_option_margin`]; greeks are the option's times
    /// the signed size in coins.
    fn option_position(
        &self,
        account: &str,
        m: &Market,
        pos: &PositionState,
        settings: SymbolSettings,
    ) -> Position {
        let inst = &m.inst;
        let coins = pos.size * inst.contract_value;
        let (initial, maintenance) = if pos.size < Decimal::ZERO {
            self.short_option_margin(inst, pos.size.abs(), m.mark)
        } else {
            (Decimal::ZERO, Decimal::ZERO)
        };
        Position {
            account: account.to_owned(),
            symbol: inst.symbol.clone(),
            size: pos.size,
            entry_price: pos.entry,
            mark_price: m.mark,
            leverage: settings.leverage,
            margin_mode: settings.margin_mode,
            value: (coins.abs() * m.mark).round_dp(8),
            unrealized_pnl: inst.pnl(pos.size, pos.entry, m.mark).round_dp(8),
            realized_pnl: pos.realized.round_dp(8),
            initial_margin: initial,
            maintenance_margin: maintenance,
            liquidation_price: Decimal::ZERO,
            greeks: m.quote.as_ref().map(|q| q.greeks.scaled(coins)),
            updated_ms: pos.updated_ms,
        }
    }

    /// The initial and maintenance margin (settle coin) of `qty` short of an option at
    /// `price`: per coin, max(0.15 − OTM / underlying, 0.10) + price, and 0.075 + price.
    pub(super) fn short_option_margin(
        &self,
        inst: &Instrument,
        qty: Decimal,
        price: Decimal,
    ) -> (Decimal, Decimal) {
        let coins = qty * inst.contract_value;
        let Some(spec) = &inst.option else {
            return (Decimal::ZERO, Decimal::ZERO);
        };
        let underlying = self
            .market(&spec.underlying)
            .map_or(Decimal::ZERO, |u| u.index);
        let otm = match spec.kind {
            OptionKind::Call => (spec.strike - underlying).max(Decimal::ZERO),
            OptionKind::Put => (underlying - spec.strike).max(Decimal::ZERO),
        };
        let otm_share = otm.checked_div(underlying).unwrap_or_default();
        let im = (SHORT_OPTION_IM - otm_share).max(SHORT_OPTION_IM_FLOOR) + price;
        let mm = SHORT_OPTION_MM + price;
        ((coins * im).round_dp(8), (coins * mm).round_dp(8))
    }

    /// Unrealised PnL less maintenance margin of the account's positions in `coin` other than
    /// `symbol`'s.
    fn other_positions(&self, state: &AccountState, symbol: &str, coin: &str) -> Decimal {
        self.markets
            .iter()
            .filter(|m| m.inst.symbol != symbol && m.inst.settle == coin)
            .filter_map(|m| state.positions.get(&m.inst.symbol).map(|p| (m, p)))
            .map(|(m, p)| {
                m.inst.pnl(p.size, p.entry, m.mark)
                    - m.inst.notional(p.size.abs(), m.mark) * m.inst.maintenance_rate
            })
            .sum()
    }

    /// Every position of `account` that is open or was ever traded or configured.
    pub fn positions(&self, account: &str) -> Vec<Position> {
        let Some(state) = self.accounts.get(account) else {
            return Vec::new();
        };
        self.markets
            .iter()
            .filter(|m| {
                state.positions.contains_key(&m.inst.symbol)
                    || state.settings.contains_key(&m.inst.symbol)
            })
            .filter_map(|m| self.position(account, &m.inst.symbol))
            .collect()
    }

    /// `account`'s wallet in `coin` with its margin figures at the mark (zeros for a coin it
    /// never held); `None` for an unknown account.
    pub fn wallet(&self, account: &str, coin: &str) -> Option<Wallet> {
        let state = self.accounts.get(account)?;
        let balance = state.wallets.get(coin).copied().unwrap_or_default();
        let (mut upnl, mut position_margin, mut maintenance) =
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        let (mut options_value, mut futures_upnl) = (Decimal::ZERO, Decimal::ZERO);
        for m in self.markets.iter().filter(|m| m.inst.settle == coin) {
            if !state.positions.contains_key(&m.inst.symbol) {
                continue;
            }
            if let Some(p) = self.position(account, &m.inst.symbol) {
                upnl += p.unrealized_pnl;
                position_margin += p.initial_margin;
                maintenance += p.maintenance_margin;
                if m.inst.is_option() {
                    options_value += p.size * m.inst.contract_value * p.mark_price;
                } else {
                    futures_upnl += p.unrealized_pnl;
                }
            }
        }
        let order_margin = self.order_margin(account, coin).round_dp(8);
        let equity = balance + futures_upnl + options_value;
        let available = (equity - position_margin - order_margin).max(Decimal::ZERO);
        Some(Wallet {
            account: account.to_owned(),
            coin: coin.to_owned(),
            balance: balance.round_dp(8),
            unrealized_pnl: upnl,
            options_value: options_value.round_dp(8),
            equity: equity.round_dp(8),
            position_margin,
            order_margin,
            maintenance_margin: maintenance,
            available: available.round_dp(8),
        })
    }

    /// Every coin `account` holds or held.
    pub fn wallets(&self, account: &str) -> Vec<Wallet> {
        let Some(state) = self.accounts.get(account) else {
            return Vec::new();
        };
        state
            .wallets
            .keys()
            .filter_map(|coin| self.wallet(account, coin))
            .collect()
    }

    /// Initial margin held by `account`'s open (triggered) non-reduce-only orders in `coin`.
    fn order_margin(&self, account: &str, coin: &str) -> Decimal {
        let Some(state) = self.accounts.get(account) else {
            return Decimal::ZERO;
        };
        self.orders
            .open_orders()
            .filter(|o| {
                o.account == account && !o.reduce_only && (o.trigger.is_none() || o.triggered)
            })
            .filter_map(|o| {
                let m = self.market(&o.symbol)?;
                if m.inst.settle != coin {
                    return None;
                }
                let price = o.price.unwrap_or(m.mark);
                if m.inst.is_option() {
                    let held = state
                        .positions
                        .get(&o.symbol)
                        .map_or(Decimal::ZERO, |p| p.size);
                    return Some(self.option_margin(
                        &m.inst,
                        held,
                        o.side.sign() * o.remaining(),
                        price,
                    ));
                }
                let lev = self.settings(state, &o.symbol).leverage;
                Some(m.inst.notional(o.remaining(), price) / lev)
            })
            .sum()
    }

    /// The initial margin an order of `qty` at `price` would add (its part that grows the
    /// position).
    pub(super) fn margin_needed(
        &self,
        account: &str,
        symbol: &str,
        signed_qty: Decimal,
        price: Decimal,
    ) -> Decimal {
        let (Some(state), Some(m)) = (self.accounts.get(account), self.market(symbol)) else {
            return Decimal::ZERO;
        };
        let held = state
            .positions
            .get(symbol)
            .map_or(Decimal::ZERO, |p| p.size);
        let reducing = if held * signed_qty < Decimal::ZERO {
            held.abs().min(signed_qty.abs())
        } else {
            Decimal::ZERO
        };
        if m.inst.is_option() {
            return self.option_margin(&m.inst, held, signed_qty, price);
        }
        let lev = self.settings(state, symbol).leverage;
        m.inst.notional(signed_qty.abs() - reducing, price) / lev
    }

    /// What an option order of `signed_qty` at `price` needs against a position of `held`:
    /// the premium of the part that buys beyond a short, and the short margin of the part that
    /// sells beyond a long.
    fn option_margin(
        &self,
        inst: &Instrument,
        held: Decimal,
        signed_qty: Decimal,
        price: Decimal,
    ) -> Decimal {
        let reducing = if held * signed_qty < Decimal::ZERO {
            held.abs().min(signed_qty.abs())
        } else {
            Decimal::ZERO
        };
        let opening = signed_qty.abs() - reducing;
        if signed_qty > Decimal::ZERO {
            opening * inst.contract_value * price
        } else {
            self.short_option_margin(inst, opening, price).0
        }
    }

    /// Settles every instrument that expired by `now` and has not settled: its open orders
    /// are cancelled ([`CancelReason::Expired`]), then each position closes at the settlement
    /// price: a future at its index, an option at its intrinsic value in the coin at the
    /// underlying's index ([`super::settlement_value`]). A future's PnL and an option's value
    /// go into the wallet; the instrument's mark stays at the settlement price.
    pub fn settle_expired(&mut self, now: i64) {
        for i in 0..self.markets.len() {
            let m = &self.markets[i];
            if m.settled || !m.inst.expired(now) {
                continue;
            }
            let inst = m.inst.clone();
            let price = match &inst.option {
                Some(spec) => {
                    let index = self
                        .market(&spec.underlying)
                        .map_or(Decimal::ZERO, |u| u.index);
                    super::settlement_value(spec.kind, spec.strike, index)
                }
                None => m.index,
            };
            let filter = CancelFilter {
                symbol: Some(inst.symbol.clone()),
                ..CancelFilter::default()
            };
            let accounts: Vec<String> = self.accounts.keys().cloned().collect();
            for account in &accounts {
                self.cancel_matching(account, &filter, CancelReason::Expired, now);
            }
            self.markets[i].settled = true;
            self.markets[i].mark = price;
            self.markets[i].last = price;
            for account in &accounts {
                let Some(state) = self.accounts.get_mut(account) else {
                    continue;
                };
                let Some(pos) = state.positions.get_mut(&inst.symbol) else {
                    continue;
                };
                if pos.size.is_zero() {
                    continue;
                }
                let cash = if inst.is_option() {
                    pos.size * inst.contract_value * price
                } else {
                    inst.pnl(pos.size, pos.entry, price)
                };
                pos.realized += inst.pnl(pos.size, pos.entry, price);
                pos.size = Decimal::ZERO;
                pos.entry = Decimal::ZERO;
                pos.updated_ms = now;
                *state.wallets.entry(inst.settle.clone()).or_default() += cash.round_dp(8);
                self.publish_position(account, &inst.symbol, now);
                self.publish_wallet(account, &inst.settle);
            }
        }
    }

    pub(super) fn publish_position(&self, account: &str, symbol: &str, _now: i64) {
        if self.listening()
            && let Some(p) = self.position(account, symbol)
        {
            self.publish(Event::Position(p));
        }
    }

    pub(super) fn publish_wallet(&self, account: &str, coin: &str) {
        if self.listening()
            && let Some(w) = self.wallet(account, coin)
        {
            self.publish(Event::Wallet(w));
        }
    }

    /// Every fill of `account`'s orders, oldest first.
    pub fn executions(&self, account: &str) -> &[super::Execution] {
        self.accounts
            .get(account)
            .map_or(&[], |a| a.executions.as_slice())
    }
}

/// The price at which `cushion` (margin, in the settle coin) plus the position's PnL from
/// `entry` equals its maintenance margin there; 0 when no positive price does.
fn liquidation_price(
    inst: &Instrument,
    size: Decimal,
    entry: Decimal,
    cushion: Decimal,
) -> Decimal {
    let s = size.abs() * inst.contract_value;
    let mmr = inst.maintenance_rate;
    let long = size > Decimal::ZERO;
    let lp = match inst.kind {
        // Long: C + s(P − E) = m·s·P → P = (sE − C) / (s(1 − m));
        // short: C − s(P − E) = m·s·P → P = (C + sE) / (s(1 + m)).
        ContractKind::Linear => {
            if long {
                (s * entry - cushion).checked_div(s * (Decimal::ONE - mmr))
            } else {
                (cushion + s * entry).checked_div(s * (Decimal::ONE + mmr))
            }
        }
        // Long: C + s(1/E − 1/P) = m·s/P → P = s(1 + m) / (C + s/E);
        // short: C − s(1/E − 1/P) = m·s/P → P = s(1 − m) / (s/E − C).
        ContractKind::Inverse => {
            let s_over_e = s.checked_div(entry).unwrap_or_default();
            if long {
                (s * (Decimal::ONE + mmr)).checked_div(cushion + s_over_e)
            } else {
                (s * (Decimal::ONE - mmr)).checked_div(s_over_e - cushion)
            }
        }
    };
    let lp = lp.unwrap_or_default();
    if lp <= Decimal::ZERO {
        Decimal::ZERO
    } else {
        // On the tick, rounded away from the position (a long is liquidated at or above it).
        let ticks = lp / inst.tick_size;
        let ticks = if long { ticks.ceil() } else { ticks.floor() };
        (ticks * inst.tick_size).normalize()
    }
}
