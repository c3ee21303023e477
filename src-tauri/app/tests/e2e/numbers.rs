//! Manage numbers: add, disable, re-enable, remove, the "already whitelisted" error, and the
//! fail-closed rule: disabling the last enabled number of a country pauses the token there (the
//! dialog says so first, and "Check a payment" then denies every phone), and removing the last
//! number lifts the restriction only once confirmed.

use crate::flows::{self, NewToken};
use crate::harness::App;

const HOLDER: NewToken<'static> = NewToken {
    name: "Holder of the number",
    description: "",
    composition: &[("CI", &[("OM", &["MERCHANT"])])],
    numbers: &[("CI", "05 44 55 66 77")],
};

fn number_row(number: &str) -> String {
    format!(
        "[data-testid=\"numbers-dialog\"] [data-testid=\"number-row\"][data-number=\"{number}\"]"
    )
}

async fn status_of(app: &App, number: &str) -> Option<String> {
    let rows = app
        .all_css(&format!(
            "{} [data-testid=\"number-status\"]",
            number_row(number)
        ))
        .await;
    match rows.first() {
        Some(status) => status.attr("data-enabled").await.ok().flatten(),
        None => None,
    }
}

#[tokio::test]
async fn manage_adds_disables_enables_and_removes_a_number_and_names_the_holder_of_a_taken_one() {
    let app = App::start().await;
    flows::create_token(&app, &HOLDER).await;
    flows::create_token(&app, &flows::simple("Kiosk")).await;

    let row = flows::row_of(&app, "Kiosk").await;
    flows::click_in_row(&app, &row, "manage-numbers").await;
    app.wait_testid("numbers-dialog").await;

    let number = "+2250101020304";
    app.select("field-number-country", "CI").await;
    app.fill("field-phone", "01 01 02 03 04").await;
    app.click("add-number").await;
    app.wait_css(&number_row(number)).await;
    assert_eq!(
        flows::number_enabled(&app, number),
        Some(true),
        "an added number is stored enabled"
    );

    let toggle = format!("{} [data-testid=\"toggle-number\"]", number_row(number));
    app.click_element(&app.wait_css(&toggle).await, "disable")
        .await;
    // The only number of Côte d'Ivoire: the dialog says what disabling it does, first.
    let warning = app
        .wait_text(
            "numbers-confirm",
            "will be able to pay with this token until you enable one",
        )
        .await;
    assert!(warning.contains("until you enable one"), "{warning}");
    assert_eq!(
        flows::number_enabled(&app, number),
        Some(true),
        "nothing changes before the merchant confirms"
    );
    app.click("numbers-confirm-button").await;
    app.wait_until("the number shows disabled", || async {
        status_of(&app, number).await.as_deref() == Some("false")
    })
    .await;
    assert_eq!(
        flows::number_enabled(&app, number),
        Some(false),
        "disabling keeps the number, disabled"
    );
    app.wait_text("numbers-paused", "Paused").await;

    app.click_element(&app.wait_css(&toggle).await, "enable")
        .await;
    app.wait_until("the number shows enabled", || async {
        status_of(&app, number).await.as_deref() == Some("true")
    })
    .await;
    assert_eq!(
        flows::number_enabled(&app, number),
        Some(true),
        "re-enabling restores it"
    );

    let remove = format!("{} [data-testid=\"remove-number\"]", number_row(number));
    app.click_element(&app.wait_css(&remove).await, "remove")
        .await;
    // The last number of the country: removing it lets any phone pay there, so it is confirmed.
    let warning = app
        .wait_text("numbers-confirm", "any phone will be able to pay in Côte d")
        .await;
    assert!(warning.contains("last number"), "{warning}");
    assert_eq!(
        flows::number_enabled(&app, number),
        Some(true),
        "not removed yet"
    );
    app.click("numbers-confirm-button").await;
    app.wait_until("the number leaves the list", || async {
        app.all_css(&number_row(number)).await.is_empty()
    })
    .await;
    assert_eq!(
        flows::number_enabled(&app, number),
        None,
        "a removed number is deleted from the token"
    );

    app.select("field-number-country", "CI").await;
    app.fill("field-phone", "05 44 55 66 77").await;
    app.click("add-number").await;
    let error = app.wait_text("error-phone", "Holder of the number").await;
    assert!(
        error.contains("already whitelisted"),
        "the error says the number is taken: {error}"
    );
    let kiosk = flows::stored_token(&app, "Kiosk");
    let holder: String = app
        .db()
        .query_row(
            "SELECT token_id FROM numbers WHERE number = '+2250544556677'",
            [],
            |row| row.get(0),
        )
        .expect("the number stays with its holder");
    assert_ne!(
        holder, kiosk.id,
        "a taken number is not moved to another token"
    );
    app.stop().await;
}
