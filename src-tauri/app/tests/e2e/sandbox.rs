//! The Sandbox screen: start the gateway from the screen, send a request with a sandbox token
//! from outside the app (as an integration would, on loopback), see it in the screen's log and as
//! the token's Last Date Used; reveal and copy a webhook key on demand; stop the gateway.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use chrono::Utc;
use clapay_core::{Catalog, Environment, Expiry, Method, NewToken, Registry, Triple};

use crate::flows;
use crate::harness::{clipboard_text, record_secret, App, Context, ContextOpt};

const NAME: &str = "Sandbox checkout";

/// Creates a sandbox token for Orange Money pay-in in Côte d'Ivoire; returns its secret.
fn create_sandbox_token(db: &std::path::Path) -> String {
    let mut registry = Registry::open(db, Catalog::embedded()).ctx("open the registry");
    let created = registry
        .create_token(
            &NewToken {
                name: NAME.into(),
                description: String::new(),
                environment: Environment::Sandbox,
                expiry: Expiry::Days { days: 30 },
                composition: vec![Triple {
                    country: "CI".into(),
                    operator: "OM".into(),
                    method: Method::Merchant,
                }],
                numbers: Vec::new(),
            },
            Utc::now(),
        )
        .ctx("create a sandbox token");
    let secret = created.secret.expose_secret().to_string();
    record_secret(&secret);
    secret
}

/// `POST /init/payment` on loopback; the status code.
fn init_payment(base_url: &str, secret: &str) -> u16 {
    let address = base_url
        .strip_prefix("http://")
        .ctx_opt("the base URL is http://");
    let body = r#"{"transaction_id":"e2e-1","amount":5000,"country_code":"CI","operators_code":["OM"],"method":"MERCHANT","tunnel":"API","additional_infos":{"customer_phone":"0707070707"}}"#;
    let request = format!(
        "POST /init/payment HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {secret}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(address).ctx("connect to the sandbox");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .ctx("read timeout");
    stream.write_all(request.as_bytes()).ctx("send the request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ctx("read the answer");
    answer
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

async fn running(app: &App) -> String {
    app.wait_testid("sandbox-status")
        .await
        .attr("data-running")
        .await
        .ctx("data-running")
        .unwrap_or_default()
}

#[tokio::test]
async fn the_sandbox_screen_serves_a_request_and_shows_it_in_the_log_and_last_used() {
    let mut secret = String::new();
    let app = App::start_with(|db| secret = create_sandbox_token(db), "new-token").await;

    app.click("nav-sandbox").await;
    app.wait_testid("sandbox-page").await;
    assert_eq!(running(&app).await, "false", "stopped until asked");
    // Port 0: any free port, so the test never collides with a developer's sandbox.
    app.set_value("sandbox-port", "0").await;
    app.click("sandbox-toggle").await;
    app.wait_until("the gateway runs", || async {
        running(&app).await == "true"
    })
    .await;
    let base_url = app
        .wait_testid("sandbox-base-url")
        .await
        .value()
        .await
        .ctx("the base URL")
        .unwrap_or_default();
    assert!(
        base_url.starts_with("http://127.0.0.1:"),
        "loopback only: {base_url}"
    );

    assert_eq!(
        init_payment(&base_url, &secret),
        200,
        "the sandbox token is allowed"
    );
    app.wait_until("the request in the log", || async {
        let rows = app.all_css("[data-testid=\"sandbox-log-row\"]").await;
        match rows.first() {
            Some(row) => row
                .text()
                .await
                .map(|text| text.contains(NAME) && text.contains("200"))
                .unwrap_or(false),
            None => false,
        }
    })
    .await;
    let row = app.wait_css("[data-testid=\"sandbox-log-row\"]").await;
    let text = row.text().await.ctx("the log row's text");
    assert!(text.contains("Allowed"), "the decision: {text}");
    assert!(text.contains("0707••••07"), "the phone, masked: {text}");
    assert!(!text.contains(&secret[9..25]), "never the token");

    // A webhook key: masked until asked, then shown and copied through the guarded clipboard.
    let masked = app.text("sandbox-secret-value").await;
    assert!(!masked.contains("nowallet_sk_"), "masked by default");
    app.click("sandbox-reveal-secret").await;
    app.wait_until("the secret shown", || async {
        app.text("sandbox-secret-value")
            .await
            .starts_with("nowallet_sk_")
    })
    .await;
    let key = app.text("sandbox-secret-value").await;
    record_secret(&key);
    app.click("sandbox-copy-secret").await;
    app.wait_until("the key on the clipboard", || async {
        clipboard_text().as_deref() == Some(key.as_str())
    })
    .await;

    app.click("sandbox-toggle").await;
    app.wait_until("the gateway stops", || async {
        running(&app).await == "false"
    })
    .await;

    // The use is on disk once stopped, and the list shows it as the token's Last Date Used.
    let token = flows::stored_token(&app, NAME);
    let used: i64 = app
        .db()
        .query_row(
            "SELECT count(*) FROM history WHERE token_id = ?1 AND kind = 'used'",
            [&token.id],
            |row| row.get(0),
        )
        .ctx("count the uses");
    assert_eq!(used, 1, "the sandbox call is recorded as a use");
    app.click("nav-tokens").await;
    app.wait_testid("token-table").await;
    let row = flows::row_of(&app, NAME).await;
    let shown = flows::cell_attr(&row, "cell-last-used", "data-iso")
        .await
        .unwrap_or_default();
    assert!(
        !shown.is_empty(),
        "the list shows the sandbox call as Last Date Used"
    );
    app.stop().await;
}
