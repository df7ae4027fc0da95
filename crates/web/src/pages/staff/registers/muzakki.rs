//! `/staff/muzakki`: the donors' register.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::role::{ERASERS, PERSONAL_DATA_READERS, RECORDERS, REPORT_READERS};
use maud::{Markup, html};
use serde_json::{Map, Value};
use storage::ledger::DonationFilter;

use super::super::super::error::PageError;
use super::super::super::session::{FORM_INVALID, Staff};
use super::super::super::{format, layout, redirect};
use super::form::{self, Field, Filled, Kind, Problem, Sent};
use crate::AppState;
use crate::api::admin_pages::{
    ApiJson, DonorQuery, DonorView, PersonalDataReader, Recorder, donor_page, donor_view,
    erase_donor, update_donor,
};

/// The personal fields of a donor, as the API names them.
pub(super) const PERSONAL_FIELDS: [&str; 6] = ["name", "nik", "npwp", "phone", "email", "address"];

/// The donations a muzakki's page lists (the newest).
const DONATIONS_SHOWN: u16 = 50;

/// `GET /staff/muzakki`: search by name, NIK, NPWP, phone (those who may read personal data)
/// or NPWZ, newest first, a page at a time.
pub(crate) async fn list(
    State(state): State<AppState>,
    staff: Staff,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    staff.require(REPORT_READERS)?;
    let sent = Sent::from_query(query.as_deref());
    let before = match sent.given("before") {
        Some(before) => Some(
            before
                .parse()
                .map_err(|_| PageError::BadRequest("`before` is not a donor's id".to_owned()))?,
        ),
        None => None,
    };
    let params = DonorQuery {
        name: sent.given("name"),
        nik: sent.given("nik"),
        npwp: sent.given("npwp"),
        phone: sent.given("phone"),
        npwz: sent.given("npwz"),
        before,
        limit: None,
    };
    let (page, problem) = match donor_page(&state, &staff.caller(), &params).await {
        Ok(page) => (Some(page), None),
        Err(err) => (None, Some(Problem::from_api(err)?)),
    };
    let filled = match problem {
        Some(problem) => sent.clone().refill(problem),
        None => sent.clone().filled(),
    };
    let title = staff.t("registers-muzakki-title");
    let personal = staff.can(PERSONAL_DATA_READERS);
    let body = html! {
        div.page-head {
            h1 { (title) }
            @if staff.can(RECORDERS) {
                a.button href="/staff/muzakki/new" { (staff.t("registers-muzakki-new")) }
            }
        }
        form.filters method="get" action="/staff/muzakki" role="search" aria-label=(staff.t("registers-search")) {
            @if personal {
                (Field::new("search", "name", staff.t("registers-field-name")).render(&filled))
                (Field::new("search", "nik", staff.t("registers-field-nik")).inputmode("numeric").render(&filled))
                (Field::new("search", "npwp", staff.t("registers-field-npwp")).render(&filled))
                (Field::new("search", "phone", staff.t("registers-field-phone")).kind(Kind::Text).render(&filled))
            }
            (Field::new("search", "npwz", staff.t("registers-field-npwz")).render(&filled))
            button type="submit" { (staff.t("registers-search-button")) }
        }
        @if let Some(problem) = &filled.problem {
            @if problem.field.is_none() {
                p.alert.error role="alert" { (problem.message) }
            }
        }
        @if !personal {
            p.hint { (staff.t("registers-personal-hidden")) }
        }
        @if let Some(page) = &page {
            @if page.donors.is_empty() {
                p { (staff.t("registers-none-found")) }
            } @else {
                (table(&staff, &page.donors))
            }
            nav.pager aria-label=(staff.t("registers-pages")) {
                @if before.is_some() {
                    a href=(page_link(&sent, None)) { (staff.t("registers-first-page")) }
                }
                @if let Some(next) = page.next_before {
                    a href=(page_link(&sent, Some(next))) rel="next" { (staff.t("registers-next-page")) }
                }
            }
        }
    };
    let status = if page.is_some() {
        StatusCode::OK
    } else {
        FORM_INVALID
    };
    Ok((status, layout::staff(&staff, &title, &body)).into_response())
}

/// The search page's link with the same filters, from `before` (`None`: the first page).
fn page_link(sent: &Sent, before: Option<uuid::Uuid>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for name in ["name", "nik", "npwp", "phone", "npwz"] {
        if let Some(value) = sent.given(name) {
            query.append_pair(name, &value);
        }
    }
    if let Some(before) = before {
        query.append_pair("before", &before.to_string());
    }
    format!("/staff/muzakki?{}", query.finish())
}

fn table(staff: &Staff, donors: &[DonorView]) -> Markup {
    html! {
        div.table-wrap tabindex="0" {
            table.stack-table {
                caption.visually-hidden { (staff.t("registers-muzakki-title")) }
                thead { tr {
                    th scope="col" { (staff.t("registers-field-npwz")) }
                    th scope="col" { (staff.t("registers-field-name")) }
                    th scope="col" { (staff.t("registers-field-nik")) }
                    th scope="col" { (staff.t("registers-field-phone")) }
                    th scope="col" { (staff.t("registers-filed")) }
                } }
                tbody {
                    @for donor in donors {
                        tr {
                            td data-label=(staff.t("registers-field-npwz")) { a href={ "/staff/muzakki/" (donor.id) } { (donor.npwz.as_deref().unwrap_or("—")) } }
                            @match &donor.personal_data {
                                Some(person) => {
                                    td {
                                        a href={ "/staff/muzakki/" (donor.id) } { (person.name) }
                                        @if donor.erased { " " span.badge.danger { (staff.t("registers-erased")) } }
                                    }
                                    td data-label=(staff.t("registers-field-nik")) { (person.nik.as_deref().unwrap_or("")) }
                                    td data-label=(staff.t("registers-field-phone")) { (person.phone.as_deref().unwrap_or("")) }
                                }
                                None => {
                                    td.muted colspan="3" { (staff.t("registers-hidden")) }
                                }
                            }
                            td data-label=(staff.t("registers-filed")) { (form::api_time(staff, &donor.created_at)) }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /staff/muzakki/new`: the form to file a donor.
pub(crate) async fn new(staff: Staff) -> Result<Response, PageError> {
    staff.require(RECORDERS)?;
    Ok(new_page(&staff, &Filled::fresh(), StatusCode::OK))
}

fn person_fields(staff: &Staff, form_id: &str, filled: &Filled) -> Markup {
    html! {
        (Field::new(form_id, "name", staff.t("registers-field-name")).required().max_length(200).autocomplete("off").render(filled))
        (Field::new(form_id, "nik", staff.t("registers-field-nik")).hint(staff.t("registers-hint-nik")).inputmode("numeric").max_length(32).render(filled))
        (Field::new(form_id, "npwp", staff.t("registers-field-npwp")).hint(staff.t("registers-hint-npwp")).max_length(32).render(filled))
        (Field::new(form_id, "phone", staff.t("registers-field-phone")).inputmode("tel").max_length(64).render(filled))
        (Field::new(form_id, "email", staff.t("registers-field-email")).kind(Kind::Email).max_length(254).render(filled))
        (Field::new(form_id, "address", staff.t("registers-field-address")).kind(Kind::Textarea).max_length(500).render(filled))
    }
}

fn labels(staff: &Staff) -> Vec<(&'static str, String)> {
    PERSONAL_FIELDS
        .iter()
        .map(|name| (*name, staff.t(&format!("registers-field-{name}"))))
        .collect()
}

fn new_page(staff: &Staff, filled: &Filled, status: StatusCode) -> Response {
    let title = staff.t("registers-muzakki-new");
    let body = html! {
        p.breadcrumb { a href="/staff/muzakki" { (staff.t("registers-muzakki-title")) } }
        h1 { (title) }
        p.lead { (staff.t("registers-muzakki-new-text")) }
        form.stack.panel method="post" action="/staff/muzakki" novalidate {
            (staff.csrf_field())
            (form::key_field(filled))
            (form::summary(staff, filled, &labels(staff)))
            (person_fields(staff, "donor", filled))
            div.actions {
                button #file-muzakki type="submit" { (staff.t("registers-file-button")) }
                a href="/staff/muzakki" { (staff.t("admin-cancel")) }
            }
        }
    };
    (status, layout::staff(staff, &title, &body)).into_response()
}

/// `POST /staff/muzakki`: files the donor through `POST /api/v1/donors` (an NPWZ is issued;
/// NIK and NPWP checked), then shows them.
pub(crate) async fn create(
    State(state): State<AppState>,
    staff: Staff,
    sent: Sent,
) -> Result<Response, PageError> {
    staff.require(RECORDERS)?;
    let json = Value::Object(sent.json(&PERSONAL_FIELDS));
    let filed = form::once(|| async {
        let body = ApiJson::from_json(&form::scope("/staff/muzakki"), &json)?;
        crate::api::admin_pages::create_donor(
            State(state.clone()),
            Recorder(staff.caller()),
            sent.key_headers(),
            body,
        )
        .await
    });
    match filed.await {
        Ok(response) => {
            let answer = form::answer_json(response).await?;
            let id = answer["id"].as_str().unwrap_or_default();
            Ok(redirect(&format!("/staff/muzakki/{id}?filed=1")))
        }
        Err(err) => {
            let problem = Problem::from_api(err)?;
            Ok(new_page(&staff, &sent.refill(problem), FORM_INVALID))
        }
    }
}

/// `GET /staff/muzakki/{id}`: the donor (their personal data to those who may read it, the
/// read counted), their donations, annual receipts, the forms to change and erase the record.
pub(crate) async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    staff.require(REPORT_READERS)?;
    let id = super::person_id(&id)?;
    let notice = Sent::from_query(query.as_deref());
    detail(&state, &staff, id, &notice, None, None, StatusCode::OK).await
}

/// The donor's page; `edit` or `erase_error` after a refused form.
async fn detail(
    state: &AppState,
    staff: &Staff,
    id: uuid::Uuid,
    notice: &Sent,
    edit: Option<Filled>,
    erase_error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let donor = donor_view(state, &staff.caller(), id).await?;
    let donations = state
        .database()
        .donations(&DonationFilter {
            donor_id: Some(id),
            limit: DONATIONS_SHOWN,
            ..DonationFilter::default()
        })
        .await?;
    let users = if donor.access.is_some() {
        state.database().user_accounts().await?
    } else {
        Vec::new()
    };
    let mut years: Vec<i32> = donations.iter().map(|d| d.received_on.year()).collect();
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
    let name = donor.personal_data.as_ref().map_or_else(
        || donor.npwz.clone().unwrap_or_default(),
        |p| p.name.clone(),
    );
    let title = staff.t_args("registers-muzakki-one", &[("name", name.clone().into())]);
    let edit = edit.unwrap_or_else(|| {
        let person = donor.personal_data.as_ref();
        Filled::default()
            .with_some("name", person.map(|p| p.name.clone()))
            .with_some("nik", person.and_then(|p| p.nik.clone()))
            .with_some("npwp", person.and_then(|p| p.npwp.clone()))
            .with_some("phone", person.and_then(|p| p.phone.clone()))
            .with_some("email", person.and_then(|p| p.email.clone()))
            .with_some("address", person.and_then(|p| p.address.clone()))
    });
    let path = format!("/staff/muzakki/{id}");
    let body = html! {
        p.breadcrumb { a href="/staff/muzakki" { (staff.t("registers-muzakki-title")) } }
        h1 { (title) }
        (super::notice(staff, notice, &[
            ("filed", "registers-muzakki-filed"),
            ("saved", "registers-saved"),
            ("erased", "registers-erased-notice"),
        ]))
        (record_section(staff, &donor))
        (donations_section(staff, &donations, &years, &path))
        @if staff.can(RECORDERS) && !donor.erased {
            section.panel aria-labelledby="edit-title" {
                h2 #edit-title { (staff.t("registers-edit")) }
                form.stack method="post" action=(path) novalidate {
                    (staff.csrf_field())
                    (form::summary(staff, &edit, &labels(staff)))
                    (person_fields(staff, "edit", &edit))
                    div.actions {
                        button type="submit" { (staff.t("registers-save")) }
                    }
                }
            }
        }
        (super::access(staff, donor.access.as_ref(), &users))
        @if staff.can(ERASERS) && !donor.erased {
            (super::erase_form(staff, &format!("{path}/erase"), erase_error.as_deref()))
        }
    };
    Ok((status, layout::staff(staff, &title, &body)).into_response())
}

/// The donor's record as the caller may see it.
fn record_section(staff: &Staff, donor: &DonorView) -> Markup {
    html! {
    section.panel aria-labelledby="record-title" {
        h2 #record-title { (staff.t("registers-record")) }
        dl.facts {
            dt { (staff.t("registers-field-npwz")) }
            dd.npwz { (donor.npwz.as_deref().unwrap_or("—")) }
            @if let Some(person) = &donor.personal_data {
                dt { (staff.t("registers-field-name")) } dd { (person.name) }
                dt { (staff.t("registers-field-nik")) } dd { (person.nik.as_deref().unwrap_or("—")) }
                dt { (staff.t("registers-field-npwp")) } dd { (person.npwp.as_deref().unwrap_or("—")) }
                dt { (staff.t("registers-field-phone")) } dd { (person.phone.as_deref().unwrap_or("—")) }
                dt { (staff.t("registers-field-email")) } dd { (person.email.as_deref().unwrap_or("—")) }
                dt { (staff.t("registers-field-address")) } dd { (person.address.as_deref().unwrap_or("—")) }
            }
            (super::record_dates(staff, &donor.created_at, donor.updated_at.as_deref(), donor.erased_at.as_deref()))
        }
        @if donor.personal_data.is_none() {
            p.hint { (staff.t("registers-personal-hidden")) }
        }
    }
    }
}

/// The donor's donations (the newest) and their annual receipts.
fn donations_section(
    staff: &Staff,
    donations: &[storage::ledger::Donation],
    years: &[i32],
    path: &str,
) -> Markup {
    html! {
    section.panel aria-labelledby="donations-title" {
        h2 #donations-title { (staff.t("registers-donations")) }
        @if donations.is_empty() {
            p { (staff.t("registers-no-donations")) }
        } @else {
            div.table-wrap tabindex="0" {
                table.stack-table {
                    thead { tr {
                        th scope="col" { (staff.t("registers-receipt-number")) }
                        th scope="col" { (staff.t("registers-received-on")) }
                        th scope="col" { (staff.t("registers-donation-type")) }
                        th scope="col" .number { (staff.t("registers-amount")) }
                        th scope="col" { (staff.t("registers-status")) }
                    } }
                    tbody {
                        @for donation in donations {
                            tr {
                                td data-label=(staff.t("registers-receipt-number")) { a href={ "/staff/donations/" (donation.id) } { (donation.receipt.to_string()) } }
                                td data-label=(staff.t("registers-received-on")) { (format::date(staff.lang, donation.received_on)) }
                                td data-label=(staff.t("registers-donation-type")) { (staff.t(&format!("admin-donation-type-{}", donation.donation_type.as_str()))) }
                                td.number data-label=(staff.t("registers-amount")) { (format::money(staff.lang, donation.amount)) }
                                td data-label=(staff.t("registers-status")) { (staff.t(&format!("admin-donation-status-{}", status_name(donation.status())))) }
                            }
                        }
                    }
                }
            }
        }
        @if staff.can(PERSONAL_DATA_READERS) && !years.is_empty() {
            h3 { (staff.t("registers-annual-receipts")) }
            ul.inline-list {
                @for year in years {
                    li { a href={ (path) "/receipts/" (year) } { (staff.t_args("registers-annual-receipt", &[("year", year.to_string().into())])) } }
                }
            }
        }
    }
    }
}

/// The name of a donation's status in the catalogues.
pub(super) fn status_name(status: storage::ledger::DonationStatus) -> &'static str {
    use storage::ledger::DonationStatus as S;
    match status {
        S::Recorded => "recorded",
        S::PartiallyRefunded => "partially_refunded",
        S::Refunded => "refunded",
        S::Void => "void",
    }
}

/// `POST /staff/muzakki/{id}`: changes what differs from the record through
/// `PATCH /api/v1/donors/{id}` (a field emptied is removed; the name cannot be).
pub(crate) async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id_text): Path<String>,
    sent: Sent,
) -> Result<Response, PageError> {
    staff.require(RECORDERS)?;
    let id = super::person_id(&id_text)?;
    let current = state
        .database()
        .donor(id)
        .await?
        .ok_or(PageError::NotFound)?;
    let person = &current.person;
    let now: [(&str, Option<&str>); 6] = [
        ("name", Some(person.name.as_str())),
        ("nik", person.nik.as_deref()),
        ("npwp", person.npwp.as_deref()),
        ("phone", person.phone.as_deref()),
        ("email", person.email.as_deref()),
        ("address", person.address.as_deref()),
    ];
    let patch = changes(&sent, &now);
    let changed = async {
        let body = ApiJson::from_json(
            &format!("PATCH /api/v1/donors/{id}\n"),
            &Value::Object(patch),
        )?;
        update_donor(
            State(state.clone()),
            Recorder(staff.caller()),
            Path(id_text.clone()),
            body,
        )
        .await
    };
    match changed.await {
        Ok(_) => Ok(redirect(&format!("/staff/muzakki/{id}?saved=1"))),
        Err(err) => {
            let problem = Problem::from_api(err)?;
            let problem = nothing_changed(&staff, problem);
            detail(
                &state,
                &staff,
                id,
                &Sent::default(),
                Some(sent.refill(problem)),
                None,
                FORM_INVALID,
            )
            .await
        }
    }
}

/// The fields whose sent text differs from the record's (`now`): set to the text, or `null`
/// (removed) when emptied.
pub(super) fn changes(sent: &Sent, now: &[(&str, Option<&str>)]) -> Map<String, Value> {
    now.iter()
        .filter(|(name, value)| sent.get(name) != value.unwrap_or_default())
        .map(|(name, _)| {
            let value = sent.given(name).map_or(Value::Null, Value::String);
            ((*name).to_owned(), value)
        })
        .collect()
}

/// The API's "names no field to change" as the form says it.
pub(super) fn nothing_changed(staff: &Staff, problem: Problem) -> Problem {
    if problem.field.as_deref() == Some("body") {
        Problem {
            field: None,
            message: staff.t("registers-nothing-changed"),
        }
    } else {
        problem
    }
}

/// `POST /staff/muzakki/{id}/erase`: erases the donor's personal data through
/// `DELETE /api/v1/donors/{id}/personal-data` (admins), once the box is ticked.
pub(crate) async fn erase(
    State(state): State<AppState>,
    staff: Staff,
    Path(id_text): Path<String>,
    sent: Sent,
) -> Result<Response, PageError> {
    staff.require(ERASERS)?;
    let id = super::person_id(&id_text)?;
    if sent.get("confirm") != "yes" {
        return detail(
            &state,
            &staff,
            id,
            &Sent::default(),
            None,
            Some(staff.t("registers-erase-unconfirmed")),
            FORM_INVALID,
        )
        .await;
    }
    erase_donor(
        State(state.clone()),
        crate::api::admin_pages::Admin(staff.caller()),
        Path(id_text),
    )
    .await?;
    Ok(redirect(&format!("/staff/muzakki/{id}?erased=1")))
}

/// `GET /staff/muzakki/{id}/receipts/{year}`: the donor's annual receipt for `year`, printable
/// (the API's `GET /api/v1/donors/{id}/receipts/{year}`, as HTML).
pub(crate) async fn annual_receipt(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, year)): Path<(String, String)>,
) -> Result<Response, PageError> {
    staff.require(PERSONAL_DATA_READERS)?;
    super::person_id(&id)?;
    let mut headers = HeaderMap::new();
    headers.insert(header::ACCEPT, HeaderValue::from_static("text/html"));
    Ok(crate::api::admin_pages::annual_receipt(
        State(state),
        PersonalDataReader(staff.caller()),
        headers,
        Path((id, year)),
    )
    .await?)
}
