//! Authorize: the check the payment API makes on every request.
//!
//! Order of the checks: the length of each field and the secret's format and checksum (no
//! database access), the token by digest (compared again in constant time), its environment,
//! revoked, rolled for good, expired, then the composition (country, operator, method) and the
//! whitelisted numbers. A token in the grace of a roll decides with its successor's composition
//! and numbers (following the chain of rolls to the token that was not rolled), so a change made
//! to the successor applies to both.
//!
//! Numbers fail closed: a country where the token holds numbers, enabled or disabled, accepts only
//! its enabled numbers (`phone_required` without a phone, `phone_disabled` for a disabled one,
//! `phone_not_whitelisted` for any other); a country without numbers accepts any phone.
//!
//! `decide` only reads. Every check is recorded (a `used` or `denied` event, never the secret,
//! and `last_used_at` when allowed): [`Registry::authorize`] writes it at once, in its own
//! transaction; the sandbox gateway's [`crate::Checker`] hands it to a batch writer
//! ([`crate::usage`]).

use std::fmt;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::catalog::{normalize_code, Catalog};
use crate::error::Result;
use crate::secret::{self, digests_equal, Environment};
use crate::token::{Status, TokenRef};
use crate::usage::{self, UsageEvent};
use crate::{begin_write, from_millis, numbers, to_millis, Registry};

/// The longest value of a field a check records (country, operator, method, phone), in
/// characters: longer input is denied as malformed and recorded truncated, never whole.
pub const FIELD_MAX: usize = 64;

/// How many rolls a check follows from a rolling token to the token that authorizes for it.
const ROLL_CHAIN_MAX: usize = 32;

/// A payment to check.
#[derive(Clone, Deserialize)]
pub struct AuthorizeRequest {
    /// The token as the payment API received it; zeroized on drop, never stored or printed.
    pub secret: Zeroizing<String>,
    /// ISO code of the country.
    pub country: String,
    /// Operator code.
    pub operator: String,
    /// Method code (a string, so an unknown method is a denial rather than a parse error).
    pub method: String,
    /// The customer's phone, national or international.
    #[serde(default)]
    pub phone: Option<String>,
    /// The environment the caller serves: a token of the other one is denied
    /// (`wrong_environment`). `None` accepts both (the app's and the CLI's checks).
    #[serde(default)]
    pub environment: Option<Environment>,
}

impl fmt::Debug for AuthorizeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizeRequest")
            .field("secret", &"[REDACTED]")
            .field("country", &self.country)
            .field("operator", &self.operator)
            .field("method", &self.method)
            .field("phone", &self.phone)
            .field("environment", &self.environment)
            .finish()
    }
}

/// Why a check was denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DenyReason {
    /// Wrong format or checksum.
    Malformed,
    /// No token has this digest.
    Unknown,
    /// A token of the other environment (a live token where sandbox tokens are expected).
    WrongEnvironment,
    /// The token was revoked (or the successor it authorizes as was).
    Revoked,
    /// The token expired (or the successor it authorizes as did).
    Expired,
    /// The token was rolled to a successor and its grace has ended.
    Rolled,
    /// The country is not in the composition.
    CountryNotAllowed,
    /// The operator is not allowed in that country.
    OperatorNotAllowed,
    /// The method is not allowed with that operator.
    MethodNotAllowed,
    /// The token whitelists numbers in that country (enabled or disabled) and no phone was given.
    PhoneRequired,
    /// The token whitelists numbers in that country and this phone is not one of them.
    PhoneNotWhitelisted,
    /// The phone is whitelisted on the token but disabled.
    PhoneDisabled,
}

impl DenyReason {
    /// The stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            DenyReason::Malformed => "malformed",
            DenyReason::Unknown => "unknown",
            DenyReason::WrongEnvironment => "wrong_environment",
            DenyReason::Revoked => "revoked",
            DenyReason::Expired => "expired",
            DenyReason::Rolled => "rolled",
            DenyReason::CountryNotAllowed => "country_not_allowed",
            DenyReason::OperatorNotAllowed => "operator_not_allowed",
            DenyReason::MethodNotAllowed => "method_not_allowed",
            DenyReason::PhoneRequired => "phone_required",
            DenyReason::PhoneNotWhitelisted => "phone_not_whitelisted",
            DenyReason::PhoneDisabled => "phone_disabled",
        }
    }
}

/// The answer of a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// True when the payment may go ahead.
    pub allowed: bool,
    /// Why not, when denied.
    pub reason: Option<DenyReason>,
    /// The answer in plain words.
    pub message: String,
    /// The token checked, when it exists.
    pub token: Option<TokenRef>,
    /// Its environment, when it exists.
    pub environment: Option<Environment>,
    /// Every whitelisted number of the request's country is disabled on the token: it pays no
    /// phone there until one is enabled.
    pub paused: bool,
}

struct Context<'a> {
    catalog: &'a Catalog,
    country: String,
    operator: String,
    method: String,
    phone: Option<String>,
}

impl Context<'_> {
    fn country_name(&self) -> &str {
        self.catalog.country_name(&self.country)
    }

    fn operator_name(&self) -> &str {
        self.catalog.operator_name(&self.country, &self.operator)
    }

    fn message(&self, reason: DenyReason, detail: &str) -> String {
        let country = self.country_name();
        let operator = self.operator_name();
        match reason {
            DenyReason::Malformed => format!("Denied: this is not a valid ClaPay token ({detail})"),
            DenyReason::Unknown => {
                "Denied: no token matches; it was mistyped or belongs to another registry".into()
            }
            DenyReason::WrongEnvironment => format!(
                "Denied: token '{detail}' is not a token of this environment (sandbox tokens start clp_test_, live ones clp_live_)"
            ),
            DenyReason::Revoked => format!("Denied: token '{detail}' was revoked"),
            DenyReason::Expired => format!("Denied: token '{detail}' has expired"),
            DenyReason::Rolled => format!(
                "Denied: token '{detail}' was rolled and its grace period has ended; use its successor"
            ),
            DenyReason::CountryNotAllowed => {
                format!("Denied: {country} is not in this token's composition")
            }
            DenyReason::OperatorNotAllowed => {
                format!("Denied: {operator} is not in this token's composition for {country}")
            }
            DenyReason::MethodNotAllowed => {
                format!(
                    "Denied: {} with {operator} in {country} is not in this token's composition",
                    self.method
                )
            }
            DenyReason::PhoneRequired if detail == PAUSED => format!(
                "Denied: every whitelisted number of {country} is disabled on this token, so no number of {country} can pay with it until one is enabled"
            ),
            DenyReason::PhoneRequired => {
                format!("Denied: this token only accepts whitelisted numbers in {country}; give the customer's phone number")
            }
            DenyReason::PhoneNotWhitelisted => {
                format!("Denied: {detail} is not whitelisted on this token for {country}")
            }
            DenyReason::PhoneDisabled => {
                format!("Denied: {detail} is whitelisted on this token but disabled; enable it to accept its payments")
            }
        }
    }
}

/// The detail of a `phone_required` denial in a country whose numbers are all disabled.
const PAUSED: &str = "paused";
impl Registry {
    /// Checks a payment and records the check in the history, in its own transaction, before it
    /// answers.
    pub fn authorize(
        &mut self,
        request: &AuthorizeRequest,
        now: DateTime<Utc>,
    ) -> Result<Decision> {
        let (decision, event) = decide(&self.connection, &self.catalog, request, now)?;
        let transaction = begin_write(&mut self.connection)?;
        usage::write(&transaction, std::slice::from_ref(&event))?;
        transaction.commit()?;
        Ok(decision)
    }
}

/// A field as recorded: at most [`FIELD_MAX`] characters, and whether it was longer.
fn capped(mut value: String) -> (String, bool) {
    match value.char_indices().nth(FIELD_MAX) {
        Some((cut, _)) => {
            value.truncate(cut);
            (value, true)
        }
        None => (value, false),
    }
}

/// Decides a check without writing anything, and returns the use to record.
pub(crate) fn decide(
    connection: &Connection,
    catalog: &Catalog,
    request: &AuthorizeRequest,
    now: DateTime<Utc>,
) -> Result<(Decision, UsageEvent)> {
    let (country, country_long) = capped(normalize_code(&request.country));
    let (operator, operator_long) = capped(normalize_code(&request.operator));
    let (method, method_long) = capped(normalize_code(&request.method));
    let (phone, phone_long) = match request
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|phone| !phone.is_empty())
    {
        Some(phone) => {
            let (kept, longer) = capped(phone.to_string());
            (Some(kept), longer)
        }
        None => (None, false),
    };
    let context = Context {
        catalog,
        country,
        operator,
        method,
        phone,
    };
    let too_long = [
        ("the country code", country_long),
        ("the operator code", operator_long),
        ("the method", method_long),
        ("the phone number", phone_long),
    ]
    .into_iter()
    .find(|(_, long)| *long)
    .map(|(field, _)| format!("{field} is longer than {FIELD_MAX} characters"));
    let outcome = match too_long {
        Some(detail) => Outcome::denied(DenyReason::Malformed, &detail, None),
        None => decide_checked(
            connection,
            &context,
            request.secret.as_str(),
            request.environment,
            now,
        )?,
    };
    let Outcome {
        reason,
        detail,
        token,
        paused,
    } = outcome;
    let decision = match reason {
        None => Decision {
            allowed: true,
            reason: None,
            message: format!(
                "Allowed: {} may use {} with {} in {}",
                token.as_ref().map_or("", |token| token.name.as_str()),
                context.method,
                context.operator_name(),
                context.country_name()
            ),
            environment: token.as_ref().map(|token| token.environment),
            token: None,
            paused,
        },
        Some(reason) => Decision {
            allowed: false,
            reason: Some(reason),
            message: context.message(reason, &detail),
            environment: token.as_ref().map(|token| token.environment),
            token: None,
            paused,
        },
    };
    // The token's id goes to both the answer and the record; its name to the answer only.
    let (decision, token_id) = match token {
        Some(token) => (
            Decision {
                token: Some(TokenRef {
                    id: token.id.clone(),
                    name: token.name,
                }),
                ..decision
            },
            Some(token.id),
        ),
        None => (decision, None),
    };
    let event = UsageEvent {
        token_id,
        at: to_millis(now),
        reason,
        country: context.country,
        operator: context.operator,
        method: context.method,
        phone: context.phone,
    };
    Ok((decision, event))
}

/// The token a check found.
struct CheckedToken {
    id: String,
    name: String,
    environment: Environment,
}

/// What a check decided: a denial's reason and its detail (for the message), the token, and
/// whether the country is paused (every number of it disabled).
struct Outcome {
    reason: Option<DenyReason>,
    detail: String,
    token: Option<CheckedToken>,
    paused: bool,
}

impl Outcome {
    fn denied(reason: DenyReason, detail: &str, token: Option<CheckedToken>) -> Outcome {
        Outcome {
            reason: Some(reason),
            detail: detail.to_string(),
            token,
            paused: false,
        }
    }
}

/// The state of a token that decides a check.
struct TokenState {
    id: String,
    name: String,
    revoked_at: Option<i64>,
    expires_at: Option<i64>,
    rolled_to: Option<String>,
    grace_ends_at: Option<i64>,
}

impl TokenState {
    fn status(&self, now: DateTime<Utc>) -> Status {
        Status::at(
            self.revoked_at.map(from_millis),
            self.expires_at.map(from_millis),
            self.grace_ends_at.map(from_millis),
            now,
        )
    }

    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<TokenState> {
        Ok(TokenState {
            id: row.get(0)?,
            name: row.get(1)?,
            revoked_at: row.get(2)?,
            expires_at: row.get(3)?,
            rolled_to: row.get(4)?,
            grace_ends_at: row.get(5)?,
        })
    }
}

/// What a token's composition and numbers say about a request, read by [`RULES`].
struct Rules {
    /// The composition holds the request's (country, operator, method).
    allowed: bool,
    /// The token's numbers in the request's country.
    numbers_here: i64,
    /// The state of the phone as typed (its E.164 candidate) among those numbers, if there.
    phone_as_typed: Option<bool>,
}

/// The composition and numbers of the token whose id is `{id}`, for the request's country (`?2`),
/// operator (`?3`), method (`?4`) and phone as typed in E.164 (`?5`, or NULL): each subquery reads
/// its table by key.
const RULES: &str = "
    EXISTS (SELECT 1 FROM composition
            WHERE token_id = {id} AND country = ?2 AND operator = ?3 AND method = ?4),
    (SELECT count(*) FROM numbers WHERE token_id = {id} AND country = ?2),
    (SELECT enabled FROM numbers WHERE number = ?5 AND token_id = {id} AND country = ?2)";

/// The token found by its digest (`?1`), with the rules it decides by (columns 8 to 10).
static TOKEN_AND_RULES: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT t.id, t.name, t.revoked_at, t.expires_at, t.rolled_to, t.grace_ends_at,
                t.environment, t.digest, {}
         FROM tokens t WHERE t.digest = ?1",
        RULES.replace("{id}", "t.id")
    )
});

/// The token of id `?1`, with the rules it decides by (columns 6 to 8): a rolling token's
/// successor.
static SUCCESSOR_AND_RULES: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT t.id, t.name, t.revoked_at, t.expires_at, t.rolled_to, t.grace_ends_at, {}
         FROM tokens t WHERE t.id = ?1",
        RULES.replace("{id}", "t.id")
    )
});

fn rules_from_row(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Rules> {
    Ok(Rules {
        allowed: row.get(first)?,
        numbers_here: row.get(first + 1)?,
        phone_as_typed: row.get(first + 2)?,
    })
}

/// The decision once every field fits.
fn decide_checked(
    connection: &Connection,
    context: &Context<'_>,
    secret_text: &str,
    expected: Option<Environment>,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let parsed = match secret::parse(secret_text.trim()) {
        Ok(parsed) => parsed,
        Err(malformed) => {
            return Ok(Outcome::denied(
                DenyReason::Malformed,
                &malformed.to_string(),
                None,
            ))
        }
    };
    let digest = parsed.digest();
    let as_typed = context.phone.as_deref().and_then(international_candidate);
    let found = connection
        .prepare_cached(&TOKEN_AND_RULES)?
        .query_row(
            params![
                digest.as_slice(),
                context.country,
                context.operator,
                context.method,
                as_typed
            ],
            |row| {
                let stored = row.get_ref(7)?.as_blob().unwrap_or_default();
                let environment: String = row.get(6)?;
                Ok((
                    TokenState::from_row(row)?,
                    environment,
                    digests_equal(stored, &digest),
                    rules_from_row(row, 8)?,
                ))
            },
        )
        .optional()?;
    let Some((state, stored_environment, digest_matches, own_rules)) = found else {
        return Ok(Outcome::denied(DenyReason::Unknown, "", None));
    };
    // The secret's prefix is covered by its digest, so it is what the token is; a row that says
    // otherwise was edited by hand and is not trusted.
    if !digest_matches || stored_environment != parsed.environment().code() {
        return Ok(Outcome::denied(DenyReason::Unknown, "", None));
    }
    let token = CheckedToken {
        id: state.id.clone(),
        name: state.name.clone(),
        environment: parsed.environment(),
    };
    let name = token.name.clone();
    if expected.is_some_and(|expected| expected != parsed.environment()) {
        return Ok(Outcome::denied(
            DenyReason::WrongEnvironment,
            &name,
            Some(token),
        ));
    }
    match state.status(now) {
        Status::Revoked => return Ok(Outcome::denied(DenyReason::Revoked, &name, Some(token))),
        Status::Rolled => return Ok(Outcome::denied(DenyReason::Rolled, &name, Some(token))),
        Status::Expired => return Ok(Outcome::denied(DenyReason::Expired, &name, Some(token))),
        Status::Rolling | Status::Active => {}
    }
    // A rolling token decides as the end of its chain of rolls: the successor, or the
    // successor's successor if that one was rolled too. That token must itself be usable.
    let mut deciding = (state, own_rules);
    for _ in 0..ROLL_CHAIN_MAX {
        let Some(next) = deciding.0.rolled_to.clone() else {
            break;
        };
        let successor = connection
            .prepare_cached(&SUCCESSOR_AND_RULES)?
            .query_row(
                params![
                    next,
                    context.country,
                    context.operator,
                    context.method,
                    as_typed
                ],
                |row| Ok((TokenState::from_row(row)?, rules_from_row(row, 6)?)),
            )
            .optional()?;
        match successor {
            Some(successor) => deciding = successor,
            None => return Ok(Outcome::denied(DenyReason::Unknown, "", Some(token))),
        }
    }
    let (deciding, rules) = deciding;
    if deciding.rolled_to.is_some() {
        // A chain longer than any merchant makes: refuse rather than guess.
        return Ok(Outcome::denied(DenyReason::Rolled, &name, Some(token)));
    }
    if deciding.id != token.id {
        let successor = format!("{} (the successor of '{name}')", deciding.name);
        match deciding.status(now) {
            Status::Revoked => {
                return Ok(Outcome::denied(
                    DenyReason::Revoked,
                    &successor,
                    Some(token),
                ))
            }
            Status::Expired => {
                return Ok(Outcome::denied(
                    DenyReason::Expired,
                    &successor,
                    Some(token),
                ))
            }
            _ => {}
        }
    }
    if !rules.allowed {
        let reason = composition_refusal(connection, &deciding.id, context)?;
        return Ok(Outcome::denied(reason, "", Some(token)));
    }
    let whitelist = whitelist_decision(connection, &deciding.id, context, &rules, as_typed)?;
    // Whether every number of the country is disabled, for the words of a denial only.
    let paused = match whitelist {
        Whitelist::Unrestricted | Whitelist::Enabled => false,
        Whitelist::Required | Whitelist::Disabled(_) | Whitelist::NotListed(_) => {
            let enabled: i64 = connection
                .prepare_cached(
                    "SELECT count(*) FROM numbers WHERE token_id = ?1 AND country = ?2 AND enabled = 1",
                )?
                .query_row(params![deciding.id, context.country], |row| row.get(0))?;
            enabled == 0
        }
    };
    let mut outcome = match whitelist {
        Whitelist::Unrestricted | Whitelist::Enabled => Outcome {
            reason: None,
            detail: String::new(),
            token: Some(token),
            paused: false,
        },
        Whitelist::Required => Outcome::denied(
            DenyReason::PhoneRequired,
            if paused { PAUSED } else { "" },
            Some(token),
        ),
        Whitelist::Disabled(number) => Outcome::denied(
            DenyReason::PhoneDisabled,
            &numbers::format_international(&number),
            Some(token),
        ),
        Whitelist::NotListed(shown) => {
            Outcome::denied(DenyReason::PhoneNotWhitelisted, &shown, Some(token))
        }
    };
    outcome.paused = paused;
    Ok(outcome)
}

/// Why a composition that does not hold the request's triple refuses it: its country, its
/// operator in that country, or its method with that operator. An unknown method string never
/// equals a stored one, so it lands on "method not allowed".
fn composition_refusal(
    connection: &Connection,
    token_id: &str,
    context: &Context<'_>,
) -> Result<DenyReason> {
    let level: Option<i64> = connection
        .prepare_cached(
            "SELECT max(CASE WHEN operator = ?3 THEN 2 ELSE 1 END)
             FROM composition WHERE token_id = ?1 AND country = ?2",
        )?
        .query_row(
            params![token_id, context.country, context.operator],
            |row| row.get(0),
        )?;
    Ok(match level {
        None => DenyReason::CountryNotAllowed,
        Some(1) => DenyReason::OperatorNotAllowed,
        Some(_) => DenyReason::MethodNotAllowed,
    })
}

/// What a token's numbers say about a request's phone.
enum Whitelist {
    /// No number in the request's country: any phone may pay there.
    Unrestricted,
    /// The phone is an enabled number of the token in that country.
    Enabled,
    /// The token has numbers there and no phone was given.
    Required,
    /// The phone is a disabled number of the token in that country (E.164).
    Disabled(String),
    /// The token has numbers there and the phone is none of them (shown as typed or normalised).
    NotListed(String),
}

/// The whitelist's answer from the rules read with the token. A phone typed in E.164 was looked
/// up there as it is; any other form (or an E.164 one the token does not hold, which may be a
/// non-canonical spelling) is normalised by libphonenumber and looked up once more.
fn whitelist_decision(
    connection: &Connection,
    token_id: &str,
    context: &Context<'_>,
    rules: &Rules,
    as_typed: Option<String>,
) -> Result<Whitelist> {
    if rules.numbers_here == 0 {
        return Ok(Whitelist::Unrestricted);
    }
    let Some(phone) = context.phone.as_deref() else {
        return Ok(Whitelist::Required);
    };
    let mut found = match (as_typed, rules.phone_as_typed) {
        (Some(number), Some(enabled)) => Some((number, enabled)),
        _ => None,
    };
    // The phone as a denial shows it: formatted when it is a valid number, else as typed.
    let mut valid = None;
    if found.is_none() {
        if let Ok(number) = numbers::normalize(context.catalog, &context.country, phone) {
            let enabled: Option<bool> = connection
                .prepare_cached(
                    "SELECT enabled FROM numbers WHERE number = ?1 AND token_id = ?2 AND country = ?3",
                )?
                .query_row(params![number, token_id, context.country], |row| row.get(0))
                .optional()?;
            match enabled {
                Some(enabled) => found = Some((number, enabled)),
                None => valid = Some(number),
            }
        }
    }
    Ok(match found {
        Some((_, true)) => Whitelist::Enabled,
        Some((number, false)) => Whitelist::Disabled(number),
        None => Whitelist::NotListed(valid.map_or_else(
            || phone.to_string(),
            |number| numbers::format_international(&number),
        )),
    })
}

/// The E.164 spelling of a phone typed in international form (`+` or `00`, separators allowed),
/// without libphonenumber: a stored number is already valid, so an exact match needs no parsing.
/// National forms return `None`.
fn international_candidate(phone: &str) -> Option<String> {
    let mut out = String::with_capacity(phone.len());
    for character in phone.chars() {
        match character {
            '0'..='9' => out.push(character),
            '+' if out.is_empty() => out.push('+'),
            ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
            _ => return None,
        }
    }
    if let Some(rest) = out.strip_prefix("00") {
        out = format!("+{rest}");
    }
    (out.starts_with('+') && out.len() > 1).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::{capped, international_candidate, FIELD_MAX};

    #[test]
    fn international_forms_are_compacted_and_national_ones_are_not() {
        assert_eq!(
            international_candidate("+225 07 07-07.07 07").as_deref(),
            Some("+2250707070707")
        );
        assert_eq!(
            international_candidate("00225 0707070707").as_deref(),
            Some("+2250707070707")
        );
        assert_eq!(international_candidate("07 07 07 07 07"), None);
        assert_eq!(international_candidate("+225 07 ext 1"), None);
        assert_eq!(international_candidate("+"), None);
    }

    #[test]
    fn recorded_fields_are_capped_at_the_limit() {
        assert_eq!(capped("CI".to_string()), ("CI".to_string(), false));
        let long = "é".repeat(FIELD_MAX + 10);
        let (kept, longer) = capped(long);
        assert!(longer);
        assert_eq!(
            kept.chars().count(),
            FIELD_MAX,
            "cut at characters, not bytes"
        );
    }
}
