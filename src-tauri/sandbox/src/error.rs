//! The gateway's two kinds of errors: [`Error`], why it cannot start or stop cleanly (for the CLI
//! and the app), and [`ApiError`], an HTTP answer in the sandbox's error shape
//! `{"status", "error", "message", "simulated": true}`. The error codes are this sandbox's own:
//! ClaPay's are not public, hence `simulated`.

use std::net::SocketAddr;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use clapay_core::DenyReason;
use serde::Serialize;

/// Why the gateway could not start, or could not stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The address could not be bound (in use, not allowed).
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address asked for.
        address: SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
    /// The webhook keys given in the environment are unusable.
    #[error("{0}")]
    Keys(String),
    /// The registry could not be opened, or the last uses could not be written.
    #[error(transparent)]
    Core(#[from] clapay_core::Error),
    /// Another I/O failure (the listener broke, a thread could not start).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// What the system said.
        source: std::io::Error,
    },
}

/// An error answer of the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable snake_case code.
    pub error: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    status: u16,
    error: &'a str,
    message: &'a str,
    simulated: bool,
}

impl ApiError {
    /// An error answer.
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            error,
            message: message.into(),
        }
    }

    /// 400 for a request field: the message names the field.
    pub fn field(field: &str, problem: &str) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("field `{field}`: {problem}"),
        )
    }

    /// 401 without a bearer token.
    pub fn missing_token() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing_token",
            "no token: send the sandbox token as `Authorization: Bearer clp_test_...`",
        )
    }

    /// The answer to a denied check: 401 when the token itself cannot be used, 403 when it may
    /// not make this payment. The message is the core's.
    pub fn denied(reason: DenyReason, message: &str) -> ApiError {
        let (status, error) = match reason {
            DenyReason::Malformed => (StatusCode::UNAUTHORIZED, "malformed_token"),
            DenyReason::Unknown => (StatusCode::UNAUTHORIZED, "unknown_token"),
            DenyReason::WrongEnvironment => (StatusCode::UNAUTHORIZED, "live_token"),
            DenyReason::Revoked => (StatusCode::UNAUTHORIZED, "revoked"),
            DenyReason::Expired => (StatusCode::UNAUTHORIZED, "expired"),
            DenyReason::Rolled => (StatusCode::UNAUTHORIZED, "rolled"),
            DenyReason::CountryNotAllowed
            | DenyReason::OperatorNotAllowed
            | DenyReason::MethodNotAllowed
            | DenyReason::PhoneRequired
            | DenyReason::PhoneNotWhitelisted
            | DenyReason::PhoneDisabled => (StatusCode::FORBIDDEN, reason.code()),
        };
        let message = if reason == DenyReason::WrongEnvironment {
            format!("{message}; use a sandbox token, or start the sandbox with --allow-live")
        } else {
            message.to_string()
        };
        ApiError::new(status, error, message)
    }

    /// 500: the registry failed (the message says why; it never holds a secret).
    pub fn internal(error: &clapay_core::Error) -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            format!("the sandbox could not check the token: {error}"),
        )
    }
}

/// True when a denial concerns the token itself rather than this payment: the same for every
/// operator of a request, so one check answers it.
pub fn is_token_level(reason: DenyReason) -> bool {
    ApiError::denied(reason, "").status == StatusCode::UNAUTHORIZED
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            status: self.status.as_u16(),
            error: self.error,
            message: &self.message,
            simulated: true,
        };
        (self.status, Json(body)).into_response()
    }
}
