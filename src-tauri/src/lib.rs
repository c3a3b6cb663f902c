//! The Tauri shell: window, IPC commands and nothing else. Each command is one call into
//! [`rampart_engine::Desk`]; logic belongs there, not here.

mod commands;

use std::process::ExitCode;

use tauri::Manager;

/// Starts the app; returns when its last window closes.
pub fn run() -> ExitCode {
    init_logging();
    if let Some(problem) = missing_display() {
        eprintln!("{problem}");
        return ExitCode::from(2);
    }
    let result = tauri::Builder::default()
        .setup(|app| {
            let data_dir = app.path().app_data_dir()?;
            tracing::info!(data_dir = %data_dir.display(), "starting Rampart");
            let desk = std::sync::Arc::new(rampart_engine::Desk::new(data_dir));
            tauri::async_runtime::spawn(desk.clone().watch_idle());
            app.manage(desk);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::preflight,
            commands::session_status,
            commands::begin_enrolment,
            commands::complete_enrolment,
            commands::unlock,
            commands::lock,
            commands::touch,
            commands::list_accounts,
            commands::add_account,
            commands::rename_account,
            commands::remove_account,
            commands::security_settings,
            commands::set_idle_lock,
            commands::reset_mfa,
            commands::trading_status,
            commands::list_instruments,
            commands::place_order,
            commands::cancel_order,
            commands::cancel_all_orders,
            commands::open_orders,
            commands::positions,
            commands::mark_price,
            commands::balances,
            commands::follow_live,
            commands::watch_market,
            commands::stop_market,
            commands::set_leverage,
        ])
        .run(tauri::generate_context!());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("Rampart could not start: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to standard error; `RAMPART_LOG` takes a tracing filter (default `info`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RAMPART_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// On Linux and the BSDs a window needs an X11 or Wayland display; say so plainly instead of
/// letting GTK abort.
fn missing_display() -> Option<String> {
    if !cfg!(all(
        unix,
        not(any(
            target_os = "macos",
            target_os = "ios",
            target_os = "android"
        ))
    )) {
        return None;
    }
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("DISPLAY") || set("WAYLAND_DISPLAY") {
        return None;
    }
    Some(
        "Rampart needs a graphical display, and neither DISPLAY nor WAYLAND_DISPLAY is set.\n\
         Start it from a desktop session, or on a headless machine run it under a virtual X server:\n\
         \n    xvfb-run -a make run\n"
            .to_owned(),
    )
}
