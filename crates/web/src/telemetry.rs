//! One log line and one metrics sample per request, tagged with a request id.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;

use crate::metrics::{OTHER_METHOD, method_label};
use crate::routes::ExtensionMethod;
use crate::{AppState, REQUEST_ID_HEADER};

/// A request id longer than this is not an id but an attempt to bloat our logs.
const REQUEST_ID_LENGTH_MAX: usize = 64;

/// The route label for requests that matched no route, so random paths cannot explode the
/// number of metric series.
pub(crate) const UNMATCHED_ROUTE: &str = "unmatched";

/// Middleware: assigns the request id, logs the request once it is answered, records metrics.
///
/// Only the route template is logged, never the concrete path or query: those can carry
/// personal data (a donor id, a NIK in a search). The method is one of a fixed few labels:
/// requests with any other method never get here (`routes::refuse_unknown_methods`).
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = request_id_of(&request);
    let method = if request.extensions().get::<ExtensionMethod>().is_some() {
        OTHER_METHOD
    } else {
        method_label(request.method()).unwrap_or(OTHER_METHOD)
    };
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str)
        .to_owned();
    let span = tracing::info_span!("request", id = %request_id);
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state
        .metrics()
        .record_request(method, &route, status, elapsed.as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    // Why a request failed is logged here, once, on its line: at `error` for a server error
    // (but not for a 503 that only says "not now", such as readiness while draining).
    let error = response
        .extensions_mut()
        .remove::<ErrorCause>()
        .map(|cause| cause.0);
    let error = error.as_deref();
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 && (error.is_some() || status != 503) {
            tracing::error!(method, route, status, latency_ms, error, "request");
        } else {
            tracing::info!(method, route, status, latency_ms, error, "request");
        }
    });
    response
}

fn request_id_of(request: &Request) -> String {
    request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| {
            !id.is_empty()
                && id.len() <= REQUEST_ID_LENGTH_MAX
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

/// Why a request failed, put in its response's extensions by the error type and logged on the
/// request's one line by [`observe`]: never in the body, which a client sees.
#[derive(Clone, Debug)]
pub struct ErrorCause(String);

impl ErrorCause {
    /// The cause, as text (an error and its sources).
    pub fn new(cause: impl Into<String>) -> Self {
        ErrorCause(cause.into())
    }
}
