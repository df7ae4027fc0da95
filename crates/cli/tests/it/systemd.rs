//! What systemd sees: `sd_notify` messages across start, restart and stop (on a fake
//! `NOTIFY_SOCKET`), watchdog pings, and socket activation (`LISTEN_FDS`).

use std::io::{BufRead as _, BufReader};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use storage::test_support::TestDatabase;

use crate::support::BinaryCommand;
use crate::support::binary::{BIN, temp_dir};

/// `WATCHDOG_USEC` for the test: pings are due every 100 ms (half of it).
const WATCHDOG_USEC: &str = "200000";

/// Datagrams received on a fake notification socket, with when they arrived.
struct FakeSystemd {
    messages: Arc<Mutex<Vec<(Instant, String)>>>,
    done: Arc<AtomicBool>,
}

impl FakeSystemd {
    fn listen(path: &Path) -> FakeSystemd {
        let socket = UnixDatagram::bind(path).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let done = Arc::new(AtomicBool::new(false));
        let (sink, stop) = (Arc::clone(&messages), Arc::clone(&done));
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while !stop.load(Ordering::SeqCst) {
                if let Ok(length) = socket.recv(&mut buffer) {
                    let text = String::from_utf8_lossy(&buffer[..length]).into_owned();
                    sink.lock().unwrap().push((Instant::now(), text));
                }
            }
        });
        FakeSystemd { messages, done }
    }

    fn messages(&self) -> Vec<(Instant, String)> {
        self.messages.lock().unwrap().clone()
    }

    /// Everything but the watchdog pings.
    fn states(&self) -> Vec<String> {
        self.messages()
            .into_iter()
            .map(|(_, text)| text)
            .filter(|text| text != "WATCHDOG=1")
            .collect()
    }

    async fn wait_for(&self, prefix: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.states().iter().any(|text| text.starts_with(prefix)) {
            assert!(
                Instant::now() < deadline,
                "no {prefix}: {:?}",
                self.states()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for FakeSystemd {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn systemd_hears_ready_the_hand_over_in_order_stopping_and_watchdog_pings() {
    let database = TestDatabase::create().await;
    let dir = temp_dir();
    let notify_path = dir.path().join("notify.sock");
    let systemd = FakeSystemd::listen(&notify_path);
    let command = |args: &[&str]| {
        BinaryCommand::new(dir.path())
            .args(args.iter().copied())
            .env("DATA_DIR", database.dir().join("data"))
            .env("DATABASE_URL", &database.url)
            .env("PORT", "0")
            .env("NOTIFY_SOCKET", &notify_path)
            .env("WATCHDOG_USEC", WATCHDOG_USEC)
    };
    let mut first = command(&["start"]).spawn_server();
    first.wait_ready().await;
    systemd.wait_for("READY=1").await;
    let ready_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pings: Vec<Instant> = systemd
        .messages()
        .into_iter()
        .filter(|(at, text)| text == "WATCHDOG=1" && *at >= ready_at)
        .map(|(at, _)| at)
        .collect();

    let restarted = command(&["restart"]).output();
    assert_eq!(restarted.code(), 0, "{}", restarted.all_output());
    let successor: u32 = restarted
        .stdout
        .split("-> pid ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("no new pid in {}", restarted.stdout));
    assert!(first.wait_exit(Duration::from_secs(30)).success());

    let stopped = command(&["stop"]).output();
    assert_eq!(stopped.code(), 0, "{}", stopped.all_output());
    systemd.wait_for("STOPPING=1").await;

    let states = systemd.states();
    let expected = [
        "READY=1\nSTATUS=serving version".to_owned(),
        "RELOADING=1\nMONOTONIC_USEC=".to_owned(),
        format!("MAINPID={successor}\nREADY=1\nSTATUS=serving version"),
        "STOPPING=1\nSTATUS=".to_owned(),
    ];
    assert_eq!(states.len(), expected.len(), "{states:#?}");
    for (state, expected) in states.iter().zip(&expected) {
        assert!(
            state.starts_with(expected.as_str()),
            "{state:?} is not {expected:?}: {states:#?}"
        );
    }

    // Pings every 100 ms: 10 in the second after READY, give or take a busy machine.
    assert!(
        (6..=14).contains(&pings.len()),
        "{} pings in 1 s",
        pings.len()
    );
    let mut intervals: Vec<Duration> = pings.windows(2).map(|pair| pair[1] - pair[0]).collect();
    intervals.sort();
    let median = intervals[intervals.len() / 2];
    assert!(
        Duration::from_millis(70) <= median && median <= Duration::from_millis(150),
        "median interval {median:?}"
    );
}

#[tokio::test]
async fn socket_activation_serves_on_the_passed_socket_without_binding_port() {
    let database = TestDatabase::create().await;
    let dir = temp_dir();
    // PORT names a port that is taken: binding it would fail, so serving proves the server
    // used the socket it was given.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    // What systemd does for a .socket unit: bind, put the socket at fd 3, set LISTEN_FDS and
    // LISTEN_PID to the pid that then execs the service.
    let activate = r#"
import os, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(128)
os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
print(s.getsockname()[1], flush=True)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(sys.argv[1], [sys.argv[1], "start"])
"#;
    let mut server = Command::new("python3")
        .args(["-c", activate, BIN])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATA_DIR", database.dir().join("data"))
        .env("DATABASE_URL", &database.url)
        .env("PORT", &port)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs");
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let activated: u16 = line.trim().parse().unwrap();

    let url = format!("http://127.0.0.1:{activated}/readyz");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(response) = reqwest::get(&url).await
            && response.status() == 200
        {
            break;
        }
        if let Ok(Some(status)) = server.try_wait() {
            panic!("the server exited ({status}) instead of serving on the passed socket");
        }
        assert!(
            Instant::now() < deadline,
            "not serving on the passed socket"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = BinaryCommand::new(dir.path())
        .args(["rpc", "status"])
        .env("DATA_DIR", database.dir().join("data"))
        .output();
    assert!(
        status
            .stdout
            .contains(&format!("address: 127.0.0.1:{activated}")),
        "{}",
        status.all_output()
    );
    let stopped = BinaryCommand::new(dir.path())
        .args(["stop"])
        .env("DATA_DIR", database.dir().join("data"))
        .output();
    assert_eq!(stopped.code(), 0, "{}", stopped.all_output());
    assert!(server.wait().unwrap().success());
    drop(taken);
}

/// The maximum `systemd-analyze security` exposure score the unit may have (0 is fully
/// sandboxed, 10 not at all); what is left is what a network service needs: sockets, the
/// host's network, and the clock device `ProtectClock=` itself allows.
const EXPOSURE_MAX: f64 = 1.0;

/// `systemd-analyze`, or `None` where it is missing outside CI (the test then says so); under
/// CI (`CI=true`) its absence fails the test: `.ci/run` installs systemd.
fn systemd_analyze() -> Option<&'static str> {
    let program = "systemd-analyze";
    crate::support::tools::available(program, &["--version"]).then_some(program)
}

/// A release root at a path unlike the template's, holding the real binary (`verify` checks
/// that `ExecStart=` exists), with the unit `systemd-unit --prefix` printed for it beside it.
fn unit_for_a_release_root(dir: &Path) -> (String, std::path::PathBuf) {
    let prefix = dir.join("srv/dp-root");
    std::fs::create_dir_all(prefix.join("bin")).unwrap();
    std::fs::copy(BIN, prefix.join("bin/donation_platform")).unwrap();
    let prefix = prefix
        .to_str()
        .expect("temporary paths are UTF-8")
        .to_owned();
    let printed = BinaryCommand::new(dir)
        .args(["systemd-unit", "--prefix", &prefix])
        .output();
    assert_eq!(printed.code(), 0, "{}", printed.all_output());
    let unit = dir.join("donation_platform.service");
    std::fs::write(&unit, &printed.stdout).unwrap();
    (prefix, unit)
}

#[test]
fn systemd_unit_prints_the_unit_for_the_given_release_root() {
    let dir = temp_dir();
    let (prefix, unit) = unit_for_a_release_root(dir.path());
    let text = std::fs::read_to_string(unit).unwrap();
    let value = |key: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key}= in\n{text}"))
            .to_owned()
    };
    assert_eq!(
        value("ExecStart"),
        format!("{prefix}/bin/donation_platform start")
    );
    assert_eq!(
        value("ExecReload"),
        format!("{prefix}/bin/donation_platform restart")
    );
    assert_eq!(value("WorkingDirectory"), prefix);
    assert_eq!(
        value("ReadWritePaths"),
        format!("{prefix}/var {prefix}/releases {prefix}/tmp")
    );
    assert!(!text.contains("/opt/donation_platform"), "{text}");

    let refused = BinaryCommand::new(dir.path())
        .args(["systemd-unit", "--prefix", "relative/root"])
        .output();
    assert_eq!(refused.code(), 64, "{}", refused.all_output());
    assert!(
        refused.stderr.contains("absolute path"),
        "{}",
        refused.stderr
    );
}

#[test]
fn the_printed_unit_verifies_silently_and_is_sandboxed() {
    let Some(analyze) = systemd_analyze() else {
        return;
    };
    let dir = temp_dir();
    let (_, unit) = unit_for_a_release_root(dir.path());

    // `verify` exits 0 even on unknown keys: anything it says is a finding.
    let verify = Command::new(analyze)
        .arg("verify")
        .arg(&unit)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&verify.stderr);
    assert!(
        verify.status.success() && said.trim().is_empty(),
        "verify: {said}"
    );

    let security = Command::new(analyze)
        .args(["security", "--offline=true"])
        .arg(&unit)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&security.stdout);
    let score: f64 = report
        .lines()
        .find_map(|line| line.split_once("Overall exposure level for "))
        .and_then(|(_, rest)| rest.split(": ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|score| score.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no exposure score in\n{report}{}",
                String::from_utf8_lossy(&security.stderr)
            )
        });
    assert!(
        score <= EXPOSURE_MAX,
        "exposure {score} is above {EXPOSURE_MAX}; what is not sandboxed (✗):\n{}",
        report
            .lines()
            .filter(|line| line.starts_with('✗'))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
