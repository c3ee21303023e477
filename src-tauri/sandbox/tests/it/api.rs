//! ClaPay's paths answered by the real server: every status code the sandbox documents, and each
//! check recorded as the app's "Check a payment" records it.

use chrono::{Duration as Days, Utc};
use clapay_core::{Environment, Grace};
use clapay_sandbox::{Config, EntryKind, Verdict};
use serde_json::json;

use crate::support::{init_body, token, Gateway, TestRegistry};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_payment_is_answered_in_clapay_shape() {
    let mut registry = TestRegistry::new();
    let (_, secret) = registry.sandbox_token("shop");
    let gateway = Gateway::start(&registry, Config::default()).await;
    let mut body = init_body(5000);
    body["operators_code"] = json!(["OM", "WAVE"]);
    let reply = gateway.post("/init/payment", Some(&secret), &body).await;
    assert_eq!(reply.status, 200, "allowed: {}", reply.text());
    let answer = reply.json();
    assert_eq!(answer["country"], "CI");
    assert_eq!(answer["currency"], "XOF", "from the catalog");
    assert_eq!(answer["status_payment"], "INITIATED");
    assert!(
        answer["signature"]
            .as_str()
            .is_some_and(|s| s.starts_with("TEST-") && s.len() == 41),
        "TEST- and a UUID: {answer}"
    );
    assert_eq!(
        answer["authorized_operator"],
        json!(["OM"]),
        "only what the token allows"
    );
    assert_eq!(
        answer["available_operator"],
        json!(["OM", "MTN", "MOOV", "WAVE"]),
        "what the catalog offers in CI for MERCHANT"
    );
    assert_eq!(answer["payment_url"], serde_json::Value::Null, "API tunnel");
    assert_eq!(answer["simulated"], true);
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_that_cannot_be_used_are_answered_401() {
    let mut registry = TestRegistry::new();
    let (_, live) = registry.create(&token("live", Environment::Live, &[]), Utc::now());
    let (revoked_id, revoked) = registry.sandbox_token("revoked");
    registry
        .registry
        .revoke_token(&revoked_id, Utc::now())
        .expect("revoke");
    let long_ago = Utc::now() - Days::days(400);
    let (_, expired) = registry.create(&token("expired", Environment::Sandbox, &[]), long_ago);
    let (old_id, old) = registry.sandbox_token("rolled");
    let rolled = registry
        .registry
        .roll_token(&old_id, Grace::Now, Utc::now())
        .expect("roll");
    crate::support::record_secret(rolled.secret.expose_secret());
    let (_, valid) = registry.sandbox_token("valid");
    let unknown = {
        // A well-formed secret of another registry.
        let mut other = TestRegistry::new();
        other.sandbox_token("elsewhere").1
    };
    let gateway = Gateway::start(&registry, Config::default()).await;
    let body = init_body(5000);
    let cases: [(Option<&str>, &str); 7] = [
        (None, "missing_token"),
        (Some("clp_test_notatoken"), "malformed_token"),
        (Some(&unknown), "unknown_token"),
        (Some(&live), "live_token"),
        (Some(&revoked), "revoked"),
        (Some(&expired), "expired"),
        (Some(&old), "rolled"),
    ];
    for (secret, error) in cases {
        let reply = gateway.post("/init/payment", secret, &body).await;
        let message = reply.assert_error(401, error);
        if error == "live_token" {
            assert!(message.contains("--allow-live"), "says how: {message}");
        }
    }
    let mut typo = valid.clone();
    typo.replace_range(20..21, if &valid[20..21] == "a" { "b" } else { "a" });
    gateway
        .post("/init/payment", Some(&typo), &body)
        .await
        .assert_error(401, "malformed_token");
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_outside_the_tokens_rules_are_answered_403() {
    let mut registry = TestRegistry::new();
    let (id, secret) = registry.create(
        &token(
            "whitelisted",
            Environment::Sandbox,
            &["0707070707", "0707070708"],
        ),
        Utc::now(),
    );
    registry
        .registry
        .set_number_enabled(&id, "+2250707070708", false, Utc::now())
        .expect("disable");
    let gateway = Gateway::start(&registry, Config::default()).await;
    let with = |field: &str, value: serde_json::Value| {
        let mut body = init_body(5000);
        body[field] = value;
        body
    };
    let cases = [
        (with("country_code", json!("SN")), "country_not_allowed"),
        (
            with("operators_code", json!(["WAVE"])),
            "operator_not_allowed",
        ),
        (with("method", json!("CASHIN")), "method_not_allowed"),
        (with("additional_infos", json!({})), "phone_required"),
        (
            with("additional_infos", json!({"customer_phone": "0505050505"})),
            "phone_not_whitelisted",
        ),
        (
            with("additional_infos", json!({"customer_phone": "0707070708"})),
            "phone_disabled",
        ),
    ];
    for (body, error) in cases {
        let reply = gateway.post("/init/payment", Some(&secret), &body).await;
        let message = reply.assert_error(403, error);
        assert!(
            message.starts_with("Denied:"),
            "the core's words: {message}"
        );
    }
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_answered_400_413_404_and_405() {
    let mut registry = TestRegistry::new();
    let (_, secret) = registry.sandbox_token("shop");
    let gateway = Gateway::start(&registry, Config::default()).await;
    let bearer = vec![("authorization", format!("Bearer {secret}"))];
    let raw = |body: &'static [u8]| {
        crate::support::send(
            gateway.address,
            "POST",
            "/init/payment",
            &bearer,
            body.to_vec(),
        )
    };
    raw(b"{\"amount\": ")
        .await
        .assert_error(400, "invalid_json");
    raw(b"").await.assert_error(400, "invalid_json");
    raw(b"[]").await.assert_error(400, "invalid_json");
    for (field, value) in [
        ("amount", json!("five thousand")),
        ("transaction_id", json!(42)),
        ("operators_code", json!("OM")),
        ("tunnel", json!("SMS")),
        ("method", json!(null)),
    ] {
        let mut body = init_body(5000);
        body[field] = value;
        let message = gateway
            .post("/init/payment", Some(&secret), &body)
            .await
            .assert_error(400, "invalid_request");
        assert!(
            message.contains(&format!("`{field}`")),
            "names {field}: {message}"
        );
    }
    let mut huge = init_body(5000);
    huge["transaction_id"] = json!("x".repeat(70 * 1024));
    gateway
        .post("/init/payment", Some(&secret), &huge)
        .await
        .assert_error(413, "body_too_large");
    let message = gateway
        .get("/init/payments")
        .await
        .assert_error(404, "not_found");
    assert!(
        message.contains("/init/payment"),
        "lists the paths: {message}"
    );
    gateway
        .get("/init/payment")
        .await
        .assert_error(405, "method_not_allowed");
    gateway
        .post("/operators/data", Some(&secret), &json!({}))
        .await
        .assert_error(405, "method_not_allowed");
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_live_accepts_live_tokens() {
    let mut registry = TestRegistry::new();
    let (_, live) = registry.create(&token("live", Environment::Live, &[]), Utc::now());
    let (_, sandbox) = registry.sandbox_token("sandbox");
    let config = Config {
        allow_live: true,
        ..Config::default()
    };
    let gateway = Gateway::start(&registry, config).await;
    for secret in [&live, &sandbox] {
        let reply = gateway
            .post("/init/payment", Some(secret), &init_body(100))
            .await;
        assert_eq!(reply.status, 200, "both environments: {}", reply.text());
    }
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_destroy_answer_the_token_that_created_the_payment() {
    let mut registry = TestRegistry::new();
    let (_, secret) = registry.sandbox_token("shop");
    let (_, other) = registry.sandbox_token("other");
    let config = Config {
        settle_after: std::time::Duration::from_secs(600),
        ..Config::default()
    };
    let gateway = Gateway::start(&registry, config).await;
    let created = gateway
        .post("/init/payment", Some(&secret), &init_body(5000))
        .await
        .json();
    let signature = json!({ "signature": created["signature"] });
    let status = gateway
        .post("/check/status/payment", Some(&secret), &signature)
        .await;
    assert_eq!(status.status, 200);
    assert_eq!(status.json()["status_payment"], "INITIATED");
    assert_eq!(status.json()["transaction_id"], "order-5000");
    gateway
        .post("/check/status/payment", Some(&other), &signature)
        .await
        .assert_error(404, "payment_not_found");
    gateway
        .post("/check/status/payment", None, &signature)
        .await
        .assert_error(401, "missing_token");
    gateway
        .post("/check/status/payment", Some(&secret), &json!({}))
        .await
        .assert_error(400, "invalid_request");
    let destroyed = gateway
        .post("/destroy/signature", Some(&secret), &signature)
        .await;
    assert_eq!(destroyed.status, 200, "{}", destroyed.text());
    assert_eq!(destroyed.json()["status_payment"], "CANCELLED");
    gateway
        .post("/destroy/signature", Some(&secret), &signature)
        .await
        .assert_error(409, "payment_settled");
    gateway
        .post(
            "/destroy/signature",
            Some(&secret),
            &json!({"signature": "TEST-none"}),
        )
        .await
        .assert_error(404, "payment_not_found");
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_data_lists_the_catalog_in_clapay_shape() {
    let registry = TestRegistry::new();
    let gateway = Gateway::start(&registry, Config::default()).await;
    let reply = gateway.get("/operators/data?country=sn").await;
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(body["country"], "SN");
    assert_eq!(body["currency"], "XOF");
    let operators = body["operators"].as_array().expect("a list");
    assert!(
        operators.iter().any(
            |operator| operator["operator"] == "WAVE" && operator["code"]["MERCHANT"] == "WAVE"
        ),
        "{body}"
    );
    gateway
        .get("/operators/data")
        .await
        .assert_error(400, "invalid_request");
    gateway
        .get("/operators/data?country=ZZ")
        .await
        .assert_error(400, "invalid_request");
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_check_is_recorded_and_logged_without_secrets() {
    let mut registry = TestRegistry::new();
    let (id, secret) = registry.sandbox_token("shop");
    let gateway = Gateway::start(&registry, Config::default()).await;
    gateway
        .post("/init/payment", Some(&secret), &init_body(5000))
        .await;
    let mut denied = init_body(5000);
    denied["method"] = json!("CASHIN");
    gateway
        .post("/init/payment", Some(&secret), &denied)
        .await
        .assert_error(403, "method_not_allowed");
    let log = gateway.state.log().newest_first();
    gateway.stop().await;
    assert_eq!(
        registry.usage_events(),
        (1, 1),
        "one used, one denied, on disk after the stop"
    );
    let token = registry.registry.get_token(&id, Utc::now()).expect("token");
    assert!(
        token.summary.last_used_at.is_some(),
        "Last used shows the sandbox call"
    );
    assert_eq!(log.len(), 2);
    let newest = &log[0];
    assert_eq!(newest.kind, EntryKind::Request);
    assert_eq!(newest.token_name.as_deref(), Some("shop"));
    assert_eq!(newest.decision, Some(Verdict::Denied));
    assert_eq!(newest.reason.as_deref(), Some("method_not_allowed"));
    assert_eq!(newest.status, 403);
    assert_eq!(newest.phone.as_deref(), Some("0707••••07"), "masked");
    assert_eq!(log[1].decision, Some(Verdict::Allowed));
    let shown = serde_json::to_string(&log).expect("json");
    assert!(!shown.contains(&secret[9..30]), "no secret in the log");
}
