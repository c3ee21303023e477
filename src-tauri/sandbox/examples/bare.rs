//! The baseline of `scripts/bench-sandbox.sh`: a bare axum server whose one handler reads the
//! request body and answers a fixed JSON body of a given size, with no check, no state and no
//! recording.
//!
//! ```text
//! cargo run --release -p clapay-tokens-sandbox --example bare -- --bytes N [--port 0]
//! ```
//! Prints `listening on http://127.0.0.1:PORT` on stderr, serves until SIGTERM or Ctrl-C.

use std::process::ExitCode;

use axum::http::header;
use axum::routing::post;
use axum::Router;
use bytes::Bytes;

/// The allocator of `clapay-tokens-cli`, which serves the gateway it is compared with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let mut bytes = 380usize;
    let mut port = 0u16;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        let parsed = match flag.as_str() {
            "--bytes" => value.parse().map(|value| bytes = value).is_ok(),
            "--port" => value.parse().map(|value| port = value).is_ok(),
            _ => false,
        };
        if !parsed {
            eprintln!("usage: bare --bytes N [--port P]");
            return ExitCode::from(2);
        }
    }
    // A JSON object of exactly `bytes` bytes: {"pad":"xxx..."}.
    let padding = bytes.saturating_sub(r#"{"pad":""}"#.len());
    let body = Bytes::from(format!(r#"{{"pad":"{}"}}"#, "x".repeat(padding)));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let app = Router::new().route(
            "/init/payment",
            post(move |_body: Bytes| {
                let body = body.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], body) }
            }),
        );
        let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            Ok(listener) => listener,
            Err(error) => {
                eprintln!("error: cannot listen: {error}");
                return ExitCode::FAILURE;
            }
        };
        match listener.local_addr() {
            Ok(address) => eprintln!("listening on http://{address}"),
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::FAILURE;
            }
        }
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(stop_signal())
            .await;
        match served {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        }
    })
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
