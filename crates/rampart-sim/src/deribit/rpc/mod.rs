//! The JSON-RPC methods, shared by both transports: who may call them (the caller's scope),
//! the credit limits, and the parameters as Deribit names them. `public`: authentication,
//! time, instruments, currencies, index, tickers, books, candles. `trading`: buy, sell, edit,
//! cancel (one, by label, all, by currency, by instrument) and order reads. `account`:
//! positions, summaries, user trades.
//!
//! The WebSocket-only methods (subscriptions, heartbeats, cancel-on-disconnect, logout) are the
//! connection's own (`super::ws`); over HTTP they answer 10030 `must_be_websocket_request`.

mod account;
mod public;
mod trading;

use rust_decimal::Decimal;
use serde_json::{Map, Value};

pub(super) use account::{position_of, summary_of};
pub(super) use public::{book_ivs, ticker_of};
pub(super) use trading::{index_of, order_view};

use super::auth::{Access, Area, Caller};
use super::errors::DeribitError;
use super::json;
use super::{Inner, SimAccount};

/// How a request arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Transport {
    Http,
    Ws,
}

/// One call's context.
pub(super) struct Ctx<'a> {
    pub inner: &'a Inner,
    /// Who the request acts for, when it was authorised.
    pub caller: Option<Caller>,
    pub now: i64,
    pub transport: Transport,
    /// Counts unauthorised requests against the peer's address.
    pub peer: String,
}

impl Ctx<'_> {
    /// The caller, if its scope covers `area` at `access`; 13009 when unauthorised, 13021 when
    /// the scope falls short.
    fn authorised(
        &self,
        area: Area,
        access: Access,
    ) -> Result<(Caller, &SimAccount), DeribitError> {
        let caller = self
            .caller
            .ok_or_else(|| DeribitError::unauthorized("authorization required"))?;
        caller.scope.require(area, access)?;
        let account = self
            .inner
            .account(caller.account)
            .ok_or_else(|| DeribitError::unauthorized("unknown account"))?;
        Ok((caller, account))
    }

    /// Like [`Ctx::authorised`], for a method that only needs the check.
    pub fn require(&self, area: Area, access: Access) -> Result<(), DeribitError> {
        self.authorised(area, access).map(|_| ())
    }
}

/// The parameters of one call: objects from a JSON body (fractions already turned into text,
/// see [`json::quote_fractions`]), or the text of a query.
pub(super) struct Params<'a>(pub &'a Map<String, Value>);

impl Params<'_> {
    /// A parameter as text: strings as they are, numbers and booleans as written.
    pub fn text(&self, name: &str) -> Option<String> {
        match self.0.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
        .filter(|s| !s.is_empty())
    }

    pub fn required(&self, name: &str) -> Result<String, DeribitError> {
        self.text(name)
            .ok_or_else(|| DeribitError::invalid_params(name, "value required"))
    }

    pub fn decimal(&self, name: &str) -> Result<Option<Decimal>, DeribitError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(v) => json::decimal(v)
                .map(Some)
                .ok_or_else(|| DeribitError::invalid_params(name, "not a number")),
        }
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, DeribitError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
                "true" => Ok(Some(true)),
                "false" => Ok(Some(false)),
                "" => Ok(None),
                _ => Err(DeribitError::invalid_params(name, "not a boolean")),
            },
            Some(_) => Err(DeribitError::invalid_params(name, "not a boolean")),
        }
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, DeribitError> {
        match self.text(name) {
            None => Ok(None),
            Some(t) => t
                .parse()
                .map(Some)
                .map_err(|_| DeribitError::invalid_params(name, "not an integer")),
        }
    }
}

/// The methods that go to the matching engine (their own, smaller limit).
fn is_matching(method: &str) -> bool {
    matches!(
        method,
        "private/buy"
            | "private/sell"
            | "private/edit"
            | "private/edit_by_label"
            | "private/cancel"
            | "private/cancel_by_label"
            | "private/cancel_all"
            | "private/cancel_all_by_currency"
            | "private/cancel_all_by_instrument"
    )
}

/// The methods a WebSocket connection answers itself.
pub(super) fn is_ws_only(method: &str) -> bool {
    matches!(
        method,
        "public/subscribe"
            | "public/unsubscribe"
            | "public/unsubscribe_all"
            | "private/subscribe"
            | "private/unsubscribe"
            | "private/unsubscribe_all"
            | "public/set_heartbeat"
            | "public/disable_heartbeat"
            | "private/enable_cancel_on_disconnect"
            | "private/disable_cancel_on_disconnect"
            | "private/get_cancel_on_disconnect"
            | "private/logout"
    )
}

/// Answers one call.
pub(super) fn dispatch(
    ctx: &Ctx<'_>,
    method: &str,
    params: &Map<String, Value>,
) -> Result<Value, DeribitError> {
    let who = match ctx.caller.and_then(|c| ctx.inner.account(c.account)) {
        Some(a) => a.client_id.clone(),
        None => ctx.peer.clone(),
    };
    if !ctx.inner.allow(&who, is_matching(method), ctx.now) {
        return Err(DeribitError::too_many_requests());
    }
    let p = Params(params);
    match method {
        "public/auth" => public::auth(ctx, &p),
        "public/get_time" => Ok(Value::from(ctx.now)),
        "public/test" => Ok(serde_json::json!({ "version": "1.2.26" })),
        "public/status" => Ok(serde_json::json!({ "locked": "false", "locked_indices": [] })),
        "public/get_currencies" => public::currencies(ctx),
        "public/get_instruments" => public::instruments(ctx, &p),
        "public/get_instrument" => public::instrument(ctx, &p),
        "public/get_index_price" => public::index_price(ctx, &p),
        "public/ticker" => public::ticker(ctx, &p),
        "public/get_order_book" => public::order_book(ctx, &p),
        "public/get_tradingview_chart_data" => public::chart(ctx, &p),
        "public/get_book_summary_by_currency" => public::book_summaries(ctx, &p),
        "public/get_last_trades_by_instrument" => public::last_trades(ctx, &p),
        "private/buy" => trading::place(ctx, &p, crate::core::Side::Buy),
        "private/sell" => trading::place(ctx, &p, crate::core::Side::Sell),
        "private/edit" => trading::edit(ctx, &p),
        "private/edit_by_label" => trading::edit_by_label(ctx, &p),
        "private/cancel" => trading::cancel(ctx, &p),
        "private/cancel_by_label" => trading::cancel_by_label(ctx, &p),
        "private/cancel_all" => trading::cancel_all(ctx, &p, trading::Scope::All),
        "private/cancel_all_by_currency" => trading::cancel_all(ctx, &p, trading::Scope::Currency),
        "private/cancel_all_by_instrument" => {
            trading::cancel_all(ctx, &p, trading::Scope::Instrument)
        }
        "private/get_open_orders" => trading::open_orders(ctx, &p, trading::Scope::All),
        "private/get_open_orders_by_currency" => {
            trading::open_orders(ctx, &p, trading::Scope::Currency)
        }
        "private/get_open_orders_by_instrument" => {
            trading::open_orders(ctx, &p, trading::Scope::Instrument)
        }
        "private/get_order_state" => trading::order_state(ctx, &p),
        "private/get_order_state_by_label" => trading::order_state_by_label(ctx, &p),
        "private/get_order_history_by_currency" => {
            trading::history(ctx, &p, trading::Scope::Currency)
        }
        "private/get_order_history_by_instrument" => {
            trading::history(ctx, &p, trading::Scope::Instrument)
        }
        "private/get_positions" => account::positions(ctx, &p),
        "private/get_position" => account::position(ctx, &p),
        "private/get_account_summary" => account::summary(ctx, &p),
        "private/get_account_summaries" => account::summaries(ctx),
        "private/get_user_trades_by_instrument" => {
            account::user_trades(ctx, &p, trading::Scope::Instrument)
        }
        "private/get_user_trades_by_currency" => {
            account::user_trades(ctx, &p, trading::Scope::Currency)
        }
        "private/get_user_trades_by_order" => account::trades_by_order(ctx, &p),
        "private/enable_cancel_on_disconnect"
        | "private/disable_cancel_on_disconnect"
        | "private/get_cancel_on_disconnect"
            if ctx.transport == Transport::Http =>
        {
            http_cod(ctx, method, &p)
        }
        m if is_ws_only(m) && ctx.transport == Transport::Http => {
            Err(DeribitError::must_be_websocket())
        }
        _ => Err(DeribitError::method_not_found()),
    }
}

/// Cancel-on-disconnect's `scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CodScope {
    /// This connection (the default).
    Connection,
    /// Every connection the account opens from now on.
    Account,
}

/// The `scope` parameter of the cancel-on-disconnect methods.
pub(super) fn cod_scope(p: &Params<'_>) -> Result<CodScope, DeribitError> {
    match p.text("scope").as_deref() {
        None | Some("connection") => Ok(CodScope::Connection),
        Some("account") => Ok(CodScope::Account),
        Some(_) => Err(DeribitError::invalid_params(
            "scope",
            "must be connection or account",
        )),
    }
}

/// Turns the account's cancel-on-disconnect setting on or off.
pub(super) fn set_account_cod(inner: &Inner, account: usize, on: bool) {
    let mut accounts = super::lock(&inner.cod_accounts);
    if on {
        accounts.insert(account);
    } else {
        accounts.remove(&account);
    }
}

/// `private/get_cancel_on_disconnect` with scope `account`.
pub(super) fn account_cod(inner: &Inner, account: usize) -> Value {
    let on = super::lock(&inner.cod_accounts).contains(&account);
    serde_json::json!({ "scope": "account", "enabled": on })
}

/// The cancel-on-disconnect methods over HTTP: scope `account` only ("Scope connection can
/// be used only when working via Websocket"); 10030 otherwise.
fn http_cod(ctx: &Ctx<'_>, method: &str, p: &Params<'_>) -> Result<Value, DeribitError> {
    if cod_scope(p)? == CodScope::Connection {
        return Err(DeribitError::must_be_websocket());
    }
    let (caller, _) = if method == "private/get_cancel_on_disconnect" {
        ctx.authorised(Area::Account, Access::Read)?
    } else {
        ctx.authorised(Area::Account, Access::ReadWrite)?
    };
    match method {
        "private/get_cancel_on_disconnect" => Ok(account_cod(ctx.inner, caller.account)),
        m => {
            set_account_cod(
                ctx.inner,
                caller.account,
                m == "private/enable_cancel_on_disconnect",
            );
            Ok(Value::from("ok"))
        }
    }
}
