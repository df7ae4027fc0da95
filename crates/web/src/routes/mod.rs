//! The application's routes, assembled into one router.

#[cfg(debug_assertions)]
mod debug;
mod operations;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Version, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::metrics::method_label;
use crate::problem::Problem;
use crate::server::ReceivedInFull;
use crate::{AppState, telemetry};

/// The whole application, ready to serve.
pub fn router(state: AppState) -> Router {
    let router = Router::new()
        .merge(operations::routes())
        .merge(crate::api::routes())
        .merge(crate::pages::routes(&state));
    #[cfg(debug_assertions)]
    let router = router.merge(debug::routes());
    // The last layer added runs first: draining, then the method check, then telemetry, then
    // the time limit around the handler (so a timed-out request is logged and counted).
    router
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limit_request_time,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            telemetry::observe,
        ))
        .layer(axum::middleware::from_fn(refuse_unknown_methods))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            close_when_draining,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::security::headers,
        ))
        .with_state(state)
}

/// While draining, every HTTP/1.1 response ends its connection (`Connection: close`): the
/// client reconnects, and the listener (now a successor's, after an upgrade) takes it. Closing
/// an idle connection ourselves instead could race a request the client is sending. HTTP/2
/// has `GOAWAY` for this, which the server sends on shutdown.
async fn close_when_draining(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let http1 = request.version() == Version::HTTP_11;
    let mut response = next.run(request).await;
    if http1 && state.is_draining() {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Serves a request whose method is not one of RFC 9110's (see
/// [`crate::metrics::METHOD_LABELS`]) as a standard method that no route serves: 405 with the
/// route's `Allow`, 404 off any route. The method is replaced before telemetry sees the
/// request: it is client-chosen text of any length, and once it became a metrics label and a
/// log field (3,000 requests with unique 60 KB methods grew the process by 360 MB). Telemetry
/// counts and logs such a request as `other` ([`ExtensionMethod`]); it is never echoed.
async fn refuse_unknown_methods(mut request: Request, next: Next) -> Response {
    if method_label(request.method()).is_none() {
        *request.method_mut() = Method::TRACE;
        request.extensions_mut().insert(ExtensionMethod);
    }
    next.run(request).await
}

/// On a request whose own method was not one of RFC 9110's; see [`refuse_unknown_methods`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct ExtensionMethod;

/// Bounds a request's time from its head received to its response (`REQUEST_TIMEOUT`), its
/// body included, so a client that stalls its body cannot hold a connection and a handler for
/// ever. 408 if the body had not arrived in full (the client's fault), else 503 (ours); the
/// connection is closed either way, as its unread body makes it unusable.
async fn limit_request_time(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let timeout = state.request_timeout();
    let received = request.extensions().get::<ReceivedInFull>().cloned();
    let Ok(response) = tokio::time::timeout(timeout, next.run(request)).await else {
        let body_received = received.as_ref().is_none_or(ReceivedInFull::get);
        let seconds = timeout.as_secs_f64();
        let mut response = if body_received {
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "request-timeout",
                format!("the request was not answered within {seconds} s (REQUEST_TIMEOUT): try again later"),
            )
        } else {
            Problem::new(
                StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                format!("the request body did not arrive within {seconds} s (REQUEST_TIMEOUT): send it at once, as Content-Length says"),
            )
        }
        .into_response();
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return response;
    };
    response
}

/// 404: an HTML page for a browser off the API, else a problem document.
async fn not_found(uri: axum::http::Uri, headers: axum::http::HeaderMap) -> Response {
    let browser = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if browser && !uri.path().starts_with("/api/") {
        return crate::pages::not_found(&headers, uri.path());
    }
    Problem::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "no resource at this path: see `/api/v1/openapi.json` for the API",
    )
    .into_response()
}
