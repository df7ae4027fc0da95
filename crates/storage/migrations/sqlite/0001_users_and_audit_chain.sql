-- Users who sign in to the staff pages and API, and the audit chain that records every
-- financial and administrative action. Forward-only; later changes expand, then contract.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'amil', 'auditor')),
    password_hash TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    disabled_at   TEXT
);

-- One row per chain entry. `seq` is gap-free and assigned by the single writer path;
-- `hash` = SHA-256(domain prefix || seq || recorded_at || actor || action || subject ||
-- payload_digest || prev_hash), so any edit, deletion or reordering breaks the chain.
CREATE TABLE audit_entries (
    seq            INTEGER PRIMARY KEY,
    recorded_at    TEXT    NOT NULL,
    actor          TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    payload        TEXT    NOT NULL,
    payload_digest BLOB    NOT NULL,
    prev_hash      BLOB    NOT NULL,
    hash           BLOB    NOT NULL UNIQUE
);

-- The chain is append-only: the database itself refuses edits and deletions.
CREATE TRIGGER audit_entries_are_never_updated BEFORE UPDATE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit_entries is append-only');
END;

CREATE TRIGGER audit_entries_are_never_deleted BEFORE DELETE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit_entries is append-only');
END;
