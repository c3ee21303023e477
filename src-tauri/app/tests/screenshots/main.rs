//! Screenshots of every screen, in light and dark, for docs/screenshots/ (run by
//! scripts/screenshots.sh under Xvfb; not part of `cargo test`: the target has `test = false`).
//!
//! The app starts on a fresh temp database; a few realistic tokens are created through the app's
//! own commands (`window.__TAURI__.core.invoke`, as the UI does), then each screen is opened by
//! clicking, its animations and then two animation frames are awaited, and the WebDriver screenshot is written as
//! `<nn>-<screen>-<theme>.png` in $SCREENSHOTS_DIR.

#[allow(dead_code)]
#[path = "../e2e/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use harness::{App, Context};

/// Tokens a merchant in West Africa might hold: live ones, a sandbox one, one that expires in three
/// days (the list's banner and badge); the richest last.
fn seed_requests() -> Vec<Value> {
    let in_three_days = (chrono::Utc::now() + chrono::Duration::days(3))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let triple = |country: &str, operator: &str, method: &str| json!({ "country": country, "operator": operator, "method": method });
    vec![
        json!({ "name": "Integration tests", "description": "The developers' sandbox token (clp_test_)",
                "environment": "sandbox", "expiry": { "kind": "days", "days": 90 },
                "composition": [triple("CI", "OM", "MERCHANT"), triple("CI", "MTN", "MERCHANT")],
                "numbers": [] }),
        json!({ "name": "Legacy POS terminal", "description": "Replaced by the web checkout",
                "expiry": { "kind": "days", "days": 30 },
                "composition": [triple("CI", "MOOV", "MERCHANT")], "numbers": [] }),
        json!({ "name": "Bamako kiosk", "description": "Counter payments at the Bamako kiosk",
                "expiry": { "kind": "never" },
                "composition": [triple("ML", "OM", "MERCHANT"), triple("ML", "MOOV", "MERCHANT")],
                "numbers": [] }),
        json!({ "name": "Staging integration", "description": "Test payments from the staging server",
                "environment": "sandbox", "expiry": { "kind": "days", "days": 90 },
                "composition": [triple("CI", "OM", "MERCHANT"), triple("CI", "MTN", "MERCHANT")], "numbers": [] }),
        json!({ "name": "Ouagadougou market pilot", "description": "Market stalls, pilot ending this week",
                "expiry": { "kind": "at", "at": in_three_days },
                "composition": [triple("BF", "OM", "MERCHANT")], "numbers": [] }),
        json!({ "name": "Dakar payouts", "description": "Weekly supplier disbursements in Senegal",
                "expiry": { "kind": "days", "days": 365 },
                "composition": [triple("SN", "OM", "CASHIN"), triple("SN", "WAVE", "CASHIN")],
                "numbers": [{ "country": "SN", "phone": "+221771234567" }, { "country": "SN", "phone": "+221781112233" }] }),
        json!({ "name": "Abidjan web checkout", "description": "Online shop checkout, Orange, MTN and Wave",
                "expiry": { "kind": "days", "days": 90 },
                "composition": [triple("CI", "OM", "MERCHANT"), triple("CI", "MTN", "MERCHANT"),
                                triple("CI", "WAVE", "MERCHANT"), triple("SN", "WAVE", "MERCHANT")],
                "numbers": [{ "country": "CI", "phone": "+2250707070707" }, { "country": "CI", "phone": "+2250505050505" },
                            { "country": "SN", "phone": "+221761234567" }] }),
    ]
}

async fn invoke(app: &App, command: &str, args: Value) -> Value {
    let answer = app
        .driver()
        .execute_async(
            "const [command, args, done] = arguments; \
             window.__TAURI__.core.invoke(command, args).then((value) => done({ ok: value ?? null }), \
                                                               (error) => done({ error }));",
            vec![json!(command), args],
        )
        .await
        .ctx(&format!("invoking {command}"));
    let value: Value = answer.convert().ctx("decoding the answer");
    if let Some(error) = value.get("error") {
        panic!("{command} failed: {error}");
    }
    value["ok"].clone()
}

/// Seeds the tokens; returns the sandbox token's secret, for the Sandbox screen's requests.
async fn seed(app: &App) -> String {
    let mut last = None;
    let mut sandbox_secret = None;
    for request in seed_requests() {
        let sandbox = request["environment"] == "sandbox";
        let created = invoke(app, "create_token", json!({ "request": request })).await;
        let id = created["token"]["id"].clone();
        if sandbox {
            sandbox_secret = created["secret"].as_str().map(str::to_owned);
        }
        last = Some((id.clone(), created["secret"].clone()));
        invoke(app, "discard_secret", json!({ "id": id })).await;
    }
    let (checkout_id, checkout_secret) = last.ctx_opt_owned("the seed created tokens");
    // One allowed check, so Last Date Used and the history show a use.
    let request = json!({ "secret": checkout_secret, "country": "CI", "operator": "OM",
                          "method": "MERCHANT", "phone": "+2250707070707" });
    invoke(app, "authorize", json!({ "request": request })).await;
    invoke(
        app,
        "set_number_enabled",
        json!({ "id": checkout_id, "number": "+2250505050505", "enabled": false }),
    )
    .await;
    let list = invoke(
        app,
        "list_tokens",
        json!({ "query": { "status": "all", "search": "Legacy", "sort": "created_at", "descending": true,
                           "offset": 0, "limit": 10 } }),
    )
    .await;
    let legacy = list["items"][0]["id"].clone();
    invoke(app, "revoke_token", json!({ "id": legacy })).await;
    // A roll in its grace period: the old token is listed as Rolling beside its successor.
    let list = invoke(
        app,
        "list_tokens",
        json!({ "query": { "status": "all", "search": "Bamako", "sort": "created_at", "descending": true,
                           "limit": 10 } }),
    )
    .await;
    let kiosk = list["items"][0]["id"].clone();
    let rolled = invoke(app, "roll_token", json!({ "id": kiosk, "grace": "24h" })).await;
    invoke(
        app,
        "discard_secret",
        json!({ "id": rolled["token"]["id"].clone() }),
    )
    .await;
    // The page does not know about tokens created behind its back: start it again.
    app.driver()
        .execute("location.reload();", Vec::new())
        .await
        .ctx("reload");
    app.wait_testid("token-table").await;
    sandbox_secret.ctx_opt_owned("the seed has a sandbox token")
}

/// `POST /init/payment` to the sandbox, as an integration would.
fn send_to_sandbox(base_url: &str, secret: Option<&str>, method: &str, phone: &str) {
    use std::io::{Read, Write};
    let address = base_url.trim_start_matches("http://");
    let body = format!(
        r#"{{"transaction_id":"order-1","amount":5000,"country_code":"CI","operators_code":["OM"],"method":"{method}","tunnel":"API","additional_infos":{{"customer_phone":"{phone}"}}}}"#
    );
    let authorization = secret
        .map(|secret| format!("Authorization: Bearer {secret}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST /init/payment HTTP/1.1\r\nHost: {address}\r\n{authorization}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = std::net::TcpStream::connect(address).ctx("connect to the sandbox");
    stream
        .write_all(request.as_bytes())
        .ctx("send to the sandbox");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
}

/// The Sandbox screen, running, with a few requests in its log (its keys stay masked).
async fn sandbox_screen(app: &App, shooter: &mut Shooter, secret: &str) {
    app.click("nav-sandbox").await;
    app.wait_testid("sandbox-page").await;
    let status = app.wait_testid("sandbox-status").await;
    if status
        .attr("data-running")
        .await
        .ctx("data-running")
        .as_deref()
        != Some("true")
    {
        app.set_value("sandbox-port", "0").await;
        app.click("sandbox-toggle").await;
        app.wait_css("[data-testid=\"sandbox-status\"][data-running=\"true\"]")
            .await;
        let base_url = app
            .wait_testid("sandbox-base-url")
            .await
            .value()
            .await
            .ctx("the base URL")
            .ctx_opt_owned("a base URL");
        send_to_sandbox(&base_url, Some(secret), "MERCHANT", "0707070707");
        send_to_sandbox(&base_url, Some(secret), "CASHIN", "0707070707");
        send_to_sandbox(&base_url, None, "MERCHANT", "0505050505");
        send_to_sandbox(&base_url, Some(secret), "MERCHANT", "0505050505");
    }
    app.wait_until("the requests in the log", || async {
        app.all_css("[data-testid=\"sandbox-log-row\"]").await.len() >= 4
    })
    .await;
    shooter.shoot(app, "sandbox").await;
}

trait OwnedOpt<T> {
    fn ctx_opt_owned(self, what: &str) -> T;
}

impl<T> OwnedOpt<T> for Option<T> {
    fn ctx_opt_owned(self, what: &str) -> T {
        self.unwrap_or_else(|| panic!("{what}"))
    }
}

struct Shooter {
    dir: PathBuf,
    theme: &'static str,
    count: usize,
}

impl Shooter {
    async fn shoot(&mut self, app: &App, name: &str) -> PathBuf {
        app.settle().await;
        self.count += 1;
        let path = self
            .dir
            .join(format!("{:02}-{name}-{}.png", self.count, self.theme));
        let png = app
            .driver()
            .screenshot_as_png()
            .await
            .ctx("taking a screenshot");
        std::fs::write(&path, png).ctx(&format!("writing {}", path.display()));
        println!("wrote {}", path.display());
        path
    }
}

async fn set_theme(app: &App, theme: &str) {
    let mut settings = invoke(app, "get_settings", json!({})).await;
    settings["theme"] = json!(theme);
    invoke(app, "update_settings", json!({ "settings": settings })).await;
    app.driver()
        .execute("location.hash = '#/tokens'; location.reload();", Vec::new())
        .await
        .ctx("reload");
    app.wait_testid("new-token").await;
}

async fn open_list(app: &App) {
    app.click("nav-tokens").await;
    app.wait_testid("token-table").await;
}

/// An element of the row of the richest seeded token.
async fn in_checkout_row(app: &App, testid: &str) -> thirtyfour::WebElement {
    in_row(app, "Abidjan web checkout", testid).await
}

async fn walk(app: &App, shooter: &mut Shooter, sandbox_secret: &str) {
    open_list(app).await;
    shooter.shoot(app, "token-list").await;

    app.select("list-status-filter", "all").await;
    app.wait_css("[data-testid=\"token-row\"].row-revoked")
        .await;
    shooter.shoot(app, "token-list-all").await;
    app.select("list-status-filter", "current").await;

    app.click("new-token").await;
    app.fill("field-name", "Lomé marketplace").await;
    app.fill(
        "field-description",
        "Marketplace checkout in Togo and Benin",
    )
    .await;
    shooter.shoot(app, "create-step-1").await;
    app.click("step-next").await;
    app.click("add-composition").await;
    app.select("picker-country", "CI").await;
    for method in ["MERCHANT", "CASHIN"] {
        let css = format!(
            "[data-testid=\"picker-method\"][data-operator=\"OM\"][data-method=\"{method}\"]"
        );
        let checkbox = app.wait_css_present(&css).await;
        app.js_click(&checkbox, &css).await;
    }
    shooter.shoot(app, "composition-picker").await;
    app.click("picker-save").await;
    app.wait_gone("composition-picker").await;
    shooter.shoot(app, "create-step-2").await;
    app.click("step-next").await;
    app.fill("field-phone", "01 02 03 04 05").await;
    app.click("add-number").await;
    app.wait_testid("pending-number").await;
    shooter.shoot(app, "create-step-3").await;
    app.click("cancel-create").await;

    open_list(app).await;
    let view = in_checkout_row(app, "view-composition").await;
    app.click_element(&view, "View").await;
    app.wait_css("[data-testid=\"composition-dialog\"] [data-testid=\"composition-card\"]")
        .await;
    shooter.shoot(app, "composition-details").await;
    app.click("composition-cancel").await;
    app.wait_gone("composition-dialog").await;

    let manage = in_checkout_row(app, "manage-numbers").await;
    app.click_element(&manage, "Manage").await;
    app.wait_css("[data-testid=\"numbers-dialog\"] [data-testid=\"number-row\"]")
        .await;
    shooter.shoot(app, "manage-numbers").await;
    app.click("numbers-close-button").await;
    // The page under a dialog takes no click until the dialog is gone.
    app.wait_gone("numbers-dialog").await;

    let revoke = in_checkout_row(app, "revoke-token").await;
    app.click_element(&revoke, "Revoke").await;
    app.wait_testid("revoke-dialog").await;
    shooter.shoot(app, "revoke-confirmation").await;
    app.click("cancel-revoke").await;

    let name = in_checkout_row(app, "cell-name").await;
    app.click_element(&name, "token name").await;
    app.wait_testid("history-event").await;
    shooter.shoot(app, "token-details").await;

    app.click("nav-check").await;
    app.wait_testid("check-form").await;
    app.fill(
        "check-token",
        "clp_0000000000000000000000000000000000000000000000000",
    )
    .await;
    app.select("check-country", "CI").await;
    app.select("check-operator", "OM").await;
    app.select("check-method", "MERCHANT").await;
    app.click("check-submit").await;
    app.wait_testid("check-result").await;
    shooter.shoot(app, "check-payment").await;

    sandbox_screen(app, shooter, sandbox_secret).await;

    app.click("nav-settings").await;
    app.wait_testid("settings-form").await;
    shooter.shoot(app, "settings").await;
}

async fn secret_dialog(app: &App, shooter: &mut Shooter) {
    app.click("new-token").await;
    app.fill("field-name", &format!("Screenshot token {}", shooter.theme))
        .await;
    app.click("step-next").await;
    app.click("add-composition").await;
    app.select("picker-country", "SN").await;
    let css = "[data-testid=\"picker-method\"][data-operator=\"WAVE\"][data-method=\"MERCHANT\"]";
    let checkbox = app.wait_css_present(css).await;
    app.js_click(&checkbox, css).await;
    app.click("picker-save").await;
    app.wait_gone("composition-picker").await;
    app.click("step-next").await;
    app.click("generate").await;
    app.wait_testid("secret-dialog").await;
    let path = shooter.shoot(app, "new-token-secret").await;
    blur_secret(app, &path).await;
    app.click("secret-done").await;
    app.wait_gone("secret-dialog").await;
}

/// The lifecycle's dialogs and pages: a row's menu, the roll dialog, a rolling token's details and
/// the create form filled for a duplicate.
async fn lifecycle(app: &App, shooter: &mut Shooter) {
    open_list(app).await;
    let more = in_row(app, "Abidjan web checkout", "row-actions").await;
    app.click_element(&more, "More actions").await;
    app.wait_testid("action-menu").await;
    shooter.shoot(app, "row-actions").await;
    app.click("row-roll").await;
    app.wait_testid("roll-dialog").await;
    shooter.shoot(app, "roll-dialog").await;
    app.click("cancel-roll").await;
    app.wait_gone("roll-dialog").await;

    let name = in_row_xpath(
        app,
        "//tr[@data-testid='token-row'][.//a[@data-testid='cell-name' and starts-with(text(), 'Bamako kiosk (rolled')]]\
         //*[@data-testid='cell-name']",
    )
    .await;
    app.click_element(&name, "the rolled token").await;
    app.wait_testid("detail-rolling").await;
    app.wait_testid("history-event").await;
    shooter.shoot(app, "rolling-token-details").await;

    open_list(app).await;
    let more = in_row(app, "Dakar payouts", "row-actions").await;
    app.click_element(&more, "More actions").await;
    app.click("row-duplicate").await;
    app.wait_testid("duplicate-note").await;
    shooter.shoot(app, "duplicate-form").await;
    app.click("cancel-create").await;
}

/// An element of the row of the token named `name`.
async fn in_row(app: &App, name: &str, testid: &str) -> thirtyfour::WebElement {
    in_row_xpath(
        app,
        &format!(
            "//tr[@data-testid='token-row'][.//a[@data-testid='cell-name' and text()='{name}']]\
             //*[@data-testid='{testid}']"
        ),
    )
    .await
}

async fn in_row_xpath(app: &App, xpath: &str) -> thirtyfour::WebElement {
    use thirtyfour::prelude::*;
    app.driver()
        .query(By::XPath(xpath.to_owned()))
        .and_displayed()
        .first()
        .await
        .ctx(xpath)
}

/// Blurs the secret in a committed screenshot: the token is from a throwaway database, but a
/// secret-shaped string in the repository would still trip secret scanners and readers alike.
async fn blur_secret(app: &App, path: &Path) {
    let rect = app
        .wait_testid("secret-value")
        .await
        .rect()
        .await
        .ctx("the secret's position");
    let region = format!(
        "{}x{}+{}+{}",
        rect.width.ceil() as u32,
        rect.height.ceil() as u32,
        rect.x.floor() as u32,
        rect.y.floor() as u32
    );
    let status = std::process::Command::new("convert")
        .arg(path)
        .args(["-region", &region, "-blur", "0x6"])
        .arg(path)
        .status()
        .ctx("running ImageMagick's convert (apt-get install imagemagick)");
    assert!(
        status.success(),
        "convert failed to blur the secret in {}",
        path.display()
    );
}

fn output_dir() -> PathBuf {
    let dir = std::env::var_os("SCREENSHOTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots"));
    std::fs::create_dir_all(&dir).ctx("creating the screenshots dir");
    dir
}

/// The window size a merchant first sees: the main window's in `tauri.conf.json`.
fn default_window_size() -> (u32, u32) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tauri.conf.json");
    let text = std::fs::read_to_string(path).ctx("reading tauri.conf.json");
    let config: serde_json::Value = serde_json::from_str(&text).ctx("parsing tauri.conf.json");
    let window = &config["app"]["windows"][0];
    let size = |key: &str| {
        let value = window[key]
            .as_u64()
            .ctx_opt_owned("the main window's size in tauri.conf.json");
        u32::try_from(value).ctx("a window size")
    };
    (size("width"), size("height"))
}

#[tokio::main]
async fn main() {
    let dir = output_dir();
    // Each theme on its own app and database, seeded the same way: the tokens one walk creates
    // (the secret dialog's) would otherwise show in the other theme's list.
    for theme in ["light", "dark"] {
        let app = App::start().await;
        let (width, height) = default_window_size();
        app.driver()
            .set_window_rect(0, 0, width, height)
            .await
            .ctx("sizing the window");
        let mut shooter = Shooter {
            dir: dir.clone(),
            theme,
            count: 0,
        };
        set_theme(&app, theme).await;
        app.wait_testid("empty-state").await;
        shooter.shoot(&app, "empty-state").await;
        let sandbox_secret = seed(&app).await;
        harness::record_secret(&sandbox_secret);
        walk(&app, &mut shooter, &sandbox_secret).await;
        secret_dialog(&app, &mut shooter).await;
        lifecycle(&app, &mut shooter).await;
        app.stop().await;
    }
}
