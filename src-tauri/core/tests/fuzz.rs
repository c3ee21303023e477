//! Fuzzing with proptest of the three parsers that take outside input: the token parser
//! (`secret::parse`, fed by a pasted token or the CLI's stdin), phone normalisation
//! (`numbers::normalize`, fed by what a merchant types) and catalog loading (`Catalog::from_json`,
//! fed by a file a merchant picks).
//!
//! Each property checks that nothing panics and that an invariant holds on what is accepted:
//! - parse accepts exactly the 58-character `clp_test_` / `clp_live_` strings whose checksum
//!   matches, judged by an independent reference implementation written here;
//! - normalize returns E.164 of the chosen country, and is idempotent;
//! - a catalog that loads re-serialises and reloads equal, whatever was mutated in the file.
//!
//! `cargo test` runs 2,000 cases per property; `PROPTEST_CASES=N` sets another count, e.g. the long
//! pass of `scripts/fuzz.sh`: `PROPTEST_CASES=1000000 cargo test -p clapay-tokens-core --release --test fuzz`.

use clapay_core::catalog::Catalog;
use clapay_core::numbers::normalize;
use clapay_core::secret;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

const EMBEDDED_JSON: &str = include_str!("../catalog/catalog.json");
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Cases per property when `PROPTEST_CASES` is not set: a few seconds in a debug build.
const DEFAULT_CASES: u32 = 2_000;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(DEFAULT_CASES);
    ProptestConfig {
        cases,
        // A shrunk failure is kept in tests/fuzz.proptest-regressions and replayed first next time
        // (the default location needs a lib.rs or main.rs, which an integration test has not).
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

// ----------------------------------------------------------------------------------------------
// Token parser.

/// The reference rule, written independently of the core: `clp_test_` or `clp_live_`, 43 base62
/// characters, then 6 base62 characters that spell, big-endian, the CRC32 of the first 52
/// characters (below 2^32).
fn reference_is_valid(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 58 || !(text.starts_with("clp_test_") || text.starts_with("clp_live_")) {
        return false;
    }
    if !bytes[9..].iter().all(|b| ALPHABET.contains(b)) {
        return false;
    }
    let mut checksum: u64 = 0;
    for byte in &bytes[52..] {
        let digit = ALPHABET.iter().position(|a| a == byte).unwrap_or(0) as u64;
        checksum = checksum * 62 + digit;
    }
    checksum < (1 << 32) && checksum == u64::from(crc32fast::hash(&bytes[..52]))
}

/// A well-formed token built by the reference rule from 43 random base62 characters.
fn reference_token(random: &str) -> String {
    let environment = if random.as_bytes()[0] % 2 == 0 {
        "test"
    } else {
        "live"
    };
    let mut text = format!("clp_{environment}_{random}");
    let mut checksum = crc32fast::hash(text.as_bytes());
    let mut digits = [b'0'; 6];
    for slot in digits.iter_mut().rev() {
        *slot = ALPHABET[(checksum % 62) as usize];
        checksum /= 62;
    }
    text.push_str(std::str::from_utf8(&digits).unwrap_or_default());
    text
}

fn random_part() -> impl Strategy<Value = String> {
    "[0-9A-Za-z]{43}"
}

/// Ways a pasted token goes wrong: one character changed, added, dropped, two swapped, a case flip,
/// whitespace around it, or cut short.
#[derive(Debug, Clone)]
enum TokenMutation {
    Replace(usize, char),
    Insert(usize, char),
    Delete(usize),
    SwapAdjacent(usize),
    FlipCase(usize),
    Surround(String),
    Truncate(usize),
}

fn token_mutation() -> impl Strategy<Value = TokenMutation> {
    prop_oneof![
        (0..58usize, any::<char>()).prop_map(|(at, c)| TokenMutation::Replace(at, c)),
        (0..58usize, "[0-9A-Za-z]")
            .prop_map(|(at, c)| TokenMutation::Replace(at, c.chars().next().unwrap_or('0'))),
        (0..59usize, any::<char>()).prop_map(|(at, c)| TokenMutation::Insert(at, c)),
        (0..58usize).prop_map(TokenMutation::Delete),
        (0..57usize).prop_map(TokenMutation::SwapAdjacent),
        (0..58usize).prop_map(TokenMutation::FlipCase),
        "[ \t\r\n\u{a0}\u{200b}]{1,3}".prop_map(TokenMutation::Surround),
        (0..58usize).prop_map(TokenMutation::Truncate),
    ]
}

fn mutate_token(token: &str, mutation: &TokenMutation) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    let len = chars.len();
    match mutation {
        TokenMutation::Replace(at, c) if len > 0 => chars[at % len] = *c,
        TokenMutation::Insert(at, c) => chars.insert(at % (len + 1), *c),
        TokenMutation::Delete(at) if len > 0 => {
            chars.remove(at % len);
        }
        TokenMutation::SwapAdjacent(at) if len > 1 => {
            chars.swap(at % (len - 1), at % (len - 1) + 1)
        }
        TokenMutation::FlipCase(at) if len > 0 => {
            let c = chars[at % len];
            chars[at % len] = if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
        }
        TokenMutation::Surround(space) => return format!("{space}{token}{space}"),
        TokenMutation::Truncate(at) => chars.truncate(*at),
        // Too short for this mutation: leave it as it is.
        _ => {}
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parse_never_panics_and_accepts_only_valid_tokens(text in any::<String>()) {
        let accepted = secret::parse(&text).is_ok();
        prop_assert_eq!(accepted, reference_is_valid(&text));
        if accepted {
            prop_assert_eq!(text.chars().count(), 58);
        }
    }

    #[test]
    fn parse_of_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..80)) {
        let text = String::from_utf8_lossy(&bytes);
        prop_assert_eq!(secret::parse(&text).is_ok(), reference_is_valid(&text));
    }

    #[test]
    fn every_well_formed_token_is_accepted(random in random_part()) {
        let token = reference_token(&random);
        prop_assert!(reference_is_valid(&token));
        prop_assert!(secret::parse(&token).is_ok(), "a well-formed token was refused");
    }

    #[test]
    fn a_mistyped_token_is_accepted_only_if_it_is_still_well_formed(
        random in random_part(),
        mutations in prop::collection::vec(token_mutation(), 1..4),
    ) {
        let mut text = reference_token(&random);
        for mutation in &mutations {
            text = mutate_token(&text, mutation);
        }
        // A mutation can give back a valid token (a swap of two equal characters); the parser must
        // then agree with the reference, and otherwise refuse.
        prop_assert_eq!(secret::parse(&text).is_ok(), reference_is_valid(&text));
    }
}

// ----------------------------------------------------------------------------------------------
// Phone normalisation.

fn is_e164(text: &str) -> bool {
    let digits = &text.as_bytes()[1.min(text.len())..];
    text.starts_with('+')
        && (8..=15).contains(&digits.len())
        && digits.iter().all(u8::is_ascii_digit)
        && digits.first() != Some(&b'0')
}

fn country_index() -> impl Strategy<Value = usize> {
    0..Catalog::embedded().countries.len()
}

/// What people type: digits with separators, an optional `+` or `00`, sometimes a calling code.
fn phone_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{6,12}",
        "\\+[0-9]{8,15}",
        "00[0-9]{8,15}",
        "[+(]?[0-9]{0,4}[)]?[ .-]?[0-9 .()-]{4,18}",
        "\\+(225|221|223|226|229|228|237|224|227|242|241|233|254) ?0?[0-9]{7,10}",
        "[0-9+ ()\\-.#;,a-zA-Z\u{ff10}-\u{ff19}\u{660}-\u{669}]{0,24}",
    ]
}

/// A country's mobile example number (libphonenumber metadata) with its last digits replaced,
/// written the ways merchants write numbers: national with spaces, `+` or `00` with the calling code.
fn mobile_like(index: usize) -> impl Strategy<Value = String> {
    let catalog = Catalog::embedded();
    let country = &catalog.countries[index];
    let example = phonenumber::metadata::DATABASE
        .by_id(country.iso.as_str())
        .and_then(|meta| meta.descriptors().mobile())
        .and_then(|descriptor| descriptor.example())
        .unwrap_or("0700000000")
        .to_string();
    let calling = country.calling_code.trim_start_matches('+').to_string();
    ("[0-9]{1,4}", 0..4u8).prop_map(move |(tail, form)| {
        let keep = example.len().saturating_sub(tail.len());
        let national = format!("{}{tail}", &example[..keep]);
        match form {
            0 => national,
            1 => format!("+{calling} {national}"),
            2 => format!("00{calling}{national}"),
            _ => national
                .as_bytes()
                .chunks(2)
                .map(|pair| String::from_utf8_lossy(pair).into_owned())
                .collect::<Vec<_>>()
                .join(" "),
        }
    })
}

fn country_and_phone() -> impl Strategy<Value = (usize, String)> {
    country_index().prop_flat_map(|index| {
        (
            Just(index),
            prop_oneof![phone_like(), mobile_like(index)].boxed(),
        )
    })
}

fn check_normalize(index: usize, input: &str) -> Result<(), TestCaseError> {
    let catalog = Catalog::embedded();
    let country = &catalog.countries[index];
    if let Ok(e164) = normalize(&catalog, &country.iso, input) {
        prop_assert!(is_e164(&e164), "{input:?} gave {e164:?}, not E.164");
        prop_assert!(
            e164.starts_with(&country.calling_code),
            "{input:?} for {} gave {e164:?}",
            country.iso
        );
        let again = normalize(&catalog, &country.iso, &e164);
        prop_assert_eq!(
            again.as_deref().ok(),
            Some(e164.as_str()),
            "normalize is idempotent"
        );
        let displayed = clapay_core::numbers::format_international(&e164);
        let from_display = normalize(&catalog, &country.iso, &displayed);
        prop_assert_eq!(
            from_display.as_deref().ok(),
            Some(e164.as_str()),
            "the display form {} reads back as the same number",
            displayed
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn normalize_never_panics_on_any_text(index in country_index(), input in any::<String>()) {
        check_normalize(index, &input)?;
    }

    #[test]
    fn normalize_gives_idempotent_e164_of_the_country((index, input) in country_and_phone()) {
        check_normalize(index, &input)?;
    }
}

// ----------------------------------------------------------------------------------------------
// Catalog loading.

/// Damage a catalog file can suffer: a flipped byte, a cut, a line duplicated (duplicate keys),
/// dropped or swapped, bytes inserted.
#[derive(Debug, Clone)]
enum FileMutation {
    FlipByte(usize, u8),
    Truncate(usize),
    DuplicateLine(usize),
    DeleteLine(usize),
    SwapLines(usize, usize),
    Insert(usize, Vec<u8>),
    ReplaceValue(usize, String),
}

fn file_mutation() -> impl Strategy<Value = FileMutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, mask)| FileMutation::FlipByte(at, mask)),
        any::<usize>().prop_map(FileMutation::Truncate),
        any::<usize>().prop_map(FileMutation::DuplicateLine),
        any::<usize>().prop_map(FileMutation::DeleteLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| FileMutation::SwapLines(a, b)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| FileMutation::Insert(at, bytes)),
        (
            any::<usize>(),
            prop_oneof![
                Just("\"\"".to_string()),
                Just("null".to_string()),
                Just("[]".to_string()),
                Just("{}".to_string()),
                Just("\"CASHIN\"".to_string()),
                Just("\"+225\"".to_string()),
                Just("\"ZZ\"".to_string()),
                Just("1e999".to_string()),
                "\"[A-Z]{1,3}\"",
            ]
        )
            .prop_map(|(at, value)| FileMutation::ReplaceValue(at, value)),
    ]
}

fn mutate_file(bytes: &mut Vec<u8>, mutation: &FileMutation) {
    let lines = |bytes: &Vec<u8>| -> Vec<Vec<u8>> {
        bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect()
    };
    match mutation {
        FileMutation::FlipByte(at, mask) if !bytes.is_empty() => {
            let at = at % bytes.len();
            bytes[at] ^= mask;
        }
        FileMutation::Truncate(at) => bytes.truncate(at % (bytes.len() + 1)),
        FileMutation::DuplicateLine(at) => {
            let mut all = lines(bytes);
            let at = at % all.len();
            all.insert(at, all[at].clone());
            *bytes = all.join(&b'\n');
        }
        FileMutation::DeleteLine(at) => {
            let mut all = lines(bytes);
            if all.len() > 1 {
                all.remove(at % all.len());
            }
            *bytes = all.join(&b'\n');
        }
        FileMutation::SwapLines(a, b) => {
            let mut all = lines(bytes);
            let count = all.len();
            all.swap(a % count, b % count);
            *bytes = all.join(&b'\n');
        }
        FileMutation::Insert(at, inserted) => {
            let at = at % (bytes.len() + 1);
            bytes.splice(at..at, inserted.iter().copied());
        }
        FileMutation::ReplaceValue(at, value) => {
            // The value after the n-th `": `, up to the next comma or end of line.
            let text = String::from_utf8_lossy(bytes).into_owned();
            let starts: Vec<usize> = text.match_indices("\": ").map(|(i, _)| i + 3).collect();
            if let Some(&start) = starts.get(at % starts.len().max(1)) {
                let end = text[start..]
                    .find([',', '\n'])
                    .map_or(text.len(), |offset| start + offset);
                *bytes = format!("{}{}{}", &text[..start], value, &text[end..]).into_bytes();
            }
        }
        FileMutation::FlipByte(..) => {}
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_damaged_catalog_is_refused_or_loads_to_a_catalog_that_round_trips(
        mutations in prop::collection::vec(file_mutation(), 1..4),
    ) {
        let mut bytes = EMBEDDED_JSON.as_bytes().to_vec();
        for mutation in &mutations {
            mutate_file(&mut bytes, mutation);
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(catalog) = Catalog::from_json(&text) {
            let compact = serde_json::to_string(&catalog).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let reloaded = Catalog::from_json(&compact);
            prop_assert_eq!(reloaded.as_ref().ok(), Some(&catalog), "compact form reloads equal");
            let pretty = serde_json::to_string_pretty(&catalog).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(Catalog::from_json(&pretty).ok(), Some(catalog), "pretty form reloads equal");
        }
    }
}

#[test]
fn the_embedded_catalog_round_trips() {
    let catalog = Catalog::from_json(EMBEDDED_JSON).expect("the embedded catalog loads");
    let text = serde_json::to_string_pretty(&catalog).expect("serialize");
    assert_eq!(
        Catalog::from_json(&text).expect("reload"),
        catalog,
        "what is saved reloads equal"
    );
}

#[test]
fn the_reference_rule_agrees_with_generated_secrets() {
    // Guards the oracle itself: real secrets from the core's generator are valid by both rules.
    let rng = ring::rand::SystemRandom::new();
    for index in 0..200 {
        let secret = secret::generate(&rng, secret::Environment::ALL[index % 2]);
        assert!(
            reference_is_valid(secret.expose_secret()),
            "the reference rule must accept real secrets"
        );
        assert!(secret::parse(secret.expose_secret()).is_ok());
    }
}

/// Runs `strategy` 500 times and counts the cases `accepted` says yes to.
fn acceptance<S: Strategy>(strategy: S, accepted: impl Fn(&S::Value) -> bool) -> usize {
    // A fixed seed: this counts how often the generators reach the accepting paths, a property of
    // the generators themselves, so it must not change from run to run (a random seed once gave 9
    // damaged catalogs that load, one short of the floor, in CI).
    let mut runner = proptest::test_runner::TestRunner::new_with_rng(
        ProptestConfig {
            cases: 500,
            failure_persistence: None,
            ..ProptestConfig::default()
        },
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let count = std::cell::Cell::new(0);
    runner
        .run(&strategy, |value| {
            if accepted(&value) {
                count.set(count.get() + 1);
            }
            Ok(())
        })
        .expect("counting never fails");
    count.get()
}

#[test]
fn the_generators_reach_the_accepting_paths() {
    // Guards the properties above against passing vacuously: enough generated inputs are accepted
    // for the "what is accepted" invariants to be exercised.
    let phones = acceptance(country_and_phone(), |(index, input)| {
        let catalog = Catalog::embedded();
        normalize(&catalog, &catalog.countries[*index].iso, input).is_ok()
    });
    let catalogs = acceptance(prop::collection::vec(file_mutation(), 1..4), |mutations| {
        let mut bytes = EMBEDDED_JSON.as_bytes().to_vec();
        for mutation in mutations {
            mutate_file(&mut bytes, mutation);
        }
        Catalog::from_json(&String::from_utf8_lossy(&bytes)).is_ok()
    });
    let tokens = acceptance(
        (random_part(), prop::collection::vec(token_mutation(), 1..4)),
        |(random, mutations)| {
            let mut text = reference_token(random);
            for mutation in mutations {
                text = mutate_token(&text, mutation);
            }
            secret::parse(&text).is_ok()
        },
    );
    println!("accepted out of 500: phones {phones}, damaged catalogs {catalogs}, mistyped tokens {tokens}");
    assert!(
        phones >= 10,
        "phone-like inputs must often be valid numbers ({phones}/500)"
    );
    assert!(
        catalogs >= 10,
        "some damaged catalogs must still load ({catalogs}/500)"
    );
    // `make test` prints this file at the end of the run.
    if let Some(figures) = std::env::var_os("CLAPAY_TEST_FIGURES") {
        use std::io::Write;
        let line = format!(
            "fuzz (proptest): 7 properties x {} cases (token parser, phone normalisation, catalog loading), 0 failures\n",
            config().cases
        );
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(figures)
            .and_then(|mut file| file.write_all(line.as_bytes()))
            .expect("the figures file is writable");
    }
}
