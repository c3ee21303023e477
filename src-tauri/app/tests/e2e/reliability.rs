//! Reliability through the real window: a damaged database opens read-only under a banner, a
//! backup taken with "Back up now" is restored through the confirmation modal, and the app and
//! several `clapay-tokens-cli` processes write the same database at once without a "database is
//! locked" error.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clapay_core::{Catalog, NewToken, Registry};

#[path = "../../../core/tests/it/damage.rs"]
mod damage;

use crate::flows;
use crate::harness::{record_secret, App, Context};

/// A database of 60 tokens with long descriptions (many pages), closed.
fn real_database(path: &Path) {
    let mut registry = Registry::open(path, Catalog::embedded()).ctx("open");
    for index in 0..60 {
        let request: NewToken = serde_json::from_value(serde_json::json!({
            "name": format!("shop {index}"),
            "description": format!("{index} ").repeat(150).chars().take(900).collect::<String>(),
            "expiry": { "kind": "days", "days": 30 },
            "composition": [{ "country": "CI", "operator": "OM", "method": "MERCHANT" }],
            "numbers": []
        }))
        .ctx("a valid request");
        registry
            .create_token(&request, chrono::Utc::now())
            .ctx("create");
    }
}

#[tokio::test]
async fn a_damaged_database_opens_read_only_under_a_banner_pointing_to_settings() {
    let app = App::start_with(
        |db| {
            real_database(db);
            damage::damage_root_page_of(db, "tokens_by_name");
        },
        "integrity-banner",
    )
    .await;
    let text = app.text("integrity-banner-text").await;
    assert!(
        text.contains("failed its integrity check")
            && text.contains("read-only")
            && text.contains("Restore a backup from Settings"),
        "the banner says what happened and what to do: {text}"
    );
    app.click("integrity-open-settings").await;
    app.wait_testid("backups-section").await;
    app.wait_testid("backup-empty").await;
    // A write is refused with the read-only message, not a raw storage error.
    app.click("backup-now").await;
    let error = app.wait_text("backup-error", "read-only").await;
    assert!(
        error.contains("restore a backup from Settings"),
        "the refusal says what to do: {error}"
    );
    app.stop().await;
}

#[tokio::test]
async fn back_up_now_then_restore_through_the_modal_brings_a_revoked_token_back() {
    let app = App::start().await;
    flows::create_token(&app, &flows::simple("Kept terminal")).await;
    // A second token keeps the list toolbar on screen after the revoke.
    flows::create_token(&app, &flows::simple("Other terminal")).await;
    let token = flows::stored_token(&app, "Kept terminal");

    app.click("nav-settings").await;
    app.wait_testid("backups-section").await;
    app.click("backup-now").await;
    app.wait_until("the new backup is listed", || async {
        std::fs::read_dir(
            app.db_path
                .parent()
                .expect("the database has a folder")
                .join("tokens.db-backups"),
        )
        .map(|entries| entries.count() >= 1)
        .unwrap_or(false)
            && !app.all_css("[data-testid=\"backup-row\"]").await.is_empty()
    })
    .await;

    app.click("nav-tokens").await;
    let row = flows::row_of(&app, "Kept terminal").await;
    flows::click_in_row(&app, &row, "revoke-token").await;
    app.wait_testid("revoke-dialog").await;
    app.click("confirm-revoke").await;
    app.wait_gone("revoke-dialog").await;
    let revoked = |app: &App| -> Option<i64> {
        app.db()
            .query_row(
                "SELECT revoked_at FROM tokens WHERE id = ?1",
                [&token.id],
                |row| row.get(0),
            )
            .ctx("read revoked_at")
    };
    assert!(revoked(&app).is_some(), "the token is revoked");

    app.click("nav-settings").await;
    app.wait_testid("backup-row").await;
    // Newest first: the backup just taken (the start-up one predates both tokens).
    let date = app.text("backup-date").await;
    app.click("backup-restore").await;
    let dialog = app.wait_testid("restore-dialog").await;
    let dialog_text = dialog.text().await.ctx("dialog text");
    assert!(
        dialog_text.contains(&date),
        "the confirmation names the backup's date {date}: {dialog_text}"
    );
    let trust = app.text("restore-trust-warning").await;
    assert!(
        trust.contains("trust decision") && trust.contains("someone else"),
        "the dialog says that restoring is a trust decision: {trust}"
    );
    app.click("confirm-restore").await;
    app.wait_gone("restore-dialog").await;
    app.wait_until("the restore is done", || async { revoked(&app).is_none() })
        .await;
    let kept = PathBuf::from(format!("{}.before-restore", app.db_path.display()));
    assert!(kept.is_file(), "the replaced database is kept as {kept:?}");

    app.click("nav-tokens").await;
    app.wait_testid("token-table").await;
    let row = flows::row_of(&app, "Kept terminal").await;
    assert_eq!(
        flows::status(&row).await,
        "ACTIVE",
        "the token is active again"
    );
    app.stop().await;
}

/// The CLI built beside the app by `cargo test --workspace` (target/<profile>/), found from this
/// test binary (target/<profile>/deps/e2e-…).
fn cli_binary() -> PathBuf {
    let exe = std::env::current_exe().ctx("the test binary's path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .expect("the target dir of the test binary");
    let cli = profile_dir.join(format!("clapay-tokens-cli{}", std::env::consts::EXE_SUFFIX));
    assert!(
        cli.is_file(),
        "{cli:?} is built by `cargo test --workspace` (or `cargo build -p clapay-tokens-cli`)"
    );
    cli
}

#[tokio::test]
async fn the_app_and_cli_processes_create_tokens_at_once_without_a_locked_database() {
    const PROCESSES: usize = 3;
    const AT_LEAST: usize = 5;
    let app = App::start().await;
    let cli = cli_binary();
    // The CLI processes keep creating until the window has created its tokens, so the two
    // overlap whatever the speed of the machine.
    let window_done = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..PROCESSES)
        .map(|process| {
            let cli = cli.clone();
            let db = app.db_path.clone();
            let window_done = Arc::clone(&window_done);
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                let mut index = 0;
                while index < AT_LEAST || !window_done.load(Ordering::SeqCst) {
                    let output = Command::new(&cli)
                        .env("CLAPAY_TOKENS_DB", &db)
                        .args([
                            "create",
                            "--name",
                            &format!("cli {process}-{index}"),
                            "--expires-in-days",
                            "30",
                            "--allow",
                            "CI:OM:MERCHANT",
                        ])
                        .stdin(Stdio::null())
                        .output()
                        .ctx("running clapay-tokens-cli");
                    let stdout = String::from_utf8_lossy(&output.stdout);
                    for secret in stdout.split_whitespace().filter(|w| w.starts_with("clp_")) {
                        record_secret(secret);
                    }
                    if !output.status.success() {
                        failures.push(format!(
                            "cli {process}-{index}: {} {}",
                            output.status,
                            String::from_utf8_lossy(&output.stderr).trim()
                        ));
                    }
                    index += 1;
                }
                (index, failures)
            })
        })
        .collect();

    // The merchant creates tokens through the window while the CLI processes write.
    flows::create_token(&app, &flows::simple("Window token 1")).await;
    flows::create_token(&app, &flows::simple("Window token 2")).await;
    window_done.store(true, Ordering::SeqCst);

    let mut failures = Vec::new();
    let mut created_by_cli = 0;
    for writer in writers {
        let (created, failed) = writer.join().expect("a CLI writer thread ends");
        created_by_cli += created;
        failures.extend(failed);
    }
    assert!(
        failures.is_empty(),
        "every CLI process exits 0: {failures:?}"
    );
    let source = app.driver().source().await.ctx("page source");
    assert!(
        !source.to_lowercase().contains("database is locked"),
        "the window shows no \"database is locked\" error"
    );

    let total = created_by_cli + 2;
    eprintln!("app + CLI: {created_by_cli} tokens from {PROCESSES} CLI processes while the window created 2");
    let stored: i64 = app
        .db()
        .query_row("SELECT count(*) FROM tokens", [], |row| row.get(0))
        .ctx("count tokens");
    assert_eq!(stored as usize, total, "every token is in the database");
    // Reload the list: it shows every token.
    app.click("nav-settings").await;
    app.wait_testid("settings-form").await;
    app.click("nav-tokens").await;
    app.wait_text("list-range", &format!("of {total}")).await;
    app.stop().await;
}
