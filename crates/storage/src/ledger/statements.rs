//! The writer's SQL text, in one place: what a batch reads under the lock and the per-row
//! INSERT of every table it writes. `$n` placeholders read the same on both backends (SQLite
//! numbers `$n` parameters in order of first appearance, which is `n` here). The SQLite writer
//! (`sqlite_writer.rs`) runs these one row at a time from prepared statements it keeps;
//! PostgreSQL's bulk INSERTs (`bulk.rs`) use the same column lists, one array per column.

/// A table's column list, as a macro so that statements can be assembled with `concat!` at
/// compile time (no `format!` per batch).
macro_rules! columns {
    (donations) => {
        "id, receipt_year, receipt_serial, type, fund, campaign_id, donor_id, amount_minor, \
         currency, method, received_on, note, amil_share_minor, recorded_by, recorded_at, account, \
         rate_to_idr, booked_minor"
    };
    (journal_entries) => {
        "id, kind, source_id, posted_at"
    };
    (journal_lines) => {
        "entry_id, line_no, account, currency, amount_minor"
    };
    (idempotency_keys) => {
        "user_id, key, request_digest, status, body, created_at"
    };
    (audit_entries) => {
        "seq, recorded_at, actor, action, subject, payload, payload_digest, prev_hash, hash"
    };
}
pub(crate) use columns;

/// Takes the writer lock: the one `ledger_head` row. On PostgreSQL a row lock that other
/// instances' writers queue behind; on SQLite the database write lock is already held (the
/// transaction began `IMMEDIATE`), so this only counts the batch.
macro_rules! lock {
    () => {
        "UPDATE ledger_head SET batches = batches + 1 WHERE id = 1"
    };
}

/// The lock alone, for the SQLite writer (which begins through rusqlite).
pub(crate) const LOCK: &str = lock!();

/// How a writer transaction begins on SQLite through sqlx, lock included (one script, one
/// round trip). `BEGIN IMMEDIATE` takes the write lock up front: a deferred transaction that
/// reads first could find its snapshot stale when it upgrades to write
/// (`SQLITE_BUSY_SNAPSHOT`) instead of waiting its turn.
pub(crate) const BEGIN_AND_LOCK_SQLITE: &str = concat!("BEGIN IMMEDIATE; ", lock!());

/// How a writer transaction begins on PostgreSQL, lock included: one simple-query round trip
/// for both (the lock is the transaction's first statement, so every later statement of the
/// batch sees what the previous holder committed).
pub(crate) const BEGIN_AND_LOCK_POSTGRES: &str = concat!("BEGIN; ", lock!());

/// In one statement, what every batch needs: the year's highest receipt serial (`$1`), the
/// highest NPWZ serial issued, the institution's code (the NPWZ's first digits), the settings
/// in force (`$2`–`$4`: `Setting::KEYS`) and the chain's head.
pub(crate) const HEAD_SELECT: &str = "SELECT \
     CAST(COALESCE((SELECT MAX(receipt_serial) FROM donations WHERE receipt_year = $1), 0) AS BIGINT) \
       AS receipt_serial_max, \
     CAST(COALESCE((SELECT MAX(npwz_serial) FROM donors), 0) AS BIGINT) AS npwz_serial_max, \
     CAST(COALESCE((SELECT code FROM institution_profiles ORDER BY id DESC LIMIT 1), 0) AS BIGINT) \
       AS institution_code, \
     (SELECT value FROM settings WHERE key = $2 ORDER BY id DESC LIMIT 1) AS setting_1, \
     (SELECT value FROM settings WHERE key = $3 ORDER BY id DESC LIMIT 1) AS setting_2, \
     (SELECT value FROM settings WHERE key = $4 ORDER BY id DESC LIMIT 1) AS setting_3, \
     CAST(COALESCE((SELECT MAX(seq) FROM audit_entries), 0) AS BIGINT) AS head_seq, \
     (SELECT hash FROM audit_entries ORDER BY seq DESC LIMIT 1) AS head_hash";

/// The chain's head alone: its length and last hash.
pub(crate) const CHAIN_HEAD: &str = "SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1";

/// Without the trigger (SQLite): adds the lines past the high-water mark of those the kept
/// balances count (`account_balances_kept`, migration 0008). Journal lines are never deleted,
/// so their rowids only grow. `NOT INDEXED` keeps it a range scan from the mark, empty
/// whenever only this writer wrote: left to itself SQLite walked all of
/// `journal_lines_by_account` for the GROUP BY's order — every line ever written, in every
/// batch (at 700k donations the writer fell to ~130 donations/s).
pub(crate) const FOLD_UNKEPT_LINES: &str = "INSERT INTO account_balances (account, currency, balance_minor) \
     SELECT account, currency, SUM(amount_minor) FROM journal_lines NOT INDEXED \
     WHERE rowid > (SELECT line_rowid FROM account_balances_kept WHERE id = 1) \
     GROUP BY account, currency \
     ON CONFLICT (account, currency) DO UPDATE SET balance_minor = account_balances.balance_minor + excluded.balance_minor";

/// Marks every journal line as counted by the kept balances.
pub(crate) const MARK_LINES_KEPT: &str = "UPDATE account_balances_kept SET line_rowid = (SELECT COALESCE(MAX(rowid), 0) FROM journal_lines) WHERE id = 1";

/// Adds one account's movement to its kept balance (SQLite, where no trigger does).
pub(crate) const ADD_TO_BALANCE: &str = "INSERT INTO account_balances (account, currency, balance_minor) VALUES ($1, $2, $3) \
     ON CONFLICT (account, currency) DO UPDATE SET balance_minor = account_balances.balance_minor + excluded.balance_minor";

/// One account's kept balances, per currency.
pub(crate) const BALANCES_OF_ACCOUNT: &str =
    "SELECT currency, balance_minor FROM account_balances WHERE account = $1";

/// One campaign's rules.
pub(crate) const CAMPAIGN_RULES: &str =
    "SELECT allowed_asnaf, amil_share_percent FROM campaigns WHERE id = $1";

/// Whether a donor is on file.
pub(crate) const DONOR_EXISTS: &str = "SELECT 1 FROM donors WHERE id = $1";

/// Whether a recipient is on file.
pub(crate) const RECIPIENT_EXISTS: &str = "SELECT 1 FROM recipients WHERE id = $1";

/// A stored idempotency key of a user: found by the primary key (`user_id`, `key`).
pub(crate) const STORED_KEY: &str =
    "SELECT request_digest, status, body FROM idempotency_keys WHERE user_id = $1 AND key = $2";

/// Live tokens (not revoked, their user enabled), to be completed with the token hashes
/// wanted (` = $1` or ` IN (…)`).
macro_rules! live_tokens {
    () => {
        "SELECT t.token_hash, t.user_id, u.role, t.expires_at \
         FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.revoked_at IS NULL AND u.disabled_at IS NULL AND t.token_hash"
    };
}

/// Live tokens among a list the caller appends (` IN (…)`).
pub(crate) const LIVE_CREDENTIAL_SELECT: &str = live_tokens!();

/// One live token, by its hash.
pub(crate) const LIVE_CREDENTIAL: &str = concat!(live_tokens!(), " = $1");

pub(crate) const INSERT_DONOR: &str = "INSERT INTO donors (id, name, nik, npwp, npwz, npwz_serial, phone, email, address, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

pub(crate) const INSERT_RECIPIENT: &str = "INSERT INTO recipients (id, name, nik, phone, address, asnaf, household_size, eligibility_note, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

pub(crate) const INSERT_CAMPAIGN: &str = "INSERT INTO campaigns (id, name, purpose, allowed_asnaf, amil_share_percent, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6)";

pub(crate) const INSERT_DONATION: &str = concat!(
    "INSERT INTO donations (",
    columns!(donations),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
);

pub(crate) const INSERT_REVERSAL: &str = "INSERT INTO donation_reversals (id, donation_id, kind, amount_minor, amil_share_minor, reason, recorded_by, recorded_at, \
     booked_minor, receivable_minor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

pub(crate) const INSERT_DISTRIBUTION: &str = "INSERT INTO distributions (id, fund, campaign_id, recipient_id, asnaf, purpose, program, amount_minor, currency, method, \
     distributed_on, note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

pub(crate) const INSERT_WAKAF_BENEFIT: &str = "INSERT INTO wakaf_benefits (id, amount_minor, currency, method, received_on, source, nazhir_share_minor, note, \
     recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

pub(crate) const INSERT_ENTRY: &str = concat!(
    "INSERT INTO journal_entries (",
    columns!(journal_entries),
    ") VALUES ($1, $2, $3, $4)"
);

pub(crate) const INSERT_LINE: &str = concat!(
    "INSERT INTO journal_lines (",
    columns!(journal_lines),
    ") VALUES ($1, $2, $3, $4, $5)"
);

pub(crate) const INSERT_KEY: &str = concat!(
    "INSERT INTO idempotency_keys (",
    columns!(idempotency_keys),
    ") VALUES ($1, $2, $3, $4, $5, $6)"
);

pub(crate) const INSERT_SETTING: &str =
    "INSERT INTO settings (key, value, changed_by, changed_at) VALUES ($1, $2, $3, $4)";

pub(crate) const INSERT_AUDIT: &str = concat!(
    "INSERT INTO audit_entries (",
    columns!(audit_entries),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
);

pub(crate) const INSERT_CHECKPOINT: &str = "INSERT INTO audit_checkpoints (seq, hash, algorithm, key_id, signature, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6)";
