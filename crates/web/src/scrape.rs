//! Who may read `/metrics`. Its counters are business volumes (donations per minute, error
//! rates), not for the public: in prod it is served on a separate listener (`METRICS_PORT`,
//! loopback by default) or on the main port only to requests bearing `METRICS_TOKEN`. The
//! binary decides the policy from its configuration; this module enforces it.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::AppState;
use crate::problem::Problem;

/// Who may read `/metrics`.
#[derive(Clone, Debug)]
pub struct MetricsAccess {
    /// Whether the main listener serves `/metrics` (else it answers 404 there).
    pub on_main_port: bool,
    /// The SHA-256 of the bearer token required on every listener, if any.
    token_digest: Option<[u8; 32]>,
}

impl MetricsAccess {
    /// `/metrics` on the main port or not, and requiring `token` (if given) everywhere.
    #[must_use]
    pub fn new(on_main_port: bool, token: Option<&str>) -> Self {
        MetricsAccess {
            on_main_port,
            token_digest: token.map(digest),
        }
    }

    /// As before this module: public on the main port (dev, and tests).
    #[must_use]
    pub fn public() -> Self {
        MetricsAccess::new(true, None)
    }

    /// Whether `headers` carry the token (always, when none is required). The tokens are
    /// compared as SHA-256 digests in constant time: neither their content nor their length
    /// shows in the timing.
    fn admits(&self, headers: &HeaderMap) -> bool {
        let Some(expected) = &self.token_digest else {
            return true;
        };
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or_default();
        bool::from(digest(given).ct_eq(expected))
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Which listener a request came in on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Listener {
    /// The main port, with the API.
    Main,
    /// The metrics-only listener.
    Metrics,
}

/// The metrics text, or why not: 404 where it is not served, 401 without the token.
pub(crate) fn serve(state: &AppState, headers: &HeaderMap, listener: Listener) -> Response {
    let access = state.metrics_access();
    if listener == Listener::Main && !access.on_main_port {
        return Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "no resource at this path: see `/api/v1/openapi.json` for the API",
        )
        .into_response();
    }
    if !access.admits(headers) {
        let mut response = Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "`/metrics` needs `Authorization: Bearer <METRICS_TOKEN>`",
        )
        .into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer"),
        );
        return response;
    }
    let text = state
        .metrics()
        .render(state.database().pool_stats(), state.connections().open());
    ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response()
}

/// The metrics-only listener's application: `/metrics`, nothing else. Every response closes
/// its connection: scrapes come seconds apart, and a kept-alive connection would be reused by
/// the scraper after a restart hands the port to a successor, only to be closed under it by
/// the draining predecessor.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics_only))
        .fallback(|| async {
            Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "this listener serves only `/metrics`",
            )
        })
        .layer(axum::middleware::map_response(
            |mut response: Response| async move {
                response.headers_mut().insert(
                    header::CONNECTION,
                    axum::http::HeaderValue::from_static("close"),
                );
                response
            },
        ))
        .with_state(state)
}

async fn metrics_only(State(state): State<AppState>, headers: HeaderMap) -> Response {
    serve(&state, &headers, Listener::Metrics)
}
