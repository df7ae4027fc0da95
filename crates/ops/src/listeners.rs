//! Listening sockets we did not bind ourselves: systemd socket activation (`LISTEN_FDS`).
//!
//! A successor process gets its listeners over the control socket instead (see
//! [`crate::control`]); both arrive here as `std::net::TcpListener`s.

use std::io;
use std::net::TcpListener;

/// Takes the TCP listener systemd passed (`LISTEN_FDS`, `LISTEN_PID` naming us), if any, and
/// removes the variables so that processes we start do not mistake it for theirs.
///
/// Call it before the async runtime starts threads: it edits the environment.
pub fn from_systemd() -> io::Result<Option<TcpListener>> {
    // listenfd validates the descriptor (a TCP stream socket) and owns the one `unsafe` step,
    // turning the inherited number into a listener.
    let mut passed = listenfd::ListenFd::from_env();
    if passed.len() == 0 {
        return Ok(None);
    }
    if passed.len() > 1 {
        tracing::warn!(
            passed = passed.len(),
            "socket activation passed several sockets; serving on the first"
        );
    }
    passed.take_tcp_listener(0)
}
