//! What the simulator publishes to its WebSocket streams. The exchange side (orders, fills,
//! positions, the price process) sends; each connected stream keeps what it subscribed to.

use serde_json::Value;

/// One message for the streams, already in Binance's documented JSON shape.
#[derive(Debug, Clone)]
pub enum SimEvent {
    /// A market stream payload, e.g. stream `btcusdt@markPrice` with its `markPriceUpdate` event.
    /// `stream` is the lower-case stream name a client subscribes to.
    Market { stream: String, data: Value },
    /// A user data stream payload (`ORDER_TRADE_UPDATE`, `ACCOUNT_UPDATE`, …) for the account
    /// with this API key; every listen key of that account receives it.
    User { api_key: String, data: Value },
}
