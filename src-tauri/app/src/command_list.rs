// The app's Tauri commands: the one list that the handler (lib.rs), the permissions (build.rs),
// the main window's capability (build.rs checks tauri.conf.json against it) and the hardening
// tests follow from. Each entry is `module::command`, the function in `src/commands/<module>.rs`.
// A command added to a module but not here cannot be called; one listed here but not granted in
// tauri.conf.json fails the build with the line to add.
//
// This file is `include!`d by build.rs too, so it holds only this macro.

/// Calls `$callback!` with every command of the app, as `module::command` paths.
macro_rules! app_commands {
    ($callback:ident) => {
        $callback! {
            info::app_info,
            info::ui_ready,
            info::integrity_check,
            catalog::get_catalog,
            catalog::preview_catalog,
            catalog::import_catalog,
            tokens::list_tokens,
            tokens::get_token,
            tokens::token_history,
            tokens::create_token,
            tokens::update_token,
            tokens::revoke_token,
            tokens::set_composition,
            tokens::check_phone,
            tokens::add_number,
            tokens::set_number_enabled,
            tokens::remove_number,
            tokens::authorize,
            lifecycle::roll_token,
            lifecycle::end_grace,
            lifecycle::duplicate_draft,
            secrets::copy_secret,
            secrets::clipboard_outcome,
            secrets::discard_secret,
            sandbox::sandbox_start,
            sandbox::sandbox_stop,
            sandbox::sandbox_status,
            sandbox::sandbox_log,
            sandbox::sandbox_reveal_key,
            sandbox::sandbox_copy_key,
            sandbox::sandbox_copy_base_url,
            settings::get_settings,
            settings::update_settings,
            backups::backup_now,
            backups::list_backups,
            backups::restore_backup,
        }
    };
}
