//! The order lifecycle: an order's identity is its client order id, generated and journaled
//! before the first byte is sent. When the venue's answer is lost (timeout, dropped connection,
//! 5xx) the order is Unknown, and the engine asks the venue about that client order id instead of
//! sending it again.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use rampart_venues::binance_usdm::{RestClient, VenueError};
use rand::Rng;
use serde::Serialize;

/// Binance allows `^[\.A-Z\:/a-z0-9_-]{1,36}$`; ours are "rmp-" and 20 letters/digits (~119 bits).
pub fn new_client_order_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let tail: String = (0..20)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("rmp-{tail}")
}

/// Where an order ended up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum OrderOutcome {
    /// The venue has it.
    Accepted { order_id: u64 },
    /// The venue refused it with a code and message.
    Rejected { code: i64, message: String },
    /// The venue answered that it does not have it: it never arrived.
    NotPlaced,
}

#[derive(Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum JournalEvent<'a> {
    Intent {
        client_order_id: &'a str,
        symbol: &'a str,
        params: &'a [(&'a str, &'a str)],
    },
    Unknown {
        client_order_id: &'a str,
        reason: String,
    },
    Resolved {
        client_order_id: &'a str,
        #[serde(flatten)]
        outcome: &'a OrderOutcome,
    },
}

/// Errors of the lifecycle.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("could not write the order journal: {0}")]
    Journal(#[from] std::io::Error),
    /// Nothing was sent (rate budget, clock not measured, …).
    #[error(transparent)]
    NotSent(VenueError),
    /// Sent, answer lost, and the venue could not be asked in time: still Unknown.
    #[error("order {client_order_id} is still unknown: {source}")]
    StillUnknown {
        client_order_id: String,
        source: VenueError,
    },
}

/// An append-only JSON-lines journal, synced to disk after every line.
pub struct OrderJournal {
    file: Mutex<File>,
}

impl OrderJournal {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            file: Mutex::new(file),
        })
    }

    fn append(&self, event: &JournalEvent<'_>) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(event).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(&line)?;
        file.sync_data()
    }
}

/// How many times, and how patiently, an Unknown order is looked up.
const RESOLVE_ATTEMPTS: u32 = 6;
const RESOLVE_FIRST_DELAY: Duration = Duration::from_millis(20);

/// Places orders on one venue account, never twice.
pub struct OrderRouter<'a> {
    client: &'a RestClient,
    journal: &'a OrderJournal,
}

impl<'a> OrderRouter<'a> {
    pub fn new(client: &'a RestClient, journal: &'a OrderJournal) -> Self {
        Self { client, journal }
    }

    /// Journals the intent, sends it once, and resolves a lost answer by client order id.
    pub async fn place(
        &self,
        symbol: &str,
        params: &[(&str, &str)],
    ) -> Result<(String, OrderOutcome), OrderError> {
        let client_order_id = new_client_order_id();
        self.journal.append(&JournalEvent::Intent {
            client_order_id: &client_order_id,
            symbol,
            params,
        })?;
        let mut all = vec![("symbol", symbol)];
        all.extend_from_slice(params);
        all.push(("newClientOrderId", &client_order_id));
        let outcome = match self.client.new_order(&all).await {
            Ok(ack) => accepted(&ack)?,
            Err(VenueError::Rejected { code, msg, .. }) => {
                OrderOutcome::Rejected { code, message: msg }
            }
            Err(err) if err.outcome_unknown() => {
                self.journal.append(&JournalEvent::Unknown {
                    client_order_id: &client_order_id,
                    reason: err.to_string(),
                })?;
                self.resolve(symbol, &client_order_id).await?
            }
            Err(err) => return Err(OrderError::NotSent(err)),
        };
        self.journal.append(&JournalEvent::Resolved {
            client_order_id: &client_order_id,
            outcome: &outcome,
        })?;
        Ok((client_order_id, outcome))
    }

    /// Asks the venue about `client_order_id` until it answers, a bounded number of times.
    async fn resolve(
        &self,
        symbol: &str,
        client_order_id: &str,
    ) -> Result<OrderOutcome, OrderError> {
        let mut delay = RESOLVE_FIRST_DELAY;
        let mut last = None;
        for _ in 0..RESOLVE_ATTEMPTS {
            match self
                .client
                .order_by_client_id(symbol, client_order_id)
                .await
            {
                Ok(Some(order)) => return accepted(&order),
                Ok(None) => return Ok(OrderOutcome::NotPlaced),
                Err(err) if err.outcome_unknown() || matches!(err, VenueError::Held { .. }) => {
                    last = Some(err);
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(err) => {
                    return Err(OrderError::StillUnknown {
                        client_order_id: client_order_id.into(),
                        source: err,
                    });
                }
            }
        }
        Err(OrderError::StillUnknown {
            client_order_id: client_order_id.into(),
            source: last.unwrap_or(VenueError::ClockUnknown),
        })
    }
}

fn accepted(order: &serde_json::Value) -> Result<OrderOutcome, OrderError> {
    order["orderId"]
        .as_u64()
        .map(|order_id| OrderOutcome::Accepted { order_id })
        .ok_or_else(|| {
            OrderError::NotSent(VenueError::Malformed(format!(
                "an order without an orderId: {order}"
            )))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_order_ids_fit_binances_rule_and_do_not_repeat() {
        let ids: std::collections::HashSet<String> =
            (0..10_000).map(|_| new_client_order_id()).collect();
        assert_eq!(ids.len(), 10_000);
        for id in ids.iter().take(100) {
            assert!(id.len() <= 36 && id.starts_with("rmp-"));
            assert!(id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        }
    }
}
