//! Prometheus metrics: requests by route and status, latency, pool usage, open connections,
//! dropped log lines, build info.
//!
//! One registry per application (no global recorder), so tests that run several apps in one
//! process each see only their own numbers.
//!
//! Every label takes its value from a fixed set, so no client can grow the number of series:
//! the method is one of [`METHOD_LABELS`] (anything else is refused before it is counted, and
//! counted as `other`), the route is a route template or `unmatched`, the status a number.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use axum::http::Method;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric as _};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
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

/// RFC 9110's methods, as their metrics label and log field. The router answers those a
/// route does not serve (`TRACE` and `CONNECT` on every route: we are no proxy, and `TRACE`
/// only helps cross-site tracing) 405 with the route's `Allow`.
pub const METHOD_LABELS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
];

/// The method label of a request refused for its method; the method itself is never recorded.
pub const OTHER_METHOD: &str = "other";

/// The label of `method`, if it is one of RFC 9110's; `None` for every other (extension)
/// method, which is refused before anything records it.
#[must_use]
pub fn method_label(method: &Method) -> Option<&'static str> {
    let label = match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => return None,
    };
    Some(label)
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

/// Where the count of log lines dropped (the log writer was too slow) comes from: the logging
/// set up by the binary, which this crate does not own.
type DroppedLines = Arc<OnceLock<Box<dyn Fn() -> u64 + Send + Sync>>>;

/// Reads the dropped-lines count at each scrape.
struct LogLinesDropped(DroppedLines);

impl std::fmt::Debug for LogLinesDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LogLinesDropped")
    }
}

impl Collector for LogLinesDropped {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let dropped = self.0.get().map_or(0, |count| count());
        let counter = ConstCounter::new(dropped);
        let metric = encoder.encode_descriptor(
            "log_lines_dropped",
            "Log lines dropped because the log writer fell behind (its reader is slow or stopped)",
            None,
            counter.metric_type(),
        )?;
        counter.encode(metric)
    }
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
    connections_open: Gauge,
    log_lines_dropped: DroppedLines,
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
        let connections_open = Gauge::default();
        registry.register(
            "http_connections_open",
            "Client connections open",
            connections_open.clone(),
        );
        let log_lines_dropped = DroppedLines::default();
        registry.register_collector(Box::new(LogLinesDropped(Arc::clone(&log_lines_dropped))));
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
            connections_open,
            log_lines_dropped,
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

    /// Where `log_lines_dropped_total` comes from; only the first call counts (without one, it
    /// stays 0).
    pub fn count_dropped_log_lines_with(&self, dropped: impl Fn() -> u64 + Send + Sync + 'static) {
        self.log_lines_dropped.set(Box::new(dropped)).ok();
    }

    /// Counts one answered request; `method` is one of [`METHOD_LABELS`] or [`OTHER_METHOD`].
    pub fn record_request(&self, method: &'static str, route: &str, status: u16, seconds: f64) {
        self.answered.fetch_add(1, Ordering::Relaxed);
        if status >= 500 {
            self.server_errors.fetch_add(1, Ordering::Relaxed);
        }
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method,
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

    /// Renders every metric in the text exposition format, with pool usage and open
    /// connections as of now.
    #[must_use]
    pub fn render(&self, pool: PoolStats, connections_open: usize) -> String {
        self.connections_open
            .set(i64::try_from(connections_open).unwrap_or(i64::MAX));
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
