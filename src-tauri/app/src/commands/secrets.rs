//! The secret of a token just created or rolled: handed to the window once, held for the copy
//! button (and the dialog's Ctrl+C, which calls the same command), then discarded. While one is
//! held the window's content is protected from screen capture and sharing: Windows and macOS
//! honour it; on Linux Tauri's content protection does nothing (neither X11 nor Wayland lets a
//! window refuse capture), so there it only documents the intent.

use std::time::Duration;

use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime, State};
use zeroize::Zeroizing;

use crate::clipboard::ClearOutcome;
use crate::error::CommandError;
use crate::state::{run_blocking, AppState};
use crate::MAIN_WINDOW;

/// `copy_secret` result.
#[derive(Debug, Serialize)]
pub struct CopyResult {
    pub(crate) clear_after_secs: u32,
    /// The copy's number, for `clipboard_outcome`.
    pub(crate) copy: u64,
}

/// Serializes a held secret into a command's answer (its only way to the window).
pub fn serialize_secret<S: serde::Serializer>(
    secret: &Zeroizing<String>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret)
}

/// Holds the secret of a new token for its dialog and protects the window while it is shown.
/// Returns the copy the command answers with.
pub fn show_secret<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    id: &str,
    secret: &clapay_core::Secret,
) -> Result<Zeroizing<String>, CommandError> {
    // `to_owned` allocates exactly the secret's length: no reallocation leaves a stray copy.
    let secret = Zeroizing::new(secret.expose_secret().to_owned());
    state.secrets.hold(id, secret.clone())?;
    protect_window(app, true);
    Ok(secret)
}

fn protect_window<R: Runtime>(app: &AppHandle<R>, protected: bool) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        if let Err(error) = window.set_content_protected(protected) {
            log::warn!("the window's content protection could not be set: {error}");
        }
    }
}

/// Copies the held secret of a token just created, marked sensitive, cleared after the delay.
#[tauri::command]
pub async fn copy_secret(
    state: State<'_, AppState>,
    id: String,
) -> Result<CopyResult, CommandError> {
    let secret = state.secrets.get(&id)?;
    guarded_copy(&state, secret, &format!("secret of token {id}")).await
}

/// Puts `text` on the clipboard marked sensitive, cleared after the merchant's delay: the one
/// way a secret or a key reaches the clipboard. `what` names it in the log (never the text).
pub(super) async fn guarded_copy(
    state: &AppState,
    text: Zeroizing<String>,
    what: &str,
) -> Result<CopyResult, CommandError> {
    let clear_after_secs = state.settings()?.clipboard_clear_secs;
    let clipboard = state.clipboard.clone();
    let copy = run_blocking(move || {
        clipboard
            .copy(text, Duration::from_secs(u64::from(clear_after_secs)))
            .map_err(CommandError::clipboard)
    })
    .await?;
    log::info!("{what} copied; clipboard clears in {clear_after_secs} s");
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
    run_blocking(move || Ok(clipboard.outcome(copy, OUTCOME_WAIT))).await
}

/// Zeroizes and drops the held secret (the dialog's Done); the window's protection is lifted
/// once no secret is held.
#[tauri::command]
pub async fn discard_secret<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
) -> Result<(), CommandError> {
    if !state.secrets.discard(&id)? {
        protect_window(&app, false);
    }
    Ok(())
}
