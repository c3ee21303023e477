//! Authorize: the check the payment API makes on every request.
//!
//! Order of the checks: format and checksum (no database access), digest lookup, revoked, expired,
//! country, operator, method, phone. The stored digest is compared in constant time. An allowed
//! check updates `last_used_at`; every check appends a `used` or `denied` event (with no secret: a
//! check of a token that does not exist is recorded with no token).

use std::fmt;

use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use serde_json::json;
use zeroize::Zeroizing;

use crate::catalog::{normalize_code, Catalog, Method};
use crate::error::Result;
use crate::history::{self, EventKind};
use crate::secret::{self, digests_equal};
use crate::token::{Status, TokenRef};
use crate::{composition, from_millis, numbers, to_millis, Registry};

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

    fn detail(&self) -> serde_json::Value {
        json!({
            "country": self.country,
            "operator": self.operator,
            "method": self.method,
            "phone": self.phone,
        })
    }
}

impl Registry {
    /// Checks a payment and records the check in the history.
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
        let (decision, token_id) =
            decide(&self.connection, &context, request.secret.as_str(), now)?;
        let detail = {
            let mut detail = context.detail();
            if let Some(reason) = decision.reason {
                detail["reason"] = json!(reason.code());
            }
            detail
        };
        let transaction = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if decision.allowed {
            transaction
                .prepare_cached("UPDATE tokens SET last_used_at = ?2 WHERE id = ?1")?
                .execute(rusqlite::params![token_id, to_millis(now)])?;
        }
        let kind = if decision.allowed {
            EventKind::Used
        } else {
            EventKind::Denied
        };
        history::append(&transaction, token_id.as_deref(), kind, &detail, now)?;
        transaction.commit()?;
        Ok(decision)
    }
}

fn decide(
    connection: &rusqlite::Connection,
    context: &Context<'_>,
    secret_text: &str,
    now: DateTime<Utc>,
) -> Result<(Decision, Option<String>)> {
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
            ))
        }
    };
    let digest = parsed.digest();
    let row = connection
        .prepare_cached(
            "SELECT id, name, digest, revoked_at, expires_at FROM tokens WHERE digest = ?1",
        )?
        .query_row([digest.as_slice()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Vec<u8>>(2)?,
                row.get::<_, Option<i64>>(3)?,
                row.get::<_, Option<i64>>(4)?,
            ))
        })
        .optional()?;
    let Some((id, name, stored, revoked_at, expires_at)) = row else {
        return Ok((deny(DenyReason::Unknown, "", None), None));
    };
    if !digests_equal(&stored, &digest) {
        return Ok((deny(DenyReason::Unknown, "", None), None));
    }
    let token = TokenRef {
        id: id.clone(),
        name: name.clone(),
    };
    let denied = |reason: DenyReason, detail: &str| {
        Ok((deny(reason, detail, Some(token.clone())), Some(id.clone())))
    };
    match Status::at(
        revoked_at.map(from_millis),
        expires_at.map(from_millis),
        now,
    ) {
        Status::Revoked => return denied(DenyReason::Revoked, &name),
        Status::Expired => return denied(DenyReason::Expired, &name),
        Status::Active => {}
    }
    let triples = composition::load(connection, &id)?;
    if !triples.iter().any(|t| t.country == context.country) {
        return denied(DenyReason::CountryNotAllowed, "");
    }
    if !triples
        .iter()
        .any(|t| t.country == context.country && t.operator == context.operator)
    {
        return denied(DenyReason::OperatorNotAllowed, "");
    }
    let method = context.method.parse::<Method>().ok();
    let method_allowed = triples.iter().any(|t| {
        t.country == context.country && t.operator == context.operator && Some(t.method) == method
    });
    if !method_allowed {
        return denied(DenyReason::MethodNotAllowed, "");
    }
    // Per country: with at least one enabled number, only those numbers may pay there.
    let whitelisted: Vec<(String, bool)> = numbers::load(connection, &id)?
        .into_iter()
        .filter(|entry| entry.country == context.country)
        .map(|entry| (entry.number, entry.enabled))
        .collect();
    if whitelisted.iter().any(|(_, enabled)| *enabled) {
        let Some(phone) = context.phone.as_deref() else {
            return denied(DenyReason::PhoneRequired, "");
        };
        let normalized = numbers::normalize(context.catalog, &context.country, phone).ok();
        let shown = normalized
            .as_deref()
            .map_or_else(|| phone.to_string(), numbers::format_international);
        match whitelisted
            .iter()
            .find(|(number, _)| Some(number.as_str()) == normalized.as_deref())
        {
            None => return denied(DenyReason::PhoneNotWhitelisted, &shown),
            Some((_, false)) => return denied(DenyReason::PhoneDisabled, &shown),
            Some((_, true)) => {}
        }
    }
    let message = format!(
        "Allowed: {} may use {} with {} in {}",
        name,
        context.method,
        context.operator_name(),
        context.country_name()
    );
    Ok((
        Decision {
            allowed: true,
            reason: None,
            message,
            token: Some(token),
        },
        Some(id),
    ))
}
