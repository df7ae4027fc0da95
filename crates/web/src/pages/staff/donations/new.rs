//! `/staff/donations/new` and `POST /staff/donations`: record a donation. The form carries a
//! fresh idempotency key; sent twice (a double click, a reload, two tabs) it records once and
//! both answers go to the same donation.

use axum::extract::{RawForm, RawQuery, State};
use axum::response::{IntoResponse, Response};
use domain::role::RECORDERS;
use domain::{DonationType, PaymentMethod};
use maud::{Markup, html};
use serde::Deserialize;
use storage::ledger::{Change, Refusal};

use super::kit::{self, Input, Problems, Select};
use crate::AppState;
use crate::api::ApiError;
use crate::api::donations::{DonationRequest, render_donation};
use crate::pages::session::FORM_INVALID;
use crate::pages::{PageError, Staff, layout, redirect};

/// Where the form posts (and the scope of its key's digest).
const ACTION: &str = "/staff/donations";

/// The form's fields a problem can be shown at.
const FIELDS: &[(&str, &str)] = &[
    ("type", "donations-type"),
    ("campaign_id", "donations-campaign"),
    ("amount", "donations-amount"),
    ("currency", "donations-currency"),
    ("rate_to_idr", "donations-rate"),
    ("method", "donations-method"),
    ("received_on", "donations-received-on"),
    ("donor", "donations-donor"),
    ("donor_id", "donations-donor-id"),
    ("donor_name", "donations-donor-name"),
    ("donor_nik", "donations-donor-nik"),
    ("donor_npwp", "donations-donor-npwp"),
    ("donor_phone", "donations-donor-phone"),
    ("donor_email", "donations-donor-email"),
    ("donor_address", "donations-donor-address"),
    ("note", "donations-note"),
];

/// Who gave: a new donor filed with the donation, one on file, or nobody on file.
const DONOR_KINDS: [&str; 3] = ["new", "existing", "anonymous"];

/// The form as sent (and as shown again when something is wrong): the API's request fields,
/// the donor's flattened (`donor_name` for `donor.name`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct DonationForm {
    idempotency_key: String,
    #[serde(rename = "type")]
    donation_type: String,
    campaign_id: String,
    amount: String,
    currency: String,
    rate_to_idr: String,
    method: String,
    received_on: String,
    /// `new`, `existing` or `anonymous`.
    donor: String,
    donor_id: String,
    donor_name: String,
    donor_nik: String,
    donor_npwp: String,
    donor_phone: String,
    donor_email: String,
    donor_address: String,
    note: String,
}

impl DonationForm {
    /// Who gave, as chosen; a client that sends no choice means what it filled in.
    fn donor_kind(&self) -> &str {
        match self.donor.as_str() {
            kind @ ("new" | "existing" | "anonymous") => kind,
            _ if !self.donor_id.trim().is_empty() => "existing",
            _ if !self.donor_name.trim().is_empty() => "new",
            _ => "anonymous",
        }
    }

    /// The API's JSON request for this form.
    fn request(&self) -> serde_json::Value {
        let mut request = serde_json::Map::new();
        kit::put(&mut request, "type", &self.donation_type);
        kit::put(&mut request, "campaign_id", &self.campaign_id);
        kit::put(&mut request, "amount", &self.amount);
        kit::put(&mut request, "currency", &self.currency);
        kit::put(&mut request, "rate_to_idr", &self.rate_to_idr);
        kit::put(&mut request, "method", &self.method);
        kit::put(&mut request, "received_on", &self.received_on);
        kit::put(&mut request, "note", &self.note);
        match self.donor_kind() {
            "existing" => kit::put(&mut request, "donor_id", &self.donor_id),
            "new" => {
                // The name goes even when blank: the API then names `donor.name`.
                let mut donor = serde_json::Map::new();
                donor.insert("name".to_owned(), self.donor_name.trim().into());
                kit::put(&mut donor, "nik", &self.donor_nik);
                kit::put(&mut donor, "npwp", &self.donor_npwp);
                kit::put(&mut donor, "phone", &self.donor_phone);
                kit::put(&mut donor, "email", &self.donor_email);
                kit::put(&mut donor, "address", &self.donor_address);
                request.insert("donor".to_owned(), donor.into());
            }
            _ => {
                request.insert("anonymous".to_owned(), true.into());
            }
        }
        serde_json::Value::Object(request)
    }
}

/// `GET /staff/donations/new`: the form, with a fresh key; `?type=`, `?campaign_id=` and
/// `?donor_id=` fill it in (the muzakki and campaign pages link here so).
pub(super) async fn form(
    State(state): State<AppState>,
    staff: Staff,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    staff.require(RECORDERS)?;
    let given: DonationForm = serde_urlencoded::from_str(query.as_deref().unwrap_or_default())
        .map_err(|err| PageError::BadRequest(err.to_string()))?;
    let form = DonationForm {
        idempotency_key: kit::fresh_key(),
        currency: "IDR".to_owned(),
        method: PaymentMethod::Cash.as_str().to_owned(),
        received_on: kit::today().to_string(),
        donor: if given.donor_id.trim().is_empty() {
            "new"
        } else {
            "existing"
        }
        .to_owned(),
        donation_type: given.donation_type,
        campaign_id: given.campaign_id,
        donor_id: given.donor_id,
        ..DonationForm::default()
    };
    Ok(page(&state, &staff, &form, &Problems::none())
        .await?
        .into_response())
}

/// `POST /staff/donations`: records the donation and goes to it (303); the form again with
/// what is wrong at its field (422).
pub(super) async fn create(
    State(state): State<AppState>,
    staff: Staff,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    staff.require(RECORDERS)?;
    let mut form: DonationForm = kit::parse_form(&body)?;
    let request = form.request();
    let digest = kit::digest(ACTION, &request);
    let recorded = async {
        let request: DonationRequest = crate::api::input::deserialize(&request)?;
        let change = Change::Donation(request.validate()?);
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
        Ok(rendered) => {
            let id = kit::recorded_id(&rendered)?;
            Ok(redirect(&format!("/staff/donations/{id}")))
        }
        Err(err) => {
            // A key already used for other values, or none at all: the form shown again
            // gets a new one, so what is sent next is recorded as what it is.
            if matches!(
                err,
                ApiError::Refused(Refusal::IdempotencyKeyReused) | ApiError::IdempotencyKey(_)
            ) {
                form.idempotency_key = kit::fresh_key();
            }
            let problems = Problems::from_api(err, &staff, FIELDS)?;
            let markup = page(&state, &staff, &form, &problems).await?;
            Ok((FORM_INVALID, markup).into_response())
        }
    }
}

async fn page(
    state: &AppState,
    staff: &Staff,
    form: &DonationForm,
    problems: &Problems,
) -> Result<Markup, PageError> {
    let campaigns: Vec<(String, String)> = state
        .database()
        .campaign_choices()
        .await?
        .into_iter()
        .map(|c| (c.id.to_string(), c.name))
        .collect();
    let title = staff.t("donations-new-title");
    let body = html! {
        h1 { (title) }
        (problems.summary(staff, ""))
        form.stack.money-form method="post" action=(ACTION) novalidate {
            (staff.csrf_field())
            input type="hidden" name=(kit::KEY_FIELD) value=(form.idempotency_key);
            (gift_fieldset(staff, form, campaigns, problems))
            (donor_fieldset(staff, form, problems))
            (kit::textarea("note", "note", &staff.t("donations-note"), &form.note, problems))
            div.actions {
                button #record-donation type="submit" { (staff.t("donations-record")) }
                a.button.secondary href="/staff/donations" { (staff.t("donations-cancel")) }
            }
        }
    };
    Ok(layout::staff(staff, &title, &body))
}

/// What was given: type, campaign, amount and currency, method, day.
fn gift_fieldset(
    staff: &Staff,
    form: &DonationForm,
    campaigns: Vec<(String, String)>,
    problems: &Problems,
) -> Markup {
    let donation_type = Select {
        id: "type".to_owned(),
        name: "type",
        label: staff.t("donations-type"),
        hint: None,
        value: &form.donation_type,
        options: kit::named_options(
            staff,
            DonationType::ALL,
            DonationType::as_str,
            "donations-type-",
        ),
        empty: Some(staff.t("donations-choose")),
    };
    let campaign = Select {
        id: "campaign_id".to_owned(),
        name: "campaign_id",
        label: staff.t("donations-campaign"),
        hint: Some(staff.t("donations-campaign-hint")),
        value: &form.campaign_id,
        options: campaigns,
        empty: Some(staff.t("donations-no-campaign")),
    };
    let method = Select {
        id: "method".to_owned(),
        name: "method",
        label: staff.t("donations-method"),
        hint: None,
        value: &form.method,
        options: kit::named_options(
            staff,
            PaymentMethod::ALL,
            PaymentMethod::as_str,
            "donations-method-",
        ),
        empty: Some(staff.t("donations-choose")),
    };
    let mut amount = Input::text("", "amount", staff.t("donations-amount"), &form.amount);
    amount.inputmode = Some("decimal");
    amount.required = true;
    amount.hint = Some(staff.t("donations-amount-hint"));
    let mut currency = Input::text(
        "",
        "currency",
        staff.t("donations-currency"),
        &form.currency,
    );
    currency.maxlength = Some(3);
    currency.hint = Some(staff.t("donations-currency-hint"));
    let mut rate = Input::text(
        "",
        "rate_to_idr",
        staff.t("donations-rate"),
        &form.rate_to_idr,
    );
    rate.inputmode = Some("decimal");
    rate.hint = Some(staff.t("donations-rate-hint"));
    let mut received_on = Input::text(
        "",
        "received_on",
        staff.t("donations-received-on"),
        &form.received_on,
    );
    received_on.kind = "date";
    received_on.required = true;
    html! {
        fieldset {
            legend { (staff.t("donations-gift")) }
            (donation_type.render(problems))
            (campaign.render(problems))
            div.row {
                (amount.render(problems))
                (currency.render(problems))
            }
            (rate.render(problems))
            (method.render(problems))
            (received_on.render(problems))
        }
    }
}

/// Who gave: a new donor's data, a donor on file, or nobody on file.
fn donor_fieldset(staff: &Staff, form: &DonationForm, problems: &Problems) -> Markup {
    let mut donor_id = Input::text(
        "",
        "donor_id",
        staff.t("donations-donor-id"),
        &form.donor_id,
    );
    donor_id.hint = Some(staff.t("donations-donor-id-hint"));
    let kind = form.donor_kind();
    let donor_problem = problems.at("donor");
    html! {
        fieldset.donor #donor aria-describedby=[donor_problem.map(|_| "donor-error")] {
            legend { (staff.t("donations-donor")) }
            div.choices {
                @for choice in DONOR_KINDS {
                    div.choice {
                        input #{ "donor-" (choice) } type="radio" name="donor" value=(choice)
                            checked[kind == choice];
                        label for={ "donor-" (choice) } { (staff.t(&format!("donations-donor-{choice}"))) }
                    }
                }
            }
            @if let Some(problem) = donor_problem {
                p.field-error #donor-error { (problem) }
            }
            div.donor-new {
                (donor_input(staff, problems, "donor_name", "donations-donor-name", &form.donor_name, "text"))
                (donor_input(staff, problems, "donor_nik", "donations-donor-nik", &form.donor_nik, "text"))
                (donor_input(staff, problems, "donor_npwp", "donations-donor-npwp", &form.donor_npwp, "text"))
                (donor_input(staff, problems, "donor_phone", "donations-donor-phone", &form.donor_phone, "tel"))
                (donor_input(staff, problems, "donor_email", "donations-donor-email", &form.donor_email, "email"))
                (donor_input(staff, problems, "donor_address", "donations-donor-address", &form.donor_address, "text"))
            }
            div.donor-existing {
                (donor_id.render(problems))
            }
        }
    }
}

fn donor_input(
    staff: &Staff,
    problems: &Problems,
    name: &'static str,
    label: &str,
    value: &str,
    kind: &'static str,
) -> Markup {
    // The donor's data, not the clerk's: `autocomplete=off` (the default of `Input::text`)
    // keeps the browser from filling in the clerk's own.
    let mut input = Input::text("", name, staff.t(label), value);
    input.kind = kind;
    input.render(problems)
}
