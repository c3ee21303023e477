//! The sandbox gateway: a local HTTP server that answers ClaPay's payment API paths for the
//! registry's sandbox tokens, deciding each request with the core's authorize and recording each
//! use, so a developer can test an integration offline.
//!
//! - [`serve`] is the one entry point: it serves a [`SandboxState`] on a listener from [`bind`]
//!   until a shutdown future completes, and returns once every recorded use is on disk. The CLI
//!   awaits it with a signal handler; the app spawns it on Tauri's runtime and keeps the handle.
//! - [`SandboxState`] holds the registry's [`clapay_core::Checker`], the [`WebhookKeys`], the
//!   in-memory payments and the bounded [`RequestLog`].
//! - The paths (`POST /init/payment`, `POST /check/status/payment`, `POST /destroy/signature`,
//!   `GET /operators/data`) and the checkout page live in `routes`; their answers are ClaPay's
//!   shapes, and errors are `{"status", "error", "message", "simulated": true}` ([`ApiError`]).
//!
//! Invariants:
//! - no rule about tokens is decided here: a payment is allowed only by the core's authorize;
//! - the gateway sends nothing off the machine: webhooks go to loopback callback URLs only,
//!   connected by address, never by name;
//! - every bound is explicit ([`Limits`]): body size, connections (queued, not refused), requests
//!   in flight, header and request timeouts, payments, webhooks, the log;
//! - the webhook keys and token secrets are never written to the database, the request log or
//!   any output, except the keys' one display to the person who started the gateway.

mod config;
mod error;
mod keys;
mod log;
mod payments;
mod request;
mod routes;
mod server;
mod state;
mod webhook;

pub use config::{Config, Limits, RetryPolicy, DEFAULT_SETTLE_AFTER, MAX_SETTLE_AFTER};
pub use error::{ApiError, Error};
pub use keys::{KeySource, WebhookKeys, SECRET_ENV, UNIQUE_KEY_ENV};
pub use log::{mask_phone, EntryKind, LogEntry, RequestLog, Verdict, LOG_CAPACITY};
pub use payments::PaymentStatus;
pub use server::{bind, serve};
pub use state::SandboxState;
pub use webhook::SIGNATURE_HEADER;
