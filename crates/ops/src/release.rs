//! A release root's versions: which one runs (`releases/CURRENT`), which ran before it
//! (`releases/PREVIOUS`), which are installed, and the one program a replacement may start.
//!
//! Version names come from operators, from tarballs and from other processes over the control
//! socket; they name directories and reach systemd's `STATUS=` line. So they are a type,
//! [`Version`], built only by [`Version::parse`]: plain characters, never a path, never a
//! newline.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::layout;

/// A version longer than this is a mistake, not a release: it names a directory and is shown
/// on systemd's one-line `STATUS=`.
pub const VERSION_LENGTH_MAX: usize = 64;

/// A release version such as `0.2.0`: ASCII letters, digits, `.`, `-`, `+` and `_`, starting
/// with a letter or digit (so never `..` nor a hidden name, which the unpacking staging
/// directory uses), at most [`VERSION_LENGTH_MAX`] characters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Version(String);

/// A string that is not a [`Version`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{shown} is not a release version: use one like 0.2.0 (a letter or digit, then letters, digits, `.`, `-`, `+`, `_`; at most {VERSION_LENGTH_MAX})"
)]
pub struct VersionError {
    /// The refused text, escaped (a newline shows as `\n`) and cut short.
    shown: String,
}

impl Version {
    /// `text` as a version, or why not.
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        let plain = text.len() <= VERSION_LENGTH_MAX
            && text.starts_with(|c: char| c.is_ascii_alphanumeric())
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_'));
        if plain {
            Ok(Version(text.to_owned()))
        } else {
            let cut: String = text.chars().take(VERSION_LENGTH_MAX).collect();
            Err(VersionError {
                shown: format!("{cut:?}"),
            })
        }
    }

    /// The version as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Version {
    type Error = VersionError;

    fn try_from(text: String) -> Result<Version, VersionError> {
        Version::parse(&text)
    }
}

impl From<Version> for String {
    fn from(version: Version) -> String {
        version.0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A process to start as a successor: a release's binary with its env file, or this very
/// program again (`restart` outside a release root).
#[derive(Clone, Debug)]
pub struct Program {
    /// The executable.
    pub program: PathBuf,
    /// Its arguments (`--env-file …`, `start`).
    pub args: Vec<OsString>,
    /// The release version it is.
    pub version: Version,
}

/// Why a release cannot be started or recorded.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// `releases/<version>/donation_platform` is missing.
    #[error(
        "release {version} is not installed ({path} is missing): install it with `upgrade {version}`"
    )]
    NotInstalled {
        /// The release.
        version: Version,
        /// Where its binary should be.
        path: PathBuf,
    },
    /// The binary is a link, or resolves outside `releases/`, or is not a plain executable.
    #[error(
        "{path} {reason}: only a regular executable inside releases/ is started; unpack the release again with `upgrade`"
    )]
    NotAPlainBinary {
        /// The binary.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// `releases/CURRENT` or `PREVIOUS` holds something that is not a version.
    #[error("{path} holds no release version ({source}): write the version that runs into it")]
    BadVersionFile {
        /// The file.
        path: PathBuf,
        /// Why its contents are refused.
        source: VersionError,
    },
    /// The file system said no.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

/// A release root (see [`crate::layout`]) and what its `releases/` directory records.
#[derive(Clone, Debug)]
pub struct ReleaseRoot {
    root: PathBuf,
}

impl ReleaseRoot {
    /// The release root at `root`.
    #[must_use]
    pub fn new(root: impl Into<PathBuf>) -> ReleaseRoot {
        ReleaseRoot { root: root.into() }
    }

    /// The release root the running executable belongs to, if any.
    #[must_use]
    pub fn of_current_exe() -> Option<ReleaseRoot> {
        layout::release_root().map(ReleaseRoot::new)
    }

    /// The root directory.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// `<root>/releases`.
    #[must_use]
    pub fn releases_dir(&self) -> PathBuf {
        self.root.join("releases")
    }

    /// `<root>/releases/<version>`.
    #[must_use]
    pub fn release_dir(&self, version: &Version) -> PathBuf {
        self.releases_dir().join(version.as_str())
    }

    /// Whether `releases/<version>/` holds a binary already.
    #[must_use]
    pub fn is_installed(&self, version: &Version) -> bool {
        self.release_dir(version)
            .join(layout::BINARY_NAME)
            .is_file()
    }

    /// The version that runs (`releases/CURRENT`), if recorded.
    pub fn current(&self) -> Result<Option<Version>, ReleaseError> {
        self.read_version_file("CURRENT")
    }

    /// The version that ran before it (`releases/PREVIOUS`), if recorded.
    pub fn previous(&self) -> Result<Option<Version>, ReleaseError> {
        self.read_version_file("PREVIOUS")
    }

    /// Records that `new` replaced `old`: `PREVIOUS` is `old` (unless the same), `CURRENT` is
    /// `new`. Each file is replaced in one step, so the entry point never reads half a name.
    pub fn record_switch(&self, old: &Version, new: &Version) -> Result<(), ReleaseError> {
        if old != new {
            self.write_version_file("PREVIOUS", old)?;
        }
        self.write_version_file("CURRENT", new)
    }

    /// The installed releases (a directory with a binary and a valid name), sorted.
    pub fn installed(&self) -> Result<Vec<Version>, ReleaseError> {
        let dir = self.releases_dir();
        let entries = std::fs::read_dir(&dir).map_err(|source| ReleaseError::Io {
            action: "list",
            path: dir.clone(),
            source,
        })?;
        let mut versions: Vec<Version> = entries
            .filter_map(Result::ok)
            .filter(|entry| entry.path().join(layout::BINARY_NAME).is_file())
            .filter_map(|entry| Version::parse(entry.file_name().to_str()?).ok())
            .collect();
        versions.sort();
        Ok(versions)
    }

    /// How to start release `version` as a successor: its binary with its env file. Only a
    /// regular file (not a link) that resolves inside this root's `releases/`, and has no
    /// setuid or setgid bit, is ever started.
    pub fn successor(&self, version: &Version) -> Result<Program, ReleaseError> {
        let dir = self.release_dir(version);
        let binary = dir.join(layout::BINARY_NAME);
        let metadata = match std::fs::symlink_metadata(&binary) {
            Ok(metadata) => metadata,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                return Err(ReleaseError::NotInstalled {
                    version: version.clone(),
                    path: binary,
                });
            }
            Err(source) => {
                return Err(ReleaseError::Io {
                    action: "inspect",
                    path: binary,
                    source,
                });
            }
        };
        let refuse = |reason: &str| ReleaseError::NotAPlainBinary {
            path: binary.clone(),
            reason: reason.to_owned(),
        };
        if metadata.file_type().is_symlink() {
            return Err(refuse("is a symbolic link"));
        }
        if !metadata.is_file() {
            return Err(refuse("is not a regular file"));
        }
        let mode = metadata.permissions().mode();
        if mode & 0o6000 != 0 {
            return Err(refuse(&format!("has mode {mode:04o} (setuid or setgid)")));
        }
        let canonical = |path: &Path| {
            path.canonicalize().map_err(|source| ReleaseError::Io {
                action: "resolve",
                path: path.to_owned(),
                source,
            })
        };
        let releases = canonical(&self.releases_dir())?;
        if canonical(&binary)?.parent().and_then(Path::parent) != Some(releases.as_path()) {
            return Err(refuse("resolves outside releases/"));
        }
        Ok(Program {
            program: binary,
            args: vec![
                "--env-file".into(),
                dir.join(layout::ENV_FILE_NAME).into_os_string(),
                "start".into(),
            ],
            version: version.clone(),
        })
    }

    fn read_version_file(&self, name: &str) -> Result<Option<Version>, ReleaseError> {
        let path = self.releases_dir().join(name);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(ReleaseError::Io {
                    action: "read",
                    path,
                    source,
                });
            }
        };
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        Version::parse(text)
            .map(Some)
            .map_err(|source| ReleaseError::BadVersionFile { path, source })
    }

    fn write_version_file(&self, name: &str, version: &Version) -> Result<(), ReleaseError> {
        let path = self.releases_dir().join(name);
        layout::write_atomically(&path, &format!("{version}\n")).map_err(|source| {
            ReleaseError::Io {
                action: "record the version in",
                path,
                source,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_version_names_parse_and_others_are_refused_with_the_text_escaped() {
        for good in ["0.2.0", "1.0.0-rc.1+build_7", "v2"] {
            assert_eq!(Version::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            ".",
            "..",
            ".unpack-0.2.0-1",
            "../etc",
            "0.2.0/x",
            "0.2.0\nREADY=1",
            "0.2.0 ",
            "é",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad:?}");
        }
        let long = "1".repeat(VERSION_LENGTH_MAX + 1);
        assert!(Version::parse(&long).is_err());
        let refused = Version::parse("1\nSTATUS=owned").unwrap_err().to_string();
        assert!(
            refused.starts_with(r#""1\nSTATUS=owned" is not"#),
            "{refused}"
        );
    }

    #[test]
    fn a_version_deserializes_only_when_valid() {
        let ok: Version = serde_json::from_str(r#""0.2.0""#).unwrap();
        assert_eq!(ok.as_str(), "0.2.0");
        assert!(serde_json::from_str::<Version>(r#""0.2.0\nX=1""#).is_err());
    }

    fn root_with(versions: &[&str]) -> (tempfile::TempDir, ReleaseRoot) {
        let dir = tempfile::tempdir().unwrap();
        let binary = dir.path().join("binary");
        std::fs::write(&binary, "#!/bin/sh\n").unwrap();
        let root = dir.path().join("root");
        for version in versions {
            layout::install(&binary, version, &root).unwrap();
        }
        (dir, ReleaseRoot::new(root))
    }

    #[test]
    fn switching_records_current_and_previous() {
        let (_dir, root) = root_with(&["0.1.0", "0.2.0"]);
        let (old, new) = (
            Version::parse("0.1.0").unwrap(),
            Version::parse("0.2.0").unwrap(),
        );
        root.record_switch(&old, &new).unwrap();
        assert_eq!(root.current().unwrap(), Some(new.clone()));
        assert_eq!(root.previous().unwrap(), Some(old.clone()));
        assert_eq!(root.installed().unwrap(), vec![old, new]);
    }

    #[test]
    fn only_a_plain_binary_inside_releases_is_a_successor() {
        let (dir, root) = root_with(&["0.1.0", "0.2.0"]);
        let good = root.successor(&Version::parse("0.2.0").unwrap()).unwrap();
        assert!(good.program.ends_with("releases/0.2.0/donation_platform"));

        let missing = root.successor(&Version::parse("9.9.9").unwrap());
        assert!(matches!(missing, Err(ReleaseError::NotInstalled { .. })));

        // A link to a program elsewhere.
        let linked = root.release_dir(&Version::parse("0.3.0").unwrap());
        std::fs::create_dir_all(&linked).unwrap();
        std::os::unix::fs::symlink("/bin/sh", linked.join(layout::BINARY_NAME)).unwrap();
        let refused = root
            .successor(&Version::parse("0.3.0").unwrap())
            .unwrap_err();
        assert!(refused.to_string().contains("symbolic link"), "{refused}");

        // A release directory that is itself a link out of the tree.
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::copy(dir.path().join("binary"), outside.join(layout::BINARY_NAME)).unwrap();
        std::os::unix::fs::symlink(&outside, root.releases_dir().join("0.4.0")).unwrap();
        let refused = root
            .successor(&Version::parse("0.4.0").unwrap())
            .unwrap_err();
        assert!(
            refused.to_string().contains("outside releases/"),
            "{refused}"
        );

        // A setuid binary.
        let binary = root
            .release_dir(&Version::parse("0.1.0").unwrap())
            .join(layout::BINARY_NAME);
        std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o4755)).unwrap();
        let refused = root
            .successor(&Version::parse("0.1.0").unwrap())
            .unwrap_err();
        assert!(refused.to_string().contains("setuid"), "{refused}");
    }
}
