//! Payment checks from many threads at once, for the sandbox gateway.
//!
//! A [`Checker`] keeps a pool of connections to the database (one per thread checking at the same
//! time, created on demand) and one [`UsageWriter`] that records every check in batches. A check
//! decides with the same [`crate::authorize`] rules as the app and the CLI; only the way it is
//! recorded differs (see [`crate::usage`]). The app and the CLI use [`crate::Registry`] instead.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::authorize::{decide, AuthorizeRequest, Decision};
use crate::error::Result;
use crate::usage::UsageWriter;
use crate::Catalog;

/// Decides payment checks concurrently and records them in batches.
pub struct Checker {
    path: PathBuf,
    catalog: RwLock<Arc<Catalog>>,
    idle: Mutex<Vec<Connection>>,
    writer: UsageWriter,
}

impl Checker {
    /// Opens the database at `path` (checking and migrating it as [`crate::Registry::open`]
    /// does) and starts the usage writer.
    pub fn open(path: &Path, catalog: Arc<Catalog>) -> Result<Checker> {
        let first = crate::db::open(path)?;
        let writer = UsageWriter::start(path)?;
        Ok(Checker {
            path: path.to_path_buf(),
            catalog: RwLock::new(catalog),
            idle: Mutex::new(vec![first]),
            writer,
        })
    }

    /// The catalog in use.
    pub fn catalog(&self) -> Arc<Catalog> {
        Arc::clone(&self.catalog.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Replaces the catalog in use (the merchant imported a newer one).
    pub fn set_catalog(&self, catalog: Arc<Catalog>) {
        *self.catalog.write().unwrap_or_else(PoisonError::into_inner) = catalog;
    }

    /// Checks a payment and queues its record. The record is on disk within the writer's batch
    /// window, or when [`Checker::flush`] returns.
    pub fn authorize(&self, request: &AuthorizeRequest, now: DateTime<Utc>) -> Result<Decision> {
        let connection = self.take_connection()?;
        let decided = decide(&connection, &self.catalog(), request, now);
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(connection);
        let (decision, event) = decided?;
        self.writer.record(event)?;
        Ok(decision)
    }

    /// Waits until every check made so far is on disk.
    pub fn flush(&self) -> Result<()> {
        self.writer.flush()
    }

    /// Writes what is left and stops the writer.
    pub fn close(self) -> Result<()> {
        self.writer.close()
    }

    fn take_connection(&self) -> Result<Connection> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match idle {
            Some(connection) => Ok(connection),
            None => crate::db::open_existing(&self.path),
        }
    }
}
