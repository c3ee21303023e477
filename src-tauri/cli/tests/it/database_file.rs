//! The database file: a file that is not SQLite is refused clearly, and CLAPAY_TOKENS_DB works.

use crate::support::{assert_rejected, binary, code, stderr, TestDb};

#[test]
fn a_file_that_is_not_sqlite_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("notes.txt");
    let content = b"shopping list: rice, oil, onions; not a database at all, but long enough to look like one".repeat(20);
    std::fs::write(&path, &content).expect("write");
    let output = assert_cmd::Command::new(binary())
        .env_remove("CLAPAY_TOKENS_DB")
        .args(["--db", path.to_str().expect("utf-8"), "list"])
        .output()
        .expect("run");
    assert_rejected(
        &output,
        "is not a SQLite database",
        "a wrong file is the user's input",
    );
    assert_eq!(
        std::fs::read(&path).expect("read"),
        content,
        "the file is left as it was"
    );
}

#[test]
fn the_environment_variable_selects_the_database() {
    let db = TestDb::new();
    let output = assert_cmd::Command::new(binary())
        .env("CLAPAY_TOKENS_DB", &db.path)
        .args(["create", "--name", "via-env", "--allow", "CI:OM:MERCHANT"])
        .output()
        .expect("run");
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        db.show("via-env")["name"],
        "via-env",
        "the token is in the file CLAPAY_TOKENS_DB named"
    );
}

/// The default database is the desktop app's file, where the README says it is.
#[cfg(target_os = "linux")]
#[test]
fn the_default_database_is_where_the_readme_says() {
    let home = tempfile::tempdir().expect("temp dir");
    let output = assert_cmd::Command::new(binary())
        .env_remove("CLAPAY_TOKENS_DB")
        .env_remove("XDG_DATA_HOME")
        .env("HOME", home.path())
        .args([
            "create",
            "--name",
            "default-db",
            "--allow",
            "CI:OM:MERCHANT",
        ])
        .output()
        .expect("run");
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    crate::support::record_secret(String::from_utf8_lossy(&output.stdout).trim());
    let expected = home.path().join(".local/share/app.clapay.tokens/tokens.db");
    assert!(
        expected.is_file(),
        "the database is at {}",
        expected.display()
    );
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("the CLI's README");
    assert!(
        readme.contains("`~/.local/share/app.clapay.tokens/tokens.db` on Linux"),
        "the README names the folder the CLI uses"
    );
}
