//! Routes that exist only in debug builds, for tests of the server itself (a request that
//! is still in flight when the process is told to stop). Release builds never have them.

use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::routing::get;

use crate::AppState;

/// The longest a debug sleep may last, so a typo cannot hold a test for an hour.
const SLEEP_MS_MAX: u64 = 30_000;

pub fn routes() -> Router<AppState> {
    Router::new().route("/_debug/sleep/{ms}", get(sleep))
}

async fn sleep(Path(ms): Path<u64>) -> String {
    let ms = ms.min(SLEEP_MS_MAX);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    format!("slept {ms} ms\n")
}
