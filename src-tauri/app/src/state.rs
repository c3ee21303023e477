//! What the commands share: the registry, the secrets still held for the "copy your token"
//! dialog, the clipboard owner, the settings and the app's file paths.
//!
//! Invariants:
//! - the [`Registry`] (one SQLite connection) sits behind a mutex and is only touched from
//!   `spawn_blocking` tasks, never from the UI thread or an async worker ([`AppState::with_registry`]);
//! - a secret is held only between `create_token` and `discard_secret`, in a zeroizing buffer keyed
//!   by token id; nothing here writes it anywhere.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use clapay_core::{Catalog, Registry};
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

/// The state every command can take.
pub struct AppState {
    /// The registry, or why the database could not be opened: the window still opens and every
    /// database command answers with that error, which the UI shows instead of a silent exit.
    registry: Result<Arc<Mutex<Registry>>, CommandError>,
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
        AppState {
            registry: registry.map(|registry| Arc::new(Mutex::new(registry))),
            secrets: Mutex::new(HashMap::new()),
            clipboard,
            settings: Mutex::new(settings),
            paths,
        }
    }

    /// Runs `work` on the registry in the blocking thread pool, so a slow disk never freezes the
    /// window, and converts the core's error for IPC.
    pub async fn with_registry<T, F>(&self, work: F) -> Result<T, CommandError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Registry) -> clapay_core::Result<T> + Send + 'static,
    {
        let registry = Arc::clone(self.registry.as_ref().map_err(Clone::clone)?);
        tauri::async_runtime::spawn_blocking(move || {
            let mut registry = registry
                .lock()
                .map_err(|_| CommandError::internal("The database handle is poisoned"))?;
            work(&mut registry).map_err(CommandError::from)
        })
        .await
        .map_err(|error| CommandError::internal(format!("A database task failed: {error}")))?
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
