//! Bad input: exit 2, one clear line, and the database left exactly as it was.

use crate::support::{assert_rejected, code, stderr, TestDb};

fn seeded() -> TestDb {
    let db = TestDb::new();
    db.create(
        "shop-a",
        &["--allow", "CI:OM:MERCHANT", "--number", "CI:0707070707"],
    );
    db
}

#[test]
fn number_taken_by_another_token_is_rejected_naming_the_holder() {
    let db = seeded();
    let before = db.dump();
    let output = db.run(&[
        "create",
        "--name",
        "shop-b",
        "--allow",
        "CI:OM:MERCHANT",
        "--number",
        "CI:07 07 07 07 07",
    ]);
    assert_rejected(
        &output,
        "+2250707070707 is already whitelisted on token 'shop-a' (ACTIVE)",
        "number taken at creation",
    );
    assert_eq!(db.dump(), before, "nothing was created");

    db.create("shop-b", &["--allow", "CI:OM:MERCHANT"]);
    let before = db.dump();
    let output = db.run(&["numbers", "add", "shop-b", "CI", "+2250707070707"]);
    assert_rejected(
        &output,
        "is already whitelisted on token 'shop-a' (ACTIVE)",
        "number taken when adding",
    );
    assert_eq!(db.dump(), before, "nothing was added");
}

#[test]
fn invalid_create_requests_leave_the_database_unchanged() {
    let db = seeded();
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["--name", "SHOP-A", "--allow", "CI:OM:MERCHANT"],
            "a token named 'shop-a' already exists",
            "duplicate name (case-insensitive)",
        ),
        (
            &["--name", "   ", "--allow", "CI:OM:MERCHANT"],
            "invalid name: the name is empty",
            "empty name",
        ),
        (
            &["--name", "x", "--allow", "ZZ:OM:MERCHANT"],
            "unknown country 'ZZ'",
            "unknown country",
        ),
        (
            &["--name", "x", "--allow", "CI:FOO:MERCHANT"],
            "has no operator 'FOO'",
            "unknown operator",
        ),
        (
            &["--name", "x", "--allow", "CI:OM:PAYIN"],
            "unknown payment method 'PAYIN'",
            "unknown method",
        ),
        (
            &[
                "--name",
                "x",
                "--allow",
                "CI:OM:MERCHANT",
                "--expires-on",
                "2027-02-30",
            ],
            "is not a date; use YYYY-MM-DD",
            "bad date",
        ),
        (
            &[
                "--name",
                "x",
                "--allow",
                "CI:OM:MERCHANT",
                "--expires-on",
                "2001-01-01",
            ],
            "2001-01-01 is in the past",
            "past date",
        ),
        (
            &[
                "--name",
                "x",
                "--allow",
                "CI:OM:MERCHANT",
                "--expires-in-days",
                "0",
            ],
            "must be 1 to 3650 days",
            "zero days",
        ),
        (
            &[
                "--name",
                "x",
                "--allow",
                "CI:OM:MERCHANT",
                "--number",
                "CI:1234",
            ],
            "'1234' is not a valid phone number for Côte d'Ivoire",
            "bad phone",
        ),
        (
            &[
                "--name",
                "x",
                "--allow",
                "CI:OM:MERCHANT",
                "--number",
                "SN:771234567",
            ],
            "SN is not in this token's composition",
            "number outside the composition",
        ),
        (
            &["--name", "x", "--allow", "*:OM:MERCHANT"],
            "name a country when you name an operator",
            "operator without a country",
        ),
    ];
    for (args, expected, why) in cases {
        let before = db.dump();
        let mut full = vec!["create"];
        full.extend_from_slice(args);
        let output = db.run(&full);
        assert_rejected(&output, expected, why);
        assert_eq!(db.dump(), before, "{why}: the database is unchanged");
    }
}

#[test]
fn errors_are_json_with_json() {
    let db = seeded();
    let output = db.run(&[
        "--json",
        "create",
        "--name",
        "shop-a",
        "--allow",
        "CI:OM:MERCHANT",
    ]);
    assert_eq!(code(&output), 2);
    let error: serde_json::Value = serde_json::from_slice(&output.stderr).expect("stderr is JSON");
    assert_eq!(error["error"]["kind"], "name_taken", "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("already exists")),
        "{error}"
    );
    assert!(output.stdout.is_empty(), "errors never go to stdout");

    let output = db.run(&["--json", "show", "no-such-token"]);
    assert_eq!(code(&output), 2, "not found is invalid input");
    let error: serde_json::Value = serde_json::from_slice(&output.stderr).expect("stderr is JSON");
    assert_eq!(error["error"]["kind"], "not_found");

    let output = db.run(&["--json", "list", "--bogus-flag"]);
    assert_eq!(code(&output), 2, "usage errors exit 2");
    let error: serde_json::Value =
        serde_json::from_slice(&output.stderr).expect("usage errors are JSON too with --json");
    assert_eq!(error["error"]["kind"], "usage");
}

#[test]
fn usage_errors_exit_2_and_unknown_tokens_are_named() {
    let db = seeded();
    let output = db.run(&["create", "--allow", "CI:OM:MERCHANT"]);
    assert_eq!(
        code(&output),
        2,
        "a missing --name is a usage error: {}",
        stderr(&output)
    );
    let output = db.run(&["create", "--name", "x"]);
    assert_eq!(code(&output), 2, "--allow is required: {}", stderr(&output));
    let output = db.run(&[
        "create",
        "--name",
        "x",
        "--allow",
        "CI",
        "--no-expiry",
        "--expires-in-days",
        "3",
    ]);
    assert_eq!(
        code(&output),
        2,
        "expiry flags are exclusive: {}",
        stderr(&output)
    );
    assert_rejected(
        &db.run(&["show", "nope"]),
        "no token has the id or name 'nope'",
        "unknown token",
    );
    assert_rejected(
        &db.run(&["compose", "shop-a", "--remove", "SN"]),
        "SN is not in this token's composition",
        "removing what is not there",
    );
    assert_rejected(
        &db.run(&["update", "shop-a"]),
        "nothing to change",
        "an update with no change",
    );
}

#[test]
fn authorize_refuses_an_empty_stdin_and_never_takes_a_secret_argument() {
    let db = seeded();
    let before = db.dump();
    let output = db.run_with_stdin(
        &[
            "authorize",
            "--country",
            "CI",
            "--operator",
            "OM",
            "--method",
            "MERCHANT",
        ],
        "\n",
    );
    assert_rejected(&output, "no token on standard input", "empty stdin");
    assert_eq!(db.dump(), before, "an empty check records nothing");
    let output = db.run(&[
        "authorize",
        "--country",
        "CI",
        "--operator",
        "OM",
        "--method",
        "MERCHANT",
        "--secret",
        "clp_x",
    ]);
    assert_eq!(
        code(&output),
        2,
        "there is no --secret flag: {}",
        stderr(&output)
    );
}

#[test]
fn update_changes_name_description_and_expiry() {
    let db = seeded();
    let output = db.run(&[
        "update",
        "shop-a",
        "--name",
        "shop-a2",
        "--description",
        "renamed",
        "--no-expiry",
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let token = db.show("shop-a2");
    assert_eq!(token["description"], "renamed");
    assert!(token["expires_at"].is_null(), "no expiry now");
    let before = db.dump();
    assert_rejected(
        &db.run(&["update", "shop-a2", "--expires-on", "1999-12-31"]),
        "in the past",
        "past expiry",
    );
    assert_eq!(db.dump(), before, "unchanged");
}
