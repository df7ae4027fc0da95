//! The application's routes, assembled into one router.

#[cfg(debug_assertions)]
mod debug;
mod every_request;
mod operations;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::problem::Problem;

/// The whole application, ready to serve.
pub fn router(state: AppState) -> Router {
    let router = Router::new()
        .merge(operations::routes())
        .merge(crate::api::routes())
        .merge(crate::pages::routes(&state));
    #[cfg(debug_assertions)]
    let router = router.merge(debug::routes());
    router
        .fallback(not_found)
        .layer(every_request::Layer::new(state.clone()))
        .with_state(state)
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
