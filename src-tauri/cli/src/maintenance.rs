//! `backup`, `restore` and `check`: keeping a copy of the registry, putting one back, and finding
//! damage. All three are thin over the core (`Registry::backup_to`, `backup::rotate`,
//! `db::restore`, `db::check_integrity`), which does the copying, checking and atomic renames.
//!
//! `restore` never opens the registry: nothing may have the database open while it is replaced
//! (the core moves the file and its WAL aside), which is also why it tells the user to close the
//! desktop app first. `check` only reads.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use chrono::Utc;
use clapay_core::{backup, db, Catalog, Registry};
use serde::Serialize;

use crate::args::{BackupArgs, RestoreArgs};
use crate::commands::Outcome;
use crate::error::{CliError, CliResult};
use crate::output;

/// The database the command works on: `--db`, else `CLAPAY_TOKENS_DB` (clap fills `--db` from it),
/// else the desktop app's file.
pub fn db_path(db: Option<PathBuf>) -> CliResult<PathBuf> {
    let path = match db.filter(|path| !path.as_os_str().is_empty()) {
        Some(path) => path,
        None => Registry::default_db_path()?,
    };
    if path.is_dir() {
        return Err(CliError::input(
            "not_a_file",
            format!(
                "{} is a folder, not a database file; give the file, e.g. {}",
                path.display(),
                path.join("tokens.db").display()
            ),
        ));
    }
    Ok(path)
}

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The absolute form of a path that may not exist yet (its folder must, to compare).
fn absolute(path: &Path) -> Option<PathBuf> {
    if let Ok(found) = path.canonicalize() {
        return Some(found);
    }
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    parent.canonicalize().ok().map(|folder| folder.join(name))
}

#[derive(Serialize)]
struct BackupJson {
    path: String,
    bytes: u64,
    /// The rolling backups now in the folder, newest first (rolling backups only).
    #[serde(skip_serializing_if = "Option::is_none")]
    kept: Option<Vec<String>>,
}

/// The rolling backups in `folder`, newest first (their names sort as their times).
fn rolling_backups(folder: &Path) -> Vec<PathBuf> {
    let mut found = backup::list_backups(folder).unwrap_or_default();
    found.sort();
    found.reverse();
    found
}

/// `backup [--output FILE]`.
pub fn backup(db: Option<PathBuf>, args: &BackupArgs, json: bool) -> CliResult<Outcome> {
    let path = db_path(db)?;
    if !path.is_file() {
        return Err(CliError::input(
            "not_found",
            format!(
                "there is no database at {}; nothing to back up (check --db or CLAPAY_TOKENS_DB)",
                path.display()
            ),
        ));
    }
    let registry = Registry::open(&path, Catalog::embedded())?;
    let (written, kept) = match &args.output {
        Some(output) => {
            // Writing over the live database (or its WAL) would replace it under the connections
            // that have it open.
            let live = absolute(&path);
            let aimed = absolute(output);
            let clobbers = ["", "-wal", "-shm"]
                .iter()
                .any(|suffix| live.as_ref().map(|live| with_suffix(live, suffix)) == aimed);
            if aimed.is_some() && clobbers {
                return Err(CliError::input(
                    "invalid_output",
                    format!(
                        "--output {} is the database itself (or its journal); write the backup to another file",
                        output.display()
                    ),
                ));
            }
            if output.is_dir() {
                return Err(CliError::input(
                    "invalid_output",
                    format!(
                        "--output {} is a folder; give a file name, e.g. {}",
                        output.display(),
                        output.join("tokens-backup.db").display()
                    ),
                ));
            }
            registry.backup_to(output)?;
            (output.clone(), None)
        }
        None => {
            let folder = backup::backups_dir(&path);
            let written = backup::rotate(&folder, &registry, Utc::now(), backup::KEEP_BACKUPS)?;
            (written, Some(rolling_backups(&folder)))
        }
    };
    drop(registry);
    let bytes = std::fs::metadata(&written)
        .map(|meta| meta.len())
        .unwrap_or(0);
    if json {
        output::json(&BackupJson {
            path: written.display().to_string(),
            bytes,
            kept: kept.map(|list| list.iter().map(|p| p.display().to_string()).collect()),
        })?;
    } else {
        output::stdout_line(&written.display().to_string())?;
        let note = match &kept {
            Some(list) => format!(
                "Backed up {} to {} ({bytes} bytes); {} rolling backup(s) kept in {} (the newest {})",
                path.display(),
                written.display(),
                list.len(),
                backup::backups_dir(&path).display(),
                backup::KEEP_BACKUPS
            ),
            None => format!(
                "Backed up {} to {} ({bytes} bytes)",
                path.display(),
                written.display()
            ),
        };
        output::note(&note);
    }
    Ok(Outcome::Done)
}

#[derive(Serialize)]
struct RestoreJson {
    restored: String,
    from: String,
    /// Where the replaced database was kept; `None` when there was none.
    previous: Option<String>,
}

/// Asks on the terminal; true when the user typed y or yes.
fn confirmed_on_terminal(question: &str) -> CliResult<bool> {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{question} [y/N] ");
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|source| CliError::Io {
            context: "cannot read the answer from the terminal".into(),
            source,
        })?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// `restore FILE [--yes]`.
pub fn restore(db: Option<PathBuf>, args: &RestoreArgs, json: bool) -> CliResult<Outcome> {
    let path = db_path(db)?;
    let kept = with_suffix(&path, backup::BEFORE_RESTORE_SUFFIX);
    let question = format!(
        "Replace the database at {} with the backup {}? Restore only a backup you made: a database \
         file can hold tokens whose secrets someone else has. Close the desktop app first; the \
         current database will be kept as {}.",
        path.display(),
        args.backup.display(),
        kept.display()
    );
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(CliError::input(
                "not_confirmed",
                format!(
                    "restore replaces the database at {}; restore only a backup you made (a database file \
                     can hold tokens whose secrets someone else has), close the desktop app, then confirm with --yes",
                    path.display()
                ),
            ));
        }
        if !confirmed_on_terminal(&question)? {
            return Err(CliError::input(
                "not_confirmed",
                "restore cancelled; nothing changed",
            ));
        }
    }
    let had_database = path.exists();
    db::restore(&args.backup, &path).map_err(|error| {
        if error.is_invalid_input() {
            // The core checks the backup before touching anything: say that nothing changed.
            CliError::input(
                error.kind(),
                format!(
                    "restore refused, the database at {} is unchanged: {error}",
                    path.display()
                ),
            )
        } else {
            CliError::Core(error)
        }
    })?;
    let previous = had_database.then(|| kept.display().to_string());
    if json {
        output::json(&RestoreJson {
            restored: path.display().to_string(),
            from: args.backup.display().to_string(),
            previous,
        })?;
    } else {
        let after = match &previous {
            Some(kept) => format!("the previous database was kept as {kept}"),
            None => "there was no database before".to_string(),
        };
        output::note(&format!(
            "Restored {} from {}; {after}. Restart the desktop app if it was open.",
            path.display(),
            args.backup.display()
        ));
    }
    Ok(Outcome::Done)
}

#[derive(Serialize)]
struct CheckJson<'a> {
    ok: bool,
    #[serde(flatten)]
    report: &'a db::IntegrityReport,
    /// The newest rolling backup, if any (what to restore when the check fails).
    latest_backup: Option<String>,
}

/// `check`: exit 0 when sound, 1 when damaged (with the advice to restore a backup).
pub fn check(db: Option<PathBuf>, json: bool) -> CliResult<Outcome> {
    let path = db_path(db)?;
    let report = db::check_integrity(&path)?;
    let latest = rolling_backups(&backup::backups_dir(&path))
        .into_iter()
        .next();
    if json {
        output::json(&CheckJson {
            ok: report.is_ok(),
            report: &report,
            latest_backup: latest.as_ref().map(|p| p.display().to_string()),
        })?;
    } else {
        output::stdout_line(&report.to_string())?;
    }
    if report.is_ok() {
        return Ok(Outcome::Done);
    }
    if !json {
        let advice = match &latest {
            Some(backup) => format!(
                "error: the database is damaged; close the desktop app and restore a backup, e.g. the newest: clapay-tokens-cli restore {} --yes",
                backup.display()
            ),
            None => "error: the database is damaged; close the desktop app and restore a backup (clapay-tokens-cli restore FILE --yes)".to_string(),
        };
        output::note(&advice);
    }
    Ok(Outcome::Damaged)
}
