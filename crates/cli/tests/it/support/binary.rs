//! Runs the real binary in a temporary directory with a clean environment.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a test waits for the server to report its address or become ready.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

pub const BIN: &str = env!("CARGO_BIN_EXE_donation_platform");

/// A command of the binary, with only the variables a test gives it.
pub struct BinaryCommand {
    command: Command,
}

impl BinaryCommand {
    pub fn new(dir: &Path) -> Self {
        let mut command = Command::new(BIN);
        command
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        BinaryCommand { command }
    }

    pub fn args<'a>(mut self, args: impl IntoIterator<Item = &'a str>) -> Self {
        self.command.args(args);
        self
    }

    pub fn env(mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.command.env(name, value);
        self
    }

    pub fn envs<'a>(mut self, vars: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        self.command.envs(vars);
        self
    }

    /// Runs to completion.
    pub fn output(mut self) -> Outcome {
        let output = self
            .command
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs");
        Outcome::from(output)
    }

    /// Starts the command in the background with its stdout and stderr going to pipes that
    /// nobody reads: once they fill, every write to them blocks.
    pub fn spawn_unread(mut self) -> Child {
        self.command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts")
    }

    /// Starts `start` (or whatever args were given) in the background.
    pub fn spawn_server(mut self) -> ServerProcess {
        let mut child = self
            .command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        ServerProcess {
            child,
            log,
            address: None,
        }
    }
}

/// What a finished command printed and how it exited.
pub struct Outcome {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Outcome {
    fn from(output: Output) -> Self {
        Outcome {
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Outcome {
    pub fn code(&self) -> i32 {
        self.status.code().expect("exited, not killed")
    }

    pub fn all_output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// A server started from the real binary.
pub struct ServerProcess {
    pub child: Child,
    log: Arc<Mutex<String>>,
    address: Option<SocketAddr>,
}

impl ServerProcess {
    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The address from the `listening` log line, waiting for it.
    pub fn address(&mut self) -> SocketAddr {
        if let Some(address) = self.address {
            return address;
        }
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            let log = self.log();
            if let Some(address) = log
                .lines()
                .filter(|line| line.contains("listening"))
                .find_map(address_in)
            {
                self.address = Some(address);
                return address;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the server exited ({status}) before listening:\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "no `listening` line in time:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&mut self, path: &str) -> String {
        format!("http://{}{path}", self.address())
    }

    /// Waits until `/readyz` answers 200.
    pub async fn wait_ready(&mut self) {
        let url = self.url("/readyz");
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Ok(response) = reqwest::get(&url).await
                && response.status() == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "not ready in time:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the process to exit, at most `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "still running after {timeout:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}

/// The listening address in a `listening` log line, text (`address=…`) or JSON
/// (`"address":"…"`); in prod the server binds every interface, so ask loopback.
fn address_in(line: &str) -> Option<SocketAddr> {
    let rest = line
        .split("address=")
        .nth(1)
        .or_else(|| line.split(r#""address":""#).nth(1))?;
    let text: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"')
        .collect();
    Some(loopback(text.parse().ok()?))
}

/// `address`, asked over loopback when it is every interface's (prod binds `0.0.0.0`).
pub fn loopback(mut address: SocketAddr) -> SocketAddr {
    if address.ip().is_unspecified() {
        address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    address
}

/// A new amil `email` and an API token for them, made with `user create` and `token create`
/// through `run` (which runs the binary with the instance's environment); the password file
/// goes in `dir`.
pub fn amil_token(dir: &Path, email: &str, run: impl Fn(&[&str]) -> Outcome) -> String {
    let password = dir.join("password");
    std::fs::write(&password, "correct horse battery staple\n").unwrap();
    let created = run(&[
        "user",
        "create",
        "--email",
        email,
        "--role",
        "amil",
        "--password-file",
        password.to_str().unwrap(),
    ]);
    assert_eq!(created.code(), 0, "{}", created.all_output());
    let token = run(&["token", "create", "--email", email]);
    assert_eq!(token.code(), 0, "{}", token.all_output());
    token.stdout.trim().to_owned()
}

/// A fresh temporary directory for a binary to run in.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}
