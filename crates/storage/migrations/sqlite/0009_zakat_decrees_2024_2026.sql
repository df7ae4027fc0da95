-- BAZNAS decree figures for 2024 to 2026, each in force from its decree's date (docs/ZAKAT-DATA.md
-- says what each was checked against). zakat_data is append-only: a figure seeded with the
-- wrong date is corrected by a new row with the right one, never by an edit.
--
-- Migration 0004 seeded the 2025 income nisab (85,685,972 a year, 7,140,498 a month) as in
-- force from 2024-01-01. The row for 2024-01-01 below has the same date and a later id, so it
-- supersedes that one (the calculator takes, of rows with the same date, the one recorded last):
-- 2024 is now the 2024 figure, and the 2025 figure is in force from its own decree's date.
INSERT INTO zakat_data (name, region, class, value, effective_from, source, recorded_by, recorded_at) VALUES
    ('nisab_annual', '', '', '82312725', '2024-01-01', 'SK Ketua BAZNAS No. 1 Tahun 2024 (income nisab 2024), as reported; supersedes the 2025 figure seeded for 2024-01-01', 'migration:0009', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ('nisab_monthly', '', '', '6859394', '2024-01-01', 'SK Ketua BAZNAS No. 1 Tahun 2024 (income nisab 2024), as reported; supersedes the 2025 figure seeded for 2024-01-01', 'migration:0009', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ('nisab_annual', '', '', '85685972', '2025-01-15', 'SK Ketua BAZNAS No. 13 Tahun 2025 (income nisab 2025), set 15 January 2025', 'migration:0009', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ('nisab_monthly', '', '', '7140498', '2025-01-15', 'SK Ketua BAZNAS No. 13 Tahun 2025 (income nisab 2025), set 15 January 2025', 'migration:0009', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ('nisab_annual', '', '', '91681728', '2026-02-20', 'Keputusan Ketua BAZNAS RI No. 15 Tahun 2026 (income nisab 2026: 85 g of 14-karat gold at its 2025 average price), set 20 February 2026', 'migration:0009', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ('nisab_monthly', '', '', '7640144', '2026-02-20', 'Keputusan Ketua BAZNAS RI No. 15 Tahun 2026 (income nisab 2026: 85 g of 14-karat gold at its 2025 average price), set 20 February 2026', 'migration:0009', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ('fitrah_per_person', 'jabodetabek', '', '50000', '2026-02-03', 'Keputusan Ketua BAZNAS RI No. 14 Tahun 2026 (zakat fitrah 1447 H, Jabodetabek), announced 3 February 2026', 'migration:0009', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ('fidyah_per_day', 'jabodetabek', '', '65000', '2026-02-03', 'Keputusan Ketua BAZNAS RI No. 14 Tahun 2026 (fidyah 1447 H, Jabodetabek, per person per day), announced 3 February 2026', 'migration:0009', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
