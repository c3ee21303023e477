//! Bundles the UI's ES modules (`ui/`) into the page the app embeds.
//!
//! Why: WebKitGTK fetches each module through the app's custom protocol, one request, answer and
//! parse each, and the first screen needs fifteen of them. Measured on release builds in
//! alternation (BENCHMARKS.md, "App start"), one script instead takes about 12 ms off the page.
//!
//! How: each module becomes a function that runs its body once, on first use, and returns its
//! exports; a static import becomes a call at the top of the importer, in the same order, and
//! `import('...')` a promise of that call, so the modules evaluate in the order and at the moments
//! they did as modules (the screens the list does not show still wait until they are asked for).
//!
//! The sources stay plain modules (the UI preview and `node --check` load them as they are). The
//! bundler understands the forms the UI uses and refuses any other, with the file and line, rather
//! than guess: single-line `import ... from '...'` (default, namespace, named), `import('...')` with a
//! literal path, `export function|async function|class|const NAME`, `export default`, and
//! `import.meta.url`. Imported bindings are copies, so `export let`/`var` are refused (an
//! importer would not see a later assignment), and so are static import cycles.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// The module `index.html` loads, the root of the graph.
pub const ENTRY: &str = "main.js";
/// The file the bundle is written to, next to `index.html`.
pub const BUNDLE: &str = "bundle.js";

/// How a worker's script ends: a classic script that runs on its own thread, copied as it is.
pub const WORKER_SUFFIX: &str = ".worker.js";

/// Names the bundle's own code uses; a module may not use them.
const RESERVED: &str = "__ui_";

/// What went wrong, and where: `ui/views/list.js:12: ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleError {
    /// The file, relative to `ui/`, or empty for the whole graph.
    pub file: String,
    /// 1-based, or 0 when the error is not about one line.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.file.is_empty(), self.line) {
            (true, _) => write!(f, "ui/: {}", self.message),
            (false, 0) => write!(f, "ui/{}: {}", self.file, self.message),
            (false, line) => write!(f, "ui/{}:{}: {}", self.file, line, self.message),
        }
    }
}

impl std::error::Error for BundleError {}

fn error(file: &str, line: usize, message: impl Into<String>) -> BundleError {
    BundleError {
        file: file.to_owned(),
        line,
        message: message.into(),
    }
}

/// One module after the transformation.
#[derive(Debug)]
struct Module {
    body: String,
    /// `name` or `default: __ui_default`, in source order.
    exports: Vec<String>,
    /// Static imports, in source order (their evaluation order).
    imports: Vec<String>,
    /// `import('...')` targets.
    dynamic: Vec<String>,
}

/// What `write_dist` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dist {
    /// The modules in the bundle, as paths relative to `ui/`, sorted.
    pub modules: Vec<String>,
    /// The size of the bundle in bytes.
    pub bundle_bytes: usize,
    /// The other files copied (styles, fonts, flags), relative to `ui/`, sorted.
    pub copied: Vec<String>,
}

/// Reads `ui/` and writes the page to `out` (emptied first): `index.html` loading the bundle
/// instead of `main.js` and without the module preloads, the bundle, and every file of `ui/` that
/// is not a JavaScript module, as it is (worker scripts, `*.worker.js`, among them).
pub fn write_dist(ui: &Path, out: &Path) -> Result<Dist, BundleError> {
    let io = |path: &Path, what: &str, e: std::io::Error| {
        error("", 0, format!("cannot {what} {}: {e}", path.display()))
    };
    let (script, modules) = bundle(ui)?;
    let html_path = ui.join("index.html");
    let html = fs::read_to_string(&html_path).map_err(|e| io(&html_path, "read", e))?;
    let html = rewrite_html(&html)?;

    if out.exists() {
        fs::remove_dir_all(out).map_err(|e| io(out, "empty", e))?;
    }
    fs::create_dir_all(out).map_err(|e| io(out, "create", e))?;
    let mut copied = Vec::new();
    for relative in files_under(ui).map_err(|e| io(ui, "list", e))? {
        let module = relative.ends_with(".js") && !relative.ends_with(WORKER_SUFFIX);
        if relative == "index.html" || module {
            continue;
        }
        let target = out.join(&relative);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| io(parent, "create", e))?;
        }
        fs::copy(ui.join(&relative), &target).map_err(|e| io(&target, "write", e))?;
        copied.push(relative);
    }
    let html_out = out.join("index.html");
    fs::write(&html_out, html).map_err(|e| io(&html_out, "write", e))?;
    let bundle_out = out.join(BUNDLE);
    fs::write(&bundle_out, &script).map_err(|e| io(&bundle_out, "write", e))?;
    copied.sort();
    Ok(Dist {
        modules,
        bundle_bytes: script.len(),
        copied,
    })
}

/// The bundle of every module reachable from `main.js` (by static or dynamic imports), and the
/// list of those modules.
pub fn bundle(ui: &Path) -> Result<(String, Vec<String>), BundleError> {
    let mut modules: BTreeMap<String, Module> = BTreeMap::new();
    let mut pending = vec![ENTRY.to_owned()];
    while let Some(path) = pending.pop() {
        if modules.contains_key(&path) {
            continue;
        }
        if path.ends_with(WORKER_SUFFIX) {
            return Err(error(
                &path,
                0,
                "a worker's script is not a module: start it with new Worker(), do not import it",
            ));
        }
        let file = ui.join(&path);
        let source = fs::read_to_string(&file)
            .map_err(|e| error(&path, 0, format!("cannot read {}: {e}", file.display())))?;
        let module = transform(&path, &source)?;
        pending.extend(module.imports.iter().cloned());
        pending.extend(module.dynamic.iter().cloned());
        modules.insert(path, module);
    }
    refuse_static_cycles(&modules)?;

    let mut out = String::from(
        "// Generated from ui/ by clapay-ui-bundle when the app is built: edit the modules in ui/.\n\
         // Each module is a function run once, on first use, that returns its exports.\n\
         const __ui_modules = new Map();\n\
         function __ui_req(path) {\n\
         \x20 const module = __ui_modules.get(path);\n\
         \x20 if (!module.done) {\n\
         \x20   module.exports = module.define();\n\
         \x20   module.done = true;\n\
         \x20 }\n\
         \x20 return module.exports;\n\
         }\n\
         const __ui_load = (path) => Promise.resolve(path).then(__ui_req);\n",
    );
    for (path, module) in &modules {
        out.push_str(&format!(
            "\n// ui/{path}\n__ui_modules.set({}, {{ done: false, define: () => {{\n{}\nreturn {{ {} }};\n}} }});\n",
            js_string(path),
            module.body.trim_end(),
            module.exports.join(", ")
        ));
    }
    out.push_str(&format!("\n__ui_req({});\n", js_string(ENTRY)));
    Ok((out, modules.into_keys().collect()))
}

/// `index.html` with `<script type="module" src="main.js">` loading the bundle instead, and
/// without its `<link rel="modulepreload">` lines (nothing is left to preload).
pub fn rewrite_html(html: &str) -> Result<String, BundleError> {
    let entry_tag = format!(r#"<script type="module" src="{ENTRY}"></script>"#);
    if html.matches(&entry_tag).count() != 1 {
        return Err(error(
            "index.html",
            0,
            format!("expected exactly one {entry_tag}: the bundle replaces it"),
        ));
    }
    let html = html.replacen(
        &entry_tag,
        &format!(r#"<script type="module" src="{BUNDLE}"></script>"#),
        1,
    );
    let mut kept: String = html
        .lines()
        .filter(|line| {
            !line
                .trim_start()
                .starts_with(r#"<link rel="modulepreload""#)
        })
        .collect::<Vec<_>>()
        .join("\n");
    kept.push('\n');
    Ok(kept)
}

/// Resolves `specifier` (relative, ending in `.js`) against the module at `from`.
fn resolve(from: &str, specifier: &str, line: usize) -> Result<String, BundleError> {
    if !(specifier.starts_with("./") || specifier.starts_with("../")) || !specifier.ends_with(".js")
    {
        return Err(error(
            from,
            line,
            format!("'{specifier}': only relative paths to .js files can be bundled"),
        ));
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for part in specifier.split('/') {
        match part {
            "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(error(
                        from,
                        line,
                        format!("'{specifier}' points outside ui/"),
                    ));
                }
            }
            "" => {
                return Err(error(
                    from,
                    line,
                    format!("'{specifier}': empty path segment"),
                ));
            }
            name => parts.push(name),
        }
    }
    Ok(parts.join("/"))
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// The identifier `text` starts with.
fn leading_identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(text.len());
    &text[..end]
}

/// A quoted string literal at the start of `text`: its content and the rest after it.
fn string_literal(text: &str) -> Option<(&str, &str)> {
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let rest = &text[1..];
    let end = rest.find(quote)?;
    let content = &rest[..end];
    (!content.contains('\\')).then_some((content, &rest[end + 1..]))
}

fn js_string(text: &str) -> String {
    // Module paths are plain relative paths; quote them as JSON strings (valid JavaScript).
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn transform(path: &str, source: &str) -> Result<Module, BundleError> {
    let mut module = Module {
        body: String::with_capacity(source.len() + 256),
        exports: Vec::new(),
        imports: Vec::new(),
        dynamic: Vec::new(),
    };
    for (index, line) in source.lines().enumerate() {
        let number = index + 1;
        if line.contains(RESERVED) {
            return Err(error(
                path,
                number,
                format!("names starting with {RESERVED} belong to the bundle"),
            ));
        }
        let line = if line.starts_with("import ") || line.starts_with("import{") {
            static_import(path, line, number, &mut module)?
        } else if let Some(rest) = line.strip_prefix("export ") {
            export(path, rest, number, &mut module)?
        } else {
            line.to_owned()
        };
        let line = dynamic_imports(path, &line, number, &mut module.dynamic)?;
        let line = import_meta(path, &line, number)?;
        module.body.push_str(&line);
        module.body.push('\n');
    }
    Ok(module)
}

fn static_import(
    path: &str,
    line: &str,
    number: usize,
    module: &mut Module,
) -> Result<String, BundleError> {
    let unsupported = || {
        error(
            path,
            number,
            "unsupported import: write `import NAME from '...'`, `import * as NAME from '...'` or \
             `import { a, b as c } from '...'` on one line, ending with ';'",
        )
    };
    let statement = line.trim_end().strip_suffix(';').ok_or_else(unsupported)?;
    let rest = statement["import".len()..].trim_start();
    // `import './x.js'`: evaluated for its effects only.
    if let Some((specifier, after)) = string_literal(rest) {
        if !after.trim().is_empty() {
            return Err(unsupported());
        }
        let target = resolve(path, specifier, number)?;
        let call = format!("__ui_req({});", js_string(&target));
        module.imports.push(target);
        return Ok(call);
    }
    let from = rest.rfind(" from ").ok_or_else(unsupported)?;
    let (clause, specifier) = (rest[..from].trim(), rest[from + " from ".len()..].trim());
    let (specifier, after) = string_literal(specifier).ok_or_else(unsupported)?;
    if !after.trim().is_empty() {
        return Err(unsupported());
    }
    let target = resolve(path, specifier, number)?;
    let call = format!("__ui_req({})", js_string(&target));
    let declaration = if let Some(name) = clause.strip_prefix("* as ") {
        let name = name.trim();
        if !is_identifier(name) {
            return Err(unsupported());
        }
        format!("const {name} = {call};")
    } else if let Some(names) = clause.strip_prefix('{').and_then(|c| c.strip_suffix('}')) {
        let mut bindings = Vec::new();
        for binding in names.split(',').map(str::trim).filter(|b| !b.is_empty()) {
            let words: Vec<&str> = binding.split_whitespace().collect();
            match words.as_slice() {
                [name] if is_identifier(name) => bindings.push((*name).to_owned()),
                [name, "as", local] if is_identifier(name) && is_identifier(local) => {
                    bindings.push(format!("{name}: {local}"));
                }
                _ => return Err(unsupported()),
            }
        }
        if bindings.is_empty() {
            return Err(unsupported());
        }
        format!("const {{ {} }} = {call};", bindings.join(", "))
    } else if is_identifier(clause) {
        format!("const {clause} = {call}.default;")
    } else {
        return Err(unsupported());
    };
    module.imports.push(target);
    Ok(declaration)
}

fn export(
    path: &str,
    rest: &str,
    number: usize,
    module: &mut Module,
) -> Result<String, BundleError> {
    if let Some(value) = rest.strip_prefix("default ") {
        if module.exports.iter().any(|e| e.starts_with("default:")) {
            return Err(error(path, number, "a second export default"));
        }
        module.exports.push("default: __ui_default".to_owned());
        return Ok(format!("const __ui_default = {value}"));
    }
    let declared = [
        "async function ",
        "function* ",
        "function ",
        "class ",
        "const ",
    ]
    .iter()
    .find_map(|keyword| {
        rest.strip_prefix(keyword)
            .map(|name| (keyword, name.trim_start()))
    });
    let Some((keyword, after)) = declared else {
        let why = if rest.starts_with("let ") || rest.starts_with("var ") {
            "export a const, function or class: imported bindings are copied into the bundle, so \
             an importer would not see a later assignment to an exported let or var"
        } else {
            "unsupported export: write `export function|async function|class|const NAME` or \
             `export default`"
        };
        return Err(error(path, number, why));
    };
    let name = leading_identifier(after);
    if name.is_empty()
        || (*keyword == "const " && !after[name.len()..].trim_start().starts_with('='))
    {
        return Err(error(
            path,
            number,
            "unsupported export: one name per export (no destructuring, no list)",
        ));
    }
    if module.exports.iter().any(|e| e == name) {
        return Err(error(path, number, format!("'{name}' is exported twice")));
    }
    module.exports.push(name.to_owned());
    Ok(rest.to_owned())
}

/// Replaces each `import('./x.js')` with `__ui_load("x.js")`.
fn dynamic_imports(
    path: &str,
    line: &str,
    number: usize,
    found: &mut Vec<String>,
) -> Result<String, BundleError> {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find("import(") {
        let before = &rest[..at];
        let preceded = before
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '.');
        out.push_str(before);
        let after = &rest[at + "import(".len()..];
        if preceded {
            out.push_str("import(");
            rest = after;
            continue;
        }
        let literal = string_literal(after.trim_start()).and_then(|(specifier, tail)| {
            tail.trim_start().strip_prefix(')').map(|t| (specifier, t))
        });
        let Some((specifier, tail)) = literal else {
            return Err(error(
                path,
                number,
                "import() needs a string literal path, so the bundler knows every module",
            ));
        };
        let target = resolve(path, specifier, number)?;
        out.push_str(&format!("__ui_load({})", js_string(&target)));
        found.push(target);
        rest = tail;
    }
    out.push_str(rest);
    Ok(out)
}

/// `import.meta.url` names the bundle, at the root of `ui/`: a module elsewhere gets its own URL
/// back by resolving its path against it.
fn import_meta(path: &str, line: &str, number: usize) -> Result<String, BundleError> {
    let replaced = line.replace(
        "import.meta.url",
        &format!("new URL({}, import.meta.url).href", js_string(path)),
    );
    if replaced
        .replace("import.meta.url", "")
        .contains("import.meta")
    {
        return Err(error(path, number, "only import.meta.url can be bundled"));
    }
    Ok(replaced)
}

fn refuse_static_cycles(modules: &BTreeMap<String, Module>) -> Result<(), BundleError> {
    fn visit(
        path: &str,
        modules: &BTreeMap<String, Module>,
        done: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) -> Result<(), BundleError> {
        if done.contains(path) {
            return Ok(());
        }
        if let Some(start) = stack.iter().position(|p| p == path) {
            let mut cycle = stack[start..].to_vec();
            cycle.push(path.to_owned());
            return Err(error(
                "",
                0,
                format!(
                    "static import cycle {}: the bundle evaluates a module before its importer, \
                     so a cycle cannot be ordered (make one of them an import())",
                    cycle.join(" -> ")
                ),
            ));
        }
        stack.push(path.to_owned());
        for target in &modules[path].imports {
            visit(target, modules, done, stack)?;
        }
        stack.pop();
        done.insert(path.to_owned());
        Ok(())
    }
    let mut done = BTreeSet::new();
    for path in modules.keys() {
        visit(path, modules, &mut done, &mut Vec::new())?;
    }
    Ok(())
}

/// Every file under `root`, as `/`-separated paths relative to it.
fn files_under(root: &Path) -> std::io::Result<Vec<String>> {
    let mut found = Vec::new();
    let mut pending: Vec<PathBuf> = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                pending.push(path);
            } else if let Ok(relative) = path.strip_prefix(root) {
                let parts: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                found.push(parts.join("/"));
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests;
