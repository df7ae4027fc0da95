//! The release artifacts as an operator meets them: the tarball on a machine without a Rust
//! toolchain, the OCI image under podman, and the Dockerfile's runtime stage built around the
//! same binary.
//!
//! `cargo xtask test` runs these last, after `cargo xtask release`, with
//! `DONATION_PLATFORM_RELEASE_ARTIFACTS` naming the directory it wrote (`target/rel`); without
//! it they skip (the artifacts take minutes to build). With it, a missing podman fails the run
//! under CI (`CI=true`) and skips elsewhere. The Dockerfile lint runs in every suite run.
//!
//! podman runs as `notes/containers.md` says works in our sandboxes: vfs storage, runc, explicit
//! ulimits; each test in a storage root of its own, removed afterwards.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::GOOD_SECRET;
use crate::support::release::CURRENT;
use crate::support::tools;

/// Names the directory `cargo xtask release` wrote (`target/rel`).
const ARTIFACTS_ENV: &str = "DONATION_PLATFORM_RELEASE_ARTIFACTS";

/// A `PATH` with no Rust toolchain on it: what a bare server has.
const BARE_PATH: &str = "/usr/bin:/bin";

/// Time a container (or release) may take to answer `/readyz`: vfs storage copies the whole
/// image before the process starts.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// The image's paths (`xtask/src/oci.rs`, `deploy/Dockerfile`).
const IMAGE_BINARY: &str = "/usr/local/bin/donation_platform";
const IMAGE_DATA_DIR: &str = "/var/lib/donation_platform";
const NONROOT_ID: u32 = 65532;

fn artifacts_dir() -> Option<PathBuf> {
    let dir = std::env::var_os(ARTIFACTS_ENV).map(PathBuf::from);
    if dir.is_none() {
        eprintln!(
            "skipped: {ARTIFACTS_ENV} is not set (`cargo xtask test` sets it after `cargo xtask \
             release`)"
        );
    }
    dir
}

fn succeeded(what: &str, output: &Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{text}",
        output.status
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A loopback port nothing listens on (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `http://127.0.0.1:{port}/readyz` until it answers 200; returns how long that took.
async fn wait_ready(port: u16, started: Instant, log: impl Fn() -> String) -> Duration {
    let url = format!("http://127.0.0.1:{port}/readyz");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    loop {
        if let Ok(response) = client.get(&url).send().await
            && response.status() == 200
        {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < READY_TIMEOUT,
            "{url} not ready in time:\n{}",
            log()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn the_release_tarball_verifies_unpacks_and_serves_with_no_rust_toolchain() {
    let Some(artifacts) = artifacts_dir() else {
        return;
    };
    let name = format!("donation_platform-{CURRENT}.tar.gz");
    let bare = |program: &str| {
        let mut command = Command::new(program);
        command.env_clear().env("PATH", BARE_PATH);
        command
    };
    let toolchain = bare("sh")
        .args(["-c", "command -v cargo || command -v rustc"])
        .output();
    assert!(
        !toolchain.unwrap().status.success(),
        "a Rust toolchain is on {BARE_PATH}: this test would prove nothing"
    );
    let check = bare("sha256sum")
        .args(["-c", &format!("{name}.sha256")])
        .current_dir(&artifacts)
        .output()
        .unwrap();
    succeeded("sha256sum -c", &check);

    let dir = tempfile::tempdir().unwrap();
    let unpacked = bare("tar")
        .arg("-xzf")
        .arg(artifacts.join(&name))
        .arg("-C")
        .arg(dir.path())
        .output()
        .unwrap();
    succeeded("tar -xzf", &unpacked);
    let port = free_port();
    let database = format!("sqlite://{}/var/donation_platform.db", dir.path().display());
    let run = |args: &[&str]| {
        bare(dir.path().join("bin/donation_platform").to_str().unwrap())
            .args(args)
            .env("SECRET_KEY_BASE", GOOD_SECRET)
            .env("DATABASE_URL", &database)
            .env("PORT", port.to_string())
            .output()
            .unwrap()
    };
    succeeded("migrate", &run(&["migrate"]));
    let started = Instant::now();
    succeeded("daemon", &run(&["daemon"]));
    let ready = wait_ready(port, started, String::new).await;
    eprintln!(
        "release: ready {} ms after `daemon` started",
        ready.as_millis()
    );
    let probe = succeeded("healthcheck", &run(&["healthcheck"]));
    assert!(probe.starts_with("ready: "), "{probe}");
    succeeded("stop", &run(&["stop"]));
}

/// The Dockerfile passes hadolint at warning level.
#[test]
fn the_dockerfile_is_hadolint_clean() {
    if !tools::available("hadolint", &["--version"]) {
        return;
    }
    let output = Command::new("hadolint")
        .args(["--no-color", "--failure-threshold", "warning"])
        .arg(repository().join("deploy/Dockerfile"))
        .output()
        .unwrap();
    succeeded("hadolint", &output);
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// podman with its own storage root, as containers.md says it works here.
struct Podman {
    root: tempfile::TempDir,
    containers: std::cell::RefCell<Vec<String>>,
}

impl Podman {
    /// None (after saying why) when podman is not installed, outside CI.
    fn new() -> Option<Podman> {
        if !tools::available("podman", &["--version"]) {
            return None;
        }
        Some(Podman {
            root: tempfile::tempdir().unwrap(),
            containers: std::cell::RefCell::default(),
        })
    }

    fn command(&self) -> Command {
        let mut command = Command::new("podman");
        command
            .arg("--storage-driver=vfs")
            .arg("--runtime=/usr/sbin/runc")
            .arg("--root")
            .arg(self.root.path().join("storage"))
            .arg("--runroot")
            .arg(self.root.path().join("run"))
            .arg("--tmpdir")
            .arg(self.root.path().join("tmp"));
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        succeeded(&format!("podman {}", args.join(" ")), &self.run(args))
    }

    /// `podman run` with the restrictions the image must live with, and the ulimits runc
    /// needs here; `extra` before the image, `command` after it.
    fn run_container(&self, extra: &[&str], image: &str, command: &[&str]) -> Output {
        let mut args = vec![
            "run",
            "--read-only",
            "--cap-drop=ALL",
            "--ulimit",
            "nofile=1024:1024",
            "--ulimit",
            "nproc=1024:1024",
            "-e",
        ];
        let secret = format!("SECRET_KEY_BASE={GOOD_SECRET}");
        args.push(&secret);
        args.extend_from_slice(extra);
        args.push(image);
        args.extend_from_slice(command);
        if let Some(name) = args.iter().position(|arg| *arg == "--name") {
            self.containers.borrow_mut().push(args[name + 1].to_owned());
        }
        self.run(&args)
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        for name in self.containers.borrow().iter() {
            self.run(&["rm", "--force", "--time", "5", name]);
        }
        self.run(&["volume", "prune", "--force"]);
    }
}

/// The checks both images must pass: `migrate` into a volume, then `start` read-only with no
/// capabilities, published on loopback: ready, uid 65532, its health check passes, and it
/// stops cleanly on SIGTERM. `health` is the `--health-cmd` to add (none: the image's own).
async fn runs_read_only_as_nonroot(podman: &Podman, image: &str, health: Option<&str>) -> Duration {
    let volume = format!("data:{IMAGE_DATA_DIR}");
    let migrated = podman.run_container(&["--rm", "-v", &volume], image, &["migrate"]);
    let said = succeeded("podman run IMAGE migrate", &migrated);
    assert!(said.contains("applied "), "{said}");

    let port = free_port();
    let publish = format!("127.0.0.1:{port}:4000");
    let name = format!("dp-{}", std::process::id());
    let mut extra = vec!["-d", "--name", &name, "-p", &publish, "-v", &volume];
    if let Some(health) = health {
        extra.extend_from_slice(&["--health-cmd", health]);
    }
    // No timer: the check runs when asked (no systemd here to schedule it).
    extra.extend_from_slice(&["--health-interval", "disable"]);
    let started = Instant::now();
    succeeded("podman run -d", &podman.run_container(&extra, image, &[]));
    let logs = || {
        let output = podman.run(&["logs", &name]);
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    };
    let ready = wait_ready(port, started, logs).await;

    let pid = podman.ok(&["inspect", "--format", "{{.State.Pid}}", &name]);
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid.trim())).unwrap();
    let ids = |field: &str| -> Vec<u32> {
        let line = status.lines().find(|line| line.starts_with(field)).unwrap();
        line.split_whitespace()
            .skip(1)
            .map(|id| id.parse().unwrap())
            .collect()
    };
    assert_eq!(ids("Uid:"), [NONROOT_ID; 4], "{status}");
    assert_eq!(ids("Gid:"), [NONROOT_ID; 4], "{status}");
    let effective = status
        .lines()
        .find(|line| line.starts_with("CapEff:"))
        .unwrap();
    assert!(effective.ends_with("0000000000000000"), "{effective}");

    let health = podman.run(&["healthcheck", "run", &name]);
    succeeded("podman healthcheck run", &health);

    podman.ok(&["stop", "--time", "30", &name]);
    let exit = podman.ok(&["inspect", "--format", "{{.State.ExitCode}}", &name]);
    assert_eq!(exit.trim(), "0", "SIGTERM drains and exits 0:\n{}", logs());
    ready
}

#[tokio::test]
async fn the_oci_image_loads_and_runs_read_only_as_nonroot_without_a_shell() {
    let Some(artifacts) = artifacts_dir() else {
        return;
    };
    let Some(podman) = Podman::new() else {
        return;
    };
    let archive = artifacts.join(format!("donation_platform-{CURRENT}-oci.tar"));
    let loaded = podman.ok(&["load", "--input", archive.to_str().unwrap()]);
    let image = format!("donation_platform:{CURRENT}");
    assert!(loaded.contains(&image), "{loaded}");

    let inspected: serde_json::Value =
        serde_json::from_str(&podman.ok(&["image", "inspect", &image])).unwrap();
    let config = &inspected[0]["Config"];
    assert_eq!(config["User"], "65532:65532", "{config}");
    assert_eq!(config["Entrypoint"], serde_json::json!([IMAGE_BINARY]));
    assert_eq!(config["Cmd"], serde_json::json!(["start"]));
    let labels = &config["Labels"];
    assert_eq!(labels["org.opencontainers.image.version"], CURRENT);
    assert_eq!(
        labels["org.opencontainers.image.licenses"],
        "AGPL-3.0-or-later"
    );
    let revision = labels["org.opencontainers.image.revision"]
        .as_str()
        .unwrap();
    assert!(
        revision.len() == 40 && revision.bytes().all(|b| b.is_ascii_hexdigit()),
        "{labels}"
    );
    assert!(
        labels["org.opencontainers.image.source"].is_string(),
        "{labels}"
    );
    let created = labels["org.opencontainers.image.created"].as_str().unwrap();
    assert_eq!(
        inspected[0]["Created"].as_str().unwrap(),
        created,
        "{inspected}"
    );

    let shell = podman.run_container(
        &["--rm", "--entrypoint", "/bin/sh"],
        &image,
        &["-c", "true"],
    );
    assert!(!shell.status.success(), "the image has a shell");
    let why = String::from_utf8_lossy(&shell.stderr);
    assert!(why.contains("no such file or directory"), "{why}");

    let health = format!(r#"["{IMAGE_BINARY}", "healthcheck"]"#);
    let ready = runs_read_only_as_nonroot(&podman, &image, Some(&health)).await;
    eprintln!(
        "OCI image: ready {} ms after `podman run -d`",
        ready.as_millis()
    );
}

#[tokio::test]
async fn the_dockerfile_runtime_stage_runs_the_release_binary_the_same_way() {
    let Some(artifacts) = artifacts_dir() else {
        return;
    };
    let Some(podman) = Podman::new() else {
        return;
    };
    let binary = artifacts.join(format!(
        "donation_platform/releases/{CURRENT}/donation_platform"
    ));
    let context = tempfile::tempdir().unwrap();
    let rootfs = context.path().join("deploy/rootfs/etc");
    std::fs::create_dir_all(&rootfs).unwrap();
    for file in ["passwd", "group"] {
        let from = repository().join("deploy/rootfs/etc").join(file);
        std::fs::copy(from, rootfs.join(file)).unwrap();
    }
    std::fs::create_dir_all(context.path().join("prebuilt/data")).unwrap();
    let prebuilt = context.path().join("prebuilt/rootfs");
    let mut files = vec![
        (binary.clone(), IMAGE_BINARY.to_owned()),
        (
            PathBuf::from("/etc/ssl/certs/ca-certificates.crt"),
            "/etc/ssl/certs/ca-certificates.crt".to_owned(),
        ),
    ];
    files.extend(
        shared_libraries(&binary)
            .into_iter()
            .map(|path| (PathBuf::from(&path), path)),
    );
    for (from, to) in files {
        let to = prebuilt.join(to.trim_start_matches('/'));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap_or_else(|err| panic!("{}: {err}", from.display()));
    }

    let image = "localhost/donation_platform-dockerfile:test";
    let dockerfile = repository().join("deploy/Dockerfile");
    podman.ok(&[
        "build",
        "--isolation=chroot",
        // Docker's format keeps HEALTHCHECK (OCI's has no field for it).
        "--format=docker",
        "--build-arg",
        "BINARY_STAGE=prebuilt",
        "--target",
        "runtime",
        "--tag",
        image,
        "--file",
        dockerfile.to_str().unwrap(),
        context.path().to_str().unwrap(),
    ]);
    let user = podman.ok(&["image", "inspect", "--format", "{{.Config.User}}", image]);
    assert_eq!(user.trim(), "65532:65532");
    // The Dockerfile's own HEALTHCHECK.
    runs_read_only_as_nonroot(&podman, image, None).await;
}

/// The libraries a dynamically linked binary loads, at their paths (none for a static one).
fn shared_libraries(binary: &Path) -> Vec<String> {
    let output = Command::new("ldd").arg(binary).output().unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let resolved = line.split_once("=>").map_or(line, |(_, after)| after);
            let path = resolved.split_whitespace().next()?;
            path.starts_with('/').then(|| path.to_owned())
        })
        .collect()
}
