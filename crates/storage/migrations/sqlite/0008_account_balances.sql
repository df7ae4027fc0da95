-- Balances kept, not recomputed (issue 11, Build item 4): one row per account and currency
-- holding the signed sum of its journal lines, so a batch's checks and `GET /api/v1/funds`
-- read a handful of rows instead of summing the whole journal (4 s at a million donations).
-- The journal stays the source of truth: `donation_platform ledger check` (and `audit
-- verify`) recompute every balance from it and fail on a difference.
--
-- On SQLite the writer keeps the rows, not a trigger: each batch adds its lines' net movement
-- per account with one upsert in the same script, so in the same transaction, as the lines
-- (storage/src/ledger/sql.rs, `insert_balances`; the writer is the only code that inserts
-- journal lines). SQLite has only per-row triggers, and a per-row upsert was measured
-- (2026-12, this machine, SQLite 3.40, in memory, 1,000 batches of 256 donations of 3 lines)
-- at 8.8-9.2 ms per batch against 3.3-3.6 ms without it: +5.5 ms, some 7 µs per line; and
-- through the release binary, `POST /api/v1/donations` from wrk at 64 clients for 10 s, three
-- rounds each: 5,872/s (5,092-6,302) without such a trigger against 4,700/s (4,072-5,514) with
-- it, a fifth of the recording rate. The writer's one upsert of a few rows costs tens of µs.
-- PostgreSQL, which sums a statement's lines first, keeps them by trigger (its 0008).
--
-- A release from before 0008 run on this database again (a rollback) records journal lines
-- without moving the rows. So the rows also remember the last journal line they count
-- (`account_balances_kept`, a rowid: lines are never deleted, so rowids only grow), and each
-- batch, before it reads a balance, first folds in any line past that mark: after rolling
-- forward the first write heals them (an empty range scan otherwise, a few µs).
--
-- journal_lines is append-only (migration 0002: UPDATE and DELETE are refused), so a line,
-- once counted, never changes.

CREATE TABLE account_balances (
    account       TEXT   NOT NULL,
    currency      TEXT   NOT NULL,
    -- Debits minus credits in minor units, as `SUM(journal_lines.amount_minor)`.
    balance_minor BIGINT NOT NULL,
    PRIMARY KEY (account, currency)
) WITHOUT ROWID;

INSERT INTO account_balances (account, currency, balance_minor)
    SELECT account, currency, SUM(amount_minor) FROM journal_lines GROUP BY account, currency;

CREATE TABLE account_balances_kept (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    -- The rowid of the last journal line the balances count.
    line_rowid BIGINT  NOT NULL
);

INSERT INTO account_balances_kept (id, line_rowid)
    SELECT 1, COALESCE(MAX(rowid), 0) FROM journal_lines;
