//! The whole life of a token through the CLI: create, list, show, compose, numbers, authorize
//! (allowed and every denial reason), revoke, history, export; and no secret left anywhere.

use crate::support::{assert_rejected, code, contains_bytes, json, stderr, stdout, TestDb};

/// Every stderr text the test saw, to search for secrets at the end.
#[derive(Default)]
struct Transcript {
    stderr: String,
}

impl Transcript {
    fn keep(&mut self, output: &std::process::Output) -> std::process::Output {
        self.stderr.push_str(&stderr(output));
        output.clone()
    }
}

fn countries(token: &serde_json::Value) -> Vec<String> {
    token["composition"]
        .as_array()
        .expect("composition cards")
        .iter()
        .map(|card| card["country"].as_str().expect("country").to_string())
        .collect()
}

fn methods(token: &serde_json::Value, country: &str, operator: &str) -> Vec<String> {
    token["composition"]
        .as_array()
        .expect("cards")
        .iter()
        .filter(|card| card["country"] == country)
        .flat_map(|card| card["operators"].as_array().expect("operators").clone())
        .filter(|entry| entry["operator"] == operator)
        .flat_map(|entry| entry["methods"].as_array().expect("methods").clone())
        .map(|method| method.as_str().expect("method").to_string())
        .collect()
}

fn number_state(token: &serde_json::Value, number: &str) -> Option<bool> {
    token["numbers"]
        .as_array()
        .expect("numbers")
        .iter()
        .find(|entry| entry["number"] == number)
        .map(|entry| entry["enabled"] == true)
}

fn assert_denied(
    db: &TestDb,
    transcript: &mut Transcript,
    secret: &str,
    request: (&str, &str, &str, Option<&str>),
    reason: &str,
) {
    let (country, operator, method, phone) = request;
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
    let output = transcript.keep(&db.run_with_stdin(&args, &format!("{secret}\n")));
    assert_eq!(
        code(&output),
        3,
        "a denied payment exits 3 ({reason}); stderr: {}",
        stderr(&output)
    );
    let decision = json(&output);
    assert_eq!(decision["allowed"], false, "denied: {decision}");
    assert_eq!(
        decision["reason"], reason,
        "the stable reason code is in the JSON: {decision}"
    );
    assert!(
        decision["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Denied")),
        "a sentence explains it: {decision}"
    );
}

fn assert_allowed(db: &TestDb, secret: &str, request: (&str, &str, &str, Option<&str>), why: &str) {
    let (country, operator, method, phone) = request;
    let (exit, decision) = db.authorize(secret, country, operator, method, phone);
    assert_eq!(exit, 0, "{why}: allowed exits 0: {decision}");
    assert_eq!(decision["allowed"], true, "{why}: {decision}");
    assert!(
        decision["reason"].is_null(),
        "{why}: no reason when allowed: {decision}"
    );
}

#[test]
fn full_life_cycle_of_a_token() {
    let db = TestDb::new();
    let mut transcript = Transcript::default();
    let mut secrets = Vec::new();

    // Create with two countries and a number in each.
    let output = transcript.keep(&db.run(&[
        "create",
        "--name",
        "shop-a",
        "--description",
        "Checkout of shop A",
        "--expires-in-days",
        "30",
        "--allow",
        "CI:OM:MERCHANT+CASHIN",
        "--allow",
        "SN:WAVE:*",
        "--number",
        "CI:0707070707",
        "--number",
        "SN:771234567",
    ]));
    assert_eq!(code(&output), 0, "create succeeds: {}", stderr(&output));
    let secret = stdout(&output).trim().to_string();
    secrets.push(secret.clone());
    assert!(
        stderr(&output).contains("Created token 'shop-a'"),
        "a person is told: {}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("will not be shown again"),
        "and warned: {}",
        stderr(&output)
    );

    // List, as JSON and as a table.
    let output = transcript.keep(&db.run(&["--json", "list"]));
    assert_eq!(code(&output), 0);
    let page = json(&output);
    assert_eq!(page["total"], 1, "one token: {page}");
    assert_eq!(page["items"][0]["name"], "shop-a");
    assert_eq!(
        page["items"][0]["countries"],
        serde_json::json!(["CI", "SN"]),
        "both countries listed"
    );
    assert_eq!(page["items"][0]["number_count"], 2);
    let output = transcript.keep(&db.run(&["list"]));
    let table = stdout(&output);
    for expected in [
        "NAME",
        "STATUS",
        "shop-a",
        "ACTIVE",
        "CI SN",
        "Checkout of shop A",
    ] {
        assert!(
            table.contains(expected),
            "the table shows {expected}: {table}"
        );
    }

    // Show: all fields, composition per country, numbers.
    let output = transcript.keep(&db.run(&["show", "shop-a"]));
    let shown = stdout(&output);
    for expected in [
        "shop-a",
        "ACTIVE",
        "Côte d'Ivoire",
        "Orange Money",
        "MERCHANT, CASHIN",
        "Senegal",
        "Wave",
        "+225 07",
        "+221 77",
        "enabled",
        "clp_live_…",
    ] {
        assert!(shown.contains(expected), "show prints {expected}: {shown}");
    }
    let token = db.show("shop-a");
    let id = token["id"].as_str().expect("id").to_string();
    assert_eq!(
        db.show(&id)["name"],
        "shop-a",
        "an id works wherever a name does"
    );
    assert_eq!(
        methods(&token, "SN", "WAVE").len(),
        3,
        "'*' is every method Wave offers in Senegal"
    );

    // Compose: add Mali, remove one method, then a country that has numbers.
    let output = transcript.keep(&db.run(&["compose", "shop-a", "--allow", "ML:OM:MERCHANT"]));
    assert_eq!(code(&output), 0, "adding Mali: {}", stderr(&output));
    assert_eq!(
        countries(&db.show("shop-a")),
        ["CI", "ML", "SN"],
        "Mali added"
    );
    let output = transcript.keep(&db.run(&["compose", "shop-a", "--remove", "CI:OM:CASHIN"]));
    assert_eq!(code(&output), 0, "removing a method: {}", stderr(&output));
    assert_eq!(
        methods(&db.show("shop-a"), "CI", "OM"),
        ["MERCHANT"],
        "CASHIN removed, MERCHANT kept"
    );

    let before = db.dump();
    let output = transcript.keep(&db.run(&["compose", "shop-a", "--remove", "SN"]));
    assert_rejected(
        &output,
        "SN still has 1 whitelisted number",
        "removing a country with numbers needs confirmation",
    );
    assert!(
        stderr(&output).contains("--with-numbers"),
        "the message names the flag: {}",
        stderr(&output)
    );
    assert_eq!(db.dump(), before, "a refused compose changes nothing");
    let output =
        transcript.keep(&db.run(&["compose", "shop-a", "--remove", "SN", "--with-numbers"]));
    assert_eq!(code(&output), 0, "confirmed removal: {}", stderr(&output));
    let token = db.show("shop-a");
    assert_eq!(countries(&token), ["CI", "ML"], "Senegal removed");
    assert_eq!(
        number_state(&token, "+221771234567"),
        None,
        "its number went with it"
    );

    // Several changes in one command are applied together.
    let output = transcript.keep(&db.run(&[
        "compose",
        "shop-a",
        "--allow",
        "CI:MTN:CASHOUT",
        "--remove",
        "ML",
    ]));
    assert_eq!(code(&output), 0, "combined compose: {}", stderr(&output));
    let token = db.show("shop-a");
    assert_eq!(countries(&token), ["CI"], "Mali removed");
    assert_eq!(
        methods(&token, "CI", "MTN"),
        ["CASHOUT"],
        "MTN CASHOUT added"
    );
    let output = transcript.keep(&db.run(&["compose", "shop-a", "--allow", "ML:OM:MERCHANT"]));
    assert_eq!(code(&output), 0, "Mali back for the denial tests below");

    // Numbers: a second CI number, then disable / enable / remove.
    let output = transcript.keep(&db.run(&["numbers", "add", "shop-a", "CI", "05 05 05 05 05"]));
    assert_eq!(code(&output), 0, "add a number: {}", stderr(&output));
    assert_eq!(
        number_state(&db.show("shop-a"), "+2250505050505"),
        Some(true),
        "stored in E.164, enabled"
    );
    let output = transcript.keep(&db.run(&["numbers", "disable", "shop-a", "+2250707070707"]));
    assert_eq!(code(&output), 0, "disable: {}", stderr(&output));
    assert_eq!(
        number_state(&db.show("shop-a"), "+2250707070707"),
        Some(false),
        "disabled, still listed"
    );
    let output = transcript.keep(&db.run(&["numbers", "list", "shop-a"]));
    assert!(
        stdout(&output).contains("disabled"),
        "numbers list shows the state: {}",
        stdout(&output)
    );

    // Authorize: allowed, then each denial reason.
    assert_allowed(
        &db,
        &secret,
        ("CI", "OM", "MERCHANT", Some("0505050505")),
        "a whitelisted, enabled number",
    );
    assert_allowed(
        &db,
        &secret,
        ("ML", "OM", "MERCHANT", None),
        "Mali has no numbers: no phone restriction",
    );
    assert_denied(
        &db,
        &mut transcript,
        "clp_not-a-token",
        ("CI", "OM", "MERCHANT", None),
        "malformed",
    );
    let elsewhere = TestDb::new();
    let foreign = elsewhere.create("other-registry", &["--allow", "CI:OM:MERCHANT"]);
    secrets.push(foreign.clone());
    assert_denied(
        &db,
        &mut transcript,
        &foreign,
        ("CI", "OM", "MERCHANT", None),
        "unknown",
    );
    assert_denied(
        &db,
        &mut transcript,
        &secret,
        ("GH", "MTN", "MERCHANT", None),
        "country_not_allowed",
    );
    assert_denied(
        &db,
        &mut transcript,
        &secret,
        ("CI", "MOOV", "MERCHANT", None),
        "operator_not_allowed",
    );
    assert_denied(
        &db,
        &mut transcript,
        &secret,
        ("CI", "OM", "CASHOUT", None),
        "method_not_allowed",
    );
    assert_denied(
        &db,
        &mut transcript,
        &secret,
        ("CI", "OM", "MERCHANT", None),
        "phone_required",
    );
    assert_denied(
        &db,
        &mut transcript,
        &secret,
        ("CI", "OM", "MERCHANT", Some("0101010101")),
        "phone_not_whitelisted",
    );
    assert_denied(
        &db,
        &mut transcript,
        &secret,
        ("CI", "OM", "MERCHANT", Some("0707070707")),
        "phone_disabled",
    );

    let expired = db.create(
        "old-token",
        &["--allow", "CI:OM:MERCHANT", "--expires-in-days", "7"],
    );
    secrets.push(expired.clone());
    {
        // The only honest way to an expired token without waiting: move its expiry into the past
        // (just after its creation, which the schema's CHECK requires).
        let connection = rusqlite::Connection::open(&db.path).expect("open");
        let changed = connection
            .execute(
                "UPDATE tokens SET expires_at = created_at + 1 WHERE name = 'old-token'",
                [],
            )
            .expect("expire");
        assert_eq!(changed, 1);
    }
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_denied(
        &db,
        &mut transcript,
        &expired,
        ("CI", "OM", "MERCHANT", None),
        "expired",
    );
    let output = transcript.keep(&db.run(&["--json", "list", "--status", "expired"]));
    assert_eq!(
        json(&output)["items"][0]["name"],
        "old-token",
        "the expired filter finds it"
    );

    let output = transcript.keep(&db.run(&["numbers", "enable", "shop-a", "07 07 07 07 07"]));
    assert_eq!(
        code(&output),
        0,
        "enable (national form accepted): {}",
        stderr(&output)
    );
    assert_allowed(
        &db,
        &secret,
        ("CI", "OM", "MERCHANT", Some("+225 07 07 07 07 07")),
        "re-enabled number",
    );
    let output = transcript.keep(&db.run(&["numbers", "remove", "shop-a", "+2250505050505"]));
    assert_eq!(code(&output), 0, "remove: {}", stderr(&output));
    assert_eq!(
        number_state(&db.show("shop-a"), "+2250505050505"),
        None,
        "removed"
    );
    let output = transcript.keep(&db.run(&["numbers", "remove", "shop-a", "+2250505050505"]));
    assert_rejected(
        &output,
        "is not whitelisted on this token",
        "removing it twice is an error",
    );

    // Revoke: it can no longer authorize, and stays in the registry.
    let output = transcript.keep(&db.run(&["revoke", "shop-a"]));
    assert_eq!(code(&output), 0, "revoke: {}", stderr(&output));
    assert!(
        stderr(&output).contains("Revoked token 'shop-a'"),
        "{}",
        stderr(&output)
    );
    assert_denied(
        &db,
        &mut transcript,
        &secret,
        ("CI", "OM", "MERCHANT", Some("0707070707")),
        "revoked",
    );
    let output = transcript.keep(&db.run(&["--json", "list", "--status", "revoked"]));
    assert_eq!(
        json(&output)["items"][0]["id"],
        id.as_str(),
        "revoked tokens are kept and filterable"
    );
    let output = transcript.keep(&db.run(&["--json", "list"]));
    assert_eq!(
        json(&output)["total"],
        1,
        "the default view hides revoked tokens (only old-token left)"
    );
    let output = transcript.keep(&db.run(&["numbers", "add", &id, "CI", "0707070707"]));
    assert_rejected(&output, "is revoked", "a revoked token cannot change");

    // History shows it all.
    let output = transcript.keep(&db.run(&["--json", "history", &id]));
    assert_eq!(code(&output), 0, "history: {}", stderr(&output));
    let kinds: Vec<String> = json(&output)
        .as_array()
        .expect("events")
        .iter()
        .map(|event| event["kind"].as_str().expect("kind").to_string())
        .collect();
    for expected in [
        "created",
        "composition_changed",
        "number_added",
        "number_disabled",
        "number_enabled",
        "number_removed",
        "used",
        "denied",
        "revoked",
    ] {
        assert!(
            kinds.iter().any(|kind| kind == expected),
            "history has {expected}: {kinds:?}"
        );
    }
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("created"),
        "newest first, the creation last"
    );
    let output = transcript.keep(&db.run(&["history", &id]));
    let table = stdout(&output);
    assert!(
        table.contains("WHEN") && table.contains("revoked") && table.contains("method_not_allowed"),
        "{table}"
    );

    // Export: every token, parseable, digests but no secret.
    let export_path = db.dir.path().join("export.json");
    let output = transcript.keep(&db.run(&[
        "export",
        "--output",
        export_path.to_str().expect("utf-8 path"),
    ]));
    assert_eq!(code(&output), 0, "export: {}", stderr(&output));
    let text = std::fs::read_to_string(&export_path).expect("export file");
    let document: serde_json::Value = serde_json::from_str(&text).expect("the export is JSON");
    assert_eq!(document["format_version"], 1);
    let tokens = document["tokens"].as_array().expect("tokens");
    assert_eq!(tokens.len(), 2, "all statuses are exported: {document}");
    for token in tokens {
        let digest = token["digest"].as_str().expect("digest");
        assert!(
            digest.len() == 64
                && digest
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
            "lowercase hex SHA-256: {digest}"
        );
        assert_eq!(token["digest_scheme"], "sha256-v1");
        assert!(
            token["triples"]
                .as_array()
                .is_some_and(|triples| !triples.is_empty()),
            "composition triples"
        );
        assert!(token["numbers"].is_array(), "numbers");
    }
    let output = db.run(&["export"]);
    assert_eq!(code(&output), 0);
    let on_stdout = stdout(&output);
    serde_json::from_str::<serde_json::Value>(&on_stdout).expect("export to stdout is JSON too");
    for secret in &secrets {
        assert!(
            !text.contains(secret.as_str()) && !on_stdout.contains(secret.as_str()),
            "the export never contains a secret"
        );
    }

    // No secret in any stderr, nor in the database files.
    for secret in &secrets {
        assert!(
            !transcript.stderr.contains(secret.as_str()),
            "a secret leaked to stderr"
        );
    }
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", db.path.display());
        if let Ok(bytes) = std::fs::read(&path) {
            for secret in &secrets {
                assert!(
                    !contains_bytes(&bytes, secret.as_bytes()),
                    "{path} must not contain a secret"
                );
            }
        }
    }
}
