//! The settings: prices, nisab and fitrah decree values, amil shares, institution profile.

use axum::Router;

use crate::AppState;

/// This area's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
}
