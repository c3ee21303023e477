//! Opening a database file: the pragmas of every connection, the migration runner, and the files
//! it refuses (newer, pre-release, foreign, or with a schema that is not exactly ours).

use std::path::{Path, PathBuf};

use clapay_core::db::{self, migrate_with, APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION};
use clapay_core::{Catalog, Registry};
use rusqlite::Connection;

use crate::support::{new_token, now, record_secret};

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

fn user_version(path: &Path) -> i64 {
    Connection::open(path)
        .expect("raw")
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version")
}

#[test]
fn every_opened_connection_has_the_durability_and_trust_settings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.db");
    for _ in 0..2 {
        // First open creates and migrates; second open reuses: both must set the pragmas.
        let connection = db::open(&path).expect("open");
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
            pragma(&connection, "trusted_schema"),
            "0",
            "the schema runs no function of its own"
        );
        assert_eq!(
            pragma(&connection, "user_version"),
            SCHEMA_VERSION.to_string()
        );
        assert_eq!(
            pragma(&connection, "application_id"),
            APPLICATION_ID.to_string()
        );
        // Defensive mode: the schema cannot be edited in place, even by asking.
        connection
            .execute_batch("PRAGMA writable_schema = ON")
            .expect("the pragma itself is accepted");
        assert!(
            connection
                .execute(
                    "UPDATE sqlite_schema SET sql = sql WHERE name = 'tokens'",
                    []
                )
                .is_err(),
            "defensive mode refuses writes to sqlite_schema"
        );
    }
}

#[test]
fn a_new_database_has_strict_tables_and_no_pre_migration_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.db");
    std::fs::write(&path, b"").expect("an empty file is a new database");
    drop(db::open(&path).expect("create"));
    let connection = db::open(&path).expect("reopen at the same version");
    let strict: i64 = connection
        .query_row(
            "SELECT count(*) FROM pragma_table_list
             WHERE name IN ('tokens', 'composition', 'numbers', 'history') AND strict = 1",
            [],
            |r| r.get(0),
        )
        .expect("table list");
    assert_eq!(strict, 4, "all domain tables are STRICT");
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
fn a_newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("newer.db");
    drop(db::open(&path).expect("create"));
    Connection::open(&path)
        .expect("raw")
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .expect("bump");
    let error = db::open(&path).expect_err("a newer schema must be refused");
    assert!(
        matches!(error, clapay_core::Error::SchemaTooNew { found, .. } if found == SCHEMA_VERSION + 1)
    );
    assert!(error.to_string().contains("newer version"), "{error}");
    assert_eq!(
        user_version(&path),
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
    let error = db::open(&path).expect_err("not a database");
    assert!(
        error.to_string().contains("not a SQLite database"),
        "{error}"
    );
    assert!(
        std::fs::read(&path).expect("read") == content,
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
    let error = db::open(&path).expect_err("foreign schema");
    assert!(error.to_string().contains("another application"), "{error}");
}

/// A file made by a pre-release build (user_version 1 to 9, no application id) is refused with
/// what to do, not migrated, and left as it was.
#[test]
fn a_pre_release_database_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.db");
    Connection::open(&path)
        .expect("raw")
        .execute_batch(
            "CREATE TABLE tokens (id TEXT PRIMARY KEY, name TEXT, grants TEXT, whitelist TEXT);
             INSERT INTO tokens VALUES ('t1', 'shop', 'CI:OM:MERCHANT', NULL);
             PRAGMA user_version = 9;",
        )
        .expect("a schema-9 file");
    let before = std::fs::read(&path).expect("read");
    let error = db::open(&path).expect_err("pre-release");
    assert_eq!(error.kind(), "storage");
    let text = error.to_string();
    assert!(
        text.contains("pre-release build") && text.contains("export it with that build"),
        "{text}"
    );
    assert!(
        std::fs::read(&path).expect("read") == before,
        "the file is not touched"
    );
    assert_eq!(user_version(&path), 9);
}

/// What a file could carry to change what every write does: a trigger or a view of its own, or
/// an object of ours altered. Each is refused by name, at open and at restore.
#[test]
fn a_planted_or_altered_schema_object_is_refused_by_name() {
    let cases = [
        (
            "CREATE TRIGGER copy_numbers AFTER INSERT ON numbers BEGIN SELECT 1; END",
            "trigger 'copy_numbers' is not part of the ClaPay Tokens schema",
        ),
        (
            "CREATE VIEW everything AS SELECT * FROM tokens",
            "view 'everything' is not part of the ClaPay Tokens schema",
        ),
        (
            "DROP TRIGGER revocation_is_final;
             CREATE TRIGGER revocation_is_final BEFORE UPDATE OF revoked_at ON tokens BEGIN SELECT 1; END",
            "trigger 'revocation_is_final' was altered",
        ),
        ("DROP INDEX tokens_by_name", "index 'tokens_by_name' is missing"),
    ];
    for (edit, expected) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tokens.db");
        drop(db::open(&path).expect("create"));
        Connection::open(&path)
            .expect("raw")
            .execute_batch(edit)
            .expect("hand edit");
        let error = db::open(&path).expect_err(expected);
        assert!(error.to_string().contains(expected), "{error}");
        assert!(
            error
                .to_string()
                .contains("made by ClaPay Tokens on your own machine"),
            "the message says what to trust: {error}"
        );

        let target = dir.path().join("live.db");
        let mut live = Registry::open(&target, Catalog::embedded()).expect("live");
        let kept = live
            .create_token(&new_token("kept"), now())
            .expect("create");
        record_secret(&kept.secret);
        drop(live);
        let before = std::fs::read(&target).expect("read");
        let refused = db::restore(&path, &target).expect_err("restore refuses it too");
        assert!(refused.to_string().contains(expected), "{refused}");
        assert!(
            std::fs::read(&target).expect("read") == before,
            "the live file is untouched"
        );
    }
}

/// The runner keeps a copy of an existing database before a migration changes it, and applies
/// the new steps in one transaction.
#[test]
fn a_migration_of_an_existing_database_keeps_a_copy_of_it_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.db");
    let mut registry =
        Registry::open(&path, Catalog::embedded()).expect("create at the current version");
    let created = registry
        .create_token(&new_token("kept"), now())
        .expect("create");
    record_secret(&created.secret);
    drop(registry);
    // A build one step ahead: the same migrations plus one.
    let mut steps = MIGRATIONS.to_vec();
    steps.push("CREATE TABLE probe (x INTEGER) STRICT;");
    let next = steps.len();
    let mut connection = Connection::open(&path).expect("raw");
    migrate_with(&mut connection, "tokens.db", &steps).expect("migrate one step");

    let copy = dir.path().join(format!("tokens.db.pre-v{next}.bak"));
    let backup = Connection::open(&copy).expect("the pre-migration copy exists");
    assert_eq!(
        backup
            .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .expect("version"),
        SCHEMA_VERSION,
        "the copy is the database as it was before"
    );
    let name: String = backup
        .query_row("SELECT name FROM tokens", [], |r| r.get(0))
        .expect("the copy holds the data");
    assert_eq!(name, "kept");
    assert_eq!(
        user_version(&path),
        next as i64,
        "the database itself was migrated"
    );
}

/// A failing step leaves the file at its old version with its rows: the steps run in one
/// transaction.
#[test]
fn a_failing_migration_changes_nothing() {
    let (_dir, path) = database_with_a_token();
    let mut steps = MIGRATIONS.to_vec();
    steps.push("CREATE TABLE probe (x INTEGER) STRICT; INSERT INTO no_such_table VALUES (1);");
    let mut connection = Connection::open(&path).expect("raw");
    assert!(migrate_with(&mut connection, "tokens.db", &steps).is_err());
    drop(connection);
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    let probe: i64 = Connection::open(&path)
        .expect("raw")
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'probe'",
            [],
            |r| r.get(0),
        )
        .expect("schema");
    assert_eq!(
        probe, 0,
        "the first step of the failed migration is rolled back too"
    );
    Registry::open(&path, Catalog::embedded()).expect("the file still opens");
}

/// The pattern for the next migration's test: a database at the previous version holding rows,
/// opened with every migration this build has, keeps them. With one migration it checks that a
/// database at the baseline opens as it is.
#[test]
fn rows_survive_an_upgrade_from_the_previous_version() {
    let (_dir, path) = database_with_a_token();
    let before = rows_of(&path, &["tokens", "composition", "numbers", "history"]);
    let registry = Registry::open(&path, Catalog::embedded()).expect("open and migrate");
    assert_eq!(registry.schema_version().expect("version"), SCHEMA_VERSION);
    drop(registry);
    assert_eq!(
        rows_of(&path, &["tokens", "composition", "numbers", "history"]),
        before,
        "every row kept, unchanged"
    );
}

#[test]
fn default_path_honours_the_environment_variable() {
    // Only this test touches the variable in this test binary.
    std::env::set_var(db::DB_ENV, "/tmp/somewhere/tokens.db");
    assert_eq!(
        db::default_db_path().expect("path"),
        PathBuf::from("/tmp/somewhere/tokens.db")
    );
    std::env::remove_var(db::DB_ENV);
    let fallback = db::default_db_path().expect("path");
    assert!(
        fallback.ends_with("app.clapay.tokens/tokens.db"),
        "the app's own data folder: {}",
        fallback.display()
    );
}

/// A database file at the schema before the newest (the first `SCHEMA_VERSION - 1` migrations,
/// or the baseline while there is only one) holding a token, closed.
fn database_with_a_token() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.db");
    let previous = (MIGRATIONS.len() - 1).max(1);
    let mut connection = Connection::open(&path).expect("raw");
    migrate_with(&mut connection, "tokens.db", &MIGRATIONS[..previous]).expect("old schema");
    connection
        .execute_batch(
            "INSERT INTO tokens (id, name, name_key, environment, digest, hint, created_at)
                 VALUES ('00000000-0000-4000-8000-000000000001', 'Shop', 'shop', 'live',
                         zeroblob(32), 'clp_live_…abcd', 1);
             INSERT INTO composition VALUES ('00000000-0000-4000-8000-000000000001', 'CI', 'OM', 'MERCHANT');
             INSERT INTO numbers VALUES ('+2250701020304', '00000000-0000-4000-8000-000000000001', 'CI', 1, 2);
             INSERT INTO history (token_id, at, kind) VALUES ('00000000-0000-4000-8000-000000000001', 1, 'created');",
        )
        .expect("rows");
    (dir, path)
}

/// Every row of `tables`, each table in the order of its first column.
fn rows_of(path: &Path, tables: &[&str]) -> Vec<Vec<rusqlite::types::Value>> {
    let connection = Connection::open(path).expect("raw");
    let mut rows = Vec::new();
    for table in tables {
        let mut statement = connection
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1"))
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
