//! `cargo xtask release`: the optimized binary in a release layout several versions can share
//! (`ops::layout` reads it at run time), and the tarball an operator ships.
//!
//! ```text
//! target/rel/donation_platform/
//!   bin/donation_platform              entry point: runs releases/<CURRENT>/ with its env file
//!   releases/CURRENT                   the current version
//!   releases/<version>/donation_platform
//!   releases/<version>/env             APP_ENV=prod (the process environment wins)
//!   tmp/                               pid file, control socket
//!   var/                               data
//! target/rel/donation_platform-<version>.tar.gz        unpacks into a release root
//! target/rel/donation_platform-<version>.tar.gz.sha256
//! target/rel/donation_platform-<version>.tar.gz.minisig  with RELEASE_SIGNING_KEY
//! target/rel/donation_platform-<version>-oci.tar       the OCI image (see `oci.rs`)
//! ```
//!
//! `RELEASE_SIGNING_KEY=~/.minisign/donation_platform.key cargo xtask release` also signs the
//! tarball with that minisign secret key (`minisign -G` makes one); its password comes from
//! `RELEASE_SIGNING_KEY_PASSWORD`, or is asked for. An instance whose `RELEASE_PUBLIC_KEY` is
//! the matching public key installs only tarballs signed so.
//!
//! `DONATION_PLATFORM_VERSION=0.2.0 cargo xtask release` builds a second version from the same
//! source, to rehearse an upgrade.
//!
//! The binary is built with the `dist` profile (fat LTO, one codegen unit: see Cargo.toml) and,
//! when rustup has the musl target installed (`rustup target add x86_64-unknown-linux-musl`),
//! for musl: a static executable that runs on any Linux of its architecture, whatever its libc.
//! Without it, the glibc build, which needs a glibc at least as new as the build machine's.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};
use sha2::{Digest as _, Sha256};

use crate::{cargo, step};

/// Builds the release binary, lays it out under `target/rel/` and packs the tarball.
pub fn release() -> anyhow::Result<()> {
    let binary = build_binary()?;
    let target = crate::target_dir()?;
    let version = version_of(&binary)?;
    let out = target.join("rel");
    let root = out.join("donation_platform");
    assemble(&binary, &version, &root)?;
    let tarball = pack(&root, &version, &out)?;
    let image = crate::oci::write_release_image(&binary, &version, &out)?;
    let signed = match std::env::var_os(SIGNING_KEY_ENV) {
        Some(key_file) => {
            let secret_key = signing_key(Path::new(&key_file))?;
            sign(&tarball, &secret_key)?;
            " + .minisig"
        }
        None => "",
    };
    eprintln!(
        "xtask: release {version}: {} and {} (+ .sha256{signed}), image {} ({})",
        root.display(),
        tarball.display(),
        image.path.display(),
        image.manifest_digest
    );
    Ok(())
}

/// The profile of shipped binaries (Cargo.toml says why it is not `release`).
const PROFILE: &str = "dist";

/// Builds the binary to ship and returns its path: `target/<musl triple>/dist/` when the musl
/// target is installed, else `target/dist/`.
fn build_binary() -> anyhow::Result<PathBuf> {
    let static_target = installed_static_target();
    let mut build = cargo(&[
        "build",
        "--profile",
        PROFILE,
        "--package",
        "donation_platform",
    ]);
    let mut name = format!("cargo build --profile {PROFILE}");
    if let Some(triple) = &static_target {
        build.args(["--target", triple]);
        let _ = write!(name, " --target {triple} (static)");
    } else {
        eprintln!(
            "xtask: note: building for glibc: a static build needs the musl target and a C \
             compiler for it (`rustup target add {}`, `apt-get install musl-tools`)",
            static_target_triple()
        );
    }
    step(&name, build)?;
    let target = crate::target_dir()?;
    let out = static_target.map_or_else(|| target.clone(), |triple| target.join(triple));
    Ok(out.join(PROFILE).join("donation_platform"))
}

/// musl for this machine's architecture: its C library links statically.
fn static_target_triple() -> String {
    format!("{}-unknown-linux-musl", std::env::consts::ARCH)
}

/// The musl triple if rustup lists it as installed and its C compiler is on `PATH` (sqlite,
/// ring and mimalloc have C; the `cc` crate looks for `<arch>-linux-musl-gcc`, which Debian's
/// musl-tools ships); `None` without rustup too (a distribution's Rust has no musl standard
/// library).
fn installed_static_target() -> Option<String> {
    let triple = static_target_triple();
    which::which(format!("{}-linux-musl-gcc", std::env::consts::ARCH)).ok()?;
    let output = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .ok()?;
    let installed = String::from_utf8_lossy(&output.stdout);
    installed
        .lines()
        .any(|line| line.trim() == triple)
        .then_some(triple)
}

/// `cargo xtask pack --binary PATH --out DIR [--version V] [--env NAME=VALUE]...`: an
/// already built binary laid out and packed exactly as `release` does, without its optimized
/// build. What the rolling deploy rehearsal ships (debug builds), and a way to package a binary
/// built elsewhere.
pub fn pack_command(args: &[String]) -> anyhow::Result<()> {
    let mut binary = None;
    let mut out = None;
    let mut version = None;
    let mut env = Vec::new();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let Some(value) = args.next() else {
            bail!("{flag} needs a value");
        };
        match flag.as_str() {
            "--binary" => binary = Some(PathBuf::from(value)),
            "--out" => out = Some(PathBuf::from(value)),
            "--version" => version = Some(value.clone()),
            "--env" => env.push(value.clone()),
            _ => bail!("unknown option {flag:?}"),
        }
    }
    let (Some(binary), Some(out)) = (binary, out) else {
        bail!("cargo xtask pack needs --binary PATH and --out DIR");
    };
    let tarball = pack_binary(&binary, version.as_deref(), &env, &out)?;
    eprintln!("xtask: packed {} (+ .sha256)", tarball.display());
    Ok(())
}

/// Packs `binary` as release `version` (by default the version it reports) into `out`: laid
/// out in a scratch root beside the tarball, which is removed afterwards. `env` lines
/// (`NAME=VALUE`) are appended to the release's env file: a rehearsal packs a release whose
/// configuration is refused at start this way.
pub fn pack_binary(
    binary: &Path,
    version: Option<&str>,
    env: &[String],
    out: &Path,
) -> anyhow::Result<PathBuf> {
    let version = match version {
        Some(version) => version.to_owned(),
        None => version_of(binary)?,
    };
    if let Some(line) = env.iter().find(|line| !line.contains('=')) {
        bail!("--env {line:?} is not NAME=VALUE");
    }
    fs::create_dir_all(out)?;
    let root = out.join(format!(".pack-{version}"));
    if root.exists() {
        fs::remove_dir_all(&root)?;
    }
    assemble(binary, &version, &root)?;
    if !env.is_empty() {
        let env_file = root
            .join("releases")
            .join(&version)
            .join(ops::layout::ENV_FILE_NAME);
        let mut file = fs::OpenOptions::new().append(true).open(env_file)?;
        for line in env {
            writeln!(file, "{line}")?;
        }
    }
    let tarball = pack(&root, &version, out)?;
    fs::remove_dir_all(&root)?;
    Ok(tarball)
}

/// Names the minisign secret key file to sign the tarball with.
const SIGNING_KEY_ENV: &str = "RELEASE_SIGNING_KEY";

/// The password of that key, if it has one (else it is asked for on the terminal).
const SIGNING_KEY_PASSWORD_ENV: &str = "RELEASE_SIGNING_KEY_PASSWORD";

/// The minisign secret key in `path`, decrypted.
fn signing_key(path: &Path) -> anyhow::Result<minisign::SecretKey> {
    let text = fs::read_to_string(path)
        .with_context(|| format!("cannot read {SIGNING_KEY_ENV}={}", path.display()))?;
    let boxed = || minisign::SecretKeyBox::from_string(&text);
    let key = match std::env::var(SIGNING_KEY_PASSWORD_ENV) {
        Ok(password) => minisign::SecretKey::from_box(boxed()?, Some(password)),
        Err(_) => minisign::SecretKey::from_unencrypted_box(boxed()?)
            .or_else(|_| minisign::SecretKey::from_box(boxed()?, None)),
    };
    key.with_context(|| format!("{} is not a usable minisign secret key", path.display()))
}

/// Writes `<tarball>.minisig`, as `minisign -S -m <tarball>` would.
pub fn sign(tarball: &Path, secret_key: &minisign::SecretKey) -> anyhow::Result<PathBuf> {
    let name = tarball
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let trusted_comment = format!("file:{name}");
    let signature = minisign::sign(
        None,
        secret_key,
        fs::File::open(tarball)?,
        Some(&trusted_comment),
        None,
    )?;
    let path = PathBuf::from(format!("{}.minisig", tarball.display()));
    fs::write(&path, signature.to_string())?;
    Ok(path)
}

/// The version a binary reports (`donation_platform <version>`).
pub fn version_of(binary: &Path) -> anyhow::Result<String> {
    let output = Command::new(binary)
        .arg("version")
        .output()
        .with_context(|| format!("cannot run {}", binary.display()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    match text.trim().strip_prefix("donation_platform ") {
        Some(version) if output.status.success() && !version.is_empty() => Ok(version.to_owned()),
        _ => bail!("{} version printed {text:?}", binary.display()),
    }
}

/// Lays `binary` out as `version` under `root`, making it the current version. Other versions
/// already there stay (for rollback).
pub fn assemble(binary: &Path, version: &str, root: &Path) -> anyhow::Result<()> {
    ops::layout::install(binary, version, root)
        .with_context(|| format!("cannot lay out release {version} in {}", root.display()))
}

/// Packs `version` of `root` as `donation_platform-<version>.tar.gz` in `out`, with its
/// `.sha256`; entries are sorted with fixed owners and times, so the same build packs the same
/// bytes.
pub fn pack(root: &Path, version: &str, out: &Path) -> anyhow::Result<PathBuf> {
    let name = format!("donation_platform-{version}.tar.gz");
    let tarball = out.join(&name);
    let mut tar = Command::new("tar");
    // `gzip -n`: no name or time in the gzip header either.
    tar.args([
        "--sort=name",
        "--owner=0",
        "--group=0",
        "--numeric-owner",
        "--mtime=@0",
    ])
    .arg("--use-compress-program=gzip -n")
    .arg("-cf")
    .arg(&tarball)
    .arg("-C")
    .arg(root)
    .args(["bin", "releases/CURRENT", "tmp", "var"])
    .arg(format!("releases/{version}"));
    step("tar", tar)?;
    let digest = Sha256::digest(fs::read(&tarball)?);
    let hex = digest
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        });
    let mut sums = fs::File::create(out.join(format!("{name}.sha256")))?;
    // The format `sha256sum -c` reads.
    writeln!(sums, "{hex}  {name}")?;
    Ok(tarball)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    /// `program version`'s output. The program was written moments ago by this process, whose
    /// other test threads spawn processes: a child forked while the file was still open for
    /// writing holds that descriptor until it execs, and running the file meanwhile fails
    /// with `ETXTBSY` (as in CI once). Tried again briefly, as Go's `os/exec` does.
    fn version_of(program: &Path) -> std::process::Output {
        for _ in 0..50 {
            match Command::new(program).arg("version").output() {
                Err(err) if err.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                output => return output.unwrap(),
            }
        }
        panic!("{} stayed busy for a second", program.display());
    }

    /// A stand-in binary that answers `version` like the real one.
    fn fake_binary(dir: &Path, version: &str) -> PathBuf {
        let path = dir.join(format!("fake-{version}"));
        fs::write(
            &path,
            format!("#!/bin/sh\necho \"donation_platform {version} $*\"\n"),
        )
        .unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[test]
    fn the_entry_point_runs_the_current_version_with_its_env_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        assemble(&fake_binary(dir.path(), "0.1.0"), "0.1.0", &root).unwrap();
        assemble(&fake_binary(dir.path(), "0.2.0"), "0.2.0", &root).unwrap();
        let output = version_of(&root.join("bin/donation_platform"));
        let said = String::from_utf8_lossy(&output.stdout);
        assert!(
            said.starts_with("donation_platform 0.2.0 --env-file"),
            "{said}"
        );
        assert!(said.contains("/releases/0.2.0/env version"), "{said}");
        assert!(
            root.join("releases/0.1.0/donation_platform").exists(),
            "older versions stay"
        );
        let env = fs::read_to_string(root.join("releases/0.2.0/env")).unwrap();
        assert!(env.lines().any(|line| line == "APP_ENV=prod"));
        let mode = fs::metadata(root.join("tmp")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn the_tarball_unpacks_into_a_release_root_and_its_checksum_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        assemble(&fake_binary(dir.path(), "0.3.0"), "0.3.0", &root).unwrap();
        let tarball = pack(&root, "0.3.0", dir.path()).unwrap();
        let check = Command::new("sha256sum")
            .args(["-c", "donation_platform-0.3.0.tar.gz.sha256"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stdout)
        );
        let unpacked = dir.path().join("unpacked");
        fs::create_dir(&unpacked).unwrap();
        let tar = Command::new("tar")
            .arg("-xzf")
            .arg(&tarball)
            .arg("-C")
            .arg(&unpacked)
            .status()
            .unwrap();
        assert!(tar.success());
        let output = Command::new(unpacked.join("bin/donation_platform"))
            .arg("version")
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&output.stdout).starts_with("donation_platform 0.3.0"));
        assert!(unpacked.join("var").is_dir() && unpacked.join("tmp").is_dir());
        // Packing twice gives the same bytes.
        let first = fs::read(&tarball).unwrap();
        pack(&root, "0.3.0", dir.path()).unwrap();
        assert_eq!(fs::read(&tarball).unwrap(), first);
    }

    #[test]
    fn a_packed_release_installs_through_the_checks_upgrade_makes_and_its_signature_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let built = dir.path().join("built");
        assemble(&fake_binary(dir.path(), "0.3.0"), "0.3.0", &built).unwrap();
        let tarball = pack(&built, "0.3.0", dir.path()).unwrap();
        let pair = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
        sign(&tarball, &pair.sk).unwrap();

        // A running root that has only 0.1.0, with the three files copied into releases/0.3.0/.
        let running = ops::release::ReleaseRoot::new(dir.path().join("running"));
        assemble(&fake_binary(dir.path(), "0.1.0"), "0.1.0", running.path()).unwrap();
        let version = ops::release::Version::parse("0.3.0").unwrap();
        let target = running.release_dir(&version);
        fs::create_dir_all(&target).unwrap();
        for extension in ["", ".sha256", ".minisig"] {
            let name = format!("donation_platform-0.3.0.tar.gz{extension}");
            fs::copy(dir.path().join(&name), target.join(&name)).unwrap();
        }
        let key = ops::tarball::ReleaseKey::parse(&pair.pk.to_base64()).unwrap();
        let installed = ops::tarball::install(&running, &version, Some(&key)).unwrap();
        assert!(installed.signed);
        let program = running.successor(&version).unwrap();
        let output = version_of(&program.program);
        assert!(String::from_utf8_lossy(&output.stdout).starts_with("donation_platform 0.3.0"));
    }
}
