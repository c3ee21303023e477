//! Shared fixtures: a registry on a temporary file, the real gateway on 127.0.0.1 port 0 (stopped
//! by the test, bounded in time), and a small HTTP client over hyper.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use clapay_core::{Catalog, Environment, Expiry, Method, NewNumber, NewToken, Registry, Triple};
use clapay_sandbox::{Config, SandboxState, WebhookKeys};
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long any single step of a test may take before it fails rather than hangs.
pub const STEP: Duration = Duration::from_secs(20);

/// The leak ledger of `make test` (scripts/leak_scan.py): while `CLAPAY_LEAK_LEDGER` is set, every
/// secret a test sees is appended to it and the test's files are kept for the scan.
const LEDGER_ENV: &str = "CLAPAY_LEAK_LEDGER";

/// Records a secret (a token or a webhook key) in the leak ledger, if a scan will run.
pub fn record_secret(secret: &str) {
    use std::io::Write;
    if let Some(ledger) = std::env::var_os(LEDGER_ENV) {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(ledger)
            .expect("the leak ledger is writable");
        writeln!(file, "{secret}").expect("write the leak ledger");
    }
}

/// The webhook keys the tests sign with (recorded in the ledger: the scan proves they stay out
/// of the database and the logs).
pub fn test_keys() -> WebhookKeys {
    let keys = WebhookKeys::generate().expect("keys");
    record_secret(keys.expose_unique_key());
    record_secret(keys.expose_secret());
    keys
}

/// A registry on a temporary database, for creating the tokens a test sends.
pub struct TestRegistry {
    pub registry: Registry,
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

impl TestRegistry {
    pub fn new() -> TestRegistry {
        let mut dir = tempfile::tempdir().expect("temp dir");
        dir.disable_cleanup(std::env::var_os(LEDGER_ENV).is_some());
        let path = dir.path().join("tokens.db");
        let registry = Registry::open(&path, Catalog::embedded()).expect("open");
        TestRegistry {
            registry,
            path,
            _dir: dir,
        }
    }

    /// Creates a token and returns (id, secret).
    pub fn create(&mut self, request: &NewToken, now: DateTime<Utc>) -> (String, String) {
        let created = self.registry.create_token(request, now).expect("create");
        let secret = created.secret.expose_secret().to_string();
        record_secret(&secret);
        (created.token.summary.id, secret)
    }

    /// A sandbox token for Orange Money and MTN pay-in in Côte d'Ivoire, any phone.
    pub fn sandbox_token(&mut self, name: &str) -> (String, String) {
        self.create(&token(name, Environment::Sandbox, &[]), Utc::now())
    }

    /// The number of `used` and `denied` events of known tokens.
    pub fn usage_events(&self) -> (i64, i64) {
        let connection = rusqlite::Connection::open(&self.path).expect("open");
        connection
            .query_row(
                "SELECT count(*) FILTER (WHERE kind = 'used'), count(*) FILTER (WHERE kind = 'denied')
                 FROM history WHERE token_id IS NOT NULL",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .expect("count")
    }

    /// Every `used` or `denied` event, of any token or none.
    pub fn all_usage_events(&self) -> i64 {
        let connection = rusqlite::Connection::open(&self.path).expect("open");
        connection
            .query_row(
                "SELECT count(*) FROM history WHERE kind IN ('used', 'denied')",
                [],
                |row| row.get(0),
            )
            .expect("count")
    }
}

/// A token for CI (OM, MTN; MERCHANT) with these numbers in CI.
pub fn token(name: &str, environment: Environment, numbers: &[&str]) -> NewToken {
    NewToken {
        name: name.to_string(),
        description: String::new(),
        environment,
        expiry: Expiry::Days { days: 30 },
        composition: ["OM", "MTN"]
            .into_iter()
            .map(|operator| Triple {
                country: "CI".into(),
                operator: operator.into(),
                method: Method::Merchant,
            })
            .collect(),
        numbers: numbers
            .iter()
            .map(|phone| NewNumber {
                country: "CI".into(),
                phone: (*phone).to_string(),
            })
            .collect(),
    }
}

/// A running gateway, stopped by [`Gateway::stop`].
pub struct Gateway {
    pub base: String,
    pub address: SocketAddr,
    pub state: Arc<SandboxState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), clapay_sandbox::Error>>>,
}

impl Gateway {
    /// Starts the gateway on the registry's database, 127.0.0.1, a free port.
    pub async fn start(registry: &TestRegistry, config: Config) -> Gateway {
        Gateway::start_with_keys(registry, config, test_keys()).await
    }

    pub async fn start_with_keys(
        registry: &TestRegistry,
        config: Config,
        keys: WebhookKeys,
    ) -> Gateway {
        let state = Arc::new(
            SandboxState::open(&registry.path, Catalog::embedded(), keys, config).expect("state"),
        );
        let listener = clapay_sandbox::bind("127.0.0.1:0".parse().expect("address"))
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(clapay_sandbox::serve(
            listener,
            Arc::clone(&state),
            async move {
                let _ = stopped.await;
            },
        ));
        Gateway {
            base: format!("http://{address}"),
            address,
            state,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops the gateway and waits until every use is written.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(STEP, task)
                .await
                .expect("the gateway stops in time")
                .expect("the serve task ends")
                .expect("serve returns Ok");
        }
    }

    /// `POST path` with a JSON body and, if given, a bearer token.
    pub async fn post(&self, path: &str, secret: Option<&str>, body: &serde_json::Value) -> Reply {
        let mut headers = vec![("content-type", "application/json".to_string())];
        if let Some(secret) = secret {
            headers.push(("authorization", format!("Bearer {secret}")));
        }
        send(
            self.address,
            "POST",
            path,
            &headers,
            body.to_string().into_bytes(),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Reply {
        send(self.address, "GET", path, &[], Vec::new()).await
    }
}

/// An answer.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "the body is not JSON ({error}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts an error answer in the sandbox's shape and returns its message.
    pub fn assert_error(&self, status: u16, error: &str) -> String {
        let body = self.json();
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected {status} {error}: {body}"
        );
        assert_eq!(body["status"], status, "the body repeats the status");
        assert_eq!(body["error"], error, "the error code: {body}");
        assert_eq!(body["simulated"], true, "errors are marked simulated");
        let message = body["message"].as_str().expect("a message").to_string();
        assert!(!message.is_empty(), "the message says what to fix");
        message
    }
}

/// One request on a fresh connection.
pub async fn send(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> Reply {
    tokio::time::timeout(STEP, async {
        let stream = tokio::net::TcpStream::connect(address)
            .await
            .expect("connect");
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", address.to_string());
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        let request = request.body(Full::new(Bytes::from(body))).expect("request");
        let response = sender.send_request(request).await.expect("an answer");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Reply {
            status,
            headers,
            body,
        }
    })
    .await
    .expect("the request is answered in time")
}

/// A valid `/init/payment` body for CI / OM / MERCHANT.
pub fn init_body(amount: u64) -> serde_json::Value {
    serde_json::json!({
        "transaction_id": format!("order-{amount}"),
        "amount": amount,
        "country_code": "CI",
        "operators_code": ["OM"],
        "method": "MERCHANT",
        "tunnel": "API",
        "additional_infos": {"customer_phone": "0707070707"},
        "operator_otp": "",
    })
}

/// A config with a short settle delay and fast webhook retries.
pub fn quick_config() -> Config {
    let mut config = Config {
        settle_after: Duration::from_millis(200),
        ..Config::default()
    };
    config.webhook_retry.first_delay = Duration::from_millis(50);
    config.webhook_retry.max_delay = Duration::from_millis(200);
    config.webhook_retry.attempt_timeout = Duration::from_secs(2);
    config
}

/// Polls `check` every 25 ms until it returns `Some`, failing after [`STEP`].
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + STEP;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
