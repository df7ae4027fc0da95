//! What every request handler can reach.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use domain::audit::CheckpointKey;
use storage::Database;
use storage::ledger::{Authenticated, Ledger};

use crate::metrics::Metrics;
use crate::server::Connections;

/// How long a token the database confirmed is trusted without asking again. Asking on every
/// request costs a database round trip per request; a second bounds how long a revoked token
/// can still *read*. Writes are never admitted on this alone: the ledger writer re-checks the
/// token inside the transaction that would write (`storage::ledger::Request::credential`).
pub const AUTHENTICATION_TTL: Duration = Duration::from_secs(1);

/// Live tokens remembered at most; far above the staff of any institution.
const AUTHENTICATION_CACHE_ENTRIES_MAX: usize = 10_000;

/// Shared application state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    database: Database,
    ledger: Ledger,
    checkpoint_key: CheckpointKey,
    /// Idempotency keys of requests this process is working on, by (user, key): a second
    /// request with a key already here is answered 409 instead of waiting behind the first.
    keys_in_flight: Mutex<HashSet<(i64, String)>>,
    /// Tokens recently found live, by hash: what they stand for, and when checked.
    authenticated: Mutex<HashMap<[u8; 32], (Authenticated, Instant)>>,
    metrics: Metrics,
    connections: Connections,
    version: String,
    /// `/healthz`'s answer, which only the version varies: written once.
    healthz: axum::body::Bytes,
    draining: AtomicBool,
    /// Set once the schema has been seen current. Migrations only move forward, so once true
    /// it stays true and readiness need not ask again.
    schema_current: AtomicBool,
    /// Requests per minute per client address for the public zakat calculator.
    zakat_limiter: std::sync::OnceLock<Option<ZakatLimiter>>,
    /// Checks since the limiter last forgot idle clients.
    zakat_checks: std::sync::atomic::AtomicU64,
    /// Who may read `/metrics`; public on the main port unless set.
    metrics_access: std::sync::OnceLock<crate::scrape::MetricsAccess>,
    /// Peers whose `X-Forwarded-For` is believed (see [`crate::client`]); none unless set.
    trusted_proxies: std::sync::OnceLock<Vec<ipnet::IpNet>>,
    /// Every zakat data value, as read at the instant noted; see [`ZAKAT_DATA_TTL`].
    zakat_data: Mutex<Option<(Instant, Arc<Vec<domain::zakat::DataRecord>>)>>,
    /// How long a request may take from its head received to its response, body included.
    request_timeout: std::sync::OnceLock<Duration>,
    /// The receipt verification key and the public base URL receipts link to.
    receipts: std::sync::OnceLock<crate::receipts::Receipts>,
    /// The web session's cookie key and whether the site is HTTPS.
    web: std::sync::OnceLock<crate::pages::WebSettings>,
}

/// How long the calculator trusts the zakat data it read: the values change a few times a
/// year, the calculator answers thousands of times a second. A value recorded here is seen at
/// once; one recorded by another instance sharing the database within this time.
pub const ZAKAT_DATA_TTL: Duration = Duration::from_secs(1);

type ZakatLimiter = governor::DefaultKeyedRateLimiter<std::net::IpAddr>;

/// The public calculator's default rate per client address: ten a second on average, in
/// bursts of up to 600 (a page that recalculates as someone types stays well inside it).
pub const ZAKAT_RATE_PER_MINUTE_DEFAULT: u32 = 600;

/// How often (in checks) the limiter forgets clients that have been idle long enough.
const ZAKAT_LIMITER_SWEEP_EVERY: u64 = 4096;

impl AppState {
    /// State for an application of `version` over `database`, writing through `ledger` and
    /// verifying audit checkpoints with `checkpoint_key`.
    #[must_use]
    pub fn new(
        database: Database,
        ledger: Ledger,
        checkpoint_key: CheckpointKey,
        version: impl Into<String>,
    ) -> Self {
        let version = version.into();
        let metrics = Metrics::new(&version, database.backend().name())
            .counting_write_failures(std::sync::Arc::clone(database.write_health()));
        AppState {
            inner: Arc::new(Inner {
                database,
                ledger,
                checkpoint_key,
                keys_in_flight: Mutex::default(),
                authenticated: Mutex::default(),
                metrics,
                connections: Connections::default(),
                healthz: serde_json::to_vec(
                    &serde_json::json!({ "status": "ok", "version": version }),
                )
                .expect("a JSON object serializes")
                .into(),
                version,
                draining: AtomicBool::new(false),
                schema_current: AtomicBool::new(false),
                zakat_limiter: std::sync::OnceLock::new(),
                zakat_checks: std::sync::atomic::AtomicU64::new(0),
                zakat_data: Mutex::default(),
                trusted_proxies: std::sync::OnceLock::new(),
                metrics_access: std::sync::OnceLock::new(),
                request_timeout: std::sync::OnceLock::new(),
                receipts: std::sync::OnceLock::new(),
                web: std::sync::OnceLock::new(),
            }),
        }
    }

    /// Sets what signs receipts and where they link (once, at start-up).
    pub fn set_receipts(&self, receipts: crate::receipts::Receipts) {
        let _ = self.inner.receipts.set(receipts);
    }

    /// Sets the web session's settings (once, at start-up).
    pub fn set_web(&self, settings: crate::pages::WebSettings) {
        let _ = self.inner.web.set(settings);
    }

    /// The web session's settings.
    ///
    /// # Panics
    /// When [`AppState::set_web`] was not called: the application sets it before serving.
    #[must_use]
    pub fn web(&self) -> &crate::pages::WebSettings {
        self.inner
            .web
            .get()
            .expect("the application sets the web settings before serving")
    }

    /// What signs receipts and where they link.
    ///
    /// # Panics
    /// When [`AppState::set_receipts`] was not called: the application sets it before serving.
    #[must_use]
    pub fn receipts(&self) -> &crate::receipts::Receipts {
        self.inner
            .receipts
            .get()
            .expect("the application sets the receipt key before serving")
    }

    /// The database every request uses.
    #[must_use]
    pub fn database(&self) -> &Database {
        &self.inner.database
    }

    /// The writer every change goes through.
    #[must_use]
    pub fn ledger(&self) -> &Ledger {
        &self.inner.ledger
    }

    /// The key audit checkpoints are signed with.
    #[must_use]
    pub fn checkpoint_key(&self) -> &CheckpointKey {
        &self.inner.checkpoint_key
    }

    /// Claims an idempotency key for the life of the returned guard; `None` if this process is
    /// already working on a request with it.
    pub(crate) fn claim_key(&self, user_id: i64, key: &str) -> Option<KeyInFlight> {
        let entry = (user_id, key.to_owned());
        let mut keys = self
            .inner
            .keys_in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        keys.insert(entry.clone()).then(|| KeyInFlight {
            state: self.clone(),
            entry,
        })
    }

    /// The user and role behind a token, trusted for [`AUTHENTICATION_TTL`] after the database
    /// last confirmed it.
    pub(crate) fn cached_authentication(&self, token_hash: &[u8; 32]) -> Option<Authenticated> {
        let cache = self
            .inner
            .authenticated
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        cache
            .get(token_hash)
            .filter(|(_, checked)| checked.elapsed() < AUTHENTICATION_TTL)
            .map(|&(found, _)| found)
    }

    /// Forgets a token ended just now (`user`: and every token of that user), so not even a
    /// read is admitted on it for the rest of [`AUTHENTICATION_TTL`].
    pub(crate) fn forget_authentication(&self, token_hash: &[u8; 32], user: Option<i64>) {
        let mut cache = self
            .inner
            .authenticated
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        cache.remove(token_hash);
        if let Some(user) = user {
            cache.retain(|_, (found, _)| found.user_id != user);
        }
    }

    /// Remembers that the database confirmed a token.
    pub(crate) fn remember_authentication(&self, token_hash: [u8; 32], found: Authenticated) {
        let mut cache = self
            .inner
            .authenticated
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= AUTHENTICATION_CACHE_ENTRIES_MAX {
            cache.retain(|_, (_, checked)| checked.elapsed() < AUTHENTICATION_TTL);
            if cache.len() >= AUTHENTICATION_CACHE_ENTRIES_MAX {
                cache.clear();
            }
        }
        cache.insert(token_hash, (found, Instant::now()));
    }

    /// The request and pool metrics.
    #[must_use]
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The client connections of this process.
    #[must_use]
    pub fn connections(&self) -> &Connections {
        &self.inner.connections
    }

    /// The release version this process runs.
    #[must_use]
    pub fn version(&self) -> &str {
        &self.inner.version
    }

    /// `/healthz`'s JSON body: `{"status":"ok","version":…}`.
    pub(crate) fn healthz_body(&self) -> axum::body::Bytes {
        self.inner.healthz.clone()
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

    /// Sets the public calculator's rate per client address (0: unlimited). Only the first
    /// call counts; without one, [`ZAKAT_RATE_PER_MINUTE_DEFAULT`] applies.
    pub fn set_zakat_rate_limit(&self, per_minute: u32) {
        self.inner.zakat_limiter.set(limiter(per_minute)).ok();
    }

    /// Sets the proxies whose `X-Forwarded-For` names the client (`TRUSTED_PROXIES`). Only the
    /// first call counts; without one, no proxy is trusted.
    pub fn set_trusted_proxies(&self, proxies: Vec<ipnet::IpNet>) {
        self.inner.trusted_proxies.set(proxies).ok();
    }

    /// Sets who may read `/metrics`. Only the first call counts; without one it is public on
    /// the main port.
    pub fn set_metrics_access(&self, access: crate::scrape::MetricsAccess) {
        self.inner.metrics_access.set(access).ok();
    }

    /// Who may read `/metrics`.
    pub(crate) fn metrics_access(&self) -> &crate::scrape::MetricsAccess {
        self.inner
            .metrics_access
            .get_or_init(crate::scrape::MetricsAccess::public)
    }

    /// The trusted proxies.
    pub(crate) fn trusted_proxies(&self) -> &[ipnet::IpNet] {
        self.inner.trusted_proxies.get().map_or(&[], Vec::as_slice)
    }

    /// Sets how long a request may take, its body included (`REQUEST_TIMEOUT`). Only the first
    /// call counts; without one, [`crate::server::Limits::default`]'s applies.
    pub fn set_request_timeout(&self, timeout: Duration) {
        self.inner.request_timeout.set(timeout).ok();
    }

    /// How long a request may take, its body included.
    #[must_use]
    pub fn request_timeout(&self) -> Duration {
        *self
            .inner
            .request_timeout
            .get_or_init(|| crate::server::Limits::default().request_timeout)
    }

    /// Counts one calculator request from `client` (a [`crate::client::limit_key`]), or says
    /// how long to wait.
    pub(crate) fn zakat_rate_limit(
        &self,
        client: std::net::IpAddr,
    ) -> Result<(), crate::api::ApiError> {
        let Some(limiter) = self
            .inner
            .zakat_limiter
            .get_or_init(|| limiter(ZAKAT_RATE_PER_MINUTE_DEFAULT))
        else {
            return Ok(());
        };
        let checks = self.inner.zakat_checks.fetch_add(1, Ordering::Relaxed);
        if checks.is_multiple_of(ZAKAT_LIMITER_SWEEP_EVERY) {
            limiter.retain_recent();
        }
        limiter.check_key(&client).map_err(|not_until| {
            use governor::clock::Clock as _;
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            crate::api::ApiError::TooManyRequests(wait.as_secs() + 1)
        })
    }

    /// Every zakat data value, read from the database at most once per [`ZAKAT_DATA_TTL`].
    pub(crate) async fn zakat_data(
        &self,
    ) -> Result<Arc<Vec<domain::zakat::DataRecord>>, storage::StorageError> {
        let cached = self
            .inner
            .zakat_data
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some((read, rows)) = cached
            && read.elapsed() < ZAKAT_DATA_TTL
        {
            return Ok(rows);
        }
        let rows = Arc::new(self.database().zakat_records().await?);
        *self
            .inner
            .zakat_data
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), Arc::clone(&rows)));
        Ok(rows)
    }

    /// Drops the zakat data read, after this instance recorded a value.
    pub(crate) fn forget_zakat_data(&self) {
        *self
            .inner
            .zakat_data
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }

    pub(crate) fn schema_known_current(&self) -> bool {
        self.inner.schema_current.load(Ordering::Relaxed)
    }

    pub(crate) fn mark_schema_current(&self) {
        self.inner.schema_current.store(true, Ordering::Relaxed);
    }
}

/// An idempotency key this process is working on; released when dropped (also when the
/// client goes away mid-request).
pub(crate) struct KeyInFlight {
    state: AppState,
    entry: (i64, String),
}

impl Drop for KeyInFlight {
    fn drop(&mut self) {
        let mut keys = self
            .state
            .inner
            .keys_in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        keys.remove(&self.entry);
    }
}

fn limiter(per_minute: u32) -> Option<ZakatLimiter> {
    std::num::NonZeroU32::new(per_minute)
        .map(|rate| governor::RateLimiter::keyed(governor::Quota::per_minute(rate)))
}
