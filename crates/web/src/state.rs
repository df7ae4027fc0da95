//! What every request handler can reach.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use storage::Database;

use crate::metrics::Metrics;

/// Shared application state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    database: Database,
    metrics: Metrics,
    version: String,
    draining: AtomicBool,
    /// Set once the schema has been seen current. Migrations only move forward, so once true
    /// it stays true and readiness need not ask again.
    schema_current: AtomicBool,
}

impl AppState {
    /// State for an application of `version` over `database`.
    #[must_use]
    pub fn new(database: Database, version: impl Into<String>) -> Self {
        let version = version.into();
        let metrics = Metrics::new(&version, database.backend().name());
        AppState {
            inner: Arc::new(Inner {
                database,
                metrics,
                version,
                draining: AtomicBool::new(false),
                schema_current: AtomicBool::new(false),
            }),
        }
    }

    /// The database every request uses.
    #[must_use]
    pub fn database(&self) -> &Database {
        &self.inner.database
    }

    /// The request and pool metrics.
    #[must_use]
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The release version this process runs.
    #[must_use]
    pub fn version(&self) -> &str {
        &self.inner.version
    }

    /// Marks the instance as draining: `/readyz` answers 503 from now on so load balancers
    /// send new traffic elsewhere, while requests already here are still served.
    pub fn begin_drain(&self) {
        self.inner.draining.store(true, Ordering::SeqCst);
    }

    /// Whether [`AppState::begin_drain`] was called.
    #[must_use]
    pub fn is_draining(&self) -> bool {
        self.inner.draining.load(Ordering::SeqCst)
    }

    pub(crate) fn schema_known_current(&self) -> bool {
        self.inner.schema_current.load(Ordering::Relaxed)
    }

    pub(crate) fn mark_schema_current(&self) {
        self.inner.schema_current.store(true, Ordering::Relaxed);
    }
}
