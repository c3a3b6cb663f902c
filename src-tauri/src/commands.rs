//! IPC commands. Each returns `Result<T, ApiError>` so the UI always receives `{code, message}`
//! on failure, and each is a single delegation to the desk.

use rampart_core::ApiError;
use rampart_core::status::Preflight;
use rampart_engine::Desk;
use tauri::State;

/// The start-up checks the first screen shows.
#[tauri::command]
pub async fn preflight(desk: State<'_, Desk>) -> Result<Preflight, ApiError> {
    Ok(desk.preflight().await)
}
