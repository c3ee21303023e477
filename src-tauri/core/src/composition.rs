//! Composition: the (country, operator, method) triples a token may use.
//!
//! Every triple is checked against the catalog in use. A token keeps at least one triple. Removing
//! a country that still has whitelisted numbers fails unless the caller confirms, in which case the
//! numbers go with it in the same transaction, so no number is ever left on a country the token
//! cannot use.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::catalog::{normalize_code, Catalog, Method, Selection, Triple};
use crate::error::{Error, Result};
use crate::history::{self, EventKind};
use crate::token::{load_details, require_editable, TokenDetails};
use crate::{begin_write, Registry};

/// What to take out of a composition: a whole country, one operator of it, or one method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removal {
    /// ISO code.
    pub country: String,
    /// Operator code; `None` removes the whole country.
    #[serde(default)]
    pub operator: Option<String>,
    /// Method; `None` removes the whole operator.
    #[serde(default)]
    pub method: Option<Method>,
}

/// Normalises and checks requested triples against the catalog.
pub(crate) fn validate(catalog: &Catalog, requested: &[Triple]) -> Result<BTreeSet<Triple>> {
    let mut triples = BTreeSet::new();
    for triple in requested {
        let triple = Triple {
            country: normalize_code(&triple.country),
            operator: normalize_code(&triple.operator),
            method: triple.method,
        };
        catalog.check_triple(&triple)?;
        triples.insert(triple);
    }
    if triples.is_empty() {
        return Err(Error::EmptyComposition);
    }
    Ok(triples)
}

pub(crate) fn load(connection: &Connection, token_id: &str) -> Result<BTreeSet<Triple>> {
    let mut statement = connection
        .prepare_cached("SELECT country, operator, method FROM composition WHERE token_id = ?1")?;
    let rows = statement.query_map([token_id], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
        ))
    })?;
    let mut triples = BTreeSet::new();
    for row in rows {
        let (country, operator, method) = row?;
        // The CHECK constraint admits only the three known methods.
        let method = method.parse::<Method>()?;
        triples.insert(Triple {
            country,
            operator,
            method,
        });
    }
    Ok(triples)
}

pub(crate) fn insert(
    connection: &Connection,
    token_id: &str,
    triples: &BTreeSet<Triple>,
) -> Result<()> {
    let mut statement = connection.prepare_cached(
        "INSERT INTO composition (token_id, country, operator, method) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for triple in triples {
        statement.execute(params![
            token_id,
            triple.country,
            triple.operator,
            triple.method.code()
        ])?;
    }
    Ok(())
}

fn labels<'a>(triples: impl Iterator<Item = &'a Triple>) -> Vec<String> {
    triples
        .map(|t| format!("{}:{}:{}", t.country, t.operator, t.method))
        .collect()
}

impl Registry {
    /// Replaces the whole composition (the editor's Save). Countries that disappear take their
    /// numbers with them only if `confirm_remove_numbers` is true.
    pub fn set_composition(
        &mut self,
        id: &str,
        requested: &[Triple],
        confirm_remove_numbers: bool,
        now: DateTime<Utc>,
    ) -> Result<TokenDetails> {
        let wanted = validate(&self.catalog, requested)?;
        let transaction = begin_write(&mut self.connection)?;
        let details = apply(&transaction, id, wanted, confirm_remove_numbers, now)?;
        transaction.commit()?;
        Ok(details)
    }

    /// Adds triples (with the "all countries / all operators / all methods" helpers).
    pub fn add_to_composition(
        &mut self,
        id: &str,
        selections: &[Selection],
        now: DateTime<Utc>,
    ) -> Result<TokenDetails> {
        self.edit_composition(id, selections, &[], false, now)
    }

    /// Removes a method, an operator, or a whole country.
    pub fn remove_from_composition(
        &mut self,
        id: &str,
        removal: &Removal,
        confirm_remove_numbers: bool,
        now: DateTime<Utc>,
    ) -> Result<TokenDetails> {
        self.edit_composition(
            id,
            &[],
            std::slice::from_ref(removal),
            confirm_remove_numbers,
            now,
        )
    }

    /// Adds and removes in one transaction (the CLI's `compose` with several flags), so a
    /// concurrent edit is never overwritten by a stale read. Additions apply first; a removal
    /// that matches nothing is an error.
    pub fn edit_composition(
        &mut self,
        id: &str,
        additions: &[Selection],
        removals: &[Removal],
        confirm_remove_numbers: bool,
        now: DateTime<Utc>,
    ) -> Result<TokenDetails> {
        let added = self.catalog.expand(additions)?;
        let transaction = begin_write(&mut self.connection)?;
        let details = {
            require_editable(&transaction, id)?;
            let mut wanted = load(&transaction, id)?;
            wanted.extend(added);
            for removal in removals {
                let country = normalize_code(&removal.country);
                let operator = removal.operator.as_deref().map(normalize_code);
                let matches = |triple: &Triple| {
                    triple.country == country
                        && operator.as_ref().is_none_or(|op| *op == triple.operator)
                        && removal.method.is_none_or(|method| method == triple.method)
                };
                if !wanted.iter().any(matches) {
                    let mut what = country.clone();
                    if let Some(operator) = &operator {
                        what.push_str(&format!(" {operator}"));
                    }
                    if let Some(method) = removal.method {
                        what.push_str(&format!(" {method}"));
                    }
                    return Err(Error::NotInCatalog {
                        what: format!("{what} is not in this token's composition"),
                    });
                }
                wanted.retain(|triple| !matches(triple));
            }
            apply(&transaction, id, wanted, confirm_remove_numbers, now)?
        };
        transaction.commit()?;
        Ok(details)
    }
}

/// Writes the difference between the stored composition and `wanted`, with one history event.
fn apply(
    connection: &Connection,
    id: &str,
    wanted: BTreeSet<Triple>,
    confirm_remove_numbers: bool,
    now: DateTime<Utc>,
) -> Result<TokenDetails> {
    require_editable(connection, id)?;
    if wanted.is_empty() {
        return Err(Error::EmptyComposition);
    }
    let current = load(connection, id)?;
    let removed: Vec<&Triple> = current.difference(&wanted).collect();
    let added: Vec<&Triple> = wanted.difference(&current).collect();
    if removed.is_empty() && added.is_empty() {
        return load_details(connection, id, now);
    }
    let kept_countries: BTreeSet<&str> = wanted.iter().map(|t| t.country.as_str()).collect();
    let dropped_countries: BTreeSet<&str> = current
        .iter()
        .map(|t| t.country.as_str())
        .filter(|country| !kept_countries.contains(country))
        .collect();
    let mut numbers_removed = Vec::new();
    for country in &dropped_countries {
        let numbers: Vec<String> = connection
            .prepare_cached(
                "SELECT number FROM numbers WHERE token_id = ?1 AND country = ?2 ORDER BY number",
            )?
            .query_map(params![id, country], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if !numbers.is_empty() && !confirm_remove_numbers {
            return Err(Error::CountryHasNumbers {
                country: country.to_string(),
                count: numbers.len(),
            });
        }
        numbers_removed.extend(numbers);
    }
    for number in &numbers_removed {
        connection
            .prepare_cached("DELETE FROM numbers WHERE number = ?1")?
            .execute([number])?;
    }
    let mut delete = connection.prepare_cached(
        "DELETE FROM composition WHERE token_id = ?1 AND country = ?2 AND operator = ?3 AND method = ?4",
    )?;
    for triple in &removed {
        delete.execute(params![
            id,
            triple.country,
            triple.operator,
            triple.method.code()
        ])?;
    }
    let added_set: BTreeSet<Triple> = added.iter().map(|t| (*t).clone()).collect();
    insert(connection, id, &added_set)?;
    history::append(
        connection,
        Some(id),
        EventKind::CompositionChanged,
        &json!({
            "added": labels(added.into_iter()),
            "removed": labels(removed.into_iter()),
            "numbers_removed": numbers_removed,
        }),
        now,
    )?;
    load_details(connection, id, now)
}
