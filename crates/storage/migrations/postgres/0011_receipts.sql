-- Receipts (issue 12): the institution profile every Bukti Setor Zakat prints. A history like
-- `settings`: the newest row is in force, older rows say what earlier receipts printed. Each
-- row is written with its audit entry (`institution.update`) in one transaction.
CREATE TABLE institution_profiles (
    id             BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           TEXT        NOT NULL,
    licence_type   TEXT        NOT NULL,
    licence_number TEXT        NOT NULL,
    address        TEXT        NOT NULL,
    officer_name   TEXT        NOT NULL,
    officer_title  TEXT        NOT NULL,
    -- The NPWZ's first four digits (`domain::receipts::InstitutionCode`).
    code           BIGINT      NOT NULL CHECK (code BETWEEN 1 AND 9999),
    logo           BYTEA       CHECK (logo IS NULL OR octet_length(logo) <= 32768),
    logo_type      TEXT        CHECK (logo_type IN ('image/png', 'image/jpeg')),
    changed_by     TEXT        NOT NULL,
    changed_at     TIMESTAMPTZ NOT NULL,
    CHECK ((logo IS NULL) = (logo_type IS NULL))
);
CREATE TRIGGER institution_profiles_are_append_only BEFORE UPDATE OR DELETE ON institution_profiles
    FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER institution_profiles_are_never_truncated BEFORE TRUNCATE ON institution_profiles
    FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();

-- A donor's zakat of a year, for the annual receipt and the bulk generator that walks donors.
CREATE INDEX donations_donor_received ON donations (donor_id, received_on);
