//! The `donation_platform` binary: command-line parsing, runtime configuration, logging,
//! and the wiring of storage and web into a running server.
//!
//! `main.rs` only calls [`run`]; everything lives here so that tests can build the same
//! application the binary serves.

pub mod app;
mod cli;
pub mod commands;
pub mod config;
pub mod exit;
pub mod instance;
pub mod telemetry;

pub use cli::run;

/// This build's release version: `DONATION_PLATFORM_VERSION` at build time, else the crate's.
pub const VERSION: &str = match option_env!("DONATION_PLATFORM_VERSION") {
    Some(version) => version,
    None => env!("CARGO_PKG_VERSION"),
};
