//! One module per command; each takes what it needs and returns the exit code.

pub mod config;
pub mod migrate;
pub mod secret;
pub mod start;

use std::path::Path;

use crate::config::{Config, Environment};
use crate::exit::{self, Exit};

/// Reads and validates the configuration, turning a report into the exit code 78.
pub(crate) fn load_config(env_file: Option<&Path>) -> anyhow::Result<Config> {
    let environment =
        Environment::from_process(env_file).map_err(|report| config_failure(&report))?;
    Config::load(&environment, ops::layout::release_root().as_deref())
        .map_err(|report| config_failure(&report))
}

fn config_failure(report: &crate::config::ConfigReport) -> anyhow::Error {
    Exit::new(exit::CONFIG, report.to_string()).into()
}

/// A multi-threaded runtime for commands that do I/O.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
