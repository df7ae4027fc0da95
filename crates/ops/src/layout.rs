//! Where a release keeps its files.
//!
//! A release root looks like a Mix release's:
//!
//! ```text
//! <root>/bin/donation_platform             entry point that runs the current version
//! <root>/releases/<version>/donation_platform
//! <root>/releases/<version>/env            sets APP_ENV=prod
//! <root>/tmp/                              pid file, control socket
//! <root>/var/                              data (SQLite database, generated secrets)
//! ```
//!
//! The same binary run from `target/` has no release root; everything then lives under
//! `DATA_DIR`.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

/// The entry point every release root has. POSIX sh, so it runs wherever the binary does; it
/// resolves its own root, so the root can be moved or symlinked.
pub const ENTRY_POINT: &str = r#"#!/bin/sh
# donation_platform release entry point: runs the current version (releases/CURRENT) with its
# env file, which sets APP_ENV=prod; variables already in the environment win over the file.
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd -P)
version=$(cat "$root/releases/CURRENT")
exec "$root/releases/$version/donation_platform" --env-file "$root/releases/$version/env" "$@"
"#;

/// The binary's file name in `releases/<version>/`.
pub const BINARY_NAME: &str = "donation_platform";

/// The env file's name in `releases/<version>/`.
pub const ENV_FILE_NAME: &str = "env";

/// What a release's env file sets.
pub const ENV_FILE: &str =
    "# Set for every command of this release; the process environment wins.\nAPP_ENV=prod\n";

/// Lays `binary` out as release `version` under `root` and makes it the current version
/// (`releases/CURRENT`). Other versions already there stay, for rollback. What `cargo xtask
/// release` builds, and what the release tests set up.
pub fn install(binary: &Path, version: &str, root: &Path) -> io::Result<()> {
    let release = root.join("releases").join(version);
    for dir in [
        root.join("bin"),
        release.clone(),
        tmp_dir(root),
        data_dir(root),
    ] {
        fs::create_dir_all(&dir)?;
    }
    let installed = release.join(BINARY_NAME);
    fs::copy(binary, &installed)?;
    fs::set_permissions(&installed, fs::Permissions::from_mode(0o755))?;
    fs::write(release.join(ENV_FILE_NAME), ENV_FILE)?;
    let entry = root.join("bin/donation_platform");
    fs::write(&entry, ENTRY_POINT)?;
    fs::set_permissions(&entry, fs::Permissions::from_mode(0o755))?;
    // tmp/ holds the control socket, var/ the data: only the owner may enter.
    fs::set_permissions(tmp_dir(root), fs::Permissions::from_mode(0o700))?;
    fs::set_permissions(data_dir(root), fs::Permissions::from_mode(0o700))?;
    fs::write(root.join("releases/CURRENT"), format!("{version}\n"))
}

/// The release root the running executable belongs to, if it sits in
/// `<root>/releases/<version>/`.
#[must_use]
pub fn release_root() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    release_root_of(&exe)
}

/// The release root of an executable at `exe`, if it sits in `<root>/releases/<version>/`.
#[must_use]
pub fn release_root_of(exe: &Path) -> Option<PathBuf> {
    let version_dir = exe.parent()?;
    let releases = version_dir.parent()?;
    if releases.file_name()? != "releases" {
        return None;
    }
    releases.parent().map(Path::to_path_buf)
}

/// The data directory of a release root.
#[must_use]
pub fn data_dir(root: &Path) -> PathBuf {
    root.join("var")
}

/// The runtime directory of a release root (pid file, control socket, daemon log).
#[must_use]
pub fn tmp_dir(root: &Path) -> PathBuf {
    root.join("tmp")
}

/// Replaces the file at `path` with `contents` in one step (written beside it, then renamed):
/// a reader sees the old contents or the new, never half of them.
pub fn write_atomically(path: &Path, contents: &str) -> io::Result<()> {
    let temporary = path.with_extension(format!("new.{}", std::process::id()));
    fs::write(&temporary, contents)?;
    fs::rename(&temporary, path)
}

/// Creates `dir` (and parents) if missing, enterable by the owner only: the runtime directory
/// holds the control socket.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
}

/// The files a running instance keeps in its runtime directory.
#[derive(Clone, Debug)]
pub struct RuntimeFiles {
    /// The directory itself.
    pub dir: PathBuf,
    /// The control socket `remote`, `rpc`, `stop` and `upgrade` connect to.
    pub control_socket: PathBuf,
    /// The running instance's pid.
    pub pid_file: PathBuf,
    /// Where `daemon` sends the instance's output.
    pub log_file: PathBuf,
    /// The `remote` console's line history.
    pub console_history: PathBuf,
}

impl RuntimeFiles {
    /// The files in `dir`.
    #[must_use]
    pub fn in_dir(dir: &Path) -> RuntimeFiles {
        RuntimeFiles {
            dir: dir.to_owned(),
            control_socket: dir.join("donation_platform.sock"),
            pid_file: dir.join("donation_platform.pid"),
            log_file: dir.join("log").join("donation_platform.log"),
            console_history: dir.join("console_history"),
        }
    }

    /// Where a successor binds its control socket until it takes over the well-known path.
    #[must_use]
    pub fn successor_socket(&self, pid: u32) -> PathBuf {
        self.dir.join(format!("donation_platform.{pid}.sock"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_executable_under_releases_version_has_a_release_root() {
        let exe = Path::new("/opt/dp/releases/0.1.0/donation_platform");
        assert_eq!(release_root_of(exe), Some(PathBuf::from("/opt/dp")));
    }

    #[test]
    fn an_executable_elsewhere_has_none() {
        let exe = Path::new("/work/target/release/donation_platform");
        assert_eq!(release_root_of(exe), None);
    }
}
