//! Bundles the UI's ES modules (`ui/`) into the scripts the app embeds.
//!
//! Why: WebKitGTK fetches each module through the app's custom protocol, one request, answer and
//! parse each, and the first screen needs fifteen of them. Measured on release builds in
//! alternation (BENCHMARKS.md, "App start"), one script instead takes about 12 ms off the page.
//! That script holds only the first screen's modules: the other screens, parsed before the first
//! paint for nothing, cost the page about 4-8 ms more, so they are scripts of their own, fetched
//! when one of their modules is first asked for (after the first paint, `lazy.js` asks for all).
//!
//! How: each module becomes a function that runs its body once, on first use, and returns its
//! exports; a static import becomes a call at the top of the importer, in the same order, and
//! `import('...')` a promise of that call, so the modules evaluate in the order and at the moments
//! they did as modules (the screens the list does not show still wait until they are asked for).
//! The first script (`bundle.js`) holds `main.js` and the modules `index.html` preloads, the
//! modules of the first screen (`scripts/ui-preview/check-modules.mjs` keeps that list exact), with
//! everything they import. Every other module is in a script of its group: the modules linked to
//! each other by static imports, which must be defined together. Such a script is an ES module that
//! `bundle.js` imports, and it defines its modules in `bundle.js`'s table.
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
/// The first script, next to `index.html`: the first screen's modules, and what loads the others.
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

/// One script of the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// Its file name, next to `index.html`: [`BUNDLE`] for the first.
    pub file: String,
    /// The modules it defines, as paths relative to `ui/`, sorted.
    pub modules: Vec<String>,
    pub text: String,
}

/// What `write_dist` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dist {
    /// The scripts written, the first one first.
    pub scripts: Vec<Script>,
    /// The other files copied (styles, fonts, flags), relative to `ui/`, sorted.
    pub copied: Vec<String>,
}

/// Reads `ui/` and writes the page to `out` (emptied first): `index.html` loading the first script
/// instead of `main.js` and without the module preloads, the scripts, and every file of `ui/` that
/// is not a JavaScript module, as it is (worker scripts, `*.worker.js`, among them).
pub fn write_dist(ui: &Path, out: &Path) -> Result<Dist, BundleError> {
    let io = |path: &Path, what: &str, e: std::io::Error| {
        error("", 0, format!("cannot {what} {}: {e}", path.display()))
    };
    let html_path = ui.join("index.html");
    let html = fs::read_to_string(&html_path).map_err(|e| io(&html_path, "read", e))?;
    let scripts = bundle(ui, &preloaded_modules(&html))?;
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
    for script in &scripts {
        let target = out.join(&script.file);
        fs::write(&target, &script.text).map_err(|e| io(&target, "write", e))?;
    }
    copied.sort();
    Ok(Dist { scripts, copied })
}

/// The modules `index.html` preloads (`<link rel="modulepreload" href="...">`): the first
/// screen's, which go into the first script with `main.js`.
pub fn preloaded_modules(html: &str) -> Vec<String> {
    const LINK: &str = r#"<link rel="modulepreload" href=""#;
    html.lines()
        .filter_map(|line| line.trim_start().strip_prefix(LINK))
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.trim_start_matches("./").to_owned())
        .collect()
}

/// The scripts of every module reachable from `main.js` (by static or dynamic imports): the first
/// holds `main.js`, the modules of `start` and what they import; each of the others a group of
/// the remaining modules linked by static imports.
pub fn bundle(ui: &Path, start: &[String]) -> Result<Vec<Script>, BundleError> {
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
    if let Some(unknown) = start.iter().find(|path| !modules.contains_key(*path)) {
        return Err(error(
            "index.html",
            0,
            format!("it preloads {unknown}, which {ENTRY} never imports: remove the link"),
        ));
    }

    let first = static_closure(
        &modules,
        std::iter::once(ENTRY).chain(start.iter().map(String::as_str)),
    );
    let groups = groups_of_the_rest(&modules, &first);
    let mut scripts = vec![Script {
        file: BUNDLE.to_owned(),
        modules: first.iter().cloned().collect(),
        text: String::new(),
    }];
    for group in groups {
        scripts.push(Script {
            file: format!("bundle-{}", group[0].replace('/', "-")),
            modules: group,
            text: String::new(),
        });
    }

    let defines = |script: &Script| {
        script
            .modules
            .iter()
            .map(|path| {
                let module = &modules[path];
                format!(
                    "\n// ui/{path}\n__ui_modules.set({}, {{ done: false, define: () => {{\n{}\nreturn {{ {} }};\n}} }});\n",
                    js_string(path),
                    module.body.trim_end(),
                    module.exports.join(", ")
                )
            })
            .collect::<String>()
    };
    let elsewhere: String = scripts[1..]
        .iter()
        .flat_map(|script| {
            script
                .modules
                .iter()
                .map(|path| format!("\n  [{}, {}],", js_string(path), js_string(&script.file)))
        })
        .collect();
    let mut text = format!(
        "// Generated from ui/ by clapay-ui-bundle when the app is built: edit the modules in ui/.\n\
         // Each module is a function run once, on first use, that returns its exports.\n\
         const __ui_modules = new Map();\n\
         function __ui_req(path) {{\n\
         \x20 const module = __ui_modules.get(path);\n\
         \x20 if (!module.done) {{\n\
         \x20   module.exports = module.define();\n\
         \x20   module.done = true;\n\
         \x20 }}\n\
         \x20 return module.exports;\n\
         }}\n\
         // The script that defines each module this one does not, imported when one of its modules\n\
         // is first asked for; a failed import is tried again by the next ask. Each import is marked\n\
         // (`fetch <file>`) for the web inspector and the tests: these should come after the first paint.\n\
         const __ui_scripts = new Map([{elsewhere}\n]);\n\
         const __ui_fetched = new Map();\n\
         function __ui_fetch(file) {{\n\
         \x20 let fetched = __ui_fetched.get(file);\n\
         \x20 if (!fetched) {{\n\
         \x20   performance.mark('fetch ' + file);\n\
         \x20   fetched = import('./' + file).then(\n\
         \x20     (script) => script.define(__ui_modules, __ui_req, __ui_load),\n\
         \x20     (error) => {{ __ui_fetched.delete(file); throw error; }});\n\
         \x20   __ui_fetched.set(file, fetched);\n\
         \x20 }}\n\
         \x20 return fetched;\n\
         }}\n\
         function __ui_load(path) {{\n\
         \x20 const file = __ui_modules.has(path) ? null : __ui_scripts.get(path);\n\
         \x20 return (file ? __ui_fetch(file) : Promise.resolve()).then(() => __ui_req(path));\n\
         }}\n"
    );
    text.push_str(&defines(&scripts[0]));
    text.push_str(&format!("\n__ui_req({});\n", js_string(ENTRY)));
    let rest: Vec<String> = scripts[1..]
        .iter()
        .map(|script| {
            format!(
                "// Generated from ui/ by clapay-ui-bundle when the app is built: edit the modules in ui/.\n\
                 // Modules {BUNDLE} loads when one of them is first asked for: it calls define().\n\
                 export function define(__ui_modules, __ui_req, __ui_load) {{\n{}}}\n",
                defines(script)
            )
        })
        .collect();
    scripts[0].text = text;
    for (script, text) in scripts[1..].iter_mut().zip(rest) {
        script.text = text;
    }
    Ok(scripts)
}

/// `roots` and every module they import statically, transitively.
fn static_closure<'a>(
    modules: &BTreeMap<String, Module>,
    roots: impl Iterator<Item = &'a str>,
) -> BTreeSet<String> {
    let mut reached = BTreeSet::new();
    let mut pending: Vec<String> = roots.map(str::to_owned).collect();
    while let Some(path) = pending.pop() {
        if reached.insert(path.clone()) {
            pending.extend(modules[&path].imports.iter().cloned());
        }
    }
    reached
}

/// The modules outside `first`, in groups linked by static imports (either way), each sorted, the
/// groups in the order of their first module. A module's static imports are defined with it or in
/// the first script, so a group's script never waits for another.
fn groups_of_the_rest(
    modules: &BTreeMap<String, Module>,
    first: &BTreeSet<String>,
) -> Vec<Vec<String>> {
    let rest: Vec<&String> = modules
        .keys()
        .filter(|path| !first.contains(*path))
        .collect();
    let mut linked: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for path in &rest {
        for target in &modules[*path].imports {
            if !first.contains(target) {
                linked.entry(path.as_str()).or_default().push(target);
                linked
                    .entry(target.as_str())
                    .or_default()
                    .push(path.as_str());
            }
        }
    }
    let mut grouped: BTreeSet<&str> = BTreeSet::new();
    let mut groups = Vec::new();
    for path in rest {
        if grouped.contains(path.as_str()) {
            continue;
        }
        let mut group = BTreeSet::new();
        let mut pending = vec![path.as_str()];
        while let Some(next) = pending.pop() {
            if group.insert(next) {
                grouped.insert(next);
                pending.extend(linked.get(next).into_iter().flatten().copied());
            }
        }
        groups.push(group.into_iter().map(str::to_owned).collect());
    }
    groups
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
