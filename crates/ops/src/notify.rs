//! The systemd notification protocol (`sd_notify(3)`): `READY=1`, `STATUS=…`, `STOPPING=1`,
//! `WATCHDOG=1`, `RELOADING=1`, `MAINPID=…`.
//!
//! The protocol is one datagram of `KEY=value` lines to the socket named by `NOTIFY_SOCKET`,
//! which std's `UnixDatagram` sends (including to Linux abstract addresses); a crate would add
//! a dependency for ten lines. With no `NOTIFY_SOCKET` every call is a no-op, so `start` behaves
//! the same by hand, under systemd and under `daemon` (which listens on a socket of its own).

use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::path::Path;
use std::time::Duration;

/// The environment variable naming the socket to notify.
pub const NOTIFY_SOCKET: &str = "NOTIFY_SOCKET";

/// Sends state changes to the service manager, if there is one.
#[derive(Debug)]
pub struct Notifier {
    target: Option<(UnixDatagram, SocketAddr)>,
}

impl Notifier {
    /// A notifier for the socket in `NOTIFY_SOCKET`, or a silent one without it.
    #[must_use]
    pub fn from_env() -> Notifier {
        let target = std::env::var_os(NOTIFY_SOCKET).and_then(|name| {
            let address = address_of(name.to_str()?)?;
            Some((UnixDatagram::unbound().ok()?, address))
        });
        Notifier { target }
    }

    /// Sends `state` (newline-separated `KEY=value` assignments). A manager that went away is
    /// not our failure: the error is logged, never returned.
    pub fn notify(&self, state: &str) {
        let Some((socket, address)) = &self.target else {
            return;
        };
        if let Err(err) = socket.send_to_addr(state.as_bytes(), address) {
            tracing::debug!(error = %err, "service manager notification not delivered");
        }
    }

    /// The instance is ready to serve.
    pub fn ready(&self, status: &str) {
        self.notify(&format!("READY=1\nSTATUS={}", one_line(status)));
    }

    /// The service is stopping (not handing over: a successor does not stop the service).
    pub fn stopping(&self, status: &str) {
        self.notify(&format!("STOPPING=1\nSTATUS={}", one_line(status)));
    }

    /// The instance is being replaced; `READY=1` ends this state.
    pub fn reloading(&self, status: &str) {
        self.notify(&format!(
            "RELOADING=1\nMONOTONIC_USEC={}\nSTATUS={}",
            monotonic_usec(),
            one_line(status)
        ));
    }

    /// Process `pid` is the service's main process from now on, and it is ready.
    pub fn main_pid_ready(&self, pid: u32, status: &str) {
        self.notify(&format!(
            "MAINPID={pid}\nREADY=1\nSTATUS={}",
            one_line(status)
        ));
    }

    /// The watchdog keep-alive.
    pub fn watchdog(&self) {
        self.notify("WATCHDOG=1");
    }
}

/// A `STATUS=` value: one line, no control characters. A newline would start an assignment of
/// its own (`READY=1`, `MAINPID=`), so whatever the caller passes cannot add one.
fn one_line(status: &str) -> String {
    status
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// How often to send `WATCHDOG=1`: half the `WATCHDOG_USEC` the manager set, if it set one for
/// this process (`WATCHDOG_PID` absent or ours).
#[must_use]
pub fn watchdog_interval() -> Option<Duration> {
    if let Ok(pid) = std::env::var("WATCHDOG_PID")
        && pid.parse::<u32>().ok() != Some(std::process::id())
    {
        return None;
    }
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec / 2))
}

/// `NOTIFY_SOCKET` is a path, or a Linux abstract name written with a leading `@`.
fn address_of(name: &str) -> Option<SocketAddr> {
    if let Some(abstract_name) = name.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        return SocketAddr::from_abstract_name(abstract_name.as_bytes()).ok();
    }
    name.starts_with('/')
        .then(|| SocketAddr::from_pathname(Path::new(name)).ok())
        .flatten()
}

/// `CLOCK_MONOTONIC` in microseconds, which `RELOADING=1` must carry.
fn monotonic_usec() -> u128 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    let seconds = u128::try_from(now.tv_sec).unwrap_or_default();
    let nanos = u128::try_from(now.tv_nsec).unwrap_or_default();
    seconds * 1_000_000 + nanos / 1_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_arrive_as_one_datagram_each() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let listener = UnixDatagram::bind(&path).unwrap();
        let notifier = Notifier {
            target: Some((
                UnixDatagram::unbound().unwrap(),
                SocketAddr::from_pathname(&path).unwrap(),
            )),
        };
        notifier.ready("serving");
        notifier.main_pid_ready(42, "handed over");
        let mut buffer = [0; 256];
        let length = listener.recv(&mut buffer).unwrap();
        assert_eq!(&buffer[..length], b"READY=1\nSTATUS=serving");
        let length = listener.recv(&mut buffer).unwrap();
        assert_eq!(
            &buffer[..length],
            b"MAINPID=42\nREADY=1\nSTATUS=handed over"
        );
    }

    #[test]
    fn a_status_can_never_add_an_assignment() {
        assert_eq!(
            one_line("serving 0.2.0\nMAINPID=1\r\u{0}"),
            "serving 0.2.0 MAINPID=1  "
        );
    }

    #[test]
    fn only_paths_and_abstract_names_are_addresses() {
        assert!(address_of("/run/systemd/notify").is_some());
        assert!(address_of("@abstract").is_some());
        assert!(address_of("relative/path").is_none());
    }
}
