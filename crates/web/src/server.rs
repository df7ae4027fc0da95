//! The accept loop: serve until asked to stop, then drain within a bound.
//!
//! Written on hyper-util rather than `axum::serve` because the release commands need what
//! `axum::serve` hides: the listener handed to us (socket activation, upgrades) and a drain
//! whose bound we choose.

use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

/// How long to wait after a failed `accept` (out of file descriptors, say) before trying
/// again, so the loop does not spin while the condition lasts.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(50);

/// How the server stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drained {
    /// Every in-flight request finished within the bound.
    Completely,
    /// The bound passed with requests still in flight; they were cut off.
    TimedOut,
}

/// Serves `app` on `listener` until `stop` resolves, then stops accepting, lets in-flight
/// requests finish (at most `drain_timeout`), closes idle keep-alive connections at once,
/// and returns.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    stop: impl Future<Output = ()>,
    drain_timeout: Duration,
) -> Drained {
    let graceful = GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        tracing::warn!(error = %err, "accept failed");
                        tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                        continue;
                    }
                };
                // Responses are written whole; waiting to coalesce small packets only adds latency.
                stream.set_nodelay(true).ok();
                let service = TowerToHyperService::new(app.clone());
                let connection = builder
                    .serve_connection(TokioIo::new(stream), service)
                    .into_owned();
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(err) = connection.await {
                        tracing::debug!(error = %err, "connection ended with an error");
                    }
                });
            }
            () = &mut stop => break,
        }
    }
    drop(listener);
    match tokio::time::timeout(drain_timeout, graceful.shutdown()).await {
        Ok(()) => Drained::Completely,
        Err(_) => Drained::TimedOut,
    }
}
