//! `/staff/donations`: search by donor name, receipt number, type, campaign, period and
//! status; newest receipt first, a page at a time (keyset on the receipt number, as the API).

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use domain::DonationType;
use domain::role::{PERSONAL_DATA_READERS, RECORDERS, REPORT_READERS};
use maud::{Markup, html};
use serde::Deserialize;
use storage::ledger::{Donation, Register};
use uuid::Uuid;

use super::kit::{self, Input, Problems, Select};
use super::{STATUSES, status_badge, type_label};
use crate::AppState;
use crate::api::donations::{DONOR_NAME_LENGTH_MAX, ListQuery, list_filter};
use crate::api::{self, ApiError};
use crate::pages::session::FORM_INVALID;
use crate::pages::{PageError, Staff, format, layout};

/// Donations per page: a screen or two.
pub const PAGE_SIZE: u16 = 50;

/// The search form's fields, as the query names them.
const FIELDS: &[(&str, &str)] = &[
    ("donor", "donations-donor-name"),
    ("receipt", "donations-receipt-number"),
    ("type", "donations-type"),
    ("campaign_id", "donations-campaign"),
    ("status", "donations-status"),
    ("received_from", "donations-received-from"),
    ("received_to", "donations-received-to"),
];

/// The search, as the query string gives it (every field optional; `lang` and the like
/// are ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Search {
    donor: String,
    receipt: String,
    #[serde(rename = "type")]
    donation_type: String,
    campaign_id: String,
    donor_id: String,
    status: String,
    received_from: String,
    received_to: String,
    before: String,
}

impl Search {
    /// The query string of this search, on the page after `before`.
    fn query(&self, before: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("donor", &self.donor),
            ("receipt", &self.receipt),
            ("type", &self.donation_type),
            ("campaign_id", &self.campaign_id),
            ("donor_id", &self.donor_id),
            ("status", &self.status),
            ("received_from", &self.received_from),
            ("received_to", &self.received_to),
        ] {
            if !value.trim().is_empty() {
                query.append_pair(name, value.trim());
            }
        }
        if !before.is_empty() {
            query.append_pair("before", before);
        }
        query.finish()
    }
}

fn blank(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// The donations the search finds, and the receipt number the next page starts before.
async fn find(
    state: &AppState,
    search: &Search,
) -> Result<(Vec<Donation>, Option<String>), ApiError> {
    if let Some(receipt) = blank(&search.receipt) {
        let receipt = receipt
            .parse()
            .map_err(|err: domain::ledger::NotAReceiptNumber| {
                ApiError::invalid("receipt", err.to_string())
            })?;
        let found = state.database().donation_by_receipt(receipt).await?;
        return Ok((found.into_iter().collect(), None));
    }
    let uuid = |field: &str, value: &str| {
        blank(value)
            .map(|value| {
                value
                    .parse::<Uuid>()
                    .map_err(|_| ApiError::invalid(field, "is not an id"))
            })
            .transpose()
    };
    let params = ListQuery {
        received_from: blank(&search.received_from),
        received_to: blank(&search.received_to),
        donation_type: blank(&search.donation_type)
            .map(|value| {
                value
                    .parse::<DonationType>()
                    .map_err(|err| ApiError::invalid("type", err.to_string()))
            })
            .transpose()?,
        fund: None,
        campaign_id: uuid("campaign_id", &search.campaign_id)?,
        donor_id: uuid("donor_id", &search.donor_id)?,
        before: blank(&search.before),
        limit: Some(PAGE_SIZE),
    };
    let mut filter = list_filter(&params)?;
    filter.donor_name =
        api::input::optional_text("donor", Some(&search.donor), DONOR_NAME_LENGTH_MAX)?;
    filter.status = match blank(&search.status) {
        None => None,
        Some(name) => Some(
            STATUSES
                .iter()
                .find(|(_, known)| *known == name)
                .map(|(status, _)| *status)
                .ok_or_else(|| ApiError::invalid("status", "is not a donation status"))?,
        ),
    };
    let donations = state.database().donations(&filter).await?;
    let next = (donations.len() == usize::from(filter.limit))
        .then(|| donations.last().map(|d| d.receipt.to_string()))
        .flatten();
    Ok((donations, next))
}

/// `GET /staff/donations`.
pub(super) async fn page(
    State(state): State<AppState>,
    staff: Staff,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    staff.require(REPORT_READERS)?;
    let search: Search = serde_urlencoded::from_str(query.as_deref().unwrap_or_default())
        .map_err(|err| PageError::BadRequest(err.to_string()))?;
    let personal = staff.can(PERSONAL_DATA_READERS);
    if !personal && blank(&search.donor).is_some() {
        // As the registers' API: an auditor does not search people by their data.
        return Err(PageError::Forbidden);
    }
    let (donations, next, problems) = match find(&state, &search).await {
        Ok((donations, next)) => (donations, next, Problems::none()),
        Err(err) => (Vec::new(), None, Problems::from_api(err, &staff, FIELDS)?),
    };
    let names = if personal {
        let ids: Vec<Uuid> = donations.iter().filter_map(|d| d.donor_id).collect();
        api::registers::count(&state, &staff.caller(), Register::Donors, &ids).await?;
        state
            .database()
            .donor_names(&ids)
            .await?
            .into_iter()
            .map(|(id, person)| (id, person.name))
            .collect()
    } else {
        HashMap::new()
    };
    let campaigns: Vec<(Uuid, String)> = state
        .database()
        .campaign_choices()
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let campaign_names: HashMap<Uuid, String> = campaigns.iter().cloned().collect();
    let title = staff.t("donations-title");
    let body = html! {
        div.page-head {
            h1 { (title) }
            @if staff.can(RECORDERS) {
                a.button href="/staff/donations/new" { (staff.t("donations-new")) }
            }
        }
        (search_form(&staff, &search, &campaigns, &problems, personal))
        @if problems.is_empty() {
            (results(&staff, &donations, &names, &campaign_names, personal))
            (pager(&staff, &search, next.as_deref()))
        }
    };
    let status = if problems.is_empty() {
        axum::http::StatusCode::OK
    } else {
        FORM_INVALID
    };
    Ok((status, layout::staff(&staff, &title, &body)).into_response())
}

fn search_form(
    staff: &Staff,
    search: &Search,
    campaigns: &[(Uuid, String)],
    problems: &Problems,
    personal: bool,
) -> Markup {
    let mut receipt = Input::text(
        "search-",
        "receipt",
        staff.t("donations-receipt-number"),
        &search.receipt,
    );
    receipt.hint = Some(staff.t("donations-receipt-number-hint"));
    let mut from = Input::text(
        "search-",
        "received_from",
        staff.t("donations-received-from"),
        &search.received_from,
    );
    from.kind = "date";
    let mut to = Input::text(
        "search-",
        "received_to",
        staff.t("donations-received-to"),
        &search.received_to,
    );
    to.kind = "date";
    let types = Select {
        id: "search-type".to_owned(),
        name: "type",
        label: staff.t("donations-type"),
        hint: None,
        value: &search.donation_type,
        options: kit::named_options(
            staff,
            DonationType::ALL,
            DonationType::as_str,
            "donations-type-",
        ),
        empty: Some(staff.t("donations-any")),
    };
    let campaign = Select {
        id: "search-campaign_id".to_owned(),
        name: "campaign_id",
        label: staff.t("donations-campaign"),
        hint: None,
        value: &search.campaign_id,
        options: campaigns
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone()))
            .collect(),
        empty: Some(staff.t("donations-any")),
    };
    let status = Select {
        id: "search-status".to_owned(),
        name: "status",
        label: staff.t("donations-status"),
        hint: None,
        value: &search.status,
        options: STATUSES
            .iter()
            .map(|(_, name)| {
                (
                    (*name).to_owned(),
                    staff.t(&format!("donations-status-{name}")),
                )
            })
            .collect(),
        empty: Some(staff.t("donations-any")),
    };
    html! {
        (problems.summary(staff, "search-"))
        form.filters.search method="get" action="/staff/donations" role="search"
            aria-label=(staff.t("donations-search")) {
            @if personal {
                (Input::text("search-", "donor", staff.t("donations-donor-name"), &search.donor).render(problems))
            }
            (receipt.render(problems))
            (types.render(problems))
            (campaign.render(problems))
            (status.render(problems))
            (from.render(problems))
            (to.render(problems))
            @if let Some(donor_id) = blank(&search.donor_id) {
                input type="hidden" name="donor_id" value=(donor_id);
            }
            div.field.submit {
                button type="submit" { (staff.t("donations-search")) }
            }
        }
    }
}

fn results(
    staff: &Staff,
    donations: &[Donation],
    names: &HashMap<Uuid, String>,
    campaigns: &HashMap<Uuid, String>,
    personal: bool,
) -> Markup {
    if donations.is_empty() {
        return html! { p.empty { (staff.t("donations-none-found")) } };
    }
    html! {
        div.table-wrap tabindex="0" {
            table.donations {
                caption { (staff.t("donations-results")) }
                thead {
                    tr {
                        th scope="col" { (staff.t("donations-receipt-number")) }
                        th scope="col" { (staff.t("donations-received-on")) }
                        th scope="col" { (staff.t("donations-type")) }
                        th scope="col" { (staff.t("donations-donor")) }
                        th scope="col" { (staff.t("donations-campaign")) }
                        th.number scope="col" { (staff.t("donations-amount")) }
                        th scope="col" { (staff.t("donations-status")) }
                    }
                }
                tbody {
                    @for donation in donations {
                        tr {
                            th scope="row" {
                                a href={ "/staff/donations/" (donation.id) } { (donation.receipt) }
                            }
                            td { (format::date(staff.lang, donation.received_on)) }
                            td { (type_label(staff, donation.donation_type)) }
                            td {
                                @match donation.donor_id {
                                    None => span.muted { (staff.t("donations-anonymous")) },
                                    Some(id) => @if personal {
                                        @if let Some(name) = names.get(&id) { (name) }
                                    } @else {
                                        span.muted { (staff.t("donations-donor-on-file")) }
                                    },
                                }
                            }
                            td {
                                @if let Some(name) = donation.campaign_id.and_then(|id| campaigns.get(&id)) {
                                    (name)
                                }
                            }
                            td.number { (format::money(staff.lang, donation.amount)) }
                            td { (status_badge(staff, donation.status())) }
                        }
                    }
                }
            }
        }
    }
}

fn pager(staff: &Staff, search: &Search, next: Option<&str>) -> Markup {
    let first = blank(&search.before).is_some();
    if next.is_none() && !first {
        return html! {};
    }
    html! {
        nav.pager aria-label=(staff.t("donations-pages")) {
            @if first {
                a href={ "/staff/donations?" (search.query("")) } { (staff.t("donations-first-page")) }
            }
            @if let Some(next) = next {
                a href={ "/staff/donations?" (search.query(next)) } rel="next" { (staff.t("donations-next-page")) }
            }
        }
    }
}
