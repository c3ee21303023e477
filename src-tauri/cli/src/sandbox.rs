//! `sandbox`: runs the sandbox gateway (`clapay_sandbox`) in the foreground on the registry's
//! database until SIGINT or SIGTERM, then stops it cleanly (every recorded use written, exit 0).
//!
//! Output: the webhook keys, when drawn for this run, once on stdout (they are secrets: never on
//! stderr or in a log); `listening on http://ADDRESS:PORT` on stderr once connections are
//! accepted; a last line on stderr when stopped.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use clapay_core::Catalog;
use clapay_sandbox::{Config, KeySource, SandboxState, WebhookKeys, MAX_SETTLE_AFTER};

use crate::args::SandboxArgs;
use crate::commands::Outcome;
use crate::error::{CliError, CliResult};
use crate::{maintenance, output};

/// Runs the gateway until a stop signal.
pub fn run(db: Option<PathBuf>, args: &SandboxArgs, json: bool) -> CliResult<Outcome> {
    let settle_after = settle_after(&args.settle_after)?;
    let path = maintenance::db_path(db)?;
    let keys = WebhookKeys::from_env_or_generate()
        .map_err(|error| CliError::input("invalid_webhook_keys", error.to_string()))?;
    let config = Config {
        settle_after,
        allow_live: args.allow_live,
        ..Config::default()
    };
    let state = Arc::new(
        SandboxState::open(&path, Catalog::embedded(), keys, config).map_err(sandbox_error)?,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("sandbox")
        .build()
        .map_err(|source| CliError::Io {
            context: "cannot start the sandbox's runtime".into(),
            source,
        })?;
    let address = SocketAddr::new(args.bind, args.port);
    runtime.block_on(async move {
        let listener = clapay_sandbox::bind(address)
            .await
            .map_err(|error| bind_error(address, &error))?;
        let bound = listener.local_addr().map_err(|source| CliError::Io {
            context: "the listener has no address".into(),
            source,
        })?;
        let stop = stop_signal()?;
        show_keys(state.keys(), json)?;
        if !bound.ip().is_loopback() {
            output::note(&format!(
                "warning: listening on {} lets other machines reach the sandbox; use --bind 127.0.0.1 to keep it on this one",
                bound.ip()
            ));
        }
        output::note(&format!("listening on http://{bound}"));
        clapay_sandbox::serve(listener, Arc::clone(&state), stop)
            .await
            .map_err(sandbox_error)?;
        output::note("sandbox stopped; every recorded use is written");
        Ok(Outcome::Done)
    })
}

/// `--settle-after`: a duration of at most [`MAX_SETTLE_AFTER`].
fn settle_after(text: &str) -> CliResult<Duration> {
    let invalid = || {
        CliError::input(
            "invalid_duration",
            format!(
                "--settle-after '{}' is not a duration; write it like 2s, 500ms or 1m (at most 1h)",
                output::printable(text)
            ),
        )
    };
    let duration = humantime::parse_duration(text.trim()).map_err(|_| invalid())?;
    if duration > MAX_SETTLE_AFTER {
        return Err(invalid());
    }
    Ok(duration)
}

/// Prints drawn keys once on stdout, in a form a shell can `export` to keep them for later runs.
fn show_keys(keys: &WebhookKeys, json: bool) -> CliResult<()> {
    if keys.source() == KeySource::Environment {
        output::note(&format!(
            "webhook keys: from {} and {}",
            clapay_sandbox::UNIQUE_KEY_ENV,
            clapay_sandbox::SECRET_ENV
        ));
        return Ok(());
    }
    if json {
        output::json(&serde_json::json!({
            "webhook_unique_key": keys.expose_unique_key(),
            "webhook_secret": keys.expose_secret(),
        }))?;
    } else {
        output::stdout_line(&format!(
            "{}={}\n{}={}",
            clapay_sandbox::UNIQUE_KEY_ENV,
            keys.expose_unique_key(),
            clapay_sandbox::SECRET_ENV,
            keys.expose_secret()
        ))?;
    }
    output::note(
        "webhook keys drawn for this run are on stdout; export them to keep them across runs",
    );
    Ok(())
}

fn bind_error(address: SocketAddr, error: &clapay_sandbox::Error) -> CliError {
    let hint = if address.port() == 0 {
        String::new()
    } else {
        "; choose another with --port (0 picks a free one)".to_string()
    };
    CliError::input(
        "cannot_listen",
        format!(
            "{error}{hint}",
            error = output::printable(&error.to_string())
        ),
    )
}

fn sandbox_error(error: clapay_sandbox::Error) -> CliError {
    match error {
        clapay_sandbox::Error::Core(core) => CliError::Core(core),
        other => CliError::Io {
            context: "the sandbox failed".into(),
            source: std::io::Error::other(other.to_string()),
        },
    }
}

/// A future that completes on Ctrl-C (SIGINT) or SIGTERM. The handlers are installed here, before
/// the listening line is printed: a signal sent as soon as that line appears must stop the
/// gateway cleanly, not kill the process.
fn stop_signal() -> CliResult<Pin<Box<dyn Future<Output = ()> + Send>>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let install = |kind| {
            signal(kind).map_err(|source| CliError::Io {
                context: "cannot install the signal handlers".into(),
                source,
            })
        };
        let mut interrupt = install(SignalKind::interrupt())?;
        let mut terminate = install(SignalKind::terminate())?;
        Ok(Box::pin(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        }))
    }
    #[cfg(not(unix))]
    {
        Ok(Box::pin(async {
            let _ = tokio::signal::ctrl_c().await;
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::settle_after;

    #[test]
    fn settle_delays_are_read_and_bounded() {
        assert_eq!(
            settle_after("500ms").expect("ms"),
            std::time::Duration::from_millis(500)
        );
        assert_eq!(
            settle_after("2s").expect("s"),
            std::time::Duration::from_secs(2)
        );
        assert!(settle_after("2 parsecs").is_err());
        assert!(settle_after("2h").is_err(), "at most an hour");
    }
}
