//! Webhooks, the settle delay and the checkout page, with a small loopback receiver that verifies
//! `Nowallet-Signature` the way ClaPay's documentation tells a merchant to ("Webhook Security"):
//! split the header by `,` then `=`; encrypt the key with the webhook unique key (HMAC-SHA256,
//! hex); payload = that + the body; HMAC-SHA256 of the payload with the webhook secret (hex) must
//! equal the signature. Written with the `hmac` crate, not the gateway's ring.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use clapay_sandbox::{EntryKind, WebhookKeys};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use tokio::sync::oneshot;

use crate::support::{eventually, init_body, quick_config, send, Gateway, TestRegistry};

/// What the merchant's server received.
#[derive(Clone, Debug)]
struct Received {
    header: Option<String>,
    body: Bytes,
}

#[derive(Clone, Default)]
struct Receiver {
    calls: Arc<Mutex<Vec<Received>>>,
    /// Answer 500 to this many calls first (to see the retries).
    failures_first: Arc<Mutex<u32>>,
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    receiver.calls.lock().expect("lock").push(Received {
        header: headers
            .get("nowallet-signature")
            .and_then(|value| value.to_str().ok())
            .map(str::to_string),
        body,
    });
    let mut failures = receiver.failures_first.lock().expect("lock");
    if *failures > 0 {
        *failures -= 1;
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

/// A receiver on 127.0.0.1, a free port; stopped when the sender is dropped or sent.
async fn start_receiver(failures_first: u32) -> (Receiver, String, oneshot::Sender<()>) {
    let receiver = Receiver {
        failures_first: Arc::new(Mutex::new(failures_first)),
        ..Receiver::default()
    };
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("address"));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    (receiver, url, stop)
}

/// ClaPay's documented verification, step by step.
fn verify(header: &str, body: &[u8], unique_key: &str, secret: &str) -> bool {
    let mut key = None;
    let mut signature = None;
    for element in header.split(',') {
        let Some((name, value)) = element.split_once('=') else {
            return false;
        };
        match name.trim() {
            "key" => key = Some(value.trim()),
            "signature" => signature = Some(value.trim()),
            _ => {}
        }
    }
    let (Some(key), Some(signature)) = (key, signature) else {
        return false;
    };
    let mut encrypt = Hmac::<Sha256>::new_from_slice(unique_key.as_bytes()).expect("any key");
    encrypt.update(key.as_bytes());
    let encrypted_key = hex::encode(encrypt.finalize().into_bytes());
    let mut payload = encrypted_key.into_bytes();
    payload.extend_from_slice(body);
    let mut sign = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    sign.update(&payload);
    let Ok(expected) = hex::decode(signature) else {
        return false;
    };
    sign.verify_slice(&expected).is_ok()
}

/// Asks `/check/status/payment` until the payment is no longer INITIATED, and returns that answer.
async fn settled_status(
    gateway: &Gateway,
    secret: &str,
    signature: &serde_json::Value,
) -> serde_json::Value {
    eventually("the settle", || async move {
        let status = gateway
            .post("/check/status/payment", Some(secret), signature)
            .await
            .json();
        (status["status_payment"] != "INITIATED").then_some(status)
    })
    .await
}

fn keys_of(gateway: &Gateway) -> WebhookKeys {
    gateway.state.keys().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_settled_payment_is_posted_signed_to_a_loopback_callback() {
    let mut registry = TestRegistry::new();
    let (_, secret) = registry.sandbox_token("shop");
    let (receiver, url, stop_receiver) = start_receiver(0).await;
    let gateway = Gateway::start(&registry, quick_config()).await;
    for (amount, expected) in [(5000, "SUCCESSFUL"), (1013, "FAILED")] {
        let mut body = init_body(amount);
        body["callback_url"] = json!(url);
        let reply = gateway.post("/init/payment", Some(&secret), &body).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let signature = reply.json()["signature"].clone();
        let call = eventually("the webhook", || {
            let calls = receiver.calls.clone();
            let signature = signature.clone();
            async move {
                calls.lock().expect("lock").iter().find_map(|call| {
                    let body: serde_json::Value = serde_json::from_slice(&call.body).ok()?;
                    (body["signature"] == signature).then(|| call.clone())
                })
            }
        })
        .await;
        let body: serde_json::Value = serde_json::from_slice(&call.body).expect("JSON");
        assert_eq!(body["status_payment"], expected, "amount {amount}");
        let header = call.header.expect("a Nowallet-Signature header");
        assert!(header.starts_with("key="), "{header}");
        let keys = keys_of(&gateway);
        assert!(
            verify(
                &header,
                &call.body,
                keys.expose_unique_key(),
                keys.expose_secret()
            ),
            "the signature verifies with the documented scheme: {header}"
        );
        let mut tampered = call.body.to_vec();
        tampered.push(b' ');
        assert!(
            !verify(
                &header,
                &tampered,
                keys.expose_unique_key(),
                keys.expose_secret()
            ),
            "a changed body does not verify"
        );
        assert!(
            !verify(
                &header,
                &call.body,
                keys.expose_secret(),
                keys.expose_unique_key()
            ),
            "the keys are not interchangeable"
        );
    }
    gateway.stop().await;
    let _ = stop_receiver.send(());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_callback_is_retried_and_each_attempt_is_logged() {
    let mut registry = TestRegistry::new();
    let (_, secret) = registry.sandbox_token("shop");
    let (receiver, url, stop_receiver) = start_receiver(2).await;
    let gateway = Gateway::start(&registry, quick_config()).await;
    let mut body = init_body(5000);
    body["callback_url"] = json!(url);
    assert_eq!(
        gateway
            .post("/init/payment", Some(&secret), &body)
            .await
            .status,
        200
    );
    eventually("three attempts", || {
        let calls = receiver.calls.clone();
        async move { (calls.lock().expect("lock").len() >= 3).then_some(()) }
    })
    .await;
    let attempts: Vec<u16> = eventually("the third attempt in the log", || {
        let state = std::sync::Arc::clone(&gateway.state);
        async move {
            let attempts: Vec<u16> = state
                .log()
                .newest_first()
                .iter()
                .rev()
                .filter(|entry| entry.kind == EntryKind::Webhook)
                .map(|entry| entry.status)
                .collect();
            (attempts.len() >= 3).then_some(attempts)
        }
    })
    .await;
    assert_eq!(
        attempts,
        vec![500, 500, 200],
        "two failures, then delivered"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        receiver.calls.lock().expect("lock").len(),
        3,
        "no attempt after a delivery"
    );
    gateway.stop().await;
    let _ = stop_receiver.send(());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_stop_after_the_last_attempt() {
    let mut registry = TestRegistry::new();
    let (_, secret) = registry.sandbox_token("shop");
    // Nothing listens there: every attempt fails to connect.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", closed.local_addr().expect("address"));
    drop(closed);
    let config = quick_config();
    let attempts = config.webhook_retry.attempts as usize;
    let gateway = Gateway::start(&registry, config).await;
    let mut body = init_body(5000);
    body["callback_url"] = json!(url);
    gateway.post("/init/payment", Some(&secret), &body).await;
    let logged = eventually("every attempt", || {
        let state = std::sync::Arc::clone(&gateway.state);
        async move {
            let count = state
                .log()
                .newest_first()
                .iter()
                .filter(|entry| entry.kind == EntryKind::Webhook)
                .count();
            (count >= attempts).then_some(count)
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = gateway
        .state
        .log()
        .newest_first()
        .iter()
        .filter(|entry| entry.kind == EntryKind::Webhook)
        .count();
    assert_eq!(logged, attempts);
    assert_eq!(after, attempts, "bounded: no attempt past the last");
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_off_the_machine_is_refused_before_anything_is_recorded() {
    let mut registry = TestRegistry::new();
    let (_, secret) = registry.sandbox_token("shop");
    let gateway = Gateway::start(&registry, quick_config()).await;
    for url in [
        "http://192.0.2.10/hook",
        "http://example.com/hook",
        "http://10.1.2.3:8080/",
    ] {
        let mut body = init_body(5000);
        body["callback_url"] = json!(url);
        let message = gateway
            .post("/init/payment", Some(&secret), &body)
            .await
            .assert_error(400, "callback_not_loopback");
        assert!(message.contains("`callback_url`"), "{message}");
    }
    let mut body = init_body(5000);
    body["callback_url"] = json!("https://127.0.0.1/hook");
    gateway
        .post("/init/payment", Some(&secret), &body)
        .await
        .assert_error(400, "invalid_request");
    gateway.stop().await;
    assert_eq!(registry.all_usage_events(), 0, "nothing was checked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_settles_after_the_settle_delay() {
    let mut registry = TestRegistry::new();
    let (_, secret) = registry.sandbox_token("shop");
    let mut config = quick_config();
    config.settle_after = Duration::from_millis(300);
    let gateway = Gateway::start(&registry, config).await;
    let created = gateway
        .post("/init/payment", Some(&secret), &init_body(2500))
        .await
        .json();
    let started = std::time::Instant::now();
    let signature = json!({ "signature": created["signature"] });
    let first = gateway
        .post("/check/status/payment", Some(&secret), &signature)
        .await
        .json();
    // The answer came before the delay passed only if it took less than the delay; say which.
    if started.elapsed() < Duration::from_millis(300) {
        assert_eq!(first["status_payment"], "INITIATED", "not settled yet");
    }
    let settled = settled_status(&gateway, &secret, &signature).await;
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "never before the delay"
    );
    assert_eq!(settled["status_payment"], "SUCCESSFUL");
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checkout_page_pays_or_fails_with_its_buttons() {
    let mut registry = TestRegistry::new();
    let (_, secret) = registry.sandbox_token("shop");
    let (receiver, url, stop_receiver) = start_receiver(0).await;
    let gateway = Gateway::start(&registry, quick_config()).await;
    for (button, expected) in [("pay", "SUCCESSFUL"), ("fail", "FAILED")] {
        let mut body = init_body(5000);
        body["tunnel"] = json!("CHECKOUTPAGE");
        body["callback_url"] = json!(url);
        body["return_url"] = json!("http://127.0.0.1:9/<done>");
        let created = gateway.post("/init/payment", Some(&secret), &body).await;
        assert_eq!(created.status, 200, "{}", created.text());
        let created = created.json();
        let page_url = created["payment_url"].as_str().expect("a payment_url");
        let path = page_url
            .strip_prefix(&gateway.base)
            .expect("a page of the sandbox itself");
        let page = gateway.get(path).await;
        assert_eq!(page.status, 200);
        let html = page.text();
        assert!(html.contains("action=\"") && html.contains("/pay\"") && html.contains("/fail\""));
        assert!(
            !html.to_lowercase().contains("<script"),
            "no script on the page"
        );
        assert!(html.contains("&lt;done&gt;"), "merchant text is escaped");
        let policy = page
            .headers
            .get("content-security-policy")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        assert!(
            policy.contains("default-src 'none'"),
            "a strict CSP: {policy}"
        );
        let signature = json!({ "signature": created["signature"] });
        // Without a press the payment waits for the customer, past the settle delay.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let waiting = gateway
            .post("/check/status/payment", Some(&secret), &signature)
            .await
            .json();
        assert_eq!(waiting["status_payment"], "INITIATED");
        let pressed = send(
            gateway.address,
            "POST",
            &format!("{path}/{button}"),
            &[(
                "content-type",
                "application/x-www-form-urlencoded".to_string(),
            )],
            Vec::new(),
        )
        .await;
        assert_eq!(pressed.status, 303, "back to the page");
        let status = settled_status(&gateway, &secret, &signature).await;
        assert_eq!(status["status_payment"], expected, "the {button} button");
        eventually("the webhook", || {
            let calls = receiver.calls.clone();
            let wanted = created["signature"].clone();
            async move {
                calls.lock().expect("lock").iter().find_map(|call| {
                    let body: serde_json::Value = serde_json::from_slice(&call.body).ok()?;
                    (body["signature"] == wanted && body["status_payment"] == expected)
                        .then_some(())
                })
            }
        })
        .await;
    }
    gateway
        .get("/checkout/TEST-unknown")
        .await
        .assert_error(404, "payment_not_found");
    gateway.stop().await;
    let _ = stop_receiver.send(());
}
