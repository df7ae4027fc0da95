//! API fuzzing: schemathesis (a Python tool) against a running server's OpenAPI document.
//!
//! The debug binary serves in dev mode on a fresh database (SQLite in its own `DATA_DIR`, or a
//! fresh database on the throwaway PostgreSQL); an admin and a token are filed with the
//! binary's own commands; schemathesis then sends schema-valid and schema-invalid requests to
//! every operation. Only conformance is checked: no 5xx, and every response's status code,
//! content type, headers and body as documented. Whether every schema-valid request is
//! accepted is not (business rules refuse many: a refund larger than what is left).

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// How hard to fuzz.
#[derive(Clone, Copy, Debug)]
pub struct Depth {
    /// Test cases per operation and phase.
    pub max_examples: u32,
    /// Hypothesis' random seed.
    pub seed: u64,
}

impl Default for Depth {
    /// CI's: about 30 s per backend on two cores, well inside the step's budget of three
    /// minutes; a fixed seed, so every run sends the same requests and a finding reproduces.
    fn default() -> Depth {
        Depth {
            max_examples: 100,
            seed: 1,
        }
    }
}

/// Conformance only (see the module doc): `positive_data_acceptance` and
/// `negative_data_rejection` would hold the API to accepting or refusing by the schema alone.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_headers_conformance,response_schema_conformance";

/// Steers schema-valid requests past rules the document cannot express (see the file).
const HOOKS: &str = include_str!("schemathesis_hooks.py");

/// How long the server may take to listen and report ready (migrations included).
const STARTUP: Duration = Duration::from_secs(90);

/// How long the server may take to drain and exit after SIGTERM (it drains for at most 25 s).
const SHUTDOWN: Duration = Duration::from_secs(35);

/// Serves `binary` on a fresh database (`database_url`, else SQLite in the temporary data
/// directory) and runs `schemathesis` (the program) against it; fails if it reports any finding.
pub fn run(
    schemathesis: &Path,
    binary: &Path,
    database_url: Option<&str>,
    depth: Depth,
) -> anyhow::Result<()> {
    let dir = TempDir::create()?;
    let app = App {
        binary: binary.to_owned(),
        data_dir: dir.path.join("data"),
        database_url: database_url.map(str::to_owned),
    };
    let mut server = app.start(&dir.path.join("server.log"))?;
    let token = app.admin_token(&dir.path)?;
    let hooks = dir.path.join("hooks.py");
    std::fs::write(&hooks, HOOKS)?;

    let started = Instant::now();
    let status = command(schemathesis, &server.address, &token, depth)
        // Its example database and run files land here, not in the checkout.
        .current_dir(&dir.path)
        .env("SCHEMATHESIS_HOOKS", &hooks)
        .status()
        .context("cannot run schemathesis")?;
    eprintln!(
        "xtask: schemathesis took {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let stopped = server.stop();
    if !status.success() {
        server.print_problems();
        if let Err(err) = stopped {
            eprintln!("xtask: {err:#}");
        }
        bail!(
            "schemathesis failed ({status}): its report above lists each finding (FAILURES) or \
             error (ERRORS) with a curl command that reproduces it against `cargo run -- start` \
             given `-H 'Authorization: Bearer <token>'` (`donation_platform token create`)"
        );
    }
    stopped
}

/// The schemathesis command line, minus where it runs.
fn command(schemathesis: &Path, address: &str, token: &str, depth: Depth) -> Command {
    let mut command = Command::new(schemathesis);
    command.args([
        "run",
        &format!("http://{address}/api/v1/openapi.json"),
        "--header",
        &format!("Authorization: Bearer {token}"),
        "--checks",
        CHECKS,
        "--max-examples",
        &depth.max_examples.to_string(),
        "--seed",
        &depth.seed.to_string(),
        // No examples carried over from earlier runs: every run sends the same requests.
        "--generation-database",
        "none",
        // A hung request is a finding, not a hung CI job.
        "--request-timeout",
        "30",
    ]);
    command
}

/// How to run the binary: one data directory and database for the server and the commands that
/// file its admin, so they share the database and the dev `SECRET_KEY_BASE`.
struct App {
    binary: PathBuf,
    data_dir: PathBuf,
    database_url: Option<String>,
}

impl App {
    /// The binary with a clean environment: nothing from the caller's shell leaks in.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .env_clear()
            .env("DATA_DIR", &self.data_dir)
            .stdin(Stdio::null());
        if let Some(url) = &self.database_url {
            command.env("DATABASE_URL", url);
        }
        command
    }

    /// Starts `start` on a free port (`PORT=0`), logging to `log`, and waits until it is ready.
    fn start(&self, log: &Path) -> anyhow::Result<Server> {
        let child = self
            .command(&["start"])
            .env("PORT", "0")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log)?)
            .spawn()
            .context("cannot start the server")?;
        let mut server = Server {
            child,
            log: log.to_owned(),
            address: String::new(),
            stopped: false,
        };
        server.address = server.wait_for_address()?;
        server.wait_until_ready()?;
        eprintln!("xtask: server on http://{}", server.address);
        Ok(server)
    }

    /// Files an admin and returns a fresh API token for them.
    fn admin_token(&self, dir: &Path) -> anyhow::Result<String> {
        const EMAIL: &str = "admin@example.org";
        let password = dir.join("password");
        std::fs::write(&password, "schemathesis-admin-password")?;
        let password = password.to_str().expect("temporary paths are UTF-8");
        output(self.command(&[
            "user",
            "create",
            "--email",
            EMAIL,
            "--role",
            "admin",
            "--password-file",
            password,
        ]))?;
        let token = output(self.command(&["token", "create", "--email", EMAIL]))?;
        let token = token.trim();
        if token.is_empty() || token.contains(char::is_whitespace) {
            bail!("`token create` printed {token:?}, not one token");
        }
        Ok(token.to_owned())
    }
}

/// A running server, killed if still running when dropped (an error path).
struct Server {
    child: Child,
    log: PathBuf,
    address: String,
    stopped: bool,
}

impl Server {
    /// The `host:port` from the `listening address=…` log line.
    fn wait_for_address(&mut self) -> anyhow::Result<String> {
        let deadline = Instant::now() + STARTUP;
        loop {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let address = log
                .lines()
                .find_map(|line| line.split_once("listening address=").map(|(_, rest)| rest))
                .and_then(|rest| rest.split_whitespace().next());
            if let Some(address) = address {
                return Ok(address.to_owned());
            }
            if let Some(status) = self.child.try_wait()? {
                bail!("the server exited ({status}) before listening:\n{log}");
            }
            if Instant::now() > deadline {
                bail!("the server did not listen within {STARTUP:?}:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Polls `GET /readyz` until it answers 200 (database reachable, schema current).
    fn wait_until_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + STARTUP;
        loop {
            let status = http_status(&self.address, "/readyz");
            if matches!(status, Ok(200)) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "GET /readyz did not answer 200 within {STARTUP:?} (last: {status:?}); log in {}",
                    self.log.display()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM, as a supervisor stops it; a clean exit (0) is part of the contract.
    fn stop(&mut self) -> anyhow::Result<()> {
        self.stopped = true;
        ops::process::terminate(self.child.id()).context("cannot send SIGTERM to the server")?;
        let deadline = Instant::now() + SHUTDOWN;
        let status = loop {
            if let Some(status) = self.child.try_wait()? {
                break status;
            }
            if Instant::now() > deadline {
                self.child.kill().ok();
                self.child.wait().ok();
                bail!("the server did not exit within {SHUTDOWN:?} of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        if !status.success() {
            self.print_problems();
            bail!("the server exited with {status} after SIGTERM, not 0");
        }
        Ok(())
    }

    /// What the server logged above INFO, and any 5xx request line: the server's side of a
    /// finding (panics, database errors), which the temporary directory takes with it.
    fn print_problems(&self) {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let problems: Vec<&str> = log
            .lines()
            .filter(|line| !line.contains(" INFO ") || line.contains(" status=5"))
            .collect();
        if problems.is_empty() {
            return;
        }
        eprintln!("xtask: the server logged:");
        for line in problems.iter().take(50) {
            eprintln!("  {line}");
        }
        if problems.len() > 50 {
            eprintln!("  … and {} more lines", problems.len() - 50);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if !self.stopped {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}

/// A directory under the system's temporary directory, removed when dropped.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn create() -> anyhow::Result<TempDir> {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "donation_platform-schemathesis-{}-{n}",
            std::process::id()
        ));
        if path.exists() {
            std::fs::remove_dir_all(&path)?;
        }
        std::fs::create_dir_all(&path)?;
        Ok(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.path).ok();
    }
}

/// The status code of `GET path`, over a plain HTTP/1.1 connection (xtask has no HTTP client).
fn http_status(address: &str, path: &str) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = [0; 12];
    stream.read_exact(&mut head)?;
    // `HTTP/1.1 200`
    std::str::from_utf8(&head[9..12])
        .ok()
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other("not an HTTP response"))
}

/// Runs `command` and returns its stdout; its stderr only when it fails.
fn output(mut command: Command) -> anyhow::Result<String> {
    let output = command
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?)
}
