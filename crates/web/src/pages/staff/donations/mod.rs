//! The donations: search (`/staff/donations`), record with an idempotent form
//! (`/staff/donations/new`, `POST /staff/donations`), a donation with its voids and refunds
//! (`/staff/donations/{id}`, `POST …/void`, `POST …/refund`) and its printable receipt
//! (`/staff/donations/{id}/receipt`, `?format=pdf`).
//!
//! Every read and write is the API's: its filters and checks (`api::donations`), its ledger
//! path under the form's idempotency key (`kit::record`), its receipt renderer. Amil staff
//! and admins record; auditors read the books (no donor's personal data, no write form).

pub(super) mod kit;
mod list;
mod new;
mod show;

use axum::Router;
use axum::routing::{get, post};
use domain::{DonationType, Fund, PaymentMethod};
use maud::{Markup, html};
use storage::ledger::DonationStatus;

use crate::AppState;
use crate::pages::Visitor;

/// The area's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/donations", get(list::page).post(new::create))
        .route("/staff/donations/new", get(new::form))
        .route("/staff/donations/{id}", get(show::page))
        .route("/staff/donations/{id}/void", post(show::void))
        .route("/staff/donations/{id}/refund", post(show::refund))
        .route("/staff/donations/{id}/receipt", get(show::receipt))
}

/// A donation type, as the pages name it.
pub(crate) fn type_label(visitor: &Visitor, donation_type: DonationType) -> String {
    visitor.t(&format!("donations-type-{}", donation_type.as_str()))
}

/// A fund, as the pages name it.
pub(crate) fn fund_label(visitor: &Visitor, fund: Fund) -> String {
    visitor.t(&format!("donations-fund-{}", fund.as_str()))
}

/// A payment method, as the pages name it.
pub(crate) fn method_label(visitor: &Visitor, method: PaymentMethod) -> String {
    visitor.t(&format!("donations-method-{}", method.as_str()))
}

/// Every status a donation can have, with its name in links and forms.
pub(crate) const STATUSES: [(DonationStatus, &str); 4] = [
    (DonationStatus::Recorded, "recorded"),
    (DonationStatus::PartiallyRefunded, "partially_refunded"),
    (DonationStatus::Refunded, "refunded"),
    (DonationStatus::Void, "void"),
];

fn status_name(status: DonationStatus) -> &'static str {
    STATUSES
        .iter()
        .find(|(known, _)| *known == status)
        .map_or("recorded", |(_, name)| name)
}

/// Where a donation stands, as a badge.
pub(crate) fn status_badge(visitor: &Visitor, status: DonationStatus) -> Markup {
    let name = status_name(status);
    let class = match status {
        DonationStatus::Recorded => "badge",
        DonationStatus::PartiallyRefunded | DonationStatus::Refunded => "badge warn",
        DonationStatus::Void => "badge void",
    };
    html! { span class=(class) { (visitor.t(&format!("donations-status-{name}"))) } }
}
