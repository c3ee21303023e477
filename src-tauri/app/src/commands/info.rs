//! What the window asks about the app itself: version and paths, that it has drawn its first
//! page, and what the start-up integrity check found.

use std::collections::BTreeMap;

use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

use crate::error::CommandError;
use crate::state::{run_blocking, AppState};

/// `app_info` result.
#[derive(Debug, Serialize)]
pub struct AppInfo {
    version: String,
    db_path: String,
    catalog_version: String,
    locale: String,
    /// The first problem of a failed integrity check (the database is then read-only); `None`
    /// also while the start-up check is still running (`integrity_check` waits for it).
    integrity_problem: Option<String>,
}

/// Version, database path, catalog version and OS locale, for the About box and bug reports.
#[tauri::command]
pub async fn app_info<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<AppInfo, CommandError> {
    let slot = state.database();
    let (catalog_version, integrity_problem) = run_blocking(move || {
        let database = slot.lock_readable()?;
        let registry = database.registry.as_ref().map_err(Clone::clone)?;
        Ok((
            registry.catalog().version.clone(),
            database.integrity_problem.clone(),
        ))
    })
    .await?;
    Ok(AppInfo {
        version: app.package_info().version.to_string(),
        db_path: state.paths.db.display().to_string(),
        catalog_version,
        locale: sys_locale::get_locale().unwrap_or_else(|| "en-US".to_owned()),
        integrity_problem,
    })
}

/// Logs the UI's start time (read by the start-time benchmark), with the moments the page passed
/// on the way (`phases`, ms since navigation start, in time order).
#[tauri::command]
pub async fn ui_ready(
    millis: f64,
    phases: Option<BTreeMap<String, f64>>,
) -> Result<(), CommandError> {
    log::info!(
        "ui-ready millis={millis:.0}{}",
        phase_text(&phases.unwrap_or_default())
    );
    Ok(())
}

/// " html=23 modules=67 ...": the page's phases in time order. Only short lower-case names and
/// finite times are written, at most 8, so the page cannot put anything else in the log.
fn phase_text(phases: &BTreeMap<String, f64>) -> String {
    let mut kept: Vec<(&str, f64)> = phases
        .iter()
        .filter(|(name, ms)| {
            (1..=16).contains(&name.len())
                && name.bytes().all(|b| b.is_ascii_lowercase())
                && ms.is_finite()
        })
        .map(|(name, ms)| (name.as_str(), *ms))
        .take(8)
        .collect();
    kept.sort_by(|a, b| a.1.total_cmp(&b.1));
    kept.iter()
        .map(|(name, ms)| format!(" {name}={ms:.0}"))
        .collect()
}

/// Waits until the start-up integrity check has reported and returns the first problem it found
/// (`None`: the database is sound and writable), for the read-only banner.
#[tauri::command]
pub async fn integrity_check(state: State<'_, AppState>) -> Result<Option<String>, CommandError> {
    let slot = state.database();
    run_blocking(move || slot.integrity_problem()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_phases_are_logged_in_time_order_and_nothing_else_reaches_the_log() {
        let phases = BTreeMap::from([
            ("dom".to_owned(), 180.4),
            ("modules".to_owned(), 67.0),
            ("calls".to_owned(), 87.6),
            ("html".to_owned(), 23.2),
            ("evil\nui-ready millis=1".to_owned(), 1.0),
            ("Upper".to_owned(), 2.0),
            ("nan".to_owned(), f64::NAN),
            (String::new(), 3.0),
        ]);
        assert_eq!(phase_text(&phases), " html=23 modules=67 calls=88 dom=180");
        assert_eq!(phase_text(&BTreeMap::new()), "");
    }
}
