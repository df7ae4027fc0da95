//! `/staff/settings`: the values in force and their history, and one form per setting, each
//! written through the API's own handler (same checks, audit-chained): the amil's shares of
//! zakat and of infak/sedekah and what a reversal does when the share was spent
//! (`PUT /api/v1/settings/…`), the prices and decree figures the zakat calculator uses
//! (`POST /api/v1/zakat/data`), and the institution profile receipts print
//! (`PUT /api/v1/settings/institution`). Every role reads them, as through the API; only admins
//! see and send the forms.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use domain::ledger::AmilShortfall;
use domain::receipts::{Institution, LicenceType};
use domain::role::{ADMINS, REPORT_READERS};
use domain::zakat::DataName;
use domain::zakat::request::{CALCULATION_DATE_LATEST, today_in_wib};
use maud::{Markup, html};
use serde_json::{Value, json};
use storage::ledger::ZakatDatum;

use super::super::error::PageError;
use super::super::session::{FORM_INVALID, Staff};
use super::super::{format, layout, redirect};
use super::registers::form::{self, Field, Filled, Kind, Problem, Sent};
use crate::AppState;
use crate::api::ApiError;
use crate::api::admin_pages::{
    Admin, ApiJson, SettingsView, create_datum, set_amil_share, set_amil_share_infak,
    set_amil_shortfall, set_institution,
};

/// This area's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/settings", get(show))
        .route("/staff/settings/amil-share", post(amil_share))
        .route("/staff/settings/amil-share-infak", post(amil_share_infak))
        .route("/staff/settings/amil-shortfall", post(amil_shortfall))
        .route("/staff/settings/zakat-data", post(zakat_datum))
        .route("/staff/settings/institution", post(institution))
}

/// The forms of the page, each its own section (and element-id prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    AmilShare,
    AmilShareInfak,
    AmilShortfall,
    ZakatData,
    Institution,
}

impl Which {
    const ALL: [Which; 5] = [
        Which::AmilShare,
        Which::AmilShareInfak,
        Which::AmilShortfall,
        Which::ZakatData,
        Which::Institution,
    ];

    /// Its id (the section's anchor, the prefix of its fields' ids, `?saved=`).
    fn id(self) -> &'static str {
        match self {
            Which::AmilShare => "amil-share",
            Which::AmilShareInfak => "amil-share-infak",
            Which::AmilShortfall => "amil-shortfall",
            Which::ZakatData => "zakat-data",
            Which::Institution => "institution",
        }
    }

    fn path(self) -> String {
        format!("/staff/settings/{}", self.id())
    }
}

/// A form refused: which, and what it sent with what was wrong.
type Refused = Option<(Which, Filled)>;

/// `GET /staff/settings`.
async fn show(
    State(state): State<AppState>,
    staff: Staff,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    staff.require(REPORT_READERS)?;
    let query = Sent::from_query(query.as_deref());
    let saved = Which::ALL
        .into_iter()
        .find(|which| query.get("saved") == which.id());
    page(&state, &staff, None, saved, StatusCode::OK).await
}

/// The zakat data in force on `today` (the newest that took effect per name, region and
/// class), and those that take effect later.
fn in_force(rows: &[ZakatDatum], today: &str) -> (Vec<ZakatDatum>, Vec<ZakatDatum>) {
    let mut current: Vec<ZakatDatum> = Vec::new();
    let mut scheduled = Vec::new();
    for row in rows {
        if row.effective_from.as_str() > today {
            scheduled.push(row.clone());
        } else if !current
            .iter()
            .any(|c| c.name == row.name && c.region == row.region && c.class == row.class)
        {
            current.push(row.clone());
        }
    }
    (current, scheduled)
}

async fn page(
    state: &AppState,
    staff: &Staff,
    refused: Refused,
    saved: Option<Which>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let database = state.database();
    let settings = SettingsView::from(database.settings().await?);
    let data = database
        .zakat_data(&CALCULATION_DATE_LATEST.to_string())
        .await?;
    let today = today_in_wib(time::OffsetDateTime::now_utc());
    let (current, scheduled) = in_force(&data, &today.to_string());
    let institution = database.institution().await?;
    let changes = database.setting_changes().await?;
    let institution_changes = database.institution_changes().await?;
    let users = database.user_accounts().await?;
    let who = |label: &str| -> String {
        label
            .strip_prefix("user:")
            .and_then(|id| id.parse::<i64>().ok())
            .and_then(|id| users.iter().find(|user| user.id == id))
            .map_or_else(|| label.to_owned(), |user| user.email.clone())
    };
    let admin = staff.can(ADMINS);
    let filled = |which: Which, fresh: Filled| -> Filled {
        match &refused {
            Some((refused, filled)) if *refused == which => filled.clone(),
            _ => fresh,
        }
    };
    let title = staff.t("settings-title");
    let body = html! {
        h1 { (title) }
        @if let Some(saved) = saved {
            p.alert.ok role="status" { (staff.t("settings-saved")) " " a href={ "#" (saved.id()) } { (staff.t(&format!("settings-{}-title", saved.id()))) } }
        }
        @if !admin {
            p.hint { (staff.t("settings-read-only")) }
        }
        nav.toc aria-label=(staff.t("settings-contents")) {
            ul {
                li { a href="#amil" { (staff.t("settings-amil-title")) } }
                li { a href="#zakat-data" { (staff.t("settings-zakat-data-title")) } }
                li { a href="#institution" { (staff.t("settings-institution-title")) } }
                li { a href="#history" { (staff.t("settings-history-title")) } }
            }
        }
        section.panel #amil aria-labelledby="amil-title" {
            h2 #amil-title { (staff.t("settings-amil-title")) }
            div.settings-grid {
                (share_form(staff, admin, Which::AmilShare, &settings.amil_share_percent, "12.5",
                    &filled(Which::AmilShare, Filled::default().with("percent", settings.amil_share_percent.clone()))))
                (share_form(staff, admin, Which::AmilShareInfak, &settings.amil_share_infak_percent, "20",
                    &filled(Which::AmilShareInfak, Filled::default().with("percent", settings.amil_share_infak_percent.clone()))))
                (shortfall_form(staff, admin, settings.amil_shortfall,
                    &filled(Which::AmilShortfall, Filled::default().with("value", settings.amil_shortfall.as_str()))))
            }
        }
        section.panel #zakat-data aria-labelledby="zakat-data-title" {
            h2 #zakat-data-title { (staff.t("settings-zakat-data-title")) }
            p { (staff.t_args("settings-zakat-data-lead", &[("date", format::date(staff.lang, today).into())])) }
            (data_table(staff, &current, "settings-data-in-force"))
            @if !scheduled.is_empty() {
                h3 { (staff.t("settings-data-scheduled")) }
                (data_table(staff, &scheduled, "settings-data-scheduled"))
            }
            details.history {
                summary { (staff.t_args("settings-data-all", &[("count", i64::try_from(data.len()).unwrap_or(i64::MAX).into())])) }
                (data_table(staff, &data, "settings-data-all-caption"))
            }
            @if admin {
                (datum_form(staff, &filled(Which::ZakatData, Filled::default().with("effective_from", today.to_string()))))
            }
        }
        section.panel #institution aria-labelledby="institution-title" {
            h2 #institution-title { (staff.t("settings-institution-title")) }
            (institution_facts(staff, institution.as_ref()))
            @if admin {
                (institution_form(staff, institution.as_ref(), &filled(Which::Institution, institution_values(institution.as_ref()))))
            }
        }
        (history_section(staff, &changes, &institution_changes, &who))
    };
    Ok((status, layout::staff(staff, &title, &body)).into_response())
}

/// Who changed the settings and the institution profile, when, to what.
fn history_section(
    staff: &Staff,
    changes: &[storage::views::admin::SettingChange],
    institution_changes: &[storage::views::admin::InstitutionChange],
    who: &dyn Fn(&str) -> String,
) -> Markup {
    html! {
    section.panel #history aria-labelledby="history-title" {
        h2 #history-title { (staff.t("settings-history-title")) }
        @if changes.is_empty() {
            p { (staff.t("settings-history-none")) }
        } @else {
            div.table-wrap tabindex="0" {
                table.stack-table {
                    caption { (staff.t("settings-amil-title")) }
                    thead { tr {
                        th scope="col" { (staff.t("settings-history-when")) }
                        th scope="col" { (staff.t("settings-history-setting")) }
                        th scope="col" { (staff.t("settings-history-value")) }
                        th scope="col" { (staff.t("settings-history-who")) }
                    } }
                    tbody {
                        @for change in changes {
                            tr {
                                td data-label=(staff.t("settings-history-when")) { (format::date_time(staff.lang, change.changed_at)) }
                                td data-label=(staff.t("settings-history-setting")) { (staff.t(&format!("settings-key-{}", change.key))) }
                                td data-label=(staff.t("settings-history-value")) { (setting_value(staff, &change.key, &change.value)) }
                                td data-label=(staff.t("settings-history-who")) { (who(&change.changed_by)) }
                            }
                        }
                    }
                }
            }
        }
        @if !institution_changes.is_empty() {
            div.table-wrap tabindex="0" {
                table.stack-table {
                    caption { (staff.t("settings-institution-title")) }
                    thead { tr {
                        th scope="col" { (staff.t("settings-history-when")) }
                        th scope="col" { (staff.t("settings-field-name")) }
                        th scope="col" { (staff.t("settings-field-licence_number")) }
                        th scope="col" { (staff.t("settings-field-code")) }
                        th scope="col" { (staff.t("settings-history-who")) }
                    } }
                    tbody {
                        @for change in institution_changes {
                            tr {
                                td data-label=(staff.t("settings-history-when")) { (format::date_time(staff.lang, change.changed_at)) }
                                td data-label=(staff.t("settings-field-name")) { (change.name) }
                                td data-label=(staff.t("settings-field-licence_number")) { (change.licence_number) }
                                td data-label=(staff.t("settings-field-code")) { (format!("{:04}", change.code)) }
                                td data-label=(staff.t("settings-history-who")) { (who(&change.changed_by)) }
                            }
                        }
                    }
                }
            }
        }
    }
    }
}

/// A stored percentage (`12.50`) as the visitor's language writes it (`12,5 %`).
fn percent(staff: &Staff, text: &str) -> String {
    text.parse::<rust_decimal::Decimal>().map_or_else(
        |_| text.to_owned(),
        |value| format!("{} %", format::decimal(staff.lang, value)),
    )
}

fn setting_value(staff: &Staff, key: &str, value: &str) -> String {
    if key == "amil_shortfall" {
        staff.t(&format!("settings-shortfall-{value}"))
    } else {
        percent(staff, value)
    }
}

fn share_form(
    staff: &Staff,
    admin: bool,
    which: Which,
    current: &str,
    cap: &str,
    filled: &Filled,
) -> Markup {
    let id = which.id();
    html! {
        div.setting #(id) {
            h3 { (staff.t(&format!("settings-{id}-title"))) }
            p.current { (staff.t("settings-in-force")) " " strong { (percent(staff, current)) } }
            p.hint { (staff.t(&format!("settings-{id}-text"))) }
            @if admin {
                form.stack method="post" action=(which.path()) novalidate {
                    (staff.csrf_field())
                    (form::summary(staff, filled, &[("percent", staff.t("settings-field-percent"))]))
                    (Field::new(id, "percent", staff.t("settings-field-percent")).required().inputmode("decimal").max_length(6)
                        .hint(staff.t_args("settings-hint-percent", &[("cap", cap.into())])).render(filled))
                    button type="submit" { (staff.t("settings-save")) }
                }
            }
        }
    }
}

fn shortfall_form(staff: &Staff, admin: bool, current: AmilShortfall, filled: &Filled) -> Markup {
    let which = Which::AmilShortfall;
    let options: Vec<(String, String)> = AmilShortfall::ALL
        .iter()
        .map(|choice| {
            (
                choice.as_str().to_owned(),
                staff.t(&format!("settings-shortfall-{}", choice.as_str())),
            )
        })
        .collect();
    html! {
        div.setting #(which.id()) {
            h3 { (staff.t("settings-amil-shortfall-title")) }
            p.current { (staff.t("settings-in-force")) " " strong { (staff.t(&format!("settings-shortfall-{}", current.as_str()))) } }
            p.hint { (staff.t("settings-amil-shortfall-text")) }
            @if admin {
                form.stack method="post" action=(which.path()) novalidate {
                    (staff.csrf_field())
                    (form::summary(staff, filled, &[("value", staff.t("settings-field-shortfall"))]))
                    (form::select(filled, (which.id(), "value"), &staff.t("settings-field-shortfall"), &options, None))
                    button type="submit" { (staff.t("settings-save")) }
                }
            }
        }
    }
}

fn data_name(staff: &Staff, name: &str) -> String {
    staff.t(&format!("settings-data-{name}"))
}

fn data_table(staff: &Staff, rows: &[ZakatDatum], caption: &str) -> Markup {
    html! {
        div.table-wrap tabindex="0" {
            table.stack-table {
                caption.visually-hidden { (staff.t(caption)) }
                thead { tr {
                    th scope="col" { (staff.t("settings-field-data-name")) }
                    th scope="col" { (staff.t("settings-field-region")) }
                    th scope="col" .number { (staff.t("settings-field-value")) }
                    th scope="col" { (staff.t("settings-field-effective_from")) }
                    th scope="col" { (staff.t("settings-field-source")) }
                } }
                tbody {
                    @for row in rows {
                        tr {
                            th scope="row" { (data_name(staff, &row.name)) }
                            td data-label=(staff.t("settings-field-region")) {
                                @if row.region.is_empty() { (staff.t("settings-region-national")) } @else { (row.region) }
                                @if !row.class.is_empty() { " · " (row.class) }
                            }
                            td.number data-label=(staff.t("settings-field-value")) {
                                (row.value.parse::<rust_decimal::Decimal>().map_or_else(|_| row.value.clone(), |value| format::rupiah(staff.lang, value)))
                            }
                            td data-label=(staff.t("settings-field-effective_from")) {
                                (time::Date::parse(&row.effective_from, time::macros::format_description!("[year]-[month]-[day]"))
                                    .map_or_else(|_| row.effective_from.clone(), |date| format::date(staff.lang, date)))
                            }
                            td data-label=(staff.t("settings-field-source")) { (row.source) }
                        }
                    }
                }
            }
        }
    }
}

const DATUM_FIELDS: [&str; 6] = [
    "name",
    "value",
    "effective_from",
    "source",
    "region",
    "class",
];

fn datum_form(staff: &Staff, filled: &Filled) -> Markup {
    let id = Which::ZakatData.id();
    let names: Vec<(String, String)> = DataName::ALL
        .iter()
        .map(|name| (name.as_str().to_owned(), data_name(staff, name.as_str())))
        .collect();
    let labels: Vec<(&str, String)> = DATUM_FIELDS
        .iter()
        .map(|name| {
            let label = if *name == "name" {
                staff.t("settings-field-data-name")
            } else {
                staff.t(&format!("settings-field-{name}"))
            };
            (*name, label)
        })
        .collect();
    html! {
        h3 { (staff.t("settings-data-new")) }
        p.hint { (staff.t("settings-data-new-text")) }
        form.stack method="post" action=(Which::ZakatData.path()) novalidate {
            (staff.csrf_field())
            (form::summary(staff, filled, &labels))
            (form::select(filled, (id, "name"), &staff.t("settings-field-data-name"), &names, None))
            (Field::new(id, "value", staff.t("settings-field-value")).required().inputmode("decimal").max_length(24)
                .hint(staff.t("settings-hint-value")).render(filled))
            (Field::new(id, "effective_from", staff.t("settings-field-effective_from")).kind(Kind::Date).required().render(filled))
            (Field::new(id, "source", staff.t("settings-field-source")).required().max_length(200)
                .hint(staff.t("settings-hint-source")).render(filled))
            (Field::new(id, "region", staff.t("settings-field-region")).max_length(64)
                .hint(staff.t("settings-hint-region")).render(filled))
            (Field::new(id, "class", staff.t("settings-field-class")).max_length(64)
                .hint(staff.t("settings-hint-class")).render(filled))
            button type="submit" { (staff.t("settings-data-save")) }
        }
    }
}

fn institution_facts(staff: &Staff, institution: Option<&Institution>) -> Markup {
    let Some(institution) = institution else {
        return html! { p.alert.warn { (staff.t("settings-institution-unset")) } };
    };
    html! {
        dl.facts {
            dt { (staff.t("settings-field-name")) } dd { (institution.name) }
            dt { (staff.t("settings-field-licence_type")) } dd { (institution.licence_type.label()) }
            dt { (staff.t("settings-field-licence_number")) } dd { (institution.licence_number) }
            dt { (staff.t("settings-field-address")) } dd { (institution.address) }
            dt { (staff.t("settings-field-officer_name")) } dd { (institution.officer_name) }
            dt { (staff.t("settings-field-officer_title")) } dd { (institution.officer_title) }
            dt { (staff.t("settings-field-code")) } dd { (institution.code.to_string()) }
            dt { (staff.t("settings-field-logo")) }
            dd {
                @match &institution.logo {
                    Some(logo) => (staff.t_args("settings-logo-kept", &[("type", logo.format().media_type().into())])),
                    None => (staff.t("settings-logo-none")),
                }
            }
        }
    }
}

fn institution_values(institution: Option<&Institution>) -> Filled {
    let Some(institution) = institution else {
        return Filled::default().with("keep_logo", "yes");
    };
    Filled::default()
        .with("name", institution.name.clone())
        .with("licence_type", institution.licence_type.as_str())
        .with("licence_number", institution.licence_number.clone())
        .with("address", institution.address.clone())
        .with("officer_name", institution.officer_name.clone())
        .with("officer_title", institution.officer_title.clone())
        .with("code", institution.code.to_string())
        .with("keep_logo", "yes")
}

const INSTITUTION_FIELDS: [&str; 7] = [
    "name",
    "licence_type",
    "licence_number",
    "address",
    "officer_name",
    "officer_title",
    "code",
];

fn institution_form(staff: &Staff, institution: Option<&Institution>, filled: &Filled) -> Markup {
    let id = Which::Institution.id();
    let licences: Vec<(String, String)> = LicenceType::ALL
        .iter()
        .map(|licence| (licence.as_str().to_owned(), licence.label().to_owned()))
        .collect();
    let mut labels: Vec<(&str, String)> = INSTITUTION_FIELDS
        .iter()
        .map(|name| (*name, staff.t(&format!("settings-field-{name}"))))
        .collect();
    labels.push(("logo_base64", staff.t("settings-field-logo")));
    let has_logo = institution.is_some_and(|institution| institution.logo.is_some());
    html! {
        h3 { (staff.t("settings-institution-change")) }
        p.hint { (staff.t("settings-institution-text")) }
        form.stack method="post" action=(Which::Institution.path()) novalidate {
            (staff.csrf_field())
            (form::summary(staff, filled, &labels))
            (Field::new(id, "name", staff.t("settings-field-name")).required().max_length(200).render(filled))
            (form::select(filled, (id, "licence_type"), &staff.t("settings-field-licence_type"), &licences, None))
            (Field::new(id, "licence_number", staff.t("settings-field-licence_number")).required().max_length(200).render(filled))
            (Field::new(id, "address", staff.t("settings-field-address")).kind(Kind::Textarea).required().max_length(500).render(filled))
            (Field::new(id, "officer_name", staff.t("settings-field-officer_name")).required().max_length(200).render(filled))
            (Field::new(id, "officer_title", staff.t("settings-field-officer_title")).required().max_length(200).render(filled))
            (Field::new(id, "code", staff.t("settings-field-code")).required().inputmode("numeric").max_length(4)
                .hint(staff.t("settings-hint-code")).render(filled))
            @if has_logo {
                div.choice {
                    input #institution-keep_logo type="checkbox" name="keep_logo" value="yes" checked[filled.has("keep_logo", "yes")];
                    label for="institution-keep_logo" { (staff.t("settings-keep-logo")) }
                }
            }
            p.hint { (staff.t("settings-logo-api")) }
            button type="submit" { (staff.t("settings-institution-save")) }
        }
    }
}

/// What a settings form posts to: checked, written and audited by `handler`; `303` back to
/// the page on success, the page again with the form refused (422) otherwise.
async fn saved(
    state: &AppState,
    staff: &Staff,
    which: Which,
    sent: Sent,
    result: Result<Response, ApiError>,
) -> Result<Response, PageError> {
    match result {
        Ok(_) => Ok(redirect(&format!(
            "/staff/settings?saved={id}#{id}",
            id = which.id()
        ))),
        Err(err) => {
            let problem = Problem::from_api(err)?;
            page(
                state,
                staff,
                Some((which, sent.refill(problem))),
                None,
                FORM_INVALID,
            )
            .await
        }
    }
}

/// `POST /staff/settings/amil-share`: `PUT /api/v1/settings/amil_share`.
async fn amil_share(
    State(state): State<AppState>,
    staff: Staff,
    sent: Sent,
) -> Result<Response, PageError> {
    staff.require(ADMINS)?;
    let json = Value::Object(sent.json(&["percent"]));
    let result = async {
        let body = ApiJson::from_json(&form::scope(&Which::AmilShare.path()), &json)?;
        set_amil_share(
            State(state.clone()),
            Admin(staff.caller()),
            HeaderMap::new(),
            body,
        )
        .await
    }
    .await;
    saved(&state, &staff, Which::AmilShare, sent, result).await
}

/// `POST /staff/settings/amil-share-infak`: `PUT /api/v1/settings/amil_share_infak`.
async fn amil_share_infak(
    State(state): State<AppState>,
    staff: Staff,
    sent: Sent,
) -> Result<Response, PageError> {
    staff.require(ADMINS)?;
    let json = Value::Object(sent.json(&["percent"]));
    let result = async {
        let body = ApiJson::from_json(&form::scope(&Which::AmilShareInfak.path()), &json)?;
        set_amil_share_infak(
            State(state.clone()),
            Admin(staff.caller()),
            HeaderMap::new(),
            body,
        )
        .await
    }
    .await;
    saved(&state, &staff, Which::AmilShareInfak, sent, result).await
}

/// `POST /staff/settings/amil-shortfall`: `PUT /api/v1/settings/amil_shortfall`.
async fn amil_shortfall(
    State(state): State<AppState>,
    staff: Staff,
    sent: Sent,
) -> Result<Response, PageError> {
    staff.require(ADMINS)?;
    let json = Value::Object(sent.json(&["value"]));
    let result = async {
        let body = ApiJson::from_json(&form::scope(&Which::AmilShortfall.path()), &json)?;
        set_amil_shortfall(
            State(state.clone()),
            Admin(staff.caller()),
            HeaderMap::new(),
            body,
        )
        .await
    }
    .await;
    saved(&state, &staff, Which::AmilShortfall, sent, result).await
}

/// `POST /staff/settings/zakat-data`: `POST /api/v1/zakat/data` (a new value with its
/// effective date and source; never an edit: a later date supersedes).
async fn zakat_datum(
    State(state): State<AppState>,
    staff: Staff,
    sent: Sent,
) -> Result<Response, PageError> {
    staff.require(ADMINS)?;
    let json = Value::Object(sent.json(&DATUM_FIELDS));
    let result = async {
        let body = ApiJson::from_json(&form::scope(&Which::ZakatData.path()), &json)?;
        create_datum(State(state.clone()), Admin(staff.caller()), body).await
    }
    .await;
    saved(&state, &staff, Which::ZakatData, sent, result).await
}

/// `POST /staff/settings/institution`: `PUT /api/v1/settings/institution` (the whole profile;
/// the logo in force is kept while its box stays ticked — a new one is uploaded through the
/// API, a form here sends text only).
async fn institution(
    State(state): State<AppState>,
    staff: Staff,
    sent: Sent,
) -> Result<Response, PageError> {
    staff.require(ADMINS)?;
    let mut json = sent.json(&INSTITUTION_FIELDS);
    // A required text left empty is missing: the API names it.
    for name in INSTITUTION_FIELDS {
        json.entry(name).or_insert_with(|| json!(""));
    }
    if sent.get("keep_logo") == "yes"
        && let Some(logo) = state
            .database()
            .institution()
            .await?
            .and_then(|institution| institution.logo)
    {
        json.insert(
            "logo_base64".to_owned(),
            Value::String(base64::engine::general_purpose::STANDARD.encode(logo.bytes())),
        );
    }
    let json = Value::Object(json);
    let result = async {
        let body = ApiJson::from_json(&form::scope(&Which::Institution.path()), &json)?;
        set_institution(State(state.clone()), Admin(staff.caller()), body).await
    }
    .await;
    saved(&state, &staff, Which::Institution, sent, result).await
}

#[cfg(test)]
mod tests {
    use domain::ledger::{AmilShortfall, Setting};
    use domain::zakat::DataName;

    use super::super::registers::form::assert_messages_exist;
    use super::{DATUM_FIELDS, INSTITUTION_FIELDS, Which};

    #[test]
    fn every_message_the_settings_page_builds_from_a_name_exists() {
        let mut ids: Vec<String> = Which::ALL
            .iter()
            .map(|which| format!("settings-{}-title", which.id()))
            .collect();
        ids.extend(
            [Which::AmilShare, Which::AmilShareInfak]
                .map(|which| format!("settings-{}-text", which.id())),
        );
        ids.extend(
            AmilShortfall::ALL
                .iter()
                .map(|choice| format!("settings-shortfall-{}", choice.as_str())),
        );
        ids.extend(
            DataName::ALL
                .iter()
                .map(|name| format!("settings-data-{}", name.as_str())),
        );
        ids.extend(Setting::KEYS.map(|key| format!("settings-key-{key}")));
        ids.extend(
            INSTITUTION_FIELDS
                .iter()
                .chain(DATUM_FIELDS.iter().filter(|name| **name != "name"))
                .map(|name| format!("settings-field-{name}")),
        );
        assert_messages_exist(ids);
    }

    #[test]
    fn the_value_in_force_is_the_newest_that_took_effect_per_name_region_and_class() {
        let row = |id: i64, name: &str, region: &str, from: &str| storage::ledger::ZakatDatum {
            id,
            name: name.to_owned(),
            region: region.to_owned(),
            class: String::new(),
            value: "1".to_owned(),
            effective_from: from.to_owned(),
            source: String::new(),
        };
        // As the storage returns them: newest first within each name, region and class.
        let rows = [
            row(3, "gold_price_per_gram", "", "2027-01-01"),
            row(2, "gold_price_per_gram", "", "2026-06-01"),
            row(1, "gold_price_per_gram", "", "2026-01-01"),
            row(5, "fitrah_per_person", "jabodetabek", "2026-03-01"),
            row(4, "fitrah_per_person", "jawa_barat", "2026-03-01"),
        ];
        let (current, scheduled) = super::in_force(&rows, "2026-07-01");
        let ids: Vec<i64> = current.iter().map(|row| row.id).collect();
        assert_eq!(ids, [2, 5, 4]);
        assert_eq!(scheduled.iter().map(|row| row.id).collect::<Vec<_>>(), [3]);
    }
}
