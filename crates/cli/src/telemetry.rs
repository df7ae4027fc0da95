//! Logging: `tracing` to stderr (or, under `daemon`, to a log file rotated by size), as text or
//! one JSON object per line, with a filter the console can change while the process runs
//! (`log-level`).
//!
//! Lines are written by a thread of their own through a bounded queue that drops lines when
//! full ([`batch`]): a request never waits for the log. Before, every request wrote its line
//! to stderr on the async workers, and with stderr's reader stopped the server stalled after
//! ~415 requests. Dropped lines are counted in `/metrics` (`log_lines_dropped_total`).

mod batch;
mod format;
mod rotate;

use std::path::PathBuf;
use std::sync::OnceLock;

use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};

pub use rotate::{LOG_FILE_BYTES_MAX, LOG_FILES_KEPT, RotatingFile};

/// Set by `daemon` for its child: the log file to write (rotated by size) instead of stderr.
pub const LOG_FILE_ENV: &str = "DONATION_PLATFORM_LOG_FILE";

/// Replaces the running filter; set once the subscriber is installed.
type Reload = Box<dyn Fn(EnvFilter) -> Result<(), String> + Send + Sync>;

static RELOAD: OnceLock<Reload> = OnceLock::new();

/// The installed writer's queue, which counts the lines it dropped.
static DROPPED: OnceLock<batch::LogQueue> = OnceLock::new();

/// Keeps the log writer thread running; dropping it writes out the queued lines (waiting up to
/// about a second), so hold it until the process is about to exit.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    _writer: Option<batch::WriterGuard>,
}

/// Installs the global subscriber for this process from the configuration.
///
/// Logs go to stderr so that stdout stays clean for command output (`config show`,
/// `gen-secret`, `rpc`); under systemd and in containers both streams are collected. A child
/// of `daemon` writes to the file [`LOG_FILE_ENV`] names, rotated by size.
pub fn init(config: &Config) -> LogGuard {
    // Validated already by `Config::load`; fall back to `info` rather than panic regardless.
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let file = std::env::var_os(LOG_FILE_ENV)
        .map(PathBuf::from)
        .and_then(|path| match RotatingFile::open(path.clone()) {
            Ok(file) => Some(file),
            Err(err) => {
                eprintln!(
                    "cannot open the log {}: {err}; logging to stderr",
                    path.display()
                );
                None
            }
        });
    let to_terminal = file.is_none()
        && std::env::var_os("NO_COLOR").is_none()
        && std::io::IsTerminal::is_terminal(&std::io::stderr());
    // Each batch goes out in one `write` of its own: no buffer in between.
    let started = match file {
        Some(file) => batch::start(file),
        None => batch::start(std::io::stderr()),
    };
    let (writer, guard) = match started {
        Ok((queue, guard)) => (queue, Some(guard)),
        Err(err) => {
            eprintln!("cannot start the log writer thread: {err}; not logging");
            return LogGuard { _writer: None };
        }
    };
    let dropped = writer.clone();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    // A second call (tests that run several commands in one process) keeps the first.
    let installed = match config.log_format {
        LogFormat::Text => {
            let builder = builder
                .with_ansi(to_terminal)
                .fmt_fields(format::TextFields)
                .event_format(format::Text)
                .with_filter_reloading();
            let handle = builder.reload_handle();
            remember_if_installed(builder.try_init(), handle)
        }
        LogFormat::Json => {
            let builder = builder
                .json()
                .event_format(format::Json)
                .with_filter_reloading();
            let handle = builder.reload_handle();
            remember_if_installed(builder.try_init(), handle)
        }
    };
    if installed {
        DROPPED.set(dropped).ok();
    }
    LogGuard { _writer: guard }
}

/// Keeps `handle` to reload the filter with, if `init` installed the subscriber; whether it
/// did.
fn remember_if_installed<S: 'static>(
    init: Result<(), Box<dyn std::error::Error + Send + Sync>>,
    handle: tracing_subscriber::reload::Handle<EnvFilter, S>,
) -> bool {
    init.map(|()| {
        let reload: Reload =
            Box::new(move |filter| handle.reload(filter).map_err(|err| err.to_string()));
        RELOAD.set(reload).ok();
    })
    .is_ok()
}

/// Log lines dropped since the process started because the writer fell behind.
#[must_use]
pub fn dropped_lines() -> u64 {
    DROPPED.get().map_or(0, batch::LogQueue::dropped_lines)
}

/// Changes the running log filter to `directives` (`debug`, `info,sqlx=warn`, …).
pub fn set_level(directives: &str) -> Result<(), String> {
    let filter = EnvFilter::try_new(directives).map_err(|err| {
        format!("{directives:?} is not a log filter ({err}): use a level such as `debug` or directives such as `info,sqlx=warn`")
    })?;
    let reload = RELOAD
        .get()
        .ok_or("logging is not set up in this process")?;
    reload(filter)
}
