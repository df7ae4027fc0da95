-- The books follow the law by construction (docs/BOOKS.md): campaigns declare what their money
-- may pay for; donations keep the account they are held in and, for another currency, the
-- rupiah rate they were booked at; reversals keep what they gave back and what the amil owes;
-- distributions name an asnaf or (non-halal money) a public purpose; wakaf benefits are
-- recorded apart from the principal. Columns only added; rows written before stay as they
-- were (a NULL `account` means the account the older rules chose).

-- Comma-separated asnaf (NULL: every asnaf but the amil) and the amil's share of infak for it.
ALTER TABLE campaigns ADD COLUMN allowed_asnaf TEXT;
ALTER TABLE campaigns ADD COLUMN amil_share_percent TEXT;

ALTER TABLE donations ADD COLUMN account TEXT;
ALTER TABLE donations ADD COLUMN rate_to_idr TEXT;
ALTER TABLE donations ADD COLUMN booked_minor BIGINT CHECK (booked_minor > 0);

ALTER TABLE donation_reversals ADD COLUMN booked_minor BIGINT CHECK (booked_minor > 0);
ALTER TABLE donation_reversals ADD COLUMN receivable_minor BIGINT NOT NULL DEFAULT 0
    CHECK (receivable_minor >= 0);

-- SQLite cannot drop a NOT NULL: the table is rebuilt with its rows (DROP TABLE fires no
-- DELETE trigger), then its append-only triggers are made again.
CREATE TABLE distributions_with_purpose (
    id             BLOB        PRIMARY KEY,
    fund           TEXT        NOT NULL,
    campaign_id    BLOB        REFERENCES campaigns (id),
    recipient_id   BLOB        NOT NULL REFERENCES recipients (id),
    asnaf          TEXT,
    purpose        TEXT,
    program        TEXT        NOT NULL,
    amount_minor   BIGINT      NOT NULL CHECK (amount_minor > 0),
    currency       TEXT        NOT NULL,
    method         TEXT        NOT NULL,
    distributed_on TEXT        NOT NULL,
    note           TEXT,
    recorded_by    BIGINT      NOT NULL REFERENCES users (id),
    recorded_at    TEXT        NOT NULL,
    CHECK ((asnaf IS NULL) <> (purpose IS NULL))
);
INSERT INTO distributions_with_purpose (id, fund, campaign_id, recipient_id, asnaf, program,
    amount_minor, currency, method, distributed_on, note, recorded_by, recorded_at)
SELECT id, fund, campaign_id, recipient_id, asnaf, program, amount_minor, currency, method,
    distributed_on, note, recorded_by, recorded_at FROM distributions;
DROP TABLE distributions;
ALTER TABLE distributions_with_purpose RENAME TO distributions;
CREATE TRIGGER distributions_are_never_updated BEFORE UPDATE ON distributions
BEGIN
    SELECT RAISE(ABORT, 'distributions is append-only');
END;
CREATE TRIGGER distributions_are_never_deleted BEFORE DELETE ON distributions
BEGIN
    SELECT RAISE(ABORT, 'distributions is append-only');
END;

-- What wakaf assets earned, into the distributable `wakaf_benefits` fund.
CREATE TABLE wakaf_benefits (
    id                 BLOB        PRIMARY KEY,
    amount_minor       BIGINT      NOT NULL CHECK (amount_minor > 0),
    currency           TEXT        NOT NULL,
    method             TEXT        NOT NULL,
    received_on        TEXT        NOT NULL,
    source             TEXT        NOT NULL,
    nazhir_share_minor BIGINT      NOT NULL CHECK (nazhir_share_minor >= 0),
    note               TEXT,
    recorded_by        BIGINT      NOT NULL REFERENCES users (id),
    recorded_at        TEXT        NOT NULL
);
CREATE TRIGGER wakaf_benefits_are_never_updated BEFORE UPDATE ON wakaf_benefits
BEGIN
    SELECT RAISE(ABORT, 'wakaf_benefits is append-only');
END;
CREATE TRIGGER wakaf_benefits_are_never_deleted BEFORE DELETE ON wakaf_benefits
BEGIN
    SELECT RAISE(ABORT, 'wakaf_benefits is append-only');
END;
