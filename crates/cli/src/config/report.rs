//! Every configuration problem, reported together.

use std::fmt;

/// One thing wrong with one variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The variable (or option) at fault.
    pub variable: &'static str,
    /// What is wrong, lowercase, never quoting a secret.
    pub what: String,
    /// A valid setting to copy.
    pub example: String,
}

impl Problem {
    /// A problem with `variable`.
    pub fn new(
        variable: &'static str,
        what: impl Into<String>,
        example: impl Into<String>,
    ) -> Self {
        Problem {
            variable,
            what: what.into(),
            example: example.into(),
        }
    }
}

/// The configuration could not be used; every problem found, in registry order.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigReport {
    /// The problems, at least one.
    pub problems: Vec<Problem>,
}

impl From<Vec<Problem>> for ConfigReport {
    fn from(problems: Vec<Problem>) -> Self {
        ConfigReport { problems }
    }
}

impl fmt::Display for ConfigReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        let noun = if count == 1 { "problem" } else { "problems" };
        writeln!(
            f,
            "the configuration has {count} {noun}; nothing was started"
        )?;
        for problem in &self.problems {
            writeln!(f)?;
            writeln!(f, "  {}: {}", problem.variable, problem.what)?;
            writeln!(f, "      example: {}", problem.example)?;
        }
        writeln!(f)?;
        write!(f, "fix them, then run `donation_platform config check`")
    }
}
