//! A corpus of bad input sent through the real Tauri commands (mock runtime, real core, a temp
//! database): every case must answer an error `{kind, message, field}` with the expected kind and a
//! one-line message for a person (no Rust debug text, no SQLite internals, no panic), and leave
//! every table of the database unchanged. `authorize` with a bad secret is a denial, not an error;
//! it may add `denied` history rows by design, so `history` is compared apart for those.
//!
//! The last line printed is `bad input corpus (tauri commands): N cases, 0 changed the database`,
//! also appended to the file named by `CLAPAY_TEST_FIGURES` when it is set.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::{json, Value};

use crate::command_tests::{harness, Harness, ScanDir};

/// Every table as sorted lines of its rows: a canonical dump that ignores physical order.
fn dump(db: &Path) -> BTreeMap<String, Vec<String>> {
    let connection = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("the database opens read-only beside the app");
    let tables: Vec<String> = connection
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .expect("list the tables");
    let mut dumped = BTreeMap::new();
    for table in tables {
        let mut statement = connection
            .prepare(&format!("SELECT * FROM \"{table}\""))
            .expect("select");
        let columns = statement.column_count();
        let mut rows: Vec<String> = statement
            .query_map([], |row| {
                let mut line = Vec::with_capacity(columns);
                for index in 0..columns {
                    line.push(match row.get_ref(index)? {
                        ValueRef::Null => "NULL".to_owned(),
                        ValueRef::Integer(value) => value.to_string(),
                        ValueRef::Real(value) => value.to_string(),
                        ValueRef::Text(text) => format!("{:?}", String::from_utf8_lossy(text)),
                        ValueRef::Blob(bytes) => format!("x{bytes:02x?}"),
                    });
                }
                Ok(line.join("|"))
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<_>>())
            .expect("read the rows");
        rows.sort();
        dumped.insert(table, rows);
    }
    dumped
}

enum Expect {
    /// An error of this kind.
    Error(&'static str),
    /// An error of one of these kinds.
    ErrorOneOf(&'static [&'static str]),
    /// A denial (`allowed: false`) with this reason.
    Denied(&'static str),
}

struct Case {
    what: String,
    command: &'static str,
    args: Value,
    expect: Expect,
}

fn case(what: impl Into<String>, command: &'static str, args: Value, expect: Expect) -> Case {
    Case {
        what: what.into(),
        command,
        args,
        expect,
    }
}

fn request(name: &str, expiry: Value, composition: Value, numbers: Value) -> Value {
    json!({ "request": { "name": name, "description": "", "expiry": expiry,
                         "composition": composition, "numbers": numbers } })
}

fn ci_om() -> Value {
    json!([{ "country": "CI", "operator": "OM", "method": "MERCHANT" }])
}

fn days(count: i64) -> Value {
    json!({ "kind": "days", "days": count })
}

/// A one-line sentence for a person: no debug output, no SQLite internals, no panic text.
fn check_message(what: &str, error: &Value) {
    let message = error["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "{what}: a message is given: {error}");
    assert!(
        !message.contains('\n'),
        "{what}: the message is one line: {message:?}"
    );
    for internal in [
        "Error {",
        "SqliteFailure",
        "panicked",
        "rusqlite",
        "unwrap",
        "RUST_BACKTRACE",
    ] {
        assert!(
            !message.contains(internal),
            "{what}: the message shows no internals ({internal}): {message}"
        );
    }
    assert!(
        message.chars().count() <= 400,
        "{what}: the message stays short: {} characters",
        message.chars().count()
    );
    assert!(
        error.get("field").is_some(),
        "{what}: the error carries a field (null or a name): {error}"
    );
}

fn seed(harness: &Harness) -> (String, String, String) {
    let created = harness
        .invoke(
            "create_token",
            request(
                "Alpha",
                days(30),
                json!([{ "country": "CI", "operator": "OM", "method": "MERCHANT" },
                       { "country": "CI", "operator": "OM", "method": "CASHIN" },
                       { "country": "SN", "operator": "WAVE", "method": "MERCHANT" }]),
                json!([{ "country": "CI", "phone": "0707070707" }]),
            ),
        )
        .expect("the seed token is created");
    let alpha = created["token"]["id"].as_str().expect("id").to_owned();
    let secret = created["secret"].as_str().expect("secret").to_owned();
    let revoked = harness
        .invoke(
            "create_token",
            request("Bravo", days(30), ci_om(), json!([])),
        )
        .expect("a second token");
    let bravo = revoked["token"]["id"].as_str().expect("id").to_owned();
    harness
        .invoke("revoke_token", json!({ "id": bravo }))
        .expect("revoked");
    (alpha, bravo, secret)
}

fn corpus(alpha: &str, bravo: &str, secret: &str) -> Vec<Case> {
    use Expect::{Denied, Error, ErrorOneOf};
    // A JSON value of the wrong type, or a missing argument, is refused by Tauri's argument
    // decoding before the command runs; the shell turns that into kind `invalid_args` too.
    const BAD_ARGS: &[&str] = &["invalid_args"];
    let unknown = "0190b7c3-0000-7000-8000-000000000000";
    let full_width_taken =
        "\u{ff10}\u{ff17}\u{ff10}\u{ff17}\u{ff10}\u{ff17}\u{ff10}\u{ff17}\u{ff10}\u{ff17}";
    vec![
        case("create: empty name", "create_token", request("", days(30), ci_om(), json!([])), Error("invalid_name")),
        case("create: blank name", "create_token", request("   ", days(30), ci_om(), json!([])), Error("invalid_name")),
        case("create: 10,000-character name", "create_token", request(&"n".repeat(10_000), days(30), ci_om(), json!([])), Error("invalid_name")),
        case("create: control character in name", "create_token", request("shop\u{7}bell", days(30), ci_om(), json!([])), Error("invalid_name")),
        case("create: newline in name", "create_token", request("shop\ncheckout", days(30), ci_om(), json!([])), Error("invalid_name")),
        case("create: RTL override in name", "create_token", request("shop\u{202e}tuokcehc", days(30), ci_om(), json!([])), Error("invalid_name")),
        case("create: name taken (other case)", "create_token", request("ALPHA", days(30), ci_om(), json!([])), Error("name_taken")),
        case("create: 10,000-character description", "create_token",
             json!({ "request": { "name": "Desc", "description": "d".repeat(10_000), "expiry": days(30),
                                  "composition": ci_om(), "numbers": [] } }), Error("invalid_description")),
        case("create: expiry date in the past", "create_token", request("Past", json!({ "kind": "date", "date": "2020-01-01" }), ci_om(), json!([])), Error("invalid_expiry")),
        case("create: expiry of 0 days", "create_token", request("Zero", days(0), ci_om(), json!([])), Error("invalid_expiry")),
        case("create: expiry of -5 days", "create_token", request("Negative", days(-5), ci_om(), json!([])), ErrorOneOf(&["invalid_expiry", "invalid_args"])),
        case("create: expiry date 2026-02-30", "create_token", request("Feb30", json!({ "kind": "date", "date": "2026-02-30" }), ci_om(), json!([])), ErrorOneOf(&["invalid_expiry", "invalid_args"])),
        case("create: expiry of an unknown kind", "create_token", request("Weeks", json!({ "kind": "weeks", "weeks": 2 }), ci_om(), json!([])), ErrorOneOf(&["invalid_expiry", "invalid_args"])),
        case("create: empty composition", "create_token", request("Empty", days(30), json!([]), json!([])), Error("empty_composition")),
        case("create: unknown country", "create_token", request("ZZ", days(30), json!([{ "country": "ZZ", "operator": "OM", "method": "MERCHANT" }]), json!([])), Error("not_in_catalog")),
        case("create: unknown operator", "create_token", request("XX", days(30), json!([{ "country": "CI", "operator": "XX", "method": "MERCHANT" }]), json!([])), Error("not_in_catalog")),
        case("create: unknown method", "create_token", request("Refund", days(30), json!([{ "country": "CI", "operator": "OM", "method": "REFUND" }]), json!([])), ErrorOneOf(&["not_in_catalog", "invalid_args"])),
        case("create: number of a country outside the composition", "create_token", request("Wrong country", days(30), ci_om(), json!([{ "country": "SN", "phone": "771234567" }])), ErrorOneOf(&["country_not_in_composition", "invalid_phone"])),
        case("create: number of another country's format", "create_token", request("Senegal number", days(30), ci_om(), json!([{ "country": "CI", "phone": "+221771234567" }])), Error("invalid_phone")),
        case("create: number too short", "create_token", request("Short", days(30), ci_om(), json!([{ "country": "CI", "phone": "0707" }])), Error("invalid_phone")),
        case("create: number with an extension", "create_token", request("Extension", days(30), ci_om(), json!([{ "country": "CI", "phone": "0707070708 ext. 12" }])), Error("invalid_phone")),
        case("create: letters for a number", "create_token", request("Letters", days(30), ci_om(), json!([{ "country": "CI", "phone": "call me" }])), Error("invalid_phone")),
        case("create: full-width digits of a taken number", "create_token", request("Full width", days(30), ci_om(), json!([{ "country": "CI", "phone": full_width_taken }])), ErrorOneOf(&["number_taken", "invalid_phone"])),
        case("create: number taken by another token", "create_token", request("Taken", days(30), ci_om(), json!([{ "country": "CI", "phone": "07 07 07 07 07" }])), Error("number_taken")),
        case("update: unknown id", "update_token", json!({ "id": unknown, "changes": { "name": "New" } }), Error("not_found")),
        case("update: empty name", "update_token", json!({ "id": alpha, "changes": { "name": "" } }), Error("invalid_name")),
        case("update: expiry in the past", "update_token", json!({ "id": alpha, "changes": { "expiry": { "kind": "date", "date": "2001-09-09" } } }), Error("invalid_expiry")),
        case("update: revoked token", "update_token", json!({ "id": bravo, "changes": { "description": "again" } }), Error("token_revoked")),
        case("set_composition: unknown id", "set_composition", json!({ "id": unknown, "composition": ci_om(), "confirmRemoveNumbers": false }), Error("not_found")),
        case("set_composition: empty", "set_composition", json!({ "id": alpha, "composition": [], "confirmRemoveNumbers": true }), Error("empty_composition")),
        case("set_composition: unknown operator", "set_composition", json!({ "id": alpha, "composition": [{ "country": "CI", "operator": "NOPE", "method": "MERCHANT" }], "confirmRemoveNumbers": true }), Error("not_in_catalog")),
        case("set_composition: dropping a country with numbers unconfirmed", "set_composition", json!({ "id": alpha, "composition": [{ "country": "SN", "operator": "WAVE", "method": "MERCHANT" }], "confirmRemoveNumbers": false }), Error("country_has_numbers")),
        case("set_composition: revoked token", "set_composition", json!({ "id": bravo, "composition": ci_om(), "confirmRemoveNumbers": false }), Error("token_revoked")),
        case("add_number: unknown id", "add_number", json!({ "id": unknown, "country": "CI", "phone": "0707070799" }), Error("not_found")),
        case("add_number: not a number", "add_number", json!({ "id": alpha, "country": "CI", "phone": "+-+-" }), Error("invalid_phone")),
        case("add_number: already on this token", "add_number", json!({ "id": alpha, "country": "CI", "phone": "+2250707070707" }), Error("number_taken")),
        case("add_number: country outside the composition", "add_number", json!({ "id": alpha, "country": "ML", "phone": "+22370123456" }), ErrorOneOf(&["country_not_in_composition", "invalid_phone", "not_in_catalog"])),
        case("add_number: revoked token", "add_number", json!({ "id": bravo, "country": "CI", "phone": "0707070798" }), Error("token_revoked")),
        case("set_number_enabled: unknown id", "set_number_enabled", json!({ "id": unknown, "number": "+2250707070707", "enabled": false }), Error("not_found")),
        case("set_number_enabled: number not on the token", "set_number_enabled", json!({ "id": alpha, "number": "+2250101010101", "enabled": false }), Error("number_not_found")),
        case("remove_number: unknown id", "remove_number", json!({ "id": unknown, "number": "+2250707070707" }), Error("not_found")),
        case("remove_number: number not on the token", "remove_number", json!({ "id": alpha, "number": "+2250101010101" }), Error("number_not_found")),
        case("revoke: unknown id", "revoke_token", json!({ "id": unknown }), Error("not_found")),
        case("revoke: an id that is a SQL wildcard", "revoke_token", json!({ "id": "%" }), Error("not_found")),
        case("get_token: unknown id", "get_token", json!({ "id": unknown }), Error("not_found")),
        case("get_token: 10,000-character id with control characters", "get_token", json!({ "id": format!("\u{1b}[31m{}", "x".repeat(10_000)) }), Error("not_found")),
        case("token_history: unknown id", "token_history", json!({ "id": unknown }), Error("not_found")),
        case("authorize: garbage secret", "authorize", json!({ "request": { "secret": "not a token", "country": "CI", "operator": "OM", "method": "MERCHANT", "phone": null } }), Denied("malformed")),
        case("authorize: empty secret", "authorize", json!({ "request": { "secret": "", "country": "CI", "operator": "OM", "method": "MERCHANT", "phone": null } }), Denied("malformed")),
        case("authorize: truncated secret", "authorize", json!({ "request": { "secret": &secret[..secret.len() - 3], "country": "CI", "operator": "OM", "method": "MERCHANT", "phone": null } }), Denied("malformed")),
        case("authorize: secret padded with characters", "authorize", json!({ "request": { "secret": format!("{secret}=="), "country": "CI", "operator": "OM", "method": "MERCHANT", "phone": null } }), Denied("malformed")),
        case("authorize: secret padded with a zero-width space", "authorize", json!({ "request": { "secret": format!("\u{200b}{secret}"), "country": "CI", "operator": "OM", "method": "MERCHANT", "phone": null } }), Denied("malformed")),
        case("authorize: one character changed", "authorize", json!({ "request": { "secret": format!("{}{}", &secret[..10], if &secret[10..11] == "A" { "B" } else { "A" }) + &secret[11..], "country": "CI", "operator": "OM", "method": "MERCHANT", "phone": null } }), Denied("malformed")),
        case("import_catalog: malformed JSON", "import_catalog", json!({ "json": "{ \"version\": " }), Error("invalid_catalog")),
        case("import_catalog: unknown field", "import_catalog", json!({ "json": catalog_with(|catalog| { catalog["surprise"] = json!(true); }) }), Error("invalid_catalog")),
        case("import_catalog: duplicate country", "import_catalog", json!({ "json": catalog_with(|catalog| {
            let first = catalog["countries"][0].clone();
            catalog["countries"].as_array_mut().expect("countries").push(first);
        }) }), Error("invalid_catalog")),
        case("import_catalog: empty text", "import_catalog", json!({ "json": "" }), Error("invalid_catalog")),
        case("update_settings: clipboard delay 4 s", "update_settings", json!({ "settings": { "clipboard_clear_secs": 4, "default_duration_days": 30, "language": "en", "theme": "light" } }), Error("invalid_settings")),
        case("update_settings: clipboard delay 301 s", "update_settings", json!({ "settings": { "clipboard_clear_secs": 301, "default_duration_days": 30, "language": "en", "theme": "light" } }), Error("invalid_settings")),
        case("update_settings: default duration 45 days", "update_settings", json!({ "settings": { "clipboard_clear_secs": 30, "default_duration_days": 45, "language": "en", "theme": "light" } }), Error("invalid_settings")),
        case("update_settings: unknown language", "update_settings", json!({ "settings": { "clipboard_clear_secs": 30, "default_duration_days": 30, "language": "de", "theme": "light" } }), ErrorOneOf(&["invalid_settings", "invalid_args"])),
        case("wrong type: a number for the name", "create_token", request("x", days(30), ci_om(), json!([])).as_object().map(|_| json!({ "request": { "name": 42, "description": "", "expiry": days(30), "composition": ci_om(), "numbers": [] } })).unwrap_or_default(), ErrorOneOf(BAD_ARGS)),
        case("wrong type: a number for the id", "get_token", json!({ "id": 42 }), ErrorOneOf(BAD_ARGS)),
        case("wrong type: a string for a boolean", "set_number_enabled", json!({ "id": alpha, "number": "+2250707070707", "enabled": "no" }), ErrorOneOf(BAD_ARGS)),
        case("wrong type: an object for the composition", "set_composition", json!({ "id": alpha, "composition": { "CI": "OM" }, "confirmRemoveNumbers": true }), ErrorOneOf(BAD_ARGS)),
        case("missing argument: no phone", "add_number", json!({ "id": alpha, "country": "CI" }), ErrorOneOf(BAD_ARGS)),
        case("missing argument: no request", "create_token", json!({}), ErrorOneOf(BAD_ARGS)),
        case("missing field: no composition", "create_token", json!({ "request": { "name": "No composition", "description": "", "expiry": days(30), "numbers": [] } }), ErrorOneOf(BAD_ARGS)),
        case("wrong type: a string for the clipboard delay", "update_settings", json!({ "settings": { "clipboard_clear_secs": "30", "default_duration_days": 30, "language": "en", "theme": "light" } }), ErrorOneOf(BAD_ARGS)),
        case("restore_backup: a path outside the backups folder", "restore_backup", json!({ "file": "../tokens.db" }), Error("not_found")),
    ]
}

/// Tauri refuses arguments it cannot decode before the command runs, with a plain string
/// ("invalid args `request` for command `create_token`: ..."), not our `{kind, message, field}`;
/// ui/api.js turns that string into `{kind: "invalid_args", message, field: <argument>}`. This is
/// the same rule, so the corpus checks what the UI receives.
fn as_api_error(error: Value) -> Value {
    let Value::String(text) = &error else {
        return error;
    };
    let argument = text
        .strip_prefix("invalid args `")
        .and_then(|rest| rest.split('`').next());
    match argument {
        Some(argument) => json!({ "kind": "invalid_args", "message": text, "field": argument }),
        None => json!({ "kind": "internal", "message": text, "field": null }),
    }
}

fn catalog_with(change: impl FnOnce(&mut Value)) -> String {
    let mut catalog = serde_json::to_value(&*clapay_core::Catalog::embedded()).expect("catalog");
    change(&mut catalog);
    catalog.to_string()
}

#[test]
fn bad_input_to_every_command_is_refused_in_words_and_changes_nothing() {
    let dir = ScanDir::new();
    let harness = harness(dir.path());
    let (alpha, bravo, secret) = seed(&harness);
    let db = harness.paths.db.clone();
    let cases = corpus(&alpha, &bravo, &secret);
    let mut changed = Vec::new();
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    for case in &cases {
        let before = dump(&db);
        let catalog_before = std::fs::read(&harness.paths.catalog).ok();
        let settings_before = std::fs::read(&harness.paths.settings).ok();
        let answer = harness
            .invoke(case.command, case.args.clone())
            .map_err(as_api_error);
        let what = &case.what;
        let kind = match &answer {
            Ok(_) => "denied".to_owned(),
            Err(error) => error["kind"].as_str().unwrap_or_default().to_owned(),
        };
        *by_kind.entry(kind).or_default() += 1;
        match (&case.expect, &answer) {
            (Expect::Error(kind), Err(error)) => {
                assert_eq!(error["kind"], *kind, "{what}: {error}");
                check_message(what, error);
            }
            (Expect::ErrorOneOf(kinds), Err(error)) => {
                assert!(
                    kinds.contains(&error["kind"].as_str().unwrap_or_default()),
                    "{what}: kind in {kinds:?}: {error}"
                );
                check_message(what, error);
            }
            (Expect::Denied(reason), Ok(decision)) => {
                assert_eq!(decision["allowed"], false, "{what}: {decision}");
                assert_eq!(decision["reason"], *reason, "{what}: {decision}");
            }
            (_, answer) => panic!("{what}: unexpected answer {answer:?}"),
        }
        let mut after = dump(&db);
        let mut before = before;
        if matches!(case.expect, Expect::Denied(_)) {
            // A check counts as a use: a denial may append `denied` events, nothing else.
            let old = before.remove("history").unwrap_or_default();
            let new = after.remove("history").unwrap_or_default();
            let added: Vec<&String> = new.iter().filter(|row| !old.contains(row)).collect();
            assert!(
                old.iter().all(|row| new.contains(row))
                    && added.iter().all(|row| row.contains("\"denied\"")),
                "{what}: only denied events are added to the history: {added:?}"
            );
        }
        if before != after {
            changed.push(what.clone());
        }
        assert_eq!(
            std::fs::read(&harness.paths.catalog).ok(),
            catalog_before,
            "{what}: the imported catalog file is unchanged"
        );
        assert_eq!(
            std::fs::read(&harness.paths.settings).ok(),
            settings_before,
            "{what}: the settings file is unchanged"
        );
    }
    assert!(
        changed.is_empty(),
        "these cases changed the database: {changed:?}"
    );
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    let line = format!(
        "bad input corpus (tauri commands): {} cases, {} changed the database",
        cases.len(),
        changed.len()
    );
    eprintln!("answers by kind: {by_kind:?}");
    eprintln!("{line}");
    if let Some(figures) = std::env::var_os("CLAPAY_TEST_FIGURES") {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(figures)
            .expect("the figures file is writable");
        writeln!(file, "{line}").expect("write the figures line");
    }
}
