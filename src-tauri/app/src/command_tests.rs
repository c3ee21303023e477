//! Command-level tests through Tauri's IPC with the mock runtime: real commands, real core, a temp
//! database and an in-memory clipboard, no X server.

use std::path::Path;

use clapay_core::Catalog;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

use crate::catalog_file::load_catalog;
use crate::clipboard::tests::MemoryClipboard;
use crate::clipboard::SecretClipboard;
use crate::database::{Database, DatabaseSlot};
use crate::settings::Settings;
use crate::state::{AppPaths, AppState};

/// The leak ledger of `make test` (scripts/leak_scan.py): while it is set, each secret a test sees
/// is appended to it and the test's folder is kept, so the scan searches the database, WAL,
/// settings store and catalog the commands wrote.
const LEDGER_ENV: &str = "CLAPAY_LEAK_LEDGER";

pub(crate) fn record_secret(secret: &str) {
    use std::io::Write;
    if let Some(ledger) = std::env::var_os(LEDGER_ENV) {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(ledger)
            .expect("the leak ledger is writable");
        writeln!(file, "{secret}").expect("write the leak ledger");
    }
}

/// A test folder, kept for the leak scan while it runs and deleted otherwise.
pub(crate) struct ScanDir(Option<tempfile::TempDir>);

impl ScanDir {
    pub(crate) fn new() -> ScanDir {
        ScanDir(Some(tempfile::tempdir().expect("temp dir")))
    }

    pub(crate) fn path(&self) -> &Path {
        self.0.as_ref().expect("the folder lives until drop").path()
    }
}

impl Drop for ScanDir {
    fn drop(&mut self) {
        if std::env::var_os(LEDGER_ENV).is_some() {
            if let Some(dir) = self.0.take() {
                let _kept = dir.keep();
            }
        }
    }
}

pub(crate) struct Harness {
    _app: App<MockRuntime>,
    webview: WebviewWindow<MockRuntime>,
    clipboard: MemoryClipboard,
    pub(crate) paths: AppPaths,
}

/// The app on `dir/data/tokens.db`, opened and checked before the first command (as a restore
/// reopens it).
pub(crate) fn harness(dir: &Path) -> Harness {
    let paths = test_paths(dir);
    let database = Database::open(&paths.db, Catalog::embedded());
    build_harness(database, paths)
}

/// The app on `dir/data/tokens.db`, opened as the real start opens it: on a thread, writable,
/// then checked; writes wait for the check.
pub(crate) fn starting_harness(dir: &Path) -> Harness {
    let paths = test_paths(dir);
    let slot = DatabaseSlot::opening();
    let harness = build_harness_on(std::sync::Arc::clone(&slot), paths);
    crate::database::open_in_background(
        slot,
        harness.paths.db.clone(),
        harness.paths.catalog.clone(),
    )
    .expect("the database thread starts");
    harness
}

fn test_paths(dir: &Path) -> AppPaths {
    AppPaths {
        db: dir.join("data/tokens.db"),
        settings: dir.join("config/settings.json"),
        catalog: dir.join("data/catalog.json"),
    }
}

fn build_harness(database: Database, paths: AppPaths) -> Harness {
    build_harness_on(DatabaseSlot::new(database), paths)
}

fn build_harness_on(slot: std::sync::Arc<DatabaseSlot>, paths: AppPaths) -> Harness {
    let clipboard = MemoryClipboard::default();
    let state = AppState::new(
        slot,
        SecretClipboard::spawn(clipboard.factory()).expect("clipboard thread starts"),
        Settings::default(),
        paths.clone(),
    );
    let app = mock_builder()
        .plugin(tauri_plugin_store::Builder::new().build())
        .manage(state)
        .invoke_handler(crate::invoke_handler())
        .build(mock_context(noop_assets()))
        .expect("the mock app builds");
    let webview = WebviewWindowBuilder::new(&app, crate::MAIN_WINDOW, Default::default())
        .build()
        .expect("the mock window opens");
    Harness {
        _app: app,
        webview,
        clipboard,
        paths,
    }
}

impl Harness {
    pub(crate) fn invoke(&self, command: &str, args: Value) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: command.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            // On Linux the IPC origin of the app's own pages.
            url: "tauri://localhost".parse().expect("static URL"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_owned(),
        };
        let answer = tauri::test::get_ipc_response(&self.webview, request)
            .map(|body| body.deserialize::<Value>().expect("a JSON response"));
        if let Ok(Value::String(secret)) = answer.as_ref().map(|value| value["secret"].clone()) {
            record_secret(&secret);
        }
        answer
    }
}

pub(crate) fn new_token_request(name: &str) -> Value {
    json!({ "request": {
        "name": name,
        "description": "Shop checkout",
        "expiry": { "kind": "days", "days": 30 },
        "composition": [{ "country": "CI", "operator": "OM", "method": "MERCHANT" }],
        "numbers": []
    }})
}

#[test]
fn copy_puts_the_created_secret_on_the_clipboard_until_it_is_discarded() {
    let dir = ScanDir::new();
    let harness = harness(dir.path());
    let created = harness
        .invoke("create_token", new_token_request("Checkout"))
        .expect("a valid token is created");
    let id = created["token"]["id"]
        .as_str()
        .expect("the token has an id")
        .to_owned();
    let secret = created["secret"]
        .as_str()
        .expect("the secret crosses IPC once")
        .to_owned();
    assert!(
        secret.starts_with("clp_"),
        "the secret has the documented prefix"
    );

    let copied = harness
        .invoke("copy_secret", json!({ "id": id }))
        .expect("copy succeeds");
    assert_eq!(
        copied,
        json!({ "clear_after_secs": 30, "copy": 1 }),
        "the default delay is reported to the UI, with the copy's number"
    );
    let outcome = harness
        .invoke("clipboard_outcome", json!({ "copy": 1 }))
        .expect("the outcome can be asked for");
    assert_eq!(
        outcome, "pending",
        "before its delay the copy is still on the clipboard"
    );
    assert!(
        harness.clipboard.current().as_deref() == Some(secret.as_str()),
        "the clipboard holds the secret"
    );
    assert!(
        *harness.clipboard.sensitive.lock().expect("lock"),
        "the copy is marked sensitive"
    );

    harness
        .invoke("discard_secret", json!({ "id": id }))
        .expect("discard succeeds");
    let error = harness
        .invoke("copy_secret", json!({ "id": id }))
        .expect_err("a discarded secret is gone");
    assert_eq!(
        error["kind"], "not_found",
        "the UI learns the secret is no longer available"
    );
    harness
        .invoke("discard_secret", json!({ "id": id }))
        .expect("discarding twice is harmless");
}

#[test]
fn core_errors_cross_ipc_as_kind_message_and_field() {
    let dir = ScanDir::new();
    let harness = harness(dir.path());
    let error = harness
        .invoke("create_token", new_token_request("   "))
        .expect_err("an empty name is refused");
    assert_eq!(error["kind"], "invalid_name");
    assert_eq!(
        error["field"], "name",
        "the UI shows the message next to the name field"
    );
    let message = error["message"].as_str().expect("a message");
    assert!(
        message.chars().next().is_some_and(char::is_uppercase),
        "the message reads as a sentence: {message}"
    );

    let missing = harness
        .invoke("get_token", json!({ "id": "no-such-token" }))
        .expect_err("unknown id");
    assert_eq!(missing["kind"], "not_found");
    assert_eq!(missing["field"], Value::Null);
}

#[test]
fn settings_are_validated_saved_in_the_store_and_applied() {
    let dir = ScanDir::new();
    let harness = harness(dir.path());
    let defaults = harness
        .invoke("get_settings", json!({}))
        .expect("settings are readable");
    assert_eq!(defaults["clipboard_clear_secs"], 30);

    let mut too_short = defaults.clone();
    too_short["clipboard_clear_secs"] = json!(4);
    let error = harness
        .invoke("update_settings", json!({ "settings": too_short }))
        .expect_err("4 s is too short");
    assert_eq!(error["kind"], "invalid_settings");
    assert_eq!(
        error["field"], "clipboard_clear_secs",
        "the error names the setting"
    );
    assert!(
        !harness.paths.settings.exists(),
        "a refused change writes nothing"
    );

    let wanted = json!({ "clipboard_clear_secs": 5, "default_duration_days": null, "language": "fr",
                         "theme": "dark", "reminders": false, "reminder_days": [3, 0],
                         "usage_retention_days": 90 });
    let saved = harness
        .invoke("update_settings", json!({ "settings": wanted }))
        .expect("valid settings are saved");
    assert_eq!(saved, wanted);
    assert_eq!(
        harness.invoke("get_settings", json!({})).expect("readable"),
        wanted,
        "the new settings are in use"
    );
    let file =
        std::fs::read_to_string(&harness.paths.settings).expect("the store file was written");
    let stored: Value = serde_json::from_str(&file).expect("the store file is JSON");
    assert_eq!(
        stored["settings"], wanted,
        "the store keeps exactly the settings"
    );

    let created = harness
        .invoke("create_token", new_token_request("Store check"))
        .expect("created");
    harness
        .invoke("copy_secret", json!({ "id": created["token"]["id"] }))
        .expect("copied");
    let secret = created["secret"].as_str().expect("secret");
    let file = std::fs::read_to_string(&harness.paths.settings).expect("store file");
    assert!(
        !file.contains(secret),
        "the settings file never holds a secret"
    );
}

#[test]
fn an_imported_catalog_is_validated_kept_and_used_at_next_start() {
    let dir = ScanDir::new();
    let harness = harness(dir.path());
    let error = harness
        .invoke("import_catalog", json!({ "json": "{ not json" }))
        .expect_err("malformed");
    assert_eq!(error["kind"], "invalid_catalog");
    assert_eq!(error["field"], "catalog");
    assert!(
        !harness.paths.catalog.exists(),
        "a refused catalog is not saved"
    );

    let current = harness
        .invoke("get_catalog", json!({}))
        .expect("catalog readable");
    let mut newer = current.clone();
    newer["version"] = json!("2099-01-01-test");
    let imported = harness
        .invoke("import_catalog", json!({ "json": newer.to_string() }))
        .expect("a valid catalog is accepted");
    assert_eq!(imported["version"], "2099-01-01-test");
    let info = harness.invoke("app_info", json!({})).expect("app info");
    assert_eq!(
        info["catalog_version"], "2099-01-01-test",
        "the imported catalog is in use at once"
    );
    assert_eq!(
        load_catalog(&harness.paths.catalog).version,
        "2099-01-01-test",
        "and again at next start"
    );

    std::fs::write(&harness.paths.catalog, "{ damaged").expect("damage the file");
    assert_eq!(
        load_catalog(&harness.paths.catalog).version,
        Catalog::embedded().version,
        "a damaged file falls back to the embedded catalog"
    );
}

#[test]
fn a_catalog_preview_says_what_changes_and_applies_nothing() {
    let dir = ScanDir::new();
    let harness = harness(dir.path());
    let current = harness
        .invoke("get_catalog", json!({}))
        .expect("catalog readable");
    let mut newer = current.clone();
    newer["version"] = json!("2099-02-01-test");
    let countries = newer["countries"].as_array_mut().expect("countries");
    countries.retain(|country| country["iso"] != "ML");
    let preview = harness
        .invoke("preview_catalog", json!({ "json": newer.to_string() }))
        .expect("a valid catalog can be previewed");
    assert_eq!(preview["version"], "2099-02-01-test");
    assert_eq!(preview["current_version"], current["version"]);
    assert_eq!(preview["changes"]["countries_removed"], json!(["ML"]));
    assert_eq!(preview["changes"]["countries_added"], json!([]));
    let info = harness.invoke("app_info", json!({})).expect("app info");
    assert_eq!(
        info["catalog_version"], current["version"],
        "a preview applies nothing"
    );
    assert!(
        !harness.paths.catalog.exists(),
        "and keeps nothing for the next start"
    );

    newer["countries"][0]["name"] = json!("Ivory\u{1b}[31mCoast");
    let error = harness
        .invoke("preview_catalog", json!({ "json": newer.to_string() }))
        .expect_err("a control character in a name is refused");
    assert_eq!(error["kind"], "invalid_catalog");
    let huge = " ".repeat(clapay_core::catalog::MAX_CATALOG_BYTES + 1);
    let error = harness
        .invoke("preview_catalog", json!({ "json": huge }))
        .expect_err("a file over 1 MiB is refused");
    assert_eq!(error["kind"], "invalid_catalog");
}

#[test]
fn app_info_reports_version_database_catalog_and_locale() {
    let dir = ScanDir::new();
    let harness = harness(dir.path());
    let info = harness.invoke("app_info", json!({})).expect("app info");
    assert_eq!(info["db_path"], harness.paths.db.display().to_string());
    assert_eq!(info["catalog_version"], json!(Catalog::embedded().version));
    assert!(
        info["version"].as_str().is_some_and(|v| !v.is_empty()),
        "a version is shown"
    );
    assert!(
        info["locale"].as_str().is_some_and(|l| !l.is_empty()),
        "a locale is always given"
    );
    harness
        .invoke("ui_ready", json!({ "millis": 412.7 }))
        .expect("ui_ready is accepted");
    harness
        .invoke(
            "ui_ready",
            json!({ "millis": 412.7, "phases": { "modules": 67.1, "dom": 180.0 } }),
        )
        .expect("ui_ready is accepted with the page's phases");
}

#[test]
fn a_database_that_cannot_be_opened_is_reported_to_the_window_not_a_silent_exit() {
    let dir = ScanDir::new();
    std::fs::create_dir_all(dir.path().join("data")).expect("data dir");
    std::fs::write(
        dir.path().join("data/tokens.db"),
        b"this is not a database, it is a shopping list",
    )
    .expect("write a file that is not SQLite");
    let harness = harness(dir.path());
    let error = harness
        .invoke("app_info", json!({}))
        .expect_err("the database is unusable");
    assert_eq!(
        error["kind"], "storage",
        "the UI shows its start error for a storage failure"
    );
    let message = error["message"].as_str().expect("a message");
    assert!(
        message.contains("tokens.db"),
        "the message names the file: {message}"
    );
    let settings = harness
        .invoke("get_settings", json!({}))
        .expect("settings still work");
    assert_eq!(settings["clipboard_clear_secs"], 30);
}

/// The lifecycle's commands: a roll answers the successor's secret once and holds it for the
/// copy; the old token keeps working until "End now"; a duplicate's form carries no number.
#[test]
fn roll_end_grace_and_duplicate_through_ipc() {
    let dir = ScanDir::new();
    let harness = harness(dir.path());
    let mut request = new_token_request("Checkout");
    request["request"]["numbers"] = json!([{ "country": "CI", "phone": "0707070707" }]);
    request["request"]["environment"] = json!("sandbox");
    let created = harness.invoke("create_token", request).expect("created");
    let id = created["token"]["id"].as_str().expect("id").to_owned();
    let old_secret = created["secret"].as_str().expect("secret").to_owned();
    assert!(old_secret.starts_with("clp_test_"), "a sandbox token");

    let rolled = harness
        .invoke("roll_token", json!({ "id": id, "grace": "24h" }))
        .expect("rolled");
    let new_id = rolled["token"]["id"].as_str().expect("id").to_owned();
    let new_secret = rolled["secret"]
        .as_str()
        .expect("the successor's secret, once")
        .to_owned();
    assert_ne!(new_secret, old_secret);
    assert_eq!(rolled["previous"]["status"], "ROLLING");
    assert_eq!(
        rolled["token"]["numbers"][0]["number"], "+2250707070707",
        "the numbers moved"
    );
    harness
        .invoke("copy_secret", json!({ "id": new_id }))
        .expect("the successor's secret is held for the copy button");
    assert!(harness.clipboard.current().as_deref() == Some(new_secret.as_str()));
    harness
        .invoke("discard_secret", json!({ "id": new_id }))
        .expect("discarded");

    let check = |secret: &str| {
        harness
            .invoke(
                "authorize",
                json!({ "request": { "secret": secret, "country": "CI", "operator": "OM",
                                     "method": "MERCHANT", "phone": "0707070707" } }),
            )
            .expect("a decision")
    };
    assert_eq!(
        check(&old_secret)["allowed"],
        true,
        "the old secret works in the grace"
    );
    let ended = harness
        .invoke("end_grace", json!({ "id": id }))
        .expect("end now");
    assert_eq!(ended["status"], "ROLLED");
    assert_eq!(check(&old_secret)["reason"], "rolled");
    assert_eq!(check(&new_secret)["allowed"], true);

    let draft = harness
        .invoke("duplicate_draft", json!({ "id": new_id }))
        .expect("a draft");
    assert_eq!(draft["name"], "Checkout (copy)");
    assert_eq!(draft["environment"], "sandbox");
    assert_eq!(draft["numbers"], json!([]), "numbers are never copied");
    assert!(draft.get("secret").is_none());
}

#[test]
fn removing_the_last_number_of_a_country_needs_a_confirmation() {
    let dir = ScanDir::new();
    let harness = harness(dir.path());
    let mut request = new_token_request("Checkout");
    request["request"]["numbers"] = json!([{ "country": "CI", "phone": "0707070707" }]);
    let created = harness.invoke("create_token", request).expect("created");
    let id = created["token"]["id"].as_str().expect("id").to_owned();
    let refused = harness
        .invoke(
            "remove_number",
            json!({ "id": id, "number": "+2250707070707" }),
        )
        .expect_err("it would lift the restriction");
    assert_eq!(refused["kind"], "last_number_of_country");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("any phone will be able to pay in Côte d'Ivoire")),
        "{refused}"
    );
    let removed = harness
        .invoke(
            "remove_number",
            json!({ "id": id, "number": "+2250707070707", "confirmLiftRestriction": true }),
        )
        .expect("confirmed");
    assert_eq!(removed["numbers"], json!([]));
}
