//! Whether this process's writes are going through: what `/readyz` and `/metrics` report.
//!
//! Every write through the ledger (the writer's batches and the administrative writes) records
//! its outcome here. A failure of the database's (disk full, connection lost, lock held too
//! long) marks writes as failing until the next write succeeds; while they fail, the ledger
//! writer tries an empty batch once a second (`ledger::WRITE_PROBE_INTERVAL`), so the state
//! clears as soon as the fault does, even when no request comes to find out.

use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use time::OffsetDateTime;

use crate::StorageError;
use crate::error::WriteFailure;

/// Since when and why writes fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failing {
    /// The latest failure's reason.
    pub reason: WriteFailure,
    /// When the first failure of this run happened.
    pub since: OffsetDateTime,
    /// The latest failure, as the database reported it (no request data: a driver's message).
    pub cause: String,
}

/// Says since when and why, in words safe to show anyone (`/readyz` is public): the driver's
/// message, which can name hosts or files, is in [`Failing::cause`] for the logs.
impl std::fmt::Display for Failing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let since = self
            .since
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|_| std::fmt::Error)?;
        write!(
            f,
            "writes failing since {since}: {} (`{}`)",
            self.reason.describe(),
            self.reason.label()
        )
    }
}

/// The outcome of this process's writes.
#[derive(Debug, Default)]
pub struct WriteHealth {
    /// Whether `failing` is set: read on every write without taking the lock.
    is_failing: AtomicBool,
    failing: Mutex<Option<Failing>>,
    /// Failed writes by [`WriteFailure`], in the order of [`WriteFailure::ALL`].
    failures: [AtomicU64; WriteFailure::ALL.len()],
}

impl WriteHealth {
    /// Since when and why writes fail; `None` while they go through.
    #[must_use]
    pub fn failing(&self) -> Option<Failing> {
        if !self.is_failing.load(Ordering::Acquire) {
            return None;
        }
        self.lock().clone()
    }

    /// Whether writes fail (as [`WriteHealth::failing`], without copying the details).
    #[must_use]
    pub fn is_failing(&self) -> bool {
        self.is_failing.load(Ordering::Acquire)
    }

    /// Failed writes since the process started, by reason (every reason, zeros included).
    #[must_use]
    pub fn failures(&self) -> [(WriteFailure, u64); WriteFailure::ALL.len()] {
        WriteFailure::ALL.map(|reason| (reason, self.counter(reason).load(Ordering::Relaxed)))
    }

    /// Records a write that committed: writes go through again if they failed.
    pub fn record_success(&self) {
        if !self.is_failing.load(Ordering::Acquire) {
            return;
        }
        let mut failing = self.lock();
        if let Some(was) = failing.take() {
            let failed_for = OffsetDateTime::now_utc() - was.since;
            tracing::info!(
                reason = was.reason.label(),
                failed_for_ms = failed_for.whole_milliseconds(),
                "ledger writes go through again"
            );
        }
        self.is_failing.store(false, Ordering::Release);
    }

    /// Records a failed write: counts it, and marks writes as failing when the failure is the
    /// database's rather than one request's ([`WriteFailure::is_fault`]).
    pub fn record_failure(&self, err: &StorageError) {
        if let Some(reason) = err.write_failure() {
            self.counter(reason).fetch_add(1, Ordering::Relaxed);
        }
        self.note(err);
    }

    /// Marks writes as failing after a failed check that was no request's write (the
    /// writer's probe), without counting it as a failed write.
    pub fn note(&self, err: &StorageError) {
        let Some(reason) = err.write_failure().filter(|reason| reason.is_fault()) else {
            return;
        };
        let cause = crate::error::chain(err);
        let mut failing = self.lock();
        if let Some(failing) = &mut *failing {
            failing.reason = reason;
            failing.cause = cause;
        } else {
            // Logged once when writes start failing; each failed request carries its cause on
            // its own log line.
            tracing::warn!(reason = reason.label(), error = %cause, "ledger writes failing");
            *failing = Some(Failing {
                reason,
                since: OffsetDateTime::now_utc(),
                cause,
            });
        }
        self.is_failing.store(true, Ordering::Release);
    }

    fn counter(&self, reason: WriteFailure) -> &AtomicU64 {
        let index = WriteFailure::ALL
            .iter()
            .position(|r| *r == reason)
            .expect("ALL lists every reason");
        &self.failures[index]
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Failing>> {
        self.failing.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection_lost() -> StorageError {
        StorageError::Backend(sqlx::Error::Io(std::io::Error::other("gone")))
    }

    #[test]
    fn a_fault_marks_writes_failing_until_a_write_succeeds_and_is_counted_by_reason() {
        let health = WriteHealth::default();
        assert_eq!(health.failing(), None);
        health.record_failure(&connection_lost());
        let failing = health
            .failing()
            .expect("failing after a connection failure");
        assert_eq!(failing.reason, WriteFailure::Connection);
        assert!(
            failing.to_string().starts_with("writes failing since "),
            "{failing}"
        );
        assert!(
            failing
                .to_string()
                .ends_with(": cannot reach the database (`connection`)"),
            "{failing}"
        );
        assert!(failing.cause.ends_with(": gone"), "{}", failing.cause);
        health.record_failure(&connection_lost());
        assert_eq!(
            health.failing().unwrap().since,
            failing.since,
            "since the first"
        );
        health.record_success();
        assert_eq!(health.failing(), None);
        let counts = health.failures();
        assert!(
            counts.contains(&(WriteFailure::Connection, 2)),
            "{counts:?}"
        );
        assert!(counts.contains(&(WriteFailure::DiskFull, 0)), "{counts:?}");
    }

    #[test]
    fn one_request_s_conflict_is_counted_but_leaves_writes_ready_and_a_probe_is_not_counted() {
        let health = WriteHealth::default();
        health.record_failure(&StorageError::Conflict {
            constraint: "users_email_key".to_owned(),
        });
        assert_eq!(health.failing(), None);
        assert!(health.failures().contains(&(WriteFailure::Constraint, 1)));
        health.note(&connection_lost());
        assert!(health.failing().is_some());
        assert!(health.failures().contains(&(WriteFailure::Connection, 0)));
    }
}
