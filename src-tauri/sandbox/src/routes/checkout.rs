//! The checkout page of a `CHECKOUTPAGE` payment: its amount and state, and two buttons, Pay and
//! Fail, each a plain form POST (the page has no script). A press decides the outcome, which
//! takes effect after the settle delay, as an `API` payment's does; the page then shows the
//! state and a link back to the merchant's `return_url`.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::{answer, refuse};
use crate::error::ApiError;
use crate::log::{LogEntry, Verdict};
use crate::payments::{Payment, PaymentError, PaymentStatus};
use crate::state::SandboxState;

/// No script, no remote anything; forms post back here only.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
                           frame-ancestors 'none'; base-uri 'none'";

fn not_found(signature: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "payment_not_found",
        format!("no payment {signature}: open the payment_url /init/payment answered"),
    )
}

pub(super) async fn page(
    State(state): State<Arc<SandboxState>>,
    Path(signature): Path<String>,
) -> Response {
    let entry = LogEntry::request("GET", &format!("/checkout/{signature}"), 0);
    let Some(payment) = state.payments.get_any(&signature) else {
        return refuse(&state, entry, not_found(&signature));
    };
    let html = render(&payment, state.config.settle_after.as_secs_f64());
    let response = (
        [
            (header::CONTENT_SECURITY_POLICY, PAGE_POLICY),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Html(html),
    )
        .into_response();
    answer(&state, entry, response)
}

pub(super) async fn choose(
    State(state): State<Arc<SandboxState>>,
    Path((signature, choice)): Path<(String, String)>,
) -> Response {
    let page = format!("/checkout/{signature}");
    let mut entry = LogEntry::request("POST", &format!("{page}/{choice}"), 0);
    let outcome = match choice.as_str() {
        "pay" => PaymentStatus::Successful,
        "fail" => PaymentStatus::Failed,
        _ => {
            let error = ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no such button: {choice}; the page posts to {page}/pay or {page}/fail"),
            );
            return refuse(&state, entry, error);
        }
    };
    let settles_at = Instant::now() + state.config.settle_after;
    match state.payments.choose(&signature, outcome, settles_at) {
        Ok(payment) => {
            entry.country = Some(payment.country.clone());
            entry.operator = Some(payment.operators.join(", "));
            entry.method = Some(payment.method.clone());
            entry.decision = Some(Verdict::Allowed);
            entry.reason = Some(outcome.code().to_string());
            if let Some(callback) = &payment.callback {
                state.spawn_webhook(signature.clone(), &callback.text);
            }
        }
        Err(PaymentError::NotFound) => return refuse(&state, entry, not_found(&signature)),
        // Pressed twice, or cancelled meanwhile: the page shows the state it is in.
        Err(PaymentError::Settled(_) | PaymentError::NotAwaitingCustomer) => {}
    }
    answer(&state, entry, Redirect::to(&page).into_response())
}

fn render(payment: &Payment, settle_secs: f64) -> String {
    let status = payment.status(Instant::now());
    let choice = match (status, payment.outcome) {
        (PaymentStatus::Initiated, None) => format!(
            "<div class=\"buttons\">\
             <form method=\"post\" action=\"/checkout/{sig}/pay\"><button class=\"pay\" type=\"submit\">Pay</button></form>\
             <form method=\"post\" action=\"/checkout/{sig}/fail\"><button type=\"submit\">Fail</button></form>\
             </div>",
            sig = escape(&payment.signature)
        ),
        (PaymentStatus::Initiated, Some(outcome)) => format!(
            "<p>Chosen: {}. The payment settles {settle_secs} s after the press; reload to see it.</p>",
            outcome.code()
        ),
        _ => String::new(),
    };
    let back = payment
        .return_url
        .as_deref()
        .filter(|url| url.starts_with("http://") || url.starts_with("https://"))
        .map(|url| {
            format!(
                "<p><a href=\"{}\">Back to the merchant</a></p>",
                escape(url)
            )
        })
        .unwrap_or_default();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>ClaPay sandbox checkout</title><style>{STYLE}</style></head><body><main>\
         <p class=\"tag\">Sandbox: simulated, no money moves</p>\
         <h1>{amount} {currency}</h1>\
         <dl><dt>Transaction</dt><dd>{transaction}</dd>\
         <dt>Operator</dt><dd>{operators}</dd>\
         <dt>Method</dt><dd>{method}</dd>\
         <dt>Status</dt><dd class=\"status\">{status}</dd></dl>\
         {choice}{back}</main></body></html>",
        amount = payment.amount,
        currency = escape(&payment.currency),
        transaction = escape(&payment.transaction_id),
        operators = escape(&payment.operators.join(", ")),
        method = escape(&payment.method),
        status = status.code(),
    )
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f6f7f9;color:#1d2330;margin:0}\
main{max-width:26rem;margin:4rem auto;background:#fff;border:1px solid #d8dce3;border-radius:8px;padding:24px}\
.tag{font-size:.8rem;color:#8a5a00;background:#fff4d6;display:inline-block;padding:2px 8px;border-radius:4px}\
dl{display:grid;grid-template-columns:auto 1fr;gap:8px 16px}dt{color:#5b6475}dd{margin:0}\
.buttons{display:flex;gap:8px}button{font:inherit;padding:8px 24px;border-radius:6px;border:1px solid #b8bfcc;background:#fff;cursor:pointer}\
button.pay{background:#1f5fd6;border-color:#1f5fd6;color:#fff}button:focus-visible{outline:3px solid #8fb1ff;outline-offset:2px}";

/// Text for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_in_merchant_text_is_escaped() {
        assert_eq!(
            escape("<script>\"x\"&'y'"),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;"
        );
    }
}
