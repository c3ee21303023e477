//! The token lifecycle through the window: rolling a token with a grace period and ending it,
//! duplicating a token, the expiring badge, banner and filter, the environment chip and filter,
//! and the reminder and retention settings. Each test checks what the database (or the settings
//! file) holds afterwards.

use chrono::{DateTime, Local, Utc};

use crate::flows::{self, NewToken};
use crate::harness::{record_secret, App, Context, ContextOpt};

const CHECKOUT: NewToken<'static> = NewToken {
    name: "Abidjan checkout",
    description: "Web shop checkout",
    composition: &[("CI", &[("OM", &["MERCHANT"])])],
    numbers: &[("CI", "07 07 07 07 07")],
};

/// Milliseconds since the epoch, now.
fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// The `data-status` of the row of `name`, once the list shows it.
async fn row_status(app: &App, name: &str) -> String {
    let row = flows::row_of(app, name).await;
    flows::status(&row).await
}

/// The `value` property of a form control.
async fn value_of(app: &App, testid: &str) -> String {
    app.wait_testid(testid)
        .await
        .prop("value")
        .await
        .ctx(testid)
        .unwrap_or_default()
}

/// Whether a radio or checkbox (hidden behind its label) is checked.
async fn is_checked(app: &App, testid: &str) -> bool {
    app.wait_css_present(&format!("[data-testid=\"{testid}\"]"))
        .await
        .is_selected()
        .await
        .ctx(testid)
}

/// The names in the list's rows, in order.
async fn listed_names(app: &App) -> Vec<String> {
    let mut names = Vec::new();
    for cell in app.all_css("[data-testid=\"cell-name\"]").await {
        names.push(cell.text().await.unwrap_or_default());
    }
    names
}

/// Whether the row holds an element with this testid now.
async fn row_has(row: &thirtyfour::WebElement, testid: &str) -> bool {
    use thirtyfour::prelude::*;
    !row.find_all(By::Css(format!("[data-testid=\"{testid}\"]")))
        .await
        .ctx(testid)
        .is_empty()
}

#[tokio::test]
async fn rolling_with_a_24h_grace_lists_both_tokens_and_end_now_refuses_the_old_secret() {
    let app = App::start().await;
    let old_secret = flows::create_token(&app, &CHECKOUT).await;
    let old = flows::stored_token(&app, CHECKOUT.name);

    let row = flows::row_of(&app, CHECKOUT.name).await;
    flows::row_action(&app, &row, "row-roll").await;
    let dialog = app.wait_testid("roll-dialog").await;
    let text = dialog.text().await.ctx("roll dialog text");
    assert!(
        text.contains(CHECKOUT.name) && text.contains("Now: the old secret has leaked"),
        "the dialog names the token and offers the leak choice: {text}"
    );
    assert!(
        is_checked(&app, "roll-grace-24h").await,
        "24 hours is the default grace"
    );
    let planned: DateTime<Utc> = app
        .wait_testid("roll-summary")
        .await
        .attr("data-iso")
        .await
        .ctx("summary date")
        .unwrap_or_default()
        .parse()
        .ctx("the summary carries the end of the grace");
    let hours = (planned.timestamp_millis() - now_ms()) as f64 / 3_600_000.0;
    assert!(
        (23.9..=24.0).contains(&hours),
        "the dialog says when the old secret stops: in {hours} h"
    );
    let before = now_ms();
    app.click("confirm-roll").await;
    app.wait_testid("secret-dialog").await;
    let new_secret = app.text("secret-value").await;
    record_secret(&new_secret);
    assert!(
        new_secret.starts_with("clp_live_") && new_secret != old_secret,
        "the successor's secret is new, and live like the old one"
    );
    assert_eq!(
        app.wait_testid("secret-environment")
            .await
            .attr("data-environment")
            .await
            .ctx("chip")
            .as_deref(),
        Some("live"),
        "the secret dialog shows the environment"
    );
    app.click("secret-done").await;
    app.wait_gone("secret-dialog").await;

    // The database: the successor has the name and the number, the old token points to it.
    let db = app.db();
    let (new_id, renamed, grace_ends_at): (String, String, i64) = db
        .query_row(
            "SELECT rolled_to, name, grace_ends_at FROM tokens WHERE id = ?1",
            [&old.id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .ctx("the old token is rolled");
    let successor_name: String = db
        .query_row("SELECT name FROM tokens WHERE id = ?1", [&new_id], |row| {
            row.get(0)
        })
        .ctx("the successor is stored");
    assert_eq!(
        successor_name, CHECKOUT.name,
        "the successor takes the name"
    );
    let expected_name = format!(
        "{} (rolled {})",
        CHECKOUT.name,
        Local::now().format("%Y-%m-%d")
    );
    assert_eq!(renamed, expected_name, "the old token is renamed");
    let grace_ms = grace_ends_at - before;
    assert!(
        (86_400_000 - 60_000..=86_400_000 + 60_000).contains(&grace_ms),
        "the grace ends 24 h after the roll, got {grace_ms} ms"
    );
    let holder: String = db
        .query_row(
            "SELECT token_id FROM numbers WHERE number = '+2250707070707'",
            [],
            |row| row.get(0),
        )
        .ctx("the number is stored");
    assert_eq!(holder, new_id, "the number moves to the successor");

    // The list: both tokens, the successor first and marked, the old one rolling with no edit.
    app.wait_css(&format!(
        "[data-testid=\"token-row\"][data-token-id=\"{new_id}\"][data-new=\"true\"]"
    ))
    .await;
    assert_eq!(row_status(&app, CHECKOUT.name).await, "ACTIVE");
    let old_row = flows::row_of(&app, &expected_name).await;
    assert_eq!(
        flows::status(&old_row).await,
        "ROLLING",
        "the old token is Rolling"
    );
    let shown_end = flows::cell_attr(&old_row, "cell-grace", "data-iso")
        .await
        .unwrap_or_default();
    assert!(
        flows::cell(&old_row, "cell-grace")
            .await
            .starts_with("ends in"),
        "the row says when the grace ends, relative"
    );
    let shown_end: DateTime<Utc> = shown_end.parse().ctx("the grace's end is a date");
    assert_eq!(
        shown_end.timestamp_millis(),
        grace_ends_at,
        "the row shows the stored end"
    );
    assert!(
        !row_has(&old_row, "manage-numbers").await,
        "a rolling token offers no edit of its numbers"
    );
    assert_eq!(flows::cell(&old_row, "cell-numbers-count").await, "0");

    // Both secrets work during the grace.
    let during = flows::check_payment(
        &app,
        &old_secret,
        ("CI", "OM", "MERCHANT"),
        "07 07 07 07 07",
    )
    .await;
    assert_eq!(
        during.allowed, "true",
        "the old secret works during the grace, with the numbers of its successor"
    );

    // End now, confirmed: the old secret is refused from then on.
    app.click("nav-tokens").await;
    let old_row = flows::row_of(&app, &expected_name).await;
    flows::row_action(&app, &old_row, "row-end-grace").await;
    app.wait_testid("end-grace-dialog").await;
    app.click("cancel-end-grace").await;
    app.wait_gone("end-grace-dialog").await;
    let unchanged: i64 = app
        .db()
        .query_row(
            "SELECT grace_ends_at FROM tokens WHERE id = ?1",
            [&old.id],
            |row| row.get(0),
        )
        .ctx("grace end");
    assert_eq!(unchanged, grace_ends_at, "Cancel ends nothing");
    let old_row = flows::row_of(&app, &expected_name).await;
    flows::row_action(&app, &old_row, "row-end-grace").await;
    app.click("confirm-end-grace").await;
    app.wait_gone("end-grace-dialog").await;
    let ended: i64 = app
        .db()
        .query_row(
            "SELECT grace_ends_at FROM tokens WHERE id = ?1",
            [&old.id],
            |row| row.get(0),
        )
        .ctx("grace end");
    assert!(ended <= now_ms(), "End now ends the grace in the database");
    let old_row_css = format!("[data-testid=\"token-row\"][data-token-id=\"{}\"]", old.id);
    app.wait_until("the rolled token leaves the default list", || async {
        app.all_css(&old_row_css).await.is_empty()
    })
    .await;
    app.select("list-status-filter", "rolled").await;
    app.wait_css(&old_row_css).await;
    assert_eq!(row_status(&app, &expected_name).await, "ROLLED");

    let after = flows::check_payment(
        &app,
        &old_secret,
        ("CI", "OM", "MERCHANT"),
        "07 07 07 07 07",
    )
    .await;
    assert_eq!(
        (after.allowed.as_str(), after.reason.as_str()),
        ("false", "rolled"),
        "once the grace has ended the old secret is refused as rolled: {}",
        after.text
    );
    let successor = flows::check_payment(
        &app,
        &new_secret,
        ("CI", "OM", "MERCHANT"),
        "07 07 07 07 07",
    )
    .await;
    assert_eq!(successor.allowed, "true", "the successor works");

    // The details of each link to the other.
    app.driver()
        .execute(
            &format!("location.hash = '#/token/{}';", old.id),
            Vec::new(),
        )
        .await
        .ctx("open the old token");
    app.wait_testid("detail-rolled").await;
    assert!(
        app.all_css("[data-testid=\"edit-token\"]").await.is_empty()
            && app
                .all_css("[data-testid=\"details-roll\"]")
                .await
                .is_empty(),
        "a rolled token's page offers no edit and no roll"
    );
    app.click("detail-successor").await;
    let back = app
        .wait_testid("detail-rolled-from")
        .await
        .attr("data-token-id")
        .await
        .ctx("link");
    assert_eq!(
        back.as_deref(),
        Some(old.id.as_str()),
        "the successor links back"
    );
    assert_eq!(app.text("detail-name").await, CHECKOUT.name);
    app.stop().await;
}

const PAYOUTS: NewToken<'static> = NewToken {
    name: "Dakar payouts",
    description: "Weekly supplier payouts",
    composition: &[("SN", &[("WAVE", &["CASHIN"]), ("OM", &["CASHIN"])])],
    numbers: &[("SN", "77 123 45 67")],
};

/// A token's (country, operator, method) triples, sorted.
fn triples(app: &App, id: &str) -> Vec<String> {
    app.db()
        .prepare("SELECT country || '/' || operator || '/' || method FROM composition WHERE token_id = ?1 ORDER BY 1")
        .ctx("prepare")
        .query_map([id], |row| row.get(0))
        .ctx("query")
        .collect::<Result<_, _>>()
        .ctx("read the composition")
}

#[tokio::test]
async fn duplicate_fills_the_form_and_creates_a_copy_without_the_numbers() {
    let app = App::start().await;
    flows::create_token_in(&app, &PAYOUTS, "sandbox").await;
    let original = flows::stored_token(&app, PAYOUTS.name);

    let row = flows::row_of(&app, PAYOUTS.name).await;
    flows::row_action(&app, &row, "row-duplicate").await;
    app.wait_testid("step-1").await;
    let note = app.text("duplicate-note").await;
    assert!(
        note.contains(PAYOUTS.name) && note.contains("not copied"),
        "the form says where it comes from and that numbers are not copied: {note}"
    );
    assert_eq!(value_of(&app, "field-name").await, "Dakar payouts (copy)");
    assert_eq!(
        value_of(&app, "field-description").await,
        PAYOUTS.description
    );
    assert!(
        is_checked(&app, "environment-sandbox").await,
        "the environment is copied"
    );
    assert!(
        is_checked(&app, "duration-30").await,
        "the lifetime is copied (30 days)"
    );
    app.click("step-next").await;
    app.wait_testid("step-2").await;
    assert_eq!(
        app.all_css("[data-testid=\"composition-card\"][data-country=\"SN\"]")
            .await
            .len(),
        1,
        "the composition is copied"
    );
    app.click("step-next").await;
    app.wait_testid("step-3").await;
    app.wait_testid("duplicate-numbers-note").await;
    app.wait_testid("pending-empty").await;
    app.click("generate").await;
    app.wait_testid("secret-dialog").await;
    let secret = app.text("secret-value").await;
    record_secret(&secret);
    assert!(
        secret.starts_with("clp_test_"),
        "a copy of a sandbox token is a sandbox token"
    );
    app.click("secret-done").await;
    app.wait_gone("secret-dialog").await;
    app.wait_testid("token-table").await;

    let copy = flows::stored_token(&app, "Dakar payouts (copy)");
    let db = app.db();
    let (description, environment, lifetime): (String, String, i64) = db
        .query_row(
            "SELECT description, environment, expires_at - created_at FROM tokens WHERE id = ?1",
            [&copy.id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .ctx("read the copy");
    assert_eq!(description, PAYOUTS.description);
    assert_eq!(environment, "sandbox");
    assert_eq!(lifetime, 30 * 86_400_000, "the copy lives 30 days too");
    assert_eq!(
        triples(&app, &copy.id),
        triples(&app, &original.id),
        "the copy has the same composition"
    );
    let numbers = |id: &str| -> i64 {
        db.query_row(
            "SELECT count(*) FROM numbers WHERE token_id = ?1",
            [id],
            |row| row.get(0),
        )
        .ctx("count numbers")
    };
    assert_eq!(numbers(&copy.id), 0, "the copy has no number");
    assert_eq!(numbers(&original.id), 1, "the original keeps its number");
    app.stop().await;
}

#[tokio::test]
async fn an_expiring_token_has_a_badge_a_banner_and_a_filter() {
    let app = App::start().await;
    flows::create_token(&app, &flows::simple("Far away")).await;
    // Valid through the day three days from now: it expires within 7 days.
    app.click("new-token").await;
    app.fill("field-name", "Soon gone").await;
    app.choose("duration-custom").await;
    let day = (Local::now() + chrono::Duration::days(3))
        .format("%Y-%m-%d")
        .to_string();
    app.fill("field-expiry-date", &day).await;
    app.click("step-next").await;
    flows::compose_and_generate(&app, &[("CI", &[("OM", &["MERCHANT"])])], &[]).await;
    app.click("secret-done").await;
    app.wait_gone("secret-dialog").await;

    let soon = flows::stored_token(&app, "Soon gone");
    let left: i64 = app
        .db()
        .query_row(
            "SELECT expires_at - ?2 FROM tokens WHERE id = ?1",
            rusqlite::params![soon.id, now_ms()],
            |row| row.get(0),
        )
        .ctx("read the expiry");
    assert!(
        (3 * 86_400_000..=4 * 86_400_000).contains(&left),
        "the token expires 3 to 4 days from now, got {left} ms"
    );

    let banner = app.wait_text("expiring-banner-text", "1 token").await;
    assert_eq!(banner, "1 token expires within 7 days");
    let named = app
        .wait_testid("expiring-banner-token")
        .await
        .attr("data-token-id")
        .await
        .ctx("banner token");
    assert_eq!(
        named.as_deref(),
        Some(soon.id.as_str()),
        "the banner names the expiring token"
    );
    let row = flows::row_of(&app, "Soon gone").await;
    assert!(
        row_has(&row, "cell-expiring").await,
        "the expiring token has the badge"
    );
    assert_eq!(flows::status(&row).await, "ACTIVE", "it is still active");
    let far = flows::row_of(&app, "Far away").await;
    assert!(
        !row_has(&far, "cell-expiring").await,
        "a token expiring in 30 days has no badge"
    );

    // The banner's Roll… opens the roll dialog for that token.
    app.click("expiring-roll").await;
    let dialog = app.wait_testid("roll-dialog").await;
    assert!(dialog.text().await.ctx("dialog").contains("Soon gone"));
    app.click("cancel-roll").await;
    app.wait_gone("roll-dialog").await;

    app.select("list-status-filter", "expiring").await;
    app.wait_until("only the expiring token is listed", || async {
        listed_names(&app).await == ["Soon gone"]
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_sandbox_token_has_a_test_secret_a_chip_and_its_filter() {
    let app = App::start().await;
    let secret = flows::create_token_in(&app, &flows::simple("Sandbox checkout"), "sandbox").await;
    assert!(secret.starts_with("clp_test_"), "a sandbox secret");
    flows::create_token(&app, &flows::simple("Live checkout")).await;

    let sandbox = flows::stored_token(&app, "Sandbox checkout");
    let live = flows::stored_token(&app, "Live checkout");
    let stored = |id: &str| -> (String, String) {
        app.db()
            .query_row(
                "SELECT environment, hint FROM tokens WHERE id = ?1",
                [id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .ctx("read the environment")
    };
    let (environment, hint) = stored(&sandbox.id);
    assert_eq!(environment, "sandbox");
    assert!(hint.starts_with("clp_test_"), "the hint says it: {hint}");
    assert_eq!(stored(&live.id).0, "live", "live is the default");

    for (name, expected) in [("Sandbox checkout", "sandbox"), ("Live checkout", "live")] {
        let row = flows::row_of(&app, name).await;
        assert_eq!(
            flows::cell_attr(&row, "cell-environment", "data-environment")
                .await
                .as_deref(),
            Some(expected),
            "the row of {name} shows its environment"
        );
    }

    app.select("list-environment-filter", "sandbox").await;
    app.wait_until("only the sandbox token is listed", || async {
        listed_names(&app).await == ["Sandbox checkout"]
    })
    .await;
    app.select("list-environment-filter", "live").await;
    app.wait_until("only the live token is listed", || async {
        listed_names(&app).await == ["Live checkout"]
    })
    .await;
    app.select("list-environment-filter", "all").await;
    app.wait_until("both are listed", || async {
        listed_names(&app).await.len() == 2
    })
    .await;

    // The details say it too.
    let row = flows::row_of(&app, "Sandbox checkout").await;
    flows::click_in_row(&app, &row, "cell-name").await;
    let chip = app
        .wait_testid("detail-environment")
        .await
        .attr("data-environment")
        .await
        .ctx("chip");
    assert_eq!(chip.as_deref(), Some("sandbox"));
    app.stop().await;
}

#[tokio::test]
async fn reminder_and_retention_settings_are_checked_then_saved() {
    let app = App::start().await;
    flows::save_settings(
        &app,
        &[
            ("settings-reminder-days", "7, 120"),
            ("settings-retention-days", "10"),
        ],
    )
    .await;
    let thresholds = app.wait_text("error-reminder_days", "120").await;
    assert!(
        thresholds.contains("0 to 90"),
        "the message says the range: {thresholds}"
    );
    let retention = app.wait_text("error-usage_retention_days", "30").await;
    assert!(
        retention.contains("3,650"),
        "the message says the range: {retention}"
    );
    let stored = || -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(app.settings_file()).ok()?;
        let file: serde_json::Value = serde_json::from_str(&text).ok()?;
        Some(file["settings"].clone())
    };
    assert!(
        stored().is_none_or(|settings| settings["usage_retention_days"] != 10),
        "refused values are not saved"
    );

    app.fill("settings-reminder-days", "1, 14 ,0").await;
    app.fill("settings-retention-days", "90").await;
    app.choose("settings-reminders").await;
    app.click("settings-save").await;
    app.wait_text("toast", "Settings saved").await;
    let saved = stored().ctx_opt("the settings file is written");
    assert_eq!(saved["reminders"], false, "reminders are off: {saved}");
    assert_eq!(
        saved["reminder_days"],
        serde_json::json!([14, 1, 0]),
        "the thresholds, farthest first: {saved}"
    );
    assert_eq!(saved["usage_retention_days"], 90, "{saved}");
    assert_eq!(
        saved["clipboard_clear_secs"], 30,
        "the other settings are kept: {saved}"
    );

    // Shown as saved when the screen opens again.
    app.click("nav-tokens").await;
    app.click("nav-settings").await;
    let reminders = app
        .wait_css_present("[data-testid=\"settings-reminders\"]")
        .await;
    assert!(!reminders.is_selected().await.ctx("checkbox"));
    assert_eq!(
        app.wait_testid("settings-reminder-days")
            .await
            .prop("value")
            .await
            .ctx("value")
            .as_deref(),
        Some("14, 1, 0")
    );
    assert_eq!(
        app.wait_testid("settings-retention-days")
            .await
            .prop("value")
            .await
            .ctx("value")
            .as_deref(),
        Some("90")
    );
    app.stop().await;
}

/// Presses a key where the focus is.
async fn press(app: &App, key: thirtyfour::Key) {
    app.driver()
        .action_chain()
        .send_keys(key)
        .perform()
        .await
        .ctx("pressing a key");
}

/// The testid of the element that has the focus.
async fn focused(app: &App) -> String {
    app.driver()
        .execute(
            "return document.activeElement?.dataset.testid ?? null;",
            Vec::new(),
        )
        .await
        .ctx("reading the focus")
        .json()
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A row's menu and the roll dialog work from the keyboard: Enter opens the menu on its first
/// item, the arrows move through it, Escape closes it and gives the focus back to its button;
/// Roll… opens the dialog on the default grace, and Escape closes it, rolling nothing.
#[tokio::test]
async fn the_row_menu_and_the_roll_dialog_work_from_the_keyboard() {
    use thirtyfour::prelude::*;
    let app = App::start().await;
    flows::create_token(&app, &flows::simple("Keyboard shop")).await;
    let row = flows::row_of(&app, "Keyboard shop").await;
    let more = row
        .find(By::Css("[data-testid=\"row-actions\"]"))
        .await
        .ctx("the row's menu button");
    app.driver()
        .execute(
            "arguments[0].focus();",
            vec![more.to_json().ctx("element to json")],
        )
        .await
        .ctx("focusing the menu button");

    press(&app, Key::Enter).await;
    app.wait_testid("action-menu").await;
    assert_eq!(focused(&app).await, "row-roll", "the menu opens on Roll…");
    press(&app, Key::Down).await;
    assert_eq!(focused(&app).await, "row-duplicate");
    press(&app, Key::Up).await;
    press(&app, Key::Up).await;
    assert_eq!(
        focused(&app).await,
        "row-details",
        "the arrows go round the menu"
    );
    press(&app, Key::Escape).await;
    app.wait_gone("action-menu").await;
    assert_eq!(
        focused(&app).await,
        "row-actions",
        "Escape gives the focus back to the menu's button"
    );
    assert_eq!(
        more.attr("aria-expanded")
            .await
            .ctx("aria-expanded")
            .as_deref(),
        Some("false")
    );

    press(&app, Key::Enter).await;
    app.wait_testid("action-menu").await;
    press(&app, Key::Enter).await;
    app.wait_testid("roll-dialog").await;
    assert_eq!(
        focused(&app).await,
        "roll-grace-24h",
        "the dialog opens on the default grace"
    );
    press(&app, Key::Escape).await;
    app.wait_gone("roll-dialog").await;
    assert_eq!(
        focused(&app).await,
        "row-actions",
        "closing the dialog gives the focus back to the row's menu button"
    );
    let token = flows::stored_token(&app, "Keyboard shop");
    let rolled: Option<String> = app
        .db()
        .query_row(
            "SELECT rolled_to FROM tokens WHERE id = ?1",
            [&token.id],
            |row| row.get(0),
        )
        .ctx("read rolled_to");
    assert_eq!(rolled, None, "Escape rolls nothing");
    app.stop().await;
}
