//! `/staff/mustahik`: the recipients' register (asnaf, household, eligibility).

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::Asnaf;
use domain::role::{ERASERS, PERSONAL_DATA_READERS, RECORDERS, REPORT_READERS};
use maud::{Markup, html};
use serde_json::Value;
use storage::ledger::{DistributionFilter, REGISTER_PAGE_SIZE_MAX};

use super::super::super::error::PageError;
use super::super::super::session::{FORM_INVALID, Staff};
use super::super::super::{format, layout, redirect};
use super::form::{self, Field, Filled, Kind, Problem, Sent};
use super::muzakki::{changes, nothing_changed};
use crate::AppState;
use crate::api::admin_pages::{
    ApiJson, HOUSEHOLD_SIZE_MAX, RecipientQuery, RecipientView, Recorder, create_recipient,
    erase_recipient, recipient_page, recipient_view, update_recipient,
};

/// The fields of a recipient, as the API names them.
pub(super) const FIELDS: [&str; 7] = [
    "name",
    "nik",
    "phone",
    "address",
    "asnaf",
    "household_size",
    "eligibility_note",
];

/// The distributions a mustahik's page lists (the newest).
const DISTRIBUTIONS_SHOWN: u16 = 50;

/// The asnaf a recipient can be assessed as, with their names in the visitor's language.
pub(crate) fn asnaf_options(staff: &Staff) -> Vec<(String, String)> {
    Asnaf::ALL
        .iter()
        .map(|asnaf| {
            (
                asnaf.as_str().to_owned(),
                staff.t(&format!("admin-asnaf-{}", asnaf.as_str())),
            )
        })
        .collect()
}

/// `GET /staff/mustahik`: search by name, NIK, phone (those who may read personal data) or
/// asnaf, newest first, a page at a time.
pub(crate) async fn list(
    State(state): State<AppState>,
    staff: Staff,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    staff.require(REPORT_READERS)?;
    let sent = Sent::from_query(query.as_deref());
    let before =
        match sent.given("before") {
            Some(before) => Some(before.parse().map_err(|_| {
                PageError::BadRequest("`before` is not a recipient's id".to_owned())
            })?),
            None => None,
        };
    let asnaf = match sent.given("asnaf") {
        Some(asnaf) => Some(
            asnaf
                .parse::<Asnaf>()
                .map_err(|err| PageError::BadRequest(err.to_string()))?,
        ),
        None => None,
    };
    let params = RecipientQuery {
        name: sent.given("name"),
        nik: sent.given("nik"),
        phone: sent.given("phone"),
        asnaf,
        before,
        limit: None,
    };
    let (page, problem) = match recipient_page(&state, &staff.caller(), &params).await {
        Ok(page) => (Some(page), None),
        Err(err) => (None, Some(Problem::from_api(err)?)),
    };
    let filled = match problem {
        Some(problem) => sent.clone().refill(problem),
        None => sent.clone().filled(),
    };
    let title = staff.t("registers-mustahik-title");
    let personal = staff.can(PERSONAL_DATA_READERS);
    let body = html! {
        div.page-head {
            h1 { (title) }
            @if staff.can(RECORDERS) {
                a.button href="/staff/mustahik/new" { (staff.t("registers-mustahik-new")) }
            }
        }
        form.filters method="get" action="/staff/mustahik" role="search" aria-label=(staff.t("registers-search")) {
            @if personal {
                (Field::new("search", "name", staff.t("registers-field-name")).render(&filled))
                (Field::new("search", "nik", staff.t("registers-field-nik")).inputmode("numeric").render(&filled))
                (Field::new("search", "phone", staff.t("registers-field-phone")).render(&filled))
            }
            (form::select(&filled, ("search", "asnaf"), &staff.t("registers-field-asnaf"), &asnaf_options(&staff), Some(&staff.t("registers-any-asnaf"))))
            button type="submit" { (staff.t("registers-search-button")) }
        }
        @if !personal {
            p.hint { (staff.t("registers-personal-hidden")) }
        }
        @if let Some(page) = &page {
            @if page.recipients.is_empty() {
                p { (staff.t("registers-none-found")) }
            } @else {
                (table(&staff, &page.recipients))
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

fn page_link(sent: &Sent, before: Option<uuid::Uuid>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for name in ["name", "nik", "phone", "asnaf"] {
        if let Some(value) = sent.given(name) {
            query.append_pair(name, &value);
        }
    }
    if let Some(before) = before {
        query.append_pair("before", &before.to_string());
    }
    format!("/staff/mustahik?{}", query.finish())
}

fn asnaf_name(staff: &Staff, asnaf: Option<Asnaf>) -> String {
    asnaf.map_or_else(
        || staff.t("registers-not-assessed"),
        |asnaf| staff.t(&format!("admin-asnaf-{}", asnaf.as_str())),
    )
}

fn table(staff: &Staff, recipients: &[RecipientView]) -> Markup {
    html! {
        div.table-wrap tabindex="0" {
            table.stack-table {
                caption.visually-hidden { (staff.t("registers-mustahik-title")) }
                thead { tr {
                    th scope="col" { (staff.t("registers-field-name")) }
                    th scope="col" { (staff.t("registers-field-asnaf")) }
                    th scope="col" { (staff.t("registers-field-nik")) }
                    th scope="col" .number { (staff.t("registers-field-household_size")) }
                    th scope="col" { (staff.t("registers-filed")) }
                } }
                tbody {
                    @for recipient in recipients {
                        tr {
                            @match &recipient.personal_data {
                                Some(person) => {
                                    td {
                                        a href={ "/staff/mustahik/" (recipient.id) } { (person.name) }
                                        @if recipient.erased { " " span.badge.danger { (staff.t("registers-erased")) } }
                                    }
                                    td data-label=(staff.t("registers-field-asnaf")) { (asnaf_name(staff, recipient.asnaf)) }
                                    td data-label=(staff.t("registers-field-nik")) { (person.nik.as_deref().unwrap_or("")) }
                                    td.number data-label=(staff.t("registers-field-household_size")) { (person.household_size.map(|size| size.to_string()).unwrap_or_default()) }
                                }
                                None => {
                                    td { a href={ "/staff/mustahik/" (recipient.id) } { (staff.t("registers-hidden")) } }
                                    td { (asnaf_name(staff, recipient.asnaf)) }
                                    td.muted colspan="2" { (staff.t("registers-hidden")) }
                                }
                            }
                            td data-label=(staff.t("registers-filed")) { (form::api_time(staff, &recipient.created_at)) }
                        }
                    }
                }
            }
        }
    }
}

fn labels(staff: &Staff) -> Vec<(&'static str, String)> {
    FIELDS
        .iter()
        .map(|name| (*name, staff.t(&format!("registers-field-{name}"))))
        .collect()
}

fn recipient_fields(staff: &Staff, form_id: &str, filled: &Filled) -> Markup {
    html! {
        (Field::new(form_id, "name", staff.t("registers-field-name")).required().max_length(200).autocomplete("off").render(filled))
        (Field::new(form_id, "nik", staff.t("registers-field-nik")).hint(staff.t("registers-hint-nik")).inputmode("numeric").max_length(32).render(filled))
        (Field::new(form_id, "phone", staff.t("registers-field-phone")).inputmode("tel").max_length(64).render(filled))
        (Field::new(form_id, "address", staff.t("registers-field-address")).kind(Kind::Textarea).max_length(500).render(filled))
        (form::select(filled, (form_id, "asnaf"), &staff.t("registers-field-asnaf"), &asnaf_options(staff), Some(&staff.t("registers-not-assessed"))))
        (Field::new(form_id, "household_size", staff.t("registers-field-household_size")).kind(Kind::Number).range(1, i64::from(HOUSEHOLD_SIZE_MAX)).render(filled))
        (Field::new(form_id, "eligibility_note", staff.t("registers-field-eligibility_note")).kind(Kind::Textarea).max_length(1000).render(filled))
    }
}

/// `GET /staff/mustahik/new`: the form to file a recipient.
pub(crate) async fn new(staff: Staff) -> Result<Response, PageError> {
    staff.require(RECORDERS)?;
    Ok(new_page(&staff, &Filled::fresh(), StatusCode::OK))
}

fn new_page(staff: &Staff, filled: &Filled, status: StatusCode) -> Response {
    let title = staff.t("registers-mustahik-new");
    let body = html! {
        p.breadcrumb { a href="/staff/mustahik" { (staff.t("registers-mustahik-title")) } }
        h1 { (title) }
        form.stack.panel method="post" action="/staff/mustahik" novalidate {
            (staff.csrf_field())
            (form::key_field(filled))
            (form::summary(staff, filled, &labels(staff)))
            (recipient_fields(staff, "recipient", filled))
            div.actions {
                button #file-mustahik type="submit" { (staff.t("registers-file-button")) }
                a href="/staff/mustahik" { (staff.t("admin-cancel")) }
            }
        }
    };
    (status, layout::staff(staff, &title, &body)).into_response()
}

/// The household size as the API takes it: a number, or the text as typed (which the API
/// refuses naming the field).
fn household(text: &str) -> Value {
    text.parse::<u16>()
        .map_or_else(|_| Value::String(text.to_owned()), Value::from)
}

/// `POST /staff/mustahik`: files the recipient through `POST /api/v1/recipients`.
pub(crate) async fn create(
    State(state): State<AppState>,
    staff: Staff,
    sent: Sent,
) -> Result<Response, PageError> {
    staff.require(RECORDERS)?;
    let mut json = sent.json(&[
        "name",
        "nik",
        "phone",
        "address",
        "asnaf",
        "eligibility_note",
    ]);
    if let Some(size) = sent.given("household_size") {
        json.insert("household_size".to_owned(), household(&size));
    }
    let json = Value::Object(json);
    let filed = form::once(|| async {
        let body = ApiJson::from_json(&form::scope("/staff/mustahik"), &json)?;
        create_recipient(
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
            Ok(redirect(&format!("/staff/mustahik/{id}?filed=1")))
        }
        Err(err) => {
            let problem = Problem::from_api(err)?;
            Ok(new_page(&staff, &sent.refill(problem), FORM_INVALID))
        }
    }
}

/// `GET /staff/mustahik/{id}`: the recipient, what they received, the forms to change and
/// erase the record.
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

async fn detail(
    state: &AppState,
    staff: &Staff,
    id: uuid::Uuid,
    notice: &Sent,
    edit: Option<Filled>,
    erase_error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let recipient = recipient_view(state, &staff.caller(), id).await?;
    let distributions = state
        .database()
        .distributions(&DistributionFilter {
            recipient_id: Some(id),
            limit: DISTRIBUTIONS_SHOWN.min(REGISTER_PAGE_SIZE_MAX),
            ..DistributionFilter::default()
        })
        .await?;
    let users = if recipient.access.is_some() {
        state.database().user_accounts().await?
    } else {
        Vec::new()
    };
    let name = recipient
        .personal_data
        .as_ref()
        .map_or_else(|| asnaf_name(staff, recipient.asnaf), |p| p.name.clone());
    let title = staff.t_args("registers-mustahik-one", &[("name", name.into())]);
    let edit = edit.unwrap_or_else(|| {
        let person = recipient.personal_data.as_ref();
        Filled::default()
            .with_some("name", person.map(|p| p.name.clone()))
            .with_some("nik", person.and_then(|p| p.nik.clone()))
            .with_some("phone", person.and_then(|p| p.phone.clone()))
            .with_some("address", person.and_then(|p| p.address.clone()))
            .with_some("asnaf", recipient.asnaf.map(Asnaf::as_str))
            .with_some(
                "household_size",
                person.and_then(|p| p.household_size.map(|s| s.to_string())),
            )
            .with_some(
                "eligibility_note",
                person.and_then(|p| p.eligibility_note.clone()),
            )
    });
    let path = format!("/staff/mustahik/{id}");
    let body = html! {
        p.breadcrumb { a href="/staff/mustahik" { (staff.t("registers-mustahik-title")) } }
        h1 { (title) }
        (super::notice(staff, notice, &[
            ("filed", "registers-mustahik-filed"),
            ("saved", "registers-saved"),
            ("erased", "registers-erased-notice"),
        ]))
        (record_section(staff, &recipient))
        (distributions_section(staff, &distributions))
        @if staff.can(RECORDERS) && !recipient.erased {
            section.panel aria-labelledby="edit-title" {
                h2 #edit-title { (staff.t("registers-edit")) }
                form.stack method="post" action=(path) novalidate {
                    (staff.csrf_field())
                    (form::summary(staff, &edit, &labels(staff)))
                    (recipient_fields(staff, "edit", &edit))
                    div.actions {
                        button type="submit" { (staff.t("registers-save")) }
                    }
                }
            }
        }
        (super::access(staff, recipient.access.as_ref(), &users))
        @if staff.can(ERASERS) && !recipient.erased {
            (super::erase_form(staff, &format!("{path}/erase"), erase_error.as_deref()))
        }
    };
    Ok((status, layout::staff(staff, &title, &body)).into_response())
}

/// The recipient's record as the caller may see it.
fn record_section(staff: &Staff, recipient: &RecipientView) -> Markup {
    html! {
    section.panel aria-labelledby="record-title" {
        h2 #record-title { (staff.t("registers-record")) }
        dl.facts {
            dt { (staff.t("registers-field-asnaf")) }
            dd { (asnaf_name(staff, recipient.asnaf)) }
            @if let Some(person) = &recipient.personal_data {
                dt { (staff.t("registers-field-name")) } dd { (person.name) }
                dt { (staff.t("registers-field-nik")) } dd { (person.nik.as_deref().unwrap_or("—")) }
                dt { (staff.t("registers-field-phone")) } dd { (person.phone.as_deref().unwrap_or("—")) }
                dt { (staff.t("registers-field-address")) } dd { (person.address.as_deref().unwrap_or("—")) }
                dt { (staff.t("registers-field-household_size")) }
                dd { (person.household_size.map_or_else(|| "—".to_owned(), |size| size.to_string())) }
                dt { (staff.t("registers-field-eligibility_note")) }
                dd { (person.eligibility_note.as_deref().unwrap_or("—")) }
            }
            (super::record_dates(staff, &recipient.created_at, recipient.updated_at.as_deref(), recipient.erased_at.as_deref()))
        }
        @if recipient.personal_data.is_none() {
            p.hint { (staff.t("registers-personal-hidden")) }
        }
    }
    }
}

/// What the recipient received (the newest).
fn distributions_section(staff: &Staff, distributions: &[storage::ledger::Distribution]) -> Markup {
    html! {
    section.panel aria-labelledby="distributions-title" {
        h2 #distributions-title { (staff.t("registers-distributions")) }
        @if distributions.is_empty() {
            p { (staff.t("registers-no-distributions")) }
        } @else {
            div.table-wrap tabindex="0" {
                table.stack-table {
                    thead { tr {
                        th scope="col" { (staff.t("registers-distributed-on")) }
                        th scope="col" { (staff.t("registers-field-asnaf")) }
                        th scope="col" { (staff.t("registers-program")) }
                        th scope="col" .number { (staff.t("registers-amount")) }
                    } }
                    tbody {
                        @for distribution in distributions {
                            tr {
                                td data-label=(staff.t("registers-distributed-on")) { a href={ "/staff/distributions/" (distribution.id) } { (format::date(staff.lang, distribution.distributed_on)) } }
                                td data-label=(staff.t("registers-field-asnaf")) {
                                    @match (distribution.asnaf, distribution.purpose) {
                                        (Some(asnaf), _) => (asnaf_name(staff, Some(asnaf))),
                                        (None, Some(purpose)) => (purpose.as_str()),
                                        (None, None) => "—",
                                    }
                                }
                                td data-label=(staff.t("registers-program")) { (distribution.program) }
                                td.number data-label=(staff.t("registers-amount")) { (format::money(staff.lang, distribution.amount)) }
                            }
                        }
                    }
                }
            }
        }
    }
    }
}

/// `POST /staff/mustahik/{id}`: changes what differs from the record through
/// `PATCH /api/v1/recipients/{id}`.
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
        .recipient(id)
        .await?
        .ok_or(PageError::NotFound)?;
    let person = &current.person;
    let size = current.household_size.map(|size| size.to_string());
    let now: [(&str, Option<&str>); 7] = [
        ("name", Some(person.name.as_str())),
        ("nik", person.nik.as_deref()),
        ("phone", person.phone.as_deref()),
        ("address", person.address.as_deref()),
        ("asnaf", current.asnaf.map(Asnaf::as_str)),
        ("household_size", size.as_deref()),
        ("eligibility_note", current.eligibility_note.as_deref()),
    ];
    let mut patch = changes(&sent, &now);
    if let Some(Value::String(size)) = patch.get("household_size") {
        let size = household(size);
        patch.insert("household_size".to_owned(), size);
    }
    let changed = async {
        let body = ApiJson::from_json(
            &format!("PATCH /api/v1/recipients/{id}\n"),
            &Value::Object(patch),
        )?;
        update_recipient(
            State(state.clone()),
            Recorder(staff.caller()),
            Path(id_text.clone()),
            body,
        )
        .await
    };
    match changed.await {
        Ok(_) => Ok(redirect(&format!("/staff/mustahik/{id}?saved=1"))),
        Err(err) => {
            let problem = nothing_changed(&staff, Problem::from_api(err)?);
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

/// `POST /staff/mustahik/{id}/erase`: erases the recipient's personal data through
/// `DELETE /api/v1/recipients/{id}/personal-data` (admins), once the box is ticked.
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
    erase_recipient(
        State(state.clone()),
        crate::api::admin_pages::Admin(staff.caller()),
        Path(id_text),
    )
    .await?;
    Ok(redirect(&format!("/staff/mustahik/{id}?erased=1")))
}
