//! "Check a payment": Allowed for a whitelisted number, Denied naming the reason otherwise, and
//! the check then shows as Last Date Used in the list.

use crate::flows::{self, NewToken};

use crate::harness::{App, Context};

const WHITELISTED: NewToken<'static> = NewToken {
    name: "Plateau boutique",
    description: "",
    composition: &[("CI", &[("OM", &["MERCHANT"])])],
    numbers: &[("CI", "07 08 09 10 11")],
};

async fn check(app: &App, secret: &str, phone: &str) -> (String, String, String) {
    let answer = flows::check_payment(app, secret, ("CI", "OM", "MERCHANT"), phone).await;
    (answer.allowed, answer.title, answer.text)
}

#[tokio::test]
async fn check_a_payment_allows_a_whitelisted_number_names_the_reason_otherwise_and_sets_last_used()
{
    let app = App::start().await;
    let secret = flows::create_token(&app, &WHITELISTED).await;

    let (allowed, title, _) = check(&app, &secret, "+225 07 08 09 10 11").await;
    assert_eq!(
        allowed, "true",
        "a whitelisted number in the composition is allowed"
    );
    assert_eq!(title, "Allowed");

    let (allowed, title, text) = check(&app, &secret, "+225 07 99 99 99 99").await;
    assert_eq!(
        allowed, "false",
        "a number that is not whitelisted is denied"
    );
    assert_eq!(title, "Denied");
    assert!(
        text.contains("not whitelisted"),
        "the answer names the reason in words: {text}"
    );
    let reason = app
        .wait_testid("check-result")
        .await
        .attr("data-reason")
        .await
        .ctx("data-reason")
        .unwrap_or_default();
    assert_eq!(reason, "phone_not_whitelisted");

    let token = flows::stored_token(&app, WHITELISTED.name);
    let last_used: Option<i64> = app
        .db()
        .query_row(
            "SELECT last_used_at FROM tokens WHERE id = ?1",
            [&token.id],
            |row| row.get(0),
        )
        .ctx("read last_used_at");
    assert!(last_used.is_some(), "an allowed check counts as a use");

    app.click("nav-tokens").await;
    app.wait_testid("token-table").await;
    let row = flows::row_of(&app, WHITELISTED.name).await;
    let shown = flows::cell_attr(&row, "cell-last-used", "data-iso")
        .await
        .unwrap_or_default();
    assert!(
        !shown.is_empty(),
        "the list shows a Last Date Used after the check"
    );

    // Fail closed: with its only number of Côte d'Ivoire disabled, the token pays nobody there,
    // and "Check a payment" says why.
    flows::click_in_row(&app, &row, "manage-numbers").await;
    app.wait_testid("numbers-dialog").await;
    app.click("toggle-number").await;
    app.click("numbers-confirm-button").await;
    app.wait_testid("numbers-paused").await;
    app.click("numbers-close-button").await;
    let (allowed, _, text) = check(&app, &secret, "+225 07 08 09 10 11").await;
    assert_eq!(allowed, "false", "a disabled number never pays");
    assert!(text.contains("disabled"), "{text}");
    let (allowed, _, text) = check(&app, &secret, "+225 07 99 99 99 99").await;
    assert_eq!(
        allowed, "false",
        "disabling never opens the token to other phones"
    );
    assert!(
        text.contains("Every whitelisted number of Côte d"),
        "the answer says the token is paused there: {text}"
    );

    // Every check is in the history before its answer is shown, whatever happens to the app.
    let mut app = app;
    app.quit_keeping_files().await;
    let recorded: Vec<String> = rusqlite::Connection::open(&app.db_path)
        .ctx("reopen the database after quitting")
        .prepare("SELECT kind FROM history WHERE token_id = ?1 AND kind IN ('used', 'denied') ORDER BY id")
        .ctx("prepare")
        .query_map([&token.id], |row| row.get(0))
        .ctx("query the history")
        .collect::<Result<_, _>>()
        .ctx("read the history");
    assert_eq!(
        recorded,
        ["used", "denied", "denied", "denied"],
        "every check is in the history on disk"
    );
    app.stop().await;
}
