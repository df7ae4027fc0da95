//! The application's routes, assembled into one router.

#[cfg(debug_assertions)]
mod debug;
mod operations;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, Version, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::problem::Problem;
use crate::{AppState, telemetry};

/// The whole application, ready to serve.
pub fn router(state: AppState) -> Router {
    let router = Router::new()
        .merge(operations::routes())
        .merge(crate::api::routes());
    #[cfg(debug_assertions)]
    let router = router.merge(debug::routes());
    router
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            telemetry::observe,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            close_when_draining,
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

async fn not_found() -> impl IntoResponse {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "no resource at this path: see `/api/v1/openapi.json` for the API",
    )
}
