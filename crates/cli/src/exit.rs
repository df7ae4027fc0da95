//! Exit codes, following sysexits(3) where one fits.

use std::fmt;
use std::process::ExitCode;

/// A failure that maps to a specific exit code. Commands return it inside `anyhow::Error`;
/// [`crate::run`] finds it and exits with its code, printing the message once.
#[derive(Debug)]
pub struct Exit {
    /// The process exit code.
    pub code: u8,
    /// What went wrong and what to do, already formatted for the operator.
    pub message: String,
}

/// Wrong command-line usage.
pub const USAGE: u8 = 64;
/// The input data is refused (a release tarball that fails its checks).
pub const DATA: u8 = 65;
/// A dependency (the database, the port) is unavailable.
pub const UNAVAILABLE: u8 = 69;
/// The configuration (or the schema it points at) is not usable.
pub const CONFIG: u8 = 78;

impl Exit {
    /// A failure with `code` and `message`.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Exit {
            code,
            message: message.into(),
        }
    }

    /// The exit code as the process returns it.
    #[must_use]
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Exit {}
