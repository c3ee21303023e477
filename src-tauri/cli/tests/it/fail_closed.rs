//! Fail closed, through the binary: disabled numbers never widen a token, history is read a page
//! at a time, and every file the CLI writes is the merchant's alone.

use crate::support::{assert_rejected, code, json, stderr, stdout, TestDb};

const ALLOW: &[&str] = &[
    "--allow",
    "CI:OM:MERCHANT",
    "--allow",
    "SN:WAVE:MERCHANT",
    "--number",
    "CI:0707070707",
    "--number",
    "SN:771234567",
];

#[test]
fn disabling_every_number_of_a_country_pauses_the_token_there() {
    let db = TestDb::new();
    let secret = db.create("shop", ALLOW);
    let output = db.run(&["numbers", "disable", "shop", "0707070707"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        stderr(&output)
            .contains("No number of Côte d'Ivoire can pay with this token until you enable one"),
        "the merchant is told what disabling did: {}",
        stderr(&output)
    );
    for (phone, reason) in [
        (Some("0707070707"), "phone_disabled"),
        (Some("0101010101"), "phone_not_whitelisted"),
        (None, "phone_required"),
    ] {
        let (exit, decision) = db.authorize(&secret, "CI", "OM", "MERCHANT", phone);
        assert_eq!(exit, 3, "denied: {decision}");
        assert_eq!(decision["reason"], reason, "{phone:?}: {decision}");
    }
    let (exit, decision) = db.authorize(&secret, "CI", "OM", "MERCHANT", None);
    assert_eq!(exit, 3);
    assert!(
        decision["message"].as_str().is_some_and(
            |text| text.contains("every whitelisted number of Côte d'Ivoire is disabled")
        ),
        "{decision}"
    );
    let shown = stdout(&db.run(&["show", "shop"]));
    assert!(
        shown.contains("paused: every number is disabled, no number of Côte d'Ivoire can pay"),
        "show says so: {shown}"
    );
    assert!(
        shown.contains("only the enabled whitelisted numbers may pay"),
        "{shown}"
    );

    // Removing the last number lifts the restriction: only when asked for.
    let before = db.dump();
    let output = db.run(&["numbers", "remove", "shop", "+221771234567"]);
    assert_rejected(&output, "--lift-restriction", "the last number of Senegal");
    assert_eq!(db.dump(), before, "a refused removal changes nothing");
    let output = db.run(&[
        "numbers",
        "remove",
        "shop",
        "+221771234567",
        "--lift-restriction",
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let (exit, decision) = db.authorize(&secret, "SN", "WAVE", "MERCHANT", Some("781234567"));
    assert_eq!(
        exit, 0,
        "no number left in Senegal: any phone pays there: {decision}"
    );
}

#[test]
fn history_is_read_a_page_at_a_time_newest_first() {
    let db = TestDb::new();
    let secret = db.create("shop", &["--allow", "CI:OM:MERCHANT"]);
    for _ in 0..5 {
        let (exit, _) = db.authorize(&secret, "CI", "OM", "MERCHANT", None);
        assert_eq!(exit, 0);
    }
    let events = |args: &[&str]| -> Vec<serde_json::Value> {
        let mut all = vec!["--json", "history", "shop"];
        all.extend_from_slice(args);
        let output = db.run(&all);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        json(&output).as_array().expect("events").clone()
    };
    let whole = events(&[]);
    assert_eq!(whole.len(), 6, "created and five checks");
    assert_eq!(whole[5]["kind"], "created", "newest first");
    let first = events(&["--limit", "2"]);
    assert_eq!(first, whole[..2].to_vec());
    let before = first[1]["id"].as_i64().expect("id").to_string();
    let next = events(&["--limit", "2", "--before", &before]);
    assert_eq!(
        next,
        whole[2..4].to_vec(),
        "the page older than the last one seen"
    );
    let table = stdout(&db.run(&["history", "shop", "--limit", "3"]));
    assert_eq!(
        table.lines().count(),
        4,
        "a header and three events: {table}"
    );
    assert!(table.starts_with("EVENT"), "{table}");
}

#[cfg(unix)]
#[test]
fn every_file_the_cli_writes_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &std::path::Path| -> u32 {
        std::fs::metadata(path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let db = TestDb::new();
    db.create("shop", &["--allow", "CI:OM:MERCHANT"]);
    // The WAL and shm go when the last connection closes; while they exist (the core's tests
    // look at them open) they take the database file's mode.
    for suffix in ["", "-wal", "-shm"] {
        let path = std::path::PathBuf::from(format!("{}{suffix}", db.path.display()));
        if suffix.is_empty() || path.exists() {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
    let output = db.run(&["backup"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let rolling = std::path::PathBuf::from(stdout(&output).trim());
    assert_eq!(mode(&rolling), 0o600, "a rolling backup");
    assert_eq!(mode(rolling.parent().expect("folder")), 0o700, "its folder");
    let manual = db.dir.path().join("manual.db");
    let output = db.run(&["backup", "--output", manual.to_str().expect("utf-8")]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(mode(&manual), 0o600, "backup --output");
    let export = db.dir.path().join("export.json");
    let output = db.run(&["export", "--output", export.to_str().expect("utf-8")]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(mode(&export), 0o600, "the export");
    std::fs::set_permissions(&manual, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let output = db.run(&["restore", manual.to_str().expect("utf-8"), "--yes"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        mode(&db.path),
        0o600,
        "a restore writes the live file private, whatever the backup's mode"
    );
    let kept = std::path::PathBuf::from(format!("{}.before-restore", db.path.display()));
    assert_eq!(mode(&kept), 0o600, "the replaced database");
}
