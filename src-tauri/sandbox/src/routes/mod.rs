//! The HTTP surface: ClaPay's paths, the checkout page, and the answers to anything else (404,
//! 405, 413), each in the sandbox's error shape. Handlers translate only: read the request, call
//! the core through the [`clapay_core::Checker`], shape ClaPay's answer, and write one line to the
//! request log.

mod checkout;
mod operators;
mod payment;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use tower::limit::ConcurrencyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::error::ApiError;
use crate::log::LogEntry;
use crate::state::SandboxState;

/// The gateway's router over `state`.
pub fn router(state: Arc<SandboxState>) -> Router {
    let limits = state.config.limits;
    Router::new()
        .route("/init/payment", post(payment::init))
        .route("/check/status/payment", post(payment::status))
        .route("/destroy/signature", post(payment::destroy))
        .route("/operators/data", get(operators::data))
        .route("/checkout/{signature}", get(checkout::page))
        .route("/checkout/{signature}/{choice}", post(checkout::choose))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Requests past the limit wait for a slot; none is refused for being one too many.
        .layer(ConcurrencyLimitLayer::new(limits.max_in_flight))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .with_state(state)
}

/// Logs `entry` with the answer's status and returns the answer.
fn answer(state: &SandboxState, mut entry: LogEntry, response: Response) -> Response {
    entry.status = response.status().as_u16();
    state.log.push(entry);
    response
}

/// An error answer, logged with its code.
fn refuse(state: &SandboxState, mut entry: LogEntry, error: ApiError) -> Response {
    entry.reason = Some(error.error.to_string());
    answer(state, entry, error.into_response())
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!("the body is larger than {} KiB", limit / 1024),
    )
}

/// Reads a request body of at most `limit` bytes: 413 at once when its declared length is
/// larger (rather than waiting for a body that will not be read), and as soon as a body sent
/// without a length passes the limit.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large(limit));
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(too_large(limit)),
        Err(error) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "unreadable_body",
            format!("the body could not be read: {error}"),
        )),
    }
}

const PATHS: &str = "POST /init/payment, POST /check/status/payment, POST /destroy/signature, GET /operators/data?country=CI";

async fn not_found(State(state): State<Arc<SandboxState>>, method: Method, uri: Uri) -> Response {
    let entry = LogEntry::request(method.as_str(), uri.path(), 0);
    let error = ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!(
            "no such path: {method} {}; the sandbox serves {PATHS}",
            uri.path()
        ),
    );
    refuse(&state, entry, error)
}

async fn method_not_allowed(
    State(state): State<Arc<SandboxState>>,
    method: Method,
    uri: Uri,
) -> Response {
    let entry = LogEntry::request(method.as_str(), uri.path(), 0);
    let expected = if uri.path() == "/operators/data" {
        "GET"
    } else if uri.path().starts_with("/checkout/") {
        "GET (the page) or POST (its buttons)"
    } else {
        "POST"
    };
    let error = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}; use {expected}", uri.path()),
    );
    refuse(&state, entry, error)
}
