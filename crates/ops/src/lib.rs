//! Release mechanics: how the process is laid out on disk, started, signalled and stopped.
//!
//! Nothing here knows about HTTP handlers or SQL (no axum, no sqlx): these are the pieces an
//! OTP release gets from its boot scripts and ERTS, done in-process. The control socket,
//! daemonizing, listener hand-off and `sd_notify` grow here.

pub mod layout;
pub mod signals;
