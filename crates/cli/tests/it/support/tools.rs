//! Programs the suite runs besides our binary (validators, linters, podman, systemd-analyze):
//! `.ci/run` installs the system ones and `cargo xtask test` the Python ones. Where one is
//! missing a test says so and skips; under CI (`CI=true`) that is a failure, never a silent
//! pass.

use std::process::Command;

/// Whether `program` runs (`program version_args` exits 0). Where it does not: a panic under
/// CI, else a line saying why the calling test is skipped.
pub fn available(program: &str, version_args: &[&str]) -> bool {
    let runs = Command::new(program)
        .args(version_args)
        .output()
        .is_ok_and(|output| output.status.success());
    if !runs {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "`{program}` is not installed: CI needs it (`.ci/run` or `cargo xtask test` installs it)"
        );
        eprintln!("skipped: `{program}` is not installed");
    }
    runs
}
