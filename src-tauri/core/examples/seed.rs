//! Fills a database with realistic tokens for benchmarks and demos.
//!
//! ```text
//! cargo run --release -p clapay-tokens-core --example seed -- --db PATH --tokens N [--numbers M] [--seed S]
//! ```
//!
//! The database is opened (created and migrated) by the core, then the rows are written through SQL
//! in transactions of 10,000 tokens, exactly as the core would write them: the digest is the SHA-256
//! of a real secret from `clapay_core::secret::generate` (the secret itself is dropped at once and
//! never printed), the hint is its `clp_live_…` or `clp_test_…` form (about 20 % sandbox tokens), `name_key` is the lower-cased name, composition
//! triples come from the embedded catalog, numbers are valid E.164 numbers of their country (unique
//! across the database) and only live tokens hold numbers. Statuses are mixed (about 65 % active,
//! 20 % expired, 15 % revoked) relative to the current clock, and each token has its `created` event,
//! a `revoked` event when revoked, and a few `used` / `denied` events.
//!
//! Seeding is bulk loading, not a merchant's change: it runs with `synchronous=OFF` and
//! checkpoints the WAL at the end. Generated data is deterministic for a given `--seed` (except the
//! secrets, which come from the operating system's generator as always).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use clapay_core::catalog::{Catalog, Method, Triple};
use clapay_core::numbers::sample_number;
use clapay_core::{secret, Environment, Registry};
use fastrand::Rng;
use ring::rand::SystemRandom;
use rusqlite::params;
use serde_json::json;

const BATCH: usize = 10_000;
const MAX_NUMBERS_PER_TOKEN: usize = 10;

/// What to seed.
pub struct Options {
    /// The database file (created and migrated by the core; must hold no token yet).
    pub db: PathBuf,
    /// How many tokens.
    pub tokens: usize,
    /// How many whitelisted numbers in all (spread over live tokens, up to 10 each).
    pub numbers: usize,
    /// Seed of the data generator (secrets always come from the OS).
    pub seed: u64,
}

fn parse_options() -> Result<Options, String> {
    let mut db = None;
    let mut tokens = None;
    let mut numbers = None;
    let mut seed = 42;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--db" => db = Some(PathBuf::from(value()?)),
            "--tokens" => tokens = Some(value()?.parse().map_err(|e| format!("--tokens: {e}"))?),
            "--numbers" => numbers = Some(value()?.parse().map_err(|e| format!("--numbers: {e}"))?),
            "--seed" => seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let tokens = tokens.ok_or("--tokens N is required")?;
    Ok(Options {
        db: db.ok_or("--db PATH is required")?,
        tokens,
        numbers: numbers.unwrap_or(tokens * 2),
        seed,
    })
}

/// True `percent` times in a hundred.
fn chance(rng: &mut Rng, percent: u64) -> bool {
    rng.u64(..100) < percent
}

/// One of `items` (not empty), uniformly.
fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.usize(..items.len())]
}

const SHOPS: &[&str] = &[
    "checkout",
    "refunds",
    "payroll",
    "marketplace",
    "subscriptions",
    "donations",
    "invoices",
    "mobile-app",
    "kiosk",
    "delivery",
    "tickets",
    "school-fees",
    "utilities",
    "airtime",
];
const CITIES: &[&str] = &[
    "Abidjan",
    "Dakar",
    "Bamako",
    "Ouagadougou",
    "Cotonou",
    "Lomé",
    "Douala",
    "Conakry",
    "Niamey",
    "Brazzaville",
    "Libreville",
    "Accra",
    "Nairobi",
    "Yaoundé",
    "Bouaké",
    "Thiès",
];
const PRESET_DAYS: &[i64] = &[7, 30, 60, 90, 365];

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("seed: {message}\nusage: seed --db PATH --tokens N [--numbers M] [--seed S]");
            return ExitCode::from(2);
        }
    };
    match seed(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("seed: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Seeds the database; the benchmarks call it too (they include this file as a module).
pub fn seed(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let catalog = Catalog::embedded();
    let registry = Registry::open(&options.db, catalog.clone())?;
    let connection = registry.connection();
    let existing: i64 = connection.query_row("SELECT count(*) FROM tokens", [], |r| r.get(0))?;
    if existing > 0 {
        return Err(format!(
            "{} already holds {existing} tokens; seed a new file",
            options.db.display()
        )
        .into());
    }
    connection.pragma_update(None, "synchronous", "OFF")?;

    let mut rng = Rng::with_seed(options.seed);
    let rng = &mut rng;
    let system_random = SystemRandom::new();
    let now = Utc::now();
    // Per country, the next sample index to try: numbers are unique across the database.
    let mut next_number_index = vec![0u32; catalog.countries.len()];
    let live_share = 85; // percent of tokens that are not revoked and so may hold numbers
                         // Aim 5 % high and stop at M, so that the total is exactly M.
    let mean_numbers =
        1.05 * options.numbers as f64 / (options.tokens as f64 * live_share as f64 / 100.0);
    let mut numbers_left = options.numbers;
    let (mut triples_written, mut numbers_written, mut events_written) = (0usize, 0usize, 0usize);

    for batch_start in (0..options.tokens).step_by(BATCH) {
        let transaction = connection.unchecked_transaction()?;
        {
            let mut insert_token = transaction.prepare_cached(
                "INSERT INTO tokens (id, name, name_key, description, environment, digest, hint, created_at, expires_at, revoked_at, last_used_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            let mut insert_triple = transaction.prepare_cached(
                "INSERT INTO composition (token_id, country, operator, method) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut insert_number = transaction.prepare_cached(
                "INSERT INTO numbers (number, token_id, country, enabled, added_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut insert_event = transaction.prepare_cached(
                "INSERT INTO history (token_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for index in batch_start..(batch_start + BATCH).min(options.tokens) {
                let token = generate_token(rng, &catalog, index, now);
                let secret = secret::generate(&system_random, token.environment);
                let digest = secret::digest(secret.expose_secret());
                let hint = secret::hint(&secret);
                drop(secret);
                let id = token_id(token.created_at);

                // Numbers: only live tokens hold them; about mean_numbers each, up to 10.
                let mut numbers = Vec::new();
                if token.revoked_at.is_none() && numbers_left > 0 {
                    let wanted = if chance(rng, 5) {
                        MAX_NUMBERS_PER_TOKEN
                    } else {
                        let spread = (2.0 * (mean_numbers - 0.5) / 0.95).max(0.0);
                        let whole = spread.floor() as u64;
                        let extra = u64::from(
                            rng.u64(..1000) < ((spread - spread.floor()) * 1000.0) as u64,
                        );
                        rng.u64(..whole + extra + 1) as usize
                    }
                    .min(numbers_left);
                    let countries: Vec<&String> = token.countries.iter().collect();
                    for _ in 0..wanted {
                        let country = *pick(rng, &countries);
                        let position = catalog
                            .countries
                            .iter()
                            .position(|c| &c.iso == country)
                            .ok_or("country not in catalog")?;
                        let number = loop {
                            let candidate = next_number_index[position];
                            if candidate >= 1_000_000 {
                                return Err(
                                    format!("ran out of sample numbers for {country}").into()
                                );
                            }
                            next_number_index[position] += 1;
                            if let Some(number) = sample_number(&catalog, country, candidate) {
                                break number;
                            }
                        };
                        numbers.push((number, country.clone()));
                    }
                    numbers_left -= numbers.len();
                }

                insert_token.execute(params![
                    id,
                    token.name,
                    token.name.to_lowercase(),
                    token.description,
                    token.environment.code(),
                    digest.as_slice(),
                    hint,
                    token.created_at.timestamp_millis(),
                    token.expires_at.map(|t| t.timestamp_millis()),
                    token.revoked_at.map(|t| t.timestamp_millis()),
                    token.last_used_at.map(|t| t.timestamp_millis()),
                ])?;
                for triple in &token.triples {
                    insert_triple.execute(params![
                        id,
                        triple.country,
                        triple.operator,
                        triple.method.code()
                    ])?;
                }
                triples_written += token.triples.len();
                for (number, country) in &numbers {
                    insert_number.execute(params![
                        number,
                        id,
                        country,
                        !chance(rng, 10),
                        token.created_at.timestamp_millis()
                    ])?;
                }
                numbers_written += numbers.len();

                let labels: Vec<String> = token
                    .triples
                    .iter()
                    .map(|t| format!("{}:{}:{}", t.country, t.operator, t.method))
                    .collect();
                let created = json!({
                    "name": token.name,
                    "environment": token.environment,
                    "expires_at": token.expires_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                    "composition": labels,
                    "numbers": numbers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
                });
                insert_event.execute(params![
                    id,
                    token.created_at.timestamp_millis(),
                    "created",
                    created.to_string()
                ])?;
                events_written += 1;
                if let Some(last_used) = token.last_used_at {
                    let triple = token
                        .triples
                        .iter()
                        .nth(rng.u64(..token.triples.len() as u64) as usize)
                        .ok_or("a token has at least one triple")?;
                    let detail = json!({"country": triple.country, "operator": triple.operator, "method": triple.method.code(), "phone": null});
                    insert_event.execute(params![
                        id,
                        last_used.timestamp_millis(),
                        "used",
                        detail.to_string()
                    ])?;
                    let denied = json!({"country": triple.country, "operator": triple.operator, "method": "CASHOUT", "phone": null, "reason": "method_not_allowed"});
                    if chance(rng, 30) {
                        insert_event.execute(params![
                            id,
                            last_used.timestamp_millis(),
                            "denied",
                            denied.to_string()
                        ])?;
                        events_written += 1;
                    }
                    events_written += 1;
                }
                if let Some(revoked_at) = token.revoked_at {
                    insert_event.execute(params![
                        id,
                        revoked_at.timestamp_millis(),
                        "revoked",
                        json!({"numbers_released": []}).to_string()
                    ])?;
                    events_written += 1;
                }
            }
        }
        transaction.commit()?;
    }
    connection.pragma_update(None, "synchronous", "FULL")?;
    // No ANALYZE: the benchmarks must see the query plans a merchant's database gets.
    connection.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    println!(
        "seeded {} tokens, {triples_written} composition triples, {numbers_written} numbers, {events_written} history events into {} in {:.2} s",
        options.tokens,
        options.db.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

struct GeneratedToken {
    name: String,
    description: String,
    environment: Environment,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    countries: BTreeSet<String>,
    triples: BTreeSet<Triple>,
}

fn generate_token(
    rng: &mut Rng,
    catalog: &Catalog,
    index: usize,
    now: DateTime<Utc>,
) -> GeneratedToken {
    // Most merchants work in one to three countries; a few cover the whole catalog.
    let country_count = match rng.u64(..100) {
        0..=59 => 1 + rng.u64(..2),
        60..=89 => 3 + rng.u64(..4),
        _ => 7 + rng.u64(..7),
    } as usize;
    let country_count = country_count.min(catalog.countries.len());
    let mut countries = BTreeSet::new();
    while countries.len() < country_count {
        countries.insert(pick(rng, &catalog.countries).iso.clone());
    }
    let mut triples = BTreeSet::new();
    for iso in &countries {
        let Some(country) = catalog.country(iso) else {
            continue;
        };
        let operator_count = 1 + rng.u64(..country.operators.len() as u64) as usize;
        for operator in country.operators.iter().take(operator_count) {
            let mut methods: Vec<Method> = operator.methods.clone();
            let keep = 1 + rng.u64(..methods.len() as u64) as usize;
            methods.truncate(keep);
            for method in methods {
                triples.insert(Triple {
                    country: iso.clone(),
                    operator: operator.code.clone(),
                    method,
                });
            }
        }
    }

    // Created within the last two years.
    let created_at = now - Duration::minutes(1 + rng.u64(..2 * 365 * 24 * 60) as i64);
    let status = rng.u64(..100);
    let (expires_at, revoked_at) = if status < 15 {
        let expires =
            (!chance(rng, 10)).then(|| created_at + Duration::days(*pick(rng, PRESET_DAYS) * 4));
        let lifetime = (now - created_at).num_minutes().max(1) as u64;
        (
            expires,
            Some(created_at + Duration::minutes(rng.u64(..lifetime) as i64)),
        )
    } else if status < 35 {
        // Expired: the expiry lies between creation and now.
        let lifetime = (now - created_at).num_minutes().max(2) as u64;
        (
            Some(created_at + Duration::minutes(1 + rng.u64(..lifetime - 1) as i64)),
            None,
        )
    } else if chance(rng, 10) {
        (None, None)
    } else {
        // Active: expires in the future.
        let ahead = Duration::days(1 + rng.u64(..365) as i64);
        (Some(now + ahead), None)
    };
    let usable_until = [Some(now), expires_at, revoked_at]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(now);
    let last_used_at = (chance(rng, 70) && usable_until > created_at).then(|| {
        let span = (usable_until - created_at).num_seconds().max(1) as u64;
        created_at + Duration::seconds(rng.u64(..span) as i64)
    });
    let shop = pick(rng, SHOPS);
    let city = pick(rng, CITIES);
    GeneratedToken {
        environment: if chance(rng, 20) {
            Environment::Sandbox
        } else {
            Environment::Live
        },
        name: format!("{shop}-{city}-{index:06}"),
        description: format!(
            "{} of the {city} {} ({} countries)",
            shop,
            if chance(rng, 50) { "shop" } else { "branch" },
            countries.len()
        ),
        created_at,
        expires_at,
        revoked_at,
        last_used_at,
        countries,
        triples,
    }
}

/// A UUIDv7 from the creation time, as the core makes token ids.
fn token_id(created_at: DateTime<Utc>) -> String {
    let seconds = u64::try_from(created_at.timestamp()).unwrap_or(0);
    let timestamp = uuid::Timestamp::from_unix(
        uuid::NoContext,
        seconds,
        created_at.timestamp_subsec_nanos(),
    );
    uuid::Uuid::new_v7(timestamp).hyphenated().to_string()
}
