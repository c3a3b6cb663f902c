//! Resolving an order whose answer was lost: ask the venue about its client order id until the
//! venue answers, however long that takes.
//!
//! - Found: the venue has it (Accepted, with its status).
//! - Not found: that means "not placed" only once the venue's clock is past the order's
//!   timestamp + its request validity (recvWindow) + a margin, so that a delayed request can no
//!   longer be taken, and only when a second query a little later agrees (an order the venue
//!   has accepted can take a moment to show in queries). Before that, wait and ask again.
//! - Rate limited (429, 418, our own budget): wait until the venue's Retry-After or ban ends.
//! - Anything else (no connection, 5xx, malformed answer): ask again with growing back-off.
//!
//! The resolver never gives up; it stops when the account is detached (at lock or removal),
//! and the journal then keeps the intent for the next time the account connects.

use std::sync::Arc;
use std::time::Duration;

use rampart_core::trading::ClientIdLookup;
use rampart_venues::venue::ErrorKind;

use super::engine::{Account, OrderEngine};
use super::journal::{Intent, Outcome};
use crate::clock::local_ms;

/// How patiently an unknown order is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvePolicy {
    /// Added to the order's timestamp + recvWindow before "not found" can mean "not placed":
    /// covers the moment between journaling and signing and the clock offset's error.
    pub not_placed_margin: Duration,
    /// Between the two "not found" answers that together mean "not placed".
    pub confirm_after: Duration,
    /// The first back-off after a failed lookup; doubled each time up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for ResolvePolicy {
    fn default() -> Self {
        ResolvePolicy {
            not_placed_margin: Duration::from_secs(2),
            confirm_after: Duration::from_secs(1),
            first_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(30),
        }
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl OrderEngine {
    /// Asks the venue about `intent` until it answers, then journals the outcome and lifts the
    /// block on its account and symbol.
    pub(super) async fn resolve_until_known(
        self: Arc<Self>,
        account: Arc<Account>,
        intent: Arc<Intent>,
    ) {
        let policy = self.policy;
        let deadline = intent
            .sent_at_ms
            .saturating_add(i64::try_from(intent.recv_window_ms).unwrap_or(i64::MAX))
            .saturating_add(millis(policy.not_placed_margin));
        let mut backoff = policy.first_backoff;
        let mut first_miss_after_deadline = false;
        loop {
            let venue = &account.venue;
            let now = match venue.venue_time_ms() {
                Some(now) => now,
                None => match venue.sync_clock().await {
                    Ok(_) => venue.venue_time_ms().unwrap_or_else(local_ms),
                    Err(e) => {
                        tracing::debug!(error = %e.message, "clock not measured; retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(policy.max_backoff);
                        continue;
                    }
                },
            };
            match venue
                .order_by_client_id(&intent.symbol, &intent.client_order_id)
                .await
            {
                Ok(ClientIdLookup::Found(order)) => {
                    let outcome = Outcome::Accepted {
                        venue_order_id: order.venue_order_id,
                        status: order.status,
                    };
                    self.resolved(&intent, &outcome);
                    return;
                }
                Ok(ClientIdLookup::Several(orders)) => {
                    // Labels are not unique on this venue: ours is among them, so it arrived.
                    let newest = orders.into_iter().max_by_key(|o| o.updated_ms);
                    let outcome = match newest {
                        Some(o) => Outcome::Accepted {
                            venue_order_id: o.venue_order_id,
                            status: o.status,
                        },
                        None => Outcome::NotPlaced,
                    };
                    self.resolved(&intent, &outcome);
                    return;
                }
                Ok(ClientIdLookup::NotFound) if now < deadline => {
                    // It could still arrive: ask again once it no longer can.
                    let wait = u64::try_from(deadline - now).unwrap_or(0);
                    first_miss_after_deadline = false;
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                }
                Ok(ClientIdLookup::NotFound) if first_miss_after_deadline => {
                    self.resolved(&intent, &Outcome::NotPlaced);
                    return;
                }
                Ok(ClientIdLookup::NotFound) => {
                    first_miss_after_deadline = true;
                    tokio::time::sleep(policy.confirm_after).await;
                }
                Err(e) if e.kind == ErrorKind::RateLimited => {
                    let until = e.retry_at_ms.unwrap_or(now + millis(backoff));
                    let wait = u64::try_from(until.saturating_sub(now))
                        .unwrap_or(0)
                        .max(50);
                    tracing::debug!(wait_ms = wait, "lookup held by the rate limit");
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                }
                Err(e) => {
                    tracing::debug!(error = %e.message, "order lookup failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(policy.max_backoff);
                }
            }
        }
    }
}
