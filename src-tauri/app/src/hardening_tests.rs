//! The Tauri hardening of SPEC §6, checked on the files themselves so a regression fails
//! `cargo test` without a display: an explicit CSP with no remote source and no `unsafe-eval` /
//! `unsafe-inline` scripts, `freezePrototype`, capabilities that grant only `allow-<command>` of
//! the app's own commands (the list of build.rs) and permissions of plugins lib.rs registers, the
//! same commands in build.rs and in lib.rs's `generate_handler!`, and no `devtools` (or any other
//! unexpected) feature of `tauri`. Each failure names the offending item; nothing here is secret.

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

/// The text between `start` (the first occurrence) and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("`{start}` not found"))
        + start.len();
    let to = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("no `{end}` after `{start}`"));
    &text[from..from + to]
}

/// The app's commands as build.rs lists them (`COMMANDS`).
fn build_commands() -> BTreeSet<String> {
    let source = read("src-tauri/app/build.rs");
    between(&source, "const COMMANDS: &[&str] = &[", "];")
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty() && !item.starts_with("//"))
        .map(|item| item.trim_matches('"').to_owned())
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

/// The commands lib.rs registers in `generate_handler![...]`.
fn registered_commands() -> BTreeSet<String> {
    let source = lib_source();
    between(&source, "generate_handler![", "]")
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| item.rsplit("::").next().unwrap_or(item).to_owned())
        .collect()
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
                     command in build.rs COMMANDS"
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

#[test]
fn build_rs_and_lib_rs_list_the_same_commands() {
    let listed = build_commands();
    let registered = registered_commands();
    assert!(
        listed.len() >= 20,
        "COMMANDS parsed from build.rs: {listed:?}"
    );
    let only_registered: Vec<_> = registered.difference(&listed).collect();
    assert!(
        only_registered.is_empty(),
        "registered in lib.rs but missing from build.rs COMMANDS: {only_registered:?}"
    );
    let only_listed: Vec<_> = listed.difference(&registered).collect();
    assert!(
        only_listed.is_empty(),
        "in build.rs COMMANDS but not registered in lib.rs generate_handler!: {only_listed:?}"
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
