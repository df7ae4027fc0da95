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

/// Prefix of every legacy (HMAC-SHA-256) checkpoint signature's input.
const HMAC_CHECKPOINT_DOMAIN: &[u8] = b"donation_platform/audit-checkpoint/v1\0";

/// Prefix of every Ed25519 checkpoint signature's message. A new version: an HMAC checkpoint's
/// input can never be replayed as an Ed25519 message or the other way round.
const CHECKPOINT_DOMAIN: &[u8] = b"donation_platform/audit-checkpoint/v2\0";

/// The label the legacy HMAC key is derived with.
const HMAC_KEY_LABEL: &[u8] = b"donation_platform/audit-checkpoint-key/v1";

/// The label the Ed25519 seed is derived with.
const SIGNING_KEY_LABEL: &[u8] = b"donation_platform/audit-signing-key/v2";

/// How a checkpoint is signed, as stored in `audit_checkpoints.algorithm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckpointAlgorithm {
    /// RFC 8032 Ed25519: anyone holding the public key verifies. Every new checkpoint.
    Ed25519,
    /// HMAC-SHA-256 with a key derived from `SECRET_KEY_BASE`: checkpoints written before
    /// migration 0005, verifiable only with the secret that wrote them.
    HmacSha256,
}

impl CheckpointAlgorithm {
    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CheckpointAlgorithm::Ed25519 => "ed25519",
            CheckpointAlgorithm::HmacSha256 => "hmac-sha256",
        }
    }

    /// The algorithm a stored name names, if any.
    #[must_use]
    pub fn parse(name: &str) -> Option<CheckpointAlgorithm> {
        match name {
            "ed25519" => Some(CheckpointAlgorithm::Ed25519),
            "hmac-sha256" => Some(CheckpointAlgorithm::HmacSha256),
            _ => None,
        }
    }
}

/// Lowercase hex of `bytes`, the encoding of every hash, key and signature an auditor sees.
#[must_use]
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    out
}

/// The bytes of hex text (either case), or `None` if it is not an even number of hex digits.
#[must_use]
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    fn digit(c: u8) -> Option<u8> {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    }
    let text = text.as_bytes();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// Why text is not an Ed25519 public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PublicKeyError {
    /// Not 64 hex digits.
    #[error("is not 64 hex digits (a 32-byte Ed25519 public key as `audit head` prints it)")]
    Encoding,
    /// 32 bytes, but not a point on the curve.
    #[error("is not an Ed25519 public key (not a point on the curve)")]
    NotAPoint,
    /// A small-order point: anyone can make signatures that verify under it.
    #[error("is a weak Ed25519 key (small order) that proves nothing")]
    Weak,
}

/// An Ed25519 public key that checkpoints verify under; shown as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(ed25519_dalek::VerifyingKey);

impl PublicKey {
    /// The key whose 32-byte encoding is `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<PublicKey, PublicKeyError> {
        let bytes: &[u8; 32] = bytes.try_into().map_err(|_| PublicKeyError::Encoding)?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(bytes)
            .map_err(|_| PublicKeyError::NotAPoint)?;
        if key.is_weak() {
            return Err(PublicKeyError::Weak);
        }
        Ok(PublicKey(key))
    }

    /// The 32-byte encoding.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Whether `signature` is this key's signature of "the chain had `seq` entries and its
    /// head hash was `head`". Strict RFC 8032 verification (canonical encodings only).
    #[must_use]
    pub fn verify(&self, seq: u64, head: &Hash, signature: &[u8]) -> bool {
        let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        self.0
            .verify_strict(&checkpoint_message(seq, head), &signature)
            .is_ok()
    }
}

impl std::str::FromStr for PublicKey {
    type Err = PublicKeyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        PublicKey::from_bytes(&from_hex(text.trim()).ok_or(PublicKeyError::Encoding)?)
    }
}

impl std::fmt::Display for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&to_hex(&self.to_bytes()))
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

/// The message an Ed25519 checkpoint signs: prefix ‖ seq (u64 big-endian) ‖ head hash.
fn checkpoint_message(seq: u64, head: &Hash) -> Vec<u8> {
    let mut message = Vec::with_capacity(CHECKPOINT_DOMAIN.len() + 8 + 32);
    message.extend_from_slice(CHECKPOINT_DOMAIN);
    message.extend_from_slice(&seq.to_be_bytes());
    message.extend_from_slice(head);
    message
}

/// A checkpoint as stored, for [`CheckpointKey::check`].
#[derive(Clone, Copy, Debug)]
pub struct SignedCheckpoint<'a> {
    /// The chain had this many entries…
    pub seq: u64,
    /// …ending in this hash.
    pub hash: &'a Hash,
    /// `ed25519` or `hmac-sha256` (anything else is refused).
    pub algorithm: &'a str,
    /// Ed25519: the 32-byte public key; HMAC: the 8-byte key fingerprint.
    pub key_id: &'a [u8],
    /// The signature.
    pub signature: &'a [u8],
}

/// Which known key a checkpoint verified under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckpointSigner {
    /// The current Ed25519 key.
    Current,
    /// An earlier Ed25519 key listed in `AUDIT_PREVIOUS_PUBLIC_KEYS`.
    Previous,
    /// The current secret's legacy HMAC key (a checkpoint from before migration 0005).
    LegacyHmac,
}

/// Why a checkpoint does not verify. Each is a failure: a checkpoint counts only when its
/// signature verifies under a key the verifier knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointRejection {
    /// The algorithm column names no algorithm this release knows.
    #[error("the checkpoint at entry {seq} names an unknown signature algorithm")]
    UnknownAlgorithm {
        /// The checkpoint's sequence number.
        seq: u64,
    },
    /// Signed (or labelled) with a public key that is neither the current one nor listed.
    #[error(
        "the checkpoint at entry {seq} is signed with an unknown key (neither this SECRET_KEY_BASE's nor one in AUDIT_PREVIOUS_PUBLIC_KEYS): forged or relabelled"
    )]
    UnknownKey {
        /// The checkpoint's sequence number.
        seq: u64,
    },
    /// The key is known but the signature is not its signature of this checkpoint.
    #[error("the checkpoint at entry {seq} has a bad signature (forged or edited)")]
    BadSignature {
        /// The checkpoint's sequence number.
        seq: u64,
    },
    /// A legacy HMAC checkpoint written under another secret: nothing can verify it.
    #[error(
        "the checkpoint at entry {seq} is a legacy HMAC checkpoint from another SECRET_KEY_BASE: it cannot be verified"
    )]
    LegacyUnverifiable {
        /// The checkpoint's sequence number.
        seq: u64,
    },
}

/// The key that signs checkpoints, derived from `SECRET_KEY_BASE` so that no second secret
/// has to be managed, and bound to this purpose so it signs nothing else; with the earlier
/// public keys (secret rotation) whose checkpoints still count.
///
/// Derivation (documented in docs/AUDIT.md for independent verifiers):
/// `seed = HMAC-SHA-256(key = SECRET_KEY_BASE, message = "donation_platform/audit-signing-key/v2")`,
/// the 32-byte RFC 8032 Ed25519 secret key. HMAC is a PRF keyed with the secret, so the seed is
/// as unpredictable as the secret and tells nothing about it; the label keeps it apart from
/// every other key derived from the same secret.
#[derive(Clone)]
pub struct CheckpointKey {
    signing: ed25519_dalek::SigningKey,
    public: PublicKey,
    previous: Vec<PublicKey>,
    hmac_key: [u8; 32],
    hmac_id: [u8; 8],
}

impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointKey")
            .field("public", &self.public)
            .field("previous", &self.previous)
            .finish_non_exhaustive()
    }
}

impl CheckpointKey {
    /// Derives the signing key (and the legacy HMAC key) from `SECRET_KEY_BASE`.
    #[must_use]
    pub fn derive(secret_key_base: &[u8]) -> CheckpointKey {
        let seed = hmac_sha256(secret_key_base, &[SIGNING_KEY_LABEL]);
        let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
        let public = PublicKey(signing.verifying_key());
        let hmac_key: [u8; 32] = hmac_sha256(secret_key_base, &[HMAC_KEY_LABEL]);
        let id_digest: [u8; 32] = Sha256::new()
            .chain_update(b"key-id")
            .chain_update(hmac_key)
            .finalize()
            .into();
        let mut hmac_id = [0; 8];
        hmac_id.copy_from_slice(&id_digest[..8]);
        CheckpointKey {
            signing,
            public,
            previous: Vec::new(),
            hmac_key,
            hmac_id,
        }
    }

    /// This key, also accepting checkpoints signed by `previous` (the public keys of earlier
    /// `SECRET_KEY_BASE`s, from `AUDIT_PREVIOUS_PUBLIC_KEYS`).
    #[must_use]
    pub fn with_previous_public_keys(
        mut self,
        previous: impl IntoIterator<Item = PublicKey>,
    ) -> CheckpointKey {
        self.previous = previous.into_iter().collect();
        self
    }

    /// The public key: what auditors verify with, and what new checkpoints store as `key_id`.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        self.public
    }

    /// The earlier public keys whose checkpoints still count.
    #[must_use]
    pub fn previous_public_keys(&self) -> &[PublicKey] {
        &self.previous
    }

    /// Signs "the chain had `seq` entries and its head hash was `head`" with Ed25519.
    #[must_use]
    pub fn sign(&self, seq: u64, head: &Hash) -> [u8; 64] {
        use ed25519_dalek::Signer as _;
        self.signing.sign(&checkpoint_message(seq, head)).to_bytes()
    }

    /// Which known key `checkpoint` verified under, or why it does not count.
    pub fn check(
        &self,
        checkpoint: &SignedCheckpoint<'_>,
    ) -> Result<CheckpointSigner, CheckpointRejection> {
        let seq = checkpoint.seq;
        match CheckpointAlgorithm::parse(checkpoint.algorithm) {
            None => Err(CheckpointRejection::UnknownAlgorithm { seq }),
            Some(CheckpointAlgorithm::Ed25519) => {
                let Ok(key) = PublicKey::from_bytes(checkpoint.key_id) else {
                    return Err(CheckpointRejection::UnknownKey { seq });
                };
                let signer = if key == self.public {
                    CheckpointSigner::Current
                } else if self.previous.contains(&key) {
                    CheckpointSigner::Previous
                } else {
                    return Err(CheckpointRejection::UnknownKey { seq });
                };
                if key.verify(seq, checkpoint.hash, checkpoint.signature) {
                    Ok(signer)
                } else {
                    Err(CheckpointRejection::BadSignature { seq })
                }
            }
            Some(CheckpointAlgorithm::HmacSha256) => {
                if checkpoint.key_id != self.hmac_id {
                    return Err(CheckpointRejection::LegacyUnverifiable { seq });
                }
                if self.verify_hmac(seq, checkpoint.hash, checkpoint.signature) {
                    Ok(CheckpointSigner::LegacyHmac)
                } else {
                    Err(CheckpointRejection::BadSignature { seq })
                }
            }
        }
    }

    /// The legacy HMAC signature of (`seq`, `head`) under this secret, and its key fingerprint:
    /// what checkpoints written before migration 0005 hold (for tests of the migration).
    #[must_use]
    pub fn legacy_hmac_sign(&self, seq: u64, head: &Hash) -> (Hash, [u8; 8]) {
        (
            hmac_sha256(
                &self.hmac_key,
                &[HMAC_CHECKPOINT_DOMAIN, &seq.to_be_bytes(), head],
            ),
            self.hmac_id,
        )
    }

    /// Whether `signature` is the legacy HMAC of (`seq`, `head`), compared in constant time.
    fn verify_hmac(&self, seq: u64, head: &Hash, signature: &[u8]) -> bool {
        use hmac::Mac as _;
        let mut mac = <hmac::Hmac<Sha256> as hmac::Mac>::new_from_slice(&self.hmac_key)
            .expect("HMAC takes any key length");
        for part in [HMAC_CHECKPOINT_DOMAIN, &seq.to_be_bytes(), head] {
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

    const SECRET: &[u8] = b"a secret key base of at least sixty-four bytes, for the test.....";

    fn ed25519<'a>(
        key: &'a [u8],
        seq: u64,
        hash: &'a Hash,
        signature: &'a [u8],
    ) -> SignedCheckpoint<'a> {
        SignedCheckpoint {
            seq,
            hash,
            algorithm: "ed25519",
            key_id: key,
            signature,
        }
    }

    #[test]
    fn the_key_derivation_is_stable() {
        // A fixed vector: changing the derivation would orphan every stored checkpoint. The
        // public key was computed independently by tools/audit_verify.py's derivation, which
        // also verifies this signature.
        let key = CheckpointKey::derive(SECRET);
        assert_eq!(
            key.public_key().to_string(),
            "2e6797cde034a2c7bb2153d4e6b6601a5271d25d57591e30e688abca0979c348"
        );
        assert_eq!(
            to_hex(&key.sign(7, &[9; 32])),
            "5d2b41e4ab49e26eb45d3377014c7026c17a58e9af3f17d850236c31d586d046716713aaeb99dcbfaa4e121db30a508ccaf8b735680eb3f94b5954bac236200f"
        );
    }

    #[test]
    fn checkpoints_verify_with_the_public_key_alone() {
        let key = CheckpointKey::derive(SECRET);
        let head = [9; 32];
        let signature = key.sign(7, &head);
        let public = key.public_key();
        assert!(public.verify(7, &head, &signature));
        assert!(!public.verify(8, &head, &signature));
        assert!(!public.verify(7, &[8; 32], &signature));
        assert!(!public.verify(7, &head, &signature[..63]));
        let bytes = public.to_bytes();
        assert_eq!(
            key.check(&ed25519(&bytes, 7, &head, &signature)),
            Ok(CheckpointSigner::Current)
        );
    }

    #[test]
    fn a_signature_by_another_key_fails_under_this_one() {
        let key = CheckpointKey::derive(SECRET);
        let other = CheckpointKey::derive(b"another secret key base");
        let head = [9; 32];
        let forged = other.sign(7, &head);
        assert_ne!(key.public_key(), other.public_key());
        assert!(!key.public_key().verify(7, &head, &forged));
        // Labelled with the real key: the signature does not verify.
        let real = key.public_key().to_bytes();
        assert_eq!(
            key.check(&ed25519(&real, 7, &head, &forged)),
            Err(CheckpointRejection::BadSignature { seq: 7 })
        );
        // Labelled honestly with the other key: that key is unknown.
        let theirs = other.public_key().to_bytes();
        assert_eq!(
            key.check(&ed25519(&theirs, 7, &head, &forged)),
            Err(CheckpointRejection::UnknownKey { seq: 7 })
        );
        // Unless it is listed as an earlier key.
        let rotated = key.with_previous_public_keys([other.public_key()]);
        assert_eq!(
            rotated.check(&ed25519(&theirs, 7, &head, &forged)),
            Ok(CheckpointSigner::Previous)
        );
    }

    #[test]
    fn a_relabelled_key_id_is_refused() {
        let key = CheckpointKey::derive(SECRET);
        let head = [9; 32];
        let signature = key.sign(7, &head);
        for label in [&[0u8; 8][..], &[1; 32], b"not a key"] {
            assert_eq!(
                key.check(&ed25519(label, 7, &head, &signature)),
                Err(CheckpointRejection::UnknownKey { seq: 7 })
            );
        }
        let unknown = SignedCheckpoint {
            algorithm: "none",
            ..ed25519(&[0; 32], 7, &head, &signature)
        };
        assert_eq!(
            key.check(&unknown),
            Err(CheckpointRejection::UnknownAlgorithm { seq: 7 })
        );
    }

    #[test]
    fn legacy_hmac_checkpoints_verify_only_with_the_secret_that_wrote_them() {
        let key = CheckpointKey::derive(SECRET);
        let other = CheckpointKey::derive(b"another secret key base");
        let head = [9; 32];
        let (signature, id) = key.legacy_hmac_sign(7, &head);
        let legacy = SignedCheckpoint {
            algorithm: "hmac-sha256",
            ..ed25519(&id, 7, &head, &signature)
        };
        assert_eq!(key.check(&legacy), Ok(CheckpointSigner::LegacyHmac));
        let edited = SignedCheckpoint {
            signature: &[0; 32],
            ..legacy
        };
        assert_eq!(
            key.check(&edited),
            Err(CheckpointRejection::BadSignature { seq: 7 })
        );
        // A verifier without this secret can never count it.
        assert_eq!(
            other.check(&legacy),
            Err(CheckpointRejection::LegacyUnverifiable { seq: 7 })
        );
    }

    #[test]
    fn public_keys_parse_from_hex_and_refuse_what_is_not_a_key() {
        let public = CheckpointKey::derive(SECRET).public_key();
        assert_eq!(public.to_string().parse(), Ok(public));
        assert_eq!(public.to_string().to_uppercase().parse(), Ok(public));
        assert_eq!("abc".parse::<PublicKey>(), Err(PublicKeyError::Encoding));
        assert_eq!(
            "zz".repeat(32).parse::<PublicKey>(),
            Err(PublicKeyError::Encoding)
        );
        // The identity point (small order) is weak.
        let identity = format!("01{}", "00".repeat(31));
        assert_eq!(identity.parse::<PublicKey>(), Err(PublicKeyError::Weak));
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(to_hex(&[0, 1, 0xab, 0xff]), "0001abff");
        assert_eq!(from_hex("0001ABff"), Some(vec![0, 1, 0xab, 0xff]));
        assert_eq!(from_hex("0"), None);
        assert_eq!(from_hex("0g"), None);
    }

    #[test]
    fn recorded_at_has_six_fraction_digits_in_utc() {
        let at = time::macros::datetime!(2026-11-26 17:00:00.123456789 +07:00);
        assert_eq!(format_recorded_at(at), "2026-11-26T10:00:00.123456Z");
    }
}
