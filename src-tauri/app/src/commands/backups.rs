//! Backups from Settings: back up now, the rolling backups, restore one.

use std::sync::Arc;

use chrono::Utc;
use clapay_core::backup::backups_dir;
use tauri::State;

use crate::backups::{self, BackupEntry, BackupTaken, Restored};
use crate::catalog_file::load_catalog;
use crate::error::CommandError;
use crate::state::{run_blocking, AppState};

/// Writes a rolling backup now (Settings, "Back up now"); refused while the database is open
/// read-only.
#[tauri::command]
pub async fn backup_now(state: State<'_, AppState>) -> Result<BackupTaken, CommandError> {
    let db_path = state.paths.db.clone();
    state
        .with_database(move |database| backups::take(database, &db_path, Utc::now()))
        .await
}

/// The rolling backups, newest first.
#[tauri::command]
pub async fn list_backups(state: State<'_, AppState>) -> Result<Vec<BackupEntry>, CommandError> {
    let dir = backups_dir(&state.paths.db);
    run_blocking(move || backups::list(&dir)).await
}

/// Replaces the database with one of the rolling backups and reopens it; the replaced database
/// is kept as `<db>.before-restore`.
#[tauri::command]
pub async fn restore_backup(
    state: State<'_, AppState>,
    file: String,
) -> Result<Restored, CommandError> {
    let db_path = state.paths.db.clone();
    let catalog_path = state.paths.catalog.clone();
    state
        .with_database(move |database| {
            let catalog = match &database.registry {
                Ok(registry) => Arc::clone(registry.catalog()),
                Err(_) => load_catalog(&catalog_path),
            };
            backups::restore(database, &db_path, catalog, &file)
        })
        .await
}
