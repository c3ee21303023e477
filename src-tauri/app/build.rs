//! Build script of the desktop shell: generates the Tauri context and the permissions of the app's
//! own commands. Every command registered in `lib.rs` must be listed here, or the main window's
//! capability cannot grant it and the webview gets "not allowed" at run time.
//!
//! The page is `ui/` as it is (`build.frontendDist` in tauri.conf.json): ES modules, no bundle.

/// The app's commands, in the order of docs/ipc.md. `allow-<command>` (kebab-case) is generated
/// for each one; tauri.conf.json grants exactly these to the main window.
const COMMANDS: &[&str] = &[
    "app_info",
    "get_catalog",
    "preview_catalog",
    "import_catalog",
    "list_tokens",
    "get_token",
    "token_history",
    "create_token",
    "copy_secret",
    "clipboard_outcome",
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
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        // A build script reports failure by panicking; the message is what cargo shows.
        panic!("tauri-build failed: {error:#}");
    }
}
