//! Reads for the dashboard, report and audit pages.
//!
//! The dashboard's series are sums the database makes (`GROUP BY` month), never rows carried
//! into the process: on books of millions of donations the page reads a few dozen rows. The
//! audit list reads one page of the chain, newest first, by its primary key.

use domain::ledger::BOOKS_CURRENCY;
use sqlx::Row as _;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::StorageError;
use crate::database::{Database, Pool};

/// What one month of donations (received in it) or distributions (paid in it) sums to, per
/// campaign: the unit the dashboard's charts and its top campaigns are folded from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthlySum {
    /// `YYYY-MM`.
    pub month: String,
    /// The campaign, if any.
    pub campaign_id: Option<Uuid>,
    /// How many.
    pub count: i64,
    /// Minor units of IDR (a gift in another currency at the rupiah it was booked at).
    pub amount_minor: i64,
}

/// An audit entry as the audit page lists it (the payload stays in the database).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditListed {
    /// Position in the chain.
    pub seq: i64,
    /// When.
    pub recorded_at: OffsetDateTime,
    /// Who (`user:<id>`, `operator:<name>`, …).
    pub actor: String,
    /// What (`donation.record`, …).
    pub action: String,
    /// To what.
    pub subject: String,
    /// The previous entry's hash.
    pub prev_hash: Vec<u8>,
    /// This entry's hash.
    pub hash: Vec<u8>,
}

/// The most audit entries one page lists.
pub const AUDIT_LIST_PAGE_SIZE_MAX: u16 = 200;

/// Campaign names read at most for a page: an institution runs dozens, not thousands; the cap
/// keeps a page's cost bounded whatever the table holds.
pub const CAMPAIGN_NAMES_MAX: i64 = 10_000;

/// The month of a `date` column, `YYYY-MM`: SQLite stores dates as `YYYY-MM-DD` text.
const SQLITE_MONTH: &str = "substr({column}, 1, 7)";
/// The same on PostgreSQL's `date`.
const POSTGRES_MONTH: &str = "to_char({column}, 'YYYY-MM')";

/// Donations received from `$1` to `$2` in IDR books, per month and campaign (as
/// `storage::reports`' collections count them: booked rupiah, reversals not subtracted).
const DONATIONS_BY_MONTH: &str = "\
SELECT {month} AS month, campaign_id, CAST(COUNT(*) AS BIGINT) AS count, \
       CAST(SUM(COALESCE(booked_minor, amount_minor)) AS BIGINT) AS amount_minor \
FROM donations \
WHERE received_on >= $1 AND received_on <= $2 AND (booked_minor IS NOT NULL OR currency = $3) \
GROUP BY {month}, campaign_id";

/// Distributions paid from `$1` to `$2` in IDR, per month and campaign.
const DISTRIBUTIONS_BY_MONTH: &str = "\
SELECT {month} AS month, campaign_id, CAST(COUNT(*) AS BIGINT) AS count, \
       CAST(SUM(amount_minor) AS BIGINT) AS amount_minor \
FROM distributions \
WHERE distributed_on >= $1 AND distributed_on <= $2 AND currency = $3 \
GROUP BY {month}, campaign_id";

fn by_month(template: &str, column: &str, backend_month: &str) -> String {
    template.replace("{month}", &backend_month.replace("{column}", column))
}

/// Runs `$body` with `$pool` bound to the backend's pool and `$month` to its month template.
macro_rules! on_backend {
    ($database:expr, |$pool:ident, $month:ident| $body:expr) => {
        match &$database.pool {
            Pool::Sqlite($pool) => {
                let $month = SQLITE_MONTH;
                $body
            }
            Pool::Postgres($pool) => {
                let $month = POSTGRES_MONTH;
                $body
            }
        }
    };
}

fn monthly_sum<R: sqlx::Row>(row: &R) -> Result<MonthlySum, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<Uuid>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(MonthlySum {
        month: row.try_get("month")?,
        campaign_id: row.try_get("campaign_id")?,
        count: row.try_get("count")?,
        amount_minor: row.try_get("amount_minor")?,
    })
}

fn audit_listed<R: sqlx::Row>(row: &R) -> Result<AuditListed, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> OffsetDateTime: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(AuditListed {
        seq: row.try_get("seq")?,
        recorded_at: row.try_get("recorded_at")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        subject: row.try_get("subject")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

impl Database {
    /// Donations received from `from` to `to` (IDR books), summed per month and campaign.
    pub async fn donations_by_month(
        &self,
        from: Date,
        to: Date,
    ) -> Result<Vec<MonthlySum>, StorageError> {
        self.sums_by_month(DONATIONS_BY_MONTH, "received_on", from, to)
            .await
    }

    /// Distributions paid from `from` to `to` (IDR), summed per month and campaign.
    pub async fn distributions_by_month(
        &self,
        from: Date,
        to: Date,
    ) -> Result<Vec<MonthlySum>, StorageError> {
        self.sums_by_month(DISTRIBUTIONS_BY_MONTH, "distributed_on", from, to)
            .await
    }

    /// One of the monthly series: `template` summed by the month of `column`.
    async fn sums_by_month(
        &self,
        template: &str,
        column: &str,
        from: Date,
        to: Date,
    ) -> Result<Vec<MonthlySum>, StorageError> {
        Ok(on_backend!(self, |pool, month| {
            sqlx::query(&by_month(template, column, month))
                .bind(from)
                .bind(to)
                .bind(BOOKS_CURRENCY.code())
                .fetch_all(pool)
                .await?
                .iter()
                .map(monthly_sum)
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// Every campaign's name (at most [`CAMPAIGN_NAMES_MAX`]), by id.
    pub async fn campaign_names(&self) -> Result<Vec<(Uuid, String)>, StorageError> {
        const SQL: &str = "SELECT id, name FROM campaigns ORDER BY name, id LIMIT $1";
        Ok(on_backend!(self, |pool, _month| {
            sqlx::query(SQL)
                .bind(CAMPAIGN_NAMES_MAX)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|row| Ok((row.try_get("id")?, row.try_get("name")?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// Audit entries before `before` (all when `None`), newest first, at most `limit` (capped at
    /// [`AUDIT_LIST_PAGE_SIZE_MAX`]); only those of `action` when given.
    pub async fn audit_list(
        &self,
        before: Option<i64>,
        action: Option<&str>,
        limit: u16,
    ) -> Result<Vec<AuditListed>, StorageError> {
        let limit = i64::from(limit.clamp(1, AUDIT_LIST_PAGE_SIZE_MAX));
        let before = before.unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT seq, recorded_at, actor, action, subject, prev_hash, hash FROM audit_entries \
             WHERE seq < $1{} ORDER BY seq DESC LIMIT $2",
            if action.is_some() {
                " AND action = $3"
            } else {
                ""
            }
        );
        Ok(on_backend!(self, |pool, _month| {
            let mut query = sqlx::query(&sql).bind(before).bind(limit);
            if let Some(action) = action {
                query = query.bind(action);
            }
            query
                .fetch_all(pool)
                .await?
                .iter()
                .map(audit_listed)
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// How many entries the chain holds (its newest sequence number; gap-free by design).
    pub async fn audit_length(&self) -> Result<i64, StorageError> {
        const SQL: &str = "SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) FROM audit_entries";
        Ok(on_backend!(self, |pool, _month| {
            sqlx::query_scalar(SQL).fetch_one(pool).await?
        }))
    }

    /// The newest signed checkpoint, if any.
    pub async fn latest_checkpoint(
        &self,
    ) -> Result<Option<crate::ledger::Checkpoint>, StorageError> {
        const SQL: &str = "SELECT seq, hash, algorithm, key_id, signature, created_at \
             FROM audit_checkpoints ORDER BY seq DESC LIMIT 1";
        Ok(on_backend!(self, |pool, _month| {
            sqlx::query(SQL)
                .fetch_optional(pool)
                .await?
                .map(|row| {
                    Ok::<_, sqlx::Error>(crate::ledger::Checkpoint {
                        seq: row.try_get("seq")?,
                        hash: row.try_get("hash")?,
                        algorithm: row.try_get("algorithm")?,
                        key_id: row.try_get("key_id")?,
                        signature: row.try_get("signature")?,
                        created_at: row.try_get("created_at")?,
                    })
                })
                .transpose()?
        }))
    }
}
