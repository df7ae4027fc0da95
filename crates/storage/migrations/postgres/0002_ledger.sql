-- The ledger: API tokens, donors, campaigns, recipients, donations with their reversals,
-- distributions, the double-entry journal, idempotency keys, settings and signed audit
-- checkpoints. Money is BIGINT minor units. Financial tables are append-only (triggers below).

-- Only a SHA-256 of a token is stored: tokens carry 256 random bits, so a fast hash is
-- enough (slow hashes are for low-entropy passwords).
CREATE TABLE api_tokens (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT      NOT NULL REFERENCES users (id),
    token_hash  BYTEA       NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);

-- Personal data (UU 27/2022) lives only here and in `recipients`, never in the journal or the
-- audit chain, so it can be erased while the financial records stay whole.
CREATE TABLE donors (
    id         UUID        PRIMARY KEY,
    name       TEXT        NOT NULL,
    nik        TEXT,
    npwp       TEXT,
    npwz       TEXT,
    phone      TEXT,
    email      TEXT,
    address    TEXT,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE recipients (
    id         UUID        PRIMARY KEY,
    name       TEXT        NOT NULL,
    nik        TEXT,
    phone      TEXT,
    address    TEXT,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE campaigns (
    id         UUID        PRIMARY KEY,
    name       TEXT        NOT NULL,
    purpose    TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE donations (
    id               UUID        PRIMARY KEY,
    receipt_year     INTEGER     NOT NULL,
    receipt_serial   BIGINT      NOT NULL CHECK (receipt_serial > 0),
    type             TEXT        NOT NULL,
    fund             TEXT        NOT NULL,
    campaign_id      UUID        REFERENCES campaigns (id),
    donor_id         UUID        REFERENCES donors (id),
    amount_minor     BIGINT      NOT NULL CHECK (amount_minor > 0),
    currency         TEXT        NOT NULL,
    method           TEXT        NOT NULL,
    received_on      DATE        NOT NULL,
    note             TEXT,
    amil_share_minor BIGINT      NOT NULL CHECK (amil_share_minor >= 0),
    recorded_by      BIGINT      NOT NULL REFERENCES users (id),
    recorded_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (receipt_year, receipt_serial)
);
CREATE INDEX donations_by_recorded_at ON donations (recorded_at, id);

-- A void or a (partial) refund: the donation stays, this row and its journal entry reverse it.
CREATE TABLE donation_reversals (
    id               UUID        PRIMARY KEY,
    donation_id      UUID        NOT NULL REFERENCES donations (id),
    kind             TEXT        NOT NULL CHECK (kind IN ('void', 'refund')),
    amount_minor     BIGINT      NOT NULL CHECK (amount_minor > 0),
    amil_share_minor BIGINT      NOT NULL CHECK (amil_share_minor >= 0),
    reason           TEXT,
    recorded_by      BIGINT      NOT NULL REFERENCES users (id),
    recorded_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX donation_reversals_by_donation ON donation_reversals (donation_id);
CREATE UNIQUE INDEX donations_are_voided_once ON donation_reversals (donation_id) WHERE kind = 'void';

CREATE TABLE distributions (
    id             UUID        PRIMARY KEY,
    fund           TEXT        NOT NULL,
    campaign_id    UUID        REFERENCES campaigns (id),
    recipient_id   UUID        NOT NULL REFERENCES recipients (id),
    asnaf          TEXT        NOT NULL,
    program        TEXT        NOT NULL,
    amount_minor   BIGINT      NOT NULL CHECK (amount_minor > 0),
    currency       TEXT        NOT NULL,
    method         TEXT        NOT NULL,
    distributed_on DATE        NOT NULL,
    note           TEXT,
    recorded_by    BIGINT      NOT NULL REFERENCES users (id),
    recorded_at    TIMESTAMPTZ NOT NULL
);

-- Double entry: every entry's lines sum to zero per currency (debits positive, credits
-- negative). Balances are sums of lines; nothing keeps a running total.
CREATE TABLE journal_entries (
    id          UUID        PRIMARY KEY,
    kind        TEXT        NOT NULL,
    source_id   UUID        NOT NULL,
    posted_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE journal_lines (
    entry_id     UUID   NOT NULL REFERENCES journal_entries (id),
    line_no      INTEGER NOT NULL,
    account      TEXT   NOT NULL,
    currency     TEXT   NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor <> 0),
    PRIMARY KEY (entry_id, line_no)
);
CREATE INDEX journal_lines_by_account ON journal_lines (account, currency);

-- The response of every create, kept so a retry gets the same bytes back. The key is claimed
-- in the same transaction as what it creates.
CREATE TABLE idempotency_keys (
    user_id        BIGINT      NOT NULL REFERENCES users (id),
    key            TEXT        NOT NULL,
    request_digest BYTEA       NOT NULL,
    status         INTEGER     NOT NULL,
    body           BYTEA       NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Settings are a history: the newest row per key is in force.
CREATE TABLE settings (
    id         BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key        TEXT        NOT NULL,
    value      TEXT        NOT NULL,
    changed_by TEXT        NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX settings_by_key ON settings (key, id);

-- A signed statement "the chain had `seq` entries ending in `hash`", written with every batch,
-- so removing the newest entries is detected.
CREATE TABLE audit_checkpoints (
    seq        BIGINT      PRIMARY KEY,
    hash       BYTEA       NOT NULL,
    key_id     BYTEA       NOT NULL,
    signature  BYTEA       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- One row every writer locks first (`UPDATE … SET batches = batches + 1`), so writers in all
-- instances take turns: receipt numbers stay gap-free and the audit chain single.
CREATE TABLE ledger_head (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    batches BIGINT  NOT NULL
);
INSERT INTO ledger_head (id, batches) VALUES (1, 0);

CREATE TRIGGER donations_are_append_only BEFORE UPDATE OR DELETE ON donations
    FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER donations_are_never_truncated BEFORE TRUNCATE ON donations
    FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER donation_reversals_are_append_only BEFORE UPDATE OR DELETE ON donation_reversals
    FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER donation_reversals_are_never_truncated BEFORE TRUNCATE ON donation_reversals
    FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER distributions_are_append_only BEFORE UPDATE OR DELETE ON distributions
    FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER distributions_are_never_truncated BEFORE TRUNCATE ON distributions
    FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER journal_entries_are_append_only BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER journal_entries_are_never_truncated BEFORE TRUNCATE ON journal_entries
    FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER journal_lines_are_append_only BEFORE UPDATE OR DELETE ON journal_lines
    FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER journal_lines_are_never_truncated BEFORE TRUNCATE ON journal_lines
    FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER settings_are_append_only BEFORE UPDATE OR DELETE ON settings
    FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER audit_checkpoints_are_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER audit_checkpoints_are_never_truncated BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER idempotency_keys_are_append_only BEFORE UPDATE ON idempotency_keys
    FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
