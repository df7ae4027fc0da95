//! `/api/v1/wakaf/benefits`: what wakaf assets earned. The principal stays in the `wakaf`
//! fund (UU 41/2004); its benefits go to the distributable `wakaf_benefits` fund, less the
//! nazhir's share (at most 10 %, UU 41/2004 art. 12).

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use domain::{PaymentMethod, Share, ShareCap};
use serde::{Deserialize, Serialize};
use storage::ledger::{Change, NewWakafBenefit, Outcome, Rendered, WakafBenefit};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::Recorder;
use super::error::ApiError;
use super::input::{self, ApiJson};
use super::{Creation, NOTE_LENGTH_MAX, record};
use crate::AppState;

/// What a wakaf earned.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WakafBenefitRequest {
    /// Exact decimal string in rupiah.
    #[schema(example = "500000.00", pattern = r"^[0-9]{1,18}(\.[0-9]{1,2})?$")]
    pub amount: String,
    /// `IDR` (the default): benefits are recorded in rupiah.
    #[serde(default)]
    #[schema(example = "IDR", min_length = 3, max_length = 3)]
    pub currency: Option<String>,
    /// How it came in.
    pub method: PaymentMethod,
    /// When it came in, `YYYY-MM-DD`.
    #[schema(format = Date, example = "2026-03-30")]
    pub received_on: String,
    /// What earned it.
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "Sewa ruko wakaf Jl. Pemuda"
    )]
    pub source: String,
    /// The nazhir's share, in percent with at most two decimals: 0 (the default) to 10.
    #[serde(default)]
    #[schema(example = "10", pattern = r"^[0-9]{1,3}(\.[0-9]{1,2})?$")]
    pub nazhir_share_percent: Option<String>,
    /// A free-text note.
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

/// A wakaf benefit as recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct WakafBenefitView {
    /// Its id.
    pub id: Uuid,
    /// Exact decimal string.
    pub amount: String,
    /// ISO 4217.
    pub currency: String,
    /// How it came in.
    pub method: PaymentMethod,
    /// When.
    #[schema(format = Date)]
    pub received_on: String,
    /// What earned it.
    pub source: String,
    /// The nazhir's share, moved to the amil fund.
    pub nazhir_share: String,
    /// What the `wakaf_benefits` fund received.
    pub distributable: String,
    /// The note.
    pub note: Option<String>,
    /// The user who recorded it.
    pub recorded_by: i64,
    /// When it was recorded (UTC).
    #[schema(format = DateTime)]
    pub recorded_at: String,
}

impl From<&WakafBenefit> for WakafBenefitView {
    fn from(b: &WakafBenefit) -> Self {
        let currency = b.amount.currency();
        WakafBenefitView {
            id: b.id,
            amount: b.amount.to_string(),
            currency: currency.code().to_owned(),
            method: b.method,
            received_on: b.received_on.to_string(),
            source: b.source.clone(),
            nazhir_share: currency.format_minor(b.nazhir_share_minor),
            distributable: currency.format_minor(b.amount.minor() - b.nazhir_share_minor),
            note: b.note.clone(),
            recorded_by: b.recorded_by,
            recorded_at: domain::audit::format_recorded_at(b.recorded_at),
        }
    }
}

impl WakafBenefitRequest {
    fn validate(&self) -> Result<NewWakafBenefit, ApiError> {
        Ok(NewWakafBenefit {
            amount: input::money(&self.amount, self.currency.as_deref().unwrap_or("IDR"))?,
            method: self.method,
            received_on: input::date("received_on", &self.received_on)?,
            source: input::text(
                "source",
                &self.source,
                super::distributions::PROGRAM_LENGTH_MAX,
            )?,
            nazhir_share: match self.nazhir_share_percent.as_deref() {
                None => Share::ZERO,
                Some(percent) => Share::parse_percent(percent.trim(), ShareCap::Nazhir)
                    .map_err(|err| ApiError::share("nazhir_share_percent", err))?,
            },
            note: input::optional_text("note", self.note.as_deref(), NOTE_LENGTH_MAX)?,
        })
    }
}

/// Record what a wakaf earned into the distributable `wakaf_benefits` fund (the principal is
/// never distributed), the nazhir's share to the amil fund.
#[utoipa::path(
    post, path = "/api/v1/wakaf/benefits", operation_id = "recordWakafBenefit", tag = "distributions",
    params(("Idempotency-Key" = Option<String>, Header, description = "Optional; a retry with the same key gets the original response.", min_length = 1, max_length = 255, pattern = "^[!-~]+$")),
    request_body = WakafBenefitRequest,
    responses(
        (status = 201, description = "Recorded (or the original response, replayed)", body = WakafBenefitView),
        super::problems::WriteProblems,
    ),
    security(("bearer" = []))
)]
pub async fn record_benefit(
    State(state): State<AppState>,
    Recorder(caller): Recorder,
    headers: HeaderMap,
    body: ApiJson<WakafBenefitRequest>,
) -> Result<Response, ApiError> {
    let render: storage::ledger::Renderer = Arc::new(|outcome: &Outcome| match outcome {
        Outcome::WakafBenefit(benefit) => Rendered {
            status: 201,
            body: serde_json::to_vec(&WakafBenefitView::from(benefit)).expect("a view serializes"),
        },
        other => unreachable!("a wakaf benefit request produced {other:?}"),
    });
    let creation = Creation {
        key_required: false,
        render,
        digest: body.digest,
    };
    let key = creation.key(&headers)?;
    let change = Change::WakafBenefit(body.value.validate()?);
    record(&state, caller, key, creation, change).await
}
