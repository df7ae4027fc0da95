//! Prometheus metrics: requests by route and status, latency, pool usage, build info.
//!
//! One registry per application (no global recorder), so tests that run several apps in one
//! process each see only their own numbers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric as _};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use storage::PoolStats;
use storage::health::WriteHealth;

/// Latency buckets in seconds: from a cached read (sub-millisecond) to a request that hit the
/// timeout, dense around the 1–50 ms a durable write takes.
const LATENCY_BUCKETS_SECONDS: [f64; 14] = [
    0.000_5, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: String,
    backend: String,
}

/// The application's metrics.
pub struct Metrics {
    registry: Registry,
    /// Plain totals for the console's `stats`, without walking the label families.
    answered: AtomicU64,
    server_errors: AtomicU64,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    pool_open: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS_SECONDS)
}

impl Metrics {
    /// Fresh metrics for a build of `version` on `backend`.
    #[must_use]
    pub fn new(version: &str, backend: &str) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from request received to response headers sent",
            latency.clone(),
        );
        let pool_open = Gauge::default();
        let pool_idle = Gauge::default();
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_connections_open",
            "Database connections open",
            pool_open.clone(),
        );
        registry.register(
            "db_pool_connections_idle",
            "Open database connections not in use",
            pool_idle.clone(),
        );
        registry.register(
            "db_pool_connections_max",
            "Most database connections the pool opens",
            pool_max.clone(),
        );
        let build_info = Family::<BuildLabels, Gauge>::default();
        build_info
            .get_or_create(&BuildLabels {
                version: version.to_owned(),
                backend: backend.to_owned(),
            })
            .set(1);
        registry.register(
            "donation_platform_build_info",
            "The running release; always 1",
            build_info,
        );
        Metrics {
            registry,
            answered: AtomicU64::new(0),
            server_errors: AtomicU64::new(0),
            requests,
            latency,
            pool_open,
            pool_idle,
            pool_max,
        }
    }

    /// Also reports the ledger's failed writes by reason (`ledger_write_failures_total`), read
    /// from `health` at each scrape.
    #[must_use]
    pub fn counting_write_failures(mut self, health: Arc<WriteHealth>) -> Self {
        self.registry
            .register_collector(Box::new(WriteFailures(health)));
        self
    }

    /// Counts one answered request.
    pub fn record_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.answered.fetch_add(1, Ordering::Relaxed);
        if status >= 500 {
            self.server_errors.fetch_add(1, Ordering::Relaxed);
        }
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// Requests answered since the process started, and how many of them with a 5xx.
    #[must_use]
    pub fn answered(&self) -> (u64, u64) {
        (
            self.answered.load(Ordering::Relaxed),
            self.server_errors.load(Ordering::Relaxed),
        )
    }

    /// Renders every metric in the text exposition format, with pool usage as of now.
    #[must_use]
    pub fn render(&self, pool: PoolStats) -> String {
        self.pool_open.set(i64::from(pool.open));
        self.pool_idle.set(i64::from(pool.idle));
        self.pool_max.set(i64::from(pool.max));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

/// Failed ledger writes by reason. The reasons are a closed set (`storage::WriteFailure`), so
/// the label is bounded; every reason is listed, zeros included, so alerts need no `absent()`.
#[derive(Debug)]
struct WriteFailures(Arc<WriteHealth>);

impl Collector for WriteFailures {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let mut family = encoder.encode_descriptor(
            "ledger_write_failures",
            "Ledger writes (transactions) that failed, by reason",
            None,
            MetricType::Counter,
        )?;
        for (reason, count) in self.0.failures() {
            let labels = [("reason", reason.label())];
            ConstCounter::new(count).encode(family.encode_family(&labels)?)?;
        }
        Ok(())
    }
}

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
