//! The staff pages, one module per area; each handler takes [`Staff`] (signed in) and checks
//! the role the area needs.

use maud::{Markup, html};

use super::error::PageError;
use super::layout;
use super::session::Staff;

/// `GET /staff`: the dashboard.
pub(crate) async fn dashboard(staff: Staff) -> Result<Markup, PageError> {
    staff.require(domain::role::REPORT_READERS)?;
    let title = staff.t("nav-dashboard");
    let body = html! { h1 { (title) } };
    Ok(layout::staff(&staff, &title, &body))
}
