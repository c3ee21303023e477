//! The merchant's settings.

use tauri::{AppHandle, Runtime, State};

use crate::error::CommandError;
use crate::settings::{self, Settings};
use crate::state::{run_blocking, AppState};

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
    run_blocking(move || settings::save(&app, &path, &to_save)).await?;
    state.set_settings(settings.clone())?;
    Ok(settings)
}
