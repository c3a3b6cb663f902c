//! What the simulator publishes to its WebSocket streams. The exchange side (orders, fills,
//! positions, the price process) sends; each connected stream keeps what it subscribed to.
//!
//! Every stream connection receives every event from one broadcast channel, so an event's
//! payload is shared (`Arc`), not copied per connection; and a symbol's market events are
//! built only while some connection subscribes to one of its streams ([`Interest`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

/// One message for the streams, already in Binance's documented JSON shape.
#[derive(Debug, Clone)]
pub enum SimEvent {
    /// A market stream payload, e.g. stream `btcusdt@markPrice` with its `markPriceUpdate` event.
    /// `stream` is the lower-case stream name a client subscribes to.
    Market { stream: String, data: Arc<Value> },
    /// A user data stream payload (`ORDER_TRADE_UPDATE`, `ACCOUNT_UPDATE`, …) for the account
    /// with this API key; every listen key of that account receives it.
    User { api_key: String, data: Arc<Value> },
}

impl SimEvent {
    pub(super) fn market(stream: String, data: Value) -> SimEvent {
        SimEvent::Market {
            stream,
            data: Arc::new(data),
        }
    }

    pub(super) fn user(api_key: String, data: Value) -> SimEvent {
        SimEvent::User {
            api_key,
            data: Arc::new(data),
        }
    }
}

/// Which symbols' market events anyone receives: the market streams subscribed on the stream
/// connections, counted per symbol, and whether a receiver of every event exists
/// ([`super::SimServer::subscribe`]). The price process builds a symbol's events only when
/// this says someone wants them.
#[derive(Debug, Default)]
pub(crate) struct Interest {
    /// Subscribed market streams per lower-case symbol.
    symbols: Mutex<HashMap<String, usize>>,
    /// Set by the first receiver of every event, for the simulator's lifetime.
    everything: AtomicBool,
}

/// The lower-case symbol a market stream belongs to (`btcusdt@depth@100ms` → `btcusdt`);
/// `None` for the all-symbol streams (`!…`), which the simulator does not publish.
fn symbol_of(stream: &str) -> Option<&str> {
    if stream.starts_with('!') {
        return None;
    }
    stream.split_once('@').map(|(symbol, _)| symbol)
}

impl Interest {
    fn symbols(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.symbols.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `symbol`'s (any case) market events have a receiver.
    pub(super) fn wants(&self, symbol: &str) -> bool {
        if self.everything.load(Ordering::Relaxed) {
            return true;
        }
        self.symbols()
            .iter()
            .any(|(s, n)| *n > 0 && s.eq_ignore_ascii_case(symbol))
    }

    /// From now on every symbol's events are built.
    pub(super) fn everything(&self) {
        self.everything.store(true, Ordering::Relaxed);
    }

    /// A connection subscribed market stream `stream`.
    pub(super) fn hold(&self, stream: &str) {
        if let Some(symbol) = symbol_of(stream) {
            *self
                .symbols()
                .entry(symbol.to_ascii_lowercase())
                .or_default() += 1;
        }
    }

    /// A connection dropped market stream `stream` (unsubscribed, or closed).
    pub(super) fn release(&self, stream: &str) {
        let Some(symbol) = symbol_of(stream) else {
            return;
        };
        let mut symbols = self.symbols();
        let symbol = symbol.to_ascii_lowercase();
        if let Some(n) = symbols.get_mut(&symbol) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                symbols.remove(&symbol);
            }
        }
    }
}

/// Shared by the simulator's state and the exchange it drives.
pub(crate) type SharedInterest = Arc<Interest>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symbol_is_wanted_while_any_of_its_streams_is_held() {
        let interest = Interest::default();
        assert!(!interest.wants("BTCUSDT"));
        interest.hold("btcusdt@depth@100ms");
        interest.hold("btcusdt@markPrice@1s");
        assert!(interest.wants("BTCUSDT"));
        assert!(!interest.wants("ETHUSDT"));
        interest.release("btcusdt@depth@100ms");
        assert!(
            interest.wants("BTCUSDT"),
            "one stream of the symbol is still held"
        );
        interest.release("btcusdt@markPrice@1s");
        assert!(!interest.wants("BTCUSDT"));
        // A release with nothing held leaves the count at zero, not below.
        interest.release("btcusdt@markPrice@1s");
        interest.hold("btcusdt@kline_1m");
        assert!(interest.wants("btcusdt"));
    }

    #[test]
    fn all_symbol_streams_and_listen_keys_hold_no_symbol() {
        let interest = Interest::default();
        interest.hold("!markPrice@arr");
        interest.hold("pqE6d3ZuAbcDefGhiJkl");
        assert!(!interest.wants("BTCUSDT"));
        interest.everything();
        assert!(interest.wants("ETHUSDT"));
    }
}
