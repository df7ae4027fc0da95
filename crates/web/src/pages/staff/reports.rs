//! The reports: PSAK 109 statements (printable, CSV), collections, distributions.

use axum::Router;

use crate::AppState;

/// This area's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
}
