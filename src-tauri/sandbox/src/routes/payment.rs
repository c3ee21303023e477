//! `POST /init/payment`, `POST /check/status/payment` and `POST /destroy/signature`.
//!
//! `init` checks each requested operator with the core's authorize (country, operator, method,
//! phone; sandbox tokens only unless `--allow-live`), and every check is recorded as the app's
//! "Check a payment" records it. A denial of the token itself (malformed, unknown, live, revoked,
//! expired, rolled) is the same for every operator, so the first one answers the request: one
//! check, one record. Status and destroy answer only to the token that created the payment and
//! record nothing: they decide nothing about the token.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use clapay_core::{AuthorizeRequest, Catalog, Decision, Environment, Method};
use serde::Serialize;
use zeroize::Zeroizing;

use super::{answer, read_body, refuse};
use crate::error::{is_token_level, ApiError};
use crate::log::{mask_phone, LogEntry, Verdict};
use crate::payments::{outcome_of_amount, Payment, PaymentError, PaymentStatus, Tunnel};
use crate::request::{self, InitPayment};
use crate::state::SandboxState;
use crate::webhook::{CallbackError, CallbackUrl};

/// What the checks of one request found.
struct Checks {
    /// The operators the token may use, in the request's order.
    authorized: Vec<String>,
    /// The first denial, which answers the request when nothing was authorized.
    first_denial: Option<Decision>,
    /// The name of the token, when it is known.
    token_name: Option<String>,
}

pub(super) async fn init(
    State(state): State<Arc<SandboxState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut entry = LogEntry::request("POST", "/init/payment", 0);
    let Some(secret) = request::bearer(&headers) else {
        return refuse(&state, entry, ApiError::missing_token());
    };
    let parsed = read_body(&headers, body, state.config.limits.body_bytes)
        .await
        .and_then(|body| request::init_payment(&body));
    let payment = match parsed {
        Ok(payment) => payment,
        Err(error) => return refuse(&state, entry, error),
    };
    entry.country = Some(payment.country_code.clone());
    entry.operator = Some(payment.operators_code.join(", "));
    entry.method = Some(payment.method.clone());
    entry.phone = payment.customer_phone.as_deref().map(mask_phone);
    // Refused before anything is checked or recorded: the sandbox sends nothing off the machine.
    let callback = match payment.callback_url.as_deref().map(CallbackUrl::parse) {
        None => None,
        Some(Ok(callback)) => Some(callback),
        Some(Err(CallbackError::Invalid(problem))) => {
            return refuse(&state, entry, ApiError::field("callback_url", &problem))
        }
        Some(Err(CallbackError::NotLoopback)) => {
            let error = ApiError::new(
                StatusCode::BAD_REQUEST,
                "callback_not_loopback",
                "field `callback_url`: the sandbox sends webhooks only to this machine \
                 (http://127.0.0.1:PORT/..., http://localhost:PORT/... or http://[::1]:PORT/...)",
            );
            return refuse(&state, entry, error);
        }
    };
    // The payment answers later only to the token that created it (an allowed secret parses).
    let owner = clapay_core::secret::parse(secret.trim())
        .map(|parsed| parsed.digest())
        .unwrap_or_default();
    let checks = match check(&state, secret, &payment) {
        Ok(checks) => checks,
        Err(error) => return refuse(&state, entry, error),
    };
    entry.token_name = checks.token_name.clone();
    if checks.authorized.is_empty() {
        entry.decision = Some(Verdict::Denied);
        let error = match &checks.first_denial {
            Some(Decision {
                reason: Some(reason),
                message,
                ..
            }) => ApiError::denied(*reason, message),
            _ => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "no operator was checked",
            ),
        };
        return refuse(&state, entry, error);
    }
    entry.decision = Some(Verdict::Allowed);
    let response = create_payment(&state, payment, callback, checks.authorized, owner);
    answer(&state, entry, response)
}

/// Checks every operator of the request.
///
/// Called on the async worker itself rather than on the blocking pool: a check is a few reads of
/// pages in memory in one WAL read transaction, which never waits for the writer, and a hand-off
/// to another thread per request cost more than the check. The records go to the usage writer's
/// queue; its thread does the writing.
fn check(
    state: &SandboxState,
    secret: Zeroizing<String>,
    payment: &InitPayment,
) -> Result<Checks, ApiError> {
    let now = Utc::now();
    let mut checks = Checks {
        authorized: Vec::new(),
        first_denial: None,
        token_name: None,
    };
    let mut request = AuthorizeRequest {
        secret,
        country: payment.country_code.clone(),
        operator: String::new(),
        method: payment.method.clone(),
        phone: payment.customer_phone.clone(),
        environment: (!state.config.allow_live).then_some(Environment::Sandbox),
    };
    for operator in &payment.operators_code {
        request.operator.clone_from(operator);
        let decision = state
            .checker
            .authorize(&request, now)
            .map_err(|error| ApiError::internal(&error))?;
        if checks.token_name.is_none() {
            checks.token_name = decision.token.as_ref().map(|token| token.name.clone());
        }
        if decision.allowed {
            checks.authorized.push(operator.clone());
            continue;
        }
        let token_level = decision.reason.is_some_and(is_token_level);
        if checks.first_denial.is_none() {
            checks.first_denial = Some(decision);
        }
        if token_level {
            break;
        }
    }
    Ok(checks)
}

/// Keeps the payment, starts its webhook if it has a callback, and answers in ClaPay's shape.
fn create_payment(
    state: &Arc<SandboxState>,
    request: InitPayment,
    callback: Option<CallbackUrl>,
    authorized: Vec<String>,
    owner: [u8; 32],
) -> Response {
    let catalog = state.catalog();
    let signature = format!("TEST-{}", uuid::Uuid::new_v4());
    let currency = catalog
        .country(&request.country_code)
        .map(|country| country.currency.clone())
        .unwrap_or_default();
    let available = available_operators(&catalog, &request.country_code, &request.method);
    let settles_at = Instant::now() + state.config.settle_after;
    let payment_url = (request.tunnel == Tunnel::Checkoutpage)
        .then(|| format!("{}/checkout/{signature}", base_url(state)));
    let api = request.tunnel == Tunnel::Api;
    let payment = Payment {
        signature: signature.clone(),
        transaction_id: request.transaction_id.clone(),
        amount: request.amount,
        currency: currency.clone(),
        country: request.country_code.clone(),
        operators: authorized.clone(),
        method: request.method.clone(),
        tunnel: request.tunnel,
        callback: callback.clone(),
        return_url: request.return_url.clone(),
        created_at: Utc::now(),
        owner,
        outcome: api.then(|| outcome_of_amount(request.amount)),
        settles_at: api.then_some(settles_at),
        cancelled: false,
    };
    state.payments.insert(payment);
    if let (true, Some(callback)) = (api, &callback) {
        state.spawn_webhook(signature.clone(), &callback.text);
    }
    let body = InitAnswer {
        transaction_id: &request.transaction_id,
        signature: &signature,
        status_payment: PaymentStatus::Initiated,
        amount: request.amount,
        country: &request.country_code,
        currency: &currency,
        method: &request.method,
        tunnel: request.tunnel,
        available_operator: &available,
        authorized_operator: &authorized,
        payment_url: payment_url.as_deref(),
        simulated: true,
    };
    (StatusCode::OK, Json(body)).into_response()
}

/// ClaPay's answer to an initiated payment.
#[derive(Serialize)]
struct InitAnswer<'a> {
    transaction_id: &'a str,
    signature: &'a str,
    status_payment: PaymentStatus,
    amount: u64,
    country: &'a str,
    currency: &'a str,
    method: &'a str,
    tunnel: Tunnel,
    available_operator: &'a [String],
    authorized_operator: &'a [String],
    payment_url: Option<&'a str>,
    simulated: bool,
}

/// The gateway's base URL, for links back to it.
fn base_url(state: &SandboxState) -> String {
    state.base_url().unwrap_or("http://127.0.0.1").to_string()
}

/// What the catalog offers in `country` for `method`.
fn available_operators(catalog: &Catalog, country: &str, method: &str) -> Vec<String> {
    let (Some(country), Ok(method)) = (catalog.country(country), Method::from_str(method)) else {
        return Vec::new();
    };
    country
        .operators
        .iter()
        .filter(|operator| operator.methods.contains(&method))
        .map(|operator| operator.code.clone())
        .collect()
}

/// The payment a status or destroy request names, if its token created it.
async fn owned_payment_request(
    state: &SandboxState,
    headers: &HeaderMap,
    body: Body,
) -> Result<(String, [u8; 32]), ApiError> {
    let secret = request::bearer(headers).ok_or_else(ApiError::missing_token)?;
    let body = read_body(headers, body, state.config.limits.body_bytes).await?;
    let signature = request::signature(&body)?;
    let digest = clapay_core::secret::parse(secret.trim())
        .map(|parsed| parsed.digest())
        .map_err(|malformed| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "malformed_token",
                format!("Denied: this is not a valid ClaPay token ({malformed})"),
            )
        })?;
    Ok((signature, digest))
}

fn payment_error(error: PaymentError, signature: &str) -> ApiError {
    match error {
        PaymentError::NotFound => ApiError::new(
            StatusCode::NOT_FOUND,
            "payment_not_found",
            format!(
                "no payment {signature} for this token: use the signature /init/payment answered, \
                 with the same token (payments live until the sandbox stops)"
            ),
        ),
        PaymentError::Settled(status) => ApiError::new(
            StatusCode::CONFLICT,
            "payment_settled",
            format!(
                "payment {signature} is already {}; only an INITIATED payment can be cancelled",
                status.code()
            ),
        ),
        PaymentError::NotAwaitingCustomer => ApiError::new(
            StatusCode::CONFLICT,
            "payment_settled",
            format!("payment {signature} is not waiting for the customer"),
        ),
    }
}

pub(super) async fn status(
    State(state): State<Arc<SandboxState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let entry = LogEntry::request("POST", "/check/status/payment", 0);
    let (signature, owner) = match owned_payment_request(&state, &headers, body).await {
        Ok(found) => found,
        Err(error) => return refuse(&state, entry, error),
    };
    match state.payments.get(&signature, &owner) {
        Ok(payment) => {
            let response = Json(payment.state_body(Instant::now())).into_response();
            answer(&state, payment_entry(entry, &payment), response)
        }
        Err(error) => refuse(&state, entry, payment_error(error, &signature)),
    }
}

pub(super) async fn destroy(
    State(state): State<Arc<SandboxState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let entry = LogEntry::request("POST", "/destroy/signature", 0);
    let (signature, owner) = match owned_payment_request(&state, &headers, body).await {
        Ok(found) => found,
        Err(error) => return refuse(&state, entry, error),
    };
    match state.payments.cancel(&signature, &owner, Instant::now()) {
        Ok(payment) => {
            let response = Json(payment.state_body(Instant::now())).into_response();
            answer(&state, payment_entry(entry, &payment), response)
        }
        Err(error) => refuse(&state, entry, payment_error(error, &signature)),
    }
}

/// A log entry filled from a payment.
fn payment_entry(mut entry: LogEntry, payment: &Payment) -> LogEntry {
    entry.country = Some(payment.country.clone());
    entry.operator = Some(payment.operators.join(", "));
    entry.method = Some(payment.method.clone());
    entry.reason = Some(payment.status(Instant::now()).code().to_string());
    entry
}
