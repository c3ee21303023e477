//! What one gateway holds while it runs: the registry's [`Checker`], the webhook keys, the
//! payments, the request log, its configuration, and the stop signal its background tasks watch.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use clapay_core::{Catalog, Checker};
use tokio::sync::{watch, Semaphore};

use crate::config::Config;
use crate::error::Error;
use crate::keys::WebhookKeys;
use crate::log::{EntryKind, LogEntry, RequestLog};
use crate::payments::Payments;

/// The state of one gateway, shared by its handlers (and read by the app).
pub struct SandboxState {
    pub(crate) checker: Arc<Checker>,
    pub(crate) keys: WebhookKeys,
    pub(crate) payments: Payments,
    pub(crate) log: RequestLog,
    pub(crate) config: Config,
    stop: watch::Sender<bool>,
    webhooks: Arc<Semaphore>,
    base_url: OnceLock<String>,
}

impl SandboxState {
    /// Opens the registry at `db_path` for checks (a blocking call: it may migrate the file).
    pub fn open(
        db_path: &Path,
        catalog: Arc<Catalog>,
        keys: WebhookKeys,
        config: Config,
    ) -> Result<SandboxState, Error> {
        let checker = Checker::open(db_path, catalog)?;
        Ok(SandboxState::with_checker(Arc::new(checker), keys, config))
    }

    /// A state over a checker opened by the caller.
    pub fn with_checker(checker: Arc<Checker>, keys: WebhookKeys, config: Config) -> SandboxState {
        SandboxState {
            checker,
            keys,
            payments: Payments::new(config.limits.max_payments),
            log: RequestLog::default(),
            webhooks: Arc::new(Semaphore::new(config.limits.max_webhooks)),
            config,
            stop: watch::Sender::new(false),
            base_url: OnceLock::new(),
        }
    }

    /// The webhook keys (shown on demand by the app, once by the CLI).
    pub fn keys(&self) -> &WebhookKeys {
        &self.keys
    }

    /// The request log.
    pub fn log(&self) -> &RequestLog {
        &self.log
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The catalog the checks use.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.checker.catalog()
    }

    /// The base URL, once [`crate::serve`] has started (`http://127.0.0.1:PORT`).
    pub fn base_url(&self) -> Option<&str> {
        self.base_url.get().map(String::as_str)
    }

    /// How many payments are held in memory.
    pub fn payment_count(&self) -> usize {
        self.payments.count()
    }

    /// Waits until every check made so far is on disk (a blocking call).
    pub fn flush(&self) -> Result<(), Error> {
        Ok(self.checker.flush()?)
    }

    pub(crate) fn set_address(&self, address: SocketAddr) {
        // A gateway bound to every address is reached here through loopback.
        let host = if address.ip().is_unspecified() {
            if address.is_ipv4() {
                "127.0.0.1".to_string()
            } else {
                "[::1]".to_string()
            }
        } else {
            address.ip().to_string()
        };
        let host = if address.is_ipv6() && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host
        };
        let _ = self
            .base_url
            .set(format!("http://{host}:{}", address.port()));
    }

    /// A receiver that turns true when the gateway stops.
    pub(crate) fn stopping(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Tells the background tasks (settle timers, webhook retries) to end.
    pub(crate) fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// Starts the settle timer and webhook delivery of a payment, unless too many are already
    /// in progress (then the drop is logged: memory stays bounded).
    pub(crate) fn spawn_webhook(self: &Arc<Self>, signature: String, callback: &str) {
        match Arc::clone(&self.webhooks).try_acquire_owned() {
            Ok(permit) => {
                let state = Arc::clone(self);
                tokio::spawn(async move {
                    crate::webhook::settle_and_deliver(state, signature).await;
                    drop(permit);
                });
            }
            Err(_) => {
                let mut entry = LogEntry::request("POST", callback, 0);
                entry.kind = EntryKind::Webhook;
                entry.detail = Some(format!(
                    "not sent: {} webhooks already in progress",
                    self.config.limits.max_webhooks
                ));
                self.log.push(entry);
            }
        }
    }
}
