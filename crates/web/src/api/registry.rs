//! `/api/v1/donors` and `/api/v1/campaigns`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use domain::{Asnaf, Share, ShareCap};
use serde::{Deserialize, Serialize};
use storage::ledger::{Campaign, Change, NewCampaign, Outcome, Rendered};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::{Admin, Recorder};
use super::donations::DonorInput;
use super::error::ApiError;
use super::input::{self, ApiJson};
use super::{Creation, NOTE_LENGTH_MAX, record};
use crate::AppState;

/// A donor filed: their id and the NPWZ issued to them. Nothing else: the response is kept
/// with an idempotency key, in a table never updated, so it must hold nothing erasure would
/// have to remove.
#[derive(Debug, Serialize, ToSchema)]
pub struct DonorCreated {
    /// Their id.
    pub id: Uuid,
    /// Their NPWZ, `IIII-YY-SSSSSSS-C`: the institution's code (`0000` until its profile sets
    /// one), the year of registration, the registration serial, a Damm check digit.
    #[schema(example = "0000-26-0000001-4")]
    pub npwz: String,
}

fn render_id() -> storage::ledger::Renderer {
    Arc::new(|outcome: &Outcome| {
        let body = match outcome {
            Outcome::Donor { id, npwz } => serde_json::to_vec(&DonorCreated {
                id: *id,
                npwz: npwz.to_string(),
            }),
            Outcome::Campaign(campaign) => serde_json::to_vec(&CampaignView::from(campaign)),
            other => unreachable!("a registry request produced {other:?}"),
        };
        Rendered {
            status: 201,
            body: body.expect("a view serializes"),
        }
    })
}

/// A campaign as opened.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignView {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// What its money may be used for.
    pub purpose: String,
    /// The asnaf its money may pay.
    pub allowed_asnaf: Vec<Asnaf>,
    /// The amil's share of infak/sedekah given for it, in percent.
    #[schema(example = "0.00")]
    pub amil_share_percent: String,
}

impl From<&Campaign> for CampaignView {
    fn from(campaign: &Campaign) -> Self {
        CampaignView {
            id: campaign.id,
            name: campaign.name.clone(),
            purpose: campaign.purpose.clone(),
            allowed_asnaf: campaign.rules.allowed_asnaf.iter().collect(),
            amil_share_percent: campaign.rules.amil_share.to_string(),
        }
    }
}

/// File a donor (muzaki): an NPWZ is issued (docs/REGISTERS.md). The NIK and NPWP are
/// checked (422 naming the field).
#[utoipa::path(
    post, path = "/api/v1/donors", operation_id = "createDonor", tag = "registry",
    params(("Idempotency-Key" = Option<String>, Header, description = "Optional; a retry with the same key gets the original response.", min_length = 1, max_length = 255, pattern = "^[!-~]+$")),
    request_body = DonorInput,
    responses(
        (status = 201, description = "Filed", body = DonorCreated),
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
        min_length = 1,
        max_length = 1000,
        example = "Emergency relief for flood victims in Demak"
    )]
    pub purpose: String,
    /// The asnaf its money may pay (default: every asnaf but `amil`, who takes its share at
    /// receipt). Never `amil`.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 7)]
    pub allowed_asnaf: Option<Vec<Asnaf>>,
    /// The amil's share of infak/sedekah given for it, in percent with at most two decimals:
    /// 0 (the default) to 20 (Peraturan BAZNAS 1/2016).
    #[serde(default)]
    #[schema(example = "0", pattern = r"^[0-9]{1,3}(\.[0-9]{1,2})?$")]
    pub amil_share_percent: Option<String>,
}

/// Open a campaign: zakat, infak, sedekah, fidyah and kafarat given for it are restricted to
/// its purpose and its allowed asnaf.
#[utoipa::path(
    post, path = "/api/v1/campaigns", operation_id = "createCampaign", tag = "registry",
    params(("Idempotency-Key" = Option<String>, Header, description = "Optional; a retry with the same key gets the original response.", min_length = 1, max_length = 255, pattern = "^[!-~]+$")),
    request_body = CampaignRequest,
    responses(
        (status = 201, description = "Opened", body = CampaignView),
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
        allowed_asnaf: body.value.allowed_asnaf.clone(),
        amil_share: match body.value.amil_share_percent.as_deref() {
            None => Share::ZERO,
            Some(percent) => Share::parse_percent(percent.trim(), ShareCap::Infak)
                .map_err(|err| ApiError::share("amil_share_percent", err))?,
        },
    };
    record(&state, caller, key, creation, Change::Campaign(campaign)).await
}
