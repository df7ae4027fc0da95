//! Zero-downtime replacement: `restart`, `upgrade`, `rollback`.
//!
//! The running instance (the predecessor) starts the new process itself, so that under
//! systemd it lands in the service's cgroup, and tells it where to ask for the listener
//! (`DONATION_PLATFORM_TAKEOVER`, the predecessor's control socket). The successor:
//!
//! 1. connects and sends `Takeover`; the reply carries the listening socket (`SCM_RIGHTS`), so
//!    the kernel's accept queue is shared and no connection is ever refused;
//! 2. builds its application on it (database, schema check, ledger writer) and starts
//!    accepting, next to the predecessor;
//! 3. sends `Ready { version }`; the predecessor tells systemd `MAINPID=<successor>` + `READY=1`
//!    and answers;
//! 4. moves its control socket over the well-known path, writes the pid file and sends
//!    `Installed`; the predecessor answers, reports to whoever asked for the replacement, stops
//!    accepting and drains.
//!
//! If the successor exits, or is not ready within the bound, the predecessor stops it, tells
//! systemd `READY=1` again and goes on serving: it never stopped accepting.
//!
//! The messages are typed ([`ops::handoff::Message`]); this module is the instance's side of
//! them: starting and watching the successor, passing the listener, telling systemd.

use std::os::fd::AsFd as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ops::control::{Client, ControlSocket, Peer, Reply, Request, Session};
use ops::handoff::{Message, ReplaceRequest, Replaced, TAKEOVER_ENV};
use ops::layout::RuntimeFiles;
use ops::release::{Program, Version};
use tokio::process::Command;
use tokio::sync::oneshot;

use super::console::Console;
use crate::exit::{self, Exit};

/// How long a successor may take to become ready when the request names no bound.
pub const READY_TIMEOUT_DEFAULT: Duration = Duration::from_secs(30);

/// How long a failed successor gets to exit on `SIGTERM` before `SIGKILL`.
const FAILED_SUCCESSOR_STOP: Duration = Duration::from_secs(5);

/// How long a ready successor may take to install itself (rename a socket, write a file).
const INSTALL_TIMEOUT: Duration = Duration::from_secs(10);

/// The replacement in progress, if any: only one at a time.
#[derive(Default)]
pub struct Replacement {
    busy: tokio::sync::Mutex<()>,
    expected: std::sync::Mutex<Option<Expected>>,
}

/// The successor the predecessor waits for.
struct Expected {
    pid: u32,
    /// Why it failed, if it said so before exiting.
    failure: Option<String>,
    /// Where to pass the conversation once it reports ready.
    ready: Option<oneshot::Sender<(Session, Version)>>,
}

impl Replacement {
    fn expected(&self) -> std::sync::MutexGuard<'_, Option<Expected>> {
        self.expected
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Runs a `replace` request: starts the successor, waits for it, and either hands over or
/// keeps serving. The reply is a [`Replaced`] as JSON, or the reason it failed.
///
/// The request names a version, never a program: the successor is this instance's own
/// program (`restart`) or `releases/<version>/donation_platform` of its own release root,
/// checked by [`ops::release::ReleaseRoot::successor`].
pub async fn replace(console: &Console, request: ReplaceRequest) -> Reply {
    let Ok(_busy) = console.replacement.busy.try_lock() else {
        return Reply::error(
            "a replacement is already in progress: wait for it to finish, then try again",
        );
    };
    let program = match &request.version {
        None => console.restart.clone(),
        Some(version) => match ops::release::ReleaseRoot::of_current_exe() {
            Some(root) => match root.successor(version) {
                Ok(program) => program,
                Err(err) => return Reply::error(format!("{err}; this instance keeps serving")),
            },
            None => {
                return Reply::error(
                    "this instance does not run from a release root (<root>/releases/<version>/), so it can only `restart` itself",
                );
            }
        },
    };
    let ready_timeout = request
        .ready_timeout_s
        .map_or(READY_TIMEOUT_DEFAULT, Duration::from_secs);
    let started = Instant::now();
    console
        .notifier
        .reloading(&format!("replacing with version {}", program.version));
    tracing::info!(program = %program.program.display(), version = %program.version, "starting a successor");
    let version = &console.version;
    match run_successor(console, &program, ready_timeout).await {
        Ok((new_pid, new_version)) => {
            let replaced = Replaced {
                old_pid: std::process::id(),
                old_version: version.clone(),
                new_pid,
                new_version,
                handoff_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            };
            tracing::info!(?replaced, "handed over");
            console.hand_over();
            Reply::ok(serde_json::to_string(&replaced).unwrap_or_default())
        }
        Err(reason) => {
            tracing::warn!(%reason, "replacement failed; this instance keeps serving");
            console.notifier.ready(&format!(
                "serving version {version} (pid {}); replacement failed",
                std::process::id()
            ));
            Reply::error(format!(
                "{reason}; this instance (pid {}, version {version}) keeps serving",
                std::process::id(),
            ))
        }
    }
}

/// Starts the successor and sees it through to installed; its pid and version.
async fn run_successor(
    console: &Console,
    program: &Program,
    ready_timeout: Duration,
) -> Result<(u32, Version), String> {
    let (ready, is_ready) = oneshot::channel();
    let mut child = {
        // Held while spawning, so the successor's `takeover` cannot arrive before we expect it.
        let mut expected = console.replacement.expected();
        let child = Command::new(&program.program)
            .args(&program.args)
            .env(TAKEOVER_ENV, &console.files.control_socket)
            // Whoever runs the successor's watchdog, it is not the predecessor's pid.
            .env_remove("WATCHDOG_PID")
            .stdin(std::process::Stdio::null())
            .spawn()
            .map_err(|err| format!("cannot start {}: {err}", program.program.display()))?;
        *expected = Some(Expected {
            pid: child.id().unwrap_or_default(),
            failure: None,
            ready: Some(ready),
        });
        child
    };
    let pid = child.id().unwrap_or_default();
    let outcome = tokio::select! {
        status = child.wait() => Err(exited(console, pid, status)),
        () = tokio::time::sleep(ready_timeout) => Err(format!(
            "the new process (pid {pid}) was not ready within {} s, so it was stopped",
            ready_timeout.as_secs()
        )),
        conversation = is_ready => match conversation {
            Ok((session, version)) => install(console, session, pid, version).await,
            // It hung up: it is exiting, and may have said why.
            Err(_) => match tokio::time::timeout(FAILED_SUCCESSOR_STOP, child.wait()).await {
                Ok(status) => Err(exited(console, pid, status)),
                Err(_) => Err(format!("the new process (pid {pid}) hung up before it was ready")),
            },
        },
    };
    *console.replacement.expected() = None;
    if outcome.is_err() {
        stop_failed(&mut child, pid).await;
    }
    outcome
}

/// Why the successor exited: its exit status, and its own words if it sent them.
fn exited(
    console: &Console,
    pid: u32,
    status: std::io::Result<std::process::ExitStatus>,
) -> String {
    let said = console
        .replacement
        .expected()
        .as_mut()
        .and_then(|expected| expected.failure.take());
    let status = status.map_or_else(|err| err.to_string(), |status| status.to_string());
    format!(
        "the new process (pid {pid}) exited ({status}) before it was ready: {}",
        said.unwrap_or_else(|| "see its log for why".to_owned())
    )
}

/// The successor is ready: make it the main process, let it take the well-known paths.
async fn install(
    console: &Console,
    mut session: Session,
    pid: u32,
    version: Version,
) -> Result<(u32, Version), String> {
    console.notifier.main_pid_ready(
        pid,
        &format!(
            "serving version {version} (pid {pid}), took over from pid {}",
            std::process::id()
        ),
    );
    let installed = async {
        session.reply(&Reply::ok("take over")).await?;
        let request = session.next_request().await?;
        session.reply(&Reply::ok("bye")).await?;
        Ok::<_, std::io::Error>(request == Some(Request::Handoff(Message::Installed)))
    };
    if let Ok(Ok(true)) = tokio::time::timeout(INSTALL_TIMEOUT, installed).await {
        return Ok((pid, version));
    }
    // Give the service back to ourselves before saying so.
    console.notifier.main_pid_ready(
        std::process::id(),
        &format!(
            "serving version {} (pid {})",
            console.version,
            std::process::id()
        ),
    );
    Err(format!(
        "the new process (pid {pid}) did not finish taking over"
    ))
}

/// Stops a successor that failed: `SIGTERM`, then `SIGKILL` if it lingers.
async fn stop_failed(child: &mut tokio::process::Child, pid: u32) {
    if child.try_wait().ok().flatten().is_some() {
        return;
    }
    ops::process::terminate(pid).ok();
    if tokio::time::timeout(FAILED_SUCCESSOR_STOP, child.wait())
        .await
        .is_err()
    {
        child.kill().await.ok();
    }
}

/// Answers a successor's `takeover`: the listener, then its `ready`.
pub async fn give_listener(console: &Console, mut session: Session) {
    let peer = session.peer();
    let ready = {
        let mut expected = console.replacement.expected();
        match expected.as_mut() {
            Some(expected) if Some(expected.pid) == peer.pid => expected.ready.take(),
            _ => None,
        }
    };
    let Some(ready) = ready else {
        let refusal =
            Reply::error("no replacement is waiting for this process: use `restart` or `upgrade`");
        session.reply(&refusal).await.ok();
        return;
    };
    let reply = Reply::ok("listener");
    if let Err(err) = session
        .reply_with_fds(&reply, &[console.listener.as_fd()])
        .await
    {
        tracing::warn!(error = %err, "could not pass the listener to the successor");
        return;
    }
    // The successor now builds its application; its next word is `Ready`.
    if let Ok(Some(Request::Handoff(Message::Ready { version }))) = session.next_request().await {
        ready.send((session, version)).ok();
    }
}

/// Records why the expected successor is about to exit, to report it.
pub fn record_failure(console: &Console, peer: Peer, reason: &str) -> Reply {
    let mut expected = console.replacement.expected();
    match expected.as_mut() {
        Some(expected) if Some(expected.pid) == peer.pid => {
            expected.failure = Some(ops::handoff::one_line(reason));
            Reply::ok("noted")
        }
        _ => Reply::error("no replacement is waiting for this process"),
    }
}

/// The predecessor's control socket, if this process was started as a successor.
#[must_use]
pub fn predecessor_socket() -> Option<PathBuf> {
    std::env::var_os(TAKEOVER_ENV).map(PathBuf::from)
}

/// A successor's side of the conversation with its predecessor.
pub struct Predecessor {
    client: Client,
}

impl Predecessor {
    /// Asks the predecessor at `path` for its listener.
    pub fn connect(path: &Path) -> anyhow::Result<(Predecessor, std::net::TcpListener)> {
        let path = path.to_owned();
        let failure = |reason: String| -> anyhow::Error {
            Exit::new(
                exit::UNAVAILABLE,
                format!("cannot take over from the running instance: {reason}"),
            )
            .into()
        };
        tokio::task::block_in_place(|| {
            let mut client = Client::connect(&path)
                .map_err(|err| failure(format!("{}: {err}", path.display())))?;
            let (reply, fds) = client
                .request_fds(&Request::Handoff(Message::Takeover))
                .map_err(|err| failure(err.to_string()))?;
            if !reply.ok {
                return Err(failure(reply.output));
            }
            let listener = fds
                .into_iter()
                .next()
                .ok_or_else(|| failure("it passed no listener".to_owned()))?;
            Ok((
                Predecessor { client },
                std::net::TcpListener::from(listener),
            ))
        })
    }

    /// Reports ready as `version`; once the predecessor agrees, takes over the control socket
    /// path and the pid file, and says so.
    pub fn take_over(
        mut self,
        version: &Version,
        control: &mut ControlSocket,
        files: &RuntimeFiles,
    ) -> anyhow::Result<()> {
        tokio::task::block_in_place(|| {
            let ready = Message::Ready {
                version: version.clone(),
            };
            let reply = self.client.request(&Request::Handoff(ready))?;
            anyhow::ensure!(
                reply.ok,
                "the running instance refused the hand-over: {}",
                reply.output
            );
            control.rename_to(&files.control_socket)?;
            ops::process::write_pid_file(&files.pid_file, std::process::id())?;
            self.client.request(&Request::Handoff(Message::Installed))?;
            Ok(())
        })
    }
}

/// Tells the predecessor, if this is a successor, why it is about to exit.
pub fn report_start_failure(message: &str) {
    let Some(path) = predecessor_socket() else {
        return;
    };
    if let Ok(mut client) = Client::connect(&path) {
        let failed = Message::TakeoverFailed {
            reason: ops::handoff::one_line(message),
        };
        client.request(&Request::Handoff(failed)).ok();
    }
}
