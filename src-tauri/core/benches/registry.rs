//! Benchmarks of the registry on a 100,000-token / 200,000-number database, each next to the
//! physical baseline it is judged against, measured in the same run (the machine is noisy:
//! compare ratios, not absolute times). Run them with `scripts/bench.sh`, which prints the ratios;
//! BENCHMARKS.md explains the method and the goals.
//!
//! The database is seeded once by `examples/seed.rs` (included below) and cached under
//! `target/bench-data/`; each run works on a fresh copy of it in a temp dir, so nothing a run
//! writes (tokens, usage) leaks into the next. The tokens that are checked are created through
//! the real API in that copy; no secret is written anywhere.
//!
//! Environment: `BENCH_TOKENS` / `BENCH_NUMBERS` change the database size (default 100,000 /
//! 200,000), `BENCH_THROUGHPUT_SECS` the duration of each throughput run (default 5).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use clapay_core::numbers::sample_number;
use clapay_core::{
    secret, AuthorizeRequest, Catalog, Checker, Environment, Expiry, ListQuery, Method, NewNumber,
    NewToken, Page, Registry, StatusFilter, Triple,
};
use criterion::{criterion_group, BatchSize, Criterion};
use ring::rand::SystemRandom;
use rusqlite::{params, OptionalExtension};
use zeroize::Zeroizing;

#[path = "../examples/seed.rs"]
#[allow(dead_code)]
mod seed;

/// Tokens created through the API for the checks; the checks cycle through them.
const CHECKED_TOKENS: usize = 64;
/// Sample-number indexes from here on are never used by the seed (it uses the lowest ones).
const FIRST_FREE_NUMBER_INDEX: u32 = 500_000;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// The cached seeded database for this size and schema version, seeded if missing.
fn seeded_database() -> PathBuf {
    let tokens = env_usize("BENCH_TOKENS", 100_000);
    let numbers = env_usize("BENCH_NUMBERS", 200_000);
    let dir = target_dir().join("bench-data");
    // Named after the schema's text, so a seeded file never outlives the schema it was made with.
    let schema = crc32fast::hash(clapay_core::db::MIGRATIONS.concat().as_bytes());
    let path = dir.join(format!("seed-{tokens}-{numbers}-{schema:08x}.db"));
    if !path.exists() {
        std::fs::create_dir_all(&dir).expect("bench-data dir");
        let partial = dir.join("seeding.db");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", partial.display()));
        }
        eprintln!(
            "seeding {tokens} tokens / {numbers} numbers into {} ...",
            path.display()
        );
        seed::seed(&seed::Options {
            db: partial.clone(),
            tokens,
            numbers,
            seed: 42,
        })
        .expect("seed");
        std::fs::rename(&partial, &path).expect("keep the seeded database");
    }
    path
}

/// A fresh copy of the seeded database in a temp dir.
fn fresh_copy() -> (tempfile::TempDir, PathBuf) {
    let source = seeded_database();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.db");
    std::fs::copy(&source, &path).expect("copy the seeded database");
    (dir, path)
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    /// Secrets of active tokens created for the benchmark (in memory only).
    secrets: Vec<Zeroizing<String>>,
    /// One whitelisted CI number per token in `secrets`.
    phones: Vec<String>,
    /// A valid CI number that no token holds.
    stranger_phone: String,
    next_number: u32,
}

fn fixture() -> Fixture {
    let (dir, path) = fresh_copy();
    let catalog = Catalog::embedded();
    let mut registry = Registry::open(&path, catalog.clone()).expect("open");
    let mut next_number = FIRST_FREE_NUMBER_INDEX;
    let mut take_number = |country: &str| loop {
        next_number += 1;
        if let Some(number) = sample_number(&catalog, country, next_number) {
            break number;
        }
    };
    let mut secrets = Vec::new();
    let mut phones = Vec::new();
    for index in 0..CHECKED_TOKENS {
        let phone = take_number("CI");
        let created = registry
            .create_token(
                &NewToken {
                    name: format!("bench-check-{index}"),
                    description: "created by the benchmark".into(),
                    environment: Environment::Sandbox,
                    expiry: Expiry::Days { days: 30 },
                    composition: vec![
                        triple("CI", "OM", Method::Merchant),
                        triple("CI", "MTN", Method::Merchant),
                        triple("SN", "WAVE", Method::Merchant),
                    ],
                    numbers: vec![NewNumber {
                        country: "CI".into(),
                        phone: phone.clone(),
                    }],
                },
                now(),
            )
            .expect("create a checked token");
        secrets.push(Zeroizing::new(created.secret.expose_secret().to_string()));
        phones.push(phone);
    }
    let stranger_phone = take_number("CI");
    drop(registry);
    Fixture {
        _dir: dir,
        path,
        secrets,
        phones,
        stranger_phone,
        next_number,
    }
}

fn triple(country: &str, operator: &str, method: Method) -> Triple {
    Triple {
        country: country.into(),
        operator: operator.into(),
        method,
    }
}

fn request(secret: &str, country: &str, operator: &str, phone: Option<&str>) -> AuthorizeRequest {
    AuthorizeRequest {
        secret: Zeroizing::new(secret.to_string()),
        country: country.into(),
        operator: operator.into(),
        method: "MERCHANT".into(),
        phone: phone.map(str::to_string),
        environment: Some(Environment::Sandbox),
    }
}

/// The checks as the sandbox gateway makes them: decided on a pooled connection, recorded in
/// batches (the app's and the CLI's checks add a transaction each, which a person never repeats
/// thousands of times a second).
fn open_checker(path: &Path) -> Checker {
    Checker::open(path, Catalog::embedded()).expect("checker")
}

fn open(path: &Path) -> Registry {
    Registry::open(path, Catalog::embedded()).expect("open")
}

/// The physical floor: SHA-256 of the 53-byte secret plus one prepared, cached indexed SELECT
/// by digest.
fn floor_lookup(
    connection: &rusqlite::Connection,
    secret: &str,
) -> Option<(String, Option<i64>, Option<i64>)> {
    let digest = secret::digest(secret);
    connection
        .prepare_cached("SELECT id, revoked_at, expires_at FROM tokens WHERE digest = ?1")
        .expect("prepare")
        .query_row([digest.as_slice()], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .optional()
        .expect("select")
}

/// A connection to the baselines' own database, beside the registry's (the same folder, so the
/// same disk), with the pragmas every registry connection has. The baselines' tables cannot live
/// in the registry's file: a ClaPay Tokens database holds exactly the schema its migrations make.
fn baseline_database(path: &Path) -> rusqlite::Connection {
    let connection =
        rusqlite::Connection::open(path.with_file_name("baselines.db")).expect("baseline database");
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
             PRAGMA cache_size = -65536;",
        )
        .expect("baseline pragmas");
    connection
}

/// The create baseline's connection: the same disk and pragmas, and a table of its own.
fn bare_connection(path: &Path) -> rusqlite::Connection {
    let bare = baseline_database(path);
    bare.execute_batch(
        "CREATE TABLE IF NOT EXISTS bench_probe (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)",
    )
    .expect("probe table");
    bare
}

/// The create baseline: one 64-byte row inserted in its own fsync'd transaction.
fn bare_insert(bare: &mut rusqlite::Connection) {
    let transaction = bare
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .expect("begin");
    transaction
        .prepare_cached("INSERT INTO bench_probe (payload) VALUES (?1)")
        .expect("prepare")
        .execute([[7u8; 64].as_slice()])
        .expect("insert");
    transaction.commit().expect("commit");
}

/// The numbers of a minimal create (see [`minimal_connection`]).
#[derive(Clone, Copy)]
enum MinimalNumbers {
    /// Consecutive, into a table of their own that starts empty: all five land in one page, as in
    /// `reference/performance.md`'s measure.
    Consecutive,
    /// Random, among 200,000 seeded ones, as a merchant's customers' numbers are (and the
    /// benchmark's creates use): each of the five lands in a page of its own, as it must in any
    /// table that keeps a number on one token at a time (SPEC: a database constraint).
    Random,
}

/// Keys of the seeded random numbers start here; the creates' keys stay below it.
const SEEDED_NUMBER_KEYS: u64 = 5_000_000_000;

/// A phone number for a key below 10^10: scattered over the whole range (consecutive keys land far
/// apart), and never the same for two keys (multiplying by a number prime to 10^10 is a bijection
/// modulo 10^10), so the unique key never refuses one.
fn random_number(key: u64) -> String {
    const SPREAD: u128 = 7_919_474_261;
    let value = (u128::from(key) * SPREAD) % 10_000_000_000;
    format!("+225{value:010}")
}

/// The floor of a create as `reference/performance.md` measures it ("1 token + 3 composition +
/// 5 number rows in one transaction"): the same rows in plain tables on the same disk, a token
/// with a UNIQUE 32-byte digest among 100,000 (seeded here once per run) and no other index or
/// trigger. What a create writes beyond these rows (the list's indexes, the history event) and
/// what it computes (validation, the answer) is the gap to it.
fn minimal_connection(path: &Path) -> rusqlite::Connection {
    let minimal = baseline_database(path);
    minimal
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS bench_min_tokens (
                 id INTEGER PRIMARY KEY, digest BLOB NOT NULL UNIQUE, name TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS bench_min_composition (
                 token_id INTEGER NOT NULL, country TEXT NOT NULL, operator TEXT NOT NULL,
                 method TEXT NOT NULL, PRIMARY KEY (token_id, country, operator, method))
                 WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS bench_min_numbers (
                 phone TEXT PRIMARY KEY, token_id INTEGER NOT NULL) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS bench_min_random_numbers (
                 phone TEXT PRIMARY KEY, token_id INTEGER NOT NULL) WITHOUT ROWID;",
        )
        .expect("minimal-create tables");
    let seeded: i64 = minimal
        .query_row("SELECT count(*) FROM bench_min_tokens", [], |row| {
            row.get(0)
        })
        .expect("count");
    if seeded == 0 {
        let transaction = minimal.unchecked_transaction().expect("begin");
        {
            let mut insert = transaction
                .prepare("INSERT INTO bench_min_tokens (digest, name) VALUES (?1, ?2)")
                .expect("prepare");
            for index in 0..100_000u64 {
                let digest = ring::digest::digest(&ring::digest::SHA256, &index.to_le_bytes());
                insert
                    .execute(params![digest.as_ref(), format!("seeded-{index}")])
                    .expect("seed");
            }
            let mut insert = transaction
                .prepare("INSERT INTO bench_min_random_numbers VALUES (?1, ?2)")
                .expect("prepare");
            for index in 0..200_000u64 {
                insert
                    .execute(params![
                        random_number(SEEDED_NUMBER_KEYS + index),
                        (index / 2) as i64
                    ])
                    .expect("seed");
            }
        }
        transaction.commit().expect("commit");
    }
    minimal
}

/// One minimal create (see [`minimal_connection`]); `counter` makes each digest and number new.
fn minimal_create(minimal: &mut rusqlite::Connection, counter: &mut u64, numbers: MinimalNumbers) {
    *counter += 1;
    let transaction = minimal
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .expect("begin");
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        &(1u64 << 40 | *counter).to_le_bytes(),
    );
    transaction
        .prepare_cached("INSERT INTO bench_min_tokens (digest, name) VALUES (?1, ?2)")
        .expect("prepare")
        .execute(params![digest.as_ref(), format!("minimal-{counter}")])
        .expect("token");
    let id = transaction.last_insert_rowid();
    for (country, operator, method) in [
        ("CI", "OM", "MERCHANT"),
        ("SN", "WAVE", "MERCHANT"),
        ("ML", "OM", "CASHIN"),
    ] {
        transaction
            .prepare_cached("INSERT INTO bench_min_composition VALUES (?1, ?2, ?3, ?4)")
            .expect("prepare")
            .execute(params![id, country, operator, method])
            .expect("composition");
    }
    for number in 0..5u64 {
        let key = *counter * 5 + number;
        let (sql, phone) = match numbers {
            MinimalNumbers::Consecutive => (
                "INSERT INTO bench_min_numbers VALUES (?1, ?2)",
                format!("+225{key:010}"),
            ),
            MinimalNumbers::Random => (
                "INSERT INTO bench_min_random_numbers VALUES (?1, ?2)",
                random_number(key),
            ),
        };
        transaction
            .prepare_cached(sql)
            .expect("prepare")
            .execute(params![phone, id])
            .expect("number");
    }
    transaction.commit().expect("commit");
}

/// A token with 3 countries and 5 fresh numbers (two in CI, two in SN, one in ML).
fn create_request(name: &str, catalog: &Catalog, next_number: &mut u32) -> NewToken {
    let mut numbers = Vec::new();
    for country in ["CI", "CI", "SN", "SN", "ML"] {
        let number = loop {
            *next_number += 1;
            if let Some(number) = sample_number(catalog, country, *next_number) {
                break number;
            }
        };
        numbers.push(NewNumber {
            country: country.into(),
            phone: number,
        });
    }
    NewToken {
        name: name.to_string(),
        description: "created by the benchmark".into(),
        environment: Environment::Live,
        expiry: Expiry::Days { days: 90 },
        composition: vec![
            triple("CI", "OM", Method::Merchant),
            triple("SN", "WAVE", Method::Merchant),
            triple("ML", "OM", Method::Cashin),
        ],
        numbers,
    }
}

fn bench_authorize(c: &mut Criterion, fixture: &Fixture) {
    let mut group = c.benchmark_group("authorize");
    group.measurement_time(Duration::from_secs(5));

    // The physical floor: SHA-256 of the 53-byte secret plus one prepared, cached indexed
    // SELECT by digest, on its own connection to the same database (same pragmas).
    let floor_connection = clapay_core::db::open(&fixture.path).expect("floor connection");
    let mut turn = 0usize;
    group.bench_function("floor_sha256_select", |b| {
        b.iter(|| {
            turn = (turn + 1) % fixture.secrets.len();
            floor_lookup(&floor_connection, &fixture.secrets[turn])
        })
    });
    drop(floor_connection);

    let checker = open_checker(&fixture.path);
    let allowed: Vec<AuthorizeRequest> = fixture
        .secrets
        .iter()
        .zip(&fixture.phones)
        .map(|(secret, phone)| request(secret, "CI", "OM", Some(phone)))
        .collect();
    let allowed_no_phone: Vec<AuthorizeRequest> = fixture
        .secrets
        .iter()
        .map(|secret| request(secret, "SN", "WAVE", None))
        .collect();
    let national: Vec<AuthorizeRequest> = fixture
        .secrets
        .iter()
        .zip(&fixture.phones)
        .map(|(secret, phone)| {
            // "+2250701020304" -> "0701020304": the national form goes through libphonenumber.
            request(secret, "CI", "OM", Some(&phone[4..]))
        })
        .collect();
    let denied_phone: Vec<AuthorizeRequest> = fixture
        .secrets
        .iter()
        .map(|secret| request(secret, "CI", "OM", Some(&fixture.stranger_phone)))
        .collect();
    let rng = SystemRandom::new();
    let unknown: Vec<AuthorizeRequest> = (0..CHECKED_TOKENS)
        .map(|_| {
            request(
                secret::generate(&rng, Environment::Sandbox).expose_secret(),
                "CI",
                "OM",
                None,
            )
        })
        .collect();
    for (name, requests, expect_allowed) in [
        ("allowed_e164_phone", &allowed, true),
        ("allowed_no_phone", &allowed_no_phone, true),
        ("allowed_national_phone", &national, true),
        ("denied_unknown", &unknown, false),
        ("denied_phone", &denied_phone, false),
    ] {
        let probe = checker.authorize(&requests[0], now()).expect("probe");
        assert_eq!(probe.allowed, expect_allowed, "{name}: {}", probe.message);
        let mut turn = 0usize;
        group.bench_function(name, |b| {
            b.iter(|| {
                turn = (turn + 1) % requests.len();
                checker
                    .authorize(&requests[turn], now())
                    .expect("authorize")
            })
        });
    }
    let closed = Instant::now();
    checker.close().expect("close");
    eprintln!(
        "writing the last batch after the authorize benchmarks: {:.1} ms",
        closed.elapsed().as_secs_f64() * 1e3
    );
    group.finish();
}

/// A long-running process checking payments in a loop: checks per second on one thread, and on
/// two threads sharing one checker (two gateway workers: each takes a connection of the pool, and
/// they share the checker's usage writer). The checker is opened before the clock starts (an open
/// runs `quick_check` over the whole file); writing the last batch at the end is counted.
fn throughput(fixture: &Fixture) {
    let seconds = env_usize("BENCH_THROUGHPUT_SECS", 5) as u64;
    let mut lines = Vec::new();
    for threads in [1usize, 2] {
        let checker = open_checker(&fixture.path);
        let ready = std::sync::Barrier::new(threads + 1);
        let (started, total) = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|worker| {
                    let checker = &checker;
                    let ready = &ready;
                    let requests: Vec<AuthorizeRequest> = fixture
                        .secrets
                        .iter()
                        .zip(&fixture.phones)
                        .map(|(secret, phone)| request(secret, "CI", "OM", Some(phone)))
                        .collect();
                    scope.spawn(move || {
                        ready.wait();
                        let deadline = Instant::now() + Duration::from_secs(seconds);
                        let mut done = 0u64;
                        let mut turn = worker;
                        while Instant::now() < deadline {
                            for _ in 0..256 {
                                turn = (turn + 1) % requests.len();
                                let decision =
                                    checker.authorize(&requests[turn], now()).expect("check");
                                debug_assert!(decision.allowed);
                            }
                            done += 256;
                        }
                        done
                    })
                })
                .collect();
            ready.wait();
            let started = Instant::now();
            let total: u64 = workers
                .into_iter()
                .map(|worker| worker.join().expect("worker"))
                .sum();
            // Counted: the process writes all it recorded before it stops.
            checker.flush().expect("flush");
            (started, total)
        });
        checker.close().expect("close");
        let elapsed = started.elapsed().as_secs_f64();
        lines.push(format!(
            "throughput_{threads}_thread checks_per_second {:.0}",
            total as f64 / elapsed
        ));
    }
    for line in &lines {
        println!("{line}");
    }
    let out = target_dir().join("criterion");
    std::fs::create_dir_all(&out).expect("criterion dir");
    std::fs::write(out.join("throughput.txt"), lines.join("\n") + "\n").expect("write");
}

/// The same check done the way many products store tokens: an argon2id hash per token
/// (`Argon2::default()`), found by a non-secret prefix of the token, then verified.
fn bench_argon2(c: &mut Criterion, fixture: &Fixture) {
    let connection = rusqlite::Connection::open_in_memory().expect("memory");
    connection
        .execute_batch(
            "CREATE TABLE argon_tokens (prefix TEXT PRIMARY KEY, phc TEXT NOT NULL) STRICT",
        )
        .expect("table");
    let argon = Argon2::default();
    let rng = SystemRandom::new();
    for secret in fixture.secrets.iter().take(8) {
        let mut salt = [0u8; 16];
        ring::rand::SecureRandom::fill(&rng, &mut salt).expect("salt");
        let salt = SaltString::encode_b64(&salt).expect("salt");
        let phc = argon
            .hash_password(secret.as_bytes(), &salt)
            .expect("hash")
            .to_string();
        connection
            .execute(
                "INSERT INTO argon_tokens (prefix, phc) VALUES (?1, ?2)",
                params![&secret[..12], phc],
            )
            .expect("insert");
    }
    let mut group = c.benchmark_group("argon2");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(4));
    let mut turn = 0usize;
    group.bench_function("argon2id_prefix_lookup_verify", |b| {
        b.iter(|| {
            turn = (turn + 1) % 8;
            let secret = &fixture.secrets[turn];
            let phc: String = connection
                .prepare_cached("SELECT phc FROM argon_tokens WHERE prefix = ?1")
                .expect("prepare")
                .query_row([&secret[..12]], |row| row.get(0))
                .expect("found");
            let hash = PasswordHash::new(&phc).expect("phc");
            argon.verify_password(secret.as_bytes(), &hash).is_ok()
        })
    });
    group.finish();
}

fn bench_list(c: &mut Criterion, fixture: &Fixture) {
    let registry = open(&fixture.path);
    let mut group = c.benchmark_group("list");
    group.sample_size(20);
    let at = now();
    // A page next to a token in the middle of the list (keyset paging reads from its row).
    let middle = registry
        .list_tokens(
            &ListQuery {
                sort: clapay_core::SortKey::Name,
                search: Some("-050".into()),
                limit: 1,
                ..ListQuery::default()
            },
            at,
        )
        .expect("list")
        .items
        .first()
        .map(|item| item.id.clone())
        .expect("a token in the middle");
    let cases: Vec<(&str, ListQuery)> = vec![
        ("first_page", ListQuery::default()),
        (
            "last_page",
            ListQuery {
                page: Page::Last,
                ..ListQuery::default()
            },
        ),
        (
            "next_page_from_the_middle",
            ListQuery {
                page: Page::After { cursor: middle },
                ..ListQuery::default()
            },
        ),
        (
            "search_name_fragment",
            ListQuery {
                search: Some("refunds-Dakar".into()),
                ..ListQuery::default()
            },
        ),
        (
            "status_expired",
            ListQuery {
                status: StatusFilter::Expired,
                ..ListQuery::default()
            },
        ),
        (
            "sort_expires_at",
            ListQuery {
                sort: clapay_core::SortKey::ExpiresAt,
                descending: false,
                ..ListQuery::default()
            },
        ),
        (
            "sort_last_used_at",
            ListQuery {
                sort: clapay_core::SortKey::LastUsedAt,
                ..ListQuery::default()
            },
        ),
        (
            "sort_name",
            ListQuery {
                sort: clapay_core::SortKey::Name,
                descending: false,
                ..ListQuery::default()
            },
        ),
    ];
    for (name, query) in &cases {
        let page = registry.list_tokens(query, at).expect("list");
        eprintln!("list {name}: {} rows of {}", page.items.len(), page.total);
        group.bench_function(*name, |b| {
            b.iter(|| registry.list_tokens(query, at).expect("list"))
        });
    }
    group.finish();
}

fn bench_create(c: &mut Criterion, fixture: &mut Fixture) {
    let catalog = Catalog::embedded();
    let mut group = c.benchmark_group("create");
    group.measurement_time(Duration::from_secs(5));

    // Baseline: one row inserted in its own fsync'd transaction, same file, same pragmas.
    let mut bare = bare_connection(&fixture.path);
    group.bench_function("bare_fsynced_insert", |b| b.iter(|| bare_insert(&mut bare)));
    drop(bare);

    // The floor of a create: the same rows in plain tables, one fsync'd transaction.
    let mut minimal = minimal_connection(&fixture.path);
    let mut counter = 0;
    group.bench_function("minimal_token_3_5_rows", |b| {
        b.iter(|| minimal_create(&mut minimal, &mut counter, MinimalNumbers::Consecutive))
    });
    // The same with random numbers among 200,000: what any design must write.
    group.bench_function("minimal_random_numbers", |b| {
        b.iter(|| minimal_create(&mut minimal, &mut counter, MinimalNumbers::Random))
    });
    drop(minimal);

    let mut registry = open(&fixture.path);
    let mut created = 0u64;
    let next_number = &mut fixture.next_number;
    group.bench_function("create_3_countries_5_numbers", |b| {
        b.iter_batched(
            || {
                created += 1;
                create_request(&format!("bench-create-{created}"), &catalog, next_number)
            },
            |request| registry.create_token(&request, now()).expect("create"),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn median_ns(samples: &mut [u128]) -> f64 {
    samples.sort_unstable();
    samples[samples.len() / 2] as f64
}

/// Subject and baseline timed in alternation, call by call, so that both see the same machine
/// (criterion measures them minutes apart; on this shared machine the load and the disk's fsync
/// time change in between). Prints and keeps the medians and their ratio.
fn paired(fixture: &mut Fixture) {
    let catalog = Catalog::embedded();
    let mut lines = Vec::new();
    {
        let floor_connection = clapay_core::db::open(&fixture.path).expect("floor connection");
        let checker = open_checker(&fixture.path);
        let allowed: Vec<AuthorizeRequest> = fixture
            .secrets
            .iter()
            .zip(&fixture.phones)
            .map(|(secret, phone)| request(secret, "CI", "OM", Some(phone)))
            .collect();
        let rng = SystemRandom::new();
        let unknown: Vec<AuthorizeRequest> = (0..CHECKED_TOKENS)
            .map(|_| {
                request(
                    secret::generate(&rng, Environment::Sandbox).expose_secret(),
                    "CI",
                    "OM",
                    None,
                )
            })
            .collect();
        let no_phone: Vec<AuthorizeRequest> = fixture
            .secrets
            .iter()
            .map(|secret| request(secret, "SN", "WAVE", None))
            .collect();
        for (name, requests) in [
            ("authorize_allowed_e164_phone", &allowed),
            ("authorize_allowed_no_phone", &no_phone),
            ("authorize_denied_unknown", &unknown),
        ] {
            let rounds = 50_000;
            let (mut subject, mut baseline) =
                (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
            for round in 0..rounds {
                let turn = round % requests.len();
                let started = Instant::now();
                let row = floor_lookup(&floor_connection, &fixture.secrets[turn]);
                baseline.push(started.elapsed().as_nanos());
                std::hint::black_box(row);
                let started = Instant::now();
                let decision = checker
                    .authorize(&requests[turn], now())
                    .expect("authorize");
                subject.push(started.elapsed().as_nanos());
                std::hint::black_box(decision);
            }
            let (subject, baseline) = (median_ns(&mut subject), median_ns(&mut baseline));
            lines.push(format!("{name} {subject:.0} floor {baseline:.0}"));
        }
        checker.close().expect("close");
    }
    {
        let mut bare = bare_connection(&fixture.path);
        let mut minimal = minimal_connection(&fixture.path);
        let mut counter = 1 << 20;
        let mut registry = open(&fixture.path);
        let (mut subject, mut baseline, mut floor, mut random_floor) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for round in 0..300 {
            let request = create_request(
                &format!("bench-paired-{round}"),
                &catalog,
                &mut fixture.next_number,
            );
            let started = Instant::now();
            bare_insert(&mut bare);
            baseline.push(started.elapsed().as_nanos());
            let started = Instant::now();
            minimal_create(&mut minimal, &mut counter, MinimalNumbers::Consecutive);
            floor.push(started.elapsed().as_nanos());
            let started = Instant::now();
            minimal_create(&mut minimal, &mut counter, MinimalNumbers::Random);
            random_floor.push(started.elapsed().as_nanos());
            let started = Instant::now();
            registry.create_token(&request, now()).expect("create");
            subject.push(started.elapsed().as_nanos());
        }
        let (subject, baseline, floor, random_floor) = (
            median_ns(&mut subject),
            median_ns(&mut baseline),
            median_ns(&mut floor),
            median_ns(&mut random_floor),
        );
        lines.push(format!(
            "create_3_countries_5_numbers {subject:.0} bare_insert {baseline:.0}"
        ));
        lines.push(format!(
            "create_3_countries_5_numbers {subject:.0} minimal_token_3_5_rows {floor:.0}"
        ));
        lines.push(format!(
            "minimal_token_3_5_rows {floor:.0} bare_insert {baseline:.0}"
        ));
        lines.push(format!(
            "create_3_countries_5_numbers {subject:.0} minimal_random_numbers {random_floor:.0}"
        ));
        lines.push(format!(
            "minimal_random_numbers {random_floor:.0} bare_insert {baseline:.0}"
        ));
    }
    for line in &lines {
        println!("paired {line}");
    }
    let out = target_dir().join("criterion");
    std::fs::create_dir_all(&out).expect("criterion dir");
    std::fs::write(out.join("paired.txt"), lines.join("\n") + "\n").expect("write");
}

fn all(c: &mut Criterion) {
    let mut fixture = fixture();
    paired(&mut fixture);
    bench_authorize(c, &fixture);
    throughput(&fixture);
    bench_argon2(c, &fixture);
    bench_list(c, &fixture);
    bench_create(c, &mut fixture);
}

criterion_group!(benches, all);

fn main() {
    // Tell `cargo test --benches` (which passes no --bench) to only check that this compiles.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
