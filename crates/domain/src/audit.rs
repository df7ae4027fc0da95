//! The audit chain: each entry's hash covers its fields and the previous entry's hash, so any
//! edit, deletion or reordering of stored entries breaks every hash after it.
//!
//! Hashes are SHA-256 over an unambiguous binary encoding (every variable-length field is
//! length-prefixed) behind a domain-separation prefix, so a chain hash can never be confused
//! with the hash of some other structure that happens to share bytes. The format is versioned
//! in the prefix; it is to be documented for independent verifiers with `audit export`.

use sha2::{Digest as _, Sha256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The `prev_hash` of the first entry.
pub const GENESIS_PREV_HASH: Hash = [0; 32];

/// Prefix of every entry hash's input.
const ENTRY_DOMAIN: &[u8] = b"donation_platform/audit-entry/v1\0";

/// Prefix of every payload digest's input.
const PAYLOAD_DOMAIN: &[u8] = b"donation_platform/audit-payload/v1\0";

/// The fields of an entry that its hash covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryFields<'a> {
    /// Position in the chain, from 1, without gaps.
    pub seq: u64,
    /// When it was recorded, RFC 3339 in UTC, as stored.
    pub recorded_at: &'a str,
    /// Who did it (`user:<id>`, `token:<id>`, `system`).
    pub actor: &'a str,
    /// What was done (`donation.create`, `user.disable`, …).
    pub action: &'a str,
    /// What it was done to (`donation:<id>`, …).
    pub subject: &'a str,
    /// [`payload_digest`] of the canonical payload.
    pub payload_digest: Hash,
}

/// The digest of an entry's canonical payload bytes.
#[must_use]
pub fn payload_digest(canonical_payload: &[u8]) -> Hash {
    Sha256::new()
        .chain_update(PAYLOAD_DOMAIN)
        .chain_update(canonical_payload)
        .finalize()
        .into()
}

/// The hash of an entry that follows the entry whose hash is `prev_hash`.
#[must_use]
pub fn entry_hash(prev_hash: &Hash, entry: &EntryFields<'_>) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(ENTRY_DOMAIN);
    hasher.update(entry.seq.to_be_bytes());
    for field in [entry.recorded_at, entry.actor, entry.action, entry.subject] {
        let length = u32::try_from(field.len()).expect("audit fields are far shorter than 4 GiB");
        hasher.update(length.to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hasher.update(entry.payload_digest);
    hasher.update(prev_hash);
    hasher.finalize().into()
}

/// A stored entry as read back for verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEntry<'a> {
    /// The hashed fields.
    pub fields: EntryFields<'a>,
    /// The canonical payload as stored.
    pub payload: &'a [u8],
    /// The previous hash as stored.
    pub prev_hash: Hash,
    /// The hash as stored.
    pub hash: Hash,
}

/// The first thing wrong in a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// An entry is missing or out of order: `expected` was due, `found` came.
    #[error("sequence {found} where {expected} was expected (an entry is missing or out of order)")]
    Sequence {
        /// The sequence number that was due.
        expected: u64,
        /// The one that came.
        found: u64,
    },
    /// The stored payload does not match its digest.
    #[error("entry {seq}: the payload does not match its digest (edited)")]
    Payload {
        /// The entry.
        seq: u64,
    },
    /// The entry does not link to the previous one.
    #[error("entry {seq}: previous hash does not match entry {prev}")]
    Link {
        /// The entry.
        seq: u64,
        /// The entry it should link to.
        prev: u64,
    },
    /// The stored hash is not the hash of the entry.
    #[error("entry {seq}: hash does not match its contents (edited)")]
    Hash {
        /// The entry.
        seq: u64,
    },
}

impl ChainBreak {
    /// The sequence number of the first bad entry.
    #[must_use]
    pub fn seq(self) -> u64 {
        match self {
            ChainBreak::Sequence { expected, .. } => expected,
            ChainBreak::Payload { seq }
            | ChainBreak::Link { seq, .. }
            | ChainBreak::Hash { seq } => seq,
        }
    }
}

/// Recomputes a chain in order from its first entry; returns the head hash and length, or the
/// first break.
pub fn verify<'a>(
    entries: impl IntoIterator<Item = StoredEntry<'a>>,
) -> Result<(u64, Hash), ChainBreak> {
    let mut verifier = Verifier::default();
    for entry in entries {
        verifier.push(&entry)?;
    }
    Ok((verifier.length(), verifier.head()))
}

/// Verifies a chain entry by entry, for chains read in pages.
#[derive(Clone, Debug)]
pub struct Verifier {
    prev_hash: Hash,
    length: u64,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            prev_hash: GENESIS_PREV_HASH,
            length: 0,
        }
    }
}

impl Verifier {
    /// Checks the next entry against everything before it.
    pub fn push(&mut self, entry: &StoredEntry<'_>) -> Result<(), ChainBreak> {
        let expected = self.length + 1;
        let seq = entry.fields.seq;
        if seq != expected {
            return Err(ChainBreak::Sequence {
                expected,
                found: seq,
            });
        }
        if payload_digest(entry.payload) != entry.fields.payload_digest {
            return Err(ChainBreak::Payload { seq });
        }
        if entry.prev_hash != self.prev_hash {
            return Err(ChainBreak::Link { seq, prev: seq - 1 });
        }
        if entry_hash(&self.prev_hash, &entry.fields) != entry.hash {
            return Err(ChainBreak::Hash { seq });
        }
        self.prev_hash = entry.hash;
        self.length = seq;
        Ok(())
    }

    /// How many entries verified so far.
    #[must_use]
    pub fn length(&self) -> u64 {
        self.length
    }

    /// The hash of the last verified entry (the genesis value before any).
    #[must_use]
    pub fn head(&self) -> Hash {
        self.prev_hash
    }
}

/// How `recorded_at` is written into a hash: RFC 3339 in UTC with exactly six fractional
/// digits (`2026-11-26T10:00:00.000000Z`). Both databases keep microseconds, so a time read back
/// formats to the same bytes.
pub const RECORDED_AT_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
);

/// A time as it enters the chain: truncated to the microsecond, in UTC.
#[must_use]
pub fn chain_time(at: time::OffsetDateTime) -> time::OffsetDateTime {
    let at = at.to_offset(time::UtcOffset::UTC);
    at.replace_nanosecond(at.microsecond() * 1000)
        .expect("whole microseconds are valid nanoseconds")
}

/// `recorded_at` in [`RECORDED_AT_FORMAT`].
#[must_use]
pub fn format_recorded_at(at: time::OffsetDateTime) -> String {
    chain_time(at)
        .format(RECORDED_AT_FORMAT)
        .expect("a UTC time formats")
}

/// Prefix of every checkpoint signature's input.
const CHECKPOINT_DOMAIN: &[u8] = b"donation_platform/audit-checkpoint/v1\0";

/// The key that signs checkpoints, derived from `SECRET_KEY_BASE` so that no second secret
/// has to be managed, and bound to this purpose so it signs nothing else.
#[derive(Clone)]
pub struct CheckpointKey {
    key: [u8; 32],
    id: [u8; 8],
}

impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl CheckpointKey {
    /// Derives the key: HMAC-SHA-256(secret, purpose label).
    #[must_use]
    pub fn derive(secret_key_base: &[u8]) -> CheckpointKey {
        let key: [u8; 32] = hmac_sha256(
            secret_key_base,
            &[b"donation_platform/audit-checkpoint-key/v1"],
        );
        let id_digest: [u8; 32] = Sha256::new()
            .chain_update(b"key-id")
            .chain_update(key)
            .finalize()
            .into();
        let mut id = [0; 8];
        id.copy_from_slice(&id_digest[..8]);
        CheckpointKey { key, id }
    }

    /// A public fingerprint of the key, stored with each checkpoint so a rotated
    /// `SECRET_KEY_BASE` is told apart from a forged signature.
    #[must_use]
    pub fn id(&self) -> [u8; 8] {
        self.id
    }

    /// Signs "the chain had `seq` entries and its head hash was `head`".
    #[must_use]
    pub fn sign(&self, seq: u64, head: &Hash) -> Hash {
        hmac_sha256(&self.key, &[CHECKPOINT_DOMAIN, &seq.to_be_bytes(), head])
    }

    /// Whether `signature` is this key's signature of (`seq`, `head`), compared in constant time.
    #[must_use]
    pub fn verify(&self, seq: u64, head: &Hash, signature: &[u8]) -> bool {
        use hmac::Mac as _;
        let mut mac = <hmac::Hmac<Sha256> as hmac::Mac>::new_from_slice(&self.key)
            .expect("HMAC takes any key length");
        for part in [CHECKPOINT_DOMAIN, &seq.to_be_bytes(), head] {
            mac.update(part);
        }
        mac.verify_slice(signature).is_ok()
    }
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Hash {
    use hmac::Mac as _;
    let mut mac =
        <hmac::Hmac<Sha256> as hmac::Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Owned {
        seq: u64,
        actor: String,
        payload: Vec<u8>,
        prev_hash: Hash,
        hash: Hash,
    }

    impl Owned {
        fn fields(&self) -> EntryFields<'_> {
            EntryFields {
                seq: self.seq,
                recorded_at: "2026-11-26T10:00:00Z",
                actor: &self.actor,
                action: "donation.create",
                subject: "donation:1",
                payload_digest: payload_digest(&self.payload),
            }
        }

        fn stored(&self) -> StoredEntry<'_> {
            StoredEntry {
                fields: self.fields(),
                payload: &self.payload,
                prev_hash: self.prev_hash,
                hash: self.hash,
            }
        }
    }

    fn chain(length: u64) -> Vec<Owned> {
        let mut prev_hash = GENESIS_PREV_HASH;
        (1..=length)
            .map(|seq| {
                let mut entry = Owned {
                    seq,
                    actor: format!("user:{seq}"),
                    payload: format!(r#"{{"amount":"{seq}.00"}}"#).into_bytes(),
                    prev_hash,
                    hash: [0; 32],
                };
                entry.hash = entry_hash(&prev_hash, &entry.fields());
                prev_hash = entry.hash;
                entry
            })
            .collect()
    }

    fn check(entries: &[Owned]) -> Result<(u64, Hash), ChainBreak> {
        verify(entries.iter().map(Owned::stored))
    }

    #[test]
    fn an_untouched_chain_verifies_to_its_head() {
        let entries = chain(5);
        assert_eq!(check(&entries), Ok((5, entries[4].hash)));
        assert_eq!(check(&[]), Ok((0, GENESIS_PREV_HASH)));
    }

    #[test]
    fn an_edited_field_is_found_at_its_entry() {
        let mut entries = chain(5);
        entries[2].actor = "user:999".to_owned();
        assert_eq!(check(&entries).unwrap_err().seq(), 3);
    }

    #[test]
    fn an_edited_payload_is_found_at_its_entry() {
        let mut entries = chain(5);
        entries[3].payload = br#"{"amount":"9999.00"}"#.to_vec();
        // The digest is recomputed from the payload, so the entry hash no longer matches.
        assert_eq!(check(&entries).unwrap_err().seq(), 4);
    }

    #[test]
    fn a_deleted_entry_is_found_where_it_is_missing() {
        let mut entries = chain(5);
        entries.remove(1);
        assert_eq!(
            check(&entries),
            Err(ChainBreak::Sequence {
                expected: 2,
                found: 3
            })
        );
    }

    #[test]
    fn swapped_entries_are_found_at_the_first_swapped_position() {
        let mut entries = chain(5);
        entries.swap(1, 2);
        assert_eq!(check(&entries).unwrap_err().seq(), 2);
    }

    #[test]
    fn a_rewritten_tail_with_renumbered_entries_still_breaks_the_links() {
        let mut entries = chain(5);
        entries.remove(2);
        for entry in &mut entries[2..] {
            entry.seq -= 1;
        }
        assert_eq!(check(&entries).unwrap_err().seq(), 3);
    }

    #[test]
    fn length_prefixes_keep_field_boundaries_unambiguous() {
        let base = EntryFields {
            seq: 1,
            recorded_at: "t",
            actor: "ab",
            action: "c",
            subject: "s",
            payload_digest: payload_digest(b"{}"),
        };
        let shifted = EntryFields {
            actor: "a",
            action: "bc",
            ..base.clone()
        };
        assert_ne!(
            entry_hash(&GENESIS_PREV_HASH, &base),
            entry_hash(&GENESIS_PREV_HASH, &shifted)
        );
    }

    #[test]
    fn checkpoints_verify_only_with_the_key_that_signed_them() {
        let key = CheckpointKey::derive(
            b"a secret key base of at least sixty-four bytes, for the test.....",
        );
        let other = CheckpointKey::derive(b"another secret key base");
        let head = [9; 32];
        let signature = key.sign(7, &head);
        assert!(key.verify(7, &head, &signature));
        assert!(!key.verify(8, &head, &signature));
        assert!(!key.verify(7, &[8; 32], &signature));
        assert!(!other.verify(7, &head, &signature));
        assert_ne!(key.id(), other.id());
    }

    #[test]
    fn recorded_at_has_six_fraction_digits_in_utc() {
        let at = time::macros::datetime!(2026-11-26 17:00:00.123456789 +07:00);
        assert_eq!(format_recorded_at(at), "2026-11-26T10:00:00.123456Z");
    }
}
