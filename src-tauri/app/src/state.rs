//! What the commands share: the database, the secrets held for their dialog, the clipboard
//! owner, the settings and the app's file paths.
//!
//! Invariants:
//! - the [`clapay_core::Registry`] (one SQLite connection) sits behind the database slot's mutex
//!   and is only touched from `spawn_blocking` tasks, never from the UI thread or an async worker;
//! - a database that failed its integrity check is open read-only and every write command is
//!   refused with kind `read_only` before it reaches the core ([`AppState::with_writable_registry`]);
//!   a restore swaps the registry under the same mutex, so no command sees a half-restored one;
//! - a secret is held only between the command that created it and `discard_secret`
//!   ([`crate::secrets`]).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use clapay_core::Registry;

use crate::clipboard::SecretClipboard;
use crate::database::{poisoned, Database, DatabaseSlot};
use crate::error::CommandError;
use crate::sandbox::SandboxSlot;
use crate::secrets::HeldSecrets;
use crate::settings::Settings;

/// The files the shell reads and writes.
#[derive(Debug, Clone)]
pub struct AppPaths {
    /// The SQLite database (`CLAPAY_TOKENS_DB`, else the OS app-data dir).
    pub db: PathBuf,
    /// The settings store (`settings.json` in the app config dir).
    pub settings: PathBuf,
    /// A catalog imported by the merchant (`catalog.json` in the app data dir).
    pub catalog: PathBuf,
}

/// The state every command can take.
pub struct AppState {
    database: Arc<DatabaseSlot>,
    /// Secrets waiting for their dialog.
    pub secrets: HeldSecrets,
    /// The clipboard owner thread.
    pub clipboard: SecretClipboard,
    settings: Mutex<Settings>,
    /// Where the files are.
    pub paths: AppPaths,
    /// The sandbox gateway of the Sandbox screen.
    pub sandbox: SandboxSlot,
}

impl AppState {
    /// Builds the state around a database slot (opening in the background, or already open).
    pub fn new(
        database: Arc<DatabaseSlot>,
        clipboard: SecretClipboard,
        settings: Settings,
        paths: AppPaths,
    ) -> Self {
        AppState {
            database,
            secrets: HeldSecrets::default(),
            clipboard,
            settings: Mutex::new(settings),
            paths,
            sandbox: SandboxSlot::default(),
        }
    }

    /// Runs `work` on the registry in the blocking thread pool, so a slow disk never freezes the
    /// window, and converts the core's error for IPC. For reads: it also runs on a database open
    /// read-only, and does not wait for the start-up integrity check.
    pub async fn with_registry<T, F>(&self, work: F) -> Result<T, CommandError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Registry) -> clapay_core::Result<T> + Send + 'static,
    {
        let slot = Arc::clone(&self.database);
        run_blocking(move || {
            let mut database = slot.lock_readable()?;
            let registry = database.registry.as_mut().map_err(|error| error.clone())?;
            work(registry).map_err(CommandError::from)
        })
        .await
    }

    /// As [`AppState::with_registry`], for a command that writes: waits for the start-up
    /// integrity check, and is refused with kind `read_only` while the database that failed it is
    /// open read-only.
    pub async fn with_writable_registry<T, F>(&self, work: F) -> Result<T, CommandError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Registry) -> clapay_core::Result<T> + Send + 'static,
    {
        self.with_database(move |database| {
            if let Some(problem) = &database.integrity_problem {
                return Err(CommandError::read_only(problem));
            }
            let registry = database.registry.as_mut().map_err(|error| error.clone())?;
            work(registry).map_err(CommandError::from)
        })
        .await
    }

    /// Runs `work` on the whole database (registry and integrity state) in the blocking pool,
    /// holding its lock, once the start-up integrity check has reported: a backup or a restore
    /// (which replaces the registry) works here.
    pub async fn with_database<T, F>(&self, work: F) -> Result<T, CommandError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Database) -> Result<T, CommandError> + Send + 'static,
    {
        let slot = Arc::clone(&self.database);
        run_blocking(move || work(&mut *slot.lock_checked()?)).await
    }

    /// The database slot, for the start-up and background threads.
    pub fn database(&self) -> Arc<DatabaseSlot> {
        Arc::clone(&self.database)
    }

    /// The settings in use.
    pub fn settings(&self) -> Result<Settings, CommandError> {
        self.settings
            .lock()
            .map(|settings| settings.clone())
            .map_err(|_| poisoned())
    }

    /// Replaces the settings in use (after they were saved).
    pub fn set_settings(&self, settings: Settings) -> Result<(), CommandError> {
        *self.settings.lock().map_err(|_| poisoned())? = settings;
        Ok(())
    }
}

/// Runs `work` in the blocking thread pool.
pub async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, CommandError> + Send + 'static,
) -> Result<T, CommandError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|error| CommandError::internal(format!("A background task failed: {error}")))?
}
