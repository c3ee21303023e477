//! Crash harness, the way SQLite tests itself: a child process writes through [`Registry`] in a
//! loop and reports each acknowledged operation on stdout; the parent kills it with SIGKILL at a
//! random moment, reopens the database and checks that it is sound and that no acknowledged write
//! is missing.
//!
//! The child is this test binary run again with `CLAPAY_CRASH_CHILD` set (`harness = false`, so
//! `main` decides). It prints `BEGIN <op>` before each call and `ACK <op>` (or `ERR <kind>`) after
//! it returned, one line per `write`, so a kill never splits a line. The parent replays the
//! acknowledged operations into a model and, after each kill:
//! - reopens with `clapay_core::db::open` (the app's own open: pragmas, quick_check, migrations);
//! - checks `PRAGMA integrity_check` = ok, `PRAGMA foreign_key_check` empty, and the domain
//!   invariants (`integrity::check_invariants`: no number on a revoked token, every token with a
//!   composition and a `created` event, 32-byte digests, every number's country in its token's
//!   composition);
//! - settles the one operation that may have been cut between commit and `ACK` (it must be wholly
//!   there or wholly absent, and the model follows what the database says);
//! - checks every operation acknowledged in the cycle (a lost write if one is missing) and then
//!   that the whole database equals the model (no partial or phantom change).
//!
//! Environment: `CLAPAY_CRASH_CYCLES` (default 50), `CLAPAY_CRASH_SEED` (default: from the clock,
//! printed so a failure can be replayed; the kill delays replay exactly, the child's own timing
//! cannot), `CLAPAY_CRASH_MAX_DELAY_MS` (default 150). `scripts/crash.sh [CYCLES]` runs a long pass.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use clapay_core::{Catalog, Expiry, Method, NewNumber, NewToken, Registry, Triple};
use rusqlite::Connection;

const CHILD_ENV: &str = "CLAPAY_CRASH_CHILD";
const CHILD_SEED_ENV: &str = "CLAPAY_CRASH_CHILD_SEED";
const CHILD_BASE_ENV: &str = "CLAPAY_CRASH_CHILD_BASE";
const SEED_ENV: &str = "CLAPAY_CRASH_SEED";
const CYCLES_ENV: &str = "CLAPAY_CRASH_CYCLES";
const MAX_DELAY_ENV: &str = "CLAPAY_CRASH_MAX_DELAY_MS";
/// Numbers each child may draw; children of different cycles use disjoint ranges.
const NUMBERS_PER_CYCLE: u64 = 10_000;
const TEST_NAME: &str = "crash_harness";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--list") {
        println!("{TEST_NAME}: test");
        return;
    }
    if let Some(db) = std::env::var_os(CHILD_ENV) {
        child(Path::new(&db));
        return;
    }
    // `cargo test -p clapay-tokens-core some_filter` passes the filter to every test binary.
    let filters: Vec<&String> = args.iter().filter(|arg| !arg.starts_with('-')).collect();
    if !filters.is_empty()
        && !filters
            .iter()
            .any(|filter| TEST_NAME.contains(filter.as_str()))
    {
        println!("{TEST_NAME}: filtered out");
        return;
    }
    parent();
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name)
        .ok()
        .and_then(|value| value.trim().parse().ok())
}

/// Every token the child creates allows these two triples.
fn composition() -> Vec<Triple> {
    vec![
        Triple {
            country: "CI".into(),
            operator: "OM".into(),
            method: Method::Merchant,
        },
        Triple {
            country: "SN".into(),
            operator: "WAVE".into(),
            method: Method::Cashin,
        },
    ]
}

fn composition_labels() -> BTreeSet<String> {
    composition()
        .iter()
        .map(|t| format!("{}:{}:{}", t.country, t.operator, t.method))
        .collect()
}

/// A valid mobile number of Côte d'Ivoire (even index) or Senegal (odd), E.164.
fn number(index: u64) -> (String, String) {
    if index % 2 == 0 {
        ("CI".into(), format!("+22507{:08}", index % 100_000_000))
    } else {
        ("SN".into(), format!("+22177{:07}", index % 10_000_000))
    }
}

// ---------------------------------------------------------------------------------------------
// The child: writes until killed.

fn child(db: &Path) {
    let seed = env_u64(CHILD_SEED_ENV).unwrap_or(1);
    let base = env_u64(CHILD_BASE_ENV).unwrap_or(0);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut registry = Registry::open(db, Catalog::embedded()).expect("child: open");
    let mut live = live_tokens(registry.connection());
    // Warm up libphonenumber (its metadata loads on first use) so the kill delays measure writes.
    let _ = registry.check_phone("CI", "0707070707");
    let mut drawn = 0u64;
    let mut serial = 0u64;
    let mut out = std::io::stdout().lock();
    let mut say = |line: String| {
        // One write per line (a pipe write of under 4 KiB is atomic), flushed before going on.
        let mut bytes = line.into_bytes();
        bytes.push(b'\n');
        out.write_all(&bytes).expect("child: stdout");
        out.flush().expect("child: flush");
    };
    say("READY".into());
    loop {
        if drawn + 4 >= NUMBERS_PER_CYCLE {
            // Out of fresh numbers: wait for the kill rather than reuse one.
            std::thread::sleep(Duration::from_millis(50));
            continue;
        }
        let roll = rng.u64(..100);
        let with_numbers: Vec<usize> = (0..live.len())
            .filter(|&index| !live[index].1.is_empty())
            .collect();
        if live.is_empty() || roll < 35 {
            let name = format!("crash-{base}-{serial}");
            serial += 1;
            let mut numbers = Vec::new();
            for _ in 0..rng.u64(..3) {
                numbers.push(number(base + drawn));
                drawn += 1;
            }
            let listed = list(numbers.iter().map(|(_, n)| n.as_str()));
            say(format!("BEGIN create {name} {listed}"));
            let request = NewToken {
                environment: clapay_core::Environment::Live,
                name: name.clone(),
                description: "crash harness".into(),
                expiry: Expiry::Days { days: 30 },
                composition: composition(),
                numbers: numbers
                    .iter()
                    .map(|(country, phone)| NewNumber {
                        country: country.clone(),
                        phone: phone.clone(),
                    })
                    .collect(),
            };
            match registry.create_token(&request, Utc::now()) {
                Ok(created) => {
                    let id = created.token.summary.id.clone();
                    say(format!("ACK create {id} {name} {listed}"));
                    live.push((id, numbers.into_iter().map(|(_, n)| n).collect()));
                }
                Err(error) => say(format!("ERR {}", error.kind())),
            }
        } else if roll < 65 {
            let index = rng.u64(..live.len() as u64) as usize;
            let (country, phone) = number(base + drawn);
            drawn += 1;
            let id = live[index].0.clone();
            say(format!("BEGIN add {id} {phone}"));
            match registry.add_number(&id, &country, &phone, Utc::now()) {
                Ok(_) => {
                    say(format!("ACK add {id} {phone}"));
                    live[index].1.push(phone);
                }
                Err(error) => say(format!("ERR {}", error.kind())),
            }
        } else if roll < 85 && !with_numbers.is_empty() {
            let index = with_numbers[rng.u64(..with_numbers.len() as u64) as usize];
            let which = rng.u64(..live[index].1.len() as u64) as usize;
            let id = live[index].0.clone();
            let phone = live[index].1[which].clone();
            say(format!("BEGIN remove {id} {phone}"));
            match registry.remove_number(&id, &phone, true, Utc::now()) {
                Ok(_) => {
                    say(format!("ACK remove {id} {phone}"));
                    live[index].1.remove(which);
                }
                Err(error) => say(format!("ERR {}", error.kind())),
            }
        } else {
            let index = rng.u64(..live.len() as u64) as usize;
            let id = live[index].0.clone();
            say(format!("BEGIN revoke {id}"));
            match registry.revoke_token(&id, Utc::now()) {
                Ok(_) => {
                    say(format!("ACK revoke {id}"));
                    live.swap_remove(index);
                }
                Err(error) => say(format!("ERR {}", error.kind())),
            }
        }
    }
}

/// The live tokens (with their numbers) written by earlier children, so every cycle also edits
/// and revokes what survived earlier kills.
fn live_tokens(connection: &Connection) -> Vec<(String, Vec<String>)> {
    let mut statement = connection
        .prepare(
            "SELECT t.id, n.number FROM tokens t LEFT JOIN numbers n ON n.token_id = t.id
             WHERE t.revoked_at IS NULL ORDER BY t.id, n.number",
        )
        .expect("child: live tokens");
    let rows = statement
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?))
        })
        .expect("child: live tokens")
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect("child: live tokens");
    let mut live: Vec<(String, Vec<String>)> = Vec::new();
    for (id, number) in rows {
        if live.last().is_none_or(|(last, _)| *last != id) {
            live.push((id, Vec::new()));
        }
        if let (Some(number), Some((_, numbers))) = (number, live.last_mut()) {
            numbers.push(number);
        }
    }
    live
}

fn list<'a>(numbers: impl Iterator<Item = &'a str>) -> String {
    let joined = numbers.collect::<Vec<_>>().join(",");
    if joined.is_empty() {
        "-".into()
    } else {
        joined
    }
}

// ---------------------------------------------------------------------------------------------
// The parent: kills, reopens, checks.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Create {
        id: Option<String>,
        name: String,
        numbers: Vec<String>,
    },
    Add {
        id: String,
        number: String,
    },
    Remove {
        id: String,
        number: String,
    },
    Revoke {
        id: String,
    },
}

fn parse_op(words: &[&str], acknowledged: bool) -> Option<Op> {
    let numbers = |text: &str| -> Vec<String> {
        if text == "-" {
            Vec::new()
        } else {
            text.split(',').map(String::from).collect()
        }
    };
    Some(match (words.first()?, acknowledged) {
        (&"create", true) => Op::Create {
            id: Some(words.get(1)?.to_string()),
            name: words.get(2)?.to_string(),
            numbers: numbers(words.get(3)?),
        },
        (&"create", false) => Op::Create {
            id: None,
            name: words.get(1)?.to_string(),
            numbers: numbers(words.get(2)?),
        },
        (&"add", _) => Op::Add {
            id: words.get(1)?.to_string(),
            number: words.get(2)?.to_string(),
        },
        (&"remove", _) => Op::Remove {
            id: words.get(1)?.to_string(),
            number: words.get(2)?.to_string(),
        },
        (&"revoke", _) => Op::Revoke {
            id: words.get(1)?.to_string(),
        },
        _ => return None,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct TokenState {
    name: String,
    revoked: bool,
    numbers: BTreeSet<String>,
    composition: BTreeSet<String>,
    created_event: bool,
}

type Model = BTreeMap<String, TokenState>;

fn apply(model: &mut Model, op: &Op) {
    match op {
        Op::Create { id, name, numbers } => {
            if let Some(id) = id {
                model.insert(
                    id.clone(),
                    TokenState {
                        name: name.clone(),
                        revoked: false,
                        numbers: numbers.iter().cloned().collect(),
                        composition: composition_labels(),
                        created_event: true,
                    },
                );
            }
        }
        Op::Add { id, number } => {
            if let Some(token) = model.get_mut(id) {
                token.numbers.insert(number.clone());
            }
        }
        Op::Remove { id, number } => {
            if let Some(token) = model.get_mut(id) {
                token.numbers.remove(number);
            }
        }
        Op::Revoke { id } => {
            if let Some(token) = model.get_mut(id) {
                token.revoked = true;
                token.numbers.clear();
            }
        }
    }
}

fn database_state(connection: &Connection) -> rusqlite::Result<Model> {
    let mut state = Model::new();
    let mut tokens = connection.prepare(
        "SELECT id, name, revoked_at IS NOT NULL,
                EXISTS (SELECT 1 FROM history h WHERE h.token_id = tokens.id AND h.kind = 'created')
         FROM tokens",
    )?;
    for row in tokens.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            TokenState {
                name: row.get(1)?,
                revoked: row.get(2)?,
                numbers: BTreeSet::new(),
                composition: BTreeSet::new(),
                created_event: row.get(3)?,
            },
        ))
    })? {
        let (id, token) = row?;
        state.insert(id, token);
    }
    let mut numbers = connection.prepare("SELECT token_id, number FROM numbers")?;
    for row in numbers.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get(1)?)))? {
        let (id, number) = row?;
        if let Some(token) = state.get_mut(&id) {
            token.numbers.insert(number);
        }
    }
    let mut triples = connection
        .prepare("SELECT token_id, country || ':' || operator || ':' || method FROM composition")?;
    for row in triples.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get(1)?)))? {
        let (id, label) = row?;
        if let Some(token) = state.get_mut(&id) {
            token.composition.insert(label);
        }
    }
    Ok(state)
}

#[derive(Default)]
struct Figures {
    cycles: u64,
    acknowledged: u64,
    verified: u64,
    lost: u64,
    divergent: u64,
    in_doubt_committed: u64,
    in_doubt_absent: u64,
    refused: u64,
    failures: Vec<String>,
}

fn parent() {
    let seed = env_u64(SEED_ENV).unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos() as u64)
            .unwrap_or(7)
    });
    let cycles = env_u64(CYCLES_ENV).unwrap_or(50).max(1);
    let max_delay = env_u64(MAX_DELAY_ENV).unwrap_or(150).max(2);
    println!(
        "crash harness: seed {seed}, {cycles} cycles, kill delays 1-{max_delay} ms \
         (replay with {SEED_ENV}={seed} {CYCLES_ENV}={cycles})"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("tokens.db");
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut model = Model::new();
    let mut figures = Figures::default();

    for cycle in 0..cycles {
        let delay = Duration::from_millis(1 + rng.u64(..max_delay));
        let child_seed = rng.u64(..);
        let from_start = rng.u64(..8) == 0;
        let lines = run_child(
            &exe,
            &db,
            cycle,
            child_seed,
            delay,
            from_start,
            &mut figures,
        );
        check_cycle(&db, cycle, &lines, &mut model, &mut figures);
        figures.cycles += 1;
        if figures.cycles % 100 == 0 {
            println!(
                "crash harness: {} cycles, {} acknowledged, {} lost so far",
                figures.cycles, figures.acknowledged, figures.lost
            );
        }
        if figures.failures.len() > 20 {
            break;
        }
    }

    println!(
        "crash harness: {} kill cycles, {} acknowledged operations, {} verified, {} lost \
         ({} cut between commit and acknowledgement found committed, {} found absent, \
         {} refused by the core, {} tokens in the final database; seed {seed})",
        figures.cycles,
        figures.acknowledged,
        figures.verified,
        figures.lost,
        figures.in_doubt_committed,
        figures.in_doubt_absent,
        figures.refused,
        model.len(),
    );
    if !figures.failures.is_empty() {
        for failure in &figures.failures {
            eprintln!("crash harness: {failure}");
        }
        eprintln!("crash harness: FAILED; replay with {SEED_ENV}={seed} {CYCLES_ENV}={cycles}");
        std::process::exit(1);
    }
    assert_eq!(figures.lost, 0, "no acknowledged write may be lost");
    assert_eq!(figures.divergent, 0, "the database must equal the model");
    assert!(
        figures.acknowledged > 0,
        "the children must have acknowledged operations, or nothing was tested"
    );
}

/// Starts a child, kills it after `delay`, and returns the lines it wrote.
fn run_child(
    exe: &Path,
    db: &Path,
    cycle: u64,
    seed: u64,
    delay: Duration,
    from_start: bool,
    figures: &mut Figures,
) -> Vec<String> {
    let mut child = Command::new(exe)
        .env(CHILD_ENV, db)
        .env(CHILD_SEED_ENV, seed.to_string())
        .env(CHILD_BASE_ENV, (cycle * NUMBERS_PER_CYCLE).to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the child");
    // Read while the child runs, so a full pipe never holds it back.
    let stdout = child.stdout.take().expect("stdout");
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout)
            .lines()
            .map_while(std::result::Result::ok)
        {
            if line == "READY" {
                let _ = ready_tx.send(());
            } else {
                lines.push(line);
            }
        }
        lines
    });
    let mut stderr = child.stderr.take().expect("stderr");
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    // Most kills land while the child writes (the delay counts from its READY); one in eight
    // counts from the start, to kill it while it opens, checks or migrates the database too.
    if !from_start {
        let _ = ready_rx.recv_timeout(Duration::from_secs(30));
    }
    std::thread::sleep(delay);
    // std's kill is SIGKILL on Unix (TerminateProcess on Windows): no destructor, no flush, no
    // checkpoint runs in the child.
    let killed = child.kill();
    let status = child.wait().expect("wait for the child");
    let lines = reader.join().expect("reader thread");
    let errors = errors.join().expect("stderr thread");
    if killed.is_err() || !was_killed(&status) {
        figures.failures.push(format!(
            "cycle {cycle}: the child ended on its own ({status}) before the kill: {errors}"
        ));
    }
    lines
}

#[cfg(unix)]
fn was_killed(status: &std::process::ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal() == Some(9)
}

#[cfg(not(unix))]
fn was_killed(status: &std::process::ExitStatus) -> bool {
    !status.success()
}

fn check_cycle(db: &Path, cycle: u64, lines: &[String], model: &mut Model, figures: &mut Figures) {
    let fail = |figures: &mut Figures, what: String| {
        figures.failures.push(format!("cycle {cycle}: {what}"));
    };
    // Replay the child's report: acknowledged operations, and at most one cut short.
    let mut acknowledged = Vec::new();
    let mut pending: Option<Op> = None;
    for line in lines {
        let words: Vec<&str> = line.split(' ').collect();
        match words.first() {
            Some(&"BEGIN") => pending = parse_op(&words[1..], false),
            Some(&"ACK") => match parse_op(&words[1..], true) {
                Some(op) => {
                    apply(model, &op);
                    acknowledged.push(op);
                    pending = None;
                }
                None => fail(figures, format!("unreadable line from the child: {line}")),
            },
            Some(&"ERR") => {
                figures.refused += 1;
                pending = None;
            }
            _ => fail(figures, format!("unreadable line from the child: {line}")),
        }
    }
    figures.acknowledged += acknowledged.len() as u64;

    // Reopen exactly as the app does, then the checks the app's open does not make.
    let connection = match clapay_core::db::open(db) {
        Ok(connection) => connection,
        Err(error) => {
            fail(figures, format!("the database does not reopen: {error}"));
            return;
        }
    };
    let integrity: Vec<String> = connection
        .prepare("PRAGMA integrity_check")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .unwrap_or_else(|error| vec![error.to_string()]);
    if integrity != ["ok"] {
        fail(figures, format!("integrity_check: {integrity:?}"));
    }
    let orphans: i64 = connection
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
            row.get(0)
        })
        .unwrap_or(-1);
    if orphans != 0 {
        fail(figures, format!("foreign_key_check found {orphans} row(s)"));
    }
    match clapay_core::integrity::check_invariants(&connection) {
        Ok(broken) if broken.is_empty() => {}
        Ok(broken) => fail(figures, format!("invariants: {broken:?}")),
        Err(error) => fail(figures, format!("invariants not checked: {error}")),
    }
    let state = match database_state(&connection) {
        Ok(state) => state,
        Err(error) => {
            fail(figures, format!("cannot read the database: {error}"));
            return;
        }
    };

    // The operation cut between its commit and its ACK is wholly there or wholly absent; the model
    // follows the database (the exact comparison below proves it was whole).
    if let Some(op) = pending {
        let committed = match &op {
            Op::Create { name, .. } => state
                .iter()
                .find(|(id, token)| token.name == *name && !model.contains_key(*id))
                .map(|(id, _)| Op::Create {
                    id: Some(id.clone()),
                    name: name.clone(),
                    numbers: match &op {
                        Op::Create { numbers, .. } => numbers.clone(),
                        _ => Vec::new(),
                    },
                }),
            Op::Add { id, number } => state
                .get(id)
                .filter(|token| token.numbers.contains(number))
                .map(|_| op.clone()),
            Op::Remove { id, number } => state
                .get(id)
                .filter(|token| !token.numbers.contains(number))
                .map(|_| op.clone()),
            Op::Revoke { id } => state
                .get(id)
                .filter(|token| token.revoked)
                .map(|_| op.clone()),
        };
        match committed {
            Some(op) => {
                apply(model, &op);
                figures.in_doubt_committed += 1;
            }
            None => figures.in_doubt_absent += 1,
        }
    }

    // Every acknowledged operation of this cycle, checked one by one against the database.
    for op in &acknowledged {
        figures.verified += 1;
        let present = match op {
            Op::Create { id, .. } => {
                id.as_ref()
                    .and_then(|id| state.get(id))
                    .is_some_and(|token| {
                        token.composition == composition_labels() && token.created_event
                    })
            }
            Op::Add { id, number } => {
                let still_wanted = model.get(id).is_some_and(|t| t.numbers.contains(number));
                !still_wanted || state.get(id).is_some_and(|t| t.numbers.contains(number))
            }
            Op::Remove { id, number } => {
                let still_gone = model.get(id).is_some_and(|t| !t.numbers.contains(number));
                !still_gone || state.get(id).is_some_and(|t| !t.numbers.contains(number))
            }
            Op::Revoke { id } => state.get(id).is_some_and(|token| token.revoked),
        };
        if !present {
            figures.lost += 1;
            fail(figures, format!("acknowledged but lost: {op:?}"));
        }
    }

    // And the whole database equals the model: nothing partial, nothing that was never asked.
    if state != *model {
        figures.divergent += 1;
        let extra: Vec<&String> = state.keys().filter(|id| !model.contains_key(*id)).collect();
        let missing: Vec<&String> = model.keys().filter(|id| !state.contains_key(*id)).collect();
        let differing: Vec<String> = model
            .iter()
            .filter_map(|(id, token)| {
                state
                    .get(id)
                    .filter(|found| *found != token)
                    .map(|found| format!("{id}: expected {token:?}, found {found:?}"))
            })
            .take(3)
            .collect();
        fail(
            figures,
            format!(
                "the database differs from the acknowledged history: tokens not expected {extra:?}, \
                 missing {missing:?}, differing {differing:?}"
            ),
        );
    }
}
