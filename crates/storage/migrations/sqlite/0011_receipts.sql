-- Receipts (issue 12): the institution profile every Bukti Setor Zakat prints. A history like
-- `settings`: the newest row is in force, older rows say what earlier receipts printed. Each
-- row is written with its audit entry (`institution.update`) in one transaction.
CREATE TABLE institution_profiles (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL,
    licence_type   TEXT    NOT NULL,
    licence_number TEXT    NOT NULL,
    address        TEXT    NOT NULL,
    officer_name   TEXT    NOT NULL,
    officer_title  TEXT    NOT NULL,
    -- The NPWZ's first four digits (`domain::receipts::InstitutionCode`).
    code           INTEGER NOT NULL CHECK (code BETWEEN 1 AND 9999),
    logo           BLOB    CHECK (logo IS NULL OR length(logo) <= 32768),
    logo_type      TEXT    CHECK (logo_type IN ('image/png', 'image/jpeg')),
    changed_by     TEXT    NOT NULL,
    changed_at     TEXT    NOT NULL,
    CHECK ((logo IS NULL) = (logo_type IS NULL))
);
CREATE TRIGGER institution_profiles_are_never_updated BEFORE UPDATE ON institution_profiles
BEGIN
    SELECT RAISE(ABORT, 'institution_profiles is append-only');
END;
CREATE TRIGGER institution_profiles_are_never_deleted BEFORE DELETE ON institution_profiles
BEGIN
    SELECT RAISE(ABORT, 'institution_profiles is append-only');
END;

-- A donor's zakat of a year, for the annual receipt and the bulk generator that walks donors.
CREATE INDEX donations_donor_received ON donations (donor_id, received_on);
