//! `/staff/campaigns`: every campaign with what was given for it and paid out of it, and the
//! form that opens one through `POST /api/v1/campaigns` (its purpose, the asnaf its money may
//! pay, the amil's share; checked and audited as the API does).

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::Asnaf;
use domain::role::{ADMINS, REPORT_READERS};
use maud::{Markup, html};
use serde_json::Value;

use super::super::error::PageError;
use super::super::session::{FORM_INVALID, Staff};
use super::super::{format, layout, redirect};
use super::registers::form::{self, Field, Filled, Kind, Problem, Sent};
use crate::AppState;
use crate::api::admin_pages::{Admin, ApiJson, create_campaign};
use storage::views::admin::CampaignOpened;
use storage::views::public::CampaignSummary;

/// This area's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/campaigns", get(list).post(create))
        .route("/staff/campaigns/new", get(new))
}

/// The fields of the form, as the API names them.
const FIELDS: [&str; 4] = ["name", "purpose", "allowed_asnaf", "amil_share_percent"];

/// Rupiah of minor units (zero too).
fn rupiah(staff: &Staff, minor: i64) -> String {
    format::minor_units(staff.lang, minor, domain::ledger::BOOKS_CURRENCY)
}

/// `GET /staff/campaigns`.
async fn list(
    State(state): State<AppState>,
    staff: Staff,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    staff.require(REPORT_READERS)?;
    let opened_as = state.database().staff_campaigns().await?;
    // The sums are the public pages' own: what the staff see is what the public sees.
    let sums = state.database().public_campaigns().await?;
    let campaigns: Vec<(&CampaignOpened, Option<&CampaignSummary>)> = opened_as
        .iter()
        .map(|campaign| (campaign, sums.iter().find(|sum| sum.id == campaign.id)))
        .collect();
    let query = Sent::from_query(query.as_deref());
    let opened = query
        .given("opened")
        .and_then(|id| id.parse::<uuid::Uuid>().ok());
    let title = staff.t("campaigns-title");
    let body = html! {
        div.page-head {
            h1 { (title) }
            @if staff.can(ADMINS) {
                a.button href="/staff/campaigns/new" { (staff.t("campaigns-new")) }
            }
        }
        @if let Some(opened) = opened.and_then(|id| opened_as.iter().find(|c| c.id == id)) {
            p.alert.ok role="status" {
                (staff.t_args("campaigns-opened", &[("name", opened.name.clone().into())]))
                " "
                a href={ "/campaigns/" (opened.id) } { (staff.t("campaigns-public-page")) }
            }
        }
        p.lead { (staff.t("campaigns-lead")) }
        @if campaigns.is_empty() {
            p { (staff.t("campaigns-none")) }
        } @else {
            div.table-wrap tabindex="0" {
                table.campaigns.stack-table {
                    caption.visually-hidden { (title) }
                    thead { tr {
                        th scope="col" { (staff.t("campaigns-field-name")) }
                        th scope="col" { (staff.t("campaigns-allowed")) }
                        th scope="col" .number { (staff.t("campaigns-amil-share")) }
                        th scope="col" .number { (staff.t("campaigns-donations")) }
                        th scope="col" .number { (staff.t("campaigns-collected")) }
                        th scope="col" .number { (staff.t("campaigns-distributed")) }
                        th scope="col" .number { (staff.t("campaigns-held")) }
                    } }
                    tbody {
                        @for (campaign, sums) in &campaigns {
                            tr id={ "campaign-" (campaign.id) } {
                                th scope="row" {
                                    a href={ "/campaigns/" (campaign.id) } { (campaign.name) }
                                    @if let Some(sums) = sums {
                                        span.hint { (sums.purpose) }
                                    }
                                    span.hint { (staff.t("campaigns-opened-on")) " " (format::date(staff.lang, campaign.created_at.date())) }
                                }
                                td data-label=(staff.t("campaigns-allowed")) { (allowed(&staff, campaign.allowed_asnaf.as_deref())) }
                                td.number data-label=(staff.t("campaigns-amil-share")) {
                                    (campaign.amil_share_percent.as_deref().map_or_else(|| "0".to_owned(), |share| percent(&staff, share)))
                                    " %"
                                }
                                td.number data-label=(staff.t("campaigns-donations")) { (format::count(staff.lang, sums.map_or(0, |s| s.donations))) }
                                td.number data-label=(staff.t("campaigns-collected")) { (rupiah(&staff, sums.map_or(0, CampaignSummary::collected_minor))) }
                                td.number data-label=(staff.t("campaigns-distributed")) { (rupiah(&staff, sums.map_or(0, |s| s.distributed_minor))) }
                                td.number data-label=(staff.t("campaigns-held")) { (rupiah(&staff, sums.map_or(0, |s| s.balance_minor))) }
                            }
                        }
                    }
                }
            }
            p.hint { (staff.t("campaigns-sums-note")) }
        }
    };
    Ok(layout::staff(&staff, &title, &body).into_response())
}

/// A stored percentage (`12.50`) as the visitor's language writes it (`12,5`).
fn percent(staff: &Staff, text: &str) -> String {
    text.parse::<rust_decimal::Decimal>().map_or_else(
        |_| text.to_owned(),
        |value| format::decimal(staff.lang, value),
    )
}

/// The asnaf a campaign's money may pay.
fn allowed(staff: &Staff, asnaf: Option<&[Asnaf]>) -> Markup {
    match asnaf {
        None => html! { (staff.t("campaigns-allowed-all")) },
        Some(asnaf) => html! {
            @for (i, one) in asnaf.iter().enumerate() {
                @if i > 0 { ", " }
                (staff.t(&format!("admin-asnaf-{}", one.as_str())))
            }
        },
    }
}

/// The asnaf a campaign may name: all but the amil, who takes its share at receipt.
fn asnaf_choices(staff: &Staff) -> Vec<(String, String)> {
    Asnaf::ALL
        .iter()
        .filter(|asnaf| **asnaf != Asnaf::Amil)
        .map(|asnaf| {
            (
                asnaf.as_str().to_owned(),
                staff.t(&format!("admin-asnaf-{}", asnaf.as_str())),
            )
        })
        .collect()
}

/// `GET /staff/campaigns/new` (admins, as `POST /api/v1/campaigns`).
async fn new(staff: Staff) -> Result<Response, PageError> {
    staff.require(ADMINS)?;
    Ok(new_page(&staff, &Filled::fresh(), StatusCode::OK))
}

fn new_page(staff: &Staff, filled: &Filled, status: StatusCode) -> Response {
    let title = staff.t("campaigns-new");
    let labels: Vec<(&str, String)> = FIELDS
        .iter()
        .map(|name| (*name, staff.t(&format!("campaigns-field-{name}"))))
        .collect();
    let body = html! {
        p.breadcrumb { a href="/staff/campaigns" { (staff.t("campaigns-title")) } }
        h1 { (title) }
        p.lead { (staff.t("campaigns-new-text")) }
        form.stack.panel method="post" action="/staff/campaigns" novalidate {
            (staff.csrf_field())
            (form::key_field(filled))
            (form::summary(staff, filled, &labels))
            (Field::new("campaign", "name", staff.t("campaigns-field-name")).required().max_length(200).render(filled))
            (Field::new("campaign", "purpose", staff.t("campaigns-field-purpose")).kind(Kind::Textarea).required().max_length(1000)
                .hint(staff.t("campaigns-hint-purpose")).render(filled))
            (form::checkboxes(filled, ("campaign", "allowed_asnaf"), &staff.t("campaigns-field-allowed_asnaf"),
                &staff.t("campaigns-hint-allowed_asnaf"), &asnaf_choices(staff)))
            (Field::new("campaign", "amil_share_percent", staff.t("campaigns-field-amil_share_percent")).inputmode("decimal").max_length(6)
                .hint(staff.t("campaigns-hint-amil_share_percent")).render(filled))
            div.actions {
                button #open-campaign type="submit" { (staff.t("campaigns-open-button")) }
                a href="/staff/campaigns" { (staff.t("admin-cancel")) }
            }
        }
    };
    (status, layout::staff(staff, &title, &body)).into_response()
}

/// `POST /staff/campaigns`: opens the campaign through `POST /api/v1/campaigns`.
async fn create(
    State(state): State<AppState>,
    staff: Staff,
    sent: Sent,
) -> Result<Response, PageError> {
    staff.require(ADMINS)?;
    let mut json = sent.json(&["name", "purpose", "amil_share_percent"]);
    let asnaf = sent.all("allowed_asnaf");
    if !asnaf.is_empty() {
        json.insert(
            "allowed_asnaf".to_owned(),
            Value::Array(asnaf.into_iter().map(Value::from).collect()),
        );
    }
    let json = Value::Object(json);
    let opened = form::once(|| async {
        let body = ApiJson::from_json(&form::scope("/staff/campaigns"), &json)?;
        create_campaign(
            State(state.clone()),
            Admin(staff.caller()),
            sent.key_headers(),
            body,
        )
        .await
    });
    match opened.await {
        Ok(response) => {
            let answer = form::answer_json(response).await?;
            let id = answer["id"].as_str().unwrap_or_default();
            Ok(redirect(&format!(
                "/staff/campaigns?opened={id}#campaign-{id}"
            )))
        }
        Err(err) => {
            let mut problem = Problem::from_api(err)?;
            // `allowed_asnaf[2]`: the list as a whole is the field on the form.
            if let Some(field) = &problem.field
                && field.starts_with("allowed_asnaf")
            {
                problem.field = Some("allowed_asnaf".to_owned());
            }
            Ok(new_page(&staff, &sent.refill(problem), FORM_INVALID))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::registers::form::assert_messages_exist;

    #[test]
    fn every_message_the_campaign_pages_build_from_a_name_exists() {
        assert_messages_exist(
            super::FIELDS
                .iter()
                .map(|field| format!("campaigns-field-{field}")),
        );
    }
}
