//! Rolling backups of the database and restoring one, for the Settings screen and the daily
//! background backup ([`crate::housekeeping`]).
//!
//! Backups are `tokens-YYYYMMDD-HHMMSS.db` files (UTC) in the database's backups folder
//! (`tokens.db-backups` beside it), written with the core's [`backup::rotate`] (SQLite's online
//! backup API, then fsync and rename), the newest [`backup::KEEP_BACKUPS`] kept.
//!
//! Invariants:
//! - a database open read-only after a failed integrity check is never backed up: its copy would
//!   push a sound backup out of the rotation;
//! - a backup dated in the future (the clock was set back) does not count as the newest, so daily
//!   backups go on;
//! - a restore happens under the database lock with the registry closed, and the database is
//!   reopened (and checked) whatever the outcome, so the app never stays without one.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clapay_core::backup::backups_dir;
use clapay_core::{backup, db, Catalog};
use serde::Serialize;

use crate::database::Database;
use crate::error::CommandError;

/// How often the background work backs up the database.
pub const BACKUP_INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);

/// A rolling backup, as `list_backups` returns it.
#[derive(Debug, Clone, Serialize)]
pub struct BackupEntry {
    /// The file name inside the backups folder (`tokens-YYYYMMDD-HHMMSS.db`).
    pub file: String,
    /// When it was taken (from its name, UTC).
    pub at: DateTime<Utc>,
    /// Its size in bytes.
    pub size: u64,
}

/// `backup_now` result.
#[derive(Debug, Clone, Serialize)]
pub struct BackupTaken {
    /// The file name inside the backups folder.
    pub file: String,
    /// The full path of the new backup.
    pub path: String,
    /// When it was taken.
    pub at: DateTime<Utc>,
}

/// `restore_backup` result.
#[derive(Debug, Clone, Serialize)]
pub struct Restored {
    /// The backup that is now the database.
    pub file: String,
    /// Where the replaced database was kept.
    pub before_restore: String,
}

/// The time a backup's name records (`tokens-YYYYMMDD-HHMMSS.db`, UTC).
pub fn backup_time(file: &str) -> Option<DateTime<Utc>> {
    let stamp = file.strip_prefix("tokens-")?.strip_suffix(".db")?;
    chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%d-%H%M%S")
        .ok()
        .map(|time| time.and_utc())
}

/// The rolling backups in `dir`, newest first; a folder that does not exist yet has none.
pub fn list(dir: &Path) -> Result<Vec<BackupEntry>, CommandError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut entries = Vec::new();
    for path in backup::list_backups(dir)? {
        let Some(file) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        let Some(at) = backup_time(file) else {
            continue;
        };
        let size = std::fs::metadata(&path).map_or(0, |meta| meta.len());
        entries.push(BackupEntry {
            file: file.to_owned(),
            at,
            size,
        });
    }
    entries.sort_by_key(|entry| std::cmp::Reverse(entry.at));
    Ok(entries)
}

/// Writes a rolling backup now (Settings' "Back up now" and the daily thread).
pub fn take(
    database: &Database,
    db_path: &Path,
    now: DateTime<Utc>,
) -> Result<BackupTaken, CommandError> {
    if let Some(problem) = &database.integrity_problem {
        return Err(CommandError::read_only(problem));
    }
    let registry = database.registry.as_ref().map_err(Clone::clone)?;
    let path = backup::rotate(&backups_dir(db_path), registry, now, backup::KEEP_BACKUPS)?;
    log::info!("backup written to {}", path.display());
    Ok(BackupTaken {
        file: path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default(),
        path: path.display().to_string(),
        at: now,
    })
}

/// Replaces the database with the backup `file` of the backups folder: closes the registry,
/// restores with the core's checks (the replaced database is kept as `.before-restore`), then
/// reopens. A refused restore leaves the database as it was, reopened.
pub fn restore(
    database: &mut Database,
    db_path: &Path,
    catalog: Arc<Catalog>,
    file: &str,
) -> Result<Restored, CommandError> {
    let source = backups_dir(db_path).join(file);
    // Only a plain backup name (no separator, no `..`) may be joined to the folder.
    if !backup::is_backup_name(file) || !source.is_file() {
        return Err(CommandError::not_found(format!(
            "There is no backup named {file:?} in {}",
            backups_dir(db_path).display()
        )));
    }
    // Close the registry first: nothing may have the database open while it is replaced.
    drop(std::mem::replace(
        &mut database.registry,
        Err(CommandError::internal("The database is being restored")),
    ));
    let restored = db::restore(&source, db_path);
    *database = Database::open(db_path, catalog);
    restored?;
    log::info!("database restored from backup {file}");
    let mut kept = db_path.as_os_str().to_owned();
    kept.push(backup::BEFORE_RESTORE_SUFFIX);
    Ok(Restored {
        file: file.to_owned(),
        before_restore: PathBuf::from(kept).display().to_string(),
    })
}

/// How long until the next daily backup is due: zero when there is none or the newest is
/// [`BACKUP_INTERVAL`] old. Backups dated after `now` (the clock went back) are not counted.
pub fn due_in(dir: &Path, now: DateTime<Utc>) -> Duration {
    let newest = list(dir).ok().and_then(|entries| {
        entries
            .into_iter()
            .map(|entry| entry.at)
            .filter(|at| *at <= now)
            .max()
    });
    match newest {
        None => Duration::ZERO,
        Some(at) => {
            let age = (now - at).to_std().unwrap_or(Duration::ZERO);
            BACKUP_INTERVAL.saturating_sub(age)
        }
    }
}
