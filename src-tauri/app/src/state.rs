//! What the commands share: the registry, the secrets still held for the "copy your token"
//! dialog, the clipboard owner, the settings and the app's file paths.
//!
//! Invariants:
//! - the [`Registry`] (one SQLite connection) sits behind a mutex and is only touched from
//!   `spawn_blocking` tasks, never from the UI thread or an async worker ([`AppState::with_registry`]);
//! - a database that failed its start-up integrity check is open read-only and every write
//!   command is refused with kind `read_only` before it reaches the core
//!   ([`AppState::with_writable_registry`]); a restore swaps the registry under the same mutex,
//!   so no command ever sees a closed or half-restored database.
//! - a secret is held only between `create_token` and `discard_secret`, in a zeroizing buffer keyed
//!   by token id; nothing here writes it anywhere.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use clapay_core::{db, Catalog, Registry};
use zeroize::Zeroizing;

use crate::clipboard::SecretClipboard;
use crate::error::CommandError;
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

/// The open database: the registry (or why it could not be opened) and, when the start-up
/// integrity check failed, what it found.
pub struct Database {
    /// The registry, or why the database could not be opened: the window still opens and every
    /// database command answers with that error, which the UI shows instead of a silent exit.
    pub registry: Result<Registry, CommandError>,
    /// The first problem the integrity check found, when the database is open read-only.
    pub integrity_problem: Option<String>,
}

impl Database {
    /// Opens the database at `path`: when the file exists it is checked first
    /// (`quick_check`, `foreign_key_check`, the domain invariants) and, if anything is wrong, opened
    /// read-only with the first problem kept for the banner and the `read_only` errors. A file
    /// that is not a database at all, or of a newer schema, fails as before.
    pub fn open(path: &Path, catalog: Arc<Catalog>) -> Database {
        if path.is_file() {
            if let Ok(report) = db::check_integrity(path) {
                if !report.is_ok() {
                    let problem = report
                        .problems()
                        .next()
                        .map_or_else(|| "unknown damage".to_owned(), one_line);
                    log::error!(
                        "database {} failed its integrity check, opened read-only: {report}",
                        path.display()
                    );
                    return Database {
                        registry: Registry::open_read_only(path, catalog)
                            .map_err(CommandError::from),
                        integrity_problem: Some(problem),
                    };
                }
            }
        }
        let registry = Registry::open(path, catalog).map_err(|error| {
            log::error!("database {} cannot be opened: {error}", path.display());
            CommandError::from(error)
        });
        if registry.is_ok() {
            log::info!("database {}", path.display());
        }
        Database {
            registry,
            integrity_problem: None,
        }
    }
}

/// A finding of the integrity check on one short line (SQLite's can span several).
fn one_line(problem: &str) -> String {
    let line: String = problem
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(200)
        .collect();
    line.trim_end_matches('.').to_owned()
}

/// The state every command can take.
pub struct AppState {
    database: Arc<Mutex<Database>>,
    secrets: Mutex<HashMap<String, Zeroizing<String>>>,
    /// The clipboard owner thread.
    pub clipboard: SecretClipboard,
    settings: Mutex<Settings>,
    /// Where the files are.
    pub paths: AppPaths,
}

impl AppState {
    /// Builds the state around an opened registry (or the error that prevented opening it).
    pub fn new(
        registry: Result<Registry, CommandError>,
        clipboard: SecretClipboard,
        settings: Settings,
        paths: AppPaths,
    ) -> Self {
        Self::with_database(
            Database {
                registry,
                integrity_problem: None,
            },
            clipboard,
            settings,
            paths,
        )
    }

    /// Builds the state around a database opened with [`Database::open`].
    pub fn with_database(
        database: Database,
        clipboard: SecretClipboard,
        settings: Settings,
        paths: AppPaths,
    ) -> Self {
        AppState {
            database: Arc::new(Mutex::new(database)),
            secrets: Mutex::new(HashMap::new()),
            clipboard,
            settings: Mutex::new(settings),
            paths,
        }
    }

    /// Runs `work` on the registry in the blocking thread pool, so a slow disk never freezes the
    /// window, and converts the core's error for IPC. For reads: it also runs on a database open
    /// read-only.
    pub async fn with_registry<T, F>(&self, work: F) -> Result<T, CommandError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Registry) -> clapay_core::Result<T> + Send + 'static,
    {
        self.with_database_slot(move |database| {
            let registry = database.registry.as_mut().map_err(|error| error.clone())?;
            work(registry).map_err(CommandError::from)
        })
        .await
    }

    /// As [`AppState::with_registry`], for a command that writes: refused with kind `read_only`
    /// while the database that failed its integrity check is open read-only.
    pub async fn with_writable_registry<T, F>(&self, work: F) -> Result<T, CommandError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Registry) -> clapay_core::Result<T> + Send + 'static,
    {
        self.with_database_slot(move |database| {
            if let Some(problem) = &database.integrity_problem {
                return Err(CommandError::read_only(problem));
            }
            let registry = database.registry.as_mut().map_err(|error| error.clone())?;
            work(registry).map_err(CommandError::from)
        })
        .await
    }

    /// Runs `work` on the whole database slot (registry and integrity state) in the blocking pool,
    /// holding its lock: a restore replaces the registry here.
    pub async fn with_database_slot<T, F>(&self, work: F) -> Result<T, CommandError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Database) -> Result<T, CommandError> + Send + 'static,
    {
        let database = Arc::clone(&self.database);
        tauri::async_runtime::spawn_blocking(move || {
            let mut database = database
                .lock()
                .map_err(|_| CommandError::internal("The database handle is poisoned"))?;
            work(&mut database)
        })
        .await
        .map_err(|error| CommandError::internal(format!("A database task failed: {error}")))?
    }

    /// The database slot, for the background backup thread (which takes its lock only for the
    /// length of one backup).
    pub fn database(&self) -> Arc<Mutex<Database>> {
        Arc::clone(&self.database)
    }

    /// Keeps the secret of a token just created until the dialog copies or discards it.
    pub fn hold_secret(&self, id: &str, secret: Zeroizing<String>) -> Result<(), CommandError> {
        self.lock_secrets()?.insert(id.to_owned(), secret);
        Ok(())
    }

    /// A zeroizing copy of a held secret, for the clipboard.
    pub fn held_secret(&self, id: &str) -> Result<Zeroizing<String>, CommandError> {
        self.lock_secrets()?
            .get(id)
            .cloned()
            .ok_or_else(CommandError::secret_gone)
    }

    /// Drops (and so zeroizes) a held secret. Discarding twice is not an error: the dialog may
    /// close by Escape after Done.
    pub fn discard_secret(&self, id: &str) -> Result<(), CommandError> {
        self.lock_secrets()?.remove(id);
        Ok(())
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

    fn lock_secrets(
        &self,
    ) -> Result<std::sync::MutexGuard<'_, HashMap<String, Zeroizing<String>>>, CommandError> {
        self.secrets.lock().map_err(|_| poisoned())
    }
}

fn poisoned() -> CommandError {
    CommandError::internal("The app state is poisoned")
}

/// The catalog to start with: `catalog.json` if the merchant imported one and it is still valid,
/// else the embedded one (with a logged warning when a file was there but unusable).
pub fn load_catalog(path: &Path) -> Arc<Catalog> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Catalog::embedded(),
        Err(error) => {
            log::warn!(
                "imported catalog {} unreadable, using the embedded one: {error}",
                path.display()
            );
            return Catalog::embedded();
        }
    };
    match Catalog::from_json(&text) {
        Ok(catalog) => {
            log::info!(
                "using the imported catalog {} (version {})",
                path.display(),
                catalog.version
            );
            Arc::new(catalog)
        }
        Err(error) => {
            log::warn!(
                "imported catalog {} is invalid, using the embedded one: {error}",
                path.display()
            );
            Catalog::embedded()
        }
    }
}

/// Writes an imported catalog next to the other app data, atomically (a temporary file renamed
/// over the old one), so a crash mid-write never leaves a half file that would be refused at start.
pub fn save_catalog(path: &Path, text: &str) -> Result<(), CommandError> {
    let failed = |error: std::io::Error| CommandError {
        kind: "storage",
        message: format!("The catalog cannot be saved to {}: {error}", path.display()),
        field: None,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    let temporary = path.with_extension("json.tmp");
    std::fs::write(&temporary, text).map_err(failed)?;
    std::fs::rename(&temporary, path).map_err(failed)
}
