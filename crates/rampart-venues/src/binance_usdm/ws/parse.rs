//! The market events as typed values with decimal fields, and the readers both streams share:
//! the combined-stream wrapper, event types, decimals from strings only, times in ms.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

/// `<symbol>@markPrice`: event `markPriceUpdate`.
///
/// ```json
/// {"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000",
///  "i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MarkPrice {
    /// `E`, ms.
    #[serde(rename = "E", deserialize_with = "millis")]
    pub event_time: i64,
    #[serde(rename = "s")]
    pub symbol: String,
    #[serde(rename = "p", deserialize_with = "dec")]
    pub mark_price: Decimal,
    #[serde(rename = "i", deserialize_with = "dec")]
    pub index_price: Decimal,
    /// `P`: only meaningful in the last hour before a settlement.
    #[serde(rename = "P", default, deserialize_with = "opt_dec")]
    pub estimated_settle_price: Option<Decimal>,
    /// `r`: `None` when the venue sends `""` (a delivery contract).
    #[serde(rename = "r", default, deserialize_with = "opt_dec")]
    pub funding_rate: Option<Decimal>,
    /// `T`, ms: `None` when the venue sends 0 (a delivery contract).
    #[serde(rename = "T", default, deserialize_with = "opt_millis")]
    pub next_funding_time: Option<i64>,
}

/// `<symbol>@bookTicker`: event `bookTicker`, any change of the best bid or ask.
///
/// ```json
/// {"e":"bookTicker","u":400900217,"E":1568014460893,"T":1568014460891,"s":"BNBUSDT",
///  "b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BookTicker {
    /// `u`: the order book update id; larger is newer.
    #[serde(rename = "u")]
    pub update_id: u64,
    #[serde(rename = "E", deserialize_with = "millis")]
    pub event_time: i64,
    #[serde(rename = "T", default, deserialize_with = "opt_millis")]
    pub transaction_time: Option<i64>,
    #[serde(rename = "s")]
    pub symbol: String,
    #[serde(rename = "b", deserialize_with = "dec")]
    pub bid_price: Decimal,
    #[serde(rename = "B", deserialize_with = "dec")]
    pub bid_qty: Decimal,
    #[serde(rename = "a", deserialize_with = "dec")]
    pub ask_price: Decimal,
    #[serde(rename = "A", deserialize_with = "dec")]
    pub ask_qty: Decimal,
}

/// `<symbol>@kline_<interval>`: event `kline`, the current candle (every 250 ms while it moves).
///
/// ```json
/// {"e":"kline","E":1638747660000,"s":"BTCUSDT","k":{"t":1638747660000,"T":1638747719999,
///  "s":"BTCUSDT","i":"1m","f":100,"L":200,"o":"0.0010","c":"0.0020","h":"0.0025",
///  "l":"0.0015","v":"1000","n":100,"x":false,"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "KlineWire")]
pub struct Kline {
    pub event_time: i64,
    pub symbol: String,
    /// `1m`, `3m`, … `1M`, as the venue names it.
    pub interval: String,
    pub open_time: i64,
    pub close_time: i64,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
    /// `v`: base-asset volume.
    pub volume: Decimal,
    /// `q`: quote-asset volume.
    pub quote_volume: Decimal,
    pub trades: u64,
    /// `x`: the candle is final.
    pub closed: bool,
}

#[derive(Deserialize)]
struct KlineWire {
    #[serde(rename = "E", deserialize_with = "millis")]
    event_time: i64,
    #[serde(rename = "s")]
    symbol: String,
    k: KlineBody,
}

#[derive(Deserialize)]
struct KlineBody {
    #[serde(rename = "t", deserialize_with = "millis")]
    open_time: i64,
    #[serde(rename = "T", deserialize_with = "millis")]
    close_time: i64,
    #[serde(rename = "i")]
    interval: String,
    #[serde(rename = "o", deserialize_with = "dec")]
    open: Decimal,
    #[serde(rename = "h", deserialize_with = "dec")]
    high: Decimal,
    #[serde(rename = "l", deserialize_with = "dec")]
    low: Decimal,
    #[serde(rename = "c", deserialize_with = "dec")]
    close: Decimal,
    #[serde(rename = "v", deserialize_with = "dec")]
    volume: Decimal,
    #[serde(rename = "q", default, deserialize_with = "dec")]
    quote_volume: Decimal,
    #[serde(rename = "n", default)]
    trades: u64,
    #[serde(rename = "x")]
    closed: bool,
}

impl From<KlineWire> for Kline {
    fn from(w: KlineWire) -> Self {
        Kline {
            event_time: w.event_time,
            symbol: w.symbol,
            interval: w.k.interval,
            open_time: w.k.open_time,
            close_time: w.k.close_time,
            open: w.k.open,
            high: w.k.high,
            low: w.k.low,
            close: w.k.close,
            volume: w.k.volume,
            quote_volume: w.k.quote_volume,
            trades: w.k.trades,
            closed: w.k.closed,
        }
    }
}

/// One `[price, quantity]` pair of a depth event: the absolute quantity at that price, 0 when
/// the level is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct DepthLevel(
    #[serde(deserialize_with = "dec")] pub Decimal,
    #[serde(deserialize_with = "dec")] pub Decimal,
);

/// `<symbol>@depth…` (diff) and `<symbol>@depth<5|10|20>…` (partial): event `depthUpdate`.
///
/// ```json
/// {"e":"depthUpdate","E":123456789,"T":123456788,"s":"BTCUSDT","U":157,"u":160,"pu":149,
///  "b":[["0.0024","10"]],"a":[["0.0026","100"]]}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DepthUpdate {
    #[serde(rename = "E", deserialize_with = "millis")]
    pub event_time: i64,
    #[serde(rename = "T", default, deserialize_with = "opt_millis")]
    pub transaction_time: Option<i64>,
    #[serde(rename = "s")]
    pub symbol: String,
    /// `U`: "First update ID in event".
    #[serde(rename = "U")]
    pub first_update_id: u64,
    /// `u`: "Final update ID in event".
    #[serde(rename = "u")]
    pub final_update_id: u64,
    /// `pu`: "Final update Id in last stream (ie `u` in last stream)".
    #[serde(rename = "pu")]
    pub previous_final_update_id: u64,
    #[serde(rename = "b")]
    pub bids: Vec<DepthLevel>,
    #[serde(rename = "a")]
    pub asks: Vec<DepthLevel>,
}

/// `<symbol>@aggTrade`: event `aggTrade`, fills "aggregated for fills with same price and
/// taking side every 100 milliseconds".
///
/// ```json
/// {"e":"aggTrade","E":123456789,"s":"BTCUSDT","a":5933014,"p":"0.001","q":"100","f":100,
///  "l":105,"T":123456785,"m":true}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AggTrade {
    #[serde(rename = "E", deserialize_with = "millis")]
    pub event_time: i64,
    #[serde(rename = "s")]
    pub symbol: String,
    #[serde(rename = "a")]
    pub aggregate_id: u64,
    #[serde(rename = "p", deserialize_with = "dec")]
    pub price: Decimal,
    #[serde(rename = "q", deserialize_with = "dec")]
    pub qty: Decimal,
    #[serde(rename = "f")]
    pub first_trade_id: u64,
    #[serde(rename = "l")]
    pub last_trade_id: u64,
    #[serde(rename = "T", deserialize_with = "millis")]
    pub trade_time: i64,
    /// `m`: "Is the buyer the market maker?" (true: the taker sold).
    #[serde(rename = "m")]
    pub buyer_is_maker: bool,
}

/// What the market stream delivers, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarketEvent {
    /// The first connection is up.
    Connected,
    MarkPrice(MarkPrice),
    BookTicker(BookTicker),
    Kline(Kline),
    Depth(DepthUpdate),
    AggTrade(AggTrade),
    /// A well-formed event of a type this module does not model (e.g. `forceOrder`).
    Other {
        event_type: String,
    },
    /// A message that could not be read; it was skipped.
    Malformed(ParseError),
    /// The connection ended (or a connection attempt failed); a reconnect follows.
    Disconnected {
        reason: String,
    },
    /// A connection is up again after a drop: events between `Disconnected` and this were lost.
    Reconnected,
}

/// A message that is not what Binance documents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not JSON at all.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// JSON without the `e` event type.
    #[error("no event type in the message")]
    NoEventType,
    /// A known event with a missing or malformed field.
    #[error("{event_type} not understood: {detail}")]
    BadEvent { event_type: String, detail: String },
}

/// Reads one market-stream message (raw or combined-stream wrapped; an object or an array of
/// objects such as `!markPrice@arr`) into its events. Subscription answers
/// (`{"result":null,"id":1}`) give no event.
pub fn parse_market(text: &str) -> Result<Vec<MarketEvent>, ParseError> {
    let payload = unwrap_combined(text)?;
    if is_request_answer(&payload) {
        return Ok(Vec::new());
    }
    match payload {
        serde_json::Value::Array(items) => items.into_iter().map(market_event).collect(),
        one => Ok(vec![market_event(one)?]),
    }
}

fn market_event(value: serde_json::Value) -> Result<MarketEvent, ParseError> {
    let event_type = event_type(&value)?;
    match event_type.as_str() {
        "markPriceUpdate" => typed(value, &event_type).map(MarketEvent::MarkPrice),
        "bookTicker" => typed(value, &event_type).map(MarketEvent::BookTicker),
        "kline" => typed(value, &event_type).map(MarketEvent::Kline),
        "depthUpdate" => typed(value, &event_type).map(MarketEvent::Depth),
        "aggTrade" => typed(value, &event_type).map(MarketEvent::AggTrade),
        _ => Ok(MarketEvent::Other { event_type }),
    }
}

/// The message's payload: `data` of a combined-stream `{"stream", "data"}` wrapper, else the
/// message itself.
pub(crate) fn unwrap_combined(text: &str) -> Result<serde_json::Value, ParseError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ParseError::NotJson(e.to_string()))?;
    match value {
        serde_json::Value::Object(mut map)
            if map.len() == 2 && map.get("stream").is_some_and(|s| s.is_string()) =>
        {
            Ok(map.remove("data").unwrap_or(serde_json::Value::Null))
        }
        other => Ok(other),
    }
}

/// `{"result": …, "id": …}`: the answer to a live SUBSCRIBE/UNSUBSCRIBE/LIST request.
pub(crate) fn is_request_answer(value: &serde_json::Value) -> bool {
    value.get("id").is_some() && value.get("e").is_none()
}

pub(crate) fn event_type(value: &serde_json::Value) -> Result<String, ParseError> {
    value
        .get("e")
        .and_then(|e| e.as_str())
        .map(str::to_owned)
        .ok_or(ParseError::NoEventType)
}

pub(crate) fn typed<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    event_type: &str,
) -> Result<T, ParseError> {
    serde_json::from_value(value).map_err(|e| ParseError::BadEvent {
        event_type: event_type.to_owned(),
        detail: e.to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// Field readers: decimals from strings only (never through f64), times from numbers (or numeric
// strings).

#[derive(Deserialize)]
#[serde(untagged)]
enum StrOrNum {
    Str(String),
    Num(serde_json::Number),
}

/// Binance documents its decimals as strings: a JSON number is refused, as is anything
/// `rust_decimal` cannot hold exactly.
fn decimal_from<E: serde::de::Error>(text: &str) -> Result<Decimal, E> {
    Decimal::from_str_exact(text.trim())
        .map_err(|_| E::custom(format!("'{text}' is not a decimal")))
}

pub(crate) fn dec<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let text = String::deserialize(d)
        .map_err(|_| serde::de::Error::custom("expected a decimal string"))?;
    decimal_from(&text)
}

/// `""` (and `null`) read as `None`.
pub(crate) fn opt_dec<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    let text = Option::<String>::deserialize(d)
        .map_err(|_| serde::de::Error::custom("expected a decimal string"))?;
    match text {
        None => Ok(None),
        Some(t) if t.trim().is_empty() => Ok(None),
        Some(t) => decimal_from(&t).map(Some),
    }
}

fn ms_from<E: serde::de::Error>(value: StrOrNum) -> Result<i64, E> {
    match value {
        StrOrNum::Num(n) => n
            .as_i64()
            .ok_or_else(|| E::custom(format!("{n} is not a time in ms"))),
        StrOrNum::Str(s) => s
            .trim()
            .parse()
            .map_err(|_| E::custom(format!("'{s}' is not a time in ms"))),
    }
}

/// A time in ms: a JSON number, or a numeric string (as `listenKeyExpired` sends it).
pub(crate) fn millis<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    ms_from(StrOrNum::deserialize(d)?)
}

/// 0 (and `null`) read as `None`.
pub(crate) fn opt_millis<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<StrOrNum>::deserialize(d)? {
        None => Ok(None),
        Some(value) => ms_from(value).map(|ms| (ms != 0).then_some(ms)),
    }
}

// ---------------------------------------------------------------------------------------------
// Reconnect schedule

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    pub(in crate::binance_usdm::ws) const MARK: &str = r#"{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT",
        "p":"11794.15000000","i":"11784.62659091","P":"11784.25641265",
        "r":"0.00038167","T":1562306400000}"#;
    const BOOK: &str = r#"{"e":"bookTicker","u":400900217,"E":1568014460893,
        "T":1568014460891,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000",
        "a":"25.36520000","A":"40.66000000"}"#;
    const KLINE: &str = r#"{"e":"kline","E":1638747660000,"s":"BTCUSDT","k":{
        "t":1638747660000,"T":1638747719999,"s":"BTCUSDT","i":"1m","f":100,"L":200,
        "o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0015","v":"1000","n":100,"x":false,
        "q":"1.0000","V":"500","Q":"0.500","B":"123456"}}"#;

    fn one(text: &str) -> MarketEvent {
        let mut events = parse_market(text).unwrap();
        assert_eq!(events.len(), 1);
        events.remove(0)
    }

    #[test]
    fn mark_price_example() {
        let MarketEvent::MarkPrice(m) = one(MARK) else {
            panic!()
        };
        assert_eq!(
            m,
            MarkPrice {
                event_time: 1562305380000,
                symbol: "BTCUSDT".into(),
                mark_price: d("11794.15000000"),
                index_price: d("11784.62659091"),
                estimated_settle_price: Some(d("11784.25641265")),
                funding_rate: Some(d("0.00038167")),
                next_funding_time: Some(1562306400000),
            }
        );
    }

    #[test]
    fn mark_price_of_a_delivery_contract_has_no_funding() {
        let text = r#"{"e":"markPriceUpdate","E":1,"s":"BTCUSDT_251226","p":"1","i":"2",
            "P":"3","r":"","T":0}"#;
        let MarketEvent::MarkPrice(m) = one(text) else {
            panic!()
        };
        assert_eq!(m.funding_rate, None);
        assert_eq!(m.next_funding_time, None);
    }

    #[test]
    fn book_ticker_example() {
        let MarketEvent::BookTicker(b) = one(BOOK) else {
            panic!()
        };
        assert_eq!(
            b,
            BookTicker {
                update_id: 400900217,
                event_time: 1568014460893,
                transaction_time: Some(1568014460891),
                symbol: "BNBUSDT".into(),
                bid_price: d("25.35190000"),
                bid_qty: d("31.21000000"),
                ask_price: d("25.36520000"),
                ask_qty: d("40.66000000"),
            }
        );
    }

    #[test]
    fn kline_example() {
        let MarketEvent::Kline(k) = one(KLINE) else {
            panic!()
        };
        assert_eq!(
            k,
            Kline {
                event_time: 1638747660000,
                symbol: "BTCUSDT".into(),
                interval: "1m".into(),
                open_time: 1638747660000,
                close_time: 1638747719999,
                open: d("0.0010"),
                high: d("0.0025"),
                low: d("0.0015"),
                close: d("0.0020"),
                volume: d("1000"),
                quote_volume: d("1.0000"),
                trades: 100,
                closed: false,
            }
        );
    }

    #[test]
    fn combined_stream_messages_are_unwrapped() {
        let wrapped = format!(r#"{{"stream":"btcusdt@markPrice@1s","data":{MARK}}}"#);
        assert_eq!(one(&wrapped), one(MARK));
        let wrapped = format!(r#"{{"stream":"bnbusdt@bookTicker","data":{BOOK}}}"#);
        assert!(matches!(one(&wrapped), MarketEvent::BookTicker(_)));
        // An array payload (`!markPrice@arr`) gives one event per element.
        let arr = format!(r#"{{"stream":"!markPrice@arr","data":[{MARK},{MARK}]}}"#);
        assert_eq!(parse_market(&arr).unwrap().len(), 2);
    }

    #[test]
    fn subscription_answers_and_unknown_events_are_not_errors() {
        assert_eq!(parse_market(r#"{"result":null,"id":1}"#).unwrap(), vec![]);
        assert_eq!(
            one(r#"{"e":"forceOrder","E":1,"o":{}}"#),
            MarketEvent::Other {
                event_type: "forceOrder".into()
            }
        );
    }

    #[test]
    fn malformed_messages_are_typed_errors() {
        assert!(matches!(
            parse_market("not json"),
            Err(ParseError::NotJson(_))
        ));
        assert!(matches!(
            parse_market(r#"{"s":"BTCUSDT"}"#),
            Err(ParseError::NoEventType)
        ));
        // A missing field.
        let no_mark = r#"{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","i":"1"}"#;
        let Err(ParseError::BadEvent { event_type, detail }) = parse_market(no_mark) else {
            panic!()
        };
        assert_eq!(event_type, "markPriceUpdate");
        assert!(detail.contains("`p`"), "{detail}");
        // A price that is not a number.
        let bad = BOOK.replace("25.35190000", "abc");
        assert!(matches!(
            parse_market(&bad),
            Err(ParseError::BadEvent { .. })
        ));
        // A kline without its body.
        assert!(matches!(
            parse_market(r#"{"e":"kline","E":1,"s":"BTCUSDT"}"#),
            Err(ParseError::BadEvent { .. })
        ));
        // Wrong types everywhere.
        for text in [
            r#"{"e":"bookTicker","u":"x","E":1,"s":"A","b":"1","B":"1","a":"1","A":"1"}"#,
            r#"{"e":"bookTicker","u":1,"E":1.5,"s":"A","b":"1","B":"1","a":"1","A":"1"}"#,
            r#"{"e":"markPriceUpdate","E":1,"s":"A","p":[],"i":"1"}"#,
            // A decimal as a JSON number: Binance documents strings.
            r#"{"e":"markPriceUpdate","E":1,"s":"A","p":1.5,"i":"1"}"#,
            r#"[1,2]"#,
            r#"{"stream":"x","data":null}"#,
        ] {
            assert!(parse_market(text).is_err(), "{text}");
        }
    }
}
