//! The muzakki and mustahik registers: `/api/v1/donors` and `/api/v1/recipients` — search,
//! read, change and erase a person's record.
//!
//! Who sees what (`domain::role`): admins and amil staff read personal data (name, NIK, NPWP,
//! contact, household, eligibility) and every such read is counted per person and reader
//! (`personal_data_reads`, shown to admins as `access`) and logged with ids only; auditors
//! see a record's id, NPWZ, asnaf and dates, with `personal_data: null`, and may not search by
//! personal data. Erasure (UU 27/2022) is an admin's: the personal fields go, the id, the
//! NPWZ, the donations and distributions and the books stay, and the audit chain
//! records the erasure by id.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use domain::Asnaf;
use serde::{Deserialize, Serialize};
use storage::ledger::{
    Change, DonorRecord, Field, NewRecipient, Outcome, PersonFilter, PersonPatch, PersonReads,
    REGISTER_PAGE_SIZE_MAX, RecipientRecord, Register, Rendered,
};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::auth::{Admin, Caller, Recorder};
use super::donations::{
    ADDRESS_LENGTH_MAX, DONOR_NAME_LENGTH_MAX, EMAIL_LENGTH_MAX, SHORT_FIELD_LENGTH_MAX,
};
use super::error::ApiError;
use super::input::{self, ApiJson};
use super::{Creation, NOTE_LENGTH_MAX, json_response, parse_id, query, record};
use crate::AppState;

/// A household larger than this is a typo (the largest in the 2020 census were under 40).
pub const HOUSEHOLD_SIZE_MAX: u16 = 99;

/// Whether the caller may read personal data.
fn reads_personal_data(caller: &Caller) -> bool {
    domain::role::PERSONAL_DATA_READERS.contains(&caller.role)
}

/// Counts a staff read of the records in `ids` before they are answered (a read that cannot be
/// counted is not served), and logs it with ids only.
pub(crate) async fn count(
    state: &AppState,
    caller: &Caller,
    register: Register,
    ids: &[Uuid],
) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Ok(());
    }
    state
        .database()
        .count_reads(register, ids, caller.user_id)
        .await?;
    tracing::info!(
        target: "personal_data",
        subject = register.subject(),
        reader = caller.user_id,
        records = ids.len(),
        first = %ids[0],
        "personal data read"
    );
    Ok(())
}

fn rfc3339(at: OffsetDateTime) -> String {
    domain::audit::format_recorded_at(at)
}

/// Who read a record, as its admin sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessView {
    /// Reads of this record by staff, all readers together.
    pub read_count: i64,
    /// Per reader.
    pub readers: Vec<ReaderView>,
}

/// One reader's reads of a record.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReaderView {
    /// The user.
    pub user_id: i64,
    /// How many times they read it.
    pub read_count: i64,
    /// When last (UTC).
    #[schema(format = DateTime)]
    pub last_read_at: String,
}

impl From<&[PersonReads]> for AccessView {
    fn from(reads: &[PersonReads]) -> Self {
        AccessView {
            read_count: reads.iter().map(|r| r.read_count).sum(),
            readers: reads
                .iter()
                .map(|r| ReaderView {
                    user_id: r.user_id,
                    read_count: r.read_count,
                    last_read_at: rfc3339(r.last_read_at),
                })
                .collect(),
        }
    }
}

/// A donor's personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct DonorPersonalView {
    /// Full name (`[erased]` once erased).
    pub name: String,
    /// NIK.
    pub nik: Option<String>,
    /// NPWP, digits.
    pub npwp: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Postal address.
    pub address: Option<String>,
}

/// A donor (muzaki) on file.
#[derive(Debug, Serialize, ToSchema)]
pub struct DonorView {
    /// Their id.
    pub id: Uuid,
    /// The NPWZ issued on registration, `IIII-YY-SSSSSSS-C` (none for donors filed before the
    /// register issued them). Kept on erasure, like the id.
    #[schema(example = "0000-26-0000001-4")]
    pub npwz: Option<String>,
    /// Whether their personal data was erased.
    pub erased: bool,
    /// When they were filed (UTC).
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When their record last changed.
    #[schema(format = DateTime)]
    pub updated_at: Option<String>,
    /// When their personal data was erased.
    #[schema(format = DateTime)]
    pub erased_at: Option<String>,
    /// Their personal data: null for a role that may not read it (auditors).
    pub personal_data: Option<DonorPersonalView>,
    /// Who read this record how often: admins only, on a single record.
    pub access: Option<AccessView>,
}

impl DonorView {
    fn of(donor: &DonorRecord, personal: bool, access: Option<AccessView>) -> DonorView {
        DonorView {
            id: donor.id,
            npwz: donor.npwz.clone(),
            erased: donor.erased_at.is_some(),
            created_at: rfc3339(donor.created_at),
            updated_at: donor.updated_at.map(rfc3339),
            erased_at: donor.erased_at.map(rfc3339),
            personal_data: personal.then(|| DonorPersonalView {
                name: donor.person.name.clone(),
                nik: donor.person.nik.clone(),
                npwp: donor.person.npwp.clone(),
                phone: donor.person.phone.clone(),
                email: donor.person.email.clone(),
                address: donor.person.address.clone(),
            }),
            access,
        }
    }
}

/// A recipient's personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientPersonalView {
    /// Full name (`[erased]` once erased).
    pub name: String,
    /// NIK.
    pub nik: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// How many people live in their household.
    pub household_size: Option<u16>,
    /// Why they are eligible.
    pub eligibility_note: Option<String>,
}

/// A recipient (mustahik) on file.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientView {
    /// Their id.
    pub id: Uuid,
    /// Their asnaf, when assessed (a recipient filed with a distribution: its asnaf).
    pub asnaf: Option<Asnaf>,
    /// Whether their personal data was erased.
    pub erased: bool,
    /// When they were filed (UTC).
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When their record last changed.
    #[schema(format = DateTime)]
    pub updated_at: Option<String>,
    /// When their personal data was erased.
    #[schema(format = DateTime)]
    pub erased_at: Option<String>,
    /// Their personal data: null for a role that may not read it (auditors).
    pub personal_data: Option<RecipientPersonalView>,
    /// Who read this record how often: admins only, on a single record.
    pub access: Option<AccessView>,
}

impl RecipientView {
    fn of(
        recipient: &RecipientRecord,
        personal: bool,
        access: Option<AccessView>,
    ) -> RecipientView {
        RecipientView {
            id: recipient.id,
            asnaf: recipient.asnaf,
            erased: recipient.erased_at.is_some(),
            created_at: rfc3339(recipient.created_at),
            updated_at: recipient.updated_at.map(rfc3339),
            erased_at: recipient.erased_at.map(rfc3339),
            personal_data: personal.then(|| RecipientPersonalView {
                name: recipient.person.name.clone(),
                nik: recipient.person.nik.clone(),
                phone: recipient.person.phone.clone(),
                address: recipient.person.address.clone(),
                household_size: recipient.household_size,
                eligibility_note: recipient.eligibility_note.clone(),
            }),
            access,
        }
    }
}

/// A page of donors.
#[derive(Debug, Serialize, ToSchema)]
pub struct DonorPage {
    /// Newest first.
    pub donors: Vec<DonorView>,
    /// Pass as `before` for the next page; null on the last page.
    pub next_before: Option<Uuid>,
}

/// A page of recipients.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientPage {
    /// Newest first.
    pub recipients: Vec<RecipientView>,
    /// Pass as `before` for the next page; null on the last page.
    pub next_before: Option<Uuid>,
}

/// Searching the muzakki register: every given criterion must hold.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DonorQuery {
    /// The name contains this (case-insensitive for ASCII letters). Admins and amil only.
    #[param(max_length = 200)]
    pub name: Option<String>,
    /// This NIK. Admins and amil only.
    pub nik: Option<String>,
    /// This NPWP (any form). Admins and amil only.
    pub npwp: Option<String>,
    /// This phone number, as filed. Admins and amil only.
    #[param(max_length = 64)]
    pub phone: Option<String>,
    /// This NPWZ (dashes optional); a wrong check digit is refused (422).
    pub npwz: Option<String>,
    /// Only donors filed before this one (`next_before` of the previous page).
    pub before: Option<Uuid>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u16>,
}

/// Searching the mustahik register: every given criterion must hold.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecipientQuery {
    /// The name contains this (case-insensitive for ASCII letters). Admins and amil only.
    #[param(max_length = 200)]
    pub name: Option<String>,
    /// This NIK. Admins and amil only.
    pub nik: Option<String>,
    /// This phone number, as filed. Admins and amil only.
    #[param(max_length = 64)]
    pub phone: Option<String>,
    /// Of this asnaf.
    #[param(inline)]
    pub asnaf: Option<Asnaf>,
    /// Only recipients filed before this one (`next_before` of the previous page).
    pub before: Option<Uuid>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u16>,
}

/// Searching by personal data is reading it: refused (403) to a role that may not.
fn personal_search(caller: &Caller, fields: &[(&str, bool)]) -> Result<(), ApiError> {
    if !reads_personal_data(caller) && fields.iter().any(|(_, given)| *given) {
        return Err(ApiError::Forbidden(
            "admins and amil staff (searching by name, NIK, NPWP or phone reads personal data)",
        ));
    }
    Ok(())
}

/// An NPWZ to look up: a wrong check digit or length is a 422 naming `npwz`.
fn npwz(value: Option<&str>) -> Result<Option<String>, ApiError> {
    value
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(|value| {
            value
                .parse::<domain::npwz::Npwz>()
                .map(|npwz| npwz.to_string())
                .map_err(|err| ApiError::invalid("npwz", err.to_string()))
        })
        .transpose()
}

/// Search the muzakki register, newest first.
#[utoipa::path(
    get, path = "/api/v1/donors", operation_id = "listDonors", tag = "registry",
    params(DonorQuery),
    responses(
        (status = 200, description = "A page of donors; personal data for admins and amil staff only (each read counted)", body = DonorPage),
        (status = 400, description = "Malformed query", body = crate::problem::Problem, content_type = "application/problem+json"),
        super::problems::ReadProblems,
        (status = 403, description = "An auditor searched by personal data", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter is invalid (a NIK, NPWP or NPWZ that is none)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_donors(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params: DonorQuery = query(&uri)?;
    let page = donor_page(&state, &caller, &params).await?;
    Ok(json_response(200, &page))
}

/// The page of donors `params` asks for, as `caller` may see them (the reads counted); the
/// staff pages' register search too.
pub(crate) async fn donor_page(
    state: &AppState,
    caller: &Caller,
    params: &DonorQuery,
) -> Result<DonorPage, ApiError> {
    personal_search(
        caller,
        &[
            ("name", params.name.is_some()),
            ("nik", params.nik.is_some()),
            ("npwp", params.npwp.is_some()),
            ("phone", params.phone.is_some()),
        ],
    )?;
    let filter = PersonFilter {
        name: input::optional_text("name", params.name.as_deref(), DONOR_NAME_LENGTH_MAX)?,
        nik: input::optional_nik("nik", params.nik.as_deref())?,
        npwp: input::optional_npwp("npwp", params.npwp.as_deref())?,
        phone: input::optional_text("phone", params.phone.as_deref(), SHORT_FIELD_LENGTH_MAX)?,
        npwz: npwz(params.npwz.as_deref())?,
        asnaf: None,
        before: params.before,
        limit: input::page_size(params.limit, REGISTER_PAGE_SIZE_MAX)?,
    };
    let donors = state.database().donors(&filter).await?;
    let personal = reads_personal_data(caller);
    if personal {
        let ids: Vec<Uuid> = donors.iter().map(|d| d.id).collect();
        count(state, caller, Register::Donors, &ids).await?;
    }
    Ok(DonorPage {
        next_before: (donors.len() == usize::from(filter.limit))
            .then(|| donors.last().map(|d| d.id))
            .flatten(),
        donors: donors
            .iter()
            .map(|d| DonorView::of(d, personal, None))
            .collect(),
    })
}

/// One donor: personal data for admins and amil staff (the read is counted), who read it
/// for admins.
#[utoipa::path(
    get, path = "/api/v1/donors/{id}", operation_id = "showDonor", tag = "registry",
    params(("id" = Uuid, Path, description = "The donor's id")),
    responses(
        (status = 200, description = "The donor", body = DonorView),
        super::problems::ReadProblems,
        (status = 404, description = "No such donor", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn show_donor(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "donor")?;
    let view = donor_view(&state, &caller, id).await?;
    Ok(json_response(200, &view))
}

/// The donor as `caller` may see them, the read counted.
pub(crate) async fn donor_view(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> Result<DonorView, ApiError> {
    let donor = state
        .database()
        .donor(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no donor with id `{id}`")))?;
    let personal = reads_personal_data(caller);
    if personal {
        count(state, caller, Register::Donors, &[id]).await?;
    }
    let access = access(state, caller, Register::Donors, id).await?;
    Ok(DonorView::of(&donor, personal, access))
}

/// Who read a record, for an admin.
async fn access(
    state: &AppState,
    caller: &Caller,
    register: Register,
    id: Uuid,
) -> Result<Option<AccessView>, ApiError> {
    if !domain::role::ERASERS.contains(&caller.role) {
        return Ok(None);
    }
    let reads = state.database().reads(register, id).await?;
    Ok(Some(AccessView::from(reads.as_slice())))
}

/// A change to a donor's record: a field left out stays, `null` clears it (not the name).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DonorPatchRequest {
    /// Full name, as printed on receipts.
    #[serde(default, deserialize_with = "input::present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200)]
    pub name: Field<String>,
    /// NIK, 16 digits (as for `POST /donors`).
    #[serde(default, deserialize_with = "input::present")]
    #[schema(value_type = Option<String>)]
    pub nik: Field<String>,
    /// NPWP, 15 or 16 digits (as for `POST /donors`).
    #[serde(default, deserialize_with = "input::present")]
    #[schema(value_type = Option<String>)]
    pub npwp: Field<String>,
    /// Phone.
    #[serde(default, deserialize_with = "input::present")]
    #[schema(value_type = Option<String>, max_length = 64)]
    pub phone: Field<String>,
    /// E-mail.
    #[serde(default, deserialize_with = "input::present")]
    #[schema(value_type = Option<String>, max_length = 254)]
    pub email: Field<String>,
    /// Postal address.
    #[serde(default, deserialize_with = "input::present")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub address: Field<String>,
}

/// Checks a field set by a change with `check` (which reads an empty text as absent: the
/// field is cleared).
fn patched<T>(
    value: &Field<String>,
    check: impl FnOnce(Option<&str>) -> Result<Option<T>, ApiError>,
) -> Result<Field<T>, ApiError> {
    Ok(match value {
        Field::Unchanged => Field::Unchanged,
        Field::Cleared => Field::Cleared,
        Field::Set(value) => check(Some(value))?.map_or(Field::Cleared, Field::Set),
    })
}

/// A new name, if the change sets one: a name is never cleared (erasure replaces it).
fn patched_name(name: &Field<String>) -> Result<Option<String>, ApiError> {
    match name {
        Field::Unchanged => Ok(None),
        Field::Cleared => Err(ApiError::invalid(
            "name",
            "cannot be removed; erase the person's personal data instead",
        )),
        Field::Set(name) => input::text("name", name, DONOR_NAME_LENGTH_MAX).map(Some),
    }
}

impl DonorPatchRequest {
    fn validate(&self) -> Result<PersonPatch, ApiError> {
        let email = patched(&self.email, |email| {
            let email = input::optional_text("email", email, EMAIL_LENGTH_MAX)?;
            if email
                .as_deref()
                .is_some_and(|email| !email.contains('@') || email.contains(char::is_whitespace))
            {
                return Err(ApiError::invalid("email", "is not an e-mail address"));
            }
            Ok(email)
        })?;
        let patch = PersonPatch {
            name: patched_name(&self.name)?,
            nik: patched(&self.nik, |nik| input::optional_nik("nik", nik))?,
            npwp: patched(&self.npwp, |npwp| input::optional_npwp("npwp", npwp))?,
            phone: patched(&self.phone, |phone| {
                input::optional_text("phone", phone, SHORT_FIELD_LENGTH_MAX)
            })?,
            email,
            address: patched(&self.address, |address| {
                input::optional_text("address", address, ADDRESS_LENGTH_MAX)
            })?,
            ..PersonPatch::default()
        };
        nothing_to_change(&patch)?;
        Ok(patch)
    }
}

fn nothing_to_change(patch: &PersonPatch) -> Result<(), ApiError> {
    if patch.fields().is_empty() {
        return Err(ApiError::invalid(
            "body",
            "names no field to change; give at least one",
        ));
    }
    Ok(())
}

/// Why a change or erasure matched no row: no such person (404) or erased (409).
async fn unchanged(state: &AppState, register: Register, id: Uuid) -> ApiError {
    let erased = match register {
        Register::Donors => state
            .database()
            .donor(id)
            .await
            .map(|d| d.map(|d| d.erased_at.is_some())),
        Register::Recipients => state
            .database()
            .recipient(id)
            .await
            .map(|r| r.map(|r| r.erased_at.is_some())),
    };
    match erased {
        Err(err) => err.into(),
        Ok(None) => ApiError::NotFound(format!("no {} with id `{id}`", register.subject())),
        Ok(Some(_)) => ApiError::Erased(format!(
            "this {}'s personal data was erased; file them anew if they come back",
            register.subject()
        )),
    }
}

/// Change a donor's record (audited: which fields, never their values). Refused (409) once
/// their personal data was erased.
#[utoipa::path(
    patch, path = "/api/v1/donors/{id}", operation_id = "updateDonor", tag = "registry",
    params(("id" = Uuid, Path, description = "The donor's id")),
    request_body = DonorPatchRequest,
    responses(
        (status = 200, description = "The donor as changed", body = DonorView),
        (status = 404, description = "No such donor", body = crate::problem::Problem, content_type = "application/problem+json"),
        super::problems::WriteProblems,
    ),
    security(("bearer" = []))
)]
pub async fn update_donor(
    State(state): State<AppState>,
    Recorder(caller): Recorder,
    Path(id): Path<String>,
    body: ApiJson<DonorPatchRequest>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "donor")?;
    let patch = body.value.validate()?;
    let key = state.checkpoint_key();
    let changed = state
        .database()
        .update_person(key, &caller.actor(), Register::Donors, id, &patch)
        .await?;
    if changed.is_none() {
        return Err(unchanged(&state, Register::Donors, id).await);
    }
    Ok(json_response(200, &donor_view(&state, &caller, id).await?))
}

/// Erase a donor's personal data (UU 27/2022): the name becomes `[erased]`, NIK, NPWP, phone,
/// e-mail and address are removed; the id, the NPWZ, the donations and the books stay, and
/// the audit chain records the erasure by id. Erasing an erased donor changes nothing (204).
#[utoipa::path(
    delete, path = "/api/v1/donors/{id}/personal-data", operation_id = "eraseDonor", tag = "registry",
    params(("id" = Uuid, Path, description = "The donor's id")),
    responses(
        (status = 204, description = "Erased"),
        (status = 401, description = "No valid API token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins erase", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such donor", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable; nothing was erased", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn erase_donor(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    erase(&state, &caller, Register::Donors, &id).await
}

async fn erase(
    state: &AppState,
    caller: &Caller,
    register: Register,
    id: &str,
) -> Result<Response, ApiError> {
    let id = parse_id(id, register.subject())?;
    let key = state.checkpoint_key();
    let erased = state
        .database()
        .erase_person(key, &caller.actor(), register, id)
        .await?;
    if erased.is_none() {
        match unchanged(state, register, id).await {
            ApiError::Erased(_) => {}
            other => return Err(other),
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A recipient (mustahik) to file.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecipientRequest {
    /// Full name.
    #[schema(min_length = 1, max_length = 200, example = "Ahmad")]
    pub name: String,
    /// NIK, 16 digits (as for donors).
    #[serde(default)]
    #[schema(example = "3273011708850001")]
    pub nik: Option<String>,
    /// Phone.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub phone: Option<String>,
    /// Postal address.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub address: Option<String>,
    /// Their asnaf, as assessed.
    #[serde(default)]
    pub asnaf: Option<Asnaf>,
    /// How many people live in their household, 1 to 99.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 99)]
    pub household_size: Option<u16>,
    /// Why they are eligible (the assessment's note).
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub eligibility_note: Option<String>,
}

fn household_size(size: Option<u16>) -> Result<Option<u16>, ApiError> {
    match size {
        Some(size) if !(1..=HOUSEHOLD_SIZE_MAX).contains(&size) => Err(ApiError::invalid(
            "household_size",
            format!("must be between 1 and {HOUSEHOLD_SIZE_MAX}"),
        )),
        size => Ok(size),
    }
}

impl RecipientRequest {
    fn validate(&self) -> Result<NewRecipient, ApiError> {
        Ok(NewRecipient {
            person: storage::ledger::PersonalData {
                name: input::text("name", &self.name, DONOR_NAME_LENGTH_MAX)?,
                nik: input::optional_nik("nik", self.nik.as_deref())?,
                phone: input::optional_text(
                    "phone",
                    self.phone.as_deref(),
                    SHORT_FIELD_LENGTH_MAX,
                )?,
                address: input::optional_text(
                    "address",
                    self.address.as_deref(),
                    ADDRESS_LENGTH_MAX,
                )?,
                ..storage::ledger::PersonalData::default()
            },
            asnaf: self.asnaf,
            household_size: household_size(self.household_size)?,
            eligibility_note: input::optional_text(
                "eligibility_note",
                self.eligibility_note.as_deref(),
                NOTE_LENGTH_MAX,
            )?,
        })
    }
}

/// The id of a recipient filed.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientCreated {
    /// Their id.
    pub id: Uuid,
}

/// File a recipient (mustahik) with their asnaf, household and eligibility.
#[utoipa::path(
    post, path = "/api/v1/recipients", operation_id = "createRecipient", tag = "registry",
    params(("Idempotency-Key" = Option<String>, Header, description = "Optional; a retry with the same key gets the original response.", min_length = 1, max_length = 255, pattern = "^[!-~]+$")),
    request_body = RecipientRequest,
    responses(
        (status = 201, description = "Filed", body = RecipientCreated),
        super::problems::WriteProblems,
    ),
    security(("bearer" = []))
)]
pub async fn create_recipient(
    State(state): State<AppState>,
    Recorder(caller): Recorder,
    headers: HeaderMap,
    body: ApiJson<RecipientRequest>,
) -> Result<Response, ApiError> {
    // Only the id is rendered: the response is kept with an idempotency key, in a table that
    // is never updated, so it must hold nothing erasure would have to remove.
    let render: storage::ledger::Renderer = Arc::new(|outcome: &Outcome| match outcome {
        Outcome::Recipient(id) => Rendered {
            status: 201,
            body: serde_json::to_vec(&RecipientCreated { id: *id }).expect("a view serializes"),
        },
        other => unreachable!("a recipient request produced {other:?}"),
    });
    let creation = Creation {
        key_required: false,
        render,
        digest: body.digest,
    };
    let key = creation.key(&headers)?;
    let change = Change::Recipient(body.value.validate()?);
    record(&state, caller, key, creation, change).await
}

/// Search the mustahik register, newest first.
#[utoipa::path(
    get, path = "/api/v1/recipients", operation_id = "listRecipients", tag = "registry",
    params(RecipientQuery),
    responses(
        (status = 200, description = "A page of recipients; personal data for admins and amil staff only (each read counted)", body = RecipientPage),
        (status = 400, description = "Malformed query", body = crate::problem::Problem, content_type = "application/problem+json"),
        super::problems::ReadProblems,
        (status = 403, description = "An auditor searched by personal data", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter is invalid", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_recipients(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params: RecipientQuery = query(&uri)?;
    let page = recipient_page(&state, &caller, &params).await?;
    Ok(json_response(200, &page))
}

/// The page of recipients `params` asks for, as `caller` may see them (the reads counted);
/// the staff pages' register search too.
pub(crate) async fn recipient_page(
    state: &AppState,
    caller: &Caller,
    params: &RecipientQuery,
) -> Result<RecipientPage, ApiError> {
    personal_search(
        caller,
        &[
            ("name", params.name.is_some()),
            ("nik", params.nik.is_some()),
            ("phone", params.phone.is_some()),
        ],
    )?;
    let filter = PersonFilter {
        name: input::optional_text("name", params.name.as_deref(), DONOR_NAME_LENGTH_MAX)?,
        nik: input::optional_nik("nik", params.nik.as_deref())?,
        phone: input::optional_text("phone", params.phone.as_deref(), SHORT_FIELD_LENGTH_MAX)?,
        asnaf: params.asnaf,
        before: params.before,
        limit: input::page_size(params.limit, REGISTER_PAGE_SIZE_MAX)?,
        ..PersonFilter::default()
    };
    let recipients = state.database().recipients(&filter).await?;
    let personal = reads_personal_data(caller);
    if personal {
        let ids: Vec<Uuid> = recipients.iter().map(|r| r.id).collect();
        count(state, caller, Register::Recipients, &ids).await?;
    }
    Ok(RecipientPage {
        next_before: (recipients.len() == usize::from(filter.limit))
            .then(|| recipients.last().map(|r| r.id))
            .flatten(),
        recipients: recipients
            .iter()
            .map(|r| RecipientView::of(r, personal, None))
            .collect(),
    })
}

/// One recipient: personal data for admins and amil staff (the read is counted), who read it
/// for admins.
#[utoipa::path(
    get, path = "/api/v1/recipients/{id}", operation_id = "showRecipient", tag = "registry",
    params(("id" = Uuid, Path, description = "The recipient's id")),
    responses(
        (status = 200, description = "The recipient", body = RecipientView),
        super::problems::ReadProblems,
        (status = 404, description = "No such recipient", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn show_recipient(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "recipient")?;
    let view = recipient_view(&state, &caller, id).await?;
    Ok(json_response(200, &view))
}

pub(crate) async fn recipient_view(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> Result<RecipientView, ApiError> {
    let recipient = state
        .database()
        .recipient(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no recipient with id `{id}`")))?;
    let personal = reads_personal_data(caller);
    if personal {
        count(state, caller, Register::Recipients, &[id]).await?;
    }
    let access = access(state, caller, Register::Recipients, id).await?;
    Ok(RecipientView::of(&recipient, personal, access))
}

/// A change to a recipient's record: a field left out stays, `null` clears it (not the name).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecipientPatchRequest {
    /// Full name.
    #[serde(default, deserialize_with = "input::present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200)]
    pub name: Field<String>,
    /// NIK, 16 digits.
    #[serde(default, deserialize_with = "input::present")]
    #[schema(value_type = Option<String>)]
    pub nik: Field<String>,
    /// Phone.
    #[serde(default, deserialize_with = "input::present")]
    #[schema(value_type = Option<String>, max_length = 64)]
    pub phone: Field<String>,
    /// Postal address.
    #[serde(default, deserialize_with = "input::present")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub address: Field<String>,
    /// Their asnaf.
    #[serde(default, deserialize_with = "input::present")]
    #[schema(value_type = Option<Asnaf>)]
    pub asnaf: Field<Asnaf>,
    /// Household size, 1 to 99.
    #[serde(default, deserialize_with = "input::present")]
    #[schema(value_type = Option<u16>, minimum = 1, maximum = 99)]
    pub household_size: Field<u16>,
    /// Why they are eligible.
    #[serde(default, deserialize_with = "input::present")]
    #[schema(value_type = Option<String>, max_length = 1000)]
    pub eligibility_note: Field<String>,
}

impl RecipientPatchRequest {
    fn validate(&self) -> Result<PersonPatch, ApiError> {
        let patch = PersonPatch {
            name: patched_name(&self.name)?,
            nik: patched(&self.nik, |nik| input::optional_nik("nik", nik))?,
            phone: patched(&self.phone, |phone| {
                input::optional_text("phone", phone, SHORT_FIELD_LENGTH_MAX)
            })?,
            address: patched(&self.address, |address| {
                input::optional_text("address", address, ADDRESS_LENGTH_MAX)
            })?,
            asnaf: self.asnaf,
            household_size: match self.household_size {
                Field::Set(size) => household_size(Some(size))?.map_or(Field::Cleared, Field::Set),
                other => other,
            },
            eligibility_note: patched(&self.eligibility_note, |note| {
                input::optional_text("eligibility_note", note, NOTE_LENGTH_MAX)
            })?,
            ..PersonPatch::default()
        };
        nothing_to_change(&patch)?;
        Ok(patch)
    }
}

/// Change a recipient's record (audited: which fields, never their values). Refused (409)
/// once their personal data was erased.
#[utoipa::path(
    patch, path = "/api/v1/recipients/{id}", operation_id = "updateRecipient", tag = "registry",
    params(("id" = Uuid, Path, description = "The recipient's id")),
    request_body = RecipientPatchRequest,
    responses(
        (status = 200, description = "The recipient as changed", body = RecipientView),
        (status = 404, description = "No such recipient", body = crate::problem::Problem, content_type = "application/problem+json"),
        super::problems::WriteProblems,
    ),
    security(("bearer" = []))
)]
pub async fn update_recipient(
    State(state): State<AppState>,
    Recorder(caller): Recorder,
    Path(id): Path<String>,
    body: ApiJson<RecipientPatchRequest>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "recipient")?;
    let patch = body.value.validate()?;
    let key = state.checkpoint_key();
    let changed = state
        .database()
        .update_person(key, &caller.actor(), Register::Recipients, id, &patch)
        .await?;
    if changed.is_none() {
        return Err(unchanged(&state, Register::Recipients, id).await);
    }
    Ok(json_response(
        200,
        &recipient_view(&state, &caller, id).await?,
    ))
}

/// Erase a recipient's personal data (UU 27/2022): the name becomes `[erased]`, NIK, phone,
/// address, household size and eligibility note are removed; the id, the asnaf, the
/// distributions and the books stay, and the audit chain records the erasure by id.
#[utoipa::path(
    delete, path = "/api/v1/recipients/{id}/personal-data", operation_id = "eraseRecipient", tag = "registry",
    params(("id" = Uuid, Path, description = "The recipient's id")),
    responses(
        (status = 204, description = "Erased"),
        (status = 401, description = "No valid API token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins erase", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such recipient", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable; nothing was erased", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn erase_recipient(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    erase(&state, &caller, Register::Recipients, &id).await
}
