//! `/healthz`, `/readyz`, `/metrics`: what orchestrators and monitoring ask.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::AppState;
use crate::problem::Problem;
use crate::telemetry::ErrorCause;

/// How long readiness waits for the database. A probe that hangs is worse than one that
/// says no: orchestrators time out probes after one to a few seconds.
const READINESS_DATABASE_TIMEOUT: Duration = Duration::from_secs(2);

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process is alive and answering; says nothing about its dependencies. The body is
/// written once (`{"status":"ok","version":…}`): probes call this often.
async fn healthz(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        state.healthz_body(),
    )
        .into_response()
}

/// Ready for traffic: not draining, writes go through, the database answers and the schema is
/// current. Not ready: 503 `application/problem+json` whose `type` names the reason
/// (`draining`, `writes-failing`, `unavailable`) and whose `detail` says what is wrong.
///
/// Whether writes go through is what this process's last write found (the ledger writer
/// records every outcome, and while writes fail it tries an empty batch every second), so the
/// probe itself never writes and costs no more than a ping.
async fn readyz(State(state): State<AppState>) -> Response {
    let unready = |slug: &str, detail: String, cause: Option<String>| {
        let mut response =
            Problem::new(StatusCode::SERVICE_UNAVAILABLE, slug, detail).into_response();
        if let Some(cause) = cause {
            response.extensions_mut().insert(ErrorCause::new(cause));
        }
        response
    };
    if state.is_draining() {
        return unready(
            "draining",
            "this instance is shutting down".to_owned(),
            None,
        );
    }
    let database = state.database();
    if let Some(failing) = database.write_health().failing() {
        return unready("writes-failing", failing.to_string(), Some(failing.cause));
    }
    match tokio::time::timeout(READINESS_DATABASE_TIMEOUT, database.ping()).await {
        Err(_) => {
            return unready(
                "unavailable",
                "the database did not answer in time".to_owned(),
                None,
            );
        }
        Ok(Err(err)) => {
            return unready(
                "unavailable",
                "the database is unreachable".to_owned(),
                Some(storage::error_chain(&err)),
            );
        }
        Ok(Ok(())) => {}
    }
    if !state.schema_known_current() {
        match database.schema_status().await {
            Ok(status) if status.is_current() => state.mark_schema_current(),
            Ok(status) => {
                let detail = format!(
                    "{} migration(s) pending: run `donation_platform migrate`",
                    status.pending.len()
                );
                return unready("unavailable", detail, None);
            }
            Err(err) => {
                return unready(
                    "unavailable",
                    "cannot read the schema version".to_owned(),
                    Some(storage::error_chain(&err)),
                );
            }
        }
    }
    Json(json!({ "status": "ready", "version": state.version() })).into_response()
}

/// `/metrics` on the main port, where the configuration allows it (see [`crate::scrape`]).
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    crate::scrape::serve(&state, &headers, crate::scrape::Listener::Main)
}
