//! Switching the language to French in Settings changes the visible strings at once.

use crate::flows;
use crate::harness::App;

#[tokio::test]
async fn switching_to_french_changes_the_visible_strings() {
    let app = App::start().await;
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
    app.stop().await;
}
