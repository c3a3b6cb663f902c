//! One connection's life: events out, requests in, pings and pongs, the message-rate, age and
//! listen-key checks, until the client leaves or a limit closes it.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use super::subscriptions::Subscriptions;
use super::{MESSAGES_PER_SECOND, Timing};

/// Sends one frame; false when the client is gone or does not take it in time.
pub(super) async fn send(socket: &mut WebSocket, message: Message, within: Duration) -> bool {
    matches!(
        tokio::time::timeout(within, socket.send(message)).await,
        Ok(Ok(()))
    )
}

pub(super) async fn close(
    socket: &mut WebSocket,
    code: u16,
    reason: &'static str,
    within: Duration,
) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = send(socket, Message::Close(Some(frame)), within).await;
}

/// One connection's life: events out, requests in, pings, until the client leaves, a limit is
/// hit, its listen key lapses or the simulator drops every stream connection.
pub(super) async fn run(mut socket: WebSocket, mut conn: Subscriptions, timing: Timing) {
    let mut events = conn.inner.subscribe();
    conn.inner
        .stream_subscriptions
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut generation = conn.inner.ws_generation.subscribe();
    generation.borrow_and_update();
    let start = Instant::now();
    let mut ping = tokio::time::interval_at(start + timing.ping_every, timing.ping_every);
    let mut key_check = tokio::time::interval(timing.key_check);
    let end_of_life = tokio::time::sleep(timing.max_age);
    tokio::pin!(end_of_life);
    let mut last_pong = start;
    let mut window = (start, 0u32);
    let within = timing.send_within;

    loop {
        tokio::select! {
            // A dropped link, as a network failure looks: no close frame.
            _ = generation.changed() => return,
            () = &mut end_of_life => {
                close(&mut socket, 1000, "connection valid for 24 hours", within).await;
                return;
            }
            incoming = socket.recv() => {
                let Some(Ok(message)) = incoming else { return };
                let now = Instant::now();
                if now.duration_since(window.0) >= Duration::from_secs(1) {
                    window = (now, 0);
                }
                if !matches!(message, Message::Close(_) | Message::Binary(_)) {
                    window.1 += 1;
                    if window.1 > MESSAGES_PER_SECOND {
                        tracing::info!("stream connection over 10 messages a second: closed");
                        close(&mut socket, 1008, "Too many messages", within).await;
                        return;
                    }
                }
                match message {
                    Message::Text(text) => {
                        let answer = conn.request(text.as_str());
                        if !send(&mut socket, Message::text(answer.to_string()), within).await {
                            return;
                        }
                    }
                    // tungstenite answers pings itself.
                    Message::Pong(_) => last_pong = now,
                    Message::Ping(_) | Message::Binary(_) => {}
                    Message::Close(_) => return,
                }
            }
            event = events.recv() => match event {
                Ok(event) => {
                    let (frames, then_close) = conn.deliver(&event);
                    for frame in frames {
                        if !send(&mut socket, frame, within).await {
                            return;
                        }
                    }
                    if then_close {
                        close(&mut socket, 1000, "listenKeyExpired", within).await;
                        return;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    // A consumer this slow would only fall further behind: drop it; it
                    // reconnects and resynchronises.
                    tracing::warn!(missed, "stream connection too slow: closed");
                    close(&mut socket, 1008, "Too slow", within).await;
                    return;
                }
                Err(RecvError::Closed) => return,
            },
            _ = ping.tick() => {
                if last_pong.elapsed() > timing.pong_within {
                    tracing::info!("stream connection sent no pong in time: closed");
                    return;
                }
                let payload = conn.inner.now_ms().to_string();
                if !send(&mut socket, Message::Ping(payload.into_bytes().into()), within).await {
                    return;
                }
            }
            _ = key_check.tick(), if !conn.owners.is_empty() => {
                let frames = conn.expired_keys();
                if !frames.is_empty() {
                    for frame in frames {
                        if !send(&mut socket, frame, within).await {
                            return;
                        }
                    }
                    close(&mut socket, 1000, "listenKeyExpired", within).await;
                    return;
                }
            }
        }
    }
}
