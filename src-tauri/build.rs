//! Embeds the UI and the access-control lists into the app.

use std::path::Path;

/// Every IPC command the app registers. Each gets `allow-…`/`deny-…` permissions generated here;
/// permissions/main-window.toml allows them by name and nothing else is reachable from the UI.
/// Keep in step with `tauri::generate_handler!` in src/lib.rs.
const COMMANDS: &[&str] = &[
    "preflight",
    "session_status",
    "begin_enrolment",
    "complete_enrolment",
    "unlock",
    "lock",
    "touch",
    "list_accounts",
    "add_account",
    "rename_account",
    "remove_account",
    "security_settings",
    "set_idle_lock",
    "begin_mfa_swap",
    "complete_mfa_swap",
    "trading_status",
    "list_instruments",
    "place_order",
    "cancel_order",
    "cancel_all_orders",
    "open_orders",
    "positions",
    "mark_price",
    "balances",
    "follow_live",
    "watch_market",
    "stop_market",
    "set_leverage",
    "fee_rates",
    "option_chain",
    "guard_status",
    "acknowledge_warning",
    "resume_trading",
    "kill_switch",
    "kill_switch_status",
    "guard_settings",
    "set_guard_settings",
    "audit_status",
    "audit_records",
    "export_audit",
    "rotate_data_key",
    "set_key_age_limit",
];

fn main() {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist/index.html");
    println!("cargo:rerun-if-changed=../ui/dist");
    if !dist.exists() {
        panic!(
            "the UI has not been built ({} is missing): run `make ui` (or `make run`) first",
            dist.display()
        );
    }
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(err) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {err:#}");
    }
}
