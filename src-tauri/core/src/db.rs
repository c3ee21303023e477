//! Opening the database: file modes, pragmas, the quick check, migrations and the schema check.
//!
//! Every connection gets `journal_mode=WAL`, `synchronous=FULL` (NORMAL can lose the last commits on
//! power loss: a merchant would hold a token whose digest is gone), `foreign_keys=ON`, a busy
//! timeout, `trusted_schema=OFF` and SQLite's defensive mode (a database file from elsewhere cannot
//! run functions from its schema or corrupt itself through `writable_schema`).
//!
//! Migrations are append-only SQL files applied in one transaction by `PRAGMA user_version`, after a
//! copy of the file is kept beside it. A file is refused, unchanged, when it was written by a newer
//! version, by a pre-release build (it has tables but not our `application_id`), or by another
//! application. After migrating, the file's schema (tables, indexes, triggers, views) must be
//! exactly what the migrations produce at its version: an extra or altered object is refused by
//! name, since a trigger planted in a file can change what every write does.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::{Error, Result};
use crate::private_files;

pub use crate::backup::restore;
pub use crate::integrity::{check_integrity, open_read_only, IntegrityReport};

/// The environment variable that overrides the database path (app, CLI and tests use it).
pub const DB_ENV: &str = "CLAPAY_TOKENS_DB";

/// How long a writer waits for another one before giving up. Long enough that a merchant never
/// sees "database is locked" while the app, the CLI and the sandbox gateway all write;
/// transactions are short.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// `PRAGMA application_id` of a ClaPay Tokens database ('CLPT'), set by the baseline migration.
pub const APPLICATION_ID: i64 = 0x434C_5054;

/// The migrations, in order. Append only: never edit a released step, add a new one.
pub const MIGRATIONS: &[&str] = &[include_str!("../migrations/0001_baseline.sql")];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The app's identifier in tauri.conf.json. Tauri keeps the settings, the imported catalog and
/// the logs in `<OS data dir>/<identifier>`; the database goes beside them so that one folder
/// holds everything a merchant must back up.
pub const APP_IDENTIFIER: &str = "app.clapay.tokens";

/// The database path: `CLAPAY_TOKENS_DB` if set, else `tokens.db` in the OS app-data dir
/// (`~/.local/share/app.clapay.tokens` on Linux, `%APPDATA%\app.clapay.tokens` on Windows,
/// `~/Library/Application Support/app.clapay.tokens` on macOS), where the desktop app and the CLI
/// both find it.
pub fn default_db_path() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os(DB_ENV).filter(|value| !value.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let dirs = directories::BaseDirs::new().ok_or_else(|| Error::Io {
        context: format!("no home directory to keep the database in; set {DB_ENV} to a file path"),
        source: std::io::Error::from(std::io::ErrorKind::NotFound),
    })?;
    Ok(dirs.data_dir().join(APP_IDENTIFIER).join("tokens.db"))
}

/// Opens (creating if needed) and migrates the database at `path`.
pub fn open(path: &Path) -> Result<Connection> {
    open_with(path, WholeFile::CheckNow)
}

/// Like [`open`], but the whole-file `quick_check` is left to the caller unless the file is about
/// to be migrated: for the app, which opens the database while its window starts, checks it
/// right after ([`crate::integrity::check_integrity`]) and refuses every write until that check
/// has passed. The identity, version and schema checks run as in [`open`].
pub fn open_check_later(path: &Path) -> Result<Connection> {
    open_with(path, WholeFile::CheckLater)
}

/// Whether an open reads the whole file with `quick_check` before it answers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WholeFile {
    CheckNow,
    CheckLater,
}

fn open_with(path: &Path, whole_file: WholeFile) -> Result<Connection> {
    let display = path.display().to_string();
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        private_files::create_dir_all(parent).map_err(|source| Error::Io {
            context: format!("cannot create the folder {}", parent.display()),
            source,
        })?;
    }
    private_files::prepare_database_file(path).map_err(|source| Error::Io {
        context: format!("cannot create the database file {display}"),
        source,
    })?;
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|error| bad_database(&display, error))?;
    prepare(connection, &display, whole_file)
}

/// Opens one more connection to a database that an [`open`] of this process has already checked
/// and migrated (the usage writer's, the sandbox gateway's readers): the pragmas, without the
/// whole-file check.
pub fn open_existing(path: &Path) -> Result<Connection> {
    let display = path.display().to_string();
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|error| bad_database(&display, error))?;
    set_pragmas(&connection, &display)?;
    Ok(connection)
}

/// Opens a private in-memory database (tests, benchmarks).
pub fn open_in_memory() -> Result<Connection> {
    prepare(
        Connection::open_in_memory()?,
        ":memory:",
        WholeFile::CheckNow,
    )
}

/// The settings every connection needs before it reads anything from a file: the file may come
/// from elsewhere (a restore, `--db`), and its schema must not run functions or edit itself.
pub(crate) fn distrust_schema(connection: &Connection) -> rusqlite::Result<()> {
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    Ok(())
}

fn set_pragmas(connection: &Connection, display: &str) -> Result<()> {
    distrust_schema(connection)?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = connection
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(|error| bad_database(display, error))?;
    if mode != "wal" && mode != "memory" {
        return Err(Error::BadDatabase {
            path: display.into(),
            reason: format!(
                "cannot switch to WAL journaling (got '{mode}'); is the folder read-only?"
            ),
        });
    }
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    // 64 MiB of page cache, allocated only as pages are read: at 100,000 tokens a payment check
    // then finds the digest index in memory instead of reading it from the file.
    connection.pragma_update(None, "cache_size", -65_536)?;
    // The list builds a few statement texts per filter and sort: room for all of them.
    connection.set_prepared_statement_cache_capacity(128);
    // Query plans never depend on bound values. Without this SQLite marks a statement whose plan
    // could use a parameter's value (authorize's composition lookup is one) and compiles it again
    // at every call of the cached statement, several times the cost of the query itself.
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

fn prepare(mut connection: Connection, display: &str, whole_file: WholeFile) -> Result<Connection> {
    // What the file is, before anything writes to it (switching to WAL rewrites its header):
    // a file this build must refuse is left exactly as it was.
    distrust_schema(&connection)?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    let found = identify(&connection, display, SCHEMA_VERSION)?;
    set_pragmas(&connection, display)?;
    // A file about to change shape is checked first, whoever opens it.
    let migrating = matches!(found, Found::Ours(version) if version < SCHEMA_VERSION);
    if whole_file == WholeFile::CheckNow || migrating {
        let check: String = connection
            .query_row("PRAGMA quick_check", [], |row| row.get(0))
            .map_err(|error| bad_database(display, error))?;
        if check != "ok" {
            return Err(Error::BadDatabase {
                path: display.into(),
                reason: format!("the integrity check failed ({check}); restore a backup"),
            });
        }
    }
    migrate_with(&mut connection, display, MIGRATIONS)?;
    verify_schema(&connection, display)?;
    Ok(connection)
}

/// What a file holds before it is migrated.
enum Found {
    /// No table yet: a new database.
    Empty,
    /// A ClaPay Tokens database at this schema version.
    Ours(i64),
}

/// Tells what the file is, refusing what this build must not migrate.
fn identify(connection: &Connection, display: &str, supported: i64) -> Result<Found> {
    // The first read of a file that is not SQLite fails here, with "file is not a database".
    let version: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|error| bad_database(display, error))?;
    let unreadable = |error| bad_database(display, error);
    let application: i64 = connection
        .query_row("PRAGMA application_id", [], |row| row.get(0))
        .map_err(unreadable)?;
    let tables: i64 = connection
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'",
            [],
            |row| row.get(0),
        )
        .map_err(unreadable)?;
    if application == APPLICATION_ID {
        if version > supported {
            return Err(Error::SchemaTooNew {
                path: display.into(),
                found: version,
                supported,
            });
        }
        return Ok(Found::Ours(version));
    }
    if tables == 0 && version == 0 && application == 0 {
        return Ok(Found::Empty);
    }
    let has_tokens: bool = connection
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'tokens'",
            [],
            |row| row.get(0),
        )
        .map_err(unreadable)?;
    if application == 0 && version > 0 && has_tokens {
        return Err(Error::PreReleaseDatabase {
            path: display.into(),
        });
    }
    Err(Error::BadDatabase {
        path: display.into(),
        reason: "it holds tables of another application; point CLAPAY_TOKENS_DB at a new file"
            .into(),
    })
}

/// Brings the database to the last of `migrations` (the app passes [`MIGRATIONS`]; a test may pass
/// more, as the next build would). The steps run in one IMMEDIATE transaction, so a failing step
/// leaves the file at its old version, and two processes opening a new file at once cannot both
/// migrate it. An existing database is copied beside itself (`<file>.pre-v<N>.bak`) first.
pub fn migrate_with(connection: &mut Connection, display: &str, migrations: &[&str]) -> Result<()> {
    let supported = migrations.len() as i64;
    let found = match identify(connection, display, supported)? {
        Found::Empty => 0,
        Found::Ours(version) if version == supported => return Ok(()),
        Found::Ours(version) => {
            // An existing database is about to change shape: keep a copy of it as it was, beside
            // it, so a migration that goes wrong (or a downgrade) costs the merchant nothing.
            if let Some(path) = connection.path().filter(|path| !path.is_empty()) {
                let copy = PathBuf::from(format!("{path}.pre-v{supported}.bak"));
                crate::backup::copy_database(connection, &copy)?;
            }
            version
        }
    };
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current: i64 = transaction.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    for (index, step) in migrations
        .iter()
        .enumerate()
        .skip(current.max(found) as usize)
    {
        transaction.execute_batch(step)?;
        transaction.pragma_update(None, "user_version", index as i64 + 1)?;
    }
    transaction.commit()?;
    Ok(())
}

/// One object of a schema: its kind, name and the SQL that created it (`None` for the indexes
/// SQLite makes for UNIQUE and PRIMARY KEY constraints).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct SchemaObject {
    kind: String,
    name: String,
    sql: Option<String>,
}

fn schema_objects(connection: &Connection) -> rusqlite::Result<Vec<SchemaObject>> {
    let mut statement = connection.prepare(
        "SELECT type, name, sql FROM sqlite_schema
         WHERE name NOT IN ('sqlite_sequence', 'sqlite_stat1', 'sqlite_stat4') ORDER BY type, name",
    )?;
    let objects = statement
        .query_map([], |row| {
            Ok(SchemaObject {
                kind: row.get(0)?,
                name: row.get(1)?,
                sql: row.get(2)?,
            })
        })?
        .collect();
    objects
}

/// The schema the first `version` migrations produce, built in memory.
fn reference_schema(version: i64) -> Result<Vec<SchemaObject>> {
    let mut reference = Connection::open_in_memory()?;
    let steps = usize::try_from(version).unwrap_or(0).min(MIGRATIONS.len());
    migrate_with(&mut reference, ":memory:", &MIGRATIONS[..steps])?;
    Ok(schema_objects(&reference)?)
}

/// Refuses a database whose schema is not exactly what the migrations produce at its version,
/// naming the first object that differs.
pub fn verify_schema(connection: &Connection, display: &str) -> Result<()> {
    let version: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let found = schema_objects(connection)?;
    let expected = reference_schema(version)?;
    let mismatch = |object: &SchemaObject, what: &str| Error::SchemaMismatch {
        path: display.into(),
        object: format!("{} '{}'", object.kind, object.name),
        what: what.into(),
    };
    for object in &found {
        match expected
            .iter()
            .find(|known| known.kind == object.kind && known.name == object.name)
        {
            None => return Err(mismatch(object, "is not part of the ClaPay Tokens schema")),
            Some(known) if known.sql != object.sql => return Err(mismatch(object, "was altered")),
            Some(_) => {}
        }
    }
    if let Some(missing) = expected.iter().find(|known| !found.contains(known)) {
        return Err(mismatch(missing, "is missing"));
    }
    Ok(())
}

pub(crate) fn bad_database(display: &str, error: rusqlite::Error) -> Error {
    use rusqlite::ffi::ErrorCode;
    let reason = match error.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => "it is not a SQLite database (wrong file?)".to_string(),
        Some(ErrorCode::DatabaseCorrupt) => "the file is damaged; restore a backup".to_string(),
        Some(ErrorCode::CannotOpen) => {
            "the file cannot be opened (missing folder or no permission)".to_string()
        }
        Some(ErrorCode::ReadOnly) => "the file is read-only; check its permissions".to_string(),
        Some(ErrorCode::PermissionDenied) => {
            "permission denied; check the file's permissions".to_string()
        }
        _ => error.to_string(),
    };
    Error::BadDatabase {
        path: display.into(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::config::DbConfig;

    #[test]
    fn every_connection_plans_independently_of_bound_values() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("tokens.db");
        drop(super::open(&path).expect("open"));
        for connection in [
            super::open(&path).expect("open"),
            super::open_existing(&path).expect("open existing"),
        ] {
            assert!(
                connection
                    .db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG)
                    .expect("read the setting"),
                "a cached statement is not compiled again for new values"
            );
        }
    }
}
