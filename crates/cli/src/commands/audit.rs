//! `audit verify`, `audit export`.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;

use storage::ledger::HeadLine;

use super::with_ledger;

/// The most saved heads `--against` reads: a daily head for thirty years. Each is kept in
/// memory and checked as the chain is read.
const SAVED_HEADS_MAX: usize = 11_000;

/// The most bytes `--against` reads: a head line is about 400 bytes; read no further than
/// [`SAVED_HEADS_MAX`] of them could need.
const SAVED_HEADS_BYTES_MAX: u64 = SAVED_HEADS_MAX as u64 * 1024;

/// Verifies the chain (and, with `against`, the heads saved in that file) and the kept
/// balances (`ledger check`); exit 1 naming the first bad entry or each differing balance.
pub fn verify(
    env_file: Option<&Path>,
    json: bool,
    against: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let heads = match against {
        Some(path) => read_heads(path)?,
        None => Vec::new(),
    };
    with_ledger(env_file, async |database, key| {
        let report = database
            .audit_verify_against(key, &heads)
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

/// Saved heads, one JSON line each (blank lines skipped).
fn read_heads(path: &Path) -> anyhow::Result<Vec<HeadLine>> {
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| {
            std::io::Read::read_to_string(
                &mut std::io::Read::take(file, SAVED_HEADS_BYTES_MAX + 1),
                &mut text,
            )
        })
        .with_context(|| format!("cannot read the saved heads in `{}`", path.display()))?;
    if text.len() as u64 > SAVED_HEADS_BYTES_MAX {
        return Err(crate::exit::Exit::new(
            crate::exit::USAGE,
            format!(
                "`{}` is larger than {SAVED_HEADS_BYTES_MAX} bytes, more than {SAVED_HEADS_MAX} saved heads: keep the newest ones",
                path.display()
            ),
        )
        .into());
    }
    let mut heads = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let head = serde_json::from_str(line).map_err(|err| {
            crate::exit::Exit::new(
                crate::exit::USAGE,
                format!(
                    "line {} of `{}` is not a line of `donation_platform audit head`: {err}",
                    index + 1,
                    path.display()
                ),
            )
        })?;
        heads.push(head);
        if heads.len() > SAVED_HEADS_MAX {
            return Err(crate::exit::Exit::new(
                crate::exit::USAGE,
                format!(
                    "`{}` holds more than {SAVED_HEADS_MAX} saved heads: keep the newest ones",
                    path.display()
                ),
            )
            .into());
        }
    }
    Ok(heads)
}

/// Verifies the chain and prints its signed head as one JSON line; exit 1 (and no head) when
/// the chain is broken or empty.
pub fn head(env_file: Option<&Path>) -> anyhow::Result<ExitCode> {
    with_ledger(env_file, async |database, key| {
        let (report, head) = database
            .audit_head(key)
            .await
            .context("cannot read the audit chain")?;
        match head {
            Some(head) => {
                println!("{}", serde_json::to_string(&head)?);
                Ok(ExitCode::SUCCESS)
            }
            None if report.chain_is_whole() => {
                eprintln!("the audit chain is empty: there is no head to sign yet");
                Ok(ExitCode::FAILURE)
            }
            None => {
                eprintln!(
                    "{}\nno head printed: a broken chain must not be witnessed",
                    describe(&report)
                );
                Ok(ExitCode::FAILURE)
            }
        }
    })
}

/// The verification report as the operator reads it (also the console's `audit verify`):
/// the chain's verdict, then the balances'.
#[must_use]
pub fn describe(report: &storage::ledger::AuditReport) -> String {
    let balances = super::ledger::describe(&storage::ledger::BalanceCheck {
        balances_checked: report.balances_checked,
        differences: report.balance_differences.clone(),
    });
    format!("{}\n{balances}", describe_chain(report))
}

/// The chain's part of [`describe`].
fn describe_chain(report: &storage::ledger::AuditReport) -> String {
    if let Some(problem) = &report.problem {
        return format!(
            "audit chain BROKEN at entry {}: {}\n{} entries verified before it",
            problem.seq, problem.reason, report.entries
        );
    }
    let mut details = Vec::new();
    if report.checkpoints_other_key > 0 {
        details.push(format!(
            "{} with an earlier key from AUDIT_PREVIOUS_PUBLIC_KEYS",
            report.checkpoints_other_key
        ));
    }
    if report.checkpoints_legacy_hmac > 0 {
        details.push(format!(
            "{} legacy HMAC, verified with the secret",
            report.checkpoints_legacy_hmac
        ));
    }
    if report.checkpoints_legacy_vouched > 0 {
        details.push(format!(
            "and {} legacy HMAC from another secret, vouched for by a saved head",
            report.checkpoints_legacy_vouched
        ));
    }
    let details = if details.is_empty() {
        String::new()
    } else {
        format!(" ({})", details.join(", "))
    };
    let heads = if report.heads_checked > 0 {
        format!(", {} saved head(s) matched", report.heads_checked)
    } else {
        String::new()
    };
    format!(
        "audit chain ok: {} entries, head {}, {} signed checkpoint(s) verified{details}{heads}\npublic key {}",
        report.entries, report.head, report.checkpoints_verified, report.public_key
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
