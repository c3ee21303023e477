//! Tokens: creation, reading, listing, editing and revocation.
//!
//! A token's status is derived from the clock the caller passes (`REVOKED` if revoked, else
//! `EXPIRED` if `expires_at <= now`, else `ACTIVE`), never stored. Creation writes the token, its
//! composition, its numbers and the `created` event in one transaction and hands back the secret,
//! which exists nowhere else.

use crate::db::Cached;
use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Days, Local, NaiveDate, TimeZone, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::catalog::{group, Method, Triple};
use crate::error::{Error, Result};
use crate::history::{self, EventKind};
use crate::numbers::{self, NumberEntry};
use crate::secret::{self, Secret};
use crate::{composition, from_millis, to_millis, Registry};

/// Longest name, in characters.
pub const NAME_MAX: usize = 100;
/// Longest description, in characters.
pub const DESCRIPTION_MAX: usize = 1000;
/// Longest duration, in days (ten years).
pub const DAYS_MAX: u32 = 3650;

/// The derived status of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    /// Usable.
    Active,
    /// Past its expiry.
    Expired,
    /// Revoked by the merchant.
    Revoked,
}

impl Status {
    /// Derives the status at `now`.
    pub fn at(
        revoked_at: Option<DateTime<Utc>>,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Status {
        if revoked_at.is_some() {
            Status::Revoked
        } else if expires_at.is_some_and(|expiry| expiry <= now) {
            Status::Expired
        } else {
            Status::Active
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Active => "ACTIVE",
            Status::Expired => "EXPIRED",
            Status::Revoked => "REVOKED",
        })
    }
}

/// When a token stops working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Expiry {
    /// A number of days from now (presets 7, 30, 60, 90, 365).
    Days {
        /// 1 to 3650.
        days: u32,
    },
    /// Valid through this calendar day, local time of the machine.
    Date {
        /// The last day the token works.
        date: NaiveDate,
    },
    /// An exact instant.
    At {
        /// The instant it expires.
        at: DateTime<Utc>,
    },
    /// Never expires (the UI warns).
    Never,
}

impl Expiry {
    /// The expiry instant, checked to be in the future.
    pub fn resolve(self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        let invalid = |reason: String| Err(Error::InvalidExpiry { reason });
        let instant = match self {
            Expiry::Never => return Ok(None),
            Expiry::Days { days } => {
                if days == 0 || days > DAYS_MAX {
                    return invalid(format!(
                        "the duration must be 1 to {DAYS_MAX} days, not {days}"
                    ));
                }
                now + chrono::Duration::days(i64::from(days))
            }
            Expiry::Date { date } => {
                // "Valid through that day": it expires when the next day starts, local time.
                let Some(next_day) = date.checked_add_days(Days::new(1)) else {
                    return invalid(format!("{date} is too far in the future"));
                };
                let midnight = next_day.and_hms_opt(0, 0, 0).unwrap_or_default();
                let local = Local
                    .from_local_datetime(&midnight)
                    .earliest()
                    .map(|time| time.with_timezone(&Utc))
                    .unwrap_or_else(|| Utc.from_utc_datetime(&midnight));
                if local <= now {
                    return invalid(format!("{date} is in the past; pick a later date"));
                }
                local
            }
            Expiry::At { at } => at,
        };
        if instant <= now {
            return invalid("the expiry must be in the future".into());
        }
        if instant > now + chrono::Duration::days(i64::from(DAYS_MAX) + 1) {
            return invalid(format!(
                "the expiry must be within {DAYS_MAX} days (ten years)"
            ));
        }
        Ok(Some(instant))
    }
}

/// A number to whitelist at creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewNumber {
    /// ISO code of a country of the composition.
    pub country: String,
    /// The number as typed (national, `+`, or `00` form).
    pub phone: String,
}

/// What a merchant fills in to create a token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewToken {
    /// 1 to 100 characters after trimming, unique among non-revoked tokens.
    pub name: String,
    /// Up to 1000 characters.
    #[serde(default)]
    pub description: String,
    /// When it stops working.
    pub expiry: Expiry,
    /// At least one triple.
    pub composition: Vec<Triple>,
    /// Optional whitelisted numbers.
    #[serde(default)]
    pub numbers: Vec<NewNumber>,
}

/// A new token and its secret, which exists nowhere else.
#[derive(Debug)]
pub struct CreatedToken {
    /// The stored token.
    pub token: TokenDetails,
    /// The secret, to show once.
    pub secret: Secret,
}

/// Edits to a token; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenChanges {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New description.
    #[serde(default)]
    pub description: Option<String>,
    /// New expiry.
    #[serde(default)]
    pub expiry: Option<Expiry>,
}

/// Which tokens a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    /// Active and expired (the default view).
    #[default]
    Current,
    /// Active only.
    Active,
    /// Expired only.
    Expired,
    /// Revoked only.
    Revoked,
    /// Everything.
    All,
}

impl StatusFilter {
    /// Every filter, in the order the list's menu shows them.
    pub const EVERY: [StatusFilter; 5] = [
        StatusFilter::Current,
        StatusFilter::Active,
        StatusFilter::Expired,
        StatusFilter::Revoked,
        StatusFilter::All,
    ];
}

/// The column a list is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// Creation time (the default, newest first).
    #[default]
    CreatedAt,
    /// Expiry (no expiry sorts as the farthest).
    ExpiresAt,
    /// Last use. Never used counts as the least recent use: first from the oldest use, last
    /// from the newest.
    LastUsedAt,
    /// Name, case-insensitively.
    Name,
}

impl SortKey {
    /// Every sort key.
    pub const EVERY: [SortKey; 4] = [
        SortKey::CreatedAt,
        SortKey::ExpiresAt,
        SortKey::LastUsedAt,
        SortKey::Name,
    ];
}

/// A page request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// Which statuses.
    pub status: StatusFilter,
    /// A fragment of the name or description, case-insensitive.
    pub search: Option<String>,
    /// Sort column.
    pub sort: SortKey,
    /// Descending order.
    pub descending: bool,
    /// Rows to skip.
    pub offset: u32,
    /// Rows to return (1 to 500).
    pub limit: u32,
}

impl Default for ListQuery {
    fn default() -> ListQuery {
        ListQuery {
            status: StatusFilter::Current,
            search: None,
            sort: SortKey::CreatedAt,
            descending: true,
            offset: 0,
            limit: 50,
        }
    }
}

/// One row of the token list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenSummary {
    /// Stable identifier (UUIDv7).
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// `clp_…` + last 4 random characters.
    pub hint: String,
    /// Derived status.
    pub status: Status,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Expiry, if any.
    pub expires_at: Option<DateTime<Utc>>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last allowed check, if any.
    pub last_used_at: Option<DateTime<Utc>>,
    /// ISO codes of the composition's countries.
    pub countries: Vec<String>,
    /// Number of (country, operator, method) triples.
    pub triple_count: u32,
    /// Whitelisted numbers.
    pub number_count: u32,
    /// Of which enabled.
    pub enabled_number_count: u32,
}

/// One country card of a composition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompositionCard {
    /// ISO code.
    pub country: String,
    /// Operators with their allowed methods.
    pub operators: Vec<OperatorMethods>,
}

/// An operator and the methods a token may use with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperatorMethods {
    /// Operator code.
    pub operator: String,
    /// Allowed methods.
    pub methods: Vec<Method>,
}

/// Everything about one token.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenDetails {
    /// The list fields.
    #[serde(flatten)]
    pub summary: TokenSummary,
    /// Country cards.
    pub composition: Vec<CompositionCard>,
    /// Whitelisted numbers.
    pub numbers: Vec<NumberEntry>,
}

impl TokenDetails {
    /// The composition as a flat set of triples.
    pub fn triples(&self) -> BTreeSet<Triple> {
        self.composition
            .iter()
            .flat_map(|card| {
                card.operators.iter().flat_map(move |operator| {
                    operator.methods.iter().map(move |method| Triple {
                        country: card.country.clone(),
                        operator: operator.operator.clone(),
                        method: *method,
                    })
                })
            })
            .collect()
    }
}

/// A page of the list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenPage {
    /// The rows.
    pub items: Vec<TokenSummary>,
    /// How many tokens match in all.
    pub total: u64,
}

/// A token named in an error or a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRef {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// Checks and trims a name.
pub fn validate_name(name: &str) -> Result<String> {
    let trimmed = name.trim();
    let invalid = |reason: &str| {
        Err(Error::InvalidName {
            reason: reason.to_string(),
        })
    };
    if trimmed.is_empty() {
        return invalid("the name is empty; give the token a name, e.g. 'shop-checkout'");
    }
    if trimmed.chars().count() > NAME_MAX {
        return Err(Error::InvalidName {
            reason: format!(
                "the name has {} characters; the limit is {NAME_MAX}",
                trimmed.chars().count()
            ),
        });
    }
    if trimmed.chars().any(is_forbidden_in_text) {
        return invalid("the name contains control or invisible formatting characters; use letters, digits, spaces and punctuation");
    }
    Ok(trimmed.to_string())
}

/// Checks a description (newlines allowed, other control characters not).
pub fn validate_description(description: &str) -> Result<String> {
    let trimmed = description.trim();
    let count = trimmed.chars().count();
    if count > DESCRIPTION_MAX {
        return Err(Error::InvalidDescription {
            reason: format!(
                "the description has {count} characters; the limit is {DESCRIPTION_MAX}"
            ),
        });
    }
    if trimmed
        .chars()
        .any(|c| c != '\n' && is_forbidden_in_text(c))
    {
        return Err(Error::InvalidDescription {
            reason: "the description contains control or invisible formatting characters; only line breaks are allowed".into(),
        });
    }
    Ok(trimmed.to_string())
}

/// Control characters, and the bidirectional overrides that make a name display as something
/// else than it is ("Trojan Source").
fn is_forbidden_in_text(character: char) -> bool {
    character.is_control()
        || matches!(
            character,
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}'
            // Zero-width space, word joiner and BOM: invisible, so 'shop-a' and 'shop\u{200B}-a'
            // would look like one name. ZWNJ/ZWJ (U+200C/D) stay: scripts such as Persian need them.
            | '\u{200B}' | '\u{2060}' | '\u{FEFF}'
        )
}

fn name_key(name: &str) -> String {
    name.to_lowercase()
}

fn ensure_name_free(connection: &Connection, name: &str, except_id: Option<&str>) -> Result<()> {
    let existing: Option<String> = connection
        .cached(
            "SELECT name FROM tokens WHERE name_key = ?1 AND revoked_at IS NULL AND id IS NOT ?2",
        )?
        .query_row(params![name_key(name), except_id], |row| row.get(0))
        .optional()?;
    match existing {
        Some(name) => Err(Error::NameTaken { name }),
        None => Ok(()),
    }
}

/// The fields of a token that the edit preconditions need.
pub(crate) struct TokenRow {
    pub name: String,
    pub revoked_at: Option<i64>,
}

pub(crate) fn require_exists(connection: &Connection, id: &str) -> Result<TokenRow> {
    connection
        .cached("SELECT name, revoked_at FROM tokens WHERE id = ?1")?
        .query_row([id], |row| {
            Ok(TokenRow {
                name: row.get(0)?,
                revoked_at: row.get(1)?,
            })
        })
        .optional()?
        .ok_or_else(|| Error::NotFound { id: id.to_string() })
}

/// A token that exists and is not revoked: the precondition of every edit.
pub(crate) fn require_editable(connection: &Connection, id: &str) -> Result<TokenRow> {
    let row = require_exists(connection, id)?;
    if row.revoked_at.is_some() {
        return Err(Error::TokenRevoked { name: row.name });
    }
    Ok(row)
}

const SUMMARY_COLUMNS: &str = "t.id, t.name, t.description, t.hint, t.created_at, t.expires_at, t.revoked_at, t.last_used_at,
     (SELECT group_concat(country) FROM (SELECT DISTINCT country FROM composition c WHERE c.token_id = t.id ORDER BY country)),
     (SELECT count(*) FROM composition c WHERE c.token_id = t.id),
     (SELECT count(*) FROM numbers n WHERE n.token_id = t.id),
     (SELECT count(*) FROM numbers n WHERE n.token_id = t.id AND n.enabled = 1)";

fn summary_from_row(row: &Row<'_>, now: DateTime<Utc>) -> rusqlite::Result<TokenSummary> {
    let revoked_at = row.get::<_, Option<i64>>(6)?.map(from_millis);
    let expires_at = row.get::<_, Option<i64>>(5)?.map(from_millis);
    let countries: Option<String> = row.get(8)?;
    Ok(TokenSummary {
        id: row.get(0)?,
        name: row.get(1)?,
        description: row.get(2)?,
        hint: row.get(3)?,
        status: Status::at(revoked_at, expires_at, now),
        created_at: from_millis(row.get(4)?),
        expires_at,
        revoked_at,
        last_used_at: row.get::<_, Option<i64>>(7)?.map(from_millis),
        countries: countries
            .map(|list| list.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        triple_count: row.get(9)?,
        number_count: row.get(10)?,
        enabled_number_count: row.get(11)?,
    })
}

pub(crate) fn load_details(
    connection: &Connection,
    id: &str,
    now: DateTime<Utc>,
) -> Result<TokenDetails> {
    let summary = connection
        .cached(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM tokens t WHERE t.id = ?1"
        ))?
        .query_row([id], |row| summary_from_row(row, now))
        .optional()?
        .ok_or_else(|| Error::NotFound { id: id.to_string() })?;
    let triples = composition::load(connection, id)?;
    let numbers = numbers::load(connection, id)?;
    Ok(TokenDetails {
        summary,
        composition: cards(&triples),
        numbers,
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

/// What a create answers: the details of the token it has just written, built from what it wrote
/// rather than read back (a read of 4 tables in the create's transaction, about 3 % of its time).
/// Times are kept to the millisecond, as stored. A test compares it with `get_token` of the same
/// token, field by field.
fn created_details(
    summary: TokenSummary,
    triples: &BTreeSet<Triple>,
    numbers: &[(String, String)],
) -> TokenDetails {
    let mut entries: Vec<NumberEntry> = numbers
        .iter()
        .map(|(number, country)| NumberEntry {
            formatted: numbers::format_international(number),
            number: number.clone(),
            country: country.clone(),
            enabled: true,
            added_at: summary.created_at,
        })
        .collect();
    // The order `numbers::load` reads them in: country, time added (all the same here), number.
    entries.sort_by(|a, b| (&a.country, &a.number).cmp(&(&b.country, &b.number)));
    TokenDetails {
        composition: cards(triples),
        numbers: entries,
        summary,
    }
}

fn triple_labels(triples: &BTreeSet<Triple>) -> Vec<String> {
    triples
        .iter()
        .map(|t| format!("{}:{}:{}", t.country, t.operator, t.method))
        .collect()
}

pub(crate) fn expiry_json(expiry: Option<DateTime<Utc>>) -> serde_json::Value {
    expiry.map_or(serde_json::Value::Null, |time| {
        json!(time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    })
}

impl Registry {
    /// Creates a token with its composition and numbers, all or nothing, and returns its secret.
    pub fn create_token(&mut self, request: &NewToken, now: DateTime<Utc>) -> Result<CreatedToken> {
        let name = validate_name(&request.name)?;
        let description = validate_description(&request.description)?;
        let expires_at = request.expiry.resolve(now)?;
        let triples = composition::validate(&self.catalog, &request.composition)?;
        let countries: BTreeSet<&str> = triples.iter().map(|t| t.country.as_str()).collect();
        let mut numbers = Vec::new();
        for requested in &request.numbers {
            let country = crate::catalog::normalize_code(&requested.country);
            let e164 = numbers::normalize(&self.catalog, &country, &requested.phone)?;
            if !countries.contains(country.as_str()) {
                return Err(Error::CountryNotInComposition { country });
            }
            if !numbers.iter().any(|(existing, _)| *existing == e164) {
                numbers.push((e164, country));
            }
        }

        let secret = secret::generate(&self.rng);
        let digest = secret::digest(secret.expose_secret());
        let hint = secret::hint(&secret);
        let id = new_id(now);
        self.write(|transaction, _| {
            ensure_name_free(transaction, &name, None)?;
            // The composition and number rows first, the token last: its insert trigger then
            // computes the token's access copies once, where the rows' own triggers would update
            // the token row once per row (migration 0006). Their foreign keys are checked at the
            // commit, when the token is there.
            composition::insert(transaction, &id, &triples)?;
            for (number, country) in &numbers {
                numbers::insert(transaction, &id, country, number, now)?;
            }
            transaction
                .cached(
                    "INSERT INTO tokens (id, name, name_key, description, digest, hint, created_at, expires_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(params![
                    id,
                    name,
                    name_key(&name),
                    description,
                    digest.as_slice(),
                    hint,
                    to_millis(now),
                    expires_at.map(to_millis)
                ])
                .map_err(|error| name_conflict(error, &name))?;
            history::append(
                transaction,
                Some(&id),
                EventKind::Created,
                &json!({
                    "name": name,
                    "expires_at": expiry_json(expires_at),
                    "composition": triple_labels(&triples),
                    "numbers": numbers.iter().map(|(number, _)| number).collect::<Vec<_>>(),
                }),
                now,
            )?;
            Ok(())
        })?;
        let count = |items: usize| u32::try_from(items).unwrap_or(u32::MAX);
        let created_at = from_millis(to_millis(now));
        let expires_at = expires_at.map(|time| from_millis(to_millis(time)));
        let summary = TokenSummary {
            id,
            name,
            description,
            hint,
            status: Status::at(None, expires_at, now),
            created_at,
            expires_at,
            revoked_at: None,
            last_used_at: None,
            countries: countries
                .iter()
                .map(|country| country.to_string())
                .collect(),
            triple_count: count(triples.len()),
            number_count: count(numbers.len()),
            enabled_number_count: count(numbers.len()),
        };
        Ok(CreatedToken {
            token: created_details(summary, &triples, &numbers),
            secret,
        })
    }

    /// One token with its composition and numbers.
    pub fn get_token(&self, id: &str, now: DateTime<Utc>) -> Result<TokenDetails> {
        let mut details = load_details(&self.connection, id, now)?;
        self.merge_last_used(&mut details.summary);
        Ok(details)
    }

    /// `last_used_at` as this registry knows it: the stored value, or a newer use it has seen
    /// and not written yet (see [`crate::usage`]).
    fn merge_last_used(&self, summary: &mut TokenSummary) {
        if let Some(newest) = self.usage.last_used(&summary.id).map(from_millis) {
            summary.last_used_at = summary.last_used_at.max(Some(newest));
        }
    }

    /// A page of tokens.
    pub fn list_tokens(&self, query: &ListQuery, now: DateTime<Utc>) -> Result<TokenPage> {
        let now_millis = to_millis(now);
        let status_clause = match query.status {
            // The unary + keeps SQLite from filtering through a status index (`tokens_revoked`,
            // `tokens_expires`) and then sorting every match: the page is read in order from the
            // sort key's index instead.
            StatusFilter::Current => "+t.revoked_at IS NULL",
            StatusFilter::Active => {
                "+t.revoked_at IS NULL AND (+t.expires_at IS NULL OR +t.expires_at > ?1)"
            }
            StatusFilter::Expired => "+t.revoked_at IS NULL AND +t.expires_at <= ?1",
            StatusFilter::Revoked => "+t.revoked_at IS NOT NULL",
            StatusFilter::All => "1",
        };
        let search = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_lowercase);
        // instr() instead of LIKE: no wildcard characters to escape in what the user typed.
        let search_clause = if search.is_some() {
            "(instr(t.name_key, ?2) > 0 OR instr(lower(t.description), ?2) > 0)"
        } else {
            "?2 IS NULL"
        };
        let order = list_order(query.sort, query.descending, false);
        // Written into the SQL, not bound: with query plans independent of bound values (QPSG,
        // see `db::Cached`), a bound LIMIT left SQLite planning the page without it, 7x slower
        // (measured). It is an integer from 1 to 500, so the text stays a handful of variants.
        let limit = query.limit.clamp(1, 500);
        let where_clause = format!("WHERE {status_clause} AND {search_clause} AND ?1 IS NOT NULL");
        // The page and the total from one snapshot, even while another process writes.
        let snapshot = self.connection.unchecked_transaction()?;
        // Without a search the total comes first, from index ranges: a page past the middle of
        // the list is then read from its far end (the index walked backwards), so OFFSET skips
        // at most half the list instead of nearly all of it on the last pages.
        let known_total = match search {
            None => Some(status_count(&snapshot, query.status, now_millis)?),
            Some(_) => None,
        };
        let skip = i64::from(query.offset);
        let rows = i64::from(limit);
        // Read from the far end when it skips fewer rows: it skips the rows after the page, and
        // on the last page it reads `limit` rows of which only the last `keep` are the page's.
        let from_end = known_total.and_then(|total| {
            let skip_from_end = (total - skip - rows).max(0);
            let keep = usize::try_from((total - skip).min(rows)).unwrap_or(0);
            (skip < total && skip_from_end < skip).then_some((skip_from_end, keep))
        });
        let (inner_order, offset) = match from_end {
            Some((skip_from_end, _)) => (
                list_order(query.sort, query.descending, true),
                skip_from_end,
            ),
            None => (order.clone(), skip),
        };
        // Two steps: pick the page's rows from an index (in order, stopping after LIMIT, or for a
        // search by scanning the narrow covering index `tokens_search`), then compute the summary
        // columns (countries, counts) for those rows only.
        let (source, total_column) = if search.is_some() {
            // One scan answers both the page and the total.
            ("tokens t INDEXED BY tokens_search", "count(*) OVER ()")
        } else {
            ("tokens t", "NULL")
        };
        let mut statement = snapshot.cached(&format!(
            "WITH page AS (
                 SELECT t.rowid AS rid, {total_column} AS total FROM {source} {where_clause}
                 ORDER BY {inner_order} LIMIT {limit} OFFSET ?3)
             SELECT {SUMMARY_COLUMNS}, page.total FROM page JOIN tokens t ON t.rowid = page.rid
             ORDER BY {order}"
        ))?;
        let mut window_total = None;
        let mut items = statement
            .query_map(params![now_millis, search, offset], |row| {
                window_total = row.get::<_, Option<i64>>(12)?;
                summary_from_row(row, now)
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        drop(statement);
        if let Some((_, keep)) = from_end {
            items.drain(..items.len().saturating_sub(keep));
        }
        let total = match (known_total, window_total) {
            (Some(total), _) | (None, Some(total)) => total,
            // A search whose page is empty (past its end): the window gave no total.
            (None, None) => snapshot
                .cached(&format!("SELECT count(*) FROM {source} {where_clause}"))?
                .query_row(params![now_millis, search], |row| row.get(0))?,
        };
        snapshot.finish()?;
        for item in &mut items {
            self.merge_last_used(item);
        }
        Ok(TokenPage {
            items,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    /// Finds a token by id, or by the exact name of a non-revoked token (for the CLI).
    pub fn resolve_token(&self, id_or_name: &str) -> Result<String> {
        let found: Option<String> = self
            .connection
            .cached(
                "SELECT id FROM tokens WHERE id = ?1
                 UNION ALL SELECT id FROM tokens WHERE name_key = ?2 AND revoked_at IS NULL LIMIT 1",
            )?
            .query_row(params![id_or_name.trim(), name_key(id_or_name.trim())], |row| row.get(0))
            .optional()?;
        found.ok_or_else(|| Error::NotFound {
            id: id_or_name.to_string(),
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
        self.write(|transaction, _| {
            let current = require_editable(transaction, id)?;
            let (old_description, old_expiry): (String, Option<i64>) = transaction
                .cached("SELECT description, expires_at FROM tokens WHERE id = ?1")?
                .query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))?;
            if let Some(name) = name.filter(|name| *name != current.name) {
                ensure_name_free(transaction, &name, Some(id))?;
                transaction
                    .cached("UPDATE tokens SET name = ?2, name_key = ?3 WHERE id = ?1")?
                    .execute(params![id, name, name_key(&name)])
                    .map_err(|error| name_conflict(error, &name))?;
                history::append(transaction, Some(id), EventKind::NameChanged, &json!({"from": current.name, "to": name}), now)?;
            }
            if let Some(description) = description.filter(|text| *text != old_description) {
                transaction
                    .cached("UPDATE tokens SET description = ?2 WHERE id = ?1")?
                    .execute(params![id, description])?;
                history::append(
                    transaction,
                    Some(id),
                    EventKind::DescriptionChanged,
                    &json!({"from": old_description, "to": description}),
                    now,
                )?;
            }
            if let Some(expires_at) = expires_at.filter(|new| new.map(to_millis) != old_expiry) {
                transaction
                    .cached("UPDATE tokens SET expires_at = ?2 WHERE id = ?1")?
                    .execute(params![id, expires_at.map(to_millis)])?;
                history::append(
                    transaction,
                    Some(id),
                    EventKind::ExpiryChanged,
                    &json!({"from": expiry_json(old_expiry.map(from_millis)), "to": expiry_json(expires_at)}),
                    now,
                )?;
            }
            load_details(transaction, id, now)
        })
    }

    /// Revokes a token: it can no longer authorize, and its numbers are released. Revoking a
    /// revoked token changes nothing.
    pub fn revoke_token(&mut self, id: &str, now: DateTime<Utc>) -> Result<TokenDetails> {
        self.write(|transaction, _| {
            let current = require_exists(transaction, id)?;
            if current.revoked_at.is_some() {
                return load_details(transaction, id, now);
            }
            let released: Vec<String> = transaction
                .cached("SELECT number FROM numbers WHERE token_id = ?1 ORDER BY number")?
                .query_map([id], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            transaction
                .cached("DELETE FROM numbers WHERE token_id = ?1")?
                .execute([id])?;
            transaction
                .cached("UPDATE tokens SET revoked_at = max(?2, created_at) WHERE id = ?1")?
                .execute(params![id, to_millis(now)])?;
            history::append(
                transaction,
                Some(id),
                EventKind::Revoked,
                &json!({"numbers_released": released}),
                now,
            )?;
            load_details(transaction, id, now)
        })
    }
}

/// The list's ORDER BY for a sort key and direction, or (`reversed`) the same order backwards,
/// for reading a page from the far end of the list. Every order ends with a unique key, so it is
/// total and its reverse is exact; each is served by one index, walked forwards or backwards.
/// The date sorts end with the rowid, the order tokens were inserted in, which every index of the
/// table already ends with (migration 0007); the name sort ends with the id.
fn list_order(sort: SortKey, descending: bool, reversed: bool) -> String {
    let direction = if descending != reversed {
        "DESC"
    } else {
        "ASC"
    };
    match sort {
        SortKey::CreatedAt => format!("t.created_at {direction}, t.rowid {direction}"),
        // No expiry is the farthest expiry.
        SortKey::ExpiresAt => format!(
            "t.expires_at IS NULL {direction}, t.expires_at {direction}, t.rowid {direction}"
        ),
        // NULL (never used) sorts first ascending and last descending: the least recent use.
        // One index, `tokens_last_used`, serves both directions.
        SortKey::LastUsedAt => format!("t.last_used_at {direction}, t.rowid {direction}"),
        SortKey::Name => format!("t.name_key {direction}, t.id {direction}"),
    }
}

/// How many tokens have a status, from index ranges and the table's row count, without visiting
/// the tokens themselves. A create writes no index of revoked tokens (`tokens_revoked` holds only
/// them), so expired is counted as every token past its expiry (`tokens_expires`, whose first
/// term is `expires_at IS NULL`) minus the revoked ones among them.
fn status_count(connection: &Connection, status: StatusFilter, now_millis: i64) -> Result<i64> {
    let (all, revoked, past_expiry, revoked_past_expiry): (i64, i64, i64, i64) = connection
        .cached(
            "SELECT (SELECT count(*) FROM tokens),
                    (SELECT count(*) FROM tokens WHERE revoked_at IS NOT NULL),
                    (SELECT count(*) FROM tokens WHERE (expires_at IS NULL) = 0 AND expires_at <= ?1),
                    (SELECT count(*) FROM tokens WHERE revoked_at IS NOT NULL AND expires_at <= ?1)",
        )?
        .query_row([now_millis], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?;
    let expired = past_expiry - revoked_past_expiry;
    Ok(match status {
        StatusFilter::All => all,
        StatusFilter::Revoked => revoked,
        StatusFilter::Expired => expired,
        StatusFilter::Current => all - revoked,
        StatusFilter::Active => all - revoked - expired,
    })
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

fn new_id(now: DateTime<Utc>) -> String {
    let seconds = u64::try_from(now.timestamp()).unwrap_or(0);
    let timestamp =
        uuid::Timestamp::from_unix(uuid::NoContext, seconds, now.timestamp_subsec_nanos());
    uuid::Uuid::new_v7(timestamp).hyphenated().to_string()
}
