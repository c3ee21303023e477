//! Switching the language to French in Settings changes the visible strings at once, and the app
//! starts in French from then on (the French texts are loaded when chosen, not with the start).

use crate::flows;
use crate::harness::App;

#[tokio::test]
async fn switching_to_french_changes_the_visible_strings() {
    let mut app = App::start().await;
    assert_eq!(
        app.text("nav-tokens").await,
        "Tokens",
        "the app starts in English under an English locale"
    );
    flows::save_settings(&app, &[("settings-language", "fr")]).await;
    app.wait_text("nav-tokens", "Jetons").await;
    app.settle().await;
    assert_eq!(app.text("nav-settings").await, "Paramètres");
    assert_eq!(app.text("new-token").await, "Nouveau jeton");
    app.click("nav-tokens").await;
    app.wait_testid("empty-state").await;
    let empty = app.text("empty-state").await;
    assert!(
        !empty.contains("token") || empty.contains("jeton"),
        "the list's empty state is in French: {empty}"
    );

    // Opened again, under the same English OS locale, the saved choice wins from the first screen.
    app.relaunch("new-token").await;
    app.wait_testid("empty-state").await;
    assert_eq!(app.text("nav-tokens").await, "Jetons");
    assert_eq!(app.text("new-token").await, "Nouveau jeton");
    let empty = app.text("empty-state").await;
    assert!(
        empty.contains("jeton"),
        "the first screen after a restart is in French: {empty}"
    );
    assert_eq!(
        app.driver()
            .execute("return document.documentElement.lang", vec![])
            .await
            .expect("reading the page's language")
            .json(),
        &serde_json::json!("fr"),
        "the page says it is in French"
    );
    app.stop().await;
}
