//! Integrity checks of a database file, for startup and for the crash tests, and a read-only open
//! for a database too damaged to use normally.
//!
//! [`check_integrity`] never writes and never fails because of what it finds: SQLite's
//! `quick_check`, `foreign_key_check` (which `quick_check` and `integrity_check` do not cover) and the
//! domain invariants are each turned into sentences in an [`IntegrityReport`]. Only a file that is
//! not a database at all, or cannot be opened, is an error.

use std::fmt;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use crate::db::{bad_database, BUSY_TIMEOUT, SCHEMA_VERSION};
use crate::error::{Error, Result};

/// What a check of a database file found. Empty lists mean no problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntegrityReport {
    /// The database file.
    pub path: String,
    /// Damage SQLite's `quick_check` reports (pages, indexes, records).
    pub storage: Vec<String>,
    /// Rows that point at rows that do not exist (`foreign_key_check`).
    pub foreign_keys: Vec<String>,
    /// Broken rules of the domain (a number on a revoked token, a token without composition...).
    pub invariants: Vec<String>,
}

impl IntegrityReport {
    /// True when nothing is wrong.
    pub fn is_ok(&self) -> bool {
        self.storage.is_empty() && self.foreign_keys.is_empty() && self.invariants.is_empty()
    }

    /// Every problem found, in words.
    pub fn problems(&self) -> impl Iterator<Item = &str> {
        self.storage
            .iter()
            .chain(&self.foreign_keys)
            .chain(&self.invariants)
            .map(String::as_str)
    }
}

impl fmt::Display for IntegrityReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_ok() {
            return write!(f, "the database at {} is sound", self.path);
        }
        write!(f, "the database at {} has problems:", self.path)?;
        for problem in self.problems() {
            write!(f, "\n- {problem}")?;
        }
        Ok(())
    }
}

/// Opens the database at `path` read-only, without checking or migrating it: the way to read what
/// is left of a damaged database (export, show) before restoring a backup. A schema newer than this
/// build's is refused, as it could be misread.
pub fn open_read_only(path: &Path) -> Result<Connection> {
    let display = path.display().to_string();
    if !path.is_file() {
        return Err(Error::BadDatabase {
            path: display,
            reason: "there is no database file at this path".into(),
        });
    }
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|error| bad_database(&display, error))?;
    crate::db::distrust_schema(&connection)?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    // The first read of a file that is not SQLite fails here.
    let found: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|error| bad_database(&display, error))?;
    if found > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            path: display,
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(connection)
}

/// Checks the database at `path` without changing it: SQLite's `quick_check`, `foreign_key_check`
/// and the domain invariants. Cheap enough to run at every start of the app.
pub fn check_integrity(path: &Path) -> Result<IntegrityReport> {
    let connection = open_read_only(path)?;
    let mut report = IntegrityReport {
        path: path.display().to_string(),
        storage: Vec::new(),
        foreign_keys: Vec::new(),
        invariants: Vec::new(),
    };
    match rows(&connection, "PRAGMA quick_check", |row| {
        row.get::<_, String>(0)
    }) {
        Ok(found) => report.storage = found.into_iter().filter(|line| line != "ok").collect(),
        Err(error) => report.storage.push(damage(&error)),
    }
    // Reading a damaged file can fail part way; each failure is itself a finding.
    match check_foreign_keys(&connection) {
        Ok(found) => report.foreign_keys = found,
        Err(error) => report.foreign_keys.push(damage(&error)),
    }
    match check_invariants(&connection) {
        Ok(found) => report.invariants = found,
        Err(Error::Storage(error)) => report.invariants.push(damage(&error)),
        Err(other) => return Err(other),
    }
    Ok(report)
}

/// Rows pointing at missing rows (`foreign_key_check`), one sentence each.
pub fn check_foreign_keys(connection: &Connection) -> rusqlite::Result<Vec<String>> {
    rows(
        connection,
        "SELECT \"table\", rowid, parent FROM pragma_foreign_key_check",
        |row| {
            Ok(format!(
                "a row of {} (rowid {}) points at a missing row of {}",
                row.get::<_, String>(0)?,
                row.get::<_, Option<i64>>(1)?
                    .map_or_else(|| "none".to_string(), |id| id.to_string()),
                row.get::<_, String>(2)?
            ))
        },
    )
}

/// The domain rules the schema cannot fully express, checked over the whole database; each broken
/// one is a sentence. An empty database (no schema yet) has none.
pub fn check_invariants(connection: &Connection) -> Result<Vec<String>> {
    let has_schema: bool = connection.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'tokens'",
        [],
        |row| row.get(0),
    )?;
    if !has_schema {
        return Ok(Vec::new());
    }
    let checks: [(&str, &str); 7] = [
        (
            "SELECT n.number || ' is whitelisted on revoked token ' || n.token_id
             FROM numbers n JOIN tokens t ON t.id = n.token_id WHERE t.revoked_at IS NOT NULL",
            "a revoked token holds no number",
        ),
        (
            "SELECT n.number || ' is whitelisted on token ' || n.token_id || ', which was rolled'
             FROM numbers n JOIN tokens t ON t.id = n.token_id WHERE t.rolled_to IS NOT NULL",
            "a roll moves the numbers to the successor",
        ),
        (
            "SELECT 'token ' || t.id || ' has no composition' FROM tokens t
             WHERE NOT EXISTS (SELECT 1 FROM composition c WHERE c.token_id = t.id)",
            "every token has a composition",
        ),
        (
            "SELECT 'token ' || id || ' has a digest of ' || length(digest) || ' bytes' FROM tokens
             WHERE typeof(digest) <> 'blob' OR length(digest) <> 32",
            "a digest is 32 bytes",
        ),
        (
            "SELECT n.number || ' belongs to ' || n.country || ', which is not in the composition of token ' || n.token_id
             FROM numbers n WHERE NOT EXISTS
               (SELECT 1 FROM composition c WHERE c.token_id = n.token_id AND c.country = n.country)",
            "a number's country is in its token's composition",
        ),
        (
            "SELECT 'token ' || t.id || ' has no created event in its history' FROM tokens t
             WHERE NOT EXISTS (SELECT 1 FROM history h WHERE h.token_id = t.id
                               AND h.kind NOT IN ('used', 'denied') AND h.kind = 'created')",
            "every token's history starts with its creation",
        ),
        (
            "SELECT 'token ' || t.id || ' was rolled to ' || s.id || ', which is older'
             FROM tokens t JOIN tokens s ON s.id = t.rolled_to WHERE s.created_at < t.created_at",
            "the successor of a roll is a newer token",
        ),
    ];
    let mut broken = Vec::new();
    for (sql, rule) in checks {
        for finding in rows(connection, sql, |row| row.get::<_, String>(0))? {
            broken.push(format!("{finding} (rule: {rule})"));
        }
    }
    Ok(broken)
}

fn rows<T>(
    connection: &Connection,
    sql: &str,
    map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut statement = connection.prepare(sql)?;
    let found = statement
        .query_map([], map)?
        .collect::<rusqlite::Result<Vec<T>>>();
    found
}

fn damage(error: &rusqlite::Error) -> String {
    format!("the file is damaged and could not be read in full ({error}); restore a backup")
}
