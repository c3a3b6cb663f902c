//! IPC commands. Each returns `Result<T, ApiError>` so the UI always receives `{code, message}`
//! on failure, and each is a single delegation to the desk. Blocking work (keychain, files) runs
//! off the async runtime through `Desk::run`.

use std::sync::Arc;

use rampart_core::ApiError;
use rampart_core::session::{
    AccountView, EnrolmentView, RecoveryCodesView, SecuritySettings, SessionStatus,
};
use rampart_core::status::Preflight;
use rampart_engine::{AddAccountRequest, Desk};
use tauri::State;

type DeskState<'a> = State<'a, Arc<Desk>>;

/// The start-up checks the status page shows.
#[tauri::command]
pub async fn preflight(desk: DeskState<'_>) -> Result<Preflight, ApiError> {
    Ok(desk.preflight().await)
}

#[tauri::command]
pub async fn session_status(desk: DeskState<'_>) -> Result<SessionStatus, ApiError> {
    desk.run(|d| d.status()).await
}

#[tauri::command]
pub async fn begin_enrolment(desk: DeskState<'_>) -> Result<EnrolmentView, ApiError> {
    desk.run(|d| d.begin_enrolment()).await
}

#[tauri::command]
pub async fn complete_enrolment(
    desk: DeskState<'_>,
    code: String,
) -> Result<RecoveryCodesView, ApiError> {
    desk.run(move |d| d.complete_enrolment(&code)).await
}

#[tauri::command]
pub async fn unlock(desk: DeskState<'_>, code: String) -> Result<SessionStatus, ApiError> {
    desk.run(move |d| d.unlock(&code)).await
}

#[tauri::command]
pub async fn lock(desk: DeskState<'_>) -> Result<SessionStatus, ApiError> {
    desk.run(|d| d.lock()).await
}

#[tauri::command]
pub async fn touch(desk: DeskState<'_>) -> Result<(), ApiError> {
    desk.run(|d| d.touch()).await
}

#[tauri::command]
pub async fn list_accounts(desk: DeskState<'_>) -> Result<Vec<AccountView>, ApiError> {
    desk.run(|d| d.accounts()).await
}

#[tauri::command]
pub async fn add_account(
    desk: DeskState<'_>,
    request: AddAccountRequest,
) -> Result<AccountView, ApiError> {
    desk.run(move |d| d.add_account(request)).await
}

#[tauri::command]
pub async fn rename_account(
    desk: DeskState<'_>,
    id: String,
    label: String,
) -> Result<AccountView, ApiError> {
    desk.run(move |d| d.rename_account(&id, &label)).await
}

#[tauri::command]
pub async fn remove_account(
    desk: DeskState<'_>,
    id: String,
    code: String,
) -> Result<Vec<AccountView>, ApiError> {
    desk.run(move |d| d.remove_account(&id, &code)).await
}

#[tauri::command]
pub async fn security_settings(desk: DeskState<'_>) -> Result<SecuritySettings, ApiError> {
    desk.run(|d| d.security_settings()).await
}

#[tauri::command]
pub async fn set_idle_lock(
    desk: DeskState<'_>,
    minutes: u32,
    code: String,
) -> Result<SecuritySettings, ApiError> {
    desk.run(move |d| d.set_idle_lock_minutes(minutes, &code))
        .await
}

#[tauri::command]
pub async fn reset_mfa(desk: DeskState<'_>, code: String) -> Result<SessionStatus, ApiError> {
    desk.run(move |d| d.reset_mfa(&code)).await
}
