-- Users who sign in to the staff pages and API, and the audit chain that records every
-- financial and administrative action. Forward-only; later changes expand, then contract.

CREATE TABLE users (
    id            BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT        NOT NULL UNIQUE,
    role          TEXT        NOT NULL CHECK (role IN ('admin', 'amil', 'auditor')),
    password_hash TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    disabled_at   TIMESTAMPTZ
);

-- One row per chain entry. `seq` is gap-free and assigned by the single writer path;
-- `hash` = SHA-256(domain prefix || seq || recorded_at || actor || action || subject ||
-- payload_digest || prev_hash), so any edit, deletion or reordering breaks the chain.
CREATE TABLE audit_entries (
    seq            BIGINT      PRIMARY KEY,
    recorded_at    TIMESTAMPTZ NOT NULL,
    actor          TEXT        NOT NULL,
    action         TEXT        NOT NULL,
    subject        TEXT        NOT NULL,
    payload        TEXT        NOT NULL,
    payload_digest BYTEA       NOT NULL,
    prev_hash      BYTEA       NOT NULL,
    hash           BYTEA       NOT NULL UNIQUE
);

-- The chain is append-only: the database itself refuses edits and deletions.
CREATE FUNCTION reject_append_only_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;

CREATE TRIGGER audit_entries_are_append_only
    BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();

CREATE TRIGGER audit_entries_are_never_truncated
    BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();
