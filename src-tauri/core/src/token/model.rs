//! The types the app and the CLI see: what a merchant asks for (a new token, changes, a list page)
//! and what they are shown (a summary row, the details).

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::{Method, Triple};
use crate::numbers::NumberEntry;
use crate::secret::{Environment, Secret};

/// The derived status of a token, never stored: `REVOKED` if revoked, else `ROLLED` once the grace
/// of a roll has ended, else `EXPIRED` past its expiry, else `ROLLING` during the grace of a roll,
/// else `ACTIVE`. A rolled or revoked token stays so; a roll never outlives the old token's expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    /// Usable.
    Active,
    /// Rolled to a successor, and still usable until its grace ends.
    Rolling,
    /// Past its expiry.
    Expired,
    /// Rolled to a successor, and its grace has ended.
    Rolled,
    /// Revoked by the merchant.
    Revoked,
}

impl Status {
    /// Derives the status at `now`.
    pub fn at(
        revoked_at: Option<DateTime<Utc>>,
        expires_at: Option<DateTime<Utc>>,
        grace_ends_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Status {
        if revoked_at.is_some() {
            Status::Revoked
        } else if grace_ends_at.is_some_and(|end| end <= now) {
            Status::Rolled
        } else if expires_at.is_some_and(|expiry| expiry <= now) {
            Status::Expired
        } else if grace_ends_at.is_some() {
            Status::Rolling
        } else {
            Status::Active
        }
    }

    /// True while the token may still authorize payments.
    pub fn is_usable(self) -> bool {
        matches!(self, Status::Active | Status::Rolling)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Active => "ACTIVE",
            Status::Rolling => "ROLLING",
            Status::Expired => "EXPIRED",
            Status::Rolled => "ROLLED",
            Status::Revoked => "REVOKED",
        })
    }
}

/// When a token stops working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Expiry {
    /// A number of days from now, to the millisecond (presets 7, 30, 60, 90, 365).
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
    /// Sandbox or live (the default).
    #[serde(default)]
    pub environment: Environment,
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

/// Which tokens a list shows, by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    /// Active, rolling and expired: every token that is not revoked or rolled for good (the
    /// default view).
    #[default]
    Current,
    /// Active only.
    Active,
    /// Active and expiring within [`crate::reminders::EXPIRING_WITHIN_DAYS`] days.
    Expiring,
    /// Rolling: replaced, still usable until the grace ends.
    Rolling,
    /// Expired only.
    Expired,
    /// Rolled, the grace over.
    Rolled,
    /// Revoked only.
    Revoked,
    /// Everything.
    All,
}

impl StatusFilter {
    /// Every filter, in the order the list's menu shows them.
    pub const EVERY: [StatusFilter; 8] = [
        StatusFilter::Current,
        StatusFilter::Active,
        StatusFilter::Expiring,
        StatusFilter::Rolling,
        StatusFilter::Expired,
        StatusFilter::Rolled,
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

/// Which page of a list: an end, or the page next to a row already shown (keyset paging: a page
/// is read from the sort's index starting at that row, whatever its position).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Page {
    /// The first rows.
    #[default]
    First,
    /// The rows after the token with this id, in the list's order.
    After {
        /// The id of the last token of the page shown.
        cursor: String,
    },
    /// The rows before the token with this id, in the list's order.
    Before {
        /// The id of the first token of the page shown.
        cursor: String,
    },
    /// The last rows.
    Last,
}

/// A page request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// Which statuses.
    pub status: StatusFilter,
    /// One environment, or both (`None`).
    pub environment: Option<Environment>,
    /// A fragment of the name or description, case-insensitive.
    pub search: Option<String>,
    /// Sort column.
    pub sort: SortKey,
    /// Descending order.
    pub descending: bool,
    /// Which page.
    pub page: Page,
    /// Rows to return (1 to 500).
    pub limit: u32,
}

impl Default for ListQuery {
    fn default() -> ListQuery {
        ListQuery {
            status: StatusFilter::Current,
            environment: None,
            search: None,
            sort: SortKey::CreatedAt,
            descending: true,
            page: Page::First,
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
    /// Sandbox or live.
    pub environment: Environment,
    /// `clp_live_…` or `clp_test_…` + last 4 random characters.
    pub hint: String,
    /// Derived status.
    pub status: Status,
    /// Active and expiring within [`crate::reminders::EXPIRING_WITHIN_DAYS`] days.
    pub expiring: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Expiry, if any.
    pub expires_at: Option<DateTime<Utc>>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The id of the successor, if rolled.
    pub rolled_to: Option<String>,
    /// When the grace of a roll ends (or ended).
    pub grace_ends_at: Option<DateTime<Utc>>,
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
    /// The successor's id and name, when this token was rolled (replaces `rolled_to`'s id).
    pub successor: Option<TokenRef>,
    /// The token this one replaced by a roll, if any.
    pub rolled_from: Option<TokenRef>,
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
    /// The rows, in the list's order.
    pub items: Vec<TokenSummary>,
    /// How many tokens match in all.
    pub total: u64,
    /// Rows come before the first one returned.
    pub has_previous: bool,
    /// Rows come after the last one returned.
    pub has_next: bool,
}

/// A token named in an error or a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRef {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}
