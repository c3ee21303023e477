//! The token list: filters (status, environment, search), four sorts, and keyset pages.
//!
//! A page is read from the index of its sort (`tokens_by_created`, `tokens_by_expiry`,
//! `tokens_by_last_use`, `tokens_by_name` in the baseline migration), in order, starting at the
//! row next to a token already shown and stopping after the page: the cost follows the page, not
//! its position in the list. Every order ends with the id, so it is total and a page boundary is
//! exact. A search reads every row (a fragment can be anywhere in a name or a description).

use chrono::{DateTime, Duration, Utc};
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OptionalExtension};

use crate::error::{Error, Result};
use crate::reminders::EXPIRING_WITHIN_DAYS;
use crate::token::{
    summary_from_row, ListQuery, Page, SortKey, StatusFilter, TokenPage, TokenSummary,
    SUMMARY_COLUMNS,
};
use crate::{to_millis, Registry};

/// The largest page.
pub const PAGE_MAX: u32 = 500;

/// The sort's key as its index spells it, and the index. "No expiry" is the farthest expiry and
/// "never used" the least recent use.
fn sort_key(sort: SortKey) -> (&'static str, &'static str) {
    match sort {
        SortKey::CreatedAt => ("t.created_at", "tokens_by_created"),
        SortKey::ExpiresAt => (
            "coalesce(t.expires_at, 9223372036854775807)",
            "tokens_by_expiry",
        ),
        SortKey::LastUsedAt => ("coalesce(t.last_used_at, -1)", "tokens_by_last_use"),
        SortKey::Name => ("t.name_key", "tokens_by_name"),
    }
}

/// A condition over `tokens t` and the values of its `?` placeholders, in order.
#[derive(Clone)]
struct Condition {
    sql: String,
    values: Vec<Value>,
}

impl Condition {
    fn and(mut self, sql: &str, values: impl IntoIterator<Item = Value>) -> Condition {
        self.sql.push_str(" AND ");
        self.sql.push_str(sql);
        self.values.extend(values);
        self
    }
}

/// The status filter as SQL over `tokens t`, restating [`crate::Status::at`]: revoked, then
/// rolled for good, then expired, then rolling, else active.
fn status_condition(filter: StatusFilter, now: i64, expiring_end: i64) -> Condition {
    let (sql, values): (&str, Vec<i64>) = match filter {
        StatusFilter::Current => (
            "t.revoked_at IS NULL AND (t.grace_ends_at IS NULL OR t.grace_ends_at > ?)",
            vec![now],
        ),
        StatusFilter::Active => (
            "t.revoked_at IS NULL AND t.grace_ends_at IS NULL
             AND (t.expires_at IS NULL OR t.expires_at > ?)",
            vec![now],
        ),
        StatusFilter::Expiring => (
            "t.revoked_at IS NULL AND t.grace_ends_at IS NULL
             AND t.expires_at > ? AND t.expires_at <= ?",
            vec![now, expiring_end],
        ),
        StatusFilter::Rolling => (
            "t.revoked_at IS NULL AND t.grace_ends_at > ?
             AND (t.expires_at IS NULL OR t.expires_at > ?)",
            vec![now, now],
        ),
        StatusFilter::Expired => (
            "t.revoked_at IS NULL AND (t.grace_ends_at IS NULL OR t.grace_ends_at > ?)
             AND t.expires_at <= ?",
            vec![now, now],
        ),
        StatusFilter::Rolled => ("t.revoked_at IS NULL AND t.grace_ends_at <= ?", vec![now]),
        StatusFilter::Revoked => ("t.revoked_at IS NOT NULL", vec![]),
        StatusFilter::All => ("1", vec![]),
    };
    Condition {
        sql: sql.to_string(),
        values: values.into_iter().map(Value::Integer).collect(),
    }
}

/// Every condition but the page's position: status, environment and search (lower-cased; `instr`
/// has no wildcard characters to escape in what the merchant typed).
fn filter_condition(query: &ListQuery, search: Option<&str>, now: DateTime<Utc>) -> Condition {
    let expiring_end = to_millis(now + Duration::days(EXPIRING_WITHIN_DAYS));
    let mut condition = status_condition(query.status, to_millis(now), expiring_end);
    if let Some(environment) = query.environment {
        condition = condition.and(
            "t.environment = ?",
            [Value::Text(environment.code().to_string())],
        );
    }
    if let Some(search) = search {
        let text = Value::Text(search.to_string());
        condition = condition.and(
            "(instr(t.name_key, ?) > 0 OR instr(lower(t.description), ?) > 0)",
            [text.clone(), text],
        );
    }
    condition
}

impl Registry {
    /// A page of tokens, with the number of tokens the filters match. Without a search the page
    /// is read from its sort's index; a search reads every match once (see `search_page`).
    pub fn list_tokens(&self, query: &ListQuery, now: DateTime<Utc>) -> Result<TokenPage> {
        let search = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_lowercase);
        let filter = filter_condition(query, search.as_deref(), now);
        let limit = query.limit.clamp(1, PAGE_MAX);
        // The page and the total from one snapshot, even while another process writes.
        let snapshot = self.connection.unchecked_transaction()?;
        let page = match search {
            Some(_) => search_page(&snapshot, query, &filter, limit, now)?,
            None => browse_page(&snapshot, query, &filter, limit, now)?,
        };
        snapshot.finish()?;
        Ok(page)
    }
}

/// A page read from the sort's index, from the row next to the cursor, and the total counted
/// from the filter's columns (the `tokens_by_state` index).
fn browse_page(
    connection: &Connection,
    query: &ListQuery,
    filter: &Condition,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<TokenPage> {
    let (key, index) = sort_key(query.sort);
    let reading_backwards = matches!(query.page, Page::Before { .. } | Page::Last);
    // The order rows are read in: the list's order, or its reverse for a page before a row or
    // the last page (read from the far end, then turned around).
    let ascending = query.descending == reading_backwards;
    let cursor = match &query.page {
        Page::After { cursor } | Page::Before { cursor } => {
            Some(cursor_key(connection, key, cursor)?)
        }
        Page::First | Page::Last => None,
    };
    let read = Reader {
        connection,
        filter,
        key,
        index,
        now,
    };
    let mut items = read.rows(cursor.as_ref(), ascending, limit + 1)?;
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    if reading_backwards {
        items.reverse();
    }
    // Next to a cursor, whether rows lie on the other side of the page: before its first row
    // when read forwards, after its last row when read backwards; with no row, beyond the
    // cursor itself (a page after the last row is empty, and the rows are before it).
    let beyond = match &cursor {
        None => false,
        Some(cursor) => {
            let boundary = if reading_backwards {
                items.last()
            } else {
                items.first()
            };
            match boundary {
                Some(row) => read.any(&cursor_key(connection, key, &row.id)?, !ascending)?,
                None => read.any_including(cursor, !ascending)?,
            }
        }
    };
    let (has_previous, has_next) = match query.page {
        Page::First => (false, more),
        Page::Last => (more, false),
        Page::After { .. } => (beyond, more),
        Page::Before { .. } => (more, beyond),
    };
    let total: i64 = connection
        .prepare_cached(&format!(
            "SELECT count(*) FROM tokens t WHERE {}",
            filter.sql
        ))?
        .query_row(params_from_iter(&filter.values), |row| row.get(0))?;
    Ok(TokenPage {
        items,
        total: u64::try_from(total).unwrap_or(0),
        has_previous,
        has_next,
    })
}

/// A search's page: a fragment can be anywhere in a name or a description, so every row is
/// read, through `tokens_search`, which holds every column the filters and the sorts need (a
/// narrow index read instead of the wide rows). That one read gives the matches' sort keys; the
/// page and the total come from them.
fn search_page(
    connection: &Connection,
    query: &ListQuery,
    filter: &Condition,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<TokenPage> {
    let (key, _) = sort_key(query.sort);
    let mut matches: Vec<(Value, String)> = connection
        .prepare_cached(&format!(
            "SELECT {key}, t.id FROM tokens t INDEXED BY tokens_search WHERE {}",
            filter.sql
        ))?
        .query_map(params_from_iter(&filter.values), |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    // The list's order: the key, then the id (both orders ascending, then reversed whole).
    matches.sort_by(|a, b| compare_values(&a.0, &b.0).then_with(|| a.1.cmp(&b.1)));
    if query.descending {
        matches.reverse();
    }
    let limit = limit as usize;
    let position = |cursor: &str| {
        matches
            .iter()
            .position(|(_, id)| id == cursor)
            .ok_or_else(|| Error::NotFound {
                id: cursor.to_string(),
            })
    };
    let (start, end) = match &query.page {
        Page::First => (0, limit.min(matches.len())),
        Page::Last => (matches.len().saturating_sub(limit), matches.len()),
        Page::After { cursor } => {
            let from = position(cursor)? + 1;
            (from, (from + limit).min(matches.len()))
        }
        Page::Before { cursor } => {
            let to = position(cursor)?;
            (to.saturating_sub(limit), to)
        }
    };
    let mut items = Vec::with_capacity(end - start);
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM tokens t WHERE t.id = ?1"
    ))?;
    for (_, id) in &matches[start..end] {
        items.push(statement.query_row([id], |row| summary_from_row(row, now))?);
    }
    Ok(TokenPage {
        items,
        total: matches.len() as u64,
        has_previous: start > 0,
        has_next: end < matches.len(),
    })
}

/// SQLite's order of two sort-key values (integers, texts; NULL first).
fn compare_values(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Integer(a), Value::Integer(b)) => a.cmp(b),
        (Value::Text(a), Value::Text(b)) => a.cmp(b),
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::Integer(_), _) => Ordering::Less,
        (_, Value::Integer(_)) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

/// The sort key and id of the token a page starts next to.
struct Cursor {
    key: Value,
    id: String,
}

fn cursor_key(connection: &Connection, key: &str, id: &str) -> Result<Cursor> {
    let value = connection
        .prepare_cached(&format!("SELECT {key} FROM tokens t WHERE t.id = ?1"))?
        .query_row([id], |row| row.get::<_, Value>(0))
        .optional()?
        .ok_or_else(|| Error::NotFound { id: id.to_string() })?;
    Ok(Cursor {
        key: value,
        id: id.to_string(),
    })
}

/// The reads of one list query: its filters bound the same way for the page and its neighbours.
struct Reader<'a> {
    connection: &'a Connection,
    filter: &'a Condition,
    key: &'static str,
    index: &'static str,
    now: DateTime<Utc>,
}

impl Reader<'_> {
    /// The filter, and the position relative to `from` (`comparison` is `>`, `>=`, `<`, `<=`).
    fn beyond(&self, from: Option<&Cursor>, comparison: &str) -> Condition {
        // The key alone, bounded the same way, comes first: SQLite seeks an index on an
        // expression (`coalesce(...)`) for a plain comparison, not for a row value.
        let key_bound = if comparison.starts_with('<') {
            "<="
        } else {
            ">="
        };
        match from {
            Some(from) => self.filter.clone().and(
                &format!(
                    "{key} {key_bound} ? AND ({key}, t.id) {comparison} (?, ?)",
                    key = self.key
                ),
                [
                    from.key.clone(),
                    from.key.clone(),
                    Value::Text(from.id.clone()),
                ],
            ),
            None => self.filter.clone(),
        }
    }

    /// Up to `limit` rows in the given order, after `cursor` when there is one.
    fn rows(
        &self,
        cursor: Option<&Cursor>,
        ascending: bool,
        limit: u32,
    ) -> Result<Vec<TokenSummary>> {
        let (direction, after) = if ascending {
            ("ASC", ">")
        } else {
            ("DESC", "<")
        };
        let condition = self.beyond(cursor, after);
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM tokens t INDEXED BY {index} WHERE {where_}
             ORDER BY {key} {direction}, t.id {direction} LIMIT {limit}",
            index = self.index,
            where_ = condition.sql,
            key = self.key,
        );
        let mut statement = self.connection.prepare_cached(&sql)?;
        let rows = statement.query_map(params_from_iter(&condition.values), |row| {
            summary_from_row(row, self.now)
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Whether a row matching the filters lies strictly beyond `from` in the given order.
    fn any(&self, from: &Cursor, ascending: bool) -> Result<bool> {
        self.exists(from, if ascending { ">" } else { "<" })
    }

    /// Whether a row matching the filters is `from` or lies beyond it in the given order.
    fn any_including(&self, from: &Cursor, ascending: bool) -> Result<bool> {
        self.exists(from, if ascending { ">=" } else { "<=" })
    }

    fn exists(&self, from: &Cursor, comparison: &str) -> Result<bool> {
        let condition = self.beyond(Some(from), comparison);
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM tokens t INDEXED BY {} WHERE {})",
            self.index, condition.sql
        );
        Ok(self
            .connection
            .prepare_cached(&sql)?
            .query_row(params_from_iter(&condition.values), |row| row.get(0))?)
    }
}
