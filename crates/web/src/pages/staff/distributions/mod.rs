//! The distributions (penyaluran): the list (`/staff/distributions`), record with an
//! idempotent form (`/staff/distributions/new`, `POST /staff/distributions`), and one
//! distribution (`/staff/distributions/{id}`).
//!
//! As the donation pages: the API's filters and checks (`api::distributions`) and its ledger
//! path under the form's key; the ledger's refusals (an overdrawn fund, money outside a
//! campaign's purpose, non-halal money for anything but a public use) come back on the form.

mod list;
mod new;
mod show;

use axum::Router;
use axum::routing::get;
use domain::{Asnaf, PublicPurpose};

use crate::AppState;
use crate::pages::Visitor;

/// The area's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/distributions", get(list::page).post(new::create))
        .route("/staff/distributions/new", get(new::form))
        .route("/staff/distributions/{id}", get(show::page))
}

/// An asnaf, as the pages name it.
pub(crate) fn asnaf_label(visitor: &Visitor, asnaf: Asnaf) -> String {
    visitor.t(&format!("distributions-asnaf-{}", asnaf.as_str()))
}

/// A public purpose (non-halal money), as the pages name it.
pub(crate) fn purpose_label(visitor: &Visitor, purpose: PublicPurpose) -> String {
    visitor.t(&format!("distributions-purpose-{}", purpose.as_str()))
}
