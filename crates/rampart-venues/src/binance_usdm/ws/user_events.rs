//! The user data stream's events as typed values: `ORDER_TRADE_UPDATE`, `ALGO_UPDATE`,
//! `ACCOUNT_UPDATE`, `listenKeyExpired`, and the reader of one message.

use rampart_core::Side;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

use super::super::algo::{AlgoStatus, opt_id};
use super::parse::{
    ParseError, dec, event_type, is_request_answer, millis, opt_dec, opt_millis, typed,
    unwrap_combined,
};

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

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    // Binance's documented examples (USDⓈ-M User Data Streams event pages), reformatted.
    pub(in crate::binance_usdm::ws) const ORDER: &str = r#"{"e":"ORDER_TRADE_UPDATE","E":1568879465651,"T":1568879465650,
        "o":{"s":"BTCUSDT","c":"TEST","S":"SELL","o":"TRAILING_STOP_MARKET","f":"GTC",
        "q":"0.001","p":"0","ap":"0","sp":"7103.04","x":"NEW","X":"NEW","i":8886774,
        "l":"0","z":"0","L":"0","N":"USDT","n":"0","T":1568879465650,"t":0,"b":"0",
        "a":"9.91","m":false,"R":false,"wt":"CONTRACT_PRICE","ot":"TRAILING_STOP_MARKET",
        "ps":"LONG","cp":false,"AP":"7476.89","cr":"5.0","pP":false,"si":0,"ss":0,
        "rp":"0","V":"EXPIRE_TAKER","pm":"OPPONENT","gtd":0}}"#;
    pub(in crate::binance_usdm::ws) const ACCOUNT: &str = r#"{"e":"ACCOUNT_UPDATE","E":1564745798939,"T":1564745798938,
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
    pub(in crate::binance_usdm::ws) const EXPIRED: &str = r#"{"e":"listenKeyExpired","E":"1736996475556",
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
}
