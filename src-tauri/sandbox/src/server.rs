//! The accept loop: HTTP/1.1 connections served by hyper with the gateway's bounds, and a
//! graceful stop that lets requests in progress finish, then writes every recorded use.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::Semaphore;

use crate::error::Error;
use crate::state::SandboxState;

/// Connections the kernel holds for us while every connection slot is taken (it may cap this at
/// `net.core.somaxconn`).
const LISTEN_BACKLOG: u32 = 4096;

/// Binds `address` (port 0 picks a free port). Loopback only unless the caller asks otherwise:
/// the CLI and the app pass 127.0.0.1 unless told to bind elsewhere.
pub async fn bind(address: SocketAddr) -> Result<TcpListener, Error> {
    let bind_error = |source| Error::Bind { address, source };
    let socket = if address.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(bind_error)?;
    // A restart on the same port must not wait for the previous run's closed connections.
    socket.set_reuseaddr(true).map_err(bind_error)?;
    socket.bind(address).map_err(bind_error)?;
    socket.listen(LISTEN_BACKLOG).map_err(bind_error)
}

/// Serves the gateway on `listener` until `shutdown` completes, then stops: no new connection
/// is accepted, requests in progress get [`crate::Limits::shutdown_grace`] to finish, settle
/// timers and webhook retries end, and every recorded use is written to the database before
/// this returns.
pub async fn serve<F>(
    listener: TcpListener,
    state: Arc<SandboxState>,
    shutdown: F,
) -> Result<(), Error>
where
    F: Future<Output = ()> + Send,
{
    let address = listener.local_addr().map_err(|source| Error::Io {
        context: "the listener has no address".into(),
        source,
    })?;
    state.set_address(address);
    let limits = state.config.limits;
    let router = crate::routes::router(Arc::clone(&state));
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        // A slot first: past the limit, new connections wait in the kernel's queue rather than
        // being accepted and starved (or refused).
        let permit = tokio::select! {
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of file descriptors, a connection reset before it was accepted: the
                    // client never got a connection to report to; wait a little and go on, as
                    // hyper's own servers do.
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            // A connection's error (a client gone, a header timeout) concerns that client only.
            let _ = watched.await;
            drop(permit);
        });
    }
    drop(listener);
    state.stop();
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {}
    }
    let flushed = Arc::clone(&state);
    tokio::task::spawn_blocking(move || flushed.flush())
        .await
        .map_err(|_| Error::Io {
            context: "the last uses could not be written".into(),
            source: std::io::Error::other("the flush stopped unexpectedly"),
        })?
}
