//! Account reads and settings (okx.com/docs-v5 "Trading Account"): balance, positions,
//! set leverage, leverage info, account configuration, fee rates; and the currency list
//! (Funding Account > Get currencies) a client reads when it loads markets.

use std::str::FromStr;

use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::super::errors::OkxError;
use super::super::views;
use super::super::{InstType, Shared};
use super::{body_object, private_read, query_params, required, required_q, respond, verify};

pub(super) async fn balance(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let result = verify(&inner, &method, &uri, &headers, "").map(|p| {
        let q = query_params(&uri);
        let ex = p.inner.exchange.lock();
        let wallets: Vec<_> = ex
            .wallets(&p.account)
            .into_iter()
            .filter(|w| {
                q.get("ccy")
                    .is_none_or(|c| c.is_empty() || c.split(',').any(|c| c == w.coin))
            })
            .collect();
        json!([views::balance_json(&ex, &wallets, p.now)])
    });
    respond(result)
}

pub(super) async fn positions(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    private_read(&inner, &method, &uri, &headers, |p, q| {
        let inst_type = match q.get("instType").filter(|s| !s.is_empty()) {
            None => None,
            Some(t) => Some(InstType::parse(t).ok_or_else(|| OkxError::Param("instType".into()))?),
        };
        let ids: Option<Vec<&str>> = q
            .get("instId")
            .filter(|s| !s.is_empty())
            .map(|s| s.split(',').collect());
        let ex = p.inner.exchange.lock();
        Ok(Value::Array(
            p.inner
                .listings
                .iter()
                .enumerate()
                .filter(|(_, l)| inst_type.is_none_or(|t| t == l.inst_type))
                .filter(|(_, l)| {
                    ids.as_ref()
                        .is_none_or(|ids| ids.contains(&l.inst.symbol.as_str()))
                })
                .filter_map(|(i, l)| {
                    let pos = ex.position(&p.account, &l.inst.symbol)?;
                    (!pos.size.is_zero())
                        .then(|| views::position_json(&pos, l, (p.index + 1) * 100 + i))
                })
                .collect(),
        ))
    })
}

pub(super) async fn set_leverage(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let result = verify(&inner, &method, &uri, &headers, &body).and_then(|p| {
        p.require_trade()?;
        let map = body_object(&body)?;
        let inst_id = required(&map, "instId")?;
        let lever = Decimal::from_str(&required(&map, "lever")?)
            .map_err(|_| OkxError::Param("lever".into()))?;
        let mgn_mode = required(&map, "mgnMode")?;
        if mgn_mode != "cross" && mgn_mode != "isolated" {
            return Err(OkxError::Param("mgnMode".into()));
        }
        let listing = p
            .inner
            .listing(&inst_id)
            .ok_or(OkxError::UnknownInstrument)?;
        if lever < Decimal::ONE {
            return Err(OkxError::Param("lever".into()));
        }
        if lever > listing.inst.max_leverage {
            return Err(OkxError::LeverageTooHigh);
        }
        let mut ex = p.inner.exchange.lock();
        match ex.set_leverage(&p.account, &inst_id, lever, p.now) {
            Ok(()) | Err(crate::core::CoreError::Unchanged) => {}
            Err(e) => return Err(super::super::errors::from_core(&e, &listing.inst.settle)),
        }
        Ok(json!([{
            "instId": inst_id,
            "lever": views::num(lever),
            "mgnMode": mgn_mode,
            "posSide": "",
        }]))
    });
    respond(result)
}

pub(super) async fn leverage_info(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    private_read(&inner, &method, &uri, &headers, |p, q| {
        let ids = required_q(q, "instId")?;
        let mgn_mode = required_q(q, "mgnMode")?;
        if mgn_mode != "cross" && mgn_mode != "isolated" {
            return Err(OkxError::Param("mgnMode".into()));
        }
        let ex = p.inner.exchange.lock();
        let mut out = Vec::new();
        for id in ids.split(',') {
            let pos = ex
                .position(&p.account, id)
                .ok_or(OkxError::UnknownInstrument)?;
            out.push(json!({
                "ccy": "",
                "instId": id,
                "lever": views::num(pos.leverage),
                "mgnMode": mgn_mode,
                "posSide": "net",
            }));
        }
        Ok(Value::Array(out))
    })
}

pub(super) async fn config(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let result = verify(&inner, &method, &uri, &headers, "").map(|p| {
        // `p.index` was found in this same list by the signature check.
        let account = &p.inner.config.accounts[p.index];
        let uid = super::super::uid(p.index);
        json!([{
            "acctLv": "2",
            "acctStpMode": "cancel_maker",
            "autoLoan": false,
            "ctIsoMode": "automatic",
            "enableSpotBorrow": false,
            "greeksType": "PA",
            "ip": if account.permissions.ip_bound { "127.0.0.1" } else { "" },
            "kycLv": "2",
            "label": "rampart-sim",
            "level": "Lv1",
            "levelTmp": "",
            "liquidationGear": "-1",
            "mainUid": uid.clone(),
            "mgnIsoMode": "automatic",
            "opAuth": "0",
            "perm": account.permissions.wire(),
            "posMode": "net_mode",
            "roleType": "0",
            "spotBorrowAutoRepay": false,
            "spotOffsetType": "",
            "spotRoleType": "0",
            "spotTraderInsts": [],
            "traderInsts": [],
            "type": "0",
            "uid": uid,
        }])
    });
    respond(result)
}

pub(super) async fn trade_fee(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    private_read(&inner, &method, &uri, &headers, |p, q| {
        let t = required_q(q, "instType")?;
        let t = InstType::parse(&t).ok_or_else(|| OkxError::Param("instType".into()))?;
        let l = p
            .inner
            .listings
            .iter()
            .find(|l| l.inst_type == t)
            .ok_or_else(|| OkxError::Param("instType".into()))?;
        // OKX writes fee rates as negatives (a charge); coin-margined in maker/taker,
        // USDT-margined in makerU/takerU.
        let maker = views::num(-l.inst.maker_fee);
        let taker = views::num(-l.inst.taker_fee);
        Ok(json!([{
            "category": "1",
            "delivery": "",
            "exercise": "",
            "fiat": [],
            "instType": t.wire(),
            "level": "Lv1",
            "maker": maker,
            "makerU": maker,
            "makerUSDC": maker,
            "ruleType": "normal",
            "taker": taker,
            "takerU": taker,
            "takerUSDC": taker,
            "ts": p.now.to_string(),
        }]))
    })
}

/// Get currencies: the coins the accounts hold (USDT, BTC), for clients that read them when
/// loading markets; no deposit or withdrawal is possible.
pub(super) async fn currencies(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    match verify(&inner, &method, &uri, &headers, "") {
        Err(e) => e.into_response(),
        Ok(_) => respond(Ok(json!([
            currency("USDT", "USDT-ERC20", "Tether"),
            currency("BTC", "BTC-Bitcoin", "Bitcoin"),
        ]))),
    }
}

fn currency(ccy: &str, chain: &str, name: &str) -> Value {
    json!({
        "canDep": false,
        "canInternal": false,
        "canWd": false,
        "ccy": ccy,
        "chain": chain,
        "logoLink": "",
        "mainNet": true,
        "maxFee": "0",
        "maxWd": "0",
        "minDep": "0",
        "minFee": "0",
        "minWd": "0",
        "name": name,
        "wdQuota": "0",
        "wdTickSz": "8",
    })
}
