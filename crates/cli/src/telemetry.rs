//! Logging: `tracing` to stderr, as text or one JSON object per line.

use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};

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
    let installed = match config.log_format {
        LogFormat::Text => builder
            .with_ansi(
                std::env::var_os("NO_COLOR").is_none()
                    && std::io::IsTerminal::is_terminal(&std::io::stderr()),
            )
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    // A second call (tests that run several commands in one process) keeps the first.
    drop(installed);
}
