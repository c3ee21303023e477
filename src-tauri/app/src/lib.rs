//! The ClaPay Tokens desktop shell: one main window over the core library.
//!
//! Bird's-eye view: [`run`] registers the plugins (single-instance first, then log, store and
//! notification), opens the [`clapay_core::Registry`] on the database of `CLAPAY_TOKENS_DB` or the
//! OS app-data dir ([`database`]), starts the clipboard owner thread and the background work
//! ([`housekeeping`]) and serves the commands of `src/command_list.rs` ([`commands`]). The
//! webview's capability (tauri.conf.json) grants exactly those commands; build.rs checks it.
//!
//! Invariants:
//! - no SQL and no business rule here: every command is one core call ([`commands`]);
//! - a token secret lives only in zeroizing buffers ([`secrets`], [`clipboard`]) between
//!   `create_token` (or `roll_token`) and `discard_secret`; it is never logged, stored in the
//!   settings or sent in an event;
//! - the clipboard is cleared when the app exits if it still holds a secret we put there.

pub mod backups;
pub mod catalog_file;
pub mod clipboard;
pub mod commands;
pub mod database;
pub mod error;
pub mod housekeeping;
pub mod sandbox;
pub mod secrets;
pub mod settings;
pub mod state;

#[macro_use]
mod command_list;

#[cfg(test)]
mod bad_input_tests;
#[cfg(test)]
mod command_tests;
#[cfg(test)]
mod hardening_tests;
#[cfg(test)]
mod reliability_tests;

use std::sync::Arc;
use std::time::Duration;

use clapay_core::Registry;
use tauri::ipc::Invoke;
use tauri::{AppHandle, Manager, RunEvent, Runtime};

use crate::clipboard::{SecretClipboard, SystemClipboard};
use crate::database::{Database, DatabaseSlot};
use crate::error::CommandError;
use crate::state::{AppPaths, AppState};

/// The label of the one window (tauri.conf.json, capability `main-window`).
pub const MAIN_WINDOW: &str = "main";

/// `tauri::generate_handler!` over the commands of `command_list.rs`.
macro_rules! handler_of {
    ($($module:ident :: $command:ident),* $(,)?) => {
        tauri::generate_handler![$(commands::$module::$command),*]
    };
}

/// The names of the commands of `command_list.rs` (for the tests).
#[cfg(test)]
macro_rules! names_of {
    ($($module:ident :: $command:ident),* $(,)?) => {
        &[$(stringify!($command)),*]
    };
}

/// Every command the window may call, by name (the hardening tests compare the capability and
/// `ui/api.js` with it).
#[cfg(test)]
pub(crate) const COMMAND_NAMES: &[&str] = app_commands!(names_of);

/// The command handler with every command of `command_list.rs` (shared by [`run`] and the tests).
pub fn invoke_handler<R: Runtime>() -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
    app_commands!(handler_of)
}

/// Starts the app and blocks until it exits.
pub fn run() -> Result<(), Box<dyn std::error::Error>> {
    let app = tauri::Builder::default()
        // First, so a second launch hands over to the first one before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            focus_main_window(app)
        }))
        .plugin(log_plugin())
        .plugin(tauri_plugin_store::Builder::new().build())
        .plugin(tauri_plugin_notification::init())
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
                // Its last uses are written before the process ends.
                state.sandbox.stop_on_exit();
            }
        }
    });
    Ok(())
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

/// Reads the settings, starts opening the database on a thread (the window does not wait for it:
/// [`database::open_in_background`]), and starts the clipboard owner and the background work. A
/// database that cannot be opened (unwritable folder, a file from a newer version) does not stop
/// the app: the window opens and shows the reason. A database that fails its integrity check is
/// opened read-only and the window says so.
fn open_state<R: Runtime>(app: &AppHandle<R>) -> Result<AppState, Box<dyn std::error::Error>> {
    let (slot, db_path) = match Registry::default_db_path() {
        Ok(path) => (DatabaseSlot::opening(), Some(path)),
        Err(error) => {
            log::error!("no database path: {error}");
            let unusable = Database::checked(Err(CommandError::from(error)), None);
            (DatabaseSlot::new(unusable), None)
        }
    };
    let paths = AppPaths {
        db: db_path.clone().unwrap_or_default(),
        settings: app.path().app_config_dir()?.join("settings.json"),
        catalog: app.path().app_data_dir()?.join("catalog.json"),
    };
    let settings = settings::load(app, &paths.settings);
    let clipboard = SecretClipboard::spawn(Box::new(SystemClipboard::open))?;
    let state = AppState::new(Arc::clone(&slot), clipboard, settings, paths.clone());
    if let Some(db_path) = db_path {
        database::open_in_background(Arc::clone(&slot), db_path.clone(), paths.catalog)?;
        housekeeping::spawn(app.clone(), slot, db_path)?;
    }
    Ok(state)
}
