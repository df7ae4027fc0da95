//! `/api/v1/settings`: the ledger's settings — the amil's shares of zakat and of
//! infak/sedekah, and what a reversal does when the amil share was already spent.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use domain::ledger::{AmilShortfall, Setting, Settings};
use domain::{Share, ShareCap};
use serde::{Deserialize, Serialize};
use storage::ledger::{Change, Outcome, Rendered};
use utoipa::ToSchema;

use super::auth::{Admin, Caller};
use super::error::ApiError;
use super::input::ApiJson;
use super::{Creation, json_response, record};
use crate::AppState;

/// The settings in force.
#[derive(Debug, Serialize, ToSchema)]
#[allow(
    clippy::struct_field_names,
    reason = "the fields are the settings' names, a contract of the API"
)]
pub struct SettingsView {
    /// The share of zakat moved to the amil fund at receipt, in percent (at most 12.5).
    #[schema(example = "12.50")]
    pub amil_share_percent: String,
    /// The share of unrestricted infak/sedekah moved to the amil fund at receipt, in percent
    /// (at most 20; campaigns set their own).
    #[schema(example = "0.00")]
    pub amil_share_infak_percent: String,
    /// What a void or refund does when the amil fund has spent the share it must give back:
    /// `refuse` (409 `amil-share-spent`) or `receivable` (booked as owed by the amil).
    pub amil_shortfall: AmilShortfall,
}

impl From<Settings> for SettingsView {
    fn from(settings: Settings) -> Self {
        SettingsView {
            amil_share_percent: settings.amil_share.to_string(),
            amil_share_infak_percent: settings.amil_share_infak.to_string(),
            amil_shortfall: settings.amil_shortfall,
        }
    }
}

/// A new share.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareRequest {
    /// Percent with at most two decimals: 0 to 12.5 for zakat (MUI fatwa 8/2011), 0 to 20
    /// for infak/sedekah (Peraturan BAZNAS 1/2016).
    #[schema(example = "12.5", pattern = r"^[0-9]{1,3}(\.[0-9]{1,2})?$")]
    pub percent: String,
}

/// A new shortfall choice.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShortfallRequest {
    /// `refuse` or `receivable`.
    pub value: AmilShortfall,
}

/// The settings in force.
#[utoipa::path(
    get, path = "/api/v1/settings", operation_id = "showSettings", tag = "settings",
    responses(
        (status = 200, description = "Settings", body = SettingsView),
        super::problems::ReadProblems,
    ),
    security(("bearer" = []))
)]
pub async fn show(State(state): State<AppState>, _caller: Caller) -> Result<Response, ApiError> {
    let settings = state.database().settings().await?;
    Ok(json_response(200, &SettingsView::from(settings)))
}

/// Set the amil share of zakat recorded from now on (audited).
#[utoipa::path(
    put, path = "/api/v1/settings/amil_share", operation_id = "setAmilShare", tag = "settings",
    request_body = ShareRequest,
    responses(
        (status = 200, description = "Settings now in force", body = SettingsView),
        super::problems::WriteProblems,
    ),
    security(("bearer" = []))
)]
pub async fn set_amil_share(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    body: ApiJson<ShareRequest>,
) -> Result<Response, ApiError> {
    let share = parse_share(&body.value.percent, ShareCap::Zakat)?;
    let digest = body.digest;
    change(&state, caller, &headers, digest, Setting::AmilShare(share)).await
}

/// Set the amil share of unrestricted infak/sedekah recorded from now on (audited).
#[utoipa::path(
    put, path = "/api/v1/settings/amil_share_infak", operation_id = "setAmilShareInfak", tag = "settings",
    request_body = ShareRequest,
    responses(
        (status = 200, description = "Settings now in force", body = SettingsView),
        super::problems::WriteProblems,
    ),
    security(("bearer" = []))
)]
pub async fn set_amil_share_infak(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    body: ApiJson<ShareRequest>,
) -> Result<Response, ApiError> {
    let share = parse_share(&body.value.percent, ShareCap::Infak)?;
    let digest = body.digest;
    change(
        &state,
        caller,
        &headers,
        digest,
        Setting::AmilShareInfak(share),
    )
    .await
}

/// Choose what a void or refund does when the amil share was already spent (audited).
#[utoipa::path(
    put, path = "/api/v1/settings/amil_shortfall", operation_id = "setAmilShortfall", tag = "settings",
    request_body = ShortfallRequest,
    responses(
        (status = 200, description = "Settings now in force", body = SettingsView),
        super::problems::WriteProblems,
    ),
    security(("bearer" = []))
)]
pub async fn set_amil_shortfall(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    body: ApiJson<ShortfallRequest>,
) -> Result<Response, ApiError> {
    let setting = Setting::AmilShortfall(body.value.value);
    let digest = body.digest;
    change(&state, caller, &headers, digest, setting).await
}

fn parse_share(percent: &str, cap: ShareCap) -> Result<Share, ApiError> {
    Share::parse_percent(percent.trim(), cap).map_err(|err| ApiError::share("percent", err))
}

async fn change(
    state: &AppState,
    caller: Caller,
    headers: &HeaderMap,
    digest: [u8; 32],
    setting: Setting,
) -> Result<Response, ApiError> {
    let render: storage::ledger::Renderer = Arc::new(|outcome: &Outcome| match outcome {
        Outcome::Settings(settings) => Rendered {
            status: 200,
            body: serde_json::to_vec(&SettingsView::from(*settings)).expect("serializes"),
        },
        other => unreachable!("a settings request produced {other:?}"),
    });
    let creation = Creation {
        key_required: false,
        render,
        digest,
    };
    let key = creation.key(headers)?;
    record(state, caller, key, creation, Change::Setting(setting)).await
}
