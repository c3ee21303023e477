//! The database the commands share, and how it is opened at start.
//!
//! The window does not wait for the database: [`open_in_background`] opens it for writing on a
//! thread (identity, migrations, schema check) while GTK starts, then runs the integrity check
//! (SQLite's `quick_check` over the whole file, foreign keys, the domain's rules). Reads wait
//! until it is open; writes, backups and restores wait for one flag, set when the check has
//! reported.
//!
//! Fail closed: a database the check finds damaged, or that cannot be checked at all, is reopened
//! read-only, every write is refused with kind `read_only`, and the window shows the problem with
//! the way out (restore a backup).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use clapay_core::{db, integrity, Catalog, Registry};

use crate::catalog_file::load_catalog;
use crate::error::CommandError;

/// The open database: the registry (or why it could not be opened) and, when the integrity check
/// failed, what it found.
pub struct Database {
    /// The registry, or why the database could not be opened: the window still opens and every
    /// database command answers with that error, which the UI shows instead of a silent exit.
    pub registry: Result<Registry, CommandError>,
    /// The first problem the integrity check found, when the database is open read-only.
    pub integrity_problem: Option<String>,
    /// The registry is there (open, or known to be unusable): reads may run.
    opened: bool,
    /// The integrity check has reported: writes may run.
    checked: bool,
}

impl Database {
    /// A database still being opened.
    fn opening() -> Database {
        Database {
            registry: Err(CommandError::internal("The database is being opened")),
            integrity_problem: None,
            opened: false,
            checked: false,
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
            opened: true,
            checked: true,
        }
    }

    /// Opens the database at `path` and checks it before returning (a restore, the tests).
    pub fn open(path: &Path, catalog: Arc<Catalog>) -> Database {
        match open_writable(path, Arc::clone(&catalog)) {
            Ok(registry) => {
                let problem = check_whole_file(path);
                finish(path, catalog, registry, problem)
            }
            Err(unusable) => *unusable,
        }
    }
}

/// Opens the database for writing; a file the open refuses because it is damaged is opened
/// read-only instead, with the damage as its problem.
fn open_writable(path: &Path, catalog: Arc<Catalog>) -> Result<Registry, Box<Database>> {
    let existed = path.is_file();
    match Registry::open_check_later(path, Arc::clone(&catalog)) {
        Ok(registry) => {
            log::info!("database {}", path.display());
            Ok(registry)
        }
        Err(error) => {
            if existed {
                if let Ok(report) = db::check_integrity(path) {
                    if let Some(problem) = report.problems().next() {
                        return Err(Box::new(read_only(
                            path,
                            catalog,
                            &report.to_string(),
                            problem,
                        )));
                    }
                }
            }
            log::error!("database {} cannot be opened: {error}", path.display());
            Err(Box::new(Database::checked(
                Err(CommandError::from(error)),
                None,
            )))
        }
    }
}

/// What the integrity check finds: `None` when sound, else the report.
fn check_whole_file(path: &Path) -> Option<String> {
    verdict(integrity::check_integrity(path).map(|report| {
        report
            .problems()
            .map(str::to_owned)
            .collect::<Vec<String>>()
    }))
}

/// A check's findings as the report of its problems; a check that could not run counts as a
/// problem (fail closed: a database nobody could check is not trusted with writes).
fn verdict(checked: clapay_core::Result<Vec<String>>) -> Option<String> {
    match checked {
        Ok(problems) if problems.is_empty() => None,
        Ok(problems) => Some(problems.join("\n- ")),
        Err(error) => Some(format!("the integrity check could not run ({error})")),
    }
}

/// The database once its check has reported: the writable registry when sound, else read-only.
fn finish(
    path: &Path,
    catalog: Arc<Catalog>,
    registry: Registry,
    problem: Option<String>,
) -> Database {
    match problem {
        None => Database::checked(Ok(registry), None),
        Some(report) => {
            drop(registry);
            let first = report.lines().next().unwrap_or_default().to_owned();
            read_only(path, catalog, &report, &first)
        }
    }
}

fn read_only(path: &Path, catalog: Arc<Catalog>, report: &str, problem: &str) -> Database {
    log::error!(
        "database {} failed its integrity check, opened read-only: {report}",
        path.display()
    );
    Database::checked(
        Registry::open_read_only(path, catalog).map_err(CommandError::from),
        Some(one_line(problem)),
    )
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

/// The database shared by the commands, the start-up thread and the background work: the
/// [`Database`] under a mutex, and a condition variable signalled when it opens and when its
/// check reports.
pub struct DatabaseSlot {
    database: Mutex<Database>,
    changed: Condvar,
}

impl DatabaseSlot {
    /// A slot holding `database`.
    pub fn new(database: Database) -> Arc<DatabaseSlot> {
        Arc::new(DatabaseSlot {
            database: Mutex::new(database),
            changed: Condvar::new(),
        })
    }

    /// A slot whose database [`open_in_background`] will fill in.
    pub fn opening() -> Arc<DatabaseSlot> {
        DatabaseSlot::new(Database::opening())
    }

    /// Locks the database once it is open (reads).
    pub fn lock_readable(&self) -> Result<MutexGuard<'_, Database>, CommandError> {
        self.lock_when(|database| database.opened)
    }

    /// Locks the database once its integrity check has reported (writes, backups, restores).
    pub fn lock_checked(&self) -> Result<MutexGuard<'_, Database>, CommandError> {
        self.lock_when(|database| database.checked)
    }

    fn lock_when(
        &self,
        ready: impl Fn(&Database) -> bool,
    ) -> Result<MutexGuard<'_, Database>, CommandError> {
        let guard = self.database.lock().map_err(|_| poisoned())?;
        self.changed
            .wait_while(guard, |database| !ready(database))
            .map_err(|_| poisoned())
    }

    fn update(&self, change: impl FnOnce(&mut Database)) {
        if let Ok(mut database) = self.database.lock() {
            change(&mut database);
        }
        self.changed.notify_all();
    }

    /// Waits until the integrity check has reported and returns what it found (`None`: sound).
    pub fn integrity_problem(&self) -> Result<Option<String>, CommandError> {
        self.lock_checked()
            .map(|database| database.integrity_problem.clone())
    }
}

/// Opens the database at `path` on a thread, with the catalog the merchant imported at
/// `catalog_path` (else the embedded one): reads may run once it is open, writes once its
/// integrity check has reported (see the module's documentation).
pub fn open_in_background(
    slot: Arc<DatabaseSlot>,
    path: PathBuf,
    catalog_path: PathBuf,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("database-open".into())
        .spawn(move || {
            let catalog = load_catalog(&catalog_path);
            let registry = match open_writable(&path, Arc::clone(&catalog)) {
                Ok(registry) => registry,
                Err(unusable) => {
                    slot.update(|database| *database = *unusable);
                    return;
                }
            };
            slot.update(|database| {
                database.registry = Ok(registry);
                database.opened = true;
            });
            let problem = check_whole_file(&path);
            slot.update(|database| {
                if let Some(report) = problem {
                    // A catalog imported meanwhile went to the writable registry: keep it.
                    let catalog = database
                        .registry
                        .as_ref()
                        .map(|registry| Arc::clone(registry.catalog()))
                        .unwrap_or(catalog);
                    let registry = std::mem::replace(
                        &mut database.registry,
                        Err(CommandError::internal("The database is being reopened")),
                    );
                    if let Ok(registry) = registry {
                        *database = finish(&path, catalog, registry, Some(report));
                    }
                }
                database.checked = true;
            });
        })
        .map(|_| ())
}

pub(crate) fn poisoned() -> CommandError {
    CommandError::internal("The app state is poisoned")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_that_cannot_run_is_a_problem_not_a_pass() {
        assert_eq!(verdict(Ok(Vec::new())), None);
        assert!(verdict(Ok(vec!["a rule is broken".into()])).is_some());
        let failed = verdict(Err(clapay_core::Error::BadDatabase {
            path: "tokens.db".into(),
            reason: "the file went away".into(),
        }));
        assert!(
            failed.is_some_and(|problem| problem.contains("could not run")),
            "the database opens read-only, with the reason on the banner"
        );
    }
}
