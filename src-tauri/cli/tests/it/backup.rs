//! `backup`, `restore` and `check` through the built binary: a round trip brings the registry back
//! exactly, a refused restore changes nothing, a backup taken while another process writes is
//! sound, and a damaged page is found and reported.

use std::collections::BTreeMap;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::support::{binary, code, json, stderr, stdout, TestDb};

/// The export without its timestamp: equal exports mean the same registry.
fn export(db: &TestDb) -> serde_json::Value {
    let output = db.run(&["export"]);
    assert_eq!(code(&output), 0, "export: {}", stderr(&output));
    let mut document = json(&output);
    document["exported_at"] = serde_json::Value::Null;
    document
}

/// Every file in the folder (not recursing), with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("list")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_file())
        .map(|path| {
            let bytes = std::fs::read(&path).expect("read");
            (path, bytes)
        })
        .collect()
}

fn seeded() -> TestDb {
    let db = TestDb::new();
    db.create(
        "shop-a",
        &[
            "--allow",
            "CI:OM:MERCHANT+CASHIN",
            "--allow",
            "SN:WAVE:*",
            "--number",
            "CI:0707070707",
            "--number",
            "SN:771234567",
        ],
    );
    db.create(
        "shop-b",
        &["--allow", "ML", "--number", "ML:70123456", "--no-expiry"],
    );
    db.create("old", &["--allow", "CI:MTN:CASHOUT"]);
    assert_eq!(code(&db.run(&["revoke", "old"])), 0);
    assert_eq!(
        code(&db.run(&["numbers", "disable", "shop-a", "+2250707070707"])),
        0
    );
    db
}

#[test]
fn backup_then_restore_brings_the_registry_back() {
    let db = seeded();
    let before = export(&db);

    let output = db.run(&["backup"]);
    assert_eq!(code(&output), 0, "backup: {}", stderr(&output));
    let backup = PathBuf::from(stdout(&output).trim());
    assert_eq!(
        backup.parent(),
        Some(db.dir.path().join("tokens.db-backups").as_path()),
        "a rolling backup goes to tokens.db-backups/ beside the database"
    );
    assert!(backup.is_file(), "stdout is the path of the backup");

    // Change everything after the backup.
    db.create("after-backup", &["--allow", "BF"]);
    assert_eq!(code(&db.run(&["revoke", "shop-b"])), 0);
    assert_eq!(
        code(&db.run(&["compose", "shop-a", "--allow", "ML:OM:MERCHANT"])),
        0
    );
    assert_ne!(export(&db), before, "the registry changed after the backup");
    let changed = export(&db);

    let output = db.run(&["restore", backup.to_str().expect("utf-8"), "--yes"]);
    assert_eq!(code(&output), 0, "restore: {}", stderr(&output));
    let kept = db.dir.path().join("tokens.db.before-restore");
    assert!(
        stderr(&output).contains(&format!("kept as {}", kept.display())),
        "restore says where the previous database is: {}",
        stderr(&output)
    );
    assert_eq!(
        export(&db),
        before,
        "the export after restore equals the export at backup time"
    );

    // The previous database is intact beside it, and can itself be restored.
    let output = db.run(&["restore", kept.to_str().expect("utf-8"), "--yes"]);
    assert_eq!(
        code(&output),
        0,
        "restore the kept one: {}",
        stderr(&output)
    );
    assert_eq!(
        export(&db),
        changed,
        "the database kept by restore was the changed one"
    );

    // --output and --json.
    let file = db.dir.path().join("copy.db");
    let output = db.run(&[
        "--json",
        "backup",
        "--output",
        file.to_str().expect("utf-8"),
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(json(&output)["path"], file.display().to_string());
    let output = db.run(&["--json", "restore", file.to_str().expect("utf-8"), "--yes"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(json(&output)["previous"], kept.display().to_string());
    assert_eq!(export(&db), changed, "a --output backup round-trips too");
}

#[test]
fn rolling_backups_keep_the_newest_seven() {
    let db = seeded();
    let folder = db.dir.path().join("tokens.db-backups");
    std::fs::create_dir(&folder).expect("mkdir");
    // Eight older backups (only their names matter to the rotation) and a file of the user's.
    for day in 1..=8 {
        std::fs::write(
            folder.join(format!("tokens-2020010{day}-120000.db")),
            b"old",
        )
        .expect("write");
    }
    std::fs::write(folder.join("notes.txt"), b"mine").expect("write");
    let output = db.run(&["--json", "backup"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["kept"].as_array().map(Vec::len), Some(7));
    assert_eq!(
        report["kept"][0], report["path"],
        "the newest is listed first"
    );
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .expect("list")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    assert_eq!(
        names.len(),
        8,
        "seven backups and the user's file: {names:?}"
    );
    assert!(
        names.contains(&"notes.txt".to_string()),
        "the user's file is kept: {names:?}"
    );
    for gone in ["tokens-20200101-120000.db", "tokens-20200102-120000.db"] {
        assert!(
            !names.contains(&gone.to_string()),
            "the oldest were deleted: {names:?}"
        );
    }
}

#[test]
fn a_refused_restore_leaves_the_database_byte_for_byte_unchanged() {
    let db = seeded();
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let not_sqlite = elsewhere.path().join("notes.db");
    std::fs::write(&not_sqlite, b"not a database at all; ".repeat(200)).expect("write");
    let newer = elsewhere.path().join("newer.db");
    assert_eq!(
        code(&db.run(&["backup", "--output", newer.to_str().expect("utf-8")])),
        0
    );
    rusqlite::Connection::open(&newer)
        .and_then(|connection| connection.pragma_update(None, "user_version", 42))
        .expect("bump user_version");
    let missing = elsewhere.path().join("missing.db");
    let other_app = elsewhere.path().join("other.db");
    rusqlite::Connection::open(&other_app)
        .and_then(|connection| {
            connection.execute_batch("CREATE TABLE notes (text TEXT); PRAGMA user_version = 1;")
        })
        .expect("another application's database");

    let before = files(db.dir.path());
    assert!(
        before.contains_key(&db.path),
        "the database is closed and on disk"
    );
    for (backup, expected) in [
        (&not_sqlite, "is not a SQLite database"),
        (&newer, "newer version of ClaPay Tokens"),
        (&missing, "there is no backup file at this path"),
        (&other_app, "not a ClaPay Tokens database"),
    ] {
        for json_flag in [false, true] {
            let mut args = vec!["restore", backup.to_str().expect("utf-8"), "--yes"];
            if json_flag {
                args.insert(0, "--json");
            }
            let output = db.run(&args);
            let text = stderr(&output);
            assert_eq!(
                code(&output),
                2,
                "{}: exit 2, got: {text}",
                backup.display()
            );
            assert!(
                text.contains(expected),
                "{}: says '{expected}': {text}",
                backup.display()
            );
            assert!(
                text.contains("is unchanged"),
                "says nothing changed: {text}"
            );
            assert_eq!(text.trim_end().lines().count(), 1, "one line: {text}");
            if json_flag {
                let error: serde_json::Value = serde_json::from_str(&text).expect("JSON error");
                assert_eq!(error["error"]["kind"], "storage");
            } else {
                assert!(text.starts_with("error: "), "{text}");
            }
            assert_eq!(
                files(db.dir.path()),
                before,
                "{}: nothing changed in the folder",
                backup.display()
            );
        }
    }

    // Without --yes and without a terminal: refused before anything is read.
    let output = db.run(&["restore", newer.to_str().expect("utf-8")]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("--yes") && stderr(&output).contains("close the desktop app"),
        "{}",
        stderr(&output)
    );
    assert_eq!(files(db.dir.path()), before);
}

#[test]
fn a_backup_taken_while_another_process_writes_is_sound() {
    let db = TestDb::new();
    db.create("first", &["--allow", "CI:OM:MERCHANT"]);
    let writer = Command::new("sh")
        .arg("-c")
        .arg("for i in $(seq 1 40); do \"$0\" --db \"$1\" create --name w-$i --allow CI:OM:MERCHANT+CASHIN --allow SN >/dev/null || exit 1; \"$0\" --db \"$1\" revoke w-$i >/dev/null 2>&1; done")
        .arg(binary())
        .arg(&db.path)
        .env_remove("CLAPAY_TOKENS_DB")
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the writer");
    let mut backups = Vec::new();
    for index in 0..8 {
        let path = db.dir.path().join(format!("live-{index}.db"));
        let output = db.run(&["backup", "--output", path.to_str().expect("utf-8")]);
        assert_eq!(
            code(&output),
            0,
            "backup while writing: {}",
            stderr(&output)
        );
        backups.push(path);
        std::thread::sleep(std::time::Duration::from_millis(150));
    }
    let output = writer.wait_with_output().expect("wait");
    assert!(
        output.status.success(),
        "the writer never failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut token_counts = Vec::new();
    for path in &backups {
        let connection =
            rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .expect("open the backup");
        let check: String = connection
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .expect("integrity_check");
        assert_eq!(check, "ok", "{} passes integrity_check", path.display());
        let orphans: i64 = connection
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
                row.get(0)
            })
            .expect("foreign_key_check");
        assert_eq!(orphans, 0);
        // A snapshot: every token has its created event and its full composition.
        let (tokens, created, short): (i64, i64, i64) = connection
            .query_row(
                "SELECT (SELECT count(*) FROM tokens),
                        (SELECT count(*) FROM history WHERE kind = 'created'),
                        (SELECT count(*) FROM tokens t WHERE t.name LIKE 'w-%' AND
                            (SELECT count(*) FROM composition c WHERE c.token_id = t.id) <> 8)",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .expect("counts");
        assert_eq!(tokens, created, "one created event per token");
        assert_eq!(short, 0, "no token with half its composition");
        let report = clapay_check(path);
        assert!(report.0 == 0, "check passes on the backup: {}", report.1);
        token_counts.push(tokens);
    }
    assert!(
        token_counts.first() < token_counts.last(),
        "the backups were taken while tokens were being created: {token_counts:?}"
    );
}

/// `check` on a file: (exit code, stdout + stderr).
fn clapay_check(path: &Path) -> (i32, String) {
    let output = assert_cmd::Command::new(binary())
        .env_remove("CLAPAY_TOKENS_DB")
        .arg("--db")
        .arg(path)
        .arg("check")
        .output()
        .expect("run check");
    (
        code(&output),
        format!("{}{}", stdout(&output), stderr(&output)),
    )
}

#[test]
fn check_finds_a_damaged_page_and_advises_a_restore() {
    let db = TestDb::new();
    let description = "lorem ipsum dolor sit amet ".repeat(37);
    for index in 0..25 {
        db.create(
            &format!("shop-{index}"),
            &["--allow", "CI", "--description", description.trim()],
        );
    }
    assert_eq!(code(&db.run(&["backup"])), 0, "a rolling backup to advise");
    let (status, text) = clapay_check(&db.path);
    assert_eq!(status, 0, "a sound database: {text}");
    assert!(text.contains("is sound"), "{text}");

    let bytes = std::fs::read(&db.path).expect("read");
    let page_size = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    let pages = bytes.len() / page_size;
    assert!(
        pages >= 8,
        "{pages} pages: enough to damage one in the middle"
    );
    let garbage: Vec<u8> = (0..page_size)
        .map(|i| (i * 151 % 251) as u8 ^ 0x5a)
        .collect();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(&db.path)
        .expect("open");
    file.seek(SeekFrom::Start(((pages / 2) * page_size) as u64))
        .expect("seek");
    file.write_all(&garbage).expect("garbage");
    file.sync_all().expect("sync");
    drop(file);

    let output = db.run(&["check"]);
    let (out, err) = (stdout(&output), stderr(&output));
    assert_eq!(code(&output), 1, "damaged: exit 1; {out}{err}");
    assert!(
        out.contains("has problems:") && out.lines().count() >= 2,
        "says what is wrong: {out}"
    );
    assert!(
        err.starts_with("error: ")
            && err.contains("restore a backup")
            && err.contains("tokens.db-backups/tokens-"),
        "advises the newest backup: {err}"
    );
    assert!(
        !err.contains("panicked") && !out.contains("Error {"),
        "{out}{err}"
    );

    let output = db.run(&["--json", "check"]);
    assert_eq!(code(&output), 1);
    let report = json(&output);
    assert_eq!(report["ok"], false);
    assert!(
        !report["storage"].as_array().expect("storage").is_empty(),
        "{report}"
    );
    assert!(report["latest_backup"]
        .as_str()
        .is_some_and(|path| path.contains("tokens.db-backups/tokens-")));

    // The normal commands refuse the damaged file, with the same advice.
    let output = db.run(&["list"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("restore a backup"),
        "{}",
        stderr(&output)
    );
}
