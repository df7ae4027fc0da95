//! What the suite runs besides Rust, and who installs it.
//!
//! The Python tools (schemathesis, openapi-spec-validator) come from `PyPI` at pinned versions, so
//! every run sends the same requests: this task installs them itself, into a virtualenv of their
//! own under `${XDG_CACHE_HOME:-~/.cache}/donation_platform/` (no system Python package touched:
//! PEP 668), and runs them from there. System programs (the PostgreSQL server, openssl, poppler,
//! zbar, …) need root and the distribution's package manager: this task only names what is
//! missing, in one line with the command that installs it. `.ci/run` is that command on CI's
//! Debian, and installs the same packages.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context as _, bail};

/// The schemathesis the fuzzing step runs; its options there are schemathesis 4's.
pub const SCHEMATHESIS_VERSION: &str = "4.32.5";

/// The `openapi-spec-validator` the suite runs on the served OpenAPI document
/// (`crates/cli/tests/it/openapi.rs`, required under CI).
pub const VALIDATOR_VERSION: &str = "0.9.0";

/// A program the suite runs, and the Debian package that ships it.
struct Program {
    name: &'static str,
    package: &'static str,
}

const fn program(name: &'static str, package: &'static str) -> Program {
    Program { name, package }
}

/// The PostgreSQL server programs are not on `PATH` on Debian (`/usr/lib/postgresql/*/bin`):
/// `throwaway_postgres` knows where to look, and this name stands for them.
const POSTGRES_SERVER: Program = program("initdb", "postgresql");

/// What the fuzzing step needs: the throwaway PostgreSQL (with TLS, hence openssl) and Python
/// for the virtualenv.
const FUZZING_PROGRAMS: &[Program] = &[
    POSTGRES_SERVER,
    program("openssl", "openssl"),
    program("python3", "python3"),
];

/// What the rest of the suite runs (`.ci/run` installs the same packages).
const SUITE_PROGRAMS: &[Program] = &[
    // The PostgreSQL runs as the `postgres` user when we are root.
    program("runuser", "util-linux"),
    // The release tests: `remote` on a pseudo-terminal via script(1), another uid via setpriv(1).
    program("script", "bsdutils"),
    program("setpriv", "util-linux"),
    // The fault tests mount a small tmpfs to fill.
    program("mount", "mount"),
    program("umount", "mount"),
    // The real-binary tests signal servers with kill(1), not the shell builtin.
    program("kill", "procps"),
    // The release tests pack tarballs (and check them with sha256sum: coreutils is essential).
    program("tar", "tar"),
    program("gzip", "gzip"),
    // The receipt tests read PDFs and decode their QR codes.
    program("pdftotext", "poppler-utils"),
    program("pdftoppm", "poppler-utils"),
    program("zbarimg", "zbar-tools"),
    // The systemd unit tests score and verify the printed unit.
    program("systemd-analyze", "systemd"),
];

/// Which task is asking, and so which programs it needs.
#[derive(Clone, Copy, Debug)]
pub enum Task {
    /// `cargo xtask test`: everything.
    Suite,
    /// `cargo xtask schemathesis`: the fuzzing step alone.
    Fuzzing,
}

/// Fails with one line naming what is missing and the command that installs it: the system
/// programs `task` needs, and what the virtualenv needs (Python's `venv` module) when the Python
/// tools are not installed yet.
pub fn check_system_programs(task: Task) -> anyhow::Result<()> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut missing = missing_programs(task, &path);
    if !PythonTools::in_cache()?.installed() && !python_can_make_virtualenvs() {
        missing.push(("python3 -m venv", "python3-venv"));
    }
    match install_hint(&missing) {
        Some(hint) => bail!("{hint}"),
        None => Ok(()),
    }
}

/// The programs `task` needs that are not on `path`, each with its package.
fn missing_programs(task: Task, path: &OsStr) -> Vec<(&'static str, &'static str)> {
    let programs = match task {
        Task::Fuzzing => FUZZING_PROGRAMS.iter().collect::<Vec<_>>(),
        Task::Suite => FUZZING_PROGRAMS.iter().chain(SUITE_PROGRAMS).collect(),
    };
    programs
        .into_iter()
        .filter(|program| !is_installed(program, path))
        .map(|program| (program.name, program.package))
        .collect()
}

fn is_installed(program: &Program, path: &OsStr) -> bool {
    if program.name == POSTGRES_SERVER.name {
        return throwaway_postgres::bin_dir().is_ok();
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    which::which_in(program.name, Some(path), cwd).is_ok()
}

/// `the suite needs programs that are not installed: zbarimg (zbar-tools); install them: …`,
/// or nothing when nothing is missing.
fn install_hint(missing: &[(&str, &str)]) -> Option<String> {
    if missing.is_empty() {
        return None;
    }
    let programs: Vec<String> = missing
        .iter()
        .map(|(program, package)| format!("{program} ({package})"))
        .collect();
    let mut packages: Vec<&str> = missing.iter().map(|(_, package)| *package).collect();
    packages.sort_unstable();
    packages.dedup();
    Some(format!(
        "the suite needs programs that are not installed: {}; install them: apt-get install {}",
        programs.join(", "),
        packages.join(" ")
    ))
}

/// Debian splits `venv` (and the `ensurepip` it needs) out of python3 into python3-venv.
fn python_can_make_virtualenvs() -> bool {
    Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .output()
        .is_ok_and(|output| output.status.success())
}

/// The pinned Python tools in their virtualenv.
pub struct PythonTools {
    venv: PathBuf,
}

impl PythonTools {
    /// The virtualenv under the user's cache directory, named by the schemathesis version, so
    /// a new pin gets a fresh one.
    pub fn in_cache() -> anyhow::Result<PythonTools> {
        let cache = match std::env::var_os("XDG_CACHE_HOME") {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?).join(".cache"),
        };
        Ok(PythonTools {
            venv: cache
                .join("donation_platform")
                .join(format!("schemathesis-{SCHEMATHESIS_VERSION}")),
        })
    }

    /// Installs the pinned versions unless the virtualenv already has them; a broken or
    /// outdated virtualenv is made anew.
    pub fn ensure_installed(&self) -> anyhow::Result<()> {
        if self.installed() {
            return Ok(());
        }
        eprintln!(
            "xtask: installing schemathesis {SCHEMATHESIS_VERSION} and openapi-spec-validator \
             {VALIDATOR_VERSION} into {}",
            self.venv.display()
        );
        if self.venv.exists() {
            std::fs::remove_dir_all(&self.venv)
                .with_context(|| format!("cannot remove {}", self.venv.display()))?;
        }
        let mut venv = Command::new("python3");
        venv.args(["-m", "venv"]).arg(&self.venv);
        crate::step("python3 -m venv", venv)?;
        let mut pip = Command::new(self.bin_dir().join("python"));
        pip.args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            &format!("schemathesis=={SCHEMATHESIS_VERSION}"),
            &format!("openapi-spec-validator=={VALIDATOR_VERSION}"),
        ]);
        crate::step("pip install", pip)?;
        if !self.installed() {
            bail!(
                "{} does not report the pinned versions after installing them",
                self.venv.display()
            );
        }
        Ok(())
    }

    /// Both tools answer with exactly the pinned versions.
    fn installed(&self) -> bool {
        let reports = |program: &str, expected: &str| {
            Command::new(self.bin_dir().join(program))
                .arg("--version")
                .output()
                .is_ok_and(|output| {
                    output.status.success()
                        && String::from_utf8_lossy(&output.stdout).trim() == expected
                })
        };
        reports(
            "schemathesis",
            &format!("schemathesis, version {SCHEMATHESIS_VERSION}"),
        ) && reports(
            "openapi-spec-validator",
            &format!("openapi-spec-validator {VALIDATOR_VERSION}"),
        )
    }

    fn bin_dir(&self) -> PathBuf {
        self.venv.join("bin")
    }

    /// The schemathesis program.
    pub fn schemathesis(&self) -> PathBuf {
        self.bin_dir().join("schemathesis")
    }

    /// `PATH` with the virtualenv first, for the tests that run `openapi-spec-validator`.
    pub fn path_env(&self) -> anyhow::Result<OsString> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let dirs = std::iter::once(self.bin_dir()).chain(std::env::split_paths(&path));
        std::env::join_paths(dirs).context("PATH cannot hold the virtualenv's directory")
    }

    #[cfg(test)]
    fn at(venv: &std::path::Path) -> PythonTools {
        PythonTools {
            venv: venv.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn missing_programs_are_named_in_one_line_with_the_apt_command() {
        let empty = tempfile::tempdir().unwrap();
        let missing = missing_programs(Task::Suite, empty.path().as_os_str());
        let names: Vec<&str> = missing.iter().map(|(name, _)| *name).collect();
        assert!(
            names.contains(&"zbarimg") && names.contains(&"openssl"),
            "{names:?}"
        );
        let hint = install_hint(&missing).unwrap();
        assert!(!hint.contains('\n'), "{hint}");
        assert!(hint.contains("zbarimg (zbar-tools)"), "{hint}");
        // Each package once, though util-linux ships two of the programs.
        let command = hint.split("install them: ").nth(1).unwrap();
        assert_eq!(command.matches("util-linux").count(), 1, "{hint}");
        assert!(command.starts_with("apt-get install "), "{hint}");
    }

    #[test]
    fn nothing_is_named_when_every_program_is_on_path() {
        let dir = tempfile::tempdir().unwrap();
        for program in FUZZING_PROGRAMS.iter().chain(SUITE_PROGRAMS) {
            let path = dir.path().join(program.name);
            std::fs::write(&path, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let missing = missing_programs(Task::Suite, dir.path().as_os_str());
        // Only the PostgreSQL server is looked for outside PATH.
        assert!(
            missing
                .iter()
                .all(|(name, _)| *name == POSTGRES_SERVER.name),
            "{missing:?}"
        );
        assert_eq!(install_hint(&[]), None);
    }

    #[test]
    fn a_virtualenv_with_other_versions_is_not_taken_as_installed() {
        let dir = tempfile::tempdir().unwrap();
        let tools = PythonTools::at(dir.path());
        std::fs::create_dir(tools.bin_dir()).unwrap();
        let fake = |program: &str, says: &str| {
            let path = tools.bin_dir().join(program);
            std::fs::write(&path, format!("#!/bin/sh\necho '{says}'\n")).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        fake(
            "openapi-spec-validator",
            &format!("openapi-spec-validator {VALIDATOR_VERSION}"),
        );
        fake("schemathesis", "schemathesis, version 4.0.0");
        assert!(!tools.installed());
        fake(
            "schemathesis",
            &format!("schemathesis, version {SCHEMATHESIS_VERSION}"),
        );
        assert!(tools.installed());
    }

    #[test]
    fn ci_installs_every_package_named_here() {
        let ci =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../.ci/run")).unwrap();
        for program in FUZZING_PROGRAMS.iter().chain(SUITE_PROGRAMS) {
            assert!(
                ci.contains(&format!("missing+=({}", program.package)),
                "`.ci/run` does not install {} (for {})",
                program.package,
                program.name
            );
        }
        assert!(
            ci.contains("missing+=(python3-venv"),
            "`.ci/run` does not install python3-venv"
        );
    }
}
