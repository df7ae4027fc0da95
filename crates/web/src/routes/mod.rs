//! The application's routes, assembled into one router.

#[cfg(debug_assertions)]
mod debug;
mod operations;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;

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
        .with_state(state)
}

async fn not_found() -> impl IntoResponse {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "no resource at this path: see `/api/v1/openapi.json` for the API",
    )
}
