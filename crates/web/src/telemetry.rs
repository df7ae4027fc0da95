//! One log line and one metrics sample per request, tagged with a request id.
//!
//! The id reaches every line logged on the request's behalf through a task-local
//! ([`with_request_id`], read by the log formatter), not a `tracing` span: a span cost each
//! request a slab entry, its fields formatted, and two shared-lock lookups in the filter on
//! every poll of the handler (enter and exit): ~5,500 of the ~41,000 instructions of a
//! `/healthz` request (BENCHMARKS.md, "HTTP path against the OTP yardstick").

use std::future::Future;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::response::Response;

use crate::{AppState, REQUEST_ID_HEADER};

/// A request id longer than this is not an id but an attempt to bloat our logs.
const REQUEST_ID_LENGTH_MAX: usize = 64;

/// The route label for requests that matched no route, so random paths cannot explode the
/// number of metric series.
pub(crate) const UNMATCHED_ROUTE: &str = "unmatched";

/// One request being observed: begun before its handler runs, finished on its response.
///
/// Only the route template is logged, never the concrete path or query: those can carry
/// personal data (a donor id, a NIK in a search). The method is one of a fixed few labels
/// (`routes::every_request` replaces any other before it gets here).
pub(crate) struct Observation {
    started: Instant,
    method: &'static str,
    /// The route template, shared with the request's `MatchedPath` (no copy per request).
    route: Option<MatchedPath>,
    /// The client's id when it sent a sane one (its header value, not copied), else a
    /// fresh UUID.
    request_id: HeaderValue,
}

tokio::task_local! {
    /// The id of the request the task is answering, while its handler runs.
    static REQUEST_ID: HeaderValue;
}

/// Calls `f` with the id of the request being answered on this task, if any: the log
/// formatter writes it on every line, as `request{id=…}` (text) or `"span":{"id":…}` (JSON).
pub fn with_request_id(f: impl FnOnce(&str)) {
    // The id is ASCII by construction (checked, or a UUID), so it always reads as text.
    REQUEST_ID.try_with(|id| id.to_str().map(f).ok()).ok();
}

impl Observation {
    /// Starts the clock and reads (or makes) the request's id.
    pub(crate) fn begin(request: &Request, method: &'static str) -> Self {
        Observation {
            started: Instant::now(),
            method,
            route: request.extensions().get::<MatchedPath>().cloned(),
            request_id: request_id_of(request),
        }
    }

    /// `handler` run with the request's id at hand, so that everything logged on the
    /// request's behalf carries it.
    pub(crate) fn scope<F: Future>(&self, handler: F) -> impl Future<Output = F::Output> + use<F> {
        REQUEST_ID.scope(self.request_id.clone(), handler)
    }

    /// Counts the request, tags its response with the request id, and logs its line: at
    /// `error` for a server error (but not for a 503 that only says "not now", such as
    /// readiness while draining), with why it failed when its error said so.
    pub(crate) fn finish(self, state: &AppState, response: &mut Response) {
        let elapsed = self.started.elapsed();
        let status = response.status().as_u16();
        let method = self.method;
        let route = self
            .route
            .as_ref()
            .map_or(UNMATCHED_ROUTE, MatchedPath::as_str);
        state
            .metrics()
            .record_request(method, route, status, elapsed.as_secs_f64());
        let error = response
            .extensions_mut()
            .remove::<ErrorCause>()
            .map(|cause| cause.0);
        let error = error.as_deref();
        let latency_ms = elapsed.as_secs_f64() * 1000.0;
        REQUEST_ID.sync_scope(self.request_id.clone(), || {
            if status >= 500 && (error.is_some() || status != 503) {
                tracing::error!(method, route, status, latency_ms, error, "request");
            } else {
                tracing::info!(method, route, status, latency_ms, error, "request");
            }
        });
        response
            .headers_mut()
            .insert(REQUEST_ID_HEADER, self.request_id);
    }
}

/// The request's own id when it is sane (1 to 64 of `[A-Za-z0-9._-]`), else a fresh UUID.
fn request_id_of(request: &Request) -> HeaderValue {
    request
        .headers()
        .get(REQUEST_ID_HEADER)
        .filter(|value| is_sane_request_id(value.as_bytes()))
        .cloned()
        .unwrap_or_else(fresh_request_id)
}

fn is_sane_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= REQUEST_ID_LENGTH_MAX
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(b))
}

/// A random (v4) UUID, hyphenated, written straight into the header value.
fn fresh_request_id() -> HeaderValue {
    let mut text = [0; uuid::fmt::Hyphenated::LENGTH];
    let text = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut text);
    HeaderValue::from_str(text).expect("a UUID is ASCII")
}

/// Why a request failed, put in its response's extensions by the error type and logged on the
/// request's one line by [`Observation::finish`]: never in the body, which a client sees.
#[derive(Clone, Debug)]
pub struct ErrorCause(String);

impl ErrorCause {
    /// The cause, as text (an error and its sources).
    pub fn new(cause: impl Into<String>) -> Self {
        ErrorCause(cause.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sane_request_id_is_kept_and_any_other_replaced_by_a_uuid() {
        let with = |id: &str| {
            let request = Request::builder()
                .header(REQUEST_ID_HEADER, id)
                .body(axum::body::Body::empty())
                .unwrap();
            request_id_of(&request)
        };
        assert_eq!(with("trace-abc_123.4"), "trace-abc_123.4");
        for hostile in ["", "a b", "naïve", &"a".repeat(65)] {
            let fresh = with(hostile);
            let fresh = fresh.to_str().unwrap();
            assert!(
                uuid::Uuid::parse_str(fresh).is_ok(),
                "{hostile:?} -> {fresh}"
            );
        }
        assert_ne!(fresh_request_id(), fresh_request_id());
    }

    #[tokio::test]
    async fn the_request_id_is_at_hand_while_the_handler_runs_and_not_after() {
        let request = Request::builder()
            .header(REQUEST_ID_HEADER, "req-7")
            .body(axum::body::Body::empty())
            .unwrap();
        let observation = Observation::begin(&request, "GET");
        let seen = || {
            let mut seen = None;
            with_request_id(|id| seen = Some(id.to_owned()));
            seen
        };
        let inside = observation
            .scope(async {
                tokio::task::yield_now().await;
                seen()
            })
            .await;
        assert_eq!(inside.as_deref(), Some("req-7"));
        assert_eq!(seen(), None);
    }
}
