//! The webhook keys and ClaPay's webhook signature.
//!
//! ClaPay gives a merchant two webhook credentials, a *webhook secret* (`nowallet_sk_...`) and a
//! *webhook unique key* (`nowallet_uk_...`), and signs each webhook with the header
//! `Nowallet-Signature: key=<uuid>,signature=<hex>`. Its documentation ("Webhook Security",
//! signing-secret strategy) describes the verification in steps; this is how we read them:
//!
//! 1. `key` is a UUID chosen by the sender for each delivery (we draw a new one per attempt).
//! 2. "Encrypt the key using the webhook unique key and HMAC-SHA256":
//!    `encrypted_key = hex(HMAC-SHA256(key = unique key, message = the key's text))`, the HMAC
//!    key being the whole unique key string as the merchant copies it (prefix included), the
//!    output written as lowercase hex, the usual default of HMAC helpers (PHP's `hash_hmac`,
//!    Node's `digest('hex')`).
//! 3. "payload = encryptedKey + requestBody (stringified)": that hex text followed by the
//!    request body exactly as sent, byte for byte.
//! 4. `signature = hex(HMAC-SHA256(key = webhook secret, message = payload))`, lowercase.
//!
//! The documentation gives no test vector, so the encodings in 2 and 4 are our reading; the
//! README's "Test your integration offline" section states them for integrators.
//!
//! The keys are secrets: they come from `CLAPAY_SANDBOX_WEBHOOK_KEY` and
//! `CLAPAY_SANDBOX_WEBHOOK_SECRET` when set (a developer's stable pair), otherwise they are drawn
//! at each start. They live in zeroizing buffers, print as `[REDACTED]`, and are never written to
//! the database, a log or the request log.

use std::fmt;

use base64::Engine;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::error::Error;

/// The variable holding a stable webhook unique key.
pub const UNIQUE_KEY_ENV: &str = "CLAPAY_SANDBOX_WEBHOOK_KEY";
/// The variable holding a stable webhook secret.
pub const SECRET_ENV: &str = "CLAPAY_SANDBOX_WEBHOOK_SECRET";

/// The prefix of a generated webhook secret (ClaPay's form).
pub const SECRET_PREFIX: &str = "nowallet_sk_";
/// The prefix of a generated webhook unique key (ClaPay's form).
pub const UNIQUE_KEY_PREFIX: &str = "nowallet_uk_";

/// The longest key accepted from the environment.
const KEY_MAX: usize = 512;

/// Where the keys came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// From `CLAPAY_SANDBOX_WEBHOOK_KEY` and `CLAPAY_SANDBOX_WEBHOOK_SECRET`.
    Environment,
    /// Drawn at this start; shown once to the person who started the gateway.
    Generated,
}

/// The webhook secret and unique key of a gateway.
#[derive(Clone)]
pub struct WebhookKeys {
    unique_key: Zeroizing<String>,
    secret: Zeroizing<String>,
    source: KeySource,
}

impl fmt::Debug for WebhookKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookKeys")
            .field("unique_key", &"[REDACTED]")
            .field("secret", &"[REDACTED]")
            .field("source", &self.source)
            .finish()
    }
}

impl WebhookKeys {
    /// The keys of the environment when both variables are set, otherwise a new pair.
    /// One variable without the other is refused: a signature made with a drawn half would never
    /// verify on the developer's side.
    pub fn from_env_or_generate() -> Result<WebhookKeys, Error> {
        let unique_key = std::env::var(UNIQUE_KEY_ENV).ok();
        let secret = std::env::var(SECRET_ENV).ok();
        match (unique_key, secret) {
            (None, None) => WebhookKeys::generate(),
            (Some(unique_key), Some(secret)) => WebhookKeys::given(unique_key, secret),
            (Some(_), None) | (None, Some(_)) => Err(Error::Keys(format!(
                "set both {UNIQUE_KEY_ENV} and {SECRET_ENV}, or neither to draw a new pair"
            ))),
        }
    }

    /// A new pair: 32 random bytes each, base64, with ClaPay's prefixes.
    pub fn generate() -> Result<WebhookKeys, Error> {
        let rng = SystemRandom::new();
        Ok(WebhookKeys {
            unique_key: random_key(&rng, UNIQUE_KEY_PREFIX)?,
            secret: random_key(&rng, SECRET_PREFIX)?,
            source: KeySource::Generated,
        })
    }

    /// A pair given by the developer.
    pub fn given(unique_key: String, secret: String) -> Result<WebhookKeys, Error> {
        let unique_key = Zeroizing::new(unique_key);
        let secret = Zeroizing::new(secret);
        for (name, value) in [(UNIQUE_KEY_ENV, &unique_key), (SECRET_ENV, &secret)] {
            let value = value.as_str();
            if value.trim().is_empty() {
                return Err(Error::Keys(format!(
                    "{name} is empty; give a key or unset it"
                )));
            }
            if value.len() > KEY_MAX || value.chars().any(|c| c.is_control() || c == ' ') {
                return Err(Error::Keys(format!(
                    "{name} must be one word of at most {KEY_MAX} printable characters"
                )));
            }
        }
        Ok(WebhookKeys {
            unique_key,
            secret,
            source: KeySource::Environment,
        })
    }

    /// Where the keys came from.
    pub fn source(&self) -> KeySource {
        self.source
    }

    /// The webhook unique key, for the one place that shows it (the CLI's start, the app's
    /// reveal and copy).
    pub fn expose_unique_key(&self) -> &str {
        &self.unique_key
    }

    /// The webhook secret, for the one place that shows it.
    pub fn expose_secret(&self) -> &str {
        &self.secret
    }

    /// The `Nowallet-Signature` header value for `body`, with `key` as its key.
    pub fn signature_header(&self, key: &str, body: &[u8]) -> String {
        let unique = hmac::Key::new(hmac::HMAC_SHA256, self.unique_key.as_bytes());
        let encrypted_key = hex::encode(hmac::sign(&unique, key.as_bytes()).as_ref());
        let signing = hmac::Key::new(hmac::HMAC_SHA256, self.secret.as_bytes());
        let mut context = hmac::Context::with_key(&signing);
        context.update(encrypted_key.as_bytes());
        context.update(body);
        let signature = hex::encode(context.sign().as_ref());
        format!("key={key},signature={signature}")
    }
}

fn random_key(rng: &SystemRandom, prefix: &str) -> Result<Zeroizing<String>, Error> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rng.fill(bytes.as_mut())
        .map_err(|_| Error::Keys("the system random generator failed".into()))?;
    let encoded = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(bytes.as_ref()));
    let mut key = Zeroizing::new(String::with_capacity(prefix.len() + encoded.len()));
    key.push_str(prefix);
    key.push_str(&encoded);
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_clapay_prefixes_and_differ() {
        let first = WebhookKeys::generate().expect("keys");
        let second = WebhookKeys::generate().expect("keys");
        assert!(first.expose_secret().starts_with(SECRET_PREFIX));
        assert!(first.expose_unique_key().starts_with(UNIQUE_KEY_PREFIX));
        assert_eq!(first.expose_secret().len(), SECRET_PREFIX.len() + 44);
        assert_ne!(
            first.expose_secret(),
            second.expose_secret(),
            "drawn per start"
        );
        assert_ne!(first.expose_secret(), first.expose_unique_key());
        assert!(
            !format!("{first:?}").contains(first.expose_secret()),
            "Debug never prints a key"
        );
    }

    #[test]
    fn blank_or_multi_word_keys_are_refused() {
        assert!(WebhookKeys::given(" ".into(), "s".into()).is_err());
        assert!(WebhookKeys::given("a b".into(), "s".into()).is_err());
        assert!(WebhookKeys::given("uk".into(), "sk".into()).is_ok());
    }

    #[test]
    fn the_signature_header_names_its_key() {
        let keys = WebhookKeys::given("uk".into(), "sk".into()).expect("keys");
        let header = keys.signature_header("6f130f57-19fa-452d-805c-1e3eec773de9", b"{}");
        let (key, signature) = header.split_once(",signature=").expect("two parts");
        assert_eq!(key, "key=6f130f57-19fa-452d-805c-1e3eec773de9");
        assert_eq!(signature.len(), 64, "hex of 32 bytes");
    }
}
