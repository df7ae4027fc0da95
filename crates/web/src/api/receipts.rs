//! Receipts: a donation's Bukti Setor Zakat (`/api/v1/donations/{id}/receipt`), a donor's
//! annual receipt (`/api/v1/donors/{id}/receipts/{year}`), the institution profile they print
//! (`/api/v1/settings/institution`), and the public verification page (`/verify/{code}`).
//! HTML by default; a PDF for `Accept: application/pdf`; the verification as JSON for
//! `Accept: application/json`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use domain::receipts::{
    INSTITUTION_ADDRESS_LENGTH_MAX, INSTITUTION_TEXT_LENGTH_MAX, Institution, InstitutionCode,
    LicenceType, Logo, Standing, VerificationCode,
};
use serde::{Deserialize, Serialize};
use storage::ledger::Register;
use utoipa::ToSchema;

use super::auth::{Admin, Caller, PersonalDataReader};
use super::error::ApiError;
use super::input::{self, ApiJson};
use super::{json_response, parse_id};
use crate::AppState;
use crate::receipts::{self, html, pdf};

/// The years an annual receipt can be asked for: the platform's books start after 2000, and
/// a year far ahead is a typo.
pub const ANNUAL_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// The institution profile as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstitutionView {
    /// Whether an admin has set the profile; until then receipts say it is not set.
    pub configured: bool,
    /// The institution's name, as licensed.
    pub name: String,
    /// Under which licence it collects zakat.
    #[schema(value_type = String, example = "laz_provincial")]
    pub licence_type: String,
    /// The licence's number.
    pub licence_number: String,
    /// Its address.
    pub address: String,
    /// The officer who signs receipts.
    pub officer_name: String,
    /// The officer's title.
    pub officer_title: String,
    /// The four-digit code every NPWZ it issues starts with (`0000`: not set).
    #[schema(example = "3173")]
    pub code: String,
    /// The logo's media type, if it has one.
    pub logo_media_type: Option<String>,
    /// The logo, base64 (standard alphabet, padded).
    pub logo_base64: Option<String>,
}

impl InstitutionView {
    fn new(institution: &Institution, configured: bool) -> InstitutionView {
        InstitutionView {
            configured,
            name: institution.name.clone(),
            licence_type: institution.licence_type.as_str().to_owned(),
            licence_number: institution.licence_number.clone(),
            address: institution.address.clone(),
            officer_name: institution.officer_name.clone(),
            officer_title: institution.officer_title.clone(),
            code: institution.code.to_string(),
            logo_media_type: institution
                .logo
                .as_ref()
                .map(|logo| logo.format().media_type().to_owned()),
            logo_base64: institution
                .logo
                .as_ref()
                .map(|logo| base64::engine::general_purpose::STANDARD.encode(logo.bytes())),
        }
    }
}

/// A new institution profile (every field; it replaces the one in force).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstitutionRequest {
    /// The institution's name, as licensed.
    #[schema(min_length = 1, max_length = 200, example = "LAZ Amanah Umat")]
    pub name: String,
    /// Under which licence it collects zakat.
    pub licence_type: LicenceType,
    /// The licence's number (the decree).
    #[schema(min_length = 1, max_length = 200, example = "KMA No. 333 Tahun 2015")]
    pub licence_number: String,
    /// Its address.
    #[schema(min_length = 1, max_length = 500)]
    pub address: String,
    /// The officer who signs receipts.
    #[schema(min_length = 1, max_length = 200)]
    pub officer_name: String,
    /// The officer's title.
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "Kepala Bagian Pengumpulan"
    )]
    pub officer_title: String,
    /// Four digits, `0001` to `9999`: the first part of every NPWZ issued from now on.
    #[schema(pattern = "^[0-9]{4}$", example = "3173")]
    pub code: String,
    /// A PNG or JPEG of at most 32 KiB, base64 (standard alphabet); omitted: no logo.
    #[serde(default)]
    #[schema(max_length = 43692)]
    pub logo_base64: Option<String>,
}

impl InstitutionRequest {
    fn validate(&self) -> Result<Institution, ApiError> {
        let text =
            |field: &str, value: &str| input::text(field, value, INSTITUTION_TEXT_LENGTH_MAX);
        let logo = match self.logo_base64.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(encoded) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .map_err(|_| ApiError::invalid("logo_base64", "is not base64"))?;
                Some(
                    Logo::parse(bytes)
                        .map_err(|err| ApiError::invalid("logo_base64", err.to_string()))?,
                )
            }
        };
        Ok(Institution {
            name: text("name", &self.name)?,
            licence_type: self.licence_type,
            licence_number: text("licence_number", &self.licence_number)?,
            address: input::text("address", &self.address, INSTITUTION_ADDRESS_LENGTH_MAX)?,
            officer_name: text("officer_name", &self.officer_name)?,
            officer_title: text("officer_title", &self.officer_title)?,
            code: InstitutionCode::parse(self.code.trim())
                .map_err(|err| ApiError::invalid("code", err.to_string()))?,
            logo,
        })
    }
}

/// The institution profile receipts print.
#[utoipa::path(
    get, path = "/api/v1/settings/institution", tag = "settings",
    operation_id = "showInstitution",
    responses(
        (status = 200, description = "The institution profile", body = InstitutionView),
        super::problems::ReadProblems,
    ),
    security(("bearer" = []))
)]
pub async fn show_institution(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Response, ApiError> {
    let view = match state.database().institution().await? {
        Some(institution) => InstitutionView::new(&institution, true),
        None => InstitutionView::new(&Institution::unset(), false),
    };
    Ok(json_response(200, &view))
}

/// Set the institution profile (audited as `institution.update`).
#[utoipa::path(
    put, path = "/api/v1/settings/institution", tag = "settings",
    operation_id = "setInstitution",
    request_body = InstitutionRequest,
    responses(
        (status = 200, description = "The profile now in force", body = InstitutionView),
        super::problems::WriteProblems,
    ),
    security(("bearer" = []))
)]
pub async fn set_institution(
    State(state): State<AppState>,
    Admin(caller): Admin,
    body: ApiJson<InstitutionRequest>,
) -> Result<Response, ApiError> {
    let institution = body.value.validate()?;
    state
        .database()
        .set_institution(state.checkpoint_key(), &caller.actor(), &institution)
        .await?;
    Ok(json_response(
        200,
        &InstitutionView::new(&institution, true),
    ))
}

/// What the client asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Html,
    Pdf,
    Json,
}

/// `application/pdf` or `application/json` when the `Accept` header names it; HTML otherwise
/// (a browser's `text/html,…,*/*`).
pub(crate) fn format(headers: &HeaderMap) -> Format {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if accept.contains("application/pdf") {
        Format::Pdf
    } else if accept.contains("application/json") && !accept.contains("text/html") {
        Format::Json
    } else {
        Format::Html
    }
}

/// Receipts carry personal data: never cached by a shared cache or kept by the browser.
fn document(content_type: &'static str, body: Vec<u8>, filename: Option<&str>) -> Response {
    let mut response = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response();
    if let Some(name) = filename
        && let Ok(value) = HeaderValue::from_str(&format!("inline; filename=\"{name}\""))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

async fn institution(state: &AppState) -> Result<Institution, ApiError> {
    Ok(state
        .database()
        .institution()
        .await?
        .unwrap_or_else(Institution::unset))
}

/// A PDF is rendered off the async threads: a page takes milliseconds of CPU.
async fn render_pdf(
    render: impl FnOnce() -> Vec<u8> + Send + 'static,
) -> Result<Vec<u8>, ApiError> {
    tokio::task::spawn_blocking(render)
        .await
        .map_err(|_| ApiError::Internal)
}

/// A donation's Bukti Setor Zakat: printable HTML, or a PDF for `Accept: application/pdf`.
/// It shows the donor's personal data, so reading it is counted like a read of their record.
#[utoipa::path(
    get, path = "/api/v1/donations/{id}/receipt", tag = "donations",
    operation_id = "showDonationReceipt",
    params(("id" = Uuid, Path, description = "The donation's id")),
    responses(
        (status = 200, description = "The receipt (HTML unless a PDF is asked for)",
            content(
                (String = "text/html"),
                (Vec<u8> = "application/pdf"),
            )),
        super::problems::ReadProblems,
        (status = 403, description = "The caller's role may not read personal data", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such donation", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn donation_receipt(
    State(state): State<AppState>,
    PersonalDataReader(caller): PersonalDataReader,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "donation")?;
    let database = state.database();
    let donation = database
        .donation(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no donation with id `{id}`")))?;
    let donor = match donation.donor_id {
        Some(donor_id) => {
            super::registers::count(&state, &caller, Register::Donors, &[donor_id]).await?;
            database.donor(donor_id).await?
        }
        None => None,
    };
    let institution = institution(&state).await?;
    let receipt = receipts::receipt(state.receipts(), &donation, donor.as_ref());
    let url = state.receipts().verification_url(&receipt.code);
    let filename = format!("bukti-setor-{}.pdf", donation.receipt);
    match format(&headers) {
        Format::Pdf => {
            let body = render_pdf(move || pdf::receipt(&receipt, &institution, &url)).await?;
            Ok(document("application/pdf", body, Some(&filename)))
        }
        Format::Html | Format::Json => Ok(document(
            "text/html; charset=utf-8",
            html::receipt(&receipt, &institution, &url).into_bytes(),
            None,
        )),
    }
}

/// A donor's annual consolidated receipt: all their zakat received in `year` that still
/// stands (voids left out, refunds taken off), for the tax return of payroll-deducted zakat.
#[utoipa::path(
    get, path = "/api/v1/donors/{id}/receipts/{year}", tag = "registry",
    operation_id = "showAnnualReceipt",
    params(
        ("id" = Uuid, Path, description = "The donor's id"),
        ("year" = i32, Path, description = "The calendar year", minimum = 2000, maximum = 2100),
    ),
    responses(
        (status = 200, description = "The annual receipt (HTML unless a PDF is asked for)",
            content(
                (String = "text/html"),
                (Vec<u8> = "application/pdf"),
            )),
        super::problems::ReadProblems,
        (status = 403, description = "The caller's role may not read personal data", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such donor, or a year out of range", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn annual_receipt(
    State(state): State<AppState>,
    PersonalDataReader(caller): PersonalDataReader,
    headers: HeaderMap,
    Path((id, year)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "donor")?;
    let year = year
        .parse::<i32>()
        .ok()
        .filter(|year| ANNUAL_YEARS.contains(year))
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "no annual receipt for year `{}`: give a year from {} to {}",
                year.chars().take(16).collect::<String>(),
                ANNUAL_YEARS.start(),
                ANNUAL_YEARS.end()
            ))
        })?;
    let annual = receipts::load_annual(state.database(), id, year)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no donor with id `{id}`")))?;
    super::registers::count(&state, &caller, Register::Donors, &[id]).await?;
    let institution = institution(&state).await?;
    match format(&headers) {
        Format::Pdf => {
            let body = render_pdf(move || pdf::annual(&annual, &institution)).await?;
            let filename = format!("bukti-setor-{year}-{id}.pdf");
            Ok(document("application/pdf", body, Some(&filename)))
        }
        Format::Html | Format::Json => Ok(document(
            "text/html; charset=utf-8",
            html::annual(&annual, &institution).into_bytes(),
            None,
        )),
    }
}

/// What the public verification answers: the receipt's standing and what it shows, the
/// payer's NIK and NPWP masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationView {
    /// `genuine`, `void` or `refunded` (in full or in part: see `refunded_amount`).
    pub status: Standing,
    /// The receipt number.
    pub receipt_number: String,
    /// The code verified.
    pub verification_code: String,
    /// When it was received.
    #[schema(format = Date)]
    pub received_on: String,
    /// The donation type.
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub donation_type: domain::DonationType,
    /// The fund.
    #[schema(value_type = String)]
    pub fund: domain::Fund,
    /// Exact decimal string.
    pub amount: String,
    /// ISO 4217.
    pub currency: String,
    /// The amount in Indonesian words, as printed.
    pub amount_in_words: String,
    /// How much was refunded, exact decimal string (`0` figures when nothing was).
    pub refunded_amount: String,
    /// The payer's name as printed.
    pub payer_name: String,
    /// The payer's NPWP, masked.
    pub npwp: Option<String>,
    /// The payer's NIK, masked.
    pub nik: Option<String>,
    /// The payer's NPWZ.
    pub npwz: Option<String>,
    /// The institution that issued it.
    pub institution: String,
    /// Its licence number.
    pub licence_number: String,
}

/// Check a receipt: anyone may, without an account (the QR code on the receipt links here).
/// HTML unless `Accept: application/json`. A changed or unknown code is a 404 that says so.
#[utoipa::path(
    get, path = "/verify/{code}", tag = "receipts",
    operation_id = "verifyReceipt",
    params(("code" = String, Path, description = "The verification code printed on the receipt", max_length = 64)),
    responses(
        (status = 200, description = "The receipt was issued by this institution; its standing",
            content(
                (VerificationView = "application/json"),
                (String = "text/html"),
            )),
        (status = 404, description = "No receipt has this code: it is not genuine",
            content(
                (crate::problem::Problem = "application/problem+json"),
                (String = "text/html"),
            )),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
pub async fn verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let format = format(&headers);
    let not_genuine = || match format {
        Format::Json => Ok(ApiError::NotFound(
            "no receipt has this verification code: it was mistyped, changed, or never issued here"
                .to_owned(),
        )
        .into_response()),
        Format::Html | Format::Pdf => Ok((
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html::not_genuine(),
        )
            .into_response()),
    };
    let Some(Verified {
        donation,
        receipt,
        institution,
        code,
    }) = verified(&state, &code).await?
    else {
        return not_genuine();
    };
    if format != Format::Json {
        return Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html::verified(&receipt, &institution),
        )
            .into_response());
    }
    let currency = donation.amount.currency();
    let view = VerificationView {
        status: Standing::of(receipt.status),
        receipt_number: donation.receipt.to_string(),
        verification_code: code.to_string(),
        received_on: donation.received_on.to_string(),
        donation_type: donation.donation_type,
        fund: donation.fund,
        amount: donation.amount.to_string(),
        currency: currency.code().to_owned(),
        amount_in_words: domain::words::amount(donation.amount),
        refunded_amount: currency.format_minor(receipt.refunded_minor),
        payer_name: receipt.payer.name.clone(),
        npwp: receipt.payer.npwp.as_deref().map(domain::receipts::masked),
        nik: receipt.payer.nik.as_deref().map(domain::receipts::masked),
        npwz: receipt.payer.npwz.clone(),
        institution: institution.name.clone(),
        licence_number: institution.licence_number.clone(),
    };
    Ok(json_response(200, &view))
}

/// A receipt whose verification code checked out: the donation, the receipt as printed (the
/// payer's NIK and NPWP to be masked by whoever shows it), the institution that issued it.
pub(crate) struct Verified {
    /// The donation the receipt is for.
    pub donation: domain::ledger::Donation,
    /// The receipt.
    pub receipt: domain::receipts::Receipt,
    /// The institution profile in force.
    pub institution: Institution,
    /// The code, as parsed.
    pub code: VerificationCode,
}

/// The receipt `code` verifies, or `None` when no receipt has it (mistyped, changed, never
/// issued here): the one check behind `/verify/{code}` in every format.
pub(crate) async fn verified(state: &AppState, code: &str) -> Result<Option<Verified>, ApiError> {
    let Ok(code) = VerificationCode::parse(code) else {
        return Ok(None);
    };
    let database = state.database();
    let Some(donation) = database.donation_by_receipt(code.receipt).await? else {
        return Ok(None);
    };
    if !code.matches(state.receipts().key(), &receipts::facts(&donation)) {
        return Ok(None);
    }
    let donor = match donation.donor_id {
        Some(id) => database.donor(id).await?,
        None => None,
    };
    let institution = institution(state).await?;
    let receipt = receipts::receipt(state.receipts(), &donation, donor.as_ref());
    Ok(Some(Verified {
        donation,
        receipt,
        institution,
        code,
    }))
}
