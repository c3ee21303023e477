//! The forms as a new merchant meets them: one entry per method (an unverified one says what that
//! means), the method list of "Check a payment" after a country change, errors that go when the
//! field is corrected, a duplicate name caught at step 1, the focus ring of the duration choice,
//! a typed custom date, the expiry the summary promises, and the new token shown after a create
//! made while the list was searched.

use serde_json::Value;
use thirtyfour::prelude::*;

use crate::flows;
use crate::harness::{App, Context, ContextOpt};

/// Runs a script in the page and returns its value.
async fn page(app: &App, script: &str) -> Value {
    app.driver()
        .execute(script, Vec::new())
        .await
        .ctx("running a script in the page")
        .json()
        .clone()
}

/// The picker and "Check a payment" list each method once per operator, though the catalog names
/// Cash-out both among an operator's methods and its unverified ones; the unverified one carries a
/// short explanation.
#[tokio::test]
async fn each_method_is_offered_once_and_unverified_says_what_it_means() {
    let app = App::start().await;
    app.click("new-token").await;
    app.fill("field-name", "One entry per method").await;
    app.click("step-next").await;
    app.click("add-composition").await;
    app.wait_testid("composition-picker").await;
    app.select("picker-country", "CI").await;
    app.wait_css("[data-testid=\"picker-method\"][data-operator=\"OM\"]")
        .await;
    let picker = page(
        &app,
        "const boxes = [...document.querySelectorAll('[data-testid=\"picker-method\"][data-operator=\"OM\"]')];
         const tag = document.querySelector('[data-testid=\"picker-operator\"][data-operator=\"OM\"] .tag');
         return {
           methods: boxes.map((box) => box.dataset.method),
           tag: tag ? { text: tag.textContent, title: tag.getAttribute('title') } : null,
           note: document.querySelector('[data-testid=\"picker-unverified-note\"]')?.textContent ?? null,
         };",
    )
    .await;
    assert_eq!(
        picker["methods"],
        serde_json::json!(["MERCHANT", "CASHIN", "CASHOUT"]),
        "Orange Money lists each of its methods once: {picker}"
    );
    assert!(
        picker["tag"]["title"]
            .as_str()
            .is_some_and(|title| title.contains("no public source")),
        "the unverified mark explains itself on hover: {picker}"
    );
    assert!(
        picker["note"]
            .as_str()
            .is_some_and(|note| note.contains("no public source")),
        "and in a note under the methods: {picker}"
    );
    flows::tick(
        &app,
        "[data-testid=\"picker-method\"][data-operator=\"OM\"][data-method=\"CASHOUT\"]",
    )
    .await;
    let ticked = page(
        &app,
        "return [...document.querySelectorAll('[data-testid=\"picker-method\"][data-operator=\"OM\"]')]
           .filter((box) => box.dataset.method === 'CASHOUT').map((box) => box.checked);",
    )
    .await;
    assert_eq!(
        ticked,
        serde_json::json!([true]),
        "one Cash-out box, ticked"
    );
    app.click("picker-cancel").await;
    app.click("cancel-create").await;

    app.click("nav-check").await;
    app.wait_testid("check-form").await;
    app.select("check-country", "CI").await;
    app.select("check-operator", "OM").await;
    let methods = page(
        &app,
        "return [...document.querySelectorAll('[data-testid=\"check-method\"] option')]
           .filter((option) => option.value).map((option) => option.value);",
    )
    .await;
    assert_eq!(
        methods,
        serde_json::json!(["MERCHANT", "CASHIN", "CASHOUT"]),
        "Check a payment lists each method once"
    );
    app.select("check-method", "CASHOUT").await;
    let note = app.text("check-method-unverified").await;
    assert!(
        note.contains("no public source"),
        "choosing an unverified method says what unverified means: {note:?}"
    );
    app.stop().await;
}

/// "Check a payment": a new country, then the same operator as before, fills the method list.
#[tokio::test]
async fn the_method_list_follows_the_operator_after_a_country_change() {
    let app = App::start().await;
    app.click("nav-check").await;
    app.wait_testid("check-form").await;
    app.select("check-country", "CI").await;
    app.select("check-operator", "OM").await;
    app.select("check-method", "MERCHANT").await;
    app.select("check-country", "SN").await;
    app.select("check-operator", "OM").await;
    let method = app.wait_testid("check-method").await;
    assert!(
        method.is_enabled().await.ctx("reading the method list"),
        "the method list is usable once the operator is picked again"
    );
    let options = page(
        &app,
        "return [...document.querySelectorAll('[data-testid=\"check-method\"] option')]
           .filter((option) => option.value).length;",
    )
    .await;
    assert!(
        options.as_u64().unwrap_or_default() > 0,
        "and lists Orange Money's methods in Senegal: {options}"
    );
    app.stop().await;
}

/// An error next to a field goes as soon as the field is edited, and a name another current token
/// has is refused at step 1, whatever its case.
#[tokio::test]
async fn errors_go_on_edit_and_a_duplicate_name_is_caught_at_step_one() {
    let app = App::start().await;
    flows::create_token(&app, &flows::simple("Shop Checkout")).await;
    app.click("new-token").await;
    app.wait_testid("step-1").await;
    app.click("step-next").await;
    app.wait_text("error-name", "Enter a name").await;
    app.fill("field-name", "s").await;
    app.wait_gone("error-name").await;

    app.fill("field-name", "shop checkout").await;
    app.click("step-next").await;
    let error = app.wait_text("error-name", "already").await;
    assert!(
        error.contains("Shop Checkout"),
        "the error names the token that has the name: {error:?}"
    );
    assert!(
        !app.all_css("[data-testid=\"step-1\"]").await.is_empty(),
        "the form stays at step 1"
    );
    app.fill("field-name", "shop checkout 2").await;
    app.wait_gone("error-name").await;
    app.click("step-next").await;
    app.wait_testid("step-2").await;
    app.stop().await;
}

/// Moving between the duration choices with the arrow keys shows where the focus is.
#[tokio::test]
async fn the_arrow_keyed_duration_choice_shows_its_focus_ring() {
    let app = App::start().await;
    app.click("new-token").await;
    app.wait_testid("step-1").await;
    let thirty = app.wait_css_present("[data-testid=\"duration-30\"]").await;
    app.driver()
        .execute(
            "arguments[0].focus();",
            vec![thirty.to_json().ctx("element to json")],
        )
        .await
        .ctx("focusing the 30-day choice");
    app.driver()
        .action_chain()
        .send_keys(Key::Right)
        .perform()
        .await
        .ctx("pressing the right arrow");
    let focus = page(
        &app,
        "const input = document.activeElement;
         const label = input.labels && input.labels[0];
         const style = label ? getComputedStyle(label) : null;
         return {
           focused: input.dataset.testid ?? null,
           checked: input.checked ?? null,
           outline: style ? style.outlineStyle : null,
           width: style ? style.outlineWidth : null,
         };",
    )
    .await;
    assert_eq!(
        focus["focused"], "duration-60",
        "the arrow moved to the next choice: {focus}"
    );
    assert!(
        focus["outline"] != "none" && focus["width"] != "0px",
        "the choice that has the focus shows its ring: {focus}"
    );
    app.stop().await;
}

/// A custom date typed in the field is read as that date, or refused with what to type; the
/// summary then says exactly what is stored.
#[tokio::test]
async fn a_typed_custom_date_is_parsed_or_refused_and_the_summary_is_what_is_stored() {
    let app = App::start().await;
    app.click("new-token").await;
    app.wait_testid("step-1").await;
    app.fill("field-name", "Custom date").await;
    app.choose("duration-custom").await;
    app.fill("field-expiry-date", "2020-01-01").await;
    app.click("step-next").await;
    let error = app.wait_text("error-expiry", "after today").await;
    assert!(
        !error.contains("0001") && !error.contains("1901"),
        "a past date is refused as it was typed: {error:?}"
    );
    assert_eq!(
        page(
            &app,
            "return document.querySelector('[data-testid=\"expiry-summary\"]').textContent;"
        )
        .await,
        "",
        "no summary for a refused date"
    );
    app.fill("field-expiry-date", "31/02/2031").await;
    app.click("step-next").await;
    app.wait_text("error-expiry", "YYYY-MM-DD").await;

    app.fill("field-expiry-date", "2031-03-06").await;
    app.wait_gone("error-expiry").await;
    let summary = app.wait_testid("expiry-summary").await;
    let promised = summary
        .attr("data-iso")
        .await
        .ctx("the summary's instant")
        .ctx_opt("the summary carries the instant it promises");
    let text = summary.text().await.ctx("the summary");
    assert!(
        text.contains("2031") && text.contains("March 6"),
        "the summary names the typed day: {text:?}"
    );
    app.click("step-next").await;
    flows::compose_and_generate(&app, &[("CI", &[("OM", &["MERCHANT"])])], &[]).await;
    let stored: i64 = app
        .db()
        .query_row(
            "SELECT expires_at FROM tokens WHERE name = 'Custom date'",
            [],
            |row| row.get(0),
        )
        .ctx("reading the stored expiry");
    let promised: chrono::DateTime<chrono::Utc> =
        promised.parse().ctx("the summary's instant is RFC 3339");
    assert_eq!(
        promised.timestamp_millis(),
        stored,
        "the summary promised exactly the stored expiry"
    );
    app.stop().await;
}

/// A preset duration stores the creation time plus its days: the summary says so, and the dialog
/// that shows the secret gives the exact stored date and time.
#[tokio::test]
async fn a_preset_duration_is_worded_as_what_is_stored() {
    let app = App::start().await;
    app.click("new-token").await;
    app.wait_testid("step-1").await;
    app.choose("duration-90").await;
    let summary = app.wait_text("expiry-summary", "90 days").await;
    assert!(
        summary.contains("90 days after it is created") && !summary.contains("end of"),
        "a preset is worded as the creation time plus its days: {summary:?}"
    );
    app.click("cancel-create").await;
    // The default duration (30 days) is a preset too.
    flows::create_token_keep_dialog(&app, &flows::simple("Thirty days")).await;
    let expiry = app.wait_testid("secret-expiry").await;
    let shown = expiry
        .attr("data-iso")
        .await
        .ctx("the dialog's expiry")
        .ctx_opt("the dialog carries the stored expiry");
    let (created, stored): (i64, i64) = app
        .db()
        .query_row(
            "SELECT created_at, expires_at FROM tokens WHERE name = 'Thirty days'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .ctx("reading the stored expiry");
    let shown: chrono::DateTime<chrono::Utc> = shown.parse().ctx("RFC 3339");
    assert_eq!(
        shown.timestamp_millis(),
        stored,
        "the dialog shows the stored expiry"
    );
    assert_eq!(
        stored - created,
        30 * 86_400_000,
        "a 30-day preset stores the creation time plus 30 days"
    );
    app.stop().await;
}

/// A token created while the list was searched is shown when the list comes back: the search is
/// cleared, and its row is the first one, marked as new.
#[tokio::test]
async fn a_token_created_during_a_search_is_shown_afterwards() {
    let app = App::start().await;
    flows::create_token(&app, &flows::simple("Abidjan market")).await;
    app.fill("list-search", "abidjan").await;
    app.wait_until("the search shows its one row", || async {
        app.all_css("[data-testid=\"token-row\"]").await.len() == 1
    })
    .await;
    flows::create_token(&app, &flows::simple("Dakar port")).await;
    let row = flows::row_of(&app, "Dakar port").await;
    assert_eq!(
        row.attr("data-new").await.ctx("the row's mark").as_deref(),
        Some("true"),
        "the new token's row is marked as new"
    );
    let search = app.wait_testid("list-search").await;
    assert_eq!(
        search.prop("value").await.ctx("the search box").as_deref(),
        Some(""),
        "the search that hid it is cleared"
    );
    app.stop().await;
}
