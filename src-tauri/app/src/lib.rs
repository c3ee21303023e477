//! The ClaPay Tokens desktop shell: one main window over the core library.
//!
//! Bird's-eye view: [`run`] registers the plugins (single-instance first, then log and store),
//! opens the [`clapay_core::Registry`] on the database of `CLAPAY_TOKENS_DB` or the OS app-data
//! dir, starts the clipboard owner thread and serves the commands of docs/ipc.md
//! ([`commands`]). The webview's capability (tauri.conf.json) grants exactly those commands.
//!
//! Invariants:
//! - no SQL and no business rule here: every command is one core call ([`commands`]);
//! - a token secret lives only in zeroizing buffers ([`state`], [`clipboard`]) between
//!   `create_token` and `discard_secret`; it is never logged, stored in the settings or sent in an
//!   event;
//! - the clipboard is cleared when the app exits if it still holds a secret we put there.

pub mod backups;
pub mod clipboard;
pub mod commands;
pub mod error;
pub mod settings;
pub mod state;

#[cfg(test)]
mod bad_input_tests;
#[cfg(test)]
mod command_tests;
#[cfg(test)]
mod hardening_tests;
#[cfg(test)]
mod reliability_tests;

use std::time::Duration;

use clapay_core::Registry;
use tauri::ipc::Invoke;
use tauri::{AppHandle, Manager, RunEvent, Runtime};

use crate::clipboard::{SecretClipboard, SystemClipboard};
use crate::error::CommandError;
use crate::state::{AppPaths, AppState, Database, Readiness};

/// The label of the one window (tauri.conf.json, capability `main-window`).
pub const MAIN_WINDOW: &str = "main";

/// The command handler with every command of docs/ipc.md (shared by [`run`] and the tests).
pub fn invoke_handler<R: Runtime>() -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        commands::app_info,
        commands::get_catalog,
        commands::preview_catalog,
        commands::import_catalog,
        commands::list_tokens,
        commands::get_token,
        commands::token_history,
        commands::create_token,
        commands::copy_secret,
        commands::clipboard_outcome,
        commands::discard_secret,
        commands::update_token,
        commands::revoke_token,
        commands::set_composition,
        commands::check_phone,
        commands::add_number,
        commands::set_number_enabled,
        commands::remove_number,
        commands::authorize,
        commands::get_settings,
        commands::update_settings,
        commands::ui_ready,
        commands::integrity_check,
        commands::backup_now,
        commands::list_backups,
        commands::restore_backup,
    ]
}

/// Starts the app and blocks until it exits.
pub fn run() -> Result<(), Box<dyn std::error::Error>> {
    warm_up_catalog();
    let app = tauri::Builder::default()
        // First, so a second launch hands over to the first one before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            focus_main_window(app)
        }))
        .plugin(log_plugin())
        .plugin(tauri_plugin_store::Builder::new().build())
        .setup(|app| {
            let state = open_state(app.handle())?;
            app.manage(state);
            Ok(())
        })
        .invoke_handler(invoke_handler())
        .build(tauri::generate_context!())?;
    app.run(|handle, event| {
        if let RunEvent::Exit = event {
            if let Some(state) = handle.try_state::<AppState>() {
                state.clipboard.clear_if_still_held(Duration::from_secs(2));
                // Tauri exits the process without dropping managed state, so the usage records
                // the core batches (last use, used/denied events) are written here.
                let database = state.database();
                let flushed =
                    database
                        .lock_now()
                        .map(|mut database| match database.registry.as_mut() {
                            Ok(registry) => {
                                registry.flush_usage().map_err(|error| error.to_string())
                            }
                            Err(_) => Ok(()),
                        });
                match flushed {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => log::warn!("usage records not written at exit: {error}"),
                    Err(_) => log::warn!(
                        "usage records not written at exit: the database lock is poisoned"
                    ),
                }
            }
        }
    });
    Ok(())
}

/// Builds the embedded catalog on a thread of its own while the main thread starts GTK and the
/// window. Validating it decodes the phone-number library's metadata, about 150 ms of CPU here;
/// the database thread used to pay it after `setup`, on the second core the web process needs while
/// it starts. Done first, it runs while that core is idle. The catalog is built once per process
/// (`Catalog::embedded` keeps it), and an imported catalog is still validated by the database
/// thread, with the metadata already decoded.
fn warm_up_catalog() {
    let spawned = std::thread::Builder::new()
        .name("catalog".into())
        .spawn(|| {
            clapay_core::Catalog::embedded();
        });
    if let Err(error) = spawned {
        // Not fatal: the database thread builds the catalog when it needs it. The log plugin is not
        // set up yet, so this goes to stderr.
        eprintln!("could not start the catalog thread: {error}");
    }
}

/// Logs to stdout and to the app log dir at `info`: nothing below that level, where libraries
/// may dump request bodies, is ever written, and the app itself logs ids, never secrets.
fn log_plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    use tauri_plugin_log::{Target, TargetKind};
    tauri_plugin_log::Builder::new()
        .clear_targets()
        .targets([
            Target::new(TargetKind::Stdout),
            Target::new(TargetKind::LogDir { file_name: None }),
        ])
        .level(log::LevelFilter::Info)
        .build()
}

/// Brings the existing window to the front (a second launch of the app).
fn focus_main_window<R: Runtime>(app: &AppHandle<R>) {
    log::info!("second launch: focusing the running window");
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Reads the settings and the catalog, starts opening the database on a thread (the window does
/// not wait for it: [`state::open_in_background`]), and starts the clipboard owner and the daily
/// backup thread. A database that cannot be opened (unwritable folder, a file from a newer
/// version) does not stop the app: the window opens and shows the reason. A database that fails
/// its integrity check is opened read-only and the window says so.
fn open_state<R: Runtime>(app: &AppHandle<R>) -> Result<AppState, Box<dyn std::error::Error>> {
    let db_path = Registry::default_db_path();
    let paths = AppPaths {
        db: db_path.as_ref().map(Clone::clone).unwrap_or_default(),
        settings: app.path().app_config_dir()?.join("settings.json"),
        catalog: app.path().app_data_dir()?.join("catalog.json"),
    };
    let settings = settings::load(app, &paths.settings);
    let (database, path) = match db_path {
        Ok(path) => (
            Database {
                registry: Err(CommandError::internal("The database is being opened")),
                integrity_problem: None,
                readiness: Readiness::Opening,
            },
            Some(path),
        ),
        Err(error) => {
            log::error!("no database path: {error}");
            (
                Database::checked(Err(CommandError::from(error)), None),
                None,
            )
        }
    };
    let clipboard = SecretClipboard::spawn(Box::new(SystemClipboard::open))?;
    let state = AppState::with_database(database, clipboard, settings, paths);
    if let Some(path) = path {
        state::open_in_background(state.database(), path.clone(), state.paths.catalog.clone())?;
        backups::spawn_daily(state.database(), path)?;
    }
    Ok(state)
}
