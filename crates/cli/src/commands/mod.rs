//! One module per command; each takes what it needs and returns the exit code.

pub mod audit;
pub mod config;
pub mod control;
pub mod daemon;
pub mod healthcheck;
pub mod ledger;
pub mod migrate;
pub mod receipts;
pub mod replace;
pub mod secret;
pub mod users;
pub mod zakat;

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

pub(crate) fn config_failure(report: &crate::config::ConfigReport) -> anyhow::Error {
    Exit::new(exit::CONFIG, report.to_string()).into()
}

/// `name  value` lines with the values aligned, as `config show`, the console's `config` and
/// `help` print them (no trailing newline).
pub(crate) fn two_columns<'a>(rows: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let rows: Vec<_> = rows.into_iter().collect();
    let width = rows.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(name, value)| format!("{name:width$}  {value}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A multi-threaded runtime for commands that do I/O.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Runs `work` with the ledger's database and checkpoint key, closing the database after.
pub(crate) fn with_ledger<T>(
    env_file: Option<&Path>,
    work: impl AsyncFnOnce(&storage::Database, &domain::audit::CheckpointKey) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let config = load_config(env_file)?;
    let _log = crate::telemetry::init(&config);
    runtime()?.block_on(async {
        let (database, key) = crate::app::open_ledger(&config).await?;
        let result = work(&database, &key).await;
        database.close().await;
        result
    })
}

/// Who is at the command line, as the audit chain names them.
pub(crate) fn operator() -> storage::ledger::Actor {
    let name = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    storage::ledger::Actor::Operator(
        name.chars()
            .filter(char::is_ascii_graphic)
            .take(64)
            .collect(),
    )
}
