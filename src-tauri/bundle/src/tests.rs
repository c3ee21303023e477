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
    bundle(ui.path(), &[]).unwrap_err().to_string()
}

/// Writes `scripts` to a folder, runs the first with node, and returns what it printed
/// (console.log lines). The scripts are module scripts in the page (`type: module`), and each
/// other one is imported by the first from the same folder.
fn run_in_node(scripts: &[Script]) -> String {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("package.json"), r#"{ "type": "module" }"#).unwrap();
    for script in scripts {
        fs::write(dir.path().join(&script.file), &script.text).unwrap();
    }
    let output = Command::new("node")
        .arg(dir.path().join(&scripts[0].file))
        .output()
        .expect("node runs the bundle in these tests (make test installs it)");
    assert!(
        output.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The file and modules of each script.
fn layout(scripts: &[Script]) -> Vec<(&str, Vec<&str>)> {
    scripts
        .iter()
        .map(|script| {
            (
                script.file.as_str(),
                script.modules.iter().map(String::as_str).collect(),
            )
        })
        .collect()
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
    let scripts = bundle(ui.path(), &[]).unwrap();
    assert_eq!(
        layout(&scripts),
        [
            (
                "bundle.js",
                vec!["data/table.js", "log.js", "main.js", "shared.js"]
            ),
            ("bundle-views-lazy.js", vec!["views/lazy.js"]),
        ]
    );
    assert!(!scripts[0].text.contains("lazy evaluated"));
    assert_eq!(
        run_in_node(&scripts),
        "shared evaluated\nmain 1 hello\nmain done\nlazy evaluated\nshow 2 true\nagain 3\n"
    );
}

/// The first script holds the modules `index.html` preloads with what they import, even those
/// imported with import(); the rest is in groups linked by static imports, each fetched once,
/// when one of its modules is first asked for.
#[test]
fn the_first_screen_is_one_script_and_the_rest_comes_in_groups_when_asked() {
    let ui = ui_with(&[
        (
            "main.js",
            "import('./app.js').then((app) => app.start());\n",
        ),
        (
            "app.js",
            "import { list } from './views/list.js';\n\
             export async function start() {\n\
             \x20 console.log(list());\n\
             \x20 const [a, b] = await Promise.all([import('./views/a.js'), import('./views/b.js')]);\n\
             \x20 console.log(a.name + ' ' + b.name);\n\
             \x20 const fr = await import('./i18n/fr.js');\n\
             \x20 console.log(fr.default.hello + ' ' + (await import('./views/b.js')).name);\n\
             }\n",
        ),
        ("views/list.js", "export const list = () => 'list';\n"),
        (
            "views/a.js",
            "import { dialog } from './modal.js';\nexport const name = 'a ' + dialog();\n",
        ),
        (
            "views/b.js",
            "import { dialog } from './modal.js';\nimport { list } from './list.js';\nexport const name = 'b ' + dialog() + ' ' + list();\n",
        ),
        (
            "views/modal.js",
            "let opened = 0;\nconsole.log('modal evaluated');\nexport const dialog = () => 'modal' + ++opened;\n",
        ),
        ("i18n/fr.js", "export default { hello: 'bonjour' };\n"),
    ]);
    let scripts = bundle(ui.path(), &["app.js".to_owned()]).unwrap();
    assert_eq!(
        layout(&scripts),
        [
            ("bundle.js", vec!["app.js", "main.js", "views/list.js"]),
            ("bundle-i18n-fr.js", vec!["i18n/fr.js"]),
            (
                "bundle-views-a.js",
                vec!["views/a.js", "views/b.js", "views/modal.js"]
            ),
        ]
    );
    assert_eq!(
        run_in_node(&scripts),
        "list\nmodal evaluated\na modal1 b modal2 list\nbonjour b modal2 list\n"
    );

    let unknown = bundle(ui.path(), &["views/gone.js".to_owned()])
        .unwrap_err()
        .to_string();
    assert_eq!(
        unknown,
        "ui/index.html: it preloads views/gone.js, which main.js never imports: remove the link"
    );
    assert_eq!(
        preloaded_modules(
            "<link rel=\"modulepreload\" href=\"app.js\">\n  <link rel=\"modulepreload\" href=\"./views/list.js\">\n<link rel=\"preload\" href=\"x.woff2\">\n"
        ),
        ["app.js", "views/list.js"]
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
    assert_eq!(layout(&dist.scripts), [("bundle.js", vec!["main.js"])]);
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
    let html = fs::read_to_string(ui.join("index.html")).unwrap();
    let scripts = bundle(&ui, &preloaded_modules(&html)).unwrap();
    let holds = |script: &Script, module: &str| script.modules.iter().any(|m| m == module);
    // The first script is the list's start; every other screen and dialog is in another script.
    for expected in [
        "main.js",
        "app.js",
        "api.js",
        "i18n/en.js",
        "views/tokenList.js",
    ] {
        assert!(
            holds(&scripts[0], expected),
            "{expected} is missing from the first script: {:?}",
            scripts[0].modules
        );
    }
    for later in [
        "i18n/fr.js",
        "views/createToken.js",
        "views/tokenDetails.js",
        "views/checkPayment.js",
        "views/settings.js",
        "views/compositionModal.js",
    ] {
        assert!(
            scripts[1..].iter().any(|script| holds(script, later)),
            "{later} is in no later script: {:?}",
            layout(&scripts)
        );
    }
    let dir = tempfile::tempdir().unwrap();
    for script in &scripts {
        assert!(
            !script.text.contains("\nimport "),
            "a static import is left in {}",
            script.file
        );
        let file = dir.path().join(script.file.replace(".js", ".mjs"));
        fs::write(&file, &script.text).unwrap();
        let check = Command::new("node")
            .arg("--check")
            .arg(&file)
            .output()
            .expect("node checks the bundle's syntax (make test installs it)");
        assert!(
            check.status.success(),
            "{} is not valid JavaScript: {}",
            script.file,
            String::from_utf8_lossy(&check.stderr)
        );
    }
    assert!(!scripts[0].text.contains("\nexport "), "an export is left");
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
    let scripts = bundle(ui.path(), &[]).unwrap();
    assert_eq!(scripts.len(), 2, "b.js comes later");
    assert_eq!(run_in_node(&scripts), "hello main\n");
}
