//! Logging: `tracing` to stderr, as text or one JSON object per line, with a filter the
//! console can change while the process runs (`log-level`).

use std::sync::OnceLock;

use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};

/// Replaces the running filter; set once the subscriber is installed.
type Reload = Box<dyn Fn(EnvFilter) -> Result<(), String> + Send + Sync>;

static RELOAD: OnceLock<Reload> = OnceLock::new();

/// Installs the global subscriber for this process from the configuration.
///
/// Logs go to stderr so that stdout stays clean for command output (`config show`,
/// `gen-secret`, `rpc`); under systemd and in containers both streams are collected.
pub fn init(config: &Config) {
    // Validated already by `Config::load`; fall back to `info` rather than panic regardless.
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    // A second call (tests that run several commands in one process) keeps the first.
    match config.log_format {
        LogFormat::Text => {
            let builder = builder
                .with_ansi(
                    std::env::var_os("NO_COLOR").is_none()
                        && std::io::IsTerminal::is_terminal(&std::io::stderr()),
                )
                .with_filter_reloading();
            let handle = builder.reload_handle();
            if builder.try_init().is_ok() {
                remember(Box::new(move |filter| {
                    handle.reload(filter).map_err(|err| err.to_string())
                }));
            }
        }
        LogFormat::Json => {
            let builder = builder
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(false)
                .with_filter_reloading();
            let handle = builder.reload_handle();
            if builder.try_init().is_ok() {
                remember(Box::new(move |filter| {
                    handle.reload(filter).map_err(|err| err.to_string())
                }));
            }
        }
    }
}

fn remember(reload: Reload) {
    RELOAD.set(reload).ok();
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
