//! Environments, roll with a grace period, end-grace, duplicate and expiring, through the binary.

use crate::support::{assert_rejected, code, json, record_secret, stderr, stdout, TestDb};

const ALLOW: &[&str] = &["--allow", "CI:OM:MERCHANT", "--allow", "SN:WAVE:MERCHANT"];

#[test]
fn sandbox_tokens_have_test_secrets_and_are_listed_apart() {
    let db = TestDb::new();
    let mut args = ALLOW.to_vec();
    args.extend(["--environment", "sandbox"]);
    let sandbox = db.create("test-shop", &args);
    let live = db.create("live-shop", ALLOW);
    assert!(
        sandbox.starts_with("clp_test_") && sandbox.len() == 58,
        "a sandbox secret says so"
    );
    assert!(live.starts_with("clp_live_"), "live is the default");
    let names = |environment: &str| -> Vec<String> {
        let output = db.run(&["--json", "list", "--environment", environment]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        json(&output)["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|item| item["name"].as_str().expect("name").to_string())
            .collect()
    };
    assert_eq!(names("sandbox"), ["test-shop"]);
    assert_eq!(names("live"), ["live-shop"]);
    assert_eq!(db.show("test-shop")["environment"], "sandbox");
    let table = stdout(&db.run(&["list"]));
    assert!(
        table.contains("ENV") && table.contains("sandbox"),
        "{table}"
    );
    let export = json(&db.run(&["--json", "export"]));
    let environments: Vec<&str> = export["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .map(|token| token["environment"].as_str().expect("environment"))
        .collect();
    assert_eq!(environments.len(), 2);
    assert!(environments.contains(&"sandbox") && environments.contains(&"live"));
}

#[test]
fn roll_prints_the_new_secret_alone_and_the_old_one_works_until_the_grace_ends() {
    let db = TestDb::new();
    let mut args = ALLOW.to_vec();
    args.extend(["--number", "CI:0707070707"]);
    let old = db.create("shop", &args);

    let output = db.run(&["roll", "shop", "--grace", "24h"]);
    assert_eq!(code(&output), 0, "roll: {}", stderr(&output));
    let new = stdout(&output).trim().to_string();
    record_secret(&new);
    assert!(
        new.starts_with("clp_live_") && new.len() == 58,
        "the secret alone on stdout"
    );
    assert_ne!(new, old);
    let note = stderr(&output);
    assert!(
        note.contains("keeps working until") && !note.contains(&new),
        "{note}"
    );

    // Both secrets pay during the grace; the numbers went to the successor.
    for secret in [&old, &new] {
        let (exit, decision) = db.authorize(secret, "CI", "OM", "MERCHANT", Some("0707070707"));
        assert_eq!(exit, 0, "{decision}");
    }
    let successor = db.show("shop");
    assert_eq!(successor["numbers"].as_array().map(Vec::len), Some(1));
    let previous_id = successor["rolled_from"]["id"]
        .as_str()
        .expect("rolled_from")
        .to_string();
    let previous = db.show(&previous_id);
    assert_eq!(previous["status"], "ROLLING");
    assert_eq!(previous["rolled_to"], successor["id"]);
    assert!(previous["grace_ends_at"].is_string(), "{previous}");
    assert!(previous["name"]
        .as_str()
        .is_some_and(|name| name.starts_with("shop (rolled ")));
    let shown = stdout(&db.run(&["show", &previous_id]));
    assert!(
        shown.contains("Rolled to:") && shown.contains("grace ends"),
        "{shown}"
    );

    // End now: the old secret is denied `rolled` (exit 3), the new one still pays.
    let output = db.run(&["end-grace", &previous_id]);
    assert_eq!(code(&output), 0, "end-grace: {}", stderr(&output));
    let (exit, decision) = db.authorize(&old, "CI", "OM", "MERCHANT", Some("0707070707"));
    assert_eq!(
        (exit, decision["reason"].as_str()),
        (3, Some("rolled")),
        "{decision}"
    );
    let (exit, _) = db.authorize(&new, "CI", "OM", "MERCHANT", Some("0707070707"));
    assert_eq!(exit, 0);
    let history = json(&db.run(&["--json", "history", &previous_id]));
    let kinds: Vec<&str> = history
        .as_array()
        .expect("events")
        .iter()
        .map(|event| event["kind"].as_str().expect("kind"))
        .collect();
    assert!(
        kinds.contains(&"rolled") && kinds.contains(&"grace_ended"),
        "{kinds:?}"
    );

    // A leaked secret: roll with no grace, the old one stops at once.
    let output = db.run(&["--json", "roll", "shop", "--grace", "now"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let rolled = json(&output);
    let newest = rolled["secret"]
        .as_str()
        .expect("secret in the JSON")
        .to_string();
    record_secret(&newest);
    let (exit, decision) = db.authorize(&new, "CI", "OM", "MERCHANT", Some("0707070707"));
    assert_eq!((exit, decision["reason"].as_str()), (3, Some("rolled")));
}

#[test]
fn duplicate_copies_the_token_but_not_its_numbers() {
    let db = TestDb::new();
    let mut args = ALLOW.to_vec();
    args.extend([
        "--number",
        "CI:0707070707",
        "--environment",
        "sandbox",
        "--expires-in-days",
        "60",
    ]);
    db.create("shop", &args);
    let output = db.run(&["duplicate", "shop"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let secret = stdout(&output).trim().to_string();
    record_secret(&secret);
    assert!(secret.starts_with("clp_test_"), "the environment is copied");
    assert!(
        stderr(&output).contains("numbers were not copied"),
        "{}",
        stderr(&output)
    );
    let copy = db.show("shop (copy)");
    assert_eq!(copy["numbers"].as_array().map(Vec::len), Some(0));
    assert_eq!(copy["composition"], db.show("shop")["composition"]);
    let output = db.run(&["duplicate", "shop", "--name", "shop-2"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    record_secret(stdout(&output).trim());
    assert_eq!(db.show("shop-2")["environment"], "sandbox");
}

#[test]
fn expiring_lists_the_tokens_that_expire_soon() {
    let db = TestDb::new();
    let mut soon = ALLOW.to_vec();
    soon.extend(["--expires-in-days", "3"]);
    db.create("soon", &soon);
    let mut later = ALLOW.to_vec();
    later.extend(["--expires-in-days", "20"]);
    db.create("later", &later);
    let mut never = ALLOW.to_vec();
    never.push("--no-expiry");
    db.create("never", &never);

    let names = |days: &str| -> Vec<String> {
        let output = db.run(&["--json", "expiring", "--within-days", days]);
        assert_eq!(
            code(&output),
            0,
            "exit 0 for a cron job: {}",
            stderr(&output)
        );
        json(&output)
            .as_array()
            .expect("tokens")
            .iter()
            .map(|token| token["name"].as_str().expect("name").to_string())
            .collect()
    };
    assert_eq!(names("7"), ["soon"]);
    assert_eq!(names("30"), ["soon", "later"]);
    let output = db.run(&["expiring"]);
    assert_eq!(code(&output), 0);
    assert!(stdout(&output).contains("soon") && stderr(&output).contains("roll"));
    let listed = json(&db.run(&["--json", "list", "--status", "expiring"]));
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["expiring"], true);
}

#[test]
fn a_rejected_roll_or_duplicate_changes_nothing() {
    let db = TestDb::new();
    db.create("shop", ALLOW);
    db.create("other", ALLOW);
    let before = db.dump();
    let output = db.run(&["roll", "shop", "--grace", "forever"]);
    assert_rejected(&output, "invalid value 'forever'", "an unknown grace");
    let output = db.run(&["duplicate", "shop", "--name", "other"]);
    assert_rejected(&output, "already exists", "a taken name");
    assert_eq!(db.dump(), before, "the database is unchanged");
}
