//! `/staff/distributions/{id}`: one distribution. The recipient's name is personal data:
//! shown to admins and amil staff, the read counted; auditors see that a recipient is on file.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use domain::role::{PERSONAL_DATA_READERS, RECORDERS, REPORT_READERS};
use maud::{Markup, html};
use storage::ledger::{Distribution, Register};
use uuid::Uuid;

use super::super::donations::{fund_label, method_label};
use super::{asnaf_label, purpose_label};
use crate::AppState;
use crate::api;
use crate::pages::{PageError, Staff, format, layout};

/// `GET /staff/distributions/{id}`.
pub(super) async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    staff.require(REPORT_READERS)?;
    let id: Uuid = id.parse().map_err(|_| PageError::NotFound)?;
    let database = state.database();
    let distribution = database
        .distribution(id)
        .await?
        .ok_or(PageError::NotFound)?;
    let personal = staff.can(PERSONAL_DATA_READERS);
    let recipient = if personal {
        let ids = [distribution.recipient_id];
        api::registers::count(&state, &staff.caller(), Register::Recipients, &ids).await?;
        database
            .recipient_names(&ids)
            .await?
            .remove(&distribution.recipient_id)
            .map(|person| person.name)
    } else {
        None
    };
    let campaign = match distribution.campaign_id {
        Some(id) => database
            .campaign_choices()
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .map(|c| c.name),
        None => None,
    };
    let recorded_by = database
        .users()
        .await?
        .into_iter()
        .find(|user| user.id == distribution.recorded_by)
        .map_or_else(
            || format!("#{}", distribution.recorded_by),
            |user| user.email,
        );
    let title = staff.t_args(
        "distributions-detail-title",
        &[("program", distribution.program.clone().into())],
    );
    let body = html! {
        div.page-head {
            h1 { (title) }
            div.actions.no-print {
                @if staff.can(RECORDERS) {
                    a.button href="/staff/distributions/new" { (staff.t("distributions-new")) }
                }
                a.button.secondary href="/staff/distributions" { (staff.t("distributions-back")) }
            }
        }
        (facts(&staff, &distribution, recipient.as_deref(), campaign.as_deref(), &recorded_by))
    };
    Ok(layout::staff(&staff, &title, &body).into_response())
}

/// Everything about the distribution; the recipient's name if the staff may read it.
fn facts(
    staff: &Staff,
    distribution: &Distribution,
    recipient: Option<&str>,
    campaign: Option<&str>,
    recorded_by: &str,
) -> Markup {
    let lang = staff.lang;
    html! {
        section.panel aria-labelledby="facts-heading" {
            h2 #facts-heading { (staff.t("donations-facts")) }
            dl.facts {
                dt { (staff.t("distributions-date")) }
                dd { (format::date(lang, distribution.distributed_on)) }
                dt { (staff.t("distributions-program")) }
                dd { (distribution.program) }
                dt { (staff.t("donations-amount")) }
                dd.amount { (format::money(lang, distribution.amount)) }
                dt { (staff.t("distributions-fund")) }
                dd { (fund_label(staff, distribution.fund)) }
                dt { (staff.t("donations-campaign")) }
                dd {
                    @match (campaign, distribution.campaign_id) {
                        (Some(name), _) => (name),
                        (None, Some(id)) => (id),
                        (None, None) => span.muted { (staff.t("donations-no-campaign")) },
                    }
                }
                dt { (staff.t("distributions-recipient")) }
                dd {
                    @if let Some(name) = recipient {
                        a href={ "/staff/mustahik/" (distribution.recipient_id) } { (name) }
                    } @else {
                        span.muted { (staff.t("donations-donor-on-file")) }
                    }
                }
                @if let Some(asnaf) = distribution.asnaf {
                    dt { (staff.t("distributions-asnaf")) }
                    dd { (asnaf_label(staff, asnaf)) }
                }
                @if let Some(purpose) = distribution.purpose {
                    dt { (staff.t("distributions-purpose")) }
                    dd { (purpose_label(staff, purpose)) }
                }
                dt { (staff.t("donations-method")) }
                dd { (method_label(staff, distribution.method)) }
                @if let Some(note) = &distribution.note {
                    dt { (staff.t("donations-note")) }
                    dd { (note) }
                }
                dt { (staff.t("donations-recorded")) }
                dd { (format::date_time(lang, distribution.recorded_at)) " · " (recorded_by) }
            }
        }
    }
}
