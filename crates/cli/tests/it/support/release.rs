//! A release root in a temporary directory, operated through its entry point
//! (`bin/donation_platform`) the way an operator does.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use storage::test_support::TestDatabase;

use super::GOOD_SECRET;
use super::binary::{BIN, Outcome};

/// The version of the binary under test.
pub const CURRENT: &str = env!("CARGO_PKG_VERSION");

/// The version the upgrade tests move to.
pub const NEXT: &str = "0.2.0";

/// A release root with the binary under test installed as the current release, a migrated
/// database, and whatever instance the test starts (stopped when dropped).
pub struct ReleaseRoot {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub database: TestDatabase,
}

impl ReleaseRoot {
    pub async fn new() -> ReleaseRoot {
        let database = TestDatabase::create().await;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("rel");
        ops::layout::install(Path::new(BIN), CURRENT, &root).unwrap();
        let release = ReleaseRoot {
            _dir: dir,
            root,
            database,
        };
        let migrated = release.run(&["migrate"]);
        assert_eq!(migrated.code(), 0, "{}", migrated.all_output());
        release
    }

    /// Installs `binary` as release `version` next to the current one (which stays current).
    pub fn add_release(&self, binary: &Path, version: &str) {
        let current = std::fs::read_to_string(self.root.join("releases/CURRENT")).unwrap();
        ops::layout::install(binary, version, &self.root).unwrap();
        std::fs::write(self.root.join("releases/CURRENT"), current).unwrap();
    }

    /// Installs a release whose env file says `env` (after `APP_ENV=prod`).
    pub fn add_release_with_env(&self, binary: &Path, version: &str, env: &str) {
        self.add_release(binary, version);
        let env_file = self.root.join("releases").join(version).join("env");
        std::fs::write(env_file, format!("{}{env}\n", ops::layout::ENV_FILE)).unwrap();
    }

    /// `bin/donation_platform <args>` with a clean environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(self.root.join("bin/donation_platform"));
        command
            .args(args)
            .current_dir(&self.root)
            .env_clear()
            .envs(self.env())
            .stdin(Stdio::null());
        command
    }

    /// The whole environment the operator's commands run with.
    pub fn env(&self) -> Vec<(&'static str, std::ffi::OsString)> {
        let mut env = vec![
            ("PATH", std::env::var_os("PATH").unwrap_or_default()),
            ("SECRET_KEY_BASE", GOOD_SECRET.into()),
            ("PORT", "0".into()),
        ];
        if self.database.url.starts_with("postgres") {
            // Prod verifies the server: the test server's certificate names `localhost`.
            let mut url = url::Url::parse(&self.database.url).unwrap();
            url.set_host(Some("localhost")).unwrap();
            url.query_pairs_mut().append_pair("sslmode", "verify-full");
            let ca = std::env::var_os("TEST_DATABASE_CA")
                .expect("TEST_DATABASE_CA names the test server's CA: run `cargo xtask test`");
            env.push(("DATABASE_URL", url.as_str().into()));
            env.push(("SSL_CERT_FILE", ca));
        } else {
            env.push(("DATABASE_URL", self.database.url.clone().into()));
        }
        env
    }

    /// Runs `bin/donation_platform <args>` to completion.
    pub fn run(&self, args: &[&str]) -> Outcome {
        Outcome::from(self.command(args).output().expect("the entry point runs"))
    }

    /// Starts the instance with `daemon`, asserting it succeeds.
    pub fn daemon(&self) -> Outcome {
        let started = self.run(&["daemon"]);
        assert_eq!(started.code(), 0, "{}", started.all_output());
        started
    }

    /// `rpc status`, as a map.
    pub fn status(&self) -> HashMap<String, String> {
        let status = self.run(&["rpc", "status"]);
        assert_eq!(status.code(), 0, "{}", status.all_output());
        status
            .stdout
            .lines()
            .filter_map(|line| line.split_once(": "))
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect()
    }

    /// The address the instance serves on, asked over loopback.
    pub fn address(&self) -> SocketAddr {
        super::binary::loopback(self.status()["address"].parse().unwrap())
    }

    /// A fresh amil's API token, made with the admin commands.
    pub fn amil_token(&self) -> String {
        let email = format!("amil-{}@example.org", uuid::Uuid::new_v4().simple());
        super::binary::amil_token(&self.root, &email, |args| self.run(args))
    }

    /// The daemon's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.join("tmp/log/donation_platform.log")).unwrap_or_default()
    }

    pub fn pid_file(&self) -> PathBuf {
        self.root.join("tmp/donation_platform.pid")
    }

    pub fn control_socket(&self) -> PathBuf {
        self.root.join("tmp/donation_platform.sock")
    }
}

impl Drop for ReleaseRoot {
    fn drop(&mut self) {
        if let Some(pid) = ops::process::read_pid_file(&self.pid_file())
            && ops::process::is_alive(pid)
        {
            ops::process::kill(pid).ok();
        }
    }
}

/// The binary under test rebuilt as version 0.2.0: what an operator rehearsing an upgrade
/// builds with `DONATION_PLATFORM_VERSION=0.2.0`. `cargo xtask test` builds it before the suite
/// and names it in `DONATION_PLATFORM_NEXT_BINARY`; without that, it is built here, once, in a
/// target directory of its own.
pub fn next_release_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(path) = std::env::var_os("DONATION_PLATFORM_NEXT_BINARY") {
            return PathBuf::from(path);
        }
        let target = Path::new(BIN)
            .ancestors()
            .nth(2)
            .expect("the binary sits in <target>/<profile>/")
            .join("next-release");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let built = Command::new(cargo)
            .args([
                "build",
                "--package",
                "donation_platform",
                "--bin",
                "donation_platform",
            ])
            .arg("--target-dir")
            .arg(&target)
            .env("DONATION_PLATFORM_VERSION", NEXT)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(built.success(), "building release {NEXT} failed");
        target.join("debug/donation_platform")
    })
}

/// A "release" that is a shell script: for releases that misbehave in ways a real build
/// would not on purpose (hang before ready).
pub fn script_binary(dir: &Path, name: &str, script: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// One entry of a hand-made release tarball: what `cargo xtask release` packs, or an attack on
/// the unpacking (a link, a device, a setuid bit).
pub struct TarEntry {
    pub path: String,
    pub kind: tar::EntryType,
    pub mode: u32,
    /// The contents, or the target of a link.
    pub data: Vec<u8>,
}

impl TarEntry {
    pub fn file(path: &str, mode: u32, data: &[u8]) -> TarEntry {
        TarEntry {
            path: path.to_owned(),
            kind: tar::EntryType::Regular,
            mode,
            data: data.to_vec(),
        }
    }

    pub fn link(path: &str, kind: tar::EntryType, target: &str) -> TarEntry {
        TarEntry {
            path: path.to_owned(),
            kind,
            mode: 0o777,
            data: target.as_bytes().to_vec(),
        }
    }
}

/// A `.tar.gz` of `entries`, written header by header (the tar crate's builder would refuse
/// some of the attacks).
pub fn tarball(entries: &[TarEntry]) -> Vec<u8> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..entry.path.len()].copy_from_slice(entry.path.as_bytes());
        header.set_entry_type(entry.kind);
        header.set_mode(entry.mode);
        let is_link = entry.kind.is_symlink() || entry.kind.is_hard_link();
        let data: &[u8] = if is_link {
            header
                .set_link_name(std::str::from_utf8(&entry.data).unwrap())
                .unwrap();
            &[]
        } else {
            &entry.data
        };
        header.set_size(data.len() as u64);
        header.set_cksum();
        builder.append(&header, data).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// The entries of a good release `version` holding `binary`, as `cargo xtask release` packs it.
pub fn release_entries(version: &str, binary: &Path) -> Vec<TarEntry> {
    vec![
        TarEntry::file(
            &format!("releases/{version}/donation_platform"),
            0o755,
            &std::fs::read(binary).unwrap(),
        ),
        TarEntry::file(
            &format!("releases/{version}/env"),
            0o644,
            ops::layout::ENV_FILE.as_bytes(),
        ),
    ]
}

/// `sha256sum`'s line for `bytes` named `name`.
pub fn sha256_line(bytes: &[u8], name: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(bytes);
    let hex = digest.iter().fold(String::new(), |mut hex, byte| {
        use std::fmt::Write as _;
        write!(hex, "{byte:02x}").unwrap();
        hex
    });
    format!("{hex}  {name}\n")
}

/// A fresh minisign key pair: the public key as `RELEASE_PUBLIC_KEY` takes it, the secret key.
pub fn release_key_pair() -> (String, minisign::SecretKey) {
    let pair = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    (pair.pk.to_base64(), pair.sk)
}

/// A `.minisig` of `bytes`, as `minisign -S` writes it.
pub fn minisig(secret: &minisign::SecretKey, bytes: &[u8]) -> String {
    minisign::sign(None, secret, bytes, None, None)
        .unwrap()
        .to_string()
}

impl ReleaseRoot {
    /// Copies `tarball` into `releases/<version>/` as an operator does, with the side files
    /// given (`sha256`, `minisig`).
    pub fn copy_tarball(&self, version: &str, tarball: &[u8], side_files: &[(&str, &str)]) {
        let dir = self.root.join("releases").join(version);
        std::fs::create_dir_all(&dir).unwrap();
        let name = format!("donation_platform-{version}.tar.gz");
        std::fs::write(dir.join(&name), tarball).unwrap();
        for (extension, contents) in side_files {
            std::fs::write(dir.join(format!("{name}.{extension}")), contents).unwrap();
        }
    }

    /// Every path under `releases/`, relative, sorted: to show nothing else appeared.
    pub fn releases_tree(&self) -> Vec<String> {
        fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                out.push(path.strip_prefix(base).unwrap().display().to_string());
                if std::fs::symlink_metadata(&path).unwrap().is_dir() {
                    walk(&path, base, out);
                }
            }
        }
        let base = self.root.join("releases");
        let mut out = Vec::new();
        walk(&base, &base, &mut out);
        out.sort();
        out
    }
}
