//! The JSON API under `/api/v1`, and its OpenAPI 3.1 document generated from the same code
//! (handlers and types carry the annotations), so the document cannot drift from the API.

pub(crate) mod audit;
mod auth;
pub(crate) mod distributions;
pub(crate) mod donations;
mod error;
mod exports;
pub(crate) mod funds;
pub(crate) mod input;
mod problems;
pub(crate) mod receipts;
pub(crate) mod registers;
mod registry;
pub(crate) mod reports;
mod settings;
mod tabular;
mod wakaf;
pub mod zakat;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use serde::Serialize;
use serde::de::DeserializeOwned;
use storage::ledger::{Applied, Change, Idempotency, Rendered, Renderer, Request};
use utoipa::OpenApi;
use uuid::Uuid;

pub use error::ApiError;
pub use receipts::ANNUAL_YEARS;

use crate::AppState;
pub(crate) use auth::{Caller, PersonalDataReader};

/// The largest request body: a donation with a full donor is under 2 KiB; 64 KiB leaves room
/// for notes while keeping a flood of huge bodies cheap to refuse.
pub const REQUEST_BODY_BYTES_MAX: usize = 64 * 1024;

/// Notes and reasons: a paragraph, not a document.
pub const NOTE_LENGTH_MAX: usize = 1000;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "donation_platform API",
        description = "Donations, distributions, funds and the audit chain of a zakat institution. \
            Amounts are exact decimal strings; errors are `application/problem+json` (RFC 9457).",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    paths(
        donations::create, donations::list, donations::show, donations::void, donations::refund,
        distributions::create, distributions::list, distributions::show, funds::list,
        registry::create_donor, registers::list_donors, registers::show_donor,
        registers::update_donor, registers::erase_donor, registers::create_recipient,
        registers::list_recipients, registers::show_recipient, registers::update_recipient,
        registers::erase_recipient, registry::create_campaign,
        settings::show, settings::set_amil_share, settings::set_amil_share_infak,
        settings::set_amil_shortfall, wakaf::record_benefit, audit::verify,
        zakat::calculate, zakat::fidyah, zakat::list_data, zakat::create_datum,
        receipts::show_institution, receipts::set_institution, receipts::donation_receipt,
        receipts::annual_receipt, receipts::verify,
        reports::changes_in_funds, reports::financial_position, reports::collections,
        reports::distributions, exports::donations, exports::distributions,
    ),
    components(schemas(crate::problem::Problem)),
    modifiers(&BearerAuth),
    tags(
        (name = "donations", description = "Penerimaan: zakat, infak, sedekah, wakaf, non-halal"),
        (name = "distributions", description = "Penyaluran to the eight asnaf"),
        (name = "funds", description = "Fund balances (PSAK 109)"),
        (name = "registry", description = "The muzakki and mustahik registers, and campaigns"),
        (name = "settings", description = "Institution settings"),
        (name = "audit", description = "The audit chain"),
        (name = "receipts", description = "Public verification of a Bukti Setor Zakat"),
        (name = "reports", description = "PSAK 109 statements, collections and distributions reports, CSV exports"),
        (name = "zakat", description = "The public zakat calculator and the prices and decree figures it uses"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The OpenAPI document, as served.
#[must_use]
pub fn openapi_json() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
}

/// The document, generated on the first request for it (not at start-up, where it would add
/// to every boot) and kept.
async fn openapi_document() -> impl IntoResponse {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.get_or_init(openapi_json).as_str(),
    )
}

/// The `/api/v1` routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi_document))
        .route(
            "/api/v1/donations",
            post(donations::create).get(donations::list),
        )
        .route("/api/v1/donations/{id}", get(donations::show))
        .route(
            "/api/v1/donations/{id}/receipt",
            get(receipts::donation_receipt),
        )
        .route(
            "/api/v1/donors/{id}/receipts/{year}",
            get(receipts::annual_receipt),
        )
        .route(
            "/api/v1/settings/institution",
            get(receipts::show_institution).put(receipts::set_institution),
        )
        .route("/api/v1/donations/{id}/void", post(donations::void))
        .route("/api/v1/donations/{id}/refunds", post(donations::refund))
        .route(
            "/api/v1/distributions",
            post(distributions::create).get(distributions::list),
        )
        .route("/api/v1/distributions/{id}", get(distributions::show))
        .route("/api/v1/funds", get(funds::list))
        .route(
            "/api/v1/donors",
            post(registry::create_donor).get(registers::list_donors),
        )
        .route(
            "/api/v1/donors/{id}",
            get(registers::show_donor).patch(registers::update_donor),
        )
        .route(
            "/api/v1/donors/{id}/personal-data",
            delete(registers::erase_donor),
        )
        .route(
            "/api/v1/recipients",
            post(registers::create_recipient).get(registers::list_recipients),
        )
        .route(
            "/api/v1/recipients/{id}",
            get(registers::show_recipient).patch(registers::update_recipient),
        )
        .route(
            "/api/v1/recipients/{id}/personal-data",
            delete(registers::erase_recipient),
        )
        .route("/api/v1/campaigns", post(registry::create_campaign))
        .route("/api/v1/settings", get(settings::show))
        .route("/api/v1/settings/amil_share", put(settings::set_amil_share))
        .route(
            "/api/v1/settings/amil_share_infak",
            put(settings::set_amil_share_infak),
        )
        .route(
            "/api/v1/settings/amil_shortfall",
            put(settings::set_amil_shortfall),
        )
        .route("/api/v1/wakaf/benefits", post(wakaf::record_benefit))
        .route("/api/v1/audit/verify", get(audit::verify))
        .route(
            "/api/v1/reports/changes-in-funds",
            get(reports::changes_in_funds),
        )
        .route(
            "/api/v1/reports/financial-position",
            get(reports::financial_position),
        )
        .route("/api/v1/reports/collections", get(reports::collections))
        .route("/api/v1/reports/distributions", get(reports::distributions))
        .route("/api/v1/exports/donations.csv", get(exports::donations))
        .route(
            "/api/v1/exports/distributions.csv",
            get(exports::distributions),
        )
        .route(
            "/api/v1/zakat/data",
            get(zakat::list_data).post(zakat::create_datum),
        )
        // A static segment wins over `{category}`: fidyah has its own documented request.
        .route("/api/v1/zakat/fidyah", post(zakat::fidyah))
        .route("/api/v1/zakat/{category}", post(zakat::calculate))
        .layer(DefaultBodyLimit::max(REQUEST_BODY_BYTES_MAX))
}

/// How a create answers and whether it needs an `Idempotency-Key`.
pub(crate) struct Creation {
    key_required: bool,
    render: Renderer,
    digest: [u8; 32],
}

impl Creation {
    fn key(&self, headers: &HeaderMap) -> Result<Option<String>, ApiError> {
        let key = input::idempotency_key(headers)?;
        if key.is_none() && self.key_required {
            return Err(ApiError::IdempotencyKey(
                "this request needs an `Idempotency-Key` header (e.g. a fresh UUID per donation, reused on retries)".to_owned(),
            ));
        }
        Ok(key)
    }
}

/// Sends a change through the ledger and answers with its rendered outcome — or, for a retry
/// with the same key, the original response byte for byte.
async fn record(
    state: &AppState,
    caller: Caller,
    key: Option<String>,
    creation: Creation,
    change: Change,
) -> Result<Response, ApiError> {
    let (rendered, replayed) =
        apply(state, caller, key, creation.digest, creation.render, change).await?;
    let status = StatusCode::from_u16(rendered.status).map_err(|_| ApiError::Internal)?;
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        rendered.body,
    )
        .into_response();
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Sends a change through the ledger under `key` (if any; `digest` identifies the request it
/// was first used with): the rendered outcome, and whether it is the original one replayed.
/// The API's creates and the staff pages' forms both record through it, so a key protects a
/// form exactly as it protects an API request. A key another request of this process is still
/// working on is [`ApiError::KeyInFlight`].
pub(crate) async fn apply(
    state: &AppState,
    caller: Caller,
    key: Option<String>,
    digest: [u8; 32],
    render: Renderer,
    change: Change,
) -> Result<(Rendered, bool), ApiError> {
    let _in_flight = match &key {
        Some(key) => Some(
            state
                .claim_key(caller.user_id, key)
                .ok_or(ApiError::KeyInFlight)?,
        ),
        None => None,
    };
    let idempotency = key.map(|key| Idempotency {
        key,
        request_digest: digest,
        render: render.clone(),
    });
    let request = Request {
        user_id: caller.user_id,
        change,
        idempotency,
        credential: Some(caller.credential),
    };
    Ok(match state.ledger().apply(request).await? {
        Applied::Done(_, Some(rendered)) => (rendered, false),
        Applied::Done(outcome, None) => (render(&outcome), false),
        Applied::Replayed(rendered) => (rendered, true),
    })
}

fn json_response(status: u16, value: &impl Serialize) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    // Sized for a calculator answer with its trace (~1.5 KB), so that it is not grown four
    // times on the way.
    let mut body = Vec::with_capacity(2048);
    serde_json::to_writer(&mut body, value).expect("API views serialize");
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A path id; anything that is not a UUID names nothing, so it is a 404.
fn parse_id(text: &str, what: &str) -> Result<Uuid, ApiError> {
    text.parse().map_err(|_| {
        ApiError::NotFound(format!(
            "no {what} with id `{}`",
            text.chars().take(64).collect::<String>()
        ))
    })
}

/// The query string as `T`, or a 400 naming the parameter.
fn query<T: DeserializeOwned>(uri: &Uri) -> Result<T, ApiError> {
    let query = uri.query().unwrap_or_default();
    serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(form_urlencoded::parse(
        query.as_bytes(),
    )))
    .map_err(|err| {
        let path = err.path().to_string();
        ApiError::invalid(
            if path == "." {
                "query".to_owned()
            } else {
                path
            },
            err.into_inner().to_string(),
        )
    })
}

/// What the staff pages of the registers, campaigns and settings call: the API's own
/// handlers and reads, so a form is checked, written and audited exactly as a request is.
pub(crate) mod admin_pages {
    pub(crate) use super::auth::{Admin, PersonalDataReader, Recorder};
    pub(crate) use super::input::ApiJson;
    pub(crate) use super::receipts::{annual_receipt, set_institution};
    pub(crate) use super::registers::{
        AccessView, DonorQuery, DonorView, HOUSEHOLD_SIZE_MAX, RecipientQuery, RecipientView,
        create_recipient, donor_page, donor_view, erase_donor, erase_recipient, recipient_page,
        recipient_view, update_donor, update_recipient,
    };
    pub(crate) use super::registry::{create_campaign, create_donor};
    pub(crate) use super::settings::{
        SettingsView, set_amil_share, set_amil_share_infak, set_amil_shortfall,
    };
    pub(crate) use super::zakat::create_datum;
}
