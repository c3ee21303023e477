//! Build script of the desktop shell: generates the Tauri context and the permissions of the app's
//! own commands. Every command registered in `lib.rs` must be listed here, or the main window's
//! capability cannot grant it and the webview gets "not allowed" at run time.
//!
//! It also bundles the UI (`clapay-ui-bundle`): `ui/` holds ES modules, and the app embeds a copy
//! of it in OUT_DIR where they are one script (why: src-tauri/bundle/src/lib.rs).

/// The app's commands, in the order of docs/ipc.md. `allow-<command>` (kebab-case) is generated
/// for each one; tauri.conf.json grants exactly these to the main window.
const COMMANDS: &[&str] = &[
    "app_info",
    "get_catalog",
    "import_catalog",
    "list_tokens",
    "get_token",
    "token_history",
    "create_token",
    "copy_secret",
    "discard_secret",
    "update_token",
    "revoke_token",
    "set_composition",
    "check_phone",
    "add_number",
    "set_number_enabled",
    "remove_number",
    "authorize",
    "get_settings",
    "update_settings",
    "ui_ready",
    "integrity_check",
    "backup_now",
    "list_backups",
    "restore_backup",
];

fn main() {
    let frontend = bundle_ui();
    // tauri-build and `generate_context!` both read TAURI_CONFIG and merge it into
    // tauri.conf.json: the page the app embeds is the bundled one, not ui/ as it is.
    let config = tauri_config(&frontend);
    std::env::set_var("TAURI_CONFIG", &config);
    println!("cargo:rustc-env=TAURI_CONFIG={config}");

    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        // A build script reports failure by panicking; the message is what cargo shows.
        panic!("tauri-build failed: {error:#}");
    }
}

/// Writes the page the app embeds (ui/ with its modules bundled) to OUT_DIR and returns its path.
fn bundle_ui() -> std::path::PathBuf {
    let root =
        std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let ui = root.join("ui");
    // A directory: cargo runs the script again when any file under it changes.
    println!("cargo:rerun-if-changed={}", ui.display());
    let out =
        std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("ui");
    if let Err(error) = clapay_ui_bundle::write_dist(&ui, &out) {
        panic!("the UI could not be bundled: {error}");
    }
    out
}

/// TAURI_CONFIG with `build.frontendDist` set to the bundled page, merged into any TAURI_CONFIG the
/// build was given (which keeps its own frontendDist if it names one).
fn tauri_config(frontend: &std::path::Path) -> String {
    let mut config: serde_json::Value = match std::env::var("TAURI_CONFIG") {
        Ok(given) if !given.trim().is_empty() => serde_json::from_str(&given)
            .unwrap_or_else(|error| panic!("TAURI_CONFIG is not JSON: {error}")),
        _ => serde_json::json!({}),
    };
    let Some(object) = config.as_object_mut() else {
        panic!("TAURI_CONFIG must be a JSON object");
    };
    let build = object
        .entry("build")
        .or_insert_with(|| serde_json::json!({}));
    if let Some(build) = build.as_object_mut() {
        build
            .entry("frontendDist")
            .or_insert_with(|| serde_json::json!(frontend));
    }
    config.to_string()
}
