-- Audit checkpoints are signed with Ed25519 from this release on, so an auditor verifies them
-- with the public key alone (docs/AUDIT.md). Each row now says how it was signed:
--   `ed25519`:     key_id is the signer's 32-byte public key, signature 64 bytes (RFC 8032);
--   `hmac-sha256`: key_id is the 8-byte fingerprint of the HMAC key, signature 32 bytes.
-- Every row written before this migration is an HMAC checkpoint: the default labels them.
-- It also labels rows a previous release writes after a rollback (it does not know the
-- column), so expand/contract holds: that release works on this schema unchanged, and its
-- checkpoints stay verifiable (with the secret) by this one.
-- HMAC checkpoints count only when verified with the SECRET_KEY_BASE that wrote them; a
-- verifier with only the public key reports them as unverifiable, never as ok.

ALTER TABLE audit_checkpoints ADD COLUMN algorithm TEXT NOT NULL DEFAULT 'hmac-sha256';
