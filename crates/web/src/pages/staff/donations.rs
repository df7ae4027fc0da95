//! The donations: search, record (an idempotent form), void, refund, the receipt.

use axum::Router;

use crate::AppState;

/// This area's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
}
