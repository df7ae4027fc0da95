//! The accept loop: serve until asked to stop, then drain within a bound.
//!
//! Written on hyper-util rather than `axum::serve` because the release commands need what
//! `axum::serve` hides: the listener handed to us (socket activation, upgrades) and a drain
//! whose bound we choose.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// How long to wait after a failed `accept` (out of file descriptors, say) before trying
/// again, so the loop does not spin while the condition lasts.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(50);

/// How long, once draining, to let busy keep-alive connections close themselves: each is
/// told `Connection: close` on its next response, so a client never has its request race our
/// close. Connections still idle after this are closed outright.
const KEEP_ALIVE_GRACE: Duration = Duration::from_secs(2);

/// Counts of client connections, for the console (`connections`, `status`) and the drain.
#[derive(Clone, Debug, Default)]
pub struct Connections {
    inner: Arc<ConnectionCounts>,
}

#[derive(Debug, Default)]
struct ConnectionCounts {
    open: AtomicUsize,
    accepted: AtomicU64,
    closed: Notify,
}

impl Connections {
    /// Connections open now.
    #[must_use]
    pub fn open(&self) -> usize {
        self.inner.open.load(Ordering::SeqCst)
    }

    /// Connections accepted since the process started.
    #[must_use]
    pub fn accepted(&self) -> u64 {
        self.inner.accepted.load(Ordering::Relaxed)
    }

    fn opened(&self) -> OpenConnection {
        self.inner.open.fetch_add(1, Ordering::SeqCst);
        self.inner.accepted.fetch_add(1, Ordering::Relaxed);
        OpenConnection(self.clone())
    }

    async fn all_closed(&self) {
        loop {
            let closed = self.inner.closed.notified();
            if self.open() == 0 {
                return;
            }
            closed.await;
        }
    }
}

/// Held by a connection's task; counts the connection closed when dropped.
struct OpenConnection(Connections);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.inner.open.fetch_sub(1, Ordering::SeqCst);
        self.0.inner.closed.notify_waiters();
    }
}

/// How the server stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drained {
    /// Every in-flight request finished within the bound.
    Completely,
    /// The bound passed with requests still in flight; they were cut off.
    TimedOut,
}

/// Serves `app` on `listener` until `stop` resolves, then stops accepting, lets in-flight
/// requests finish and busy keep-alive connections close after their next response (the
/// router says `Connection: close` while draining), closes idle ones, and returns; all within
/// `drain_timeout`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    connections: Connections,
    stop: impl Future<Output = ()>,
    drain_timeout: Duration,
) -> Drained {
    let graceful = GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        tracing::warn!(error = %err, "accept failed");
                        tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                        continue;
                    }
                };
                // Responses are written whole; waiting to coalesce small packets only adds latency.
                stream.set_nodelay(true).ok();
                // Handlers that limit per client (the public calculator) read the peer from here.
                let service = TowerToHyperService::new(
                    app.clone().layer(axum::Extension(axum::extract::ConnectInfo(peer))),
                );
                let connection = builder
                    .serve_connection(TokioIo::new(stream), service)
                    .into_owned();
                let connection = graceful.watch(connection);
                let open = connections.opened();
                tokio::spawn(async move {
                    let _open = open;
                    if let Err(err) = connection.await {
                        tracing::debug!(error = %err, "connection ended with an error");
                    }
                });
            }
            () = &mut stop => break,
        }
    }
    drop(listener);
    let deadline = tokio::time::Instant::now() + drain_timeout;
    tokio::time::timeout(
        KEEP_ALIVE_GRACE.min(drain_timeout),
        connections.all_closed(),
    )
    .await
    .ok();
    match tokio::time::timeout_at(deadline, graceful.shutdown()).await {
        Ok(()) => Drained::Completely,
        Err(_) => Drained::TimedOut,
    }
}
