//! A PostgreSQL server of a test's own, to stop and start under load. The suite's
//! `TEST_DATABASE_URL` server is shared by every test and must stay up; this one is not. Plain
//! TCP on 127.0.0.1 (no TLS: what is tested is the server going away, not the handshake). The
//! same steps as `xtask/src/postgres.rs`: the programs from `pg_config --bindir` or Debian's
//! newest `/usr/lib/postgresql/*/bin`, run as the `postgres` user when we are root (the
//! server refuses to run as root).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct PostgresServer {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    running: bool,
}

impl PostgresServer {
    /// Initialises and starts a server, or says why it cannot (no PostgreSQL programs).
    pub fn start() -> Result<PostgresServer, String> {
        let bin = bin_dir().ok_or(
            "no PostgreSQL server programs (initdb): install them with `apt-get install postgresql`",
        )?;
        let dir = tempfile::tempdir().unwrap();
        let mut server = PostgresServer {
            bin,
            dir,
            port: free_port(),
            running: false,
        };
        if running_as_root() {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(server.dir.path()));
        }
        let data = server.data();
        server.as_postgres(&[
            "initdb",
            "-D",
            path(&data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
        ]);
        let conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\nfsync = on\n",
            server.port,
            path(server.dir.path()),
        );
        let mut text = std::fs::read_to_string(data.join("postgresql.conf")).unwrap();
        text.push_str(&conf);
        std::fs::write(data.join("postgresql.conf"), text).unwrap();
        server.start_again();
        Ok(server)
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops it the way an operator would (`pg_ctl stop -m fast`: open sessions are ended).
    pub fn stop(&mut self) {
        let data = self.data();
        self.as_postgres(&["pg_ctl", "-D", path(&data), "-m", "fast", "-w", "stop"]);
        self.running = false;
    }

    /// Starts it (again), on the same port and data.
    pub fn start_again(&mut self) {
        let data = self.data();
        let log = self.dir.path().join("log");
        self.as_postgres(&[
            "pg_ctl",
            "-D",
            path(&data),
            "-l",
            path(&log),
            "-w",
            "-t",
            "60",
            "start",
        ]);
        self.running = true;
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn as_postgres(&self, args: &[&str]) {
        let program = self.bin.join(args[0]);
        let mut command = if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        command.args(&args[1..]).current_dir(self.dir.path());
        run(&mut command);
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        if self.running {
            self.stop();
        }
    }
}

/// PostgreSQL's programs: `pg_config --bindir`, else Debian's newest versioned directory.
fn bin_dir() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| {
            dirs.filter_map(Result::ok)
                .map(|dir| dir.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    candidates.sort();
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output()
        && output.status.success()
    {
        candidates.push(PathBuf::from(
            String::from_utf8_lossy(&output.stdout).trim(),
        ));
    }
    candidates
        .into_iter()
        .rev()
        .find(|dir| dir.join("initdb").is_file())
}

/// A free port below the kernel's ephemeral range, so no client socket of another test takes
/// it while the server is stopped.
fn free_port() -> u16 {
    loop {
        let mut random = [0u8; 2];
        getrandom::fill(&mut random).unwrap();
        let port = 20_000 + u16::from_le_bytes(random) % 12_000;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

pub fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

fn run(command: &mut Command) {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|err| panic!("cannot run {command:?}: {err}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn path(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}
