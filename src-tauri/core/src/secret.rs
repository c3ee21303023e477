//! Token secrets: generation, the `clp_test_` / `clp_live_` format, parsing, digest and hint.
//!
//! Format: `clp_` + the environment (`test_` for sandbox tokens, `live_` for live ones) + 43 base62
//! characters drawn uniformly from a CSPRNG (43 × log2 62 ≈ 256.03 bits) + 6 base62 characters
//! encoding the CRC32 of the 52 preceding characters, 58 characters in all. Each random character
//! is drawn by rejection sampling (6 random bits, values 62 and 63 redrawn), so there is no modulo
//! bias. The checksum is a fixed-width big-endian base62 number; a checksum string that decodes to
//! 2^32 or more is non-canonical and rejected, so each token has exactly one spelling.
//!
//! Invariants: a [`Secret`] is zeroized on drop, never reallocated after creation, has no `Serialize`
//! and its `Debug` prints `[REDACTED]`. Only [`digest`] (SHA-256, 32 bytes) and [`hint`] leave this
//! module for storage. The environment is part of the digested text, so a sandbox secret can never
//! match a live token's digest, nor the reverse.

use std::fmt;
use std::str::FromStr;

use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The prefix that names the issuer, so scanners recognise a leaked ClaPay token.
pub const PREFIX: &str = "clp_";
/// Length of the issuer prefix and the environment together (`clp_test_`, `clp_live_`).
pub const FULL_PREFIX_LEN: usize = 9;
/// Number of random base62 characters.
pub const RANDOM_LEN: usize = 43;
/// Number of base62 checksum characters (62^5 < 2^32 < 62^6).
pub const CHECKSUM_LEN: usize = 6;
/// Total length of a secret.
pub const SECRET_LEN: usize = FULL_PREFIX_LEN + RANDOM_LEN + CHECKSUM_LEN;
/// The identifier of the digest scheme stored beside each digest, so it can change later.
pub const DIGEST_SCHEME: &str = "sha256-v1";

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Where a token may be used: ClaPay's sandbox (test payments) or live payments. Test and live
/// credentials are always separate, as at the payment providers merchants know.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// Test payments only (the local sandbox gateway accepts these).
    Sandbox,
    /// Real payments (the default).
    #[default]
    Live,
}

impl Environment {
    /// Both environments.
    pub const ALL: [Environment; 2] = [Environment::Sandbox, Environment::Live];

    /// The stored code (`sandbox`, `live`).
    pub fn code(self) -> &'static str {
        match self {
            Environment::Sandbox => "sandbox",
            Environment::Live => "live",
        }
    }

    /// The secret's prefix for this environment (`clp_test_`, `clp_live_`).
    pub fn prefix(self) -> &'static str {
        match self {
            Environment::Sandbox => "clp_test_",
            Environment::Live => "clp_live_",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Environment {
    type Err = String;

    fn from_str(text: &str) -> Result<Environment, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "sandbox" | "test" => Ok(Environment::Sandbox),
            "live" => Ok(Environment::Live),
            other => Err(format!(
                "'{other}' is not an environment; use 'sandbox' or 'live'"
            )),
        }
    }
}

/// A token secret. Zeroized when dropped; never printed.
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// The secret text, for the one place that must show or copy it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// The environment its prefix names.
    pub fn environment(&self) -> Environment {
        environment_of(&self.0).unwrap_or_default()
    }

    /// Builds a secret from text already checked by [`parse`]; the copy is zeroized on drop.
    pub fn from_checked(text: &str) -> Result<Secret, Malformed> {
        parse(text)?;
        let mut owned = Zeroizing::new(String::with_capacity(SECRET_LEN));
        owned.push_str(text);
        Ok(Secret(owned))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

/// Why a string is not a well-formed ClaPay token. Checked before any database access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// It does not start with `clp_test_` or `clp_live_`.
    WrongPrefix,
    /// It is not 58 characters long.
    WrongLength {
        /// The length found, in characters.
        found: usize,
    },
    /// A character outside 0-9, A-Z, a-z after the prefix.
    BadCharacter {
        /// 1-based position of the first bad character.
        position: usize,
    },
    /// The checksum characters decode to 2^32 or more.
    NonCanonicalChecksum,
    /// The checksum does not match: a typo or a look-alike.
    ChecksumMismatch,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::WrongPrefix => {
                write!(f, "a ClaPay token starts with 'clp_live_' or 'clp_test_'")
            }
            Malformed::WrongLength { found } => {
                write!(
                    f,
                    "a ClaPay token has {SECRET_LEN} characters, this one has {found}"
                )
            }
            Malformed::BadCharacter { position } => write!(
                f,
                "character {position} is not a letter or digit; copy the token again without spaces"
            ),
            Malformed::NonCanonicalChecksum | Malformed::ChecksumMismatch => {
                write!(
                    f,
                    "the checksum does not match: the token was mistyped or altered"
                )
            }
        }
    }
}

/// A well-formed secret: format and checksum verified. Borrows the caller's text.
#[derive(Clone, Copy)]
pub struct Parsed<'a> {
    text: &'a str,
    environment: Environment,
}

impl Parsed<'_> {
    /// SHA-256 of the whole secret string.
    pub fn digest(&self) -> [u8; 32] {
        digest(self.text)
    }

    /// The environment its prefix names.
    pub fn environment(&self) -> Environment {
        self.environment
    }
}

impl fmt::Debug for Parsed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Parsed([REDACTED])")
    }
}

/// The environment a text's prefix names, if it has one of the two prefixes.
fn environment_of(text: &str) -> Option<Environment> {
    Environment::ALL
        .into_iter()
        .find(|environment| text.starts_with(environment.prefix()))
}

/// Generates a new secret of `environment` from the operating system's CSPRNG.
pub fn generate(rng: &SystemRandom, environment: Environment) -> Secret {
    // Exact capacity: the string is never reallocated, so no unzeroed copy is left behind.
    let mut text = Zeroizing::new(String::with_capacity(SECRET_LEN));
    text.push_str(environment.prefix());
    let mut pool = Zeroizing::new([0u8; 64]);
    let mut used = pool.len();
    while text.len() < FULL_PREFIX_LEN + RANDOM_LEN {
        if used == pool.len() {
            // SystemRandom only fails when the OS has no entropy source at all; there is no
            // meaningful way to continue without one.
            rng.fill(&mut pool[..])
                .expect("the operating system's random generator failed");
            used = 0;
        }
        let six_bits = pool[used] & 0x3f;
        used += 1;
        if six_bits < 62 {
            text.push(ALPHABET[six_bits as usize] as char);
        }
    }
    let checksum = crc32fast::hash(text.as_bytes());
    push_base62_fixed(&mut text, checksum);
    debug_assert_eq!(text.len(), SECRET_LEN);
    debug_assert_eq!(text.capacity(), SECRET_LEN);
    Secret(text)
}

/// Checks format and checksum without touching any database.
pub fn parse(text: &str) -> Result<Parsed<'_>, Malformed> {
    let Some(environment) = environment_of(text) else {
        // A token of the right shape with another prefix (including the pre-release `clp_`
        // form) is "wrong prefix"; a random string of another length gets the same answer, which
        // is the more useful one.
        return Err(Malformed::WrongPrefix);
    };
    let found = text.chars().count();
    if text.len() != SECRET_LEN || found != SECRET_LEN {
        return Err(Malformed::WrongLength { found });
    }
    let body = &text.as_bytes()[FULL_PREFIX_LEN..];
    if let Some(index) = body.iter().position(|byte| base62_value(*byte).is_none()) {
        return Err(Malformed::BadCharacter {
            position: FULL_PREFIX_LEN + index + 1,
        });
    }
    let (payload, checksum_text) = text.split_at(FULL_PREFIX_LEN + RANDOM_LEN);
    let mut checksum: u64 = 0;
    for byte in checksum_text.bytes() {
        // Unwrap-free: every byte was checked above.
        checksum = checksum * 62 + u64::from(base62_value(byte).unwrap_or(0));
    }
    let Ok(checksum) = u32::try_from(checksum) else {
        return Err(Malformed::NonCanonicalChecksum);
    };
    if crc32fast::hash(payload.as_bytes()) != checksum {
        return Err(Malformed::ChecksumMismatch);
    }
    Ok(Parsed { text, environment })
}

/// SHA-256 of a secret string: the only trace of a secret that is stored.
pub fn digest(text: &str) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Constant-time comparison of two digests.
pub fn digests_equal(left: &[u8], right: &[u8]) -> bool {
    left.ct_eq(right).into()
}

/// The non-secret display form: the environment's prefix, an ellipsis and the last 4 random
/// characters (never the checksum, which would help nobody and narrows a search).
pub fn hint(secret: &Secret) -> String {
    let text = secret.expose_secret();
    let random_end = FULL_PREFIX_LEN + RANDOM_LEN;
    format!(
        "{}…{}",
        &text[..FULL_PREFIX_LEN],
        &text[random_end - 4..random_end]
    )
}

fn base62_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'A'..=b'Z' => Some(byte - b'A' + 10),
        b'a'..=b'z' => Some(byte - b'a' + 36),
        _ => None,
    }
}

fn push_base62_fixed(out: &mut String, value: u32) {
    let mut digits = [b'0'; CHECKSUM_LEN];
    let mut rest = u64::from(value);
    for slot in digits.iter_mut().rev() {
        *slot = ALPHABET[(rest % 62) as usize];
        rest /= 62;
    }
    for digit in digits {
        out.push(digit as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fresh() -> Secret {
        generate(&SystemRandom::new(), Environment::Live)
    }

    #[test]
    fn generated_secrets_have_the_documented_shape_in_each_environment() {
        for (environment, prefix) in [
            (Environment::Live, "clp_live_"),
            (Environment::Sandbox, "clp_test_"),
        ] {
            let secret = generate(&SystemRandom::new(), environment);
            let text = secret.expose_secret();
            assert_eq!(text.len(), 58, "prefix + 43 random + 6 checksum characters");
            assert!(text.starts_with(prefix), "{environment} secrets say so");
            assert!(
                text[4..]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                "one double-clickable word"
            );
            let parsed = parse(text).expect("a generated secret must parse");
            assert_eq!(parsed.environment(), environment);
            assert_eq!(secret.environment(), environment);
        }
    }

    #[test]
    fn changing_the_environment_of_a_secret_breaks_its_checksum() {
        let secret = fresh();
        let swapped = secret.expose_secret().replacen("clp_live_", "clp_test_", 1);
        assert_eq!(
            parse(&swapped).err(),
            Some(Malformed::ChecksumMismatch),
            "the environment is covered by the checksum, so a live secret cannot pass as a sandbox one"
        );
        assert_ne!(digest(&swapped), digest(secret.expose_secret()));
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let secret = fresh();
        let shown = format!("{secret:?} {:?}", parse(secret.expose_secret()).map(|_| ()));
        assert!(
            !shown.contains(&secret.expose_secret()[9..25]),
            "Debug must redact: {shown}"
        );
        assert!(format!("{secret:?}").contains("REDACTED"));
    }

    #[test]
    fn hint_shows_the_environment_and_last_four_random_characters_not_the_checksum() {
        for environment in Environment::ALL {
            let secret = generate(&SystemRandom::new(), environment);
            let text = secret.expose_secret();
            let hint = hint(&secret);
            assert_eq!(hint, format!("{}…{}", environment.prefix(), &text[48..52]));
            assert_eq!(hint.chars().count(), 14, "the schema checks this length");
            assert!(
                !hint.contains(&text[52..]),
                "the checksum is never part of the hint"
            );
        }
    }

    #[test]
    fn parse_rejects_each_kind_of_malformed_token() {
        let secret = fresh();
        let text = secret.expose_secret();
        assert_eq!(
            parse(&text.replacen("clp_live_", "ghp_live_", 1)).err(),
            Some(Malformed::WrongPrefix)
        );
        assert_eq!(
            parse(&text.replacen("clp_live_", "clp_", 1)).err(),
            Some(Malformed::WrongPrefix),
            "the pre-release form has no environment"
        );
        assert_eq!(parse("").err(), Some(Malformed::WrongPrefix));
        assert_eq!(
            parse(&text[..57]).err(),
            Some(Malformed::WrongLength { found: 57 })
        );
        assert_eq!(
            parse(&format!("{text}A")).err(),
            Some(Malformed::WrongLength { found: 59 })
        );
        assert_eq!(
            parse(&format!(" {text}")).err(),
            Some(Malformed::WrongPrefix)
        );
        let mut bad_char = text.to_string();
        bad_char.replace_range(15..16, "-");
        assert_eq!(
            parse(&bad_char).err(),
            Some(Malformed::BadCharacter { position: 16 })
        );
        // A multi-byte character keeps the char count at 58 but not the byte length.
        let mut accented = text.to_string();
        accented.replace_range(15..16, "é");
        assert!(matches!(
            parse(&accented).err(),
            Some(Malformed::WrongLength { .. })
        ));
    }

    #[test]
    fn non_canonical_checksum_is_rejected() {
        // "zzzzzz" is 62^6 - 1 > 2^32: no CRC32 can be spelled that way.
        let secret = fresh();
        let forged = format!("{}zzzzzz", &secret.expose_secret()[..52]);
        assert_eq!(parse(&forged).err(), Some(Malformed::NonCanonicalChecksum));
    }

    #[test]
    fn every_single_character_substitution_of_1000_tokens_is_rejected() {
        let rng = SystemRandom::new();
        let mut checked = 0u64;
        for index in 0..1000 {
            let environment = Environment::ALL[index % 2];
            let secret = generate(&rng, environment);
            let original = secret.expose_secret().as_bytes().to_vec();
            for position in FULL_PREFIX_LEN..SECRET_LEN {
                for &replacement in ALPHABET.iter() {
                    if replacement == original[position] {
                        continue;
                    }
                    let mut altered = original.clone();
                    altered[position] = replacement;
                    let altered = std::str::from_utf8(&altered).expect("ASCII stays UTF-8");
                    assert!(
                        parse(altered).is_err(),
                        "a one-character typo must never pass the checksum"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 1000 * 49 * 61);
    }

    #[test]
    fn random_characters_are_uniform_chi_square() {
        // 20,000 tokens × 43 characters; 61 degrees of freedom. The 0.9999 quantile of chi²(61) is
        // about 113, so a correct generator fails this about once in 10,000 runs, while a modulo-biased
        // one (8 of 62 characters 25 % more likely) scores in the thousands.
        let rng = SystemRandom::new();
        let mut counts = [0u64; 62];
        let samples = 20_000;
        for _ in 0..samples {
            let secret = generate(&rng, Environment::Sandbox);
            for byte in
                secret.expose_secret()[FULL_PREFIX_LEN..FULL_PREFIX_LEN + RANDOM_LEN].bytes()
            {
                counts[base62_value(byte).expect("base62") as usize] += 1;
            }
        }
        let total = (samples * RANDOM_LEN) as f64;
        let expected = total / 62.0;
        let chi_square: f64 = counts
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        assert!(
            chi_square < 113.0,
            "random characters are not uniform: chi² = {chi_square:.1}"
        );
    }

    #[test]
    fn digest_is_sha256_of_the_whole_string() {
        // SHA-256("abc") from FIPS 180-2.
        assert_eq!(
            digest("abc")[..4],
            [0xba, 0x78, 0x16, 0xbf],
            "digest must be plain SHA-256 so other systems can compute it"
        );
        assert!(digests_equal(&digest("x"), &digest("x")));
        assert!(!digests_equal(&digest("x"), &digest("y")));
    }

    #[test]
    fn environments_parse_from_their_codes() {
        assert_eq!("sandbox".parse(), Ok(Environment::Sandbox));
        assert_eq!(" LIVE ".parse(), Ok(Environment::Live));
        assert!("prod".parse::<Environment>().is_err());
    }

    proptest! {
        #[test]
        fn encode_then_parse_round_trips(payload in "[0-9A-Za-z]{43}", sandbox in any::<bool>()) {
            let environment = if sandbox { Environment::Sandbox } else { Environment::Live };
            let mut text = String::with_capacity(SECRET_LEN);
            text.push_str(environment.prefix());
            text.push_str(&payload);
            let checksum = crc32fast::hash(text.as_bytes());
            push_base62_fixed(&mut text, checksum);
            prop_assert_eq!(parse(&text).map(|parsed| parsed.environment()).ok(), Some(environment));
            prop_assert_eq!(Secret::from_checked(&text).map(|s| s.expose_secret().to_string()).ok(), Some(text));
        }

        #[test]
        fn arbitrary_strings_never_panic_the_parser(input in ".{0,80}") {
            let _ = parse(&input);
        }
    }
}
