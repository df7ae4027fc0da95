//! Turning the operating system's stop requests into one future.

/// Why the process was asked to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopSignal {
    /// `SIGTERM`: systemd, Kubernetes, `kill`, `donation_platform stop`.
    Terminate,
    /// `SIGINT`: Ctrl-C in a terminal.
    Interrupt,
}

impl StopSignal {
    /// The conventional signal name, for logs.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            StopSignal::Terminate => "SIGTERM",
            StopSignal::Interrupt => "SIGINT",
        }
    }
}

/// Resolves when the process receives `SIGTERM` or `SIGINT`.
///
/// Installs the handlers when called, so call it before the server starts accepting: a
/// signal that arrives after that is never lost to the default action (exit without drain).
pub fn stop_requested() -> std::io::Result<impl Future<Output = StopSignal>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => StopSignal::Terminate,
            _ = interrupt.recv() => StopSignal::Interrupt,
        }
    })
}
