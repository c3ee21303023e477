//! Merchant journeys shared by several tests: creating a token through the three steps, checking a
//! payment, saving a setting, reading a token's rows in the database.

use thirtyfour::prelude::*;

use crate::harness::{App, Context};

/// An operator code and the methods ticked for it.
pub type OperatorMethods<'a> = (&'a str, &'a [&'a str]);

/// A country code and the operators ticked in it.
pub type CountryComposition<'a> = (&'a str, &'a [OperatorMethods<'a>]);

/// What to type into the create form.
pub struct NewToken<'a> {
    /// Step 1 name.
    pub name: &'a str,
    /// Step 1 description.
    pub description: &'a str,
    /// Step 2: (country, [(operator, [methods])]).
    pub composition: &'a [CountryComposition<'a>],
    /// Step 3: (country, phone as typed).
    pub numbers: &'a [(&'a str, &'a str)],
}

/// A token with one country, one operator and one method, and no number.
pub fn simple(name: &str) -> NewToken<'_> {
    NewToken {
        name,
        description: "",
        composition: &[("CI", &[("OM", &["MERCHANT"])])],
        numbers: &[],
    }
}

/// The token as the database holds it.
pub struct StoredToken {
    /// Its id.
    pub id: String,
}

/// Ticks a checkbox (the UI hides the input behind its label: clicked through the DOM).
pub async fn tick(app: &App, css: &str) {
    let checkbox = app.wait_css_present(css).await;
    if !checkbox.is_selected().await.ctx("reading a checkbox") {
        app.js_click(&checkbox, css).await;
    }
    assert!(
        checkbox.is_selected().await.ctx("reading a checkbox"),
        "{css} is ticked after a click"
    );
}

/// Goes through the three steps and Generate; returns the secret the dialog shows, leaving the
/// dialog open.
pub async fn create_token_keep_dialog(app: &App, token: &NewToken<'_>) -> String {
    create_keep_dialog(app, token, None).await
}

/// Like [`create_token`], choosing the environment (`"sandbox"` or `"live"`) in step 1.
pub async fn create_token_in(app: &App, token: &NewToken<'_>, environment: &str) -> String {
    let secret = create_keep_dialog(app, token, Some(environment)).await;
    app.click("secret-done").await;
    app.wait_gone("secret-dialog").await;
    app.wait_testid("token-table").await;
    secret
}

/// The three steps, with the environment left at its default (live) when `environment` is `None`.
async fn create_keep_dialog(app: &App, token: &NewToken<'_>, environment: Option<&str>) -> String {
    app.click("new-token").await;
    app.wait_testid("step-1").await;
    app.fill("field-name", token.name).await;
    if let Some(environment) = environment {
        app.choose(&format!("environment-{environment}")).await;
    }
    app.fill("field-description", token.description).await;
    app.click("step-next").await;
    let secret = compose_and_generate(app, token.composition, token.numbers).await;
    let prefix = match environment {
        Some("sandbox") => "clp_test_",
        _ => "clp_live_",
    };
    assert!(
        secret.starts_with(prefix) && secret.len() == 58,
        "the dialog shows a 58-character {prefix} secret"
    );
    secret
}

/// Steps 2 and 3 of the create form, once step 1 is done: the composition, the numbers, then
/// Generate. Returns the secret the dialog shows (recorded for the leak scan; the dialog stays open).
pub async fn compose_and_generate(
    app: &App,
    composition: &[CountryComposition<'_>],
    numbers: &[(&str, &str)],
) -> String {
    app.wait_testid("step-2").await;
    for (country, operators) in composition {
        app.click("add-composition").await;
        app.wait_testid("composition-picker").await;
        app.select("picker-country", country).await;
        for (operator, methods) in *operators {
            for method in *methods {
                tick(
                    app,
                    &format!(
                        "[data-testid=\"picker-method\"][data-operator=\"{operator}\"][data-method=\"{method}\"]"
                    ),
                )
                .await;
            }
        }
        app.click("picker-save").await;
        app.wait_gone("composition-picker").await;
        app.wait_css(&format!(
            "[data-testid=\"composition-card\"][data-country=\"{country}\"]"
        ))
        .await;
    }
    app.click("step-next").await;

    app.wait_testid("step-3").await;
    for (index, (country, phone)) in numbers.iter().enumerate() {
        app.select("field-number-country", country).await;
        app.fill("field-phone", phone).await;
        app.click("add-number").await;
        let expected = index + 1;
        app.wait_until(&format!("{expected} numbers are listed"), || async {
            app.all_css("[data-testid=\"pending-number\"]").await.len() == expected
        })
        .await;
    }
    app.click("generate").await;
    app.wait_testid("secret-dialog").await;
    let secret = app.text("secret-value").await;
    crate::harness::record_secret(&secret);
    secret
}

/// Creates a token, closes the secret dialog with Done, and waits for the list.
pub async fn create_token(app: &App, token: &NewToken<'_>) -> String {
    let secret = create_token_keep_dialog(app, token).await;
    app.click("secret-done").await;
    app.wait_gone("secret-dialog").await;
    app.wait_testid("token-table").await;
    secret
}

/// The row of the list showing the token named `name`.
pub async fn row_of(app: &App, name: &str) -> WebElement {
    app.wait_list_written().await;
    let rows = app
        .driver()
        .query(By::Css("[data-testid=\"token-row\"]"))
        .all_from_selector_required()
        .await;
    for row in rows.ctx("the list has rows") {
        let cell = row
            .find(By::Css("[data-testid=\"cell-name\"]"))
            .await
            .ctx("a row has a name cell");
        if cell.text().await.ctx("name text") == name {
            return row;
        }
    }
    panic!("no row for the token {name:?} in the list");
}

/// The `data-status` of the badge in a row's status cell.
pub async fn status(row: &WebElement) -> String {
    row.find(By::Css("[data-testid=\"cell-status\"] [data-status]"))
        .await
        .ctx("the status cell holds a badge")
        .attr("data-status")
        .await
        .ctx("badge status")
        .unwrap_or_default()
}

/// The text of a cell of a row.
pub async fn cell(row: &WebElement, testid: &str) -> String {
    row.find(By::Css(format!("[data-testid=\"{testid}\"]")))
        .await
        .ctx(&format!("the row has a {testid} cell"))
        .text()
        .await
        .ctx("cell text")
}

/// An attribute of a cell of a row.
pub async fn cell_attr(row: &WebElement, testid: &str, attribute: &str) -> Option<String> {
    row.find(By::Css(format!("[data-testid=\"{testid}\"]")))
        .await
        .ctx(&format!("the row has a {testid} cell"))
        .attr(attribute)
        .await
        .ctx("cell attribute")
}

/// Clicks a button inside a row.
pub async fn click_in_row(app: &App, row: &WebElement, testid: &str) {
    let button = row
        .find(By::Css(format!("[data-testid=\"{testid}\"]")))
        .await
        .ctx(testid);
    app.click_element(&button, testid).await;
}

/// What "Check a payment" answered: `data-allowed`, `data-reason`, the title and the sentence.
pub struct CheckAnswer {
    /// `"true"` or `"false"`.
    pub allowed: String,
    /// The reason code of a denial (empty when allowed).
    pub reason: String,
    /// "Allowed" or "Denied".
    pub title: String,
    /// The answer in words.
    pub text: String,
}

/// Checks a payment on the "Check a payment" screen: `secret` for (country, operator, method),
/// with `phone` unless it is empty.
pub async fn check_payment(
    app: &App,
    secret: &str,
    (country, operator, method): (&str, &str, &str),
    phone: &str,
) -> CheckAnswer {
    app.click("nav-check").await;
    app.wait_testid("check-form").await;
    app.fill("check-token", secret).await;
    app.select("check-country", country).await;
    app.select("check-operator", operator).await;
    app.select("check-method", method).await;
    app.fill("check-phone", phone).await;
    let previous = app
        .all_css("[data-testid=\"check-result\"]")
        .await
        .into_iter()
        .next();
    app.click("check-submit").await;
    if let Some(previous) = previous {
        // The answer replaces the previous one: read the new one only.
        previous
            .wait_until()
            .stale()
            .await
            .ctx("the previous answer is replaced");
    }
    let result = app.wait_testid("check-result").await;
    let attribute = |name: &'static str| {
        let result = result.clone();
        async move { result.attr(name).await.ctx(name).unwrap_or_default() }
    };
    CheckAnswer {
        allowed: attribute("data-allowed").await,
        reason: attribute("data-reason").await,
        title: app.text("check-result-title").await,
        text: app.text("check-result-text").await,
    }
}

/// Opens a row's "More actions" menu and chooses the item with this testid.
pub async fn row_action(app: &App, row: &WebElement, item: &str) {
    click_in_row(app, row, "row-actions").await;
    app.wait_testid("action-menu").await;
    app.click(item).await;
    app.wait_gone("action-menu").await;
}

/// Saves settings through the Settings screen: each `(testid, value)` is a select value or an
/// input's text.
pub async fn save_settings(app: &App, changes: &[(&str, &str)]) {
    app.click("nav-settings").await;
    app.wait_testid("settings-form").await;
    for (testid, value) in changes {
        let element = app.wait_testid(testid).await;
        if element
            .tag_name()
            .await
            .ctx("tag")
            .eq_ignore_ascii_case("select")
        {
            app.select(testid, value).await;
        } else {
            app.fill(testid, value).await;
        }
    }
    app.click("settings-save").await;
}

/// The one token of that name in the database.
pub fn stored_token(app: &App, name: &str) -> StoredToken {
    let db = app.db();
    let id: String = db
        .query_row("SELECT id FROM tokens WHERE name = ?1", [name], |row| {
            row.get(0)
        })
        .ctx(&format!("the database holds the token {name:?}"));
    StoredToken { id }
}

/// Whether the `enabled` flag of a whitelisted number, or `None` if the number is not stored.
pub fn number_enabled(app: &App, number: &str) -> Option<bool> {
    use rusqlite::OptionalExtension;
    app.db()
        .query_row(
            "SELECT enabled FROM numbers WHERE number = ?1",
            [number],
            |row| row.get::<_, i64>(0),
        )
        .optional()
        .ctx("reading the numbers table")
        .map(|enabled| enabled == 1)
}
