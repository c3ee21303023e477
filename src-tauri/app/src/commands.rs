//! The Tauri commands of docs/ipc.md. Each one takes its state, makes one core (or settings,
//! or clipboard) call and converts the error to `{kind, message, field}`; no SQL and no business
//! rule lives here.
//!
//! Database work runs in the blocking pool through [`AppState::with_registry`]; the commands are
//! `async` so the UI thread never waits on SQLite. The only secret that crosses IPC is the one
//! `create_token` returns, once.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use clapay_core::catalog::CatalogChanges;
use clapay_core::{
    AuthorizeRequest, Catalog, Decision, HistoryPage, ListQuery, NewToken, PhoneCheck,
    TokenChanges, TokenDetails, TokenPage, Triple,
};
use serde::{Serialize, Serializer};
use tauri::{AppHandle, Manager, Runtime, State};
use zeroize::Zeroizing;

use crate::backups::{self, BackupEntry, BackupTaken, Restored};
use crate::clipboard::ClearOutcome;
use crate::error::CommandError;
use crate::settings::{self, Settings};
use crate::state::{load_catalog, save_catalog, AppState};

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

/// A catalog shared with the registry, serialized as the catalog itself.
#[derive(Debug)]
pub struct SharedCatalog(Arc<Catalog>);

impl Serialize for SharedCatalog {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// `create_token` result: the token and, this once, its secret.
#[derive(Serialize)]
pub struct CreatedTokenResponse {
    token: TokenDetails,
    #[serde(serialize_with = "serialize_secret")]
    secret: Zeroizing<String>,
}

fn serialize_secret<S: Serializer>(
    secret: &Zeroizing<String>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret)
}

/// `copy_secret` result.
#[derive(Debug, Serialize)]
pub struct CopyResult {
    clear_after_secs: u32,
    /// The copy's number, for `clipboard_outcome`.
    copy: u64,
}

/// Version, database path, catalog version and OS locale, for the About box and bug reports.
#[tauri::command]
pub async fn app_info<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<AppInfo, CommandError> {
    let (catalog_version, integrity_problem) = state
        .with_readable_database(|database| {
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

/// The catalog in use.
#[tauri::command]
pub async fn get_catalog(state: State<'_, AppState>) -> Result<SharedCatalog, CommandError> {
    state
        .with_registry(|registry| Ok(SharedCatalog(Arc::clone(registry.catalog()))))
        .await
}

/// `preview_catalog` result: the file's version and what applying it would change.
#[derive(Debug, Serialize)]
pub struct CatalogPreview {
    version: String,
    current_version: String,
    changes: CatalogChanges,
}

/// Validates a replacement catalog and says what it would add and remove, applying nothing
/// (the import dialog shows it, then `import_catalog` applies the same text).
#[tauri::command]
pub async fn preview_catalog(
    state: State<'_, AppState>,
    json: String,
) -> Result<CatalogPreview, CommandError> {
    state
        .with_registry(move |registry| {
            let current = registry.catalog();
            let (new, changes) = current.preview_replacement(&json)?;
            Ok(CatalogPreview {
                version: new.version,
                current_version: current.version.clone(),
                changes,
            })
        })
        .await
}

/// Validates a replacement catalog, keeps it for the next start and puts it in use.
#[tauri::command]
pub async fn import_catalog(
    state: State<'_, AppState>,
    json: String,
) -> Result<SharedCatalog, CommandError> {
    let path = state.paths.catalog.clone();
    let catalog =
        tauri::async_runtime::spawn_blocking(move || -> Result<Arc<Catalog>, CommandError> {
            let catalog = Arc::new(Catalog::from_json(&json)?);
            save_catalog(&path, &json)?;
            Ok(catalog)
        })
        .await
        .map_err(|error| CommandError::internal(format!("The catalog task failed: {error}")))??;
    log::info!("catalog version {} imported", catalog.version);
    state
        .with_registry(move |registry| {
            registry.set_catalog(Arc::clone(&catalog));
            Ok(SharedCatalog(catalog))
        })
        .await
}

/// One page of the token list.
#[tauri::command]
pub async fn list_tokens(
    state: State<'_, AppState>,
    query: ListQuery,
) -> Result<TokenPage, CommandError> {
    state
        .with_registry(move |registry| registry.list_tokens(&query, Utc::now()))
        .await
}

/// One token with its composition and numbers.
#[tauri::command]
pub async fn get_token(
    state: State<'_, AppState>,
    id: String,
) -> Result<TokenDetails, CommandError> {
    state
        .with_registry(move |registry| registry.get_token(&id, Utc::now()))
        .await
}

/// Events shown per page of the details screen when the window does not say.
const HISTORY_PAGE: u32 = 20;

/// A page of the token's event log, newest first: the events older than the event `before` (the
/// newest when absent), at most `limit` (default 20, at most 500), and how many are older still.
#[tauri::command]
pub async fn token_history(
    state: State<'_, AppState>,
    id: String,
    before: Option<i64>,
    limit: Option<u32>,
) -> Result<HistoryPage, CommandError> {
    state
        .with_registry(move |registry| {
            registry.token_history_page(&id, before, limit.unwrap_or(HISTORY_PAGE))
        })
        .await
}

/// Creates a token; its secret is returned this once and held for `copy_secret` until
/// `discard_secret`.
#[tauri::command]
pub async fn create_token<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    request: NewToken,
) -> Result<CreatedTokenResponse, CommandError> {
    let created = state
        .with_writable_registry(move |registry| registry.create_token(&request, Utc::now()))
        .await?;
    // `to_owned` allocates exactly the secret's length: no reallocation leaves a stray copy.
    let secret = Zeroizing::new(created.secret.expose_secret().to_owned());
    state.hold_secret(&created.token.summary.id, secret.clone())?;
    protect_window_content(&app, true);
    log::info!("token {} created", created.token.summary.id);
    Ok(CreatedTokenResponse {
        token: created.token,
        secret,
    })
}

/// Copies the held secret of a token just created, marked sensitive, cleared after the delay.
#[tauri::command]
pub async fn copy_secret(
    state: State<'_, AppState>,
    id: String,
) -> Result<CopyResult, CommandError> {
    let secret = state.held_secret(&id)?;
    let clear_after_secs = state.settings()?.clipboard_clear_secs;
    let clipboard = state.clipboard.clone();
    let copy = tauri::async_runtime::spawn_blocking(move || {
        clipboard.copy(secret, Duration::from_secs(u64::from(clear_after_secs)))
    })
    .await
    .map_err(|error| CommandError::internal(format!("The clipboard task failed: {error}")))?
    .map_err(CommandError::clipboard)?;
    log::info!("secret of token {id} copied; clipboard clears in {clear_after_secs} s");
    Ok(CopyResult {
        clear_after_secs,
        copy,
    })
}

/// How long `clipboard_outcome` waits for a copy whose deadline has not come yet: the dialog asks
/// when its countdown ends, the moment the owner thread clears.
const OUTCOME_WAIT: Duration = Duration::from_secs(5);

/// What became of a copy once its delay was over: `cleared`, `left_alone` (the clipboard held
/// something else by then), `replaced` (a later copy), `failed`, or `pending` (not known yet).
#[tauri::command]
pub async fn clipboard_outcome(
    state: State<'_, AppState>,
    copy: u64,
) -> Result<ClearOutcome, CommandError> {
    let clipboard = state.clipboard.clone();
    tauri::async_runtime::spawn_blocking(move || clipboard.outcome(copy, OUTCOME_WAIT))
        .await
        .map_err(|error| CommandError::internal(format!("The clipboard task failed: {error}")))
}

/// Zeroizes and drops the held secret (the dialog's Done).
#[tauri::command]
pub async fn discard_secret<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
) -> Result<(), CommandError> {
    let discarded = state.discard_secret(&id);
    protect_window_content(&app, false);
    discarded
}

/// Asks the system to keep the main window out of screenshots and screen sharing while a secret
/// is on screen (from `create_token` until `discard_secret`). Windows and macOS honour it; on
/// Linux Tauri's content protection does nothing (neither X11 nor Wayland lets a window refuse
/// capture), so there it only documents the intent. A failure is logged, not fatal: the secret
/// dialog matters more than the protection.
fn protect_window_content<R: Runtime>(app: &AppHandle<R>, protected: bool) {
    let Some(window) = app.get_webview_window(crate::MAIN_WINDOW) else {
        return;
    };
    if let Err(error) = window.set_content_protected(protected) {
        log::warn!("could not set the window's content protection to {protected}: {error}");
    }
}

/// Changes name, description or expiry.
#[tauri::command]
pub async fn update_token(
    state: State<'_, AppState>,
    id: String,
    changes: TokenChanges,
) -> Result<TokenDetails, CommandError> {
    state
        .with_writable_registry(move |registry| registry.update_token(&id, &changes, Utc::now()))
        .await
}

/// Revokes a token for good.
#[tauri::command]
pub async fn revoke_token(
    state: State<'_, AppState>,
    id: String,
) -> Result<TokenDetails, CommandError> {
    state
        .with_writable_registry(move |registry| registry.revoke_token(&id, Utc::now()))
        .await
}

/// Replaces the whole composition.
#[tauri::command]
pub async fn set_composition(
    state: State<'_, AppState>,
    id: String,
    composition: Vec<Triple>,
    confirm_remove_numbers: bool,
) -> Result<TokenDetails, CommandError> {
    state
        .with_writable_registry(move |registry| {
            registry.set_composition(&id, &composition, confirm_remove_numbers, Utc::now())
        })
        .await
}

/// Validates a phone number for a country and says which token holds it, if any.
#[tauri::command]
pub async fn check_phone(
    state: State<'_, AppState>,
    country: String,
    phone: String,
) -> Result<PhoneCheck, CommandError> {
    state
        .with_registry(move |registry| registry.check_phone(&country, &phone))
        .await
}

/// Whitelists a number on a token.
#[tauri::command]
pub async fn add_number(
    state: State<'_, AppState>,
    id: String,
    country: String,
    phone: String,
) -> Result<TokenDetails, CommandError> {
    state
        .with_writable_registry(move |registry| {
            registry.add_number(&id, &country, &phone, Utc::now())
        })
        .await
}

/// Disables or re-enables a whitelisted number.
#[tauri::command]
pub async fn set_number_enabled(
    state: State<'_, AppState>,
    id: String,
    number: String,
    enabled: bool,
) -> Result<TokenDetails, CommandError> {
    state
        .with_writable_registry(move |registry| {
            registry.set_number_enabled(&id, &number, enabled, Utc::now())
        })
        .await
}

/// Removes a whitelisted number.
#[tauri::command]
pub async fn remove_number(
    state: State<'_, AppState>,
    id: String,
    number: String,
) -> Result<TokenDetails, CommandError> {
    state
        .with_writable_registry(move |registry| registry.remove_number(&id, &number, Utc::now()))
        .await
}

/// Checks a payment as the payment API would ("Check a payment" screen); counts as a use.
#[tauri::command]
pub async fn authorize(
    state: State<'_, AppState>,
    request: AuthorizeRequest,
) -> Result<Decision, CommandError> {
    state
        .with_writable_registry(move |registry| {
            let decision = registry.authorize(&request, Utc::now())?;
            // Batching usage is for an API checking thousands of payments; a merchant's test
            // check is one click, and its event is on disk before the answer is shown.
            registry.flush_usage()?;
            Ok(decision)
        })
        .await
}

/// The settings in use.
#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Result<Settings, CommandError> {
    state.settings()
}

/// Validates, saves and applies the settings.
#[tauri::command]
pub async fn update_settings<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    settings: Settings,
) -> Result<Settings, CommandError> {
    let path = state.paths.settings.clone();
    let to_save = settings.clone();
    tauri::async_runtime::spawn_blocking(move || settings::save(&app, &path, &to_save))
        .await
        .map_err(|error| CommandError::internal(format!("The settings task failed: {error}")))??;
    state.set_settings(settings.clone())?;
    Ok(settings)
}

/// Logs the UI's start time (read by the start-time benchmark), with the moments the page passed
/// on the way (`phases`, ms since navigation start, in time order); the first page is on screen,
/// so the start-up integrity check may begin.
#[tauri::command]
pub async fn ui_ready(
    state: State<'_, AppState>,
    millis: f64,
    phases: Option<BTreeMap<String, f64>>,
) -> Result<(), CommandError> {
    log::info!(
        "ui-ready millis={millis:.0}{}",
        phase_text(&phases.unwrap_or_default())
    );
    state.database().first_page_shown();
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
    tauri::async_runtime::spawn_blocking(move || slot.integrity_problem())
        .await
        .map_err(|error| CommandError::internal(format!("A database task failed: {error}")))?
}

/// Writes a rolling backup now (Settings, "Back up now"); refused while the database is open
/// read-only.
#[tauri::command]
pub async fn backup_now(state: State<'_, AppState>) -> Result<BackupTaken, CommandError> {
    let db_path = state.paths.db.clone();
    state
        .with_database_slot(move |database| backups::take(database, &db_path, Utc::now()))
        .await
}

/// The rolling backups, newest first.
#[tauri::command]
pub async fn list_backups(state: State<'_, AppState>) -> Result<Vec<BackupEntry>, CommandError> {
    let dir = backups::backups_dir(&state.paths.db);
    tauri::async_runtime::spawn_blocking(move || backups::list(&dir))
        .await
        .map_err(|error| CommandError::internal(format!("The backup task failed: {error}")))?
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
        .with_database_slot(move |database| {
            let catalog = match &database.registry {
                Ok(registry) => Arc::clone(registry.catalog()),
                Err(_) => load_catalog(&catalog_path),
            };
            backups::restore(database, &db_path, catalog, &file)
        })
        .await
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
