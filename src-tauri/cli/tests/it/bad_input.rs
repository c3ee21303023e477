//! The bad input corpus: well over a hundred hostile or mistaken command lines run against the built
//! binary on one seeded database (two tokens with compositions and numbers). Each must be refused
//! with exit 2 and one clear line (`error: ...`, or the JSON error shape with `--json`), or, for
//! `authorize`, be denied with exit 3 and the expected reason; none may panic or dump a debug value;
//! and none may change the database (a canonical dump of every row of every table, sorted, is
//! compared before and after; a denied `authorize` appends exactly one `denied` history row by
//! design, which is checked instead). `--search` values are the exception: a search must not fail,
//! so `%`, `_` and SQL fragments are checked to match literally.
//!
//! Not covered: a malformed catalog file, because the CLI cannot load one (the catalog is embedded;
//! the core's catalog loader is fuzzed in `src-tauri/core/tests/fuzz.rs`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rusqlite::types::Value;

use crate::support::{binary, TestDb};

/// What a case must do.
#[derive(Debug, Clone)]
enum Expect {
    /// Exit 2, one error line (or JSON error) containing this text (empty: any), database unchanged.
    Rejected(&'static str),
    /// `authorize` denied: exit 3, this reason in the JSON, one `denied` history row added for the
    /// token named (None: a token that does not exist, NULL in the history).
    Denied(&'static str, Option<&'static str>),
    /// A search that must succeed and find exactly this many tokens (all statuses).
    Search(u64),
}

/// What besides the seeded database must stay as it was.
#[derive(Debug, Clone)]
enum Guard {
    /// Only the seeded database.
    Seeded,
    /// The bytes of every file under this path (a file, or a folder and its files).
    Bytes(PathBuf),
}

#[derive(Debug, Clone)]
struct Case {
    label: String,
    args: Vec<String>,
    stdin: String,
    db: PathBuf,
    expect: Expect,
    guard: Guard,
}

/// The rows of every table (sorted), the schema and `user_version`; `history` left out on request.
fn canonical_dump(path: &Path, with_history: bool) -> String {
    let connection =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open read-only");
    let version: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("user_version");
    let schema: Vec<(String, String, Option<String>)> = connection
        .prepare("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
                .collect()
        })
        .expect("schema");
    let mut text = format!("user_version {version}\n");
    for (kind, name, sql) in &schema {
        text.push_str(&format!("{kind} {name}: {sql:?}\n"));
    }
    for (kind, table, _) in &schema {
        if kind != "table" || (!with_history && table == "history") {
            continue;
        }
        let mut statement = connection
            .prepare(&format!("SELECT * FROM \"{table}\""))
            .expect("select");
        let columns = statement.column_count();
        let mut rows: Vec<String> = statement
            .query_map([], |row| {
                (0..columns)
                    .map(|index| row.get::<_, Value>(index).map(|value| format!("{value:?}")))
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map(|cells| cells.join(" | "))
            })
            .and_then(|rows| rows.collect())
            .expect("rows");
        rows.sort();
        text.push_str(&format!("== {table} ({} rows)\n", rows.len()));
        for row in rows {
            text.push_str(&row);
            text.push('\n');
        }
    }
    text
}

/// The history rows as (id, token_id, kind, detail), in id order.
fn history(path: &Path) -> Vec<(i64, Option<String>, String, String)> {
    let connection =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open read-only");
    let mut statement = connection
        .prepare("SELECT id, token_id, kind, detail FROM history ORDER BY id")
        .expect("history");
    let rows = statement
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .and_then(|rows| rows.collect())
        .expect("history rows");
    rows
}

/// Every file under `path` with its bytes (a missing path is an empty map).
fn bytes_under(path: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    if path.is_file() {
        found.insert(path.to_path_buf(), std::fs::read(path).expect("read"));
    } else if path.is_dir() {
        for entry in std::fs::read_dir(path).expect("list") {
            let entry = entry.expect("entry");
            found.extend(bytes_under(&entry.path()));
        }
    }
    found
}

fn run(db: &Path, args: &[String], stdin: &str) -> Output {
    let mut child = Command::new(binary())
        .env_remove("CLAPAY_TOKENS_DB")
        .env_remove("RUST_BACKTRACE")
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the CLI");
    let mut input = child.stdin.take().expect("stdin");
    // The CLI may exit before reading (a refused argument): a broken pipe here is expected.
    let _ = input.write_all(stdin.as_bytes());
    drop(input);
    child.wait_with_output().expect("wait for the CLI")
}

/// The output-shape checks common to every refused case; returns what is wrong, if anything.
fn check_error_output(case: &Case, output: &Output) -> Result<(), String> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    for forbidden in [
        "panicked",
        "Error {",
        "SqliteFailure",
        "stack backtrace",
        "RUST_BACKTRACE",
    ] {
        if stderr.contains(forbidden) {
            return Err(format!("stderr contains '{forbidden}': {stderr}"));
        }
    }
    let lines: Vec<&str> = stderr.trim_end().lines().collect();
    if lines.is_empty() || lines.len() > 2 {
        return Err(format!(
            "stderr must be one or two lines, got {}: {stderr}",
            lines.len()
        ));
    }
    if case.args.iter().any(|arg| arg == "--json") {
        let value: serde_json::Value = serde_json::from_str(stderr.trim())
            .map_err(|error| format!("--json error is not JSON ({error}): {stderr}"))?;
        let kind_ok = value["error"]["kind"]
            .as_str()
            .is_some_and(|kind| !kind.is_empty());
        let message_ok = value["error"]["message"]
            .as_str()
            .is_some_and(|message| !message.is_empty());
        if !kind_ok || !message_ok {
            return Err(format!(
                "--json error lacks error.kind / error.message: {stderr}"
            ));
        }
    } else if !lines[0].starts_with("error: ") {
        return Err(format!("stderr must start with 'error: ': {stderr}"));
    }
    if !output.stdout.is_empty() {
        return Err(format!(
            "nothing may go to stdout, got: {}",
            String::from_utf8_lossy(&output.stdout)
        ));
    }
    Ok(())
}

/// Runs one case; returns what went wrong, if anything. `seeded_before` is the seeded database's
/// dump (with history) that every non-authorize case must leave as it is.
fn run_case(case: &Case, seeded: &Path, seeded_before: &str, ids: &Ids) -> Result<(), String> {
    let guarded_before = match &case.guard {
        Guard::Bytes(path) => Some(bytes_under(path)),
        Guard::Seeded => None,
    };
    let history_before = matches!(case.expect, Expect::Denied(..)).then(|| history(seeded));
    let output = run(&case.db, &case.args, &case.stdin);
    let code = output.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if std::env::var_os("CLAPAY_CORPUS_SHOW").is_some() {
        // For reviewing the messages: CLAPAY_CORPUS_SHOW=1 cargo test ... -- --nocapture
        println!(
            "[{code}] {}\n    {}",
            case.label,
            stderr.trim_end().replace('\n', "\n    ")
        );
    }
    match &case.expect {
        Expect::Rejected(expected) => {
            if code != 2 {
                return Err(format!(
                    "exit {code}, expected 2; stderr: {stderr}; stdout: {}",
                    String::from_utf8_lossy(&output.stdout)
                ));
            }
            check_error_output(case, &output)?;
            if !stderr.contains(expected) {
                return Err(format!("stderr must contain '{expected}', got: {stderr}"));
            }
        }
        Expect::Search(total) => {
            if code != 0 {
                return Err(format!("a search must not fail: exit {code}: {stderr}"));
            }
            let page: serde_json::Value = serde_json::from_slice(&output.stdout)
                .map_err(|error| format!("list --json is not JSON: {error}"))?;
            if page["total"].as_u64() != Some(*total) {
                return Err(format!(
                    "the search must match literally: {total} token(s) expected, got {}",
                    page["total"]
                ));
            }
        }
        Expect::Denied(reason, token) => {
            if code != 3 {
                return Err(format!(
                    "exit {code}, expected 3 (denied); stderr: {stderr}"
                ));
            }
            let decision: serde_json::Value = serde_json::from_slice(&output.stdout)
                .map_err(|error| format!("authorize --json is not JSON: {error}"))?;
            if decision["allowed"] != false || decision["reason"] != *reason {
                return Err(format!("expected denial '{reason}', got {decision}"));
            }
            if stderr.contains("panicked") || stderr.contains("Error {") {
                return Err(format!("stderr: {stderr}"));
            }
            let before = history_before.unwrap_or_default();
            let after = history(seeded);
            if after.len() != before.len() + 1 || after[..before.len()] != before[..] {
                return Err(format!(
                    "exactly one history row must be appended; before {}, after {}",
                    before.len(),
                    after.len()
                ));
            }
            let (_, token_id, kind, detail) = &after[before.len()];
            let expected_token = token.map(|name| ids.get(name));
            if kind != "denied" || token_id.as_deref() != expected_token {
                return Err(format!(
                    "the new history row must be 'denied' for {expected_token:?}, got {kind} for {token_id:?}"
                ));
            }
            let detail: serde_json::Value = serde_json::from_str(detail).unwrap_or_default();
            if detail["reason"] != *reason {
                return Err(format!("the history row's reason: {detail}"));
            }
        }
    }
    if let (Guard::Bytes(path), Some(before)) = (&case.guard, guarded_before) {
        if bytes_under(path) != before {
            return Err(format!("{} changed", path.display()));
        }
    }
    if !matches!(case.expect, Expect::Denied(..)) && canonical_dump(seeded, true) != seeded_before {
        return Err("the seeded database changed".into());
    }
    Ok(())
}

/// Token ids by name.
struct Ids(BTreeMap<&'static str, String>);

impl Ids {
    fn get(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or("?")
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| arg.to_string()).collect()
}

/// Builds the corpus. `db` is the seeded database.
struct Corpus {
    db: PathBuf,
    cases: Vec<Case>,
}

impl Corpus {
    fn add(&mut self, label: impl Into<String>, args: &[&str], expect: Expect) {
        self.add_full(label, strings(args), "", expect);
    }

    fn add_full(
        &mut self,
        label: impl Into<String>,
        args: Vec<String>,
        stdin: &str,
        expect: Expect,
    ) {
        self.cases.push(Case {
            label: label.into(),
            args,
            stdin: stdin.to_string(),
            db: self.db.clone(),
            expect,
            guard: Guard::Seeded,
        });
    }

    fn add_on(
        &mut self,
        label: impl Into<String>,
        db: &Path,
        guard: &Path,
        args: &[&str],
        expected: &'static str,
    ) {
        self.cases.push(Case {
            label: label.into(),
            args: strings(args),
            stdin: String::new(),
            db: db.to_path_buf(),
            expect: Expect::Rejected(expected),
            guard: Guard::Bytes(guard.to_path_buf()),
        });
    }
}

const ALLOW: &[&str] = &["--allow", "CI:OM:MERCHANT"];

fn create_args<'a>(name: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["create", "--name", name];
    args.extend_from_slice(extra);
    args
}

fn rejected() -> Expect {
    Expect::Rejected("")
}

/// Names, descriptions, dates, compositions, numbers, token ids and searches on the seeded database.
fn argument_cases(corpus: &mut Corpus) {
    let long = "a".repeat(10_000);
    // Names.
    let names: &[(&str, &str, &'static str)] = &[
        ("empty name", "", "the name is empty"),
        ("blank name", "   ", "the name is empty"),
        ("tab and newline name", "\t\n", "the name is empty"),
        ("10,000-character name", &long, "the limit is 100"),
        ("\\x01 in name", "shop\u{1}x", "control or invisible"),
        (
            "escape sequence in name",
            "shop\u{1b}[31mred",
            "control or invisible",
        ),
        ("\\x7f in name", "shop\u{7f}", "control or invisible"),
        ("newline in name", "shop\nx", "control or invisible"),
        (
            "right-to-left override in name",
            "\u{202e}gnp.exe",
            "control or invisible",
        ),
        (
            "bidi isolate in name",
            "a\u{2066}b\u{2069}",
            "control or invisible",
        ),
        (
            "first-strong isolate in name",
            "\u{2068}shop",
            "control or invisible",
        ),
        (
            "left-to-right mark in name",
            "shop\u{200e}",
            "control or invisible",
        ),
        ("name taken", "shop-a", "already exists"),
        ("name taken, other case", "SHOP-A", "already exists"),
        ("name taken after trimming", "  shop-b ", "already exists"),
    ];
    for (label, name, expected) in names {
        corpus.add(
            format!("create: {label}"),
            &create_args(name, ALLOW),
            Expect::Rejected(expected),
        );
    }
    // Descriptions (line breaks are allowed in a description).
    let descriptions: &[(&str, &str, &'static str)] = &[
        ("10,000-character description", &long, "the limit is 1000"),
        ("\\x01 in description", "a\u{1}b", "control or invisible"),
        (
            "escape sequence in description",
            "\u{1b}[2J",
            "control or invisible",
        ),
        ("\\x7f in description", "x\u{7f}", "control or invisible"),
        (
            "right-to-left override in description",
            "pay \u{202e}001",
            "control or invisible",
        ),
        (
            "bidi isolate in description",
            "\u{2067}x\u{2069}",
            "control or invisible",
        ),
    ];
    for (label, description, expected) in descriptions {
        let mut args = create_args("new-token", &["--description", description]);
        args.extend_from_slice(ALLOW);
        corpus.add(
            format!("create: {label}"),
            &args,
            Expect::Rejected(expected),
        );
        corpus.add(
            format!("update: {label}"),
            &["update", "shop-a", "--description", description],
            Expect::Rejected(expected),
        );
    }
    for (label, name, expected) in [
        ("empty name", "", "the name is empty"),
        ("10,000-character name", long.as_str(), "the limit is 100"),
        (
            "escape sequence in name",
            "x\u{1b}[0m",
            "control or invisible",
        ),
        (
            "right-to-left override in name",
            "x\u{202e}y",
            "control or invisible",
        ),
        ("name of the other token", "shop-b", "already exists"),
    ] {
        corpus.add(
            format!("update: {label}"),
            &["update", "shop-a", "--name", name],
            Expect::Rejected(expected),
        );
    }
    corpus.add(
        "update: nothing to change",
        &["update", "shop-a"],
        Expect::Rejected("nothing to change"),
    );
    // Dates.
    for date in [
        "2026-02-30",
        "2026-13-01",
        "yesterday",
        "0000-00-00",
        "2020-01-01",
        "",
        "2027/01/31",
        "31-01-2027",
        "2027-01-31T00:00:00Z",
        "99999-01-01",
    ] {
        let mut args = create_args("new-token", &["--expires-on", date]);
        args.extend_from_slice(ALLOW);
        corpus.add(
            format!("create: --expires-on {date:?}"),
            &args,
            Expect::Rejected("invalid expiry"),
        );
    }
    for days in ["0", "-1", "99999", "abc", "3651", "1.5", "", "+"] {
        let mut args = create_args("new-token", &["--expires-in-days", days]);
        args.extend_from_slice(ALLOW);
        corpus.add(
            format!("create: --expires-in-days {days:?}"),
            &args,
            Expect::Rejected("invalid expiry"),
        );
    }
    corpus.add(
        "update: --expires-on 2026-02-30",
        &["update", "shop-a", "--expires-on", "2026-02-30"],
        Expect::Rejected("invalid expiry"),
    );
    corpus.add(
        "update: --expires-in-days 0",
        &["update", "shop-a", "--expires-in-days", "0"],
        Expect::Rejected("invalid expiry"),
    );
    corpus.add(
        "create: --expires-on with --no-expiry",
        &[
            "create",
            "--name",
            "x",
            "--allow",
            "CI",
            "--no-expiry",
            "--expires-on",
            "2027-01-01",
        ],
        Expect::Rejected("cannot be used with"),
    );
    // --allow: malformed, then unknown codes in every position.
    for spec in [
        "CI:",
        ":OM:MERCHANT",
        "CI:OM:",
        "CI::MERCHANT",
        "CI:OM:MERCHANT:EXTRA",
        "*:OM:MERCHANT",
        "*:OM:*",
        "",
        ":",
        "::",
        "CI:OM:MERCHANT+",
        "CI:OM:+CASHIN",
        "CI:OM:MERCHANT++CASHIN",
    ] {
        corpus.add(
            format!("create: malformed --allow {spec:?}"),
            &create_args("new-token", &["--allow", spec]),
            Expect::Rejected("--allow"),
        );
    }
    for (spec, expected) in [
        ("ZZ:OM:MERCHANT", "unknown country"),
        ("ZZ", "unknown country"),
        ("ZZ:*:*", "unknown country"),
        ("CIV:OM:MERCHANT", ""),
        ("C I:OM:MERCHANT", ""),
        ("\u{ff23}\u{ff29}:OM:MERCHANT", ""),
        ("CI\u{200b}:OM:MERCHANT", ""),
        ("'; DROP TABLE tokens; --:OM:MERCHANT", ""),
        ("CI:ZZ:MERCHANT", "has no operator"),
        ("BJ:OM:MERCHANT", "has no operator"),
        ("CI:OM' OR 1=1:MERCHANT", ""),
        ("CI:OM:PAYIN", "unknown payment method"),
        ("CI:OM:MERCHANT+PAYIN", "unknown payment method"),
        ("CI:*:PAYIN", "unknown payment method"),
        ("*:*:PAYIN", "unknown payment method"),
        ("CI:OM:%", ""),
    ] {
        corpus.add(
            format!("create: --allow {spec:?}"),
            &create_args("new-token", &["--allow", spec]),
            Expect::Rejected(expected),
        );
    }
    for spec in [
        "CI:",
        "CI:ZZ:MERCHANT",
        "ZZ:OM:MERCHANT",
        "CI:OM:PAYIN",
        "*:OM:MERCHANT",
        "CI:OM:MERCHANT:EXTRA",
    ] {
        corpus.add(
            format!("compose: --allow {spec:?}"),
            &["compose", "shop-a", "--allow", spec],
            rejected(),
        );
    }
    // --remove.
    for (spec, expected) in [
        ("ZZ", ""),
        ("CI:ZZ", ""),
        ("CI:OM:PAYIN", "unknown payment method"),
        ("CI:*", "--remove"),
        ("*", "--remove"),
        ("", "--remove"),
        ("CI:OM:MERCHANT:X", "--remove"),
        (":OM", "--remove"),
        ("CI::MERCHANT", "--remove"),
        ("CI", "--with-numbers"),
    ] {
        corpus.add(
            format!("compose: --remove {spec:?}"),
            &["compose", "shop-a", "--remove", spec],
            Expect::Rejected(expected),
        );
    }
    corpus.add(
        "compose: nothing to change",
        &["compose", "shop-a"],
        Expect::Rejected("nothing to change"),
    );
    corpus.add(
        "compose: a valid --allow with an invalid --remove is all or nothing",
        &[
            "compose",
            "shop-a",
            "--allow",
            "ML:OM:MERCHANT",
            "--remove",
            "ZZ",
        ],
        rejected(),
    );
    corpus.add(
        "compose: removing the whole composition",
        &[
            "compose",
            "shop-b",
            "--remove",
            "CI",
            "--remove",
            "ML",
            "--with-numbers",
        ],
        rejected(),
    );
    // Numbers.
    for (label, phone, expected) in [
        ("too short", "123", "not a valid phone number"),
        (
            "too long",
            "07070707070707070707",
            "not a valid phone number",
        ),
        (
            "extension 'ext. 12'",
            "0707070708 ext. 12",
            "not a valid phone number",
        ),
        (
            "extension 'x12'",
            "0707070708x12",
            "not a valid phone number",
        ),
        (
            "extension ';ext=12'",
            "0707070708;ext=12",
            "not a valid phone number",
        ),
        (
            "extension '#12'",
            "0707070708#12",
            "not a valid phone number",
        ),
        (
            "full-width digits",
            "\u{ff10}\u{ff17}\u{ff10}\u{ff17}\u{ff10}\u{ff17}\u{ff10}\u{ff17}\u{ff10}\u{ff18}",
            "not a valid phone number",
        ),
        ("letters", "07O7O7O7O8", "not a valid phone number"),
        ("only letters", "abc", "not a valid phone number"),
        ("empty", "", "not a valid phone number"),
        (
            "another country's number",
            "+221771234568",
            "not a valid phone number",
        ),
        (
            "SQL fragment",
            "'; DROP TABLE numbers; --",
            "not a valid phone number",
        ),
        (
            "right-to-left override",
            "\u{202e}0707070708",
            "not a valid phone number",
        ),
        (
            "taken by another token",
            "0505050505",
            "is already whitelisted on token 'shop-b'",
        ),
        (
            "already on this token",
            "+2250707070707",
            "is already whitelisted on token 'shop-a'",
        ),
    ] {
        corpus.add(
            format!("numbers add: {label}"),
            &["numbers", "add", "shop-a", "CI", phone],
            Expect::Rejected(expected),
        );
    }
    corpus.add(
        "numbers add: country not in the composition",
        &["numbers", "add", "shop-a", "ML", "70123456"],
        Expect::Rejected("not in this token's composition"),
    );
    corpus.add(
        "numbers add: unknown country",
        &["numbers", "add", "shop-a", "ZZ", "0707070708"],
        rejected(),
    );
    for (verb, phone) in [
        ("disable", "+2250909090909"),
        ("enable", "+2250909090909"),
        ("remove", "+2250909090909"),
        ("remove", "+2250505050505"),
        ("disable", "abc"),
        ("enable", ""),
    ] {
        corpus.add(
            format!("numbers {verb}: {phone:?} is not on the token"),
            &["numbers", verb, "shop-a", phone],
            Expect::Rejected(if phone.is_empty() {
                "the phone number is empty"
            } else {
                "is not whitelisted on this token"
            }),
        );
    }
    for (spec, expected) in [
        ("CI", "COUNTRY:PHONE"),
        (":0707070708", "COUNTRY:PHONE"),
        ("CI:", "COUNTRY:PHONE"),
        ("ZZ:0707070708", ""),
        ("CI:123", "not a valid phone number"),
        ("ML:70123456", "not in this token's composition"),
        ("CI:0505050505", "is already whitelisted on token 'shop-b'"),
        ("CI:0707070708 ext. 12", "not a valid phone number"),
    ] {
        corpus.add(
            format!("create: --number {spec:?}"),
            &create_args(
                "new-token",
                &["--allow", "CI:OM:MERCHANT", "--number", spec],
            ),
            Expect::Rejected(expected),
        );
    }
    // Unknown token ids and names.
    let unknown_ids: &[(&str, &str)] = &[
        ("unknown name", "no-such-token"),
        ("empty id", ""),
        ("blank id", "   "),
        ("SQL fragment", "shop-a' OR '1'='1"),
        ("SQL comment", "'; DROP TABLE tokens; --"),
        ("percent", "%"),
        ("underscore", "shop_a"),
        (
            "well-formed unknown id",
            "01a22225-0000-7000-8000-000000000000",
        ),
        ("zero-width prefix", "\u{200b}shop-a"),
        ("10,000 characters", &long),
        ("escape sequence", "\u{1b}[31mshop-a"),
    ];
    for (label, id) in unknown_ids {
        corpus.add(
            format!("show: {label}"),
            &["show", id],
            Expect::Rejected("no token has the id or name"),
        );
        if id.len() > 100 {
            corpus.add(
                format!("show: {label}, quoted shortened"),
                &["show", id],
                Expect::Rejected("aaa…' (a revoked"),
            );
        }
    }
    for verb in ["revoke", "history"] {
        corpus.add(
            format!("{verb}: unknown name"),
            &[verb, "no-such-token"],
            Expect::Rejected("no token has the id or name"),
        );
        corpus.add(
            format!("{verb}: SQL fragment"),
            &[verb, "shop-a' OR '1'='1"],
            Expect::Rejected("no token has the id or name"),
        );
    }
    for args in [
        ["numbers", "list", "%"].as_slice(),
        &["numbers", "add", "no-such-token", "CI", "0707070708"],
        &["numbers", "remove", "_", "+2250707070707"],
        &["compose", "no-such-token", "--allow", "CI"],
        &["update", "no-such-token", "--name", "x"],
    ] {
        corpus.add(
            format!("{}: unknown token", args[..2].join(" ")),
            args,
            Expect::Rejected("no token has the id or name"),
        );
    }
    // The lifecycle's flags and commands.
    let lifecycle: &[(&str, &[&str], &'static str)] = &[
        (
            "create: unknown environment",
            &[
                "create",
                "--name",
                "x",
                "--allow",
                "CI",
                "--environment",
                "prod",
            ],
            "invalid value 'prod'",
        ),
        (
            "list: unknown environment",
            &["list", "--environment", "staging"],
            "invalid value 'staging'",
        ),
        (
            "list: --after an unknown id",
            &["list", "--after", "no-such-token"],
            "given to --after or --before",
        ),
        (
            "list: --after and --before",
            &["list", "--after", "a", "--before", "b"],
            "cannot be used with",
        ),
        (
            "list: unknown status",
            &["list", "--status", "paused"],
            "invalid value 'paused'",
        ),
        (
            "roll: unknown grace",
            &["roll", "shop-a", "--grace", "2d"],
            "invalid value '2d'",
        ),
        (
            "roll: empty grace",
            &["roll", "shop-a", "--grace", ""],
            "a value is required",
        ),
        (
            "roll: unknown token",
            &["roll", "no-such-token"],
            "no token has the id or name",
        ),
        (
            "end-grace: a token that was not rolled",
            &["end-grace", "shop-a"],
            "not in the grace period",
        ),
        (
            "end-grace: unknown token",
            &["end-grace", "no-such-token"],
            "no token has the id or name",
        ),
        (
            "duplicate: unknown token",
            &["duplicate", "no-such-token"],
            "no token has the id or name",
        ),
        (
            "duplicate: empty name",
            &["duplicate", "shop-a", "--name", ""],
            "the name is empty",
        ),
        (
            "duplicate: a taken name",
            &["duplicate", "shop-a", "--name", "SHOP-B"],
            "already exists",
        ),
        (
            "duplicate: control character in the name",
            &["duplicate", "shop-a", "--name", "a\u{1b}b"],
            "control or invisible",
        ),
        (
            "expiring: zero days",
            &["expiring", "--within-days", "0"],
            "not in 1..=365",
        ),
        (
            "expiring: too many days",
            &["expiring", "--within-days", "1000"],
            "not in 1..=365",
        ),
        (
            "expiring: not a number",
            &["expiring", "--within-days", "week"],
            "invalid value 'week'",
        ),
        (
            "history: zero limit",
            &["history", "shop-a", "--limit", "0"],
            "invalid value '0'",
        ),
        (
            "history: --before not a number",
            &["history", "shop-a", "--before", "yesterday"],
            "invalid value 'yesterday'",
        ),
        (
            "numbers remove: the last number of a country without --lift-restriction",
            &["numbers", "remove", "shop-a", "+221771234567"],
            "any phone will be able to pay in Senegal",
        ),
    ];
    for (label, args, expected) in lifecycle {
        corpus.add(*label, args, Expect::Rejected(expected));
    }
    // Searches: must not fail, must match literally.
    for (search, total) in [
        ("%", 0),
        ("_", 0),
        ("'; DROP TABLE tokens; --", 0),
        ("\" OR 1=1", 0),
        ("' OR '1'='1", 0),
        ("shop", 2),
        ("SHOP-", 2),
        ("p-a", 1),
        ("*", 0),
        ("\\", 0),
        ("[a]", 0),
        ("\u{202e}", 0),
    ] {
        corpus.add(
            format!("list: --search {search:?}"),
            &["--json", "list", "--status", "all", "--search", search],
            Expect::Search(total),
        );
    }
}

/// `authorize` with hostile stdin and requests. The real secret of shop-a is used for the reasons
/// past the token itself; `unknown` is a well-formed secret of a token of another database.
fn authorize_cases(corpus: &mut Corpus, secret: &str, unknown: &str) {
    let request = [
        "--json",
        "authorize",
        "--country",
        "CI",
        "--operator",
        "OM",
        "--method",
        "MERCHANT",
        "--phone",
        "0707070707",
    ];
    let args = strings(&request);
    let mut flipped = secret.to_string();
    let last = flipped.pop().expect("secret");
    flipped.push(if last == 'A' { 'B' } else { 'A' });
    // The first two neighbours from position 10 that differ: swapping two equal characters (one
    // random secret in 62) gives the secret back, which the check then rightly allows.
    let mut swapped: Vec<char> = secret.chars().collect();
    let at = (10..swapped.len() - 1)
        .find(|&i| swapped[i] != swapped[i + 1])
        .expect("a random secret has two different neighbours");
    swapped.swap(at, at + 1);
    let swapped: String = swapped.into_iter().collect();
    assert_ne!(swapped, secret, "the swapped secret differs");
    let body = &secret[4..];
    let malformed: Vec<(&str, String)> = vec![
        ("wrong checksum", flipped),
        ("two characters swapped", swapped),
        (
            "one character short",
            secret[..secret.len() - 1].to_string(),
        ),
        ("one character too many", format!("{secret}x")),
        ("leading garbage", format!("x{secret}")),
        ("trailing control character", format!("{secret}\u{1}")),
        ("wrong prefix clq_", format!("clq_{body}")),
        ("upper-case prefix", format!("CLP_{body}")),
        ("no prefix", body.to_string()),
        ("non-ASCII character", format!("{}é", &secret[..52])),
        ("full-width character", format!("{}\u{ff21}", &secret[..52])),
        (
            "zero-width space inside",
            format!("{}\u{200b}{}", &secret[..20], &secret[20..]),
        ),
        ("SQL fragment", "' OR 1=1 --".to_string()),
        ("10,000 characters", "clp_".repeat(2_500)),
    ];
    for (label, token) in malformed {
        corpus.add_full(
            format!("authorize: {label}"),
            args.clone(),
            &format!("{token}\n"),
            Expect::Denied("malformed", None),
        );
    }
    corpus.add_full(
        "authorize: well-formed secret of no token here",
        args.clone(),
        &format!("{unknown}\n"),
        Expect::Denied("unknown", None),
    );
    for (label, stdin) in [
        ("empty stdin", ""),
        ("only a newline", "\n"),
        ("only blanks", "   \n\t\n"),
    ] {
        corpus.add_full(
            format!("authorize: {label}"),
            args.clone(),
            stdin,
            Expect::Rejected("no token on standard input"),
        );
    }
    corpus.add_full(
        "authorize: empty stdin (text mode)",
        strings(&request[1..]),
        "",
        Expect::Rejected("no token on standard input"),
    );
    let denied: &[(&str, &[&str], &'static str)] = &[
        (
            "country not allowed",
            &[
                "--country",
                "ML",
                "--operator",
                "OM",
                "--method",
                "MERCHANT",
            ],
            "country_not_allowed",
        ),
        (
            "unknown country",
            &[
                "--country",
                "ZZ",
                "--operator",
                "OM",
                "--method",
                "MERCHANT",
            ],
            "country_not_allowed",
        ),
        (
            "SQL in country",
            &[
                "--country",
                "'; DROP TABLE tokens; --",
                "--operator",
                "OM",
                "--method",
                "MERCHANT",
            ],
            "country_not_allowed",
        ),
        (
            "operator not allowed",
            &[
                "--country",
                "CI",
                "--operator",
                "MTN",
                "--method",
                "MERCHANT",
                "--phone",
                "0707070707",
            ],
            "operator_not_allowed",
        ),
        (
            "unknown operator",
            &[
                "--country",
                "CI",
                "--operator",
                "%",
                "--method",
                "MERCHANT",
                "--phone",
                "0707070707",
            ],
            "operator_not_allowed",
        ),
        (
            "method not allowed",
            &[
                "--country",
                "CI",
                "--operator",
                "OM",
                "--method",
                "CASHOUT",
                "--phone",
                "0707070707",
            ],
            "method_not_allowed",
        ),
        (
            "phone required",
            &[
                "--country",
                "CI",
                "--operator",
                "OM",
                "--method",
                "MERCHANT",
            ],
            "phone_required",
        ),
        (
            "phone not whitelisted",
            &[
                "--country",
                "CI",
                "--operator",
                "OM",
                "--method",
                "MERCHANT",
                "--phone",
                "0101010101",
            ],
            "phone_not_whitelisted",
        ),
        (
            "phone of the other token",
            &[
                "--country",
                "CI",
                "--operator",
                "OM",
                "--method",
                "MERCHANT",
                "--phone",
                "+2250505050505",
            ],
            "phone_not_whitelisted",
        ),
        (
            "phone with an extension",
            &[
                "--country",
                "CI",
                "--operator",
                "OM",
                "--method",
                "MERCHANT",
                "--phone",
                "0707070707 ext. 12",
            ],
            "phone_not_whitelisted",
        ),
    ];
    for (label, request, reason) in denied {
        let mut args = strings(&["--json", "authorize"]);
        args.extend(strings(request));
        corpus.add_full(
            format!("authorize: {label}"),
            args,
            &format!("{secret}\n"),
            Expect::Denied(reason, Some("shop-a")),
        );
    }
}

/// Drops the immutable attribute again, so the temporary folder can be deleted.
struct Immutable(Vec<PathBuf>);

impl Drop for Immutable {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = Command::new("chattr").arg("-i").arg(path).status();
        }
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// A copy of the seeded database in a folder nobody can write: chmod as a normal user; as root,
/// who ignores permissions, `chattr +i` on the folder and the file. `None` (with the reason) when
/// that cannot be made honestly.
fn read_only_copy(seeded: &Path, root: &Path) -> Result<(PathBuf, Option<Immutable>), String> {
    let dir = root.join("read-only");
    std::fs::create_dir(&dir).expect("mkdir");
    let path = dir.join("tokens.db");
    std::fs::copy(seeded, &path).expect("copy");
    if !is_root() {
        // `set_readonly` clears every write bit on Unix (0o444 for the file, 0o555 for the
        // folder) and compiles for Windows too, where the workspace is linted.
        for target in [&path, &dir] {
            let mut permissions = std::fs::metadata(target).expect("stat").permissions();
            permissions.set_readonly(true);
            std::fs::set_permissions(target, permissions).expect("chmod");
        }
        return Ok((path, None));
    }
    let mut guard = Immutable(Vec::new());
    for target in [&path, &dir] {
        let status = Command::new("chattr").arg("+i").arg(target).status();
        match status {
            Ok(status) if status.success() => guard.0.push(target.clone()),
            Ok(status) => {
                return Err(format!(
                "running as root and `chattr +i` failed ({status}); no honest read-only database"
            ))
            }
            Err(error) => {
                return Err(format!(
                "running as root and chattr is unavailable ({error}); no honest read-only database"
            ))
            }
        }
    }
    // Prove it: even root cannot write there now.
    if std::fs::write(dir.join("probe"), b"x").is_ok()
        || std::fs::OpenOptions::new().write(true).open(&path).is_ok()
    {
        return Err("chattr +i did not make the folder read-only for root".into());
    }
    Ok((path, Some(guard)))
}

/// `--db` pointing at things that are not a usable ClaPay Tokens database.
fn database_cases(corpus: &mut Corpus, root: &Path, seeded: &Path) -> Option<Immutable> {
    let text_file = root.join("notes.txt");
    std::fs::write(
        &text_file,
        b"rice, oil, onions: not a database, but long enough to look like one\n".repeat(30),
    )
    .expect("write");
    let newer = root.join("newer.db");
    std::fs::copy(seeded, &newer).expect("copy");
    rusqlite::Connection::open(&newer)
        .and_then(|connection| connection.pragma_update(None, "user_version", 99))
        .expect("bump user_version");
    let folder = root.join("a-folder");
    std::fs::create_dir(&folder).expect("mkdir");
    std::fs::write(folder.join("keep.txt"), b"keep").expect("write");
    let write_args = ["create", "--name", "new-token", "--allow", "CI:OM:MERCHANT"];
    for (label, db, expected) in [
        ("not SQLite", &text_file, "is not a SQLite database"),
        ("newer schema", &newer, "newer version of ClaPay Tokens"),
        ("a directory", &folder, "is a folder, not a database file"),
    ] {
        corpus.add_on(format!("--db {label}: list"), db, db, &["list"], expected);
        corpus.add_on(
            format!("--db {label}: create"),
            db,
            db,
            &write_args,
            expected,
        );
        corpus.add_on(format!("--db {label}: check"), db, db, &["check"], expected);
        corpus.add_on(
            format!("--db {label}: backup"),
            db,
            db,
            &["--json", "backup"],
            "",
        );
    }
    match read_only_copy(seeded, root) {
        Ok((path, guard)) => {
            let dir = path.parent().expect("folder").to_path_buf();
            corpus.add_on(
                "--db in a read-only folder: create",
                &path,
                &dir,
                &write_args,
                "cannot be used",
            );
            corpus.add_on(
                "--db in a read-only folder: revoke",
                &path,
                &dir,
                &["revoke", "shop-a"],
                "cannot be used",
            );
            guard
        }
        Err(reason) => {
            println!("bad input corpus (cli): read-only database case skipped: {reason}");
            None
        }
    }
}

#[test]
fn bad_input_is_refused_clearly_and_changes_nothing() {
    let db = TestDb::new();
    let secret = db.create(
        "shop-a",
        &[
            "--description",
            "Checkout of shop A",
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
        &[
            "--allow",
            "CI:MTN:MERCHANT",
            "--allow",
            "ML:OM:CASHIN",
            "--number",
            "CI:0505050505",
            "--no-expiry",
        ],
    );
    let other = TestDb::new();
    let unknown = other.create("elsewhere", &["--allow", "CI"]);
    let mut ids = BTreeMap::new();
    for name in ["shop-a", "shop-b"] {
        ids.insert(name, db.show(name)["id"].as_str().expect("id").to_string());
    }
    let ids = Ids(ids);

    let mut corpus = Corpus {
        db: db.path.clone(),
        cases: Vec::new(),
    };
    argument_cases(&mut corpus);
    let root = tempfile::tempdir().expect("temp dir");
    let _immutable = database_cases(&mut corpus, root.path(), &db.path);
    // A quarter of the refusals again with --json: the error must then be the JSON shape.
    let json_variants: Vec<Case> = corpus
        .cases
        .iter()
        .enumerate()
        .filter(|(index, case)| {
            index % 4 == 0
                && matches!(case.expect, Expect::Rejected(_))
                && !case.args.iter().any(|arg| arg == "--json")
        })
        .map(|(_, case)| {
            let mut variant = case.clone();
            variant.label = format!("{} (--json)", case.label);
            variant.args.insert(0, "--json".into());
            variant
        })
        .collect();
    corpus.cases.extend(json_variants);
    if std::env::var_os("CLAPAY_CORPUS_SELF_TEST").is_some() {
        // Proves the harness catches a command that succeeds and writes: this case must fail.
        corpus.add(
            "self-test: a valid create",
            &create_args("valid-token", ALLOW),
            rejected(),
        );
    }
    let parallel = corpus.cases.len();
    authorize_cases(&mut corpus, &secret, &unknown);

    let seeded_before = canonical_dump(&db.path, true);
    let failures = Mutex::new(Vec::new());
    let next = AtomicUsize::new(0);
    // Refusals do not write, so they run four at a time; authorize cases append history rows, so
    // they run one after the other afterwards.
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(case) = corpus.cases[..parallel].get(index) else {
                    break;
                };
                if let Err(why) = run_case(case, &db.path, &seeded_before, &ids) {
                    failures
                        .lock()
                        .expect("lock")
                        .push(format!("{}: {why}", case.label));
                }
            });
        }
    });
    let without_history = canonical_dump(&db.path, false);
    for case in &corpus.cases[parallel..] {
        let before = canonical_dump(&db.path, true);
        if let Err(why) = run_case(case, &db.path, &before, &ids) {
            failures
                .lock()
                .expect("lock")
                .push(format!("{}: {why}", case.label));
        }
        if canonical_dump(&db.path, false) != without_history {
            failures
                .lock()
                .expect("lock")
                .push(format!("{}: changed more than the history", case.label));
        }
    }
    let failures = failures.into_inner().expect("lock");
    let total = corpus.cases.len();
    assert!(
        failures.is_empty(),
        "{} of {total} bad-input cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        total >= 120,
        "the corpus has {total} cases; at least 120 expected"
    );
    let line = format!("bad input corpus (cli): {total} cases, 0 changed the database");
    println!("{line}");
    // `make test` prints this file at the end of the run (libtest hides a passing test's output).
    if let Some(figures) = std::env::var_os("CLAPAY_TEST_FIGURES") {
        use std::io::Write;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(figures)
            .and_then(|mut file| writeln!(file, "{line}"))
            .expect("the figures file is writable");
    }
}
