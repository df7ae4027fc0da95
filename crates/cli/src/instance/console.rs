//! The console commands an instance answers on its control socket (`remote`, `rpc`,
//! `console`), and the replacement requests (`restart`, `upgrade`, `rollback`).

use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::Instant;

use ops::control::{ControlSocket, Reply, Request, Session};
use ops::handoff::Message;
use ops::layout::RuntimeFiles;
use ops::notify::Notifier;
use ops::release::{Program, Version};
use tokio::sync::oneshot;
use web::AppState;

use super::handoff::{self, Replacement};
use crate::app::App;
use crate::config::Config;

/// Every console command with what it does, as `help` prints it.
pub const COMMANDS: &[(&str, &str)] = &[
    ("status", "version, pid, uptime, connections and readiness"),
    ("pid", "this instance's process id"),
    ("config", "the effective configuration, secrets redacted"),
    (
        "stats",
        "requests answered, connections, database pool, memory",
    ),
    (
        "audit verify",
        "recompute the audit chain and check its signed checkpoints",
    ),
    (
        "log-level <filter>",
        "change the running log filter (`debug`, `info,sqlx=warn`)",
    ),
    ("connections", "client connections open and accepted"),
    (
        "drain",
        "answer /readyz 503 and close keep-alive connections after their next response",
    ),
    ("help", "this list"),
];

/// What the control socket serves.
pub struct Console {
    state: AppState,
    address: SocketAddr,
    /// The effective configuration as `config` prints it, secrets redacted.
    config: String,
    started: Instant,
    pub(super) notifier: Arc<Notifier>,
    pub(super) files: RuntimeFiles,
    pub(super) listener: OwnedFd,
    pub(super) restart: Program,
    /// This instance's release version.
    pub(super) version: Version,
    pub(super) replacement: Replacement,
    handed_over: std::sync::Mutex<Option<oneshot::Sender<()>>>,
}

impl Console {
    /// The console of `app`, configured by `config`; `restart` is how to start a successor of
    /// this release.
    pub fn new(
        config: &Config,
        app: &App,
        notifier: Arc<Notifier>,
        files: RuntimeFiles,
        restart: Program,
        handed_over: oneshot::Sender<()>,
    ) -> std::io::Result<Console> {
        Ok(Console {
            state: app.state().clone(),
            address: app.local_addr()?,
            config: crate::commands::two_columns(
                crate::commands::config::effective(config)
                    .iter()
                    .map(|(name, value)| (*name, value.as_str())),
            ),
            started: Instant::now(),
            notifier,
            files,
            listener: app.listener_fd()?,
            version: restart.version.clone(),
            restart,
            replacement: Replacement::default(),
            handed_over: std::sync::Mutex::new(Some(handed_over)),
        })
    }

    /// Accepts control connections until the process ends.
    pub async fn serve(self: Arc<Self>, control: ControlSocket) {
        loop {
            match control.accept().await {
                Ok(session) => {
                    tokio::spawn(Arc::clone(&self).converse(session));
                }
                Err(err) => {
                    tracing::warn!(error = %err, "control socket accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }

    /// Answers one connection's requests until it hangs up.
    async fn converse(self: Arc<Self>, mut session: Session) {
        while let Ok(Some(request)) = session.next_request().await {
            let reply = match request {
                Request::Command(line) => {
                    let line = line.trim();
                    let (name, argument) = line.split_once(' ').unwrap_or((line, ""));
                    self.execute(name, argument.trim()).await
                }
                Request::Handoff(Message::Takeover) => {
                    // The rest of this conversation belongs to the replacement in progress.
                    handoff::give_listener(&self, session).await;
                    return;
                }
                Request::Handoff(Message::Replace(request)) => {
                    handoff::replace(&self, request).await
                }
                Request::Handoff(Message::TakeoverFailed { reason }) => {
                    handoff::record_failure(&self, session.peer(), &reason)
                }
                Request::Handoff(Message::Ready { .. } | Message::Installed) => Reply::error(
                    "`ready` and `installed` come only from a successor after `takeover`",
                ),
            };
            if session.reply(&reply).await.is_err() {
                return;
            }
        }
    }

    async fn execute(&self, name: &str, argument: &str) -> Reply {
        match (name, argument) {
            ("status", "") => Reply::ok(self.status()),
            ("pid", "") => Reply::ok(std::process::id().to_string()),
            ("config", "") => Reply::ok(self.config.clone()),
            ("stats", "") => Reply::ok(self.stats()),
            ("audit", "verify") => self.audit_verify().await,
            ("log-level", "") => Reply::error("log-level needs a filter: `log-level debug`"),
            ("log-level", filter) => match crate::telemetry::set_level(filter) {
                Ok(()) => {
                    tracing::info!(filter, "log filter changed from the console");
                    Reply::ok(format!("log filter is now {filter}"))
                }
                Err(reason) => Reply::error(reason),
            },
            ("connections", "") => Reply::ok(self.connections()),
            ("drain", "") => {
                self.state.begin_drain();
                tracing::info!("draining on request from the console");
                Reply::ok(
                    "draining: /readyz answers 503 and connections close after their next response; `stop` finishes",
                )
            }
            ("help", "") => Reply::ok(help()),
            _ => Reply::error(format!(
                "unknown command `{}`: type `help` for the list",
                format!("{name} {argument}").trim()
            )),
        }
    }

    /// Starts this instance's drain after a successor took over.
    pub(super) fn hand_over(&self) {
        let sender = self
            .handed_over
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(sender) = sender {
            sender.send(()).ok();
        }
    }

    fn status(&self) -> String {
        let connections = self.state.connections();
        let readiness = if self.state.is_draining() {
            "draining"
        } else {
            "ready"
        };
        format!(
            "version: {}\npid: {}\naddress: {}\nuptime: {}\nconnections: {}\nstate: {readiness}\nbackend: {}",
            self.state.version(),
            std::process::id(),
            self.address,
            uptime(self.started.elapsed().as_secs()),
            connections.open(),
            self.state.database().backend().name(),
        )
    }

    fn stats(&self) -> String {
        let (answered, server_errors) = self.state.metrics().answered();
        let pool = self.state.database().pool_stats();
        let connections = self.state.connections();
        format!(
            "requests answered: {answered} ({server_errors} with 5xx)\nconnections: {} open, {} accepted\ndatabase pool: {} open, {} idle, {} max\nmemory (RSS): {}\nuptime: {}",
            connections.open(),
            connections.accepted(),
            pool.open,
            pool.idle,
            pool.max,
            resident_memory().unwrap_or_else(|| "unknown".to_owned()),
            uptime(self.started.elapsed().as_secs()),
        )
    }

    fn connections(&self) -> String {
        let connections = self.state.connections();
        format!(
            "{} open, {} accepted since start",
            connections.open(),
            connections.accepted()
        )
    }

    async fn audit_verify(&self) -> Reply {
        match self
            .state
            .database()
            .audit_verify(self.state.checkpoint_key())
            .await
        {
            Ok(report) => {
                let text = crate::commands::audit::describe(&report);
                if report.is_ok() {
                    Reply::ok(text)
                } else {
                    Reply::error(text)
                }
            }
            Err(err) => Reply::error(format!(
                "cannot read the audit chain: {}",
                storage::error_chain(&err)
            )),
        }
    }
}

fn help() -> String {
    crate::commands::two_columns(COMMANDS.iter().copied())
}

fn uptime(seconds: u64) -> String {
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if hours > 0 {
        format!("{hours}h{minutes:02}m{seconds:02}s")
    } else if minutes > 0 {
        format!("{minutes}m{seconds:02}s")
    } else {
        format!("{seconds}s")
    }
}

/// `VmRSS` from `/proc/self/status`, as the kernel words it (`11520 kB`).
fn resident_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .map(|value| value.trim().to_owned())
}
