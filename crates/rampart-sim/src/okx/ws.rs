//! The WebSocket channels.

use axum::Router;

use super::Shared;

pub(super) fn routes() -> Router<Shared> {
    Router::new()
}
