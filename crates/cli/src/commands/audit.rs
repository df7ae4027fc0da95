//! `audit verify`, `audit export`.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;

use super::with_ledger;

/// Verifies the chain; exit 1 naming the first bad entry.
pub fn verify(env_file: Option<&Path>, json: bool) -> anyhow::Result<ExitCode> {
    with_ledger(env_file, async |database, key| {
        let report = database
            .audit_verify(key)
            .await
            .context("cannot read the audit chain")?;
        if json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            println!("{}", describe(&report));
        }
        Ok(if report.is_ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    })
}

/// The verification report as the operator reads it (also the console's `audit verify`).
#[must_use]
pub fn describe(report: &storage::ledger::AuditReport) -> String {
    if let Some(problem) = &report.problem {
        return format!(
            "audit chain BROKEN at entry {}: {}\n{} entries verified before it",
            problem.seq, problem.reason, report.entries
        );
    }
    let earlier_key = if report.checkpoints_other_key > 0 {
        format!(
            ", {} signed with an earlier key (hash checked)",
            report.checkpoints_other_key
        )
    } else {
        String::new()
    };
    format!(
        "audit chain ok: {} entries, head {}, {} signed checkpoint(s) verified{earlier_key}",
        report.entries, report.head, report.checkpoints_verified
    )
}

/// Writes the chain as JSON Lines.
pub fn export(env_file: Option<&Path>, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    let mut out: Box<dyn std::io::Write> = match output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create `{}`", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    with_ledger(env_file, async |database, _| {
        let entries = database
            .audit_export(|line| {
                serde_json::to_writer(&mut out, line)?;
                out.write_all(b"\n")
            })
            .await
            .context("cannot export the audit chain")?;
        out.flush().context("cannot write the export")?;
        eprintln!("exported {entries} audit entries");
        Ok(ExitCode::SUCCESS)
    })
}
