//! A throwaway PostgreSQL server for tests: its own data directory, a port on 127.0.0.1 and,
//! on request, TLS with a certificate for `localhost` signed by a throwaway CA. `cargo xtask
//! test` starts one with TLS for the whole suite (`TEST_DATABASE_URL`); the fault tests start
//! their own plain one to stop under load and start again on the same port and data.
//!
//! The programs come from `pg_config --bindir`, else Debian's newest
//! `/usr/lib/postgresql/*/bin`, and run as the `postgres` user when we are root (the server
//! refuses to run as root).

use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context as _, bail};

/// How to set a server up.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// TLS (`ssl = on`) with a certificate for `localhost` only, signed by a throwaway CA
    /// ([`Server::ca_file`]).
    pub tls: bool,
    /// `max_connections`; PostgreSQL's default when `None`.
    pub max_connections: Option<u32>,
}

/// A running (or stopped) server. Dropping it stops it and removes its directory, except
/// when starting or stopping failed: the directory (and its `log`) is then kept to be read.
pub struct Server {
    bin: PathBuf,
    base: PathBuf,
    port: u16,
    tls: bool,
    running: bool,
    keep: bool,
}

impl Server {
    /// Initialises a data directory and starts the server on it.
    pub fn start(options: Options) -> anyhow::Result<Server> {
        let bin = bin_dir()?;
        let base = new_base();
        if base.exists() {
            std::fs::remove_dir_all(&base).ok();
        }
        std::fs::create_dir_all(&base)?;
        let mut server = Server {
            bin,
            base,
            port: stable_port(),
            tls: options.tls,
            running: false,
            keep: false,
        };
        if options.tls {
            write_certificates(&server.base)?;
        }
        if running_as_root() {
            // PostgreSQL refuses to run as root: hand the directory to the `postgres` user.
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&server.base))?;
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
        ])?;
        let base = path(&server.base);
        let mut conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{base}'\n",
            server.port
        );
        if let Some(max) = options.max_connections {
            writeln!(conf, "max_connections = {max}")?;
        }
        if options.tls {
            writeln!(
                conf,
                "ssl = on\nssl_cert_file = '{base}/server.pem'\nssl_key_file = '{base}/server.key'"
            )?;
        }
        conf.push_str("fsync = on\n");
        append(&data.join("postgresql.conf"), &conf)?;
        server.start_again()?;
        Ok(server)
    }

    /// The URL of its `postgres` database, plain TCP to 127.0.0.1.
    #[must_use]
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The throwaway CA's certificate (written when started with [`Options::tls`]).
    #[must_use]
    pub fn ca_file(&self) -> PathBuf {
        self.base.join("ca.pem")
    }

    /// Its port on 127.0.0.1, the same after [`Server::start_again`].
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its directory: the data, the log, the certificates.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.base
    }

    /// Creates an empty database and returns a URL the application connects with in any
    /// mode. With TLS: `verify-full` against the throwaway CA, so the host is `localhost`, the
    /// only name on the certificate. Dropped with the whole server.
    pub fn create_database(&self, name: &str) -> anyhow::Result<String> {
        let port = self.port.to_string();
        self.as_postgres(&[
            "createdb",
            "-h",
            path(&self.base),
            "-p",
            &port,
            "-U",
            "postgres",
            name,
        ])?;
        Ok(if self.tls {
            format!(
                "postgres://postgres@localhost:{port}/{name}?sslmode=verify-full&sslrootcert={}",
                path(&self.ca_file())
            )
        } else {
            format!("postgres://postgres@127.0.0.1:{port}/{name}")
        })
    }

    /// Stops it the way an operator would (`pg_ctl stop -m fast`: open sessions are ended),
    /// keeping its data for [`Server::start_again`].
    pub fn stop(&mut self) -> anyhow::Result<()> {
        self.running = false;
        let data = self.data();
        let stopped = self.as_postgres(&["pg_ctl", "-D", path(&data), "-m", "fast", "-w", "stop"]);
        if stopped.is_err() {
            self.keep = true;
        }
        stopped
    }

    /// Starts it (again), on the same port and data.
    pub fn start_again(&mut self) -> anyhow::Result<()> {
        let data = self.data();
        let log = self.base.join("log");
        let started = self
            .as_postgres(&[
                "pg_ctl",
                "-D",
                path(&data),
                "-l",
                path(&log),
                "-w",
                "-t",
                "60",
                "start",
            ])
            .with_context(|| format!("see {}", log.display()));
        match started {
            Ok(()) => self.running = true,
            Err(_) => self.keep = true,
        }
        started
    }

    /// Stops it and removes its directory, saying why if it cannot stop.
    pub fn stop_and_remove(mut self) -> anyhow::Result<()> {
        if self.running {
            self.stop()?;
        }
        Ok(())
    }

    fn data(&self) -> PathBuf {
        self.base.join("data")
    }

    /// Runs one of PostgreSQL's programs, as the `postgres` user when we are root.
    fn as_postgres(&self, args: &[&str]) -> anyhow::Result<()> {
        let program = self.bin.join(args[0]);
        let mut command = if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        command.args(&args[1..]).current_dir(&self.base);
        run(&mut command)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.running
            && let Err(err) = self.stop()
        {
            eprintln!("cannot stop the throwaway PostgreSQL: {err:#}");
        }
        if !self.keep {
            std::fs::remove_dir_all(&self.base).ok();
        }
    }
}

/// A new directory for a server: one per process for the first (a leftover of an earlier
/// process with the same id is replaced), numbered after it.
fn new_base() -> PathBuf {
    static STARTED: AtomicU32 = AtomicU32::new(0);
    let n = STARTED.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    let name = if n == 0 {
        format!("donation_platform-pg-{pid}")
    } else {
        format!("donation_platform-pg-{pid}-{n}")
    };
    std::env::temp_dir().join(name)
}

/// PostgreSQL's programs: `pg_config --bindir`, else Debian's newest versioned directory; an
/// error saying how to install them when there are none.
pub fn bin_dir() -> anyhow::Result<PathBuf> {
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
        .context("no PostgreSQL server programs (initdb): install them with `apt-get install postgresql`")
}

/// A free port on 127.0.0.1 below the kernel's ephemeral range (32768 and up), to keep across
/// restarts. A port taken from the ephemeral range (bind to 0, release) can be handed to any
/// client socket of a test running alongside before the server binds it again; one below the
/// range cannot.
#[must_use]
pub fn stable_port() -> u16 {
    loop {
        let mut random = [0u8; 2];
        getrandom::fill(&mut random).expect("the OS gives random bytes");
        let port = 20_000 + u16::from_le_bytes(random) % 12_000;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Whether this process runs as root (PostgreSQL's programs then run as `postgres`).
#[must_use]
pub fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

/// A throwaway CA and a server certificate for `localhost` (DNS name only: connecting to
/// `127.0.0.1` with `verify-full` must fail, which a test checks).
fn write_certificates(dir: &Path) -> anyhow::Result<()> {
    let openssl = |args: &[&str]| run(Command::new("openssl").args(args).current_dir(dir));
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"],
            &key[..],
            &[
                "-days",
                "2",
                "-subj",
                "/CN=donation_platform test CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
        ]
        .concat(),
    )?;
    openssl(
        &[
            &["req"],
            &key[..],
            &[
                "-subj",
                "/CN=localhost",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
            ],
        ]
        .concat(),
    )?;
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        "server.pem",
    ])?;
    std::fs::set_permissions(
        dir.join("server.key"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )?;
    Ok(())
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn append(file: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut handle = std::fs::OpenOptions::new().append(true).open(file)?;
    handle.write_all(text.as_bytes())?;
    Ok(())
}

fn path(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `select 1` with psql; its error when it cannot.
    fn query(url: &str) -> anyhow::Result<()> {
        run(Command::new(bin_dir()?.join("psql"))
            .args(["-X", "-A", "-t", "-c", "select 1", url])
            .env("PGCONNECT_TIMEOUT", "5"))
    }

    fn have_programs() -> bool {
        bin_dir()
            .inspect_err(|why| eprintln!("SKIPPED: {why:#}"))
            .is_ok()
    }

    #[test]
    fn a_plain_server_stops_and_starts_again_on_its_port_and_data() {
        if !have_programs() {
            return;
        }
        let mut server = Server::start(Options::default()).unwrap();
        let url = server.create_database("kept").unwrap();
        assert!(url.starts_with("postgres://postgres@127.0.0.1:"), "{url}");
        query(&url).unwrap();
        server.stop().unwrap();
        assert!(query(&url).is_err(), "stopped, yet it answers");
        server.start_again().unwrap();
        query(&url).unwrap();
        let dir = server.dir().to_path_buf();
        server.stop_and_remove().unwrap();
        assert!(!dir.exists(), "{} left behind", dir.display());
    }

    #[test]
    fn a_tls_server_is_reached_with_verify_full_on_localhost_only() {
        if !have_programs() {
            return;
        }
        let server = Server::start(Options {
            tls: true,
            max_connections: Some(300),
        })
        .unwrap();
        let url = server.create_database("tls").unwrap();
        assert!(url.contains("sslmode=verify-full"), "{url}");
        query(&url).unwrap();
        let by_address = url.replace("@localhost:", "@127.0.0.1:");
        let refused = query(&by_address).unwrap_err();
        assert!(
            format!("{refused:#}").contains("127.0.0.1"),
            "verify-full against 127.0.0.1 fails on the name: {refused:#}"
        );
        let dir = server.dir().to_path_buf();
        drop(server);
        assert!(!dir.exists(), "{} left behind", dir.display());
    }
}
