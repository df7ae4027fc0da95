//! Processes: the pid file, whether a pid is alive, asking it to stop, detaching.

use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};

/// Makes every file and directory this process creates private to its user from now on
/// (umask 077: directories 0700, files 0600), whatever the umask it was started with: the
/// database, its `-wal`/`-shm`, the generated secret and logs hold donors' personal data and
/// credentials. Files that must be readable by others (an installed release) set their mode
/// explicitly.
pub fn make_created_files_private() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

/// How often to look whether a process is gone.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// Writes `pid` to `path` in one step (a reader never sees a half-written file).
pub fn write_pid_file(path: &Path, pid: u32) -> io::Result<()> {
    crate::layout::write_atomically(path, &format!("{pid}\n"))
}

/// The pid recorded at `path`, if the file exists and holds one.
#[must_use]
pub fn read_pid_file(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Removes the pid file at `path` if it still names `pid` (a successor may have replaced it).
pub fn remove_pid_file(path: &Path, pid: u32) {
    if read_pid_file(path) == Some(pid) {
        std::fs::remove_file(path).ok();
    }
}

/// Whether process `pid` runs. A zombie (exited, not yet reaped by its parent, which for a
/// daemon is init and may take its time) does not.
#[must_use]
pub fn is_alive(pid: u32) -> bool {
    pid_of(pid).is_some_and(|pid| rustix::process::test_kill_process(pid).is_ok())
        && !is_zombie(pid)
}

/// Whether `/proc` shows `pid` as a zombie (state `Z` after the command name in `stat`).
fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    })
}

/// Sends `SIGTERM` to `pid`.
pub fn terminate(pid: u32) -> io::Result<()> {
    signal(pid, Signal::TERM)
}

/// Sends `SIGKILL` to `pid`.
pub fn kill(pid: u32) -> io::Result<()> {
    signal(pid, Signal::KILL)
}

/// Waits until `pid` is gone, at most `bound`; whether it is.
#[must_use]
pub fn wait_gone(pid: u32, bound: Duration) -> bool {
    let deadline = Instant::now() + bound;
    while is_alive(pid) {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(POLL_INTERVAL);
    }
    true
}

/// Starts a new session, leaving the terminal (and its hang-up) behind: what a daemon does
/// first. Fails if this process already leads a process group.
pub fn detach() -> io::Result<()> {
    rustix::process::setsid()?;
    Ok(())
}

/// This process's effective user id.
#[must_use]
pub fn effective_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Raises this process's soft limit on open files to its hard limit (systemd's
/// `LimitNOFILE=`, the shell's `ulimit -Hn`) and returns the limit now in force; `u64::MAX`
/// when unlimited. Each client connection takes a descriptor, and the soft limit is often
/// 1024 while the hard one is far higher.
pub fn raise_open_files_limit() -> io::Result<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        setrlimit(
            Resource::Nofile,
            Rlimit {
                current: limit.maximum,
                maximum: limit.maximum,
            },
        )?;
    }
    Ok(getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX))
}

fn signal(pid: u32, signal: Signal) -> io::Result<()> {
    let pid = pid_of(pid).ok_or_else(|| io::Error::other(format!("{pid} is not a process id")))?;
    Ok(rustix::process::kill_process(pid, signal)?)
}

fn pid_of(pid: u32) -> Option<Pid> {
    Pid::from_raw(i32::try_from(pid).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pid_file_names_the_writer_until_a_successor_replaces_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.pid");
        write_pid_file(&path, 41).unwrap();
        assert_eq!(read_pid_file(&path), Some(41));
        write_pid_file(&path, 42).unwrap();
        remove_pid_file(&path, 41);
        assert_eq!(read_pid_file(&path), Some(42));
        remove_pid_file(&path, 42);
        assert!(!path.exists());
    }

    #[test]
    fn this_process_is_alive_and_a_finished_child_is_not() {
        assert!(is_alive(std::process::id()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(wait_gone(pid, Duration::from_secs(1)));
    }
}
