//! `/api/v1/distributions`: penyaluran to a recipient of one of the eight asnaf.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use domain::{Asnaf, Fund, PaymentMethod, PublicPurpose};
use serde::{Deserialize, Serialize};
use storage::ledger::{
    Change, Distribution, DistributionFilter, NewDistribution, Outcome, REGISTER_PAGE_SIZE_MAX,
    RecipientRef, Rendered,
};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::auth::{Caller, Recorder};
use super::donations::{ADDRESS_LENGTH_MAX, DONOR_NAME_LENGTH_MAX, SHORT_FIELD_LENGTH_MAX};
use super::error::ApiError;
use super::input::{self, ApiJson};
use super::{Creation, NOTE_LENGTH_MAX, json_response, parse_id, query, record};
use crate::AppState;

/// A program name: a line on a report.
pub const PROGRAM_LENGTH_MAX: usize = 200;

/// A recipient (mustahik). Personal data: kept apart from the books, never logged.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecipientInput {
    /// Full name.
    #[schema(min_length = 1, max_length = 200, example = "Ahmad")]
    pub name: String,
    /// NIK, 16 digits.
    #[serde(default)]
    pub nik: Option<String>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// Postal address.
    #[serde(default)]
    pub address: Option<String>,
}

/// A distribution to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DistributionRequest {
    /// The fund it is paid from.
    pub fund: Fund,
    /// The campaign whose money this is: required for `infak_sedekah_restricted`; for zakat,
    /// fidyah and kafarat given for a campaign, the campaign's own account; refused for the
    /// other funds.
    #[serde(default)]
    pub campaign_id: Option<Uuid>,
    /// A recipient on file (give exactly one of `recipient_id` and `recipient`).
    #[serde(default)]
    pub recipient_id: Option<Uuid>,
    /// A new recipient to file with the distribution.
    #[serde(default)]
    pub recipient: Option<RecipientInput>,
    /// The recipient's asnaf: required for every fund but `non_halal`, refused there.
    #[serde(default)]
    pub asnaf: Option<Asnaf>,
    /// For the `non_halal` fund only (and required there): the public-interest use it pays
    /// for. Never worship, never the amil.
    #[serde(default)]
    pub purpose: Option<PublicPurpose>,
    /// The program it is paid under.
    #[schema(min_length = 1, max_length = 200, example = "Bantuan pendidikan")]
    pub program: String,
    /// Exact decimal string in `currency`.
    #[schema(example = "750000.00", pattern = r"^[0-9]{1,18}(\.[0-9]{1,4})?$")]
    pub amount: String,
    /// ISO 4217 code.
    #[schema(example = "IDR", min_length = 3, max_length = 3)]
    pub currency: String,
    /// How it is paid (default `bank_transfer`).
    #[serde(default)]
    pub method: Option<PaymentMethod>,
    /// When it was paid, `YYYY-MM-DD` (default today).
    #[serde(default)]
    #[schema(format = Date)]
    pub distributed_on: Option<String>,
    /// A free-text note.
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

impl DistributionRequest {
    /// The distribution to record, every field checked; errors name the request's field.
    pub(crate) fn validate(&self) -> Result<NewDistribution, ApiError> {
        let recipient = match (self.recipient_id, &self.recipient) {
            (Some(id), None) => RecipientRef::Existing(id),
            (None, Some(person)) => RecipientRef::New(storage::ledger::PersonalData {
                name: input::text("recipient.name", &person.name, DONOR_NAME_LENGTH_MAX)?,
                nik: input::optional_nik("recipient.nik", person.nik.as_deref())?,
                phone: input::optional_text(
                    "recipient.phone",
                    person.phone.as_deref(),
                    SHORT_FIELD_LENGTH_MAX,
                )?,
                address: input::optional_text(
                    "recipient.address",
                    person.address.as_deref(),
                    ADDRESS_LENGTH_MAX,
                )?,
                ..Default::default()
            }),
            _ => {
                return Err(ApiError::invalid(
                    "recipient",
                    "give exactly one of `recipient_id` and `recipient`",
                ));
            }
        };
        let today = time::OffsetDateTime::now_utc()
            .to_offset(domain::ledger::RECEIPT_YEAR_OFFSET)
            .date();
        Ok(NewDistribution {
            fund: self.fund,
            campaign_id: self.campaign_id,
            recipient,
            asnaf: self.asnaf,
            purpose: self.purpose,
            program: input::text("program", &self.program, PROGRAM_LENGTH_MAX)?,
            amount: input::money(&self.amount, &self.currency)?,
            method: self.method.unwrap_or(PaymentMethod::BankTransfer),
            distributed_on: match &self.distributed_on {
                Some(date) => input::date("distributed_on", date)?,
                None => today,
            },
            note: input::optional_text("note", self.note.as_deref(), NOTE_LENGTH_MAX)?,
        })
    }
}

/// A distribution.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistributionView {
    /// Its id.
    pub id: Uuid,
    /// The fund it was paid from.
    pub fund: Fund,
    /// The campaign, for restricted funds.
    pub campaign_id: Option<Uuid>,
    /// Who received it.
    pub recipient_id: Uuid,
    /// Their asnaf (none for non-halal money).
    pub asnaf: Option<Asnaf>,
    /// The public-interest use (non-halal money only).
    pub purpose: Option<PublicPurpose>,
    /// The program.
    pub program: String,
    /// Exact decimal string.
    pub amount: String,
    /// ISO 4217.
    pub currency: String,
    /// How it was paid.
    pub method: PaymentMethod,
    /// When it was paid.
    #[schema(format = Date)]
    pub distributed_on: String,
    /// The note.
    pub note: Option<String>,
    /// The user who recorded it.
    pub recorded_by: i64,
    /// When it was recorded (UTC).
    #[schema(format = DateTime)]
    pub recorded_at: String,
}

impl From<&Distribution> for DistributionView {
    fn from(d: &Distribution) -> Self {
        DistributionView {
            id: d.id,
            fund: d.fund,
            campaign_id: d.campaign_id,
            recipient_id: d.recipient_id,
            asnaf: d.asnaf,
            purpose: d.purpose,
            program: d.program.clone(),
            amount: d.amount.to_string(),
            currency: d.amount.currency().code().to_owned(),
            method: d.method,
            distributed_on: d.distributed_on.to_string(),
            note: d.note.clone(),
            recorded_by: d.recorded_by,
            recorded_at: domain::audit::format_recorded_at(d.recorded_at),
        }
    }
}

/// Record a distribution. Refused (each with a problem type naming its rule; docs/BOOKS.md)
/// when it would overdraw the fund or the cash or bank it is paid from, when campaign money
/// would pay outside the campaign's purpose, when zakat, infak/sedekah or wakaf benefits would
/// pay the amil outside the share taken at receipt, when wakaf principal would be spent, when
/// non-halal money would pay anything but a public purpose, or when fidyah or kafarat would
/// pay anyone but the fakir and miskin.
#[utoipa::path(
    post, path = "/api/v1/distributions", operation_id = "createDistribution", tag = "distributions",
    params(("Idempotency-Key" = Option<String>, Header, description = "Optional; a retry with the same key gets the original response.", min_length = 1, max_length = 255, pattern = "^[!-~]+$")),
    request_body = DistributionRequest,
    responses(
        (status = 201, description = "Recorded (or the original response, replayed)", body = DistributionView),
        super::problems::WriteProblems,
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Recorder(caller): Recorder,
    headers: HeaderMap,
    body: ApiJson<DistributionRequest>,
) -> Result<Response, ApiError> {
    let creation = Creation {
        key_required: false,
        render: render_distribution(),
        digest: body.digest,
    };
    let key = creation.key(&headers)?;
    let change = Change::Distribution(body.value.validate()?);
    record(&state, caller, key, creation, change).await
}

/// How a distribution write answers (also what its idempotency key replays): its view.
pub(crate) fn render_distribution() -> storage::ledger::Renderer {
    Arc::new(|outcome: &Outcome| match outcome {
        Outcome::Distribution(distribution) => Rendered {
            status: 201,
            body: serde_json::to_vec(&DistributionView::from(distribution))
                .expect("a view serializes"),
        },
        other => unreachable!("a distribution request produced {other:?}"),
    })
}

/// One distribution.
#[utoipa::path(
    get, path = "/api/v1/distributions/{id}", operation_id = "showDistribution", tag = "distributions",
    params(("id" = Uuid, Path, description = "The distribution's id")),
    responses(
        (status = 200, description = "The distribution", body = DistributionView),
        super::problems::ReadProblems,
        (status = 404, description = "No such distribution", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn show(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "distribution")?;
    let distribution = state
        .database()
        .distribution(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no distribution with id `{id}`")))?;
    Ok(json_response(200, &DistributionView::from(&distribution)))
}

/// Filters for listing distributions.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Paid on or after, `YYYY-MM-DD`.
    #[param(format = Date)]
    pub distributed_from: Option<String>,
    /// Paid on or before, `YYYY-MM-DD`.
    #[param(format = Date)]
    pub distributed_to: Option<String>,
    /// From this fund.
    #[param(inline)]
    pub fund: Option<Fund>,
    /// To this asnaf.
    #[param(inline)]
    pub asnaf: Option<Asnaf>,
    /// For this public purpose (non-halal money).
    #[param(inline)]
    pub purpose: Option<PublicPurpose>,
    /// Of this campaign's money.
    pub campaign_id: Option<Uuid>,
    /// To this recipient.
    pub recipient_id: Option<Uuid>,
    /// Only distributions recorded before this one (`next_before` of the previous page).
    pub before: Option<Uuid>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u16>,
}

/// A page of distributions.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistributionPage {
    /// Newest first.
    pub distributions: Vec<DistributionView>,
    /// Pass as `before` for the next page; null on the last page.
    pub next_before: Option<Uuid>,
}

/// List distributions, newest first.
#[utoipa::path(
    get, path = "/api/v1/distributions", operation_id = "listDistributions", tag = "distributions",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of distributions", body = DistributionPage),
        (status = 400, description = "Malformed query", body = crate::problem::Problem, content_type = "application/problem+json"),
        super::problems::ReadProblems,
        (status = 422, description = "A filter is invalid", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params: ListQuery = query(&uri)?;
    let filter = list_filter(&params)?;
    let distributions = state.database().distributions(&filter).await?;
    let page = DistributionPage {
        next_before: (distributions.len() == usize::from(filter.limit))
            .then(|| distributions.last().map(|d| d.id))
            .flatten(),
        distributions: distributions.iter().map(DistributionView::from).collect(),
    };
    Ok(json_response(200, &page))
}

/// The listing's filter from its parameters, each checked (errors name the parameter).
pub(crate) fn list_filter(params: &ListQuery) -> Result<DistributionFilter, ApiError> {
    let limit = input::page_size(params.limit, REGISTER_PAGE_SIZE_MAX)?;
    let date =
        |field: &str, value: Option<&str>| value.map(|value| input::date(field, value)).transpose();
    Ok(DistributionFilter {
        distributed_from: date("distributed_from", params.distributed_from.as_deref())?,
        distributed_to: date("distributed_to", params.distributed_to.as_deref())?,
        fund: params.fund,
        asnaf: params.asnaf,
        purpose: params.purpose,
        campaign_id: params.campaign_id,
        recipient_id: params.recipient_id,
        before: params.before,
        limit,
    })
}
