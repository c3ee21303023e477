//! Backups, restore and rolling backups: consistent copies under concurrent writes, a restore that
//! refuses what it cannot trust and leaves the target untouched, and a rotation that keeps seven.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clapay_core::backup::{list_backups, rotate, KEEP_BACKUPS};
use clapay_core::db::{self, SCHEMA_VERSION};
use clapay_core::{Catalog, Error, ListQuery, Registry, StatusFilter};
use rusqlite::Connection;

use crate::support::{new_token, now};

fn token_names(registry: &Registry) -> Vec<String> {
    let query = ListQuery {
        status: StatusFilter::All,
        limit: 500,
        ..ListQuery::default()
    };
    let mut names: Vec<String> = registry
        .list_tokens(&query, now())
        .expect("list")
        .items
        .into_iter()
        .map(|token| token.name)
        .collect();
    names.sort();
    names
}

fn count(connection: &Connection, sql: &str) -> i64 {
    connection.query_row(sql, [], |row| row.get(0)).expect(sql)
}

#[test]
fn a_backup_taken_while_another_connection_writes_is_a_consistent_snapshot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.db");
    let mut registry = Registry::open(&path, Catalog::embedded()).expect("open");
    for index in 0..5 {
        registry
            .create_token(&new_token(&format!("before {index}")), now())
            .expect("create");
    }

    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (path, stop, written) = (path.clone(), stop.clone(), written.clone());
        std::thread::spawn(move || {
            let mut other = Registry::open(&path, Catalog::embedded()).expect("second connection");
            let mut index = 0;
            while !stop.load(Ordering::Relaxed) {
                let created = other
                    .create_token(&new_token(&format!("during {index}")), now())
                    .expect("the writer is never blocked for long by a backup");
                if index % 3 == 0 {
                    other
                        .revoke_token(&created.token.summary.id, now())
                        .expect("revoke");
                }
                index += 1;
                written.store(index, Ordering::Relaxed);
            }
        })
    };

    let mut backups = 0;
    while backups < 5 || written.load(Ordering::Relaxed) < 20 {
        let dest = dir.path().join(format!("backup-{backups}.db"));
        registry.backup_to(&dest).expect("backup during writes");
        backups += 1;
        std::thread::sleep(Duration::from_millis(5));
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("writer thread");

    for index in 0..backups {
        let dest = dir.path().join(format!("backup-{index}.db"));
        let report = db::check_integrity(&dest).expect("check");
        assert!(report.is_ok(), "backup {index} must be sound: {report}");
        let copy = Connection::open(&dest).expect("open copy");
        let check: String = copy
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .expect("integrity_check");
        assert_eq!(check, "ok", "backup {index}: integrity_check");
        let tokens = count(&copy, "SELECT count(*) FROM tokens");
        assert!(
            tokens >= 5,
            "backup {index} has the tokens written before it"
        );
        // A snapshot: every token's transaction is wholly in (token, 2 triples, created event) and
        // every revocation with its event, or wholly out.
        assert_eq!(
            count(&copy, "SELECT count(*) FROM history WHERE kind = 'created'"),
            tokens,
            "backup {index}: one created event per token, no more, no less"
        );
        assert_eq!(
            count(&copy, "SELECT count(*) FROM composition"),
            2 * tokens,
            "backup {index}: each token with its whole composition"
        );
        assert_eq!(
            count(&copy, "SELECT count(*) FROM history WHERE kind = 'revoked'"),
            count(
                &copy,
                "SELECT count(*) FROM tokens WHERE revoked_at IS NOT NULL"
            ),
            "backup {index}: each revocation with its event"
        );
        assert!(
            !Path::new(&format!("{}-wal", dest.display())).exists()
                || std::fs::metadata(format!("{}-wal", dest.display()))
                    .map(|m| m.len())
                    .unwrap_or(0)
                    == 0,
            "a backup is a single self-contained file"
        );
    }
    // The copy is a database the app can open as it is.
    let last = dir.path().join(format!("backup-{}.db", backups - 1));
    let reopened = Registry::open(&last, Catalog::embedded()).expect("a backup opens");
    assert!(token_names(&reopened).contains(&"before 0".to_string()));
}

#[test]
fn restore_replaces_the_database_and_keeps_the_replaced_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.db");
    let backup = dir.path().join("saved.db");
    let mut registry = Registry::open(&path, Catalog::embedded()).expect("open");
    registry
        .create_token(&new_token("kept"), now())
        .expect("create");
    registry.backup_to(&backup).expect("backup");
    registry
        .create_token(&new_token("after the backup"), now())
        .expect("create");
    drop(registry);

    db::restore(&backup, &path).expect("restore");

    let restored = Registry::open(&path, Catalog::embedded()).expect("open restored");
    assert_eq!(
        token_names(&restored),
        ["kept"],
        "the database is the backup's"
    );
    let before = dir.path().join("tokens.db.before-restore");
    let previous = Registry::open(&before, Catalog::embedded()).expect("the replaced file is kept");
    assert_eq!(
        token_names(&previous),
        ["after the backup", "kept"],
        "nothing written after the backup is lost for good"
    );
}

/// The target's files, to prove a refused restore touched nothing.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("list")
        .map(|entry| {
            let entry = entry.expect("entry");
            (
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).expect("read"),
            )
        })
        .collect();
    files.sort();
    files
}

fn target_with_one_token(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("tokens.db");
    let mut registry = Registry::open(&path, Catalog::embedded()).expect("open");
    registry
        .create_token(&new_token("precious"), now())
        .expect("create");
    path
}

#[test]
fn restore_refuses_a_file_that_is_not_sqlite_and_leaves_the_target_untouched() {
    let target_dir = tempfile::tempdir().expect("tempdir");
    let other_dir = tempfile::tempdir().expect("tempdir");
    let path = target_with_one_token(target_dir.path());
    let bogus = other_dir.path().join("backup.db");
    std::fs::write(
        &bogus,
        b"not a database, just some bytes a merchant picked by mistake".repeat(40),
    )
    .expect("write");
    let before = snapshot(target_dir.path());

    let error = db::restore(&bogus, &path).expect_err("a non-SQLite file must be refused");
    assert!(matches!(error, Error::BadDatabase { .. }), "{error:?}");
    assert!(
        error.to_string().contains("not a SQLite database"),
        "{error}"
    );
    assert!(
        error.to_string().contains("backup.db"),
        "names the file: {error}"
    );
    assert_eq!(
        snapshot(target_dir.path()),
        before,
        "the target is untouched"
    );
}

#[test]
fn restore_refuses_a_backup_of_a_newer_schema_and_leaves_the_target_untouched() {
    let target_dir = tempfile::tempdir().expect("tempdir");
    let other_dir = tempfile::tempdir().expect("tempdir");
    let path = target_with_one_token(target_dir.path());
    let newer = other_dir.path().join("newer.db");
    Registry::open(&other_dir.path().join("source.db"), Catalog::embedded())
        .expect("create")
        .backup_to(&newer)
        .expect("backup");
    Connection::open(&newer)
        .expect("raw")
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .expect("bump");
    let before = snapshot(target_dir.path());

    let error = db::restore(&newer, &path).expect_err("a newer schema must be refused");
    assert!(
        matches!(error, Error::SchemaTooNew { found, .. } if found == SCHEMA_VERSION + 1),
        "{error:?}"
    );
    assert!(error.to_string().contains("newer version"), "{error}");
    assert_eq!(
        snapshot(target_dir.path()),
        before,
        "the target is untouched"
    );
}

#[test]
fn restore_refuses_another_applications_database() {
    let target_dir = tempfile::tempdir().expect("tempdir");
    let other_dir = tempfile::tempdir().expect("tempdir");
    let path = target_with_one_token(target_dir.path());
    let songs = other_dir.path().join("songs.db");
    Connection::open(&songs)
        .expect("raw")
        .execute_batch("CREATE TABLE songs (title TEXT); INSERT INTO songs VALUES ('x');")
        .expect("table");
    let before = snapshot(target_dir.path());
    let error = db::restore(&songs, &path).expect_err("not ours");
    assert!(
        error.to_string().contains("not a ClaPay Tokens database"),
        "{error}"
    );
    assert_eq!(
        snapshot(target_dir.path()),
        before,
        "the target is untouched"
    );
}

#[test]
fn rotation_keeps_the_seven_newest_backups_and_nothing_else_is_touched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let backups = dir.path().join("backups");
    let mut registry =
        Registry::open(&dir.path().join("tokens.db"), Catalog::embedded()).expect("open");
    registry
        .create_token(&new_token("rotated"), now())
        .expect("create");
    std::fs::create_dir_all(&backups).expect("dir");
    std::fs::write(backups.join("notes.db"), b"mine").expect("unrelated file");

    let mut written = Vec::new();
    for hour in 0..10 {
        let at = now() + chrono::Duration::hours(hour);
        written.push(rotate(&backups, &registry, at, KEEP_BACKUPS).expect("rotate"));
    }
    let mut kept = list_backups(&backups).expect("list");
    kept.sort();
    assert_eq!(kept.len(), 7, "seven rolling backups are kept");
    assert_eq!(kept, written[3..], "the newest seven, the oldest deleted");
    assert_eq!(
        kept[0].file_name().and_then(|n| n.to_str()),
        Some("tokens-20261128-130000.db"),
        "named by their UTC time"
    );
    assert!(
        backups.join("notes.db").exists(),
        "files that are not rolling backups stay"
    );
    let newest = Registry::open(&kept[6], Catalog::embedded()).expect("a rolling backup opens");
    assert_eq!(token_names(&newest), ["rotated"]);
}
