//! The release commands on the real binary in a release root: `daemon`, `pid`, `rpc`,
//! `remote`, `stop`, and the control socket's protection.

use std::io::Write as _;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::release::{CURRENT, ReleaseRoot};

#[tokio::test]
async fn daemon_pid_rpc_remote_and_stop_operate_the_running_instance() {
    let release = ReleaseRoot::new().await;
    release.daemon();

    // `daemon` returned: the instance is ready now, not soon.
    let address = release.address();
    let ready = reqwest::get(format!("http://{address}/readyz"))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);

    let status = release.status();
    assert_eq!(status["version"], CURRENT);
    assert_eq!(status["state"], "ready");
    let pid = release.run(&["pid"]);
    assert_eq!(pid.code(), 0, "{}", pid.all_output());
    assert_eq!(pid.stdout.trim(), status["pid"]);
    let pid: u32 = status["pid"].parse().unwrap();
    assert_eq!(ops::process::read_pid_file(&release.pid_file()), Some(pid));

    let verified = release.run(&["rpc", "audit verify"]);
    assert_eq!(verified.code(), 0, "{}", verified.all_output());
    assert!(
        verified.stdout.contains("audit chain ok"),
        "{}",
        verified.stdout
    );
    let config = release.run(&["rpc", "config"]);
    assert!(
        config.stdout.contains("SECRET_KEY_BASE"),
        "{}",
        config.stdout
    );
    assert!(
        !config.stdout.contains(crate::support::GOOD_SECRET),
        "redacted"
    );
    let unknown = release.run(&["rpc", "reboot", "now"]);
    assert_eq!(unknown.code(), 1, "{}", unknown.all_output());
    assert!(
        unknown.stderr.contains("unknown command `reboot now`"),
        "{}",
        unknown.stderr
    );
    let level = release.run(&["rpc", "log-level", "debug"]);
    assert_eq!(level.code(), 0, "{}", level.all_output());
    let bad_level = release.run(&["rpc", "log-level", "loud[["]);
    assert_eq!(bad_level.code(), 1, "{}", bad_level.all_output());
    assert!(
        bad_level.stderr.contains("not a log filter"),
        "{}",
        bad_level.stderr
    );

    // `remote` through a pseudo-terminal: `script` gives it a real tty.
    let remote = on_terminal(&release, "remote", "status\nconnections\nquit\n");
    assert!(remote.contains("donation_platform> "), "{remote}");
    assert!(remote.contains(&format!("version: {CURRENT}")), "{remote}");
    assert!(remote.contains("accepted since start"), "{remote}");
    assert!(
        release.root.join("tmp/console_history").exists(),
        "history kept"
    );

    // One instance per release root.
    let second = release.run(&["daemon"]);
    assert_eq!(second.code(), 69, "{}", second.all_output());
    assert!(
        second
            .stderr
            .contains(&format!("already running (pid {pid})")),
        "{}",
        second.stderr
    );

    // The control socket is the owner's alone.
    let socket = release.control_socket();
    let mode = std::fs::metadata(&socket).unwrap().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let tmp_mode = std::fs::metadata(socket.parent().unwrap()).unwrap().mode() & 0o777;
    assert_eq!(tmp_mode, 0o700);
    assert_other_users_are_refused(&release);

    let stopped = release.run(&["stop"]);
    assert_eq!(stopped.code(), 0, "{}", stopped.all_output());
    assert!(
        !ops::process::is_alive(pid),
        "stop returns after the process is gone"
    );
    assert!(!socket.exists(), "the control socket is removed");
    assert!(!release.pid_file().exists(), "the pid file is removed");
    assert!(
        reqwest::get(format!("http://{address}/readyz"))
            .await
            .is_err()
    );
    let none = release.run(&["rpc", "status"]);
    assert_eq!(none.code(), 69, "{}", none.all_output());
    assert!(
        none.stderr.contains("no instance answers"),
        "{}",
        none.stderr
    );
}

#[tokio::test]
async fn daemon_exits_non_zero_with_the_reason_when_the_instance_cannot_start() {
    let release = ReleaseRoot::new().await;
    let mut command = release.command(&["daemon"]);
    command.env("POOL_SIZE", "lots");
    let failed = crate::support::binary::Outcome::from(command.output().unwrap());
    assert_ne!(failed.code(), 0);
    assert!(
        failed.stderr.contains("before it was ready"),
        "{}",
        failed.stderr
    );
    assert!(
        failed.stderr.contains("POOL_SIZE"),
        "the reason, from the log: {}",
        failed.stderr
    );
    assert!(!release.control_socket().exists());
}

#[tokio::test]
async fn console_serves_with_the_admin_console_on_the_terminal_until_quit() {
    let release = ReleaseRoot::new().await;
    // `start_iex`, the seed's name for it; `quit` leaves the console and stops the server.
    let session = on_terminal(&release, "start_iex", "status\nquit\n");
    assert!(
        session.contains(&format!("version: {CURRENT}")),
        "{session}"
    );
    assert!(session.contains("state: ready"), "{session}");
    assert!(
        !release.control_socket().exists(),
        "stopped when the console was left"
    );
}

/// Runs `command` on a pseudo-terminal, typing `input`; what the terminal showed.
fn on_terminal(release: &ReleaseRoot, command_name: &str, input: &str) -> String {
    let entry = release.root.join("bin/donation_platform");
    let mut script = Command::new("script");
    script
        .args(["--quiet", "--return", "--command"])
        .arg(format!("{} {command_name}", entry.display()))
        .arg("/dev/null")
        .current_dir(&release.root)
        .env_clear()
        .envs(release.env())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = script.spawn().expect("script(1) from util-linux runs");
    let mut stdin = child.stdin.take().unwrap();
    // The console is up once the control socket answers (`console` starts a server first).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !ops::control::is_answering(&release.control_socket()) {
        assert!(std::time::Instant::now() < deadline, "no console");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    for line in input.lines() {
        // Typed one line at a time, as a person would; the editor reads the terminal.
        stdin.write_all(format!("{line}\r").as_bytes()).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Another uid can neither reach the socket (0600 in a 0700 directory) nor, if the files are
/// opened up by mistake, get past the peer-credential check.
fn assert_other_users_are_refused(release: &ReleaseRoot) {
    assert_eq!(
        ops::process::effective_uid(),
        0,
        "acting as another uid needs root: run the suite as root, as CI does"
    );
    let binary = crate::support::binary::BIN;
    let as_nobody = |args: &[&str]| {
        let output = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(binary)
            .args(args)
            .current_dir("/")
            .env_clear()
            .envs(release.env())
            .env(
                "RUNTIME_DIRECTORY",
                release.control_socket().parent().unwrap(),
            )
            .output()
            .expect("setpriv from util-linux runs");
        crate::support::binary::Outcome::from(output)
    };
    let denied = as_nobody(&["rpc", "status"]);
    assert_eq!(denied.code(), 69, "{}", denied.all_output());
    assert!(
        denied.stderr.contains("ermission denied"),
        "{}",
        denied.stderr
    );

    // Open every directory on the way, and the socket, as a careless chmod would.
    let socket = release.control_socket();
    let opened: Vec<_> = socket
        .ancestors()
        .skip(1)
        .take_while(|dir| dir.starts_with(std::env::temp_dir()) && *dir != std::env::temp_dir())
        .map(|dir| {
            (
                dir.to_owned(),
                std::fs::metadata(dir).unwrap().permissions(),
            )
        })
        .collect();
    for (dir, _) in &opened {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let refused = as_nobody(&["rpc", "status"]);
    for (dir, permissions) in opened {
        std::fs::set_permissions(dir, permissions).unwrap();
    }
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(refused.code(), 1, "{}", refused.all_output());
    assert!(
        refused.stderr.contains("refused: uid 65534"),
        "{}",
        refused.stderr
    );
}
