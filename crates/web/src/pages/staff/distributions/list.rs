//! `/staff/distributions`: by fund, asnaf, campaign and period; newest first, a page at a
//! time (keyset on the id, as the API).

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::role::{RECORDERS, REPORT_READERS};
use domain::{Asnaf, Fund};
use maud::{Markup, html};
use serde::Deserialize;
use storage::ledger::Distribution;
use uuid::Uuid;

use super::super::donations::fund_label;
use super::super::donations::kit::{self, Input, Problems, Select};
use super::{asnaf_label, purpose_label};
use crate::AppState;
use crate::api::ApiError;
use crate::api::distributions::{ListQuery, list_filter};
use crate::pages::session::FORM_INVALID;
use crate::pages::{PageError, Staff, format, layout};

/// Distributions per page.
pub const PAGE_SIZE: u16 = 50;

/// The filter form's fields.
const FIELDS: &[(&str, &str)] = &[
    ("fund", "distributions-fund"),
    ("asnaf", "distributions-asnaf"),
    ("campaign_id", "donations-campaign"),
    ("distributed_from", "distributions-from"),
    ("distributed_to", "distributions-to"),
    ("recipient_id", "distributions-recipient-id"),
];

/// The filter, as the query string gives it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Filter {
    fund: String,
    asnaf: String,
    campaign_id: String,
    recipient_id: String,
    distributed_from: String,
    distributed_to: String,
    before: String,
}

impl Filter {
    fn query(&self, before: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("fund", &self.fund),
            ("asnaf", &self.asnaf),
            ("campaign_id", &self.campaign_id),
            ("recipient_id", &self.recipient_id),
            ("distributed_from", &self.distributed_from),
            ("distributed_to", &self.distributed_to),
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

fn parsed<T: std::str::FromStr>(field: &str, value: &str) -> Result<Option<T>, ApiError>
where
    T::Err: std::fmt::Display,
{
    blank(value)
        .map(|value| {
            value
                .parse::<T>()
                .map_err(|err| ApiError::invalid(field, err.to_string()))
        })
        .transpose()
}

async fn find(
    state: &AppState,
    filter: &Filter,
) -> Result<(Vec<Distribution>, Option<Uuid>), ApiError> {
    let params = ListQuery {
        distributed_from: blank(&filter.distributed_from),
        distributed_to: blank(&filter.distributed_to),
        fund: parsed("fund", &filter.fund)?,
        asnaf: parsed("asnaf", &filter.asnaf)?,
        purpose: None,
        campaign_id: parsed("campaign_id", &filter.campaign_id)?,
        recipient_id: parsed("recipient_id", &filter.recipient_id)?,
        before: parsed("before", &filter.before)?,
        limit: Some(PAGE_SIZE),
    };
    let filter = list_filter(&params)?;
    let distributions = state.database().distributions(&filter).await?;
    let next = (distributions.len() == usize::from(filter.limit))
        .then(|| distributions.last().map(|d| d.id))
        .flatten();
    Ok((distributions, next))
}

/// `GET /staff/distributions`.
pub(super) async fn page(
    State(state): State<AppState>,
    staff: Staff,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    staff.require(REPORT_READERS)?;
    let filter: Filter = serde_urlencoded::from_str(query.as_deref().unwrap_or_default())
        .map_err(|err| PageError::BadRequest(err.to_string()))?;
    let (distributions, next, problems) = match find(&state, &filter).await {
        Ok((distributions, next)) => (distributions, next, Problems::none()),
        Err(err) => (Vec::new(), None, Problems::from_api(err, &staff, FIELDS)?),
    };
    let campaigns: Vec<(Uuid, String)> = state
        .database()
        .campaign_choices()
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let campaign_names: HashMap<Uuid, String> = campaigns.iter().cloned().collect();
    let title = staff.t("distributions-title");
    let body = html! {
        div.page-head {
            h1 { (title) }
            @if staff.can(RECORDERS) {
                a.button href="/staff/distributions/new" { (staff.t("distributions-new")) }
            }
        }
        (filter_form(&staff, &filter, &campaigns, &problems))
        @if problems.is_empty() {
            (table(&staff, &distributions, &campaign_names))
            (pager(&staff, &filter, next))
        }
    };
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        FORM_INVALID
    };
    Ok((status, layout::staff(&staff, &title, &body)).into_response())
}

fn filter_form(
    staff: &Staff,
    filter: &Filter,
    campaigns: &[(Uuid, String)],
    problems: &Problems,
) -> Markup {
    let fund = Select {
        id: "filter-fund".to_owned(),
        name: "fund",
        label: staff.t("distributions-fund"),
        hint: None,
        value: &filter.fund,
        options: kit::named_options(staff, Fund::ALL, Fund::as_str, "donations-fund-"),
        empty: Some(staff.t("donations-any")),
    };
    let asnaf = Select {
        id: "filter-asnaf".to_owned(),
        name: "asnaf",
        label: staff.t("distributions-asnaf"),
        hint: None,
        value: &filter.asnaf,
        options: kit::named_options(staff, Asnaf::ALL, Asnaf::as_str, "distributions-asnaf-"),
        empty: Some(staff.t("donations-any")),
    };
    let campaign = Select {
        id: "filter-campaign_id".to_owned(),
        name: "campaign_id",
        label: staff.t("donations-campaign"),
        hint: None,
        value: &filter.campaign_id,
        options: campaigns
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone()))
            .collect(),
        empty: Some(staff.t("donations-any")),
    };
    let mut from = Input::text(
        "filter-",
        "distributed_from",
        staff.t("distributions-from"),
        &filter.distributed_from,
    );
    from.kind = "date";
    let mut to = Input::text(
        "filter-",
        "distributed_to",
        staff.t("distributions-to"),
        &filter.distributed_to,
    );
    to.kind = "date";
    html! {
        (problems.summary(staff, "filter-"))
        form.filters method="get" action="/staff/distributions" role="search"
            aria-label=(staff.t("distributions-filter")) {
            (fund.render(problems))
            (asnaf.render(problems))
            (campaign.render(problems))
            (from.render(problems))
            (to.render(problems))
            @if let Some(recipient) = blank(&filter.recipient_id) {
                input type="hidden" name="recipient_id" value=(recipient);
            }
            div.field.submit {
                button type="submit" { (staff.t("distributions-filter")) }
            }
        }
    }
}

fn table(
    staff: &Staff,
    distributions: &[Distribution],
    campaigns: &HashMap<Uuid, String>,
) -> Markup {
    if distributions.is_empty() {
        return html! { p.empty { (staff.t("distributions-none-found")) } };
    }
    html! {
        div.table-wrap tabindex="0" {
            table.distributions {
                caption { (staff.t("distributions-results")) }
                thead {
                    tr {
                        th scope="col" { (staff.t("distributions-date")) }
                        th scope="col" { (staff.t("distributions-program")) }
                        th scope="col" { (staff.t("distributions-fund")) }
                        th scope="col" { (staff.t("distributions-for")) }
                        th scope="col" { (staff.t("donations-campaign")) }
                        th.number scope="col" { (staff.t("donations-amount")) }
                    }
                }
                tbody {
                    @for distribution in distributions {
                        tr {
                            th scope="row" {
                                a href={ "/staff/distributions/" (distribution.id) } {
                                    (format::date(staff.lang, distribution.distributed_on))
                                }
                            }
                            td { (distribution.program) }
                            td { (fund_label(staff, distribution.fund)) }
                            td {
                                @if let Some(asnaf) = distribution.asnaf { (asnaf_label(staff, asnaf)) }
                                @if let Some(purpose) = distribution.purpose { (purpose_label(staff, purpose)) }
                            }
                            td {
                                @if let Some(name) = distribution.campaign_id.and_then(|id| campaigns.get(&id)) {
                                    (name)
                                }
                            }
                            td.number { (format::money(staff.lang, distribution.amount)) }
                        }
                    }
                }
            }
        }
    }
}

fn pager(staff: &Staff, filter: &Filter, next: Option<Uuid>) -> Markup {
    let first = blank(&filter.before).is_some();
    if next.is_none() && !first {
        return html! {};
    }
    html! {
        nav.pager aria-label=(staff.t("donations-pages")) {
            @if first {
                a href={ "/staff/distributions?" (filter.query("")) } { (staff.t("donations-first-page")) }
            }
            @if let Some(next) = next {
                a href={ "/staff/distributions?" (filter.query(&next.to_string())) } rel="next" {
                    (staff.t("donations-next-page"))
                }
            }
        }
    }
}
