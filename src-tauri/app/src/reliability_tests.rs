//! Command-level tests of the reliability features with the mock runtime: a database that fails
//! its start-up integrity check is open read-only (writes refused with `read_only`, reads served),
//! and backups are taken, listed and restored through the commands.

use std::path::Path;

use clapay_core::{backup, Catalog, Registry};
use serde_json::{json, Value};

#[path = "../../core/tests/it/damage.rs"]
mod damage;

use crate::command_tests::{harness, new_token_request, starting_harness, ScanDir};

/// A real database of 60 tokens at `dir/data/tokens.db`, closed (its WAL folded in).
fn real_database(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("data/tokens.db");
    std::fs::create_dir_all(dir.join("data")).expect("data dir");
    let mut registry = Registry::open(&path, Catalog::embedded()).expect("open");
    for index in 0..60 {
        let mut request: clapay_core::NewToken =
            serde_json::from_value(new_token_request(&format!("shop {index}"))["request"].clone())
                .expect("a valid request");
        request.description = format!("{index} ").repeat(150).chars().take(900).collect();
        registry
            .create_token(&request.clone(), chrono::Utc::now())
            .expect("create");
    }
    drop(registry);
    path
}

/// Damages the index of the name sort (its root page): the integrity check fails, and the list's
/// default pages, the tokens and their details still read.
fn damage_name_index(path: &Path) {
    damage::damage_root_page_of(path, "tokens_by_name");
}

fn assert_read_only(error: &Value, command: &str) {
    assert_eq!(
        error["kind"], "read_only",
        "{command} on a damaged database is refused as read-only: {error}"
    );
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("integrity check")
            && message.contains("read-only")
            && message.contains("restore a backup from Settings")
            && !message.contains('\n'),
        "{command}: the message says why and what to do, on one line: {message}"
    );
}

/// Every write is refused as read-only, and once the app is gone the damaged file is byte for
/// byte as it was, with no backup of it written.
fn refuses_writes_and_keeps_the_file(
    harness: crate::command_tests::Harness,
    writes: impl IntoIterator<Item = (&'static str, Value)>,
    path: &std::path::Path,
    before: &[u8],
) {
    for (command, args) in writes {
        let error = harness
            .invoke(command, args)
            .expect_err("a write on a damaged database fails");
        assert_read_only(&error, command);
    }
    drop(harness);
    assert!(
        std::fs::read(path).expect("read") == before,
        "the damaged file is left byte for byte as it was"
    );
    assert!(
        !clapay_core::backup::backups_dir(path).exists(),
        "no backup of a damaged database is written"
    );
}

fn first_token_id(harness: &crate::command_tests::Harness) -> Option<String> {
    let page = harness
        .invoke(
            "list_tokens",
            json!({ "query": { "status": "all", "search": null, "sort": "created_at",
                               "descending": false, "page": { "kind": "first" }, "limit": 5 } }),
        )
        .ok()?;
    page["items"][0]["id"].as_str().map(str::to_owned)
}

#[test]
fn a_damaged_database_is_open_read_only_writes_are_refused_and_reads_work() {
    let dir = ScanDir::new();
    let path = real_database(dir.path());
    damage_name_index(&path);
    let before = std::fs::read(&path).expect("read");
    let harness = harness(dir.path());

    let info = harness
        .invoke("app_info", json!({}))
        .expect("app_info answers on a damaged database");
    let problem = info["integrity_problem"].as_str().unwrap_or_default();
    assert!(
        !problem.is_empty(),
        "app_info tells the UI what the check found: {info}"
    );
    // Reads: the first page of the list (the damage is in the name sort's index) and one token.
    let id = first_token_id(&harness).expect("the first tokens are still listed");
    let token = harness
        .invoke("get_token", json!({ "id": id }))
        .expect("a token is readable");
    // What matters here is that a damaged database still reads: the token asked for, whole.
    assert_eq!(
        token["id"],
        id.as_str(),
        "get_token reads the token asked for"
    );
    assert!(
        token["name"]
            .as_str()
            .is_some_and(|name| name.starts_with("shop ")),
        "the token reads whole: {token}"
    );
    harness
        .invoke("get_catalog", json!({}))
        .expect("the catalog is readable");
    harness
        .invoke("list_backups", json!({}))
        .expect("the backups can be listed");

    let writes = [
        ("create_token", new_token_request("one more")),
        (
            "update_token",
            json!({ "id": id, "changes": { "name": "renamed" } }),
        ),
        ("revoke_token", json!({ "id": id })),
        (
            "set_composition",
            json!({ "id": id, "composition": [{ "country": "SN", "operator": "WAVE", "method": "MERCHANT" }],
                    "confirmRemoveNumbers": true }),
        ),
        (
            "add_number",
            json!({ "id": id, "country": "CI", "phone": "0707070707" }),
        ),
        (
            "set_number_enabled",
            json!({ "id": id, "number": "+2250707070707", "enabled": false }),
        ),
        (
            "remove_number",
            json!({ "id": id, "number": "+2250707070707" }),
        ),
        (
            "authorize",
            json!({ "request": { "secret": "clp_x", "country": "CI", "operator": "OM",
                                 "method": "MERCHANT", "phone": null } }),
        ),
        ("roll_token", json!({ "id": id, "grace": "24h" })),
        ("end_grace", json!({ "id": id })),
        ("backup_now", json!({})),
    ];
    refuses_writes_and_keeps_the_file(harness, writes, &path, &before);
}

#[test]
fn a_backup_taken_listed_and_restored_brings_a_revoked_token_back() {
    let dir = ScanDir::new();
    let harness = harness(dir.path());
    let created = harness
        .invoke("create_token", new_token_request("Checkout"))
        .expect("created");
    let id = created["token"]["id"].as_str().expect("id").to_owned();

    let taken = harness.invoke("backup_now", json!({})).expect("backed up");
    let path = taken["path"].as_str().expect("a path");
    assert!(
        Path::new(path).is_file() && path.contains("backups"),
        "{taken}"
    );
    assert!(taken["at"].as_str().is_some(), "the time is given: {taken}");
    let listed = harness.invoke("list_backups", json!({})).expect("listed");
    let entries = listed.as_array().expect("a list");
    assert_eq!(entries.len(), 1, "{listed}");
    assert_eq!(entries[0]["file"], taken["file"]);
    assert!(entries[0]["size"].as_u64().unwrap_or(0) > 0, "{listed}");

    let revoked = harness
        .invoke("revoke_token", json!({ "id": id }))
        .expect("revoked");
    assert_eq!(revoked["status"], "REVOKED");

    let restored = harness
        .invoke("restore_backup", json!({ "file": taken["file"] }))
        .expect("restored");
    assert!(
        restored["before_restore"]
            .as_str()
            .is_some_and(|kept| kept.ends_with(".before-restore") && Path::new(kept).is_file()),
        "the replaced database is kept: {restored}"
    );
    let token = harness
        .invoke("get_token", json!({ "id": id }))
        .expect("readable after the restore");
    assert_eq!(
        token["status"], "ACTIVE",
        "the backup's token is active again"
    );
    // The reopened database is writable.
    harness
        .invoke("create_token", new_token_request("After restore"))
        .expect("writes work after a restore");
}

#[test]
fn a_restore_of_a_name_that_is_not_a_backup_is_refused_and_changes_nothing() {
    let dir = ScanDir::new();
    let harness = harness(dir.path());
    harness
        .invoke("create_token", new_token_request("Checkout"))
        .expect("created");
    for file in [
        "../tokens.db",
        "tokens-20260101-000000.db",
        "/etc/passwd",
        "",
        "tokens-2026010-0000000.db",
    ] {
        let error = harness
            .invoke("restore_backup", json!({ "file": file }))
            .expect_err("not a backup");
        assert_eq!(error["kind"], "not_found", "{file:?}: {error}");
    }
    let page = harness
        .invoke(
            "list_tokens",
            json!({ "query": { "status": "all", "search": null, "sort": "created_at",
                               "descending": false, "page": { "kind": "first" }, "limit": 5 } }),
        )
        .expect("the database still works");
    assert_eq!(page["total"], 1);
}

#[test]
fn restoring_a_backup_over_a_damaged_database_makes_it_writable_again() {
    let dir = ScanDir::new();
    let path = real_database(dir.path());
    {
        let registry = Registry::open(&path, Catalog::embedded()).expect("open");
        backup::rotate(
            &clapay_core::backup::backups_dir(&path),
            &registry,
            chrono::Utc::now() - chrono::Duration::hours(3),
            backup::KEEP_BACKUPS,
        )
        .expect("a backup from before the damage");
    }
    damage_name_index(&path);
    let harness = harness(dir.path());
    assert!(harness.invoke("app_info", json!({})).expect("info")["integrity_problem"].is_string());
    let listed = harness.invoke("list_backups", json!({})).expect("listed");
    let file = listed[0]["file"].clone();
    harness
        .invoke("restore_backup", json!({ "file": file }))
        .expect("the sound backup replaces the damaged database");
    let info = harness.invoke("app_info", json!({})).expect("info");
    assert!(
        info["integrity_problem"].is_null(),
        "the restored database passed its check: {info}"
    );
    harness
        .invoke("create_token", new_token_request("After restore"))
        .expect("writes work again");
    assert!(
        Path::new(&format!("{}.before-restore", path.display())).is_file(),
        "the damaged database is kept aside"
    );
}

#[test]
fn the_daily_backup_is_due_without_a_backup_or_after_a_day() {
    use crate::backups::{due_in, BACKUP_INTERVAL};
    let dir = ScanDir::new();
    let backups = dir.path().join("backups");
    let now = chrono::Utc::now();
    assert!(due_in(&backups, now).is_zero(), "no folder: due now");
    std::fs::create_dir_all(&backups).expect("dir");
    let stamp =
        |at: chrono::DateTime<chrono::Utc>| format!("tokens-{}.db", at.format("%Y%m%d-%H%M%S"));
    std::fs::write(backups.join(stamp(now - chrono::Duration::hours(2))), b"x").expect("write");
    let wait = due_in(&backups, now);
    assert!(
        wait > BACKUP_INTERVAL - std::time::Duration::from_secs(2 * 3600 + 5)
            && wait <= BACKUP_INTERVAL - std::time::Duration::from_secs(2 * 3600 - 5),
        "a 2-hour-old backup: the next one in about 22 hours, got {wait:?}"
    );
    std::fs::remove_file(backups.join(stamp(now - chrono::Duration::hours(2)))).expect("rm");
    std::fs::write(backups.join(stamp(now - chrono::Duration::hours(25))), b"x").expect("write");
    assert!(due_in(&backups, now).is_zero(), "a day-old backup: due now");
    // The clock was set back after a backup: one dated in the future is not the newest, so the
    // daily backups go on instead of waiting until that date.
    std::fs::write(backups.join(stamp(now + chrono::Duration::days(30))), b"x").expect("write");
    assert!(
        due_in(&backups, now).is_zero(),
        "a backup dated in the future does not stop the daily ones"
    );
}

/// The writes of the damaged-database test, with arguments that would succeed on a sound one.
fn write_commands(id: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("create_token", new_token_request("one more")),
        (
            "update_token",
            json!({ "id": id, "changes": { "name": "renamed" } }),
        ),
        ("revoke_token", json!({ "id": id })),
        (
            "add_number",
            json!({ "id": id, "country": "CI", "phone": "0707070707" }),
        ),
        ("backup_now", json!({})),
    ]
}

#[test]
fn at_start_a_damaged_database_serves_its_first_page_then_turns_read_only_once_checked() {
    let dir = ScanDir::new();
    let path = real_database(dir.path());
    damage_name_index(&path);
    let before = std::fs::read(&path).expect("read");
    let harness = starting_harness(dir.path());

    // The window's first requests are served before the check, from a read-only connection.
    harness
        .invoke("app_info", json!({}))
        .expect("app_info answers before the check");
    let id = first_token_id(&harness).expect("the first page is listed before the check");
    harness
        .invoke("ui_ready", json!({ "millis": 1.0 }))
        .expect("the first page is reported");
    let problem = harness
        .invoke("integrity_check", json!({}))
        .expect("the check reports");
    assert!(
        problem.as_str().is_some_and(|problem| !problem.is_empty()),
        "integrity_check names what the check found: {problem}"
    );
    let info = harness.invoke("app_info", json!({})).expect("info");
    assert_eq!(
        info["integrity_problem"], problem,
        "app_info tells the same problem once the check reported"
    );
    harness
        .invoke("get_token", json!({ "id": id }))
        .expect("reads still work in read-only mode");
    refuses_writes_and_keeps_the_file(harness, write_commands(&id), &path, &before);
}

#[test]
fn at_start_a_write_made_before_the_check_waits_for_it_and_is_refused_on_broken_rules() {
    let dir = ScanDir::new();
    let path = real_database(dir.path());
    // A hand edit `quick_check` does not see: a number of a token that does not exist.
    let raw = rusqlite::Connection::open(&path).expect("raw");
    raw.execute_batch(
        "PRAGMA foreign_keys = OFF;
         INSERT INTO numbers (number, token_id, country, enabled, added_at)
           VALUES ('+2250707070707', '00000000-0000-0000-0000-000000000000', 'CI', 1, 0);",
    )
    .expect("hand edit");
    drop(raw);
    let harness = starting_harness(dir.path());
    let id = first_token_id(&harness).expect("the first page is listed");
    // No first page is reported: the write itself starts the check and waits for its verdict.
    let error = harness
        .invoke("revoke_token", json!({ "id": id }))
        .expect_err("a write waits for the check and is refused");
    assert_read_only(&error, "revoke_token");
    let problem = harness.invoke("integrity_check", json!({})).expect("check");
    assert!(
        problem
            .as_str()
            .is_some_and(|problem| problem.contains("points at a missing row")),
        "the problem names the row pointing nowhere: {problem}"
    );
    let token = harness
        .invoke("get_token", json!({ "id": id }))
        .expect("readable");
    assert_eq!(
        token["status"], "ACTIVE",
        "the refused revoke changed nothing"
    );
}

#[test]
fn at_start_a_sound_database_becomes_writable_and_keeps_every_acknowledged_write() {
    let dir = ScanDir::new();
    let path = real_database(dir.path());
    let harness = starting_harness(dir.path());
    let id = first_token_id(&harness).expect("the first page is listed");
    let revoked = harness
        .invoke("revoke_token", json!({ "id": id }))
        .expect("a write before the check waits for it, then lands");
    assert_eq!(revoked["status"], "REVOKED");
    assert!(
        harness
            .invoke("integrity_check", json!({}))
            .expect("check")
            .is_null(),
        "a sound database has no problem"
    );
    let created = harness
        .invoke("create_token", new_token_request("After the check"))
        .expect("writes work after the check");
    drop(harness);
    let registry = Registry::open(&path, Catalog::embedded()).expect("reopen");
    let now = chrono::Utc::now();
    assert_eq!(
        registry
            .get_token(&id, now)
            .expect("the revoked token")
            .summary
            .status,
        clapay_core::Status::Revoked,
        "the acknowledged revoke is on disk"
    );
    registry
        .get_token(
            created["token"]["id"].as_str().expect("the new token's id"),
            now,
        )
        .expect("the acknowledged create is on disk");
}

#[test]
fn at_start_a_missing_database_is_created_and_writable() {
    let dir = ScanDir::new();
    let harness = starting_harness(dir.path());
    assert!(
        harness
            .invoke("integrity_check", json!({}))
            .expect("check")
            .is_null(),
        "a new database has no problem"
    );
    harness
        .invoke("create_token", new_token_request("First"))
        .expect("a new database takes writes");
    assert_eq!(
        harness
            .invoke(
                "list_tokens",
                json!({ "query": { "status": "all", "search": null,
            "sort": "created_at", "descending": false, "page": { "kind": "first" }, "limit": 5 } })
            )
            .expect("list")["total"],
        1
    );
}
