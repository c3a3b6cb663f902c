//! Binance USDⓈ-M user data stream: order and account events for one account, over a WebSocket
//! opened with a listen key.
//!
//! What Binance documents (User Data Streams → Connect, and the event pages) and this module
//! relies on:
//! - `POST /fapi/v1/listenKey` (USER_STREAM: API key header, no signature) gives a listen key
//!   valid for 60 minutes; on an account that already has an active key it returns that key and
//!   extends it. `PUT` extends it by 60 minutes (keep-alive: every 30 minutes here); when `PUT`
//!   answers -1125 ("This listenKey does not exist.") a new one must be made with `POST`.
//!   `DELETE` closes the stream and invalidates the key;
//! - on mainnet's Private route the stream is `<base>/ws?listenKey=<listenKey>&events=<E1>/<E2>`,
//!   base `wss://fstream.binance.com/private` ("Private (listenKey + events)
//!   wss://fstream.binance.com/private/ws?listenKey=<listenKey>&events=ORDER_TRADE_UPDATE"):
//!   [`USER_EVENTS`] are asked for; on the testnet and demo roots it is `<base>/ws/<listenKey>`
//!   ([`Environment::ws_user_base`](super::super::Environment::ws_user_base) for each environment);
//! - `listenKeyExpired` is pushed when the key in use expires; nothing more arrives on that
//!   connection until a valid key is used;
//! - a connection lives at most 24 hours; the server pings every 3 minutes.
//!
//! Events can be lost whenever the connection is down, so after **every** connection (the first
//! one included) the stream emits [`UserEvent::Resync`]: the owner must then re-read open
//! orders, positions and balances over REST before trusting its state again (see [`resync`]).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rampart_core::Side;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior};

use super::super::algo::{AlgoOrder, AlgoStatus, opt_id};
use super::super::error::VenueError;
use super::super::models::{AssetBalance, Order, PositionRiskV3};
use super::super::rest::RestClient;
use super::connection::{
    Backoff, Endpoint, Next, StreamError, StreamOptions, StreamTask, Ws, close_quietly, next_text,
    stop_requested,
};
use super::parse::{
    ParseError, dec, event_type, is_request_answer, millis, opt_dec, opt_millis, typed,
    unwrap_combined,
};

/// Keep-alive cadence Binance recommends for a key valid 60 minutes.
pub const KEEPALIVE_EVERY: Duration = Duration::from_secs(30 * 60);

/// The listen-key calls the stream needs (`/fapi/v1/listenKey`). [`RestClient`] implements it;
/// tests use a fake.
pub trait ListenKeys: Send + Sync + 'static {
    /// `POST`: a new key, or the account's active one (extended).
    fn create(&self) -> impl Future<Output = Result<String, VenueError>> + Send;
    /// `PUT`: extend the active key by 60 minutes and return it; -1125 when it no longer
    /// exists.
    fn keepalive(&self) -> impl Future<Output = Result<String, VenueError>> + Send;
    /// `DELETE`: close the stream and invalidate the key.
    fn close(&self) -> impl Future<Output = Result<(), VenueError>> + Send;
}

impl ListenKeys for RestClient {
    async fn create(&self) -> Result<String, VenueError> {
        let key = self.start_user_stream().await?;
        if key.is_empty() {
            return Err(VenueError::Malformed("an empty listenKey".into()));
        }
        Ok(key)
    }

    async fn keepalive(&self) -> Result<String, VenueError> {
        self.keepalive_user_stream().await
    }

    async fn close(&self) -> Result<(), VenueError> {
        self.close_user_stream().await
    }
}

/// The account as REST tells it, read after a `Resync`: what the stream may have missed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSnapshot {
    /// Every open order, all symbols (`GET /fapi/v1/openOrders`, weight 40).
    pub open_orders: Vec<Order>,
    /// Every open conditional order, all symbols (`GET /fapi/v1/openAlgoOrders`, weight 40).
    pub open_algo_orders: Vec<AlgoOrder>,
    /// Symbols with a position or open orders (`GET /fapi/v3/positionRisk`, weight 5).
    pub positions: Vec<PositionRiskV3>,
    /// Every asset (`GET /fapi/v3/balance`, weight 5).
    pub balances: Vec<AssetBalance>,
}

/// Re-reads open orders (regular and conditional), positions and balances (weight 90 in all)
/// for the owner to replace its state with after [`UserEvent::Resync`]. Keep applying stream
/// events meanwhile, by event time (`E`), on top of the snapshot: the stream is the newer source
/// once connected.
pub async fn resync(rest: &RestClient) -> Result<AccountSnapshot, VenueError> {
    let open_orders = rest.list_open_orders(None).await?;
    let open_algo_orders = rest.open_algo_orders(None).await?;
    let positions = rest.position_risk_v3(None).await?;
    let balances = rest.balances_v3().await?;
    Ok(AccountSnapshot {
        open_orders,
        open_algo_orders,
        positions,
        balances,
    })
}

// ---------------------------------------------------------------------------------------------
// Typed events

/// `ORDER_TRADE_UPDATE`: an order was created, changed, traded or ended.
///
/// ```json
/// {"e":"ORDER_TRADE_UPDATE","E":1568879465651,"T":1568879465650,"o":{"s":"BTCUSDT",
///  "c":"TEST","S":"SELL","o":"TRAILING_STOP_MARKET","f":"GTC","q":"0.001","p":"0",
///  "ap":"0","sp":"7103.04","x":"NEW","X":"NEW","i":8886774,"l":"0","z":"0","L":"0",
///  "N":"USDT","n":"0","T":1568879465650,"t":0,"b":"0","a":"9.91","m":false,"R":false,
///  "wt":"CONTRACT_PRICE","ot":"TRAILING_STOP_MARKET","ps":"LONG","cp":false,
///  "AP":"7476.89","cr":"5.0","pP":false,"si":0,"ss":0,"rp":"0","V":"EXPIRE_TAKER",
///  "pm":"OPPONENT","gtd":0}}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "OrderWire")]
pub struct OrderUpdate {
    pub event_time: i64,
    pub transaction_time: i64,
    pub symbol: String,
    pub client_order_id: String,
    pub side: Side,
    /// `LIMIT`, `MARKET`, `STOP`, `STOP_MARKET`, `TAKE_PROFIT`, `TAKE_PROFIT_MARKET`,
    /// `TRAILING_STOP_MARKET`, `LIQUIDATION`, as the venue names it.
    pub order_type: String,
    /// `GTC`, `IOC`, `FOK`, `GTX`, `GTD`.
    pub time_in_force: String,
    pub orig_qty: Decimal,
    pub price: Decimal,
    pub avg_price: Decimal,
    /// Absent or meaningless for some order types.
    pub stop_price: Option<Decimal>,
    /// `NEW`, `CANCELED`, `CALCULATED` (liquidation), `EXPIRED`, `TRADE`, `AMENDMENT`.
    pub execution_type: String,
    /// `NEW`, `PARTIALLY_FILLED`, `FILLED`, `CANCELED`, `EXPIRED`, `EXPIRED_IN_MATCH`.
    pub order_status: String,
    pub order_id: i64,
    pub last_filled_qty: Decimal,
    pub last_filled_price: Decimal,
    pub cumulative_filled_qty: Decimal,
    /// Only pushed when there is a commission.
    pub commission_asset: Option<String>,
    pub commission: Option<Decimal>,
    pub trade_time: i64,
    pub trade_id: i64,
    pub is_maker: bool,
    pub reduce_only: bool,
    /// `BOTH`, `LONG`, `SHORT`.
    pub position_side: Option<String>,
    pub realized_profit: Decimal,
}

#[derive(Deserialize)]
struct OrderWire {
    #[serde(rename = "E", deserialize_with = "millis")]
    event_time: i64,
    #[serde(rename = "T", deserialize_with = "millis")]
    transaction_time: i64,
    o: OrderBody,
}

#[derive(Deserialize)]
struct OrderBody {
    s: String,
    c: String,
    #[serde(rename = "S", deserialize_with = "side")]
    side: Side,
    o: String,
    f: String,
    #[serde(deserialize_with = "dec")]
    q: Decimal,
    #[serde(deserialize_with = "dec")]
    p: Decimal,
    #[serde(deserialize_with = "dec")]
    ap: Decimal,
    #[serde(default, deserialize_with = "opt_dec")]
    sp: Option<Decimal>,
    x: String,
    #[serde(rename = "X")]
    status: String,
    i: i64,
    #[serde(deserialize_with = "dec")]
    l: Decimal,
    #[serde(deserialize_with = "dec")]
    z: Decimal,
    #[serde(rename = "L", deserialize_with = "dec")]
    last_price: Decimal,
    #[serde(rename = "N", default)]
    commission_asset: Option<String>,
    #[serde(default, deserialize_with = "opt_dec")]
    n: Option<Decimal>,
    #[serde(rename = "T", deserialize_with = "millis")]
    trade_time: i64,
    #[serde(default)]
    t: i64,
    #[serde(default)]
    m: bool,
    #[serde(rename = "R", default)]
    reduce_only: bool,
    #[serde(default)]
    ps: Option<String>,
    #[serde(deserialize_with = "dec")]
    rp: Decimal,
}

impl From<OrderWire> for OrderUpdate {
    fn from(w: OrderWire) -> Self {
        let o = w.o;
        OrderUpdate {
            event_time: w.event_time,
            transaction_time: w.transaction_time,
            symbol: o.s,
            client_order_id: o.c,
            side: o.side,
            order_type: o.o,
            time_in_force: o.f,
            orig_qty: o.q,
            price: o.p,
            avg_price: o.ap,
            stop_price: o.sp,
            execution_type: o.x,
            order_status: o.status,
            order_id: o.i,
            last_filled_qty: o.l,
            last_filled_price: o.last_price,
            cumulative_filled_qty: o.z,
            commission_asset: o.commission_asset,
            commission: o.n,
            trade_time: o.trade_time,
            trade_id: o.t,
            is_maker: o.m,
            reduce_only: o.reduce_only,
            position_side: o.ps,
            realized_profit: o.rp,
        }
    }
}

fn side<'de, D: Deserializer<'de>>(d: D) -> Result<Side, D::Error> {
    match String::deserialize(d)?.as_str() {
        "BUY" => Ok(Side::Buy),
        "SELL" => Ok(Side::Sell),
        other => Err(serde::de::Error::custom(format!(
            "'{other}' is not BUY or SELL"
        ))),
    }
}

/// `ALGO_UPDATE`: a conditional order (Algo Service) was created or changed status. Since
/// 2025-12-15 it also carries the reasons a triggered order was refused (`rm`), which
/// `CONDITIONAL_ORDER_TRIGGER_REJECT` used to.
///
/// ```json
/// {"e":"ALGO_UPDATE","T":1750515742297,"E":1750515742303,"o":{"caid":"Q5xaq5EGKgXXa0fD7fs0Ip",
///  "aid":2148719,"at":"CONDITIONAL","o":"TAKE_PROFIT","s":"BNBUSDT","S":"SELL","ps":"BOTH",
///  "f":"GTC","q":"0.01","X":"CANCELED","ai":"","ap":"0.00000","aq":"0.00000","act":"0",
///  "tp":"750","p":"750","V":"EXPIRE_MAKER","wt":"CONTRACT_PRICE","pm":"NONE","cp":false,
///  "pP":false,"R":false,"tt":0,"gtd":0,"rm":"Reduce Only reject"}}
/// ```
///
/// The page's comments call `T` the event time and `E` the transaction time, the other way
/// round from every other USDⓈ-M event; its example values (`E` ≥ `T`) fit the usual reading,
/// which is kept here: `E` is the event time the owner orders events by.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "AlgoWire")]
pub struct AlgoUpdate {
    pub event_time: i64,
    pub transaction_time: i64,
    /// `caid`: the client order id Rampart sent as `clientAlgoId`.
    pub client_algo_id: String,
    /// `aid`.
    pub algo_id: u64,
    /// `at`: `CONDITIONAL`.
    pub algo_type: String,
    /// `o`: `STOP_MARKET`, `STOP`, `TAKE_PROFIT`, `TAKE_PROFIT_MARKET`, `TRAILING_STOP_MARKET`.
    pub order_type: String,
    pub symbol: String,
    pub side: Side,
    /// `ps`: `BOTH`, `LONG`, `SHORT`.
    pub position_side: Option<String>,
    /// `f`.
    pub time_in_force: Option<String>,
    /// `q`.
    pub quantity: Decimal,
    /// `X`.
    pub status: AlgoStatus,
    /// `ai`: the order placed in the matching engine once triggered (`""` before).
    pub actual_order_id: Option<u64>,
    /// `ap`: that order's average fill price, once triggered.
    pub actual_avg_price: Option<Decimal>,
    /// `aq`: that order's filled quantity, once triggered.
    pub actual_filled_qty: Option<Decimal>,
    /// `act`: that order's type in the matching engine, once triggered.
    pub actual_order_type: Option<String>,
    /// `tp`.
    pub trigger_price: Decimal,
    /// `p`: the limit price (`"0"`-like for the market types).
    pub price: Option<Decimal>,
    /// `wt`: `MARK_PRICE` or `CONTRACT_PRICE`.
    pub working_type: Option<String>,
    /// `cp`: close-all.
    pub close_position: bool,
    /// `pP`.
    pub price_protect: bool,
    /// `R`.
    pub reduce_only: bool,
    /// `tt`: when it triggered; `None` before.
    pub trigger_time: Option<i64>,
    /// `gtd`: auto-cancel time of a GTD order; `None` otherwise.
    pub good_till_date: Option<i64>,
    /// `rm`: why it failed, when it did.
    pub reject_reason: Option<String>,
}

#[derive(Deserialize)]
struct AlgoWire {
    #[serde(rename = "E", deserialize_with = "millis")]
    event_time: i64,
    #[serde(rename = "T", deserialize_with = "millis")]
    transaction_time: i64,
    o: AlgoBody,
}

/// A text field where `""` (and `"0"` for `act`) means "not applicable".
fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|t| !t.trim().is_empty() && t != "0"))
}

#[derive(Deserialize)]
struct AlgoBody {
    caid: String,
    aid: u64,
    at: String,
    o: String,
    s: String,
    #[serde(rename = "S", deserialize_with = "side")]
    side: Side,
    #[serde(default)]
    ps: Option<String>,
    #[serde(default)]
    f: Option<String>,
    #[serde(deserialize_with = "dec")]
    q: Decimal,
    #[serde(rename = "X")]
    status: AlgoStatus,
    #[serde(default, deserialize_with = "opt_id")]
    ai: Option<u64>,
    #[serde(default, deserialize_with = "opt_dec")]
    ap: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    aq: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_text")]
    act: Option<String>,
    #[serde(deserialize_with = "dec")]
    tp: Decimal,
    #[serde(default, deserialize_with = "opt_dec")]
    p: Option<Decimal>,
    #[serde(default)]
    wt: Option<String>,
    #[serde(default)]
    cp: bool,
    #[serde(rename = "pP", default)]
    price_protect: bool,
    #[serde(rename = "R", default)]
    reduce_only: bool,
    #[serde(default, deserialize_with = "opt_millis")]
    tt: Option<i64>,
    #[serde(default, deserialize_with = "opt_millis")]
    gtd: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    rm: Option<String>,
}

impl From<AlgoWire> for AlgoUpdate {
    fn from(w: AlgoWire) -> Self {
        let o = w.o;
        // Before the trigger, "ap"/"aq" are zeros that say nothing.
        let triggered = o.ai.is_some();
        AlgoUpdate {
            event_time: w.event_time,
            transaction_time: w.transaction_time,
            client_algo_id: o.caid,
            algo_id: o.aid,
            algo_type: o.at,
            order_type: o.o,
            symbol: o.s,
            side: o.side,
            position_side: o.ps,
            time_in_force: o.f,
            quantity: o.q,
            status: o.status,
            actual_order_id: o.ai,
            actual_avg_price: o.ap.filter(|_| triggered),
            actual_filled_qty: o.aq.filter(|_| triggered),
            actual_order_type: o.act,
            trigger_price: o.tp,
            price: o.p.filter(|p| !p.is_zero()),
            working_type: o.wt,
            close_position: o.cp,
            price_protect: o.price_protect,
            reduce_only: o.reduce_only,
            trigger_time: o.tt,
            good_till_date: o.gtd,
            reject_reason: o.rm,
        }
    }
}

/// `ACCOUNT_UPDATE`: balances and/or positions changed. Only changed positions are listed; a
/// funding fee on a cross position comes with balances only.
///
/// ```json
/// {"e":"ACCOUNT_UPDATE","E":1564745798939,"T":1564745798938,"a":{"m":"ORDER",
///  "B":[{"a":"USDT","wb":"122624.12345678","cw":"100.12345678","bc":"50.12345678"}],
///  "P":[{"s":"BTCUSDT","pa":"0","ep":"0.00000","bep":"0","cr":"200","up":"0",
///        "mt":"isolated","iw":"0.00000000","ps":"BOTH"}]}}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "AccountWire")]
pub struct AccountUpdate {
    pub event_time: i64,
    pub transaction_time: i64,
    /// `m`: `ORDER`, `FUNDING_FEE`, `DEPOSIT`, `WITHDRAW`, `MARGIN_TYPE_CHANGE`, … as sent.
    pub reason: String,
    pub balances: Vec<BalanceUpdate>,
    pub positions: Vec<PositionUpdate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BalanceUpdate {
    #[serde(rename = "a")]
    pub asset: String,
    #[serde(rename = "wb", deserialize_with = "dec")]
    pub wallet_balance: Decimal,
    #[serde(rename = "cw", deserialize_with = "dec")]
    pub cross_wallet_balance: Decimal,
    /// `bc`: the change except PnL and commission.
    #[serde(rename = "bc", default, deserialize_with = "dec_or_zero")]
    pub balance_change: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PositionUpdate {
    #[serde(rename = "s")]
    pub symbol: String,
    /// `pa`: signed; negative is short (one-way mode).
    #[serde(rename = "pa", deserialize_with = "dec")]
    pub position_amount: Decimal,
    #[serde(rename = "ep", deserialize_with = "dec")]
    pub entry_price: Decimal,
    /// `cr`: (pre-fee) accumulated realized PnL.
    #[serde(rename = "cr", deserialize_with = "dec")]
    pub accumulated_realized: Decimal,
    #[serde(rename = "up", deserialize_with = "dec")]
    pub unrealized_pnl: Decimal,
    /// `mt`: `isolated` or `cross`.
    #[serde(rename = "mt")]
    pub margin_type: String,
    /// `iw`: isolated wallet, for an isolated position.
    #[serde(rename = "iw", default, deserialize_with = "opt_dec")]
    pub isolated_wallet: Option<Decimal>,
    /// `ps`: `BOTH`, `LONG` or `SHORT`.
    #[serde(rename = "ps")]
    pub position_side: String,
}

#[derive(Deserialize)]
struct AccountWire {
    #[serde(rename = "E", deserialize_with = "millis")]
    event_time: i64,
    #[serde(rename = "T", deserialize_with = "millis")]
    transaction_time: i64,
    a: AccountBody,
}

#[derive(Deserialize)]
struct AccountBody {
    m: String,
    #[serde(rename = "B", default)]
    balances: Vec<BalanceUpdate>,
    #[serde(rename = "P", default)]
    positions: Vec<PositionUpdate>,
}

impl From<AccountWire> for AccountUpdate {
    fn from(w: AccountWire) -> Self {
        AccountUpdate {
            event_time: w.event_time,
            transaction_time: w.transaction_time,
            reason: w.a.m,
            balances: w.a.balances,
            positions: w.a.positions,
        }
    }
}

fn dec_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    opt_dec(d).map(Option::unwrap_or_default)
}

#[derive(Deserialize)]
struct ExpiredWire {
    #[serde(rename = "E", deserialize_with = "millis")]
    event_time: i64,
}

/// What the user data stream delivers, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserEvent {
    /// A connection is up (the first or a new one). Events may have been missed before it:
    /// re-read open orders, positions and balances over REST now.
    Resync,
    /// Boxed: by far the largest event.
    OrderUpdate(Box<OrderUpdate>),
    AccountUpdate(AccountUpdate),
    /// A conditional order (Algo Service) was created or changed status. Boxed, as
    /// `OrderUpdate`.
    AlgoUpdate(Box<AlgoUpdate>),
    /// The listen key expired; the stream is getting a new one and reconnecting (a `Resync`
    /// follows).
    ListenKeyExpired {
        event_time: i64,
    },
    /// A well-formed event this module does not model (`MARGIN_CALL`, `ACCOUNT_CONFIG_UPDATE`,
    /// `TRADE_LITE`, `CONDITIONAL_ORDER_TRIGGER_REJECT` (deprecated since 2025-12-15: its
    /// reasons are in `ALGO_UPDATE`), …).
    Other {
        event_type: String,
    },
    /// A message that could not be read; it was skipped.
    Malformed(ParseError),
    /// The connection ended, a connection attempt failed, or no listen key could be had; a
    /// retry follows.
    Disconnected {
        reason: String,
    },
    /// A keep-alive `PUT` failed without the key being gone; the next one is tried on schedule
    /// (the key is valid 60 minutes, keep-alives go every 30).
    KeepaliveFailed {
        reason: String,
    },
    /// The venue refused to give a listen key (e.g. an invalid API key): the stream has
    /// stopped; nothing more follows.
    Stopped {
        reason: String,
    },
}

/// Reads one user-stream message (raw, or wrapped as a combined stream). `Ok(None)` for answers
/// to live requests.
pub fn parse_user(text: &str) -> Result<Option<UserEvent>, ParseError> {
    let payload = unwrap_combined(text)?;
    if is_request_answer(&payload) {
        return Ok(None);
    }
    let event_type = event_type(&payload)?;
    let event = match event_type.as_str() {
        "ORDER_TRADE_UPDATE" => UserEvent::OrderUpdate(Box::new(typed(payload, &event_type)?)),
        "ACCOUNT_UPDATE" => UserEvent::AccountUpdate(typed(payload, &event_type)?),
        "ALGO_UPDATE" => UserEvent::AlgoUpdate(Box::new(typed(payload, &event_type)?)),
        "listenKeyExpired" => {
            let wire: ExpiredWire = typed(payload, &event_type)?;
            UserEvent::ListenKeyExpired {
                event_time: wire.event_time,
            }
        }
        _ => UserEvent::Other { event_type },
    };
    Ok(Some(event))
}

// ---------------------------------------------------------------------------------------------
// The stream

/// How the user stream behaves; the defaults suit Binance.
#[derive(Debug, Clone)]
pub struct UserStreamOptions {
    /// Reconnects, timeouts, TLS.
    pub stream: StreamOptions,
    /// `PUT /fapi/v1/listenKey` cadence (30 minutes; shorter in tests).
    pub keepalive_every: Duration,
    /// `DELETE /fapi/v1/listenKey` when the stream ends. The key is per account: another
    /// stream of the same account would lose it too (it would then get `listenKeyExpired` or
    /// -1125 and recover).
    pub close_listen_key: bool,
}

impl Default for UserStreamOptions {
    fn default() -> Self {
        Self {
            stream: StreamOptions::default(),
            keepalive_every: KEEPALIVE_EVERY,
            close_listen_key: true,
        }
    }
}

/// A running user data stream. Dropping the handle ends the task too (and, as with
/// [`close`](Self::close), deletes the listen key when so configured, in the background).
#[derive(Debug)]
pub struct UserStream {
    task: StreamTask,
}

impl UserStream {
    /// Starts the stream for the account behind `keys` (normally an `Arc<RestClient>`), on
    /// `ws_base` (`Environment::ws_user_base()`, or the simulator's `ws://127.0.0.1:<port>`). Must be
    /// called inside a tokio runtime. The first event is `Resync` once connected.
    pub fn start<K: ListenKeys>(
        keys: Arc<K>,
        ws_base: &str,
        options: UserStreamOptions,
    ) -> Result<(Self, mpsc::Receiver<UserEvent>), StreamError> {
        let endpoint = Endpoint::new(ws_base, options.stream.tls.clone())?;
        let (tx, rx) = mpsc::channel(options.stream.channel_capacity.max(1));
        let task = StreamTask::spawn(|stop| async move {
            let had_key = run_user(&*keys, endpoint, &options, &tx, stop).await;
            if options.close_listen_key
                && had_key
                && let Err(e) = keys.close().await
            {
                tracing::info!(error = %e, "could not delete the listen key");
            }
        });
        Ok((Self { task }, rx))
    }

    /// Closes the connection, deletes the listen key (when configured) and waits for both.
    pub async fn close(self) {
        self.task.close().await;
    }
}

/// The listen key for logs: enough to tell two apart, not enough to open the stream.
/// The user event types asked for on the Private route: the ones [`parse_user`] reads, with
/// leverage changes and margin calls (passed on as `Other`). `listenKeyExpired` comes whatever
/// is asked.
pub const USER_EVENTS: [&str; 5] = [
    "ORDER_TRADE_UPDATE",
    "ACCOUNT_UPDATE",
    "ALGO_UPDATE",
    "ACCOUNT_CONFIG_UPDATE",
    "MARGIN_CALL",
];

/// The stream path for `key` under `base`: the Private route's query form on a `/private`
/// base, the path form elsewhere.
fn user_path(base: &str, key: &str) -> String {
    if base.trim_end_matches('/').ends_with("/private") {
        format!("/ws?listenKey={key}&events={}", USER_EVENTS.join("/"))
    } else {
        format!("/ws/{key}")
    }
}

fn redact(key: &str) -> String {
    format!("{}…", key.chars().take(4).collect::<String>())
}

/// Why one connection ended.
enum End {
    Stop,
    /// Get a listen key again (`POST`) and reconnect, after the backoff.
    Reconnect(String),
}

/// The stream's life; returns whether a listen key was ever obtained (so there is one to
/// delete).
async fn run_user<K: ListenKeys>(
    keys: &K,
    endpoint: Endpoint,
    options: &UserStreamOptions,
    tx: &mpsc::Sender<UserEvent>,
    mut stop: watch::Receiver<bool>,
) -> bool {
    let mut backoff = Backoff::new(options.stream.backoff_initial, options.stream.backoff_max);
    let mut had_key = false;
    loop {
        let key = tokio::select! {
            _ = stop_requested(&mut stop, tx) => return had_key,
            key = keys.create() => key,
        };
        let mut wait_at_least = Duration::ZERO;
        let reason = match key {
            Err(VenueError::Rejected { code, msg, .. }) => {
                let reason = format!("the venue refused a listen key ({code}): {msg}");
                tracing::warn!(%reason, "user stream stopped");
                let _ = tx.send(UserEvent::Stopped { reason }).await;
                return had_key;
            }
            Err(e) => {
                if let VenueError::RateLimited {
                    retry_after_secs, ..
                } = e
                {
                    wait_at_least = Duration::from_secs(u64::from(retry_after_secs));
                }
                format!("no listen key: {e}")
            }
            Ok(key) if !key.chars().all(|c| c.is_ascii_alphanumeric()) => {
                // It goes into the URL path: nothing but what Binance's keys are made of.
                "the venue's listen key is not alphanumeric".into()
            }
            Ok(key) => {
                had_key = true;
                let path = user_path(&endpoint.base, &key);
                let attempt = tokio::select! {
                    _ = stop_requested(&mut stop, tx) => return had_key,
                    attempt = endpoint.connect(&path, options.stream.connect_timeout) => attempt,
                };
                match attempt {
                    Err(reason) => reason,
                    Ok(ws) => {
                        tracing::info!(listen_key = %redact(&key), "user stream connected");
                        let since = Instant::now();
                        let end = serve(keys, &key, ws, options, tx, &mut stop).await;
                        if since.elapsed() >= options.stream.stable_after {
                            backoff.reset();
                        }
                        match end {
                            End::Stop => return had_key,
                            End::Reconnect(reason) => reason,
                        }
                    }
                }
            }
        };
        tracing::info!(%reason, "user stream down; reconnecting");
        if tx.send(UserEvent::Disconnected { reason }).await.is_err() {
            return had_key;
        }
        let delay = backoff.next_delay().max(wait_at_least);
        tokio::select! {
            _ = stop_requested(&mut stop, tx) => return had_key,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

/// One connection: `Resync`, then events, keep-alives on schedule, until it ends.
async fn serve<K: ListenKeys>(
    keys: &K,
    key: &str,
    mut ws: Ws,
    options: &UserStreamOptions,
    tx: &mpsc::Sender<UserEvent>,
    stop: &mut watch::Receiver<bool>,
) -> End {
    if tx.send(UserEvent::Resync).await.is_err() {
        close_quietly(ws).await;
        return End::Stop;
    }
    let every = options.keepalive_every.max(Duration::from_millis(1));
    let mut keepalive = tokio::time::interval_at(Instant::now() + every, every);
    keepalive.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let next = tokio::select! {
            next = next_text(&mut ws, stop, tx, options.stream.idle_timeout) => next,
            _ = keepalive.tick() => {
                match keys.keepalive().await {
                    Ok(extended) if extended == key => {}
                    Ok(_) => {
                        // The account's active key is another one: this connection's is dead.
                        close_quietly(ws).await;
                        return End::Reconnect("the venue extended another listen key".into());
                    }
                    Err(VenueError::Rejected { code: -1125, .. }) => {
                        close_quietly(ws).await;
                        return End::Reconnect("the listen key no longer exists (-1125)".into());
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "listen key keep-alive failed");
                        let failed = UserEvent::KeepaliveFailed { reason: e.to_string() };
                        if tx.send(failed).await.is_err() {
                            close_quietly(ws).await;
                            return End::Stop;
                        }
                    }
                }
                continue;
            }
        };
        let text = match next {
            Next::Stop => {
                close_quietly(ws).await;
                return End::Stop;
            }
            Next::Lost(reason) => return End::Reconnect(reason),
            Next::Text(text) => text,
        };
        let event = match parse_user(&text) {
            Ok(Some(event)) => event,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "skipping a user-stream message");
                UserEvent::Malformed(e)
            }
        };
        let expired = matches!(event, UserEvent::ListenKeyExpired { .. });
        if tx.send(event).await.is_err() {
            close_quietly(ws).await;
            return End::Stop;
        }
        if expired {
            close_quietly(ws).await;
            return End::Reconnect("the listen key expired".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    // Binance's documented examples (USDⓈ-M User Data Streams event pages), reformatted.
    const ORDER: &str = r#"{"e":"ORDER_TRADE_UPDATE","E":1568879465651,"T":1568879465650,
        "o":{"s":"BTCUSDT","c":"TEST","S":"SELL","o":"TRAILING_STOP_MARKET","f":"GTC",
        "q":"0.001","p":"0","ap":"0","sp":"7103.04","x":"NEW","X":"NEW","i":8886774,
        "l":"0","z":"0","L":"0","N":"USDT","n":"0","T":1568879465650,"t":0,"b":"0",
        "a":"9.91","m":false,"R":false,"wt":"CONTRACT_PRICE","ot":"TRAILING_STOP_MARKET",
        "ps":"LONG","cp":false,"AP":"7476.89","cr":"5.0","pP":false,"si":0,"ss":0,
        "rp":"0","V":"EXPIRE_TAKER","pm":"OPPONENT","gtd":0}}"#;
    const ACCOUNT: &str = r#"{"e":"ACCOUNT_UPDATE","E":1564745798939,"T":1564745798938,
        "a":{"m":"ORDER",
        "B":[{"a":"USDT","wb":"122624.12345678","cw":"100.12345678","bc":"50.12345678"},
             {"a":"BUSD","wb":"1.00000000","cw":"0.00000000","bc":"-49.12345678"}],
        "P":[{"s":"BTCUSDT","pa":"0","ep":"0.00000","bep":"0","cr":"200","up":"0",
              "mt":"isolated","iw":"0.00000000","ps":"BOTH"},
             {"s":"BTCUSDT","pa":"20","ep":"6563.66500","bep":"6563.6","cr":"0",
              "up":"2850.21200","mt":"isolated","iw":"13200.70726908","ps":"LONG"},
             {"s":"BTCUSDT","pa":"-10","ep":"6563.86000","bep":"6563.6","cr":"-45.04000000",
              "up":"-1423.15600","mt":"isolated","iw":"6570.42511771","ps":"SHORT"}]}}"#;
    const ALGO: &str = r#"{"e":"ALGO_UPDATE","T":1750515742297,"E":1750515742303,
        "o":{"caid":"Q5xaq5EGKgXXa0fD7fs0Ip","aid":2148719,"at":"CONDITIONAL",
        "o":"TAKE_PROFIT","s":"BNBUSDT","S":"SELL","ps":"BOTH","f":"GTC","q":"0.01",
        "X":"CANCELED","ai":"","ap":"0.00000","aq":"0.00000","act":"0","tp":"750",
        "p":"750","V":"EXPIRE_MAKER","wt":"CONTRACT_PRICE","pm":"NONE","cp":false,
        "pP":false,"R":false,"tt":0,"gtd":0,"rm":"Reduce Only reject"}}"#;
    const EXPIRED: &str = r#"{"e":"listenKeyExpired","E":"1736996475556",
        "listenKey":"WsCMN0a4KHUPTQuX6IUnqEZfB1inxmv1qR4kbf1LuEjur5VdbzqvyxqG9TSjVVxv"}"#;

    #[test]
    fn order_update_example() {
        let Some(UserEvent::OrderUpdate(o)) = parse_user(ORDER).unwrap() else {
            panic!()
        };
        assert_eq!(
            *o,
            OrderUpdate {
                event_time: 1568879465651,
                transaction_time: 1568879465650,
                symbol: "BTCUSDT".into(),
                client_order_id: "TEST".into(),
                side: Side::Sell,
                order_type: "TRAILING_STOP_MARKET".into(),
                time_in_force: "GTC".into(),
                orig_qty: d("0.001"),
                price: d("0"),
                avg_price: d("0"),
                stop_price: Some(d("7103.04")),
                execution_type: "NEW".into(),
                order_status: "NEW".into(),
                order_id: 8886774,
                last_filled_qty: d("0"),
                last_filled_price: d("0"),
                cumulative_filled_qty: d("0"),
                commission_asset: Some("USDT".into()),
                commission: Some(d("0")),
                trade_time: 1568879465650,
                trade_id: 0,
                is_maker: false,
                reduce_only: false,
                position_side: Some("LONG".into()),
                realized_profit: d("0"),
            }
        );
    }

    #[test]
    fn order_update_without_commission() {
        // "N" and "n" are not pushed when there is no commission.
        let text = ORDER.replace(r#""N":"USDT","n":"0","#, "");
        let Some(UserEvent::OrderUpdate(o)) = parse_user(&text).unwrap() else {
            panic!()
        };
        assert_eq!(o.commission_asset, None);
        assert_eq!(o.commission, None);
    }

    #[test]
    fn account_update_example() {
        let Some(UserEvent::AccountUpdate(a)) = parse_user(ACCOUNT).unwrap() else {
            panic!()
        };
        assert_eq!(a.event_time, 1564745798939);
        assert_eq!(a.transaction_time, 1564745798938);
        assert_eq!(a.reason, "ORDER");
        assert_eq!(
            a.balances[0],
            BalanceUpdate {
                asset: "USDT".into(),
                wallet_balance: d("122624.12345678"),
                cross_wallet_balance: d("100.12345678"),
                balance_change: d("50.12345678"),
            }
        );
        assert_eq!(a.balances[1].balance_change, d("-49.12345678"));
        assert_eq!(a.positions.len(), 3);
        assert_eq!(
            a.positions[2],
            PositionUpdate {
                symbol: "BTCUSDT".into(),
                position_amount: d("-10"),
                entry_price: d("6563.86000"),
                accumulated_realized: d("-45.04000000"),
                unrealized_pnl: d("-1423.15600"),
                margin_type: "isolated".into(),
                isolated_wallet: Some(d("6570.42511771")),
                position_side: "SHORT".into(),
            }
        );
    }

    #[test]
    fn algo_update_example() {
        let Some(UserEvent::AlgoUpdate(a)) = parse_user(ALGO).unwrap() else {
            panic!()
        };
        assert_eq!(
            *a,
            AlgoUpdate {
                event_time: 1750515742303,
                transaction_time: 1750515742297,
                client_algo_id: "Q5xaq5EGKgXXa0fD7fs0Ip".into(),
                algo_id: 2148719,
                algo_type: "CONDITIONAL".into(),
                order_type: "TAKE_PROFIT".into(),
                symbol: "BNBUSDT".into(),
                side: Side::Sell,
                position_side: Some("BOTH".into()),
                time_in_force: Some("GTC".into()),
                quantity: d("0.01"),
                status: AlgoStatus::Canceled,
                actual_order_id: None,
                actual_avg_price: None,
                actual_filled_qty: None,
                actual_order_type: None,
                trigger_price: d("750"),
                price: Some(d("750")),
                working_type: Some("CONTRACT_PRICE".into()),
                close_position: false,
                price_protect: false,
                reduce_only: false,
                trigger_time: None,
                good_till_date: None,
                reject_reason: Some("Reduce Only reject".into()),
            }
        );
    }

    #[test]
    fn algo_update_once_triggered_carries_the_order_in_the_book() {
        let text = ALGO
            .replace(r#""X":"CANCELED""#, r#""X":"TRIGGERED""#)
            .replace(r#""ai":"""#, r#""ai":"8886774""#)
            .replace(r#""ap":"0.00000""#, r#""ap":"751.5""#)
            .replace(r#""aq":"0.00000""#, r#""aq":"0.01""#)
            .replace(r#""act":"0""#, r#""act":"LIMIT""#)
            .replace(r#""tt":0"#, r#""tt":1750515742000"#)
            .replace(r#","rm":"Reduce Only reject""#, "");
        let Some(UserEvent::AlgoUpdate(a)) = parse_user(&text).unwrap() else {
            panic!()
        };
        assert_eq!(a.status, AlgoStatus::Triggered);
        assert_eq!(a.actual_order_id, Some(8886774));
        assert_eq!(a.actual_avg_price, Some(d("751.5")));
        assert_eq!(a.actual_filled_qty, Some(d("0.01")));
        assert_eq!(a.actual_order_type.as_deref(), Some("LIMIT"));
        assert_eq!(a.trigger_time, Some(1750515742000));
        assert_eq!(a.reject_reason, None);
        // Every documented status reads; the order id may come as a number.
        for (wire, status) in [
            ("NEW", AlgoStatus::New),
            ("TRIGGERING", AlgoStatus::Triggering),
            ("FINISHED", AlgoStatus::Finished),
            ("REJECTED", AlgoStatus::Rejected),
            ("EXPIRED", AlgoStatus::Expired),
        ] {
            let t = text
                .replace(r#""X":"TRIGGERED""#, &format!(r#""X":"{wire}""#))
                .replace(r#""ai":"8886774""#, r#""ai":8886774"#);
            let Some(UserEvent::AlgoUpdate(a)) = parse_user(&t).unwrap() else {
                panic!()
            };
            assert_eq!((a.status, a.actual_order_id), (status, Some(8886774)));
        }
    }

    #[test]
    fn malformed_algo_updates_are_typed_errors() {
        for text in [
            ALGO.replace(r#""X":"CANCELED""#, r#""X":"WORKING""#),
            ALGO.replace(r#""q":"0.01""#, r#""q":0.01"#),
            ALGO.replace(r#""tp":"750""#, r#""tp":"high""#),
            ALGO.replace(r#""S":"SELL""#, r#""S":"SIDEWAYS""#),
            ALGO.replace(r#""caid":"Q5xaq5EGKgXXa0fD7fs0Ip","#, ""),
            ALGO.replace(r#""aid":2148719"#, r#""aid":"x""#),
            ALGO.replace(r#""ai":"""#, r#""ai":"abc""#),
            ALGO.replace(r#""E":1750515742303,"#, ""),
            r#"{"e":"ALGO_UPDATE","E":1,"T":1}"#.to_owned(),
        ] {
            let result = parse_user(&text);
            assert!(
                matches!(&result, Err(ParseError::BadEvent { event_type, .. }) if event_type == "ALGO_UPDATE"),
                "{text}: {result:?}"
            );
        }
    }

    #[test]
    fn funding_fee_update_has_balances_only() {
        let text = r#"{"e":"ACCOUNT_UPDATE","E":1,"T":1,"a":{"m":"FUNDING_FEE",
            "B":[{"a":"USDT","wb":"10","cw":"10","bc":"0"}]}}"#;
        let Some(UserEvent::AccountUpdate(a)) = parse_user(text).unwrap() else {
            panic!()
        };
        assert_eq!(a.reason, "FUNDING_FEE");
        assert!(a.positions.is_empty());
    }

    #[test]
    fn listen_key_expired_with_a_string_or_number_time() {
        assert_eq!(
            parse_user(EXPIRED).unwrap(),
            Some(UserEvent::ListenKeyExpired {
                event_time: 1736996475556
            })
        );
        assert_eq!(
            parse_user(r#"{"e":"listenKeyExpired","E":1576653824250}"#).unwrap(),
            Some(UserEvent::ListenKeyExpired {
                event_time: 1576653824250
            })
        );
    }

    #[test]
    fn unknown_events_pass_through_and_wrappers_unwrap() {
        assert_eq!(
            parse_user(r#"{"e":"MARGIN_CALL","E":1}"#).unwrap(),
            Some(UserEvent::Other {
                event_type: "MARGIN_CALL".into()
            })
        );
        let wrapped = format!(r#"{{"stream":"somekey","data":{ORDER}}}"#);
        assert_eq!(parse_user(&wrapped).unwrap(), parse_user(ORDER).unwrap());
        assert_eq!(parse_user(r#"{"result":null,"id":3}"#).unwrap(), None);
    }

    #[test]
    fn malformed_user_messages_are_typed_errors() {
        assert!(matches!(parse_user("{"), Err(ParseError::NotJson(_))));
        assert!(matches!(
            parse_user(r#"{"E":1}"#),
            Err(ParseError::NoEventType)
        ));
        let no_side = ORDER.replace(r#""S":"SELL","#, "");
        let Err(ParseError::BadEvent { event_type, detail }) = parse_user(&no_side) else {
            panic!()
        };
        assert_eq!(event_type, "ORDER_TRADE_UPDATE");
        assert!(detail.contains("`S`"), "{detail}");
        for text in [
            ORDER.replace(r#""S":"SELL""#, r#""S":"SIDEWAYS""#),
            ORDER.replace(r#""q":"0.001""#, r#""q":"lots""#),
            ORDER.replace(r#""i":8886774"#, r#""i":"x""#),
            ACCOUNT.replace(r#""wb":"1.00000000""#, r#""wb":true"#),
            ACCOUNT.replace(r#""m":"ORDER","#, ""),
            r#"{"e":"ACCOUNT_UPDATE","E":1,"T":1}"#.to_owned(),
            r#"{"e":"listenKeyExpired"}"#.to_owned(),
        ] {
            assert!(
                matches!(parse_user(&text), Err(ParseError::BadEvent { .. })),
                "{text}"
            );
        }
    }

    #[test]
    fn plain_ws_to_a_venue_is_refused() {
        let keys = Arc::new(FakeKeys::default());
        let err = UserStream::start(
            keys,
            "ws://fstream.binance.com/private",
            UserStreamOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            StreamError::Tls(crate::tls::TlsError::InsecureUrl(_))
        ));
    }

    #[test]
    fn listen_keys_are_redacted_in_logs() {
        assert_eq!(redact("pqia91ma19a5s61cv6a81va65sdf19v8a65a1"), "pqia…");
    }

    /// Listen keys `k1`, `k2`, … ; the first keep-alive answers -1125 when told to.
    #[derive(Default)]
    struct FakeKeys {
        created: AtomicU32,
        keepalives: AtomicU32,
        closed: AtomicU32,
        fail_first_keepalive: bool,
        log: Mutex<Vec<String>>,
    }

    impl ListenKeys for FakeKeys {
        async fn create(&self) -> Result<String, VenueError> {
            let n = self.created.fetch_add(1, Ordering::SeqCst) + 1;
            self.log.lock().unwrap().push(format!("POST k{n}"));
            Ok(format!("k{n}"))
        }
        async fn keepalive(&self) -> Result<String, VenueError> {
            let n = self.keepalives.fetch_add(1, Ordering::SeqCst);
            self.log.lock().unwrap().push("PUT".into());
            if n == 0 && self.fail_first_keepalive {
                return Err(VenueError::Rejected {
                    http: 400,
                    code: -1125,
                    msg: "This listenKey does not exist.".into(),
                });
            }
            Ok(format!("k{}", self.created.load(Ordering::SeqCst)))
        }
        async fn close(&self) -> Result<(), VenueError> {
            self.closed.fetch_add(1, Ordering::SeqCst);
            self.log.lock().unwrap().push("DELETE".into());
            Ok(())
        }
    }

    // A real socket: the server sends an order update then `listenKeyExpired` on the first
    // connection, holds the second (keep-alives answer -1125 once → a third connection), and
    // the client reconnects each time with a fresh POST and a Resync.
    #[tokio::test]
    // The handshake callback's error type is tungstenite's, large by design.
    #[allow(clippy::result_large_err)]
    async fn resyncs_after_every_connection_and_renews_the_key() {
        use futures_util::{SinkExt, StreamExt};
        use tokio::net::TcpListener;
        use tokio_tungstenite::tungstenite::Message;

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (paths_tx, mut paths) = mpsc::unbounded_channel::<String>();
        let server = tokio::spawn(async move {
            for connection in 0..3u32 {
                let (socket, _) = listener.accept().await.unwrap();
                let paths_tx = paths_tx.clone();
                let mut ws = tokio_tungstenite::accept_hdr_async(
                    socket,
                    move |req: &tokio_tungstenite::tungstenite::handshake::server::Request,
                          resp| {
                        let _ = paths_tx.send(req.uri().path().to_owned());
                        Ok(resp)
                    },
                )
                .await
                .unwrap();
                if connection == 0 {
                    ws.send(Message::Text(ORDER.into())).await.unwrap();
                    ws.send(Message::Text(EXPIRED.into())).await.unwrap();
                }
                if connection == 1 {
                    ws.send(Message::Text(ACCOUNT.into())).await.unwrap();
                }
                // Hold until the client leaves.
                while let Some(Ok(msg)) = ws.next().await {
                    if matches!(msg, Message::Close(_)) {
                        break;
                    }
                }
            }
        });

        let keys = Arc::new(FakeKeys {
            fail_first_keepalive: true,
            ..FakeKeys::default()
        });
        let options = UserStreamOptions {
            stream: StreamOptions {
                backoff_initial: Duration::from_millis(20),
                backoff_max: Duration::from_millis(200),
                ..StreamOptions::default()
            },
            keepalive_every: Duration::from_millis(300),
            close_listen_key: true,
        };
        let (stream, mut events) =
            UserStream::start(keys.clone(), &format!("ws://127.0.0.1:{port}"), options).unwrap();

        // Resync, order, expired, disconnected, Resync, account, disconnected (-1125), Resync.
        let seen =
            crate::binance_usdm::ws::market_stream::tests::first_events(&mut events, 8).await;
        let kinds: Vec<&str> = seen
            .iter()
            .map(|e| match e {
                UserEvent::Resync => "resync",
                UserEvent::OrderUpdate(_) => "order",
                UserEvent::AccountUpdate(_) => "account",
                UserEvent::ListenKeyExpired { .. } => "expired",
                UserEvent::Disconnected { .. } => "disconnected",
                _ => "other",
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "resync",
                "order",
                "expired",
                "disconnected",
                "resync",
                "account",
                "disconnected",
                "resync"
            ]
        );
        assert_eq!(paths.recv().await.unwrap(), "/ws/k1");
        assert_eq!(paths.recv().await.unwrap(), "/ws/k2");
        assert_eq!(paths.recv().await.unwrap(), "/ws/k3");

        // A keep-alive on the third connection succeeds and changes nothing.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while keys.keepalives.load(Ordering::SeqCst) < 2 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no second keep-alive within 5 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(keys.created.load(Ordering::SeqCst), 3);

        tokio::time::timeout(Duration::from_secs(5), stream.close())
            .await
            .expect("close within 5 s");
        assert_eq!(keys.closed.load(Ordering::SeqCst), 1);
        assert_eq!(keys.log.lock().unwrap().last().unwrap(), "DELETE");
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("server saw the close")
            .unwrap();
    }

    #[tokio::test]
    async fn a_refused_listen_key_stops_the_stream() {
        struct Refusing(AtomicU32);
        impl ListenKeys for Refusing {
            async fn create(&self) -> Result<String, VenueError> {
                Err(VenueError::Rejected {
                    http: 401,
                    code: -2015,
                    msg: "Invalid API-key, IP, or permissions for action".into(),
                })
            }
            async fn keepalive(&self) -> Result<String, VenueError> {
                Ok("k".into())
            }
            async fn close(&self) -> Result<(), VenueError> {
                self.0.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        }
        let keys = Arc::new(Refusing(AtomicU32::new(0)));
        let (stream, mut events) = UserStream::start(
            keys.clone(),
            "ws://127.0.0.1:9",
            UserStreamOptions::default(),
        )
        .unwrap();
        let first = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .unwrap();
        assert!(
            matches!(first, Some(UserEvent::Stopped { .. })),
            "{first:?}"
        );
        let end = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .unwrap();
        assert_eq!(end, None);
        stream.close().await;
        // No key was ever handed out, so there is none to delete.
        assert_eq!(keys.0.load(Ordering::SeqCst), 0);
    }
}
