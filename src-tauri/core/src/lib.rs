//! The ClaPay Tokens domain, with no Tauri dependency: token secrets, composition, whitelisted
//! numbers, authorize, the lifecycle (environments, roll, duplicate, reminders), history, and
//! their SQLite storage.
//!
//! The desktop app and the CLI are thin front ends over [`Registry`], which owns one SQLite
//! connection and the catalog in use; the sandbox gateway checks payments through a [`Checker`].
//! Every state change a merchant makes runs in one `IMMEDIATE` transaction with
//! `synchronous=FULL`, so it is either wholly on disk when the call returns or not there at all,
//! and it appends its history event in the same transaction.
//!
//! Invariants kept here (and restated by the schema's CHECK constraints and triggers):
//! - no secret is ever stored: only its SHA-256 digest (32 bytes) and a hint;
//! - a token always has at least one (country, operator, method) triple, each from the catalog;
//! - a number is whitelisted on at most one token, for a country of that token's composition;
//! - a country where a token has numbers accepts only its enabled numbers (fail closed);
//! - a revoked or rolled token holds no number, a revoked one never changes again, and no token
//!   is ever deleted;
//! - the history is append-only (only usage events past the retention are pruned) and never
//!   contains a secret;
//! - status is derived from the clock the caller passes, never stored.

#![deny(missing_docs)]

pub mod authorize;
pub mod backup;
pub mod catalog;
pub mod checker;
pub mod composition;
pub mod db;
pub mod error;
pub mod export;
pub mod history;
pub mod integrity;
pub mod lifecycle;
pub mod numbers;
pub mod private_files;
pub mod reminders;
pub mod secret;
pub mod token;
pub mod usage;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use ring::rand::SystemRandom;
use rusqlite::{Connection, Transaction, TransactionBehavior};

pub use authorize::{AuthorizeRequest, Decision, DenyReason};
pub use catalog::{Catalog, Method, Selection, Triple};
pub use checker::Checker;
pub use error::{Error, Result};
pub use history::{EventKind, HistoryEvent, HistoryPage};
pub use lifecycle::{Grace, RolledToken};
pub use numbers::{NumberEntry, PhoneCheck};
pub use reminders::Reminder;
pub use secret::{Environment, Secret};
pub use token::{
    CompositionCard, CreatedToken, Expiry, ListQuery, NewNumber, NewToken, Page, SortKey, Status,
    StatusFilter, TokenChanges, TokenDetails, TokenPage, TokenRef, TokenSummary,
};

/// The token registry: one database connection and the catalog in use.
pub struct Registry {
    connection: Connection,
    catalog: Arc<Catalog>,
    rng: SystemRandom,
    path: Option<PathBuf>,
}

impl Registry {
    /// Opens (creating, checking and migrating if needed) the database at `path`.
    pub fn open(path: &Path, catalog: Arc<Catalog>) -> Result<Registry> {
        Ok(Registry {
            connection: db::open(path)?,
            catalog,
            rng: SystemRandom::new(),
            path: Some(path.to_path_buf()),
        })
    }

    /// Opens the database at `path` for writing, leaving its whole-file check to the caller
    /// ([`db::open_check_later`]): the app checks it right after and refuses writes until then.
    pub fn open_check_later(path: &Path, catalog: Arc<Catalog>) -> Result<Registry> {
        Ok(Registry {
            connection: db::open_check_later(path)?,
            catalog,
            rng: SystemRandom::new(),
            path: Some(path.to_path_buf()),
        })
    }

    /// Opens the database at `path` read-only, without checking or migrating it
    /// ([`db::open_read_only`]): the app uses it to show what is left of a database that failed
    /// its integrity check until a backup is restored. Every write through it fails with a
    /// storage error, so a caller should refuse writes before making them.
    pub fn open_read_only(path: &Path, catalog: Arc<Catalog>) -> Result<Registry> {
        Ok(Registry {
            connection: db::open_read_only(path)?,
            catalog,
            rng: SystemRandom::new(),
            path: Some(path.to_path_buf()),
        })
    }

    /// A registry on a private in-memory database (tests and benchmarks).
    pub fn open_in_memory(catalog: Arc<Catalog>) -> Result<Registry> {
        Ok(Registry {
            connection: db::open_in_memory()?,
            catalog,
            rng: SystemRandom::new(),
            path: None,
        })
    }

    /// The default database path (`CLAPAY_TOKENS_DB`, else the OS app-data dir).
    pub fn default_db_path() -> Result<PathBuf> {
        db::default_db_path()
    }

    /// The database file, if not in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The catalog in use.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// Replaces the catalog in use (a merchant loaded a newer file). Existing compositions are kept:
    /// authorize only reads the token's own triples.
    pub fn set_catalog(&mut self, catalog: Arc<Catalog>) {
        self.catalog = catalog;
    }

    /// The schema version of the open database (`user_version`): [`db::SCHEMA_VERSION`] once
    /// [`Registry::open`] has migrated it; a read-only registry may hold an older one.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }

    /// The underlying connection, for read-only inspection (tests, export, diagnostics).
    pub fn connection(&self) -> &Connection {
        &self.connection
    }
}

/// Starts a write transaction. IMMEDIATE takes the write lock up front, so the busy timeout
/// applies and a read never has to be upgraded (which SQLite cannot wait for).
pub(crate) fn begin_write(connection: &mut Connection) -> Result<Transaction<'_>> {
    Ok(connection.transaction_with_behavior(TransactionBehavior::Immediate)?)
}

/// Milliseconds since the Unix epoch, the storage form of every time.
pub(crate) fn to_millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

/// The inverse of [`to_millis`]; out-of-range values (only a hand-edited file has them) clamp.
pub(crate) fn from_millis(millis: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(millis)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}
