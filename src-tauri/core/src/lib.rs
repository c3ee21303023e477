//! The ClaPay Tokens domain, with no Tauri dependency: token secrets, composition, whitelisted
//! numbers, authorize, history, and their SQLite storage.
//!
//! The desktop app and the CLI are thin front ends over [`Registry`], which owns one SQLite
//! connection and the catalog in use. Every state change a merchant makes runs in one `IMMEDIATE`
//! transaction with `synchronous=FULL`, so it is either wholly on disk when the call returns or not
//! there at all, and it appends its history event in the same transaction.
//!
//! Invariants kept here (and restated by the schema's CHECK constraints and triggers):
//! - no secret is ever stored: only its SHA-256 digest (32 bytes) and a 4-character hint;
//! - a token always has at least one (country, operator, method) triple, each from the catalog;
//! - a number is whitelisted on at most one token, for a country of that token's composition;
//! - a revoked token holds no number, never changes again and is never deleted;
//! - the history is append-only and never contains a secret;
//! - status is derived from the clock the caller passes, never stored.

#![deny(missing_docs)]

pub mod authorize;
pub mod backup;
pub mod catalog;
pub mod composition;
pub mod db;
pub mod error;
pub mod export;
pub mod history;
pub mod integrity;
pub mod numbers;
pub mod secret;
pub mod token;
pub mod usage;

#[cfg(test)]
mod statement_tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use ring::rand::SystemRandom;
use rusqlite::{Connection, Transaction, TransactionBehavior};

pub use authorize::{AuthorizeRequest, Decision, DenyReason};
pub use catalog::{Catalog, Method, Selection, Triple};
pub use error::{Error, Result};
pub use history::{EventKind, HistoryEvent, HistoryPage};
pub use numbers::{NumberEntry, PhoneCheck};
pub use secret::Secret;
pub use token::{
    CompositionCard, CreatedToken, Expiry, ListQuery, NewNumber, NewToken, SortKey, Status,
    StatusFilter, TokenChanges, TokenDetails, TokenPage, TokenRef, TokenSummary,
};

/// The token registry: one database connection and the catalog in use.
pub struct Registry {
    connection: Connection,
    catalog: Arc<Catalog>,
    rng: SystemRandom,
    path: Option<PathBuf>,
    usage: usage::UsageRecorder,
}

impl Registry {
    /// Opens (creating and migrating if needed) the database at `path`.
    pub fn open(path: &Path, catalog: Arc<Catalog>) -> Result<Registry> {
        Ok(Registry {
            connection: db::open(path)?,
            catalog,
            rng: SystemRandom::new(),
            path: Some(path.to_path_buf()),
            usage: usage::UsageRecorder::new(Some(path)),
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
            // No writer: usage cannot be recorded on a read-only file.
            usage: usage::UsageRecorder::new(None),
        })
    }

    /// A registry on a private in-memory database (tests and benchmarks).
    pub fn open_in_memory(catalog: Arc<Catalog>) -> Result<Registry> {
        Ok(Registry {
            connection: db::open_in_memory()?,
            catalog,
            rng: SystemRandom::new(),
            path: None,
            usage: usage::UsageRecorder::new(None),
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

    /// Writes the usage that authorize recorded and has not written yet (pending `used` /
    /// `denied` events and coalesced `last_used_at` values) and waits until it is on disk. The app
    /// and the CLI call it before they exit; dropping the registry does it too.
    pub fn flush_usage(&mut self) -> Result<()> {
        self.usage.flush(&self.connection)
    }

    /// The schema version of the open database (`user_version`): [`db::SCHEMA_VERSION`] once
    /// [`Registry::open`] has migrated it; a read-only registry may hold an older one.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }

    /// Frees the pages SQLite keeps cached for this registry (after a whole-file read such as an
    /// integrity check or a backup). The cache keeps its limit and fills again on demand.
    pub fn release_cache(&self) -> Result<()> {
        Ok(self.connection.execute_batch("PRAGMA shrink_memory")?)
    }

    /// Sets SQLite's soft heap limit, which is the whole process's (0 lifts it): past it, every
    /// connection's page cache recycles its pages rather than growing. The app bounds it while a
    /// whole-file read runs next to the window.
    pub fn set_soft_heap_limit(&self, bytes: i64) -> Result<()> {
        self.connection
            .query_row(&format!("PRAGMA soft_heap_limit = {bytes}"), [], |_| Ok(()))?;
        Ok(())
    }

    /// The underlying connection, for read-only inspection (tests, export, diagnostics). Usage
    /// recorded by authorize reaches it only after [`Registry::flush_usage`].
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// Runs `work` in one IMMEDIATE write transaction. IMMEDIATE takes the write lock up front, so
    /// the busy timeout applies and a read never has to be upgraded (which SQLite cannot wait for).
    ///
    /// Usage this registry recorded and has not written yet is flushed first (nothing to do in
    /// the common case), so the history keeps checks and changes in the order they happened.
    fn write<T>(
        &mut self,
        work: impl FnOnce(&Transaction<'_>, &Catalog) -> Result<T>,
    ) -> Result<T> {
        if self.usage.has_pending() {
            self.flush_usage()?;
        }
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = work(&transaction, &self.catalog)?;
        transaction.commit()?;
        Ok(value)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        // Nobody is left to report a failure to; the writer retries until the channel closes.
        let _ = self.flush_usage();
    }
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
