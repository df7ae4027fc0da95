//! PostgreSQL's bulk INSERT for the rows every donation writes (the column lists are
//! `statements.rs`'s, shared with SQLite's per-row INSERTs): one array per column,
//! `INSERT … SELECT * FROM UNNEST($1, $2, …)`. The statement text does not depend on the number
//! of rows, so it is prepared once and its plan reused, where a multi-row `VALUES` list with a
//! parameter per value is parsed and planned anew for every batch (about 1.1 ms of a ~5 ms
//! batch of 32 donations, measured).

use sqlx::{Postgres, QueryBuilder};
use time::OffsetDateTime;

use super::plan::{AuditRow, EntryRow, KeyRow, LineRow};
use super::statements::columns;
use domain::ledger::Donation;

/// Pushes one bulk INSERT per table onto a query being built.
pub(crate) struct Bulk<Db: sqlx::Database> {
    pub donations: fn(&mut QueryBuilder<'static, Db>, &[Donation]),
    pub entries: fn(&mut QueryBuilder<'static, Db>, &[EntryRow], OffsetDateTime),
    pub lines: fn(&mut QueryBuilder<'static, Db>, &[LineRow]),
    pub keys: fn(&mut QueryBuilder<'static, Db>, &[KeyRow], OffsetDateTime),
    pub audit: fn(&mut QueryBuilder<'static, Db>, &[AuditRow], OffsetDateTime),
}

/// PostgreSQL's.
pub(crate) const POSTGRES: Bulk<Postgres> = Bulk {
    donations,
    entries,
    lines,
    keys,
    audit,
};

fn donations(query: &mut QueryBuilder<'static, Postgres>, rows: &[Donation]) {
    query.push(concat!(
        "INSERT INTO donations (",
        columns!(donations),
        ") SELECT * FROM UNNEST("
    ));
    let mut args = query.separated(", ");
    args.push_bind(rows.iter().map(|d| d.id).collect::<Vec<_>>());
    args.push_bind(rows.iter().map(|d| d.receipt.year).collect::<Vec<_>>());
    args.push_bind(rows.iter().map(|d| d.receipt.serial).collect::<Vec<_>>());
    args.push_bind(
        rows.iter()
            .map(|d| d.donation_type.as_str().to_owned())
            .collect::<Vec<_>>(),
    );
    args.push_bind(
        rows.iter()
            .map(|d| d.fund.as_str().to_owned())
            .collect::<Vec<_>>(),
    );
    args.push_bind(rows.iter().map(|d| d.campaign_id).collect::<Vec<_>>());
    args.push_bind(rows.iter().map(|d| d.donor_id).collect::<Vec<_>>());
    args.push_bind(rows.iter().map(|d| d.amount.minor()).collect::<Vec<_>>());
    args.push_bind(
        rows.iter()
            .map(|d| d.amount.currency().code().to_owned())
            .collect::<Vec<_>>(),
    );
    args.push_bind(
        rows.iter()
            .map(|d| d.method.as_str().to_owned())
            .collect::<Vec<_>>(),
    );
    args.push_bind(rows.iter().map(|d| d.received_on).collect::<Vec<_>>());
    args.push_bind(rows.iter().map(|d| d.note.clone()).collect::<Vec<_>>());
    args.push_bind(rows.iter().map(|d| d.amil_share_minor).collect::<Vec<_>>());
    args.push_bind(rows.iter().map(|d| d.recorded_by).collect::<Vec<_>>());
    args.push_bind(rows.iter().map(|d| d.recorded_at).collect::<Vec<_>>());
    args.push_bind(rows.iter().map(|d| d.account.code()).collect::<Vec<_>>());
    args.push_bind(
        rows.iter()
            .map(|d| d.rate_to_idr.map(|rate| rate.to_string()))
            .collect::<Vec<_>>(),
    );
    args.push_bind(rows.iter().map(|d| d.booked_minor).collect::<Vec<_>>());
    query.push(")");
}

fn entries(query: &mut QueryBuilder<'static, Postgres>, rows: &[EntryRow], now: OffsetDateTime) {
    query.push(concat!(
        "INSERT INTO journal_entries (",
        columns!(journal_entries),
        ") SELECT * FROM UNNEST("
    ));
    let mut args = query.separated(", ");
    args.push_bind(rows.iter().map(|e| e.id).collect::<Vec<_>>());
    args.push_bind(rows.iter().map(|e| e.kind.to_owned()).collect::<Vec<_>>());
    args.push_bind(rows.iter().map(|e| e.source_id).collect::<Vec<_>>());
    args.push_bind(vec![now; rows.len()]);
    query.push(")");
}

fn lines(query: &mut QueryBuilder<'static, Postgres>, rows: &[LineRow]) {
    query.push(concat!(
        "INSERT INTO journal_lines (",
        columns!(journal_lines),
        ") SELECT * FROM UNNEST("
    ));
    let mut args = query.separated(", ");
    args.push_bind(rows.iter().map(|l| l.entry_id).collect::<Vec<_>>());
    args.push_bind(rows.iter().map(|l| l.line_no).collect::<Vec<_>>());
    args.push_bind(rows.iter().map(|l| l.account.clone()).collect::<Vec<_>>());
    args.push_bind(
        rows.iter()
            .map(|l| l.currency.to_owned())
            .collect::<Vec<_>>(),
    );
    args.push_bind(rows.iter().map(|l| l.amount_minor).collect::<Vec<_>>());
    query.push(")");
}

fn keys(query: &mut QueryBuilder<'static, Postgres>, rows: &[KeyRow], now: OffsetDateTime) {
    query.push(concat!(
        "INSERT INTO idempotency_keys (",
        columns!(idempotency_keys),
        ") SELECT * FROM UNNEST("
    ));
    let mut args = query.separated(", ");
    args.push_bind(rows.iter().map(|k| k.user_id).collect::<Vec<_>>());
    args.push_bind(rows.iter().map(|k| k.key.clone()).collect::<Vec<_>>());
    args.push_bind(
        rows.iter()
            .map(|k| k.request_digest.clone())
            .collect::<Vec<_>>(),
    );
    args.push_bind(
        rows.iter()
            .map(|k| i32::from(k.rendered.status))
            .collect::<Vec<_>>(),
    );
    args.push_bind(
        rows.iter()
            .map(|k| k.rendered.body.clone())
            .collect::<Vec<_>>(),
    );
    args.push_bind(vec![now; rows.len()]);
    query.push(")");
}

fn audit(query: &mut QueryBuilder<'static, Postgres>, rows: &[AuditRow], now: OffsetDateTime) {
    query.push(concat!(
        "INSERT INTO audit_entries (",
        columns!(audit_entries),
        ") SELECT * FROM UNNEST("
    ));
    let mut args = query.separated(", ");
    args.push_bind(rows.iter().map(|a| a.seq).collect::<Vec<_>>());
    args.push_bind(vec![now; rows.len()]);
    args.push_bind(rows.iter().map(|a| a.actor.clone()).collect::<Vec<_>>());
    args.push_bind(rows.iter().map(|a| a.action.to_owned()).collect::<Vec<_>>());
    args.push_bind(rows.iter().map(|a| a.subject.clone()).collect::<Vec<_>>());
    args.push_bind(rows.iter().map(|a| a.payload.clone()).collect::<Vec<_>>());
    args.push_bind(
        rows.iter()
            .map(|a| a.payload_digest.to_vec())
            .collect::<Vec<_>>(),
    );
    args.push_bind(
        rows.iter()
            .map(|a| a.prev_hash.to_vec())
            .collect::<Vec<_>>(),
    );
    args.push_bind(rows.iter().map(|a| a.hash.to_vec()).collect::<Vec<_>>());
    query.push(")");
}
