//! The messages of a zero-downtime replacement, as they travel over the control socket
//! ([`crate::control::Request::Handoff`]).
//!
//! ```text
//! operator's CLI ── Replace { version, ready_timeout_s } ──▶ running instance
//!                                  it starts releases/<version>/donation_platform
//! successor ── Takeover ──▶ instance   (reply carries the listener, SCM_RIGHTS)
//! successor ── Ready { version } ──▶   (instance: MAINPID=<successor>, READY=1)
//! successor ── Installed ──▶           (instance answers the CLI with a Replaced, drains)
//! successor ── TakeoverFailed { reason } ──▶   (instead, when it cannot start)
//! ```
//!
//! Typed and validated at the boundary: the operator names a [`Version`], never a program
//! (the instance starts only `releases/<version>/donation_platform` of its own release root,
//! see [`crate::release::ReleaseRoot::successor`]), and no text from another process reaches
//! systemd's `STATUS=` unless it is a [`Version`].

use serde::{Deserialize, Serialize};

use crate::release::Version;

/// Tells a successor where its predecessor's control socket is.
pub const TAKEOVER_ENV: &str = "DONATION_PLATFORM_TAKEOVER";

/// A successor's reason for failing longer than this is cut: it is shown on one line.
pub const REASON_LENGTH_MAX: usize = 2_000;

/// One hand-off message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Message {
    /// `restart`, `upgrade`, `rollback`: replace the running instance.
    Replace(ReplaceRequest),
    /// A successor asks for the listening socket.
    Takeover,
    /// The successor serves, as this version.
    Ready {
        /// The successor's version.
        version: Version,
    },
    /// The successor holds the well-known control socket path and the pid file.
    Installed,
    /// The successor is about to exit without taking over; why, in its words.
    TakeoverFailed {
        /// Its error message (one line, see [`one_line`]).
        reason: String,
    },
}

/// What to replace the running instance with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplaceRequest {
    /// The release to start from the instance's release root; the instance's own program
    /// again when absent (`restart`).
    pub version: Option<Version>,
    /// How long the successor may take to become ready, in seconds.
    pub ready_timeout_s: Option<u64>,
}

/// What a completed replacement reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replaced {
    /// The instance that was replaced.
    pub old_pid: u32,
    /// Its version.
    pub old_version: Version,
    /// The instance now serving.
    pub new_pid: u32,
    /// Its version.
    pub new_version: Version,
    /// From starting the successor to its being installed, in milliseconds.
    pub handoff_ms: u64,
}

/// `text` as one line of at most [`REASON_LENGTH_MAX`] characters: lines joined with a space,
/// every other control character dropped.
#[must_use]
pub fn one_line(text: &str) -> String {
    let joined = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    joined
        .chars()
        .filter(|c| !c.is_control())
        .take(REASON_LENGTH_MAX)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_travel_as_tagged_json() {
        let ready = Message::Ready {
            version: Version::parse("0.2.0").unwrap(),
        };
        let json = serde_json::to_string(&ready).unwrap();
        assert_eq!(json, r#"{"ready":{"version":"0.2.0"}}"#);
        assert_eq!(serde_json::from_str::<Message>(&json).unwrap(), ready);
        assert_eq!(
            serde_json::to_string(&Message::Takeover).unwrap(),
            r#""takeover""#
        );
    }

    #[test]
    fn a_request_naming_a_program_or_a_bad_version_does_not_parse() {
        let program = r#"{"replace":{"release":{"program":"/bin/sh","args":[],"version":"1"}}}"#;
        assert!(serde_json::from_str::<Message>(program).is_err());
        let newline = r#"{"replace":{"version":"0.2.0\nREADY=1"}}"#;
        assert!(serde_json::from_str::<Message>(newline).is_err());
        let ready = r#"{"ready":{"version":"0.2.0\nSTATUS=owned"}}"#;
        assert!(serde_json::from_str::<Message>(ready).is_err());
        let fine = r#"{"replace":{"version":"0.2.0","ready_timeout_s":5}}"#;
        assert!(serde_json::from_str::<Message>(fine).is_ok());
    }

    #[test]
    fn a_reason_becomes_one_bounded_line() {
        assert_eq!(one_line("error: a\n  b\r\n\nc\u{1b}[2J"), "error: a b c[2J");
        assert_eq!(one_line(&"x".repeat(5_000)).len(), REASON_LENGTH_MAX);
    }
}
