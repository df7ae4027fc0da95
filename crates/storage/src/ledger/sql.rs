//! The ledger's SQL. It is the same text on both backends (`$n` placeholders work on both), so
//! one macro stamps out a module per backend: each function is written once and type-checked
//! against each driver, without the wall of generic bounds sqlx would need otherwise.

macro_rules! backend {
    ($Db:ty, $begin:expr, $combine:literal, $bulk:expr, $balances_by_trigger:literal, $not_by_date:literal) => {
        use std::collections::{BTreeMap, HashMap, HashSet};

        use domain::audit::{CheckpointKey, Hash, GENESIS_PREV_HASH};
        use domain::ledger::{Account, Books, CampaignRules, Needs, ReceiptNumber, Setting, Settings};
        use domain::{Currency, Money, Role};
        use sqlx::{Pool, QueryBuilder, Row as _, Transaction};
        use time::OffsetDateTime;
        use uuid::Uuid;

        use crate::StorageError;
        use crate::ledger::Failed;
        use crate::ledger::model::{Applied, Authenticated, Rendered, Refusal, Request, SignInUser, User};
        use crate::ledger::plan::{self, Claims, Snapshot, StoredKey, Writes};
        use domain::ledger::Donation;
        use crate::ledger::statements::{self, FOLD_UNKEPT_LINES, HEAD_SELECT, LIVE_CREDENTIAL_SELECT, MARK_LINES_KEPT};
        use crate::ledger::read::{self, AuditRecord, Checkpoint, DonationFilter, FundBalance, ZakatDatum};

        type Db = $Db;

        /// How a writer transaction begins and takes the writer lock, in one round trip (see
        /// `statements::BEGIN_AND_LOCK_SQLITE` and `…_POSTGRES`).
        const BEGIN_WRITE: &str = $begin;

        /// How a batch's INSERTs are gathered into one statement (see `Inserts`).
        const INSERTS_AS_CTES: bool = $combine;

        /// The backend's bulk INSERTs for the rows every donation writes, if it has them.
        const BULK: Option<crate::ledger::bulk::Bulk<Db>> = $bulk;

        /// Whether a trigger on `journal_lines` keeps `account_balances` (PostgreSQL); if not,
        /// the writer adds each batch's movement itself (SQLite; migration 0008 says why).
        const BALANCES_BY_TRIGGER: bool = $balances_by_trigger;

        /// Put before a date column in the lists' period filters: SQLite's `+`, which keeps the
        /// planner off the date indexes (`donations_by_received_on`, migration 0012, and
        /// `distributions_distributed_on`, which the statements use). Without statistics SQLite
        /// would range over the period and sort all of it for every page: an export of P rows
        /// read 500 at a time became quadratic (1.1 s a page at 100k donations). Walking the
        /// list's own order (receipt number, id) instead costs the newer rows once, then a page
        /// per page. PostgreSQL weighs both with its statistics and the LIMIT.
        const NOT_BY_DATE: &str = $not_by_date;

        /// Rows per multi-row INSERT: far below either backend's bind-parameter limit.
        const INSERT_ROWS_MAX: usize = 500;

        /// Applies a batch of requests in one transaction; per request, what it produced or why
        /// it was refused. An `Err` means nothing was written for anyone (or, when COMMIT itself
        /// failed on a lost connection, that the outcome is unknown). The transaction is rolled
        /// back when it is dropped unfinished; the caller discards the connection after any
        /// failure, since a failed COMMIT can leave it in a transaction it no longer knows.
        /// The writer keeps one connection across batches (its page cache stays warm: only it
        /// writes), so this takes a connection, not the pool.
        pub(crate) async fn apply_batch(
            connection: &mut <Db as sqlx::Database>::Connection,
            key: &CheckpointKey,
            requests: &[Request],
        ) -> Result<Vec<Result<Applied, Refusal>>, Failed> {
            let mut tx = sqlx::Connection::begin_with(connection, BEGIN_WRITE)
                .await
                .map_err(|err| Failed::AtBegin(err.into()))?;
            let results = plan_and_insert(&mut tx, key, requests).await.map_err(Failed::Later)?;
            tx.commit().await.map_err(|err| Failed::Later(err.into()))?;
            Ok(results)
        }

        /// Everything of a batch but BEGIN and COMMIT: lock, read, plan, check the ledger's
        /// invariants over the planned rows (a violation refuses the whole batch before a row is
        /// written), insert.
        async fn plan_and_insert(
            tx: &mut Transaction<'_, Db>,
            key: &CheckpointKey,
            requests: &[Request],
        ) -> Result<Vec<Result<Applied, Refusal>>, StorageError> {
            let now = domain::audit::chain_time(OffsetDateTime::now_utc());
            let mut snapshot = snapshot(tx, now, requests).await?;
            let head = (snapshot.head_seq, snapshot.head_hash);
            let balances_before = snapshot.books.balances.clone();
            let mut writes = Writes::default();
            let results: Vec<_> = requests.iter().map(|request| plan::plan(&mut snapshot, request, &mut writes)).collect();
            plan::check_invariants(&balances_before, &writes)?;
            let mut out = Inserts::new(tx);
            insert(&mut out, now, &writes);
            append_audit(&mut out, key, now, head, writes.audit);
            out.finish().await?;
            Ok(results)
        }

        /// A connection from the pool for the writer to keep, or an error once `timeout` has
        /// passed (the pool itself would keep retrying a refused connection much longer).
        pub(crate) async fn writer_connection(
            pool: &Pool<Db>,
            timeout: std::time::Duration,
        ) -> Result<sqlx::pool::PoolConnection<Db>, StorageError> {
            match tokio::time::timeout(timeout, pool.acquire()).await {
                Ok(connection) => Ok(connection?),
                Err(_) => Err(sqlx::Error::PoolTimedOut.into()),
            }
        }

        /// The chain's head: its length and last hash.
        async fn chain_head(tx: &mut Transaction<'_, Db>) -> Result<(i64, Hash), sqlx::Error> {
            let head = sqlx::query(statements::CHAIN_HEAD).fetch_optional(&mut **tx).await?;
            match head {
                None => Ok((0, GENESIS_PREV_HASH)),
                Some(row) => Ok((row.try_get::<i64, _>("seq")?, hash_of(row.try_get("hash")?)?)),
            }
        }

        async fn snapshot(
            tx: &mut Transaction<'_, Db>,
            now: OffsetDateTime,
            requests: &[Request],
        ) -> Result<Snapshot, sqlx::Error> {
            let claims = Claims::of(requests);
            let changes = || requests.iter().map(|request| &request.change);
            let needs = Needs::of(changes());
            // The batch's reads are planned afresh each time (`persistent(false)`): a cached
            // generic plan made while a table was small goes on scanning it as it grows
            // (measured on PostgreSQL: the key lookup went from 0.01 ms to 20 ms in 5 s).
            let mut head = sqlx::query(HEAD_SELECT).persistent(false).bind(ReceiptNumber::year_of(now));
            for key in Setting::KEYS {
                head = head.bind(key);
            }
            let head = head.fetch_one(&mut **tx).await?;
            let mut settings = Settings::default();
            for (key, column) in Setting::KEYS.into_iter().zip(["setting_1", "setting_2", "setting_3"]) {
                if let Some(value) = head.try_get::<Option<String>, _>(column)? {
                    settings = settings.with(Setting::parse(key, &value).map_err(|e| sqlx::Error::Decode(Box::new(e)))?);
                }
            }
            let head_seq: i64 = head.try_get("head_seq")?;
            let head_hash = match head.try_get::<Option<Vec<u8>>, _>("head_hash")? {
                None => GENESIS_PREV_HASH,
                Some(hash) => hash_of(hash)?,
            };
            let mut books = Books::new(now);
            books.settings = settings;
            books.receipt_serial_max = head.try_get("receipt_serial_max")?;
            books.npwz_serial_max = u32::try_from(head.try_get::<i64, _>("npwz_serial_max")?)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            books.institution_code = domain::receipts::InstitutionCode::from_stored(head.try_get("institution_code")?)
                .ok_or_else(|| sqlx::Error::Decode("an institution code above 9999".into()))?
                .get();
            if !needs.donations.is_empty() {
                let mut query = QueryBuilder::<Db>::new(read::DONATION_SELECT);
                query.push(" WHERE d.id IN (");
                let mut list = query.separated(", ");
                for id in &needs.donations {
                    list.push_bind(*id);
                }
                query.push(")");
                for row in query.build().persistent(false).fetch_all(&mut **tx).await? {
                    let donation = donation_from_row(&row)?;
                    books.donations.insert(donation.id, donation);
                }
            }
            if !BALANCES_BY_TRIGGER {
                fold_unkept_lines(tx).await?;
            }
            books.balances = balances_of(tx, &Needs::accounts(changes(), &books.donations)).await?;
            books.campaigns = campaign_rules(tx, &needs.campaigns).await?;
            books.donors = existing(tx, "donors", &needs.donors).await?;
            books.recipients = existing(tx, "recipients", &needs.recipients).await?;
            Ok(Snapshot {
                head_seq,
                head_hash,
                books,
                keys: stored_keys(tx, &claims).await?,
                credentials: live_credentials(tx, &claims).await?,
            })
        }

        /// Folds into the kept balances any journal line past the high-water mark of those
        /// already counted — lines a release from before migration 0008 wrote (a rollback, then
        /// forward again) without moving the rows — and moves the mark to the last line. A range
        /// scan from the mark: empty, and a few µs, whenever only this writer has written.
        async fn fold_unkept_lines(tx: &mut Transaction<'_, Db>) -> Result<(), sqlx::Error> {
            sqlx::query(FOLD_UNKEPT_LINES).persistent(false).execute(&mut **tx).await?;
            sqlx::query(MARK_LINES_KEPT).execute(&mut **tx).await?;
            Ok(())
        }

        /// The kept balances (signed line sums) of `accounts`, in every currency they hold: a
        /// primary-key lookup per account, whatever the journal's length.
        async fn balances_of(
            tx: &mut Transaction<'_, Db>,
            accounts: &[(Account, Currency)],
        ) -> Result<HashMap<(Account, Currency), i64>, sqlx::Error> {
            let mut balances = HashMap::new();
            if accounts.is_empty() {
                return Ok(balances);
            }
            let mut query = QueryBuilder::<Db>::new(
                "SELECT account, currency, balance_minor AS total FROM account_balances WHERE account IN (",
            );
            let mut list = query.separated(", ");
            let mut codes: Vec<String> = accounts.iter().map(|(account, _)| account.code()).collect();
            codes.dedup();
            for code in codes {
                list.push_bind(code);
            }
            query.push(")");
            for row in query.build().persistent(false).fetch_all(&mut **tx).await? {
                let account = Account::from_code(&row.try_get::<String, _>("account")?);
                let currency = row.try_get::<String, _>("currency")?.parse::<Currency>();
                if let (Some(account), Ok(currency)) = (account, currency) {
                    balances.insert((account, currency), row.try_get("total")?);
                }
            }
            Ok(balances)
        }

        /// The rules of the campaigns among `ids` that exist.
        async fn campaign_rules(
            tx: &mut Transaction<'_, Db>,
            ids: &[Uuid],
        ) -> Result<HashMap<Uuid, CampaignRules>, sqlx::Error> {
            if ids.is_empty() {
                return Ok(HashMap::new());
            }
            let mut query = QueryBuilder::<Db>::new("SELECT id, allowed_asnaf, amil_share_percent FROM campaigns WHERE id IN (");
            let mut list = query.separated(", ");
            for id in ids {
                list.push_bind(*id);
            }
            query.push(")");
            let mut campaigns = HashMap::new();
            for row in query.build().persistent(false).fetch_all(&mut **tx).await? {
                let rules = read::campaign_rules(row.try_get("allowed_asnaf")?, row.try_get("amil_share_percent")?)
                    .map_err(|e| sqlx::Error::Decode(e.into()))?;
                campaigns.insert(row.try_get("id")?, rules);
            }
            Ok(campaigns)
        }

        /// The stored responses of the idempotency keys the batch claims.
        async fn stored_keys(tx: &mut Transaction<'_, Db>, needs: &Claims) -> Result<HashMap<(i64, String), StoredKey>, sqlx::Error> {
            let mut keys = HashMap::new();
            // One query per user in the batch (usually one), so the primary key (user_id, key)
            // finds the rows: a lookup by key alone would scan every key ever stored.
            for (user_id, user_keys) in &needs.keys {
                let mut query = QueryBuilder::<Db>::new(
                    "SELECT key, request_digest, status, body FROM idempotency_keys WHERE user_id = ",
                );
                query.push_bind(*user_id).push(" AND key IN (");
                let mut list = query.separated(", ");
                for key in user_keys {
                    list.push_bind(key.clone());
                }
                query.push(")");
                for row in query.build().persistent(false).fetch_all(&mut **tx).await? {
                    let status: i32 = row.try_get("status")?;
                    keys.insert(
                        (*user_id, row.try_get("key")?),
                        StoredKey {
                            request_digest: row.try_get("request_digest")?,
                            rendered: Rendered {
                                status: u16::try_from(status).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                                body: row.try_get("body")?,
                            },
                        },
                    );
                }
            }
            Ok(keys)
        }

        /// Which of the tokens the batch's requests came with are still live (not revoked, their
        /// user enabled), whose, with which role and until when.
        async fn live_credentials(tx: &mut Transaction<'_, Db>, needs: &Claims) -> Result<HashMap<Vec<u8>, Authenticated>, sqlx::Error> {
            let mut credentials = HashMap::new();
            if !needs.credentials.is_empty() {
                let mut query = QueryBuilder::<Db>::new(LIVE_CREDENTIAL_SELECT);
                query.push(" IN (");
                let mut list = query.separated(", ");
                for credential in &needs.credentials {
                    list.push_bind(credential.to_vec());
                }
                query.push(")");
                for row in query.build().persistent(false).fetch_all(&mut **tx).await? {
                    credentials.insert(row.try_get("token_hash")?, authenticated_from_row(&row)?);
                }
            }
            Ok(credentials)
        }

        fn authenticated_from_row(row: &<Db as sqlx::Database>::Row) -> Result<Authenticated, sqlx::Error> {
            Ok(Authenticated { user_id: row.try_get("user_id")?, role: decode_role(row)?, expires_at: row.try_get("expires_at")? })
        }

        async fn existing(
            tx: &mut Transaction<'_, Db>,
            table: &'static str,
            ids: &[Uuid],
        ) -> Result<HashSet<Uuid>, sqlx::Error> {
            if ids.is_empty() {
                return Ok(HashSet::new());
            }
            let mut query = QueryBuilder::<Db>::new(format!("SELECT id FROM {table} WHERE id IN ("));
            let mut list = query.separated(", ");
            for id in ids {
                list.push_bind(*id);
            }
            query.push(")");
            query.build().persistent(false).fetch_all(&mut **tx).await?.iter().map(|row| row.try_get("id")).collect()
        }

        /// The settings in force: the newest value of each, or its default.
        pub(crate) async fn settings<'c, E>(executor: E) -> Result<Settings, sqlx::Error>
        where
            E: sqlx::Executor<'c, Database = Db>,
        {
            let rows = sqlx::query(
                "SELECT key, value FROM settings s WHERE id = (SELECT MAX(id) FROM settings t WHERE t.key = s.key)",
            )
            .fetch_all(executor)
            .await?;
            let mut settings = Settings::default();
            for row in rows {
                let key: String = row.try_get("key")?;
                if Setting::KEYS.contains(&key.as_str()) {
                    let setting = Setting::parse(&key, &row.try_get::<String, _>("value")?).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
                    settings = settings.with(setting);
                }
            }
            Ok(settings)
        }

        /// Where a batch's INSERTs go: gathered into one statement, one round trip instead of
        /// one per table. PostgreSQL takes them as data-modifying CTEs (foreign keys are checked
        /// at the end of the statement, so parents and children can share it); SQLite as a
        /// `;`-separated script whose parameters run on across its statements.
        struct Inserts<'t, 'c> {
            tx: &'t mut Transaction<'c, Db>,
            combined: Option<QueryBuilder<'static, Db>>,
            count: usize,
            /// Whether the statement's text depends on the number of rows (so caching its
            /// prepared form would only churn the cache).
            varying: bool,
        }

        impl<'t, 'c> Inserts<'t, 'c> {
            fn new(tx: &'t mut Transaction<'c, Db>) -> Self {
                Inserts { tx, combined: None, count: 0, varying: false }
            }

            /// One INSERT with a parameter per value, built by `build`.
            fn add(&mut self, build: impl FnOnce(&mut QueryBuilder<'static, Db>)) {
                self.varying = true;
                self.add_fixed(build);
            }

            /// One INSERT whose text is the same for any number of rows.
            fn add_fixed(&mut self, build: impl FnOnce(&mut QueryBuilder<'static, Db>)) {
                let query = self.combined.get_or_insert_with(|| QueryBuilder::new(if INSERTS_AS_CTES { "WITH " } else { "" }));
                if INSERTS_AS_CTES {
                    if self.count > 0 {
                        query.push(", ");
                    }
                    query.push(format_args!("insert_{} AS (", self.count));
                    build(query);
                    query.push(")");
                } else {
                    build(query);
                    query.push(";\n");
                }
                self.count += 1;
            }

            /// Runs what was gathered.
            async fn finish(self) -> Result<(), sqlx::Error> {
                if let Some(mut query) = self.combined {
                    if INSERTS_AS_CTES {
                        query.push(" SELECT 1");
                    }
                    // A text that differs with every batch's rows is not worth a prepared statement.
                    let persistent = INSERTS_AS_CTES && !self.varying;
                    query.build().persistent(persistent).execute(&mut **self.tx).await?;
                }
                Ok(())
            }
        }

        /// Inserts a batch's rows, parents before children.
        fn insert(out: &mut Inserts<'_, '_>, now: OffsetDateTime, writes: &Writes) {
            insert_registry(out, now, writes);
            insert_movements(out, writes);
            insert_wakaf_benefits(out, writes);
            insert_journal(out, now, writes);
            insert_balances(out, writes);
        }

        /// Adds the batch's net movement per account and currency to the kept balances, unless
        /// a trigger does (`BALANCES_BY_TRIGGER`). In the batch's statement, so in the
        /// transaction that inserts the lines.
        fn insert_balances(out: &mut Inserts<'_, '_>, writes: &Writes) {
            if BALANCES_BY_TRIGGER {
                return;
            }
            let mut movements: BTreeMap<(&str, &'static str), i64> = BTreeMap::new();
            for line in &writes.lines {
                *movements.entry((line.account.as_str(), line.currency)).or_default() += line.amount_minor;
            }
            let movements: Vec<_> = movements.into_iter().filter(|(_, minor)| *minor != 0).collect();
            for chunk in movements.chunks(INSERT_ROWS_MAX) {
                out.add(|query| {
                    query.push("INSERT INTO account_balances (account, currency, balance_minor) ");
                    query.push_values(chunk, |mut row, ((account, currency), minor)| {
                        row.push_bind((*account).to_owned()).push_bind(*currency).push_bind(*minor);
                    });
                    query.push(" ON CONFLICT (account, currency) DO UPDATE SET balance_minor = account_balances.balance_minor + excluded.balance_minor");
                });
            }
            out.add(|query| {
                query.push(MARK_LINES_KEPT);
            });
        }

        /// Donors, recipients and campaigns.
        fn insert_registry(out: &mut Inserts<'_, '_>, now: OffsetDateTime, writes: &Writes) {
            for chunk in writes.donors.chunks(INSERT_ROWS_MAX) {
                out.add(|query| {
                    query.push("INSERT INTO donors (id, name, nik, npwp, npwz, npwz_serial, phone, email, address, created_at) ");
                    query.push_values(chunk, |mut row, donor| {
                        let person = &donor.person;
                        row.push_bind(donor.id)
                            .push_bind(person.name.clone())
                            .push_bind(person.nik.clone())
                            .push_bind(person.npwp.clone())
                            .push_bind(donor.npwz.to_string())
                            .push_bind(i64::from(donor.npwz.serial()))
                            .push_bind(person.phone.clone())
                            .push_bind(person.email.clone())
                            .push_bind(person.address.clone())
                            .push_bind(now);
                    });
                });
            }
            for chunk in writes.recipients.chunks(INSERT_ROWS_MAX) {
                out.add(|query| {
                    query.push("INSERT INTO recipients (id, name, nik, phone, address, asnaf, household_size, eligibility_note, created_at) ");
                    query.push_values(chunk, |mut row, (id, recipient)| {
                        let person = &recipient.person;
                        row.push_bind(*id)
                            .push_bind(person.name.clone())
                            .push_bind(person.nik.clone())
                            .push_bind(person.phone.clone())
                            .push_bind(person.address.clone())
                            .push_bind(recipient.asnaf.map(|asnaf| asnaf.as_str()))
                            .push_bind(recipient.household_size.map(i32::from))
                            .push_bind(recipient.eligibility_note.clone())
                            .push_bind(now);
                    });
                });
            }
            for chunk in writes.campaigns.chunks(INSERT_ROWS_MAX) {
                out.add(|query| {
                    query.push("INSERT INTO campaigns (id, name, purpose, allowed_asnaf, amil_share_percent, created_at) ");
                    query.push_values(chunk, |mut row, campaign| {
                        row.push_bind(campaign.id)
                            .push_bind(campaign.name.clone())
                            .push_bind(campaign.purpose.clone())
                            .push_bind(read::asnaf_column(campaign.rules.allowed_asnaf))
                            .push_bind(campaign.rules.amil_share.to_string())
                            .push_bind(now);
                    });
                });
            }
        }

        /// Donations, reversals and distributions.
        fn insert_movements(out: &mut Inserts<'_, '_>, writes: &Writes) {
            if let Some(bulk) = &BULK {
                if !writes.donations.is_empty() {
                    out.add_fixed(|query| (bulk.donations)(query, &writes.donations));
                }
            } else {
                for chunk in writes.donations.chunks(INSERT_ROWS_MAX) {
                    out.add(|query| {
                        query.push("INSERT INTO donations (id, receipt_year, receipt_serial, type, fund, campaign_id, donor_id, amount_minor, \
                         currency, method, received_on, note, amil_share_minor, recorded_by, recorded_at, account, rate_to_idr, booked_minor) ");
                        query.push_values(chunk, |mut row, d| {
                            row.push_bind(d.id)
                                .push_bind(d.receipt.year)
                                .push_bind(d.receipt.serial)
                                .push_bind(d.donation_type.as_str())
                                .push_bind(d.fund.as_str())
                                .push_bind(d.campaign_id)
                                .push_bind(d.donor_id)
                                .push_bind(d.amount.minor())
                                .push_bind(d.amount.currency().code())
                                .push_bind(d.method.as_str())
                                .push_bind(d.received_on)
                                .push_bind(d.note.clone())
                                .push_bind(d.amil_share_minor)
                                .push_bind(d.recorded_by)
                                .push_bind(d.recorded_at)
                                .push_bind(d.account.code())
                                .push_bind(d.rate_to_idr.map(|rate| rate.to_string()))
                                .push_bind(d.booked_minor);
                        });
                    });
                }
            }
            for chunk in writes.reversals.chunks(INSERT_ROWS_MAX) {
                out.add(|query| {
                    query.push("INSERT INTO donation_reversals (id, donation_id, kind, amount_minor, amil_share_minor, reason, recorded_by, recorded_at, \
                     booked_minor, receivable_minor) ");
                    query.push_values(chunk, |mut row, r| {
                        row.push_bind(r.id)
                            .push_bind(r.donation_id)
                            .push_bind(r.kind.as_str())
                            .push_bind(r.amount_minor)
                            .push_bind(r.amil_share_minor)
                            .push_bind(r.reason.clone())
                            .push_bind(r.recorded_by)
                            .push_bind(r.recorded_at)
                            .push_bind(r.booked_minor)
                            .push_bind(r.receivable_minor);
                    });
                });
            }
            for chunk in writes.distributions.chunks(INSERT_ROWS_MAX) {
                out.add(|query| {
                    query.push("INSERT INTO distributions (id, fund, campaign_id, recipient_id, asnaf, purpose, program, amount_minor, currency, method, \
                     distributed_on, note, recorded_by, recorded_at) ");
                    query.push_values(chunk, |mut row, d| {
                        row.push_bind(d.id)
                            .push_bind(d.fund.as_str())
                            .push_bind(d.campaign_id)
                            .push_bind(d.recipient_id)
                            .push_bind(d.asnaf.map(|asnaf| asnaf.as_str()))
                            .push_bind(d.purpose.map(|purpose| purpose.as_str()))
                            .push_bind(d.program.clone())
                            .push_bind(d.amount.minor())
                            .push_bind(d.amount.currency().code())
                            .push_bind(d.method.as_str())
                            .push_bind(d.distributed_on)
                            .push_bind(d.note.clone())
                            .push_bind(d.recorded_by)
                            .push_bind(d.recorded_at);
                    });
                });
            }
        }

        /// What wakaf assets earned.
        fn insert_wakaf_benefits(out: &mut Inserts<'_, '_>, writes: &Writes) {
            for chunk in writes.wakaf_benefits.chunks(INSERT_ROWS_MAX) {
                out.add(|query| {
                    query.push("INSERT INTO wakaf_benefits (id, amount_minor, currency, method, received_on, source, nazhir_share_minor, note, \
                     recorded_by, recorded_at) ");
                    query.push_values(chunk, |mut row, b| {
                        row.push_bind(b.id)
                            .push_bind(b.amount.minor())
                            .push_bind(b.amount.currency().code())
                            .push_bind(b.method.as_str())
                            .push_bind(b.received_on)
                            .push_bind(b.source.clone())
                            .push_bind(b.nazhir_share_minor)
                            .push_bind(b.note.clone())
                            .push_bind(b.recorded_by)
                            .push_bind(b.recorded_at);
                    });
                });
            }
        }

        /// Journal entries and lines, idempotency keys and settings.
        fn insert_journal(out: &mut Inserts<'_, '_>, now: OffsetDateTime, writes: &Writes) {
            if let Some(bulk) = &BULK {
                if !writes.entries.is_empty() {
                    out.add_fixed(|query| (bulk.entries)(query, &writes.entries, now));
                }
            } else {
                for chunk in writes.entries.chunks(INSERT_ROWS_MAX) {
                    out.add(|query| {
                        query.push("INSERT INTO journal_entries (id, kind, source_id, posted_at) ");
                        query.push_values(chunk, |mut row, e| {
                            row.push_bind(e.id).push_bind(e.kind).push_bind(e.source_id).push_bind(now);
                        });
                    });
                }
            }
            if let Some(bulk) = &BULK {
                if !writes.lines.is_empty() {
                    out.add_fixed(|query| (bulk.lines)(query, &writes.lines));
                }
            } else {
                for chunk in writes.lines.chunks(INSERT_ROWS_MAX) {
                    out.add(|query| {
                        query.push("INSERT INTO journal_lines (entry_id, line_no, account, currency, amount_minor) ");
                        query.push_values(chunk, |mut row, l| {
                            row.push_bind(l.entry_id).push_bind(l.line_no).push_bind(l.account.clone()).push_bind(l.currency).push_bind(l.amount_minor);
                        });
                    });
                }
            }
            if let Some(bulk) = &BULK {
                if !writes.keys.is_empty() {
                    out.add_fixed(|query| (bulk.keys)(query, &writes.keys, now));
                }
            } else {
                for chunk in writes.keys.chunks(INSERT_ROWS_MAX) {
                    out.add(|query| {
                        query.push("INSERT INTO idempotency_keys (user_id, key, request_digest, status, body, created_at) ");
                        query.push_values(chunk, |mut row, k| {
                            row.push_bind(k.user_id)
                                .push_bind(k.key.clone())
                                .push_bind(k.request_digest.clone())
                                .push_bind(i32::from(k.rendered.status))
                                .push_bind(k.rendered.body.clone())
                                .push_bind(now);
                        });
                    });
                }
            }
            if !writes.settings.is_empty() {
                out.add(|query| {
                    query.push("INSERT INTO settings (key, value, changed_by, changed_at) ");
                    query.push_values(&writes.settings, |mut row, setting| {
                        row.push_bind(setting.key).push_bind(setting.value.clone()).push_bind(setting.changed_by.clone()).push_bind(now);
                    });
                });
            }
        }

        /// Chains `drafts` onto the head and signs a checkpoint of the new head, as INSERTs for the
        /// caller's transaction (which holds the writer lock).
        fn append_audit(
            out: &mut Inserts<'_, '_>,
            key: &CheckpointKey,
            now: OffsetDateTime,
            (head_seq, head_hash): (i64, Hash),
            drafts: Vec<plan::AuditDraft>,
        ) {
            if drafts.is_empty() {
                return;
            }
            let rows = plan::chain(head_seq, head_hash, now, drafts);
            if let Some(bulk) = &BULK {
                out.add_fixed(|query| (bulk.audit)(query, &rows, now));
            } else {
                for chunk in rows.chunks(INSERT_ROWS_MAX) {
                    out.add(|query| {
                        query.push("INSERT INTO audit_entries (seq, recorded_at, actor, action, subject, payload, payload_digest, prev_hash, hash) ");
                        query.push_values(chunk, |mut row, a| {
                            row.push_bind(a.seq)
                                .push_bind(now)
                                .push_bind(a.actor.clone())
                                .push_bind(a.action)
                                .push_bind(a.subject.clone())
                                .push_bind(a.payload.clone())
                                .push_bind(a.payload_digest.to_vec())
                                .push_bind(a.prev_hash.to_vec())
                                .push_bind(a.hash.to_vec());
                        });
                    });
                }
            }
            let last = rows.last().expect("drafts is not empty");
            let seq = u64::try_from(last.seq).expect("sequence numbers are positive");
            let signature = key.sign(seq, &last.hash);
            let algorithm = domain::audit::CheckpointAlgorithm::Ed25519.as_str();
            out.add_fixed(|query| {
                query.push("INSERT INTO audit_checkpoints (seq, hash, algorithm, key_id, signature, created_at) ");
                query.push_values(std::iter::once(last), |mut row, last| {
                    row.push_bind(last.seq)
                        .push_bind(last.hash.to_vec())
                        .push_bind(algorithm)
                        .push_bind(key.public_key().to_bytes().to_vec())
                        .push_bind(signature.to_vec())
                        .push_bind(now);
                });
            });
        }

        fn hash_of(bytes: Vec<u8>) -> Result<Hash, sqlx::Error> {
            Hash::try_from(bytes.as_slice()).map_err(|e| sqlx::Error::Decode(Box::new(e)))
        }

        fn decode<T: std::str::FromStr>(text: &str) -> Result<T, sqlx::Error>
        where
            T::Err: std::error::Error + Send + Sync + 'static,
        {
            text.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))
        }

        fn donation_from_row(row: &<Db as sqlx::Database>::Row) -> Result<Donation, sqlx::Error> {
            read::DonationColumns {
                id: row.try_get("id")?,
                receipt_year: row.try_get("receipt_year")?,
                receipt_serial: row.try_get("receipt_serial")?,
                donation_type: row.try_get("type")?,
                fund: row.try_get("fund")?,
                campaign_id: row.try_get("campaign_id")?,
                donor_id: row.try_get("donor_id")?,
                amount_minor: row.try_get("amount_minor")?,
                currency: row.try_get("currency")?,
                method: row.try_get("method")?,
                received_on: row.try_get("received_on")?,
                note: row.try_get("note")?,
                amil_share_minor: row.try_get("amil_share_minor")?,
                recorded_by: row.try_get("recorded_by")?,
                recorded_at: row.try_get("recorded_at")?,
                account: row.try_get("account")?,
                rate_to_idr: row.try_get("rate_to_idr")?,
                booked_minor: row.try_get("booked_minor")?,
                reversed_minor: row.try_get("reversed_minor")?,
                voided: row.try_get("voided")?,
            }
            .into_donation()
            .map_err(sqlx::Error::Decode)
        }

        /// One donation with what happened to it since.
        pub(crate) async fn donation(pool: &Pool<Db>, id: Uuid) -> Result<Option<Donation>, sqlx::Error> {
            let mut query = QueryBuilder::<Db>::new(read::DONATION_SELECT);
            query.push(" WHERE d.id = ").push_bind(id);
            query.build().fetch_optional(pool).await?.map(|row| donation_from_row(&row)).transpose()
        }

        /// A page of donations, newest receipt first.
        pub(crate) async fn donations(pool: &Pool<Db>, filter: &DonationFilter) -> Result<Vec<Donation>, sqlx::Error> {
            let mut query = QueryBuilder::<Db>::new(read::DONATION_SELECT);
            query.push(" WHERE 1 = 1");
            if let Some(from) = filter.received_from {
                query.push(" AND ").push(NOT_BY_DATE).push("d.received_on >= ").push_bind(from);
            }
            if let Some(to) = filter.received_to {
                query.push(" AND ").push(NOT_BY_DATE).push("d.received_on <= ").push_bind(to);
            }
            if let Some(donation_type) = filter.donation_type {
                query.push(" AND d.type = ").push_bind(donation_type.as_str());
            }
            if let Some(fund) = filter.fund {
                query.push(" AND d.fund = ").push_bind(fund.as_str());
            }
            if let Some(campaign) = filter.campaign_id {
                query.push(" AND d.campaign_id = ").push_bind(campaign);
            }
            if let Some(donor) = filter.donor_id {
                query.push(" AND d.donor_id = ").push_bind(donor);
            }
            if let Some(name) = &filter.donor_name {
                query.push(" AND d.donor_id IN (SELECT p.id FROM donors p WHERE LOWER(p.name) LIKE ");
                query.push_bind(read::contains_pattern(name)).push(" ESCAPE '\\')");
            }
            if let Some(status) = filter.status {
                query.push(read::status_condition(status));
            }
            if let Some(before) = filter.before {
                query.push(" AND (d.receipt_year < ").push_bind(before.year);
                query.push(" OR (d.receipt_year = ").push_bind(before.year);
                query.push(" AND d.receipt_serial < ").push_bind(before.serial).push("))");
            }
            query.push(" ORDER BY d.receipt_year DESC, d.receipt_serial DESC LIMIT ").push_bind(i64::from(filter.limit));
            query.build().fetch_all(pool).await?.iter().map(donation_from_row).collect()
        }

        /// One donation by its receipt number.
        pub(crate) async fn donation_by_receipt(pool: &Pool<Db>, receipt: ReceiptNumber) -> Result<Option<Donation>, sqlx::Error> {
            let mut query = QueryBuilder::<Db>::new(read::DONATION_SELECT);
            query.push(" WHERE d.receipt_year = ").push_bind(receipt.year);
            query.push(" AND d.receipt_serial = ").push_bind(receipt.serial);
            query.build().fetch_optional(pool).await?.map(|row| donation_from_row(&row)).transpose()
        }

        /// The next `limit` donors (by id, after `after`) who gave zakat received between `from`
        /// and `to`: the bulk annual receipts walk them a page at a time.
        pub(crate) async fn zakat_donors(
            pool: &Pool<Db>,
            from: time::Date,
            to: time::Date,
            after: Option<Uuid>,
            limit: i64,
        ) -> Result<Vec<Uuid>, sqlx::Error> {
            let mut query = QueryBuilder::<Db>::new("SELECT DISTINCT donor_id FROM donations WHERE donor_id IS NOT NULL");
            query.push(" AND type IN ('zakat_maal', 'zakat_penghasilan', 'zakat_fitrah')");
            // By donor (`donations_donor_received`), not by day: one donor after another.
            query.push(" AND ").push(NOT_BY_DATE).push("received_on >= ").push_bind(from);
            query.push(" AND ").push(NOT_BY_DATE).push("received_on <= ").push_bind(to);
            if let Some(after) = after {
                query.push(" AND donor_id > ").push_bind(after);
            }
            query.push(" ORDER BY donor_id LIMIT ").push_bind(limit);
            query.build_query_scalar::<Uuid>().persistent(false).fetch_all(pool).await
        }

        /// How many donors gave zakat received between `from` and `to`.
        pub(crate) async fn zakat_donor_count(pool: &Pool<Db>, from: time::Date, to: time::Date) -> Result<i64, sqlx::Error> {
            sqlx::query_scalar(
                "SELECT CAST(COUNT(DISTINCT donor_id) AS BIGINT) FROM donations WHERE donor_id IS NOT NULL \
                 AND type IN ('zakat_maal', 'zakat_penghasilan', 'zakat_fitrah') AND received_on >= $1 AND received_on <= $2",
            )
            .bind(from)
            .bind(to)
            .fetch_one(pool)
            .await
        }

        /// The institution profile in force, if an admin set one.
        pub(crate) async fn institution(pool: &Pool<Db>) -> Result<Option<domain::receipts::Institution>, sqlx::Error> {
            let row = sqlx::query(
                "SELECT name, licence_type, licence_number, address, officer_name, officer_title, \
                 CAST(code AS BIGINT) AS code, logo, logo_type FROM institution_profiles ORDER BY id DESC LIMIT 1",
            )
            .fetch_optional(pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let decode = |what: &'static str| sqlx::Error::Decode(format!("a stored institution {what} is not valid").into());
            let licence_type: String = row.try_get("licence_type")?;
            let logo = match (row.try_get::<Option<Vec<u8>>, _>("logo")?, row.try_get::<Option<String>, _>("logo_type")?) {
                (Some(bytes), Some(_)) => Some(domain::receipts::Logo::parse(bytes).map_err(|_| decode("logo"))?),
                _ => None,
            };
            Ok(Some(domain::receipts::Institution {
                name: row.try_get("name")?,
                licence_type: licence_type.parse().map_err(|_| decode("licence type"))?,
                licence_number: row.try_get("licence_number")?,
                address: row.try_get("address")?,
                officer_name: row.try_get("officer_name")?,
                officer_title: row.try_get("officer_title")?,
                code: domain::receipts::InstitutionCode::from_stored(row.try_get("code")?).ok_or_else(|| decode("code"))?,
                logo,
            }))
        }

        /// A donor row.
        const DONOR_SELECT: &str = "SELECT id, name, nik, npwp, npwz, phone, email, address, created_at, updated_at, erased_at FROM donors";

        /// A recipient row.
        const RECIPIENT_SELECT: &str = "SELECT id, name, nik, phone, address, asnaf, household_size, eligibility_note, \
             created_at, updated_at, erased_at FROM recipients";

        /// A distribution row.
        const DISTRIBUTION_SELECT: &str = "SELECT id, fund, campaign_id, recipient_id, asnaf, purpose, program, amount_minor, \
             currency, method, distributed_on, note, recorded_by, recorded_at FROM distributions";

        fn donor_from_row(row: &<Db as sqlx::Database>::Row) -> Result<read::DonorRecord, sqlx::Error> {
            Ok(read::DonorRecord {
                id: row.try_get("id")?,
                npwz: row.try_get("npwz")?,
                person: domain::ledger::PersonalData {
                    name: row.try_get("name")?,
                    nik: row.try_get("nik")?,
                    npwp: row.try_get("npwp")?,
                    phone: row.try_get("phone")?,
                    email: row.try_get("email")?,
                    address: row.try_get("address")?,
                },
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
                erased_at: row.try_get("erased_at")?,
            })
        }

        fn recipient_from_row(row: &<Db as sqlx::Database>::Row) -> Result<read::RecipientRecord, sqlx::Error> {
            Ok(read::RecipientRecord {
                id: row.try_get("id")?,
                person: domain::ledger::PersonalData {
                    name: row.try_get("name")?,
                    nik: row.try_get("nik")?,
                    phone: row.try_get("phone")?,
                    address: row.try_get("address")?,
                    ..domain::ledger::PersonalData::default()
                },
                asnaf: row.try_get::<Option<String>, _>("asnaf")?.as_deref().map(decode).transpose()?,
                household_size: row
                    .try_get::<Option<i32>, _>("household_size")?
                    .map(|size| u16::try_from(size).map_err(|e| sqlx::Error::Decode(Box::new(e))))
                    .transpose()?,
                eligibility_note: row.try_get("eligibility_note")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
                erased_at: row.try_get("erased_at")?,
            })
        }

        fn distribution_from_row(row: &<Db as sqlx::Database>::Row) -> Result<domain::ledger::Distribution, sqlx::Error> {
            let currency: Currency = decode(&row.try_get::<String, _>("currency")?)?;
            Ok(domain::ledger::Distribution {
                id: row.try_get("id")?,
                fund: decode(&row.try_get::<String, _>("fund")?)?,
                campaign_id: row.try_get("campaign_id")?,
                recipient_id: row.try_get("recipient_id")?,
                asnaf: row.try_get::<Option<String>, _>("asnaf")?.as_deref().map(decode).transpose()?,
                purpose: row.try_get::<Option<String>, _>("purpose")?.as_deref().map(decode).transpose()?,
                program: row.try_get("program")?,
                amount: Money::from_minor(row.try_get("amount_minor")?, currency).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                method: decode(&row.try_get::<String, _>("method")?)?,
                distributed_on: row.try_get("distributed_on")?,
                note: row.try_get("note")?,
                recorded_by: row.try_get("recorded_by")?,
                recorded_at: row.try_get("recorded_at")?,
            })
        }

        /// The criteria of `filter` and its page, after a `WHERE 1 = 1`.
        fn push_person_filter(query: &mut QueryBuilder<'_, Db>, filter: &read::PersonFilter) {
            if let Some(name) = &filter.name {
                query.push(" AND LOWER(name) LIKE ").push_bind(read::contains_pattern(name)).push(" ESCAPE '\\'");
            }
            for (column, value) in [("nik", &filter.nik), ("npwp", &filter.npwp), ("phone", &filter.phone), ("npwz", &filter.npwz)] {
                if let Some(value) = value {
                    query.push(format_args!(" AND {column} = ")).push_bind(value.clone());
                }
            }
            if let Some(asnaf) = filter.asnaf {
                query.push(" AND asnaf = ").push_bind(asnaf.as_str());
            }
            if let Some(before) = filter.before {
                query.push(" AND id < ").push_bind(before);
            }
            query.push(" ORDER BY id DESC LIMIT ").push_bind(i64::from(filter.limit));
        }

        /// A page of donors, newest first.
        pub(crate) async fn donors(pool: &Pool<Db>, filter: &read::PersonFilter) -> Result<Vec<read::DonorRecord>, sqlx::Error> {
            let mut query = QueryBuilder::<Db>::new(DONOR_SELECT);
            query.push(" WHERE 1 = 1");
            push_person_filter(&mut query, filter);
            query.build().persistent(false).fetch_all(pool).await?.iter().map(donor_from_row).collect()
        }

        /// One donor.
        pub(crate) async fn donor(pool: &Pool<Db>, id: Uuid) -> Result<Option<read::DonorRecord>, sqlx::Error> {
            let mut query = QueryBuilder::<Db>::new(DONOR_SELECT);
            query.push(" WHERE id = ").push_bind(id);
            query.build().fetch_optional(pool).await?.map(|row| donor_from_row(&row)).transpose()
        }

        /// A page of recipients, newest first.
        pub(crate) async fn recipients(pool: &Pool<Db>, filter: &read::PersonFilter) -> Result<Vec<read::RecipientRecord>, sqlx::Error> {
            let mut query = QueryBuilder::<Db>::new(RECIPIENT_SELECT);
            query.push(" WHERE 1 = 1");
            push_person_filter(&mut query, filter);
            query.build().persistent(false).fetch_all(pool).await?.iter().map(recipient_from_row).collect()
        }

        /// One recipient.
        pub(crate) async fn recipient(pool: &Pool<Db>, id: Uuid) -> Result<Option<read::RecipientRecord>, sqlx::Error> {
            let mut query = QueryBuilder::<Db>::new(RECIPIENT_SELECT);
            query.push(" WHERE id = ").push_bind(id);
            query.build().fetch_optional(pool).await?.map(|row| recipient_from_row(&row)).transpose()
        }

        /// A page of distributions, newest first.
        pub(crate) async fn distributions(
            pool: &Pool<Db>,
            filter: &read::DistributionFilter,
        ) -> Result<Vec<domain::ledger::Distribution>, sqlx::Error> {
            let mut query = QueryBuilder::<Db>::new(DISTRIBUTION_SELECT);
            query.push(" WHERE 1 = 1");
            if let Some(from) = filter.distributed_from {
                query.push(" AND ").push(NOT_BY_DATE).push("distributed_on >= ").push_bind(from);
            }
            if let Some(to) = filter.distributed_to {
                query.push(" AND ").push(NOT_BY_DATE).push("distributed_on <= ").push_bind(to);
            }
            if let Some(fund) = filter.fund {
                query.push(" AND fund = ").push_bind(fund.as_str());
            }
            if let Some(asnaf) = filter.asnaf {
                query.push(" AND asnaf = ").push_bind(asnaf.as_str());
            }
            if let Some(purpose) = filter.purpose {
                query.push(" AND purpose = ").push_bind(purpose.as_str());
            }
            if let Some(campaign) = filter.campaign_id {
                query.push(" AND campaign_id = ").push_bind(campaign);
            }
            if let Some(recipient) = filter.recipient_id {
                query.push(" AND recipient_id = ").push_bind(recipient);
            }
            if let Some(before) = filter.before {
                query.push(" AND id < ").push_bind(before);
            }
            query.push(" ORDER BY id DESC LIMIT ").push_bind(i64::from(filter.limit));
            query.build().persistent(false).fetch_all(pool).await?.iter().map(distribution_from_row).collect()
        }

        /// One distribution.
        pub(crate) async fn distribution(pool: &Pool<Db>, id: Uuid) -> Result<Option<domain::ledger::Distribution>, sqlx::Error> {
            let mut query = QueryBuilder::<Db>::new(DISTRIBUTION_SELECT);
            query.push(" WHERE id = ").push_bind(id);
            query.build().fetch_optional(pool).await?.map(|row| distribution_from_row(&row)).transpose()
        }

        /// Counts one read by `user_id` of each of `ids` (distinct) on `register`, in one statement.
        pub(crate) async fn count_reads(
            pool: &Pool<Db>,
            register: read::Register,
            ids: &[Uuid],
            user_id: i64,
            now: OffsetDateTime,
        ) -> Result<(), sqlx::Error> {
            if ids.is_empty() {
                return Ok(());
            }
            let mut query = QueryBuilder::<Db>::new("INSERT INTO personal_data_reads (subject, person_id, user_id, read_count, last_read_at) ");
            query.push_values(ids, |mut row, id| {
                row.push_bind(register.subject()).push_bind(*id).push_bind(user_id).push_bind(1_i64).push_bind(now);
            });
            query.push(
                " ON CONFLICT (subject, person_id, user_id) DO UPDATE SET \
                 read_count = personal_data_reads.read_count + 1, last_read_at = excluded.last_read_at",
            );
            query.build().persistent(false).execute(pool).await?;
            Ok(())
        }

        /// Who read a person's record how often, by reader.
        pub(crate) async fn reads(pool: &Pool<Db>, register: read::Register, id: Uuid) -> Result<Vec<read::PersonReads>, sqlx::Error> {
            let rows = sqlx::query(
                "SELECT user_id, read_count, last_read_at FROM personal_data_reads WHERE subject = $1 AND person_id = $2 ORDER BY user_id",
            )
            .bind(register.subject())
            .bind(id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(read::PersonReads {
                        user_id: row.try_get("user_id")?,
                        read_count: row.try_get("read_count")?,
                        last_read_at: row.try_get("last_read_at")?,
                    })
                })
                .collect()
        }

        /// Every account's kept balance per currency (the signed sum of its journal lines, kept
        /// with them; `ledger check` compares the two).
        pub(crate) async fn balances(pool: &Pool<Db>) -> Result<Vec<FundBalance>, sqlx::Error> {
            let rows = sqlx::query(
                "SELECT account, currency, balance_minor AS total FROM account_balances ORDER BY account, currency",
            )
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(FundBalance { account: row.try_get("account")?, currency: row.try_get("currency")?, lines_sum_minor: row.try_get("total")? })
                })
                .collect()
        }

        /// Every account and currency that has a kept balance or journal lines: the kept balance
        /// (0 without a row) and the sum of its lines, read in one statement (one snapshot, so
        /// a batch committing meanwhile is either in both or in neither).
        pub(crate) async fn kept_and_journal_balances(pool: &Pool<Db>) -> Result<Vec<crate::ledger::check::Compared>, sqlx::Error> {
            let rows = sqlx::query(
                "SELECT account, currency, CAST(SUM(kept) AS BIGINT) AS kept_minor, CAST(SUM(journal) AS BIGINT) AS journal_minor \
                 FROM (SELECT account, currency, balance_minor AS kept, CAST(0 AS BIGINT) AS journal FROM account_balances \
                       UNION ALL \
                       SELECT account, currency, CAST(0 AS BIGINT), amount_minor FROM journal_lines) AS both_sides \
                 GROUP BY account, currency ORDER BY account, currency",
            )
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(crate::ledger::check::Compared {
                        account: row.try_get("account")?,
                        currency: row.try_get("currency")?,
                        kept_minor: row.try_get("kept_minor")?,
                        journal_minor: row.try_get("journal_minor")?,
                    })
                })
                .collect()
        }

        /// Journal entries whose lines do not sum to zero (must be none).
        pub(crate) async fn unbalanced_entries(pool: &Pool<Db>) -> Result<i64, sqlx::Error> {
            sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT entry_id FROM journal_lines GROUP BY entry_id, currency \
                 HAVING SUM(amount_minor) <> 0) AS unbalanced",
            )
            .fetch_one(pool)
            .await
        }

        /// Audit entries after `after_seq`, in order, at most `limit`.
        pub(crate) async fn audit_page(pool: &Pool<Db>, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>, sqlx::Error> {
            let rows = sqlx::query(
                "SELECT seq, recorded_at, actor, action, subject, payload, payload_digest, prev_hash, hash FROM audit_entries \
                 WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(after_seq)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(AuditRecord {
                        seq: row.try_get("seq")?,
                        recorded_at: row.try_get("recorded_at")?,
                        actor: row.try_get("actor")?,
                        action: row.try_get("action")?,
                        subject: row.try_get("subject")?,
                        payload: row.try_get("payload")?,
                        payload_digest: row.try_get("payload_digest")?,
                        prev_hash: row.try_get("prev_hash")?,
                        hash: row.try_get("hash")?,
                    })
                })
                .collect()
        }

        /// Checkpoints after `after_seq`, in order, at most `limit`.
        pub(crate) async fn checkpoint_page(pool: &Pool<Db>, after_seq: i64, limit: i64) -> Result<Vec<Checkpoint>, sqlx::Error> {
            let rows = sqlx::query(
                "SELECT seq, hash, algorithm, key_id, signature, created_at FROM audit_checkpoints WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(after_seq)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(Checkpoint {
                        seq: row.try_get("seq")?,
                        hash: row.try_get("hash")?,
                        algorithm: row.try_get("algorithm")?,
                        key_id: row.try_get("key_id")?,
                        signature: row.try_get("signature")?,
                        created_at: row.try_get("created_at")?,
                    })
                })
                .collect()
        }

        /// What a live token stands for, unless the token was revoked or its user disabled
        /// (an expired token is returned: the caller names its expiry).
        pub(crate) async fn authenticate(pool: &Pool<Db>, token_hash: &[u8]) -> Result<Option<Authenticated>, sqlx::Error> {
            let row = sqlx::query(statements::LIVE_CREDENTIAL)
                .bind(token_hash.to_vec())
                .fetch_optional(pool)
                .await?;
            row.map(|row| authenticated_from_row(&row)).transpose()
        }

        fn decode_role(row: &<Db as sqlx::Database>::Row) -> Result<Role, sqlx::Error> {
            decode(&row.try_get::<String, _>("role")?)
        }

        /// Zakat data rows effective on or before `date`, newest first per name, region, class.
        pub(crate) async fn zakat_data(pool: &Pool<Db>, date: &str) -> Result<Vec<ZakatDatum>, sqlx::Error> {
            let rows = sqlx::query(
                "SELECT id, name, region, class, value, effective_from, source FROM zakat_data \
                 WHERE effective_from <= $1 ORDER BY name, region, class, effective_from DESC, id DESC",
            )
            .bind(date)
            .persistent(false)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(ZakatDatum {
                        id: row.try_get("id")?,
                        name: row.try_get("name")?,
                        region: row.try_get("region")?,
                        class: row.try_get("class")?,
                        value: row.try_get("value")?,
                        effective_from: row.try_get("effective_from")?,
                        source: row.try_get("source")?,
                    })
                })
                .collect()
        }

        /// Every user, by id.
        pub(crate) async fn users(pool: &Pool<Db>) -> Result<Vec<User>, sqlx::Error> {
            let rows = sqlx::query("SELECT id, email, role, disabled_at IS NOT NULL AS disabled FROM users ORDER BY id").fetch_all(pool).await?;
            rows.iter()
                .map(|row| Ok(User { id: row.try_get("id")?, email: row.try_get("email")?, role: decode_role(row)?, disabled: row.try_get("disabled")? }))
                .collect()
        }

        /// The user signing in with `email`, with their password hash (disabled users too:
        /// the caller refuses them after checking the password, saying nothing to a guesser).
        pub(crate) async fn sign_in_user(pool: &Pool<Db>, email: &str) -> Result<Option<SignInUser>, sqlx::Error> {
            let row = sqlx::query("SELECT id, role, password_hash, disabled_at IS NOT NULL AS disabled FROM users WHERE email = $1")
                .bind(email)
                .fetch_optional(pool)
                .await?;
            row.map(|row| {
                Ok(SignInUser { id: row.try_get("id")?, role: decode_role(&row)?, password_hash: row.try_get("password_hash")?, disabled: row.try_get("disabled")? })
            })
            .transpose()
        }

        /// Runs one administrative statement (which returns the id of the row it changed) under
        /// the writer lock, with its audit entry `action` on `<subject_kind>:<id>` whose payload
        /// is `payload` plus the id, in one transaction. `Ok(None)` (and nothing written) when the
        /// statement matched no row; a refusal (nothing written) when the caller's credential,
        /// read under the same lock, is no longer live, has expired or is no longer an admin's.
        /// After a failure the connection is discarded, not returned to the pool: a failed
        /// COMMIT can leave it inside a transaction.
        pub(crate) async fn administer<T: super::AdminId>(
            pool: &Pool<Db>,
            key: &CheckpointKey,
            admin: read::Admin<'_>,
        ) -> Result<Result<Option<T>, Refusal>, StorageError> {
            let mut connection = pool.acquire().await?;
            let result = administer_on::<T>(&mut connection, key, admin).await;
            if result.is_err() {
                crate::ledger::discard(connection).await;
            }
            result
        }

        async fn administer_on<T: super::AdminId>(
            connection: &mut <Db as sqlx::Database>::Connection,
            key: &CheckpointKey,
            admin: read::Admin<'_>,
        ) -> Result<Result<Option<T>, Refusal>, StorageError> {
            let read::Admin { actor, credential, roles, action, subject_kind, mut payload, statement, binds } = admin;
            let mut tx = sqlx::Connection::begin_with(connection, BEGIN_WRITE).await?;
            let now = domain::audit::chain_time(OffsetDateTime::now_utc());
            if let Some(credential) = credential {
                let live = sqlx::query(statements::LIVE_CREDENTIAL)
                    .bind(credential.token_hash.to_vec())
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|row| authenticated_from_row(&row))
                    .transpose()?;
                if let Err(refusal) = plan::check_credential(live.as_ref(), credential.user_id, roles, now) {
                    return Ok(Err(refusal));
                }
            }
            let mut query = sqlx::query_scalar::<_, T>(statement);
            for bind in binds {
                query = match bind {
                    read::Bind::Text(text) => query.bind(text),
                    read::Bind::OptText(text) => query.bind(text),
                    read::Bind::Int(int) => query.bind(int),
                    read::Bind::OptInt(int) => query.bind(int),
                    read::Bind::Bool(flag) => query.bind(flag),
                    read::Bind::Uuid(id) => query.bind(id),
                    read::Bind::Bytes(bytes) => query.bind(bytes),
                    read::Bind::OptBytes(bytes) => query.bind(bytes),
                    read::Bind::Time(time) => query.bind(time),
                    read::Bind::Now => query.bind(now),
                };
            }
            let Some(id) = query.fetch_optional(&mut *tx).await? else {
                return Ok(Ok(None));
            };
            payload["id"] = serde_json::json!(id);
            let draft = plan::AuditDraft { actor: actor.to_owned(), action, subject: format!("{subject_kind}:{id}"), payload };
            let head = chain_head(&mut tx).await?;
            let mut out = Inserts::new(&mut tx);
            append_audit(&mut out, key, now, head, vec![draft]);
            out.finish().await?;
            tx.commit().await?;
            Ok(Ok(Some(id)))
        }
    };
}

/// The id of a row an administrative statement changes (`RETURNING id`): users' and tokens'
/// are integers, donors' and recipients' UUIDs.
pub(crate) trait AdminId:
    std::fmt::Display
    + serde::Serialize
    + Send
    + Unpin
    + 'static
    + for<'r> sqlx::Decode<'r, sqlx::Sqlite>
    + sqlx::Type<sqlx::Sqlite>
    + for<'r> sqlx::Decode<'r, sqlx::Postgres>
    + sqlx::Type<sqlx::Postgres>
{
}

impl AdminId for i64 {}
impl AdminId for uuid::Uuid {}

pub(crate) mod sqlite {
    backend!(
        sqlx::Sqlite,
        crate::ledger::statements::BEGIN_AND_LOCK_SQLITE,
        false,
        None,
        false,
        "+"
    );
}

pub(crate) mod postgres {
    backend!(
        sqlx::Postgres,
        crate::ledger::statements::BEGIN_AND_LOCK_POSTGRES,
        true,
        Some(crate::ledger::bulk::POSTGRES),
        true,
        ""
    );
}
