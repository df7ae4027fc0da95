-- Zakat calculator data: prices, BAZNAS decree figures, fitrah values. Each row is a value in
-- force from `effective_from` (YYYY-MM-DD) until a later row for the same name, region and
-- class; a change is a new row (with its audit entry), never an edit. Values are exact decimal
-- text in rupiah. Seeded with the figures of reference/zakat.md, with their sources.
CREATE TABLE zakat_data (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL,
    region         TEXT    NOT NULL DEFAULT '',
    class          TEXT    NOT NULL DEFAULT '',
    value          TEXT    NOT NULL,
    effective_from TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    recorded_by    TEXT    NOT NULL,
    recorded_at    TEXT    NOT NULL
);
CREATE INDEX zakat_data_in_force ON zakat_data (name, region, class, effective_from, id);
CREATE TRIGGER zakat_data_is_never_updated BEFORE UPDATE ON zakat_data
BEGIN
    SELECT RAISE(ABORT, 'zakat_data is append-only');
END;
CREATE TRIGGER zakat_data_is_never_deleted BEFORE DELETE ON zakat_data
BEGIN
    SELECT RAISE(ABORT, 'zakat_data is append-only');
END;

INSERT INTO zakat_data (name, region, class, value, effective_from, source, recorded_by, recorded_at) VALUES
    ('nisab_annual', '', '', '81945667', '2023-01-01', 'BAZNAS published income nisab, earlier figure (likely 2023); reference/zakat.md §3', 'migration:0004', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ('nisab_monthly', '', '', '6828806', '2023-01-01', 'BAZNAS published income nisab, earlier figure (likely 2023); reference/zakat.md §3', 'migration:0004', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ('nisab_annual', '', '', '85685972', '2024-01-01', 'BAZNAS published income nisab seen for 2024/2025; reference/zakat.md §3', 'migration:0004', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ('nisab_monthly', '', '', '7140498', '2024-01-01', 'BAZNAS published income nisab seen for 2024/2025; reference/zakat.md §3', 'migration:0004', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ('fitrah_per_person', 'jabodetabek', '', '47000', '2025-01-01', 'BAZNAS decree 14/2025 (zakat fitrah, Jabodetabek)', 'migration:0004', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ('fidyah_per_day', 'jabodetabek', '', '60000', '2025-01-01', 'BAZNAS decree 14/2025 (fidyah, Jabodetabek)', 'migration:0004', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
