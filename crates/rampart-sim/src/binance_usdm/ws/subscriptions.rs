//! One connection's subscriptions: market stream names and listen keys, the frames each event
//! gives it (user data only to its owner, `listenKeyExpired` when a key ends), and the live
//! requests (SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY / GET_PROPERTY).

use std::collections::HashMap;

use axum::extract::ws::Message;
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::{Shared, SimEvent};

use super::MAX_STREAMS;
use super::routing::Route;

/// A market stream name (`<symbol>@<kind>`, or `!<kind>@arr` for all symbols), as opposed to
/// a listen key.
pub(super) fn is_market_stream(name: &str) -> bool {
    name.contains('@') || name.starts_with('!')
}

/// The published stream a subscription listens to, and how many book levels a side it keeps
/// (partial depth below 20):
/// - `<symbol>@markPrice@1s` is the 1-second variant of `<symbol>@markPrice`, which the
///   simulator publishes under the plain name;
/// - `<symbol>@depth@100ms` and `@depth@500ms` are `<symbol>@depth` ("pushed every 250
///   milliseconds, 500 milliseconds, 100 milliseconds"): the simulator sends each change as it
///   happens, whatever the speed asked;
/// - `<symbol>@depth<5|10|20>`, with or without `@100ms`/`@500ms`, are cut from
///   `<symbol>@depth20`.
pub(super) fn source_of(stream: &str) -> (String, Option<usize>) {
    let base = stream
        .strip_suffix("@100ms")
        .or_else(|| stream.strip_suffix("@500ms"))
        .filter(|s| s.contains("@depth"))
        .unwrap_or(stream);
    if let Some(mark) = base
        .strip_suffix("@1s")
        .filter(|s| s.ends_with("@markPrice"))
    {
        return (mark.to_owned(), None);
    }
    if let Some((symbol, kind)) = base.rsplit_once('@') {
        let levels = match kind {
            "depth5" => Some(5),
            "depth10" => Some(10),
            "depth20" => Some(super::book_streams::PARTIAL_LEVELS),
            _ => None,
        };
        if let Some(levels) = levels {
            let source = format!("{symbol}@depth{}", super::book_streams::PARTIAL_LEVELS);
            return (source, Some(levels));
        }
    }
    (base.to_owned(), None)
}

/// `data` with its `b` and `a` lists cut to `levels` entries (partial depth).
pub(super) fn keep_levels(data: &Value, levels: usize) -> Value {
    let mut data = data.clone();
    for side in ["b", "a"] {
        if let Some(list) = data.get_mut(side).and_then(Value::as_array_mut) {
            list.truncate(levels);
        }
    }
    data
}

/// One stream connection's subscriptions.
pub(super) struct Subscriptions {
    pub(super) inner: Shared,
    /// The routed path the connection came in on: what it may receive.
    pub(super) route: Route,
    /// Whether events are wrapped as `{"stream", "data"}` (the `combined` property).
    pub(super) combined: bool,
    /// Subscribed stream names and listen keys, in the order they were subscribed.
    pub(super) streams: Vec<String>,
    /// The owner (API key) of each subscribed listen key.
    pub(super) owners: HashMap<String, String>,
    /// `/private`'s `events=`: the user event types delivered (`listenKeyExpired` always is);
    /// `None`, every type.
    pub(super) events: Option<Vec<String>>,
}

/// A closed connection no longer wants its symbols' events.
impl Drop for Subscriptions {
    fn drop(&mut self) {
        for stream in self.streams.iter().filter(|s| is_market_stream(s)) {
            self.inner.interest.release(stream);
        }
    }
}

impl Subscriptions {
    /// Adds a stream; false when it names a listen key that is not valid.
    pub(super) fn add(&mut self, stream: &str) -> bool {
        if self.streams.iter().any(|s| s == stream) {
            return true;
        }
        if !is_market_stream(stream) && self.route.carries(stream) {
            match self.inner.listen_key_owner(stream) {
                Some(owner) => {
                    self.owners.insert(stream.to_owned(), owner);
                }
                None => return false,
            }
        }
        self.streams.push(stream.to_owned());
        if is_market_stream(stream) {
            self.inner.interest.hold(stream);
        }
        true
    }

    pub(super) fn remove(&mut self, stream: &str) {
        let before = self.streams.len();
        self.streams.retain(|s| s != stream);
        if self.streams.len() < before && is_market_stream(stream) {
            self.inner.interest.release(stream);
        }
        self.owners.remove(stream);
    }

    pub(super) fn frame(&self, stream: &str, data: &Value) -> Message {
        let text = if self.combined {
            json!({ "stream": stream, "data": data }).to_string()
        } else {
            data.to_string()
        };
        Message::text(text)
    }

    /// The frames `event` gives this connection, and whether the connection must close after
    /// them (its listen key expired).
    pub(super) fn deliver(&self, event: &SimEvent) -> (Vec<Message>, bool) {
        match event {
            SimEvent::Market { stream, data } => {
                let mut frames = Vec::new();
                for s in &self.streams {
                    let (source, levels) = source_of(s);
                    if source != *stream || !self.route.carries(s) {
                        continue;
                    }
                    match levels {
                        Some(n) => frames.push(self.frame(s, &keep_levels(data, n))),
                        None => frames.push(self.frame(s, data)),
                    }
                }
                (frames, false)
            }
            SimEvent::User { api_key, data } => {
                let expired = data["e"] == "listenKeyExpired";
                let wanted = self.events.as_ref().is_none_or(|events| {
                    expired
                        || events
                            .iter()
                            .any(|e| data["e"].as_str() == Some(e.as_str()))
                });
                if !wanted {
                    return (Vec::new(), false);
                }
                let named = data["listenKey"].as_str();
                let keys: Vec<&String> = self
                    .owners
                    .iter()
                    .filter(|(key, owner)| {
                        *owner == api_key && (!expired || named.is_none_or(|n| n == key.as_str()))
                    })
                    .map(|(key, _)| key)
                    .collect();
                let frames: Vec<Message> = keys.iter().map(|k| self.frame(k, data)).collect();
                let close = expired && !frames.is_empty();
                (frames, close)
            }
        }
    }

    /// `listenKeyExpired` frames for subscribed listen keys that are no longer valid.
    pub(super) fn expired_keys(&self) -> Vec<Message> {
        let now = self.inner.now_ms();
        self.owners
            .keys()
            .filter(|key| self.inner.listen_key_owner(key).is_none())
            .map(|key| {
                let data = json!({ "e": "listenKeyExpired", "E": now, "listenKey": key });
                self.frame(key, &data)
            })
            .collect()
    }

    /// Answers one live request (a text frame).
    pub(super) fn request(&mut self, text: &str) -> Value {
        match self.handle(text) {
            Ok(Answer { result, id }) => json!({ "result": result, "id": id }),
            Err(Refusal { code, msg, id }) => {
                json!({ "error": { "code": code, "msg": msg }, "id": id })
            }
        }
    }

    pub(super) fn handle(&mut self, text: &str) -> Result<Answer, Refusal> {
        let value: Value = serde_json::from_str(text).map_err(|e| Refusal {
            code: INVALID_JSON,
            msg: format!("Invalid JSON: {e}"),
            id: Value::Null,
        })?;
        let raw_id = value.get("id").cloned();
        // Binance's request ids are unsigned integers ("request ID must be an unsigned
        // integer" when one is missing or of another type).
        let id = match &raw_id {
            Some(Value::Number(n)) if n.is_u64() => Value::Number(n.clone()),
            _ => {
                let msg = "Invalid request: request ID must be an unsigned integer";
                return Err(Refusal {
                    code: INVALID_REQUEST,
                    msg: msg.into(),
                    id: Value::Null,
                });
            }
        };
        let request: Request = serde_json::from_value(value).map_err(|e| Refusal {
            code: INVALID_REQUEST,
            msg: format!("Invalid request: {e}"),
            id: id.clone(),
        })?;
        let fail = |code: i64, msg: &str| {
            Err(Refusal {
                code,
                msg: msg.to_owned(),
                id: id.clone(),
            })
        };
        let result = match request.method {
            Method::Subscribe | Method::Unsubscribe => {
                let mut names = Vec::with_capacity(request.params.len());
                for param in &request.params {
                    match param.as_str() {
                        Some(name) => names.push(name),
                        None => {
                            return fail(
                                INVALID_REQUEST,
                                "Invalid request: stream names must be strings",
                            );
                        }
                    }
                }
                if matches!(request.method, Method::Unsubscribe) {
                    for name in names {
                        self.remove(name);
                    }
                } else {
                    let new = names
                        .iter()
                        .filter(|n| !self.streams.iter().any(|s| s == *n))
                        .count();
                    if self.streams.len() + new > MAX_STREAMS {
                        return fail(TOO_MANY_SUBSCRIPTIONS, "Too many subscriptions");
                    }
                    for name in names {
                        // A listen key that is not valid is acknowledged and stays silent,
                        // like any unknown stream.
                        if !self.add(name) {
                            self.streams.push(name.to_owned());
                        }
                    }
                }
                Value::Null
            }
            Method::ListSubscriptions => {
                if !request.params.is_empty() {
                    return fail(INVALID_REQUEST, "Invalid request: too many parameters");
                }
                json!(self.streams)
            }
            Method::SetProperty => {
                if request.params.len() > 2 {
                    return fail(INVALID_REQUEST, "Invalid request: too many parameters");
                }
                let Some(name) = request.params.first().and_then(Value::as_str) else {
                    return fail(
                        INVALID_REQUEST,
                        "Invalid request: property name must be a string",
                    );
                };
                if name != "combined" {
                    return fail(UNKNOWN_PROPERTY, "Unknown property");
                }
                let Some(on) = request.params.get(1).and_then(Value::as_bool) else {
                    return fail(INVALID_VALUE_TYPE, "Invalid value type: expected Boolean");
                };
                self.combined = on;
                Value::Null
            }
            Method::GetProperty => {
                if request.params.len() > 1 {
                    return fail(INVALID_REQUEST, "Invalid request: too many parameters");
                }
                let Some(name) = request.params.first().and_then(Value::as_str) else {
                    return fail(
                        INVALID_REQUEST,
                        "Invalid request: property name must be a string",
                    );
                };
                if name != "combined" {
                    return fail(UNKNOWN_PROPERTY, "Unknown property");
                }
                Value::Bool(self.combined)
            }
        };
        Ok(Answer { result, id })
    }
}

/// The live-request error codes Binance's "Error Messages" lists.
pub(super) const UNKNOWN_PROPERTY: i64 = 0;
pub(super) const INVALID_VALUE_TYPE: i64 = 1;
pub(super) const INVALID_REQUEST: i64 = 2;
pub(super) const INVALID_JSON: i64 = 3;
pub(super) const TOO_MANY_SUBSCRIPTIONS: i64 = 4;

/// A live request's result, with the request's id.
pub(super) struct Answer {
    pub(super) result: Value,
    pub(super) id: Value,
}

/// A refused live request: the code and message, with the request's id (`null` when it had
/// none that counts).
#[derive(Debug)]
pub(super) struct Refusal {
    pub(super) code: i64,
    pub(super) msg: String,
    pub(super) id: Value,
}

/// A live request, as Binance reads it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Request {
    pub(super) method: Method,
    #[serde(default)]
    pub(super) params: Vec<Value>,
    /// Checked before, from the raw JSON.
    #[serde(rename = "id")]
    pub(super) _id: serde::de::IgnoredAny,
}

#[derive(Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(super) enum Method {
    Subscribe,
    Unsubscribe,
    ListSubscriptions,
    SetProperty,
    GetProperty,
}
