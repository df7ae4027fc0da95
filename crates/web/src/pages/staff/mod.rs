//! The staff pages, one module per area; each handler takes [`Staff`](super::Staff) (signed
//! in) and checks the role the area needs.

mod audit;
mod campaigns;
mod dashboard;
mod distributions;
mod donations;
mod registers;
mod reports;
mod settings;
mod users;

use axum::Router;

use crate::AppState;

/// Every staff route, under `/staff`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .merge(dashboard::routes())
        .merge(donations::routes())
        .merge(distributions::routes())
        .merge(registers::routes())
        .merge(campaigns::routes())
        .merge(reports::routes())
        .merge(audit::routes())
        .merge(settings::routes())
        .merge(users::routes())
}
