//! `/api/v1/settings`: the institution's settings (for now, the amil share).

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
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
pub struct SettingsView {
    /// The share of zakat moved to the amil fund, in percent (at most 12.5).
    #[schema(example = "12.50")]
    pub amil_share_percent: String,
}

/// A new amil share.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmilShareRequest {
    /// Percent with at most two decimals, 0 to 12.5 (MUI fatwa 8/2011).
    #[schema(example = "12.5", pattern = r"^[0-9]{1,3}(\.[0-9]{1,2})?$")]
    pub percent: String,
}

/// The settings in force.
#[utoipa::path(
    get, path = "/api/v1/settings", tag = "settings",
    responses(
        (status = 200, description = "Settings", body = SettingsView),
        super::problems::ReadProblems,
    ),
    security(("bearer" = []))
)]
pub async fn show(State(state): State<AppState>, _caller: Caller) -> Result<Response, ApiError> {
    let share = state.database().amil_share().await?;
    Ok(json_response(
        200,
        &SettingsView {
            amil_share_percent: share.to_string(),
        },
    ))
}

/// Set the amil share for zakat recorded from now on (audited).
#[utoipa::path(
    put, path = "/api/v1/settings/amil_share", tag = "settings",
    request_body = AmilShareRequest,
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
    body: ApiJson<AmilShareRequest>,
) -> Result<Response, ApiError> {
    let share = domain::AmilShare::parse_percent(body.value.percent.trim())
        .map_err(|err| ApiError::invalid("percent", err.to_string()))?;
    let render: storage::ledger::Renderer = Arc::new(|outcome: &Outcome| match outcome {
        Outcome::AmilShare(share) => Rendered {
            status: 200,
            body: serde_json::to_vec(&SettingsView {
                amil_share_percent: share.to_string(),
            })
            .expect("serializes"),
        },
        other => unreachable!("a settings request produced {other:?}"),
    });
    let creation = Creation {
        key_required: false,
        render,
        digest: body.digest,
    };
    let key = creation.key(&headers)?;
    record(&state, caller, key, creation, Change::AmilShare(share)).await
}
