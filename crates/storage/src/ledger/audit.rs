//! Verifying the audit chain as stored, and exporting it for auditors.

use std::collections::BTreeMap;

use domain::audit::{
    self, CheckpointAlgorithm, CheckpointKey, CheckpointSigner, EntryFields, Hash,
    SignedCheckpoint, StoredEntry, Verifier,
};
use serde::{Deserialize, Serialize};

use super::check::BalanceDifference;
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
    /// The public key new checkpoints are signed with (hex): what an auditor verifies with.
    pub public_key: String,
    /// Checkpoints whose signature verified under a known key (all of them, when ok).
    pub checkpoints_verified: u64,
    /// Of those, signed with an earlier key listed in `AUDIT_PREVIOUS_PUBLIC_KEYS`.
    pub checkpoints_other_key: u64,
    /// Of those, legacy HMAC checkpoints (before migration 0005), verified with the secret.
    pub checkpoints_legacy_hmac: u64,
    /// Legacy HMAC checkpoints another secret wrote (so unverifiable here), each at or before
    /// a saved head that vouches for it (`--against`; docs/AUDIT.md); not in the counts above.
    pub checkpoints_legacy_vouched: u64,
    /// Saved heads (`--against`) found in the chain with the same hash.
    pub heads_checked: u64,
    /// The newest checkpoint's sequence number.
    pub last_checkpoint: Option<u64>,
    /// The first problem, or none when the chain is whole.
    pub problem: Option<AuditProblem>,
    /// Kept balances compared with their journal (`ledger check`).
    pub balances_checked: u64,
    /// Each kept balance that is not the sum of its journal lines; none when they agree.
    pub balance_differences: Vec<BalanceDifference>,
}

/// A signed head as `audit head` prints it (one JSON line) and `audit verify --against` reads
/// it back: a checkpoint kept outside the database. Hex throughout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadLine {
    /// The chain had this many entries…
    pub seq: u64,
    /// …ending in this hash.
    pub hash: String,
    /// Always `ed25519`.
    pub algorithm: String,
    /// The signer's public key.
    pub public_key: String,
    /// The Ed25519 signature of the checkpoint message (docs/AUDIT.md).
    pub signature: String,
}

impl HeadLine {
    /// Signs the head (`seq`, `hash`) with `key`.
    #[must_use]
    pub fn sign(key: &CheckpointKey, seq: u64, hash: &Hash) -> HeadLine {
        HeadLine {
            seq,
            hash: hex(hash),
            algorithm: CheckpointAlgorithm::Ed25519.as_str().to_owned(),
            public_key: key.public_key().to_string(),
            signature: hex(&key.sign(seq, hash)),
        }
    }

    /// The hash, if its signature verifies under a key `key` knows; else the problem.
    fn check(&self, key: &CheckpointKey) -> Result<Hash, AuditProblem> {
        let seq = self.seq;
        let decoded = (
            audit::from_hex(&self.hash).and_then(|bytes| Hash::try_from(bytes).ok()),
            audit::from_hex(&self.public_key),
            audit::from_hex(&self.signature),
        );
        let (Some(hash), Some(public_key), Some(signature)) = decoded else {
            return Err(AuditProblem {
                seq,
                reason: format!("the saved head at entry {seq} is not hex"),
            });
        };
        let checkpoint = SignedCheckpoint {
            seq,
            hash: &hash,
            algorithm: &self.algorithm,
            key_id: &public_key,
            signature: &signature,
        };
        match key.check(&checkpoint) {
            Ok(CheckpointSigner::Current | CheckpointSigner::Previous) => Ok(hash),
            Ok(CheckpointSigner::LegacyHmac) => Err(AuditProblem {
                seq,
                reason: format!("the saved head at entry {seq} is not signed with Ed25519"),
            }),
            Err(rejection) => Err(AuditProblem {
                seq,
                reason: format!("saved head: {rejection}"),
            }),
        }
    }
}

impl AuditReport {
    /// Whether the chain verified and every kept balance equals its journal.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.chain_is_whole() && self.balance_differences.is_empty()
    }

    /// Whether the chain verified (whatever the balances).
    #[must_use]
    pub fn chain_is_whole(&self) -> bool {
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
        /// `ed25519`, or `hmac-sha256` for checkpoints from before migration 0005.
        algorithm: String,
        /// Ed25519: the signer's public key; HMAC: the key's 8-byte fingerprint. Hex.
        key_id: String,
        /// Hex.
        signature: String,
    },
}

fn hex(bytes: &[u8]) -> String {
    audit::to_hex(bytes)
}

fn hash(bytes: &[u8]) -> Hash {
    // A stored value of the wrong length can never match a real hash.
    Hash::try_from(bytes).unwrap_or([0xff; 32])
}

fn seq_u64(seq: i64) -> u64 {
    u64::try_from(seq).unwrap_or(0)
}

impl Database {
    /// Recomputes the whole chain and checks every checkpoint against it, then every kept
    /// balance against the journal ([`Database::ledger_check`]).
    pub async fn audit_verify(&self, key: &CheckpointKey) -> Result<AuditReport, StorageError> {
        self.audit_verify_against(key, &[]).await
    }

    /// Verifies the chain, then signs its head with `key` for keeping outside the database:
    /// the head only when the chain verified and is not empty.
    pub async fn audit_head(
        &self,
        key: &CheckpointKey,
    ) -> Result<(AuditReport, Option<HeadLine>), StorageError> {
        let report = self.audit_verify(key).await?;
        // The head witnesses the chain: kept balances that drifted from the journal are
        // reported (and fail `audit verify`) but do not make the chain unsafe to sign.
        let head = (report.chain_is_whole() && report.entries > 0).then(|| {
            let hash = audit::from_hex(&report.head)
                .and_then(|bytes| Hash::try_from(bytes).ok())
                .expect("the report's head is the hex of a hash");
            HeadLine::sign(key, report.entries, &hash)
        });
        Ok((report, head))
    }

    /// As [`Database::audit_verify`], and every saved head must verify under a known key and
    /// still be in the chain with the same hash: this catches a rewrite made with the secret.
    pub async fn audit_verify_against(
        &self,
        key: &CheckpointKey,
        heads: &[HeadLine],
    ) -> Result<AuditReport, StorageError> {
        let mut report = self.chain_verify_against(key, heads).await?;
        let balances = self.ledger_check().await?;
        report.balances_checked = balances.balances_checked;
        report.balance_differences = balances.differences;
        Ok(report)
    }

    /// The chain's part of [`Database::audit_verify_against`].
    async fn chain_verify_against(
        &self,
        key: &CheckpointKey,
        heads: &[HeadLine],
    ) -> Result<AuditReport, StorageError> {
        let mut report = AuditReport {
            entries: 0,
            head: String::new(),
            public_key: key.public_key().to_string(),
            checkpoints_verified: 0,
            checkpoints_other_key: 0,
            checkpoints_legacy_hmac: 0,
            checkpoints_legacy_vouched: 0,
            heads_checked: 0,
            last_checkpoint: None,
            problem: None,
            balances_checked: 0,
            balance_differences: Vec::new(),
        };
        let mut saved: BTreeMap<u64, Vec<Hash>> = BTreeMap::new();
        for head in heads {
            match head.check(key) {
                Ok(hash) => saved.entry(head.seq).or_default().push(hash),
                Err(problem) => {
                    report.problem = Some(problem);
                    report.head = hex(&audit::GENESIS_PREV_HASH);
                    return Ok(report);
                }
            }
        }
        let mut verifier = Verifier::default();
        let mut checkpoints = CheckpointCursor::new(self);
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
                let seq = seq_u64(record.seq);
                while let Some(checkpoint) = checkpoints.next_at_or_before(seq).await? {
                    let vouched = saved.range(seq..).next().is_some();
                    if let Some(problem) =
                        check(key, &checkpoint, (seq, &entry.hash), vouched, &mut report)
                    {
                        report.problem = Some(problem);
                        break 'pages;
                    }
                }
                for hash in saved.get(&seq).into_iter().flatten() {
                    if *hash != entry.hash {
                        report.problem = Some(AuditProblem {
                            seq,
                            reason: format!(
                                "entry {seq} does not match the saved head of its hash: the chain was rewritten"
                            ),
                        });
                        break 'pages;
                    }
                    report.heads_checked += 1;
                }
            }
        }
        report.entries = verifier.length();
        report.head = hex(&verifier.head());
        if report.problem.is_none() {
            report.problem = self
                .problem_at_the_end(&mut checkpoints, &report, &saved)
                .await?;
        }
        Ok(report)
    }

    /// What only the end of a chain that verified so far shows: checkpoints or saved heads
    /// beyond it (newer entries were removed), or a newest entry no checkpoint signs.
    async fn problem_at_the_end(
        &self,
        checkpoints: &mut CheckpointCursor<'_>,
        report: &AuditReport,
        saved: &BTreeMap<u64, Vec<Hash>>,
    ) -> Result<Option<AuditProblem>, StorageError> {
        let length = report.entries;
        if let Some(checkpoint) = checkpoints.next_at_or_before(u64::MAX).await? {
            return Ok(Some(AuditProblem {
                seq: length + 1,
                reason: format!(
                    "the chain ends at entry {length} but a signed checkpoint covers entry {}: newer entries were removed",
                    checkpoint.seq
                ),
            }));
        }
        // Every batch signs its last entry in the transaction that appends it, so the newest
        // entry always has a checkpoint: without one, checkpoints were deleted (to hide a
        // rewrite) or the entry was appended outside the application.
        if length > 0 && report.last_checkpoint != Some(length) {
            return Ok(Some(AuditProblem {
                seq: length,
                reason: format!(
                    "entry {length}, the newest, has no signed checkpoint (checkpoints deleted or entries appended outside the application)"
                ),
            }));
        }
        if let Some((&seq, _)) = saved.range(length + 1..).next() {
            return Ok(Some(AuditProblem {
                seq,
                reason: format!(
                    "a saved head names entry {seq} but the chain ends at entry {length}: entries were removed"
                ),
            }));
        }
        Ok(None)
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
                algorithm: checkpoint.algorithm,
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

/// Checks a checkpoint against the verified entry it names: its signature under a known key,
/// then its hash.
///
/// `vouched`: a saved head signed under a known key names this entry or a later one. `audit
/// head` signs only a chain that verified in full, so that head vouches for the legacy HMAC
/// checkpoints before it, which a rotated secret can no longer verify itself (the head must
/// still match the chain, checked at its own entry).
fn check(
    key: &CheckpointKey,
    checkpoint: &Checkpoint,
    (seq, entry_hash): (u64, &Hash),
    vouched: bool,
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
    let stored = SignedCheckpoint {
        seq,
        hash: &hash(&checkpoint.hash),
        algorithm: &checkpoint.algorithm,
        key_id: &checkpoint.key_id,
        signature: &checkpoint.signature,
    };
    match key.check(&stored) {
        Ok(signer) => {
            report.checkpoints_verified += 1;
            match signer {
                CheckpointSigner::Current => {}
                CheckpointSigner::Previous => report.checkpoints_other_key += 1,
                CheckpointSigner::LegacyHmac => report.checkpoints_legacy_hmac += 1,
            }
        }
        Err(audit::CheckpointRejection::LegacyUnverifiable { .. }) if vouched => {
            report.checkpoints_legacy_vouched += 1;
        }
        Err(rejection) => {
            return Some(AuditProblem {
                seq,
                reason: rejection.to_string(),
            });
        }
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
