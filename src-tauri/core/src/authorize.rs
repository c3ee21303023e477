//! Authorize: the check the payment API makes on every request.
//!
//! Order of the checks: format and checksum (no database access), digest lookup, revoked, expired,
//! country, operator, method, phone. The stored digest is compared in constant time. An allowed
//! check updates `last_used_at`; every check appends a `used` or `denied` event (with no secret: a
//! check of a token that does not exist is recorded with no token). Both are recorded through
//! [`crate::usage`], off the decision path; the decision itself is one cached statement.

use crate::db::Cached;
use std::fmt;

use chrono::{DateTime, Utc};
use rusqlite::types::Type;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::catalog::{normalize_code, Catalog};
use crate::error::Result;
use crate::secret::{self, digests_equal};
use crate::token::{Status, TokenRef};
use crate::usage::UsageEvent;
use crate::{from_millis, numbers, to_millis, Registry};

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
}

impl fmt::Debug for AuthorizeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizeRequest")
            .field("secret", &"[REDACTED]")
            .field("country", &self.country)
            .field("operator", &self.operator)
            .field("method", &self.method)
            .field("phone", &self.phone)
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
    /// The token was revoked.
    Revoked,
    /// The token expired.
    Expired,
    /// The country is not in the composition.
    CountryNotAllowed,
    /// The operator is not allowed in that country.
    OperatorNotAllowed,
    /// The method is not allowed with that operator.
    MethodNotAllowed,
    /// The token whitelists numbers in that country and no phone was given.
    PhoneRequired,
    /// The phone is not whitelisted.
    PhoneNotWhitelisted,
    /// The phone is whitelisted but disabled.
    PhoneDisabled,
}

impl DenyReason {
    /// The stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            DenyReason::Malformed => "malformed",
            DenyReason::Unknown => "unknown",
            DenyReason::Revoked => "revoked",
            DenyReason::Expired => "expired",
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
            DenyReason::Revoked => format!("Denied: token '{detail}' was revoked"),
            DenyReason::Expired => format!("Denied: token '{detail}' has expired"),
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
            DenyReason::PhoneRequired => {
                format!("Denied: this token only accepts whitelisted numbers in {country}; give the customer's phone number")
            }
            DenyReason::PhoneNotWhitelisted => {
                format!("Denied: {detail} is not whitelisted on this token for {country}")
            }
            DenyReason::PhoneDisabled => {
                format!("Denied: {detail} is whitelisted on this token but disabled")
            }
        }
    }
}

impl Registry {
    /// Checks a payment and records the check in the history.
    ///
    /// The decision is one prepared statement; recording it (the `used` / `denied` event and the
    /// coalesced `last_used_at`) is handed to the usage writer and does not wait for the disk (see
    /// [`crate::usage`]). [`Registry::flush_usage`] waits for it.
    pub fn authorize(
        &mut self,
        request: &AuthorizeRequest,
        now: DateTime<Utc>,
    ) -> Result<Decision> {
        let context = Context {
            catalog: &self.catalog,
            country: normalize_code(&request.country),
            operator: normalize_code(&request.operator),
            method: normalize_code(&request.method),
            phone: request
                .phone
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string),
        };
        let (decision, token_id, stored_last_used) =
            decide(&self.connection, &context, request.secret.as_str(), now)?;
        let event = UsageEvent {
            token_id,
            at: to_millis(now),
            reason: decision.reason,
            country: context.country,
            operator: context.operator,
            method: context.method,
            phone: context.phone,
        };
        self.usage
            .record(&self.connection, event, stored_last_used)?;
        Ok(decision)
    }
}

/// The decision in one statement: the token by digest (the `digest` UNIQUE index, then its row,
/// which carries its composition and its whitelisted numbers: see migrations 0004 and 0008). A
/// check reads nothing else, as the floor it is measured against (SHA-256 and one indexed
/// SELECT), and decides from one snapshot of the token.
const DECIDE: &str =
    "SELECT id, name, digest, revoked_at, expires_at, last_used_at, grants, whitelist
     FROM tokens WHERE digest = ?1";

/// How far a request matches the token's grants ('CC:OPERATOR:METHOD' triples separated by
/// spaces): 3 allowed, 2 the method is missing, 1 the operator, 0 the country.
fn grant_level(grants: &str, country: &str, operator: &str, method: &str) -> u8 {
    let mut level = 0;
    for grant in grants.split(' ') {
        let mut parts = grant.splitn(3, ':');
        if parts.next() != Some(country) {
            continue;
        }
        if parts.next() != Some(operator) {
            level = level.max(1);
            continue;
        }
        if parts.next() != Some(method) {
            level = level.max(2);
            continue;
        }
        return 3;
    }
    level
}

/// What a token's whitelist copy (schema 8) says about a request. The copy lists every number of
/// the token as one entry, its country then the number in E.164 when it is enabled
/// ('CI+2250701020304') or with '-' in place of the '+' when it is disabled ('CI-2250505050505'),
/// separated by spaces. Returns whether the token has an enabled number in `country` (then only
/// those may pay there), and the state of `number` (E.164) in `country`: Some(enabled) when the
/// token holds it there, None when it does not.
fn whitelist_match(whitelist: &str, country: &str, number: Option<&str>) -> (bool, Option<bool>) {
    let digits = number.and_then(|number| number.strip_prefix('+'));
    let mut active = false;
    let mut state = None;
    for entry in whitelist.split(' ') {
        let Some(rest) = entry.strip_prefix(country) else {
            continue;
        };
        // A country code is two letters and a number starts with its sign, so "C" never matches
        // "CI+...".
        let (enabled, entry_digits) = match rest.split_at_checked(1) {
            Some(("+", entry_digits)) => (true, entry_digits),
            Some(("-", entry_digits)) => (false, entry_digits),
            _ => continue,
        };
        active |= enabled;
        if Some(entry_digits) == digits {
            state = Some(enabled);
        }
    }
    (active, state)
}

/// The E.164 candidate of a phone typed in international form (`+` or `00`, separators allowed)
/// without libphonenumber: a stored number is already valid, so an exact match needs no parsing.
/// National forms return `None` and go through [`numbers::normalize`].
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

type Decided = (Decision, Option<String>, Option<i64>);

fn decide(
    connection: &rusqlite::Connection,
    context: &Context<'_>,
    secret_text: &str,
    now: DateTime<Utc>,
) -> Result<Decided> {
    let deny = |reason: DenyReason, detail: &str, token: Option<TokenRef>| Decision {
        allowed: false,
        reason: Some(reason),
        message: context.message(reason, detail),
        token,
    };
    let parsed = match secret::parse(secret_text.trim()) {
        Ok(parsed) => parsed,
        Err(malformed) => {
            return Ok((
                deny(DenyReason::Malformed, &malformed.to_string(), None),
                None,
                None,
            ))
        }
    };
    let digest = parsed.digest();
    let candidate = context.phone.as_deref().and_then(international_candidate);
    let row = connection
        .cached(DECIDE)?
        .query_row(
            params![digest.as_slice()],
            // The digest, the grants and the whitelist are read in place: no copy per check.
            |row| {
                let text = |index: usize| -> rusqlite::Result<Option<&str>> {
                    row.get_ref(index)?.as_str_or_null().map_err(|error| {
                        rusqlite::Error::FromSqlConversionFailure(index, Type::Text, error.into())
                    })
                };
                let stored = row.get_ref(2)?.as_blob().map_err(|error| {
                    rusqlite::Error::FromSqlConversionFailure(2, Type::Blob, error.into())
                })?;
                let whitelist = text(7)?;
                let (active, state) = whitelist.map_or((false, None), |whitelist| {
                    whitelist_match(whitelist, &context.country, candidate.as_deref())
                });
                Ok(Row {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    digest_matches: digests_equal(stored, &digest),
                    revoked_at: row.get(3)?,
                    expires_at: row.get(4)?,
                    last_used_at: row.get(5)?,
                    grant_level: grant_level(
                        text(6)?.unwrap_or(""),
                        &context.country,
                        &context.operator,
                        &context.method,
                    ),
                    whitelist: (active, state),
                    // Copied only when the copy must be read again: a phone it did not hold as
                    // typed, looked up once libphonenumber has normalised it.
                    whitelist_copy: whitelist
                        .filter(|_| active && state.is_none() && context.phone.is_some())
                        .map(str::to_string),
                })
            },
        )
        .optional()?;
    let Some(row) = row else {
        return Ok((deny(DenyReason::Unknown, "", None), None, None));
    };
    if !row.digest_matches {
        return Ok((deny(DenyReason::Unknown, "", None), None, None));
    }
    let token = TokenRef {
        id: row.id,
        name: row.name,
    };
    let last_used = row.last_used_at;
    let denied = |reason: DenyReason, detail: &str| {
        Ok((
            deny(reason, detail, Some(token.clone())),
            Some(token.id.clone()),
            last_used,
        ))
    };
    match Status::at(
        row.revoked_at.map(from_millis),
        row.expires_at.map(from_millis),
        now,
    ) {
        Status::Revoked => return denied(DenyReason::Revoked, &token.name),
        Status::Expired => return denied(DenyReason::Expired, &token.name),
        Status::Active => {}
    }
    // An unknown method string never equals a stored one, so it lands on "method not allowed".
    match row.grant_level {
        0 => return denied(DenyReason::CountryNotAllowed, ""),
        1 => return denied(DenyReason::OperatorNotAllowed, ""),
        2 => return denied(DenyReason::MethodNotAllowed, ""),
        _ => {}
    }
    // Per country: with at least one enabled number, only those numbers may pay there.
    let (whitelist_active, state_as_typed) = row.whitelist;
    if whitelist_active {
        let Some(phone) = context.phone.as_deref() else {
            return denied(DenyReason::PhoneRequired, "");
        };
        // The whitelisted number matched, as stored (E.164), with its enabled flag.
        let mut normalized = None;
        let found: Option<(String, bool)> = match (candidate, state_as_typed) {
            (Some(number), Some(enabled)) => Some((number, enabled)),
            (candidate, _) => {
                // Not found as typed: a stranger, a national form, or an international one that
                // is not canonical. Normalise with libphonenumber (only this path pays for it)
                // and look the result up in the same copy.
                normalized = numbers::normalize(context.catalog, &context.country, phone).ok();
                match normalized.as_deref() {
                    Some(number) if Some(number) != candidate.as_deref() => {
                        let copy = row.whitelist_copy.as_deref().unwrap_or_default();
                        whitelist_match(copy, &context.country, Some(number))
                            .1
                            .map(|enabled| (number.to_string(), enabled))
                    }
                    _ => None,
                }
            }
        };
        match found {
            Some((_, true)) => {}
            Some((number, false)) => {
                return denied(
                    DenyReason::PhoneDisabled,
                    &numbers::format_international(&number),
                )
            }
            None => {
                let shown = normalized
                    .as_deref()
                    .map_or_else(|| phone.to_string(), numbers::format_international);
                return denied(DenyReason::PhoneNotWhitelisted, &shown);
            }
        }
    }
    let message = format!(
        "Allowed: {} may use {} with {} in {}",
        token.name,
        context.method,
        context.operator_name(),
        context.country_name()
    );
    let id = token.id.clone();
    Ok((
        Decision {
            allowed: true,
            reason: None,
            message,
            token: Some(token),
        },
        Some(id),
        last_used,
    ))
}

struct Row {
    id: String,
    name: String,
    /// The stored digest equals the request's (compared in constant time).
    digest_matches: bool,
    revoked_at: Option<i64>,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    /// How far the request matches the token's grants (see [`grant_level`]).
    grant_level: u8,
    /// From the whitelist copy: the token has an enabled number in the request's country, and
    /// the state of the phone as typed (in E.164) if the token holds it there (see
    /// [`whitelist_match`]).
    whitelist: (bool, Option<bool>),
    /// The whitelist copy itself, when a phone was given and the copy did not hold it as typed.
    whitelist_copy: Option<String>,
}

#[cfg(test)]
mod grant_tests {
    use super::{grant_level, whitelist_match};

    #[test]
    fn whitelist_match_finds_the_country_and_the_exact_number() {
        let whitelist = "CI+2250701020304 CI-2250505050505 CI+2250707080910 SN-221771234567";
        let check =
            |country: &str, number: Option<&str>| whitelist_match(whitelist, country, number);
        assert_eq!(check("CI", Some("+2250707080910")), (true, Some(true)));
        assert_eq!(check("CI", Some("+2250505050505")), (true, Some(false)));
        assert_eq!(check("CI", None), (true, None));
        // Another country's number, a prefix of a number, a number without its '+': not held.
        assert_eq!(check("CI", Some("+221771234567")), (true, None));
        assert_eq!(check("CI", Some("+22507010203")), (true, None));
        assert_eq!(check("CI", Some("2250701020304")), (true, None));
        // Senegal's only number is disabled: any phone pays there, and that one is known.
        assert_eq!(check("SN", Some("+221771234567")), (false, Some(false)));
        assert_eq!(check("SN", Some("+221781234567")), (false, None));
        // A country without numbers, or a part of a code, whitelists nothing.
        assert_eq!(check("ML", Some("+22370123456")), (false, None));
        assert_eq!(check("C", Some("I+2250701020304")), (false, None));
        assert_eq!(check("", Some("CI+2250701020304")), (false, None));
        assert_eq!(whitelist_match("", "CI", Some("")), (false, None));
    }

    #[test]
    fn grant_level_says_how_far_a_request_matches() {
        let grants = "CI:MTN:CASHOUT CI:OM:CASHIN CI:OM:MERCHANT SN:WAVE:MERCHANT";
        assert_eq!(grant_level(grants, "CI", "OM", "MERCHANT"), 3);
        assert_eq!(grant_level(grants, "SN", "WAVE", "MERCHANT"), 3);
        assert_eq!(grant_level(grants, "CI", "OM", "CASHOUT"), 2);
        assert_eq!(grant_level(grants, "CI", "MOOV", "MERCHANT"), 1);
        assert_eq!(grant_level(grants, "ML", "OM", "MERCHANT"), 0);
        // Prefixes and empty parts never match a whole code.
        assert_eq!(grant_level(grants, "C", "OM", "MERCHANT"), 0);
        assert_eq!(grant_level(grants, "CI", "O", "MERCHANT"), 1);
        assert_eq!(grant_level(grants, "CI", "OM", "MERCH"), 2);
        assert_eq!(grant_level(grants, "", "", ""), 0);
        assert_eq!(grant_level("", "CI", "OM", "MERCHANT"), 0);
    }
}
