//! What every request goes through around its handler, in one layer: the security headers,
//! `Connection: close` while draining, the refusal of unknown methods, telemetry (request id,
//! log line, metrics) and the time limit.
//!
//! One hand-written tower service instead of five `axum::middleware::from_fn` layers: each of
//! those boxed a future and the rest of the stack (`Next`) per request, and cloned the layers
//! under it: ~22% of the server's CPU on `/healthz`, and `/healthz` went from 27,196 to 35,605
//! req/s without them (BENCHMARKS.md, "HTTP path against the OTP yardstick"). The order is the one the layers had, outermost first: security headers,
//! draining, method check, telemetry, time limit (so a timed-out request is logged and
//! counted), handler.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, Version, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::metrics::{OTHER_METHOD, method_label};
use crate::problem::Problem;
use crate::server::ReceivedInFull;
use crate::telemetry::Observation;

/// Headers every response gets here: the request id, the security headers, `Connection`.
const EVERY_RESPONSE_HEADERS: usize = 9;

/// The layer, applied to every route and the fallback.
#[derive(Clone)]
pub(super) struct Layer {
    state: AppState,
}

impl Layer {
    pub(super) fn new(state: AppState) -> Self {
        Layer { state }
    }
}

impl<S> tower::Layer<S> for Layer {
    type Service = EveryRequest<S>;

    fn layer(&self, inner: S) -> Self::Service {
        EveryRequest {
            inner,
            state: self.state.clone(),
        }
    }
}

/// A route's handler (`inner`) wrapped in what every request goes through.
#[derive(Clone)]
pub(super) struct EveryRequest<S> {
    inner: S,
    state: AppState,
}

impl<S> tower::Service<Request> for EveryRequest<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let http1 = request.version() == Version::HTTP_11;
        let method = refuse_unknown_method(&mut request);
        let received = request.extensions().get::<ReceivedInFull>().cloned();
        let observation = Observation::begin(&request, method);
        // Called here, after our own `poll_ready` readied it, as tower's contract asks.
        let answered = observation.scope(self.inner.call(request));
        let state = self.state.clone();
        Box::pin(async move {
            let timeout = state.request_timeout();
            let mut response = match tokio::time::timeout(timeout, answered).await {
                Ok(Ok(response)) => response,
                Err(_) => timed_out(timeout, received.as_ref()),
            };
            // Room for what every response gets, reserved once rather than grown twice.
            response.headers_mut().reserve(EVERY_RESPONSE_HEADERS);
            observation.finish(&state, &mut response);
            if http1 && state.is_draining() {
                close_connection(&mut response);
            }
            crate::security::add_headers(&state, response.headers_mut());
            Ok(response)
        })
    }
}

/// Serves a request whose method is not one of RFC 9110's (see
/// [`crate::metrics::METHOD_LABELS`]) as a standard method that no route serves: 405 with the
/// route's `Allow`, 404 off any route. The method is replaced before telemetry sees the
/// request: it is client-chosen text of any length, and once it became a metrics label and a
/// log field (3,000 requests with unique 60 KB methods grew the process by 360 MB). Telemetry
/// counts and logs such a request as `other`; it is never echoed. Returns the method's label.
fn refuse_unknown_method(request: &mut Request) -> &'static str {
    method_label(request.method()).unwrap_or_else(|| {
        *request.method_mut() = Method::TRACE;
        OTHER_METHOD
    })
}

/// The answer to a request not answered within `timeout` (`REQUEST_TIMEOUT`, bounding its
/// time from head received to response, its body included, so a client that stalls its body
/// cannot hold a connection and a handler for ever): 408 if the body had not arrived in full
/// (the client's fault), else 503 (ours). The connection is closed either way, as its unread
/// body makes it unusable.
fn timed_out(timeout: Duration, received: Option<&ReceivedInFull>) -> Response {
    let body_received = received.is_none_or(ReceivedInFull::get);
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
    close_connection(&mut response);
    response
}

/// Ends the response's connection. While draining, every HTTP/1.1 response does: the client
/// reconnects, and the listener (now a successor's, after an upgrade) takes it. Closing an
/// idle connection ourselves instead could race a request the client is sending. HTTP/2 has
/// `GOAWAY` for this, which the server sends on shutdown.
fn close_connection(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
}
