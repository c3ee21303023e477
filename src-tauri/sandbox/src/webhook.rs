//! Webhooks: when a payment with a `callback_url` settles, its state is POSTed there, signed with
//! `Nowallet-Signature` ([`crate::keys`]), retried with a doubling, bounded delay, and every
//! attempt is written to the request log.
//!
//! The sandbox never sends traffic off the machine: a callback URL must be `http://` on a
//! loopback address (`127.0.0.0/8`, `[::1]`, or `localhost`, which is taken as `127.0.0.1`
//! without asking a resolver). Anything else is refused when the payment is created, before it
//! is checked or recorded. The connection goes to the address parsed here, never to a name.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::http::{header, Request, StatusCode, Uri};
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;

use crate::log::{EntryKind, LogEntry};
use crate::payments::PaymentStatus;
use crate::state::SandboxState;

/// The header ClaPay signs its webhooks with.
pub const SIGNATURE_HEADER: &str = "Nowallet-Signature";

/// A callback URL known to be on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackUrl {
    /// The URL as given.
    pub text: String,
    /// The address to connect to.
    pub address: SocketAddr,
    /// The `Host` header to send.
    pub host: String,
    /// The request target (path and query).
    pub target: String,
}

/// Why a callback URL was refused; the text says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackError {
    /// Not an absolute `http://` URL.
    Invalid(String),
    /// Not on this machine.
    NotLoopback,
}

impl CallbackUrl {
    /// Parses `text` and accepts it only on a loopback address.
    pub fn parse(text: &str) -> Result<CallbackUrl, CallbackError> {
        let uri: Uri = text.parse().map_err(|_| {
            CallbackError::Invalid("is not a valid URL (e.g. http://127.0.0.1:3000/webhook)".into())
        })?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err(CallbackError::Invalid(
                    "must be an http:// URL: the sandbox calls your local server without TLS"
                        .into(),
                ))
            }
            _ => {
                return Err(CallbackError::Invalid(
                    "must be an absolute http:// URL (e.g. http://127.0.0.1:3000/webhook)".into(),
                ))
            }
        }
        let authority = uri.authority().ok_or_else(|| {
            CallbackError::Invalid("has no host (e.g. http://127.0.0.1:3000/webhook)".into())
        })?;
        if authority.as_str().contains('@') {
            return Err(CallbackError::Invalid(
                "must not carry a user name or password".into(),
            ));
        }
        let host = authority.host();
        let ip = if host.eq_ignore_ascii_case("localhost") {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .map_err(|_| CallbackError::NotLoopback)?
        };
        if !ip.is_loopback() {
            return Err(CallbackError::NotLoopback);
        }
        let port = authority.port_u16().unwrap_or(80);
        let target = uri
            .path_and_query()
            .map_or_else(|| "/".to_string(), |target| target.as_str().to_string());
        Ok(CallbackUrl {
            text: text.to_string(),
            address: SocketAddr::new(ip, port),
            host: authority.as_str().to_string(),
            target,
        })
    }
}

/// Waits until the payment settles, then delivers its webhook. Ends early when the gateway
/// stops or the payment is cancelled or forgotten.
pub async fn settle_and_deliver(state: Arc<SandboxState>, signature: String) {
    let mut stopping = state.stopping();
    let Some(payment) = state.payments.get_any(&signature) else {
        return;
    };
    let (Some(settles_at), Some(callback)) = (payment.settles_at, payment.callback.clone()) else {
        return;
    };
    tokio::select! {
        () = tokio::time::sleep_until(settles_at.into()) => {}
        _ = stopping.wait_for(|stop| *stop) => return,
    }
    let policy = state.config.webhook_retry;
    for attempt in 1..=policy.attempts {
        let delay = policy.delay_before(attempt);
        if !delay.is_zero() {
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = stopping.wait_for(|stop| *stop) => return,
            }
        }
        let Some(payment) = state.payments.get_any(&signature) else {
            return;
        };
        let status = payment.status(Instant::now());
        if !matches!(status, PaymentStatus::Successful | PaymentStatus::Failed) {
            return;
        }
        let body = payment.state_body(Instant::now()).to_string();
        let key = uuid::Uuid::new_v4().to_string();
        let signed = state.keys.signature_header(&key, body.as_bytes());
        let outcome =
            tokio::time::timeout(policy.attempt_timeout, post(&callback, body, signed)).await;
        let (code, detail, delivered) = match outcome {
            Ok(Ok(code)) => (
                code.as_u16(),
                format!("attempt {attempt} of {}: {code}", policy.attempts),
                code.is_success(),
            ),
            Ok(Err(error)) => (
                0,
                format!("attempt {attempt} of {}: {error}", policy.attempts),
                false,
            ),
            Err(_) => (
                0,
                format!(
                    "attempt {attempt} of {}: no answer within {} ms",
                    policy.attempts,
                    policy.attempt_timeout.as_millis()
                ),
                false,
            ),
        };
        let mut entry = LogEntry::request("POST", &callback.text, code);
        entry.kind = EntryKind::Webhook;
        entry.country = Some(payment.country.clone());
        entry.operator = Some(payment.operators.join(", "));
        entry.method = Some(payment.method.clone());
        entry.reason = Some(status.code().to_string());
        entry.detail = Some(detail);
        state.log.push(entry);
        if delivered {
            return;
        }
    }
}

/// One POST on a fresh connection; the answer's status, or why none came.
async fn post(callback: &CallbackUrl, body: String, signed: String) -> Result<StatusCode, String> {
    let stream = tokio::net::TcpStream::connect(callback.address)
        .await
        .map_err(|error| format!("cannot connect to {}: {error}", callback.address))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|error| format!("HTTP handshake failed: {error}"))?;
    // The connection task ends when the sender is dropped, after the answer.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let request = Request::post(callback.target.as_str())
        .header(header::HOST, callback.host.as_str())
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::USER_AGENT, "clapay-tokens-sandbox")
        .header(SIGNATURE_HEADER, signed)
        .body(Full::new(Bytes::from(body)))
        .map_err(|error| format!("cannot build the request: {error}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|error| format!("no answer: {error}"))?;
    Ok(response.status())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_callbacks_are_accepted() {
        let url = CallbackUrl::parse("http://127.0.0.1:3000/hook?x=1").expect("loopback");
        assert_eq!(url.address, "127.0.0.1:3000".parse().expect("addr"));
        assert_eq!(url.target, "/hook?x=1");
        let url = CallbackUrl::parse("http://localhost/hook").expect("localhost");
        assert_eq!(
            url.address,
            "127.0.0.1:80".parse().expect("addr"),
            "no resolver"
        );
        let url = CallbackUrl::parse("http://[::1]:8080/").expect("ipv6 loopback");
        assert!(url.address.ip().is_loopback());
        assert!(
            CallbackUrl::parse("http://127.8.9.10:1/").is_ok(),
            "all of 127/8"
        );
    }

    #[test]
    fn other_callbacks_are_refused() {
        for url in [
            "http://10.0.0.1/hook",
            "http://192.168.1.2/hook",
            "http://example.com/hook",
            "http://localhost.example.com/hook",
            "http://0.0.0.0/hook",
        ] {
            assert_eq!(
                CallbackUrl::parse(url),
                Err(CallbackError::NotLoopback),
                "{url} is not this machine"
            );
        }
        for url in [
            "https://127.0.0.1/hook",
            "ftp://127.0.0.1/",
            "/hook",
            "not a url",
            "http://user:pw@127.0.0.1/",
        ] {
            assert!(
                matches!(CallbackUrl::parse(url), Err(CallbackError::Invalid(_))),
                "{url} is refused as invalid"
            );
        }
    }
}
