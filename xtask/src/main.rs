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
    let mut tally = Tally::default();
    tally.run("tests on SQLite", cargo(&TEST_ARGS))?;

    // A PostgreSQL that fails to start fails the run: the suite never silently skips it.
    let server = postgres::Server::start().context("cannot start the throwaway PostgreSQL")?;
    let mut on_postgres = cargo(&TEST_ARGS);
    on_postgres
        .env("TEST_DATABASE_URL", server.url())
        .env("TEST_DATABASE_CA", server.ca_file());
    tally.run("tests on PostgreSQL", on_postgres)?;
    server.stop()?;
    // One closing line for both runs, so CI reads the total and not the last binary's count.
    println!("summary: {} passed, {} failed", tally.passed, tally.failed);
    Ok(())
}

/// Unit and integration tests of every crate (the workspace has no doc tests).
const TEST_ARGS: [&str; 5] = ["test", "--workspace", "--lib", "--bins", "--tests"];

/// Test counts summed over `cargo test` runs, read from their `test result:` lines.
#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
}

impl Tally {
    /// Runs `command`, echoing its output, and adds up its results.
    fn run(&mut self, name: &str, mut command: Command) -> anyhow::Result<()> {
        use std::io::{BufRead as _, BufReader};
        eprintln!("xtask: ==> {name}");
        let mut child = command
            .stdout(std::process::Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot run {name}"))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            println!("{line}");
            if let Some(result) = line.strip_prefix("test result: ") {
                self.passed += count(result, " passed");
                self.failed += count(result, " failed");
            }
        }
        let status = child.wait()?;
        if !status.success() {
            println!(
                "summary: {} passed, {} failed",
                self.passed,
                self.failed.max(1)
            );
            bail!("{name} failed ({status})");
        }
        Ok(())
    }
}

/// The number before `label` in a line such as `ok. 24 passed; 0 failed; 0 ignored`.
fn count(result: &str, label: &str) -> u64 {
    let Some(end) = result.find(label) else {
        return 0;
    };
    let start = result[..end].rfind(' ').map_or(0, |space| space + 1);
    result[start..end].parse().unwrap_or(0)
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

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn counts_are_read_from_a_cargo_test_result_line() {
        let line =
            "ok. 24 passed; 3 failed; 0 ignored; 0 measured; 0 filtered out; finished in 10.04s";
        assert_eq!(count(line, " passed"), 24);
        assert_eq!(count(line, " failed"), 3);
        assert_eq!(count("FAILED. 1 passed; 2 failed;", " failed"), 2);
    }
}
