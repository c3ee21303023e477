//! The Sandbox screen: start and stop the local gateway, its status, its request log, and its
//! webhook keys, each revealed or copied only on the merchant's demand (the copy through the
//! guarded clipboard: marked sensitive, cleared after the delay). No status or log answer holds a
//! key.

use clapay_sandbox::LogEntry;
use serde::Serialize;
use tauri::State;
use zeroize::Zeroizing;

use super::secrets::{guarded_copy, serialize_secret, CopyResult};
use crate::error::CommandError;
use crate::sandbox::{SandboxStatus, WebhookKey};
use crate::state::AppState;

/// Starts the gateway on 127.0.0.1:`port` (0: any free port) over the app's database.
#[tauri::command]
pub async fn sandbox_start(
    state: State<'_, AppState>,
    port: u16,
) -> Result<SandboxStatus, CommandError> {
    // Waits for the start-up integrity check, and refuses a database open read-only: the gateway
    // writes every check it answers.
    let catalog = state
        .with_writable_registry(|registry| Ok(registry.catalog().clone()))
        .await?;
    state
        .sandbox
        .start(state.paths.db.clone(), catalog, port)
        .await
}

/// Stops the gateway once every recorded use is written.
#[tauri::command]
pub async fn sandbox_stop(state: State<'_, AppState>) -> Result<SandboxStatus, CommandError> {
    state.sandbox.stop().await
}

/// Whether the gateway runs, where, and how.
#[tauri::command]
pub async fn sandbox_status(state: State<'_, AppState>) -> Result<SandboxStatus, CommandError> {
    state.sandbox.status()
}

/// The last requests (at most 200), newest first.
#[tauri::command]
pub async fn sandbox_log(state: State<'_, AppState>) -> Result<Vec<LogEntry>, CommandError> {
    state.sandbox.log()
}

/// `sandbox_reveal_key` result.
#[derive(Serialize)]
pub struct RevealedKey {
    #[serde(serialize_with = "serialize_secret")]
    key: Zeroizing<String>,
}

/// One webhook credential, for the screen to show while the merchant asked to see it.
#[tauri::command]
pub async fn sandbox_reveal_key(
    state: State<'_, AppState>,
    key: WebhookKey,
) -> Result<RevealedKey, CommandError> {
    Ok(RevealedKey {
        key: state.sandbox.key(key)?,
    })
}

/// Copies one webhook credential, marked sensitive, cleared after the clipboard delay.
#[tauri::command]
pub async fn sandbox_copy_key(
    state: State<'_, AppState>,
    key: WebhookKey,
) -> Result<CopyResult, CommandError> {
    let secret = state.sandbox.key(key)?;
    guarded_copy(&state, secret, "sandbox webhook key").await
}

/// Copies the running gateway's base URL. The webview has no clipboard permission, so the copy
/// goes through the app's one clipboard owner, like a key's (and is cleared after the delay).
#[tauri::command]
pub async fn sandbox_copy_base_url(state: State<'_, AppState>) -> Result<CopyResult, CommandError> {
    let base_url = state
        .sandbox
        .status()?
        .base_url
        .ok_or_else(|| CommandError::not_found("The sandbox is not running: start it first"))?;
    guarded_copy(&state, Zeroizing::new(base_url), "sandbox base URL").await
}
