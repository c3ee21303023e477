//! Revoking asks for confirmation, then the token shows REVOKED under the revoked filter.

use crate::flows;
use crate::harness::{App, Context};

#[tokio::test]
async fn revoke_asks_for_confirmation_then_shows_revoked_under_the_filter() {
    let app = App::start().await;
    flows::create_token(&app, &flows::simple("Old terminal")).await;
    // A second, active token keeps the list's toolbar (and its status filter) on screen: the UI
    // hides the toolbar when no current token is left.
    flows::create_token(&app, &flows::simple("New terminal")).await;

    let row = flows::row_of(&app, "Old terminal").await;
    flows::click_in_row(&app, &row, "revoke-token").await;
    let dialog = app.wait_testid("revoke-dialog").await;
    assert!(
        dialog
            .text()
            .await
            .ctx("dialog text")
            .contains("Old terminal"),
        "the confirmation names the token"
    );
    app.click("cancel-revoke").await;
    app.wait_gone("revoke-dialog").await;
    let token = flows::stored_token(&app, "Old terminal");
    let revoked: Option<i64> = app
        .db()
        .query_row(
            "SELECT revoked_at FROM tokens WHERE id = ?1",
            [&token.id],
            |row| row.get(0),
        )
        .ctx("read revoked_at");
    assert_eq!(revoked, None, "cancelling revokes nothing");

    let row = flows::row_of(&app, "Old terminal").await;
    flows::click_in_row(&app, &row, "revoke-token").await;
    app.wait_testid("revoke-dialog").await;
    app.click("confirm-revoke").await;
    app.wait_gone("revoke-dialog").await;
    let revoked: Option<i64> = app
        .db()
        .query_row(
            "SELECT revoked_at FROM tokens WHERE id = ?1",
            [&token.id],
            |row| row.get(0),
        )
        .ctx("read revoked_at");
    assert!(
        revoked.is_some(),
        "confirming revokes the token in the database"
    );
    let revoked_row = format!(
        "[data-testid=\"token-row\"][data-token-id=\"{}\"]",
        token.id
    );
    app.wait_until("the revoked token leaves the default list", || async {
        app.all_css(&revoked_row).await.is_empty()
    })
    .await;

    app.select("list-status-filter", "revoked").await;
    app.wait_css(&revoked_row).await;
    let row = flows::row_of(&app, "Old terminal").await;
    assert_eq!(
        flows::status(&row).await,
        "REVOKED",
        "the row shows REVOKED"
    );
    app.stop().await;
}
