//! `daemon`: the instance in the background, returning once it is ready.

use std::io::{Read as _, Seek as _, SeekFrom};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use super::control::runtime_files;
use crate::exit::{self, Exit};
use crate::instance::DETACH_ENV;

/// How long the instance may take to become ready (migrations in dev, a slow database).
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// How many lines of the instance's log to quote when it fails to start.
const LOG_LINES_QUOTED: usize = 20;

/// Starts `start` detached, its output appended to the log in the runtime directory, and waits
/// for it to report ready over a notification socket of our own (the `sd_notify` protocol
/// `start` speaks to systemd anyway). The instance writes its log lines to that file itself
/// ([`crate::telemetry::LOG_FILE_ENV`]) and rotates it by size; its stderr points there too,
/// for what is written before logging starts (a configuration report) and panics.
pub fn run(env_file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let files = runtime_files(env_file)?;
    if ops::control::is_answering(&files.control_socket) {
        let pid = super::control::running_pid(&files)
            .map_or_else(|_| "unknown".to_owned(), |pid| pid.to_string());
        return Err(Exit::new(
            exit::UNAVAILABLE,
            format!("an instance is already running (pid {pid}): stop it first with `stop`, or replace it with `restart`"),
        )
        .into());
    }
    let log_dir = files.log_file.parent().unwrap_or(&files.dir);
    ops::layout::create_private_dir(&files.dir)
        .and_then(|()| std::fs::create_dir_all(log_dir))
        .map_err(|err| {
            anyhow::anyhow!(
                "cannot create the log directory {}: {err}",
                log_dir.display()
            )
        })?;
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(&files.log_file)
        .map_err(|err| {
            anyhow::anyhow!("cannot open the log {}: {err}", files.log_file.display())
        })?;
    let log_start = log.seek(SeekFrom::End(0))?;
    // Absolute: `sd_notify` ignores a relative `NOTIFY_SOCKET` (the default `./data` made the
    // instance's READY=1 go nowhere and `daemon` wait out its 60 s).
    let notify_path = std::path::absolute(
        files
            .dir
            .join(format!("daemon.{}.notify", std::process::id())),
    )?;
    std::fs::remove_file(&notify_path).ok();
    let notifications = UnixDatagram::bind(&notify_path)?;
    notifications.set_read_timeout(Some(Duration::from_millis(50)))?;
    let mut command = Command::new(std::env::current_exe()?);
    if let Some(path) = env_file {
        command.arg("--env-file").arg(path);
    }
    let spawned = command
        .arg("start")
        .env(DETACH_ENV, "1")
        .env(crate::telemetry::LOG_FILE_ENV, &files.log_file)
        .env(ops::notify::NOTIFY_SOCKET, &notify_path)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log.try_clone()?)
        .spawn();
    let outcome = spawned
        .map_err(anyhow::Error::from)
        .and_then(|mut child| wait_ready(&mut child, &notifications).map(|()| child.id()));
    std::fs::remove_file(&notify_path).ok();
    match outcome {
        Ok(pid) => {
            println!(
                "started donation_platform {} (pid {pid}); log: {}",
                crate::VERSION,
                files.log_file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            let tail = log_tail(&mut log, log_start);
            Err(anyhow::anyhow!(
                "{err}; its log ({}) says:\n{tail}",
                files.log_file.display()
            ))
        }
    }
}

fn wait_ready(child: &mut std::process::Child, notifications: &UnixDatagram) -> anyhow::Result<()> {
    let deadline = Instant::now() + READY_TIMEOUT;
    let mut buffer = [0u8; 4096];
    loop {
        if let Ok(length) = notifications.recv(&mut buffer)
            && String::from_utf8_lossy(&buffer[..length])
                .lines()
                .any(|line| line == "READY=1")
        {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("the instance {status} before it was ready");
        }
        if Instant::now() >= deadline {
            ops::process::terminate(child.id()).ok();
            anyhow::bail!(
                "the instance (pid {}) was not ready within {} s, so it was stopped",
                child.id(),
                READY_TIMEOUT.as_secs()
            );
        }
    }
}

/// The last lines the instance wrote since `start`.
fn log_tail(log: &mut std::fs::File, start: u64) -> String {
    let mut written = String::new();
    if log.seek(SeekFrom::Start(start)).is_ok() {
        log.read_to_string(&mut written).ok();
    }
    let lines: Vec<&str> = written.lines().collect();
    lines[lines.len().saturating_sub(LOG_LINES_QUOTED)..].join("\n")
}
