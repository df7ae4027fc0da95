//! `ledger check`: every kept balance recomputed from the journal.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use storage::ledger::BalanceCheck;

use super::with_ledger;

/// Compares every kept balance with the sum of its journal lines; exit 1 listing each
/// difference.
pub fn check(env_file: Option<&Path>, json: bool) -> anyhow::Result<ExitCode> {
    with_ledger(env_file, async |database, _| {
        let check = database
            .ledger_check()
            .await
            .context("cannot read the balances and the journal")?;
        if json {
            println!("{}", serde_json::to_string(&check)?);
        } else {
            println!("{}", describe(&check));
        }
        Ok(if check.is_ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    })
}

/// The check as the operator reads it (also the last lines of `audit verify`): amounts in
/// minor units, debits positive, as the journal stores them.
#[must_use]
pub fn describe(check: &BalanceCheck) -> String {
    if check.is_ok() {
        return format!(
            "balances ok: {} kept balance(s) equal their journal",
            check.balances_checked
        );
    }
    let mut text = format!(
        "balances DIFFER from the journal: {} of {} kept balance(s); the journal is the source of truth",
        check.differences.len(),
        check.balances_checked
    );
    for difference in &check.differences {
        // Writing to a String cannot fail.
        let _ = write!(
            text,
            "\n  {} {}: kept {}, journal {} (minor units)",
            difference.account,
            difference.currency,
            difference.kept_minor,
            difference.journal_minor
        );
    }
    text
}
