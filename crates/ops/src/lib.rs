//! Release mechanics: how the process is laid out on disk, installed from a tarball, started,
//! signalled, controlled, replaced and stopped.
//!
//! Nothing here knows about HTTP handlers or SQL (no axum, no sqlx): these are the pieces an
//! OTP release gets from its boot scripts and ERTS, done in-process.

pub mod control;
pub mod handoff;
pub mod layout;
pub mod listeners;
pub mod notify;
pub mod process;
pub mod release;
pub mod signals;
pub mod systemd;
pub mod tarball;
