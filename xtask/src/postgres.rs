//! A throwaway PostgreSQL server for the test suite: its own data directory, a free port on
//! 127.0.0.1, and TLS with a certificate for `localhost` signed by a throwaway CA.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};

/// Enough for the suite's parallel tests, each with its own database and pool.
const MAX_CONNECTIONS: u32 = 300;

pub struct Server {
    bin: PathBuf,
    base: PathBuf,
    port: u16,
    stopped: bool,
}

impl Server {
    pub fn start() -> anyhow::Result<Server> {
        let bin = find_bin_dir()?;
        let base =
            std::env::temp_dir().join(format!("donation_platform-pg-{}", std::process::id()));
        if base.exists() {
            std::fs::remove_dir_all(&base).ok();
        }
        std::fs::create_dir_all(&base)?;
        write_certificates(&base)?;
        let port = free_port()?;
        let server = Server {
            bin,
            base,
            port,
            stopped: false,
        };
        if running_as_root() {
            // PostgreSQL refuses to run as root: hand the directory to the `postgres` user.
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&server.base))?;
        }
        let data = server.base.join("data");
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
        let conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{base}'\n\
             max_connections = {MAX_CONNECTIONS}\nssl = on\nssl_cert_file = '{base}/server.pem'\n\
             ssl_key_file = '{base}/server.key'\nfsync = on\n",
            base = path(&server.base),
        );
        append(&data.join("postgresql.conf"), &conf)?;
        let log = server.base.join("log");
        server
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
            .with_context(|| format!("see {}", log.display()))?;
        eprintln!(
            "xtask: PostgreSQL (TLS) on 127.0.0.1:{port}, data in {}",
            server.base.display()
        );
        Ok(server)
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn ca_file(&self) -> PathBuf {
        self.base.join("ca.pem")
    }

    /// Creates an empty database and returns a URL the application connects with in any
    /// mode: TLS with `verify-full` against the throwaway CA, so the host is `localhost`, the
    /// only name on the certificate. Dropped with the whole server at [`Server::stop`].
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
        Ok(format!(
            "postgres://postgres@localhost:{port}/{name}?sslmode=verify-full&sslrootcert={}",
            path(&self.ca_file())
        ))
    }

    pub fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> anyhow::Result<()> {
        if self.stopped {
            return Ok(());
        }
        self.stopped = true;
        let data = self.base.join("data");
        self.as_postgres(&["pg_ctl", "-D", path(&data), "-m", "fast", "-w", "stop"])?;
        std::fs::remove_dir_all(&self.base).ok();
        Ok(())
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
        if let Err(err) = self.shutdown() {
            eprintln!("xtask: cannot stop PostgreSQL: {err:#}");
        }
    }
}

/// PostgreSQL's programs: `pg_config --bindir`, else Debian's newest versioned directory.
fn find_bin_dir() -> anyhow::Result<PathBuf> {
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
        candidates.insert(
            0,
            PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()),
        );
    }
    candidates
        .into_iter()
        .rev()
        .find(|dir| dir.join("initdb").is_file())
        .context("no PostgreSQL server programs (initdb): install them with `apt-get install postgresql`")
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

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
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
