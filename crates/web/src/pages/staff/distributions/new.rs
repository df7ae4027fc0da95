//! `/staff/distributions/new` and `POST /staff/distributions`: record a distribution, under
//! the form's idempotency key as a donation is. What the ledger refuses (an overdrawn fund or
//! cash box, money outside a campaign's purpose, non-halal money for anything but a public
//! use) comes back on the form with the ledger's reason.

use axum::extract::{RawForm, RawQuery, State};
use axum::response::{IntoResponse, Response};
use domain::role::RECORDERS;
use domain::{Asnaf, Fund, PaymentMethod, PublicPurpose};
use maud::{Markup, html};
use serde::Deserialize;
use storage::ledger::{Change, Refusal};

use super::super::donations::kit::{self, Input, Problems, Select};
use crate::AppState;
use crate::api::ApiError;
use crate::api::distributions::{DistributionRequest, render_distribution};
use crate::pages::session::FORM_INVALID;
use crate::pages::{PageError, Staff, layout, redirect};

/// Where the form posts (and the scope of its key's digest).
const ACTION: &str = "/staff/distributions";

/// The form's fields a problem can be shown at.
const FIELDS: &[(&str, &str)] = &[
    ("fund", "distributions-fund"),
    ("campaign_id", "donations-campaign"),
    ("recipient", "distributions-recipient"),
    ("recipient_id", "distributions-recipient-id"),
    ("recipient_name", "distributions-recipient-name"),
    ("recipient_nik", "donations-donor-nik"),
    ("recipient_phone", "donations-donor-phone"),
    ("recipient_address", "donations-donor-address"),
    ("asnaf", "distributions-asnaf"),
    ("purpose", "distributions-purpose"),
    ("program", "distributions-program"),
    ("amount", "donations-amount"),
    ("currency", "donations-currency"),
    ("method", "donations-method"),
    ("distributed_on", "distributions-date"),
    ("note", "donations-note"),
];

/// Who receives: a recipient on file, or a new one filed with the distribution.
const RECIPIENT_KINDS: [&str; 2] = ["existing", "new"];

/// The form as sent: the API's request fields, the recipient's flattened.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct DistributionForm {
    idempotency_key: String,
    fund: String,
    campaign_id: String,
    /// `existing` or `new`.
    recipient: String,
    recipient_id: String,
    recipient_name: String,
    recipient_nik: String,
    recipient_phone: String,
    recipient_address: String,
    asnaf: String,
    purpose: String,
    program: String,
    amount: String,
    currency: String,
    method: String,
    distributed_on: String,
    note: String,
}

impl DistributionForm {
    fn recipient_kind(&self) -> &str {
        match self.recipient.as_str() {
            kind @ ("existing" | "new") => kind,
            _ if !self.recipient_name.trim().is_empty() => "new",
            _ => "existing",
        }
    }

    /// The API's JSON request for this form.
    fn request(&self) -> serde_json::Value {
        let mut request = serde_json::Map::new();
        kit::put(&mut request, "fund", &self.fund);
        kit::put(&mut request, "campaign_id", &self.campaign_id);
        kit::put(&mut request, "asnaf", &self.asnaf);
        kit::put(&mut request, "purpose", &self.purpose);
        // Required text goes even when blank: the API then names the field.
        request.insert("program".to_owned(), self.program.trim().into());
        kit::put(&mut request, "amount", &self.amount);
        kit::put(&mut request, "currency", &self.currency);
        kit::put(&mut request, "method", &self.method);
        kit::put(&mut request, "distributed_on", &self.distributed_on);
        kit::put(&mut request, "note", &self.note);
        if self.recipient_kind() == "new" {
            let mut person = serde_json::Map::new();
            person.insert("name".to_owned(), self.recipient_name.trim().into());
            kit::put(&mut person, "nik", &self.recipient_nik);
            kit::put(&mut person, "phone", &self.recipient_phone);
            kit::put(&mut person, "address", &self.recipient_address);
            request.insert("recipient".to_owned(), person.into());
        } else {
            kit::put(&mut request, "recipient_id", &self.recipient_id);
        }
        serde_json::Value::Object(request)
    }
}

/// `GET /staff/distributions/new`: the form with a fresh key; `?recipient_id=`, `?fund=`,
/// `?campaign_id=` and `?asnaf=` fill it in.
pub(super) async fn form(
    State(state): State<AppState>,
    staff: Staff,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    staff.require(RECORDERS)?;
    let given: DistributionForm = serde_urlencoded::from_str(query.as_deref().unwrap_or_default())
        .map_err(|err| PageError::BadRequest(err.to_string()))?;
    let form = DistributionForm {
        idempotency_key: kit::fresh_key(),
        currency: "IDR".to_owned(),
        method: PaymentMethod::BankTransfer.as_str().to_owned(),
        distributed_on: kit::today().to_string(),
        recipient: if given.recipient_id.trim().is_empty() {
            "new"
        } else {
            "existing"
        }
        .to_owned(),
        fund: given.fund,
        campaign_id: given.campaign_id,
        recipient_id: given.recipient_id,
        asnaf: given.asnaf,
        ..DistributionForm::default()
    };
    Ok(page(&state, &staff, &form, &Problems::none())
        .await?
        .into_response())
}

/// `POST /staff/distributions`: records it and goes to it (303); the form again with what
/// is wrong (422), a refusal of the ledger's included.
pub(super) async fn create(
    State(state): State<AppState>,
    staff: Staff,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    staff.require(RECORDERS)?;
    let mut form: DistributionForm = kit::parse_form(&body)?;
    let request = form.request();
    let digest = kit::digest(ACTION, &request);
    let recorded = async {
        let request: DistributionRequest = crate::api::input::deserialize(&request)?;
        let change = Change::Distribution(request.validate()?);
        let render = render_distribution();
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
            Ok(redirect(&format!("/staff/distributions/{id}")))
        }
        Err(err) => {
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
    form: &DistributionForm,
    problems: &Problems,
) -> Result<Markup, PageError> {
    let campaigns: Vec<(String, String)> = state
        .database()
        .campaign_choices()
        .await?
        .into_iter()
        .map(|c| (c.id.to_string(), c.name))
        .collect();
    let title = staff.t("distributions-new-title");
    let body = html! {
        h1 { (title) }
        (problems.summary(staff, ""))
        form.stack.money-form method="post" action=(ACTION) novalidate {
            (staff.csrf_field())
            input type="hidden" name=(kit::KEY_FIELD) value=(form.idempotency_key);
            (payment_fieldset(staff, form, campaigns, problems))
            (recipient_fieldset(staff, form, problems))
            (kit::textarea("note", "note", &staff.t("donations-note"), &form.note, problems))
            div.actions {
                button #record-distribution type="submit" { (staff.t("distributions-record")) }
                a.button.secondary href="/staff/distributions" { (staff.t("donations-cancel")) }
            }
        }
    };
    Ok(layout::staff(staff, &title, &body))
}

/// What is paid: from which fund (and campaign), under which program, how much, how, when.
fn payment_fieldset(
    staff: &Staff,
    form: &DistributionForm,
    campaigns: Vec<(String, String)>,
    problems: &Problems,
) -> Markup {
    let fund = Select {
        id: "fund".to_owned(),
        name: "fund",
        label: staff.t("distributions-fund"),
        hint: None,
        value: &form.fund,
        options: kit::named_options(staff, Fund::ALL, Fund::as_str, "donations-fund-"),
        empty: Some(staff.t("donations-choose")),
    };
    let campaign = Select {
        id: "campaign_id".to_owned(),
        name: "campaign_id",
        label: staff.t("donations-campaign"),
        hint: Some(staff.t("distributions-campaign-hint")),
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
        empty: None,
    };
    let mut program = Input::text(
        "",
        "program",
        staff.t("distributions-program"),
        &form.program,
    );
    program.required = true;
    program.maxlength = Some(crate::api::distributions::PROGRAM_LENGTH_MAX);
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
    currency.hint = Some(staff.t("distributions-currency-hint"));
    let mut distributed_on = Input::text(
        "",
        "distributed_on",
        staff.t("distributions-date"),
        &form.distributed_on,
    );
    distributed_on.kind = "date";
    html! {
        fieldset {
            legend { (staff.t("distributions-payment")) }
            (fund.render(problems))
            (campaign.render(problems))
            (program.render(problems))
            div.row {
                (amount.render(problems))
                (currency.render(problems))
            }
            (method.render(problems))
            (distributed_on.render(problems))
        }
    }
}

/// Who receives it, and as which asnaf (or, for non-halal money, for which public use).
fn recipient_fieldset(staff: &Staff, form: &DistributionForm, problems: &Problems) -> Markup {
    let asnaf = Select {
        id: "asnaf".to_owned(),
        name: "asnaf",
        label: staff.t("distributions-asnaf"),
        hint: Some(staff.t("distributions-asnaf-hint")),
        value: &form.asnaf,
        options: kit::named_options(staff, Asnaf::ALL, Asnaf::as_str, "distributions-asnaf-"),
        empty: Some(staff.t("distributions-none")),
    };
    let purpose = Select {
        id: "purpose".to_owned(),
        name: "purpose",
        label: staff.t("distributions-purpose"),
        hint: Some(staff.t("distributions-purpose-hint")),
        value: &form.purpose,
        options: kit::named_options(
            staff,
            PublicPurpose::ALL,
            PublicPurpose::as_str,
            "distributions-purpose-",
        ),
        empty: Some(staff.t("distributions-none")),
    };
    let mut recipient_id = Input::text(
        "",
        "recipient_id",
        staff.t("distributions-recipient-id"),
        &form.recipient_id,
    );
    recipient_id.hint = Some(staff.t("distributions-recipient-id-hint"));
    let kind = form.recipient_kind();
    let recipient_problem = problems.at("recipient");
    html! {
        fieldset.recipient #recipient aria-describedby=[recipient_problem.map(|_| "recipient-error")] {
            legend { (staff.t("distributions-recipient")) }
            div.choices {
                @for choice in RECIPIENT_KINDS {
                    div.choice {
                        input #{ "recipient-" (choice) } type="radio" name="recipient" value=(choice)
                            checked[kind == choice];
                        label for={ "recipient-" (choice) } { (staff.t(&format!("distributions-recipient-{choice}"))) }
                    }
                }
            }
            @if let Some(problem) = recipient_problem {
                p.field-error #recipient-error { (problem) }
            }
            div.recipient-existing {
                (recipient_id.render(problems))
            }
            div.recipient-new {
                (Input::text("", "recipient_name", staff.t("distributions-recipient-name"), &form.recipient_name).render(problems))
                (Input::text("", "recipient_nik", staff.t("donations-donor-nik"), &form.recipient_nik).render(problems))
                (phone(staff, &form.recipient_phone).render(problems))
                (Input::text("", "recipient_address", staff.t("donations-donor-address"), &form.recipient_address).render(problems))
            }
            (asnaf.render(problems))
            (purpose.render(problems))
        }
    }
}

fn phone<'a>(staff: &Staff, value: &'a str) -> Input<'a> {
    let mut input = Input::text(
        "",
        "recipient_phone",
        staff.t("donations-donor-phone"),
        value,
    );
    input.kind = "tel";
    input
}
