//! Shared helpers: a temporary database, running the binary, and reading the database raw.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use rusqlite::types::Value;
use tempfile::TempDir;

/// The leak ledger of `make test` (scripts/leak_scan.py): while it is set, every secret a test
/// sees is appended to it and the test folders are kept, so the scan can search them afterwards.
const LEDGER_ENV: &str = "CLAPAY_LEAK_LEDGER";

/// Records a secret the CLI printed, if a leak scan will run.
pub fn record_secret(secret: &str) {
    use std::io::Write;
    if let Some(ledger) = std::env::var_os(LEDGER_ENV) {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(ledger)
            .and_then(|mut file| writeln!(file, "{secret}"))
            .expect("the leak ledger is writable");
    }
}

/// The path of the binary under test.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_clapay-tokens-cli")
}

/// A temporary folder with a database path in it (the file is created by the first command).
pub struct TestDb {
    /// Kept alive so the folder exists for the whole test.
    pub dir: TempDir,
    /// The database file.
    pub path: PathBuf,
}

impl TestDb {
    pub fn new() -> TestDb {
        let mut dir = tempfile::tempdir().expect("temp dir");
        // During `make test` the folder (database, WAL, backups) is kept for the leak scan.
        dir.disable_cleanup(std::env::var_os(LEDGER_ENV).is_some());
        let path = dir.path().join("tokens.db");
        TestDb { dir, path }
    }

    /// The CLI with `--db` on this database and no inherited CLAPAY_TOKENS_DB.
    pub fn cli(&self) -> Command {
        let mut command = Command::new(binary());
        command
            .env_remove("CLAPAY_TOKENS_DB")
            .arg("--db")
            .arg(&self.path);
        command
    }

    /// Runs the CLI with these arguments and an empty stdin.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cli()
            .args(args)
            .write_stdin("")
            .output()
            .expect("run the CLI")
    }

    /// Runs the CLI with this stdin.
    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        self.cli()
            .args(args)
            .write_stdin(stdin.to_string())
            .output()
            .expect("run the CLI")
    }

    /// Creates a token and returns its secret (text mode: stdout is the secret alone).
    pub fn create(&self, name: &str, extra: &[&str]) -> String {
        let mut args = vec!["create", "--name", name];
        args.extend_from_slice(extra);
        let output = self.run(&args);
        assert_eq!(
            code(&output),
            0,
            "create {name} must succeed: {}",
            stderr(&output)
        );
        let secret = stdout(&output).trim().to_string();
        record_secret(&secret);
        secret
    }

    /// Runs `--json authorize` with the secret on stdin; returns the exit code and the decision.
    pub fn authorize(
        &self,
        secret: &str,
        country: &str,
        operator: &str,
        method: &str,
        phone: Option<&str>,
    ) -> (i32, serde_json::Value) {
        let mut args = vec![
            "--json",
            "authorize",
            "--country",
            country,
            "--operator",
            operator,
            "--method",
            method,
        ];
        if let Some(phone) = phone {
            args.extend_from_slice(&["--phone", phone]);
        }
        let output = self.run_with_stdin(&args, &format!("{secret}\n"));
        (code(&output), json(&output))
    }

    /// `show --json` of a token.
    pub fn show(&self, token: &str) -> serde_json::Value {
        let output = self.run(&["--json", "show", token]);
        assert_eq!(code(&output), 0, "show {token}: {}", stderr(&output));
        json(&output)
    }

    /// Every row of every table, as text: equal dumps mean equal content.
    pub fn dump(&self) -> String {
        dump(&self.path)
    }
}

/// Every row of every table of a database, in a stable order.
pub fn dump(path: &Path) -> String {
    let connection =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open read-only");
    let tables: Vec<String> = connection
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .and_then(|mut statement| statement.query_map([], |row| row.get(0))?.collect())
        .expect("tables");
    let mut text = String::new();
    for table in tables {
        text.push_str(&format!("== {table}\n"));
        let mut statement = connection
            .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1, 2"))
            .expect("select");
        let columns = statement.column_count();
        let mut rows = statement.query([]).expect("query");
        while let Some(row) = rows.next().expect("row") {
            let cells: Vec<String> = (0..columns)
                .map(|index| format!("{:?}", row.get::<_, Value>(index).expect("cell")))
                .collect();
            text.push_str(&cells.join(" | "));
            text.push('\n');
        }
    }
    text
}

pub fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not JSON ({error}): {}\nstderr: {}",
            stdout(output),
            stderr(output)
        )
    })
}

/// True when `needle` occurs in `haystack` (byte search).
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

/// Asserts a rejected command: exit 2, one line on stderr containing `expected`, nothing on stdout.
pub fn assert_rejected(output: &Output, expected: &str, why: &str) {
    let text = stderr(output);
    assert_eq!(
        code(output),
        2,
        "{why}: exit 2 (invalid input); stderr: {text}"
    );
    assert!(
        text.contains(expected),
        "{why}: stderr must say '{expected}', got: {text}"
    );
    assert_eq!(
        text.trim_end().lines().count(),
        1,
        "{why}: one clear line, got: {text}"
    );
    assert!(
        text.starts_with("error: "),
        "{why}: errors start with 'error: ', got: {text}"
    );
    assert!(
        !text.contains("panicked") && !text.contains("Error {"),
        "{why}: no panic or debug dump: {text}"
    );
    assert!(
        output.stdout.is_empty(),
        "{why}: nothing on stdout, got: {}",
        stdout(output)
    );
}
