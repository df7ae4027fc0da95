//! `/api/v1/donations`: record, read, list, void and refund donations.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use domain::ledger::NotAReceiptNumber;
use domain::{DonationType, Fund, PaymentMethod};
use serde::{Deserialize, Serialize};
use storage::ledger::{
    Change, DONATION_PAGE_SIZE_MAX, Donation, DonationFilter, DonationStatus, DonorRef,
    NewDonation, NewReversal, Outcome, PersonalData, Rendered, ReversalKind,
};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::auth::{Caller, Recorder};
use super::error::ApiError;
use super::input::{self, ApiJson};
use super::{Creation, NOTE_LENGTH_MAX, json_response, parse_id, query, record};
use crate::AppState;

/// A donor's name longer than this is almost certainly bad input; receipts print on A5 paper
/// and the name must fit on two lines.
pub const DONOR_NAME_LENGTH_MAX: usize = 200;
/// Phone numbers and the like.
pub const SHORT_FIELD_LENGTH_MAX: usize = 64;
/// RFC 5321's limit on an address.
pub const EMAIL_LENGTH_MAX: usize = 254;
/// A postal address.
pub const ADDRESS_LENGTH_MAX: usize = 500;

/// A donation to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DonationRequest {
    /// The kind of donation; decides the fund.
    #[serde(rename = "type")]
    pub donation_type: DonationType,
    /// An exact decimal string in `currency`, e.g. `"2500000"` or `"2500000.00"`.
    #[schema(example = "2500000.00", pattern = r"^[0-9]{1,18}(\.[0-9]{1,4})?$")]
    pub amount: String,
    /// ISO 4217 code.
    #[schema(example = "IDR", min_length = 3, max_length = 3)]
    pub currency: String,
    /// How it was paid.
    pub method: PaymentMethod,
    /// When it was received, `YYYY-MM-DD` (at most one day ahead of today in Jakarta).
    #[schema(format = Date, example = "2026-03-30")]
    pub received_on: String,
    /// A donor on file (give exactly one of `donor_id`, `donor` and `anonymous: true`).
    #[serde(default)]
    pub donor_id: Option<Uuid>,
    /// A new donor to file with the donation.
    #[serde(default)]
    pub donor: Option<DonorInput>,
    /// No donor on file.
    #[serde(default)]
    pub anonymous: Option<bool>,
    /// Rupiah one unit of `currency` was worth at receipt, a decimal string; required for
    /// another currency than IDR (funds are kept in IDR), refused for IDR.
    #[serde(default)]
    #[schema(example = "15850.25", pattern = r"^[0-9]{1,17}(\.[0-9]{1,6})?$")]
    pub rate_to_idr: Option<String>,
    /// The campaign it was given for: zakat, infak, sedekah, fidyah and kafarat given for a
    /// campaign are restricted to its purpose.
    #[serde(default)]
    pub campaign_id: Option<Uuid>,
    /// A free-text note.
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

/// A donor (muzaki). Personal data: kept apart from the books, never logged.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DonorInput {
    /// Full name, as printed on receipts.
    #[schema(min_length = 1, max_length = 200, example = "Siti Aminah")]
    pub name: String,
    /// NIK, 16 digits: province, regency and district codes, date of birth (`DDMMYY`, 40
    /// added to a woman's day), serial.
    #[serde(default)]
    #[schema(example = "3273011708850001")]
    pub nik: Option<String>,
    /// NPWP: 15 digits (`99.999.999.9-999.999` or the digits alone), or the 16 digits used
    /// since 2024 (the holder's NIK, or `0` and the 15 digits).
    #[serde(default)]
    #[schema(example = "01.234.567.8-901.000")]
    pub npwp: Option<String>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// Postal address.
    #[serde(default)]
    pub address: Option<String>,
}

impl DonorInput {
    /// Checks every field; errors name `<prefix>.<field>`.
    pub fn validate(&self, prefix: &str) -> Result<PersonalData, ApiError> {
        let field = |name: &str| {
            if prefix.is_empty() {
                name.to_owned()
            } else {
                format!("{prefix}.{name}")
            }
        };
        let email = input::optional_text(&field("email"), self.email.as_deref(), EMAIL_LENGTH_MAX)?;
        if email
            .as_deref()
            .is_some_and(|email| !email.contains('@') || email.contains(char::is_whitespace))
        {
            return Err(ApiError::invalid(
                field("email"),
                "is not an e-mail address",
            ));
        }
        Ok(PersonalData {
            name: input::text(&field("name"), &self.name, DONOR_NAME_LENGTH_MAX)?,
            nik: input::optional_nik(&field("nik"), self.nik.as_deref())?,
            npwp: input::optional_npwp(&field("npwp"), self.npwp.as_deref())?,
            phone: input::optional_text(
                &field("phone"),
                self.phone.as_deref(),
                SHORT_FIELD_LENGTH_MAX,
            )?,
            email,
            address: input::optional_text(
                &field("address"),
                self.address.as_deref(),
                ADDRESS_LENGTH_MAX,
            )?,
        })
    }
}

impl DonationRequest {
    /// The donation to record, every field checked; errors name the request's field.
    pub(crate) fn validate(&self) -> Result<NewDonation, ApiError> {
        let donor = match (self.donor_id, &self.donor, self.anonymous) {
            (Some(id), None, None | Some(false)) => DonorRef::Existing(id),
            (None, Some(donor), None | Some(false)) => DonorRef::New(donor.validate("donor")?),
            (None, None, Some(true)) => DonorRef::Anonymous,
            _ => {
                return Err(ApiError::invalid(
                    "donor",
                    "give exactly one of `donor_id`, `donor` (a new donor) and `anonymous: true`",
                ));
            }
        };
        Ok(NewDonation {
            donation_type: self.donation_type,
            campaign_id: self.campaign_id,
            donor,
            amount: input::money(&self.amount, &self.currency)?,
            rate_to_idr: self
                .rate_to_idr
                .as_deref()
                .map(|rate| {
                    domain::ledger::RateToIdr::parse(rate.trim())
                        .map_err(|err| ApiError::invalid("rate_to_idr", err.to_string()))
                })
                .transpose()?,
            method: self.method,
            received_on: input::date("received_on", &self.received_on)?,
            note: input::optional_text("note", self.note.as_deref(), NOTE_LENGTH_MAX)?,
        })
    }
}

/// A donation.
#[derive(Debug, Serialize, ToSchema)]
pub struct DonationView {
    /// Its id.
    pub id: Uuid,
    /// Gap-free per calendar year (WIB): `YYYY-NNNNNN`.
    #[schema(example = "2026-000042")]
    pub receipt_number: String,
    /// Its type.
    #[serde(rename = "type")]
    pub donation_type: DonationType,
    /// The fund it feeds.
    pub fund: Fund,
    /// The campaign, if any.
    pub campaign_id: Option<Uuid>,
    /// The donor, unless anonymous.
    pub donor_id: Option<Uuid>,
    /// Whether no donor is on file.
    pub anonymous: bool,
    /// Exact decimal string.
    #[schema(example = "2500000.00")]
    pub amount: String,
    /// ISO 4217.
    pub currency: String,
    /// How it was paid.
    pub method: PaymentMethod,
    /// When it was received.
    #[schema(format = Date)]
    pub received_on: String,
    /// The note.
    pub note: Option<String>,
    /// Rupiah per unit at receipt, for another currency than IDR.
    #[schema(example = "15850.25")]
    pub rate_to_idr: Option<String>,
    /// What the books hold of it, in `booked_currency` (IDR; a foreign gift recorded before
    /// gifts carried their rate stays in its own currency).
    #[schema(example = "2500000.00")]
    pub amount_booked: String,
    /// The currency of `amount_booked` and `amil_share`.
    #[schema(example = "IDR")]
    pub booked_currency: String,
    /// The part moved to the amil fund at receipt (zakat, and infak/sedekah where a share is
    /// set), whole rupiah.
    pub amil_share: String,
    /// How much was refunded or voided.
    pub refunded_amount: String,
    /// Where it stands.
    pub status: DonationStatus,
    /// The user who recorded it.
    pub recorded_by: i64,
    /// When it was recorded (UTC).
    #[schema(format = DateTime)]
    pub recorded_at: String,
    /// Its Bukti Setor Zakat (HTML, or a PDF for `Accept: application/pdf`), absolute.
    #[schema(
        example = "https://donasi.example.org/api/v1/donations/0190f0a2-5b1c-7d3e-9f00-1a2b3c4d5e6f/receipt"
    )]
    pub receipt_url: String,
    /// Where anyone checks the receipt (what its QR code carries), absolute.
    #[schema(example = "https://donasi.example.org/verify/2026-000042-7K3M-Q9XD-2HBW-T4RA")]
    pub verification_url: String,
}

impl DonationView {
    /// The view of `donation`, linked to its receipt and its verification.
    #[must_use]
    pub fn new(donation: &Donation, receipts: &crate::receipts::Receipts) -> Self {
        let currency = donation.amount.currency();
        let booked = donation.booked_currency();
        DonationView {
            id: donation.id,
            receipt_number: donation.receipt.to_string(),
            donation_type: donation.donation_type,
            fund: donation.fund,
            campaign_id: donation.campaign_id,
            donor_id: donation.donor_id,
            anonymous: donation.donor_id.is_none(),
            amount: donation.amount.to_string(),
            currency: currency.code().to_owned(),
            method: donation.method,
            received_on: donation.received_on.to_string(),
            note: donation.note.clone(),
            rate_to_idr: donation.rate_to_idr.map(|rate| rate.to_string()),
            amount_booked: booked.format_minor(donation.booked_minor),
            booked_currency: booked.code().to_owned(),
            amil_share: booked.format_minor(donation.amil_share_minor),
            refunded_amount: currency.format_minor(donation.reversed_minor),
            status: donation.status(),
            recorded_by: donation.recorded_by,
            recorded_at: domain::audit::format_recorded_at(donation.recorded_at),
            receipt_url: receipts.receipt_url(donation.id),
            verification_url: receipts.verification_url(&receipts.code(donation)),
        }
    }
}

/// How a donation write answers (also what its idempotency key replays): the donation's view.
pub(crate) fn render_donation(
    status: u16,
    receipts: &crate::receipts::Receipts,
) -> storage::ledger::Renderer {
    let receipts = receipts.clone();
    Arc::new(move |outcome: &Outcome| {
        let donation = match outcome {
            Outcome::Donation(donation) | Outcome::Reversal { donation, .. } => donation,
            other => unreachable!("a donation request produced {other:?}"),
        };
        Rendered {
            status,
            body: serde_json::to_vec(&DonationView::new(donation, &receipts))
                .expect("a view serializes"),
        }
    })
}

/// Record a donation.
#[utoipa::path(
    post, path = "/api/v1/donations", operation_id = "createDonation", tag = "donations",
    params(("Idempotency-Key" = String, Header, description = "Required. A retry with the same key and body gets the original response.", min_length = 1, max_length = 255, pattern = "^[!-~]+$")),
    request_body = DonationRequest,
    responses(
        (status = 201, description = "Recorded (or the original response, replayed)", body = DonationView),
        super::problems::WriteProblems,
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Recorder(caller): Recorder,
    headers: HeaderMap,
    body: ApiJson<DonationRequest>,
) -> Result<Response, ApiError> {
    let creation = Creation {
        key_required: true,
        render: render_donation(201, state.receipts()),
        digest: body.digest,
    };
    let key = creation.key(&headers)?;
    let change = Change::Donation(body.value.validate()?);
    record(&state, caller, key, creation, change).await
}

/// One donation.
#[utoipa::path(
    get, path = "/api/v1/donations/{id}", operation_id = "showDonation", tag = "donations",
    params(("id" = Uuid, Path, description = "The donation's id")),
    responses(
        (status = 200, description = "The donation as it stands", body = DonationView),
        super::problems::ReadProblems,
        (status = 404, description = "No such donation", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn show(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "donation")?;
    let donation = state
        .database()
        .donation(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no donation with id `{id}`")))?;
    Ok(json_response(
        200,
        &DonationView::new(&donation, state.receipts()),
    ))
}

/// Filters for listing donations.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Received on or after, `YYYY-MM-DD`.
    #[param(format = Date)]
    pub received_from: Option<String>,
    /// Received on or before, `YYYY-MM-DD`.
    #[param(format = Date)]
    pub received_to: Option<String>,
    /// Of this type.
    #[serde(rename = "type")]
    #[param(rename = "type", inline)]
    pub donation_type: Option<DonationType>,
    /// Feeding this fund.
    #[param(inline)]
    pub fund: Option<Fund>,
    /// For this campaign.
    pub campaign_id: Option<Uuid>,
    /// From this donor.
    pub donor_id: Option<Uuid>,
    /// Only receipts numbered before this one (`next_before` of the previous page).
    #[param(pattern = r"^[0-9]{4}-[0-9]{6,}$")]
    pub before: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u16>,
}

/// A page of donations.
#[derive(Debug, Serialize, ToSchema)]
pub struct DonationPage {
    /// Newest receipt first.
    pub donations: Vec<DonationView>,
    /// Pass as `before` for the next page; null on the last page.
    pub next_before: Option<String>,
}

/// List donations, newest receipt first.
#[utoipa::path(
    get, path = "/api/v1/donations", operation_id = "listDonations", tag = "donations",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of donations", body = DonationPage),
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
    let donations = state.database().donations(&filter).await?;
    let next_before = (donations.len() == usize::from(filter.limit))
        .then(|| donations.last().map(|d| d.receipt.to_string()))
        .flatten();
    let page = DonationPage {
        donations: donations
            .iter()
            .map(|donation| DonationView::new(donation, state.receipts()))
            .collect(),
        next_before,
    };
    Ok(json_response(200, &page))
}

/// The listing's filter from its parameters, each checked (errors name the parameter).
pub(crate) fn list_filter(params: &ListQuery) -> Result<DonationFilter, ApiError> {
    let limit = input::page_size(params.limit, DONATION_PAGE_SIZE_MAX)?;
    Ok(DonationFilter {
        received_from: params
            .received_from
            .as_deref()
            .map(|d| input::date("received_from", d))
            .transpose()?,
        received_to: params
            .received_to
            .as_deref()
            .map(|d| input::date("received_to", d))
            .transpose()?,
        donation_type: params.donation_type,
        fund: params.fund,
        campaign_id: params.campaign_id,
        donor_id: params.donor_id,
        before: params
            .before
            .as_deref()
            .map(|before| {
                before
                    .parse()
                    .map_err(|err: NotAReceiptNumber| ApiError::invalid("before", err.to_string()))
            })
            .transpose()?,
        limit,
        ..DonationFilter::default()
    })
}

/// A void.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidRequest {
    /// Why it is voided.
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

/// A refund.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// How much goes back, in the donation's currency (at most what is left).
    #[schema(example = "500000.00", pattern = r"^[0-9]{1,18}(\.[0-9]{1,4})?$")]
    pub amount: String,
    /// Why.
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

/// Void a donation: reverse what is left of it. The receipt keeps its number.
#[utoipa::path(
    post, path = "/api/v1/donations/{id}/void", operation_id = "voidDonation", tag = "donations",
    params(
        ("id" = Uuid, Path, description = "The donation's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Optional; a retry with the same key gets the original response.", min_length = 1, max_length = 255, pattern = "^[!-~]+$"),
    ),
    request_body = VoidRequest,
    responses(
        (status = 200, description = "The donation, now void", body = DonationView),
        (status = 404, description = "No such donation", body = crate::problem::Problem, content_type = "application/problem+json"),
        super::problems::WriteProblems,
    ),
    security(("bearer" = []))
)]
pub async fn void(
    State(state): State<AppState>,
    Recorder(caller): Recorder,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: ApiJson<VoidRequest>,
) -> Result<Response, ApiError> {
    let donation_id = parse_id(&id, "donation")?;
    let creation = Creation {
        key_required: false,
        render: render_donation(200, state.receipts()),
        digest: body.digest,
    };
    let key = creation.key(&headers)?;
    let change = void_change(donation_id, &body.value)?;
    record(&state, caller, key, creation, change).await
}

/// The void a request asks for, checked.
pub(crate) fn void_change(donation_id: Uuid, request: &VoidRequest) -> Result<Change, ApiError> {
    let reason = input::optional_text("reason", request.reason.as_deref(), NOTE_LENGTH_MAX)?;
    Ok(Change::Reversal(NewReversal {
        donation_id,
        kind: ReversalKind::Void,
        reason,
    }))
}

/// Refund part or all of a donation.
#[utoipa::path(
    post, path = "/api/v1/donations/{id}/refunds", operation_id = "refundDonation", tag = "donations",
    params(
        ("id" = Uuid, Path, description = "The donation's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Optional; a retry with the same key gets the original response.", min_length = 1, max_length = 255, pattern = "^[!-~]+$"),
    ),
    request_body = RefundRequest,
    responses(
        (status = 201, description = "The donation after the refund", body = DonationView),
        (status = 404, description = "No such donation", body = crate::problem::Problem, content_type = "application/problem+json"),
        super::problems::WriteProblems,
    ),
    security(("bearer" = []))
)]
pub async fn refund(
    State(state): State<AppState>,
    Recorder(caller): Recorder,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: ApiJson<RefundRequest>,
) -> Result<Response, ApiError> {
    let donation_id = parse_id(&id, "donation")?;
    let creation = Creation {
        key_required: false,
        render: render_donation(201, state.receipts()),
        digest: body.digest,
    };
    let key = creation.key(&headers)?;
    let change = refund_change(&state, donation_id, &body.value).await?;
    record(&state, caller, key, creation, change).await
}

/// The refund a request asks for, checked against its donation.
pub(crate) async fn refund_change(
    state: &AppState,
    donation_id: Uuid,
    request: &RefundRequest,
) -> Result<Change, ApiError> {
    // The currency is the donation's: read it to parse the amount (it never changes).
    let donation = state
        .database()
        .donation(donation_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no donation with id `{donation_id}`")))?;
    let amount = input::amount(&request.amount, donation.amount.currency())?;
    let reason = input::optional_text("reason", request.reason.as_deref(), NOTE_LENGTH_MAX)?;
    Ok(Change::Reversal(NewReversal {
        donation_id,
        kind: ReversalKind::Refund(amount.minor()),
        reason,
    }))
}
