//! Verifying the audit chain as stored, and exporting it for auditors.

use domain::audit::{self, CheckpointKey, EntryFields, Hash, StoredEntry, Verifier};
use serde::Serialize;

use super::read::{AuditRecord, Checkpoint};
use crate::{Database, StorageError};

/// Entries read per query while verifying or exporting.
const AUDIT_PAGE_SIZE: i64 = 2000;

/// The first thing wrong with the stored chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditProblem {
    /// The sequence number of the first bad entry (for a truncated chain: the first missing).
    pub seq: u64,
    /// What is wrong.
    pub reason: String,
}

/// The result of `audit verify`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// Entries that verified.
    pub entries: u64,
    /// The hash of the last verified entry, hex.
    pub head: String,
    /// Checkpoints whose signature and hash were checked.
    pub checkpoints_verified: u64,
    /// Checkpoints signed with another key (a rotated `SECRET_KEY_BASE`): hash checked, signature not.
    pub checkpoints_other_key: u64,
    /// The newest checkpoint's sequence number.
    pub last_checkpoint: Option<u64>,
    /// The first problem, or none when the chain is whole.
    pub problem: Option<AuditProblem>,
}

impl AuditReport {
    /// Whether the chain verified.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }
}

/// One line of `audit export` (JSON Lines; the format is documented in docs/AUDIT.md).
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExportLine {
    /// A chain entry.
    Entry {
        /// Position.
        seq: i64,
        /// As hashed.
        recorded_at: String,
        /// Who.
        actor: String,
        /// What.
        action: String,
        /// To what.
        subject: String,
        /// The canonical payload, as hashed.
        payload: String,
        /// Hex.
        payload_digest: String,
        /// Hex.
        prev_hash: String,
        /// Hex.
        hash: String,
    },
    /// A signed checkpoint.
    Checkpoint {
        /// The chain's length when signed.
        seq: i64,
        /// Its head hash, hex.
        hash: String,
        /// The signing key's fingerprint, hex.
        key_id: String,
        /// HMAC-SHA-256, hex.
        signature: String,
    },
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

fn hash(bytes: &[u8]) -> Hash {
    // A stored value of the wrong length can never match a real hash.
    Hash::try_from(bytes).unwrap_or([0xff; 32])
}

fn seq_u64(seq: i64) -> u64 {
    u64::try_from(seq).unwrap_or(0)
}

impl Database {
    /// Recomputes the whole chain and checks every checkpoint against it.
    pub async fn audit_verify(&self, key: &CheckpointKey) -> Result<AuditReport, StorageError> {
        let mut verifier = Verifier::default();
        let mut checkpoints = CheckpointCursor::new(self);
        let mut report = AuditReport {
            entries: 0,
            head: String::new(),
            checkpoints_verified: 0,
            checkpoints_other_key: 0,
            last_checkpoint: None,
            problem: None,
        };
        let mut after = 0;
        'pages: loop {
            let page = self.audit_page(after, AUDIT_PAGE_SIZE).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for record in &page {
                let recorded_at = audit::format_recorded_at(record.recorded_at);
                let entry = stored(record, &recorded_at);
                if let Err(err) = verifier.push(&entry) {
                    report.problem = Some(AuditProblem {
                        seq: err.seq(),
                        reason: err.to_string(),
                    });
                    break 'pages;
                }
                while let Some(checkpoint) =
                    checkpoints.next_at_or_before(seq_u64(record.seq)).await?
                {
                    if let Some(problem) = check(
                        key,
                        &checkpoint,
                        seq_u64(record.seq),
                        &entry.hash,
                        &mut report,
                    ) {
                        report.problem = Some(problem);
                        break 'pages;
                    }
                }
            }
        }
        report.entries = verifier.length();
        report.head = hex(&verifier.head());
        if report.problem.is_none() {
            // A checkpoint beyond the end: entries were removed from the end of the chain.
            if let Some(checkpoint) = checkpoints.next_at_or_before(u64::MAX).await? {
                report.last_checkpoint = Some(seq_u64(checkpoint.seq));
                report.problem = Some(AuditProblem {
                    seq: verifier.length() + 1,
                    reason: format!(
                        "the chain ends at entry {} but a signed checkpoint covers entry {}: newer entries were removed",
                        verifier.length(),
                        checkpoint.seq
                    ),
                });
            }
        }
        Ok(report)
    }

    /// Every entry then every checkpoint, in order, as export lines.
    pub async fn audit_export(
        &self,
        mut write: impl FnMut(&ExportLine) -> std::io::Result<()>,
    ) -> Result<u64, StorageError> {
        let mut count = 0;
        let mut after = 0;
        loop {
            let page = self.audit_page(after, AUDIT_PAGE_SIZE).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for record in page {
                let line = ExportLine::Entry {
                    seq: record.seq,
                    recorded_at: audit::format_recorded_at(record.recorded_at),
                    payload_digest: hex(&record.payload_digest),
                    prev_hash: hex(&record.prev_hash),
                    hash: hex(&record.hash),
                    actor: record.actor,
                    action: record.action,
                    subject: record.subject,
                    payload: record.payload,
                };
                write(&line).map_err(|source| StorageError::Io {
                    path: "audit export".into(),
                    source,
                })?;
                count += 1;
            }
        }
        let mut checkpoints = CheckpointCursor::new(self);
        while let Some(checkpoint) = checkpoints.next_at_or_before(u64::MAX).await? {
            let line = ExportLine::Checkpoint {
                seq: checkpoint.seq,
                hash: hex(&checkpoint.hash),
                key_id: hex(&checkpoint.key_id),
                signature: hex(&checkpoint.signature),
            };
            write(&line).map_err(|source| StorageError::Io {
                path: "audit export".into(),
                source,
            })?;
        }
        Ok(count)
    }
}

fn stored<'a>(record: &'a AuditRecord, recorded_at: &'a str) -> StoredEntry<'a> {
    StoredEntry {
        fields: EntryFields {
            seq: seq_u64(record.seq),
            recorded_at,
            actor: &record.actor,
            action: &record.action,
            subject: &record.subject,
            payload_digest: hash(&record.payload_digest),
        },
        payload: record.payload.as_bytes(),
        prev_hash: hash(&record.prev_hash),
        hash: hash(&record.hash),
    }
}

/// Checks a checkpoint against the verified entry it names.
fn check(
    key: &CheckpointKey,
    checkpoint: &Checkpoint,
    seq: u64,
    entry_hash: &Hash,
    report: &mut AuditReport,
) -> Option<AuditProblem> {
    report.last_checkpoint = Some(seq_u64(checkpoint.seq));
    if seq_u64(checkpoint.seq) != seq {
        // A checkpoint naming an entry the loop skipped past cannot happen with ordered reads.
        return Some(AuditProblem {
            seq: seq_u64(checkpoint.seq),
            reason: "a checkpoint names a missing entry".to_owned(),
        });
    }
    if checkpoint.key_id == key.id() {
        if !key.verify(seq, &hash(&checkpoint.hash), &checkpoint.signature) {
            return Some(AuditProblem {
                seq,
                reason: format!(
                    "the checkpoint at entry {seq} has a bad signature (forged or edited)"
                ),
            });
        }
        report.checkpoints_verified += 1;
    } else {
        report.checkpoints_other_key += 1;
    }
    if hash(&checkpoint.hash) != *entry_hash {
        return Some(AuditProblem {
            seq,
            reason: format!("entry {seq} does not match the signed checkpoint of its hash"),
        });
    }
    None
}

/// Reads checkpoints in pages, in order.
struct CheckpointCursor<'a> {
    database: &'a Database,
    page: std::collections::VecDeque<Checkpoint>,
    after: i64,
    done: bool,
}

impl<'a> CheckpointCursor<'a> {
    fn new(database: &'a Database) -> Self {
        CheckpointCursor {
            database,
            page: std::collections::VecDeque::new(),
            after: 0,
            done: false,
        }
    }

    /// The next checkpoint if it covers at most entry `seq`.
    async fn next_at_or_before(&mut self, seq: u64) -> Result<Option<Checkpoint>, StorageError> {
        if self.page.is_empty() && !self.done {
            let page = self
                .database
                .checkpoint_page(self.after, AUDIT_PAGE_SIZE)
                .await?;
            match page.last() {
                Some(last) => self.after = last.seq,
                None => self.done = true,
            }
            self.page.extend(page);
        }
        match self.page.front() {
            Some(checkpoint) if seq_u64(checkpoint.seq) <= seq => Ok(self.page.pop_front()),
            _ => Ok(None),
        }
    }
}
