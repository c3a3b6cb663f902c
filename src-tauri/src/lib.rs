//! The Tauri shell: window, IPC commands and nothing else. Each command is one call into
//! [`rampart_engine::Desk`]; logic belongs there, not here.

mod commands;

use std::process::ExitCode;

use tauri::Manager;

/// Starts the app; returns when its last window closes.
pub fn run() -> ExitCode {
    // First, while this is the only thread: the environment is set before anything reads it.
    let software_painting = paint_in_software_without_gpu();
    init_logging();
    if software_painting {
        tracing::info!("no GPU render node: WebKit paints in software, without OpenGL");
    }
    if let Some(problem) = missing_display() {
        eprintln!("{problem}");
        return ExitCode::from(2);
    }
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .setup(|app| {
            let data_dir = app.path().app_data_dir()?;
            tracing::info!(data_dir = %data_dir.display(), "starting Rampart");
            let desk = std::sync::Arc::new(rampart_engine::Desk::new(data_dir));
            tauri::async_runtime::spawn(desk.clone().watch_idle());
            tauri::async_runtime::spawn(notify_warnings(app.handle().clone(), desk.clone()));
            #[cfg(unix)]
            tauri::async_runtime::spawn(lock_on_signal(app.handle().clone(), desk.clone()));
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
            commands::begin_mfa_swap,
            commands::complete_mfa_swap,
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
            commands::fee_rates,
            commands::option_chain,
            commands::guard_status,
            commands::acknowledge_warning,
            commands::resume_trading,
            commands::kill_switch,
            commands::kill_switch_status,
            commands::guard_settings,
            commands::set_guard_settings,
            commands::audit_status,
            commands::audit_records,
            commands::export_audit,
            commands::rotate_data_key,
            commands::set_key_age_limit,
        ])
        .build(tauri::generate_context!());
    match result {
        Ok(app) => {
            // Quitting locks first: the venue connections close (so each venue's dead man's
            // switch sees Rampart go silent), the guard's history is saved, and the audit
            // journal records the lock and is made durable and anchored.
            app.run(|handle, event| {
                if let tauri::RunEvent::Exit = event
                    && let Some(desk) = handle.try_state::<std::sync::Arc<rampart_engine::Desk>>()
                    && let Err(e) = desk.lock_on_quit()
                {
                    tracing::warn!(error = %e.message, "could not lock at quit");
                }
            });
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("Rampart could not start: {err}");
            ExitCode::FAILURE
        }
    }
}

/// SIGTERM, SIGHUP or SIGINT (a logout, a shutdown, `kill`, Ctrl+C in a terminal): Rampart locks
/// as it does when its window closes, then exits.
#[cfg(unix)]
async fn lock_on_signal(app: tauri::AppHandle, desk: std::sync::Arc<rampart_engine::Desk>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::warn!("signals cannot be watched: a kill will not lock first");
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = hup.recv() => {}
        _ = int.recv() => {}
    }
    tracing::info!("asked to stop: locking, then exiting");
    let locked = tauri::async_runtime::spawn_blocking(move || desk.lock_on_quit()).await;
    if let Ok(Err(e)) = locked {
        tracing::warn!(error = %e.message, "could not lock before exiting");
    }
    app.exit(0);
}

/// How often the guard's list is looked at for warnings to notify.
const NOTIFY_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// The guard's warnings of warning severity and above also go out as OS notifications, so a
/// trader looking at another window learns of them; sent from Rust, whatever the page does.
async fn notify_warnings(app: tauri::AppHandle, desk: std::sync::Arc<rampart_engine::Desk>) {
    use tauri_plugin_notification::NotificationExt;
    let mut told: u64 = 0;
    let mut ticks = tokio::time::interval(NOTIFY_EVERY);
    loop {
        ticks.tick().await;
        // Locked, there is nothing to tell (and the list starts again at the next unlock).
        let Ok(status) = desk.guard_status() else {
            continue;
        };
        for view in rampart_engine::guard::to_notify(&status, told) {
            let shown = app
                .notification()
                .builder()
                .title(rampart_engine::guard::notification_title(&view.warning))
                .body(format!("{}. {}.", view.warning.seen, view.warning.advice))
                .show();
            if let Err(e) = shown {
                tracing::debug!(error = %e, "an OS notification could not be shown");
            }
        }
        told = status.warnings.last().map_or(told, |w| w.id.max(told));
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

/// WebKitGTK composites through OpenGL (its DMA-BUF renderer). On a machine with no GPU (no DRM
/// render node: a VM, a remote session, a server under Xvfb) the GL it gets is Mesa's software
/// rasteriser, which costs more than painting in software directly: measured under Xvfb with the
/// workspace open (BENCHMARKS.md), about 140 MB more memory, the web process at a whole core
/// instead of under half, and frames over 50 ms under a busy market. There Rampart sets WebKit's
/// documented switch, WEBKIT_DISABLE_DMABUF_RENDERER, unless the user has set it either way.
/// Whether it did. Must run before any other thread starts (it changes the environment).
fn paint_in_software_without_gpu() -> bool {
    const SWITCH: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";
    if !cfg!(target_os = "linux") || std::env::var_os(SWITCH).is_some() {
        return false;
    }
    let has_render_node = std::fs::read_dir("/dev/dri").is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    });
    if has_render_node {
        return false;
    }
    // SAFETY: called first thing in `run`, before the logger, Tauri, GTK or any runtime has
    // started a thread, so nothing reads the environment concurrently.
    unsafe { std::env::set_var(SWITCH, "1") };
    true
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
