//! Project automation: `cargo xtask <task>`.
//!
//! - `test`: the whole suite, as CI runs it: formatting, clippy, then every test on SQLite and
//!   again on a throwaway PostgreSQL (with TLS) that this task starts and stops itself.

mod postgres;

use std::process::{Command, ExitCode};

use anyhow::{Context as _, bail};

const USAGE: &str = "usage: cargo xtask test [--no-lint]

  test        fmt --check, clippy -D warnings, the test suite on SQLite, then on a
              throwaway PostgreSQL with TLS (started and stopped by this task)
  --no-lint   skip fmt and clippy";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("test") {
        eprintln!("{USAGE}");
        return ExitCode::from(64);
    }
    let result = test(&args[1..]);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn test(args: &[String]) -> anyhow::Result<()> {
    let lint = match args {
        [] => true,
        [flag] if flag == "--no-lint" => false,
        _ => bail!("unexpected arguments {args:?}\n{USAGE}"),
    };
    if lint {
        step(
            "cargo fmt --check",
            cargo(&["fmt", "--all", "--", "--check"]),
        )?;
        step(
            "cargo clippy",
            cargo(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
        )?;
    }
    step("tests on SQLite", cargo(&["test", "--workspace"]))?;

    // A PostgreSQL that fails to start fails the run: the suite never silently skips it.
    let server = postgres::Server::start().context("cannot start the throwaway PostgreSQL")?;
    let mut on_postgres = cargo(&["test", "--workspace"]);
    on_postgres
        .env("TEST_DATABASE_URL", server.url())
        .env("TEST_DATABASE_CA", server.ca_file());
    step("tests on PostgreSQL", on_postgres)?;
    server.stop()
}

fn cargo(args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.args(args);
    command
}

fn step(name: &str, mut command: Command) -> anyhow::Result<()> {
    eprintln!("xtask: ==> {name}");
    let status = command
        .status()
        .with_context(|| format!("cannot run {name}"))?;
    if !status.success() {
        bail!("{name} failed ({status})");
    }
    Ok(())
}
