//! Build script of the desktop shell: generates the Tauri context and the permissions of the app's
//! own commands, from the one list of them in `src/command_list.rs`, and checks that the main
//! window's capability in tauri.conf.json grants exactly those (a command missing there would be
//! refused at run time with "not allowed"; an extra one would grant what nothing serves).

use std::collections::BTreeSet;

include!("src/command_list.rs");

/// The command names of `app_commands!`.
macro_rules! command_names {
    ($($module:ident :: $command:ident),* $(,)?) => {
        &[$(stringify!($command)),*]
    };
}

const COMMANDS: &[&str] = app_commands!(command_names);

fn main() {
    check_capability();
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        // A build script reports failure by panicking; the message is what cargo shows.
        panic!("tauri-build failed: {error:#}");
    }
}

/// Fails the build unless the `main-window` capability grants `allow-<command>` for every command
/// and no other `allow-` permission of the app's own.
fn check_capability() {
    let root =
        std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let path = root.join("tauri.conf.json");
    println!("cargo:rerun-if-changed={}", path.display());
    println!("cargo:rerun-if-changed=src-tauri/app/src/command_list.rs");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let config: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{} is not JSON: {error}", path.display()));
    let granted: BTreeSet<String> = config["app"]["security"]["capabilities"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|capability| capability["identifier"] == "main-window")
        .flat_map(|capability| {
            capability["permissions"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|permission| permission.as_str().map(str::to_owned))
        // Plugin permissions are `plugin:...`; the app's own are bare `allow-...`.
        .filter(|permission| permission.starts_with("allow-"))
        .collect();
    let wanted: BTreeSet<String> = COMMANDS
        .iter()
        .map(|command| format!("allow-{}", command.replace('_', "-")))
        .collect();
    let missing: Vec<&String> = wanted.difference(&granted).collect();
    let extra: Vec<&String> = granted.difference(&wanted).collect();
    if !missing.is_empty() || !extra.is_empty() {
        panic!(
            "tauri.conf.json's main-window capability does not match src-tauri/app/src/command_list.rs: \
             add {missing:?}, remove {extra:?}"
        );
    }
}
