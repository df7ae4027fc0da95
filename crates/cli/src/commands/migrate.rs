//! `migrate [--check]`.

use std::path::Path;
use std::process::ExitCode;

use super::{load_config, runtime};
use crate::app::{connect_database, describe_database, migration_failure};

/// Applies pending migrations, or with `check` only reports them (exit 1 when pending).
pub fn run(env_file: Option<&Path>, check: bool) -> anyhow::Result<ExitCode> {
    let config = load_config(env_file)?;
    let _log = crate::telemetry::init(&config);
    runtime()?.block_on(async {
        let database = connect_database(&config).await?;
        let target = describe_database(config.database_url.expose());
        let code = if check {
            let status = database
                .schema_status()
                .await
                .map_err(|err| migration_failure(&err))?;
            if status.is_current() {
                println!("{target} is up to date");
                ExitCode::SUCCESS
            } else {
                println!(
                    "{target} has {} pending migration(s):",
                    status.pending.len()
                );
                for name in &status.pending {
                    println!("  {name}");
                }
                println!("run `donation_platform migrate` to apply them");
                ExitCode::FAILURE
            }
        } else {
            let report = database
                .migrate()
                .await
                .map_err(|err| migration_failure(&err))?;
            if report.applied.is_empty() {
                println!("{target} is up to date; nothing to do");
            } else {
                println!("applied {} migration(s) to {target}:", report.applied.len());
                for name in &report.applied {
                    println!("  {name}");
                }
            }
            ExitCode::SUCCESS
        };
        database.close().await;
        Ok(code)
    })
}
