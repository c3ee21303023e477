use super::*;
use std::process::Command;

/// A `ui/` folder holding `files`.
fn ui_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let file = dir.path().join(path);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(file, text).unwrap();
    }
    dir
}

fn bundle_error(files: &[(&str, &str)]) -> String {
    let ui = ui_with(files);
    bundle(ui.path()).unwrap_err().to_string()
}

/// Runs `script` with node and returns what it printed (console.log lines).
fn run_in_node(script: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bundle.mjs");
    // The bundle is a module script in the page; `import.meta.url` is the bundle's URL.
    fs::write(&file, script).unwrap();
    let output = Command::new("node")
        .arg(&file)
        .output()
        .expect("node runs the bundle in these tests (make test installs it)");
    assert!(
        output.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn modules_run_once_in_import_order_and_lazy_ones_only_when_asked() {
    let ui = ui_with(&[
        (
            "main.js",
            "import { log } from './log.js';\n\
             import * as shared from './shared.js';\n\
             import table from './data/table.js';\n\
             log('main ' + shared.count() + ' ' + table.greeting);\n\
             import('./views/lazy.js').then((lazy) => { lazy.show(); log('again ' + shared.count()); });\n\
             log('main done');\n",
        ),
        (
            "log.js",
            "export const lines = [];\n\
             export function log(line) { console.log(line); }\n",
        ),
        (
            "shared.js",
            "import { log } from './log.js';\n\
             log('shared evaluated');\n\
             let n = 0;\n\
             export const count = () => ++n;\n",
        ),
        ("data/table.js", "export default {\n  greeting: 'hello',\n};\n"),
        (
            "views/lazy.js",
            "import { log } from '../log.js';\n\
             import { count } from '../shared.js';\n\
             log('lazy evaluated');\n\
             export async function show() { log('show ' + count() + ' ' + new URL('./x.svg', import.meta.url).pathname.endsWith('/views/x.svg')); }\n",
        ),
    ]);
    let (script, modules) = bundle(ui.path()).unwrap();
    assert_eq!(
        modules,
        [
            "data/table.js",
            "log.js",
            "main.js",
            "shared.js",
            "views/lazy.js"
        ]
    );
    assert_eq!(
        run_in_node(&script),
        "shared evaluated\nmain 1 hello\nmain done\nlazy evaluated\nshow 2 true\nagain 3\n"
    );
}

#[test]
fn index_html_loads_the_bundle_and_preloads_nothing() {
    let html = "<head>\n  <link rel=\"stylesheet\" href=\"styles.css\">\n  \
                <script type=\"module\" src=\"main.js\"></script>\n  \
                <link rel=\"modulepreload\" href=\"api.js\">\n  \
                <link rel=\"preload\" href=\"fonts/a.woff2\" as=\"fetch\" crossorigin>\n</head>\n";
    let out = rewrite_html(html).unwrap();
    assert!(out.contains(r#"<script type="module" src="bundle.js"></script>"#));
    assert!(!out.contains("main.js"));
    assert!(!out.contains("modulepreload"));
    assert!(out.contains(r#"<link rel="preload" href="fonts/a.woff2""#));
    assert!(out.contains("styles.css"));

    let missing = rewrite_html("<head></head>").unwrap_err().to_string();
    assert!(missing.contains("expected exactly one"), "{missing}");
}

#[test]
fn write_dist_copies_what_is_not_a_module() {
    let ui = ui_with(&[
        (
            "index.html",
            "<script type=\"module\" src=\"main.js\"></script>\n",
        ),
        ("main.js", "console.log('hi');\n"),
        ("unused.js", "export const x = 1;\n"),
        ("views/warm.worker.js", "postMessage(1);\n"),
        ("styles.css", "body {}\n"),
        ("fonts/a.woff2", "bytes"),
    ]);
    let out = tempfile::tempdir().unwrap();
    let stale = out.path().join("dist/old.js");
    fs::create_dir_all(stale.parent().unwrap()).unwrap();
    fs::write(&stale, "stale").unwrap();
    let dist = write_dist(ui.path(), &out.path().join("dist")).unwrap();
    assert_eq!(dist.modules, ["main.js"]);
    assert_eq!(
        dist.copied,
        ["fonts/a.woff2", "styles.css", "views/warm.worker.js"]
    );
    let written = files_under(&out.path().join("dist")).unwrap();
    let mut written: Vec<&str> = written.iter().map(String::as_str).collect();
    written.sort_unstable();
    assert_eq!(
        written,
        [
            "bundle.js",
            "fonts/a.woff2",
            "index.html",
            "styles.css",
            "views/warm.worker.js"
        ]
    );
}

#[test]
fn the_ui_bundles_into_valid_javascript() {
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui");
    let (script, modules) = bundle(&ui).unwrap();
    // The start and every screen and dialog: nothing is left to fetch as a module.
    for expected in [
        "main.js",
        "app.js",
        "api.js",
        "i18n/en.js",
        "i18n/fr.js",
        "views/tokenList.js",
        "views/createToken.js",
        "views/tokenDetails.js",
        "views/checkPayment.js",
        "views/settings.js",
    ] {
        assert!(
            modules.iter().any(|m| m == expected),
            "{expected} is missing from {modules:?}"
        );
    }
    assert!(!script.contains("\nimport "), "a static import is left");
    assert!(!script.contains("\nexport "), "an export is left");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bundle.mjs");
    fs::write(&file, &script).unwrap();
    let check = Command::new("node")
        .arg("--check")
        .arg(&file)
        .output()
        .expect("node checks the bundle's syntax (make test installs it)");
    assert!(
        check.status.success(),
        "the bundle is not valid JavaScript: {}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn unsupported_forms_are_refused_with_the_file_and_line() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("main.js", "// one\nexport let n = 0;\n")],
            "ui/main.js:2: export a const, function or class",
        ),
        (
            &[("main.js", "export { a };\n")],
            "ui/main.js:1: unsupported export",
        ),
        (
            &[("main.js", "export const { a, b } = x;\n")],
            "ui/main.js:1: unsupported export: one name per export",
        ),
        (
            &[("main.js", "import {\n  a,\n} from './a.js';\n")],
            "ui/main.js:1: unsupported import",
        ),
        (
            &[("main.js", "import a, { b } from './a.js';\n")],
            "ui/main.js:1: unsupported import",
        ),
        (
            &[("main.js", "const name = './a.js';\nimport(name);\n")],
            "ui/main.js:2: import() needs a string literal path",
        ),
        (
            &[("main.js", "import x from 'lib';\n")],
            "ui/main.js:1: 'lib': only relative paths to .js files can be bundled",
        ),
        (
            &[("main.js", "import x from '../up.js';\n")],
            "ui/main.js:1: '../up.js' points outside ui/",
        ),
        (
            &[("main.js", "import x from './missing.js';\n")],
            "ui/missing.js: cannot read",
        ),
        (
            &[
                ("main.js", "import './warm.worker.js';\n"),
                ("warm.worker.js", "postMessage(1);\n"),
            ],
            "ui/warm.worker.js: a worker's script is not a module",
        ),
        (
            &[("main.js", "const __ui_req = 1;\n")],
            "ui/main.js:1: names starting with __ui_ belong to the bundle",
        ),
        (
            &[("main.js", "console.log(import.meta.resolve('./a.js'));\n")],
            "ui/main.js:1: only import.meta.url can be bundled",
        ),
        (
            &[
                ("main.js", "import { a } from './a.js';\n"),
                ("a.js", "import { b } from './b.js';\nexport const a = 1;\n"),
                ("b.js", "import { a } from './a.js';\nexport const b = 2;\n"),
            ],
            "static import cycle a.js -> b.js -> a.js",
        ),
    ];
    for (files, expected) in cases {
        let message = bundle_error(files);
        assert!(
            message.contains(expected),
            "expected '{expected}' in '{message}'"
        );
    }
}

#[test]
fn a_dynamic_import_cycle_is_fine() {
    let ui = ui_with(&[
        (
            "main.js",
            "export const name = 'main';\nimport('./b.js').then((b) => console.log(b.hello()));\n",
        ),
        (
            "b.js",
            "import { name } from './main.js';\nexport const hello = () => 'hello ' + name;\n",
        ),
    ]);
    let (script, _) = bundle(ui.path()).unwrap();
    assert_eq!(run_in_node(&script), "hello main\n");
}
