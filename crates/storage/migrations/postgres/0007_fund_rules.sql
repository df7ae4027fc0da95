-- The books follow the law by construction (docs/BOOKS.md): campaigns declare what their money
-- may pay for; donations keep the account they are held in and, for another currency, the
-- rupiah rate they were booked at; reversals keep what they gave back and what the amil owes;
-- distributions name an asnaf or (non-halal money) a public purpose; wakaf benefits are
-- recorded apart from the principal. Columns only added or relaxed; rows written before stay
-- as they were (a NULL `account` means the account the older rules chose).

-- Comma-separated asnaf (NULL: every asnaf but the amil) and the amil's share of infak for it.
ALTER TABLE campaigns ADD COLUMN allowed_asnaf TEXT;
ALTER TABLE campaigns ADD COLUMN amil_share_percent TEXT;

ALTER TABLE donations ADD COLUMN account TEXT;
ALTER TABLE donations ADD COLUMN rate_to_idr TEXT;
ALTER TABLE donations ADD COLUMN booked_minor BIGINT CHECK (booked_minor > 0);

ALTER TABLE donation_reversals ADD COLUMN booked_minor BIGINT CHECK (booked_minor > 0);
ALTER TABLE donation_reversals ADD COLUMN receivable_minor BIGINT NOT NULL DEFAULT 0
    CHECK (receivable_minor >= 0);

ALTER TABLE distributions ALTER COLUMN asnaf DROP NOT NULL;
ALTER TABLE distributions ADD COLUMN purpose TEXT;
ALTER TABLE distributions ADD CONSTRAINT distributions_pay_an_asnaf_or_a_purpose
    CHECK ((asnaf IS NULL) <> (purpose IS NULL));

-- What wakaf assets earned, into the distributable `wakaf_benefits` fund.
CREATE TABLE wakaf_benefits (
    id                 UUID        PRIMARY KEY,
    amount_minor       BIGINT      NOT NULL CHECK (amount_minor > 0),
    currency           TEXT        NOT NULL,
    method             TEXT        NOT NULL,
    received_on        DATE        NOT NULL,
    source             TEXT        NOT NULL,
    nazhir_share_minor BIGINT      NOT NULL CHECK (nazhir_share_minor >= 0),
    note               TEXT,
    recorded_by        BIGINT      NOT NULL REFERENCES users (id),
    recorded_at        TIMESTAMPTZ NOT NULL
);
CREATE TRIGGER wakaf_benefits_are_append_only BEFORE UPDATE OR DELETE ON wakaf_benefits
    FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER wakaf_benefits_are_never_truncated BEFORE TRUNCATE ON wakaf_benefits
    FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();
