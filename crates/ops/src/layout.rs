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
