//! IPC commands. Each returns `Result<T, ApiError>` so the UI always receives `{code, message}`
//! on failure, and each is a single delegation to the desk. Blocking work (keychain, files) runs
//! off the async runtime through `Desk::run`.

use std::sync::Arc;

use rampart_core::ApiError;
use rampart_core::audit::{AuditExported, AuditFormat, AuditPage, AuditQuery, AuditStatus};
use rampart_core::feed::{Candle, CandleInterval};
use rampart_core::options::OptionChain;
use rampart_core::session::{
    AccountView, EnrolmentView, RecoveryCodesView, SecuritySettings, SessionStatus,
};
use rampart_core::status::Preflight;
use rampart_core::trading::{
    Balance, FeeRates, InstrumentRules, Leverage, LeverageRequest, MarkPrice, OrderState, Position,
};
use rampart_engine::guard::GuardStatus;
use rampart_engine::guard_settings::{GuardSettings, GuardSettingsView};
use rampart_engine::kill::KillSwitchReport;
use rampart_engine::live::LiveChanges;
use rampart_engine::orders::{OrderTicket, PlaceOutcome};
use rampart_engine::{AddAccountRequest, Desk, OrderRef, TradingStatus};
use tauri::State;
use tauri::ipc::Channel;

type DeskState<'a> = State<'a, Arc<Desk>>;

/// The start-up checks the status page shows.
#[tauri::command]
pub async fn preflight(desk: DeskState<'_>) -> Result<Preflight, ApiError> {
    Ok(desk.preflight().await)
}

#[tauri::command]
pub async fn session_status(desk: DeskState<'_>) -> Result<SessionStatus, ApiError> {
    desk.run(|d| d.session_status()).await
}

#[tauri::command]
pub async fn begin_enrolment(desk: DeskState<'_>) -> Result<EnrolmentView, ApiError> {
    desk.run(|d| d.begin_enrolment()).await
}

/// Activates the authenticator being set up. `recovery_code`: needed when Rampart holds
/// accounts and keys from an earlier authenticator (the session status says so).
#[tauri::command]
pub async fn complete_enrolment(
    desk: DeskState<'_>,
    code: String,
    recovery_code: Option<String>,
) -> Result<RecoveryCodesView, ApiError> {
    desk.complete_enrolment(code, recovery_code).await
}

#[tauri::command]
pub async fn unlock(desk: DeskState<'_>, code: String) -> Result<SessionStatus, ApiError> {
    desk.unlock(code).await
}

#[tauri::command]
pub async fn lock(desk: DeskState<'_>) -> Result<SessionStatus, ApiError> {
    desk.lock().await
}

#[tauri::command]
pub async fn touch(desk: DeskState<'_>) -> Result<(), ApiError> {
    desk.run(|d| d.touch()).await
}

#[tauri::command]
pub async fn list_accounts(desk: DeskState<'_>) -> Result<Vec<AccountView>, ApiError> {
    desk.run(|d| d.list_accounts()).await
}

#[tauri::command]
pub async fn add_account(
    desk: DeskState<'_>,
    request: AddAccountRequest,
) -> Result<AccountView, ApiError> {
    desk.add_account(request).await
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
    desk.remove_account(id, code).await
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
    desk.run(move |d| d.set_idle_lock(minutes, &code)).await
}

/// Starts moving to a new authenticator with a code of the current one, or one of its
/// recovery codes (the phone is lost; callable while locked).
#[tauri::command]
pub async fn begin_mfa_swap(desk: DeskState<'_>, code: String) -> Result<EnrolmentView, ApiError> {
    desk.run(move |d| d.begin_mfa_swap(&code)).await
}

/// Makes the new authenticator the one, with a code from it; answers its recovery codes.
#[tauri::command]
pub async fn complete_mfa_swap(
    desk: DeskState<'_>,
    code: String,
) -> Result<RecoveryCodesView, ApiError> {
    desk.complete_mfa_swap(code).await
}

#[tauri::command]
pub async fn trading_status(desk: DeskState<'_>) -> Result<Vec<TradingStatus>, ApiError> {
    desk.trading_status().await
}

#[tauri::command]
pub async fn list_instruments(
    desk: DeskState<'_>,
    account_id: String,
) -> Result<Vec<InstrumentRules>, ApiError> {
    desk.list_instruments(&account_id).await
}

#[tauri::command]
pub async fn place_order(
    desk: DeskState<'_>,
    account_id: String,
    ticket: OrderTicket,
    confirmed: Option<bool>,
    step_up_code: Option<String>,
) -> Result<PlaceOutcome, ApiError> {
    desk.place_order(
        &account_id,
        &ticket,
        confirmed.unwrap_or(false),
        step_up_code.as_deref(),
    )
    .await
}

#[tauri::command]
pub async fn cancel_order(desk: DeskState<'_>, order: OrderRef) -> Result<OrderState, ApiError> {
    desk.cancel_order(&order).await
}

#[tauri::command]
pub async fn cancel_all_orders(
    desk: DeskState<'_>,
    account_id: String,
    symbol: Option<String>,
) -> Result<(), ApiError> {
    desk.cancel_all_orders(&account_id, symbol.as_deref()).await
}

#[tauri::command]
pub async fn open_orders(
    desk: DeskState<'_>,
    account_id: String,
) -> Result<Vec<OrderState>, ApiError> {
    desk.open_orders(&account_id).await
}

#[tauri::command]
pub async fn positions(desk: DeskState<'_>, account_id: String) -> Result<Vec<Position>, ApiError> {
    desk.positions(&account_id).await
}

#[tauri::command]
pub async fn mark_price(
    desk: DeskState<'_>,
    account_id: String,
    symbol: String,
) -> Result<MarkPrice, ApiError> {
    desk.mark_price(&account_id, &symbol).await
}

#[tauri::command]
pub async fn fee_rates(
    desk: DeskState<'_>,
    account_id: String,
    symbol: String,
) -> Result<FeeRates, ApiError> {
    desk.fee_rates(&account_id, &symbol).await
}

/// The options chain of `underlying` (`BTC`, `ETH`) on an account, read from the venue now.
#[tauri::command]
pub async fn option_chain(
    desk: DeskState<'_>,
    account_id: String,
    underlying: String,
) -> Result<OptionChain, ApiError> {
    desk.option_chain(&account_id, &underlying).await
}

/// The guard's warnings of the session and the circuit breaker's halts.
#[tauri::command]
pub async fn guard_status(desk: DeskState<'_>) -> Result<GuardStatus, ApiError> {
    desk.guard_status()
}

#[tauri::command]
pub async fn acknowledge_warning(desk: DeskState<'_>, id: u64) -> Result<GuardStatus, ApiError> {
    desk.acknowledge_warning(id)
}

/// Lifts the circuit breaker's halt on an account with a fresh TOTP code.
#[tauri::command]
pub async fn resume_trading(
    desk: DeskState<'_>,
    account_id: String,
    code: String,
) -> Result<GuardStatus, ApiError> {
    desk.resume_trading(&account_id, &code)
}

/// The kill switch: halts new orders on every account and cancels every open order; with
/// `close_positions` (after the user's one confirmation) closes every position too. Never asks
/// for a code.
#[tauri::command]
pub async fn kill_switch(
    desk: DeskState<'_>,
    close_positions: bool,
) -> Result<KillSwitchReport, ApiError> {
    desk.kill_switch(close_positions).await
}

/// The guard's settings (limits per account, the breaker's reach, the dead man's switch).
#[tauri::command]
pub async fn guard_settings(desk: DeskState<'_>) -> Result<GuardSettingsView, ApiError> {
    desk.guard_settings()
}

/// Saves the guard's settings with a fresh TOTP code; limits only ever tighter than the
/// defaults.
#[tauri::command]
pub async fn set_guard_settings(
    desk: DeskState<'_>,
    settings: GuardSettings,
    code: String,
) -> Result<GuardSettingsView, ApiError> {
    desk.set_guard_settings(settings, &code)
}

/// How the audit journal verified at unlock, and how many records it holds.
#[tauri::command]
pub async fn audit_status(desk: DeskState<'_>) -> Result<AuditStatus, ApiError> {
    desk.run(|d| d.audit_status()).await
}

/// The audit records matching the filters, newest first, read back from the journal.
#[tauri::command]
pub async fn audit_records(desk: DeskState<'_>, query: AuditQuery) -> Result<AuditPage, ApiError> {
    desk.run(move |d| d.audit_records(&query)).await
}

/// Writes the matching audit records to the Downloads folder as CSV or JSON, after a fresh
/// TOTP code.
#[tauri::command]
pub async fn export_audit(
    app: tauri::AppHandle,
    desk: DeskState<'_>,
    query: AuditQuery,
    format: AuditFormat,
    code: String,
) -> Result<AuditExported, ApiError> {
    use tauri::Manager;
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|e| {
            ApiError::new(
                rampart_core::ErrorCode::DataDirUnavailable,
                format!("No Downloads folder to export to: {e}."),
            )
        })?;
    desk.run(move |d| d.export_audit(&query, format, &code, &dir))
        .await
}

/// Sets the age past which an exchange API key raises a reminder, after a fresh TOTP code.
#[tauri::command]
pub async fn set_key_age_limit(
    desk: DeskState<'_>,
    days: u32,
    code: String,
) -> Result<SecuritySettings, ApiError> {
    desk.run(move |d| d.set_key_age_limit(days, &code)).await
}

/// Seals every file under a new data key (and deletes the old one), after a fresh TOTP code.
#[tauri::command]
pub async fn rotate_data_key(desk: DeskState<'_>, code: String) -> Result<(), ApiError> {
    desk.run(move |d| d.rotate_data_key(&code)).await
}

/// Where the last use of the kill switch stands, account by account.
#[tauri::command]
pub async fn kill_switch_status(desk: DeskState<'_>) -> Result<Option<KillSwitchReport>, ApiError> {
    desk.kill_switch_status()
}

#[tauri::command]
pub async fn balances(desk: DeskState<'_>, account_id: String) -> Result<Vec<Balance>, ApiError> {
    desk.balances(&account_id).await
}

/// The connected accounts' live tables and the watched instrument, sent over `on_change` as they
/// change (at most ~30 times a second); a new call (a reloaded page) replaces the previous one.
#[tauri::command]
pub async fn follow_live(
    desk: DeskState<'_>,
    on_change: Channel<LiveChanges>,
) -> Result<(), ApiError> {
    desk.follow_live(move |changes| {
        if let Err(e) = on_change.send(changes) {
            tracing::debug!(error = %e, "the page did not take the live tables");
        }
    })
    .await
}

#[tauri::command]
pub async fn watch_market(
    desk: DeskState<'_>,
    account_id: String,
    symbol: String,
    interval: CandleInterval,
    history: u32,
) -> Result<Vec<Candle>, ApiError> {
    desk.watch_market(&account_id, &symbol, interval, history)
        .await
}

#[tauri::command]
pub async fn stop_market(desk: DeskState<'_>) -> Result<(), ApiError> {
    desk.stop_market().await
}

#[tauri::command]
pub async fn set_leverage(
    desk: DeskState<'_>,
    account_id: String,
    request: LeverageRequest,
) -> Result<Leverage, ApiError> {
    desk.set_leverage(&account_id, &request).await
}
