//! `restart`, `upgrade <version>`, `rollback`, `releases`: replacing the running instance with
//! zero downtime (the hand-off itself is in `instance::handoff`), and the installed releases.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use sha2::{Digest as _, Sha256};

use super::control::{connect, runtime_files};
use crate::exit::{self, Exit};
use crate::instance::handoff::{Program, ReplaceRequest, Replaced};

use crate::app::EXIT_WAIT;

/// Replacement options common to the three commands.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// How long the new process may take to become ready.
    pub ready_timeout: Duration,
}

/// `restart`: a fresh process of the current release (configuration re-read), zero downtime.
pub fn restart(env_file: Option<&Path>, options: Options) -> anyhow::Result<ExitCode> {
    if let Some(root) = ops::layout::release_root() {
        let current = current_version(&root)?;
        return replace_with(env_file, &root, &current, options, "restarted");
    }
    let request = ReplaceRequest {
        release: None,
        ready_timeout_s: Some(options.ready_timeout.as_secs()),
    };
    let replaced = send_replace(env_file, &request)?;
    report("restarted", &replaced);
    Ok(ExitCode::SUCCESS)
}

/// `upgrade <version>`: installs `releases/<version>/` from its tarball if needed, then
/// replaces the running instance with it.
pub fn upgrade(
    env_file: Option<&Path>,
    version: &str,
    options: Options,
) -> anyhow::Result<ExitCode> {
    let root = release_root()?;
    check_version_name(version)?;
    install(&root, version)?;
    replace_with(env_file, &root, version, options, "upgraded")
}

/// `rollback`: back to the release that ran before the current one.
pub fn rollback(env_file: Option<&Path>, options: Options) -> anyhow::Result<ExitCode> {
    let root = release_root()?;
    let previous = read_version_file(&root.join("releases/PREVIOUS")).ok_or_else(|| {
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
    let current = read_version_file(&root.join("releases/CURRENT"));
    let previous = read_version_file(&root.join("releases/PREVIOUS"));
    let mut versions: Vec<String> = std::fs::read_dir(root.join("releases"))?
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("donation_platform").is_file())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    versions.sort();
    for version in versions {
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
    root: &Path,
    version: &str,
    options: Options,
    verb: &str,
) -> anyhow::Result<ExitCode> {
    let dir = root.join("releases").join(version);
    let request = ReplaceRequest {
        release: Some(Program {
            program: dir.join("donation_platform").display().to_string(),
            args: vec![
                "--env-file".to_owned(),
                dir.join("env").display().to_string(),
                "start".to_owned(),
            ],
            version: version.to_owned(),
        }),
        ready_timeout_s: Some(options.ready_timeout.as_secs()),
    };
    let replaced = send_replace(env_file, &request)?;
    if replaced.old_version != version {
        write_version_file(&root.join("releases/PREVIOUS"), &replaced.old_version)?;
    }
    write_version_file(&root.join("releases/CURRENT"), version)?;
    report(verb, &replaced);
    Ok(ExitCode::SUCCESS)
}

fn send_replace(env_file: Option<&Path>, request: &ReplaceRequest) -> anyhow::Result<Replaced> {
    let files = runtime_files(env_file)?;
    let mut client = connect(&files)?;
    let output = super::control::call(
        &mut client,
        &format!("replace {}", serde_json::to_string(request)?),
    )?;
    serde_json::from_str(&output).with_context(|| format!("the instance answered {output:?}"))
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

fn release_root() -> anyhow::Result<PathBuf> {
    ops::layout::release_root().ok_or_else(|| {
        Exit::new(
            exit::USAGE,
            "this binary is not in a release root (<root>/releases/<version>/): build one with `cargo xtask release` and run its bin/donation_platform",
        )
        .into()
    })
}

fn current_version(root: &Path) -> anyhow::Result<String> {
    read_version_file(&root.join("releases/CURRENT")).ok_or_else(|| {
        anyhow::anyhow!(
            "{} is missing or empty: write the running version into it",
            root.join("releases/CURRENT").display()
        )
    })
}

fn read_version_file(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let version = text.trim();
    (!version.is_empty()).then(|| version.to_owned())
}

/// Writes `version` into `path` in one step, so the entry point never reads half a name.
fn write_version_file(path: &Path, version: &str) -> anyhow::Result<()> {
    ops::layout::write_atomically(path, &format!("{version}\n"))
        .with_context(|| format!("cannot record the version in {}", path.display()))
}

/// A version names a directory: plain characters only, never a path.
fn check_version_name(version: &str) -> anyhow::Result<()> {
    let plain = !version.is_empty()
        && version != "."
        && version != ".."
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_'));
    if plain {
        Ok(())
    } else {
        Err(Exit::new(
            exit::USAGE,
            format!("{version:?} is not a release version: use one like 0.2.0"),
        )
        .into())
    }
}

/// Makes sure `releases/<version>/` holds a binary: already unpacked, or unpacked here from
/// the tarball the operator copied into it (checked against its `.sha256` when present).
fn install(root: &Path, version: &str) -> anyhow::Result<()> {
    let dir = root.join("releases").join(version);
    if dir.join("donation_platform").is_file() {
        return Ok(());
    }
    let candidates = [
        dir.join(format!("donation_platform-{version}.tar.gz")),
        dir.join("donation_platform.tar.gz"),
    ];
    let Some(tarball) = candidates.iter().find(|path| path.is_file()) else {
        return Err(Exit::new(
            exit::USAGE,
            format!(
                "release {version} is not installed: copy donation_platform-{version}.tar.gz (and its .sha256) into {}/ and run `upgrade {version}` again",
                dir.display()
            ),
        )
        .into());
    };
    verify_checksum(tarball)?;
    unpack(tarball, root, version)?;
    println!("unpacked {} into {}", tarball.display(), dir.display());
    Ok(())
}

/// Compares the tarball with `<tarball>.sha256` (`sha256sum` format) if the operator copied
/// it along; says so if not.
fn verify_checksum(tarball: &Path) -> anyhow::Result<()> {
    let checksum_file = PathBuf::from(format!("{}.sha256", tarball.display()));
    let Ok(expected) = std::fs::read_to_string(&checksum_file) else {
        println!(
            "no {} next to the tarball: its integrity is not checked",
            checksum_file.display()
        );
        return Ok(());
    };
    let expected = expected
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut hasher = Sha256::new();
    let mut file = std::fs::File::open(tarball)?;
    std::io::copy(&mut file, &mut hasher)?;
    let actual = hasher
        .finalize()
        .iter()
        .fold(String::new(), |mut hex, byte| {
            use std::fmt::Write as _;
            write!(hex, "{byte:02x}").ok();
            hex
        });
    if actual != expected {
        return Err(Exit::new(
            exit::USAGE,
            format!(
                "{} does not match {} (sha256 {actual}, expected {expected}): the copy is damaged or not this release; copy both files again",
                tarball.display(),
                checksum_file.display()
            ),
        )
        .into());
    }
    println!("checksum ok: {}", tarball.display());
    Ok(())
}

/// Unpacks the release's own files (`releases/<version>/…`) from `tarball` into `root`: into
/// a staging directory first, moved into place only once complete, so an interrupted unpack
/// never leaves a half-written release that looks installed.
fn unpack(tarball: &Path, root: &Path, version: &str) -> anyhow::Result<()> {
    let prefix = PathBuf::from("releases").join(version);
    let staging = root
        .join("tmp")
        .join(format!("unpack-{}", std::process::id()));
    std::fs::create_dir_all(&staging)?;
    let unpacked = unpack_release(tarball, &staging, &prefix);
    let moved = unpacked.and_then(|()| {
        let target = root.join(&prefix);
        std::fs::create_dir_all(&target)?;
        // The binary last: its presence is what marks the release installed.
        for name in ["env", "donation_platform"] {
            let source = staging.join(&prefix).join(name);
            if source.exists() {
                std::fs::rename(&source, target.join(name))?;
            }
        }
        Ok(())
    });
    std::fs::remove_dir_all(&staging).ok();
    moved
}

fn unpack_release(tarball: &Path, staging: &Path, prefix: &Path) -> anyhow::Result<()> {
    let file = std::fs::File::open(tarball)?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    archive.set_preserve_permissions(true);
    let mut found = false;
    for entry in archive.entries().context("the tarball cannot be read")? {
        let mut entry = entry.context("the tarball is damaged")?;
        let path = entry.path()?.into_owned();
        let path = path.strip_prefix(".").unwrap_or(&path).to_owned();
        if path.starts_with(prefix) && path != prefix {
            // `unpack_in` refuses paths that would leave `staging`.
            entry.unpack_in(staging)?;
            found |= path == prefix.join("donation_platform");
        }
    }
    if !found {
        return Err(Exit::new(
            exit::USAGE,
            format!(
                "{} holds no {}/donation_platform: it is not that release",
                tarball.display(),
                prefix.display()
            ),
        )
        .into());
    }
    Ok(())
}
