//! Backups and restore: consistent copies of a live database, rolling backups, and a restore that
//! checks a backup before it replaces anything.
//!
//! A copy is taken with SQLite's online backup API in one step, so it is a single read transaction
//! on the source: a consistent snapshot even while another connection or process keeps writing
//! (WAL lets the writer go on). Copying the file itself would miss the WAL and could catch a
//! half-written page. Every copy is written to a temporary file beside the destination, synced, then
//! renamed over it, so a crash leaves either the old destination or the complete new one.
//!
//! Invariants:
//! - a backup or restore never leaves a half-written file under the final name;
//! - [`restore`] changes nothing when the backup is not a sound ClaPay Tokens database of a schema
//!   this build knows (and exactly that schema: no planted trigger or view), and keeps the replaced
//!   database as `<target>.before-restore`;
//! - [`rotate`] only ever deletes files named like its own backups (`tokens-YYYYMMDD-HHMMSS.db`);
//! - every file written here is private to its owner (`0600` on Unix, see
//!   [`crate::private_files`]), whatever the mode of the file it was copied from, and a temporary
//!   file is always created new (`O_EXCL`), never written through a file or link already there.
//!
//! Restoring is a trust decision: a backup can hold tokens whose secrets someone else holds. The
//! app and the CLI say so before they restore; restore only files you made.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use crate::db::{bad_database, BUSY_TIMEOUT, SCHEMA_VERSION};
use crate::error::{Error, Result};
use crate::{private_files, Registry};

/// How many rolling backups [`rotate`] keeps by default.
pub const KEEP_BACKUPS: usize = 7;

/// The suffix of the copy a restore keeps of the database it replaced.
pub const BEFORE_RESTORE_SUFFIX: &str = ".before-restore";

impl Registry {
    /// Writes a consistent copy of the database to `dest` (replacing it atomically if it exists).
    /// Safe while other connections or processes write.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        copy_database(&self.connection, dest)
    }
}

/// The folder of a database's rolling backups: `<file name>-backups` beside it
/// (`tokens.db-backups`), so two databases in one folder (the system's temporary folder, say)
/// never share their backups.
pub fn backups_dir(db_path: &Path) -> PathBuf {
    let name = db_path
        .file_name()
        .map_or_else(|| OsString::from("tokens.db"), OsString::from);
    let mut folder = name;
    folder.push("-backups");
    match db_path.parent() {
        Some(parent) => parent.join(folder),
        None => PathBuf::from(folder),
    }
}

/// Copies the main database of `source` to `dest` with the online backup API, through a new
/// private temporary file beside `dest` that is synced and then renamed over it.
pub fn copy_database(source: &Connection, dest: &Path) -> Result<()> {
    if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        private_files::create_dir_all(parent)
            .map_err(|error| io(error, "cannot create the folder", parent))?;
    }
    let temporary = new_temporary(dest, ".tmp")?;
    let copied = write_copy(source, &temporary).and_then(|()| {
        sync_file(&temporary)?;
        fs::rename(&temporary, dest).map_err(|error| io(error, "cannot write the backup", dest))?;
        sync_parent(dest)
    });
    if copied.is_err() {
        // Best effort: the error that matters is the one being returned.
        let _ = fs::remove_file(&temporary);
    }
    copied
}

fn write_copy(source: &Connection, temporary: &Path) -> Result<()> {
    let mut target = Connection::open(temporary)?;
    target.pragma_update(None, "synchronous", "FULL")?;
    {
        let backup = Backup::new(source, &mut target)?;
        // -1 copies every page in one step: one read transaction, hence one consistent snapshot.
        // Busy or Locked only happen when another connection of this process holds a lock on the
        // destination, which is private here; still, wait rather than spin forever.
        let deadline = Instant::now() + BUSY_TIMEOUT;
        loop {
            match backup.step(-1)? {
                StepResult::Done => break,
                StepResult::Busy | StepResult::Locked if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                StepResult::Busy | StepResult::Locked => {
                    return Err(Error::Storage(rusqlite::Error::SqliteFailure(
                        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                        Some("the database stayed locked during the backup".into()),
                    )))
                }
                // More: pages left to copy (not with -1, but the enum may grow).
                _ => {}
            }
        }
    }
    target.close().map_err(|(_, error)| Error::Storage(error))?;
    Ok(())
}

/// Writes a backup of `registry` named `tokens-YYYYMMDD-HHMMSS.db` (UTC) into `dir` and deletes the
/// oldest of these files beyond the newest `keep` (at least one is always kept). Returns the path
/// of the new backup.
pub fn rotate(dir: &Path, registry: &Registry, now: DateTime<Utc>, keep: usize) -> Result<PathBuf> {
    let dest = dir.join(format!("tokens-{}.db", now.format("%Y%m%d-%H%M%S")));
    registry.backup_to(&dest)?;
    let mut backups = list_backups(dir)?;
    // The names sort as their times do; the newest come last.
    backups.sort();
    let excess = backups.len().saturating_sub(keep.max(1));
    for old in &backups[..excess] {
        fs::remove_file(old).map_err(|error| io(error, "cannot delete the old backup", old))?;
    }
    Ok(dest)
}

/// The rolling backups in `dir`, in no particular order.
pub fn list_backups(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = fs::read_dir(dir).map_err(|error| io(error, "cannot list the folder", dir))?;
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|error| io(error, "cannot list the folder", dir))?;
        if entry.file_name().to_str().is_some_and(is_backup_name) {
            found.push(entry.path());
        }
    }
    Ok(found)
}

/// True for the names [`rotate`] gives its backups: `tokens-YYYYMMDD-HHMMSS.db`, digits where the
/// pattern has letters (so never a path with a separator).
pub fn is_backup_name(name: &str) -> bool {
    let Some(stamp) = name
        .strip_prefix("tokens-")
        .and_then(|rest| rest.strip_suffix(".db"))
    else {
        return false;
    };
    let bytes = stamp.as_bytes();
    bytes.len() == 15
        && bytes[8] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(index, byte)| index == 8 || byte.is_ascii_digit())
}

/// Replaces the database at `target` with the backup at `backup`, after checking that the backup
/// is a sound ClaPay Tokens database (it opens, passes `integrity_check` and `foreign_key_check`,
/// and its schema is not newer than this build's). On any failure `target` is left untouched.
/// The replaced database (with its WAL, if any) is kept as `<target>.before-restore`.
///
/// Nothing may have `target` open while it is restored: close the app first.
pub fn restore(backup: &Path, target: &Path) -> Result<()> {
    let shown = backup.display().to_string();
    if !backup.is_file() {
        return Err(Error::BadDatabase {
            path: shown,
            reason: "there is no backup file at this path".into(),
        });
    }
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        private_files::create_dir_all(parent)
            .map_err(|error| io(error, "cannot create the folder", parent))?;
    }
    // Work on a copy beside the target: checking the backup in place would create WAL files next to
    // it, and the final rename must stay on one file system to be atomic.
    let staged = new_temporary(target, ".restore-tmp")?;
    let result = stage(backup, &staged, &shown).and_then(|()| swap_in(&staged, target));
    if result.is_err() {
        for path in [
            staged.clone(),
            with_suffix(&staged, "-wal"),
            with_suffix(&staged, "-shm"),
        ] {
            let _ = fs::remove_file(path);
        }
    }
    result
}

/// Copies `from` into `to`, a new private file (whatever the mode of `from`).
fn copy_private(from: &Path, to: &Path) -> Result<()> {
    let mut source =
        fs::File::open(from).map_err(|error| io(error, "cannot read the backup", from))?;
    let mut copy = if to.exists() {
        // The staged file itself: `new_temporary` created it, empty, for this copy.
        fs::OpenOptions::new().write(true).truncate(true).open(to)
    } else {
        private_files::create_new(to)
    }
    .map_err(|error| io(error, "cannot write", to))?;
    std::io::copy(&mut source, &mut copy)
        .map_err(|error| io(error, "cannot copy the backup to", to))?;
    Ok(())
}

/// Copies the backup (and its WAL, if it has one) to `staged`, checks it, and folds the WAL in.
fn stage(backup: &Path, staged: &Path, shown: &str) -> Result<()> {
    copy_private(backup, staged)?;
    let backup_wal = with_suffix(backup, "-wal");
    if backup_wal.is_file() {
        copy_private(&backup_wal, &with_suffix(staged, "-wal"))?;
    }
    let connection = Connection::open_with_flags(
        staged,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|error| bad_database(shown, error))?;
    crate::db::distrust_schema(&connection)?;
    let version: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|error| bad_database(shown, error))?;
    let check: Vec<String> = connection
        .prepare("PRAGMA integrity_check")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(|error| bad_database(shown, error))?;
    if check != ["ok"] {
        return Err(Error::BadDatabase {
            path: shown.into(),
            reason: format!(
                "the backup is damaged ({}); pick another one",
                check.join("; ")
            ),
        });
    }
    if version > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            path: shown.into(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    let has_tokens: bool = connection
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'tokens'",
            [],
            |row| row.get(0),
        )
        .map_err(|error| bad_database(shown, error))?;
    let application: i64 = connection
        .query_row("PRAGMA application_id", [], |row| row.get(0))
        .map_err(|error| bad_database(shown, error))?;
    if application == 0 && version > 0 && has_tokens {
        return Err(Error::PreReleaseDatabase { path: shown.into() });
    }
    if version == 0 || !has_tokens || application != crate::db::APPLICATION_ID {
        return Err(Error::BadDatabase {
            path: shown.into(),
            reason: "it is a SQLite file but not a ClaPay Tokens database".into(),
        });
    }
    // Exactly the schema of its version: a planted trigger or view would run on every write.
    crate::db::verify_schema(&connection, shown)?;
    let orphans: i64 = connection
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
            row.get(0)
        })
        .map_err(|error| bad_database(shown, error))?;
    if orphans > 0 {
        return Err(Error::BadDatabase {
            path: shown.into(),
            reason: format!(
                "the backup has {orphans} row(s) pointing at missing rows; pick another one"
            ),
        });
    }
    // Fold any WAL into the file so the single file moved into place is the whole database.
    connection
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .map_err(|error| bad_database(shown, error))?;
    connection
        .close()
        .map_err(|(_, error)| Error::Storage(error))?;
    remove_if_exists(&with_suffix(staged, "-wal"))?;
    remove_if_exists(&with_suffix(staged, "-shm"))?;
    sync_file(staged)
}

/// Moves the current target (with its WAL) aside as `.before-restore` and the staged copy in.
fn swap_in(staged: &Path, target: &Path) -> Result<()> {
    let kept = with_suffix(target, BEFORE_RESTORE_SUFFIX);
    for suffix in ["", "-wal", "-shm"] {
        remove_if_exists(&with_suffix(&kept, suffix))?;
    }
    if target.exists() {
        fs::rename(target, &kept)
            .map_err(|error| io(error, "cannot move the current database aside", target))?;
        // It holds the merchant's numbers: private, whatever mode the database had.
        private_files::restrict(&kept)
            .map_err(|error| io(error, "cannot restrict the permissions of", &kept))?;
    }
    // The WAL belongs to the file it was written for: it goes with the old database, where SQLite
    // will find it as `<target>.before-restore-wal`, and must never be replayed onto the restored one.
    for suffix in ["-wal", "-shm"] {
        let companion = with_suffix(target, suffix);
        if companion.exists() {
            fs::rename(&companion, with_suffix(&kept, suffix))
                .map_err(|error| io(error, "cannot move the current database aside", &companion))?;
        }
    }
    fs::rename(staged, target).map_err(|error| io(error, "cannot restore the backup", target))?;
    sync_parent(target)
}

/// `path` with `suffix` appended to its file name (`tokens.db` + `-wal` = `tokens.db-wal`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// Creates a new, empty, private file beside `path` with a name no other file has
/// (`<path><tag>-<process>-<n>`) and returns its path.
fn new_temporary(path: &Path, tag: &str) -> Result<PathBuf> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    loop {
        let candidate = with_suffix(
            path,
            &format!(
                "{tag}-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ),
        );
        match private_files::create_new(&candidate) {
            Ok(_) => return Ok(candidate),
            // Left by a process that had this id before, or planted: never reused.
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(io(error, "cannot create a temporary file beside", path)),
        }
    }
}

fn remove_if_exists(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(io(error, "cannot remove the stale file", path))
        }
        _ => Ok(()),
    }
}

fn sync_file(path: &Path) -> Result<()> {
    fs::File::open(path)
        .and_then(|file| file.sync_all())
        .map_err(|error| io(error, "cannot flush the file to disk", path))
}

/// Makes a rename durable: on Unix the directory entry is synced too. Other systems have no
/// portable way to open a directory, and their rename is already journaled.
fn sync_parent(path: &Path) -> Result<()> {
    #[cfg(unix)]
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::File::open(parent)
            .and_then(|dir| dir.sync_all())
            .map_err(|error| io(error, "cannot flush the folder to disk", parent))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn io(source: std::io::Error, what: &str, path: &Path) -> Error {
    Error::Io {
        context: format!("{what} {}", path.display()),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_backup_names_are_rotated() {
        assert!(is_backup_name("tokens-20261128-100000.db"));
        for other in [
            "tokens.db",
            "tokens-20261128-100000.db-wal",
            "tokens-2026112-100000.db",
            "tokens-20261128_100000.db",
            "tokens-2026112x-100000.db",
            "notes-20261128-100000.db",
        ] {
            assert!(!is_backup_name(other), "{other} is not a rolling backup");
        }
    }

    #[test]
    fn suffixes_are_appended_to_the_file_name() {
        assert_eq!(
            with_suffix(Path::new("/a/tokens.db"), "-wal"),
            PathBuf::from("/a/tokens.db-wal")
        );
    }
}
