//! Project automation: `cargo xtask <task>`.
//!
//! - `test`: the whole suite, as CI runs it: formatting, clippy, then every test on SQLite and
//!   again on a throwaway PostgreSQL (with TLS) that this task starts and stops itself (the
//!   browser test, headless Chromium through the pages, in the SQLite pass only), then
//!   schemathesis against the running server on each backend, and last the release artifacts
//!   (`cargo xtask release` twice: the OCI archive must come out the same; then the tarball,
//!   the image and the Dockerfile checked with podman).
//! - `release`: the release layout and tarball (see `release.rs`).
//! - `schemathesis`: only that last step, to iterate on what it finds.
//! - `pack`: an already built binary packed as a release tarball (see `release.rs`).
//! - `rolling`: the rolling deploy across hosts behind HAProxy (see `rolling.rs`).
//! - `browser`: the browser test alone (headless Chromium through the pages).
//!
//! `test`, `schemathesis` and `browser` install the Python and npm tools they run themselves
//! and name, in one line, the system packages they cannot install (see `tools.rs`).

mod oci;
mod release;
mod rolling;
mod schemathesis;
mod tools;

use std::process::{Command, ExitCode};

use anyhow::{Context as _, bail};

const USAGE: &str = "usage: cargo xtask test [--no-lint]
       cargo xtask release
       cargo xtask schemathesis [--max-examples N] [--seed N]
       cargo xtask pack --binary PATH --out DIR [--version V] [--env NAME=VALUE]...
       cargo xtask rolling [--write] [--current PATH --next PATH]
       cargo xtask browser

  test          fmt --check, clippy -D warnings, the test suite on SQLite, then on a
                throwaway PostgreSQL with TLS (started and stopped by this task), then
                schemathesis against the server's OpenAPI document on both backends,
                then the release artifacts (tarball, OCI image, Dockerfile; podman)
  --no-lint     skip fmt and clippy
  release       the optimized binary laid out in target/rel/donation_platform/ (a root
                several versions share) and target/rel/donation_platform-<version>.tar.gz
                with its .sha256, and the OCI image target/rel/donation_platform-<version>-oci.tar;
                DONATION_PLATFORM_VERSION=x.y.z overrides the version, SOURCE_DATE_EPOCH
                the image's times (default: the commit's)
  schemathesis  only the schemathesis step (it starts its own PostgreSQL); to fuzz
                deeper or with other inputs than CI: --max-examples (per operation and
                phase, default 100), --seed (default 1)
  pack          a built binary laid out and packed like `release` does (no build):
                DIR/donation_platform-<version>.tar.gz and its .sha256; --version packs
                it as another version, --env appends a line to the release's env file
  rolling       deploy/ansible's rolling deploy and rollback on three local release
                roots behind HAProxy, under load (bench/rolling.py; also the last step
                of `test`); --write puts its figures into BENCHMARKS.md; --current and
                --next use those debug builds (this version, and it built as 0.2.0)
  browser       the browser test alone (crates/cli/tests/it/browser.rs: headless
                Chromium through the pages, axe-core on each; screenshots in
                target/browser/), with its npm packages installed from the lockfile
                (`test` runs it too, on SQLite)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("schemathesis") => schemathesis_only(&args[1..]),
        Some("release") if args.len() == 1 => release::release(),
        Some("pack") => release::pack_command(&args[1..]),
        Some("rolling") => rolling::bench(&args[1..]),
        Some("browser") if args.len() == 1 => browser_only(),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(64);
        }
    };
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
    // Before the long runs, so a missing tool fails in seconds and not after minutes.
    let python_tools = prepare_tools(tools::Task::Suite)?;
    let node_tools = tools::NodeTools::in_cache()?;
    node_tools.ensure_installed()?;
    // The tests find `openapi-spec-validator` on PATH.
    let path = python_tools.path_env()?;
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
    let next_release = build_next_release()?;
    let mut tally = Tally::default();
    let mut on_sqlite = cargo(&TEST_ARGS);
    on_sqlite
        .env(NEXT_RELEASE_ENV, &next_release)
        .env("PATH", &path)
        .env(tools::NODE_TOOLS_ENV, node_tools.dir());
    tally.run("tests on SQLite", on_sqlite)?;

    // A PostgreSQL that fails to start fails the run: the suite never silently skips it.
    let server = start_postgres()?;
    // The browser test ran on SQLite: the pages read the books through the same storage
    // code on both backends, which the other page tests cover on PostgreSQL.
    let mut on_postgres = cargo(&TEST_ARGS);
    on_postgres.args(["--", "--skip", BROWSER_TEST]);
    on_postgres
        .env(NEXT_RELEASE_ENV, &next_release)
        .env("PATH", &path)
        .env("TEST_DATABASE_URL", server.url())
        .env("TEST_DATABASE_CA", server.ca_file());
    tally.run("tests on PostgreSQL", on_postgres)?;

    let mut failed_steps = fuzz(&python_tools, &server, schemathesis::Depth::default())?;
    // Last: it needs the 0.1.0 debug build that the schemathesis step leaves in place.
    let current = target_dir()?.join("debug").join("donation_platform");
    let rolling = "the rolling deploy behind HAProxy";
    eprintln!("xtask: ==> {rolling}");
    match rolling::rehearse(
        &server,
        &python_tools,
        &current,
        &next_release,
        rolling::Run::Check,
    ) {
        Ok(()) => tally.passed += 1,
        Err(err) => {
            eprintln!("xtask: {rolling} failed: {err:#}");
            failed_steps.push(rolling);
        }
    }
    server.stop_and_remove()?;
    release_artifacts(&python_tools, &mut tally)?;
    // One closing line for every run, so CI reads the total and not the last binary's count;
    // a schemathesis run with findings, or a failed rolling deploy, counts as one failed test.
    tally.failed += failed_steps.len() as u64;
    println!("summary: {} passed, {} failed", tally.passed, tally.failed);
    if !failed_steps.is_empty() {
        bail!("{} failed", failed_steps.join(" and "));
    }
    Ok(())
}

/// The browser test's module in the `it` test binary.
const BROWSER_TEST: &str = "browser::";

/// `cargo xtask browser`: the browser test alone, with its npm packages installed.
fn browser_only() -> anyhow::Result<()> {
    tools::check_system_programs(tools::Task::Browser)?;
    let node_tools = tools::NodeTools::in_cache()?;
    node_tools.ensure_installed()?;
    let mut test = cargo(&[
        "test",
        "--package",
        "donation_platform",
        "--test",
        "it",
        BROWSER_TEST,
        "--",
        "--nocapture",
    ]);
    test.env(tools::NODE_TOOLS_ENV, node_tools.dir());
    step("the browser test", test)
}

/// `cargo xtask schemathesis`: the fuzzing step alone, to iterate on a finding (or fuzz
/// deeper) without waiting for the whole suite.
fn schemathesis_only(args: &[String]) -> anyhow::Result<()> {
    let mut depth = schemathesis::Depth::default();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().map(|value| value.parse());
        match (flag.as_str(), value) {
            ("--max-examples", Some(Ok(n))) => depth.max_examples = u32::try_from(n)?,
            ("--seed", Some(Ok(n))) => depth.seed = n,
            _ => bail!("unknown option {flag:?}, or no number after it\n{USAGE}"),
        }
    }
    let python_tools = prepare_tools(tools::Task::Fuzzing)?;
    let server = start_postgres()?;
    let findings = fuzz(&python_tools, &server, depth)?;
    server.stop_and_remove()?;
    if !findings.is_empty() {
        bail!("{} failed", findings.join(" and "));
    }
    Ok(())
}

/// schemathesis against the server on SQLite, then on a fresh database on `postgres`; returns
/// the names of the runs that had findings. Both run even when the first has findings: they
/// often differ, and CI then shows both.
fn fuzz(
    python_tools: &tools::PythonTools,
    postgres: &throwaway_postgres::Server,
    depth: schemathesis::Depth,
) -> anyhow::Result<Vec<&'static str>> {
    let binary = build_server()?;
    let on_postgres = postgres.create_database("schemathesis")?;
    let mut findings = Vec::new();
    for (name, database_url) in [
        ("schemathesis on SQLite", None),
        ("schemathesis on PostgreSQL", Some(on_postgres.as_str())),
    ] {
        eprintln!("xtask: ==> {name}");
        let run = schemathesis::run(&python_tools.schemathesis(), &binary, database_url, depth);
        if let Err(err) = run {
            eprintln!("xtask: {name} failed: {err:#}");
            findings.push(name);
        }
    }
    Ok(findings)
}

/// Fails in one line naming the system packages `task` needs that are missing, then installs
/// the pinned Python tools if they are not yet.
fn prepare_tools(task: tools::Task) -> anyhow::Result<tools::PythonTools> {
    tools::check_system_programs(task)?;
    let python_tools = tools::PythonTools::in_cache()?;
    python_tools.ensure_installed()?;
    Ok(python_tools)
}

/// Names the directory the release artifacts are in, for their tests
/// (`crates/cli/tests/it/artifacts.rs`).
const RELEASE_ARTIFACTS_ENV: &str = "DONATION_PLATFORM_RELEASE_ARTIFACTS";

/// The last step: the release as shipped, built twice by `cargo xtask release` (the second
/// build is only the packing, cargo having nothing to redo) to prove the OCI archive
/// reproducible, then the tests of what an operator gets (tarball, image, Dockerfile).
fn release_artifacts(python_tools: &tools::PythonTools, tally: &mut Tally) -> anyhow::Result<()> {
    let out = target_dir()?.join("rel");
    let mut digests = Vec::new();
    for name in [
        "cargo xtask release",
        "cargo xtask release (again, same commit)",
    ] {
        step(name, cargo(&["xtask", "release"]))?;
        digests.push(oci::release_image_digest(&out)?);
    }
    if digests[0] != digests[1] {
        bail!(
            "the OCI archive is not reproducible: two releases of one commit wrote {} then {}",
            digests[0],
            digests[1]
        );
    }
    eprintln!("xtask: the OCI archive is reproducible ({})", digests[0]);
    let mut tests = cargo(&[
        "test",
        "--package",
        "donation_platform",
        "--test",
        "it",
        "artifacts::",
    ]);
    // hadolint comes from the virtualenv.
    tests
        .env(RELEASE_ARTIFACTS_ENV, &out)
        .env("PATH", python_tools.path_env()?);
    tally.run("release artifacts", tests)
}

/// The suite's throwaway PostgreSQL: TLS (the application connects with `verify-full`), and
/// enough connections for the parallel tests, each with its own database and pool.
fn start_postgres() -> anyhow::Result<throwaway_postgres::Server> {
    let server = throwaway_postgres::Server::start(throwaway_postgres::Options {
        tls: true,
        max_connections: Some(300),
    })
    .context("cannot start the throwaway PostgreSQL")?;
    eprintln!(
        "xtask: PostgreSQL (TLS) on 127.0.0.1:{}, data in {}",
        server.port(),
        server.dir().display()
    );
    Ok(server)
}

/// Names the 0.2.0 build for the upgrade tests.
const NEXT_RELEASE_ENV: &str = "DONATION_PLATFORM_NEXT_BINARY";

/// The server built again as version 0.2.0, as an operator rehearsing an upgrade would, for
/// the upgrade tests. Built in the shared target directory with the suite's feature set
/// (`--workspace`), so only the `cli` crate recompiles, and copied aside before the suite's own
/// build puts the real version back.
fn build_next_release() -> anyhow::Result<std::path::PathBuf> {
    let mut build = cargo(&["build", "--workspace", "--bin", "donation_platform"]);
    build.env("DONATION_PLATFORM_VERSION", "0.2.0");
    step("cargo build (release 0.2.0, for the upgrade tests)", build)?;
    let target = target_dir()?;
    let dir = target.join("upgrade-rehearsal");
    std::fs::create_dir_all(&dir)?;
    let binary = dir.join("donation_platform");
    std::fs::copy(target.join("debug").join("donation_platform"), &binary)
        .context("cannot keep the 0.2.0 build")?;
    Ok(binary)
}

/// Builds the server binary (debug, like the tests) and returns its path.
fn build_server() -> anyhow::Result<std::path::PathBuf> {
    step(
        "cargo build (the server, for schemathesis)",
        cargo(&[
            "build",
            "--package",
            "donation_platform",
            "--bin",
            "donation_platform",
        ]),
    )?;
    Ok(target_dir()?.join("debug").join("donation_platform"))
}

/// Cargo's target directory, wherever the environment or a config file puts it.
fn target_dir() -> anyhow::Result<std::path::PathBuf> {
    let output = cargo(&["metadata", "--format-version", "1", "--no-deps"])
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot run cargo metadata")?;
    if !output.status.success() {
        bail!("cargo metadata failed ({})", output.status);
    }
    let metadata = String::from_utf8(output.stdout)?;
    // A JSON string; read without a JSON parser (xtask has none), fine for paths without `"`
    // or `\`.
    let key = "\"target_directory\":\"";
    let start = metadata
        .find(key)
        .context("cargo metadata has no target_directory")?
        + key.len();
    let end = start
        + metadata[start..]
            .find('"')
            .context("cargo metadata: unterminated target_directory")?;
    Ok(std::path::PathBuf::from(&metadata[start..end]))
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
    /// Counts a step that is one test of its own.
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
