//! The ledger: donations, reversals, distributions and administrative changes, each written
//! with its journal entry, its idempotency key and its audit entry in one transaction.
//!
//! All changes go through one writer task per process, which commits whatever requests are
//! waiting as one batch: one transaction, one fsync, many donations (group commit). Each
//! batch first locks the `ledger_head` row, so writers of several instances sharing one
//! PostgreSQL take turns — receipt numbers stay gap-free and the audit chain single — and a
//! caller is answered only after its batch committed.

mod audit;
mod bulk;
mod check;
mod model;
mod plan;
mod read;
mod sql;
mod sqlite_writer;
mod statements;

use domain::Role;
use domain::audit::CheckpointKey;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

pub use audit::{AuditProblem, AuditReport, ExportLine, HeadLine};
pub use check::{BalanceCheck, BalanceDifference};
pub use domain::ledger::{
    Campaign, Change, Distribution, Donation, DonationStatus, DonorRef, NewCampaign,
    NewDistribution, NewDonation, NewRecipient, NewReversal, NewWakafBenefit, Outcome,
    PersonalData, RecipientRef, Reversal, ReversalKind, WakafBenefit,
};
pub use model::{
    Actor, Applied, Authenticated, Credential, Idempotency, LedgerError, Refusal, Rendered,
    Renderer, Request, SignInUser, User,
};
/// How a campaign's stored rules read, for the pages' views too.
pub(crate) use read::campaign_rules;
pub use read::{
    AuditRecord, Checkpoint, DONATION_PAGE_SIZE_MAX, DistributionFilter, DonationFilter,
    DonorRecord, Field, FundBalance, NewZakatDatum, PersonFilter, PersonPatch, PersonReads,
    REGISTER_PAGE_SIZE_MAX, RecipientRecord, Register, ZakatDatum,
};

use std::sync::Arc;

use crate::database::{Database, Pool};
use crate::{StorageError, WriteFailure};

/// Requests one batch commits at most: bounds a transaction's size and the latency a request
/// can add to the others in its batch.
pub const BATCH_SIZE_MAX: usize = 256;

/// Requests waiting for the writer at most; beyond it callers wait to enqueue (backpressure).
pub const QUEUE_LENGTH_MAX: usize = 4096;

/// Runs `$body` with `$pool` bound to the backend's pool and `$sql` to its SQL module.
macro_rules! on_backend {
    ($database:expr, |$pool:ident, $sql:ident| $body:expr) => {
        match &$database.pool {
            Pool::Sqlite($pool) => {
                use sql::sqlite as $sql;
                $body
            }
            Pool::Postgres($pool) => {
                use sql::postgres as $sql;
                $body
            }
        }
    };
}

struct Job {
    request: Request,
    reply: oneshot::Sender<Result<Applied, LedgerError>>,
}

/// The handle to this process's ledger writer.
#[derive(Clone, Debug)]
pub struct Ledger {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("request", &self.request)
            .finish_non_exhaustive()
    }
}

impl Ledger {
    /// Starts the writer task; it runs until [`Writer::finish`].
    #[must_use]
    pub fn start(database: Database, key: CheckpointKey) -> (Ledger, Writer) {
        let (jobs, queue) = mpsc::channel(QUEUE_LENGTH_MAX);
        let (stop, stopped) = oneshot::channel();
        let on_file = database.sqlite_file.is_some();
        let writing = write_batches(database, key, queue, stopped);
        let task = if on_file {
            // The SQLite writer blocks in its batches (they are plain calls into SQLite, fsync
            // included), so its loop runs on a thread of its own rather than a runtime worker,
            // and a batch costs no hand-over between threads beyond the callers' own.
            tokio::task::spawn_blocking(move || tokio::runtime::Handle::current().block_on(writing))
        } else {
            tokio::spawn(writing)
        };
        (Ledger { jobs }, Writer { stop, task })
    }

    /// Applies one change; returns once it is committed (or refused, or failed).
    pub async fn apply(&self, request: Request) -> Result<Applied, LedgerError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { request, reply })
            .await
            .map_err(|_| LedgerError::Stopped)?;
        answer.await.map_err(|_| LedgerError::Stopped)?
    }
}

/// The running writer task.
#[derive(Debug)]
pub struct Writer {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Writer {
    /// Stops the writer once it has written what is queued, and waits for it. Changes asked
    /// for afterwards fail with [`LedgerError::Stopped`]. Call it before closing the database.
    pub async fn finish(self) {
        let _ = self.stop.send(());
        if let Err(err) = self.task.await {
            tracing::error!(error = %err, "the ledger writer failed");
        }
    }
}

async fn write_batches(
    database: Database,
    key: CheckpointKey,
    mut queue: mpsc::Receiver<Job>,
    mut stop: oneshot::Receiver<()>,
) {
    let mut jobs = Vec::with_capacity(BATCH_SIZE_MAX);
    let mut held = None;
    let mut probe = tokio::time::interval(WRITE_PROBE_INTERVAL);
    probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            received = queue.recv_many(&mut jobs, BATCH_SIZE_MAX) => {
                if received == 0 {
                    return;
                }
            }
            _ = probe.tick(), if database.health.is_failing() => {
                probe_writes(&database, &mut held, &key).await;
                continue;
            }
            _ = &mut stop => break,
        }
        write_batch(&database, &mut held, &key, std::mem::take(&mut jobs)).await;
    }
    // Stopping: no more jobs come in; write those already queued.
    queue.close();
    while queue.recv_many(&mut jobs, BATCH_SIZE_MAX).await > 0 {
        write_batch(&database, &mut held, &key, std::mem::take(&mut jobs)).await;
    }
}

/// While writes fail, an empty batch through the same path as every other (connection, BEGIN,
/// the writer lock, the head read, COMMIT with its fsync): when it commits, the fault has
/// cleared and readiness says so without waiting for a request. It writes no row but the
/// `ledger_head` counter every batch bumps, and is not counted as a failed write.
async fn probe_writes(database: &Database, held: &mut Option<Held>, key: &CheckpointKey) {
    match apply_batch(database, held, key, &[]).await {
        Ok(_) => database.health.record_success(),
        Err(err) => database.health.note(&err),
    }
}

/// Writes one batch and answers its jobs.
async fn write_batch(
    database: &Database,
    held: &mut Option<Held>,
    key: &CheckpointKey,
    mut batch: Vec<Job>,
) {
    // A job whose caller has gone (the client disconnected, the request was cancelled) was
    // never acknowledged: writing it would be wasted work, and a retry creates it anew.
    batch.retain(|job| !job.reply.is_closed());
    if batch.is_empty() {
        return;
    }
    let (requests, replies): (Vec<Request>, Vec<_>) = batch
        .into_iter()
        .map(|job| (job.request, job.reply))
        .unzip();
    let started = std::time::Instant::now();
    let applied = apply_recorded(database, held, key, &requests).await;
    tracing::debug!(
        requests = requests.len(),
        elapsed_us = started.elapsed().as_micros(),
        ok = applied.is_ok(),
        "ledger batch"
    );
    let results = match applied {
        Ok(results) => results
            .into_iter()
            .map(|result| result.map_err(LedgerError::from))
            .collect(),
        // A fault of the database's fails every request alike: answer them all at once
        // rather than fail each again alone. The cause goes on each request's log line.
        Err(err)
            if requests.len() == 1 || err.write_failure().is_none_or(WriteFailure::is_fault) =>
        {
            let err = Arc::new(err);
            requests
                .iter()
                .map(|_| Err(LedgerError::Storage(Arc::clone(&err))))
                .collect()
        }
        Err(err) => {
            // One bad request must not fail its neighbours: retry each on its own.
            tracing::warn!(
                error = %crate::error::chain(&err),
                requests = requests.len(),
                "ledger batch failed; retrying its requests one by one"
            );
            let mut results = Vec::with_capacity(requests.len());
            for request in &requests {
                let one = apply_recorded(database, held, key, std::slice::from_ref(request)).await;
                results.push(match one {
                    Ok(mut one) => one
                        .pop()
                        .expect("one result per request")
                        .map_err(LedgerError::from),
                    Err(err) => Err(LedgerError::Storage(Arc::new(err))),
                });
            }
            results
        }
    };
    for (reply, result) in replies.into_iter().zip(results) {
        // The caller may have gone meanwhile; the change stands and a retry with the same key
        // gets its response.
        let _ = reply.send(result);
    }
}

/// [`apply_batch`], its outcome recorded in the database's write health.
async fn apply_recorded(
    database: &Database,
    held: &mut Option<Held>,
    key: &CheckpointKey,
    requests: &[Request],
) -> Result<Vec<Result<Applied, Refusal>>, StorageError> {
    let applied = apply_batch(database, held, key, requests).await;
    match &applied {
        Ok(_) => database.health.record_success(),
        Err(err) => database.health.record_failure(err),
    }
    applied
}

/// Where a batch failed.
#[derive(Debug)]
pub(crate) enum Failed {
    /// At BEGIN: nothing but the BEGIN was sent, so the batch can be tried again.
    AtBegin(StorageError),
    /// After BEGIN. Nothing was written, except that a COMMIT whose answer was lost may have
    /// committed (the idempotency key tells when the client retries).
    Later(StorageError),
}

/// A connection the writer keeps across batches.
enum Held {
    /// An SQLite file: the writer's own connection, used from the writer's own thread.
    SqliteFile(Box<sqlite_writer::SqliteWriter>),
    /// An in-memory SQLite database, which only the pool's connections see.
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

impl Held {
    /// The writer's connection: its own on an SQLite file, else one from the pool.
    async fn connect(database: &Database, key: &CheckpointKey) -> Result<Held, StorageError> {
        if let Some(file) = &database.sqlite_file {
            let writer = sqlite_writer::SqliteWriter::open(file, key.clone())?;
            return Ok(Held::SqliteFile(Box::new(writer)));
        }
        on_backend!(database, |pool, sql| {
            sql::writer_connection(pool, WRITER_CONNECT_TIMEOUT)
                .await
                .map(Held::from)
        })
    }

    /// Applies a batch on this connection.
    async fn apply(
        &mut self,
        key: &CheckpointKey,
        requests: &[Request],
    ) -> Result<Vec<Result<Applied, Refusal>>, Failed> {
        match self {
            // A blocking call: the SQLite writer's loop has a thread of its own (`Ledger::start`).
            Held::SqliteFile(writer) => writer.apply_batch(requests),
            Held::Sqlite(connection) => sql::sqlite::apply_batch(connection, key, requests).await,
            Held::Postgres(connection) => {
                sql::postgres::apply_batch(connection, key, requests).await
            }
        }
    }

    async fn discard(self) {
        match self {
            // Closing it (on drop) rolls back whatever is open.
            Held::SqliteFile(writer) => drop(writer),
            Held::Sqlite(connection) => discard(connection).await,
            Held::Postgres(connection) => discard(connection).await,
        }
    }
}

/// How long the writer waits for a connection. Far shorter than the pool's own
/// [`crate::database::POOL_ACQUIRE_TIMEOUT`]: while the database is unreachable (PostgreSQL
/// restarting) requests queue behind this wait, and should be answered 503 within seconds.
pub const WRITER_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// How often the writer tries an empty batch while writes fail: readiness turns back to 200
/// within this long after the fault clears. Each try is one small transaction.
pub const WRITE_PROBE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// How long closing a discarded connection may take; a server that does not answer is left
/// to the operating system to close the socket.
const DISCARD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Closes a connection after a failed write instead of returning it to the pool. Dropping a
/// `PoolConnection` returns it, and a connection whose COMMIT failed may still be inside its
/// transaction (SQLite rolls back on a full disk but sqlx's count of open transactions does
/// not: every later `BEGIN` on it fails). Closing it rolls back whatever is open (SQLite closes
/// the file handle, PostgreSQL ends the session); the pool opens a fresh one in its place.
pub(crate) async fn discard<DB: sqlx::Database>(connection: sqlx::pool::PoolConnection<DB>) {
    match tokio::time::timeout(DISCARD_TIMEOUT, connection.close()).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => tracing::debug!(error = %err, "closing a failed connection"),
        Err(_) => tracing::debug!("closing a failed connection timed out"),
    }
}

/// Applies requests in one transaction under the writer lock, on the writer's connection
/// (taken from the pool when there is none; discarded after any failure, which may have been
/// the connection's). A kept connection that fails at BEGIN with a connection error (the
/// server restarted since the last batch) has written nothing: the batch is tried once more on
/// a fresh connection, so the first batch after a restart does not fail for a dead socket.
async fn apply_batch(
    database: &Database,
    held: &mut Option<Held>,
    key: &CheckpointKey,
    requests: &[Request],
) -> Result<Vec<Result<Applied, Refusal>>, StorageError> {
    loop {
        let kept = held.is_some();
        let connection = match held {
            Some(connection) => connection,
            None => held.insert(Held::connect(database, key).await?),
        };
        let result = connection.apply(key, requests).await;
        let err = match result {
            Ok(results) => return Ok(results),
            Err(failed) => {
                if let Some(connection) = held.take() {
                    connection.discard().await;
                }
                match failed {
                    Failed::AtBegin(err)
                        if kept && err.write_failure() == Some(WriteFailure::Connection) =>
                    {
                        tracing::debug!(error = %err, "the kept connection failed at BEGIN; trying a fresh one");
                        continue;
                    }
                    Failed::AtBegin(err) | Failed::Later(err) => err,
                }
            }
        };
        return Err(err);
    }
}

/// The credential an administrative write re-checks in its transaction (operators have none).
fn credential_of(actor: &Actor) -> Option<Credential> {
    match actor {
        Actor::User(credential) => Some(*credential),
        Actor::Operator(_) => None,
    }
}

impl From<sqlx::pool::PoolConnection<sqlx::Sqlite>> for Held {
    fn from(connection: sqlx::pool::PoolConnection<sqlx::Sqlite>) -> Self {
        Held::Sqlite(connection)
    }
}

impl From<sqlx::pool::PoolConnection<sqlx::Postgres>> for Held {
    fn from(connection: sqlx::pool::PoolConnection<sqlx::Postgres>) -> Self {
        Held::Postgres(connection)
    }
}

impl Database {
    /// One donation, with its reversals folded in.
    pub async fn donation(&self, id: Uuid) -> Result<Option<Donation>, StorageError> {
        Ok(on_backend!(self, |pool, sql| sql::donation(pool, id).await)?)
    }

    /// A page of donations, newest receipt first.
    pub async fn donations(&self, filter: &DonationFilter) -> Result<Vec<Donation>, StorageError> {
        Ok(on_backend!(self, |pool, sql| sql::donations(pool, filter).await)?)
    }

    /// Every account's balance per currency, as kept with the journal lines that move it (a
    /// read of a few dozen rows, whatever the journal's length; [`Database::ledger_check`]
    /// recomputes them from the journal).
    pub async fn balances(&self) -> Result<Vec<FundBalance>, StorageError> {
        Ok(on_backend!(self, |pool, sql| sql::balances(pool).await)?)
    }

    /// Every account's kept balance beside the sum of its journal lines, read at one instant.
    pub(crate) async fn kept_and_journal_balances(
        &self,
    ) -> Result<Vec<check::Compared>, StorageError> {
        Ok(on_backend!(self, |pool, sql| {
            sql::kept_and_journal_balances(pool).await
        })?)
    }

    /// How many journal entries do not balance (an invariant: always zero).
    pub async fn unbalanced_entries(&self) -> Result<i64, StorageError> {
        Ok(on_backend!(self, |pool, sql| sql::unbalanced_entries(
            pool
        )
        .await)?)
    }

    /// The ledger's settings in force.
    pub async fn settings(&self) -> Result<domain::ledger::Settings, StorageError> {
        Ok(on_backend!(self, |pool, sql| sql::settings(pool).await)?)
    }

    /// The zakat data values that took effect on or before `date` (`YYYY-MM-DD`), newest first
    /// within each name, region and class: the first of each group is the one in force.
    pub async fn zakat_data(&self, date: &str) -> Result<Vec<ZakatDatum>, StorageError> {
        Ok(on_backend!(self, |pool, sql| sql::zakat_data(pool, date).await)?)
    }

    /// Every zakat data value stored, typed: what the calculator picks the values in force
    /// from ([`domain::zakat::data::in_force`]). A row that does not parse was not written
    /// through the API, which checks each: it is reported as a decode error.
    pub async fn zakat_records(&self) -> Result<Vec<domain::zakat::DataRecord>, StorageError> {
        let latest = domain::zakat::request::CALCULATION_DATE_LATEST.to_string();
        self.zakat_data(&latest)
            .await?
            .iter()
            .map(|row| {
                domain::zakat::DataRecord::from_stored(
                    row.id,
                    &row.name,
                    &row.region,
                    &row.class,
                    &row.value,
                    &row.effective_from,
                    &row.source,
                )
                .map_err(|err| StorageError::Backend(sqlx::Error::Decode(Box::new(err))))
            })
            .collect()
    }

    /// Records a zakat data value (never edits one), with its audit entry; returns its id.
    pub async fn create_zakat_datum(
        &self,
        key: &CheckpointKey,
        actor: &Actor,
        datum: &NewZakatDatum,
    ) -> Result<i64, LedgerError> {
        let label = actor.label();
        let admin = read::Admin {
            actor: &label,
            credential: credential_of(actor),
            roles: domain::role::ADMINS,
            action: "zakat_data.create",
            subject_kind: "zakat_data",
            payload: serde_json::json!({
                "name": datum.name, "region": datum.region, "class": datum.class,
                "value": datum.value, "effective_from": datum.effective_from, "source": datum.source,
            }),
            statement: "INSERT INTO zakat_data (name, region, class, value, effective_from, source, recorded_by, recorded_at) \
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            binds: vec![
                read::Bind::Text(datum.name.clone()),
                read::Bind::Text(datum.region.clone()),
                read::Bind::Text(datum.class.clone()),
                read::Bind::Text(datum.value.clone()),
                read::Bind::Text(datum.effective_from.clone()),
                read::Bind::Text(datum.source.clone()),
                read::Bind::Text(actor.label()),
                read::Bind::Now,
            ],
        };
        self.administer(key, admin)
            .await?
            .ok_or_else(|| LedgerError::Storage(std::sync::Arc::new(StorageError::NotFound)))
    }

    /// What a live API token stands for: `None` when it is unknown, revoked or its user
    /// disabled. An expired token is returned with its expiry, for the caller to name it.
    pub async fn authenticate(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<Authenticated>, StorageError> {
        Ok(on_backend!(self, |pool, sql| sql::authenticate(
            pool, token_hash
        )
        .await)?)
    }

    /// Every user.
    pub async fn users(&self) -> Result<Vec<User>, StorageError> {
        Ok(on_backend!(self, |pool, sql| sql::users(pool).await)?)
    }

    /// Creates a user; [`StorageError::Conflict`] if the e-mail is taken.
    pub async fn create_user(
        &self,
        key: &CheckpointKey,
        actor: &Actor,
        email: &str,
        role: Role,
        password_hash: &str,
    ) -> Result<i64, LedgerError> {
        let label = actor.label();
        let admin = read::Admin {
            actor: &label,
            credential: credential_of(actor),
            roles: domain::role::ADMINS,
            action: "user.create",
            subject_kind: "user",
            payload: serde_json::json!({ "email": email, "role": role }),
            statement: "INSERT INTO users (email, role, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            binds: vec![
                read::Bind::Text(email.to_owned()),
                read::Bind::Text(role.as_str().to_owned()),
                read::Bind::Text(password_hash.to_owned()),
                read::Bind::Now,
            ],
        };
        self.administer(key, admin)
            .await?
            .ok_or_else(|| LedgerError::Storage(std::sync::Arc::new(StorageError::NotFound)))
    }

    /// Disables a user (their tokens stop working); [`StorageError::NotFound`] if there is no
    /// such enabled user.
    pub async fn disable_user(
        &self,
        key: &CheckpointKey,
        actor: &Actor,
        email: &str,
    ) -> Result<i64, LedgerError> {
        let label = actor.label();
        let admin = read::Admin {
            actor: &label,
            credential: credential_of(actor),
            roles: domain::role::ADMINS,
            action: "user.disable",
            subject_kind: "user",
            payload: serde_json::json!({ "email": email }),
            statement: "UPDATE users SET disabled_at = $1 WHERE email = $2 AND disabled_at IS NULL RETURNING id",
            binds: vec![read::Bind::Now, read::Bind::Text(email.to_owned())],
        };
        self.administer(key, admin)
            .await?
            .ok_or_else(|| LedgerError::Storage(std::sync::Arc::new(StorageError::NotFound)))
    }

    /// Ends every web session of the user `user_id` on an admin's behalf (when disabling
    /// them: enabling them later must not bring back a session someone else may hold);
    /// [`StorageError::NotFound`] if they had none.
    pub async fn end_sessions_of(
        &self,
        key: &CheckpointKey,
        actor: &Actor,
        user_id: i64,
    ) -> Result<i64, LedgerError> {
        let label = actor.label();
        let admin = read::Admin {
            actor: &label,
            credential: credential_of(actor),
            roles: domain::role::ADMINS,
            action: "session.end_all",
            subject_kind: "user",
            payload: serde_json::json!({}),
            statement: "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND kind = 'session' \
                        AND revoked_at IS NULL RETURNING user_id",
            binds: vec![read::Bind::Now, read::Bind::Int(user_id)],
        };
        self.administer(key, admin)
            .await?
            .ok_or_else(|| LedgerError::Storage(std::sync::Arc::new(StorageError::NotFound)))
    }

    /// Enables a disabled user again (their API tokens that have neither expired nor been
    /// revoked work again); [`StorageError::NotFound`] if there is no such disabled user.
    pub async fn enable_user(
        &self,
        key: &CheckpointKey,
        actor: &Actor,
        email: &str,
    ) -> Result<i64, LedgerError> {
        let label = actor.label();
        let admin = read::Admin {
            actor: &label,
            credential: credential_of(actor),
            roles: domain::role::ADMINS,
            action: "user.enable",
            subject_kind: "user",
            payload: serde_json::json!({ "email": email }),
            statement: "UPDATE users SET disabled_at = NULL WHERE email = $1 AND disabled_at IS NOT NULL RETURNING id",
            binds: vec![read::Bind::Text(email.to_owned())],
        };
        self.administer(key, admin)
            .await?
            .ok_or_else(|| LedgerError::Storage(std::sync::Arc::new(StorageError::NotFound)))
    }

    /// Stores a new token's hash for an enabled user, valid until `expires_at` (`None`:
    /// until revoked); returns the token's id.
    pub async fn create_token(
        &self,
        key: &CheckpointKey,
        actor: &Actor,
        email: &str,
        token_hash: &[u8; 32],
        expires_at: Option<time::OffsetDateTime>,
    ) -> Result<i64, LedgerError> {
        let label = actor.label();
        let admin = read::Admin {
            actor: &label,
            credential: credential_of(actor),
            roles: domain::role::ADMINS,
            action: "token.create",
            subject_kind: "token",
            payload: serde_json::json!({ "email": email, "expires_at": expires_at.map(|at| {
                at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
            }) }),
            statement: "INSERT INTO api_tokens (user_id, token_hash, created_at, expires_at) \
                        SELECT id, $1, $2, $3 FROM users WHERE email = $4 AND disabled_at IS NULL RETURNING id",
            binds: vec![
                read::Bind::Bytes(token_hash.to_vec()),
                read::Bind::Now,
                read::Bind::Time(expires_at),
                read::Bind::Text(email.to_owned()),
            ],
        };
        self.administer(key, admin)
            .await?
            .ok_or_else(|| LedgerError::Storage(std::sync::Arc::new(StorageError::NotFound)))
    }

    /// The user signing in with `email` (lower-cased by the caller), if any.
    pub async fn sign_in_user(&self, email: &str) -> Result<Option<SignInUser>, StorageError> {
        Ok(on_backend!(self, |pool, sql| sql::sign_in_user(
            pool, email
        )
        .await)?)
    }

    /// Starts a web session for an enabled user who just proved their password: stores the
    /// session token's hash (valid until `expires_at`) with its audit entry; returns its id.
    /// [`StorageError::NotFound`] if the user is disabled or gone.
    pub async fn start_session(
        &self,
        key: &CheckpointKey,
        user_id: i64,
        token_hash: &[u8; 32],
        expires_at: time::OffsetDateTime,
    ) -> Result<i64, LedgerError> {
        let label = model::user_label(user_id);
        let admin = read::Admin {
            actor: &label,
            // The password was the credential, checked by the caller just now.
            credential: None,
            roles: domain::role::REPORT_READERS,
            action: "session.start",
            subject_kind: "token",
            payload: serde_json::json!({ "user_id": user_id }),
            statement: "INSERT INTO api_tokens (user_id, token_hash, created_at, expires_at, kind) \
                        SELECT id, $1, $2, $3, 'session' FROM users WHERE id = $4 AND disabled_at IS NULL RETURNING id",
            binds: vec![
                read::Bind::Bytes(token_hash.to_vec()),
                read::Bind::Now,
                read::Bind::Time(Some(expires_at)),
                read::Bind::Int(user_id),
            ],
        };
        self.administer(key, admin)
            .await?
            .ok_or_else(|| LedgerError::Storage(std::sync::Arc::new(StorageError::NotFound)))
    }

    /// Ends the web session `credential` came with (`everywhere`: every session of its user);
    /// [`StorageError::NotFound`] if it had ended already.
    pub async fn end_sessions(
        &self,
        key: &CheckpointKey,
        credential: Credential,
        everywhere: bool,
    ) -> Result<i64, LedgerError> {
        let label = model::user_label(credential.user_id);
        let mut binds = vec![read::Bind::Now, read::Bind::Int(credential.user_id)];
        let (action, statement) = if everywhere {
            (
                "session.end_all",
                "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND kind = 'session' \
                 AND revoked_at IS NULL RETURNING user_id",
            )
        } else {
            binds.push(read::Bind::Bytes(credential.token_hash.to_vec()));
            (
                "session.end",
                "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND token_hash = $3 \
                 AND kind = 'session' AND revoked_at IS NULL RETURNING user_id",
            )
        };
        let admin = read::Admin {
            actor: &label,
            credential: None,
            roles: domain::role::REPORT_READERS,
            action,
            subject_kind: "user",
            payload: serde_json::json!({}),
            statement,
            binds,
        };
        self.administer(key, admin)
            .await?
            .ok_or_else(|| LedgerError::Storage(std::sync::Arc::new(StorageError::NotFound)))
    }

    /// Revokes a token by id; [`StorageError::NotFound`] if there is no such live token.
    pub async fn revoke_token(
        &self,
        key: &CheckpointKey,
        actor: &Actor,
        token_id: i64,
    ) -> Result<i64, LedgerError> {
        let label = actor.label();
        let admin = read::Admin {
            actor: &label,
            credential: credential_of(actor),
            roles: domain::role::ADMINS,
            action: "token.revoke",
            subject_kind: "token",
            payload: serde_json::json!({}),
            statement: "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING id",
            binds: vec![read::Bind::Now, read::Bind::Int(token_id)],
        };
        self.administer(key, admin)
            .await?
            .ok_or_else(|| LedgerError::Storage(std::sync::Arc::new(StorageError::NotFound)))
    }

    async fn administer(
        &self,
        key: &CheckpointKey,
        admin: read::Admin<'_>,
    ) -> Result<Option<i64>, LedgerError> {
        self.administer_as(key, admin).await
    }

    /// [`Database::administer`] for rows whose id is a `T` (an `i64`, a `Uuid`).
    async fn administer_as<T: sql::AdminId>(
        &self,
        key: &CheckpointKey,
        admin: read::Admin<'_>,
    ) -> Result<Option<T>, LedgerError> {
        match on_backend!(self, |pool, sql| sql::administer::<T>(pool, key, admin)
            .await)
        {
            Ok(Ok(id)) => {
                // `None` committed nothing: it says nothing about whether writes go through.
                if id.is_some() {
                    self.health.record_success();
                }
                Ok(id)
            }
            Ok(Err(refusal)) => Err(LedgerError::Refused(refusal)),
            Err(err) => {
                self.health.record_failure(&err);
                Err(LedgerError::Storage(std::sync::Arc::new(err)))
            }
        }
    }

    pub(crate) async fn audit_page(
        &self,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, StorageError> {
        Ok(on_backend!(self, |pool, sql| sql::audit_page(
            pool, after_seq, limit
        )
        .await)?)
    }

    pub(crate) async fn checkpoint_page(
        &self,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<Checkpoint>, StorageError> {
        Ok(on_backend!(self, |pool, sql| sql::checkpoint_page(
            pool, after_seq, limit
        )
        .await)?)
    }
}

/// A new institution profile: `$1`…`$9` its fields, `$10` who, `$11` when.
const INSTITUTION_INSERT: &str = "INSERT INTO institution_profiles (name, licence_type, licence_number, address, \
     officer_name, officer_title, code, logo, logo_type, changed_by, changed_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";

impl Database {
    /// One donation by its receipt number.
    pub async fn donation_by_receipt(
        &self,
        receipt: domain::ReceiptNumber,
    ) -> Result<Option<Donation>, StorageError> {
        Ok(on_backend!(self, |pool, sql| sql::donation_by_receipt(
            pool, receipt
        )
        .await)?)
    }

    /// The next `limit` donors by id after `after` who gave zakat received in `from..=to`.
    pub async fn zakat_donors(
        &self,
        from: time::Date,
        to: time::Date,
        after: Option<Uuid>,
        limit: u16,
    ) -> Result<Vec<Uuid>, StorageError> {
        let limit = i64::from(limit);
        Ok(on_backend!(self, |pool, sql| sql::zakat_donors(
            pool, from, to, after, limit
        )
        .await)?)
    }

    /// How many donors gave zakat received in `from..=to`.
    pub async fn zakat_donor_count(
        &self,
        from: time::Date,
        to: time::Date,
    ) -> Result<u64, StorageError> {
        let count = on_backend!(self, |pool, sql| sql::zakat_donor_count(pool, from, to)
            .await)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// The institution profile in force, if an admin set one.
    pub async fn institution(&self) -> Result<Option<domain::receipts::Institution>, StorageError> {
        Ok(on_backend!(self, |pool, sql| sql::institution(pool).await)?)
    }

    /// Sets the institution profile, audited as `institution.update` with every field (the
    /// logo by its SHA-256 and size). Its code numbers the NPWZs issued from then on: the
    /// ledger's writer reads it with every batch (`Books::institution_code`).
    pub async fn set_institution(
        &self,
        key: &CheckpointKey,
        actor: &Actor,
        institution: &domain::receipts::Institution,
    ) -> Result<i64, LedgerError> {
        use read::Bind;
        let label = actor.label();
        let logo = institution.logo.as_ref();
        let admin = read::Admin {
            actor: &label,
            credential: credential_of(actor),
            roles: domain::role::ADMINS,
            action: "institution.update",
            subject_kind: "institution",
            payload: serde_json::json!({
                "name": institution.name,
                "licence_type": institution.licence_type,
                "licence_number": institution.licence_number,
                "address": institution.address,
                "officer_name": institution.officer_name,
                "officer_title": institution.officer_title,
                "code": institution.code.to_string(),
                "logo_sha256": logo.map(domain::receipts::Logo::sha256_hex),
                "logo_bytes": logo.map(|logo| logo.bytes().len()),
            }),
            statement: INSTITUTION_INSERT,
            binds: vec![
                Bind::Text(institution.name.clone()),
                Bind::Text(institution.licence_type.as_str().to_owned()),
                Bind::Text(institution.licence_number.clone()),
                Bind::Text(institution.address.clone()),
                Bind::Text(institution.officer_name.clone()),
                Bind::Text(institution.officer_title.clone()),
                Bind::Int(i64::from(institution.code.get())),
                Bind::OptBytes(logo.map(|logo| logo.bytes().to_vec())),
                Bind::OptText(logo.map(|logo| logo.format().media_type().to_owned())),
                Bind::Text(label.clone()),
                Bind::Now,
            ],
        };
        self.administer(key, admin)
            .await?
            .ok_or_else(|| LedgerError::Storage(std::sync::Arc::new(StorageError::NotFound)))
    }
}

/// A donor's personal fields, each set when its flag is true: `$1`…`$12` in pairs, then the
/// time (`$13`) and the id (`$14`). An erased donor is never changed again.
const DONOR_UPDATE: &str = "UPDATE donors SET \
     name = CASE WHEN $1 THEN $2 ELSE name END, nik = CASE WHEN $3 THEN $4 ELSE nik END, \
     npwp = CASE WHEN $5 THEN $6 ELSE npwp END, phone = CASE WHEN $7 THEN $8 ELSE phone END, \
     email = CASE WHEN $9 THEN $10 ELSE email END, address = CASE WHEN $11 THEN $12 ELSE address END, \
     updated_at = $13 WHERE id = $14 AND erased_at IS NULL RETURNING id";

/// As [`DONOR_UPDATE`], a recipient's fields: `$1`…`$14` in pairs, `$15` the time, `$16` the id.
const RECIPIENT_UPDATE: &str = "UPDATE recipients SET \
     name = CASE WHEN $1 THEN $2 ELSE name END, nik = CASE WHEN $3 THEN $4 ELSE nik END, \
     phone = CASE WHEN $5 THEN $6 ELSE phone END, address = CASE WHEN $7 THEN $8 ELSE address END, \
     asnaf = CASE WHEN $9 THEN $10 ELSE asnaf END, household_size = CASE WHEN $11 THEN $12 ELSE household_size END, \
     eligibility_note = CASE WHEN $13 THEN $14 ELSE eligibility_note END, \
     updated_at = $15 WHERE id = $16 AND erased_at IS NULL RETURNING id";

/// Erasure (UU 27/2022): the name becomes the marker (`$1`), every other personal field NULL.
/// The NPWZ stays, like the id: the institution's number for the record, printed on the
/// receipts the books keep, never issued again. `$2`, `$3` the time, `$4` the id.
const DONOR_ERASE: &str = "UPDATE donors SET name = $1, nik = NULL, npwp = NULL, phone = NULL, \
     email = NULL, address = NULL, erased_at = $2, updated_at = $3 WHERE id = $4 AND erased_at IS NULL RETURNING id";

/// As [`DONOR_ERASE`], for a recipient; the asnaf stays (the distributions carry it anyway).
const RECIPIENT_ERASE: &str = "UPDATE recipients SET name = $1, nik = NULL, phone = NULL, address = NULL, \
     household_size = NULL, eligibility_note = NULL, erased_at = $2, updated_at = $3 \
     WHERE id = $4 AND erased_at IS NULL RETURNING id";

impl Database {
    /// A page of donors, newest first.
    pub async fn donors(&self, filter: &PersonFilter) -> Result<Vec<DonorRecord>, StorageError> {
        Ok(on_backend!(self, |pool, sql| sql::donors(pool, filter).await)?)
    }

    /// One donor.
    pub async fn donor(&self, id: Uuid) -> Result<Option<DonorRecord>, StorageError> {
        Ok(on_backend!(self, |pool, sql| sql::donor(pool, id).await)?)
    }

    /// A page of recipients, newest first.
    pub async fn recipients(
        &self,
        filter: &PersonFilter,
    ) -> Result<Vec<RecipientRecord>, StorageError> {
        Ok(on_backend!(self, |pool, sql| sql::recipients(
            pool, filter
        )
        .await)?)
    }

    /// One recipient.
    pub async fn recipient(&self, id: Uuid) -> Result<Option<RecipientRecord>, StorageError> {
        Ok(on_backend!(self, |pool, sql| sql::recipient(pool, id).await)?)
    }

    /// A page of distributions, newest first.
    pub async fn distributions(
        &self,
        filter: &DistributionFilter,
    ) -> Result<Vec<Distribution>, StorageError> {
        Ok(on_backend!(self, |pool, sql| sql::distributions(
            pool, filter
        )
        .await)?)
    }

    /// One distribution.
    pub async fn distribution(&self, id: Uuid) -> Result<Option<Distribution>, StorageError> {
        Ok(on_backend!(self, |pool, sql| sql::distribution(pool, id).await)?)
    }

    /// Counts a read of each of `ids` (distinct) on `register` by `user_id`. Callers count
    /// before they answer: a read that cannot be counted is not served.
    pub async fn count_reads(
        &self,
        register: Register,
        ids: &[Uuid],
        user_id: i64,
    ) -> Result<(), StorageError> {
        let now = domain::audit::chain_time(time::OffsetDateTime::now_utc());
        Ok(on_backend!(self, |pool, sql| sql::count_reads(
            pool, register, ids, user_id, now
        )
        .await)?)
    }

    /// Who read a person's record how often.
    pub async fn reads(
        &self,
        register: Register,
        id: Uuid,
    ) -> Result<Vec<PersonReads>, StorageError> {
        Ok(on_backend!(self, |pool, sql| sql::reads(
            pool, register, id
        )
        .await)?)
    }

    /// Changes a person's record, audited as `<donor|recipient>.update` naming the fields changed
    /// (never their values). `None` (nothing written) when there is no such person, or their
    /// data was erased.
    pub async fn update_person(
        &self,
        key: &CheckpointKey,
        actor: &Actor,
        register: Register,
        id: Uuid,
        patch: &PersonPatch,
    ) -> Result<Option<Uuid>, LedgerError> {
        use read::Bind;
        let text = |field: &Field<String>| {
            [
                Bind::Bool(field.is_changed()),
                Bind::OptText(field.value().cloned()),
            ]
        };
        let mut binds = vec![
            Bind::Bool(patch.name.is_some()),
            Bind::OptText(patch.name.clone()),
        ];
        binds.extend(text(&patch.nik));
        let statement = match register {
            Register::Donors => {
                binds.extend(text(&patch.npwp));
                binds.extend(text(&patch.phone));
                binds.extend(text(&patch.email));
                binds.extend(text(&patch.address));
                DONOR_UPDATE
            }
            Register::Recipients => {
                binds.extend(text(&patch.phone));
                binds.extend(text(&patch.address));
                binds.push(Bind::Bool(patch.asnaf.is_changed()));
                binds.push(Bind::OptText(
                    patch.asnaf.value().map(|asnaf| asnaf.as_str().to_owned()),
                ));
                binds.push(Bind::Bool(patch.household_size.is_changed()));
                binds.push(Bind::OptInt(
                    patch.household_size.value().copied().map(i64::from),
                ));
                binds.extend(text(&patch.eligibility_note));
                RECIPIENT_UPDATE
            }
        };
        binds.push(Bind::Now);
        binds.push(Bind::Uuid(id));
        let label = actor.label();
        let admin = read::Admin {
            actor: &label,
            credential: credential_of(actor),
            roles: domain::role::RECORDERS,
            action: match register {
                Register::Donors => "donor.update",
                Register::Recipients => "recipient.update",
            },
            subject_kind: register.subject(),
            payload: serde_json::json!({ "fields": patch.fields() }),
            statement,
            binds,
        };
        self.administer_as(key, admin).await
    }

    /// Erases a person's personal data (UU 27/2022), audited as `<donor|recipient>.erase`
    /// with the id only; their id, their donations or distributions and the books stay.
    /// `None` (nothing written) when there is no such person or they were erased already.
    pub async fn erase_person(
        &self,
        key: &CheckpointKey,
        actor: &Actor,
        register: Register,
        id: Uuid,
    ) -> Result<Option<Uuid>, LedgerError> {
        use read::Bind;
        let label = actor.label();
        let admin = read::Admin {
            actor: &label,
            credential: credential_of(actor),
            roles: domain::role::ERASERS,
            action: match register {
                Register::Donors => "donor.erase",
                Register::Recipients => "recipient.erase",
            },
            subject_kind: register.subject(),
            payload: serde_json::json!({}),
            statement: match register {
                Register::Donors => DONOR_ERASE,
                Register::Recipients => RECIPIENT_ERASE,
            },
            binds: vec![
                Bind::Text(domain::ledger::ERASED_NAME.to_owned()),
                Bind::Now,
                Bind::Now,
                Bind::Uuid(id),
            ],
        };
        self.administer_as(key, admin).await
    }
}
