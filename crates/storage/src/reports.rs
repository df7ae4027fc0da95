//! What the PSAK 109 statements are drawn from (`domain::reports`): the journal's movements
//! since a day, summed with `GROUP BY`, with every account's kept balance in the same
//! statement (one snapshot); donations and distributions of a period summed per day, type,
//! asnaf and program.
//!
//! A movement is dated by the record it books (a donation or wakaf benefit by the day it was
//! received, a distribution by the day it was paid, a reversal by the day in WIB it was
//! recorded), so the query starts from those records' dates and joins their journal entries:
//! its cost follows the rows since the period began, not the whole journal. The opening balance
//! is the kept balance less what moved since (see `docs/REPORTS.md` for what was measured).

use domain::Fund;
use domain::ledger::{Account, BOOKS_CURRENCY, RECEIPT_YEAR_OFFSET};
use domain::reports::{
    ChangesInFunds, CollectionSum, Collections, DistributionSum, DistributionsReport,
    FinancialPosition, MovementSum, Period, When,
};
use sqlx::Row as _;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::StorageError;
use crate::database::{Database, Pool};

/// Every account's kept balance (IDR), and the journal's IDR lines since `$1` (a day; `$3`
/// is its first instant in WIB, for reversals) summed per entry kind, detail, account,
/// direction and whether they fall after `$2` (`$4`: the first instant after it). Kept rows
/// come back as kind `kept`.
///
/// `CROSS JOIN` because SQLite then keeps the written order: the period's records first, their
/// lines by primary key. With a plain `JOIN` its planner scans every journal line and probes
/// the records instead, linear in the whole journal (docs/REPORTS.md); PostgreSQL reads it as
/// an inner join and plans it freely.
const MOVEMENTS_SINCE: &str = "\
SELECT m.kind, m.detail, l.account, \
       CAST(CASE WHEN l.amount_minor < 0 THEN 1 ELSE 0 END AS INTEGER) AS credit, m.after, \
       CAST(SUM(l.amount_minor) AS BIGINT) AS sum_minor \
FROM (SELECT e.id, e.kind, d.type AS detail, CAST(CASE WHEN d.received_on > $2 THEN 1 ELSE 0 END AS INTEGER) AS after \
        FROM donations d JOIN journal_entries e ON e.source_id = d.id \
       WHERE d.received_on >= $1 \
      UNION ALL \
      SELECT e.id, e.kind, d.type, CAST(CASE WHEN r.recorded_at >= $4 THEN 1 ELSE 0 END AS INTEGER) \
        FROM donation_reversals r JOIN donations d ON d.id = r.donation_id \
        JOIN journal_entries e ON e.source_id = r.id \
       WHERE r.recorded_at >= $3 \
      UNION ALL \
      SELECT e.id, e.kind, COALESCE(x.asnaf, x.purpose), \
             CAST(CASE WHEN x.distributed_on > $2 THEN 1 ELSE 0 END AS INTEGER) \
        FROM distributions x JOIN journal_entries e ON e.source_id = x.id \
       WHERE x.distributed_on >= $1 \
      UNION ALL \
      SELECT e.id, e.kind, '', CAST(CASE WHEN w.received_on > $2 THEN 1 ELSE 0 END AS INTEGER) \
        FROM wakaf_benefits w JOIN journal_entries e ON e.source_id = w.id \
       WHERE w.received_on >= $1) AS m \
CROSS JOIN journal_lines l \
WHERE l.entry_id = m.id AND l.currency = $5 \
GROUP BY m.kind, m.detail, l.account, CASE WHEN l.amount_minor < 0 THEN 1 ELSE 0 END, m.after \
UNION ALL \
SELECT 'kept', '', account, CAST(0 AS INTEGER), CAST(0 AS INTEGER), balance_minor \
FROM account_balances WHERE currency = $5";

/// Donations received from `$1` to `$2` in IDR books, per day, type, fund and campaign, with
/// what of them has been voided or refunded since.
const COLLECTIONS: &str = "\
SELECT d.received_on, d.type, d.fund, d.campaign_id, CAST(COUNT(*) AS BIGINT) AS count, \
       CAST(SUM(COALESCE(d.booked_minor, d.amount_minor)) AS BIGINT) AS booked_minor, \
       CAST(SUM(d.amil_share_minor) AS BIGINT) AS amil_share_minor, \
       CAST(SUM(COALESCE((SELECT SUM(COALESCE(r.booked_minor, r.amount_minor)) \
                          FROM donation_reversals r WHERE r.donation_id = d.id), 0)) AS BIGINT) AS reversed_minor \
FROM donations d \
WHERE d.received_on >= $1 AND d.received_on <= $2 AND (d.booked_minor IS NOT NULL OR d.currency = $3) \
GROUP BY d.received_on, d.type, d.fund, d.campaign_id";

/// Distributions paid from `$1` to `$2` in IDR, per fund, campaign, asnaf or purpose and
/// program.
const DISTRIBUTIONS: &str = "\
SELECT fund, campaign_id, COALESCE(asnaf, purpose) AS target, program, CAST(COUNT(*) AS BIGINT) AS count, \
       CAST(SUM(amount_minor) AS BIGINT) AS amount_minor \
FROM distributions \
WHERE distributed_on >= $1 AND distributed_on <= $2 AND currency = $3 \
GROUP BY fund, campaign_id, COALESCE(asnaf, purpose), program";

/// The first instant of `day` in WIB, where the books are kept.
fn start_of(day: Date) -> OffsetDateTime {
    PrimitiveDateTime::new(day, Time::MIDNIGHT)
        .assume_offset(RECEIPT_YEAR_OFFSET)
        .to_offset(UtcOffset::UTC)
}

fn decode<T: std::str::FromStr>(text: &str) -> Result<T, sqlx::Error>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    text.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn account(code: &str) -> Result<Account, sqlx::Error> {
    Account::from_code(code)
        .ok_or_else(|| sqlx::Error::Decode(format!("no account `{code}`").into()))
}

/// Runs `$body` with `$pool` bound to the backend's pool and `$instant` to how an instant is
/// bound there: PostgreSQL compares `timestamptz`; SQLite compares the RFC 3339 text sqlx
/// stores (UTC, `Z`), so an instant goes as `YYYY-MM-DDTHH:MM:SS`, which sorts before every
/// stored time of that second and after every earlier one.
macro_rules! on_backend {
    ($database:expr, |$pool:ident, $instant:ident| $body:expr) => {
        match &$database.pool {
            Pool::Sqlite($pool) => {
                let $instant = |at: OffsetDateTime| {
                    at.format(time::macros::format_description!(
                        "[year]-[month]-[day]T[hour]:[minute]:[second]"
                    ))
                    .expect("an instant formats")
                };
                $body
            }
            Pool::Postgres($pool) => {
                let $instant = |at: OffsetDateTime| at;
                $body
            }
        }
    };
}

impl Database {
    /// Kept balances and the movements since `since` (split at the end of `to`), in one
    /// statement.
    async fn movements_since(
        &self,
        since: Date,
        to: Date,
    ) -> Result<(Vec<(Account, i64)>, Vec<MovementSum>), StorageError> {
        let after = to.next_day().expect("a day after the period");
        let rows = on_backend!(self, |pool, instant| {
            sqlx::query(MOVEMENTS_SINCE)
                .bind(since)
                .bind(to)
                .bind(instant(start_of(since)))
                .bind(instant(start_of(after)))
                .bind(BOOKS_CURRENCY.code())
                .fetch_all(pool)
                .await?
                .iter()
                .map(|row| {
                    Ok((
                        row.try_get::<String, _>("kind")?,
                        row.try_get::<String, _>("detail")?,
                        row.try_get::<String, _>("account")?,
                        row.try_get::<i32, _>("credit")? == 1,
                        row.try_get::<i32, _>("after")? == 1,
                        row.try_get::<i64, _>("sum_minor")?,
                    ))
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        let mut kept = Vec::new();
        let mut movements = Vec::new();
        for (kind, detail, code, credit, after, sum_minor) in rows {
            let account = account(&code)?;
            if kind == "kept" {
                kept.push((account, sum_minor));
            } else {
                movements.push(MovementSum {
                    kind,
                    detail,
                    account,
                    credit,
                    when: if after { When::After } else { When::Within },
                    sum_minor,
                });
            }
        }
        Ok((kept, movements))
    }

    /// The statement of changes in funds for `period`.
    pub async fn changes_in_funds(&self, period: Period) -> Result<ChangesInFunds, StorageError> {
        let (kept, movements) = self.movements_since(period.from(), period.to()).await?;
        Ok(domain::reports::changes_in_funds(period, &kept, &movements))
    }

    /// The statement of financial position at the end of `as_of`.
    pub async fn financial_position(&self, as_of: Date) -> Result<FinancialPosition, StorageError> {
        let since = as_of.next_day().expect("a day after the position's");
        let (kept, movements) = self.movements_since(since, as_of).await?;
        Ok(domain::reports::financial_position(
            as_of, &kept, &movements,
        ))
    }

    /// Collections in `period`.
    pub async fn collections(&self, period: Period) -> Result<Collections, StorageError> {
        let sums = on_backend!(self, |pool, _instant| {
            sqlx::query(COLLECTIONS)
                .bind(period.from())
                .bind(period.to())
                .bind(BOOKS_CURRENCY.code())
                .fetch_all(pool)
                .await?
                .iter()
                .map(|row| {
                    Ok(CollectionSum {
                        received_on: row.try_get("received_on")?,
                        donation_type: decode(&row.try_get::<String, _>("type")?)?,
                        fund: decode::<Fund>(&row.try_get::<String, _>("fund")?)?,
                        campaign_id: row.try_get("campaign_id")?,
                        count: row.try_get("count")?,
                        booked_minor: row.try_get("booked_minor")?,
                        amil_share_minor: row.try_get("amil_share_minor")?,
                        reversed_minor: row.try_get("reversed_minor")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(domain::reports::collections(period, &sums))
    }

    /// Distributions in `period`.
    pub async fn distributions_report(
        &self,
        period: Period,
    ) -> Result<DistributionsReport, StorageError> {
        let sums = on_backend!(self, |pool, _instant| {
            sqlx::query(DISTRIBUTIONS)
                .bind(period.from())
                .bind(period.to())
                .bind(BOOKS_CURRENCY.code())
                .fetch_all(pool)
                .await?
                .iter()
                .map(|row| {
                    Ok(DistributionSum {
                        fund: decode::<Fund>(&row.try_get::<String, _>("fund")?)?,
                        campaign_id: row.try_get("campaign_id")?,
                        target: row.try_get("target")?,
                        program: row.try_get("program")?,
                        count: row.try_get("count")?,
                        amount_minor: row.try_get("amount_minor")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(domain::reports::distributions(period, &sums))
    }
}
