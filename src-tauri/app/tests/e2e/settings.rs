//! Settings: a catalog file is checked and its changes shown before it is applied; the app's
//! version is in the sidebar and in About.

use serde_json::Value;

use crate::flows;
use crate::harness::{App, Context};

/// Chooses a catalog file in Settings as a merchant would, with `text` as its content (the file
/// input is set through the page: the app reads the file from the input either way).
async fn choose_catalog_file(app: &App, text: &str) {
    let input = app
        .wait_css_present("[data-testid=\"settings-import-catalog\"]")
        .await;
    app.driver()
        .execute(
            "const [input, text] = arguments;
             const files = new DataTransfer();
             files.items.add(new File([text], 'catalog.json', { type: 'application/json' }));
             input.files = files.files;
             input.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![
                input.to_json().ctx("element to json"),
                serde_json::json!(text),
            ],
        )
        .await
        .ctx("choosing a catalog file");
}

/// The catalog in use, as the app serves it.
async fn catalog(app: &App) -> Value {
    app.driver()
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.__TAURI__.core.invoke('get_catalog').then(done, (error) => done({ error: String(error) }));",
            Vec::new(),
        )
        .await
        .ctx("reading the catalog")
        .json()
        .clone()
}

#[tokio::test]
async fn a_catalog_file_shows_what_it_changes_and_applies_only_on_apply() {
    let app = App::start().await;
    let current = catalog(&app).await;
    let version = current["version"].as_str().unwrap_or_default().to_owned();
    let mut newer = current.clone();
    newer["version"] = serde_json::json!("2099-03-01-e2e");
    if let Some(countries) = newer["countries"].as_array_mut() {
        countries.retain(|country| country["iso"] != "ML");
    }
    app.click("nav-settings").await;
    app.wait_testid("settings-form").await;

    choose_catalog_file(&app, &newer.to_string()).await;
    app.wait_testid("catalog-import-dialog").await;
    let removed = app.text("catalog-countries-removed").await;
    assert!(
        removed.contains("1 country removed") && removed.contains("Mali (ML)"),
        "the dialog names the country the file removes: {removed:?}"
    );
    app.click("catalog-cancel").await;
    app.wait_gone("catalog-import-dialog").await;
    assert_eq!(
        app.text("settings-catalog-version").await,
        version,
        "Cancel applies nothing"
    );
    assert_eq!(catalog(&app).await["version"], version.as_str());

    choose_catalog_file(&app, &newer.to_string()).await;
    app.click("catalog-apply").await;
    app.wait_gone("catalog-import-dialog").await;
    app.wait_text("settings-catalog-version", "2099-03-01-e2e")
        .await;
    assert_eq!(
        catalog(&app).await["version"],
        "2099-03-01-e2e",
        "Apply puts the file in use"
    );

    let mut named = newer.clone();
    named["countries"][0]["name"] = serde_json::json!("Ivory\u{1b}[2JCoast");
    choose_catalog_file(&app, &named.to_string()).await;
    let error = app.wait_text("error-catalog", "control character").await;
    assert!(
        error.contains("countries[0].name"),
        "a name with a control character is refused, naming the key: {error:?}"
    );
    choose_catalog_file(&app, &" ".repeat(1024 * 1024 + 1)).await;
    app.wait_text("error-catalog", "1 MiB").await;
    assert!(
        app.all_css("[data-testid=\"catalog-import-dialog\"]")
            .await
            .is_empty(),
        "a refused file opens no dialog"
    );
    app.stop().await;
}

/// The one version number (the workspace's) is in the sidebar and in Settings' About, in English
/// and in French.
#[tokio::test]
async fn the_version_shows_in_the_sidebar_and_in_about() {
    let app = App::start().await;
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(app.text("app-version").await, format!("Version {version}"));
    app.click("nav-settings").await;
    app.wait_testid("settings-form").await;
    assert_eq!(app.text("settings-app-version").await, version);
    flows::save_settings(&app, &[("settings-language", "fr")]).await;
    app.wait_text("nav-tokens", "Jetons").await;
    assert_eq!(app.text("app-version").await, format!("Version {version}"));
    let about = app
        .driver()
        .execute(
            "const dd = document.querySelector('[data-testid=\"settings-app-version\"]');
             return { label: dd.previousElementSibling.textContent, heading: dd.closest('section').querySelector('h2').textContent };",
            Vec::new(),
        )
        .await
        .ctx("reading About")
        .json()
        .clone();
    assert_eq!(
        about,
        serde_json::json!({ "label": "Version de l’application", "heading": "À propos" }),
        "About is in French too"
    );
    assert_eq!(app.text("settings-app-version").await, version);
    app.stop().await;
}
