-- The ledger: API tokens, donors, campaigns, recipients, donations with their reversals,
-- distributions, the double-entry journal, idempotency keys, settings and signed audit
-- checkpoints. Money is BIGINT minor units. Financial tables are append-only (triggers below).

-- Only a SHA-256 of a token is stored: tokens carry 256 random bits, so a fast hash is
-- enough (slow hashes are for low-entropy passwords).
CREATE TABLE api_tokens (
    id          INTEGER     PRIMARY KEY,
    user_id     BIGINT      NOT NULL REFERENCES users (id),
    token_hash  BLOB        NOT NULL UNIQUE,
    created_at  TEXT        NOT NULL,
    revoked_at  TEXT       
);

-- Personal data (UU 27/2022) lives only here and in `recipients`, never in the journal or the
-- audit chain, so it can be erased while the financial records stay whole.
CREATE TABLE donors (
    id         BLOB        PRIMARY KEY,
    name       TEXT        NOT NULL,
    nik        TEXT,
    npwp       TEXT,
    npwz       TEXT,
    phone      TEXT,
    email      TEXT,
    address    TEXT,
    created_at TEXT        NOT NULL
);

CREATE TABLE recipients (
    id         BLOB        PRIMARY KEY,
    name       TEXT        NOT NULL,
    nik        TEXT,
    phone      TEXT,
    address    TEXT,
    created_at TEXT        NOT NULL
);

CREATE TABLE campaigns (
    id         BLOB        PRIMARY KEY,
    name       TEXT        NOT NULL,
    purpose    TEXT        NOT NULL,
    created_at TEXT        NOT NULL
);

CREATE TABLE donations (
    id               BLOB        PRIMARY KEY,
    receipt_year     INTEGER     NOT NULL,
    receipt_serial   BIGINT      NOT NULL CHECK (receipt_serial > 0),
    type             TEXT        NOT NULL,
    fund             TEXT        NOT NULL,
    campaign_id      BLOB        REFERENCES campaigns (id),
    donor_id         BLOB        REFERENCES donors (id),
    amount_minor     BIGINT      NOT NULL CHECK (amount_minor > 0),
    currency         TEXT        NOT NULL,
    method           TEXT        NOT NULL,
    received_on      TEXT        NOT NULL,
    note             TEXT,
    amil_share_minor BIGINT      NOT NULL CHECK (amil_share_minor >= 0),
    recorded_by      BIGINT      NOT NULL REFERENCES users (id),
    recorded_at      TEXT        NOT NULL,
    UNIQUE (receipt_year, receipt_serial)
);
CREATE INDEX donations_by_recorded_at ON donations (recorded_at, id);

-- A void or a (partial) refund: the donation stays, this row and its journal entry reverse it.
CREATE TABLE donation_reversals (
    id               BLOB        PRIMARY KEY,
    donation_id      BLOB        NOT NULL REFERENCES donations (id),
    kind             TEXT        NOT NULL CHECK (kind IN ('void', 'refund')),
    amount_minor     BIGINT      NOT NULL CHECK (amount_minor > 0),
    amil_share_minor BIGINT      NOT NULL CHECK (amil_share_minor >= 0),
    reason           TEXT,
    recorded_by      BIGINT      NOT NULL REFERENCES users (id),
    recorded_at      TEXT        NOT NULL
);
CREATE INDEX donation_reversals_by_donation ON donation_reversals (donation_id);
CREATE UNIQUE INDEX donations_are_voided_once ON donation_reversals (donation_id) WHERE kind = 'void';

CREATE TABLE distributions (
    id             BLOB        PRIMARY KEY,
    fund           TEXT        NOT NULL,
    campaign_id    BLOB        REFERENCES campaigns (id),
    recipient_id   BLOB        NOT NULL REFERENCES recipients (id),
    asnaf          TEXT        NOT NULL,
    program        TEXT        NOT NULL,
    amount_minor   BIGINT      NOT NULL CHECK (amount_minor > 0),
    currency       TEXT        NOT NULL,
    method         TEXT        NOT NULL,
    distributed_on TEXT        NOT NULL,
    note           TEXT,
    recorded_by    BIGINT      NOT NULL REFERENCES users (id),
    recorded_at    TEXT        NOT NULL
);

-- Double entry: every entry's lines sum to zero per currency (debits positive, credits
-- negative). Balances are sums of lines; nothing keeps a running total.
CREATE TABLE journal_entries (
    id          BLOB        PRIMARY KEY,
    kind        TEXT        NOT NULL,
    source_id   BLOB        NOT NULL,
    posted_at   TEXT        NOT NULL
);

CREATE TABLE journal_lines (
    entry_id     BLOB   NOT NULL REFERENCES journal_entries (id),
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
    request_digest BLOB        NOT NULL,
    status         INTEGER     NOT NULL,
    body           BLOB        NOT NULL,
    created_at     TEXT        NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Settings are a history: the newest row per key is in force.
CREATE TABLE settings (
    id         INTEGER     PRIMARY KEY,
    key        TEXT        NOT NULL,
    value      TEXT        NOT NULL,
    changed_by TEXT        NOT NULL,
    changed_at TEXT        NOT NULL
);
CREATE INDEX settings_by_key ON settings (key, id);

-- A signed statement "the chain had `seq` entries ending in `hash`", written with every batch,
-- so removing the newest entries is detected.
CREATE TABLE audit_checkpoints (
    seq        BIGINT      PRIMARY KEY,
    hash       BLOB        NOT NULL,
    key_id     BLOB        NOT NULL,
    signature  BLOB        NOT NULL,
    created_at TEXT        NOT NULL
);

-- One row every writer locks first (`UPDATE … SET batches = batches + 1`), so writers in all
-- instances take turns: receipt numbers stay gap-free and the audit chain single.
CREATE TABLE ledger_head (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    batches BIGINT  NOT NULL
);
INSERT INTO ledger_head (id, batches) VALUES (1, 0);

CREATE TRIGGER donations_are_never_updated BEFORE UPDATE ON donations
BEGIN
    SELECT RAISE(ABORT, 'donations is append-only');
END;
CREATE TRIGGER donations_are_never_deleted BEFORE DELETE ON donations
BEGIN
    SELECT RAISE(ABORT, 'donations is append-only');
END;
CREATE TRIGGER donation_reversals_are_never_updated BEFORE UPDATE ON donation_reversals
BEGIN
    SELECT RAISE(ABORT, 'donation_reversals is append-only');
END;
CREATE TRIGGER donation_reversals_are_never_deleted BEFORE DELETE ON donation_reversals
BEGIN
    SELECT RAISE(ABORT, 'donation_reversals is append-only');
END;
CREATE TRIGGER distributions_are_never_updated BEFORE UPDATE ON distributions
BEGIN
    SELECT RAISE(ABORT, 'distributions is append-only');
END;
CREATE TRIGGER distributions_are_never_deleted BEFORE DELETE ON distributions
BEGIN
    SELECT RAISE(ABORT, 'distributions is append-only');
END;
CREATE TRIGGER journal_entries_are_never_updated BEFORE UPDATE ON journal_entries
BEGIN
    SELECT RAISE(ABORT, 'journal_entries is append-only');
END;
CREATE TRIGGER journal_entries_are_never_deleted BEFORE DELETE ON journal_entries
BEGIN
    SELECT RAISE(ABORT, 'journal_entries is append-only');
END;
CREATE TRIGGER journal_lines_are_never_updated BEFORE UPDATE ON journal_lines
BEGIN
    SELECT RAISE(ABORT, 'journal_lines is append-only');
END;
CREATE TRIGGER journal_lines_are_never_deleted BEFORE DELETE ON journal_lines
BEGIN
    SELECT RAISE(ABORT, 'journal_lines is append-only');
END;
CREATE TRIGGER settings_are_never_updated BEFORE UPDATE ON settings
BEGIN
    SELECT RAISE(ABORT, 'settings is append-only');
END;
CREATE TRIGGER settings_are_never_deleted BEFORE DELETE ON settings
BEGIN
    SELECT RAISE(ABORT, 'settings is append-only');
END;
CREATE TRIGGER audit_checkpoints_are_never_updated BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;
CREATE TRIGGER audit_checkpoints_are_never_deleted BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;
CREATE TRIGGER idempotency_keys_are_never_updated BEFORE UPDATE ON idempotency_keys
BEGIN
    SELECT RAISE(ABORT, 'idempotency_keys is append-only');
END;
