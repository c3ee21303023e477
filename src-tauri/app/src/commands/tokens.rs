//! Tokens: the list, one token and its history, create, edit, revoke, numbers, and "Check a
//! payment".

use chrono::Utc;
use clapay_core::{
    AuthorizeRequest, Decision, HistoryPage, ListQuery, NewToken, PhoneCheck, TokenChanges,
    TokenDetails, TokenPage, Triple,
};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use zeroize::Zeroizing;

use crate::commands::secrets::{serialize_secret, show_secret};
use crate::error::CommandError;
use crate::state::AppState;

/// `create_token` result: the token and, this once, its secret.
#[derive(Serialize)]
pub struct CreatedTokenResponse {
    token: TokenDetails,
    #[serde(serialize_with = "serialize_secret")]
    secret: Zeroizing<String>,
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
    let secret = show_secret(&app, &state, &created.token.summary.id, &created.secret)?;
    log::info!("token {} created", created.token.summary.id);
    Ok(CreatedTokenResponse {
        token: created.token,
        secret,
    })
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

/// Removes a whitelisted number; the last one of a country only with
/// `confirm_lift_restriction` (any phone may then pay there).
#[tauri::command]
pub async fn remove_number(
    state: State<'_, AppState>,
    id: String,
    number: String,
    confirm_lift_restriction: Option<bool>,
) -> Result<TokenDetails, CommandError> {
    let confirmed = confirm_lift_restriction.unwrap_or(false);
    state
        .with_writable_registry(move |registry| {
            registry.remove_number(&id, &number, confirmed, Utc::now())
        })
        .await
}

/// Checks a payment as the payment API would ("Check a payment" screen); counts as a use, on
/// disk before the answer is shown.
#[tauri::command]
pub async fn authorize(
    state: State<'_, AppState>,
    request: AuthorizeRequest,
) -> Result<Decision, CommandError> {
    state
        .with_writable_registry(move |registry| registry.authorize(&request, Utc::now()))
        .await
}
