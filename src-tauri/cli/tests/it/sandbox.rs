//! `clapay-tokens-cli sandbox`: the built binary on 127.0.0.1, a free port (`--port 0`), driven
//! over HTTP from plain threads. What it prints and where, bad flags, the CLI writing the same
//! database while the gateway serves, SIGTERM under load (every answered check on disk, exit 0),
//! and what a SIGKILL loses (measured, reported in the test figures).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::{binary, code, record_secret, stderr, TestDb};

/// How long any one step may take before the test fails rather than hangs.
const STEP: Duration = Duration::from_secs(30);

/// A running `sandbox` process, killed on drop if the test did not stop it.
struct Sandbox {
    child: Child,
    address: SocketAddr,
    /// The stderr lines read until `listening on`.
    stderr_head: Vec<String>,
    /// The rest of stderr, gathered by a thread.
    stderr_rest: mpsc::Receiver<String>,
}

impl Sandbox {
    fn start(db: &TestDb, args: &[&str], envs: &[(&str, &str)]) -> Sandbox {
        let mut command = Command::new(binary());
        command
            .env_remove("CLAPAY_TOKENS_DB")
            .env_remove("CLAPAY_SANDBOX_WEBHOOK_KEY")
            .env_remove("CLAPAY_SANDBOX_WEBHOOK_SECRET")
            .arg("--db")
            .arg(&db.path)
            .args(["sandbox", "--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in envs {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("spawn the sandbox");
        let stderr = child.stderr.take().expect("stderr");
        let (lines, received) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let mut head = Vec::new();
        let deadline = Instant::now() + STEP;
        let address = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = received
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no 'listening on' line; stderr so far: {head:?}"));
            head.push(line.clone());
            if let Some(address) = line.strip_prefix("listening on http://") {
                break address.parse().expect("an address and a port");
            }
        };
        Sandbox {
            child,
            address,
            stderr_head: head,
            stderr_rest: received,
        }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -{name} reaches the sandbox");
    }

    /// Waits for the exit (bounded); returns the exit code (-1 for a signal) and stdout.
    fn wait(mut self) -> (i32, String, Vec<String>) {
        let deadline = Instant::now() + STEP;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            assert!(Instant::now() < deadline, "the sandbox stops in time");
            thread::sleep(Duration::from_millis(20));
        };
        let mut stdout = String::new();
        if let Some(mut out) = self.child.stdout.take() {
            out.read_to_string(&mut stdout).expect("stdout");
        }
        let mut stderr = std::mem::take(&mut self.stderr_head);
        while let Ok(line) = self.stderr_rest.recv_timeout(Duration::from_millis(200)) {
            stderr.push(line);
        }
        (status.code().unwrap_or(-1), stdout, stderr)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One `POST /init/payment` on a new connection: the status, or an error once the gateway is
/// gone.
fn init_payment(address: SocketAddr, secret: &str, method: &str) -> std::io::Result<u16> {
    let body = format!(
        r#"{{"transaction_id":"t","amount":5000,"country_code":"CI","operators_code":["OM"],"method":"{method}","tunnel":"API"}}"#
    );
    let request = format!(
        "POST /init/payment HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {secret}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect_timeout(&address, STEP)?;
    stream.set_read_timeout(Some(STEP))?;
    stream.write_all(request.as_bytes())?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let text = String::from_utf8_lossy(&answer);
    text.strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {text}")))
}

/// The `used` and `denied` events of known tokens.
fn usage_events(db: &TestDb) -> i64 {
    let connection = rusqlite::Connection::open(&db.path).expect("open");
    connection
        .query_row(
            "SELECT count(*) FROM history WHERE kind IN ('used', 'denied') AND token_id IS NOT NULL",
            [],
            |row| row.get(0),
        )
        .expect("count")
}

fn integrity_ok(db: &TestDb) {
    let connection = rusqlite::Connection::open(&db.path).expect("open");
    let verdict: String = connection
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("check");
    assert_eq!(verdict, "ok", "the database is sound");
}

/// Appends a figure to `CLAPAY_TEST_FIGURES` (printed at the end of `make test`) and stdout.
fn report_figure(line: &str) {
    println!("{line}");
    if let Some(path) = std::env::var_os("CLAPAY_TEST_FIGURES") {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("the figures file is writable");
        writeln!(file, "{line}").expect("write the figures");
    }
}

/// The tokens of a load: one allowed, one revoked (401 for a known token), and the outcome that
/// counts as recorded for each answer.
struct Load {
    allowed: String,
    revoked: String,
}

fn load_tokens(db: &TestDb) -> Load {
    let allowed = db.create(
        "shop",
        &["--environment", "sandbox", "--allow", "CI:OM:MERCHANT"],
    );
    let revoked = db.create(
        "old",
        &["--environment", "sandbox", "--allow", "CI:OM:MERCHANT"],
    );
    assert_eq!(code(&db.run(&["revoke", "old"])), 0);
    Load { allowed, revoked }
}

/// Clients sending allowed (200), denied (403) and revoked-token (401) requests until the
/// gateway goes away or `stop` is set; returns how many answers each counts as recorded.
fn start_load(
    address: SocketAddr,
    load: &Load,
    clients: usize,
    stop: &Arc<AtomicBool>,
) -> (Arc<AtomicI64>, Vec<thread::JoinHandle<()>>) {
    let recorded = Arc::new(AtomicI64::new(0));
    let threads = (0..clients)
        .map(|client| {
            let (secret, method) = match client % 3 {
                0 => (load.allowed.clone(), "MERCHANT"),
                1 => (load.allowed.clone(), "CASHIN"),
                _ => (load.revoked.clone(), "MERCHANT"),
            };
            let recorded = Arc::clone(&recorded);
            let stop = Arc::clone(stop);
            thread::spawn(move || {
                let deadline = Instant::now() + STEP;
                while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                    match init_payment(address, &secret, method) {
                        Ok(200 | 403 | 401) => {
                            recorded.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(other) => panic!("unexpected status {other}"),
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    (recorded, threads)
}

#[test]
fn the_sandbox_prints_its_address_on_stderr_and_drawn_keys_on_stdout_only() {
    let db = TestDb::new();
    let sandbox = Sandbox::start(&db, &["--settle-after", "100ms"], &[]);
    assert!(sandbox.address.ip().is_loopback(), "loopback by default");
    assert_ne!(sandbox.address.port(), 0, "port 0 picks a free port");
    sandbox.signal("INT");
    let (exit, stdout, stderr) = sandbox.wait();
    assert_eq!(exit, 0, "Ctrl-C stops cleanly: {stderr:?}");
    let keys: Vec<&str> = stdout.lines().collect();
    assert_eq!(keys.len(), 2, "two keys on stdout: {stdout}");
    assert!(keys[0].starts_with("CLAPAY_SANDBOX_WEBHOOK_KEY=nowallet_uk_"));
    assert!(keys[1].starts_with("CLAPAY_SANDBOX_WEBHOOK_SECRET=nowallet_sk_"));
    for key in &keys {
        let value = key.split_once('=').expect("NAME=value").1;
        record_secret(value);
        assert!(
            !stderr.iter().any(|line| line.contains(value)),
            "a key is never on stderr"
        );
    }
    assert!(
        stderr.iter().any(|line| line.contains("stopped")),
        "{stderr:?}"
    );
}

#[test]
fn keys_from_the_environment_are_used_and_never_printed() {
    let db = TestDb::new();
    let unique_key = "nowallet_uk_stable-developer-key";
    let secret = "nowallet_sk_stable-developer-secret";
    let sandbox = Sandbox::start(
        &db,
        &[],
        &[
            ("CLAPAY_SANDBOX_WEBHOOK_KEY", unique_key),
            ("CLAPAY_SANDBOX_WEBHOOK_SECRET", secret),
        ],
    );
    sandbox.signal("TERM");
    let (exit, stdout, stderr) = sandbox.wait();
    assert_eq!(exit, 0);
    assert!(stdout.is_empty(), "nothing to show: {stdout}");
    assert!(!stderr.iter().any(|line| line.contains(secret)));
}

#[test]
fn bad_sandbox_flags_exit_2_with_one_clear_line() {
    let db = TestDb::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("address").port().to_string();
    let cases: [(&[&str], &str); 5] = [
        (&["sandbox", "--settle-after", "soon"], "--settle-after"),
        (&["sandbox", "--settle-after", "3h"], "at most 1h"),
        (&["sandbox", "--port", "99999"], "--port"),
        (&["sandbox", "--bind", "my-laptop"], "--bind"),
        (&["sandbox", "--port", &port], "--port"),
    ];
    for (args, expected) in cases {
        let output = db.run(args);
        assert_eq!(code(&output), 2, "{args:?}: exit 2; {}", stderr(&output));
        let text = stderr(&output);
        assert!(text.contains(expected), "{args:?} names {expected}: {text}");
        assert_eq!(text.trim_end().lines().count(), 1, "one line: {text}");
        assert!(output.stdout.is_empty(), "no key drawn for nothing");
    }
    let output = db
        .cli()
        .args(["sandbox", "--port", "0"])
        .env("CLAPAY_SANDBOX_WEBHOOK_KEY", "only-one")
        .env_remove("CLAPAY_SANDBOX_WEBHOOK_SECRET")
        .output()
        .expect("run");
    assert_eq!(code(&output), 2, "half a key pair: {}", stderr(&output));
    assert!(stderr(&output).contains("CLAPAY_SANDBOX_WEBHOOK_SECRET"));
}

#[test]
fn the_cli_writes_the_database_while_the_gateway_serves() {
    let db = TestDb::new();
    let load = load_tokens(&db);
    let sandbox = Sandbox::start(&db, &[], &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let (_, clients) = start_load(sandbox.address, &load, 6, &stop);
    for index in 0..10 {
        let name = format!("written-{index}");
        let output = db.run(&["create", "--name", &name, "--allow", "CI:MTN:MERCHANT"]);
        assert_eq!(code(&output), 0, "create: {}", stderr(&output));
        record_secret(crate::support::stdout(&output).trim());
        let output = db.run(&[
            "numbers",
            "add",
            &name,
            "CI",
            &format!("07070710{index:02}"),
        ]);
        assert_eq!(code(&output), 0, "add a number: {}", stderr(&output));
        let output = db.run(&["revoke", &name]);
        assert_eq!(code(&output), 0, "revoke: {}", stderr(&output));
        assert!(!stderr(&output).contains("locked"));
    }
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client
            .join()
            .expect("no client saw an unexpected status (500)");
    }
    sandbox.signal("TERM");
    let (exit, _, stderr) = sandbox.wait();
    assert_eq!(exit, 0, "{stderr:?}");
    assert!(
        !stderr.iter().any(|line| line.contains("locked")),
        "{stderr:?}"
    );
}

#[test]
fn sigterm_under_load_exits_0_with_every_answered_check_on_disk() {
    let db = TestDb::new();
    let load = load_tokens(&db);
    let before = usage_events(&db);
    let sandbox = Sandbox::start(&db, &[], &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let (recorded, clients) = start_load(sandbox.address, &load, 9, &stop);
    thread::sleep(Duration::from_millis(1500));
    sandbox.signal("TERM");
    let (exit, _, stderr) = sandbox.wait();
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().expect("client");
    }
    assert_eq!(exit, 0, "a clean stop: {stderr:?}");
    let answered = recorded.load(Ordering::SeqCst);
    assert!(answered > 0, "the load ran");
    assert_eq!(
        usage_events(&db) - before,
        answered,
        "used/denied events = answers 200, 403 and 401 for a known token"
    );
    integrity_ok(&db);
}

#[test]
fn sigkill_loses_at_most_the_last_batch_and_never_invents_a_check() {
    let db = TestDb::new();
    let load = load_tokens(&db);
    let before = usage_events(&db);
    let sandbox = Sandbox::start(&db, &[], &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let (recorded, clients) = start_load(sandbox.address, &load, 9, &stop);
    thread::sleep(Duration::from_millis(1500));
    let answered_before_kill = recorded.load(Ordering::SeqCst);
    sandbox.signal("KILL");
    let (exit, _, _) = sandbox.wait();
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().expect("client");
    }
    assert_eq!(exit, -1, "killed by the signal");
    let answered = recorded.load(Ordering::SeqCst);
    let on_disk = usage_events(&db) - before;
    integrity_ok(&db);
    assert!(
        on_disk <= answered,
        "a check on disk was answered: {on_disk} on disk, {answered} answered"
    );
    let lost = answered - on_disk;
    let per_second = answered_before_kill as f64 / 1.5;
    report_figure(&format!(
        "sandbox SIGKILL: {answered} checks answered, {on_disk} on disk, {lost} lost \
         ({:.0} ms of traffic at {per_second:.0} checks/s; batch window {} ms)",
        lost as f64 / per_second.max(1.0) * 1000.0,
        clapay_core::usage::BATCH_WINDOW.as_millis()
    ));
}
