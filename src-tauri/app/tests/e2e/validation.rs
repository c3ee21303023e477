//! Validation errors appear next to their field, in words, and nothing is stored.

use crate::flows::tick;
use crate::harness::{App, Context};

#[tokio::test]
async fn empty_name_past_date_empty_composition_and_invalid_phone_are_refused_next_to_their_field()
{
    let app = App::start().await;
    app.click("new-token").await;
    app.wait_testid("step-1").await;

    app.fill("field-name", "").await;
    app.click("step-next").await;
    let error = app
        .wait_testid("error-name")
        .await
        .text()
        .await
        .ctx("name error");
    assert!(
        !error.trim().is_empty(),
        "an empty name is refused with a message"
    );
    app.wait_testid("step-1").await;

    app.fill("field-name", "Validation shop").await;
    app.choose("duration-custom").await;
    let yesterday = (chrono::Local::now() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    app.set_value("field-expiry-date", &yesterday).await;
    app.click("step-next").await;
    let error = app
        .wait_testid("error-expiry")
        .await
        .text()
        .await
        .ctx("expiry error");
    assert!(
        !error.trim().is_empty(),
        "a past date is refused with a message"
    );
    app.wait_testid("step-1").await;

    app.choose("duration-30").await;
    app.click("step-next").await;
    app.wait_testid("step-2").await;
    app.click("step-next").await;
    let error = app
        .wait_testid("error-composition")
        .await
        .text()
        .await
        .ctx("composition error");
    assert!(
        !error.trim().is_empty(),
        "an empty composition is refused with a message"
    );
    app.wait_testid("step-2").await;

    app.click("add-composition").await;
    app.wait_testid("composition-picker").await;
    app.select("picker-country", "CI").await;
    tick(
        &app,
        "[data-testid=\"picker-method\"][data-operator=\"OM\"][data-method=\"MERCHANT\"]",
    )
    .await;
    app.click("picker-save").await;
    app.wait_gone("composition-picker").await;
    app.click("step-next").await;
    app.wait_testid("step-3").await;
    app.select("field-number-country", "CI").await;
    app.fill("field-phone", "12 34").await;
    app.click("add-number").await;
    let error = app
        .wait_testid("error-phone")
        .await
        .text()
        .await
        .ctx("phone error");
    assert!(
        !error.trim().is_empty(),
        "an invalid number is refused with a message"
    );
    assert!(
        app.all_css("[data-testid=\"pending-number\"]")
            .await
            .is_empty(),
        "an invalid number is not added to the list"
    );

    let count: i64 = app
        .db()
        .query_row("SELECT count(*) FROM tokens", [], |row| row.get(0))
        .ctx("count");
    assert_eq!(count, 0, "no token is stored while the form has errors");
    app.stop().await;
}
