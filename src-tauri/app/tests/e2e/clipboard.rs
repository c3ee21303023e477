//! Copy to the clipboard: marked sensitive, cleared after the delay only if still ours, cleared on
//! quit. The clipboard is read with xclip, as another program on the desktop would.

use std::time::{Duration, Instant};

use thirtyfour::prelude::*;

use crate::flows;
use crate::harness::{clipboard_targets, clipboard_text, stop, user_copies, App, Context};

/// The shortest delay the settings allow; set through the Settings screen.
const DELAY: Duration = Duration::from_secs(5);

async fn copy_with_short_delay(app: &App, name: &str) -> String {
    flows::save_settings(app, &[("settings-clipboard-secs", "5")]).await;
    app.wait_until("the settings file holds the 5 s delay", || async {
        std::fs::read_to_string(app.settings_file()).is_ok_and(|text| {
            text.contains("\"clipboard_clear_secs\": 5")
                || text.contains("\"clipboard_clear_secs\":5")
        })
    })
    .await;
    let secret = flows::create_token_keep_dialog(app, &flows::simple(name)).await;
    app.click("copy-secret").await;
    app.wait_until("the copy is confirmed", || async {
        app.all_css("[data-testid=\"copy-status\"]").await.len() == 1
            && !app.text("copy-status").await.trim().is_empty()
    })
    .await;
    secret
}

#[tokio::test]
async fn copy_is_marked_sensitive_and_gone_after_the_delay() {
    let app = App::start().await;
    let secret = copy_with_short_delay(&app, "Clipboard timer").await;
    let copied_at = Instant::now();
    assert!(
        clipboard_text().as_deref() == Some(secret.as_str()),
        "Copy puts the shown secret on the clipboard"
    );
    let targets = clipboard_targets();
    assert!(
        targets.iter().any(|target| target == "x-kde-passwordManagerHint"),
        "the copy carries the password-manager hint so clipboard managers skip it; targets: {targets:?}"
    );
    assert!(
        !targets.iter().any(|target| target == "SAVE_TARGETS"),
        "a sensitive copy is not handed to a clipboard manager; targets: {targets:?}"
    );

    let deadline = copied_at + DELAY + Duration::from_secs(4);
    while clipboard_text().as_deref() == Some(secret.as_str()) {
        assert!(
            Instant::now() < deadline,
            "the secret is still on the clipboard {:?} after the copy",
            DELAY + Duration::from_secs(4)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        copied_at.elapsed() >= DELAY - Duration::from_millis(500),
        "the clipboard is not cleared before the delay"
    );
    assert_eq!(
        clipboard_text(),
        None,
        "the clipboard is cleared (empty), not overwritten with a placeholder"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_copy_made_by_the_user_in_between_is_left_alone() {
    let app = App::start().await;
    copy_with_short_delay(&app, "Clipboard user copy").await;
    let users_copy = user_copies("invoice 2026-117");
    app.wait_until("the user's copy is on the clipboard", || async {
        clipboard_text().as_deref() == Some("invoice 2026-117")
    })
    .await;
    tokio::time::sleep(DELAY + Duration::from_secs(2)).await;
    assert_eq!(
        clipboard_text().as_deref(),
        Some("invoice 2026-117"),
        "the timer must not clear what the user copied after the secret"
    );
    app.wait_until("the dialog says what became of the copy", || async {
        app.wait_testid("copy-status")
            .await
            .attr("data-outcome")
            .await
            .ok()
            .flatten()
            .is_some()
    })
    .await;
    let status = app.wait_testid("copy-status").await;
    assert_eq!(
        status
            .attr("data-outcome")
            .await
            .ctx("the outcome")
            .as_deref(),
        Some("left_alone"),
        "the clipboard owner reports it left the merchant's copy alone"
    );
    let text = status.text().await.ctx("the copy status");
    assert!(
        text.contains("not cleared") && !text.contains("has been cleared"),
        "the dialog says the clipboard was not cleared, not that it was: {text:?}"
    );
    stop(users_copy);
    app.stop().await;
}

#[tokio::test]
async fn the_dialog_says_the_clipboard_was_cleared_when_it_was() {
    let app = App::start().await;
    copy_with_short_delay(&app, "Clipboard cleared").await;
    app.wait_until("the dialog says what became of the copy", || async {
        app.wait_testid("copy-status")
            .await
            .attr("data-outcome")
            .await
            .ok()
            .flatten()
            .is_some()
    })
    .await;
    let status = app.wait_testid("copy-status").await;
    assert_eq!(
        status
            .attr("data-outcome")
            .await
            .ctx("the outcome")
            .as_deref(),
        Some("cleared")
    );
    assert_eq!(clipboard_text(), None, "and the clipboard is empty");
    app.stop().await;
}

/// Ctrl+C in the secret dialog goes through the guarded copy, as the button does: the clipboard
/// holds the secret marked sensitive, and the secret's text cannot be selected for the webview's
/// own copy (which would carry no mark and never be cleared).
#[tokio::test]
async fn ctrl_c_in_the_secret_dialog_is_the_guarded_copy() {
    let app = App::start().await;
    let secret = flows::create_token_keep_dialog(&app, &flows::simple("Clipboard shortcut")).await;
    let value = app.wait_testid("secret-value").await;
    let user_select: String = app
        .driver()
        .execute(
            "const style = getComputedStyle(arguments[0]); \
             return style.userSelect || style.webkitUserSelect;",
            vec![value.to_json().ctx("element to json")],
        )
        .await
        .ctx("reading the secret's style")
        .convert()
        .ctx("a string");
    assert_eq!(user_select, "none", "the secret's text is not selectable");
    // A click on the secret (which used to select all of it), then the shortcut.
    app.click_element(&value, "the secret").await;
    app.driver()
        .action_chain()
        .key_down(Key::Control)
        .send_keys("c")
        .key_up(Key::Control)
        .perform()
        .await
        .ctx("pressing Ctrl+C");
    app.wait_until("the secret is on the clipboard", || async {
        clipboard_text().as_deref() == Some(secret.as_str())
    })
    .await;
    let targets = clipboard_targets();
    assert!(
        targets
            .iter()
            .any(|target| target == "x-kde-passwordManagerHint"),
        "Ctrl+C put the secret there through copy_secret, marked sensitive; targets: {targets:?}"
    );
    app.wait_until("the dialog counts down to the clearing", || async {
        app.text("copy-status").await.contains("cleared in")
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn quitting_clears_a_secret_still_on_the_clipboard() {
    let app = App::start().await;
    let secret = flows::create_token_keep_dialog(&app, &flows::simple("Clipboard quit")).await;
    app.click("copy-secret").await;
    app.wait_until("the secret is on the clipboard", || async {
        clipboard_text().as_deref() == Some(secret.as_str())
    })
    .await;
    app.stop().await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while clipboard_text().as_deref() == Some(secret.as_str()) {
        assert!(
            Instant::now() < deadline,
            "the secret outlives the app on the clipboard"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
