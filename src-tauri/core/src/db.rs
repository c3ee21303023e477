//! Opening the database: pragmas, integrity check, migrations, default path.
//!
//! Every connection gets `journal_mode=WAL`, `synchronous=FULL` (NORMAL can lose the last commits on
//! power loss: a merchant would hold a token whose digest is gone), `foreign_keys=ON` and a busy
//! timeout. Migrations are append-only SQL files applied in one transaction by `PRAGMA user_version`;
//! a database written by a newer schema is refused rather than misread.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::{Error, Result};

pub use crate::backup::restore;
pub use crate::integrity::{check_integrity, open_read_only, IntegrityReport};

/// The environment variable that overrides the database path (app, CLI and tests use it).
pub const DB_ENV: &str = "CLAPAY_TOKENS_DB";

/// How long a writer waits for another one before giving up. Long enough that a merchant never
/// sees "database is locked" while the app and the CLI both write; transactions are short.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Page cache of a connection, in KiB (SQLite's negative `cache_size`).
const CACHE_KIB: i64 = -65_536;
/// Page cache while the open's `quick_check` reads the whole file, in KiB.
const CHECK_CACHE_KIB: i64 = -2_048;

/// The migrations, in order. Append only: never edit a released step, add a new one.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_initial.sql"),
    include_str!("../migrations/0002_list_indexes.sql"),
    include_str!("../migrations/0003_numbers_without_rowid.sql"),
    include_str!("../migrations/0004_token_access_summary.sql"),
    include_str!("../migrations/0005_fewer_writes_per_create.sql"),
    include_str!("../migrations/0006_copies_computed_once_per_create.sql"),
    include_str!("../migrations/0007_list_indexes_end_with_the_rowid.sql"),
    include_str!("../migrations/0008_whitelist_holds_the_numbers.sql"),
    include_str!("../migrations/0009_history_kind_check_without_a_table.sql"),
];

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

/// `prepare_cached` for the crate's own statements. Under `cfg(test)` it also remembers each SQL
/// text, so a test can check that none of them is re-prepared at every call: SQLite marks a
/// statement whose plan depends on a bound value (a parameter inside an aggregate, an `ORDER BY`
/// on an unindexed column next to an equality on a parameter, some joins), and rusqlite's cache,
/// which clears the bindings of a statement it takes back, then makes SQLite compile it again on
/// the next call: measured at 2 to 10 times the cost of the query.
pub(crate) trait Cached {
    fn cached(&self, sql: &str) -> rusqlite::Result<rusqlite::CachedStatement<'_>>;
}

impl Cached for Connection {
    fn cached(&self, sql: &str) -> rusqlite::Result<rusqlite::CachedStatement<'_>> {
        #[cfg(test)]
        seen_statements()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(sql.to_string());
        self.prepare_cached(sql)
    }
}

/// Every SQL text passed to [`Cached::cached`] in this test process.
#[cfg(test)]
pub(crate) fn seen_statements() -> &'static std::sync::Mutex<std::collections::BTreeSet<String>> {
    static SEEN: std::sync::OnceLock<std::sync::Mutex<std::collections::BTreeSet<String>>> =
        std::sync::OnceLock::new();
    SEEN.get_or_init(Default::default)
}

/// Opens (creating if needed) and migrates the database at `path`.
pub fn open(path: &Path) -> Result<Connection> {
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|source| Error::Io {
            context: format!("cannot create the folder {}", parent.display()),
            source,
        })?;
    }
    let display = path.display().to_string();
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|error| bad_database(&display, error))?;
    prepare(connection, &display)
}

/// Opens a private in-memory database (tests, benchmarks).
pub fn open_in_memory() -> Result<Connection> {
    prepare(Connection::open_in_memory()?, ":memory:")
}

fn prepare(mut connection: Connection, display: &str) -> Result<Connection> {
    connection.busy_timeout(BUSY_TIMEOUT)?;
    // The first read of a file that is not SQLite fails here, with "file is not a database".
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
    // The open's check reads the whole file through a small cache: left in a 64 MiB one, its pages
    // would crowd out the working set and grow SQLite's page hash, which every commit then scans
    // whole (`pcache1TruncateUnsafe`: about a tenth of a create's CPU in BENCHMARKS.md).
    connection.pragma_update(None, "cache_size", CHECK_CACHE_KIB)?;
    // The list alone has up to about 120 statement texts (5 filters x 4 sorts x 2 directions,
    // each read forwards or from the far end, and the searches): room for them and the rest, so
    // a merchant who tries every view does not compile them again.
    connection.set_prepared_statement_cache_capacity(192);
    // Plans never depend on bound values: without this, SQLite marks statements whose plan could
    // use a parameter's value (`?2 IS NULL`, an ORDER BY next to `token_id = ?1`, ...) and the
    // statement cache then compiles them again at every call (see `Cached`).
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;

    let check: String = connection
        .query_row("PRAGMA quick_check", [], |row| row.get(0))
        .map_err(|error| bad_database(display, error))?;
    if check != "ok" {
        return Err(Error::BadDatabase {
            path: display.into(),
            reason: format!("the integrity check failed ({check}); restore a backup"),
        });
    }
    // Larger page cache (64 MiB, allocated only as pages are read): token lookups and the list's
    // indexes stay in memory at 100,000 tokens (see BENCHMARKS.md).
    connection.pragma_update(None, "cache_size", CACHE_KIB)?;
    migrate(&mut connection, display)?;
    Ok(connection)
}

fn migrate(connection: &mut Connection, display: &str) -> Result<()> {
    migrate_with(connection, display, MIGRATIONS)
}

/// [`migrate`] with the steps given, so tests can migrate to a version this build does not have.
fn migrate_with(connection: &mut Connection, display: &str, migrations: &[&str]) -> Result<()> {
    let supported = migrations.len() as i64;
    let found: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > supported {
        return Err(Error::SchemaTooNew {
            path: display.into(),
            found,
            supported,
        });
    }
    if found == supported {
        return Ok(());
    }
    if found > 0 {
        // An existing database is about to change shape: keep a copy of it as it was, beside it,
        // so a migration that goes wrong (or a downgrade) costs the merchant nothing.
        if let Some(path) = connection.path().filter(|path| !path.is_empty()) {
            let copy = PathBuf::from(format!("{path}.pre-v{supported}.bak"));
            crate::backup::copy_database(connection, &copy)?;
        }
    }
    if found == 0 {
        // A version-0 file with tables in it is some other application's database: refuse to
        // write our schema into it.
        let foreign: i64 = connection.query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'",
            [],
            |row| row.get(0),
        )?;
        if foreign > 0 {
            return Err(Error::BadDatabase {
                path: display.into(),
                reason:
                    "it holds tables of another application; point CLAPAY_TOKENS_DB at a new file"
                        .into(),
            });
        }
    }
    // IMMEDIATE: two processes opening a fresh file at once must not both migrate it.
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current: i64 = transaction.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    for (index, step) in migrations.iter().enumerate().skip(current as usize) {
        transaction.execute_batch(step)?;
        transaction.pragma_update(None, "user_version", index as i64 + 1)?;
    }
    transaction.commit()?;
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
    use super::*;

    fn pragma(connection: &Connection, name: &str) -> String {
        connection
            .query_row(&format!("PRAGMA {name}"), [], |row| {
                row.get::<_, rusqlite::types::Value>(0)
            })
            .map(|value| match value {
                rusqlite::types::Value::Integer(n) => n.to_string(),
                rusqlite::types::Value::Text(t) => t,
                other => format!("{other:?}"),
            })
            .expect("pragma")
    }

    #[test]
    fn every_opened_connection_has_the_durability_pragmas() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tokens.db");
        for _ in 0..2 {
            // First open creates and migrates; second open reuses: both must set the pragmas.
            let connection = open(&path).expect("open");
            assert_eq!(
                pragma(&connection, "journal_mode"),
                "wal",
                "WAL keeps readers and a writer apart"
            );
            assert_eq!(
                pragma(&connection, "synchronous"),
                "2",
                "FULL: no acknowledged commit lost on power loss"
            );
            assert_eq!(
                pragma(&connection, "foreign_keys"),
                "1",
                "foreign keys are per connection"
            );
            assert_eq!(
                pragma(&connection, "busy_timeout"),
                "10000",
                "writers wait instead of failing"
            );
            assert_eq!(
                pragma(&connection, "user_version"),
                SCHEMA_VERSION.to_string()
            );
        }
    }

    #[test]
    fn migration_from_an_empty_file_creates_strict_tables() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("empty.db");
        std::fs::write(&path, b"").expect("empty file");
        let connection = open(&path).expect("an empty file is a new database");
        let strict: i64 = connection
            .query_row("SELECT count(*) FROM pragma_table_list WHERE name IN ('tokens','composition','numbers','history') AND strict = 1", [], |r| r.get(0))
            .expect("table list");
        assert_eq!(strict, 4, "all domain tables are STRICT");
    }

    #[test]
    fn newer_schema_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("newer.db");
        drop(open(&path).expect("create"));
        {
            let raw = Connection::open(&path).expect("raw");
            raw.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .expect("bump");
        }
        let error = open(&path).expect_err("a newer schema must be refused");
        assert!(matches!(error, Error::SchemaTooNew { found, .. } if found == SCHEMA_VERSION + 1));
        assert!(error.to_string().contains("newer version"), "{error}");
        let raw = Connection::open(&path).expect("raw");
        let version: i64 = raw
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(
            version,
            SCHEMA_VERSION + 1,
            "refusing must not downgrade the file"
        );
    }

    #[test]
    fn a_file_that_is_not_sqlite_is_refused_clearly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("notes.db");
        let content =
            b"these are my notes, not a database, but long enough to have a header.....".repeat(20);
        std::fs::write(&path, &content).expect("write");
        let error = open(&path).expect_err("not a database");
        assert!(
            error.to_string().contains("not a SQLite database"),
            "{error}"
        );
        assert_eq!(
            std::fs::read(&path).expect("read"),
            content,
            "the file must be left as it was"
        );
    }

    #[test]
    fn another_applications_database_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("other.db");
        Connection::open(&path)
            .expect("raw")
            .execute_batch("CREATE TABLE songs (title TEXT)")
            .expect("table");
        let error = open(&path).expect_err("foreign schema");
        assert!(error.to_string().contains("another application"), "{error}");
    }

    #[test]
    fn a_migration_of_an_existing_database_keeps_a_copy_of_it_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tokens.db");
        let mut connection = open(&path).expect("create at the current version");
        connection
            .execute_batch("CREATE TABLE IF NOT EXISTS marker (x INTEGER) STRICT; INSERT INTO marker VALUES (42);")
            .expect("some content");
        // A build one step ahead: the same migrations plus one.
        let mut steps = MIGRATIONS.to_vec();
        steps.push("CREATE TABLE probe (x INTEGER) STRICT;");
        let next = steps.len();
        migrate_with(&mut connection, "tokens.db", &steps).expect("migrate one step");

        let copy = dir.path().join(format!("tokens.db.pre-v{next}.bak"));
        let backup = Connection::open(&copy).expect("the pre-migration copy exists");
        let version: i64 = backup
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(
            version, SCHEMA_VERSION,
            "the copy is the database as it was before"
        );
        let marker: i64 = backup
            .query_row("SELECT x FROM marker", [], |r| r.get(0))
            .expect("the copy holds the data");
        assert_eq!(marker, 42);
        let migrated: i64 = connection
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(migrated, next as i64, "the database itself was migrated");
    }

    /// A database file at schema `version` (the first `version` migrations) holding `rows`,
    /// closed, for a migration test to open with everything this build has.
    fn database_at_version(version: usize, rows: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tokens.db");
        let mut connection = Connection::open(&path).expect("raw");
        connection
            .pragma_update(None, "foreign_keys", "ON")
            .expect("fk");
        migrate_with(&mut connection, "tokens.db", &MIGRATIONS[..version]).expect("old schema");
        connection.execute_batch(rows).expect("old schema's rows");
        (dir, path)
    }

    /// Every row of `tables`, each table in the order of its first three columns.
    fn rows_of(connection: &Connection, tables: &[&str]) -> Vec<Vec<rusqlite::types::Value>> {
        let mut rows = Vec::new();
        for table in tables {
            let mut statement = connection
                .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2, 3"))
                .expect("prepare");
            let columns = statement.column_count();
            let found = statement
                .query_map([], |row| (0..columns).map(|index| row.get(index)).collect())
                .expect("query")
                .collect::<rusqlite::Result<Vec<Vec<rusqlite::types::Value>>>>()
                .expect("rows");
            rows.extend(found);
        }
        rows
    }

    /// The first column of every row `sql` returns with `params`.
    fn first_column<T: rusqlite::types::FromSql>(
        connection: &Connection,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Vec<T> {
        connection
            .prepare(sql)
            .expect("prepare")
            .query_map(params, |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
    }

    #[test]
    fn migration_3_keeps_every_number_and_drops_the_rowid() {
        let (_dir, path) = database_at_version(
            2,
            "INSERT INTO tokens (id, name, name_key, digest, hint, created_at)
                 VALUES ('00000000-0000-4000-8000-000000000001', 'Shop', 'shop',
                         zeroblob(32), 'clp_…abcd', 1);
             INSERT INTO numbers VALUES ('+2250701020304', '00000000-0000-4000-8000-000000000001', 'CI', 1, 2);
             INSERT INTO numbers VALUES ('+221771234567', '00000000-0000-4000-8000-000000000001', 'SN', 0, 3);",
        );
        let before = rows_of(&Connection::open(&path).expect("raw"), &["numbers"]);

        let connection = open(&path).expect("migrate to the current schema");
        assert_eq!(
            rows_of(&connection, &["numbers"]),
            before,
            "every number kept, unchanged"
        );
        let sql: String = connection
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE name = 'numbers'",
                [],
                |r| r.get(0),
            )
            .expect("schema");
        assert!(sql.contains("WITHOUT ROWID"), "{sql}");
        let indexes: Vec<String> = first_column(
            &connection,
            "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'numbers' AND sql IS NOT NULL",
            [],
        );
        assert_eq!(indexes, ["numbers_token"]);
        // The constraints came along: a malformed number and a second holder are still refused.
        assert!(connection
            .execute("INSERT INTO numbers VALUES ('2250701', '00000000-0000-4000-8000-000000000001', 'CI', 1, 4)", [])
            .is_err());
        assert!(connection
            .execute("INSERT INTO numbers VALUES ('+2250701020304', '00000000-0000-4000-8000-000000000001', 'CI', 1, 4)", [])
            .is_err());
    }

    #[test]
    fn migration_5_keeps_every_token_and_replaces_four_list_indexes_with_two() {
        let (_dir, path) = database_at_version(
            4,
            "INSERT INTO tokens (id, name, name_key, digest, hint, created_at, expires_at, revoked_at, last_used_at)
                 VALUES ('00000000-0000-4000-8000-000000000001', 'Shop', 'shop', zeroblob(32), 'clp_…abcd', 1, 50, NULL, 7),
                        ('00000000-0000-4000-8000-000000000002', 'Kiosk', 'kiosk', randomblob(32), 'clp_…efgh', 2, 40, 3, NULL),
                        ('00000000-0000-4000-8000-000000000003', 'Depot', 'depot', randomblob(32), 'clp_…ijkl', 3, NULL, NULL, NULL);
             INSERT INTO composition VALUES ('00000000-0000-4000-8000-000000000001', 'CI', 'OM', 'MERCHANT');",
        );
        let before = rows_of(&Connection::open(&path).expect("raw"), &["tokens"]);

        let connection = open(&path).expect("migrate to the current schema");
        assert_eq!(
            rows_of(&connection, &["tokens"]),
            before,
            "every token kept, unchanged"
        );
        let indexes: Vec<String> = first_column(
            &connection,
            "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'tokens' AND sql IS NOT NULL ORDER BY name",
            [],
        );
        assert_eq!(
            indexes,
            [
                "tokens_created",
                "tokens_expires",
                "tokens_last_used",
                "tokens_live_name",
                "tokens_revoked",
                "tokens_search"
            ]
        );
        // The partial index holds the revoked token only; the integrity check finds nothing.
        let revoked: i64 = connection
            .query_row("SELECT count(*) FROM tokens INDEXED BY tokens_revoked WHERE revoked_at IS NOT NULL", [], |r| r.get(0))
            .expect("count");
        assert_eq!(revoked, 1);
        let check: String = connection
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("check");
        assert_eq!(check, "ok");
    }

    #[test]
    fn migration_6_keeps_every_row_and_defers_the_token_foreign_keys_to_the_commit() {
        let (_dir, path) = database_at_version(
            5,
            "INSERT INTO tokens (id, name, name_key, digest, hint, created_at)
                 VALUES ('00000000-0000-4000-8000-000000000001', 'Shop', 'shop', zeroblob(32), 'clp_…abcd', 1);
             INSERT INTO composition VALUES ('00000000-0000-4000-8000-000000000001', 'CI', 'OM', 'MERCHANT'),
                                            ('00000000-0000-4000-8000-000000000001', 'SN', 'WAVE', 'CASHIN');
             INSERT INTO numbers VALUES ('+2250701020304', '00000000-0000-4000-8000-000000000001', 'CI', 1, 2),
                                        ('+221771234567', '00000000-0000-4000-8000-000000000001', 'SN', 0, 3);",
        );
        let tables = ["tokens", "composition", "numbers"];
        let mut raw = Connection::open(&path).expect("raw");
        let before = rows_of(&raw, &tables);
        migrate_with(&mut raw, "tokens.db", &MIGRATIONS[..6]).expect("migrate to schema 6");
        assert_eq!(rows_of(&raw, &tables), before, "every row kept, unchanged");
        drop(raw);

        let mut connection = open(&path).expect("migrate to the current schema");
        let migrated = rows_of(&connection, &tables);
        let names = |kind: &str| -> Vec<String> {
            first_column(
                &connection,
                "SELECT name FROM sqlite_schema WHERE type = ?1 AND tbl_name IN ('composition', 'numbers') AND sql IS NOT NULL ORDER BY name",
                [kind],
            )
        };
        assert_eq!(names("index"), ["numbers_token"]);
        assert_eq!(
            names("trigger"),
            [
                "composition_grants_delete",
                "composition_grants_insert",
                "composition_grants_update",
                "numbers_whitelist_delete",
                "numbers_whitelist_insert",
                "numbers_whitelist_update"
            ]
        );
        // A number for a token that does not exist is refused, at the commit of its transaction.
        let transaction = connection.transaction().expect("begin");
        transaction
            .execute("INSERT INTO numbers VALUES ('+2250709090909', '00000000-0000-4000-8000-00000000000f', 'CI', 1, 4)", [])
            .expect("deferred: accepted until the commit");
        let refused = transaction
            .commit()
            .expect_err("no such token at the commit");
        assert!(refused.to_string().contains("FOREIGN KEY"), "{refused}");
        assert!(connection
            .execute("INSERT INTO composition VALUES ('00000000-0000-4000-8000-00000000000f', 'CI', 'OM', 'CASHIN')", [])
            .is_err());
        assert_eq!(
            rows_of(&connection, &tables),
            migrated,
            "nothing of the refused rows stayed"
        );
        // Rows first, token last: the token's insert computes its copies from them, whatever
        // the insert claimed.
        connection
            .execute_batch(
                "BEGIN;
                 INSERT INTO composition VALUES ('00000000-0000-4000-8000-000000000002', 'ML', 'OM', 'CASHIN');
                 INSERT INTO numbers VALUES ('+22370123456', '00000000-0000-4000-8000-000000000002', 'ML', 1, 5);
                 INSERT INTO tokens (id, name, name_key, digest, hint, created_at, grants, whitelist)
                     VALUES ('00000000-0000-4000-8000-000000000002', 'Depot', 'depot', randomblob(32), 'clp_…wxyz', 5,
                             'CI:OM:MERCHANT', 'CI');
                 COMMIT;",
            )
            .expect("rows, then their token");
        let copies: (String, String) = connection
            .query_row(
                "SELECT grants, whitelist FROM tokens WHERE id = '00000000-0000-4000-8000-000000000002'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("copies");
        // Schema 8's whitelist: the enabled numbers, each after its country.
        assert_eq!(copies, ("ML:OM:CASHIN".into(), "ML+22370123456".into()));
    }

    #[test]
    fn migration_7_leaves_the_id_out_of_the_date_sorts_indexes() {
        let (_dir, path) = database_at_version(
            6,
            "INSERT INTO tokens (id, name, name_key, digest, hint, created_at, expires_at, revoked_at, last_used_at)
                 VALUES ('00000000-0000-4000-8000-000000000001', 'Shop', 'shop', zeroblob(32), 'clp_…abcd', 1, 50, NULL, 7),
                        ('00000000-0000-4000-8000-000000000002', 'Kiosk', 'kiosk', randomblob(32), 'clp_…efgh', 2, 40, 3, NULL);",
        );

        let connection = open(&path).expect("migrate to the current schema");
        let columns = |index: &str| -> Vec<Option<String>> {
            first_column(
                &connection,
                "SELECT name FROM pragma_index_info(?1) ORDER BY seqno",
                [index],
            )
        };
        assert_eq!(columns("tokens_created"), [Some("created_at".to_string())]);
        // The first term is the expression `expires_at IS NULL`, which has no column name.
        assert_eq!(columns("tokens_expires"), [None, Some("expires_at".into())]);
        assert_eq!(
            columns("tokens_last_used"),
            [Some("last_used_at".to_string())]
        );
        assert_eq!(
            columns("tokens_revoked"),
            [Some("expires_at".to_string()), Some("revoked_at".into())]
        );
        let revoked_past_expiry: i64 = connection
            .query_row(
                "SELECT count(*) FROM tokens WHERE revoked_at IS NOT NULL AND expires_at <= 45",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(revoked_past_expiry, 1);
        let check: String = connection
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("check");
        assert_eq!(check, "ok");
    }

    #[test]
    fn migration_8_puts_the_numbers_in_the_whitelist_copy() {
        let (_dir, path) = database_at_version(
            7,
            "BEGIN;
             INSERT INTO composition VALUES ('00000000-0000-4000-8000-000000000001', 'CI', 'OM', 'MERCHANT'),
                                            ('00000000-0000-4000-8000-000000000001', 'SN', 'WAVE', 'CASHIN'),
                                            ('00000000-0000-4000-8000-000000000002', 'CI', 'OM', 'MERCHANT');
             INSERT INTO numbers VALUES ('+2250707070707', '00000000-0000-4000-8000-000000000001', 'CI', 1, 2),
                                        ('+2250101010101', '00000000-0000-4000-8000-000000000001', 'CI', 1, 3),
                                        ('+2250505050505', '00000000-0000-4000-8000-000000000001', 'CI', 0, 4),
                                        ('+221771234567', '00000000-0000-4000-8000-000000000001', 'SN', 1, 5),
                                        ('+2250909090909', '00000000-0000-4000-8000-000000000002', 'CI', 0, 6);
             INSERT INTO tokens (id, name, name_key, digest, hint, created_at)
                 VALUES ('00000000-0000-4000-8000-000000000001', 'Shop', 'shop', zeroblob(32), 'clp_…abcd', 1),
                        ('00000000-0000-4000-8000-000000000002', 'Kiosk', 'kiosk', randomblob(32), 'clp_…efgh', 2);
             INSERT INTO history (token_id, at, kind) VALUES ('00000000-0000-4000-8000-000000000001', 1, 'created'),
                                                             ('00000000-0000-4000-8000-000000000002', 2, 'created');
             COMMIT;",
        );
        let tables = ["tokens", "composition", "numbers"];
        let raw = Connection::open(&path).expect("raw");
        let whitelist_of = |connection: &Connection| -> Vec<Option<String>> {
            first_column(connection, "SELECT whitelist FROM tokens ORDER BY id", [])
        };
        assert_eq!(whitelist_of(&raw), [Some("CI SN".to_string()), None]);
        // Every row but the copy, before and after.
        let without_copy = |connection: &Connection| {
            connection
                .execute_batch("SAVEPOINT look; UPDATE tokens SET whitelist = NULL;")
                .expect("blank the copy");
            let rows = rows_of(connection, &tables);
            connection
                .execute_batch("ROLLBACK TO look; RELEASE look;")
                .expect("restore");
            rows
        };
        let before = without_copy(&raw);
        drop(raw);

        let connection = open(&path).expect("migrate to the current schema");
        assert_eq!(
            whitelist_of(&connection),
            [
                Some(
                    "CI+2250101010101 CI-2250505050505 CI+2250707070707 SN+221771234567"
                        .to_string()
                ),
                Some("CI-2250909090909".to_string())
            ],
            "every number by country then number, '-' in place of the '+' when disabled"
        );
        assert_eq!(without_copy(&connection), before, "every other value kept");
        // The triggers keep the new form.
        connection
            .execute(
                "UPDATE numbers SET enabled = 1 WHERE number = '+2250909090909'",
                [],
            )
            .expect("enable");
        connection
            .execute("DELETE FROM numbers WHERE number = '+2250101010101'", [])
            .expect("delete");
        assert_eq!(
            whitelist_of(&connection),
            [
                Some("CI-2250505050505 CI+2250707070707 SN+221771234567".to_string()),
                Some("CI+2250909090909".to_string())
            ]
        );
        connection
            .execute(
                "DELETE FROM numbers WHERE token_id = '00000000-0000-4000-8000-000000000002'",
                [],
            )
            .expect("delete the last");
        assert_eq!(whitelist_of(&connection)[1], None, "no number, no copy");
        drop(connection);
        assert!(
            check_integrity(&path).expect("check").is_ok(),
            "the copies agree with the tables"
        );
    }

    /// The opcodes SQLite compiles `sql` to (its parameters left unbound).
    fn opcodes(connection: &Connection, sql: &str) -> Vec<String> {
        let mut statement = connection
            .prepare(&format!("EXPLAIN {sql}"))
            .expect("explain");
        let mut rows = statement.raw_query();
        let mut found = Vec::new();
        while let Some(row) = rows.next().expect("row") {
            found.push(row.get(1).expect("opcode"));
        }
        found
    }

    #[test]
    fn migration_9_checks_the_history_kind_without_building_a_table_per_row() {
        let (_dir, path) = database_at_version(
            8,
            "INSERT INTO history (token_id, at, kind, detail) VALUES (NULL, 1, 'denied', '{\"reason\":\"unknown\"}'),
                                                                     (NULL, 2, 'used', '{}');",
        );
        const INSERT: &str = "INSERT INTO history (token_id, at, kind) VALUES (NULL, 3, ?1)";
        let other = Connection::open(&path).expect("a connection open before the migration");
        assert!(
            opcodes(&other, INSERT).contains(&"OpenEphemeral".to_string()),
            "schema 8 builds a table of the kinds at each insert"
        );
        let before = rows_of(&other, &["history"]);

        let connection = open(&path).expect("migrate to the current schema");
        let definition: String = connection
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'history'",
                [],
                |r| r.get(0),
            )
            .expect("definition");
        assert!(
            definition.contains("CHECK (kind = 'used' OR kind = 'denied'")
                && !definition.contains("kind IN"),
            "{definition}"
        );
        assert_eq!(rows_of(&connection, &["history"]), before, "every row kept");
        assert!(!opcodes(&connection, INSERT).contains(&"OpenEphemeral".to_string()));
        // The connection that was open reads the new definition too, from its next statement on
        // (the migration moved the schema's version).
        let count: i64 = other
            .query_row("SELECT count(*) FROM history", [], |r| r.get(0))
            .expect("count");
        assert_eq!(count, 2);
        assert!(!opcodes(&other, INSERT).contains(&"OpenEphemeral".to_string()));
        // The rule is the same: every kind the code writes, and nothing else.
        use crate::history::EventKind;
        for kind in [
            EventKind::Created,
            EventKind::CompositionChanged,
            EventKind::NumberAdded,
            EventKind::NumberDisabled,
            EventKind::NumberEnabled,
            EventKind::NumberRemoved,
            EventKind::NameChanged,
            EventKind::DescriptionChanged,
            EventKind::ExpiryChanged,
            EventKind::Revoked,
            EventKind::Used,
            EventKind::Denied,
        ]
        .map(EventKind::code)
        {
            connection.execute(INSERT, [kind]).expect(kind);
        }
        for kind in ["", "USED", "use", "used ", "bogus"] {
            let refused = connection.execute(INSERT, [kind]).expect_err(kind);
            assert!(
                refused.to_string().contains("CHECK constraint failed"),
                "{refused}"
            );
        }
        let refused = other.execute(INSERT, ["bogus"]).expect_err("bogus");
        assert!(
            refused.to_string().contains("CHECK constraint failed"),
            "{refused}"
        );
        let names: Vec<String> = first_column(
            &connection,
            "SELECT name FROM sqlite_schema WHERE name LIKE 'migration%'",
            [],
        );
        assert!(
            names.is_empty(),
            "the migration's own table is gone: {names:?}"
        );
        let check: String = connection
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("check");
        assert_eq!(check, "ok");
    }

    #[test]
    fn a_new_database_is_created_without_a_pre_migration_copy() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tokens.db");
        drop(open(&path).expect("create"));
        drop(open(&path).expect("reopen at the same version"));
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert!(
            names.iter().all(|name| !name.contains(".pre-v")),
            "nothing to keep when there was no data or no change: {names:?}"
        );
    }

    #[test]
    fn default_path_honours_the_environment_variable() {
        // Only this test touches the variable in this process's unit tests.
        std::env::set_var(DB_ENV, "/tmp/somewhere/tokens.db");
        assert_eq!(
            default_db_path().expect("path"),
            PathBuf::from("/tmp/somewhere/tokens.db")
        );
        std::env::remove_var(DB_ENV);
        let fallback = default_db_path().expect("path");
        assert!(
            fallback.ends_with("app.clapay.tokens/tokens.db"),
            "the app's own data folder: {}",
            fallback.display()
        );
    }
}
