//! A token's lifecycle beyond create, edit and revoke: rolling it to a successor with a grace
//! period, ending that grace, and duplicating it.
//!
//! A roll creates the successor with the old token's name, description, environment and
//! composition, and a lifetime as long as the old one's counted from now; the whitelisted numbers
//! move to it (a number belongs to one token). The old token is renamed "`<name> (rolled
//! <date>)`" and keeps authorizing, as its successor does, until the grace ends; then it is denied
//! with `rolled`. Both tokens record a `rolled` event naming the other, and the old one a
//! `grace_ended` event when the grace ends (at once, by "End now", or later, recorded by
//! [`Registry::record_ended_graces`]). A roll is final: the old token never gets its numbers or
//! its name back, and its grace can only end sooner.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Local, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{Error, Result};
use crate::history::{self, EventKind};
use crate::secret::{Environment, Secret};
use crate::token::{
    check_new_token, ensure_name_free, expiry_json, insert_token, load_details, name_key,
    require_editable, require_exists, triple_labels, CreatedToken, Expiry, NewToken, TokenDetails,
    NAME_MAX,
};
use crate::{begin_write, composition, from_millis, to_millis, Registry};

/// How long the old token of a roll keeps working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Grace {
    /// It stops at once (its secret has leaked).
    #[serde(rename = "now")]
    Now,
    /// One hour.
    #[serde(rename = "1h")]
    OneHour,
    /// 24 hours (the default).
    #[default]
    #[serde(rename = "24h")]
    OneDay,
    /// Seven days.
    #[serde(rename = "7d")]
    SevenDays,
}

impl Grace {
    /// Every choice, shortest first.
    pub const ALL: [Grace; 4] = [Grace::Now, Grace::OneHour, Grace::OneDay, Grace::SevenDays];

    /// How long the old token keeps working.
    pub fn duration(self) -> Duration {
        match self {
            Grace::Now => Duration::zero(),
            Grace::OneHour => Duration::hours(1),
            Grace::OneDay => Duration::hours(24),
            Grace::SevenDays => Duration::days(7),
        }
    }

    /// Its code (`now`, `1h`, `24h`, `7d`).
    pub fn code(self) -> &'static str {
        match self {
            Grace::Now => "now",
            Grace::OneHour => "1h",
            Grace::OneDay => "24h",
            Grace::SevenDays => "7d",
        }
    }
}

impl fmt::Display for Grace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Grace {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Grace, String> {
        Grace::ALL
            .into_iter()
            .find(|grace| grace.code() == text.trim())
            .ok_or_else(|| format!("'{text}' is not a grace period; use now, 1h, 24h or 7d"))
    }
}

/// A roll's outcome: the old token as it is now, and its successor with the secret to show once.
#[derive(Debug)]
pub struct RolledToken {
    /// The old token, renamed and rolling (or rolled, with a grace of `now`).
    pub previous: TokenDetails,
    /// The successor.
    pub token: TokenDetails,
    /// The successor's secret, which exists nowhere else.
    pub secret: Secret,
}

/// The fields of a token a roll or a duplicate copies.
struct Source {
    name: String,
    description: String,
    environment: Environment,
    created_at: i64,
    expires_at: Option<i64>,
}

fn source(connection: &Connection, id: &str) -> Result<Source> {
    Ok(connection
        .prepare_cached(
            "SELECT name, description, environment, created_at, expires_at FROM tokens WHERE id = ?1",
        )?
        .query_row([id], |row| {
            let environment: String = row.get(2)?;
            Ok(Source {
                name: row.get(0)?,
                description: row.get(1)?,
                environment: environment.parse().unwrap_or_default(),
                created_at: row.get(3)?,
                expires_at: row.get(4)?,
            })
        })?)
}

impl Source {
    /// The same lifetime counted from now: days when whole, else the exact instant.
    fn expiry_from(&self, now: DateTime<Utc>) -> Expiry {
        match self.expires_at {
            None => Expiry::Never,
            Some(expires_at) => {
                let lifetime = Duration::milliseconds(expires_at - self.created_at);
                if lifetime.num_milliseconds() % Duration::days(1).num_milliseconds() == 0 {
                    Expiry::Days {
                        days: u32::try_from(lifetime.num_days()).unwrap_or(u32::MAX),
                    }
                } else {
                    Expiry::At { at: now + lifetime }
                }
            }
        }
    }
}

/// `<name> (<label>)`, the name cut so that the whole fits in [`NAME_MAX`] characters.
fn suffixed(name: &str, label: &str) -> String {
    let suffix = format!(" ({label})");
    let room = NAME_MAX.saturating_sub(suffix.chars().count());
    let base: String = name.chars().take(room).collect();
    format!("{}{suffix}", base.trim_end())
}

/// The first name of the form `<name> (<label>)`, then `<name> (<label> 2)`, ... that no token
/// that is not revoked has.
fn free_name(connection: &Connection, name: &str, label: &str) -> Result<String> {
    for attempt in 1..=100 {
        let candidate = if attempt == 1 {
            suffixed(name, label)
        } else {
            suffixed(name, &format!("{label} {attempt}"))
        };
        if ensure_name_free(connection, &candidate, None).is_ok() {
            return Ok(candidate);
        }
    }
    Err(Error::NameTaken {
        name: suffixed(name, label),
    })
}

impl Registry {
    /// Rolls a token: creates its successor (same name, description, environment, composition,
    /// and lifetime from now), moves its numbers to it, renames it "`<name> (rolled <date>)`" and
    /// lets it authorize as the successor until `grace` ends. Returns the successor's secret.
    pub fn roll_token(
        &mut self,
        id: &str,
        grace: Grace,
        now: DateTime<Utc>,
    ) -> Result<RolledToken> {
        let rng = &self.rng;
        let catalog = &self.catalog;
        let transaction = begin_write(&mut self.connection)?;
        require_editable(&transaction, id)?;
        let old = source(&transaction, id)?;
        let triples = composition::load(&transaction, id)?;
        // The successor is checked as a create would check it, against the catalog in use.
        let successor = check_new_token(
            catalog,
            &NewToken {
                name: old.name.clone(),
                description: old.description.clone(),
                environment: old.environment,
                expiry: old.expiry_from(now),
                composition: triples.into_iter().collect(),
                numbers: Vec::new(),
            },
            now,
        )?;
        let date = now.with_timezone(&Local).format("%Y-%m-%d").to_string();
        let renamed = free_name(&transaction, &old.name, &format!("rolled {date}"))?;
        transaction
            .prepare_cached("UPDATE tokens SET name = ?2, name_key = ?3 WHERE id = ?1")?
            .execute(params![id, renamed, name_key(&renamed)])?;
        let (new_id, secret) = insert_token(&transaction, rng, &successor, now)?;
        let moved: Vec<String> = transaction
            .prepare_cached("SELECT number FROM numbers WHERE token_id = ?1 ORDER BY number")?
            .query_map([id], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        transaction
            .prepare_cached("UPDATE numbers SET token_id = ?2 WHERE token_id = ?1")?
            .execute(params![id, new_id])?;
        let grace_ends_at = now + grace.duration();
        transaction
            .prepare_cached("UPDATE tokens SET rolled_to = ?2, grace_ends_at = ?3 WHERE id = ?1")?
            .execute(params![id, new_id, to_millis(grace_ends_at)])?;
        history::append(
            &transaction,
            Some(&new_id),
            EventKind::Created,
            &json!({
                "name": successor.name,
                "environment": successor.environment,
                "expires_at": expiry_json(successor.expires_at),
                "composition": triple_labels(&successor.triples),
                "numbers": moved,
                "rolled_from": id,
            }),
            now,
        )?;
        history::append(
            &transaction,
            Some(&new_id),
            EventKind::Rolled,
            &json!({"from": id, "numbers_moved": moved}),
            now,
        )?;
        history::append(
            &transaction,
            Some(id),
            EventKind::Rolled,
            &json!({
                "to": new_id,
                "grace": grace,
                "grace_ends_at": expiry_json(Some(grace_ends_at)),
                "renamed_from": old.name,
                "renamed_to": renamed,
                "numbers_moved": moved,
            }),
            now,
        )?;
        if grace == Grace::Now {
            record_grace_ended(&transaction, id, &new_id, now, "rolled with no grace")?;
        }
        let previous = load_details(&transaction, id, now)?;
        let token = load_details(&transaction, &new_id, now)?;
        transaction.commit()?;
        Ok(RolledToken {
            previous,
            token,
            secret,
        })
    }

    /// Ends the grace of a rolling token now ("End now"): it is denied with `rolled` from then
    /// on. A grace that has already ended changes nothing.
    pub fn end_grace(&mut self, id: &str, now: DateTime<Utc>) -> Result<TokenDetails> {
        let transaction = begin_write(&mut self.connection)?;
        let row = require_exists(&transaction, id)?;
        if row.revoked_at.is_some() {
            return Err(Error::TokenRevoked { name: row.name });
        }
        let (successor, grace_ends_at): (Option<String>, Option<i64>) = transaction
            .prepare_cached("SELECT rolled_to, grace_ends_at FROM tokens WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let (Some(successor), Some(grace_ends_at)) = (successor, grace_ends_at) else {
            return Err(Error::NotRolling { name: row.name });
        };
        if from_millis(grace_ends_at) > now {
            transaction
                .prepare_cached("UPDATE tokens SET grace_ends_at = ?2 WHERE id = ?1")?
                .execute(params![id, to_millis(now)])?;
            record_grace_ended(&transaction, id, &successor, now, "ended by the merchant")?;
        }
        let details = load_details(&transaction, id, now)?;
        transaction.commit()?;
        Ok(details)
    }

    /// Records a `grace_ended` event, at the time the grace ended, for every roll whose grace has
    /// passed without one (the app runs it at start and every hour). Returns how many.
    pub fn record_ended_graces(&mut self, now: DateTime<Utc>) -> Result<usize> {
        let transaction = begin_write(&mut self.connection)?;
        let ended: Vec<(String, String, i64)> = transaction
            .prepare_cached(
                "SELECT t.id, t.rolled_to, t.grace_ends_at FROM tokens t
                 WHERE t.revoked_at IS NULL AND t.grace_ends_at <= ?1
                   AND NOT EXISTS (SELECT 1 FROM history h WHERE h.token_id = t.id
                                   AND h.kind NOT IN ('used', 'denied') AND h.kind = 'grace_ended')",
            )?
            .query_map([to_millis(now)], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (id, successor, ended_at) in &ended {
            record_grace_ended(
                &transaction,
                id,
                successor,
                from_millis(*ended_at),
                "the grace period passed",
            )?;
        }
        transaction.commit()?;
        Ok(ended.len())
    }

    /// The create form pre-filled from a token ("Duplicate..."): its name with " (copy)", its
    /// description, environment, composition and lifetime. Never its numbers (a number belongs
    /// to one token), its secret or its history.
    pub fn duplicate_draft(&self, id: &str, now: DateTime<Utc>) -> Result<NewToken> {
        require_exists(&self.connection, id)?;
        let original = source(&self.connection, id)?;
        let composition = composition::load(&self.connection, id)?;
        Ok(NewToken {
            name: free_name(&self.connection, &original.name, "copy")?,
            description: original.description.clone(),
            environment: original.environment,
            expiry: original.expiry_from(now),
            composition: composition.into_iter().collect(),
            numbers: Vec::new(),
        })
    }

    /// Creates a duplicate of a token at once (the CLI's `duplicate`), named `name` or
    /// "`<name> (copy)`".
    pub fn duplicate_token(
        &mut self,
        id: &str,
        name: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<CreatedToken> {
        let mut draft = self.duplicate_draft(id, now)?;
        if let Some(name) = name {
            draft.name = name.to_string();
        }
        self.create_token(&draft, now)
    }

    /// The id of the token a successor replaced, if any.
    pub fn rolled_from(&self, id: &str) -> Result<Option<String>> {
        Ok(self
            .connection
            .prepare_cached("SELECT id FROM tokens WHERE rolled_to = ?1")?
            .query_row([id], |row| row.get(0))
            .optional()?)
    }
}

fn record_grace_ended(
    transaction: &Transaction<'_>,
    id: &str,
    successor: &str,
    at: DateTime<Utc>,
    why: &str,
) -> Result<()> {
    history::append(
        transaction,
        Some(id),
        EventKind::GraceEnded,
        &json!({"successor": successor, "why": why}),
        at,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suffixed_name_always_fits() {
        assert_eq!(suffixed("shop", "copy"), "shop (copy)");
        let long = "x".repeat(NAME_MAX);
        let named = suffixed(&long, "rolled 2026-12-07");
        assert_eq!(named.chars().count(), NAME_MAX);
        assert!(named.ends_with(" (rolled 2026-12-07)"));
    }

    #[test]
    fn grace_codes_round_trip() {
        for grace in Grace::ALL {
            assert_eq!(grace.code().parse(), Ok(grace));
            assert_eq!(
                serde_json::to_value(grace).ok(),
                Some(serde_json::json!(grace.code()))
            );
        }
        assert!("2d".parse::<Grace>().is_err());
    }
}
