//! The HTTP face of the platform: axum routers, request telemetry and the server loop.
//!
//! [`router`] builds the whole application from an [`AppState`]; [`server::serve`] runs it on
//! a listener until asked to stop, then drains. The binary (`cli`) wires configuration,
//! storage and this crate together; tests build the same router on port 0.

pub mod api;
pub mod client;
pub mod metrics;
pub mod pages;
mod problem;
pub mod receipts;
mod routes;
pub mod scrape;
mod security;
pub mod server;
mod state;
mod telemetry;

pub use routes::router;
pub use state::{AUTHENTICATION_TTL, AppState, ZAKAT_RATE_PER_MINUTE_DEFAULT};
pub use telemetry::with_request_id;

/// The response header carrying the request id (taken from the request when it has a sane
/// one, so ids can be followed through a proxy).
pub const REQUEST_ID_HEADER: &str = "x-request-id";
