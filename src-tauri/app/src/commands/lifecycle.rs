//! The lifecycle: roll a token with a grace period, end the grace now, and the create form
//! pre-filled for a duplicate.

use chrono::Utc;
use clapay_core::{Grace, NewToken, TokenDetails};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use zeroize::Zeroizing;

use crate::commands::secrets::{serialize_secret, show_secret};
use crate::error::CommandError;
use crate::state::AppState;

/// `roll_token` result: the old token as it is now, the successor and, this once, its secret.
#[derive(Serialize)]
pub struct RolledTokenResponse {
    previous: TokenDetails,
    token: TokenDetails,
    #[serde(serialize_with = "serialize_secret")]
    secret: Zeroizing<String>,
}

/// Rolls a token: its successor's secret is returned this once and held for `copy_secret` until
/// `discard_secret`; the old token keeps working until the grace ends.
#[tauri::command]
pub async fn roll_token<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
    grace: Grace,
) -> Result<RolledTokenResponse, CommandError> {
    let rolled = state
        .with_writable_registry(move |registry| registry.roll_token(&id, grace, Utc::now()))
        .await?;
    let secret = show_secret(&app, &state, &rolled.token.summary.id, &rolled.secret)?;
    log::info!(
        "token {} rolled to {} (grace {grace})",
        rolled.previous.summary.id,
        rolled.token.summary.id
    );
    Ok(RolledTokenResponse {
        previous: rolled.previous,
        token: rolled.token,
        secret,
    })
}

/// Ends the grace of a rolling token now ("End now"): its old secret stops working.
#[tauri::command]
pub async fn end_grace(
    state: State<'_, AppState>,
    id: String,
) -> Result<TokenDetails, CommandError> {
    state
        .with_writable_registry(move |registry| registry.end_grace(&id, Utc::now()))
        .await
}

/// The create form pre-filled from a token ("Duplicate..."): never its numbers or its secret.
#[tauri::command]
pub async fn duplicate_draft(
    state: State<'_, AppState>,
    id: String,
) -> Result<NewToken, CommandError> {
    state
        .with_registry(move |registry| registry.duplicate_draft(&id, Utc::now()))
        .await
}
