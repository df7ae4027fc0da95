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

use std::path::{Path, PathBuf};

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
