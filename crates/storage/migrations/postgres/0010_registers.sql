-- The muzakki and mustahik registers (issue 12): the NPWZ issued on registration, what a
-- recipient's eligibility rests on, erasure of a person's data (UU 27/2022), and who read
-- whose record how often. Columns only added; donors filed before this have no NPWZ serial.

-- The NPWZ's serial, the institution's registration number of the donor: unique, never
-- reused (an erased donor keeps it), the next one read as MAX + 1 under the writer lock.
ALTER TABLE donors ADD COLUMN npwz_serial BIGINT CHECK (npwz_serial > 0);
ALTER TABLE donors ADD COLUMN updated_at TIMESTAMPTZ;
ALTER TABLE donors ADD COLUMN erased_at TIMESTAMPTZ;
CREATE UNIQUE INDEX donors_npwz_serial ON donors (npwz_serial);
CREATE INDEX donors_npwz ON donors (npwz);
CREATE INDEX donors_nik ON donors (nik);
CREATE INDEX donors_npwp ON donors (npwp);
CREATE INDEX donors_phone ON donors (phone);

ALTER TABLE recipients ADD COLUMN asnaf TEXT;
ALTER TABLE recipients ADD COLUMN household_size INTEGER CHECK (household_size > 0);
ALTER TABLE recipients ADD COLUMN eligibility_note TEXT;
ALTER TABLE recipients ADD COLUMN updated_at TIMESTAMPTZ;
ALTER TABLE recipients ADD COLUMN erased_at TIMESTAMPTZ;
CREATE INDEX recipients_nik ON recipients (nik);
CREATE INDEX recipients_phone ON recipients (phone);

-- Every read of a person's record by staff, counted per person and reader. Ids only.
CREATE TABLE personal_data_reads (
    subject      TEXT        NOT NULL CHECK (subject IN ('donor', 'recipient')),
    person_id    UUID        NOT NULL,
    user_id      BIGINT      NOT NULL REFERENCES users (id),
    read_count   BIGINT      NOT NULL CHECK (read_count > 0),
    last_read_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (subject, person_id, user_id)
);

-- Distributions are listed newest first, by id (time-ordered), filtered like donations.
CREATE INDEX distributions_distributed_on ON distributions (distributed_on);
