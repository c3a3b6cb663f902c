//! The account endpoints' answers, in the documented shapes: Account Information V2/V3,
//! Futures Account Balance V2/V3 and Position Information V2/V3. Numbers are strings, as
//! Binance sends them; all figures are at the mark price.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::exchange::Exchange;
use super::market;

fn s(d: Decimal) -> String {
    d.round_dp(8).normalize().to_string()
}

/// One position's figures, shared by every view.
struct PositionView {
    symbol: &'static str,
    amt: Decimal,
    entry: Decimal,
    mark: Decimal,
    upnl: Decimal,
    notional: Decimal,
    leverage: u32,
    initial: Decimal,
    maint: Decimal,
    open_order_initial: Decimal,
    liquidation: Decimal,
    update_time: i64,
    has_open_orders: bool,
}

fn positions(ex: &Exchange, api_key: &str) -> Vec<PositionView> {
    let Some(account) = ex.accounts.get(api_key) else {
        return Vec::new();
    };
    ex.markets
        .iter()
        .map(|m| {
            let pos = account.position(m.symbol);
            let leverage = account.leverage(m.symbol);
            let lev = Decimal::from(leverage);
            let notional = pos.amt * m.mark;
            let open_order_initial: Decimal = ex
                .orders
                .open_on(api_key, m.symbol)
                .map(|o| o.margin_at(m.mark) / lev)
                .sum();
            let has_open_orders = ex.orders.open_on(api_key, m.symbol).next().is_some();
            let initial_pos = notional.abs() / lev;
            PositionView {
                symbol: m.symbol,
                amt: pos.amt,
                entry: pos.entry,
                mark: m.mark,
                upnl: pos.amt * (m.mark - pos.entry),
                notional,
                leverage,
                initial: initial_pos,
                maint: notional.abs() * market::maint_margin_rate(m.symbol),
                open_order_initial,
                liquidation: ex.liquidation_price(api_key, m.symbol),
                update_time: pos.update_time,
                has_open_orders,
            }
        })
        .collect()
}

fn update_time(ex: &Exchange, api_key: &str) -> i64 {
    ex.accounts.get(api_key).map_or(0, |a| a.update_time)
}

/// `GET /fapi/v2/account` (`v3 == false`) or `GET /fapi/v3/account`.
pub(super) fn account(ex: &Exchange, api_key: &str, v3: bool) -> Value {
    let m = ex.margins(api_key);
    let (wallet, upnl, pim, oim, mm) = (
        m.wallet,
        m.unrealized_pnl,
        m.position_initial,
        m.open_order_initial,
        m.maintenance,
    );
    let available = m.available();
    let max_withdraw = available.min(wallet).max(Decimal::ZERO);
    let updated = update_time(ex, api_key);
    let mut asset = json!({
        "asset": "USDT",
        "walletBalance": s(wallet),
        "unrealizedProfit": s(upnl),
        "marginBalance": s(wallet + upnl),
        "maintMargin": s(mm),
        "initialMargin": s(pim + oim),
        "positionInitialMargin": s(pim),
        "openOrderInitialMargin": s(oim),
        "crossWalletBalance": s(wallet),
        "crossUnPnl": s(upnl),
        "availableBalance": s(available),
        "maxWithdrawAmount": s(max_withdraw),
        "updateTime": updated,
    });
    if !v3 {
        asset["marginAvailable"] = true.into();
    }
    let views = positions(ex, api_key);
    let positions: Vec<Value> = if v3 {
        views
            .iter()
            .filter(|p| !p.amt.is_zero())
            .map(|p| {
                json!({
                    "symbol": p.symbol,
                    "positionSide": "BOTH",
                    "positionAmt": s(p.amt),
                    "unrealizedProfit": s(p.upnl),
                    "isolatedMargin": "0",
                    "notional": s(p.notional),
                    "isolatedWallet": "0",
                    "initialMargin": s(p.initial + p.open_order_initial),
                    "maintMargin": s(p.maint),
                    "updateTime": p.update_time,
                })
            })
            .collect()
    } else {
        views
            .iter()
            .map(|p| {
                json!({
                    "symbol": p.symbol,
                    "initialMargin": s(p.initial + p.open_order_initial),
                    "maintMargin": s(p.maint),
                    "unrealizedProfit": s(p.upnl),
                    "positionInitialMargin": s(p.initial),
                    "openOrderInitialMargin": s(p.open_order_initial),
                    "leverage": p.leverage.to_string(),
                    "isolated": false,
                    "entryPrice": s(p.entry),
                    "breakEvenPrice": s(p.entry),
                    "maxNotional": market::max_notional(p.leverage).to_string(),
                    "bidNotional": "0",
                    "askNotional": "0",
                    "positionSide": "BOTH",
                    "positionAmt": s(p.amt),
                    "updateTime": p.update_time,
                })
            })
            .collect()
    };
    let mut out = json!({
        "totalInitialMargin": s(pim + oim),
        "totalMaintMargin": s(mm),
        "totalWalletBalance": s(wallet),
        "totalUnrealizedProfit": s(upnl),
        "totalMarginBalance": s(wallet + upnl),
        "totalPositionInitialMargin": s(pim),
        "totalOpenOrderInitialMargin": s(oim),
        "totalCrossWalletBalance": s(wallet),
        "totalCrossUnPnl": s(upnl),
        "availableBalance": s(available),
        "maxWithdrawAmount": s(max_withdraw),
        "assets": [asset],
        "positions": positions,
    });
    if !v3 {
        out["feeTier"] = 0.into();
        out["feeBurn"] = false.into();
        out["canTrade"] = true.into();
        out["canDeposit"] = true.into();
        out["canWithdraw"] = true.into();
        out["updateTime"] = 0.into();
        out["multiAssetsMargin"] = false.into();
        out["tradeGroupId"] = (-1).into();
    }
    out
}

/// `GET /fapi/v2/balance` and `/fapi/v3/balance` (the same shape).
pub(super) fn balance(ex: &Exchange, api_key: &str) -> Value {
    let m = ex.margins(api_key);
    let (wallet, upnl, available) = (m.wallet, m.unrealized_pnl, m.available());
    json!([{
        "accountAlias": "SgsR",
        "asset": "USDT",
        "balance": s(wallet),
        "crossWalletBalance": s(wallet),
        "crossUnPnl": s(upnl),
        "availableBalance": s(available),
        "maxWithdrawAmount": s(available.min(wallet).max(Decimal::ZERO)),
        "marginAvailable": true,
        "updateTime": update_time(ex, api_key),
    }])
}

/// `GET /fapi/v2/positionRisk` (every symbol, or `symbol`) or `GET /fapi/v3/positionRisk`
/// (only symbols with a position or open orders).
pub(super) fn position_risk(ex: &Exchange, api_key: &str, symbol: Option<&str>, v3: bool) -> Value {
    let views = positions(ex, api_key);
    let chosen = views
        .iter()
        .filter(|p| symbol.is_none_or(|s| s == p.symbol))
        .filter(|p| !v3 || !p.amt.is_zero() || p.has_open_orders);
    Value::Array(
        chosen
            .map(|p| {
                if v3 {
                    json!({
                        "symbol": p.symbol,
                        "positionSide": "BOTH",
                        "positionAmt": s(p.amt),
                        "entryPrice": s(p.entry),
                        "breakEvenPrice": s(p.entry),
                        "markPrice": s(p.mark),
                        "unRealizedProfit": s(p.upnl),
                        "liquidationPrice": s(p.liquidation),
                        "isolatedMargin": "0",
                        "notional": s(p.notional),
                        "marginAsset": "USDT",
                        "isolatedWallet": "0",
                        "initialMargin": s(p.initial + p.open_order_initial),
                        "maintMargin": s(p.maint),
                        "positionInitialMargin": s(p.initial),
                        "openOrderInitialMargin": s(p.open_order_initial),
                        "adl": 0,
                        "bidNotional": "0",
                        "askNotional": "0",
                        "updateTime": p.update_time,
                    })
                } else {
                    json!({
                        "entryPrice": s(p.entry),
                        "breakEvenPrice": s(p.entry),
                        "marginType": "cross",
                        "isAutoAddMargin": "false",
                        "isolatedMargin": "0.00000000",
                        "leverage": p.leverage.to_string(),
                        "liquidationPrice": s(p.liquidation),
                        "markPrice": s(p.mark),
                        "maxNotionalValue": market::max_notional(p.leverage).to_string(),
                        "positionAmt": s(p.amt),
                        "notional": s(p.notional),
                        "isolatedWallet": "0",
                        "symbol": p.symbol,
                        "unRealizedProfit": s(p.upnl),
                        "positionSide": "BOTH",
                        "updateTime": p.update_time,
                    })
                }
            })
            .collect(),
    )
}
