//! What the commands share: the registry, the secrets still held for the "copy your token"
//! dialog, the clipboard owner, the settings and the app's file paths.
//!
//! Invariants:
//! - the [`Registry`] (one SQLite connection) sits behind a mutex and is only touched from
//!   `spawn_blocking` tasks, never from the UI thread or an async worker ([`AppState::with_registry`]);
//! - the window does not wait for the database: at start a read-only connection serves the first
//!   page, and the writable open and the integrity check run after it ([`open_in_background`]);
//!   no write, backup or restore runs before the check has reported ([`DatabaseSlot::lock_checked`]);
//! - a database that failed its integrity check is open read-only and every write command is
//!   refused with kind `read_only` before it reaches the core
//!   ([`AppState::with_writable_registry`]); a restore swaps the registry under the same mutex,
//!   so no command ever sees a closed or half-restored database.
//! - a secret is held only between `create_token` and `discard_secret`, in a zeroizing buffer keyed
//!   by token id; nothing here writes it anywhere.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

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

/// How far the start-up work on the database has gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// Nothing is open yet: every command waits.
    Opening,
    /// Readable, through a read-only connection: the writable open and the integrity check run
    /// after the window's first page, and until they report, writes wait.
    Checking,
    /// The check reported (or the database could not be opened): every command runs.
    Checked,
}

/// The open database: the registry (or why it could not be opened) and, when the integrity check
/// failed, what it found.
pub struct Database {
    /// The registry, or why the database could not be opened: the window still opens and every
    /// database command answers with that error, which the UI shows instead of a silent exit.
    pub registry: Result<Registry, CommandError>,
    /// The first problem the integrity check found, when the database is open read-only.
    pub integrity_problem: Option<String>,
    /// Whether the registry is usable yet and whether the integrity check has reported.
    pub readiness: Readiness,
}

impl Database {
    /// Opens the database at `path` and checks it before returning (a restore, the tests): a
    /// database that fails the check is opened read-only with the first problem kept for the
    /// banner and the `read_only` errors. A file that is not a database at all, or of a newer
    /// schema, fails as before.
    pub fn open(path: &Path, catalog: Arc<Catalog>) -> Database {
        match open_checked(path, catalog) {
            Checked::Sound(registry) => {
                log::info!("database {}", path.display());
                Database::checked(Ok(registry), None)
            }
            Checked::Damaged { read_only, problem } => Database::checked(read_only, Some(problem)),
            Checked::Unusable(error) => Database::checked(Err(error), None),
        }
    }

    /// A database whose check has reported.
    pub fn checked(
        registry: Result<Registry, CommandError>,
        integrity_problem: Option<String>,
    ) -> Database {
        Database {
            registry,
            integrity_problem,
            readiness: Readiness::Checked,
        }
    }
}

/// What [`open_checked`] found.
enum Checked {
    /// Open for writing, and the check found nothing.
    Sound(Registry),
    /// The check found damage: the file is open read-only (if it can be).
    Damaged {
        read_only: Result<Registry, CommandError>,
        problem: String,
    },
    /// The file could not be opened for another reason (not a database, a newer schema, no
    /// permission).
    Unusable(CommandError),
}

/// Opens the database for writing (the core's `quick_check` and migrations), then checks what
/// `quick_check` does not cover (foreign keys, the domain invariants) on a connection of its own.
/// `quick_check` runs once: when it fails, the core's full check names the damage.
fn open_checked(path: &Path, catalog: Arc<Catalog>) -> Checked {
    let existed = path.is_file();
    // The core's open reads the whole file for `quick_check` through a small cache of its own
    // (`db.rs`), so nothing here needs to bound or release memory after it.
    let registry = match Registry::open(path, Arc::clone(&catalog)) {
        Ok(registry) => registry,
        Err(error) => {
            if existed {
                if let Ok(report) = db::check_integrity(path) {
                    if !report.is_ok() {
                        return damaged(path, catalog, &report.to_string(), report.problems());
                    }
                }
            }
            log::error!("database {} cannot be opened: {error}", path.display());
            return Checked::Unusable(CommandError::from(error));
        }
    };
    if !existed {
        return Checked::Sound(registry);
    }
    match clapay_core::integrity::check_beyond_storage(path) {
        Ok(problems) if problems.is_empty() => Checked::Sound(registry),
        Ok(problems) => {
            drop(registry);
            let report = problems.iter().fold(String::new(), |mut text, problem| {
                text.push_str("\n- ");
                text.push_str(problem);
                text
            });
            damaged(path, catalog, &report, problems.iter().map(String::as_str))
        }
        Err(error) => {
            // The check itself could not run (the file went away, a read error): the database
            // stays usable, as before when the check could not be made.
            log::warn!("database {} could not be checked: {error}", path.display());
            Checked::Sound(registry)
        }
    }
}

fn damaged<'a>(
    path: &Path,
    catalog: Arc<Catalog>,
    report: &str,
    mut problems: impl Iterator<Item = &'a str>,
) -> Checked {
    let problem = problems
        .next()
        .map_or_else(|| "unknown damage".to_owned(), one_line);
    log::error!(
        "database {} failed its integrity check, opened read-only: {report}",
        path.display()
    );
    Checked::Damaged {
        read_only: Registry::open_read_only(path, catalog).map_err(CommandError::from),
        problem,
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

/// SQLite's soft heap limit while a whole-file read runs (a backup): past it,
/// every connection's page cache recycles its pages rather than growing. The limit is the
/// process's, set through a read-only connection of its own and lifted on drop, after which the
/// registry's cache grows again with what the window reads, up to the core's 64 MiB.
pub struct BoundedHeap(Option<Registry>);

/// The soft heap limit of [`BoundedHeap`]: room for the schema, the statements and the pages of
/// a list query, far below the 26 MB a 10,000-token database would fill.
const WHOLE_FILE_READ_HEAP: i64 = 8 * 1024 * 1024;

impl BoundedHeap {
    /// Bounds SQLite's heap until the value is dropped; without effect when no connection to the
    /// file at `path` can be opened to set it. `catalog` is the one in use (the connection reads
    /// nothing with it; the embedded one may not even be loaded).
    pub fn new(path: &Path, catalog: Arc<Catalog>) -> BoundedHeap {
        let connection = Registry::open_read_only(path, catalog).ok();
        BoundedHeap(
            connection.filter(|registry| set_soft_heap_limit(registry, WHOLE_FILE_READ_HEAP)),
        )
    }
}

impl Drop for BoundedHeap {
    fn drop(&mut self) {
        if let Some(registry) = &self.0 {
            set_soft_heap_limit(registry, 0);
        }
    }
}

fn set_soft_heap_limit(registry: &Registry, bytes: i64) -> bool {
    match registry.set_soft_heap_limit(bytes) {
        Ok(()) => true,
        Err(error) => {
            log::warn!("SQLite's heap limit was not set: {error}");
            false
        }
    }
}

/// Frees the pages SQLite keeps cached on the registry's connection (after a whole-file read:
/// a backup). The cache keeps its size limit and fills again on demand.
pub fn release_cache(registry: &Registry) {
    if let Err(error) = registry.release_cache() {
        log::warn!("the database cache was not released: {error}");
    }
}

/// Whether the file at `path` can be served read-only while the writable open and the check run
/// later: it exists, opens read-only, and is of this build's schema (an older one is migrated
/// by the writable open first).
fn open_for_reading(path: &Path, catalog: Arc<Catalog>) -> Option<Registry> {
    if !path.is_file() {
        return None;
    }
    let registry = Registry::open_read_only(path, catalog).ok()?;
    let version = registry.schema_version().ok()?;
    (version == db::SCHEMA_VERSION).then_some(registry)
}

/// The database slot shared by the commands, the start-up thread and the backup thread: the
/// [`Database`] under a mutex, and a condition variable signalled each time its readiness moves.
pub struct DatabaseSlot {
    database: Mutex<Database>,
    changed: Condvar,
    /// Set when the window showed its first page (or a write is waiting): the writable open and
    /// the integrity check may start.
    first_page: Mutex<bool>,
    first_page_shown: Condvar,
}

impl DatabaseSlot {
    fn new(database: Database) -> Self {
        DatabaseSlot {
            database: Mutex::new(database),
            changed: Condvar::new(),
            first_page: Mutex::new(false),
            first_page_shown: Condvar::new(),
        }
    }

    /// Locks the database once it is readable.
    pub fn lock_readable(&self) -> Result<MutexGuard<'_, Database>, CommandError> {
        self.lock_when(|database| database.readiness != Readiness::Opening)
    }

    /// Locks the database once the integrity check has reported (writes, backups, restores).
    pub fn lock_checked(&self) -> Result<MutexGuard<'_, Database>, CommandError> {
        self.first_page_shown();
        self.lock_when(|database| database.readiness == Readiness::Checked)
    }

    /// Locks the database as it is, without waiting (the exit flush).
    pub fn lock_now(&self) -> Result<MutexGuard<'_, Database>, CommandError> {
        self.database.lock().map_err(|_| poisoned())
    }

    fn lock_when(
        &self,
        ready: impl Fn(&Database) -> bool,
    ) -> Result<MutexGuard<'_, Database>, CommandError> {
        let guard = self.lock_now()?;
        self.changed
            .wait_while(guard, |database| !ready(database))
            .map_err(|_| poisoned())
    }

    /// Replaces the database and wakes whoever waits on its readiness.
    fn set(&self, update: impl FnOnce(&mut Database)) {
        if let Ok(mut database) = self.database.lock() {
            update(&mut database);
        }
        self.changed.notify_all();
    }

    /// The window showed its first page (or a write waits for the check): let the check start.
    pub fn first_page_shown(&self) {
        if let Ok(mut shown) = self.first_page.lock() {
            *shown = true;
        }
        self.first_page_shown.notify_all();
    }

    fn wait_for_first_page(&self, at_most: Duration) {
        if let Ok(shown) = self.first_page.lock() {
            let _ = self
                .first_page_shown
                .wait_timeout_while(shown, at_most, |shown| !*shown);
        }
    }

    /// Waits until the integrity check has reported and returns what it found (`None`: sound).
    pub fn integrity_problem(&self) -> Result<Option<String>, CommandError> {
        self.lock_when(|database| database.readiness == Readiness::Checked)
            .map(|database| database.integrity_problem.clone())
    }
}

/// The longest the writable open and the integrity check wait for the window's first page (a
/// window that starts on another screen never reports one).
const FIRST_PAGE_WAIT: Duration = Duration::from_secs(5);

/// Opens the database at `path` with the catalog to use (the imported one at `catalog_path`, else
/// the embedded one) without delaying the window: on a thread, a read-only connection
/// serves the first page (the file exists and is of this build's schema), then, once the window
/// showed it, the writable open (`quick_check`, migrations) and the rest of the integrity check
/// run and the slot switches to the writable registry, or to read-only mode with the problem
/// found. Writes wait until then ([`DatabaseSlot::lock_checked`]).
pub fn open_in_background(
    slot: Arc<DatabaseSlot>,
    path: PathBuf,
    catalog_path: PathBuf,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("database-open".into())
        .spawn(move || {
            // Here rather than before the window: validating a catalog wakes the phone-number
            // library (its metadata decoded, its patterns compiled), about 100 ms.
            let catalog = load_catalog(&catalog_path);
            if let Some(reader) = open_for_reading(&path, Arc::clone(&catalog)) {
                slot.set(|database| {
                    database.registry = Ok(reader);
                    database.readiness = Readiness::Checking;
                });
                slot.wait_for_first_page(FIRST_PAGE_WAIT);
            }
            // A catalog imported meanwhile went to the read-only registry: keep it.
            let catalog = slot
                .lock_now()
                .ok()
                .and_then(|database| {
                    database
                        .registry
                        .as_ref()
                        .ok()
                        .map(|registry| Arc::clone(registry.catalog()))
                })
                .unwrap_or(catalog);
            let opened = Database::open(&path, catalog);
            slot.set(|database| *database = opened);
        })
        .map(|_| ())
}

/// The state every command can take.
pub struct AppState {
    database: Arc<DatabaseSlot>,
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
            Database::checked(registry, None),
            clipboard,
            settings,
            paths,
        )
    }

    /// Builds the state around a database opened with [`Database::open`], or one still
    /// [`Readiness::Opening`] that [`open_in_background`] fills in.
    pub fn with_database(
        database: Database,
        clipboard: SecretClipboard,
        settings: Settings,
        paths: AppPaths,
    ) -> Self {
        AppState {
            database: Arc::new(DatabaseSlot::new(database)),
            secrets: Mutex::new(HashMap::new()),
            clipboard,
            settings: Mutex::new(settings),
            paths,
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
        self.with_readable_database(move |database| {
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
    /// holding its lock, once the start-up integrity check has reported: a backup or a restore
    /// (which replaces the registry) works here.
    pub async fn with_database_slot<T, F>(&self, work: F) -> Result<T, CommandError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Database) -> Result<T, CommandError> + Send + 'static,
    {
        let slot = Arc::clone(&self.database);
        run_blocking(move || work(&mut *slot.lock_checked()?)).await
    }

    /// As [`AppState::with_database_slot`], as soon as the database is readable (the integrity
    /// check may still be running).
    pub async fn with_readable_database<T, F>(&self, work: F) -> Result<T, CommandError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Database) -> Result<T, CommandError> + Send + 'static,
    {
        let slot = Arc::clone(&self.database);
        run_blocking(move || work(&mut *slot.lock_readable()?)).await
    }

    /// The database slot, for the start-up and backup threads and the exit flush.
    pub fn database(&self) -> Arc<DatabaseSlot> {
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

/// Runs `work` in the blocking thread pool.
async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, CommandError> + Send + 'static,
) -> Result<T, CommandError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|error| CommandError::internal(format!("A database task failed: {error}")))?
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
