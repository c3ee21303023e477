//! The append-only history of each token.
//!
//! Every state change appends one event in the same transaction as the change, so the log can never
//! disagree with the data. Details are small JSON objects (numbers, names, triples, reason codes)
//! and never contain a secret.
//!
//! The table's triggers refuse every UPDATE, and every DELETE but one: usage events (`used`,
//! `denied`) older than 30 days, which [`Registry::prune_usage`] deletes after the merchant's
//! retention (365 days unless set otherwise), recording a `pruned` event with how many went.
//! State changes (created, changed, numbers, rolled, revoked...) are kept forever.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::{begin_write, from_millis, to_millis, Registry};

/// The shortest usage retention, in days: the history's trigger refuses to delete younger events.
pub const RETENTION_MIN_DAYS: u32 = 30;
/// The longest usage retention, in days (ten years).
pub const RETENTION_MAX_DAYS: u32 = 3650;
/// The usage retention unless the merchant sets another, in days.
pub const RETENTION_DEFAULT_DAYS: u32 = 365;
/// Usage events deleted per transaction by a prune, so other writers never wait long.
const PRUNE_CHUNK: i64 = 50_000;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The token was created.
    Created,
    /// Triples were added or removed.
    CompositionChanged,
    /// A number was whitelisted.
    NumberAdded,
    /// A number was disabled.
    NumberDisabled,
    /// A number was enabled again.
    NumberEnabled,
    /// A number was removed.
    NumberRemoved,
    /// The name changed.
    NameChanged,
    /// The description changed.
    DescriptionChanged,
    /// The expiry changed.
    ExpiryChanged,
    /// The token was revoked.
    Revoked,
    /// The token was rolled to a successor, or is the successor of a roll (its detail names the
    /// other token).
    Rolled,
    /// The grace of a roll ended: the old token no longer authorizes.
    GraceEnded,
    /// An expiry reminder was shown for a threshold.
    Reminded,
    /// Old usage events were deleted by the retention rule.
    Pruned,
    /// A check allowed a payment.
    Used,
    /// A check denied a payment.
    Denied,
}

impl EventKind {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::CompositionChanged => "composition_changed",
            EventKind::NumberAdded => "number_added",
            EventKind::NumberDisabled => "number_disabled",
            EventKind::NumberEnabled => "number_enabled",
            EventKind::NumberRemoved => "number_removed",
            EventKind::NameChanged => "name_changed",
            EventKind::DescriptionChanged => "description_changed",
            EventKind::ExpiryChanged => "expiry_changed",
            EventKind::Revoked => "revoked",
            EventKind::Rolled => "rolled",
            EventKind::GraceEnded => "grace_ended",
            EventKind::Reminded => "reminded",
            EventKind::Pruned => "pruned",
            EventKind::Used => "used",
            EventKind::Denied => "denied",
        }
    }

    fn from_code(code: &str) -> Option<EventKind> {
        serde_json::from_value(serde_json::Value::String(code.to_string())).ok()
    }
}

/// One event of a token's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEvent {
    /// Position in the global log (increasing).
    pub id: i64,
    /// When it happened (UTC).
    pub at: DateTime<Utc>,
    /// What happened.
    pub kind: EventKind,
    /// Its details; keys depend on the kind.
    pub detail: serde_json::Value,
}

/// Appends one event. `token_id` is `None` for checks of a token that does not exist.
pub(crate) fn append(
    connection: &Connection,
    token_id: Option<&str>,
    kind: EventKind,
    detail: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    connection
        .prepare_cached("INSERT INTO history (token_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![
            token_id,
            to_millis(now),
            kind.code(),
            detail.to_string()
        ])?;
    Ok(())
}

/// A page of a token's history, newest first (the details screen shows it a page at a time: a
/// token checked every minute gathers hundreds of thousands of events).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryPage {
    /// The events, newest first.
    pub events: Vec<HistoryEvent>,
    /// How many events are older than the last one returned.
    pub older: u64,
}

/// The most events one page returns.
pub const HISTORY_PAGE_MAX: u32 = 500;

impl Registry {
    /// Every event of the token, oldest first, in memory: for tests and small histories. The app
    /// and the CLI read [`Registry::token_history_page`] instead.
    pub fn token_history(&self, id: &str) -> Result<Vec<HistoryEvent>> {
        token::require_exists(&self.connection, id)?;
        let mut statement = self.connection.prepare_cached(
            "SELECT id, at, kind, detail FROM history WHERE token_id = ?1 ORDER BY id",
        )?;
        let rows = statement.query_map([id], event_row)?;
        collect_events(rows)
    }

    /// Up to `limit` (1 to [`HISTORY_PAGE_MAX`]) of the token's events older than the event
    /// `before` (the newest ones when `None`), newest first, with the count of those still older.
    /// Read from the `history_by_token` index backwards: the cost follows the page, not the
    /// history.
    pub fn token_history_page(
        &self,
        id: &str,
        before: Option<i64>,
        limit: u32,
    ) -> Result<HistoryPage> {
        token::require_exists(&self.connection, id)?;
        let before = before.unwrap_or(i64::MAX);
        let limit = limit.clamp(1, HISTORY_PAGE_MAX);
        let mut statement = self.connection.prepare_cached(
            "SELECT id, at, kind, detail FROM history WHERE token_id = ?1 AND id < ?2
             ORDER BY id DESC LIMIT ?3",
        )?;
        let events = collect_events(statement.query_map(params![id, before, limit], event_row)?)?;
        let older = match events.last() {
            Some(last) => self
                .connection
                .prepare_cached("SELECT count(*) FROM history WHERE token_id = ?1 AND id < ?2")?
                .query_row(params![id, last.id], |row| row.get::<_, i64>(0))?,
            None => 0,
        };
        Ok(HistoryPage {
            events,
            older: u64::try_from(older).unwrap_or(0),
        })
    }

    /// Deletes the usage events (`used`, `denied`) older than `keep_days` days before `now`, and
    /// records per token a `pruned` event with how many went. State changes are never deleted.
    /// Returns the number of events deleted.
    pub fn prune_usage(&mut self, keep_days: u32, now: DateTime<Utc>) -> Result<u64> {
        if !(RETENTION_MIN_DAYS..=RETENTION_MAX_DAYS).contains(&keep_days) {
            return Err(Error::InvalidRetention {
                days: keep_days,
                min: RETENTION_MIN_DAYS,
                max: RETENTION_MAX_DAYS,
            });
        }
        let cutoff_time = now - Duration::days(i64::from(keep_days));
        let cutoff = to_millis(cutoff_time);
        // Event details carry times as RFC 3339 text, like every other event.
        let cutoff_text = cutoff_time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut deleted = 0u64;
        loop {
            let transaction = begin_write(&mut self.connection)?;
            // The oldest chunk, in the order of the `history_usage_by_time` index.
            const CHUNK: &str = "SELECT id, token_id FROM history
                 WHERE kind IN ('used', 'denied') AND at < ?1 ORDER BY at, id LIMIT ?2";
            transaction
                .prepare_cached(&format!(
                    "INSERT INTO history (token_id, at, kind, detail)
                     SELECT token_id, ?3, 'pruned', json_object('count', count(*), 'before', ?4)
                     FROM ({CHUNK}) GROUP BY token_id"
                ))?
                .execute(params![cutoff, PRUNE_CHUNK, to_millis(now), cutoff_text])?;
            let chunk = transaction
                .prepare_cached(&format!(
                    "DELETE FROM history WHERE id IN (SELECT id FROM ({CHUNK}))"
                ))?
                .execute(params![cutoff, PRUNE_CHUNK])?;
            transaction.commit()?;
            deleted += chunk as u64;
            if (chunk as i64) < PRUNE_CHUNK {
                return Ok(deleted);
            }
        }
    }
}

type EventRow = (i64, i64, String, String);

fn event_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<EventRow> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn collect_events(
    rows: impl Iterator<Item = rusqlite::Result<EventRow>>,
) -> Result<Vec<HistoryEvent>> {
    let mut events = Vec::new();
    for row in rows {
        let (event_id, at, kind, detail) = row?;
        // The CHECK constraint admits only known kinds, so an unknown one means a newer schema
        // wrote it; skipping beats failing the whole view.
        let Some(kind) = EventKind::from_code(&kind) else {
            continue;
        };
        events.push(HistoryEvent {
            id: event_id,
            at: from_millis(at),
            kind,
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
        });
    }
    Ok(events)
}

use crate::token;
