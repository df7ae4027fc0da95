//! `/api/v1/audit/verify`: recompute the audit chain and check its signed checkpoints.

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Verifier;
use super::error::ApiError;
use super::json_response;
use crate::AppState;

/// The first problem found.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditProblemView {
    /// The first bad sequence number.
    pub seq: u64,
    /// What is wrong.
    pub reason: String,
}

/// A kept balance that is not the sum of its journal lines.
#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceDifferenceView {
    /// The account code (`fund:zakat`, `asset:bank`, …).
    pub account: String,
    /// ISO 4217.
    pub currency: String,
    /// What the kept balance holds, minor units, debits positive.
    pub kept_minor: i64,
    /// What the journal lines sum to, minor units, debits positive.
    pub journal_minor: i64,
}

/// The result of verifying the chain and the kept balances.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditReportView {
    /// Whether the whole chain verified and every kept balance equals its journal.
    pub ok: bool,
    /// Entries that verified.
    pub entries: u64,
    /// The head hash (hex).
    pub head: String,
    /// The public key new checkpoints are signed with (hex), for verifying exports.
    pub public_key: String,
    /// Checkpoints whose signature verified under a known key.
    pub checkpoints_verified: u64,
    /// Of those, signed with an earlier key listed in `AUDIT_PREVIOUS_PUBLIC_KEYS`.
    pub checkpoints_other_key: u64,
    /// Of those, legacy HMAC checkpoints (before Ed25519), verified with the secret.
    pub checkpoints_legacy_hmac: u64,
    /// The newest checkpoint.
    pub last_checkpoint: Option<u64>,
    /// The first problem.
    pub problem: Option<AuditProblemView>,
    /// Kept balances compared with the journal.
    pub balances_checked: u64,
    /// Each kept balance that differs from its journal.
    pub balance_differences: Vec<BalanceDifferenceView>,
}

/// Verify the audit chain (admins and auditors).
#[utoipa::path(
    get, path = "/api/v1/audit/verify", operation_id = "verifyAudit", tag = "audit",
    responses(
        (status = 200, description = "The report (`ok: false` names the first bad entry)", body = AuditReportView),
        super::problems::ReadProblems,
        (status = 403, description = "Only admins and auditors", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn verify(
    State(state): State<AppState>,
    _verifier: Verifier,
) -> Result<Response, ApiError> {
    Ok(json_response(200, &verify_view(&state).await?))
}

/// Verifies the chain and the kept balances, as `GET /api/v1/audit/verify` answers (the audit
/// page shows the same).
pub(crate) async fn verify_view(state: &AppState) -> Result<AuditReportView, ApiError> {
    let report = state
        .database()
        .audit_verify(state.checkpoint_key())
        .await?;
    let view = AuditReportView {
        ok: report.is_ok(),
        entries: report.entries,
        head: report.head,
        public_key: report.public_key,
        checkpoints_verified: report.checkpoints_verified,
        checkpoints_other_key: report.checkpoints_other_key,
        checkpoints_legacy_hmac: report.checkpoints_legacy_hmac,
        last_checkpoint: report.last_checkpoint,
        problem: report.problem.map(|p| AuditProblemView {
            seq: p.seq,
            reason: p.reason,
        }),
        balances_checked: report.balances_checked,
        balance_differences: report
            .balance_differences
            .into_iter()
            .map(|d| BalanceDifferenceView {
                account: d.account,
                currency: d.currency,
                kept_minor: d.kept_minor,
                journal_minor: d.journal_minor,
            })
            .collect(),
    };
    Ok(view)
}
