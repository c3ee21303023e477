//! The Tauri hardening of SPEC §6, checked on the files themselves so a regression fails
//! `cargo test` without a display: an explicit CSP with no remote source and no `unsafe-eval` /
//! `unsafe-inline` scripts, `freezePrototype`, capabilities that grant only `allow-<command>` of
//! the app's own commands (`src/command_list.rs`, the one list build.rs and the handler use too)
//! and permissions of plugins lib.rs registers, a UI that calls only those commands, and no
//! `devtools` (or any other unexpected) feature of `tauri`. Each failure names the offending item;
//! nothing here is secret.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative))
        .unwrap_or_else(|error| panic!("{relative} must be readable: {error}"))
}

fn config() -> Value {
    serde_json::from_str(&read("tauri.conf.json")).expect("tauri.conf.json is JSON")
}

/// The app's commands, from `src/command_list.rs`.
fn build_commands() -> BTreeSet<String> {
    crate::COMMAND_NAMES
        .iter()
        .map(|name| (*name).to_owned())
        .collect()
}

fn lib_source() -> String {
    // Comments are dropped so a commented-out plugin or command does not count.
    read("src-tauri/app/src/lib.rs")
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The plugins lib.rs registers (`.plugin(tauri_plugin_<name>...`), as permission prefixes.
fn registered_plugins() -> BTreeSet<String> {
    let source = lib_source();
    let mut plugins = BTreeSet::new();
    for (index, _) in source.match_indices("tauri_plugin_") {
        let name: String = source[index + "tauri_plugin_".len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        plugins.insert(name.replace('_', "-"));
    }
    plugins
}

#[test]
fn the_csp_is_explicit_and_allows_no_remote_source_nor_unsafe_script() {
    let config = config();
    let csp = &config["app"]["security"]["csp"];
    let text = match csp {
        Value::String(text) => text.clone(),
        Value::Object(directives) => directives
            .iter()
            .map(|(name, value)| match value {
                Value::String(sources) => format!("{name} {sources}"),
                Value::Array(sources) => format!(
                    "{name} {}",
                    sources
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                _ => name.clone(),
            })
            .collect::<Vec<_>>()
            .join(";"),
        _ => panic!("app.security.csp is missing: without it Tauri sets no CSP"),
    };
    let mut script_sources = None;
    let mut default_sources = None;
    let mut directives = std::collections::BTreeMap::new();
    for directive in text.split(';').map(str::trim).filter(|d| !d.is_empty()) {
        let mut words = directive.split_whitespace();
        let name = words.next().unwrap_or_default().to_owned();
        let sources: Vec<String> = words.map(str::to_owned).collect();
        for source in &sources {
            let quoted = source.starts_with('\'');
            let allowed_scheme = matches!(source.as_str(), "data:" | "ipc:" | "blob:")
                || source == "http://ipc.localhost";
            assert!(
                !source.contains('*'),
                "CSP {name}: the wildcard source {source} is not allowed"
            );
            assert!(
                quoted || allowed_scheme,
                "CSP {name}: {source} is a remote origin or host; only 'self', data:, ipc: and \
                 http://ipc.localhost may appear"
            );
        }
        directives.insert(name.clone(), sources.join(" "));
        match name.as_str() {
            "script-src" => script_sources = Some(sources),
            "default-src" => default_sources = Some(sources),
            _ => {}
        }
    }
    let scripts = script_sources
        .or(default_sources)
        .expect("the CSP must have script-src or default-src");
    for forbidden in ["'unsafe-eval'", "'unsafe-inline'", "'wasm-unsafe-eval'"] {
        assert!(
            !scripts.iter().any(|source| source == forbidden),
            "CSP script-src must not allow {forbidden}"
        );
    }
    // Directives default-src does not cover, closed: no plugin content (<object>, <embed>), no
    // <base> that would move every relative URL of the page elsewhere, no form sent anywhere.
    for closed in ["object-src", "base-uri", "form-action"] {
        assert_eq!(
            directives.get(closed).map(String::as_str),
            Some("'none'"),
            "CSP {closed} must be 'none'; the CSP is: {text}"
        );
    }
}

#[test]
fn the_prototype_is_frozen() {
    assert_eq!(
        config()["app"]["security"]["freezePrototype"],
        Value::Bool(true),
        "app.security.freezePrototype must be true"
    );
}

#[test]
fn capabilities_grant_only_the_apps_commands_and_registered_plugins() {
    let commands = build_commands();
    let allowed: BTreeSet<String> = commands
        .iter()
        .map(|command| format!("allow-{}", command.replace('_', "-")))
        .collect();
    let plugins = registered_plugins();
    let config = config();
    let capabilities = config["app"]["security"]["capabilities"]
        .as_array()
        .expect("the capabilities are listed in tauri.conf.json");
    assert!(
        !root().join("capabilities").exists(),
        "capabilities/ would add capabilities this check does not read: keep them in tauri.conf.json"
    );
    for capability in capabilities {
        let name = capability["identifier"].as_str().unwrap_or("(unnamed)");
        assert!(
            capability.get("remote").is_none(),
            "capability {name} must not open IPC to remote URLs"
        );
        let mut granted = BTreeSet::new();
        for permission in capability["permissions"].as_array().into_iter().flatten() {
            let identifier = permission
                .as_str()
                .or_else(|| permission["identifier"].as_str())
                .unwrap_or_else(|| panic!("capability {name}: a permission without identifier"));
            match identifier.split_once(':') {
                None => assert!(
                    allowed.contains(identifier),
                    "capability {name} grants {identifier}, which is not allow-<command> of a \
                     command in src/command_list.rs"
                ),
                Some((plugin, _)) => assert!(
                    plugins.contains(plugin),
                    "capability {name} grants {identifier}, a permission of `{plugin}`, which is \
                     not a plugin registered in lib.rs ({plugins:?})"
                ),
            }
            granted.insert(identifier.to_owned());
        }
        for permission in &allowed {
            assert!(
                granted.contains(permission),
                "capability {name} does not grant {permission}: the UI could not call it"
            );
        }
    }
}

/// `ui/api.js` is the only module that talks to Rust: every command it calls must be one the
/// handler serves and the capability grants, or the window gets "not allowed" at run time.
#[test]
fn the_ui_calls_only_the_apps_commands() {
    let commands = build_commands();
    let api = read("ui/api.js");
    let called: BTreeSet<String> = api
        .split("call('")
        .skip(1)
        .filter_map(|rest| rest.split('\'').next())
        .map(str::to_owned)
        .collect();
    assert!(
        called.len() >= 10,
        "ui/api.js calls commands with call('name', ...): {called:?}"
    );
    let unknown: Vec<_> = called.difference(&commands).collect();
    assert!(
        unknown.is_empty(),
        "ui/api.js calls {unknown:?}, which src-tauri/app/src/command_list.rs does not list"
    );
}

/// The `features = [...]` of the `tauri` dependency line in a section of the root Cargo.toml.
fn tauri_features(manifest: &str, section: &str) -> Option<BTreeSet<String>> {
    let body = manifest.split(&format!("\n{section}\n")).nth(1)?;
    let body = body.split("\n[").next().unwrap_or(body);
    let line = body
        .lines()
        .find(|line| line.trim_start().starts_with("tauri ="))?;
    let features = line.split("features").nth(1).map_or("", |rest| {
        rest.split('[')
            .nth(1)
            .and_then(|r| r.split(']').next())
            .unwrap_or("")
    });
    Some(
        features
            .split(',')
            .map(|feature| feature.trim().trim_matches('"').to_owned())
            .filter(|feature| !feature.is_empty())
            .collect(),
    )
}

#[test]
fn tauri_has_no_devtools_and_no_unexpected_feature() {
    let manifest = read("Cargo.toml");
    assert!(
        !manifest.contains("tauri/devtools"),
        "Cargo.toml enables tauri/devtools through a feature: release builds would have devtools"
    );
    let runtime = tauri_features(&manifest, "[dependencies]")
        .expect("Cargo.toml [dependencies] has a tauri line");
    assert!(
        runtime.is_empty(),
        "the tauri dependency enables the features {runtime:?}; the app needs none \
         (devtools must never ship in a release build)"
    );
    if let Some(test_only) = tauri_features(&manifest, "[dev-dependencies]") {
        let unexpected: Vec<_> = test_only.iter().filter(|f| *f != "test").collect();
        assert!(
            unexpected.is_empty(),
            "the tauri dev-dependency enables unexpected features {unexpected:?}"
        );
    }
}
