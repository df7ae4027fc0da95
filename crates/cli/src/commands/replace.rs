//! `restart`, `upgrade <version>`, `rollback`, `releases`: replacing the running instance with
//! zero downtime, and the installed releases. The mechanics are `ops`'s (the release root,
//! the tarball checks, the hand-off messages); this module wires them to the command line.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use ops::control::Request;
use ops::handoff::{Message, ReplaceRequest, Replaced};
use ops::release::{ReleaseError, ReleaseRoot, Version};
use ops::tarball::InstallError;

use super::control::{connect, runtime_files};
use crate::config::{self, Environment};
use crate::exit::{self, Exit};

use crate::app::EXIT_WAIT;

/// Replacement options common to the three commands.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// How long the new process may take to become ready.
    pub ready_timeout: Duration,
}

/// `restart`: a fresh process of the current release (configuration re-read), zero downtime.
pub fn restart(env_file: Option<&Path>, options: Options) -> anyhow::Result<ExitCode> {
    if let Some(root) = ReleaseRoot::of_current_exe() {
        let current = root.current()?.ok_or_else(|| {
            anyhow::anyhow!(
                "{} is missing or empty: write the running version into it",
                root.releases_dir().join("CURRENT").display()
            )
        })?;
        return replace_with(env_file, &root, &current, options, "restarted");
    }
    let replaced = send_replace(env_file, None, options)?;
    report("restarted", &replaced);
    Ok(ExitCode::SUCCESS)
}

/// `upgrade <version>`: installs `releases/<version>/` from its tarball if needed (checksum
/// required, signature when `RELEASE_PUBLIC_KEY` is set), then replaces the running instance
/// with it.
pub fn upgrade(
    env_file: Option<&Path>,
    version: &str,
    options: Options,
) -> anyhow::Result<ExitCode> {
    let root = release_root()?;
    let version = Version::parse(version).map_err(|err| Exit::new(exit::USAGE, err.to_string()))?;
    if !root.is_installed(&version) {
        let environment =
            Environment::from_process(env_file).map_err(|report| super::config_failure(&report))?;
        let key =
            config::release_key(&environment).map_err(|report| super::config_failure(&report))?;
        let installed =
            ops::tarball::install(&root, &version, key.as_ref()).map_err(|err| refused(&err))?;
        if installed.signed {
            println!(
                "signature ok (RELEASE_PUBLIC_KEY): {}",
                installed.tarball.display()
            );
        }
        println!(
            "checksum ok (sha256 {}): {}",
            installed.sha256,
            installed.tarball.display()
        );
        println!(
            "unpacked {} into {}",
            installed.tarball.display(),
            root.release_dir(&version).display()
        );
    }
    replace_with(env_file, &root, &version, options, "upgraded")
}

/// `rollback`: back to the release that ran before the current one.
pub fn rollback(env_file: Option<&Path>, options: Options) -> anyhow::Result<ExitCode> {
    let root = release_root()?;
    let previous = root.previous()?.ok_or_else(|| {
        Exit::new(
            exit::USAGE,
            "no previous release is recorded (releases/PREVIOUS): roll forward with `upgrade <version>` instead",
        )
    })?;
    replace_with(env_file, &root, &previous, options, "rolled back")
}

/// `releases`: the installed releases, the current one marked `*`, the previous one `-`.
pub fn releases() -> anyhow::Result<ExitCode> {
    let root = release_root()?;
    let current = root.current()?;
    let previous = root.previous()?;
    for version in root.installed()? {
        let mark = if Some(&version) == current.as_ref() {
            "*"
        } else if Some(&version) == previous.as_ref() {
            "-"
        } else {
            " "
        };
        println!("{mark} {version}");
    }
    Ok(ExitCode::SUCCESS)
}

fn replace_with(
    env_file: Option<&Path>,
    root: &ReleaseRoot,
    version: &Version,
    options: Options,
    verb: &str,
) -> anyhow::Result<ExitCode> {
    // Checked here too, for a clear error before anything is asked of the instance (which
    // checks again: it starts nothing else).
    root.successor(version).map_err(|err| not_startable(&err))?;
    let replaced = send_replace(env_file, Some(version.clone()), options)?;
    root.record_switch(&replaced.old_version, version)?;
    report(verb, &replaced);
    Ok(ExitCode::SUCCESS)
}

fn send_replace(
    env_file: Option<&Path>,
    version: Option<Version>,
    options: Options,
) -> anyhow::Result<Replaced> {
    let files = runtime_files(env_file)?;
    let mut client = connect(&files)?;
    let request = Request::Handoff(Message::Replace(ReplaceRequest {
        version,
        ready_timeout_s: Some(options.ready_timeout.as_secs()),
    }));
    let reply = client.request(&request).map_err(|err| {
        Exit::new(
            exit::UNAVAILABLE,
            format!("the instance did not answer: {err}"),
        )
    })?;
    anyhow::ensure!(reply.ok, "{}", reply.output);
    serde_json::from_str(&reply.output)
        .with_context(|| format!("the instance answered {:?}", reply.output))
}

/// Prints the hand-over, then waits for the old instance to finish draining.
fn report(verb: &str, replaced: &Replaced) {
    println!(
        "{verb}: pid {} ({}) -> pid {} ({}); hand-off took {} ms",
        replaced.old_pid,
        replaced.old_version,
        replaced.new_pid,
        replaced.new_version,
        replaced.handoff_ms
    );
    let started = Instant::now();
    if ops::process::wait_gone(replaced.old_pid, EXIT_WAIT) {
        println!(
            "the old instance drained and exited after {} ms",
            started.elapsed().as_millis()
        );
    } else {
        println!(
            "the old instance (pid {}) is still draining after {} s; it exits once its last requests finish",
            replaced.old_pid,
            EXIT_WAIT.as_secs()
        );
    }
}

fn release_root() -> anyhow::Result<ReleaseRoot> {
    ReleaseRoot::of_current_exe().ok_or_else(|| {
        Exit::new(
            exit::USAGE,
            "this binary is not in a release root (<root>/releases/<version>/): build one with `cargo xtask release` and run its bin/donation_platform",
        )
        .into()
    })
}

/// A tarball that was not installed: 64 when there is none (a usage mistake), 65 (bad input
/// data) when it was refused.
fn refused(err: &InstallError) -> anyhow::Error {
    let code = match err {
        InstallError::NotFound { .. } => exit::USAGE,
        _ => exit::DATA,
    };
    Exit::new(code, err.to_string()).into()
}

/// A release that is not (or may not be) started: 64 when it is not installed, 65 when its
/// binary is refused.
fn not_startable(err: &ReleaseError) -> anyhow::Error {
    let code = match err {
        ReleaseError::NotInstalled { .. } => exit::USAGE,
        _ => exit::DATA,
    };
    Exit::new(code, err.to_string()).into()
}
