//! Creating, editing and revoking tokens. Each is one IMMEDIATE transaction that appends its
//! history event, so the change and its trace are on disk together or not at all.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde_json::json;

use crate::catalog::Triple;
use crate::error::{Error, Result};
use crate::history::{self, EventKind};
use crate::secret::{self, Environment};
use crate::token::{
    load_details, name_key, require_editable, require_exists, validate_description, validate_name,
    CreatedToken, NewToken, TokenChanges, TokenDetails,
};
use crate::{begin_write, composition, from_millis, numbers, to_millis, Catalog, Registry};

/// A token's fields once checked, ready to be written.
pub(crate) struct CheckedToken {
    pub name: String,
    pub description: String,
    pub environment: Environment,
    pub expires_at: Option<DateTime<Utc>>,
    pub triples: BTreeSet<Triple>,
    /// (E.164 number, country), each once.
    pub numbers: Vec<(String, String)>,
}

/// Checks everything a create needs before the database is touched.
pub(crate) fn check_new_token(
    catalog: &Catalog,
    request: &NewToken,
    now: DateTime<Utc>,
) -> Result<CheckedToken> {
    let name = validate_name(&request.name)?;
    let description = validate_description(&request.description)?;
    let expires_at = request.expiry.resolve(now)?;
    let triples = composition::validate(catalog, &request.composition)?;
    let countries: BTreeSet<&str> = triples.iter().map(|t| t.country.as_str()).collect();
    let mut numbers = Vec::new();
    for requested in &request.numbers {
        let country = crate::catalog::normalize_code(&requested.country);
        let e164 = numbers::normalize(catalog, &country, &requested.phone)?;
        if !countries.contains(country.as_str()) {
            return Err(Error::CountryNotInComposition { country });
        }
        if !numbers.iter().any(|(existing, _)| *existing == e164) {
            numbers.push((e164, country));
        }
    }
    Ok(CheckedToken {
        name,
        description,
        environment: request.environment,
        expires_at,
        triples,
        numbers,
    })
}

/// Writes a new token row with its composition, and returns its secret. The numbers, the
/// history event and the name check are the caller's (a create and a roll differ there).
pub(crate) fn insert_token(
    transaction: &Transaction<'_>,
    registry_rng: &ring::rand::SystemRandom,
    token: &CheckedToken,
    now: DateTime<Utc>,
) -> Result<(String, secret::Secret)> {
    let secret = secret::generate(registry_rng, token.environment);
    let digest = secret::digest(secret.expose_secret());
    let id = new_id(now);
    transaction
        .prepare_cached(
            "INSERT INTO tokens (id, name, name_key, description, environment, digest, hint, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            id,
            token.name,
            name_key(&token.name),
            token.description,
            token.environment.code(),
            digest.as_slice(),
            secret::hint(&secret),
            to_millis(now),
            token.expires_at.map(to_millis)
        ])
        .map_err(|error| name_conflict(error, &token.name))?;
    composition::insert(transaction, &id, &token.triples)?;
    Ok((id, secret))
}

/// Refuses a name another token that is not revoked already has (case-insensitively).
pub(crate) fn ensure_name_free(
    connection: &Connection,
    name: &str,
    except_id: Option<&str>,
) -> Result<()> {
    let existing: Option<String> = connection
        .prepare_cached(
            "SELECT name FROM tokens WHERE name_key = ?1 AND revoked_at IS NULL AND id IS NOT ?2",
        )?
        .query_row(params![name_key(name), except_id], |row| row.get(0))
        .optional()?;
    match existing {
        Some(name) => Err(Error::NameTaken { name }),
        None => Ok(()),
    }
}

fn name_conflict(error: rusqlite::Error, name: &str) -> Error {
    // The partial UNIQUE index catches a concurrent writer that slipped past ensure_name_free.
    if let rusqlite::Error::SqliteFailure(code, Some(message)) = &error {
        if code.code == rusqlite::ErrorCode::ConstraintViolation && message.contains("name_key") {
            return Error::NameTaken {
                name: name.to_string(),
            };
        }
    }
    Error::Storage(error)
}

/// A UUIDv7 from `now`. Ids made by this process increase (a counter orders those of one
/// millisecond), so the list's tie-break by id keeps tokens created together in creation order.
fn new_id(now: DateTime<Utc>) -> String {
    static CONTEXT: std::sync::Mutex<uuid::ContextV7> =
        std::sync::Mutex::new(uuid::ContextV7::new());
    let context = CONTEXT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let seconds = u64::try_from(now.timestamp()).unwrap_or(0);
    let timestamp = uuid::Timestamp::from_unix(&*context, seconds, now.timestamp_subsec_nanos());
    uuid::Uuid::new_v7(timestamp).hyphenated().to_string()
}

pub(crate) fn triple_labels(triples: &BTreeSet<Triple>) -> Vec<String> {
    triples
        .iter()
        .map(|t| format!("{}:{}:{}", t.country, t.operator, t.method))
        .collect()
}

pub(crate) fn expiry_json(expiry: Option<DateTime<Utc>>) -> serde_json::Value {
    expiry.map_or(serde_json::Value::Null, |time| {
        json!(time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    })
}

impl Registry {
    /// Creates a token with its composition and numbers, all or nothing, and returns its secret.
    pub fn create_token(&mut self, request: &NewToken, now: DateTime<Utc>) -> Result<CreatedToken> {
        let token = check_new_token(&self.catalog, request, now)?;
        let rng = &self.rng;
        let transaction = begin_write(&mut self.connection)?;
        ensure_name_free(&transaction, &token.name, None)?;
        let (id, secret) = insert_token(&transaction, rng, &token, now)?;
        for (number, country) in &token.numbers {
            numbers::insert(&transaction, &id, country, number, now)?;
        }
        history::append(
            &transaction,
            Some(&id),
            EventKind::Created,
            &json!({
                "name": token.name,
                "environment": token.environment,
                "expires_at": expiry_json(token.expires_at),
                "composition": triple_labels(&token.triples),
                "numbers": token.numbers.iter().map(|(number, _)| number).collect::<Vec<_>>(),
            }),
            now,
        )?;
        let details = load_details(&transaction, &id, now)?;
        transaction.commit()?;
        Ok(CreatedToken {
            token: details,
            secret,
        })
    }

    /// Changes name, description or expiry; each change is one history event.
    pub fn update_token(
        &mut self,
        id: &str,
        changes: &TokenChanges,
        now: DateTime<Utc>,
    ) -> Result<TokenDetails> {
        let name = changes.name.as_deref().map(validate_name).transpose()?;
        let description = changes
            .description
            .as_deref()
            .map(validate_description)
            .transpose()?;
        let expires_at = changes
            .expiry
            .map(|expiry| expiry.resolve(now))
            .transpose()?;
        let transaction = begin_write(&mut self.connection)?;
        let current = require_editable(&transaction, id)?;
        let (old_description, old_expiry): (String, Option<i64>) = transaction
            .prepare_cached("SELECT description, expires_at FROM tokens WHERE id = ?1")?
            .query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))?;
        if let Some(name) = name.filter(|name| *name != current.name) {
            ensure_name_free(&transaction, &name, Some(id))?;
            transaction
                .prepare_cached("UPDATE tokens SET name = ?2, name_key = ?3 WHERE id = ?1")?
                .execute(params![id, name, name_key(&name)])
                .map_err(|error| name_conflict(error, &name))?;
            history::append(
                &transaction,
                Some(id),
                EventKind::NameChanged,
                &json!({"from": current.name, "to": name}),
                now,
            )?;
        }
        if let Some(description) = description.filter(|text| *text != old_description) {
            transaction
                .prepare_cached("UPDATE tokens SET description = ?2 WHERE id = ?1")?
                .execute(params![id, description])?;
            history::append(
                &transaction,
                Some(id),
                EventKind::DescriptionChanged,
                &json!({"from": old_description, "to": description}),
                now,
            )?;
        }
        if let Some(expires_at) = expires_at.filter(|new| new.map(to_millis) != old_expiry) {
            transaction
                .prepare_cached("UPDATE tokens SET expires_at = ?2 WHERE id = ?1")?
                .execute(params![id, expires_at.map(to_millis)])?;
            history::append(
                &transaction,
                Some(id),
                EventKind::ExpiryChanged,
                &json!({"from": expiry_json(old_expiry.map(from_millis)), "to": expiry_json(expires_at)}),
                now,
            )?;
        }
        let details = load_details(&transaction, id, now)?;
        transaction.commit()?;
        Ok(details)
    }

    /// Revokes a token: it can no longer authorize, and its numbers are released. Revoking a
    /// revoked token changes nothing. A rolling token can be revoked too (its grace ends with it).
    pub fn revoke_token(&mut self, id: &str, now: DateTime<Utc>) -> Result<TokenDetails> {
        let transaction = begin_write(&mut self.connection)?;
        let current = require_exists(&transaction, id)?;
        if current.revoked_at.is_none() {
            let released: Vec<String> = transaction
                .prepare_cached("SELECT number FROM numbers WHERE token_id = ?1 ORDER BY number")?
                .query_map([id], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            transaction
                .prepare_cached("DELETE FROM numbers WHERE token_id = ?1")?
                .execute([id])?;
            transaction
                .prepare_cached("UPDATE tokens SET revoked_at = max(?2, created_at) WHERE id = ?1")?
                .execute(params![id, to_millis(now)])?;
            history::append(
                &transaction,
                Some(id),
                EventKind::Revoked,
                &json!({"numbers_released": released}),
                now,
            )?;
        }
        let details = load_details(&transaction, id, now)?;
        transaction.commit()?;
        Ok(details)
    }
}
