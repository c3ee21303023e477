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
