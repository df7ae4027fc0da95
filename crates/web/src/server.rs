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
//!
//! Cheap while idle: hyper keeps a read and a write buffer (8–16 KiB each) for an HTTP/1
//! connection's whole life, so an HTTP/1 connection idle for [`PARK_AFTER`] is parked (hyper's
//! connection taken down, the socket kept) and served by a new one when its next request's
//! bytes arrive; a parked keep-alive connection costs ~2–5 KiB instead of ~30 KiB
//! (BENCHMARKS.md, "Connection bounds and logging"). The protocol is told from the first bytes
//! without reading them (HTTP/2 with prior knowledge opens with its preface).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ConnectInfo;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
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
/// bounds and logging"): a connection costs the process ~5 KiB idle between requests and up to
/// ~16 KiB for a slow client filling its head, plus the kernel's socket buffers, up to ~32 KiB
/// for such a client: ~48 KiB at worst. 8,192 of them take under ~400 MiB, a fifth of 2 GB,
/// leaving the rest to the application, its database cache and the system.
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
    /// Requests being handled or answered: from the head until the response's last frame.
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

    /// When the connection became idle (no request in flight, no head arriving), if it is.
    fn idle_since(&self) -> Option<Instant> {
        (self.in_flight.load(Ordering::Relaxed) == 0
            && self.head_started_at.load(Ordering::Relaxed) == 0)
            .then(|| self.epoch + Duration::from_millis(self.changed_at.load(Ordering::Relaxed)))
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
            // A handler is cut at REQUEST_TIMEOUT by the router, so an exchange with no life
            // for longer than both timeouts is a response the client stopped taking (nginx's
            // `send_timeout`): without this bound such a client would hold its slot forever.
            let stalled = millis(limits.request_timeout.max(limits.keep_alive_timeout));
            if quiet_for >= stalled {
                return Verdict::Close("its response was not taken for KEEP_ALIVE_TIMEOUT");
            }
            wake = wake.min(now - quiet_for + stalled);
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

/// Counts a request in flight on its connection until its response has been taken in full
/// (or it is cancelled): it rides in the response body ([`RespondingBody`]).
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
    /// Bytes read from the socket by a parked connection's hyper but not used: read first.
    pending: Bytes,
}

impl AsyncRead for WatchedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if !this.pending.is_empty() {
            let n = this.pending.len().min(buf.remaining());
            buf.put_slice(&this.pending.split_to(n));
            this.activity.bytes_arrived();
            return Poll::Ready(Ok(()));
        }
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

/// A response body that keeps its request counted in flight until its last frame is taken (or
/// it is dropped), and shows life on the connection each time the client takes a frame. Without
/// it a streamed response (an export) counted as idle once its head was out, and was cut at
/// `KEEP_ALIVE_TIMEOUT` in the middle of the file.
struct RespondingBody {
    body: axum::body::Body,
    in_flight: Option<RequestInFlight>,
}

impl Body for RespondingBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(_))) => {
                if let Some(in_flight) = &this.in_flight {
                    in_flight.0.touch();
                }
            }
            Poll::Ready(None | Some(Err(_))) => drop(this.in_flight.take()),
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

/// hyper's settings for each protocol, shared by every connection: bounded head, HTTP/2
/// windows and streams, a timer.
struct Protocols {
    http1: http1::Builder,
    http2: http2::Builder<TokioExecutor>,
}

impl Protocols {
    fn new(limits: &Limits) -> Self {
        let mut http1 = http1::Builder::new();
        http1
            .timer(TokioTimer::new())
            // hyper starts this timer when a connection goes idle, so it covers idle + head: a
            // backstop behind the connection's own watch, never the first to fire.
            .header_read_timeout(limits.keep_alive_timeout + limits.header_read_timeout)
            .max_buf_size(REQUEST_HEAD_BYTES_MAX);
        let mut http2 = http2::Builder::new(TokioExecutor::new());
        http2
            .timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(REQUEST_HEAD_BYTES_MAX).unwrap_or(u32::MAX))
            .max_concurrent_streams(HTTP2_STREAMS_MAX)
            .initial_stream_window_size(HTTP2_WINDOW_BYTES)
            .initial_connection_window_size(HTTP2_WINDOW_BYTES);
        Protocols { http1, http2 }
    }
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
    let protocols = Arc::new(Protocols::new(&limits));
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
            &protocols,
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
    protocols: &Arc<Protocols>,
    app: &Router,
    (stream, peer): (TcpStream, std::net::SocketAddr),
    limits: Limits,
    drain: watch::Receiver<bool>,
    held: (OpenConnection, OwnedSemaphorePermit),
) {
    // Responses are written whole; waiting to coalesce small packets only adds latency.
    stream.set_nodelay(true).ok();
    let activity = Arc::new(Activity::new());
    let handler = Handler {
        app: app.clone(),
        activity: Arc::clone(&activity),
        peer,
    };
    let io = WatchedStream {
        stream,
        activity: Arc::clone(&activity),
        pending: Bytes::new(),
    };
    let protocols = Arc::clone(protocols);
    tokio::spawn(async move {
        let _held = held;
        let mut watcher = Watch {
            activity,
            limits,
            drain,
            draining: false,
        };
        watcher.draining = *watcher.drain.borrow();
        serve_connection(&protocols, io, handler, &mut watcher).await;
    });
}

/// Serves a connection until it closes. An HTTP/1 connection that has been idle for
/// [`PARK_AFTER`] is parked: hyper's connection (its read and write buffers, 8–16 KiB each,
/// kept for the connection's life) is taken down without closing the socket, and a new one
/// is made when the next request's bytes arrive. So an idle keep-alive connection holds only
/// its socket and this task, as nginx frees its buffers between requests.
async fn serve_connection(
    protocols: &Protocols,
    mut io: WatchedStream,
    handler: Handler,
    watch: &mut Watch,
) {
    let mut first = true;
    loop {
        if io.pending.is_empty() {
            match watch.until_bytes_arrive(&io.stream, first).await {
                Arrived::Closed => return,
                Arrived::Http2 => {
                    let connection = protocols.http2.serve_connection(TokioIo::new(io), handler);
                    watch.http2(Box::pin(connection)).await;
                    return;
                }
                Arrived::Http1 => {}
            }
        }
        first = false;
        // A request has begun (its bytes are waiting): the connection is no longer idle, so
        // it is not parked before hyper reads them, and the header timeout applies.
        io.activity.bytes_arrived();
        // Boxed so that the task holds a pointer, not hyper's state, while parked.
        let connection = Box::new(
            protocols
                .http1
                .serve_connection(TokioIo::new(io), handler.clone()),
        );
        match watch.http1(connection).await {
            Some(parked) => io = parked,
            None => return,
        }
    }
}

/// What arrived on a parked connection.
enum Arrived {
    Http1,
    Http2,
    Closed,
}

/// What a peek at the first bytes of a connection saw.
enum Seen {
    Arrived(Arrived),
    /// The beginning of the HTTP/2 preface, not all of it yet.
    PartOfPreface,
}

/// What a client that speaks HTTP/2 without negotiation ("prior knowledge") sends first.
const HTTP2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// How long to wait before peeking again at a preface that arrived in pieces.
const PREFACE_RETRY: Duration = Duration::from_millis(10);

/// How long an HTTP/1 connection must be idle before it is parked (see
/// [`serve_connection`]): long enough that a client sending request after request keeps its
/// hyper connection, short enough that idle ones give their buffers back at once.
const PARK_AFTER: Duration = Duration::from_millis(100);

/// Looks at the bytes waiting on the socket without taking them: the first bytes of a
/// connection tell HTTP/2 (its preface) from HTTP/1; later, any byte means a request.
async fn peek(stream: &TcpStream, first: bool) -> std::io::Result<Seen> {
    let mut buf = [0; HTTP2_PREFACE.len()];
    let want = if first { buf.len() } else { 1 };
    let n = stream.peek(&mut buf[..want]).await?;
    Ok(if n == 0 {
        Seen::Arrived(Arrived::Closed)
    } else if !first || buf[..n] != HTTP2_PREFACE[..n] {
        Seen::Arrived(Arrived::Http1)
    } else if n == HTTP2_PREFACE.len() {
        Seen::Arrived(Arrived::Http2)
    } else {
        Seen::PartOfPreface
    })
}

/// A connection's task: its [`Activity`], its bounds and whether the server is draining.
struct Watch {
    activity: Arc<Activity>,
    limits: Limits,
    drain: watch::Receiver<bool>,
    draining: bool,
}

impl Watch {
    /// The verdict on the connection now: close it (logged), or when to look again.
    fn verdict(&self) -> Option<Instant> {
        match self.activity.verdict(&self.limits, self.draining) {
            Verdict::WaitUntil(until) => Some(until),
            Verdict::Close(why) => {
                tracing::debug!(why, "closing a connection");
                None
            }
        }
    }

    async fn drain_changed(&mut self) {
        let changed = self.drain.changed().await;
        self.draining = changed.is_err() || *self.drain.borrow();
    }

    /// Waits, holding only the socket, until bytes arrive, the connection is closed by the
    /// client, or it is to be closed by us (idle too long, draining).
    async fn until_bytes_arrive(&mut self, stream: &TcpStream, first: bool) -> Arrived {
        loop {
            let Some(until) = self.verdict() else {
                return Arrived::Closed;
            };
            tokio::select! {
                seen = peek(stream, first) => match seen {
                    Ok(Seen::Arrived(arrived)) => return arrived,
                    Ok(Seen::PartOfPreface) => {
                        // A head has begun: from now on the header timeout applies.
                        self.activity.bytes_arrived();
                        tokio::time::sleep(PREFACE_RETRY).await;
                    }
                    Err(_) => return Arrived::Closed,
                },
                () = tokio::time::sleep_until(until) => {}
                () = self.drain_changed(), if !self.draining => {}
            }
        }
    }

    /// Serves an HTTP/1 connection until it ends (`None`) or has been idle for
    /// [`PARK_AFTER`]: then it is taken down without closing the socket, which is returned
    /// with any bytes hyper had read but not used.
    async fn http1(
        &mut self,
        mut connection: Box<http1::Connection<TokioIo<WatchedStream>, Handler>>,
    ) -> Option<WatchedStream> {
        let mut parking = false;
        loop {
            let Some(mut until) = self.verdict() else {
                Pin::new(&mut *connection).graceful_shutdown();
                tokio::time::timeout(CLOSE_WAIT, &mut *connection)
                    .await
                    .ok();
                return None;
            };
            if !parking {
                let now = Instant::now();
                match self.activity.idle_since() {
                    Some(idle_since) if idle_since + PARK_AFTER <= now => {
                        // hyper closes an idle connection at once; a response still being
                        // written (its head already sent) is finished first.
                        parking = true;
                        Pin::new(&mut *connection).graceful_shutdown();
                    }
                    Some(idle_since) => until = until.min(idle_since + PARK_AFTER),
                    // A request ends inside hyper's poll, which does not wake this loop: look
                    // again a park's time from now.
                    None => until = until.min(now + PARK_AFTER),
                }
            }
            tokio::select! {
                ended = std::future::poll_fn(|cx| connection.poll_without_shutdown(cx)) => {
                    return match ended {
                        Ok(()) if parking => {
                            let parts = connection.into_parts();
                            let mut io = parts.io.into_inner();
                            if !parts.read_buf.is_empty() {
                                // Copied, so as not to keep hyper's whole buffer alive.
                                io.pending = Bytes::copy_from_slice(&parts.read_buf);
                            }
                            Some(io)
                        }
                        Ok(()) => None,
                        Err(err) => {
                            tracing::debug!(error = %err, "connection ended with an error");
                            None
                        }
                    };
                }
                () = tokio::time::sleep_until(until) => {}
                () = self.drain_changed(), if !self.draining => {}
            }
        }
    }

    /// Serves an HTTP/2 connection until it ends or is to be closed.
    async fn http2(
        &mut self,
        mut connection: Pin<Box<http2::Connection<TokioIo<WatchedStream>, Handler, TokioExecutor>>>,
    ) {
        loop {
            let Some(until) = self.verdict() else {
                connection.as_mut().graceful_shutdown();
                tokio::time::timeout(CLOSE_WAIT, connection.as_mut())
                    .await
                    .ok();
                return;
            };
            tokio::select! {
                ended = connection.as_mut() => {
                    if let Err(err) = ended {
                        tracing::debug!(error = %err, "connection ended with an error");
                    }
                    return;
                }
                () = tokio::time::sleep_until(until) => {}
                () = self.drain_changed(), if !self.draining => {}
            }
        }
    }
}

/// Answers a connection's requests with the router, noting each on the connection's
/// [`Activity`].
#[derive(Clone)]
struct Handler {
    app: Router,
    activity: Arc<Activity>,
    peer: std::net::SocketAddr,
}

impl hyper::service::Service<hyper::Request<Incoming>> for Handler {
    // Not boxed again into an axum body: hyper takes any body, and this is every response.
    type Response = hyper::Response<RespondingBody>;
    type Error = std::convert::Infallible;
    // Boxed so that hyper's HTTP/1 connection can be taken apart when parked (that needs an
    // `Unpin` future).
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn call(&self, request: hyper::Request<Incoming>) -> Self::Future {
        let in_flight = self.activity.request_began();
        let received = ReceivedInFull::default();
        let (mut parts, body) = request.into_parts();
        // Handlers that limit per client (the public calculator) read the peer here.
        parts.extensions.insert(ConnectInfo(self.peer));
        parts.extensions.insert(received.clone());
        let body = TrackedBody::new(body, Arc::clone(&self.activity), received);
        let answered = self
            .app
            .clone()
            .oneshot(hyper::Request::from_parts(parts, body));
        Box::pin(async move {
            let response = answered.await;
            Ok(response?.map(|body| RespondingBody {
                body,
                in_flight: Some(in_flight),
            }))
        })
    }
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

    /// A server on a loopback port answering `GET /` with "ok", stopped when `stop` is sent.
    async fn running() -> (
        std::net::SocketAddr,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<Drained>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let app = Router::new().route("/", axum::routing::get(|| async { "ok" }));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(
            listener,
            app,
            Connections::default(),
            limits(),
            async {
                stopped.await.ok();
            },
            Duration::from_secs(5),
        ));
        (address, stop, server)
    }

    /// Reads from `stream` until `count` whole "ok" responses have arrived.
    async fn responses(stream: &mut TcpStream, count: usize) -> String {
        use tokio::io::AsyncReadExt as _;
        let mut seen = Vec::new();
        let mut buf = [0; 1024];
        while String::from_utf8_lossy(&seen).matches("\r\n\r\nok").count() < count {
            let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
                .await
                .expect("a response within 5 s")
                .unwrap();
            assert!(n > 0, "closed after {:?}", String::from_utf8_lossy(&seen));
            seen.extend_from_slice(&buf[..n]);
        }
        String::from_utf8(seen).unwrap()
    }

    #[tokio::test]
    async fn a_response_streamed_for_longer_than_the_keep_alive_timeout_arrives_whole() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        // Five pieces 400 ms apart: 2 s of body, twice the keep-alive timeout below.
        let slow = || async {
            let pieces = futures::stream::unfold(0, |n| async move {
                if n == 5 {
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(400)).await;
                Some((
                    Ok::<_, std::io::Error>(Bytes::from(format!("piece{n};"))),
                    n + 1,
                ))
            });
            axum::body::Body::from_stream(pieces)
        };
        let app = Router::new().route("/", axum::routing::get(slow));
        let short = Limits {
            max_connections: 10,
            header_read_timeout: Duration::from_secs(1),
            keep_alive_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(1),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(
            listener,
            app,
            Connections::default(),
            short,
            async {
                stopped.await.ok();
            },
            Duration::from_secs(5),
        ));
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            .await
            .unwrap();
        let mut seen = Vec::new();
        let mut buf = [0; 1024];
        while !String::from_utf8_lossy(&seen).ends_with("0\r\n\r\n") {
            let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
                .await
                .expect("the body goes on within 5 s")
                .unwrap();
            assert!(
                n > 0,
                "closed mid-body: {:?}",
                String::from_utf8_lossy(&seen)
            );
            seen.extend_from_slice(&buf[..n]);
        }
        let seen = String::from_utf8(seen).unwrap();
        assert!(
            seen.contains("piece0;") && seen.contains("piece4;"),
            "{seen}"
        );
        stop.send(()).unwrap();
        assert_eq!(server.await.unwrap(), Drained::Completely);
    }

    #[tokio::test]
    async fn a_parked_keep_alive_connection_answers_its_next_requests_pipelined_ones_too() {
        use tokio::io::AsyncWriteExt as _;
        let (address, stop, server) = running().await;
        let mut stream = TcpStream::connect(address).await.unwrap();
        let get = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n";
        stream.write_all(get).await.unwrap();
        let first = responses(&mut stream, 1).await;
        assert!(first.starts_with("HTTP/1.1 200"), "{first}");
        assert!(
            !first.to_ascii_lowercase().contains("connection: close"),
            "{first}"
        );
        // Idle past PARK_AFTER: hyper's connection is taken down, the socket kept.
        tokio::time::sleep(PARK_AFTER * 3).await;
        stream.write_all(get).await.unwrap();
        assert!(responses(&mut stream, 1).await.starts_with("HTTP/1.1 200"));
        tokio::time::sleep(PARK_AFTER * 3).await;
        // Two requests at once, and a third in two pieces across a park.
        stream
            .write_all(&[&get[..], &get[..], &get[..10]].concat())
            .await
            .unwrap();
        let two = responses(&mut stream, 2).await;
        assert_eq!(two.matches("HTTP/1.1 200").count(), 2, "{two}");
        tokio::time::sleep(PARK_AFTER * 3).await;
        stream.write_all(&get[10..]).await.unwrap();
        assert!(responses(&mut stream, 1).await.starts_with("HTTP/1.1 200"));
        stop.send(()).unwrap();
        assert_eq!(server.await.unwrap(), Drained::Completely);
    }

    #[tokio::test]
    async fn a_client_that_opens_with_the_http2_preface_is_served_http2() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let (address, stop, server) = running().await;
        let mut stream = TcpStream::connect(address).await.unwrap();
        // The preface in two pieces, then an empty SETTINGS frame.
        stream.write_all(&HTTP2_PREFACE[..5]).await.unwrap();
        tokio::time::sleep(PREFACE_RETRY * 3).await;
        stream.write_all(&HTTP2_PREFACE[5..]).await.unwrap();
        stream
            .write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0])
            .await
            .unwrap();
        // The server's first frame is its SETTINGS (type 4 on stream 0).
        let mut head = [0; 9];
        tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut head))
            .await
            .expect("a frame within 5 s")
            .unwrap();
        assert_eq!((head[3], &head[5..]), (4, &[0, 0, 0, 0][..]), "{head:?}");
        drop(stream);
        stop.send(()).unwrap();
        assert_eq!(server.await.unwrap(), Drained::Completely);
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
    async fn a_request_in_flight_is_closed_only_when_it_stalls() {
        let activity = Arc::new(Activity::new());
        let request = activity.request_began();
        tokio::time::advance(Duration::from_secs(59)).await;
        assert!(matches!(
            activity.verdict(&limits(), true),
            Verdict::WaitUntil(_)
        ));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(
            matches!(activity.verdict(&limits(), false), Verdict::Close(_)),
            "no life for KEEP_ALIVE_TIMEOUT (longer than REQUEST_TIMEOUT): a response not taken"
        );
        activity.touch();
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
