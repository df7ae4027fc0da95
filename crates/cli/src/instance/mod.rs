//! A running instance: what `start`, `console` and a `daemon`'s child run.
//!
//! Beyond the HTTP server (`app`), an instance owns its control socket (the console commands,
//! see [`console`]), reports to the service manager (`sd_notify`), and can hand its listening
//! socket to a successor (see [`handoff`]) for `restart`, `upgrade` and `rollback`.

mod console;
pub mod handoff;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use ops::control::{BindError, ControlSocket};
use ops::layout::RuntimeFiles;
use ops::notify::Notifier;
use ops::release::{Program, Version};
use tokio::sync::oneshot;

use crate::app::App;
use crate::commands::{load_config, runtime};
use crate::config::Config;
use crate::exit::{self, Exit};

pub use console::COMMANDS;

/// Set by `daemon` for its child: start a new session, away from the terminal.
pub const DETACH_ENV: &str = "DONATION_PLATFORM_DETACH";

/// Whether a console is attached to the terminal (`console`, alias `start_iex`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attach {
    /// `start`: logs only.
    Nothing,
    /// `console`: an interactive console on stdin; leaving it stops the instance.
    Console,
}

/// Why an instance stops serving.
#[derive(Debug)]
enum StopCause {
    /// `SIGTERM` or `SIGINT`, from the operator, `stop` or the service manager.
    Signal(ops::signals::StopSignal),
    /// The attached console was left.
    ConsoleClosed,
    /// A successor took over the listener; the service goes on without us.
    HandedOver,
}

/// Runs an instance until it is stopped or replaced.
pub fn run(env_file: Option<&Path>, attach: Attach) -> anyhow::Result<ExitCode> {
    if std::env::var_os(DETACH_ENV).is_some() {
        // Fails only if we lead a process group already, i.e. someone else detached us.
        ops::process::detach().ok();
    }
    let config = load_config(env_file)?;
    let _log = crate::telemetry::init(&config);
    // Before the runtime starts threads: taking the descriptors edits the environment.
    let activated = ops::listeners::from_systemd().map_err(|err| {
        Exit::new(
            exit::CONFIG,
            format!("LISTEN_FDS names a socket that is not a TCP listener ({err}): check the .socket unit's ListenStream="),
        )
    })?;
    let version = Version::parse(crate::VERSION).map_err(|err| {
        Exit::new(
            exit::CONFIG,
            format!("this build's version {err}; rebuild with DONATION_PLATFORM_VERSION=0.2.0"),
        )
    })?;
    let predecessor = handoff::predecessor_socket();
    runtime()?.block_on(serve(
        &config,
        env_file,
        &version,
        activated,
        predecessor,
        attach,
    ))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(
    config: &Config,
    env_file: Option<&Path>,
    version: &Version,
    activated: Option<std::net::TcpListener>,
    predecessor: Option<PathBuf>,
    attach: Attach,
) -> anyhow::Result<()> {
    let files = RuntimeFiles::in_dir(&config.runtime_dir);
    // Handlers go in before the port is bound, so no signal can hit the default action
    // (exit without drain) once clients can connect.
    let stop_requested = ops::signals::stop_requested()?;
    let notifier = Arc::new(Notifier::from_env());
    let pid = std::process::id();
    let (predecessor, inherited, mut control) = match predecessor {
        Some(path) => {
            let (predecessor, listener) = handoff::Predecessor::connect(&path)?;
            let control = bind_control(&files.successor_socket(pid))?;
            (Some(predecessor), Some(listener), control)
        }
        None => (None, activated, bind_control(&files.control_socket)?),
    };
    let app = App::build_on(config, inherited).await?;
    let (handed_over, handover_done) = oneshot::channel();
    let console = Arc::new(console::Console::new(
        config,
        &app,
        Arc::clone(&notifier),
        files.clone(),
        successor_command(env_file, version),
        handed_over,
    )?);
    let (console_closed, console_done) = oneshot::channel::<()>();
    let stop = stop_cause(stop_requested, handover_done, console_done);
    let stopping = Arc::clone(&notifier);
    let server = tokio::spawn(app.run_until(async move {
        match stop.await {
            StopCause::HandedOver => {
                tracing::info!("handed over to the successor: draining, then exiting");
            }
            cause => {
                let reason = match cause {
                    StopCause::Signal(signal) => signal.name(),
                    _ => "console closed",
                };
                tracing::info!(
                    reason,
                    "stopping: no new connections, draining requests in flight"
                );
                stopping.stopping("stopping: draining requests in flight");
            }
        }
    }));
    let status = format!("serving version {version} (pid {pid})");
    if let Some(predecessor) = predecessor {
        predecessor.take_over(version, &mut control, &files)?;
    } else {
        ops::process::write_pid_file(&files.pid_file, pid)?;
        notifier.ready(&status);
    }
    tracing::info!(version = crate::VERSION, pid, control = %files.control_socket.display(), "ready");
    tokio::spawn(Arc::clone(&console).serve(control));
    if let Some(interval) = ops::notify::watchdog_interval() {
        tokio::spawn(watchdog(Arc::clone(&notifier), interval));
    }
    if attach == Attach::Console {
        let socket = files.control_socket.clone();
        let history = files.console_history.clone();
        // A thread of its own, not the runtime's blocking pool: the runtime waits for its
        // blocking tasks when it shuts down, and a console waiting for input would hold it.
        std::thread::spawn(move || {
            crate::commands::control::repl(&socket, &history);
            console_closed.send(()).ok();
        });
    }
    server.await?;
    ops::process::remove_pid_file(&files.pid_file, pid);
    Ok(())
}

/// Binds the control socket, or says that an instance already runs.
fn bind_control(path: &Path) -> anyhow::Result<ControlSocket> {
    ControlSocket::bind(path).map_err(|err| match err {
        BindError::InUse(path) => Exit::new(
            exit::UNAVAILABLE,
            format!(
                "an instance is already running (its control socket {} answers): stop it first with `stop`, or replace it with `restart`",
                path.display()
            ),
        )
        .into(),
        BindError::Io { .. } => Exit::new(
            exit::UNAVAILABLE,
            format!("{err}: check the permissions of the runtime directory (RUNTIME_DIRECTORY, or tmp/)"),
        )
        .into(),
    })
}

/// How to start a fresh instance of this very release for `restart`: this binary, `start`,
/// the same env file (re-read by the new process).
fn successor_command(env_file: Option<&Path>, version: &Version) -> Program {
    let mut args = Vec::new();
    if let Some(path) = env_file {
        args.push("--env-file".into());
        args.push(path.as_os_str().to_owned());
    }
    args.push("start".into());
    Program {
        program: std::env::current_exe().unwrap_or_else(|_| "donation_platform".into()),
        args,
        version: version.clone(),
    }
}

/// The first of: a stop signal, the hand-over completing, the attached console closing.
async fn stop_cause(
    signal: impl Future<Output = ops::signals::StopSignal>,
    handed_over: oneshot::Receiver<()>,
    console_closed: oneshot::Receiver<()>,
) -> StopCause {
    let console_closed = async {
        if console_closed.await.is_ok() {
            return;
        }
        // No console attached: the sender is gone at once, and must not stop us.
        std::future::pending::<()>().await;
    };
    let handed_over = async {
        if handed_over.await.is_ok() {
            return;
        }
        std::future::pending::<()>().await;
    };
    tokio::select! {
        signal = signal => StopCause::Signal(signal),
        () = handed_over => StopCause::HandedOver,
        () = console_closed => StopCause::ConsoleClosed,
    }
}

/// Tells the service manager we are alive, every `interval`.
async fn watchdog(notifier: Arc<Notifier>, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    loop {
        ticks.tick().await;
        notifier.watchdog();
    }
}
