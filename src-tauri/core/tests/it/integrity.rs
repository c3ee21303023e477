//! Startup integrity: a deliberately damaged copy of a real database is reported in words, refused
//! by the normal open, and still readable through the read-only open.

use std::path::{Path, PathBuf};

use clapay_core::db;
use clapay_core::{Catalog, Registry};
use rusqlite::Connection;

use crate::damage::damage_middle_page;
use crate::support::{new_token, now};

/// A real database with enough tokens to span many pages, closed (so its WAL is folded in).
fn real_database(dir: &Path) -> PathBuf {
    let path = dir.join("tokens.db");
    let mut registry = Registry::open(&path, Catalog::embedded()).expect("open");
    for index in 0..60 {
        let mut request = new_token(&format!("shop {index}"));
        request.description = format!("{index} ")
            .repeat(150)
            .trim()
            .chars()
            .take(900)
            .collect();
        registry.create_token(&request, now()).expect("create");
    }
    drop(registry);
    path
}

#[test]
fn a_sound_database_passes_the_startup_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = real_database(dir.path());
    let report = db::check_integrity(&path).expect("check");
    assert!(report.is_ok(), "{report}");
    assert!(report.to_string().contains("is sound"), "{report}");
}

#[test]
fn a_page_of_garbage_is_reported_refused_and_still_readable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let original = real_database(dir.path());
    let damaged = dir.path().join("damaged.db");
    std::fs::copy(&original, &damaged).expect("copy");
    let pages = damage_middle_page(&damaged);
    assert!(
        pages >= 8,
        "the database spans {pages} pages; enough to damage one in the middle"
    );

    let report = db::check_integrity(&damaged).expect("a damaged file is reported, not an error");
    assert!(!report.is_ok(), "the damage must be found");
    assert!(
        !report.storage.is_empty(),
        "quick_check names the damage: {report}"
    );
    let text = report.to_string();
    assert!(
        text.contains("has problems") && text.contains("damaged.db"),
        "{text}"
    );

    let error = db::open(&damaged).expect_err("the normal open refuses a damaged file");
    assert_eq!(error.kind(), "storage");
    assert!(
        error.to_string().contains("restore a backup"),
        "the message says what to do: {error}"
    );

    // The app's open leaves the whole-file check to the check it runs right after (and refuses
    // writes until then): the open itself succeeds, and that check finds the damage.
    let opened = db::open_check_later(&damaged).expect("the app's open defers the check");
    drop(opened);
    assert!(
        !db::check_integrity(&damaged).expect("report").is_ok(),
        "the check the app runs next finds the damage"
    );

    let read_only = db::open_read_only(&damaged).expect("read-only open of a damaged file");
    let version: i64 = read_only
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("the header is readable");
    assert_eq!(version, db::SCHEMA_VERSION);
    assert!(
        read_only.execute_batch("CREATE TABLE x (y)").is_err(),
        "the read-only connection cannot write"
    );
    assert!(
        db::check_integrity(&original).expect("check").is_ok(),
        "the original is sound"
    );
}

#[test]
fn rows_pointing_nowhere_and_broken_rules_are_reported_in_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.db");
    drop(Registry::open(&path, Catalog::embedded()).expect("create"));
    let raw = Connection::open(&path).expect("raw");
    // A hand edit with foreign keys off: a number of a token that does not exist, and a token with
    // no composition and no created event.
    raw.execute_batch(
        "PRAGMA foreign_keys = OFF;
         INSERT INTO numbers (number, token_id, country, enabled, added_at)
           VALUES ('+2250707070707', '00000000-0000-0000-0000-000000000000', 'CI', 1, 0);
         INSERT INTO tokens (id, name, name_key, environment, digest, hint, created_at)
           VALUES ('11111111-1111-1111-1111-111111111111', 'bare', 'bare', 'live', zeroblob(32),
                   'clp_live_…abcd', 0);",
    )
    .expect("hand edit");
    drop(raw);

    let report = db::check_integrity(&path).expect("check");
    assert!(
        report.storage.is_empty(),
        "the file itself is sound: {report}"
    );
    assert_eq!(report.foreign_keys.len(), 1, "{report}");
    assert!(
        report.foreign_keys[0].contains("numbers") && report.foreign_keys[0].contains("tokens")
    );
    let text = report.to_string();
    assert!(text.contains("has no composition"), "{text}");
    assert!(text.contains("no created event"), "{text}");
    assert!(
        text.contains("not in the composition"),
        "the orphan number's country is in no composition: {text}"
    );
}

#[test]
fn the_read_only_open_refuses_what_is_not_a_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("notes.db");
    std::fs::write(&path, b"plain text, not a database at all....".repeat(50)).expect("write");
    let error = db::open_read_only(&path).expect_err("not a database");
    assert!(
        error.to_string().contains("not a SQLite database"),
        "{error}"
    );
    let missing = db::open_read_only(&dir.path().join("missing.db")).expect_err("missing");
    assert!(
        missing.to_string().contains("no database file"),
        "{missing}"
    );
}

#[test]
fn a_read_only_registry_lists_what_is_left_and_refuses_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = real_database(dir.path());
    let before = std::fs::read(&path).expect("read");
    let mut registry = Registry::open_read_only(&path, Catalog::embedded()).expect("open");
    let page = registry
        .list_tokens(&clapay_core::ListQuery::default(), now())
        .expect("a read-only registry lists tokens");
    assert_eq!(page.total, 60, "every token of the file is readable");
    let refused = registry.create_token(&new_token("one more"), now());
    assert!(
        matches!(refused, Err(clapay_core::Error::Storage(_))),
        "a write through a read-only registry fails: {:?}",
        refused.map(|created| created.token.summary.id)
    );
    drop(registry);
    assert_eq!(
        std::fs::read(&path).expect("read"),
        before,
        "the file is byte for byte unchanged"
    );
}
