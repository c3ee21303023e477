//! What `create` prints: the secret alone on stdout (so `SECRET=$(...)` works), JSON on request,
//! and the human message on stderr.

use predicates::prelude::*;

use crate::support::{code, json, stderr, stdout, TestDb};

#[test]
fn create_prints_exactly_one_line_the_secret_on_stdout() {
    let db = TestDb::new();
    db.cli()
        .args(["create", "--name", "shop-b", "--allow", "CI:OM:MERCHANT"])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"\Aclp_live_[0-9A-Za-z]{49}\n\z").expect("regex"))
        .stderr(predicate::str::contains("Store the secret now"));
}

#[test]
fn create_json_has_the_token_fields_and_the_secret() {
    let db = TestDb::new();
    let in_a_year = (chrono::Local::now().date_naive() + chrono::Days::new(365)).to_string();
    let output = db.run(&[
        "--json",
        "create",
        "--name",
        "json-token",
        "--allow",
        "CI:OM:MERCHANT",
        "--number",
        "CI:0707070707",
        "--expires-on",
        &in_a_year,
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let created = json(&output);
    for key in [
        "id",
        "secret",
        "hint",
        "expires_at",
        "composition",
        "numbers",
    ] {
        assert!(
            !created[key].is_null(),
            "create --json has '{key}': {created}"
        );
    }
    let secret = created["secret"].as_str().expect("secret");
    crate::support::record_secret(secret);
    assert!(
        secret.starts_with("clp_live_") && secret.len() == 58,
        "a well-formed secret"
    );
    assert!(
        !stderr(&output).contains(secret),
        "the secret is printed once, on stdout only"
    );
    assert_eq!(created["numbers"][0]["number"], "+2250707070707");
}

#[test]
fn allow_star_means_every_country_and_no_expiry_warns() {
    let db = TestDb::new();
    for (name, spec) in [("everything", "*"), ("everything-2", "*:*:*")] {
        let output = db.run(&[
            "--json",
            "create",
            "--name",
            name,
            "--allow",
            spec,
            "--no-expiry",
        ]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        let created = json(&output);
        assert!(
            created["composition"]
                .as_array()
                .is_some_and(|cards| cards.len() >= 10),
            "'{spec}' is every catalog country"
        );
        assert!(
            created["expires_at"].is_null(),
            "--no-expiry stores no expiry"
        );
        assert!(
            stderr(&output).contains("never expires"),
            "a person is warned: {}",
            stderr(&output)
        );
    }
}

#[test]
fn default_expiry_is_thirty_days() {
    let db = TestDb::new();
    db.create("default-expiry", &["--allow", "SN:WAVE:MERCHANT"]);
    let token = db.show("default-expiry");
    let created =
        chrono::DateTime::parse_from_rfc3339(token["created_at"].as_str().expect("created"))
            .expect("time");
    let expires =
        chrono::DateTime::parse_from_rfc3339(token["expires_at"].as_str().expect("expires"))
            .expect("time");
    assert_eq!(
        (expires - created).num_days(),
        30,
        "the desktop app's default duration"
    );
    let output = db.run(&["list"]);
    assert!(stdout(&output).contains("default-expiry"));
}
