//! The log writer: request threads append their formatted lines to a bounded queue, and a
//! thread of its own writes what gathered, in one `write`, a few milliseconds after the first
//! line of a batch arrived.
//!
//! Instead of `tracing-appender`'s non-blocking writer, which copied each line into a `Vec`,
//! sent it through a channel and, with its thread idle between lines, woke that thread (a
//! futex call) for nearly every request: under the calculator's load its thread took ~13% of
//! the server's CPU and the wake-ups ~5% more, four times what formatting the lines cost
//! (BENCHMARKS.md, "HTTP path against the OTP yardstick"). Here a line costs a lock and a
//! copy into a buffer that keeps its capacity, and the thread is woken once per batch.
//!
//! Lossy, as before: when the queue holds [`LINES_QUEUED_MAX`] lines (the writer is stuck on
//! a reader that stopped) new lines are dropped and counted, so a request never waits for
//! the log.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc};
use std::thread::{self, Thread};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// Lines the queue holds before it drops new ones: ~2 MB at a typical 250-byte request line,
/// a tenth of a second of the busiest `/healthz` load we measured at `info` (77k/s), so a log
/// reader that pauses briefly loses nothing while one that stops costs us a bounded amount
/// of memory.
pub const LINES_QUEUED_MAX: usize = 8_192;

/// How long the writer lets lines gather after the first of a batch: long enough that a busy
/// server's lines go out hundreds at a time with one wake-up and one `write`, short enough
/// that a line is on its way within a blink.
const BATCH_WINDOW: Duration = Duration::from_millis(5);

/// How long dropping the [`WriterGuard`] waits for the queued lines to be written.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// Where the subscriber writes each formatted line (a `MakeWriter`).
#[derive(Clone)]
pub struct LogQueue {
    shared: Arc<Shared>,
}

struct Shared {
    queue: Mutex<Queue>,
    /// The writer thread, to wake when a batch begins or the process closes the log.
    writer: Thread,
    closing: AtomicBool,
    dropped: AtomicU64,
}

/// Lines waiting to be written, back to back.
#[derive(Default)]
struct Queue {
    bytes: Vec<u8>,
    lines: usize,
}

/// Keeps the writer thread running; dropping it writes out the queued lines (waiting up to
/// [`CLOSE_WAIT`]).
#[must_use = "dropping the guard stops the log writer"]
pub struct WriterGuard {
    shared: Arc<Shared>,
    done: mpsc::Receiver<()>,
}

/// Starts the writer thread on `sink`: the queue to give the subscriber, and the guard.
///
/// # Errors
/// When the thread cannot be started.
pub fn start(sink: impl Write + Send + 'static) -> io::Result<(LogQueue, WriterGuard)> {
    let (done_tx, done) = mpsc::channel();
    let (shared_tx, shared_rx) = mpsc::channel::<Arc<Shared>>();
    let handle = thread::Builder::new()
        .name("log-writer".to_owned())
        .spawn(move || {
            // The shared state names this thread, so it is made once the thread exists.
            if let Ok(shared) = shared_rx.recv() {
                write_batches(&shared, sink);
            }
            done_tx.send(()).ok();
        })?;
    let shared = Arc::new(Shared {
        queue: Mutex::default(),
        writer: handle.thread().clone(),
        closing: AtomicBool::new(false),
        dropped: AtomicU64::new(0),
    });
    shared_tx
        .send(Arc::clone(&shared))
        .map_err(|_| io::Error::other("the log writer thread stopped at once"))?;
    Ok((
        LogQueue {
            shared: Arc::clone(&shared),
        },
        WriterGuard { shared, done },
    ))
}

impl LogQueue {
    /// Lines dropped so far because the queue was full.
    #[must_use]
    pub fn dropped_lines(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues one line (the subscriber writes each whole), or counts it dropped.
    fn push(&self, line: &[u8]) {
        let mut queue = self.queue();
        if queue.lines >= LINES_QUEUED_MAX {
            drop(queue);
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let batch_begins = queue.lines == 0;
        queue.bytes.extend_from_slice(line);
        queue.lines += 1;
        drop(queue);
        if batch_begins {
            self.writer.unpark();
        }
    }
}

/// The writer thread: waits for a batch to begin, lets it gather for [`BATCH_WINDOW`], takes
/// it (leaving an empty buffer of the same capacity) and writes it, until the guard is
/// dropped; then writes what is left.
fn write_batches(shared: &Shared, mut sink: impl Write) {
    let mut batch = Vec::new();
    loop {
        let closing = shared.closing.load(Ordering::Acquire);
        if shared.queue().lines == 0 {
            if closing {
                break;
            }
            // Woken by the first line of a batch, or by the guard.
            thread::park();
            continue;
        }
        if !closing {
            thread::sleep(BATCH_WINDOW);
        }
        {
            let mut queue = shared.queue();
            std::mem::swap(&mut queue.bytes, &mut batch);
            queue.lines = 0;
        }
        // A failed write loses its lines, as a full queue does: there is nowhere to say so.
        sink.write_all(&batch).and_then(|()| sink.flush()).ok();
        batch.clear();
    }
    sink.flush().ok();
}

impl<'a> MakeWriter<'a> for LogQueue {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        Line(&self.shared)
    }
}

/// One log line being written.
pub struct Line<'a>(&'a Shared);

impl Write for Line<'_> {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        self.0.push(line);
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for WriterGuard {
    fn drop(&mut self) {
        self.shared.closing.store(true, Ordering::Release);
        self.shared.writer.unpark();
        self.done.recv_timeout(CLOSE_WAIT).ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink that keeps what it is given; `stalled` blocks every write until released.
    #[derive(Clone, Default)]
    struct Kept {
        bytes: Arc<Mutex<Vec<u8>>>,
        writes: Arc<AtomicU64>,
    }

    impl Write for Kept {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.writes.fetch_add(1, Ordering::Relaxed);
            self.bytes.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Writes `text` as the subscriber writes a line: in one `write_all`.
    fn line(queue: &LogQueue, text: &str) {
        queue.make_writer().write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn lines_are_written_in_order_in_few_writes_and_all_of_them_when_the_guard_drops() {
        let kept = Kept::default();
        let (queue, guard) = start(kept.clone()).unwrap();
        for n in 0..1_000 {
            line(&queue, &format!("line {n}\n"));
        }
        drop(guard);
        let text = String::from_utf8(kept.bytes.lock().unwrap().clone()).unwrap();
        let expected = (0..1_000)
            .map(|n| format!("line {n}\n"))
            .collect::<Vec<_>>()
            .concat();
        assert_eq!(text, expected);
        assert!(
            kept.writes.load(Ordering::Relaxed) < 100,
            "one write per line"
        );
        assert_eq!(queue.dropped_lines(), 0);
    }

    #[test]
    fn a_stuck_sink_makes_lines_dropped_and_counted_never_a_writer_wait() {
        /// Blocks its first write until the test lets it go.
        struct Stuck(mpsc::Receiver<()>, Kept);
        impl Write for Stuck {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.0.recv().ok();
                self.1.write(buf)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let (release, stuck) = mpsc::channel();
        let kept = Kept::default();
        let (queue, guard) = start(Stuck(stuck, kept.clone())).unwrap();
        line(&queue, "first\n");
        // The writer takes "first" and blocks writing it; the queue then fills.
        thread::sleep(BATCH_WINDOW * 4);
        let started = std::time::Instant::now();
        for n in 0..LINES_QUEUED_MAX + 100 {
            line(&queue, &format!("line {n}\n"));
        }
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(queue.dropped_lines(), 100);
        drop(release);
        drop(guard);
        let text = String::from_utf8(kept.bytes.lock().unwrap().clone()).unwrap();
        assert!(text.starts_with("first\nline 0\n"), "{}", &text[..40]);
        assert_eq!(text.lines().count(), 1 + LINES_QUEUED_MAX);
    }
}
