//! The systemd service unit for a release root installed anywhere.
//!
//! `deploy/systemd/donation_platform.service` is the one source: it is written for the release
//! root `/opt/donation_platform`, and the unit for another root is that file with every
//! occurrence of that path replaced. The path goes into `ExecStart=`, `ReadWritePaths=` and
//! their kin unquoted, so only characters systemd reads literally there are accepted: no
//! whitespace (a list separator), no `%` (a specifier), no quotes or backslashes (escapes).

use std::fmt;

/// The unit as shipped, for [`TEMPLATE_PREFIX`].
const TEMPLATE: &str = include_str!("../../../deploy/systemd/donation_platform.service");

/// The release root the template is written for.
pub const TEMPLATE_PREFIX: &str = "/opt/donation_platform";

/// Longer than this is not an install path anyone types; systemd's own limit is `PATH_MAX`.
const PREFIX_LENGTH_MAX: usize = 1024;

/// An absolute, normalized directory path that systemd reads literally in a unit file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallPrefix(String);

/// Why a path cannot be a release root in a unit file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PrefixError {
    /// A relative path would depend on where systemd runs.
    #[error("the install prefix must be an absolute path (start with `/`)")]
    NotAbsolute,
    /// `/` would make the whole file system the release root (and `ReadWritePaths=` `/var`).
    #[error("the install prefix must not be `/` itself")]
    Root,
    /// See [`PREFIX_LENGTH_MAX`].
    #[error("the install prefix must be at most {PREFIX_LENGTH_MAX} bytes")]
    TooLong,
    /// `..` would let the unit name paths outside the root it seems to name.
    #[error("the install prefix must be normalized: no empty, `.` or `..` components")]
    NotNormalized,
    /// A character systemd reads specially in a unit file.
    #[error(
        "the install prefix must use only letters, digits and `/._-+@` (systemd reads {0:?} \
         specially in a unit file)"
    )]
    Character(char),
}

impl InstallPrefix {
    /// Accepts `/srv/donation_platform` and `/srv/donation_platform/` (the same root).
    pub fn parse(path: &str) -> Result<InstallPrefix, PrefixError> {
        if !path.starts_with('/') {
            return Err(PrefixError::NotAbsolute);
        }
        let trimmed = path.strip_suffix('/').unwrap_or(path);
        if trimmed.is_empty() {
            return Err(PrefixError::Root);
        }
        if trimmed.len() > PREFIX_LENGTH_MAX {
            return Err(PrefixError::TooLong);
        }
        if let Some(bad) = trimmed
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "/._-+@".contains(*c)))
        {
            return Err(PrefixError::Character(bad));
        }
        if trimmed[1..]
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        {
            return Err(PrefixError::NotNormalized);
        }
        Ok(InstallPrefix(trimmed.to_owned()))
    }

    /// The path, without a trailing slash.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for InstallPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The service unit for the release root `prefix`.
#[must_use]
pub fn service_unit(prefix: &InstallPrefix) -> String {
    TEMPLATE.replace(TEMPLATE_PREFIX, prefix.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_with<'a>(unit: &'a str, key: &str) -> Vec<&'a str> {
        unit.lines()
            .filter(|line| line.starts_with(&format!("{key}=")))
            .collect()
    }

    #[test]
    fn the_unit_for_a_prefix_runs_and_writes_only_under_that_prefix() {
        let prefix = InstallPrefix::parse("/srv/dp-2").unwrap();
        let unit = service_unit(&prefix);
        assert_eq!(
            lines_with(&unit, "ExecStart"),
            ["ExecStart=/srv/dp-2/bin/donation_platform start"]
        );
        assert_eq!(
            lines_with(&unit, "ExecReload"),
            ["ExecReload=/srv/dp-2/bin/donation_platform restart"]
        );
        assert_eq!(
            lines_with(&unit, "WorkingDirectory"),
            ["WorkingDirectory=/srv/dp-2"]
        );
        assert_eq!(
            lines_with(&unit, "ReadWritePaths"),
            ["ReadWritePaths=/srv/dp-2/var /srv/dp-2/releases /srv/dp-2/tmp"]
        );
        assert!(!unit.contains(TEMPLATE_PREFIX), "{unit}");
        // What is not under the release root stays as it is.
        assert_eq!(
            lines_with(&unit, "EnvironmentFile"),
            ["EnvironmentFile=/etc/donation_platform/env"]
        );
    }

    #[test]
    fn the_template_prefix_gives_the_shipped_unit() {
        let prefix = InstallPrefix::parse(TEMPLATE_PREFIX).unwrap();
        assert_eq!(service_unit(&prefix), TEMPLATE);
    }

    #[test]
    fn a_trailing_slash_names_the_same_root() {
        assert_eq!(
            InstallPrefix::parse("/srv/dp/").unwrap(),
            InstallPrefix::parse("/srv/dp").unwrap()
        );
    }

    #[test]
    fn paths_systemd_would_not_read_literally_are_refused() {
        assert_eq!(
            InstallPrefix::parse("srv/dp"),
            Err(PrefixError::NotAbsolute)
        );
        assert_eq!(InstallPrefix::parse("/"), Err(PrefixError::Root));
        assert_eq!(
            InstallPrefix::parse("/srv/../etc"),
            Err(PrefixError::NotNormalized)
        );
        assert_eq!(
            InstallPrefix::parse("/srv//dp"),
            Err(PrefixError::NotNormalized)
        );
        assert_eq!(
            InstallPrefix::parse("/srv/my dp"),
            Err(PrefixError::Character(' '))
        );
        assert_eq!(
            InstallPrefix::parse("/srv/%h"),
            Err(PrefixError::Character('%'))
        );
        assert_eq!(
            InstallPrefix::parse("/srv/dp\nUser=root"),
            Err(PrefixError::Character('\n'))
        );
        assert_eq!(
            InstallPrefix::parse(&format!("/{}", "a".repeat(PREFIX_LENGTH_MAX))),
            Err(PrefixError::TooLong)
        );
    }
}
