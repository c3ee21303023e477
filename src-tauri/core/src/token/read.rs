//! Reading one token: its summary row, its details, and the preconditions of every edit.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::catalog::{group, Triple};
use crate::error::{Error, Result};
use crate::reminders::EXPIRING_WITHIN_DAYS;
use crate::secret::Environment;
use crate::token::{
    name_key, CompositionCard, OperatorMethods, Status, TokenDetails, TokenRef, TokenSummary,
};
use crate::{composition, from_millis, numbers, Registry};

/// The columns of a [`TokenSummary`], for a query over `tokens t` ([`summary_from_row`] reads
/// them in this order).
pub(crate) const SUMMARY_COLUMNS: &str = "t.id, t.name, t.description, t.environment, t.hint,
     t.created_at, t.expires_at, t.revoked_at, t.rolled_to, t.grace_ends_at, t.last_used_at,
     (SELECT group_concat(country) FROM (SELECT DISTINCT country FROM composition c WHERE c.token_id = t.id ORDER BY country)),
     (SELECT count(*) FROM composition c WHERE c.token_id = t.id),
     (SELECT count(*) FROM numbers n WHERE n.token_id = t.id),
     (SELECT count(*) FROM numbers n WHERE n.token_id = t.id AND n.enabled = 1)";

pub(crate) fn summary_from_row(
    row: &Row<'_>,
    now: DateTime<Utc>,
) -> rusqlite::Result<TokenSummary> {
    let time = |index: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
        Ok(row.get::<_, Option<i64>>(index)?.map(from_millis))
    };
    let environment: String = row.get(3)?;
    let (expires_at, revoked_at, grace_ends_at) = (time(6)?, time(7)?, time(9)?);
    let status = Status::at(revoked_at, expires_at, grace_ends_at, now);
    let countries: Option<String> = row.get(11)?;
    Ok(TokenSummary {
        id: row.get(0)?,
        name: row.get(1)?,
        description: row.get(2)?,
        // The CHECK constraint admits only the two codes.
        environment: environment.parse().unwrap_or(Environment::Live),
        hint: row.get(4)?,
        status,
        expiring: is_expiring(status, expires_at, now),
        created_at: from_millis(row.get(5)?),
        expires_at,
        revoked_at,
        rolled_to: row.get(8)?,
        grace_ends_at,
        last_used_at: time(10)?,
        countries: countries
            .map(|list| list.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        triple_count: row.get(12)?,
        number_count: row.get(13)?,
        enabled_number_count: row.get(14)?,
    })
}

/// An active token that expires within [`EXPIRING_WITHIN_DAYS`] days.
fn is_expiring(status: Status, expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    status == Status::Active
        && expires_at.is_some_and(|expiry| expiry <= now + Duration::days(EXPIRING_WITHIN_DAYS))
}

pub(crate) fn load_details(
    connection: &Connection,
    id: &str,
    now: DateTime<Utc>,
) -> Result<TokenDetails> {
    let summary = connection
        .prepare_cached(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM tokens t WHERE t.id = ?1"
        ))?
        .query_row([id], |row| summary_from_row(row, now))
        .optional()?
        .ok_or_else(|| Error::NotFound { id: id.to_string() })?;
    let successor = match &summary.rolled_to {
        Some(successor) => Some(token_ref(connection, successor)?),
        None => None,
    };
    let rolled_from = connection
        .prepare_cached("SELECT id, name FROM tokens WHERE rolled_to = ?1")?
        .query_row([id], |row| {
            Ok(TokenRef {
                id: row.get(0)?,
                name: row.get(1)?,
            })
        })
        .optional()?;
    let triples = composition::load(connection, id)?;
    let numbers = numbers::load(connection, id)?;
    Ok(TokenDetails {
        summary,
        successor,
        rolled_from,
        composition: cards(&triples),
        numbers,
    })
}

fn token_ref(connection: &Connection, id: &str) -> Result<TokenRef> {
    let name = connection
        .prepare_cached("SELECT name FROM tokens WHERE id = ?1")?
        .query_row([id], |row| row.get(0))
        .optional()?
        .ok_or_else(|| Error::NotFound { id: id.to_string() })?;
    Ok(TokenRef {
        id: id.to_string(),
        name,
    })
}

/// A composition as the country cards the details show.
fn cards(triples: &BTreeSet<Triple>) -> Vec<CompositionCard> {
    group(triples)
        .into_iter()
        .map(|(country, operators)| CompositionCard {
            country,
            operators: operators
                .into_iter()
                .map(|(operator, methods)| OperatorMethods {
                    operator,
                    methods: methods.into_iter().collect(),
                })
                .collect(),
        })
        .collect()
}

/// The fields of a token that the edit preconditions need.
pub(crate) struct TokenRow {
    pub name: String,
    pub revoked_at: Option<i64>,
    pub rolled_to: Option<String>,
}

pub(crate) fn require_exists(connection: &Connection, id: &str) -> Result<TokenRow> {
    connection
        .prepare_cached("SELECT name, revoked_at, rolled_to FROM tokens WHERE id = ?1")?
        .query_row([id], |row| {
            Ok(TokenRow {
                name: row.get(0)?,
                revoked_at: row.get(1)?,
                rolled_to: row.get(2)?,
            })
        })
        .optional()?
        .ok_or_else(|| Error::NotFound { id: id.to_string() })
}

/// A token that exists, is not revoked and was not rolled: the precondition of every edit. A
/// rolled token authorizes as its successor, so changes go to the successor.
pub(crate) fn require_editable(connection: &Connection, id: &str) -> Result<TokenRow> {
    let row = require_exists(connection, id)?;
    if row.revoked_at.is_some() {
        return Err(Error::TokenRevoked { name: row.name });
    }
    if let Some(successor) = &row.rolled_to {
        return Err(Error::TokenRolled {
            name: row.name,
            successor: token_ref(connection, successor)?.name,
        });
    }
    Ok(row)
}

impl Registry {
    /// One token with its composition and numbers.
    pub fn get_token(&self, id: &str, now: DateTime<Utc>) -> Result<TokenDetails> {
        load_details(&self.connection, id, now)
    }

    /// Finds a token by id, or by the exact name (case-insensitive) of a token that is not
    /// revoked (for the CLI).
    pub fn resolve_token(&self, id_or_name: &str) -> Result<String> {
        let wanted = id_or_name.trim();
        let found: Option<String> = self
            .connection
            .prepare_cached(
                "SELECT id FROM tokens WHERE id = ?1
                 UNION ALL SELECT id FROM tokens WHERE name_key = ?2 AND revoked_at IS NULL LIMIT 1",
            )?
            .query_row(params![wanted, name_key(wanted)], |row| row.get(0))
            .optional()?;
        found.ok_or_else(|| Error::NotFound {
            id: id_or_name.to_string(),
        })
    }
}
