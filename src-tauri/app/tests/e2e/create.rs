//! The three-step creation, checked in the database: the composition and numbers are stored, the
//! secret is not (nor in the WAL, the shared-memory file, the settings or the logs).

use crate::flows::{self, NewToken};
use crate::harness::{contains_bytes, read_or_empty, App, Context};

const TWO_COUNTRIES: NewToken<'static> = NewToken {
    name: "Abidjan and Dakar shops",
    description: "Checkout of the two West Africa shops",
    composition: &[
        (
            "CI",
            &[("OM", &["MERCHANT", "CASHIN"]), ("MTN", &["MERCHANT"])],
        ),
        ("SN", &[("WAVE", &["MERCHANT"])]),
    ],
    numbers: &[("CI", "07 07 07 07 07"), ("SN", "77 123 45 67")],
};

#[tokio::test]
async fn three_step_creation_stores_composition_and_numbers_but_never_the_secret() {
    let app = App::start().await;
    let secret = flows::create_token_keep_dialog(&app, &TWO_COUNTRIES).await;

    let db = app.db();
    let count: i64 = db
        .query_row("SELECT count(*) FROM tokens", [], |row| row.get(0))
        .ctx("count tokens");
    assert_eq!(count, 1, "one Generate makes one token");
    let token = flows::stored_token(&app, TWO_COUNTRIES.name);
    let (description, hint): (String, String) = db
        .query_row(
            "SELECT description, hint FROM tokens WHERE id = ?1",
            [&token.id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .ctx("read the token");
    assert_eq!(description, TWO_COUNTRIES.description);
    assert!(
        hint.starts_with("clp_live_…") && secret[48..52] == hint["clp_live_…".len()..],
        "the hint is the secret's last 4 random characters"
    );

    let mut statement = db
        .prepare("SELECT country, operator, method FROM composition WHERE token_id = ?1 ORDER BY 1, 2, 3")
        .ctx("prepare");
    let triples: Vec<(String, String, String)> = statement
        .query_map([&token.id], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .ctx("query composition")
        .collect::<Result<_, _>>()
        .ctx("read composition");
    let expected: Vec<(String, String, String)> = [
        ("CI", "MTN", "MERCHANT"),
        ("CI", "OM", "CASHIN"),
        ("CI", "OM", "MERCHANT"),
        ("SN", "WAVE", "MERCHANT"),
    ]
    .iter()
    .map(|(c, o, m)| (c.to_string(), o.to_string(), m.to_string()))
    .collect();
    assert_eq!(
        triples, expected,
        "the database holds exactly the ticked (country, operator, method) triples"
    );

    let mut statement = db
        .prepare("SELECT number, country, enabled FROM numbers WHERE token_id = ?1 ORDER BY 1")
        .ctx("prepare");
    let numbers: Vec<(String, String, i64)> = statement
        .query_map([&token.id], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .ctx("query numbers")
        .collect::<Result<_, _>>()
        .ctx("read numbers");
    assert_eq!(
        numbers,
        vec![
            ("+221771234567".to_owned(), "SN".to_owned(), 1),
            ("+2250707070707".to_owned(), "CI".to_owned(), 1)
        ],
        "both numbers are stored in E.164 form, enabled"
    );

    // The secret must be nowhere on disk: database, WAL, shared memory, settings, logs.
    let mut places = vec![
        app.db_path.clone(),
        app.db_path.with_extension("db-wal"),
        app.db_path.with_extension("db-shm"),
        app.settings_file(),
    ];
    places.extend(app.log_files());
    assert!(
        !app.log_files().is_empty(),
        "the app writes a log file (tauri-plugin-log), searched too"
    );
    for place in &places {
        let bytes = read_or_empty(place);
        assert!(
            !contains_bytes(&bytes, secret.as_bytes()),
            "{} contains the secret shown in the dialog",
            place.display()
        );
        assert!(
            !contains_bytes(&bytes, &secret.as_bytes()[4..47]),
            "{} contains the random part of the secret",
            place.display()
        );
    }

    app.click("secret-done").await;
    app.wait_gone("secret-dialog").await;
    let row = flows::row_of(&app, TWO_COUNTRIES.name).await;
    assert_eq!(
        flows::cell(&row, "cell-numbers-count").await,
        "2",
        "the list counts both numbers"
    );
    app.stop().await;
}
