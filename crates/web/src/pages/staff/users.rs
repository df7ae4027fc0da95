//! Users and tokens (admin).

use axum::Router;

use crate::AppState;

/// This area's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
}
