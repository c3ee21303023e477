//! The sandbox gateway of the Sandbox screen: started on Tauri's runtime, its handle kept here,
//! stopped by the screen or when the app exits.
//!
//! Invariants:
//! - at most one gateway runs, on 127.0.0.1 only (the CLI's `--bind` is the way to expose one);
//! - the webhook keys are drawn once per app session (or taken from `CLAPAY_SANDBOX_WEBHOOK_KEY`
//!   and `CLAPAY_SANDBOX_WEBHOOK_SECRET`), so a developer's verifier keeps working across a stop
//!   and a start; they leave this module only through [`SandboxSlot::key`], for the reveal and
//!   the guarded copy, never in a status or a log answer;
//! - a stop returns once every recorded use is on disk.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use clapay_core::Catalog;
use clapay_sandbox::{Config, KeySource, LogEntry, SandboxState, WebhookKeys};
use serde::{Deserialize, Serialize};
use tauri::async_runtime::JoinHandle;
use tokio::sync::oneshot;
use zeroize::Zeroizing;

use crate::database::poisoned;
use crate::error::CommandError;

/// How long a stop waits for the gateway (requests in progress, the last uses written).
const STOP_WAIT: Duration = Duration::from_secs(15);

/// Which webhook credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookKey {
    /// The webhook secret (`nowallet_sk_...`).
    Secret,
    /// The webhook unique key (`nowallet_uk_...`).
    UniqueKey,
}

/// What the screen shows of the gateway. Holds no key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SandboxStatus {
    /// True while it serves.
    pub running: bool,
    /// `http://127.0.0.1:PORT` while it serves.
    pub base_url: Option<String>,
    /// The port it serves on.
    pub port: Option<u16>,
    /// How long a payment stays INITIATED.
    pub settle_after_ms: u64,
    /// `environment` or `generated`, once the keys exist.
    pub key_source: Option<&'static str>,
    /// Payments held in memory.
    pub payments: usize,
}

struct Running {
    state: Arc<SandboxState>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), clapay_sandbox::Error>>,
    port: u16,
}

#[derive(Default)]
struct Inner {
    running: Option<Running>,
    /// The last gateway's state once stopped, so its log stays readable.
    last: Option<Arc<SandboxState>>,
    keys: Option<WebhookKeys>,
}

/// The app's gateway.
#[derive(Default)]
pub struct SandboxSlot(Mutex<Inner>);

impl SandboxSlot {
    fn lock(&self) -> Result<MutexGuard<'_, Inner>, CommandError> {
        self.0.lock().map_err(|_| poisoned())
    }

    /// The status.
    pub fn status(&self) -> Result<SandboxStatus, CommandError> {
        let inner = self.lock()?;
        let config = Config::default();
        let key_source = inner.keys.as_ref().map(|keys| match keys.source() {
            KeySource::Environment => "environment",
            KeySource::Generated => "generated",
        });
        Ok(match &inner.running {
            Some(running) => SandboxStatus {
                running: true,
                // Known from the bound port, before the server task has run at all.
                base_url: Some(format!("http://127.0.0.1:{}", running.port)),
                port: Some(running.port),
                settle_after_ms: duration_ms(running.state.config().settle_after),
                key_source,
                payments: running.state.payment_count(),
            },
            None => SandboxStatus {
                running: false,
                base_url: None,
                port: None,
                settle_after_ms: duration_ms(config.settle_after),
                key_source,
                payments: 0,
            },
        })
    }

    /// Starts the gateway on 127.0.0.1:`port` (0: any free port) over the database at
    /// `db_path`, unless one runs already.
    pub async fn start(
        &self,
        db_path: std::path::PathBuf,
        catalog: Arc<Catalog>,
        port: u16,
    ) -> Result<SandboxStatus, CommandError> {
        if self.lock()?.running.is_some() {
            return self.status();
        }
        let keys = self.keys()?;
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let listener = clapay_sandbox::bind(address).await.map_err(|error| {
            CommandError::field_error(
                "port_unavailable",
                "port",
                format!("{error}; choose another port, or 0 for any free port"),
            )
        })?;
        let port = listener
            .local_addr()
            .map(|address| address.port())
            .unwrap_or(port);
        let state = crate::state::run_blocking(move || {
            SandboxState::open(&db_path, catalog, keys, Config::default())
                .map(Arc::new)
                .map_err(sandbox_error)
        })
        .await?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tauri::async_runtime::spawn(clapay_sandbox::serve(
            listener,
            Arc::clone(&state),
            async move {
                let _ = stopped.await;
            },
        ));
        {
            let mut inner = self.lock()?;
            if inner.running.is_some() {
                // Another start won the race: this one stops at once.
                let _ = stop.send(());
            } else {
                inner.running = Some(Running {
                    state,
                    stop,
                    task,
                    port,
                });
                log::info!("sandbox gateway started on 127.0.0.1:{port}");
            }
        }
        self.status()
    }

    /// Stops the gateway, if one runs, once every recorded use is written.
    pub async fn stop(&self) -> Result<SandboxStatus, CommandError> {
        let running = self.lock()?.running.take();
        if let Some(running) = running {
            let Running {
                state, stop, task, ..
            } = running;
            let _ = stop.send(());
            let outcome = tokio::time::timeout(STOP_WAIT, task).await;
            self.lock()?.last = Some(state);
            match outcome {
                Ok(Ok(Ok(()))) => log::info!("sandbox gateway stopped"),
                Ok(Ok(Err(error))) => return Err(sandbox_error(error)),
                Ok(Err(error)) => {
                    return Err(CommandError::internal(format!(
                        "the sandbox stopped unexpectedly: {error}"
                    )))
                }
                Err(_) => {
                    return Err(CommandError::internal(
                        "the sandbox did not stop in time; its last uses are written when the app quits",
                    ))
                }
            }
        }
        self.status()
    }

    /// Stops the gateway from the app's exit (outside the async runtime).
    pub fn stop_on_exit(&self) {
        if let Err(error) = tauri::async_runtime::block_on(self.stop()) {
            log::warn!(
                "the sandbox gateway did not stop cleanly: {}",
                error.message
            );
        }
    }

    /// The last requests of the running gateway (or of the last one), newest first.
    pub fn log(&self) -> Result<Vec<LogEntry>, CommandError> {
        let inner = self.lock()?;
        let state = inner
            .running
            .as_ref()
            .map(|running| &running.state)
            .or(inner.last.as_ref());
        Ok(state
            .map(|state| state.log().newest_first())
            .unwrap_or_default())
    }

    /// A copy of one webhook credential, for the reveal and the guarded copy only.
    pub fn key(&self, which: WebhookKey) -> Result<Zeroizing<String>, CommandError> {
        let keys = self.keys()?;
        let text = match which {
            WebhookKey::Secret => keys.expose_secret(),
            WebhookKey::UniqueKey => keys.expose_unique_key(),
        };
        // `to_owned` allocates exactly the key's length: no reallocation leaves a stray copy.
        Ok(Zeroizing::new(text.to_owned()))
    }

    /// The session's keys, drawn (or read from the environment) on first use.
    fn keys(&self) -> Result<WebhookKeys, CommandError> {
        let mut inner = self.lock()?;
        if let Some(keys) = &inner.keys {
            return Ok(keys.clone());
        }
        let keys = WebhookKeys::from_env_or_generate().map_err(sandbox_error)?;
        inner.keys = Some(keys.clone());
        Ok(keys)
    }
}

fn duration_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn sandbox_error(error: clapay_sandbox::Error) -> CommandError {
    match error {
        clapay_sandbox::Error::Core(core) => CommandError::from(core),
        other => CommandError::internal(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command_tests::{record_secret, ScanDir};

    /// A database in a folder the leak scan searches (the gateway records its checks there).
    fn temp_db() -> (ScanDir, std::path::PathBuf) {
        let dir = ScanDir::new();
        let path = dir.path().join("tokens.db");
        drop(clapay_core::Registry::open(&path, Catalog::embedded()).expect("create"));
        (dir, path)
    }

    #[test]
    fn the_gateway_starts_on_loopback_stops_and_keeps_its_keys_for_the_session() {
        let (_dir, path) = temp_db();
        let slot = SandboxSlot::default();
        tauri::async_runtime::block_on(async {
            let status = slot
                .start(path.clone(), Catalog::embedded(), 0)
                .await
                .expect("start");
            assert!(status.running);
            let base_url = status.base_url.clone().expect("a base URL");
            assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");
            let shown = serde_json::to_string(&status).expect("json");
            let secret = slot.key(WebhookKey::Secret).expect("key");
            let unique = slot.key(WebhookKey::UniqueKey).expect("key");
            record_secret(&secret);
            record_secret(&unique);
            assert!(
                !shown.contains(secret.as_str()) && !shown.contains(unique.as_str()),
                "a status never holds a key"
            );
            let again = slot
                .start(path.clone(), Catalog::embedded(), 0)
                .await
                .expect("a second start is the same gateway");
            assert_eq!(again.base_url, status.base_url);
            assert!(!slot.stop().await.expect("stop").running);
            slot.start(path.clone(), Catalog::embedded(), 0)
                .await
                .expect("start again");
            assert_eq!(
                *slot.key(WebhookKey::Secret).expect("key"),
                *secret,
                "a developer's verifier keeps working across a stop and a start"
            );
            slot.stop().await.expect("stop");
        });
    }

    #[test]
    fn a_port_in_use_is_a_port_error() {
        let (_dir, path) = temp_db();
        let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = taken.local_addr().expect("address").port();
        let slot = SandboxSlot::default();
        let error = tauri::async_runtime::block_on(slot.start(path, Catalog::embedded(), port))
            .expect_err("the port is taken");
        assert_eq!(error.kind, "port_unavailable");
        assert_eq!(error.field, Some("port"), "shown next to the port field");
    }
}
