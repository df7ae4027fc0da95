//! `/api/v1/donors` and `/api/v1/campaigns`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use storage::ledger::{Change, NewCampaign, Outcome, Rendered};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::{Admin, Recorder};
use super::donations::DonorInput;
use super::error::ApiError;
use super::input::{self, ApiJson};
use super::{Creation, NOTE_LENGTH_MAX, record};
use crate::AppState;

/// The id of what was created.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    /// Its id.
    pub id: Uuid,
}

fn render_id() -> storage::ledger::Renderer {
    Arc::new(|outcome: &Outcome| {
        let id = match outcome {
            Outcome::Donor(id) | Outcome::Campaign(id) => *id,
            other => unreachable!("a registry request produced {other:?}"),
        };
        Rendered {
            status: 201,
            body: serde_json::to_vec(&Created { id }).expect("an id serializes"),
        }
    })
}

/// File a donor (muzaki).
#[utoipa::path(
    post, path = "/api/v1/donors", tag = "registry",
    params(("Idempotency-Key" = Option<String>, Header, description = "Optional; a retry with the same key gets the original response.", min_length = 1, max_length = 255, pattern = "^[!-~]+$")),
    request_body = DonorInput,
    responses(
        (status = 201, description = "Filed", body = Created),
        super::problems::WriteProblems,
    ),
    security(("bearer" = []))
)]
pub async fn create_donor(
    State(state): State<AppState>,
    Recorder(caller): Recorder,
    headers: HeaderMap,
    body: ApiJson<DonorInput>,
) -> Result<Response, ApiError> {
    let creation = Creation {
        key_required: false,
        render: render_id(),
        digest: body.digest,
    };
    let key = creation.key(&headers)?;
    let change = Change::Donor(body.value.validate("")?);
    record(&state, caller, key, creation, change).await
}

/// A campaign to open.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignRequest {
    /// Its name.
    #[schema(min_length = 1, max_length = 200, example = "Banjir Demak 2026")]
    pub name: String,
    /// What its money may be used for (UU 23/2011 art. 28).
    #[schema(
        max_length = 1000,
        example = "Emergency relief for flood victims in Demak"
    )]
    pub purpose: String,
}

/// Open a campaign: infak and sedekah given for it are restricted to its purpose.
#[utoipa::path(
    post, path = "/api/v1/campaigns", tag = "registry",
    params(("Idempotency-Key" = Option<String>, Header, description = "Optional; a retry with the same key gets the original response.", min_length = 1, max_length = 255, pattern = "^[!-~]+$")),
    request_body = CampaignRequest,
    responses(
        (status = 201, description = "Opened", body = Created),
        super::problems::WriteProblems,
    ),
    security(("bearer" = []))
)]
pub async fn create_campaign(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    body: ApiJson<CampaignRequest>,
) -> Result<Response, ApiError> {
    let creation = Creation {
        key_required: false,
        render: render_id(),
        digest: body.digest,
    };
    let key = creation.key(&headers)?;
    let campaign = NewCampaign {
        name: input::text(
            "name",
            &body.value.name,
            super::distributions::PROGRAM_LENGTH_MAX,
        )?,
        purpose: input::text("purpose", &body.value.purpose, NOTE_LENGTH_MAX)?,
    };
    record(&state, caller, key, creation, Change::Campaign(campaign)).await
}
