//! The accept loop: serve until asked to stop, then drain within a bound.
//!
//! Written on hyper-util rather than `axum::serve` because the release commands need what
//! `axum::serve` hides: the listener handed to us (socket activation, upgrades) and a drain
//! whose bound we choose.
//!
//! Bounded by construction, so that no client can take more than its share: at most
//! [`Limits::max_connections`] connections (beyond it we stop accepting and the kernel's
//! backlog queues), a request head of at most [`REQUEST_HEAD_BYTES_MAX`], and every phase of
//! a connection timed: idle between requests ([`Limits::keep_alive_timeout`]), reading a
//! request head ([`Limits::header_read_timeout`]), and a request with its body
//! ([`Limits::request_timeout`], applied by the router so the timed-out request is logged).
//! Each connection's task watches its own phase (see [`Activity`]); hyper's own header timer
//! starts when a connection goes idle, so it cannot tell "idle" from "slow head" and serves
//! only as a backstop here.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ConnectInfo;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt as _;

/// How long to wait after a failed `accept` (out of file descriptors, say) before trying
/// again, so the loop does not spin while the condition lasts.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(50);

/// How long, once draining, a connection must have been quiet (no request begun or answered,
/// no body bytes) before it is closed without a request in flight. A busy keep-alive client
/// sends its next request within this, gets `Connection: close` on the response and closes
/// itself, so its request never races our close; a slow or idle client is closed at once.
const DRAIN_QUIET_GRACE: Duration = Duration::from_millis(500);

/// How long a connection we decided to close may take to close cleanly (HTTP/2 `GOAWAY`, an
/// HTTP/1 response being written) before it is dropped.
const CLOSE_WAIT: Duration = Duration::from_millis(100);

/// The most bytes of a request head (request line and headers) we buffer; a longer head is
/// answered 431. Our API needs well under 1 KB (a bearer token, an idempotency key); 16 KiB is
/// between nginx's 8 KB line and 32 KB total, and bounds what a slow client makes us hold.
pub const REQUEST_HEAD_BYTES_MAX: usize = 16 * 1024;

/// HTTP/2 streams one connection may have open: a browser opens a handful; each may buffer up
/// to [`HTTP2_WINDOW_BYTES`].
const HTTP2_STREAMS_MAX: u32 = 32;

/// HTTP/2 flow-control windows, per stream and per connection: the protocol's default (64 KiB
/// less one), instead of hyper's 1 MB, so a client cannot make us buffer more than our
/// largest body (100 KiB) per connection.
const HTTP2_WINDOW_BYTES: u32 = 65_535;

/// What bounds a connection. The defaults are a reverse proxy's order of magnitude.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Client connections open at once; beyond it the server stops accepting until one
    /// closes (the kernel's listen backlog holds the next ones meanwhile).
    pub max_connections: usize,
    /// How long a request head (request line and headers) may take to arrive, from its first
    /// byte (nginx: `client_header_timeout` 60 s; Go servers are usually given 5–10 s).
    pub header_read_timeout: Duration,
    /// How long a connection may sit idle, before its first request or between requests
    /// (nginx: `keepalive_timeout` 75 s; most load balancers 60 s).
    pub keep_alive_timeout: Duration,
    /// How long a request may take from its head received to its response, its body
    /// included (nginx: `client_body_timeout` and `send_timeout` 60 s each).
    pub request_timeout: Duration,
}

/// The default connection cap, sized for a 2 GB machine. Measured (BENCHMARKS.md, "Connection
/// bounds and logging"): a connection costs the process 10–31 KiB (idle keep-alive or a slow
/// client filling its head, depending on the allocator's packing), plus the kernel's socket
/// buffers, up to ~32 KiB for such a client: ~64 KiB at worst. 8,192 of them take ~512 MiB, a
/// quarter of 2 GB, leaving the rest to the application, its database cache and the system.
/// The file-descriptor limit must exceed it (the systemd unit sets `LimitNOFILE=65536`).
pub const MAX_CONNECTIONS_DEFAULT: usize = 8_192;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: MAX_CONNECTIONS_DEFAULT,
            header_read_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
        }
    }
}

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

/// In a request's extensions: whether its body has arrived in full (so a timeout can tell a
/// client that stalled its body from a handler that was slow).
#[derive(Clone, Debug, Default)]
pub struct ReceivedInFull(Arc<AtomicBool>);

impl ReceivedInFull {
    /// Whether the whole body was read.
    #[must_use]
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// What one connection is doing, updated by its socket reads and its requests, read by its
/// task to decide when to close it. Times are milliseconds since the connection's `epoch`.
/// Everything here happens on the connection's own task (hyper polls the service there), so
/// relaxed atomics suffice; they are atomics only because the body outlives the borrow.
#[derive(Debug)]
struct Activity {
    epoch: Instant,
    /// Requests whose handler is running.
    in_flight: AtomicUsize,
    /// Of those, requests whose body has not arrived in full yet.
    bodies_pending: AtomicUsize,
    /// When the connection last showed life: accepted, a request began or was answered, body
    /// bytes arrived.
    changed_at: AtomicU64,
    /// One more than when the first byte of a request head arrived on this idle connection;
    /// 0 while none has.
    head_started_at: AtomicU64,
}

/// What a connection's task does next.
enum Verdict {
    Close(&'static str),
    WaitUntil(Instant),
}

impl Activity {
    fn new() -> Self {
        Activity {
            epoch: Instant::now(),
            in_flight: AtomicUsize::new(0),
            bodies_pending: AtomicUsize::new(0),
            changed_at: AtomicU64::new(0),
            head_started_at: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        millis(self.epoch.elapsed())
    }

    fn touch(&self) {
        self.changed_at.store(self.now_ms(), Ordering::Relaxed);
    }

    /// Bytes arrived from the client: on an idle connection, a request head has begun.
    fn bytes_arrived(&self) {
        if self.in_flight.load(Ordering::Relaxed) == 0
            && self.head_started_at.load(Ordering::Relaxed) == 0
        {
            self.head_started_at
                .store(self.now_ms() + 1, Ordering::Relaxed);
        }
    }

    fn request_began(self: &Arc<Self>) -> RequestInFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.head_started_at.store(0, Ordering::Relaxed);
        self.touch();
        RequestInFlight(Arc::clone(self))
    }

    /// Whether to close the connection now, or when to look again. Nothing that depends on a
    /// change yet to come (a request ending, a head beginning) can fall due sooner than the
    /// shortest timeout after it, so waking at least that often sees every deadline in time.
    fn verdict(&self, limits: &Limits, draining: bool) -> Verdict {
        let now = self.now_ms();
        let quiet_for = now.saturating_sub(self.changed_at.load(Ordering::Relaxed));
        let grace = millis(DRAIN_QUIET_GRACE);
        let mut wake = now
            + millis(
                limits
                    .header_read_timeout
                    .min(limits.keep_alive_timeout)
                    .min(limits.request_timeout),
            );
        if draining {
            wake = wake.min(now + grace);
        }
        let in_flight = self.in_flight.load(Ordering::Relaxed);
        let head_started_at = self.head_started_at.load(Ordering::Relaxed);
        if in_flight > 0 {
            // A request whose body is still arriving is not one we owe an answer yet.
            if draining
                && self.bodies_pending.load(Ordering::Relaxed) >= in_flight
                && quiet_for >= grace
            {
                return Verdict::Close("draining: its request body stalled");
            }
        } else if head_started_at > 0 {
            let reading_for = now.saturating_sub(head_started_at - 1);
            if draining && reading_for >= grace {
                return Verdict::Close("draining: its request head was still arriving");
            }
            let timeout = millis(limits.header_read_timeout);
            if reading_for >= timeout {
                return Verdict::Close(
                    "its request head did not arrive within HEADER_READ_TIMEOUT",
                );
            }
            wake = wake.min(head_started_at - 1 + timeout);
        } else {
            if draining && quiet_for >= grace {
                return Verdict::Close("draining: idle");
            }
            let timeout = millis(limits.keep_alive_timeout);
            if quiet_for >= timeout {
                return Verdict::Close("idle for KEEP_ALIVE_TIMEOUT");
            }
            wake = wake.min(now - quiet_for + timeout);
        }
        Verdict::WaitUntil(self.epoch + Duration::from_millis(wake))
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX / 2)
}

/// Counts a request in flight on its connection until its response is ready (or it is
/// cancelled).
struct RequestInFlight(Arc<Activity>);

impl Drop for RequestInFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

/// The client socket, noting when bytes arrive.
struct WatchedStream {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for WatchedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.bytes_arrived();
        }
        polled
    }
}

impl AsyncWrite for WatchedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// A request body, noting its progress on the connection's [`Activity`].
struct TrackedBody {
    body: Incoming,
    activity: Arc<Activity>,
    received: ReceivedInFull,
    /// Whether this body is counted in `bodies_pending`.
    pending: bool,
}

impl TrackedBody {
    fn new(body: Incoming, activity: Arc<Activity>, received: ReceivedInFull) -> Self {
        let pending = !body.is_end_stream();
        if pending {
            activity.bodies_pending.fetch_add(1, Ordering::Relaxed);
        } else {
            received.set();
        }
        TrackedBody {
            body,
            activity,
            received,
            pending,
        }
    }

    fn settle(&mut self) {
        if std::mem::take(&mut self.pending) {
            self.activity.bodies_pending.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Body for TrackedBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(_))) => {
                this.activity.touch();
                if this.body.is_end_stream() {
                    this.received.set();
                    this.settle();
                }
            }
            Poll::Ready(None) => {
                this.received.set();
                this.settle();
            }
            Poll::Ready(Some(Err(_))) => this.settle(),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for TrackedBody {
    fn drop(&mut self) {
        self.settle();
    }
}

/// hyper's connection settings: bounded head, HTTP/2 windows and streams, a timer.
fn builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // hyper starts this timer when a connection goes idle, so it covers idle + head: a
        // backstop behind the connection's own watch, never the first to fire.
        .header_read_timeout(limits.keep_alive_timeout + limits.header_read_timeout)
        .max_buf_size(REQUEST_HEAD_BYTES_MAX);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(REQUEST_HEAD_BYTES_MAX).unwrap_or(u32::MAX))
        .max_concurrent_streams(HTTP2_STREAMS_MAX)
        .initial_stream_window_size(HTTP2_WINDOW_BYTES)
        .initial_connection_window_size(HTTP2_WINDOW_BYTES);
    builder
}

/// Serves `app` on `listener` until `stop` resolves, then stops accepting, lets in-flight
/// requests finish and busy keep-alive connections close after their next response (the
/// router says `Connection: close` while draining), closes the others as soon as they have
/// been quiet for [`DRAIN_QUIET_GRACE`] (idle, a head or a body still arriving: nothing we owe
/// an answer), and returns; all within `drain_timeout`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    connections: Connections,
    limits: Limits,
    stop: impl Future<Output = ()>,
    drain_timeout: Duration,
) -> Drained {
    let builder = builder(&limits);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (draining, drain) = watch::channel(false);
    let mut at_capacity = false;
    tokio::pin!(stop);
    loop {
        // Over the cap: wait for a connection to close before accepting another.
        let slot = if let Ok(slot) = Arc::clone(&slots).try_acquire_owned() {
            at_capacity = false;
            slot
        } else {
            if !std::mem::replace(&mut at_capacity, true) {
                tracing::warn!(
                    max_connections = limits.max_connections,
                    "connection cap reached: not accepting until a connection closes (MAX_CONNECTIONS)"
                );
            }
            tokio::select! {
                slot = Arc::clone(&slots).acquire_owned() => match slot {
                    Ok(slot) => slot,
                    Err(_) => break,
                },
                () = &mut stop => break,
            }
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        spawn_connection(
            &builder,
            &app,
            (stream, peer),
            limits,
            drain.clone(),
            (connections.opened(), slot),
        );
    }
    drop(listener);
    draining.send_replace(true);
    match tokio::time::timeout(drain_timeout, connections.all_closed()).await {
        Ok(()) => Drained::Completely,
        Err(_) => Drained::TimedOut,
    }
}

/// Serves one accepted connection on a task of its own, which closes it when its
/// [`Activity`] says so. `held` (the open count and the cap's slot) is released with it.
fn spawn_connection(
    builder: &auto::Builder<TokioExecutor>,
    app: &Router,
    (stream, peer): (TcpStream, std::net::SocketAddr),
    limits: Limits,
    mut drain: watch::Receiver<bool>,
    held: (OpenConnection, OwnedSemaphorePermit),
) {
    // Responses are written whole; waiting to coalesce small packets only adds latency.
    stream.set_nodelay(true).ok();
    let activity = Arc::new(Activity::new());
    let service = {
        let activity = Arc::clone(&activity);
        let app = app.clone();
        hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let in_flight = activity.request_began();
            let received = ReceivedInFull::default();
            let (mut parts, body) = request.into_parts();
            // Handlers that limit per client (the public calculator) read the peer here.
            parts.extensions.insert(ConnectInfo(peer));
            parts.extensions.insert(received.clone());
            let body = TrackedBody::new(body, Arc::clone(&activity), received);
            let answered = app.clone().oneshot(hyper::Request::from_parts(parts, body));
            async move {
                let response = answered.await;
                drop(in_flight);
                response
            }
        })
    };
    let io = TokioIo::new(WatchedStream {
        stream,
        activity: Arc::clone(&activity),
    });
    let connection = builder.serve_connection(io, service).into_owned();
    tokio::spawn(async move {
        let _held = held;
        tokio::pin!(connection);
        let mut draining = *drain.borrow();
        loop {
            let until = match activity.verdict(&limits, draining) {
                Verdict::WaitUntil(until) => until,
                Verdict::Close(why) => {
                    tracing::debug!(why, "closing a connection");
                    connection.as_mut().graceful_shutdown();
                    tokio::time::timeout(CLOSE_WAIT, connection.as_mut())
                        .await
                        .ok();
                    return;
                }
            };
            tokio::select! {
                ended = connection.as_mut() => {
                    if let Err(err) = ended {
                        tracing::debug!(error = %err, "connection ended with an error");
                    }
                    return;
                }
                () = tokio::time::sleep_until(until) => {}
                changed = drain.changed(), if !draining => {
                    draining = changed.is_err() || *drain.borrow();
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_connections: 10,
            header_read_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
        }
    }

    fn aged(activity: &Activity, changed_ms_ago: u64) {
        let now = activity.now_ms();
        activity
            .changed_at
            .store(now.saturating_sub(changed_ms_ago), Ordering::Relaxed);
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_connection_closes_after_the_keep_alive_timeout_and_at_once_when_draining() {
        let activity = Activity::new();
        tokio::time::advance(Duration::from_secs(61)).await;
        assert!(matches!(
            activity.verdict(&limits(), false),
            Verdict::Close(_)
        ));
        activity.touch();
        assert!(matches!(
            activity.verdict(&limits(), false),
            Verdict::WaitUntil(_)
        ));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(matches!(
            activity.verdict(&limits(), true),
            Verdict::Close(_)
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_recently_busy_connection_is_given_the_grace_when_draining() {
        let activity = Activity::new();
        tokio::time::advance(Duration::from_secs(5)).await;
        activity.touch();
        tokio::time::advance(Duration::from_millis(100)).await;
        let Verdict::WaitUntil(until) = activity.verdict(&limits(), true) else {
            panic!("closed a connection answered 100 ms ago");
        };
        assert!(until <= Instant::now() + DRAIN_QUIET_GRACE);
    }

    #[tokio::test(start_paused = true)]
    async fn a_head_that_started_arriving_is_bounded_by_the_header_timeout_not_the_idle_one() {
        let activity = Activity::new();
        tokio::time::advance(Duration::from_secs(30)).await;
        activity.bytes_arrived();
        let Verdict::WaitUntil(until) = activity.verdict(&limits(), false) else {
            panic!("closed too early");
        };
        assert!(until <= Instant::now() + Duration::from_secs(10));
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(matches!(
            activity.verdict(&limits(), false),
            Verdict::Close(_)
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_in_flight_is_never_closed_unless_its_body_stalled_while_draining() {
        let activity = Arc::new(Activity::new());
        let request = activity.request_began();
        tokio::time::advance(Duration::from_secs(120)).await;
        assert!(matches!(
            activity.verdict(&limits(), true),
            Verdict::WaitUntil(_)
        ));
        activity.bodies_pending.store(1, Ordering::Relaxed);
        aged(&activity, 1_000);
        assert!(matches!(
            activity.verdict(&limits(), true),
            Verdict::Close(_)
        ));
        assert!(matches!(
            activity.verdict(&limits(), false),
            Verdict::WaitUntil(_)
        ));
        drop(request);
        assert_eq!(activity.in_flight.load(Ordering::Relaxed), 0);
    }
}
