//! Starting the real app under tauri-driver, driving it by `data-testid`, and reading what it left
//! behind (database, clipboard, windows).
//!
//! Each test gets a fresh temp folder holding its database (`CLAPAY_TOKENS_DB`), its config and data
//! dirs (`XDG_CONFIG_HOME`, `XDG_DATA_HOME`, `XDG_CACHE_HOME`: settings store, imported catalog,
//! logs, WebKit storage) and a private D-Bus session bus (the single-instance plugin registers its
//! name there, so a test never sees another test's app, nor the developer's running one).
//!
//! Tests run one at a time ([`App::start`] holds a global lock): they share one X display, so one
//! clipboard and one window list.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};
use thirtyfour::components::SelectElement;
use thirtyfour::error::WebDriverErrorInner;
use thirtyfour::extensions::query::ElementPollerWithTimeout;
use thirtyfour::prelude::*;
use tokio::sync::{Mutex, MutexGuard};

/// One test at a time: the display, its clipboard and its window list are shared.
static SERIAL: Mutex<()> = Mutex::const_new(());

/// How long a UI element may take to appear.
const UI_TIMEOUT: Duration = Duration::from_secs(10);

/// The app binary the tests drive: the one cargo built for this test target, unless
/// `CLAPAY_APP_BINARY` names another (scripts/package-test.sh runs a test against the installed
/// package's `/usr/bin/clapay-tokens`).
pub fn app_binary() -> String {
    std::env::var("CLAPAY_APP_BINARY")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_clapay-tokens").to_owned())
}

/// A running app with its WebDriver session and its private files.
pub struct App {
    driver: Option<WebDriver>,
    tauri_driver: Option<Child>,
    dbus: Option<Child>,
    /// Environment given to the app (the same for a second launch).
    pub env: Vec<(String, OsString)>,
    /// The database file.
    pub db_path: PathBuf,
    /// Temp folder holding everything the app writes (kept for the leak scan, see [`record_secret`]).
    dir: Option<tempfile::TempDir>,
    _serial: MutexGuard<'static, ()>,
}

/// Panics with what was being done, in test helpers where a failure ends the test anyway.
pub trait Context<T> {
    /// Unwraps, or panics naming `what`.
    fn ctx(self, what: &str) -> T;
}

impl<T, E: std::fmt::Display> Context<T> for Result<T, E> {
    fn ctx(self, what: &str) -> T {
        match self {
            Ok(value) => value,
            Err(error) => panic!("{what}: {error}"),
        }
    }
}

fn require_display() {
    if std::env::var_os("DISPLAY").is_none_or(|display| display.is_empty()) {
        panic!(
            "the end-to-end tests drive the real window and need an X display, but DISPLAY is not set: \
             run them under Xvfb, e.g. xvfb-run -a -s \"-screen 0 1280x800x24\" cargo test --workspace --test e2e"
        );
    }
}

fn tauri_driver_path() -> PathBuf {
    if let Some(path) = std::env::var_os("TAURI_DRIVER") {
        return PathBuf::from(path);
    }
    if let Some(home) = std::env::var_os("HOME") {
        let candidate = Path::new(&home).join(".cargo/bin/tauri-driver");
        if candidate.exists() {
            return candidate;
        }
    }
    PathBuf::from("tauri-driver")
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").ctx("binding a probe port");
    listener.local_addr().ctx("reading the probe port").port()
}

/// Starts a private session bus and returns it with its address.
fn start_dbus() -> (Child, String) {
    let mut child = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ctx("starting dbus-daemon (package dbus-daemon); the single-instance plugin needs a session bus");
    let stdout = child.stdout.take().ctx_opt("dbus-daemon stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .ctx("reading the bus address");
    let address = line.trim().to_owned();
    assert!(!address.is_empty(), "dbus-daemon printed no address");
    (child, address)
}

/// `Option` counterpart of [`Context`].
pub trait ContextOpt<T> {
    /// Unwraps, or panics naming `what`.
    fn ctx_opt(self, what: &str) -> T;
}

impl<T> ContextOpt<T> for Option<T> {
    fn ctx_opt(self, what: &str) -> T {
        match self {
            Some(value) => value,
            None => panic!("{what}: missing"),
        }
    }
}

fn terminate(child: &mut Child, grace: Duration) {
    // SIGTERM, never SIGKILL: a killed tauri-driver leaves WebKitWebDriver running.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!(
        "process {} did not stop within {grace:?} of SIGTERM",
        child.id()
    );
}

/// Processes whose parent chain leads to `root` (found through /proc).
fn descendants(root: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // The command name is in parentheses and may contain spaces: the fields after the last
            // ')' are state, ppid, ...
            let Some(after) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
                continue;
            };
            let Some(ppid) = after
                .split_whitespace()
                .nth(1)
                .and_then(|field| field.parse::<u32>().ok())
            else {
                continue;
            };
            parents.push((pid, ppid));
        }
    }
    let mut found = vec![root];
    let mut index = 0;
    while index < found.len() {
        let parent = found[index];
        found.extend(
            parents
                .iter()
                .filter(|(_, ppid)| *ppid == parent)
                .map(|(pid, _)| *pid),
        );
        index += 1;
    }
    found.remove(0);
    found
}

impl App {
    /// Starts the app on a fresh database, config and bus, and opens a WebDriver session on it.
    pub async fn start() -> App {
        App::start_with(|_| {}, "new-token").await
    }

    /// Like [`App::start`], with `prepare` run on the database path before the launch, and
    /// `ready_testid` awaited instead of the sidebar.
    pub async fn start_with(prepare: impl FnOnce(&Path), ready_testid: &str) -> App {
        require_display();
        let serial = SERIAL.lock().await;
        let dir = tempfile::tempdir().ctx("creating the test's temp dir");
        let db_path = dir.path().join("data/tokens.db");
        std::fs::create_dir_all(dir.path().join("data")).ctx("creating the data dir");
        prepare(&db_path);
        let (dbus, bus_address) = start_dbus();
        let env: Vec<(String, OsString)> = vec![
            ("CLAPAY_TOKENS_DB".into(), db_path.clone().into_os_string()),
            (
                "XDG_CONFIG_HOME".into(),
                dir.path().join("config").into_os_string(),
            ),
            (
                "XDG_DATA_HOME".into(),
                dir.path().join("share").into_os_string(),
            ),
            (
                "XDG_CACHE_HOME".into(),
                dir.path().join("cache").into_os_string(),
            ),
            ("DBUS_SESSION_BUS_ADDRESS".into(), bus_address.into()),
            // The UI language follows the OS unless set; tests start in English.
            ("LANG".into(), "en_US.UTF-8".into()),
            ("LC_ALL".into(), "en_US.UTF-8".into()),
            ("LANGUAGE".into(), "en_US".into()),
            // No accessibility bus: it would be activated on the private bus and outlive the test.
            ("NO_AT_BRIDGE".into(), "1".into()),
            ("GTK_A11Y".into(), "none".into()),
        ];
        let mut app = App {
            driver: None,
            tauri_driver: None,
            dbus: Some(dbus),
            env,
            db_path,
            dir: Some(dir),
            _serial: serial,
        };
        app.launch_retrying_once("start").await;
        app.wait_testid(ready_testid).await;
        app
    }

    /// Launches the app under a new tauri-driver, once more if the first launch fails: a launch
    /// can fail to initialise GTK, or tauri-driver can drop the new-session request while
    /// WebKitWebDriver starts (both seen under Xvfb on a loaded machine, never twice in a row).
    async fn launch_retrying_once(&mut self, what: &str) {
        for attempt in 1..=2 {
            match self.launch().await {
                Ok(()) => return,
                Err(error) if attempt == 1 => {
                    eprintln!("launch attempt {attempt} failed, retrying once: {error}");
                    self.stop_driver();
                }
                Err(error) => panic!("the app did not {what} under tauri-driver: {error}"),
            }
        }
    }

    async fn launch(&mut self) -> Result<(), String> {
        let port = free_port();
        let native_port = free_port();
        let mut command = Command::new(tauri_driver_path());
        command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .envs(self.env.iter().map(|(key, value)| (key, value)))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let child = command.spawn().map_err(|error| {
            format!("cannot run tauri-driver ({error}); scripts/setup.sh --test installs it")
        })?;
        self.tauri_driver = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(format!("tauri-driver did not listen on port {port}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut caps = Capabilities::new();
        caps.set("browserName", "wry")
            .map_err(|error| error.to_string())?;
        caps.set(
            "tauri:options",
            serde_json::json!({ "application": app_binary() }),
        )
        .map_err(|error| error.to_string())?;
        // When the app dies at start, WebKitWebDriver never answers: bound the wait.
        let driver = tokio::time::timeout(
            Duration::from_secs(60),
            WebDriver::new(format!("http://127.0.0.1:{port}"), caps),
        )
        .await
        .map_err(|_| "no WebDriver session within 60 s".to_owned())?
        .map_err(|error| format!("new session failed: {error}"))?;
        driver.set_poller(Arc::new(ElementPollerWithTimeout::new(
            UI_TIMEOUT,
            Duration::from_millis(50),
        )));
        self.driver = Some(driver);
        Ok(())
    }

    fn stop_driver(&mut self) {
        if let Some(mut child) = self.tauri_driver.take() {
            let below = descendants(child.id());
            terminate(&mut child, Duration::from_secs(5));
            // WebKitWebDriver normally ends the app it started; make sure nothing of ours lingers.
            for pid in below {
                if Path::new(&format!("/proc/{pid}")).exists() {
                    let _ = Command::new("kill")
                        .args(["-TERM", &pid.to_string()])
                        .status();
                }
            }
        }
    }

    /// Ends the session so the app quits, keeping its files to inspect afterwards; waits until
    /// no process has the database open for writing any more (the app's last writes are done).
    pub async fn quit_keeping_files(&mut self) {
        if let Some(driver) = self.driver.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), driver.quit()).await;
        }
        // The app has exited when its WAL has been checkpointed and removed, or after 5 s.
        let wal = self.db_path.with_extension("db-wal");
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while wal.exists() && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Quits the app, keeping its files, and starts it again on them under a new session (a
    /// merchant closing the window and opening the app again); waits for `ready_testid`.
    pub async fn relaunch(&mut self, ready_testid: &str) {
        self.quit_keeping_files().await;
        self.stop_driver();
        self.launch_retrying_once("start again").await;
        self.wait_testid(ready_testid).await;
    }

    /// Ends the session (the app quits) and stops tauri-driver and the bus.
    pub async fn stop(mut self) {
        if let Some(driver) = self.driver.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), driver.quit()).await;
        }
        // Drop does the rest.
    }

    /// The WebDriver session.
    pub fn driver(&self) -> &WebDriver {
        self.driver.as_ref().ctx_opt("the WebDriver session")
    }

    /// Waits until an element with this `data-testid` is present and displayed, and returns it.
    pub async fn wait_testid(&self, testid: &str) -> WebElement {
        self.wait_css(&format!("[data-testid=\"{testid}\"]")).await
    }

    /// Waits until an element matching this CSS selector is displayed, and returns it. An element
    /// replaced while it is being checked (stale) is looked up again.
    pub async fn wait_css(&self, css: &str) -> WebElement {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self
                .driver()
                .query(By::Css(css.to_owned()))
                .and_displayed()
                .first()
                .await
            {
                Ok(element) => return element,
                Err(error)
                    if attempts < 5
                        && matches!(
                            error.as_inner(),
                            WebDriverErrorInner::StaleElementReference(_)
                        ) =>
                {
                    continue
                }
                Err(error) => panic!("waiting for {css} to be displayed: {error}"),
            }
        }
    }

    /// Waits until an element matching this CSS selector is in the DOM, displayed or not.
    pub async fn wait_css_present(&self, css: &str) -> WebElement {
        self.driver()
            .query(By::Css(css.to_owned()))
            .first()
            .await
            .ctx(&format!("waiting for {css} to exist"))
    }

    /// All displayed elements matching this CSS selector now (no waiting).
    pub async fn all_css(&self, css: &str) -> Vec<WebElement> {
        let mut shown = Vec::new();
        for element in self
            .driver()
            .find_all(By::Css(css.to_owned()))
            .await
            .ctx(css)
        {
            if element.is_displayed().await.unwrap_or(false) {
                shown.push(element);
            }
        }
        shown
    }

    /// Waits until every row of the list's page holds its token: the list writes the rows in view
    /// first and the others two frames later, with `aria-busy` on the body meanwhile.
    pub async fn wait_list_written(&self) {
        let busy = "[data-testid=\"token-rows\"][aria-busy]";
        self.wait_until("the list has written every row of its page", || async {
            self.driver()
                .find_all(By::Css(busy))
                .await
                .map(|found| found.is_empty())
                .unwrap_or(false)
        })
        .await;
    }

    /// Waits until an element with this testid is gone or hidden.
    pub async fn wait_gone(&self, testid: &str) {
        let css = format!("[data-testid=\"{testid}\"]");
        self.wait_until(&format!("{css} disappears"), || async {
            self.all_css(&css).await.is_empty()
        })
        .await;
    }

    /// Polls `condition` until it holds, or panics naming `what`.
    pub async fn wait_until<F, Fut>(&self, what: &str, condition: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + UI_TIMEOUT;
        while !condition().await {
            assert!(
                Instant::now() < deadline,
                "timed out after {UI_TIMEOUT:?} waiting until {what}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks the element with this testid once it is displayed and enabled.
    /// A button re-rendered between the lookup and the click (stale) is looked up again.
    pub async fn click(&self, testid: &str) {
        for _ in 0..4 {
            let element = self.wait_testid(testid).await;
            element
                .wait_until()
                .enabled()
                .await
                .ctx(&format!("{testid} stays disabled"));
            let _ = element.scroll_into_view().await;
            match element.click().await {
                Ok(()) => return,
                Err(error)
                    if matches!(
                        error.as_inner(),
                        WebDriverErrorInner::StaleElementReference(_)
                    ) =>
                {
                    continue
                }
                Err(error) => panic!("clicking {testid}: {error}"),
            }
        }
        panic!("{testid} kept being replaced while clicking it");
    }

    /// Clicks an element, scrolling it into view first.
    pub async fn click_element(&self, element: &WebElement, what: &str) {
        element
            .wait_until()
            .enabled()
            .await
            .ctx(&format!("{what} stays disabled"));
        let _ = element.scroll_into_view().await;
        element.click().await.ctx(&format!("clicking {what}"));
    }

    /// Clicks a radio or checkbox input through the DOM (`element.click()`): the UI hides these
    /// inputs behind their labels, and WebDriver refuses to click a hidden element.
    pub async fn choose(&self, testid: &str) {
        let css = format!("[data-testid=\"{testid}\"]");
        let element = self.wait_css_present(&css).await;
        self.js_click(&element, testid).await;
    }

    /// `element.click()` in the page, for inputs hidden behind their labels.
    pub async fn js_click(&self, element: &WebElement, what: &str) {
        self.driver()
            .execute(
                "arguments[0].click();",
                vec![element.to_json().ctx("element to json")],
            )
            .await
            .ctx(&format!("clicking {what}"));
    }

    /// Replaces the value of an input or textarea.
    pub async fn fill(&self, testid: &str, text: &str) {
        let element = self.wait_testid(testid).await;
        element.clear().await.ctx(&format!("clearing {testid}"));
        if !text.is_empty() {
            element
                .send_keys(text)
                .await
                .ctx(&format!("typing into {testid}"));
        }
    }

    /// Sets an input's value through the DOM and fires `input` and `change` (for date inputs,
    /// whose keyboard entry depends on the locale).
    pub async fn set_value(&self, testid: &str, value: &str) {
        let element = self.wait_testid(testid).await;
        self.driver()
            .execute(
                "const [el, v] = arguments; el.value = v; \
                 el.dispatchEvent(new Event('input', {bubbles: true})); \
                 el.dispatchEvent(new Event('change', {bubbles: true}));",
                vec![
                    element.to_json().ctx("element to json"),
                    serde_json::json!(value),
                ],
            )
            .await
            .ctx(&format!("setting the value of {testid}"));
    }

    /// Picks an option of a `<select>` by value.
    pub async fn select(&self, testid: &str, value: &str) {
        let element = self.wait_testid(testid).await;
        let select = SelectElement::new(&element)
            .await
            .ctx(&format!("{testid} is a select"));
        select
            .select_by_value(value)
            .await
            .ctx(&format!("choosing {value} in {testid}"));
    }

    /// The visible text of the element with this testid.
    pub async fn text(&self, testid: &str) -> String {
        self.wait_testid(testid)
            .await
            .text()
            .await
            .ctx(&format!("reading {testid}"))
    }

    /// Waits until the element with this testid shows text containing `needle`.
    pub async fn wait_text(&self, testid: &str, needle: &str) -> String {
        let deadline = Instant::now() + UI_TIMEOUT;
        loop {
            let css = format!("[data-testid=\"{testid}\"]");
            for element in self.all_css(&css).await {
                if let Ok(text) = element.text().await {
                    if text.contains(needle) {
                        return text;
                    }
                }
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {testid} to show {needle:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the page's animations to end (a dialog fades and rises in over 0.14 s), then two
    /// animation frames, so a screenshot shows the DOM as it is now. Without the first wait, a busy
    /// machine caught dialogs half faded in.
    pub async fn settle(&self) {
        self.driver()
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 Promise.all(document.getAnimations().map((a) => a.finished.catch(() => {}))).then(() => \
                   requestAnimationFrame(() => requestAnimationFrame(() => done(true))));",
                Vec::new(),
            )
            .await
            .ctx("waiting for two animation frames");
    }

    /// Opens the database read-only (the app keeps it open; WAL lets us read beside it).
    pub fn db(&self) -> Connection {
        Connection::open_with_flags(&self.db_path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .ctx("opening the app's database read-only")
    }

    /// The log files the app wrote (tauri-plugin-log, app log dir under XDG_DATA_HOME).
    pub fn log_files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        collect_files(&self.dir().join("share"), &mut files);
        files
            .into_iter()
            .filter(|path| path.extension().is_some_and(|ext| ext == "log"))
            .collect()
    }

    /// The temp folder holding the database, config, data and cache dirs.
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().ctx_opt("the test's temp dir").path()
    }

    /// The settings store file.
    pub fn settings_file(&self) -> PathBuf {
        self.dir().join("config/app.clapay.tokens/settings.json")
    }

    /// Runs the app binary again with the same environment (a second launch).
    pub fn launch_again(&self) -> Child {
        Command::new(app_binary())
            .envs(self.env.iter().map(|(key, value)| (key, value)))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .ctx("launching the app a second time")
    }
}

impl Drop for App {
    fn drop(&mut self) {
        // The session may already be gone (stop()); closing it here would need an await, and
        // stopping tauri-driver ends WebKitWebDriver, which ends the app.
        self.driver.take();
        self.stop_driver();
        if let Some(mut dbus) = self.dbus.take() {
            terminate(&mut dbus, Duration::from_secs(2));
        }
        if std::env::var_os(LEDGER_ENV).is_some() {
            // Everything the app wrote stays for scripts/leak_scan.py (under make test's TMPDIR).
            if let Some(dir) = self.dir.take() {
                let _kept = dir.keep();
            }
        }
    }
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                collect_files(&path, out);
            } else {
                out.push(path);
            }
        }
    }
}

/// The leak ledger of `make test` (scripts/leak_scan.py): while it is set, every secret a test
/// sees is appended to it and the test's files are kept, so the scan can search them all.
const LEDGER_ENV: &str = "CLAPAY_LEAK_LEDGER";

/// Records a secret shown by the app in the leak ledger, if a scan will run.
pub fn record_secret(secret: &str) {
    use std::io::Write;
    if let Some(ledger) = std::env::var_os(LEDGER_ENV) {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(ledger)
            .ctx("opening the leak ledger");
        writeln!(file, "{secret}").ctx("writing the leak ledger");
    }
}

/// True if `haystack` contains `needle` as bytes.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

/// Reads a whole file, or nothing if it does not exist.
pub fn read_or_empty(path: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Ok(mut file) = std::fs::File::open(path) {
        let _ = file.read_to_end(&mut bytes);
    }
    bytes
}

/// The clipboard as `xclip` reads it: `None` when it holds no text.
pub fn clipboard_text() -> Option<String> {
    let output = Command::new("xclip")
        .args(["-selection", "clipboard", "-o"])
        .output()
        .ctx("running xclip (package xclip)");
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The targets the clipboard owner offers (`xclip -t TARGETS`).
pub fn clipboard_targets() -> Vec<String> {
    let output = Command::new("xclip")
        .args(["-selection", "clipboard", "-o", "-t", "TARGETS"])
        .output()
        .ctx("running xclip -t TARGETS");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Copies `text` to the clipboard as another program would; the returned xclip keeps it until
/// killed or replaced.
pub fn user_copies(text: &str) -> Child {
    use std::io::Write;
    let mut child = Command::new("xclip")
        .args(["-selection", "clipboard", "-i", "-quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ctx("running xclip -i");
    child
        .stdin
        .take()
        .ctx_opt("xclip stdin")
        .write_all(text.as_bytes())
        .ctx("writing to xclip");
    child
}

/// Stops a helper process started by a test (xclip).
pub fn stop(mut child: Child) {
    terminate(&mut child, Duration::from_secs(2));
}

/// Top-level windows titled "ClaPay Tokens" on the display (`xwininfo -root -children`).
pub fn app_windows() -> usize {
    let output = Command::new("xwininfo")
        .args(["-root", "-children"])
        .output()
        .ctx("running xwininfo (package x11-utils)");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.contains("\"ClaPay Tokens\""))
        .count()
}
