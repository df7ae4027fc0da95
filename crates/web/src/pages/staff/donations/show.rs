//! `/staff/donations/{id}`: everything about a donation, its voids and refunds, the forms
//! that void or refund it (`POST …/void`, `POST …/refund`, each with its own idempotency key:
//! a refund sent twice is made once), and `/staff/donations/{id}/receipt`, the printable
//! receipt the API renders (`?format=pdf`: the PDF).

use std::collections::HashMap;

use axum::extract::{Path, RawForm, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use domain::role::{PERSONAL_DATA_READERS, RECORDERS, REPORT_READERS};
use domain::{Currency, Money};
use maud::{Markup, html};
use serde::Deserialize;
use storage::ledger::{Donation, DonationStatus, Refusal, Register};
use storage::views::money::{PersonName, ReversalLine};
use uuid::Uuid;

use super::kit::{self, Input, Problems};
use super::{fund_label, method_label, status_badge, type_label};
use crate::AppState;
use crate::api::donations::{
    RefundRequest, VoidRequest, refund_change, render_donation, void_change,
};
use crate::api::{self, ApiError, PersonalDataReader};
use crate::pages::session::FORM_INVALID;
use crate::pages::{PageError, Staff, format, layout, redirect};

/// The void form as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct VoidForm {
    idempotency_key: String,
    reason: String,
}

/// The refund form as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RefundForm {
    idempotency_key: String,
    amount: String,
    reason: String,
}

/// The two correction forms as the page shows them, and which one has problems.
struct Corrections {
    void: VoidForm,
    refund: RefundForm,
    void_problems: Problems,
    refund_problems: Problems,
}

impl Corrections {
    /// Fresh forms: new keys, the refund of what is left.
    fn fresh(donation: &Donation) -> Corrections {
        let left = donation.remaining_minor();
        Corrections {
            void: VoidForm {
                idempotency_key: kit::fresh_key(),
                reason: String::new(),
            },
            refund: RefundForm {
                idempotency_key: kit::fresh_key(),
                amount: donation.amount.currency().format_minor(left.max(0)),
                reason: String::new(),
            },
            void_problems: Problems::none(),
            refund_problems: Problems::none(),
        }
    }
}

/// The donation `id` names, or 404.
async fn load(state: &AppState, id: &str) -> Result<Donation, PageError> {
    let id: Uuid = id.parse().map_err(|_| PageError::NotFound)?;
    state
        .database()
        .donation(id)
        .await?
        .ok_or(PageError::NotFound)
}

/// `GET /staff/donations/{id}`.
pub(super) async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    staff.require(REPORT_READERS)?;
    let donation = load(&state, &id).await?;
    let corrections = Corrections::fresh(&donation);
    Ok(detail(&state, &staff, &donation, &corrections)
        .await?
        .into_response())
}

/// `POST /staff/donations/{id}/void`.
pub(super) async fn void(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    staff.require(RECORDERS)?;
    let donation = load(&state, &id).await?;
    let mut form: VoidForm = kit::parse_form(&body)?;
    let mut request = serde_json::Map::new();
    kit::put(&mut request, "reason", &form.reason);
    let request = serde_json::Value::Object(request);
    let digest = kit::digest(&format!("/staff/donations/{}/void", donation.id), &request);
    let recorded = async {
        let request: VoidRequest = api::input::deserialize(&request)?;
        let change = void_change(donation.id, &request)?;
        let render = render_donation(200, state.receipts());
        kit::record(
            &state,
            &staff,
            &form.idempotency_key,
            digest,
            &render,
            change,
        )
        .await
    }
    .await;
    match recorded {
        Ok(_) => Ok(redirect(&format!("/staff/donations/{}", donation.id))),
        Err(err) => {
            if needs_new_key(&err) {
                form.idempotency_key = kit::fresh_key();
            }
            let mut corrections = Corrections::fresh(&donation);
            corrections.void_problems =
                Problems::from_api(err, &staff, &[("reason", "donations-reason")])?;
            corrections.void = form;
            let markup = detail(&state, &staff, &donation, &corrections).await?;
            Ok((FORM_INVALID, markup).into_response())
        }
    }
}

/// `POST /staff/donations/{id}/refund`.
pub(super) async fn refund(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    staff.require(RECORDERS)?;
    let donation = load(&state, &id).await?;
    let mut form: RefundForm = kit::parse_form(&body)?;
    let mut request = serde_json::Map::new();
    // The amount goes even when blank: the API then names it.
    request.insert("amount".to_owned(), form.amount.trim().into());
    kit::put(&mut request, "reason", &form.reason);
    let request = serde_json::Value::Object(request);
    let digest = kit::digest(
        &format!("/staff/donations/{}/refund", donation.id),
        &request,
    );
    let recorded = async {
        let request: RefundRequest = api::input::deserialize(&request)?;
        let change = refund_change(&state, donation.id, &request).await?;
        let render = render_donation(201, state.receipts());
        kit::record(
            &state,
            &staff,
            &form.idempotency_key,
            digest,
            &render,
            change,
        )
        .await
    }
    .await;
    match recorded {
        Ok(_) => Ok(redirect(&format!("/staff/donations/{}", donation.id))),
        Err(err) => {
            if needs_new_key(&err) {
                form.idempotency_key = kit::fresh_key();
            }
            let mut corrections = Corrections::fresh(&donation);
            corrections.refund_problems = Problems::from_api(
                err,
                &staff,
                &[
                    ("amount", "donations-refund-amount"),
                    ("reason", "donations-reason"),
                ],
            )?;
            corrections.refund = form;
            let markup = detail(&state, &staff, &donation, &corrections).await?;
            Ok((FORM_INVALID, markup).into_response())
        }
    }
}

/// Whether a form shown again needs a new key: its own was used for other values, or was
/// none.
fn needs_new_key(err: &ApiError) -> bool {
    matches!(
        err,
        ApiError::Refused(Refusal::IdempotencyKeyReused) | ApiError::IdempotencyKey(_)
    )
}

/// `GET /staff/donations/{id}/receipt`: the API's printable receipt (HTML; `?format=pdf`:
/// the PDF). It shows the donor's personal data: admins and amil staff only, the read counted
/// as the API counts it.
pub(super) async fn receipt(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    staff.require(PERSONAL_DATA_READERS)?;
    let pdf = form_urlencoded::parse(query.as_deref().unwrap_or_default().as_bytes())
        .any(|(name, value)| name == "format" && value == "pdf");
    let mut headers = HeaderMap::new();
    headers.insert(
        header::ACCEPT,
        HeaderValue::from_static(if pdf { "application/pdf" } else { "text/html" }),
    );
    let reader = PersonalDataReader(staff.caller());
    api::receipts::donation_receipt(State(state), reader, headers, Path(id))
        .await
        .map_err(|err| match err {
            ApiError::NotFound(_) => PageError::NotFound,
            err => PageError::Api(err),
        })
}

/// What the donation's page shows beside the donation: names, people, reversals.
struct Context {
    /// The donor's name and NPWZ, for staff who may read them.
    donor: Option<PersonName>,
    /// The campaign's name.
    campaign: Option<String>,
    /// Its voids and refunds.
    reversals: Vec<ReversalLine>,
    /// Users' e-mails by id.
    users: HashMap<i64, String>,
    /// Where anyone checks its receipt.
    verification: String,
}

impl Context {
    async fn load(
        state: &AppState,
        staff: &Staff,
        donation: &Donation,
    ) -> Result<Context, PageError> {
        let database = state.database();
        let donor = match donation.donor_id {
            Some(id) if staff.can(PERSONAL_DATA_READERS) => {
                api::registers::count(state, &staff.caller(), Register::Donors, &[id]).await?;
                database.donor_names(&[id]).await?.remove(&id)
            }
            _ => None,
        };
        let campaign = match donation.campaign_id {
            Some(id) => database
                .campaign_choices()
                .await?
                .into_iter()
                .find(|c| c.id == id)
                .map(|c| c.name),
            None => None,
        };
        let users = database
            .users()
            .await?
            .into_iter()
            .map(|user| (user.id, user.email))
            .collect();
        let receipts = state.receipts();
        Ok(Context {
            donor,
            campaign,
            reversals: database.donation_reversals(donation.id).await?,
            users,
            verification: receipts.verification_url(&receipts.code(donation)),
        })
    }

    /// Who a user is: their e-mail.
    fn who(&self, id: i64) -> String {
        self.users
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("#{id}"))
    }
}

/// `minor` units of `currency`, as the page's language writes money.
fn money(staff: &Staff, minor: i64, currency: Currency) -> String {
    format::minor_units(staff.lang, minor, currency)
}

/// The donation's page, with the correction forms as given.
async fn detail(
    state: &AppState,
    staff: &Staff,
    donation: &Donation,
    corrections: &Corrections,
) -> Result<Markup, PageError> {
    let context = Context::load(state, staff, donation).await?;
    let title = staff.t_args(
        "donations-detail-title",
        &[("receipt", donation.receipt.to_string().into())],
    );
    let body = html! {
        div.page-head {
            h1 { (title) " " (status_badge(staff, donation.status())) }
            div.actions.no-print {
                @if staff.can(PERSONAL_DATA_READERS) {
                    a.button #receipt-link href={ "/staff/donations/" (donation.id) "/receipt" } {
                        (staff.t("donations-print-receipt"))
                    }
                    a.button.secondary href={ "/staff/donations/" (donation.id) "/receipt?format=pdf" } {
                        (staff.t("donations-receipt-pdf"))
                    }
                }
                a.button.secondary href="/staff/donations" { (staff.t("donations-back")) }
            }
        }
        (facts(staff, donation, &context))
        (reversals(staff, donation, &context))
        @if staff.can(RECORDERS) {
            (correction_forms(staff, donation, corrections))
        }
    };
    Ok(layout::staff(staff, &title, &body))
}

/// Everything about the donation.
fn facts(staff: &Staff, donation: &Donation, context: &Context) -> Markup {
    let lang = staff.lang;
    let booked = donation.booked_currency();
    html! {
        section.panel aria-labelledby="facts-heading" {
            h2 #facts-heading { (staff.t("donations-facts")) }
            dl.facts {
                dt { (staff.t("donations-receipt-number")) }
                dd { (donation.receipt) }
                dt { (staff.t("donations-type")) }
                dd { (type_label(staff, donation.donation_type)) }
                dt { (staff.t("donations-fund")) }
                dd { (fund_label(staff, donation.fund)) }
                dt { (staff.t("donations-campaign")) }
                dd {
                    @match (&context.campaign, donation.campaign_id) {
                        (Some(name), _) => (name),
                        (None, Some(id)) => (id),
                        (None, None) => span.muted { (staff.t("donations-no-campaign")) },
                    }
                }
                dt { (staff.t("donations-donor")) }
                dd {
                    @match donation.donor_id {
                        None => (staff.t("donations-anonymous")),
                        Some(id) => @if let Some(person) = &context.donor {
                            a href={ "/staff/muzakki/" (id) } { (person.name) }
                            @if let Some(npwz) = &person.npwz {
                                " · " span.muted { "NPWZ " (npwz) }
                            }
                        } @else {
                            span.muted { (staff.t("donations-donor-on-file")) }
                        },
                    }
                }
                dt { (staff.t("donations-amount")) }
                dd.amount { (format::money(lang, donation.amount)) }
                @if let Some(rate) = donation.rate_to_idr {
                    dt { (staff.t("donations-rate")) }
                    dd { (format::decimal(lang, rate.to_string().parse().unwrap_or_default())) }
                    dt { (staff.t("donations-booked")) }
                    dd { (money(staff, donation.booked_minor, booked)) }
                }
                dt { (staff.t("donations-amil-share")) }
                dd { (money(staff, donation.amil_share_minor, booked)) }
                dt { (staff.t("donations-reversed")) }
                dd { (money(staff, donation.reversed_minor, donation.amount.currency())) }
                dt { (staff.t("donations-method")) }
                dd { (method_label(staff, donation.method)) }
                dt { (staff.t("donations-received-on")) }
                dd { (format::date(lang, donation.received_on)) }
                @if let Some(note) = &donation.note {
                    dt { (staff.t("donations-note")) }
                    dd { (note) }
                }
                dt { (staff.t("donations-recorded")) }
                dd { (format::date_time(lang, donation.recorded_at)) " · " (context.who(donation.recorded_by)) }
                dt { (staff.t("donations-verification")) }
                dd { a.verification href=(context.verification) { (context.verification) } }
            }
        }
    }
}

/// Its voids and refunds, each linked to the donation by this page.
fn reversals(staff: &Staff, donation: &Donation, context: &Context) -> Markup {
    html! {
        section.panel #reversals aria-labelledby="reversals-heading" {
            h2 #reversals-heading { (staff.t("donations-reversals")) }
            @if context.reversals.is_empty() {
                p.muted { (staff.t("donations-no-reversals")) }
            } @else {
                div.table-wrap tabindex="0" {
                    table {
                        thead {
                            tr {
                                th scope="col" { (staff.t("donations-reversal-kind")) }
                                th.number scope="col" { (staff.t("donations-amount")) }
                                th scope="col" { (staff.t("donations-reason")) }
                                th scope="col" { (staff.t("donations-recorded")) }
                            }
                        }
                        tbody {
                            @for reversal in &context.reversals {
                                tr #{ "reversal-" (reversal.id) } {
                                    th scope="row" {
                                        @if reversal.void { (staff.t("donations-void")) } @else { (staff.t("donations-refund")) }
                                    }
                                    td.number { (money(staff, reversal.amount_minor, donation.amount.currency())) }
                                    td { (reversal.reason.as_deref().unwrap_or("")) }
                                    td { (format::date_time(staff.lang, reversal.recorded_at)) " · " (context.who(reversal.recorded_by)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The refund and void forms, while something is left to reverse.
fn correction_forms(staff: &Staff, donation: &Donation, corrections: &Corrections) -> Markup {
    let open = donation.status() != DonationStatus::Void && donation.remaining_minor() > 0;
    let mut amount = Input::text(
        "refund-",
        "amount",
        staff.t("donations-refund-amount"),
        &corrections.refund.amount,
    );
    amount.inputmode = Some("decimal");
    amount.required = true;
    amount.hint = Some(
        staff.t_args(
            "donations-refund-amount-hint",
            &[(
                "left",
                Money::from_minor(
                    donation.remaining_minor().max(0),
                    donation.amount.currency(),
                )
                .map_or_else(|_| String::new(), |left| format::money(staff.lang, left))
                .into(),
            )],
        ),
    );
    html! {
        section.panel.corrections aria-labelledby="corrections-heading" {
            h2 #corrections-heading { (staff.t("donations-corrections")) }
            (corrections.refund_problems.summary(staff, "refund-"))
            (corrections.void_problems.summary(staff, "void-"))
            @if open {
                div.correction-forms {
                    form.stack #refund-form method="post" action={ "/staff/donations/" (donation.id) "/refund" }
                        data-confirm=(staff.t("donations-refund-confirm")) novalidate {
                        (staff.csrf_field())
                        input type="hidden" name=(kit::KEY_FIELD) value=(corrections.refund.idempotency_key);
                        h3 { (staff.t("donations-refund")) }
                        (amount.render(&corrections.refund_problems))
                        (kit::textarea("refund-reason", "reason", &staff.t("donations-reason"), &corrections.refund.reason, &corrections.refund_problems))
                        button.secondary #refund-donation type="submit" { (staff.t("donations-refund-submit")) }
                    }
                    form.stack #void-form method="post" action={ "/staff/donations/" (donation.id) "/void" }
                        data-confirm=(staff.t("donations-void-confirm")) novalidate {
                        (staff.csrf_field())
                        input type="hidden" name=(kit::KEY_FIELD) value=(corrections.void.idempotency_key);
                        h3 { (staff.t("donations-void")) }
                        p.hint { (staff.t("donations-void-hint")) }
                        (kit::textarea("void-reason", "reason", &staff.t("donations-reason"), &corrections.void.reason, &corrections.void_problems))
                        button.danger #void-donation type="submit" { (staff.t("donations-void-submit")) }
                    }
                }
            } @else {
                p.muted { (staff.t("donations-closed")) }
            }
        }
    }
}
