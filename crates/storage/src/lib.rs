//! Storage: SQLite (the embedded default) and PostgreSQL behind one repository API.
//!
//! Callers hold a [`Database`] and never see which backend is underneath; each backend has
//! its own SQL and its own embedded, forward-only migrations (`migrations/<backend>/`).
//! Money is stored as integers in minor units and financial tables are append-only, enforced
//! by database triggers.

mod database;
mod error;
pub mod health;
pub mod ledger;
mod migrations;
pub mod reports;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod views;

pub use database::{Backend, ConnectOptions, Database, PoolStats};
pub use error::{StorageError, WriteFailure, chain as error_chain};
pub use migrations::{MigrationReport, SchemaStatus};
