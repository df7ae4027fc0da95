//! The rolling deploy across hosts, rehearsed on this machine: `deploy/ansible/`'s playbooks
//! against three release roots behind HAProxy, with keep-alive load through HAProxy the whole
//! time (`bench/rolling.py` drives it and says what it checks).
//!
//! `cargo xtask test` runs it last, on debug builds with short phases (`--check`: any failed
//! request, or a rollout that did not stop at a bad release, fails the run); `cargo xtask
//! rolling [--write]` runs it with longer phases for `BENCHMARKS.md`. Both pack the tarballs
//! with `xtask pack` from the debug builds the suite already has (same layout and packing code
//! as `cargo xtask release`, without its minutes of optimized build).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::release;
use crate::tools::PythonTools;

/// The releases the rehearsal moves between: installed first, rolled out, and one that cannot
/// start on these hosts (its env file sets [`BAD_CONFIGURATION`]), which must stop the rollout
/// at the first host.
const FIRST: &str = "0.1.0";
const NEXT: &str = "0.2.0";
const BROKEN: &str = "0.3.0";

/// What keeps the broken release from getting ready: its env file asks for a metrics listener
/// on an address no host here has (192.0.2.1, TEST-NET-1 of RFC 5737: only a `bind`, which
/// fails at once; nothing is sent), so a new instance exits 69 before it is ready. A setting
/// that only serving trips over: the release's `migrate`, which runs first, still works, so
/// the rollout reaches the first host and fails there, as a release that migrates but cannot
/// serve would.
const BAD_CONFIGURATION: [&str; 2] = ["METRICS_ADDRESS=192.0.2.1", "METRICS_PORT=9100"];

/// How long each phase lasts, and whether the figures go into `BENCHMARKS.md`.
#[derive(Clone, Copy, Debug)]
pub enum Run {
    /// CI's: short phases, fail on any failed request or a rollout that went on.
    Check,
    /// The benchmark's: longer steady phases, the section written into `BENCHMARKS.md`.
    Write,
}

/// Packs the three releases from `current` (this source's debug build) and `next` (the same
/// built as 0.2.0), lints the playbooks, and runs `bench/rolling.py` against a fresh database
/// on `postgres`, which the hosts share as production's do.
pub fn rehearse(
    postgres: &throwaway_postgres::Server,
    python_tools: &PythonTools,
    current: &Path,
    next: &Path,
    run: Run,
) -> anyhow::Result<()> {
    // ansible-playbook and ansible-lint live in the suite's virtualenv.
    let path = python_tools.path_env()?;
    let root = workspace_root()?;
    let target = crate::target_dir()?;
    crate::step(
        "cargo build -p loadgen",
        crate::cargo(&["build", "--package", "loadgen"]),
    )?;
    let tarballs = target.join("rolling");
    pack_releases(current, next, &tarballs)?;
    let mut lint = Command::new("ansible-lint");
    lint.current_dir(root.join("deploy/ansible"))
        .env("PATH", &path);
    crate::step("ansible-lint deploy/ansible (production profile)", lint)?;

    let database_url = postgres.create_database("rolling")?;
    let mut bench = Command::new("python3");
    bench
        .env("PATH", &path)
        .arg(root.join("bench/rolling.py"))
        .arg("--tarballs")
        .arg(&tarballs)
        .arg("--loadgen")
        .arg(target.join("debug/loadgen"))
        .arg("--database-url")
        .arg(&database_url)
        .arg("--ca-file")
        .arg(postgres.ca_file())
        .arg(match run {
            Run::Check => "--check",
            Run::Write => "--write",
        });
    crate::step("bench/rolling.py (rolling deploy behind HAProxy)", bench)
}

/// The three tarballs (with their `.sha256`) in `out`.
fn pack_releases(current: &Path, next: &Path, out: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(out)?;
    for (binary, version, env) in [
        (current, FIRST, &[][..]),
        (next, NEXT, &[][..]),
        (next, BROKEN, &BAD_CONFIGURATION[..]),
    ] {
        let env: Vec<String> = env.iter().map(|line| (*line).to_owned()).collect();
        release::pack_binary(binary, Some(version), &env, out)
            .with_context(|| format!("cannot pack release {version}"))?;
    }
    Ok(out.to_owned())
}

/// `cargo xtask rolling [--write] [--current PATH --next PATH]`: the rehearsal on its own
/// throwaway PostgreSQL, with the benchmark's phases when `--write`; on debug builds it makes,
/// or on the two builds named (this version and the same source built as 0.2.0).
pub fn bench(args: &[String]) -> anyhow::Result<()> {
    let mut run = Run::Check;
    let mut current = None;
    let mut next = None;
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--write" => run = Run::Write,
            "--current" => current = args.next().map(PathBuf::from),
            "--next" => next = args.next().map(PathBuf::from),
            _ => bail!("usage: cargo xtask rolling [--write] [--current PATH --next PATH]"),
        }
    }
    let python_tools = crate::prepare_tools(crate::tools::Task::Suite)?;
    let (current, next) = match (current, next) {
        (Some(current), Some(next)) => (current, next),
        // The 0.2.0 build first: it leaves target/debug/ holding 0.2.0 until the server is
        // built again as this version.
        (None, None) => {
            let next = crate::build_next_release()?;
            (crate::build_server()?, next)
        }
        _ => bail!("--current and --next go together"),
    };
    let server = crate::start_postgres()?;
    rehearse(&server, &python_tools, &current, &next, run)?;
    server.stop_and_remove()
}

fn workspace_root() -> anyhow::Result<PathBuf> {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .context("xtask sits in the workspace")
}
