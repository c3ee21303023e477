//! What the webview may do: only the app's own commands (the capability grants no plugin
//! permission), with a frozen Object prototype; and the start-time line the benchmark reads.

use serde_json::{json, Value};

use crate::harness::{read_or_empty, App, Context};

async fn invoke(app: &App, command: &str, args: Value) -> Value {
    let answer = app
        .driver()
        .execute_async(
            "const [command, args, done] = arguments; \
             window.__TAURI__.core.invoke(command, args).then((value) => done({ ok: value ?? null }), \
                                                               (error) => done({ error: String(error?.message ?? error) }));",
            vec![json!(command), args],
        )
        .await
        .ctx(&format!("invoking {command}"));
    answer.convert().ctx("decoding the answer")
}

#[tokio::test]
async fn the_webview_gets_only_the_app_commands_and_a_frozen_prototype() {
    let app = App::start().await;
    let settings = invoke(&app, "get_settings", json!({})).await;
    assert!(
        settings.get("ok").is_some(),
        "an app command is allowed: {settings}"
    );
    for (command, args) in [
        ("plugin:store|load", json!({ "path": "settings.json" })),
        (
            "plugin:log|log",
            json!({ "level": 3, "message": "from the webview" }),
        ),
    ] {
        let answer = invoke(&app, command, args).await;
        assert!(
            answer.get("error").is_some(),
            "{command} must be refused to the webview: {answer}"
        );
    }
    let frozen: bool = app
        .driver()
        .execute("return Object.isFrozen(Object.prototype);", Vec::new())
        .await
        .ctx("checking the prototype")
        .convert()
        .ctx("a boolean");
    assert!(frozen, "freezePrototype is on");

    app.wait_until("the log has the ui-ready line", || async {
        app.log_files()
            .iter()
            .any(|log| String::from_utf8_lossy(&read_or_empty(log)).contains("ui-ready millis="))
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn an_unusable_database_opens_the_window_with_the_reason() {
    let app = App::start_with(
        |db| {
            std::fs::write(db, b"a shopping list, not a database")
                .ctx("writing a file that is not SQLite")
        },
        "fatal-error",
    )
    .await;
    let shown = app.text("fatal-error").await;
    assert!(
        shown.contains("tokens.db"),
        "the window names the file it cannot use: {shown}"
    );
    let bytes = read_or_empty(&app.db_path);
    assert_eq!(
        bytes, b"a shopping list, not a database",
        "the app leaves a file it cannot use untouched"
    );
    app.stop().await;
}

/// Every file and folder below `root`, depth first.
#[cfg(unix)]
fn everything_below(root: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        found.push(path.clone());
        if path.is_dir() {
            everything_below(&path, found);
        }
    }
}

// Unix modes; on Windows the files inherit the per-user profile folder's access list.
#[cfg(unix)]
#[tokio::test]
async fn every_file_the_app_writes_is_readable_by_the_merchant_only() {
    use crate::flows;
    use std::os::unix::fs::PermissionsExt;

    let app = App::start().await;
    // Settings, the database and its WAL, a backup, the log: everything the app writes.
    flows::save_settings(&app, &[("settings-clipboard-secs", "5")]).await;
    app.wait_until("the settings file is written", || async {
        app.settings_file().is_file()
    })
    .await;
    flows::create_token(&app, &flows::simple("Private files")).await;
    app.click("nav-settings").await;
    app.wait_testid("backups-section").await;
    app.click("backup-now").await;
    let backups = app.db_path.with_file_name("tokens.db-backups");
    app.wait_until("the backup is written", || async {
        std::fs::read_dir(&backups).is_ok_and(|entries| entries.count() >= 1)
    })
    .await;
    assert!(!app.log_files().is_empty(), "the app writes a log");

    let mut written = Vec::new();
    // The test made `data/` itself; what is inside it, and the XDG folders, the app made.
    for root in ["data", "config", "share", "cache"] {
        everything_below(&app.dir().join(root), &mut written);
    }
    for expected in [
        app.db_path.clone(),
        app.db_path.with_file_name("tokens.db-wal"),
        backups.clone(),
        app.settings_file(),
    ] {
        assert!(
            written.contains(&expected),
            "{} is written",
            expected.display()
        );
    }
    let open: Vec<String> = written
        .iter()
        .filter_map(|path| {
            let metadata = std::fs::symlink_metadata(path).ok()?;
            // A symbolic link's own mode is always 0777; what it points to is checked on its own.
            if metadata.file_type().is_symlink() {
                return None;
            }
            let mode = metadata.permissions().mode();
            (mode & 0o077 != 0).then(|| format!("{} {:o}", path.display(), mode & 0o777))
        })
        .collect();
    assert!(
        open.is_empty(),
        "files others on the machine can read or enter: {open:#?}"
    );
    app.stop().await;
}
