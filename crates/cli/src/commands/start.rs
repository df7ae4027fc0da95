//! `start`: the server in the foreground.

use std::path::Path;
use std::process::ExitCode;

use super::{load_config, runtime};

/// Runs the server until told to stop; exit 0 after a clean drain.
pub fn run(env_file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = load_config(env_file)?;
    crate::telemetry::init(&config);
    runtime()?.block_on(crate::app::serve(&config))?;
    Ok(ExitCode::SUCCESS)
}
