//! The SQLite writer: a batch applied on a connection of its own, through rusqlite, in one
//! blocking call.
//!
//! Why not sqlx here, as everywhere else: sqlx runs each SQLite connection on a worker thread
//! and hands every statement and every row across threads. A batch is a dozen statements, so
//! the writer spent most of its time waking threads (1.5 ms for a one-donation batch whose
//! commit takes 0.1 ms, measured). Here the whole batch — BEGIN, the lock, the reads, every
//! row's INSERT from a prepared statement the connection keeps, COMMIT — runs in one thread,
//! one function call, and the async side hands it over once. rusqlite is the SQLite binding
//! sqlx's own driver shares its `libsqlite3-sys` with; the rows it writes are byte for byte
//! what sqlx writes (UUIDs as 16-byte blobs, times as RFC 3339 text, dates as `YYYY-MM-DD`),
//! so every reader, on sqlx, reads them unchanged.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use domain::Currency;
use domain::audit::{CheckpointKey, GENESIS_PREV_HASH, Hash};
use domain::ledger::{
    Account, Books, CampaignRules, Donation, Needs, ReceiptNumber, Setting, Settings,
};
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, Row, Transaction, params};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::Failed;
use super::model::{Applied, Authenticated, Refusal, Rendered, Request};
use super::plan::{self, Claims, Snapshot, StoredKey, Writes};
use super::read;
use super::statements as sql;
use crate::StorageError;
use crate::database::SQLITE_BUSY_TIMEOUT;

/// Prepared statements the connection keeps: every statement of a batch, with room to spare.
const STATEMENT_CACHE_CAPACITY: usize = 64;

/// The writer's own connection to the database file.
pub(crate) struct SqliteWriter {
    connection: Connection,
    /// Signs each batch's checkpoint.
    key: CheckpointKey,
}

impl std::fmt::Debug for SqliteWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteWriter").finish_non_exhaustive()
    }
}

impl SqliteWriter {
    /// Opens the file the pool has open (it exists, in WAL mode, migrated): `synchronous=FULL`
    /// (a commit is on disk when it returns), foreign keys on, the pool's busy timeout.
    pub(crate) fn open(file: &Path, key: CheckpointKey) -> Result<SqliteWriter, StorageError> {
        let connection = Connection::open_with_flags(
            file,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.busy_timeout(SQLITE_BUSY_TIMEOUT)?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "foreign_keys", true)?;
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
        Ok(SqliteWriter { connection, key })
    }

    /// Applies a batch in one transaction, as [`super::sql::sqlite::apply_batch`] did on sqlx:
    /// per request, what it produced or why it was refused; `Err` when nothing was written
    /// (or, if COMMIT itself failed, when the outcome is unknown and the caller must drop
    /// this connection: closing it rolls back whatever is open).
    pub(crate) fn apply_batch(
        &mut self,
        requests: &[Request],
    ) -> Result<Vec<Result<Applied, Refusal>>, Failed> {
        let key = &self.key;
        let tx = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|err| Failed::AtBegin(err.into()))?;
        let results = plan_and_insert(&tx, key, requests).map_err(Failed::Later)?;
        tx.commit().map_err(|err| Failed::Later(err.into()))?;
        Ok(results)
    }
}

/// Everything of a batch but BEGIN and COMMIT: lock, read, plan, check the ledger's
/// invariants over the planned rows (a violation refuses the whole batch before a row is
/// written), insert.
fn plan_and_insert(
    tx: &Transaction<'_>,
    key: &CheckpointKey,
    requests: &[Request],
) -> Result<Vec<Result<Applied, Refusal>>, StorageError> {
    tx.prepare_cached(sql::LOCK)?.execute([])?;
    let now = domain::audit::chain_time(OffsetDateTime::now_utc());
    let mut snapshot = snapshot(tx, now, requests)?;
    let head = (snapshot.head_seq, snapshot.head_hash);
    let balances_before = snapshot.books.balances.clone();
    let mut writes = Writes::default();
    let results: Vec<_> = requests
        .iter()
        .map(|request| plan::plan(&mut snapshot, request, &mut writes))
        .collect();
    plan::check_invariants(&balances_before, &writes)?;
    let now_text = timestamp(now)?;
    insert_registry(tx, &now_text, &writes)?;
    insert_movements(tx, &writes)?;
    insert_journal(tx, &now_text, &writes)?;
    add_to_balances(tx, &writes)?;
    append_audit(tx, key, now, &now_text, head, writes.audit)?;
    Ok(results)
}

/// What the batch's decisions depend on, read under the lock.
fn snapshot(
    tx: &Transaction<'_>,
    now: OffsetDateTime,
    requests: &[Request],
) -> Result<Snapshot, StorageError> {
    let claims = Claims::of(requests);
    let changes = || requests.iter().map(|request| &request.change);
    let needs = Needs::of(changes());
    let [key_1, key_2, key_3] = Setting::KEYS;
    let head = tx.prepare_cached(sql::HEAD_SELECT)?.query_row(
        params![ReceiptNumber::year_of(now), key_1, key_2, key_3],
        |row| {
            Ok((
                row.get::<_, i64>("receipt_serial_max")?,
                row.get::<_, i64>("npwz_serial_max")?,
                row.get::<_, i64>("institution_code")?,
                [
                    row.get::<_, Option<String>>("setting_1")?,
                    row.get::<_, Option<String>>("setting_2")?,
                    row.get::<_, Option<String>>("setting_3")?,
                ],
                row.get::<_, i64>("head_seq")?,
                row.get::<_, Option<Vec<u8>>>("head_hash")?,
            ))
        },
    )?;
    let (receipt_serial_max, npwz_serial_max, institution_code, settings, head_seq, head_hash) =
        head;
    let mut books = Books::new(now);
    books.settings = settings_of(settings)?;
    books.receipt_serial_max = receipt_serial_max;
    books.npwz_serial_max = u32::try_from(npwz_serial_max).map_err(decode_error)?;
    books.institution_code = domain::receipts::InstitutionCode::from_stored(institution_code)
        .ok_or_else(|| decode_error("an institution code above 9999"))?
        .get();
    for id in &needs.donations {
        if let Some(donation) = donation(tx, *id)? {
            books.donations.insert(donation.id, donation);
        }
    }
    // Lines a release from before migration 0008 wrote without moving the kept balances.
    tx.prepare_cached(sql::FOLD_UNKEPT_LINES)?.execute([])?;
    tx.prepare_cached(sql::MARK_LINES_KEPT)?.execute([])?;
    books.balances = balances_of(tx, &Needs::accounts(changes(), &books.donations))?;
    books.campaigns = campaign_rules(tx, &needs.campaigns)?;
    books.donors = existing(tx, sql::DONOR_EXISTS, &needs.donors)?;
    books.recipients = existing(tx, sql::RECIPIENT_EXISTS, &needs.recipients)?;
    Ok(Snapshot {
        head_seq,
        head_hash: match head_hash {
            None => GENESIS_PREV_HASH,
            Some(hash) => hash_of(&hash)?,
        },
        books,
        keys: stored_keys(tx, &claims)?,
        credentials: live_credentials(tx, &claims)?,
    })
}

/// The settings in force from the newest value of each of `Setting::KEYS` (in that order).
fn settings_of(values: [Option<String>; 3]) -> Result<Settings, StorageError> {
    let mut settings = Settings::default();
    for (key, value) in Setting::KEYS.into_iter().zip(values) {
        if let Some(value) = value {
            settings = settings.with(Setting::parse(key, &value).map_err(decode_error)?);
        }
    }
    Ok(settings)
}

/// One donation with its reversals folded in.
fn donation(tx: &Transaction<'_>, id: Uuid) -> Result<Option<Donation>, StorageError> {
    // Rare (a reversal's donation): the text is formatted here and its statement kept.
    let mut statement = tx.prepare_cached(&format!("{} WHERE d.id = $1", read::DONATION_SELECT))?;
    let mut rows = statement.query([id.as_bytes()])?;
    match rows.next()? {
        Some(row) => Ok(Some(donation_from_row(row)?)),
        None => Ok(None),
    }
}

fn donation_from_row(row: &Row<'_>) -> Result<Donation, StorageError> {
    read::DonationColumns {
        id: uuid(&row.get::<_, Vec<u8>>("id")?)?,
        receipt_year: row.get("receipt_year")?,
        receipt_serial: row.get("receipt_serial")?,
        donation_type: row.get("type")?,
        fund: row.get("fund")?,
        campaign_id: optional_uuid(
            row.get_ref("campaign_id")?
                .as_blob_or_null()
                .map_err(decode_error)?,
        )?,
        donor_id: optional_uuid(
            row.get_ref("donor_id")?
                .as_blob_or_null()
                .map_err(decode_error)?,
        )?,
        amount_minor: row.get("amount_minor")?,
        currency: row.get("currency")?,
        method: row.get("method")?,
        received_on: time::Date::parse(&row.get::<_, String>("received_on")?, DATE_FORMAT)
            .map_err(decode_error)?,
        note: row.get("note")?,
        amil_share_minor: row.get("amil_share_minor")?,
        recorded_by: row.get("recorded_by")?,
        recorded_at: OffsetDateTime::parse(&row.get::<_, String>("recorded_at")?, &Rfc3339)
            .map_err(decode_error)?,
        account: row.get("account")?,
        rate_to_idr: row.get("rate_to_idr")?,
        booked_minor: row.get("booked_minor")?,
        reversed_minor: row.get("reversed_minor")?,
        voided: row.get("voided")?,
    }
    .into_donation()
    .map_err(decode_error)
}

/// The kept balances (signed line sums) of `accounts`, in every currency they hold: a
/// primary-key lookup per account, whatever the journal's length.
fn balances_of(
    tx: &Transaction<'_>,
    accounts: &[(Account, Currency)],
) -> Result<HashMap<(Account, Currency), i64>, StorageError> {
    let mut balances = HashMap::new();
    let mut codes: Vec<String> = accounts.iter().map(|(account, _)| account.code()).collect();
    codes.dedup();
    let mut statement = tx.prepare_cached(sql::BALANCES_OF_ACCOUNT)?;
    for code in codes {
        let Some(account) = Account::from_code(&code) else {
            continue;
        };
        let mut rows = statement.query([&code])?;
        while let Some(row) = rows.next()? {
            if let Ok(currency) = row.get::<_, String>(0)?.parse::<Currency>() {
                balances.insert((account, currency), row.get(1)?);
            }
        }
    }
    Ok(balances)
}

/// The rules of the campaigns among `ids` that exist.
fn campaign_rules(
    tx: &Transaction<'_>,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, CampaignRules>, StorageError> {
    let mut campaigns = HashMap::new();
    let mut statement = tx.prepare_cached(sql::CAMPAIGN_RULES)?;
    for id in ids {
        let rules = statement
            .query_row([id.as_bytes()], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        if let Some((allowed_asnaf, amil_share_percent)) = rules {
            let rules = read::campaign_rules(allowed_asnaf, amil_share_percent)
                .map_err(|err| StorageError::Backend(sqlx::Error::Decode(err)))?;
            campaigns.insert(*id, rules);
        }
    }
    Ok(campaigns)
}

/// Which of `ids` are on file, by `exists` (one id → a row or none).
fn existing(
    tx: &Transaction<'_>,
    exists: &'static str,
    ids: &[Uuid],
) -> Result<HashSet<Uuid>, StorageError> {
    let mut found = HashSet::new();
    let mut statement = tx.prepare_cached(exists)?;
    for id in ids {
        if statement.exists([id.as_bytes()])? {
            found.insert(*id);
        }
    }
    Ok(found)
}

/// The stored responses of the idempotency keys the batch claims (primary-key lookups).
fn stored_keys(
    tx: &Transaction<'_>,
    claims: &Claims,
) -> Result<HashMap<(i64, String), StoredKey>, StorageError> {
    let mut keys = HashMap::new();
    let mut statement = tx.prepare_cached(sql::STORED_KEY)?;
    for (user_id, user_keys) in &claims.keys {
        for key in user_keys {
            let stored = statement
                .query_row(params![user_id, key], |row| {
                    Ok((
                        row.get::<_, Vec<u8>>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get(2)?,
                    ))
                })
                .optional()?;
            if let Some((request_digest, status, body)) = stored {
                let status = u16::try_from(status).map_err(decode_error)?;
                keys.insert(
                    (*user_id, key.clone()),
                    StoredKey {
                        request_digest,
                        rendered: Rendered { status, body },
                    },
                );
            }
        }
    }
    Ok(keys)
}

/// Which of the tokens the batch's requests came with are still live (not revoked, their
/// user enabled), whose, with which role and until when.
fn live_credentials(
    tx: &Transaction<'_>,
    claims: &Claims,
) -> Result<HashMap<Vec<u8>, Authenticated>, StorageError> {
    let mut credentials = HashMap::new();
    let mut statement = tx.prepare_cached(sql::LIVE_CREDENTIAL)?;
    for credential in &claims.credentials {
        let live = statement
            .query_row([credential.as_slice()], |row| {
                Ok((
                    row.get::<_, i64>("user_id")?,
                    row.get::<_, String>("role")?,
                    row.get::<_, Option<String>>("expires_at")?,
                ))
            })
            .optional()?;
        if let Some((user_id, role, expires_at)) = live {
            let expires_at = expires_at
                .map(|text| OffsetDateTime::parse(&text, &Rfc3339).map_err(decode_error))
                .transpose()?;
            credentials.insert(
                credential.to_vec(),
                Authenticated {
                    user_id,
                    role: parse(&role)?,
                    expires_at,
                },
            );
        }
    }
    Ok(credentials)
}

/// Donors, recipients and campaigns.
fn insert_registry(tx: &Transaction<'_>, now: &str, writes: &Writes) -> Result<(), StorageError> {
    if !writes.donors.is_empty() {
        let mut statement = tx.prepare_cached(sql::INSERT_DONOR)?;
        for donor in &writes.donors {
            let person = &donor.person;
            statement.execute(params![
                donor.id.as_bytes(),
                person.name,
                person.nik,
                person.npwp,
                donor.npwz.to_string(),
                i64::from(donor.npwz.serial()),
                person.phone,
                person.email,
                person.address,
                now,
            ])?;
        }
    }
    if !writes.recipients.is_empty() {
        let mut statement = tx.prepare_cached(sql::INSERT_RECIPIENT)?;
        for (id, recipient) in &writes.recipients {
            let person = &recipient.person;
            statement.execute(params![
                id.as_bytes(),
                person.name,
                person.nik,
                person.phone,
                person.address,
                recipient.asnaf.map(domain::Asnaf::as_str),
                recipient.household_size.map(i32::from),
                recipient.eligibility_note,
                now,
            ])?;
        }
    }
    if !writes.campaigns.is_empty() {
        let mut statement = tx.prepare_cached(sql::INSERT_CAMPAIGN)?;
        for campaign in &writes.campaigns {
            statement.execute(params![
                campaign.id.as_bytes(),
                campaign.name,
                campaign.purpose,
                read::asnaf_column(campaign.rules.allowed_asnaf),
                campaign.rules.amil_share.to_string(),
                now,
            ])?;
        }
    }
    Ok(())
}

/// Donations, reversals, distributions and what wakaf assets earned.
fn insert_movements(tx: &Transaction<'_>, writes: &Writes) -> Result<(), StorageError> {
    if !writes.donations.is_empty() {
        let mut statement = tx.prepare_cached(sql::INSERT_DONATION)?;
        for d in &writes.donations {
            statement.execute(params![
                d.id.as_bytes(),
                d.receipt.year,
                d.receipt.serial,
                d.donation_type.as_str(),
                d.fund.as_str(),
                d.campaign_id.as_ref().map(Uuid::as_bytes),
                d.donor_id.as_ref().map(Uuid::as_bytes),
                d.amount.minor(),
                d.amount.currency().code(),
                d.method.as_str(),
                date(d.received_on)?,
                d.note,
                d.amil_share_minor,
                d.recorded_by,
                timestamp(d.recorded_at)?,
                d.account.code(),
                d.rate_to_idr.map(|rate| rate.to_string()),
                d.booked_minor,
            ])?;
        }
    }
    if !writes.reversals.is_empty() {
        let mut statement = tx.prepare_cached(sql::INSERT_REVERSAL)?;
        for r in &writes.reversals {
            statement.execute(params![
                r.id.as_bytes(),
                r.donation_id.as_bytes(),
                r.kind.as_str(),
                r.amount_minor,
                r.amil_share_minor,
                r.reason,
                r.recorded_by,
                timestamp(r.recorded_at)?,
                r.booked_minor,
                r.receivable_minor,
            ])?;
        }
    }
    if !writes.distributions.is_empty() {
        let mut statement = tx.prepare_cached(sql::INSERT_DISTRIBUTION)?;
        for d in &writes.distributions {
            statement.execute(params![
                d.id.as_bytes(),
                d.fund.as_str(),
                d.campaign_id.as_ref().map(Uuid::as_bytes),
                d.recipient_id.as_bytes(),
                d.asnaf.map(domain::Asnaf::as_str),
                d.purpose.map(domain::PublicPurpose::as_str),
                d.program,
                d.amount.minor(),
                d.amount.currency().code(),
                d.method.as_str(),
                date(d.distributed_on)?,
                d.note,
                d.recorded_by,
                timestamp(d.recorded_at)?,
            ])?;
        }
    }
    if !writes.wakaf_benefits.is_empty() {
        let mut statement = tx.prepare_cached(sql::INSERT_WAKAF_BENEFIT)?;
        for b in &writes.wakaf_benefits {
            statement.execute(params![
                b.id.as_bytes(),
                b.amount.minor(),
                b.amount.currency().code(),
                b.method.as_str(),
                date(b.received_on)?,
                b.source,
                b.nazhir_share_minor,
                b.note,
                b.recorded_by,
                timestamp(b.recorded_at)?,
            ])?;
        }
    }
    Ok(())
}

/// Journal entries and lines, idempotency keys and settings.
fn insert_journal(tx: &Transaction<'_>, now: &str, writes: &Writes) -> Result<(), StorageError> {
    if !writes.entries.is_empty() {
        let mut statement = tx.prepare_cached(sql::INSERT_ENTRY)?;
        for e in &writes.entries {
            statement.execute(params![
                e.id.as_bytes(),
                e.kind,
                e.source_id.as_bytes(),
                now
            ])?;
        }
    }
    if !writes.lines.is_empty() {
        let mut statement = tx.prepare_cached(sql::INSERT_LINE)?;
        for l in &writes.lines {
            statement.execute(params![
                l.entry_id.as_bytes(),
                l.line_no,
                l.account,
                l.currency,
                l.amount_minor
            ])?;
        }
    }
    if !writes.keys.is_empty() {
        let mut statement = tx.prepare_cached(sql::INSERT_KEY)?;
        for k in &writes.keys {
            statement.execute(params![
                k.user_id,
                k.key,
                k.request_digest,
                k.rendered.status,
                k.rendered.body,
                now,
            ])?;
        }
    }
    if !writes.settings.is_empty() {
        let mut statement = tx.prepare_cached(sql::INSERT_SETTING)?;
        for s in &writes.settings {
            statement.execute(params![s.key, s.value, s.changed_by, now])?;
        }
    }
    Ok(())
}

/// Adds the batch's net movement per account and currency to the kept balances (no trigger
/// does on SQLite; migration 0008 says why), in the transaction that inserts the lines, and
/// marks the lines as counted.
fn add_to_balances(tx: &Transaction<'_>, writes: &Writes) -> Result<(), StorageError> {
    let mut movements: BTreeMap<(&str, &'static str), i64> = BTreeMap::new();
    for line in &writes.lines {
        *movements
            .entry((line.account.as_str(), line.currency))
            .or_default() += line.amount_minor;
    }
    let mut statement = tx.prepare_cached(sql::ADD_TO_BALANCE)?;
    for ((account, currency), minor) in movements {
        if minor != 0 {
            statement.execute(params![account, currency, minor])?;
        }
    }
    if !writes.lines.is_empty() {
        tx.prepare_cached(sql::MARK_LINES_KEPT)?.execute([])?;
    }
    Ok(())
}

/// Chains `drafts` onto the head and signs a checkpoint of the new head, in the transaction
/// that holds the writer lock.
fn append_audit(
    tx: &Transaction<'_>,
    key: &CheckpointKey,
    now: OffsetDateTime,
    now_text: &str,
    (head_seq, head_hash): (i64, Hash),
    drafts: Vec<plan::AuditDraft>,
) -> Result<(), StorageError> {
    if drafts.is_empty() {
        return Ok(());
    }
    let rows = plan::chain(head_seq, head_hash, now, drafts);
    let mut statement = tx.prepare_cached(sql::INSERT_AUDIT)?;
    for a in &rows {
        statement.execute(params![
            a.seq,
            now_text,
            a.actor,
            a.action,
            a.subject,
            a.payload,
            a.payload_digest.as_slice(),
            a.prev_hash.as_slice(),
            a.hash.as_slice(),
        ])?;
    }
    let last = rows.last().expect("drafts is not empty");
    let seq = u64::try_from(last.seq).expect("sequence numbers are positive");
    let signature = key.sign(seq, &last.hash);
    tx.prepare_cached(sql::INSERT_CHECKPOINT)?.execute(params![
        last.seq,
        last.hash.as_slice(),
        domain::audit::CheckpointAlgorithm::Ed25519.as_str(),
        key.public_key().to_bytes().as_slice(),
        signature.as_slice(),
        now_text,
    ])?;
    Ok(())
}

/// sqlx's text for an `OffsetDateTime` on SQLite (RFC 3339), which its readers decode.
fn timestamp(time: OffsetDateTime) -> Result<String, StorageError> {
    time.format(&Rfc3339).map_err(decode_error)
}

/// sqlx's text for a `Date` on SQLite.
const DATE_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

fn date(date: time::Date) -> Result<String, StorageError> {
    date.format(DATE_FORMAT).map_err(decode_error)
}

fn uuid(bytes: &[u8]) -> Result<Uuid, StorageError> {
    Uuid::from_slice(bytes).map_err(decode_error)
}

fn optional_uuid(bytes: Option<&[u8]>) -> Result<Option<Uuid>, StorageError> {
    bytes.map(uuid).transpose()
}

fn hash_of(bytes: &[u8]) -> Result<Hash, StorageError> {
    Hash::try_from(bytes).map_err(decode_error)
}

fn parse<T: std::str::FromStr>(text: &str) -> Result<T, StorageError>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    text.parse().map_err(decode_error)
}

/// A stored value that does not read as its type: reported as the readers on sqlx report it.
fn decode_error(
    err: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
) -> StorageError {
    StorageError::Backend(sqlx::Error::Decode(err.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The per-batch reads and the balance fold must stay index lookups and range scans, not
    /// walks of a whole table: a plan that scans grows every batch with the books (the fold once
    /// walked all of `journal_lines_by_account`: ~130 donations/s at 700k). SQLite plans without
    /// statistics, so the plan on an empty migrated database is the plan at any size.
    #[tokio::test]
    async fn no_statement_of_a_batch_scans_a_table() {
        let dir = std::env::temp_dir().join(format!("plans-{}", Uuid::new_v4().simple()));
        let file = dir.join("plans.db");
        let database = crate::Database::connect(&crate::ConnectOptions {
            url: format!("sqlite://{}", file.display()),
            pool_size: 1,
            ssl_cert_file: None,
        })
        .await
        .expect("a database in a temporary directory");
        database.migrate().await.expect("the migrations apply");
        let connection = Connection::open(&file).expect("the file opens");
        for statement in [
            sql::LOCK,
            sql::HEAD_SELECT,
            sql::FOLD_UNKEPT_LINES,
            sql::MARK_LINES_KEPT,
            sql::BALANCES_OF_ACCOUNT,
            sql::CAMPAIGN_RULES,
            sql::DONOR_EXISTS,
            sql::RECIPIENT_EXISTS,
            sql::STORED_KEY,
            sql::LIVE_CREDENTIAL,
            sql::ADD_TO_BALANCE,
        ] {
            let mut explain = connection
                .prepare(&format!("EXPLAIN QUERY PLAN {statement}"))
                .expect("the statement prepares");
            let nulls = vec![rusqlite::types::Null; explain.parameter_count()];
            let plan: Vec<String> = explain
                .query_map(rusqlite::params_from_iter(nulls), |row| {
                    row.get::<_, String>(3)
                })
                .expect("the plan reads")
                .collect::<Result<_, _>>()
                .expect("the plan reads");
            // The head's last audit entry and institution profile are read `ORDER BY <rowid>
            // DESC LIMIT 1`: a scan from the table's end that stops at its first row.
            let from_the_end = ["SCAN audit_entries", "SCAN institution_profiles"];
            let scans: Vec<&String> = plan
                .iter()
                .filter(|step| step.starts_with("SCAN ") && step.as_str() != "SCAN CONSTANT ROW")
                .filter(|step| {
                    !(statement == sql::HEAD_SELECT && from_the_end.contains(&step.as_str()))
                })
                .collect();
            assert!(
                scans.is_empty(),
                "{statement}\nscans: {scans:?}\nplan: {plan:?}"
            );
        }
        drop(connection);
        database.close().await;
        std::fs::remove_dir_all(&dir).ok();
    }
}
