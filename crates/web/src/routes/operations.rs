//! `/healthz`, `/readyz`, `/metrics`: what orchestrators and monitoring ask.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::{AppState, metrics};

/// How long readiness waits for the database. A probe that hangs is worse than one that
/// says no: orchestrators time out probes after one to a few seconds.
const READINESS_DATABASE_TIMEOUT: Duration = Duration::from_secs(2);

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process is alive and answering; says nothing about its dependencies.
async fn healthz(State(state): State<AppState>) -> Response {
    Json(json!({ "status": "ok", "version": state.version() })).into_response()
}

/// Ready for traffic: not draining, the database answers and the schema is current.
async fn readyz(State(state): State<AppState>) -> Response {
    let unready = |reason: &str, detail: String| {
        let body = json!({ "status": reason, "version": state.version(), "detail": detail });
        (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
    };
    if state.is_draining() {
        return unready("draining", "this instance is shutting down".to_owned());
    }
    let database = state.database();
    match tokio::time::timeout(READINESS_DATABASE_TIMEOUT, database.ping()).await {
        Err(_) => {
            return unready(
                "unavailable",
                "the database did not answer in time".to_owned(),
            );
        }
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness: database unreachable");
            return unready("unavailable", "the database is unreachable".to_owned());
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
                return unready("unavailable", detail);
            }
            Err(err) => {
                tracing::warn!(error = %err, "readiness: cannot read the schema version");
                return unready("unavailable", "cannot read the schema version".to_owned());
            }
        }
    }
    Json(json!({ "status": "ready", "version": state.version() })).into_response()
}

async fn metrics(State(state): State<AppState>) -> Response {
    let text = state
        .metrics()
        .render(state.database().pool_stats(), state.connections().open());
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], text).into_response()
}
